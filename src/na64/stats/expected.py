"""Expected upper limits (median and ±1σ, ±2σ bands) and projections to larger exposures.

The expected limit is the distribution of the upper limit ``s_up(n)`` when ``n`` follows the
background-only hypothesis, ``n ~ Poisson(beta)``, ``beta ~ Gamma(b, sigma_b)`` (the marginal
negative binomial of :mod:`na64.stats.marginal`).  Because ``s_up(n)`` is non-decreasing in
``n``, the ``p``-quantile of ``s_up`` is ``s_up(n_p)`` where ``n_p`` is the ``p``-quantile of
the discrete distribution of ``n``.  Discrete quantiles are taken as the *lower* quantile
``n_p = min{n : P(N <= n) >= p}`` (the usual generalized inverse of the CDF), evaluated with the
exact pmf, at ``p = Phi(-2), Phi(-1), 1/2, Phi(1), Phi(2)`` (CCGV arXiv:1007.1727
eq. 89 defines the bands by these probabilities).  At small ``b`` several bands coincide
(e.g. for ``b = 0.5`` more than 60% of the experiments see ``n = 0``: median = -1σ = -2σ).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from ..errors import InputError
from ._checks import MAX_COUNT, check_cl, check_nonneg, check_sigma_b, check_sigma_s_rel
from .limits import Method, upper_limit
from .marginal import background_ppf

__all__ = [
    "BAND_KEYS",
    "BAND_PROBABILITIES",
    "PROJECTION_EXPOSURES",
    "background_quantiles",
    "expected_limits",
    "projected_limits",
]

#: Keys of the band dictionaries: -2σ, -1σ, median, +1σ, +2σ.
BAND_KEYS: tuple[str, ...] = ("m2", "m1", "median", "p1", "p2")
#: Cumulative probabilities of the bands, ``Phi(-2), Phi(-1), 0.5, Phi(1), Phi(2)``.
BAND_PROBABILITIES: dict[str, float] = {
    key: float(ndtr(z)) for key, z in zip(BAND_KEYS, (-2.0, -1.0, 0.0, 1.0, 2.0), strict=True)
}
#: Exposures of the NA64 projections: electrons on target (EOT) at the H4 line and
#: muons on target (MOT) at M2.
PROJECTION_EXPOSURES: dict[str, float] = {
    "na64e_5e12_eot": 5e12,
    "na64e_1e13_eot": 1e13,
    "na64mu_1e13_mot": 1e13,
}


def background_quantiles(b: float, sigma_b: float = 0.0) -> dict[str, int]:
    """Lower quantiles of the background-only count distribution at the band probabilities.

    Parameters
    ----------
    b, sigma_b
        Expected background and its absolute uncertainty (Gamma prior).

    Returns
    -------
    dict
        ``{"m2": n, "m1": n, "median": n, "p1": n, "p2": n}``.
    """
    bb = check_nonneg(b, "b")
    sb = check_sigma_b(bb, sigma_b)
    return {key: background_ppf(p, bb, sb) for key, p in BAND_PROBABILITIES.items()}


def expected_limits(
    b: float,
    sigma_b: float = 0.0,
    *,
    sigma_s_rel: float = 0.0,
    cl: float = 0.90,
    method: Method = "cls",
) -> dict[str, float]:
    """Expected upper limit on ``s``: median and ±1σ / ±2σ bands under background only.

    Parameters
    ----------
    b, sigma_b
        Expected background and its absolute uncertainty.
    sigma_s_rel
        Relative signal-yield uncertainty (enters the limit, not the background distribution).
    cl
        Confidence level.
    method
        Limit method, see :func:`na64.stats.upper_limit`.

    Returns
    -------
    dict
        ``{"m2", "m1", "median", "p1", "p2"}`` -> expected ``s_up`` (non-decreasing in that
        order).

    Examples
    --------
    >>> round(expected_limits(0.1)["median"], 3)  # n = 0 is the median outcome
    2.303
    """
    quant = background_quantiles(b, sigma_b)
    cache: dict[int, float] = {}
    out: dict[str, float] = {}
    for key in BAND_KEYS:
        n = quant[key]
        if n not in cache:
            if n > MAX_COUNT and method in ("cls", "cls-asymptotic"):
                # an upper band of a background near MAX_COUNT counts beyond it: the
                # asymptotic formula upper_limit uses there takes any count
                from .asymptotic import upper_limit_asymptotic

                upper_limit(0, b, sigma_b, sigma_s_rel=sigma_s_rel, cl=cl)  # validation
                cache[n] = upper_limit_asymptotic(float(n), float(b), float(sigma_b),
                                                  sigma_s_rel=float(sigma_s_rel), cl=float(cl))
            else:
                cache[n] = upper_limit(n, b, sigma_b, sigma_s_rel=sigma_s_rel, cl=cl,
                                       method=method)
        out[key] = cache[n]
    return out


def projected_limits(
    eot: ArrayLike,
    b_per_eot: float,
    sigma_b_rel: float = 0.0,
    *,
    sigma_s_rel: float = 0.0,
    cl: float = 0.90,
    method: Method = "cls",
) -> dict[str, NDArray[np.float64]]:
    """Expected limits on the signal count at other exposures, background scaled linearly.

    Parameters
    ----------
    eot
        Exposure(s): electrons (or muons) on target, ``> 0``.
    b_per_eot
        Background expected per EOT, ``>= 0`` (e.g. ``0.53 / 2.84e11``).
    sigma_b_rel
        Relative background uncertainty kept constant with exposure (systematics-dominated
        extrapolation), ``>= 0``.
    sigma_s_rel, cl, method
        As in :func:`expected_limits`.

    Returns
    -------
    dict
        Arrays with the shape of ``eot``: ``"eot"``, ``"b"``, ``"sigma_b"`` and the band keys
        ``"m2", "m1", "median", "p1", "p2"`` (expected ``s_up``).  Divide by the signal yield
        per EOT at ``eps = 1`` to get ``eps**2`` (:func:`na64.stats.exclusion_eps`).
    """
    exp = np.asarray(eot, dtype=np.float64)
    if exp.size == 0 or np.any(~np.isfinite(exp)) or np.any(exp <= 0):
        raise InputError("eot", "must be finite and > 0")
    bpe = check_nonneg(b_per_eot, "b_per_eot")
    srel = check_nonneg(sigma_b_rel, "sigma_b_rel")
    check_sigma_s_rel(sigma_s_rel)
    check_cl(cl)
    flat = exp.ravel()
    out: dict[str, NDArray[np.float64]] = {
        "eot": exp.copy(),
        "b": (bpe * exp).astype(np.float64),
        "sigma_b": (srel * bpe * exp).astype(np.float64),
    }
    bands = {key: np.empty(flat.size) for key in BAND_KEYS}
    for i, e in enumerate(flat):  # a handful of exposures, not events
        b = bpe * float(e)
        lim = expected_limits(b, srel * b, sigma_s_rel=sigma_s_rel, cl=cl, method=method)
        for key in BAND_KEYS:
            bands[key][i] = lim[key]
    for key in BAND_KEYS:
        out[key] = bands[key].reshape(exp.shape)
    return out
