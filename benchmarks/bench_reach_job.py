"""The default main job as a user runs it: ``na64 reach invisible --quiet``, cold and warm.

Each run is a fresh process timed as a whole (``/usr/bin/time``-like: wall time, and the CPU
time of the process and of the children it waited for).  "cold": ``NA64_CACHE`` an empty
directory (every dσ/dx table computed); "warm": the same directory again (every table read
from disk).  numba's own compilation cache is warm in both (run the job once before).  The
``limits.csv`` of every run is compared byte for byte with that of a run without the cache
(``NA64_CACHE=off``).  Targets on 2 cores: cold < 30 s, warm < 10 s.

    python benchmarks/bench_reach_job.py --repeat 3

Prints one line per run, the medians, their ratio to the targets and the load average
before each run (other jobs on the machine make the wall times longer).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"cold": 30.0, "warm": 10.0}


def _run(out: Path, cache: str, extra: list[str]) -> tuple[float, float]:
    env = {**os.environ, "NA64_CACHE": cache}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "na64", "reach", "invisible", "--quiet",
                    "--out", str(out), *extra], env=env, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="cold and warm runs each")
    p.add_argument("--no-reference", action="store_true",
                   help="skip the uncached reference run (and the comparison)")
    p.add_argument("extra", nargs="*", help="more options for na64 reach invisible")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ref = None
        if not args.no_reference:
            _run(work / "ref", "off", args.extra)
            ref = (work / "ref" / "limits.csv").read_bytes()
        times: dict[str, list[float]] = {"cold": [], "warm": []}
        for i in range(args.repeat):
            cache = work / f"cache{i}"
            for kind in ("cold", "warm"):
                load = os.getloadavg()[0]
                out = work / f"{kind}{i}"
                wall, cpu = _run(out, str(cache), args.extra)
                same = "" if ref is None else (
                    ", limits.csv identical to the uncached run"
                    if (out / "limits.csv").read_bytes() == ref else ", limits.csv DIFFERS")
                print(f"{kind} {i + 1}: {wall:6.1f} s wall, {cpu:6.1f} s CPU "
                      f"(load before {load:.2f}){same}", flush=True)
                times[kind].append(wall)
        for kind, walls in times.items():
            med = statistics.median(walls)
            print(f"{kind}: median {med:.1f} s wall; target {TARGETS[kind]:.0f} s: "
                  f"{TARGETS[kind] / med:.2f}x the target speed")


if __name__ == "__main__":
    main()
