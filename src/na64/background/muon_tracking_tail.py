r"""Beam muons whose outgoing momentum is mis-measured into the signal box (MS2 tails).

A 160 GeV muon that crosses the target as a MIP is measured by MS2 with the Gaussian
resolution σ_κ on the curvature κ = 1/p of :func:`na64.beam.tracking.expected_momentum_resolution`
(already in the pipeline); reconstruction tails (hit mis-association, single large-angle
scatters in the stations) add a non-Gaussian part.  No NA64μ value is published, so the tail
is parameterised and assumed: a fraction ``TAIL_FRACTION`` of the tracks has a Gaussian
curvature error ``TAIL_WIDTH`` times wider (the usual double-Gaussian description of
tracker residuals).  A track falls in the box if κ_meas > 1/p_out_max:

    rate = f_tail × Q((1/p_cut − 1/E0) / (k σ_κ(E0))),

Q the upper Gaussian tail (scipy.special.ndtr of the negated argument); the core's own
contribution is in ``muon_beam``.  The uncertainty is taken as 100% of the rate (the
parameters are assumptions).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr

from ..beam.tracking import downstream_spectrometers, expected_momentum_resolution
from ..constants import M_MU
from .base import BackgroundContext, BackgroundSource
from .registry import register_source

__all__ = ["TAIL_FRACTION", "TAIL_WIDTH", "tail_rate"]

#: Fraction of outgoing tracks in the non-Gaussian tail (assumed).
TAIL_FRACTION = 1e-3
#: Width of the tail in units of the core curvature resolution (assumed).
TAIL_WIDTH = 3.0


def tail_rate(p_cut: float, energy: float, sigma_rel: float, *,
              fraction: float = TAIL_FRACTION, width: float = TAIL_WIDTH) -> float:
    """Probability that a muon of momentum ``energy`` is measured below ``p_cut`` through the
    tail, for a core resolution ``sigma_rel`` = σ_p/p at ``energy``."""
    sigma_k = sigma_rel / energy
    pull = (1.0 / p_cut - 1.0 / energy) / (width * sigma_k)
    return float(fraction * math.exp(max(float(log_ndtr(-pull)), -700.0)))


@register_source("muon_tracking_tail", "beam muons mis-measured into the p_out box by a "
                                       "non-Gaussian MS2 tail (assumed parameters)",
                 absent_note="no muon beam or no spectrometer behind the target")
def _tracking_tail(ctx: BackgroundContext, rng: np.random.Generator, n: int
                   ) -> BackgroundSource | None:
    pipe = ctx.pipeline
    names = downstream_spectrometers(pipe.beamline)
    if pipe.beam.particle not in ("mu+", "mu-") or not names:
        return None
    e0 = ctx.energy
    sigma = expected_momentum_resolution(pipe.beamline, e0, M_MU, names[0])
    rate = tail_rate(ctx.box_edge, e0, sigma)
    return BackgroundSource(
        "MS2 momentum tail", rate, rate,
        f"f_tail = {TAIL_FRACTION:g} × Q(pull), tail width {TAIL_WIDTH:g} σ_core "
        f"(σ_p/p = {sigma:.3g} at {e0 / 1000:g} GeV)", 0, [],
        ("tail fraction and width assumed (no published NA64mu value); uncertainty 100%",))
