"""Synchrotron-radiation detector (SRD): SR photons of the bending magnets, per module.

Geometry.  The bending magnets are treated as one arc of total bend
``theta = c |q| int B dl / p`` and radius ``rho = p / (c |q| B_eff)`` with
``B_eff = int B dl / L_tot`` (gaps between magnets neglected).  A photon emitted where
the particle still has to bend by ``psi`` travels along the tangent; at the SRD plane, a
distance ``D`` after the end of the arc, it is offset from the particle's final line by
``x(psi) = psi D + rho psi^2 / 2`` (small-angle geometry of a circular arc).  The SRD
accepts ``x`` in ``[inner_offset, inner_offset + width]``, i.e. ``psi`` in
``[psi(x_in), psi(x_out)]`` with ``psi(x) = 2x / (D + sqrt(D^2 + 2 rho x))``.

Emission.  The number of accepted photons is Poisson with mean
``(5 alpha gamma / 2 sqrt3) * Delta psi`` and each energy follows the classical spectrum
of critical energy ``E_c = (3/2) hbar c gamma^3 / rho`` (see :mod:`na64.beam.synchrotron`;
Jackson ch. 14; PDG 2024 review 10 section 10.4).  E_c ∝ gamma^3 makes pions and muons radiate
~(m_e/m)^3 ~ 1e-7 times softer photons than electrons of the same momentum: this (not a
constant) is what suppresses hadrons in the SRD.

Response.  The SRD is segmented laterally into ``n_modules`` modules of equal width; a
photon lands in the module containing ``x(psi)``.  It converts in the module with
probability ``1 - exp(-module_depth / attenuation_length)`` and deposits
``sampling_fraction`` of its energy there (local deposition); otherwise it escapes.
By Poisson splitting and thinning, the number of converted photons per module is an
independent Poisson variable with mean ``(dN/dpsi) * Delta psi_module * P_conv``.  Each module's energy is
smeared by ``sigma^2 = a^2 E[MeV] MeV^2 + noise^2`` and clipped at 0.  The SRD technique
is that of E. Depero et al., NIM A 866 (2017) 196, arXiv:1703.05993.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from hepunits import MeV, tesla

from ..constants import HBARC
from ..errors import InputError
from .config import BeamlineConfig, SRDConfig
from .particles import charge_of, mass_of
from .synchrotron import (
    _P_PER_TMM,
    critical_energy,
    inverse_cdf_table,
    mean_photon_energy,
    photon_fraction_above,
    photons_per_radian,
    x_from_u,
)

__all__ = [
    "bend_geometry",
    "srd_acceptance",
        "srd_mean_deposit",
    "srd_misid_probability",
    "srd_response",
    "srd_tag",
]


def _require_srd(beamline: BeamlineConfig) -> SRDConfig:
    if beamline.srd is None:
        raise InputError("beamline.srd", f"beam line {beamline.name!r} has no SRD")
    return beamline.srd


def bend_geometry(
    momentum: np.ndarray, charge: np.ndarray, beamline: BeamlineConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Total bend angle ``theta = c |q| int B dl / p`` (rad) and radius ``rho`` (mm).

    Source: Lorentz force, p = |q| B rho, i.e. p[GeV] = 0.2998 |q| B[T] rho[m].  Neutral particles get ``theta = 0`` and ``rho = inf`` replaced by a
    huge finite radius.
    """
    p = np.maximum(np.asarray(momentum, dtype=float), 1e-300)
    q = np.abs(np.asarray(charge, dtype=float))
    bl_tmm = beamline.field_integral / tesla
    theta = _P_PER_TMM * q * bl_tmm / p
    b_eff = bl_tmm / max(beamline.magnet_length, 1e-300)
    rho = np.where(q > 0, p / np.maximum(_P_PER_TMM * q * b_eff, 1e-300), 1e300)
    return theta, rho


