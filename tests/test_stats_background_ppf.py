"""Background-only quantiles of the expected-limit bands: exact, and bounded in cost."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.stats.expected import BAND_PROBABILITIES, background_quantiles, expected_limits
from na64.stats.marginal import background_ppf, pmf_table


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-3, 300.0), st.floats(0.0, 3.0))
def test_quantiles_equal_the_cumulated_pmf(b, rel):
    # the quantile is the first n whose cumulated probability reaches p, as read off the
    # marginal pmf table the limits use
    sb = rel * b
    cdf = np.cumsum(pmf_table(0.0, b, sb, 0.0, tail=1e-12))
    for p in BAND_PROBABILITIES.values():
        n = background_ppf(p, b, sb)
        assert cdf[n] >= p - 1e-9
        assert n == 0 or cdf[n - 1] < p + 1e-9


def test_poisson_median_of_a_large_background():
    # Poisson median lies in [b - ln 2, b + 1/3] (Choi, Proc. AMS 121 (1994) 245)
    for b in (1e3, 1e6, 1e9):
        med = background_ppf(0.5, b, 0.0)
        assert b - np.log(2) - 1 <= med <= b + 1.0 / 3.0 + 1


@pytest.mark.parametrize(("b", "sb"), [(520.0, 520.0 * 196), (1e9, 1e11), (1e9, 1e3),
                                       (1e11, 1e12)])
def test_huge_backgrounds_are_cheap_and_finite(b, sb):
    # a zero-pass bound (sigma_b >> b) once made the band code build a table of ~1e8 entries
    q = background_quantiles(b, sb)
    assert list(q.values()) == sorted(q.values())
    lim = expected_limits(b, sb)
    assert all(np.isfinite(v) and v > 0 for v in lim.values())
    assert list(lim.values()) == sorted(lim.values())


_P = st.one_of(st.sampled_from(sorted(BAND_PROBABILITIES.values())), st.floats(1e-6, 1 - 1e-6))
_REL = st.one_of(st.just(0.0), st.floats(1e-5, 30.0))


def _count_distribution(b: float, rel: float):  # type: ignore[no-untyped-def]
    """``(cdf, sf, reference)`` of the count of mean ``b``: a Poisson for rel below 1e-6
    (as :func:`na64.stats.marginal._bkg_rel` treats it), else the negative binomial of
    shape r = 1/rel²: its distribution function and survival function from the
    regularised incomplete gamma and beta functions (Abramowitz & Stegun 26.4.21,
    26.5.24-26.5.26), exact where scipy.stats' survival function of a negative binomial
    is off by ~1e-7 (~1e9 counts); and scipy.stats' frozen distribution, the independent
    implementation of the quantiles."""
    from scipy.special import betainc, pdtr, pdtrc
    from scipy.stats import nbinom, poisson

    if rel < 1e-6:
        return (lambda k: float(pdtr(k, b)), lambda k: float(pdtrc(k, b)), poisson(b))
    r = 1.0 / rel**2
    return (lambda k: float(betainc(r, k + 1.0, r / (r + b))),
            lambda k: float(betainc(k + 1.0, r, b / (r + b))), nbinom(r, r / (r + b)))


@settings(max_examples=300, deadline=None)
@given(st.floats(-3.0, 9.0), _REL, _P)
def test_quantiles_are_exact_and_equal_scipy_stats(log_b, rel, p):
    """The quantile is the first count whose distribution function reaches ``p``, and
    equals scipy.stats' Poisson and negative binomial quantiles, an independent
    implementation, below 1e5 counts (above, their continuous inverses are off by a few
    counts)."""
    b = 10.0**log_b
    cdf, _, ref = _count_distribution(b, rel)
    n = background_ppf(p, b, rel * b)
    assert cdf(n) >= p
    assert n == 0 or cdf(n - 1) < p
    if n < 1e5:
        assert n == int(ref.ppf(p))


@settings(max_examples=200, deadline=None)
@given(st.floats(-3.0, 8.0), _REL)
def test_table_ranges_are_exact_tail_quantiles(log_b, rel):
    """The last count of a component's table: where the survival function first drops to
    the tail (exact, from the complement itself); equal to scipy.stats' inverse survival
    function below 1e4 counts (above, a Poisson's is computed from 1 - tail, which double
    precision does not resolve)."""
    from na64.stats.marginal import _upper_count

    b, tail = 10.0**log_b, 0.5e-12
    _, sf, ref = _count_distribution(b, rel)
    n = _upper_count(b, rel, tail) - 1
    assert sf(n) <= tail
    assert n == 0 or sf(n - 1) > tail
    if n < 1e4:
        assert n == int(ref.isf(tail))
