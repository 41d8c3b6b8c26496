"""Combination of several counting runs (e.g. NA64e 2016, 2017, 2018) into one CLs limit.

Run ``i`` observes ``n_i ~ Poisson(kappa_i * S * f_i + beta_i)`` with ``f_i = w_i / sum_j w_j``
(``w_i`` = EOT_i × efficiency_i: the share of the total signal expected in that run),
independent Gamma nuisances ``beta_i`` (background) and ``kappa_i`` (signal scale) per run,
marginalized as in :mod:`na64.stats.marginal`.  The parameter of interest is the total expected
signal ``S = sum_i s_i``.

Test statistic: the LEP log-likelihood ratio of the joint (product) likelihood
``t(n) = sum_i ln[P_i(n_i | S f_i) / P_i(n_i | 0)]`` (Read, J. Phys. G 28 (2002) 2693;
Junk, NIM A434 (1999) 435, arXiv:hep-ex/9902006), large ``t`` = signal-like.  Then
``CL_{s+b} = P(t <= t_obs | S)``, ``CL_b = P(t <= t_obs | 0)`` and ``CLs = CL_{s+b} / CL_b``
(Read 2002; Junk arXiv:hep-ex/9902006); the limit solves ``CLs(S_up) = 1 - cl``.

The probabilities are computed by exact enumeration of all outcomes ``(n_1, ..., n_K)`` (tails
beyond ``1e-12`` dropped) when the grid is small enough, otherwise with pseudo-experiments
drawn once (common random numbers for all ``S``) from a seeded generator.  Outcomes whose ``t``
equals ``t_obs`` within ``1e-9`` relative count as "less signal-like" (``<=``), the same
convention as the single-run ``P(n <= n_obs)``; with one run the combination therefore
reproduces :func:`na64.stats.upper_limit` exactly.

Bounded cost: the enumeration and the toys tabulate each run's counts up to the ``1 - 1e-12``
quantile of its marginal, a range that grows without limit with the background and its
uncertainty (a zero-pass bound ``b = 520 +- 1e5`` reaches 3e8 counts).  When one run's table
would exceed :data:`MAX_RUN_COUNTS` counts, or its signal-background convolution
:data:`MAX_RUN_WORK` products per CLs evaluation, or the joint grid :data:`MAX_EXACT_CELLS`
cells, the combination is evaluated instead on the *pooled count* ``n = sum_i n_i``
(:func:`pooled_run`): a single counting experiment with the summed background and signal,
whose limit :func:`na64.stats.upper_limit` computes exactly (cost ~ ``n``, asymptotic
beyond 10000 events, whatever the background).  The pooled count is a valid test of the same
hypothesis (less powerful than the joint likelihood ratio unless the signal is distributed
over the runs like the background); with fully correlated nuisances (``correlated=True``)
its model is exact, with independent ones the summed Gamma priors are replaced by a Gamma
of the same mean and variance.  Inputs below these limits are evaluated as before.

A run with ``b < 1e-12`` is given ``b = 1e-12`` (and no uncertainty) inside the test statistic only (so that the
ratio stays finite); this moves any probability by less than ``1e-11``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from ..errors import InputError
from ._checks import check_cl, check_count, check_nonneg, check_sigma_b, check_sigma_s_rel
from .correlated import (
    CORRELATED_MAX_WORK,
    N_NODES,
    cls_exact_correlated,
    common_widths,
    joint_background_pmf,
)
from .marginal import count_range, log_pmf_component, pmf_table

__all__ = [
    "MAX_EXACT_CELLS",
    "MAX_RUN_COUNTS",
    "MAX_RUN_WORK",
    "CombineMethod",
    "Run",
    "combined_cls",
    "combined_expected_limits",
    "combined_upper_limit",
    "pooled_run",
]

CombineMethod = Literal["auto", "exact", "toys"]

_B_FLOOR = 1e-12
_TAIL = 1e-12
_TIE = 1e-9

#: Longest count table of one run (``0 .. N``, N the 1 - 1e-12 quantile of its marginal);
#: beyond it the runs are pooled (module docstring, "Bounded cost").  8 MB per table.
MAX_RUN_COUNTS = 1_000_000
#: Largest signal x background convolution of one run per CLs evaluation (products); a
#: combination at that size takes a few seconds.
MAX_RUN_WORK = 300_000_000
#: Largest joint outcome grid of the exact enumeration (``method="exact"``), 400 MB of arrays.
MAX_EXACT_CELLS = 10_000_000


class _TooLarge(Exception):
    """A run's tables are beyond the limits above: pool the runs instead."""


