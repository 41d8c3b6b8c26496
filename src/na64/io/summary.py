"""Column summaries of event files, computed in one streaming pass (bounded memory).

The pass reads every column of every event through :func:`na64.io.events.iter_events`, which
verifies the Parquet page checksums and the consistency of the footer: a damaged file raises
:class:`~na64.errors.InputError` instead of being summarised with wrong numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .events import detect_format, iter_events, num_events, read_provenance

__all__ = ["ColumnSummary", "describe_file", "summarize_columns"]


@dataclass
class ColumnSummary:
    """Running statistics of one column over all its cells.

    ``min``, ``max`` and ``mean`` are over the finite cells (``None`` if there are none);
    ``n_nonfinite`` counts NaN and inf cells.  For booleans ``mean`` is the fraction true.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    n_cells: int = 0
    n_nonfinite: int = 0
    total: float = 0.0
    min: float | None = None
    max: float | None = None

    @property
    def mean(self) -> float | None:
        """Mean of the finite cells."""
        finite = self.n_cells - self.n_nonfinite
        return self.total / finite if finite > 0 else None

    def update(self, values: np.ndarray) -> None:
        """Add one batch of this column."""
        v = np.asarray(values, dtype=np.float64).ravel()
        finite = v[np.isfinite(v)]
        self.n_cells += v.size
        self.n_nonfinite += v.size - finite.size
        if finite.size:
            self.total += float(finite.sum())
            lo, hi = float(finite.min()), float(finite.max())
            self.min = lo if self.min is None else min(self.min, lo)
            self.max = hi if self.max is None else max(self.max, hi)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "name": self.name, "dtype": self.dtype, "shape": list(self.shape),
            "min": self.min, "mean": self.mean, "max": self.max,
            "n_nonfinite": self.n_nonfinite,
        }


def summarize_columns(path: str | os.PathLike[str], step: int = 100_000) -> list[ColumnSummary]:
    """Min, mean and max of every column of an event file, reading ``step`` events at a time.

    All columns are read (and so every Parquet page checksum verified), whatever the
    statistics need.

    Raises
    ------
    InputError
        ``FILE``: missing, damaged, foreign or non-numeric file.
    """
    summaries: dict[str, ColumnSummary] = {}
    for batch in iter_events(path, step=step):
        for name, arr in batch.items():
            if name not in summaries:
                summaries[name] = ColumnSummary(name, str(arr.dtype), tuple(arr.shape[1:]))
            summaries[name].update(arr)
    return list(summaries.values())


def describe_file(path: str | os.PathLike[str], step: int = 100_000) -> dict[str, Any]:
    """Format, number of events, provenance and column summary of an event file.

    Raises
    ------
    InputError
        ``FILE``: missing, damaged, foreign or non-numeric file (see :func:`summarize_columns`).
    """
    return {
        "file": str(path),
        "format": detect_format(path),
        "n_events": num_events(path),
        "provenance": read_provenance(path),
        "columns": [c.to_dict() for c in summarize_columns(path, step)],
    }
