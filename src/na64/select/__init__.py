"""Event selection: declarative cuts, cut-flow tables, N-1 distributions.

* :mod:`na64.select.cuts` — :class:`Cut`, :class:`Selection`, :class:`CutFlow`, :func:`efficiency`.
* :mod:`na64.select.invisible` — the NA64 invisible-mode default selection.
* :mod:`na64.select.visible` — the NA64 visible-mode (e+e− decay) default selection.
* :mod:`na64.select.muon` — the NA64mu missing-momentum default selection.
"""

from __future__ import annotations

from .cuts import Cut, CutFlow, Op, Selection, efficiency
from .invisible import (
    DEFAULT_COLUMNS,
    hcal_outside_shield,
    invisible_selection,
    with_shield_decays,
)
from .muon import MUON_COLUMNS, muon_selection
from .visible import VISIBLE_COLUMNS, visible_selection

__all__ = [
    "DEFAULT_COLUMNS",
    "MUON_COLUMNS",
    "VISIBLE_COLUMNS",
    "Cut",
    "CutFlow",
    "Op",
    "Selection",
    "efficiency",
    "hcal_outside_shield",
    "invisible_selection",
    "muon_selection",
    "visible_selection",
    "with_shield_decays",
]
