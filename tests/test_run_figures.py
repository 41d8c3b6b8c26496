"""Figures rendered beside the caller (:class:`na64.run.figures.FigureJobs`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from na64.run.figures import FigureJobs


def _write(path: str, text: str) -> list[Path]:
    Path(path).write_text(text, encoding="utf-8")
    return [Path(path)]


def _fail(message: str) -> list[Path]:
    raise ValueError(message)


def _pid() -> int:
    return os.getpid()


@pytest.mark.parametrize("enabled", [False, True])
def test_results_in_the_order_given(tmp_path: Path, enabled: bool) -> None:
    with FigureJobs(enabled=enabled, preload=()) as jobs:
        for i in range(3):
            jobs.render(_write, str(tmp_path / f"f{i}.txt"), f"figure {i}")
        results = jobs.wait()
    assert results == [[tmp_path / f"f{i}.txt"] for i in range(3)]
    assert [p.read_text(encoding="utf-8") for p in sorted(tmp_path.iterdir())] == [
        f"figure {i}" for i in range(3)]


def test_enabled_renders_in_another_process_disabled_here() -> None:
    with FigureJobs(enabled=False) as here:
        here.render(_pid)
        assert here.wait() == [os.getpid()]
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: figures are rendered in the calling process")
    with FigureJobs(enabled=True, preload=()) as beside:
        beside.render(_pid)
        (pid,) = beside.wait()
    assert pid != os.getpid()


@pytest.mark.parametrize("enabled", [False, True])
def test_an_error_while_rendering_is_raised_by_wait(enabled: bool) -> None:
    with FigureJobs(enabled=enabled, preload=()) as jobs:
        if enabled:
            jobs.render(_fail, "broken figure")
            with pytest.raises(ValueError, match="broken figure"):
                jobs.wait()
        else:
            with pytest.raises(ValueError, match="broken figure"):
                jobs.render(_fail, "broken figure")


def test_the_worker_ends_with_the_block() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: no worker")
    with FigureJobs(enabled=True) as jobs:
        jobs.render(_pid)
        (pid,) = jobs.wait()
        executor = jobs._executor
        assert executor is not None
        assert pid in executor.worker_pids()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_error_in_the_block_stops_the_worker_at_once() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: no worker")
    pids: list[int] = []

    def job() -> None:
        with FigureJobs(enabled=True, preload=()) as jobs:
            jobs.render(_pid)
            pids.extend(jobs.wait())
            raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        job()
    (pid,) = pids
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
