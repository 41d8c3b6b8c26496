""":mod:`na64.run._worker_preload`, and the detector simulation's compiled kernels loaded
from numba's cache (a few events of the shipped default setup are simulated), so that the
workers a forkserver forks for an event production start with them.

The simulation uses no parallel kernel, so numba starts no thread here: the forkserver
stays safe to fork.  A failure is ignored (a worker then loads the kernels itself).
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import _worker_preload  # noqa: F401


def _load_kernels() -> None:
    from ..detector import load_setup
    from ..pipeline import simulate_events

    simulate_events(load_setup("na64e_2016_2018"), 10, np.random.default_rng(0))


with contextlib.suppress(Exception):
    _load_kernels()
