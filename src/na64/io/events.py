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

Encoding (:func:`parquet_write_options`, the one place it is defined, for event files and
production chunks alike): by default the Parquet pages are zstd-compressed at level 1, the
float columns byte-stream-split, without dictionaries or statistics; the values are stored
bit for bit as they are handed over (float32 cells stay float32; ``na64 simulate`` first
rounds them to its storage precision, :mod:`na64.io.precision`, 264 MB per 10^6 events by
default).  On full-precision events of the default setup the encoding gives 470 MB
per 10^6 events, against 640 MB uncompressed, for the same production time within the
measurement noise of a few per cent (``benchmarks/bench_compression.py``).  Other encodings
are chosen by name (:data:`PARQUET_COMPRESSIONS`: ``zstd``, ``lz4``, ``snappy``, ``none``;
``na64 simulate --compression``) or as a :class:`ParquetEncoding`.  The readers take any
codec, and files of earlier versions (lz4 pages without checksums) and of other writers
stay readable.

Integrity: every Parquet page carries a CRC32 of its bytes, compressed or not, whatever the
encoding (the byte-level merge copies pages unchanged, so the checksums survive it).  The
readers verify them and check what they do not cover: the two copies of the schema a
Parquet file holds (the Parquet schema and the Arrow schema stored with it) must agree, as
must the shapes, the row counts and, in an na64 file, the encoding named by each page
header with the footer.  A damaged file is refused instead of read as wrong numbers: every
read function turns a missing, empty, truncated, foreign, corrupted or non-numeric file
into one :class:`~na64.errors.InputError` for ``FILE``.  ROOT and Arrow IPC files have no
page checksums: their damage is found where it breaks decoding (ROOT's compressed baskets
carry the checksum of their codec), not everywhere.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ._choice import resolve_choice
from .atomic import atomic_path
from .parquet_concat import MAGIC, ParquetConcatenator, read_footer
from .provenance import PROVENANCE_KEY
from .thrift_compact import ThriftError, TStruct, decode_struct

