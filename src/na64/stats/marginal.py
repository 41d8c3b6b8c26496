"""Marginal (Cousins-Highland) distribution of an event count with uncertain s and b.

The counting model of one run is

    n ~ Poisson(kappa * s + beta),   beta ~ Gamma(mean b, sd sigma_b),
                                     kappa ~ Gamma(mean 1, sd sigma_s_rel),

with ``beta`` and ``kappa`` independent.  The nuisances are *marginalized* (integrated over
their priors) as proposed by Cousins and Highland, NIM A320 (1992) 331: the
distribution of ``n`` is then a function of ``s`` alone and CLs can be evaluated exactly
by summing over the discrete outcomes.

Why Gamma: both yields are positive, a Gamma is the posterior of a Poisson mean measured in
an auxiliary (control) sample with a flat prior (Cousins, Linnemann, Tucker, NIM A595 (2008)
480, arXiv:physics/0702156), and it is the conjugate of the Poisson: the mixture
Poisson ⊗ Gamma is the negative binomial (derivation: integrate ``e^-mu mu^k/k!`` against the Gamma
density ``mu^(r-1) e^(-r mu/m) (r/m)^r / Gamma(r)``), so the marginal is obtained in
closed form, without numerical integration.  A Gamma of mean ``mu`` and standard deviation
``sd`` has shape ``r = (mu/sd)**2``; the negative binomial is then

    P(k) = Gamma(k + r) / (Gamma(r) k!) * (r/(r+mu))**r * (mu/(r+mu))**k .

The count is the sum of two independent negative binomials (signal part with ``r_s =
1/sigma_s_rel**2``, background part with ``r_b = b**2/sigma_b**2``); its distribution is their
discrete convolution.  Zero widths give the Poisson limit.  All sums are done in log space,
so that e.g. ``P(n <= 0 | b = 1000)`` (= e^-1000) does not underflow.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, xlogy

from ._checks import NEGLIGIBLE_REL

__all__ = ["background_ppf", "count_range", "log_pmf_component", "logcdf", "logsumexp_rows", "pmf_table"]


def log_pmf_component(k: ArrayLike, mean: ArrayLike, sd_rel: float) -> NDArray[np.float64]:
    """Log pmf of a Poisson whose mean is Gamma-distributed with relative width ``sd_rel``.

    Parameters
    ----------
    k
        Non-negative integer counts.
    mean
        Expected count(s) ``mu >= 0``; broadcast against ``k``.
    sd_rel
        Relative standard deviation of the Gamma prior on the mean (``0`` = plain Poisson;
        values below ``NEGLIGIBLE_REL`` = 1e-6 are treated as 0).

    Returns
    -------
    numpy.ndarray
        ``log P(k)``; ``-inf`` where the probability is exactly zero (``mu = 0``, ``k > 0``).

    Notes
    -----
    Negative binomial as the Poisson-Gamma mixture: Cousins, Linnemann, Tucker,
    arXiv:physics/0702156, with shape ``r = 1/sd_rel**2``.
    """
    kk = np.asarray(k, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    poisson = np.asarray(xlogy(kk, mu) - mu - gammaln(kk + 1.0), dtype=np.float64)
    if sd_rel < NEGLIGIBLE_REL:
        return poisson
    r = 1.0 / (sd_rel * sd_rel)
    # log[Gamma(k+r)/(Gamma(r) k!)] + r ln(r/(r+mu)) + k ln(mu/(r+mu))
    #   = [k ln mu - ln k!] - r ln(1 + mu/r) + sum_{i<k} ln(1 + (i - mu)/(r + mu)),
    # a form that is exact for huge r (-> Poisson) where Gamma(k+r)/Gamma(r) would lose digits.
    kk_b, mu_b = np.broadcast_arrays(kk, mu)
    kmax = int(np.max(kk_b)) if kk_b.size else 0
    i = np.arange(max(kmax, 1), dtype=np.float64)
    # the rising sum depends on (mu, i) only: tabulate it once per distinct mean
    if mu.ndim == 0:  # one mean (the common call): no sort
        uniq, inv = mu.reshape(1), np.zeros(mu_b.shape, dtype=np.intp)
    else:
        uniq, inv = np.unique(mu_b, return_inverse=True)
    u = uniq[:, None]
    # ln(1 + (i - mu)/(r + mu)) = ln((r + i)/(r + mu)): log1p where the ratio is not close to
    # -1, the difference of logs where it is (mu >> r, i.e. a background far wider than its
    # mean), which stays finite where log1p(-1 + tiny) rounds to log(0)
    z = (i - u) / (r + u)
    term = np.where(z > -0.5, np.log1p(np.maximum(z, -0.5)), np.log(r + i) - np.log(r + u))
    csum = np.concatenate([np.zeros((uniq.size, 1)), np.cumsum(term, axis=1)], axis=1)
    rising = csum[inv.reshape(mu_b.shape), kk_b.astype(np.int64)]
    out = poisson + mu_b - r * np.log1p(mu_b / r) + rising
    return np.asarray(out, dtype=np.float64)


def logsumexp_rows(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log(sum(exp(x), axis=-1))`` for rows that contain at least one finite entry."""
    m = np.max(x, axis=-1, keepdims=True)
    return np.asarray(np.log(np.sum(np.exp(x - m), axis=-1)) + m[..., 0], dtype=np.float64)


