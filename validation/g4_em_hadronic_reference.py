"""The hadronic component of 100 GeV electron showers in Geant4: a reference table.

Geant4 11.4 (the program and data-free physics list of the calorimeter reference,
``../shared/g4ref``: the ``na64e_2016_2018`` ECAL, veto and HCAL; photo-nuclear reactions by
``G4PhotoNuclearCrossSection`` with the GammaNPreco/Bertini/QGSP final states), with one
addition to its stepping action: every photo-, electro- or positron-nuclear interaction
above 100 MeV is written to a side file (event, process, energy of the incoming particle,
energy it lost in the step, position, volume).  Runs: 100 GeV e− in a pencil beam at the
centre of ECAL cell (3, 3), 2 × 1000 events, seeds 701 and 702; and, for the hadron
showers of a few GeV that such interactions make, π− of 2 and 5 GeV on the same spot, 1000
events each, seeds 712 and 715, and of 10, 20, 50 GeV (seeds 730, 740, 770); the 100 GeV
pions of the first reference (``../shared/reference/g4_na64e/pi-_100.npz``) as well.

    python validation/g4_em_hadronic_reference.py --electrons RUN.bin [RUN.bin ...]
        --pions PI2.bin PI5.bin ... pi-_100.npz [--out CSV]

Each ``RUN.bin`` has its JSON layout ``RUN.bin.json`` and its side file ``RUN.side``.
Writes ``tests/data/g4_em_hadronic.csv`` (configuration, observable, value, stat_error, n,
note).  For the electrons (configuration ``e-_100``):

* the photo-nuclear interactions per shower of photons above 1, 2, 5 and 10 GeV in the
  ECAL (Poisson errors), and their mean depth in X0 of the layer mixture;
* the HCAL signal (Fe + Sc deposit) of the showers: P(> 0.1, 0.3, 1, 3 GeV) (binomial;
  the 90% CL bound 2.303/n where none) and its mean over E;
* the same probabilities for the showers with and without a photo-nuclear interaction
  above 1 GeV in the ECAL;
* the ECAL containment (Pb + Sc deposit over E), its RMS (error by bootstrap) and its 1%
  quantile.

For the pions (``pi-_2`` ... ``pi-_50``): the probability that the pion's first inelastic
interaction lies in the ECAL (where its track ends), the mean calibrated ECAL and HCAL
signals over E, P(HCAL < 1 GeV) and P(HCAL > 0.1, 0.3, 1, 3 GeV), and the lateral shape
of those that shower in the ECAL (calibrated signal above E/5): the mean central-cell and
3x3 fractions.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from g4records import binomial, ecal_sampling_fraction, read_records, read_run

from na64.detector import load_setup

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "g4_em_hadronic.csv"
#: the reference's ECAL (its front face at z = 0): that of the setup it simulates
ECAL_SETUP = load_setup("na64e_2016_2018")
ECAL = ECAL_SETUP.target
THRESHOLDS_GEV = (0.1, 0.3, 1.0, 3.0)
K_GEV = (1.0, 2.0, 5.0, 10.0)
ZERO_PASS = 2.303  # 90% CL upper limit of a Poisson mean with none seen


def read_side(path: Path, n_events: int) -> np.ndarray:
    """Photo-nuclear interactions in the ECAL of the first ``n_events``: (event, k, z)."""
    rows = []
    for line in path.read_text().splitlines():
        p = line.split()
        if p[1] != "photonNuclear" or int(p[7]) not in (1, 2):
            continue
        event = int(p[0])
        if event < n_events:
            rows.append((event, float(p[2]), float(p[6])))
    return np.array(rows, dtype=float).reshape(-1, 3)


def build(runs: list[Path]) -> list[list]:
    hcal, cont, inter, n_total, energy = [], [], [], 0, None
    for run in runs:
        meta, ev = read_records(run)
        n = ev["hcal_sc"].shape[0]
        energy = meta["p_GeV"] * 1e3
        hcal.append(ev["hcal_sc"].sum(axis=(1, 2, 3)) + ev["hcal_fe"].sum(axis=1))
        cont.append((ev["ecal_sc"].sum(axis=(1, 2, 3)) + ev["ecal_pb_section"].sum(axis=1)) / energy)
        side = read_side(run.with_suffix(".side"), n)
        side[:, 0] += n_total
        inter.append(side)
        n_total += n
    assert energy is not None
    h = np.concatenate(hcal)
    c = np.concatenate(cont)
    pn = np.concatenate(inter)
    rows: list[list] = [["n_showers", n_total, 0.0, n_total, "100 GeV e-, pencil beam"]]
    for kmin in K_GEV:
        sel = pn[:, 1] > kmin * 1e3
        m = int(sel.sum())
        rows.append([f"photonuclear_per_shower_k_gt_{kmin:g}GeV", m / n_total,
                     (np.sqrt(m) if m else ZERO_PASS) / n_total, n_total,
                     "photo-nuclear interactions in the ECAL per shower, photon above k"])
    hard = pn[pn[:, 1] > 1e3]
    depth = hard[:, 2] / ECAL.X0
    rows.append(["photonuclear_depth_mean_X0_k_gt_1GeV", depth.mean(),
                 depth.std(ddof=1) / np.sqrt(depth.size), depth.size,
                 "mean depth of those above 1 GeV, X0 of the ECAL mixture"])
    rows.append(["photonuclear_k_mean_GeV_k_gt_1GeV", hard[:, 1].mean() / 1e3,
                 hard[:, 1].std(ddof=1) / np.sqrt(hard.shape[0]) / 1e3, hard.shape[0],
                 "mean photon energy of those above 1 GeV"])
    with_pn = np.zeros(n_total, dtype=bool)
    with_pn[hard[:, 0].astype(int)] = True
    for name, mask in (("", np.ones(n_total, dtype=bool)), ("_with_photonuclear", with_pn),
                       ("_without_photonuclear", ~with_pn)):
        for thr in THRESHOLDS_GEV:
            p, e = binomial(h[mask] > thr * 1e3, ZERO_PASS)
            rows.append([f"p_hcal_gt_{thr:g}GeV{name}", p, e, int(mask.sum()),
                         "HCAL Fe+Sc deposit above the threshold"])
    rows.append(["hcal_leak_fraction_mean", h.mean() / energy,
                 h.std(ddof=1) / np.sqrt(h.size) / energy, n_total, "HCAL Fe+Sc / E"])
    rows.append(["containment_mean", c.mean(), c.std(ddof=1) / np.sqrt(c.size), n_total,
                 "ECAL Pb+Sc / E"])
    # the RMS's error by bootstrap: a few showers in the far tail set it
    rng = np.random.default_rng(0)
    boots = [c[rng.integers(0, c.size, c.size)].std(ddof=1) for _ in range(400)]
    rows.append(["containment_rms", c.std(ddof=1), float(np.std(boots)), n_total,
                 "RMS of ECAL Pb+Sc / E (error: 400 bootstrap resamplings)"])
    q = float(np.quantile(c, 0.01))
    rows.append(["containment_q01", q, float(np.quantile(c, 0.02) - q), n_total,
                 "1% quantile of ECAL Pb+Sc / E (error: distance to the 2% quantile)"])
    return rows


def build_pion(run: Path) -> tuple[str, list[list]]:
    """The pion rows: the hadron observables of :func:`na64.detector.observables.observables`
    (computed the same way for the fast simulation) and P(HCAL > thresholds)."""
    from na64.detector.observables import geant4_sample, observables

    meta, ev = read_run(run)
    energy = meta["p_GeV"] * 1e3
    sample = geant4_sample(ev, "pi-", energy, ecal_sampling_fraction())
    obs = observables(sample, ECAL_SETUP, bootstrap=0)
    n = sample.hcal.shape[0]
    notes = {"p_interact_ecal": "first inelastic interaction (end of the pion's track) in the ECAL",
             "ecal_fraction_mean": "calibrated ECAL (Sc / f_sc of 100 GeV e-) over E",
             "hcal_fraction_mean": "HCAL Fe+Sc deposit over E",
             "p_hcal_lt_1GeV": "HCAL Fe+Sc deposit below 1 GeV",
             "central_cell_fraction_showering": "central ECAL cell / calibrated ECAL, pions "
                                                "with a calibrated ECAL signal above E/5",
             "ring3x3_fraction_showering": "3x3 ECAL cells / calibrated ECAL, pions with a "
                                           "calibrated ECAL signal above E/5"}
    rows: list[list] = [[k, obs[k][0], obs[k][1], n, note] for k, note in notes.items()]
    h = sample.hcal.sum(axis=(1, 2, 3))
    for thr in THRESHOLDS_GEV:
        if thr * 1e3 < energy:
            p, e = binomial(h > thr * 1e3, ZERO_PASS)
            rows.append([f"p_hcal_gt_{thr:g}GeV", p, e, n, "HCAL Fe+Sc deposit above"])
    return f"pi-_{meta['p_GeV']:g}", rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--electrons", nargs="+", type=Path, required=True)
    ap.add_argument("--pions", nargs="*", type=Path, default=[])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    tables = [("e-_100", build(args.electrons))] + [build_pion(p) for p in args.pions]
    with args.out.open("w", newline="") as fh:
        fh.write("# Geant4 11.4 (data-free physics list of ../shared/g4ref, na64e_2016_2018 "
                 "ECAL/veto/HCAL), pencil beams at the centre of ECAL cell (3,3)\n")
        fh.write("# made by validation/g4_em_hadronic_reference.py from "
                 + ", ".join(p.name for p in [*args.electrons, *args.pions]) + "\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["configuration", "observable", "value", "stat_error", "n", "note"])
        for config, rows in tables:
            for r in rows:
                w.writerow([config, r[0], f"{r[1]:.6g}", f"{r[2]:.3g}", r[3], r[4]])
    for config, rows in tables:
        for r in rows:
            print(f"{config:7s} {r[0]:45s} {r[1]:.5g} ± {r[2]:.2g}  (n = {r[3]})")


if __name__ == "__main__":
    main()
