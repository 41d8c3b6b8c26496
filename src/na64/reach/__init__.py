"""Sensitivity and limits of a search: analysis file in, limits, cut-flow and plots out.

An analysis file (:func:`load_analysis`) chooses the parts of a search by name: setup and beam
(the shared :class:`na64.pipeline.EventPipeline`), model and signal processes
(:mod:`na64.generate.processes`), selection, background sources (:mod:`na64.background`);
:class:`Search` assembles them.  The invisible-mode job (:func:`run_invisible`) is signal
generation and selection per mass (:meth:`Search.signal_point`), the background estimate,
the CLs limits of :mod:`na64.stats` and the N−1 distributions; :func:`write_outputs` writes
``limits.csv``, ``cutflow.csv``, ``nminus1.csv``, ``summary.json`` and the figures, each
atomically.

Examples
--------
>>> from na64.reach import load_analysis, run_invisible
>>> from na64.units import MeV
>>> cfg = load_analysis("invisible_2016_2018")
>>> res = run_invisible(cfg, [10 * MeV], seed=1, events_per_mass=300)  # doctest: +SKIP
>>> res.eps_90  # doctest: +SKIP
"""

from __future__ import annotations

from .config import (
    AnalysisConfig,
    BackgroundConfig,
    RunConfig,
    SelectionConfig,
    SignalConfig,
    load_analysis,
)
from .invisible import (
    PROJECTIONS,
    InvisiblePlan,
    ReachResult,
    invisible_task,
    plan_invisible,
    run_invisible,
    seed_layout,
)
from .nminus1 import NMinus1, nminus1_distributions
from .outputs import LIMIT_COLUMNS, limits_table, summary_dict, write_outputs
from .search import Search, SignalPoint

__all__ = [
    "LIMIT_COLUMNS",
    "PROJECTIONS",
    "AnalysisConfig",
    "BackgroundConfig",
    "InvisiblePlan",
    "NMinus1",
    "ReachResult",
    "RunConfig",
    "Search",
    "SelectionConfig",
    "SignalConfig",
    "SignalPoint",
    "invisible_task",
    "limits_table",
    "load_analysis",
    "nminus1_distributions",
    "plan_invisible",
    "run_invisible",
    "seed_layout",
    "summary_dict",
    "write_outputs",
]
