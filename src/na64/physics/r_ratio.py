r"""The hadronic R ratio :math:`R(\sqrt s)=\sigma(e^+e^-\to\mathrm{hadrons})/\sigma_{\mu\mu}^{(0)}(s)`.

A kinetically mixed dark photon couples to the electromagnetic current like a virtual photon
(with strength :math:`\epsilon e`), so :math:`\Gamma(A'\to\mathrm{hadrons}) =
\Gamma(A'\to\mu\mu)|_{m_\mu\to 0}\,R(m_{A'})` (arXiv:1801.04847, Sec. 2,
:math:`\Gamma_{A'\to F}=\Gamma_{A'\to\mu\mu}R_\mu^F`; the same relation feeds the annihilation :math:`\chi\bar\chi\to A'^*\to\mathrm{hadrons}` in
:mod:`na64.physics.relic`).  :math:`\sigma_{\mu\mu}^{(0)} = 4\pi\alpha^2/(3s)` is the
point-like muon-pair cross section (PDG 2024 "Plots of cross sections and related
quantities", definition of R).

The package has no network access and ships no data table, so R is *computed* from a
model with cited inputs (no parameter is fitted to the R data):

* :math:`\pi^+\pi^-`: :math:`R_{\pi\pi} = \tfrac14\beta_\pi^3|F_\pi(s)|^2` with the
  Gounaris-Sakurai :math:`\rho(770)` form factor (G. J. Gounaris and J. J. Sakurai,
  Phys. Rev. Lett. 21 (1968) 244; normalised to :math:`F_\pi(0)=1`).
* :math:`\omega(782)`, :math:`\phi(1020)` (and the narrow :math:`J/\psi`,
  :math:`\psi(2S)`): relativistic Breit-Wigner cross sections
  :math:`\sigma_V = 12\pi\,\Gamma_{ee}\Gamma_{\rm had}(s)/[(s-M^2)^2+M^2\Gamma(s)^2]`
  (PDG 2024 review "Resonances", relativistic Breit-Wigner form, here with :math:`s`-dependent widths),
  so :math:`R_V = 9M^2\Gamma_{ee}\Gamma_{\rm had}(s)/(\alpha^2[(s-M^2)^2+M^2\Gamma^2(s)])`.
  Each hadronic channel carries its PDG 2024 branching fraction and an :math:`s`-dependent
  width with the right threshold: P-wave two-body :math:`p^3/s` (:math:`K\bar K`),
  M1 radiative :math:`k^3` (:math:`\pi^0\gamma`, :math:`\eta\gamma`) and the P-wave
  three-pion phase space (Dalitz integral of the Kibble function).
* Continuum: perturbative QCD :math:`R = N_c\sum_q Q_q^2\,v_q(3-v_q^2)/2\,
  [1+a_s+(1.9857-0.1152 n_f)a_s^2]`, :math:`a_s=\alpha_s(\sqrt s)/\pi` (PDG 2024 review
  "Quantum chromodynamics", R in e+e- annihilation; K. G. Chetyrkin et al., Phys. Rept. 277 (1996) 189),
  with one-loop running from :math:`\alpha_s(M_Z)=0.1180` (PDG 2024).  Open charm and
  beauty start at the :math:`D\bar D` and :math:`B\bar B` thresholds.  For the light
  quarks the continuum sets in at the local-duality threshold :math:`s_0\simeq1.5`
  GeV\ :sup:`2` of the :math:`\rho`-channel QCD sum rule (M. A. Shifman, A. I. Vainshtein,
  V. I. Zakharov, Nucl. Phys. B147 (1979) 448), smoothed by a logistic step of
  0.1 GeV width; it stands for the :math:`4\pi`, :math:`\rho'`, :math:`\omega'`, ... region
  that the three resonances above do not describe.

Accuracy: the model reproduces the size of the measured R (peaks of about 9, 12 and 50 at
the :math:`\rho`, :math:`\omega` and :math:`\phi`, R(2 GeV) close to 2.2) but not the
detailed 1.1-2 GeV structure nor :math:`\rho`-:math:`\omega` interference; expect tens of
per cent there.  Use measured R (e.g. DarkCast, arXiv:1801.04847) where that matters.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import ALPHA, M_K, M_PI, M_PI0, M_Z
from ..units import GeV, MeV, keV

__all__ = [
    "ALPHA_S_MZ",
    "alpha_s",
    "r_components",
    "r_pipi",
    "r_qcd",
    "r_ratio",
    "r_resonances",
    "r_vector_current",
]

#: Strong coupling at the Z pole (PDG 2024 world average).
ALPHA_S_MZ: Final[float] = 0.1180

_M_C: Final[float] = 1.27 * GeV  # MS-bar charm mass, PDG 2024 (flavour threshold of running)
_M_B: Final[float] = 4.18 * GeV  # MS-bar bottom mass, PDG 2024
_M_D: Final[float] = 1864.84 * MeV  # D0 mass, PDG 2024 (open-charm threshold)
_M_BMESON: Final[float] = 5279.66 * MeV  # B0 mass, PDG 2024 (open-beauty threshold)
_M_K0: Final[float] = 497.611 * MeV
_M_ETA: Final[float] = 547.862 * MeV

# rho(770) (PDG 2024, e+e- average)
_M_RHO: Final[float] = 775.26 * MeV
_G_RHO: Final[float] = 149.1 * MeV

# Duality threshold of the rho-channel sum rule (SVZ 1979): s0 ~ 1.5 GeV^2.
_SQRT_S0: Final[float] = float(np.sqrt(1.5)) * GeV
_S0_WIDTH: Final[float] = 0.1 * GeV


def alpha_s(mu: ArrayLike) -> NDArray[np.float64]:
    r"""One-loop running strong coupling :math:`\alpha_s(\mu)` with flavour thresholds.

    :math:`\alpha_s(\mu) = \alpha_s(\mu_0)/[1+\alpha_s(\mu_0)\,b_0\ln(\mu^2/\mu_0^2)]`,
    :math:`b_0=(33-2n_f)/(12\pi)` (PDG 2024 review "Quantum chromodynamics", running
    coupling truncated at one loop), started from :math:`\alpha_s(M_Z)=0.1180` with
    :math:`n_f=5`, matched continuously at :math:`m_b` and :math:`m_c`.  Frozen below
    1 GeV, where perturbation theory is not used by this module.

    Parameters
    ----------
    mu
        Renormalisation scale (MeV), any shape.

    Returns
    -------
    ndarray
        :math:`\alpha_s`, same shape as ``mu``.
    """
    q = np.maximum(np.asarray(mu, dtype=float), 1.0 * GeV)

    def run(a0: NDArray[np.float64] | float, mu0: float, mu1: NDArray[np.float64] | float, nf: int
            ) -> NDArray[np.float64]:
        b0 = (33.0 - 2.0 * nf) / (12.0 * np.pi)
        return np.asarray(a0 / (1.0 + a0 * b0 * np.log(np.asarray(mu1) ** 2 / mu0**2)))

    a_b = float(run(ALPHA_S_MZ, M_Z, _M_B, 5))
    a_c = float(run(a_b, _M_B, _M_C, 4))
    return np.where(
        q >= _M_B, run(ALPHA_S_MZ, M_Z, q, 5),
        np.where(q >= _M_C, run(a_b, _M_B, q, 4), run(a_c, _M_C, q, 3)),
    )


def _velocity(sqrt_s: NDArray[np.float64], m: float) -> NDArray[np.float64]:
    """Velocity of each of two particles of mass ``m`` in the CM frame (0 below threshold)."""
    return np.sqrt(np.clip(1.0 - 4.0 * m**2 / np.maximum(sqrt_s, 1e-100) ** 2, 0.0, 1.0))


def r_qcd(sqrt_s: ArrayLike) -> NDArray[np.float64]:
    r"""Perturbative-QCD continuum part of R (see the module docstring for sources).

    :math:`N_c\sum_q Q_q^2 \tfrac{v(3-v^2)}{2}[1+a_s+(1.9857-0.1152 n_f)a_s^2]`; the light
    quarks (u, d, s: :math:`\sum Q^2 = 2/3`) are switched on by a logistic step at
    :math:`\sqrt{s_0}=1.22` GeV, charm and beauty at the :math:`D\bar D` and
    :math:`B\bar B` thresholds with the velocity :math:`v` of the open-flavour mesons.

    Parameters
    ----------
    sqrt_s
        Centre-of-mass energy (MeV), any shape.

    Returns
    -------
    ndarray
        Continuum R (dimensionless, >= 0).
    """
    c = _qcd_components(np.asarray(sqrt_s, dtype=float))
    return np.asarray(c["light"] + c["charm"] + c["beauty"])


def _qcd_components(w: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Continuum R per flavour group (u+d+s, c, b), electromagnetic charges."""
    a = alpha_s(w) / np.pi
    v_c = _velocity(w, _M_D)
    v_b = _velocity(w, _M_BMESON)
    nf = 3.0 + (v_c > 0) + (v_b > 0)
    k = 3.0 * (1.0 + a + (1.9857 - 0.1152 * nf) * a**2)
    z = np.clip((w - _SQRT_S0) / _S0_WIDTH, -50.0, 50.0)
    return {
        "light": k * (2.0 / 3.0) / (1.0 + np.exp(-z)),
        "charm": k * (4.0 / 9.0) * v_c * (3.0 - v_c**2) / 2.0,
        "beauty": k * (1.0 / 9.0) * v_b * (3.0 - v_b**2) / 2.0,
    }


