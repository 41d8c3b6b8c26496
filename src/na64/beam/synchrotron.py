"""Classical synchrotron radiation of a charged particle in a dipole field.

Formulae (c = 1, hbar c explicit).  References: PDG 2024 (S. Navas et al., PRD 110,
030001), review 10 "Electromagnetic relations", section 10.4 "Synchrotron radiation"
(cited below as [PDG-SR]); J.D. Jackson, *Classical Electrodynamics*, 3rd ed., sections
14.4-14.6 ([Jackson]).  Equation numbers of these reviews change between editions, so the
section and the formula itself are quoted.

* bending radius ``rho = p / (e B)``; in practical units rho[m] = p[GeV] / (0.2998 B[T]).
* critical energy ``hbar omega_c = (3/2) hbar c gamma^3 / rho`` ([PDG-SR]; [Jackson]
  section 14.6, omega_c = (3/2) gamma^3 c / rho).  For electrons [PDG-SR] quotes
  hbar omega_c[keV] = 0.665 E^2[GeV] B[T] (used as a test reference).
* normalised power spectrum ``S(x) = (9 sqrt3 / 8 pi) x int_x^inf K_{5/3}(t) dt`` with
  ``x = E / E_c`` and ``int_0^inf S dx = 1`` ([Jackson] section 14.6, the spectrum of a
  particle in instantaneously circular motion integrated over angles).  The
  photon-number spectrum is ``dN/dx ∝ S(x) / x``.
* energy radiated per radian of bend ``dU/dtheta = (2/3) alpha hbar c gamma^4 / rho``
  (Liénard: energy loss per revolution (4 pi / 3) e^2 gamma^4 / rho, [PDG-SR]; [Jackson]
  section 14.4, divided by 2 pi).
* mean photon energy ``<E> = (8 / (15 sqrt3)) E_c`` and photons per radian
  ``<N> = (5 / (2 sqrt3)) alpha gamma`` ([PDG-SR] quotes the latter; both follow from the
  two lines above with ``int_0^inf t K_{5/3}(t) dt = 5 pi / 3``, Gradshteyn-Ryzhik 6.561.16).

The classical spectrum is valid while E_c << E (quantum parameter chi = E_c / E ~ 1e-4 at
100 GeV in NA64's dipoles).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numba
import numpy as np
from hepunits import tesla

from ..constants import ALPHA, HBARC

__all__ = [
    "bending_radius",
    "critical_energy",
    "energy_loss_per_radian",
    "inverse_cdf_table",
    "mean_photon_energy",
    "photon_fraction_above",
    "photons_per_radian",
    "sample_photon_energies",
    "spectrum_shape",
    "x_from_u",
]

#: c in the practical formula p = c * e * B * rho:  p[MeV] = 299.792458 * B[T] * rho[m],
#: i.e. in hepunits p = _P_PER_TMM * (B / tesla) * rho with rho in mm.
_P_PER_TMM: float = 0.299792458  # MeV per (tesla * mm)

#: Normalisation of the photon-number spectrum: int_0^inf dx int_x^inf K_{5/3} = 5 pi / 3.
_N_NORM: float = 5.0 * math.pi / 3.0


def bending_radius(momentum: np.ndarray | float, field: float, charge: float = 1.0) -> np.ndarray:
    """Bending radius ``rho = p / (|q| c B)`` in mm.

    Parameters
    ----------
    momentum
        Momentum (MeV), > 0.
    field
        Magnetic field (hepunits, e.g. ``1.75 * tesla``), > 0.
    charge
        Charge in units of e (its magnitude is used).
    """
    p = np.asarray(momentum, dtype=float)
    return p / (_P_PER_TMM * abs(charge) * (field / tesla))


def critical_energy(gamma: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Critical energy ``E_c = (3/2) hbar c gamma^3 / rho`` (MeV).

    Source: PDG 2024 review 10, section 10.4 (hbar omega_c); Jackson 3rd ed. section 14.6.
    """
    g = np.asarray(gamma, dtype=float)
    return 1.5 * HBARC * g**3 / np.asarray(rho, dtype=float)


def mean_photon_energy(e_crit: np.ndarray | float) -> np.ndarray:
    """Mean photon energy ``(8 / (15 sqrt 3)) E_c`` of the classical spectrum.

    Source: first moment of dN/dx ∝ S(x)/x with S(x) of Jackson 3rd ed. section 14.6.
    """
    return 8.0 / (15.0 * math.sqrt(3.0)) * np.asarray(e_crit, dtype=float)


