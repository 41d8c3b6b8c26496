"""Analysis configuration of a reach / limit job, read from TOML.

An analysis file (shipped ones live in ``na64/data/analyses/``) names the setup, the beam,
the signal model settings, the selection cut values and the data-taking runs (exposure and
observed events).  Values carry units (``"50GeV"``); validation errors are raised as
:class:`na64.errors.InputError` naming the dotted field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from ..background import MISSING_ENERGY_SOURCES, source_names
from ..config import StrictModel, load_toml, validate
from ..errors import InputError
from ..generate.processes import get_process, process_names
from ..models import MODEL_NAMES
from ..select import Selection, invisible_selection, with_shield_decays
from ..units import MeV, parse_quantity

__all__ = ["Y_ALPHA_D", "AnalysisConfig", "BackgroundConfig", "RunConfig", "SelectionConfig",
           "SignalConfig", "load_analysis"]


#: α_D values of the y limits written next to the analysis' own (arXiv:1906.00176, Fig. 3).
Y_ALPHA_D: tuple[float, ...] = (0.1, 0.5)


def _energy(value: Any, field: str) -> float:
    return parse_quantity(value, "energy", field=field)


def beam_energy(value: Any, field: str) -> float:
    """A beam energy (bare number: GeV) in [1 GeV, 1 TeV], in MeV (raises ``ValueError``
    for a pydantic validator)."""
    e = _energy(value, field)
    if not 1_000.0 <= e <= 1_000_000.0:
        raise ValueError("must be in [1 GeV, 1 TeV]")
    return e


def electron_beam(value: str, mode: str) -> str:
    """``e-`` or ``e+``: the beams the electron searches (``mode``) take."""
    if value not in ("e-", "e+"):
        raise ValueError(f"the {mode}-mode analysis takes an e- or e+ beam")
    return value


def check_produced(model: str, processes: tuple[str, ...]) -> None:
    """Raise :class:`InputError` (field ``model``) unless every process makes ``model``."""
    for name in processes:
        proc = get_process(name)
        if model not in proc.models:
            raise InputError("model", f"{model!r} is not produced by process {name!r} "
                                      f"(it makes: {', '.join(proc.models)})")


def signal_processes(value: tuple[str, ...]) -> tuple[str, ...]:
    """A non-empty list of distinct registered signal processes."""
    allowed = process_names()
    bad = [p for p in value if p not in allowed]
    if bad or not value or len(set(value)) != len(value):
        raise ValueError(f"must be a non-empty list of distinct entries of {list(allowed)}, "
                         f"got {list(value)}")
    return tuple(value)


def brem_method(value: str) -> str:
    """A dark-bremsstrahlung cross-section approximation: etl, iww or ww."""
    return _one_of(value, ("etl", "iww", "ww"))


def _one_of(value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}")
    return value





def momentum_window_pair(value: Any, example: str) -> tuple[float, float] | None:
    """A ``[low, high]`` window on the incoming momentum with units (``None`` passes), in
    MeV; raises ``ValueError`` for a pydantic validator (``example`` shows the form)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"must be a pair [low, high], e.g. {example}")
    lo, hi = (_energy(x, "selection.beam_momentum") for x in value)
    if not 0 <= lo < hi:
        raise ValueError("needs 0 <= low < high")
    return (lo, hi)


def read_analysis_file(name_or_path: str | Path, field: str) -> tuple[dict[str, Any], Path]:
    """The table of an analysis file (a shipped name or a path, ``extends`` resolved) and
    its path; an unknown name lists the shipped analyses."""

    def unknown(name: str) -> str:
        return f"no analysis file {name!r}; shipped analyses: {', '.join(shipped_analyses())}"

    return load_toml(name_or_path, field=field, find=_shipped, unknown=unknown)