def r_pipi(sqrt_s: ArrayLike) -> NDArray[np.float64]:
    r""":math:`R_{\pi\pi}=\tfrac14\beta_\pi^3|F_\pi(s)|^2` with the Gounaris-Sakurai form factor.

    Gounaris & Sakurai, Phys. Rev. Lett. 21 (1968) 244:
    :math:`F = M^2(1+d\,\Gamma/M)/[M^2-s+f(s)-iM\Gamma(s)]`,
    :math:`\Gamma(s)=\Gamma\,(k/k_M)^3 M/\sqrt s`, :math:`k=\tfrac12\sqrt{s-4m_\pi^2}`,
    :math:`f(s)=\Gamma M^2/k_M^3\,[k^2(h(s)-h(M^2))+(M^2-s)k_M^2h'(M^2)]`,
    :math:`h(s)=\tfrac{2}{\pi}\tfrac{k}{\sqrt s}\ln\tfrac{\sqrt s+2k}{2m_\pi}`.
    :math:`R_{\pi\pi}` from :math:`\sigma(e^+e^-\to\pi^+\pi^-)=\tfrac{\pi\alpha^2}{3s}
    \beta^3|F_\pi|^2` (point-like pions times :math:`|F_\pi|^2`).

    Parameters
    ----------
    sqrt_s
        Centre-of-mass energy (MeV), any shape.

    Returns
    -------
    ndarray
        Two-pion R, zero below :math:`2m_\pi`.
    """
    w = np.asarray(sqrt_s, dtype=float)
    m, g, mp = _M_RHO, _G_RHO, M_PI
    s = w**2
    above = w > 2.0 * mp
    ss = np.where(above, s, (2.0 * mp + 1.0 * keV) ** 2)
    k = 0.5 * np.sqrt(ss - 4.0 * mp**2)
    km = 0.5 * np.sqrt(m**2 - 4.0 * mp**2)

    def h(kk: NDArray[np.float64] | float, rs: NDArray[np.float64] | float) -> NDArray[np.float64]:
        return np.asarray(2.0 / np.pi * kk / rs * np.log((rs + 2.0 * kk) / (2.0 * mp)))

    hm = float(h(km, m))
    dh = hm * (1.0 / (8.0 * km**2) - 1.0 / (2.0 * m**2)) + 1.0 / (2.0 * np.pi * m**2)
    f = g * m**2 / km**3 * (k**2 * (h(k, np.sqrt(ss)) - hm) + (m**2 - ss) * km**2 * dh)
    d = (3.0 / np.pi * mp**2 / km**2 * np.log((m + 2.0 * km) / (2.0 * mp))
         + m / (2.0 * np.pi * km) - mp**2 * m / (np.pi * km**3))
    width = g * (k / km) ** 3 * m / np.sqrt(ss)
    num = m**2 * (1.0 + d * g / m)
    f2 = num**2 / ((m**2 - ss + f) ** 2 + (m * width) ** 2)
    beta = _velocity(w, mp)
    return np.where(above, 0.25 * beta**3 * f2, 0.0)


