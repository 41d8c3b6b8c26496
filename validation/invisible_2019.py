"""Validation: NA64 2016-2018 invisible-mode limit (PRL 123, 121801 (2019), arXiv:1906.00176).

Runs the full na64 chain for the published exposure (2.84e11 EOT, zero observed) with na64's
own efficiencies and background, and compares ε_90(m_A') with the published curve read off in
../shared/reference/na64_invisible_2019.csv.  Nothing is fitted to that curve.

Usage::

    python validation/invisible_2019.py [--events 3000] [--out validation/invisible_2019.png]

Prints the ratio na64 / published at each reference mass, for the default analysis (the
kinematic A' energy range) and for ``invisible_2016_2018_xcut`` (A' counted only for
x = E_A'/E <= 1 - m_A'/E, the x limit DMG4 carried before 2021), and writes a comparison
plot with both.  Then the same two against NA64's 2016-2022 limit (9.37e11 EOT,
PRL 131, 161801 (2023), arXiv:2307.02404, made after DMG4's 2021 x-range fixes), and a
figure of the ratio na64 / published against the mass for the four combinations
(``invisible_ratio.png/.pdf``).  See validation/README.md for what this tests.
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
PUBLISHED_2023 = PUBLISHED.with_name("na64_invisible_2023.csv")
#: exposure of the 2023 result (electrons on target, 2016-2022), zero events observed
EOT_2023 = 9.37e11


def read_reference(path: Path = REFERENCE) -> tuple[np.ndarray, np.ndarray]:
    """(masses [MeV], ε_90) of the published curve (the copy shipped with na64 if the
    ../shared reference table is absent)."""
    if not path.is_file():
        from na64.plots.limits import read_overlay_csv

        return read_overlay_csv(PUBLISHED)
    rows = [r for r in csv.reader(line for line in path.open() if not line.startswith("#"))]
    data = np.array([[float(a), float(b)] for a, b in rows[1:]])
    return data[:, 0] * MeV, data[:, 1]


ANALYSES = ("invisible_2016_2018", "invisible_2016_2018_xcut")


def compare(events: int = 3000, seed: int = 1, analysis: str = "invisible_2016_2018",
            reference: str = "2019") -> dict[str, np.ndarray]:
    """ε_90 of na64 at the reference masses and the ratio to the published values.

    ``reference="2023"`` compares with the 2016-2022 result, for its exposure (one run of
    9.37e11 EOT, zero observed) instead of the analysis' runs.
    """
    if reference == "2023":
        from na64.plots.limits import read_overlay_csv
        from na64.reach.config import RunConfig

        m_ref, eps_ref = read_overlay_csv(PUBLISHED_2023)
        cfg = load_analysis(analysis).model_copy(
            update={"runs": (RunConfig(name="2016-2022", eot=EOT_2023, observed=0),)})
    else:
        m_ref, eps_ref = read_reference()
        cfg = load_analysis(analysis)
    res = run_invisible(cfg, m_ref, seed=seed, events_per_mass=events)
    return {"mass": m_ref, "published": eps_ref, "na64": res.eps_90,
            "ratio": res.eps_90 / eps_ref, "efficiency": np.array([p.efficiency for p in res.points])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("invisible_2019.png"))
    args = ap.parse_args()
    cmp = {}
    for reference in ("2019", "2023"):
        for name in ANALYSES:
            cmp[reference, name] = c = compare(args.events, analysis=name, reference=reference)
            print(f"published {reference}, analysis {name}")
            print(f"{'m [MeV]':>9} {'published':>11} {'na64':>11} {'ratio':>7} {'efficiency':>10}")
            for m, p, n, r, e in zip(c["mass"], c["published"], c["na64"], c["ratio"],
                                     c["efficiency"], strict=True):
                print(f"{m / MeV:9.4g} {p:11.3g} {n:11.3g} {r:7.2f} {e:10.3f}")

    from na64.plots.limits import plot_exclusion, save_figure

    ref = cmp["2019", ANALYSES[0]]
    masses = np.geomspace(1 * MeV, 1 * GeV, 20)
    curves = {name: run_invisible(load_analysis(name), masses, seed=1,
                                  events_per_mass=args.events).eps_90 for name in ANALYSES}
    ax = plot_exclusion(masses, curves[ANALYSES[0]],
                        overlays=[("na64, A' counted for x ≤ 1 − m/E only", masses,
                                   curves[ANALYSES[1]]),
                                  ("NA64, PRL 123, 121801 (2019), read off", ref["mass"],
                                   ref["published"])],
                        ylabel=r"$\epsilon$", experiment="na64", text="  simulation vs published",
                        lumi="2.84e11 EOT, 0 observed",
                        obs_label="na64, kinematic x range (default), 90% CL")
    ax.fill_between(ref["mass"] / GeV, ref["published"] * 0.7, ref["published"] * 1.3,
                    color="grey", alpha=0.3, lw=0, label="published ± 30%")
    ax.legend(fontsize=13, frameon=False)
    fig = ax.get_figure()
    for path in save_figure(fig, args.out):
        print("wrote", path)
    plot_ratios(cmp, args.out.with_name("invisible_ratio.png"))


def plot_ratios(cmp: dict[tuple[str, str], dict[str, np.ndarray]], out: Path) -> None:
    """na64 / published against the mass, for both publications and both x ranges."""
    import matplotlib.pyplot as plt

    from na64.plots.limits import save_figure

    fig, ax = plt.subplots(figsize=(9, 6))
    styles = {"invisible_2016_2018": ("kinematic x range (default)", "-"),
              "invisible_2016_2018_xcut": ("x ≤ 1 − m/E", "--")}
    colors = {"2019": ("C0", "PRL 123, 121801 (2019), 2.84e11 EOT"),
              "2023": ("C1", "PRL 131, 161801 (2023), 9.37e11 EOT")}
    for (reference, name), c in cmp.items():
        label, ls = styles[name]
        color, pub = colors[reference]
        ax.plot(c["mass"] / GeV, c["ratio"], ls, marker="o", color=color,
                label=f"na64 {label} / NA64 {pub}")
    ax.axhspan(0.7, 1.3, color="grey", alpha=0.2, lw=0, label="±30%")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(r"$m_{A'}$ [GeV]")
    ax.set_ylabel(r"$\epsilon_{90}$ na64 / published")
    ax.set_ylim(0.4, 1.75)
    ax.legend(fontsize=10, frameon=False, loc="upper left")
    for path in save_figure(fig, out):
        print("wrote", path)


if __name__ == "__main__":
    main()
