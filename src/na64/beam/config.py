"""Validated beam and beam-line configurations (pydantic v2 models).

A setup TOML has a ``[beam]`` table (:class:`BeamConfig`) and a ``beamline`` key that is
either the name of a shipped beam line (``src/na64/data/beamlines/NAME.toml``) or an
inline table (:class:`BeamlineConfig`).  Quantities accept units: ``"100GeV"``,
``"38mm"``, ``"1.75T"``, ``"0.1mrad"``; a bare energy is GeV, a bare length mm, a bare
field tesla and a bare angle radian.

Every user error is raised as :class:`na64.errors.InputError` with the dotted field name
(``beam.admixtures.0.fraction``) and the allowed range; models, unit-aware fields, TOML
reading and the error translation come from :mod:`na64.config`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from hepunits import tesla
from pydantic import Field, model_validator

from ..config import (
    Angle,
    Energy,
    EnergyMeV,
    Length,
    MagneticField,
    StrictModel,
    load_toml,
    quantity_at,
    validate,
)
from ..errors import InputError
from .particles import PARTICLES

__all__ = [
    "Admixture",
    "BeamConfig",
    "BeamlineConfig",
    "LowEnergyTail",
    "Magnet",
    "SRDConfig",
    "Spectrometer",
    "TrackerStation",
    "TriggerCounter",
    "beamline_names",
    "load_beam",
    "load_beamline",
]

BeamParticle = Literal["e-", "e+", "mu-", "mu+", "pi-", "pi+", "K-", "K+", "p", "pbar"]
AdmixtureParticle = Literal["e-", "e+", "mu-", "mu+", "pi-", "pi+", "K-", "K+", "p", "pbar"]


class _Model(StrictModel):
    """A :class:`~na64.config.StrictModel` that can be written back as a TOML table."""

    def as_table(self) -> dict[str, Any]:
        """A TOML-ready table with explicit units; ``load_*(x.as_table()) == x``."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            quantity = quantity_at(type(self), (name,))
            if isinstance(value, _Model):
                out[name] = value.as_table()
            elif isinstance(value, tuple):
                out[name] = [v.as_table() if isinstance(v, _Model) else v for v in value]
            elif quantity is not None and value is not None:
                out[name] = quantity.to_toml(value)
            elif value is not None:
                out[name] = value
        return out


class LowEnergyTail(_Model):
    """Low-energy tail of the primary beam (radiative losses upstream, halo).

    A fraction ``fraction`` of the primary particles has momentum ``p = p0 * r`` with
    ``r`` in ``[min_ratio, 1)``; for ``shape="exponential"`` the density of ``1 - r``
    is an exponential of mean ``scale`` truncated to the interval, for
    ``shape="uniform"`` ``r`` is uniform.
    """

    fraction: float = Field(default=0.0, ge=0.0, le=0.5, description="fraction of primaries in the tail [0, 0.5]")
    shape: Literal["exponential", "uniform"] = "exponential"
    scale: float = Field(default=0.1, gt=0.0, le=1.0, description="mean of 1 - p/p0 for the exponential shape (0, 1]")
    min_ratio: float = Field(default=0.1, ge=0.01, lt=1.0, description="lowest p/p0 in the tail [0.01, 1)")
    fraction_uncertainty: float | None = Field(default=None, ge=0.0, le=0.5, description="absolute 1-sigma uncertainty of fraction; None = 100% of fraction"
    )


class Admixture(_Model):
    """A contaminant species carried by the beam line at the same momentum."""

    particle: AdmixtureParticle
    fraction: float = Field(ge=0.0, le=0.5, description="particles per beam particle [0, 0.5]")
    fraction_uncertainty: float | None = Field(default=None, ge=0.0, le=0.5, description="absolute 1-sigma uncertainty; None = 100% of fraction"
    )


