"""Statistics for counting experiments: CLs upper limits, expected bands, combination of runs,
projections to larger exposures and the conversion to limits on the coupling eps.

Examples
--------
>>> from na64.stats import upper_limit, expected_limits, Run, combined_upper_limit
>>> round(upper_limit(0, 0.53, 0.17), 3)
2.303
"""

from __future__ import annotations

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
    "EpsExclusion",
    "Run",
    "background_quantiles",
    "cls_value",
    "combined_cls",
    "combined_expected_limits",
    "combined_upper_limit",
    "eps_to_y",
    "exclusion_eps",
    "exclusion_eps_bands",
    "expected_limits",
    "projected_limits",
    "upper_limit",
]
