"""Event files: Parquet and ROOT round trips, shapes, provenance, streaming reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from na64.errors import InputError
from na64.io.events import (
    concatenate_files,
    detect_format,
    event_writer,
    iter_events,
    num_events,
    read_events,
    read_provenance,
    write_arrow_chunk,
    write_events,
)
from na64.io.provenance import make_provenance


def sample(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "e_ecal": rng.exponential(50.0, n),
        "ecal": rng.random((n, 2, 6, 6)).astype(np.float32),
        "hits": rng.integers(0, 100, (n, 4), dtype=np.int16),
        "trigger": rng.random(n) < 0.3,
        "id": np.arange(n, dtype=np.uint64),
    }


@pytest.mark.parametrize("suffix", [".parquet", ".root"])
def test_round_trip_restores_shapes_dtypes_and_values(tmp_path: Path, suffix: str) -> None:
    events = sample(257, np.random.default_rng(3))
    prov = make_provenance(seed=3, n_events=257, setup_name="toy", setup_toml="[ecal]\nx = 1\n",
                           command_line=["na64", "simulate"])
    path = tmp_path / f"ev{suffix}"
    write_events(path, events, provenance=prov)
    back = read_events(path)
    assert list(back) == list(events)
    for k, v in events.items():
        assert back[k].dtype == v.dtype, k
        assert back[k].shape == v.shape, k
        np.testing.assert_array_equal(back[k], v)
    got = read_provenance(path)
    assert got == json.loads(json.dumps(prov))
    assert got["setup_toml"] == "[ecal]\nx = 1\n"
    assert got["na64_version"]
    assert num_events(path) == 257
    assert detect_format(path) == suffix[1:]


def test_parquet_stores_trailing_dims_as_fixed_size_lists(tmp_path: Path) -> None:
    path = tmp_path / "ev.parquet"
    write_events(path, sample(5, np.random.default_rng(0)))
    schema = pq.read_schema(path)
    ecal = schema.field("ecal")
    assert pa.types.is_fixed_size_list(ecal.type)
    assert ecal.type.list_size == 72
    assert json.loads(ecal.metadata[b"na64.shape"]) == [2, 6, 6]
    # any Arrow reader sees the flattened cells
    flat = pq.read_table(path).column("ecal").combine_chunks().flatten().to_numpy()
    assert flat.size == 5 * 72


@pytest.mark.parametrize("suffix", [".parquet", ".root"])
def test_streaming_writer_and_reader_agree(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(5)
    batches = [sample(n, rng) for n in (100, 37, 250)]
    path = tmp_path / f"s{suffix}"
    with event_writer(path) as sink:
        for b in batches:
            sink.write(b)
    whole = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    parts = list(iter_events(path, step=64))
    assert all(len(p["id"]) <= 64 for p in parts)
    streamed = {k: np.concatenate([p[k] for p in parts]) for k in whole}
    for k in whole:
        np.testing.assert_array_equal(streamed[k], whole[k])
        np.testing.assert_array_equal(read_events(path, columns=[k])[k], whole[k])


def _write_batches(path: Path, batches: list[dict[str, np.ndarray]]) -> None:
    with event_writer(path) as sink:
        for b in batches:
            sink.write(b)


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    with pytest.raises(ValueError, match="rows"):
        _write_batches(path, [{"a": np.zeros(3), "b": np.zeros(4)}])
    with pytest.raises(ValueError, match="differ"):
        _write_batches(path, [{"a": np.zeros(3)}, {"a": np.zeros((3, 2))}])
    with pytest.raises(ValueError, match="differ"):
        _write_batches(tmp_path / "bad.root", [{"a": np.zeros(3)}, {"b": np.zeros(3)}])
    assert list(tmp_path.iterdir()) == []


def test_non_event_files_are_rejected(tmp_path: Path) -> None:
    txt = tmp_path / "x.parquet"
    txt.write_text("hello")
    with pytest.raises(InputError, match="neither"):
        read_events(txt)
    with pytest.raises(InputError, match="does not exist"):
        read_events(tmp_path / "missing.parquet")
    with pytest.raises(InputError, match="--format"):
        write_events(tmp_path / "a.root", {"a": np.zeros(2)}, fmt="parquet")
    with pytest.raises(InputError, match=r"--out: unknown file type '\.h5'"):
        write_events(tmp_path / "a.h5", {"a": np.zeros(2)})
    write_events(tmp_path / "a.h5", {"a": np.zeros(2)}, fmt="root")  # explicit format: allowed
    assert detect_format(tmp_path / "a.h5") == "root"


_dtypes = st.sampled_from([np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_])


@given(
    arr=hnp.arrays(
        _dtypes.map(np.dtype),
        hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5),
        elements={"allow_nan": False},
    )
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_parquet_round_trip_any_shape(tmp_path: Path, arr: np.ndarray) -> None:
    path = tmp_path / "h.parquet"
    write_events(path, {"x": arr})
    back = read_events(path)["x"]
    assert back.shape == arr.shape
    assert back.dtype == arr.dtype
    np.testing.assert_array_equal(back, arr)
    path.unlink()


@pytest.mark.parametrize("suffix", [".parquet", ".root"])
def test_concatenate_files_keeps_order_and_provenance(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(9)
    parts = [sample(n, rng) for n in (40, 1, 25)]
    paths = []
    for i, p in enumerate(parts):
        paths.append(tmp_path / f"p{i}.parquet")
        write_events(paths[-1], p, provenance={"chunk": i})
    out = tmp_path / f"all{suffix}"
    assert concatenate_files(paths, out, provenance={"seed": 9}) == 66
    back = read_events(out)
    for k in parts[0]:
        np.testing.assert_array_equal(back[k], np.concatenate([p[k] for p in parts]))
    assert read_provenance(out) == {"seed": 9}
    bad = tmp_path / "bad.parquet"
    write_events(bad, {"e_ecal": np.zeros(3)})
    with pytest.raises(ValueError, match="differ"):
        concatenate_files([paths[0], bad], tmp_path / f"x{suffix}")
    assert not (tmp_path / f"x{suffix}").exists()


def test_arrow_chunk_round_trip_and_streaming(tmp_path: Path) -> None:
    events = sample(130, np.random.default_rng(2))
    path = tmp_path / "chunk_000003.arrow"
    write_arrow_chunk(path, events, {"chunk": 3, "seed": 2})
    assert detect_format(path) == "arrow"
    assert num_events(path) == 130
    assert read_provenance(path) == {"chunk": 3, "seed": 2}
    back = read_events(path)
    parts = list(iter_events(path, step=50))
    assert [len(p["id"]) for p in parts] == [50, 50, 30]
    for k, v in events.items():
        assert back[k].dtype == v.dtype
        np.testing.assert_array_equal(back[k], v)
        np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), v)
    np.testing.assert_array_equal(read_events(path, columns=["ecal"])["ecal"], events["ecal"])
