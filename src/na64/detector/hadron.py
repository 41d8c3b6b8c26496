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
  rates b and d scaled by fitted factors (:data:`EM_RATE_SCALE`, :data:`HADRONIC_RATE_SCALE`).
* Interaction lengths of mesons and charge exchange: :data:`MESON_INTERACTION_LENGTH_SCALE`,
  :data:`CHARGE_EXCHANGE_PROBABILITY`.

The fitted constants come from ``validation/fit_fastsim.py`` (the Geant4 reference of the
``na64e_2016_2018`` calorimeters, 100 GeV pi-); with them the e/h of the setup's
calorimeters (``e_over_h``, fitted by the same script) are effective values of this model:
the ECAL's (~0.34) absorbs the scintillator's enhanced response to the non-EM part of
showers in a simulation without Birks saturation and the EM fraction the model assumes.
* Lateral: a single component of the planar density R^2/(pi (r^2 + R^2)^2) with
  R = lambda_int/sqrt(19), so that 95% of the energy lies within one lambda_int
  (C. W. Fabjan and F. Gianotti, Rev. Mod. Phys. 75 (2003) 1243, Sec. III.B: "95% lateral
  containment radius ~ lambda_int"); the fraction inside r is r^2/(r^2 + R^2).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..units import GeV

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
KAPPA = 3.8

#: Interaction length of charged pions and kaons relative to the nuclear (nucleon)
#: interaction length lambda_int of the materials: mesons have smaller inelastic cross
#: sections than nucleons (the PDG Atomic and Nuclear Properties tables list pion
#: interaction lengths above the nuclear ones for every material).  The value is the
#: ratio fitted to the Geant4 11.4 reference (FTFP_BERT-like list, BGG pi- cross sections)
#: probability of a 100 GeV pi- to interact in the 1.57 lambda_int Pb/Sc ECAL, 0.737 +- 0.014,
#: by ``validation/fit_fastsim.py``; the same ratio is used for kaons (whose cross sections
#: are smaller still) and in every material.
MESON_INTERACTION_LENGTH_SCALE = 1.176
_MESONS = np.array([211, 321])

#: Probability that the first inelastic interaction of a charged pion gives (nearly) all
#: its energy to a neutral pion (charge exchange pi- p -> pi0 n and leading-pi0
#: production), so that the shower is electromagnetic and the HCAL sees almost nothing.
#: Fitted by ``validation/fit_fastsim.py`` so that the fast simulation gives the Geant4
#: 11.4 reference's P(E_HCAL < 1 GeV) = 0.003 for 100 GeV pi- (3 of its 1000 events, each
#: with ~98 GeV in the ECAL); its statistical uncertainty is ~60%.
CHARGE_EXCHANGE_PROBABILITY = 0.005986


def interaction_length_scale(pdg: ArrayLike) -> FloatArray:
    """lambda/lambda_int of hadrons of ``pdg`` (|pdg| 211, 321: mesons; others 1)."""
    a = np.abs(np.asarray(pdg))
    return np.where(np.isin(a, _MESONS), MESON_INTERACTION_LENGTH_SCALE, 1.0)


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
EM_RATE_SCALE = 0.8202
HADRONIC_RATE_SCALE = 0.4384


def profile_parameters(energy: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray,
                                                    FloatArray]:
    """(shape, rate per X0) of the electromagnetic part and (shape, rate per lambda) of the
    rest of a hadron shower: :func:`bock_parameters` with the fitted rate scales above."""
    a, b, d = bock_parameters(energy)
    return (a, np.full_like(a, b * EM_RATE_SCALE), a,
            np.asarray(d * HADRONIC_RATE_SCALE, dtype=float))


def hadronic_lateral_radius(lambda_int: float) -> float:
    """R of the hadronic lateral density with 95% containment at one lambda_int."""
    return lambda_int / math.sqrt(19.0)
