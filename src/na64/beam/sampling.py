"""Sampling of beam particles at the target face.

Composition, momentum, spot and divergence follow the :class:`BeamConfig`; decays in
flight over the beam line's ``decay_length`` follow :mod:`na64.beam.decays`.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .config import BeamConfig, BeamlineConfig
from .decays import apply_decays_in_flight
from .particles import PARTICLES

__all__ = ["BEAM_COLUMNS", "sample_beam", "sample_momentum_ratio"]

#: Columns returned by :func:`sample_beam`.
BEAM_COLUMNS: tuple[str, ...] = (
    "pdg",
    "energy",
    "x",
    "y",
    "tx",
    "ty",
    "decayed",
    "parent_pdg",
    "parent_energy",
    "decay_z",
    "neutral_energy",
    "invisible_energy",
    "in_tail",
)

_MAX_N = 100_000_000


def sample_momentum_ratio(
    beam: BeamConfig, n: int, rng: np.random.Generator, *, with_tail: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``p / p0`` for ``n`` particles: Gaussian core plus the low-energy tail.

    The core is ``1 + sigma_p/p * N(0, 1)``, truncated to ``(0.01, 2)`` to keep momenta
    physical.  Tail particles have ``p/p0 = 1 - t`` with ``t`` exponential of mean
    ``scale`` truncated to ``[0, 1 - min_ratio]`` (inverse CDF) or uniform.

    Returns
    -------
    ratio, in_tail
        Momentum ratios (> 0) and a boolean flag for tail particles.
    """
    core = 1.0 + beam.momentum_spread * rng.standard_normal(n)
    core = np.clip(core, 0.01, 2.0)
    if not with_tail or beam.tail.fraction <= 0.0:
        return core, np.zeros(n, dtype=bool)
    tail = beam.tail
    in_tail = rng.random(n) < tail.fraction
    k = int(in_tail.sum())
    width = 1.0 - tail.min_ratio
    u = rng.random(k)
    if tail.shape == "uniform":
        t = width * u
    else:
        t = -tail.scale * np.log1p(u * np.expm1(-width / tail.scale))
    core[in_tail] = 1.0 - np.clip(t, 0.0, width)
    return core, in_tail


def sample_beam(
    beam: BeamConfig, beamline: BeamlineConfig, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Sample ``n`` beam particles arriving at the target face.

    Species are drawn with the admixture fractions (primary = the rest).  All species
    share the Gaussian momentum core of the beam line; the low-energy tail applies to
    the primary only.  ``x, y`` (mm) and slopes ``tx = dx/dz, ty = dy/dz`` are Gaussian.
    Unstable particles may decay over ``beamline.decay_length``; the charged daughter
    then replaces the parent (see :func:`na64.beam.decays.apply_decays_in_flight`).

    Parameters
    ----------
    beam, beamline
        Validated configurations.
    n
        Number of particles, ``0 <= n <= 1e8``.
    rng
        Random generator.

    Returns
    -------
    dict[str, ndarray]
        Columns :data:`BEAM_COLUMNS`: ``pdg`` (int), ``energy`` (MeV), ``x, y`` (mm),
        ``tx, ty`` (rad), ``decayed`` (bool), ``parent_pdg``, ``parent_energy`` (MeV),
        ``decay_z`` (mm, negative upstream; 0 if no decay), ``neutral_energy`` and
        ``invisible_energy`` (MeV carried by pi0s and neutrinos of the decay),
        ``in_tail`` (bool).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= _MAX_N:
        raise InputError("n", f"number of particles must be an integer in [0, {_MAX_N}], got {n!r}")
    n = int(n)
    names = [beam.particle] + [a.particle for a in beam.admixtures]
    fractions = np.array([beam.primary_fraction] + [a.fraction for a in beam.admixtures])
    codes = np.array([PARTICLES[s].pdg for s in names], dtype=np.int64)
    masses = np.array([PARTICLES[s].mass for s in names])
    which = np.searchsorted(np.cumsum(fractions), rng.random(n) * fractions.sum(), side="right")
    which = np.minimum(which, len(names) - 1)
    pdg = codes[which]
    mass = masses[which]

    ratio, in_tail = sample_momentum_ratio(beam, n, rng)
    is_primary = which == 0
    if beam.tail.fraction > 0.0:
        # hadrons and other admixtures follow the core only
        core_only, _ = sample_momentum_ratio(beam, n, rng, with_tail=False)
        ratio = np.where(is_primary, ratio, core_only)
        in_tail &= is_primary
    momentum = beam.momentum * ratio
    energy = np.sqrt(momentum**2 + mass**2)

    columns: dict[str, np.ndarray] = {
        "pdg": pdg,
        "energy": energy,
        "x": beam.sigma_x * rng.standard_normal(n),
        "y": beam.sigma_y * rng.standard_normal(n),
        "tx": beam.divergence_x * rng.standard_normal(n),
        "ty": beam.divergence_y * rng.standard_normal(n),
    }
    out = apply_decays_in_flight(columns, beamline.decay_length, rng)
    out["in_tail"] = in_tail
    return out
