"""The cores of the per-event spreads of EM showers in the Geant4 reference, per energy.

Usage::

    python validation/g4_em_cores.py PARTICLE:ENERGY_GEV:EVENTS.npz [...] [--out CSV]

Reads per-event arrays of the Geant4 program of ``../shared/g4ref`` (the ``events/*.npz``
of its ``analyse.py``: ECAL cells and layer deposits of ``na64e_2016_2018``, pencil beam at
the centre of cell (3, 3)) and writes, per configuration, the 16-84% half-width of the
per-event central-cell fraction, pre-shower fraction and containment (Pb+Sc deposit / E;
:func:`na64.detector.observables.em_spread_samples`), with bootstrap errors (400 resamplings), as a reference table in the layout of
``tests/data/g4_na64e_100GeV.csv`` (default ``tests/data/g4_em_cores.csv``).  The half-width
is the spread of the bulk of the showers: unlike the RMS it is not set by the few showers
with a hard photo-nuclear interaction (one in ~40 at 100 GeV), so that a few hundred
showers fix it to a few percent.  The cells are calibrated as in the tests
(:func:`na64.detector.observables.geant4_sample`, f_sc of the 100 GeV electrons).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from na64.detector.observables import core_half_width, em_spread_samples, geant4_sample
from na64.units import GeV

ROOT = Path(__file__).resolve().parents[1]
#: Sc sampling fraction of the 100 GeV electrons of the reference (the tests' calibration)
F_SC = 0.111778
#: notes of the rows, per observable of :func:`na64.detector.observables.em_spread_samples`
OBSERVABLES = {
    "central_cell_fraction_core": "16-84% half-width of the per-event central-cell fraction",
    "ps_fraction_core": "16-84% half-width of the per-event pre-shower fraction",
    "containment_core": "16-84% half-width of the per-event (Pb+Sc ECAL deposit)/E_beam",
}


def rows(spec: str, n_boot: int = 400) -> list[list[object]]:
    """Table rows of one ``PARTICLE:ENERGY_GEV:PATH`` configuration."""
    particle, e_gev, path = spec.split(":", 2)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    values = em_spread_samples(geant4_sample(arrays, particle, float(e_gev) * GeV, F_SC))
    rng = np.random.default_rng(1)
    out: list[list[object]] = []
    for name, x in values.items():
        boots = [core_half_width(x[rng.integers(0, x.size, x.size)]) for _ in range(n_boot)]
        out.append([particle, f"{float(e_gev):g}", 0, name, f"{core_half_width(x):.6g}",
                    f"{np.std(boots):.3g}", x.size, OBSERVABLES[name]])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+", metavar="PARTICLE:ENERGY_GEV:EVENTS.npz")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "g4_em_cores.csv")
    ap.add_argument("--comment", action="append", default=[],
                    help="header comment line (provenance of the runs), repeatable")
    args = ap.parse_args(argv)
    table = [r for spec in args.configs for r in rows(spec)]
    tmp = args.out.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        for line in args.comment:
            fh.write(f"# {line}\n")
        w = csv.writer(fh)
        w.writerow(["particle", "energy_GeV", "offset_mm", "observable", "value",
                    "stat_error", "n_events", "notes"])
        w.writerows(table)
    tmp.replace(args.out)
    for r in table:
        print(*r[:7])
    return 0


if __name__ == "__main__":
    sys.exit(main())
