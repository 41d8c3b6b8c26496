"""Columnar event files: Parquet (default) and ROOT ``TTree`` (uproot).

Events are a ``dict[str, numpy.ndarray]`` whose arrays share their first axis (one row per
event); an array may have fixed trailing dimensions, e.g. ``ecal`` with shape
``(n, 2, 6, 6)``.

* **Parquet**: a 1-D column is stored as is; a column with trailing dimensions is stored
  as a ``FixedSizeList`` of the flattened cells, and its trailing shape is kept in the
  field metadata (``na64.shape``, a JSON list).  :func:`read_events` restores the shape.
* **ROOT**: a ``TTree`` named ``events`` whose branches are fixed-size arrays
  (``ecal[2][6][6]/D``), readable by ROOT itself, uproot and coffea.

Both carry the provenance record (:mod:`na64.io.provenance`): the Parquet key-value
metadata ``na64.provenance``, or a ``TObjString`` named ``provenance`` in the ROOT file.

The checkpoint chunks of a run (:mod:`na64.run.production`) are Parquet files encoded by
the workers; the Parquet writer appends such a file by copying its row groups
(:mod:`na64.io.parquet_concat`), so the merge of a run costs a byte copy, not an encoding.
Arrow IPC files (:func:`write_arrow_chunk`, the chunk format of earlier na64 versions and a fast
scratch format) are read as well.

Writers stream: :func:`event_writer` accepts one batch at a time, so a file of 10^7
events is written with one chunk in memory.  The file appears only when the writer
closes without error (:func:`na64.io.atomic.atomic_path`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from .atomic import atomic_path
from .parquet_concat import ParquetConcatenator, read_footer
from .provenance import PROVENANCE_KEY

__all__ = [
    "DATASET_MANIFEST",
    "EventFormat",
    "EventSink",
    "column_layout",
    "concatenate_files",
    "dataset_files",
    "detect_format",
    "event_writer",
    "iter_events",
    "num_events",
    "read_events",
    "read_provenance",
    "validate_events",
    "write_arrow_chunk",
    "write_events",
]

EventFormat = Literal["parquet", "root", "dataset"]
FileFormat = Literal["parquet", "root", "arrow", "dataset"]
Events = dict[str, np.ndarray]

_SHAPE_KEY = b"na64.shape"
_TREE = "events"
_ROOT_PROVENANCE = "provenance"
_SUFFIXES: dict[str, EventFormat] = {".parquet": "parquet", ".pq": "parquet", ".root": "root"}
#: Name of the manifest in a finished Parquet dataset directory (the leading underscore makes
#: Arrow, Dask and Spark skip it when they read the directory).
DATASET_MANIFEST = "_manifest.json"


def validate_events(events: Mapping[str, np.ndarray]) -> int:
    """Check that ``events`` is a valid event batch and return its number of events.

    Raises
    ------
    ValueError
        No columns, a 0-d array, arrays of different lengths, a non-numeric dtype, or a
        zero-sized trailing dimension.
    """
    if not events:
        raise ValueError("an event batch needs at least one column")
    n: int | None = None
    for name, arr in events.items():
        a = np.asarray(arr)
        if a.ndim == 0:
            raise ValueError(f"column {name!r} is a scalar; expected one row per event")
        if a.dtype.kind not in "biuf":
            raise ValueError(f"column {name!r} has dtype {a.dtype}; expected bool, int or float")
        if any(d == 0 for d in a.shape[1:]):
            raise ValueError(f"column {name!r} has a zero-sized trailing dimension {a.shape}")
        if n is None:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise ValueError(f"column {name!r} has {a.shape[0]} rows, expected {n}")
    assert n is not None
    return int(n)


def column_layout(events: Mapping[str, np.ndarray]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Return ``{name: (dtype string, trailing shape)}`` of an event batch."""
    return {k: (np.asarray(v).dtype.str, tuple(np.shape(v)[1:])) for k, v in events.items()}


