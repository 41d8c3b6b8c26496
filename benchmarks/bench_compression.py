"""Compression of event files: size, write and read time, and what it costs a production.

Each candidate is an encoding and a storage precision (:mod:`na64.io.precision`, ``full``:
bit for bit, ``reduced``: the default of ``na64 simulate``, measured columns rounded to 12
mantissa bits); the workers round the events before encoding them.

For each candidate Parquet encoding (codec, level, byte-stream-split float columns,
dictionary; always CRC32 page checksums, never statistics):

1. **file**: events of the default setup, simulated chunk by chunk with the seeds of a
   production (what the workers of ``na64 simulate`` compute), are written to one Parquet
   file through :func:`na64.io.events.event_writer` (one encoded batch per chunk, as the
   workers do), then read back with :func:`na64.io.events.read_events` (page checksums,
   footer and page headers verified) and compared bit for bit;
2. **production**: :func:`na64.run.run_production` (what ``na64 simulate`` runs: workers
   simulate and encode their chunks, the main process merges them by byte copy) on a pool
   of ``--workers`` processes started once for all runs, end to end.

    python benchmarks/bench_compression.py                  # 1e5 events, production 2e5
    python benchmarks/bench_compression.py --repeat 5 --only "none,zstd 1 + split"
    python benchmarks/bench_compression.py --production-events 0   # file columns only
    python benchmarks/bench_compression.py --precision full,reduced --only "none,zstd 1 + split"

Printed per encoding: MB per 10^6 events, write and read wall time of the ``--events``
file, production events/s and the ratio of the production time to that of uncompressed
pages (``none``) and to the writers' default (marked ``*``,
:data:`na64.io.events.DEFAULT_COMPRESSION`).  Timings are wall-clock, the best of
``--repeat`` rounds with the encodings interleaved within a round, so that a burst of load
hits them alike; the load average is printed first because other processes distort them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from na64.io.events import (
    DEFAULT_COMPRESSION,
    PARQUET_COMPRESSIONS,
    ParquetEncoding,
    event_writer,
    read_events,
)
from na64.io.precision import STORAGE_PRECISIONS, apply_precision
from na64.run import ProcessExecutor, chunk_generator, plan_chunks, run_production
from na64.run.production import DEFAULT_CHUNK_SIZE
from na64.run.sources import DetectorSource

Events = dict[str, np.ndarray]

#: The candidates: name -> encoding.  The named ones of ``na64 simulate --compression``
#: are the ``PARQUET_COMPRESSIONS`` entries ("zstd 1 + split" is ``zstd``, and so on).
CANDIDATES: dict[str, ParquetEncoding] = {
    "none": PARQUET_COMPRESSIONS["none"],
    "none + dictionary": ParquetEncoding("none", None, byte_stream_split=False, dictionary=True),
    "snappy": ParquetEncoding("snappy", None, byte_stream_split=False),
    "snappy + split": PARQUET_COMPRESSIONS["snappy"],
    "snappy + dictionary": ParquetEncoding("snappy", None, byte_stream_split=False,
                                           dictionary=True),
    "lz4": ParquetEncoding("lz4", None, byte_stream_split=False),
    "lz4 + split": PARQUET_COMPRESSIONS["lz4"],
    "zstd 1": ParquetEncoding("zstd", 1, byte_stream_split=False),
    "zstd 1 + split": PARQUET_COMPRESSIONS["zstd"],
    "zstd 1 + dictionary": ParquetEncoding("zstd", 1, byte_stream_split=False, dictionary=True),
    "zstd 3 + split": ParquetEncoding("zstd", 3),
    "zstd 9 + split": ParquetEncoding("zstd", 9),
}


def _same(a: Events, b: Events) -> bool:
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        and a[k].tobytes() == b[k].tobytes() for k in a)


def _write(path: Path, chunks: list[Events], encoding: ParquetEncoding) -> float:
    t0 = time.perf_counter()
    with event_writer(path, provenance={"bench": "compression"}, compression=encoding) as sink:
        for chunk in chunks:
            sink.write(chunk)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1e5", help="events of the file columns "
                        "(default 1e5)")
    parser.add_argument("--production-events", default="2e5",
                        help="events per production run (default 2e5; 0: no production)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the productions (default 2)")
    parser.add_argument("--setup", default="na64e_2016_2018")
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds (best of)")
    parser.add_argument("--only", default=None,
                        help="comma-separated candidates, by the names printed (e.g. "
                             "'none,zstd 1 + split')")
    parser.add_argument("--precision", default="full,reduced",
                        help="comma-separated storage precisions (default 'full,reduced')")
    parser.add_argument("--tmp", default=tempfile.gettempdir())
    args = parser.parse_args()
    n = int(float(args.events))
    n_prod = int(float(args.production_events))
    default = PARQUET_COMPRESSIONS[DEFAULT_COMPRESSION]
    candidates = dict(CANDIDATES)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        missing = [w for w in wanted if w not in CANDIDATES]
        if missing:
            parser.error(f"unknown candidates {missing}; choose from {list(CANDIDATES)}")
        candidates = {name: CANDIDATES[name] for name in wanted}
    precisions = [p.strip() for p in args.precision.split(",")]
    if any(p not in STORAGE_PRECISIONS for p in precisions):
        parser.error(f"--precision: choose from {list(STORAGE_PRECISIONS)}")
    candidates = {(name, p): enc for name, enc in candidates.items() for p in precisions}
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; pyarrow "
          f"{pa.__version__}; {args.setup}: file of {n} events, productions of {n_prod} "
          f"events on {args.workers} worker processes, chunks of {DEFAULT_CHUNK_SIZE}")

    source = DetectorSource.from_options(args.setup)
    source(1000, np.random.default_rng(0))  # compile and warm up
    t0 = time.perf_counter()
    raw = [dict(source(spec.n_events, chunk_generator(1, spec.index)))
           for spec in plan_chunks(n, DEFAULT_CHUNK_SIZE)]
    print(f"simulation: {n / (time.perf_counter() - t0):,.0f} events/s on one core")
    rounded = {}
    for p in precisions:
        t0 = time.perf_counter()
        rounded[p] = [apply_precision(c, STORAGE_PRECISIONS[p]) for c in raw]
        print(f"rounding to {p}: {n / (time.perf_counter() - t0):,.0f} events/s on one core")
    print()

    size = dict.fromkeys(candidates, 0)
    exact = dict.fromkeys(candidates, True)
    t_write = dict.fromkeys(candidates, float("inf"))
    t_read = dict.fromkeys(candidates, float("inf"))
    t_prod = dict.fromkeys(candidates, float("inf"))
    want = {p: {k: np.concatenate([c[k] for c in rounded[p]]) for k in raw[0]}
            for p in precisions}
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp, \
            ProcessExecutor(args.workers) as executor:
        path, out = Path(tmp) / "events.parquet", Path(tmp) / "run.parquet"
        if n_prod:  # start the pool and compile in the workers before timing
            run_production(source, out, n_events=2 * args.workers, seed=1, chunk_size=1,
                           executor=executor, overwrite=True)
        for _ in range(args.repeat):
            for name, encoding in candidates.items():
                prec = name[1]
                t_write[name] = min(t_write[name], _write(path, rounded[prec], encoding))
                size[name] = path.stat().st_size
                t0 = time.perf_counter()
                back = read_events(path)
                t_read[name] = min(t_read[name], time.perf_counter() - t0)
                exact[name] = exact[name] and _same(back, want[prec])
                del back
                path.unlink()
                if n_prod:
                    t0 = time.perf_counter()
                    run_production(source, out, n_events=n_prod, seed=1, executor=executor,
                                   overwrite=True, compression=encoding, precision=prec)
                    t_prod[name] = min(t_prod[name], time.perf_counter() - t0)
                    out.unlink()

    ref = t_prod.get(("none", "full"), float("nan"))
    ref_default = next((t_prod[k] for k, e in candidates.items()
                        if e == default and k[1] == "full"), float("nan"))
    print("(production time / none and / default: against the full-precision runs; "
          "bit-exact: as rounded)")
    print("| encoding | precision | MB / 10^6 events | write s | read s | production events/s "
          "| production time / none | / default | bit-exact |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for name, encoding in candidates.items():
        mark = " *" if encoding == default else ""
        prod = (f"{n_prod / t_prod[name]:,.0f} | {t_prod[name] / ref:.3f} | "
                f"{t_prod[name] / ref_default:.3f}") if n_prod else "- | - | -"
        print(f"| {name[0]}{mark} | {name[1]} | {size[name] / n:.1f} | {t_write[name]:.3f} | "
              f"{t_read[name]:.3f} | {prod} | {'yes' if exact[name] else 'NO'} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
