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
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, gammaln, ndtri, pdtr, pdtrc, xlogy

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


def _smallest(holds: Callable[[int], bool], guess: float) -> int:
    """The smallest ``n >= 0`` at which the monotone predicate ``holds`` (false below it,
    true from it on), bracketed by doubling steps from ``guess`` and then bisected:
    O(log |n - guess|) evaluations.  :data:`_HUGE_COUNT` when it does not hold below that."""
    n = min(max(math.floor(guess), 0) if math.isfinite(guess) else 0, _HUGE_COUNT)
    step = 1
    if holds(n):
        hi, lo = n, n - 1
        while lo >= 0 and holds(lo):
            hi, lo = lo, lo - step
            step *= 2
        lo = max(lo, -1)
    else:
        lo, hi = n, n + 1
        while not holds(hi):
            if hi >= _HUGE_COUNT:
                return _HUGE_COUNT
            lo, hi = hi, min(hi + step, _HUGE_COUNT)
            step *= 2
    # holds(hi); lo < hi and (lo == -1 or not holds(lo))
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _normal_guess(z: float, mean: float, var: float) -> float:
    """Quantile guess ``mean + z sqrt(var) + (z**2 - 1)/6``: the normal quantile with the
    first (Poisson) skewness correction of the Cornish-Fisher expansion (Abramowitz &
    Stegun 26.2.50 with all cumulants equal to the mean); a starting point only."""
    if not math.isfinite(z):
        return mean
    return mean + z * math.sqrt(var) + (z * z - 1.0) / 6.0


def _count_quantile(p: float, mean: float, rel: float, *, upper: bool = False) -> int:
    """Exact quantile of the count of one component (Poisson for ``rel = 0``, else the
    negative binomial of shape ``r = 1/rel**2`` and mean ``mean``; cf.
    :func:`log_pmf_component`).

    ``upper=False``: the smallest ``n`` with ``P(k <= n) >= p``.  ``upper=True``: the
    smallest ``n`` with ``P(k > n) <= p``, from the survival function itself (exact for
    tails far below the double-precision resolution of ``1 - p``).

    The distribution functions are the regularised incomplete gamma and beta functions:
    ``P(k <= n) = Q(n + 1, mean)`` (Poisson) and ``I_q(r, n + 1)`` with ``q = r/(r + mean)``,
    ``P(k > n) = I_{1-q}(n + 1, r)`` (negative binomial; Abramowitz & Stegun 26.4.21,
    26.5.24-26.5.26).
    """
    if mean <= 0.0:
        return 0
    if not upper and p >= 1.0:
        return _HUGE_COUNT
    if not upper and p <= 0.0:
        return 0
    r = 1.0 / (rel * rel) if rel > 0.0 else math.inf

    def below(n: int) -> float:  # P(k <= n), or P(k > n) for the upper quantile
        if r == math.inf:
            return float(pdtrc(n, mean) if upper else pdtr(n, mean))
        return float(betainc(n + 1.0, r, mean / (r + mean)) if upper
                     else betainc(r, n + 1.0, r / (r + mean)))

    def holds(n: int) -> bool:
        return below(n) <= p if upper else below(n) >= p

    z = float(ndtri(1.0 - p)) if upper else float(ndtri(p))
    return _smallest(holds, _normal_guess(z, mean, mean + mean * mean * rel * rel))


@functools.lru_cache(maxsize=4096)
def _upper_count(mean: float, sd_rel: float, tail: float) -> int:
    """The smallest count ``N`` with ``P(k > N) < tail`` for one component, plus one (exact
    quantile of the survival function).

    Memoised (a pure function of three floats): a limit, its root search and its expected
    band ask for the same ranges many times.
    """
    if mean <= 0.0:
        return 0
    q = _count_quantile(tail, mean, sd_rel if sd_rel >= NEGLIGIBLE_REL else 0.0, upper=True)
    # a count beyond double precision (e.g. a Poisson mean of 1e14) is "too long to
    # tabulate", which the callers test against their limits
    return q + 1 if q < _HUGE_COUNT else _HUGE_COUNT


def count_range(s: float, b: float, sigma_b: float, sigma_s_rel: float, *,
                tail: float = 1e-12) -> tuple[int, int]:
    """``(N_s, N_b)``: the last counts of the signal and background tables of
    :func:`pmf_table` (each component's ``1 - tail/2`` quantile), without building them.

    A few evaluations of the distribution functions (no table); :data:`_HUGE_COUNT`
    stands for a range beyond any table.
    """
    return (_upper_count(s, sigma_s_rel, 0.5 * tail),
            _upper_count(b, _bkg_rel(b, sigma_b), 0.5 * tail))


def background_ppf(p: float, b: float, sigma_b: float) -> int:
    """The ``p`` quantile of the background-only count: the smallest ``n`` with
    ``P(k <= n) >= p`` for the Poisson (σ_b = 0) or Gamma-Poisson (negative binomial with
    shape 1/rel², the same mixture as :func:`log_pmf_component`) distribution of mean ``b``.

    Exact and O(log b) in the counts (no table: a background of 1e9 ± 1e12 events costs
    nothing); ``2**62`` for ``p >= 1``.
    """
    if b <= 0.0:
        return 0
    return _count_quantile(p, b, _bkg_rel(b, sigma_b))


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
