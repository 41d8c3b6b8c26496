"""The invisible-mode search end to end: signal, background, limits (``na64 reach invisible``).

:func:`run_invisible` runs, for a list of masses,

* the signal chain of :class:`na64.reach.Search` (forced emission off every shower e±,
  event pipeline, selection) → yield per EOT at unit coupling;
* the background sources of the analysis (:mod:`na64.background`) → expected events per EOT
  with an uncertainty, per source;
* the statistics of :mod:`na64.stats`: the CLs upper limit S_up on the total signal count of
  the combined runs (each run weighted by its EOT), expected limits with ±1σ/±2σ bands,
  projections to larger exposures (:func:`na64.stats.projected_limits`) and the limit on the
  coupling, ε_90(m) = sqrt(S_up / N_sig(m, ε = 1)) (:func:`na64.stats.exclusion_eps`),
  because the invisible yield scales as ε² (A' → χχ̄ dominates when α_D ≫ ε² α), and
  y = ε² α_D (m_χ/m_A')⁴ (:func:`na64.stats.eps_to_y`; arXiv:1906.00176, Eq. (2);
  arXiv:1505.00011);
* the N−1 distributions of every cut (:mod:`na64.reach.nminus1`).

Seed layout: of ``SeedSequence(seed).spawn(len(masses) + 2)``, child ``i`` is mass ``i``,
child ``len(masses)`` the background and the last the N−1 samples: the result does not depend
on the executor or the number of workers, and the Python API gives what the CLI writes.
Because each piece has its own stream, a job is a plan of independent tasks
(:func:`plan_invisible`: the background, one signal point per mass, the N−1 samples) that
any executor may run in any order, alone or with the tasks of other jobs
(:func:`na64.reach.run_positron`), and :meth:`InvisiblePlan.finish` does the statistics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..background import BackgroundEstimate
from ..errors import InputError
from ..models import ModelInfo, model_info
from ..stats import (
    Run,
    combined_expected_limits,
    combined_upper_limit,
    eps_to_y,
    exclusion_band,
    exclusion_eps,
    expected_limits,
    projected_limits,
    upper_limit,
)
from ..stats._checks import MAX_SIGMA_B_REL
from ..units import GeV
from .config import AnalysisConfig, RunConfig
from .in_flight import coupling_grid
from .nminus1 import NMinus1, nminus1_distributions
from .search import Search, SignalPoint

if TYPE_CHECKING:
    from ..run.side import SideJobs

__all__ = ["PROJECTIONS", "InvisiblePlan", "ReachResult", "invisible_task", "plan_invisible",
           "run_invisible", "seed_layout"]

#: Exposures (EOT) of the projections written next to the limits.
PROJECTIONS: dict[str, float] = {"5e12": 5e12, "1e13": 1e13}

_BANDS = ("m2", "m1", "median", "p1", "p2")

log = logging.getLogger(__name__)


@dataclass
class ReachResult:
    """Everything a reach job computed; written out by :mod:`na64.reach.outputs`."""

    config: AnalysisConfig
    runs: tuple[RunConfig, ...]
    masses: np.ndarray
    points: list[SignalPoint]
    background: BackgroundEstimate
    s_up: float
    s_expected: dict[str, float]
    eps_90: np.ndarray
    eps_expected: dict[str, np.ndarray]
    projections: dict[str, np.ndarray]
    seed: int
    elapsed_s: float = 0.0
    relic: dict[str, np.ndarray] = field(default_factory=dict)
    nminus1: NMinus1 | None = None
    warnings: tuple[str, ...] = ()
    version: str = __version__
    #: Further per-mass columns of limits.csv computed after the search (e.g. a combination).
    extra_columns: dict[str, np.ndarray] = field(default_factory=dict)
    #: Notes on those columns, written into summary.json.
    extra_notes: dict[str, str] = field(default_factory=dict)
    #: Upper edge of the excluded band per mass for a model whose boson may decay in flight
    #: (``eps_90`` is then the lower edge; NaN where nothing is excluded or the band has no
    #: upper edge); ``None`` for the dark photon.
    coupling_high: np.ndarray | None = None

    @property
    def model_info(self) -> ModelInfo:
        """Name, coupling (name, unit, label) and parameters of the analysis' model."""
        return model_info(self.config.signal.model)

    @property
    def eot(self) -> float:
        """Total exposure of the runs."""
        return float(sum(r.eot for r in self.runs))

    @property
    def observed(self) -> int:
        """Events observed in the signal box, summed over the runs."""
        return int(sum(r.observed for r in self.runs))

    @property
    def yield_per_eot(self) -> np.ndarray:
        """Selected signal per EOT at ε = 1, per mass."""
        return np.array([p.yield_per_eot for p in self.points])

    def y_of(self, eps: np.ndarray, alpha_d: float | None = None) -> np.ndarray:
        """y = ε² α_D (m_χ/m_A')⁴ for the analysis' mass ratio (arXiv:1906.00176, Fig. 3).

        ``alpha_d`` defaults to the analysis' α_D.  For bremsstrahlung the ε limit does not
        depend on α_D as long as A' → χχ̄ dominates (α_D ≫ ε² α); with annihilation it does,
        through the line shape: pass ``eps_90_for(alpha_d)``.
        """
        sig = self.config.signal
        a_d = sig.alpha_d if alpha_d is None else float(alpha_d)
        return eps_to_y(eps, alpha_d=a_d, mass_ratio=sig.mass_ratio)

    def eps_90_for(self, alpha_d: float) -> np.ndarray:
        """Observed ε_90 for another α_D (the annihilation yield is reweighted; the
        bremsstrahlung yield and S_up do not change)."""
        if np.isclose(alpha_d, self.config.signal.alpha_d):
            return self.eps_90
        n_sig = np.array([p.yield_for_alpha(alpha_d) for p in self.points]) * _effective_eot(
            self.runs)
        return exclusion_eps(self.masses, n_sig, self.s_up).eps


