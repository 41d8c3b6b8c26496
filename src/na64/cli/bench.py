"""``na64 bench fastsim``: throughput of the fast detector simulation.

Measures :func:`na64.pipeline.simulate_events` (beam sampling + full detector response)
for a setup on one process, after a warm-up batch that compiles the numba kernels, and
compares with a full Geant4 simulation of a 100 GeV electron shower (~0.5 s per event, i.e.
~2 events/s, the figure quoted for NA64 in the project brief).
"""

from __future__ import annotations

import json
import time
import warnings
from typing import Annotated, Any

import numpy as np
import typer

from ..errors import InputError
from ._options import as_flags, parse_count

__all__ = ["GEANT4_EVENTS_PER_S", "register", "run_fastsim_benchmark"]

#: Reference: full Geant4 simulation of a 100 GeV electron shower, ~0.5 s per event.
GEANT4_EVENTS_PER_S = 2.0
_CHUNK = 50_000


def _check_int(value: object, field: str, low: int, high: int, high_text: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(field, f"must be an integer in [{low}, {high_text}], got {value!r}")


def run_fastsim_benchmark(setup_name: str = "na64e_2016_2018", events: int = 200_000,
                          seed: int = 1, chunk: int = _CHUNK) -> dict[str, Any]:
    """Time ``simulate_events`` on ``events`` events in chunks of ``chunk``.

    Returns a dict with ``events``, ``seconds``, ``events_per_s``, ``us_per_event`` and
    ``ratio_to_geant4``.

    Raises
    ------
    InputError
        ``events`` not an integer in [1, 1e7], ``chunk`` not in [1, 1e6], ``seed`` not an
        integer in [0, 2^63 - 1], or an unknown setup.
    """
    _check_int(events, "--events", 1, 10_000_000, "1e7")
    _check_int(chunk, "--chunk", 1, 1_000_000, "1e6")
    _check_int(seed, "--seed", 0, 2**63 - 1, "2^63 - 1")
    from ..detector import load_setup
    from ..pipeline import simulate_events  # heavy (numba, scipy): on use

    setup = load_setup(setup_name)
    seeds = np.random.SeedSequence(seed).spawn(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulate_events(setup, 2000, np.random.default_rng(seeds[0]))  # JIT warm-up
        rng = np.random.default_rng(seeds[1])
        done = 0
        start = time.perf_counter()
        while done < events:
            k = min(chunk, events - done)
            simulate_events(setup, k, rng)
            done += k
        seconds = max(time.perf_counter() - start, 1e-9)  # a clock tick, never 0
    rate = events / seconds
    return {"benchmark": "fastsim", "setup": setup.name, "events": events,
            "seconds": seconds, "events_per_s": rate, "us_per_event": 1e6 / rate,
            "ratio_to_geant4": rate / GEANT4_EVENTS_PER_S}


def register(app: typer.Typer) -> None:
    """Add ``na64 bench`` (with the ``fastsim`` sub-command) to ``app``."""
    bench = typer.Typer(help="Performance benchmarks.", no_args_is_help=True)

    @bench.command("fastsim")
    def fastsim(
        events: Annotated[str, typer.Option(
            "--events", "-n", help="Events to simulate (integer in [1, 1e7]).")] = "200000",
        setup: Annotated[str, typer.Option("--setup", help="Setup name or TOML path.")] = (
            "na64e_2016_2018"),
        seed: Annotated[str, typer.Option("--seed", help="Root seed (integer >= 0).")] = "1",
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """Events per second of the fast simulation (one core, beam + full detector)."""
        n_events = parse_count(events, "--events", low=1, high=10_000_000, high_text="1e7")
        seed_value = parse_count(seed, "--seed", low=0, high=2**63 - 1, high_text="2^63 - 1")
        with as_flags({"setup": "--setup"}):
            result = run_fastsim_benchmark(setup, n_events, seed_value)
        if as_json:
            typer.echo(json.dumps(result))
            return
        typer.echo(
            f"fastsim {result['setup']}: {result['events']} events in {result['seconds']:.2f} s"
            f" = {result['events_per_s']:.4g} events/s ({result['us_per_event']:.2f} us/event),"
            f" {result['ratio_to_geant4']:.3g} x Geant4 (~{GEANT4_EVENTS_PER_S:g} events/s)"
        )

    app.add_typer(bench, name="bench")
