r"""Two-body decay widths of a massive boson into fermion or scalar pairs (pure functions).

All functions take the boson mass ``m`` and daughter mass ``m_d`` in MeV and an effective
fine-structure constant :math:`\alpha_{\rm eff}=g^2/(4\pi)` of the coupling, and return
the width in MeV (0 below threshold).  With :math:`\beta=\sqrt{1-4m_d^2/m^2}`:

* vector coupling :math:`g\bar f\gamma^\mu f V_\mu`:
  :math:`\Gamma=\tfrac{\alpha_{\rm eff} m}{3}(1+2m_d^2/m^2)\beta` (arXiv:0906.0580, Sec. II,
  the :math:`A'\to\ell^+\ell^-` width; arXiv:1801.04847, Sec. 2);
* axial coupling :math:`g\bar f\gamma^\mu\gamma^5 f V_\mu` (Dirac f):
  :math:`\Gamma=\tfrac{\alpha_{\rm eff} m}{3}\beta^3`;
* Majorana f with :math:`\tfrac{g}{2}\bar f\gamma^\mu\gamma^5 f V_\mu`: the Feynman rule is
  :math:`ig\gamma^\mu\gamma^5` (two Wick contractions; A. Denner et al., Nucl. Phys. B387
  (1992) 467, Sec. 2), so :math:`|M|^2` equals the Dirac axial one and the identical-particle
  factor 1/2 gives :math:`\Gamma=\tfrac{\alpha_{\rm eff} m}{6}\beta^3`;
* complex scalar :math:`ig(\phi^*\partial^\mu\phi-\phi\partial^\mu\phi^*)V_\mu`:
  :math:`\Gamma=\tfrac{\alpha_{\rm eff} m}{12}\beta^3` (arXiv:1505.00011;
  the same algebra as :math:`\rho\to\pi\pi`).

The vector and axial results follow from :math:`\Gamma=|\vec p|\,\overline{|M|^2}/(8\pi m^2)`
with :math:`\sum|M|^2 = \tfrac{4}{3}g^2(m^2+2m_d^2)` resp. :math:`\tfrac43 g^2(m^2-4m_d^2)`
after averaging over the three boson polarisations (PDG 2024 review "Kinematics",
two-body decay rate).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["beta", "width_axial", "width_majorana", "width_scalar_pair", "width_vector"]


def beta(m: ArrayLike, m_d: ArrayLike) -> NDArray[np.float64]:
    """Daughter velocity :math:`\\sqrt{1-4m_d^2/m^2}` in the parent frame (0 below threshold)."""
    mm = np.asarray(m, dtype=float)
    md = np.asarray(m_d, dtype=float)
    return np.sqrt(np.clip(1.0 - 4.0 * md**2 / np.maximum(mm, 1e-100) ** 2, 0.0, 1.0))


def width_vector(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    """Width (MeV) of a vector into a Dirac pair with vector coupling (see module docstring)."""
    mm = np.asarray(m, dtype=float)
    b = beta(mm, m_d)
    r = np.asarray(m_d, dtype=float) ** 2 / np.maximum(mm, 1e-100) ** 2
    return np.asarray(np.where(b > 0, np.asarray(alpha_eff) * mm / 3.0 * (1.0 + 2.0 * r) * b,
                               0.0))


def width_axial(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    """Width (MeV) of a vector into a Dirac pair with axial coupling."""
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 3.0 * beta(mm, m_d) ** 3)


def width_majorana(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    """Width (MeV) of a vector into two Majorana fermions, coupling (g/2) chi-bar g^mu g^5 chi."""
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 6.0 * beta(mm, m_d) ** 3)


def width_scalar_pair(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    """Width (MeV) of a vector into a complex-scalar pair."""
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 12.0 * beta(mm, m_d) ** 3)
