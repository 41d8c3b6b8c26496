"""Decays in flight of beam muons, pions and kaons upstream of the target.

A parent of energy E, mass M and proper lifetime tau decays within a flight path L with
probability ``P = 1 - exp(-L / (beta gamma c tau))`` (exponential decay law with mean
decay length beta gamma c tau).  The decay point is drawn from the truncated
exponential.  Daughters are generated in the parent rest frame and boosted along the
parent direction (Lorentz boost; PDG 2024 review 49 "Kinematics", section 49.1):

* two-body decays: ``p* = lambda^{1/2}(M^2, m1^2, m2^2) / (2M)`` (PDG review 49, section
  49.4 "Two-body decays"), isotropic;
* three-body decays: flat Dalitz plot (phase space, PDG review 49 section 49.4 "Three-body
  decays", with constant |M|^2;
  the form factors of K_l3 and the matrix element of K -> 3 pi are neglected);
* muon decay: Michel spectrum of the electron, ``dGamma/dy ∝ y^2 (3 - 2y)``, y = 2E*/m_mu
  (PDG 2024 review "Muon decay parameters": Michel spectrum with rho = 3/4,
  eta = 0, m_e -> 0), isotropic (the beam polarisation is neglected).

The charged daughter replaces its parent downstream of the decay point; the energy of
the other daughters is kept as ``neutral_energy`` (pi0, visible in a calorimeter),
``invisible_energy`` (neutrinos) and ``extra_charged_energy`` (K -> 3 pi).  Branching
ratios are PDG 2024 averages (summary tables).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..constants import C_LIGHT, M_E, M_MU, M_PI, M_PI0
from .particles import PARTICLES

__all__ = [
    "DECAY_MODES",
    "DecayMode",
    "apply_decays_in_flight",
    "decay_probability",
    "kallen_momentum",
    "sample_rest_frame",
]

_NU = 0.0


@dataclass(frozen=True)
class DecayMode:
    """A decay of a negative parent (charge-conjugate modes are identical).

    ``daughters`` are (name, mass, role) with role "charged" (the followed daughter,
    always first), "neutral" (visible neutral, pi0), "invisible" (neutrino) or
    "extra" (additional charged particle).
    """

    parent: str
    label: str
    branching: float
    kind: Literal["two_body", "three_body", "michel"]
    daughter: str
    masses: tuple[float, ...]
    roles: tuple[str, ...]


#: Decay modes per negative parent.  Branching ratios: PDG 2024 summary tables.
DECAY_MODES: dict[str, tuple[DecayMode, ...]] = {
    "mu-": (
        DecayMode("mu-", "e- nu nu", 1.0, "michel", "e-", (M_E, _NU, _NU), ("charged", "invisible", "invisible")),
    ),
    "pi-": (
        DecayMode("pi-", "mu- nu", 0.999877, "two_body", "mu-", (M_MU, _NU), ("charged", "invisible")),
        DecayMode("pi-", "e- nu", 1.230e-4, "two_body", "e-", (M_E, _NU), ("charged", "invisible")),
    ),
    "K-": (
        DecayMode("K-", "mu- nu", 0.6356, "two_body", "mu-", (M_MU, _NU), ("charged", "invisible")),
        DecayMode("K-", "pi- pi0", 0.2067, "two_body", "pi-", (M_PI, M_PI0), ("charged", "neutral")),
        DecayMode("K-", "pi- pi- pi+", 0.05583, "three_body", "pi-", (M_PI, M_PI, M_PI), ("charged", "extra", "extra")),
        DecayMode("K-", "pi0 e- nu", 0.0507, "three_body", "e-", (M_E, M_PI0, _NU), ("charged", "neutral", "invisible")),
        DecayMode("K-", "pi0 mu- nu", 0.03352, "three_body", "mu-", (M_MU, M_PI0, _NU), ("charged", "neutral", "invisible")),
        DecayMode("K-", "pi- pi0 pi0", 0.01760, "three_body", "pi-", (M_PI, M_PI0, M_PI0), ("charged", "neutral", "neutral")),
    ),
}

_CONJ = {"mu+": "mu-", "pi+": "pi-", "K+": "K-"}
_FLIP = {"e-": "e+", "mu-": "mu+", "pi-": "pi+"}


def _modes_for(name: str) -> tuple[tuple[DecayMode, ...], bool]:
    if name in DECAY_MODES:
        return DECAY_MODES[name], False
    return DECAY_MODES[_CONJ[name]], True


def kallen_momentum(m_parent: float, m1: float, m2: float) -> float:
    """Two-body decay momentum in the rest frame, ``lambda^{1/2}(M^2, m1^2, m2^2) / 2M``.

    Source: PDG 2024 review 49 "Kinematics", section 49.4 (two-body decays).
    """
    a = m_parent**2
    lam = (a - (m1 + m2) ** 2) * (a - (m1 - m2) ** 2)
    return math.sqrt(max(lam, 0.0)) / (2.0 * m_parent)


def decay_probability(
    energy: np.ndarray, mass: float, lifetime: float, length: float
) -> np.ndarray:
    """Probability ``1 - exp(-L m / (p c tau))`` to decay within a flight path ``length``.

    Source: exponential decay law with mean decay length beta gamma c tau = p c tau / m
    Returns 0 for stable particles or zero length.
    """
    e = np.asarray(energy, dtype=float)
    if not math.isfinite(lifetime) or length <= 0.0:
        return np.zeros_like(e)
    p = np.sqrt(np.maximum(e**2 - mass**2, 1e-300))
    lam = p / mass * C_LIGHT * lifetime
    return -np.expm1(-length / lam)


def _dalitz(m_parent: float, masses: tuple[float, ...], n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform Dalitz-plot points (m12^2, m23^2) by rejection (PDG review 49 sec. 49.4)."""
    m1, m2, m3 = masses
    lo12, hi12 = (m1 + m2) ** 2, (m_parent - m3) ** 2
    lo23, hi23 = (m2 + m3) ** 2, (m_parent - m1) ** 2
    out12 = np.empty(n)
    out23 = np.empty(n)
    filled = 0
    while filled < n:
        k = max(2 * (n - filled) + 16, 64)
        s12 = lo12 + (hi12 - lo12) * rng.random(k)
        s23 = lo23 + (hi23 - lo23) * rng.random(k)
        # energies of 2 and 3 in the m12 rest frame (Dalitz-plot boundary, PDG review 49)
        m12 = np.sqrt(s12)
        e2 = (s12 - m1**2 + m2**2) / (2 * m12)
        e3 = (m_parent**2 - s12 - m3**2) / (2 * m12)
        p2 = np.sqrt(np.maximum(e2**2 - m2**2, 0.0))
        p3 = np.sqrt(np.maximum(e3**2 - m3**2, 0.0))
        smin = (e2 + e3) ** 2 - (p2 + p3) ** 2
        smax = (e2 + e3) ** 2 - (p2 - p3) ** 2
        ok = (s23 >= smin) & (s23 <= smax)
        take = min(int(ok.sum()), n - filled)
        out12[filled : filled + take] = s12[ok][:take]
        out23[filled : filled + take] = s23[ok][:take]
        filled += take
    return out12, out23


