"""Executor benchmark: throughput with 2 workers vs 1, and peak memory of a production.

Each configuration runs in a fresh subprocess (so ``ru_maxrss`` is its own) through
:func:`na64.run.run_production` -- chunks simulated and Parquet-encoded by the workers,
manifest, byte-copy merge in the main process -- exactly what ``na64 simulate`` does.

    python benchmarks/bench_executor.py                      # 2e5 events, detector source
    python benchmarks/bench_executor.py --events 1e7         # the full-size production
    python benchmarks/bench_executor.py --source toy         # a numpy toy calorimeter

Printed: end-to-end events/s (worker start-up, simulation, chunk encoding, the in-order
merge that overlaps the simulation), the time the main process spent merging (copying
row groups, including waits on the page-cache writeback), the ratio
2 workers / 1 worker (target >= 1.7 on 2 cores), and peak RSS of the main process and of
the largest worker.  Streaming means the peak RSS does not grow with ``--events``;
``--memory-check`` also runs a 4x smaller production to show it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ToyCalorimeter:
    """Numpy toy (about the cost of a fast shower simulation): 2x6x6 cells per event."""

    def __call__(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        e = rng.normal(100.0, 1.0, n)
        w = rng.gamma(2.0, 1.0, (n, 2, 6, 6))
        for _ in range(20):  # some arithmetic per cell, like a shower profile integration
            w = np.abs(w + 0.01 * rng.standard_normal(w.shape))
        w /= w.sum(axis=(1, 2, 3), keepdims=True)
        ecal = e[:, None, None, None] * w
        return {"e_beam": e, "ecal": ecal, "e_ecal": ecal.sum(axis=(1, 2, 3))}

    def describe(self) -> dict[str, Any]:
        return {"kind": "bench-toy"}


def _child(args: argparse.Namespace) -> None:
    from na64.run import make_executor, run_production
    from na64.run.sources import DetectorSource

    source: Any = ToyCalorimeter() if args.source == "toy" else DetectorSource.from_options(
        args.setup)
    n = int(float(args.events))
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        out = Path(tmp) / "bench.parquet"
        t0 = time.perf_counter()
        with make_executor(args.executor, args.workers) as ex:
            summary = run_production(source, out, n_events=n, seed=1,
                                     chunk_size=int(float(args.chunk_size)), executor=ex)
        wall = time.perf_counter() - t0
        size = out.stat().st_size
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = summary.worker_peak_rss_mb  # reported by the workers themselves
    print(json.dumps({"wall": wall, "merge": summary.merge_seconds, "n": n,
                      "rss_main_MB": self_rss, "rss_worker_MB": child_rss,
                      "file_MB": size / 2**20}))


def _run(args: argparse.Namespace, executor: str, workers: int, events: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--executor", executor, "--workers",
           str(workers), "--events", str(events), "--chunk-size", str(args.chunk_size),
           "--source", args.source, "--setup", args.setup, "--tmp", args.tmp]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit(f"benchmark child failed:\n{res.stderr}")
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", default="2e5")
    p.add_argument("--chunk-size", default="20000")
    p.add_argument("--source", choices=["detector", "toy"], default="detector")
    p.add_argument("--setup", default="na64e_2016_2018")
    p.add_argument("--tmp", default=tempfile.gettempdir())
    p.add_argument("--memory-check", action="store_true")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per configuration; the fastest is kept (robust to other load)")
    p.add_argument("--configs", default="local:1,processes:1,processes:2",
                   help="executor:workers list to run (e.g. processes:2 for the 1e7 memory run)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--executor", default="processes", help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args)
        return
    n = float(args.events)
    print(f"# {n:.3g} events, chunk size {args.chunk_size}, source {args.source}, "
          f"{os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'executor':<12}{'workers':>8}{'wall s':>9}{'merge s':>9}"
          f"{'events/s':>12}{'RSS main MB':>13}{'RSS worker MB':>15}")
    rows = {}
    for item in args.configs.split(","):
        executor, workers = item.split(":")[0], int(item.split(":")[1])
        r = min((_run(args, executor, workers, n) for _ in range(args.repeat)),
                key=lambda x: x["wall"])
        rows[(executor, workers)] = r
        print(f"{executor:<12}{workers:>8}{r['wall']:>9.2f}{r['merge']:>9.2f}"
              f"{r['n'] / r['wall']:>12,.0f}{r['rss_main_MB']:>13.0f}"
              f"{r['rss_worker_MB']:>15.0f}", flush=True)
    two = rows.get(("processes", 2))
    if ("processes", 1) in rows and two is not None:
        one = rows[("processes", 1)]
        print(f"speed-up 2 workers / 1 worker (processes): {one['wall'] / two['wall']:.2f}x "
              "(target >= 1.7x)")
    if ("local", 1) in rows and two is not None:
        print(f"speed-up 2 workers / local executor: {rows[('local', 1)]['wall'] / two['wall']:.2f}x")
    last = list(rows.values())[-1]
    print(f"output file: {last['file_MB']:.1f} MB; load average after: {os.getloadavg()[0]:.2f} "
          "(other processes on the machine distort the ratio)")
    if args.memory_check and two is not None:
        small = _run(args, "processes", 2, n / 4)
        print(f"peak RSS at {n / 4:.3g} events: main {small['rss_main_MB']:.0f} MB, worker "
              f"{small['rss_worker_MB']:.0f} MB; at {n:.3g}: main {two['rss_main_MB']:.0f} MB, "
              f"worker {two['rss_worker_MB']:.0f} MB (streaming: no growth with events)")


if __name__ == "__main__":
    main()
