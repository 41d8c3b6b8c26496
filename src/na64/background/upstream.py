"""Electro- and photo-nuclear backgrounds: the beam interacting upstream and in the target.

The dominant background of the NA64 2016–2018 invisible search (arXiv:1906.00176, Table I,
"e− hadron interactions in the beam line") comes from beam electrons that interact with a
nucleus of the material between the momentum spectrometer and the ECAL,
e− A → e− + hadrons.  The spectrometer and the SRD saw the electron before the
interaction (correct momentum, SR tag), the degraded electron reaches the ECAL with
E′ = E0 − ν < 50 GeV, and the event is a missing-energy candidate when the hadrons, which
carry ν, miss the HCAL acceptance (arXiv:1710.00971, Sec. V).  The model here:

    rate/EOT = Σ_layers N_A(layer) ∫ dy f_γ(y) σ_γA(y E0)
               × P(all fast hadrons miss the HCAL | y, z) × P(e′ passes the cuts | E′)

* ``N_A``: nuclei per area of each layer (setup ``[upstream]`` + beam-line trackers
  downstream of the last magnet: :func:`upstream_layers`);
* ``f_γ``: equivalent-photon flux of the electron (:func:`photon_flux`);
* ``σ_γA``: photo-absorption cross section
  (:func:`na64.physics.photoabsorption.sigma_gamma_nucleus`);
* the hadronic final state (:func:`escape_probability`): the fast, photon-side hadrons share
  ν uniformly (longitudinal phase space), their number follows the hadron multiplicity at
  W² = 2 m_N ν, their p_T the Cocconi–Koester–Perkins spectrum; the probability that a
  hadron misses the HCAL is analytic in its energy and in the distance to the HCAL, so the
  estimate is a conditional expectation, usable far below 1/N_simulated (a *biased*
  sample without counting);
* the degraded electron goes through the fast simulation and the selection (the SRD and
  the spectrometer see the 100 GeV electron).

The same photo-absorption with the shower photons *inside* the target, with a leading
neutral hadron that crosses the HCAL without interacting, is :func:`target_punch_through`.
All model parameters are in :class:`NuclearModel`; the uncertainty of a source is the
spread of the result under the variations listed there (added in quadrature with the
statistical error), not a typed-in number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from hepunits import GeV, MeV

from ..constants import M_E, M_P
from ..detector.photonuclear import interactions_above
from ..errors import InputError
from ..materials import Material, get_material
from ..physics.photoabsorption import sigma_gamma_nucleus

if TYPE_CHECKING:  # pragma: no cover
    from ..beam.config import BeamlineConfig
    from ..detector.setup import Setup

__all__ = [
    "NuclearModel",
    "UpstreamSlab",
    "charged_multiplicity",
    "escape_probability",
    "nuclei_per_area",
    "photon_flux",
    "photonuclear_probability",
    "pt_survival",
    "target_photonuclear_per_eot",
    "target_punch_through",
    "upstream_layers",
]

#: ρ mass² (GeV²): vector-meson-dominance scale of the virtual-photon absorption.
_M_RHO2 = 0.775**2 * GeV**2


@dataclass(frozen=True)
class NuclearModel:
    """Parameters of the hadronic final state and of the cross sections, with their variations.

    Attributes
    ----------
    mean_pt
        Mean transverse momentum of produced hadrons (MeV); CKP spectrum
        dN/dp_T ∝ p_T exp(−2 p_T/⟨p_T⟩).  0.35 GeV ± 0.05 GeV (typical of soft hadron
        production at √s ~ 10–20 GeV; PDG 2024 review "Plots of cross sections and related
        quantities" and the CKP paper, Cocconi, Koester, Perkins, UCRL-10022 (1961)).
    multiplicity_scale
        Scale of the multiplicity of :func:`charged_multiplicity` (1 ± 0.25).
    neutral_factor
        Total hadrons / charged hadrons (isospin: one π0 per two π±) = 1.5.
    fast_fraction
        Fraction of the hadrons in the photon hemisphere, which carry ν; the target
        fragments are slow and are ignored (0.5).
    shadowing_alpha
        σ_γA = A^α σ_γN (α = 0.91 ± 0.03; Caldwell et al., PRL 42 (1979) 553).
    q2_max
        Upper virtuality of the equivalent photons, m_ρ² (VMD), varied by a factor 2.
    soft_energy
        Hadrons below this energy are taken as harmless (they cannot push E_HCAL above the
        1 GeV cut on their own); 1 GeV.
    pt_power
        0 for the exponential CKP p_T spectrum; n > 3 for the power-law (Tsallis/Hagedorn)
        form dN/dp_T ∝ p_T (1 + p_T/(nT))^−n with the same ⟨p_T⟩, whose tail at p_T of a few
        GeV is much harder.  Nominal n = 20: the exponent of Tsallis fits grows as √s falls
        (n ≈ 7 at 0.9 TeV, arXiv:1002.0621 Sec. 5; ≈ 10 at 200 GeV) and the photon-nucleon
        √s here is ≈ 10–14 GeV.  The escaping hadrons need p_T ≳ 0.1 E, where the shapes
        differ by orders of magnitude: :meth:`tail_envelope`.
    """

    mean_pt: float = 350.0 * MeV
    multiplicity_scale: float = 1.0
    neutral_factor: float = 1.5
    fast_fraction: float = 0.5
    shadowing_alpha: float = 0.91
    q2_max: float = _M_RHO2
    soft_energy: float = 1.0 * GeV
    pt_power: float = 20.0

    def __post_init__(self) -> None:
        checks = {
            "mean_pt": (self.mean_pt, 10.0 * MeV, 5.0 * GeV),
            "multiplicity_scale": (self.multiplicity_scale, 0.1, 10.0),
            "neutral_factor": (self.neutral_factor, 1.0, 3.0),
            "fast_fraction": (self.fast_fraction, 0.05, 1.0),
            "shadowing_alpha": (self.shadowing_alpha, 0.5, 1.1),
            "q2_max": (self.q2_max, 1e-3 * GeV**2, 100.0 * GeV**2),
            "soft_energy": (self.soft_energy, 0.0, 100.0 * GeV),
        }
        for name, (value, lo, hi) in checks.items():
            if not (math.isfinite(value) and lo <= value <= hi):
                raise InputError(f"NuclearModel.{name}", f"must be in [{lo:g}, {hi:g}] "
                                 f"(internal units, MeV), got {value!r}")
        if not (self.pt_power == 0.0 or 3.0 < self.pt_power <= 1000.0):
            raise InputError("NuclearModel.pt_power",
                             f"must be 0 (exponential) or in (3, 1000], got {self.pt_power!r}")

    def variations(self) -> dict[str, tuple[NuclearModel, ...]]:
        """The ±1σ variations of each parameter group, used for the model uncertainty (the
        largest deviation of a group, groups added in quadrature)."""
        return {
            "mean_pt ±0.05 GeV": (replace(self, mean_pt=self.mean_pt * 0.3 / 0.35),
                                  replace(self, mean_pt=self.mean_pt * 0.4 / 0.35)),
            "multiplicity ±25%": (replace(self, multiplicity_scale=self.multiplicity_scale * 0.75),
                                  replace(self, multiplicity_scale=self.multiplicity_scale * 1.25)),
            "shadowing alpha ±0.03": (replace(self, shadowing_alpha=self.shadowing_alpha - 0.03),
                                      replace(self, shadowing_alpha=self.shadowing_alpha + 0.03)),
            "Q2_max x/÷2": (replace(self, q2_max=self.q2_max / 2),
                            replace(self, q2_max=self.q2_max * 2)),
        }

    def tail_envelope(self) -> tuple[NuclearModel, ...]:
        """The p_T-tail shapes spanning the main model ambiguity: exponential (CKP),
        n = 20 and n = 12 power laws.  The estimate is the middle of the range they give
        and its half-width is the uncertainty (an envelope, as for scale variations)."""
        return (replace(self, pt_power=0.0), replace(self, pt_power=20.0),
                replace(self, pt_power=12.0))


# ------------------------------------------------------------------------------ cross sections
def photon_flux(y: np.ndarray | float, energy: float, q2_max: float = _M_RHO2) -> np.ndarray:
    """Equivalent-photon flux dN_γ/dy of an electron of ``energy`` (y = ν/E).

    f(y) = α/(2π) [ (1 + (1−y)²)/y ln(Q²_max/Q²_min) + 2 m_e² y (1/Q²_max − 1/Q²_min) ],
    Q²_min = m_e² y²/(1−y): the improved Weizsäcker–Williams function of Frixione, Mangano,
    Nason, Ridolfi, Phys. Lett. B 319 (1993) 339, arXiv:hep-ph/9310350 (Sec. 2), here with
    Q²_max = m_ρ² because the absorption of virtual photons by hadrons falls as
    (m_ρ²/(m_ρ² + Q²))² (vector-meson dominance).  Zero outside 0 < y < 1 and where
    Q²_min ≥ Q²_max.
    """
    from ..constants import ALPHA

    yy = np.asarray(y, dtype=float)
    ok = (yy > 0) & (yy < 1)
    ys = np.where(ok, yy, 0.5)
    q2min = M_E**2 * ys**2 / (1.0 - ys)
    log = np.log(np.maximum(q2_max / q2min, 1.0))
    f = ALPHA / (2 * math.pi) * ((1 + (1 - ys) ** 2) / ys * log
                                 + 2 * M_E**2 * ys * (1 / q2_max - 1 / q2min))
    return np.where(ok & (q2min < q2_max), np.maximum(f, 0.0), 0.0)


def charged_multiplicity(w2: np.ndarray | float) -> np.ndarray:
    """Mean charged-hadron multiplicity at c.m. energy² ``w2`` (MeV²).

    ⟨n_ch⟩ = 0.88 + 0.44 ln s + 0.118 ln² s (s in GeV²): the quadratic-in-ln s fit to pp
    data (W. Thomé et al., Nucl. Phys. B 129 (1977) 365; PDG 2024 review "Plots of cross
    sections and related quantities", average multiplicity figure), used here for γp with
    the photon side taken as one hemisphere (:class:`NuclearModel`).  At least 2.
    """
    ln_s = np.log(np.maximum(np.asarray(w2, dtype=float) / GeV**2, 1.0))
    return np.maximum(0.88 + 0.44 * ln_s + 0.118 * ln_s**2, 2.0)


# ------------------------------------------------------------------------------ material
@dataclass(frozen=True)
class UpstreamSlab:
    """A slab of material upstream of the target: z range (mm, from the target face)."""

    name: str
    material: Material
    z0: float
    z1: float

    @property
    def thickness(self) -> float:
        """Length along the beam (mm)."""
        return self.z1 - self.z0

    @property
    def x_over_x0(self) -> float:
        """Thickness in radiation lengths."""
        return self.thickness / self.material.X0


def nuclei_per_area(material: Material, thickness: float) -> tuple[tuple[float, float], ...]:
    """((A, nuclei per mm²), ...) of each element of ``thickness`` mm of ``material``."""
    if not (thickness >= 0 and math.isfinite(thickness)):
        raise InputError("thickness", f"must be a finite length >= 0 mm, got {thickness!r}")
    return tuple((a, n * thickness) for _, a, n in material.atoms_per_volume())


def upstream_layers(setup: Setup, beamline: BeamlineConfig | None = None) -> list[UpstreamSlab]:
    """The material between the last bending magnet and the target face.

    The setup's ``[upstream]`` layers and, if ``include_trackers``, the beam line's tracker
    stations downstream of the last magnet (``x_over_x0`` of ``tracker_material``, centred
    on the station).  Empty when the setup has no ``[upstream]`` table.
    """
    up = setup.upstream
    if up is None:
        return []
    out = [UpstreamSlab(lay.name, get_material(lay.material), lay.z, lay.z + lay.length)
           for lay in up.layers]
    line = beamline if beamline is not None else setup.beamline
    if up.include_trackers and line is not None and line.magnets:
        z_end = line.magnet_span()[1]
        mat = get_material(up.tracker_material)
        for st in line.trackers:
            if z_end < st.z < 0 and st.x_over_x0 > 0:
                t = st.x_over_x0 * mat.X0
                out.append(UpstreamSlab(f"tracker {st.name}", mat, st.z - t / 2, st.z + t / 2))
    return out


def photonuclear_probability(material: Material, thickness: float, nu: float,
                             alpha: float = 0.91) -> float:
    """Probability that a real photon of energy ``nu`` is absorbed by a nucleus in
    ``thickness`` of ``material`` (thin-layer limit Σ_i n_i σ_γA_i t; arXiv:hep-ph/9209205
    Sec. 2 and Caldwell et al. 1979 via :func:`sigma_gamma_nucleus`)."""
    return float(sum(n * sigma_gamma_nucleus(nu, a, alpha)
                     for a, n in nuclei_per_area(material, thickness)))


# ------------------------------------------------------------------------------ final state
def pt_survival(p: np.ndarray, mean_pt: float, power: float = 0.0) -> np.ndarray:
    """P(p_T > p) of a produced hadron.

    ``power = 0``: CKP spectrum dN/dp_T ∝ p_T e^{−p_T/p0}, p0 = ⟨p_T⟩/2, survival
    (1 + p/p0) e^{−p/p0} (Cocconi, Koester, Perkins, UCRL-10022 (1961)).
    ``power = n > 3``: dN/dp_T ∝ p_T (1 + p_T/(nT))^−n (the power-law form of R. Hagedorn,
    Riv. Nuovo Cim. 6N10 (1983) 1, Sec. 4, used as the Tsallis fit of CMS, arXiv:1002.0621,
    Sec. 5), T = ⟨p_T⟩ (n − 3)/(2n); integrating, the survival is
    (1 + u)^{1−n} (1 + (n − 1) u) with u = p/(nT); it tends to the CKP form for n → ∞.
    """
    if power == 0.0:
        u = np.maximum(p, 0.0) / (0.5 * mean_pt)
        return (1.0 + u) * np.exp(-np.minimum(u, 700.0))
    n = float(power)
    t = mean_pt * (n - 3.0) / (2.0 * n)
    u = np.maximum(p, 0.0) / (n * t)
    return np.exp((1.0 - n) * np.log1p(u)) * (1.0 + (n - 1.0) * u)


def escape_probability(nu: np.ndarray, theta_min: np.ndarray, rng: np.random.Generator,
                       model: NuclearModel | None = None) -> np.ndarray:
    """Probability, per event, that every fast hadron of a γ*A interaction misses the HCAL.

    ``nu`` is the energy given to the hadrons (MeV), ``theta_min`` the half-angle of the HCAL
    seen from the interaction point (rad).  The fast hadrons (number ~ 1 + Poisson of
    fast_fraction × neutral_factor × ⟨n_ch⟩(W) − 1, :func:`charged_multiplicity`) share ν
    uniformly (flat Dirichlet: longitudinal phase space, arXiv:1710.00971 Sec. V describes the
    hadrons escaping at large angle); each one independently misses when
    p_T > E θ_min (:func:`pt_survival`) or is softer than soft_energy.
    The product of the per-hadron probabilities is the conditional expectation given the
    energies, so no hadron angle is sampled.
    """
    m = model or NuclearModel()
    nu = np.asarray(nu, dtype=float)
    th = np.broadcast_to(np.asarray(theta_min, dtype=float), nu.shape)
    if nu.size == 0:
        return np.zeros(0)
    w2 = M_P**2 + 2 * M_P * np.maximum(nu, 0.0)
    mean_n = m.multiplicity_scale * m.neutral_factor * m.fast_fraction * charged_multiplicity(w2)
    n = 1 + rng.poisson(np.maximum(mean_n - 1.0, 0.0))
    n = np.minimum(n, 64)
    k = int(n.max())
    gam = rng.exponential(1.0, (nu.size, k))
    used = np.arange(k)[None, :] < n[:, None]
    gam = np.where(used, gam, 0.0)
    e = nu[:, None] * gam / gam.sum(axis=1, keepdims=True)
    p_miss = np.where(e < m.soft_energy, 1.0, pt_survival(e * th[:, None], m.mean_pt, m.pt_power))
    p = np.prod(np.where(used, p_miss, 1.0), axis=1)
    return np.where(np.isfinite(p), np.clip(p, 0.0, 1.0), 0.0)


# ------------------------------------------------------------------------------ in the target
def target_photonuclear_per_eot(setup: Setup, energy: float, nu_min: float,
                                alpha: float = 0.91) -> float:
    """Photo-nuclear interactions with ν > ``nu_min`` of the shower photons in the target,
    per beam electron of ``energy``.

    Thick-target photon track length T(k) dk = 0.572 X0 E0 dk/k² (Approximation B; Y. S. Tsai
    and V. Whitis, Phys. Rev. 149 (1966) 1248, Sec. II), times Σ_i n_i σ_γA_i(k), integrated
    from ``nu_min`` to E0: :func:`na64.detector.photonuclear.interactions_above`.
    """
    return interactions_above(setup.target, energy, nu_min, alpha)


def target_punch_through(setup: Setup, energy: float, ecal_max: float,
                         alpha: float = 0.91) -> tuple[float, float, str]:
    """Hadron electro/photo-production in the target with a leading neutral hadron that
    crosses the HCAL without interacting (upper bound), per EOT: (value, uncertainty, note).

    Rate ≤ N(γA, ν > E0 − E_ECAL,max) × exp(−Λ_HCAL): all of ν is given to one neutral
    hadron (the most favourable final state), which must not interact in the Λ_HCAL
    interaction lengths of the HCAL (exp(−L/λ_int), PDG 2024 Review 34, nuclear interaction
    length), as in the fast simulation; N from :func:`target_photonuclear_per_eot`.
    Uncertainty 100% of the bound.
    """
    from ..detector.stack import build_stack

    n_int = target_photonuclear_per_eot(setup, energy, energy - ecal_max, alpha)
    if setup.hcal is None:
        return n_int, n_int, "no HCAL in the setup: every interaction counts"
    stack = build_stack(setup)
    lam = sum(s.l1 - s.l0 for s in stack.sections if s.output == "hcal")
    p = math.exp(-min(lam, 700.0))
    v = n_int * p
    note = (f"{n_int:.3g} photo-nuclear interactions/EOT with nu > {(energy - ecal_max) / GeV:g} "
            f"GeV in the target (thick-target photon track length, Tsai-Whitis 1966) x "
            f"exp(-{lam:.1f} lambda_int of HCAL) = {p:.2g}; all of nu in one neutral hadron "
            "(upper bound); HCAL cracks/dead zones are not modelled")
    return v, v, note