def _michel_y(n: int, rng: np.random.Generator) -> np.ndarray:
    """y = 2E*/m_mu from dGamma/dy ∝ 3y^2 - 2y^3 (proposal 3y^2, acceptance 1 - 2y/3)."""
    out = np.empty(n)
    filled = 0
    while filled < n:
        k = max(2 * (n - filled) + 16, 64)
        y = np.cbrt(rng.random(k))
        ok = rng.random(k) < 1.0 - 2.0 * y / 3.0
        take = min(int(ok.sum()), n - filled)
        out[filled : filled + take] = y[ok][:take]
        filled += take
    return out


def sample_rest_frame(
    mode: DecayMode, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rest-frame energy and momentum of the charged daughter, and of the others.

    Returns
    -------
    e_star, p_star, e_neutral_star, e_invisible_star
        Charged daughter energy and momentum; summed rest-frame energies of the
        visible-neutral (plus extra charged) and invisible daughters (MeV).
    """
    m_parent = PARTICLES[mode.parent].mass
    m1 = mode.masses[0]
    if mode.kind == "two_body":
        p = kallen_momentum(m_parent, *mode.masses)
        e1 = np.full(n, math.sqrt(p * p + m1 * m1))
        rest_energies = [m_parent - e1]
    elif mode.kind == "michel":
        y = _michel_y(n, rng)
        e1 = np.maximum(0.5 * m_parent * y, m1)
        rest_energies = [m_parent - e1]
        return e1, np.sqrt(np.maximum(e1**2 - m1**2, 0.0)), np.zeros(n), rest_energies[0]
    else:
        s12, s23 = _dalitz(m_parent, mode.masses, n, rng)
        m2 = mode.masses[1]
        # E1* = (M^2 + m1^2 - m23^2) / 2M and E2* = (M^2 + m2^2 - m13^2) / 2M with
        # m13^2 = M^2 + sum m_i^2 - m12^2 - m23^2 (PDG 2024 review 49, section 49.4)
        s13 = m_parent**2 + sum(m * m for m in mode.masses) - s12 - s23
        e1 = (m_parent**2 + m1**2 - s23) / (2.0 * m_parent)
        e2 = (m_parent**2 + m2**2 - s13) / (2.0 * m_parent)
        rest_energies = [e2, np.maximum(m_parent - e1 - e2, 0.0)]
    p1 = np.sqrt(np.maximum(e1**2 - m1**2, 0.0))
    e_vis = np.zeros(n)
    e_inv = np.zeros(n)
    for role, e in zip(mode.roles[1:], rest_energies, strict=False):
        if role == "invisible":
            e_inv = e_inv + e
        else:
            e_vis = e_vis + e
    return e1, p1, e_vis, e_inv


def apply_decays_in_flight(
    columns: dict[str, np.ndarray], length: float, rng: np.random.Generator, *,
    force: bool = False,
) -> dict[str, np.ndarray]:
    """Let unstable beam particles decay over the last ``length`` mm before the target.

    Parameters
    ----------
    columns
        Beam columns ``pdg, energy, x, y, tx, ty`` at the target face (the undecayed
        straight-line state).
    length
        Flight path (mm) upstream of the target over which decays are simulated.
    rng
        Random generator.
    force
        Let every unstable particle decay inside ``length`` (the flight distance drawn
        from the exponential truncated to it, as for a natural decay) and carry its decay
        probability as the weight ``decay_weight`` (1 for the stable ones): a sample of
        the rare decays with unbiased weights.

    Returns
    -------
    dict
        The columns with decayed parents replaced by their charged daughter, plus
        ``decayed`` (bool), ``parent_pdg``, ``parent_energy``, ``decay_z`` (mm, < 0,
        0 if no decay), ``neutral_energy``, ``invisible_energy``; with ``force`` also
        ``decay_weight``.
    """
    pdg = columns["pdg"].copy()
    energy = columns["energy"].copy()
    x, y = columns["x"].copy(), columns["y"].copy()
    tx, ty = columns["tx"].copy(), columns["ty"].copy()
    n = pdg.size
    decayed = np.zeros(n, dtype=bool)
    decay_z = np.zeros(n)
    neutral = np.zeros(n)
    invisible = np.zeros(n)
    parent_pdg = pdg.copy()
    parent_energy = energy.copy()
    weight = np.ones(n)
    for name in ("mu-", "mu+", "pi-", "pi+", "K-", "K+"):
        sp = PARTICLES[name]
        sel = np.flatnonzero(pdg == sp.pdg)
        if sel.size == 0 or length <= 0.0:
            continue
        prob = decay_probability(energy[sel], sp.mass, sp.lifetime, length)
        if force:
            weight[sel] = prob
            hit = sel
        else:
            hit = sel[rng.random(sel.size) < prob]
        if hit.size == 0:
            continue
        e_par = energy[hit]
        p_par = np.sqrt(np.maximum(e_par**2 - sp.mass**2, 1e-300))
        lam = p_par / sp.mass * C_LIGHT * sp.lifetime
        # truncated exponential flight distance s in [0, L); decay at z = s - L
        s = -lam * np.log1p(rng.random(hit.size) * np.expm1(-length / lam))
        s = np.clip(s, 0.0, length)
        dist = length - s  # distance from the decay point to the target face
        modes, conj = _modes_for(name)
        brs = np.array([m.branching for m in modes])
        which = np.searchsorted(np.cumsum(brs / brs.sum()), rng.random(hit.size), side="right")
        which = np.minimum(which, len(modes) - 1)
        gamma = e_par / sp.mass
        bg = p_par / sp.mass
        for k, mode in enumerate(modes):
            idx = np.flatnonzero(which == k)
            if idx.size == 0:
                continue
            rows = hit[idx]
            e1, p1, e_neu, e_inv = sample_rest_frame(mode, idx.size, rng)
            cos_t = 2.0 * rng.random(idx.size) - 1.0
            sin_t = np.sqrt(np.maximum(1.0 - cos_t**2, 0.0))
            phi = 2.0 * np.pi * rng.random(idx.size)
            g, b_g = gamma[idx], bg[idx]
            e_lab = g * e1 + b_g * p1 * cos_t
            p_long = g * p1 * cos_t + b_g * e1
            p_perp = p1 * sin_t
            angle = np.arctan2(p_perp, p_long)
            slope = np.tan(np.minimum(angle, 1.4))
            dtx, dty = slope * np.cos(phi), slope * np.sin(phi)
            rest = e_par[idx] - e_lab
            frac_neu = np.where(e_neu + e_inv > 0, e_neu / np.maximum(e_neu + e_inv, 1e-300), 0.0)
            daughter = _FLIP[mode.daughter] if conj else mode.daughter
            pdg[rows] = PARTICLES[daughter].pdg
            energy[rows] = np.maximum(e_lab, mode.masses[0])
            tx[rows] += dtx
            ty[rows] += dty
            x[rows] += dtx * dist[idx]
            y[rows] += dty * dist[idx]
            neutral[rows] = np.maximum(rest, 0.0) * frac_neu
            invisible[rows] = np.maximum(rest, 0.0) * (1.0 - frac_neu)
            decayed[rows] = True
            decay_z[rows] = -dist[idx]
    out = {
        **columns,
        "pdg": pdg,
        "energy": energy,
        "x": x,
        "y": y,
        "tx": tx,
        "ty": ty,
        "decayed": decayed,
        "parent_pdg": parent_pdg,
        "parent_energy": parent_energy,
        "decay_z": decay_z,
        "neutral_energy": neutral,
        "invisible_energy": invisible,
    }
    if force:
        out["decay_weight"] = weight
    return out
