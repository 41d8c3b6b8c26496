"""The visible-mode search end to end: a boson that leaves the dump and decays to e+e−.

``na64 reach visible`` (:func:`run_visible`) is the invisible search's machinery in another
configuration: the event pipeline of a visible-mode setup (WCAL dump, W2, decay volume,
decay counter, ECAL, HCAL), the same signal processes (dark bremsstrahlung off every e± of
the shower, now in tungsten), the decay in flight of :mod:`na64.generate.visible`, the
visible selection (:func:`na64.select.visible_selection`), the registered background
sources and the statistics of :mod:`na64.stats`.

Signal at one mass (:meth:`VisibleSearch.signal_point`): weighted production at unit
electron coupling, each event with a decay point drawn over the decay region and the
Jacobian of that choice, simulated and selected once.  The yield of the selected events at
any coupling is then exact (:func:`na64.generate.visible.coupling_weights`):

    N(ε) = Σ_runs EOT_r a_r Σ_{i selected} w_i ε² BR_ee e^{−d_i ε²/λ_i} ε²/λ_i J_i,

which vanishes for small ε (few bosons, long-lived) and for large ε (decays in the dump).
With S_up the upper limit on the signal count of the combined runs, the excluded band at
each mass is {ε : N(ε) ≥ S_up} (:func:`na64.stats.exclusion_band`).  Runs at different beam
energies or setups (NA64: 2017 at 100 GeV, 2018 at 150 GeV with a shorter dump) are
simulated separately and their signals add; with zero events in total the pooled counting
experiment is the combination (the total count is sufficient for a common background and
signal-yield uncertainty).

Seed layout: of ``SeedSequence(seed).spawn(n_groups × n_masses + 2)``, child
``g n_masses + i`` is mass i of the g-th (setup, energy) group, then the background and the
N−1 samples.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .._version import __version__
from ..background import BackgroundContext, BackgroundEstimate, estimate_background
from ..background.base import BackgroundSource
from ..constants import M_E
from ..errors import InputError
from ..generate.processes import SignalRequest, get_process
from ..generate.visible import coupling_weights, decay_region, visible_particles
from ..models import Model, make_model, model_info
from ..pipeline import DetectorResponse, EventPipeline
from ..stats import Band, closing_mass, exclusion_band, expected_limits, upper_limit
from ..units import GeV, MeV
from .invisible import _background
from .nminus1 import NMinus1, nminus1_distributions
from .visible_config import VisibleAnalysisConfig, VisibleRunConfig

__all__ = ["PROJECTIONS_VISIBLE", "VisiblePoint", "VisibleResult", "VisibleSearch",
           "run_visible", "visible_seed_layout"]

Events = dict[str, np.ndarray]

#: Exposures (EOT) of the projections written next to the band.
PROJECTIONS_VISIBLE: dict[str, float] = {"5e12": 5e12, "1e13": 1e13}

_BANDS = ("m2", "m1", "median", "p1", "p2")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisiblePoint:
    """The selected signal of one (setup, energy, mass) at unit electron coupling.

    ``weights`` and ``decay`` hold the selected events only (production weight per EOT at
    unit coupling, and the decay columns of :func:`na64.generate.visible.visible_particles`);
    :meth:`yield_per_eot` evaluates them at any coupling.
    """

    mass: float
    energy: float
    setup: str
    e_min: float
    production: float
    n_events: int
    weights: np.ndarray
    decay: dict[str, np.ndarray]
    cutflow: list[tuple[str, float, float]] = field(default_factory=list)
    reference_coupling: float = 0.0
    pair_angle_median: float = 0.0
    pair_separation_median: float = 0.0

    def yield_per_eot(self, coupling: float | np.ndarray) -> np.ndarray:
        """Selected signal events per EOT at electron coupling(s) ``coupling``."""
        eps = np.atleast_1d(np.asarray(coupling, dtype=float))
        if self.weights.size == 0:
            return np.zeros(eps.shape)
        # coupling_weights for every coupling at once: (couplings, events)
        dec = {k: np.asarray(v)[None, :] for k, v in self.decay.items()}
        w = coupling_weights(self.weights[None, :], dec, eps[:, None])
        return np.asarray(w.sum(axis=1), dtype=float)


class VisibleSearch:
    """Pipeline, selection, model, processes and backgrounds of one (setup, energy) of a
    visible-mode analysis.

    Parameters
    ----------
    config
        The analysis.
    setup, energy
        The group's setup (name or path) and beam energy (MeV); default the analysis'.
    response
        Detector-response engine (default: the fast simulation).
    """

    def __init__(self, config: VisibleAnalysisConfig, setup: str | None = None,
                 energy: float | None = None, *, response: DetectorResponse | None = None
                 ) -> None:
        self.config = config
        self.energy = float(energy if energy is not None else config.energy)
        self.setup_name = setup or config.setup
        self.pipeline = EventPipeline(
            self.setup_name, {"particle": config.beam, "energy": f"{self.energy / MeV!r}MeV"},
            response=response)
        s = self.pipeline.setup
        if s.wcal is None or s.ecal is None or s.target_name != "wcal":
            raise InputError("setup", f"setup {s.name!r} is not a visible-mode setup: it "
                                      "needs a [wcal] dump in front of an [ecal]")
        self.region = decay_region(s)
        self.selection = config.selection.build(self.energy)
        self.processes = tuple(get_process(p) for p in config.signal.processes)
        self.background_context = BackgroundContext(self.pipeline, self.selection,
                                                     box_cut="ecal_min")

    @property
    def setup(self) -> Any:
        """The detector setup."""
        return self.pipeline.setup

    def model(self, mass: float) -> Model:
        """The analysis' boson at ``mass`` (coupling 1e-4; only mass and width ratios are
        used: the coupling is scanned)."""
        name = self.config.signal.model
        if mass <= 2.0 * M_E:
            raise InputError("masses", f"{mass / MeV:g} MeV is below the e+e- threshold "
                                       "2 m_e = 1.022 MeV: the boson cannot decay visibly")
        if name == "dark-photon":
            return make_model(name, mass=mass, epsilon=1e-4, alpha_D=0.0)
        return make_model(name, mass=mass, coupling=1e-4)

    def e_min(self) -> float:
        """Lowest boson energy that can pass the ECAL threshold: 5 resolution widths below
        it (at least 5% of the beam energy)."""
        cut = self.config.selection.ecal_min
        ecal = self.setup.ecal
        sigma = float(np.sqrt(ecal.stochastic**2 * GeV * cut + (ecal.constant * cut) ** 2))
        return float(max(cut - 5.0 * sigma, 0.05 * self.energy))

    def request(self, mass: float) -> SignalRequest:
        """What the processes are asked for at ``mass``."""
        return SignalRequest(self.model(mass), self.config.beam, self.energy, self.setup,
                             self.e_min(), {"method": self.config.signal.method})

    # ------------------------------------------------------------------ events
    def signal_events(self, truth: dict[str, np.ndarray], model: Model,
                      rng: np.random.Generator) -> tuple[Events, Events]:
        """Reconstructed events of signal truth and their decay columns."""
        n = np.asarray(truth["e_aprime"]).size
        beam = self.pipeline.core(n, rng)
        parts, decay = visible_particles(truth, beam, self.energy, self.setup, model, rng)
        ev = self.pipeline.events(beam, rng, calorimeter=parts)
        ev["true_e_aprime"] = decay["e_x"]
        ev["true_z_decay"] = decay["z_decay"]
        ev["true_pair_separation"] = decay["pair_separation"]
        return ev, decay

    def _samples(self, mass: float, rng: np.random.Generator, n: int
                 ) -> tuple[np.ndarray, Events, Events, float, float]:
        req = self.request(mass)
        ws, evs, decs = [], [], []
        production = 0.0
        e_min = req.e_min
        for i, proc in enumerate(self.processes):
            if not proc.is_open(req):
                continue
            sample = proc.sample(req, n, rng)
            if i == 0:
                e_min = sample.e_min
            ev, dec = self.signal_events(sample.truth, req.model, rng)
            ws.append(sample.weights)
            evs.append(ev)
            decs.append(dec)
            production += sample.production
        if not ws:
            raise InputError("signal.processes", f"no process can produce a boson of "
                                                 f"{mass / MeV:g} MeV")
        w = np.concatenate(ws)
        ev = {k: np.concatenate([e[k] for e in evs]) for k in evs[0]}
        dec = {k: np.concatenate([d[k] for d in decs]) for k in decs[0]}
        return w, ev, dec, production, e_min

    def reference_coupling(self, weights: np.ndarray, decay: Events) -> float:
        """The coupling of the largest selected yield on the analysis' grid (where cut-flow
        and N−1 weights are shown)."""
        grid = self.coupling_grid()
        if weights.size == 0:
            return float(np.sqrt(grid[0] * grid[-1]))
        y = [float(coupling_weights(weights, decay, e).sum()) for e in grid[::8]]
        return float(grid[::8][int(np.argmax(y))])

    def coupling_grid(self) -> np.ndarray:
        """The analysis' log-spaced coupling grid."""
        c = self.config.couplings
        return np.geomspace(c.min, c.max, c.points)

    def signal_sample(self, mass: float, rng: np.random.Generator, n: int
                      ) -> tuple[dict[str, np.ndarray], Events, float]:
        """Biased events at ``mass`` weighted at the reference coupling: ``(truth, events,
        e_min)`` (the interface of :func:`na64.reach.nminus1.nminus1_distributions`)."""
        w, ev, dec, _, e_min = self._samples(mass, rng, n)
        passed = self.selection.mask(ev)
        eps = self.reference_coupling(w[passed], {k: v[passed] for k, v in dec.items()})
        return {"weight": coupling_weights(w, dec, eps)}, ev, e_min

    def signal_point(self, mass: float, rng: np.random.Generator, *,
                     n_events: int | None = None) -> VisiblePoint:
        """Generate, simulate, reconstruct and select signal events at one mass."""
        n = int(n_events or self.config.signal.events_per_mass)
        w, ev, dec, production, e_min = self._samples(mass, rng, n)
        passed = self.selection.mask(ev)
        dec_sel = {k: v[passed] for k, v in dec.items()}
        eps = self.reference_coupling(w[passed], dec_sel)
        flow = self.selection.cutflow(ev, weights=coupling_weights(w, dec, eps))
        return VisiblePoint(
            mass=float(mass), energy=self.energy, setup=self.setup.name, e_min=float(e_min),
            production=float(production), n_events=int(w.size), weights=w[passed],
            decay=dec_sel,
            cutflow=[(str(nm), float(sw), float(se)) for nm, sw, se in
                     zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)],
            reference_coupling=eps,
            pair_angle_median=float(np.median(dec["pair_angle"])),
            pair_separation_median=float(np.median(dec["pair_separation"])),
        )

    def background(self, rng: np.random.Generator, *, n_events: int | None = None
                   ) -> BackgroundEstimate:
        """The analysis' background sources for this group, estimated from ``rng``."""
        bkg = self.config.background
        return estimate_background(self.background_context, rng, sources=bkg.sources,
                                   n_events=n_events or bkg.events)


