"""Resonant annihilation e+ e- → A' → χχ̄ of the shower positrons, with forced emission.

Physics
-------
The number of A' produced per electron on target (EOT) by annihilation in a thick target is

    P = n_e ∫ dE (dL_+/dE)(E) σ_ann(E),                                               (1)

with n_e the electron density of the target, dL_+/dE the differential track length of the
shower positrons (:mod:`na64.generate.shower`; the primary itself for a positron beam) and
σ_ann the resonant cross section of :mod:`na64.physics.annihilation` (Marsicano et al.,
arXiv:1802.03794, Sec. II, their thick-target yield; arXiv:2108.04195 for NA64).  The A'
takes the whole positron energy (the atomic electron is at rest: E_A' = E_+ + m_e, of which
E_+ leaves the calorimeter) along the positron direction, so the missing energy of an event
is the energy of the annihilating positron; the rest of the shower stays in the target.

Forced emission
---------------
As for dark bremsstrahlung (:mod:`na64.generate.dark_brem`): every event is a simulated
cascade along whose positron tracks the annihilation probability w = Σ n_e σ(E) ℓ is
accumulated, one annihilation point is drawn ∝ n_e σ dℓ, and the event carries the weight
w / n_events (ε = 1): the weights sum to Eq. (1).  σ(E) is tabulated on a log-E grid fine
enough to resolve the line (step ≤ Γ/(6m) in ln E, Γ ≥ ``MIN_WIDTH_FRACTION`` m, see
:func:`na64.physics.annihilation.annihilation_cross_section`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hepunits import GeV

from ..errors import InputError
from ..materials import Material, get_material
from ..physics.annihilation import (
    MIN_WIDTH_FRACTION,
    annihilation_cross_section,
    integrated_cross_section,
    narrow_line_cross_section,
    resonance_energy,
    resonance_width,
)
from ..physics.widths import ChiKind
from .dark_brem import _finite, _resolve_setup, _target_from_setup, _ThickTargetGenerator

__all__ = ["AnnihilationSignal", "electron_density"]

#: Largest σ table (grid points) of one generator.
_MAX_TABLE = 400_000


def electron_density(setup: Any = None, material: str | Material | None = None) -> float:
    """Electrons per mm³ of a setup's active target (absorber and active layers) or of a
    material.  Annihilation counts every electron (∝ Z), so the scintillator of a sampling
    calorimeter contributes (~10% in the NA64 ECAL), unlike for Z²-weighted bremsstrahlung.
    """
    if setup is not None:
        cal = _resolve_setup(setup).target
        fa = cal.absorber_thickness / cal.layer_thickness
        return (fa * electron_density(material=cal.absorber_material)
                + (1.0 - fa) * electron_density(material=cal.active_material))
    if material is None:
        raise InputError("material", "give a setup or a material")
    mat = get_material(material, field="material")
    return float(sum(z * n for z, _, n in mat.atoms_per_volume()))


class AnnihilationSignal(_ThickTargetGenerator):
    """Weighted A' events from resonant annihilation of the shower positrons.

    Parameters
    ----------
    mass
        A' mass (hepunits), above 2 m_e.  The resonance energy E_R = m²/2m_e − m_e may lie
        outside the range of the shower positrons: the line's tails are still counted.
    target
        Target material (ignored when ``setup`` is given).
    beam
        ``"e-"`` (positrons are shower secondaries) or ``"e+"`` (the beam positron too).
    energy
        Beam energy (default: the setup's, else 100 GeV).
    alpha_D, m_chi, chi
        Dark sector of the invisible decay (α_D = 0.5, m_χ = m/3, Dirac by default): the
        line shape depends on the total width.
    line
        ``"dark-photon"`` (A' → χχ̄ with the dark sector's width) or ``"narrow"`` (a vector
        with unit electron coupling whose own width is far below the drawn one, into every
        final state: the weights are then those of X production, and the final state's
        share is the model's branching ratio; e.g. the L_μ−L_τ and B−L bosons).
    setup
        A :class:`na64.detector.Setup` or the name of a shipped one (target, thickness,
        energy, beam as in :class:`na64.generate.DarkBremSignal`).
    threshold
        Lowest positron energy followed (default ``energy / 100``).
    thickness, n_showers, rng
        As for :class:`na64.generate.DarkBremSignal`.
    """

    #: finer than for bremsstrahlung: a line of Γ/m ~ 1% must span several bins
    _SPECTRUM_BINS = 400

    def __init__(
        self,
        mass: float,
        target: str | Material = "Pb",
        beam: str = "e-",
        energy: float | None = None,
        *,
        alpha_D: float = 0.5,
        m_chi: float | None = None,
        chi: ChiKind = "dirac",
        line: str = "dark-photon",
        setup: Any = None,
        threshold: float | None = None,
        thickness: float | None = None,
        n_showers: int = 20_000,
        rng: np.random.Generator | None = None,
    ) -> None:
        n_e = None
        if setup is not None:
            setup = _resolve_setup(setup)  # a shipped name is loaded once
            target, thickness, setup_energy, setup_beam = _target_from_setup(setup)
            n_e = electron_density(setup=setup)
            energy = setup_energy if energy is None else energy
            beam = setup_beam if setup_beam in ("e-", "e+") else beam
        self.energy = 100 * GeV if energy is None else _finite(energy, "energy")
        self.mass = _finite(mass, "mass")
        self._init_common(beam, thickness, n_showers, rng)
        self.material = get_material(target, field="target")
        self.n_electrons = electron_density(material=self.material) if n_e is None else n_e
        self.alpha_D = float(alpha_D)
        self.m_chi = self.mass / 3.0 if m_chi is None else _finite(m_chi, "m_chi")
        self.chi: ChiKind = chi
        if line not in ("dark-photon", "narrow"):
            raise InputError("line", f"must be 'dark-photon' or 'narrow', got {line!r}")
        self.line = line
        # validates mass (> 2 m_e), alpha_D, m_chi and chi
        self.width = (resonance_width(self.mass, alpha_D=self.alpha_D, m_chi=self.m_chi,
                                      chi=chi) if line == "dark-photon"
                      else MIN_WIDTH_FRACTION * self.mass)
        # E_R may lie above the beam energy: a broad line still has its low-energy tail
        self.e_resonance = float(resonance_energy(self.mass))
        self.threshold = self.energy / 100 if threshold is None else _finite(threshold, "threshold")
        if self.threshold >= self.energy:
            raise InputError("threshold", f"must be below the beam energy {self.energy / GeV:g} GeV")
        self._tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ cross sections
    @property
    def width_fraction(self) -> float:
        """Γ/m of the line drawn (at least :data:`MIN_WIDTH_FRACTION`)."""
        return max(self.width / self.mass, MIN_WIDTH_FRACTION)

    def sigma(self, e_positron: np.ndarray) -> np.ndarray:
        """σ_ann(E_+) per electron (mm², ε = 1) as the generator uses it: into χχ̄ for the
        dark-photon line, into every final state for the narrow line
        (:func:`na64.physics.annihilation.narrow_line_cross_section`)."""
        if self.line == "narrow":
            return narrow_line_cross_section(e_positron, self.mass)
        return _generator_sigma(e_positron, self.mass, self.alpha_D, self.m_chi, self.chi)

    def _table(self, e_min: float) -> tuple[np.ndarray, np.ndarray]:
        """Uniform ln-E grid from e_min to the beam energy and σ on it (cached)."""
        key = float(e_min)
        if key not in self._tables:
            step = self.width_fraction / 6.0
            n = math.ceil(math.log(self.energy * (1 + 1e-9) / e_min) / step) + 1
            n = min(max(n, 65), _MAX_TABLE)
            grid = np.geomspace(e_min, self.energy * (1 + 1e-9), n)
            self._tables[key] = (grid, self.sigma(grid))
        return self._tables[key]

    # ------------------------------------------------------------------ yields
    def production_probability(self, eps: float = 1.0, e_min: float | None = None
                               ) -> tuple[float, float]:
        """A' per EOT from annihilation of positrons above ``e_min``: Eq. (1) by quadrature.

        σ is integrated exactly over each (piecewise-constant) bin of the positron track-length
        spectrum on the fine table; the uncertainty is the spread of 10 shower batches.
        """
        eps = _finite(eps, "eps")
        e_min = self._check_e_min(e_min)
        grid, sig = self._table(e_min)
        # cumulative ∫ σ dE on the table (trapezoids), interpolated at the bin edges
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (sig[1:] + sig[:-1]) * np.diff(grid))])
        values = []
        for s in self._spectrum_batches():
            lo = np.clip(s.edges[:-1], e_min, None)
            hi = np.clip(s.edges[1:], e_min, None)
            sig_int = np.interp(hi, grid, cum) - np.interp(lo, grid, cum)
            values.append(self.n_electrons * float(np.sum(s.positron * sig_int)))
        arr = np.asarray(values)
        return (float(arr.mean() * eps**2),
                float(arr.std(ddof=1) / math.sqrt(arr.size) * eps**2))

    def narrow_width_probability(self, eps: float = 1.0) -> float:
        """Eq. (1) with the narrow-width ∫σ dE: n_e (dL_+/dE)(E_R) × ∫σ dE (a cross-check)."""
        eps = _finite(eps, "eps")
        if self.e_resonance <= self.threshold:
            return 0.0
        # dL+/dE at E_R: mean over E_R ± 5% (the spectrum is smooth there; one bin is noisy)
        lo, hi = 0.95 * self.e_resonance, min(1.05 * self.e_resonance, self.energy)
        dl = np.mean([(s.integral(lo, "positron") - s.integral(hi, "positron")) / (hi - lo)
                      for s in self._spectrum_batches()])
        return float(self.n_electrons * dl * eps**2 * integrated_cross_section(
            self.mass, alpha_D=self.alpha_D, m_chi=self.m_chi, chi=self.chi, width=self.width))

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, rng: np.random.Generator, *, eps: float = 1.0,
               e_min: float | None = None) -> dict[str, np.ndarray]:
        """Simulate ``n`` cascades, each with exactly one annihilation above ``e_min`` where
        it has a positron that can annihilate.

        Returns the columns of :meth:`na64.generate.DarkBremSignal.sample` (``x`` = 1,
        ``theta`` = 0: the A' continues along the positron), with ``e_emitter`` the positron
        energy; ``weight`` sums to :meth:`production_probability`.  Cascades without a
        positron above ``e_min`` have weight 0.
        """
        n, eps, e_min = self._check_sample(n, eps, e_min)
        grid, sig = self._table(e_min)
        lg = np.log(grid)
        rate = self.n_electrons * sig * self.material.X0  # per X0, positrons only
        w_tot, e_pos, z_emit, _, kind = self._forced_cascade(
            n, e_min, np.vstack([np.zeros_like(rate), rate]), lg, rng)
        e_pos = np.where(w_tot > 0, e_pos, self.energy)
        weight = w_tot / n * eps**2
        e_ap = np.clip(e_pos, 0.0, self.energy)
        return {
            "e_emitter": e_pos,
            "emitter_pdg": np.full(n, -11),
            "from_primary": kind >= 2,
            "z": z_emit * self.material.X0,
            "x": np.ones(n),
            "e_aprime": e_ap,
            "theta": np.zeros(n),
            "phi": rng.uniform(0.0, 2.0 * np.pi, n),
            "e_visible": self.energy - e_ap,
            "weight": np.where(np.isfinite(weight), weight, 0.0),
        }

    def reweight(self, events: dict[str, np.ndarray], *, alpha_D: float,
                 m_chi: float | None = None, chi: ChiKind | None = None) -> np.ndarray:
        """Weights of ``events`` (from :meth:`sample`) for another dark sector.

        The event content depends only on the positron energy and depth, so changing α_D,
        m_χ or the χ kind changes only σ(E_+): w' = w σ'(E_+)/σ(E_+).  Exact where σ > 0.
        """
        if self.line != "dark-photon":
            raise InputError("alpha_D", "only a dark-photon line depends on the dark sector")
        e = np.asarray(events["e_emitter"], dtype=float)
        s0 = self.sigma(e)
        s1 = _generator_sigma(e, self.mass, float(alpha_D),
                              self.m_chi if m_chi is None else _finite(m_chi, "m_chi"),
                              self.chi if chi is None else chi)
        w = np.asarray(events["weight"], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(s0 > 0, s1 / np.where(s0 > 0, s0, 1.0), 0.0)
        return np.asarray(np.where(np.isfinite(r), w * r, 0.0))


def _generator_sigma(e_positron: np.ndarray, mass: float, alpha_D: float, m_chi: float,
                     chi: ChiKind) -> np.ndarray:
    """σ_ann per electron (mm², ε → 0 scaled to ε = 1) with the line drawn at least
    :data:`~na64.physics.annihilation.MIN_WIDTH_FRACTION` wide, as the generators tabulate it.

    The total width is taken at ε = 1e-4, where the SM widths (∝ ε²) no longer matter for
    an invisible A' with α_D ≫ ε²α; the yield is then ε² × this σ.
    """
    width = resonance_width(mass, alpha_D=alpha_D, m_chi=m_chi, chi=chi)
    return annihilation_cross_section(e_positron, mass, alpha_D=alpha_D, m_chi=m_chi, chi=chi,
                                      width=width, min_width_fraction=MIN_WIDTH_FRACTION)
