"""Executors: run independent tasks locally, on a process pool, or on a Dask cluster.

All executors share one interface, :meth:`Executor.map_unordered`: give it a picklable
top-level function and a list of arguments, get back ``(index, result)`` pairs *as tasks
complete* (not in submission order).  Closing the iterator early (an exception or Ctrl-C
in the consumer) cancels the tasks not yet started (a process pool also stops the running
ones).

* :class:`LocalExecutor` runs tasks one after the other in this process (debugging,
  profiling, tiny runs).
* :class:`ProcessExecutor` uses :class:`concurrent.futures.ProcessPoolExecutor` with the
  ``forkserver`` start method (``spawn`` where forkserver does not exist), ``workers``
  processes, one task at a time each; the pools of :func:`make_executor` fork their
  workers from this process instead, where that is safe (see :class:`ProcessExecutor`).
  Workers ignore Ctrl-C (the main process decides and stops them) and exit as soon as the
  main process is gone, even after ``kill -9``: each holds the read end of a pipe whose
  only write end lives in the main process.
* :class:`DaskExecutor` uses :mod:`dask.distributed`: a :class:`~distributed.LocalCluster`
  of ``workers`` single-threaded worker processes, or an existing scheduler at
  ``tcp://host:port``.

Scaling beyond one machine
--------------------------
Start a Dask cluster anywhere and point na64 at its scheduler.  With dask-jobqueue on a
SLURM (or HTCondor, PBS, ...) batch system::

    # start_cluster.py -- keep it running while na64 works
    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="2GB", walltime="04:00:00")
    cluster.scale(jobs=200)            # 200 single-core batch jobs become workers
    print(cluster.scheduler_address)   # e.g. tcp://10.1.2.3:8786
    input("press enter to stop")

then, from any node that reaches the scheduler::

    na64 simulate ... --executor dask --scheduler tcp://10.1.2.3:8786 --out /shared/run.parquet

The workers must run the same na64 version and see the output directory (a shared
file system): each worker writes its chunk file itself, only checksums travel back.
Equivalently from Python: ``DaskExecutor(scheduler="tcp://10.1.2.3:8786")``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from types import FrameType, TracebackType
from typing import Any, Literal, Protocol, TypeVar

from ..errors import InputError
from . import interrupts

log = logging.getLogger(__name__)

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorKind",
    "LocalExecutor",
    "ProcessExecutor",
    "fork_hazard",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")
ExecutorKind = Literal["local", "processes", "dask"]

#: Thread-count variables pinned to 1 inside worker processes (one task per core).
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


#: Scheduling niceness added to worker processes: the main process, which merges the
#: finished chunks into the output while the workers simulate, keeps its share of the CPU.
WORKER_NICENESS = 5


#: Modules the forkserver imports before it forks the first worker, by default: the event
#: pipeline and the simulation's compiled kernels (:mod:`na64.run._kernel_preload`).
FORKSERVER_PRELOAD: tuple[str, ...] = ("na64.run._kernel_preload",)


#: Seconds to wait for stopped worker processes before killing them.
_STOP_GRACE = 2.0


def _worker_init(lifeline: Connection | None = None, niceness: int = WORKER_NICENESS,
                 inherited: Connection | None = None) -> None:
    """Worker initializer: one thread, lower priority, Ctrl-C left to the parent, dies with it.

    Parameters
    ----------
    niceness
        Added to the worker's nice value (0: the same priority as the main process).
    lifeline
        Read end of a pipe whose write end only the main process holds.  A daemon thread
        waits on it and ends the worker with :func:`os._exit` when it reaches end of file,
        that is as soon as the main process closes it or dies (even by ``SIGKILL``): an
        orphaned worker never goes on writing chunks.  The forkserver, which exits when its
        last worker does, goes with them.
    inherited
        The pipe's write end, in a worker forked from the main process (which inherits it
        with every other descriptor): closed here, or the worker would keep its own
        lifeline open.
    """
    if inherited is not None:
        with contextlib.suppress(OSError):
            inherited.close()
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")
    with contextlib.suppress(OSError, AttributeError):  # no os.nice on Windows
        if niceness:
            os.nice(niceness)
    # Ctrl-C in a terminal reaches the whole process group: the main process handles it
    # (saves its checkpoint, stops the workers); a worker must not die half-way on its own.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked in a worker forked by the pool
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if lifeline is not None:
        threading.Thread(target=_exit_with_parent, args=(lifeline,), name="na64-lifeline",
                         daemon=True).start()


def fork_hazard() -> str | None:
    """Why forking this process now would be unsafe, or ``None`` when it is safe.

    A forked child holds only the thread that forked: a lock another thread held at that
    moment (a console being written, a queue being fed) stays locked in the child for
    good, and numba's thread pool does not survive a fork.  Safe therefore means: called
    from the main thread, no other Python thread alive, numba's parallel thread pool not
    launched.  (NumPy's BLAS threads are prepared for fork by the library itself.)
    """
    if threading.current_thread() is not threading.main_thread():
        return "not called from the main thread"
    others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if others:
        return f"other threads run ({', '.join(sorted(others))})"
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if parallel is not None and getattr(parallel, "_is_initialized", False):
        return "numba's thread pool is running"
    return None


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while the block runs (from the main thread; elsewhere do nothing).

    Processes started meanwhile inherit the ignored signal: a Ctrl-C in a terminal reaches
    the whole process group, and a worker must not die of it before its initializer runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while the block runs (where POSIX signal masks exist).

    A Ctrl-C meanwhile stays pending and is delivered when the block ends: this process
    loses none.  A process forked meanwhile starts with SIGINT blocked and nothing pending;
    :func:`_worker_init` ignores the signal, then unblocks it.
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # pragma: no cover - Windows
        yield
        return
    previous = mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def _ensure_forkserver() -> None:
    """Start the forkserver if it is not running, with SIGINT ignored in it from its start.

    A Ctrl-C in a terminal reaches the whole process group; the forkserver sets SIGINT to
    be ignored only once its preload is imported, and would die with a traceback before.
    An ignored signal stays ignored across ``exec`` (and Python then installs no handler of
    its own), so SIGINT is ignored in this process while the forkserver is spawned (a few
    milliseconds) when that is possible, i.e. from the main thread.
    """
    from multiprocessing import forkserver

    with _sigint_ignored():
        forkserver.ensure_running()


def _exit_with_parent(lifeline: Connection) -> None:
    """Block until the main process closes ``lifeline`` (or dies), then end this process."""
    while True:
        try:
            lifeline.recv_bytes()
        except (EOFError, OSError):
            break
    os._exit(1)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back SIGINT while the block runs (a short teardown that must not be cut).

    A SIGINT arriving meanwhile is passed to the previous handler afterwards (raising
    :class:`KeyboardInterrupt` by default).  Only in the main thread, and only when a
    Python handler is installed; elsewhere the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield
        return
    caught: list[tuple[int, FrameType | None]] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append((signum, frame))

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            previous(*caught[0])


class Executor(Protocol):
    """A way to run independent tasks; results come back as they complete."""

    name: str
    workers: int

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Run ``fn(item)`` for every item; yield ``(position in items, result)``."""
        ...

    def close(self) -> None:
        """Release workers and clusters."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _Base:
    name = "base"
    workers = 1

    def close(self) -> None:
        """Release resources (nothing to do by default)."""

    def __enter__(self) -> Any:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def describe(self) -> str:
        """Short human-readable description, e.g. ``"processes (2 workers)"``."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class LocalExecutor(_Base):
    """Run tasks sequentially in the calling process."""

    name = "local"

    def __init__(self) -> None:
        self.workers = 1

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Run ``fn`` on each item in order; yield ``(position, result)``.

        A Ctrl-C recorded by :func:`na64.run.interrupts.request` is raised before the next
        item (:func:`na64.run.interrupts.check`)."""
        for i, item in enumerate(items):
            interrupts.check()
            yield i, fn(item)


class ProcessExecutor(_Base):
    """A pool of ``workers`` processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Parameters
    ----------
    workers
        Number of worker processes (>= 1).
    start_method
        ``"forkserver"`` (default where available), ``"spawn"`` or ``"fork"``.  With
        ``"fork"`` the workers are forked from this process when the pool starts and
        begin with everything it has imported and compiled (no start-up of their own);
        that is done only when :func:`fork_hazard` finds it safe at that moment (no other
        thread, numba's thread pool not launched), the pool falling back to
        ``forkserver`` otherwise.  A forking pool whose main process helps
        (``main_helps``, :meth:`map_helping`) runs one task here before it forks, so that
        the workers inherit the compiled kernels that task loaded.
    niceness
        Added to the workers' nice value (default :data:`WORKER_NICENESS`, so that the
        main process keeps its share of the CPU; 0 for workers whose results the main
        process waits for as a peer).
    main_helps
        In :meth:`map_unordered`, the main process also runs tasks (the last ones, while
        the workers take them from the front) until every worker has returned a first
        result: the seconds in which the workers start (imports, compiled kernels
        loaded) are not lost.  A task's result must not depend on the process running it.
    preload
        Modules the forkserver imports before forking workers (default
        :data:`FORKSERVER_PRELOAD`).  The forkserver is shared by every pool of the process
        and started by the first: the first pool's list applies.
    preload_main
        The forkserver also imports the main script (as ``multiprocessing`` does by
        default), so that tasks and sources defined in it can be unpickled by the workers.
        The command line passes ``False``: its tasks live in the package, and its main
        module (the ``na64`` entry point) would only add the command-line interface's
        imports to every start.
    """

    name = "processes"

    def __init__(self, workers: int = 2, start_method: str | None = None, *,
                 niceness: int = WORKER_NICENESS, main_helps: bool = False,
                 preload: tuple[str, ...] = FORKSERVER_PRELOAD,
                 preload_main: bool = True) -> None:
        if workers < 1:
            raise InputError("--workers", f"must be >= 1, got {workers}")
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = _fallback_method()
        if start_method not in ("fork", "forkserver", "spawn") or start_method not in methods:
            raise ValueError(f"start_method must be one of {', '.join(methods)} "
                             f"(fork, forkserver or spawn), got {start_method!r}")
        self.workers = workers
        self.start_method = start_method
        self.niceness = int(niceness)
        self.main_helps = bool(main_helps)
        self.preload = (("__main__",) if preload_main else ()) + tuple(preload)
        self._pool: cf.ProcessPoolExecutor | None = None
        self._lifeline: tuple[Connection, Connection] | None = None
        #: start method of the running pool (``"fork"`` may have fallen back); None before
        self.method_used: str | None = None

    def start(self) -> None:
        """Begin starting the worker processes' server now, without waiting for it.

        With the ``forkserver`` method the server imports the preloaded modules (one to
        two seconds) before it can fork the first worker.  Called early, e.g. while the
        caller reads its setup, that time overlaps with the caller's own; otherwise the
        first task starts it.  Does nothing for ``spawn``, for ``fork`` (whose workers need
        no server) or once the server runs.
        """
        if self.start_method == "forkserver":
            self._start_forkserver()

    def _start_forkserver(self) -> None:
        multiprocessing.get_context("forkserver").set_forkserver_preload(list(self.preload))
        _ensure_forkserver()

    def _get_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            method = self.start_method
            if method == "fork":
                hazard = fork_hazard()
                if hazard is not None:
                    method = _fallback_method()
                    log.debug("not forking the workers (%s): using %s", hazard, method)
            if method == "forkserver":
                # the forkserver (started once per process, at the first pool or by
                # start()) imports what every worker needs; each forked worker starts with it
                self._start_forkserver()
            ctx = multiprocessing.get_context(method)
            reader, writer = ctx.Pipe(duplex=False)  # the writer stays in this process
            self._lifeline = (reader, writer)
            # (a forked worker inherits the writer with every descriptor and closes it)
            initargs: tuple[Any, ...] = (reader, self.niceness,
                                         writer if method == "fork" else None)
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=initargs,
            )
            self.method_used = method
            if method == "fork":
                # a forking pool forks all its workers at its first submission: do it now,
                # while the process is known to be safe to fork (and with SIGINT blocked,
                # as the workers then are until their initializer ignores it)
                with _sigint_blocked(), warnings.catch_warnings():
                    # Python >= 3.12 warns of any thread at a fork, the BLAS library's
                    # included, which prepares itself for fork (fork_hazard checked the rest)
                    warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork",
                                            category=DeprecationWarning)
                    self._pool.submit(_no_op)
        return self._pool

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> cf.Future[R]:
        """Run ``fn(*args, **kwargs)`` on a worker; the future of its result.

        For work that goes on beside the caller's (e.g. a figure rendered while the main
        process computes); :meth:`map_unordered` is the way to fan out a list of tasks.
        """
        return self._get_pool().submit(fn, *args, **kwargs)

    def worker_pids(self) -> list[int]:
        """Process ids of the live worker processes (empty before the first task)."""
        if self._pool is None:
            return []
        procs = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in procs.values() if p.pid is not None]

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Submit all items; yield ``(position, result)`` as tasks complete.

        With ``main_helps`` this process runs some of them too (see the class).

        A task that raises re-raises here; a worker killed by a signal raises
        :class:`concurrent.futures.process.BrokenProcessPool`.  Closing the iterator before
        the end (an exception or Ctrl-C in the consumer) stops the pool at once: tasks not
        started are cancelled and the running ones' workers are stopped (their results
        would be lost anyway); a later call starts a new pool.
        """
        completed = False
        try:
            if self.main_helps:
                yield from self._map_helping(fn, items)
            else:
                pool = self._get_pool()
                futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
                pending = set(futures)
                while pending:
                    # wait in short steps: a recorded Ctrl-C is raised here (a safe point)
                    done, pending = cf.wait(pending, timeout=interrupts.POLL_INTERVAL,
                                            return_when=cf.FIRST_COMPLETED)
                    interrupts.check()
                    for fut in sorted(done, key=futures.__getitem__):
                        yield futures[fut], fut.result()
            completed = True
        finally:
            if not completed:
                self.terminate()

    def map_helping(self, fn: Callable[[T], R], items: Sequence[T], *,
                    until_warm: bool = True) -> Iterator[tuple[int, R]]:
        """Like :meth:`map_unordered`, the main process running tasks from the back of the
        list: until every worker has returned once (``until_warm``, as ``main_helps``
        does), or to the end, as a peer of the workers (``until_warm=False``).
        """
        completed = False
        try:
            yield from self._map_helping(fn, items, until_warm)
            completed = True
        finally:
            if not completed:
                self.terminate()

    def _map_helping(self, fn: Callable[[T], R], items: Sequence[T],
                     until_warm: bool = True) -> Iterator[tuple[int, R]]:
        """The main process runs tasks from the back of the list until every worker has
        returned once (or, with ``until_warm`` false, until none is left).

        At most two tasks per worker wait in the pool, so that the back of the list stays
        with this process; the pool is refilled from the front as tasks complete.  A pool
        whose workers are not started yet is fed from a thread: submitting the first task
        waits for the first worker (a fresh forkserver imports the preloaded modules first,
        one to two seconds), in which this process already runs tasks.  A forking pool
        not started yet is started after this process has run the last task (see the class).
        """
        lock = threading.Lock()
        front = 0
        back = len(items)
        if self._pool is None and self.start_method == "fork" and back and fork_hazard() is None:
            back -= 1
            yield back, fn(items[back])
            if not back:  # that was the only task: no pool needed
                return
        pool = self._get_pool()
        futures: dict[cf.Future[R], int] = {}
        queued = 0  # tasks taken from the front and not yet returned
        returned = 0
        failure: list[BaseException] = []

        def feed() -> None:
            nonlocal front, queued
            while True:
                with lock:
                    if front >= back or queued >= 2 * self.workers:
                        return
                    i = front
                    front += 1
                    queued += 1
                fut = pool.submit(fn, items[i])
                with lock:
                    futures[fut] = i

        def feed_starting() -> None:
            try:
                feed()
            except BaseException as exc:  # re-raised by the main thread
                failure.append(exc)

        starter: threading.Thread | None = None
        if self.worker_pids():
            feed()
        else:
            starter = threading.Thread(target=feed_starting, name="na64-pool-start",
                                       daemon=True)
            starter.start()
        while True:
            interrupts.check()  # a recorded Ctrl-C is raised between tasks (a safe point)
            starting = starter is not None and starter.is_alive()
            if starter is not None and not starting:
                starter = None
                if failure:
                    raise failure[0]
            with lock:
                if not starting and queued == 0 and front >= back:
                    return
                here = (starting or returned < self.workers or not until_warm) and front < back
                if here:
                    back -= 1
                    index = back
            if here:
                yield index, fn(items[index])
                with lock:
                    ready = {f for f in futures if f.done()}
            else:
                with lock:
                    waiting = list(futures)
                if waiting:
                    ready = cf.wait(waiting, timeout=interrupts.POLL_INTERVAL,
                                    return_when=cf.FIRST_COMPLETED).done
                else:  # the first submissions are still on their way
                    assert starter is not None
                    starter.join(timeout=interrupts.POLL_INTERVAL)
                    ready = set()
            for fut in sorted(ready, key=futures.__getitem__):
                with lock:
                    i = futures.pop(fut)
                    queued -= 1
                returned += 1
                yield i, fut.result()
            if starter is None:
                feed()

    def terminate(self) -> None:
        """Stop the pool now: cancel the tasks not started, end the workers, release all.

        The pool's own thread cancels the pending tasks (so none is failed and cancelled at
        once), then the workers are told to exit through their lifeline, terminated if they
        linger for :data:`_STOP_GRACE` seconds and killed after as long again.  SIGINT is
        held back meanwhile: a second Ctrl-C cannot leave live workers behind, which the
        interpreter's exit handlers would wait for.
        """
        with _sigint_deferred():
            pool, self._pool = self._pool, None
            lifeline, self._lifeline = self._lifeline, None
            if pool is None:
                return
            procs = list((getattr(pool, "_processes", None) or {}).values())
            manager = getattr(pool, "_executor_manager_thread", None)
            pool.shutdown(wait=False, cancel_futures=True)
            _close_lifeline(lifeline)
            for stop in (None, "terminate", "kill"):
                alive = [proc for proc in procs if proc.is_alive()]
                if not alive:
                    break
                for proc in alive:
                    if stop is not None:
                        getattr(proc, stop)()
                deadline = time.monotonic() + _STOP_GRACE
                for proc in alive:
                    proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if manager is not None and manager.is_alive():
                manager.join(timeout=_STOP_GRACE)

    def close(self) -> None:
        """Shut the pool down, cancelling tasks that have not started.

        Running tasks complete first.  A pool broken by a killed worker may have lost its
        management thread (CPython can raise ``InvalidStateError`` there while failing
        cancelled futures); its surviving workers would then wait on the task queue forever
        and block interpreter exit, so it is stopped with :meth:`terminate`.
        """
        pool = self._pool
        if pool is None:
            return
        if getattr(pool, "_broken", False):
            self.terminate()
            return
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except BaseException:  # Ctrl-C while waiting: stop now rather than half-way
            self.terminate()
            raise
        self._pool = None
        lifeline, self._lifeline = self._lifeline, None
        _close_lifeline(lifeline)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # an error or Ctrl-C: running tasks are of no use any more
            self.terminate()


