"""Byte-level Parquet concatenation (na64.io.parquet_concat) and its Thrift codec.

The reference is pyarrow itself: a concatenated file must read back, with pyarrow's own
reader, as the row-wise concatenation of the inputs, including files with dictionary
pages, statistics and page indexes (every kind of offset the footer holds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.io.events import (
    event_writer,
    read_events,
    read_provenance,
    write_arrow_chunk,
    write_events,
)
from na64.io.parquet_concat import ParquetConcatenator, concatenate_parquet, read_footer
from na64.io.thrift_compact import (
    BINARY,
    BOOL_TRUE,
    DOUBLE,
    I16,
    I32,
    I64,
    LIST,
    MAP,
    STRUCT,
    TField,
    ThriftError,
    TList,
    TMap,
    TStruct,
    decode_struct,
    encode_struct,
)


def _footer_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    n = int.from_bytes(data[-8:-4], "little")
    return data[-8 - n:-8]


def _table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({
        "e": rng.normal(size=n),
        "cat": pa.array(rng.choice(["a", "bb", "ccc"], size=n)),  # dictionary-encodable
        "k": rng.integers(-5, 5, size=n).astype(np.int32),
        "cells": pa.FixedSizeListArray.from_arrays(rng.random(4 * n).astype(np.float32), 4),
        "ok": rng.random(n) < 0.3,
    })


WRITER_OPTIONS = [
    {},  # pyarrow defaults: dictionary pages, statistics, snappy
    {"write_page_index": True, "compression": "zstd"},
    {"use_dictionary": False, "write_statistics": False, "compression": "lz4"},
]


@pytest.mark.parametrize("options", WRITER_OPTIONS)
def test_footer_round_trips_byte_for_byte(tmp_path: Path, options: dict) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(_table(500, 1), path, row_group_size=200, **options)
    raw = _footer_bytes(path)
    meta, end = decode_struct(raw)
    assert end == len(raw)
    assert encode_struct(meta) == raw


@pytest.mark.parametrize("options", WRITER_OPTIONS)
def test_concatenation_reads_back_as_the_inputs(tmp_path: Path, options: dict) -> None:
    tables = [_table(n, seed) for seed, n in enumerate([300, 1, 1234])]
    paths = []
    for i, t in enumerate(tables):
        paths.append(tmp_path / f"p{i}.parquet")
        pq.write_table(t, paths[-1], row_group_size=500, **options)
    out = tmp_path / "all.parquet"
    assert concatenate_parquet(paths, out) == 1535
    expected = pa.concat_tables(tables)
    got = pq.read_table(out)
    assert got.equals(expected)
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == 1535
    assert meta.num_row_groups == sum(pq.ParquetFile(p).metadata.num_row_groups for p in paths)
    # every row group is addressable on its own (offsets shifted correctly)
    pf = pq.ParquetFile(out)
    rows = [pf.read_row_group(i).num_rows for i in range(pf.num_row_groups)]
    assert sum(rows) == 1535
    assert pf.read_row_group(pf.num_row_groups - 1).equals(
        pq.ParquetFile(paths[-1]).read_row_group(pq.ParquetFile(paths[-1]).num_row_groups - 1))
    if options.get("write_page_index"):
        # the page indexes (offset and column index) of the last input are found again
        filt = pq.read_table(out, filters=[("k", "==", 3)])
        assert filt.num_rows == int(np.sum(expected.column("k").to_numpy() == 3))


def test_different_schema_or_metadata_is_refused(tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{x}.parquet" for x in "abc")
    pq.write_table(_table(10, 1), a)
    pq.write_table(_table(10, 2).drop_columns(["ok"]), b)
    pq.write_table(_table(10, 3).replace_schema_metadata({"x": "1"}), c)
    for other in (b, c):
        with pytest.raises(ValueError, match="differs"):
            concatenate_parquet([a, other], tmp_path / "out.parquet")


def test_not_parquet_or_truncated_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "g.parquet"
    pq.write_table(_table(50, 1), good)
    data = good.read_bytes()
    for name, content in [("short", b"PAR1"), ("text", b"hello world, not parquet"),
                          ("cut", data[: len(data) // 2]), ("badlen", data[:-8] + b"\xff\xff\xff\x7fPAR1")]:
        p = tmp_path / name
        p.write_bytes(content)
        with pytest.raises(ValueError, match=r"Parquet|footer|end of data"):
            read_footer(p)
    with pytest.raises(ValueError, match="nothing"), ParquetConcatenator(tmp_path / "e.parquet"):
        pass  # nothing appended: closing must refuse to write a footer without row groups


def test_event_writer_byte_copies_compatible_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk with the writer's provenance is copied; others are re-encoded; same result."""
    rng = np.random.default_rng(4)
    parts = [{"e": rng.normal(size=(n, 2, 3)), "i": rng.integers(0, 9, n)} for n in (40, 7, 60)]
    prov = {"seed": 1}
    files = []
    for i, p in enumerate(parts):
        files.append(tmp_path / f"c{i}.parquet")
        write_events(files[-1], p, provenance=prov if i != 1 else {"other": 1})
    ipc = tmp_path / "c3.arrow"
    write_arrow_chunk(ipc, parts[0])
    copied: list[str] = []
    original = ParquetConcatenator.append_record

    def spy(self: ParquetConcatenator, path: object, footer: object = None) -> object:
        copied.append(Path(str(path)).name)
        return original(self, path, footer)  # type: ignore[arg-type]

    monkeypatch.setattr(ParquetConcatenator, "append_record", spy)
    out = tmp_path / "out.parquet"
    with event_writer(out, provenance=prov) as sink:
        for f in [*files, ipc]:
            sink.append_file(f)
        sink.write(parts[2])
    assert copied == ["c0.parquet", "c2.parquet"]  # c1 (other provenance) and c3 (IPC) re-encoded
    back = read_events(out)
    for k in parts[0]:
        np.testing.assert_array_equal(
            back[k], np.concatenate([parts[0][k], parts[1][k], parts[2][k], parts[0][k], parts[2][k]]))
    assert read_provenance(out) == prov
    assert pq.read_schema(out).metadata[b"na64.provenance"] == b'{"seed": 1}'