def _bkg_rel(b: float, sigma_b: float) -> float:
    """Relative background width; below ``NEGLIGIBLE_REL`` it is treated as 0 (Poisson)."""
    rel = sigma_b / b if (b > 0.0 and sigma_b > 0.0) else 0.0
    return rel if rel >= NEGLIGIBLE_REL else 0.0


def logcdf(
    n_obs: int, s: ArrayLike, b: float, sigma_b: float, sigma_s_rel: float
) -> NDArray[np.float64]:
    """``log P(n <= n_obs | s)`` of the marginal model, vectorized over ``s``.

    Parameters
    ----------
    n_obs
        Observed count (``>= 0``).
    s
        Expected signal count(s), ``>= 0``.
    b, sigma_b
        Expected background and its absolute uncertainty (Gamma prior).
    sigma_s_rel
        Relative uncertainty of the signal yield (Gamma prior on the scale factor).

    Returns
    -------
    numpy.ndarray
        Same shape as ``s``.
    """
    sv = np.atleast_1d(np.asarray(s, dtype=np.float64))
    k = np.arange(n_obs + 1, dtype=np.float64)
    log_pb = log_pmf_component(k, b, _bkg_rel(b, sigma_b))
    log_fb = np.logaddexp.accumulate(log_pb)  # log F_B(k), finite since P_B(0) > 0
    log_ps = log_pmf_component(k[None, :], sv[:, None], sigma_s_rel)
    # P(n <= N) = sum_j P_S(j) F_B(N - j)
    out = logsumexp_rows(log_ps + log_fb[::-1][None, :])
    return np.asarray(np.minimum(out, 0.0).reshape(np.shape(s)), dtype=np.float64)


#: Stand-in for a count range that no table could hold (2**62).
_HUGE_COUNT = 2**62


@functools.lru_cache(maxsize=4096)
def _upper_count(mean: float, sd_rel: float, tail: float) -> int:
    """The smallest-ish count ``N`` with ``P(k > N) < tail`` for one component (exact quantile).

    Memoised (a pure function of three floats): a limit, its root search and its expected
    band ask for the same ranges many times, and scipy's quantile costs ~0.1–0.2 ms.
    """
    if mean <= 0.0:
        return 0
    from scipy.stats import nbinom, poisson

    if sd_rel < NEGLIGIBLE_REL:
        q = poisson.isf(tail, mean)
    else:
        r = 1.0 / (sd_rel * sd_rel)
        q = nbinom.isf(tail, r, r / (r + mean))
    # scipy gives nan far beyond double-precision counts (e.g. a Poisson mean of 1e14): such a
    # range is "too long to tabulate", which the callers test against their limits
    return int(q) + 1 if np.isfinite(q) and q < _HUGE_COUNT else _HUGE_COUNT


