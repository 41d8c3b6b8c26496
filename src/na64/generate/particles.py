"""What a signal event sends into the calorimeters, from a generator's truth columns.

A signal process (:mod:`na64.generate.processes`) generates truth at the nominal beam energy:
the energy the dark-sector particle takes, who emitted it (the beam particle or a shower
secondary), where and at which angle.  :func:`signal_particles` turns that into the particles
that enter the detector response of :class:`na64.pipeline.EventPipeline`, for a sampled beam
particle per event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..units import MeV

__all__ = ["signal_particles"]

Events = dict[str, np.ndarray]


def signal_particles(truth: Mapping[str, np.ndarray], beam: Mapping[str, np.ndarray], e0: float,
                     target_length: float) -> tuple[Events, np.ndarray]:
    """The particles a dark-bremsstrahlung event sends into the calorimeters.

    Parameters
    ----------
    truth
        Columns of :meth:`na64.generate.DarkBremSignal.sample` (generated at the nominal
        beam energy ``e0``): ``e_aprime``, ``e_emitter``, ``from_primary``, ``z``,
        ``theta``, ``phi``.
    beam
        One beam electron per event (``energy``, ``x``, ``y``, ``tx``, ``ty``, ...); the
        energies of the event scale with it, E · E_beam / e0.
    e0
        Nominal beam energy (MeV).
    target_length
        Depth of the active target (mm); emission depths are clipped to it.

    Returns
    -------
    (particles, e_invisible)
        Calorimeter input for :func:`na64.detector.response` with an ``event`` column (one
        or two particles per event), and the A' energy of each event.

    Notes
    -----
    * Emission by the beam electron itself (``from_primary``) at depth z with energy
      E_emit: the electron crosses the target up to z as a track, then the recoil electron
      (E_emit − E_A') showers from z with the transverse momentum that balances the A',
      p_T = E_A' sinθ_A' (nuclear recoil neglected: q_T² ≈ t_min ≪ p_T², arXiv:0906.0580
      App. A), its angle capped at 1 rad (a recoil that soft stops within a few cm of the
      emission point).  The energy E_beam − E_emit radiated before z travels on along the
      beam as bremsstrahlung photons; their shower starts at z/2, the middle of the path
      over which it was radiated (the conversion depth is part of the photon shower).
    * Emission by a shower secondary: the visible energy E_beam − E_A' showers from the
      target face along the beam (the rest of the shower is already spread).

    Energy is conserved, E_A' + Σ E = E_beam, and so is the transverse momentum of the
    emission, E_rec tan θ_rec = −p_T, up to the angle cap.
    """
    e_ap = np.asarray(truth["e_aprime"], dtype=float)
    n = e_ap.size
    scale = beam["energy"] / e0
    e_inv = np.clip(e_ap * scale, 0.0, beam["energy"])
    prim = np.asarray(truth["from_primary"], dtype=bool)
    z = np.clip(np.asarray(truth["z"], dtype=float), 0.0, target_length)
    z_start = np.where(prim, z, 0.0)
    e_emit = np.where(prim, np.clip(np.asarray(truth["e_emitter"], dtype=float) * scale,
                                    e_inv, beam["energy"]), beam["energy"])
    theta = np.asarray(truth["theta"], dtype=float)
    phi = np.asarray(truth["phi"], dtype=float)
    # recoil direction: p_T/E_rec, capped at 1 rad (a recoil that soft stops within a
    # few cm of the emission point, where the cap puts it)
    e_rec = np.maximum(e_emit - e_inv, 1.0 * MeV)
    sin_e = np.minimum(e_inv * np.sin(theta) / e_rec, math.sin(1.0))
    kick = np.where(prim, -sin_e / np.sqrt(1.0 - sin_e**2), 0.0)
    kx, ky = kick * np.cos(phi), kick * np.sin(phi)
    electron = dict(beam)
    electron.update({
        "energy": e_emit,
        "tx": beam["tx"] + kx,
        "ty": beam["ty"] + ky,
        # the kinked trajectory is drawn as one line through the emission point
        "x": beam["x"] - kx * z_start,
        "y": beam["y"] - ky * z_start,
        "z_start": z_start,
        "e_invisible": e_inv,
        "converted": np.zeros(n, dtype=bool),
        "event": np.arange(n, dtype=np.int64),
    })
    # photons radiated by the primary before the emission point
    rad = np.flatnonzero(prim & (beam["energy"] - e_emit > 0.0))
    photons = {
        "pdg": np.full(rad.size, 22, dtype=np.int64),
        "energy": beam["energy"][rad] - e_emit[rad],
        "x": beam["x"][rad],
        "y": beam["y"][rad],
        "tx": beam["tx"][rad],
        "ty": beam["ty"][rad],
        "z_start": 0.5 * z_start[rad],
        "e_invisible": np.zeros(rad.size),
        # the shower of many photons, from z_start (not one photon's conversion)
        "converted": np.ones(rad.size, dtype=bool),
        "event": rad.astype(np.int64),
    }
    return {k: np.concatenate([np.asarray(electron[k]), photons[k]]) for k in photons}, e_inv
