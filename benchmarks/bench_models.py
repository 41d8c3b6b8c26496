"""Speed of the model layer: vectorised widths, R ratio, and the thermal-relic targets.

Run:  python benchmarks/bench_models.py

Prints masses/s for ``dark_photon_widths`` over a 1e5-point mass scan (reference 1e6/s),
microseconds per ``DarkPhoton(...).widths()`` point (reference 100 us) and the time of a
50-mass ``y_thermal`` line per dark-matter kind (reference 1 s: one line of an exclusion
plot should not be noticeable).
"""

from __future__ import annotations

import time

import numpy as np

from na64.models import DarkPhoton, dark_photon_widths
from na64.physics.relic import RELIC_KINDS, y_thermal
from na64.units import GeV, MeV


def best_of(fn, repeats: int = 3) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    masses = np.geomspace(1.1 * MeV, 10 * GeV, 100_000)
    dark_photon_widths(masses[:10], 1e-4)  # warm-up (3-pion table)
    t = best_of(lambda: dark_photon_widths(masses, 1e-4, 0.5))
    rate = masses.size / t
    print(f"dark_photon_widths: {rate:,.0f} masses/s  (ratio to 1e6/s: {rate / 1e6:.2f})")

    pts = np.geomspace(1.1 * MeV, 10 * GeV, 1000)
    t = best_of(lambda: [DarkPhoton(float(m), 1e-4).widths() for m in pts])
    us = t / pts.size * 1e6
    print(f"DarkPhoton(...).widths(): {us:.1f} us/point  (ratio to 100 us: {us / 100:.2f})")

    line = np.geomspace(1 * MeV, 1 * GeV, 50)
    y_thermal(line[:2], "scalar")  # warm-up (g_* table)
    for kind in RELIC_KINDS:
        t = best_of(lambda kind=kind: y_thermal(line, kind), repeats=2)
        print(f"y_thermal({kind}, 50 masses): {t * 1e3:.0f} ms  (ratio to 1 s: {t:.2f})")


if __name__ == "__main__":
    main()