def _effective_eot(runs: Sequence[RunConfig]) -> float:
    """Σ EOT × efficiency scale: the exposure the ε = 1 yield per EOT is multiplied by."""
    return float(sum(r.eot * r.efficiency_scale for r in runs))


def _background(b: float, sigma_b: float) -> tuple[float, float]:
    """(b, σ_b) for the Gamma-prior limit code of :mod:`na64.stats`, which accepts
    σ_b ≤ MAX_SIGMA_B_REL · b.

    A background estimate of (nearly) zero whose uncertainty exceeds that (a zero-pass
    bound) has a prior that keeps all but a vanishing fraction of its mass at ~0 events,
    whatever σ_b: the limit is computed with b ≥ 1e-9 and σ_b = MAX_SIGMA_B_REL · b, which
    moves it by less than 1e-3 (``tests/test_stats_wide_background.py``).  The estimate
    itself, with its full uncertainty, is what the outputs report.
    """
    if sigma_b > MAX_SIGMA_B_REL * b:
        b = max(b, 1e-9)
        return b, min(sigma_b, MAX_SIGMA_B_REL * b)
    return b, sigma_b


def seed_layout(seed: int | np.random.SeedSequence, n_masses: int
                ) -> tuple[list[np.random.SeedSequence], np.random.SeedSequence,
                           np.random.SeedSequence]:
    """The job's random streams: (one per mass, background, N−1 samples)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(n_masses + 2)
    return children[:n_masses], children[n_masses], children[n_masses + 1]


@lru_cache(maxsize=4)
def _search(config: AnalysisConfig) -> Search:
    """One :class:`Search` per analysis and process (setups are parsed once): the
    analysis' own (``make_search``, e.g. :class:`na64.reach.muon_config.MuonSearch`) or the
    electron beam's."""
    make = getattr(config, "make_search", None)
    return make() if make is not None else Search(config)


def _mass_task(args: tuple[float, AnalysisConfig | Search, np.random.SeedSequence, int | None]
               ) -> SignalPoint:
    """Top-level (picklable) task: the signal point of one mass (of the analysis' search, or
    of the given :class:`Search`)."""
    mass, config, seq, n_events = args
    search = config if isinstance(config, Search) else _search(config)
    return search.signal_point(mass, np.random.default_rng(seq), n_events=n_events)


def _background_task(args: tuple[AnalysisConfig | Search, np.random.SeedSequence, int | None]
                     ) -> BackgroundEstimate:
    """Top-level (picklable) task: the background sources of the analysis, from their own
    stream of the seed layout."""
    config, seq, n_events = args
    search = config if isinstance(config, Search) else _search(config)
    return search.background(np.random.default_rng(seq), n_events=n_events)


def _nminus1_task(args: tuple[AnalysisConfig | Search, np.ndarray, np.random.SeedSequence,
                              int, int]) -> NMinus1:
    """Top-level (picklable) task: the N−1 distributions, from their own stream."""
    config, masses, seq, n_signal, n_background = args
    search = config if isinstance(config, Search) else _search(config)
    return nminus1_distributions(search, masses, seq, n_signal=n_signal,
                                 n_background=n_background)


_TASKS: dict[str, Callable[[Any], Any]] = {
    "background": _background_task, "mass": _mass_task, "nminus1": _nminus1_task}


