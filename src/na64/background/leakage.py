"""Ordinary beam electrons whose measured E_ECAL falls in the signal box (hermeticity).

Estimated by extrapolating the low-energy side band of E_ECAL (events passing every other
cut) into the signal box with an exponential fitted by maximum likelihood, the side-band
method of the NA64 analyses (arXiv:1710.00971, Sec. V; arXiv:1906.00176).
"""

from __future__ import annotations

import math

import numpy as np

from .base import ZERO_PASS_BOUND, BackgroundContext, BackgroundSource, _flow
from .registry import register_source


@register_source("leakage", "beam electrons whose E_ECAL falls in the signal box (side-band extrapolation)")
def _electron_sideband(ctx: BackgroundContext, rng: np.random.Generator, n: int
                       ) -> BackgroundSource:
    """Ordinary beam electrons whose measured E_ECAL falls in the signal box.

    Among simulated beam electrons passing every cut but the box edge, the low side of the
    E_ECAL distribution (the side band from the box edge up to E0 − 2σ_E) is fitted with an
    exponential by maximum likelihood and extrapolated into the box.  An exponential
    falls more slowly than the Gaussian resolution core, so the extrapolation is
    conservative; the uncertainty combines the side-band count and the ±1σ slope.
    """
    ev = ctx.pipeline.events(ctx.pipeline.core(n, rng), rng)
    others = ctx.selection.mask(ev, exclude="ecal_max")
    e = np.asarray(ev["ecal_energy"], dtype=float)[others]
    edge = ctx.box_edge
    top = ctx.energy - 2.0 * ctx.pipeline.resolution(ctx.energy)
    in_box = int(np.count_nonzero(e < edge))
    side = e[(e >= edge) & (e < top)]
    flow = _flow(ctx, ev, 1.0)
    if in_box > 0:
        p, u = in_box / n, math.sqrt(in_box) / n
        method = f"direct count: {in_box} of {n} simulated beam electrons in the signal box"
    elif side.size >= 5:
        width = top - edge
        k = _truncated_exp_slope(float(np.mean(side - edge)) / width)
        k_err = max(abs(k), 1.0) / math.sqrt(side.size)

        def box_over_side(kk: float) -> float:
            # ∫_{-edge}^{0} e^{kk u/width} du / ∫_0^{width} e^{kk u/width} du
            if abs(kk) < 1e-9:
                return edge / width
            return -math.expm1(max(min(-kk * edge / width, 700.0), -700.0)) / math.expm1(
                max(min(kk, 700.0), -700.0))

        p = side.size / n * box_over_side(k)
        p_soft = side.size / n * box_over_side(k - k_err)
        u = math.hypot(p / math.sqrt(side.size), p_soft - p)
        method = (f"side-band extrapolation: {side.size} of {n} electrons with E_ECAL in "
                  f"[{edge / 1e3:.0f}, {top / 1e3:.1f}] GeV, exponential fit "
                  f"(slope {k / width * 1e3:.3g}/GeV) extrapolated below {edge / 1e3:.0f} GeV")
    else:
        p, u = 0.0, ZERO_PASS_BOUND / n
        method = (f"fewer than 5 of {n} simulated electrons in the side band "
                  f"[{edge / 1e3:.0f}, {top / 1e3:.1f}] GeV: zero-count bound")
    beam = ctx.pipeline.beam.particle
    name = "beam electrons (leakage)" if beam == "e-" else f"beam {beam} (leakage)"
    return BackgroundSource(name, p, u, method, n, flow)


def _truncated_exp_slope(u_mean: float) -> float:
    """Slope k of the density ∝ e^{k u} on [0, 1] whose mean is ``u_mean`` (bisection)."""
    lo, hi = -500.0, 500.0

    def mean(k: float) -> float:
        if abs(k) < 1e-6:
            return 0.5 + k / 12.0
        return 1.0 / (1.0 - math.exp(-k)) - 1.0 / k

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mean(mid) < u_mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
