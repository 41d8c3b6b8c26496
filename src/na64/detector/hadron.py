"""Hadronic shower ingredients: interaction depth, electromagnetic fraction, profiles.

Sources
-------
* Interaction depth: the probability to survive a depth of L interaction lengths is
  exp(-L) (PDG 2024 Review 34, definition of the nuclear interaction length lambda_I), so depth ~ Exp(1) in
  units of lambda_int.
* Electromagnetic fraction: f_em = 1 - (E/E0)^(k-1) with E0 = 1 GeV, k = 0.82 for pions
  (D. E. Groom, NIM A 572 (2007) 633; T. A. Gabriel et al., NIM A 338 (1994) 336).
  Event-by-event fluctuations are modelled by a Beta distribution with that mean and
  concentration ``kappa`` (variance f(1-f)/(kappa+1)), a model assumption (Groom (2007)
  reports sigma(f_em) of order 0.1 at 10-100 GeV); kappa is fitted to the spread of the
  ECAL energy of 100 GeV pi- in the Geant4 11.4 reference (:data:`KAPPA`).
* Longitudinal profile: Bock et al., NIM 186 (1981) 533, as used by Grindhammer, Rudowicz
  and Peters, NIM A 290 (1990) 469:  dE/ds ∝ w (s/X0)^(a-1) exp(-b s/X0)
  + (1-w) (s/lambda)^(a-1) exp(-d s/lambda) with a = 0.6165 + 0.3183 ln E,
  b = 0.2198, d = 0.9099 - 0.0237 ln E (E in GeV).  Here the first (X0) component carries
  the electromagnetic part f_em E and the second (lambda) component the rest, with the
  rates b and d scaled by fitted factors (:data:`EM_RATE_SCALE`, :data:`HADRONIC_RATE_SCALE`),
  the hadronic one growing towards low energies (:data:`RATE_SCALE_EXPONENT`), and the
  hadronic part carried by clusters of :data:`CLUSTER_ENERGY` (:func:`cluster_count`).
* Interaction lengths of mesons and charge exchange: :data:`MESON_INTERACTION_LENGTH_SCALE`
  and its energy dependence :data:`MESON_SCALE_EXPONENT`,
  :data:`CHARGE_EXCHANGE_PROBABILITY`.

The fitted constants come from ``validation/fit_fastsim.py``: the Geant4 reference of the
``na64e_2016_2018`` calorimeters, 100 GeV pi- against the depth of their first interaction
together with pi- of 2, 5, 10, 20, 50 GeV (``tests/data/g4_em_hadronic.csv``).  With the
low-energy pions in the fit the calorimeters' e/h (``e_over_h`` of the setup, fitted by
the same script) are close to one for the lead/scintillator ECAL (no Birks saturation in
the reference) and ~1.4 for the iron HCAL; the 100 GeV pions alone also
allowed a strongly over-compensating ECAL (e/h 0.34 with showers twice as long), which the
pions of a few GeV exclude.
* Lateral: the planar density R^2/(pi (r^2 + R^2)^2) (the fraction inside r is
  r^2/(r^2 + R^2)) with the unit R = lambda_int/sqrt(19), for which 95% of the energy lies
  within one lambda_int (C. W. Fabjan and F. Gianotti, Rev. Mod. Phys. 75 (2003) 1243,
  Sec. III.B: "95% lateral containment radius ~ lambda_int"); the non-electromagnetic
  part is a core and a tail of that form, the electromagnetic part an EM shower made
  wider (:data:`HADRONIC_CORE_RADIUS_SCALE` ... :data:`EM_PART_WIDTH_SCALE`, fitted to the
  central-cell and 3x3 fractions of Geant4 pions of 2-100 GeV; the single component of
  radius R made the showers of a few GeV twice too wide in the central cell, those of
  100 GeV too narrow).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..units import GeV, MeV

__all__ = ["CHARGE_EXCHANGE_PROBABILITY", "EM_RATE_SCALE", "HADRONIC_RATE_SCALE", "KAPPA",
           "MESON_INTERACTION_LENGTH_SCALE", "bock_parameters", "em_fraction_mean",
           "hadronic_lateral_radius", "interaction_length_scale", "profile_parameters",
           "sample_em_fraction"]

FloatArray = NDArray[np.float64]

_E0 = 1.0 * GeV
_K = 0.82
#: Concentration of the Beta distribution of f_em (:func:`sample_em_fraction`), fitted to
#: the Geant4 11.4 reference (spread of the ECAL energy of 100 GeV pi- against the depth of
#: their first interaction) by ``validation/fit_fastsim.py``.
KAPPA = 3.366

#: Interaction length of charged pions and kaons relative to the nuclear (nucleon)
#: interaction length lambda_int of the materials: mesons have smaller inelastic cross
#: sections than nucleons (the PDG Atomic and Nuclear Properties tables list pion
#: interaction lengths above the nuclear ones for every material).  The value is the
#: ratio fitted to the Geant4 11.4 reference (FTFP_BERT-like list, BGG pi- cross sections)
#: probability of a 100 GeV pi- to interact in the 1.57 lambda_int Pb/Sc ECAL, 0.737 +- 0.014,
#: by ``validation/fit_fastsim.py``; the same ratio is used for kaons (whose cross sections
#: are smaller still) and in every material.
MESON_INTERACTION_LENGTH_SCALE = 1.176
#: Energy dependence of that ratio for charged pions and kaons below 100 GeV: the Geant4
#: reference's pi- interact in the ECAL (1.57 lambda_int) with probability 0.737 at 100
#: GeV, 0.768 at 5 GeV and 0.803 at 2 GeV (their inelastic end points), i.e. lambda_pi /
#: lambda_int = 1.176, 1.072, 0.966: (E/100 GeV)^0.031 and ^0.050; fitted to the end points
#: at 2-50 GeV by ``validation/fit_fastsim.py``.
MESON_SCALE_EXPONENT = 0.0398
_MESONS = np.array([211, 321])

#: Probability that the first inelastic interaction of a charged pion gives (nearly) all
#: its energy to a neutral pion (charge exchange pi- p -> pi0 n and leading-pi0
#: production), so that the shower is electromagnetic and the HCAL sees almost nothing.
#: Fitted by ``validation/fit_fastsim.py`` so that the fast simulation gives the Geant4
#: 11.4 reference's P(E_HCAL < 1 GeV) = 0.003 for 100 GeV pi- (3 of its 1000 events, each
#: with ~98 GeV in the ECAL); its statistical uncertainty is ~60%.
CHARGE_EXCHANGE_PROBABILITY = 0.003430


def interaction_length_scale(pdg: ArrayLike, energy: ArrayLike | None = None) -> FloatArray:
    """lambda/lambda_int of hadrons of ``pdg`` (|pdg| 211, 321: mesons; others 1); with
    ``energy``, the mesons' ratio times (E / 100 GeV)^:data:`MESON_SCALE_EXPONENT` (their
    cross sections on nuclei grow towards a few GeV)."""
    a = np.abs(np.asarray(pdg))
    scale = np.full(a.shape, MESON_INTERACTION_LENGTH_SCALE)
    if energy is not None:
        e = np.maximum(np.asarray(energy, dtype=float), 1.0 * MeV)
        scale = scale * (e / (100.0 * GeV)) ** MESON_SCALE_EXPONENT
    return np.where(np.isin(a, _MESONS), scale, 1.0)


def em_fraction_mean(energy: ArrayLike) -> FloatArray:
    """Mean electromagnetic fraction 1 - (E/E0)^(k-1) (Groom 2007), in [0, 0.95]."""
    e = np.maximum(np.asarray(energy, dtype=float), 1e-3 * GeV)
    return np.clip(1.0 - (e / _E0) ** (_K - 1.0), 0.0, 0.95)


def sample_em_fraction(energy: ArrayLike, rng: np.random.Generator,
                       kappa: float | None = None) -> FloatArray:
    """Event-by-event electromagnetic fraction from a Beta(mean, concentration kappa),
    ``kappa`` defaulting to :data:`KAPPA`."""
    kappa = KAPPA if kappa is None else kappa
    f = np.clip(em_fraction_mean(energy), 1e-3, 0.95)
    return np.asarray(rng.beta(f * kappa, (1.0 - f) * kappa), dtype=float)


def bock_parameters(energy: ArrayLike) -> tuple[FloatArray, float, FloatArray]:
    """Shape a, X0 rate b and lambda rate d of the Bock et al. profile (E in GeV, clamped
    to [1, 1000] GeV, the range of the fit)."""
    ln_e = np.log(np.clip(np.asarray(energy, dtype=float) / GeV, 1.0, 1000.0))
    return 0.6165 + 0.3183 * ln_e, 0.2198, 0.9099 - 0.0237 * ln_e


#: Scales of the Bock et al. rates used by the fast simulation: the X0 (electromagnetic)
#: component takes the rate ``b * EM_RATE_SCALE``, the lambda component ``d *
#: HADRONIC_RATE_SCALE`` (both keep the shape ``a``).  Fitted to the Geant4 11.4 reference
#: (mean ECAL and HCAL energy of 100 GeV pi- against the depth of their first interaction)
#: by ``validation/fit_fastsim.py``: the Bock profile describes the total energy of Fe and U
#: calorimeters, and attributing its X0 component to the pi0 showers alone deposits them too
#: close to the interaction point, its lambda component too early.
EM_RATE_SCALE = 0.8429
HADRONIC_RATE_SCALE = 0.9600
#: The hadronic rate scale holds at this energy and grows towards lower energies as
#: (E / RATE_SCALE_ENERGY)^-RATE_SCALE_EXPONENT: showers of a few GeV are shorter than
#: Bock's profile (exponent fitted by ``validation/fit_fastsim.py`` with the pions of 2-50
#: GeV of the Geant4 reference, ``tests/data/g4_em_hadronic.csv``).
RATE_SCALE_ENERGY = 100.0 * GeV
RATE_SCALE_EXPONENT = 0.3322


def profile_parameters(energy: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray,
                                                    FloatArray]:
    """(shape, rate per X0) of the electromagnetic part and (shape, rate per lambda) of the
    rest of a hadron shower: :func:`bock_parameters` with the fitted rate scales above."""
    a, b, d = bock_parameters(energy)
    e = np.maximum(np.asarray(energy, dtype=float), 1.0 * MeV)
    scale = HADRONIC_RATE_SCALE * (e / RATE_SCALE_ENERGY) ** (-RATE_SCALE_EXPONENT)
    return (a, np.full_like(a, b * EM_RATE_SCALE), a, np.asarray(d * scale, dtype=float))


def hadronic_lateral_radius(lambda_int: float) -> float:
    """R of the hadronic lateral density r^2 / (r^2 + R^2) with 95% containment at one
    lambda_int (R = lambda_int / sqrt(19)), the unit of the core and tail radii below."""
    return lambda_int / math.sqrt(19.0)


#: Lateral profile of the non-electromagnetic part of a hadron shower: a core (the
#: charged secondaries near the axis) of weight HADRONIC_CORE_WEIGHT and a tail (neutrons,
#: wide-angle fragments), each r^2 / (r^2 + R^2) with R the radii below in units of
#: :func:`hadronic_lateral_radius`; and the width of the electromagnetic part relative to
#: an electron shower of its energy (the pi0s come from many points of the cascade).
#: Fitted by ``validation/fit_fastsim.py`` to the central-cell and 3x3 fractions of the
#: ECAL signal of Geant4 pions of 5-100 GeV (before: one radius R, 1, 1.5 and weight 1).
HADRONIC_CORE_RADIUS_SCALE = 0.2348
HADRONIC_TAIL_RADIUS_SCALE = 0.9397
HADRONIC_CORE_WEIGHT = 0.5056
EM_PART_WIDTH_SCALE = 1.961


#: Energy of one cluster of a hadron shower's non-electromagnetic part (MeV; 0: the smooth
#: mean profile), fitted by ``validation/fit_fastsim.py`` (see :func:`cluster_count`).
CLUSTER_ENERGY = 1.0 * GeV


def cluster_count(energy: NDArray[np.floating], cluster_energy: float | None = None
                  ) -> NDArray[np.int64]:
    """Number of clusters that carry the non-electromagnetic energy of hadron showers.

    A hadron shower's energy beyond its first interaction is carried by a few hadrons and
    nuclear fragments, not spread smoothly along the mean profile: at a few GeV either a
    secondary crosses the rest of a calorimeter and deposits behind it, or nothing leaks
    (Fabjan & Gianotti, Rev. Mod. Phys. 75 (2003) 1243, Sec. III.B, on the large
    fluctuations of the longitudinal leakage).  The fast simulation draws the depths of
    ``n = max(1, round(E / cluster_energy))`` equal clusters from the mean profile, which
    keeps the mean and makes the leakage of low-energy showers lumpy; ``cluster_energy``
    (default :data:`CLUSTER_ENERGY`; it must be > 0, the fast simulation uses the smooth
    profile when it is 0) is fitted with the other hadron constants.
    """
    ec = CLUSTER_ENERGY if cluster_energy is None else cluster_energy
    if not ec > 0:
        raise ValueError(f"cluster_energy must be > 0, got {ec}")
    e = np.asarray(energy, dtype=float)
    return np.maximum(np.rint(e / ec), 1).astype(np.int64)
