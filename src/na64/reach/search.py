"""A search made concrete: an analysis file's pipeline, selection, processes and backgrounds.

:class:`Search` turns an :class:`~na64.reach.config.AnalysisConfig` into the parts of the
shared machinery it chooses by name:

* the event pipeline of its setup and beam (:class:`na64.pipeline.EventPipeline`);
* its selection (:meth:`~na64.reach.config.SelectionConfig.build`);
* its model (``[signal] model``, an object of :mod:`na64.models` with unit coupling) and
  signal processes (``[signal] processes``, :mod:`na64.generate.processes`);
* its background sources (``[background] sources``, :mod:`na64.background`).

For every mass, :meth:`Search.signal_point` generates weighted truth with each process,
hands the particles of every event (:func:`na64.generate.particles.signal_particles`) to the
pipeline with a beam-core particle per event for the upstream detectors, and selects: the
weighted sum of passing events is the signal yield per EOT at unit coupling.  The emission
by the beam particle itself at depth z: the particle crosses the target up to z, then the
recoil showers from z with the transverse momentum that balances the new particle (nuclear
recoil neglected, q_T² ≈ t_min ≪ (E θ)² at NA64 energies, arXiv:0906.0580 App. A) and what it
radiated before z showers along the beam; emissions off shower secondaries leave
E_beam − E_X showering from the target face.

The dark photon decays to χχ̄ and its yield at mixing ε is ε² times the yield at ε = 1.  Any
other model (``[signal] model``: an X boson, B−L, L_μ−L_τ, an ALP) may decay visibly, inside
the detector or beyond it: its events are also simulated with the boson decaying inside, and
the signal point carries an :class:`~na64.reach.in_flight.InFlightSignal` that gives the
yield at any coupling exactly (:mod:`na64.reach.in_flight`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..background import (
    MISSING_ENERGY_NOTES,
    BackgroundContext,
    BackgroundEstimate,
    estimate_background,
)
from ..errors import InputError
from ..generate.particles import signal_particles
from ..generate.processes import ProcessSample, SignalRequest, get_process
from ..models import Model, make_model
from ..pipeline import DetectorResponse, EventPipeline
from ..select import Selection
from ..units import MeV
from .config import Y_ALPHA_D, AnalysisConfig
from .in_flight import (
    InFlightSignal,
    analysis_model,
    decaying_mass,
    escape_lengths,
    needs_decays,
    reference_coupling,
    simulate_decays,
)

__all__ = ["ANNIHILATION_NEGLECT", "Search", "SignalPoint", "SignalSample"]

Events = dict[str, np.ndarray]

#: A secondary process is not simulated at a mass where its production is below this fraction
#: of the first process' (it would change the limit on the coupling by less than 0.05%).
ANNIHILATION_NEGLECT = 1e-3


@dataclass(frozen=True)
class SignalPoint:
    """Signal yield and efficiency at one mass (unit coupling; scale by the coupling²).

    Attributes
    ----------
    mass
        Mass of the new particle (MeV).
    e_min
        Lowest generated energy of the new particle (MeV).
    production
        Particles per EOT with energy above ``e_min`` (from the generators' weights).
    yield_per_eot, yield_per_eot_unc
        Weighted sum (and its MC uncertainty) of the selected events per EOT.
    efficiency, efficiency_unc
        ``yield_per_eot / production``.
    n_events
        Generated (biased) events.
    cutflow
        Rows ``(cut, weighted yield per EOT after the cut, its uncertainty)``.
    primary_fraction
        Share of the production emitted by the beam particle itself.
    annihilation_production, annihilation_yield, annihilation_yield_unc
        Part of ``production`` and ``yield_per_eot`` from positron annihilation (0 when the
        process is off or neglected, see :data:`ANNIHILATION_NEGLECT`).
    annihilation_yield_alpha
        Selected annihilation yield per EOT for each α_D of :data:`Y_ALPHA_D` (same events,
        reweighted).
    """

    mass: float
    e_min: float
    production: float
    yield_per_eot: float
    yield_per_eot_unc: float
    efficiency: float
    efficiency_unc: float
    n_events: int
    cutflow: list[tuple[str, float, float]] = field(default_factory=list)
    primary_fraction: float = 0.0
    annihilation_production: float = 0.0
    annihilation_yield: float = 0.0
    annihilation_yield_unc: float = 0.0
    annihilation_yield_alpha: dict[float, float] = field(default_factory=dict)
    #: The selected signal at any coupling, for a model whose boson may decay in flight
    #: (:mod:`na64.reach.in_flight`); ``None`` for the dark photon, whose yield is ε² times
    #: ``yield_per_eot``.  Then ``yield_per_eot`` is the yield at the reference coupling
    #: with every boson escaping.
    in_flight: InFlightSignal | None = None

    @property
    def brem_yield(self) -> float:
        """Selected yield per EOT of the processes that do not depend on α_D."""
        return self.yield_per_eot - self.annihilation_yield

    def yield_for_alpha(self, alpha_d: float) -> float:
        """Selected yield per EOT (unit coupling) for another α_D (only annihilation
        depends on it)."""
        for a, y in self.annihilation_yield_alpha.items():
            if np.isclose(a, alpha_d):
                return self.brem_yield + y
        if not self.annihilation_yield_alpha:
            return self.yield_per_eot
        raise KeyError(f"no annihilation yield for alpha_D = {alpha_d:g}")


@dataclass(frozen=True)
class SignalSample:
    """The simulated, reconstructed signal events of one mass, before the selection.

    Attributes
    ----------
    mass, e_min
        Mass of the new particle and lowest generated energy of it (MeV).
    events
        Reconstructed event columns (:mod:`na64.pipeline.schema`), all processes.
    weights
        Particles per EOT each event stands for (unit coupling).
    from_primary
        Whether the particle was emitted by the beam particle itself.
    is_annihilation
        Whether the event comes from positron annihilation.
    annihilation_production
        Production per EOT of the annihilation part.
    annihilation_alpha
        α_D → weights of the annihilation events for that α_D (same events, reweighted).
    """

    mass: float
    e_min: float
    events: Events
    weights: np.ndarray
    from_primary: np.ndarray
    is_annihilation: np.ndarray
    annihilation_production: float = 0.0
    annihilation_alpha: dict[float, np.ndarray] = field(default_factory=dict)
    #: For a model whose boson may decay in flight (:mod:`na64.reach.in_flight`): the
    #: coupling of ``weights``, the boson's energy and path to the end of the detector per
    #: event, and (where decays inside matter) the events with the boson decaying inside
    #: and their decay columns.
    reference_coupling: float = 0.0
    e_x: np.ndarray | None = None
    escape_length: np.ndarray | None = None
    decay_events: Events | None = None
    decay: Events | None = None


class Search:
    """The parts of one analysis: pipeline, selection, model, processes, backgrounds.

    Parameters
    ----------
    config
        The analysis.
    response
        Detector-response engine of the pipeline (default: the fast simulation).
    """

    def __init__(self, config: AnalysisConfig, *, response: DetectorResponse | None = None
                 ) -> None:
        self.config = config
        self.pipeline = EventPipeline(
            config.setup, {"particle": config.beam, "energy": f"{config.energy / MeV!r}MeV"},
            response=response)
        self.selection: Selection = config.selection.build(config.energy)
        self.processes = tuple(get_process(p) for p in config.signal.processes)
        self.background_context = BackgroundContext(self.pipeline, self.selection)

    @property
    def setup(self) -> Any:
        """The detector setup."""
        return self.pipeline.setup

    # ------------------------------------------------------------------ model
    @property
    def in_flight(self) -> bool:
        """Whether the signal is computed per coupling with decays in flight
        (:mod:`na64.reach.in_flight`): every model but the dark photon."""
        return self.config.signal.model != "dark-photon"

    def model(self, mass: float) -> Model:
        """The analysis' model at ``mass``: the dark photon with unit coupling, another
        model with the analysis' dark-sector parameters (its coupling is scanned)."""
        sig = self.config.signal
        if sig.model == "dark-photon":
            return make_model("dark-photon", mass=mass, epsilon=1.0, alpha_D=sig.alpha_d,
                              m_chi=mass / sig.mass_ratio, chi=sig.chi)
        return analysis_model(sig.model, mass, alpha_d=sig.alpha_d,
                              mass_ratio=sig.mass_ratio, chi=sig.chi, delta=sig.delta)

    def e_min(self) -> float:
        """Lowest invisible energy that can reach the signal box: 5 resolution widths below
        its edge (at least 5% of the beam energy)."""
        e0 = self.config.energy
        edge = e0 - self.config.selection.ecal_max
        sigma_edge = self.pipeline.resolution(self.config.selection.ecal_max)
        return float(max(edge - 5.0 * sigma_edge, 0.05 * e0))

    def request(self, mass: float) -> SignalRequest:
        """What the processes are asked for at ``mass``."""
        sig = self.config.signal
        return SignalRequest(self.model(mass), self.config.beam, self.config.energy,
                             self.setup, self.e_min(),
                             {"method": sig.method, "x_max": sig.x_max})

    # ------------------------------------------------------------------ events
    def signal_events(self, truth: dict[str, np.ndarray], rng: np.random.Generator) -> Events:
        """Reconstructed events of signal truth (generated at the nominal beam energy).

        The beam particles are sampled from the beam core and pass the upstream detectors
        unchanged; what enters the calorimeters is built by
        :func:`~na64.generate.particles.signal_particles`.
        """
        beam = self.pipeline.core(np.asarray(truth["e_aprime"]).size, rng)
        calo, e_inv = signal_particles(truth, beam, self.config.energy,
                                       self.setup.target.length)
        ev = self.pipeline.events(beam, rng, calorimeter=calo)
        ev["true_e_aprime"] = e_inv
        return ev

    def signal_sample(self, mass: float, rng: np.random.Generator, n: int
                      ) -> tuple[Events, Events, float]:
        """Biased events of the first process open at ``mass`` (e.g. dark brem where the
        analysis lists annihilation first but the mass is below 2 m_e):
        ``(truth, events, e_min)``."""
        req = self.request(mass)
        open_ = [p for p in self.processes if p.is_open(req)]
        if not open_:
            raise InputError("masses", f"no signal process of the analysis can make a "
                                       f"particle of {mass / MeV:g} MeV")
        sample = open_[0].sample(req, n, rng)
        return sample.truth, self.signal_events(sample.truth, rng), sample.e_min

    def signal_point(self, mass: float, rng: np.random.Generator, *,
                     n_events: int | None = None) -> SignalPoint:
        """Generate, simulate, reconstruct and select signal events at one mass
        (:meth:`simulate_signal`, then :meth:`select_signal`)."""
        return self.select_signal(self.simulate_signal(mass, rng, n_events=n_events))

    def simulate_signal(self, mass: float, rng: np.random.Generator, *,
                        n_events: int | None = None) -> SignalSample:
        """Generate, simulate and reconstruct the weighted signal events at one mass.

        Every process of the analysis contributes its weighted sample; a process after the
        first is simulated only where its production reaches :data:`ANNIHILATION_NEGLECT`
        of the first one's.
        """
        n = int(n_events or self.config.signal.events_per_mass)
        req = self.request(mass)
        parts: list[tuple[ProcessSample, Events]] = []
        for i, proc in enumerate(self.processes):
            if not proc.is_open(req):
                continue
            sample = proc.sample(req, n, rng, reweight={"alpha_D": Y_ALPHA_D})
            first = parts[0][0].production if parts else 0.0
            # the detector simulation, the expensive part, only where the process matters
            if i > 0 and not (sample.production > 0
                              and sample.production >= ANNIHILATION_NEGLECT * first):
                continue
            parts.append((sample, self.signal_events(sample.truth, rng)))
        if not parts:
            raise InputError("signal.processes", f"no process can produce a particle of "
                                                 f"{mass / MeV:g} MeV (annihilation needs "
                                                 "m > 2 m_e)")
        ann = [p[0] for p in parts if p[0].process == "annihilation"]
        is_ann = np.concatenate([np.full(p[0].weights.size, p[0].process == "annihilation")
                                 for p in parts])
        if self.in_flight:
            return self._in_flight_sample(req.model, parts, rng)
        return SignalSample(
            mass=float(mass),
            e_min=float(parts[0][0].e_min),
            events={k: np.concatenate([np.asarray(p[1][k]) for p in parts])
                    for k in parts[0][1]},
            weights=np.concatenate([p[0].weights for p in parts]),
            from_primary=np.concatenate([np.asarray(p[0].truth["from_primary"], dtype=bool)
                                         for p in parts]),
            is_annihilation=is_ann,
            annihilation_production=sum(s.production for s in ann),
            annihilation_alpha={a: w for s in ann for (k, a), w in s.alternatives.items()
                                if k == "alpha_D"},
        )

    def _in_flight_sample(self, model: Model, parts: list[tuple[ProcessSample, Events]],
                          rng: np.random.Generator) -> SignalSample:
        """The signal sample of a model whose boson may decay in flight: weights brought to
        one reference coupling (the first process'), and the decays inside the detector
        simulated where they matter (:mod:`na64.reach.in_flight`)."""
        g_ref = reference_coupling(model, parts[0][0].process)
        weights = np.concatenate([
            p[0].weights * (g_ref / reference_coupling(model, p[0].process)) ** 2
            for p in parts])
        truth = {k: np.concatenate([np.asarray(p[0].truth[k]) for p in parts])
                 for k in parts[0][0].truth}
        events = {k: np.concatenate([np.asarray(p[1][k]) for p in parts]) for k in parts[0][1]}
        decay_events, decay = None, None
        e_x = np.asarray(events["true_e_aprime"], dtype=float)
        escape = escape_lengths(truth, self.setup)
        if needs_decays(model):
            decay_events, decay = simulate_decays(self.pipeline, truth, self.config.energy,
                                                  model, rng)
            if decaying_mass(model) != model.mass:
                # the particle that decays in flight is not the one produced (iDM: χ2 of
                # A' → χ1χ2): its energy and path come from the decay chain
                e_x, escape = decay["e_x"], decay["escape_length"]
        return SignalSample(
            mass=float(model.mass),
            e_min=float(parts[0][0].e_min),
            events=events,
            weights=weights,
            from_primary=np.asarray(truth["from_primary"], dtype=bool),
            is_annihilation=np.zeros(weights.size, dtype=bool),
            reference_coupling=g_ref,
            e_x=e_x,
            escape_length=escape,
            decay_events=decay_events,
            decay=decay,
        )

    def _in_flight_signal(self, sample: SignalSample, passed: np.ndarray) -> InFlightSignal:
        """The selected events of both simulations as an :class:`InFlightSignal`."""
        model = self.model(sample.mass)
        if sample.e_x is None or sample.escape_length is None:
            raise InputError("samples", "the signal sample has no decay-in-flight columns")
        n = sample.weights.size
        if sample.decay_events is not None and sample.decay is not None:
            dec_pass = self.selection.mask(sample.decay_events)
            distance = np.asarray(sample.decay["distance"], dtype=float)
            jacobian = np.asarray(sample.decay["jacobian"], dtype=float)
            e_dec = np.asarray(sample.decay["e_x"], dtype=float)
        else:
            dec_pass = np.zeros(n, dtype=bool)
            distance, jacobian, e_dec = np.zeros(n), np.zeros(n), sample.e_x
        keep = passed | dec_pass
        # one energy per event: the escape simulation's where it passed, else the decay's
        e_x = np.where(passed, sample.e_x, e_dec)
        return InFlightSignal(
            model=model, reference_coupling=sample.reference_coupling,
            weights=sample.weights[keep], e_x=np.maximum(e_x[keep], decaying_mass(model)),
            escape_length=sample.escape_length[keep], distance=distance[keep],
            jacobian=jacobian[keep], pass_escape=passed[keep], pass_decay=dec_pass[keep],
            production=float(sample.weights.sum()))

    def select_signal(self, sample: SignalSample) -> SignalPoint:
        """Apply the selection to the weighted events of one mass: the signal point."""
        events, weights, is_ann = sample.events, sample.weights, sample.is_annihilation
        flow = self.selection.cutflow(events, weights=weights)
        passed = self.selection.mask(events)
        production = float(weights.sum())
        y = float(weights[passed].sum())
        y_unc = float(np.sqrt(np.sum(weights[passed] ** 2)))
        eff = y / production if production > 0 else 0.0
        # binomial-like uncertainty of a weighted efficiency (passed and failed independent)
        w_f = weights[~passed]
        eff_unc = (
            float(np.sqrt((1 - eff) ** 2 * np.sum(weights[passed] ** 2)
                          + eff**2 * np.sum(w_f**2))) / production
            if production > 0 else 0.0
        )
        pa = passed[is_ann]
        prim = sample.from_primary
        return SignalPoint(
            mass=sample.mass,
            e_min=sample.e_min,
            production=production,
            yield_per_eot=y,
            yield_per_eot_unc=y_unc,
            efficiency=eff,
            efficiency_unc=eff_unc,
            n_events=int(weights.size),
            cutflow=[(str(name), float(w), float(e)) for name, w, e in
                     zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)],
            primary_fraction=float(weights[prim].sum() / production) if production > 0 else 0.0,
            annihilation_production=sample.annihilation_production,
            annihilation_yield=float(weights[is_ann][pa].sum()),
            annihilation_yield_unc=float(np.sqrt(np.sum(weights[is_ann][pa] ** 2))),
            annihilation_yield_alpha={a: float(w[pa].sum())
                                      for a, w in sample.annihilation_alpha.items()},
            in_flight=(self._in_flight_signal(sample, passed)
                       if sample.reference_coupling > 0 else None),
        )

    # ------------------------------------------------------------------ background
    def background(self, rng: np.random.Generator, *, n_events: int | None = None
                   ) -> BackgroundEstimate:
        """The analysis' background sources, estimated from ``rng``."""
        bkg = self.config.background
        return estimate_background(self.background_context, rng, sources=bkg.sources,
                                   n_events=n_events or bkg.events, notes=MISSING_ENERGY_NOTES)
