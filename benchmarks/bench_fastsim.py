"""Benchmark: events per second of na64's fast simulation for the full NA64e setup.

Run ``python benchmarks/bench_fastsim.py [n_events]``.  Prints events/s on one core
(beam sampling + ECAL, veto and HCAL response of 100 GeV electrons) and the ratio to a
full Geant4 simulation (~0.5 s per 100 GeV electron shower, i.e. ~2 events/s).  The goal
is >= 1e5 events/s.
"""

from __future__ import annotations

import os
import sys

# one core: keep numpy/BLAS from spawning threads
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

from na64.cli.bench import GEANT4_EVENTS_PER_S, run_fastsim_benchmark


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    res = run_fastsim_benchmark("na64e_2016_2018", n)
    print(f"setup            {res['setup']}")
    print(f"events           {res['events']}")
    print(f"time             {res['seconds']:.3f} s")
    print(f"events/s         {res['events_per_s']:.4g}")
    print(f"us/event         {res['us_per_event']:.2f}")
    print(f"ratio to Geant4  {res['ratio_to_geant4']:.3g} (Geant4 ~ {GEANT4_EVENTS_PER_S:g} events/s)")
    print(f"goal 1e5/s       {'met' if res['events_per_s'] >= 1e5 else 'NOT met'}")


if __name__ == "__main__":
    main()
