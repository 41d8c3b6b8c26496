"""Benchmark of ``na64 reach muon`` (NA64mu missing-momentum search).

Times the whole job (the CLI's 16 masses x ``events_per_mass``, the background, N-1) in
process with the local executor and with worker processes, and prints the wall time, the
signal events per second through generation + fast simulation + reconstruction +
selection, and the ratio to the budget of 2 minutes on 2 cores.
Usage: ``python benchmarks/bench_reach_muon.py [--analysis muon_2022] [--events 3000]
[--workers 2] [--skip-local]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from na64.reach.muon import run_muon
from na64.reach.muon_config import load_muon_analysis
from na64.run.executors import make_executor
from na64.units import GeV, MeV

#: Budget of the job: 2 minutes on a 2-core machine.
BUDGET_S = 120.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--analysis", default="muon_2022")
    p.add_argument("--events", type=int, default=None,
                   help="biased events per mass point [default: the analysis']")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--skip-local", action="store_true", help="time only the worker pool")
    args = p.parse_args()
    cfg = load_muon_analysis(args.analysis)
    masses = np.geomspace(1 * MeV, 1 * GeV, 16)  # the CLI's default scan
    n_signal = masses.size * (args.events or cfg.signal.events_per_mass)
    modes = [(f"processes x{args.workers}", args.workers)]
    if not args.skip_local:
        modes.insert(0, ("local", 0))
    for label, workers in modes:
        t0 = time.perf_counter()
        if workers:
            with make_executor("processes", workers=workers) as ex:
                run_muon(cfg, masses, events_per_mass=args.events, executor=ex)
        else:
            run_muon(cfg, masses, events_per_mass=args.events)
        dt = time.perf_counter() - t0
        print(f"{args.analysis}, {label}: {dt:.1f} s for {masses.size} masses "
              f"({n_signal / dt:,.0f} signal events/s incl. background and N-1); "
              f"budget {BUDGET_S:.0f} s: ratio {BUDGET_S / dt:.2f}x")


if __name__ == "__main__":
    main()
