"""Curves shipped or supplied as text: two columns ``mass_GeV, value``.

Kept apart from the figures (:mod:`na64.plots.limits`, which re-exports the reader) so that
a job reads the published limits it compares with without importing matplotlib.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from hepunits import GeV
from numpy.typing import NDArray

from ..errors import InputError

__all__ = ["read_overlay_csv"]


def read_overlay_csv(
    path: str | os.PathLike[str],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Read a user curve: two columns ``mass_GeV, value`` (comma or whitespace separated).

    Lines starting with ``#`` and blank lines are ignored; a first line that is not numeric is
    taken as a header.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    (masses, values)
        Masses in internal units (MeV) and the values, in file order (closed contours of
        visible-mode results are kept as they are).

    Raises
    ------
    InputError
        ``field = "overlay"``: missing / unreadable file, a malformed line (with its number),
        fewer than two points, non-finite or non-positive numbers.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError("overlay", f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("overlay", f"{p}: cannot read ({exc})") from None
    rows: list[tuple[float, float]] = []
    seen_data = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [x for x in line.replace(",", " ").replace(";", " ").split() if x]
        try:
            vals = [float(x) for x in parts]
        except ValueError:
            if not seen_data and not rows:
                seen_data = True  # header line
                continue
            raise InputError(
                "overlay",
                f"{p}: line {lineno}: expected two numbers 'mass_GeV, value', got {line!r}",
            ) from None
        seen_data = True
        if len(vals) != 2:
            raise InputError(
                "overlay",
                f"{p}: line {lineno}: expected 2 columns (mass_GeV, value), got {len(vals)}",
            )
        if not all(math.isfinite(v) and v > 0 for v in vals):
            raise InputError(
                "overlay",
                f"{p}: line {lineno}: mass and value must be finite and > 0, got {line!r}",
            )
        rows.append((vals[0], vals[1]))
    if len(rows) < 2:
        raise InputError(
            "overlay", f"{p}: needs at least 2 data rows (mass_GeV, value), got {len(rows)}"
        )
    arr = np.array(rows, dtype=np.float64)
    return arr[:, 0] * GeV, arr[:, 1]
