"""Files written by ``na64 optimize``: optimize.csv, optimize.json, optimize.png/.pdf.

Written as one set into ``--out`` like a reach result (:func:`na64.io.atomic.
atomic_directory`: a temporary directory renamed into place under a lock; a previous set
replaced only with ``overwrite``, a directory holding other files never).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_directory, atomic_write_text
from .optimize import OPTIMIZE_COLUMNS, Scan, _scan_number
from .outputs import _csv_text, reserve_output

__all__ = ["OPTIMIZE_NAMES", "reserve_optimize_output", "write_optimize_outputs"]

#: Every file ``na64 optimize`` writes; ``optimize.json`` marks its directory.
OPTIMIZE_NAMES = frozenset({"optimize.csv", "optimize.json", "optimize.png", "optimize.pdf"})
_MARKER = "optimize.json"
_WHAT = "an optimize result"


def _owned(name: str) -> bool:
    return name in OPTIMIZE_NAMES or (
        ".tmp" in name and any(name.startswith(f".{n}.") for n in OPTIMIZE_NAMES))


@contextlib.contextmanager
def reserve_optimize_output(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Lock ``out`` and check that an optimize result may be written there."""
    with reserve_output(out, overwrite=overwrite, owned=_owned, what=_WHAT) as path:
        yield path


def _plot(rows: Sequence[Mapping[str, Any]], scans: Sequence[Scan], out: Path,
          target: bool) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    masses = sorted({float(r["mass_GeV"]) for r in rows})
    n_rows = 2 if target else 1
    fig, axes = plt.subplots(n_rows, len(masses), figsize=(4.2 * len(masses), 3.4 * n_rows),
                             squeeze=False)
    first = scans[0].key
    second = scans[1].values if len(scans) > 1 else (None,)
    for c, mass in enumerate(masses):
        for v2 in second:
            sel = [r for r in rows if float(r["mass_GeV"]) == mass
                   and (v2 is None or r[scans[1].key] == v2)]
            x = [_scan_number(r[first]) for r in sel]
            label = f"{scans[1].key} = {v2}" if v2 is not None else None
            axes[0, c].plot(x, [r["epsilon_expected"] for r in sel], marker="o", label=label)
            if target:
                pts = [(xi, r["eot_for_target"]) for xi, r in zip(x, sel, strict=True)
                       if r["eot_for_target"] is not None]
                if pts:
                    axes[1, c].plot(*zip(*pts, strict=True), marker="o", label=label)
        axes[0, c].set_title(f"m_A' = {mass:.4g} GeV")
        axes[0, c].set_ylabel("expected 90% CL limit on ε")
        axes[0, c].set_yscale("log")
        if target:
            axes[1, c].set_ylabel("EOT for the target")
            axes[1, c].set_yscale("log")
        for r in range(n_rows):
            axes[r, c].set_xlabel(first + (" [GeV]" if _is_energy(rows, first) else ""))
            if first == "eot":
                axes[r, c].set_xscale("log")
            if len(scans) > 1:
                axes[r, c].legend(fontsize="small")
    fig.tight_layout()
    written = []
    for ext in ("png", "pdf"):
        path = out / f"optimize.{ext}"
        fig.savefig(path)
        written.append(path)
    plt.close(fig)
    return written


def _is_energy(rows: Sequence[Mapping[str, Any]], key: str) -> bool:
    value = str(rows[0][key]) if rows else ""
    return value.rstrip().endswith(("eV", "EV", "ev"))


def write_optimize_outputs(rows: Sequence[Mapping[str, Any]], scans: Sequence[Scan],
                           out_dir: str | Path, *, record: Mapping[str, Any],
                           plots: bool = True, overwrite: bool = False) -> list[Path]:
    """Write optimize.csv, optimize.json (``record``: inputs and options) and the figure
    into ``out_dir`` as a whole."""
    out = Path(out_dir)
    columns = [s.key for s in scans] + OPTIMIZE_COLUMNS
    target = any(r["eot_for_target"] is not None for r in rows)
    with atomic_directory(out, overwrite=overwrite, marker=_MARKER, owned=_owned,
                          what=_WHAT, field="--out") as tmp:
        table = [{k: ("" if r[k] is None else r[k]) for k in columns} for r in rows]
        atomic_write_text(tmp / "optimize.csv", _csv_text(table, columns))
        written = [tmp / "optimize.csv"]
        atomic_write_text(tmp / _MARKER, json.dumps(dict(record), indent=2) + "\n")
        written.append(tmp / _MARKER)
        if plots:
            written += _plot(rows, scans, tmp, target)
    return [out / p.relative_to(tmp) for p in written]
