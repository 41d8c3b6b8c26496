"""Electron showers that start deep in the ECAL, from Geant4: what the veto counters see.

In a signal event of the invisible mode the recoil electron showers from where the A'
was emitted, not from the ECAL's face, and the veto counters behind the ECAL (the cut
``veto_max`` of the analysis) see more of a shower the deeper it starts.  The fast
simulation's leakage into the counters was fitted to showers that start at the face
(``[veto.leakage]``) and to the muons' losses (``[veto] shower_particles``).  This script
reduces raw runs of the Geant4 reference program of ``../shared/g4ref`` (its geometry of
``na64e_2016_2018`` and its physics list; the program changed only in that the primary
starts at a chosen depth ``z`` inside the ECAL: ``--z`` in mm from the ECAL face, at the
front of a lead plate) to the table ``tests/data/g4_em_start_depth.csv``: per start depth
the number of showers, the mean and median of the summed veto deposit (raw MeV in the
plastic), P(sum > 1 MeV), P(largest counter > 10 MeV) (the analysis' cut) and P(sum > 30
MeV), with binomial or standard errors; and it prints na64's values for the same showers
beside them.

    python validation/g4_start_depth_reference.py RAW.bin [RAW.bin ...] [--out FILE]

Each RAW.bin is a record file of the reference program (layout in its JSON side file,
:mod:`g4records`); a run cut short is read up to its last whole record.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from g4records import write_reference_csv

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "g4_em_start_depth.csv"
VETO_CUT = 10.0  # MeV, the largest counter (invisible_2016_2018: veto_max)


def veto_observables(veto: np.ndarray) -> dict[str, tuple[float, float]]:
    """(value, error) of the summed veto's mean and median and of the cut probabilities
    for per-event counter deposits ``veto`` (n, counters) in MeV."""
    s = veto.sum(axis=1)
    n = s.size

    def prob(mask: np.ndarray) -> tuple[float, float]:
        p = float(mask.mean())
        return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)

    # the median's error from the density at the median (order statistics)
    lo, hi = np.quantile(s, [0.5 - 1 / math.sqrt(4 * n), 0.5 + 1 / math.sqrt(4 * n)])
    return {
        "veto_sum_mean_MeV": (float(s.mean()), float(s.std(ddof=1) / math.sqrt(n))),
        "veto_sum_median_MeV": (float(np.median(s)), float(0.5 * (hi - lo))),
        "p_veto_sum_gt_1MeV": prob(s > 1.0),
        "p_veto_max_gt_10MeV": prob(veto.max(axis=1) > VETO_CUT),
        "p_veto_sum_gt_30MeV": prob(s > 30.0),
    }


def read_veto(path: Path) -> tuple[dict[str, object], np.ndarray]:
    """The run's settings and its veto deposits (n, 3), whole records only."""
    meta = json.loads(Path(f"{path}.json").read_text())
    layout = meta["layout"]
    n = int(layout["n"])
    raw = np.fromfile(path, dtype=np.float32)
    raw = raw[: raw.size - raw.size % n].reshape(-1, n)
    off, size = layout["veto_sc"]
    return meta, raw[:, off:off + int(size[0])].astype(float)


def na64_veto(energy_gev: float, z_mm: float, n: int, seed: int) -> np.ndarray:
    """na64's raw veto deposits of ``n`` electrons starting at ``z_mm`` in the ECAL."""
    from na64.detector import deposit, load_setup

    setup = load_setup("na64e_2016_2018")
    parts = {"pdg": np.full(n, 11), "energy": np.full(n, energy_gev * 1e3),
             "x": np.zeros(n), "y": np.zeros(n), "z_start": np.full(n, max(z_mm, 0.0))}
    return np.asarray(deposit(setup, parts, np.random.default_rng(seed))["veto"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from na64.detector import load_setup

    x0 = load_setup("na64e_2016_2018").target.X0
    rows = []
    for path in args.raw:
        meta, veto = read_veto(path)
        z = max(float(meta.get("z_mm", -10.0)), 0.0)
        e = float(meta["p_GeV"])
        g = veto_observables(veto)
        f = veto_observables(na64_veto(e, z, 20000, 3))
        print(f"{meta['particle']} {e:g} GeV from {z:g} mm ({z / x0:.1f} X0): "
              f"{veto.shape[0]} showers")
        for key, (v, err) in g.items():
            print(f"  {key:22s} Geant4 {v:9.4g} +- {err:7.2g}   na64 {f[key][0]:9.4g}")
        for key, (v, err) in g.items():
            rows.append({"particle": meta["particle"], "energy_GeV": e, "start_mm": z,
                         "start_X0": f"{z / x0:.3f}", "observable": key, "value": f"{v:.6g}",
                         "stat_error": f"{err:.3g}", "n_showers": veto.shape[0],
                         "seed": meta["seed"]})
    write_reference_csv(args.out, (
        f"made by validation/g4_start_depth_reference.py from "
        f"{', '.join(p.name for p in args.raw)}: Geant4 11.4 electrons starting at a "
        "depth of the na64e_2016_2018 ECAL (the reference program of ../shared/g4ref "
        "with the primary's start moved inside the ECAL), raw veto deposits (MeV)"), rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