def photons_per_radian(gamma: np.ndarray | float) -> np.ndarray:
    """Mean number of photons emitted per radian of bend, ``5 alpha gamma / (2 sqrt 3)``.

    Source: PDG 2024 review 10, section 10.4 (<N> per radian); equals the energy per
    radian (:func:`energy_loss_per_radian`) over the mean photon energy.
    """
    return 5.0 * ALPHA * np.asarray(gamma, dtype=float) / (2.0 * math.sqrt(3.0))


def energy_loss_per_radian(gamma: np.ndarray | float, rho: np.ndarray | float) -> np.ndarray:
    """Radiated energy per radian ``(2/3) alpha hbar c gamma^4 / rho`` (MeV).

    Source: PDG 2024 review 10, section 10.4 (energy loss per revolution
    (4 pi/3) alpha hbar c gamma^4 / rho) divided by 2 pi; Jackson 3rd ed. section 14.4.
    """
    g = np.asarray(gamma, dtype=float)
    return (2.0 / 3.0) * ALPHA * HBARC * g**4 / np.asarray(rho, dtype=float)


def _k53_tail(x: float) -> float:
    """``G(x) = int_x^inf K_{5/3}(t) dt = 2 K_{2/3}(x) - int_x^inf K_{1/3}(t) dt``.

    The identity follows from K_{nu-1} + K_{nu+1} = -2 K'_nu (Abramowitz-Stegun 9.6.26)
    and avoids integrating the t^{-5/3} singularity of K_{5/3} at small t.
    """
    from scipy import integrate, special  # only where a table is computed

    k13, _ = integrate.quad(lambda t: special.kv(1.0 / 3.0, t), x, np.inf, limit=200)
    return float(2.0 * special.kv(2.0 / 3.0, x) - k13)


def spectrum_shape(x: np.ndarray | float) -> np.ndarray:
    """Normalised power spectrum ``S(x) = (9 sqrt3/8 pi) x int_x^inf K_{5/3}`` (x = E/E_c).

    Source: Jackson 3rd ed. section 14.6 (angle-integrated spectrum).  ``int_0^inf S dx = 1``.
    """
    xs = np.atleast_1d(np.asarray(x, dtype=float))
    out = np.array([xi * _k53_tail(xi) if xi > 0 else 0.0 for xi in xs.ravel()]).reshape(xs.shape)
    out *= 9.0 * math.sqrt(3.0) / (8.0 * math.pi)
    return out if np.ndim(x) else out.reshape(())


#: Layout version of the photon-number table kept in :mod:`na64.cache`.
_TABLE_SCHEMA = 1


@lru_cache(maxsize=1)
def _number_cdf_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """:func:`_compute_number_cdf_table`, computed once per machine and code version (kept
    in the on-disk cache :func:`na64.cache.cached_arrays`, read back bit for bit) and once
    per process in memory: its ~1800 Bessel-function quadratures took about a second in
    every process that simulates the SRD."""
    from ..cache import cached_arrays

    t = cached_arrays("synchrotron-number-cdf", {"points": 600, "x_max": 40.0},
                      _compute_number_cdf_table, schema=_TABLE_SCHEMA)
    return t["log_x"], t["cdf"], t["log_tail"], float(t["x0"]), float(t["cdf0"])


def _compute_number_cdf_table() -> dict[str, np.ndarray]:
    """Photon-number CDF and tail on a log grid of x = E/E_c.

    With ``G(x) = int_x^inf K_{5/3}``, integration by parts gives
    ``C(x) = int_0^x G = x G(x) + int_0^x t K_{5/3}(t) dt`` and
    ``T(x) = int_x^inf G = -x G(x) + int_x^inf t K_{5/3}(t) dt``; both are divided by
    ``C(inf) = 5 pi / 3`` (Gradshteyn-Ryzhik 6.561.16).

    Returns
    -------
    dict with ``log_x``, ``cdf``, ``log_tail`` (arrays) and ``x0``, ``cdf0`` (0-d arrays)
    """
    x = np.geomspace(1e-7, 40.0, 600)
    g = np.array([_k53_tail(v) for v in x])
    from scipy import integrate, special

    tk = lambda t: t * special.kv(5.0 / 3.0, t)  # noqa: E731
    edges = np.concatenate(([0.0], x))
    pieces = np.array([integrate.quad(tk, a, b)[0] for a, b in itertools.pairwise(edges)])
    cdf = (x * g + np.cumsum(pieces)) / _N_NORM
    cdf = np.maximum.accumulate(np.clip(cdf, 0.0, 1.0))
    upper = np.array([integrate.quad(tk, v, np.inf, limit=200)[0] for v in x])
    tail = np.maximum(-x * g + upper, 1e-300) / _N_NORM
    return {"log_x": np.log(x), "cdf": cdf, "log_tail": np.log(tail), "x0": np.array(x[0]),
            "cdf0": np.array(cdf[0])}


