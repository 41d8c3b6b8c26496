"""Beam muons (and what rides with them) that end in the missing-momentum signal box.

The whole M2 beam of the setup (core, momentum tail, admixtures, decays in flight upstream
of the target) is sent through the event pipeline: ionization, knock-on electrons and
catastrophic radiative losses in the target and the calorimeters (:mod:`na64.detector.muon`),
the MS1 and MS2 tracks with their resolution and multiple scattering
(:mod:`na64.beam.tracking`).  P(pass) is factorized into the upstream cuts (MS1) and the
others, each counted on the sample (a zero count gives the one-sided 68.3% CL bound).

Not estimated here (a zero count of the whole beam only bounds them): hard losses with
undetected products and the non-Gaussian tails of the track reconstruction (NA64mu lists
these, arXiv:2401.01708, arXiv:2409.10128); they are the sources of
:mod:`na64.background.muon_hard_losses` and :mod:`na64.background.muon_tracking_tail`.
"""

from __future__ import annotations

import numpy as np

from .base import BackgroundContext, BackgroundSource, _flow, _selected
from .registry import register_source

#: What the estimate leaves out.
MUON_BEAM_NOTES: tuple[str, ...] = (
    "hard losses with undetected products and tracking tails are the sources muon_brems, "
    "muon_pairs, muon_photonuclear, muon_knock_on and muon_tracking_tail; mu decays before "
    "MS2: source muon_decays",
)


@register_source("muon_beam", "beam muons whose p_out falls in the signal box (energy loss, "
                              "tracking resolution)",
                 absent_note="the beam is not a muon beam")
def _muon_beam(ctx: BackgroundContext, rng: np.random.Generator, n: int
               ) -> BackgroundSource | None:
    if ctx.pipeline.beam.particle not in ("mu+", "mu-"):
        return None
    parts = ctx.pipeline.beam_particles(n, rng)
    ev = ctx.pipeline.events(parts, rng)
    p, u = _selected(ctx, ev, ())
    return BackgroundSource(
        "beam muons", p, u,
        f"P(pass) of {n} simulated beam particles (core, tail, admixtures): MS1 cuts × "
        "the others", n, _flow(ctx, ev, 1.0), MUON_BEAM_NOTES)
