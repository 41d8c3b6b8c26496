"""``na64 calibrate SETUP``: the shower-shape calibration table of a setup's target calorimeter.

Examples
--------
``na64 calibrate na64e_2016_2018``            prints the ``shape_fluctuation`` TOML block
``na64 calibrate my_setup.toml --check``      exits 1 if the file's table is stale
"""

from __future__ import annotations

import json
from typing import Annotated

import numpy as np
import typer

from ..errors import InputError
from ._options import parse_count

__all__ = ["register"]


def _toml_block(target: str, table: tuple[tuple[float, float], ...]) -> str:
    rows = "".join(f'    ["{e / 1000:g}GeV", {c:g}],\n' for e, c in table)
    return f"[{target}]\nshape_fluctuation = [\n{rows}]"


def register(app: typer.Typer) -> None:
    """Add ``na64 calibrate`` to ``app``."""

    @app.command("calibrate")
    def calibrate(
        setup: Annotated[str | None, typer.Argument(
            help="Shipped setup name or path to a setup TOML.", show_default=False)] = None,
        events: Annotated[str, typer.Option(
            "--events", help="Simulated electrons per calibration energy (integer in "
                             "[10, 1e6]).")] = "2000",
        seed: Annotated[str, typer.Option(
            "--seed", help="Seed of the calibration (integer >= 0).")] = "0",
        check: Annotated[bool, typer.Option(
            "--check", help="Compare with the setup's table; exit 1 if it differs by more "
                            "than 20% + 0.03 at any energy (the MC scatter).")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """Calibrate the shower-shape chi^2 of the target calorimeter on simulated electrons.

        Prints the ``shape_fluctuation`` table (relative fluctuation of the lateral cell
        fractions vs shower energy, chosen so that electrons have <chi^2/ndf> = 1) to paste
        into the setup file after changing the calorimeter.
        """
        from ..detector.setup import load_setup
        from ..reco import calibrate_shower_shape, shape_fluctuation

        if setup is None:
            raise InputError("SETUP", "is required: a shipped setup name or a setup TOML path")
        n_events = parse_count(events, "--events", low=10, high=1_000_000, high_text="1e6")
        seed_value = parse_count(seed, "--seed", low=0, high=2**63 - 1, high_text="2^63 - 1")
        s = load_setup(setup, field="SETUP")
        table = calibrate_shower_shape(s, n_events=n_events, seed=seed_value)
        stored = s.target.shape_fluctuation
        stale = None
        if check:
            if stored is None:
                stale = True
            else:
                e, c = np.asarray(stored, float).T
                fresh = shape_fluctuation(s.target, e, table)
                stale = bool(np.any(np.abs(fresh - c) > 0.2 * c + 0.03))
        if as_json:
            typer.echo(json.dumps({"setup": s.name, "target": s.target_name,
                                   "shape_fluctuation": [[e, c] for e, c in table],
                                   "energy_unit": "MeV", "stale": stale}))
        else:
            typer.echo(_toml_block(s.target_name, table))
            if check:
                typer.echo("# stored table: " + ("missing" if stored is None else
                                                  "stale" if stale else "consistent"),
                           err=True)
        if stale:
            raise typer.Exit(1)
