"""Event selection: declarative cuts, cut-flow tables, N-1 distributions.

* :mod:`na64.select.cuts` — :class:`Cut`, :class:`Selection`, :class:`CutFlow`, :func:`efficiency`.
* :mod:`na64.select.invisible` — the NA64 invisible-mode default selection.
"""

from __future__ import annotations

from .cuts import Cut, CutFlow, Op, Selection, efficiency
from .invisible import DEFAULT_COLUMNS, invisible_selection

__all__ = ["DEFAULT_COLUMNS", "Cut", "CutFlow", "Op", "Selection", "efficiency", "invisible_selection"]
