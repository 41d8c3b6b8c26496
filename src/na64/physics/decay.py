"""Where a particle of known decay length decays: the exponential decay law in the lab.

A particle of lab decay length λ = γβcτ = (p/m) ħc/Γ (PDG 2024 review 49 "Kinematics",
Sec. 49.1) survives a path d with probability exp(−d/λ), so

* it decays between the path lengths d1 < d2 with probability
  P = exp(−d1/λ) − exp(−d2/λ)                                             (1)
* the decay point has the density p(d) = exp(−d/λ)/λ.                    (2)

These are the factors of a beam-dump or visible-mode search (e.g. NA64, arXiv:1604.08432,
Eq. (3): the A' must leave the dump of length L_D and decay in the decay volume L_V,
exp(−L_D/λ)(1 − exp(−L_V/λ))).  For a boson whose every width scales as the coupling
squared, λ(ε) = λ(1)/ε², which :func:`decay_density` exploits to reweight one simulated
sample to any coupling without simulating it again.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["decay_density", "decay_probability"]

FloatArray = NDArray[np.float64]


def _lengths(length: ArrayLike) -> FloatArray:
    lam = np.asarray(length, dtype=float)
    if np.any(~(lam > 0)):
        raise ValueError("decay lengths must be > 0")
    return lam


def decay_probability(d1: ArrayLike, d2: ArrayLike, length: ArrayLike) -> FloatArray:
    """Probability to decay between path lengths ``d1`` and ``d2`` (Eq. (1) above).

    Parameters
    ----------
    d1, d2
        Path lengths from the production point (mm), 0 <= d1 <= d2 (broadcast together).
    length
        Lab decay length λ (mm), > 0; ``inf`` is allowed (probability 0).

    Returns
    -------
    ndarray
        exp(−d1/λ)(1 − exp(−(d2 − d1)/λ)), computed with ``expm1`` so that it stays
        accurate for λ ≫ d2 (≈ (d2 − d1)/λ) and underflows to 0, never NaN, for λ ≪ d1.
    """
    a = np.asarray(d1, dtype=float)
    b = np.asarray(d2, dtype=float)
    lam = _lengths(length)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        p = np.exp(-a / lam) * -np.expm1(-(b - a) / lam)
    return np.where(np.isfinite(p), np.clip(p, 0.0, 1.0), 0.0)


def decay_density(d: ArrayLike, length: ArrayLike) -> FloatArray:
    """Density (1/mm) of the decay point at path length ``d`` (Eq. (2) above).

    ``exp(−d/λ)/λ`` for λ > 0 (``inf`` gives 0); finite for every d >= 0.
    """
    x = np.asarray(d, dtype=float)
    lam = _lengths(length)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        p = np.exp(-x / lam) / lam
    return np.where(np.isfinite(p), np.maximum(p, 0.0), 0.0)
