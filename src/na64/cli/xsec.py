"""``na64 xsec``: production cross sections from the command line.

``na64 xsec brem`` prints the dark-bremsstrahlung cross section l N -> l N X
(:func:`na64.physics.dark_brem.total_cross_section`) for one mass or a log-spaced mass
scan, as a rich table or, with ``--json``, one JSON object (a list for a scan).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
import typer
from hepunits import GeV, picobarn
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..materials import get_material
from ..units import format_quantity, parse_quantity, parse_range

__all__ = ["MODELS", "register"]

#: CLI model names -> Lorentz structure of the X-lepton vertex (see na64.physics.dark_brem).
MODELS: dict[str, str] = {"dark-photon": "vector", "scalar": "scalar",
                          "pseudoscalar": "pseudoscalar", "axial": "axial"}
_MODEL_ALIASES = {"dark-photon": "dark-photon", "darkphoton": "dark-photon", "aprime": "dark-photon",
                  "a'": "dark-photon", "vector": "dark-photon", "scalar": "scalar",
                  "pseudoscalar": "pseudoscalar", "alp": "pseudoscalar", "axial": "axial",
                  "axial-vector": "axial"}
#: library field -> command-line option, for error messages
_OPTION = {"mass": "--mass", "energy": "--energy", "lepton": "--beam", "target": "--target",
           "method": "--method", "threshold": "--threshold", "coupling": "--coupling",
           "spin": "--model"}


def _model_spin(model: str) -> tuple[str, str]:
    key = _MODEL_ALIASES.get(model.strip().lower())
    if key is None:
        shown = repr(model) if len(model) <= 40 else f"{model[:30]!r}...({len(model)} characters)"
        raise InputError("--model", f"unknown model {shown}; allowed: {', '.join(MODELS)} "
                         "(aliases: alp = pseudoscalar, axial-vector = axial)")
    return key, MODELS[key]


def _rows(model: str, beam: str, target: str, energy: float, masses: np.ndarray,
          coupling: float, method: str, threshold: float | None, inelastic: bool
          ) -> list[dict[str, Any]]:
    from ..physics import dark_brem  # numba kernels: imported on use, not at CLI start

    name, spin = _model_spin(model)
    try:
        sigma = np.atleast_1d(dark_brem.total_cross_section(
            masses, energy, lepton=beam, target=target, coupling=coupling, method=method,
            spin=spin, threshold=threshold, inelastic=inelastic))
    except InputError as exc:
        raise InputError(_OPTION.get(exc.field, exc.field), exc.message) from None
    thr = dark_brem.default_threshold(masses) if threshold is None else np.full(masses.shape,
                                                                                 threshold)
    return [
        {
            "model": name,
            "beam": beam,
            "target": target,
            "method": method.lower(),
            "energy_GeV": energy / GeV,
            "mass_GeV": float(m) / GeV,
            "coupling": coupling,
            "threshold_GeV": float(t) / GeV,
            "inelastic_form_factor": inelastic,
            "sigma_pb": float(s) / picobarn,
        }
        for m, t, s in zip(masses, thr, sigma, strict=True)
    ]


def _print_table(rows: list[dict[str, Any]]) -> None:
    first = rows[0]
    title = (f"{first['model']} from {first['beam']} on {first['target']}, "
             f"E0 = {format_quantity(first['energy_GeV'] * GeV)}, coupling = {first['coupling']:g}, "
             f"method = {first['method'].upper()}")
    table = Table(title=title, title_justify="left")
    table.add_column("m_X", justify="right")
    table.add_column("E_X threshold", justify="right")
    table.add_column("σ", justify="right")
    table.add_column("σ / pb", justify="right")
    for r in rows:
        sigma = r["sigma_pb"] * picobarn
        table.add_row(format_quantity(r["mass_GeV"] * GeV), format_quantity(r["threshold_GeV"] * GeV),
                      format_quantity(sigma, "area") if sigma > 0 else "0",
                      f"{r['sigma_pb']:.5g}")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``na64 xsec`` (with its ``brem`` sub-command) to ``app``."""
    xsec = typer.Typer(help="Production cross sections.", no_args_is_help=True)
    app.add_typer(xsec, name="xsec")

    @xsec.command("brem")
    def brem(
        mass: Annotated[str, typer.Option(
            "--mass", help="X mass: '10MeV', or a log scan 'low:high:n' like '1MeV:1GeV:25' "
                           "(a bare number is GeV).")],
        model: Annotated[str, typer.Option(
            "--model", help=f"Emitted boson: {', '.join(MODELS)} (alp = pseudoscalar with a "
                            "Yukawa coupling to leptons).")
        ] = "dark-photon",
        beam: Annotated[str, typer.Option("--beam", help="Beam lepton: e-, e+, mu-, mu+.")] = "e-",
        target: Annotated[str, typer.Option(
            "--target", help="Target material (Pb, W, Fe, Cu, Al, Sc, BGO, LYSO, Air).")] = "Pb",
        energy: Annotated[str, typer.Option("--energy", help="Beam energy, e.g. '100GeV'.")] = "100GeV",
        coupling: Annotated[str, typer.Option(
            "--coupling", help="Coupling to the lepton in units of e (eps for the dark photon, "
                               "g/e for a Yukawa g); sigma ~ coupling^2.")
        ] = "1e-4",
        method: Annotated[str, typer.Option(
            "--method", help="etl (exact tree level), iww or ww.")] = "etl",
        threshold: Annotated[str | None, typer.Option(
            "--threshold", help="Minimum X energy; default max(10 MeV, 2 m_X) (DMG4 convention).")
        ] = None,
        elastic_only: Annotated[bool, typer.Option(
            "--elastic-only", help="Drop the inelastic (incoherent) form factor.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout (a list for a scan).")
                           ] = False,
    ) -> None:
        """Dark-bremsstrahlung cross section l N -> l N X (X = dark photon, scalar, ALP, axial)."""
        # text -> numbers here; the ranges (mass, energy, coupling, threshold) are checked
        # by the library, whose errors _rows renames to these options
        masses = parse_range(mass, "energy", field="--mass")
        e0 = parse_quantity(energy, "energy", field="--energy")
        eps = parse_quantity(coupling, "dimensionless", field="--coupling")
        thr = None if threshold is None else parse_quantity(threshold, "energy", field="--threshold")
        get_material(target, field="--target")
        rows = _rows(model, beam, target, e0, masses, eps, method, thr, not elastic_only)
        if as_json:
            typer.echo(json.dumps(rows if ":" in mass or "," in mass else rows[0]))
        else:
            _print_table(rows)
