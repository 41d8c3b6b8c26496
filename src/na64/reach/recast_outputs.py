"""Files of ``na64 recast``: limits.csv, summary.json and limits.png/.pdf, written as a set.

The set is written atomically under a lock like a reach job's
(:func:`na64.io.atomic.atomic_directory`, :func:`na64.reach.outputs.reserve_output`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_directory, atomic_write_text
from ..models import model_info
from ..units import GeV
from .recast import RecastResult, SourceResult

__all__ = ["RECAST_COLUMNS", "RECAST_NAMES", "recast_owned", "write_recast"]

#: Columns of the recast limits.csv (couplings in the target's reported unit; empty cells
#: where nothing is excluded or the band has no upper edge below the largest coupling).
RECAST_COLUMNS = ["mass_GeV", "coupling_90cl", "coupling_low", "coupling_high",
                  "source_coupling_90cl", "production_ratio", "spin_ratio",
                  "source_fraction", "escape_source", "energy_target_GeV",
                  "energy_source_GeV"]
#: Every file ``na64 recast`` writes; ``summary.json`` marks a result.
RECAST_NAMES = frozenset({"limits.csv", "summary.json", "limits.png", "limits.pdf"})
WHAT = "a recast result"


def recast_owned(name: str) -> bool:
    """Whether ``name`` in an output directory belongs to a recast result."""
    return name in RECAST_NAMES or (
        ".tmp" in name and any(name.startswith(f".{n}.") for n in RECAST_NAMES))


def _rows(result: RecastResult, source: SourceResult, target: str) -> list[dict[str, str]]:
    scale = model_info(target)["coupling_scale"]
    src_scale = model_info(source.model)["coupling_scale"]

    def show(v: float | None, s: float) -> str:
        return "" if v is None else f"{v / s:.6g}"

    rows = []
    for i, m in enumerate(result.masses):
        rows.append({
            "mass_GeV": f"{m / GeV:.6g}",
            "coupling_90cl": show(result.coupling_low[i], scale),
            "coupling_low": show(result.coupling_low[i], scale),
            "coupling_high": show(result.coupling_high[i], scale),
            "source_coupling_90cl": show(float(source.coupling_90[i]) or None, src_scale),
            "production_ratio": f"{result.production_ratio[i]:.6g}",
            "spin_ratio": f"{result.spin_ratio[i]:.6g}",
            "source_fraction": f"{result.source_fraction[i]:.6g}",
            "escape_source": f"{result.escape_source[i]:.6g}",
            "energy_target_GeV": f"{result.energy_target[i] / GeV:.6g}",
            "energy_source_GeV": f"{result.energy_source[i] / GeV:.6g}",
        })
    return rows


def _plot(result: RecastResult, target: str, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots.limits import save_figure

    info = model_info(target)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for edge, label in ((result.coupling_low, "lower edge"),
                        (result.coupling_high, "upper edge")):
        pts = [(m / GeV, v / info["coupling_scale"]) for m, v in zip(result.masses, edge,
                                                                      strict=True)
               if v is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mass [GeV]")
    ax.set_ylabel(info["coupling_label"])
    ax.set_title(f"NA64 invisible mode recast to {target} (90% CL)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    try:
        return save_figure(fig, out / "limits.png")
    finally:
        plt.close(fig)


def write_recast(result: RecastResult, source: SourceResult, target: str,
                 out_dir: str | Path, *, params: Mapping[str, Any], distance: float,
                 command: str = "", plots: bool = True, overwrite: bool = False) -> list[Path]:
    """Write limits.csv, summary.json (and the figures) of a recast into ``out_dir``."""
    info = model_info(target)
    summary = {
        "command": command,
        "source": str(source.path),
        "source_model": source.model,
        "source_coupling": source.coupling_name,
        "analysis": source.summary.get("analysis"),
        "setup": source.setup,
        "energy_GeV": source.energy / GeV,
        "model": target,
        "model_parameters": dict(params),
        "coupling": {"name": info["coupling_name"], "unit": info["coupling_unit"]},
        "decay_distance_m": distance / 1000.0,
        "signal_energy": "mean boson energy above the signal-box threshold of the "
                         "dark-brem spectrum at the beam energy",
        "acceptance_ratio": 1.0,
        "notes": list(result.notes),
    }
    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker="summary.json", owned=recast_owned,
                          what=WHAT, field="--out") as tmp:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=RECAST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(_rows(result, source, target))
        atomic_write_text(tmp / "limits.csv", buf.getvalue())
        atomic_write_text(tmp / "summary.json", json.dumps(summary, indent=2) + "\n")
        written = [tmp / "limits.csv", tmp / "summary.json"]
        if plots:
            written += _plot(result, target, tmp)
    return [out / p.relative_to(tmp) for p in written]
