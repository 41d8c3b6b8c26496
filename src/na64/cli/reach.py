"""``na64 reach``: sensitivity and limits of a search, end to end.

``na64 reach invisible`` runs the invisible-mode dark-photon search of an analysis file
(default: NA64e 2016-2018, 2.84e11 EOT) and writes limits.csv, cutflow.csv, nminus1.csv,
summary.json and the figures (limits, limits_y, nminus1; PNG + PDF) into ``--out``.
``na64 reach visible`` runs the visible-mode search (A'/X -> e+e- behind the WCAL dump;
default: NA64e 2017+2018, 8.4e10 EOT) and writes exclusion.csv, cutflow.csv, nminus1.csv,
summary.json and the figures (exclusion, nminus1).
``na64 reach positron`` runs the positron-beam search (resonant annihilation of the beam
positron and dark brem; default: NA64e 2022, 100 GeV, 1.01e10 e+OT) at one or several beam
energies, combined, and writes the combined limits with each energy's invisible-mode set.
``na64 reach muon`` runs the muon-beam missing-momentum search (NA64mu; default: 2022,
1.98e10 MOT, L_mu - L_tau Z') and writes limits.csv with the coupling limit.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

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
    OverwriteOpt,
    QuietOpt,
    SchedulerOpt,
    WorkersOpt,
    as_flags,
    command_line,
    executor_from_options,
    parse_count,
    resolved_options,
    setup_logging,
)

__all__ = ["register"]

HepdataOpt = Annotated[Path | None, typer.Option(
    "--hepdata", metavar="DIR",
    help="Also export the limit table as a HEPData submission (submission.yaml and one "
         "YAML file per table) into DIR, outside --out.")]

SeedOpt = Annotated[int, typer.Option("--seed", help="Master random seed.", min=0)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]

reach_app = typer.Typer(
    name="reach",
    help="Sensitivity and 90% CL limits of a search (signal, background, statistics).",
    no_args_is_help=True,
)


def _overlay(spec: str) -> tuple[str, np.ndarray, np.ndarray]:
    """``FILE.csv`` or ``FILE.csv:label`` -> (label, masses [MeV], values)."""
    from ..io.curves import read_overlay_csv

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
    model: Annotated[str | None, typer.Option(
        "--model", help="dark-photon, x-scalar, x-pseudoscalar, x-vector, x-axial, b-l, "
                        "lmu-ltau, alp or idm [default: the analysis' [signal] model].")] = None,
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="Biased signal events per mass [default: the analysis'].")] =
        None,
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory; must be missing or empty, or hold an earlier "
                      "result and --overwrite be given.")] = Path("na64-reach"),
    seed: SeedOpt = 1,
    overlay: Annotated[list[str] | None, typer.Option(
        "--overlay", help="Overlay a curve on the plot: CSV with columns mass_GeV and "
                          "epsilon, as FILE.csv or FILE.csv:label (repeatable).")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write limits(_y).png/.pdf and nminus1.png/.pdf.")] =
        True,
    as_json: JsonOpt = False,
    hepdata: HepdataOpt = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
    keep_samples: Annotated[Path | None, typer.Option(
        "--keep-samples", metavar="DIR",
        help="Also write the simulated signal and background samples (Parquet + "
             "manifest.json) into DIR, for --from-samples and `na64 optimize`.")] = None,
    from_samples: Annotated[Path | None, typer.Option(
        "--from-samples", metavar="DIR",
        help="Re-run only the selection and statistics on samples kept by --keep-samples "
             "(their masses and seed; no N-1 distributions).")] = None,
    settings: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE",
        help="Change a key of the analysis, e.g. selection.ecal_max=60GeV, "
             "selection.hcal_max=2GeV, eot=5e12 (repeatable).")] = None,
) -> None:
    """Invisible-mode dark-photon search: A' -> chi chi with missing energy in the ECAL.

    The output files appear in --out all at once (written next to it, then
    renamed into place), under a lock: a second run into the same --out fails
    at once.  A run into a directory that already holds a result refuses
    before computing anything; --overwrite replaces that result as a whole.
    Other files are never deleted.

    --keep-samples DIR keeps the expensive part (simulated, reconstructed
    signal per mass and background per source); --from-samples DIR with --set
    then recomputes selection and limits in seconds.  Changes the samples
    cannot stand for (setup, beam energy, signal settings, masses, seed, an
    ecal_max looser than the samples') are refused.
    """
    # a worker beside this process, started first so that its imports overlap this
    # process' own: it estimates the background while the signal is simulated here
    # (in-process runs) and renders the N-1 figure beside the limit figures.  A
    # --from-samples run keeps its search in this process: without figures the worker
    # would have nothing to do, and its start-up would only compete with this process
    from ..run.side import SideJobs

    with SideJobs(enabled=from_samples is None or plots) as side:
        from ..reach.config import RunConfig, load_analysis
        from ..reach.invisible import run_invisible
        from ..reach.outputs import reserve_output, write_outputs

        console = Console(stderr=True)
        setup_logging(quiet, console)
        cfg = load_analysis(analysis)
        if setup is not None:
            cfg = cfg.model_copy(update={"setup": setup})
        if model is not None:
            cfg = _with_model(cfg, model)
        mass_values = parse_range(masses, "energy", field="--masses")
        if np.any(mass_values >= cfg.energy):
            raise InputError("--masses", f"every mass must be in (0, {cfg.energy / GeV:g} GeV), "
                                         "below the beam energy")
        runs: tuple[RunConfig, ...] | None = None
        # the ranges of RunConfig: eot in (0, 1e16], observed in [0, 1e6]
        if not 0 <= observed <= 1_000_000:
            raise InputError("--observed", f"must be an integer in [0, 1e6], got {observed}")
        if eot is not None:
            value = parse_quantity(eot, "dimensionless", field="--eot")
            if not 0 < value <= 1e16:
                raise InputError("--eot", f"must be in (0, 1e16], got {value:g}")
            runs = (RunConfig(name="user", eot=value, observed=observed),)
        elif observed != 0:
            raise InputError("--observed", "applies to the run given by --eot; without --eot the "
                                           "runs of the analysis (with their observed events) are used")
        if settings:
            from ..reach.settings import apply_settings

            cfg, runs = apply_settings(cfg, settings, runs=runs)
        source = ctx.get_parameter_source("masses")
        if source is None or source.name == "DEFAULT":
            from ..reach.in_flight import lowest_mass

            # the default scan starts where the model exists (iDM: χ2 → χ1 e+e− open)
            low = lowest_mass(cfg.signal)
            if low > mass_values[0]:
                mass_values = np.geomspace(low, mass_values[-1], mass_values.size)
        n_events = _events_per_mass(events)
        overlays = [_overlay(s) for s in (overlay or [])]
        # validate the setup before any work starts
        from ..detector import load_setup

        load_setup(cfg.setup)
        if cfg.signal.model != "dark-photon":
            for flag, given_path in (("--keep-samples", keep_samples), ("--from-samples",
                                                                         from_samples)):
                if given_path is not None:
                    raise InputError(flag, f"samples are kept for the dark photon only, not for "
                                           f"model {cfg.signal.model!r} (its decays in flight "
                                           "are not stored)")
        samples = None
        if from_samples is not None:
            samples = _open_samples(ctx, from_samples, keep_samples, cfg, mass_values, seed,
                                    events)

        command = " ".join(command_line(ctx))
        options = resolved_options(ctx)
        with contextlib.ExitStack() as stack:
            stack.enter_context(_reserve_hepdata(hepdata, out, overwrite))
            # lock --out and check it now: a bad or busy --out fails before the computation
            with _file_system_errors(out):
                stack.enter_context(reserve_output(out, overwrite=overwrite))
            if keep_samples is not None:
                from ..reach.samples import reserve_samples

                with _file_system_errors(keep_samples, "--keep-samples"):
                    stack.enter_context(reserve_samples(keep_samples, overwrite=overwrite))
            with executor_from_options(executor, workers, scheduler) as ex, \
                    _progress(quiet, console) as advance, \
                    as_flags({"masses": "--masses", "runs": "--eot",
                              "n_events": "--events-per-mass"}):
                job: dict[str, Any] = {"runs": runs, "progress": advance}
                if samples is not None:
                    from ..reach.samples import run_from_samples

                    result = run_from_samples(samples, cfg, **job)
                elif keep_samples is not None:
                    from ..reach.samples import run_keeping_samples

                    with _file_system_errors(keep_samples, "--keep-samples"):
                        result = run_keeping_samples(
                            cfg, mass_values, keep_samples, overwrite=overwrite, seed=seed,
                            events_per_mass=n_events,
                            executor=None if executor == "local" else ex, **job)
                else:
                    result = run_invisible(cfg, mass_values, seed=seed, events_per_mass=n_events,
                                           executor=None if executor == "local" else ex,
                                           side=side, **job)
            with _file_system_errors(out):
                from ..reach.outputs import published_overlays

                overlays = [*overlays, *published_overlays(result)]
                write_outputs(result, out, command=command, options=options, overlays=overlays,
                              plots=plots, overwrite=overwrite, side=side)
            _export_hepdata(hepdata, out, overwrite)
        if as_json:
            from ..reach.outputs import summary_dict

            typer.echo(json.dumps(summary_dict(result, command=command, options=options)))
        elif not quiet:
            _print_table(result, out, console)


@reach_app.command("visible")
def visible(
    ctx: typer.Context,
    analysis: Annotated[str, typer.Option(
        "--analysis", help="Visible-mode analysis file: a shipped name or a TOML path.")] =
        "visible_2017_2018",
    eot: Annotated[str | None, typer.Option(
        "--eot", help="Exposure (electrons on target), e.g. 8.4e10; replaces the analysis' "
                      "runs by one run with the analysis' setup and energy [default: the "
                      "runs of the analysis].")] = None,
    observed: Annotated[int, typer.Option(
        "--observed", help="Events observed in the signal box, with --eot.")] = 0,
    energy: Annotated[str | None, typer.Option(
        "--energy", help="Beam energy of every run, e.g. 150GeV (a bare number is GeV) "
                         "[default: the runs' own].")] = None,
    masses: Annotated[str, typer.Option(
        "--masses", help="Boson masses: 'low:high:n' log-spaced, a list 'a,b,c' or one "
                         "value [default: 1.5-40 MeV, 16 log-spaced, and 16.7 MeV].")] = "",
    setup: Annotated[str | None, typer.Option(
        "--setup", help="Detector setup of every run (shipped name or TOML path) [default: "
                        "the runs' own].")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="dark-photon, x-vector, x-pseudoscalar, x-scalar or x-axial "
                        "[default: the analysis' [signal] model].")] = None,
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="Biased signal events per mass and run group [default: "
                                  "the analysis'].")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory; must be missing or empty, or hold an earlier "
                      "result and --overwrite be given.")] = Path("na64-reach-visible"),
    seed: SeedOpt = 1,
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write exclusion.png/.pdf and nminus1.png/.pdf.")] =
        True,
    as_json: JsonOpt = False,
    hepdata: HepdataOpt = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Visible-mode search: A' / X -> e+e- decaying behind the WCAL dump.

    Writes exclusion.csv (the excluded band in mass and coupling), cutflow.csv,
    summary.json, exclusion.png/.pdf and the N-1 distributions into --out, as one
    set (see `na64 reach invisible --help` for how the set is written).
    """
    from ..reach.visible import run_visible
    from ..reach.visible_config import VISIBLE_MODELS, VisibleRunConfig, load_visible_analysis
    from ..reach.visible_outputs import (
        reserve_visible_output,
        visible_summary,
        write_visible_outputs,
    )
    from ..units import MeV

    console = Console(stderr=True)
    setup_logging(quiet, console)
    cfg = load_visible_analysis(analysis)
    update: dict[str, Any] = {}
    if model is not None:
        if model not in VISIBLE_MODELS:
            raise InputError("--model", f"unknown model {model!r} for the visible mode; "
                                        f"allowed: {', '.join(VISIBLE_MODELS)}")
        update["signal"] = cfg.signal.model_copy(update={"model": model})
    if not 0 <= observed <= 1_000_000:
        raise InputError("--observed", f"must be an integer in [0, 1e6], got {observed}")
    run_update: dict[str, Any] = {}
    if energy is not None:
        e_value = parse_quantity(energy, "energy", field="--energy")
        if not 1_000.0 <= e_value <= 1_000_000.0:
            raise InputError("--energy", f"must be in [1 GeV, 1 TeV], got {e_value / GeV:g} GeV")
        update["energy"] = run_update["energy"] = e_value
    if setup is not None:
        update["setup"] = run_update["setup"] = setup
    run_list = [r.model_copy(update=run_update) for r in cfg.runs]
    if eot is not None:
        value = parse_quantity(eot, "dimensionless", field="--eot")
        if not 0 < value <= 1e16:
            raise InputError("--eot", f"must be in (0, 1e16], got {value:g}")
        run_list = [VisibleRunConfig(name="user", eot=value, observed=observed)]
    elif observed != 0:
        raise InputError("--observed", "applies to the run given by --eot; without --eot the "
                                       "runs of the analysis (with their observed events) are used")
    update["runs"] = tuple(run_list)
    cfg = cfg.model_copy(update=update)
    with as_flags({"energy": "--energy"}):
        cfg.check_cuts()
    if masses:
        mass_values = parse_range(masses, "energy", field="--masses")
    else:
        mass_values = np.unique(np.append(np.geomspace(1.5 * MeV, 40 * MeV, 16), 16.7 * MeV))
    n_events = _events_per_mass(events)
    # validate every setup before any work starts
    from ..detector import load_setup

    for r in cfg.runs:
        load_setup(cfg.run_setup(r))
    runs = cfg.runs

    command = " ".join(command_line(ctx))
    options = resolved_options(ctx)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_reserve_hepdata(hepdata, out, overwrite))
        with _file_system_errors(out):
            stack.enter_context(reserve_visible_output(out, overwrite=overwrite))
        with executor_from_options(executor, workers, scheduler) as ex, \
                _progress(quiet, console, "reach visible") as advance, \
                as_flags({"masses": "--masses", "runs": "--eot", "setup": "--setup",
                          "n_events": "--events-per-mass"}):
            result = run_visible(cfg, mass_values, seed=seed, runs=runs,
                                 events_per_mass=n_events,
                                 executor=None if executor == "local" else ex,
                                 progress=advance)
        with _file_system_errors(out):
            write_visible_outputs(result, out, command=command, options=options, plots=plots,
                                  overwrite=overwrite)
        _export_hepdata(hepdata, out, overwrite)
    summary = visible_summary(result, command=command, options=options)
    if as_json:
        typer.echo(json.dumps(summary))
    elif not quiet:
        from rich.table import Table

        table = Table(title=f"NA64 visible mode ({cfg.signal.model}): {summary['eot']:.3g} "
                            f"EOT, {summary['observed']} observed, background "
                            f"{summary['expected_background']:.3g} ± "
                            f"{summary['expected_background_unc']:.2g}")
        for col in ("mass [MeV]", "ε low", "ε high", "ε low (exp.)", "ε high (exp.)"):
            table.add_column(col, justify="right")
        med = result.band_expected["median"]
        for i, m in enumerate(result.masses):
            table.add_row(f"{m / MeV:.4g}", *(f"{v:.3g}" if np.isfinite(v) else "-" for v in
                                              (result.band.low[i], result.band.high[i],
                                               med.low[i], med.high[i])))
        console.print(table)
        console.print(f"wrote {out}/exclusion.csv, cutflow.csv, summary.json and figures in "
                      f"{result.elapsed_s:.1f} s")


