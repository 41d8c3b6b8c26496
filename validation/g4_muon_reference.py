"""Observables of a muon run of the Geant4 reference program, as a reference table.

Reads the raw records that the Geant4 program of ``../shared/g4ref`` writes (``--out
FILE``: float32 records, layout in ``FILE.json``) for a pencil beam of muons in its NA64e
ECAL / veto / HCAL geometry, computes every muon observable of
:mod:`na64.detector.observables` (``geant4_sample`` with the ECAL calibrated by the
reference electrons' sampling fraction, ``observables(..., bootstrap=100,
reference_size=1000)``: most probable values as the mean over disjoint 1000-event samples)
and writes the table in the format of ``tests/data/g4_na64e_100GeV.csv``.

This is how ``tests/data/g4_na64_muon_160GeV.csv`` was made::

    bin/g4ref --particle mu+ --p 160 --n 10000 --seed 211 --out mu160_a.bin
    bin/g4ref --particle mu+ --p 160 --n 10000 --seed 212 --out mu160_b.bin
    python validation/g4_muon_reference.py mu160_a.bin mu160_b.bin --particle mu+ \\
        --energy 160 --out tests/data/g4_na64_muon_160GeV.csv

The raw records (34 MB for 20000 muons) are not kept in the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from g4records import ecal_sampling_fraction, read_records

from na64.detector import load_setup
from na64.detector.observables import geant4_sample, observables
from na64.units import GeV

#: Electron sampling fraction of the reference ECAL (its 100 GeV electrons), as in
#: ``tests/data/g4_na64e_100GeV.csv``.
F_SC = ecal_sampling_fraction()

NOTES = {
    "ecal_mip_mean_MeV": "mean calibrated ECAL energy (Sc/f_sc, electron scale), MeV",
    "ecal_mip_mpv_MeV": "most probable calibrated ECAL energy, MeV",
    "ecal_sc_mean_MeV": "mean raw ECAL scintillator deposit, MeV",
    "ecal_sc_mpv_MeV": "most probable raw ECAL scintillator deposit, MeV",
    "veto_counter_mean_MeV": "mean deposit in the first 20 mm veto counter, MeV",
    "veto_counter_mpv_MeV": "most probable deposit in the first 20 mm veto counter, MeV",
}


def _note(name: str) -> str:
    if name.startswith("p_ecal_gt_"):
        return (f"fraction of muons with a calibrated ECAL energy above "
                f"{name.removeprefix('p_ecal_gt_').replace('GeV', ' GeV')}")
    kind, module = name.removeprefix("hcal_per_module_").split("_MeV_m")
    what = "mean" if kind == "mean" else "most probable"
    return f"{what} raw HCAL scintillator deposit in module {module}, MeV"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--particle", default="mu+")
    ap.add_argument("--energy", type=float, default=160.0, help="beam momentum, GeV")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    parts = [read_records(p, np.float32)[1] for p in args.files]
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = int(arrays["ecal_sc"].shape[0])
    cpu = float(arrays["cpu_s"].sum())
    seeds = ", ".join(str(json.loads(Path(f"{p}.json").read_text())["seed"]) for p in args.files)
    sample = geant4_sample(arrays, args.particle, args.energy * GeV, F_SC)
    obs = observables(sample, load_setup("na64e_2016_2018"), bootstrap=100,
                      reference_size=1000)
    header = [
        "# Geant4 11.4.p01 (the data-free physics list and NA64e ECAL/VETO/HCAL geometry of "
        "../shared/g4ref, as g4_na64e_100GeV.csv),",
        f"# {args.energy:g} GeV {args.particle} in a pencil beam at x=y=0: {n} events "
        f"(seeds {seeds}), {cpu:.0f} s CPU.",
        "# Made by validation/g4_muon_reference.py (its docstring has the commands): "
        "na64.detector.observables.geant4_sample,",
        f"# observables(..., bootstrap=100, reference_size=1000), f_sc = {F_SC}; p_ecal_gt_* "
        "are binomial probabilities of the calibrated ECAL energy.",
    ]
    with tempfile.NamedTemporaryFile("w", dir=args.out.parent, delete=False,
                                     suffix=".tmp", newline="") as fh:
        fh.write("\n".join(header) + "\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["particle", "energy_GeV", "offset_mm", "observable", "value",
                    "stat_error", "n_events", "notes"])
        for name, (value, err) in obs.items():
            note = NOTES.get(name) or _note(name)
            w.writerow([args.particle, f"{args.energy:g}", 0, name, f"{value:.6g}",
                        f"{err:.3g}", n, note])
    os.replace(fh.name, args.out)
    print(f"wrote {args.out} ({len(obs)} observables, {n} events)")


if __name__ == "__main__":
    main()
