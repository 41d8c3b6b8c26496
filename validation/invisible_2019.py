"""Validation: NA64 2016-2018 invisible-mode limit (PRL 123, 121801 (2019), arXiv:1906.00176).

Runs the full na64 chain for the published exposure (2.84e11 EOT, zero observed) with na64's
own efficiencies and background, and compares ε_90(m_A') with the published curve read off in
../shared/reference/na64_invisible_2019.csv.  Nothing is fitted to that curve.

Usage::

    python validation/invisible_2019.py [--events 3000] [--out validation/invisible_2019.png]

Prints the ratio na64 / published at each reference mass and writes a comparison plot.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from hepunits import GeV, MeV

from na64.reach.config import load_analysis
from na64.reach.invisible import run_invisible

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "na64_invisible_2019.csv"
PUBLISHED = Path(__file__).resolve().parents[1] / "src" / "na64" / "data" / "published" / "na64_invisible_2019.csv"


def read_reference(path: Path = REFERENCE) -> tuple[np.ndarray, np.ndarray]:
    """(masses [MeV], ε_90) of the published curve (the copy shipped with na64 if the
    ../shared reference table is absent)."""
    if not path.is_file():
        from na64.plots.limits import read_overlay_csv

        return read_overlay_csv(PUBLISHED)
    rows = [r for r in csv.reader(line for line in path.open() if not line.startswith("#"))]
    data = np.array([[float(a), float(b)] for a, b in rows[1:]])
    return data[:, 0] * MeV, data[:, 1]


def compare(events: int = 3000, seed: int = 1) -> dict[str, np.ndarray]:
    """ε_90 of na64 at the reference masses and the ratio to the published values."""
    m_ref, eps_ref = read_reference()
    cfg = load_analysis("invisible_2016_2018")
    res = run_invisible(cfg, m_ref, seed=seed, events_per_mass=events)
    return {"mass": m_ref, "published": eps_ref, "na64": res.eps_90,
            "ratio": res.eps_90 / eps_ref, "efficiency": np.array([p.efficiency for p in res.points])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("invisible_2019.png"))
    args = ap.parse_args()
    cmp = compare(args.events)
    print(f"{'m [MeV]':>9} {'published':>11} {'na64':>11} {'ratio':>7} {'efficiency':>10}")
    for m, p, n, r, e in zip(cmp["mass"], cmp["published"], cmp["na64"], cmp["ratio"],
                             cmp["efficiency"], strict=True):
        print(f"{m / MeV:9.4g} {p:11.3g} {n:11.3g} {r:7.2f} {e:10.3f}")

    from na64.plots.limits import plot_exclusion, save_figure

    cfg = load_analysis("invisible_2016_2018")
    masses = np.geomspace(1 * MeV, 1 * GeV, 20)
    res = run_invisible(cfg, masses, seed=1, events_per_mass=args.events)
    ax = plot_exclusion(masses, res.eps_90,
                        overlays=[("NA64, PRL 123, 121801 (2019), read off", cmp["mass"],
                                   cmp["published"])],
                        ylabel=r"$\epsilon$", experiment="na64", text="  simulation vs published",
                        lumi="2.84e11 EOT, 0 observed")
    ax.fill_between(cmp["mass"] / GeV, cmp["published"] * 0.7, cmp["published"] * 1.3,
                    color="grey", alpha=0.3, lw=0, label="published ± 30%")
    ax.legend(fontsize=15, frameon=False)
    fig = ax.get_figure()
    for path in save_figure(fig, args.out):
        print("wrote", path)


if __name__ == "__main__":
    main()
