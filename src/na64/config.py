"""The configuration layer: strict models, fields with units, TOML files and their errors.

Every configuration of na64 (setups, beam lines, analyses) is a TOML file validated by a
pydantic model.  This module holds what they share:

* :class:`StrictModel`, the base of every configuration model: unknown keys are errors,
  instances are immutable and non-finite numbers are rejected;
* field types with units (:data:`Energy`, :data:`Length`, :data:`MagneticField`, ...):
  ``"100GeV"``, ``"38mm"``, ``"1.75T"``, ``"0.1mrad"`` or a bare number in the default unit
  (GeV, mm, T, rad; see :func:`na64.units.parse_quantity`);
* :func:`read_toml` and :func:`load_toml`, which read a file (resolving
  ``extends = "<name or path>"`` chains) and turn every problem with it into one
  :class:`~na64.errors.InputError`;
* :func:`validate`, the one translation of a pydantic ``ValidationError`` into an
  :class:`~na64.errors.InputError` naming the dotted key (``beam.admixtures.0.fraction``)
  with the allowed range and the offending value in units.

This is a low-level module: it imports nothing from na64 but :mod:`na64.errors` and
:mod:`na64.units`.
"""

from __future__ import annotations

import errno
import math
import numbers
import os
import re
import stat
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from .errors import InputError
from .units import format_quantity, parse_quantity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "MAX_FILE_BYTES",
    "Angle",
    "Dimensionless",
    "Energy",
    "EnergyMeV",
    "Length",
    "MagneticField",
    "Quantity",
    "StrictModel",
    "Time",
    "load_toml",
    "merge_tables",
    "quantity_at",
    "read_toml",
    "resolve_extends",
    "validate",
]

#: Largest configuration file read (bytes); anything bigger is not a configuration.
MAX_FILE_BYTES = 16 * 1024 * 1024

#: At most this many validation errors are listed in one message.
_MAX_ERRORS = 5

