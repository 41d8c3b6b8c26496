"""Analysis configuration of a positron-beam search (``na64 reach positron``), read from TOML.

A positron-beam analysis file (``mode = "positron"``) is an invisible-mode analysis whose
runs may differ in beam energy: each run names its energy and positrons on target (POT),
and optionally its setup and signal-box edge.  Runs at one (setup, energy, box) are one
*group*; each group is an ordinary invisible-mode analysis (:meth:`PositronAnalysisConfig.
group_analyses`, beam ``e+``), computed by the invisible chain and combined with the other
groups by :mod:`na64.reach.combination`.

The signal box is chosen per beam energy: a run's ``ecal_max``, else
``[selection] ecal_max_fraction`` × the run's energy.  The missing energy of a resonant
annihilation is the energy of the annihilating positron, E_R = m_A'² / (2 m_e), so a box
E_ECAL < f E0 accepts the resonance for sqrt(2 m_e (1 − f) E0) ≲ m_A' ≲ sqrt(2 m_e E0)
(arXiv:1807.05884, Sec. 2; arXiv:2308.15612).  The setup of a run is its ``setup``, else the
entry of ``[setups]`` for its energy (positron beams of different energies carry different
hadron contaminations), else the analysis' ``setup``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..config import StrictModel, validate
from ..errors import InputError
from ..units import GeV, MeV, parse_quantity
from .config import (
    AnalysisConfig,
    BackgroundConfig,
    RunConfig,
    SelectionConfig,
    SignalConfig,
    beam_energy,
    read_analysis_file,
)

__all__ = ["PositronAnalysisConfig", "PositronGroup", "PositronRunConfig",
           "PositronSelectionConfig", "load_positron_analysis"]


def _energy_key(value: float) -> str:
    return f"{value / GeV:g}GeV"


class PositronRunConfig(StrictModel):
    """One positron run: beam energy, exposure, observed events (and optional overrides)."""

    name: str
    energy: float
    pot: float = Field(gt=0.0, le=1e16)
    observed: int = Field(0, ge=0, le=1_000_000)
    efficiency_scale: float = Field(1.0, gt=0.0, le=2.0)
    setup: str | None = None
    #: Signal-box edge of this run (default: ``[selection] ecal_max_fraction`` × energy).
    ecal_max: float | None = None

    @field_validator("energy", mode="before")
    @classmethod
    def _energy(cls, v: Any) -> float:
        return beam_energy(v, "runs.energy")

    @field_validator("pot", mode="before")
    @classmethod
    def _pot(cls, v: Any) -> float:
        return parse_quantity(v, "dimensionless", field="runs.pot")

    @field_validator("ecal_max", mode="before")
    @classmethod
    def _box(cls, v: Any) -> float | None:
        if v is None:
            return None
        value = parse_quantity(v, "energy", field="runs.ecal_max")
        if value <= 0:
            raise ValueError("must be > 0")
        return value


class PositronSelectionConfig(SelectionConfig):
    """Cut values of the invisible-mode selection, with the signal box scaled to each run's
    beam energy (``ecal_max_fraction``).  ``ecal_max`` is not used by a positron analysis:
    the box of a run is its own ``ecal_max`` or ``ecal_max_fraction`` × its energy."""

    ecal_max_fraction: float = Field(0.5, gt=0.0, lt=1.0)


class PositronGroup(StrictModel):
    """Runs sharing setup, beam energy and signal box: one invisible-mode computation."""

    key: str
    setup: str
    energy: float
    ecal_max: float
    runs: tuple[PositronRunConfig, ...]

    @property
    def pot(self) -> float:
        """Positrons on target of the group."""
        return float(sum(r.pot for r in self.runs))


class PositronAnalysisConfig(StrictModel):
    """A positron-beam analysis: signal, selection, backgrounds and runs at several energies."""

    mode: Literal["positron"] = "positron"
    name: str
    description: str = ""
    setup: str = "na64e_positron_2022"
    #: Setup per beam energy (``"70GeV" = "na64e_positron_2023"``) for runs without ``setup``.
    setups: dict[str, str] = Field(default_factory=dict)
    beam: Literal["e+"] = "e+"
    signal: SignalConfig = SignalConfig(processes=("annihilation", "brem"))
    selection: PositronSelectionConfig = PositronSelectionConfig()
    background: BackgroundConfig = BackgroundConfig()
    runs: tuple[PositronRunConfig, ...] = Field(min_length=1)
    #: Positrons on target per beam energy of the projection written with the limits
    #: (e.g. the post-LS3 programme: ~1e11 at each of a few energies, arXiv:2505.14291).
    projection_pot: float = Field(1e11, gt=0.0, le=1e16)

    @field_validator("setups", mode="before")
    @classmethod
    def _setups(cls, v: Any) -> dict[str, str]:
        if not isinstance(v, dict):
            raise ValueError('must be a table of energy = setup, e.g. {"70GeV" = '
                             '"na64e_positron_2023"}')
        out = {}
        for key, setup in v.items():
            out[_energy_key(beam_energy(key, "setups"))] = str(setup)
        return out

    @field_validator("projection_pot", mode="before")
    @classmethod
    def _projection(cls, v: Any) -> float:
        return parse_quantity(v, "dimensionless", field="projection_pot")

    @model_validator(mode="after")
    def _boxes_fit(self) -> PositronAnalysisConfig:
        self.check_runs()
        return self

    def check_runs(self) -> None:
        """Raise :class:`InputError` if a run's signal box or momentum window cannot work
        at its beam energy, or two runs share a name."""
        names = [r.name for r in self.runs]
        if len(set(names)) != len(names):
            raise InputError("runs.name", f"run names must be distinct, got {names}")
        for r in self.runs:
            box = self.run_ecal_max(r)
            if not 0 < box < r.energy:
                raise InputError("runs.ecal_max", f"{box / GeV:g} GeV of run {r.name!r} must "
                                                  f"be below its beam energy "
                                                  f"({r.energy / GeV:g} GeV)")
            lo, hi = self.selection.momentum_window(r.energy)
            if not lo < r.energy < hi:
                raise InputError("selection.beam_momentum",
                                 f"[{lo / GeV:g}, {hi / GeV:g}] GeV must contain the beam "
                                 f"energy of run {r.name!r} ({r.energy / GeV:g} GeV); leave "
                                 "it unset to scale it with each run's energy")

    def check_setups(self, runs: tuple[PositronRunConfig, ...] | None = None) -> None:
        """Raise :class:`InputError` if a run's setup cannot be loaded or its beam is not a
        positron beam (``[beam] particle = "e+"``)."""
        from ..detector import load_setup

        for r in self.runs if runs is None else runs:
            name = self.run_setup(r)
            beam = load_setup(name).beam
            particle = beam.get("particle") if isinstance(beam, dict) else None
            if particle != "e+":
                raise InputError("setup", f"setup {name!r} of run {r.name!r} has a "
                                          f"{particle or 'unspecified'} beam; a positron-beam "
                                          "analysis needs a setup with [beam] particle = "
                                          "\"e+\" (e.g. na64e_positron_2022)")

    def run_ecal_max(self, run: PositronRunConfig) -> float:
        """Signal-box edge of ``run`` (MeV)."""
        if run.ecal_max is not None:
            return float(run.ecal_max)
        return float(self.selection.ecal_max_fraction * run.energy)

    def run_setup(self, run: PositronRunConfig) -> str:
        """Setup of ``run``."""
        if run.setup is not None:
            return run.setup
        return self.setups.get(_energy_key(run.energy), self.setup)

    def groups(self, runs: tuple[PositronRunConfig, ...] | None = None) -> list[PositronGroup]:
        """The runs (default: the analysis') grouped by (setup, energy, box), in order of
        decreasing energy."""
        out: dict[tuple[str, float, float], list[PositronRunConfig]] = {}
        for r in self.runs if runs is None else runs:
            out.setdefault((self.run_setup(r), r.energy, self.run_ecal_max(r)), []).append(r)
        groups = [PositronGroup(key=f"{e / GeV:g}GeV" + (f"_{s}" if _n_setups(out, e) > 1
                                                          else ""),
                                setup=s, energy=e, ecal_max=box, runs=tuple(rs))
                  for (s, e, box), rs in out.items()]
        return sorted(groups, key=lambda g: -g.energy)

    def group_analysis(self, group: PositronGroup) -> AnalysisConfig:
        """The invisible-mode analysis of one group (beam e+, its energy, setup and box)."""
        sel = self.selection
        window = sel.momentum_window(group.energy) if sel.beam_momentum is not None else None
        return AnalysisConfig.model_validate({
            "name": f"{self.name}:{group.key}",
            "description": self.description,
            "setup": group.setup,
            "beam": "e+",
            "energy": _mev(group.energy),
            "signal": self.signal,
            "selection": {
                "ecal_max": _mev(group.ecal_max), "hcal_max": _mev(sel.hcal_max),
                "veto_max": _mev(sel.veto_max), "preshower_min": _mev(sel.preshower_min),
                "shape_chi2_max": sel.shape_chi2_max,
                "beam_momentum": None if window is None else [_mev(w) for w in window]},
            "background": self.background,
            "runs": tuple(RunConfig(name=r.name, eot=r.pot, observed=r.observed,
                                    efficiency_scale=r.efficiency_scale) for r in group.runs),
        })

    @property
    def total_pot(self) -> float:
        """Sum of the runs' exposures."""
        return float(sum(r.pot for r in self.runs))


def _mev(value: float) -> str:
    return f"{value / MeV!r}MeV"


def _n_setups(groups: dict[tuple[str, float, float], Any], energy: float) -> int:
    return len({s for (s, e, _) in groups if e == energy})


def load_positron_analysis(name_or_path: str | Path, *, field: str = "--analysis"
                           ) -> PositronAnalysisConfig:
    """Load and validate a positron-beam analysis file (a shipped name or a path;
    ``extends`` as for :func:`na64.reach.load_analysis`)."""

    data, path = read_analysis_file(name_or_path, field)
    if data.get("mode") != "positron":
        mode = data.get("mode", "invisible")
        raise InputError(field, f"{path.name} is not a positron-beam analysis (it needs "
                                f"mode = \"positron\"); use `na64 reach {mode}` for it")
    return validate(PositronAnalysisConfig, data, source=path.name, root="analysis")
