"""Signal generation: EM-shower track lengths and A' emission off every shower e±.

* :mod:`na64.generate.shower` — differential track lengths dL/dE of e- and e+ in a cascade.
* :mod:`na64.generate.dark_brem` — forced A' emission with weights, production probability
  per EOT and signal yields.
* :mod:`na64.generate.annihilation` — resonant e+ e- → A' → χχ̄ of the shower positrons,
  forced once per event, with weights.
"""

from __future__ import annotations

from .annihilation import AnnihilationSignal, electron_density
from .dark_brem import DarkBremSignal, EmissionCrossSection, PhysicsCrossSection, signal_yield
from .shower import TrackLengthSpectrum, track_length_spectrum

__all__ = [
    "AnnihilationSignal",
    "DarkBremSignal",
    "EmissionCrossSection",
    "PhysicsCrossSection",
    "TrackLengthSpectrum",
    "electron_density",
    "signal_yield",
    "track_length_spectrum",
]
