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

A calorimeter can carry corrections of this parametrisation (:class:`GflashTuning`, the
``[<calorimeter>.shower]`` table of a setup, see :class:`na64.detector.setup.ShowerTuning`):
shifts of the means of ln T and ln alpha, scales of their widths, the correlation, scales
of the radial parameters and of the growth of R_T with age, the age at which the radial
profile is evaluated, event-by-event fluctuations of the shower width and axis, the depth
dependence of the sampling fraction (:func:`sampling_vs_age`) and the photo-nuclear energy
loss (:func:`sample_nuclear_loss`).  The identity tuning (the default) is the published
parametrisation; the values of the ``na64e_2016_2018`` ECAL were fitted to a Geant4 11.4
simulation of that calorimeter by ``validation/fit_fastsim.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..units import GeV

__all__ = ["PHOTON_CONVERSION_X0", "GflashTuning", "LongitudinalParams", "lateral_parameters",
           "longitudinal_parameters", "pair_spectrum", "sample_conversion", "sample_nuclear_loss",
           "sample_pair_fraction", "sampling_vs_age"]

FloatArray = NDArray[np.float64]

#: Mean depth (X0) at which a high-energy photon converts: the pair-production mean free
#: path 9/7 X0 (PDG 2024 Review 34, Eq. (34.31): sigma = 7/9 A / (X0 N_A)).
PHOTON_CONVERSION_X0 = 9.0 / 7.0


def pair_spectrum(x: ArrayLike) -> FloatArray:
    """dN/dx per radiation length of pair production with the electron taking the fraction
    x, complete screening: 1 − 4/3 x(1 − x) (PDG 2024 Eq. 34.30); integrates to 7/9."""
    xx = np.asarray(x, dtype=float)
    return np.asarray(np.where((xx >= 0) & (xx <= 1.0), 1.0 - 4.0 / 3.0 * xx * (1.0 - xx), 0.0))


def sample_pair_fraction(n: int, rng: np.random.Generator) -> FloatArray:
    """Energy fraction of the electron of ``n`` pairs, from :func:`pair_spectrum` (rejection
    on a uniform proposal: the spectrum is between 2/3 and 1)."""
    out = np.empty(0)
    while out.size < n:
        x = rng.random(2 * (n - out.size) + 16)
        keep = rng.random(x.size) < pair_spectrum(x)
        out = np.concatenate([out, x[keep]])
    return out[:n]


