"""Export the limit table of a reach job as a HEPData submission (YAML).

HEPData (https://www.hepdata.net) is the open repository of the numbers behind the figures
and tables of particle-physics publications.  A submission is a directory (uploaded as an
archive) holding ``submission.yaml`` and one data file per table.  ``submission.yaml`` is a
multi-document YAML file: its first document describes the whole submission
(``comment``), each further one a table (``name``, ``description``, ``keywords``,
``data_file``).  A data file lists the ``independent_variables`` (here the mass of the new
particle) and the ``dependent_variables`` (the limits); each variable has a ``header``
(``name``, ``units``) and one ``value`` per point, and a dependent variable also
``qualifiers`` (metadata such as beam, exposure and confidence level) and, per point,
optional ``errors``.  The format is that of E. Maguire, L. Heinrich and G. Watt, "HEPData:
a repository for high energy physics data", J. Phys. Conf. Ser. 898 (2017) 102006,
arXiv:1704.05473, documented at https://hepdata-submission.readthedocs.io.

Tables written by :func:`limits_to_hepdata`
-------------------------------------------
From ``limits.csv`` (``na64 reach invisible`` and ``na64 reach positron``):

* ``epsilon_limit.yaml``, "90% CL upper limit on epsilon": the observed limit
  (``epsilon_90cl``) and the expected one (median, ``epsilon_expected``), whose ±1σ and
  ±2σ expected bands are written as asymmetric errors of the median, labelled ``1 sigma``
  and ``2 sigma`` (``minus`` = lower edge − median, ``plus`` = upper edge − median), then
  every other ``epsilon_*`` column (dark bremsstrahlung or annihilation only, one beam
  energy only, combined with an electron-beam result, projections to a larger exposure).
* ``y_limit.yaml``, "90% CL upper limit on y": ``y_90cl``, ``y_expected`` and the
  ``y_90cl_alpha_d_*`` columns (the ``alpha_D`` qualifier of each says which α_D).
* ``signal.yaml``, "Signal expectation": the other numeric columns (signal per EOT at
  unit coupling, efficiency, production, ...); a column ``X_unc`` becomes the symmetric
  error ``MC stat`` of ``X``.

From ``exclusion.csv`` (``na64 reach visible``):

* ``epsilon_band.yaml``, "90% CL excluded band in epsilon": ``epsilon_low`` and
  ``epsilon_high``; masses where nothing is excluded (empty cells) are omitted.
* ``epsilon_band_expected.yaml``, "Expected excluded band in epsilon": the edges of the
  expected band (median, ±1σ) and of the projections.
* ``signal.yaml``: ``max_signal_events`` and ``epsilon_at_max``.

The independent variable is the mass in GeV (``m_A'`` for the dark photon).  Every
dependent variable carries the qualifiers read from ``summary.json``: beam, beam energy
(or energies), exposure (``EOT``, or ``POT`` for a positron job), observed events, model,
``alpha_D`` and ``m_A'/m_chi`` (where the job has them), ``CL`` = 90%, analysis, na64
version and command, and ``na64 column``, the CSV column it comes from.  A column
that refers to another exposure, energy or α_D (a projection, one beam energy, a
``y_90cl_alpha_d_*`` column) has that qualifier set to its own value.  ``columns``
restricts the export to some CSV columns; a table none of whose columns is chosen is not
written.

Numbers and missing values
--------------------------
Values are the CSV numbers, converted with ``float`` and written at full (``repr``)
precision: they read back exactly as the CSV text.  The errors of the expected band are
computed in decimal arithmetic from the CSV text, so no binary rounding noise is added.
Nothing is reinterpreted: where a mass has no sensitivity, na64 writes its cap (ε = 1) in
the limit columns, and that value is exported as it stands.

HEPData has no NaN or infinity, and every variable of a table must have one value per
point.  Empty and non-finite cells are therefore never written as numbers: a mass whose
cells are all missing in a table is omitted from that table (the preferred form of a
missing point in HEPData); a single missing cell in a mass row that has other values is
written as ``value: '-'`` without errors (the form HEPData documents for a missing bin);
a variable with no value at all is left out.  The HEPData validator rejects a point whose
errors are all zero, so a collapsed expected band (upper and lower edges equal to the
median, as with no expected background) is written without errors; a band edge that is
missing drops that error only.

Examples
--------
>>> from na64.io.hepdata import limits_to_hepdata
>>> limits_to_hepdata("results/reach", "results/hepdata")  # doctest: +SKIP
[PosixPath('results/hepdata/submission.yaml'), PosixPath('results/hepdata/epsilon_limit.yaml'), ...]
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .atomic import atomic_directory, atomic_write_text, exclusive_lock, prepare_directory

__all__ = ["HEPDATA_FILE_NAMES", "SUBMISSION_FILE", "limits_to_hepdata", "reserve_hepdata"]

#: The file that describes the submission and marks an output directory as one.
SUBMISSION_FILE = "submission.yaml"
_WHAT = "a HEPData submission"
#: Data file of each table.
_DATA_FILES = {
    "epsilon": "epsilon_limit.yaml",
    "y": "y_limit.yaml",
    "band": "epsilon_band.yaml",
    "band_expected": "epsilon_band_expected.yaml",
    "signal": "signal.yaml",
}
#: Every file :func:`limits_to_hepdata` may write.
HEPDATA_FILE_NAMES = frozenset({SUBMISSION_FILE, *_DATA_FILES.values()})

_IN = "result_dir"
_OUT = "--hepdata"
_COLUMNS = "columns"
_MASS = "mass_GeV"
_MISSING = "-"
#: Expected bands of ``limits.csv``: (error label, lower edge, upper edge).
_BANDS = (("1 sigma", "epsilon_expected_m1s", "epsilon_expected_p1s"),
          ("2 sigma", "epsilon_expected_m2s", "epsilon_expected_p2s"))
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
                     r"|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_MASS_NAMES = {"dark-photon": "m_A'", "alp": "m_a", "lmu-ltau": "m_Z'", "b-l": "m_Z'"}


@dataclass
class _Csv:
    """The numeric table of a result: masses and, per column, the cell text (None if
    missing: empty or not finite)."""

    name: str
    header: list[str]
    masses: list[float] = field(default_factory=list)
    cells: dict[str, list[str | None]] = field(default_factory=dict)


@dataclass
class _Meta:
    """What ``summary.json`` says about the job, in the terms of the export."""

    kind: str  # "invisible", "positron" or "visible"
    coupling: str
    coupling_unit: str
    mass_name: str
    exposure_name: str
    qualifiers: dict[str, tuple[Any, str]]  # name -> (value, units), in order
    groups: dict[str, dict[str, Any]]  # positron: energy key -> its summary
    projections: dict[str, float]  # invisible: projection key -> exposure
    phrases: list[str]
    comment: str


@dataclass
class _Var:
    """One dependent variable: a CSV column and the columns that give its errors."""

    column: str
    header: dict[str, str]
    qualifiers: list[dict[str, Any]]
    bands: list[tuple[str, str, str]] = field(default_factory=list)
    symerror: tuple[str, str] | None = None


# --- reading the result ---------------------------------------------------------------


def _read_summary(directory: Path) -> dict[str, Any]:
    path = directory / "summary.json"
    if not path.is_file():
        raise InputError(_IN, f"{directory} is not a reach result: it has no summary.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(_IN, f"{path} is not valid JSON ({exc})") from None
    except OSError as exc:
        raise InputError(_IN, f"cannot read {path}: {exc.strerror}") from None
    if not isinstance(data, dict) or "na64_version" not in data:
        raise InputError(_IN, f"{directory} is not a reach result: its summary.json was "
                              "not written by na64 reach")
    return data


def _kind(summary: Mapping[str, Any], directory: Path) -> str:
    mode = summary.get("mode", "invisible")
    if mode not in ("invisible", "positron", "visible"):
        raise InputError(_IN, f"{directory} is not a reach result (summary.json mode "
                              f"{mode!r}; expected invisible, positron or visible)")
    return str(mode)


def _malformed(path: Path, where: str, what: str) -> InputError:
    return InputError(_IN, f"{path} is malformed: {where}{what}")


def _read_csv(path: Path) -> _Csv:
    """Read and check a limits.csv / exclusion.csv."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _malformed(path, "", "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(_IN, f"cannot read {path}: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise _malformed(path, "", "the file is empty")
        header = [h.strip() for h in header]
        if _MASS not in header:
            raise _malformed(path, "line 1: ", f"no {_MASS} column")
        if "" in header:
            raise _malformed(path, "line 1: ", "a column has no name")
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise _malformed(path, "line 1: ", f"repeated column {', '.join(repeated)}")
        table = _Csv(path.name, header, cells={h: [] for h in header if h != _MASS})
        for row in reader:
            if not row:
                continue  # a blank line
            where = f"line {reader.line_num}: "
            if len(row) != len(header):
                raise _malformed(path, where, f"{len(row)} fields, the header has "
                                              f"{len(header)}")
            for name, raw in zip(header, row, strict=True):
                cell = raw.strip()
                if cell and not _NUMBER.fullmatch(cell):
                    raise _malformed(path, where, f"{name} = {raw!r} is not a number")
                finite = bool(cell) and math.isfinite(float(cell))
                if name == _MASS:
                    if not finite or float(cell) <= 0:
                        raise _malformed(path, where, f"{_MASS} must be a finite number "
                                                      f"> 0, got {raw!r}")
                    table.masses.append(float(cell))
                else:
                    table.cells[name].append(cell if finite else None)
    except csv.Error as exc:
        raise _malformed(path, f"line {reader.line_num}: ", str(exc)) from None
    if not table.masses:
        raise _malformed(path, "", "it holds no mass point")
    return table


# --- what summary.json says -------------------------------------------------------------


def _scalar(value: Any) -> str | int | float | None:
    """``value`` if it is a string, or a finite number (not a bool); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def _number(value: Any) -> float | None:
    v = _scalar(value)
    return float(v) if isinstance(v, int | float) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list_of_dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _energies(kind: str, summary: Mapping[str, Any]) -> list[float]:
    if kind == "invisible":
        values = [summary.get("energy_GeV")]
    elif kind == "positron":
        values = [g.get("energy_GeV") for g in _list_of_dicts(summary.get("groups"))]
    else:
        values = [r.get("energy_GeV") for r in _list_of_dicts(summary.get("runs"))]
    return sorted({e for e in map(_number, values) if e is not None})


def _energy_value(energies: Sequence[float]) -> float | str | None:
    if not energies:
        return None
    return energies[0] if len(energies) == 1 else ", ".join(f"{e:g}" for e in energies)


def _meta(kind: str, summary: Mapping[str, Any], csv_name: str) -> _Meta:
    """The export's metadata from ``summary.json`` (fields that are missing are skipped)."""
    signal = _dict(summary.get("signal"))
    if kind == "visible":
        analysis_cfg = _dict(summary.get("analysis"))
        beam = _scalar(analysis_cfg.get("beam"))
        analysis = _scalar(analysis_cfg.get("name"))
        model = _scalar(_dict(summary.get("model")).get("name"))
    else:
        beam = _scalar(summary.get("beam"))
        analysis = _scalar(summary.get("analysis"))
        model = _scalar(summary.get("model"))
    coupling, unit = "epsilon", ""
    coupling_info = summary.get("coupling")
    if kind != "visible" and isinstance(coupling_info, dict):
        name = _scalar(coupling_info.get("name"))
        if isinstance(name, str):
            coupling = "g" if name == "coupling" else name
        unit_value = _scalar(coupling_info.get("unit"))
        unit = unit_value if isinstance(unit_value, str) else ""
    exposure_name = "POT" if kind == "positron" else "EOT"
    exposure = _number(summary.get("pot" if kind == "positron" else "eot"))
    energies = _energies(kind, summary)
    groups = {str(g["key"]): g for g in _list_of_dicts(summary.get("groups")) if "key" in g}
    projections = {str(k): v for k, v in _dict(summary.get("projections_eot")).items()
                   if _number(v) is not None}

    q: dict[str, tuple[Any, str]] = {}

    def add(name: str, value: Any, units: str = "") -> None:
        v = _scalar(value)
        if v is not None:
            q[name] = (v, units)

    add("beam", beam)
    add("E_beam", _energy_value(energies), "GeV")
    add(exposure_name, exposure)
    if kind == "positron" and len(groups) > 1:
        for key, g in groups.items():
            add(f"{exposure_name} at {key}", _number(g.get("pot")))
    add("observed events", summary.get("observed"))
    add("model", model)
    if kind != "visible":
        add("alpha_D", signal.get("alpha_d"))
        add("m_A'/m_chi", signal.get("mass_ratio"))
    add("CL", "90%")
    add("analysis", analysis)
    add("na64 version", summary.get("na64_version"))
    add("command", summary.get("command"))

    beam_phrase = {"e-": "Electron beam", "e+": "Positron beam", "mu-": "Muon beam",
                   "mu+": "Muon beam"}.get(str(beam), "Fixed target")
    model_phrase = {"dark-photon": "Dark photon", "alp": "Axion-like particle"}.get(
        str(model), "Dark sector")
    phrases = [model_phrase, "Visible decay" if kind == "visible" else "Invisible decay",
               beam_phrase, "Fixed target",
               "Exclusion region" if kind == "visible" else "Upper limit"]
    phrases = list(dict.fromkeys(phrases))

    energy_text = _energy_value(energies)
    facts = [f"Analysis {analysis}" if analysis else "",
             f"{beam} beam" if beam else "",
             f"{energy_text:g} GeV" if isinstance(energy_text, float)
             else (f"{energy_text} GeV" if energy_text else ""),
             f"{exposure:.3g} {exposure_name}" if exposure is not None else "",
             f"{summary['observed']} events observed"
             if _scalar(summary.get("observed")) is not None else ""]
    command = _scalar(summary.get("command"))
    comment = (f"Limits computed with na64 {summary.get('na64_version')}, a simulation and "
               f"limit-setting package for NA64-like dark-sector searches"
               + (f", by the command: {command}" if command else "") + ". "
               + (", ".join(f for f in facts if f) + ". " if any(facts) else "")
               + f"Exported from {csv_name}. Masses are in GeV. A missing point is omitted; "
               f"a missing value in a row that has others is written as '{_MISSING}'.")
    mass_name = _MASS_NAMES.get(str(model), "m_X" if str(model).startswith("x-") else "m")
    return _Meta(kind=kind, coupling=coupling, coupling_unit=unit, mass_name=mass_name,
                 exposure_name=exposure_name, qualifiers=q, groups=groups,
                 projections={k: float(v) for k, v in projections.items()},
                 phrases=phrases, comment=comment)


# --- tables ---------------------------------------------------------------------------


def _group_of(kind: str, column: str) -> str:
    """The table a column belongs to."""
    if kind == "visible":
        if column in ("epsilon_low", "epsilon_high"):
            return "band"
        if column.startswith(("epsilon_low_", "epsilon_high_")):
            return "band_expected"
        return "signal"
    if column.startswith(("epsilon_", "coupling_")):
        return "epsilon"
    if column.startswith("y_"):
        return "y"
    return "signal"


def _float_text(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _header(column: str, meta: _Meta) -> dict[str, str]:
    """HEPData header (descriptive name, units) of a CSV column."""
    c, unit = meta.coupling, meta.coupling_unit
    obs = f"Observed 90% CL upper limit on {c}"
    exp = f"Expected 90% CL upper limit on {c}"
    band = f"90% CL excluded band in {c}"
    fixed: dict[str, tuple[str, str]] = {
        "epsilon_90cl": (obs, unit),
        "epsilon_expected": (f"{exp}, median", unit),
        "epsilon_expected_m1s": (f"{exp}, -1 sigma", unit),
        "epsilon_expected_p1s": (f"{exp}, +1 sigma", unit),
        "epsilon_expected_m2s": (f"{exp}, -2 sigma", unit),
        "epsilon_expected_p2s": (f"{exp}, +2 sigma", unit),
        "epsilon_90cl_brem_only": (f"{obs}, dark bremsstrahlung only", unit),
        "epsilon_90cl_annihilation_only": (f"{obs}, resonant annihilation only", unit),
        "epsilon_90cl_with_electrons": (f"{obs}, combined with the electron-beam result",
                                        unit),
        "y_90cl": ("Observed 90% CL upper limit on y", ""),
        "y_expected": ("Expected 90% CL upper limit on y, median", ""),
        "epsilon_low": (f"Lower edge of the {band}", ""),
        "epsilon_high": (f"Upper edge of the {band}", ""),
        "signal_per_eot_eps1": (f"Selected signal events per EOT at {c} = 1", ""),
        "signal_per_eot_eps1_unc": (
            f"Uncertainty of the selected signal events per EOT at {c} = 1", ""),
        "efficiency": ("Signal efficiency", ""),
        "efficiency_unc": ("Uncertainty of the signal efficiency", ""),
        "production_per_eot_eps1": (f"Produced particles per EOT at {c} = 1", ""),
        "annihilation_signal_per_eot_eps1": (
            f"Selected signal events per EOT at {c} = 1 from resonant annihilation", ""),
        "annihilation_production_per_eot_eps1": (
            f"Produced particles per EOT at {c} = 1 from resonant annihilation", ""),
        "signal_eps1": (f"Expected signal events at {c} = 1", ""),
        "max_signal_events": ("Largest expected signal count over the coupling scan", ""),
        "epsilon_at_max": (f"{c} where the expected signal count is largest", ""),
    }
    fixed["coupling_90cl_high"] = (f"Upper edge of the {band} (none: the band reaches the "
                                   "model's largest coupling)", unit)
    fixed["coupling_90cl"] = (f"{obs} (lower edge of the {band})", unit)
    if m := re.fullmatch(r"g_minus_2_(e_cs|e_rb|mu)_(low|high)", column):
        what = {"e_cs": "a_e with alpha(Cs), +-1 sigma", "e_rb": "a_e with alpha(Rb), "
                "+-1 sigma", "mu": "a_mu 2021, +-2 sigma"}[m[1]]
        edge = "Lower" if m[2] == "low" else "Upper"
        return _with_units(f"{edge} edge of the {c} band explaining {what} (one loop)", unit)
    if column.startswith("coupling_") and column not in fixed:
        column = "epsilon_" + column[len("coupling_"):]
    if column in fixed:
        name, units = fixed[column]
    elif m := re.fullmatch(r"epsilon_expected_(.+)pot_per_energy", column):
        name, units = f"{exp}, projection to {m[1]} POT per energy", unit
    elif m := re.fullmatch(r"epsilon_expected_(.+)eot", column):
        name, units = f"{exp}, projection to {m[1]} EOT", unit
    elif m := re.fullmatch(r"y_90cl_alpha_d_(.+)", column):
        name, units = f"Observed 90% CL upper limit on y, alpha_D = {m[1]}", ""
    elif m := re.fullmatch(r"epsilon_(low|high)_expected(_[mp]1s)?(?:_(.+)eot)?", column):
        edge = "Lower" if m[1] == "low" else "Upper"
        what = f"expected {band}" + (f", projection to {m[3]} EOT" if m[3] else "")
        shift = {"_m1s": ", -1 sigma", "_p1s": ", +1 sigma"}.get(m[2] or "", "")
        name, units = f"{edge} edge of the {what}{shift}", ""
    elif m := re.fullmatch(r"epsilon_90cl_(.+)", column):
        name, units = f"{obs}, {m[1]} beam only", unit
    else:
        name, units = column, ""
    return _with_units(name, units)


def _with_units(name: str, units: str) -> dict[str, str]:
    return {"name": name, "units": units} if units else {"name": name}


def _qualifiers(column: str, meta: _Meta) -> list[dict[str, Any]]:
    """The qualifiers of a column: those of the job, with the exposure, energy or α_D the
    column itself refers to."""
    q = dict(meta.qualifiers)
    if column.startswith("coupling_"):  # a model's coupling: the same roles as ε's columns
        column = "epsilon_" + column[len("coupling_"):]
    projection = None
    if m := re.fullmatch(r"epsilon_expected_(.+)pot_per_energy", column):
        projection = (f"{meta.exposure_name} per energy", _float_text(m[1]))
        q.pop(meta.exposure_name, None)
    elif m := (re.fullmatch(r"epsilon_expected_(.+)eot", column)
               or re.fullmatch(r"epsilon_(?:low|high)_expected_(.+)eot", column)):
        projection = (meta.exposure_name, meta.projections.get(m[1], _float_text(m[1])))
    if projection is not None:
        q.pop("observed events", None)
        for key in [k for k in q if k.startswith(f"{meta.exposure_name} at ")]:
            del q[key]
        if projection[1] is not None:
            q[projection[0]] = (projection[1], "")
    if m := re.fullmatch(r"y_90cl_alpha_d_(.+)", column):
        alpha = _float_text(m[1])
        if alpha is not None:
            q["alpha_D"] = (alpha, "")
    if meta.kind == "positron" and (m := re.fullmatch(r"epsilon_90cl_(.+)", column)) \
            and m[1] in meta.groups:
        group = meta.groups[m[1]]
        for key in [k for k in q if k.startswith(f"{meta.exposure_name} at ")]:
            del q[key]
        for name, value, units in (("E_beam", group.get("energy_GeV"), "GeV"),
                                   (meta.exposure_name, group.get("pot"), ""),
                                   ("observed events", group.get("observed"), "")):
            v = _scalar(value)
            if v is not None:
                q[name] = (v, units)
    q["na64 column"] = (column, "")
    out = []
    for name, (value, units) in q.items():
        entry: dict[str, Any] = {"name": name, "value": value}
        if units:
            entry["units"] = units
        out.append(entry)
    return out


def _variables(kind: str, group: str, columns: Sequence[str], meta: _Meta) -> list[_Var]:
    """The dependent variables of one table, in CSV order; band and uncertainty columns
    become errors of the column they belong to when both are selected."""
    chosen = set(columns)
    as_errors: set[str] = set()
    bands: list[tuple[str, str, str]] = []
    if group == "epsilon" and "epsilon_expected" in chosen:
        bands = [b for b in _BANDS if b[1] in chosen and b[2] in chosen]
        as_errors |= {c for b in bands for c in b[1:]}
    if group == "signal":
        as_errors |= {c for c in chosen if c.endswith("_unc") and c[:-4] in chosen}
    out = []
    for column in columns:
        if column in as_errors:
            continue
        var = _Var(column, _header(column, meta), _qualifiers(column, meta))
        if column == "epsilon_expected":
            var.bands = bands
        if f"{column}_unc" in as_errors:
            var.symerror = ("MC stat", f"{column}_unc")
        out.append(var)
    return out


def _errors(var: _Var, table: _Csv, i: int, text: str) -> list[dict[str, Any]]:
    """The errors of point ``i`` of ``var`` (value ``text``); none if all are zero."""
    errors: list[dict[str, Any]] = []
    with localcontext() as ctx:
        ctx.prec = 100
        centre = Decimal(text)
        for label, low, high in var.bands:
            lo, hi = table.cells[low][i], table.cells[high][i]
            if lo is None or hi is None:
                continue
            errors.append({"asymerror": {"minus": float(Decimal(lo) - centre),
                                         "plus": float(Decimal(hi) - centre)},
                           "label": label})
    if var.symerror is not None:
        label, column = var.symerror
        unc = table.cells[column][i]
        if unc is not None:
            errors.append({"symerror": float(unc), "label": label})

    def zero(e: dict[str, Any]) -> bool:
        if "symerror" in e:
            return bool(e["symerror"] == 0)
        return bool(e["asymerror"]["minus"] == 0 and e["asymerror"]["plus"] == 0)

    return [] if all(zero(e) for e in errors) else errors


def _data_document(variables: list[_Var], table: _Csv, meta: _Meta) -> dict[str, Any] | None:
    """The data file of one table, or None if it has no value."""
    variables = [v for v in variables if any(c is not None for c in table.cells[v.column])]
    rows = [i for i in range(len(table.masses))
            if any(table.cells[v.column][i] is not None for v in variables)]
    if not rows:
        return None
    dependent = []
    for var in variables:
        values: list[dict[str, Any]] = []
        for i in rows:
            text = table.cells[var.column][i]
            if text is None:
                values.append({"value": _MISSING})
                continue
            point: dict[str, Any] = {"value": float(text)}
            errors = _errors(var, table, i, text)
            if errors:
                point["errors"] = errors
            values.append(point)
        dependent.append({"header": var.header, "qualifiers": var.qualifiers,
                          "values": values})
    return {
        "independent_variables": [{
            "header": {"name": meta.mass_name, "units": "GeV"},
            "values": [{"value": table.masses[i]} for i in rows],
        }],
        "dependent_variables": dependent,
    }


def _table_entry(group: str, doc: Mapping[str, Any], meta: _Meta) -> dict[str, Any]:
    """The document of ``submission.yaml`` that describes one table."""
    c = meta.coupling
    m = meta.mass_name
    q = meta.qualifiers
    names: list[str] = [d["header"]["name"] for d in doc["dependent_variables"]]
    banded = any("asymerror" in e for d in doc["dependent_variables"] for p in d["values"]
                 for e in p.get("errors", []))
    if group == "epsilon":
        name = f"90% CL upper limit on {c}"
        lead = f"Upper limit at 90% confidence level on the coupling {c} versus the mass {m}."
        if banded:
            lead += (" The errors of the expected limit (median) are its 1 sigma and 2 sigma "
                     "expected bands: minus = lower edge - median, plus = upper edge - median"
                     " (a point where the band collapses onto the median has no errors).")
    elif group == "y":
        name = "90% CL upper limit on y"
        ratio = q.get("m_A'/m_chi", (None, ""))[0]
        alpha = q.get("alpha_D", (None, ""))[0]
        lead = ("Upper limit at 90% confidence level on the dark-matter interaction "
                f"strength y = {c}^2 alpha_D (m_chi/m_A')^4 versus {m}"
                + (f", for m_A' = {ratio:g} m_chi" if isinstance(ratio, int | float) else "")
                + (f" and alpha_D = {alpha:g} unless the alpha_D qualifier says otherwise"
                   if isinstance(alpha, int | float) else "") + ".")
    elif group == "band":
        name = f"90% CL excluded band in {c}"
        lead = (f"Band of the coupling {c} excluded at 90% confidence level versus {m}, "
                "between its lower and upper edge; masses where nothing is excluded are "
                "omitted.")
    elif group == "band_expected":
        name = f"Expected excluded band in {c}"
        lead = (f"Expected band of the coupling {c} excluded at 90% confidence level versus "
                f"{m}; masses where no expected band exists are omitted.")
    else:
        name = "Signal expectation"
        lead = f"Signal expectation that enters the limit, versus {m}."
    description = (f"{lead} Variables: {'; '.join(names)}. Computed with na64 "
                   f"{q.get('na64 version', ('?', ''))[0]} (simulation).")
    return {"name": name, "description": description,
            "keywords": [{"name": "phrases", "values": list(meta.phrases)}],
            "data_file": _DATA_FILES[group]}


# --- writing --------------------------------------------------------------------------


def _yaml(document: Any) -> str:
    return str(yaml.safe_dump(document, sort_keys=False, default_flow_style=False,
                              allow_unicode=True, width=4096))


def _yaml_documents(documents: Sequence[Any]) -> str:
    return str(yaml.safe_dump_all(documents, explicit_start=True, sort_keys=False,
                                  default_flow_style=False, allow_unicode=True, width=4096))


def _owned(name: str) -> bool:
    """Whether an entry of an existing output directory is one this export writes (or the
    temporary file of one, left by a killed run)."""
    return name in HEPDATA_FILE_NAMES or (
        ".tmp" in name and any(name.startswith(f".{n}.") for n in HEPDATA_FILE_NAMES))


def _select(table: _Csv, columns: str | Iterable[str] | None) -> list[str]:
    available = [h for h in table.header if h != _MASS]
    if columns is None:
        return available
    names = columns.split(",") if isinstance(columns, str) else list(columns)
    if not all(isinstance(n, str) for n in names):
        raise InputError(_COLUMNS, "give column names (strings)")
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in table.header]
    if unknown:
        raise InputError(_COLUMNS, f"no column {', '.join(unknown)} in {table.name}; "
                                   f"choose among: {', '.join(available)}")
    chosen = set(wanted) - {_MASS}
    if not chosen:
        raise InputError(_COLUMNS, f"no column chosen; choose among: {', '.join(available)}")
    return [h for h in available if h in chosen]


def limits_to_hepdata(
    result_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    columns: str | Iterable[str] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write the limit table of a reach result as a HEPData submission.

    Reads ``summary.json`` and ``limits.csv`` (``exclusion.csv`` for a visible result) of
    ``result_dir`` and writes ``submission.yaml`` and one data file per table into
    ``out_dir`` (see the module docstring for the tables, qualifiers and the treatment of
    missing values).  The directory is written as a whole
    (:func:`na64.io.atomic.atomic_directory`): into a hidden temporary directory next to
    ``out_dir``, renamed into place under a lock, so a failure leaves no partial output.

    Parameters
    ----------
    result_dir
        Output directory of ``na64 reach invisible``, ``positron`` or ``visible`` (or one
        ``beam_<E>GeV`` subdirectory of a positron result).
    out_dir
        Directory to create: missing (created with its parents), empty, or with
        ``overwrite`` a previous export (holding ``submission.yaml`` and only files an
        export writes), replaced as a whole.
    columns
        CSV columns to export (``mass_GeV`` is always the independent variable); a string
        is a comma-separated list.  Default: every column.  The expected bands become
        errors of ``epsilon_expected`` when it and both edges of a band are chosen.
    overwrite
        Replace a previous export in ``out_dir``.

    Returns
    -------
    list of Path
        The files written, ``out_dir / "submission.yaml"`` first.

    Raises
    ------
    InputError
        Field ``result_dir``: the directory is missing, is not a reach result (no or a
        foreign ``summary.json``, no ``limits.csv`` / ``exclusion.csv``), or a file is
        malformed (bad JSON; a CSV row with the wrong number of fields, a cell that is not
        a number, a missing or non-positive mass).  Field ``columns``: an unknown column,
        none chosen, or every chosen cell is empty.  Field ``--hepdata``: ``out_dir``
        cannot be written, is not empty and not an earlier export, holds an earlier export
        and ``overwrite`` is false, or is locked by another run.
    OSError
        The file system failed while writing; ``out_dir`` is left as it was.

    Examples
    --------
    >>> limits_to_hepdata("results/reach", "results/hepdata",
    ...                   columns=["epsilon_90cl", "epsilon_expected"])  # doctest: +SKIP
    [PosixPath('results/hepdata/submission.yaml'), PosixPath('results/hepdata/epsilon_limit.yaml')]
    """
    directory = Path(result_dir)
    if not directory.exists():
        raise InputError(_IN, f"{directory} does not exist")
    if not directory.is_dir():
        raise InputError(_IN, f"{directory} is not a directory")
    summary = _read_summary(directory)
    kind = _kind(summary, directory)
    csv_name = "exclusion.csv" if kind == "visible" else "limits.csv"
    if not (directory / csv_name).is_file():
        raise InputError(_IN, f"{directory} is not a complete {kind} reach result: it has "
                              f"no {csv_name}")
    table = _read_csv(directory / csv_name)
    selected = _select(table, columns)
    meta = _meta(kind, summary, csv_name)

    groups: dict[str, list[str]] = {}
    for column in selected:
        groups.setdefault(_group_of(kind, column), []).append(column)
    files: list[tuple[str, str]] = []
    entries: list[dict[str, Any]] = [{"comment": meta.comment}]
    for group in _DATA_FILES:  # fixed table order
        if group not in groups:
            continue
        doc = _data_document(_variables(kind, group, groups[group], meta), table, meta)
        if doc is None:
            continue
        files.append((_DATA_FILES[group], _yaml(doc)))
        entries.append(_table_entry(group, doc, meta))
    if not files:
        raise InputError(_COLUMNS if columns is not None else _IN,
                         f"nothing to export: every chosen cell of {directory / csv_name} "
                         "is empty or not finite")
    files.insert(0, (SUBMISSION_FILE, _yaml_documents(entries)))

    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker=SUBMISSION_FILE, owned=_owned,
                          what=_WHAT, field=_OUT) as tmp:
        for name, text in files:
            atomic_write_text(tmp / name, text)
    return [out / name for name, _ in files]


@contextlib.contextmanager
def reserve_hepdata(out_dir: str | os.PathLike[str], *, overwrite: bool = False
                    ) -> Iterator[Path]:
    """Lock ``out_dir`` and check that a HEPData export may be written there, with the
    checks of :func:`limits_to_hepdata` (which re-enters the lock): meant to wrap a whole
    reach job, so that a bad ``--hepdata`` is reported before any computation.

    Raises
    ------
    InputError
        (``--hepdata``) as for the output directory of :func:`limits_to_hepdata`.
    """
    with exclusive_lock(out_dir, field=_OUT):
        prepare_directory(out_dir, overwrite=overwrite, marker=SUBMISSION_FILE, owned=_owned,
                          what=_WHAT, field=_OUT)
        yield Path(out_dir)
