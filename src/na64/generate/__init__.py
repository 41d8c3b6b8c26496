"""Signal generation: EM-shower track lengths and A' emission off every shower e±.

* :mod:`na64.generate.shower` — differential track lengths dL/dE of e- and e+ in a cascade.
"""

from __future__ import annotations

from .shower import TrackLengthSpectrum, track_length_spectrum

__all__ = ["TrackLengthSpectrum", "track_length_spectrum"]
