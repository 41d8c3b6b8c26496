"""Benchmark of reusable samples and ``na64 optimize`` (the physicist's iteration loop).

Times, through the command line (a fresh process each, as a user runs them):

1. the full job with ``--keep-samples`` (default analysis, masses and events, unless
   changed by the options);
2. ``--from-samples`` with a changed cut (``--set selection.hcal_max=2GeV``: every
   background event replayed) and with a changed box edge (``selection.ecal_max=45GeV``:
   the background sources whose events depend on the box edge are simulated again);
3. ``na64 optimize`` scanning ``selection.ecal_max`` over 20 values at 3 masses on the kept
   samples, with ``--target-epsilon``;

and prints each with its ratio to the target (3 s for a --from-samples run, 60 s for the
scan).  Usage: ``python benchmarks/bench_optimize.py [--masses 1MeV:1GeV:31]
[--events-per-mass 3000] [--workdir DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Targets (s): a --from-samples run with a changed cut, a 20-point scan at 3 masses.
TARGET_FROM_SAMPLES = 3.0
TARGET_SCAN = 60.0


def _run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "na64", *args], check=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--masses", default="1MeV:1GeV:31",
                   help="masses of the samples (must include 10 MeV, 100 MeV and 1 GeV)")
    p.add_argument("--events-per-mass", default=None)
    p.add_argument("--workdir", type=Path, default=None)
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="na64-bench-optimize-"))
    samples, out = work / "samples", work / "out"
    events = ["--events-per-mass", args.events_per_mass] if args.events_per_mass else []
    common = ["--no-plots", "-q", "--overwrite"]
    # the scan goes down to 40 GeV and up to the samples' 50 GeV; samples made at 50 GeV
    t_full = _run(["reach", "invisible", "--masses", args.masses, *events, *common,
                   "--out", str(out / "full"), "--keep-samples", str(samples)])
    t_hcal = _run(["reach", "invisible", "--from-samples", str(samples), *common,
                   "--out", str(out / "hcal"), "--set", "selection.hcal_max=2GeV"])
    t_ecal = _run(["reach", "invisible", "--from-samples", str(samples), *common,
                   "--out", str(out / "ecal"), "--set", "selection.ecal_max=45GeV"])
    t_same = _run(["reach", "invisible", "--from-samples", str(samples), *common,
                   "--out", str(out / "same")])
    same = (out / "same" / "limits.csv").read_bytes() == (out / "full" / "limits.csv").read_bytes()
    t_scan = _run(["optimize", "--from-samples", str(samples), "--scan",
                   "selection.ecal_max=40GeV:50GeV:20", "--masses", "10MeV,100MeV,1GeV",
                   "--target-epsilon", "1e-5", "--out", str(out / "scan"), "-q",
                   "--overwrite"])
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"full run with --keep-samples ({args.masses}): {t_full:.1f} s")
    print(f"--from-samples, same cuts: {t_same:.2f} s (limits.csv byte-identical: {same})")
    print(f"--from-samples, selection.hcal_max=2GeV: {t_hcal:.2f} s; target "
          f"{TARGET_FROM_SAMPLES:.0f} s: ratio {t_hcal / TARGET_FROM_SAMPLES:.2f}")
    print(f"--from-samples, selection.ecal_max=45GeV: {t_ecal:.2f} s; target "
          f"{TARGET_FROM_SAMPLES:.0f} s: ratio {t_ecal / TARGET_FROM_SAMPLES:.2f}")
    print(f"optimize, 20 x selection.ecal_max at 3 masses: {t_scan:.1f} s; target "
          f"{TARGET_SCAN:.0f} s: ratio {t_scan / TARGET_SCAN:.2f}")
    print(f"speed-up of a changed cut over the full run: {t_full / t_hcal:.0f}x")


if __name__ == "__main__":
    main()
