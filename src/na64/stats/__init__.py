"""Statistics for counting experiments: CLs upper limits, expected bands, combination of runs,
projections to larger exposures and the conversion to limits on the coupling eps.

Model: ``n ~ Poisson(kappa*s + beta)`` per run, with Gamma priors on the background ``beta``
(mean ``b``, sd ``sigma_b``) and on the signal scale ``kappa`` (mean 1, sd ``sigma_s_rel``),
marginalized (Cousins-Highland); CLs is summed exactly over the discrete outcomes.  See
:mod:`na64.stats.marginal`, :mod:`na64.stats.limits`, :mod:`na64.stats.combine`.

Examples
--------
Zero events observed over three runs (NA64e-like shares of EOT) and the eps limit:

>>> import numpy as np
>>> from na64.stats import Run, combined_upper_limit, combined_expected_limits, exclusion_eps
>>> runs = [Run(0, 0.10, 0.03, weight=0.43e11), Run(0, 0.20, 0.06, weight=0.54e11),
...         Run(0, 0.23, 0.07, weight=1.87e11)]
>>> s_up = combined_upper_limit(runs)
>>> round(s_up, 3)  # n = 0 everywhere: ln(10), whatever the backgrounds
2.303
>>> round(combined_expected_limits(runs)["p1"], 2)  # +1 sigma: one event somewhere
3.5
>>> res = exclusion_eps([10.0, 100.0], [2.3e10, 0.0], s_up)  # yields at eps = 1 per mass
>>> res.eps.round(6).tolist(), res.sensitive.tolist()
([1e-05, 1.0], [True, False])
"""

from __future__ import annotations

from .band import Band, closing_mass, exclusion_band
from .combine import Run, combined_cls, combined_expected_limits, combined_upper_limit
from .exclusion import EPS_CAP, EpsExclusion, eps_to_y, exclusion_eps, exclusion_eps_bands
from .expected import (
    BAND_KEYS,
    BAND_PROBABILITIES,
    PROJECTION_EXPOSURES,
    background_quantiles,
    expected_limits,
    projected_limits,
)
from .limits import METHODS, cls_value, upper_limit

__all__ = [
    "BAND_KEYS",
    "BAND_PROBABILITIES",
    "EPS_CAP",
    "METHODS",
    "PROJECTION_EXPOSURES",
    "Band",
    "EpsExclusion",
    "Run",
    "background_quantiles",
    "closing_mass",
    "cls_value",
    "combined_cls",
    "combined_expected_limits",
    "combined_upper_limit",
    "eps_to_y",
    "exclusion_band",
    "exclusion_eps",
    "exclusion_eps_bands",
    "expected_limits",
    "projected_limits",
    "upper_limit",
]
