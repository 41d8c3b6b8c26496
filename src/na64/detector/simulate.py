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


def sample_incoming(setup: Setup, n_events: int, rng: np.random.Generator, *,
                    beam: Mapping[str, Any] | Any | None = None) -> dict[str, NDArray[np.generic]]:
    """Beam particles at the target face for ``setup``.

    Uses the beam-line model of :mod:`na64.beam` (momentum spread, tails, admixtures,
    decays in flight) with the setup's ``beamline`` and ``[beam]`` tables (or ``beam``, a
    table or ``BeamConfig`` overriding ``[beam]``).  If the beam-line model or the named
    beam line is not available, a mono-energetic pencil beam of the setup's particle and
    energy is used and a warning is issued.
    """
    try:
        from ..beam.config import beamline_names, load_beam, load_beamline
        from ..beam.sampling import sample_beam
    except ImportError:  # pragma: no cover - depends on the beam package being present
        warnings.warn("na64.beam is not available: using a mono-energetic pencil beam",
                      stacklevel=2)
        return _mono(setup, n_events)
    line = setup.beamline
    if isinstance(line, str) and line not in beamline_names():
        warnings.warn(f"beam line {line!r} is not shipped: using a mono-energetic pencil beam",
                      stacklevel=2)
        return _mono(setup, n_events)
    beam_cfg = load_beam(beam if beam is not None else setup.beam)
    return sample_beam(beam_cfg, load_beamline(line), n_events, rng)


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
        The columns of :func:`na64.detector.response.response` plus the beam truth
        columns of :func:`na64.beam.sampling.sample_beam` prefixed ``beam_`` (those not
        already stored as ``true_*``).
    """
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)):
        raise InputError("n_events", f"must be an integer in [0, {MAX_EVENTS}], got {n_events!r}")
    if not 0 <= n_events <= MAX_EVENTS:
        raise InputError("n_events", f"must be in [0, {MAX_EVENTS}], got {n_events}")
    particles = sample_incoming(setup, int(n_events), rng, beam=beam)
    events = response(setup, particles, rng)
    for key, col in particles.items():
        if key in ("pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible"):
            continue
        arr = np.asarray(col)
        if arr.dtype.kind in "biuf":
            events[f"beam_{key}"] = arr
    return events
