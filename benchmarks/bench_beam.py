"""Throughput of the beam chain: sample_beam + srd_response + track_momentum.

Run:  python benchmarks/bench_beam.py [n_particles]

Prints particles/s of each stage and of the chain, and the ratio of the chain to the
reference target of 1e6 particles/s on one core (the NA64e H4 beam line, 100 GeV e-
with 1% pi- and 0.3% K- admixture and an 18 m decay region).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from na64.beam import load_beam, load_beamline, sample_beam, srd_response, srd_tag, track_momentum

REFERENCE = 1.0e6  # particles / s


def main(n: int = 1_000_000, repeats: int = 3) -> None:
    line = load_beamline("h4_electrons")
    beam = load_beam({
        "particle": "e-", "energy": "100GeV", "momentum_spread": 0.01,
        "tail": {"fraction": 0.01},
        "admixtures": [{"particle": "pi-", "fraction": 0.01}, {"particle": "K-", "fraction": 0.003}],
    })
    seeds = np.random.SeedSequence(2024).spawn(3)
    rngs = [np.random.default_rng(s) for s in seeds]
    # warm-up (numba compilation / cache load, SR tables)
    warm = sample_beam(beam, line, 1000, rngs[0])
    srd_response(warm, line, rngs[1])
    track_momentum(warm, line, rngs[2])

    best = {"sample_beam": np.inf, "srd_response+tag": np.inf, "track_momentum": np.inf}
    for _ in range(repeats):
        t0 = time.perf_counter()
        parts = sample_beam(beam, line, n, rngs[0])
        t1 = time.perf_counter()
        srd_tag(srd_response(parts, line, rngs[1]), line)
        t2 = time.perf_counter()
        track_momentum(parts, line, rngs[2])
        t3 = time.perf_counter()
        best["sample_beam"] = min(best["sample_beam"], t1 - t0)
        best["srd_response+tag"] = min(best["srd_response+tag"], t2 - t1)
        best["track_momentum"] = min(best["track_momentum"], t3 - t2)
    for name, t in best.items():
        print(f"{name:>18s}: {n / t:12.3e} particles/s  ({1e3 * t:8.1f} ms for {n})")
    total = sum(best.values())
    rate = n / total
    print(f"{'chain':>18s}: {rate:12.3e} particles/s  ratio to 1e6/s reference: {rate / REFERENCE:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