def invisible_task(task: tuple[str, Any]) -> Any:
    """Run one task of an :class:`InvisiblePlan` (top level, so any executor can run it):
    ``("background" | "mass" | "nminus1", args)``."""
    kind, args = task
    return _TASKS[kind](args)


@dataclass
class InvisiblePlan:
    """The independent pieces of one invisible-mode job and how they make its result.

    ``tasks`` are ``(kind, args)`` for :func:`invisible_task`: the background first, one
    signal point per mass, the N−1 samples last; each draws from its own stream of
    :func:`seed_layout`, so they may run in any order, on any executor, together with the
    tasks of other jobs (:func:`na64.reach.run_positron` runs the tasks of all its beam
    energies at once), and :meth:`finish` gives what :func:`run_invisible` gives.
    """

    config: AnalysisConfig
    runs: tuple[RunConfig, ...]
    masses: np.ndarray
    seed: int
    tasks: list[tuple[str, Any]]
    projections: dict[str, float] | None = None
    t0: float = field(default_factory=time.perf_counter)

    def finish(self, results: Sequence[Any]) -> ReachResult:
        """The result from the tasks' results (same order as :attr:`tasks`)."""
        if len(results) != len(self.tasks):
            raise ValueError(f"{len(self.tasks)} task results expected, got {len(results)}")
        background = nm1 = None
        points: list[SignalPoint] = []
        for (kind, _), r in zip(self.tasks, results, strict=True):
            if kind == "background":
                background = r
            elif kind == "nminus1":
                nm1 = r
            else:
                points.append(r)
        if background is None:
            raise ValueError("the plan has no background task")
        return _limits(self.config, self.runs, self.masses, points, background, nm1,
                       seed=self.seed, t0=self.t0, projections=self.projections)


def plan_invisible(
    config: AnalysisConfig,
    masses: Sequence[float] | np.ndarray,
    *,
    seed: int = 1,
    runs: Sequence[RunConfig] | None = None,
    events_per_mass: int | None = None,
    background_events: int | None = None,
    nminus1: bool = True,
    projections: dict[str, float] | None = None,
    search: Search | None = None,
) -> InvisiblePlan:
    """Check the input of an invisible-mode job and list its tasks (see
    :func:`run_invisible` for the parameters and :class:`InvisiblePlan`)."""
    t0 = time.perf_counter()
    m = np.asarray(masses, dtype=float).ravel()
    if m.size == 0:
        raise InputError("masses", "no masses given")
    if np.any(~np.isfinite(m)) or np.any(m <= 0) or np.any(m >= config.energy):
        raise InputError("masses", f"every mass must be in (0, {config.energy / GeV:g} GeV) "
                                     "(below the beam energy)")
    run_list = tuple(runs) if runs is not None else config.runs
    if not run_list:
        raise InputError("runs", "at least one run is needed")
    mass_seqs, bkg_seq, nm1_seq = seed_layout(seed, m.size)
    own = search is None
    search = _search(config) if search is None else search
    if search.in_flight:
        for mi in m:  # every mass must make a valid model before any simulation
            try:
                search.model(float(mi))
            except InputError as exc:
                raise InputError("masses", f"{mi / GeV:g} GeV: {exc.message}") from None
    task_of: AnalysisConfig | Search = config if own else search
    tasks: list[tuple[str, Any]] = [("background", (task_of, bkg_seq, background_events))]
    tasks += [("mass", (float(mi), task_of, mass_seqs[i], events_per_mass))
              for i, mi in enumerate(m)]
    if nminus1:
        tasks.append(("nminus1", (task_of, m, nm1_seq,
                                  min(events_per_mass or config.signal.events_per_mass, 3000),
                                  background_events or config.background.events)))
    return InvisiblePlan(config=config, runs=run_list, masses=m, seed=seed, tasks=tasks,
                         projections=projections, t0=t0)


