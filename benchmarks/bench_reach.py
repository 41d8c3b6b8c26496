"""Benchmark of the main job, ``na64 reach invisible`` (NA64e 2016-2018 analysis).

Prints the wall time of one mass point (signal generation, beam line, fast simulation,
reconstruction, selection), the biased signal events per second through that whole chain,
the time of the background estimate, and the projected time of the default job
(30 masses x ``events_per_mass``) on one core against the budget of 2 minutes on 2
cores.  Usage: ``python benchmarks/bench_reach.py [--events 3000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from na64.reach import Search, load_analysis
from na64.units import MeV

#: Budget of the default job: 2 minutes on a 2-core machine.
BUDGET_S = 120.0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=3000, help="biased events per mass point")
    p.add_argument("--repeat", type=int, default=3, help="repetitions; the fastest is kept")
    args = p.parse_args()

    cfg = load_analysis("invisible_2016_2018")
    search = Search(cfg)
    seeds = np.random.SeedSequence(2024).spawn(2 + args.repeat)
    search.signal_point(17 * MeV, np.random.default_rng(seeds[0]), n_events=200)  # warm up

    best = float("inf")
    for i in range(args.repeat):
        t0 = time.perf_counter()
        search.signal_point(100 * MeV, np.random.default_rng(seeds[2 + i]),
                            n_events=args.events)
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    search.background(np.random.default_rng(seeds[1]))
    t_bkg = time.perf_counter() - t0

    n_masses = 30  # the default --masses 1MeV:1GeV:30
    total = n_masses * best + t_bkg
    print(f"signal point (100 MeV, {args.events} biased events): {best:.2f} s "
          f"= {args.events / best:,.0f} events/s through generation + sim + reco + selection")
    print(f"background estimate: {t_bkg:.2f} s")
    print(f"default job ({n_masses} masses): ~{total:.0f} s on 1 core, ~{total / 2:.0f} s on 2 "
          f"workers; budget {BUDGET_S:.0f} s on 2 cores: ratio {BUDGET_S / (total / 2):.1f}x")


if __name__ == "__main__":
    main()
