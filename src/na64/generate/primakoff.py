r"""ALP production by Primakoff conversion of the shower photons, with forced emission.

Physics
-------
The number of ALPs produced per electron on target (EOT) in a thick active target is

.. math::

    P = n_{atoms} \int_{E_{min}} dk\, \frac{dL_\gamma}{dk}(k)\, \sigma_P(k),             \qquad (1)

with :math:`dL_\gamma/dk` the differential track length of the shower photons
(:mod:`na64.generate.shower`, the photons' free paths scored by energy) and σ_P the Primakoff
cross section per atom γN → aN of :mod:`na64.physics.primakoff`.  Eq. (1) is the
track-length formulation of a thick-target yield (Tsai, Rev. Mod. Phys. 46 (1974) 815,
Sec. III; Rossi's photon track length 0.572 X0 E0/k² for k ≪ E0 in Approximation A), as
used for the NA64 ALP search (arXiv:2005.02710; arXiv:2004.04469).  The ALP takes the whole
photon energy (the nuclear recoil t/2M ≲ 10⁻² MeV is neglected) at an angle θ drawn from
dσ/dθ (:func:`na64.physics.primakoff.sample_theta`, θ ~ m_a²/2k² to ~√d/k), so
E_min on the ALP energy is E_min on the photon energy.

Forced emission
---------------
As for dark bremsstrahlung (:mod:`na64.generate.dark_brem`) and annihilation
(:mod:`na64.generate.annihilation`): each event is a simulated cascade along whose photon
tracks the conversion probability w = Σ n_atoms σ_P(k) ℓ is accumulated, one conversion
point is drawn ∝ n_atoms σ_P dℓ (:func:`na64.generate._cascade.run_cascade` with a photon
rate row), and the event carries the weight ``w g² / n_events``; the weights sum to Eq. (1)
within the Monte Carlo error.  A cascade without a photon above E_min has weight 0.

The weights are per unit coupling g_aγγ = 1 MeV⁻¹ (internal units) unless ``g_agg`` is
given; they scale as g².
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..materials import Material
from ..physics.primakoff import sample_theta, total_cross_section
from .dark_brem import _GL4_W, _GL4_X, _finite, _ThickTargetGenerator, drop_empty

__all__ = ["PrimakoffSignal", "drop_empty"]

#: Points of the σ_P(k) table (log-spaced from E_min to the beam energy); σ_P varies by
#: less than a factor 10 per decade, so linear interpolation in ln k is accurate to < 1e-3.
_TABLE_POINTS = 129
#: Photon code of :func:`na64.generate._cascade.run_cascade` for emitters (4; 5 if primary).
_PHOTON_KIND = 4


class PrimakoffSignal(_ThickTargetGenerator):
    """Weighted ALP events from Primakoff conversion of the shower photons.

    Parameters
    ----------
    mass
        ALP mass m_a (hepunits), below the beam energy.
    target
        Target material (ignored when ``setup`` is given).
    beam
        ``"e-"`` or ``"e+"``.
    energy
        Beam energy (default: the setup's, else 100 GeV).
    setup
        A :class:`na64.detector.Setup` or the name of a shipped one: its active-target
        calorimeter defines the target (absorber atoms diluted by their volume fraction,
        layer-averaged X0 and E_c; the Z² Primakoff process off the scintillator, Z² = 36
        against 6724 for Pb, is neglected as for dark bremsstrahlung), thickness and beam.
    threshold
        Lowest photon (= ALP) energy followed (default ``energy / 100``), at least m_a.
    thickness, n_showers, rng
        As for :class:`na64.generate.DarkBremSignal`.
    """

    def __init__(
        self,
        mass: float,
        target: str | Material = "Pb",
        beam: str = "e-",
        energy: float | None = None,
        *,
        setup: Any = None,
        threshold: float | None = None,
        thickness: float | None = None,
        n_showers: int = 20_000,
        rng: np.random.Generator | None = None,
    ) -> None:
        self._init_emitter(mass, target, beam, energy, setup, threshold, thickness, n_showers,
                           rng)
        #: total number of atoms per mm³ (σ_P is per atom of the mixture)
        self.n_atoms = float(sum(n for _, _, n in self.material.atoms_per_volume()))
        self._tables: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ cross sections
    def sigma(self, k: np.ndarray) -> np.ndarray:
        """σ_P(k) per atom of the target (mm²) at g_aγγ = 1 MeV⁻¹."""
        return np.asarray(total_cross_section(self.mass, np.asarray(k, dtype=float),
                                              coupling=1.0, target=self.material), dtype=float)

    def _table(self, e_min: float) -> tuple[np.ndarray, np.ndarray]:
        """σ_P on a log grid from ``e_min`` to the beam energy (cached)."""
        key = float(e_min)
        if key not in self._tables:
            grid = np.geomspace(e_min, self.energy * (1 + 1e-9), _TABLE_POINTS)
            self._tables[key] = (grid, self.sigma(grid))
        return self._tables[key]

    # ------------------------------------------------------------------ yields
    def production_probability(self, g_agg: float = 1.0, e_min: float | None = None
                               ) -> tuple[float, float]:
        """ALPs per EOT with energy above ``e_min``: Eq. (1) by quadrature.

        The photon track-length spectrum is piecewise constant in 200 log bins; σ_P is
        integrated in each bin with 4-point Gauss-Legendre in ln k on the interpolated table.
        The uncertainty is the spread of 10 independent batches of showers.

        Parameters
        ----------
        g_agg
            Coupling g_aγγ in MeV⁻¹ (``1e-4 / GeV``); the yield scales as its square.
        e_min
            Lowest ALP energy counted (default: the generator's threshold).

        Returns
        -------
        (value, uncertainty)
        """
        g = _finite(g_agg, "g_agg")
        e_min = self._check_e_min(e_min)
        grid, sig = self._table(e_min)
        lg = np.log(grid)
        values = []
        for s in self._spectrum_batches():
            lo = np.clip(s.edges[:-1], e_min, None)
            hi = np.clip(s.edges[1:], e_min, None)
            half = 0.5 * (np.log(hi) - np.log(lo))
            le = np.log(lo)[:, None] + half[:, None] * (_GL4_X[None, :] + 1.0)
            nodes = np.interp(le, lg, sig, left=0.0, right=0.0)
            sig_int = np.sum(nodes * np.exp(le) * _GL4_W[None, :], axis=1) * half
            values.append(self.n_atoms * float(np.sum(s.photon * sig_int)))
        arr = np.asarray(values)
        return (float(arr.mean() * g * g),
                float(arr.std(ddof=1) / math.sqrt(arr.size) * g * g))

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, rng: np.random.Generator, *, g_agg: float = 1.0,
               e_min: float | None = None) -> dict[str, np.ndarray]:
        """Simulate ``n`` cascades, each with one Primakoff conversion above ``e_min`` where
        it has a photon that can convert.

        Returns
        -------
        dict of numpy arrays, one entry per event, the columns of
        :meth:`na64.generate.DarkBremSignal.sample`:
            ``e_emitter`` photon energy (MeV), ``emitter_pdg`` (22), ``from_primary`` (the
            beam particle itself: never, for an e± beam), ``z`` (mm) conversion depth,
            ``x`` = E_a/k = 1, ``e_aprime`` the ALP energy (MeV), ``theta``, ``phi`` (rad)
            of the ALP to the beam axis (the 1-D cascade keeps the photons on the axis),
            ``e_visible`` = E0 - E_a, ``weight`` (ALPs per EOT carried by the event; the
            weights sum to :meth:`production_probability`).  Cascades without a photon above
            ``e_min`` have weight 0.
        """
        n, _, e_min = self._check_sample(n, 1.0, e_min)
        g = _finite(g_agg, "g_agg")
        grid, sig = self._table(e_min)
        lg = np.log(grid)
        rate = self.n_atoms * sig * self.material.X0  # per X0, photons only
        zeros = np.zeros_like(rate)
        w_tot, k_emit, z_emit, _, kind = self._forced_cascade(
            n, e_min, np.vstack([zeros, zeros, rate]), lg, rng)
        converted = (w_tot > 0) & (kind >= _PHOTON_KIND)
        k = np.where(converted, k_emit, self.energy)
        theta = np.zeros(n)
        if np.any(converted):
            theta[converted] = sample_theta(self.mass, k[converted], rng, target=self.material)
        weight = np.where(converted, w_tot / n * g * g, 0.0)
        e_a = np.clip(k, 0.0, self.energy)
        return {
            "e_emitter": k,
            "emitter_pdg": np.full(n, 22),
            "from_primary": kind == _PHOTON_KIND + 1,
            "z": z_emit * self.material.X0,
            "x": np.ones(n),
            "e_aprime": e_a,
            "theta": theta,
            "phi": rng.uniform(0.0, 2.0 * np.pi, n),
            "e_visible": self.energy - e_a,
            "weight": np.where(np.isfinite(weight), weight, 0.0),
        }
