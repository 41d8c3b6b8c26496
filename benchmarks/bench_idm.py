"""Speed of the inelastic-dark-matter layer: the chi2 widths and the decay chain in flight.

Run:  python benchmarks/bench_idm.py [--events 1000000]

Prints milliseconds per ``Idm(...)`` point with its chi2 widths (the Dalitz integral and the
hadronic integral; reference 10 ms: a 100-mass scan should take about a second) and events/s
of :func:`na64.generate.idm.idm_decay_in_flight` (A' -> chi1 chi2, chi2 -> chi1 e+e- with
four-vectors; reference 1e6 events/s, the rate of the fast simulation it feeds being ~1e5/s).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from na64.generate.idm import idm_decay_in_flight
from na64.models import Idm
from na64.units import GeV, MeV


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")

    masses = np.geomspace(10 * MeV, 3 * GeV, 100)
    t0 = time.perf_counter()
    for mass in masses:
        Idm(float(mass), 1e-4, delta=0.4).chi2_total_width()
    ms = (time.perf_counter() - t0) / masses.size * 1e3
    print(f"Idm(...) + chi2 widths: {ms:.2f} ms/point  (ratio to 10 ms: {ms / 10:.2f})")

    for delta in (0.1, 0.4):
        model = Idm(300 * MeV, 1e-4, delta=delta)
        rng = np.random.default_rng(1)
        n = args.events
        e = rng.uniform(1 * GeV, 100 * GeV, n)
        tx, ty = rng.normal(0, 1e-3, n), rng.normal(0, 1e-3, n)
        best = np.inf
        for _ in range(3):  # the first call also pays for the s table and fresh memory pages
            t0 = time.perf_counter()
            idm_decay_in_flight(e, tx, ty, model, rng)
            best = min(best, time.perf_counter() - t0)
        rate = n / best
        print(f"idm_decay_in_flight (Delta = {delta:g}): {rate:,.0f} events/s  "
              f"(ratio to 1e6/s: {rate / 1e6:.2f})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
