"""Electromagnetic shower profiles: the GFLASH parametrization for sampling calorimeters.

Source: G. Grindhammer and S. Peters, "The parameterized simulation of electromagnetic
showers in homogeneous and sampling calorimeters", arXiv:hep-ex/0001020.  The shower is
``dE(r) = E f(t) dt f(r) dr f(phi) dphi`` (their parametrization ansatz) with

* a Gamma-distributed longitudinal profile ``f(t) = (beta t)^(alpha-1) beta exp(-beta t) /
  Gamma(alpha)`` in radiation lengths t, ``T = (alpha - 1)/beta``;
* event-by-event fluctuations: ln T and ln alpha are correlated Gaussians whose means,
  widths and correlation depend on y = E/E_c (longitudinal profiles in homogeneous media,
  then the sampling-calorimeter modifications:
  shifts by t1/F_s + t2 (1 - ê) and a1/F_s);
* a radial profile ``f(r) = p f_C(r) + (1 - p) f_T(r)``, ``f_i(r) = 2 r R_i^2/(r^2 + R_i^2)^2``
  (radial profiles, core and tail) with R_C, R_T (Molière units) and p functions of tau = t/T,
  again with sampling corrections in (1 - ê), F_s^-1.

The numerical coefficients are the fitted values published in that paper (also used by the
Geant4 GFlash package).  All functions are vectorized over showers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..units import GeV

__all__ = ["LongitudinalParams", "lateral_parameters", "longitudinal_parameters"]

FloatArray = NDArray[np.float64]


class LongitudinalParams:
    """Sampled Gamma-profile parameters of a batch of showers (alpha, beta in 1/X0)."""

    __slots__ = ("alpha", "beta", "tmax")

    def __init__(self, alpha: FloatArray, beta: FloatArray) -> None:
        self.alpha = alpha
        self.beta = beta
        self.tmax = (alpha - 1.0) / beta


def _log_y(energy: FloatArray, critical_energy: float) -> FloatArray:
    # y = E/E_c; showers below a few E_c are outside the fitted range: clamp ln y >= 1.
    return np.log(np.maximum(energy / critical_energy, np.e))


def longitudinal_means(
    energy: ArrayLike, *, z_eff: float, critical_energy: float, sampling_frequency: float,
    e_hat: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Mean and width of ln T and ln alpha for a sampling calorimeter, and their correlation.

    arXiv:hep-ex/0001020, longitudinal profiles in homogeneous media::

        <T_hom>     = ln y - 0.812
        <alpha_hom> = 0.81 + (0.458 + 2.26/Z) ln y

    and the modifications for sampling calorimeters::

        <ln T_sam>     = ln(<T_hom> - 0.55/F_s - 0.69 (1 - ê))
        <ln alpha_sam> = ln(<alpha_hom> - 0.476/F_s)
        sigma(ln T)     = (-2.5 + 1.25 ln y)^-1
        sigma(ln alpha) = (-0.82 + 0.79 ln y)^-1
        rho(ln T, ln alpha) = 0.784 - 0.023 ln y

    The widths are capped at 0.5 (low y, outside the fitted range, where the fitted
    denominators approach zero); T >= 0.5 X0 and alpha >= 1.1 are enforced on the means.

    Returns
    -------
    mean_ln_t, mean_ln_alpha, sigma_ln_t, sigma_ln_alpha, rho
    """
    e = np.asarray(energy, dtype=float)
    ly = _log_y(e, critical_energy)
    t_hom = ly - 0.812
    a_hom = 0.81 + (0.458 + 2.26 / z_eff) * ly
    t_sam = np.maximum(t_hom - 0.55 / sampling_frequency - 0.69 * (1.0 - e_hat), 0.5)
    a_sam = np.maximum(a_hom - 0.476 / sampling_frequency, 1.1)
    sig_t = 1.0 / np.maximum(-2.5 + 1.25 * ly, 2.0)
    sig_a = 1.0 / np.maximum(-0.82 + 0.79 * ly, 2.0)
    rho = np.clip(0.784 - 0.023 * ly, -0.99, 0.99)
    return np.log(t_sam), np.log(a_sam), sig_t, sig_a, rho


