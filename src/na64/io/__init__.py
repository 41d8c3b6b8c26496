"""Input and output: atomic writes, provenance, columnar event files.

The event-file functions (:mod:`na64.io.events`, which imports pyarrow) are loaded on
first use, so ``from na64.io import atomic_path`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .atomic import atomic_path, atomic_write_bytes, atomic_write_text

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "event_writer",
    "iter_events",
    "make_provenance",
    "num_events",
    "read_events",
    "read_provenance",
    "write_events",
]

_LAZY = {
    "event_writer": "events",
    "iter_events": "events",
    "num_events": "events",
    "read_events": "events",
    "read_provenance": "events",
    "write_events": "events",
    "make_provenance": "provenance",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
