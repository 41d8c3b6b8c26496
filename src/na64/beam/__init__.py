"""Beams and beam lines: composition, momentum, tails, decays in flight, synchrotron
radiation and the SRD, trackers and spectrometer momentum, beam-induced backgrounds.

>>> import numpy as np
>>> from na64.beam import load_beam, load_beamline, sample_beam, srd_response, srd_tag
>>> beam = load_beam({"particle": "e-", "energy": "100GeV"})
>>> line = load_beamline("h4_electrons")
>>> parts = sample_beam(beam, line, 1000, np.random.default_rng(1))
>>> srd = srd_response(parts, line, np.random.default_rng(2))
>>> srd.shape
(1000, 3)
"""

from __future__ import annotations

from .backgrounds import (
    decay_in_flight_rate,
    decay_in_flight_rates,
    hadron_rate,
    hadron_rates,
    low_energy_tail_rate,
)
from .config import (
    Admixture,
    BeamConfig,
    BeamlineConfig,
    LowEnergyTail,
    Magnet,
    Spectrometer,
    SRDConfig,
    TrackerStation,
    TriggerCounter,
    beamline_names,
    load_beam,
    load_beamline,
)
from .sampling import BEAM_COLUMNS, sample_beam
from .srd import srd_mean_deposit, srd_misid_probability, srd_response, srd_tag
from .tracking import expected_momentum_resolution, highland_theta0, track_momentum

__all__ = [
    "BEAM_COLUMNS",
    "Admixture",
    "BeamConfig",
    "BeamlineConfig",
    "LowEnergyTail",
    "Magnet",
    "SRDConfig",
    "Spectrometer",
    "TrackerStation",
    "TriggerCounter",
    "beamline_names",
    "decay_in_flight_rate",
    "decay_in_flight_rates",
    "expected_momentum_resolution",
    "hadron_rate",
    "hadron_rates",
    "highland_theta0",
    "load_beam",
    "load_beamline",
    "low_energy_tail_rate",
    "sample_beam",
    "srd_mean_deposit",
    "srd_misid_probability",
    "srd_response",
    "srd_tag",
    "track_momentum",
]
