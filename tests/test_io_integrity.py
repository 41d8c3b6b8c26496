"""Event files that detect their own damage, and the default Parquet encoding.

Every Parquet page carries a CRC32 of its bytes, written by the writers and verified by
every reader; the footer and the page headers (which the checksums do not cover) are
cross-checked.  A damaged, truncated, foreign or non-numeric file is one ``InputError`` for
``FILE`` from every read function and one line with exit status 2 from ``na64 info`` and
``na64 display`` -- never a traceback, never wrong numbers.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from na64.errors import InputError
from na64.io.events import (
    concatenate_files,
    iter_events,
    num_events,
    parquet_write_options,
    read_events,
    read_provenance,
    write_events,
)
from na64.io.parquet_concat import read_footer
from na64.io.thrift_compact import decode_struct
from na64.run import run_production

CliRunner = Callable[[list[str]], tuple[int, str, str]]
Events = dict[str, np.ndarray]
PROV = {"seed": 7, "setup_name": "toy", "command_line": ["na64", "simulate"]}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def sample(n: int, rng: np.random.Generator) -> Events:
    """Columns like those of a simulation: float32 cells, float64, ints and booleans."""
    return {
        "e_beam": rng.normal(100.0, 1.0, n),
        "ecal": rng.gamma(2.0, 1.0, (n, 2, 6, 6)).astype(np.float32),
        "veto": rng.exponential(1.0, (n, 3)).astype(np.float32),
        "true_pdg": rng.choice(np.array([-11, 11, 22]), n),
        "n_hot": rng.integers(0, 72, n).astype(np.int32),
        "trigger": rng.random(n) < 0.3,
    }


def assert_identical(got: Events, want: Events) -> None:
    assert list(got) == list(want)
    for k, v in want.items():
        assert got[k].dtype == v.dtype, k
        assert got[k].shape == v.shape, k
        assert got[k].tobytes() == v.tobytes(), k  # bit for bit (NaN payloads, -0.0)


def concat(batches: Iterator[Events]) -> Events:
    parts = list(batches)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@dataclass(frozen=True)
class Page:
    """One page of a Parquet file: its header and data byte ranges."""

    column: str
    header_start: int
    data_start: int
    data_end: int
    crc: int | None


def pages(path: Path) -> list[Page]:
    """Every page of every column chunk, read from the page headers."""
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
                header, data_start = decode_struct(data, pos)
                size = header.get(3)  # compressed_page_size
                crc = header.get(4)
                assert size is not None
                out.append(Page(chunk.path_in_schema, pos, data_start, data_start + size.value,
                                None if crc is None else crc.value & 0xFFFFFFFF))
                pos = data_start + size.value
            assert pos == end
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Events]:
    path = tmp_path_factory.mktemp("small") / "small.parquet"
    events = sample(40, np.random.default_rng(11))
    write_events(path, events, provenance=PROV)
    return path, events


def read_all_or_raise(path: Path) -> tuple[Events, Events, int, dict[str, Any]]:
    return (read_events(path), concat(iter_events(path, step=7)), num_events(path),
            read_provenance(path))


def assert_intact_or_refused(path: Path, events: Events) -> bool:
    """Either every reader raises InputError for FILE, or all return the original data.

    Returns True if the file was refused.
    """
    field: str | None = None
    try:
        whole, streamed, n, prov = read_all_or_raise(path)
    except InputError as exc:
        field = exc.field
    if field is not None:
        assert field == "FILE"
        return True
    assert_identical(whole, events)
    assert_identical(streamed, events)
    assert n == len(events["e_beam"])
    assert prov == PROV
    return False


# --------------------------------------------------------------------------- encoding


def test_writers_use_the_chosen_encoding(tmp_path: Path) -> None:
    events = sample(50, np.random.default_rng(1))
    path = tmp_path / "ev.parquet"
    write_events(path, events, provenance=PROV)
    options = parquet_write_options(pa.schema([]))
    assert options["compression"] == "zstd"
    assert options["compression_level"] == 1
    assert options["write_page_checksum"] is True
    assert options["use_dictionary"] is False
    md = pq.ParquetFile(path).metadata
    floats = {"e_beam", "ecal.list.element", "veto.list.element"}
    rg = md.row_group(0)
    for j in range(rg.num_columns):
        chunk = rg.column(j)
        assert chunk.compression == "ZSTD", chunk.path_in_schema
        assert not chunk.has_dictionary_page, chunk.path_in_schema
        assert not chunk.is_stats_set, chunk.path_in_schema
        split = "BYTE_STREAM_SPLIT" in chunk.encodings
        assert split == (chunk.path_in_schema in floats), chunk.path_in_schema
    assert {p.column for p in pages(path)} == {rg.column(j).path_in_schema
                                               for j in range(rg.num_columns)}


@pytest.mark.parametrize("suffix", [".parquet", ".root"])
def test_chosen_encoding_round_trips_bit_exactly(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(5)
    events = sample(1000, rng)
    special32 = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-45, 3.4e38, -1.2e-38, 0.0],
                         dtype=np.float32)
    special32 = np.concatenate([special32, np.frombuffer(b"\x01\x00\xc0\x7f", np.float32)])
    events["ecal"].reshape(-1)[:special32.size] = special32
    events["e_beam"][:4] = [np.nan, -0.0, 5e-324, -np.inf]
    events["e_beam"][4:5] = np.frombuffer(b"\x01\x00\x00\x00\x00\x00\xf8\x7f", np.float64)
    events["id"] = np.arange(1000, dtype=np.uint64) * np.uint64(2**54 + 1)
    events["small"] = rng.integers(-128, 127, (1000, 4), dtype=np.int8)
    path = tmp_path / f"ev{suffix}"
    write_events(path, events, provenance=PROV)
    assert_identical(read_events(path), events)
    assert_identical(concat(iter_events(path, step=333)), events)


def test_files_of_the_previous_encoding_stay_readable(tmp_path: Path) -> None:
    """lz4 pages without checksums (na64 before zstd): read, and mixed with new chunks."""
    from na64.io.events import _table

    rng = np.random.default_rng(2)
    old_events, new_events = sample(30, rng), sample(20, rng)
    old = tmp_path / "old.parquet"
    table = _table(old_events).replace_schema_metadata({"na64.provenance": json.dumps(PROV)})
    pq.write_table(table, old, compression="lz4", use_dictionary=False,
                   write_statistics=False)
    assert all(p.crc is None for p in pages(old))
    assert_identical(read_events(old), old_events)
    assert read_provenance(old) == PROV
    new = tmp_path / "new.parquet"
    write_events(new, new_events, provenance=PROV)
    both = tmp_path / "both.parquet"
    assert concatenate_files([old, new], both, provenance=PROV) == 50
    # the old chunk was byte-copied next to the new one: two codecs, one file
    md = pq.ParquetFile(both).metadata
    assert [md.row_group(i).column(0).compression for i in range(2)] == ["LZ4", "ZSTD"]
    want = {k: np.concatenate([old_events[k], new_events[k]]) for k in old_events}
    assert_identical(read_events(both), want)


# --------------------------------------------------------------------------- checksums


def test_every_page_carries_the_crc32_of_its_bytes(small: tuple[Path, Events]) -> None:
    path, _ = small
    data = path.read_bytes()
    found = pages(path)
    assert len(found) >= 6
    for page in found:
        assert page.crc is not None, page.column
        assert page.crc == zlib.crc32(data[page.data_start:page.data_end]), page.column


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_flipped_byte_in_any_data_page_is_a_checksum_error(
        tmp_path: Path, small: tuple[Path, Events], where: str) -> None:
    path, _ = small
    data = path.read_bytes()
    for page in pages(path):
        at = {"first": page.data_start, "middle": (page.data_start + page.data_end) // 2,
              "last": page.data_end - 1}[where]
        damaged = bytearray(data)
        damaged[at] ^= 0x01
        bad = tmp_path / "bad.parquet"
        bad.write_bytes(bytes(damaged))
        with pytest.raises(InputError, match=r"FILE: .*bad\.parquet: corrupted \(page "
                                             r"checksum mismatch\)"):
            read_events(bad)
        with pytest.raises(InputError, match="page checksum mismatch"):
            list(iter_events(bad))
        assert num_events(bad) == 40  # metadata only: the pages are not read


@dataclass(frozen=True)
class ToyCells:
    """A picklable event source for a production: calorimeter cells and a beam energy."""

    def __call__(self, n_events: int, rng: np.random.Generator) -> Events:
        return sample(n_events, rng)

    def describe(self) -> dict[str, Any]:
        return {"kind": "integrity-toy"}


def test_a_concatenated_production_file_keeps_and_verifies_its_checksums(
        tmp_path: Path, cli: CliRunner) -> None:
    out = tmp_path / "run.parquet"
    run_production(ToyCells(), out, n_events=250, seed=3, chunk_size=60)
    md = pq.ParquetFile(out).metadata
    assert md.num_row_groups == 5  # one per chunk, byte-copied by the merge
    data = out.read_bytes()
    found = pages(out)
    for page in found:
        assert page.crc == zlib.crc32(data[page.data_start:page.data_end]), page.column
    events = read_events(out)
    assert len(events["ecal"]) == 250
    # damage a page of the third chunk (the cells)
    page = [p for p in found if p.column == "ecal.list.element"][2]
    damaged = bytearray(data)
    damaged[(page.data_start + page.data_end) // 2] ^= 0x40
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(InputError, match="page checksum mismatch"):
        read_events(bad)
    with pytest.raises(InputError, match="page checksum mismatch"):
        read_events(bad, columns=["ecal"])
    assert read_events(bad, columns=["e_beam"])["e_beam"].tobytes() == events["e_beam"].tobytes()
    code, stdout, err = cli(["info", str(bad)])
    assert (code, stdout) == (2, "")
    assert err.startswith("na64: error: FILE: ")
    assert "corrupted" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------- flipped bytes


def test_page_headers_flipped_never_give_wrong_numbers(tmp_path: Path,
                                                       small: tuple[Path, Events]) -> None:
    """Checksums do not cover page headers: the encoding field is checked against the footer.

    0x12 turns byte-stream-split (9, zigzag 0x12) into plain (0) and back: the same number
    of bytes, so only the cross-check tells.
    """
    path, events = small
    data = path.read_bytes()
    bad = tmp_path / "bad.parquet"
    refused = 0
    for page in pages(path):
        for at in range(page.header_start, page.data_start):
            for flip in (0x12, 0x01, 0x80):
                damaged = bytearray(data)
                damaged[at] ^= flip
                bad.write_bytes(bytes(damaged))
                refused += assert_intact_or_refused(bad, events)
    assert refused > 0


def test_footer_flipped_never_gives_wrong_numbers(tmp_path: Path,
                                                  small: tuple[Path, Events]) -> None:
    """Names, types, shapes, row counts and provenance live in the footer, outside the
    checksums: every single-bit change of it is refused or harmless."""
    path, events = small
    data = path.read_bytes()
    start = read_footer(path).body_end
    bad = tmp_path / "bad.parquet"
    refused = 0
    for at in range(start, len(data)):
        damaged = bytearray(data)
        damaged[at] ^= 0x01
        bad.write_bytes(bytes(damaged))
        refused += assert_intact_or_refused(bad, events)
    assert refused > (len(data) - start) // 2


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True),
                                  st.integers(1, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.floats(0.0, 1.0, exclude_max=True)))
def test_random_damage_is_refused_or_harmless(
        tmp_path: Path, small: tuple[Path, Events],
        damage: list[tuple[float, int]], cut: float | None) -> None:
    path, events = small
    data = bytearray(path.read_bytes())
    for where, flip in damage:
        data[int(where * len(data))] ^= flip
    if cut is not None:
        data = data[:int(cut * len(data))]
    bad = tmp_path / "random.parquet"
    bad.write_bytes(bytes(data))
    refused = assert_intact_or_refused(bad, events)
    if cut is not None:
        assert refused


# --------------------------------------------------------------------------- bad files


def _parquet(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path)


def _bad_file(kind: str, tmp_path: Path, small: Path) -> Path:
    """A file of the given kind of badness."""
    good = small.read_bytes()
    path = tmp_path / ("bad.root" if kind.startswith("root") else "bad.parquet")
    rng = np.random.default_rng(4)
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "png":
        path.write_bytes(PNG)
    elif kind == "random":
        path.write_bytes(rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    elif kind == "random after PAR1":
        path.write_bytes(b"PAR1" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    elif kind == "truncated half":
        path.write_bytes(good[:len(good) // 2])
    elif kind == "truncated last byte":
        path.write_bytes(good[:-1])
    elif kind == "magic only":
        path.write_bytes(b"PAR1PAR1")
    elif kind == "string column":
        _parquet(path, pa.table({"e": [1.0, 2.0], "name": ["a", "b"]}))
    elif kind == "variable lists":
        _parquet(path, pa.table({"hits": pa.array([[1.0], [2.0, 3.0]])}))
    elif kind == "missing values":
        _parquet(path, pa.table({"n": pa.array([1, None, 3], pa.int64())}))
    elif kind == "no columns":
        _parquet(path, pa.table({}))
    elif kind == "root truncated":
        write_events(path, sample(30, rng), provenance=PROV)
        path.write_bytes(path.read_bytes()[:-100])
    elif kind == "root garbage":
        path.write_bytes(b"root" + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    elif kind == "root zeros":
        path.write_bytes(b"root" + bytes(3000))
    elif kind == "root without events":
        import uproot

        with uproot.recreate(path) as f:
            f["h"] = np.histogram(np.arange(10.0))
    elif kind == "root jagged":
        import awkward as ak
        import uproot

        with uproot.recreate(path) as f:
            f.mktree("events", {"x": "var * float64"})
            f["events"].extend({"x": ak.Array([[1.0, 2.0], [3.0]])})
    else:  # pragma: no cover
        raise AssertionError(kind)
    return path


#: bad only in the values: refused by the readers of data, not by those of the metadata
DATA_ONLY = {"missing values"}
BAD_KINDS = ["empty", "png", "random", "random after PAR1", "truncated half",
             "truncated last byte", "magic only", "string column", "variable lists",
             "missing values", "no columns", "root truncated", "root garbage", "root zeros",
             "root without events", "root jagged"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_files_are_one_input_error_from_every_reader(
        tmp_path: Path, small: tuple[Path, Events], kind: str) -> None:
    path = _bad_file(kind, tmp_path, small[0])
    readers: list[Callable[[Path], object]] = [read_events, lambda p: list(iter_events(p))]
    if kind in DATA_ONLY:
        assert num_events(path) == 3
    else:
        readers += [num_events, read_provenance]
    for reader in readers:
        with pytest.raises(InputError) as info:
            reader(path)
        assert info.value.field == "FILE"
        assert str(path) in info.value.message
        assert "\n" not in info.value.message


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("command", ["info", "display"])
def test_bad_files_are_one_line_errors_of_the_cli(
        tmp_path: Path, small: tuple[Path, Events], cli: CliRunner, kind: str,
        command: str) -> None:
    path = _bad_file(kind, tmp_path, small[0])
    args = [command, str(path)]
    if command == "display":
        args += ["--out", str(tmp_path / "ev.png")]
    code, out, err = cli(args)
    assert code == 2
    assert out == ""
    assert err.startswith("na64: error: FILE: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "ev.png").exists()


def test_missing_file_and_unknown_column(tmp_path: Path, small: tuple[Path, Events],
                                         cli: CliRunner) -> None:
    missing = tmp_path / "missing.parquet"
    for reader in (read_events, num_events, read_provenance):
        with pytest.raises(InputError, match="does not exist"):
            reader(missing)
    with pytest.raises(InputError, match="does not exist"):
        list(iter_events(missing))
    with pytest.raises(InputError) as info:
        read_events(small[0], columns=["ecal", "nope"])
    assert info.value.field == "columns"
    assert "'nope'" in info.value.message


def test_a_foreign_numeric_parquet_file(tmp_path: Path, cli: CliRunner) -> None:
    """Numeric columns of another writer are events to read, but nothing to display."""
    path = tmp_path / "foreign.parquet"
    pq.write_table(pa.table({"x": np.arange(5.0), "k": np.arange(5, dtype=np.int16)}), path)
    got = read_events(path)
    assert got["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert read_provenance(path) == {}
    code, out, _ = cli(["info", str(path), "--json"])
    assert code == 0
    assert json.loads(out)["n_events"] == 5
    code, out, err = cli(["display", str(path), "--out", str(tmp_path / "ev.png")])
    assert (code, out) == (2, "")
    assert err.startswith("na64: error: FILE: ")
    assert "not an na64 event file" in err
    assert err.count("\n") == 1


def test_info_statistics_come_from_verified_pages(tmp_path: Path, cli: CliRunner) -> None:
    """2000 flipped bytes in the data: no statistics, one error line."""
    events = sample(3000, np.random.default_rng(9))
    path = tmp_path / "ev.parquet"
    write_events(path, events, provenance=PROV)
    code, out, _ = cli(["info", str(path), "--json"])
    assert code == 0
    assert json.loads(out)["n_events"] == 3000
    data = bytearray(path.read_bytes())
    body = read_footer(path).body_end
    rng = np.random.default_rng(0)
    for at in rng.choice(np.arange(4, body), 2000, replace=False):
        data[at] ^= int(rng.integers(1, 256))
    path.write_bytes(bytes(data))
    code, out, err = cli(["info", str(path)])
    assert (code, out) == (2, "")
    assert err.startswith("na64: error: FILE: ")
    assert "corrupted" in err
    assert err.count("\n") == 1
