"""Benchmark of ``na64 reach visible`` (NA64e 2017+2018 visible-mode analysis).

Times the whole default job (17 masses x 2 run groups x ``events_per_mass``, backgrounds,
N-1, outputs) in process with the local executor and with 2 worker processes, and prints
the wall time, the signal events per second through generation + decay + fast simulation +
reconstruction + selection, and the ratio to the budget of 2 minutes on 2 cores.
Usage: ``python benchmarks/bench_reach_visible.py [--events 3000] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from na64.reach.visible import run_visible
from na64.reach.visible_config import load_visible_analysis
from na64.run.executors import make_executor
from na64.units import MeV

#: Budget of the job: 2 minutes on a 2-core machine.
BUDGET_S = 120.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=3000, help="biased events per mass point")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    cfg = load_visible_analysis("visible_2017_2018")
    masses = np.unique(np.append(np.geomspace(1.5 * MeV, 40 * MeV, 16), 16.7 * MeV))
    n_signal = masses.size * len(cfg.groups()) * args.events
    for label, workers in (("local", 0), (f"processes x{args.workers}", args.workers)):
        t0 = time.perf_counter()
        if workers:
            with make_executor("processes", workers=workers) as ex:
                run_visible(cfg, masses, events_per_mass=args.events, executor=ex)
        else:
            run_visible(cfg, masses, events_per_mass=args.events)
        dt = time.perf_counter() - t0
        print(f"{label}: {dt:.1f} s for {masses.size} masses x {len(cfg.groups())} groups "
              f"({n_signal / dt:,.0f} signal events/s incl. backgrounds and N-1); budget "
              f"{BUDGET_S:.0f} s: ratio {BUDGET_S / dt:.2f}x")


if __name__ == "__main__":
    main()
