"""Expected limits, bands and projections."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from na64.errors import InputError
from na64.stats import (
    BAND_KEYS,
    PROJECTION_EXPOSURES,
    background_quantiles,
    expected_limits,
    projected_limits,
    upper_limit,
)


def test_band_quantiles_of_poisson_background() -> None:
    # b = 10, no uncertainty: lower quantiles of Poisson(10) computed with scipy (independent):
    # poisson.ppf returns the smallest n with CDF(n) >= p, the convention documented.
    q = background_quantiles(10.0)
    for key, z in zip(BAND_KEYS, (-2, -1, 0, 1, 2), strict=True):
        assert q[key] == int(stats.poisson.ppf(stats.norm.cdf(z), 10.0))


def test_band_quantiles_of_gamma_smeared_background() -> None:
    # Poisson x Gamma(mean b, sd sigma) = negative binomial with r = (b/sigma)^2, p = r/(r+b)
    # (Cousins, Linnemann, Tucker arXiv:physics/0702156); compared with scipy.nbinom.
    b, sig = 8.0, 4.0
    r = (b / sig) ** 2
    q = background_quantiles(b, sig)
    for key, z in zip(BAND_KEYS, (-2, -1, 0, 1, 2), strict=True):
        assert q[key] == int(stats.nbinom.ppf(stats.norm.cdf(z), r, r / (r + b)))


def test_small_background_bands_collapse_to_zero_observed() -> None:
    # b = 0.53 +- 0.17 (NA64 2016-2018, PRL 123 (2019) 121801, arXiv:1906.00176): P(n=0) ~ 0.59 >
    # 0.5, so the median and the lower bands are all the n = 0 limit ln(10).
    lim = expected_limits(0.53, 0.17)
    for key in ("m2", "m1", "median"):
        assert lim[key] == pytest.approx(math.log(10.0), rel=1e-7)
    assert lim["p1"] == pytest.approx(upper_limit(1, 0.53, 0.17), rel=1e-12)
    assert lim["p2"] == pytest.approx(upper_limit(2, 0.53, 0.17), rel=1e-12)


def test_bands_ordered_and_median_near_asymptotic_at_large_b() -> None:
    # CCGV arXiv:1007.1727 eq. 89: median CLs limit = 1.645 sqrt(b), +-1 sigma band edges
    # sqrt(b) (Phi^-1(1 - alpha Phi(N)) + N).  b = 2500: discreteness/skewness O(1/sqrt(b)) =
    # 2% -> tolerance 3%.
    b = 2500.0
    lim = expected_limits(b)
    vals = [lim[k] for k in BAND_KEYS]
    assert all(v2 > v1 for v1, v2 in itertools.pairwise(vals))
    alpha = 0.1
    for key, n_sig in (("median", 0), ("m1", -1), ("p1", 1)):
        ref = math.sqrt(b) * (stats.norm.ppf(1 - alpha * stats.norm.cdf(n_sig)) + n_sig)
        assert lim[key] == pytest.approx(ref, rel=0.03)


def test_projection_scaling_statistics_vs_systematics() -> None:
    # Background-free (b << 1): the expected limit stays ln(10) at every exposure.
    free = projected_limits([1e11, 1e12], 1e-14)
    assert np.allclose(free["median"], math.log(10.0), rtol=1e-7)
    # Statistics-limited (large b, no systematic): s_up ~ sqrt(b), doubling EOT -> x sqrt(2).
    # b = 2e3 -> 4e3: the O(1/sqrt(b)) corrections cancel to < 1% in the ratio.
    stat = projected_limits([5e12, 1e13], 4e-10)
    assert stat["median"][1] / stat["median"][0] == pytest.approx(math.sqrt(2.0), rel=0.01)
    # Systematics-limited (sigma_b/b = 0.3, b = 2e4 -> 4e4): s_up ~ b, ratio -> 2 (the
    # statistical part, sqrt(b)/(0.3 b) < 2%, sets the 3% tolerance).
    syst = projected_limits([5e12, 1e13], 4e-9, 0.3)
    assert syst["median"][1] / syst["median"][0] == pytest.approx(2.0, rel=0.03)


def test_projection_matches_expected_limits_and_exposure_table() -> None:
    eot = np.array([PROJECTION_EXPOSURES["na64e_5e12_eot"], PROJECTION_EXPOSURES["na64e_1e13_eot"]])
    b_per_eot = 0.53 / 2.84e11  # NA64 2016-2018 background per EOT (arXiv:1906.00176)
    proj = projected_limits(eot, b_per_eot, 0.3)
    assert proj["b"] == pytest.approx(b_per_eot * eot)
    ref = expected_limits(b_per_eot * 1e13, 0.3 * b_per_eot * 1e13)
    for key in BAND_KEYS:
        assert proj[key][1] == pytest.approx(ref[key], rel=1e-12)


@pytest.mark.parametrize("eot", [0.0, -1.0, float("inf")])
def test_projection_rejects_bad_exposure(eot: float) -> None:
    with pytest.raises(InputError, match="eot"):
        projected_limits(eot, 1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(-3.0, 12.0), st.sampled_from([0.0, 0.01, 0.1, 1.0, 10.0, 1000.0]))
def test_bands_are_finite_and_ordered_up_to_the_largest_counts(log_b: float,
                                                               rel: float) -> None:
    """s_up(n) is non-decreasing in n, so the bands must be ordered at every background
    (the asymptotic formula takes over above 10000 events: this sweeps its range)."""
    b = 10.0**log_b
    bands = expected_limits(b, min(rel * b, 1e12))
    values = [bands[k] for k in BAND_KEYS]
    assert all(math.isfinite(v) and v > 0 for v in values)
    assert values == sorted(values)


def test_wide_background_band_scales_with_the_background() -> None:
    """With sigma_b = b the background-only count is geometric with mean b: at large counts
    every quantile, and the limit at it, scales with b.  The asymptotic median (b = 1e5,
    1e11) must follow the exact one (b = 1e4, 0.642 b) to within the few per cent by which
    profiling and marginalizing differ, and be scale invariant between them (rounding in
    ``lam - n ln lam`` at these counts would put it at the root-search floor, 0.3 events)."""
    exact = expected_limits(1e4, 1e4)["median"] / 1e4
    asym5 = expected_limits(1e5, 1e5)["median"] / 1e5
    asym11 = expected_limits(1e11, 1e11)["median"] / 1e11
    assert asym5 == pytest.approx(exact, rel=0.05)
    assert asym11 == pytest.approx(asym5, rel=1e-3)


@pytest.mark.parametrize("b", [1e11, 3e11, 1e12])
def test_poisson_band_quantiles_beyond_scipy(b: float) -> None:
    """scipy's Poisson ppf gives nan above ~1e11: the quantiles must still be the smallest n
    with P(k <= n) >= p (checked with the Poisson cdf) and near b + z sqrt(b)."""
    q = background_quantiles(b)
    for key, z in zip(BAND_KEYS, (-2, -1, 0, 1, 2), strict=True):
        p = stats.norm.cdf(z)
        n = q[key]
        assert stats.poisson.cdf(n, b) >= p > stats.poisson.cdf(n - 1, b)
        assert abs(n - (b + z * math.sqrt(b))) < 3.0
