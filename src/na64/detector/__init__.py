"""Detector setups (TOML) and the fast, vectorized detector response.

Whole events (beam, beam-line detectors, this response, reconstruction) are made by
:class:`na64.pipeline.EventPipeline`.

>>> import numpy as np
>>> from na64.detector import load_setup, response
>>> setup = load_setup("na64e_2016_2018")
>>> n = 1000
>>> particles = {"pdg": np.full(n, 11), "energy": np.full(n, 100e3), "x": np.zeros(n),
...              "y": np.zeros(n), "tx": np.zeros(n), "ty": np.zeros(n)}
>>> response(setup, particles, np.random.default_rng(1))["ecal"].shape
(1000, 2, 6, 6)
"""

from .response import deposit, response, smear
from .setup import Calorimeter, DecayVolume, Setup, Veto, list_setups, load_setup, setup_from_dict

__all__ = [
    "Calorimeter",
    "DecayVolume",
    "Setup",
    "Veto",
    "deposit",
    "list_setups",
    "load_setup",
    "response",
    "setup_from_dict",
    "smear",
]
