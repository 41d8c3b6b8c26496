"""Hadrons of the beam (π−, K−) faking the visible-mode signature.

A beam hadron that the SRD mis-tags as an electron can give E_WCAL + E_ECAL = E0 with one
EM-like shower in the ECAL and nothing in the HCAL when it crosses the WCAL without a
nuclear interaction (a MIP: the energy sum does not ask for energy in the WCAL) and gives
nearly all its energy to a neutral pion at its first interaction in the ECAL (charge
exchange π− p → π0 n and leading-π0 production), or when that happens in the last layers
of the WCAL; W2 must then miss its MIP and S4 must see it in the two-MIP window.  The
fast simulation models these interactions (:data:`na64.detector.hadron.
CHARGE_EXCHANGE_PROBABILITY`, the whole pion energy into an EM shower from the
interaction point, for charged pions only), so the pass probability is taken from the
event pipeline (:meth:`~na64.pipeline.EventPipeline.as_species` of beam-core particles):

    rate(h) = f_h/f_e × P_SRD(h) × P(track, momentum) × P(downstream cuts),

* f_h/f_e × P_SRD(h): the admixture of the beam configuration times the SRD mis-tag upper
  bound (:func:`na64.beam.hadron_rates`, synchrotron-radiation physics), as for the
  invisible mode (:mod:`na64.background.beam_hadrons`);
* P(downstream): the events whose hadron has no nuclear interaction in front of the end of
  S4 (``true_interaction_z``) are split into the counter cuts (W2, S4: the ionisation of
  the track) and the calorimeter cuts (ECAL threshold, energy sum, shape, HCAL), which
  act on independent detectors after the track crossed the counters, so
  P = P(counters | late) × P(calorimeters ∧ late) + P(all ∧ early), each counted; a
  factor without a passing event gives 0 with the zero-pass bound 1.148/N as its
  uncertainty (:mod:`na64.background.base`).

Decays in flight of the hadrons that W2 misses, in the decay region behind it, are
bounded (:func:`decay_bound`, every decay taken to pass) in the source's notes, not added.
Not modelled: the charge exchange of kaons (K− p → K̄0 n; the fast simulation gives it to
charged pions only), hadrons from the beam halo outside the spectrometer acceptance.
"""

from __future__ import annotations

import math

import numpy as np

from ..beam import hadron_rates
from .base import (
    BackgroundContext,
    BackgroundSource,
    _flow,
    _pass_probability,
    _product,
)
from .photon_punch import _is_visible_setup
from .registry import register_source

_COUNTERS = ("w2_veto", "decay_counter")
_CALO = ("ecal_min", "energy_sum", "shower_shape", "hcal_max")
_TRACK = ("single_track", "beam_momentum")


def _group(ctx: BackgroundContext, events: dict[str, np.ndarray], names: tuple[str, ...]
           ) -> np.ndarray:
    sel = ctx.selection
    keep = [c.name for c in sel if c.name in names]
    return sel.mask(events, exclude=[c.name for c in sel if c.name not in keep])


def downstream_probability(ctx: BackgroundContext, events: dict[str, np.ndarray]
                           ) -> tuple[float, float, dict[str, float]]:
    """P(downstream cuts) of beam hadrons, factorised as in the module docstring:
    (value, uncertainty, the factors)."""
    setup = ctx.pipeline.setup
    dc = setup.decay_counter
    if dc is None:
        raise ValueError(f"setup {setup.name!r} has no decay counter")
    z_stop = dc.z + dc.length - setup.target.z
    z_int = np.asarray(events["true_interaction_z"], dtype=float)
    late = (z_int < 0) | (z_int > z_stop)
    counters = _group(ctx, events, _COUNTERS)
    calo = _group(ctx, events, _CALO)
    n = late.size
    p_late = late.mean() if n else 0.0
    c_late = _pass_probability(counters[late])
    k_late = _pass_probability(calo & late)
    early = _pass_probability(counters & calo & ~late)
    v1, u1 = _product(c_late, k_late)
    value = v1 + early[0]
    unc = math.hypot(u1, early[1])
    return value, unc, {"late": float(p_late), "counters|late": c_late[0],
                        "calorimeters&late": k_late[0], "all&early": early[0]}


