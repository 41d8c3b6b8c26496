"""Detector setups (TOML) and the fast, vectorized detector response.

>>> import numpy as np
>>> from na64.detector import load_setup, simulate_events
>>> setup = load_setup("na64e_2016_2018")
>>> events = simulate_events(setup, 1000, np.random.default_rng(1))
>>> events["ecal"].shape
(1000, 2, 6, 6)
"""

from .response import deposit, response, smear
from .setup import Calorimeter, DecayVolume, Setup, Veto, list_setups, load_setup, setup_from_dict
from .simulate import sample_incoming, simulate_events

__all__ = [
    "Calorimeter",
    "DecayVolume",
    "Setup",
    "Veto",
    "deposit",
    "list_setups",
    "load_setup",
    "response",
    "sample_incoming",
    "setup_from_dict",
    "simulate_events",
    "smear",
]
