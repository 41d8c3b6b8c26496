"""How different are the dark-bremsstrahlung spectra of the four spins above the signal box?

``na64 recast`` (:mod:`na64.reach.recast`) scales a limit between spins by the ratio of the
total cross sections above the missing-energy threshold and takes the acceptance ratio as
1.  That is exact only if the normalised spectra dsigma/dx above the threshold are the same.
This script computes, with :func:`na64.physics.dark_brem.dsigma_dx` (exact tree level, Pb,
100 GeV e-, threshold 50 GeV), for each mass and each spin against the vector:

* ``sigma_ratio``: sigma_spin / sigma_vector above the threshold (the production ratio used);
* ``mean_x``: the mean x = E_X/E0 above the threshold;
* ``ks_distance``: the largest difference of the normalised cumulative spectra (the
  Kolmogorov distance; an efficiency that depends on E_X changes by at most its range times
  this number).

Usage::

    python validation/recast_spectra.py [--csv validation/recast_spectra.csv]
"""

from __future__ import annotations

import argparse
import csv

import numpy as np

from na64.physics.dark_brem import dsigma_dx, total_cross_section
from na64.units import GeV, MeV

E0 = 100 * GeV
THRESHOLD = 50 * GeV
SPINS = ("vector", "scalar", "pseudoscalar", "axial")
MASSES_MEV = (1.0, 10.0, 100.0, 1000.0)


def _spectrum(mass: float, spin: str, x: np.ndarray) -> np.ndarray:
    return np.asarray(dsigma_dx(x, mass, E0, target="Pb", spin=spin), dtype=float)


def rows() -> list[dict[str, float | str]]:
    out: list[dict[str, float | str]] = []
    for m_mev in MASSES_MEV:
        m = m_mev * MeV
        lo = max(THRESHOLD, m) / E0
        edges = np.linspace(lo, 1.0, 2001)
        x = 0.5 * (edges[1:] + edges[:-1])
        ref = _spectrum(m, "vector", x)
        ref_cdf = np.cumsum(ref) / ref.sum()
        sig_v = float(total_cross_section(m, E0, target="Pb", spin="vector", threshold=THRESHOLD))
        for spin in SPINS:
            w = _spectrum(m, spin, x)
            cdf = np.cumsum(w) / w.sum()
            sig = float(total_cross_section(m, E0, target="Pb", spin=spin, threshold=THRESHOLD))
            out.append({"mass_MeV": m_mev, "spin": spin, "sigma_ratio": sig / sig_v,
                        "mean_x": float(np.sum(x * w) / w.sum()),
                        "ks_distance": float(np.max(np.abs(cdf - ref_cdf)))})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default="validation/recast_spectra.csv")
    args = parser.parse_args()
    table = rows()
    with open(args.csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        for r in table:
            writer.writerow({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in r.items()})
    print(f"{'m [MeV]':>8} {'spin':>13} {'sigma/sigma_V':>14} {'<x>':>7} {'KS vs V':>8}")
    for r in table:
        print(f"{r['mass_MeV']:>8g} {r['spin']:>13} {r['sigma_ratio']:>14.4g} "
              f"{r['mean_x']:>7.4f} {r['ks_distance']:>8.4f}")


if __name__ == "__main__":
    main()
