"""Observables of runs of the Geant4 reference program, as a reference table.

Reads the raw records that the Geant4 program of ``../shared/g4ref`` (or its variant that
also writes photo-nuclear interactions) writes (``--out FILE``: float32 records, layout in
``FILE.json``), or the per-event arrays of the shipped reference (``../shared/reference/
g4_na64e/*.npz``), for a pencil beam in its NA64e ECAL / veto / HCAL geometry; pools the
runs and computes every observable of :mod:`na64.detector.observables` for the particle
(``geant4_sample`` with the ECAL calibrated by the reference electrons' sampling fraction,
``observables(..., bootstrap=N, reference_size=1000)``: the spreads' errors from N
resamplings, most probable values as the mean over disjoint 1000-event samples) and writes
the table in the format of ``tests/data/g4_na64e_100GeV.csv``.

This is how ``tests/data/g4_na64_muon_160GeV.csv`` was made::

    bin/g4ref --particle mu+ --p 160 --n 10000 --seed 211 --out mu160_a.bin
    bin/g4ref --particle mu+ --p 160 --n 10000 --seed 212 --out mu160_b.bin
    python validation/g4_reference_table.py mu160_a.bin mu160_b.bin --particle mu+ \\
        --energy 160 --out tests/data/g4_na64_muon_160GeV.csv

and ``tests/data/g4_na64e_electron_100GeV.csv``, the 500 electrons of the shipped
reference pooled with the 2000 of ``g4_em_hadronic_reference.py`` (the same program and
physics, its stepping action also writing the photo-nuclear interactions)::

    python validation/g4_reference_table.py ../shared/reference/g4_na64e/e-_100.npz \
        e-_100_s701.bin e-_100_s702.bin --particle e- --energy 100 --bootstrap 400 \
        --out tests/data/g4_na64e_electron_100GeV.csv

``tests/data/g4_na64e_muon_100GeV.csv``, three runs of 20000 μ− (the first alone was the
table's earlier version, which a rerun reproduces exactly)::

    bin/g4ref --particle mu- --p 100 --n 20000 --seed 111 --out mum_100_s111.bin
    bin/g4ref --particle mu- --p 100 --n 20000 --seed 1302 --out mum_100_s1302.bin
    bin/g4ref --particle mu- --p 100 --n 20000 --seed 1303 --out mum_100_s1303.bin
    python validation/g4_reference_table.py mum_100_s111.bin mum_100_s1302.bin \
        mum_100_s1303.bin --particle mu- --energy 100 --out tests/data/g4_na64e_muon_100GeV.csv

and the 70 and 40 GeV rows of ``tests/data/g4_na64e_positron.csv`` (all but
``sampling_fraction_sc``, which stays that of the 400-shower runs; the 100 GeV rows are
those of the shared positron reference), the runs of seeds 202 and 203 of that reference
pooled with the 1000 and 1500 showers of ``g4_em_cores.py``, each energy's table written
with ``--out`` and its rows put in place of the file's rows of that energy::

    bin/g4ref --particle e+ --p 70 --n 400 --seed 202 --out ep70_s202.bin
    bin/g4ref --particle e+ --p 40 --n 400 --seed 203 --out ep40_s203.bin
    python validation/g4_reference_table.py ep70_s202.bin e+_70_s902.bin --particle e+ \
        --energy 70 --out ep70.csv
    python validation/g4_reference_table.py ep40_s203.bin e+_40_s901.bin --particle e+ \
        --energy 40 --out ep40.csv

and ``tests/data/g4_na64e_gamma_50GeV.csv``, 1000 photons of 50 GeV::

    bin/g4ref --particle gamma --p 50 --n 500 --seed 301 --out gamma_50_s301.bin
    bin/g4ref --particle gamma --p 50 --n 500 --seed 302 --out gamma_50_s302.bin
    python validation/g4_reference_table.py gamma_50_s301.bin gamma_50_s302.bin \
        --particle gamma --energy 50 --bootstrap 200 --out tests/data/g4_na64e_gamma_50GeV.csv

The raw records (34 MB for 20000 muons) are not kept in the repository.  What the
invisible-mode selection needs of each event (ECAL, HCAL and veto cells, the primary's end)
is, with ``--events-out``: ``tests/data/g4_na64e_calorimeter_events.npz`` holds the 2500
electrons above and the reference's 1000 π− and 1000 μ−, each written by::

    python validation/g4_reference_table.py FILES --particle P --energy 100 \
        --events-out tests/data/g4_na64e_calorimeter_events.npz

(cells rounded to 12 mantissa bits, a relative error below 1.2e-4: ``na64.io.precision``).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
from g4records import REFERENCE_100GEV, ecal_sampling_fraction, read_run

from na64.detector import load_setup
from na64.detector.observables import (
    ReferenceRow,
    geant4_sample,
    observables,
    read_reference_table,
)
from na64.units import GeV

#: Electron sampling fraction of the reference ECAL (its 100 GeV electrons), as in
#: ``tests/data/g4_na64e_100GeV.csv``.
F_SC = ecal_sampling_fraction()

#: The arrays :func:`na64.detector.observables.geant4_sample` reads.
FIELDS = ("ecal_sc", "ecal_layer_tot", "hcal_sc", "hcal_fe", "veto_sc", "prim_end_z",
          "prim_end_proc", "cpu_s")
#: Rows that describe the calibration, not the sample (kept from the 500-electron table).
NOT_POOLED = ("sampling_fraction_sc",)

NOTES = {
    "ecal_mip_mean_MeV": "mean calibrated ECAL energy (Sc/f_sc, electron scale), MeV",
    "ecal_mip_mpv_MeV": "most probable calibrated ECAL energy, MeV",
    "ecal_sc_mean_MeV": "mean raw ECAL scintillator deposit, MeV",
    "ecal_sc_mpv_MeV": "most probable raw ECAL scintillator deposit, MeV",
    "veto_counter_mean_MeV": "mean deposit in the first 20 mm veto counter, MeV",
    "veto_counter_mpv_MeV": "most probable deposit in the first 20 mm veto counter, MeV",
}


@cache
def _electron_notes() -> dict[tuple[str, str], ReferenceRow]:
    return read_reference_table(REFERENCE_100GEV)


def _note(name: str, particle: str) -> str:
    if particle in ("e-", "e+", "gamma"):
        row = _electron_notes().get(("e-", name))
        # the table's note without its counts ("; 0 of 500 events; ...")
        return row.notes.split("; ")[0] if row is not None else name
    if name.startswith("p_ecal_gt_"):
        return (f"fraction of muons with a calibrated ECAL energy above "
                f"{name.removeprefix('p_ecal_gt_').replace('GeV', ' GeV')}")
    kind, module = name.removeprefix("hcal_per_module_").split("_MeV_m")
    what = "mean" if kind == "mean" else "most probable"
    return f"{what} raw HCAL scintillator deposit in module {module}, MeV"


#: the per-event fields the invisible-mode selection needs (``--events-out``)
EVENT_FIELDS = ("ecal_sc", "hcal_sc", "hcal_fe", "veto_sc", "prim_end_z", "prim_end_proc")


def write_events(path: Path, particle: str, arrays: dict[str, np.ndarray],
                 seeds: list[str]) -> None:
    """Add (or replace) ``particle``'s events in the .npz ``path``: the cells rounded to
    12 mantissa bits (:func:`na64.io.precision.round_mantissa`), keys ``<particle>/<field>``
    and ``<particle>/seeds``; written to a temporary file and renamed."""
    from na64.io.precision import round_mantissa

    old: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            old = {k: z[k] for k in z.files if not k.startswith(f"{particle}/")}
    for k in EVENT_FIELDS:
        v = np.asarray(arrays[k], np.float32)
        old[f"{particle}/{k}"] = v if k == "prim_end_proc" else round_mantissa(v, 12)
    old[f"{particle}/seeds"] = np.array(seeds)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".npz") as fh:
        np.savez_compressed(fh, **old)
    os.replace(fh.name, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--particle", default="mu+")
    ap.add_argument("--energy", type=float, default=160.0, help="beam momentum, GeV")
    ap.add_argument("--bootstrap", type=int, default=100,
                    help="resamplings for the errors of spreads and most probable values")
    ap.add_argument("--out", type=Path, help="the reference table to write")
    ap.add_argument("--events-out", type=Path,
                    help="an .npz of per-event cells to which the particle's events are written")
    args = ap.parse_args()
    if args.out is None and args.events_out is None:
        ap.error("give --out, --events-out or both")
    parts, seeds = [], []
    for path in args.files:
        meta, arrays = read_run(path, np.float32)
        if meta["particle"] != args.particle or float(meta["p_GeV"]) != args.energy:
            raise SystemExit(f"{path}: a run of {meta['p_GeV']} GeV {meta['particle']}, "
                             f"not {args.energy:g} GeV {args.particle}")
        parts.append(arrays)
        seeds.append(str(meta["seed"]))
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in FIELDS}
    if args.events_out is not None:
        write_events(args.events_out, args.particle, arrays, seeds)
    if args.out is None:
        return
    n = int(arrays["ecal_sc"].shape[0])
    cpu = float(arrays["cpu_s"].sum())
    sample = geant4_sample(arrays, args.particle, args.energy * GeV, F_SC)
    obs = observables(sample, load_setup("na64e_2016_2018"), bootstrap=args.bootstrap,
                      reference_size=1000)
    obs = {k: v for k, v in obs.items() if k not in NOT_POOLED}
    header = [
        "# Geant4 11.4.p01 (the data-free physics list and NA64e ECAL/VETO/HCAL geometry of "
        "../shared/g4ref, as g4_na64e_100GeV.csv),",
        f"# {args.energy:g} GeV {args.particle} in a pencil beam at x=y=0: {n} events "
        f"(seeds {', '.join(seeds)}), {cpu:.0f} s CPU.",
        "# Made by validation/g4_reference_table.py (its docstring has the commands): "
        "na64.detector.observables.geant4_sample,",
        f"# observables(..., bootstrap={args.bootstrap}, reference_size=1000), f_sc = {F_SC}; "
        "probabilities p_* are binomial.",
    ]
    with tempfile.NamedTemporaryFile("w", dir=args.out.parent, delete=False,
                                     suffix=".tmp", newline="") as fh:
        fh.write("\n".join(header) + "\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["particle", "energy_GeV", "offset_mm", "observable", "value",
                    "stat_error", "n_events", "notes"])
        for name, (value, err) in obs.items():
            note = NOTES.get(name) or _note(name, args.particle)
            w.writerow([args.particle, f"{args.energy:g}", 0, name, f"{value:.6g}",
                        f"{err:.3g}", n, note])
    os.replace(fh.name, args.out)
    print(f"wrote {args.out} ({len(obs)} observables, {n} events)")


if __name__ == "__main__":
    main()
