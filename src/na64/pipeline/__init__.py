"""The event pipeline shared by simulation, searches and background estimates.

beam → particles at the target → detector response (deposit → digitise) → reconstruction,
with one column schema (:mod:`na64.pipeline.schema`).

>>> import numpy as np
>>> from na64.pipeline import EventPipeline
>>> pipe = EventPipeline("na64e_2016_2018")
>>> ev = pipe.simulate(1000, np.random.default_rng(1), reconstruct=True)
>>> ev["ecal"].shape, ev["ecal_energy"].shape
((1000, 2, 6, 6), (1000,))
"""

from .events import MAX_EVENTS, EventPipeline, reconstruct, simulate_events
from .response import DetectorResponse, FastResponse
from .schema import RECO_COLUMNS, spectrometer_columns

__all__ = [
    "MAX_EVENTS",
    "RECO_COLUMNS",
    "DetectorResponse",
    "EventPipeline",
    "FastResponse",
    "reconstruct",
    "simulate_events",
    "spectrometer_columns",
]
