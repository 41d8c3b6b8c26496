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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..generate.dark_brem import DarkBremSignal
from .config import AnalysisConfig
from .events import EventBuilder

__all__ = ["SignalPoint", "signal_point", "signal_sample"]


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
    truth, events, e_min = signal_sample(mass, config, builder, rng, n)
    weights = np.asarray(truth["weight"], dtype=float)
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
    prim = np.asarray(truth["from_primary"], dtype=bool)
    return SignalPoint(
        mass=float(mass),
        e_min=float(e_min),
        production=production,
        yield_per_eot=y,
        yield_per_eot_unc=y_unc,
        efficiency=eff,
        efficiency_unc=eff_unc,
        n_events=n,
        cutflow=_cutflow_rows(flow),
        primary_fraction=float(weights[prim].sum() / production) if production > 0 else 0.0,
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
    edge = e0 - config.selection.ecal_max
    sigma_edge = builder.ecal_resolution(config.selection.ecal_max)
    e_min = max(edge - 5.0 * sigma_edge, 0.05 * e0)
    gen = DarkBremSignal(
        mass, beam=config.beam, energy=e0, method=config.signal.method, setup=builder.setup,
        threshold=min(e_min, 0.5 * e0),
    )
    e_min = max(e_min, gen.threshold)
    truth = gen.sample(n, rng, e_min=e_min)
    return truth, builder.signal_events(truth, rng), e_min


def _cutflow_rows(flow: Any) -> list[tuple[str, float, float]]:
    """(cut, weighted sum, uncertainty) rows from a :class:`na64.select.CutFlow`."""
    return [(str(name), float(w), float(e))
            for name, w, e in zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)]
