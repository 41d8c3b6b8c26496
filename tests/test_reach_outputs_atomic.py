"""``na64 reach`` writes its output set as a whole, under a lock, and never mixes results.

The set is written into a hidden directory next to ``--out`` and renamed into place; an
existing result is replaced only with ``--overwrite``; a second run into the same ``--out``
fails at once; a bad ``--out`` fails before any computation; a file-system failure while
writing leaves nothing behind.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from na64.errors import InputError
from na64.reach import load_analysis, run_invisible, write_outputs
from na64.reach.invisible import ReachResult
from na64.reach.outputs import OUTPUT_NAMES, reserve_output
from na64.units import MeV

SMALL = 'extends = "invisible_2016_2018"\nname = "small"\n[background]\nevents = 400\n'
NO_PLOTS = {"limits.csv", "cutflow.csv", "summary.json", "nminus1.csv"}


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analysis") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(analysis: Path) -> ReachResult:
    """One small reach result, computed once for the tests that only write."""
    res = run_invisible(load_analysis(str(analysis)), [5 * MeV, 200 * MeV], seed=1,
                        events_per_mass=150)
    assert res.nminus1 is not None
    return res


def _args(analysis: Path, out: Path, *extra: str) -> list[str]:
    return ["reach", "invisible", "--analysis", str(analysis), "--masses", "5MeV,200MeV",
            "--events-per-mass", "150", "--no-plots", "--quiet", "--out", str(out), *extra]


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _siblings(out: Path) -> list[str]:
    """Hidden entries next to ``out`` that belong to it (lock, temporary, moved aside)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _fake_run(monkeypatch: pytest.MonkeyPatch, res: ReachResult) -> None:
    """Let ``na64 reach invisible`` skip the computation and return ``res``."""
    monkeypatch.setattr("na64.reach.invisible.run_invisible", lambda *a, **k: res)


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {path.name} appeared: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{path.name} did not appear within {timeout} s")
        time.sleep(0.01)


# --- an existing result ------------------------------------------------------------------