# --------------------------------------------------------------------------- codec


def _leaf(draw: st.DrawFn, t: int) -> object:
    if t == BOOL_TRUE:
        return draw(st.booleans())
    if t == I16:
        return draw(st.integers(-(2**15), 2**15 - 1))
    if t == I32:
        return draw(st.integers(-(2**31), 2**31 - 1))
    if t == I64:
        return draw(st.integers(-(2**63), 2**63 - 1))
    if t == DOUBLE:
        return draw(st.floats(allow_nan=False))
    return draw(st.binary(max_size=40))


@st.composite
def structs(draw: st.DrawFn, depth: int = 2) -> TStruct:
    ids = sorted(draw(st.sets(st.integers(1, 40), max_size=6)))
    fields = []
    for fid in ids:
        kinds = [BOOL_TRUE, I16, I32, I64, DOUBLE, BINARY, LIST, MAP] + ([STRUCT] if depth else [])
        t = draw(st.sampled_from(kinds))
        if t == LIST:
            et = draw(st.sampled_from([I32, I64, BINARY]))
            value: object = TList(et, [_leaf(draw, et) for _ in range(draw(st.integers(0, 20)))])
        elif t == MAP:
            n = draw(st.integers(0, 3))
            value = TMap(BINARY, I64, [(_leaf(draw, BINARY), _leaf(draw, I64)) for _ in range(n)]) \
                if n else TMap(0, 0, [])
        elif t == STRUCT:
            value = draw(structs(depth - 1))
        else:
            value = _leaf(draw, t)
        fields.append(TField(fid, t, value))
    return TStruct(fields)


@settings(max_examples=200, deadline=None)
@given(structs())
def test_codec_round_trip(s: TStruct) -> None:
    raw = encode_struct(s)
    back, end = decode_struct(raw)
    assert end == len(raw)
    assert encode_struct(back) == raw
    assert back == s


