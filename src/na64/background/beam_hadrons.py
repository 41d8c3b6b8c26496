"""Hadrons of the beam (π, K, p) that fake an electron: admixture × the SRD mis-identification
bound (:func:`na64.beam.srd_misid_probability`) × P(other cuts) from simulated hadrons."""

from __future__ import annotations

import numpy as np

from ..beam import hadron_rates
from .base import BackgroundContext, BackgroundSource, _flow, _product, _selected
from .registry import register_source


@register_source("beam_hadrons", "hadrons in the beam faking an electron (SRD mis-ID bound)")
def _hadrons(ctx: BackgroundContext, rng: np.random.Generator, n: int) -> list[BackgroundSource]:
    out = []
    rates = hadron_rates(ctx.pipeline.beam, ctx.pipeline.beamline)  # includes the SRD mis-ID bound
    base = ctx.pipeline.core(n, rng)
    for name, (rate, rate_unc) in rates.items():
        ev = ctx.pipeline.events(ctx.pipeline.as_species(base, name), rng)
        p = _selected(ctx, ev, ("srd",))
        v, u = _product((rate, rate_unc), p)
        out.append(BackgroundSource(
            f"{name} in the beam", v, u,
            f"admixture × SRD mis-ID upper bound = {rate:.3g}/EOT × P(other cuts) from "
            f"{n} simulated {name}", n, _flow(ctx, ev, rate, exclude=("srd",))))
    return out