def _no_op() -> None:
    """A task that does nothing (submitted to make a forking pool fork its workers)."""


def _fallback_method() -> str:
    """``forkserver`` where it exists, else ``spawn``."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _close_lifeline(lifeline: tuple[Connection, Connection] | None) -> None:
    """Close both ends of a pool's lifeline: its workers see end of file and exit."""
    for conn in lifeline or ():
        with contextlib.suppress(OSError):
            conn.close()


class DaskExecutor(_Base):
    """Run tasks on Dask: a local cluster of ``workers`` processes or a running scheduler.

    Parameters
    ----------
    workers
        Number of single-threaded worker processes of the :class:`distributed.LocalCluster`
        started when no ``scheduler`` is given.
    scheduler
        Address of an existing scheduler, ``tcp://host:port`` (e.g. from dask-jobqueue,
        see the module docstring).  Its workers are used as they are.
    connect_timeout
        Seconds to wait for the scheduler before giving up with an :class:`InputError`.
    """

    name = "dask"

    def __init__(
        self, workers: int = 2, scheduler: str | None = None, connect_timeout: float = 10.0
    ) -> None:
        if workers < 1:
            raise InputError("--workers", f"must be >= 1, got {workers}")
        if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
            raise InputError(
                "--scheduler", f"must be a Dask scheduler address 'tcp://host:port', got {scheduler!r}"
            )
        self.workers = workers
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        self._client: Any = None
        self._cluster: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.scheduler is None:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                try:
                    self._client = Client(self.scheduler, timeout=f"{self.connect_timeout}s")
                except OSError as exc:
                    raise InputError(
                        "--scheduler", f"cannot reach the Dask scheduler {self.scheduler}: {exc}"
                    ) from None
                self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        return self._client

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Submit all items as Dask futures; yield ``(position, result)`` as they finish."""
        from distributed import as_completed

        client = self._get_client()
        futures = client.map(fn, list(items), pure=False)
        position = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                yield position[fut.key], fut.result()
        finally:
            client.cancel(futures)

    def describe(self) -> str:
        """Short human-readable description."""
        where = self.scheduler or "local cluster"
        return f"dask ({where}, {self.workers} worker{'s' if self.workers != 1 else ''})"

    def close(self) -> None:
        """Close the client and the local cluster, if one was started."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _default_pool_method() -> str:
    """The start method of :func:`make_executor`'s pools: ``fork`` on Linux (used when safe,
    see :class:`ProcessExecutor`), else the forkserver or spawn."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return _fallback_method()


def make_executor(
    kind: str = "local", workers: int | None = None, scheduler: str | None = None, *,
    preload_main: bool = True,
) -> LocalExecutor | ProcessExecutor | DaskExecutor:
    """Build an executor from command-line style options.

    Parameters
    ----------
    kind
        ``"local"``, ``"processes"`` or ``"dask"``.
    workers
        Number of workers (default: the number of CPU cores; 1 for ``local``).
    scheduler
        Dask scheduler address (only with ``kind="dask"``).
    preload_main
        For ``"processes"``: whether the workers' server imports the main script
        (:class:`ProcessExecutor`).

    Returns
    -------
    Executor
        For ``"processes"`` a :class:`ProcessExecutor` whose main process helps while the
        workers start (``main_helps``), and which forks its workers from this process on
        Linux when that is safe.

    Raises
    ------
    InputError
        Unknown kind, ``workers`` outside [1, 1024], or a scheduler without ``dask``.
    """
    if kind not in ("local", "processes", "dask"):
        raise InputError("--executor", f"must be one of local, processes, dask; got {kind!r}")
    if workers is not None and not 1 <= workers <= 1024:
        raise InputError("--workers", f"must be an integer in [1, 1024], got {workers}")
    if scheduler is not None and kind != "dask":
        raise InputError("--scheduler", "is only used with --executor dask")
    if kind == "local":
        if workers not in (None, 1):
            raise InputError("--workers", f"the local executor has 1 worker, got {workers}")
        return LocalExecutor()
    n = workers if workers is not None else max(1, os.cpu_count() or 1)
    if kind == "processes":
        return ProcessExecutor(n, _default_pool_method(), main_helps=True,
                               preload_main=preload_main)
    return DaskExecutor(n, scheduler)
