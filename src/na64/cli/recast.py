"""``na64 recast``: turn a finished invisible-mode result into a limit on another model.

Example: ``na64 recast na64-reach --model x-vector --out recast-x``
(see :mod:`na64.reach.recast` for the method).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..models import MODEL_NAMES
from ..units import parse_quantity

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``na64 recast`` to ``app``."""

    @app.command("recast")
    def recast(
        ctx: typer.Context,
        source_dir: Annotated[Path, typer.Argument(
            metavar="SOURCE_DIR", help="Result directory of 'na64 reach invisible'.")],
        model: Annotated[str, typer.Option(
            "--model", help=f"Target model: {', '.join(MODEL_NAMES)}.")],
        out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path(
            "na64-recast"),
        alpha_d: Annotated[str | None, typer.Option(
            "--alpha-d", help="Dark coupling alpha_D of a dark-photon target.")] = None,
        mass_ratio: Annotated[str | None, typer.Option(
            "--mass-ratio", help="m_A'/m_chi of a dark-photon target (> 2 for "
                                 "invisible decays).")] = None,
        plots: Annotated[bool, typer.Option("--plots/--no-plots",
                                            help="Write limits.png/.pdf.")] = True,
        overwrite: Annotated[bool, typer.Option(
            "--overwrite", help="Replace an earlier recast result in --out.")] = False,
    ) -> None:
        """Recast an invisible-mode limit to another model's coupling (DarkCast method)."""
        from ..detector.setup import load_setup
        from ..models import model_info
        from ..reach.outputs import reserve_output
        from ..reach.recast import decay_distance, model_factory, read_source, recast_limits
        from ..reach.recast_outputs import WHAT, recast_owned, write_recast

        name = model.strip()
        if name not in MODEL_NAMES:
            raise InputError("--model", f"unknown model {name[:40]!r}; allowed: "
                                        f"{', '.join(MODEL_NAMES)}")
        params: dict[str, Any] = {}
        if name == "dark-photon":
            if alpha_d is not None:
                params["alpha_D"] = parse_quantity(alpha_d, "dimensionless", field="--alpha-d")
            if mass_ratio is not None:
                r = parse_quantity(mass_ratio, "dimensionless", field="--mass-ratio")
                if not r > 0:
                    raise InputError("--mass-ratio", f"must be > 0, got {mass_ratio}")
                params["mass_ratio"] = r
        elif alpha_d is not None or mass_ratio is not None:
            raise InputError("--alpha-d", f"applies to a dark-photon target only, not {name!r}")
        source = read_source(source_dir)
        if model_info(name)["coupling_name"] == "g_agg":
            raise InputError("--model", f"{name!r} does not couple to electrons through "
                                        "its coupling g_agg")
        with reserve_output(out, overwrite=overwrite, owned=recast_owned, what=WHAT):
            distance = decay_distance(load_setup(source.setup))
            result = recast_limits(
                source.masses, source.coupling_90, model_factory(source.model, source.params),
                model_factory(name, params), energy=source.energy, threshold=source.threshold,
                distance=distance, annihilation_fraction=source.annihilation_fraction)
            command = " ".join(["na64", *ctx.command_path.split()[1:], str(source_dir),
                                "--model", name, "--out", str(out)])
            written = write_recast(result, source, name, out, params=params,
                                   distance=distance, command=command, plots=plots,
                                   overwrite=overwrite)
        typer.echo(f"wrote {', '.join(p.name for p in written)} to {out}")