@functools.lru_cache(maxsize=1)
def _three_pion_table() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Tabulate the P-wave :math:`3\pi` width factor :math:`s^{-3/2}\int G\,ds_{12}ds_{23}`.

    :math:`G = s_{12}s_{23}s_{13}-m^2(s-m^2)^2` (Kibble cubic for equal masses) is
    proportional to :math:`s|\vec p_+\times\vec p_-|^2`, the squared
    :math:`\epsilon_{\mu\nu\rho\sigma}` amplitude of :math:`V\to\pi^+\pi^-\pi^0`; it is
    positive exactly inside the Dalitz plot, so the integral over the bounding box of
    :math:`\max(G,0)` is the phase-space integral (PDG 2024 review "Kinematics", Dalitz plot).
    """
    m = M_PI
    w = np.geomspace(3.0 * m * (1 + 1e-6), 12.0 * GeV, 400)
    x, wx = np.polynomial.legendre.leggauss(64)
    lo = 4.0 * m**2
    hi = (w - m) ** 2
    u = lo + (hi - lo)[:, None] * (x[None, :] + 1.0) / 2.0  # (n_w, n_q)
    jac = ((hi - lo) / 2.0) ** 2
    s = w[:, None, None] ** 2
    s12 = u[:, :, None]
    s23 = u[:, None, :]
    s13 = s + 3.0 * m**2 - s12 - s23
    g = np.maximum(s12 * s23 * s13 - m**2 * (s - m**2) ** 2, 0.0)
    integral = np.einsum("wij,i,j->w", g, wx, wx) * jac
    return w, integral / w**3


@functools.lru_cache(maxsize=1)
def _three_pion_log_table() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(log sqrt s, log width factor) of :func:`_three_pion_table`, for interpolation."""
    w_tab, f_tab = _three_pion_table()
    return np.log(w_tab), np.log(np.maximum(f_tab, 1e-300))


