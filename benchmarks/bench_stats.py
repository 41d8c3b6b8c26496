"""Timings of na64.stats: single limits, expected bands, a 30-mass exclusion, combinations.

Run:  python benchmarks/bench_stats.py

Each line prints the time per call and its ratio to a reference budget: 1 s for the full
30-mass exclusion (observed + five expected bands; the goal is "well under 1 s"),
1 ms for a single exact limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from na64.stats import (
    Run,
    combined_expected_limits,
    combined_upper_limit,
    exclusion_eps,
    exclusion_eps_bands,
    expected_limits,
    projected_limits,
    upper_limit,
)
from na64.units import MeV


def _best_of(func: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def _report(name: str, seconds: float, reference: float) -> None:
    print(
        f"{name:<58s} {1e3 * seconds:10.3f} ms   ratio to {1e3 * reference:g} ms: "
        f"{seconds / reference:8.4f}"
    )


def full_exclusion() -> dict[str, np.ndarray]:
    """30 masses, NA64 2016-2018-like inputs: n_obs = 0, b = 0.53 +- 0.17 (arXiv:1906.00176)."""
    masses = np.geomspace(1.0, 1000.0, 30) * MeV
    n_sig_eps1 = 1e14 * (masses / MeV) ** -2.0  # any positive per-mass yield
    s_obs = upper_limit(0, 0.53, 0.17, sigma_s_rel=0.1)
    out = {"observed": exclusion_eps(masses, n_sig_eps1, s_obs).eps}
    out.update(
        exclusion_eps_bands(masses, n_sig_eps1, expected_limits(0.53, 0.17, sigma_s_rel=0.1))
    )
    return out


def main() -> None:
    print("na64.stats benchmark (best of 5)")
    _report(
        "upper_limit cls, n=0, b=0.53+-0.17",
        _best_of(lambda: upper_limit(0, 0.53, 0.17), number=200),
        1e-3,
    )
    _report(
        "upper_limit cls, n=5, b=3+-1, sigma_s=0.1",
        _best_of(lambda: upper_limit(5, 3.0, 1.0, sigma_s_rel=0.1), number=200),
        1e-3,
    )
    _report(
        "upper_limit cls, n=1000, b=1000+-50",
        _best_of(lambda: upper_limit(1000, 1000.0, 50.0), number=20),
        1e-3,
    )
    _report(
        "upper_limit cls, n=1e9, b=1e9+-1e3 (bounded: no table over the counts)",
        _best_of(lambda: upper_limit(10**9, 1e9, 1e3), repeat=3),
        1.0,
    )
    _report(
        "upper_limit bayes, n=5, b=3+-1, sigma_s=0.1",
        _best_of(lambda: upper_limit(5, 3.0, 1.0, sigma_s_rel=0.1, method="bayes"), number=200),
        1e-3,
    )
    _report(
        "upper_limit cls-asymptotic, n=100, b=100+-10, sigma_s=0.1",
        _best_of(
            lambda: upper_limit(100, 100.0, 10.0, sigma_s_rel=0.1, method="cls-asymptotic"),
            number=10,
        ),
        1e-3,
    )
    _report(
        "expected_limits b=0.53+-0.17 (5 bands)",
        _best_of(lambda: expected_limits(0.53, 0.17), number=50),
        1e-3,
    )
    _report(
        "full 30-mass exclusion: observed + 5 expected bands",
        _best_of(full_exclusion, number=20),
        1.0,
    )
    _report(
        "projected_limits 5e12, 1e13 EOT (b/EOT = 0.53/2.84e11, 30%)",
        _best_of(lambda: projected_limits([5e12, 1e13], 0.53 / 2.84e11, 0.3), number=3),
        1.0,
    )
    runs = [Run(0, 0.1, 0.05, 0.43), Run(0, 0.2, 0.07, 0.54), Run(0, 0.23, 0.1, 1.87)]
    _report(
        "combined_upper_limit, 3 runs, exact enumeration",
        _best_of(lambda: combined_upper_limit(runs), number=3),
        1.0,
    )
    _report(
        "combined_expected_limits, 3 runs (b = 0.1, 0.2, 0.23)",
        _best_of(lambda: combined_expected_limits(runs), repeat=3),
        1.0,
    )
    runs5 = [Run(2, 1.5, 0.5, 1.0 + i) for i in range(5)]
    _report(
        "combined_upper_limit, 5 runs (b=1.5 each), toys 1e5",
        _best_of(lambda: combined_upper_limit(runs5, method="toys"), repeat=2),
        1.0,
    )


if __name__ == "__main__":
    main()
