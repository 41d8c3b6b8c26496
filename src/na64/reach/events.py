"""From incoming particles to reconstructed, selectable events, for one analysis.

:class:`EventBuilder` holds the validated setup, beam line and selection of an analysis and
chains the fast-simulation stages for any incoming particles:

* upstream: synchrotron radiation in the SRD (:func:`na64.beam.srd_response`) and the
  momentum spectrometer (:func:`na64.beam.track_momentum`), both seeing the particle as it
  was before any decay in flight (the parent);
* calorimeters: :func:`na64.detector.response` (EM, hadronic and muon response);
* reconstruction: :mod:`na64.reco` (ECAL, pre-shower, HCAL and veto sums, shower χ²);

and returns the columns read by the selection (:func:`na64.select.invisible_selection`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import reco
from ..beam import load_beam, load_beamline, sample_beam, srd_response, track_momentum
from ..beam.particles import PARTICLES
from ..detector import load_setup
from ..detector.response import response
from ..select import Selection, invisible_selection
from ..units import GeV, MeV
from .config import AnalysisConfig

__all__ = ["EventBuilder", "signal_particles"]

Events = dict[str, np.ndarray]


class EventBuilder:
    """Simulate and reconstruct events of one analysis (setup + beam line + selection).

    Parameters
    ----------
    config
        The analysis; its ``setup`` is loaded, its beam energy and particle override the
        setup's ``[beam]`` table, and its ``[selection]`` values configure the cuts.
    """

    def __init__(self, config: AnalysisConfig) -> None:
        self.config = config
        self.setup = load_setup(config.setup)
        table = dict(self.setup.beam)
        table.update({"particle": config.beam, "energy": f"{config.energy / MeV!r}MeV"})
        self.beam = load_beam(table)
        self.beamline = load_beamline(self.setup.beamline)
        sel = config.selection
        self.selection: Selection = invisible_selection({
            "ecal_max": f"{sel.ecal_max / MeV!r}MeV",
            "hcal_max": f"{sel.hcal_max / MeV!r}MeV",
            "veto": f"{sel.veto_max / MeV!r}MeV",
            "preshower": f"{sel.preshower_min / MeV!r}MeV",
            "shower_shape": sel.shape_chi2_max,
        })

    # ------------------------------------------------------------------ helpers
    def ecal_resolution(self, energy: float) -> float:
        """σ_E of the target calorimeter at ``energy`` (stochastic ⊕ constant ⊕ noise)."""
        cal = self.setup.target
        n_cells = float(np.prod(cal.cells)) * 2
        var = (cal.stochastic**2 * GeV * energy + (cal.constant * energy) ** 2
               + cal.noise**2 * n_cells)
        return math.sqrt(var)

    def electrons(self, n: int, rng: np.random.Generator) -> Events:
        """``n`` beam particles of the primary species from the Gaussian core of the beam
        (no tail, no admixtures): the particles that count as EOT for the signal."""
        core = self.beam.model_copy(update={"admixtures": (),
                                            "tail": self.beam.tail.model_copy(
                                                update={"fraction": 0.0})})
        return sample_beam(core, self.beamline, n, rng)

    def beam_particles(self, n: int, rng: np.random.Generator, **update: Any) -> Events:
        """``n`` particles of the beam with some of its settings replaced (``update``)."""
        return sample_beam(self.beam.model_copy(update=update), self.beamline, n, rng)

    def as_species(self, base: Mapping[str, np.ndarray], name: str) -> Events:
        """The beam-core particles ``base`` (from :meth:`electrons`) turned into ``name``
        (e.g. ``"pi-"``) at the same momentum, spot and divergence, not decayed."""
        sp = PARTICLES[name]
        parts = {k: np.asarray(v) for k, v in base.items()}
        n = parts["energy"].size
        p = self.beam.momentum * parts["energy"] / self.beam.energy
        parts["pdg"] = np.full(n, sp.pdg, dtype=np.int64)
        parts["energy"] = np.sqrt(p**2 + sp.mass**2)
        parts["decayed"] = np.zeros(n, bool)
        parts["parent_pdg"] = parts["pdg"]
        parts["parent_energy"] = parts["energy"]
        return parts

    # ------------------------------------------------------------------ stages
    def upstream(self, particles: Mapping[str, np.ndarray], rng: np.random.Generator) -> Events:
        """SRD energies and the spectrometer track of the incoming particles."""
        parts = dict(particles)
        # the spectrometer and the SRD see the parent of a particle decayed downstream of them
        if "parent_pdg" in parts:
            decayed = np.asarray(parts.get("decayed", np.zeros(len(parts["pdg"]), bool)), bool)
            parts["pdg"] = np.where(decayed, parts["parent_pdg"], parts["pdg"])
            parts["energy"] = np.where(decayed, parts["parent_energy"], parts["energy"])
        srd = srd_response(parts, self.beamline, rng)
        trk = track_momentum(parts, self.beamline, rng)
        return {
            "srd": srd,
            "srd_energy": srd.sum(axis=1),
            "p_in": np.asarray(trk["momentum"], dtype=float),
            "n_tracks": np.asarray(trk["n_tracks"]),
        }

    def reconstruct(self, raw: Mapping[str, np.ndarray]) -> Events:
        """Reco quantities of the selection from calorimeter cells."""
        name = self.setup.target_name
        cells = raw[name]
        out: Events = {
            "ecal_energy": reco.ecal_energy(cells),
            "preshower_energy": reco.preshower_energy(cells),
            "shower_chi2": reco.shower_chi2(cells, self.setup),
        }
        n = cells.shape[0]
        out["hcal_energy"] = reco.hcal_energy(raw["hcal"]) if "hcal" in raw else np.zeros(n)
        out["veto_energy"] = reco.veto_energy(raw["veto"]) if "veto" in raw else np.zeros(n)
        return out

    def events(self, particles: Mapping[str, np.ndarray], rng: np.random.Generator, *,
               calorimeter: Mapping[str, np.ndarray] | None = None) -> Events:
        """Upstream + calorimeters + reconstruction for incoming particles at the target.

        ``particles`` hold one incoming particle per event.  ``calorimeter`` (optional) are
        the particles that enter the calorimeters instead, several per event allowed
        through an ``event`` column (see :func:`na64.detector.response`); by default the
        incoming particles themselves.
        """
        up = self.upstream(particles, rng)
        source = particles if calorimeter is None else calorimeter
        calo_in = {k: np.asarray(v) for k, v in source.items()
                   if k in ("pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible",
                            "event")}
        raw = response(self.setup, calo_in, rng)
        ev = {**up, **self.reconstruct(raw)}
        ev["true_pdg"] = np.asarray(raw["true_pdg"])
        ev["true_energy"] = np.asarray(raw["true_energy"])
        return ev

    def signal_events(self, truth: Mapping[str, np.ndarray], rng: np.random.Generator) -> Events:
        """Events in which one A' took ``e_aprime`` from the shower of a beam electron.

        ``truth`` are the columns of :meth:`na64.generate.DarkBremSignal.sample`
        (generated at the nominal beam energy E0).  The beam electrons are sampled from the
        beam core and pass the upstream detectors unchanged; what enters the calorimeters
        (recoil electron, photons radiated before the emission) is built by
        :func:`signal_particles`.
        """
        beam = self.electrons(np.asarray(truth["e_aprime"]).size, rng)
        calo, e_inv = signal_particles(truth, beam, self.config.energy,
                                       self.setup.target.length)
        # the upstream detectors see the beam electron before the target
        ev = self.events(beam, rng, calorimeter=calo)
        ev["true_e_aprime"] = e_inv
        return ev


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
        "event": rad.astype(np.int64),
    }
    return {k: np.concatenate([np.asarray(electron[k]), photons[k]]) for k in photons}, e_inv
