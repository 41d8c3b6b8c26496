"""Validation: NA64 positron-beam limit, 1.01e10 e+OT at 100 GeV (PRD 109, L031103 (2024),
arXiv:2308.15612).

Runs the full na64 chain of ``positron_2022`` (the beam positron's resonant annihilation, the
shower positrons' annihilation, dark brem of every e±; na64's own efficiencies and
backgrounds; zero events observed) and compares ε_90(m_A') with the published curve shipped
in ``src/na64/data/published/na64_positron_2022.csv``.  Nothing is fitted to that curve:
the hadron admixtures of the beam and the box edge E_ECAL < 50 GeV are the analysis file's
(assumed) values.  Besides the combined limit it prints the brem-only and the
annihilation-only limits, which tell where a difference comes from, and the limit for the
narrower A' line of α_D = 0.1 (Γ/m = 0.03 instead of 0.15 at m_A' = 3 m_χ; the same events
reweighted), because the α_D behind the published ε curve is not known here.

It also compares the two beams in the bremsstrahlung region (1.5-25 MeV, where the
annihilation is negligible and dark brem of an e+ and an e− shower are the same): the ratio

    κ = ε_e−² N_e− / (ε_e+² N_e+)

is the positron analysis' signal yield per particle on target relative to the electron
analysis' (ε_90 ∝ 1/sqrt(yield × N) for zero observed events), computed once from the two
published curves (e+: 1.01e10 e+OT; e−: 2.84e11 EOT, PRL 123, 121801 (2019)) and once from
na64's own limits of ``positron_2022`` and ``invisible_2016_2018`` (same cuts, same seed).

Usage::

    python validation/positron_2022.py [--events 3000] [--workers 2]

Writes ``validation/positron_2022.csv`` (mass, na64 combined / brem-only / annihilation-only
/ combined at α_D = 0.1, published, ratios, κ) and ``validation/positron_2022.png/.pdf``
(the limits and the ratios).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from hepunits import GeV, MeV

from na64.plots.limits import read_overlay_csv
from na64.reach.config import load_analysis
from na64.reach.invisible import run_invisible
from na64.reach.positron import PositronResult, run_positron
from na64.reach.positron_config import load_positron_analysis

HERE = Path(__file__).resolve().parent
PUBLISHED = HERE.parent / "src" / "na64" / "data" / "published" / "na64_positron_2022.csv"
PUBLISHED_E = HERE.parent / "src" / "na64" / "data" / "published" / "na64_invisible_2019.csv"
#: particles on target of the two published results: the exposures of their analysis files
POT_POSITRON = sum(r.pot for r in load_positron_analysis("positron_2022").runs)
EOT_ELECTRON = sum(r.eot for r in load_analysis("invisible_2016_2018").runs)
#: the narrow line compared besides the analysis' α_D = 0.5
ALPHA_NARROW = 0.1
#: masses of the comparison (MeV): the brem region, the shoulder below the resonance, the
#: resonance of a 100 GeV beam (box edge 50 GeV: 226-320 MeV) and above it
MASSES = np.array([1.5, 3, 6, 12, 25, 50, 75, 100, 125, 150, 175, 200, 215, 230, 250, 275,
                   300, 315, 330, 350, 380]) * MeV
#: the bremsstrahlung region of the comparison of the two beams (annihilation < 1%)
BREM_MAX = 25 * MeV


def published(masses: np.ndarray, path: Path = PUBLISHED) -> np.ndarray:
    """The published ε_90 at ``masses`` (MeV), log-log interpolated along the curve."""
    m, eps = read_overlay_csv(path)
    return np.exp(np.interp(np.log(masses), np.log(m), np.log(eps)))


def kappa(eps_electron: np.ndarray, eps_positron: np.ndarray) -> np.ndarray:
    """Signal yield per particle on target of the positron analysis relative to the
    electron analysis, ε_e−² N_e− / (ε_e+² N_e+), for zero observed events in both."""
    return (eps_electron**2 * EOT_ELECTRON) / (eps_positron**2 * POT_POSITRON)


def compare(result: PositronResult, eps_electron: np.ndarray | None = None
            ) -> list[dict[str, float]]:
    """One row per mass: na64's limits, the published one and the ratios; with
    ``eps_electron`` (na64's electron-beam ε_90 at the same masses, NaN outside the
    bremsstrahlung region) also κ, published and na64's."""
    pub = published(result.masses)
    narrow = result.eps_alpha[ALPHA_NARROW]
    rows = [{"mass_GeV": m / GeV, "na64": c, "na64_brem_only": b,
             "na64_annihilation_only": a, "na64_alpha_d_0.1": n, "published": p,
             "ratio": c / p, "ratio_brem_only": b / p, "ratio_alpha_d_0.1": n / p}
            for m, c, b, a, n, p in zip(result.masses, result.eps_90, result.eps_brem,
                                        result.eps_annihilation, narrow, pub, strict=True)]
    if eps_electron is not None:
        pub_e = published(result.masses, PUBLISHED_E)
        k_pub = kappa(pub_e, pub)
        k_na64 = kappa(eps_electron, result.eps_90)
        for r, kp, kn, m in zip(rows, k_pub, k_na64, result.masses, strict=True):
            inside = m <= BREM_MAX
            r["kappa_published"] = kp if inside else float("nan")
            r["kappa_na64"] = kn if inside else float("nan")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000, help="signal events per mass")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    cfg = load_positron_analysis("positron_2022")
    cfg_e = load_analysis("invisible_2016_2018")
    brem_masses = MASSES[MASSES <= BREM_MAX]
    if args.workers > 1:
        from na64.run.executors import make_executor

        with make_executor("processes", workers=args.workers) as ex:
            result = run_positron(cfg, MASSES, seed=args.seed, events_per_mass=args.events,
                                  executor=ex, nminus1=False)
            electron = run_invisible(cfg_e, brem_masses, seed=args.seed,
                                     events_per_mass=args.events, executor=ex, nminus1=False)
    else:
        result = run_positron(cfg, MASSES, seed=args.seed, events_per_mass=args.events,
                              nminus1=False)
        electron = run_invisible(cfg_e, brem_masses, seed=args.seed,
                                 events_per_mass=args.events, nminus1=False)
    eps_e = np.full(MASSES.size, np.nan)
    eps_e[: brem_masses.size] = electron.eps_90
    rows = compare(result, eps_electron=eps_e)
    with (HERE / "positron_2022.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: f"{v:.4g}" for k, v in r.items()})
    print(f"{'m [MeV]':>8} {'na64':>9} {'brem':>9} {'annih.':>9} {'aD=0.1':>9} "
          f"{'published':>9} {'ratio':>6} {'brem/pub':>8} {'0.1/pub':>7} {'k_pub':>6} "
          f"{'k_na64':>6}")
    for r in rows:
        print(f"{r['mass_GeV'] * 1e3:8.1f} {r['na64']:9.3g} {r['na64_brem_only']:9.3g} "
              f"{r['na64_annihilation_only']:9.3g} {r['na64_alpha_d_0.1']:9.3g} "
              f"{r['published']:9.3g} {r['ratio']:6.2f} {r['ratio_brem_only']:8.2f} "
              f"{r['ratio_alpha_d_0.1']:7.2f} {r['kappa_published']:6.2f} "
              f"{r['kappa_na64']:6.2f}")

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
    ax.plot(gev, result.eps_alpha[ALPHA_NARROW], "s-", ms=3, color="C2",
            label=rf"na64, combined, $\alpha_D$ = {ALPHA_NARROW:g} ($\Gamma/m$ = 0.03)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\epsilon$ (90% CL)")
    ax.set_title(r"1.01e10 e$^+$OT at 100 GeV, $m_{A'} = 3 m_\chi$ ($\alpha_D$ = 0.5 unless "
                 "marked)")
    ax.legend(fontsize=8)
    axr.plot(gev, [r["ratio"] for r in rows], "o-", color="C3", label="combined")
    axr.plot(gev, [r["ratio_brem_only"] for r in rows], "--", color="C0", label="brem only")
    axr.plot(gev, [r["ratio_alpha_d_0.1"] for r in rows], "s-", ms=3, color="C2",
             label=rf"$\alpha_D$ = {ALPHA_NARROW:g}")
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
