"""Chunked, resumable, reproducible event production.

:func:`run_production` cuts a run of ``n_events`` into chunks (:mod:`na64.run.seeds`),
runs the chunks on an executor (:mod:`na64.run.executors`), and writes the output:

1. Each chunk is simulated *and encoded* by a worker, as a Parquet file (with the run's
   provenance) in the chunk directory ``<out>.chunks/`` (atomically: temporary file +
   rename), and its checksums are returned.  Events never travel back to the main
   process, so memory is bounded by one chunk per worker whatever ``n_events`` is, and the
   Parquet encoding runs in parallel with the simulation.
2. As chunks finish the main process rewrites ``manifest.json`` atomically
   (:mod:`na64.run.manifest`): at most every :data:`MANIFEST_INTERVAL` seconds while the
   run goes on, and always when it ends or stops.  A chunk finished but not yet recorded
   when the process is killed is simply recomputed on resume (same seed, same events).
3. Meanwhile the main process merges the finished chunks in chunk order:

   * **Parquet**: each chunk's body is copied byte for byte into ``<out>.chunks/
     output.partial`` (:mod:`na64.io.parquet_concat`, no decoding) and its footer kept in
     ``footers.bin``; the manifest records where it landed with a checksum, and once that
     manifest is saved the chunk file is deleted.  The partial output is the checkpoint
     of the merged prefix, so a run needs disk for the output plus the chunks in flight.
     At the end the footer is written and the file renamed onto ``out``.
   * **ROOT**: chunks are decoded and written through uproot into a temporary file renamed
     onto ``out`` at the end; the chunk files are kept until then.
   * **dataset** (a directory of Parquet files): nothing is merged; at the end the chunk
     directory, with its manifest as ``_manifest.json``, is renamed onto ``out``.  Arrow,
     Dask and Spark read it as one dataset; :mod:`na64.io.events` reads it in event order.

   Then the chunk directory is removed (``keep_chunks=True`` keeps it and every chunk).

After a crash, a killed worker or Ctrl-C, calling again with ``resume=True`` verifies the
checksum of every chunk marked done and of every chunk merged into the partial output,
recomputes missing, truncated or corrupted chunks and the pending ones, and completes the
merge: the result equals that of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import InputError
from ..io.atomic import location_error, prepare_output_file
from ..io.events import (
    DATASET_MANIFEST,
    DEFAULT_COMPRESSION,
    PARQUET_COMPRESSIONS,
    Compression,
    EventSink,
    ParquetEncoding,
    detect_format,
    event_writer,
    format_for_path,
    parquet_encoding,
    validate_events,
    write_events,
)
from ..io.parquet_concat import MAGIC, AppendRecord, ParquetConcatenator
from ..io.precision import STORAGE_PRECISIONS, StoragePrecision, apply_precision, storage_precision
from . import interrupts
from .executors import Executor, LocalExecutor
from .manifest import MANIFEST_NAME, ChunkRecord, Manifest, body_matches, chunk_checksums
from .seeds import ChunkSpec, chunk_generator, plan_chunks

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkResult",
    "ChunkTask",
    "EventSource",
    "RunError",
    "RunSummary",
    "chunk_dir_for",
    "run_chunk",
    "run_production",
]

log = logging.getLogger("na64.run")

#: Default events per chunk.  Fixed (not derived from the worker count) so that a run's
#: events depend only on (seed, chunk size), never on how many workers produced them.
DEFAULT_CHUNK_SIZE = 20_000

#: Minimum wall time between two manifest rewrites during a run, in seconds.
MANIFEST_INTERVAL = 0.5


class RunError(RuntimeError):
    """A run stopped before completion (worker crash, failing task); it can be resumed."""


class EventSource(Protocol):
    """What a run produces: a picklable callable ``(n_events, rng) -> events``.

    ``describe()`` returns a JSON-serialisable identity; a resumed run must have the same
    one.  Implementations must be importable top-level classes (workers unpickle them).
    """

    def __call__(self, n_events: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Produce ``n_events`` events using only ``rng`` for randomness."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable identity of the source."""
        ...