class SignalConfig(StrictModel):
    """Signal-generation settings."""

    #: The model (a registry name of :mod:`na64.models`) whose particle the processes make.
    model: str = "dark-photon"
    method: str = "etl"
    events_per_mass: int = Field(3000, ge=100, le=10_000_000)
    alpha_d: float = Field(0.5, gt=0.0, le=4.0)
    mass_ratio: float = Field(3.0, gt=2.0, le=100.0)
    yield_rel_uncertainty: float = Field(0.1, ge=0.0, le=1.0)
    #: A' production processes: ``brem`` (dark bremsstrahlung off every shower e±) and
    #: ``annihilation`` (e+ e- -> A' -> chi chi of the shower positrons, arXiv:2108.04195).
    processes: tuple[str, ...] = ("brem",)
    chi: str = "dirac"
    #: Mass splitting Δ = (m_χ2 − m_χ1)/m_χ1 of inelastic dark matter (model ``idm``; the
    #: benchmarks of arXiv:2302.05414 are 0.1 and 0.4).
    delta: float = Field(0.4, gt=0.0, le=10.0)
    #: Upper limit of the A' energy fraction of the bremsstrahlung generator:
    #: ``kinematic`` (the physics) or ``1-m/E`` (the recoil keeps at least m_A', the x limit
    #: of DMG4 before 2021; see :class:`na64.generate.DarkBremSignal`).
    x_max: str = "kinematic"

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        return _one_of(v, MODEL_NAMES)

    @field_validator("processes")
    @classmethod
    def _processes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return signal_processes(v)

    @field_validator("chi")
    @classmethod
    def _chi(cls, v: str) -> str:
        from ..models.dark_photon import CHI_KINDS  # the dark-matter kinds of the model

        return _one_of(v, CHI_KINDS)

    @field_validator("x_max")
    @classmethod
    def _x_max(cls, v: str) -> str:
        from ..generate.dark_brem import X_MAX_CHOICES  # the generator's own list

        return _one_of(v, X_MAX_CHOICES)

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        return brem_method(v)

    @model_validator(mode="after")
    def _model_is_produced(self) -> SignalConfig:
        check_produced(self.model, self.processes)
        return self


class SelectionConfig(StrictModel):
    """Cut values of the invisible-mode selection (internal units after validation).

    ``beam_momentum`` is the window on the upstream momentum; by default 100 ± 3 GeV
    (arXiv:1906.00176) scaled to the beam energy, ±3%.
    """

    ecal_max: float = 50_000.0
    hcal_max: float = 1_000.0
    veto_max: float = 10.0
    preshower_min: float = 500.0
    shape_chi2_max: float = Field(6.0, gt=0.0)
    beam_momentum: tuple[float, float] | None = None
    #: With a value: a boson that passes the first HCAL module (the shield) and decays in
    #: the modules behind it is signal too (the ALP search, arXiv:2005.02710): an event
    #: whose E_ECAL + E_HCAL reaches this sum needs only the first module below
    #: ``hcal_max`` (:func:`na64.select.hcal_outside_shield`).
    hcal_decay_sum_min: float | None = None

    @field_validator("ecal_max", "hcal_max", "veto_max", "preshower_min", mode="before")
    @classmethod
    def _parse(cls, v: Any, info: Any) -> float:
        value = _energy(v, f"selection.{info.field_name}")
        if value < 0:
            raise ValueError("must be >= 0")
        return value

    @field_validator("hcal_decay_sum_min", mode="before")
    @classmethod
    def _decay_sum(cls, v: Any) -> float | None:
        if v is None:
            return None
        value = _energy(v, "selection.hcal_decay_sum_min")
        if not value > 0:
            raise ValueError("must be > 0")
        return value

    @field_validator("beam_momentum", mode="before")
    @classmethod
    def _window(cls, v: Any) -> Any:
        return momentum_window_pair(v, "[\"97GeV\", \"103GeV\"]")

    def momentum_window(self, energy: float) -> tuple[float, float]:
        """The ``beam_momentum`` window for a beam of nominal ``energy`` (MeV)."""
        if self.beam_momentum is not None:
            return self.beam_momentum
        return (0.97 * energy, 1.03 * energy)

    def build(self, energy: float) -> Selection:
        """The :class:`~na64.select.Selection` with these values for a beam of ``energy``."""
        lo, hi = self.momentum_window(energy)
        sel = invisible_selection({
            "ecal_max": f"{self.ecal_max / MeV!r}MeV",
            "hcal_max": f"{self.hcal_max / MeV!r}MeV",
            "veto": f"{self.veto_max / MeV!r}MeV",
            "preshower": f"{self.preshower_min / MeV!r}MeV",
            "shower_shape": self.shape_chi2_max,
            "beam_momentum": [f"{lo / MeV!r}MeV", f"{hi / MeV!r}MeV"],
        })
        if self.hcal_decay_sum_min is None:
            return sel
        return with_shield_decays(sel, self.hcal_decay_sum_min)


