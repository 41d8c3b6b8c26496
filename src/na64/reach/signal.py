"""Signal efficiency of the invisible-mode selection for one A' mass.

For every mass the chain is

1. :class:`na64.generate.DarkBremSignal` forces one A' emission per event off an e± of the
   shower in the ECAL active target (weights = A' per EOT at ε = 1, E_A' above ``e_min``);
2. the beam electron that started the shower is sampled from the setup's beam line
   (momentum spread, spot, divergence) and goes through the upstream detectors: the
   synchrotron-radiation detector (:func:`na64.beam.srd_response`) and the momentum
   spectrometer (:func:`na64.beam.track_momentum`);
3. the calorimeters see the rest of the event (:func:`na64.reach.events.signal_particles`,
   then :func:`na64.detector.response`): for an emission by the beam electron itself, the
   recoil electron showers from the emission depth with the transverse momentum that
   balances the A' (nuclear recoil neglected, q_T² ≈ t_min ≪ (E_A' θ_A')² at NA64
   energies, arXiv:0906.0580 App. A) and the energy the electron radiated before that
   point showers along the beam; emissions off shower secondaries leave E_beam − E_A'
   showering from the target face;
4. reconstruction (:mod:`na64.reco`) and the selection (:mod:`na64.select`) decide which
   events pass; the weighted sum of passing events is the signal yield per EOT.

With ``processes = ["brem", "annihilation"]`` in the analysis' ``[signal]`` table, the
shower positrons' resonant annihilation e+ e- → A' → χχ̄
(:class:`na64.generate.AnnihilationSignal`, arXiv:2108.04195) is generated too: a positron
of energy E_+ at depth z disappears, and E_beam − E_+ showers from the target face as for a
bremsstrahlung emission off a secondary.  The two weighted samples add up (the yields at
ε = 1 are per EOT for the same ε).  The annihilation yield depends on the dark sector
through the line shape; for the α_D of :data:`Y_ALPHA_D` it is obtained by reweighting the
same events (:meth:`na64.generate.AnnihilationSignal.reweight`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hepunits import MeV

from ..constants import M_E
from ..errors import InputError
from ..generate.annihilation import AnnihilationSignal
from ..generate.dark_brem import DarkBremSignal
from .config import Y_ALPHA_D, AnalysisConfig
from .events import EventBuilder

__all__ = ["ANNIHILATION_NEGLECT", "SignalPoint", "annihilation_truth", "signal_point",
           "signal_sample"]

#: Annihilation is not simulated at a mass where its A' production is below this fraction of
#: the bremsstrahlung one (it would change ε_90 by less than 0.05%).
ANNIHILATION_NEGLECT = 1e-3
#: Cascades simulated per requested annihilation event: with a 100 GeV e- beam only 17% of
#: the cascades have a positron above E_+ = 40 GeV (measured: 16.7% of 1e5 cascades in the
#: NA64 ECAL), the others carry no annihilation weight.
_CASCADES_PER_EVENT = 6


@dataclass(frozen=True)
class SignalPoint:
    """Signal yield and efficiency at one mass (ε = 1; scale by ε²).

    Attributes
    ----------
    mass
        A' mass (MeV).
    production
        A' per EOT with E_A' > ``e_min`` (from the generator's weights).
    yield_per_eot, yield_per_eot_unc
        Weighted sum (and its MC uncertainty) of the selected events per EOT.
    efficiency, efficiency_unc
        ``yield_per_eot / production``.
    cutflow
        Rows ``(cut, weighted yield per EOT after the cut, its uncertainty)``.
    n_events
        Generated (biased) events.
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

    @property
    def brem_yield(self) -> float:
        """Selected bremsstrahlung yield per EOT (ε = 1)."""
        return self.yield_per_eot - self.annihilation_yield

    def yield_for_alpha(self, alpha_d: float) -> float:
        """Selected yield per EOT (ε = 1) for another α_D (only annihilation depends on it)."""
        for a, y in self.annihilation_yield_alpha.items():
            if np.isclose(a, alpha_d):
                return self.brem_yield + y
        if not self.annihilation_yield_alpha:
            return self.yield_per_eot
        raise KeyError(f"no annihilation yield for alpha_D = {alpha_d:g}")


def signal_point(
    mass: float,
    config: AnalysisConfig,
    builder: EventBuilder,
    rng: np.random.Generator,
    *,
    n_events: int | None = None,
) -> SignalPoint:
    """Generate, simulate, reconstruct and select signal events at one A' mass.

    Parameters
    ----------
    mass
        A' mass (MeV), below the beam energy.
    config
        The analysis (beam energy, cut values, signal settings).
    builder
        Turns truth into reconstructed, selected events for the analysis' setup.
    rng
        Random generator for this mass point (derive it from a ``SeedSequence``).
    n_events
        Biased events to generate (default: ``config.signal.events_per_mass``).
    """
    n = int(n_events or config.signal.events_per_mass)
    procs = config.signal.processes
    parts: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]] = []
    e_min = 0.0
    if "brem" in procs:
        truth, events, e_min = signal_sample(mass, config, builder, rng, n)
        parts.append((truth, events, np.asarray(truth["weight"], dtype=float)))
    ann_prod = 0.0
    ann_alpha: dict[float, np.ndarray] = {}
    n_brem = sum(p[2].size for p in parts)
    if "annihilation" in procs and mass > 2.0 * M_E:
        brem_prod = float(parts[0][2].sum()) if parts else 0.0
        gen, e_min_a = _annihilation_generator(mass, config, builder)
        e_min = e_min or e_min_a
        truth_a = annihilation_truth(gen, rng, n, e_min_a)
        w_a = np.asarray(truth_a["weight"], dtype=float)
        ann_prod = float(w_a.sum())
        # the detector simulation, the expensive part, only where the process matters
        if ann_prod > 0 and ann_prod >= ANNIHILATION_NEGLECT * brem_prod:
            parts.append((truth_a, builder.signal_events(truth_a, rng), w_a))
            ann_alpha = {a: gen.reweight(truth_a, alpha_D=a) for a in Y_ALPHA_D}
        else:
            ann_prod = 0.0
    if not parts:
        raise InputError("signal.processes", f"no process can produce an A' of "
                                             f"{mass / MeV:g} MeV (annihilation needs m > 2 m_e)")
    truth = {k: np.concatenate([np.asarray(p[0][k]) for p in parts]) for k in parts[0][0]}
    events = {k: np.concatenate([np.asarray(p[1][k]) for p in parts]) for k in parts[0][1]}
    weights = np.concatenate([p[2] for p in parts])
    is_ann = np.arange(weights.size) >= n_brem
    flow = builder.selection.cutflow(events, weights=weights)
    passed = builder.selection.mask(events)
    production = float(weights.sum())
    y = float(weights[passed].sum())
    y_unc = float(np.sqrt(np.sum(weights[passed] ** 2)))
    eff = y / production if production > 0 else 0.0
    # binomial-like uncertainty of a weighted efficiency (passed and failed are independent)
    w_f = weights[~passed]
    eff_unc = (
        float(np.sqrt((1 - eff) ** 2 * np.sum(weights[passed] ** 2) + eff**2 * np.sum(w_f**2)))
        / production
        if production > 0
        else 0.0
    )
    pa = passed[is_ann]
    prim = np.asarray(truth["from_primary"], dtype=bool)
    return SignalPoint(
        mass=float(mass),
        e_min=float(e_min),
        production=production,
        yield_per_eot=y,
        yield_per_eot_unc=y_unc,
        efficiency=eff,
        efficiency_unc=eff_unc,
        n_events=int(weights.size),
        cutflow=_cutflow_rows(flow),
        primary_fraction=float(weights[prim].sum() / production) if production > 0 else 0.0,
        annihilation_production=ann_prod,
        annihilation_yield=float(weights[is_ann][pa].sum()),
        annihilation_yield_unc=float(np.sqrt(np.sum(weights[is_ann][pa] ** 2))),
        annihilation_yield_alpha={a: float(w[pa].sum()) for a, w in ann_alpha.items()},
    )