@dataclass(frozen=True)
class ChunkTask:
    """Everything a worker needs to produce one chunk."""

    source: EventSource
    seed: int
    spec: ChunkSpec
    directory: str
    file: str
    provenance: Mapping[str, Any] | None = None
    compression: ParquetEncoding = PARQUET_COMPRESSIONS[DEFAULT_COMPRESSION]
    precision: StoragePrecision = STORAGE_PRECISIONS["full"]


@dataclass(frozen=True)
class ChunkResult:
    """What a worker returns: the chunk's file, size, checksum, wall time, peak RSS."""

    index: int
    file: str
    n_events: int
    sha256: str
    seconds: float
    peak_rss_mb: float = 0.0
    body_sha256: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """Outcome of :func:`run_production`."""

    output: Path
    format: str
    n_events: int
    n_chunks: int
    chunks_computed: int
    chunks_reused: int
    seconds: float
    merge_seconds: float = 0.0
    worker_peak_rss_mb: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "output": str(self.output),
            "format": self.format,
            "n_events": self.n_events,
            "n_chunks": self.n_chunks,
            "chunks_computed": self.chunks_computed,
            "chunks_reused": self.chunks_reused,
            "seconds": round(self.seconds, 3),
            "merge_seconds": round(self.merge_seconds, 3),
            "worker_peak_rss_mb": round(self.worker_peak_rss_mb, 1),
        }


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Produce one chunk and write it atomically; return its checksum (runs in a worker)."""
    t0 = time.perf_counter()
    rng = chunk_generator(task.seed, task.spec.index)
    events = task.source(task.spec.n_events, rng)
    n = validate_events(events)
    if n != task.spec.n_events:
        raise ValueError(f"source returned {n} events for chunk {task.spec.index}, "
                         f"expected {task.spec.n_events}")
    if not task.precision.lossless:
        events = apply_precision(events, task.precision)
    path = Path(task.directory) / task.file
    # Encoded here, in the worker, with the run's provenance and encoding: the main process
    # then merges Parquet chunks by byte copy (na64.io.parquet_concat).
    write_events(path, events, "parquet", task.provenance, task.compression)
    full, body = chunk_checksums(path)
    return ChunkResult(task.spec.index, task.file, n, full, time.perf_counter() - t0,
                       _peak_rss_mb(), body)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (0 where unsupported)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def chunk_dir_for(out: str | Path) -> Path:
    """The checkpoint directory of output ``out``: ``<out>.chunks`` next to it."""
    p = Path(out)
    return p.with_name(p.name + ".chunks")


def _canonical(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True))


def _remove_chunk_dir(directory: Path) -> None:
    manifest = directory / MANIFEST_NAME
    manifest.unlink(missing_ok=True)  # first: without it the directory is not a run
    shutil.rmtree(directory, ignore_errors=True)


def _save_checkpoint(
    manifest: Manifest, directory: Path,
    merger: _ParquetMerger | _SinkMerger | _DatasetMerger | None,
) -> None:
    """Save the manifest of a stopping run, never raising over the error that stops it.

    If the save fails (a full disk, a directory that became read-only) the error is logged;
    the previous manifest, written atomically, stays valid and the merged chunk files it
    does not record yet are kept: a resume re-merges or recomputes what was done since.
    """
    try:
        manifest.save(directory)
        if merger is not None:
            merger.saved()
    except OSError as exc:
        log.warning("could not update the checkpoint in %s (%s); the previous one is kept",
                    directory, exc)


def _fresh_manifest(
    identity: dict[str, Any], fmt: str, out: Path, provenance: dict[str, Any],
    specs: list[ChunkSpec],
) -> Manifest:
    records = [ChunkRecord(s.index, f"chunk_{s.index:06d}.parquet", s.start, s.n_events)
               for s in specs]
    return Manifest(identity, fmt, out.name, provenance, records)


def _check_same_run(old: Manifest, identity: dict[str, Any], fmt: str, directory: Path) -> None:
    for key in sorted(set(old.identity) | set(identity)):
        if old.identity.get(key) != identity.get(key):
            raise InputError(
                "--resume",
                f"{directory} holds a different run ({key} was {old.identity.get(key)!r}, "
                f"now {identity.get(key)!r}); repeat the original options or pass --overwrite",
            )
    if old.format != fmt:
        raise InputError("--format", f"the run in {directory} writes {old.format!r}, not {fmt!r}")


def run_production(
    source: EventSource,
    out: str | Path,
    *,
    n_events: int,
    seed: int,
    chunk_size: int | None = None,
    executor: Executor | None = None,
    fmt: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    provenance: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_chunks: bool = False,
    compression: Compression | None = None,
    precision: str | StoragePrecision | None = None,
) -> RunSummary:
    """Produce ``n_events`` events from ``source`` into ``out``, chunked and resumable.

    Parameters
    ----------
    source
        The event source (e.g. :class:`na64.run.sources.DetectorSource`).
    out
        Output file (``.parquet`` or ``.root``).
    n_events, seed
        Run size and root seed; chunk ``i`` uses child ``i`` of ``SeedSequence(seed)``.
    chunk_size
        Events per chunk; default :data:`DEFAULT_CHUNK_SIZE`, or the value stored in the
        manifest when resuming.  The events depend on (seed, chunk_size) only.
    executor
        Where chunks run; :class:`LocalExecutor` by default.  It is not closed here.
    fmt
        ``"parquet"`` or ``"root"``; default from the suffix of ``out``.
    resume
        Continue the run checkpointed in ``<out>.chunks/`` (verifying checksums).
    overwrite
        Replace an existing output file and discard an existing checkpoint.
    provenance
        Record stored in the output file (see :func:`na64.io.provenance.make_provenance`).
    progress
        Called as ``progress(events_done, n_events)`` at the start and after each chunk.
    keep_chunks
        Keep the chunk directory and manifest after the merge.
    compression
        Encoding of the Parquet chunks, and so of a Parquet output or dataset: a name of
        :data:`na64.io.events.PARQUET_COMPRESSIONS` or a
        :class:`~na64.io.events.ParquetEncoding`; default
        :data:`~na64.io.events.DEFAULT_COMPRESSION`, or the checkpoint's when resuming.  It
        is part of the run's identity: every chunk of a run is encoded alike, and a resume
        with another compression is refused.
    precision
        Storage precision of the float columns (:mod:`na64.io.precision`): a name of
        :data:`~na64.io.precision.STORAGE_PRECISIONS` or a
        :class:`~na64.io.precision.StoragePrecision`; default ``"full"`` (every value as
        the source gives it), or the checkpoint's when resuming.  The workers round the
        events before encoding them; the choice is part of the run's identity and the
        output's provenance records it (``storage_precision``).

    Returns
    -------
    RunSummary

    Raises
    ------
    InputError
        Bad sizes, seed, compression or precision, an existing output or checkpoint without
        ``overwrite`` / ``resume``, or a checkpoint of a different run.
    RunError
        A task failed or a worker died; completed chunks are kept for ``resume=True``.
    KeyboardInterrupt
        Raised again after the manifest is saved, with a one-line message saying how many
        chunks are saved and where; resume later.
    """
    out = Path(out)
    kind = format_for_path(out, fmt)
    with _exclusive(out):
        return _run(source, out, kind, n_events=n_events, seed=seed, chunk_size=chunk_size,
                    executor=executor, resume=resume, overwrite=overwrite,
                    provenance=provenance, progress=progress, keep_chunks=keep_chunks,
                    compression=compression, precision=precision)


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for the run: two runs never share a checkpoint.

    The lock (``fcntl.flock`` on ``.<name>.lock`` next to ``out``) dies with its process,
    so a killed run never blocks the next one.  Without ``fcntl`` (Windows) no lock is taken.
    Removing the lock file at the end is best effort: its failure is logged, never raised
    over the exception that ended the run.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    prepare_output_file(out, field="--out", directory_ok=True)
    lock = out.with_name(f".{out.name}.lock")
    try:
        fh = open(lock, "a+")  # noqa: SIM115 - closed by the with statement below
    except OSError as exc:
        raise location_error("--out", out.parent, exc, "write into") from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError("--out", f"another na64 run is writing {out} right now "
                             f"(lock {lock}); wait for it or choose another --out") from None
        try:
            yield
        finally:
            # Best effort, and never over the error that ended the run: a lock file left
            # behind (e.g. in a directory that became read-only) blocks nobody, as the lock
            # is the flock, released when the file closes.
            try:
                lock.unlink(missing_ok=True)
            except OSError as exc:
                log.debug("could not remove the lock file %s: %s", lock, exc)
            finally:
                with contextlib.suppress(OSError):
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _run(
    source: EventSource,
    out: Path,
    kind: str,
    *,
    n_events: int,
    seed: int,
    chunk_size: int | None,
    executor: Executor | None,
    resume: bool,
    overwrite: bool,
    provenance: Mapping[str, Any] | None,
    progress: Callable[[int, int], None] | None,
    keep_chunks: bool,
    compression: Compression | None,
    precision: str | StoragePrecision | None = None,
) -> RunSummary:
    t0 = time.perf_counter()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**128:
        raise InputError("--seed", f"must be an integer in [0, 2^128), got {seed!r}")
    directory = chunk_dir_for(out)
    has_manifest = (directory / MANIFEST_NAME).is_file()
    executor = executor or LocalExecutor()

    if overwrite and has_manifest:
        _remove_chunk_dir(directory)
        has_manifest = False
    if not resume and not overwrite:
        if has_manifest:
            raise InputError("--resume", f"an unfinished run is checkpointed in {directory}; "
                             "pass --resume to complete it or --overwrite to start over")
        if out.exists():
            raise InputError("--out", f"{out} exists; pass --overwrite to replace it")

    old: Manifest | None = Manifest.load(directory) if (resume and has_manifest) else None
    if old is not None and "compression" not in old.identity:
        # checkpoints of earlier versions do not record it: their chunks are merged as they
        # are (a file may mix codecs), the rest is encoded with the default
        old.identity["compression"] = DEFAULT_COMPRESSION
    if old is not None and "precision" not in old.identity:  # (earlier versions: lossless)
        old.identity["precision"] = "full"
    if chunk_size is None:
        chunk_size = int(old.identity.get("chunk_size", DEFAULT_CHUNK_SIZE)) if old else DEFAULT_CHUNK_SIZE
    if compression is None:
        compression = old.identity["compression"] if old else DEFAULT_COMPRESSION
    encoding = parquet_encoding(compression)
    if precision is None:
        precision = old.identity["precision"] if old else "full"
    rounding = storage_precision(precision)
    specs = plan_chunks(int(n_events), int(chunk_size))
    identity = _canonical({"source": source.describe(), "seed": int(seed),
                           "n_events": int(n_events), "chunk_size": int(chunk_size),
                           "compression": encoding.describe(),
                           "precision": rounding.describe()})

    if resume and old is None and out.exists():
        log.info("%s exists and has no checkpoint: the run is complete", out)
        return RunSummary(out, kind, int(n_events), len(specs), 0, len(specs),
                          time.perf_counter() - t0)
    if resume and old is None:
        log.info("no checkpoint in %s: starting a new run", directory)
    for stale in out.parent.glob(f".{out.name}.*.tmp*"):  # output of a killed run (we hold the lock)
        stale.unlink(missing_ok=True)

    if old is not None:
        _check_same_run(old, identity, kind, directory)
        manifest = old
        for stale in directory.glob(".chunk_*"):  # temporaries of killed workers
            stale.unlink(missing_ok=True)
        for rec in manifest.chunks:
            if rec.status == "done" and not rec.is_intact(directory):
                log.warning("chunk %d (%s) is missing or corrupted; recomputing it",
                            rec.index, rec.file)
                rec.status, rec.sha256 = "pending", None
    else:
        directory.mkdir(parents=True, exist_ok=True)
        prov = {**dict(provenance or {}), "chunk_size": int(chunk_size), "n_chunks": len(specs),
                "storage_precision": rounding.record()}
        manifest = _fresh_manifest(identity, kind, out, _canonical(prov), specs)
    manifest.save(directory)

    peak_rss = 0.0
    todo: list[ChunkRecord] = []
    reused = 0
    merger: _ParquetMerger | _SinkMerger | _DatasetMerger | None = None
    try:
        with contextlib.ExitStack() as stack:
            if kind == "parquet":  # (verifies a resumed partial output: may reset chunks)
                merger = _ParquetMerger(manifest, directory, delete=not keep_chunks)
                stack.callback(merger.close)
            elif kind == "dataset":
                merger = _DatasetMerger(manifest, directory)
            else:
                sink = stack.enter_context(event_writer(out, kind, provenance=manifest.provenance))
                merger = _SinkMerger(sink, manifest, directory)
            todo = [rec for rec in manifest.chunks if rec.status == "pending"]
            reused = len(manifest.chunks) - len(todo)
            done_events = manifest.events_done
            log.info("%d events in %d chunks of %d: %d to compute, %d reused, on %s",
                     n_events, len(specs), chunk_size, len(todo), reused,
                     getattr(executor, "describe", lambda: executor.name)())
            if progress is not None:
                progress(done_events, int(n_events))
            tasks = [ChunkTask(source, int(seed), specs[rec.index], str(directory), rec.file,
                               manifest.provenance, encoding, rounding) for rec in todo]
            last_save = time.monotonic()
            merger.drain()  # chunks already done (resume)
            # a Ctrl-C handled by interrupts.request() is raised between chunks only
            with interrupts.deferred():
                for _, result in executor.map_unordered(run_chunk, tasks):
                    peak_rss = max(peak_rss, result.peak_rss_mb)
                    rec = manifest.chunks[result.index]
                    rec.sha256, rec.body_sha256 = result.sha256, result.body_sha256
                    rec.status = "done"
                    done_events += result.n_events
                    merger.drain()
                    if time.monotonic() - last_save >= MANIFEST_INTERVAL:
                        manifest.save(directory)
                        merger.saved()
                        last_save = time.monotonic()
                    if progress is not None:
                        progress(done_events, int(n_events))
                    interrupts.check()
            manifest.save(directory)
            merger.saved()
            if merger.next_index != len(manifest.chunks):  # pragma: no cover - a bug
                raise RuntimeError(f"merged {merger.next_index} of {len(manifest.chunks)} chunks")
            merger.finish(out)
    except KeyboardInterrupt:
        _save_checkpoint(manifest, directory, merger)
        raise KeyboardInterrupt(
            f"interrupted: {manifest.n_done} of {len(specs)} chunks are saved in {directory}; "
            "rerun with --resume"
        ) from None
    except Exception as exc:
        _save_checkpoint(manifest, directory, merger)
        raise RunError(
            f"run stopped ({type(exc).__name__}: {exc}); {manifest.n_done} of {len(specs)} "
            f"chunks are saved in {directory}; rerun with --resume to complete it"
        ) from exc

    if not keep_chunks and kind != "dataset":  # (a dataset's chunk directory became out)
        try:
            _remove_chunk_dir(directory)
        except OSError as exc:  # the output is complete: only the clean-up failed
            log.warning("wrote %s, but could not remove its checkpoint %s (%s); delete it",
                        out, directory, exc)
    log.info("wrote %d events to %s", n_events, out)
    return RunSummary(out, kind, int(n_events), len(specs), len(todo), reused,
                      time.perf_counter() - t0, merger.seconds if merger else 0.0, peak_rss)


class _SinkMerger:
    """Append finished chunks to an event sink (ROOT) in chunk order, as they become contiguous.

    The merge overlaps the simulation; the output stays a temporary file until the run
    completes (see :func:`na64.io.events.event_writer`), so every chunk file is kept until
    then: a resumed run merges again from the first chunk.
    """

    def __init__(self, sink: EventSink, manifest: Manifest, directory: Path) -> None:
        self.sink = sink
        self.manifest = manifest
        self.directory = directory
        self.next_index = 0
        self.seconds = 0.0

    def drain(self) -> None:
        """Append every chunk from ``next_index`` on that is done."""
        t0 = time.perf_counter()
        chunks = self.manifest.chunks
        while self.next_index < len(chunks) and chunks[self.next_index].status == "done":
            rec = chunks[self.next_index]
            n = self.sink.append_file(self.directory / rec.file)
            if n != rec.n_events:
                raise ValueError(f"chunk file {rec.file} holds {n} events, expected {rec.n_events}")
            self.next_index += 1
        self.seconds += time.perf_counter() - t0

    def saved(self) -> None:
        """The manifest was saved (nothing to do: chunk files stay until the end)."""

    def finish(self, out: Path) -> None:
        """Nothing: the sink's context renames its temporary file onto ``out``."""


