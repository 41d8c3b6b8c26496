"""Validation: na64's fast simulation against the Geant4 11.4 reference of the NA64e calorimetry.

Usage::

    python validation/fastsim_vs_geant4.py [--reference DIR] [--events N] [--markdown]

``DIR`` (default ``$NA64_G4_REFERENCE``, else ``../shared/reference/g4_na64e`` relative to the
repository) holds ``g4_reference_100GeV.csv`` and the per-event arrays ``e-_100.npz``,
``pi-_100.npz``, ``mu-_100.npz``: a full Geant4 simulation (data-free FTFP_BERT-like list)
of the ECAL, veto and HCAL of ``na64e_2016_2018`` for 100 GeV e-, pi-, mu- in a pencil beam
at the centre of ECAL cell (3, 3).

The script simulates the same configurations with na64 (``N`` events each, default 20000)
and

1. prints every observable of the reference table, computed the same way for both
   (:mod:`na64.detector.observables`: calibrated ECAL = scintillator deposit / f_sc with the
   reference's f_sc, the fast simulation's cells smeared with the sampling term only), with
   the ratio na64/Geant4, the pull (difference over the combined statistical error) and
   whether it is within the tolerance of the tests (5% or the reference's statistical
   error if larger, widened by three Monte Carlo errors); the electron and muon rows are
   those of the larger Geant4 samples of ``tests/data`` (:data:`LARGER_SAMPLES`), the
   others are recomputed from the reference's event arrays and must reproduce its table;
2. applies na64's reconstruction and the calorimeter cuts of the invisible-mode selection
   (``invisible_2016_2018``: veto, pre-shower, shower-shape chi^2, E_ECAL < 50 GeV,
   E_HCAL < 1 GeV; the SRD and the tracks are not part of these samples) to the Geant4
   events (the cells of :data:`EVENT_CELLS`: 2500 electrons, the reference's pions and
   muons) and to fast-simulated events, and prints both cut-flows.  Geant4 cells are the
   calibrated scintillator deposits (ECAL) and Fe + Sc deposits (HCAL) digitised with what
   the reference does not contain: the photo-statistics part of the ECAL stochastic term
   (sqrt(stochastic^2 - sampling^2)), the noise, the constant term and the veto light
   yield (:func:`na64.detector.observables.digitise_reference`); fast-simulated events
   are digitised in full;
3. writes ``validation/fastsim_vs_geant4.png/.pdf``: the distributions of the pre-shower and
   central-cell fractions and the veto sum of electrons, the ECAL and HCAL energies of
   pions and the ECAL signal of muons, na64 against Geant4.

``--markdown`` also prints the comparison as the markdown table of validation/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from na64.detector import load_setup, response
from na64.detector.observables import (
    NOT_SIMULATED,
    ReferenceRow,
    Sample,
    digitise_reference,
    fastsim_sample,
    geant4_sample,
    observables,
    read_reference_cells,
    read_reference_table,
    reference_tolerance,
)
from na64.detector.setup import Setup
from na64.pipeline import reconstruct
from na64.reach.config import load_analysis
from na64.units import GeV

ROOT = Path(__file__).resolve().parents[1]
SETUP_NAME = "na64e_2016_2018"
ANALYSIS = "invisible_2016_2018"
E_BEAM = 100.0 * GeV
PARTICLES = ("e-", "pi-", "mu-")
_PDG = {"e-": 11, "pi-": -211, "mu-": 13}


def default_reference() -> Path:
    """``$NA64_G4_REFERENCE`` or ``../shared/reference/g4_na64e`` next to the repository."""
    env = os.environ.get("NA64_G4_REFERENCE")
    return Path(env) if env else (ROOT / ".." / "shared" / "reference" / "g4_na64e").resolve()


#: The per-event cells of the Geant4 samples on which the selection is compared (2500
#: electrons, the reference's 1000 pions and 1000 muons; validation/g4_reference_table.py)
EVENT_CELLS = ROOT / "tests" / "data" / "g4_na64e_calorimeter_events.npz"


def load_arrays(ref: Path) -> dict[str, dict[str, np.ndarray]]:
    """The reference's event arrays per particle."""
    out = {}
    for p in PARTICLES:
        with np.load(ref / f"{p}_100.npz") as d:
            out[p] = {k: d[k] for k in d.files}
    return out


