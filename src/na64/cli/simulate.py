"""``na64 simulate``: a chunked, resumable, reproducible fast-simulation production.

Example::

    na64 simulate --setup na64e_2016_2018 --beam e- --energy 100GeV --events 1e6 \\
        --seed 1 --out run.parquet --executor processes --workers 2

The output file appears only when the run is complete.  Meanwhile the finished chunks and
``manifest.json`` live in ``run.parquet.chunks/``; after Ctrl-C, a crash or a killed
worker, the same command with ``--resume`` completes the run (checksums verified) with the
same events an uninterrupted run gives.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from ..errors import InputError
from ..io.events import format_for_path, parquet_encoding
from ..io.precision import DEFAULT_SIMULATE_PRECISION, storage_precision
from ..io.provenance import make_provenance
from ..run import interrupts
from ..run.executors import ProcessExecutor
from ..run.manifest import MANIFEST_NAME
from ..run.production import RunError, chunk_dir_for, run_production
from ..run.seeds import plan_chunks
from ..run.sources import DetectorSource
from ._options import (
    ChunkSizeOpt,
    ExecutorOpt,
    FormatOpt,
    OverwriteOpt,
    QuietOpt,
    ResumeOpt,
    SchedulerOpt,
    WorkersOpt,
    command_line,
    executor_from_options,
    parse_count,
    progress_bar,
    resolved_options,
    setup_logging,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``na64 simulate`` to ``app``."""

    @app.command("simulate")
    def simulate(
        ctx: typer.Context,
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Output file (.parquet or "
                       ".root), required.", show_default=False)] = None,
        setup: Annotated[str, typer.Option("--setup", help="Shipped setup name or path to a "
                         "setup TOML.")] = "na64e_2016_2018",
        events: Annotated[str, typer.Option("--events", "-n", help="Number of events, "
                          "e.g. 1e6 (integer in [1, 1e12]).")] = "1e5",
        seed: Annotated[str, typer.Option("--seed", help="Root seed (integer >= 0); chunk i "
                        "uses child i of numpy SeedSequence(seed).")] = "1",
        beam: Annotated[str | None, typer.Option("--beam", help="Beam particle: e-, e+, mu-, "
                        "mu+, pi-, pi+, K-, K+, p, pbar (an admixture of the setup's beam "
                        "that becomes the primary leaves the admixtures) \\[default: the "
                        "setup's].")] = None,
        energy: Annotated[str | None, typer.Option("--energy", help="Beam energy, e.g. 100GeV "
                          "(bare number: GeV) \\[default: the setup's].")] = None,
        core: Annotated[bool, typer.Option("--beam-core", help="Only the Gaussian core of the "
                        "primary particle: no low-energy tail, no admixtures (the EOT sample "
                        "of a search).")] = False,
        admixtures: Annotated[str, typer.Option("--admixtures", help="keep: the admixtures "
                              "of the setup's beam (hadrons, muons) are simulated with the "
                              "primary particle; drop: the primary alone, with its "
                              "low-energy tail.")] = "keep",
        reconstruct: Annotated[bool, typer.Option("--reconstruct", help="Also write the "
                               "reconstructed columns (ecal_energy, shower_chi2, p_in, ...); "
                               "na64 select computes them when absent.")] = False,
        executor: ExecutorOpt = "processes",
        workers: WorkersOpt = None,
        scheduler: SchedulerOpt = None,
        chunk_size: ChunkSizeOpt = None,
        resume: ResumeOpt = False,
        overwrite: OverwriteOpt = False,
        fmt: FormatOpt = None,
        compression: Annotated[str | None, typer.Option(
            "--compression", help="Parquet page compression: zstd (level 1), lz4, snappy or "
            "none; float columns are byte-stream-split except with none.  The encoding never "
            "changes a value (--precision does) \\[default: zstd, or the checkpoint's on --resume].",
            show_default=False)] = None,
        precision: Annotated[str | None, typer.Option(
            "--precision", help="Storage precision of the float columns: reduced (measured "
            "columns to 12 mantissa bits, relative error <= 1.2e-4, far below the detectors' "
            "resolution; truth columns to float32 precision) or full (bit for bit) "
            "\\[default: reduced, or the checkpoint's on --resume].",
            show_default=False)] = None,
        quiet: QuietOpt = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
    ) -> None:
        """Simulate beam events through a detector setup into a Parquet or ROOT file.

        Runs in chunks on the chosen executor; each chunk draws from its own child of
        SeedSequence(seed), so the events are the same for any number of workers.
        Progress and logs go to stderr.
        """
        if out is None:
            raise InputError("--out", "is required: the output file, e.g. --out run.parquet")
        n_events = parse_count(events, "--events")
        seed_value = parse_count(seed, "--seed", low=0, high=2**63 - 1,
                                 high_text="2^63 - 1")
        size = None if chunk_size is None else parse_count(chunk_size, "--chunk-size", high=10**9)
        if resume and overwrite:
            raise InputError("--resume", "cannot be combined with --overwrite")
        if out.name in ("", ".", ".."):
            raise InputError("--out", f"{str(out)!r} has no file name; give one such as "
                                      "run.parquet")
        kind = format_for_path(out, fmt)
        if out.exists() and out.is_dir() and kind != "dataset":
            raise InputError("--out", f"{out} is a directory; give a file name such as "
                                      "run.parquet (or --format dataset)")
        if size is not None:
            plan_chunks(n_events, size)
        encoding = None if compression is None else parquet_encoding(compression)
        if encoding is not None and kind == "root":
            raise InputError("--compression", "applies to Parquet output; a ROOT file is "
                                              "compressed by uproot")
        rounding = None if precision is None else storage_precision(precision)
        if rounding is None and not (resume and (chunk_dir_for(out) / MANIFEST_NAME).is_file()):
            rounding = storage_precision(DEFAULT_SIMULATE_PRECISION)
        ex = executor_from_options(executor, workers, scheduler)
        if isinstance(ex, ProcessExecutor):
            ex.start()  # a forkserver imports the pipeline while the setup is read
        mix = admixtures.strip().lower()
        if mix not in ("keep", "drop"):
            raise InputError("--admixtures", f"must be keep or drop, got {admixtures!r}")
        given = ctx.get_parameter_source("admixtures")
        if core and mix == "keep" and given is not None and given.name != "DEFAULT":
            raise InputError("--admixtures", "keep contradicts --beam-core (the Gaussian core "
                                             "of the primary particle alone)")
        source = DetectorSource.from_options(setup, beam, energy, core=core,
                                             admixtures=mix == "keep",
                                             reconstruct=reconstruct)
        provenance = make_provenance(
            seed=seed_value, n_events=n_events, setup_name=source.setup_name,
            setup_toml=source.setup_toml, command_line=command_line(ctx),
            extra={"beam_particle": source.setup().beam_particle,
                   "beam_energy_MeV": source.setup().beam_energy,
                   "executor": executor, "options": resolved_options(ctx)},
        )
        console = Console(stderr=True)
        setup_logging(quiet, console)
        try:
            with _second_ctrl_c_exits(chunk_dir_for(out)), ex, \
                    progress_bar("simulate", quiet, console) as update:
                summary = run_production(
                    source, out, n_events=n_events, seed=seed_value, chunk_size=size,
                    executor=ex, fmt=fmt, resume=resume, overwrite=overwrite,
                    provenance=provenance, progress=update,
                    compression=encoding, precision=rounding,
                )
        except KeyboardInterrupt as exc:  # the manifest is saved, the workers are stopped
            sys.stderr.write(f"na64: {exc or 'interrupted'}\n")
            raise typer.Exit(130) from None
        except RunError as exc:  # an environment fault (disk, permissions, worker)
            sys.stderr.write(f"na64: error: {exc}\n")
            raise typer.Exit(1) from None
        except OSError as exc:  # the flag that named the path, the path and the reason
            from . import os_error_line

            line, code = os_error_line(exc, ctx)
            one_line = " ".join(line.splitlines())
            sys.stderr.write(f"na64: error: {one_line}\n")
            raise typer.Exit(code) from None
        if as_json:
            typer.echo(json.dumps(summary.to_dict()))


