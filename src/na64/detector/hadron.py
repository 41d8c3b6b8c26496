"""Hadronic shower ingredients: interaction depth, electromagnetic fraction, profiles.

Sources
-------
* Interaction depth: the probability to survive a depth of L interaction lengths is
  exp(-L) (PDG 2024 Review 34, definition of the nuclear interaction length lambda_I), so depth ~ Exp(1) in
  units of lambda_int.
* Electromagnetic fraction: f_em = 1 - (E/E0)^(k-1) with E0 = 1 GeV, k = 0.82 for pions
  (D. E. Groom, NIM A 572 (2007) 633; T. A. Gabriel et al., NIM A 338 (1994) 336).
  Event-by-event fluctuations are modelled by a Beta distribution with that mean and
  concentration ``kappa`` (std f(1-f)/(kappa+1)), a model assumption: Groom (2007) reports
  sigma(f_em) of order 0.1 at 10-100 GeV, which kappa = 10 reproduces (sigma ~ 0.13).
* Longitudinal profile: Bock et al., NIM 186 (1981) 533, as used by Grindhammer, Rudowicz
  and Peters, NIM A 290 (1990) 469:  dE/ds ∝ w (s/X0)^(a-1) exp(-b s/X0)
  + (1-w) (s/lambda)^(a-1) exp(-d s/lambda) with a = 0.6165 + 0.3183 ln E,
  b = 0.2198, d = 0.9099 - 0.0237 ln E (E in GeV).  Here the first (X0) component carries
  the electromagnetic part f_em E and the second (lambda) component the rest.
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

__all__ = ["bock_parameters", "em_fraction_mean", "hadronic_lateral_radius", "sample_em_fraction"]

FloatArray = NDArray[np.float64]

_E0 = 1.0 * GeV
_K = 0.82
KAPPA = 10.0


def em_fraction_mean(energy: ArrayLike) -> FloatArray:
    """Mean electromagnetic fraction 1 - (E/E0)^(k-1) (Groom 2007), in [0, 0.95]."""
    e = np.maximum(np.asarray(energy, dtype=float), 1e-3 * GeV)
    return np.clip(1.0 - (e / _E0) ** (_K - 1.0), 0.0, 0.95)


def sample_em_fraction(energy: ArrayLike, rng: np.random.Generator,
                       kappa: float = KAPPA) -> FloatArray:
    """Event-by-event electromagnetic fraction from a Beta(mean, concentration kappa)."""
    f = np.clip(em_fraction_mean(energy), 1e-3, 0.95)
    return np.asarray(rng.beta(f * kappa, (1.0 - f) * kappa), dtype=float)


def bock_parameters(energy: ArrayLike) -> tuple[FloatArray, float, FloatArray]:
    """Shape a, X0 rate b and lambda rate d of the Bock et al. profile (E in GeV, clamped
    to [1, 1000] GeV, the range of the fit)."""
    ln_e = np.log(np.clip(np.asarray(energy, dtype=float) / GeV, 1.0, 1000.0))
    return 0.6165 + 0.3183 * ln_e, 0.2198, 0.9099 - 0.0237 * ln_e


def hadronic_lateral_radius(lambda_int: float) -> float:
    """R of the hadronic lateral density with 95% containment at one lambda_int."""
    return lambda_int / math.sqrt(19.0)
