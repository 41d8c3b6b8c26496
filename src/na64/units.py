"""Units: the :mod:`hepunits` system (MeV = mm = ns = 1) and parsing of quantities.

Internally every number in na64 is expressed in hepunits.  Users type quantities with
units on the command line and in config files: ``"100GeV"``, ``"10 MeV"``, ``"2.84e11"``,
``"38mm"``.  :func:`parse_quantity` turns such text into a float in internal units and
checks its dimension; a bare number takes a default unit (GeV for energies).
"""

from __future__ import annotations

import math
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
        ``"100GeV"``, ``"10 MeV"``, ``"2.84e11"``, ``"38mm"`` or a plain number.
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
        The value in hepunits (MeV, mm, ns, ...).

    Raises
    ------
    InputError
        Malformed text, unknown unit, wrong dimension, or a non-finite value.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        unit = default_unit or _DEFAULT_UNIT[dimension]
        scale = 1.0 if unit is None else _UNITS[unit][1]
        if not math.isfinite(value):
            raise InputError(field, f"must be a finite number, got {text!r}")
        return value * scale
    match = _QUANTITY.match(str(text))
    if match is None:
        raise InputError(
            field, f"cannot parse {text!r} as a number with an optional unit (e.g. '100GeV')"
        )
    value = float(match["num"])
    unit = match["unit"]
    if not math.isfinite(value):
        raise InputError(field, f"must be a finite number, got {text!r}")
    if not unit:
        unit_name = default_unit or _DEFAULT_UNIT[dimension]
        return value if unit_name is None else value * _UNITS[unit_name][1]
    if unit not in _UNITS:
        known = ", ".join(k for k, (d, _) in _UNITS.items() if d == dimension) or "none"
        raise InputError(field, f"unknown unit {unit!r} in {text!r}; allowed units: {known}")
    unit_dim, scale = _UNITS[unit]
    if unit_dim != dimension:
        known = ", ".join(k for k, (d, _) in _UNITS.items() if d == dimension) or "none"
        raise InputError(
            field,
            f"{text!r} is a {unit_dim.replace('_', ' ')}, expected a "
            f"{dimension.replace('_', ' ')} (units: {known})",
        )
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
    ``"1MeV,10MeV,100MeV"`` is also accepted.
    """
    text = str(text).strip()
    if "," in text:
        return np.array(
            [parse_quantity(t, dimension, field=field, default_unit=default_unit)
             for t in text.split(",")]
        )
    parts = text.split(":")
    if len(parts) == 1:
        return np.array([parse_quantity(text, dimension, field=field, default_unit=default_unit)])
    if len(parts) != 3:
        raise InputError(field, f"a scan is 'low:high:n' (e.g. '1MeV:1GeV:25'), got {text!r}")
    lo = parse_quantity(parts[0], dimension, field=field, default_unit=default_unit)
    hi = parse_quantity(parts[1], dimension, field=field, default_unit=default_unit)
    try:
        n = int(parts[2])
    except ValueError:
        raise InputError(field, f"number of scan points must be an integer, got {parts[2]!r}") from None
    if n < 1 or n > 100_000:
        raise InputError(field, f"number of scan points must be in [1, 100000], got {n}")
    if lo <= 0 or hi <= 0:
        raise InputError(field, f"scan limits must be > 0, got {text!r}")
    if hi < lo:
        raise InputError(field, f"scan upper limit must be >= lower limit, got {text!r}")
    if n == 1:
        return np.array([lo])
    return np.geomspace(lo, hi, n)


def format_quantity(value: float, dimension: Dimension = "energy", digits: int = 4) -> str:
    """Format an internal value with the most readable unit (``"10 MeV"``, ``"1.2 GeV"``)."""
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
