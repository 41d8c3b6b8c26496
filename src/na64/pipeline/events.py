"""The event pipeline: beam → particles at the target → detector response → reconstruction.

One :class:`EventPipeline` per setup and beam serves every user of events: ``na64
simulate`` (:func:`simulate_events`), the signal processes of a search, the background
sources and ``na64 select``.  All of them get the same columns (:mod:`na64.pipeline.schema`).

Stages
------
1. **beam** (:meth:`EventPipeline.beam_particles`, :meth:`EventPipeline.core`): incoming
   particles from the beam-line model of :mod:`na64.beam` (momentum spread, tail,
   admixtures, decays in flight);
2. **beam-line detectors** (:meth:`EventPipeline.upstream`): synchrotron radiation in the
   SRD and the spectrometers' tracks, both seeing the particle as it crossed the magnets
   (the parent of a particle that decayed downstream of them);
3. **detector response** (:class:`~na64.pipeline.DetectorResponse`, default the fast
   simulation): what enters the calorimeters, either the incoming particle itself or, for a
   signal event, the particles a signal process made (several per event allowed);
4. **reconstruction** (:func:`reconstruct`): the quantities selections cut on.

Each stage draws from the generator it is given, in this order, so events are a
deterministic function of the seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import reco
from ..beam import load_beam, sample_beam, srd_response, track_momentum
from ..beam.config import BeamConfig
from ..beam.particles import PARTICLES, mass_of
from ..beam.tracking import downstream_spectrometers, trigger_fired
from ..detector.setup import Setup, load_setup
from ..errors import InputError
from ..units import GeV
from .response import DetectorResponse, FastResponse
from .schema import spectrometer_columns

__all__ = ["CHARGED_PDG", "MAX_EVENTS", "EventPipeline", "reconstruct", "simulate_events",
           "tracker_pair_separation"]

#: |PDG codes| of the charged particles a tracker sees (e, μ, π, K, p).
CHARGED_PDG = (11, 13, 211, 321, 2212)

Columns = dict[str, NDArray[Any]]

#: Largest batch simulated in one call (memory: ~1 kB per event for na64e).
MAX_EVENTS = 10_000_000

#: Columns of the particles handed to the detector response.
_CALO_INPUT = ("pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible", "z_stop",
               "force_cex", "converted", "event")


class EventPipeline:
    """Beam, beam-line detectors, detector response and reconstruction of one setup.

    Parameters
    ----------
    setup
        A validated :class:`~na64.detector.Setup` or the name/path of one.
    beam
        The beam: a :class:`~na64.beam.config.BeamConfig`, a table overriding entries of the
        setup's ``[beam]`` table (e.g. ``{"particle": "e+", "energy": "70GeV"}``), or
        ``None`` for the setup's own beam.
    response
        The detector-response engine (default :class:`~na64.pipeline.FastResponse`).
    """

    def __init__(self, setup: Setup | str, beam: BeamConfig | Mapping[str, Any] | None = None,
                 *, response: DetectorResponse | None = None) -> None:
        self.setup: Setup = setup if isinstance(setup, Setup) else load_setup(setup)
        if isinstance(beam, BeamConfig):
            self.beam: BeamConfig = beam
        else:
            table = dict(self.setup.beam)
            table.update(dict(beam or {}))
            self.beam = load_beam(table, field="beam")
        self.beamline = self.setup.beamline
        self.response: DetectorResponse = response if response is not None else FastResponse()

    def __repr__(self) -> str:
        return (f"EventPipeline({self.setup.name!r}, {self.beam.particle} "
                f"{self.beam.energy / GeV:g} GeV, {self.response!r})")

    # ------------------------------------------------------------------ beam
    @property
    def energy(self) -> float:
        """Nominal beam energy (MeV)."""
        return float(self.beam.energy)

    def beam_particles(self, n: int, rng: np.random.Generator, **update: Any) -> Columns:
        """``n`` particles of the beam, with some beam settings replaced (``update``)."""
        beam = self.beam.model_copy(update=update) if update else self.beam
        return dict(sample_beam(beam, self.beamline, int(n), rng))

    def core(self, n: int, rng: np.random.Generator) -> Columns:
        """``n`` particles of the primary species from the Gaussian core of the beam (no
        tail, no admixtures): the particles that count as EOT (MOT) for a signal."""
        return self.beam_particles(n, rng, admixtures=(),
                                   tail=self.beam.tail.model_copy(update={"fraction": 0.0}))

    def as_species(self, base: Mapping[str, NDArray[Any]], name: str) -> Columns:
        """Beam-core particles ``base`` (from :meth:`core`) turned into ``name`` (e.g.
        ``"pi-"``) at the same momentum, spot and divergence, not decayed."""
        if name not in PARTICLES:
            raise InputError("particle", f"unknown particle {name!r}; allowed: "
                                         f"{', '.join(sorted(PARTICLES))}")
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

    def resolution(self, energy: float) -> float:
        """σ_E of the target calorimeter at ``energy`` (stochastic ⊕ constant ⊕ noise of all
        its cells)."""
        cal = self.setup.target
        n_cells = float(np.prod(cal.cells)) * 2
        var = (cal.stochastic**2 * GeV * energy + (cal.constant * energy) ** 2
               + cal.noise**2 * n_cells)
        return float(np.sqrt(var))

    # ------------------------------------------------------------------ stages
    def upstream(self, particles: Mapping[str, NDArray[Any]], rng: np.random.Generator
                 ) -> Columns:
        """Digitised beam-line detectors before the target: SRD energies and the track of
        every spectrometer upstream of it (those behind it: :meth:`downstream`).

        Both see the particle that crossed the magnets: for a particle that decayed in
        flight downstream of them (``decayed``), its parent (``parent_pdg``,
        ``parent_energy``).
        """
        parts = {k: np.asarray(v) for k, v in particles.items()}
        n = parts["pdg"].size
        if "parent_pdg" in parts:
            decayed = np.asarray(parts.get("decayed", np.zeros(n, bool)), bool)
            parts["pdg"] = np.where(decayed, parts["parent_pdg"], parts["pdg"])
            parts["energy"] = np.where(decayed, parts["parent_energy"], parts["energy"])
        out: Columns = {}
        line = self.beamline
        if line.srd is not None:
            out["srd"] = np.asarray(srd_response(parts, line, rng))
        down = set(downstream_spectrometers(line))
        out.update(self._spectrometers(parts, [s.name for s in line.spectrometers
                                               if s.name not in down], rng))
        return out

    def downstream(self, particles: Mapping[str, NDArray[Any]],
                   raw: Mapping[str, NDArray[Any]], rng: np.random.Generator) -> Columns:
        """Digitised spectrometers behind the target (the MS2 of NA64mu): the track of the
        particle leaving the target towards them (``true_exit_energy``, ``true_exit_pdg`` of
        the detector response) on the line it leaves on (``true_exit_x``, ``true_exit_tx``,
        ``true_exit_y``, ``true_exit_ty``: kinked by a signal emission, scattered in the
        target), or the incoming particle's line where the response gives none; no track
        where none leaves."""
        names = downstream_spectrometers(self.beamline)
        if not names:
            return {}
        parts = {k: np.asarray(v) for k, v in particles.items() if k in ("x", "y", "tx", "ty")}
        n = np.asarray(particles["pdg"]).size
        # a response engine that reports no exiting particle: no track behind the target
        pdg = np.asarray(raw.get("true_exit_pdg", np.zeros(n, np.int64))).astype(np.int64)
        parts["pdg"] = np.where(pdg != 0, pdg, 13)
        parts["energy"] = np.asarray(raw.get("true_exit_energy", np.zeros(n)), dtype=float)
        for key in ("x", "y", "tx", "ty"):
            if f"true_exit_{key}" in raw:
                parts[key] = np.asarray(raw[f"true_exit_{key}"], dtype=float)
            parts.setdefault(key, np.zeros(n))
        out = self._spectrometers(parts, list(names), rng)
        if self.beamline.trigger:
            out["trigger"] = trigger_fired(parts, self.beamline)
        return out

    def _spectrometers(self, parts: dict[str, NDArray[Any]], names: list[str],
                       rng: np.random.Generator) -> Columns:
        """The columns of the spectrometers ``names`` for the particles ``parts``; no track
        for a particle without kinetic energy."""
        out: Columns = {}
        line = self.beamline
        n = np.asarray(parts["pdg"]).size
        ok = parts["energy"] > mass_of(parts["pdg"]) * (1 + 1e-9)
        sub = parts if ok.all() else {k: v[ok] for k, v in parts.items()}
        for name in names:
            spec = line.spectrometer(name)
            n_st = len(spec.stations)
            cols: Columns = {
                "momentum": np.zeros(n), "valid": np.zeros(n, bool), "slope_in": np.zeros(n),
                "slope_out": np.zeros(n), "hits": np.zeros((n, n_st), np.float32),
                "hit_mask": np.zeros((n, n_st), bool),
            }
            if ok.any():
                res = track_momentum(sub, line, rng, spectrometer=spec.name)
                for key, col in cols.items():
                    col[ok] = res[key]
            # the result keys in the order of the schema's column names
            out.update(zip(spectrometer_columns(spec.name), cols.values(), strict=True))
        return out

    def detectors(self, particles: Mapping[str, NDArray[Any]], rng: np.random.Generator
                  ) -> Columns:
        """Digitised calorimeters and counters for the particles entering them."""
        calo_in = {k: np.asarray(v) for k, v in particles.items() if k in _CALO_INPUT}
        return dict(self.response(self.setup, calo_in, rng))

    def reconstruct(self, raw: Mapping[str, NDArray[Any]]) -> Columns:
        """The reconstructed columns of :data:`~na64.pipeline.RECO_COLUMNS` (see
        :func:`reconstruct`)."""
        return reconstruct(raw, self.setup)

    def events(self, particles: Mapping[str, NDArray[Any]], rng: np.random.Generator, *,
               calorimeter: Mapping[str, NDArray[Any]] | None = None,
               keep_raw: bool = False) -> Columns:
        """Beam-line detectors, detector response and reconstruction of incoming particles.

        Parameters
        ----------
        particles
            One incoming particle per event (columns of :func:`na64.beam.sample_beam`).
        rng
            Random generator.
        calorimeter
            The particles entering the calorimeters instead of ``particles`` (several per
            event through an ``event`` column), e.g. from a signal process.
        keep_raw
            Also return the digitised cell arrays (otherwise only the reconstructed
            columns, the beam-line scalars and the ``true_*`` columns).

        In a visible-mode setup (a WCAL dump and a decay counter) the events also carry
        ``tracker_pair_separation`` (:func:`tracker_pair_separation`).
        """
        up = self.upstream(particles, rng)
        calo = particles if calorimeter is None else calorimeter
        raw = self.detectors(calo, rng)
        raw.update(up)
        raw.update(self.downstream(particles, raw, rng))
        ev = self.reconstruct(raw)
        if self.setup.decay_counter is not None and self.setup.target_name == "wcal":
            n = int(np.asarray(particles["energy"]).size)
            ev["tracker_pair_separation"] = tracker_pair_separation(calo, self.setup, n)
        if keep_raw:
            ev.update(raw)
        else:
            ev.update({k: v for k, v in raw.items()
                       if k.startswith("true_") or np.asarray(v).ndim == 1})
        return ev

    def simulate(self, n_events: int, rng: np.random.Generator, *,
                 reconstruct: bool = False, core: bool = False) -> Columns:
        """``n_events`` particles of the beam through the setup: digitised columns, the beam
        truth as ``beam_*`` columns, and with ``reconstruct`` the reco columns.  With
        ``core`` only the Gaussian core of the primary particle (:meth:`core`), the sample
        a search counts as EOT."""
        if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
            raise InputError("n_events", f"must be an integer in [0, {MAX_EVENTS}], "
                                         f"got {n_events!r}")
        if not 0 <= n_events <= MAX_EVENTS:
            raise InputError("n_events", f"must be in [0, {MAX_EVENTS}], got {n_events}")
        n = int(n_events)
        particles = self.core(n, rng) if core else self.beam_particles(n, rng)
        raw = self.detectors(particles, rng)
        raw.update(self.upstream(particles, rng))
        raw.update(self.downstream(particles, raw, rng))
        for key, col in particles.items():
            if key in _CALO_INPUT:
                continue
            arr = np.asarray(col)
            if arr.dtype.kind in "biuf":
                raw[f"beam_{key}"] = arr
        if reconstruct:
            raw.update(self.reconstruct(raw))
        return raw


def tracker_pair_separation(particles: Mapping[str, NDArray[Any]], setup: Setup,
                            n_events: int) -> NDArray[np.float64]:
    """Separation (mm) at the tracker plane of the two most energetic charged particles
    that start in the decay region of a visible-mode setup; −1 for events with fewer than
    two.

    The tracker plane is the end of the decay region (the end of the decay counter,
    :func:`na64.generate.visible.decay_region`); a particle "starts in the decay region"
    when its ``z_start`` is at or behind the end of the dump: the daughters of a decay in
    flight, the pair of a conversion in W2 or S4, an e± leaving the dump.  Straight lines
    (no magnetic field in the decay volume; multiple scattering in W2/S4 neglected).  The
    tracker stations themselves are not simulated: this is the true separation, which the
    ``tracker`` cut of :func:`na64.select.visible_selection` compares with a two-hit
    resolution.

    Parameters
    ----------
    particles
        Calorimeter input of :meth:`EventPipeline.events` (``pdg``, ``energy``, ``x``,
        ``y`` at the target face, ``tx``, ``ty``, ``z_start`` from the target face and an
        optional ``event`` column).
    setup
        The visible-mode setup.
    n_events
        Number of events.
    """
    from ..generate.visible import decay_region

    z_a, z_b = decay_region(setup)
    out = np.full(int(n_events), -1.0)
    pdg = np.abs(np.asarray(particles["pdg"], dtype=np.int64))
    n_p = pdg.size
    event = (np.asarray(particles["event"], dtype=np.int64) if "event" in particles
             else np.arange(n_p, dtype=np.int64))
    z0 = (np.asarray(particles["z_start"], dtype=float) if "z_start" in particles
          else np.zeros(n_p))
    energy = np.asarray(particles["energy"], dtype=float)
    sel = np.isin(pdg, CHARGED_PDG) & (z0 >= z_a - 1e-6) & (z0 < z_b) & (energy > 0)
    if not sel.any():
        return out
    ev, e = event[sel], energy[sel]
    x = np.asarray(particles["x"], dtype=float)[sel] + np.asarray(particles["tx"],
                                                                   dtype=float)[sel] * z_b
    y = np.asarray(particles["y"], dtype=float)[sel] + np.asarray(particles["ty"],
                                                                   dtype=float)[sel] * z_b
    order = np.lexsort((-e, ev))  # by event, most energetic first
    ev, x, y = ev[order], x[order], y[order]
    first = np.flatnonzero(np.r_[True, ev[1:] != ev[:-1]])
    has2 = first + 1 < ev.size
    has2[has2] = ev[first[has2] + 1] == ev[first[has2]]
    a, b = first[has2], first[has2] + 1
    out[ev[a]] = np.hypot(x[a] - x[b], y[a] - y[b])
    return out


def reconstruct(raw: Mapping[str, NDArray[Any]], setup: Setup) -> Columns:
    """Reconstructed columns (:data:`~na64.pipeline.RECO_COLUMNS`) from digitised ones.

    Parameters
    ----------
    raw
        Digitised columns of the pipeline (or of an event file written by ``na64
        simulate``): the target calorimeter's cells, ``hcal``, ``veto``, ``srd`` and the
        spectrometer columns where the setup has them.
    setup
        The setup the events were simulated with (cell geometry, shower-shape calibration,
        beam-line spectrometers).

    Returns
    -------
    dict
        ``ecal_energy``, ``preshower_energy``, ``shower_chi2`` (of the ECAL; of the target
        calorimeter in a setup without one), ``wcal_energy`` (a WCAL in front of the ECAL),
        ``energy_sum`` (WCAL + ECAL), ``decay_counter_energy`` (the counter behind a decay
        volume),
        ``hcal_energy``, ``veto_energy`` (0 without the detector), ``srd_energy``,
        ``n_tracks`` and ``p_in`` (first spectrometer), ``p_out`` (second, when present).
    """
    name = "ecal" if setup.ecal is not None else setup.target_name
    if name not in raw:
        raise InputError("events", f"no {name!r} column: the events hold no cells of the "
                                   f"{name.upper()} of setup {setup.name!r}")
    cells = np.asarray(raw[name])
    cal = getattr(setup, name)
    grid = (len(cal.y_edges) - 1, len(cal.x_edges) - 1)
    if cells.ndim != 4 or cells.shape[2:] != grid:
        raise InputError("setup", f"the events' {name.upper()} cells are "
                                  f"{' x '.join(map(str, cells.shape[2:][::-1]))}, setup "
                                  f"{setup.name!r} has {grid[1]} x {grid[0]}: reconstruct "
                                  "them with the setup they were simulated with")
    n = cells.shape[0]
    out: Columns = {
        "ecal_energy": reco.ecal_energy(cells),
        "preshower_energy": reco.preshower_energy(cells),
        "shower_chi2": reco.shower_chi2(cells, setup.standalone(name)),
        "hcal_energy": reco.hcal_energy(raw["hcal"]) if "hcal" in raw else np.zeros(n),
        "veto_energy": reco.veto_energy(raw["veto"]) if "veto" in raw else np.zeros(n),
        "srd_energy": (np.asarray(raw["srd"], dtype=float).sum(axis=1) if "srd" in raw
                       else np.zeros(n)),
    }
    if name != setup.target_name and setup.target_name in raw:
        out[f"{setup.target_name}_energy"] = reco.ecal_energy(raw[setup.target_name])
        out["energy_sum"] = out[f"{setup.target_name}_energy"] + out["ecal_energy"]
    if "hcal" in raw and np.asarray(raw["hcal"]).ndim == 4 and np.shape(raw["hcal"])[1] > 1:
        out["hcal_back_energy"] = np.asarray(raw["hcal"], dtype=float)[:, 1:].sum(axis=(1, 2, 3))
    if "vhcal" in raw:
        out["vhcal_energy"] = reco.ecal_energy(raw["vhcal"])
    if "decay_counter" in raw:
        out["decay_counter_energy"] = reco.veto_energy(raw["decay_counter"])
    down = {s.lower() for s in downstream_spectrometers(setup.beamline)}
    specs = [s.name.lower() for s in setup.beamline.spectrometers if s.name.lower() not in down]
    if specs and f"{specs[0]}_momentum" in raw:
        out["p_in"] = np.asarray(raw[f"{specs[0]}_momentum"], dtype=float)
        out["n_tracks"] = np.asarray(raw[f"{specs[0]}_valid"]).astype(np.int64)
    else:
        out["p_in"] = np.zeros(n)
        out["n_tracks"] = np.zeros(n, dtype=np.int64)
    outs = [s.name.lower() for s in setup.beamline.spectrometers if s.name.lower() in down]
    if outs and f"{outs[0]}_momentum" in raw:
        out["p_out"] = np.asarray(raw[f"{outs[0]}_momentum"], dtype=float)
        out["n_tracks_out"] = np.asarray(raw[f"{outs[0]}_valid"]).astype(np.int64)
    elif len(specs) > 1 and f"{specs[1]}_momentum" in raw:
        out["p_out"] = np.asarray(raw[f"{specs[1]}_momentum"], dtype=float)
    out["trigger"] = (np.asarray(raw["trigger"]).astype(np.int64) if "trigger" in raw
                      else np.ones(n, dtype=np.int64))
    return out


def simulate_events(setup: Setup, n_events: int, rng: np.random.Generator, *,
                    beam: BeamConfig | Mapping[str, Any] | None = None,
                    reconstruct: bool = False, core: bool = False) -> Columns:
    """Simulate ``n_events`` beam particles hitting ``setup`` (the columns of
    :mod:`na64.pipeline.schema`): :meth:`EventPipeline.simulate` of a one-off pipeline.

    Parameters
    ----------
    setup
        A validated :class:`~na64.detector.Setup`.
    n_events
        Number of events, in [0, 10^7].
    rng
        The random generator; the result is a deterministic function of its state.
    beam
        Optional override of the setup's ``[beam]`` table.
    reconstruct
        Also compute the reconstructed columns.
    core
        Only the Gaussian core of the primary particle (no tail, no admixtures).
    """
    return EventPipeline(setup, beam).simulate(n_events, rng, reconstruct=reconstruct,
                                               core=core)



