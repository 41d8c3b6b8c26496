"""Validation of user inputs shared by the :mod:`na64.stats` functions.

Every check raises :class:`na64.errors.InputError` naming the field and the allowed range.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InputError

__all__ = [
    "MAX_SIGMA_S_REL",
    "NEGLIGIBLE_REL",
    "check_cl",
    "check_count",
    "check_nonneg",
    "check_sigma_b",
    "check_sigma_s_rel",
]

#: Relative uncertainties below this are treated as exactly zero: their effect on a limit is
#: of order ``NEGLIGIBLE_REL**2`` (1e-12) while the Gamma shape ``1/rel**2`` would overflow.
NEGLIGIBLE_REL = 1e-6

#: Largest accepted relative signal-yield uncertainty.  With a Gamma prior of relative width
#: ``sigma_s_rel`` on the signal scale, a flat prior in ``s`` gives an improper posterior when
#: ``sigma_s_rel >= 1`` (the marginal likelihood falls only like ``s**(-1/sigma_s_rel**2)``).
MAX_SIGMA_S_REL = 0.95


def check_count(value: object, field: str) -> int:
    """Return ``value`` as a non-negative ``int`` (an observed number of events)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a non-negative integer count, got {value!r}")
    fval = float(value)
    if not math.isfinite(fval) or fval < 0 or fval != math.floor(fval):
        raise InputError(field, f"must be a non-negative integer count, got {value!r}")
    return int(fval)


def check_nonneg(value: object, field: str) -> float:
    """Return ``value`` as a finite float ``>= 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a finite number >= 0, got {value!r}")
    fval = float(value)
    if not math.isfinite(fval) or fval < 0:
        raise InputError(field, f"must be a finite number >= 0, got {value!r}")
    return fval


def check_sigma_b(b: float, sigma_b: object, field: str = "sigma_b") -> float:
    """Background uncertainty: finite, ``>= 0``, and ``0`` when ``b == 0``."""
    sb = check_nonneg(sigma_b, field)
    if b == 0.0 and sb > 0.0:
        raise InputError(field, f"must be 0 when the expected background b is 0, got {sb:g}")
    return 0.0 if sb < NEGLIGIBLE_REL * b else sb


def check_sigma_s_rel(value: object, field: str = "sigma_s_rel") -> float:
    """Relative signal-yield uncertainty in ``[0, MAX_SIGMA_S_REL]``."""
    sv = check_nonneg(value, field)
    if sv > MAX_SIGMA_S_REL:
        raise InputError(field, f"must be in [0, {MAX_SIGMA_S_REL}], got {sv:g}")
    return 0.0 if sv < NEGLIGIBLE_REL else sv


def check_cl(cl: object, field: str = "cl") -> float:
    """Confidence level strictly inside ``(0, 1)``."""
    if isinstance(cl, bool) or not isinstance(cl, numbers.Real):
        raise InputError(field, f"must be a number in (0, 1), got {cl!r}")
    c = float(cl)
    if not (0.0 < c < 1.0) or not np.isfinite(c):
        raise InputError(field, f"must be in (0, 1), got {cl!r}")
    return c
