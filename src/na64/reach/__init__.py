"""Sensitivity and limits of a search: analysis file in, limits, cut-flow and plots out.

The invisible-mode chain (:func:`run_invisible`) is signal generation and selection per mass
(:func:`signal_point`), the background estimate (:func:`na64.background.estimate_background`)
and the CLs limits of :mod:`na64.stats`; :func:`write_outputs` writes ``limits.csv``,
``cutflow.csv``, ``summary.json`` and the figures, each atomically.

Examples
--------
>>> from na64.reach import load_analysis, run_invisible
>>> from na64.units import MeV
>>> cfg = load_analysis("invisible_2016_2018")
>>> res = run_invisible(cfg, [10 * MeV], seed=1, events_per_mass=300)  # doctest: +SKIP
>>> res.eps_90  # doctest: +SKIP
"""

from __future__ import annotations

from .config import AnalysisConfig, RunConfig, SelectionConfig, SignalConfig, load_analysis
from .events import EventBuilder
from .invisible import PROJECTIONS, ReachResult, run_invisible
from .outputs import LIMIT_COLUMNS, limits_table, summary_dict, write_outputs
from .signal import SignalPoint, signal_point

__all__ = [
    "LIMIT_COLUMNS",
    "PROJECTIONS",
    "AnalysisConfig",
    "EventBuilder",
    "ReachResult",
    "RunConfig",
    "SelectionConfig",
    "SignalConfig",
    "SignalPoint",
    "limits_table",
    "load_analysis",
    "run_invisible",
    "signal_point",
    "summary_dict",
    "write_outputs",
]
