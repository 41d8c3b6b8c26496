"""What a worker needs before its first task, imported once by the forkserver.

:class:`na64.run.executors.ProcessExecutor` starts its workers with the ``forkserver``
method.  The forkserver imports this module when it starts, so every worker it forks
begins with the event pipeline imported, instead of each worker doing it on its own core
before its first task (:mod:`na64.run._kernel_preload` also loads the simulation's compiled
kernels).  The workers run na64's tasks, whose kernels need no other package's numba
extension: numba's extension entry points are marked as loaded without being loaded
(:mod:`na64._numba_extensions`).  Nothing
here starts a thread: the forkserver stays safe to fork.
"""

from __future__ import annotations

from .._numba_extensions import skip_extensions

skip_extensions()

from . import production, sources  # noqa: E402, F401  (imported for the workers)
