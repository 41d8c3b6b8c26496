r"""Dark bremsstrahlung of the beam muon, μ N → μ N X, in the active target (NA64mu).

A 160 GeV muon crosses the NA64mu ECAL (about 40 X0 of lead) losing well under 1% of its
energy (ionization and radiative losses, PDG 2024 Sec. 34.6), and none of its shower
secondaries couples to a muon-philic boson: the signal is made by the beam muon alone, at
its nominal energy, uniformly in depth.  The emission probability per muon on target is

.. math::  P = \sum_m f_m\, L\, n_m \int_{x_{\rm lo}}^{x_{\rm hi}} \frac{d\sigma_m}{dx}(x; E_0)\, dx,

with L the target length, f_m the length fraction and n_m the atom density of each
material of a layer, and dσ/dx the exact-tree-level spectrum of
:func:`na64.physics.dark_brem.dsigma_dx` for the muon (spin of the model's X; Kirpichnikov
et al., arXiv:2107.13297, Eq. (4)-(7); Sieber et al., arXiv:2110.15111, Sec. 2).  x_lo is
the lowest X energy that can reach the signal box, x_hi = 1 − m_μ/E0 the kinematic end.

Events (one forced emission each) draw x from a piecewise-linear approximation q(x) of the
spectrum on a grid and carry the exact importance weight P_x(x)/(n q(x)), so the sample is
unbiased whatever the grid.  The X polar angle only sets the recoil muon's transverse kick
(:func:`na64.generate.particles.signal_particles`); it is drawn from the angular factor
1/U² of the Weizsäcker-Williams amplitude, U = E0² x θ² + m_X² (1 − x)/x + m_μ² x
(Liu & Miller, arXiv:1705.01633, Eq. (19)), which holds the angular scale of the exact
result (θ ≈ √U/(E0 √x)).

Not simulated: emission by the muon in the detectors behind the target (the VHCAL), and
the muon's energy loss in front of the emission point (< 0.5% in the NA64mu ECAL).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..constants import M_MU
from ..errors import InputError
from ..physics import dark_brem
from ..units import GeV

__all__ = ["MUON_BEAMS", "MuonBremSignal"]

#: Beam particles of the generator.
MUON_BEAMS: tuple[str, ...] = ("mu-", "mu+")

_N_GRID = 257


class MuonBremSignal:
    """Weighted emissions of a light boson X by the beam muon in the setup's active target.

    Parameters
    ----------
    mass
        X mass (MeV), in (0, E0 − m_μ).
    setup
        The detector setup; its target calorimeter is where X is made, its beam gives the
        default energy.
    energy
        Muon energy E0 (MeV); default: the setup's beam energy.
    beam
        ``"mu-"`` or ``"mu+"`` (the cross section does not depend on the charge).
    coupling
        X-muon coupling in units of e (the weights scale as its square).
    spin
        ``"vector"``, ``"scalar"``, ``"pseudoscalar"`` or ``"axial"``.
    method
        Cross-section approximation of :mod:`na64.physics.dark_brem` (default ``"etl"``).
    """

    def __init__(self, mass: float, *, setup: Any, energy: float | None = None,
                 beam: str = "mu-", coupling: float = 1.0, spin: str = "vector",
                 method: str = "etl") -> None:
        if beam not in MUON_BEAMS:
            raise InputError("beam", f"must be one of {', '.join(MUON_BEAMS)}, got {beam!r}")
        self.beam = beam
        self.energy = float(setup.beam_energy if energy is None else energy)
        self.mass = float(mass)
        if not (math.isfinite(self.mass) and 0 < self.mass < self.energy - M_MU):
            raise InputError("mass", f"must be in (0, E0 - m_mu) = (0, "
                                     f"{(self.energy - M_MU) / GeV:.6g} GeV), got "
                                     f"{self.mass / GeV:.6g} GeV")
        self.coupling = float(coupling)
        self.spin = spin
        self.method = method
        cal = setup.target
        self.length = float(cal.length)
        layer = cal.layer_thickness
        self._materials = [(mat, thick / layer) for mat, thick in
                           ((cal.absorber_material, cal.absorber_thickness),
                            (cal.active_material, cal.active_thickness)) if thick > 0]
        self.x_hi = 1.0 - M_MU / self.energy

    def macroscopic(self, x: np.ndarray) -> np.ndarray:
        """dΣ/dx (per mm per unit x) of the target's layer mix at the beam energy."""
        out = np.zeros_like(np.asarray(x, dtype=float))
        for mat, frac in self._materials:
            n_atoms = sum(n for _, _, n in mat.atoms_per_volume())
            out = out + frac * n_atoms * dark_brem.dsigma_dx(
                x, self.mass, self.energy, lepton=self.beam, target=mat,
                coupling=self.coupling, method=self.method, spin=self.spin)
        return out

    def x_range(self, e_min: float) -> tuple[float, float]:
        """The generated range of x = E_X/E0 for X energies above ``e_min``."""
        x_lo = max(e_min, self.mass) / self.energy
        if not x_lo < self.x_hi:
            raise InputError("e_min", f"must be below E0 - m_mu = "
                                      f"{(self.energy - M_MU) / GeV:.6g} GeV")
        return x_lo, self.x_hi

    def _grid(self, x_lo: float, x_hi: float) -> np.ndarray:
        """Nodes dense near both ends: uniform in x and log-spaced towards x_hi."""
        uni = np.linspace(x_lo, x_hi, _N_GRID // 2)
        gap = x_hi - x_lo
        near = x_hi - gap * np.geomspace(1.0, 1e-6, _N_GRID // 2)
        return np.unique(np.clip(np.concatenate([uni, near]), x_lo, x_hi))

    def production(self, e_min: float) -> float:
        """Emissions with E_X > ``e_min`` per muon on target (at the set coupling)."""
        x_lo, x_hi = self.x_range(e_min)
        x = self._grid(x_lo, x_hi)
        return float(self.length * np.trapezoid(self.macroscopic(x), x))

    def sample(self, n: int, rng: np.random.Generator, *, e_min: float) -> dict[str, np.ndarray]:
        """``n`` weighted emissions with E_X > ``e_min``.

        Returns the truth columns of the signal processes (``e_aprime``, ``e_emitter``,
        ``from_primary``, ``z``, ``theta``, ``phi``, ``weight``: emissions per muon on
        target at the set coupling).
        """
        if isinstance(n, bool) or not 1 <= int(n) <= 100_000_000:
            raise InputError("n", f"must be in [1, 1e8], got {n}")
        n = int(n)
        x_lo, x_hi = self.x_range(e_min)
        grid = self._grid(x_lo, x_hi)
        pdf = np.maximum(self.macroscopic(grid), 0.0)
        seg = 0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid)
        total_q = float(seg.sum())
        if not total_q > 0:
            return _empty(n, self.energy)
        cdf = np.concatenate([[0.0], np.cumsum(seg)]) / total_q
        x = _sample_piecewise_linear(grid, pdf, cdf, rng.random(n))
        q = np.interp(x, grid, pdf) / total_q
        p_x = self.macroscopic(x)
        weight = np.where(q > 0, self.length * p_x / (n * np.where(q > 0, q, 1.0)), 0.0)
        theta = self._angles(x, rng)
        return {
            "e_aprime": x * self.energy,
            "e_emitter": np.full(n, self.energy),
            "from_primary": np.ones(n, dtype=bool),
            "z": rng.random(n) * self.length,
            "theta": theta,
            "phi": rng.random(n) * 2.0 * math.pi,
            "weight": weight,
        }

    def _angles(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """θ_X from dP/dθ² ∝ 1/U², U = E0² x θ² + U0 (arXiv:1705.01633, Eq. (19)), θ ≤ 1."""
        e0 = self.energy
        u0 = self.mass**2 * (1.0 - x) / x + M_MU**2 * x
        a = e0**2 * x
        u_max = u0 + a  # θ_max = 1 rad
        r = rng.random(x.size)
        # inverse of F(u) = (1/u0 - 1/u) / (1/u0 - 1/u_max)
        inv_u = 1.0 / u0 - r * (1.0 / u0 - 1.0 / u_max)
        theta2 = np.maximum(1.0 / inv_u - u0, 0.0) / a
        return np.sqrt(np.minimum(theta2, 1.0))


def _sample_piecewise_linear(grid: np.ndarray, pdf: np.ndarray, cdf: np.ndarray,
                             u: np.ndarray) -> np.ndarray:
    """Exact inverse-CDF draws from the piecewise-linear density through (grid, pdf) whose
    normalised CDF at the nodes is ``cdf``."""
    total = float((0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid)).sum())
    i = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, grid.size - 2)
    x0, h = grid[i], grid[i + 1] - grid[i]
    f0 = pdf[i]
    slope = (pdf[i + 1] - f0) / h
    area = np.maximum(u - cdf[i], 0.0) * total
    # f0 t + slope t²/2 = area, in the form stable for either sign of the slope
    den = f0 + np.sqrt(np.maximum(f0**2 + 2.0 * slope * area, 0.0))
    t = np.where(den > 0, 2.0 * area / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(x0 + np.minimum(t, h), grid[0], grid[-1])


def _empty(n: int, energy: float) -> dict[str, np.ndarray]:
    zeros = np.zeros(n)
    return {"e_aprime": zeros.copy(), "e_emitter": np.full(n, energy),
            "from_primary": np.ones(n, bool), "z": zeros.copy(), "theta": zeros.copy(),
            "phi": zeros.copy(), "weight": zeros.copy()}