def signal_sample(
    mass: float,
    config: AnalysisConfig,
    builder: EventBuilder,
    rng: np.random.Generator,
    n: int,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
    """Biased signal events at one mass: ``(truth, reconstructed events, e_min)``.

    Only A' above ``e_min`` are generated: events with E_A' < e_min leave more than
    E0 - e_min in the ECAL, and e_min sits 5 resolution widths below the signal-box edge, so
    none of them could pass.  ``truth["weight"]`` are A' per EOT at ε = 1.
    """
    e0 = config.energy
    e_min = _e_min(config, builder)
    gen = DarkBremSignal(
        mass, beam=config.beam, energy=e0, method=config.signal.method, setup=builder.setup,
        threshold=min(e_min, 0.5 * e0), x_max=config.signal.x_max,
    )
    e_min = max(e_min, gen.threshold)
    truth = gen.sample(n, rng, e_min=e_min)
    return truth, builder.signal_events(truth, rng), e_min


def _annihilation_generator(mass: float, config: AnalysisConfig, builder: EventBuilder
                            ) -> tuple[AnnihilationSignal, float]:
    """The annihilation generator of an analysis and its e_min (as :func:`signal_sample`)."""
    e0 = config.energy
    e_min = _e_min(config, builder)
    sig = config.signal
    gen = AnnihilationSignal(mass, beam=config.beam, energy=e0, setup=builder.setup,
                             alpha_D=sig.alpha_d, m_chi=mass / sig.mass_ratio,
                             chi=sig.chi,  # type: ignore[arg-type]
                             threshold=min(e_min, 0.5 * e0))
    return gen, max(e_min, gen.threshold)


def annihilation_truth(gen: AnnihilationSignal, rng: np.random.Generator, n: int,
                       e_min: float) -> dict[str, np.ndarray]:
    """About ``n`` weighted annihilation events, none of weight 0 (truth columns).

    ``_CASCADES_PER_EVENT × n`` cascades are simulated; those without a positron above
    ``e_min`` (weight 0) are dropped, and if more than ``n`` remain the sample is cut after
    the cascade that gave the n-th, with the weights renormalised to the cascades kept.
    """
    n_casc = _CASCADES_PER_EVENT * n if gen.beam == "e-" else n
    truth = gen.sample(n_casc, rng, e_min=e_min)
    nonzero = np.flatnonzero(truth["weight"] > 0)
    if nonzero.size > n:
        keep = nonzero[:n]
        scale = n_casc / (int(nonzero[n - 1]) + 1)
    else:
        keep, scale = nonzero, 1.0
    truth = {k: np.asarray(v)[keep] for k, v in truth.items()}
    truth["weight"] = truth["weight"] * scale
    return truth


def _e_min(config: AnalysisConfig, builder: EventBuilder) -> float:
    """Lowest A' energy that can reach the signal box: 5 resolution widths below its edge."""
    e0 = config.energy
    edge = e0 - config.selection.ecal_max
    sigma_edge = builder.ecal_resolution(config.selection.ecal_max)
    return float(max(edge - 5.0 * sigma_edge, 0.05 * e0))


def _cutflow_rows(flow: Any) -> list[tuple[str, float, float]]:
    """(cut, weighted sum, uncertainty) rows from a :class:`na64.select.CutFlow`."""
    return [(str(name), float(w), float(e))
            for name, w, e in zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)]
