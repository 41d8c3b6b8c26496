"""Combination of runs whose nuisances are fully correlated (one common scale for all runs).

When the background of every run comes from one estimate (a per-EOT rate times the run's
EOT) its uncertainty is common: ``beta_i = gamma * b_i`` with a single ``gamma ~ Gamma(mean 1,
sd rho_b)``; likewise a common signal-yield scale ``kappa`` (e.g. the efficiency systematic).
The joint probability no longer factorizes over runs; it is the mixture (Cousins-Highland
marginalization, NIM A320 (1992) 331)

    P(n | S) = E_{gamma, kappa} [ prod_i Poisson(n_i | kappa S f_i + gamma b_i) ],

evaluated with Gauss quadrature for the Gamma weight: the generalized Gauss-Laguerre rule
for ``x**(r-1) exp(-x)`` (``x = r gamma``, ``r = 1/rho**2``), whose nodes and normalized weights
come from the eigen-decomposition of its Jacobi matrix (Golub & Welsch, Math. Comp. 23
(1969) 221; Laguerre recurrence coefficients ``a_k = 2k + alpha + 1``,
``b_k = sqrt(k (k + alpha))``, Abramowitz & Stegun 22.7.12).  The normalized weights never
overflow, unlike ``Gamma(r)``-scaled tables for large ``r``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import eigh_tridiagonal
from scipy.special import xlogy

from ..errors import InputError
from ._checks import NEGLIGIBLE_REL
from .marginal import count_range

if TYPE_CHECKING:
    from .combine import Run

__all__ = [
    "CORRELATED_MAX_WORK",
    "cls_exact_correlated",
    "common_widths",
    "gamma_nodes",
    "joint_background_pmf",
]

#: Number of quadrature nodes per correlated nuisance.
N_NODES = 40
#: Largest (outcome grid) x (nodes) evaluated per hypothesis.
CORRELATED_MAX_WORK = 40_000_000

_B_FLOOR = 1e-12
_TAIL = 1e-12
_TIE = 1e-9


@lru_cache(maxsize=64)
def gamma_nodes(rel: float, n: int = N_NODES) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Nodes and weights integrating a Gamma(mean 1, sd ``rel``) density (weights sum to 1).

    Parameters
    ----------
    rel
        Relative width ``rho``; ``rel < 1e-6`` gives the single node 1.
    n
        Number of nodes.

    Returns
    -------
    (nodes, weights)
        ``sum_q w_q g(x_q) ~ E[g(gamma)]``, exact for polynomials of degree ``2n - 1``.
    """
    if rel < NEGLIGIBLE_REL:
        return np.ones(1), np.ones(1)
    r = 1.0 / (rel * rel)
    alpha = r - 1.0
    k = np.arange(n, dtype=np.float64)
    diag = 2.0 * k + alpha + 1.0
    off = np.sqrt(k[1:] * (k[1:] + alpha))
    x, vec = eigh_tridiagonal(diag, off)
    w = vec[0, :] ** 2
    return np.asarray(x / r), np.asarray(w / np.sum(w))


def common_widths(runs: Sequence[Run]) -> tuple[float, float]:
    """The common relative widths ``(rho_b, rho_s)``; all runs must share them.

    Raises
    ------
    InputError
        If runs with a background have different ``sigma_b / b`` or the runs have different
        ``sigma_s_rel`` (a single common scale cannot describe them).
    """
    rel_b = [r.sigma_b / r.b for r in runs if r.b > 0.0]
    rho_b = rel_b[0] if rel_b else 0.0
    if any(not math.isclose(x, rho_b, rel_tol=1e-9, abs_tol=1e-12) for x in rel_b):
        raise InputError(
            "runs",
            "correlated=True needs the same relative background uncertainty sigma_b/b "
            f"in every run, got {sorted(set(rel_b))}",
        )
    rel_s = [r.sigma_s_rel for r in runs]
    if any(not math.isclose(x, rel_s[0], rel_tol=1e-9, abs_tol=1e-12) for x in rel_s):
        raise InputError(
            "runs",
            f"correlated=True needs the same sigma_s_rel in every run, got {sorted(set(rel_s))}",
        )
    return rho_b, rel_s[0]


