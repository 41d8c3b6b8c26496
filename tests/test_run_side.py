"""Side tasks on a worker beside the caller (:class:`na64.run.side.SideJobs`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from na64.run.side import SideJobs


def _write(path: str, text: str) -> list[Path]:
    Path(path).write_text(text, encoding="utf-8")
    return [Path(path)]


def _fail(message: str) -> list[Path]:
    raise ValueError(message)


def _pid() -> int:
    return os.getpid()


@pytest.mark.parametrize("enabled", [False, True])
def test_results_in_the_order_given(tmp_path: Path, enabled: bool) -> None:
    with SideJobs(enabled=enabled, preload=()) as jobs:
        for i in range(3):
            jobs.render(_write, str(tmp_path / f"f{i}.txt"), f"figure {i}")
        results = jobs.wait()
    assert results == [[tmp_path / f"f{i}.txt"] for i in range(3)]
    assert [p.read_text(encoding="utf-8") for p in sorted(tmp_path.iterdir())] == [
        f"figure {i}" for i in range(3)]


def test_enabled_renders_in_another_process_disabled_here() -> None:
    with SideJobs(enabled=False) as here:
        here.render(_pid)
        assert here.wait() == [os.getpid()]
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: figures are rendered in the calling process")
    with SideJobs(enabled=True, preload=()) as beside:
        beside.render(_pid)
        (pid,) = beside.wait()
    assert pid != os.getpid()


@pytest.mark.parametrize("enabled", [False, True])
def test_an_error_while_rendering_is_raised_by_wait(enabled: bool) -> None:
    with SideJobs(enabled=enabled, preload=()) as jobs:
        jobs.render(_fail, "broken figure")
        with pytest.raises(ValueError, match="broken figure"):
            jobs.wait()
        future = jobs.submit(_fail, "broken task")
        with pytest.raises(ValueError, match="broken task"):
            future.result()


def test_the_worker_ends_with_the_block() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: no worker")
    with SideJobs(enabled=True) as jobs:
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
        with SideJobs(enabled=True, preload=()) as jobs:
            jobs.render(_pid)
            pids.extend(jobs.wait())
            raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        job()
    (pid,) = pids
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("enabled", [False, True])
def test_submit_gives_the_result(enabled: bool) -> None:
    with SideJobs(enabled=enabled, preload=()) as jobs:
        assert jobs.submit(divmod, 17, 5).result() == (3, 2)


def test_a_reach_job_with_its_background_beside_is_the_same(tmp_path: Path) -> None:
    """The background estimated on the side worker while the signal is simulated here:
    the same estimate and the same limits as the job run wholly in process."""
    import numpy as np

    from na64.reach import load_analysis, run_invisible
    from na64.units import MeV

    path = tmp_path / "small.toml"
    path.write_text('extends = "invisible_2016_2018"\nname = "small"\n[background]\n'
                    "events = 300\n", encoding="utf-8")
    config = load_analysis(str(path))
    kwargs = {"seed": 7, "events_per_mass": 120, "nminus1": False}
    here = run_invisible(config, [5 * MeV, 300 * MeV], **kwargs)
    with SideJobs(enabled=True) as side:
        beside = run_invisible(config, [5 * MeV, 300 * MeV], side=side, **kwargs)
    assert beside.background.per_eot == here.background.per_eot
    assert beside.background.per_eot_unc == here.background.per_eot_unc
    np.testing.assert_array_equal(beside.eps_90, here.eps_90)


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@pytest.mark.parametrize("enabled", [False, True])
def test_map_shares_the_tasks_with_the_worker(enabled: bool) -> None:
    """Every task once, the worker from the front and this process from the back."""
    items = list(range(30))
    with SideJobs(enabled=enabled, preload=()) as jobs:
        got = dict(jobs.map_unordered(_square_and_pid, items))
    assert sorted(got) == items
    assert all(got[i][0] == i * i for i in items)
    mine = [i for i in items if got[i][1] == os.getpid()]
    if not jobs.enabled:
        assert mine == items
    else:
        assert mine == list(range(len(items) - len(mine), len(items)))
        assert len(mine) <= len(items) - 2  # the first two went to the worker
