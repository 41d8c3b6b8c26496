"""Limits with a background estimate of ~0 but a finite uncertainty (a zero-count bound).

A background source in which no simulated event passes gives rate 0 with the one-sided
Poisson bound as its uncertainty; the Gamma prior of such a background (mean b -> 0,
sd sigma_b >> b) is extremely wide, and its negative-binomial terms must stay finite.
"""

from __future__ import annotations

import math

import pytest

from na64.stats import expected_limits, upper_limit


@pytest.mark.parametrize("sigma_b", [0.08, 1e3, 1e8])
@pytest.mark.parametrize("n_obs", [0, 1, 3])
def test_tiny_background_with_wide_uncertainty_is_finite(n_obs: int, sigma_b: float) -> None:
    # sigma_b = 1e8: the zero-pass bound of a 400-event sample scaled to 2.84e11 EOT
    s = upper_limit(n_obs, 1e-9, sigma_b)
    assert math.isfinite(s)
    # a Gamma prior of mean 1e-9 puts almost all its mass at ~0 events, however wide: the
    # limit is the background-free one to within the prior's mean
    free = upper_limit(n_obs, 0.0, 0.0)
    assert s == pytest.approx(free, abs=1e-3)


@pytest.mark.parametrize("sigma_b", [0.08, 1e8])
def test_expected_bands_are_finite(sigma_b: float) -> None:
    bands = expected_limits(1e-9, sigma_b)
    assert all(math.isfinite(v) and v > 0 for v in bands.values())
    assert bands["median"] == pytest.approx(upper_limit(0, 0.0, 0.0), rel=0.05)
