"""Storage precision of the float columns of event files.

The cell energies of a simulated event are float32 numbers whose low mantissa bits are
simulated noise: they do not compress, and a lossless file of the default setup cannot be
much smaller than ~470 bytes per event (``benchmarks/bench_compression.py``).  As ROOT does
with ``Float16_t`` and ``Double32_t``, the precision a float is *stored* with is therefore a
choice, made explicit here and recorded in every file: :func:`round_mantissa` rounds a
float to ``k`` explicit mantissa bits (round half to even), an error of at most
``2^-(k+1)`` of its magnitude, and leaves the dtype alone, so the stored values read back as
ordinary float32/float64 numbers whose trailing zero bits the Parquet codec removes.

Presets (:data:`STORAGE_PRECISIONS`, ``na64 simulate --precision``):

* ``full``: every value bit for bit.
* ``reduced`` (the default of ``na64 simulate``): the *measured* columns (calorimeter and
  counter cells, SRD, spectrometer momenta, slopes and hits, reconstructed quantities) keep
  12 mantissa bits, a relative error of at most ``2^-13 = 1.2e-4``; the *truth* columns
  (``true_*``, ``beam_*``, ``weight``) keep 23, the precision of a float32 (``6e-8``; a
  float32 truth column is stored unchanged), as ``Double32_t`` stores a double.

Why 12 bits suffice for the measured columns: a sum of cells (``ecal_energy``,
``hcal_energy``) moves by at most ``1.2e-4`` of the sum of the cells' magnitudes, and in
practice by a random walk far below that, while the resolution of the ECAL of the default
setup is ``9 %/sqrt(E/GeV)`` (arXiv:1610.02988) plus a 1 % constant term, at least 1 % at
any energy, and that of its HCAL ``65 %/sqrt(E/GeV)`` plus 5 %
(``na64e_2016_2018.toml``): the rounding is 80 times below the best resolution of either,
and below the 1 % momentum spread of the beam (arXiv:1610.02988) that the spectrometers
measure.  ``tests/test_io_precision.py`` simulates a sample and bounds the change of every
reconstructed observable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from ._choice import resolve_choice

__all__ = [
    "DEFAULT_SIMULATE_PRECISION",
    "STORAGE_PRECISIONS",
    "StoragePrecision",
    "apply_precision",
    "is_truth_column",
    "round_mantissa",
    "storage_precision",
]

#: Explicit mantissa bits of float32 and float64.
_MANTISSA_BITS = {np.dtype(np.float32): 23, np.dtype(np.float64): 52}
_UINT = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}
_EXPONENT_MASK = {np.dtype(np.float32): 0x7F80_0000,
                  np.dtype(np.float64): 0x7FF0_0000_0000_0000}
#: Prefixes (and names) of the truth columns (:mod:`na64.pipeline.schema`).
_TRUTH_PREFIXES = ("true_", "beam_")
_TRUTH_NAMES = ("weight",)


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """Round floats to ``bits`` explicit mantissa bits (round half to even).

    Parameters
    ----------
    values
        A float32 or float64 array (any shape).
    bits
        Mantissa bits kept, from 0 up to 23 (float32) or 52 (float64); more keeps all.

    Returns
    -------
    numpy.ndarray
        A new array of the same dtype and shape with ``|rounded - x| <= 2^-(bits+1) *
        max(|x|, smallest normal)``; zeros, signs, infinities and NaN unchanged.  A finite
        value that would round up to infinity is truncated instead (rounded towards zero),
        so no finite value becomes infinite.

    Raises
    ------
    TypeError
        ``values`` is not a float32 or float64 array.
    ValueError
        ``bits`` is negative or not an integer.
    """
    a = np.asarray(values)
    if a.dtype not in _MANTISSA_BITS:
        raise TypeError(f"round_mantissa takes float32 or float64 values, not {a.dtype}")
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or bits < 0:
        raise ValueError(f"bits must be an integer >= 0, got {bits!r}")
    shift = _MANTISSA_BITS[a.dtype] - int(bits)
    if shift <= 0:
        return a.copy()
    u = np.ascontiguousarray(a).reshape(-1).view(_UINT[a.dtype])
    from ._round_kernel import round_bits  # (numba: imported when first used)

    out = np.empty_like(u)
    round_bits(u, out, shift, _EXPONENT_MASK[a.dtype])
    return out.view(a.dtype).reshape(a.shape)


def is_truth_column(name: str) -> bool:
    """Whether column ``name`` holds simulation truth (``true_*``, ``beam_*``, ``weight``)."""
    return name.startswith(_TRUTH_PREFIXES) or name in _TRUTH_NAMES


@dataclass(frozen=True)
class StoragePrecision:
    """Mantissa bits the float columns of an event file are stored with.

    Parameters
    ----------
    measured_bits
        Bits of the measured columns (every float column that is not truth); ``None``:
        all bits.
    truth_bits
        Bits of the truth columns (:func:`is_truth_column`); ``None``: all bits.

    Raises
    ------
    ValueError
        A number of bits that is not an integer in [0, 52].
    """

    measured_bits: int | None = None
    truth_bits: int | None = None

    def __post_init__(self) -> None:
        for name in ("measured_bits", "truth_bits"):
            bits = getattr(self, name)
            if bits is not None and (type(bits) is not int or not 0 <= bits <= 52):
                raise ValueError(f"{name} must be an integer in [0, 52] or None, got {bits!r}")

    @property
    def lossless(self) -> bool:
        """True if every value is stored bit for bit."""
        return self.measured_bits is None and self.truth_bits is None

    def bits_for(self, name: str) -> int | None:
        """Mantissa bits of column ``name`` (``None``: all)."""
        return self.truth_bits if is_truth_column(name) else self.measured_bits

    def describe(self) -> str | dict[str, Any]:
        """The name of this precision in :data:`STORAGE_PRECISIONS`, else its fields."""
        for name, preset in STORAGE_PRECISIONS.items():
            if preset == self:
                return name
        return {"measured_bits": self.measured_bits, "truth_bits": self.truth_bits}

    def record(self) -> dict[str, Any]:
        """What a file's provenance records: the name and the bounds it guarantees."""
        def bound(bits: int | None) -> float:
            return 0.0 if bits is None else 2.0 ** -(bits + 1)

        return {"name": self.describe(), "measured_mantissa_bits": self.measured_bits,
                "truth_mantissa_bits": self.truth_bits,
                "measured_max_relative_error": bound(self.measured_bits),
                "truth_max_relative_error": bound(self.truth_bits)}