class _DatasetMerger:
    """A dataset keeps its chunk files: "merging" only checks that the chunks are complete,
    and :meth:`finish` renames the chunk directory, manifest included, onto the output."""

    def __init__(self, manifest: Manifest, directory: Path) -> None:
        self.manifest = manifest
        self.directory = directory
        self.next_index = 0
        self.seconds = 0.0

    def drain(self) -> None:
        """Advance over the contiguous finished chunks."""
        chunks = self.manifest.chunks
        while self.next_index < len(chunks) and chunks[self.next_index].status == "done":
            self.next_index += 1

    def saved(self) -> None:
        """Nothing to do: chunk files are the output."""

    def finish(self, out: Path) -> None:
        """Rename the chunk directory onto ``out`` (atomic on one file system)."""
        t0 = time.perf_counter()
        for extra in self.directory.iterdir():  # anything but the chunks and the manifest
            if extra.name != MANIFEST_NAME and extra.name not in {
                    rec.file for rec in self.manifest.chunks}:
                extra.unlink(missing_ok=True)
        os.replace(self.directory / MANIFEST_NAME, self.directory / DATASET_MANIFEST)
        old = out.with_name(f".{out.name}.replaced")
        moved = out.exists()
        if moved:  # --overwrite of an earlier dataset: move it aside, then drop it
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
        try:
            os.replace(self.directory, out)
        except OSError:
            if moved:  # put the earlier dataset back; the checkpoint stays for resume
                with contextlib.suppress(OSError):
                    os.replace(old, out)
            with contextlib.suppress(OSError):  # and the checkpoint its usual manifest name
                os.replace(self.directory / DATASET_MANIFEST, self.directory / MANIFEST_NAME)
            raise
        shutil.rmtree(old, ignore_errors=True)
        self.seconds += time.perf_counter() - t0


