"""Limits on eps and y from limits on the signal count."""

from __future__ import annotations

import math

import numpy as np
import pytest

from na64.errors import InputError
from na64.stats import eps_to_y, exclusion_eps, exclusion_eps_bands, expected_limits
from na64.units import MeV


def test_eps_scales_as_sqrt_of_count_ratio() -> None:
    # N_sig ∝ eps^2 (arXiv:1906.00176: sigma ∝ eps^2, BR ~ 1): eps_up = sqrt(s_up / N(eps=1)).
    masses = np.array([1.0, 10.0, 100.0]) * MeV
    n1 = np.array([4.0e10, 2.303e8, 1.0e4])
    res = exclusion_eps(masses, n1, math.log(10.0))
    assert res.eps == pytest.approx(np.sqrt(math.log(10.0) / n1), rel=1e-14)
    assert res.sensitive.all()
    # per-mass s_up
    res2 = exclusion_eps(masses, n1, [2.0, 3.0, 4.0])
    assert res2.eps == pytest.approx(np.sqrt(np.array([2.0, 3.0, 4.0]) / n1), rel=1e-14)


def test_zero_yield_is_capped_and_flagged_not_inf() -> None:
    res = exclusion_eps([1.0, 2.0, 3.0], [0.0, 1.0, 1e12], 2.3, eps_cap=1.0)
    assert np.all(np.isfinite(res.eps))
    assert res.eps.tolist()[:2] == [1.0, 1.0]  # no yield; yield too small for eps <= 1
    assert res.sensitive.tolist() == [False, False, True]


def test_y_definition() -> None:
    # y = eps^2 alpha_D (m_chi/m_A')^4 (definition of arXiv:1505.00011): eps = 1e-4, alpha_D = 0.5,
    # ratio 1/3 -> 1e-8 * 0.5 / 81.
    assert float(eps_to_y(1e-4)) == pytest.approx(1e-8 * 0.5 / 81.0, rel=1e-14)
    res = exclusion_eps([10.0], [1e9], 2.3)
    assert res.y(alpha_d=0.1, mass_ratio=4.0) == pytest.approx(2.3e-9 * 0.1 / 256.0, rel=1e-12)


def test_bands_map_to_ordered_eps_curves() -> None:
    # eps_up is increasing in s_up, so the band order of s_up carries over to eps.
    masses = np.geomspace(1.0, 1000.0, 30) * MeV
    n1 = 1e12 * (masses / MeV) ** -2.0
    bands = exclusion_eps_bands(masses, n1, expected_limits(0.53, 0.17))
    assert set(bands) == {"m2", "m1", "median", "p1", "p2"}
    assert np.all(bands["m1"] <= bands["median"])
    assert np.all(bands["median"] <= bands["p2"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (([1.0, 2.0], [1.0], 2.3), "n_sig_at_eps1"),
        (([1.0], [-1.0], 2.3), "n_sig_at_eps1"),
        (([1.0], [np.nan], 2.3), "n_sig_at_eps1"),
        (([0.0], [1.0], 2.3), "masses"),
        (([1.0, 2.0], [1.0, 1.0], [1.0, 2.0, 3.0]), "s_up"),
        (([1.0], [1.0], -2.3), "s_up"),
    ],
)
def test_bad_input(args: tuple[object, object, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        exclusion_eps(*args)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_eps_to_y_rejects_kinematically_forbidden_ratio() -> None:
    with pytest.raises(InputError, match="mass_ratio"):
        eps_to_y(1e-4, mass_ratio=1.5)