def photon_fraction_above(x: np.ndarray | float) -> np.ndarray:
    """Fraction of SR photons with ``E / E_c > x`` (photon-number spectrum).

    Interpolated in log-log from the tabulated tail T(x) (see ``_number_cdf_table``);
    for ``x > 40`` the asymptotic ``T(x) ≈ sqrt(pi / (2 x)) e^{-x} / C(inf)`` (from
    K_nu(t) ≈ sqrt(pi / 2t) e^{-t}, Abramowitz-Stegun 9.7.2) is used.  The result
    underflows to 0 for x > ~700, never NaN.
    """
    logx, _, logtail, _, _ = _number_cdf_table()
    xs = np.asarray(x, dtype=float)
    inside = np.log(np.clip(xs, np.exp(logx[0]), np.exp(logx[-1])))
    frac = np.exp(np.interp(inside, logx, logtail))
    with np.errstate(over="ignore", under="ignore"):
        safe = np.maximum(xs, 1.0)
        asym = np.sqrt(np.pi / (2.0 * safe)) * np.exp(-np.minimum(safe, 745.0)) / _N_NORM
    frac = np.where(xs > np.exp(logx[-1]), asym, frac)
    return np.clip(np.where(xs <= 0, 1.0, frac), 0.0, 1.0)


#: Number of bins of the uniform-u inverse-CDF table.
_N_INV: int = 8192


@lru_cache(maxsize=1)
def inverse_cdf_table() -> np.ndarray:
    """``x = E/E_c`` at ``u = k / N`` (k = 0..N) of the photon-number CDF.

    Entry 0 is 0; entries below the first tabulated CDF value follow the small-x law
    ``C(x) ∝ x^{1/3}`` (K_{5/3}(t) ∝ t^{-5/3}, Abramowitz-Stegun 9.6.9); the last entry is
    unused (the last bin is sampled from the exponential tail, see :func:`x_from_u`).
    """
    logx, cdf, _, x0, c0 = _number_cdf_table()
    u = np.linspace(0.0, 1.0, _N_INV + 1)
    x = np.exp(np.interp(u, cdf, logx))
    low = u < c0
    x[low] = x0 * (u[low] / c0) ** 3
    x[-1] = x[-2]
    return x


@numba.njit(cache=True, fastmath=False)
def x_from_u(u: float, table: np.ndarray) -> float:  # pragma: no cover - compiled
    """Inverse CDF: linear interpolation in the uniform-u table; in the last bin
    ``x = x_{N-1} - ln(N (1 - u))`` (the tail falls like e^{-x}, AS 9.7.2)."""
    n = table.size - 1
    t = u * n
    k = int(t)
    if k >= n - 1:
        return table[n - 1] - math.log(max(n * (1.0 - u), 1e-300))
    return table[k] + (t - k) * (table[k + 1] - table[k])


@numba.njit(cache=True)
def _sample_x(u: np.ndarray, table: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(u.size)
    for i in range(u.size):
        out[i] = x_from_u(u[i], table)
    return out


def sample_photon_energies(e_crit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one photon energy per entry of ``e_crit`` from the classical SR spectrum.

    Inverse-CDF sampling of dN/dx ∝ int_x^inf K_{5/3} (S(x)/x, Jackson 3rd ed.
    section 14.6) through :func:`inverse_cdf_table` and :func:`x_from_u`.

    Parameters
    ----------
    e_crit
        Critical energies (MeV), one per photon.
    rng
        Random generator.

    Returns
    -------
    ndarray
        Photon energies (MeV), >= 0.
    """
    ec = np.asarray(e_crit, dtype=float)
    u = rng.random(ec.size)
    return ec * _sample_x(u, inverse_cdf_table()).reshape(ec.shape)
