"""numba's extension entry points, which na64's own processes do not load.

Before a process's first compilation or cache load, numba runs the ``init`` entry point of
every installed package in the ``numba_extensions`` group
(``numba.core.entrypoints.init_all``).  Among na64's dependencies, awkward installs one (the
typing of awkward arrays in jitted functions): it imports awkward, ~0.2–0.35 s of the first
kernel call of every process.  na64's kernels take numpy arrays and scalars only, so the
processes na64 owns, its command line and the workers it forks, mark the extensions as
loaded without loading them.  A program that imports na64 as a library is left alone.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["skip_extensions"]

_MODULE = "numba.core.entrypoints"
#: numba's module-level flag that ``init_all`` sets on its first call (numba ≥ 0.49).
_FLAG = "_already_initialized"


def _mark(module: ModuleType) -> None:
    if hasattr(module, _FLAG):
        setattr(module, _FLAG, True)


class _MarkOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; when numba's entry-point module is imported, sets its flag
    right after the module has run."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != _MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        loader = spec.loader if spec is not None else None
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _mark(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def skip_extensions() -> None:
    """Make this process's first numba call skip the extension entry points.

    Costs nothing when numba is never used: the flag is set when numba's entry-point module
    is imported, or at once if it already is.  Idempotent.
    """
    module = sys.modules.get(_MODULE)
    if module is not None:
        _mark(module)
    elif not any(isinstance(f, _MarkOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _MarkOnImport())