@pytest.fixture
def computation_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command run in process that reaches the job's computation fails the test: "at
    once" means refused before any event is simulated."""
    import na64.reach.invisible as invisible

    def started(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the job started its computation")

    monkeypatch.setattr(invisible, "run_invisible", started)


def test_a_second_run_refuses_at_once_and_leaves_the_result(cli: Any, analysis: Path,
                                                             result: ReachResult,
                                                             tmp_path: Path,
                                                             computation_forbidden: None
                                                             ) -> None:
    out = tmp_path / "out"
    written = write_outputs(result, out, plots=False)
    assert {p.name for p in written} == NO_PLOTS
    assert all(p.parent == out and p.is_file() for p in written)
    before = _snapshot(out)
    code, _, err = cli(_args(analysis, out))  # refused before the computation
    assert code == 2
    line = _one_line(err)
    assert line == (f"na64: error: --out: {out} already holds a reach result; "
                    "pass --overwrite to replace it")
    assert _snapshot(out) == before
    assert _siblings(out) == []
    with pytest.raises(InputError, match="pass --overwrite"):
        write_outputs(result, out, plots=False)
    assert _snapshot(out) == before


def test_overwrite_replaces_the_whole_set(cli: Any, analysis: Path, result: ReachResult,
                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(result, out, plots=True)  # the old run has figures
    assert (out / "limits.png").is_file()
    code, _, err = cli(_args(analysis, out, "--seed", "2", "--overwrite"))
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == NO_PLOTS  # no stale limits.png
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 2
    assert "--overwrite" in summary["command"]
    assert _siblings(out) == []


def test_overwrite_through_the_api(result: ReachResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_outputs(result, out, plots=False, command="old")
    written = write_outputs(result, out, plots=False, command="new", overwrite=True)
    assert sorted(written) == sorted(out / n for n in NO_PLOTS)
    assert json.loads((out / "summary.json").read_text())["command"] == "new"
    assert _siblings(out) == []


def test_other_files_are_never_replaced(result: ReachResult, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(InputError, match="is not empty and does not hold a reach result"):
            write_outputs(result, mine, plots=False, overwrite=overwrite)
    # a reach result the user added a file to: --overwrite would delete it, so it refuses
    out = tmp_path / "out"
    write_outputs(result, out, plots=False)
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match=r"files na64 did not write \(notes.txt\)"):
        write_outputs(result, out, plots=False, overwrite=True)
    assert (mine / "notes.txt").read_text() == (out / "notes.txt").read_text() == "keep me"
    assert _siblings(mine) == _siblings(out) == []


def test_an_empty_directory_is_used(result: ReachResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_outputs(result, out, plots=False)
    assert {p.name for p in out.iterdir()} == NO_PLOTS
    assert NO_PLOTS <= OUTPUT_NAMES


# --- concurrent and killed runs -----------------------------------------------------------


def test_a_concurrent_run_fails_at_once(cli: Any, analysis: Path, tmp_path: Path,
                                        computation_forbidden: None) -> None:
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "na64", *_args(analysis, out, "--seed", "3")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(tmp_path / ".out.lock", first)
        code, _, err = cli(_args(analysis, out, "--overwrite"))
        assert code == 2
        assert _one_line(err).startswith(
            f"na64: error: --out: another na64 run is writing {out} right now")
        assert first.poll() is None  # the first one was still running...
        _, first_err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, first_err  # ...and completes normally
    assert {p.name for p in out.iterdir()} == NO_PLOTS
    assert json.loads((out / "summary.json").read_text())["seed"] == 3
    assert _siblings(out) == []


_KILL_WHILE_WRITING = """
import os, pickle, signal, sys
import na64.reach.outputs as outputs
with open(sys.argv[1], "rb") as fh:
    result = pickle.load(fh)
def die(*args, **kwargs):  # limits.csv and cutflow.csv are written by now
    os.kill(os.getpid(), signal.SIGKILL)
outputs.summary_dict = die
outputs.write_outputs(result, sys.argv[2], plots=False)
"""


def test_a_run_killed_while_writing_leaves_nothing_in_the_way(
        cli: Any, monkeypatch: pytest.MonkeyPatch, analysis: Path, result: ReachResult,
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    pickled = tmp_path / "result.pkl"
    pickled.write_bytes(pickle.dumps(result))
    proc = subprocess.run([sys.executable, "-c", _KILL_WHILE_WRITING, str(pickled), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not out.exists()
    left = _siblings(out)  # the stale lock file and the unfinished temporary directory
    assert ".out.lock" in left
    stale = [tmp_path / n for n in left if n.startswith(".out.tmp-")]
    assert len(stale) == 1
    assert (stale[0] / "limits.csv").is_file()
    _fake_run(monkeypatch, result)
    code, _, err = cli(_args(analysis, out))
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == NO_PLOTS
    assert _siblings(out) == []  # stale temporary directory and lock file gone


def test_a_run_killed_while_computing_does_not_block_the_next(
        analysis: Path, result: ReachResult, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "na64", *_args(analysis, out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(tmp_path / ".out.lock", proc)
    finally:
        proc.kill()
        proc.communicate()
    assert not out.exists()
    with reserve_output(out):
        write_outputs(result, out, plots=False)
    assert {p.name for p in out.iterdir()} == NO_PLOTS
    assert _siblings(out) == []


# --- a bad --out --------------------------------------------------------------------------


def _fails_at_once(cli: Any, analysis: Path, out: Path, expected: str) -> None:
    before = sorted(p.name for p in out.parent.iterdir()) if out.parent.is_dir() else None
    code, _, err = cli(_args(analysis, out))
    assert code == 2
    line = _one_line(err)
    assert line.startswith("na64: error: --out: ")
    assert expected in line
    if before is not None:
        assert sorted(p.name for p in out.parent.iterdir()) == before  # nothing created


def test_a_read_only_parent_fails_at_once(cli: Any, analysis: Path, tmp_path: Path,
                                          computation_forbidden: None) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("running as root: a read-only mode does not stop writing")
        _fails_at_once(cli, analysis, parent / "out", "cannot write into")
        assert list(parent.iterdir()) == []
        _fails_at_once(cli, analysis, parent / "sub" / "out", "cannot create the directory")
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o700)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a-file/out", "a-file is a file, not a directory"),
        ("a-file", "exists and is not a directory"),
        ("x" * 256, "is too long (256 bytes"),
        ("x" * 250, "is too long (250 bytes"),  # no room for the hidden siblings
    ],
    ids=["parent-is-a-file", "out-is-a-file", "name-too-long", "no-room-for-siblings"],
)
def test_a_bad_out_fails_at_once(cli: Any, analysis: Path, tmp_path: Path, name: str,
                                 expected: str, computation_forbidden: None) -> None:
    """The same code path as a read-only parent, and it works when running as root."""
    (tmp_path / "a-file").write_text("not a directory")
    _fails_at_once(cli, analysis, tmp_path / name, expected)
    assert (tmp_path / "a-file").read_text() == "not a directory"


# --- a file-system failure while writing --------------------------------------------------


def _disk_full_on_cutflow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CSV writer fail on cutflow.csv (after limits.csv) as on a full disk."""
    import na64.reach.outputs as outputs

    real = outputs.atomic_write_text

    def write(path: Any, text: str) -> None:
        if Path(path).name == "cutflow.csv":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, text)

    monkeypatch.setattr(outputs, "atomic_write_text", write)


def test_a_failed_write_leaves_no_partial_directory(monkeypatch: pytest.MonkeyPatch,
                                                    result: ReachResult,
                                                    tmp_path: Path) -> None:
    old = tmp_path / "old"
    write_outputs(result, old, plots=False)
    before = _snapshot(old)
    _disk_full_on_cutflow(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        write_outputs(result, tmp_path / "new", plots=False)
    with pytest.raises(OSError, match="No space left"):
        write_outputs(result, old, plots=False, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]
    assert _snapshot(old) == before  # the previous result is untouched


def test_a_failed_write_is_one_line_and_exit_1(cli: Any, monkeypatch: pytest.MonkeyPatch,
                                               analysis: Path, result: ReachResult,
                                               tmp_path: Path) -> None:
    _fake_run(monkeypatch, result)
    _disk_full_on_cutflow(monkeypatch)
    out = tmp_path / "out"
    code, _, err = cli(_args(analysis, out))
    assert code == 1
    line = _one_line(err)
    assert line.startswith(f"na64: error: --out: could not write {out}: No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_the_n_minus_1_figure_rendered_beside_gives_the_same_set(result: ReachResult,
                                                                tmp_path: Path) -> None:
    """The N−1 figure rendered by a worker (as the CLI does): the same files, the same
    tables, and the figures present, as when everything is rendered in this process."""
    from na64.run.side import SideJobs

    here = write_outputs(result, tmp_path / "here")
    with SideJobs(enabled=True) as jobs:
        beside = write_outputs(result, tmp_path / "beside", side=jobs)
    assert sorted(p.name for p in here) == sorted(p.name for p in beside)
    assert {"nminus1.png", "nminus1.pdf", "limits.png"} <= {p.name for p in beside}
    for name in ("limits.csv", "cutflow.csv", "nminus1.csv"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "beside" / name).read_bytes()
    assert all(p.stat().st_size > 0 for p in beside)