def _three_pion_factor(sqrt_s: NDArray[np.float64], mass: float) -> NDArray[np.float64]:
    """3-pion width at ``sqrt_s`` relative to its value at ``mass`` (0 below threshold)."""
    logw, logf = _three_pion_log_table()
    lw = np.clip(np.log(np.maximum(sqrt_s, 1e-100)), logw[0], logw[-1])
    val = np.exp(np.interp(lw, logw, logf) - float(np.interp(np.log(mass), logw, logf)))
    return np.where(sqrt_s > 3.0 * M_PI, val, 0.0)


def _two_body_p_wave(sqrt_s: NDArray[np.float64], mass: float, m1: float, m2: float
                     ) -> NDArray[np.float64]:
    """P-wave two-body width factor (p/p_M)^3 (M/sqrt s)^2 with the right threshold."""
    def p(w: NDArray[np.float64] | float) -> NDArray[np.float64]:
        w = np.asarray(w, dtype=float)
        lam = (w**2 - (m1 + m2) ** 2) * (w**2 - (m1 - m2) ** 2)
        return np.sqrt(np.clip(lam, 0.0, None)) / (2.0 * np.maximum(w, 1e-100))

    return np.asarray((p(sqrt_s) / p(mass)) ** 3 * (mass / np.maximum(sqrt_s, 1e-100)) ** 2)


