"""``na64 simulate`` under process faults: kill -9, Ctrl-C (once or twice), a failing final move.

Whatever the fault, no process of the run outlives its main process for more than a few
seconds, the fault is reported in one line on stderr (never a traceback), and ``--resume``
completes the checkpoint to exactly the events of an uninterrupted run.  Every subprocess
is bounded in time; its whole session is killed at the end of the test whatever happened.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from na64.cli import main
from na64.io.events import read_events
from na64.run import chunk_dir_for

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

CliRunner = Callable[[list[str]], tuple[int, str, str]]

N, CHUNK, SEED = 60_000, 3_000, 3  # 20 chunks on 2 workers: still running after the first
RUN_TIMEOUT = 120.0  # seconds for one complete run (a shared machine may be slow)
GONE_TIMEOUT = 10.0  # seconds for every process of a killed or interrupted run to go


def _args(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "na64", "simulate", "--events", str(N), "--chunk-size",
            str(CHUNK), "--seed", str(SEED), "--executor", "processes", "--workers", "2",
            "--out", str(out), "--quiet", *extra]


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """The events of an uninterrupted run (the local executor gives the same events)."""
    out = tmp_path_factory.mktemp("reference") / "run.parquet"
    with contextlib.suppress(SystemExit):
        main(["simulate", "--events", str(N), "--chunk-size", str(CHUNK), "--seed", str(SEED),
              "--executor", "local", "--out", str(out), "--quiet"])
    return read_events(out)


def _session_processes(sid: int) -> list[str]:
    """Live (not zombie) processes of session or process group ``sid``: ``"pid cmdline"``."""
    proc = Path("/proc")
    if not proc.is_dir():  # no /proc: ask the process group
        try:
            os.killpg(sid, 0)
        except ProcessLookupError:
            return []
        return [f"group {sid}"]
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # gone meanwhile
        state, pgrp, session = fields[0], int(fields[2]), int(fields[3])
        if state != "Z" and sid in (pgrp, session):
            found.append(f"{entry.name} {cmdline[:100]}")
    return found


def _wait_until_gone(sid: int, what: str) -> None:
    deadline = time.monotonic() + GONE_TIMEOUT
    while left := _session_processes(sid):
        if time.monotonic() > deadline:
            pytest.fail(f"{GONE_TIMEOUT} s after {what}, processes of the run remain: {left}")
        time.sleep(0.05)


@contextlib.contextmanager
def _started(out: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``na64 simulate`` in a session of its own, stderr to ``log``; killed at the end."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(_args(out), start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=GONE_TIMEOUT)


def _wait_for_a_chunk(proc: subprocess.Popen[bytes], out: Path) -> None:
    """Until a chunk is finished: its file in ``<out>.chunks/`` or its record in the manifest."""
    directory = chunk_dir_for(out)
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before the fault could be injected"
        if any(directory.glob("chunk_*.parquet")):
            return
        with contextlib.suppress(OSError, ValueError, KeyError):
            chunks = json.loads((directory / "manifest.json").read_text())["chunks"]
            if any(c["status"] != "pending" for c in chunks):
                return
        time.sleep(0.02)
    pytest.fail(f"no chunk finished within {RUN_TIMEOUT} s")


def _resume(out: Path) -> None:
    try:
        done = subprocess.run(_args(out, "--resume"), capture_output=True, text=True,
                              timeout=RUN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"--resume did not complete within {RUN_TIMEOUT} s")
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    assert not chunk_dir_for(out).exists()


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_size) for p in directory.iterdir()}


def test_kill_9_takes_the_workers_along_and_resume_completes(
    tmp_path: Path, reference: dict[str, np.ndarray]
) -> None:
    out = tmp_path / "run.parquet"
    with _started(out, tmp_path / "stderr.txt") as proc:
        _wait_for_a_chunk(proc, out)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only
        killed_at = time.time()
        proc.wait(timeout=GONE_TIMEOUT)
        # workers, forkserver and resource tracker: all gone within seconds
        _wait_until_gone(proc.pid, "kill -9 of the main process")
    directory = chunk_dir_for(out)
    files = _snapshot(directory)
    # nothing written after the kill (but for the instants a worker needs to notice it) ...
    late = sorted(name for name, (mtime, _) in files.items() if mtime / 1e9 > killed_at + 2.0)
    assert not late, f"written after the main process was killed: {late}"
    time.sleep(0.5)
    assert _snapshot(directory) == files  # ... nor later
    assert not out.exists()
    _resume(out)
    assert_same(read_events(out), reference)


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_promptly_and_resume_completes(
    tmp_path: Path, reference: dict[str, np.ndarray], presses: int
) -> None:
    """Ctrl-C sends SIGINT to the whole process group; a second one 0.2 s later must not hang."""
    out = tmp_path / "run.parquet"
    log = tmp_path / "stderr.txt"
    with _started(out, log) as proc:
        _wait_for_a_chunk(proc, out)
        for press in range(presses):
            if press:
                time.sleep(0.2)
            with contextlib.suppress(ProcessLookupError):  # already gone after the first
                os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=GONE_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {GONE_TIMEOUT} s after {presses} Ctrl-C")
        err = log.read_text()
        assert proc.returncode == 130, err
        _wait_until_gone(proc.pid, "Ctrl-C")
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("na64:")]
    assert 1 <= len(lines) <= presses, err
    assert all("rerun with --resume" in line for line in lines), err
    if presses == 1:
        assert err.strip().splitlines() == lines, err  # one line, nothing else
        assert re.fullmatch(r"na64: interrupted: \d+ of 20 chunks are saved in .*\.chunks; "
                            r"rerun with --resume", lines[0]), lines[0]
    assert not out.exists()
    if presses == 2:  # (resume after one Ctrl-C: tests/test_cli_simulate.py)
        _resume(out)
        assert_same(read_events(out), reference)


def _small_run(out: Path, *extra: str) -> list[str]:
    return ["simulate", "--events", "2000", "--chunk-size", "500", "--seed", "4", "--executor",
            "local", "--out", str(out), "--quiet", *extra]


def _fail_final_move(monkeypatch: pytest.MonkeyPatch, out: Path, error: OSError) -> None:
    """``os.replace`` (as the production module calls it) fails when it moves onto ``out``."""
    import na64.run.production as production

    real = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == out:
            raise type(error)(error.errno, error.strerror, str(src), None, str(dst))
        real(src, dst)

    monkeypatch.setattr(production.os, "replace", replace)


@pytest.mark.parametrize(
    ("fmt", "error"),
    [
        ("parquet", PermissionError(errno.EACCES, "Permission denied")),
        ("parquet", OSError(errno.ENOSPC, "No space left on device")),
        ("root", PermissionError(errno.EACCES, "Permission denied")),
        ("dataset", PermissionError(errno.EACCES, "Permission denied")),
    ],
)
def test_failing_final_move_is_one_line_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner, fmt: str, error: OSError
) -> None:
    out = tmp_path / ("run" if fmt == "dataset" else f"run.{fmt}")
    _fail_final_move(monkeypatch, out, error)
    code, stdout, err = cli(_small_run(out, "--format", fmt))
    assert code == 1, err
    assert stdout == ""
    assert err.startswith("na64: error: "), err
    assert err.count("\n") == 1, err
    assert f"{type(error).__name__}: [Errno {error.errno}] {error.strerror}" in err, err
    assert "rerun with --resume" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{out.name}.chunks"]  # no lock file
    assert (chunk_dir_for(out) / "manifest.json").is_file()  # the checkpoint
    monkeypatch.undo()
    code, _, err = cli(_small_run(out, "--format", fmt, "--resume"))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    fresh = tmp_path / "fresh" / out.name
    assert cli(_small_run(fresh, "--format", fmt))[0] == 0
    assert_same(read_events(out), read_events(fresh))


def test_failing_lock_clean_up_does_not_hide_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    """A directory that became read-only: the final move fails, and so does removing the lock."""
    out = tmp_path / "run.parquet"
    _fail_final_move(monkeypatch, out, PermissionError(errno.EACCES, "Permission denied"))
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith(".lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    code, _, err = cli(_small_run(out))
    assert code == 1, err
    assert err.count("\n") == 1, err
    assert f"-> '{out}'" in err  # the final move's error, not the lock file's
    monkeypatch.undo()
    code, _, err = cli(_small_run(out, "--resume"))  # the file left behind blocks nobody
    assert code == 0, err
    assert out.is_file()
