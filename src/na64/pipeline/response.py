"""The detector-response stage of the pipeline: particles at the target in, digitised cells out.

:class:`DetectorResponse` is the interface; :class:`FastResponse` implements it with the
vectorised parametrised simulation of :mod:`na64.detector` (deposit, then digitise).  Another
engine, e.g. a full simulation that reads pre-computed showers, implements the same call and
is handed to :class:`~na64.pipeline.EventPipeline` as ``response=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from ..detector.response import deposit, smear
from ..detector.response import response as fast_response
from ..detector.setup import Setup

__all__ = ["DetectorResponse", "FastResponse"]

Columns = dict[str, NDArray[np.generic]]


@runtime_checkable
class DetectorResponse(Protocol):
    """What the pipeline needs of a detector simulation.

    ``response(setup, particles, rng)`` takes the particles that reach the first detector of
    ``setup`` (columns ``pdg``, ``energy`` [MeV], ``x``, ``y`` [mm], ``tx``, ``ty``, and
    optionally ``z_start`` [mm], ``e_invisible`` [MeV] and ``event``, the row of the event a
    particle belongs to when an event has several) and returns, with the event as first
    axis, one digitised cell array per detector of the setup (MeV) plus the ``true_*``
    columns of :func:`na64.detector.response.response`.  It must be a deterministic function
    of ``rng``'s state.
    """

    def __call__(self, setup: Setup, particles: Mapping[str, NDArray[np.generic]],
                 rng: np.random.Generator) -> Columns:
        """Digitised detector columns for the incoming particles."""
        ...


class FastResponse:
    """The parametrised fast simulation (:func:`na64.detector.response`): GFLASH EM showers,
    hadron showers, muon energy loss; deposits, then smearing by the cell resolutions."""

    def __call__(self, setup: Setup, particles: Mapping[str, NDArray[np.generic]],
                 rng: np.random.Generator) -> Columns:
        """Digitised detector columns for the incoming particles."""
        return fast_response(setup, dict(particles), rng)

    @staticmethod
    def deposit(setup: Setup, particles: Mapping[str, NDArray[np.generic]],
                rng: np.random.Generator) -> Columns:
        """The deposited (true) energies, before digitisation."""
        return dict(deposit(setup, dict(particles), rng))

    @staticmethod
    def digitise(setup: Setup, deposits: Mapping[str, NDArray[np.floating]],
                 rng: np.random.Generator) -> Columns:
        """Measured cell energies from deposits (resolution smearing)."""
        return dict(smear(setup, {k: np.asarray(v, dtype=np.float64)
                                  for k, v in deposits.items()}, rng))

    def __repr__(self) -> str:
        return "FastResponse()"
