r"""Inelastic-dark-matter decays in flight: :math:`A'\to\chi_1\chi_2`,
:math:`\chi_2\to\chi_1\ell^+\ell^-`, vectorised over events.

:func:`idm_decay_in_flight` takes the lab energy and direction (slopes) of each
:math:`A'` and returns the four-momenta of its decay chain:

1. :math:`A'\to\chi_1\chi_2`, isotropic in the :math:`A'` rest frame with the two-body momentum
   :math:`\lambda^{1/2}(m_{A'}^2,m_1^2,m_2^2)/(2m_{A'})` (PDG 2024 review 49 "Kinematics",
   Sec. 49.4.2).  *Approximation*: a polarised vector decaying to fermions has an angular
   distribution :math:`1+a\cos^2\theta^*` (|a| <= 1) about its spin axis; isotropy averages it
   out.  It changes how the :math:`A'` energy is shared between :math:`\chi_1` and
   :math:`\chi_2` (the support of that share is exact), and so the shape, not the range, of
   the :math:`\chi_2` energy and of the visible-energy fraction.
2. :math:`\chi_2\to\chi_1\ell^-\ell^+` from the matrix element of an unpolarised
   :math:`\chi_2` (Eq. (2) of :mod:`na64.physics.idm`; the :math:`\chi_2` polarisation
   inherited from step 1 is neglected, as above):

   * the pair mass squared :math:`s` by inverse CDF of :math:`d\Gamma/ds` (Eq. (3) of
     :mod:`na64.physics.idm`), tabulated on 4096 points of :math:`u`,
     :math:`s=s_0+(s_1-s_0)\sin^2u`, and linearly interpolated (relative error of the
     distribution below 1e-6);
   * the :math:`\chi_1` direction in the :math:`\chi_2` frame isotropic (exact for an
     unpolarised parent: :math:`\overline{|M|^2}` depends only on :math:`s` and :math:`t`);
   * the lepton polar angle :math:`\theta^*` in the pair rest frame, measured from the
     :math:`\chi_1` direction, by accept/reject on :math:`\overline{|M|^2}(s,t)`, with
     :math:`t=(p_1+k_1)^2` linear in :math:`\cos\theta^*` (the Dalitz density at fixed s is
     flat in t); its azimuth uniform.

   The momenta are boosted pair frame → :math:`\chi_2` frame → lab with the exact Lorentz
   boost along each parent's four-momentum; energy and momentum are conserved to rounding.

:func:`pair_particles` turns the lepton pair into calorimeter input columns (``pdg``,
``energy``, ``x``, ``y``, ``tx``, ``ty``, ``z_start``, ``e_invisible``, ``event``, as
:func:`na64.generate.visible.decay_particles` writes them) for a given :math:`\chi_2` decay
point, and :func:`chi2_flight_distance` gives the path from the production point to it.
Random numbers come only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import functools
import math
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import M_E, M_MU
from ..errors import InputError
from ..models.base import MAX_ENERGY
from ..models.idm import Idm
from ..physics.idm import chi2_dgamma_ds, chi2_msq

__all__ = ["CHAIN_PARTICLES", "chi2_flight_distance", "idm_decay_in_flight", "pair_particles",
           "visible_energy_fraction"]

Events = dict[str, NDArray[np.float64]]
Channel = Literal["e+e-", "mu+mu-"]

#: Particle prefixes of the columns of :func:`idm_decay_in_flight`: ``chi1`` (from the A'),
#: ``chi2``, ``chi1_decay`` (from the chi2), ``minus`` (l-), ``plus`` (l+).
CHAIN_PARTICLES: Final[tuple[str, ...]] = ("chi1", "chi2", "chi1_decay", "minus", "plus")

_LEPTON: Final[dict[str, tuple[float, int]]] = {"e+e-": (M_E, 11), "mu+mu-": (M_MU, 13)}
_N_TABLE: Final[int] = 4096


@functools.lru_cache(maxsize=64)
def _s_table(m1: float, m2: float, mass: float, m_l: float
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(cdf, u) of the pair-mass spectrum on the u-grid, s = s0 + (s1 - s0) sin^2 u."""
    u = np.linspace(0.0, 0.5 * math.pi, _N_TABLE + 1)
    s0, s1 = 4.0 * m_l * m_l, (m2 - m1) ** 2
    s = s0 + (s1 - s0) * np.sin(u) ** 2
    dens = chi2_dgamma_ds(s, m1, m2, mass, 1.0, 1.0, m_l) * (s1 - s0) * np.sin(2.0 * u)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(u))])
    if not cdf[-1] > 0.0:
        raise InputError("delta", "the lepton pair is below threshold (m_chi2 - m_chi1 <= "
                                  "2 m_lepton)")
    return cdf / cdf[-1], u


