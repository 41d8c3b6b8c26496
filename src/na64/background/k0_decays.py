"""Neutral kaons from photo-nuclear interactions in the WCAL decaying in the decay volume.

A hard photon of the beam electron's shower is absorbed by a nucleus of the WCAL,
γA → K0 + hadrons.  A leading K0_S leaves the dump without interacting, crosses W2
(neutral: no signal) and decays in the decay volume, K0_S → π0π0 (BR 30.69%, PDG 2024)
→ 4γ, whose merged shower in the ECAL carries the kaon energy: E_WCAL + E_ECAL = E0 and one
EM-like shower, the signature of a boson decaying to e+e−.  The decay counter S4 fires
with two MIPs only if a photon converts in the material in front of the end of S4 (W2 and
S4 themselves) or a π0 decays by Dalitz, π0 → e+e−γ (BR 1.174%); the other hadrons of the
interaction that reach W2 veto the event.

Rate per EOT: a weighted Monte Carlo through the event pipeline,

    N = Σ_events w_i [event i passes the visible selection] / n   (n simulated decays),
    w = Y × BR(mode) × e^{−(L − z_p)/λ_K} × e^{−d/λ_D}/λ_D × J × (w_S4 or w_cex),

* Y: K0 above E_min (the lowest energy that can pass ``ecal_min``) per EOT: photo-nuclear
  interactions of the shower photons, Σ_i n_i σ_γA_i(k) (:func:`~na64.physics.photoabsorption.
  sigma_gamma_nucleus`: Donnachie–Landshoff σ_γp, arXiv:hep-ph/9209205, with shadowing
  A^0.91, Caldwell et al. PRL 42 (1979) 553) along the photon track length of the shower
  resolved in depth and energy (:func:`na64.background.photon_punch.hard_cascade`; it
  reproduces Tsai–Whitis' T(k) = 0.572 X0 E0/k², Phys. Rev. 149 (1966) 1248, to 2% at
  k ≪ E0), times the K0 yield per interaction of :class:`KaonModel`:

  - inclusive: ⟨n_K0S⟩ = r ⟨n_ch⟩(W) K0_S per interaction with a leading-particle
    spectrum dn/dz = (n + 1)(1 − z)^n of the energy fraction z of the photon taken by the
    kaon (the form of the counting rules, (1 − x)^(2n_s − 1): Blankenbecler & Brodsky,
    Phys. Rev. D 10 (1974) 2973), r = 0.0187 and n = 4.42 fitted to Geant4's photo-nuclear
    model in tungsten (:class:`KaonModel`); the K0_L yield equals the K0_S one;
  - diffractive φ photoproduction, γN → φN, φ → K0_S K0_L (BR 33.9%, PDG 2024), at
    σ_φ/σ_tot = 0.5% (σ(γp → φp) ≈ 0.5–0.6 μb at 30–180 GeV, Egloff et al., Phys. Rev.
    Lett. 43 (1979) 657, against σ_tot(γp) ≈ 120 μb): each kaon takes 0.39–0.61 of k
    (isotropic φ decay) and the K0_L partner is a particle of the event;

* e^{−(L − z_p)/λ_K}: the kaon crosses the rest of the dump without a nuclear interaction
  (λ_K = 1.176 λ_int, the meson interaction length of the fast simulation,
  :data:`na64.detector.hadron.MESON_INTERACTION_LENGTH_SCALE`);
* e^{−d/λ_D}/λ_D × J: the decay point is drawn uniformly over the decay region (end of the
  dump to the end of S4, :func:`na64.generate.visible.decay_region`) and carries the
  density of the exponential decay law (PDG 2024 review 49) and the Jacobian of that
  choice, the trick of :mod:`na64.generate.visible`, so that no sample is wasted on decays
  elsewhere; λ_D = (p/m) cτ, cτ(K0_S) = 26.84 mm, cτ(K0_L) = 15.34 m;
* decay modes: K0_S → π0π0 (30.69%), K0_S → π+π− (69.20%; the pions cross S4 and must
  then fake the ECAL shower), K0_L → 3π0 (19.52%; PDG 2024), phase space, π0 → γγ;
* w_cex, K0_S → π+π− only: the pions give one EM-like shower and a quiet HCAL only when
  their first interaction is a charge exchange (probability P_cex =
  :data:`na64.detector.hadron.CHARGE_EXCHANGE_PROBABILITY` each in the fast simulation):
  that step is forced (``force_cex`` of :func:`na64.detector.response.deposit`; the
  pipeline still draws where, and whether, each pion interacts) and the event carries
  P_cex², so the mode is a rate rather than a zero-pass bound (~1e-5 of its decays pass
  unbiased);
* w_S4, the decay-counter trigger of the neutral modes: none (1 − ΣP; S4 sees only the
  pipeline's shower leakage and noise), a Dalitz decay of one π0 (n_π0 × 1.174%, e+e−
  mass from Kroll & Wada, Phys. Rev. 98 (1955) 1355), or a conversion of one photon in
  W2/S4 downstream of the decay point (thin layers, n_γ × 7/9 Σ t/X0, PDG 2024
  Eq. 34.31); each decay is simulated once per trigger and weighted by the trigger's
  probability (stratified sampling).  Whether the pair gives two MIPs (a conversion early
  in S4, late in W2) is decided by the pipeline, which tracks the e+e− through the
  counters;
* the rest of the event: the beam electron's shower without the photon's energy k, the
  other fast hadrons of the interaction (number 1 + Poisson(½ × 1.5 ⟨n_ch⟩ − 2),
  sharing k − E_K uniformly — a flat Dirichlet, as :func:`~na64.background.upstream.
  escape_probability` —, 2/3 π±, 1/3 π0 showering at once, CKP p_T of 0.35 GeV), those
  below 1 GeV deposited at the interaction point as an EM shower; the pipeline decides
  whether they interact in the dump or cross W2.

K0_L that cross W2 and interact in S4 with a leading π0 are not simulated: their bound
(:func:`s4_interaction_bound`, a few per mille of this source for the shipped setups) is
printed in the source's notes.

The uncertainty is the statistical one of the weighted sample (a decay mode none of whose
events passes adds its zero-pass bound, 1.148/N_mode of its weight) ⊕ the variations of
:meth:`KaonModel.variations` (:func:`variation_sigma`: half the distance between a
group's down and up shifts, groups in quadrature), obtained by reweighting the same
events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..constants import M_E, M_P, M_PI, M_PI0
from ..detector import hadron
from ..detector.hadron import MESON_INTERACTION_LENGTH_SCALE
from ..detector.photonuclear import macroscopic_cross_section
from ..errors import InputError
from ..units import GeV, MeV, mm
from .base import ZERO_PASS_BOUND, BackgroundContext, BackgroundSource, _weighted_flow
from .photon_punch import (
    SIGMA_PAIR,
    _is_visible_setup,
    counter_slabs,
    hard_cascade,
    lowest_ecal_energy,
    sample_conversion,
    sample_pair_fraction,
)
from .registry import register_source
from .upstream import charged_multiplicity

if TYPE_CHECKING:  # pragma: no cover
    from ..detector.setup import Calorimeter

__all__ = ["BR_KL_3PI0", "BR_KS_PI0PI0", "BR_KS_PIPI", "BR_PHI_KSKL", "BR_PI0_DALITZ",
           "CTAU_KL", "CTAU_KS", "M_K0", "K0Production", "KaonModel", "decay_weight",
           "k0_production", "s4_interaction_bound"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: K0 mass and decay lengths cτ (PDG 2024: τ_S = 0.8954e-10 s, τ_L = 5.116e-8 s).
M_K0 = 497.611 * MeV
CTAU_KS = 26.844 * mm
CTAU_KL = 15.34e3 * mm
M_PHI = 1019.461 * MeV
#: Branching ratios (PDG 2024).
BR_KS_PI0PI0 = 0.3069
BR_KS_PIPI = 0.6920
BR_KL_3PI0 = 0.1952
BR_PI0_DALITZ = 0.01174
BR_PHI_KSKL = 0.339

#: Sampling probabilities of the simulated (species, mode) channels: K0_S → π0π0,
#: K0_S → π+π−, K0_L → 3π0 (the event weights undo the choice).  K0_S → π+π− passes
#: only when both pions leave nearly all their energy in the ECAL (charge exchange), which
#: is forced and weighted (``force_cex`` of :func:`na64.detector.response.deposit`).
_MODES = (("KS", "2pi0", BR_KS_PI0PI0, 0.70), ("KS", "pipi", BR_KS_PIPI, 0.25),
          ("KL", "3pi0", BR_KL_3PI0, 0.05))
_SOFT = 1.0 * GeV


@dataclass(frozen=True)
class KaonModel:
    """The K0 yield of a photo-nuclear interaction and the hadrons around it.

    Attributes
    ----------
    k0s_per_charged
        ⟨n_K0S⟩/⟨n_ch⟩ of an interaction, 0.0187 (varied ×0.6–1.4), with
    leading_power
        n of dn/dz = (n + 1)(1 − z)^n, 4.42 (varied ±1; the form of the counting rules,
        Blankenbecler & Brodsky 1974): both fitted (``validation/fit_k0_photoproduction.py``)
        to Geant4 11.4's photo-nuclear model (QGSP strings) for 25–120 GeV photons in
        tungsten, whose K0_S counts above z = 0.2–0.7 they reproduce to 0.6–1.35 and whose
        kaon rate above the ECAL threshold from a shower's photons to 6–9%.  The earlier
        assumption (0.05 from e+e− and pp multiplicities, PDG 2024 fragmentation review;
        n = 3) gave 4–9 times more leading kaons than that model.
    phi_fraction
        σ(γN → φN)/σ_tot(γN), 0.005 (varied ×/÷ 2; Egloff et al. PRL 43 (1979) 657).
    shadowing_alpha
        σ_γA = A^α σ_γp, 0.91 ± 0.03 (Caldwell et al. 1979).
    kaon_lambda_scale
        Kaon interaction length / λ_int, the fast simulation's meson value (±10%).
    mean_pt
        Mean transverse momentum of the hadrons (CKP spectrum), 0.35 GeV.
    """

    k0s_per_charged: float = 0.0187
    leading_power: float = 4.42
    phi_fraction: float = 0.005
    shadowing_alpha: float = 0.91
    kaon_lambda_scale: float = MESON_INTERACTION_LENGTH_SCALE
    mean_pt: float = 350.0 * MeV

    def __post_init__(self) -> None:
        checks = {"k0s_per_charged": (self.k0s_per_charged, 0.0, 1.0),
                  "leading_power": (self.leading_power, 0.0, 20.0),
                  "phi_fraction": (self.phi_fraction, 0.0, 0.5),
                  "shadowing_alpha": (self.shadowing_alpha, 0.5, 1.1),
                  "kaon_lambda_scale": (self.kaon_lambda_scale, 0.5, 3.0),
                  "mean_pt": (self.mean_pt, 10.0 * MeV, 5.0 * GeV)}
        for name, (value, lo, hi) in checks.items():
            if not (math.isfinite(value) and lo <= value <= hi):
                raise InputError(f"KaonModel.{name}", f"must be in [{lo:g}, {hi:g}], "
                                                      f"got {value!r}")

    def variations(self) -> dict[str, tuple[KaonModel, ...]]:
        """The ±1σ variations per parameter group (largest deviation of a group, groups
        added in quadrature)."""
        return {
            f"K0S/n_ch {0.6 * self.k0s_per_charged:.3g}-{1.4 * self.k0s_per_charged:.3g}": (
                replace(self, k0s_per_charged=0.6 * self.k0s_per_charged),
                replace(self, k0s_per_charged=1.4 * self.k0s_per_charged)),
            f"leading power {self.leading_power - 1:.3g}-{self.leading_power + 1:.3g}": (
                replace(self, leading_power=self.leading_power - 1.0),
                replace(self, leading_power=self.leading_power + 1.0)),
            "phi fraction x/2": (replace(self, phi_fraction=self.phi_fraction / 2),
                                 replace(self, phi_fraction=self.phi_fraction * 2)),
            "shadowing alpha +-0.03": (
                replace(self, shadowing_alpha=self.shadowing_alpha - 0.03),
                replace(self, shadowing_alpha=self.shadowing_alpha + 0.03)),
            "kaon lambda +-10%": (replace(self, kaon_lambda_scale=0.9 * self.kaon_lambda_scale),
                                  replace(self, kaon_lambda_scale=1.1 * self.kaon_lambda_scale)),
        }

    def leading_fraction(self, z_min: FloatArray) -> FloatArray:
        """∫_{z_min}^1 (n + 1)(1 − z)^n dz = (1 − z_min)^(n + 1)."""
        return np.clip(1.0 - np.asarray(z_min, dtype=float), 0.0, 1.0) ** (self.leading_power + 1)

    def leading_density(self, z: FloatArray) -> FloatArray:
        """(n + 1)(1 − z)^n."""
        zz = np.clip(np.asarray(z, dtype=float), 0.0, 1.0)
        return (self.leading_power + 1.0) * (1.0 - zz) ** self.leading_power


def _phi_window() -> tuple[float, float]:
    """Energy fraction range of a kaon from a fast φ → K K̄ (isotropic decay)."""
    e_s = 0.5 * M_PHI
    beta = math.sqrt(e_s**2 - M_K0**2) / e_s
    return 0.5 * (1.0 - beta), 0.5 * (1.0 + beta)


def _phi_fraction_above(z_min: FloatArray) -> FloatArray:
    lo, hi = _phi_window()
    return np.clip((hi - np.maximum(np.asarray(z_min, dtype=float), lo)) / (hi - lo), 0.0, 1.0)


@dataclass(frozen=True)
class K0Production:
    """Photo-nuclear interactions of the shower photons above E_min in the dump, resolved
    in photon energy and depth, and the K0 yields above E_min.

    Attributes
    ----------
    k
        Photon energies (MeV), centres of log bins of width ``h``.
    t_edges
        Depth bin edges (X0).
    interactions
        (k, t) photo-nuclear interactions per EOT in each cell.
    inclusive, phi
        (k, t) K0_S per EOT above E_min of each channel (the K0_L yield is equal).
    """

    k: FloatArray
    h: float
    t_edges: FloatArray
    interactions: FloatArray
    inclusive: FloatArray
    phi: FloatArray

    @property
    def total(self) -> float:
        """K0_S above E_min per EOT."""
        return float(self.inclusive.sum() + self.phi.sum())


def k0_production(cal: Calorimeter, e0: float, e_min: float, model: KaonModel | None = None,
                  *, n_bins: int = 40, n_steps: int = 120) -> K0Production:
    """K0 production above ``e_min`` in the dump ``cal`` for a beam electron of ``e0``."""
    m = model or KaonModel()
    if not (0 < e_min < e0):
        raise InputError("e_min", f"must be in (0, {e0:g}) MeV, got {e_min!r}")
    depth = cal.length / cal.X0
    casc = hard_cascade(float(e0), float(e_min), int(n_bins), SIGMA_PAIR)
    grid, photons = casc.track_length(depth, n_steps)
    track = 0.5 * (photons[1:] + photons[:-1]) * np.diff(grid)[:, None]  # (t, k) in X0
    n_sigma = macroscopic_cross_section(cal, casc.energies, m.shadowing_alpha)
    inter = (track * cal.X0 * n_sigma[None, :]).T  # (k, t)
    z_min = e_min / casc.energies
    w2 = M_P**2 + 2.0 * M_P * casc.energies
    incl = m.k0s_per_charged * charged_multiplicity(w2) * m.leading_fraction(z_min)
    phi = m.phi_fraction * BR_PHI_KSKL * _phi_fraction_above(z_min)
    return K0Production(casc.energies, casc.h, grid, inter, inter * incl[:, None],
                        inter * phi[:, None])


def decay_weight(p: FloatArray, z_p: FloatArray, z_d: FloatArray, slope2: FloatArray,
                 region: tuple[float, float], ctau: float) -> FloatArray:
    """Density × Jacobian of a decay at ``z_d`` drawn uniformly in ``region`` (mm from the
    target face) for a kaon of momentum ``p`` made at ``z_p``: e^{−d/λ}/λ × (z_b − z_a) k,
    d = (z_d − z_p) k, k = √(1 + t_x² + t_y²), λ = (p/m) cτ.  Its mean over z_d is the
    probability to decay in the region."""
    k = np.sqrt(1.0 + np.asarray(slope2, dtype=float))
    lam = np.maximum(np.asarray(p, dtype=float), 1e-9) / M_K0 * ctau
    d = np.maximum(np.asarray(z_d, dtype=float) - np.asarray(z_p, dtype=float), 0.0) * k
    with np.errstate(over="ignore", under="ignore"):
        dens = np.exp(-d / lam) / lam
    return np.where(np.isfinite(dens), dens, 0.0) * (region[1] - region[0]) * k


# ------------------------------------------------------------------------------ kinematics
def _boost(p4: FloatArray, rest: FloatArray, mass: FloatArray) -> FloatArray:
    """Boost rest-frame 4-vectors ``rest`` (4, n) by the parent ``p4`` (4, n) of ``mass``."""
    e = p4[0]
    b = p4[1:] / np.maximum(e, 1e-300)
    b2 = np.sum(b * b, axis=0)
    g = e / np.maximum(mass, 1e-300)
    bp = np.sum(b * rest[1:], axis=0)
    coef = np.where(b2 > 1e-12, (g - 1.0) / np.where(b2 > 1e-12, b2, 1.0), 0.5)
    out = np.empty_like(rest)
    out[0] = g * (rest[0] + bp)
    out[1:] = rest[1:] + (coef * bp + g * rest[0]) * b
    return out


def _two_body(p4: FloatArray, mass: FloatArray, m1: FloatArray | float,
              m2: FloatArray | float, rng: np.random.Generator
              ) -> tuple[FloatArray, FloatArray]:
    """Isotropic two-body decay of parents ``p4`` (4, n) of ``mass`` into masses m1, m2
    (PDG 2024 review 49, Sec. 49.4.2), boosted to the lab."""
    n = p4.shape[1]
    mm_ = np.asarray(mass, dtype=float)
    a = np.broadcast_to(np.asarray(m1, dtype=float), (n,))
    b = np.broadcast_to(np.asarray(m2, dtype=float), (n,))
    arg = (mm_**2 - (a + b) ** 2) * (mm_**2 - (a - b) ** 2)
    ps = np.sqrt(np.maximum(arg, 0.0)) / (2.0 * mm_)
    cos = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * math.pi, n)
    sin = np.sqrt(np.clip(1.0 - cos**2, 0.0, 1.0))
    d = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos])
    r1 = np.vstack([np.sqrt(ps**2 + a**2), ps * d])
    r2 = np.vstack([np.sqrt(ps**2 + b**2), -ps * d])
    return _boost(p4, r1, mm_), _boost(p4, r2, mm_)


def _pstar(m: FloatArray, a: float, b: float) -> FloatArray:
    arg = (m**2 - (a + b) ** 2) * (m**2 - (a - b) ** 2)
    return np.sqrt(np.maximum(arg, 0.0)) / (2.0 * m)


def _three_body(p4: FloatArray, mass: float, m_d: float, rng: np.random.Generator
                ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Phase-space decay into three particles of mass ``m_d`` (the Dalitz plot of K → 3π0
    is flat to a few per cent, PDG 2024 K0_L listing): m12 drawn with density ∝ p* q*,
    then two sequential two-body decays."""
    n = p4.shape[1]
    lo, hi = 2.0 * m_d, mass - m_d
    grid = np.linspace(lo, hi, 257)
    fmax = float(np.max(_pstar_pair(mass, grid, m_d))) * 1.05
    out = np.empty(0)
    while out.size < n:
        m12 = rng.uniform(lo, hi, 2 * (n - out.size) + 16)
        keep = rng.random(m12.size) * fmax < _pstar_pair(mass, m12, m_d)
        out = np.concatenate([out, m12[keep]])
    m12 = out[:n]
    p12, p3 = _two_body(p4, np.full(n, mass), m12, m_d, rng)
    p1, p2 = _two_body(p12, m12, m_d, m_d, rng)
    return p1, p2, p3


