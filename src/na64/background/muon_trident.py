r"""Muon tridents in the target whose two extra muons escape the outgoing spectrometer.

A beam muon that makes a μ+μ− pair on a nucleus of the target (μZ → μZμ+μ−) and gives it
a fraction v ≥ v_cut of its energy leaves in the signal box.  The two new muons cross the
calorimeters as MIPs like the beam muon, so the calorimeter cuts do not stop the event;
only the spectrometer behind the target (MS2) can, by reconstructing more than one track.
The event fakes the signal if MS2 reconstructs exactly one of the three muons and its
momentum is below the box edge:

    rate = P(v ≥ v_cut in the target) × ⟨w P(one track below the box | v, ρ)⟩,

* P(v ≥ v_cut) = L Σ_i f_i n_i ∫ dσ/dv dv with the muon-pair cross section of
  :mod:`na64.physics.muon_interactions` (``muon_pair``: Kelner, Kokoulin & Petrukhin,
  Phys. At. Nucl. 63 (2000) 1603), v_cut as for the other hard losses
  (:func:`na64.background.muon_hard_losses.v_cut`);
* v forced from dσ/dv with exact weights w (as :func:`~na64.background.muon_hard_losses.
  sample_losses`), the pair asymmetry ρ = (E+ − E−)/(vE) from the same cross section's
  density in ρ (:func:`~na64.physics.muon_interactions.muon_pair_asymmetry_density`);
* the three muons -- the beam muon with (1 − v)E, the pair's μ+ and μ− with
  vE(1 ± ρ)/2 -- leave the target along the beam line (their angles, of order m_μ/E,
  a few mrad at most, are neglected) and each is tracked through MS2 on its own
  (:func:`na64.beam.tracking.track_momentum`: the stations' active areas, the magnet's
  bend of either charge, resolution and multiple scattering).

Assumed (conservative): two muons that both cross MS2 are always two tracks (no
merging that a real pattern recognition might do is credited); the trigger and the muon
identification are not required of the reconstructed muon.  Not included: pairs made
upstream of the target and electron tridents (``muon_pairs``).

Why few can pass: the two lost muons must carry at least E0 − p_box (80 GeV for the 160 GeV
beam and the 80 GeV box), so one of them at least half of it, while MS2's acceptance loses
only muons that its magnet bends out of the stations, below ~20–26 GeV in ``m2_muons``.
With none of the forced tridents passing, the estimate is 0 and its uncertainty that of
one forced trident passing, P(v ≥ v_cut)/n.
"""

from __future__ import annotations

import math

import numpy as np

from ..beam.tracking import downstream_spectrometers, track_momentum
from ..constants import M_MU
from ..materials import Material
from ..physics import muon_interactions as mi
from .base import BackgroundContext, BackgroundSource
from .muon_hard_losses import sample_losses, v_cut
from .registry import register_source

__all__ = ["sample_asymmetry", "trident_estimate"]

_N_RHO = 96


def sample_asymmetry(energy: float, v: np.ndarray, mix: tuple[tuple[Material, float], ...],
                     rng: np.random.Generator) -> np.ndarray:
    """Pair asymmetries ρ for pair fractions ``v`` of a muon of total ``energy`` (MeV) in a
    layer mix: inverse-CDF sampling of the cross section's density in ρ (summed over the
    mix's elements, weighted by their share of the cross section), on a grid in ρ per event.
    """
    v = np.asarray(v, dtype=float)
    rho_max = np.maximum(1.0 - 2.0 * M_MU / (v * energy), 0.0)
    # grid in |ρ| denser towards ρ_max, where the density peaks
    t = (np.arange(_N_RHO) + 0.5) / _N_RHO
    grid = rho_max[:, None] * (1.0 - (1.0 - t[None, :]) ** 2)
    dens = np.zeros_like(grid)
    for mat, frac in mix:
        for z, a, n in mat.atoms_per_volume():
            dens += frac * n * z * z * mi.muon_pair_asymmetry_density(
                energy, v[:, None], grid, z, a)
    width = rho_max[:, None] * 2.0 * (1.0 - t[None, :]) / _N_RHO
    cdf = np.cumsum(dens * width, axis=1)
    total = cdf[:, -1:]
    u = rng.random((v.size, 1)) * np.where(total > 0, total, 1.0)
    idx = np.minimum((cdf < u).sum(axis=1), _N_RHO - 1)
    mag = grid[np.arange(v.size), idx]
    sign = np.where(rng.random(v.size) < 0.5, -1.0, 1.0)
    return np.asarray(np.where(total[:, 0] > 0, sign * mag, 0.0))