def _radiative(sqrt_s: NDArray[np.float64], mass: float, m_p: float) -> NDArray[np.float64]:
    """M1 radiative width factor (k/k_M)^3, k = (s - m^2)/(2 sqrt s)."""
    def k(w: NDArray[np.float64] | float) -> NDArray[np.float64]:
        w = np.asarray(w, dtype=float)
        return np.clip(w**2 - m_p**2, 0.0, None) / (2.0 * np.maximum(w, 1e-100))

    return np.asarray((k(sqrt_s) / k(mass)) ** 3)


def _bw_r(sqrt_s: NDArray[np.float64], mass: float, width: float, b_ee: float,
          b_ll: float, channels: list[tuple[float, NDArray[np.float64]]]) -> NDArray[np.float64]:
    """R of one vector meson: channels are (branching fraction, width factor(s)) pairs."""
    s = sqrt_s**2
    g_had = width * sum((b * fac for b, fac in channels), start=np.zeros_like(s))
    g_tot = g_had + width * b_ll
    g_ee = b_ee * width
    return np.asarray(9.0 * mass**2 * g_ee * g_had
                      / (ALPHA**2 * ((s - mass**2) ** 2 + mass**2 * g_tot**2)))


def r_resonances(sqrt_s: ArrayLike) -> NDArray[np.float64]:
    r"""R from the :math:`\omega`, :math:`\phi`, :math:`J/\psi`, :math:`\psi(2S)` Breit-Wigners.

    Masses, widths and branching fractions from PDG 2024 (S. Navas et al., Phys. Rev. D 110
    (2024) 030001); formula and channel widths in the module docstring.

    Parameters
    ----------
    sqrt_s
        Centre-of-mass energy (MeV), any shape.

    Returns
    -------
    ndarray
        Resonant R (dimensionless, >= 0).
    """
    c = _resonance_components(np.asarray(sqrt_s, dtype=float))
    return np.asarray(c["omega"] + c["phi"] + c["charmonium"])


