"""Full fast simulation of a setup: beam particles at the target, then the detector response."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .response import response
from .setup import Setup

__all__ = ["MAX_EVENTS", "sample_incoming", "simulate_events"]

#: Largest batch simulated in one call (memory: ~1 kB per event for na64e).
MAX_EVENTS = 10_000_000

_PDG = {"e-": 11, "e+": -11, "mu-": 13, "mu+": -13, "pi-": -211, "pi+": 211, "gamma": 22}


def _mono(setup: Setup, n: int) -> dict[str, NDArray[np.generic]]:
    particle = setup.beam_particle
    if particle not in _PDG:
        raise InputError("beam.particle", f"unknown particle {particle!r}; allowed: {sorted(_PDG)}")
    z = np.zeros(n)
    return {"pdg": np.full(n, _PDG[particle], dtype=np.int64),
            "energy": np.full(n, setup.beam_energy), "x": z, "y": z.copy(), "tx": z.copy(),
            "ty": z.copy()}


def _beam_api() -> Any:
    try:
        from .. import beam as beam_pkg
        from ..beam.config import beamline_names, load_beam, load_beamline  # noqa: F401
        from ..beam.sampling import sample_beam  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the beam package being present
        return None
    return beam_pkg


def _beamline(setup: Setup) -> Any | None:
    """The setup's validated beam line, or None when the beam package is unavailable."""
    if _beam_api() is None:  # pragma: no cover - the beam package ships with na64
        warnings.warn("na64.beam is not available: using a mono-energetic pencil beam",
                      stacklevel=3)
        return None
    return setup.beamline


def sample_incoming(setup: Setup, n_events: int, rng: np.random.Generator, *,
                    beam: Mapping[str, Any] | Any | None = None) -> dict[str, NDArray[np.generic]]:
    """Beam particles at the target face for ``setup``.

    Uses the beam-line model of :mod:`na64.beam` (momentum spread, tails, admixtures,
    decays in flight) with the setup's ``beamline`` and ``[beam]`` tables (or ``beam``, a
    table or ``BeamConfig`` overriding ``[beam]``).  If the beam-line model or the named
    beam line is not available, a mono-energetic pencil beam of the setup's particle and
    energy is used and a warning is issued.
    """
    line = _beamline(setup)
    if line is None:
        return _mono(setup, n_events)
    from ..beam.config import load_beam
    from ..beam.sampling import sample_beam

    beam_cfg = load_beam(beam) if beam is not None else setup.beam_config
    return dict(sample_beam(beam_cfg, line, n_events, rng))


def _beamline_detectors(line: Any, particles: dict[str, NDArray[np.generic]],
                        rng: np.random.Generator) -> dict[str, NDArray[np.generic]]:
    """SRD energies and spectrometer momenta of the beam line (when it has them)."""
    out: dict[str, NDArray[np.generic]] = {}
    if line is None:
        return out
    n = np.asarray(particles["pdg"]).size
    if getattr(line, "srd", None) is not None:
        from ..beam.srd import srd_response

        out["srd"] = np.asarray(srd_response(particles, line, rng))
    specs = getattr(line, "spectrometers", ())
    if specs:
        from ..beam.particles import mass_of
        from ..beam.tracking import track_momentum

        ok = np.asarray(particles["energy"]) > mass_of(np.asarray(particles["pdg"])) * (1 + 1e-9)
        sub = {k: np.asarray(v)[ok] for k, v in particles.items()}
        for spec in specs:
            name = spec.name.lower()
            n_st = len(spec.stations)
            mom = np.zeros(n)
            valid = np.zeros(n, dtype=bool)
            slopes = np.zeros((2, n))
            hits = np.zeros((n, n_st), dtype=np.float32)
            hit_mask = np.zeros((n, n_st), dtype=bool)
            if ok.any():
                res = track_momentum(sub, line, rng, spectrometer=spec.name)
                mom[ok] = res["momentum"]
                valid[ok] = res["valid"]
                slopes[0, ok] = res["slope_in"]
                slopes[1, ok] = res["slope_out"]
                hits[ok] = res["hits"]
                hit_mask[ok] = res["hit_mask"]
            out[f"{name}_momentum"] = mom
            out[f"{name}_valid"] = valid
            out[f"{name}_slope_in"] = slopes[0]
            out[f"{name}_slope_out"] = slopes[1]
            out[f"{name}_hits_x"] = hits
            out[f"{name}_hit_mask"] = hit_mask
    return out


def simulate_events(setup: Setup, n_events: int, rng: np.random.Generator, *,
                    beam: Mapping[str, Any] | Any | None = None) -> dict[str, NDArray[np.generic]]:
    """Simulate ``n_events`` beam particles hitting ``setup``: columns of cell energies.

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

    Returns
    -------
    dict
        The columns of :func:`na64.detector.response.response`; the beam-line detectors
        when the beam line has them (``srd`` (n, modules) MeV; per spectrometer
        ``<name>_momentum`` MeV, ``<name>_valid``, the fitted slopes ``<name>_slope_in`` /
        ``<name>_slope_out`` (rad) and the bending-plane hits ``<name>_hits_x`` (n, stations;
        mm) with ``<name>_hit_mask``); and the beam truth columns of
        :func:`na64.beam.sample_beam` prefixed ``beam_`` (those not stored as ``true_*``).
    """
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise InputError("n_events", f"must be an integer in [0, {MAX_EVENTS}], got {n_events!r}")
    if not 0 <= n_events <= MAX_EVENTS:
        raise InputError("n_events", f"must be in [0, {MAX_EVENTS}], got {n_events}")
    line = _beamline(setup)
    if line is None:
        particles = _mono(setup, int(n_events))
    else:
        from ..beam.config import load_beam
        from ..beam.sampling import sample_beam

        beam_cfg = load_beam(beam) if beam is not None else setup.beam_config
        particles = dict(sample_beam(beam_cfg, line, int(n_events), rng))
    events = response(setup, particles, rng)
    events.update(_beamline_detectors(line, particles, rng))
    for key, col in particles.items():
        if key in ("pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible"):
            continue
        arr = np.asarray(col)
        if arr.dtype.kind in "biuf":
            events[f"beam_{key}"] = arr
    return events