# --------------------------------------------------------------------------------------
# 1. the observables
# --------------------------------------------------------------------------------------
#: Larger Geant4 samples of the same simulation that replace rows of the reference table,
#: as in the tests: 2500 electrons (the reference's 500 and 2000 more; the spreads'
#: errors by bootstrap) and 20000 muons (tests/data/README.md).
LARGER_SAMPLES = (ROOT / "tests" / "data" / "g4_na64e_electron_100GeV.csv",
                  ROOT / "tests" / "data" / "g4_na64e_muon_100GeV.csv")


def compare_observables(setup: Setup, table: dict[tuple[str, str], ReferenceRow],
                        arrays: dict[str, dict[str, np.ndarray]], events: int, seed: int
                        ) -> tuple[list[dict[str, Any]], dict[str, Sample], dict[str, Sample]]:
    """One row per reference observable: Geant4 value and error, na64 value and MC error,
    ratio, pull, tolerance (that of the tests: 5% or the reference's error, widened by
    three MC errors), status; and the samples of both.  ``g4_recomputed`` is the
    observable of the reference's own event arrays (it reproduces the table's row where
    no larger sample replaced it)."""
    f_sc = table[("e-", "sampling_fraction_sc")].value
    rows: list[dict[str, Any]] = []
    fast: dict[str, Sample] = {}
    g4: dict[str, Sample] = {}
    for i, p in enumerate(PARTICLES):
        g4[p] = geant4_sample(arrays[p], p, E_BEAM, f_sc)
        fast[p] = fastsim_sample(setup, p, E_BEAM, events, seed + i)
        n_ref = g4[p].n
        mine = observables(g4[p], setup, bootstrap=0)
        obs = observables(fast[p], setup, bootstrap=100, reference_size=n_ref)
        for (pp, name), row in table.items():
            if pp != p:
                continue
            r: dict[str, Any] = {"particle": p, "observable": name, "g4": row.value,
                                 "g4_err": row.stat_error,
                                 "n_events": row.n_events, "n_arrays": n_ref,
                                 "g4_recomputed": mine.get(name, (math.nan, 0.0))[0]}
            if name not in obs:
                r.update(na64=math.nan, na64_err=math.nan, ratio=math.nan, pull=math.nan,
                         status="n/a", note=NOT_SIMULATED.get(name, ""))
            else:
                v, e = obs[name]
                diff = v - row.value
                sig = math.hypot(row.stat_error, e)
                tol = reference_tolerance(row.value, row.stat_error, e)
                r.update(na64=v, na64_err=e, tol=tol,
                         ratio=v / row.value if row.value else math.nan,
                         pull=diff / sig if sig > 0 else math.nan,
                         status="ok" if abs(diff) <= tol else "OUT", note="")
            rows.append(r)
    return rows, fast, g4


def print_observables(rows: list[dict[str, Any]]) -> None:
    print(f"{'':4s} {'observable':34s} {'Geant4':>12s} {'+-':>9s} {'na64':>12s} {'+-':>9s} "
          f"{'ratio':>7s} {'pull':>6s}  status")
    for r in rows:
        if r["status"] == "n/a":
            print(f"{r['particle']:4s} {r['observable']:34s} {r['g4']:12.5g} {r['g4_err']:9.3g} "
                  f"{'-':>12s} {'':9s} {'':7s} {'':6s}  n/a ({r['note']})")
            continue
        print(f"{r['particle']:4s} {r['observable']:34s} {r['g4']:12.5g} {r['g4_err']:9.3g} "
              f"{r['na64']:12.5g} {r['na64_err']:9.3g} {r['ratio']:7.4f} {r['pull']:6.2f}  "
              f"{r['status']}")
    bad = [r for r in rows if abs(r["g4_recomputed"] - r["g4"]) > 1e-3 * abs(r["g4"]) + 1e-9
           and not math.isnan(r["g4_recomputed"]) and r["n_events"] == r["n_arrays"]]
    for r in bad:
        print(f"warning: {r['observable']} recomputed from the Geant4 arrays = "
              f"{r['g4_recomputed']:.6g}, table {r['g4']:.6g}", file=sys.stderr)
    n = [r for r in rows if r["status"] != "n/a"]
    print(f"\n{sum(r['status'] == 'ok' for r in n)} of {len(n)} compared observables within "
          f"tolerance; {len(rows) - len(n)} not simulated by na64")


