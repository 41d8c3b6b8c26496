"""Signal generation: EM-shower track lengths and A' emission off every shower e±.

* :mod:`na64.generate.shower` — differential track lengths dL/dE of e- and e+ in a cascade.
* :mod:`na64.generate.dark_brem` — forced A' emission with weights, production probability
  per EOT and signal yields.
"""

from __future__ import annotations

from .dark_brem import DarkBremSignal, EmissionCrossSection, PhysicsCrossSection, signal_yield
from .shower import TrackLengthSpectrum, track_length_spectrum

__all__ = [
    "DarkBremSignal",
    "EmissionCrossSection",
    "PhysicsCrossSection",
    "TrackLengthSpectrum",
    "signal_yield",
    "track_length_spectrum",
]