def _boost(e: NDArray[np.float64], p: NDArray[np.float64], parent_e: NDArray[np.float64],
           parent_p: NDArray[np.float64], m: float | NDArray[np.float64]
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Boost (e, p) [p: (3, n)] from the rest frame of a parent of mass m and four-momentum
    (parent_e, parent_p) to the frame where the parent has that four-momentum."""
    pp = np.sum(parent_p * p, axis=0)
    e_new = (parent_e * e + pp) / m
    p_new = p + parent_p * (pp / (m * (parent_e + m)) + e / m)
    return e_new, p_new


def _isotropic(n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """n unit vectors (3, n), uniform on the sphere."""
    c = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    s = np.sqrt(np.clip(1.0 - c * c, 0.0, 1.0))
    return np.stack([s * np.cos(phi), s * np.sin(phi), c])


def _basis(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two unit vectors completing the unit vectors a (3, n) to right-handed bases."""
    helper = np.where(np.abs(a[0]) < 0.9, 1.0, 0.0)
    h = np.stack([helper, 1.0 - helper, np.zeros_like(helper)])
    e1 = np.cross(h.T, a.T).T
    e1 /= np.linalg.norm(e1, axis=0)
    e2 = np.cross(a.T, e1.T).T
    return e1, e2


def _two_body_p(m: float, m_a: float, m_b: float) -> float:
    """Momentum of the daughters of a two-body decay at rest (Kallen function)."""
    lam = (m * m - (m_a + m_b) ** 2) * (m * m - (m_a - m_b) ** 2)
    return math.sqrt(max(lam, 0.0)) / (2.0 * m)


def _cos_star(s: NDArray[np.float64], m1: float, m2: float, m_l: float, mass: float,
              rng: np.random.Generator) -> NDArray[np.float64]:
    """cos theta* of the l- in the pair frame (from the chi1 direction), accept/reject on
    |M|^2(s, t(cos)), t = m1^2 + m_l^2 + 2 (E1 E_l - p1 k cos)."""
    rs = np.sqrt(s)
    e_l = 0.5 * rs
    k = np.sqrt(np.clip(e_l * e_l - m_l * m_l, 0.0, None))
    e_1 = (m2 * m2 - s - m1 * m1) / (2.0 * rs)
    p_1 = np.sqrt(np.clip(e_1 * e_1 - m1 * m1, 0.0, None))

    def f(c: NDArray[np.float64], idx: NDArray[np.intp]) -> NDArray[np.float64]:
        t = m1 * m1 + m_l * m_l + 2.0 * (e_1[idx] * e_l[idx] - p_1[idx] * k[idx] * c)
        return chi2_msq(s[idx], t, m1, m2, m_l, mass)

    allidx = np.arange(s.size)
    fm, f0, fp = (f(np.full(s.size, c), allidx) for c in (-1.0, 0.0, 1.0))
    # the quadratic A + B c + C c^2 through the three values, and its maximum on [-1, 1]
    b_, c_ = 0.5 * (fp - fm), 0.5 * (fp + fm) - f0
    fmax = np.maximum(fm, fp)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(c_ < 0, -b_ / (2.0 * c_), 2.0)
    inside = np.abs(v) <= 1.0
    fmax = np.where(inside, np.maximum(fmax, f0 + b_ * v + c_ * v * v), fmax)
    fmax = fmax * (1.0 + 1e-12) + 1e-300
    out = np.empty(s.size)
    todo = allidx
    while todo.size:
        c = rng.uniform(-1.0, 1.0, todo.size)
        keep = rng.uniform(0.0, 1.0, todo.size) * fmax[todo] <= f(c, todo)
        out[todo[keep]] = c[keep]
        todo = todo[~keep]
    return out


def _check_inputs(energy: ArrayLike, tx: ArrayLike, ty: ArrayLike, mass: float
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    e = np.atleast_1d(np.asarray(energy, dtype=float))
    sx = np.broadcast_to(np.asarray(tx, dtype=float), e.shape)
    sy = np.broadcast_to(np.asarray(ty, dtype=float), e.shape)
    if e.ndim != 1:
        raise InputError("energy", "must be a one-dimensional array (one A' per event)")
    if not np.all(np.isfinite(e)) or np.any(e < mass) or np.any(e > MAX_ENERGY):
        raise InputError("energy", f"must be in [the A' mass {mass:.6g} MeV, 1e12 GeV]")
    if not (np.all(np.isfinite(sx)) and np.all(np.isfinite(sy))):
        raise InputError("tx, ty", "slopes must be finite")
    return e, sx, sy


def idm_decay_in_flight(energy: ArrayLike, tx: ArrayLike, ty: ArrayLike, model: Idm,
                        rng: np.random.Generator, *, channel: Channel = "e+e-") -> Events:
    r"""The decay chain :math:`A'\to\chi_1\chi_2`, :math:`\chi_2\to\chi_1\ell^-\ell^+` of
    each :math:`A'` (see the module docstring).

    Parameters
    ----------
    energy
        Lab energy of each :math:`A'` (MeV), shape (n,), in [``model.mass``, 1e12 GeV].
    tx, ty
        Its direction as slopes dx/dz, dy/dz (broadcast to ``energy``).
    model
        The :class:`na64.models.Idm` (masses; ε and α_D do not change the kinematics).
    rng
        Random generator (the only source of randomness).
    channel
        ``"e+e-"`` (default) or ``"mu+mu-"`` (needs :math:`m_{\chi_2}-m_{\chi_1}>2m_\mu`).

    Returns
    -------
    dict
        For each prefix of :data:`CHAIN_PARTICLES` (``chi1``, ``chi2``, ``chi1_decay``,
        ``minus``, ``plus``): ``<prefix>_energy``, ``<prefix>_px``, ``<prefix>_py``,
        ``<prefix>_pz`` (MeV) and ``<prefix>_tx``, ``<prefix>_ty`` (slopes; a particle going
        backwards, possible only for non-relativistic parents, gets a tiny forward pz in the
        slopes only).  Also ``m_pair`` (lepton-pair mass, MeV), ``visible_fraction``
        (:math:`(E_{\ell^-}+E_{\ell^+})/E_{A'}`) and ``e_invisible`` (energy of the two
        :math:`\chi_1`, MeV).  All of shape (n,).

    Raises
    ------
    InputError
        Energies below the mass, above 1e12 GeV or not finite; non-finite slopes; an
        unknown or closed ``channel``.
    """
    if channel not in _LEPTON:
        raise InputError("channel", f"must be one of {', '.join(_LEPTON)}, got {channel!r}")
    mass, m1, m2 = model.mass, model.m_chi1, model.m_chi2
    m_l = _LEPTON[channel][0]
    if not m2 - m1 > 2.0 * m_l:
        raise InputError("channel", f"{channel} is closed: m_chi2 - m_chi1 = "
                                    f"{m2 - m1:.6g} MeV <= 2 x {m_l:.6g} MeV")
    e, sx, sy = _check_inputs(energy, tx, ty, mass)
    n = e.size
    norm = np.sqrt(1.0 + sx * sx + sy * sy)
    u_dir = np.stack([sx / norm, sy / norm, 1.0 / norm])
    p_ap = np.sqrt(np.clip((e - mass) * (e + mass), 0.0, None)) * u_dir

    # A' -> chi1 chi2, isotropic in the A' frame
    p_star = _two_body_p(mass, m1, m2)
    n2 = _isotropic(n, rng)
    e2s = (mass * mass + m2 * m2 - m1 * m1) / (2.0 * mass)
    e1s = (mass * mass + m1 * m1 - m2 * m2) / (2.0 * mass)
    e_chi2, p_chi2 = _boost(np.full(n, e2s), p_star * n2, e, p_ap, mass)
    e_chi1, p_chi1 = _boost(np.full(n, e1s), -p_star * n2, e, p_ap, mass)

    # chi2 -> chi1 l- l+ in the chi2 frame: s, chi1 direction, lepton angles
    cdf, ugrid = _s_table(m1, m2, mass, m_l)
    u = np.interp(rng.uniform(0.0, 1.0, n), cdf, ugrid)
    s0, s1 = 4.0 * m_l * m_l, (m2 - m1) ** 2
    s = s0 + (s1 - s0) * np.sin(u) ** 2
    lam = np.clip(((m2 - m1) ** 2 - s) * ((m2 + m1) ** 2 - s), 0.0, None)
    p1 = np.sqrt(lam) / (2.0 * m2)
    n1 = _isotropic(n, rng)
    e1_rest = (m2 * m2 + m1 * m1 - s) / (2.0 * m2)
    eq = (m2 * m2 + s - m1 * m1) / (2.0 * m2)
    cos_s = _cos_star(s, m1, m2, m_l, mass, rng)
    phi_s = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_s = np.sqrt(np.clip(1.0 - cos_s * cos_s, 0.0, 1.0))
    b1, b2 = _basis(n1)
    rs = np.sqrt(s)
    k = np.sqrt(np.clip(0.25 * s - m_l * m_l, 0.0, None))
    dirk = cos_s * n1 + sin_s * (np.cos(phi_s) * b1 + np.sin(phi_s) * b2)
    # pair frame -> chi2 frame (the pair moves along -n1 with momentum p1)
    e_lm, p_lm = _boost(0.5 * rs, k * dirk, eq, -p1 * n1, rs)
    e_lp, p_lp = _boost(0.5 * rs, -k * dirk, eq, -p1 * n1, rs)
    # chi2 frame -> lab
    e_c1d, p_c1d = _boost(e1_rest, p1 * n1, e_chi2, p_chi2, m2)
    e_lm, p_lm = _boost(e_lm, p_lm, e_chi2, p_chi2, m2)
    e_lp, p_lp = _boost(e_lp, p_lp, e_chi2, p_chi2, m2)

    out: Events = {}
    for key, en, p in (("chi1", e_chi1, p_chi1), ("chi2", e_chi2, p_chi2),
                       ("chi1_decay", e_c1d, p_c1d), ("minus", e_lm, p_lm),
                       ("plus", e_lp, p_lp)):
        pz = np.maximum(p[2], 1e-9)
        out[key + "_energy"] = en
        out[key + "_px"], out[key + "_py"], out[key + "_pz"] = p[0], p[1], p[2]
        out[key + "_tx"], out[key + "_ty"] = p[0] / pz, p[1] / pz
    out["m_pair"] = rs
    out["visible_fraction"] = (e_lm + e_lp) / e
    out["e_invisible"] = e_chi1 + e_c1d
    return out


def chi2_flight_distance(decay: Events, z_production: ArrayLike, z_decay: ArrayLike
                         ) -> NDArray[np.float64]:
    r"""Path length (mm) of the :math:`\chi_2` from its production depth to the depth
    ``z_decay`` along its direction: :math:`(z_d-z_p)\sqrt{1+t_x^2+t_y^2}` (the :math:`A'`
    decays promptly, at its production point)."""
    k = np.sqrt(1.0 + decay["chi2_tx"] ** 2 + decay["chi2_ty"] ** 2)
    return np.asarray((np.asarray(z_decay, dtype=float)
                       - np.asarray(z_production, dtype=float)) * k)


def pair_particles(decay: Events, x_production: ArrayLike, y_production: ArrayLike,
                   z_production: ArrayLike, z_decay: ArrayLike, *,
                   channel: Channel = "e+e-") -> Events:
    r"""The lepton pair of :func:`idm_decay_in_flight` as calorimeter input columns.

    The :math:`\chi_2` flies in a straight line from the production point
    (``x_production``, ``y_production``, ``z_production``; mm, z from the target face) to the
    depth ``z_decay``; each lepton starts there and is written, as in
    :func:`na64.generate.visible.decay_particles`, as the straight line through the decay
    point extrapolated to the target face (``x``, ``y`` at z = 0; ``z_start`` = the decay
    depth).

    Returns
    -------
    dict
        ``pdg`` (l- then l+ of every event: rows 0..n-1 are the l-, n..2n-1 the l+),
        ``energy``, ``x``, ``y``, ``tx``, ``ty``, ``z_start``, ``e_invisible`` (0) and
        ``event`` (the row of the A' in ``decay``).
    """
    if channel not in _LEPTON:
        raise InputError("channel", f"must be one of {', '.join(_LEPTON)}, got {channel!r}")
    m_l, code = _LEPTON[channel]
    n = decay["chi2_energy"].size
    z_p = np.broadcast_to(np.asarray(z_production, dtype=float), (n,))
    z_d = np.broadcast_to(np.asarray(z_decay, dtype=float), (n,))
    x_d = np.asarray(x_production, dtype=float) + decay["chi2_tx"] * (z_d - z_p)
    y_d = np.asarray(y_production, dtype=float) + decay["chi2_ty"] * (z_d - z_p)
    rows = np.arange(n, dtype=np.int64)
    cols: dict[str, list[NDArray[np.float64]]] = {c: [] for c in ("pdg", "energy", "x", "y",
                                                                  "tx", "ty")}
    for key, pdg in (("minus", code), ("plus", -code)):
        tx, ty = decay[key + "_tx"], decay[key + "_ty"]
        cols["pdg"].append(np.full(n, pdg, dtype=np.int64))
        cols["energy"].append(np.maximum(decay[key + "_energy"], m_l))
        cols["tx"].append(tx)
        cols["ty"].append(ty)
        cols["x"].append(x_d - tx * z_d)
        cols["y"].append(y_d - ty * z_d)
    out: Events = {c: np.concatenate(v) for c, v in cols.items()}
    out["z_start"] = np.concatenate([z_d, z_d])
    out["e_invisible"] = np.zeros(2 * n)
    out["event"] = np.concatenate([rows, rows])
    return out


def visible_energy_fraction(model: Idm, energy: float, n: int, rng: np.random.Generator,
                            *, channel: Channel = "e+e-") -> NDArray[np.float64]:
    r"""``n`` samples of :math:`(E_{\ell^-}+E_{\ell^+})/E_{A'}` for an :math:`A'` of lab
    energy ``energy`` (MeV) along the beam axis (:func:`idm_decay_in_flight`)."""
    if n < 1:
        raise InputError("n", f"must be >= 1, got {n}")
    d = idm_decay_in_flight(np.full(n, float(energy)), 0.0, 0.0, model, rng, channel=channel)
    return d["visible_fraction"]
