r"""Inelastic dark matter (iDM): the widths of :math:`A'\to\chi_1\chi_2` and of
:math:`\chi_2\to\chi_1\ell^+\ell^-`, and the decay law of the excited state :math:`\chi_2`.

The model
---------
A Dirac fermion of the dark U(1) with a small Majorana mass splits into two Majorana states
:math:`\chi_1` (mass :math:`m_1`) and :math:`\chi_2` (:math:`m_2=(1+\Delta)m_1`); the dark
photon couples them off-diagonally, :math:`\mathcal L\supset i g_D A'_\mu
\bar\chi_2\gamma^\mu\chi_1`, :math:`g_D=\sqrt{4\pi\alpha_D}`, and mixes kinetically with the
photon (strength :math:`\epsilon e`) (Izaguirre, Krnjaic, Schuster, Toro, arXiv:1508.03050;
Izaguirre, Kahn, Krnjaic, Moschella, arXiv:1703.06881; the model sections of both).  NA64's
iDM interpretation (Mongillo et al., arXiv:2302.05414) uses the same conventions, the benchmark
:math:`m_{A'}=3m_{\chi_1}`, :math:`\Delta=0.1, 0.4`, and the thermal-target variable
:math:`y=\epsilon^2\alpha_D(m_{\chi_1}/m_{A'})^4`.  The masses are taken with the same sign
(the phase of :math:`\chi_2` absorbed in the coupling), so that :math:`\Delta\to0` is the
Dirac fermion of :mod:`na64.physics.widths`.

Formulas (numbered in this module; all masses and widths in MeV)
----------------------------------------------------------------
(1) :math:`A'\to\chi_1\chi_2`, vector coupling to two unequal masses, from
    :math:`\Gamma=|\vec p|\,\overline{|M|^2}/(8\pi m_{A'}^2)` (PDG 2024 review "Kinematics",
    two-body decay) with :math:`\tfrac13\sum|M|^2=\tfrac{2g_D^2}{3}\,(M^2-d^2)(2+s^2/M^2)`,
    :math:`M=m_{A'}`, :math:`s=m_1+m_2`, :math:`d=m_2-m_1` (the trace
    :math:`{\rm Tr}[(\not p_1+m_1)\gamma^\mu(\not p_2-m_2)\gamma^\nu]` contracted with the
    polarisation sum):

    .. math:: \Gamma = \frac{\alpha_D M}{3}\Big(1-\frac{s^2}{M^2}\Big)^{1/2}
              \Big(1-\frac{d^2}{M^2}\Big)^{3/2}\Big(1+\frac{s^2}{2M^2}\Big).

    At :math:`\Delta=0` it is Eq. (1) of :mod:`na64.physics.widths`, the Dirac vector width.
(2) :math:`\chi_2(p_2)\to\chi_1(p_1)\,\ell^-(k_1)\ell^+(k_2)` through an off-shell
    :math:`A'` (the :math:`q^\mu q^\nu/M^2` part of the propagator vanishes on the conserved
    lepton current; the :math:`A'` width is negligible since :math:`q^2\le d^2<M^2`).  With
    :math:`C^2=16\pi^2\alpha\alpha_D\epsilon^2/(q^2-M^2)^2` the spin-averaged squared
    amplitude is :math:`\overline{|M|^2}=16\,C^2\,T`,

    .. math:: T=(k_1p_1)(k_2p_2)+(k_1p_2)(k_2p_1)+m_\ell^2(p_1p_2-m_1m_2)
              -m_1m_2(k_1k_2+m_\ell^2),

    from :math:`{\rm Tr}[(\not k_1+m_\ell)\gamma^\mu(\not k_2-m_\ell)\gamma^\nu]\,
    {\rm Tr}[(\not p_1+m_1)\gamma_\mu(\not p_2+m_2)\gamma_\nu]=32\,T`.  The width is the
    Dalitz integral :math:`\Gamma=\int ds\,dt\,\overline{|M|^2}/((2\pi)^3\,32\,m_2^3)`
    (PDG 2024 review "Kinematics", Eq. (49.22)) over :math:`s=m_{\ell\ell}^2\in
    [4m_\ell^2,d^2]` and :math:`t=(p_1+k_1)^2` in its Dalitz limits (Eq. (49.23)); it is
    computed numerically by :func:`chi2_width` (Gauss-Legendre in both variables).
(3) Integrating the lepton tensor over the pair's angles,
    :math:`\int d\Phi_2\,L^{\mu\nu}=\tfrac{\beta_\ell}{8\pi}\tfrac43(1+2m_\ell^2/s)
    (q^\mu q^\nu-s\,g^{\mu\nu})`, gives the mass spectrum of the pair

    .. math:: \frac{d\Gamma}{ds}=\frac{C^2\,|\vec p_1^{\,*}|\,\beta_\ell}{48\pi^3m_2^2}
              \Big(1+\frac{2m_\ell^2}{s}\Big)\,G(s),\quad
              G=2(qp_1)(qp_2)+s\,(p_1p_2)-3s\,m_1m_2,

    :math:`|\vec p_1^{\,*}|=\lambda^{1/2}(m_2^2,m_1^2,s)/(2m_2)`
    (:func:`chi2_dgamma_ds`); an independent route to Eq. (2), used for sampling.
(4) Hadrons: :math:`d\Gamma_{\rm had}/ds=d\Gamma_{\mu\mu}/ds|_{m_\mu\to0}\,R(\sqrt s)`,
    the same :math:`R` substitution as for the dark photon's hadronic width
    (arXiv:1801.04847, Sec. 2; :func:`na64.physics.r_ratio.r_ratio`).
(5) Small splitting, :math:`\Delta\ll1`, :math:`m_\ell\to0`:
    :math:`\Gamma(\chi_2\to\chi_1\ell^+\ell^-)\simeq\dfrac{4\epsilon^2\alpha\alpha_D
    \Delta^5m_1^5}{15\pi m_{A'}^4}`, the formula quoted by arXiv:1508.03050 and
    arXiv:1703.06881 (in their model sections; the equation numbers are not cited here
    because they could not be checked against the text).  It is the leading term of
    Eq. (3), derived here: at :math:`\Delta\to0` the χ's are at rest,
    :math:`G\to2m_1^2(d^2-s)`, :math:`|\vec p_1^{\,*}|\to\sqrt{d^2-s}` and
    :math:`\int_0^{d^2}(d^2-s)^{3/2}ds=\tfrac25d^5`.  Its neglected terms are of relative
    order :math:`\Delta` (recoil of :math:`\chi_1`, :math:`m_2\ne m_1`) and
    :math:`d^2/M^2` (propagator).

Every width of :math:`\chi_2` is proportional to :math:`\epsilon^2`, so its lab decay length
scales as :math:`\lambda(\epsilon)=\lambda(1)/\epsilon^2` (:func:`chi2_decay_length`); the
decay law itself is that of :mod:`na64.physics.decay`.  Neglected: :math:`\chi_2\to\chi_1
\gamma` (a loop-induced dipole) and :math:`\chi_2\to\chi_1\nu\bar\nu` (through Z mixing,
suppressed by :math:`(m/m_Z)^4`); both matter only below the :math:`e^+e^-` threshold,
:math:`m_2-m_1<2m_e`, which the model class rejects.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import ALPHA, HBARC, M_E, M_MU, M_PI0
from .r_ratio import r_ratio

__all__ = [
    "CHI2_CHANNELS",
    "chi2_decay_length",
    "chi2_dgamma_ds",
    "chi2_msq",
    "chi2_width",
    "chi2_width_small_splitting",
    "chi2_widths",
    "width_chi1chi2",
]

FloatArray = NDArray[np.float64]

#: Decay channels of χ2 and the mass of their charged lepton (0: hadrons, Eq. (4)).
CHI2_CHANNELS: Final[dict[str, float]] = {"chi1 e+e-": M_E, "chi1 mu+mu-": M_MU,
                                          "chi1 hadrons": 0.0}

#: Gauss-Legendre nodes in u (s = s0 + (s1 - s0) sin^2 u) for the lepton channels; the map
#: removes both square-root end points, and 96 nodes reproduce 1024 to < 1e-9.
_N_S: Final[int] = 96
#: Nodes in t at fixed s: T of Eq. (2) is a polynomial of degree 2 in t, exact with 2.
_N_T: Final[int] = 3
#: Hadrons: composite Gauss-Legendre in sqrt(s) (panels x nodes) resolving the omega and
#: phi peaks of R (widths 8.7 and 4.2 MeV) for splittings up to a few GeV.
_HAD_PANELS: Final[int] = 600
_HAD_NODES: Final[int] = 4

_GL_S = np.polynomial.legendre.leggauss(_N_S)
_GL_T = np.polynomial.legendre.leggauss(_N_T)
_GL_H = np.polynomial.legendre.leggauss(_HAD_NODES)


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=float)


def width_chi1chi2(mass: ArrayLike, m1: ArrayLike, m2: ArrayLike,
                   alpha_D: ArrayLike) -> FloatArray:
    r"""Width (MeV) of :math:`A'\to\chi_1\chi_2`, Eq. (1) of the module.

    Parameters
    ----------
    mass
        :math:`m_{A'}` (MeV).
    m1, m2
        :math:`m_{\chi_1}`, :math:`m_{\chi_2}` (MeV), > 0.
    alpha_D
        Dark coupling :math:`\alpha_D=g_D^2/4\pi`.

    Returns
    -------
    ndarray
        Width (MeV) of the broadcast shape; 0 at or below the threshold :math:`m_1+m_2`.
    """
    m, a, b = _f(mass), _f(m1), _f(m2)
    mm = np.maximum(m, 1e-300)
    s2 = ((a + b) / mm) ** 2
    d2 = ((b - a) / mm) ** 2
    beta = np.sqrt(np.clip(1.0 - s2, 0.0, None))
    return np.asarray(np.where(s2 < 1.0, _f(alpha_D) * m / 3.0 * beta
                               * np.clip(1.0 - d2, 0.0, None) ** 1.5 * (1.0 + 0.5 * s2), 0.0))


def _coupling2(s: FloatArray, mass: ArrayLike, epsilon: ArrayLike,
               alpha_D: ArrayLike) -> FloatArray:
    """C^2 of Eq. (2): 16 pi^2 alpha alpha_D eps^2 / (s - M^2)^2."""
    m = _f(mass)
    return np.asarray(16.0 * math.pi**2 * ALPHA * _f(alpha_D) * _f(epsilon) ** 2
                      / (m**2 - s) ** 2)


def chi2_msq(s: ArrayLike, t: ArrayLike, m1: ArrayLike, m2: ArrayLike, m_l: ArrayLike,
             mass: ArrayLike, epsilon: ArrayLike = 1.0, alpha_D: ArrayLike = 1.0) -> FloatArray:
    r"""Spin-averaged :math:`\overline{|M|^2}` of :math:`\chi_2\to\chi_1\ell^-\ell^+`, Eq. (2).

    Parameters
    ----------
    s
        :math:`m_{\ell\ell}^2=(k_1+k_2)^2` (MeV²).
    t
        :math:`(p_1+k_1)^2`, the :math:`\chi_1\ell^-` mass squared (MeV²).
    m1, m2, m_l
        Masses of :math:`\chi_1`, :math:`\chi_2` and the lepton (MeV).
    mass, epsilon, alpha_D
        :math:`m_{A'}` (MeV), kinetic mixing, dark coupling.

    Returns
    -------
    ndarray
        Dimensionless, of the broadcast shape (>= 0 inside the Dalitz region).
    """
    s_, t_ = _f(s), _f(t)
    a, b, ml = _f(m1), _f(m2), _f(m_l)
    ml2 = ml * ml
    u_ = a * a + b * b + 2.0 * ml2 - s_ - t_
    p1k1 = 0.5 * (t_ - a * a - ml2)
    p1k2 = 0.5 * (u_ - a * a - ml2)
    p2k1 = 0.5 * (b * b + ml2 - u_)
    p2k2 = 0.5 * (b * b + ml2 - t_)
    p1p2 = 0.5 * (a * a + b * b - s_)
    k1k2 = 0.5 * (s_ - 2.0 * ml2)
    tt = p1k1 * p2k2 + p1k2 * p2k1 + ml2 * (p1p2 - a * b) - a * b * (k1k2 + ml2)
    return np.asarray(16.0 * _coupling2(s_, mass, epsilon, alpha_D) * tt)


def _t_limits(s: FloatArray, m1: FloatArray, m2: FloatArray, m_l: FloatArray
              ) -> tuple[FloatArray, FloatArray]:
    """Dalitz limits of t = (p1 + k1)^2 at fixed s (PDG 2024 "Kinematics", Eq. (49.23))."""
    rs = np.sqrt(s)
    e_l = 0.5 * rs                                  # lepton energy in the pair frame
    e_1 = (m2 * m2 - s - m1 * m1) / (2.0 * rs)      # chi1 energy in the pair frame
    p_l = np.sqrt(np.clip(e_l * e_l - m_l * m_l, 0.0, None))
    p_1 = np.sqrt(np.clip(e_1 * e_1 - m1 * m1, 0.0, None))
    base = (e_l + e_1) ** 2
    return base - (p_l + p_1) ** 2, base - (p_l - p_1) ** 2


def _s_nodes(s0: FloatArray, s1: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Nodes s (trailing axis) and weights of the u-map s = s0 + (s1 - s0) sin^2 u."""
    x, w = _GL_S
    u = 0.25 * math.pi * (x + 1.0)
    span = (s1 - s0)[..., None]
    s = s0[..., None] + span * np.sin(u) ** 2
    ws = 0.25 * math.pi * w * span * np.sin(2.0 * u)   # ds = (s1 - s0) sin(2u) du
    return s, ws


