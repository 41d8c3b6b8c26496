r"""Thermal-relic targets :math:`y=\epsilon^2\alpha_D(m_\chi/m_{A'})^4` from a freeze-out computation.

Light dark matter :math:`\chi` annihilating through an s-channel dark photon,
:math:`\chi\bar\chi\to A'^*\to f\bar f` (leptons, and hadrons through the computed R ratio of
:mod:`na64.physics.r_ratio`), obtains the observed abundance
:math:`\Omega_c h^2 = 0.120` (Planck 2018, arXiv:1807.06209, Table 2) for one value of
:math:`y` at each :math:`m_\chi`: the "thermal target" lines on invisible-mode exclusion
plots (arXiv:1505.00011; arXiv:1807.01730).  Everything is computed here:

1. Annihilation cross sections (derived in :func:`sigma_annihilation`; the dark photon
   couples to :math:`\epsilon e J_{\rm em}`, so hadrons enter as :math:`\sigma_{\mu\mu}
   R(\sqrt s)`, arXiv:1801.04847, Sec. 2).
2. The relativistic thermal average of Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145,
   eq. (3.8).
3. The Boltzmann equation for :math:`Y=n/s` (Gondolo & Gelmini 1991, Sec. 2;
   J. Edsjö and P. Gondolo, arXiv:hep-ph/9704361, Sec. 2),
   :math:`dY/dx=-\sqrt{\pi/45}\,M_{\rm Pl} m_\chi g_*^{1/2}\langle\sigma v\rangle
   (Y^2-Y_{\rm eq}^2)/x^2`, with
   :math:`g_*^{1/2}=\tfrac{h_{\rm eff}}{\sqrt{g_{\rm eff}}}(1+\tfrac{T}{3h_{\rm eff}}
   \tfrac{dh_{\rm eff}}{dT})`, integrated with an implicit (backward-Euler) scheme that is
   stable in the stiff early regime (BDF2 in :math:`\ln x`), vectorised over masses.
4. :math:`g_{\rm eff}(T)`, :math:`h_{\rm eff}(T)` of an ideal gas of SM particles with
   exact Fermi/Bose integrals (as in M. Husdal, arXiv:1609.04979, Sec. 3): a hadron
   resonance gas below the QCD crossover and quarks + gluons above it, joined smoothly at
   :math:`T_c=156.5` MeV (HotQCD, arXiv:1812.08235); neutrinos decouple instantaneously
   at 2 MeV and keep their entropy (E. Kolb and M. Turner, "The Early Universe", Sec. 3.4).
   This is the approach, not the tables, of K. Saikawa and S. Shirai, arXiv:1803.01038;
   their lattice-based values differ from an ideal gas by up to ~10 % only near
   :math:`T_c`, i.e. for :math:`m_\chi\gtrsim 2` GeV, outside the range used here.

Degrees of freedom and effective cross sections (:math:`Y` counts all dark states):

=================  =====  ==========================================  ===========
kind               g      :math:`\langle\sigma v\rangle_{\rm eff}`    partial wave
=================  =====  ==========================================  ===========
``scalar``         2      :math:`\tfrac12\sigma(\phi\phi^*)`          p
``majorana``       2      :math:`\sigma(\chi\chi)`                    p
``pseudo-dirac``   4      :math:`\tfrac12\sigma(\chi_1\chi_2)`        s
=================  =====  ==========================================  ===========

(the pseudo-Dirac pair is treated in the limit of a small splitting, where it behaves as a
Dirac fermion: co-annihilation with :math:`g_{\rm eff}=4`, K. Griest and D. Seckel,
Phys. Rev. D 43 (1991) 3191).
"""

from __future__ import annotations

import functools
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ..constants import ALPHA, HBARC, M_E, M_MU, M_TAU
from ..errors import InputError
from ..units import GeV, MeV, cm, s
from .r_ratio import r_ratio
from .widths import dark_photon_widths

__all__ = [
    "M_PLANCK",
    "OMEGA_H2_PLANCK",
    "RELIC_KINDS",
    "RelicKind",
    "dof",
    "freeze_out_yield",
    "omega_h2",
    "omega_h2_dark_photon",
    "sigma_annihilation",
    "sigma_v_thermal",
    "y_thermal",
]

