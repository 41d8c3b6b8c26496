"""Dark-bremsstrahlung cross-section benchmark.

    python benchmarks/bench_xsec.py            # default: 200 repetitions of one sigma
    python benchmarks/bench_xsec.py --reps 50

Prints (after a warm-up call that triggers/loads the numba compilation):

* the time of one ETL total cross section (e- Pb, 100 GeV, m = 10 MeV and 500 MeV; single
  call through the public API, median over repetitions) and its ratio to the 5 ms target;
* the time to fill the whole 62 x 8 DMG4 reference grid (1 keV - 3 GeV, 20 - 160 GeV, one
  vectorized call, numba-parallel over the 2 cores) and its ratio to the 2 s target;
* the same grid for the IWW and WW approximations, and the largest deviation from the
  DMG4 ETL reference table in 2 MeV - 1 GeV (a correctness reminder, not a timing).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from hepunits import GeV, MeV, keV, picobarn

from na64.physics import dark_brem

MASSES_MEV = np.concatenate([
    [0.001, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,
     0.8, 0.9, 1, 2, 4, 6, 8, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    np.arange(200.0, 3001.0, 100.0),
])
ENERGIES_GEV = np.arange(20.0, 161.0, 20.0)


def _time_one(mass: float, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        dark_brem.total_cross_section(mass, 100 * GeV, coupling=1e-4)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _time_grid(method: str, reps: int = 3) -> tuple[float, np.ndarray]:
    m, e = np.meshgrid(MASSES_MEV * MeV, ENERGIES_GEV * GeV, indexing="ij")
    best = float("inf")
    sigma = np.empty(0)
    for _ in range(reps):
        t0 = time.perf_counter()
        sigma = np.asarray(dark_brem.total_cross_section(m, e, coupling=1e-4, method=method))
        best = min(best, time.perf_counter() - t0)
    return best, sigma


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="repetitions of one sigma")
    args = parser.parse_args()

    t0 = time.perf_counter()
    dark_brem.total_cross_section(1 * keV, 20 * GeV)  # compile or load the numba cache
    dark_brem.total_cross_section(np.array([10.0, 20.0]) * MeV, 100 * GeV, method="ww")
    dark_brem.total_cross_section(np.array([10.0, 20.0]) * MeV, 100 * GeV, method="iww")
    print(f"warm-up (numba compile or cache load): {time.perf_counter() - t0:.2f} s")

    for m in (10 * MeV, 500 * MeV):
        dt = _time_one(m, args.reps)
        print(f"one ETL sigma, e- Pb 100 GeV, m = {m / MeV:g} MeV: {dt * 1e3:.2f} ms "
              f"(target 5 ms, ratio {dt / 5e-3:.2f})")

    n = MASSES_MEV.size * ENERGIES_GEV.size
    for method in ("etl", "iww", "ww"):
        dt, sigma = _time_grid(method)
        extra = f" (target 2 s, ratio {dt / 2.0:.2f})" if method == "etl" else ""
        print(f"{method.upper():>3} {MASSES_MEV.size} x {ENERGIES_GEV.size} grid ({n} points): "
              f"{dt:.3f} s, {dt / n * 1e3:.2f} ms/point{extra}")
        if method == "etl":
            etl = sigma
    try:
        import csv
        from pathlib import Path

        ref_path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dmg4_sigma_vector_pb.csv"
        with ref_path.open() as fh:
            rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
        ref = {(float(r["mass_MeV"]), float(r["beam_energy_GeV"])): float(r["sigma_pb"])
               for r in rows}
        dev = [etl[i, j] / picobarn / ref[(mm, ee)] - 1
               for i, mm in enumerate(MASSES_MEV) for j, ee in enumerate(ENERGIES_GEV)
               if 2.0 <= mm <= 1000.0]
        print(f"max |ETL/DMG4 - 1| for 2 MeV <= m <= 1 GeV: {max(abs(d) for d in dev):.3f}")
    except (OSError, KeyError) as exc:
        print(f"(DMG4 reference table not compared: {exc})")


if __name__ == "__main__":
    main()