def chi2_width(m1: ArrayLike, m2: ArrayLike, mass: ArrayLike, epsilon: ArrayLike,
               alpha_D: ArrayLike, m_l: ArrayLike = M_E) -> FloatArray:
    r"""Width (MeV) of :math:`\chi_2\to\chi_1\ell^+\ell^-`: the Dalitz integral of Eq. (2).

    Numerical: Gauss-Legendre in :math:`u` with :math:`s=s_0+(s_1-s_0)\sin^2u` (96 nodes;
    the map absorbs the square-root end points at :math:`s_0=4m_\ell^2` and
    :math:`s_1=(m_2-m_1)^2`) times Gauss-Legendre in :math:`t` between its Dalitz limits
    (exact: :math:`\overline{|M|^2}` is quadratic in t).  Vectorised over all arguments.

    Parameters
    ----------
    m1, m2
        :math:`m_{\chi_1}<m_{\chi_2}` (MeV).
    mass
        :math:`m_{A'}` (MeV), > :math:`m_1+m_2`.
    epsilon, alpha_D
        Kinetic mixing and dark coupling.
    m_l
        Lepton mass (MeV): ``M_E`` (default) or ``M_MU``.

    Returns
    -------
    ndarray
        Width (MeV) of the broadcast shape; 0 where :math:`m_2-m_1\le2m_\ell`.
    """
    a, b, m, eps, ad, ml = np.broadcast_arrays(*(_f(v) for v in (m1, m2, mass, epsilon,
                                                                  alpha_D, m_l)))
    s0 = 4.0 * ml * ml
    s1 = (b - a) ** 2
    is_open = s1 > s0
    s1c = np.where(is_open, s1, s0 * 1.0001 + 1e-12)
    s, ws = _s_nodes(s0, s1c)
    ex = (..., None)
    t_lo, t_hi = _t_limits(s, a[ex], b[ex], ml[ex])
    xt, wt = _GL_T
    half = 0.5 * (t_hi - t_lo)
    t = 0.5 * (t_hi + t_lo)[..., None] + half[..., None] * xt
    msq = chi2_msq(s[..., None], t, a[(*ex, None)], b[(*ex, None)], ml[(*ex, None)],
                   m[(*ex, None)], eps[(*ex, None)], ad[(*ex, None)])
    inner = half * np.sum(wt * msq, axis=-1)
    total = np.sum(ws * inner, axis=-1) / ((2.0 * math.pi) ** 3 * 32.0 * b**3)
    return np.asarray(np.where(is_open, np.maximum(total, 0.0), 0.0))


