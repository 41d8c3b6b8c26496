r"""Beam muons (and what rides with them) that end in the missing-momentum signal box.

The whole M2 beam of the setup (core, momentum tail, admixtures, decays in flight upstream
of the target) is sent through the event pipeline: ionization, knock-on electrons and
catastrophic radiative losses in the target and the calorimeters (:mod:`na64.detector.muon`),
the MS1 and MS2 tracks with their resolution and multiple scattering
(:mod:`na64.beam.tracking`).  The events are split by their truth into three exclusive
classes, each estimated the way its size allows:

(a) a muon reaches the target above the box edge and leaves it above the box edge
    (``true_exit_energy`` > p_box): it can only fall into the box through a
    mis-measurement of MS2.  The rare tail is not counted but carried as a weight: each
    event contributes the probability that its Gaussian MS2 measurement of the curvature
    κ = 1/p falls beyond 1/p_box,

        w_i = Q((1/p_box − 1/p_i) / σ_κ(p_i)),   σ_κ(p) = (σ_p/p)(p) / p,

    with σ_p/p of :func:`na64.beam.tracking.expected_momentum_resolution` (the resolution
    of the pipeline's own track model: Gaussian hits, Highland scattering in the
    stations, thin-lens kick; its agreement with the simulated tracks is a test) and Q
    the upper Gaussian tail (``scipy.special.log_ndtr``, in logarithms: the weights of
    160 GeV muons are far below the smallest double).  The rate is the weighted mean

        rate_a = (1/N) Σ_i 1[up_i] 1[other_i] w_i

    with the event's own upstream (MS1) and non-box cuts, and its statistical uncertainty
    the standard error of that mean.  The non-Gaussian tracking tails are the source
    ``muon_tracking_tail``.
(b) a muon reaches the target above the box edge and leaves it below (a catastrophic
    loss in the target): the hard-loss sources ``muon_brems``, ``muon_pairs``,
    ``muon_photonuclear`` and ``muon_knock_on`` (forced v; analytic escape weights, and
    Geant4 final states for the hadrons) are
    its estimate; here the events of the class that pass every cut are only counted and
    reported in the notes (0 expected: their losses are seen by the calorimeters).
(c) the particle reaches the target already below the box edge or is not a muon:
    (c1) the decays in flight of the beam particles over the beam line's decay length
    (μ → eνν̄ upstream, π/K → μν of admixtures): a separate sample in which every
    unstable particle is forced to decay (:func:`na64.beam.decays.apply_decays_in_flight`
    with ``force``), each event weighted with its decay probability; P(pass) factorized
    into P(decay) × P(cuts but the muon identification) × P(muon identification), each a
    weighted fraction (see :func:`_forced_decays`);
    (c2) the undecayed rest (beam tail below the box, admixtures): P(c2) × P(pass | c2)
    counted on its events of the natural sample (zero when the beam has neither).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr, logsumexp

from ..beam.decays import apply_decays_in_flight
from ..beam.sampling import sample_beam
from ..beam.tracking import downstream_spectrometers, expected_momentum_resolution
from ..constants import M_MU
from .base import ZERO_PASS_BOUND, BackgroundContext, BackgroundSource, _flow, _product
from .registry import register_source

__all__ = ["MUON_BEAM_NOTES", "box_log_probability"]

#: What the estimate leaves out.
MUON_BEAM_NOTES: tuple[str, ...] = (
    "hard losses with undetected products and tracking tails are the sources muon_brems, "
    "muon_pairs, muon_photonuclear, muon_knock_on and muon_tracking_tail; mu decays before "
    "MS2: source muon_decays",
)

#: The muon-identification cut of :func:`na64.select.muon_selection`.
_MUON_ID = "muon_id"

#: Floor of the log box probability (its Gaussian tail is exact far below any double).
_BOX_LOG_FLOOR = -1.0e6


def box_log_probability(momentum: np.ndarray, p_box: float, sigma_rel: np.ndarray
                        ) -> np.ndarray:
    """ln P(κ_meas > 1/p_box) for tracks of true ``momentum`` measured with a Gaussian
    curvature error of relative width ``sigma_rel`` (σ_p/p at that momentum).

    κ_meas ~ N(1/p, σ_rel/p): P = Q((1/p_box − 1/p) p / σ_rel) (the normal upper tail, in
    logarithms through ``scipy.special.log_ndtr``; floored at −1e6).  Finite for every
    positive momentum.
    """
    p = np.maximum(np.asarray(momentum, dtype=float), 1e-300)
    s = np.maximum(np.asarray(sigma_rel, dtype=float), 1e-300)
    pull = (1.0 / p_box - 1.0 / p) * p / s
    return np.maximum(log_ndtr(-pull), _BOX_LOG_FLOOR)


@register_source("muon_beam", "beam muons whose p_out falls in the signal box (MS2 "
                              "mis-measurement of the Gaussian core, beam tail, admixtures)",
                 absent_note="the beam is not a muon beam")
def _muon_beam(ctx: BackgroundContext, rng: np.random.Generator, n: int
               ) -> BackgroundSource | None:
    pipe = ctx.pipeline
    if pipe.beam.particle not in ("mu+", "mu-"):
        return None
    parts = pipe.beam_particles(n, rng)
    ev = pipe.events(parts, rng)
    box_cut = ctx.box_cut
    p_box = ctx.box_edge
    sel = ctx.selection
    n_ev = int(np.asarray(parts["pdg"]).size)
    pdg = np.abs(np.asarray(parts["pdg"]))
    e_in = np.asarray(parts["energy"], dtype=float)
    decayed = np.asarray(parts.get("decayed", np.zeros(n_ev, bool)), dtype=bool)
    e_exit = np.asarray(ev.get("true_exit_energy", np.zeros(n_ev)), dtype=float)
    p_exit = np.sqrt(np.maximum(e_exit**2 - M_MU**2, 0.0))
    is_mu = pdg == 13
    cls_c2 = ~decayed & (~is_mu | (e_in <= p_box))
    cls_a = ~decayed & ~cls_c2 & (p_exit > p_box)
    cls_b = ~decayed & ~cls_c2 & ~cls_a
    other = sel.mask(ev, exclude=[box_cut])
    full = sel.mask(ev)

    # (a) the Gaussian MS2 tail as a weight per event
    names = downstream_spectrometers(pipe.beamline)
    rate_a = unc_a = 0.0
    log10_a = -math.inf
    keep = cls_a & other
    if names and keep.any():
        # σ_p/p of the pipeline's track model is a smooth function of p: tabulated
        grid = np.geomspace(max(float(p_exit[keep].min()), p_box * 1.0001),
                            max(float(p_exit[keep].max()), p_box * 1.001) * 1.0001, 32)
        table = np.array([expected_momentum_resolution(pipe.beamline, float(g), M_MU,
                                                       names[0]) for g in grid])
        sigma = np.exp(np.interp(np.log(p_exit[keep]), np.log(grid), np.log(table)))
        logw = box_log_probability(p_exit[keep], p_box, sigma)
        log_mean = float(logsumexp(logw)) - math.log(n_ev)
        log10_a = log_mean / math.log(10.0)
        rate_a = math.exp(log_mean) if log_mean > -700.0 else 0.0
        w = np.exp(np.maximum(logw, -700.0))
        unc_a = math.sqrt(max(float(np.sum(w * w)) / n_ev - rate_a**2, 0.0) / n_ev)
    # (b) counted only, for the notes: the hard-loss sources are its estimate
    k_b = int(np.count_nonzero(cls_b & full))
    # (c1) decays in flight upstream, forced, with their decay probability as weight
    rate_c1, unc_c1, n_c1 = _forced_decays(ctx, rng, n)
    # (c2) the undecayed particles below the box or not muons, factorized over the class
    n_c2 = int(np.count_nonzero(cls_c2))
    rate_c2 = unc_c2 = 0.0
    if n_c2:
        frac = n_c2 / n_ev
        k_c2 = int(np.count_nonzero(cls_c2 & full))
        rate_c2 = frac * k_c2 / n_c2
        unc_c2 = frac * (math.sqrt(k_c2) if k_c2 else ZERO_PASS_BOUND) / n_c2
    rate = rate_a + rate_c1 + rate_c2
    unc = math.sqrt(unc_a**2 + unc_c1**2 + unc_c2**2)
    method = (f"{n} simulated beam particles split by truth: (a) {int(cls_a.sum())} muons "
              f"above the box at the exit, each weighted with its Gaussian MS2 probability "
              f"of a measurement below {p_box / 1000:g} GeV (log10 rate = {log10_a:.4g}); "
              f"(b) {int(cls_b.sum())} with a hard loss in the target (the hard-loss "
              f"sources; {k_b} pass every cut); (c1) {n_c1} forced decays in flight "
              f"upstream, weighted with their decay probability ({rate_c1:.3g} ± "
              f"{unc_c1:.3g} per MOT); (c2) {n_c2} undecayed particles below the box or not "
              "muons, P(c2) × P(pass | c2)")
    c1_note = (f"class (c1), decays in flight upstream: {rate_c1:.3g} ± {unc_c1:.3g} per MOT"
               + (" (a bound: no forced decay passes)" if rate_c1 == 0.0 and unc_c1 > 0 else ""))
    notes = (
        *MUON_BEAM_NOTES,
        f"class (a) log10(rate per MOT) = {log10_a:.4g} (Gaussian core of the MS2 "
        "curvature; non-Gaussian tails: muon_tracking_tail)",
        f"class (b): {k_b} of {int(cls_b.sum())} simulated hard-loss events pass every cut "
        "(estimated by the hard-loss sources, not added here)",
        c1_note,
    )
    return BackgroundSource("beam muons", rate, unc, method, n, _flow(ctx, ev, 1.0), notes)


def _forced_decays(ctx: BackgroundContext, rng: np.random.Generator, n: int
                   ) -> tuple[float, float, int]:
    """Rate per MOT (value, uncertainty, events) of the beam particles that decay in flight
    over the beam line's decay length and then pass the selection: ``n`` undecayed beam
    particles, every unstable one forced to decay, weighted with its decay probability.

    P(pass) = P(decay) × P(every cut but the muon identification | decay) ×
    P(muon identification | decay), each factor a weighted fraction of the sample (a zero
    count: the one-sided 68.3% CL bound / N).  The factorization is conservative for the
    decay electrons, whose two groups anti-correlate (a shower contained in the ECAL does
    not reach the HCAL modules behind the first), and exact for independent groups.
    """
    pipe = ctx.pipeline
    length = float(pipe.beamline.decay_length)
    if length <= 0.0 or n <= 0:
        return 0.0, 0.0, 0
    still = pipe.beamline.model_copy(update={"decay_length": 0.0})
    base = dict(sample_beam(pipe.beam, still, int(n), rng))
    cols = apply_decays_in_flight(base, length, rng, force=True)
    w = np.where(np.asarray(cols["decayed"], bool), cols["decay_weight"], 0.0)
    n_dec = int(np.count_nonzero(w > 0))
    if not n_dec:
        return 0.0, 0.0, 0
    ev = pipe.events(cols, rng)
    sel = ctx.selection
    sw = float(w.sum())
    p_decay = sw / n
    groups = [[c.name for c in sel if c.name != _MUON_ID], [_MUON_ID]]
    if _MUON_ID not in [c.name for c in sel]:
        groups = [[c.name for c in sel]]
    value, unc = p_decay, p_decay / math.sqrt(n_dec)
    for names in groups:
        mask = sel.mask(ev, exclude=[c.name for c in sel if c.name not in names])
        k = int(np.count_nonzero(mask & (w > 0)))
        f = float(np.sum(w * mask)) / sw
        f_u = (math.sqrt(float(np.sum((w * mask) ** 2))) / sw if k
               else ZERO_PASS_BOUND / n_dec)
        value, unc = _product((value, unc), (f, f_u))
    return value, unc, n_dec
