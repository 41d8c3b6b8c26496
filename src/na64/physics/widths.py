r"""Two-body decay widths of a massive vector boson, and the dark photon's partial widths.

Pure, vectorised formulas (numpy broadcasting over every numeric argument); the model
classes of :mod:`na64.models` and the rate computations of :mod:`na64.physics`
(:mod:`~na64.physics.annihilation`, :mod:`~na64.physics.relic`) all take their widths from
here.  Masses and widths in MeV.

Widths into a pair
------------------
A boson of mass m decaying into two daughters of mass :math:`m_d` through a coupling g,
:math:`\alpha_{\rm eff}=g^2/(4\pi)`, :math:`\beta=\sqrt{1-4m_d^2/m^2}` (0 below
threshold):

(1) vector coupling :math:`g\bar f\gamma^\mu f V_\mu`:
    :math:`\Gamma_V=\tfrac{\alpha_{\rm eff} m}{3}(1+2m_d^2/m^2)\,\beta`;
(2) axial coupling :math:`g\bar f\gamma^\mu\gamma^5 f V_\mu` (Dirac f):
    :math:`\Gamma_A=\tfrac{\alpha_{\rm eff} m}{3}\,\beta^3`;
(3) Majorana f with :math:`\tfrac g2\bar f\gamma^\mu\gamma^5 f V_\mu`:
    :math:`\Gamma_M=\tfrac{\alpha_{\rm eff} m}{6}\,\beta^3`;
(4) complex scalar :math:`ig(\phi^*\partial^\mu\phi-\phi\partial^\mu\phi^*)V_\mu`:
    :math:`\Gamma_S=\tfrac{\alpha_{\rm eff} m}{12}\,\beta^3`.

Eq. (1) is the :math:`A'\to\ell^+\ell^-` width of arXiv:0906.0580 (Bjorken, Essig,
Schuster, Toro), Sec. II, with :math:`\alpha_{\rm eff}=\epsilon^2\alpha` (also
arXiv:1801.04847, Sec. 2).  Eqs. (1) and (2) follow from
:math:`\Gamma=|\vec p|\,\overline{|M|^2}/(8\pi m^2)` (PDG 2024 review "Kinematics",
two-body decay rate) with :math:`\sum|M|^2=\tfrac43 g^2(m^2+2m_d^2)` resp.
:math:`\tfrac43 g^2(m^2-4m_d^2)` after averaging over the three boson polarisations.  For
Eq. (3) the Feynman rule of :math:`\tfrac g2\bar f\gamma^\mu\gamma^5 f` is
:math:`ig\gamma^\mu\gamma^5` (two Wick contractions; A. Denner et al., Nucl. Phys. B387
(1992) 467, Sec. 2), so :math:`|M|^2` equals the Dirac axial one and the identical-particle
factor 1/2 halves Eq. (2).  Eq. (4) is the scalar dark-matter width of arXiv:1505.00011
(Izaguirre, Krnjaic, Schuster, Toro), the same algebra as :math:`\rho\to\pi\pi`.

The dark photon
---------------
:math:`\mathcal L\supset -\tfrac{\epsilon}{2}F'_{\mu\nu}F^{\mu\nu} + g_D A'_\mu J^\mu_D`
(arXiv:0906.0580, Sec. II; arXiv:1505.00011): the :math:`A'` couples to the
electromagnetic current with strength :math:`\epsilon e` and to the dark current with
:math:`g_D=\sqrt{4\pi\alpha_D}`.  Its partial widths (:func:`dark_photon_widths`):

* :math:`A'\to\ell^+\ell^-` (:math:`\ell=e,\mu,\tau`): Eq. (1) with
  :math:`\alpha_{\rm eff}=\epsilon^2\alpha`;
* :math:`A'\to` hadrons, Eq. (5): :math:`\Gamma_{\mu\mu}(m_\mu\to0)\,R(m_{A'})=
  \tfrac{\epsilon^2\alpha m_{A'}}{3}R(m_{A'})` (arXiv:1801.04847, Sec. 2; R from
  :func:`na64.physics.r_ratio.r_ratio`);
* :math:`A'\to\chi\bar\chi` (:func:`chi_pair_width`), with
  :math:`\alpha_{\rm eff}=\alpha_D`: Eq. (1) for Dirac and pseudo-Dirac
  (:math:`A'\to\chi_1\chi_2`, mass splitting neglected) χ, Eq. (3) for Majorana χ and
  Eq. (4) for a complex scalar (arXiv:1505.00011; arXiv:1807.01730).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import ALPHA, M_E, M_MU, M_TAU
from ..errors import InputError
from ..units import GeV
from .r_ratio import r_ratio

__all__ = [
    "CHI_KINDS",
    "MAX_MASS",
    "ChiKind",
    "beta",
    "chi_pair_width",
    "dark_photon_widths",
    "width_axial",
    "width_majorana",
    "width_scalar_pair",
    "width_vector",
]

#: Dark-matter kinds of the dark photon's dark sector.
ChiKind = Literal["dirac", "pseudo-dirac", "majorana", "scalar"]
#: Allowed dark-matter kinds.
CHI_KINDS: Final[tuple[str, ...]] = ("dirac", "pseudo-dirac", "majorana", "scalar")
#: Heaviest dark-photon mass accepted (10 GeV, in MeV): the computed R ratio is not
#: trusted far above it.
MAX_MASS: Final[float] = 10.0 * GeV

_LEPTON_MASSES: Final[dict[str, float]] = {"e+e-": M_E, "mu+mu-": M_MU, "tau+tau-": M_TAU}


def beta(m: ArrayLike, m_d: ArrayLike) -> NDArray[np.float64]:
    r"""Daughter velocity :math:`\beta=\sqrt{1-4m_d^2/m^2}` in the parent frame.

    Parameters
    ----------
    m
        Parent mass (MeV).
    m_d
        Daughter mass (MeV).

    Returns
    -------
    ndarray
        β of the broadcast shape; 0 below threshold (:math:`m<2m_d`).
    """
    mm = np.asarray(m, dtype=float)
    md = np.asarray(m_d, dtype=float)
    return np.sqrt(np.clip(1.0 - 4.0 * md**2 / np.maximum(mm, 1e-100) ** 2, 0.0, 1.0))


def width_vector(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    r"""Width (MeV) of a vector into a Dirac pair with vector coupling, Eq. (1) of the module.

    :math:`\Gamma=\tfrac{\alpha_{\rm eff}m}{3}(1+2m_d^2/m^2)\beta` (arXiv:0906.0580, Sec. II,
    the :math:`A'\to\ell^+\ell^-` width; arXiv:1801.04847, Sec. 2).

    Parameters
    ----------
    m
        Boson mass (MeV).
    m_d
        Daughter mass (MeV).
    alpha_eff
        :math:`g^2/(4\pi)` of the coupling.

    Returns
    -------
    ndarray
        Width (MeV) of the broadcast shape; 0 below threshold.
    """
    mm = np.asarray(m, dtype=float)
    b = beta(mm, m_d)
    r = np.asarray(m_d, dtype=float) ** 2 / np.maximum(mm, 1e-100) ** 2
    return np.asarray(np.where(b > 0, np.asarray(alpha_eff) * mm / 3.0 * (1.0 + 2.0 * r) * b,
                               0.0))


def width_axial(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    r"""Width (MeV) of a vector into a Dirac pair with axial coupling, Eq. (2) of the module.

    :math:`\Gamma=\tfrac{\alpha_{\rm eff}m}{3}\beta^3`, from
    :math:`\Gamma=|\vec p|\,\overline{|M|^2}/(8\pi m^2)` (PDG 2024 review "Kinematics").
    Arguments and return value as for :func:`width_vector`.
    """
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 3.0 * beta(mm, m_d) ** 3)


def width_majorana(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    r"""Width (MeV) of a vector into two Majorana fermions, Eq. (3) of the module.

    Coupling :math:`\tfrac g2\bar\chi\gamma^\mu\gamma^5\chi V_\mu`:
    :math:`\Gamma=\tfrac{\alpha_{\rm eff}m}{6}\beta^3` (Feynman rule of A. Denner et al.,
    Nucl. Phys. B387 (1992) 467, Sec. 2).  Arguments and return value as for
    :func:`width_vector`.
    """
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 6.0 * beta(mm, m_d) ** 3)


def width_scalar_pair(m: ArrayLike, m_d: ArrayLike, alpha_eff: ArrayLike) -> NDArray[np.float64]:
    r"""Width (MeV) of a vector into a complex-scalar pair, Eq. (4) of the module.

    :math:`\Gamma=\tfrac{\alpha_{\rm eff}m}{12}\beta^3` (arXiv:1505.00011).  Arguments and
    return value as for :func:`width_vector`.
    """
    mm = np.asarray(m, dtype=float)
    return np.asarray(np.asarray(alpha_eff) * mm / 12.0 * beta(mm, m_d) ** 3)


_PairWidth = Callable[[ArrayLike, ArrayLike, ArrayLike], NDArray[np.float64]]
_CHI_WIDTH: Final[dict[str, _PairWidth]] = {
    "dirac": width_vector,
    "pseudo-dirac": width_vector,
    "majorana": width_majorana,
    "scalar": width_scalar_pair,
}


def _check_chi(chi: str) -> None:
    if chi not in CHI_KINDS:
        raise InputError("chi", f"must be one of {', '.join(CHI_KINDS)}, got {chi!r}")


def chi_pair_width(mass: ArrayLike, m_chi: ArrayLike, alpha_D: ArrayLike,
                   chi: ChiKind = "dirac") -> NDArray[np.float64]:
    r"""Width (MeV) of :math:`A'\to\chi\bar\chi` (or :math:`\chi_1\chi_2`) for the kind ``chi``.

    Eq. (1) (Dirac, pseudo-Dirac), (3) (Majorana) or (4) (complex scalar) of the module with
    :math:`\alpha_{\rm eff}=\alpha_D` (arXiv:1505.00011; arXiv:1807.01730).  No range
    checks on the numbers (see :func:`dark_photon_widths`).

    Parameters
    ----------
    mass
        :math:`m_{A'}` (MeV).
    m_chi
        Dark-matter mass (MeV).
    alpha_D
        Dark coupling :math:`\alpha_D=g_D^2/(4\pi)`.
    chi
        Dark-matter kind (one of :data:`CHI_KINDS`).

    Returns
    -------
    ndarray
        Width (MeV) of the broadcast shape; 0 below threshold.

    Raises
    ------
    InputError
        An unknown ``chi``.
    """
    _check_chi(chi)
    return _CHI_WIDTH[chi](mass, m_chi, alpha_D)


def dark_photon_widths(
    mass: ArrayLike,
    epsilon: ArrayLike,
    alpha_D: ArrayLike = 0.5,
    m_chi: ArrayLike | None = None,
    chi: ChiKind = "dirac",
) -> dict[str, NDArray[np.float64]]:
    r"""Partial widths (MeV) of the dark photon, vectorised over all numeric arguments.

    The formulas of the module docstring: leptons by Eq. (1) with
    :math:`\alpha_{\rm eff}=\epsilon^2\alpha` (arXiv:0906.0580, Sec. II), hadrons by Eq. (5)
    (arXiv:1801.04847, Sec. 2), dark matter by :func:`chi_pair_width` (arXiv:1505.00011).
    Arguments broadcast together.  Use it for mass scans;
    :class:`na64.models.DarkPhoton` for one parameter point.

    Parameters
    ----------
    mass
        :math:`m_{A'}` (MeV), in (0, 10 GeV].
    epsilon
        Kinetic mixing, in (0, 1].
    alpha_D
        Dark coupling, in [0, 4π].
    m_chi
        Dark-matter mass (MeV), default ``mass / 3``.
    chi
        Dark-matter kind (one of :data:`CHI_KINDS`).

    Returns
    -------
    dict
        ``e+e-``, ``mu+mu-``, ``tau+tau-``, ``hadrons``, ``chichi`` arrays of the broadcast
        shape.

    Raises
    ------
    InputError
        A value outside its range or an unknown ``chi``.
    """
    m, eps, ad = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                       for v in (mass, epsilon, alpha_D)))
    mc = m / 3.0 if m_chi is None else np.broadcast_to(np.asarray(m_chi, dtype=float), m.shape)
    checks = [("mass", m, 0.0, MAX_MASS, True), ("epsilon", eps, 0.0, 1.0, True),
              ("alpha_D", ad, 0.0, 4 * math.pi, False), ("m_chi", mc, 0.0, MAX_MASS, True)]
    for field, v, lo, hi, open_lo in checks:
        bad = ~np.isfinite(v) | (v > hi) | ((v <= lo) if open_lo else (v < lo))
        if np.any(bad):
            bra = "(" if open_lo else "["
            raise InputError(field, f"must be in {bra}{lo:.6g}, {hi:.6g}] (internal units), "
                             f"got {v[bad].ravel()[0]:.6g}")
    _check_chi(chi)
    a_eff = eps**2 * ALPHA
    out = {k: width_vector(m, m_l, a_eff) for k, m_l in _LEPTON_MASSES.items()}
    out["hadrons"] = a_eff * m / 3.0 * r_ratio(m)
    out["chichi"] = _CHI_WIDTH[chi](m, mc, ad)
    return out