class BackgroundConfig(StrictModel):
    """Background sources to estimate (registry names of :mod:`na64.background`)."""

    sources: tuple[str, ...] = MISSING_ENERGY_SOURCES
    events: int = Field(20_000, ge=100, le=10_000_000)

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        allowed = source_names()
        bad = [s for s in v if s not in allowed]
        if bad or len(set(v)) != len(v):
            raise ValueError(f"must be a list of distinct entries of {list(allowed)}, "
                             f"got {list(v)}")
        return tuple(v)


class RunConfig(StrictModel):
    """One data-taking period.

    ``efficiency_scale`` is the run's signal efficiency relative to the simulated one (e.g. a
    data/MC correction or a run with a different trigger, measured by the analysis); runs
    with different scales are combined with :func:`na64.stats.combined_upper_limit`.
    """

    name: str
    eot: float = Field(gt=0.0, le=1e16)
    observed: int = Field(0, ge=0, le=1_000_000)
    efficiency_scale: float = Field(1.0, gt=0.0, le=2.0)

    @field_validator("eot", mode="before")
    @classmethod
    def _eot(cls, v: Any) -> float:
        return parse_quantity(v, "dimensionless", field="runs.eot")


class AnalysisConfig(StrictModel):
    """A complete analysis: setup, beam, signal, selection and runs."""

    name: str
    description: str = ""
    setup: str = "na64e_2016_2018"
    beam: str = "e-"
    energy: float = 100_000.0
    signal: SignalConfig = SignalConfig()
    selection: SelectionConfig = SelectionConfig()
    background: BackgroundConfig = BackgroundConfig()
    runs: tuple[RunConfig, ...] = Field(min_length=1)

    @field_validator("energy", mode="before")
    @classmethod
    def _energy(cls, v: Any) -> float:
        return beam_energy(v, "energy")

    @field_validator("beam")
    @classmethod
    def _beam(cls, v: str) -> str:
        return electron_beam(v, "invisible")

    @model_validator(mode="after")
    def _cuts_fit_the_beam(self) -> AnalysisConfig:
        if self.selection.ecal_max >= self.energy:
            raise InputError("selection.ecal_max",
                             f"{self.selection.ecal_max / 1e3:g} GeV must be below the beam "
                             f"energy ({self.energy / 1e3:g} GeV)")
        lo, hi = self.selection.momentum_window(self.energy)
        if not lo < self.energy < hi:
            raise InputError("selection.beam_momentum",
                             f"[{lo / 1e3:g}, {hi / 1e3:g}] GeV must contain the beam energy "
                             f"({self.energy / 1e3:g} GeV)")
        return self

    @property
    def total_eot(self) -> float:
        """Sum of the runs' exposures."""
        return float(sum(r.eot for r in self.runs))


def _shipped(name: str) -> Path | None:
    ref = resources.files("na64") / "data" / "analyses" / f"{name}.toml"
    path = Path(str(ref))
    return path if path.is_file() else None


def shipped_analyses() -> list[str]:
    """Names of the analysis files shipped with na64."""
    folder = Path(str(resources.files("na64") / "data" / "analyses"))
    return sorted(p.stem for p in folder.glob("*.toml"))


def load_analysis(name_or_path: str | Path, *, field: str = "--analysis") -> AnalysisConfig:
    """Load and validate an analysis file (a shipped name or a path).

    A file may start from another one with ``extends = "<name or path>"``: its tables are
    merged into the other's key by key (arrays such as ``[[runs]]`` replace the other's;
    :func:`na64.config.load_toml`).  Errors name the dotted key (``signal.processes``) and the
    file.
    """

    data, path = read_analysis_file(name_or_path, field)
    if data.get("mode", "invisible") != "invisible":
        raise InputError(field, f"{path.name} is a {data.get('mode')}-mode analysis; use "
                                f"`na64 reach {data.get('mode')}` for it")
    data = {k: v for k, v in data.items() if k != "mode"}
    return validate(AnalysisConfig, data, source=path.name, root="analysis")
