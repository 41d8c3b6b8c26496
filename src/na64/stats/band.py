"""Excluded bands in (mass, coupling) for signals that vanish at both small and large coupling.

A visible-decay search (a boson that must leave a dump and decay in a decay volume) expects
N(ε) signal events with N → 0 for ε → 0 (too few produced, too long-lived) and for large ε
(decays inside the dump).  With S_up the upper limit on the signal count, the excluded
couplings at one mass are {ε : N(ε) ≥ S_up}.  :func:`exclusion_band` finds the band's lower
and upper edges on a tabulated N(ε), interpolating ln N linearly in ln ε between grid
points (N is a smooth power/exponential law there), and reports NaN edges where nothing is
excluded.  NaN marks "no band" in the outputs, never a failure: the edges of excluded masses
are always finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = ["Band", "closing_mass", "exclusion_band"]


@dataclass(frozen=True)
class Band:
    """Excluded couplings per mass: ``low[i] <= ε <= high[i]``; NaN where none is excluded.

    ``touches_grid`` marks masses whose band reaches an end of the coupling grid (the true
    edge lies beyond it: widen the grid).
    """

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    touches_grid: NDArray[np.bool_]

    @property
    def excluded(self) -> NDArray[np.bool_]:
        """Masses at which some coupling is excluded."""
        return np.isfinite(self.low)


def _crossing(x0: float, x1: float, y0: float, y1: float, level: float) -> float:
    """ln ε where ln N crosses ln S_up between two grid points (ln-ln linear)."""
    ly0, ly1, lv = np.log(max(y0, 1e-300)), np.log(max(y1, 1e-300)), np.log(level)
    if ly1 == ly0:
        return float(np.exp(0.5 * (x0 + x1)))
    f = (lv - ly0) / (ly1 - ly0)
    return float(np.exp(x0 + np.clip(f, 0.0, 1.0) * (x1 - x0)))


def exclusion_band(couplings: ArrayLike, n_signal: ArrayLike, s_up: float) -> Band:
    """Lower and upper excluded coupling per mass.

    Parameters
    ----------
    couplings
        Increasing grid of couplings ε > 0, shape (k,).
    n_signal
        Expected signal events, shape (masses, k) (or (k,) for one mass), >= 0.
    s_up
        Upper limit on the signal count (> 0).

    Returns
    -------
    Band
        The outermost crossings of N(ε) = S_up: the band spans every excluded coupling,
        including any dip inside it (N has one maximum for a decay-in-flight search).
    """
    eps = np.asarray(couplings, dtype=float)
    n = np.atleast_2d(np.asarray(n_signal, dtype=float))
    if eps.ndim != 1 or eps.size < 2 or np.any(~np.isfinite(eps)) or np.any(eps <= 0) \
            or np.any(np.diff(eps) <= 0):
        raise InputError("couplings", "must be an increasing grid of at least 2 values > 0")
    if n.shape[-1] != eps.size or n.ndim != 2:
        raise InputError("n_signal", f"must have shape (masses, {eps.size}), got {n.shape}")
    if np.any(~np.isfinite(n)) or np.any(n < 0):
        raise InputError("n_signal", "must be finite and >= 0")
    if not (np.isfinite(s_up) and s_up > 0):
        raise InputError("s_up", f"must be finite and > 0, got {s_up!r}")
    x = np.log(eps)
    low = np.full(n.shape[0], np.nan)
    high = np.full(n.shape[0], np.nan)
    touch = np.zeros(n.shape[0], dtype=bool)
    for i, row in enumerate(n):
        above = np.flatnonzero(row >= s_up)
        if above.size == 0:
            continue
        a, b = int(above[0]), int(above[-1])
        low[i] = eps[0] if a == 0 else _crossing(x[a - 1], x[a], row[a - 1], row[a], s_up)
        high[i] = eps[-1] if b == eps.size - 1 else _crossing(x[b], x[b + 1], row[b],
                                                              row[b + 1], s_up)
        touch[i] = a == 0 or b == eps.size - 1
    return Band(low, high, touch)


def closing_mass(masses: ArrayLike, n_signal: ArrayLike, s_up: float) -> float:
    """The mass above which nothing is excluded: where the largest signal count over the
    couplings, max_ε N(m, ε), falls to S_up (ln-ln interpolation between the masses).

    Returns NaN if no mass is excluded and the largest mass if all of them are (the band
    closes beyond the scan).
    """
    m = np.asarray(masses, dtype=float)
    peak = np.atleast_2d(np.asarray(n_signal, dtype=float)).max(axis=1)
    if m.ndim != 1 or m.size != peak.size or m.size == 0 or np.any(np.diff(m) <= 0):
        raise InputError("masses", "must be increasing, one per row of n_signal")
    if not (np.isfinite(s_up) and s_up > 0):
        raise InputError("s_up", f"must be finite and > 0, got {s_up!r}")
    above = np.flatnonzero(peak >= s_up)
    if above.size == 0:
        return float("nan")
    k = int(above[-1])
    if k == m.size - 1:
        return float(m[-1])
    x0, x1 = np.log(m[k]), np.log(m[k + 1])
    y0, y1 = np.log(peak[k]), np.log(max(peak[k + 1], 1e-300))
    f = (np.log(s_up) - y0) / (y1 - y0) if y1 != y0 else 0.5
    return float(np.exp(x0 + np.clip(f, 0.0, 1.0) * (x1 - x0)))
