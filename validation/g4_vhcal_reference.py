"""The NA64mu veto HCAL in Geant4: a reference table for the fast simulation.

Geant4 11.4 (the program and data-free physics list of the calorimeter reference,
``../shared/g4ref``, with its veto and HCAL replaced by the VHCAL of ``na64mu_2022``: 20
layers of 25 mm Cu + 5 mm polystyrene, 3 x 3 cells of 150 mm whose central cell is a
hole, front face 600 mm behind the ECAL's, the ECAL in front as in the reference), three
configurations:

* ``mu+`` 160 GeV along the axis (through the ECAL and the VHCAL's hole): the VHCAL
  signal of the beam muons, i.e. what the ``vhcal_max`` cut does to them;
* ``e-`` 20 GeV at x = 150 mm (beside the ECAL, into a VHCAL side cell): the electron
  calibration f_sc = <scintillator deposit> / E and the resolution;
* ``pi-`` 20 GeV at x = 150 mm: the pion response on the electron scale (e/pi).

    python validation/g4_vhcal_reference.py --mu MU.bin --e E.bin --pi PI.bin [--out CSV]
    python validation/g4_vhcal_reference.py --fit [--check]

Each raw file has its JSON side file (the g4ref record layout); writes
``tests/data/g4_na64mu_vhcal.csv`` (configuration, observable, value, stat_error, unit).
``--fit`` fits the VHCAL's ``e_over_h`` of ``na64mu_2022`` (a value of the fast
simulation's hadron model: refit it after that model changes) to the pion response of that table: the mean
VHCAL deposit of 20 GeV π− beside the ECAL, 20000 fast-simulated pions (seed 2), bisection
in 1/(e/h), on which the response depends linearly; ``--check`` exits 1 if the shipped
value differs from the fit by more than 0.02.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from pathlib import Path

import numpy as np
from g4records import binomial, read_records

from na64.background.base import ZERO_PASS_BOUND

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "g4_na64mu_vhcal.csv"


def build(mu: Path, e: Path, pi: Path, ecal_fsc: float) -> list[list]:
    rows: list[list] = []
    me, ev = read_records(e)
    sc_e = ev["hcal_sc"][:, 0].sum(axis=(1, 2))
    energy_e = me["p_GeV"] * 1e3
    f_sc = sc_e.mean() / energy_e
    f_err = sc_e.std(ddof=1) / np.sqrt(sc_e.size) / energy_e
    cal_e = sc_e / f_sc
    tag_e = f"e-_{me['p_GeV']:g}_x{me['x_mm']:g}"
    rows += [[tag_e, "f_sc", f_sc, f_err, ""],
             [tag_e, "resolution", cal_e.std(ddof=1) / cal_e.mean(),
              cal_e.std(ddof=1) / cal_e.mean() / np.sqrt(2 * (cal_e.size - 1)), ""],
             [tag_e, "ecal_deposit_mean", ev["ecal_sc"].sum(axis=(1, 2, 3)).mean(), 0.0,
              "MeV"]]
    mp, evp = read_records(pi)
    cal_p = evp["hcal_sc"][:, 0].sum(axis=(1, 2)) / f_sc
    energy_p = mp["p_GeV"] * 1e3
    tag_p = f"pi-_{mp['p_GeV']:g}_x{mp['x_mm']:g}"
    rows += [[tag_p, "response_over_e", cal_p.mean() / energy_p,
              cal_p.std(ddof=1) / np.sqrt(cal_p.size) / energy_p, ""],
             [tag_p, "rms_over_mean", cal_p.std(ddof=1) / cal_p.mean(), 0.0, ""]]
    mm, evm = read_records(mu)
    cal_m = evm["hcal_sc"][:, 0].sum(axis=(1, 2)) / f_sc
    tag_m = f"mu+_{mm['p_GeV']:g}_x{mm['x_mm']:g}"
    rows.append([tag_m, "vhcal_mean", cal_m.mean(), cal_m.std(ddof=1) / np.sqrt(cal_m.size),
                 "MeV"])
    for thr in (10.0, 100.0, 1000.0):
        p, err = binomial(cal_m > thr, ZERO_PASS_BOUND)
        rows.append([tag_m, f"p_vhcal_gt_{thr / 1e3:g}GeV", p, err, ""])
    ecal_m = evm["ecal_sc"].sum(axis=(1, 2, 3))
    rows.append([tag_m, "ecal_sc_median", float(np.median(ecal_m)), 0.0, "MeV"])
    # after the ECAL cut of muon_2022 (6 GeV on the electron scale of the ECAL)
    quiet = ecal_m / ecal_fsc < 6000.0
    p, err = binomial(quiet & (cal_m > 1000.0), ZERO_PASS_BOUND)
    rows.append([tag_m, "p_vhcal_gt_1GeV_and_ecal_lt_6GeV", p, err, ""])
    rows.append([tag_m, "events", mm["n_events"], 0.0, ""])
    for tag, meta in ((tag_e, me), (tag_p, mp), (tag_m, mm)):
        rows.append([tag, "seed", meta["seed"], 0.0, ""])
        rows.append([tag, "cpu_s_per_event", meta["cpu_s_beamon"] / meta["n_events"], 0.0, "s"])
    return rows


def _pion_response(e_over_h: float, n: int = 20_000) -> float:
    from na64.detector.response import deposit
    from na64.detector.setup import load_setup

    setup = load_setup("na64mu_2022")
    vh = setup.vhcal
    assert vh is not None
    setup = setup.model_copy(update={"vhcal": vh.model_copy(update={"e_over_h": e_over_h})})
    parts = {"pdg": np.full(n, -211), "energy": np.full(n, 20e3), "x": np.full(n, 150.0),
             "y": np.zeros(n)}
    dep = deposit(setup, parts, np.random.default_rng(2))["vhcal"]
    return float(dep.reshape(n, -1).sum(axis=1).mean() / 20e3)


def fit(table: Path = OUT) -> tuple[float, float]:
    """(fitted e_over_h, the Geant4 response it reproduces)."""
    with table.open() as f:
        rows = {(r["config"], r["observable"]): float(r["value"])
                for r in csv.DictReader(line for line in f if not line.startswith("#"))}
    target = rows[("pi-_20_x150", "response_over_e")]
    lo, hi = 1.0 / 3.0, 1.0 / 0.3  # 1/(e/h) within the setup's allowed [0.3, 3]
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if _pion_response(1.0 / mid) < target:
            lo = mid
        else:
            hi = mid
    return 1.0 / (0.5 * (lo + hi)), target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--mu", type=Path)
    ap.add_argument("--e", type=Path)
    ap.add_argument("--pi", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--ecal-fsc", type=float, default=0.111778,
                    help="ECAL scintillator fraction of 100 GeV electrons in the reference "
                         "(tests/data/README.md)")
    args = ap.parse_args(argv)
    if args.fit:
        from na64.detector.setup import load_setup

        value, target = fit(args.out)
        vh = load_setup("na64mu_2022").vhcal
        assert vh is not None
        print(f"[vhcal] e_over_h = {value:.3f}   # fitted: 20 GeV pi- response {target:.4f} "
              f"of the electron scale (shipped: {vh.e_over_h})")
        return 1 if args.check and abs(vh.e_over_h - value) > 0.02 else 0
    if args.mu is None or args.e is None or args.pi is None:
        ap.error("--mu, --e and --pi are required (or --fit)")
    rows = build(args.mu, args.e, args.pi, args.ecal_fsc)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as f:
        f.write("# Geant4 11.4.p01 reference of the na64mu_2022 VHCAL (validation/"
                "g4_vhcal_reference.py; geometry and configurations in its docstring).\n"
                "# Energies on the electron scale: scintillator deposit / f_sc of the 20 GeV "
                "electrons.\n")
        w = csv.writer(f)
        w.writerow(["config", "observable", "value", "stat_error", "unit"])
        for r in rows:
            w.writerow([r[0], r[1], f"{float(r[2]):.6g}", f"{float(r[3]):.3g}", r[4]])
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    for r in rows:
        print(f"{r[0]:>16} {r[1]:>22} {float(r[2]):12.5g} ± {float(r[3]):.3g} {r[4]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
