"""Concatenate Parquet files without decoding them: copy the row groups, rewrite the footer.

A Parquet file is ``PAR1 | row groups (column chunks, page indexes) | footer | footer
length (4 bytes, little-endian) | PAR1``; the footer (``FileMetaData``, Thrift compact
protocol) lists the row groups with the absolute byte offsets of their pages (Apache
Parquet format specification, ``parquet.thrift``).  Files with the same schema and
key-value metadata are therefore concatenated by copying each file's body verbatim and
writing one footer whose row groups are those of all inputs, with every offset shifted by
the position at which the body landed.  No page is decoded or recompressed, so the cost
is a byte copy (``os.copy_file_range`` where the OS has it).

This is how :mod:`na64.run.production` merges the chunks its workers encoded in parallel:
the Parquet encoding (~1 µs per NA64e event) runs in the workers, and the main process
only copies bytes, so the merge no longer limits the scaling with the number of workers.

The footer fields used (ids from ``parquet.thrift``): FileMetaData 1 version, 2 schema,
3 num_rows, 4 row_groups, 5 key_value_metadata, 7 column_orders, 8/9 encryption;
RowGroup 1 columns, 5 file_offset, 7 ordinal; ColumnChunk 1 file_path, 2 file_offset,
3 meta_data, 4 offset_index_offset, 6 column_index_offset, 8/9 encryption; ColumnMetaData
9 data_page_offset, 10 index_page_offset, 11 dictionary_page_offset, 14
bloom_filter_offset.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .thrift_compact import (
    I16,
    I64,
    STRUCT,
    TField,
    TList,
    TRaw,
    TStruct,
    decode_struct,
    encode_struct,
    encode_value,
)

__all__ = ["MAGIC", "AppendRecord", "ParquetConcatenator", "ParquetFooter", "body_end",
           "concatenate_parquet", "decode_footer", "read_footer"]

MAGIC = b"PAR1"

# field ids of parquet.thrift
_FMD_SCHEMA, _FMD_NUM_ROWS, _FMD_ROW_GROUPS, _FMD_KV = 2, 3, 4, 5
_FMD_ENCRYPTION = (8, 9)
_RG_COLUMNS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 5, 7
_CC_FILE_PATH, _CC_META = 1, 3
_CC_OFFSETS = (2, 4, 6)
_CC_ENCRYPTION = (8, 9)
_CMD_OFFSETS = (9, 10, 11, 14)
_MAX_ORDINAL = 2**15 - 1


@dataclass
class ParquetFooter:
    """The decoded footer of a Parquet file and where its body ends."""

    meta: TStruct
    body_end: int  # offset of the footer = end of the row-group data
    raw: bytes = b""  # the encoded footer as read

    @property
    def num_rows(self) -> int:
        """Total rows of the file."""
        f = self.meta.get(_FMD_NUM_ROWS)
        return int(f.value) if f is not None else 0

    def row_groups(self) -> list[TStruct]:
        """The ``RowGroup`` structs."""
        f = self.meta.get(_FMD_ROW_GROUPS)
        return list(f.value.values) if f is not None else []

    def key_value(self, key: str) -> bytes | None:
        """The value of ``key`` in the file's key-value metadata (None if absent)."""
        f = self.meta.get(_FMD_KV)
        for kv in f.value.values if f is not None else []:
            k, v = kv.get(1), kv.get(2)
            if k is not None and k.value == key.encode():
                return v.value if v is not None else b""
        return None

    def signature(self) -> bytes:
        """Encoded schema + key-value metadata + column orders: equal for concatenable files."""
        keep = [f for f in self.meta.fields if f.fid in (1, _FMD_SCHEMA, _FMD_KV, 7)]
        return encode_struct(TStruct(keep))


def body_end(fh: BinaryIO, size: int) -> int:
    """Offset where the footer of the Parquet file ``fh`` (of ``size`` bytes) starts.

    Raises
    ------
    ValueError
        No trailing magic, or a footer length that does not fit the file.
    """
    if size < 12:
        raise ValueError(f"not a Parquet file ({size} bytes)")
    fh.seek(size - 8)
    trailer = fh.read(8)
    if trailer[4:] != MAGIC:
        raise ValueError("not a Parquet file (no trailing PAR1)")
    (flen,) = struct.unpack("<I", trailer[:4])
    end = size - 8 - flen
    if end < 4:
        raise ValueError("corrupt Parquet footer length")
    return end


