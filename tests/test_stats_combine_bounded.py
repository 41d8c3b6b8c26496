"""Bounded cost of the run combination (na64.stats.combine, "Bounded cost").

The exact enumeration and the toys tabulate each run's counts up to the 1 - 1e-12 quantile of
its marginal: for a zero-pass bound (b = 520 +- 1e5) that is ~3e8 counts, for b = 1e9 +- 1e11
beyond double precision.  Beyond the table limits the combination is the exact limit of the
pooled count; below them nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import na64.stats.combine as combine
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
from na64.stats.combine import MAX_RUN_COUNTS, pooled_run
from na64.stats.limits import cls_value

#: (n_obs, b, sigma_b) of a run far beyond any table, next to an ordinary run
HUGE = [
    (0, 520.0, 1e5),  # a zero-pass bound: 3e8 counts to the 1e-12 tail
    (3, 1e9, 1e11),  # counts beyond double precision (scipy's quantile is nan)
    (7, 1e9, 1e9),  # large counts, relative width 1
    (20, 1e6, 0.0),  # a large known background
]


@contextmanager
def _tables_checked() -> Iterator[list[int]]:
    """Fail if any count table longer than MAX_RUN_COUNTS + the observed count is built."""
    sizes: list[int] = []
    real = combine.pmf_table

    def checked(*args: float, **kwargs: float) -> np.ndarray:
        out = real(*args, **kwargs)
        sizes.append(out.size)
        assert out.size <= 2 * MAX_RUN_COUNTS + 2
        return out

    with mock.patch.object(combine, "pmf_table", checked):
        yield sizes


@pytest.mark.parametrize(("n", "b", "sigma_b"), HUGE)
def test_huge_background_gives_finite_pooled_limit(n: int, b: float, sigma_b: float) -> None:
    runs = [Run(n, b, sigma_b, weight=1.0), Run(1, 1.0, 0.1, weight=2.0, sigma_s_rel=0.1)]
    with _tables_checked():
        s_up = combined_upper_limit(runs)
    assert math.isfinite(s_up)
    assert s_up > 0
    # the documented switch: the exact limit of the pooled count
    p = pooled_run(runs)
    assert p.n_obs == n + 1
    assert p.b == pytest.approx(b + 1.0)
    # (a width below 1e-6 b is treated as 0, as for any Run)
    assert p.sigma_b == pytest.approx(Run(0, b + 1.0, math.hypot(sigma_b, 0.1)).sigma_b)
    assert p.sigma_s_rel == pytest.approx(0.1 * 2.0 / 3.0)
    assert s_up == upper_limit(p.n_obs, p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel)
    for method in ("exact", "toys"):
        assert combined_upper_limit(runs, method=method, n_toys=1000) == s_up


@pytest.mark.parametrize(("n", "b", "sigma_b"), HUGE)
def test_huge_background_expected_bands_are_finite_and_ordered(
    n: int, b: float, sigma_b: float
) -> None:
    runs = [Run(n, b, sigma_b, weight=1.0), Run(0, 0.5, 0.2, weight=2.0)]
    with _tables_checked():
        bands = combined_expected_limits(runs)
    values = [bands[k] for k in BAND_KEYS]
    assert all(math.isfinite(v) and v > 0 for v in values)
    assert values == sorted(values)
    p = pooled_run(runs)
    assert bands == expected_limits(p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel)


def test_zero_pass_bound_keeps_its_mass_at_zero() -> None:
    # b = 520 +- 1e5: Gamma shape (520/1e5)^2 = 2.7e-5, P(n = 0) = exp(r ln(r/(r+b))) > 0.999,
    # so with nothing observed anywhere the limit is the background-free ln(10) (CLs = e^-S)
    runs = [Run(0, 520.0, 1e5), Run(0, 0.1, 0.05, weight=3.0)]
    assert combined_upper_limit(runs) == pytest.approx(math.log(10.0), rel=1e-9)
    assert combined_expected_limits(runs)["median"] == pytest.approx(math.log(10.0), rel=1e-9)


def test_large_signal_range_is_pooled_too() -> None:
    # a moderate background whose limit needs a signal table beyond MAX_RUN_WORK products
    runs = [Run(400, 2e5, 0.0, weight=1.0), Run(0, 0.5, 0.0, weight=1.0)]
    with _tables_checked():
        s_up = combined_upper_limit(runs)
    p = pooled_run(runs)
    assert s_up == upper_limit(p.n_obs, p.b, p.sigma_b)


def test_combined_cls_of_huge_runs() -> None:
    runs = [Run(2, 520.0, 1e5), Run(1, 1.0, 0.1, weight=2.0)]
    p = pooled_run(runs)
    for s in (0.0, 1.0, 5.0, 30.0):
        got = combined_cls(s, runs)
        assert 0.0 <= got <= 1.0
        ref = cls_value(s, p.n_obs, p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel)
        assert got == (1.0 if s == 0 else pytest.approx(float(ref), rel=1e-12))
    with pytest.raises(InputError, match="runs"):
        combined_cls(1.0, [Run(20_000, 1e9, 1e9), Run(0, 1.0)])


def test_correlated_huge_is_refused_without_building_tables() -> None:
    runs = [Run(0, 520.0, 1e5), Run(0, 52.0, 1e4, weight=2.0)]  # common sigma_b / b
    with _tables_checked(), pytest.raises(InputError, match="correlated=False"):
        combined_upper_limit(runs, correlated=True)
    with pytest.raises(InputError, match="correlated=False"):
        combined_expected_limits(runs, correlated=True)


def test_pooled_sum_beyond_the_accepted_counts_is_an_input_error() -> None:
    runs = [Run(0, 9e11, 1e11), Run(0, 9e11, 1e11)]
    with pytest.raises(InputError, match="runs"):
        combined_upper_limit(runs)


@contextmanager
def _unbounded() -> Iterator[None]:
    """The combination without the table limits (the code before they were introduced)."""
    with mock.patch.multiple(combine, MAX_RUN_COUNTS=10**18, MAX_RUN_WORK=10**36,
                             MAX_EXACT_CELLS=10**36):
        yield


_ordinary_run = st.builds(
    lambda n, b, rel, w, ss: Run(n, b, rel * b, weight=w, sigma_s_rel=ss),
    st.integers(0, 6),
    st.floats(0.0, 8.0),
    st.floats(0.0, 1.5),
    st.floats(0.1, 10.0),
    st.sampled_from([0.0, 0.1, 0.3]),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(_ordinary_run, min_size=1, max_size=2))
def test_ordinary_inputs_are_unchanged(runs: list[Run]) -> None:
    got = combined_upper_limit(runs)
    with _unbounded():
        ref = combined_upper_limit(runs)
    assert got == ref


@settings(max_examples=6, deadline=None)
@given(st.lists(_ordinary_run, min_size=1, max_size=2))
def test_ordinary_expected_bands_are_unchanged(runs: list[Run]) -> None:
    got = combined_expected_limits(runs, n_toys=2000)
    with _unbounded():
        ref = combined_expected_limits(runs, n_toys=2000)
    assert got == ref


def test_subnormal_background_is_no_background():
    """A subnormal expected background (5e-324) gives the limit of b = 0, not an
    underflowed asymptotic CLs (found by the input-property sweep)."""
    from na64.stats import upper_limit

    zero = upper_limit(10001, 0.0, 0.0, method="cls", cl=0.68)
    assert upper_limit(10001, 5e-324, 0.0, method="cls", cl=0.68) == pytest.approx(zero,
                                                                                    rel=1e-9)


#: Two runs whose first root bracket (hi ~ 325 events: a 50 % signal uncertainty multiplies
#: it by 6) has a joint grid above max_cells while the limit (S ~ 3.6) lies where the grid
#: has ~1e4 cells.  Every hypothesis used to be evaluated with 1e5 toys: a limit took ~1 s
#: and was off by 16 % (CL_b ~ 1e-4 left ~7 background toys below t_obs, CLs = 1/7), the
#: expected band took 151 s.
SPLIT_RUNS = [Run(2, 30.0, 10.0, sigma_s_rel=0.5), Run(1, 3.0, 1.0, sigma_s_rel=0.5)]


@contextmanager
def _counted() -> Iterator[dict[str, int]]:
    calls = {"exact": 0, "toys": 0}
    exact, toys = combine._cls_exact, combine._cls_toys

    def counted_exact(*args: object) -> float:
        calls["exact"] += 1
        return exact(*args)  # type: ignore[arg-type]

    def counted_toys(*args: object) -> float:
        calls["toys"] += 1
        return toys(*args)  # type: ignore[arg-type]

    with mock.patch.multiple(combine, _cls_exact=counted_exact, _cls_toys=counted_toys):
        yield calls


def test_a_generous_bracket_does_not_turn_the_limit_into_toys() -> None:
    rl, frac = combine._validated(SPLIT_RUNS)
    assert combine._grid_size(rl, frac, 650.0) > 2_000_000  # "auto" used to choose toys
    with _counted() as calls:
        s_up = combined_upper_limit(SPLIT_RUNS)
    assert calls == {"exact": calls["exact"], "toys": 0}
    assert calls["exact"] <= 40
    # the exact enumeration at every hypothesis (feasible here, if slowly) finds the same root
    assert s_up == pytest.approx(combined_upper_limit(SPLIT_RUNS, method="exact"), rel=1e-8)
    assert combined_cls(s_up, SPLIT_RUNS) == pytest.approx(0.10, rel=1e-6)


def test_the_expected_band_of_such_runs_is_exact_and_bounded() -> None:
    with _counted() as calls:
        band = combined_expected_limits(SPLIT_RUNS)
    assert calls["toys"] == 0
    assert calls["exact"] <= 400 * 40  # <= max_outcomes limits of <= 40 CLs evaluations each
    values = [band[k] for k in BAND_KEYS]
    assert values == sorted(values)
    assert all(math.isfinite(v) and v > 0 for v in values)
    # each band edge is a limit of one background-only outcome: the median's is exact
    assert band["median"] > combined_upper_limit(SPLIT_RUNS)  # 3 observed < 33 expected
