"""The hadronic component of electromagnetic showers: photo-nuclear interactions of the
shower photons in the calorimeter that absorbs the shower.

A few percent of the 100 GeV showers in lead have a photon of a GeV or more absorbed by a
nucleus; the hadrons it makes (energy ~k, the photon's) shower from deep inside the
calorimeter with the hadronic response, and they are the rare electromagnetic showers that
leak into the HCAL.  The giant-resonance losses of the soft photons are separate
(:func:`na64.detector.em.sample_nuclear_loss`).  This module gives the rate, the photon
energies and the depths of those interactions; the fast simulation does not put them into
its showers yet (``tests/test_fastsim_geant4_hadronic.py`` keeps the electron rows that
need them as expected failures).  Against the Geant4 reference
(``tests/data/g4_em_hadronic.csv``, 2000 e− of 100 GeV) the interactions per shower above
1, 2, 5, 10 GeV are 0.020, 0.010, 0.0039, 0.0018 here and 0.026 ± 0.004, 0.0085 ± 0.002,
0.004 ± 0.0014, 0.0005 ± 0.0005 there (``tests/test_photonuclear.py``).

Sources
-------
* Photon track length in a shower of energy E0: dT/dk = C X0 E0/k² with C = 0.572 for
  ε_c ≪ k < E0 (Approximation B; Y. S. Tsai and V. Whitis, Phys. Rev. 149 (1966) 1248,
  Sec. II, the thick-target track length the backgrounds use as well).
  na64's own cascade Monte Carlo (:func:`na64.generate.shower.track_length_spectrum`)
  gives C = 0.55-0.61 from 0.2 to 60 GeV in a 100 GeV shower (``tests/test_photonuclear.py``).
* Photo-absorption cross section σ_γA(k) = A^0.91 σ_γp
  (:func:`na64.physics.photoabsorption.sigma_gamma_nucleus`).
* Depth of the absorbed photon: Gamma distributed in t = depth/X0 after the shower's start,
  with mean ln(E0/k) + :data:`DEPTH_OFFSET` and variance :data:`DEPTH_VARIANCE` × mean.
  Both constants are a fit to the photon track length against depth of na64's cascade
  Monte Carlo (100 and 20 GeV e− in lead, ``validation/fit_photon_depth.py``: offset 1.278,
  variance ratio 1.430 over the photons with ln(E0/k) > 1), checked by
  ``tests/test_photonuclear.py``.

The mean number of interactions of photons above ``k_min`` in a shower of energy E0 is

    μ(E0) = C E0 X0 ∫_{k_min}^{E0} Σ_γA(k) / k² dk,

Σ_γA = Σ_i f_i n_i σ_γA(k; A_i) over the calorimeter's layer materials (thickness shares
f_i), X0 the layer mixture's radiation length: ~0.02 for 100 GeV in the NA64 ECAL with
k_min = 1 GeV.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..physics.photoabsorption import sigma_gamma_nucleus
from ..units import GeV, TeV

if TYPE_CHECKING:
    from .setup import Calorimeter

__all__ = [
    "DEPTH_OFFSET",
    "DEPTH_VARIANCE",
    "K_MIN",
    "TRACK_LENGTH_CONSTANT",
    "PhotonuclearTable",
    "interactions_above",
    "macroscopic_cross_section",
    "photonuclear_table",
    "sample_interactions",
]

FloatArray = NDArray[np.float64]

#: Rossi's Approximation B: photon track length dT/dk = C X0 E0 / k²
TRACK_LENGTH_CONSTANT = 0.572
#: lowest photon energy of the tables (a choice, not a fit): a hadronic system below it
#: cannot give the GeV signals behind the calorimeter that matter, and below s = 4 GeV²
#: (k ≈ 1.7 GeV) σ_γp is the resonance region that the Donnachie–Landshoff fit holds constant
K_MIN = 1.0 * GeV
#: mean depth of the absorbed photon, in X0 after the shower's start: ln(E0/k) + this
DEPTH_OFFSET = 1.27
#: variance of that depth (X0²) per X0 of its mean (a Gamma distribution)
DEPTH_VARIANCE = 1.45
#: highest shower energy of the tables
_K_MAX = 100.0 * TeV
_GRID = 400
#: tables by the materials, shares and X0 of the calorimeter's layers
_TABLES: dict[tuple[object, ...], PhotonuclearTable] = {}


@dataclass(frozen=True)
class PhotonuclearTable:
    """Cumulative integral I(k) = ∫_{k_min}^{k} Σ_γA(k')/k'² dk' of one calorimeter.

    Attributes
    ----------
    k
        Photon energies (MeV), log-spaced from :data:`K_MIN`.
    cumulative
        I(k) (1/(mm MeV)), zero at ``k[0]``.
    x0
        Radiation length of the layer mixture (mm).
    """

    k: FloatArray
    cumulative: FloatArray
    x0: float

    def mean_interactions(self, energy: NDArray[np.floating]) -> FloatArray:
        """μ(E0): photo-nuclear interactions of photons above k_min per shower."""
        e0 = np.clip(np.asarray(energy, dtype=float), 0.0, self.k[-1])
        return TRACK_LENGTH_CONSTANT * e0 * self.x0 * np.interp(e0, self.k, self.cumulative)

    def sample_energy(self, energy: NDArray[np.floating], rng: np.random.Generator
                      ) -> FloatArray:
        """Photon energy of an interaction in each shower of ``energy`` (each > k_min):
        density ∝ Σ_γA(k)/k² on [k_min, E0]."""
        e0 = np.clip(np.asarray(energy, dtype=float), self.k[0], self.k[-1])
        target = rng.random(e0.size) * np.interp(e0, self.k, self.cumulative)
        return np.minimum(np.interp(target, self.cumulative, self.k), e0)


def macroscopic_cross_section(cal: Calorimeter, k: ArrayLike, alpha: float = 0.91
                              ) -> FloatArray:
    """Σ_i f_i n_i σ_γA_i(k) (1/mm) of a calorimeter's layer mixture (its materials by their
    thickness shares f_i), σ_γA with the shadowing exponent ``alpha``
    (:func:`na64.physics.photoabsorption.sigma_gamma_nucleus`)."""
    kk = np.asarray(k, dtype=float)
    out = np.zeros_like(kk)
    for material, share in cal.layer_fractions:
        for _z, a, n in material.atoms_per_volume():
            out = out + share * n * sigma_gamma_nucleus(kk, a, alpha)
    return out


def interactions_above(cal: Calorimeter, energy: float, k_min: float, alpha: float = 0.91
                       ) -> float:
    """Photo-nuclear interactions of photons above ``k_min`` in one shower of ``energy``
    absorbed in ``cal``: ∫ C X0 E0/k² Σ_γA(k) dk from ``k_min`` to E0 (64 log-spaced points;
    σ_γA varies slowly), 0 if ``k_min`` is not below E0."""
    if not (0 < k_min < energy):
        return 0.0
    k = np.geomspace(k_min, energy, 64)
    integrand = (TRACK_LENGTH_CONSTANT * cal.X0 * energy / k**2
                 * macroscopic_cross_section(cal, k, alpha))
    return float(np.trapezoid(integrand, k))


def _table(cal: Calorimeter) -> PhotonuclearTable:
    k = np.geomspace(K_MIN, _K_MAX, _GRID)
    # integrand Σ(k)/k²; trapezoids in ln k of k·(Σ/k²) = Σ/k
    f = macroscopic_cross_section(cal, k) / k
    lk = np.log(k)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]) * np.diff(lk))])
    return PhotonuclearTable(k=k, cumulative=cum, x0=float(cal.X0))


def photonuclear_table(cal: Calorimeter) -> PhotonuclearTable:
    """The (cached) photo-nuclear table of a calorimeter's layer mixture."""
    key = (tuple((m.name, m.Z, m.A, m.density, share) for m, share in cal.layer_fractions),
           float(cal.X0))
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = _table(cal)
    return table


def sample_interactions(table: PhotonuclearTable, energy: NDArray[np.floating],
                        rng: np.random.Generator
                        ) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Photo-nuclear interactions of photons above k_min in showers of ``energy``.

    Returns
    -------
    (index, k, depth)
        For each interaction: the index of its shower in ``energy``, the absorbed photon's
        energy (MeV) and its depth after the shower's start (in X0).  The photons of one
        shower never take more than its energy (they are scaled down in the rare showers
        where the draws would).
    """
    e0 = np.asarray(energy, dtype=float)
    mu = table.mean_interactions(e0)
    counts = rng.poisson(mu)
    index = np.repeat(np.arange(e0.size), counts)
    if index.size == 0:
        return index, np.zeros(0), np.zeros(0)
    k = table.sample_energy(e0[index], rng)
    total = np.bincount(index, weights=k, minlength=e0.size)
    over = total > e0
    if over.any():
        k *= np.where(over[index], e0[index] / np.maximum(total[index], 1e-300), 1.0)
    mean = np.log(e0[index] / k) + DEPTH_OFFSET
    depth = rng.gamma(mean / DEPTH_VARIANCE, DEPTH_VARIANCE)
    return index, k, depth
