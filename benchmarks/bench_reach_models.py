"""Benchmark of ``na64 reach invisible --model NAME``: one model's full default scan.

Times the whole job of the command line's defaults (30 masses from 1 MeV to 1 GeV, the
analysis' events per mass and background events, N-1 distributions) for each model, in
process, and prints the wall time, the signal events per second (generation, fast
simulation of the escaping and of the decaying boson, reconstruction, selection) and the
ratio to the budget of 2 minutes on 2 cores.  The load average is printed before each run:
other processes on the machine distort the numbers.

Usage: ``python benchmarks/bench_reach_models.py [--models b-l,alp,x-vector,lmu-ltau,idm]
[--events 3000]``.  ``alp`` and ``idm`` run their analyses ``alp_2016_2018`` (Primakoff,
decays behind the first HCAL module) and ``idm_2016_2018`` (masses from where χ2 → χ1 e+e−
opens); the others the 2016-2018 invisible-mode analysis with ``--model``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from na64.reach.config import load_analysis
from na64.reach.in_flight import invisible_processes, lowest_mass
from na64.reach.invisible import run_invisible
from na64.units import GeV, MeV

#: Budget of one model's scan: 2 minutes on a 2-core machine.
BUDGET_S = 120.0


def _config(model: str):
    if model in ("alp", "idm"):
        return load_analysis(f"{model}_2016_2018")
    cfg = load_analysis("invisible_2016_2018")
    return cfg.model_copy(update={"signal": cfg.signal.model_copy(update={
        "model": model, "processes": invisible_processes(model, cfg.signal.processes)})})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", default="b-l,alp,x-vector,lmu-ltau,idm")
    p.add_argument("--events", type=int, default=None,
                   help="biased events per mass point [default: the analysis']")
    args = p.parse_args()
    for model in args.models.split(","):
        cfg = _config(model)
        masses = np.geomspace(max(1 * MeV, lowest_mass(cfg.signal)), 1 * GeV, 30)
        n_signal = masses.size * (args.events or cfg.signal.events_per_mass)
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        r = run_invisible(cfg, masses, events_per_mass=args.events)
        dt = time.perf_counter() - t0
        excluded = int(np.isfinite(r.eps_90).sum())
        print(f"{model}: {dt:.1f} s for {masses.size} masses ({n_signal / dt:,.0f} signal "
              f"events/s incl. background and N-1; {excluded} masses excluded; load "
              f"{load:.2f}); budget {BUDGET_S:.0f} s: ratio {BUDGET_S / dt:.2f}x")


if __name__ == "__main__":
    main()
