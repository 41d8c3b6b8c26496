"""``na64 widths``: partial widths, branching ratios, lifetime and decay length of a model.

Examples
--------
``na64 widths --model dark-photon --mass 100MeV --epsilon 1e-4``
``na64 widths --model dark-photon --mass 16.7MeV --epsilon 1e-3 --visible --json``
``na64 widths --model alp --mass 10MeV --g-agg 1e-4``
``na64 widths --model x-boson --kind P --mass 16.7MeV --g 1e-4``
``na64 widths --model idm --mass 300MeV --epsilon 1e-4 --delta 0.4 --alpha-d 0.1``
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..models import CHI_KINDS, MODEL_NAMES, Idm, Model, make_model
from ..models.base import MAX_ENERGY
from ..units import GeV, MeV, format_quantity, parse_quantity, parse_range

__all__ = ["build_model", "register", "summary"]

_MODEL_OPTIONS: dict[str, set[str]] = {
    "dark-photon": {"--epsilon", "--alpha-d", "--mchi", "--chi", "--invisible/--visible"},
    "alp": {"--g-agg", "--g-aee"},
    "lmu-ltau": {"--g"},
    "x-boson": {"--g", "--kind"},
    "b-l": {"--g"},
    "idm": {"--epsilon", "--alpha-d", "--mchi", "--delta"},
    "x-scalar": {"--g", "--alpha-d", "--mchi"},
    "x-pseudoscalar": {"--g", "--alpha-d", "--mchi"},
    "x-vector": {"--g", "--alpha-d", "--mchi"},
    "x-axial": {"--g", "--alpha-d", "--mchi"},
    "scalar-mu": {"--g", "--mchi"},
}


_FIELD_TO_OPTION: dict[str, str] = {
    "mass": "--mass", "epsilon": "--epsilon", "alpha_D": "--alpha-d", "m_chi": "--mchi",
    "chi": "--chi", "g_agg": "--g-agg", "g_aee": "--g-aee", "g": "--g", "coupling": "--g",
    "kind": "--kind", "energy": "--energy", "delta": "--delta",
}


def _make(name: str, **params: Any) -> Model:
    """:func:`make_model`, with errors renamed to the command-line option."""
    try:
        return make_model(name, **params)
    except InputError as exc:
        raise InputError(_FIELD_TO_OPTION.get(exc.field, exc.field), exc.message) from None


def _number(text: str, field: str) -> float:
    return parse_quantity(text, "dimensionless", field=field)


def build_model(
    model: str,
    mass: str | float,
    *,
    epsilon: str | None = None,
    alpha_d: str | None = None,
    mchi: str | None = None,
    chi: str | None = None,
    invisible: bool | None = None,
    g_agg: str | None = None,
    g_aee: str | None = None,
    g: str | None = None,
    kind: str | None = None,
    delta: str | None = None,
) -> Model:
    """Build a model from command-line text (units allowed; a bare mass is GeV).

    ``mass`` may also be a number in internal units (MeV), e.g. one point of a scan.

    ``g_agg`` is in GeV^-1.  Options that do not belong to ``model`` raise
    :class:`InputError`.
    """
    name = model.strip().lower()
    if name not in MODEL_NAMES:
        raise InputError("--model", f"unknown model {model!r}; allowed: {', '.join(MODEL_NAMES)}")
    given = {
        "--epsilon": epsilon, "--alpha-d": alpha_d, "--mchi": mchi, "--chi": chi,
        "--invisible/--visible": invisible, "--g-agg": g_agg, "--g-aee": g_aee, "--g": g,
        "--kind": kind, "--delta": delta,
    }
    for opt, value in given.items():
        if value is not None and opt not in _MODEL_OPTIONS.get(name, set()):
            allowed = ", ".join(sorted(_MODEL_OPTIONS.get(name, set()))) or "none"
            raise InputError(opt, f"does not apply to --model {name} (its options: {allowed})")
    m = mass if isinstance(mass, float) else parse_quantity(mass, "energy", field="--mass")
    if name == "dark-photon":
        ad = 0.5 if alpha_d is None else _number(alpha_d, "--alpha-d")
        if invisible is False:
            ad = 0.0
        kind = ("dirac" if chi is None else chi).strip().lower()
        if kind not in CHI_KINDS:
            raise InputError("--chi", f"must be one of {', '.join(CHI_KINDS)}, got {chi!r}")
        params: dict[str, Any] = {
            "mass": m,
            "epsilon": _number("1e-4" if epsilon is None else epsilon, "--epsilon"),
            "alpha_D": ad,
            "chi": kind,
        }
        if mchi is not None:
            params["m_chi"] = parse_quantity(mchi, "energy", field="--mchi")
        return _make(name, **params)
    if name == "idm":
        idm: dict[str, Any] = {
            "mass": m,
            "epsilon": _number("1e-4" if epsilon is None else epsilon, "--epsilon"),
            "alpha_D": _number("0.1" if alpha_d is None else alpha_d, "--alpha-d"),
            "delta": _number("0.1" if delta is None else delta, "--delta"),
        }
        if mchi is not None:
            idm["m_chi"] = parse_quantity(mchi, "energy", field="--mchi")
        return _make(name, **idm)
    if name == "alp":
        if g_agg is None:
            raise InputError("--g-agg", "is required for --model alp (in GeV^-1, e.g. 1e-4)")
        return _make(name, mass=m, g_agg=_number(g_agg, "--g-agg") / GeV,
                          g_aee=_number("0" if g_aee is None else g_aee, "--g-aee"))
    if g is None:
        raise InputError("--g", f"is required for --model {name} (e.g. 1e-4)")
    if name == "x-boson":
        return _make(name, mass=m, kind=("V" if kind is None else kind).strip().upper(),
                     coupling=_number(g, "--g"))
    extra: dict[str, Any] = {}
    if mchi is not None:
        extra["m_chi"] = parse_quantity(mchi, "energy", field="--mchi")
    if name.startswith("x-"):  # the fixed-kind X bosons: coupling g, optional dark sector
        if alpha_d is not None:
            extra["alpha_D"] = _number(alpha_d, "--alpha-d")
        return _make(name, mass=m, coupling=_number(g, "--g"), **extra)
    return _make(name, mass=m, g=_number(g, "--g"), **extra)


def _check_energy(energy: float, mass: float, what: str) -> None:
    """The lab energy of the decay length: in [mass, 1e12 GeV] (see Model.decay_length)."""
    if not mass <= energy <= MAX_ENERGY:
        top = f"{MAX_ENERGY / GeV:.0e}".replace("e+", "e")
        raise InputError("--energy", f"must be in [{what} {format_quantity(mass)}, {top} GeV], "
                                     f"got {format_quantity(energy)}")


def summary(model: Model, energy: float) -> dict[str, Any]:
    """The JSON-ready summary: widths (MeV), branching ratios, total width, ctau, decay length."""
    params = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}  # type: ignore[arg-type]
    for key in ("mass", "m_chi"):
        if isinstance(params.get(key), float):
            params[key + "_MeV"] = params.pop(key) / MeV
    if "g_agg" in params:
        params["g_agg_per_GeV"] = params.pop("g_agg") * GeV
    out: dict[str, Any] = {
        "model": model.name,
        "parameters": params,
        "widths_MeV": {k: v / MeV for k, v in model.widths().items()},
        "branching_ratios": model.branching_ratios(),
        "total_width_MeV": model.total_width / MeV,
        "ctau_mm": model.ctau,
        "invisible_fraction": model.invisible_fraction,
        "energy_GeV": energy / GeV,
        "decay_length_mm": float(model.decay_length(energy)),
    }
    if hasattr(model, "y"):
        out["y"] = model.y
    if isinstance(model, Idm):
        # m_chi2 < mass: an energy above the A' mass is above the chi2 mass
        out["chi2"] = {
            "mass_MeV": model.m_chi2 / MeV,
            "widths_MeV": {k: v / MeV for k, v in model.chi2_widths().items()},
            "branching_ratios": model.chi2_branching_ratios(),
            "ctau_mm": model.chi2_ctau(),
            "decay_length_mm": float(model.chi2_decay_length(energy)),
        }
    return out


def register(app: typer.Typer) -> None:
    """Add ``na64 widths`` to ``app``."""

    @app.command("widths")
    def widths(
        model: Annotated[str, typer.Option("--model", help=f"One of: {', '.join(MODEL_NAMES)}.")
                         ] = "dark-photon",
        mass: Annotated[str, typer.Option(
            "--mass", help="Mass, e.g. 100MeV (bare number: GeV), or a log scan 1MeV:1GeV:10.")
                        ] = "100MeV",
        epsilon: Annotated[str | None, typer.Option(
            "--epsilon", help="Dark photon kinetic mixing \\[default: 1e-4].")] = None,
        alpha_d: Annotated[str | None, typer.Option(
            "--alpha-d", help="Dark coupling alpha_D \\[default: 0.5]; 0 = visible mode.")] = None,
        mchi: Annotated[str | None, typer.Option(
            "--mchi", help="Dark-matter mass \\[default: mass/3].")] = None,
        chi: Annotated[str | None, typer.Option(
            "--chi", help=f"Dark-matter kind: {', '.join(CHI_KINDS)} \\[default: dirac].")] = None,
        invisible: Annotated[bool | None, typer.Option(
            "--invisible/--visible",
            help="Allow A' -> chi chi (default) or switch the dark sector off.")] = None,
        g_agg: Annotated[str | None, typer.Option(
            "--g-agg", help="ALP photon coupling in GeV^-1.")] = None,
        g_aee: Annotated[str | None, typer.Option(
            "--g-aee", help="ALP electron coupling (dimensionless) \\[default: 0].")] = None,
        g: Annotated[str | None, typer.Option(
            "--g", help="Gauge coupling of lmu-ltau / b-l, or the x-boson electron coupling.")] = None,
        kind: Annotated[str | None, typer.Option(
            "--kind", help="x-boson spin-parity: S, P, V or A \\[default: V].")] = None,
        delta: Annotated[str | None, typer.Option(
            "--delta", help="idm: relative splitting (m_chi2 - m_chi1)/m_chi1 "
                            "\\[default: 0.1].")] = None,
        energy: Annotated[str, typer.Option(
            "--energy", help="Lab energy for the decay length.")] = "100GeV",
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    ) -> None:
        """Partial widths, branching ratios, total width, c*tau and decay length of a model."""
        masses = parse_range(mass, "energy", field="--mass")
        e = parse_quantity(energy, "energy", field="--energy")
        options: dict[str, Any] = {"epsilon": epsilon, "alpha_d": alpha_d, "mchi": mchi, "chi": chi,
                   "invisible": invisible, "g_agg": g_agg, "g_aee": g_aee, "g": g, "kind": kind,
                   "delta": delta}
        if masses.size == 1:
            m = build_model(model, mass, **options)
        else:
            _scan(model, masses, e, options, as_json)
            return
        _check_energy(e, m.mass, "the mass")
        info = summary(m, e)
        if as_json:
            typer.echo(json.dumps(info))
            return
        console = Console()
        console.print(f"[bold]{m.name}[/bold]: " + ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in info["parameters"].items()), highlight=False)
        table = Table()
        table.add_column("channel")
        table.add_column("width", justify="right")
        table.add_column("BR", justify="right")
        for ch, w in m.widths().items():
            table.add_row(ch, format_quantity(w, "energy"), f"{info['branching_ratios'][ch]:.4g}")
        table.add_row("total", format_quantity(m.total_width, "energy"), "1", style="bold")
        console.print(table)
        console.print(f"c*tau = {format_quantity(m.ctau, 'length')}   "
                      f"decay length at {format_quantity(e)} = "
                      f"{format_quantity(info['decay_length_mm'], 'length')}   "
                      f"invisible fraction = {m.invisible_fraction:.4g}")
        if isinstance(m, Idm):
            chi2 = info["chi2"]
            console.print(f"chi2 (m = {format_quantity(m.m_chi2)}): " + ", ".join(
                f"BR({k}) = {v:.4g}" for k, v in chi2["branching_ratios"].items())
                + f"   c*tau = {format_quantity(chi2['ctau_mm'], 'length')}   decay length at "
                f"{format_quantity(e)} = {format_quantity(chi2['decay_length_mm'], 'length')}",
                highlight=False)


def _scan(model: str, masses: Any, energy: float, options: dict[str, Any], as_json: bool
          ) -> None:
    """Mass scan: a JSON list of summaries, or one table row per mass."""
    models = [build_model(model, float(mv), **options) for mv in masses]
    _check_energy(energy, float(masses.max()), "the largest mass")
    infos = [summary(m, energy) for m in models]
    if as_json:
        typer.echo(json.dumps(infos))
        return
    channels = list(models[0].widths())
    table = Table(title=f"{models[0].name}: decay length at {format_quantity(energy)}",
                  title_justify="left")
    for col in ("mass", "total width", "c*tau", "decay length", *(f"BR {c}" for c in channels)):
        table.add_column(col, justify="right")
    for m, info in zip(models, infos, strict=True):
        table.add_row(format_quantity(m.mass, digits=3),
                      format_quantity(m.total_width, digits=3),
                      format_quantity(m.ctau, "length", digits=3),
                      format_quantity(info["decay_length_mm"], "length", digits=3),
                      *(f"{info['branching_ratios'][c]:.3g}" for c in channels))
    Console().print(table)