def run_invisible(
    config: AnalysisConfig,
    masses: Sequence[float] | np.ndarray,
    *,
    seed: int = 1,
    runs: Sequence[RunConfig] | None = None,
    events_per_mass: int | None = None,
    background_events: int | None = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    nminus1: bool = True,
    projections: dict[str, float] | None = None,
    search: Search | None = None,
    side: SideJobs | None = None,
) -> ReachResult:
    """Compute the 90% CL reach of the invisible-mode search.

    Parameters
    ----------
    config
        The analysis (setup, beam, cuts, runs).
    masses
        A' masses (MeV), each in (0, E_beam).
    seed
        Master seed (see :func:`seed_layout`).
    runs
        Override the analysis' runs (e.g. one run with a user-given EOT).
    events_per_mass
        Biased signal events per mass (default from the analysis file's
        ``[signal] events_per_mass``).
    background_events
        Events simulated per background source (default from the analysis file's
        ``[background] events``).
    executor
        A :mod:`na64.run.executors` executor for the mass points, the background and the
        N−1 samples (default: in process).  With a given ``search`` only the mass points
        go to the executor (the search may record what it computes in this process).
    progress
        Called as ``progress(done, total)`` after each completed step.
    nminus1
        Also compute the N−1 distributions (:func:`na64.reach.nminus1.nminus1_distributions`).
    projections
        Exposures of the projected limits, label → EOT (default :data:`PROJECTIONS`).
    search
        The :class:`Search` that makes the signal points and the background (default: the
        analysis' own; :mod:`na64.reach.samples` passes one that records or reuses samples).
    side
        A worker beside this process (:class:`na64.run.side.SideJobs`) that shares the
        tasks with it when there is no executor (with the analysis' own search only):
        the worker takes them from the front (the background first), this process from the
        back; the result is the same as in process (each task has its own stream).
    """
    plan = plan_invisible(config, masses, seed=seed, runs=runs,
                          events_per_mass=events_per_mass,
                          background_events=background_events, nminus1=nminus1,
                          projections=projections, search=search)
    n = len(plan.tasks)
    results: list[Any] = [None] * n
    done = 0

    def store(i: int, r: Any) -> None:
        nonlocal done
        results[i] = r
        done += 1
        if progress:
            progress(done, n)

    if executor is None and side is not None and search is None:
        # the side worker from the front of the list (background first), this process from
        # the back (N-1, the last masses)
        for i, r in side.map_unordered(invisible_task, plan.tasks):
            store(i, r)
    elif executor is None:
        for i, t in enumerate(plan.tasks):
            store(i, invisible_task(t))
    elif search is None:
        for i, r in executor.map_unordered(invisible_task, plan.tasks):
            store(i, r)
    else:  # the given search stays in this process; only the mass points leave it
        mass_index = [i for i, (k, _) in enumerate(plan.tasks) if k == "mass"]
        others = [i for i, (k, _) in enumerate(plan.tasks) if k != "mass"]
        store(others[0], invisible_task(plan.tasks[others[0]]))  # the background first
        for j, r in executor.map_unordered(invisible_task,
                                           [plan.tasks[i] for i in mass_index]):
            store(mass_index[j], r)
        for i in others[1:]:
            store(i, invisible_task(plan.tasks[i]))
    return plan.finish(results)


def _limits(config: AnalysisConfig, run_list: tuple[RunConfig, ...], m: np.ndarray,
            pts: list[SignalPoint], background: BackgroundEstimate, nm1: NMinus1 | None, *,
            seed: int, t0: float, projections: dict[str, float] | None) -> ReachResult:
    """The statistics of an invisible-mode job from its background and signal points."""
    # -- statistics ----------------------------------------------------------------------
    # One setup and one selection: run i expects n_i ~ Poisson(f_i (a_i S + B)) with
    # f_i = EOT_i / EOT and a_i its efficiency scale.  With equal scales the total count is
    # a sufficient statistic and the combination is exactly the counting experiment on the
    # pooled runs (common, fully correlated background and signal-yield uncertainties).
    # Otherwise the runs are combined with the joint likelihood-ratio CLs of na64.stats
    # (common background and signal scales: correlated=True).
    sig_rel = config.signal.yield_rel_uncertainty
    eot = float(sum(r.eot for r in run_list))
    n_obs = int(sum(r.observed for r in run_list))
    eff_eot = _effective_eot(run_list)
    scales = {r.efficiency_scale for r in run_list}
    if len(scales) == 1:
        b_tot, sb_tot = _background(*background.events(eot))
        s_up = upper_limit(n_obs, b_tot, sb_tot, sigma_s_rel=sig_rel)
        s_exp = expected_limits(b_tot, sb_tot, sigma_s_rel=sig_rel)
    else:
        stat_runs = []
        for r in run_list:
            b_i, sb_i = _background(*background.events(r.eot))
            stat_runs.append(Run(r.observed, b_i, sb_i, weight=r.eot * r.efficiency_scale,
                                 sigma_s_rel=sig_rel, name=r.name))
        try:
            s_up = combined_upper_limit(stat_runs, correlated=True)
            s_exp = combined_expected_limits(stat_runs, correlated=True)
        except InputError:
            # exact enumeration too large (σ_b ≫ b gives Gamma priors with very long
            # tails): per-run nuisances instead (na64.stats, correlated=False)
            s_up = combined_upper_limit(stat_runs, correlated=False)
            s_exp = combined_expected_limits(stat_runs, correlated=False)
    b_per, sb_per = background.per_eot, background.per_eot_unc
    s_proj: dict[str, tuple[float, float]] = {}
    for label, eot_p in (PROJECTIONS if projections is None else projections).items():
        b_p, sb_p = _background(b_per * eot_p, sb_per * eot_p)
        s_p = projected_limits(eot_p, b_p / eot_p, sb_p / b_p if b_p > 0 else 0.0,
                               sigma_s_rel=sig_rel)["median"]
        s_proj[label] = (float(eot_p), float(s_p))
    coupling_high = None
    if pts and pts[0].in_flight is not None:
        eps_90, coupling_high, eps_exp, proj = _in_flight_limits(pts, eff_eot, s_up, s_exp,
                                                                 s_proj)
    else:
        n_sig = np.array([p.yield_per_eot for p in pts]) * eff_eot
        eps_90 = exclusion_eps(m, n_sig, s_up).eps
        eps_exp = {k: exclusion_eps(m, n_sig, s_exp[k]).eps for k in _BANDS}
        proj = {label: exclusion_eps(m, np.array([p.yield_per_eot for p in pts]) * eot_p,
                                     s_p).eps
                for label, (eot_p, s_p) in s_proj.items()}
    warnings = _warnings(config, pts)
    for w in warnings:
        log.warning("%s", w)
    return ReachResult(
        config=config, runs=run_list, masses=m, points=pts, background=background, s_up=s_up,
        s_expected=s_exp, eps_90=eps_90, eps_expected=eps_exp, projections=proj, seed=seed,
        elapsed_s=time.perf_counter() - t0, nminus1=nm1, warnings=warnings,
        coupling_high=coupling_high,
    )