__all__ = [
    "DATASET_MANIFEST",
    "DEFAULT_COMPRESSION",
    "PARQUET_CODECS",
    "PARQUET_COMPRESSIONS",
    "Compression",
    "EventFormat",
    "EventSink",
    "ParquetEncoding",
    "column_layout",
    "concatenate_files",
    "dataset_files",
    "detect_format",
    "event_writer",
    "iter_events",
    "num_events",
    "parquet_encoding",
    "parquet_write_options",
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
    try:
        with open(p, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise InputError("FILE", f"{p}: unreadable ({exc.strerror or exc})") from None
    if not head:
        raise InputError("FILE", f"{p}: empty file, neither a Parquet nor a ROOT file")
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


def _field_shape(field: pa.Field) -> tuple[int, ...]:
    """Trailing shape of a column: ``()`` if 1-D, else from its ``na64.shape`` metadata.

    Raises
    ------
    ValueError
        The shape metadata is unreadable or does not fit the list size.
    """
    if not pa.types.is_fixed_size_list(field.type):
        return ()
    size = field.type.list_size
    raw = (field.metadata or {}).get(_SHAPE_KEY)
    if raw is None:
        return (size,)
    shape = json.loads(raw)
    if (not isinstance(shape, list) or not shape
            or not all(type(d) is int and d > 0 for d in shape) or int(np.prod(shape)) != size):
        raise ValueError(f"column {field.name!r}: shape {raw[:40]!r} does not fit its "
                         f"{size} cells")
    return tuple(shape)


def _from_arrow(column: pa.Array | pa.ChunkedArray, field: pa.Field) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    fixed = pa.types.is_fixed_size_list(field.type)
    if column.null_count or (fixed and column.flatten().null_count):
        raise _NotEventsError(f"column {field.name!r} has missing values")
    if fixed:
        flat = column.flatten().to_numpy(zero_copy_only=False)
        return flat.reshape((len(column), *_field_shape(field)))
    return column.to_numpy(zero_copy_only=False)


def _batch_to_events(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> Events:
    return {f.name: _from_arrow(batch.column(f.name), schema.field(f.name)) for f in schema}


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


# --------------------------------------------------------------------------- damage

_ARROW_SCHEMA_KEY = b"ARROW:schema"
_REASON_CHARS = 100


class _NotEventsError(Exception):
    """A readable file that does not hold na64 events (the message says why)."""


def _reason(exc: BaseException) -> str:
    """A short, one-line reason for a decoding error."""
    text = " ".join(str(exc).split())
    if "checksum" in text.lower() or "crc" in text.lower():
        return "page checksum mismatch"
    head, sep, tail = text.partition("': ")
    if sep and head.startswith("Could not open Parquet input source"):
        text = tail
    text = text or type(exc).__name__
    return text if len(text) <= _REASON_CHARS else text[:_REASON_CHARS - 3] + "..."


@contextlib.contextmanager
def _decoding(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn every error while decoding ``path`` into one :class:`InputError` for ``FILE``.

    :class:`_NotEventsError` (a readable file of something else) becomes ``<file>: not an
    na64 event file (<why>)``; any other error (a checksum mismatch, a decoder error of
    pyarrow or uproot, an inconsistent footer) becomes ``<file>: corrupted (<why>)``.
    """
    try:
        yield
    except InputError:
        raise
    except _NotEventsError as exc:
        raise InputError("FILE", f"{path}: not an na64 event file ({exc})") from None
    except Exception as exc:  # pyarrow, uproot, zlib, json, ...: all mean a damaged file
        raise InputError("FILE", f"{path}: corrupted ({_reason(exc)})") from exc


def _check_columns(schema: pa.Schema, ours: bool) -> None:
    """Refuse a schema that is not numeric columns, each 1-D or a fixed-size list.

    ``ours``: the file was written by na64 (it has a provenance record), so a column na64
    cannot have written means damage, not a foreign file.
    """
    error: type[Exception] = ValueError if ours else _NotEventsError
    if not schema.names:
        raise error("no columns")
    if len(set(schema.names)) != len(schema.names):
        raise error("duplicate column names")
    for field in schema:
        fixed = pa.types.is_fixed_size_list(field.type)
        value = field.type.value_type if fixed else field.type
        if not (pa.types.is_boolean(value) or pa.types.is_integer(value)
                or pa.types.is_floating(value)):
            raise error(f"column {field.name!r} is {field.type}, not numeric")
        if ours and fixed and _SHAPE_KEY not in (field.metadata or {}):
            raise ValueError(f"column {field.name!r} has lost its shape")
        _field_shape(field)


@functools.lru_cache(maxsize=32)
def _parquet_columns(schema: pa.Schema) -> tuple[tuple[str, str, str, int], ...]:
    """(path, physical type, logical type, repetition level) of the Parquet leaf columns
    that store a table of ``schema`` (from the encoding of an empty table)."""
    buf = pa.BufferOutputStream()
    pq.write_table(schema.empty_table(), buf, store_schema=False)
    leaves = pq.ParquetFile(pa.BufferReader(buf.getvalue())).schema
    return tuple((c.path, c.physical_type, str(c.logical_type), c.max_repetition_level)
                 for c in leaves)


def _check_parquet_tail(path: str | os.PathLike[str]) -> None:
    """A Parquet file ends with ``footer | footer length | PAR1``: refuse a cut-off file."""
    size = os.path.getsize(path)
    trailer = b""
    if size >= 12:
        with open(path, "rb") as fh:
            fh.seek(size - 8)
            trailer = fh.read(8)
    if trailer[4:] != MAGIC:
        raise ValueError("truncated or incomplete: no Parquet footer")
    if int.from_bytes(trailer[:4], "little") > size - 12:
        raise ValueError("truncated: the footer is longer than the file")


def _check_parquet(pf: pq.ParquetFile) -> None:
    """Cross-check what the footer of a Parquet event file says about its columns.

    Page checksums do not cover the footer.  A Parquet file written by Arrow holds its
    schema twice (the Parquet schema and the Arrow schema, ``ARROW:schema``): they must name
    the same columns and, for an na64 file, describe the same Parquet columns and carry the
    same provenance; the row groups must hold the footer's number of rows.
    """
    md = pf.metadata
    kv = md.metadata or {}
    schema = pf.schema_arrow
    ours = PROVENANCE_KEY.encode() in kv
    raw = kv.get(_ARROW_SCHEMA_KEY)
    if raw is not None:
        stored = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(raw, validate=True)))
        if stored.names != schema.names:
            raise ValueError("the Parquet and the Arrow schema name different columns")
        if ours:
            if (stored.metadata or {}).get(PROVENANCE_KEY.encode()) != kv[PROVENANCE_KEY.encode()]:
                raise ValueError("the two copies of the provenance differ")
            leaves = tuple((c.physical_type, str(c.logical_type), c.max_repetition_level)
                           for c in pf.schema)
            if leaves != tuple(c[1:] for c in _parquet_columns(stored)):
                raise ValueError("the Parquet and the Arrow schema differ")
    elif ours:
        raise ValueError("the Arrow schema is missing")
    _check_columns(schema, ours)
    # (the column chunks' own counts are left to the reader: pyarrow 26 aborts the process
    # on a corrupt column-chunk record read through FileMetaData.row_group(i).column(j))
    rows = sum(md.row_group(i).num_rows for i in range(md.num_row_groups))
    if rows != md.num_rows:
        raise ValueError(f"the row groups hold {rows} rows, the footer says {md.num_rows}")


#: Parquet ``Encoding`` enum values (parquet.thrift) by the names pyarrow lists them under.
_ENCODINGS = {0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED",
              5: "DELTA_BINARY_PACKED", 6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY",
              8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT"}
#: PageHeader field -> its encoding fields: data page (values, definition and repetition
#: levels), dictionary page, data page v2.
_PAGE_ENCODING_FIELDS = {5: (2, 3, 4), 7: (2,), 8: (4,)}
_PAGE_COMPRESSED_SIZE = 3
_PAGE_HEADER_BYTES = 1024
_PAGE_HEADER_MAX_BYTES = 1 << 20


def _page_header(fh: BinaryIO, pos: int) -> tuple[TStruct, int]:
    """The page header at ``pos`` and its encoded length."""
    fh.seek(pos)
    head = fh.read(_PAGE_HEADER_BYTES)
    try:
        return decode_struct(head)
    except ThriftError:
        if len(head) < _PAGE_HEADER_BYTES:
            raise
    fh.seek(pos)  # a long header (page statistics of a foreign writer)
    return decode_struct(fh.read(_PAGE_HEADER_MAX_BYTES))


def _check_pages(fh: BinaryIO, rg: Any, columns: Iterable[int]) -> None:
    """Check the page headers of column chunks of a row group against the footer.

    Page checksums cover the page data, not the headers: one flipped ``encoding`` (a
    byte-stream-split float page read as plain) would decode to wrong values, so every
    page must use an encoding the footer lists for its column chunk, and the pages must
    tile the column chunk.
    """
    for j in columns:
        chunk = rg.column(j)
        allowed = set(chunk.encodings)
        pos = int(chunk.dictionary_page_offset if chunk.has_dictionary_page
                  else chunk.data_page_offset)
        end = pos + int(chunk.total_compressed_size)
        while pos < end:
            header, length = _page_header(fh, pos)
            for fid, fields in _PAGE_ENCODING_FIELDS.items():
                sub = header.get(fid)
                if sub is None:
                    continue
                for e in fields:
                    enc = sub.value.get(e)
                    if enc is not None and _ENCODINGS.get(enc.value) not in allowed:
                        raise ValueError(
                            f"column {chunk.path_in_schema!r}: a page names encoding "
                            f"{_ENCODINGS.get(enc.value, enc.value)}, the footer "
                            f"{'/'.join(sorted(allowed))}")
            size = header.get(_PAGE_COMPRESSED_SIZE)
            if size is None or int(size.value) < 0:
                raise ValueError(f"column {chunk.path_in_schema!r}: bad page header")
            pos += length + int(size.value)
        if pos != end:
            raise ValueError(f"column {chunk.path_in_schema!r}: its pages do not fill its "
                             "column chunk")


def _verify_pages(pf: pq.ParquetFile, path: str | os.PathLike[str], columns: Sequence[int],
                  groups: Iterable[int] | None = None) -> None:
    """:func:`_check_pages` for row groups (all by default) of an na64 Parquet file.

    Call it only after pyarrow has read these row groups: pyarrow 26 aborts the process on
    some corrupt column-chunk records when they are read through ``RowGroupMetaData.column``
    before its reader has validated them.  Foreign files are left to pyarrow's checks (their
    writers may list encodings differently).
    """
    md = pf.metadata
    if PROVENANCE_KEY.encode() not in (md.metadata or {}):
        return
    with open(path, "rb") as fh:
        for i in range(md.num_row_groups) if groups is None else groups:
            _check_pages(fh, md.row_group(i), columns)


def _open_parquet(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """Open a Parquet event file whose footer passed :func:`_check_parquet`; reads from it
    verify the page checksums (pages written without one are read as they are)."""
    with _decoding(path):
        _check_parquet_tail(path)
        pf = pq.ParquetFile(str(path), page_checksum_verification=True)
        try:
            _check_parquet(pf)
        except BaseException:
            pf.close()
            raise
        return pf


def _read_ipc(path: str | os.PathLike[str]) -> pa.Table:
    with _decoding(path):
        with pa.memory_map(str(path)) as src:
            table = pa.ipc.open_file(src).read_all()
        _check_columns(table.schema, PROVENANCE_KEY.encode() in (table.schema.metadata or {}))
        return table


def _check_root_header(path: str | os.PathLike[str]) -> None:
    """Refuse a ROOT file shorter than the end recorded in its header (``fEND``)."""
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(20)
    big = len(head) >= 8 and int.from_bytes(head[4:8], "big") >= 1_000_000  # 64-bit offsets
    if len(head) < (20 if big else 16):
        raise ValueError("truncated: no complete ROOT header")
    end = int.from_bytes(head[12:20] if big else head[12:16], "big")
    if size < end:
        raise ValueError(f"truncated: {size} of {end} bytes" if end < 1 << 48
                         else "invalid ROOT header")


def _root_tree(f: Any) -> Any:
    """The ``events`` TTree of an open ROOT file, once every branch is a numeric array."""
    import uproot

    if _TREE not in f:
        raise _NotEventsError(f"no TTree {_TREE!r}")
    tree = f[_TREE]
    if not isinstance(tree, uproot.TTree):
        kind = getattr(tree, "classname", type(tree).__name__)
        raise _NotEventsError(f"{_TREE!r} is a {kind}, not a TTree")
    names = tree.keys(recursive=False)
    if not names:
        raise _NotEventsError("no branches")
    for name in names:
        interp = tree[name].interpretation
        if not isinstance(interp, uproot.AsDtype) or interp.to_dtype.base.kind not in "biuf":
            raise _NotEventsError(f"branch {name!r} is {tree[name].typename}, not a fixed-shape "
                                  "numeric branch")
        if tree[name].num_entries != tree.num_entries:
            raise ValueError(f"the tree counts {tree.num_entries} entries, its branch "
                             f"{name!r} {tree[name].num_entries}")
    return tree


def _root_events(arrays: Mapping[str, Any], n: int) -> Events:
    out = {k: np.asarray(v) for k, v in arrays.items()}
    for k, v in out.items():
        if v.dtype.kind not in "biuf" or v.shape[:1] != (n,):
            raise ValueError(f"branch {k!r} decoded as {v.dtype} {v.shape}")
    return out


def _selected(names: list[str], columns: Sequence[str] | None,
              path: str | os.PathLike[str]) -> list[str]:
    """The requested columns (all by default), each checked to exist in the file."""
    if columns is None:
        return names
    wanted = list(columns)
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InputError("columns", f"{path} has no column {', '.join(map(repr, missing))} "
                                    f"(it has {', '.join(names)})")
    return wanted


def _read_table(path: str | os.PathLike[str]) -> pa.Table:
    """A Parquet or Arrow IPC event file as one Arrow table (checksums verified)."""
    kind = detect_format(path)
    if kind == "parquet":
        with _open_parquet(path) as pf, _decoding(path):
            table = pf.read()
            _verify_pages(pf, path, range(table.num_columns))
            return table
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


#: Page codecs a Parquet event file can be written with (:class:`ParquetEncoding`), and
#: those of them that take a compression level.
PARQUET_CODECS = ("zstd", "lz4", "snappy", "gzip", "brotli", "none")
_LEVELLED_CODECS = ("zstd", "gzip", "brotli")


@dataclass(frozen=True)
class ParquetEncoding:
    """How the pages of a Parquet event file are encoded.

    Whatever the encoding, the values it is given are stored bit for bit (the storage
    precision is chosen before, :mod:`na64.io.precision`; floats keep their type, NaN
    payloads and signed zeros), every page carries a CRC32 checksum of its bytes, and no
    column statistics are written.  :data:`PARQUET_COMPRESSIONS` names the encodings
    offered by ``na64 simulate --compression``.

    Parameters
    ----------
    codec
        Page codec, one of :data:`PARQUET_CODECS` (``"none"``: uncompressed pages).
    level
        Compression level of ``zstd``, ``gzip`` or ``brotli``; ``None``: the codec's default.
    byte_stream_split
        Store the float columns byte-stream-split: the k-th bytes of the values of a page
        are stored together, so the codec finds the repetitive sign and exponent bytes of
        the cells next to each other instead of between their random mantissa bytes.
    dictionary
        Dictionary-encode the columns (it takes precedence over byte-stream-split).

    Raises
    ------
    ValueError
        An unknown codec, or a level that is not an integer or for a codec without levels.
    """

    codec: str = "zstd"
    level: int | None = 1
    byte_stream_split: bool = True
    dictionary: bool = False

    def __post_init__(self) -> None:
        if self.codec not in PARQUET_CODECS:
            raise ValueError(f"unknown Parquet codec {self.codec!r}; use one of "
                             f"{', '.join(PARQUET_CODECS)}")
        if self.level is not None and (type(self.level) is not int
                                       or self.codec not in _LEVELLED_CODECS):
            raise ValueError(f"codec {self.codec!r} takes no level {self.level!r}"
                             if self.codec not in _LEVELLED_CODECS
                             else f"the level must be an integer, got {self.level!r}")
        if type(self.byte_stream_split) is not bool or type(self.dictionary) is not bool:
            raise ValueError("byte_stream_split and dictionary must be True or False")

    def describe(self) -> str | dict[str, Any]:
        """The name of this encoding in :data:`PARQUET_COMPRESSIONS`, else its fields."""
        for name, encoding in PARQUET_COMPRESSIONS.items():
            if encoding == self:
                return name
        return dataclasses.asdict(self)


#: The encodings offered by name (``na64 simulate --compression NAME``).  Measured on the
#: events of the default setup (``benchmarks/bench_compression.py``, numbers in
#: ``benchmarks/README.md``): the cells are float32 whose mantissas are simulated noise and
#: do not compress; byte-stream-split lets the codec compress their sign and exponent
#: bytes.  ``zstd`` (level 1) gives 470 MB per 10^6 events instead of 640 MB uncompressed,
#: for the same production time within a few per cent; zstd level 9 gains 0.3 % for 30 %
#: more production time; ``lz4`` and ``snappy`` give 507-510 MB.  Dictionaries make these
#: files larger (617-667 MB) and the production 17-26 % slower than uncompressed pages, so
#: no preset uses them.
PARQUET_COMPRESSIONS: Mapping[str, ParquetEncoding] = MappingProxyType({
    "zstd": ParquetEncoding("zstd", 1, byte_stream_split=True),
    "lz4": ParquetEncoding("lz4", None, byte_stream_split=True),
    "snappy": ParquetEncoding("snappy", None, byte_stream_split=True),
    "none": ParquetEncoding("none", None, byte_stream_split=False),
})
#: The encoding of event files and production chunks unless told otherwise.
DEFAULT_COMPRESSION = "zstd"

#: A named encoding (a key of :data:`PARQUET_COMPRESSIONS`) or an explicit one.
Compression = str | ParquetEncoding


def parquet_encoding(compression: Compression | Mapping[str, Any]) -> ParquetEncoding:
    """Resolve a compression choice: a name of :data:`PARQUET_COMPRESSIONS`, an encoding,
    or the fields of one (as :meth:`ParquetEncoding.describe` returns them).

    Raises
    ------
    InputError
        ``--compression``: an unknown name or invalid fields.
    """
    return resolve_choice(compression, ParquetEncoding, PARQUET_COMPRESSIONS, "--compression",
                          "Parquet encoding")


def parquet_write_options(schema: pa.Schema,
                          compression: Compression = DEFAULT_COMPRESSION) -> dict[str, Any]:
    """Keyword arguments of :func:`pyarrow.parquet.write_table` for event batches of ``schema``.

    The one place where the Parquet encoding of na64 is defined: :func:`event_writer` and
    the production chunks a worker encodes (:func:`write_events`) both use it, so the
    chunks of a run, all encoded with the run's choice, are concatenated byte-wise into a
    file encoded alike.  By default (:data:`DEFAULT_COMPRESSION`) pages are zstd-compressed
    at level 1 and float columns byte-stream-split; there are never statistics, and every
    page carries a CRC32 checksum that the readers of this module verify.

    Parameters
    ----------
    schema
        Arrow schema of the batches (the byte-stream-split columns are its float leaves).
    compression
        A name of :data:`PARQUET_COMPRESSIONS` or a :class:`ParquetEncoding`.

    Returns
    -------
    dict[str, Any]
        ``compression``, ``compression_level`` (for a codec with a level set),
        ``use_dictionary``, ``use_byte_stream_split`` (the Parquet paths of the float
        columns, or False), ``write_statistics`` and ``write_page_checksum``.

    Raises
    ------
    InputError
        ``--compression``: an unknown name.
    """
    encoding = parquet_encoding(compression)
    floats = [path for path, physical, _, _ in _parquet_columns(schema)
              if physical in ("FLOAT", "DOUBLE")] if encoding.byte_stream_split else []
    options: dict[str, Any] = {
        "compression": encoding.codec, "use_dictionary": encoding.dictionary,
        "use_byte_stream_split": floats or False, "write_statistics": False,
        "write_page_checksum": True}
    if encoding.level is not None:
        options["compression_level"] = encoding.level
    return options


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

    Every batch is encoded into a standalone Parquet buffer (:func:`parquet_write_options`
    with the sink's compression) and its row groups are appended by
    :class:`na64.io.parquet_concat.ParquetConcatenator`.  A Parquet file of this module's
    layout with the same provenance (a production chunk encoded by a worker) is appended
    by byte copy, without decoding: the encoding cost stays with whoever wrote the chunk,
    and its pages keep the codec they were written with (Parquet records the codec per
    column chunk, so a file may mix codecs and stays readable).
    """

    def __init__(self, path: Path, provenance: Mapping[str, Any] | None,
                 compression: Compression = DEFAULT_COMPRESSION) -> None:
        self._meta = {PROVENANCE_KEY: json.dumps(dict(provenance or {}))}
        self._encoding = parquet_encoding(compression)
        self._cat = ParquetConcatenator(path)
        self._written = False

    def _encode(self, table: pa.Table) -> bytes:
        buf = pa.BufferOutputStream()
        pq.write_table(table.replace_schema_metadata(self._meta), buf,
                       **parquet_write_options(table.schema, self._encoding))
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
    compression: Compression = DEFAULT_COMPRESSION,
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
    compression
        Encoding of the Parquet pages written (:func:`parquet_write_options`): a name of
        :data:`PARQUET_COMPRESSIONS` or a :class:`ParquetEncoding`.  Not used for ROOT
        (uproot compresses its baskets itself).

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
    encoding = parquet_encoding(compression)
    with atomic_path(path) as tmp:
        sink: _ParquetSink | _RootSink
        sink = (_ParquetSink(tmp, provenance, encoding) if kind == "parquet"
                else _RootSink(tmp, provenance))
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
    compression: Compression = DEFAULT_COMPRESSION,
) -> None:
    """Write one batch of events to ``path`` atomically (see :func:`event_writer`)."""
    with event_writer(path, fmt, provenance, compression) as sink:
        sink.write(events)


def concatenate_files(
    inputs: Sequence[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    fmt: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    compression: Compression = DEFAULT_COMPRESSION,
) -> int:
    """Concatenate event files, in order, into one file (atomic, one input in memory).

    Inputs are Parquet or Arrow IPC files.  For a Parquet output, a Parquet input written
    with the same provenance is appended by byte copy (:mod:`na64.io.parquet_concat`),
    its pages as they are; other inputs are re-encoded with ``compression`` (see
    :func:`event_writer`).  All inputs must have the same columns, dtypes and shapes.

    Returns
    -------
    int
        Number of events written.
    """
    kind = format_for_path(path, fmt)
    total = 0
    with event_writer(path, kind, provenance, compression) as sink:
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

    Raises
    ------
    InputError
        ``FILE``: the file is missing, empty, truncated, corrupted (a Parquet page checksum
        mismatch, any decoding error, an inconsistent footer), or not a file of numeric
        event columns.  ``columns``: a requested column is not in the file.
    """
    kind = detect_format(path)
    if kind == "dataset":
        parts = [read_events(f, columns) for f in dataset_files(path)]
        return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    if kind == "parquet":
        with _open_parquet(path) as pf, _decoding(path):
            schema = pf.schema_arrow
            names = _selected(schema.names, columns, path)
            table = pf.read(columns=names)
            if table.num_rows != pf.metadata.num_rows:
                raise ValueError(f"read {table.num_rows} of {pf.metadata.num_rows} rows")
            _verify_pages(pf, path, [schema.get_field_index(k) for k in names])
            return _batch_to_events(table, pa.schema([schema.field(k) for k in names]))
    if kind == "arrow":
        table = _read_ipc(path)
        with _decoding(path):
            table = table.select(_selected(table.schema.names, columns, path))
            return _batch_to_events(table, table.schema)
    import uproot

    with _decoding(path):
        _check_root_header(path)
        with uproot.open(path) as f:
            tree = _root_tree(f)
            names = _selected(tree.keys(recursive=False), columns, path)
            return _root_events(tree.arrays(names, library="np"), tree.num_entries)


def iter_events(path: str | os.PathLike[str], step: int = 100_000) -> Iterator[Events]:
    """Iterate over an event file in batches of at most ``step`` events (bounded memory).

    Raises
    ------
    InputError
        As :func:`read_events`; a corrupted page is found when its batch is read.
    """
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    kind = detect_format(path)
    if kind == "dataset":
        for f in dataset_files(path):
            yield from iter_events(f, step)
        return
    if kind == "parquet":
        with _open_parquet(path) as pf, _decoding(path):
            schema = pf.schema_arrow
            done = 0
            for group in range(pf.metadata.num_row_groups):
                for k, batch in enumerate(pf.iter_batches(batch_size=step, row_groups=[group])):
                    if k == 0:  # (pyarrow has opened the group's column chunks)
                        _verify_pages(pf, path, range(len(schema)), [group])
                    done += batch.num_rows
                    yield _batch_to_events(batch, schema)
            if done != pf.metadata.num_rows:
                raise ValueError(f"read {done} of {pf.metadata.num_rows} rows")
        return
    if kind == "arrow":
        table = _read_ipc(path)
        with _decoding(path):
            for batch in table.to_batches(max_chunksize=step):
                yield _batch_to_events(batch, table.schema)
        return
    import uproot

    with _decoding(path):
        _check_root_header(path)
        with uproot.open(path) as f:
            tree = _root_tree(f)
            done = 0
            for arrays in tree.iterate(step_size=step, library="np"):
                n = len(next(iter(arrays.values())))
                if not 0 < n <= step:
                    raise ValueError(f"a batch of {n} entries")
                yield _root_events(arrays, n)
                done += n
            if done != tree.num_entries:
                raise ValueError(f"read {done} of {tree.num_entries} entries")


def num_events(path: str | os.PathLike[str]) -> int:
    """Number of events in a file, read from its metadata only.

    Raises
    ------
    InputError
        ``FILE``: as :func:`read_events`, for what the metadata shows (page checksums are
        verified only when the pages are read).
    """
    kind = detect_format(path)
    if kind == "dataset":
        return sum(num_events(f) for f in dataset_files(path))
    if kind == "parquet":
        with _open_parquet(path) as pf:
            return int(pf.metadata.num_rows)
    if kind == "arrow":
        return int(_read_ipc(path).num_rows)
    import uproot

    with _decoding(path):
        _check_root_header(path)
        with uproot.open(path) as f:
            return int(_root_tree(f).num_entries)


def _provenance_record(raw: bytes | str | None) -> dict[str, Any]:
    if not raw:
        return {}
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise ValueError("the provenance record is not a JSON object")
    return record


def read_provenance(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the provenance record stored in an event file (empty if there is none).

    Raises
    ------
    InputError
        ``FILE``: as :func:`num_events`, or an unreadable provenance record.
    """
    kind = detect_format(path)
    if kind == "dataset":
        return read_provenance(dataset_files(path)[0])
    if kind == "parquet":
        with _open_parquet(path) as pf, _decoding(path):
            return _provenance_record((pf.schema_arrow.metadata or {}).get(PROVENANCE_KEY.encode()))
    if kind == "arrow":
        schema = _read_ipc(path).schema
        with _decoding(path):
            return _provenance_record((schema.metadata or {}).get(PROVENANCE_KEY.encode()))
    import uproot

    with _decoding(path):
        _check_root_header(path)
        with uproot.open(path) as f:
            _root_tree(f)
            if _ROOT_PROVENANCE not in f:
                return {}
            return _provenance_record(str(f[_ROOT_PROVENANCE]))
