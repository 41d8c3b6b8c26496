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
