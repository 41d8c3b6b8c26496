"""The low-energy tail of the beam momentum spectrum below the signal-box edge."""

from __future__ import annotations

import numpy as np

from ..beam import low_energy_tail_rate
from ..beam.particles import PARTICLES
from .base import BackgroundContext, BackgroundSource, _flow, _product, _selected
from .registry import register_source


@register_source("beam_tail", "low-energy tail of the beam below the box edge")
def _low_energy_tail(ctx: BackgroundContext, rng: np.random.Generator, n: int
                     ) -> BackgroundSource | None:
    beam = ctx.pipeline.beam
    if beam.tail.fraction <= 0.0:
        return None
    rate, rate_unc = low_energy_tail_rate(beam, ctx.box_edge)
    # biased sample: tail particles only (the configured shape), then those below the edge
    parts = ctx.pipeline.beam_particles(4 * n, rng, admixtures=(),
                                   tail=beam.tail.model_copy(update={"fraction": 0.5}))
    keep = np.flatnonzero(np.asarray(parts["in_tail"]) & (parts["energy"] < ctx.box_edge))
    keep = keep[:n]
    if keep.size == 0:
        return BackgroundSource("low-energy beam tail", 0.0, rate, "no tail particle below the "
                                "box edge could be sampled; bound = population", 0)
    sub = {k: np.asarray(v)[keep] for k, v in parts.items()}
    ev = ctx.pipeline.events(sub, rng)
    mass = PARTICLES[beam.particle].mass
    p_true = np.sqrt(np.maximum(sub["energy"] ** 2 - mass**2, 0.0))
    p = _selected(ctx, ev, (), momentum=(p_true, mass))
    v, u = _product((rate, rate_unc), p)
    return BackgroundSource(
        "low-energy beam tail", v, u,
        f"tail fraction below {ctx.box_edge / 1e3:g} GeV = {rate:.3g}/EOT × "
        f"P(pass) from {keep.size} simulated tail electrons (momentum window from the "
        "Gaussian spectrometer resolution)", int(keep.size),
        _flow(ctx, ev, rate))
