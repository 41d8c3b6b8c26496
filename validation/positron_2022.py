"""Validation: NA64 positron-beam limit, 1.01e10 e+OT at 100 GeV (PRD 109, L031103 (2024),
arXiv:2308.15612).

Runs the full na64 chain of ``positron_2022`` (the beam positron's resonant annihilation, the
shower positrons' annihilation, dark brem of every e±; na64's own efficiencies and
backgrounds; zero events observed) and compares ε_90(m_A') with the published curve shipped
in ``src/na64/data/published/na64_positron_2022.csv``.  Nothing is fitted to that curve:
the hadron admixtures of the beam and the box edge E_ECAL < 50 GeV are the analysis file's
(assumed) values.  Besides the combined limit it prints the brem-only and the
annihilation-only limits, which tell where a difference comes from.

Usage::

    python validation/positron_2022.py [--events 3000] [--workers 2]

Writes ``validation/positron_2022.csv`` (mass, na64 combined / brem-only / annihilation-only,
published, ratio) and ``validation/positron_2022.png/.pdf`` (the limits and the ratio).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from hepunits import GeV, MeV

from na64.plots.limits import read_overlay_csv
from na64.reach.positron import PositronResult, run_positron
from na64.reach.positron_config import load_positron_analysis

HERE = Path(__file__).resolve().parent
PUBLISHED = HERE.parent / "src" / "na64" / "data" / "published" / "na64_positron_2022.csv"
#: masses of the comparison (MeV): the brem region, the shoulder below the resonance, the
#: resonance of a 100 GeV beam (box edge 50 GeV: 226-320 MeV) and above it
MASSES = np.array([1.5, 3, 6, 12, 25, 50, 75, 100, 125, 150, 175, 200, 215, 230, 250, 275,
                   300, 315, 330, 350, 380]) * MeV


def published(masses: np.ndarray) -> np.ndarray:
    """The published ε_90 at ``masses`` (MeV), log-log interpolated along the curve."""
    m, eps = read_overlay_csv(PUBLISHED)
    return np.exp(np.interp(np.log(masses), np.log(m), np.log(eps)))


def compare(result: PositronResult) -> list[dict[str, float]]:
    """One row per mass: na64's limits, the published one and the ratio."""
    pub = published(result.masses)
    return [{"mass_GeV": m / GeV, "na64": c, "na64_brem_only": b,
             "na64_annihilation_only": a, "published": p, "ratio": c / p,
             "ratio_brem_only": b / p}
            for m, c, b, a, p in zip(result.masses, result.eps_90, result.eps_brem,
                                     result.eps_annihilation, pub, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000, help="signal events per mass")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cfg = load_positron_analysis("positron_2022")
    if args.workers > 1:
        from na64.run.executors import make_executor

        with make_executor("processes", workers=args.workers) as ex:
            result = run_positron(cfg, MASSES, seed=args.seed, events_per_mass=args.events,
                                  executor=ex, nminus1=False)
    else:
        result = run_positron(cfg, MASSES, seed=args.seed, events_per_mass=args.events,
                              nminus1=False)
    rows = compare(result)
    with (HERE / "positron_2022.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: f"{v:.4g}" for k, v in r.items()})
    print(f"{'m [MeV]':>8} {'na64':>9} {'brem':>9} {'annih.':>9} {'published':>9} "
          f"{'ratio':>6} {'brem/pub':>8}")
    for r in rows:
        print(f"{r['mass_GeV'] * 1e3:8.1f} {r['na64']:9.3g} {r['na64_brem_only']:9.3g} "
              f"{r['na64_annihilation_only']:9.3g} {r['published']:9.3g} {r['ratio']:6.2f} "
              f"{r['ratio_brem_only']:8.2f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from na64.plots.limits import save_figure

    m_pub, e_pub = read_overlay_csv(PUBLISHED)
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(7, 7), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 1]})
    gev = result.masses / GeV
    ax.plot(m_pub / GeV, e_pub, "k-", lw=2, label="NA64 2022, published (arXiv:2308.15612)")
    ax.plot(gev, result.eps_90, "o-", color="C3", label="na64, combined")
    ax.plot(gev, np.where(result.eps_brem < 1, result.eps_brem, np.nan), "--", color="C0",
            label="na64, dark brem only")
    ax.plot(gev, np.where(result.eps_annihilation < 1, result.eps_annihilation, np.nan), ":",
            color="C1", label="na64, annihilation only")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\epsilon$ (90% CL)")
    ax.set_title(r"1.01e10 e$^+$OT at 100 GeV, $\alpha_D$ = 0.5, $m_{A'} = 3 m_\chi$")
    ax.legend(fontsize=8)
    axr.plot(gev, [r["ratio"] for r in rows], "o-", color="C3", label="combined")
    axr.plot(gev, [r["ratio_brem_only"] for r in rows], "--", color="C0", label="brem only")
    axr.axhspan(0.6, 1.4, color="0.9")
    axr.axhline(1.0, color="k", lw=0.8)
    axr.set_yscale("log")
    axr.set_ylabel("na64 / published")
    axr.set_xlabel(r"$m_{A'}$ [GeV]")
    axr.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, HERE / "positron_2022")


if __name__ == "__main__":
    main()
