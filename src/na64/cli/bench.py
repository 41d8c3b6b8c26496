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

__all__ = ["GEANT4_EVENTS_PER_S", "register", "run_fastsim_benchmark"]

#: Reference: full Geant4 simulation of a 100 GeV electron shower, ~0.5 s per event.
GEANT4_EVENTS_PER_S = 2.0
_CHUNK = 50_000


def run_fastsim_benchmark(setup_name: str = "na64e_2016_2018", events: int = 200_000,
                          seed: int = 1, chunk: int = _CHUNK) -> dict[str, Any]:
    """Time ``simulate_events`` on ``events`` events in chunks of ``chunk``.

    Returns a dict with ``events``, ``seconds``, ``events_per_s``, ``us_per_event`` and
    ``ratio_to_geant4``.
    """
    if not 1 <= events <= 10_000_000:
        raise InputError("--events", f"must be in [1, 10000000], got {events}")
    if not 1 <= chunk <= 1_000_000:
        raise InputError("--chunk", f"must be in [1, 1000000], got {chunk}")
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
        seconds = time.perf_counter() - start
    rate = events / seconds
    return {"benchmark": "fastsim", "setup": setup.name, "events": events,
            "seconds": seconds, "events_per_s": rate, "us_per_event": 1e6 / rate,
            "ratio_to_geant4": rate / GEANT4_EVENTS_PER_S}


def register(app: typer.Typer) -> None:
    """Add ``na64 bench`` (with the ``fastsim`` sub-command) to ``app``."""
    bench = typer.Typer(help="Performance benchmarks.", no_args_is_help=True)

    @bench.command("fastsim")
    def fastsim(
        events: Annotated[int, typer.Option("--events", "-n", help="Events to simulate.")] = 200_000,
        setup: Annotated[str, typer.Option("--setup", help="Setup name or TOML path.")] = (
            "na64e_2016_2018"),
        seed: Annotated[int, typer.Option("--seed", help="Root seed.")] = 1,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """Events per second of the fast simulation (one core, beam + full detector)."""
        result = run_fastsim_benchmark(setup, events, seed)
        if as_json:
            typer.echo(json.dumps(result))
            return
        typer.echo(
            f"fastsim {result['setup']}: {result['events']} events in {result['seconds']:.2f} s"
            f" = {result['events_per_s']:.4g} events/s ({result['us_per_event']:.2f} us/event),"
            f" {result['ratio_to_geant4']:.3g} x Geant4 (~{GEANT4_EVENTS_PER_S:g} events/s)"
        )

    app.add_typer(bench, name="bench")
