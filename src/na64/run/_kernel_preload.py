""":mod:`na64.run._worker_preload`, and the detector simulation's compiled kernels loaded
from numba's cache, so that the workers a forkserver forks for an event production start
with them.  A few events of the shipped default setup are simulated, and a few muons of
its beam admixture: their tables of hard radiative losses per material
(:func:`na64.detector.muon.sample_hard_losses`; from the on-disk table cache, or computed
in ~0.1-0.2 s) are loaded here once instead of in every worker's first chunk.

The simulation uses no parallel kernel, so numba starts no thread here: the forkserver
stays safe to fork.  A failure is ignored (a worker then loads the kernels itself).
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import _worker_preload  # noqa: F401


def _load_kernels() -> None:
    from .sources import DetectorSource

    for beam in (None, "mu-"):
        DetectorSource.from_options("na64e_2016_2018", beam, core=beam is not None)(
            10, np.random.default_rng(0))


with contextlib.suppress(Exception):
    _load_kernels()