def format_for_path(path: str | os.PathLike[str], fmt: str | None = None) -> EventFormat:
    """Resolve the output format from ``fmt`` or the file suffix.

    Without ``fmt``: ``.parquet``/``.pq`` -> Parquet, ``.root`` -> ROOT, no suffix ->
    Parquet, any other suffix is an error.  ``fmt="dataset"``: a directory of Parquet files
    (one per chunk) with a manifest, for a path without a suffix.

    Raises
    ------
    InputError
        Unknown format or suffix, or a suffix that contradicts ``fmt``.
    """
    suffix = Path(path).suffix.lower()
    by_suffix = _SUFFIXES.get(suffix)
    if fmt is None:
        if suffix and by_suffix is None:
            raise InputError("--out", f"unknown file type {suffix!r} of {path}: use .parquet, "
                             ".pq or .root, or choose with --format parquet|root")
        return by_suffix or "parquet"
    if fmt not in ("parquet", "root", "dataset"):
        raise InputError("--format", f"must be 'parquet', 'root' or 'dataset', got {fmt!r}")
    if fmt == "dataset":
        if suffix:
            raise InputError("--out", f"a dataset is a directory: give a name without a "
                             f"suffix, not {Path(path).name!r}")
        return "dataset"
    if by_suffix is not None and by_suffix != fmt:
        raise InputError("--format", f"{fmt!r} contradicts the file suffix {suffix!r} of {path}")
    return fmt  # type: ignore[return-value]


def detect_format(path: str | os.PathLike[str]) -> FileFormat:
    """Return the format of an existing event file from its magic bytes.

    Returns ``"parquet"``, ``"root"``, ``"arrow"`` (Arrow IPC file: the chunk format of
    earlier na64 versions) or ``"dataset"`` (a directory written with ``--format dataset``).

    Raises
    ------
    InputError
        The file does not exist or is neither Parquet, ROOT nor Arrow IPC.
    """
    p = Path(path)
    if p.is_dir() and (p / DATASET_MANIFEST).is_file():
        return "dataset"
    if not p.is_file():
        raise InputError("FILE", f"{p} does not exist or is not a file")
    with open(p, "rb") as fh:
        head = fh.read(6)
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:4] == b"root":
        return "root"
    if head == b"ARROW1":
        return "arrow"
    raise InputError("FILE", f"{p} is neither a Parquet nor a ROOT file")


# --------------------------------------------------------------------------- arrow


def _to_arrow(name: str, arr: np.ndarray) -> tuple[pa.Array, pa.Field]:
    a = np.ascontiguousarray(arr)
    if a.ndim == 1:
        values: pa.Array = pa.array(a)
        return values, pa.field(name, values.type, nullable=False)
    inner = int(np.prod(a.shape[1:]))
    flat = pa.array(a.reshape(-1))
    values = pa.FixedSizeListArray.from_arrays(flat, inner)
    meta = {_SHAPE_KEY: json.dumps(list(a.shape[1:])).encode()}
    return values, pa.field(name, values.type, nullable=False, metadata=meta)


def _table(events: Mapping[str, np.ndarray]) -> pa.Table:
    arrays, fields = [], []
    for name, arr in events.items():
        values, field = _to_arrow(name, np.asarray(arr))
        arrays.append(values)
        fields.append(field)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _from_arrow(column: pa.Array | pa.ChunkedArray, field: pa.Field) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_fixed_size_list(field.type):
        raw = (field.metadata or {}).get(_SHAPE_KEY)
        shape = tuple(json.loads(raw)) if raw else (field.type.list_size,)
        flat = column.flatten().to_numpy(zero_copy_only=False)
        return flat.reshape((len(column), *shape))
    return column.to_numpy(zero_copy_only=False)