RelicKind = Literal["scalar", "majorana", "pseudo-dirac"]
#: Dark-matter kinds with a thermal target.
RELIC_KINDS: Final[tuple[str, ...]] = ("scalar", "majorana", "pseudo-dirac")
#: Planck mass (PDG 2024, Astrophysical constants).
M_PLANCK: Final[float] = 1.220890e19 * GeV
#: Cold-dark-matter density (Planck 2018, arXiv:1807.06209, Table 2, TT,TE,EE+lowE+lensing).
OMEGA_H2_PLANCK: Final[float] = 0.120
#: CMB temperature today (D. Fixsen, arXiv:0911.1955; PDG 2024).
_T0: Final[float] = 2.7255 * 8.617333262e-11 * MeV
#: Critical density / h^2 (PDG 2024, Astrophysical constants): 1.05371e-5 GeV cm^-3.
_RHO_CRIT_H2: Final[float] = 1.05371e-5 * GeV / cm**3
_T_C: Final[float] = 156.5 * MeV
_DT_C: Final[float] = 10.0 * MeV
_T_NU_DEC: Final[float] = 2.0 * MeV

_DOF: Final[dict[str, tuple[float, float]]] = {"scalar": (2.0, 0.5), "majorana": (2.0, 1.0),
                                               "pseudo-dirac": (4.0, 0.5)}

# (mass, internal dof, +1 fermion / -1 boson)
_LEPTONS_EW: Final[list[tuple[float, float, int]]] = [
    (0.0, 2, -1),  # photon
    (M_E, 4, +1), (M_MU, 4, +1), (M_TAU, 4, +1),
    (80.3692 * GeV, 6, -1), (91.1876 * GeV, 3, -1), (125.20 * GeV, 1, -1),
    (172.57 * GeV, 12, +1),
]
# hadron resonance gas (PDG 2024 masses)
_HADRONS: Final[list[tuple[float, float, int]]] = [
    (139.57 * MeV, 2, -1), (134.98 * MeV, 1, -1), (493.68 * MeV, 2, -1), (497.61 * MeV, 2, -1),
    (547.86 * MeV, 1, -1), (775.26 * MeV, 9, -1), (782.66 * MeV, 3, -1), (893.0 * MeV, 12, -1),
    (957.78 * MeV, 1, -1), (1019.46 * MeV, 3, -1), (938.27 * MeV, 4, +1), (939.57 * MeV, 4, +1),
]
# quark-gluon plasma (MS-bar quark masses, PDG 2024)
_QGP: Final[list[tuple[float, float, int]]] = [
    (0.0, 16, -1), (2.16 * MeV, 12, +1), (4.70 * MeV, 12, +1), (93.5 * MeV, 12, +1),
    (1.273 * GeV, 12, +1), (4.183 * GeV, 12, +1),
]