def trident_estimate(ctx: BackgroundContext, rng: np.random.Generator, n: int
                     ) -> tuple[float, float, float, float]:
    """(rate per MOT, its uncertainty, P(v ≥ v_cut), fraction of the forced tridents with
    exactly one reconstructed muon below the box)."""
    pipe = ctx.pipeline
    e0 = ctx.energy
    cal = pipe.setup.target
    mix = cal.layer_fractions
    lo = v_cut(ctx)
    hi = mi.v_max("muon_pair", e0)
    names = downstream_spectrometers(pipe.beamline)
    if not hi > lo or not names:
        return 0.0, 0.0, 0.0, 0.0
    v, w, sigma = sample_losses("muon_pair", mix, e0, lo, hi, n, rng)
    if not sigma > 0:
        return 0.0, 0.0, 0.0, 0.0
    p_int = float(cal.length) * sigma
    rho = sample_asymmetry(e0, v, mix, rng)
    beam_pdg = -13 if pipe.beam.particle == "mu+" else 13
    energies = np.concatenate([(1.0 - v) * e0, 0.5 * v * e0 * (1.0 + rho),
                               0.5 * v * e0 * (1.0 - rho)])
    pdg = np.concatenate([np.full(n, beam_pdg), np.full(n, -13), np.full(n, 13)])
    zeros = np.zeros(3 * n)
    energies = np.maximum(energies, M_MU * (1.0 + 1e-9))
    trk = track_momentum({"pdg": pdg, "energy": energies, "x": zeros, "tx": zeros,
                          "y": zeros, "ty": zeros}, pipe.beamline, rng, spectrometer=names[0])
    valid = np.asarray(trk["valid"], dtype=bool).reshape(3, n)
    mom = np.asarray(trk["momentum"], dtype=float).reshape(3, n)
    one = valid.sum(axis=0) == 1
    p_reco = np.where(valid, mom, 0.0).sum(axis=0)
    passed = one & (p_reco < ctx.box_edge)
    contrib = w * passed / float(w.mean())
    rate = p_int * float(contrib.mean())
    unc = p_int * float(contrib.std(ddof=1)) / math.sqrt(n) if n > 1 else rate
    if rate == 0.0:
        unc = p_int / n  # one forced trident of mean weight passing
    return rate, unc, p_int, float(np.mean(passed))


@register_source("muon_trident", "muon trident (mu Z -> mu Z mu+ mu-) in the target with "
                                 "only one of the three muons reconstructed in MS2",
                 absent_note="the beam is not a muon beam")
def _source(ctx: BackgroundContext, rng: np.random.Generator, n: int
            ) -> BackgroundSource | None:
    if ctx.pipeline.beam.particle not in ("mu+", "mu-"):
        return None
    rate, unc, p_int, frac = trident_estimate(ctx, rng, n)
    return BackgroundSource(
        "muon trident with two muons lost in MS2", rate, unc,
        f"P(v >= {v_cut(ctx):.3f} in the target) = {p_int:.3g} × <w P(one track below the "
        f"box)> of {n} forced tridents ({frac:.3g} of them pass; with none passing, the "
        "uncertainty is one of them passing)", n, [],
        ("muon-pair cross section of Kelner, Kokoulin & Petrukhin (2000), "
         "na64.physics.muon_interactions",
         "the three muons leave along the beam line; each tracked through MS2 on its own",
         "assumed: two muons crossing MS2 are two tracks; trigger and muon identification "
         "not required (conservative)"))
