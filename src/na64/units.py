"""Units: the :mod:`hepunits` system (MeV = mm = ns = 1) and parsing of quantities.

Internally every number in na64 is expressed in hepunits.  Users type quantities with
units on the command line and in config files: ``"100GeV"``, ``"10 MeV"``, ``"2.84e11"``,
``"38mm"``.  :func:`parse_quantity` turns such text into a float in internal units and
checks its dimension; a bare number takes a default unit (GeV for energies).
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Literal

import hepunits as hu
import numpy as np
from hepunits import (  # re-exported for convenience
    GeV,
    MeV,
    TeV,
    cm,
    eV,
    keV,
    m,
    mm,
    ns,
    picobarn,
    s,
)
from hepunits import micrometer as um

from .errors import InputError

__all__ = [
    "Dimension",
    "GeV",
    "MeV",
    "TeV",
    "cm",
    "eV",
    "format_quantity",
    "keV",
    "m",
    "mm",
    "ns",
    "parse_quantity",
    "parse_range",
    "picobarn",
    "s",
    "um",
]

Dimension = Literal["energy", "length", "time", "area", "magnetic_field", "dimensionless"]

_UNITS: dict[str, tuple[Dimension, float]] = {
    # energy / mass / momentum (c = 1)
    "eV": ("energy", hu.eV),
    "keV": ("energy", hu.keV),
    "MeV": ("energy", hu.MeV),
    "GeV": ("energy", hu.GeV),
    "TeV": ("energy", hu.TeV),
    # length
    "nm": ("length", hu.nanometer),
    "um": ("length", hu.micrometer),
    "µm": ("length", hu.micrometer),
    "mm": ("length", hu.mm),
    "cm": ("length", hu.cm),
    "m": ("length", hu.m),
    "km": ("length", hu.km),
    # time
    "ps": ("time", hu.ps),
    "ns": ("time", hu.ns),
    "us": ("time", hu.us),
    "µs": ("time", hu.us),
    "ms": ("time", hu.ms),
    "s": ("time", hu.s),
    # cross sections
    "fb": ("area", hu.femtobarn),
    "pb": ("area", hu.picobarn),
    "nb": ("area", hu.nanobarn),
    "ub": ("area", hu.microbarn),
    "mb": ("area", hu.millibarn),
    "b": ("area", hu.barn),
    "cm2": ("area", hu.cm2),
    # magnetic field
    "T": ("magnetic_field", hu.tesla),
    "kG": ("magnetic_field", 0.1 * hu.tesla),
    "G": ("magnetic_field", hu.gauss),
}

_DEFAULT_UNIT: dict[Dimension, str | None] = {
    "energy": "GeV",
    "length": "mm",
    "time": "ns",
    "area": "pb",
    "magnetic_field": "T",
    "dimensionless": None,
}

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>[A-Za-zµ0-9]*)\s*$")
_NON_FINITE = re.compile(r"^\s*[+-]?(?:nan|inf|infinity)(?![a-z])", re.IGNORECASE)

#: How each dimension is named in messages ("expected an energy").
_DIMENSION_NAME: dict[Dimension, str] = {
    "energy": "an energy",
    "length": "a length",
    "time": "a time",
    "area": "an area",
    "magnetic_field": "a magnetic field",
    "dimensionless": "a dimensionless number",
}
#: Longest user text quoted in full in a message; longer text is shortened.
_MAX_QUOTED = 40
#: Most values of a scan or a list accepted by :func:`parse_range`.
_MAX_POINTS = 100_000


def _quote(text: object) -> str:
    """``repr`` of user text for a message, shortened when long (one line, no control codes)."""
    shown = str(text)
    if len(shown) > _MAX_QUOTED:
        return f"{shown[:_MAX_QUOTED - 10]!r}...({len(shown)} characters)"
    return repr(shown)


def _units_of(dimension: Dimension) -> str:
    return ", ".join(k for k, (d, _) in _UNITS.items() if d == dimension) or "none"


def parse_quantity(
    text: str | float | int,
    dimension: Dimension = "energy",
    *,
    field: str = "value",
    default_unit: str | None = None,
) -> float:
    """Parse a number with an optional unit into internal (hepunits) units.

    Parameters
    ----------
    text
        ``"100GeV"``, ``"10 MeV"``, ``"2.84e11"``, ``"38mm"`` or a plain number (any real
        number type, e.g. ``int``, ``float`` or a numpy scalar).
    dimension
        The dimension the value must have.  A unit of another dimension is an error.
    field
        Name used in error messages (e.g. ``"--energy"``).
    default_unit
        Unit of a bare number; defaults to GeV for energies, mm for lengths, ns for
        times, pb for areas, T for fields.

    Returns
    -------
    float
        The value in hepunits (MeV, mm, ns, ...), always finite.

    Raises
    ------
    InputError
        Malformed text, unknown unit, wrong dimension, or a value that is not finite
        (``nan``, ``inf``, or too large to be represented, e.g. ``1e400GeV``).
    """
    if isinstance(text, numbers.Real) and not isinstance(text, bool):
        unit = default_unit or _DEFAULT_UNIT[dimension]
        scale = 1.0 if unit is None else _UNITS[unit][1]
        try:
            value = float(text)
            shown = repr(value)
        except OverflowError:  # an int beyond the float range
            value, shown = math.inf, f"an integer of {len(str(abs(int(text))))} digits"
        if not math.isfinite(value):
            raise InputError(field, f"must be a finite number, got {shown}")
        if not math.isfinite(value * scale):
            raise InputError(field, f"is too large: {shown} {unit} is beyond the floating-point "
                                    "range")
        return value * scale
    match = _QUANTITY.match(str(text))
    if match is None:
        finite = "; the number must be finite" if _NON_FINITE.match(str(text)) else ""
        what = ("a number (e.g. '2.84e11')" if dimension == "dimensionless"
                else "a number with an optional unit (e.g. '100GeV')")
        raise InputError(field, f"cannot parse {_quote(text)} as {what}{finite}")
    value = float(match["num"])
    unit = match["unit"]
    if not unit:
        unit_name = default_unit or _DEFAULT_UNIT[dimension]
        scale = 1.0 if unit_name is None else _UNITS[unit_name][1]
    elif unit not in _UNITS:
        raise InputError(field, f"unknown unit {_quote(unit)} in {_quote(text)}; "
                                f"allowed units: {_units_of(dimension)}")
    else:
        unit_dim, scale = _UNITS[unit]
        if unit_dim != dimension:
            raise InputError(
                field,
                f"{_quote(text)} is {_DIMENSION_NAME[unit_dim]}, expected "
                f"{_DIMENSION_NAME[dimension]} (units: {_units_of(dimension)})",
            )
    if not math.isfinite(value):
        raise InputError(field, f"must be a finite number, got {_quote(text)}")
    if not math.isfinite(value * scale):
        raise InputError(field, f"is too large: {_quote(text)} is beyond the floating-point "
                                "range")
    return value * scale


def parse_range(
    text: str,
    dimension: Dimension = "energy",
    *,
    field: str = "value",
    default_unit: str | None = None,
) -> np.ndarray:
    """Parse a single value or a log-spaced scan ``"lo:hi:n"`` into an array.

    ``"1MeV:1GeV:25"`` gives 25 logarithmically spaced values from 1 MeV to 1 GeV
    (both included).  ``"10MeV"`` gives a one-element array.  A comma separated list
    ``"1MeV,10MeV,100MeV"`` is also accepted.  A scan or a list has at most 100000 values.

    Raises
    ------
    InputError
        Any :func:`parse_quantity` error, a malformed scan, a scan limit ``<= 0``, limits in
        the wrong order, or more than 100000 values.
    """
    text = str(text).strip()
    if "," in text:
        items = text.split(",")
        if len(items) > _MAX_POINTS:
            raise InputError(field, f"a list has at most {_MAX_POINTS} values, got {len(items)}")
        return np.array(
            [parse_quantity(t, dimension, field=field, default_unit=default_unit) for t in items]
        )
    parts = text.split(":")
    if len(parts) == 1:
        return np.array([parse_quantity(text, dimension, field=field, default_unit=default_unit)])
    if len(parts) != 3:
        raise InputError(field, f"a scan is 'low:high:n' (e.g. '1MeV:1GeV:25'), got {_quote(text)}")
    lo = parse_quantity(parts[0], dimension, field=field, default_unit=default_unit)
    hi = parse_quantity(parts[1], dimension, field=field, default_unit=default_unit)
    count = parts[2].strip()
    n = int(count) if count.isdecimal() and len(count) <= 6 else 0
    if not 1 <= n <= _MAX_POINTS:
        raise InputError(field, f"number of scan points must be an integer in "
                                f"[1, {_MAX_POINTS}], got {_quote(count)}")
    if lo <= 0 or hi <= 0:
        raise InputError(field, f"scan limits must be > 0, got {_quote(text)}")
    if hi < lo:
        raise InputError(field, f"scan upper limit must be >= lower limit, got {_quote(text)}")
    if n == 1:
        return np.array([lo])
    return np.geomspace(lo, hi, n)


def format_quantity(value: float, dimension: Dimension = "energy", digits: int = 4) -> str:
    """Format an internal value with the most readable unit (``"10 MeV"``, ``"1.2 GeV"``).

    A value that is not finite is spelled as a plain float (``"nan"``, ``"inf"``).
    """
    value = float(value)
    if not math.isfinite(value):
        return repr(value)
    if dimension == "energy":
        ladder = [("TeV", hu.TeV), ("GeV", hu.GeV), ("MeV", hu.MeV), ("keV", hu.keV), ("eV", hu.eV)]
    elif dimension == "length":
        ladder = [("km", hu.km), ("m", hu.m), ("cm", hu.cm), ("mm", hu.mm), ("um", hu.micrometer), ("nm", hu.nanometer)]
    elif dimension == "time":
        ladder = [("s", hu.s), ("ms", hu.ms), ("us", hu.us), ("ns", hu.ns), ("ps", hu.ps)]
    elif dimension == "area":
        ladder = [("b", hu.barn), ("mb", hu.millibarn), ("ub", hu.microbarn), ("nb", hu.nanobarn),
                  ("pb", hu.picobarn), ("fb", hu.femtobarn)]
    else:
        return f"{value:.{digits}g}"
    for name, scale in ladder:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {name}"
    name, scale = ladder[-1]
    return f"{value / scale:.{digits}g} {name}"