def _split(text: str | None) -> list[str]:
    return [] if text is None else [t.strip() for t in text.split(",")]


def _events_per_mass(events: str | None) -> int | None:
    """``--events-per-mass``: a count in [100, 1e7], or None for the analysis' value."""
    if events is None:
        return None
    return parse_count(events, "--events-per-mass", low=100, high=10_000_000, high_text="1e7")


def _positron_runs(cfg: Any, energy: str | None, pot: str | None, observed: str | None
                   ) -> tuple[Any, ...]:
    """The runs of a positron job from --energy/--pot/--observed (see `reach positron`)."""
    from ..reach.positron_config import PositronRunConfig

    energies = _split(energy)
    pots = _split(pot)
    obs = _split(observed)
    values = []
    for text in energies:
        e = parse_quantity(text, "energy", field="--energy")
        if not 1_000.0 <= e <= 1_000_000.0:
            raise InputError("--energy", f"must be in [1 GeV, 1 TeV], got {e / GeV:g} GeV")
        values.append(e)
    if len(set(values)) != len(values):
        raise InputError("--energy", f"energies must be distinct, got {energy}")
    n = len(values) if values else 1
    for name, items in (("--pot", pots), ("--observed", obs)):
        if items and len(items) not in (1, n):
            raise InputError(name, f"give one value or one per --energy ({n}), got {len(items)}")
    pot_values = []
    for text in pots:
        v = parse_quantity(text, "dimensionless", field="--pot")
        if not 0 < v <= 1e16:
            raise InputError("--pot", f"must be in (0, 1e16], got {v:g}")
        pot_values.append(v)
    obs_values = []
    for text in obs:
        try:
            k = int(text)
        except ValueError:
            raise InputError("--observed", f"must be integers in [0, 1e6], got {text!r}") from None
        if not 0 <= k <= 1_000_000:
            raise InputError("--observed", f"must be integers in [0, 1e6], got {k}")
        obs_values.append(k)
    if not values and not pot_values:
        if obs_values:
            raise InputError("--observed", "applies to the runs given by --energy/--pot; "
                                           "without them the analysis' runs are used")
        return tuple(cfg.runs)
    if not values:
        if len(cfg.groups()) != 1:
            raise InputError("--pot", "the analysis has runs at several energies; give "
                                      "--energy with one --pot per energy")
        values = [cfg.runs[0].energy]
    runs = []
    for i, e in enumerate(values):
        if pot_values:
            p = pot_values[i if len(pot_values) > 1 else 0]
            k = obs_values[i if len(obs_values) > 1 else 0] if obs_values else 0
            runs.append(PositronRunConfig(name=f"user {e / GeV:g} GeV", energy=f"{e!r}MeV", pot=p,
                                          observed=k))
            continue
        mine = [r for r in cfg.runs if np.isclose(r.energy, e)]
        if not mine:
            have = sorted({f"{r.energy / GeV:g}GeV" for r in cfg.runs})
            raise InputError("--pot", f"the analysis has no run at {e / GeV:g} GeV (it has "
                                      f"{', '.join(have)}); give the positrons on target of "
                                      "each --energy with --pot")
        if obs_values:
            raise InputError("--observed", "applies to the runs given by --pot")
        runs += mine
    out = tuple(runs)
    with as_flags({"runs.ecal_max": "--energy", "selection.beam_momentum": "--energy"}):
        cfg.model_copy(update={"runs": out}).check_runs()
    return out