def longitudinal_parameters(
    energy: ArrayLike, rng: np.random.Generator, *, z_eff: float, critical_energy: float,
    sampling_frequency: float, e_hat: float, fluctuate: bool = True,
) -> LongitudinalParams:
    """Sample the Gamma-profile parameters (alpha, beta) of each shower.

    ln T and ln alpha are drawn from a correlated bivariate normal with the means, widths
    and correlation of :func:`longitudinal_means` (arXiv:hep-ex/0001020, longitudinal fluctuations and their correlation:
    ``ln T = <ln T> + sigma_T (c1 z1 + c2 z2)``, ``ln alpha = <ln alpha> + sigma_a (c1 z1 -
    c2 z2)`` with ``c1,2 = sqrt((1 +- rho)/2)``).  ``fluctuate=False`` gives the mean shower.
    """
    e = np.asarray(energy, dtype=float)
    mlt, mla, st, sa, rho = longitudinal_means(
        e, z_eff=z_eff, critical_energy=critical_energy,
        sampling_frequency=sampling_frequency, e_hat=e_hat,
    )
    if fluctuate:
        z = rng.standard_normal((2, *e.shape))
        c1 = np.sqrt(0.5 * (1.0 + rho))
        c2 = np.sqrt(0.5 * (1.0 - rho))
        ln_t = mlt + st * (c1 * z[0] + c2 * z[1])
        ln_a = mla + sa * (c1 * z[0] - c2 * z[1])
    else:
        ln_t, ln_a = mlt, mla
    tmax = np.clip(np.exp(ln_t), 0.5, 60.0)
    alpha = np.clip(np.exp(ln_a), 1.1, 60.0)
    return LongitudinalParams(alpha, (alpha - 1.0) / tmax)


def lateral_parameters(
    tau: ArrayLike, energy: ArrayLike, *, z_eff: float, sampling_frequency: float, e_hat: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Core radius, tail radius (Molière units) and core weight at relative depth tau = t/T.

    arXiv:hep-ex/0001020, radial profiles in homogeneous media (E in GeV, Z = Z_eff)::

        R_C = z1 + z2 tau,  z1 = 0.0251 + 0.00319 ln E,  z2 = 0.1162 - 0.000381 Z
        R_T = k1 [exp(k3 (tau - k2)) + exp(k4 (tau - k2))],
              k1 = 0.659 - 0.00309 Z, k2 = 0.645, k3 = -2.59, k4 = 0.3585 + 0.0412 ln E
        p   = p1 exp[(p2 - tau)/p3 - exp((p2 - tau)/p3)],
              p1 = 2.632 - 0.00094 Z, p2 = 0.401 + 0.00187 Z, p3 = 1.313 - 0.0686 ln E

    and the corrections for sampling calorimeters::

        R_C,sam = R_C - 0.0203 (1 - ê) + 0.0397 F_s^-1 exp(-tau)
        R_T,sam = R_T - 0.14 (1 - ê) - 0.495 F_s^-1 exp(-tau)
        p_sam   = p + (1 - ê)(0.348 - 0.642 F_s^-1 exp(-(tau - 1)^2))

    Guards (outside the fitted range): tau in [0, 8], R_C >= 0.02, R_T >= 1.5 R_C,
    0 <= p <= 1.
    """
    t = np.clip(np.asarray(tau, dtype=float), 0.0, 8.0)
    ln_e = np.log(np.clip(np.asarray(energy, dtype=float) / GeV, 1e-3, 1e4))
    inv_fs = 1.0 / sampling_frequency
    one_m_ehat = 1.0 - e_hat
    r_c = (0.0251 + 0.00319 * ln_e) + (0.1162 - 0.000381 * z_eff) * t
    k1 = 0.659 - 0.00309 * z_eff
    k4 = 0.3585 + 0.0412 * ln_e
    r_t = k1 * (np.exp(-2.59 * (t - 0.645)) + np.exp(k4 * (t - 0.645)))
    p3 = np.maximum(1.313 - 0.0686 * ln_e, 0.2)
    arg = ((0.401 + 0.00187 * z_eff) - t) / p3
    p = (2.632 - 0.00094 * z_eff) * np.exp(arg - np.exp(arg))
    r_c = r_c - 0.0203 * one_m_ehat + 0.0397 * inv_fs * np.exp(-t)
    r_t = r_t - 0.14 * one_m_ehat - 0.495 * inv_fs * np.exp(-t)
    p = p + one_m_ehat * (0.348 - 0.642 * inv_fs * np.exp(-((t - 1.0) ** 2)))
    r_c = np.maximum(r_c, 0.02)
    r_t = np.maximum(r_t, 1.5 * r_c)
    return r_c, r_t, np.clip(p, 0.0, 1.0)
