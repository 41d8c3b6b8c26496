"""Validation: NA64mu 2022, 1.98e10 muons on target at 160 GeV, zero events with
p_out < 80 GeV/c (PRL 132, 211803 (2024), arXiv:2401.01708; arXiv:2409.10128).

Runs na64's muon search ``muon_2022`` (the analysis file's exposure, cuts and backgrounds,
na64's own signal yield and efficiency; nothing fitted) for the invisibly decaying dark
photon radiated by the beam muons, and compares ε_90(m_A') with the collaboration's curve
of the same run, shipped as ``src/na64/data/published/na64mu_2022_dark_photon.csv``.
Below 2 m_μ the L_μ−L_τ Z' is radiated by the muon exactly as a dark photon of
ε = g/e and decays invisibly (νν̄), so the same data limit g to e ε_pub there; the script
also runs ``--model lmu-ltau`` and compares g_90 with that derived reference (the Z'
curve of arXiv:2401.01708 itself is not available as numbers here).

To tell the cross section from the selection it prints, per mass, the production per MOT
at unit coupling, na64's signal efficiency and the efficiency the published limit implies
if na64's production is right: eff_implied = eff_na64 × (ε_na64/ε_pub)² (zero observed,
negligible background: the limit is the same number of signal events).  It also runs the
improved Weizsäcker-Williams cross section (``method = "iww"``) to show how much of the
mass dependence a cross-section approximation could carry.

A diagnostic of what the missing factor looks like: the share of the produced signal
(E_X above 80 GeV) whose muon leaves with p_out = E0 − E_X below 20, 30 and 40 GeV
(``soft_fraction``, truth level, from the exact-tree-level spectrum), printed next to
eff_implied / eff_na64, the factor by which the published limit's signal is below na64's.
It is printed, not fitted: a p_out threshold whose soft fraction follows that factor's mass
dependence would point at an acceptance that favours strongly bent muons.

Usage::

    python validation/muon_2022.py [--events 3000] [--workers 2]

Writes ``validation/muon_2022.csv`` and ``validation/muon_2022.png/.pdf``.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
from hepunits import GeV, MeV

from na64.constants import ALPHA, M_MU
from na64.plots.limits import read_overlay_csv
from na64.reach.muon import run_muon
from na64.reach.muon_config import MuonAnalysisConfig, load_muon_analysis

HERE = Path(__file__).resolve().parent
PUBLISHED = HERE.parent / "src" / "na64" / "data" / "published" / "na64mu_2022_dark_photon.csv"
#: masses of the comparison (MeV): the flat low-mass region, m ~ m_mu, and up to 1 GeV
MASSES = np.array([1.1, 3, 10, 30, 60, 100, 150, 200, 300, 500, 700, 1000]) * MeV
#: the analysis whose 2022 inputs are compared
ANALYSIS = "muon_2022"


def published(masses: np.ndarray, path: Path = PUBLISHED) -> np.ndarray:
    """The published ε_90 at ``masses`` (log-log interpolation of the shipped points)."""
    m, eps = read_overlay_csv(path)
    return np.exp(np.interp(np.log(masses), np.log(m), np.log(eps)))


def soft_fraction(masses: np.ndarray, p_max: float, *, box: float = 80 * GeV,
                  energy: float = 160 * GeV) -> np.ndarray:
    """Share of the muon-brem signal with E_X > E0 − ``box`` whose muon leaves with
    p_out = E0 − E_X < ``p_max`` (truth level, the exact-tree-level dσ/dx of
    :class:`na64.generate.MuonBremSignal` in the setup's target)."""
    from na64.detector.setup import load_setup
    from na64.generate.muon_brem import MuonBremSignal

    setup = load_setup(load_muon_analysis(ANALYSIS).setup)
    out = []
    for m in np.asarray(masses, dtype=float):
        sig = MuonBremSignal(float(m), setup=setup, energy=energy, beam="mu+")
        out.append(sig.production(energy - p_max) / sig.production(energy - box))
    return np.array(out)


def analysis(model: str, method: str = "etl") -> MuonAnalysisConfig:
    """``muon_2022`` with another model and cross-section method (everything else kept)."""
    cfg = load_muon_analysis(ANALYSIS)
    sig = cfg.signal.model_copy(update={"model": model, "method": method})
    return cfg.model_copy(update={"signal": sig})


def compare(masses: np.ndarray = MASSES, *, events: int = 3000, seed: int = 1,
            model: str = "dark-photon", method: str = "etl", background_events: int | None = None,
            executor: Any = None) -> dict[str, np.ndarray]:
    """na64's limit at ``masses`` against the published one (ε for the dark photon, g = e ε
    for ``lmu-ltau``, where only m < 2 m_μ is comparable) with the efficiencies."""
    res = run_muon(analysis(model, method), masses, seed=seed, events_per_mass=events,
                   background_events=background_events, executor=executor, nminus1=False)
    ref = published(masses)
    if model == "lmu-ltau":
        ref = ref * math.sqrt(4.0 * math.pi * ALPHA)
    eff = np.array([p.efficiency for p in res.points])
    ratio = res.eps_90 / ref
    return {"mass": np.asarray(masses, dtype=float), "published": ref, "na64": res.eps_90,
            "ratio": ratio, "efficiency": eff,
            "production": np.array([p.production for p in res.points]),
            "efficiency_implied": eff * ratio**2}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "muon_2022.png")
    args = ap.parse_args()
    from na64.run.executors import make_executor

    runs = {("dark-photon", "etl"): MASSES, ("dark-photon", "iww"): MASSES,
            ("lmu-ltau", "etl"): MASSES[MASSES < 2 * M_MU]}
    cmp = {}
    with make_executor("processes" if args.workers else "local",
                       workers=max(args.workers, 1)) as ex:
        for (model, method), masses in runs.items():
            cmp[model, method] = c = compare(masses, events=args.events, model=model,
                                             method=method, executor=ex)
            what = "g = e eps_pub (derived)" if model == "lmu-ltau" else "eps_pub"
            print(f"model {model}, cross section {method.upper()}: na64 / published ({what})")
            c["soft20"], c["soft30"], c["soft40"] = (soft_fraction(c["mass"], p * GeV)
                                                     for p in (20, 30, 40))
            print(f"{'m [MeV]':>8} {'published':>10} {'na64':>10} {'ratio':>6} "
                  f"{'eff na64':>8} {'eff implied':>11} {'prod/MOT':>10} {'impl/na64':>9} "
                  f"{'p<20':>6} {'p<30':>6} {'p<40':>6}")
            for i in range(c["mass"].size):
                print(f"{c['mass'][i] / MeV:8.4g} {c['published'][i]:10.3g} "
                      f"{c['na64'][i]:10.3g} {c['ratio'][i]:6.2f} {c['efficiency'][i]:8.3f} "
                      f"{c['efficiency_implied'][i]:11.4f} {c['production'][i]:10.3g} "
                      f"{c['ratio'][i] ** 2:9.3f} {c['soft20'][i]:6.3f} "
                      f"{c['soft30'][i]:6.3f} {c['soft40'][i]:6.3f}")
    write_csv(cmp, args.out.with_suffix(".csv"))
    plot(cmp, args.out)


