"""Limits with a background far wider than its mean (a zero-pass bound of a background source).

A background source in which no simulated event passes gives rate ~0 with the one-sided
Poisson bound as its uncertainty.  :func:`na64.stats.upper_limit` accepts a relative
uncertainty up to ``MAX_SIGMA_B_REL``; at that edge the Gamma prior (shape (b/σ_b)² = 1e-6)
is extremely wide and its negative-binomial terms must stay finite, and the reach job maps a
(nearly) zero estimate onto that edge.
"""

from __future__ import annotations

import math

import pytest

from na64.errors import InputError
from na64.reach.invisible import _background
from na64.stats import expected_limits, upper_limit
from na64.stats._checks import MAX_SIGMA_B_REL


@pytest.mark.parametrize("sigma_b", [0.08, 1e3, 1e8])
@pytest.mark.parametrize("n_obs", [0, 1, 3])
def test_widest_accepted_background_is_finite(n_obs: int, sigma_b: float) -> None:
    b = sigma_b / MAX_SIGMA_B_REL
    s = upper_limit(n_obs, b, sigma_b)
    assert math.isfinite(s)
    assert s > 0
    if sigma_b < 1.0:
        # a prior of mean <= 1e-4 puts almost all its mass at ~0 events: the limit is the
        # background-free one to within the prior's mean
        assert s == pytest.approx(upper_limit(n_obs, 0.0, 0.0), abs=1e-3)


def test_expected_bands_are_finite() -> None:
    bands = expected_limits(0.08 / MAX_SIGMA_B_REL, 0.08)
    assert all(math.isfinite(v) and v > 0 for v in bands.values())
    assert bands["median"] == pytest.approx(upper_limit(0, 0.0, 0.0), rel=0.05)


def test_wider_than_accepted_is_an_input_error_and_the_reach_maps_it() -> None:
    with pytest.raises(InputError, match="sigma_b"):
        upper_limit(0, 1e-9, 0.08)
    for sigma_b in (0.08, 8e8):  # 8e8: a zero-pass bound of 400 events scaled to 2.84e11 EOT
        b, sb = _background(0.0, sigma_b)
        assert b == 1e-9
        assert sb == pytest.approx(MAX_SIGMA_B_REL * 1e-9)
        assert upper_limit(0, b, sb) == pytest.approx(2.3026, abs=1e-3)
    assert _background(0.5, 0.1) == (0.5, 0.1)
