"""Total photo-absorption cross sections of real photons on protons and nuclei.

Used for the hadrons that photons make: the electro-nuclear backgrounds of the beam line
(:mod:`na64.background.upstream`, :mod:`na64.background.k0_decays`) and the hadronic
component of electromagnetic showers in the fast simulation
(:mod:`na64.detector.photonuclear`).
"""

from __future__ import annotations

import math

import numpy as np
from hepunits import GeV, cm

from ..constants import M_P
from ..errors import InputError

__all__ = ["sigma_gamma_nucleus", "sigma_gamma_p"]

_MB = 1e-27 * cm**2


def sigma_gamma_p(w2: np.ndarray | float) -> np.ndarray:
    """Total γp cross section (mm²) at c.m. energy² ``w2`` (MeV²).

    Donnachie–Landshoff Regge fit, σ = 0.0677 s^0.0808 + 0.129 s^−0.4525 mb (s in GeV²),
    A. Donnachie and P. V. Landshoff, Phys. Lett. B 296 (1992) 227, arXiv:hep-ph/9209205
    (Sec. 2, the γp fit).  Valid above the resonance region (s ≳ 4 GeV²); s is clamped there.
    """
    s = np.maximum(np.asarray(w2, dtype=float) / GeV**2, 4.0)
    return (0.0677 * s**0.0808 + 0.129 * s**-0.4525) * _MB


def sigma_gamma_nucleus(nu: np.ndarray | float, a: float, alpha: float = 0.91) -> np.ndarray:
    """Photo-absorption cross section on a nucleus of mass number ``a`` (mm²).

    σ_γA(ν) = A^α σ_γp(W² = m_p² + 2 m_p ν): nuclear shadowing of the total photo-absorption
    cross section as measured from 20 to 185 GeV by Caldwell et al., Phys. Rev. Lett. 42
    (1979) 553 (A_eff/A ≈ A^−0.09); σ_γp of :func:`sigma_gamma_p` (arXiv:hep-ph/9209205).
    """
    if not (a > 0 and math.isfinite(a)):
        raise InputError("A", f"mass number must be > 0, got {a!r}")
    w2 = M_P**2 + 2.0 * M_P * np.asarray(nu, dtype=float)
    return a**alpha * sigma_gamma_p(w2)
