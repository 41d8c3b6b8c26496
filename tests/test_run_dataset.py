"""Productions written as a Parquet dataset directory (``--format dataset``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest
from test_run_production import CHUNK, SEED, N, ReversedExecutor, ToyShower, assert_same, reference

from na64.errors import InputError
from na64.io.events import (
    DATASET_MANIFEST,
    detect_format,
    iter_events,
    num_events,
    read_events,
    read_provenance,
)
from na64.run import ProcessExecutor, RunError, chunk_dir_for, run_production


def test_dataset_equals_the_single_file_for_any_worker_count(tmp_path: Path) -> None:
    src = ToyShower()
    run_production(src, tmp_path / "one.parquet", n_events=N, seed=SEED, chunk_size=CHUNK)
    run_production(src, tmp_path / "a", n_events=N, seed=SEED, chunk_size=CHUNK, fmt="dataset",
                   provenance={"setup_name": "toy"})
    run_production(src, tmp_path / "b", n_events=N, seed=SEED, chunk_size=CHUNK, fmt="dataset",
                   executor=ReversedExecutor())
    with ProcessExecutor(2) as ex:
        run_production(src, tmp_path / "c", n_events=N, seed=SEED, chunk_size=CHUNK,
                       fmt="dataset", executor=ex)
    one = read_events(tmp_path / "one.parquet")
    assert_same(one, reference(src, N, SEED, CHUNK))
    for name in ("a", "b", "c"):
        assert detect_format(tmp_path / name) == "dataset"
        assert_same(read_events(tmp_path / name), one)
        assert not chunk_dir_for(tmp_path / name).exists()
    assert num_events(tmp_path / "a") == N
    assert read_provenance(tmp_path / "a")["setup_name"] == "toy"
    batches = list(iter_events(tmp_path / "a", step=100))
    assert sum(len(b["e_beam"]) for b in batches) == N
    np.testing.assert_array_equal(np.concatenate([b["e_beam"] for b in batches]), one["e_beam"])
    # what Arrow (and Dask, Spark) read natively: the manifest is skipped by its '_'
    table = ds.dataset(tmp_path / "a", format="parquet").to_table()
    assert table.num_rows == N
    manifest = json.loads((tmp_path / "a" / DATASET_MANIFEST).read_text())
    assert len(manifest["chunks"]) == 7
    assert all(c["sha256"] for c in manifest["chunks"])


def test_dataset_resume_after_a_failure(tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    out = tmp_path / "run"

    def progress(done: int, _total: int) -> None:
        if done >= 3 * CHUNK:
            flag.touch()

    with pytest.raises(RunError, match="3 of 7 chunks"):
        run_production(ToyShower(fail_flag=str(flag)), out, n_events=N, seed=SEED,
                       chunk_size=CHUNK, fmt="dataset", progress=progress)
    assert not out.exists()  # the dataset appears only when complete
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, fmt="dataset",
                             resume=True)
    assert (summary.chunks_computed, summary.chunks_reused) == (4, 3)
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_dataset_overwrite_and_bad_names(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_production(ToyShower(), out, n_events=300, seed=1, chunk_size=CHUNK, fmt="dataset")
    with pytest.raises(InputError, match="--overwrite"):
        run_production(ToyShower(), out, n_events=300, seed=2, chunk_size=CHUNK, fmt="dataset")
    run_production(ToyShower(), out, n_events=300, seed=2, chunk_size=CHUNK, fmt="dataset",
                   overwrite=True)
    assert_same(read_events(out), reference(ToyShower(), 300, 2, CHUNK))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    with pytest.raises(InputError, match="without a suffix"):
        run_production(ToyShower(), tmp_path / "x.parquet", n_events=10, seed=1,
                       fmt="dataset")
    (out / DATASET_MANIFEST).write_text("{broken", encoding="utf-8")
    with pytest.raises(InputError, match="manifest"):
        read_events(out)
