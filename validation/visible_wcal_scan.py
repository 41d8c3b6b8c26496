"""Setup study: how short must the WCAL dump be for the visible mode to reach ε ~ 1e-3 at
the X17 mass (16.7 MeV)?

The upper edge of the excluded band is set by the bosons that survive the dump: the
probability exp(−L_dump/λ) with λ ∝ E/(ε² m²).  This scans the number of W/Sc layers of the
2018 setup (3 mm W + 2 mm Sc, 0.86 X0 per layer; W2, decay volume, decay counter and ECAL
move with the dump's end) at 150 GeV, and prints the excluded ε range at 16.7 MeV for the
2018 exposure (3e10 EOT) and for 1e11 and 1e12 EOT, zero background events assumed.  A
higher beam energy (the other handle) is scanned too.  Each point is ``na64 reach visible
--setup FILE --energy E --eot N`` on a setup file written here.

Usage::

    python validation/visible_wcal_scan.py [--events 2000] [--out validation/visible_wcal_scan.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from hepunits import MeV

from na64.reach.visible import run_visible
from na64.reach.visible_config import VisibleRunConfig, load_visible_analysis

LAYERS = (12, 16, 20, 25, 30, 35)
EXPOSURES = (3e10, 1e11, 1e12)
ENERGIES = (150.0, 300.0)
MASS = 16.7 * MeV


def setup_text(layers: int) -> str:
    """A visible setup like na64e_visible_2018 with ``layers`` dump layers; the detectors
    behind the dump keep their distances to its end."""
    shift = (layers - 35) * 5.0  # mm: 5 mm per layer
    z = {"veto": 180.0, "decay_volume": 200.0, "decay_counter": 1200.0, "ecal": 2000.0,
         "hcal": 2700.0}
    body = "\n".join(f'[{k}]\nz = "{v + shift:g}mm"' for k, v in z.items())
    return (f'extends = "na64e_visible_2018"\nname = "wcal_{layers}"\n[wcal]\n'
            f"layers = [{layers}]\n{body}\n")


def scan(events: int) -> list[tuple[int, float, float, float, float]]:
    """Rows (layers, X0, energy, EOT, ε_low, ε_high) at 16.7 MeV."""
    cfg = load_visible_analysis("visible_2017_2018")
    rows = []
    with TemporaryDirectory() as tmp:
        for n in LAYERS:
            path = Path(tmp) / f"wcal_{n}.toml"
            path.write_text(setup_text(n), encoding="utf-8")
            for e in ENERGIES:
                run = VisibleRunConfig(name="scan", eot=1.0, observed=0, energy=f"{e:g}GeV",
                                       setup=str(path))
                res = run_visible(cfg, [MASS], runs=(run,), seed=3, events_per_mass=events,
                                  background_events=1000, nminus1=False)
                for eot in EXPOSURES:
                    from na64.stats import exclusion_band

                    band = exclusion_band(res.couplings, res.n_signal * eot, res.s_up)
                    rows.append((n, n * 0.861, e, eot, float(band.low[0]), float(band.high[0])))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("visible_wcal_scan.png"))
    args = ap.parse_args()
    rows = scan(args.events)
    print("| layers | X0 | E [GeV] | EOT | ε_low | ε_high |")
    print("|---|---|---|---|---|---|")
    for n, x0, e, eot, lo, hi in rows:
        print(f"| {n} | {x0:.1f} | {e:g} | {eot:.0e} | {lo:.3g} | {hi:.3g} |")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for k, e in enumerate(ENERGIES):
        for j, eot in enumerate(EXPOSURES):
            sel = [(x0, hi) for n, x0, ee, t, lo, hi in rows if ee == e and t == eot]
            x, y = np.array(sel).T
            ax.plot(x, y, marker="o", color=f"C{k}", ls=("-", "--", ":")[j],
                    label=f"{e:g} GeV, {eot:.0e} EOT")
    ax.axhline(1e-3, color="grey", lw=1)
    ax.set_xlabel("WCAL length [X0]")
    ax.set_ylabel(r"upper excluded $\varepsilon$ at 16.7 MeV")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)
    fig.savefig(args.out.with_suffix(".pdf"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