@dataclass
class VisibleResult:
    """Everything a visible reach job computed; written out by
    :mod:`na64.reach.visible_outputs`."""

    config: VisibleAnalysisConfig
    runs: tuple[VisibleRunConfig, ...]
    masses: np.ndarray
    couplings: np.ndarray
    points: dict[tuple[str, float], list[VisiblePoint]]
    backgrounds: dict[tuple[str, float], BackgroundEstimate]
    n_signal: np.ndarray
    s_up: float
    s_expected: dict[str, float]
    band: Band
    band_expected: dict[str, Band]
    projections: dict[str, Band]
    b: float
    sigma_b: float
    seed: int
    elapsed_s: float = 0.0
    nminus1: NMinus1 | None = None
    warnings: tuple[str, ...] = ()
    version: str = __version__

    @property
    def model_info(self) -> dict[str, Any]:
        """Name and coupling metadata of the analysis' model."""
        return dict(model_info(self.config.signal.model))

    @property
    def eot(self) -> float:
        """Total exposure of the runs."""
        return float(sum(r.eot for r in self.runs))

    @property
    def observed(self) -> int:
        """Events observed in the signal box, summed over the runs."""
        return int(sum(r.observed for r in self.runs))

    @property
    def closing_mass(self) -> float:
        """Mass (MeV) where the band closes (:func:`na64.stats.closing_mass`; NaN if
        nothing is excluded, the largest mass if the band is open at the end of the scan)."""
        order = np.argsort(self.masses)
        return closing_mass(self.masses[order], self.n_signal[order], self.s_up)


