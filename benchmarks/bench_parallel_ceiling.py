"""The machine's own ceiling for parallel simulation: one process alone against N at once.

Runs the detector simulation of ``na64 simulate`` (``DetectorSource``, 20000-event chunks,
no encoding, no executor) in one process, then in N independent processes started
together, and prints the chunks per second of each and the throughput ratio N processes /
one.  No executor can scale better than this ratio: it measures what the cores deliver
when all are busy (shared caches, memory bandwidth, virtual CPUs that share a physical
core), before any start-up or merging cost.  Compare ``bench_executor.py``'s speed-up
with it.

    python benchmarks/bench_parallel_ceiling.py [--processes 2] [--chunks 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def _child(chunks: int, setup: str) -> None:
    import numpy as np

    from na64.run.sources import DetectorSource

    src = DetectorSource.from_options(setup)
    src(1000, np.random.default_rng(0))  # imports and compiled kernels loaded
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts timing together
    t0 = time.perf_counter()
    for i in range(chunks):
        src(20_000, np.random.default_rng(i + 1))
    print(json.dumps({"seconds_per_chunk": (time.perf_counter() - t0) / chunks}), flush=True)


def _run(n: int, chunks: int, setup: str) -> list[float]:
    cmd = [sys.executable, __file__, "--child", "--chunks", str(chunks), "--setup", setup]
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(n)]
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            sys.exit("benchmark child failed")
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        out.append(json.loads(stdout.strip().splitlines()[-1])["seconds_per_chunk"])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    p.add_argument("--chunks", type=int, default=8)
    p.add_argument("--setup", default="na64e_2016_2018")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args.chunks, args.setup)
        return
    print(f"# {os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.2f}")
    alone = _run(1, args.chunks, args.setup)[0]
    together = _run(args.processes, args.chunks, args.setup)
    print(f"1 process: {alone:.3f} s per 20000-event chunk")
    print(f"{args.processes} processes at once: "
          + ", ".join(f"{t:.3f}" for t in together) + " s per chunk")
    ratio = sum(alone / t for t in together)
    print(f"throughput {args.processes} processes / 1: {ratio:.2f}x (the ceiling of any "
          f"executor's speed-up on this machine); load average after: "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