def _resonance_components(sqrt_s: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """R of the omega, the phi and the charmonia (J/psi + psi(2S)) separately."""
    w = np.maximum(sqrt_s, 1e-3 * MeV)
    # omega(782): 3pi 89.2 %, pi0 gamma 8.33 %, pi+pi- 1.53 %, e+e- 7.38e-5
    m_om, g_om = 782.66 * MeV, 8.68 * MeV
    omega = _bw_r(w, m_om, g_om, 7.38e-5, 2 * 7.38e-5, [
        (0.892, _three_pion_factor(w, m_om)),
        (0.0833, _radiative(w, m_om, M_PI0)),
        (0.0153, _two_body_p_wave(w, m_om, M_PI, M_PI)),
    ])
    # phi(1020): K+K- 49.1 %, KL KS 33.9 %, rho pi + 3pi 15.24 %, eta gamma 1.303 %,
    # pi0 gamma 0.132 %, e+e- 2.979e-4
    m_phi, g_phi = 1019.461 * MeV, 4.249 * MeV
    phi = _bw_r(w, m_phi, g_phi, 2.979e-4, 2 * 2.979e-4, [
        (0.491, _two_body_p_wave(w, m_phi, M_K, M_K)),
        (0.339, _two_body_p_wave(w, m_phi, _M_K0, _M_K0)),
        (0.1524, _three_pion_factor(w, m_phi)),
        (0.01303, _radiative(w, m_phi, _M_ETA)),
        (0.00132, _radiative(w, m_phi, M_PI0)),
    ])
    # J/psi: Gamma 92.6 keV, B(ee) 5.971 %, B(mumu) 5.961 %; psi(2S): 294 keV, B(ee) 0.794 %,
    # B(mumu) 0.80 %, B(tautau) 0.31 %.  Narrow: fixed widths, hadrons = 1 - leptons.
    one = np.ones_like(w)
    jpsi = _bw_r(w, 3096.900 * MeV, 92.6 * keV, 0.05971, 0.05971 + 0.05961,
                 [(1.0 - 0.05971 - 0.05961, one)])
    psi2 = _bw_r(w, 3686.10 * MeV, 294.0 * keV, 0.00794, 0.00794 + 0.0080 + 0.0031,
                 [(1.0 - 0.00794 - 0.0080 - 0.0031, one)])
    return {"omega": omega, "phi": phi, "charmonium": jpsi + psi2}


def r_ratio(sqrt_s: ArrayLike) -> NDArray[np.float64]:
    r"""Hadronic R ratio at centre-of-mass energy ``sqrt_s`` (MeV, any shape).

    :math:`R = R_{\pi\pi} + R_{\omega,\phi,J/\psi,\psi(2S)} + R_{\rm pQCD}`; see the module
    docstring for the model and sources (PDG 2024; arXiv:1801.04847, Sec. 2).

    Parameters
    ----------
    sqrt_s
        Centre-of-mass energy in internal units (MeV); values <= 0 give 0.

    Returns
    -------
    ndarray
        R (dimensionless, finite, >= 0), same shape as ``sqrt_s``.

    Examples
    --------
    >>> from na64.units import GeV
    >>> 2.0 < float(r_ratio(2 * GeV)) < 2.5
    True
    """
    return r_vector_current(sqrt_s, 2.0 / 3.0, -1.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0)


def r_components(sqrt_s: ArrayLike) -> dict[str, NDArray[np.float64]]:
    r"""The pieces of the electromagnetic R: ``rho`` (:math:`\pi\pi`), ``omega``, ``phi``,
    ``charmonium``, and the continuum ``light`` (u, d, s), ``charm``, ``beauty``.

    Each is zero below the lightest hadronic state (:math:`\pi^0\gamma`).
    """
    w = np.asarray(sqrt_s, dtype=float)
    out = {"rho": r_pipi(w), **_resonance_components(w), **_qcd_components(w)}
    open_ = w > M_PI0  # pi0 gamma is the lightest hadronic state
    return {k: np.where(open_, v, 0.0) for k, v in out.items()}


def r_vector_current(
    sqrt_s: ArrayLike,
    x_u: float,
    x_d: float,
    x_s: float,
    x_c: float = 0.0,
    x_b: float = 0.0,
) -> NDArray[np.float64]:
    r"""R for a vector boson coupled to quarks with charges :math:`x_q` (in units of its lepton coupling).

    Vector-meson dominance as in arXiv:1801.04847, Sec. 2: each resonant component is
    rescaled by the squared ratio of the boson's coupling to that meson's quark content to
    the photon's, :math:`\rho\propto(x_u-x_d)^2`, :math:`\omega\propto9(x_u+x_d)^2`,
    :math:`\phi\propto9x_s^2`, charmonium :math:`\propto\tfrac94x_c^2`; the pQCD continuum
    by :math:`N_c\sum x_q^2` per flavour group.  The electromagnetic charges
    :math:`(\tfrac23,-\tfrac13,-\tfrac13,\tfrac23,-\tfrac13)` give :func:`r_ratio`;
    :math:`B-L` (all :math:`\tfrac13`) has no :math:`\rho` and a four times larger
    :math:`\omega`.

    Parameters
    ----------
    sqrt_s
        Centre-of-mass energy (MeV), any shape.
    x_u, x_d, x_s, x_c, x_b
        Quark charges.

    Returns
    -------
    ndarray
        R (dimensionless, >= 0), same shape as ``sqrt_s``.
    """
    c = r_components(sqrt_s)
    weights = {
        "rho": (x_u - x_d) ** 2,
        "omega": 9.0 * (x_u + x_d) ** 2,
        "phi": 9.0 * x_s**2,
        "charmonium": 2.25 * x_c**2,
        "light": (x_u**2 + x_d**2 + x_s**2) / (2.0 / 3.0),
        "charm": x_c**2 / (4.0 / 9.0),
        "beauty": x_b**2 / (1.0 / 9.0),
    }
    return np.asarray(sum((weights[k] * c[k] for k in c), start=np.zeros(np.shape(c["rho"]))))
