"""Ctrl-C at safe points: an interrupt of a production is raised where the run can stop.

Python raises :class:`KeyboardInterrupt` wherever the main thread happens to be when SIGINT
arrives: inside the import machinery, a weak-reference callback or a finalizer (where the
exception is printed as "ignored" and lost, so that an interrupted run went on and exited
with status 0), or half-way through numba's loading or compilation of a kernel (native
state left half-built for the interpreter's exit).  A signal handler that calls
:func:`request` instead only records the interrupt while a production's chunk loop runs
inside :func:`deferred`; the loop and the executors call :func:`check` between chunks (and
the process pool while it waits for results, every :data:`POLL_INTERVAL` seconds), which
raises the :class:`KeyboardInterrupt` there.  Outside such a region :func:`request` returns
False and the handler raises at once, as Python's default handler does.

Only the main thread's signal handler calls :func:`request`; the state is per process.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

__all__ = ["POLL_INTERVAL", "check", "deferred", "request"]

#: Seconds between two checks of a process pool waiting for its workers' results.
POLL_INTERVAL = 0.1

_lock = threading.Lock()
_depth = 0
_pending = False


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A region whose code calls :func:`check` at its safe points (nestable).

    An interrupt recorded in the region and not yet raised by a :func:`check` is raised
    when the region ends normally.
    """
    global _depth, _pending
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            raise_now = _pending and _depth == 0
            if _depth == 0:
                _pending = False
    if raise_now:
        raise KeyboardInterrupt


def request() -> bool:
    """Record a Ctrl-C; True if a :func:`deferred` region will raise it at its next safe
    point, False if none is active (the caller raises then)."""
    global _pending
    with _lock:
        if _depth == 0:
            return False
        _pending = True
        return True


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a Ctrl-C was recorded (a safe point)."""
    global _pending
    with _lock:
        if not _pending:
            return
        _pending = False
    raise KeyboardInterrupt