@reach_app.command("positron")
def positron(
    ctx: typer.Context,
    analysis: Annotated[str, typer.Option(
        "--analysis", help="Positron-beam analysis file: a shipped name or a TOML path.")] =
        "positron_2022",
    energy: Annotated[str | None, typer.Option(
        "--energy", help="Beam energies, e.g. 100GeV or 40GeV,70GeV,100GeV (a bare number "
                         "is GeV), each computed with its own setup and box and combined "
                         "[default: the runs of the analysis].")] = None,
    pot: Annotated[str | None, typer.Option(
        "--pot", help="Positrons on target: one value, or one per --energy "
                      "(e.g. 1e11,1.6e10,1.01e10) [default: the analysis' runs].")] = None,
    observed: Annotated[str | None, typer.Option(
        "--observed", help="Events observed in the signal box, one value or one per "
                           "--energy, with --pot [default: 0].")] = None,
    masses: Annotated[str, typer.Option(
        "--masses", help="A' masses: 'low:high:n' log-spaced, a list 'a,b,c' or one value.")] =
        "1MeV:1GeV:30",
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="Biased signal events per mass and energy [default: the "
                                  "analysis'].")] = None,
    combine_with: Annotated[list[Path] | None, typer.Option(
        "--combine-with", help="Output directory of a `na64 reach invisible` run (e.g. the "
                               "electron beam) to combine with (repeatable); adds "
                               "epsilon_90cl_with_electrons.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory; must be missing or empty, or hold an earlier "
                      "result and --overwrite be given.")] = Path("na64-reach-positron"),
    seed: SeedOpt = 1,
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write the figures (PNG + PDF).")] = True,
    as_json: JsonOpt = False,
    hepdata: HepdataOpt = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Positron-beam search: resonant e+e- -> A' -> chi chi and dark brem, one or several
    beam energies combined.

    Writes limits.csv (combined limit, brem-only and annihilation-only limits, each
    energy, the projection), cutflow.csv, summary.json, the figures and one
    `reach invisible` set per energy (beam_<E>GeV/) into --out, as one set.
    """
    from ..reach.combination import channel_from_output
    from ..reach.positron import run_positron
    from ..reach.positron_config import load_positron_analysis
    from ..reach.positron_outputs import (
        positron_summary,
        reserve_positron_output,
        write_positron_outputs,
    )

    console = Console(stderr=True)
    setup_logging(quiet, console)
    cfg = load_positron_analysis(analysis)
    runs = _positron_runs(cfg, energy, pot, observed)
    with as_flags({"setup": "--energy"}):
        cfg.check_setups(runs)
    mass_values = parse_range(masses, "energy", field="--masses")
    e_low = min(r.energy for r in runs)
    if np.any(mass_values >= e_low):
        raise InputError("--masses", f"every mass must be in (0, {e_low / GeV:g} GeV), below "
                                     "the lowest beam energy")
    n_events = _events_per_mass(events)
    electrons = [channel_from_output(d, alpha_d=cfg.signal.alpha_d,
                                     mass_ratio=cfg.signal.mass_ratio)
                 for d in (combine_with or [])]
    command = " ".join(command_line(ctx))
    options = resolved_options(ctx)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_reserve_hepdata(hepdata, out, overwrite))
        with _file_system_errors(out):
            stack.enter_context(reserve_positron_output(out, overwrite=overwrite))
        with executor_from_options(executor, workers, scheduler) as ex, \
                _progress(quiet, console, "reach positron") as advance, \
                as_flags({"masses": "--masses", "runs": "--pot",
                          "n_events": "--events-per-mass"}):
            result = run_positron(cfg, mass_values, seed=seed, runs=runs,
                                  events_per_mass=n_events,
                                  executor=None if executor == "local" else ex,
                                  progress=advance, electrons=electrons)
        result.extra["electron_source"] = ", ".join(str(d) for d in (combine_with or []))
        with _file_system_errors(out):
            write_positron_outputs(result, out, command=command, options=options,
                                   plots=plots, overwrite=overwrite)
        _export_hepdata(hepdata, out, overwrite)
    summary = positron_summary(result, command=command, options=options)
    if as_json:
        typer.echo(json.dumps(summary))
    elif not quiet:
        from rich.table import Table

        from ..reach.positron_outputs import positron_limits_table

        table = Table(title=f"NA64 e+ beam: {summary['pot']:.3g} e+OT at "
                            + ", ".join(f"{g['energy_GeV']:g}" for g in summary["groups"])
                            + f" GeV, {summary['observed']} observed")
        cols = ["epsilon_90cl", "epsilon_expected", "epsilon_90cl_brem_only",
                "epsilon_90cl_annihilation_only"]
        table.add_column("m_A' [GeV]", justify="right")
        for col in ("ε 90% CL", "ε expected", "ε brem only", "ε annihilation only"):
            table.add_column(col, justify="right")
        rows = positron_limits_table(result)
        step = max(1, len(rows) // 12)
        for row in rows[::step]:
            table.add_row(f"{row['mass_GeV']:.4g}", *(f"{row[c]:.3g}" for c in cols))
        console.print(table)
        console.print(f"wrote {out}/limits.csv, cutflow.csv, summary.json, figures and "
                      f"beam_<E>GeV/ in {result.elapsed_s:.1f} s")


@reach_app.command("muon")
def muon(
    ctx: typer.Context,
    analysis: Annotated[str, typer.Option(
        "--analysis", help="Muon analysis file: a shipped name or a path to a TOML file.")] =
        "muon_2022",
    mot: Annotated[str | None, typer.Option(
        "--mot", help="Exposure (muons on target), e.g. 1.98e10; replaces the analysis' runs "
                      "by one run with this MOT [default: the runs of the analysis].")] = None,
    observed: Annotated[int, typer.Option(
        "--observed", help="Events observed in the signal box, with --mot.")] = 0,
    model: Annotated[str | None, typer.Option(
        "--model", help="lmu-ltau, dark-photon or scalar-mu [default: the analysis' [signal] "
                        "model].")] =
        None,
    p_out_max: Annotated[str | None, typer.Option(
        "--p-out-max", help="Signal-box edge on the outgoing momentum, e.g. 80GeV "
                            "[default: the analysis'].")] = None,
    masses: Annotated[str, typer.Option(
        "--masses", help="Boson masses: 'low:high:n' log-spaced, a list 'a,b,c' or one "
                         "value.")] = "1MeV:1GeV:16",
    events: Annotated[str | None, typer.Option(
        "--events-per-mass", help="Biased signal events per mass [default: the analysis'].")] =
        None,
    combine_with: Annotated[list[Path] | None, typer.Option(
        "--combine-with", help="Output directory of an electron-beam `na64 reach invisible` "
                               "dark-photon run to combine with (repeatable); adds "
                               "coupling_90cl_electron_beam and coupling_90cl_combined.")] =
        None,
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory; must be missing or empty, or hold an earlier "
                      "result and --overwrite be given.")] = Path("na64-reach-muon"),
    seed: SeedOpt = 1,
    plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                        help="Write limits.png/.pdf and nminus1.png/.pdf.")] =
        True,
    as_json: JsonOpt = False,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: QuietOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Muon-beam missing-momentum search: mu N -> mu N X, X -> invisible (NA64mu).

    Writes limits.csv (mass_GeV, coupling_90cl, expected band, projections to 3e11, 1e13
    and 1e14 MOT, the (g-2)_mu band), cutflow.csv, nminus1.csv, summary.json and the
    figures into --out, all at once.
    """
    from ..reach.muon import (
        combine_with_electrons,
        electron_channel,
        muon_summary,
        run_muon,
        write_muon_outputs,
    )
    from ..reach.muon_config import MUON_MODELS, MuonRunConfig, load_muon_analysis
    from ..reach.outputs import reserve_output

    console = Console(stderr=True)
    setup_logging(quiet, console)
    cfg = load_muon_analysis(analysis)
    if model is not None:
        if model not in MUON_MODELS:
            raise InputError("--model", f"unknown model {model!r} for a muon beam; allowed: "
                                        f"{', '.join(MUON_MODELS)}")
        cfg = cfg.model_copy(update={"signal": cfg.signal.model_copy(update={"model": model})})
    if p_out_max is not None:
        value = parse_quantity(p_out_max, "energy", field="--p-out-max")
        lo, _ = cfg.selection.momentum_window(cfg.energy)
        if not 0 < value < lo:
            raise InputError("--p-out-max", f"must be in (0, {lo / GeV:g} GeV), below the "
                                            f"incoming momentum, got {value / GeV:g} GeV")
        cfg = cfg.model_copy(update={"selection": cfg.selection.model_copy(
            update={"p_out_max": value})})
    mass_values = parse_range(masses, "energy", field="--masses")
    from ..constants import M_MU

    if np.any(mass_values >= cfg.energy - M_MU):
        raise InputError("--masses", f"every mass must be in (0, {(cfg.energy - M_MU) / GeV:.6g}"
                                     " GeV), below the beam energy minus the muon mass")
    if not 0 <= observed <= 1_000_000:
        raise InputError("--observed", f"must be an integer in [0, 1e6], got {observed}")
    runs = None
    if mot is not None:
        value = parse_quantity(mot, "dimensionless", field="--mot")
        if not 0 < value <= 1e16:
            raise InputError("--mot", f"must be in (0, 1e16], got {value:g}")
        runs = (MuonRunConfig(name="user", mot=value, observed=observed),)
    elif observed != 0:
        raise InputError("--observed", "applies to the run given by --mot")
    n_events = _events_per_mass(events)
    for d in combine_with or []:  # bad input fails before any computation
        electron_channel(d, cfg.signal.model)
    command = " ".join(command_line(ctx))
    options = resolved_options(ctx)
    with contextlib.ExitStack() as stack:
        with _file_system_errors(out):
            stack.enter_context(reserve_output(out, overwrite=overwrite))
        with executor_from_options(executor, workers, scheduler) as ex, \
                _progress(quiet, console, "reach muon") as advance, \
                as_flags({"masses": "--masses", "runs": "--mot",
                          "n_events": "--events-per-mass"}):
            result = run_muon(cfg, mass_values, seed=seed, runs=runs, events_per_mass=n_events,
                              executor=None if executor == "local" else ex, progress=advance)
            result = combine_with_electrons(result, combine_with or [],
                                            executor=None if executor == "local" else ex)
        with _file_system_errors(out):
            write_muon_outputs(result, out, command=command, options=options, plots=plots,
                               overwrite=overwrite)
    summary = muon_summary(result, command=command, options=options)
    if as_json:
        typer.echo(json.dumps(summary))
    elif not quiet:
        console.print(f"NA64mu {cfg.signal.model}: {summary['mot']:.3g} MOT, "
                      f"{summary['observed']} observed, background "
                      f"{summary['expected_background']:.3g} ± "
                      f"{summary['expected_background_unc']:.2g}; wrote {out}/limits.csv, "
                      f"cutflow.csv, nminus1.csv, summary.json and figures in "
                      f"{result.elapsed_s:.1f} s")