def decay_bound(ctx: BackgroundContext, name: str, rate_past_counters: float
                ) -> tuple[float, float]:
    """Upper bound on beam hadrons that cross W2 and S4 unseen and decay behind W2.

    A beam π−/K− that W2 misses can decay in the decay region (K− → π−π0, K− → π0 e− ν̄,
    …) and give the ECAL a π0 shower.  Bounded by the rate of such hadrons past the
    counters (``rate_past_counters``: admixture × SRD × P(track) × P(counters | no
    interaction before S4)) times the decay probability over the decay region at the
    beam energy, 1 − exp(−L m/(p cτ)) (:func:`na64.beam.decays.decay_probability`), every
    decay taken to pass the calorimeter cuts.

    Returns
    -------
    (bound per EOT, decay probability in the region)
    """
    from ..beam.decays import decay_probability
    from ..beam.particles import species
    from ..generate.visible import decay_region

    sp = species(name)
    z_a, z_b = decay_region(ctx.pipeline.setup)
    p = float(decay_probability(np.array([ctx.energy]), sp.mass, sp.lifetime, z_b - z_a)[0])
    return float(rate_past_counters) * p, p


@register_source("visible_beam_hadrons",
                 "beam pi-/K- mis-tagged by the SRD faking the visible signature (charge "
                 "exchange in the ECAL or the last WCAL layers)",
                 absent_note="visible_beam_hadrons: the beam has no hadron admixture "
                             "([[beam.admixtures]] of the setup) or the setup is not a "
                             "visible-mode one; not estimated")
def _visible_beam_hadrons(ctx: BackgroundContext, rng: np.random.Generator, n: int
                          ) -> list[BackgroundSource] | None:
    """Per hadron species of the beam admixture (module docstring)."""
    pipe = ctx.pipeline
    if not _is_visible_setup(pipe.setup):
        return None
    rates = hadron_rates(pipe.beam, pipe.beamline)
    if not rates:
        return None
    out = []
    base = pipe.core(n, rng)
    for name, (rate, rate_unc) in rates.items():
        ev = pipe.events(pipe.as_species(base, name), rng)
        track = _pass_probability(_group(ctx, ev, _TRACK))
        down, down_unc, parts = downstream_probability(ctx, ev)
        p = _product(track, (down, down_unc))
        v, u = _product((rate, rate_unc), p)
        factors = ", ".join(f"P({k}) = {x:.3g}" for k, x in parts.items())
        decay = decay_bound(ctx, name, rate * track[0] * parts["counters|late"])
        out.append(BackgroundSource(
            f"{name} in the beam (visible signature)", v, u,
            f"admixture x SRD mis-ID upper bound = {rate:.3g}/EOT x P(track) x "
            f"P(downstream, factorised) from {n} simulated {name}", n,
            _flow(ctx, ev, rate, exclude=("srd",)),
            (f"{factors}; P(track, momentum) = {track[0]:.3g}",
             "charge exchange / leading pi0 from the fast simulation "
             "(na64.detector.hadron.CHARGE_EXCHANGE_PROBABILITY, charged pions only; kaon "
             "charge exchange K- p -> K0bar n is not modelled)",
             f"decays in flight behind W2 (the hadron in the decay region, P_decay = "
             f"{decay[1]:.2g}): at most {decay[0]:.2g}/EOT (admixture x SRD x P(track) x "
             "P(counters|late) x P_decay, any decay mode, the calorimeters taken to pass), "
             "not added",
             "the SRD factor is an upper bound: so is the rate")))
    return out
