"""Ctrl-C at safe points (:mod:`na64.run.interrupts`).

A SIGINT handled by ``na64 simulate``'s handler inside a production's chunk loop is only
recorded, and raised between chunks or while the process pool waits: never inside a
weak-reference callback (where Python prints the exception as ignored and drops it, so
that an interrupted run went on to exit with status 0), a finalizer or numba's loading of a
kernel.  Outside the loop it is raised at once.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
import weakref
from pathlib import Path

import pytest

from na64.cli.simulate import _second_ctrl_c_exits
from na64.run import LocalExecutor, ProcessExecutor, interrupts


def test_outside_a_region_the_request_is_refused() -> None:
    assert interrupts.request() is False
    interrupts.check()  # nothing recorded: no exception


def test_a_recorded_interrupt_is_raised_at_the_next_check_only() -> None:
    steps: list[str] = []

    def region() -> None:
        with interrupts.deferred():
            assert interrupts.request() is True
            steps.append("after the request")  # the code up to the safe point runs
            interrupts.check()
            steps.append("after the check")

    with pytest.raises(KeyboardInterrupt):
        region()
    assert steps == ["after the request"]
    interrupts.check()  # raised once, then forgotten


def test_an_interrupt_not_checked_is_raised_at_the_end_of_the_region() -> None:
    with pytest.raises(KeyboardInterrupt), interrupts.deferred():
        interrupts.request()
    interrupts.check()


def _record(i: int) -> int:
    if i == 1:
        interrupts.request()  # a Ctrl-C while chunk 1 is computed
    return i


def test_the_local_executor_stops_between_items() -> None:
    seen: list[int] = []

    def region() -> None:
        with interrupts.deferred():
            for _, result in LocalExecutor().map_unordered(_record, [0, 1, 2, 3]):
                seen.append(result)

    with pytest.raises(KeyboardInterrupt):
        region()
    assert seen == [0, 1]  # item 1 completed, item 2 never started


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_the_process_pool_stops_while_it_waits() -> None:
    timer = threading.Timer(0.5, interrupts.request)
    with ProcessExecutor(1) as ex:
        list(ex.map_unordered(_sleep, [0.0]))  # the worker is started
        start = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt), interrupts.deferred():
            list(ex.map_unordered(_sleep, [60.0]))
        waited = time.monotonic() - start
    timer.join()
    assert waited < 30.0  # not the 60 s of the running task


class _Blob:
    pass


def test_a_sigint_inside_a_weakref_callback_is_not_lost(tmp_path: Path) -> None:
    """The signal arrives while a weak-reference callback runs: the handler must not raise
    there (the exception would be printed as ignored and lost); the next safe point does."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        pytest.skip("signal handlers live in the main thread")
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fired: list[bool] = []

    def callback(_ref: object) -> None:
        fired.append(True)
        signal.raise_signal(signal.SIGINT)  # handled before the callback returns

    def region() -> None:
        with _second_ctrl_c_exits(tmp_path / "x.chunks"), interrupts.deferred():
            blob = _Blob()
            ref = weakref.ref(blob, callback)
            del blob
            gc.collect()
            assert fired == [True]
            assert ref() is None
            interrupts.check()
            pytest.fail("the interrupt was lost")

    try:
        with pytest.raises(KeyboardInterrupt):
            region()
    finally:
        signal.signal(signal.SIGINT, previous)