def _pstar_pair(mass: float, m12: FloatArray, m_d: float) -> FloatArray:
    """p*(M → m12 + m) q*(m12 → m + m): the phase-space density of m12."""
    return (_pstar(np.asarray(m12, dtype=float), m_d, m_d)
            * np.sqrt(np.maximum(((mass**2 - (m12 + m_d) ** 2)
                                  * (mass**2 - (m12 - m_d) ** 2)), 0.0)) / (2.0 * mass))


def _dalitz_mass2(n: int, rng: np.random.Generator) -> FloatArray:
    """e+e− mass² of π0 → e+e−γ: dΓ/ds ∝ (1/s)(1 − s/m²)³ (1 + 2m_e²/s) √(1 − 4m_e²/s)
    (Kroll & Wada, Phys. Rev. 98 (1955) 1355; form factor neglected), drawn uniformly in
    ln s with rejection (the bracket is below 1.2)."""
    lo, hi = math.log(4.0 * M_E**2), math.log(M_PI0**2)
    out = np.empty(0)
    while out.size < n:
        s = np.exp(rng.uniform(lo, hi, 3 * (n - out.size) + 16))
        f = ((1.0 - s / M_PI0**2) ** 3 * (1.0 + 2.0 * M_E**2 / s)
             * np.sqrt(np.clip(1.0 - 4.0 * M_E**2 / s, 0.0, 1.0)))
        out = np.concatenate([out, s[rng.random(s.size) * 1.2 < f]])
    return out[:n]


