"""Photo-nuclear production in the target with a leading neutral hadron crossing the HCAL."""

from __future__ import annotations

import numpy as np

from .base import BackgroundContext, BackgroundSource
from .registry import register_source


@register_source("target_punch_through", "photo-nuclear n/K0L from the target punching through the HCAL")
def _target_punch_through(ctx: BackgroundContext, rng: np.random.Generator, n: int
                          ) -> BackgroundSource:
    """Photo-nuclear production in the target with a leading neutral hadron crossing the
    HCAL without interacting (:func:`na64.background.upstream.target_punch_through`); an
    analytic bound, ``rng`` and ``n`` are not used."""
    from .upstream import target_punch_through

    v, u, note = target_punch_through(ctx.pipeline.setup, ctx.energy, ctx.box_edge)
    return BackgroundSource(
        "hadron production in the target, n/K0L punch-through", v, u,
        "analytic upper bound: photo-nuclear rate in the target x HCAL non-interaction "
        "probability", 0, [], (note,))
