"""Energy loss of charged tracks (muons, non-interacting hadrons, the primary electron before
a signal emission): Bethe-Bloch mean, Landau-Vavilov most probable value, a Landau-like
sampler, and catastrophic radiative losses of muons.

Sources
-------
* PDG 2024 (S. Navas et al., Phys. Rev. D 110, 030001), Review 34 "Passage of particles
  through matter": Eq. (34.4) T_max, Eq. (34.5) Bethe mean stopping power, the high-energy
  density-effect limit delta/2 -> ln(hbar omega_p/I) + ln(beta gamma) - 1/2 (Sec. 34.2.5),
  hbar omega_p = 28.816 sqrt(rho <Z/A>) eV, and Eq. (34.12) the Landau-Vavilov most probable
  loss Delta_p = xi [ln(2 m c^2 beta^2 gamma^2/I) + ln(xi/I) + j - beta^2 - delta], j = 0.200,
  xi = (K/2) <Z/A> z^2 x/beta^2 (x in g/cm^2); the Landau FWHM is 4.018 xi (Sec. 34.2.9).
* Multiple scattering: the Highland width of the projected angle, PDG 2024 Eq. (34.16),
  with the log term of the whole path for a path in parts, and the correlated projected
  displacement and angle at the end of a slab, Eqs. (34.18)-(34.21).
* Radiative losses <-dE/dx>_rad = b(E) E (PDG Sec. 34.6); b is obtained from the muon
  critical energy E_mu_c of each element (PDG Atomic and Nuclear Properties tables,
  pdg.lbl.gov/2024/AtomicNuclearProperties) through a(E_mu_c) = b E_mu_c, where a is the
  ionization loss computed here.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from functools import lru_cache
from typing import Literal, overload

import numpy as np
from hepunits import g
from numpy.typing import ArrayLike, NDArray

from ..cache import cached_arrays
from ..constants import M_E, M_MU
from ..materials import Material
from ..units import GeV, MeV, cm, eV

__all__ = [
    "HARD_LOSS_ENERGY",
    "HARD_PROCESSES",
    "RADIATIVE_COMPONENTS",
    "b_radiative",
    "landau_mpv",
    "landau_xi",
    "mean_dedx",
    "mean_excitation_energy",
    "sample_catastrophic",
    "sample_delta_rays",
    "sample_hard_losses",
    "sample_ionization",
    "sample_ionization_parts",
    "scatter_through",
]

FloatArray = NDArray[np.float64]

#: K = 4 pi N_A r_e^2 m_e c^2 in MeV cm^2/mol (PDG 2024 Table 34.1).
_K = 0.307075 * MeV * cm**2 / g

#: Mean excitation energies (PDG 2024 Atomic and Nuclear Properties).
_I_TABLE: dict[str, float] = {
    "Pb": 823.0 * eV, "W": 727.0 * eV, "Fe": 286.0 * eV, "Cu": 322.0 * eV, "Al": 166.0 * eV,
    "Sc": 68.7 * eV, "BGO": 534.1 * eV, "Air": 85.7 * eV,
}
#: Elemental I values used for Bragg additivity of other compounds (PDG 2024 tables).
_I_ELEMENT: dict[int, float] = {8: 95.0 * eV, 14: 173.0 * eV, 39: 379.0 * eV, 71: 694.0 * eV,
                                 1: 19.2 * eV, 6: 78.0 * eV}

#: Muon critical energies E_mu_c of elements (PDG 2024 Atomic and Nuclear Properties).
_E_MU_C: dict[int, float] = {82: 141.0 * GeV, 74: 147.0 * GeV, 26: 347.0 * GeV,
                             29: 315.0 * GeV, 13: 612.0 * GeV}


def _z_over_a(mat: Material) -> float:
    return sum(w * z / a for z, a, w in mat.components)


def mean_excitation_energy(mat: Material) -> float:
    """Mean excitation energy I (PDG table value, or Bragg additivity over components:
    ln I = sum w_i (Z/A)_i ln I_i / sum w_i (Z/A)_i, PDG 2024 Sec. 34.2.10, mixtures and compounds)."""
    if mat.name in _I_TABLE:
        return _I_TABLE[mat.name]
    num = sum(w * z / a * math.log(_I_ELEMENT.get(z, 10.0 * eV * z)) for z, a, w in mat.components)
    return math.exp(num / _z_over_a(mat))


def _kinematics(energy: FloatArray, mass: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    gamma = np.maximum(energy / mass, 1.0 + 1e-9)
    bg2 = gamma * gamma - 1.0
    beta2 = bg2 / (gamma * gamma)
    return gamma, bg2, beta2


def _density_effect(mat: Material, bg2: FloatArray) -> FloatArray:
    # High-energy limit (PDG 2024 Sec. 34.2.5), floored at 0 where it would be negative.
    hw = 28.816 * eV * math.sqrt(mat.density / (g / cm**3) * _z_over_a(mat))
    i = mean_excitation_energy(mat)
    return np.maximum(2.0 * math.log(hw / i) + np.log(bg2) - 1.0, 0.0)


def _tmax(gamma: FloatArray, bg2: FloatArray, mass: float) -> FloatArray:
    if abs(mass - M_E) < 1e-9 * M_E:
        # electrons: identical particles, the faster one is the primary (Moller),
        # T_max = T/2 (PDG 2024 Sec. 34.2.7, knock-on electrons)
        return 0.5 * (gamma - 1.0) * M_E
    r = M_E / mass
    return 2.0 * M_E * bg2 / (1.0 + 2.0 * gamma * r + r * r)


def mean_dedx(mat: Material, energy: ArrayLike, mass: float = M_MU) -> FloatArray:
    """Mean ionization stopping power -dE/dx (MeV/mm) of a unit-charge particle.

    PDG 2024 Eq. (34.5): K Z/A rho / beta^2 [1/2 ln(2 m_e beta^2 gamma^2 T_max / I^2)
    - beta^2 - delta/2], with T_max from Eq. (34.4).
    """
    e = np.asarray(energy, dtype=float)
    gamma, bg2, beta2 = _kinematics(e, mass)
    i = mean_excitation_energy(mat)
    tmax = _tmax(gamma, bg2, mass)
    delta = _density_effect(mat, bg2)
    bracket = 0.5 * np.log(2.0 * M_E * bg2 * tmax / (i * i)) - beta2 - 0.5 * delta
    return _K * _z_over_a(mat) * mat.density / beta2 * np.maximum(bracket, 0.0)


def landau_xi(mat: Material, thickness: ArrayLike, energy: ArrayLike,
              mass: float = M_MU) -> FloatArray:
    """xi = (K/2) <Z/A> rho x / beta^2 (MeV), PDG 2024 Eq. (34.12)."""
    _, _, beta2 = _kinematics(np.asarray(energy, dtype=float), mass)
    return 0.5 * _K * _z_over_a(mat) * mat.density * np.asarray(thickness, dtype=float) / beta2


def landau_mpv(mat: Material, thickness: ArrayLike, energy: ArrayLike,
               mass: float = M_MU) -> FloatArray:
    """Most probable energy loss in a layer of ``thickness`` mm, PDG 2024 Eq. (34.12)."""
    e = np.asarray(energy, dtype=float)
    _, bg2, beta2 = _kinematics(e, mass)
    xi = np.maximum(landau_xi(mat, thickness, e, mass), 1e-300)
    i = mean_excitation_energy(mat)
    delta = _density_effect(mat, bg2)
    mpv = xi * (np.log(2.0 * M_E * bg2 / i) + np.log(xi / i) + 0.200 - beta2 - delta)
    return np.maximum(mpv, 0.0)


@lru_cache(maxsize=1)
def _moyal_fwhm() -> float:
    """FWHM of the standard Moyal density exp(-(x + e^-x)/2)/sqrt(2 pi) (mode 0), computed."""
    f = lambda x: math.exp(-0.5 * (x + math.exp(-x))) / math.sqrt(2 * math.pi)  # noqa: E731
    half = 0.5 * f(0.0)

    def crossing(a: float, b: float) -> float:
        # bisection of f - half on [a, b], where it changes sign once (f has one maximum)
        fa = f(a) - half
        for _ in range(100):
            m = 0.5 * (a + b)
            fm = f(m) - half
            if (fm > 0.0) == (fa > 0.0):
                a, fa = m, fm
            else:
                b = m
        return 0.5 * (a + b)

    return crossing(0.0, 20.0) - crossing(-5.0, 0.0)


_EULER_GAMMA = 0.5772156649015329


def sample_ionization(
    mat: Material, thickness: ArrayLike, energy: ArrayLike, rng: np.random.Generator,
    mass: float = M_MU,
) -> FloatArray:
    """Sample the total ionization loss (MeV) in a layer; see :func:`sample_ionization_parts`."""
    body, knock = sample_ionization_parts(mat, thickness, energy, rng, mass)
    return body + knock


def sample_ionization_parts(
    mat: Material, thickness: ArrayLike, energy: ArrayLike, rng: np.random.Generator,
    mass: float = M_MU, t_upper: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Sample ionization losses (MeV) in a layer: Landau body plus knock-on tail.

    The body is a Moyal distribution with the Landau-Vavilov most probable value
    (PDG Eq. 34.12) and the Landau FWHM 4.018 xi (PDG Sec. 34.2.9).  Hard knock-on
    electrons with kinetic energy T in [T_cut, T_max] follow dN/dT = xi/T^2 (Rutherford
    form for beta -> 1, PDG 2024 Sec. 34.2.7); T_cut is chosen per particle so that the mean of
    the sampled loss equals the Bethe mean of :func:`mean_dedx` times the thickness.
    A sum of thin layers is sampled as one layer of the summed thickness (the Landau law is
    stable under convolution with xi additive, consistent with the x ln x scaling of
    Eq. 34.12).

    With ``t_upper`` the knock-ons stop there (T_cut unchanged): those above it are
    sampled as hard losses (:func:`sample_hard_losses`, ``knock_on``), so that the two
    together keep the Bethe mean.

    Returns
    -------
    body, knock_on
        The Landau body (deposited along the track, MIP-like) and the summed kinetic
        energy of the hard knock-on electrons (which shower like electrons).
    """
    e = np.asarray(energy, dtype=float)
    x = np.broadcast_to(np.asarray(thickness, dtype=float), e.shape)
    xi = landau_xi(mat, x, e, mass)
    mpv = landau_mpv(mat, x, e, mass)
    scale = xi * 4.018 / _moyal_fwhm()
    z = rng.standard_normal(e.shape)
    body = mpv - scale * np.log(np.maximum(z * z, 1e-300))
    body = np.maximum(body, 0.0)
    mean_body = mpv + scale * (_EULER_GAMMA + math.log(2.0))
    gamma, bg2, _ = _kinematics(e, mass)
    tmax = _tmax(gamma, bg2, mass)
    excess = mean_dedx(mat, e, mass) * x - mean_body
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        tcut = np.where(excess > 0, tmax * np.exp(-excess / np.maximum(xi, 1e-300)), tmax)
        if t_upper is not None:
            tmax = np.minimum(tmax, t_upper)
        rate = np.where((excess > 0) & (tcut < tmax), xi * (1.0 / tcut - 1.0 / tmax), 0.0)
    rate = np.nan_to_num(np.minimum(rate, 1e3), nan=0.0, posinf=0.0)
    n = rng.poisson(rate)
    extra = np.zeros(e.shape)
    if n.any():
        idx = np.repeat(np.arange(e.size), n.ravel())
        u = rng.random(idx.size)
        tc = tcut.ravel()[idx]
        tm = tmax.ravel()[idx]
        t = 1.0 / (1.0 / tc - u * (1.0 / tc - 1.0 / tm))
        extra = np.asarray(np.bincount(idx, weights=t, minlength=e.size), dtype=float).reshape(e.shape)
    return np.asarray(body, dtype=float), extra


