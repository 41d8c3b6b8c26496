r"""Resonant positron annihilation on atomic electrons, :math:`e^+e^-\to A'\to\chi\bar\chi`.

A positron of the electromagnetic shower that meets an atomic electron at rest with
:math:`s = 2m_e(m_e + E_+)` close to :math:`m_{A'}^2` produces the dark photon on
resonance.  In a thick target every positron whose energy sweeps through
:math:`E_R = m_{A'}^2/(2m_e) - m_e` can do so, which makes this O(α ε²) process dominate
dark bremsstrahlung (O(α³ ε²)) where :math:`E_R` falls inside the missing-energy window
(Marsicano et al., arXiv:1802.03794, Sec. II; arXiv:1807.05884; used by NA64 for the
2016-2018 data in arXiv:2108.04195).

Cross section
-------------
For the s-channel exchange of a vector of mass m and total width Γ between the
electron's electromagnetic current (coupling εe) and a final state f, the relativistic
Breit-Wigner cross section with energy-dependent partial widths is

.. math::

    \sigma(s) = \frac{12\pi\,\Gamma_{ee}(\sqrt s)\,\Gamma_f(\sqrt s)}
                     {(s - m^2)^2 + m^2\Gamma^2},                                  \qquad (1)

where :math:`\Gamma_X(\sqrt s)` is the partial width the vector would have at mass √s
(PDG 2024 review "Cross-section formulae for specific processes", resonance
formation: at s = m², :math:`\sigma = 12\pi B_{ee}B_f/m^2`).  For a Dirac χ, Eq. (1)
*is* the tree-level s-channel result obtained from :math:`e^+e^-\to\mu^+\mu^-` (the
same review, :math:`\sigma = \tfrac{4\pi\alpha^2}{3s}\beta\tfrac{3-\beta^2}{2}`) by the
replacements α² → ε²αα_D and 1/s → s/|s − m² + imΓ|², which the tests check.  Γ_ee(√s) keeps its
electron-mass threshold factor; the fixed-width propagator uses the total width at the pole.

Integrated over the positron energy in the narrow-width limit (dE = ds / 2m_e),

.. math::

    \int\sigma\,dE_+ = \frac{6\pi^2\,\Gamma_{ee}\,B_f}{m\,m_e}
                     \xrightarrow{m\gg m_e} \frac{2\pi^2\alpha\,\epsilon^2 B_f}{m_e},   \qquad (2)

independent of m_{A'} (arXiv:1802.03794, Sec. II, the resonant yield): the yield per EOT
is then n_e (dL_+/dE)(E_R) × Eq. (2).

Limits of this module: atomic electrons are taken at rest (their motion broadens the line
by up to δs/s ~ Zα for K-shell electrons in lead, arXiv:2403.15387; it does not change
Eq. (2) to first order), and the non-resonant e+e- → γA' is not included.

Units: hepunits throughout (MeV, mm); cross sections in mm² per target electron.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import ALPHA, HBARC, M_E
from ..errors import InputError
from .widths import CHI_KINDS, MAX_MASS, ChiKind, dark_photon_widths, width_vector

__all__ = [
    "MIN_WIDTH_FRACTION",
    "annihilation_cross_section",
    "integrated_cross_section",
    "mass_from_resonance_energy",
    "narrow_line_cross_section",
    "resonance_energy",
    "resonance_width",
]

#: Smallest Γ/m a numerical line shape resolves (see :func:`resonance_width`).
MIN_WIDTH_FRACTION: Final[float] = 2e-3


def resonance_energy(mass: ArrayLike) -> NDArray[np.float64]:
    """Positron energy E_R (MeV) of :math:`s = 2m_e(m_e+E_+) = m^2`: :math:`m^2/2m_e - m_e`.

    Below m = 2 m_e there is no resonance; the function returns 0 there.
    """
    m = np.asarray(mass, dtype=float)
    return np.asarray(np.clip(m**2 / (2.0 * M_E) - M_E, 0.0, None))


def mass_from_resonance_energy(energy: ArrayLike) -> NDArray[np.float64]:
    """Inverse of :func:`resonance_energy`: :math:`m = \\sqrt{2m_e(m_e+E_+)}` (MeV)."""
    e = np.asarray(energy, dtype=float)
    return np.asarray(np.sqrt(2.0 * M_E * (M_E + np.clip(e, 0.0, None))))


def _check(mass: float, alpha_D: float, m_chi: float | None, chi: str) -> tuple[float, float]:
    if not (math.isfinite(mass) and 2.0 * M_E < mass <= MAX_MASS):
        raise InputError("mass", f"must be in (2 m_e = {2 * M_E:.6g} MeV, {MAX_MASS:.6g} MeV] "
                                 f"for resonant annihilation, got {mass!r} MeV")
    if not (math.isfinite(alpha_D) and 0.0 <= alpha_D <= 4.0 * math.pi):
        raise InputError("alpha_D", f"must be in [0, 4 pi], got {alpha_D!r}")
    mc = mass / 3.0 if m_chi is None else float(m_chi)
    if not (math.isfinite(mc) and 0.0 < mc <= MAX_MASS):
        raise InputError("m_chi", f"must be in (0, {MAX_MASS:.6g}] MeV, got {m_chi!r}")
    if chi not in CHI_KINDS:
        raise InputError("chi", f"must be one of {', '.join(CHI_KINDS)}, got {chi!r}")
    return mc, float(alpha_D)


def _final_width(w: dict[str, NDArray[np.float64]], final: str, epsilon: float
                 ) -> NDArray[np.float64]:
    """Γ_f of final state ``final`` from the widths ``w`` computed at ε = 1 (SM ones ∝ ε²)."""
    if final == "invisible":
        return w["chichi"]
    if final == "e+e-":
        return epsilon**2 * w["e+e-"]
    if final == "visible":
        return np.asarray(epsilon**2 * sum(v for k, v in w.items() if k != "chichi"))
    raise InputError("final", f"must be 'invisible', 'e+e-' or 'visible', got {final!r}")


def _widths_at(root_s: NDArray[np.float64], alpha_D: float, m_chi: float,
               chi: ChiKind) -> dict[str, NDArray[np.float64]]:
    """Partial widths at mass √s with the couplings of the A' (ε = 1; widths ∝ ε² or α_D)."""
    rs = np.clip(root_s, 1e-6, MAX_MASS)
    return dark_photon_widths(rs, 1.0, alpha_D, m_chi, chi)