@contextlib.contextmanager
def _second_ctrl_c_exits(checkpoint: Path) -> Iterator[None]:
    """The first Ctrl-C stops the run in order, a second one ends the process at once.

    The first SIGINT stops the run in order: inside the production's chunk loop it is
    recorded (:func:`na64.run.interrupts.request`) and raised as :class:`KeyboardInterrupt`
    at the loop's next safe point (between chunks, or while the pool waits for results),
    never inside an import, a finalizer or numba's loading of a kernel; before the loop it
    is raised at once.  The run saves its manifest and stops its workers.  From then on SIGINT prints one line and calls :func:`os._exit`
    with status 130, whatever the process is doing (no traceback, no exit handler waiting
    for workers): the checkpoint, written atomically, stays valid for ``--resume`` and the
    workers exit with the process.  Once the run has stopped in order SIGINT is ignored: the
    process only exits (with 130), and Python's finalization would otherwise restore the
    default action, dying of the signal instead.  The handler is installed only over
    Python's default one in the main thread (an embedding application keeps its own).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return

    def exit_now(signum: int, frame: FrameType | None) -> None:
        message = (f"na64: interrupted again: stopped at once; the chunks saved so far are in "
                   f"{checkpoint}; rerun with --resume\n")
        with contextlib.suppress(OSError):
            if sys.stderr is not None and sys.stderr.isatty():
                os.write(2, b"\x1b[?25h")  # show the cursor the progress bar may have hidden
            os.write(2, message.encode(errors="replace"))
        os._exit(130)

    def first(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, exit_now)
        if not interrupts.request():  # no chunk loop running: stop here
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is first:  # no Ctrl-C: leave things as they were
            signal.signal(signal.SIGINT, signal.default_int_handler)
        else:  # stopped in order: only the exit is left, which a SIGINT must not cut short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