def _in_flight_limits(points: Sequence[SignalPoint], eff_eot: float, s_up: float,
                      s_exp: dict[str, float], s_proj: dict[str, tuple[float, float]]
                      ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray],
                                 dict[str, np.ndarray]]:
    """Excluded couplings of a model whose boson may decay in flight: per mass, the band
    {g : N(g) ≥ S} on a coupling grid (:func:`na64.stats.exclusion_band`) for the observed
    limit, each expected quantile and each projection.  Returns (lower edges, upper edges
    of the observed band, expected lower edges, projected lower edges); NaN where nothing
    is excluded, and an upper edge of NaN where the band reaches the model's largest
    coupling (no upper edge)."""
    n = len(points)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    exp = {k: np.full(n, np.nan) for k in s_exp}
    proj = {k: np.full(n, np.nan) for k in s_proj}
    for i, p in enumerate(points):
        sig = p.in_flight
        if sig is None:
            continue
        exposures = [eff_eot, *(e for e, _ in s_proj.values())]
        s_min = min([s_up, *s_exp.values(), *(s for _, s in s_proj.values())])
        grid = coupling_grid(sig, s_min, max(exposures))
        y = sig.yield_per_eot(grid)
        band = exclusion_band(grid, y * eff_eot, s_up)
        low[i] = band.low[0]
        if np.isfinite(band.high[0]) and band.high[0] < grid[-1]:
            high[i] = band.high[0]
        for k, s in s_exp.items():
            exp[k][i] = exclusion_band(grid, y * eff_eot, s).low[0]
        for k, (eot_p, s) in s_proj.items():
            proj[k][i] = exclusion_band(grid, y * eot_p, s).low[0]
    return low, high, exp, proj


def _warnings(config: AnalysisConfig, points: Sequence[SignalPoint]) -> tuple[str, ...]:
    """What a user must be told about a result that is formally valid but empty."""
    empty = [p for p in points if p.yield_per_eot <= 0]
    if not empty:
        return ()
    if len(empty) == len(points):
        last = _first_empty_cut(points[0])
        return (f"the selection keeps no signal event at any mass (every event fails at "
                f"'{last}'): no limit, epsilon_90cl = 1 everywhere; check the [selection] "
                f"values of analysis {config.name!r} against its beam energy "
                f"({config.energy / GeV:g} GeV)",)
    masses = ", ".join(f"{p.mass / GeV:.3g}" for p in empty[:5])
    return (f"no selected signal at {len(empty)} of {len(points)} masses ({masses} GeV"
            f"{', ...' if len(empty) > 5 else ''}): epsilon_90cl = 1 (no limit) there",)


def _first_empty_cut(point: SignalPoint) -> str:
    """The first cut after which no weighted signal is left."""
    for name, w, _ in point.cutflow:
        if w <= 0:
            return name
    return "the last cut"
