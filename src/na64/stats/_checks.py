"""Validation of user inputs shared by the :mod:`na64.stats` functions.

Every check raises :class:`na64.errors.InputError` naming the field and the allowed range.
"""

from __future__ import annotations

import math
import numbers

from ..errors import InputError

__all__ = [
    "CL_RANGE",
    "EXACT_MAX_COUNT",
    "MAX_COUNT",
    "MAX_SIGMA_B_REL",
    "MAX_SIGMA_S_REL",
    "NEGLIGIBLE_REL",
    "check_cl",
    "check_count",
    "check_nonneg",
    "check_sigma_b",
    "check_sigma_s_rel",
    "show_value",
]

#: Relative uncertainties below this are treated as exactly zero: their effect on a limit is
#: of order ``NEGLIGIBLE_REL**2`` (1e-12) while the Gamma shape ``1/rel**2`` would overflow.
NEGLIGIBLE_REL = 1e-6

#: Largest accepted relative signal-yield uncertainty.  With a Gamma prior of relative width
#: ``sigma_s_rel`` on the signal scale, a flat prior in ``s`` gives an improper posterior when
#: ``sigma_s_rel >= 1`` (the marginal likelihood falls only like ``s**(-1/sigma_s_rel**2)``).
MAX_SIGMA_S_REL = 0.95

#: Largest accepted relative background uncertainty ``sigma_b / b``: beyond it the Gamma shape
#: ``(b / sigma_b)**2`` (< 1e-6) underflows the sums of the marginal model.
MAX_SIGMA_B_REL = 1000.0

#: Largest accepted count: observed events, expected background and its uncertainty.  Beyond
#: ~1e12 the log-likelihood differences that make a limit of O(sqrt(b)) lose their digits.
MAX_COUNT = 1e12

#: Largest observed count of the exact sums over the outcomes ``0 .. n_obs`` (``"cls"``,
#: ``"bayes"``, ``"frequentist-poisson"``), whose time grows like ``n_obs`` (a limit at 10000
#: takes up to ~0.5 s).  Above it ``"cls"`` uses the asymptotic formulas of
#: ``"cls-asymptotic"`` (up to :data:`MAX_COUNT`); the other two are refused.
EXACT_MAX_COUNT = 10_000

#: Accepted confidence levels: with 1 - cl < 1e-6 the heavy tail of a signal-yield
#: uncertainty near :data:`MAX_SIGMA_S_REL` puts the limit beyond the floating-point range.
CL_RANGE = (1e-6, 1.0 - 1e-6)


def _real(value: object, field: str, allowed: str) -> float:
    """``value`` as a float: a real number (not a bool, not text), finite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be {allowed}, got {show_value(value)}")
    try:
        fval = float(value)
    except OverflowError:  # an int beyond the float range
        fval = math.inf
    if not math.isfinite(fval):
        raise InputError(field, f"must be {allowed}, got {show_value(value)} (not finite)")
    return fval


def show_value(value: object) -> str:
    """A one-line, short spelling of a user value for a message (plain numbers, no numpy
    reprs, long text shortened)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value)) if abs(int(value)) < 10**30 else "a huge integer"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    text = " ".join(repr(value).split())
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} characters)"


def check_count(value: object, field: str, high: float = MAX_COUNT) -> int:
    """Return ``value`` as an ``int`` in ``[0, high]`` (an observed number of events).

    Raises
    ------
    InputError
        Not a real number, not finite, not an integer, negative or above ``high``.
    """
    allowed = f"a non-negative integer count <= {high:.0e}".replace("e+", "e")
    fval = _real(value, field, allowed)
    if fval < 0 or fval != math.floor(fval) or fval > high:
        raise InputError(field, f"must be {allowed}, got {show_value(value)}")
    return int(fval)


def check_nonneg(value: object, field: str, high: float = math.inf) -> float:
    """Return ``value`` as a finite float in ``[0, high]``."""
    allowed = "a finite number >= 0" if high == math.inf else f"a number in [0, {high:g}]"
    fval = _real(value, field, allowed)
    if not 0.0 <= fval <= high:
        raise InputError(field, f"must be {allowed}, got {show_value(value)}")
    return fval


def check_sigma_b(b: float, sigma_b: object, field: str = "sigma_b") -> float:
    """Background uncertainty: finite, in ``[0, MAX_SIGMA_B_REL * b]`` (``0`` when ``b == 0``)."""
    sb = check_nonneg(sigma_b, field)
    if b == 0.0 and sb > 0.0:
        raise InputError(field, f"must be 0 when the expected background b is 0, got {sb:g}")
    if sb > MAX_SIGMA_B_REL * b:
        raise InputError(field, f"must be in [0, {MAX_SIGMA_B_REL:g} b] = "
                                f"[0, {MAX_SIGMA_B_REL * b:.6g}] (a relative uncertainty of at "
                                f"most {MAX_SIGMA_B_REL:g}), got {sb:.6g}")
    return 0.0 if sb < NEGLIGIBLE_REL * b else sb


def check_sigma_s_rel(value: object, field: str = "sigma_s_rel") -> float:
    """Relative signal-yield uncertainty in ``[0, MAX_SIGMA_S_REL]``."""
    sv = check_nonneg(value, field, high=MAX_SIGMA_S_REL)
    return 0.0 if sv < NEGLIGIBLE_REL else sv


def check_cl(cl: object, field: str = "cl") -> float:
    """Confidence level in :data:`CL_RANGE` = ``[1e-6, 1 - 1e-6]``."""
    low, high = CL_RANGE
    allowed = f"a number in [{low:g}, {high:.7g}]"
    c = _real(cl, field, allowed)
    if not low <= c <= high:
        raise InputError(field, f"must be {allowed}, got {show_value(cl)}")
    return c