ModelT = TypeVar("ModelT", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every configuration model.

    Unknown keys are errors (``extra="forbid"``), instances are immutable
    (``frozen=True``) and NaN or infinite floats are rejected (``allow_inf_nan=False``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# -- quantities ------------------------------------------------------------------------------

QuantityKind = Literal[
    "energy", "length", "time", "area", "magnetic_field", "dimensionless", "angle"
]

_TESLA = parse_quantity(1, "magnetic_field", default_unit="T")
_ANGLE = re.compile(
    r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(rad|mrad|urad|µrad)?\s*$"
)
_ANGLE_SCALE: dict[str | None, float] = {
    None: 1.0, "rad": 1.0, "mrad": 1e-3, "urad": 1e-6, "µrad": 1e-6
}
#: (unit text, scale) of the exact, TOML-ready spelling of an internal value.
_TOML_UNIT: dict[str, tuple[str, float]] = {
    "energy": ("MeV", parse_quantity(1, "energy", default_unit="MeV")),
    "length": ("mm", parse_quantity(1, "length", default_unit="mm")),
    "time": ("ns", parse_quantity(1, "time", default_unit="ns")),
    "area": ("pb", parse_quantity(1, "area", default_unit="pb")),
    "magnetic_field": ("T", _TESLA),
}
_LENGTH_LADDER: tuple[tuple[str, float], ...] = tuple(
    (unit, parse_quantity(1, "length", default_unit=unit)) for unit in ("km", "m", "mm", "um", "nm")
)
_EXAMPLE: dict[str, str] = {
    "energy": "'100GeV'", "length": "'38mm'", "time": "'10ns'", "area": "'1pb'",
    "magnetic_field": "'1.75T'", "dimensionless": "'2.84e11'", "angle": "'0.1mrad'",
}
_BARE_UNIT: dict[str, str] = {
    "energy": "GeV", "length": "mm", "time": "ns", "area": "pb", "magnetic_field": "T",
    "angle": "rad",
}


@dataclass(frozen=True)
class Quantity:
    """A physical quantity: the metadata of the unit-aware field types.

    Parameters
    ----------
    kind
        A :data:`na64.units.Dimension` or ``"angle"`` (rad, mrad, urad; internal unit rad).
    default_unit
        Unit of a bare number; ``None`` takes the default of
        :func:`na64.units.parse_quantity` (GeV, mm, ns, pb, T; rad for angles).
    """

    kind: QuantityKind
    default_unit: str | None = None

    def parse(self, value: Any, field: str) -> Any:
        """Text or a number into internal units; other types are left to pydantic.

        Raises
        ------
        InputError
            Malformed text, a unit of another dimension, a boolean or a non-finite value.
        """
        if value is None:
            return value
        if isinstance(value, bool):
            raise InputError(field, f"must be a number with an optional unit "
                                    f"{self._example()}, got {str(value).lower()}")
        if isinstance(value, numbers.Integral):
            try:
                value = float(value)
            except OverflowError:
                raise InputError(field, f"must be a finite number, got {_show(value)}") from None
        elif isinstance(value, numbers.Real):
            value = float(value)
        if not isinstance(value, (str, float)):
            return value
        if self.kind == "angle":
            return _parse_angle(value, field)
        try:
            return parse_quantity(value, self.kind, field=field, default_unit=self.default_unit)
        except InputError as exc:
            # the same message with an example of this kind and its default unit
            message = exc.message.replace("(e.g. '100GeV')", self._example()).replace(
                "expected a energy", "expected an energy")
            raise InputError(exc.field, message) from None

    def _example(self) -> str:
        unit = self.default_unit or _BARE_UNIT.get(self.kind)
        bare = f"; a bare number is {unit}" if unit else ""
        return f"(e.g. {_EXAMPLE[self.kind]}{bare})"

    def format(self, value: float) -> str:
        """A readable spelling of an internal value for messages (``"1 TeV"``, ``"0 mm"``)."""
        if not math.isfinite(value):
            return repr(float(value))
        if self.kind == "dimensionless":
            return f"{value:.6g}"
        if value == 0:
            return f"0 {self.default_unit or _BARE_UNIT[self.kind]}"
        if self.kind == "angle":
            return f"{value:.6g} rad"
        if self.kind == "magnetic_field":
            return f"{value / _TESLA:.6g} T"
        if self.kind == "length":  # the ladder of format_quantity without cm
            unit, scale = next(((u, f) for u, f in _LENGTH_LADDER if abs(value) >= f),
                               _LENGTH_LADDER[-1])
            return f"{value / scale:.6g} {unit}"
        return format_quantity(value, self.kind, digits=6)

    def to_toml(self, value: float) -> str | float:
        """An exact TOML spelling of an internal value that parses back to the same float."""
        if self.kind in _TOML_UNIT:
            unit, scale = _TOML_UNIT[self.kind]
            return f"{value / scale!r}{unit}"
        return float(value)


def _parse_angle(value: str | float, field: str) -> float:
    if isinstance(value, float):
        angle = value
    else:
        match = _ANGLE.match(value)
        if match is None:
            raise InputError(
                field, f"cannot parse {_show(value)} as an angle (e.g. '0.1mrad', '50urad', "
                       "'0.002'; a bare number is rad)")
        angle = float(match[1]) * _ANGLE_SCALE[match[2]]
    if not math.isfinite(angle):
        raise InputError(field, f"must be a finite number, got {_show(value)}")
    return angle


def _validator(quantity: Quantity) -> BeforeValidator:
    def parse(value: Any, info: ValidationInfo) -> Any:
        return quantity.parse(value, info.field_name or quantity.kind)

    return BeforeValidator(parse)


_ENERGY = Quantity("energy")
_ENERGY_MEV = Quantity("energy", default_unit="MeV")
_LENGTH = Quantity("length")
_TIME = Quantity("time")
_FIELD = Quantity("magnetic_field")
_DIMENSIONLESS = Quantity("dimensionless")
_ANGLE_Q = Quantity("angle")

#: An energy, mass or momentum in MeV; ``"100GeV"``, ``"5 MeV"``; a bare number is GeV.
Energy = Annotated[float, _validator(_ENERGY), _ENERGY]
#: An energy in MeV whose bare numbers are MeV (small deposits, thresholds, noise).
EnergyMeV = Annotated[float, _validator(_ENERGY_MEV), _ENERGY_MEV]
#: A length in mm; ``"38mm"``, ``"1.5 cm"``, ``"18m"``; a bare number is mm.
Length = Annotated[float, _validator(_LENGTH), _LENGTH]
#: A time in ns; ``"10ns"``, ``"1us"``; a bare number is ns.
Time = Annotated[float, _validator(_TIME), _TIME]
#: A magnetic field in hepunits; ``"1.75T"``, ``"17.5kG"``; a bare number is tesla.
MagneticField = Annotated[float, _validator(_FIELD), _FIELD]
#: A pure number that may be written as text: ``2.84e11`` or ``"2.84e11"``.
Dimensionless = Annotated[float, _validator(_DIMENSIONLESS), _DIMENSIONLESS]
#: An angle in rad; ``"0.1mrad"``, ``"50urad"``; a bare number is rad.
Angle = Annotated[float, _validator(_ANGLE_Q), _ANGLE_Q]


def _strip(annotation: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated`` and ``X | None`` wrappers, with the collected metadata."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            metadata.extend(annotation.__metadata__)
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, metadata
            annotation = args[0]
        else:
            return annotation, metadata


def _walk(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[Any, list[Any], str]:
    """(type, metadata, description of the innermost named field) at ``loc`` in ``model``.

    The type is ``None`` when ``loc`` leaves the declared structure.
    """
    annotation: Any = model
    metadata: list[Any] = []
    description = ""
    for part in loc:
        annotation, extra = _strip(annotation)
        metadata += extra
        origin, args = get_origin(annotation), get_args(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None, [], description
            annotation, metadata = info.annotation, list(info.metadata)
            description = info.description or ""
            continue
        metadata = []
        if origin is tuple and isinstance(part, int):
            if len(args) == 2 and args[1] is Ellipsis:
                annotation = args[0]
            elif 0 <= part < len(args):
                annotation = args[part]
            else:
                return None, [], description
        elif origin in (list, set, frozenset) and isinstance(part, int) and args:
            annotation = args[0]
        elif origin in (dict, Mapping) and isinstance(part, str) and len(args) == 2:
            annotation = args[1]
        else:
            return None, [], description
    annotation, extra = _strip(annotation)
    return annotation, metadata + extra, description


def quantity_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> Quantity | None:
    """The :class:`Quantity` of the field at ``loc`` (``("magnets", 0, "field")``), or None.

    Parameters
    ----------
    model
        The model class.
    loc
        Field names and sequence indices, as in a pydantic error location.
    """
    _, metadata, _ = _walk(model, loc)
    return next((m for m in metadata if isinstance(m, Quantity)), None)


# -- TOML files ------------------------------------------------------------------------------

def _abbrev(text: str, limit: int = 120) -> str:
    """``text`` shortened in the middle when longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2]}...{text[-(limit // 3):]} ({len(text)} characters)"


def _os_reason(exc: OSError) -> str:
    reasons = {
        errno.ENOENT: "file not found",
        errno.ENOTDIR: "file not found (a part of the path is not a directory)",
        errno.ENAMETOOLONG: "file name too long",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a directory, not a TOML file",
        errno.ELOOP: "too many levels of symbolic links",
    }
    if exc.errno in reasons:
        return reasons[exc.errno]
    return f"cannot read the file ({exc.strerror or type(exc).__name__})"


def _line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def read_toml(path: str | os.PathLike[str], *, field: str) -> dict[str, Any]:
    """Read a TOML file into a dictionary.

    Parameters
    ----------
    path
        The file.
    field
        Name given to the :class:`~na64.errors.InputError` (e.g. ``"setup"``).

    Returns
    -------
    dict
        The TOML document (``extends`` is not resolved: see :func:`load_toml`).

    Raises
    ------
    InputError
        ``InputError(field, "<path>: <what is wrong>")`` for a missing file, a directory or
        other non-regular file, an unreadable file, a file name too long for the OS, a file
        larger than :data:`MAX_FILE_BYTES`, a binary or non-UTF-8 file and malformed TOML
        (with its line and column).
    """
    shown = _abbrev(os.fspath(path))
    try:
        info = os.stat(path)
    except ValueError:  # a NUL character in the name
        raise InputError(field, f"{shown!r}: not a valid file name") from None
    except OSError as exc:
        raise InputError(field, f"{shown}: {_os_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(field, f"{shown}: is a directory, not a TOML file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(field, f"{shown}: not a regular file")
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(field, f"{shown}: {_os_reason(exc)}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(field, f"{shown}: too large for a configuration file "
                                f"(more than {MAX_FILE_BYTES // 2**20} MiB)")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError(field, f"{shown}: a binary file, not TOML text (NUL byte on line "
                                f"{_line(raw, nul)})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            field, f"{shown}: not UTF-8 text (byte 0x{raw[exc.start]:02x} on line "
                   f"{_line(raw, exc.start)}); save the file as UTF-8") from None
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field, f"{shown}: malformed TOML: {exc}") from None
    except RecursionError:
        raise InputError(field, f"{shown}: malformed TOML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputError(field, f"{shown}: malformed TOML: {_abbrev(str(exc), 80)}") from None


def merge_tables(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``: tables merge key by key, any other value replaces.

    Arrays (also arrays of tables such as ``[[runs]]``) replace the base's array as a whole.
    Neither argument is modified.
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out[key] = merge_tables(old, value)
        else:
            out[key] = value
    return out


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or os.sep in text or bool(os.altsep and os.altsep in text)


def _locate(
    name_or_path: str | os.PathLike[str],
    *,
    field: str,
    find: Callable[[str], Path | None],
    unknown: Callable[[str], str] | None,
    relative_to: Path | None,
) -> Path:
    """The file of a shipped name or a path (relative: the working directory, then
    ``relative_to``)."""
    text = os.fspath(name_or_path)
    if not text.endswith(".toml"):
        try:
            found = find(text)
        except (OSError, ValueError):
            found = None
        if found is not None:
            return Path(found)
    path = Path(text)
    candidates = [path]
    if relative_to is not None and not path.is_absolute():
        candidates.append(relative_to / path)
    for candidate in candidates:
        if _exists(candidate):
            return candidate
    if unknown is not None and not _looks_like_path(text):
        raise InputError(field, unknown(_abbrev(text)))
    return candidates[-1]  # read_toml reports what is wrong with it


def resolve_extends(
    data: Mapping[str, Any],
    *,
    find: Callable[[str], Path | None],
    unknown: Callable[[str], str] | None = None,
    path: Path | None = None,
) -> dict[str, Any]:
    """Resolve the ``extends`` key of a table read from TOML.

    ``extends = "<name or path>"`` starts from another file: a shipped name (``find``) or
    a path; a relative path is looked up in the working directory and then in the
    directory of ``path`` (when given).  The table is merged on top of that file's
    (:func:`merge_tables`); the other file may itself extend a third one.

    Parameters
    ----------
    data
        The table; it is not modified.
    find
        Maps a shipped name to its file, or None when there is no such name.
    unknown
        Builds the message for a name that is neither shipped nor an existing file.
    path
        The file ``data`` was read from, if any (relative paths, messages, cycles).

    Returns
    -------
    dict
        The merged table, without ``extends``.

    Raises
    ------
    InputError
        A field ending in ``extends``: not a string, an unknown name, a circular chain, or
        any :func:`read_toml` error of the other file.
    """
    return _resolve(data, find=find, unknown=unknown, path=path, seen=())


def _resolve(data: Mapping[str, Any], *, find: Callable[[str], Path | None],
             unknown: Callable[[str], str] | None, path: Path | None, seen: tuple[str, ...]
             ) -> dict[str, Any]:
    out = dict(data)
    base = out.pop("extends", None)
    if base is None:
        return out
    where = f"{path.name}: extends" if path is not None else "extends"
    if not isinstance(base, str) or not base.strip():
        raise InputError(where, f"must be the name or path of the file to start from, got "
                                f"{_show(base)}")
    base_path = _locate(base, field=where, find=find, unknown=unknown,
                        relative_to=None if path is None else path.parent)
    base_data = _load(base_path, field=where, find=find, unknown=unknown, seen=seen)
    return merge_tables(base_data, out)


def _load(path: Path, *, field: str, find: Callable[[str], Path | None],
          unknown: Callable[[str], str] | None, seen: tuple[str, ...]) -> dict[str, Any]:
    key = os.path.realpath(path)
    if key in seen:
        chain = " -> ".join(Path(p).name for p in (*seen, key))
        raise InputError(field, f"circular 'extends' chain: {chain}")
    data = read_toml(path, field=field)
    try:
        return _resolve(data, find=find, unknown=unknown, path=path, seen=(*seen, key))
    except RecursionError:
        raise InputError(field, f"{path.name}: 'extends' chain or tables nested too deeply"
                         ) from None


def load_toml(
    name_or_path: str | os.PathLike[str],
    *,
    field: str,
    find: Callable[[str], Path | None],
    unknown: Callable[[str], str] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Read a shipped or user TOML file with its ``extends`` chain resolved.

    Parameters
    ----------
    name_or_path
        A shipped name (anything not ending in ``.toml`` is first looked up with ``find``)
        or a path to a TOML file.
    field
        Name given to the errors about the file itself (e.g. ``"setup"``).
    find
        Maps a shipped name to its file, or None when there is no such name; the same
        loader thus serves setups, beam lines and analyses.
    unknown
        Builds the message for a name that is neither shipped nor an existing file (it
        gets the name, shortened if very long); without it :func:`read_toml` reports the
        missing file.

    Returns
    -------
    (dict, Path)
        The merged table (no ``extends`` key) and the file that was named.

    Raises
    ------
    InputError
        Any :func:`read_toml` error, an unknown name, or a bad ``extends`` (see
        :func:`resolve_extends`; a circular chain names ``extends``).
    """
    path = _locate(name_or_path, field=field, find=find, unknown=unknown, relative_to=None)
    return _load(path, field=field, find=find, unknown=unknown, seen=()), path


# -- validation errors -----------------------------------------------------------------------

def _show(value: Any, quantity: Quantity | None = None) -> str:
    """A short spelling of a value in a message: TOML-like, numbers with their unit."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, numbers.Integral):
        try:
            text = str(int(value))
        except ValueError:  # more digits than Python prints
            return "a huge integer"
        return text if len(text) <= 20 else f"{text[:6]}...({len(text)} digits)"
    if isinstance(value, numbers.Real):
        number = float(value)
        return quantity.format(number) if quantity is not None else repr(number)
    if isinstance(value, str):
        return repr(_abbrev(value, 60))
    if isinstance(value, (list, tuple)) and len(value) <= 10 and all(
            isinstance(v, (numbers.Real, str)) for v in value):
        return "[" + ", ".join(_show(v, quantity) for v in value) + "]"
    return ""


_CONSTRAINTS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")
_CONSTRAINT_KEYS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt",
                    "less_than_equal": "le"}


def _message(err: Any, model: type[BaseModel], prefix: str) -> tuple[str, str]:
    """(dotted field, message) of one pydantic error."""
    loc = tuple(err["loc"])
    rel = ".".join(str(p) for p in loc)
    full = ".".join(p for p in (prefix, rel) if p)
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, InputError):
        # raised by a field parser or a nested loader: its message, the most precise field
        if inner.field == full or inner.field.startswith(f"{full}."):
            return inner.field, inner.message
        if rel and (inner.field == rel or inner.field.startswith(f"{rel}.")):
            return ".".join(p for p in (prefix, inner.field) if p), inner.message
        # raised by a model validator about one of the model's own fields
        target, _, _ = _walk(model, loc)
        head = inner.field.split(".")[0]
        if isinstance(target, type) and issubclass(target, BaseModel) \
                and head in target.model_fields:
            return ".".join(p for p in (full, inner.field) if p), inner.message
        return full, inner.message
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    kind = err["type"]
    _, metadata, description = _walk(model, loc)
    quantity = next((m for m in metadata if isinstance(m, Quantity)), None)
    if kind == "extra_forbidden":
        parent, _, _ = _walk(model, loc[:-1])
        if isinstance(parent, type) and issubclass(parent, BaseModel):
            msg = f"unknown key; allowed keys: {', '.join(parent.model_fields)}"
        return full, msg
    if kind in _CONSTRAINTS and quantity is not None:
        limit = ctx.get(_CONSTRAINT_KEYS[kind])
        if isinstance(limit, numbers.Real):
            msg = re.sub(r"\S+$", quantity.format(float(limit)), msg)
    if kind != "missing" and not re.search(r"\bgot\b", msg):
        given = _show(err.get("input"), quantity)
        if given:
            msg = f"{msg}, got {given}"
    if description:
        msg = f"{msg} (allowed: {description})"
    return full, msg


def _without_consequences(errors: list[Any]) -> list[Any]:
    """The errors without those that only follow from another: a sequence reported too short
    (``too_short``) because one of its items failed, which pydantic reports too."""
    locs = [tuple(err.get("loc", ())) for err in errors]
    kept = [err for err, loc in zip(errors, locs, strict=True)
            if not (err.get("type") == "too_short"
                    and any(len(other) > len(loc) and other[:len(loc)] == loc
                            for other in locs))]
    return kept or errors


def validate(
    model_cls: type[ModelT],
    data: Any,
    *,
    source: str | None,
    prefix: str = "",
    root: str | None = None,
) -> ModelT:
    """Validate a table into ``model_cls``, translating pydantic errors into one InputError.

    Parameters
    ----------
    model_cls
        The model (normally a :class:`StrictModel`).
    data
        The table (an instance of ``model_cls`` is returned as is).
    source
        The file the table comes from, appended as ``(in <source>)``; None for none.
    prefix
        Dotted path of the table in its file (``"beam"``): prepended to every field.
    root
        Field name of errors about the table as a whole when ``prefix`` is empty
        (default: the model's name).

    Returns
    -------
    model_cls
        The validated instance.

    Raises
    ------
    InputError
        The field is the dotted key of the first error (``beam.admixtures.0.fraction``);
        the message says what is wrong, with the value and the limits in units and the
        allowed range, followed by up to four more errors as ``key: message``.
    """
    where = f" (in {source})" if source else ""
    whole = prefix or root or model_cls.__name__
    if isinstance(data, model_cls):
        return data
    if not isinstance(data, Mapping):
        raise InputError(whole, f"must be a table, got {type(data).__name__}{where}")
    try:
        return model_cls.model_validate(dict(data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    except RecursionError:
        raise InputError(whole, f"tables nested too deeply{where}") from None
    errors = _without_consequences(errors)
    parts = [_message(err, model_cls, prefix) for err in errors[:_MAX_ERRORS]]
    field = parts[0][0] or whole
    text = "; ".join([parts[0][1], *(f"{f or whole}: {m}" for f, m in parts[1:])])
    if len(errors) > _MAX_ERRORS:
        text += f"; and {len(errors) - _MAX_ERRORS} more"
    raise InputError(field, f"{text}{where}")
