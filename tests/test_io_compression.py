"""Compressed event files: every encoding round-trips bit for bit and keeps its checksums.

The encoding of the Parquet pages (:class:`na64.io.events.ParquetEncoding`: codec, level,
byte-stream-split float columns, dictionary) changes the bytes on disk, never the values:
each one is read back bit for bit, every page of it carries the CRC32 of its compressed
bytes and a flipped byte is refused, and the chunks of a production, encoded alike by the
workers, are merged by byte copy into a readable file of that encoding.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from na64.errors import InputError
from na64.io.events import (
    DEFAULT_COMPRESSION,
    PARQUET_COMPRESSIONS,
    ParquetEncoding,
    concatenate_files,
    event_writer,
    iter_events,
    num_events,
    parquet_encoding,
    parquet_write_options,
    read_events,
    write_events,
)
from na64.io.thrift_compact import decode_struct
from na64.run import RunError, chunk_dir_for, chunk_generator, plan_chunks, run_production
from na64.run.manifest import Manifest

Events = dict[str, np.ndarray]
PROV = {"seed": 5, "setup_name": "toy", "command_line": ["na64", "simulate"]}
FLOATS = {"e_beam", "ecal.list.element", "veto.list.element"}
#: Parquet codec names in the footer (pyarrow writes lz4 as LZ4_RAW, listed as "LZ4").
FOOTER_CODEC = {"zstd": "ZSTD", "lz4": "LZ4", "snappy": "SNAPPY", "gzip": "GZIP",
                "brotli": "BROTLI", "none": "UNCOMPRESSED"}

ENCODINGS: dict[str, ParquetEncoding] = {
    **PARQUET_COMPRESSIONS,
    "zstd 9": ParquetEncoding("zstd", 9),
    "zstd, no split": ParquetEncoding("zstd", 1, byte_stream_split=False),
    "zstd + dictionary": ParquetEncoding("zstd", 1, dictionary=True),
    "lz4, no split": ParquetEncoding("lz4", None, byte_stream_split=False),
    "none + split": ParquetEncoding("none", None, byte_stream_split=True),
    "none + dictionary": ParquetEncoding("none", None, byte_stream_split=False,
                                         dictionary=True),
    "gzip": ParquetEncoding("gzip", 6),
    "brotli": ParquetEncoding("brotli", None),
}


def sample(n: int, rng: np.random.Generator) -> Events:
    """Columns like those of a simulation, with the float values a codec must not touch."""
    events: Events = {
        "e_beam": rng.normal(100.0, 1.0, n),
        "ecal": rng.gamma(2.0, 1.0, (n, 2, 6, 6)).astype(np.float32),
        "veto": rng.exponential(1.0, (n, 3)).astype(np.float32),
        "true_pdg": rng.choice(np.array([-11, 11, 22]), n),
        "n_hot": rng.integers(0, 72, n).astype(np.int32),
        "id": np.arange(n, dtype=np.uint64) * np.uint64(2**54 + 1),
        "trigger": rng.random(n) < 0.3,
    }
    special32 = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-45, 3.4e38, -1.2e-38, 0.0],
                         dtype=np.float32)
    special32 = np.concatenate([special32, np.frombuffer(b"\x01\x00\xc0\x7f", np.float32)])
    events["ecal"].reshape(-1)[:special32.size] = special32
    events["e_beam"][:4] = [np.nan, -0.0, 5e-324, -np.inf]
    events["e_beam"][4:5] = np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f", np.float64)
    return events


def assert_identical(got: Events, want: Events) -> None:
    assert list(got) == list(want)
    for k, v in want.items():
        assert got[k].dtype == v.dtype, k
        assert got[k].shape == v.shape, k
        assert got[k].tobytes() == v.tobytes(), k  # bit for bit (NaN payloads, -0.0)


def concat(parts: list[Events]) -> Events:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@dataclass(frozen=True)
class Page:
    column: str
    dictionary: bool
    data_start: int
    data_end: int
    crc: int | None


def pages(path: Path) -> list[Page]:
    """Every page of every column chunk, from the page headers (type 2: dictionary page)."""
    data = path.read_bytes()
    md = pq.ParquetFile(path).metadata
    out = []
    for i in range(md.num_row_groups):
        for j in range(md.num_columns):
            chunk = md.row_group(i).column(j)
            pos = (chunk.dictionary_page_offset if chunk.has_dictionary_page
                   else chunk.data_page_offset)
            end = pos + chunk.total_compressed_size
            while pos < end:
                header, start = decode_struct(data, pos)
                # page type, compressed page size, CRC32
                kind, size, crc = header.get(1), header.get(3), header.get(4)
                assert kind is not None
                assert size is not None
                out.append(Page(chunk.path_in_schema, kind.value == 2, start,
                                start + size.value,
                                None if crc is None else crc.value & 0xFFFFFFFF))
                pos = start + size.value
            assert pos == end
    return out


def assert_encoded_as(path: Path, encoding: ParquetEncoding) -> None:
    """Every column chunk of ``path`` has the codec, split and dictionary of ``encoding``."""
    md = pq.ParquetFile(path).metadata
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        for j in range(rg.num_columns):
            chunk = rg.column(j)
            assert chunk.compression == FOOTER_CODEC[encoding.codec], chunk.path_in_schema
            assert not chunk.is_stats_set, chunk.path_in_schema
            if not encoding.dictionary:
                assert not chunk.has_dictionary_page, chunk.path_in_schema
                split = "BYTE_STREAM_SPLIT" in chunk.encodings
                assert split == (encoding.byte_stream_split and chunk.path_in_schema in FLOATS)


# --------------------------------------------------------------------------- choices


def test_the_default_is_zstd_level_1_with_split_floats_and_checksums() -> None:
    assert DEFAULT_COMPRESSION == "zstd"
    assert PARQUET_COMPRESSIONS["zstd"] == ParquetEncoding("zstd", 1, True, False)
    assert parquet_encoding("zstd").describe() == "zstd"
    events = sample(10, np.random.default_rng(0))
    from na64.io.events import _table

    options = parquet_write_options(_table(events).schema)
    assert options == {"compression": "zstd", "compression_level": 1, "use_dictionary": False,
                       "use_byte_stream_split": ["e_beam", "ecal.list.element",
                                                 "veto.list.element"],
                       "write_statistics": False, "write_page_checksum": True}
    none = parquet_write_options(_table(events).schema, "none")
    assert none["compression"] == "none"
    assert "compression_level" not in none
    assert none["use_byte_stream_split"] is False
    assert none["write_page_checksum"] is True


def test_names_are_resolved_and_bad_choices_refused(tmp_path: Path) -> None:
    assert parquet_encoding(" LZ4 ") is PARQUET_COMPRESSIONS["lz4"]
    custom = ParquetEncoding("zstd", 9)
    assert parquet_encoding(custom) is custom
    assert custom.describe() == {"codec": "zstd", "level": 9, "byte_stream_split": True,
                                 "dictionary": False}
    assert parquet_encoding(custom.describe()) == custom  # as a checkpoint records it
    with pytest.raises(InputError, match=r"^--compression: must be zstd, lz4, snappy or none, "
                                         r"got 'bz2'$"):
        parquet_encoding("bz2")
    with pytest.raises(InputError, match="--compression: invalid Parquet encoding"):
        parquet_encoding({"codec": "zstd", "level": "high"})
    with pytest.raises(ValueError, match="unknown Parquet codec"):
        ParquetEncoding("lzo")
    with pytest.raises(ValueError, match="takes no level"):
        ParquetEncoding("snappy", 1)
    with pytest.raises(InputError, match="--compression"):
        write_events(tmp_path / "ev.parquet", sample(10, np.random.default_rng(0)),
                     compression="fast")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_every_encoding_round_trips_bit_exactly(tmp_path: Path, name: str) -> None:
    encoding = ENCODINGS[name]
    rng = np.random.default_rng(3)
    batches = [sample(700, rng), sample(300, rng)]
    path = tmp_path / "ev.parquet"
    with event_writer(path, provenance=PROV, compression=encoding) as sink:
        for batch in batches:
            sink.write(batch)
    assert_encoded_as(path, encoding)
    want = concat(batches)
    assert_identical(read_events(path), want)
    assert_identical(concat(list(iter_events(path, step=333))), want)
    assert_identical(read_events(path, columns=["ecal", "id"]),
                     {"ecal": want["ecal"], "id": want["id"]})
    assert num_events(path) == 1000


def test_compression_shrinks_the_noisy_cells_within_the_lossless_limit(tmp_path: Path) -> None:
    """Byte-stream-split is what lets a codec compress float32 cells with random mantissas."""
    events = sample(2000, np.random.default_rng(4))
    sizes = {}
    for name in ("none", "zstd, no split", "zstd"):
        write_events(tmp_path / f"{name}.parquet", events, compression=ENCODINGS[name])
        sizes[name] = (tmp_path / f"{name}.parquet").stat().st_size
    assert sizes["zstd"] < sizes["zstd, no split"] < sizes["none"]


# --------------------------------------------------------------------------- checksums


@pytest.mark.parametrize("name", ["zstd", "lz4", "snappy", "none", "zstd + dictionary",
                                  "gzip"])
def test_compressed_pages_carry_and_verify_their_checksums(tmp_path: Path, name: str) -> None:
    """The CRC32 covers the compressed bytes of every page; one flipped byte is refused."""
    encoding = ENCODINGS[name]
    events = sample(60, np.random.default_rng(6))
    path = tmp_path / "ev.parquet"
    write_events(path, events, provenance=PROV, compression=encoding)
    data = path.read_bytes()
    found = pages(path)
    assert {p.column for p in found} >= FLOATS
    assert any(p.dictionary for p in found) == encoding.dictionary
    bad = tmp_path / "bad.parquet"
    for page in found:
        assert page.crc == zlib.crc32(data[page.data_start:page.data_end]), page.column
        damaged = bytearray(data)
        damaged[(page.data_start + page.data_end) // 2] ^= 0x10
        bad.write_bytes(bytes(damaged))
        with pytest.raises(InputError, match=r"^FILE: .*bad\.parquet: corrupted \(page "
                                             r"checksum mismatch\)$"):
            read_events(bad)
        with pytest.raises(InputError, match="page checksum mismatch"):
            list(iter_events(bad, step=25))


# --------------------------------------------------------------------------- merges


@pytest.mark.parametrize("name", ["zstd", "lz4", "none", "zstd + dictionary"])
def test_concatenated_files_keep_their_pages_and_checksums(tmp_path: Path, name: str) -> None:
    """The byte-level merge shifts the offsets of data and dictionary pages alike."""
    encoding = ENCODINGS[name]
    rng = np.random.default_rng(8)
    parts = [sample(k, rng) for k in (50, 20, 35)]
    paths = []
    for i, part in enumerate(parts):
        paths.append(tmp_path / f"part{i}.parquet")
        write_events(paths[-1], part, provenance=PROV, compression=encoding)
    out = tmp_path / "all.parquet"
    assert concatenate_files(paths, out, provenance=PROV, compression=encoding) == 105
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    assert_encoded_as(out, encoding)
    # byte copies: the bodies of the inputs appear verbatim in the output
    body = out.read_bytes()
    for p in paths:
        raw = p.read_bytes()
        footer_len = int.from_bytes(raw[-8:-4], "little")
        assert raw[4:len(raw) - 8 - footer_len] in body
    data = out.read_bytes()
    for page in pages(out):
        assert page.crc == zlib.crc32(data[page.data_start:page.data_end]), page.column
    assert_identical(read_events(out), concat(parts))
    page = [p for p in pages(out) if p.column == "ecal.list.element"][-1]
    damaged = bytearray(data)
    damaged[page.data_end - 1] ^= 0x01
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(InputError, match="page checksum mismatch"):
        read_events(bad)


def test_reencoded_inputs_take_the_writers_compression(tmp_path: Path) -> None:
    """An input of other provenance is decoded and encoded again with the chosen codec."""
    rng = np.random.default_rng(9)
    a, b = sample(30, rng), sample(40, rng)
    write_events(tmp_path / "a.parquet", a, provenance={"other": 1}, compression="zstd")
    write_events(tmp_path / "b.parquet", b, provenance={"other": 2}, compression="lz4")
    out = tmp_path / "out.parquet"
    concatenate_files([tmp_path / "a.parquet", tmp_path / "b.parquet"], out, provenance=PROV,
                      compression="none")
    assert_encoded_as(out, PARQUET_COMPRESSIONS["none"])
    assert_identical(read_events(out), concat([a, b]))


def test_old_uncompressed_files_stay_readable(tmp_path: Path) -> None:
    """Uncompressed pages without checksums, dictionaries and statistics (another writer's
    defaults): read, and merged with compressed files into one readable file."""
    from na64.io.events import _table

    rng = np.random.default_rng(10)
    old_events, new_events = sample(40, rng), sample(25, rng)
    old = tmp_path / "old.parquet"
    table = _table(old_events).replace_schema_metadata({"na64.provenance": json.dumps(PROV)})
    pq.write_table(table, old, compression="none", write_page_checksum=False)
    assert all(p.crc is None for p in pages(old))
    assert_identical(read_events(old), old_events)
    new = tmp_path / "new.parquet"
    write_events(new, new_events, provenance=PROV)
    both = tmp_path / "both.parquet"
    assert concatenate_files([old, new], both, provenance=PROV) == 65
    md = pq.ParquetFile(both).metadata
    assert [md.row_group(i).column(1).compression for i in range(2)] == ["UNCOMPRESSED", "ZSTD"]
    assert_identical(read_events(both), concat([old_events, new_events]))


# --------------------------------------------------------------------------- productions


@dataclass(frozen=True)
class Cells:
    """A picklable event source; with ``fail_flag``, the call fails once if that file exists."""

    fail_flag: str | None = None

    def __call__(self, n_events: int, rng: np.random.Generator) -> Events:
        if self.fail_flag is not None and os.path.exists(self.fail_flag):
            os.remove(self.fail_flag)
            raise RuntimeError("cells source failure")
        return sample(n_events, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "compression-toy"}


def reference(n: int, seed: int, chunk: int) -> Events:
    return concat([Cells()(c.n_events, chunk_generator(seed, c.index))
                   for c in plan_chunks(n, chunk)])


@pytest.mark.parametrize("name", ["zstd", "lz4", "none", "zstd 9"])
@pytest.mark.parametrize("fmt", ["parquet", "dataset"])
def test_production_chunks_are_encoded_alike_and_merged(tmp_path: Path, name: str,
                                                        fmt: str) -> None:
    encoding = ENCODINGS[name]
    out = tmp_path / ("run.parquet" if fmt == "parquet" else "run")
    summary = run_production(Cells(), out, n_events=230, seed=2, chunk_size=60, fmt=fmt,
                             compression=encoding if name == "zstd 9" else name)
    assert summary.n_chunks == 4
    files = [out] if fmt == "parquet" else sorted(out.glob("chunk_*.parquet"))
    for f in files:
        assert_encoded_as(f, encoding)
        data = f.read_bytes()
        for page in pages(f):
            assert page.crc == zlib.crc32(data[page.data_start:page.data_end]), page.column
    assert sum(pq.ParquetFile(f).metadata.num_row_groups for f in files) == 4
    assert_identical(read_events(out), reference(230, 2, 60))


def test_a_resumed_run_keeps_the_compression_of_its_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(RunError):  # the first chunk fails: nothing is done
        run_production(Cells(str(flag)), out, n_events=200, seed=4, chunk_size=50,
                       compression="lz4")
    assert Manifest.load(chunk_dir_for(out)).identity["compression"] == "lz4"
    with pytest.raises(InputError, match=r"^--resume: .*compression was 'lz4', now 'zstd'"):
        run_production(Cells(), out, n_events=200, seed=4, chunk_size=50, resume=True,
                       compression="zstd")
    summary = run_production(Cells(), out, n_events=200, seed=4, chunk_size=50, resume=True)
    assert summary.chunks_computed == 4
    assert_encoded_as(out, PARQUET_COMPRESSIONS["lz4"])
    assert_identical(read_events(out), reference(200, 4, 50))


def test_a_checkpoint_of_an_earlier_version_resumes_with_the_default(tmp_path: Path) -> None:
    """Manifests written before the compression was recorded: the default is assumed."""
    out = tmp_path / "run.parquet"
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(RunError):
        run_production(Cells(str(flag)), out, n_events=100, seed=4, chunk_size=50)
    manifest_path = chunk_dir_for(out) / "manifest.json"
    record = json.loads(manifest_path.read_text())
    del record["identity"]["compression"]
    manifest_path.write_text(json.dumps(record))
    run_production(Cells(), out, n_events=100, seed=4, chunk_size=50, resume=True)
    assert_encoded_as(out, PARQUET_COMPRESSIONS[DEFAULT_COMPRESSION])
    assert_identical(read_events(out), reference(100, 4, 50))