def _ckp_pt(n: int, mean_pt: float, rng: np.random.Generator) -> FloatArray:
    """p_T from the CKP spectrum dN/dp_T ∝ p_T e^{−2p_T/⟨p_T⟩} (Gamma(2, ⟨p_T⟩/2));
    consistent with :func:`~na64.background.upstream.pt_survival` at power 0."""
    return rng.gamma(2.0, 0.5 * mean_pt, n)


# ------------------------------------------------------------------------------ events
@dataclass
class _Parts:
    """Calorimeter particles accumulated per column."""

    cols: dict[str, list[np.ndarray]]

    @classmethod
    def new(cls) -> _Parts:
        return cls({c: [] for c in ("pdg", "energy", "x", "y", "tx", "ty", "z_start",
                                    "e_invisible", "force_cex", "event")})

    def add(self, rows: IntArray, pdg: int | IntArray, energy: FloatArray, tx: FloatArray,
            ty: FloatArray, x0: FloatArray, y0: FloatArray, z0: FloatArray, *,
            force_cex: bool = False) -> None:
        """Particles of ``rows`` starting at (x0, y0, z0) (mm, z from the target face) with
        slopes (tx, ty): stored as the straight line written at the target face."""
        n = rows.size
        if n == 0:
            return
        self.cols["pdg"].append(np.broadcast_to(np.asarray(pdg, dtype=np.int64), (n,)).copy())
        self.cols["energy"].append(np.maximum(np.asarray(energy, dtype=float), 0.0))
        self.cols["tx"].append(np.asarray(tx, dtype=float))
        self.cols["ty"].append(np.asarray(ty, dtype=float))
        self.cols["x"].append(np.asarray(x0, dtype=float) - np.asarray(tx, dtype=float) * z0)
        self.cols["y"].append(np.asarray(y0, dtype=float) - np.asarray(ty, dtype=float) * z0)
        self.cols["z_start"].append(np.asarray(z0, dtype=float))
        self.cols["e_invisible"].append(np.zeros(n))
        self.cols["force_cex"].append(np.full(n, force_cex, dtype=bool))
        self.cols["event"].append(np.asarray(rows, dtype=np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.cols.items()}


def _slopes(p4: FloatArray) -> tuple[FloatArray, FloatArray]:
    pz = np.maximum(p4[3], 1e-6 * np.maximum(p4[0], 1e-9))
    return p4[1] / pz, p4[2] / pz


def _sample_cells(weights: FloatArray, n: int, rng: np.random.Generator) -> IntArray:
    p = np.maximum(weights.ravel(), 0.0)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _events(ctx: BackgroundContext, rng: np.random.Generator, n: int, prod: K0Production,
            e_min: float, model: KaonModel) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Simulate ``n`` weighted K0 decays; returns (reconstructed events, per-event
    bookkeeping: ``weight`` and what the variations need, ``n_kaons`` = n).  A decay of a
    neutral mode is simulated three times, once per S4 trigger (none, one Dalitz π0, one
    converting photon), each weighted by its probability (stratified sampling), so the
    events are ~2.5 n."""
    from ..generate.visible import decay_region

    pipe = ctx.pipeline
    setup = pipe.setup
    cal = setup.target
    e0 = ctx.energy
    region = decay_region(setup)
    length = cal.length
    lam_int = cal.lambda_int
    slabs = counter_slabs(setup)

    # -- production cell, channel, kaon energy --------------------------------------
    both = prod.inclusive + prod.phi
    cell = _sample_cells(both, n, rng)
    ik, it = np.unravel_index(cell, both.shape)
    y_tot = float(both.sum())
    is_phi = rng.random(n) < prod.phi[ik, it] / np.maximum(both[ik, it], 1e-300)
    k = prod.k[ik] * np.exp(prod.h * (rng.random(n) - 0.5))
    k = np.clip(k, e_min * 1.0001, e0)
    t_p = prod.t_edges[it] + (prod.t_edges[it + 1] - prod.t_edges[it]) * rng.random(n)
    z_p = np.clip(t_p * cal.X0, 0.0, length)
    z_min = np.minimum(e_min / k, 1.0)
    # inclusive: (1 - z) = (1 - z_min) U^(1/(n+1)); phi: uniform in the phi window
    z_inc = 1.0 - (1.0 - z_min) * rng.random(n) ** (1.0 / (model.leading_power + 1.0))
    lo, hi = _phi_window()
    z_phi = rng.uniform(np.maximum(lo, np.minimum(z_min, hi)), hi)
    z = np.where(is_phi, z_phi, z_inc)
    e_k = np.maximum(z * k, M_K0 * 1.001)

    # -- mode (species and decay) ------------------------------------------------------
    q = np.array([m[3] for m in _MODES])
    q_phi = np.where(np.array([m[0] for m in _MODES]) == "KS", q, 0.0)
    u = rng.random(n)
    mode_inc = np.searchsorted(np.cumsum(q / q.sum()), u, side="right")
    mode_phi = np.searchsorted(np.cumsum(q_phi / q_phi.sum()), u, side="right")
    mode = np.minimum(np.where(is_phi, mode_phi, mode_inc), len(_MODES) - 1)
    br = np.array([m[2] for m in _MODES])[mode]
    q_used = np.where(is_phi, (q_phi / q_phi.sum())[mode], (q / q.sum())[mode])
    is_kl = np.array([m[0] == "KL" for m in _MODES])[mode]

    # -- events: the neutral modes once per S4 trigger (0 none, 1 Dalitz, 2 conversion) --
    neutral_k = np.array([m[1] != "pipi" for m in _MODES])[mode]
    nidx = np.flatnonzero(neutral_k)
    src = np.concatenate([np.arange(n), nidx, nidx])
    trigger = np.concatenate([np.where(neutral_k, 0, -1), np.ones(nidx.size, np.int64),
                              np.full(nidx.size, 2, np.int64)])
    is_phi, k, z_p, z, e_k, z_min = (a[src] for a in (is_phi, k, z_p, z, e_k, z_min))
    mode, br, q_used, is_kl = (a[src] for a in (mode, br, q_used, is_kl))
    n_kaons = n
    n = src.size

    # -- beam, kaon direction, decay point -----------------------------------------------
    beam = pipe.core(n, rng)
    e_b = np.asarray(beam["energy"], dtype=float)
    scale = e_b / e0
    bx, by = np.asarray(beam["x"], dtype=float), np.asarray(beam["y"], dtype=float)
    btx, bty = np.asarray(beam["tx"], dtype=float), np.asarray(beam["ty"], dtype=float)
    p_k = np.sqrt(np.maximum(e_k**2 - M_K0**2, 0.0))
    # phi -> K K: p_T of the order of the decay momentum, 110 MeV (0.3 <p_T>)
    pt = np.where(is_phi, _ckp_pt(n, 0.3 * model.mean_pt, rng), _ckp_pt(n, model.mean_pt, rng))
    th = np.minimum(pt / np.maximum(p_k, 1e-9), 0.5)
    ph = rng.uniform(0.0, 2.0 * math.pi, n)
    ktx = btx + np.tan(th) * np.cos(ph)
    kty = bty + np.tan(th) * np.sin(ph)
    xp, yp = bx + btx * z_p, by + bty * z_p
    z_d = rng.uniform(region[0], region[1], n)
    slope2 = ktx**2 + kty**2
    dw = np.where(is_kl, decay_weight(p_k, z_p, z_d, slope2, region, CTAU_KL),
                  decay_weight(p_k, z_p, z_d, slope2, region, CTAU_KS))
    path_dump = (length - z_p) * np.sqrt(1.0 + slope2)
    surv = np.exp(-path_dump / (model.kaon_lambda_scale * lam_int))
    xd, yd = xp + ktx * (z_d - z_p), yp + kty * (z_d - z_p)

    # kaon 4-vector along its direction
    norm = np.sqrt(1.0 + slope2)
    kp4 = np.vstack([e_k, p_k * ktx / norm, p_k * kty / norm, p_k / norm])
    rows = np.arange(n, dtype=np.int64)
    parts = _Parts.new()

    # -- the beam electron's shower without the photon -------------------------------------
    parts.cols["pdg"].append(np.full(n, 11, dtype=np.int64))
    parts.cols["energy"].append(e_b)
    parts.cols["x"].append(bx)
    parts.cols["y"].append(by)
    parts.cols["tx"].append(btx)
    parts.cols["ty"].append(bty)
    parts.cols["z_start"].append(np.zeros(n))
    parts.cols["e_invisible"].append(np.minimum(k * scale, e_b))
    parts.cols["force_cex"].append(np.zeros(n, dtype=bool))
    parts.cols["event"].append(rows)

    # -- the rest of the interaction ---------------------------------------------------------
    rest = np.maximum(k - e_k, 0.0)
    # phi channel (always a followed K0_S): the partner K0_L, a neutral hadron of the
    # pipeline that interacts in the dump or goes on to the ECAL/HCAL
    ph_rows = rows[is_phi]
    if ph_rows.size:
        # the partner balances the kaon's transverse momentum
        ratio = p_k[is_phi] / np.maximum(rest[is_phi], M_K0)
        parts.add(ph_rows, 130, np.maximum(rest[is_phi], M_K0 * 1.001) * scale[is_phi],
                  btx[is_phi] - (ktx - btx)[is_phi] * ratio,
                  bty[is_phi] - (kty - bty)[is_phi] * ratio, xp[is_phi], yp[is_phi],
                  z_p[is_phi])
    inc = ~is_phi
    w2 = M_P**2 + 2.0 * M_P * k
    mean_n = 0.5 * 1.5 * charged_multiplicity(w2) - 1.0
    n_h = np.where(inc, 1 + rng.poisson(np.maximum(mean_n - 1.0, 0.0)), 0)
    n_h = np.minimum(n_h, 24)
    kmax = int(n_h.max()) if n else 0
    local = np.zeros(n)
    if kmax:
        gam = rng.exponential(1.0, (n, kmax))
        used = np.arange(kmax)[None, :] < n_h[:, None]
        gam = np.where(used, gam, 0.0)
        share = gam / np.maximum(gam.sum(axis=1, keepdims=True), 1e-300)
        e_h = rest[:, None] * share
        charged = rng.random((n, kmax)) < 2.0 / 3.0
        fast = used & charged & (e_h >= _SOFT)
        local = (e_h * (used & ~fast)).sum(axis=1)
        r, c = np.nonzero(fast)
        eh = e_h[r, c]
        pth = _ckp_pt(r.size, model.mean_pt, rng)
        p_h = np.sqrt(np.maximum(eh**2 - M_PI**2, 1e-9))
        thh = np.minimum(pth / p_h, 1.0)
        phh = rng.uniform(0.0, 2.0 * math.pi, r.size)
        sign = np.where(rng.random(r.size) < 0.5, 211, -211)
        parts.add(r.astype(np.int64), sign, eh * scale[r], btx[r] + np.tan(thh) * np.cos(phh),
                  bty[r] + np.tan(thh) * np.sin(phh), xp[r], yp[r], z_p[r])
    else:
        local = np.where(inc, rest, 0.0)
    loc = local > 1.0 * MeV
    parts.add(rows[loc], 22, local[loc] * scale[loc], btx[loc], bty[loc], xp[loc], yp[loc],
              z_p[loc])

    # -- the decay --------------------------------------------------------------------
    name = np.array([m[1] for m in _MODES])[mode]
    w_s4 = np.ones(n)
    pipi = name == "pipi"
    if pipi.any():
        # forced step: the first interaction of each pion, wherever the pipeline puts it,
        # is a charge exchange (module docstring); the event carries P_cex^2
        rr = rows[pipi]
        a, b = _two_body(kp4[:, pipi], np.full(rr.size, M_K0), M_PI, M_PI, rng)
        for p4, pdg in ((a, 211), (b, -211)):
            tx, ty = _slopes(p4)
            parts.add(rr, pdg, p4[0] * scale[rr], tx, ty, xd[rr], yd[rr], z_d[rr],
                      force_cex=True)
        w_s4[rr] = hadron.CHARGE_EXCHANGE_PROBABILITY ** 2
    neutral = ~pipi
    rr = rows[neutral]
    if rr.size:
        is3 = name[neutral] == "3pi0"
        pions = np.zeros((3, 4, rr.size))
        n_pi = np.where(is3, 3, 2)
        if (~is3).any():
            a, b = _two_body(kp4[:, rr[~is3]], np.full(int((~is3).sum()), M_K0), M_PI0, M_PI0,
                             rng)
            pions[0][:, ~is3], pions[1][:, ~is3] = a, b
        if is3.any():
            q1, q2, q3 = _three_body(kp4[:, rr[is3]], M_K0, M_PI0, rng)
            pions[0][:, is3], pions[1][:, is3], pions[2][:, is3] = q1, q2, q3
        # S4 trigger: none / Dalitz of one pi0 / conversion of one photon
        n_gam = 2 * n_pi
        p_conv_each, _ = sample_conversion(z_d[rr], slabs, rng)
        p_conv = n_gam * p_conv_each
        p_dal = n_pi * BR_PI0_DALITZ
        mech = trigger[rr]
        w_s4[rr] = np.where(mech == 0, np.maximum(1.0 - p_conv - p_dal, 0.0),
                            np.where(mech == 1, p_dal, p_conv))
        dal_pi = np.where(mech == 1, rng.integers(0, n_pi), -1)
        conv_g = np.where(mech == 2, rng.integers(0, n_gam), -1)
        for j in range(3):  # loop over the pions of a decay, not events
            has = j < n_pi
            p4 = pions[j]
            dal = has & (dal_pi == j)
            ggs = has & ~dal
            if ggs.any():
                g1, g2 = _two_body(p4[:, ggs], np.full(int(ggs.sum()), M_PI0), 0.0, 0.0, rng)
                sub = rr[ggs]
                for gi, g in enumerate((g1, g2)):
                    conv = conv_g[ggs] == 2 * j + gi
                    tx, ty = _slopes(g)
                    keep = ~conv
                    parts.add(sub[keep], 22, g[0][keep] * scale[sub[keep]], tx[keep],
                              ty[keep], xd[sub[keep]], yd[sub[keep]], z_d[sub[keep]])
                    if conv.any():
                        cs = sub[conv]
                        _, zc = sample_conversion(z_d[cs], slabs, rng)
                        zc = np.where(np.isfinite(zc), zc, z_d[cs])
                        x = sample_pair_fraction(cs.size, rng)
                        gx = xd[cs] + tx[conv] * (zc - z_d[cs])
                        gy = yd[cs] + ty[conv] * (zc - z_d[cs])
                        for frac, pdg in ((x, 11), (1.0 - x, -11)):
                            parts.add(cs, pdg, np.maximum(frac * g[0][conv], M_E)
                                      * scale[cs], tx[conv], ty[conv], gx, gy, zc)
            if dal.any():
                sub = rr[dal]
                s = _dalitz_mass2(sub.size, rng)
                mee = np.sqrt(s)
                gstar, g = _two_body(p4[:, dal], np.full(sub.size, M_PI0), mee, 0.0, rng)
                em, ep = _two_body(gstar, mee, M_E, M_E, rng)
                for v, pdg in ((g, 22), (em, 11), (ep, -11)):
                    tx, ty = _slopes(v)
                    parts.add(sub, pdg, np.maximum(v[0], M_E) * scale[sub], tx, ty, xd[sub],
                              yd[sub], z_d[sub])

    weight = y_tot * br / q_used * surv * dw * w_s4  # w_s4: S4 trigger, or w_cex (pi+pi-)
    weight = np.where(np.isfinite(weight), np.maximum(weight, 0.0), 0.0)
    particles = parts.arrays()
    ev = pipe.events(beam, rng, calorimeter=particles)
    book = {"weight": weight, "z": z, "k": k, "is_phi": is_phi, "z_min": z_min,
            "path_dump": path_dump, "lam_int": lam_int, "is_kl": is_kl, "surv_prob": surv,
            "decay_weight": dw, "y_tot": y_tot, "n_kaons": n_kaons, "mode": mode,
            "trigger": trigger}
    return ev, book


def _reweight(book: dict[str, Any], base: KaonModel, var: KaonModel,
              prod_base: K0Production, prod_var: K0Production) -> np.ndarray:
    """Event weights under the model ``var`` from events simulated with ``base``: the
    ratio of the production densities at each event's (k, z, channel) and of the kaon's
    survival in the dump."""
    w = np.asarray(book["weight"], dtype=float)
    z = book["z"]
    r_inc = ((var.k0s_per_charged / base.k0s_per_charged)
             * var.leading_density(z) / np.maximum(base.leading_density(z), 1e-300))
    r_phi = np.full(z.size, var.phi_fraction / base.phi_fraction if base.phi_fraction > 0
                    else 1.0)
    r = np.where(book["is_phi"], r_phi, r_inc)
    r = r * prod_var.interactions.sum() / max(prod_base.interactions.sum(), 1e-300)
    lam_b = base.kaon_lambda_scale * book["lam_int"]
    lam_v = var.kaon_lambda_scale * book["lam_int"]
    r = r * np.exp(-book["path_dump"] / lam_v + book["path_dump"] / lam_b)
    out = w * r
    return np.where(np.isfinite(out), out, 0.0)


def variation_sigma(shifts: list[float]) -> float:
    """The 1σ of a parameter group from the rate shifts of its variations: half the
    distance between the down and up variations when they move the rate in opposite
    directions (the usual symmetrisation of a two-sided ±1σ variation), the largest shift
    when they move it the same way (or for a single variation)."""
    d = [float(x) for x in shifts]
    if len(d) == 2 and d[0] * d[1] < 0:
        return 0.5 * abs(d[0] - d[1])
    return max((abs(x) for x in d), default=0.0)


def s4_interaction_bound(setup: Any, k0l_out: float, p_rest: float = 1.0
                         ) -> tuple[float, float]:
    """Upper bound on K0_L that cross W2 and interact in the decay counter S4.

    A K0_L leaving the dump crosses W2 without a signal; if it interacts in S4 its charged
    products fire S4 and, should a neutral pion take nearly all its energy, the ECAL sees
    one EM shower with E_WCAL + E_ECAL ≈ E0 and the HCAL nothing: the signature.  Its rate
    per EOT is bounded by

        N_KL × (1 − e^{−t_S4 / (s λ_int)}) × P_cex × P_rest,

    with N_KL the K0_L above the ECAL threshold that leave the dump (``k0l_out``, per
    EOT), t_S4 the counter's thickness, s λ_int the meson interaction length of its
    material (s = :data:`~na64.detector.hadron.MESON_INTERACTION_LENGTH_SCALE`) and P_cex
    the fast simulation's probability that a charged pion's interaction gives (nearly)
    all its energy to a neutral pion (:data:`~na64.detector.hadron.
    CHARGE_EXCHANGE_PROBABILITY`), taken for the kaon (K̄0 p → π0 Λ leaves energy to the
    baryon, so fewer kaon interactions are that clean) and P_rest (``p_rest``) the
    probability that the rest of the event passes: the other hadrons of the photo-nuclear
    interaction miss W2, the energy window, the shape and the HCAL.  The K0 source takes
    it from its own K0_S → π0π0 decays with S4 fired (a Dalitz pair or a conversion): the
    same kaons and companions, all the kaon's energy in π0s, two tracks from S4.

    Returns
    -------
    (bound per EOT, interaction probability in S4)
    """
    from ..materials import get_material

    dc = setup.decay_counter
    if dc is None or not k0l_out > 0:
        return 0.0, 0.0
    lam = get_material(dc.material).lambda_int * MESON_INTERACTION_LENGTH_SCALE
    p_int = -math.expm1(-float(dc.length) / lam)
    return float(k0l_out) * p_int * hadron.CHARGE_EXCHANGE_PROBABILITY * p_rest, p_int


def _sum(weights: np.ndarray, mask: np.ndarray, n: int) -> tuple[float, float]:
    w = np.where(mask, weights, 0.0)
    return float(w.sum() / n), float(math.sqrt(float((w**2).sum())) / n)


@register_source("k0_decays",
                 "K0_S/K0_L from photo-nuclear interactions in the WCAL decaying in the decay "
                 "volume (K0_S -> pi0 pi0 -> 4 gamma)",
                 absent_note="k0_decays: not a visible-mode setup (needs a WCAL dump, a decay "
                             "counter and an ECAL); not estimated")
def _k0_decays(ctx: BackgroundContext, rng: np.random.Generator, n: int
               ) -> BackgroundSource | None:
    """Weighted Monte Carlo of K0 decays in the decay volume (module docstring)."""
    setup = ctx.pipeline.setup
    if not _is_visible_setup(setup):
        return None
    e0 = ctx.energy
    e_min = lowest_ecal_energy(ctx)
    model = KaonModel()
    prod = k0_production(setup.target, e0, e_min, model)
    ev, book = _events(ctx, rng, n, prod, e_min, model)
    mask = ctx.selection.mask(ev)
    w = book["weight"]
    nk = int(book["n_kaons"])
    n_ev = int(w.size)
    rate, stat = _sum(w, mask, nk)
    # a mode none of whose events passes adds its zero-pass bound (K0_S -> pi+pi- passes
    # only about once in 10^4-10^5 decays)
    bounds = []
    for j, (sp, md, _, _) in enumerate(_MODES):
        sel = book["mode"] == j
        if sel.any() and not (mask & sel).any():
            bound = ZERO_PASS_BOUND * float(w[sel].sum()) / nk / int(sel.sum())
            bounds.append(f"{sp} -> {md}: no event passes, zero-pass bound {bound:.2g}/EOT "
                          "added to the statistical uncertainty")
            stat = math.hypot(stat, bound)
    var2 = 0.0
    spread = []
    for label, vs in model.variations().items():
        shifts = []
        for v in vs:
            pv = prod if v.shadowing_alpha == model.shadowing_alpha else k0_production(
                setup.target, e0, e_min, v)
            shifts.append(_sum(_reweight(book, model, v, prod, pv), mask, nk)[0] - rate)
        dev = variation_sigma(shifts)
        var2 += dev**2
        spread.append(f"{label}: {dev:.2g} ({', '.join(f'{d:+.2g}' for d in shifts)})")
    unc = math.sqrt(stat**2 + var2)
    flow = _weighted_flow(ctx, ev, w, n_ev / nk)
    esc = float(np.mean(book["surv_prob"]))
    n_int = float(prod.interactions.sum())
    n_pass = int(mask.sum())
    ks_2pi0 = next(j for j, (sp, md, _, _) in enumerate(_MODES) if (sp, md) == ("KS", "2pi0"))
    fired = (book["mode"] == ks_2pi0) & (book["trigger"] > 0)  # trigger 1: Dalitz, 2: conversion
    w_fired = float(w[fired].sum())
    p_rest = float(w[fired & mask].sum()) / w_fired if w_fired > 0 else 1.0
    s4_bound, p_s4 = s4_interaction_bound(setup, prod.total * esc, p_rest)
    modes = ", ".join(f"{sp} -> {md}" for sp, md, _, _ in _MODES)
    notes = (
        f"{n_int:.3g} photo-nuclear interactions/EOT with k > {e_min / GeV:.3g} GeV in the "
        f"WCAL (shower photon track length x sigma_gammaA); {prod.total:.3g} K0_S/EOT above "
        f"{e_min / GeV:.3g} GeV ({prod.phi.sum() / max(prod.total, 1e-300):.1%} from phi -> "
        "K0_S K0_L), the same number of K0_L",
        f"K0 yield: K0_S/n_ch = {model.k0s_per_charged:g}, leading spectrum "
        f"(n+1)(1-z)^{model.leading_power:g}, sigma_phi/sigma_tot = {model.phi_fraction:g}; "
        f"mean kaon survival of the rest of the dump {esc:.2f} "
        f"(lambda_K = {model.kaon_lambda_scale:.3g} lambda_int)",
        f"modes simulated: {modes}; other K0 modes (K0_L semileptonic and pi+pi-pi0) are "
        "not simulated (they need the charged pions to fake the ECAL shower, as K0_S -> "
        "pi+pi-, and K0_L decays are ~1e-3 of K0_S ones in the decay volume)",
        "S4 trigger of the neutral modes: each decay simulated with none (S4 sees only the "
        "pipeline's shower leakage and noise) / one pi0 Dalitz (1.174%) / one photon "
        "converting in W2 or S4 (7/9 t/X0 each), weighted by their probabilities; double "
        "conversions, conversions in air or tracker material of the decay volume are neglected",
        f"K0_S -> pi+pi-: both pions' first interaction forced to be a charge exchange, "
        f"weight P_cex^2 = {hadron.CHARGE_EXCHANGE_PROBABILITY:.3g}^2 (the fast simulation's "
        "charge-exchange probability, fitted to Geant4's 100 GeV pi- with E_HCAL < 1 GeV); "
        "where and whether each pion interacts is the pipeline's",
        "other hadrons of the interaction: 1 + Poisson(0.75 <n_ch> - 2) sharing k - E_K, "
        "2/3 charged pions (tracked by the pipeline: they veto in W2 when they get there), "
        "1/3 pi0 and all hadrons below 1 GeV as a local EM shower; slow target fragments "
        "and evaporation nucleons are ignored; electro-nuclear (virtual-photon) "
        "production by the shower e+- (~5% more) is not included",
        f"K0_L crossing W2 and interacting in S4 (P_int = {p_s4:.2g}) with a leading pi0: "
        f"at most {s4_bound:.2g}/EOT ({s4_bound / max(rate, 1e-300):.1%} of this source; "
        f"K0_L leaving the dump x P_int x P_cex = {hadron.CHARGE_EXCHANGE_PROBABILITY:.3g} "
        f"x P_rest = {p_rest:.2g}, the pass fraction of the K0_S -> 2pi0 decays with S4 "
        "fired), not added; neutrons interacting in S4 "
        "are not estimated (a leading baryon keeps a hadronic share of the energy)",
        f"{n_pass} of {n_ev} weighted events ({nk} decays) pass; uncertainty: statistics "
        f"({stat:.2g}/EOT, {stat / max(rate, 1e-300):.0%}) + model variations by reweighting "
        "the same events, each symmetrised as half its down-up difference ("
        + "; ".join(spread) + ")",
        *bounds,
    )
    return BackgroundSource("K0 from photo-nuclear interactions in the WCAL, decaying in the "
                            "decay volume", rate, unc,
                            "weighted Monte Carlo through the pipeline (decay point uniform "
                            "over the decay region with its Jacobian, S4 trigger stratified)",
                            n_ev, flow, notes)

