"""na64: a fast, physics-based toolkit for NA64-like dark-sector searches.

Subpackages
-----------
units, constants, materials
    hepunits-based units and parsing, physical constants, material tables.
models
    Dark-sector models (couplings, widths, branching ratios).
physics
    Pure, vectorized cross sections and spectra (dark bremsstrahlung, ...).
io
    Atomic writes, provenance, event files.
cli
    The ``na64`` command line (thin over the library).
"""

from ._version import __version__
from .errors import InputError

__all__ = ["InputError", "__version__"]