class BeamConfig(_Model):
    """The beam delivered to the target face.

    Energies are in MeV internally (``"100GeV"`` accepted).  ``momentum_spread`` is the
    Gaussian sigma_p/p of the core; positions and slopes are Gaussian with the given
    sigmas at the target face.
    """

    particle: BeamParticle = "e-"
    energy: Energy = Field(default=100_000.0, gt=0.0, le=1.0e6, description="nominal energy (0, 1 TeV]")
    momentum_spread: float = Field(default=0.01, ge=0.0, le=0.2, description="sigma_p/p of the core [0, 0.2]")
    sigma_x: Length = Field(default=5.0, ge=0.0, le=200.0, description="spot sigma_x in mm [0, 200]")
    sigma_y: Length = Field(default=5.0, ge=0.0, le=200.0, description="spot sigma_y in mm [0, 200]")
    divergence_x: Angle = Field(default=1e-4, ge=0.0, le=0.05, description="sigma of dx/dz in rad [0, 0.05]")
    divergence_y: Angle = Field(default=1e-4, ge=0.0, le=0.05, description="sigma of dy/dz in rad [0, 0.05]")
    tail: LowEnergyTail = Field(default_factory=LowEnergyTail)
    admixtures: tuple[Admixture, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> BeamConfig:
        total = sum(a.fraction for a in self.admixtures)
        if total >= 1.0:
            raise ValueError(f"admixture fractions add up to {total:.3g}; must be < 1")
        names = [a.particle for a in self.admixtures]
        if self.particle in names:
            raise ValueError(f"the primary particle {self.particle!r} cannot also be an admixture")
        if len(set(names)) != len(names):
            raise ValueError("each admixture particle may appear only once")
        mass = PARTICLES[self.particle].mass
        if self.energy <= mass:
            raise ValueError(f"energy must exceed the {self.particle} mass ({mass:.4g} MeV)")
        return self

    @property
    def primary_fraction(self) -> float:
        """Fraction of beam particles that are the primary species."""
        return 1.0 - sum(a.fraction for a in self.admixtures)

    @property
    def momentum(self) -> float:
        """Nominal momentum (MeV)."""
        m = PARTICLES[self.particle].mass
        return math.sqrt(self.energy**2 - m**2)


class Magnet(_Model):
    """A dipole bending in the x-z plane; ``z`` is its centre, relative to the target face."""

    name: str = Field(min_length=1)
    field: MagneticField = Field(gt=0.0, le=10.0 * tesla, description="field in T (0, 10]")
    length: Length = Field(gt=0.0, le=20_000.0, description="length in mm (0, 20 m]")
    z: Length = Field(le=1.0e6, ge=-1.0e6, description="centre position in mm relative to the target face")

    @property
    def field_integral(self) -> float:
        """Integral B dl (hepunits tesla * mm)."""
        return self.field * self.length


class TrackerStation(_Model):
    """A tracking station (one x and one y measurement)."""

    name: str = Field(min_length=1)
    kind: Literal["micromegas", "gem", "straw", "scifi", "silicon"] = "micromegas"
    z: Length = Field(ge=-1.0e6, le=1.0e6, description="position in mm relative to the target face")
    resolution: Length = Field(gt=0.0, le=10.0, description="hit resolution in mm (0, 10]")
    x_over_x0: float = Field(ge=0.0, le=0.5, description="material budget x/X0 [0, 0.5]")
    efficiency: float = Field(default=1.0, gt=0.0, le=1.0, description="hit efficiency (0, 1]")
    half_width: Length | None = Field(default=None, gt=0.0, le=5000.0, description="half the active width in the bend plane x in mm (0, 5000]; none: unlimited")
    half_height: Length | None = Field(default=None, gt=0.0, le=5000.0, description="half the active height in y in mm (0, 5000]; none: unlimited")
    x_center: Length = Field(default=0.0, ge=-5000.0, le=5000.0, description="centre of the active area in x, mm from the incoming beam axis [-5000, 5000]")


class TriggerCounter(_Model):
    """A trigger counter behind the target: the outgoing particle must cross its area
    ``[x_min, x_max] × [-half_height, half_height]`` (mm from the incoming beam axis, bend
    plane x) at ``z``; every counter of a beam line's ``trigger`` list must be hit."""

    name: str = Field(min_length=1)
    z: Length = Field(gt=0.0, le=1.0e6, description="position in mm behind the target face (0, 1e6]")
    x_min: Length = Field(ge=-5000.0, le=5000.0, description="inner edge in x, mm [-5000, 5000]")
    x_max: Length = Field(ge=-5000.0, le=5000.0, description="outer edge in x, mm [-5000, 5000]")
    half_height: Length = Field(gt=0.0, le=5000.0, description="half height in y, mm (0, 5000]")

    @model_validator(mode="after")
    def _edges(self) -> TriggerCounter:
        if not self.x_min < self.x_max:
            raise ValueError(f"x_min ({self.x_min:g} mm) must be below x_max ({self.x_max:g} mm)")
        return self


class Spectrometer(_Model):
    """Magnets and the tracker stations upstream and downstream of them (by name)."""

    name: str = Field(min_length=1)
    magnets: tuple[str, ...] = Field(min_length=1)
    stations: tuple[str, ...] = Field(min_length=4)


class SRDConfig(_Model):
    """Synchrotron-radiation detector: ``n_modules`` layers along the photon direction.

    The front face is at ``distance`` downstream of the end of the last bending magnet,
    and spans lateral offsets ``[inner_offset, inner_offset + width]`` from the
    undeflected-beam axis on the inside of the bend.  A photon converts at a depth
    drawn from an exponential of mean ``attenuation_length`` and deposits
    ``sampling_fraction`` of its energy in the module it converts in.
    """

    material: Literal["BGO", "PbSc"] = "BGO"
    n_modules: int = Field(default=3, ge=1, le=10, description="number of modules [1, 10]")
    module_depth: Length = Field(gt=0.0, le=1000.0, description="depth of one module in mm (0, 1000]")
    attenuation_length: Length = Field(gt=0.0, le=1000.0, description="photon attenuation length in mm")
    distance: Length = Field(gt=0.0, le=100_000.0, description="magnet end to SRD in mm (0, 100 m]")
    inner_offset: Length = Field(ge=0.0, le=1000.0, description="beam axis to SRD inner edge in mm")
    width: Length = Field(gt=0.0, le=1000.0, description="lateral size in mm (0, 1000]")
    sampling_fraction: float = Field(default=1.0, gt=0.0, le=1.0, description="visible energy fraction (0, 1]")
    stochastic: float = Field(default=0.05, ge=0.0, le=2.0, description="sigma_E/E at 1 MeV: sigma = a sqrt(E/MeV) MeV")
    noise: EnergyMeV = Field(default=0.1, ge=0.0, le=100.0, description="Gaussian noise per module in MeV [0, 100]")
    threshold: EnergyMeV = Field(default=1.0, gt=0.0, le=1000.0, description="per-module tag threshold in MeV (0, 1000]")
    max_total: EnergyMeV | None = Field(default=None, gt=0.0, description="upper bound of the summed energy in MeV")


class BeamlineConfig(_Model):
    """The beam line upstream of (and spectrometers around) the target."""

    name: str = Field(min_length=1)
    description: str = ""
    magnets: tuple[Magnet, ...] = ()
    srd: SRDConfig | None = None
    trackers: tuple[TrackerStation, ...] = ()
    spectrometers: tuple[Spectrometer, ...] = ()
    trigger: tuple[TriggerCounter, ...] = ()
    decay_length: Length = Field(default=0.0, ge=0.0, le=2.0e6, description="flight path (mm) over which decays in flight are simulated"
    )

    @model_validator(mode="after")
    def _check(self) -> BeamlineConfig:
        magnets = {m.name for m in self.magnets}
        stations = {t.name for t in self.trackers}
        if len(magnets) != len(self.magnets):
            raise ValueError("magnet names must be unique")
        if len(stations) != len(self.trackers):
            raise ValueError("tracker station names must be unique")
        if self.srd is not None and not self.magnets:
            raise ValueError("an SRD needs at least one bending magnet")
        for spec in self.spectrometers:
            for m in spec.magnets:
                if m not in magnets:
                    raise ValueError(f"spectrometer {spec.name!r}: unknown magnet {m!r}; known: {sorted(magnets)}")
            for s in spec.stations:
                if s not in stations:
                    raise ValueError(f"spectrometer {spec.name!r}: unknown station {s!r}; known: {sorted(stations)}")
            z_lo, z_hi = self.magnet_span(spec.magnets)
            zs = [self.station(s).z for s in spec.stations]
            n_up = sum(z < z_lo for z in zs)
            n_down = sum(z > z_hi for z in zs)
            if n_up < 2 or n_down < 2 or n_up + n_down != len(zs):
                raise ValueError(
                    f"spectrometer {spec.name!r} needs >= 2 stations before z={z_lo:g} mm and "
                    f">= 2 after z={z_hi:g} mm, none inside the magnets"
                )
        return self

    def magnet(self, name: str) -> Magnet:
        """The magnet called ``name``."""
        for m in self.magnets:
            if m.name == name:
                return m
        raise InputError("magnet", f"unknown magnet {name!r}; known: {[m.name for m in self.magnets]}")

    def station(self, name: str) -> TrackerStation:
        """The tracker station called ``name``."""
        for t in self.trackers:
            if t.name == name:
                return t
        raise InputError("station", f"unknown station {name!r}; known: {[t.name for t in self.trackers]}")

    def spectrometer(self, name: str | None = None) -> Spectrometer:
        """The spectrometer called ``name`` (the first one when ``name`` is None)."""
        if not self.spectrometers:
            raise InputError("spectrometer", f"beam line {self.name!r} has no spectrometer")
        if name is None:
            return self.spectrometers[0]
        for s in self.spectrometers:
            if s.name == name:
                return s
        raise InputError(
            "spectrometer", f"unknown spectrometer {name!r}; known: {[s.name for s in self.spectrometers]}"
        )

    def magnet_span(self, names: tuple[str, ...] | None = None) -> tuple[float, float]:
        """(z of the first magnet entrance, z of the last magnet exit) in mm."""
        mags = self.magnets if names is None else tuple(self.magnet(n) for n in names)
        return (min(m.z - m.length / 2 for m in mags), max(m.z + m.length / 2 for m in mags))

    @property
    def field_integral(self) -> float:
        """Total integral B dl of the bending magnets (tesla * mm)."""
        return sum(m.field_integral for m in self.magnets)

    @property
    def magnet_length(self) -> float:
        """Summed length of the bending magnets (mm)."""
        return sum(m.length for m in self.magnets)


def load_beam(table: Mapping[str, Any] | BeamConfig, *, field: str = "beam") -> BeamConfig:
    """Validate a ``[beam]`` table into a :class:`BeamConfig`.

    Raises
    ------
    InputError
        With the dotted field name (``beam.tail.fraction``) and the allowed range.
    """
    if isinstance(table, BeamConfig):
        return table
    if not isinstance(table, Mapping):
        raise InputError(field, f"must be a table, got {type(table).__name__}")
    return validate(BeamConfig, table, source=None, prefix=field)


def _data_dir() -> Path:
    return Path(str(resources.files("na64") / "data" / "beamlines"))


def beamline_names() -> list[str]:
    """Names of the beam lines shipped with na64 (``h4_electrons``, ``m2_muons``, ...)."""
    return sorted(p.stem for p in _data_dir().glob("*.toml"))


def _shipped_beamline(name: str) -> Path | None:
    return _data_dir() / f"{name}.toml" if name in beamline_names() else None


def _unknown_beamline(name: str) -> str:
    return f"unknown beam line {name!r}; shipped: {beamline_names()} (or a path to a .toml file)"


def load_beamline(
    name_or_table: str | Path | Mapping[str, Any] | BeamlineConfig, *, field: str = "beamline"
) -> BeamlineConfig:
    """Load a shipped beam line by name, a TOML file path, or validate an inline table.

    A beam-line file may start from another one with ``extends = "<name or path>"``
    (:func:`na64.config.load_toml`): its tables are merged into the other's key by key,
    arrays such as ``[[magnets]]`` replace the other's.

    Parameters
    ----------
    name_or_table
        ``"h4_electrons"`` (a file in ``na64/data/beamlines``), a path to a TOML file,
        or a mapping with the :class:`BeamlineConfig` fields.

    Raises
    ------
    InputError
        Unknown name, unreadable TOML, or invalid values (dotted field names).
    """
    if isinstance(name_or_table, BeamlineConfig):
        return name_or_table
    if isinstance(name_or_table, (str, Path)):
        table, path = load_toml(name_or_table, field=field, find=_shipped_beamline,
                                unknown=_unknown_beamline)
        return validate(BeamlineConfig, table, source=path.name, prefix=field)
    if isinstance(name_or_table, Mapping):
        return validate(BeamlineConfig, name_or_table, source=None, prefix=field)
    raise InputError(field, f"must be a beam-line name or a table, got {type(name_or_table).__name__}")