def resonance_width(mass: float, *, epsilon: float = 1e-4, alpha_D: float = 0.5,
                    m_chi: float | None = None, chi: ChiKind = "dirac") -> float:
    """Total width Γ (MeV) of the A' at its pole, all channels (ε enters Γ_SM = ε² × ...)."""
    mc, ad = _check(float(mass), float(alpha_D), m_chi, chi)
    if not (math.isfinite(epsilon) and 0.0 < epsilon <= 1.0):
        raise InputError("epsilon", f"must be in (0, 1], got {epsilon!r}")
    w = dark_photon_widths(float(mass), float(epsilon), ad, mc, chi)
    return float(sum(float(v) for v in w.values()))


def _pole_width(mass: float, epsilon: float, alpha_D: float, m_chi: float, chi: ChiKind,
                width: float | None) -> float:
    """The total width at the pole: ``width`` if given (checked), else the model's."""
    gamma = (resonance_width(mass, epsilon=epsilon, alpha_D=alpha_D, m_chi=m_chi, chi=chi)
             if width is None else float(width))
    if not (math.isfinite(gamma) and gamma > 0.0):
        raise InputError("width", f"must be a finite positive width in MeV, got {width!r}")
    return gamma


def annihilation_cross_section(
    e_positron: ArrayLike,
    mass: float,
    *,
    epsilon: float = 1.0,
    alpha_D: float = 0.5,
    m_chi: float | None = None,
    chi: ChiKind = "dirac",
    final: str = "invisible",
    width: float | None = None,
    min_width_fraction: float = 0.0,
) -> NDArray[np.float64]:
    r"""σ(e+ e- → A' → f) per target electron at rest (mm²), Eq. (1) of the module.

    Parameters
    ----------
    e_positron
        Positron energy (MeV, total energy), any shape.
    mass
        A' mass (MeV), above 2 m_e.
    epsilon
        Kinetic mixing; σ ∝ ε² through Γ_ee (the total width uses ``epsilon`` too, so for
        ``final="invisible"`` and α_D ≫ ε²α the result is ε² σ(ε = 1)).
    alpha_D, m_chi, chi
        Dark sector (defaults: α_D = 0.5, m_χ = m/3, Dirac χ).
    final
        ``"invisible"`` (f = χχ̄), ``"e+e-"`` or ``"visible"`` (all SM channels).
    width
        Total width Γ at the pole (MeV); default: computed from the model
        (:func:`resonance_width`).
    min_width_fraction
        If Γ/m is smaller, the line is drawn with Γ_eff = ``min_width_fraction`` × m and
        its height scaled by Γ_eff/Γ, which keeps ∫σ dE (Eq. (2)) and widens the line
        shape; meant for Monte Carlo tables that cannot resolve a very narrow line (0:
        the physical line shape).

    Returns
    -------
    numpy.ndarray
        σ in mm² (hepunits), same shape as ``e_positron``; 0 below threshold.
    """
    mc, ad = _check(float(mass), float(alpha_D), m_chi, chi)
    if not (math.isfinite(epsilon) and 0.0 < epsilon <= 1.0):
        raise InputError("epsilon", f"must be in (0, 1], got {epsilon!r}")
    if not (math.isfinite(min_width_fraction) and 0.0 <= min_width_fraction < 1.0):
        raise InputError("min_width_fraction", f"must be in [0, 1), got {min_width_fraction!r}")
    m = float(mass)
    gamma = _pole_width(m, epsilon, ad, mc, chi, width)
    e = np.asarray(e_positron, dtype=float)
    s = 2.0 * M_E * (M_E + np.clip(e, M_E, None))
    w = _widths_at(np.sqrt(s), ad, mc, chi)
    g_ee = epsilon**2 * w["e+e-"]
    g_f = _final_width(w, final, epsilon)
    g_eff = max(gamma, min_width_fraction * m)
    sigma = 12.0 * math.pi * g_ee * g_f * (g_eff / gamma) / ((s - m**2) ** 2 + (m * g_eff) ** 2)
    out = sigma * HBARC**2
    return np.asarray(np.where(np.isfinite(out) & (e >= M_E), out, 0.0))


