"""Files written by ``na64 reach visible``: exclusion.csv, cutflow.csv, summary.json,
exclusion.png/.pdf and the N−1 distributions, written as one set (as
:mod:`na64.reach.outputs`: into a fresh directory renamed into place, under a lock).

``exclusion.csv`` has one row per mass: ``mass_GeV, epsilon_low, epsilon_high`` (empty
where nothing is excluded), the expected band (median, ±1σ edges), the projections, the
largest signal count and the coupling where it is reached, and per run group the production
and the selected yield at that coupling.  ε is the electron coupling in units of e: the
kinetic mixing of the dark photon, g_Xee/e of an X boson.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_directory, atomic_write_text
from ..units import GeV
from .outputs import CUTFLOW_COLUMNS, _csv_text, reserve_output
from .visible import PROJECTIONS_VISIBLE, VisibleResult, background_sources

__all__ = ["EXCLUSION_COLUMNS", "VISIBLE_OUTPUT_NAMES", "exclusion_table",
           "reserve_visible_output", "visible_summary", "write_visible_outputs"]

EXCLUSION_COLUMNS = [
    "mass_GeV", "epsilon_low", "epsilon_high",
    "epsilon_low_expected", "epsilon_high_expected",
    "epsilon_low_expected_m1s", "epsilon_high_expected_m1s",
    "epsilon_low_expected_p1s", "epsilon_high_expected_p1s",
    *[f"epsilon_{side}_expected_{k}eot" for k in PROJECTIONS_VISIBLE for side in ("low", "high")],
    "max_signal_events", "epsilon_at_max",
]

#: Every file the job writes; ``summary.json`` marks a result directory.
VISIBLE_OUTPUT_NAMES = frozenset({
    "exclusion.csv", "cutflow.csv", "summary.json", "nminus1.csv",
    *(f"{s}.{e}" for s in ("exclusion", "nminus1") for e in ("png", "pdf")),
})
_MARKER = "summary.json"
_WHAT = "a visible reach result"


def _owned(name: str) -> bool:
    return name in VISIBLE_OUTPUT_NAMES or (
        ".tmp" in name and any(name.startswith(f".{n}.") for n in VISIBLE_OUTPUT_NAMES))


def _num(x: float) -> str:
    """CSV text of an edge: empty where nothing is excluded."""
    return "" if not math.isfinite(float(x)) else f"{float(x):.6g}"


def exclusion_table(result: VisibleResult) -> list[dict[str, str]]:
    """The rows of ``exclusion.csv`` (text, masses in GeV)."""
    rows = []
    n = result.n_signal
    for i, m in enumerate(result.masses):
        j = int(np.argmax(n[i]))
        row = {
            "mass_GeV": f"{m / GeV:.6g}",
            "epsilon_low": _num(result.band.low[i]),
            "epsilon_high": _num(result.band.high[i]),
            "max_signal_events": f"{n[i, j]:.6g}",
            "epsilon_at_max": f"{result.couplings[j]:.6g}",
        }
        for key, suffix in (("median", ""), ("m1", "_m1s"), ("p1", "_p1s")):
            b = result.band_expected[key]
            row[f"epsilon_low_expected{suffix}"] = _num(b.low[i])
            row[f"epsilon_high_expected{suffix}"] = _num(b.high[i])
        for k, b in result.projections.items():
            row[f"epsilon_low_expected_{k}eot"] = _num(b.low[i])
            row[f"epsilon_high_expected_{k}eot"] = _num(b.high[i])
        rows.append(row)
    return rows


def cutflow_rows(result: VisibleResult) -> list[dict[str, Any]]:
    """Weighted signal cut-flow per run group and mass (at each point's reference coupling)
    and the background sources' cut-flows."""
    rows: list[dict[str, Any]] = []
    for (setup, energy), points in result.points.items():
        for p in points:
            first = p.cutflow[0][1] if p.cutflow else 0.0
            prev = first
            for name, w, e in p.cutflow:
                rows.append({
                    "sample": f"signal {setup} {energy / GeV:g} GeV eps={p.reference_coupling:.3g}",
                    "mass_GeV": f"{p.mass / GeV:.6g}", "cut": name, "per_eot": f"{w:.6g}",
                    "per_eot_unc": f"{e:.6g}",
                    "efficiency_cumulative": f"{w / first:.6g}" if first > 0 else "0",
                    "efficiency_relative": f"{w / prev:.6g}" if prev > 0 else "0",
                })
                prev = w
    for label, src, _ in background_sources(result):
        for name, w, e in src.cutflow:
            rows.append({"sample": f"background {label}: {src.name}", "mass_GeV": "",
                         "cut": name, "per_eot": f"{w:.6g}", "per_eot_unc": f"{e:.6g}",
                         "efficiency_cumulative": "", "efficiency_relative": ""})
    return rows


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def visible_summary(result: VisibleResult, *, command: str = "",
                    options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce and cite the run (JSON-serialisable)."""
    cfg = result.config
    closing = _finite(result.closing_mass / GeV)
    return {
        "na64_version": result.version,
        "command": command,
        "options": dict(options or {}),
        "analysis": cfg.model_dump(mode="json"),
        "mode": "visible",
        "model": result.model_info,
        "coupling": "electron coupling in units of e (epsilon of the dark photon, g_Xee/e "
                    "of an X boson)",
        "seed": result.seed,
        "eot": result.eot,
        "observed": result.observed,
        "runs": [{"name": r.name, "eot": r.eot, "observed": r.observed,
                  "energy_GeV": cfg.run_energy(r) / GeV, "setup": cfg.run_setup(r),
                  "efficiency_scale": r.efficiency_scale} for r in result.runs],
        "expected_background": result.b,
        "expected_background_unc": result.sigma_b,
        "background_sources": [
            {"group": label, "name": s.name, "per_eot": s.per_eot, "per_eot_unc": s.per_eot_unc,
             "events": s.per_eot * eot, "events_unc": s.per_eot_unc * eot, "method": s.method,
             "notes": list(s.notes)} for label, s, eot in background_sources(result)],
        "s_up": result.s_up,
        "s_expected": result.s_expected,
        "closing_mass_GeV": closing,
        "band": [{"mass_GeV": float(m / GeV), "epsilon_low": _finite(lo),
                  "epsilon_high": _finite(hi)}
                 for m, lo, hi in zip(result.masses, result.band.low, result.band.high,
                                      strict=True)],
        "signal": [{"setup": s, "energy_GeV": e / GeV, "mass_GeV": p.mass / GeV,
                    "production_per_eot_unit_coupling": p.production,
                    "selected_events_generated": int(p.weights.size),
                    "events_generated": p.n_events,
                    "reference_coupling": p.reference_coupling,
                    "yield_per_eot_at_reference": float(p.yield_per_eot(p.reference_coupling)[0]),
                    "pair_opening_angle_median_rad": p.pair_angle_median,
                    "pair_separation_median_mm": p.pair_separation_median}
                   for (s, e), ps in result.points.items() for p in ps],
        "warnings": list(result.warnings),
        "elapsed_s": result.elapsed_s,
    }


def published_bands() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """The published bands shipped with na64 (for the dark photon / vector X)."""
    from ..plots.band import read_band_csv

    ref = Path(str(resources.files("na64") / "data" / "published" / "na64_visible_2020.csv"))
    m, lo, hi = read_band_csv(ref)
    return [("NA64 2017+2018, 8.4e10 EOT (arXiv:1912.11389)", m, lo, hi)]


def reserve_visible_output(out_dir: str | Path, *, overwrite: bool = False
                           ) -> contextlib.AbstractContextManager[Path]:
    """Lock ``out_dir`` and check that a visible reach result may be written there
    (:func:`na64.reach.outputs.reserve_output` with this job's file names)."""
    return reserve_output(out_dir, overwrite=overwrite, owned=_owned, what=_WHAT)


def write_visible_outputs(result: VisibleResult, out_dir: str | Path, *, command: str = "",
                          options: Mapping[str, Any] | None = None, plots: bool = True,
                          overwrite: bool = False) -> list[Path]:
    """Write the output set of ``na64 reach visible`` into ``out_dir`` as a whole."""
    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker=_MARKER, owned=_owned, what=_WHAT,
                          field="--out") as tmp:
        written = []
        p = tmp / "exclusion.csv"
        atomic_write_text(p, _csv_text(exclusion_table(result), EXCLUSION_COLUMNS))
        written.append(p)
        p = tmp / "cutflow.csv"
        atomic_write_text(p, _csv_text(cutflow_rows(result), CUTFLOW_COLUMNS))
        written.append(p)
        p = tmp / "summary.json"
        atomic_write_text(p, json.dumps(visible_summary(result, command=command,
                                                        options=options), indent=2) + "\n")
        written.append(p)
        if plots:
            from ..plots.band import plot_band

            cfg = result.config
            med = result.band_expected["median"]
            published = published_bands() if cfg.signal.model in ("dark-photon", "x-vector") \
                else []
            written += plot_band(
                result.masses, result.band.low, result.band.high, tmp / "exclusion",
                expected=(med.low, med.high),
                projections=[(f"expected, {k} EOT", b.low, b.high)
                             for k, b in result.projections.items()],
                published=published, coupling_label=r"$\varepsilon$ (electron coupling / e)",
                title=f"{cfg.signal.model} → e+e−, {result.eot:.3g} EOT, "
                      f"{result.observed} observed")
        if result.nminus1 is not None:
            from .nminus1 import write_nminus1

            written += write_nminus1(result.nminus1, tmp, plots=plots)
    return [out / w.relative_to(tmp) for w in written]
