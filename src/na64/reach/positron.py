"""The positron-beam search end to end: runs at several beam energies, one limit
(``na64 reach positron``).

With a positron beam, the beam particle itself annihilates on the atomic electrons of the
target, e+ e- → A' → χχ̄, when its energy sweeps through E_R = m_A'²/(2 m_e) − m_e while it
showers; the missing energy of such an event is the energy of the annihilating positron,
so the signal peaks at E_miss ≈ E_R (arXiv:1807.05884; NA64 100 GeV e+: arXiv:2308.15612;
70 GeV: arXiv:2502.04053).  Shower positrons and dark bremsstrahlung of every e± add a
smooth component.  A beam energy E0 with the box E_ECAL < f E0 is sensitive to the
resonance for sqrt(2 m_e (1−f) E0) ≲ m_A' ≲ sqrt(2 m_e E0); runs at several energies cover
adjacent mass ranges, which is the point of the positron programme.

:func:`run_positron` computes each group of runs (one setup, energy and signal box;
:meth:`~na64.reach.positron_config.PositronAnalysisConfig.groups`) with the invisible-mode
chain (:func:`na64.reach.run_invisible`: the same event pipeline, selection, processes and
background sources, with the positron setup's beam and hadron contamination) and combines
the groups, per mass, with the joint CLs of :func:`na64.reach.combination.combine_channels`.
It also gives the limits from bremsstrahlung alone and annihilation alone, the limits for
other α_D (the annihilation line shape depends on it), and the expected limit of a
projection with ``projection_pot`` positrons at each of the analysis' energies.

Seed layout: ``SeedSequence(seed).spawn(n_groups)``; group ``i`` runs
:func:`~na64.reach.run_invisible` with the integer seed drawn from child ``i``
(``generate_state(1)``), so a result does not depend on the executor or worker count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..stats import eps_to_y
from ..units import GeV
from .combination import Channel, CombinedLimit, combine_channels
from .config import Y_ALPHA_D
from .invisible import ReachResult, invisible_task, plan_invisible
from .positron_config import PositronAnalysisConfig, PositronGroup, PositronRunConfig
from .search import SignalPoint

__all__ = ["PositronResult", "group_seeds", "run_positron"]

log = logging.getLogger(__name__)


@dataclass
class PositronResult:
    """Everything a positron-beam job computed; written by :mod:`na64.reach.positron_outputs`.

    Attributes
    ----------
    config
        The analysis.
    groups, results
        The run groups and the invisible-mode result of each (same order).
    masses
        A' masses (MeV).
    combined
        The joint limit of all groups.
    eps_brem, eps_annihilation
        Observed ε_90 from the bremsstrahlung / annihilation signal alone (all groups).
    eps_alpha
        Observed ε_90 for each α_D of :data:`~na64.reach.config.Y_ALPHA_D`.
    projection
        Expected limit with ``config.projection_pot`` positrons at each group's energy.
    with_electrons
        The combined limit joined with electron-beam channels (``electrons`` of
        :func:`run_positron`), or ``None``.
    """

    config: PositronAnalysisConfig
    groups: list[PositronGroup]
    results: list[ReachResult]
    masses: np.ndarray
    combined: CombinedLimit
    eps_brem: np.ndarray
    eps_annihilation: np.ndarray
    eps_alpha: dict[float, np.ndarray]
    projection: CombinedLimit
    seed: int
    with_electrons: CombinedLimit | None = None
    elapsed_s: float = 0.0
    warnings: tuple[str, ...] = ()
    version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def eps_90(self) -> np.ndarray:
        """Observed combined ε_90 per mass."""
        return self.combined.eps_90

    @property
    def pot(self) -> float:
        """Positrons on target, all runs."""
        return float(sum(g.pot for g in self.groups))

    @property
    def observed(self) -> int:
        """Events observed in the signal boxes, all runs."""
        return int(sum(r.observed for g in self.groups for r in g.runs))

    def y_of(self, eps: np.ndarray, alpha_d: float | None = None) -> np.ndarray:
        """y = ε² α_D (m_χ/m_A')⁴ (arXiv:1906.00176, Fig. 3) for the analysis' mass ratio."""
        sig = self.config.signal
        return eps_to_y(eps, alpha_d=sig.alpha_d if alpha_d is None else alpha_d,
                        mass_ratio=sig.mass_ratio)


def group_seeds(seed: int, n_groups: int) -> list[int]:
    """The integer seed of each run group (see the module's seed layout)."""
    children = np.random.SeedSequence(seed).spawn(n_groups)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def _exposure(group: PositronGroup) -> float:
    """Σ POT × efficiency scale of a group."""
    return float(sum(r.pot * r.efficiency_scale for r in group.runs))


def group_channels(groups: Sequence[PositronGroup], results: Sequence[ReachResult],
                   yields: Callable[[SignalPoint], float]) -> list[Channel]:
    """One :class:`~na64.reach.combination.Channel` per group, with the signal
    ``yields(point) × Σ POT`` at ε = 1."""
    out = []
    for g, r in zip(groups, results, strict=True):
        b, sb = r.background.events(g.pot)
        order = np.argsort(r.masses)
        signal = np.array([yields(p) for p in r.points]) * _exposure(g)
        out.append(Channel(
            name=f"e+ {g.key}", masses=np.asarray(r.masses)[order], signal=signal[order],
            n_obs=int(sum(x.observed for x in g.runs)), b=float(b), sigma_b=float(sb),
            sigma_s_rel=r.config.signal.yield_rel_uncertainty))
    return out


def run_positron(
    config: PositronAnalysisConfig,
    masses: Sequence[float] | np.ndarray,
    *,
    seed: int = 1,
    runs: Sequence[PositronRunConfig] | None = None,
    events_per_mass: int | None = None,
    background_events: int | None = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    nminus1: bool = True,
    electrons: Sequence[Channel] = (),
) -> PositronResult:
    """Compute the 90% CL reach of a positron-beam search at one or several energies.

    Parameters
    ----------
    config
        The positron-beam analysis.
    masses
        A' masses (MeV), each below the lowest beam energy.
    seed
        Master seed (see the module's seed layout).
    runs
        Override the analysis' runs (e.g. one run per ``--energy`` with its ``--pot``).
    events_per_mass, background_events, executor, nminus1
        As for :func:`na64.reach.run_invisible`, applied to every group.
    progress
        Called as ``progress(done, total)`` after each step of every group and after each
        joint limit (the combinations are the last steps).
    electrons
        Channels of electron-beam searches (e.g.
        :func:`~na64.reach.combination.channel_from_output` of a ``na64 reach invisible``
        result) to combine with the positron groups into ``with_electrons``.
    """
    t0 = time.perf_counter()
    m = np.asarray(masses, dtype=float).ravel()
    if m.size == 0:
        raise InputError("masses", "no masses given")
    run_list = tuple(runs) if runs is not None else config.runs
    if not run_list:
        raise InputError("runs", "at least one run is needed")
    if runs is not None:
        config.model_copy(update={"runs": run_list}).check_runs()
    config.check_setups(run_list)
    groups = config.groups(run_list)
    e_low = min(g.energy for g in groups)
    if np.unique(m).size != m.size:
        raise InputError("masses", "masses must be distinct")
    if np.any(~np.isfinite(m)) or np.any(m <= 0) or np.any(m >= e_low):
        raise InputError("masses", f"every mass must be in (0, {e_low / GeV:g} GeV) (below "
                                   "the lowest beam energy)")
    seeds = group_seeds(seed, len(groups))
    plans = [plan_invisible(config.group_analysis(g), m, seed=s,
                            events_per_mass=events_per_mass,
                            background_events=background_events, nminus1=nminus1)
             for g, s in zip(groups, seeds, strict=True)]
    steps = m.size + 1 + int(nminus1)
    n_combinations = 4 + len(Y_ALPHA_D) + int(bool(electrons))
    total = steps * len(groups) + n_combinations
    for g in groups:
        log.info("positron group %s: %d runs, %.3g POT, box E_ECAL < %.3g GeV", g.key,
                 len(g.runs), g.pot, g.ecal_max / GeV)
    # every group's tasks at once: the backgrounds and N-1 samples (the longest tasks)
    # first, then the mass points; each task has its own stream (seed layout above), so
    # the order and the executor do not change the result
    order = sorted(((gi, ti) for gi, p in enumerate(plans) for ti in range(len(p.tasks))),
                   key=lambda k: plans[k[0]].tasks[k[1]][0] == "mass")
    flat = [plans[gi].tasks[ti] for gi, ti in order]
    task_results: list[list[Any]] = [[None] * len(p.tasks) for p in plans]
    done = 0
    stream = (((i, invisible_task(t)) for i, t in enumerate(flat)) if executor is None
              else executor.map_unordered(invisible_task, flat))
    for i, r in stream:
        gi, ti = order[i]
        task_results[gi][ti] = r
        done += 1
        if progress:
            progress(done, total)
    results: list[ReachResult] = [p.finish(r) for p, r in zip(plans, task_results, strict=True)]

    def combine(channels: list[Channel], expected: bool = True) -> CombinedLimit:
        nonlocal done
        out = combine_channels(channels, m, expected=expected, executor=executor)
        done += 1
        if progress:
            progress(done, total)
        return out

    total_signal = group_channels(groups, results, lambda p: p.yield_per_eot)
    combined = combine(total_signal)
    eps_brem = combine(group_channels(groups, results, lambda p: p.brem_yield),
                       expected=False).eps_90
    eps_ann = combine(group_channels(groups, results, lambda p: p.annihilation_yield),
                      expected=False).eps_90
    eps_alpha: dict[float, np.ndarray] = {}
    for a in Y_ALPHA_D:
        def for_alpha(p: SignalPoint, a: float = a) -> float:
            return float(p.yield_for_alpha(a))

        eps_alpha[a] = combine(group_channels(groups, results, for_alpha),
                               expected=False).eps_90
    projection = combine([c.scaled(config.projection_pot / g.pot)
                          for c, g in zip(total_signal, groups, strict=True)])
    with_electrons = None
    if electrons:
        with_electrons = combine([*total_signal, *electrons])
    warnings = tuple(f"{g.key}: {w}" for g, r in zip(groups, results, strict=True)
                     for w in r.warnings)
    return PositronResult(
        config=config.model_copy(update={"runs": run_list}), groups=groups, results=results,
        masses=m, combined=combined, eps_brem=eps_brem, eps_annihilation=eps_ann,
        eps_alpha=eps_alpha, projection=projection, seed=seed, with_electrons=with_electrons,
        elapsed_s=time.perf_counter() - t0, warnings=warnings)
