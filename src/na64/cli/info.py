"""``na64 info FILE``: provenance and column summary of an event file (or a checkpoint).

The summary reads every page of the file with its checksum verified
(:func:`na64.io.summary.describe_file`), so a damaged, foreign or non-numeric file ends in
one line ``na64: error: FILE: ...`` (exit status 2), never in wrong statistics.  Text from
the file (its name, provenance, column names) is printed literally, never as Rich markup.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import InputError
from ..io.summary import describe_file
from ..run.manifest import MANIFEST_NAME, Manifest
from ..run.production import chunk_dir_for

__all__ = ["register"]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def _show_provenance(console: Console, prov: dict[str, Any], show_toml: bool) -> None:
    table = Table(title="Provenance", show_header=False, title_justify="left")
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in prov.items():
        if key == "setup_toml" and isinstance(value, str) and not show_toml:
            digest = hashlib.sha256(value.encode()).hexdigest()[:12]
            text = f"{len(value.splitlines())} lines, sha256 {digest}... (--toml shows it)"
        elif key == "command_line" and isinstance(value, list):
            text = shlex.join(str(v) for v in value)
        elif isinstance(value, (dict, list)):
            text = json.dumps(value)
        else:
            text = str(value)
        table.add_row(escape(str(key)), escape(text))
    console.print(table)
    if show_toml and isinstance(prov.get("setup_toml"), str):
        console.rule("setup TOML")
        console.print(prov["setup_toml"], markup=False, highlight=False)


def _checkpoint_info(path: Path) -> dict[str, Any]:
    directory = path if (path / MANIFEST_NAME).is_file() else chunk_dir_for(path)
    m = Manifest.load(directory)
    return {
        "checkpoint": str(directory),
        "output": m.output,
        "format": m.format,
        "identity": m.identity,
        "chunks_done": m.n_done,
        "chunks_total": len(m.chunks),
        "events_done": m.events_done,
        "n_events": m.identity.get("n_events"),
        "provenance": m.provenance,
    }


def register(app: typer.Typer) -> None:
    """Add ``na64 info`` to ``app``."""

    @app.command("info")
    def info(
        file: Annotated[Path | None, typer.Argument(
            help="Event file (.parquet/.root) written by na64, or the checkpoint directory "
                 "OUT.chunks/.", show_default=False)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
        show_toml: Annotated[bool, typer.Option("--toml", help="Print the full setup TOML.")] = False,
    ) -> None:
        """Show the provenance and a column summary of an event file.

        For an unfinished run (OUT.chunks/ with its manifest) it shows the checkpoint:
        chunks done, events done, and the run's identity.
        """
        if file is None:
            raise InputError("FILE", "is required: an event file written by na64 simulate")
        is_checkpoint = (file / MANIFEST_NAME).is_file() or (
            not file.exists() and (chunk_dir_for(file) / MANIFEST_NAME).is_file()
        )
        if not file.exists() and not is_checkpoint:
            raise InputError("FILE", f"{file} does not exist")
        data = _checkpoint_info(file) if is_checkpoint else describe_file(file)
        if as_json:
            typer.echo(json.dumps(data))
            return
        console = Console()
        if is_checkpoint:
            console.print(
                f"[bold]{escape(data['checkpoint'])}[/]: unfinished run, {data['chunks_done']} of "
                f"{data['chunks_total']} chunks ({data['events_done']:,} of "
                f"{data['n_events']:,} events) done; complete it with --resume"
            )
            _show_provenance(console, data["provenance"], show_toml)
            return
        console.print(f"[bold]{escape(data['file'])}[/]: {data['format']}, "
                      f"{data['n_events']:,} events")
        _show_provenance(console, data["provenance"], show_toml)
        table = Table(title="Columns", title_justify="left")
        for col, just in [("name", "left"), ("dtype", "left"), ("shape", "left"),
                          ("min", "right"), ("mean", "right"), ("max", "right")]:
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        for c in data["columns"]:
            shape = "x".join(map(str, c["shape"])) or "scalar"
            table.add_row(escape(c["name"]), c["dtype"], shape, _fmt(c["min"]), _fmt(c["mean"]),
                          _fmt(c["max"]))
        console.print(table)