def chi2_dgamma_ds(s: ArrayLike, m1: ArrayLike, m2: ArrayLike, mass: ArrayLike,
                   epsilon: ArrayLike, alpha_D: ArrayLike, m_l: ArrayLike = M_E) -> FloatArray:
    r""":math:`d\Gamma/ds` (MeV⁻¹) of :math:`\chi_2\to\chi_1\ell^+\ell^-`, Eq. (3) of the module.

    Parameters
    ----------
    s
        Pair mass squared :math:`m_{\ell\ell}^2` (MeV²).
    m1, m2, mass, epsilon, alpha_D, m_l
        As for :func:`chi2_width`.

    Returns
    -------
    ndarray
        Of the broadcast shape; 0 outside :math:`[4m_\ell^2,(m_2-m_1)^2]`.
    """
    s_, a, b, ml = _f(s), _f(m1), _f(m2), _f(m_l)
    ss = np.maximum(s_, 1e-300)
    lam = np.clip(((b - a) ** 2 - s_) * ((b + a) ** 2 - s_), 0.0, None)
    p1 = np.sqrt(lam) / (2.0 * b)
    beta = np.sqrt(np.clip(1.0 - 4.0 * ml * ml / ss, 0.0, None))
    qp1 = 0.5 * (b * b - a * a - s_)
    qp2 = 0.5 * (b * b - a * a + s_)
    p1p2 = 0.5 * (a * a + b * b - s_)
    g = 2.0 * qp1 * qp2 + s_ * p1p2 - 3.0 * s_ * a * b
    out = (_coupling2(s_, mass, epsilon, alpha_D) * p1 * beta * (1.0 + 2.0 * ml * ml / ss) * g
           / (48.0 * math.pi**3 * b * b))
    inside = (s_ >= 4.0 * ml * ml) & (s_ <= (b - a) ** 2)
    return np.asarray(np.where(inside, np.maximum(out, 0.0), 0.0))