def _tail(fh: BinaryIO, size: int) -> ParquetFooter:
    body = body_end(fh, size)
    flen = size - 8 - body
    fh.seek(0)
    if fh.read(4) != MAGIC:
        raise ValueError("not a Parquet file (no leading PAR1)")
    fh.seek(body)
    raw = fh.read(flen)
    meta, end = decode_struct(raw)
    if end != flen:
        raise ValueError("corrupt Parquet footer")
    if any(meta.get(i) is not None for i in _FMD_ENCRYPTION):
        raise ValueError("encrypted Parquet files cannot be concatenated")
    return ParquetFooter(meta, body, raw)


def decode_footer(raw: bytes, body_end: int) -> ParquetFooter:
    """A footer from its encoded bytes (as stored by :class:`AppendRecord`)."""
    meta, end = decode_struct(raw)
    if end != len(raw):
        raise ValueError("corrupt Parquet footer")
    return ParquetFooter(meta, body_end, raw)


@dataclass(frozen=True)
class AppendRecord:
    """Where one input landed in the output: enough to rebuild the footer on resume."""

    rows: int
    body_offset: int  # position of the input's body in the output
    body_length: int
    footer: bytes  # the input's encoded footer


def read_footer(path: str | os.PathLike[str]) -> ParquetFooter:
    """Decode the footer of the Parquet file ``path``."""
    with open(path, "rb") as fh:
        return _tail(fh, os.fstat(fh.fileno()).st_size)


def _shift(value: int, delta: int) -> int:
    # 0 means "absent" for the deprecated/optional offsets: no real offset is below 4.
    return value + delta if value >= 4 else value


def _shifted_row_group(rg: TStruct, delta: int, ordinal: int) -> TStruct:
    fields: list[TField] = []
    for f in rg.fields:
        if f.fid == _RG_COLUMNS:
            cols = [_shifted_column(c, delta) for c in f.value.values]
            fields.append(TField(f.fid, f.ftype, TList(f.value.etype, cols, f.value.kind)))
        elif f.fid == _RG_FILE_OFFSET:
            fields.append(TField(f.fid, f.ftype, _shift(int(f.value), delta)))
        elif f.fid == _RG_ORDINAL:
            if ordinal <= _MAX_ORDINAL:  # an i16; only needed by encrypted files
                fields.append(TField(f.fid, I16, ordinal))
        else:
            fields.append(f)
    return TStruct(fields)


def _shifted_column(cc: TStruct, delta: int) -> TStruct:
    fields: list[TField] = []
    for f in cc.fields:
        if f.fid == _CC_FILE_PATH or f.fid in _CC_ENCRYPTION:
            raise ValueError("Parquet files with external or encrypted column chunks "
                             "cannot be concatenated")
        if f.fid in _CC_OFFSETS and f.ftype == I64:
            fields.append(TField(f.fid, f.ftype, _shift(int(f.value), delta)))
        elif f.fid == _CC_META:
            meta = [TField(g.fid, g.ftype, _shift(int(g.value), delta))
                    if g.fid in _CMD_OFFSETS and g.ftype == I64 else g
                    for g in f.value.fields]
            fields.append(TField(f.fid, f.ftype, TStruct(meta)))
        else:
            fields.append(f)
    return TStruct(fields)


def _copy_range(src: BinaryIO, dst: BinaryIO, start: int, length: int) -> None:
    """Copy ``length`` bytes of ``src`` from ``start`` to the current end of ``dst``.

    In the kernel (``os.copy_file_range``) where possible, else by blocks; a kernel copy that
    stops part-way (e.g. across file systems) is completed by blocks from where it stopped.
    """
    dst.flush()
    done = 0
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        try:
            in_fd, out_fd = src.fileno(), dst.fileno()
            while done < length:
                n = copy(in_fd, out_fd, length - done, start + done)
                if n <= 0:
                    break
                done += n
        except (OSError, AttributeError, ValueError):  # pragma: no cover - e.g. cross-FS
            pass
        dst.seek(0, os.SEEK_END)  # the kernel moved the descriptor's offset
    src.seek(start + done)
    left = length - done
    while left:
        block = src.read(min(left, 1 << 22))
        if not block:
            raise ValueError("Parquet file truncated while copying")
        dst.write(block)
        left -= len(block)


