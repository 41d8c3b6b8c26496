"""Validation: the fast simulation of positron showers against Geant4 (100, 70, 40 GeV).

Usage::

    python validation/fastsim_positron_vs_geant4.py [--reference DIR] [--events N]

``DIR`` (default ``$NA64_G4_POSITRON_REFERENCE``, else ``../shared/reference/g4_na64e_positron``)
holds ``g4_reference_positron.csv`` and ``e+_100.npz``, ``e+_70.npz``, ``e+_40.npz``: Geant4
11.4 (the project's data-free tool, ../shared/g4ref, run.sh configurations ``e+_100``,
``e+_70``, ``e+_40``) positrons in a pencil beam at the centre of ECAL cell (3, 3) of
``na64e_2016_2018``, the detector of the positron setups.

For each energy it prints every observable of the table for na64 and Geant4 (as
``fastsim_vs_geant4.py`` does for 100 GeV e-, pi-, mu-) and the cut-flow of the calorimeter
cuts of the positron analysis at that energy (veto, pre-shower, shower-shape chi^2,
E_HCAL; the box E_ECAL < E0/2 is a signal requirement, so the full showers here must fail
it) on Geant4 showers digitised with na64's photo-statistics, noise and constant term and on
fast-simulated ones; and writes ``validation/fastsim_positron_vs_geant4.png/.pdf`` (pre-shower
fraction, central-cell fraction and veto sum per energy).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

import numpy as np

from na64.detector import load_setup, response
from na64.detector.observables import (
    fastsim_sample,
    geant4_sample,
    observables,
    reference_tolerance,
)
from na64.pipeline import reconstruct
from na64.reach.positron_config import PositronRunConfig, load_positron_analysis
from na64.units import GeV

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fastsim_vs_geant4 import digitise_geant4  # noqa: E402
from g4records import ecal_sampling_fraction  # noqa: E402

ENERGIES = (100, 70, 40)
F_SC = ecal_sampling_fraction()  # the 100 GeV electron calibration of the reference


def default_reference() -> Path:
    env = os.environ.get("NA64_G4_POSITRON_REFERENCE")
    return Path(env) if env else (HERE.parent / ".." / "shared" / "reference"
                                  / "g4_na64e_positron").resolve()


def read_table(path: Path) -> dict[tuple[int, str], tuple[float, float]]:
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    return {(int(float(r["energy_GeV"])), r["observable"]): (float(r["value"]),
                                                              float(r["stat_error"]))
            for r in csv.DictReader(lines)}


def calorimeter_selection(energy: float):  # type: ignore[no-untyped-def]
    """The positron analysis' selection at ``energy`` without SRD and tracks."""
    cfg = load_positron_analysis("positron_2022")
    group = cfg.groups((PositronRunConfig(name="v", energy=f"{energy!r}MeV", pot=1e10),))[0]
    sel = cfg.group_analysis(group).selection.build(energy)
    return sel.configure({name: {"enabled": False}
                          for name in ("srd", "single_track", "beam_momentum")})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, default=default_reference())
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    ref = args.reference
    if not (ref / "g4_reference_positron.csv").is_file():
        print(f"no reference in {ref}", file=sys.stderr)
        return 2
    table = read_table(ref / "g4_reference_positron.csv")
    setup = load_setup("na64e_2016_2018")
    samples = {}
    for energy in ENERGIES:
        e0 = energy * GeV
        with np.load(ref / f"e+_{energy}.npz") as d:
            g4 = geant4_sample({k: d[k] for k in d.files}, "e+", e0, F_SC)
        fast = fastsim_sample(setup, "e+", e0, args.events, args.seed + energy)
        samples[energy] = (g4, fast)
        obs = observables(fast, setup, bootstrap=50, reference_size=g4.n)
        print(f"\n=== e+ {energy} GeV: {g4.n} Geant4 showers, {args.events} na64")
        print(f"{'observable':32s} {'Geant4':>10s} {'na64':>10s} {'ratio':>6s}  status")
        for (e, name), (v, err) in table.items():
            if e != energy or name not in obs:
                continue
            x, ex = obs[name]
            tol = reference_tolerance(v, err)
            ratio = x / v if v else math.nan
            print(f"{name:32s} {v:10.5g} {x:10.5g} {ratio:6.3f}  "
                  f"{'ok' if abs(x - v) <= tol + 3 * ex else 'OUT'}")
        sel = calorimeter_selection(e0)
        rng = np.random.default_rng(args.seed + 100 + energy)
        fast_raw = response(setup, {"pdg": np.full(args.events, -11),
                                    "energy": np.full(args.events, e0)}, rng)
        g4_raw = digitise_geant4(setup, g4, rng)
        flows = [sel.cutflow(reconstruct(raw, setup)) for raw in (fast_raw, g4_raw)]
        print(f"calorimeter cuts of the positron analysis at {energy} GeV "
              "(fraction kept, cumulative):")
        for rec_f, rec_g in zip(flows[0], flows[1], strict=True):
            if rec_f["name"] == "all" or "disabled" in rec_f["description"]:
                continue
            print(f"  {rec_f['name']:16s} na64 {rec_f['eff_tot']:.4f} +- "
                  f"{rec_f['eff_tot_err']:.4f}   Geant4 {rec_g['eff_tot']:.4f} +- "
                  f"{rec_g['eff_tot_err']:.4f}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from na64.plots.limits import save_figure

    def ps_fraction(s):  # type: ignore[no-untyped-def]
        return s.ecal[:, 0].sum(axis=(1, 2)) / s.ecal.sum(axis=(1, 2, 3))

    def central(s):  # type: ignore[no-untyped-def]
        return s.ecal[:, :, 3, 3].sum(axis=1) / s.ecal.sum(axis=(1, 2, 3))

    def veto(s):  # type: ignore[no-untyped-def]
        return s.veto.sum(axis=1)

    fig, axes = plt.subplots(3, 3, figsize=(11, 9))
    for row, energy in zip(axes, ENERGIES, strict=True):
        g4, fast = samples[energy]
        for ax, (label, fn, bins) in zip(row, (
                ("pre-shower / ECAL", ps_fraction, np.linspace(0, 0.2, 41)),
                ("central-cell fraction", central, np.linspace(0.8, 0.88, 41)),
                ("veto sum [MeV]", veto, np.linspace(0, 30, 31))), strict=True):
            a, b = np.asarray(fn(fast)), np.asarray(fn(g4))
            width = np.diff(bins)
            h_f, _ = np.histogram(a, bins=bins)
            h_g, _ = np.histogram(b, bins=bins)
            centres = 0.5 * (bins[1:] + bins[:-1])
            ax.stairs(h_f / (a.size * width), bins, color="C0", lw=1.5, label=f"na64 ({a.size})")
            ax.errorbar(centres, h_g / (b.size * width), yerr=np.sqrt(h_g) / (b.size * width),
                        fmt="o", ms=3, color="k", label=f"Geant4 11.4 ({b.size})")
            ax.set_xlabel(f"e$^+$ {energy} GeV: {label}", fontsize=9)
            ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, HERE / "fastsim_positron_vs_geant4")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