def integrated_cross_section(mass: float, *, epsilon: float = 1.0, alpha_D: float = 0.5,
                             m_chi: float | None = None, chi: ChiKind = "dirac",
                             final: str = "invisible", width: float | None = None) -> float:
    r"""Narrow-width ∫σ dE_+ (mm² MeV), Eq. (2): :math:`6\pi^2\Gamma_{ee}B_f/(m\,m_e)`.

    Γ_ee and Γ_f are those of the pole at mixing ``epsilon``; B_f = Γ_f / ``width``, the
    total width (default: all channels at ``epsilon``; pass the generator's width to use
    yields "per ε²" computed at small ε, where B_inv does not depend on ε).
    """
    mc, ad = _check(float(mass), float(alpha_D), m_chi, chi)
    if not (math.isfinite(epsilon) and 0.0 < epsilon <= 1.0):
        raise InputError("epsilon", f"must be in (0, 1], got {epsilon!r}")
    m = float(mass)
    w = dark_photon_widths(m, 1.0, ad, mc, chi)
    g_f = float(_final_width(w, final, epsilon))
    total = _pole_width(m, epsilon, ad, mc, chi, width)
    g_ee = epsilon**2 * float(w["e+e-"])
    return 6.0 * math.pi**2 * g_ee * (g_f / total) / (m * M_E) * HBARC**2


def narrow_line_cross_section(e_positron: ArrayLike, mass: float, *,
                              width_fraction: float = MIN_WIDTH_FRACTION
                              ) -> NDArray[np.float64]:
    r"""σ(e+ e- → X → anything) per target electron (mm²) of a narrow vector X with unit
    electron coupling (g_e = e), drawn with Γ = ``width_fraction`` × m.

    Eq. (1) summed over the final states (Γ_f → Γ): :math:`\sigma = 12\pi\Gamma_{ee}(\sqrt s)
    \Gamma/[(s-m^2)^2+m^2\Gamma^2]`, :math:`\Gamma_{ee}=\tfrac{\alpha\sqrt s}{3}
    (1+2m_e^2/s)\beta` (:func:`na64.physics.widths.width_vector`).  For a boson whose true
    width is far below the drawn one (an L_μ−L_τ or B−L boson at the couplings NA64 probes,
    Γ/m ~ g²/12π ≲ 1e-7), only the integral matters: Eq. (2) with B_f = 1,
    ∫σ dE_+ = 6π²Γ_ee/(m m_e), whatever the drawn width.  The share of each final state is
    then the boson's branching ratio.
    """
    m = float(mass)
    if not (math.isfinite(m) and 2.0 * M_E < m <= MAX_MASS):
        raise InputError("mass", f"must be in ({2 * M_E:.6g}, {MAX_MASS:g}] MeV, got {m!r}")
    if not (math.isfinite(width_fraction) and 0.0 < width_fraction < 1.0):
        raise InputError("width_fraction", f"must be in (0, 1), got {width_fraction!r}")
    e = np.asarray(e_positron, dtype=float)
    s = 2.0 * M_E * (M_E + np.clip(e, M_E, None))
    g_ee = width_vector(np.sqrt(s), M_E, ALPHA)
    gam = width_fraction * m
    sigma = 12.0 * math.pi * g_ee * gam / ((s - m**2) ** 2 + (m * gam) ** 2) * HBARC**2
    return np.asarray(np.where(np.isfinite(sigma) & (e >= M_E), sigma, 0.0))
