"""Upper limits on the expected signal count of a single counting experiment.

Model (one run): ``n ~ Poisson(kappa*s + beta)`` with the background ``beta`` and the signal
scale ``kappa`` Gamma-distributed nuisances (see :mod:`na64.stats.marginal` for the choice).

Methods
-------
``"cls"`` (default)
    Modified frequentist CLs (Junk, NIM A434 (1999) 435, arXiv:hep-ex/9902006; Read,
    J. Phys. G 28 (2002) 2693): ``CLs(s) = CL_{s+b}(s) / CL_b`` with ``CL_{s+b} = P(n <= n_obs | s)`` and
    ``CL_b = P(n <= n_obs | 0)``; ``s_up`` solves ``CLs(s_up) = 1 - cl``.  For one counting
    channel the LEP likelihood-ratio test statistic ``Q = L(s+b)/L(b)`` (Read 2002)
    is increasing in ``n``, so ordering outcomes by ``Q`` is ordering them by ``n``, and the
    probabilities are summed exactly over the discrete outcomes (no asymptotics).  Nuisances
    are marginalized (Cousins-Highland hybrid, NIM A320 (1992) 331), the treatment used by
    the LEP Higgs searches; it is exact and continuous in ``sigma_b``.  With ``n_obs = 0``
    and no signal uncertainty ``CLs = exp(-s)`` whatever ``b`` is, so ``s_up = ln 10``.
``"cls-asymptotic"``
    CLs from the asymptotic distribution of the profile-likelihood ratio ``q~_mu``
    (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727, eqs. 16, 65), nuisances profiled;
    see :mod:`na64.stats.asymptotic`.  Reliable only at large counts.
``"bayes"``
    Bayesian upper limit with a flat prior on ``s >= 0`` (PDG 2024 Statistics review,
    sec. 40.4.1): ``int_0^{s_up} L(s) ds = cl * int_0^inf L(s) ds`` with the marginal likelihood
    ``L(s) = P(n_obs | s)``.  The integrals are closed-form (incomplete Gamma / Beta).  With
    known ``b`` this equals CLs (Helene, NIM 212 (1983) 319; PDG 2024 sec. 40.4.1): for one channel
    ``sum_{k<=n} Pois(k; s+b) / sum_{k<=n} Pois(k; b)`` is both the posterior tail and CLs.
``"frequentist-poisson"``
    Classical one-sided Neyman upper limit ``P(n <= n_obs | s) = 1 - cl`` (PDG 2024 sec. 40.4.2;
    with ``b = 0``: 2.30, 3.89, 5.32 for n = 0, 1, 2 at 90% CL, PDG Table 40.3).  When even
    ``s = 0`` is excluded (a deficit with large ``b``) the interval is empty and ``0.0`` is
    returned.

Supported range
---------------
``n_obs``, ``b`` and ``sigma_b`` up to :data:`~na64.stats._checks.MAX_COUNT` = 1e12, with
``sigma_b <= 1000 b``; ``sigma_s_rel`` in ``[0, 0.95]``; ``cl`` in ``[1e-6, 1 - 1e-6]``.
Within this range every limit is finite and ``>= 0`` and takes well under a second.

The exact sums run over the outcomes ``0 .. n_obs``; their cost grows like ``n_obs``, so
they are used up to ``n_obs = EXACT_MAX_COUNT`` = 10000 (a fraction of a second, a few MB).
Beyond it ``"cls"`` is computed with the asymptotic formulas of ``"cls-asymptotic"``, whose
cost does not depend on the counts: at such counts the two agree closely when the
observation is near the background and the signal uncertainty is moderate (at
``n_obs = b = 1e4``: -0.25 % with known ``b``, -0.3 % with ``sigma_b = 100``,
``sigma_s_rel = 0.1``), while profiling and marginalizing differ more for a large
``sigma_s_rel`` or a deficit far below ``b``.  ``"bayes"`` and ``"frequentist-poisson"``
have no asymptotic form here and raise :class:`~na64.errors.InputError` above 10000.

Notes
-----
With known ``b`` the classical limit covers by construction and CLs over-covers (tested
exactly in ``tests/test_stats_limits.py``).  With nuisances the marginalized (hybrid)
probabilities are not a frequentist construction: coverage is approximate, and Cousins,
Linnemann and Tucker (arXiv:physics/0702156) showed that the hybrid can under-cover when used
for discovery significances at large Z.  ``"cls-asymptotic"`` profiles instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy.optimize import brentq
from scipy.special import betainc, gammaincc

from ..errors import InputError
from ._checks import (
    EXACT_MAX_COUNT,
    MAX_COUNT,
    check_cl,
    check_count,
    check_nonneg,
    check_sigma_b,
    check_sigma_s_rel,
    show_value,
)
from .marginal import log_pmf_component, logcdf

__all__ = ["METHODS", "Method", "cls_value", "upper_limit"]

Method = Literal["cls", "cls-asymptotic", "bayes", "frequentist-poisson"]
METHODS: tuple[str, ...] = ("cls", "cls-asymptotic", "bayes", "frequentist-poisson")

#: methods without an asymptotic form: limited to n_obs <= EXACT_MAX_COUNT
_EXACT_ONLY = ("bayes", "frequentist-poisson")
_XTOL = 1e-9
_RTOL = 1e-10
#: end of the search for a limit
_S_MAX = 1e300


def cls_value(
    s: float | np.ndarray,
    n_obs: int,
    b: float,
    sigma_b: float = 0.0,
    *,
    sigma_s_rel: float = 0.0,
) -> np.ndarray:
    """Exact CLs of signal hypothesis ``s`` (vectorized over ``s``).

    Parameters
    ----------
    s
        Expected signal count(s) ``>= 0``.
    n_obs, b, sigma_b, sigma_s_rel
        As in :func:`upper_limit`, with ``n_obs <= 10000`` (the exact sum).

    Returns
    -------
    numpy.ndarray
        ``CL_{s+b}/CL_b`` in ``(0, 1]`` (Read 2002).
    """
    n, bb, sb, ss = _check_inputs(n_obs, b, sigma_b, sigma_s_rel, "cls")
    if n > EXACT_MAX_COUNT:
        raise InputError("n_obs", f"must be <= {EXACT_MAX_COUNT} for the exact CLs, which sums "
                                  f"over the outcomes 0 .. n_obs, got {n}")
    try:
        sv = np.asarray(s, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InputError("s", "must be a number or an array of numbers >= 0") from None
    if np.any(~np.isfinite(sv)) or np.any(sv < 0):
        raise InputError("s", "must be finite and >= 0")
    log_clb = logcdf(n, 0.0, bb, sb, ss)
    return np.asarray(np.exp(np.minimum(logcdf(n, sv, bb, sb, ss) - log_clb, 0.0)))


def _check_inputs(
    n_obs: object, b: object, sigma_b: object, sigma_s_rel: object, method: object
) -> tuple[int, float, float, float]:
    """Validated ``(n_obs, b, sigma_b, sigma_s_rel)`` of a limit computed with ``method``."""
    if not isinstance(method, str) or method not in METHODS:
        raise InputError("method", f"must be one of {', '.join(METHODS)}; got "
                                   f"{show_value(method)}")
    n = check_count(n_obs, "n_obs")
    if method in _EXACT_ONLY and n > EXACT_MAX_COUNT:
        raise InputError(
            "n_obs", f"must be <= {EXACT_MAX_COUNT} for method {method!r}, which sums over the "
            f"outcomes 0 .. n_obs; 'cls' and 'cls-asymptotic' take counts up to "
            f"{MAX_COUNT:.0e}".replace("e+", "e") + f", got {n}")
    bb = check_nonneg(b, "b", high=MAX_COUNT)
    sb = check_sigma_b(bb, check_nonneg(sigma_b, "sigma_b", high=MAX_COUNT))
    ss = check_sigma_s_rel(sigma_s_rel)
    return n, bb, sb, ss


def _solve_decreasing(f: Callable[[float], float], target: float, start: float) -> float:
    """Root ``s > 0`` of the decreasing ``f(s) = target`` (``f(0) > target``).

    The bracket grows by factors 8, 64, 4096, ... so that a limit far out in a heavy tail
    (``sigma_s_rel`` near 0.95 with ``cl`` near 1 puts it near 1e60) costs a handful of
    evaluations; a bracket wider than a factor 16 is searched in ``log(s)``.
    """
    lo, hi, step = 0.0, max(start, 1.0), 8.0
    while f(hi) >= target:
        if hi >= _S_MAX:  # pragma: no cover - unreachable for valid inputs (limits < 1e70)
            raise RuntimeError("upper limit: failed to bracket the root")
        lo, hi, step = hi, min(hi * step, _S_MAX), step * step
    if lo > 0.0 and hi > 16.0 * lo:
        t = brentq(lambda u: f(math.exp(u)) - target, math.log(lo), math.log(hi),
                   xtol=_RTOL, rtol=_RTOL)
        return float(math.exp(t))
    root = brentq(lambda x: f(x) - target, lo, hi, xtol=_XTOL, rtol=_RTOL)
    return float(root)


def _start(n: int, b: float, sb: float, ss: float) -> float:
    return 3.0 + n + 3.0 * math.sqrt(n + b + sb * sb) + 3.0 * sb + 10.0 * ss * (n + 3.0)


def _ul_cls(n: int, b: float, sb: float, ss: float, alpha: float) -> float:
    log_clb = float(logcdf(n, 0.0, b, sb, ss))
    log_alpha = math.log(alpha)

    def log_cls(x: float) -> float:
        return float(logcdf(n, x, b, sb, ss)) - log_clb

    return _solve_decreasing(log_cls, log_alpha, _start(n, b, sb, ss))


def _ul_freq(n: int, b: float, sb: float, ss: float, alpha: float) -> float:
    log_alpha = math.log(alpha)
    if float(logcdf(n, 0.0, b, sb, ss)) <= log_alpha:
        return 0.0

    def log_clsb(x: float) -> float:
        return float(logcdf(n, x, b, sb, ss))

    return _solve_decreasing(log_clsb, log_alpha, _start(n, b, sb, ss))


def _ul_bayes(n: int, b: float, sb: float, ss: float, cl: float) -> float:
    j = np.arange(n + 1, dtype=np.float64)
    rel_b = sb / b if (b > 0 and sb > 0) else 0.0
    log_w = log_pmf_component(n - j, b, rel_b)  # weight of "j signal events": P_B(n - j)
    w = np.exp(log_w - np.max(log_w))
    # terms below 1e-18 of the largest change the posterior by < (n + 1) 1e-18: dropped
    keep = w > 1e-18
    j, w = j[keep], w[keep] / np.sum(w[keep])
    # the posterior tail 1 - cdf, computed directly: it stays accurate far out in the tail,
    # where 1 - cdf would round to 0 (x/(r+x) rounds to 1 for x > 2^53 r)
    if ss > 0.0:
        r = 1.0 / (ss * ss)

        def post_sf(x: float) -> float:
            # int_0^x NB(j; s, r) ds = r/(r-1) I_{x/(r+x)}(j+1, r-1); the factor cancels,
            # and 1 - I_z(a, b) = I_{1-z}(b, a)
            return float(np.dot(w, betainc(r - 1.0, j + 1.0, r / (r + x))))

    else:

        def post_sf(x: float) -> float:
            # int_0^x Poisson(j; s) ds = P(j+1, x) (regularized lower incomplete Gamma)
            return float(np.dot(w, gammaincc(j + 1.0, x)))

    return _solve_decreasing(post_sf, 1.0 - cl, _start(n, b, sb, ss))


def upper_limit(
    n_obs: int,
    b: float,
    sigma_b: float = 0.0,
    *,
    sigma_s_rel: float = 0.0,
    cl: float = 0.90,
    method: Method = "cls",
) -> float:
    """Upper limit on the expected signal count ``s`` of a counting experiment.

    Parameters
    ----------
    n_obs
        Observed number of events: an integer in ``[0, 1e12]`` for ``"cls"`` (exact up to
        10000, asymptotic above) and ``"cls-asymptotic"``, in ``[0, 10000]`` for ``"bayes"``
        and ``"frequentist-poisson"`` (module docstring, "Supported range").
    b
        Expected background in ``[0, 1e12]``.
    sigma_b
        Absolute uncertainty of ``b`` in ``[0, 1000 b]`` (so 0 if ``b == 0``); Gamma prior.
    sigma_s_rel
        Relative uncertainty of the signal yield (efficiency, EOT, ...) in
        ``[0, 0.95]``; Gamma prior of mean 1 on the signal scale.
    cl
        Confidence level in ``[1e-6, 1 - 1e-6]``, e.g. ``0.90``.
    method
        ``"cls"`` (default; exact for ``n_obs <= 10000``), ``"cls-asymptotic"``, ``"bayes"`` or
        ``"frequentist-poisson"``; see the module documentation for each definition and source.

    Returns
    -------
    float
        ``s_up >= 0`` (finite).

    Raises
    ------
    InputError
        Naming the argument: a value that is not a real number, not finite or outside the
        ranges above (e.g. ``n_obs > 10000`` with ``"bayes"``), or an unknown method.

    Examples
    --------
    >>> round(upper_limit(0, 3.0), 3)  # CLs with n=0: ln(10) for any b
    2.303
    >>> round(upper_limit(1, 0.0, method="frequentist-poisson"), 2)  # PDG Table 40.3
    3.89
    """
    n, bb, sb, ss = _check_inputs(n_obs, b, sigma_b, sigma_s_rel, method)
    c = check_cl(cl)
    alpha = 1.0 - c
    if method == "cls" and n <= EXACT_MAX_COUNT:
        return _ul_cls(n, bb, sb, ss, alpha)
    if method == "frequentist-poisson":
        return _ul_freq(n, bb, sb, ss, alpha)
    if method == "bayes":
        return _ul_bayes(n, bb, sb, ss, c)
    from .asymptotic import upper_limit_asymptotic

    return upper_limit_asymptotic(n, bb, sb, sigma_s_rel=ss, cl=c)
