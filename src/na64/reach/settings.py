"""Dotted ``key=value`` changes of an analysis (``--set selection.ecal_max=60GeV``).

A setting names a key of the analysis file (``selection.hcal_max``, ``signal.alpha_d``,
``energy``) or the exposure (``eot``, ``observed``: the analysis' runs replaced by one run,
as ``na64 reach invisible --eot`` does).  The changed analysis is validated again by the
same models as the file (:class:`na64.reach.config.AnalysisConfig`), so a bad key or value
is one :class:`~na64.errors.InputError` naming the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..config import validate
from ..errors import InputError
from ..units import MeV, parse_quantity
from .config import AnalysisConfig, RunConfig

__all__ = ["EXPOSURE_KEYS", "analysis_table", "apply_settings", "parse_setting"]

#: Keys that are not in the analysis file but set its runs (one run "user").
EXPOSURE_KEYS = ("eot", "observed")

#: Energy-valued keys, stored in MeV by the models; written back with their unit.
_ENERGY_KEYS = {("energy",), ("selection", "ecal_max"), ("selection", "hcal_max"),
                ("selection", "veto_max"), ("selection", "preshower_min"),
                ("selection", "beam_momentum"), ("selection", "hcal_decay_sum_min")}


def parse_setting(text: str, field: str = "--set") -> tuple[str, str]:
    """``"key=value"`` → ``(key, value)``; anything else is an :class:`InputError`."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or not value:
        raise InputError(field, f"expected KEY=VALUE (e.g. selection.ecal_max=60GeV), got "
                                f"{text!r}")
    return key, value


def _with_units(value: Any, path: tuple[str, ...]) -> Any:
    if path in _ENERGY_KEYS and value is not None:
        if isinstance(value, (list, tuple)):
            return [f"{float(v) / MeV!r}MeV" for v in value]
        return f"{float(value) / MeV!r}MeV"
    if isinstance(value, dict):
        return {k: _with_units(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def analysis_table(config: AnalysisConfig) -> dict[str, Any]:
    """The analysis as the table of an analysis file (energies with their unit): validating
    it again gives ``config`` back."""
    out = _with_units(config.model_dump(), ())
    assert isinstance(out, dict)
    return out


def _value(text: str) -> Any:
    """A list for ``a,b``; the text otherwise (the models parse units and numbers)."""
    return [t.strip() for t in text.split(",")] if "," in text else text


def apply_settings(config: AnalysisConfig, settings: Sequence[str], *,
                   runs: Sequence[RunConfig] | None = None, field: str = "--set"
                   ) -> tuple[AnalysisConfig, tuple[RunConfig, ...]]:
    """Apply ``key=value`` settings to an analysis and its runs.

    Parameters
    ----------
    config
        The analysis.
    settings
        ``key=value`` texts: a dotted key of the analysis file, or ``eot`` / ``observed``
        (one run of that exposure and observed count replaces the runs).
    runs
        The runs to start from (default: the analysis').
    field
        Option named in errors.

    Returns
    -------
    (AnalysisConfig, tuple of RunConfig)
        The validated analysis and runs.

    Raises
    ------
    InputError
        A malformed setting, an unknown key or a value the models refuse (the field is the
        dotted key).
    """
    table = analysis_table(config)
    run_list = tuple(runs) if runs is not None else config.runs
    eot: float | None = None
    observed: int | None = None
    for text in settings:
        key, value = parse_setting(text, field)
        if key == "eot":
            eot = parse_quantity(value, "dimensionless", field="eot")
            if not 0 < eot <= 1e16:
                raise InputError("eot", f"must be in (0, 1e16], got {eot:g}")
            continue
        if key == "observed":
            try:
                observed = int(value)
            except ValueError:
                raise InputError("observed", f"must be an integer in [0, 1e6], got "
                                             f"{value!r}") from None
            if not 0 <= observed <= 1_000_000:
                raise InputError("observed", f"must be an integer in [0, 1e6], got {observed}")
            continue
        if key == "runs" or key.startswith("runs."):
            raise InputError(key, "set the exposure with eot=... (and observed=...)")
        parts = key.split(".")
        node: Any = table
        for p in parts[:-1]:
            if not isinstance(node, dict) or p not in node or not isinstance(node[p], dict):
                raise InputError(key, f"unknown key; tables of the analysis: "
                                      f"{', '.join(k for k, v in table.items() if isinstance(v, dict))}")
            node = node[p]
        if not isinstance(node, dict) or parts[-1] not in node:
            allowed = ", ".join(list(node) + ([*EXPOSURE_KEYS] if node is table else []))
            raise InputError(key, f"unknown key; allowed: {allowed}")
        if isinstance(node[parts[-1]], dict):
            raise InputError(key, "is a table; set one of its keys, e.g. "
                                  f"{key}.{next(iter(node[parts[-1]]))}=...")
        node[parts[-1]] = _value(value)
    new = validate(AnalysisConfig, table, source=field, root="analysis")
    if eot is not None:
        run_list = (RunConfig(name="user", eot=eot, observed=observed or 0),)
    elif observed is not None:
        raise InputError("observed", "applies to the run given by eot=...; set both")
    return new, run_list