def _rho_p(t: NDArray[np.float64], species: list[tuple[float, float, int]]
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Energy density and pressure over :math:`T^4` of ideal gases, summed over ``species``.

    :math:`\rho/T^4=\tfrac{g}{2\pi^2}\int p^2E f\,dp`, :math:`P/T^4=\tfrac{g}{6\pi^2}\int
    p^4/E\,f\,dp` in units of T (Kolb & Turner, Sec. 3.3), by Gauss-Laguerre
    quadrature in p/T.
    """
    p, w = special.roots_laguerre(96)
    rho = np.zeros_like(t)
    pres = np.zeros_like(t)
    for mass, g, sign in species:
        u = (mass / t)[:, None]
        e = np.sqrt(p[None, :] ** 2 + u**2)
        # f * e^{p} = e^{p - E} / (1 + sign e^{-E}), overflow-free
        f = np.exp(p[None, :] - e) / (1.0 + sign * np.exp(-e))
        rho += g / (2 * np.pi**2) * (f * p**2 * e) @ w
        pres += g / (6 * np.pi**2) * (f * p**4 / e) @ w
    return rho, pres


@functools.lru_cache(maxsize=1)
def _dof_table() -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                          NDArray[np.float64]]:
    """Tabulate log T, g_eff, h_eff and g_*^{1/2} from 10 eV to 1 TeV."""
    t = np.geomspace(1e-5 * MeV, 1e6 * MeV, 1400)
    r_l, p_l = _rho_p(t, _LEPTONS_EW)
    r_h, p_h = _rho_p(t, _HADRONS)
    r_q, p_q = _rho_p(t, _QGP)
    wq = 0.5 * (1.0 + np.tanh((t - _T_C) / _DT_C))
    rho = r_l + (1 - wq) * r_h + wq * r_q
    pres = p_l + (1 - wq) * p_h + wq * p_q
    # neutrinos: 3 flavours x (nu + nubar), 7/8 x 6; after decoupling T_nu^3 a^3 and the
    # e+- gamma entropy are separately conserved: (T_nu/T)^3 = h_egamma(T)/h_egamma(T_dec)
    r_eg, p_eg = _rho_p(t, _LEPTONS_EW[:2])
    h_eg = (r_eg + p_eg) * 45 / (2 * np.pi**2)
    h_dec = float(np.interp(np.log(_T_NU_DEC), np.log(t), h_eg))
    ratio3 = np.where(t >= _T_NU_DEC, 1.0, h_eg / h_dec)
    g_eff = rho * 30 / np.pi**2 + 0.875 * 6 * ratio3 ** (4.0 / 3.0)
    h_eff = (rho + pres) * 45 / (2 * np.pi**2) + 0.875 * 6 * ratio3
    logt = np.log(t)
    dlnh = np.gradient(np.log(h_eff), logt)
    gstar_half = h_eff / np.sqrt(g_eff) * (1.0 + dlnh / 3.0)
    return logt, g_eff, h_eff, gstar_half


def dof(temperature: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                         NDArray[np.float64]]:
    r"""Effective degrees of freedom of the SM plasma at photon temperature ``temperature``.

    Parameters
    ----------
    temperature
        Photon temperature (MeV), any shape; clamped to [10 eV, 1 TeV].

    Returns
    -------
    g_eff, h_eff, gstar_half
        Energy (:math:`\rho=\tfrac{\pi^2}{30}g_{\rm eff}T^4`) and entropy
        (:math:`s=\tfrac{2\pi^2}{45}h_{\rm eff}T^3`) degrees of freedom, and
        :math:`g_*^{1/2}` of Gondolo & Gelmini (1991), Sec. 2 (module docstring).
    """
    logt, g, h, gs = _dof_table()
    lt = np.clip(np.log(np.asarray(temperature, dtype=float)), logt[0], logt[-1])
    return np.interp(lt, logt, g), np.interp(lt, logt, h), np.interp(lt, logt, gs)


def sigma_annihilation(
    s_mandelstam: ArrayLike,
    m_chi: ArrayLike,
    kind: RelicKind,
    *,
    epsilon: ArrayLike,
    alpha_D: float,
    m_A: ArrayLike,
    width_A: ArrayLike,
) -> NDArray[np.float64]:
    r"""Cross section (MeV\ :sup:`-2`) of :math:`\chi\bar\chi\to A'^*\to` all SM final states.

    Derived from :math:`\sigma(e^+e^-\to\mu^+\mu^-)=\tfrac{4\pi\alpha^2}{3s}
    \beta_\mu\tfrac{3-\beta_\mu^2}{2}` (PDG 2024 review "Cross-section formulae"),
    :math:`\sigma(e^+e^-\to\pi^+\pi^-)=\tfrac{\pi\alpha^2}{3s}\beta_\pi^3` for point-like
    scalars, the axial analogue :math:`\tfrac{4\pi\alpha^2}{3s}\beta^3`, and detailed
    balance :math:`\sigma_{ab\to cd}\,g_ag_b\,p_{ab}^2=\sigma_{cd\to ab}\,g_cg_d\,p_{cd}^2`,
    with :math:`\alpha^2/s^2\to\alpha\alpha_D\epsilon^2/[(s-m_{A'}^2)^2+m_{A'}^2\Gamma_{A'}^2]`:

    .. math::
        \sigma = \frac{4\pi\alpha\alpha_D\epsilon^2}{3}\,
        \frac{s\,F_\chi(s)\,\big[\sum_\ell\beta_\ell(1+2m_\ell^2/s)+R(\sqrt s)\big]}
        {(s-m_{A'}^2)^2+m_{A'}^2\Gamma_{A'}^2},

    :math:`F_\chi=(1+2m_\chi^2/s)/\beta_\chi` for the (pseudo-)Dirac fermion (s-wave:
    :math:`\sigma v` finite at threshold), :math:`F_\chi=\beta_\chi` for the complex scalar
    and for the Majorana fermion with coupling :math:`\tfrac{g_D}{2}\bar\chi\gamma^\mu
    \gamma^5\chi` (p-wave: :math:`\sigma v\propto v^2`).  Compare arXiv:1505.00011
    in the limit :math:`m_{A'}\gg m_\chi`.

    Parameters
    ----------
    s_mandelstam
        Squared CM energy (MeV\ :sup:`2`), >= :math:`4m_\chi^2`.
    m_chi, m_A, width_A
        Dark-matter mass, dark-photon mass and total width (MeV); broadcastable.
    kind
        ``"scalar"``, ``"majorana"`` or ``"pseudo-dirac"``.
    epsilon, alpha_D
        Kinetic mixing and dark coupling.
    """
    sm = np.asarray(s_mandelstam, dtype=float)
    mc = np.asarray(m_chi, dtype=float)
    b_chi = np.sqrt(np.clip(1.0 - 4.0 * mc**2 / sm, 1e-300, 1.0))
    f_chi = (1.0 + 2.0 * mc**2 / sm) / b_chi if kind == "pseudo-dirac" else b_chi
    f_sm = r_ratio(np.sqrt(sm))
    for m_l in (M_E, M_MU, M_TAU):
        b_l = np.sqrt(np.clip(1.0 - 4.0 * m_l**2 / sm, 0.0, 1.0))
        f_sm = f_sm + b_l * (1.0 + 2.0 * m_l**2 / sm) * (b_l > 0)
    ma2 = np.asarray(m_A, dtype=float) ** 2
    denom = (sm - ma2) ** 2 + ma2 * np.asarray(width_A, dtype=float) ** 2
    eps2 = np.asarray(epsilon, dtype=float) ** 2
    return np.asarray(4 * np.pi * ALPHA * alpha_D * eps2 / 3.0 * sm * f_chi * f_sm / denom)


# generalised Gauss-Laguerre nodes for weight t^{1/2} e^{-t}
_GL_T, _GL_W = special.roots_genlaguerre(64, 0.5)


def sigma_v_thermal(
    x: ArrayLike,
    m_chi: ArrayLike,
    kind: RelicKind,
    *,
    epsilon: ArrayLike,
    alpha_D: float,
    m_A: ArrayLike,
    width_A: ArrayLike,
) -> NDArray[np.float64]:
    r"""Thermally averaged :math:`\langle\sigma v_{\rm Mol}\rangle` (MeV\ :sup:`-2`) at :math:`x=m_\chi/T`.

    Gondolo & Gelmini, Nucl. Phys. B360 (1991) 145, eq. (3.8):
    :math:`\langle\sigma v\rangle=\int_{4m^2}^\infty\sigma(s)(s-4m^2)\sqrt s\,K_1(\sqrt s/T)\,ds
    \,/\,[8m^4TK_2^2(m/T)]`.  With :math:`\sqrt s=2m+tT` the integrand carries
    :math:`e^{-t}`; the remaining :math:`\sqrt t` threshold behaviour is absorbed by
    64-point generalised Gauss-Laguerre quadrature (weight :math:`t^{1/2}e^{-t}`), using
    exponentially scaled Bessel functions.  Not the effective (g-weighted) cross section:
    see :func:`omega_h2_dark_photon`.

    Parameters
    ----------
    x
        :math:`m_\chi/T`, broadcastable with ``m_chi`` (e.g. shapes (n_m, 1) and (1, n_x)).
    m_chi, kind, epsilon, alpha_D, m_A, width_A
        As in :func:`sigma_annihilation`.
    """
    xx = np.asarray(x, dtype=float)
    mc = np.asarray(m_chi, dtype=float)
    shape = np.broadcast_shapes(xx.shape, mc.shape)
    xx = np.broadcast_to(xx, shape)[..., None]
    mc = np.broadcast_to(mc, shape)[..., None]
    tt = mc / xx
    sqrt_s = 2.0 * mc + _GL_T * tt
    sm = sqrt_s**2
    sig = sigma_annihilation(
        sm, mc, kind, epsilon=np.broadcast_to(np.asarray(epsilon, dtype=float), shape)[..., None],
        alpha_D=alpha_D, m_A=np.broadcast_to(np.asarray(m_A, dtype=float), shape)[..., None],
        width_A=np.broadcast_to(np.asarray(width_A, dtype=float), shape)[..., None])
    # integrand / (sqrt(t) e^{-t}):  sigma (s - 4m^2) s K1(sqrt s/T) e^{t} ... / sqrt t
    k1 = special.kve(1, sqrt_s / tt)  # K1 e^{sqrt s / T}; e^{-sqrt s/T} = e^{-2x} e^{-t}
    s_minus = _GL_T * tt * (4.0 * mc + _GL_T * tt)  # s - 4 m^2
    integrand = sig * s_minus * sm * k1 / np.sqrt(_GL_T)
    k2 = special.kve(2, xx[..., 0])  # K2(x) e^{x}
    val = (integrand @ _GL_W) / (4.0 * mc[..., 0] ** 4 * k2**2)
    return np.asarray(val)


def freeze_out_yield(
    m_chi: ArrayLike,
    x_grid: NDArray[np.float64],
    sigma_v: NDArray[np.float64],
    g_chi: float,
) -> NDArray[np.float64]:
    r"""Solve the Boltzmann equation for :math:`Y=n_\chi/s` and return :math:`Y_\infty`.

    :math:`dY/dx=-\lambda(x)(Y^2-Y_{\rm eq}^2)`, :math:`\lambda=\sqrt{\pi/45}\,M_{\rm Pl}
    m_\chi g_*^{1/2}(T)\langle\sigma v\rangle/x^2`, :math:`Y_{\rm eq}=\tfrac{45g_\chi}
    {4\pi^4h_{\rm eff}}x^2K_2(x)` (Gondolo & Gelmini 1991; Edsjö & Gondolo,
    arXiv:hep-ph/9704361, Sec. 2).  Implicit BDF2 steps in :math:`\ln x` (second
    order, A-stable for the stiff start; each step is a quadratic solved in closed form),
    started in equilibrium at ``x_grid[0]``; after the last point the remaining depletion
    :math:`\int_{x_{\rm end}}^\infty\lambda\,dx` is added analytically for
    :math:`\langle\sigma v\rangle\propto x^{-n}` with n fitted to the last two points.

    Parameters
    ----------
    m_chi
        Masses (MeV), shape (n_m,).
    x_grid
        Geometrically spaced increasing :math:`x` values, shape (n_x,), e.g.
        ``numpy.geomspace(2, 4000, 2500)`` (converged to 1e-3 in :math:`\Omega h^2`).
    sigma_v
        Effective :math:`\langle\sigma v\rangle` (MeV\ :sup:`-2`) on the grid, shape
        (n_m, n_x).
    g_chi
        Internal degrees of freedom counted in :math:`Y`.

    Returns
    -------
    ndarray
        :math:`Y_\infty`, shape (n_m,).
    """
    mc = np.atleast_1d(np.asarray(m_chi, dtype=float))
    x = np.asarray(x_grid, dtype=float)
    t = mc[:, None] / x[None, :]
    _, h, gs = dof(t)
    lam = np.sqrt(np.pi / 45.0) * M_PLANCK * mc[:, None] * gs * sigma_v / x[None, :] ** 2
    yeq = 45.0 * g_chi / (4.0 * np.pi**4 * h) * x**2 * special.kve(2, x) * np.exp(-x)
    # In u = ln x the grid is uniform (required: x_grid geometric) and dY/du = -x lam (...).
    hu = float(np.log(x[1] / x[0]))
    if not np.allclose(np.diff(np.log(x)), hu, rtol=1e-6, atol=0.0):
        raise InputError("x_grid", "must be geometrically spaced (e.g. numpy.geomspace)")
    a_all = x[None, :] * lam * hu
    y_prev = yeq[:, 0].copy()
    # first step backward Euler, then BDF2 (second order, A-stable for the stiff start):
    # Y1 = 4/3 Y0 - 1/3 Y-1 - 2/3 h x lam (Y1^2 - Yeq^2)
    c = y_prev + a_all[:, 1] * yeq[:, 1] ** 2
    y = 2.0 * c / (1.0 + np.sqrt(1.0 + 4.0 * a_all[:, 1] * c))
    for i in range(2, x.size):
        a = (2.0 / 3.0) * a_all[:, i]
        c = np.maximum((4.0 * y - y_prev) / 3.0, 0.0) + a * yeq[:, i] ** 2
        y_prev, y = y, 2.0 * c / (1.0 + np.sqrt(1.0 + 4.0 * a * c))
    n = -np.log(sigma_v[:, -1] / sigma_v[:, -2]) / np.log(x[-1] / x[-2])
    n = np.clip(np.nan_to_num(n, nan=0.0), 0.0, 3.0)
    tail = lam[:, -1] * x[-1] / (1.0 + n)
    return np.asarray(1.0 / (1.0 / y + tail))


def omega_h2(m_chi: ArrayLike, y_inf: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\Omega h^2=m_\chi Y_\infty s_0/(\rho_c/h^2)`, with :math:`s_0=\tfrac{2\pi^2}{45}
    h_{\rm eff}(T_0)T_0^3` from this module's :math:`h_{\rm eff}` (3.91) and
    :math:`T_0=2.7255` K (Kolb & Turner, Sec. 5.2)."""
    _, h0, _ = dof(_T0)
    s0 = 2 * np.pi**2 / 45 * float(h0) * _T0**3 / HBARC**3  # per mm^3
    return np.asarray(np.asarray(m_chi, dtype=float) * np.asarray(y_inf) * s0 / _RHO_CRIT_H2)


def _dark_photon_width(m_a: NDArray[np.float64], m_chi: NDArray[np.float64], kind: RelicKind,
                       epsilon: NDArray[np.float64], alpha_D: float) -> NDArray[np.float64]:
    """Total A' width (MeV) for the propagator.

    All channels of :func:`na64.physics.widths.dark_photon_widths`.
    """
    # epsilon > 1 (only for absurd alpha_D) is capped: the visible width is then negligible
    w = dark_photon_widths(m_a, np.minimum(epsilon, 1.0), alpha_D, m_chi, kind)
    return np.asarray(sum(w.values()))


_X_COARSE: Final[NDArray[np.float64]] = np.geomspace(2.0, 4000.0, 48)
_X_FINE: Final[NDArray[np.float64]] = np.geomspace(2.0, 4000.0, 2500)


def omega_h2_dark_photon(
    m_chi: ArrayLike,
    y: ArrayLike,
    kind: RelicKind = "scalar",
    alpha_D: float = 0.5,
    ratio: float = 3.0,
) -> NDArray[np.float64]:
    r""":math:`\Omega h^2` of dark matter annihilating through a dark photon with :math:`m_{A'}=` ``ratio`` :math:`m_\chi`.

    :math:`\epsilon^2=y/[\alpha_D\,\mathrm{ratio}^{-4}]`; the effective cross section and
    degrees of freedom per ``kind`` are listed in the module docstring.  Vectorised over
    ``m_chi`` and ``y`` (broadcast).
    """
    mc, yy = np.broadcast_arrays(np.asarray(m_chi, dtype=float), np.asarray(y, dtype=float))
    shape = mc.shape
    mc, yy = mc.ravel(), yy.ravel()
    g_chi, factor = _DOF[kind]
    eps = np.sqrt(yy / alpha_D) * ratio**2
    m_a = ratio * mc
    width = _dark_photon_width(m_a, mc, kind, eps, alpha_D)
    sv = factor * sigma_v_thermal(_X_COARSE[None, :], mc[:, None], kind, epsilon=eps[:, None],
                                  alpha_D=alpha_D, m_A=m_a[:, None], width_A=width[:, None])
    lx_c, lx_f = np.log(_X_COARSE), np.log(_X_FINE)
    logsv = np.log(np.maximum(sv, 1e-300))
    sv_fine = np.exp(np.array([np.interp(lx_f, lx_c, row) for row in logsv]))
    y_inf = freeze_out_yield(mc, _X_FINE, sv_fine, g_chi)
    return omega_h2(mc, y_inf).reshape(shape)


def y_thermal(
    m_chi: ArrayLike,
    kind: RelicKind = "scalar",
    alpha_D: float = 0.5,
    ratio: float = 3.0,
    *,
    omega_target: float = OMEGA_H2_PLANCK,
    rtol: float = 1e-4,
) -> NDArray[np.float64]:
    r"""Thermal target :math:`y=\epsilon^2\alpha_D(m_\chi/m_{A'})^4` giving :math:`\Omega h^2=0.120`.

    Since :math:`\Omega h^2\propto\sim1/y` (up to the logarithmic dependence of the freeze-out
    temperature), the fixed point :math:`y\leftarrow y\,\Omega h^2(y)/0.120` converges in a
    few iterations (all masses at once).

    Parameters
    ----------
    m_chi
        Dark-matter mass(es) (MeV), in [1 MeV, 1 GeV].
    kind
        ``"scalar"``, ``"majorana"`` or ``"pseudo-dirac"``.
    alpha_D
        Dark coupling, in (0, 4π].
    ratio
        :math:`m_{A'}/m_\chi`, in [3, 10].  The A' pole at :math:`\sqrt s=m_{A'}` then sits
        :math:`\ge x_f` thermal widths above threshold, suppressed by :math:`e^{-(r-2)x}`
        even for a narrow A' (small :math:`\alpha_D`); resonant annihilation
        (:math:`r\to2`), which the fixed quadrature would not resolve, is excluded.
    omega_target
        Relic density to reproduce (default Planck 2018: 0.120).
    rtol
        Relative tolerance on :math:`\Omega h^2`.

    Returns
    -------
    ndarray
        :math:`y`, same shape as ``m_chi``.

    Raises
    ------
    InputError
        Out-of-range mass, ``alpha_D``, ``ratio`` or unknown ``kind``.
    """
    mc = np.asarray(m_chi, dtype=float)
    if kind not in RELIC_KINDS:
        raise InputError("kind", f"must be one of {', '.join(RELIC_KINDS)}, got {kind!r}")
    if not np.all(np.isfinite(mc)) or np.any(mc < 1.0 * MeV) or np.any(mc > 1.0 * GeV):
        raise InputError("m_chi", "must be in [1 MeV, 1 GeV]")
    if not (np.isfinite(alpha_D) and 0.0 < alpha_D <= 4 * np.pi):
        raise InputError("alpha_D", f"must be in (0, 4pi], got {alpha_D!r}")
    if not (np.isfinite(ratio) and 3.0 <= ratio <= 10.0):
        raise InputError("ratio", f"must be in [3, 10], got {ratio!r}")
    if not (np.isfinite(omega_target) and 1e-4 <= omega_target <= 10.0):
        raise InputError("omega_target", f"must be in [1e-4, 10], got {omega_target!r}")
    flat = mc.ravel()
    # start from the s-wave estimate sigma v ~ 3e-26 cm^3/s with heavy-mediator scaling
    sv0 = 3e-26 * cm**3 / s / (HBARC**2 * 299.792458)  # MeV^-2 (c = 299.792458 mm/ns)
    yy = sv0 * flat**2 / (16 * np.pi * ALPHA)
    for _ in range(30):
        om = omega_h2_dark_photon(flat, yy, kind, alpha_D, ratio)
        yy = yy * om / omega_target
        if np.all(np.abs(om / omega_target - 1.0) < rtol):
            break
    return yy.reshape(mc.shape)
