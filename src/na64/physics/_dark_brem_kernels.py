"""Numba kernels for dark bremsstrahlung l N -> l N X (internal; see :mod:`.dark_brem`).

ETL, WW and IWW are implemented for X of spin 0 (scalar, pseudoscalar) and 1 (vector,
axial vector) through the generated traces and 2 -> 2 amplitudes of :mod:`._etl_traces`.

Everything here works in hepunits (MeV) with scalar arguments; the public module does the
validation, broadcasting and unit bookkeeping.  Cross sections returned by the kernels are
in MeV^-2 for coupling 1 (multiply by eps^2 and (hbar c)^2).

Integration variables (fixed Gauss-Legendre rules, no adaptive quadrature):

* x = E_X/E0: ln x on [x_lo, 1/2] and ln(1 - x) on [1/2, x_hi];
* w = 1 - cos(theta_X): w = c (1/v - 1) with v uniform, c = theta_c^2 / 2 and
  theta_c^2 = (m_X^2 (1-x)/x + m_l^2 x) / (x E0^2), the angular scale of the propagator
  1/u~^2 (arXiv:0906.0580, Eq. (A12)); the leading 1/(w + c)^2 behaviour becomes flat in v;
* t = -q^2: ln t between the exact phase-space limits;
* phi_q: azimuth of q around p - k, on [0, pi] (mirror symmetry of the p, k plane).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..constants import ALPHA, M_P
from . import _etl_traces as _tr
from .form_factors import _flux, _g2, _t_upper

SPIN_VECTOR = 0
SPIN_SCALAR = 1
SPIN_PSEUDOSCALAR = 2
SPIN_AXIAL = 3

METHOD_ETL = 0
METHOD_IWW = 1
METHOD_WW = 2

_ALPHA3 = ALPHA**3


def _gl(n: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return nodes.astype(np.float64), weights.astype(np.float64)


# node sets (chosen by a convergence study: doubling each changes sigma by < 0.3 %)
_XN, _XW = _gl(24)
_VN, _VW = _gl(16)
_TN, _TW = _gl(24)
# the incoherent (proton) term is a few % of sigma and smooth in ln t: 10 nodes change sigma
# by < 1e-4 relative to 24 (tests/test_dark_brem.py reference values; benchmarks/bench_xsec.py)
_TN_IN, _TW_IN = _gl(10)
_PN, _PW = _gl(10)
_PHI = 0.5 * np.pi * (1.0 + _PN)
_COSPHI = np.cos(_PHI)
_SINPHI = np.sin(_PHI)


@numba.njit(cache=True)
def _trace(spin: int, m: float, mx2: float, p_pp: float, p_k: float, pp_k: float, p_n: float,
           pp_n: float, k_n: float, n_n: float, s1: float, s2: float) -> float:
    """Polarisation-summed lepton trace for the spin of X (generated, see _etl_derivation.py)."""
    if spin == SPIN_VECTOR:
        return _tr.trace_vector(m, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, s2)
    if spin == SPIN_SCALAR:
        return _tr.trace_scalar(m, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, s2)
    if spin == SPIN_PSEUDOSCALAR:
        return _tr.trace_pseudoscalar(m, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, s2)
    return (_tr.trace_axial(m, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, s2)
            + _tr.trace_axial_kk(m, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, s2) / mx2)


@numba.njit(cache=True)
def _p_dot_k(e0: float, pz: float, ke: float, km: float, mx: float, ml: float, w: float) -> float:
    """p.k computed without the cancellation of E0 k0 - |p||k| cos(theta)."""
    forward = (e0 * e0 * mx * mx + ml * ml * ke * ke - ml * ml * mx * mx) / (e0 * ke + pz * km)
    return forward + pz * km * w


@numba.njit(cache=True)
def etl_dxdcos(x: float, w: float, e0: float, mx: float, ml: float, mnuc: float, z: float,
               a_el: float, a_in: float, d: float, inelastic: bool, spin: int) -> float:
    """Exact tree-level d^2 sigma / dx dcos(theta) in MeV^-2 for coupling 1 (X of ``spin``).

    Phase space of arXiv:1609.06781 App. A (Eq. (A1)-(A6)) / arXiv:1712.05706 Eq. (3)-(5):

        dsigma/dx dcos = alpha^3 |k| E0 / (32 pi M^2 |p| |V|) int dt G2(t)/t^2 int_0^2pi dphi T,

    V = p - k, T the lepton trace contracted with N = P + P' (see _etl_derivation.py); the
    t limits solve |cos(theta_q)| <= 1 exactly, with q0 = t / 2M.

    The coherent term G2_el (arXiv:0906.0580 Eq. (A18)) recoils against the whole nucleus,
    M = ``mnuc``.  The incoherent term G2_inel (Eq. (A19)) is Z times the elastic form factor
    of a single proton, i.e. scattering off one proton (impulse approximation, Tsai, Rev. Mod.
    Phys. 46 (1974) 815, Sec. III.B), so its recoil mass is M = m_p: the same formula with the
    proton kinematics (larger t_min once m_X^2 / E0 is not small against m_p).
    """
    out = _etl_t_part(x, w, e0, mx, ml, mnuc, z, a_el, a_in, d, 0, spin)
    if inelastic:
        out += _etl_t_part(x, w, e0, mx, ml, M_P, z, a_el, a_in, d, 1, spin)
    return out


@numba.njit(cache=True)
def _g2_part(t: float, z: float, a_el: float, a_in: float, d: float, part: int) -> float:
    """G2_el (part 0) or G2_inel (part 1) of arXiv:0906.0580 Eq. (A18)/(A19)."""
    el = _g2(t, z, a_el, a_in, d, False)
    if part == 0:
        return el
    return _g2(t, z, a_el, a_in, d, True) - el


@numba.njit(cache=True)
def _etl_t_part(x: float, w: float, e0: float, mx: float, ml: float, mrec: float, z: float,
                a_el: float, a_in: float, d: float, part: int, spin: int) -> float:
    """One form-factor term of :func:`etl_dxdcos` with target (recoil) mass ``mrec``."""
    ke = x * e0
    if ke <= mx or w < 0.0 or w > 2.0 or x >= 1.0:
        return 0.0
    pz = math.sqrt(max(e0 * e0 - ml * ml, 0.0))
    km = math.sqrt(ke * ke - mx * mx)
    st = math.sqrt(max(w * (2.0 - w), 0.0))
    ct = 1.0 - w
    p_k = _p_dot_k(e0, pz, ke, km, mx, ml, w)
    u = mx * mx - 2.0 * p_k  # (p-k)^2 - m_l^2
    v0 = e0 - ke
    vx = -km * st
    vz = pz - km * ct
    vm = math.sqrt(vx * vx + vz * vz)
    if vm <= 0.0:
        return 0.0
    g = 1.0 + v0 / mrec
    aq = g * g - vm * vm / (mrec * mrec)
    bq = 2.0 * g * u + 4.0 * vm * vm
    disc = bq * bq - 4.0 * aq * u * u
    if disc <= 0.0 or aq <= 0.0 or bq <= 0.0:
        return 0.0
    sd = math.sqrt(disc)
    tmin = 2.0 * u * u / (bq + sd)
    tmax = (bq + sd) / (2.0 * aq)
    lo = max(tmin, 1e-4 / (a_el * a_el))
    hi = min(tmax, _t_upper(d, part == 1))
    if hi <= lo:
        return 0.0
    # unit vectors: e3 along V, e1 in the (p, k) plane, e2 normal to it
    e3x = vx / vm
    e3z = vz / vm
    e1x = vz / vm
    e1z = -vx / vm
    kx = km * st
    kz = km * ct
    llo = math.log(lo)
    lhi = math.log(hi)
    half = 0.5 * (lhi - llo)
    mid = 0.5 * (lhi + llo)
    mx2 = mx * mx
    ml2 = ml * ml
    tn = _TN if part == 0 else _TN_IN
    tw = _TW if part == 0 else _TW_IN
    total = 0.0
    for it in range(tn.size):
        t = math.exp(mid + half * tn[it])
        q0 = t / (2.0 * mrec)
        qm = math.sqrt(t + q0 * q0)
        cq = (t * g - u) / (2.0 * vm * qm)
        if cq > 1.0:
            cq = 1.0
        elif cq < -1.0:
            cq = -1.0
        sq = math.sqrt(1.0 - cq * cq)
        gt = _g2_part(t, z, a_el, a_in, d, part)
        if gt <= 0.0:
            continue
        acc = 0.0
        for ip in range(_PN.size):
            cp = _COSPHI[ip]
            sp_ = _SINPHI[ip]
            qx = qm * (sq * cp * e1x + cq * e3x)
            qy = qm * sq * sp_
            qz = qm * (sq * cp * e1z + cq * e3z)
            p_q = e0 * q0 - pz * qz
            k_q = ke * q0 - (kx * qx + kz * qz)
            s1 = -2.0 * p_q - t  # (p'+k)^2 - m_l^2 with p' + k = p - q
            pp_k = 0.5 * (s1 - mx2)
            p_pp = ml2 - p_k - p_q
            # N = P + P' = (2M + q0, q); p' = p - k - q
            p_n = 2.0 * mrec * e0 + p_q
            k_n = 2.0 * mrec * ke + k_q
            ppe = e0 - ke - q0
            ppx = -kx - qx
            ppy = -qy
            ppz = pz - kz - qz
            pp_n = (2.0 * mrec + q0) * ppe - (ppx * qx + ppy * qy + ppz * qz)
            n_n = 4.0 * mrec * mrec + 4.0 * mrec * q0 - t
            tr = _trace(spin, ml, mx2, p_pp, p_k, pp_k, p_n, pp_n, k_n, n_n, s1, u)
            acc += _PW[ip] * tr
        acc *= 0.5 * math.pi * 2.0  # [0, pi] mapped from [-1, 1], doubled for [0, 2 pi)
        total += tw[it] * gt / t * acc  # dt = t dln t, integrand G2/t^2
    total *= half
    if total < 0.0:
        return 0.0
    return _ALPHA3 * km * e0 / (32.0 * math.pi * mrec * mrec * pz * vm) * total


@numba.njit(cache=True)
def _ww_abc(spin: int, x: float, ml: float, mx2: float) -> tuple[float, float, float]:
    """(a, b, c) with A(u~) = a/u^2 + b/u^3 + c/u^4, the 2 -> 2 amplitude at t = tmin.

    Vector: A^{2->2}_{t=tmin}/u~^2 of arXiv:1705.01633 Eq. (30) (= arXiv:1609.06781
    Eq. (10)): a = 2(2-2x+x^2)/(1-x), b = 4(m_X^2+2m_l^2) x, c = 4(m_X^2+2m_l^2)(m_X^2(1-x)
    + m_l^2 x^2).  Other spins: the same construction from the generated traces
    (_etl_derivation.ww_coefficients: |A(gamma l -> l X)|^2 at s~ = -u~/(1-x), normalised by
    the factor 1/4 that maps the vector case onto Eq. (30) exactly).
    """
    if spin == SPIN_VECTOR:
        return _tr.ww_vector(x, ml, mx2)
    if spin == SPIN_SCALAR:
        return _tr.ww_scalar(x, ml, mx2)
    if spin == SPIN_PSEUDOSCALAR:
        return _tr.ww_pseudoscalar(x, ml, mx2)
    return _tr.ww_axial(x, ml, mx2)


@numba.njit(cache=True)
def ww_dxdcos(x: float, w: float, e0: float, mx: float, ml: float, z: float, a_el: float,
              a_in: float, d: float, inelastic: bool, improved: bool, spin: int) -> float:
    """Weizsaecker-Williams d^2 sigma/dx dcos(theta), MeV^-2, coupling 1 (X of ``spin``).

    arXiv:1609.06781 Eq. (9)-(10) (with arXiv:0906.0580 Eq. (A12)-(A17)):

        dsigma/dx dcos = 2 alpha^3 |k| E0 (1 - x) chi A(u~),
        u~ = -(x E0^2 theta^2 + m_X^2 (1-x)/x + m_l^2 x)   (arXiv:0906.0580 Eq. (A12)),

    the small-angle form of (p - k)^2 - m_l^2 for which A(u~) > 0 (the approximation is
    built for m_X << E0; the exact u~ would make A negative near the kinematic limit).

    WW: chi(tmin(x, theta), tmax) with tmin = u~^2 / (4 E0^2 (1-x)^2) (arXiv:1705.01633
    Eq. (19)); IWW (improved): chi(m_X^4 / 4E0^2, tmax) fixed; tmax = m_X^2 + m_l^2.
    """
    ke = x * e0
    if ke <= mx or w < 0.0 or w > 2.0 or x >= 1.0:
        return 0.0
    km = math.sqrt(ke * ke - mx * mx)
    theta = 2.0 * math.asin(min(math.sqrt(0.5 * w), 1.0))
    u = -(x * e0 * e0 * theta * theta + mx * mx * (1.0 - x) / x + ml * ml * x)
    tmax = mx * mx + ml * ml
    if improved:
        tmin = mx**4 / (4.0 * e0 * e0)
    else:
        tmin = u * u / (4.0 * e0 * e0 * (1.0 - x) * (1.0 - x))
    chi = _flux(tmin, tmax, z, a_el, a_in, d, inelastic)
    ca, cb, cc = _ww_abc(spin, x, ml, mx * mx)
    amp = (ca + (cb + cc / u) / u) / (u * u)
    val = 2.0 * _ALPHA3 * km * e0 * (1.0 - x) * chi * amp
    return max(val, 0.0)


@numba.njit(cache=True)
def iww_dx(x: float, e0: float, mx: float, ml: float, z: float, a_el: float, a_in: float,
           d: float, inelastic: bool, spin: int) -> float:
    """IWW dsigma/dx, MeV^-2, coupling 1: the angle integral of ww_dxdcos (improved=True)
    done analytically in the small-angle limit, arXiv:1609.06781 Eq. (11):

        dsigma/dx = alpha^3 chi |k| (1-x) / (x E0) [-a/U - b/(2U^2) - c/(3U^3)],
        U = -(m_X^2 (1-x)/x + m_l^2 x), a, b, c the coefficients of A(u~).
    """
    ke = x * e0
    if ke <= mx or x >= 1.0:
        return 0.0
    km = math.sqrt(ke * ke - mx * mx)
    mx2 = mx * mx
    ml2 = ml * ml
    uu = -(mx2 * (1.0 - x) / x + ml2 * x)
    a, b, c = _ww_abc(spin, x, ml, mx2)
    bracket = -a / uu - b / (2.0 * uu * uu) - c / (3.0 * uu * uu * uu)
    chi = _flux(mx2 * mx2 / (4.0 * e0 * e0), mx2 + ml2, z, a_el, a_in, d, inelastic)
    return max(_ALPHA3 * chi * km * (1.0 - x) / (x * e0) * bracket, 0.0)


@numba.njit(cache=True)
def dxdcos(method: int, x: float, w: float, e0: float, mx: float, ml: float, mnuc: float,
           z: float, a_el: float, a_in: float, d: float, inelastic: bool, spin: int) -> float:
    if method == METHOD_ETL:
        return etl_dxdcos(x, w, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic, spin)
    return ww_dxdcos(x, w, e0, mx, ml, z, a_el, a_in, d, inelastic, method == METHOD_IWW, spin)


@numba.njit(cache=True)
def dx(method: int, x: float, e0: float, mx: float, ml: float, mnuc: float, z: float,
       a_el: float, a_in: float, d: float, inelastic: bool, spin: int) -> float:
    """dsigma/dx (MeV^-2, coupling 1): angle integral over w = 1 - cos(theta) in [0, 2]."""
    if x * e0 <= mx or x >= 1.0:
        return 0.0
    if method == METHOD_IWW:
        return iww_dx(x, e0, mx, ml, z, a_el, a_in, d, inelastic, spin)
    th2 = (mx * mx * (1.0 - x) / x + ml * ml * x) / (x * e0 * e0)
    c = 0.5 * th2
    vlo = c / (2.0 + c)
    half = 0.5 * (1.0 - vlo)
    mid = 0.5 * (1.0 + vlo)
    s = 0.0
    for i in range(_VN.size):
        v = mid + half * _VN[i]
        w = c * (1.0 - v) / v
        s += _VW[i] * c / (v * v) * dxdcos(method, x, w, e0, mx, ml, mnuc, z, a_el, a_in, d,
                                           inelastic, spin)
    return s * half


@numba.njit(cache=True)
def _segment(method: int, lo: float, hi: float, use_one_minus: bool, e0: float, mx: float,
             ml: float, mnuc: float, z: float, a_el: float, a_in: float, d: float,
             inelastic: bool, spin: int) -> float:
    if use_one_minus:
        a = math.log(1.0 - hi)
        b = math.log(1.0 - lo)
    else:
        a = math.log(lo)
        b = math.log(hi)
    half = 0.5 * (b - a)
    mid = 0.5 * (b + a)
    s = 0.0
    for i in range(_XN.size):
        y = math.exp(mid + half * _XN[i])
        x = 1.0 - y if use_one_minus else y
        s += _XW[i] * y * dx(method, x, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic, spin)
    return s * half


@numba.njit(cache=True)
def total(method: int, e0: float, mx: float, ml: float, mnuc: float, z: float, a_el: float,
          a_in: float, d: float, inelastic: bool, x_lo: float, spin: int) -> float:
    """sigma (MeV^-2, coupling 1) for x in [x_lo, 1 - m_l/E0]."""
    x_hi = 1.0 - ml / e0
    x_lo = max(x_lo, mx / e0)
    if x_hi <= x_lo:
        return 0.0
    if x_hi <= 0.5:
        return _segment(method, x_lo, x_hi, False, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic,
                        spin)
    if x_lo >= 0.5:
        return _segment(method, x_lo, x_hi, True, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic,
                        spin)
    return (_segment(method, x_lo, 0.5, False, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic,
                     spin)
            + _segment(method, 0.5, x_hi, True, e0, mx, ml, mnuc, z, a_el, a_in, d, inelastic,
                       spin))


@numba.njit(cache=True)
def total_serial(method: int, e0: np.ndarray, mx: np.ndarray, ml: float, mnuc: float, z: float,
                 a_el: float, a_in: float, d: float, inelastic: bool, x_lo: np.ndarray,
                 spin: int) -> np.ndarray:
    """Like total_many without threads (cheaper for a handful of points)."""
    out = np.empty(e0.size)
    for i in range(e0.size):
        out[i] = total(method, e0[i], mx[i], ml, mnuc, z, a_el, a_in, d, inelastic, x_lo[i],
                       spin)
    return out


@numba.njit(cache=True, parallel=True)
def total_many(method: int, e0: np.ndarray, mx: np.ndarray, ml: float, mnuc: float, z: float,
               a_el: float, a_in: float, d: float, inelastic: bool,
               x_lo: np.ndarray, spin: int) -> np.ndarray:
    out = np.empty(e0.size)
    for i in numba.prange(e0.size):
        out[i] = total(method, e0[i], mx[i], ml, mnuc, z, a_el, a_in, d, inelastic, x_lo[i],
                       spin)
    return out


@numba.njit(cache=True, parallel=True)
def dx_many(method: int, x: np.ndarray, e0: np.ndarray, mx: np.ndarray, ml: float, mnuc: float,
            z: float, a_el: float, a_in: float, d: float, inelastic: bool,
            spin: int) -> np.ndarray:
    out = np.empty(x.size)
    for i in numba.prange(x.size):
        out[i] = dx(method, x[i], e0[i], mx[i], ml, mnuc, z, a_el, a_in, d, inelastic, spin)
    return out


@numba.njit(cache=True, parallel=True)
def dxdcos_many(method: int, x: np.ndarray, w: np.ndarray, e0: np.ndarray, mx: np.ndarray,
                ml: float, mnuc: float, z: float, a_el: float, a_in: float, d: float,
                inelastic: bool, spin: int) -> np.ndarray:
    out = np.empty(x.size)
    for i in numba.prange(x.size):
        out[i] = dxdcos(method, x[i], w[i], e0[i], mx[i], ml, mnuc, z, a_el, a_in, d, inelastic,
                        spin)
    return out
