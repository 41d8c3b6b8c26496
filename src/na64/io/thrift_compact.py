"""A minimal, lossless codec for the Thrift compact protocol (the Parquet footer encoding).

Parquet stores its footer (``FileMetaData``) as a Thrift struct serialised with the
compact protocol.  :mod:`na64.io.parquet_concat` needs to read that footer, shift the byte
offsets it holds and write it back, without depending on Parquet's IDL: this module
decodes any compact-protocol struct into a generic tree and encodes it back.  Fields are
kept in their order with their wire types (a boolean field's type is stored as
``BOOL_TRUE``, its value as a Python bool), so ``encode_struct(decode_struct(b)) == b`` for
every footer written by Arrow (a test asserts this on real files).

Wire format (Apache Thrift, "Thrift Compact protocol encoding", doc/specs/
thrift-compact-protocol.md):

* field header: one byte ``(delta << 4) | type`` with ``delta`` = field-id increment
  1..15, or ``type`` followed by the zigzag-varint field id when the delta does not fit;
  a zero byte ends a struct;
* booleans live in the field type (1 = true, 2 = false); i16/i32/i64 are zigzag varints;
  doubles 8 bytes little-endian; binary/string a varint length and the bytes;
* list/set header: ``(size << 4) | element type`` with size < 15, else ``0xF0 | type``
  and a varint size; map header: varint size, then ``(key type << 4) | value type`` if
  the size is not zero.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TField", "TList", "TMap", "TRaw", "TStruct", "ThriftError", "decode_struct", "encode_struct", "encode_value"]

# compact-protocol type codes
BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(1, 13)
_INTS = (BYTE, I16, I32, I64)


class ThriftError(ValueError):
    """Malformed or unsupported compact-protocol data."""


@dataclass(frozen=True)
class TRaw:
    """An already encoded value, written verbatim by the encoder (e.g. a cached struct)."""

    data: bytes


@dataclass
class TList:
    """A list or set: its element type code and the element values."""

    etype: int
    values: list[Any]
    kind: int = LIST


@dataclass
class TMap:
    """A map: key and value type codes and the (key, value) pairs."""

    ktype: int
    vtype: int
    items: list[tuple[Any, Any]]


@dataclass
class TField:
    """One struct field: its id, compact type code and value."""

    fid: int
    ftype: int
    value: Any


@dataclass
class TStruct:
    """A struct as its ordered fields."""

    fields: list[TField] = field(default_factory=list)

    def get(self, fid: int) -> TField | None:
        """The field with id ``fid``, or None."""
        for f in self.fields:
            if f.fid == fid:
                return f
        return None


# --------------------------------------------------------------------------- decoding


class _Reader:
    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise ThriftError("unexpected end of data")
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise ThriftError("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def raw(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise ThriftError("length beyond the end of data")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def value(self, t: int) -> Any:
        if t in (BOOL_TRUE, BOOL_FALSE):  # a bool inside a collection: one byte
            return self.byte()
        if t == BYTE:
            b = self.byte()
            return b - 256 if b > 127 else b
        if t in (I16, I32, I64):
            return self.zigzag()
        if t == DOUBLE:
            return struct.unpack("<d", self.raw(8))[0]
        if t == BINARY:
            return self.raw(self.varint())
        if t in (LIST, SET):
            head = self.byte()
            size, etype = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return TList(etype, [self.value(etype) for _ in range(size)], t)
        if t == MAP:
            size = self.varint()
            if size == 0:
                return TMap(0, 0, [])
            kv = self.byte()
            kt, vt = kv >> 4, kv & 0x0F
            return TMap(kt, vt, [(self.value(kt), self.value(vt)) for _ in range(size)])
        if t == STRUCT:
            return self.struct()
        raise ThriftError(f"unknown compact type {t}")

    def struct(self) -> TStruct:
        out = TStruct()
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return out
            delta, t = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            if t in (BOOL_TRUE, BOOL_FALSE):  # the value is the type; kept as BOOL_TRUE
                out.fields.append(TField(fid, BOOL_TRUE, t == BOOL_TRUE))
            else:
                out.fields.append(TField(fid, t, self.value(t)))
            last = fid


def decode_struct(buf: bytes, pos: int = 0) -> tuple[TStruct, int]:
    """Decode one struct from ``buf`` at ``pos``; return it and the position after it."""
    r = _Reader(buf, pos)
    s = r.struct()
    return s, r.pos


# --------------------------------------------------------------------------- encoding


def _varint(n: int, out: bytearray) -> None:
    if n < 0:
        raise ThriftError("varint of a negative number")
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def _zigzag(n: int, out: bytearray) -> None:
    _varint((n << 1) ^ (n >> 63) if n < 0 else n << 1, out)


def _value(t: int, v: Any, out: bytearray) -> None:
    if isinstance(v, TRaw):
        out += v.data
    elif t in (BOOL_TRUE, BOOL_FALSE):
        out.append(int(v))
    elif t == BYTE:
        out.append(int(v) & 0xFF)
    elif t in (I16, I32, I64):
        _zigzag(int(v), out)
    elif t == DOUBLE:
        out += struct.pack("<d", v)
    elif t == BINARY:
        _varint(len(v), out)
        out += v
    elif t in (LIST, SET):
        n = len(v.values)
        out.append((n << 4) | v.etype if n < 15 else 0xF0 | v.etype)
        if n >= 15:
            _varint(n, out)
        for x in v.values:
            _value(v.etype, x, out)
    elif t == MAP:
        _varint(len(v.items), out)
        if v.items:
            out.append((v.ktype << 4) | v.vtype)
            for k, x in v.items:
                _value(v.ktype, k, out)
                _value(v.vtype, x, out)
    elif t == STRUCT:
        _struct(v, out)
    else:
        raise ThriftError(f"unknown compact type {t}")


def _struct(s: TStruct, out: bytearray) -> None:
    last = 0
    for f in s.fields:
        t = f.ftype
        if t in (BOOL_TRUE, BOOL_FALSE):
            t = BOOL_TRUE if f.value else BOOL_FALSE
        delta = f.fid - last
        if 0 < delta <= 15:
            out.append((delta << 4) | t)
        else:
            out.append(t)
            _zigzag(f.fid, out)
        if t not in (BOOL_TRUE, BOOL_FALSE):
            _value(t, f.value, out)
        last = f.fid
    out.append(0)


def encode_value(t: int, v: Any) -> bytes:
    """Encode one value of compact type ``t`` (a struct, list, ...)."""
    out = bytearray()
    _value(t, v, out)
    return bytes(out)


def encode_struct(s: TStruct) -> bytes:
    """Encode a struct (as decoded by :func:`decode_struct`) with the compact protocol."""
    out = bytearray()
    _struct(s, out)
    return bytes(out)
