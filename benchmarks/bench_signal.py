"""Benchmark of the signal generator: cascade Monte Carlo and weighted A' sampling.

Prints showers/s of the numba cascade kernel (100 GeV e- in Pb, followed down to 1 GeV)
against the same kernel run as plain Python (``run_cascade.py_func``), and events/s of
``DarkBremSignal.sample`` (ETL cross section, m_A' = 16.7 MeV, E_A' > 50 GeV) against the
bare cascade rate, and events/s of ``AnnihilationSignal.sample`` (m_A' = 250 MeV,
E_+ > 40 GeV) against the same bare cascade.  Usage: ``python benchmarks/bench_signal.py``.
"""

from __future__ import annotations

import time

import numpy as np
from hepunits import GeV, MeV

from na64.generate import AnnihilationSignal, DarkBremSignal, _cascade, track_length_spectrum


def _rate(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - t0)


def main() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(12345))
    track_length_spectrum(100 * GeV, "Pb", e_min=1 * GeV, n_showers=10, rng=rng)  # compile

    def jit(n: int) -> None:
        track_length_spectrum(100 * GeV, "Pb", e_min=1 * GeV, n_showers=n, rng=rng)

    edges = np.geomspace(1 * GeV, 100 * GeV * (1 + 1e-12), 101)

    def pure(n: int) -> None:
        _cascade.run_cascade.py_func(n, 100 * GeV, 0, 7.43 * MeV, 1 * MeV, 1 * GeV, 1e12, edges,
                                     0.8, 50, np.zeros((2, 2)), 0.0, 1.0, True, False, rng)

    r_jit = _rate(20_000, jit)
    r_py = _rate(200, pure)
    print(f"cascade (100 GeV e- in Pb, E > 1 GeV): {r_jit:,.0f} showers/s (numba), "
          f"{r_py:,.0f} showers/s (plain Python): ratio {r_jit / r_py:.0f}x")

    gen = DarkBremSignal(16.7 * MeV, "Pb", threshold=50 * GeV, n_showers=20_000)
    t0 = time.perf_counter()
    gen.sample(10, rng)  # builds the sampling tables
    t_tables = time.perf_counter() - t0
    r_gen = _rate(20_000, lambda n: gen.sample(n, rng))
    t0 = time.perf_counter()
    p, dp = gen.production_probability()
    t_quad = time.perf_counter() - t0
    r_casc = _rate(20_000, lambda n: _cascade.run_cascade(
        n, 100 * GeV, 0, 7.43 * MeV, 50 * MeV, 50 * GeV, 1e12, edges, 1.0, 1,
        np.ones((2, 65)), 0.0, 0.1, False, True, rng))
    print(f"DarkBremSignal.sample (ETL, 16.7 MeV, E_A' > 50 GeV): {r_gen:,.0f} events/s; "
          f"bare cascade {r_casc:,.0f} events/s: ratio {r_gen / r_casc:.3f}; "
          f"tables {t_tables * 1e3:.0f} ms")
    print(f"production_probability: {p:.4e} ± {dp:.1e} per EOT (eps = 1) in {t_quad * 1e3:.0f} ms")

    ann = AnnihilationSignal(250 * MeV, "Pb", threshold=40 * GeV, n_showers=20_000)
    ann.sample(10, rng, e_min=40 * GeV)  # builds the sigma table
    r_ann = _rate(20_000, lambda n: ann.sample(n, rng, e_min=40 * GeV))
    print(f"AnnihilationSignal.sample (250 MeV, E+ > 40 GeV): {r_ann:,.0f} cascades/s; "
          f"bare cascade {r_casc:,.0f} events/s: ratio {r_ann / r_casc:.3f}")


if __name__ == "__main__":
    main()