def _batch_to_events(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> Events:
    return {f.name: _from_arrow(batch.column(f.name), schema.field(f.name)) for f in schema}


def _read_ipc(path: str | os.PathLike[str]) -> pa.Table:
    with pa.memory_map(str(path)) as src:
        return pa.ipc.open_file(src).read_all()


def dataset_files(path: str | os.PathLike[str]) -> list[Path]:
    """The Parquet files of a dataset directory, in event order (from its manifest)."""
    p = Path(path)
    try:
        manifest = json.loads((p / DATASET_MANIFEST).read_text(encoding="utf-8"))
        files = [p / str(rec["file"]) for rec in manifest["chunks"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError("FILE", f"{p}: unreadable dataset manifest ({exc})") from None
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise InputError("FILE", f"{p}: dataset files missing: {', '.join(missing[:3])}")
    return files


def _read_table(path: str | os.PathLike[str]) -> pa.Table:
    """A Parquet or Arrow IPC event file as one Arrow table."""
    kind = detect_format(path)
    if kind == "parquet":
        return pq.read_table(path)
    if kind == "arrow":
        return _read_ipc(path)
    raise ValueError(f"{path} is a ROOT file, not an Arrow table")


def write_arrow_chunk(
    path: str | os.PathLike[str],
    events: Mapping[str, np.ndarray],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write one batch as an uncompressed Arrow IPC file, atomically (the chunk format of earlier na64 versions)."""
    validate_events(events)
    table = _table(events).replace_schema_metadata(
        {PROVENANCE_KEY: json.dumps(dict(metadata or {}))})
    with atomic_path(path) as tmp, pa.OSFile(str(tmp), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


# --------------------------------------------------------------------------- writers


#: Parquet encoding: LZ4 pages without dictionaries or statistics.  Cell energies are
#: continuous floats, for which a dictionary never pays; the merge of a production runs in
#: the main process, so encoding speed is throughput on a 2-core machine: this choice encodes
#: 100k NA64e events in 0.09 s instead of 0.24 s (zstd + dictionary) for a 1% larger file
#: (56 vs 56.4 MB; zstd without dictionary: 0.13 s, 52 MB).
_PARQUET_OPTIONS: dict[str, Any] = {"compression": "lz4", "use_dictionary": False,
                                    "write_statistics": False}


class EventSink(Protocol):
    """Something that accepts event batches one after the other."""

    def write(self, events: Mapping[str, np.ndarray]) -> None:
        """Append one batch of events."""

    def write_table(self, table: pa.Table) -> None:
        """Append one batch given as an Arrow table (the Parquet column layout)."""

    def append_file(self, path: str | os.PathLike[str]) -> int:
        """Append all events of a Parquet or Arrow IPC file; return their number."""

    def close(self) -> None:
        """Finish the file."""


class _AppendFile:
    _layout: dict[str, tuple[str, tuple[int, ...]]] | None = None

    def _check_layout(self, events: Mapping[str, np.ndarray]) -> bool:
        """Validate a batch against the first one; True if it is the first."""
        validate_events(events)
        layout = column_layout(events)
        if self._layout is None:
            self._layout = layout
            return True
        if layout != self._layout:
            raise ValueError(f"batch columns {layout} differ from the first batch {self._layout}")
        return False

    def write_table(self, table: pa.Table) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def append_file(self, path: str | os.PathLike[str]) -> int:
        """Append all events of a Parquet or Arrow IPC file; return their number."""
        table = _read_table(path)
        self.write_table(table)
        return int(table.num_rows)


class _ParquetSink(_AppendFile):
    """Parquet output as a concatenation of independently encoded row groups.

    Every batch is encoded into a standalone Parquet buffer and its row groups are appended
    by :class:`na64.io.parquet_concat.ParquetConcatenator`.  A Parquet file of this module's
    layout with the same provenance (a production chunk encoded by a worker) is appended
    by byte copy, without decoding: the encoding cost stays with whoever wrote the chunk.
    """

    def __init__(self, path: Path, provenance: Mapping[str, Any] | None) -> None:
        self._meta = {PROVENANCE_KEY: json.dumps(dict(provenance or {}))}
        self._cat = ParquetConcatenator(path)
        self._written = False

    def _encode(self, table: pa.Table) -> bytes:
        buf = pa.BufferOutputStream()
        pq.write_table(table.replace_schema_metadata(self._meta), buf, **_PARQUET_OPTIONS)
        return buf.getvalue().to_pybytes()

    def write(self, events: Mapping[str, np.ndarray]) -> None:
        self._check_layout(events)
        self._append_table(_table(events))

    def write_table(self, table: pa.Table) -> None:
        """Append an Arrow table written by this module (same columns and shapes)."""
        # rebuilt through numpy (zero-copy for the numeric columns): the canonical field
        # names make the encoded schema byte-identical to that of the other batches
        self._append_table(_table(_batch_to_events(table, table.schema)))

    def _append_table(self, table: pa.Table) -> None:
        # the concatenator refuses a batch whose encoded schema differs from the first one
        self._cat.append_bytes(self._encode(table))
        self._written = True

    def append_file(self, path: str | os.PathLike[str]) -> int:
        """Append a Parquet or Arrow IPC file; a compatible Parquet file is byte-copied."""
        if detect_format(path) == "parquet":
            footer = read_footer(path)
            same_prov = footer.key_value(PROVENANCE_KEY) == self._meta[PROVENANCE_KEY].encode()
            if same_prov and self._cat.accepts(footer):
                self._written = True
                return self._cat.append_record(path, footer).rows
        return super().append_file(path)

    def close(self) -> None:
        if not self._written:
            self._cat.abort()
            raise ValueError("no events were written")
        self._cat.close()


class _RootSink(_AppendFile):
    def __init__(self, path: Path, provenance: Mapping[str, Any] | None) -> None:
        import uproot

        self._file = uproot.recreate(path)
        self._file[_ROOT_PROVENANCE] = json.dumps(dict(provenance or {}))

    def write(self, events: Mapping[str, np.ndarray]) -> None:
        if self._check_layout(events):
            branches = {
                k: np.dtype((np.dtype(dt), shape)) if shape else np.dtype(dt)
                for k, (dt, shape) in column_layout(events).items()
            }
            self._file.mktree(_TREE, branches, title="na64 events")
        self._file[_TREE].extend({k: np.ascontiguousarray(v) for k, v in events.items()})

    def write_table(self, table: pa.Table) -> None:
        """Append an Arrow table of the layout of this module."""
        self.write(_batch_to_events(table, table.schema))

    def close(self) -> None:
        if self._layout is None:
            self._file.close()
            raise ValueError("no events were written")
        self._file.close()


@contextlib.contextmanager
def event_writer(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Iterator[EventSink]:
    """Open a streaming, atomic event-file writer.

    Parameters
    ----------
    path
        Output file.  It appears (by rename) only if the block exits without error.
    fmt
        ``"parquet"`` or ``"root"``; by default from the suffix (``.root`` -> ROOT,
        anything else -> Parquet).
    provenance
        JSON-serialisable record stored in the file (see :func:`make_provenance`).

    Examples
    --------
    >>> with event_writer("run.parquet", provenance=prov) as sink:  # doctest: +SKIP
    ...     for batch in batches:
    ...         sink.write(batch)
    """
    kind = format_for_path(path, fmt)
    if kind == "dataset":
        raise InputError("--format", "a dataset directory is written by a production "
                                     "(na64 simulate --format dataset), not by event_writer")
    with atomic_path(path) as tmp:
        sink: _ParquetSink | _RootSink
        sink = _ParquetSink(tmp, provenance) if kind == "parquet" else _RootSink(tmp, provenance)
        try:
            yield sink
        except BaseException:
            with contextlib.suppress(Exception):
                sink.close()
            raise
        sink.close()


def write_events(
    path: str | os.PathLike[str],
    events: Mapping[str, np.ndarray],
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write one batch of events to ``path`` atomically (see :func:`event_writer`)."""
    with event_writer(path, fmt, provenance) as sink:
        sink.write(events)


def concatenate_files(
    inputs: Sequence[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> int:
    """Concatenate event files, in order, into one file (atomic, one input in memory).

    Inputs are Parquet or Arrow IPC files.  For a Parquet output, a Parquet input written
    with the same provenance is appended by byte copy (:mod:`na64.io.parquet_concat`);
    other inputs are re-encoded.  All inputs must have the same columns, dtypes and shapes.

    Returns
    -------
    int
        Number of events written.
    """
    kind = format_for_path(path, fmt)
    total = 0
    with event_writer(path, kind, provenance) as sink:
        for src in inputs:
            total += sink.append_file(src)
    return total


# --------------------------------------------------------------------------- readers


def read_events(
    path: str | os.PathLike[str], columns: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Read an event file (Parquet or ROOT) into numpy arrays with their original shapes.

    Parameters
    ----------
    path
        A file written by :func:`event_writer` (format detected from its content).
    columns
        Subset of columns to read; all by default.

    Returns
    -------
    dict[str, numpy.ndarray]
        One array per column, first axis = events, trailing dimensions restored.
    """
    kind = detect_format(path)
    if kind == "dataset":
        parts = [read_events(f, columns) for f in dataset_files(path)]
        return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    if kind == "parquet":
        table = pq.read_table(path, columns=list(columns) if columns is not None else None)
        return _batch_to_events(table, table.schema)
    if kind == "arrow":
        table = _read_ipc(path)
        if columns is not None:
            table = table.select(list(columns))
        return _batch_to_events(table, table.schema)
    import uproot

    with uproot.open(path) as f:
        out = f[_TREE].arrays(list(columns) if columns is not None else None, library="np")
    return {k: np.asarray(v) for k, v in out.items()}


def iter_events(path: str | os.PathLike[str], step: int = 100_000) -> Iterator[Events]:
    """Iterate over an event file in batches of at most ``step`` events (bounded memory)."""
    kind = detect_format(path)
    if kind == "dataset":
        for f in dataset_files(path):
            yield from iter_events(f, step)
        return
    if kind == "parquet":
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        for batch in pf.iter_batches(batch_size=step):
            yield _batch_to_events(batch, schema)
        return
    if kind == "arrow":
        table = _read_ipc(path)
        for batch in table.to_batches(max_chunksize=step):
            yield _batch_to_events(batch, table.schema)
        return
    import uproot

    with uproot.open(path) as f:
        for arrays in f[_TREE].iterate(step_size=step, library="np"):
            yield {k: np.asarray(v) for k, v in arrays.items()}


def num_events(path: str | os.PathLike[str]) -> int:
    """Number of events in a file, read from its metadata only."""
    kind = detect_format(path)
    if kind == "dataset":
        return sum(num_events(f) for f in dataset_files(path))
    if kind == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    if kind == "arrow":
        return int(_read_ipc(path).num_rows)
    import uproot

    with uproot.open(path) as f:
        return int(f[_TREE].num_entries)


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record stored in an event file (empty if there is none)."""
    kind = detect_format(path)
    if kind == "dataset":
        return read_provenance(dataset_files(path)[0])
    if kind in ("parquet", "arrow"):
        schema = pq.ParquetFile(path).schema_arrow if kind == "parquet" else _read_ipc(path).schema
        raw = (schema.metadata or {}).get(PROVENANCE_KEY.encode())
        return dict(json.loads(raw)) if raw else {}
    import uproot

    with uproot.open(path) as f:
        if _ROOT_PROVENANCE not in f:
            return {}
        return dict(json.loads(str(f[_ROOT_PROVENANCE])))
