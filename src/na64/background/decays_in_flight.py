"""μ/π/K decays in flight upstream of the target giving a charged daughter below the box edge."""

from __future__ import annotations

import math

import numpy as np

from ..beam import decay_in_flight_rates, srd_misid_probability
from ..beam.decays import apply_decays_in_flight, decay_probability
from ..beam.particles import PARTICLES
from .base import ZERO_PASS_BOUND, BackgroundContext, BackgroundSource, _flow, _product, _selected
from .registry import register_source


@register_source("decays_in_flight", "mu/pi/K decays in flight with a soft charged daughter")
def _decays(ctx: BackgroundContext, rng: np.random.Generator, n: int) -> list[BackgroundSource]:
    """μ/π/K decays in flight giving a charged daughter below the box edge."""
    beam, line = ctx.pipeline.beam, ctx.pipeline.beamline
    rates = decay_in_flight_rates(beam, line, ctx.box_edge)
    parents: dict[str, float] = {}
    for key, (rate, _) in rates.items():
        if rate > 0:
            parents.setdefault(key.split(" -> ")[0], 0.0)
            parents[key.split(" -> ")[0]] += rate
    out = []
    base = ctx.pipeline.core(n, rng)
    for name in parents:
        sp = PARTICLES[name]
        e0 = math.sqrt(beam.momentum**2 + sp.mass**2)
        cols = {"pdg": np.full(n, sp.pdg, dtype=np.int64), "energy": np.full(n, e0),
                "x": base["x"], "y": base["y"], "tx": base["tx"], "ty": base["ty"]}
        # biased: every parent decays over the flight path (weight = true decay probability)
        long_path = 1e6 * line.decay_length
        dec = apply_decays_in_flight(cols, long_path, rng)
        p_dec = float(decay_probability(np.array([e0]), sp.mass, sp.lifetime,
                                        line.decay_length)[0])
        frac = next(a.fraction for a in beam.admixtures if a.particle == name) / beam.primary_fraction \
            if name != beam.particle else 1.0
        misid = srd_misid_probability(sp.pdg, e0, line) if name != beam.particle else 1.0
        population = frac * p_dec * misid
        ev = ctx.pipeline.events(dec, rng)
        low = np.asarray(dec["energy"]) < ctx.box_edge
        ev_low = {k: np.asarray(v)[low] for k, v in ev.items()}
        f_low = float(np.mean(low))
        p = _selected(ctx, ev_low, ("srd",)) if low.any() else (0.0, ZERO_PASS_BOUND / n)
        v, u = _product((population * f_low, population * f_low * 0.5), p)
        out.append(BackgroundSource(
            f"{name} decays in flight", v, u,
            f"{name}/EOT × P(decay in {line.decay_length / 1e3:g} m) × SRD mis-ID bound × "
            f"P(daughter < box edge) = {population * f_low:.3g}/EOT (±50%: admixture) × "
            f"P(other cuts) from {int(low.sum())} simulated decays", int(low.sum()),
            _flow(ctx, ev_low, population * f_low, exclude=("srd",)) if low.any() else []))
    return out
