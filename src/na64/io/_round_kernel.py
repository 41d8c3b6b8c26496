"""The numba kernel of :func:`na64.io.precision.round_mantissa` (one pass over the bits)."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["round_bits"]


@nb.njit(cache=True, nogil=True)
def round_bits(u: np.ndarray, out: np.ndarray, shift: int, exponent_mask: int) -> None:
    """Round the float bit patterns ``u`` to ``shift`` fewer mantissa bits into ``out``:
    half an ulp minus one plus the kept lowest bit (round half to even), then mask; NaN and
    infinities keep their bits, a finite value that rounds up to infinity is truncated."""
    one = u.dtype.type(1)
    dropped = (one << u.dtype.type(shift)) - one
    keep = ~dropped
    half = dropped >> one
    exponent = u.dtype.type(exponent_mask)
    for i in range(u.size):
        v = u[i]
        if v & exponent == exponent:
            out[i] = v
            continue
        r = (v + half + ((v >> u.dtype.type(shift)) & one)) & keep
        out[i] = (v & keep) if r & exponent == exponent else r
