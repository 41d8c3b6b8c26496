"""``na64 optimize``: cut and exposure studies on kept samples.

Scans one or two analysis keys (``--scan selection.ecal_max=40GeV:70GeV:20``, ``--scan
eot=1e11:1e13:10``, a list ``key=a,b,c``) and writes, per grid point and mass, the
expected and observed 90% CL limits on epsilon and y and the EOT needed to reach a target
(:func:`na64.reach.optimize.optimize`) into ``--out``: optimize.csv, optimize.json,
optimize.png/.pdf.  The samples come from ``--from-samples DIR`` (made by ``na64 reach
invisible --keep-samples``) or are made once into ``--keep-samples DIR``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from ..errors import InputError
from ..units import GeV, parse_quantity, parse_range
from ._options import (
    OverwriteOpt,
    QuietOpt,
    command_line,
    resolved_options,
    setup_logging,
)

__all__ = ["register"]


def optimize(
    ctx: typer.Context,
    scan: Annotated[list[str], typer.Option(
        "--scan", metavar="KEY=LOW:HIGH:N|KEY=A,B,...",
        help="A scanned key of the analysis (selection.ecal_max=40GeV:70GeV:20, "
             "eot=1e11:1e13:10, or a list); give it once or twice.")],
    masses: Annotated[str, typer.Option(
        "--masses", help="Masses to report, e.g. 10MeV,100MeV,1GeV (each one of the "
                         "samples').")] = "10MeV,100MeV,1GeV",
    from_samples: Annotated[Path | None, typer.Option(
        "--from-samples", metavar="DIR",
        help="Samples kept by `na64 reach invisible --keep-samples DIR`.")] = None,
    keep_samples: Annotated[Path | None, typer.Option(
        "--keep-samples", metavar="DIR",
        help="Make the samples once into DIR (at --masses, with the loosest scanned "
             "ecal_max) and use them.")] = None,
    analysis: Annotated[str, typer.Option(
        "--analysis", help="Analysis file: a shipped name or a TOML path.")] =
        "invisible_2016_2018",
    settings: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", help="Fixed change of the analysis (repeatable).")] =
        None,
    target_epsilon: Annotated[str | None, typer.Option(
        "--target-epsilon", help="Also give the EOT at which the median expected limit "
                                 "reaches this epsilon, e.g. 1e-5.")] = None,
    target_y: Annotated[str | None, typer.Option(
        "--target-y", help="As --target-epsilon, for y = eps^2 alpha_D (m_chi/m_A')^4.")] =
        None,
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="With --keep-samples: biased signal events per mass.")] =
        None,
    seed: Annotated[int, typer.Option("--seed", help="Master seed (with --keep-samples).",
                                      min=0)] = 1,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] =
        Path("na64-optimize"),
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write optimize.png/.pdf.")] = True,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Expected limits and the EOT needed over a scan of cuts or exposure."""
    from ..reach.config import load_analysis
    from ..reach.optimize import optimize as run_optimize
    from ..reach.optimize import parse_scan
    from ..reach.optimize_outputs import reserve_optimize_output, write_optimize_outputs
    from ..reach.samples import load_samples, reserve_samples, run_keeping_samples
    from ..reach.settings import apply_settings
    from .reach import _events_per_mass

    console = Console(stderr=True)
    setup_logging(quiet, console)
    if (from_samples is None) == (keep_samples is None):
        raise InputError("--from-samples", "give --from-samples DIR or --keep-samples DIR "
                                           "(exactly one)")
    scans = [parse_scan(s) for s in scan]
    if not 1 <= len(scans) <= 2:
        raise InputError("--scan", "give one or two scanned keys")
    mass_values = parse_range(masses, "energy", field="--masses")
    t_eps = _positive(target_epsilon, "--target-epsilon")
    t_y = _positive(target_y, "--target-y")
    cfg, runs = apply_settings(load_analysis(analysis), settings or [])
    # every grid point must be a valid analysis before any work starts
    for s in scans:
        for v in s.values:
            apply_settings(cfg, [f"{s.key}={v}"], runs=runs, field="--scan")
    n_events = _events_per_mass(events)
    record = {"command": " ".join(command_line(ctx)), "options": resolved_options(ctx)}
    with contextlib.ExitStack() as stack:
        stack.enter_context(reserve_optimize_output(out, overwrite=overwrite))
        if keep_samples is not None:
            loose = cfg
            for s in scans:
                if s.key == "selection.ecal_max":
                    top = max(s.values, key=lambda v: parse_quantity(v, "energy",
                                                                     field="--scan"))
                    loose, _ = apply_settings(cfg, [f"selection.ecal_max={top}"], runs=runs)
            if np.any(mass_values >= cfg.energy):
                raise InputError("--masses", f"every mass must be below the beam energy "
                                             f"({cfg.energy / GeV:g} GeV)")
            with reserve_samples(keep_samples, overwrite=overwrite):
                run_keeping_samples(loose, mass_values, keep_samples, overwrite=overwrite,
                                    seed=seed, events_per_mass=n_events, runs=runs,
                                    nminus1=False)
            path = keep_samples
        else:
            assert from_samples is not None
            path = from_samples
        samples = load_samples(path)
        rows = run_optimize(samples, cfg, scans, mass_values, runs=runs,
                            target_epsilon=t_eps, target_y=t_y)
        record["samples"] = str(path)
        write_optimize_outputs(rows, scans, out, record=record, plots=plots,
                               overwrite=overwrite)
    if not quiet:
        console.print(f"wrote {out}/optimize.csv ({len(rows)} rows), optimize.json"
                      + (" and optimize.png/.pdf" if plots else ""))


def _positive(text: str | None, field: str) -> float | None:
    if text is None:
        return None
    value = parse_quantity(text, "dimensionless", field=field)
    if not 0 < value < 1:
        raise InputError(field, f"must be in (0, 1), got {value:g}")
    return value


def register(app: typer.Typer) -> None:
    """Add ``na64 optimize`` to the main application."""
    app.command("optimize")(optimize)