def srd_acceptance(
    momentum: np.ndarray, charge: np.ndarray, beamline: BeamlineConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Range ``[psi_lo, psi_hi]`` of remaining bend angle whose photons hit the SRD.

    Uses ``psi(x) = 2x / (D + sqrt(D^2 + 2 rho x))`` (the root of
    ``rho psi^2 / 2 + D psi = x``, written without cancellation), clipped to [0, theta].
    """
    srd = _require_srd(beamline)
    theta, rho = bend_geometry(momentum, charge, beamline)
    d = srd.distance

    def psi(x: float) -> np.ndarray:
        return 2.0 * x / (d + np.sqrt(d * d + 2.0 * np.minimum(rho, 1e30) * x))

    lo = np.minimum(psi(srd.inner_offset), theta)
    hi = np.minimum(psi(srd.inner_offset + srd.width), theta)
    return lo, hi


def _kinematics(
    particles: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(gamma, momentum, charge, mass) of the particle that crossed the magnets."""
    pdg = particles.get("parent_pdg", particles["pdg"])
    energy = np.asarray(particles.get("parent_energy", particles["energy"]), dtype=float)
    mass = mass_of(pdg)
    charge = charge_of(pdg)
    safe_mass = np.where(mass > 0, mass, 1.0)
    momentum = np.sqrt(np.maximum(energy**2 - mass**2, 0.0))
    gamma = np.where(mass > 0, energy / safe_mass, 0.0)
    return gamma, momentum, charge, mass


def _module_edges(
    momentum: np.ndarray, charge: np.ndarray, beamline: BeamlineConfig
) -> np.ndarray:
    """``psi`` at the lateral module edges, shape ``(n, n_modules + 1)``, clipped to theta."""
    srd = _require_srd(beamline)
    theta, rho = bend_geometry(momentum, charge, beamline)
    d = srd.distance
    edges = srd.inner_offset + srd.width * np.arange(srd.n_modules + 1) / srd.n_modules
    rho_c = np.minimum(rho, 1e30)[:, None]
    psi = 2.0 * edges[None, :] / (d + np.sqrt(d * d + 2.0 * rho_c * edges[None, :]))
    return np.minimum(psi, theta[:, None])


def _module_means(
    particles: dict[str, np.ndarray], beamline: BeamlineConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Mean converted-photon number per module ``(n, n_modules)`` and E_c per particle."""
    srd = _require_srd(beamline)
    gamma, p, q, _ = _kinematics(particles)
    psi = _module_edges(p, q, beamline)
    _, rho = bend_geometry(p, q, beamline)
    conv = -math.expm1(-srd.module_depth / srd.attenuation_length)
    dn = photons_per_radian(gamma) * (np.abs(q) > 0) * conv
    means = dn[:, None] * np.diff(psi, axis=1)
    return np.clip(means, 0.0, 1e6), critical_energy(gamma, rho)


def srd_mean_deposit(particles: dict[str, np.ndarray], beamline: BeamlineConfig) -> np.ndarray:
    """Expected visible SRD energy per module, shape ``(n, n_modules)`` (MeV), no noise.

    ``N_module <E> f`` with N_module the mean converted photon number and
    <E> = (8/15 sqrt3) E_c (see :mod:`na64.beam.synchrotron`).
    """
    srd = _require_srd(beamline)
    means, ec = _module_means(particles, beamline)
    return means * mean_photon_energy(ec)[:, None] * srd.sampling_fraction


@numba.njit(cache=True)
def _poisson(rng: np.random.Generator, lam: float) -> int:  # pragma: no cover - compiled
    """Poisson draw: inversion with one uniform for lam < 30, numba's sampler above."""
    if lam <= 0.0:
        return 0
    if lam >= 30.0:
        return int(rng.poisson(lam))
    u = rng.random()
    p = math.exp(-lam)
    cdf = p
    k = 0
    while u > cdf and k < 200:
        k += 1
        p *= lam / k
        cdf += p
    return k


@numba.njit(cache=True)
def _srd_kernel(
    rng: np.random.Generator,
    gamma: np.ndarray,
    momentum: np.ndarray,
    charge: np.ndarray,
    geometry: np.ndarray,
    table: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Per particle: module edges in psi, Poisson photon counts, energies, smearing.

    ``geometry`` = (c*int B dl [MeV], c*B_eff [MeV/mm], D, x_in, width, P_conv,
    dN/dtheta per gamma, 1.5 hbar c, sampling, stochastic, noise); same formulae as
    :func:`_module_means` (kept in one loop for speed).
    """
    n, m = out.shape
    cbl, cb, d, x_in, width, conv, dn_per_gamma, k_ec, sampling, stoch, noise = geometry
    for i in range(n):
        q = abs(charge[i])
        p = momentum[i]
        active = q > 0.0 and p > 0.0 and gamma[i] > 0.0
        theta = cbl * q / p if active else 0.0
        rho = p / (cb * q) if active else 1e30
        ec = k_ec * gamma[i] ** 3 / rho if active else 0.0
        dn = dn_per_gamma * gamma[i] * conv if active else 0.0
        x_lo = x_in
        psi_lo = min(2.0 * x_lo / (d + math.sqrt(d * d + 2.0 * rho * x_lo)), theta)
        for j in range(m):
            x_hi = x_in + width * (j + 1) / m
            psi_hi = min(2.0 * x_hi / (d + math.sqrt(d * d + 2.0 * rho * x_hi)), theta)
            k = _poisson(rng, dn * (psi_hi - psi_lo))
            psi_lo = psi_hi
            e = 0.0
            for _ in range(k):
                e += ec * x_from_u(rng.random(), table)
            e *= sampling
            sigma = math.sqrt(stoch * stoch * e + noise * noise)
            v = e + sigma * rng.standard_normal() if sigma > 0.0 else e
            out[i, j] = v if v > 0.0 else 0.0


def srd_response(
    particles: dict[str, np.ndarray], beamline: BeamlineConfig, rng: np.random.Generator
) -> np.ndarray:
    """Measured energy per SRD module for each particle, shape ``(n, n_modules)``, MeV.

    Parameters
    ----------
    particles
        Columns ``pdg`` and ``energy`` (MeV); when ``parent_pdg``/``parent_energy`` are
        present (output of :func:`na64.beam.sample_beam`) they are used, since decays in
        flight happen downstream of the magnets.
    beamline
        A beam line with an ``srd`` section.
    rng
        Random generator (consumed by a compiled kernel through numba's Generator
        support, so results are reproducible from the seed).

    Returns
    -------
    ndarray
        ``(n, n_modules)`` energies (MeV), >= 0.
    """
    srd = _require_srd(beamline)
    gamma, p, q, _ = _kinematics(particles)
    bl_tmm = beamline.field_integral / tesla
    b_eff = bl_tmm / max(beamline.magnet_length, 1e-300)
    geometry = np.array(
        [
            _P_PER_TMM * bl_tmm,
            _P_PER_TMM * b_eff,
            srd.distance,
            srd.inner_offset,
            srd.width,
            -math.expm1(-srd.module_depth / srd.attenuation_length),
            float(photons_per_radian(1.0)),
            1.5 * HBARC,
            srd.sampling_fraction,
            srd.stochastic / math.sqrt(MeV),
            srd.noise,
        ]
    )
    out = np.empty((gamma.size, srd.n_modules))
    _srd_kernel(rng, gamma, p, q, geometry, inverse_cdf_table(), out)
    return out


def srd_tag(response: np.ndarray, beamline: BeamlineConfig) -> np.ndarray:
    """Electron tag: every module above ``threshold`` and the sum below ``max_total``.

    This mirrors the NA64 requirement of an SR signal in each SRD module
    (arXiv:1710.00971, event selection).
    """
    srd = _require_srd(beamline)
    r = np.asarray(response, dtype=float)
    ok = np.all(r >= srd.threshold, axis=-1)
    if srd.max_total is not None:
        ok &= r.sum(axis=-1) <= srd.max_total
    return ok


def srd_misid_probability(
    pdg: int, energy: float, beamline: BeamlineConfig, *, k_max: int = 60
) -> float:
    """Upper bound on the probability that a particle is tagged by the SRD.

    ``{all modules >= T}`` requires either every module's noise above T/2 or a summed
    SR deposit above T/2, so ``P <= P(noise >= T/2)^n + P(SR >= T/2)`` with
    ``P(SR >= t) <= sum_k Pois(k; N_acc) k P(E_gamma >= t / k)`` (a photon set of k
    photons summing above t contains one above t/k; union bound).  The photon tail uses
    :func:`na64.beam.synchrotron.photon_fraction_above`.  Energy smearing of the (tiny)
    SR deposit of heavy particles is neglected.  Valid for any species; for electrons
    the bound is ~1 and useless.
    """
    from scipy import special  # here: a simulation that does not call this skips its import

    srd = _require_srd(beamline)
    parts = {"pdg": np.array([pdg]), "energy": np.array([float(energy)])}
    half = 0.5 * srd.threshold / srd.sampling_fraction
    noise = float(special.ndtr(-0.5 * srd.threshold / max(srd.noise, 1e-300))) ** srd.n_modules
    means, ec_arr = _module_means(parts, beamline)
    mean_n = float(means.sum())
    ec = float(ec_arr[0])
    if mean_n <= 0.0 or ec <= 0.0:
        return min(noise, 1.0)
    k = np.arange(1, k_max + 1)
    pois = np.exp(special.xlogy(k, mean_n) - mean_n - special.gammaln(k + 1.0))  # Poisson pmf
    tail = photon_fraction_above(half / (k * ec))
    sr = float(np.sum(pois * k * tail)) + float(special.pdtrc(k_max, mean_n))  # P(N > k_max)
    return float(min(noise + sr, 1.0))
