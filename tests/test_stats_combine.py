"""Combination of counting runs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from na64.errors import InputError
from na64.stats import (
    BAND_KEYS,
    Run,
    combined_cls,
    combined_expected_limits,
    combined_upper_limit,
    expected_limits,
    upper_limit,
)
from na64.stats.combine import _TOY_RTOL


@pytest.mark.parametrize(
    ("n", "b", "sigma_b", "sigma_s"),
    [
        (0, 0.53, 0.17, 0.0),
        (1, 0.5, 0.2, 0.1),
        (3, 1.2, 0.4, 0.0),
        (2, 0.0, 0.0, 0.2),
        (6, 4.0, 1.0, 0.1),
    ],
)
def test_single_run_reproduces_upper_limit(
    n: int, b: float, sigma_b: float, sigma_s: float
) -> None:
    # One run: the likelihood ratio is increasing in n, so ordering by t is ordering by n
    # (Read 2002) and the combination must equal upper_limit.  Dropped tails are < 1e-12
    # and the root precision is 1e-9 -> tolerance 1e-7 relative.
    ref = upper_limit(n, b, sigma_b, sigma_s_rel=sigma_s)
    got = combined_upper_limit([Run(n, b, sigma_b, weight=3.7, sigma_s_rel=sigma_s)])
    assert got == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize("sigma_b_rel", [0.0, 0.3])
def test_two_identical_halves_with_zero_observed_equal_the_sum(sigma_b_rel: float) -> None:
    # n = 0 in both halves: (0, 0) is the least signal-like outcome, so
    # CLs = prod_i P_i(0 | S/2)/P_i(0 | 0) = exp(-S): the same as the pooled run, whatever the
    # background uncertainty.  Tolerance: root-finding precision.
    b = 0.8
    halves = [Run(0, b / 2, sigma_b_rel * b / 2), Run(0, b / 2, sigma_b_rel * b / 2)]
    pooled = upper_limit(0, b, sigma_b_rel * b)
    assert combined_upper_limit(halves) == pytest.approx(pooled, rel=1e-7)
    assert pooled == pytest.approx(math.log(10.0), rel=1e-7)


def test_identical_halves_with_events_equal_pooled_run_without_uncertainty() -> None:
    # Known backgrounds with s_i/b_i equal in both halves: t = (n1 + n2) ln(1 + S/b) - S depends
    # only on n1 + n2 ~ Poisson(S + b), so the combination equals the pooled single run.
    halves = [Run(1, 0.5, weight=1.0), Run(2, 0.5, weight=1.0)]
    assert combined_upper_limit(halves) == pytest.approx(upper_limit(3, 1.0), rel=1e-7)


def test_combination_is_stronger_than_each_run() -> None:
    # NA64-like runs (2016, 2017, 2018 shares of EOT; backgrounds small): adding data can only
    # improve the limit on the total signal relative to each run's limit scaled by its share.
    runs = [
        Run(0, 0.1, 0.05, weight=0.43, name="2016"),
        Run(0, 0.2, 0.07, weight=0.54, name="2017"),
        Run(0, 0.23, 0.1, weight=1.87, name="2018"),
    ]
    comb = combined_upper_limit(runs)
    total = sum(r.weight for r in runs)
    for r in runs:
        alone = upper_limit(r.n_obs, r.b, r.sigma_b) * total / r.weight
        assert comb < alone


def test_toys_agree_with_exact_enumeration() -> None:
    # 1e5 pseudo-experiments: CL_{s+b} ~ 0.05 has a binomial relative error
    # sqrt(0.95/(0.05*1e5)) = 1.4%, which moves the limit by ~1.4%/|dlnCLs/dlnS| < 1%;
    # tolerance 3%.
    runs = [Run(1, 0.3, 0.1, 2.0), Run(0, 0.25, 0.1, 1.0), Run(2, 0.5, 0.2, 3.0)]
    exact = combined_upper_limit(runs, method="exact")
    toys = combined_upper_limit(runs, method="toys", rng=np.random.default_rng(7))
    assert toys == pytest.approx(exact, rel=0.03)
    # auto falls back to the (default-seeded) toys when the grid is too large.  The toy CLs
    # is a step function of S; the toys' own root search stops within _TOY_RTOL of the
    # crossing and auto's (tighter, from another bracket) at it, so they agree to 2 _TOY_RTOL.
    assert combined_upper_limit(runs, method="auto", max_cells=10) == pytest.approx(
        combined_upper_limit(runs, method="toys"), rel=2 * _TOY_RTOL
    )


def test_combined_cls_bounds() -> None:
    runs = [Run(1, 0.3, 0.1, 2.0), Run(0, 0.25)]
    assert combined_cls(0.0, runs) == pytest.approx(1.0)
    vals = [combined_cls(s, runs) for s in (1.0, 3.0, 9.0)]
    assert all(0.0 < v2 < v1 < 1.0 for v1, v2 in itertools.pairwise(vals))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_obs": -1, "b": 1.0}, "runs[x].n_obs"),
        ({"n_obs": 0, "b": 1.0, "weight": 0.0}, "runs[x].weight"),
        ({"n_obs": 0, "b": 0.0, "sigma_b": 0.2}, "runs[x].sigma_b"),
    ],
)
def test_bad_run_raises(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        Run(name="x", **kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_empty_runs_rejected() -> None:
    with pytest.raises(InputError, match="runs"):
        combined_upper_limit([])


def test_expected_single_run_equals_expected_limits() -> None:
    # One run: the enumerated background-only outcomes are the negative-binomial counts, so the
    # band quantiles must coincide with expected_limits (tolerance: root precision).
    got = combined_expected_limits([Run(0, 1.5, 0.5)])
    ref = expected_limits(1.5, 0.5)
    for key in BAND_KEYS:
        assert got[key] == pytest.approx(ref[key], rel=1e-7)


def test_expected_proportional_runs_equal_pooled_run() -> None:
    # Known backgrounds with weights proportional to b: t depends on n1 + n2 only and
    # n1 + n2 ~ Poisson(b1 + b2), so the bands equal those of the pooled run.
    got = combined_expected_limits([Run(0, 0.8, weight=0.8), Run(0, 1.2, weight=1.2)])
    ref = expected_limits(2.0)
    for key in BAND_KEYS:
        assert got[key] == pytest.approx(ref[key], rel=1e-7)


@pytest.mark.parametrize(("n", "b", "sigma_b", "sigma_s"), [(0, 0.5, 0.2, 0.1), (3, 1.2, 0.4, 0.1)])
def test_correlated_single_run_reproduces_upper_limit(
    n: int, b: float, sigma_b: float, sigma_s: float
) -> None:
    # One run: the Gauss-Laguerre mixture must reproduce the closed-form negative binomial.
    # A 40-node rule is exact for polynomials of degree 79; the observed error is ~1e-12,
    # tolerance 1e-7.
    got = combined_upper_limit([Run(n, b, sigma_b, sigma_s_rel=sigma_s)], correlated=True)
    assert got == pytest.approx(upper_limit(n, b, sigma_b, sigma_s_rel=sigma_s), rel=1e-7)


@pytest.mark.parametrize(("n1", "n2"), [(0, 0), (1, 2), (3, 0)])
def test_correlated_halves_equal_pooled_run_for_any_split(n1: int, n2: int) -> None:
    # Common gamma, kappa: given them, n1 + n2 ~ Poisson(kappa S + gamma b) and n1 | n1 + n2 is
    # Binomial(1/2) independent of S, so the likelihood ratio depends on n1 + n2 only and the
    # combination equals the pooled run with the same relative uncertainties.
    halves = [Run(n1, 0.5, 0.25, sigma_s_rel=0.2), Run(n2, 0.5, 0.25, sigma_s_rel=0.2)]
    pooled = upper_limit(n1 + n2, 1.0, 0.5, sigma_s_rel=0.2)
    assert combined_upper_limit(halves, correlated=True) == pytest.approx(pooled, rel=1e-7)
    # with independent nuisances the two halves average their fluctuations: a stronger limit
    assert combined_upper_limit(halves) < 0.99 * pooled


def test_correlated_needs_common_relative_widths() -> None:
    runs = [Run(0, 0.5, 0.1), Run(0, 0.5, 0.2)]
    with pytest.raises(InputError, match="sigma_b/b"):
        combined_upper_limit(runs, correlated=True)
    with pytest.raises(InputError, match="sigma_s_rel"):
        combined_upper_limit(
            [Run(0, 0.5, 0.1, sigma_s_rel=0.1), Run(0, 0.5, 0.1, sigma_s_rel=0.2)], correlated=True
        )


def test_toy_limit_resolves_the_cls_step_to_its_tolerance():
    """With toys CLs(S) is a step function (common random numbers); the limit sits where it
    crosses 1 - CL, resolved to the documented relative tolerance (1e-4 of S), far below
    the toys' statistical error."""
    from na64.stats.combine import _TOY_RTOL, combined_cls

    runs = [Run(5, 17.9, 21.8, weight=5.0, sigma_s_rel=0.1),
            Run(0, 0.005, 0.004, weight=2.0, sigma_s_rel=0.1)]
    s_up = combined_upper_limit(runs, method="toys", n_toys=5000)
    step = 2 * _TOY_RTOL * s_up
    below = combined_cls(s_up - step, runs, method="toys", n_toys=5000)
    above = combined_cls(s_up + step, runs, method="toys", n_toys=5000)
    assert below >= 0.1 >= above


