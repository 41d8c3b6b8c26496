"""Executors: one interface, results as they complete, same results everywhere."""

from __future__ import annotations

import concurrent.futures as cf
import math
from pathlib import Path

import numpy as np
import pytest

from na64.errors import InputError
from na64.io.events import read_events
from na64.run import (
    DaskExecutor,
    LocalExecutor,
    ProcessExecutor,
    make_executor,
    run_production,
)


def lgamma_sum(n: int) -> float:
    """log(n!) summed the slow way; compared with math.lgamma(n + 1)."""
    return float(np.sum(np.log(np.arange(1, n + 1, dtype=np.float64))))


@pytest.mark.parametrize("factory", [LocalExecutor, lambda: ProcessExecutor(2)])
def test_map_unordered_returns_every_result_once(factory) -> None:  # type: ignore[no-untyped-def]
    items = [1, 10, 100, 1000, 5000]
    with factory() as ex:
        got = dict(ex.map_unordered(lgamma_sum, items))
    assert sorted(got) == list(range(len(items)))
    for i, n in enumerate(items):
        # Stirling-free reference: lgamma(n + 1) = log n!; float sum error << 1e-9 relative
        assert got[i] == pytest.approx(math.lgamma(n + 1), rel=1e-9)


def test_dask_local_cluster_gives_identical_events(tmp_path: Path) -> None:
    from test_run_production import ToyShower

    src = ToyShower()
    run_production(src, tmp_path / "local.parquet", n_events=600, seed=11, chunk_size=100)
    with DaskExecutor(workers=2) as ex:
        got = dict(ex.map_unordered(lgamma_sum, [10, 20]))
        assert got[1] == pytest.approx(math.lgamma(21), rel=1e-12)
        summary = run_production(src, tmp_path / "dask.root", n_events=600, seed=11,
                                 chunk_size=100, executor=ex)
    assert summary.chunks_computed == 6
    a, b = read_events(tmp_path / "local.parquet"), read_events(tmp_path / "dask.root")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "slurm"}, "--executor"),
        ({"kind": "processes", "workers": 0}, "--workers"),
        ({"kind": "local", "workers": 4}, "--workers"),
        ({"kind": "processes", "scheduler": "tcp://h:1"}, "--scheduler"),
        ({"kind": "dask", "scheduler": "h:8786"}, "--scheduler"),
    ],
)
def test_make_executor_rejects_bad_options(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        make_executor(**kwargs)  # type: ignore[arg-type]


def test_make_executor_builds_requested_kind() -> None:
    assert isinstance(make_executor("local"), LocalExecutor)
    ex = make_executor("processes", 3)
    assert isinstance(ex, ProcessExecutor)
    assert ex.workers == 3
    assert ex.worker_pids() == []  # lazily started: no processes before the first task


def test_dask_existing_scheduler_address(tmp_path: Path) -> None:
    from distributed import LocalCluster
    from test_run_production import ToyShower

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        with DaskExecutor(scheduler=cluster.scheduler_address) as ex:
            summary = run_production(ToyShower(), tmp_path / "a.parquet", n_events=200, seed=2,
                                     chunk_size=50, executor=ex)
            assert ex.workers == 1  # taken from the scheduler, not from the argument
        assert summary.chunks_computed == 4
    run_production(ToyShower(), tmp_path / "b.parquet", n_events=200, seed=2, chunk_size=50)
    a, b = read_events(tmp_path / "a.parquet"), read_events(tmp_path / "b.parquet")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_unreachable_scheduler_is_an_input_error() -> None:
    ex = DaskExecutor(scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)
    with pytest.raises(InputError, match="--scheduler: cannot reach"):
        list(ex.map_unordered(lgamma_sum, [1]))
    ex.close()


def _square_and_pid(x: int) -> tuple[int, int]:
    import os

    return x * x, os.getpid()


def test_the_main_process_helps_until_the_workers_return() -> None:
    """``main_helps``: every task's result once, the same as the pool's alone; the main
    process takes tasks from the back while no worker has returned."""
    import os

    from na64.run.executors import ProcessExecutor

    items = list(range(40))
    with ProcessExecutor(2, main_helps=True) as ex:
        got = dict(ex.map_unordered(_square_and_pid, items))
    assert sorted(got) == items
    assert all(got[i][0] == i * i for i in items)
    mine = [i for i in items if got[i][1] == os.getpid()]
    assert mine, "the main process ran no task while the workers started"
    assert mine == list(range(len(items) - len(mine), len(items)))  # the back of the list
    assert len(mine) < len(items)  # the front of the list went to the pool


def test_the_main_process_works_while_the_first_worker_starts(monkeypatch) -> None:
    """A pool whose first submission blocks (a fresh forkserver importing its preload) is
    fed from a thread: the main process runs tasks meanwhile, and every task's result
    still comes back exactly once."""
    import threading
    import time

    from na64.run.executors import ProcessExecutor

    started = threading.Event()
    results: list[int] = []

    class SlowStartingPool:
        """Submissions go to threads; the first one blocks for a while."""

        def __init__(self) -> None:
            self._inner = cf.ThreadPoolExecutor(2)
            self._first = True

        def submit(self, fn, *args):
            if self._first:
                self._first = False
                time.sleep(1.0)
                started.set()
            return self._inner.submit(fn, *args)

    pool = SlowStartingPool()
    ex = ProcessExecutor(2, main_helps=True)
    monkeypatch.setattr(ex, "_get_pool", lambda: pool)
    monkeypatch.setattr(ex, "worker_pids", lambda: [])
    before_start = 0
    for i, r in ex.map_unordered(lambda x: x * x, list(range(30))):
        if not started.is_set():
            before_start += 1
        results.append(i)
        assert r == i * i
    pool._inner.shutdown()
    assert sorted(results) == list(range(30))
    assert before_start >= 1, "the main process waited for the first worker"
