"""One worker process beside the main one, for a job's side tasks.

A job whose main line is single-threaded (a reach job run in process: signal points, then
limits, then figures) leaves the second core idle.  :class:`SideJobs` is one worker process
(a :class:`~na64.run.executors.ProcessExecutor`, so it dies with its parent and leaves
Ctrl-C to it) that imports what it will need as soon as it is created, while the job still
starts, and then takes the tasks handed to it: a background estimate computed while the
main process simulates the signal, a figure rendered while the main process renders the
others.  A task's result does not depend on where it runs; with one CPU, or
``enabled=False``, every task runs in the calling process when it is submitted.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from .executors import ProcessExecutor

__all__ = ["LATER_MODULES", "PRELOAD_MODULES", "SideJobs"]

R = TypeVar("R")
T = TypeVar("T")

#: Modules the worker imports while it waits for its first task (the event pipeline and
#: the searches).
PRELOAD_MODULES: tuple[str, ...] = ("na64.reach",)

#: Modules the worker imports once it has no task left from :meth:`SideJobs.map_unordered`
#: (the plotting libraries, for the figures that follow).
LATER_MODULES: tuple[str, ...] = (
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_pdf",
    "mplhep",
    "na64.plots.limits",
)


def _preload(modules: tuple[str, ...]) -> int:
    """Import ``modules`` in the worker (its first task); the number imported.  The worker
    runs na64's tasks only: numba's extension entry points are skipped
    (:mod:`na64._numba_extensions`)."""
    from .._numba_extensions import skip_extensions

    skip_extensions()
    for name in modules:
        importlib.import_module(name)
    return len(modules)


class SideJobs:
    """Side tasks on one worker process: :meth:`submit` or :meth:`render`, then
    :meth:`wait`.

    Parameters
    ----------
    enabled
        Use a worker process.  When false, or when the machine has a single CPU, tasks
        run in the calling process at :meth:`submit`.
    preload
        Modules the worker imports at once (by default :data:`PRELOAD_MODULES`).
    later
        Modules it imports when :meth:`map_unordered` has no task left for it (by default
        :data:`LATER_MODULES`), while this process finishes the last ones.

    Notes
    -----
    Use it as a context manager around the whole job: the worker is started on entry, so
    its imports overlap the job's start, and stopped on exit (at once on an error).
    A task function must be picklable (a module-level function) and so must its
    arguments and result; an exception raised by a task is raised again by
    ``Future.result()`` or :meth:`wait`.
    """

    def __init__(self, enabled: bool = True, *,
                 preload: tuple[str, ...] = PRELOAD_MODULES,
                 later: tuple[str, ...] = LATER_MODULES) -> None:
        self.enabled = bool(enabled) and (os.cpu_count() or 1) > 1
        self._executor: ProcessExecutor | None = None
        self._rendered: list[cf.Future[Any]] = []
        self._later = tuple(later)
        if self.enabled:
            # a peer of the main process (which waits for its results): not niced
            # no forkserver preload: the worker imports what its tasks need itself, at the
            # same time as this process (a preload would delay the worker's start)
            self._executor = ProcessExecutor(workers=1, niceness=0, preload=())
            self._executor.submit(_preload, tuple(preload))

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> cf.Future[R]:
        """Run ``fn(*args, **kwargs)`` on the worker; the future of its result.

        Without a worker the task runs now and the future is already done (its exception,
        if any, kept in it).
        """
        if self._executor is not None:
            return self._executor.submit(fn, *args, **kwargs)
        future: cf.Future[R] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]
                      ) -> Iterator[tuple[int, R]]:
        """Run ``fn`` on every item, the worker taking them from the front of the list and
        this process from the back (:meth:`ProcessExecutor.map_helping`); yield
        ``(position, result)`` as they complete (in order without a worker)."""
        if self._executor is None:
            for i, item in enumerate(items):
                yield i, fn(item)
        else:
            # the worker runs one thread on a core of its own: this process' parallel
            # kernels take the other cores (not all, which would make three threads share
            # two cores and slow both processes)
            import numba

            threads = numba.get_num_threads()
            numba.set_num_threads(max(1, min(threads, (os.cpu_count() or 2) - 1)))
            try:
                yield from self._executor.map_helping(fn, items, until_warm=False)
            finally:
                numba.set_num_threads(threads)
            if self._later:
                self._executor.submit(_preload, self._later)
                self._later = ()

    def render(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> None:
        """:meth:`submit` a figure; :meth:`wait` returns what it wrote."""
        self._rendered.append(self.submit(fn, *args, **kwargs))

    def wait(self) -> list[Any]:
        """The results of every figure given to :meth:`render` so far, in that order.

        Raises
        ------
        Exception
            Whatever a figure function raised (the other figures are still waited for).
        """
        futures, self._rendered = self._rendered, []
        cf.wait(futures)
        return [f.result() for f in futures]

    def close(self) -> None:
        """Stop the worker (after the tasks it was given)."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    def __enter__(self) -> SideJobs:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._executor is None:
            return
        if exc_type is None:
            self.close()
        else:
            self._executor.terminate()
            self._executor = None
