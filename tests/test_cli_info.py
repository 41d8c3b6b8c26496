"""``na64 info``: provenance and streaming column summary of event files and checkpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from na64.io.events import write_events
from na64.io.provenance import make_provenance
from na64.io.summary import summarize_columns

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)


@pytest.fixture
def event_file(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(1)
    n = 1_000
    events = {
        "e_ecal": rng.uniform(0.0, 100.0, n),
        "ecal": rng.normal(1.0, 0.5, (n, 2, 6, 6)).astype(np.float32),
        "veto": rng.random(n) < 0.25,
    }
    prov = make_provenance(seed=4, n_events=n, setup_name="toy",
                           setup_toml='name = "toy"\n[beam]\nenergy = "100GeV"\n',
                           command_line=["na64", "simulate", "--seed", "4"])
    path = tmp_path / "ev.root"
    write_events(path, events, provenance=prov)
    return path, events


def test_summary_matches_numpy_over_all_cells(event_file: tuple[Path, dict[str, np.ndarray]]) -> None:
    path, events = event_file
    cols = {c.name: c for c in summarize_columns(path, step=77)}  # many uneven batches
    for name, arr in events.items():
        c = cols[name]
        a = arr.astype(np.float64)
        assert c.shape == arr.shape[1:]
        assert c.min == a.min()
        assert c.max == a.max()
        # streaming sum vs numpy pairwise sum: float64 rounding, relative 1e-12 is generous
        assert c.mean == pytest.approx(a.mean(), rel=1e-12)
    # bool mean is the fraction of true: 0.25 expected, binomial sigma = sqrt(.25*.75/1000)=0.014
    assert cols["veto"].mean == pytest.approx(0.25, abs=5 * 0.014)


def test_info_json(event_file: tuple[Path, dict[str, np.ndarray]],
                   cli: CliRunner) -> None:
    path, events = event_file
    code, out, _ = cli(["info", str(path), "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "root"
    assert data["n_events"] == 1_000
    assert data["provenance"]["seed"] == 4
    assert data["provenance"]["setup_name"] == "toy"
    ecal = next(c for c in data["columns"] if c["name"] == "ecal")
    assert ecal["shape"] == [2, 6, 6]
    assert ecal["max"] == pytest.approx(float(events["ecal"].max()))


def test_info_rich_output(event_file: tuple[Path, dict[str, np.ndarray]],
                          cli: CliRunner) -> None:
    path, _ = event_file
    code, out, _ = cli(["info", str(path), "--toml"])
    assert code == 0
    for text in ("Provenance", "Columns", "ecal", "2x6x6", "na64 simulate --seed 4",
                 'energy = "100GeV"'):
        assert text in out


def test_info_on_unfinished_checkpoint(tmp_path: Path, cli: CliRunner) -> None:
    from test_run_production import ToyShower

    from na64.run import RunError, run_production

    flag = tmp_path / "fail"
    flag.touch()
    out = tmp_path / "run.parquet"
    with pytest.raises(RunError):
        run_production(ToyShower(fail_flag=str(flag)), out, n_events=100, seed=1, chunk_size=25)
    code, text, _ = cli(["info", str(out), "--json"])
    assert code == 0
    data = json.loads(text)
    assert (data["chunks_done"], data["chunks_total"], data["n_events"]) == (0, 4, 100)


@pytest.mark.parametrize("content", [None, b"not an event file"])
def test_info_bad_file_is_a_one_line_error(tmp_path: Path, cli: CliRunner,
                                           content: bytes | None) -> None:
    path = tmp_path / "x.parquet"
    if content is not None:
        path.write_bytes(content)
    code, out, err = cli(["info", str(path)])
    assert code == 2
    assert out == ""
    assert err.startswith("na64: error: FILE:")
    assert err.count("\n") == 1
