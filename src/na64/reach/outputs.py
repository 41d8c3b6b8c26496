"""Files written by a reach job: limits.csv, cutflow.csv, nminus1.csv, summary.json, figures.

Every file is written atomically (temporary file + rename, :mod:`na64.io.atomic`): an
interrupted job leaves complete files from an earlier run or none, never a truncated one.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_write_text
from ..units import GeV
from .config import Y_ALPHA_D
from .invisible import PROJECTIONS, ReachResult

__all__ = ["LIMIT_COLUMNS", "Y_ALPHA_D", "limits_table", "summary_dict", "write_outputs"]

#: Columns of ``limits.csv`` (masses in GeV; ε and y are dimensionless).
LIMIT_COLUMNS = [
    "mass_GeV",
    "epsilon_90cl",
    "epsilon_expected",
    "epsilon_expected_m1s",
    "epsilon_expected_p1s",
    "epsilon_expected_m2s",
    "epsilon_expected_p2s",
    "y_90cl",
    "y_expected",
    *[f"y_90cl_alpha_d_{a:g}" for a in Y_ALPHA_D],
    *[f"epsilon_expected_{k}eot" for k in PROJECTIONS],
    "signal_per_eot_eps1",
    "signal_per_eot_eps1_unc",
    "efficiency",
    "efficiency_unc",
    "production_per_eot_eps1",
    "annihilation_signal_per_eot_eps1",
    "annihilation_production_per_eot_eps1",
]


def _finite(x: float) -> float:
    return float(x) if math.isfinite(float(x)) else 0.0


def limits_table(result: ReachResult) -> list[dict[str, float]]:
    """One row per mass with the columns :data:`LIMIT_COLUMNS`."""
    rows = []
    y_obs = result.y_of(result.eps_90)
    y_exp = result.y_of(result.eps_expected["median"])
    y_alpha = {a: result.y_of(result.eps_90_for(a), alpha_d=a) for a in Y_ALPHA_D}
    for i, p in enumerate(result.points):
        row = {
            "mass_GeV": p.mass / GeV,
            "epsilon_90cl": result.eps_90[i],
            "epsilon_expected": result.eps_expected["median"][i],
            "epsilon_expected_m1s": result.eps_expected["m1"][i],
            "epsilon_expected_p1s": result.eps_expected["p1"][i],
            "epsilon_expected_m2s": result.eps_expected["m2"][i],
            "epsilon_expected_p2s": result.eps_expected["p2"][i],
            "y_90cl": y_obs[i],
            "y_expected": y_exp[i],
            **{f"y_90cl_alpha_d_{a:g}": y_alpha[a][i] for a in Y_ALPHA_D},
            **{f"epsilon_expected_{k}eot": result.projections[k][i] for k in PROJECTIONS},
            "signal_per_eot_eps1": p.yield_per_eot,
            "signal_per_eot_eps1_unc": p.yield_per_eot_unc,
            "efficiency": p.efficiency,
            "efficiency_unc": p.efficiency_unc,
            "production_per_eot_eps1": p.production,
            "annihilation_signal_per_eot_eps1": p.annihilation_yield,
            "annihilation_production_per_eot_eps1": p.annihilation_production,
        }
        rows.append({k: _finite(v) for k, v in row.items()})
    return rows


def _csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def cutflow_rows(result: ReachResult) -> list[dict[str, Any]]:
    """Long-format cut-flow: one row per (sample, mass, cut).

    Signal rows carry the weighted yield per EOT at ε = 1 after each cut; background rows
    the expected events per EOT after each cut of that source's simulated sample.
    """
    rows: list[dict[str, Any]] = []
    for p in result.points:
        first = p.cutflow[0][1] if p.cutflow else 0.0
        prev = first
        for name, w, w_unc in p.cutflow:
            rows.append({
                "sample": "signal", "mass_GeV": p.mass / GeV, "cut": name,
                "per_eot": _finite(w), "per_eot_unc": _finite(w_unc),
                "efficiency_cumulative": _finite(w / first) if first > 0 else 0.0,
                "efficiency_relative": _finite(w / prev) if prev > 0 else 0.0,
            })
            prev = w
    for src in result.background.sources:
        first = src.cutflow[0][1] if src.cutflow else 0.0
        prev = first
        for name, w, w_unc in src.cutflow:
            rows.append({
                "sample": f"background:{src.name}", "mass_GeV": 0.0, "cut": name,
                "per_eot": _finite(w), "per_eot_unc": _finite(w_unc),
                "efficiency_cumulative": _finite(w / first) if first > 0 else 0.0,
                "efficiency_relative": _finite(w / prev) if prev > 0 else 0.0,
            })
            prev = w
    return rows


def summary_dict(result: ReachResult, *, command: str = "",
                 options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON summary: exposure, observed, background, efficiencies, limits' inputs.

    ``command`` is the shortest command line reproducing the run; ``options`` (optional)
    every command-line option with its value, defaults included.
    """
    bkg = result.background
    eot = result.eot
    b, b_unc = bkg.events(eot)
    source_events = [s.events(eot) for s in bkg.sources]
    return {
        "na64_version": result.version,
        "command": command,
        "options": dict(options or {}),
        "analysis": result.config.name,
        "setup": result.config.setup,
        "beam": result.config.beam,
        "energy_GeV": result.config.energy / GeV,
        "model": result.config.signal.model,
        "coupling": {"name": result.model_info["coupling_name"],
                     "unit": result.model_info["coupling_unit"],
                     "limit_columns": [c for c in LIMIT_COLUMNS
                                       if c.startswith(result.model_info["coupling_name"])]},
        "signal": {"processes": list(result.config.signal.processes),
                   "method": result.config.signal.method,
                   "x_max": result.config.signal.x_max,
                   "alpha_d": result.config.signal.alpha_d,
                   "mass_ratio": result.config.signal.mass_ratio,
                   "chi": result.config.signal.chi},
        "seed": result.seed,
        "eot": eot,
        "runs": [{"name": r.name, "eot": r.eot, "observed": r.observed,
                  "efficiency_scale": r.efficiency_scale} for r in result.runs],
        "observed": result.observed,
        "expected_background": _finite(b),
        "expected_background_unc": _finite(b_unc),
        "background_sources": [
            {"name": s.name, "events": _finite(ev), "events_unc": _finite(ev_unc),
             "method": s.method, "simulated_events": s.n_simulated,
             "per_eot": _finite(s.per_eot), "per_eot_unc": _finite(s.per_eot_unc),
             "notes": list(s.notes)}
            for s, (ev, ev_unc) in zip(bkg.sources, source_events, strict=True)
        ],
        "background_notes": list(bkg.notes),
        "background_source_names": list(result.config.background.sources),
        "signal_upper_limit_90cl": _finite(result.s_up),
        "signal_upper_limit_expected": {k: _finite(v) for k, v in result.s_expected.items()},
        "signal_yield_rel_uncertainty": result.config.signal.yield_rel_uncertainty,
        "efficiency_per_mass": [
            {"mass_GeV": p.mass / GeV, "efficiency": _finite(p.efficiency),
             "efficiency_unc": _finite(p.efficiency_unc),
             "e_aprime_min_GeV": p.e_min / GeV,
             "production_per_eot_eps1": _finite(p.production),
             "signal_per_eot_eps1": _finite(p.yield_per_eot),
             "primary_emission_fraction": _finite(p.primary_fraction),
             "annihilation_production_per_eot_eps1": _finite(p.annihilation_production),
             "annihilation_signal_per_eot_eps1": _finite(p.annihilation_yield),
             "events": p.n_events}
            for p in result.points
        ],
        "projections_eot": dict(PROJECTIONS),
        "warnings": list(result.warnings),
        "elapsed_s": round(result.elapsed_s, 2),
    }


def write_outputs(
    result: ReachResult,
    out_dir: str | Path,
    *,
    command: str = "",
    options: Mapping[str, Any] | None = None,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
    plots: bool = True,
) -> list[Path]:
    """Write limits.csv, cutflow.csv, summary.json, limits(_y).png/.pdf and, when the result
    has them, nminus1.csv and nminus1.png/.pdf into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "limits.csv"
    atomic_write_text(path, _csv_text(limits_table(result), LIMIT_COLUMNS))
    written.append(path)
    path = out / "cutflow.csv"
    atomic_write_text(path, _csv_text(cutflow_rows(result), [
        "sample", "mass_GeV", "cut", "per_eot", "per_eot_unc", "efficiency_cumulative",
        "efficiency_relative"]))
    written.append(path)
    path = out / "summary.json"
    atomic_write_text(path, json.dumps(summary_dict(result, command=command, options=options), indent=2) + "\n")
    written.append(path)
    if plots:
        from .plots import plot_reach

        written += plot_reach(result, out, overlays=overlays)
    if result.nminus1 is not None:
        from .nminus1 import write_nminus1

        written += write_nminus1(result.nminus1, out, plots=plots)
    return written


