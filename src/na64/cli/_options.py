"""Command-line options shared by the commands that run chunked productions.

``na64 simulate`` and ``na64 reach`` take the same execution options::

    --executor local|processes|dask   where chunks run (default: processes)
    --workers N                       worker processes (default: all cores)
    --scheduler tcp://host:port       an existing Dask scheduler (with --executor dask)
    --chunk-size N                    events per chunk (default 20000; fixes the events)
    --resume                          complete an interrupted run from its checkpoint
    --overwrite                       replace an existing output / checkpoint
    --format parquet|root|dataset     output format (default: from the suffix, else parquet)
    --quiet                           no progress bar, only warnings

Use them as annotated parameter types in a typer command and turn them into an executor
with :func:`executor_from_options`; :func:`progress_bar` gives the rich progress display.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import InputError
from ..run.executors import DaskExecutor, LocalExecutor, ProcessExecutor, make_executor

__all__ = [
    "ChunkSizeOpt",
    "ExecutorOpt",
    "FormatOpt",
    "OverwriteOpt",
    "QuietOpt",
    "ResumeOpt",
    "SchedulerOpt",
    "WorkersOpt",
    "command_line",
    "executor_from_options",
    "parse_count",
    "progress_bar",
    "resolved_options",
    "setup_logging",
]

_PANEL = "Execution"

ExecutorOpt = Annotated[
    str,
    typer.Option("--executor", help="Where chunks run: local, processes or dask.",
                 rich_help_panel=_PANEL),
]
# Every option is read as text and parsed here, so that a bad value is an InputError
# (one line, exit 2) rather than a usage error of the argument parser.
WorkersOpt = Annotated[
    str | None,
    typer.Option("--workers", help="Number of worker processes \\[default: number of cores].",
                 rich_help_panel=_PANEL),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler",
                 help="Address tcp://host:port of a running Dask scheduler (--executor dask); "
                      "e.g. a dask-jobqueue SLURM/HTCondor cluster.",
                 rich_help_panel=_PANEL),
]
ChunkSizeOpt = Annotated[
    str | None,
    typer.Option("--chunk-size",
                 help="Events per chunk \\[default: 20000, or the checkpoint's on --resume]. "
                      "The events depend on (seed, chunk size), not on the workers.",
                 rich_help_panel=_PANEL),
]
ResumeOpt = Annotated[
    bool,
    typer.Option("--resume", help="Complete an interrupted run from OUT.chunks/ (checksums "
                 "verified, corrupted chunks recomputed).", rich_help_panel=_PANEL),
]
OverwriteOpt = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace an existing output file and checkpoint.",
                 rich_help_panel=_PANEL),
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="Output format: parquet, root or dataset (a directory of "
                 "Parquet files with a manifest) \\[default: from the suffix of --out, else "
                 "parquet].", rich_help_panel=_PANEL),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bar; log warnings and errors only.",
                 rich_help_panel=_PANEL),
]


def parse_count(
    text: str | int, field: str, low: int = 1, high: int = 10**12, high_text: str | None = None
) -> int:
    """Parse an integer count written as ``1000000``, ``1e6`` or ``1_000_000``.

    Raises
    ------
    InputError
        Not a number, not an integer, or outside ``[low, high]``.
    """
    top = high_text or (f"{high:.0e}".replace("e+", "e") if high >= 10**6 else str(high))
    message = f"must be an integer in [{low}, {top}], got {text!r}"
    try:
        value = float(str(text).replace("_", ""))
    except ValueError:
        raise InputError(field, message) from None
    if not math.isfinite(value) or value != int(value) or not low <= value <= high:
        raise InputError(field, message)
    return int(value)


def _option_params(ctx: typer.Context) -> Iterator[Any]:
    """The named options (not arguments) of the running command, in declaration order."""
    return (param for param in ctx.command.params
            if getattr(param, "param_type_name", None) == "option" and param.name is not None)


def command_line(ctx: typer.Context) -> list[str]:
    """The running command as an argument list, rebuilt from the parsed options.

    Options left at their defaults are omitted, so the list is the shortest command
    reproducing the run (``["na64", "simulate", "--setup", "...", "--seed", "1", ...]``).
    """
    argv = ctx.command_path.split()
    for param in _option_params(ctx):
        value = ctx.params.get(param.name)
        if value == param.default or value is None:
            continue
        flag = max(param.opts, key=len)
        if getattr(param, "is_flag", False):
            if value:
                argv.append(flag)
            elif param.secondary_opts:  # --plots/--no-plots given as --no-plots
                argv.append(max(param.secondary_opts, key=len))
        elif getattr(param, "multiple", False) or isinstance(value, (list, tuple)):
            for item in value:  # a repeatable option: once per value, none when empty
                argv += [flag, str(item)]
        else:
            argv += [flag, str(value)]
    return argv


def resolved_options(ctx: typer.Context) -> dict[str, Any]:
    """Every option of the running command with the value it had, defaults included.

    :func:`command_line` is the shortest command reproducing the run with *this* version;
    this record stays true if a later version changes a default.  Paths become strings,
    tuples lists.
    """
    def plain(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        return str(value)

    return {param.name: plain(ctx.params.get(param.name)) for param in _option_params(ctx)}


def executor_from_options(
    executor: str, workers: str | int | None, scheduler: str | None
) -> LocalExecutor | ProcessExecutor | DaskExecutor:
    """Build the executor selected on the command line (validated, lazily started)."""
    n = None if workers is None else parse_count(workers, "--workers", 1, 1024)
    # the command line's tasks are all in the package: its workers need not import the
    # entry point (and with it the command-line interface)
    return make_executor(executor.strip().lower(), n, scheduler, preload_main=False)


def setup_logging(quiet: bool, console: Console) -> None:
    """Send ``na64`` log records to stderr (rich), INFO level, or WARNING with ``--quiet``."""
    logger = logging.getLogger("na64")
    for handler in list(logger.handlers):
        if getattr(handler, "_na64_cli", False):
            logger.removeHandler(handler)
    handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
    handler._na64_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


@contextlib.contextmanager
def progress_bar(
    description: str, quiet: bool, console: Console
) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on ``console`` (stderr) showing events, rate and ETA.

    Yields a callback ``update(done, total)`` suitable for
    :func:`na64.run.run_production`'s ``progress``; with ``quiet`` it does nothing.  The
    bar is redrawn at each update, by no thread of its own: the production may fork its
    workers from this process, which is safe only while no other thread runs
    (:func:`na64.run.executors.fork_hazard`).
    """
    if quiet:
        yield lambda done, total: None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        auto_refresh=False,
    )
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "task" not in state:  # events already on disk (resume) count in neither rate nor ETA
            progress.start()  # only now: an early error leaves stderr clean
            state["task"] = progress.add_task(description, total=total, completed=done, rate="")
            state["first"] = done
            progress.refresh()
            return
        task = state["task"]
        elapsed = progress.tasks[task].elapsed or 0.0
        new = done - state["first"]
        rate = f"{new / elapsed:,.0f} ev/s" if elapsed > 0 and new > 0 else ""
        progress.update(task, completed=done, total=total, rate=rate, refresh=True)

    try:
        yield update
    finally:
        if "task" in state:
            progress.stop()


@contextlib.contextmanager
def as_flags(mapping: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a library :class:`InputError` about a key in ``mapping`` under its flag.

    The library names its own parameters and configuration keys (``masses``); the command
    line shows the flag the user typed (``--masses``).
    """
    try:
        yield
    except InputError as exc:
        for key, flag in mapping.items():
            if exc.field == key or exc.field.startswith(key + "."):
                raise InputError(flag, exc.message) from None
        raise