@pytest.mark.parametrize(("b", "rel"), [(0.3, 0.0), (19.8, 1.22), (4.0, 0.25), (1e-3, 7.6)])
def test_background_table_prefix_is_the_shorter_table(b: float, rel: float) -> None:
    # The memoised background-only tables are sliced: the first n entries of a longer
    # table (log pmf, and its cumulative sum) must be those of the length-n table, bit for bit.
    from na64.stats.marginal import log_pmf_component

    full = log_pmf_component(np.arange(4000, dtype=np.float64), b, rel)
    for n in (1, 7, 64, 333, 1999):
        short = log_pmf_component(np.arange(n, dtype=np.float64), b, rel)
        assert np.array_equal(short, full[:n])
        assert np.array_equal(np.cumsum(np.exp(short)), np.cumsum(np.exp(full))[:n])


def test_toy_draws_are_inverse_cdf_draws() -> None:
    # _Toys searches sorted uniforms: the counts must be the plain inverse-cdf draws of each
    # toy, and the memoised background draws those of a table of any shorter length.
    from na64.stats.combine import _Toys
    from na64.stats.marginal import log_pmf_component

    u = np.random.default_rng(5).random((3000, 2))
    toys = _Toys(u)
    p = np.exp(log_pmf_component(np.arange(40, dtype=np.float64), 6.0, 0.5))
    direct = np.minimum(np.searchsorted(np.cumsum(p), u[:, 1], side="left"), p.size - 1)
    assert np.array_equal(toys.draws(1, p), direct)
    log_p0 = log_pmf_component(np.arange(200, dtype=np.float64), 6.0, 0.5)
    toys.background_draws(0, log_p0)  # the longest table first
    for n in (5, 12, 200):
        fresh = np.minimum(np.searchsorted(np.cumsum(np.exp(log_p0[:n])), u[:, 0],
                                           side="left"), n - 1)
        assert np.array_equal(toys.background_draws(0, log_p0[:n]), fresh)