def test_codec_rejects_truncated_data() -> None:
    raw = encode_struct(TStruct([TField(1, BINARY, b"abcdef"), TField(2, I64, -7)]))
    for cut in range(len(raw) - 1):
        with pytest.raises(ThriftError):
            decode_struct(raw[:cut])


def _chunk_ranges(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of every column chunk's pages and page indexes, in footer order."""
    footer = read_footer(path)
    out = []
    for rg in footer.row_groups():
        for cc in rg.get(1).value.values:  # RowGroup.columns
            meta = cc.get(3).value  # ColumnChunk.meta_data
            dict_off = meta.get(11)
            start = dict_off.value if dict_off is not None else meta.get(9).value
            out.append((int(start), int(meta.get(7).value)))  # total_compressed_size
            for off_id, len_id in ((4, 5), (6, 7)):  # offset index, column index
                off, length = cc.get(off_id), cc.get(len_id)
                if off is not None and length is not None:
                    out.append((int(off.value), int(length.value)))
    return out


def test_every_shifted_offset_points_at_the_same_bytes(tmp_path: Path) -> None:
    """Byte-level check of the footer rewrite: pages and page indexes move intact."""
    paths = []
    for i, n in enumerate([700, 50, 333]):
        paths.append(tmp_path / f"p{i}.parquet")
        pq.write_table(_table(n, 10 + i), paths[-1], row_group_size=256, write_page_index=True)
    out = tmp_path / "all.parquet"
    concatenate_parquet(paths, out)
    merged = out.read_bytes()
    expected = [(p.read_bytes(), r) for p in paths for r in _chunk_ranges(p)]
    got = _chunk_ranges(out)
    assert len(got) == len(expected)
    n_chunks = sum(pq.ParquetFile(p).metadata.num_row_groups for p in paths) * 5  # 5 columns
    assert len(got) == 3 * n_chunks  # pages + offset index + column index for every chunk
    for (src, (off_in, n_in)), (off_out, n_out) in zip(expected, got, strict=True):
        assert n_in == n_out
        assert merged[off_out:off_out + n_out] == src[off_in:off_in + n_in]


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(0, 300), min_size=1, max_size=5),
       row_group=st.integers(1, 400), dictionary=st.booleans())
def test_concatenation_property(tmp_path_factory: pytest.TempPathFactory, sizes: list[int],
                                row_group: int, dictionary: bool) -> None:
    """Any number of parts, any sizes (also empty), any row-group size: reads back exactly."""
    tmp = tmp_path_factory.mktemp("cat")
    tables = [_table(n, 100 + i) for i, n in enumerate(sizes)]
    paths = []
    for i, t in enumerate(tables):
        paths.append(tmp / f"p{i}.parquet")
        pq.write_table(t, paths[-1], row_group_size=row_group, use_dictionary=dictionary)
    out = tmp / "all.parquet"
    assert concatenate_parquet(paths, out) == sum(sizes)
    assert pq.read_table(out).equals(pa.concat_tables(tables))


@pytest.mark.parametrize("kernel", ["absent", "stops_part_way"])
def test_copy_without_or_with_a_failing_kernel_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    kernel: str) -> None:
    """The block copy takes over where os.copy_file_range is missing or gives up."""
    import os

    tables = [_table(n, 20 + i) for i, n in enumerate([400, 300])]
    paths = []
    for i, t in enumerate(tables):
        paths.append(tmp_path / f"p{i}.parquet")
        pq.write_table(t, paths[-1])
    if kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        real = os.copy_file_range
        calls = {"n": 0}

        def flaky(src: int, dst: int, count: int, offset_src: int | None = None) -> int:
            calls["n"] += 1
            if calls["n"] % 2 == 0:  # every second call fails, as across file systems
                raise OSError(18, "Invalid cross-device link")
            return real(src, dst, min(count, 100), offset_src)  # a short (partial) copy

        monkeypatch.setattr(os, "copy_file_range", flaky)
    out = tmp_path / "all.parquet"
    concatenate_parquet(paths, out)
    assert pq.read_table(out).equals(pa.concat_tables(tables))