@dataclass(frozen=True)
class Run:
    """One counting run.

    Parameters
    ----------
    n_obs
        Observed events.
    b
        Expected background.
    sigma_b
        Absolute background uncertainty (Gamma prior).
    weight
        Relative signal weight ``w_i > 0``, e.g. EOT × signal efficiency.
    sigma_s_rel
        Relative signal-yield uncertainty of this run (independent between runs).
    name
        Label, e.g. ``"2018"``.
    """

    n_obs: int
    b: float
    sigma_b: float = 0.0
    weight: float = 1.0
    sigma_s_rel: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        tag = f"runs[{self.name}]" if self.name else "runs"
        object.__setattr__(self, "n_obs", check_count(self.n_obs, f"{tag}.n_obs"))
        object.__setattr__(self, "b", check_nonneg(self.b, f"{tag}.b"))
        object.__setattr__(self, "sigma_b", check_sigma_b(self.b, self.sigma_b, f"{tag}.sigma_b"))
        w = check_nonneg(self.weight, f"{tag}.weight")
        if w <= 0.0:
            raise InputError(f"{tag}.weight", f"must be > 0, got {w:g}")
        object.__setattr__(self, "weight", w)
        object.__setattr__(
            self, "sigma_s_rel", check_sigma_s_rel(self.sigma_s_rel, f"{tag}.sigma_s_rel")
        )


#: Background-only log pmfs of :func:`_tables` per ``(b, rel_b)``, grown on demand and sliced:
#: the root search of a limit and its expected band ask for the same background at many
#: signals (a table's first ``n`` entries are those of the length-``n`` table).
_LOG_P0: dict[tuple[float, float], NDArray[np.float64]] = {}
_LOG_P0_ENTRIES = 64


def _log_p0(b: float, rel_b: float, n: int) -> NDArray[np.float64]:
    """``log P(k | b)`` for ``k = 0 .. n - 1`` (read-only view of the memoised table)."""
    tab = _LOG_P0.get((b, rel_b))
    if tab is None or tab.size < n:
        if len(_LOG_P0) >= _LOG_P0_ENTRIES:
            _LOG_P0.clear()
        size = max(n, 2 * tab.size) if tab is not None else n
        tab = log_pmf_component(np.arange(size, dtype=np.float64), b, rel_b)
        tab.flags.writeable = False
        _LOG_P0[(b, rel_b)] = tab
    return tab[:n]