#: Parquet output under construction, and the footers of the chunks copied into it.
PARTIAL_NAME = "output.partial"
FOOTERS_NAME = "footers.bin"


class _ParquetMerger:
    """Resumable in-order merge of Parquet chunks into ``<chunks>/output.partial``.

    Each finished chunk's body is copied into the partial output (no decoding,
    :class:`na64.io.parquet_concat.ParquetConcatenator`), its encoded footer appended to
    ``footers.bin`` (length, bytes, SHA-256), and its record marked ``merged`` with the body's
    position, length and checksum.  Once a manifest recording that state is saved, the
    chunk file is deleted: the partial output *is* the checkpoint of the merged prefix, so a
    run needs disk for the output plus the chunks in flight, not twice the output.

    On resume the merged prefix is verified against the recorded body checksums (the
    partial output is read once); from the first chunk that fails (truncated or corrupted
    output, lost footer) on, merged chunks are taken back: reused if their chunk file is
    still intact, recomputed otherwise.  At the end the footer is written and the partial
    output renamed onto the requested file (same directory tree, so atomic).
    """

    def __init__(self, manifest: Manifest, directory: Path, *, delete: bool = True) -> None:
        self.manifest = manifest
        self.directory = directory
        self.delete = delete
        self.seconds = 0.0
        self.partial = directory / PARTIAL_NAME
        self._deletable: list[Path] = []
        t0 = time.perf_counter()
        restored, footer_bytes = self._verified_prefix()
        for rec in manifest.chunks[len(restored):]:
            if rec.status == "merged":
                log.warning("chunk %d is not intact in the partial output; reusing or "
                            "recomputing it", rec.index)
                rec.status, rec.body_offset, rec.body_length = "done", None, None
                if not rec.is_intact(directory):
                    rec.status, rec.sha256, rec.body_sha256 = "pending", None, None
            elif rec.status == "done" and not _is_parquet_file(directory / rec.file):
                rec.status, rec.sha256 = "pending", None  # a chunk of an older na64 (Arrow IPC)
        self.next_index = len(restored)
        self._cat = ParquetConcatenator(self.partial, restore=restored or None)
        self._footers = open(directory / FOOTERS_NAME, "r+b" if restored else "wb")  # noqa: SIM115
        self._footers.truncate(footer_bytes)
        self._footers.seek(footer_bytes)
        self.seconds += time.perf_counter() - t0

    def _verified_prefix(self) -> tuple[list[AppendRecord], int]:
        """The merged chunks whose bodies and footers are intact, and the footers' size."""
        merged = []
        for rec in self.manifest.chunks:
            if rec.status != "merged":
                break
            merged.append(rec)
        footers_path = self.directory / FOOTERS_NAME
        if not merged or not self.partial.is_file() or not footers_path.is_file():
            return [], 0
        out: list[AppendRecord] = []
        used = 0
        expected = len(MAGIC)
        with open(footers_path, "rb") as fts, open(self.partial, "rb") as part:
            for rec in merged:
                head = fts.read(4)
                n = int.from_bytes(head, "little") if len(head) == 4 else -1
                raw = fts.read(n) if n >= 0 else b""
                digest = fts.read(32)
                if (n < 0 or len(raw) != n or hashlib.sha256(raw).digest() != digest
                        or rec.body_offset != expected or rec.body_length is None
                        or rec.body_sha256 is None
                        or not body_matches(part, expected, rec.body_length, rec.body_sha256)):
                    break
                out.append(AppendRecord(rec.n_events, expected, rec.body_length, raw))
                used += 4 + n + 32
                expected += rec.body_length
        return out, used

    def drain(self) -> None:
        """Copy every chunk from ``next_index`` on that is done into the partial output."""
        t0 = time.perf_counter()
        chunks = self.manifest.chunks
        while self.next_index < len(chunks) and chunks[self.next_index].status == "done":
            rec = chunks[self.next_index]
            path = self.directory / rec.file
            if rec.body_sha256 is None:  # done by an older na64 version
                rec.body_sha256 = chunk_checksums(path)[1]
            app = self._cat.append_record(path)
            if app.rows != rec.n_events:
                raise ValueError(f"chunk file {rec.file} holds {app.rows} events, "
                                 f"expected {rec.n_events}")
            self._footers.write(len(app.footer).to_bytes(4, "little") + app.footer
                                + hashlib.sha256(app.footer).digest())
            rec.status, rec.body_offset, rec.body_length = "merged", app.body_offset, app.body_length
            self._deletable.append(path)
            self.next_index += 1
        self.seconds += time.perf_counter() - t0

    def saved(self) -> None:
        """The manifest now records every merge so far: delete the merged chunk files."""
        if not self._footers.closed:  # (closed = flushed, after an error)
            self._footers.flush()
        if self.delete:
            for path in self._deletable:
                path.unlink(missing_ok=True)
        self._deletable.clear()

    def finish(self, out: Path) -> None:
        """Write the footer and move the complete output onto ``out``."""
        t0 = time.perf_counter()
        self._cat.close()
        self._footers.close()
        os.replace(self.partial, out)
        self.seconds += time.perf_counter() - t0

    def close(self) -> None:
        """Release the files (after an error the partial output stays for ``resume``).

        Runs while an error propagates: a failure to flush (a full disk) is not raised over
        it; ``resume`` verifies the partial output and its footers anyway.
        """
        if not self._cat.closed:
            with contextlib.suppress(OSError):
                self._cat.abort()
        with contextlib.suppress(OSError):
            self._footers.close()



def _is_parquet_file(path: Path) -> bool:
    try:
        return detect_format(path) == "parquet"
    except InputError:  # missing or of no known format
        return False