def count_range(s: float, b: float, sigma_b: float, sigma_s_rel: float, *,
                tail: float = 1e-12) -> tuple[int, int]:
    """``(N_s, N_b)``: the last counts of the signal and background tables of
    :func:`pmf_table` (each component's ``1 - tail/2`` quantile), without building them.

    O(1) in the counts; :data:`_HUGE_COUNT` stands for a range beyond any table.
    """
    return (_upper_count(s, sigma_s_rel, 0.5 * tail),
            _upper_count(b, _bkg_rel(b, sigma_b), 0.5 * tail))


def background_ppf(p: float, b: float, sigma_b: float) -> int:
    """The ``p`` quantile of the background-only count: the smallest ``n`` with
    ``P(k <= n) >= p`` for the Poisson (σ_b = 0) or Gamma-Poisson (negative binomial with
    shape 1/rel², the same mixture as :func:`log_pmf_component`) distribution of mean ``b``.

    Exact and O(1) in ``b`` and ``sigma_b`` (no table: a background of 1e9 ± 1e12 events
    costs nothing).
    """
    if b <= 0.0:
        return 0
    from scipy.stats import nbinom, poisson

    rel = _bkg_rel(b, sigma_b)
    if rel == 0.0:
        q = poisson.ppf(p, b)
        if not np.isfinite(q):
            return _poisson_ppf_large(p, b)
    else:
        r = 1.0 / (rel * rel)
        q = nbinom.ppf(p, r, r / (r + b))
    return int(q) if np.isfinite(q) else int(np.iinfo(np.int64).max // 2)


def _poisson_ppf_large(p: float, b: float) -> int:
    """The Poisson ``p`` quantile where scipy's ppf gives nan (means >~ 1e11).

    Start from the Cornish-Fisher expansion ``b + z sqrt(b) + (z**2 - 1)/6`` (the first
    skewness correction of the normal quantile ``z``; Abramowitz & Stegun 26.2.50 with the
    Poisson cumulants all equal to ``b``) and step to the exact smallest ``n`` with
    ``P(k <= n) >= p`` using the Poisson cdf, which stays accurate there.
    """
    from scipy.stats import norm, poisson

    z = float(norm.ppf(p))
    n = max(math.floor(b + z * math.sqrt(b) + (z * z - 1.0) / 6.0), 0)
    for _ in range(1000):  # the expansion is off by O(1/sqrt(b)): a step or two
        if poisson.cdf(n, b) < p:
            n += 1
        elif n > 0 and poisson.cdf(n - 1, b) >= p:
            n -= 1
        else:
            break
    return n


@functools.lru_cache(maxsize=256)
def _background_pmf(b: float, rel: float, n_b: int) -> NDArray[np.float64]:
    """``P(k | b)`` for ``k = 0 .. n_b`` (read-only, memoised).

    A limit's root search and its expected band evaluate :func:`pmf_table` at many signals
    for the same few backgrounds; only the signal component changes between them.
    """
    out = np.exp(log_pmf_component(np.arange(n_b + 1), b, rel))
    out.flags.writeable = False
    return out


def pmf_table(
    s: float, b: float, sigma_b: float, sigma_s_rel: float, *, n_min: int = 0, tail: float = 1e-12
) -> NDArray[np.float64]:
    """The marginal pmf ``P(n | s)`` for ``n = 0 .. N`` with the tail beyond ``N`` below ``tail``.

    ``N`` is the sum of the per-component ``1 - tail/2`` quantiles (so the dropped mass of the
    sum is ``< tail``) and at least ``n_min``.

    Returns
    -------
    numpy.ndarray
        Probabilities, length ``N + 1``, summing to ``1 - O(tail)``.
    """
    n_s, n_b = count_range(s, b, sigma_b, sigma_s_rel, tail=tail)
    n_max = max(n_s + n_b, n_min)
    p_s = np.exp(log_pmf_component(np.arange(n_s + 1), s, sigma_s_rel))
    p_b = _background_pmf(b, _bkg_rel(b, sigma_b), n_b)
    # cost n_s * n_b; with s = 0 (background only) p_s is a point mass and this is a copy
    conv = np.convolve(p_s, p_b)
    out = np.zeros(n_max + 1)
    out[: min(conv.size, n_max + 1)] = conv[: n_max + 1]
    return out
