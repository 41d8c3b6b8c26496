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
from scipy.special import betainc, gammainc

from ..errors import InputError
from ._checks import check_cl, check_count, check_nonneg, check_sigma_b, check_sigma_s_rel
from .marginal import log_pmf_component, logcdf

__all__ = ["METHODS", "Method", "cls_value", "upper_limit"]

Method = Literal["cls", "cls-asymptotic", "bayes", "frequentist-poisson"]
METHODS: tuple[str, ...] = ("cls", "cls-asymptotic", "bayes", "frequentist-poisson")

_XTOL = 1e-9
_RTOL = 1e-10


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
        As in :func:`upper_limit`.

    Returns
    -------
    numpy.ndarray
        ``CL_{s+b}/CL_b`` in ``(0, 1]`` (Read 2002).
    """
    n = check_count(n_obs, "n_obs")
    bb = check_nonneg(b, "b")
    sb = check_sigma_b(bb, sigma_b)
    ss = check_sigma_s_rel(sigma_s_rel)
    sv = np.asarray(s, dtype=np.float64)
    if np.any(~np.isfinite(sv)) or np.any(sv < 0):
        raise InputError("s", "must be finite and >= 0")
    log_clb = logcdf(n, 0.0, bb, sb, ss)
    return np.asarray(np.exp(np.minimum(logcdf(n, sv, bb, sb, ss) - log_clb, 0.0)))


def _solve_decreasing(f: Callable[[float], float], target: float, start: float) -> float:
    """Root ``s > 0`` of the decreasing ``f(s) = target`` (``f(0) > target``)."""
    lo, hi = 0.0, max(start, 1.0)
    for _ in range(200):
        if f(hi) < target:
            break
        lo, hi = hi, 2.0 * hi
    else:  # pragma: no cover - unreachable for valid inputs (hi reaches ~1e60)
        raise RuntimeError("upper limit: failed to bracket the root")
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
    w /= np.sum(w)
    if ss > 0.0:
        r = 1.0 / (ss * ss)

        def post_cdf(x: float) -> float:
            # int_0^x NB(j; s, r) ds = r/(r-1) I_{x/(r+x)}(j+1, r-1); the factor cancels
            return float(np.dot(w, betainc(j + 1.0, r - 1.0, x / (r + x))))

    else:

        def post_cdf(x: float) -> float:
            # int_0^x Poisson(j; s) ds = P(j+1, x) (regularized lower incomplete Gamma)
            return float(np.dot(w, gammainc(j + 1.0, x)))

    return _solve_decreasing(lambda x: -post_cdf(x), -cl, _start(n, b, sb, ss))


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
        Observed number of events (integer ``>= 0``).
    b
        Expected background ``>= 0``.
    sigma_b
        Absolute uncertainty of ``b`` (``>= 0``; must be 0 if ``b == 0``); Gamma prior.
    sigma_s_rel
        Relative uncertainty of the signal yield (efficiency, EOT, ...) in
        ``[0, 0.95]``; Gamma prior of mean 1 on the signal scale.
    cl
        Confidence level in ``(0, 1)``, e.g. ``0.90``.
    method
        ``"cls"`` (exact, default), ``"cls-asymptotic"``, ``"bayes"`` or
        ``"frequentist-poisson"``; see the module documentation for each definition and source.

    Returns
    -------
    float
        ``s_up >= 0`` (finite).

    Raises
    ------
    InputError
        For a negative / non-integer count, negative or non-finite yields, a CL outside
        ``(0, 1)`` or an unknown method.

    Examples
    --------
    >>> round(upper_limit(0, 3.0), 3)  # CLs with n=0: ln(10) for any b
    2.303
    >>> round(upper_limit(1, 0.0, method="frequentist-poisson"), 2)  # PDG Table 40.3
    3.89
    """
    n = check_count(n_obs, "n_obs")
    bb = check_nonneg(b, "b")
    sb = check_sigma_b(bb, sigma_b)
    ss = check_sigma_s_rel(sigma_s_rel)
    c = check_cl(cl)
    alpha = 1.0 - c
    if method == "cls":
        return _ul_cls(n, bb, sb, ss, alpha)
    if method == "frequentist-poisson":
        return _ul_freq(n, bb, sb, ss, alpha)
    if method == "bayes":
        return _ul_bayes(n, bb, sb, ss, c)
    if method == "cls-asymptotic":
        from .asymptotic import upper_limit_asymptotic

        return upper_limit_asymptotic(n, bb, sb, sigma_s_rel=ss, cl=c)
    raise InputError("method", f"must be one of {', '.join(METHODS)}; got {method!r}")
