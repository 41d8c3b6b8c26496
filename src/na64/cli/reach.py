"""``na64 reach``: sensitivity and limits of a search, end to end.

``na64 reach invisible`` runs the invisible-mode dark-photon search of an analysis file
(default: NA64e 2016-2018, 2.84e11 EOT) and writes limits.csv, cutflow.csv, nminus1.csv,
summary.json and the figures (limits, limits_y, nminus1; PNG + PDF) into ``--out``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import InputError
from ..units import GeV, parse_quantity, parse_range
from ._options import (
    ExecutorOpt,
    QuietOpt,
    SchedulerOpt,
    WorkersOpt,
    as_flags,
    command_line,
    executor_from_options,
    resolved_options,
    setup_logging,
)

__all__ = ["register"]

reach_app = typer.Typer(
    name="reach",
    help="Sensitivity and 90% CL limits of a search (signal, background, statistics).",
    no_args_is_help=True,
)


def _overlay(spec: str) -> tuple[str, np.ndarray, np.ndarray]:
    """``FILE.csv`` or ``FILE.csv:label`` -> (label, masses [MeV], values)."""
    from ..plots.limits import read_overlay_csv

    path, _, label = spec.partition("::") if "::" in spec else (spec, "", "")
    if not label and ":" in spec and not Path(spec).exists():
        path, _, label = spec.rpartition(":")
    masses, values = read_overlay_csv(path)
    return (label or Path(path).stem, np.asarray(masses), np.asarray(values))


@reach_app.command("invisible")
def invisible(
    ctx: typer.Context,
    analysis: Annotated[str, typer.Option(
        "--analysis", help="Analysis file: a shipped name or a path to a TOML file.")] =
        "invisible_2016_2018",
    eot: Annotated[str | None, typer.Option(
        "--eot", help="Exposure (electrons on target), e.g. 2.84e11; replaces the analysis' "
                      "runs by one run with this EOT [default: the runs of the analysis].")] = None,
    observed: Annotated[int, typer.Option(
        "--observed", help="Events observed in the signal box, with --eot.")] = 0,
    masses: Annotated[str, typer.Option(
        "--masses", help="A' masses: 'low:high:n' log-spaced, a list 'a,b,c' or one value.")] =
        "1MeV:1GeV:30",
    setup: Annotated[str | None, typer.Option(
        "--setup", help="Detector setup (shipped name or TOML path) [default: the analysis'].")] =
        None,
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="Biased signal events per mass [default: the analysis'].")] =
        None,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("na64-reach"),
    seed: Annotated[int, typer.Option("--seed", help="Master random seed.", min=0)] = 1,
    overlay: Annotated[list[str] | None, typer.Option(
        "--overlay", help="Overlay a curve on the plot: CSV with columns mass_GeV and "
                          "epsilon, as FILE.csv or FILE.csv:label (repeatable).")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write limits(_y).png/.pdf and nminus1.png/.pdf.")] =
        True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Invisible-mode dark-photon search: A' -> chi chi with missing energy in the ECAL."""
    from ..reach.config import RunConfig, load_analysis
    from ..reach.invisible import run_invisible
    from ..reach.outputs import write_outputs

    console = Console(stderr=True)
    setup_logging(quiet, console)
    cfg = load_analysis(analysis)
    if setup is not None:
        cfg = cfg.model_copy(update={"setup": setup})
    mass_values = parse_range(masses, "energy", field="--masses")
    if np.any(mass_values >= cfg.energy):
        raise InputError("--masses", f"every mass must be in (0, {cfg.energy / GeV:g} GeV), "
                                     "below the beam energy")
    runs = None
    if eot is not None:
        value = parse_quantity(eot, "dimensionless", field="--eot")
        if not 0 < value <= 1e16:
            raise InputError("--eot", f"must be in (0, 1e16], got {eot}")
        if observed < 0:
            raise InputError("--observed", f"must be >= 0, got {observed}")
        runs = (RunConfig(name="user", eot=value, observed=observed),)
    n_events = None
    if events is not None:
        n_events = int(parse_quantity(events, "dimensionless", field="--events-per-mass"))
        if not 100 <= n_events <= 10_000_000:
            raise InputError("--events-per-mass", f"must be in [100, 1e7], got {events}")
    overlays = [_overlay(s) for s in (overlay or [])]
    # validate the setup before any work starts
    from ..detector import load_setup

    load_setup(cfg.setup)

    command = " ".join(command_line(ctx))
    options = resolved_options(ctx)
    with executor_from_options(executor, workers, scheduler) as ex, \
            _progress(quiet, console) as advance, \
            as_flags({"masses": "--masses", "runs": "--eot", "n_events": "--events-per-mass"}):
        result = run_invisible(cfg, mass_values, seed=seed, runs=runs, events_per_mass=n_events,
                               executor=None if executor == "local" else ex, progress=advance)
    write_outputs(result, out, command=command, options=options, overlays=overlays,
                  plots=plots)
    if as_json:
        from ..reach.outputs import summary_dict

        typer.echo(json.dumps(summary_dict(result, command=command, options=options)))
    elif not quiet:
        _print_table(result, out, console)


@contextlib.contextmanager
def _progress(quiet: bool, console: Console) -> Iterator[Callable[[int, int], None]]:
    """Progress over the steps of a reach job (background + one step per mass)."""
    if quiet:
        yield lambda done, total: None
        return
    with Progress(TextColumn("[bold]reach invisible"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("steps"), TimeElapsedColumn(), TextColumn("ETA"),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("reach", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _print_table(result: object, out: Path, console: Console) -> None:
    from rich.table import Table

    from ..reach.outputs import limits_table, summary_dict

    summary = summary_dict(result)  # type: ignore[arg-type]
    table = Table(title=f"NA64 invisible mode: {summary['eot']:.3g} EOT, "
                        f"{summary['observed']} observed, background "
                        f"{summary['expected_background']:.3g} ± "
                        f"{summary['expected_background_unc']:.2g}")
    for col in ("m_A' [GeV]", "efficiency", "ε 90% CL", "ε expected", "y 90% CL"):
        table.add_column(col, justify="right")
    rows = limits_table(result)  # type: ignore[arg-type]
    step = max(1, len(rows) // 12)
    for row in rows[::step]:
        table.add_row(f"{row['mass_GeV']:.4g}", f"{row['efficiency']:.3f}",
                      f"{row['epsilon_90cl']:.3g}", f"{row['epsilon_expected']:.3g}",
                      f"{row['y_90cl']:.3g}")
    console.print(table)
    console.print(f"wrote {out}/limits.csv, cutflow.csv, nminus1.csv, summary.json and figures "
                  f"in {summary['elapsed_s']:.1f} s")


def register(app: typer.Typer) -> None:
    """Add ``na64 reach`` to the main application."""
    app.add_typer(reach_app, name="reach")
