"""Analysis configuration of a visible-mode search (``na64 reach visible``), read from TOML.

A visible-mode analysis file (``mode = "visible"``) names the default setup and beam, the
boson (``[signal] model``), the cut values (``[selection]``), the background sources, the
coupling grid on which the excluded band is searched (``[couplings]``) and the runs.  A run
may carry its own beam ``energy`` and ``setup`` (the 2017 and 2018 NA64 runs differ in
both); the signal is then computed once per (setup, energy) and the runs are combined.
Values carry units (``"25GeV"``); errors name the dotted field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..config import StrictModel, validate
from ..errors import InputError
from ..select import Selection, visible_selection
from ..units import GeV, MeV, mm, parse_quantity
from .config import (
    BackgroundConfig,
    RunConfig,
    beam_energy,
    brem_method,
    check_produced,
    electron_beam,
    read_analysis_file,
    signal_processes,
)

__all__ = ["VISIBLE_MODELS", "VISIBLE_SOURCES", "CouplingGrid", "VisibleAnalysisConfig",
           "VisibleRunConfig", "VisibleSelectionConfig", "VisibleSignalConfig",
           "load_visible_analysis"]

#: Models a visible search can set limits on: their electron coupling makes them in the dump
#: and they decay to e+e- (the dark photon with alpha_D = 0).
VISIBLE_MODELS: tuple[str, ...] = ("dark-photon", "x-vector", "x-pseudoscalar", "x-scalar",
                                   "x-axial")

#: Default background sources of the visible mode (registry names of na64.background).
VISIBLE_SOURCES: tuple[str, ...] = ("k0_decays", "photon_punch_through", "visible_beam_hadrons")


def _energy(value: Any, field: str) -> float:
    return parse_quantity(value, "energy", field=field)


class VisibleSignalConfig(StrictModel):
    """Signal settings: the boson and how it is made."""

    model: str = "dark-photon"
    processes: tuple[str, ...] = ("brem",)
    method: str = "etl"
    events_per_mass: int = Field(3000, ge=100, le=10_000_000)
    yield_rel_uncertainty: float = Field(0.1, ge=0.0, le=1.0)

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        if v not in VISIBLE_MODELS:
            raise ValueError(f"must be one of {', '.join(VISIBLE_MODELS)}")
        return v

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        return brem_method(v)

    @field_validator("processes")
    @classmethod
    def _processes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return signal_processes(v)

    @model_validator(mode="after")
    def _model_is_produced(self) -> VisibleSignalConfig:
        check_produced(self.model, self.processes)
        return self


class VisibleSelectionConfig(StrictModel):
    """Cut values of the visible-mode selection (:func:`na64.select.visible_selection`).

    ``energy_window`` and ``momentum_window`` are relative half-widths around each run's
    beam energy, so one file serves runs at several energies.
    """

    #: SRD window for a 100 GeV beam, scaled by (E/100 GeV)^3 for other energies: the
    #: median SRD energy of na64's SRD model grows as E^3.1 between 100 and 150 GeV
    #: (29.3 and 103.9 MeV), the emitted synchrotron power as E^2 at a fixed field
    #: integral and the rest through the detected photon spectrum.
    srd_window: tuple[float, float] = (1.0 * MeV, 100.0 * MeV)
    w2_max: float = 0.5 * MeV
    decay_counter: tuple[float, float] = (1.1 * MeV, 3.0 * MeV)
    #: Smallest separation (mm) of the two charged tracks at the tracker plane; 0 asks
    #: for two tracks from the decay volume without resolving them.
    pair_separation_min: float = Field(0.0, ge=0.0, le=1000.0)
    ecal_min: float = 25.0 * GeV
    energy_window: float = Field(0.1, gt=0.0, lt=1.0)
    momentum_window: float = Field(0.03, gt=0.0, lt=1.0)
    shape_chi2_max: float = Field(6.0, gt=0.0)
    hcal_max: float = 1.0 * GeV

    @field_validator("w2_max", "ecal_min", "hcal_max", mode="before")
    @classmethod
    def _parse(cls, v: Any, info: Any) -> float:
        value = _energy(v, f"selection.{info.field_name}")
        if value < 0:
            raise ValueError("must be >= 0")
        return value

    @field_validator("pair_separation_min", mode="before")
    @classmethod
    def _length(cls, v: Any) -> float:
        value = parse_quantity(v, "length", field="selection.pair_separation_min",
                               default_unit="mm")
        if not 0.0 <= value <= 1000.0:
            raise ValueError("must be in [0, 1000] mm")
        return value

    @field_validator("decay_counter", "srd_window", mode="before")
    @classmethod
    def _window(cls, v: Any, info: Any) -> Any:
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ValueError("must be a pair [low, high], e.g. [\"1.1MeV\", \"3MeV\"]")
        lo, hi = (_energy(x, f"selection.{info.field_name}") for x in v)
        if not 0 <= lo < hi:
            raise ValueError("needs 0 <= low < high")
        return (lo, hi)

    def energy_sum(self, energy: float) -> tuple[float, float]:
        """The E_WCAL + E_ECAL window for a beam of ``energy`` (MeV)."""
        return (energy * (1.0 - self.energy_window), energy * (1.0 + self.energy_window))

    def build(self, energy: float) -> Selection:
        """The :class:`~na64.select.Selection` with these values for a beam of ``energy``."""
        lo, hi = self.energy_sum(energy)
        w = self.momentum_window
        k = (energy / (100.0 * GeV)) ** 3
        return visible_selection(energy, {
            "srd": [f"{v * k / MeV!r}MeV" for v in self.srd_window],
            "w2_veto": f"{self.w2_max / MeV!r}MeV",
            "decay_counter": [f"{v / MeV!r}MeV" for v in self.decay_counter],
            "tracker": f"{self.pair_separation_min / mm!r}mm",
            "ecal_min": f"{self.ecal_min / MeV!r}MeV",
            "energy_sum": [f"{lo / MeV!r}MeV", f"{hi / MeV!r}MeV"],
            "beam_momentum": [f"{energy * (1 - w) / MeV!r}MeV", f"{energy * (1 + w) / MeV!r}MeV"],
            "shower_shape": self.shape_chi2_max,
            "hcal_max": f"{self.hcal_max / MeV!r}MeV",
        })


class VisibleRunConfig(RunConfig):
    """A run of a visible search: exposure, observed events, and optionally its own beam
    energy and setup (default: the analysis')."""

    energy: float | None = None
    setup: str | None = None

    @field_validator("energy", mode="before")
    @classmethod
    def _energy(cls, v: Any) -> float | None:
        return None if v is None else beam_energy(v, "runs.energy")


class CouplingGrid(StrictModel):
    """The log-spaced grid of electron couplings ε on which the excluded band is found."""

    min: float = Field(1e-6, gt=0.0, lt=1.0)
    max: float = Field(0.1, gt=0.0, le=1.0)
    points: int = Field(400, ge=20, le=100_000)

    @model_validator(mode="after")
    def _ordered(self) -> CouplingGrid:
        if not self.min < self.max:
            raise InputError("couplings.min", f"{self.min:g} must be below couplings.max "
                                              f"({self.max:g})")
        return self


class BackgroundSettings(BackgroundConfig):
    """Background sources and sample size (:class:`~na64.reach.config.BackgroundConfig`)
    with the visible-mode sources as default."""

    sources: tuple[str, ...] = VISIBLE_SOURCES


class VisibleAnalysisConfig(StrictModel):
    """A complete visible-mode analysis."""

    mode: Literal["visible"]
    name: str
    description: str = ""
    setup: str = "na64e_visible_2018"
    beam: str = "e-"
    energy: float = 150_000.0
    signal: VisibleSignalConfig = VisibleSignalConfig()
    selection: VisibleSelectionConfig = VisibleSelectionConfig()
    background: BackgroundSettings = BackgroundSettings()
    couplings: CouplingGrid = CouplingGrid()
    runs: tuple[VisibleRunConfig, ...] = Field(min_length=1)

    @field_validator("energy", mode="before")
    @classmethod
    def _energy(cls, v: Any) -> float:
        return beam_energy(v, "energy")

    @field_validator("beam")
    @classmethod
    def _beam(cls, v: str) -> str:
        return electron_beam(v, "visible")

    @model_validator(mode="after")
    def _cuts_fit_the_beam(self) -> VisibleAnalysisConfig:
        self.check_cuts()
        return self

    def check_cuts(self) -> None:
        """Raise :class:`InputError` if a cut cannot be met at a run's beam energy."""
        for run in self.runs:
            e = self.run_energy(run)
            lo, _ = self.selection.energy_sum(e)
            if self.selection.ecal_min >= lo:
                raise InputError(
                    "selection.ecal_min",
                    f"{self.selection.ecal_min / GeV:g} GeV must be below the lower edge of "
                    f"the energy-sum window ({lo / GeV:g} GeV) of run {run.name!r} at "
                    f"{e / GeV:g} GeV: the dump must keep some energy")

    def run_energy(self, run: VisibleRunConfig) -> float:
        """Beam energy of ``run`` (MeV)."""
        return float(run.energy if run.energy is not None else self.energy)

    def run_setup(self, run: VisibleRunConfig) -> str:
        """Setup of ``run``."""
        return run.setup if run.setup is not None else self.setup

    def groups(self, runs: tuple[VisibleRunConfig, ...] | None = None
               ) -> list[tuple[str, float, tuple[VisibleRunConfig, ...]]]:
        """The runs (default: the analysis') grouped by (setup, energy), in order: one
        signal computation each."""
        out: dict[tuple[str, float], list[VisibleRunConfig]] = {}
        for r in self.runs if runs is None else runs:
            out.setdefault((self.run_setup(r), self.run_energy(r)), []).append(r)
        return [(s, e, tuple(rs)) for (s, e), rs in out.items()]

    @property
    def total_eot(self) -> float:
        """Sum of the runs' exposures."""
        return float(sum(r.eot for r in self.runs))


def load_visible_analysis(name_or_path: str | Path, *, field: str = "--analysis"
                          ) -> VisibleAnalysisConfig:
    """Load and validate a visible-mode analysis file (a shipped name or a path; ``extends``
    as for :func:`na64.reach.load_analysis`)."""

    data, path = read_analysis_file(name_or_path, field)
    if data.get("mode") != "visible":
        raise InputError(field, f"{path.name} is not a visible-mode analysis (it needs "
                                f"mode = \"visible\"); use `na64 reach invisible` for it")
    return validate(VisibleAnalysisConfig, data, source=path.name, root="analysis")
