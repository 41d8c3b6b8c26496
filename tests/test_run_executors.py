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


_FORKED_POOL = """
import os, sys, threading
from na64.run.executors import ProcessExecutor, fork_hazard

SEEN = []  # pids of the processes that ran a task before this one, in this memory

def task(x):
    seen = list(SEEN)
    SEEN.append(os.getpid())
    return x * x, os.getpid(), seen

if __name__ == "__main__":
    assert fork_hazard() is None, fork_hazard()
    if sys.argv[1] == "thread":  # a thread alive when the pool starts: no fork
        stop = threading.Event()
        threading.Thread(target=stop.wait, name="busy", daemon=True).start()
        assert "busy" in fork_hazard()
    with ProcessExecutor(2, "fork", main_helps=True) as ex:
        got = dict(ex.map_unordered(task, list(range(30))))
        method = ex.method_used
    main = os.getpid()
    assert sorted(got) == list(range(30)) and all(got[i][0] == i * i for i in got)
    workers = {pid for _, pid, _ in got.values()} - {main}
    assert workers, "no task ran on a worker"
    # what a worker remembers from before its first task: the main process's tasks
    # (forked), or nothing (a fresh worker)
    first = [min(i for i in got if got[i][1] == pid) for pid in workers]
    seen = [got[i][2] for i in first]
    print(method, all(main in s for s in seen), all(not s for s in seen))
"""


@pytest.mark.parametrize(("alive", "method", "warm"),
                         [("none", "fork", True), ("thread", "forkserver", False)])
def test_a_forking_pool_forks_warm_workers_only_when_safe(
        tmp_path: Path, alive: str, method: str, warm: bool) -> None:
    """A ``fork`` pool whose main process helps runs the last task itself, then forks
    workers that hold what that task left in memory (compiled kernels in production);
    with another thread alive in the main process it falls back to the forkserver, whose
    workers start fresh.  Results are the same either way."""
    import subprocess
    import sys

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no fork on this platform")
    script = tmp_path / "forked_pool.py"
    script.write_text(_FORKED_POOL)
    res = subprocess.run([sys.executable, str(script), alive], capture_output=True,
                         text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [method, str(warm), str(not warm)]


def test_fork_hazard_names_the_threads_that_make_forking_unsafe() -> None:
    import threading

    from na64.run.executors import fork_hazard

    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="na64-test-busy", daemon=True)
    t.start()
    try:
        reason = fork_hazard()
        assert reason is not None
        assert "na64-test-busy" in reason
    finally:
        stop.set()
        t.join()
    # from another thread than the main one, forking is never considered safe
    box: list[str | None] = []
    t = threading.Thread(target=lambda: box.append(fork_hazard()))
    t.start()
    t.join()
    assert box[0] is not None
    assert "main thread" in box[0]


def test_make_executor_forks_its_pools_on_linux() -> None:
    import sys

    ex = make_executor("processes", 2)
    assert isinstance(ex, ProcessExecutor)
    assert ex.start_method == ("fork" if sys.platform.startswith("linux") else ex.start_method)
    with pytest.raises(ValueError, match="start_method"):
        ProcessExecutor(2, "threads")


_ONE_TASK = """
import os
from na64.run.executors import ProcessExecutor

def task(x):
    return x * x, os.getpid()

if __name__ == "__main__":
    with ProcessExecutor(2, "fork", main_helps=True) as ex:
        got = dict(ex.map_unordered(task, [7]))
        print(got[0] == (49, os.getpid()), ex.worker_pids() == [], ex.method_used)
"""


def test_a_forking_pool_with_one_task_runs_it_here_and_starts_no_worker(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("no fork on this platform")
    script = tmp_path / "one_task.py"
    script.write_text(_ONE_TASK)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["True", "True", "None"]