def sample_delta_rays(
    mat: Material, thickness: ArrayLike, energy: ArrayLike, rng: np.random.Generator,
    t_min: float, mass: float = M_MU, t_upper: float | None = None,
) -> FloatArray:
    """Summed kinetic energy (MeV) of the knock-on electrons above ``t_min`` (and below
    ``t_upper``, if given: see :func:`sample_ionization_parts`) produced in a layer.

    Their number follows the Rutherford spectrum of PDG 2024 Eq. (34.6) for beta -> 1,
    dN/dT = xi/T^2 on [t_min, T_max] (xi of :func:`landau_xi`, T_max of Eq. 34.4), i.e.
    N ~ Poisson(xi (1/t_min - 1/T_max)) and 1/T uniform.  In a sampling calorimeter the
    knock-ons of the absorber plates above the energy needed to leave a plate reach the
    active layers and are seen like small EM showers, while softer ones stay in the plate.
    """
    e = np.asarray(energy, dtype=float)
    x = np.broadcast_to(np.asarray(thickness, dtype=float), e.shape)
    xi = landau_xi(mat, x, e, mass)
    gamma, bg2, _ = _kinematics(e, mass)
    tmax = _tmax(gamma, bg2, mass)
    if t_upper is not None:
        tmax = np.minimum(tmax, t_upper)
    rate = np.where(tmax > t_min, xi * (1.0 / t_min - 1.0 / np.maximum(tmax, t_min)), 0.0)
    n = rng.poisson(np.minimum(rate, 1e4))
    out = np.zeros(e.shape)
    if n.any():
        idx = np.repeat(np.arange(e.size), n.ravel())
        tm = tmax.ravel()[idx]
        t = 1.0 / (1.0 / t_min - rng.random(idx.size) * (1.0 / t_min - 1.0 / tm))
        out = np.asarray(np.bincount(idx, weights=t, minlength=e.size), dtype=float).reshape(e.shape)
    return out