def write_csv(cmp: dict[tuple[str, str], dict[str, np.ndarray]], path: Path) -> None:
    """One row per (model, method, mass)."""
    cols = ["mass", "published", "na64", "ratio", "efficiency", "efficiency_implied",
            "production", "soft20", "soft30", "soft40"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "method", "mass_GeV", "published_90cl", "na64_90cl", "ratio",
                    "efficiency", "efficiency_implied", "production_per_mot_coupling1",
                    "soft_fraction_p_out_below_20GeV", "soft_fraction_p_out_below_30GeV",
                    "soft_fraction_p_out_below_40GeV"])
        for (model, method), c in cmp.items():
            for i in range(c["mass"].size):
                vals = [c[k][i] / GeV if k == "mass" else c[k][i] for k in cols]
                w.writerow([model, method, *[f"{v:.5g}" for v in vals]])
    print("wrote", path)


def plot(cmp: dict[tuple[str, str], dict[str, np.ndarray]], out: Path) -> None:
    """The limits (top) and na64 / published (bottom) against the mass."""
    import matplotlib.pyplot as plt

    from na64.plots.limits import save_figure

    fig, (ax, rx) = plt.subplots(2, 1, figsize=(9, 9), sharex=True,
                                 gridspec_kw={"height_ratios": [2, 1]})
    m_pub, eps_pub = read_overlay_csv(PUBLISHED)
    ax.plot(m_pub / GeV, eps_pub, "k-", lw=2,
            label=r"NA64$\mu$ 2022, published (arXiv:2409.10128)")
    ax.fill_between(m_pub / GeV, eps_pub * 0.6, eps_pub * 1.4, color="grey", alpha=0.25, lw=0,
                    label="published ± 40%")
    styles = {("dark-photon", "etl"): ("C0", "o-", "na64, exact tree level (default)"),
              ("dark-photon", "iww"): ("C1", "s--", "na64, IWW cross section"),
              ("lmu-ltau", "etl"): ("C2", "^:", r"na64 $L_\mu-L_\tau$ $g_{90}/e$")}
    e = math.sqrt(4.0 * math.pi * ALPHA)
    for key, c in cmp.items():
        color, fmt, label = styles[key]
        scale = 1.0 / e if key[0] == "lmu-ltau" else 1.0
        ax.plot(c["mass"] / GeV, c["na64"] * scale, fmt, color=color, label=label)
        rx.plot(c["mass"] / GeV, c["ratio"], fmt, color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\varepsilon_{90}$  (dark photon; $g/e$ for $L_\mu-L_\tau$)")
    ax.set_title(r"NA64$\mu$ 2022: 1.98e10 MOT, 160 GeV $\mu^+$, $p_{out}$ < 80 GeV, 0 observed",
                 fontsize=11)
    ax.legend(fontsize=10, frameon=False)
    rx.axhspan(0.6, 1.4, color="grey", alpha=0.25, lw=0)
    rx.axhline(1.0, color="grey", lw=0.8)
    rx.set_xscale("log")
    rx.set_ylim(0.0, 1.6)
    rx.set_xlabel(r"$m_{A'}$, $m_{Z'}$ [GeV]")
    rx.set_ylabel("na64 / published")
    for path in save_figure(fig, out):
        print("wrote", path)


if __name__ == "__main__":
    main()
