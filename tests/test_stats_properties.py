"""Hypothesis property tests: finite, non-negative, monotone limits over the parameter space."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.stats import (
    Run,
    combined_upper_limit,
    exclusion_eps,
    expected_limits,
    upper_limit,
)

# The ranges of the brief: n_obs 0..50, b 0..100, sigma_b 0..b, sigma_s_rel 0..0.5.
n_obs = st.integers(0, 50)
bkg = st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False)
frac = st.floats(0.0, 1.0)
sig_s = st.floats(0.0, 0.5)
methods = st.sampled_from(["cls", "bayes", "frequentist-poisson"])

# Monotonicity is checked up to the root-finding precision (rtol 1e-10, xtol 1e-9).
EPS = 1e-7


@settings(max_examples=150, deadline=None)
@given(n=n_obs, b=bkg, f=frac, ss=sig_s, method=methods)
def test_limits_finite_nonnegative(n: int, b: float, f: float, ss: float, method: str) -> None:
    s = upper_limit(n, b, f * b, sigma_s_rel=ss, method=method)  # type: ignore[arg-type]
    assert math.isfinite(s)
    assert s >= 0.0
    if method != "frequentist-poisson":
        # CLs and flat-prior Bayes intervals are never empty (CLs(0) = 1): s_up > 0.
        assert s > 0.0


@settings(max_examples=25, deadline=None)
@given(n=n_obs, b=bkg, f=frac, ss=sig_s)
def test_asymptotic_limits_finite(n: int, b: float, f: float, ss: float) -> None:
    s = upper_limit(n, b, f * b, sigma_s_rel=ss, method="cls-asymptotic")
    assert math.isfinite(s)
    assert s > 0.0


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 49), b=bkg, f=frac, ss=sig_s, method=methods)
def test_monotonic_in_n_obs(n: int, b: float, f: float, ss: float, method: str) -> None:
    # More observed events can only raise the upper limit (Read 2002; PDG 2024 sec. 40.4).
    lo = upper_limit(n, b, f * b, sigma_s_rel=ss, method=method)  # type: ignore[arg-type]
    hi = upper_limit(n + 1, b, f * b, sigma_s_rel=ss, method=method)  # type: ignore[arg-type]
    assert hi >= lo * (1.0 - EPS)


@settings(max_examples=100, deadline=None)
@given(n=n_obs, b=bkg, db=st.floats(0.0, 20.0), f=frac, ss=sig_s)
def test_cls_decreasing_in_background(n: int, b: float, db: float, f: float, ss: float) -> None:
    # For fixed n_obs, a larger expected background leaves less room for signal (a known property of CLs,
    # Read, J. Phys. G 28 (2002) 2693); checked with the same relative background uncertainty.
    s1 = upper_limit(n, b, f * b, sigma_s_rel=ss)
    s2 = upper_limit(n, b + db, f * (b + db), sigma_s_rel=ss)
    assert s2 <= s1 * (1.0 + EPS)


@settings(max_examples=25, deadline=None)
@given(b=st.floats(0.0, 60.0), f=frac)
def test_expected_bands_ordered_and_finite(b: float, f: float) -> None:
    lim = expected_limits(b, f * b)
    vals = [lim[k] for k in ("m2", "m1", "median", "p1", "p2")]
    assert all(math.isfinite(v) and v > 0 for v in vals)
    assert all(v2 >= v1 for v1, v2 in itertools.pairwise(vals))


@settings(max_examples=20, deadline=None)
@given(
    runs=st.lists(
        st.tuples(st.integers(0, 6), st.floats(0.0, 3.0), frac, st.floats(0.1, 5.0), sig_s),
        min_size=1,
        max_size=3,
    )
)
def test_combination_finite_and_positive(
    runs: list[tuple[int, float, float, float, float]],
) -> None:
    objs = [Run(n, b, f * b, weight=w, sigma_s_rel=ss) for n, b, f, w, ss in runs]
    s = combined_upper_limit(objs)
    assert math.isfinite(s)
    assert s > 0.0


@settings(max_examples=100, deadline=None)
@given(
    n1=st.lists(st.floats(0.0, 1e15), min_size=1, max_size=30),
    s_up=st.floats(0.0, 1e3),
    cap=st.floats(1e-3, 1.0),
)
def test_exclusion_never_nan_or_inf(n1: list[float], s_up: float, cap: float) -> None:
    masses = np.geomspace(1.0, 1000.0, len(n1))
    res = exclusion_eps(masses, n1, s_up, eps_cap=cap)
    assert np.all(np.isfinite(res.eps))
    assert np.all(res.eps <= cap)
    assert np.all(res.eps >= 0)
