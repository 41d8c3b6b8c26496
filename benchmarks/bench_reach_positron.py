"""Benchmark of ``na64 reach positron`` (positron-beam search, one or several energies).

Times the whole job (30 masses x energies x ``events_per_mass``, backgrounds per energy,
N-1, the combinations) in process with the local executor and with worker processes, and
prints the wall time, the signal events per second through generation + fast simulation +
reconstruction + selection, and the ratio to the budget of 2 minutes on 2 cores.
Usage: ``python benchmarks/bench_reach_positron.py [--analysis positron_2022]
[--events 3000] [--workers 2] [--skip-local]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from na64.reach.positron import run_positron
from na64.reach.positron_config import load_positron_analysis
from na64.run.executors import make_executor
from na64.units import GeV, MeV

#: Budget of the job: 2 minutes on a 2-core machine.
BUDGET_S = 120.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--analysis", default="positron_2022",
                   help="positron_2022 (100 GeV) or positron_scan (100, 70, 40 GeV)")
    p.add_argument("--events", type=int, default=None,
                   help="biased events per mass point [default: the analysis']")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--skip-local", action="store_true", help="time only the worker pool")
    args = p.parse_args()
    cfg = load_positron_analysis(args.analysis)
    masses = np.geomspace(1 * MeV, 1 * GeV, 30)  # the CLI's default scan
    n_groups = len(cfg.groups())
    n_events = args.events or cfg.signal.events_per_mass
    n_signal = masses.size * n_groups * n_events
    modes = [(f"processes x{args.workers}", args.workers)]
    if not args.skip_local:
        modes.insert(0, ("local", 0))
    for label, workers in modes:
        t0 = time.perf_counter()
        if workers:
            with make_executor("processes", workers=workers) as ex:
                run_positron(cfg, masses, events_per_mass=args.events, executor=ex)
        else:
            run_positron(cfg, masses, events_per_mass=args.events)
        dt = time.perf_counter() - t0
        print(f"{args.analysis}, {label}: {dt:.1f} s for {masses.size} masses x {n_groups} "
              f"energies ({n_signal / dt:,.0f} signal events/s incl. backgrounds and N-1); "
              f"budget {BUDGET_S:.0f} s: ratio {BUDGET_S / dt:.2f}x")


if __name__ == "__main__":
    main()