#: The storage precisions offered by name (``na64 simulate --precision NAME``).
STORAGE_PRECISIONS: Mapping[str, StoragePrecision] = MappingProxyType({
    "full": StoragePrecision(None, None),
    "reduced": StoragePrecision(measured_bits=12, truth_bits=23),
})
#: The storage precision of ``na64 simulate`` unless told otherwise (or resuming).
DEFAULT_SIMULATE_PRECISION = "reduced"


def storage_precision(precision: str | StoragePrecision | Mapping[str, Any]) -> StoragePrecision:
    """Resolve a precision choice: a name of :data:`STORAGE_PRECISIONS`, a
    :class:`StoragePrecision`, or its fields (as :meth:`StoragePrecision.describe` gives them).

    Raises
    ------
    InputError
        ``--precision``: an unknown name or invalid fields.
    """
    return resolve_choice(precision, StoragePrecision, STORAGE_PRECISIONS, "--precision",
                          "storage precision")


def apply_precision(events: Mapping[str, np.ndarray],
                    precision: StoragePrecision) -> dict[str, np.ndarray]:
    """The event batch with its float columns rounded to ``precision`` (new arrays for the
    rounded columns, the others as they are)."""
    out: dict[str, np.ndarray] = {}
    for name, arr in events.items():
        a = np.asarray(arr)
        bits = precision.bits_for(name)
        out[name] = a if bits is None or a.dtype not in _MANTISSA_BITS else round_mantissa(a, bits)
    return out
