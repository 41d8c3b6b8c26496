"""Asymptotic CLs for one counting channel with profiled nuisances.

Likelihood (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727, sec. 2, with the on/off
auxiliary measurement (the "on/off" problem of Cousins, Linnemann, Tucker,
arXiv:physics/0702156)::

    L(mu, beta, kappa) = Pois(n | mu*kappa + beta) * Pois(m | tau_b*beta) * Pois(u | tau_s*kappa)

with ``tau_b = b/sigma_b**2``, ``m = tau_b*b`` and ``tau_s = 1/sigma_s_rel**2``, ``u = tau_s``
(Poisson "Gamma-like" constraints whose maxima sit at ``beta = b``, ``kappa = 1`` and whose
relative widths are ``sigma_b/b`` and ``sigma_s_rel``; the background constraint is the one of
pyhf's ``shapesys``).  The test statistic is ``q~_mu`` (CCGV eq. 16), its background-only
Asimov value ``q_{mu,A} = (mu/sigma)**2`` (CCGV eq. 29; as in the LHC Higgs combination procedure,
ATL-PHYS-PUB-2011-011 sec. 2.1, and pyhf, the Asimov data set and its auxiliary measurement
use the background fitted to the observed data under ``mu = 0``), and (CCGV eq. 65, with
``mu' = mu`` for ``CL_{s+b}`` and ``mu' = 0`` for ``CL_b``)::

    CLs = (1 - Phi(sqrt(q~))) / Phi(sqrt(q_A) - sqrt(q~))                      if q~ <= q_A
    CLs = (1 - Phi((q~ + q_A)/(2 sqrt(q_A)))) / (1 - Phi((q~ - q_A)/(2 sqrt(q_A))))  otherwise.

For ``n_obs = b`` large this gives ``s_up = Phi^-1(1 - alpha/2) sqrt(b)`` = 1.645 sqrt(b) at
90% CL (CCGV eq. 89 with N = 0); the CL_{s+b} limit would be 1.28 sqrt(b).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import log_ndtr, ndtr, xlogy

__all__ = ["cls_asymptotic", "upper_limit_asymptotic"]


def _deviance(n: float, lam: float) -> float:
    """``lam - n ln(lam) - (n - n ln n)``: ``-ln Pois(n | lam)`` relative to its value at
    ``lam = n``.

    Evaluated as ``n (x - ln(1 + x))`` with ``x = (lam - n)/n``, whose rounding error is
    relative to the (small) result, so that likelihood-ratio values of O(1) stay exact at
    counts of 1e11 and more; ``lam - n ln(lam)`` itself is ~1e12 there and its difference
    between two hypotheses would keep only ~4 digits.
    """
    if n <= 0.0:
        return lam
    if lam <= 0.0:
        return math.inf
    x = (lam - n) / n
    if abs(x) < 0.5:
        return n * (x - math.log1p(x))
    return lam - n - float(xlogy(n, lam / n))


class _Counting:
    """Profile likelihood of the on/off counting model (see module docstring)."""

    def __init__(
        self, n: float, b: float, sigma_b: float, sigma_s_rel: float, aux_b: float | None = None
    ) -> None:
        self.n = n
        # a nuisance on a background below 1e-9 events changes nothing: keep b fixed there
        self.free_b = b > 1e-9 and sigma_b > 0.0
        self.tau_b = (b / sigma_b) / sigma_b if self.free_b else 0.0
        # auxiliary measurement: nominal b, or (Asimov) the value fitted to the data
        self.b = b if aux_b is None else aux_b
        self.m = self.tau_b * self.b
        self.free_k = sigma_s_rel > 0.0
        self.tau_s = (1.0 / sigma_s_rel) / sigma_s_rel if self.free_k else 0.0

    def nll(self, mu: float, beta: float, kappa: float) -> float:
        """``-ln L`` up to a constant: the sum of the Poisson deviances (:func:`_deviance`)."""
        out = _deviance(self.n, mu * kappa + beta)
        if self.free_b:
            out += _deviance(self.m, self.tau_b * beta)
        if self.free_k:
            out += _deviance(self.tau_s, self.tau_s * kappa)
        return out

    def beta_hat(self, lam_s: float) -> float:
        """Conditional MLE of ``beta`` for a fixed signal mean (root of a quadratic)."""
        if not self.free_b:
            return self.b
        a = 1.0 + self.tau_b
        bq = a * lam_s - self.n - self.m
        disc = bq * bq + 4.0 * a * self.m * lam_s
        if bq < 0.0:
            return (-bq + math.sqrt(disc)) / (2.0 * a)
        # numerically stable form of the positive root
        return (2.0 * self.m * lam_s) / (bq + math.sqrt(disc)) if lam_s > 0 else self.m / a

    def profiled_nll(self, mu: float) -> float:
        """``-ln L(mu, theta_hat_hat(mu))``."""
        if not self.free_k:
            return self.nll(mu, self.beta_hat(mu), 1.0)
        if mu == 0.0:
            return self.nll(0.0, self.beta_hat(0.0), 1.0)

        def f(log_k: float) -> float:
            k = math.exp(log_k)
            return self.nll(mu, self.beta_hat(mu * k), k)

        width = 1.0 / math.sqrt(self.tau_s)
        res = minimize_scalar(
            f,
            bounds=(-12.0 * width - 1.0, 12.0 * width),
            method="bounded",
            options={"xatol": 1e-10},
        )
        return float(min(res.fun, f(0.0)))

    def global_nll(self) -> tuple[float, float]:
        """``(mu_hat, -ln L_max)``: unconditional fit, ``beta = b``, ``kappa = 1``."""
        mu_hat = self.n - self.b
        if mu_hat >= 0.0:
            return mu_hat, self.nll(mu_hat, self.b, 1.0)
        # mu_hat < 0: the value at the boundary mu = 0 is what q~ uses (CCGV eq. 16)
        return mu_hat, self.profiled_nll(0.0)


def _q_tilde(model: _Counting, mu: float) -> float:
    mu_hat, nll_hat = model.global_nll()
    if mu_hat > mu:
        return 0.0
    return max(2.0 * (model.profiled_nll(mu) - nll_hat), 0.0)


def cls_asymptotic(s: float, n_obs: float, b: float, sigma_b: float, sigma_s_rel: float) -> float:
    """Asymptotic CLs of signal hypothesis ``s`` (CCGV arXiv:1007.1727 eqs. 16, 65).

    Parameters
    ----------
    s
        Signal hypothesis (expected count, ``> 0``).
    n_obs, b, sigma_b, sigma_s_rel
        Observed count, expected background, its absolute uncertainty and the relative
        signal-yield uncertainty.

    Returns
    -------
    float
        CLs in ``[0, 1]``.
    """
    b = b if b >= 1e-300 else 0.0  # a subnormal background is none (its q_A underflows)
    model = _Counting(n_obs, b, sigma_b, sigma_s_rel)
    q = _q_tilde(model, s)
    beta0 = model.beta_hat(0.0)  # background-only fit to the observed data
    asimov = _Counting(beta0, b, sigma_b, sigma_s_rel, aux_b=beta0)
    q_a = max(2.0 * (asimov.profiled_nll(s) - asimov.nll(0.0, beta0, 1.0)), 1e-300)
    sq, sqa = math.sqrt(q), math.sqrt(q_a)
    if q <= q_a:
        clsb = float(ndtr(-sq))
        clb = float(ndtr(sqa - sq))
    else:
        # both tails can underflow (q_A -> 0: an Asimov data set without sensitivity): the
        # ratio in logs, which tends to exp(-q/2) there
        with np.errstate(invalid="ignore", over="ignore"):
            # log of the normal survival function, log Phi(-x)
            log_cls = float(log_ndtr(-(q + q_a) / (2.0 * sqa))
                            - log_ndtr(-(q - q_a) / (2.0 * sqa)))
        if not math.isfinite(log_cls):
            # both arguments overflow (q_A ~ 0): the difference of the squared arguments is
            # q, so the ratio is its limit exp(-q/2)
            log_cls = -0.5 * q
        return float(np.clip(math.exp(min(log_cls, 0.0)), 0.0, 1.0))
    if clb <= 0.0:
        return 0.0
    return float(np.clip(clsb / clb, 0.0, 1.0))


def upper_limit_asymptotic(
    n_obs: float, b: float, sigma_b: float = 0.0, *, sigma_s_rel: float = 0.0, cl: float = 0.9
) -> float:
    """Asymptotic CLs upper limit on ``s`` (inputs assumed validated by the caller).

    Returns
    -------
    float
        ``s_up`` with ``cls_asymptotic(s_up) = 1 - cl``.
    """
    alpha = 1.0 - cl
    b = b if b >= 1e-300 else 0.0  # as in cls_asymptotic
    lo, hi = 0.0, 3.0 + n_obs + 4.0 * math.sqrt(n_obs + b + sigma_b**2) + 4.0 * sigma_b
    hi *= 1.0 + 10.0 * sigma_s_rel
    for _ in range(200):
        if cls_asymptotic(hi, n_obs, b, sigma_b, sigma_s_rel) < alpha:
            break
        lo, hi = hi, 2.0 * hi
    # below ~1e-3 sqrt(b) the likelihood ratio is too flat to locate a root (q ~ s^2/b)
    floor = 1e-3 * math.sqrt(1.0 + b)
    lo = max(lo, floor)
    if cls_asymptotic(lo, n_obs, b, sigma_b, sigma_s_rel) <= alpha:
        return lo
    return float(
        brentq(
            lambda x: cls_asymptotic(x, n_obs, b, sigma_b, sigma_s_rel) - alpha,
            lo,
            hi,
            xtol=1e-9,
            rtol=1e-10,
        )
    )