def _hadron_width(m1: FloatArray, m2: FloatArray, mass: FloatArray, epsilon: FloatArray,
                  alpha_D: FloatArray) -> FloatArray:
    """Eq. (4): integral of dGamma_mumu/ds (m_mu -> 0) R(sqrt s) over sqrt(s) in
    [m_pi0, m2 - m1] (R vanishes below the pi0 gamma threshold)."""
    lo = M_PI0
    hi = m2 - m1
    is_open = hi > lo
    his = np.where(is_open, hi, lo * 1.0001)
    edges = lo + (his - lo)[..., None] * np.linspace(0.0, 1.0, _HAD_PANELS + 1)
    x, w = _GL_H
    mid = 0.5 * (edges[..., 1:] + edges[..., :-1])
    half = 0.5 * (edges[..., 1:] - edges[..., :-1])
    rs = (mid[..., None] + half[..., None] * x).reshape(*mid.shape[:-1], -1)
    wts = (half[..., None] * w).reshape(*mid.shape[:-1], -1)
    ex = (..., None)
    dgds = chi2_dgamma_ds(rs**2, m1[ex], m2[ex], mass[ex], epsilon[ex], alpha_D[ex], 0.0)
    total = np.sum(wts * 2.0 * rs * dgds * r_ratio(rs), axis=-1)   # ds = 2 sqrt(s) d sqrt(s)
    return np.asarray(np.where(is_open, total, 0.0))


