r"""Differential cross sections of the hard energy losses of a high-energy muon.

dσ/dv per atom (mm²) for the fraction v = ΔE/E the muon gives to

* ``brems``: bremsstrahlung on the screened nucleus and on the atomic electrons
  (Kelner, Kokoulin, Petrukhin, preprint MEPhI 024-95 (1995), nucleus; Phys. At. Nucl. 60
  (1997) 576, atomic electrons; as summarised in Groom, Mokhov, Striganov, At. Data Nucl.
  Data Tables 78 (2001) 183, bremsstrahlung section, and the Geant4 Physics Reference
  Manual, "Bremsstrahlung by muons"):
  :math:`\frac{d\sigma}{dv}=\alpha\big(2Z r_e\frac{m_e}{m_\mu}\big)^2\frac{1}{v}
  (\tfrac43-\tfrac43v+v^2)\,[\Phi_n(\delta)+\tfrac1Z\Phi_e(\delta)]`,
  :math:`\delta=m_\mu^2v/(2E(1-v))`;
* ``pair``: direct e+e− pair production, the Kokoulin-Petrukhin double-differential cross
  section d²σ/dv dρ integrated over the pair asymmetry ρ (Kokoulin & Petrukhin, Proc. 12th
  ICRC 6 (1971) A2436; Groom et al. 2001, pair-production section; Geant4 Physics Reference Manual,
  "Positron-electron pair production by muons"), with Z(Z+1);
* ``photonuclear``: inelastic scattering through a virtual photon, Bezrukov & Bugaev,
  Sov. J. Nucl. Phys. 33 (1981) 635 (Groom et al. 2001, photonuclear section), with the photon-nucleon
  cross section σ_γN(ε) = 114.3 + 1.647 ln²(0.0213 ε/GeV) μb (Caldwell et al., as in
  Groom et al. 2001) and the nuclear shadowing factor G(x);
* ``knock_on``: ionization with a hard δ ray, the spin-1/2 Bhabha-type cross section on
  the Z atomic electrons (PDG 2024 Eq. (34.6) with the spin term T²/2E²) without its
  radiative correction;
* ``muon_pair``: direct μ+μ− pair production on the nucleus (the muon trident μZ → μZμ+μ−),
  Kelner, Kokoulin & Petrukhin, Phys. At. Nucl. 63 (2000) 1603: with the pair energy
  ε = vE, ρ its asymmetry, β = ε²/(2E(E − ε)) and ξ = β(1 − ρ²)/2,
  :math:`\frac{d\sigma}{dv}=\frac{2}{3\pi}Z^2\big(\alpha r_e\frac{m_e}{m_\mu}\big)^2
  \frac{1-v}{v}\int_0^{\rho_{max}}\Phi(\rho)\,\ln X\,d\rho`, ρ_max = 1 − 2m_μ/ε,
  Φ = [(2 + ρ²)(1 + β) + ξ(3 + ρ²)] ln(1 + 1/ξ) − 1 − 3ρ² + β(1 − 2ρ²)
  + [(1 + ρ²)(1 + 3β/2) − (1 + 2β)(1 − ρ²)/ξ] ln(1 + ξ), X = 1 + U(ρ) − U(ρ_max),
  U = 0.65 B A^−0.27 Z^−1/3 (m_μ/m_e) / [1 + 2√e m_μ² B Z^−1/3 (1 + ξ)(1 + Y)/(m_e ε (1 − ρ²))],
  B = 183, Y = 10 √(m_μ/E) (the form implemented in Geant4 11's
  G4MuonToMuonPairProductionModel; :func:`muon_pair_asymmetry_density` gives the
  integrand in ρ).

:func:`b_coefficient` integrates v dσ/dv into the energy-loss coefficient
b = (N_A/A) ∫ v dσ/dv dv (per mass thickness) of PDG 2024 Sec. 34.6.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from hepunits import g
from hepunits.constants import Avogadro
from numpy.typing import ArrayLike, NDArray

from ..constants import ALPHA, HBARC, M_E, M_MU
from ..errors import InputError
from ..materials import Material
from ..units import GeV

__all__ = ["PROCESSES", "b_coefficient", "dsigma_dv", "macroscopic_dsigma_dv",
           "muon_pair_asymmetry_density", "v_max", "v_min"]

FloatArray = NDArray[np.float64]

#: Hard-loss processes of :func:`dsigma_dv`.
PROCESSES: Final[tuple[str, ...]] = ("brems", "pair", "photonuclear", "knock_on", "muon_pair")

#: Classical electron radius r_e = α ħc / m_e (mm).
_RE: Final[float] = ALPHA * HBARC / M_E
_SQE: Final[float] = math.sqrt(math.e)
_MICROBARN: Final[float] = 1e-34 * 1e6  # 1 μb in mm² (1 b = 1e-28 m² = 1e-22 mm²)
_X16, _W16 = np.polynomial.legendre.leggauss(16)


def v_min(process: str, energy: float) -> float:
    """Lowest v: 4 m_e/E for pairs (2 m_μ/E for muon pairs), 0.2 GeV/E (the pion threshold
    region) for photonuclear,
    1 keV/E for knock-on electrons (below it atomic binding, not the free-electron cross
    section, rules), 0 for bremsstrahlung."""
    if process == "knock_on":
        return 1e-3 / energy
    if process == "pair":
        return 4.0 * M_E / energy
    if process == "photonuclear":
        return 0.2 * GeV / energy
    if process == "muon_pair":
        return 2.0 * M_MU / energy
    return 0.0


def v_max(process: str, energy: float, z: float = 1.0) -> float:
    """Highest kinematic v of each process for a muon of total ``energy`` (MeV)."""
    if process == "brems":
        return 1.0 - 0.75 * _SQE * M_MU / energy * z ** (1.0 / 3.0)
    if process == "pair":
        return 1.0 - 0.75 * _SQE * M_MU / energy * z ** (1.0 / 3.0)
    if process in ("photonuclear", "muon_pair"):
        return 1.0 - M_MU / energy
    # knock-on: T_max of PDG 2024 Eq. (34.4) over E
    p2 = energy**2 - M_MU**2
    return 2.0 * M_E * p2 / (M_MU**2 + M_E**2 + 2.0 * M_E * energy) / energy


def _brems(e: float, v: FloatArray, z: float, a: float) -> FloatArray:
    delta = M_MU**2 * v / (2.0 * e * (1.0 - v))
    z3 = z ** (1.0 / 3.0)
    dn = 1.54 * a**0.27
    b, b1 = 183.0, 1429.0
    phi_n = np.log(b / z3 * (M_MU + delta * (dn * _SQE - 2.0)) / (dn * (M_E + delta * _SQE
                                                                          * b / z3)))
    phi_e = np.log(b1 / z3**2 * M_MU / ((1.0 + delta * M_MU / (M_E**2 * _SQE))
                                         * (M_E + delta * _SQE * b1 / z3**2)))
    pref = ALPHA * (2.0 * z * _RE * M_E / M_MU) ** 2
    out = pref / v * (4.0 / 3.0 - 4.0 / 3.0 * v + v * v) * (np.maximum(phi_n, 0.0)
                                                            + np.maximum(phi_e, 0.0) / z)
    return np.asarray(out)


def _pair(e: float, v: FloatArray, z: float) -> FloatArray:
    z3 = z ** (1.0 / 3.0)
    b = 183.0
    vv = v[:, None]
    rho_max = (1.0 - 6.0 * M_MU**2 / (e * e * (1.0 - vv))) * np.sqrt(
        np.maximum(1.0 - 4.0 * M_E / (e * vv), 0.0))
    rho_max = np.maximum(rho_max, 0.0)
    # ρ in [0, ρ_max] (the integrand is even in ρ): substitution 1 - ρ = (1 - ρ_max)^t
    # concentrates nodes near ρ_max, where the cross section peaks
    t = 0.5 * (_X16 + 1.0)
    one_m = np.maximum(1.0 - rho_max, 1e-300)
    rho = 1.0 - one_m**t
    jac = -np.log(one_m) * one_m**t * 0.5 * _W16
    r2 = rho * rho
    beta = vv * vv / (2.0 * (1.0 - vv))
    xi = (M_MU * vv / (2.0 * M_E)) ** 2 * (1.0 - r2) / (1.0 - vv)
    xi = np.maximum(xi, 1e-300)
    y_e = (5.0 - r2 + 4.0 * beta * (1.0 + r2)) / (
        2.0 * (1.0 + 3.0 * beta) * np.log(3.0 + 1.0 / xi) - r2 - 2.0 * beta * (2.0 - r2))
    y_mu = (4.0 + r2 + 3.0 * beta * (1.0 + r2)) / (
        (1.0 + r2) * (1.5 + 2.0 * beta) * np.log(3.0 + xi) + 1.0 - 1.5 * r2)
    ev = e * vv * np.maximum(1.0 - r2, 1e-300)
    l_e = (np.log(b / z3 * np.sqrt((1.0 + xi) * (1.0 + y_e))
                  / (1.0 + 2.0 * M_E * _SQE * b / z3 * (1.0 + xi) * (1.0 + y_e) / ev))
           - 0.5 * np.log(1.0 + (1.5 * M_E / M_MU * z3) ** 2 * (1.0 + xi) * (1.0 + y_e)))
    l_mu = (np.log(M_MU / M_E * b / z3 * np.sqrt((1.0 + 1.0 / xi) * (1.0 + y_mu))
                   / (1.0 + 2.0 * M_E * _SQE * b / z3 * (1.0 + xi) * (1.0 + y_mu) / ev))
            - np.log(1.5 * z3 * np.sqrt((1.0 + 1.0 / xi) * (1.0 + y_mu))))
    phi_e = (((2.0 + r2) * (1.0 + beta) + xi * (3.0 + r2)) * np.log1p(1.0 / xi)
             + (1.0 - r2 - beta) / (1.0 + xi) - (3.0 + r2)) * np.maximum(l_e, 0.0)
    phi_mu = (((1.0 + r2) * (1.0 + 1.5 * beta) - (1.0 + 2.0 * beta) * (1.0 - r2) / xi)
              * np.log1p(xi) + xi * (1.0 - r2 - beta) / (1.0 + xi)
              + (1.0 + 2.0 * beta) * (1.0 - r2)) * np.maximum(l_mu, 0.0)
    integrand = np.maximum(phi_e, 0.0) + (M_E / M_MU) ** 2 * np.maximum(phi_mu, 0.0)
    integral = 2.0 * np.sum(integrand * jac, axis=1)  # both signs of ρ
    pref = 2.0 / (3.0 * math.pi) * z * (z + 1.0) * (ALPHA * _RE) ** 2
    return np.asarray(pref * (1.0 - v) / v * integral)


def _muon_pair_integrand(e: float, eps: FloatArray, rho: FloatArray, z: float, a: float
                         ) -> FloatArray:
    """Φ(ρ) ln X(ρ) of the muon-pair cross section (module docstring), ``eps`` and ``rho``
    broadcastable; 0 outside |ρ| < ρ_max."""
    b = 183.0
    z3 = z ** (1.0 / 3.0)
    rho_max = np.maximum(1.0 - 2.0 * M_MU / eps, 0.0)
    beta = eps * eps / (2.0 * e * (e - eps))
    y = 10.0 * math.sqrt(M_MU / e)
    pref_u = 0.65 * b / (a**0.27 * z3) * (M_MU / M_E)

    def u_of(r2: FloatArray) -> FloatArray:
        xi_ = 0.5 * beta * (1.0 - r2)
        return pref_u / (1.0 + 2.0 * _SQE * M_MU**2 * (b / z3) * (1.0 + xi_) * (1.0 + y)
                         / (M_E * eps * np.maximum(1.0 - r2, 1e-300)))

    r2 = rho * rho
    xi = np.maximum(0.5 * beta * (1.0 - r2), 1e-300)
    x = 1.0 + u_of(r2) - u_of(rho_max * rho_max)
    phi = (((2.0 + r2) * (1.0 + beta) + xi * (3.0 + r2)) * np.log1p(1.0 / xi)
           - 1.0 - 3.0 * r2 + beta * (1.0 - 2.0 * r2)
           + ((1.0 + r2) * (1.0 + 1.5 * beta) - (1.0 + 2.0 * beta) * (1.0 - r2) / xi)
           * np.log1p(xi))
    val = np.maximum(phi, 0.0) * np.log(np.maximum(x, 1.0))
    return np.asarray(np.where(np.abs(rho) < rho_max, val, 0.0))


def _muon_pair(e: float, v: FloatArray, z: float, a: float) -> FloatArray:
    eps = (v * e)[:, None]
    rho_max = np.maximum(1.0 - 2.0 * M_MU / eps, 0.0)
    # ρ in [0, ρ_max] (even integrand): 1 - ρ = (1 - ρ_max)^t puts the nodes near ρ_max
    t = 0.5 * (_X16 + 1.0)
    one_m = np.maximum(1.0 - rho_max, 1e-300)
    rho = (1.0 - one_m**t) * (1.0 - 1e-12)
    jac = -np.log(one_m) * one_m**t * 0.5 * _W16
    integral = np.sum(_muon_pair_integrand(e, eps, rho, z, a) * jac, axis=1)
    pref = 2.0 / (3.0 * math.pi) * z * z * (ALPHA * _RE * M_E / M_MU) ** 2
    return np.asarray(pref * (1.0 - v) / v * integral)


def muon_pair_asymmetry_density(energy: float, v: ArrayLike, rho: ArrayLike, z: float,
                                a: float) -> FloatArray:
    """The unnormalised density in the asymmetry ρ = (E+ − E−)/ε of a muon pair of energy
    ε = vE made by a muon of total ``energy`` (MeV) on a nucleus (Z, A): the integrand
    Φ(ρ) ln X(ρ) of the ``muon_pair`` cross section (even in ρ, 0 for |ρ| ≥ ρ_max).
    ``v`` and ``rho`` broadcast."""
    e = float(energy)
    vv = np.asarray(v, dtype=float)
    eps = vv * e
    ok = (vv > v_min("muon_pair", e)) & (vv < v_max("muon_pair", e))
    out = _muon_pair_integrand(e, np.where(ok, eps, 4.0 * M_MU), np.asarray(rho, dtype=float),
                               z, a)
    return np.asarray(np.nan_to_num(np.where(ok, out, 0.0), nan=0.0, posinf=0.0, neginf=0.0))


def _photonuclear(e: float, v: FloatArray, a: float) -> FloatArray:
    eps_gev = v * e / GeV
    sigma = (114.3 + 1.647 * np.log(0.0213 * eps_gev) ** 2) * _MICROBARN
    x = 0.00282 * a ** (1.0 / 3.0) * sigma / _MICROBARN
    gx = 3.0 / x**3 * (0.5 * x * x - 1.0 + np.exp(-x) * (1.0 + x))
    t = M_MU**2 * v * v / (1.0 - v)
    kappa = 1.0 - 2.0 / v + 2.0 / (v * v)
    m1, m2 = 0.54 * GeV**2, 1.80 * GeV**2
    mu2 = M_MU**2
    bracket = (0.75 * gx * (kappa * np.log1p(m1 / t) - kappa * m1 / (m1 + t) - 2.0 * mu2 / t)
               + 0.25 * (kappa * np.log1p(m2 / t) - 2.0 * mu2 / t)
               + mu2 / (2.0 * t) * (0.75 * gx * m1 / (m1 + t)
                                    + 0.25 * m2 / t * np.log1p(t / m2)))
    out = ALPHA / (2.0 * math.pi) * a * sigma * v * bracket
    return np.asarray(np.maximum(out, 0.0))


def _knock_on(e: float, v: FloatArray, z: float) -> FloatArray:
    t = v * e
    p2 = e * e - M_MU**2
    beta2 = p2 / (e * e)
    tmax = v_max("knock_on", e) * e
    dsdt = 2.0 * math.pi * _RE**2 * M_E * z / (beta2 * t * t) * (
        1.0 - beta2 * t / tmax + t * t / (2.0 * e * e))
    return np.asarray(np.maximum(dsdt * e, 0.0))


def dsigma_dv(process: str, energy: float, v: ArrayLike, z: float, a: float) -> FloatArray:
    """dσ/dv (mm² per atom) of ``process`` for a muon of total ``energy`` (MeV) on an atom
    (Z = ``z``, A = ``a`` in g/mol); 0 outside the kinematic range.

    Parameters
    ----------
    process
        One of :data:`PROCESSES`.
    energy
        Muon energy (MeV), in [1 GeV, 100 TeV].
    v
        Energy fractions, any shape.
    z, a
        Atomic number in [1, 100] and mass in [1, 300] g/mol.
    """
    if process not in PROCESSES:
        raise InputError("process", f"must be one of {', '.join(PROCESSES)}, got {process!r}")
    e = float(energy)
    if not (math.isfinite(e) and 1.0 * GeV <= e <= 1e5 * GeV):
        raise InputError("energy", f"must be in [1, 1e5] GeV, got {e / GeV:.6g} GeV")
    if not (1.0 <= z <= 100.0 and 1.0 <= a <= 300.0):
        raise InputError("z", f"Z in [1, 100] and A in [1, 300] required, got {z}, {a}")
    vv = np.atleast_1d(np.asarray(v, dtype=float))
    lo, hi = v_min(process, e), v_max(process, e, z)
    ok = np.isfinite(vv) & (vv > lo) & (vv < hi)
    out = np.zeros(vv.shape)
    if ok.any():
        w = vv[ok]
        if process == "brems":
            val = _brems(e, w, z, a)
        elif process == "pair":
            val = _pair(e, w, z)
        elif process == "photonuclear":
            val = _photonuclear(e, w, a)
        elif process == "muon_pair":
            val = _muon_pair(e, w, z, a)
        else:
            val = _knock_on(e, w, z)
        out[ok] = np.nan_to_num(val, nan=0.0, posinf=0.0, neginf=0.0)
    return out.reshape(np.shape(v)) if np.ndim(v) else out


def macroscopic_dsigma_dv(process: str, material: Material, energy: float, v: ArrayLike
                          ) -> FloatArray:
    """dΣ/dv = Σ_i n_i dσ/dv (per mm) of ``process`` in ``material`` (atoms per volume
    n_i of its elements)."""
    out = np.zeros(np.shape(v))
    for z, a, n in material.atoms_per_volume():
        out = out + n * dsigma_dv(process, energy, v, z, a)
    return out


def _v_grid(process: str, energy: float, z: float, lo: float, hi: float, n: int = 400
            ) -> FloatArray:
    lo = max(lo, v_min(process, energy) * (1.0 + 1e-9), 1e-7)
    hi = min(hi, v_max(process, energy, z) * (1.0 - 1e-9))
    if not hi > lo:
        return np.array([lo, lo])
    return np.asarray(np.geomspace(lo, hi, n))


def b_coefficient(process: str, material: Material, energy: float) -> float:
    """b = (N_A/A) ∫ v dσ/dv dv of ``process`` (per mass thickness, internal units:
    divide by ``cm2 / g`` for cm²/g), mass-weighted over the material's elements."""
    total = 0.0
    for z, a, w in material.components:
        v = _v_grid(process, energy, z, 1e-7, 1.0, 600)
        f = v * dsigma_dv(process, energy, v, z, a)
        total += w * Avogadro / (a * g) * float(np.trapezoid(f, v))
    return total


def integrated(process: str, material: Material, energy: float, v_lo: float,
               v_hi: float = 1.0) -> float:
    """Σ = Σ_i n_i ∫_{v_lo}^{v_hi} dσ/dv dv (per mm) in ``material``."""
    total = 0.0
    for z, a, n in material.atoms_per_volume():
        v = _v_grid(process, energy, z, v_lo, v_hi)
        total += n * float(np.trapezoid(dsigma_dv(process, energy, v, z, a), v))
    return total