def sample_conversion(n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Where ``n`` photons convert and how they share their energy: the depth beyond their
    start (X0), exponential of mean :data:`PHOTON_CONVERSION_X0` (PDG 2024 Eq. 34.31), and
    the electron's energy fraction (:func:`sample_pair_fraction`), drawn in that order."""
    depth = rng.exponential(PHOTON_CONVERSION_X0, n)
    return depth, sample_pair_fraction(n, rng)


#: Shower energy at which the fluctuation constants of :class:`GflashTuning` hold, and the
#: lowest energy their scaling with E follows (below it the factor stays).
FLUCTUATION_E_REF = 100.0 * GeV
FLUCTUATION_E_MIN = 1.0 * GeV


@dataclass(frozen=True)
class GflashTuning:
    """Corrections of the GFLASH parametrisation for one calorimeter (identity by default).

    Attributes
    ----------
    ln_t_shift, ln_alpha_shift
        Added to <ln T> and <ln alpha> of :func:`longitudinal_means` (at every energy).
    sigma_ln_t_scale, sigma_ln_alpha_scale
        Multiply sigma(ln T) and sigma(ln alpha).
    rho
        Correlation of ln T and ln alpha; ``None`` keeps the GFLASH formula.
    core_radius_scale, tail_radius_scale, core_weight_scale
        Multiply R_C, R_T and p of :func:`lateral_parameters` (p is then clipped to [0, 1]).
    tail_growth_scale
        Multiplies k4, the rate at which R_T grows with the shower age beyond the maximum.
    lateral_age_coupling
        kappa in [0, 1]: weight of the shower's own age t/T in the age at which the radial
        profile is evaluated, the rest being the age of the same stage of the mean shower
        (:meth:`LongitudinalParams.lateral_age`).  1 is GFLASH; smaller values weaken the
        coupling of the lateral profile to the longitudinal fluctuations.
    radius_fluctuation
        Relative event-by-event fluctuation (log-normal sigma) of the shower width, common
        to R_C and R_T of all depths of one shower; 0 for none.
    axis_fluctuation
        Event-by-event displacement of the axis of each depth slice of a shower, a Gaussian
        of this times the slice's tail radius in x and in y (the azimuthal asymmetry of
        individual showers); 0 for none.
    sampling_age
        ``(a, b, c, w)`` of the depth dependence of the sampling fraction,
        :func:`sampling_vs_age`; ``None`` for a constant sampling fraction.
    nuclear_loss_mean, nuclear_loss_sd
        Fraction of the shower energy lost to photo-nuclear reactions (binding energy,
        escaping neutrons), Gamma-distributed per shower with this mean and standard
        deviation; 0 for none.
    fluctuation_energy_exponent
        kappa >= 0: ``radius_fluctuation`` and ``axis_fluctuation`` are the values of a
        100 GeV shower, and a shower of energy E has them times (E / 100 GeV)^(-kappa)
        (:meth:`fluctuation_scale`); 0: the same at every energy.  The lateral spread of
        one shower is that of its few soft particles far from the axis, whose number
        grows as E: their statistics alone give kappa = 1/2.
    """

    ln_t_shift: float = 0.0
    ln_alpha_shift: float = 0.0
    sigma_ln_t_scale: float = 1.0
    sigma_ln_alpha_scale: float = 1.0
    rho: float | None = None
    core_radius_scale: float = 1.0
    tail_radius_scale: float = 1.0
    tail_growth_scale: float = 1.0
    core_weight_scale: float = 1.0
    lateral_age_coupling: float = 1.0
    radius_fluctuation: float = 0.0
    axis_fluctuation: float = 0.0
    sampling_age: tuple[float, float, float, float] | None = None
    nuclear_loss_mean: float = 0.0
    nuclear_loss_sd: float = 0.0
    fluctuation_energy_exponent: float = 0.0

    def fluctuation_scale(self, energy: FloatArray) -> FloatArray | float:
        """(E / 100 GeV)^(-kappa) for showers of ``energy`` (MeV), at least 1 GeV: the
        factor of the fluctuations at that energy (1.0 for kappa = 0)."""
        if self.fluctuation_energy_exponent == 0.0:
            return 1.0
        e = np.maximum(np.asarray(energy, dtype=float), FLUCTUATION_E_MIN)
        return np.asarray((e / FLUCTUATION_E_REF) ** (-self.fluctuation_energy_exponent))


#: The published parametrisation, without corrections.
IDENTITY = GflashTuning()


def sampling_vs_age(tau: ArrayLike, coefficients: tuple[float, float, float, float] | None
                    ) -> FloatArray:
    """Signal per unit deposited energy, relative to the calibration, at shower age tau = t/T.

    The sampling fraction of a Pb/scintillator calorimeter is not constant along a shower:
    early, the energy is carried by fast e+- (mip-like, sampled with e/mip of the charged
    tracks), late, by soft photons absorbed mostly in the high-Z plates through the photo
    effect, so the scintillator share falls with depth (R. Wigmans, "Calorimetry: Energy
    Measurement in Particle Physics", 2nd ed., Oxford 2017, the chapter on sampling
    fractions: e/mip < 1 of high-Z sampling calorimeters and its change with shower depth).
    It is described here by ``1 + a - b tanh((ln tau - c)/w)`` with ``(a, b, c, w) =
    coefficients`` (for the NA64e ECAL fitted to the scintillator/(lead + scintillator)
    ratio per layer of the Geant4 reference: +15% at tau ~ 0.3, -17% at tau ~ 4); a
    calibration on complete showers averages it to one.  ``None`` gives 1.
    """
    t = np.asarray(tau, dtype=float)
    if coefficients is None:
        return np.ones_like(t)
    a, b, c, w = coefficients
    with np.errstate(divide="ignore"):
        lt = np.log(np.maximum(t, 1e-3))
    return np.asarray(1.0 + a - b * np.tanh((lt - c) / w), dtype=float)


def sample_nuclear_loss(n: int, mean: float, sd: float, rng: np.random.Generator
                        ) -> FloatArray:
    """Fraction of each of ``n`` showers' energy lost to photo-nuclear reactions, Gamma
    distributed with ``mean`` and ``sd`` (``sd = 0``: the mean), clipped to [0, 0.5].

    Shower photons of 10-30 MeV excite the giant dipole resonance of the absorber nuclei;
    the neutron binding energy and the evaporated neutrons that escape are lost to the
    calorimeter, a fraction of a percent of an electron shower's energy in lead with large,
    skewed event-to-event fluctuations (W. P. Swanson, "Radiological Safety Aspects of the
    Operation of Electron Linear Accelerators", IAEA Technical Reports Series 188 (1979):
    giant-resonance neutron yields proportional to the shower energy).
    """
    if sd <= 0.0:
        return np.full(n, mean)
    k = (mean / sd) ** 2
    return np.clip(rng.gamma(k, sd * sd / mean, n), 0.0, 0.5)


class LongitudinalParams:
    """Sampled Gamma-profile parameters of a batch of showers (alpha, beta in 1/X0), and
    those of the mean shower of the same energies (``alpha_mean``, ``beta_mean``) with the
    :attr:`GflashTuning.lateral_age_coupling` that the radial profile uses
    (:meth:`lateral_age`)."""

    __slots__ = ("alpha", "alpha_mean", "beta", "beta_mean", "coupling", "tmax")

    def __init__(self, alpha: FloatArray, beta: FloatArray, alpha_mean: FloatArray | None = None,
                 beta_mean: FloatArray | None = None, coupling: float = 1.0) -> None:
        self.alpha = alpha
        self.beta = beta
        self.tmax = (alpha - 1.0) / beta
        self.alpha_mean = alpha if alpha_mean is None else alpha_mean
        self.beta_mean = beta if beta_mean is None else beta_mean
        self.coupling = coupling

    def lateral_age(self, depth: FloatArray) -> FloatArray:
        """Shower age tau at which the radial profile is evaluated, at ``depth`` (m, k) X0
        from each shower's start.

        GFLASH evaluates it at the shower's own age t/T (``coupling`` kappa = 1).  With
        kappa < 1 it moves towards the age of the same *stage* of the mean shower: the depth
        is standardised with the shower's own mean alpha/beta and width sqrt(alpha)/beta and
        mapped onto the mean shower's, so that a shower whose profile fluctuates keeps the
        radial profile of the mean shower stage by stage:
        tau = kappa t/T + (1 - kappa) max(0, mu_0 + (t - mu) s_0/s)/T_0.
        """
        k = self.coupling
        if k == 1.0:
            return np.asarray(depth / np.maximum(self.tmax, 0.1)[:, None], dtype=float)
        a0, b0, a, b = self.alpha_mean, self.beta_mean, self.alpha, self.beta
        inv_t0 = 1.0 / np.maximum((a0 - 1.0) / b0, 0.1)
        # stage = mu_0 + (t - mu) s_0/s = c0 + c1 t
        c1 = np.sqrt(a0 / a) * b / b0
        c0 = a0 / b0 - (a / b) * c1
        stage = np.maximum(c0[:, None] + c1[:, None] * depth, 0.0) * ((1.0 - k) * inv_t0)[:, None]
        if k == 0.0:
            return np.asarray(stage, dtype=float)
        return np.asarray(stage + depth * (k / np.maximum(self.tmax, 0.1))[:, None], dtype=float)


def _log_y(energy: FloatArray, critical_energy: float) -> FloatArray:
    # y = E/E_c; showers below a few E_c are outside the fitted range: clamp ln y >= 1.
    return np.log(np.maximum(energy / critical_energy, np.e))


def longitudinal_means(
    energy: ArrayLike, *, z_eff: float, critical_energy: float, sampling_frequency: float,
    e_hat: float, tuning: GflashTuning = IDENTITY,
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
    ``tuning`` shifts the means, scales the widths and may replace rho (:class:`GflashTuning`).

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
    if tuning.rho is not None:
        rho = np.full_like(rho, tuning.rho)
    return (np.log(t_sam) + tuning.ln_t_shift, np.log(a_sam) + tuning.ln_alpha_shift,
            sig_t * tuning.sigma_ln_t_scale, sig_a * tuning.sigma_ln_alpha_scale, rho)


def longitudinal_parameters(
    energy: ArrayLike, rng: np.random.Generator, *, z_eff: float, critical_energy: float,
    sampling_frequency: float, e_hat: float, fluctuate: bool = True,
    tuning: GflashTuning = IDENTITY,
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
        sampling_frequency=sampling_frequency, e_hat=e_hat, tuning=tuning,
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
    beta = (alpha - 1.0) / tmax
    kappa = tuning.lateral_age_coupling
    if kappa == 1.0 or not fluctuate:
        return LongitudinalParams(alpha, beta)
    t_mean = np.clip(np.exp(mlt), 0.5, 60.0)
    a_mean = np.clip(np.exp(mla), 1.1, 60.0)
    return LongitudinalParams(alpha, beta, a_mean, (a_mean - 1.0) / t_mean, kappa)


def lateral_parameters(
    tau: ArrayLike, energy: ArrayLike, *, z_eff: float, sampling_frequency: float, e_hat: float,
    tuning: GflashTuning = IDENTITY,
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

    ``tuning`` scales k4 and then R_C, R_T and p (:class:`GflashTuning`).  Guards (outside the
    fitted range): tau in [0, 8], R_C >= 0.02, R_T >= 1.5 R_C, 0 <= p <= 1.
    """
    t = np.clip(np.asarray(tau, dtype=float), 0.0, 8.0)
    ln_e = np.log(np.clip(np.asarray(energy, dtype=float) / GeV, 1e-3, 1e4))
    inv_fs = 1.0 / sampling_frequency
    one_m_ehat = 1.0 - e_hat
    r_c = (0.0251 + 0.00319 * ln_e) + (0.1162 - 0.000381 * z_eff) * t
    k1 = 0.659 - 0.00309 * z_eff
    k4 = (0.3585 + 0.0412 * ln_e) * tuning.tail_growth_scale
    r_t = k1 * (np.exp(-2.59 * (t - 0.645)) + np.exp(k4 * (t - 0.645)))
    p3 = np.maximum(1.313 - 0.0686 * ln_e, 0.2)
    arg = ((0.401 + 0.00187 * z_eff) - t) / p3
    p = (2.632 - 0.00094 * z_eff) * np.exp(arg - np.exp(arg))
    r_c = r_c - 0.0203 * one_m_ehat + 0.0397 * inv_fs * np.exp(-t)
    r_t = r_t - 0.14 * one_m_ehat - 0.495 * inv_fs * np.exp(-t)
    p = p + one_m_ehat * (0.348 - 0.642 * inv_fs * np.exp(-((t - 1.0) ** 2)))
    r_c = np.maximum(r_c, 0.02) * tuning.core_radius_scale
    r_t = np.maximum(r_t, 1.5 * r_c) * tuning.tail_radius_scale
    return r_c, r_t, np.clip(p * tuning.core_weight_scale, 0.0, 1.0)
