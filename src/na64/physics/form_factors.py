"""Nuclear and atomic form factors and the effective photon flux for coherent scattering.

The lepton scatters off the Coulomb field of a nucleus of charge Z screened by the atomic
electrons (elastic, coherent in Z^2) or knocks out an atomic electron / a nucleon
(inelastic, incoherent, proportional to Z).  Both enter the cross sections only through
the combination G2(t) (t = -q^2 > 0, the squared momentum transfer)

    G2(t) = G2_el(t) + G2_inel(t)

with the parametrisations of Y.-S. Tsai, Rev. Mod. Phys. 46, 815 (1974), in the form used
by Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, App. A, Eq. (A18) (elastic) and
Eq. (A19) (inelastic):

    G2_el(t)   = Z^2 [a^2 t / (1 + a^2 t)]^2 [1 / (1 + t/d)]^2,
                 a = 111 Z^(-1/3) / m_e,   d = 0.164 GeV^2 A^(-2/3),
    G2_inel(t) = Z   [a'^2 t / (1 + a'^2 t)]^2 [(1 + t (mu_p^2 - 1)/(4 m_p^2)) / (1 + t/0.71 GeV^2)^4]^2,
                 a' = 773 Z^(-2/3) / m_e,   mu_p = 2.79.

The effective photon flux of the Weizsaecker-Williams approximation is
arXiv:0906.0580, Eq. (A17) (also arXiv:1609.06781, Eq. (5)):

    chi(tmin, tmax) = int_tmin^tmax dt (t - tmin) / t^2 G2(t).

All quantities are in hepunits (t in MeV^2).  The scalar kernels are numba-compiled so the
cross-section integrators can call them inside their loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt
from hepunits import GeV

from ..constants import M_E, M_P, M_U
from ..errors import InputError
from ..materials import Material, get_material

__all__ = [
    "Nucleus",
    "elastic_g2",
    "g2",
    "inelastic_g2",
    "nucleus",
    "photon_flux",
    "target_nuclei",
]

#: Proton magnetic moment in nuclear magnetons (PDG 2024), used in Eq. (A19) of 0906.0580.
MU_P: float = 2.792847344
#: Dipole scale of the nucleon form factor, 0.71 GeV^2 (arXiv:0906.0580, Eq. (A19)).
_DIPOLE_T: float = 0.71 * GeV**2

_GL_T_NODES, _GL_T_WEIGHTS = np.polynomial.legendre.leggauss(48)


@dataclass(frozen=True)
class Nucleus:
    """Form-factor parameters of one element.

    Attributes
    ----------
    Z, A
        Atomic number and atomic mass (g/mol, used as mass number).
    mass
        Nucleus mass (hepunits), A times the atomic mass unit.
    a_el, a_inel
        Atomic screening lengths a = 111 Z^(-1/3)/m_e and a' = 773 Z^(-2/3)/m_e (1/MeV).
    d
        Nuclear size parameter d = 0.164 GeV^2 A^(-2/3) (MeV^2).
    """

    Z: float
    A: float
    mass: float
    a_el: float
    a_inel: float
    d: float


def nucleus(Z: float, A: float) -> Nucleus:
    """Form-factor parameters for an element (arXiv:0906.0580, Eq. (A18)-(A19)).

    Raises
    ------
    InputError
        If Z is not in [1, 120] or A < Z.
    """
    if not (1.0 <= Z <= 120.0) or not math.isfinite(Z):
        raise InputError("target", f"atomic number Z must be in [1, 120], got {Z}")
    if not (A >= Z) or not math.isfinite(A):
        raise InputError("target", f"mass number A must be >= Z = {Z}, got {A}")
    return Nucleus(
        Z=float(Z),
        A=float(A),
        mass=float(A) * M_U,
        a_el=111.0 * Z ** (-1.0 / 3.0) / M_E,
        a_inel=773.0 * Z ** (-2.0 / 3.0) / M_E,
        d=0.164 * GeV**2 * A ** (-2.0 / 3.0),
    )


def target_nuclei(target: str | Material | tuple[float, float]) -> list[tuple[Nucleus, float]]:
    """Elements of a target with their atom-number fractions.

    Parameters
    ----------
    target
        A material name (``"Pb"``, ``"BGO"``), a :class:`~na64.materials.Material`, or a
        ``(Z, A)`` pair for any element.

    Returns
    -------
    list of (Nucleus, fraction)
        The fractions are numbers of atoms per atom of the material (they sum to 1).
    """
    if isinstance(target, tuple):
        if len(target) != 2:
            raise InputError("target", f"an element is given as (Z, A), got {target!r}")
        return [(nucleus(float(target[0]), float(target[1])), 1.0)]
    mat = get_material(target, field="target")
    counts = [(z, a, w / a) for z, a, w in mat.components]
    total = sum(c for _, _, c in counts)
    return [(nucleus(float(z), float(a)), c / total) for z, a, c in counts]


@numba.njit(cache=True, fastmath=False)
def _g2(t: float, z: float, a_el: float, a_in: float, d: float, inelastic: bool) -> float:
    """G2(t) of arXiv:0906.0580 Eq. (A18) (+ Eq. (A19) if ``inelastic``); t in MeV^2."""
    if t <= 0.0:
        return 0.0
    sa = a_el * a_el * t
    scr = sa / (1.0 + sa)
    nuc = 1.0 / (1.0 + t / d)
    out = z * z * scr * scr * nuc * nuc
    if inelastic:
        si = a_in * a_in * t
        scr_i = si / (1.0 + si)
        dip = 1.0 + t / _DIPOLE_T
        dip2 = dip * dip
        pf = (1.0 + t * (MU_P * MU_P - 1.0) / (4.0 * M_P * M_P)) / (dip2 * dip2)
        out += z * scr_i * scr_i * pf * pf
    return out


@numba.njit(cache=True)
def _t_upper(d: float, inelastic: bool) -> float:
    """t above which G2 is negligible: (d/t)^2 < 1e-6 elastic, dipole^-8 < 1e-13 inelastic."""
    hi = 1e3 * d
    if inelastic:
        hi = max(hi, 50.0 * _DIPOLE_T)
    return hi


@numba.njit(cache=True)
def _flux(tmin: float, tmax: float, z: float, a_el: float, a_in: float, d: float,
          inelastic: bool) -> float:
    """chi(tmin, tmax) of arXiv:0906.0580 Eq. (A17) by Gauss-Legendre in log t."""
    if tmax <= tmin or tmin < 0.0:
        return 0.0
    # the screening factor kills t << 1/a^2 and the nuclear one t >> d: restrict there
    lo = max(tmin, 1e-4 / (a_el * a_el))
    hi = min(tmax, _t_upper(d, inelastic))
    if hi <= lo:
        return 0.0
    llo = math.log(lo)
    lhi = math.log(hi)
    half = 0.5 * (lhi - llo)
    mid = 0.5 * (lhi + llo)
    s = 0.0
    for i in range(_GL_T_NODES.size):
        t = math.exp(mid + half * _GL_T_NODES[i])
        s += _GL_T_WEIGHTS[i] * (t - tmin) / t * _g2(t, z, a_el, a_in, d, inelastic)
    return s * half


def _as_nucleus(target: str | Material | tuple[float, float] | Nucleus) -> Nucleus:
    if isinstance(target, Nucleus):
        return target
    nuclei = target_nuclei(target)
    if len(nuclei) != 1:
        raise InputError("target", "form factors are defined per element; pick one element")
    return nuclei[0][0]


def _g2_numpy(t: npt.NDArray[np.float64], nuc: Nucleus, elastic: bool, inelastic: bool
              ) -> npt.NDArray[np.float64]:
    tt = np.clip(t, 0.0, None)
    out = np.zeros_like(tt)
    if elastic:
        sa = nuc.a_el**2 * tt
        out += nuc.Z**2 * (sa / (1.0 + sa)) ** 2 / (1.0 + tt / nuc.d) ** 2
    if inelastic:
        si = nuc.a_inel**2 * tt
        pf = (1.0 + tt * (MU_P**2 - 1.0) / (4.0 * M_P**2)) / (1.0 + tt / _DIPOLE_T) ** 4
        out += nuc.Z * (si / (1.0 + si)) ** 2 * pf**2
    return out


def _check_t(t: npt.ArrayLike) -> npt.NDArray[np.float64]:
    tt = np.asarray(t, dtype=float)
    if np.any(~np.isfinite(tt)) or np.any(tt < 0):
        raise InputError("t", "momentum transfer t = -q^2 must be finite and >= 0 (MeV^2)")
    return tt


def elastic_g2(t: npt.ArrayLike, target: str | Material | tuple[float, float] | Nucleus
               ) -> npt.NDArray[np.float64]:
    """Elastic (coherent) G2(t) = Z^2 F_el(t)^2, arXiv:0906.0580 Eq. (A18).

    Parameters
    ----------
    t
        Squared momentum transfer -q^2 (MeV^2), >= 0.
    target
        Element name, ``(Z, A)`` or a :class:`Nucleus`.
    """
    return _g2_numpy(_check_t(t), _as_nucleus(target), True, False)


def inelastic_g2(t: npt.ArrayLike, target: str | Material | tuple[float, float] | Nucleus
                 ) -> npt.NDArray[np.float64]:
    """Inelastic (incoherent: atomic electrons, nucleons) G2(t), arXiv:0906.0580 Eq. (A19)."""
    return _g2_numpy(_check_t(t), _as_nucleus(target), False, True)


def g2(t: npt.ArrayLike, target: str | Material | tuple[float, float] | Nucleus, *,
       inelastic: bool = True) -> npt.NDArray[np.float64]:
    """Total G2(t) = G2_el + G2_inel (arXiv:0906.0580 Eq. (A18) + (A19))."""
    return _g2_numpy(_check_t(t), _as_nucleus(target), True, inelastic)


@numba.njit(cache=True)
def _flux_many(lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64], z: float, a_el: float,
               a_in: float, d: float, inelastic: bool) -> npt.NDArray[np.float64]:
    out = np.empty(lo.size)
    for i in range(lo.size):
        out[i] = _flux(lo[i], hi[i], z, a_el, a_in, d, inelastic)
    return out


def photon_flux(tmin: npt.ArrayLike, tmax: npt.ArrayLike,
                target: str | Material | tuple[float, float] | Nucleus, *,
                inelastic: bool = True) -> npt.NDArray[np.float64]:
    """Effective photon flux chi(tmin, tmax), arXiv:0906.0580 Eq. (A17).

    Parameters
    ----------
    tmin, tmax
        Integration limits in t = -q^2 (MeV^2); broadcast against each other.
    target
        Element name, ``(Z, A)`` or a :class:`Nucleus`.
    inelastic
        Include the inelastic term Eq. (A19).

    Returns
    -------
    ndarray
        chi (dimensionless, of order Z^2 times a logarithm); 0 where tmax <= tmin.
    """
    nuc = _as_nucleus(target)
    lo, hi = np.broadcast_arrays(_check_t(tmin), _check_t(tmax))
    flat = _flux_many(np.ascontiguousarray(lo.ravel()), np.ascontiguousarray(hi.ravel()),
                      nuc.Z, nuc.a_el, nuc.a_inel, nuc.d, inelastic)
    return flat.reshape(lo.shape)