def _tables(
    run: Run, s: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(p_S, log p_0, t)`` over ``n = 0..N`` for one run at signal ``s``."""
    b, sigma_b = (run.b, run.sigma_b) if run.b >= _B_FLOOR else (_B_FLOOR, 0.0)
    n_s, n_b = count_range(s, b, sigma_b, run.sigma_s_rel, tail=_TAIL)
    if max(n_s, n_b) > MAX_RUN_COUNTS or (n_s + 1) * (n_b + 1) > MAX_RUN_WORK:
        raise _TooLarge
    p_s = pmf_table(s, b, sigma_b, run.sigma_s_rel, n_min=run.n_obs, tail=_TAIL)
    log_p0 = _log_p0(b, sigma_b / b, p_s.size)
    # p_S is a linear convolution; where it underflows the floor makes t very negative only
    # for outcomes whose probability is < 1e-300 under both hypotheses.
    t = np.log(np.maximum(p_s, 1e-300)) - log_p0
    return p_s, log_p0, t


def _cls_exact(runs: Sequence[Run], fractions: NDArray[np.float64], s_tot: float) -> float:
    if s_tot <= 0.0:
        return 1.0  # CLs(0) = 1 by definition; t would be 0 up to rounding everywhere
    if _grid_size(runs, fractions, s_tot) > MAX_EXACT_CELLS:
        raise _TooLarge
    t_grid = np.zeros(1)
    ps_grid = np.ones(1)
    p0_grid = np.ones(1)
    t_obs = 0.0
    for run, f in zip(runs, fractions, strict=True):
        p_s, log_p0, t = _tables(run, s_tot * float(f))
        t_obs += float(t[run.n_obs])
        t_grid = (t_grid[:, None] + t[None, :]).ravel()
        ps_grid = (ps_grid[:, None] * p_s[None, :]).ravel()
        p0_grid = (p0_grid[:, None] * np.exp(log_p0)[None, :]).ravel()
    sel = t_grid <= t_obs + _TIE * (1.0 + abs(t_obs))
    clsb = float(np.sum(ps_grid[sel]))
    clb = float(np.sum(p0_grid[sel]))
    return min(clsb / clb, 1.0) if clb > 0.0 else 1.0


class _Toys:
    """Pseudo-experiments as uniforms ``u`` (toys × runs), shared by every hypothesis.

    A toy's count in run ``i`` is the inverse-cdf draw ``#{k: F(k) < u_i}``; the columns
    are kept sorted (a binary search of sorted values is ~3× faster on long tables) with the
    permutation back to the toys.  The background-only draws do not depend on the signal
    hypothesis, only on how long its table is: the draws on a longer table clipped to
    ``n - 1`` are those on the length-``n`` table, so the longest computed is kept.
    """

    def __init__(self, u: NDArray[np.float64]) -> None:
        self.n = u.shape[0]
        self.order = np.argsort(u, axis=0, kind="stable").T.copy()  # (runs, toys)
        self.sorted = np.take_along_axis(u, self.order.T, axis=0).T.copy()
        self._p0: dict[int, tuple[int, NDArray[np.int64]]] = {}

    def draws(self, i: int, probabilities: NDArray[np.float64]) -> NDArray[np.int64]:
        """Counts of run ``i`` drawn from ``probabilities`` (``n = 0 .. size - 1``)."""
        found = np.searchsorted(np.cumsum(probabilities), self.sorted[i], side="left")
        out = np.empty(self.n, dtype=np.int64)
        out[self.order[i]] = found
        return np.minimum(out, probabilities.size - 1)

    def background_draws(self, i: int, log_p0: NDArray[np.float64]) -> NDArray[np.int64]:
        """Background-only counts of run ``i`` (``log_p0``: a prefix of its memoised table)."""
        entry = self._p0.get(i)
        if entry is None or entry[0] < log_p0.size:
            entry = (log_p0.size, self.draws(i, np.exp(log_p0)))
            self._p0[i] = entry
        return np.minimum(entry[1], log_p0.size - 1)


def _cls_toys(
    runs: Sequence[Run], fractions: NDArray[np.float64], s_tot: float, toys: _Toys
) -> float:
    if s_tot <= 0.0:
        return 1.0
    t_s = np.zeros(toys.n)
    t_0 = np.zeros(toys.n)
    t_obs = 0.0
    for i, (run, f) in enumerate(zip(runs, fractions, strict=True)):
        p_s, log_p0, t = _tables(run, s_tot * float(f))
        t_obs += float(t[run.n_obs])
        t_s += t[toys.draws(i, p_s)]
        t_0 += t[toys.background_draws(i, log_p0)]
    cut = t_obs + _TIE * (1.0 + abs(t_obs))
    clsb = float(np.count_nonzero(t_s <= cut))
    # an empty background-only tail would give 0/0: count it as one toy (conservative)
    clb = float(max(int(np.count_nonzero(t_0 <= cut)), 1))
    return min(clsb / clb, 1.0)


def _grid_size(runs: Sequence[Run], fractions: NDArray[np.float64], s_tot: float) -> float:
    """Cells of the joint outcome grid (the product of the :func:`pmf_table` lengths), O(1)."""
    size = 1.0
    for run, f in zip(runs, fractions, strict=True):
        n_s, n_b = count_range(s_tot * float(f), max(run.b, _B_FLOOR), run.sigma_b,
                               run.sigma_s_rel, tail=_TAIL)
        size *= float(max(n_s + n_b, run.n_obs) + 1)
    return size


def pooled_run(runs: Sequence[Run], *, correlated: bool = False) -> Run:
    """The pooled counting experiment ``n = sum_i n_i`` of ``runs`` (module docstring).

    Its expected signal is the total ``S`` and its background ``b = sum_i b_i``.  With
    ``correlated=True`` the common scales are kept (``sigma_b = rho_b b``, ``sigma_s_rel =
    rho_s``: the exact model of the sum); otherwise the independent Gamma priors are summed
    by their moments: ``sigma_b**2 = sum_i sigma_b_i**2`` and ``sigma_s_rel**2 = sum_i
    (f_i sigma_s_rel_i)**2`` with the signal fractions ``f_i``.
    """
    rl, frac = _validated(runs)
    n = sum(r.n_obs for r in rl)
    b = math.fsum(r.b for r in rl)
    if correlated:
        rho_b, rho_s = common_widths(rl)
        sb, ss = rho_b * b, rho_s
    else:
        sb = math.sqrt(math.fsum(r.sigma_b**2 for r in rl))
        ss = math.sqrt(math.fsum((float(f) * r.sigma_s_rel) ** 2
                                 for r, f in zip(rl, frac, strict=True)))
    try:
        return Run(n, b, sb, sigma_s_rel=ss, name="pooled")
    except InputError as err:  # a sum beyond the accepted counts
        raise InputError("runs", f"the pooled runs are out of range: {err}") from None


def _pooled_limit(runs: Sequence[Run], cl: float, correlated: bool) -> float:
    from .limits import upper_limit

    p = pooled_run(runs, correlated=correlated)
    try:
        return upper_limit(p.n_obs, p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel, cl=cl)
    except InputError as err:
        raise InputError("runs", f"the pooled runs are out of range: {err}") from None


def _validated(runs: Sequence[Run]) -> tuple[list[Run], NDArray[np.float64]]:
    rl = list(runs)
    if not rl:
        raise InputError("runs", "must contain at least one run")
    for r in rl:
        if not isinstance(r, Run):
            raise InputError("runs", f"items must be na64.stats.Run, got {type(r).__name__}")
    w = np.array([r.weight for r in rl], dtype=np.float64)
    return rl, w / np.sum(w)


def combined_cls(
    s_tot: float,
    runs: Sequence[Run],
    *,
    method: CombineMethod = "exact",
    n_toys: int = 100_000,
    rng: np.random.Generator | None = None,
    correlated: bool = False,
) -> float:
    """CLs of a total-signal hypothesis ``s_tot`` for the combination of ``runs``.

    Parameters
    ----------
    s_tot
        Total expected signal ``S >= 0`` summed over runs.
    runs
        The runs, see :class:`Run`.
    method
        ``"exact"`` (enumeration) or ``"toys"``; ``"auto"`` is treated as ``"exact"`` here.
    n_toys, rng
        Pseudo-experiments for ``"toys"`` (default generator: ``SeedSequence(0)``).
    correlated
        One common background scale and one common signal scale for all runs (see
        :mod:`na64.stats.correlated`; exact enumeration only).

    Returns
    -------
    float
        CLs in ``[0, 1]``.
    """
    rl, frac = _validated(runs)
    s = check_nonneg(s_tot, "s_tot")
    if correlated:
        if method == "toys":
            raise InputError("method", "correlated=True is evaluated by exact enumeration only")
        return cls_exact_correlated(rl, frac, s)
    try:
        if method == "toys":
            gen = rng if rng is not None else np.random.default_rng(np.random.SeedSequence(0))
            return _cls_toys(rl, frac, s, _Toys(gen.random((n_toys, len(rl)))))
        return _cls_exact(rl, frac, s)
    except _TooLarge:
        from ._checks import EXACT_MAX_COUNT
        from .limits import cls_value

        p = pooled_run(rl)
        if p.n_obs > EXACT_MAX_COUNT:
            raise InputError("runs", f"too large for the exact CLs: the runs' count tables "
                                     f"exceed {MAX_RUN_COUNTS} entries and their pooled count "
                                     f"{p.n_obs} exceeds {EXACT_MAX_COUNT}") from None
        return float(cls_value(s, p.n_obs, p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel)[()])


def combined_upper_limit(
    runs: Sequence[Run],
    *,
    cl: float = 0.90,
    method: CombineMethod = "auto",
    max_cells: int = 2_000_000,
    n_toys: int = 100_000,
    rng: np.random.Generator | None = None,
    correlated: bool = False,
) -> float:
    """CLs upper limit on the total expected signal ``S`` of several combined runs.

    Parameters
    ----------
    runs
        Sequence of :class:`Run` (``n_obs``, ``b``, ``sigma_b``, ``weight``, ``sigma_s_rel``).
    cl
        Confidence level in ``(0, 1)``.
    method
        ``"exact"``: enumerate every outcome; ``"toys"``: pseudo-experiments; ``"auto"``
        (default): exact when the outcome grid has at most ``max_cells`` cells at twice the
        first bracket of the root, else each hypothesis exactly where its own grid has at
        most ``max_cells`` cells and with toys beyond.  Beyond the
        table limits of the module docstring ("Bounded cost") every method is replaced by the
        exact limit of the pooled count (:func:`pooled_run`).
    max_cells
        Largest enumeration grid for ``"auto"``.
    n_toys
        Pseudo-experiments per hypothesis for ``"toys"`` (statistical precision of CLs about
        ``sqrt(CLs/n_toys/CL_b)``).
    rng
        Generator for the toys; one block of uniforms is drawn from it and reused for every
        ``S`` (common random numbers).  Default: ``default_rng(SeedSequence(0))``.
    correlated
        ``False`` (default): independent nuisances per run.  ``True``: one common background
        scale (all runs must share ``sigma_b / b``) and one common signal scale (same
        ``sigma_s_rel``), e.g. a background estimated per EOT once for all runs; evaluated by
        exact enumeration with Gauss quadrature (:mod:`na64.stats.correlated`).

    Returns
    -------
    float
        ``S_up``; the limit of run ``i`` alone on its own signal is ``S_up * w_i / sum(w)``.

    Examples
    --------
    >>> runs = [Run(0, 0.2, weight=1.0), Run(0, 0.3, weight=2.0)]
    >>> round(combined_upper_limit(runs), 3)  # zero events: ln(10) for any b
    2.303
    """
    rl, frac = _validated(runs)
    alpha = 1.0 - check_cl(cl)
    if method not in ("auto", "exact", "toys"):
        raise InputError("method", f"must be 'auto', 'exact' or 'toys'; got {method!r}")
    if int(n_toys) < 100:
        raise InputError("n_toys", f"must be >= 100, got {n_toys}")
    n_tot = sum(r.n_obs for r in rl)
    b_tot = sum(r.b for r in rl)
    sb_tot = math.sqrt(sum(r.sigma_b**2 for r in rl))
    ss_max = max(r.sigma_s_rel for r in rl)
    hi = (3.0 + n_tot + 3.0 * math.sqrt(n_tot + b_tot) + 3.0 * sb_tot) * (1.0 + 10.0 * ss_max)
    rtol = 1e-10  # root tolerance of the exact CLs; the toys' step function: _TOY_RTOL
    mixed = False  # "auto" with hypotheses beyond the enumeration grid

    if correlated:
        if method == "toys":
            raise InputError("method", "correlated=True is evaluated by exact enumeration only")
        common_widths(rl)  # validate before root finding

        def cls(x: float) -> float:
            return cls_exact_correlated(rl, frac, x)

    elif method == "toys":
        gen = rng if rng is not None else np.random.default_rng(np.random.SeedSequence(0))
        u = _Toys(gen.random((int(n_toys), len(rl))))
        rtol = _TOY_RTOL

        def cls(x: float) -> float:
            return _cls_toys(rl, frac, x, u)
    elif method == "auto" and _grid_size(rl, frac, 2.0 * hi) > max_cells:
        mixed = True
        # The bracket's upper end is generous (a 50 % signal uncertainty multiplies it by 6)
        # while the limit usually lies where the grid is small.  Each hypothesis is evaluated
        # exactly where its grid has at most max_cells cells, with toys (drawn once, on first
        # need) only beyond.  Toys at every hypothesis made an expected band of two such runs
        # take minutes.
        # The first bracket is lowered (halved) into the exact range if it reaches it, from
        # where the loop below widens it as needed.
        toys: list[_Toys] = []
        for k in range(1, 21):
            if _grid_size(rl, frac, hi * 0.5**k) <= max_cells:
                hi *= 0.5**k
                break

        def cls(x: float) -> float:
            if _grid_size(rl, frac, x) <= max_cells:
                return _cls_exact(rl, frac, x)
            if not toys:
                gen = rng if rng is not None else np.random.default_rng(np.random.SeedSequence(0))
                toys.append(_Toys(gen.random((int(n_toys), len(rl)))))
            return _cls_toys(rl, frac, x, toys[0])
    else:

        def cls(x: float) -> float:
            return _cls_exact(rl, frac, x)

    lo = 0.0
    try:
        for _ in range(200):
            if cls(hi) < alpha:
                break
            lo, hi = hi, 2.0 * hi
        else:  # pragma: no cover - CLs -> 0 as S -> inf
            raise RuntimeError("combined_upper_limit: failed to bracket the root")
        if not mixed:
            return float(brentq(lambda x: cls(x) - alpha, lo, hi, xtol=1e-9, rtol=rtol))
        # exact and toy hypotheses: the root to the toys' resolution first (each toy CLs
        # costs the pmf tables of its hypothesis), then, where the root lies in the exact
        # range, refined there to the exact tolerance
        root = float(brentq(lambda x: cls(x) - alpha, lo, hi, xtol=1e-9, rtol=_TOY_RTOL))
        a, b = root * (1.0 - 3.0 * _TOY_RTOL), root * (1.0 + 3.0 * _TOY_RTOL)
        if (_grid_size(rl, frac, b) <= max_cells and cls(a) >= alpha > cls(b)):
            root = float(brentq(lambda x: cls(x) - alpha, a, b, xtol=1e-9, rtol=rtol))
        return root
    except _TooLarge:
        return _pooled_limit(rl, cl, False)


#: Relative tolerance of the limit's root search with pseudo-experiments.  With common random
#: numbers the toy CLs is a step function of ``S`` whose steps carry its statistical error
#: (a CLs of 0.1 from 5000 toys: ~1.4%, i.e. ~1% in ``S_up``); resolving where it crosses
#: ``1 - cl`` to 1e-4 of ``S`` (a hundredth of that error) takes ~15 evaluations instead of
#: the ~37 of the exact path's 1e-10.
_TOY_RTOL = 1e-4


#: Probability resolution of the enumerated background-only outcomes in
#: :func:`combined_expected_limits`: outcomes are kept, most probable first, until their total
#: probability reaches ``1 - _OUTCOME_MASS``; the rest is counted as limits above every kept one.
_OUTCOME_MASS = 1e-3


def _weighted_lower_quantiles(
    values: NDArray[np.float64], weights: NDArray[np.float64]
) -> dict[str, float]:
    from .expected import BAND_PROBABILITIES

    order = np.argsort(values, kind="stable")
    v = values[order]
    cum = np.cumsum(weights[order])
    out: dict[str, float] = {}
    for key, p in BAND_PROBABILITIES.items():
        # smallest limit L with P(limit <= L) >= p; the unkept mass sits above all of them
        idx = int(np.searchsorted(cum, p * (1.0 - 1e-12), side="left"))
        out[key] = float(v[min(idx, v.size - 1)])
    return out


def combined_expected_limits(
    runs: Sequence[Run],
    *,
    cl: float = 0.90,
    method: CombineMethod = "auto",
    max_outcomes: int = 400,
    n_outcomes: int = 300,
    rng: np.random.Generator | None = None,
    correlated: bool = False,
    n_toys: int = 100_000,
    max_cells: int = 2_000_000,
) -> dict[str, float]:
    """Expected combined limit: median and ±1σ, ±2σ bands under background only.

    The observed counts of ``runs`` are ignored.  The background-only outcomes
    ``(n_1, ..., n_K)`` are enumerated with their exact probabilities, most probable first,
    until they hold ``1 - 1e-3`` of the probability, and :func:`combined_upper_limit` is
    computed for each; the band edges are the lower quantiles (smallest ``L`` with
    ``P(S_up <= L) >= p``, ``p = Phi(-2), Phi(-1), 1/2, Phi(1), Phi(2)``) of this discrete
    distribution, the unlisted ``1e-3`` counted above every listed limit (so each quantile is
    exact up to a shift of at most ``1e-3`` in probability).  When more than ``max_outcomes``
    outcomes would be needed (large backgrounds), ``n_outcomes`` outcomes are drawn at random
    instead (Monte Carlo quantiles; their precision is that of ``n_outcomes`` samples).

    Parameters
    ----------
    runs
        The runs (backgrounds, uncertainties, weights).
    cl, method
        As in :func:`combined_upper_limit`.
    max_outcomes
        Largest number of enumerated outcomes.
    n_outcomes
        Number of sampled outcomes in the Monte Carlo fallback.
    rng
        Generator for the fallback and for toys (default ``default_rng(SeedSequence(0))``).
    correlated
        Common nuisance scales, as in :func:`combined_upper_limit`; the background-only
        outcome probabilities are then the correlated joint ones.
    n_toys, max_cells
        Passed to :func:`combined_upper_limit` for each outcome (fewer toys make a band
        of large-background channels affordable; the toy error of each CLs is about
        ``sqrt(CLs / n_toys / CL_b)``).

    Returns
    -------
    dict
        ``{"m2", "m1", "median", "p1", "p2"}`` -> expected ``S_up``.
    """
    rl, _ = _validated(runs)
    check_cl(cl)
    if int(max_outcomes) < 1 or int(n_outcomes) < 10:
        raise InputError("max_outcomes", "max_outcomes must be >= 1 and n_outcomes >= 10")
    gen = rng if rng is not None else np.random.default_rng(np.random.SeedSequence(0))
    lengths = [count_range(0.0, r.b, r.sigma_b, 0.0, tail=1e-9)[1] + 1 for r in rl]
    if correlated:
        rho_b, _ = common_widths(rl)
        work = math.prod(lengths) * N_NODES
        if work > CORRELATED_MAX_WORK:
            raise InputError("runs", f"correlated combination too large for exact enumeration "
                                     f"({float(work):.3g} > {CORRELATED_MAX_WORK:.3g} grid x "
                                     "node evaluations); use correlated=False")
    elif max(lengths) > MAX_RUN_COUNTS:
        # a background range beyond any table: the bands of the pooled count, as the limit
        from .expected import expected_limits

        p = pooled_run(rl)
        try:
            return expected_limits(p.b, p.sigma_b, sigma_s_rel=p.sigma_s_rel, cl=cl)
        except InputError as err:
            raise InputError("runs", f"the pooled runs are out of range: {err}") from None
    tables = [pmf_table(0.0, r.b, r.sigma_b, 0.0, tail=1e-9) for r in rl]
    size = math.prod(t.size for t in tables)
    outcomes: NDArray[np.int64] | None = None
    probs: NDArray[np.float64] | None = None
    if correlated:
        joint = joint_background_pmf(rl, [t.size for t in tables], rho_b)
        order = np.argsort(joint)[::-1]
        cum = np.cumsum(joint[order])
        k = min(int(np.searchsorted(cum, 1.0 - _OUTCOME_MASS, side="left")) + 1, joint.size)
        if k > max_outcomes:
            raise InputError(
                "max_outcomes", f"correlated expected limits need {k} outcomes > {max_outcomes}"
            )
        keep = order[:k]
        outcomes = np.stack(np.unravel_index(keep, [t.size for t in tables]), axis=1)
        probs = joint[keep]
    elif size <= 2_000_000:
        joint = np.ones(1)
        for tab in tables:
            joint = (joint[:, None] * tab[None, :]).ravel()
        order = np.argsort(joint)[::-1]
        cum = np.cumsum(joint[order])
        k = int(np.searchsorted(cum, 1.0 - _OUTCOME_MASS, side="left")) + 1
        if k <= max_outcomes:
            keep = order[:k]
            outcomes = np.stack(np.unravel_index(keep, [t.size for t in tables]), axis=1)
            probs = joint[keep]
    if outcomes is None or probs is None:
        draws = [
            np.minimum(np.searchsorted(np.cumsum(t), gen.random(int(n_outcomes))), t.size - 1)
            for t in tables
        ]
        outcomes = np.stack(draws, axis=1)
        probs = np.full(int(n_outcomes), 1.0 / int(n_outcomes))
    cache: dict[tuple[int, ...], float] = {}
    limits = np.empty(len(outcomes))
    for i, row in enumerate(outcomes):  # a few hundred distinct outcomes, not events
        key = tuple(int(x) for x in row)
        if key not in cache:
            pseudo = [replace(r, n_obs=n) for r, n in zip(rl, key, strict=True)]
            cache[key] = combined_upper_limit(
                pseudo, cl=cl, method=method, rng=gen, correlated=correlated, n_toys=n_toys,
                max_cells=max_cells,
            )
        limits[i] = cache[key]
    return _weighted_lower_quantiles(limits, probs)