def _ranges(runs: Sequence[Run], fractions: NDArray[np.float64], s_tot: float) -> list[int]:
    """Per-run count ranges: those of the (identical) single-run marginals, tails < 1e-12."""
    out = []
    for r, f in zip(runs, fractions, strict=True):
        b = max(r.b, _B_FLOOR)
        sb = r.sigma_b if r.b >= _B_FLOOR else 0.0
        # the length of pmf_table(...), computed without building it (O(1) in the counts)
        n_s, n_b = count_range(s_tot * float(f), b, sb, r.sigma_s_rel, tail=_TAIL)
        out.append(max(n_s + n_b, r.n_obs) + 1)
    return out


def _joint_pmf(
    b: NDArray[np.float64],
    sig: NDArray[np.float64],
    sizes: list[int],
    rho_b: float,
    rho_s: float,
) -> NDArray[np.float64]:
    """``E_{gamma,kappa}[prod_i Poisson(n_i | kappa sig_i + gamma b_i)]`` on the outcome grid."""
    g_x, g_w = gamma_nodes(rho_b)
    k_x, k_w = gamma_nodes(rho_s) if np.any(sig > 0) else (np.ones(1), np.ones(1))
    total = np.zeros(math.prod(sizes))
    for kappa, wk in zip(k_x, k_w, strict=True):  # <= N_NODES quadrature nodes, not events
        grid = np.ones((g_x.size, 1))
        for i, n_i in enumerate(sizes):
            n = np.arange(n_i, dtype=np.float64)
            lam = kappa * sig[i] + g_x[:, None] * b[i]
            logp = xlogy(n[None, :], lam) - lam - np.cumsum(np.log(np.maximum(n, 1.0)))[None, :]
            grid = (grid[:, :, None] * np.exp(logp)[:, None, :]).reshape(g_x.size, -1)
        total += wk * (g_w @ grid)
    return total


def cls_exact_correlated(
    runs: Sequence[Run], fractions: NDArray[np.float64], s_tot: float
) -> float:
    """CLs of ``s_tot`` for runs with fully correlated nuisances, by exact enumeration.

    The test statistic is the log-likelihood ratio of the joint marginal probabilities
    (Read, J. Phys. G 28 (2002) 2693; Junk arXiv:hep-ex/9902006), ``CL_{s+b} = P(t <= t_obs | S)``.
    """
    if s_tot <= 0.0:
        return 1.0
    rho_b, rho_s = common_widths(runs)
    sizes = _ranges(runs, fractions, s_tot)
    work = math.prod(sizes) * N_NODES * (N_NODES if rho_s >= NEGLIGIBLE_REL else 1)
    if work > CORRELATED_MAX_WORK:
        raise InputError(
            "runs",
            f"correlated combination too large for exact enumeration ({work:.3g} > "
            f"{CORRELATED_MAX_WORK:.3g} grid x node evaluations); use correlated=False",
        )
    b = np.array([max(r.b, _B_FLOOR) for r in runs])
    sig = s_tot * np.asarray(fractions, dtype=np.float64)
    p_s = _joint_pmf(b, sig, sizes, rho_b, rho_s)
    p_0 = _joint_pmf(b, np.zeros_like(sig), sizes, rho_b, 0.0)
    t = np.log(np.maximum(p_s, 1e-300)) - np.log(np.maximum(p_0, 1e-300))
    obs = int(np.ravel_multi_index(tuple(r.n_obs for r in runs), sizes))
    t_obs = float(t[obs])
    sel = t <= t_obs + _TIE * (1.0 + abs(t_obs))
    clsb = float(np.sum(p_s[sel]))
    clb = float(np.sum(p_0[sel]))
    return min(clsb / clb, 1.0) if clb > 0.0 else 1.0


def joint_background_pmf(
    runs: Sequence[Run], sizes: list[int], rho_b: float
) -> NDArray[np.float64]:
    """Background-only joint pmf (flattened grid of ``sizes``) with a common background scale."""
    b = np.array([max(r.b, _B_FLOOR) for r in runs])
    return _joint_pmf(b, np.zeros_like(b), sizes, rho_b, 0.0)
