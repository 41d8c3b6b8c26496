"""Analysis configuration of a muon-beam missing-momentum search (``na64 reach muon``).

A muon analysis file (``mode = "muon"``) names a setup with a muon beam and a spectrometer
behind the target (``na64mu_2022``), the model whose boson the beam muon radiates
(``lmu-ltau``, ``dark-photon`` or the muon-philic scalar ``scalar-mu``), the cut values of :func:`na64.select.muon_selection`,
the background sources and the runs, each with its muons on target (MOT).  It is computed
by the invisible-mode chain (:func:`na64.reach.run_invisible`) with the search of
:class:`MuonSearch`: same pipeline, statistics and outputs, another beam, process and
selection.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..background import BackgroundContext
from ..beam.tracking import downstream_spectrometers, expected_momentum_resolution
from ..config import StrictModel, validate
from ..constants import M_MU
from ..detector.setup import load_setup
from ..errors import InputError
from ..models import Model, make_model
from ..select import Selection, muon_selection
from ..units import GeV, MeV, parse_quantity
from .config import (
    BackgroundConfig,
    SignalConfig,
    _energy,
    beam_energy,
    momentum_window_pair,
    read_analysis_file,
)
from .search import Search

__all__ = ["MUON_MODELS", "MUON_PROJECTIONS", "MuonAnalysisConfig", "MuonRunConfig",
           "MuonSearch", "MuonSelectionConfig", "MuonSignalConfig", "load_muon_analysis"]

#: Models a muon beam probes through ``muon_brem``.
MUON_MODELS: tuple[str, ...] = ("lmu-ltau", "dark-photon", "scalar-mu")

#: Exposures (MOT) of the projections written with the limits: the NA64mu programme's
#: 3e11 (Run 3), 1e13 and 1e14 MOT (arXiv:2110.15111; arXiv:2409.10128, outlook).
MUON_PROJECTIONS: dict[str, float] = {"3e11": 3e11, "1e13": 1e13, "1e14": 1e14}


class MuonSignalConfig(SignalConfig):
    """Signal settings of a muon search: the model and the beam muon's dark brem."""

    model: str = "lmu-ltau"
    processes: tuple[str, ...] = ("muon_brem",)

    @field_validator("model")
    @classmethod
    def _muon_model(cls, v: str) -> str:
        if v not in MUON_MODELS:
            raise ValueError(f"must be one of {', '.join(MUON_MODELS)}")
        return v


class MuonSelectionConfig(StrictModel):
    """Cut values of the missing-momentum selection (internal units after validation)."""

    p_out_max: float = 80_000.0
    ecal_max: float = 6_000.0
    vhcal_max: float = 1_000.0
    hcal_max: float = 20_000.0
    hcal_back_min: float = 500.0
    beam_momentum: tuple[float, float] | None = None

    @field_validator("p_out_max", "ecal_max", "vhcal_max", "hcal_max", "hcal_back_min",
                     mode="before")
    @classmethod
    def _parse(cls, v: Any, info: Any) -> float:
        value = _energy(v, f"selection.{info.field_name}")
        if value <= 0:
            raise ValueError("must be > 0")
        return value

    @field_validator("beam_momentum", mode="before")
    @classmethod
    def _window(cls, v: Any) -> Any:
        return momentum_window_pair(v, "[\"150GeV\", \"170GeV\"]")

    def momentum_window(self, energy: float) -> tuple[float, float]:
        """The window on p_in for a beam of nominal ``energy`` (default ±6%)."""
        return self.beam_momentum or (0.94 * energy, 1.06 * energy)

    def build(self, energy: float) -> Selection:
        """The :func:`~na64.select.muon_selection` with these values."""
        lo, hi = self.momentum_window(energy)
        return muon_selection(energy, {
            "beam_momentum": [f"{lo / MeV!r}MeV", f"{hi / MeV!r}MeV"],
            "p_out_max": f"{self.p_out_max / MeV!r}MeV",
            "ecal_mip": f"{self.ecal_max / MeV!r}MeV",
            "vhcal_max": f"{self.vhcal_max / MeV!r}MeV",
            "hcal_mip": f"{self.hcal_max / MeV!r}MeV",
            "muon_id": f"{self.hcal_back_min / MeV!r}MeV",
        })


class MuonRunConfig(StrictModel):
    """One data-taking period of a muon beam: muons on target and observed events."""

    name: str
    mot: float = Field(gt=0.0, le=1e16)
    observed: int = Field(0, ge=0, le=1_000_000)
    efficiency_scale: float = Field(1.0, gt=0.0, le=2.0)

    @field_validator("mot", mode="before")
    @classmethod
    def _mot(cls, v: Any) -> float:
        return parse_quantity(v, "dimensionless", field="runs.mot")

    @property
    def eot(self) -> float:
        """The exposure in the common name of the statistics: muons on target."""
        return self.mot