def markdown(rows: list[dict[str, Any]]) -> str:
    """The comparison as a markdown table."""
    out = ["| particle | observable | Geant4 | na64 | ratio | pull | within tol. |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] == "n/a":
            continue
        out.append(f"| {r['particle']} | {r['observable']} | {r['g4']:.4g} ± {r['g4_err']:.2g} "
                   f"| {r['na64']:.4g} | {r['ratio']:.3f} | {r['pull']:.1f} | "
                   f"{'yes' if r['status'] == 'ok' else '**no**'} |")
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# 2. the selection on both
# --------------------------------------------------------------------------------------
def calorimeter_selection() -> Any:
    """The invisible-mode selection of the analysis without the SRD and track cuts."""
    sel = load_analysis(ANALYSIS).selection.build(E_BEAM)
    return sel.configure({name: {"enabled": False}
                          for name in ("srd", "single_track", "beam_momentum")})


def selection_tables(setup: Setup, g4: dict[str, Sample], events: int, seed: int
                     ) -> list[tuple[str, list[tuple[str, float, float, float, float]]]]:
    """Per particle: (cut, na64 fraction passing after the cut, its error, Geant4 fraction,
    its error), cumulative, for the calorimeter cuts."""
    sel = calorimeter_selection()
    out = []
    for i, p in enumerate(PARTICLES):
        rng = np.random.default_rng(seed + 10 + i)
        fast_raw = response(setup, {"pdg": np.full(events, _PDG[p]),
                                    "energy": np.full(events, E_BEAM)}, rng)
        g4_raw = digitise_reference(setup, g4[p], rng)
        flows = []
        for raw in (fast_raw, g4_raw):
            ev = reconstruct(raw, setup)
            flows.append(sel.cutflow(ev))
        rows = []
        for rec_f, rec_g in zip(flows[0], flows[1], strict=True):
            if rec_f["name"] == "all" or "disabled" in rec_f["description"]:
                continue
            rows.append((rec_f["name"], rec_f["eff_tot"], rec_f["eff_tot_err"],
                         rec_g["eff_tot"], rec_g["eff_tot_err"]))
        out.append((p, rows))
    return out


def shape_cut_alone(setup: Setup, g4: Sample, events: int, seed: int) -> tuple[float, float, float, float]:
    """Fraction of electrons kept by the shower-shape cut alone: na64, Geant4 (digitised),
    each with its binomial error."""
    cut = calorimeter_selection()["shower_shape"].value
    rng = np.random.default_rng(seed + 20)
    fast_raw = response(setup, {"pdg": np.full(events, 11), "energy": np.full(events, E_BEAM)},
                        rng)
    g4_raw = digitise_reference(setup, g4, rng)
    res = []
    for raw in (fast_raw, g4_raw):
        chi2 = reconstruct(raw, setup)["shower_chi2"]
        k = float(np.mean(chi2 < cut))
        res += [k, math.sqrt(k * (1 - k) / chi2.size)]
    return res[0], res[1], res[2], res[3]


def print_selection(tables: list[tuple[str, list[tuple[str, float, float, float, float]]]],
                    shape: tuple[float, float, float, float], g4: dict[str, Sample]) -> None:
    print("\nInvisible-mode calorimeter cuts (invisible_2016_2018), fraction of events passing "
          "up to each cut:")
    for p, rows in tables:
        print(f"  {p} ({g4[p].n} Geant4 events):")
        print(f"    {'cut':14s} {'na64':>16s} {'Geant4':>16s} {'difference':>11s}")
        for name, f, fe, g, ge in rows:
            print(f"    {name:14s} {f:9.4f} ± {fe:.4f} {g:9.4f} ± {ge:.4f} {100 * (f - g):+10.2f}%")
    f, fe, g, ge = shape
    print(f"  e- shower-shape cut alone: na64 keeps {100 * f:.2f} ± {100 * fe:.2f}%, Geant4 "
          f"{100 * g:.2f} ± {100 * ge:.2f}% (difference {100 * (f - g):+.2f} points)")


# --------------------------------------------------------------------------------------
# 3. the figure
# --------------------------------------------------------------------------------------
def figure(fast: dict[str, Sample], g4: dict[str, Sample], out: Path) -> None:
    """Distributions na64 (line) against Geant4 (points) into ``out`` .png and .pdf."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    def ps_fraction(s: Sample) -> np.ndarray:
        return s.ecal[:, 0].sum(axis=(1, 2)) / s.ecal.sum(axis=(1, 2, 3))

    def central(s: Sample) -> np.ndarray:
        return s.ecal[:, :, 3, 3].sum(axis=1) / s.ecal.sum(axis=(1, 2, 3))

    panels = [
        ("e-", ps_fraction, np.linspace(0.0, 0.12, 41), "e$^-$ pre-shower / ECAL", False),
        ("e-", central, np.linspace(0.82, 0.86, 41), "e$^-$ central-cell fraction", False),
        ("e-", lambda s: s.veto.sum(axis=1), np.linspace(0, 30, 31), "e$^-$ veto sum [MeV]",
         False),
        ("pi-", lambda s: s.ecal.sum(axis=(1, 2, 3)) / E_BEAM, np.linspace(0, 1.05, 43),
         r"$\pi^-$ ECAL (electron scale) / E", True),
        ("pi-", lambda s: s.hcal.sum(axis=(1, 2, 3)) / E_BEAM, np.linspace(0, 1.05, 43),
         r"$\pi^-$ HCAL deposit / E", True),
        ("mu-", lambda s: s.ecal.sum(axis=(1, 2, 3)), np.geomspace(250, 5000, 41),
         r"$\mu^-$ ECAL signal [MeV]", False),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, (p, fn, bins, label, logy) in zip(axes.ravel(), panels, strict=True):
        a, b = fn(fast[p]), fn(g4[p])
        width = np.diff(bins)
        h_f, _ = np.histogram(a, bins=bins)
        h_g, _ = np.histogram(b, bins=bins)
        centres = 0.5 * (bins[1:] + bins[:-1])
        ax.stairs(h_f / (a.size * width), bins, color="C0", lw=1.5, label=f"na64 ({a.size})")
        ax.errorbar(centres, h_g / (b.size * width), yerr=np.sqrt(h_g) / (b.size * width),
                    fmt="o", ms=3, color="k", label=f"Geant4 11.4 ({b.size})")
        ax.set_xlabel(label)
        ax.set_ylabel("density")
        if logy:
            ax.set_yscale("log")
        if p == "mu-":
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=8)
    fig.suptitle("na64 fast simulation vs Geant4, 100 GeV, na64e_2016_2018 (pencil beam, "
                 "cell (3, 3))", fontsize=11)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(out.with_suffix(f".{ext}"), dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", type=Path, default=default_reference(),
                    help="directory of the Geant4 reference (default: %(default)s)")
    ap.add_argument("--events", type=int, default=20000, help="fast-simulated events per "
                    "configuration (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "validation" / "fastsim_vs_geant4.png",
                    help="figure (the .pdf is written next to it)")
    ap.add_argument("--markdown", action="store_true", help="also print the markdown table")
    args = ap.parse_args(argv)
    ref = args.reference
    if not (ref / "g4_reference_100GeV.csv").is_file():
        print(f"no Geant4 reference in {ref} (set --reference or NA64_G4_REFERENCE)",
              file=sys.stderr)
        return 2
    table = read_reference_table(ref / "g4_reference_100GeV.csv")
    for path in LARGER_SAMPLES:
        table.update(read_reference_table(path))
    arrays = load_arrays(ref)
    setup = load_setup(SETUP_NAME)
    rows, fast, g4 = compare_observables(setup, table, arrays, args.events, args.seed)
    print(f"na64 fast simulation ({args.events} events per configuration) vs Geant4 "
          f"reference ({ref}):\n")
    print_observables(rows)
    # the selection on the larger Geant4 samples kept as cells (2500 electrons)
    f_sc = table[("e-", "sampling_fraction_sc")].value
    cells = {p: geant4_sample(a, p, E_BEAM, f_sc)
             for p, a in read_reference_cells(EVENT_CELLS).items() if p in PARTICLES}
    print_selection(selection_tables(setup, cells, args.events, args.seed),
                    shape_cut_alone(setup, cells["e-"], args.events, args.seed), cells)
    figure(fast, g4, args.out)
    print(f"\nwrote {args.out} and {args.out.with_suffix('.pdf')}")
    if args.markdown:
        print("\n" + markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
