"""What a worker needs before its first task, imported once by the forkserver.

:class:`na64.run.executors.ProcessExecutor` starts its workers with the ``forkserver``
method.  The forkserver imports this module when it starts, so every worker it forks
begins with the event pipeline imported and numba's extension entry points loaded, instead
of each worker doing it on its own core before its first task
(:mod:`na64.run._kernel_preload` also loads the simulation's compiled kernels).  Nothing
here starts a thread: the forkserver stays safe to fork.
"""

from __future__ import annotations

import numba.core.entrypoints

from . import production, sources  # noqa: F401  (imported for the workers)

numba.core.entrypoints.init_all()
