"""Validation: the shower-shape χ² with the tabulated mean shower against direct integration.

The shower-shape fit (``na64.reco.fit_shower``) interpolates the mean GFLASH shower's cell
fractions in a table of energy and impact offset (``na64.reco.shower_table``) instead of
integrating the lateral profile of every shower slice over the cells at each of its ~10
trial impact points.  This script fits the same simulated events both ways and compares
the χ²/ndf distributions: 100, 50 and 20 GeV electrons (``na64e_2016_2018``, the shipped
beam spot) and the signal-like events of the invisible search (100 GeV electrons that
radiate an A′ of 10 MeV, ECAL energy 5-50 GeV).

Usage::

    python validation/shower_fit_table.py [--events 20000] [--out validation/shower_fit_table.png]

Prints, per sample, the mean χ²/ndf of each way with its standard error, the fraction kept
by the cut χ²/ndf < 6 with its binomial error, the largest event-by-event difference, the
Kolmogorov-Smirnov distance of the two distributions and the fit time; writes the two
distributions overlaid per sample (``.png`` and ``.pdf``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from na64.detector import load_setup
from na64.generate.particles import signal_particles
from na64.pipeline import simulate_events
from na64.reach.config import load_analysis
from na64.reach.invisible import _search
from na64.reco import shower_chi2
from na64.units import GeV, MeV

CUT = 6.0


def samples(n: int, seed: int) -> dict[str, np.ndarray]:
    """ECAL cells of the compared samples."""
    setup = load_setup("na64e_2016_2018")
    rng = np.random.default_rng(seed)
    out = {}
    for e in (100, 50, 20):
        ev = simulate_events(setup, n, rng, beam={"energy": f"{e}GeV"})
        out[f"e- {e} GeV"] = np.asarray(ev["ecal"])
    search = _search(load_analysis("invisible_2016_2018"))
    req = search.request(10 * MeV)
    truth = search.processes[0].sample(req, n, rng).truth
    beam = search.pipeline.core(n, rng)
    calo, _ = signal_particles(truth, beam, search.config.energy, search.setup.target.length)
    cells = np.asarray(search.pipeline.detectors(calo, rng)["ecal"])
    e_ecal = cells.sum(axis=(1, 2, 3))
    keep = (e_ecal > 5 * GeV) & (e_ecal < 50 * GeV)
    out["signal m=10 MeV, 5 < E_ECAL < 50 GeV"] = cells[keep]
    return out


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest difference of the two empirical distribution functions."""
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("shower_fit_table.png"))
    args = parser.parse_args()

    setup = load_setup("na64e_2016_2018")
    data = samples(args.events, args.seed)
    shower_chi2(next(iter(data.values()))[:10], setup)  # compiled kernels and the table
    shower_chi2(next(iter(data.values()))[:10], setup, exact=True)
    results = {}
    print("| sample | events | <χ²/ndf> table | <χ²/ndf> integrated | P(χ²/ndf < 6) table "
          "| integrated | max abs diff | KS distance | 1.36/sqrt(n/2) | fit s table / integrated |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, cells in data.items():
        t0 = time.perf_counter()
        tab = shower_chi2(cells, setup)
        t1 = time.perf_counter()
        direct = shower_chi2(cells, setup, exact=True)
        t2 = time.perf_counter()
        n = cells.shape[0]
        se = lambda v: v.std() / np.sqrt(v.size)  # noqa: E731
        pt, pd = np.mean(tab < CUT), np.mean(direct < CUT)
        print(f"| {label} | {n} | {tab.mean():.4f} ± {se(tab):.4f} | "
              f"{direct.mean():.4f} ± {se(direct):.4f} | {pt:.4f} ± {np.sqrt(pt * (1 - pt) / n):.4f} "
              f"| {pd:.4f} | {np.max(np.abs(tab - direct)):.3g} | {ks_distance(tab, direct):.2g} "
              f"| {1.36 / np.sqrt(n / 2):.2g} | {t1 - t0:.2f} / {t2 - t1:.2f} |")
        results[label] = (tab, direct)

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * len(results), 4.2))
    axes = fig.subplots(1, len(results))
    bins = np.linspace(0, 12, 61)
    for ax, (label, (tab, direct)) in zip(axes, results.items(), strict=True):
        ax.hist(direct, bins=bins, histtype="step", lw=2.0, label="integrated profile")
        ax.hist(tab, bins=bins, histtype="step", lw=1.2, ls="--", label="tabulated")
        ax.axvline(CUT, color="black", ls=":")
        ax.set_yscale("log")
        ax.set_xlabel(r"shower shape $\chi^2$/ndf")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    for suffix in (".png", ".pdf"):
        fig.savefig(args.out.with_suffix(suffix), dpi=110)
    print(f"wrote {args.out.with_suffix('.png')} and .pdf")


if __name__ == "__main__":
    main()
