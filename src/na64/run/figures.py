"""Figures rendered by a helper process while the caller goes on.

Rendering a figure (layout, rasterising the PNG, writing the PDF) is single-threaded CPU
work of a few seconds per figure.  A job that writes several figures can hand some of them
to :class:`FigureJobs`: one worker process (a :class:`~na64.run.executors.ProcessExecutor`,
so it dies with its parent and leaves Ctrl-C to it) that imports the plotting libraries as
soon as it is created, while the job still computes, and then renders what it is given
while the main process renders the rest.  With one CPU, or ``enabled=False``, every figure
is rendered in the calling process, in the order given: the files are the same.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from .executors import ProcessExecutor

__all__ = ["PRELOAD_MODULES", "FigureJobs"]

R = TypeVar("R")

#: Modules the worker imports while it waits for its first figure.
PRELOAD_MODULES: tuple[str, ...] = (
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_pdf",
    "mplhep",
    "na64.plots.limits",
)


def _preload(modules: tuple[str, ...]) -> int:
    """Import ``modules`` in the worker (its first task); the number imported."""
    for name in modules:
        importlib.import_module(name)
    return len(modules)


class FigureJobs:
    """Render figures beside the caller: :meth:`render` now, :meth:`wait` for the files.

    Parameters
    ----------
    enabled
        Use a worker process.  When false, or when the machine has a single CPU, figures
        are rendered in the calling process at :meth:`render`.
    preload
        Modules the worker imports at once (by default :data:`PRELOAD_MODULES`).

    Notes
    -----
    Use it as a context manager around the whole job: the worker is started on entry, so
    its imports overlap the computation, and stopped on exit (at once on an error).
    A figure function must be picklable (a module-level function) and return what it
    wrote; an exception raised while rendering is raised again by :meth:`wait`.
    """

    def __init__(self, enabled: bool = True, *,
                 preload: tuple[str, ...] = PRELOAD_MODULES) -> None:
        self.enabled = bool(enabled) and (os.cpu_count() or 1) > 1
        self._executor: ProcessExecutor | None = None
        self._futures: list[cf.Future[Any]] = []
        self._done: list[Any] = []
        if self.enabled:
            self._executor = ProcessExecutor(workers=1)
            self._executor.submit(_preload, tuple(preload))

    def render(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> None:
        """Render ``fn(*args, **kwargs)`` on the worker (or here, when disabled)."""
        if self._executor is None:
            self._done.append(fn(*args, **kwargs))
        else:
            self._futures.append(self._executor.submit(fn, *args, **kwargs))

    def wait(self) -> list[Any]:
        """The results of every figure given to :meth:`render` so far, in that order.

        Raises
        ------
        Exception
            Whatever a figure function raised (the other figures are still waited for).
        """
        results, self._done = self._done, []
        futures, self._futures = self._futures, []
        cf.wait(futures)
        results += [f.result() for f in futures]
        return results

    def close(self) -> None:
        """Stop the worker (after the figures it was given)."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    def __enter__(self) -> FigureJobs:
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