class MuonAnalysisConfig(StrictModel):
    """A muon-beam analysis: setup, model, selection, backgrounds and runs."""

    mode: Literal["muon"] = "muon"
    name: str
    description: str = ""
    setup: str = "na64mu_2022"
    beam: str = "mu+"
    energy: float = 160_000.0
    signal: MuonSignalConfig = MuonSignalConfig()
    selection: MuonSelectionConfig = MuonSelectionConfig()
    background: BackgroundConfig = BackgroundConfig(sources=("muon_beam", "muon_decays"))
    runs: tuple[MuonRunConfig, ...] = Field(min_length=1)

    @field_validator("energy", mode="before")
    @classmethod
    def _energy(cls, v: Any) -> float:
        return beam_energy(v, "energy")

    @field_validator("beam")
    @classmethod
    def _beam(cls, v: str) -> str:
        if v not in ("mu+", "mu-"):
            raise ValueError("the muon analysis takes a mu+ or mu- beam")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> MuonAnalysisConfig:
        setup = load_setup(self.setup)
        if setup.beam_particle not in ("mu+", "mu-"):
            raise InputError("setup", f"{self.setup!r} is a {setup.beam_particle} setup; a "
                                      "muon beam needs a muon setup (e.g. na64mu_2022)")
        if not downstream_spectrometers(setup.beamline):
            raise InputError("setup", f"{self.setup!r} has no spectrometer behind the target "
                                      "to measure p_out")
        lo, hi = self.selection.momentum_window(self.energy)
        if not lo < self.energy < hi:
            raise InputError("selection.beam_momentum",
                             f"[{lo / GeV:g}, {hi / GeV:g}] GeV must contain the beam energy "
                             f"({self.energy / GeV:g} GeV)")
        if not self.selection.p_out_max < lo:
            raise InputError("selection.p_out_max",
                             f"{self.selection.p_out_max / GeV:g} GeV must be below the "
                             f"incoming momentum (p_in >= {lo / GeV:g} GeV)")
        return self

    @property
    def runs_mot(self) -> float:
        """Sum of the runs' muons on target."""
        return float(sum(r.mot for r in self.runs))

    @property
    def total_eot(self) -> float:
        """Sum of the runs' exposures (MOT)."""
        return self.runs_mot

    def make_search(self) -> MuonSearch:
        """The search of this analysis."""
        return MuonSearch(self)


class MuonSearch(Search):
    """The missing-momentum search of a muon beam (:class:`MuonAnalysisConfig`).

    As :class:`~na64.reach.Search`, with the model at unit coupling g = 1 (``lmu-ltau``),
    ε = 1 (``dark-photon``) or g_S = 1 (``scalar-mu``, with g_χ = 1 and
    m_χ = m_S / ``signal.mass_ratio``) and the lowest X energy that can reach the signal box set by the
    cut on p_out: E0 − p_out_max − 5 (σ_p ⊕ σ_beam), σ_p the MS2 resolution at p_out_max
    (:func:`na64.beam.tracking.expected_momentum_resolution`), σ_beam the beam's spread.
    """

    config: MuonAnalysisConfig  # type: ignore[assignment]

    def __init__(self, config: MuonAnalysisConfig, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)  # type: ignore[arg-type]
        # the signal box is on the outgoing momentum
        self.background_context = BackgroundContext(self.pipeline, self.selection,
                                                    box_cut="p_out_max")

    @property
    def in_flight(self) -> bool:
        """The muon search counts the invisible decays of its models at unit coupling
        (the process applies :attr:`~na64.models.Model.signal_invisible_fraction`): no decay
        in flight."""
        return False

    def model(self, mass: float) -> Model:
        """The analysis' model at ``mass`` with unit coupling."""
        sig = self.config.signal
        if sig.model == "dark-photon":
            return make_model("dark-photon", mass=mass, epsilon=1.0, alpha_D=sig.alpha_d,
                              m_chi=mass / sig.mass_ratio, chi=sig.chi)
        if sig.model == "scalar-mu":
            return make_model("scalar-mu", mass=mass, g=1.0, m_chi=mass / sig.mass_ratio)
        return make_model(sig.model, mass=mass, g=1.0)

    @cached_property
    def _e_min(self) -> float:
        cfg = self.config
        e0, p_cut = cfg.energy, cfg.selection.p_out_max
        name = downstream_spectrometers(self.pipeline.beamline)[0]
        sigma_p = expected_momentum_resolution(self.pipeline.beamline, p_cut, M_MU, name) * p_cut
        sigma_b = self.pipeline.beam.momentum_spread * e0
        return float(max(e0 - p_cut - 5.0 * np.hypot(sigma_p, sigma_b), 0.05 * e0))

    def e_min(self) -> float:
        """Lowest X energy that can put the muon into the signal box (MeV)."""
        return self._e_min


def load_muon_analysis(name_or_path: str | Path, *, field: str = "--analysis"
                       ) -> MuonAnalysisConfig:
    """Load and validate a muon analysis file (a shipped name or a path)."""

    data, path = read_analysis_file(name_or_path, field)
    if data.get("mode", "invisible") != "muon":
        raise InputError(field, f"{path.name} is a {data.get('mode', 'invisible')}-mode "
                                f"analysis; use `na64 reach {data.get('mode', 'invisible')}` "
                                "for it")
    return validate(MuonAnalysisConfig, data, source=path.name, root="analysis")