@contextlib.contextmanager
def _reserve_hepdata(hepdata: Path | None, out: Path, overwrite: bool) -> Iterator[None]:
    """Lock and check ``--hepdata`` before any computation (outside ``--out``; then the
    checks of :func:`na64.io.hepdata.reserve_hepdata`)."""
    if hepdata is None:
        yield
        return
    target, result = hepdata.resolve(), out.resolve()
    if target == result or result in target.parents or target in result.parents:
        raise InputError("--hepdata", f"{hepdata} must lie outside --out ({out}) and not "
                                      "contain it")
    from ..io.hepdata import reserve_hepdata

    with reserve_hepdata(hepdata, overwrite=overwrite):
        yield


def _export_hepdata(hepdata: Path | None, out: Path, overwrite: bool) -> None:
    """Write the HEPData submission of the result in ``out`` (atomically, as a whole)."""
    if hepdata is None:
        return
    from ..io.hepdata import limits_to_hepdata

    limits_to_hepdata(out, hepdata, overwrite=overwrite)


@contextlib.contextmanager
def _file_system_errors(out: Path, field: str = "--out") -> Iterator[None]:
    """Turn a failure of the file system under ``out`` (disk full, I/O error, permission
    lost during the run) into one line on stderr and exit status 1."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        sys.stderr.write(f"na64: error: {field}: could not write {out}: "
                         f"{exc.strerror or exc}{where}; nothing was changed there\n")
        raise typer.Exit(1) from None


def _open_samples(ctx: typer.Context, path: Path, keep: Path | None, cfg: Any,
                  masses: np.ndarray, seed: int, events: str | None) -> Any:
    """The samples of --from-samples, checked against the job's analysis and options."""
    from ..reach.samples import check_compatible, load_samples

    if keep is not None:
        raise InputError("--keep-samples", "cannot be combined with --from-samples")
    if events is not None:
        raise InputError("--events-per-mass", "the samples fix the events per mass; it "
                                              "cannot be given with --from-samples")

    def given(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        return source is not None and source.name != "DEFAULT"

    samples = load_samples(path)
    check_compatible(samples, cfg, masses=masses if given("masses") else None,
                     seed=seed if given("seed") else None)
    return samples


def _with_model(cfg: Any, model: str) -> Any:
    """The analysis with ``[signal] model`` replaced, validated as the file's value is.

    The analysis' processes that make ``model`` are kept; if none does (e.g. ``--model alp``
    with a bremsstrahlung analysis), the electron-beam processes that make it are used
    (:func:`na64.reach.in_flight.invisible_processes`)."""
    from ..reach.in_flight import INVISIBLE_MODELS, invisible_processes

    if model not in INVISIBLE_MODELS:
        raise InputError("--model", f"unknown model {model!r} for the invisible mode; "
                                    f"allowed: {', '.join(INVISIBLE_MODELS)}")
    procs = invisible_processes(model, cfg.signal.processes)
    return cfg.model_copy(update={"signal": cfg.signal.model_copy(
        update={"model": model, "processes": procs})})


@contextlib.contextmanager
def _progress(quiet: bool, console: Console, label: str = "reach invisible"
              ) -> Iterator[Callable[[int, int], None]]:
    """Progress over the steps of a reach job (background + one step per mass)."""
    if quiet:
        yield lambda done, total: None
        return
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("steps"), TimeElapsedColumn(), TextColumn("ETA"),
                  TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task("reach", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _print_table(result: object, out: Path, console: Console) -> None:
    from rich.table import Table

    from ..reach.outputs import limits_table, model_limits_table, summary_dict

    summary = summary_dict(result)  # type: ignore[arg-type]
    table = Table(title=f"NA64 invisible mode ({summary['model']}): {summary['eot']:.3g} EOT, "
                        f"{summary['observed']} observed, background "
                        f"{summary['expected_background']:.3g} ± "
                        f"{summary['expected_background_unc']:.2g}")
    step = 1
    if getattr(result, "coupling_high", None) is not None:
        info = result.model_info  # type: ignore[attr-defined]
        unit = f" [{info['coupling_unit']}]" if info["coupling_unit"] else ""
        name = info["coupling_name"]
        for col in ("m [GeV]", "efficiency", f"{name} 90% CL low{unit}",
                    f"{name} 90% CL high{unit}", f"{name} expected{unit}"):
            table.add_column(col, justify="right")
        model_rows = model_limits_table(result)  # type: ignore[arg-type]
        step = max(1, len(model_rows) // 12)
        for r in model_rows[::step]:
            table.add_row(r["mass_GeV"], f"{float(r['efficiency']):.3f}",
                          r["coupling_90cl"] or "-", r["coupling_90cl_high"] or "-",
                          r["coupling_expected"] or "-")
        console.print(table)
        console.print(f"wrote {out}/limits.csv, cutflow.csv, nminus1.csv, summary.json and "
                      f"figures in {summary['elapsed_s']:.1f} s")
        return
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
