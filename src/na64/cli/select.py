"""``na64 select``: the cut-flow of an analysis' selection on an event file.

Example::

    na64 simulate --events 1e5 --out run.parquet
    na64 select run.parquet --analysis invisible_2016_2018

Files from ``na64 simulate`` hold digitised columns; the reconstructed ones are computed on
the fly with the setup stored in the file (or ``--setup``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``na64 select`` to ``app``."""

    @app.command("select")
    def select(
        file: Annotated[Path | None, typer.Argument(
            help="Event file (.parquet/.root) or dataset directory, e.g. from na64 simulate.",
            show_default=False)] = None,
        analysis: Annotated[str, typer.Option(
            "--analysis", help="Analysis whose [selection] is applied: a shipped name or a "
                               "TOML path.")] = "invisible_2016_2018",
        setup: Annotated[str | None, typer.Option(
            "--setup", help="Setup for the reconstruction \\[default: the one stored in the "
                            "file].")] = None,
        weights: Annotated[str | None, typer.Option(
            "--weights", help="Column of event weights \\[default: unweighted].")] = None,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Also write the cut-flow as CSV to this file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the cut-flow as JSON.")] =
            False,
    ) -> None:
        """Apply an analysis' selection to an event file and print the cut-flow."""
        if file is None:
            raise InputError("FILE", "is required: an event file, e.g. from na64 simulate")
        if not file.exists():
            raise InputError("FILE", f"{file} does not exist")
        from ..detector import load_setup
        from ..reach.config import load_analysis
        from ..run.select import select_file

        cfg = load_analysis(analysis)
        selection = cfg.selection.build(cfg.energy)
        geometry = load_setup(setup, field="--setup") if setup is not None else None
        flow = select_file(file, selection, setup=geometry, weights=weights)
        if out is not None:
            from ..io.atomic import atomic_write_text

            buf = io.StringIO()
            rows = flow.to_records()
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            atomic_write_text(out, buf.getvalue(), field="--out")
        if as_json:
            typer.echo(json.dumps({"file": str(file), "analysis": cfg.name,
                                   "cutflow": flow.to_records()}))
            return
        console = Console()
        table = Table(title=f"{file.name}: selection of {cfg.name}", title_justify="left")
        for col in ("cut", "events", "eff (rel)", "eff (total)"):
            table.add_column(col, justify="left" if col == "cut" else "right")
        for r in flow.to_records():
            table.add_row(r["name"], f"{r['n']:,}",
                          f"{r['eff_rel']:.4f} ± {r['eff_rel_err']:.4f}",
                          f"{r['eff_tot']:.4f} ± {r['eff_tot_err']:.4f}")
        console.print(table)
