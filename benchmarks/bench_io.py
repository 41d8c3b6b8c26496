"""Parquet encodings of a production chunk: file size, encoding and decoding throughput.

Simulates NA64e events with the default setup, exactly as a worker of ``na64 simulate``
does, and encodes them chunk by chunk (one Parquet file per chunk, like the workers) with
each candidate encoding; then decodes every file back to numpy with the page checksums
verified, as :func:`na64.io.events.read_events` does (without its footer and page-header
checks, a few per cent more), and checks that the round trip is bit-exact.  Everything runs
on one core (Arrow's thread pools are set to one thread) and is timed in CPU time.

    python benchmarks/bench_io.py                    # 50k events, chunks of 20k
    python benchmarks/bench_io.py --events 1e5 --repeat 7

Printed per encoding: bytes per event (= MB per 10^6 events), encoding and decoding
throughput in events/s, and the slowdown of a production chunk on one core relative to the
previous default (lz4 without checksums): simulation + encoding, and simulation + encoding
+ writing the chunk file + its SHA-256 (what a worker does, :func:`na64.run.production.run_chunk`).
``*`` marks the encoding the writers use (:func:`na64.io.events.parquet_write_options`).
Timings are the best of ``--repeat`` rounds, the encodings interleaved within a round so
that a burst of load on the machine hits them alike; the load average is printed because
other processes distort the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from na64.detector import load_setup
from na64.io.events import _batch_to_events, _table, parquet_write_options
from na64.pipeline import simulate_events
from na64.run.production import DEFAULT_CHUNK_SIZE

Events = dict[str, np.ndarray]


def encodings(schema: pa.Schema) -> dict[str, dict[str, Any]]:
    """The candidate encodings: name -> keyword arguments of ``pq.write_table``."""
    floats = parquet_write_options(schema)["use_byte_stream_split"]
    plain = {"use_dictionary": False, "write_statistics": False, "write_page_checksum": True}
    dictionary = {**plain, "use_dictionary": True}
    return {
        "lz4 (previous default, no checksums)": {**plain, "compression": "lz4",
                                                 "write_page_checksum": False},
        "lz4": {**plain, "compression": "lz4"},
        "lz4 + byte-stream-split": {**plain, "compression": "lz4",
                                    "use_byte_stream_split": floats},
        "lz4 + dictionary": {**dictionary, "compression": "lz4"},
        "zstd 1": {**plain, "compression": "zstd", "compression_level": 1},
        "zstd 1 + byte-stream-split": {**plain, "compression": "zstd", "compression_level": 1,
                                       "use_byte_stream_split": floats},
        "zstd 1 + dictionary": {**dictionary, "compression": "zstd", "compression_level": 1},
        "zstd 1 + byte-stream-split + dictionary": {
            **dictionary, "compression": "zstd", "compression_level": 1,
            "use_byte_stream_split": floats},
        "zstd 3": {**plain, "compression": "zstd", "compression_level": 3},
        "zstd 3 + byte-stream-split": {**plain, "compression": "zstd", "compression_level": 3,
                                       "use_byte_stream_split": floats},
        "zstd 3 + dictionary": {**dictionary, "compression": "zstd", "compression_level": 3},
        "snappy + dictionary + statistics (pyarrow defaults)": {"write_page_checksum": True},
    }


def _encode(tables: list[pa.Table], options: dict[str, Any]) -> list[bytes]:
    out = []
    for table in tables:
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, **options)
        out.append(buf.getvalue().to_pybytes())
    return out


def _decode(files: list[bytes]) -> list[Events]:
    out = []
    for data in files:
        pf = pq.ParquetFile(pa.BufferReader(data), page_checksum_verification=True)
        table = pf.read(use_threads=False)
        out.append(_batch_to_events(table, pf.schema_arrow))
    return out


def _write_and_hash(files: list[bytes], directory: str) -> None:
    """What a worker does with an encoded chunk besides encoding: write it, hash it."""
    for i, data in enumerate(files):
        path = os.path.join(directory, f"chunk_{i}.parquet")
        with open(path, "wb") as fh:
            fh.write(data)
        with open(path, "rb") as fh:
            hashlib.sha256(fh.read()).hexdigest()
        os.remove(path)


def _same(a: Events, b: Events) -> bool:
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
        and a[k].tobytes() == b[k].tobytes() for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="5e4", help="events to simulate (default 5e4)")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                        help=f"events per encoded file (default {DEFAULT_CHUNK_SIZE}, "
                             "as na64 simulate)")
    parser.add_argument("--setup", default="na64e_2016_2018")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions (best of)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = int(float(args.events))
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    setup = load_setup(args.setup)
    rng = np.random.default_rng(args.seed)
    simulate_events(setup, 1000, rng)  # compile and warm up
    sizes = [min(args.chunk_size, n - s) for s in range(0, n, args.chunk_size)]
    chunks: list[Events] = []

    def simulate() -> None:
        chunks.clear()
        chunks.extend(dict(simulate_events(setup, k, rng)) for k in sizes)

    t_sim = float("inf")
    for _ in range(max(1, min(args.repeat, 3))):
        t0 = time.process_time()
        simulate()
        t_sim = min(t_sim, time.process_time() - t0)
    tables = [_table(c) for c in chunks]
    raw = sum(t.nbytes for t in tables) / n
    print(f"load average {os.getloadavg()[0]:.2f}; {n} events of {args.setup} in chunks of "
          f"{args.chunk_size}; pyarrow {pa.__version__}; in memory {raw:.0f} B/event")
    print(f"simulation: {n / t_sim:,.0f} events/s on one core\n")

    default = parquet_write_options(tables[0].schema)
    configs = encodings(tables[0].schema)
    files = {name: _encode(tables, options) for name, options in configs.items()}
    exact = {name: all(_same(a, b) for a, b in zip(chunks, _decode(f), strict=True))
             for name, f in files.items()}
    t_enc = dict.fromkeys(configs, float("inf"))
    t_dec = dict.fromkeys(configs, float("inf"))
    t_file = dict.fromkeys(configs, float("inf"))
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, options in configs.items():
                t0 = time.process_time()
                _encode(tables, options)
                t1 = time.process_time()
                _decode(files[name])
                t2 = time.process_time()
                _write_and_hash(files[name], tmp)
                t3 = time.process_time()
                t_enc[name] = min(t_enc[name], t1 - t0)
                t_dec[name] = min(t_dec[name], t2 - t1)
                t_file[name] = min(t_file[name], t3 - t2)
    prev = next(iter(configs))
    print("| encoding | B/event | encode events/s | decode events/s | production: sim + "
          "encode | sim + encode + file + SHA-256 | bit-exact |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, options in configs.items():
        size = sum(len(f) for f in files[name]) / n
        enc = (t_sim + t_enc[name]) / (t_sim + t_enc[prev]) - 1.0
        chunk = ((t_sim + t_enc[name] + t_file[name])
                 / (t_sim + t_enc[prev] + t_file[prev]) - 1.0)
        mark = " *" if options == default else ""
        print(f"| {name}{mark} | {size:.1f} | {n / t_enc[name]:,.0f} | {n / t_dec[name]:,.0f} "
              f"| {enc:+.1%} | {chunk:+.1%} | {'yes' if exact[name] else 'NO'} |")
    if default not in configs.values():
        print(f"\nthe writers' encoding is not in the table: {default}")


if __name__ == "__main__":
    main()
