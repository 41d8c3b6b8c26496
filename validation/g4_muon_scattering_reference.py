"""The line a muon leaves the NA64 ECAL on, from Geant4, against na64's multiple scattering.

A muon that crosses the 40 X0 of the ECAL (150 layers of 1.5 mm Pb + 1.5 mm plastic) leaves
it scattered: the spectrometer and the trigger counter behind the NA64mu target see that
line (:func:`na64.detector.muon.scatter_through`, the Highland width of PDG 2024 Eq. 34.16
with the correlated displacement of Eqs. 34.18-34.21).  This script reduces the raw output
of Geant4 11.4 runs (the data-free physics list of the calorimeter reference of
``../shared/g4ref``: the muon's multiple scattering by the WentzelVI model with single
Coulomb scattering beyond it, its ionisation, bremsstrahlung and pair production; a variant
of that program that kills every secondary and writes, where the primary crosses the back
face of the ECAL, its position, slopes dx/dz, dy/dz and kinetic energy) to the table
``tests/data/g4_muon_exit_line.csv``: per beam momentum the number of muons, the width of
the projected exit angle and of the exit position (both views pooled) from the central 98%
of the distribution (the part the Highland formula describes, PDG 2024 Sec. 34.3), their
correlation, and the share of angles beyond 3 widths (the single-scattering tail).  It
prints na64's values for the same muons (``na64mu_2022``, the same ECAL) beside them.

    python validation/g4_muon_scattering_reference.py RAW160.bin RAW50.bin RAW20.bin \\
        [--out tests/data/g4_muon_exit_line.csv]

Each RAW.bin has its side file RAW.bin.json (particle, momentum, seed, events).  Record
layout: 6 float32 per event (x, y [mm], tx, ty, kinetic energy [MeV], crossed flag).
Muons that lose more than twice the median loss in the ECAL are left out on both sides (a
hard radiative loss changes the momentum the scattering goes with).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
from g4records import write_reference_csv

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "data" / "g4_muon_exit_line.csv"
M_MU = 105.6583755  # MeV
KEEP = 0.98  # central fraction whose spread is compared
MAX_LOSS = 2.0  # muons losing more than this times the median loss are left out


def central_width(x: np.ndarray, keep: float = KEEP) -> float:
    """RMS of the central ``keep`` of ``x`` (trimmed symmetrically in rank)."""
    lo, hi = np.quantile(x, [(1 - keep) / 2, (1 + keep) / 2])
    core = x[(x >= lo) & (x <= hi)]
    return float(np.sqrt(np.mean((core - np.median(x)) ** 2)))


def summarize(tx: np.ndarray, ty: np.ndarray, x: np.ndarray, y: np.ndarray,
              length: float) -> dict[str, float]:
    """Widths of the angle and of the exit position (both views pooled), their correlation
    and the share of angles beyond 3 widths; errors from the two views' difference."""
    ang = np.concatenate([tx, ty])
    pos = np.concatenate([x, y])
    w_ang, w_pos = central_width(ang), central_width(pos)
    lo, hi = np.quantile(ang, [(1 - KEEP) / 2, (1 + KEEP) / 2])
    core = (ang >= lo) & (ang <= hi)
    corr = float(np.corrcoef(ang[core], pos[core])[0, 1])
    return {
        "n_muons": float(tx.size),
        "theta_width_mrad": 1e3 * w_ang,
        "theta_width_err_mrad": 1e3 * w_ang / math.sqrt(2 * ang.size),
        "position_width_mm": w_pos,
        "position_width_err_mm": w_pos / math.sqrt(2 * pos.size),
        "correlation": corr,
        "tail_beyond_3_widths": float(np.mean(np.abs(ang) > 3 * w_ang)),
        "length_mm": length,
    }


def read_run(path: Path) -> tuple[dict[str, object], np.ndarray]:
    meta = json.loads(Path(f"{path}.json").read_text())
    raw = np.fromfile(path, dtype=np.float32)
    raw = raw[: raw.size - raw.size % 6].reshape(-1, 6).astype(float)
    return meta, raw


def na64_exit(p_gev: float, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """na64's exit lines of ``n`` muons of ``p_gev`` through the ECAL of na64mu_2022, those
    that lose less than twice the median loss."""
    from na64.detector import deposit, load_setup

    setup = load_setup("na64mu_2022")
    e = math.hypot(p_gev * 1e3, M_MU)
    zeros = np.zeros(n)
    out = deposit(setup, {"pdg": np.full(n, -13), "energy": np.full(n, e), "x": zeros,
                          "y": zeros, "tx": zeros, "ty": zeros, "z_start": zeros},
                  np.random.default_rng(seed))
    loss = e - out["true_exit_energy"]
    keep = loss < MAX_LOSS * np.median(loss)
    length = setup.target.length
    tx, ty = out["true_exit_tx"][keep], out["true_exit_ty"][keep]
    return tx, ty, out["true_exit_x"][keep] + tx * length, out["true_exit_y"][keep] + ty * length


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rows = []
    for path in args.raw:
        meta, rec = read_run(path)
        p_gev = float(meta["p_GeV"])
        e0 = math.hypot(p_gev * 1e3, M_MU)
        loss = e0 - (rec[:, 4] + M_MU)
        ok = (rec[:, 5] > 0) & (loss < MAX_LOSS * np.median(loss[rec[:, 5] > 0]))
        g = summarize(rec[ok, 2], rec[ok, 3], rec[ok, 0], rec[ok, 1], 450.0)
        tx, ty, x, y = na64_exit(p_gev, 40000, 7)
        f = summarize(tx, ty, x, y, 450.0)
        print(f"{meta['particle']} {p_gev:g} GeV: {int(g['n_muons'])} of {rec.shape[0]} muons "
              f"(loss < {MAX_LOSS:g} x the median)")
        for key in ("theta_width_mrad", "position_width_mm", "correlation",
                    "tail_beyond_3_widths"):
            print(f"  {key:22s} Geant4 {g[key]:9.5g}   na64 {f[key]:9.5g}   ratio "
                  f"{f[key] / g[key]:6.3f}")
        rows.append({"particle": meta["particle"], "p_GeV": p_gev, "seed": meta["seed"],
                     "n_events": meta["n_events"], **{k: f"{v:.6g}" for k, v in g.items()}})
    write_reference_csv(args.out, (
        f"made by validation/g4_muon_scattering_reference.py from "
        f"{', '.join(p.name for p in args.raw)}: the line muons leave the NA64 ECAL "
        "(150 x (1.5 mm Pb + 1.5 mm plastic)) on, Geant4 11.4 (WentzelVI + single "
        "Coulomb scattering), muons losing < 2 x the median loss; widths of the central "
        "98%, both views pooled"), rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