def visible_seed_layout(seed: int | np.random.SeedSequence, n_groups: int, n_masses: int
                        ) -> tuple[list[list[np.random.SeedSequence]], np.random.SeedSequence,
                                   np.random.SeedSequence]:
    """The job's random streams: (per group, per mass), background, N−1 samples."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(n_groups * n_masses + 2)
    per = [children[g * n_masses:(g + 1) * n_masses] for g in range(n_groups)]
    return per, children[-2], children[-1]


@lru_cache(maxsize=8)
def _search(config: VisibleAnalysisConfig, setup: str, energy: float) -> VisibleSearch:
    return VisibleSearch(config, setup, energy)


def _mass_task(args: tuple[float, VisibleAnalysisConfig, str, float, np.random.SeedSequence,
                           int | None]) -> VisiblePoint:
    """Top-level (picklable) task: the signal of one mass of one group."""
    mass, config, setup, energy, seq, n = args
    return _search(config, setup, energy).signal_point(mass, np.random.default_rng(seq),
                                                       n_events=n)


def run_visible(
    config: VisibleAnalysisConfig,
    masses: Sequence[float] | np.ndarray,
    *,
    seed: int = 1,
    runs: Sequence[VisibleRunConfig] | None = None,
    events_per_mass: int | None = None,
    background_events: int | None = None,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    nminus1: bool = True,
) -> VisibleResult:
    """Compute the 90% CL excluded band of the visible-mode search.

    Parameters
    ----------
    config
        The analysis (setups, beam, boson, cuts, coupling grid, runs).
    masses
        Boson masses (MeV), each above 2 m_e and below the lowest beam energy.
    seed
        Master seed (:func:`visible_seed_layout`).
    runs
        Override the analysis' runs.
    events_per_mass, background_events
        Override the sample sizes of the analysis file.
    executor
        A :mod:`na64.run.executors` executor for the mass points (default: in process).
    progress
        Called as ``progress(done, total)`` after each completed step.
    nminus1
        Also compute the N−1 distributions (of the first group).
    """
    t0 = time.perf_counter()
    m = np.asarray(masses, dtype=float).ravel()
    run_list = tuple(runs) if runs is not None else config.runs
    if not run_list:
        raise InputError("runs", "at least one run is needed")
    groups = config.groups(run_list)
    e_low = min(e for _, e, _ in groups)
    if m.size == 0:
        raise InputError("masses", "no masses given")
    if np.any(~np.isfinite(m)) or np.any(m <= 2 * M_E) or np.any(m >= e_low):
        raise InputError("masses", f"every mass must be in (2 m_e = 1.022 MeV, "
                                   f"{e_low / GeV:g} GeV)")
    per_group, bkg_seq, nm1_seq = visible_seed_layout(seed, len(groups), m.size)
    total = len(groups) * (m.size + 1) + int(nminus1)
    done = 0

    tasks = [(float(mi), config, s, e, per_group[g][i], events_per_mass)
             for g, (s, e, _) in enumerate(groups) for i, mi in enumerate(m)]
    found: list[VisiblePoint | None] = [None] * len(tasks)
    results = (((i, _mass_task(t)) for i, t in enumerate(tasks)) if executor is None
               else executor.map_unordered(_mass_task, tasks))
    for i, point in results:
        found[i] = point
        done += 1
        if progress:
            progress(done, total)
    points: dict[tuple[str, float], list[VisiblePoint]] = {}
    for (s, e, _), g in zip(groups, range(len(groups)), strict=True):
        points[(s, e)] = [p for p in found[g * m.size:(g + 1) * m.size] if p is not None]

    # -- backgrounds, one estimate per group from one stream --------------------------
    bkg_rng = np.random.default_rng(bkg_seq)
    backgrounds: dict[tuple[str, float], BackgroundEstimate] = {}
    b_tot = 0.0
    var_b = 0.0
    for s, e, rs in groups:
        est = _search(config, s, e).background(bkg_rng, n_events=background_events)
        backgrounds[(s, e)] = est
        eot = float(sum(r.eot for r in rs))
        bg, sbg = est.events(eot)
        b_tot += bg
        var_b += sbg**2
        done += 1
        if progress:
            progress(done, total)
    b, sb = _background(b_tot, float(np.sqrt(var_b)))

    # -- signal count on the coupling grid and the band ----------------------------------
    grid = np.geomspace(config.couplings.min, config.couplings.max, config.couplings.points)
    n_sig = np.zeros((m.size, grid.size))
    for s, e, rs in groups:
        eff_eot = float(sum(r.eot * r.efficiency_scale for r in rs))
        for i, p in enumerate(points[(s, e)]):
            n_sig[i] += eff_eot * p.yield_per_eot(grid)
    sig_rel = config.signal.yield_rel_uncertainty
    n_obs = int(sum(r.observed for r in run_list))
    s_up = upper_limit(n_obs, b, sb, sigma_s_rel=sig_rel)
    s_exp = expected_limits(b, sb, sigma_s_rel=sig_rel)
    band = exclusion_band(grid, n_sig, s_up)
    band_exp = {k: exclusion_band(grid, n_sig, s_exp[k]) for k in _BANDS}
    # projections: the first group's setup and energy with a larger exposure
    s0, e0, _ = groups[0]
    per_eot0 = np.array([p.yield_per_eot(grid) for p in points[(s0, e0)]])
    b0 = backgrounds[(s0, e0)]
    proj: dict[str, Band] = {}
    for label, eot_p in PROJECTIONS_VISIBLE.items():
        bp, sbp = _background(*b0.events(eot_p))
        s_p = expected_limits(bp, sbp, sigma_s_rel=sig_rel)["median"]
        proj[label] = exclusion_band(grid, per_eot0 * eot_p, float(s_p))
    warnings = _warnings(config, points, band)
    for w in warnings:
        log.warning("%s", w)
    nm1 = None
    if nminus1:
        nm1 = nminus1_distributions(
            _search(config, s0, e0), m, nm1_seq,
            n_signal=min(events_per_mass or config.signal.events_per_mass, 3000),
            n_background=background_events or config.background.events)
        done += 1
        if progress:
            progress(done, total)
    return VisibleResult(
        config=config, runs=run_list, masses=m, couplings=grid, points=points,
        backgrounds=backgrounds, n_signal=n_sig, s_up=float(s_up),
        s_expected={k: float(v) for k, v in s_exp.items()}, band=band,
        band_expected=band_exp, projections=proj, b=float(b_tot),
        sigma_b=float(np.sqrt(var_b)), seed=seed, elapsed_s=time.perf_counter() - t0,
        nminus1=nm1, warnings=warnings)


def _warnings(config: VisibleAnalysisConfig,
              points: dict[tuple[str, float], list[VisiblePoint]], band: Band
              ) -> tuple[str, ...]:
    out = []
    empty = [(k, p) for k, ps in points.items() for p in ps if p.weights.size == 0]
    if empty and len(empty) == sum(len(ps) for ps in points.values()):
        _, p = empty[0]
        last = next((nm for nm, w, _ in p.cutflow if w <= 0), "the last cut")
        out.append(f"the selection keeps no signal event at any mass (every event fails at "
                   f"'{last}'): nothing is excluded; check the [selection] values of analysis "
                   f"{config.name!r}")
    if np.any(band.touches_grid):
        out.append("the excluded band reaches the end of the coupling grid at some masses: "
                   "widen [couplings] min/max")
    return tuple(out)


def background_sources(result: VisibleResult) -> list[tuple[str, BackgroundSource, float]]:
    """(group label, source, EOT of the group) of every background source of the result."""
    out = []
    for s, e, runs in result.config.groups(result.runs):
        eot = float(sum(r.eot for r in runs))
        for src in result.backgrounds[(s, e)].sources:
            out.append((f"{s} {e / GeV:g} GeV", src, eot))
    return out