def _b_element(z: int, a: float, mat_density: float) -> float:
    from ..materials import MATERIALS

    for m in MATERIALS.values():
        if m.is_element and round(m.Z) == z and z in _E_MU_C:
            emc = _E_MU_C[z]
            a_ion = float(mean_dedx(m, emc)) / m.density  # MeV per (mass/area)
            return a_ion / emc
    # Elements without a tabulated E_mu_c: scale iron's b by Z(Z+1)/A (bremsstrahlung
    # and pair production per atom scale as Z(Z+1), PDG 2024 Sec. 34.6).
    b_fe = _b_element(26, 55.845, 0.0)
    return b_fe * (z * (z + 1) / a) / (26 * 27 / 55.845)


def b_radiative(mat: Material) -> float:
    """b = (1/E) <-dE/dx>_rad per unit mass thickness (mm^2/mass in hepunits), mass-weighted
    over the components of ``mat`` (PDG 2024 Sec. 34.6)."""
    return sum(w * _b_element(z, a, mat.density) for z, a, w in mat.components)


def sample_catastrophic(
    b_rho_x: FloatArray, energy: FloatArray, rng: np.random.Generator,
    components: tuple[tuple[float, float, float], ...] | None = None,
    v_upper: FloatArray | None = None,
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Sample discrete radiative losses of muons.

    The fractional loss v of each process follows a power law dN/dv = C v^-s on
    [v_min, 1], normalized so that the process carries its share w of the radiative mean
    b rho x E (PDG 2024 Sec. 34.6); ``components`` lists (w, s, v_min) per process, by
    default :data:`RADIATIVE_COMPONENTS`: bremsstrahlung, whose spectrum is the soft-photon
    1/v, and electron-pair production (with photo-nuclear losses), whose spectrum is much
    softer, most of its energy going into losses v ~ 1e-4 - 1e-2 (D. E. Groom, N. V. Mokhov
    and S. I. Striganov, At. Data Nucl. Data Tables 78 (2001) 183, the partial loss
    spectra).

    ``v_upper`` (per track, optional) keeps only the losses below it, with the
    normalisation of the whole range unchanged: the part above is then sampled from the
    cross sections themselves (:func:`sample_hard_losses`).

    Returns
    -------
    parent, lost_energy, depth_fraction
        Index of the parent track, energy of each loss, and its uniform position (0-1)
        along the path.
    """
    comps = RADIATIVE_COMPONENTS if components is None else components
    parents, losses = [], []
    for w, s, v0 in comps:
        if w <= 0.0:
            continue
        # C with C * int v^(1-s) dv = w b rho x; expected number C * int v^-s dv
        if abs(s - 1.0) < 1e-9:
            mean_v, count = 1.0 - v0, math.log(1.0 / v0)
        elif abs(s - 2.0) < 1e-9:
            mean_v, count = math.log(1.0 / v0), 1.0 / v0 - 1.0
        else:
            mean_v = (1.0 - v0 ** (2.0 - s)) / (2.0 - s)
            count = (v0 ** (1.0 - s) - 1.0) / (s - 1.0)
        if v_upper is None:
            n = rng.poisson(w * b_rho_x / mean_v * count)
            parent = np.repeat(np.arange(energy.size), n)
            top = np.ones(parent.size)
        else:
            vu = np.clip(np.asarray(v_upper, dtype=float), v0, 1.0)
            if abs(s - 1.0) < 1e-9:
                count_u = np.log(vu / v0)
            else:
                count_u = (v0 ** (1.0 - s) - vu ** (1.0 - s)) / (s - 1.0)
            n = rng.poisson(w * b_rho_x / mean_v * count_u)
            parent = np.repeat(np.arange(energy.size), n)
            top = vu[parent]
        u = rng.random(parent.size)
        if abs(s - 1.0) < 1e-9:
            v = v0 * (top / v0) ** u
        else:
            a = v0 ** (1.0 - s)
            v = (a - u * (a - top ** (1.0 - s))) ** (1.0 / (1.0 - s))
        parents.append(parent)
        losses.append(v * energy[parent])
    if not parents:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    parent = np.concatenate(parents)
    return parent, np.concatenate(losses), rng.random(parent.size)


#: Losses of a muon above this energy are sampled from the cross sections of
#: :mod:`na64.physics.muon_interactions` (:func:`sample_hard_losses`), those below from
#: the fitted power laws of :data:`RADIATIVE_COMPONENTS`.  At 0.5 GeV every loss that the
#: ECAL sees as a shower of its own above the muon's ionization signal (most probable
#: ~0.45 GeV on the electron scale) has the spectrum of the cross sections, which the
#: fitted power laws only approximate in shape.
HARD_LOSS_ENERGY = 0.5 * GeV
#: Processes of the hard losses: their products are electromagnetic (brems, pairs,
#: knock-on electrons) or hadronic (photo-nuclear; deposited as an EM shower here, an
#: over-estimate of its visible energy by at most e/h).  A knock-on electron above
#: :data:`HARD_LOSS_ENERGY` is a shower starting where it is made, like a photon, not a
#: deposit of the layer: :func:`sample_ionization_parts` and :func:`sample_delta_rays` stop
#: there (``t_upper``) when the hard losses are sampled.
HARD_PROCESSES = ("brems", "pair", "photonuclear", "knock_on")
#: Muon energies of the tabulated hard-loss spectra (the cross sections hold from 1 GeV;
#: a slower muon has no hard losses, the power laws give its losses below its energy).
_HARD_NODES = np.geomspace(max(1.02 * HARD_LOSS_ENERGY, 1.0 * GeV), 2.0e6 * MeV, 64)


@lru_cache(maxsize=32)
def _hard_table(material: Material) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(macroscopic rate of losses above :data:`HARD_LOSS_ENERGY` per mm, loss-energy
    grid, cumulative distribution, each process's share of the spectrum on the grid) at
    the energies of ``_HARD_NODES``; computed once per material and kept in the on-disk
    table cache (:func:`na64.cache.cached_arrays`)."""
    key = {"material": dataclasses.asdict(material), "nodes": _HARD_NODES.tolist(),
           "loss_energy": HARD_LOSS_ENERGY, "processes": list(HARD_PROCESSES), "points": 256,
           "shares": True}
    t = cached_arrays("muon-hard-loss", key, functools.partial(_compute_hard_table, material))
    return t["rate"], t["grid"], t["cdf"], t["share"]


def _compute_hard_table(material: Material) -> dict[str, FloatArray]:
    """The arrays of :func:`_hard_table` (``rate``, ``grid``, ``cdf``, ``share``)."""
    from ..physics import muon_interactions as mi

    m = 256
    rate = np.zeros(_HARD_NODES.size)
    grid = np.zeros((_HARD_NODES.size, m))
    cdf = np.zeros((_HARD_NODES.size, m))
    share = np.zeros((_HARD_NODES.size, m, len(HARD_PROCESSES)))
    for k, e in enumerate(_HARD_NODES):
        v_lo = HARD_LOSS_ENERGY / e
        v_hi = max(mi.v_max(p, float(e), max(z for z, _, _ in material.atoms_per_volume()))
                   for p in HARD_PROCESSES)
        v = np.geomspace(v_lo, max(v_hi, v_lo * (1 + 1e-9)), m)
        each = np.array([mi.macroscopic_dsigma_dv(proc, material, float(e), v)
                         for proc in HARD_PROCESSES])
        dens = each.sum(axis=0)
        seg = 0.5 * (dens[1:] + dens[:-1]) * np.diff(v)
        c = np.concatenate([[0.0], np.cumsum(seg)])
        rate[k] = c[-1]
        grid[k] = v * e
        cdf[k] = c / c[-1] if c[-1] > 0 else np.linspace(0.0, 1.0, m)
        share[k] = np.where(dens > 0, each / np.where(dens > 0, dens, 1.0), 0.0).T
    return {"rate": rate, "grid": grid, "cdf": cdf, "share": share}


@overload
def sample_hard_losses(
    layers: tuple[tuple[Material, FloatArray], ...], energy: FloatArray,
    rng: np.random.Generator, *, with_process: Literal[False] = ...,
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]: ...


@overload
def sample_hard_losses(
    layers: tuple[tuple[Material, FloatArray], ...], energy: FloatArray,
    rng: np.random.Generator, *, with_process: Literal[True],
) -> tuple[NDArray[np.int64], FloatArray, FloatArray, NDArray[np.int64]]: ...


def sample_hard_losses(
    layers: tuple[tuple[Material, FloatArray], ...], energy: FloatArray,
    rng: np.random.Generator, *, with_process: bool = False,
) -> tuple[NDArray[np.int64], FloatArray, FloatArray] | tuple[
        NDArray[np.int64], FloatArray, FloatArray, NDArray[np.int64]]:
    """Sample a muon's losses above :data:`HARD_LOSS_ENERGY` in ``layers`` (material, path
    in mm per track) from the bremsstrahlung, pair-production and photo-nuclear cross
    sections of :mod:`na64.physics.muon_interactions` (Kelner-Kokoulin-Petrukhin,
    Kokoulin-Petrukhin, Bezrukov-Bugaev; Groom, Mokhov, Striganov, At. Data Nucl. Data
    Tables 78 (2001) 183): the number per track is Poisson with mean Σ path × Σ_(v > ε/E)
    (log-interpolated between tabulated energies), each loss's energy from the spectrum of
    the tabulated energy nearest to the track's, capped at the track's energy.

    Returns
    -------
    parent, lost_energy, depth_fraction
        As :func:`sample_catastrophic`.
    process
        With ``with_process``: the index into :data:`HARD_PROCESSES` of each loss, drawn
        from the processes' shares of the spectrum at its energy.
    """
    e = np.asarray(energy, dtype=float)
    ln_nodes = np.log(_HARD_NODES)
    ln_e = np.log(np.maximum(e, 1e-300))
    above = e > _HARD_NODES[0]
    parents, losses, procs = [], [], []
    for material, path in layers:
        rate, grid, cdf, share = _hard_table(material)
        mean = np.where(above, np.interp(ln_e, ln_nodes, rate), 0.0) * np.asarray(path, float)
        n = rng.poisson(np.maximum(mean, 0.0))
        parent = np.repeat(np.arange(e.size), n)
        if not parent.size:
            continue
        k = np.clip(np.rint(np.interp(ln_e[parent], ln_nodes, np.arange(ln_nodes.size))),
                    0, ln_nodes.size - 1).astype(np.int64)
        u = rng.random(parent.size)
        j = _rowwise_search(cdf, k, u)
        j = np.clip(j, 1, cdf.shape[1] - 1)
        c0, c1 = cdf[k, j - 1], cdf[k, j]
        t = np.where(c1 > c0, (u - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0)
        g0, g1 = grid[k, j - 1], grid[k, j]
        eps = g0 * (g1 / g0) ** t
        parents.append(parent)
        losses.append(np.minimum(eps, e[parent]))
        if with_process:
            w = share[k, j - 1] * (1.0 - t)[:, None] + share[k, j] * t[:, None]
            c = np.cumsum(w, axis=1)
            procs.append(np.minimum(np.sum(c < (rng.random(parent.size) * c[:, -1])[:, None],
                                           axis=1), len(HARD_PROCESSES) - 1))
    if not parents:
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
        return (*empty, np.zeros(0, dtype=np.int64)) if with_process else empty
    parent = np.concatenate(parents)
    where = rng.random(parent.size)
    if with_process:
        return parent, np.concatenate(losses), where, np.concatenate(procs).astype(np.int64)
    return parent, np.concatenate(losses), where


def _rowwise_search(cdf: FloatArray, rows: NDArray[np.int64], u: FloatArray
                    ) -> NDArray[np.int64]:
    """Index j with cdf[row, j-1] < u <= cdf[row, j] for each (row, u), vectorised."""
    return np.sum(cdf[rows] < u[:, None], axis=1).astype(np.int64)


#: Radiative loss processes of muons as (share of b, spectral index s, v_min) for
#: :func:`sample_catastrophic`: bremsstrahlung (1/v spectrum) and pair production with
#: photo-nuclear losses (a soft power law).  Losses below v_min are neglected (their mean
#: is put into the sampled ones).  The bremsstrahlung share, 0.35, is about that of iron
#: at 100 GeV in the PDG's figure of the contributions to b (PDG 2024 Sec. 34.6), taken
#: for every material; the index and v_min of the
#: pair spectrum are fitted to the ECAL signal distribution of 100 GeV muons of the
#: Geant4 11.4 reference by ``validation/fit_fastsim.py``.  In the detector response they
#: give the losses below :data:`HARD_LOSS_ENERGY` only (``v_upper``); the harder ones come
#: from the cross sections (:func:`sample_hard_losses`).
RADIATIVE_COMPONENTS: tuple[tuple[float, float, float], ...] = ((0.35, 1, 0.001), (0.65, 2.121, 0.001003))


def scatter_through(segments: list[tuple[FloatArray, FloatArray, FloatArray]], end: float,
                    x0: float, mass: float, rng: np.random.Generator
                    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Multiple scattering of charged tracks crossing a slab in parts, as changes of the
    straight line they leave it on.

    Parameters
    ----------
    segments
        ``(start, stop, energy)`` per part of the path (depths in mm along the slab, the
        total energy on that part), arrays of one value per track; a part with
        ``stop <= start`` adds nothing.
    end
        Depth of the slab's back face (mm), where the line is taken.
    x0
        Radiation length of the slab (mm; an effective one for a layered slab).
    mass
        Mass of the tracks (MeV).
    rng
        Random generator: two standard normals per part and view.

    Returns
    -------
    (dx, dtx, dy, dty)
        Changes of the outgoing line ``x(z) = x + tx z`` (z from the slab's front face) in
        each projection.

    Notes
    -----
    Part i of length l_i at momentum p_i scatters by the Highland width (PDG 2024 Eq.
    34.16) theta_i = 13.6 MeV / (beta p_i) sqrt(l_i/X0) (1 + 0.038 ln(L/X0 beta^-2)), the
    log term taken for the whole path L (the PDG's advice for a path in parts); its end
    moves by l_i theta_i (z1/sqrt(12) + z2/2) and its direction by theta_i z2 (Eqs.
    34.18-34.21: z1, z2 independent standard normals, correlation sqrt(3)/2).  The
    displacement at the back face adds each part's angle over the rest of the path.
    """
    parts = [(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
              np.asarray(e, dtype=float)) for a, b, e in segments]
    n = parts[0][0].size if parts else 0
    lengths = [np.maximum(b - a, 0.0) for a, b, _ in parts]
    total = np.sum(lengths, axis=0) if parts else np.zeros(0)
    widths = []
    for (_, _, e), ell in zip(parts, lengths, strict=True):
        # a track at rest (E <= m) scatters by nothing here: it does not leave
        moving = (e > mass * (1.0 + 1e-9)) & (ell > 0)
        p = np.sqrt(np.where(moving, e * e - mass * mass, 1.0))
        beta2 = p * p / (p * p + mass * mass)
        log_term = np.log(np.where(moving, total / x0, 1.0) / beta2)
        # capped at 1 rad, where the small-angle description has long stopped holding
        widths.append(np.where(moving, np.minimum(
            13.6 * MeV / (np.sqrt(beta2) * p) * np.sqrt(ell / x0)
            * np.maximum(1.0 + 0.038 * log_term, 0.0), 1.0), 0.0))
    out = []
    for _view in range(2):
        pos = np.zeros(n)
        ang = np.zeros(n)
        for (_, b, _), ell, theta0 in zip(parts, lengths, widths, strict=True):
            z1 = rng.standard_normal(n)
            z2 = rng.standard_normal(n)
            d_ang = theta0 * z2
            pos = pos + ell * theta0 * (z1 / math.sqrt(12.0) + 0.5 * z2) \
                + d_ang * np.maximum(end - b, 0.0)
            ang = ang + d_ang
        # the line through (end, pos) with slope ang, written at the front face
        out += [pos - ang * end, ang]
    return out[0], out[1], out[2], out[3]