class ParquetConcatenator:
    """Write one Parquet file as the concatenation of Parquet inputs, streaming.

    Parameters
    ----------
    path
        Output file (truncated).  Use it inside :func:`na64.io.atomic.atomic_path`.
    restore
        Continue an interrupted concatenation into ``path``: the :class:`AppendRecord` of
        every input already copied, in order (the file is truncated after the last one).

    Examples
    --------
    >>> with ParquetConcatenator("all.parquet") as cat:  # doctest: +SKIP
    ...     for part in parts:
    ...         cat.append(part)
    """

    def __init__(self, path: str | os.PathLike[str],
                 restore: list[AppendRecord] | None = None) -> None:
        if restore:
            # continue an interrupted concatenation: keep the bodies already copied
            end = restore[-1].body_offset + restore[-1].body_length
            self._fh: BinaryIO = open(path, "r+b")  # noqa: SIM115 - closed in close()
            self._fh.truncate(end)
            self._fh.seek(end)
        else:
            self._fh = open(path, "wb")  # noqa: SIM115 - closed in close()
            self._fh.write(MAGIC)
        self._pos = len(MAGIC)
        self._first: ParquetFooter | None = None
        self._signature: bytes | None = None
        self._row_groups: list[TRaw] = []  # encoded: ~100 B per column chunk
        self._num_rows = 0
        self.closed = False
        for rec in restore or []:
            footer = decode_footer(rec.footer, len(MAGIC) + rec.body_length)
            self._add(footer, rec.body_offset, self._check(footer, "a restored input"))

    def accepts(self, footer: ParquetFooter) -> bool:
        """Whether a file with this footer can be appended (same schema and metadata)."""
        return self._signature is None or footer.signature() == self._signature

    def append(self, path: str | os.PathLike[str]) -> int:
        """Append all row groups of the Parquet file ``path``; return its number of rows.

        Raises
        ------
        ValueError
            Not a Parquet file, or a schema / key-value metadata different from the first
            input's.
        """
        return self.append_record(path).rows

    def append_record(self, path: str | os.PathLike[str],
                      footer: ParquetFooter | None = None) -> AppendRecord:
        """Like :meth:`append`; return where the input landed (for a resumable merge).

        ``footer``: the file's footer if the caller has already read it (:func:`read_footer`).
        """
        with open(path, "rb") as fh:
            if footer is None:
                footer = _tail(fh, os.fstat(fh.fileno()).st_size)
            sig = self._check(footer, path)
            at = self._pos
            _copy_range(fh, self._fh, len(MAGIC), footer.body_end - len(MAGIC))
        rows = self._add(footer, at, sig)
        return AppendRecord(rows, at, footer.body_end - len(MAGIC), footer.raw)

    def append_bytes(self, data: bytes) -> int:
        """Append a Parquet file held in memory; return its number of rows."""
        import io

        footer = _tail(io.BytesIO(data), len(data))
        sig = self._check(footer, "<buffer>")
        at = self._pos
        self._fh.write(memoryview(data)[len(MAGIC):footer.body_end])
        return self._add(footer, at, sig)

    def _check(self, footer: ParquetFooter, name: object) -> bytes:
        """Refuse an input before any of its bytes is written; return its signature."""
        if self.closed:
            raise ValueError("the concatenator is closed")
        sig = footer.signature()
        if self._signature is not None and sig != self._signature:
            raise ValueError(f"{name}: schema or metadata differs from the first input")
        return sig

    def _add(self, footer: ParquetFooter, at: int, signature: bytes) -> int:
        """Register the row groups of a body copied to position ``at`` of the output."""
        delta = at - len(MAGIC)
        for rg in footer.row_groups():
            shifted = _shifted_row_group(rg, delta, len(self._row_groups))
            self._row_groups.append(TRaw(encode_value(STRUCT, shifted)))
        if self._first is None:
            self._first, self._signature = footer, signature
        self._pos = at + footer.body_end - len(MAGIC)
        self._num_rows += footer.num_rows
        return footer.num_rows

    def close(self) -> None:
        """Write the footer and close the file."""
        if self.closed:
            return
        self.closed = True
        try:
            if self._first is None:
                raise ValueError("nothing was concatenated")
            fields = []
            for f in self._first.meta.fields:
                if f.fid == _FMD_NUM_ROWS:
                    fields.append(TField(f.fid, f.ftype, self._num_rows))
                elif f.fid == _FMD_ROW_GROUPS:
                    fields.append(TField(f.fid, f.ftype,
                                         TList(f.value.etype, self._row_groups, f.value.kind)))
                else:
                    fields.append(f)
            footer = encode_struct(TStruct(fields))
            self._fh.write(footer)
            self._fh.write(struct.pack("<I", len(footer)))
            self._fh.write(MAGIC)
        finally:
            self._fh.close()

    def abort(self) -> None:
        """Close without writing a footer (the caller discards the file)."""
        self.closed = True
        self._fh.close()

    def __enter__(self) -> ParquetConcatenator:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.abort()


def concatenate_parquet(inputs: list[str | os.PathLike[str]], path: str | Path) -> int:
    """Concatenate Parquet files into ``path`` (not atomic; see :class:`ParquetConcatenator`)."""
    total = 0
    with ParquetConcatenator(path) as cat:
        for p in inputs:
            total += cat.append(p)
    return total