def chi2_widths(m1: ArrayLike, m2: ArrayLike, mass: ArrayLike, epsilon: ArrayLike,
                alpha_D: ArrayLike) -> dict[str, FloatArray]:
    r"""Partial widths (MeV) of :math:`\chi_2`, keyed by :data:`CHI2_CHANNELS`.

    ``chi1 e+e-`` and ``chi1 mu+mu-`` by Eq. (2) (:func:`chi2_width`), ``chi1 hadrons`` by
    Eq. (4).  Vectorised over all arguments (no range checks; see
    :class:`na64.models.Idm`).
    """
    a, b, m, eps, ad = np.broadcast_arrays(*(_f(v) for v in (m1, m2, mass, epsilon,
                                                              alpha_D)))
    return {
        "chi1 e+e-": chi2_width(a, b, m, eps, ad, M_E),
        "chi1 mu+mu-": chi2_width(a, b, m, eps, ad, M_MU),
        "chi1 hadrons": _hadron_width(a, b, m, eps, ad),
    }


def chi2_width_small_splitting(m1: ArrayLike, delta: ArrayLike, mass: ArrayLike,
                               epsilon: ArrayLike, alpha_D: ArrayLike) -> FloatArray:
    r"""Small-splitting limit :math:`4\epsilon^2\alpha\alpha_D\Delta^5m_1^5/(15\pi m_{A'}^4)`
    (MeV) of the width of :math:`\chi_2\to\chi_1\ell^+\ell^-` for a massless lepton, Eq. (5)
    (arXiv:1508.03050; arXiv:1703.06881; derived as the leading term of Eq. (3) in the
    module docstring)."""
    return np.asarray(4.0 * _f(epsilon) ** 2 * ALPHA * _f(alpha_D) * (_f(delta) * _f(m1)) ** 5
                      / (15.0 * math.pi * _f(mass) ** 4))


def chi2_decay_length(energy: ArrayLike, m2: ArrayLike, total_width: ArrayLike
                      ) -> FloatArray:
    r"""Lab decay length :math:`\gamma\beta c\tau=(p/m_2)\,\hbar c/\Gamma` (mm) of
    :math:`\chi_2` (PDG 2024 review "Kinematics", Sec. 49.1).

    Parameters
    ----------
    energy
        Lab energy of :math:`\chi_2` (MeV), >= ``m2``.
    m2
        :math:`m_{\chi_2}` (MeV).
    total_width
        Its total width (MeV) at the coupling of interest; since every width is
        :math:`\propto\epsilon^2`, the length at :math:`\epsilon` is the length at
        :math:`\epsilon=1` divided by :math:`\epsilon^2`.

    Returns
    -------
    ndarray
        mm, of the broadcast shape (0 at rest).
    """
    g = np.maximum(_f(energy) / _f(m2), 1.0)
    p_over_m = np.sqrt(g - 1.0) * np.sqrt(g + 1.0)
    return np.asarray(p_over_m * HBARC / _f(total_width))
