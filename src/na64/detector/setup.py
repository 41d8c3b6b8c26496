"""Detector setups: a validated description of an NA64-like detector read from TOML.

A setup is a small TOML file (shipped ones live in ``na64/data/setups/``; a user can write
their own).  Every length accepts a unit (``"38mm"``, ``"1.5 cm"``; a bare number is mm),
every energy accepts a unit (``"5MeV"``; a bare number is GeV).  Materials are names known
to :func:`na64.materials.get_material`.

Schema (all tables optional except ``[beam]``; positions ``z`` are the upstream faces in mm,
measured along the beam from the target face of the experiment):

``name``, ``description``, ``mode`` (``"invisible"`` or ``"visible"``)
    Identification.
``beamline``
    Name of a shipped beam line (``na64/data/beamlines/``), a TOML path, or an inline
    table; validated as :class:`na64.beam.config.BeamlineConfig`.
``[beam]``
    Beam particle, energy, spread, spot, tails and admixtures; validated as
    :class:`na64.beam.config.BeamConfig` (:attr:`Setup.beam_config`).
``[ecal]``, ``[wcal]``
    Sampling calorimeters (:class:`Calorimeter`): absorber/active materials and thicknesses,
    ``layers`` per longitudinal section (e.g. ``[16, 134]`` = pre-shower + main), ``cells``
    ``[nx, ny]``, ``cell_size``, transverse ``center``, resolution terms.
``[hcal]``
    Hadron calorimeter (:class:`Calorimeter` with ``modules`` > 1): each module is one section.
``[veto]``
    Scintillator counters (:class:`Veto`) stacked along the beam.
``[vhcal]``
    Optional hadronic veto calorimeter with a central hole (:class:`Calorimeter` with ``hole``).
``[decay_volume]``
    Optional evacuated decay volume (:class:`DecayVolume`).
``[decay_counter]``
    Optional counter at the end of the decay volume (:class:`Veto`; visible mode: it counts
    the charged particles of a decay upstream of it).
``[upstream]``
    Optional material in the beam path between the last bending magnet and the target
    (:class:`UpstreamMaterial`, a list of ``[[upstream.layers]]``), used by the
    electro-nuclear background of :mod:`na64.background.upstream`.
``extends``
    Optional name of a shipped setup or path of a setup file to start from (see
    :func:`load_setup`).  A detector table may also hold one (``[ecal] extends =
    "na64e_2016_2018"``): it then starts from that setup's table of the same name.

See ``na64/data/setups/na64e_2016_2018.toml`` for a commented example.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from ..beam.config import BeamConfig, BeamlineConfig, load_beam, load_beamline
from ..config import (
    Energy,
    Length,
    StrictModel,
    load_toml,
    merge_tables,
    resolve_extends,
    validate,
)
from ..constants import M_MU
from ..errors import InputError
from ..materials import Material, get_material
from ..units import GeV, parse_quantity
from .em import GflashTuning

__all__ = [
    "Backsplash",
    "Calorimeter",
    "DecayVolume",
    "HadronTracks",
    "Leakage",
    "Setup",
    "ShowerTuning",
    "UpstreamLayer",
    "UpstreamMaterial",
    "Veto",
    "list_setups",
    "load_setup",
]


def _material(value: Any) -> Any:
    if isinstance(value, str):
        return get_material(value).name
    return value


MaterialName = Annotated[str, BeforeValidator(_material)]


@lru_cache(maxsize=64)
def _mip_fraction(active: str, d_active: float, absorber: str, d_absorber: float) -> float:
    from .muon import mean_dedx

    e_min = M_MU * math.sqrt(1.0 + 3.5**2)
    act = float(mean_dedx(get_material(active), e_min, M_MU)) * d_active
    ab = float(mean_dedx(get_material(absorber), e_min, M_MU)) * d_absorber
    return act / (act + ab)


class ShowerTuning(StrictModel):
    """Corrections of the GFLASH EM-shower parametrisation for one calorimeter (the
    ``[<calorimeter>.shower]`` table; every key optional, defaults = the published
    parametrisation).  Meaning of each key: :class:`na64.detector.em.GflashTuning`.
    ``sampling_age`` is ``[a, b, c, w]`` of :func:`na64.detector.em.sampling_vs_age`.
    """

    ln_t_shift: float = Field(0.0, ge=-1.0, le=1.0)
    ln_alpha_shift: float = Field(0.0, ge=-1.0, le=1.0)
    sigma_ln_t_scale: float = Field(1.0, ge=0.0, le=5.0)
    sigma_ln_alpha_scale: float = Field(1.0, ge=0.0, le=5.0)
    rho: float | None = Field(None, ge=-0.99, le=0.99)
    core_radius_scale: float = Field(1.0, gt=0.0, le=10.0)
    tail_radius_scale: float = Field(1.0, gt=0.0, le=10.0)
    tail_growth_scale: float = Field(1.0, ge=0.0, le=10.0)
    core_weight_scale: float = Field(1.0, gt=0.0, le=10.0)
    lateral_age_coupling: float = Field(1.0, ge=0.0, le=1.0)
    radius_fluctuation: float = Field(0.0, ge=0.0, le=1.0)
    axis_fluctuation: float = Field(0.0, ge=0.0, le=1.0)
    sampling_age: tuple[float, float, float, float] | None = None
    nuclear_loss_mean: float = Field(0.0, ge=0.0, le=0.1)
    nuclear_loss_sd: float = Field(0.0, ge=0.0, le=0.1)
    fluctuation_energy_exponent: float = Field(0.0, ge=0.0, le=1.0)
    #: Hard photo-nuclear interactions (shower photons above
    #: :data:`na64.detector.photonuclear.K_MIN`) simulated one by one as hadron showers in
    #: the target calorimeter; the softer ones are the nuclear loss above.  Physics, not a
    #: correction: on unless switched off (to study the EM showers alone).
    hard_photonuclear: bool = True

    @field_validator("sampling_age")
    @classmethod
    def _positive_width(cls, v: tuple[float, float, float, float] | None
                        ) -> tuple[float, float, float, float] | None:
        if v is not None and not (v[3] > 0 and abs(v[0]) + abs(v[1]) < 1.0):
            raise ValueError("[a, b, c, w] needs w > 0 and |a| + |b| < 1")
        return v

    def gflash(self) -> GflashTuning:
        """The corrections as a :class:`~na64.detector.em.GflashTuning`."""
        return GflashTuning(**self.model_dump(exclude={"hard_photonuclear"}))


class Leakage(StrictModel):
    """Particles escaping the target calorimeter's EM showers that hit a detector downstream
    (the ``[veto.leakage]`` or ``[hcal.leakage]`` table), modelled as a compound Poisson
    process: ``hits_per_gev`` hits per GeV of EM-shower energy in the target (one value per
    veto counter, or one for the first HCAL module, spread evenly over its cells), each
    depositing a Gamma-distributed energy of mean ``hit_energy`` and shape ``hit_shape``
    (:func:`na64.detector.response.leakage_deposits`).  Veto only: ``hits_per_track``
    particles accompany every charged track that leaves the target (knock-ons and pairs of
    its last radiation lengths) and cross all counters, each leaving a Gamma-distributed
    energy of mean ``track_hit_energy`` and shape ``track_hit_shape``, the same in every
    counter (:func:`na64.detector.response.track_leakage_deposits`).  ``hadron_hits_per_track``,
    ``hadron_track_hit_energy`` and ``hadron_track_hit_shape``: the same for a hadron that
    crosses the target without an inelastic interaction (its knock-ons, and the recoils and
    de-excitation of its elastic and quasi-elastic scattering); ``None``: a muon's.

    ``energy_exponent`` p makes the number of hits grow as E^p instead of E: the mean
    hits are ``hits_per_gev × E/GeV × (E/100 GeV)^(p − 1)`` (``hits_per_gev`` is then the
    rate at 100 GeV).  Out of the back of a dump of fixed depth T the escaping energy is
    the tail of the profile beyond T, which falls as exp(−(T − t_max)/λ) with t_max growing
    as ln E (Longo & Sestili, NIM 128 (1975) 283; PDG 2024 Sec. 34.5.1: t_max = ln(E/E_c)
    + C), i.e. E^(1/λ) more per GeV of shower, p = 1 + 1/λ with λ in X0.  ``1`` (default):
    hits ∝ E, as for a calorimeter that contains the shower far from its back.

    ``depth_x0`` and ``attenuation_x0`` (both or neither): the rates hold for a target of
    depth ``depth_x0`` (X0); a target of depth T gets them times
    exp(−(T − depth_x0)/``attenuation_x0``), the same exponential tail, so that a setup
    that changes the target's length (a shorter or longer dump) keeps a leakage to scale.

    ``replaces_profile`` (veto only): the hits are all the counters receive from EM showers
    that start in the target; the Gamma profile's continuation into them, a mean energy
    that every shower would deposit, is dropped.  Behind a dump that a shower rarely
    leaves, a thin counter sees a few particles or none (in the Geant4 reference of the
    visible-mode WCAL most events leave nothing in W2), not a small deposit in every event.
    """

    hits_per_gev: tuple[float, ...] = Field(min_length=1, max_length=32)
    hit_energy: Energy = Field(gt=0.0, le=1.0 * GeV)
    hit_shape: float = Field(1.0, gt=0.0, le=100.0)
    energy_exponent: float = Field(1.0, ge=1.0, le=3.0)
    depth_x0: float | None = Field(None, gt=0.0, le=1000.0)
    attenuation_x0: float | None = Field(None, gt=0.0, le=1000.0)
    replaces_profile: bool = False
    hits_per_track: float = Field(0.0, ge=0.0, le=100.0)
    track_hit_energy: Energy | None = Field(None, gt=0.0, le=1.0 * GeV)
    track_hit_shape: float = Field(1.0, gt=0.0, le=100.0)
    hadron_hits_per_track: float | None = Field(None, ge=0.0, le=100.0)
    hadron_track_hit_energy: Energy | None = Field(None, gt=0.0, le=1.0 * GeV)
    hadron_track_hit_shape: float = Field(1.0, gt=0.0, le=100.0)

    @field_validator("hits_per_gev")
    @classmethod
    def _rates(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not (math.isfinite(x) and 0.0 <= x <= 100.0) for x in v):
            raise ValueError("each rate must be in [0, 100] hits per GeV")
        return v

    @model_validator(mode="after")
    def _depth_pair(self) -> Leakage:
        if (self.depth_x0 is None) != (self.attenuation_x0 is None):
            raise ValueError("depth_x0 and attenuation_x0 go together: give both or neither")
        return self

    def depth_factor(self, depth_x0: float) -> float:
        """Factor of the rates for a target of ``depth_x0`` radiation lengths (1 without
        ``depth_x0``)."""
        if self.depth_x0 is None or self.attenuation_x0 is None:
            return 1.0
        return math.exp(-(depth_x0 - self.depth_x0) / self.attenuation_x0)


class Backsplash(StrictModel):
    """Particles thrown back by hadron showers into the counters upstream of the
    calorimeter in which they start (the ``[veto.backsplash]`` table).

    A hadron shower sends slow neutrons, nuclear de-excitation photons and a few charged
    hadrons backwards (its albedo); counters a few tens of centimetres in front of a hadron
    calorimeter see them as extra hits on top of the primary's own signal (D. Acosta et
    al., NIM A 316 (1992) 184; the CMS and ATLAS "backsplash" of the HCAL into the ECAL and
    trackers).  The albedo is modelled as a compound Poisson process: a shower of energy E
    starting at depth s (interaction lengths past the calorimeter's face) sends to a
    counter at distance d (mm, from the shower's start to the counter's centre)

        N ~ Poisson(hits × (E / 100 GeV)^p × exp(−s / attenuation_lambda)
                    × (distance / d)² × transmission^k)

    hits, k the number of counters between that counter and the calorimeter (the albedo
    crossing them is partly absorbed or scattered); each hit deposits a Gamma-distributed
    energy of mean ``hit_energy`` and shape ``hit_shape``
    (:func:`na64.detector.response.backsplash_deposits`).  The albedo of one shower
    fluctuates as a whole (how many nuclear interactions happen near its start, whether a
    hadron goes backwards): the means of all counters are multiplied by one Gamma-distributed
    factor per shower of mean 1 and relative spread ``shower_spread`` (0: none), which
    correlates the counters as in the full simulation.
    """

    hits: float = Field(ge=0.0, le=1000.0)
    distance: Length = Field(150.0, gt=0.0, le=1.0e4)
    energy_exponent: float = Field(0.5, ge=0.0, le=2.0)
    attenuation_lambda: float = Field(gt=0.0, le=100.0)
    transmission: float = Field(1.0, gt=0.0, le=1.0)
    hit_energy: Energy = Field(gt=0.0, le=1.0 * GeV)
    hit_shape: float = Field(1.0, gt=0.0, le=100.0)
    shower_spread: float = Field(0.0, ge=0.0, le=10.0)


class HadronTracks(StrictModel):
    """What a thin counter behind an absorber sees of the hadron showers crossing it (the
    ``[veto.hadron_tracks]`` table).

    The Gamma profile of a hadron shower's hadronic part gives its energy per interaction
    length of the medium; continued into a plastic counter it would deposit there the
    profile's share of the counter's thickness in interaction lengths.  A counter behind an
    absorber sees only the penetrating charged particles of the shower's tail crossing it,
    each leaving ~2 MeV per cm of plastic, while most of the tail's energy in the absorber
    goes to nuclear breakup, slow neutrons and particles stopping before the counter
    (R. Wigmans, Calorimetry, 2nd ed., Oxford 2017, ch. 2, on the invisible energy and
    the neutrons of hadron showers): the counter's mean signal is ``visible_fraction``
    times that share.  It is made of few particles, so it is drawn as N ~ Poisson(mean /
    hit_energy) hits of Gamma-distributed energy (mean ``hit_energy``, shape ``hit_shape``),
    the means of one shower's counters scaled together by a Gamma factor of mean 1 and
    relative spread ``shower_spread`` (the same particles cross all the counters)
    (:func:`na64.detector.response.hadron_track_deposits`).  Without the table the
    counters receive the profile's share itself.
    """

    visible_fraction: float = Field(ge=0.0, le=10.0)
    hit_energy: Energy = Field(gt=0.0, le=1.0 * GeV)
    hit_shape: float = Field(1.0, gt=0.0, le=100.0)
    shower_spread: float = Field(0.0, ge=0.0, le=10.0)


class Calorimeter(StrictModel):
    """A longitudinally segmented sampling calorimeter with a rectangular cell grid.

    Attributes
    ----------
    z
        Upstream face along the beam (mm).
    absorber, active
        Material names (absorber plates, active scintillator).
    absorber_thickness, active_thickness
        Thickness of one plate of each (mm); one layer = one absorber + one active plate.
    layers
        Layers in each longitudinal readout section (e.g. ``[16, 134]``); for an HCAL with
        ``modules`` > 1 a single entry is the number of layers of each module.
    modules
        Number of identical modules one behind the other (HCAL); 1 otherwise.
    cells
        ``[nx, ny]`` cells per section.
    cell_size
        Cell pitch in x and y (mm), one value or ``[sx, sy]``.
    center
        Transverse position ``[x, y]`` of the grid centre (mm); the beam axis is x = y = 0.
    gap
        Longitudinal air gap between consecutive modules (mm).
    hole
        Side of a square central hole (mm) with no active material (VHCAL); 0 for none.
    stochastic, constant
        Energy resolution sigma_E/E = stochastic/sqrt(E/GeV) (+) constant, for electrons.
        The stochastic term contains the sampling and the photo-statistics contributions
        unless ``photoelectrons_per_gev`` is given, which then adds 1/sqrt(N_pe) in
        quadrature.
    sampling
        The sampling-fluctuation part of ``stochastic`` (the rest being photo-statistics),
        sigma_E/E = sampling/sqrt(E/GeV) for a detector without light collection, as a full
        simulation of the energy deposits gives it; ``None`` when not known.  Used to
        compare with such simulations (:mod:`na64.detector.observables`), not in the
        smearing.
    noise
        Gaussian electronic noise per cell (energy).
    e_over_h
        Ratio of the responses to the electromagnetic and non-electromagnetic parts of a
        hadron shower.
    e_over_mip
        Response to electrons relative to minimum-ionizing particles: the electron sampling
        fraction is ``e_over_mip`` times the mip sampling fraction of the layer
        (:attr:`electron_sampling_fraction`).
    delta_ray_threshold
        Kinetic energy above which the knock-on electrons of a charged track in the absorber
        plates reach the active layers and count at the electron scale
        (:func:`na64.detector.muon.sample_delta_rays`); ``None``: only the hard knock-ons
        that complete the Bethe mean count.
    shower
        Corrections of the GFLASH parametrisation (:class:`ShowerTuning`), ``None`` for the
        published one.
    leakage
        Hits in the first module from particles escaping the target's EM showers
        (:class:`Leakage`; HCAL only), ``None`` for none.
    shape_fluctuation
        Calibration table ``[[E, c], ...]`` (E increasing) of the relative event-to-event
        fluctuation c of the lateral cell fractions of an EM shower of energy E, used in
        the variance of the shower-shape chi^2 (:func:`na64.reco.shower_chi2`); c is
        interpolated in ln E and constant outside the table.  Computed on simulated
        electrons by :func:`na64.reco.calibrate_shower_shape`; ``None`` calibrates on first
        use.
    """

    z: Length = Field(ge=-1.0e5, le=1.0e6, description="upstream face in mm [-100 m, 1 km]")
    absorber: MaterialName
    active: MaterialName = "Sc"
    absorber_thickness: Length = Field(gt=0.0, le=500.0, description="mm (0, 500]")
    active_thickness: Length = Field(gt=0.0, le=500.0, description="mm (0, 500]")
    layers: tuple[int, ...] = Field(min_length=1, max_length=8)
    modules: int = Field(1, ge=1, le=16, description="modules [1, 16]")
    cells: tuple[int, int]
    cell_size: tuple[Length, Length]
    center: tuple[Length, Length] = (0.0, 0.0)
    gap: Length = Field(0.0, ge=0.0, le=1.0e4, description="mm [0, 10 m]")
    hole: Length = Field(0.0, ge=0.0, le=1.0e4, description="mm [0, 10 m]")
    stochastic: float = Field(ge=0.0, le=2.0, description="sigma_E/E at 1 GeV [0, 2]")
    constant: float = Field(0.0, ge=0.0, le=0.5, description="[0, 0.5]")
    sampling: float | None = Field(None, ge=0.0, le=2.0, description="[0, 2]")
    noise: Energy = Field(0.0, ge=0.0, le=1.0 * GeV, description="per cell [0, 1 GeV]")
    photoelectrons_per_gev: float | None = Field(
        None, gt=0.0, le=1.0e7, description="photo-electrons per GeV (0, 1e7]"
    )
    e_over_h: float = Field(1.0, ge=0.3, le=3.0, description="[0.3, 3]")
    e_over_mip: float = Field(1.0, ge=0.3, le=1.5, description="[0.3, 1.5]")
    delta_ray_threshold: Energy | None = Field(None, gt=0.01, le=1.0 * GeV,
                                               description="(10 keV, 1 GeV]")
    shower: ShowerTuning | None = None
    leakage: Leakage | None = None
    shape_fluctuation: tuple[tuple[Energy, float], ...] | None = Field(
        None, description="[[E, c], ...] with E increasing and c in [0, 10]"
    )

    @field_validator("shape_fluctuation")
    @classmethod
    def _check_shape_fluctuation(cls, v: tuple[tuple[float, float], ...] | None
                                 ) -> tuple[tuple[float, float], ...] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("needs at least one [E, c] row")
        e = [row[0] for row in v]
        if not all(math.isfinite(x) and x > 0 for x in e) or any(
                b <= a for a, b in itertools.pairwise(e)):
            raise ValueError("energies must be positive and increasing")
        if not all(math.isfinite(row[1]) and 0.0 <= row[1] <= 10.0 for row in v):
            raise ValueError("each c must be in [0, 10]")
        return v

    @field_validator("cell_size", "center", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)):
            return (value, value)
        return value

    @field_validator("layers", mode="before")
    @classmethod
    def _layers_list(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,)
        return value

    @field_validator("layers")
    @classmethod
    def _layers_positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 or n > 10_000 for n in value):
            raise ValueError(f"each section needs between 1 and 10000 layers, got {list(value)}")
        return value

    @field_validator("cells")
    @classmethod
    def _cells_positive(cls, value: tuple[int, int]) -> tuple[int, int]:
        if any(n < 1 or n > 1000 for n in value):
            raise ValueError(f"cells [nx, ny] must each be in [1, 1000], got {list(value)}")
        return value

    @field_validator("cell_size")
    @classmethod
    def _sizes_positive(cls, value: tuple[float, float]) -> tuple[float, float]:
        if any(not (0.0 < s <= 1.0e4) for s in value):
            raise ValueError(f"cell sizes must be in (0, 10000] mm, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _hole_fits(self) -> Calorimeter:
        if self.hole > 0 and (self.hole >= self.cells[0] * self.cell_size[0]
                              or self.hole >= self.cells[1] * self.cell_size[1]):
            raise ValueError("hole must be smaller than the calorimeter face")
        return self

    # -- derived geometry -------------------------------------------------------------------
    @property
    def absorber_material(self) -> Material:
        """The absorber :class:`~na64.materials.Material`."""
        return get_material(self.absorber)

    @property
    def active_material(self) -> Material:
        """The active :class:`~na64.materials.Material`."""
        return get_material(self.active)

    @property
    def layer_thickness(self) -> float:
        """Thickness of one absorber + active layer (mm)."""
        return self.absorber_thickness + self.active_thickness

    @property
    def face_half_width(self) -> float:
        """Half the narrower side of the cell grid's face (mm)."""
        return 0.5 * min(self.cells[0] * self.cell_size[0], self.cells[1] * self.cell_size[1])

    @property
    def layer_fractions(self) -> tuple[tuple[Material, float], ...]:
        """(material, share of a layer's thickness) of the absorber and the active part;
        a part of zero thickness is left out."""
        layer = self.layer_thickness
        return tuple((mat, thick / layer) for mat, thick in
                     ((self.absorber_material, self.absorber_thickness),
                      (self.active_material, self.active_thickness)) if thick > 0)

    @property
    def section_layers(self) -> tuple[int, ...]:
        """Layers of each readout section, modules expanded."""
        return self.layers * self.modules if len(self.layers) == 1 else self.layers

    @property
    def n_sections(self) -> int:
        """Number of longitudinal readout sections (layers of the output array)."""
        return len(self.section_layers)

    @property
    def length(self) -> float:
        """Total length along the beam including gaps between modules (mm)."""
        return sum(self.section_layers) * self.layer_thickness + (self.modules - 1) * self.gap

    @property
    def X0(self) -> float:
        """Effective radiation length of the layer mixture (mm), thickness-weighted 1/X0."""
        a, s = self.absorber_material, self.active_material
        return self.layer_thickness / (self.absorber_thickness / a.X0 + self.active_thickness / s.X0)

    @property
    def lambda_int(self) -> float:
        """Effective nuclear interaction length of the layer mixture (mm)."""
        a, s = self.absorber_material, self.active_material
        return self.layer_thickness / (
            self.absorber_thickness / a.lambda_int + self.active_thickness / s.lambda_int
        )

    @property
    def moliere_radius(self) -> float:
        """Effective Molière radius (mm): R_M = X0_eff E_s / E_c,eff with E_c weighted per X0.

        Combination rule of Grindhammer & Peters, arXiv:hep-ex/0001020 (effective quantities of
        a sampling structure): 1/R_M = sum_i w_i / R_M,i with mass weights
        w_i = rho_i d_i / sum(rho d).
        """
        a, s = self.absorber_material, self.active_material
        wa = a.density * self.absorber_thickness
        ws = s.density * self.active_thickness
        inv = (wa / a.moliere_radius / a.density + ws / s.moliere_radius / s.density) / (wa + ws)
        rho_eff = (wa + ws) / self.layer_thickness
        return 1.0 / (inv * rho_eff)

    @property
    def critical_energy(self) -> float:
        """Effective critical energy (MeV), E_c,eff = X0_eff * sum_i w_i E_c,i / X0_i
        (arXiv:hep-ex/0001020, sampling calorimeters, with mass weights w_i)."""
        a, s = self.absorber_material, self.active_material
        wa = a.density * self.absorber_thickness
        ws = s.density * self.active_thickness
        rho_eff = (wa + ws) / self.layer_thickness
        x0_mass = self.X0 * rho_eff
        return x0_mass * (wa * a.critical_energy / (a.X0 * a.density)
                          + ws * s.critical_energy / (s.X0 * s.density)) / (wa + ws)

    @property
    def z_eff(self) -> float:
        """Mass-weighted effective atomic number of the layer (arXiv:hep-ex/0001020, sampling calorimeters)."""
        a, s = self.absorber_material, self.active_material
        wa = a.density * self.absorber_thickness
        ws = s.density * self.active_thickness
        return (wa * a.Z + ws * s.Z) / (wa + ws)

    @property
    def sampling_frequency(self) -> float:
        """F_s = X0_eff / (d_absorber + d_active), arXiv:hep-ex/0001020 (sampling calorimeters)."""
        return self.X0 / self.layer_thickness

    @property
    def e_hat(self) -> float:
        """ê = 1 / (1 + 0.007 (Z_absorber - Z_active)), arXiv:hep-ex/0001020 (sampling calorimeters)."""
        return 1.0 / (1.0 + 0.007 * (self.absorber_material.Z - self.active_material.Z))

    @property
    def gflash(self) -> GflashTuning:
        """The EM-shower corrections of this calorimeter (identity without ``shower``)."""
        return GflashTuning() if self.shower is None else self.shower.gflash()

    @property
    def hard_photonuclear(self) -> bool:
        """Whether the hard photo-nuclear interactions of EM showers starting in this
        calorimeter become hadron showers (:attr:`ShowerTuning.hard_photonuclear`)."""
        return True if self.shower is None else self.shower.hard_photonuclear

    @property
    def mip_sampling_fraction(self) -> float:
        """Share of a minimum-ionizing particle's mean loss (beta gamma = 3.5, PDG 2024
        Sec. 34.2.3) that goes to the active plates: dE/dx_act d_act / sum dE/dx d."""
        return _mip_fraction(self.active, self.active_thickness, self.absorber,
                             self.absorber_thickness)

    @property
    def electron_sampling_fraction(self) -> float:
        """Share of an electron shower's deposit seen in the active plates: e/mip times
        :attr:`mip_sampling_fraction`."""
        return self.e_over_mip * self.mip_sampling_fraction

    @property
    def x_edges(self) -> list[float]:
        """Cell boundaries in x (mm)."""
        nx, sx = self.cells[0], self.cell_size[0]
        x0 = self.center[0] - 0.5 * nx * sx
        return [x0 + i * sx for i in range(nx + 1)]

    @property
    def y_edges(self) -> list[float]:
        """Cell boundaries in y (mm)."""
        ny, sy = self.cells[1], self.cell_size[1]
        y0 = self.center[1] - 0.5 * ny * sy
        return [y0 + i * sy for i in range(ny + 1)]


class Veto(StrictModel):
    """Plastic scintillator counters stacked along the beam, covering the whole beam spot.

    Attributes
    ----------
    z
        Upstream face of the first counter (mm).
    counters
        Number of counters (one readout each).
    thickness
        Thickness of each counter (mm).
    material
        Counter material (default plastic scintillator).
    noise
        Gaussian noise per counter (energy).
    photoelectrons_per_mev
        Light yield; Poisson photo-statistics on the deposit.
    leakage
        Hits from particles escaping the target's EM showers (:class:`Leakage`, one rate
        per counter), ``None`` for none.
    backsplash
        Hits from the albedo of hadron showers that start in a calorimeter behind the
        counters (:class:`Backsplash`), ``None`` for none.
    hadron_tracks
        The particles of hadron showers crossing the counters (:class:`HadronTracks`),
        ``None`` for the profile's share of each counter.
    shower_particles
        ``None``: a counter receives the Gamma profile's energy over its own thickness in
        radiation lengths of every EM shower.  A number a in (0, 2]: the counters see an EM
        shower that starts in the target as the charged particles crossing them, a Poisson
        number with a times the mean that the profile at the target's back gives, each
        leaving a minimum-ionising deposit (:func:`na64.detector.response.counter_particles`;
        a < 1: particles that leave the target but miss or stop before the counter).
    """

    z: Length = Field(ge=-1.0e5, le=1.0e6, description="mm [-100 m, 1 km]")
    counters: int = Field(1, ge=1, le=32, description="[1, 32]")
    thickness: Length = Field(gt=0.0, le=1000.0, description="mm (0, 1000]")
    material: MaterialName = "Sc"
    noise: Energy = Field(0.0, ge=0.0, le=0.1 * GeV, description="[0, 100 MeV]")
    photoelectrons_per_mev: float = Field(10.0, gt=0.0, le=1.0e5, description="(0, 1e5]")
    leakage: Leakage | None = None
    backsplash: Backsplash | None = None
    hadron_tracks: HadronTracks | None = None
    shower_particles: float | None = Field(None, gt=0.0, le=2.0, description="(0, 2]")

    @model_validator(mode="after")
    def _one_rate_per_counter(self) -> Veto:
        if self.leakage is not None and len(self.leakage.hits_per_gev) != self.counters:
            raise ValueError(f"leakage.hits_per_gev needs one rate per counter ({self.counters})")
        return self

    @property
    def length(self) -> float:
        """Total length of the stack (mm)."""
        return self.counters * self.thickness


class DecayVolume(StrictModel):
    """An evacuated decay volume (visible mode): only its extent along the beam matters."""

    z: Length = Field(ge=-1.0e5, le=1.0e6, description="mm")
    length: Length = Field(gt=0.0, le=1.0e6, description="mm (0, 1 km]")


class UpstreamLayer(StrictModel):
    """Material crossed by the beam upstream of the target (a window, counter, air gap).

    Attributes
    ----------
    name
        Label used in reports.
    material
        Material name (:func:`na64.materials.get_material`).
    z
        Upstream face along the beam (mm, negative = upstream of the target face).
    thickness, x_over_x0
        Thickness along the beam (mm) or in radiation lengths; give exactly one.
    """

    name: str = Field(min_length=1)
    material: MaterialName
    z: Length = Field(ge=-1.0e6, le=0.0, description="upstream face in mm [-1 km, 0]")
    thickness: Length | None = Field(None, gt=0.0, le=1.0e6, description="mm (0, 1 km]")
    x_over_x0: float | None = Field(None, gt=0.0, le=1.0, description="radiation lengths (0, 1]")

    @model_validator(mode="after")
    def _one_thickness(self) -> UpstreamLayer:
        if (self.thickness is None) == (self.x_over_x0 is None):
            raise ValueError("give exactly one of thickness (mm) or x_over_x0")
        if self.z + self.length > 1e-9:
            raise ValueError(f"layer {self.name!r} (z = {self.z:g} mm, {self.length:g} mm thick) "
                             "must end upstream of the target face (z + thickness <= 0)")
        return self

    @property
    def length(self) -> float:
        """Thickness along the beam (mm)."""
        if self.thickness is not None:
            return float(self.thickness)
        return float(self.x_over_x0 or 0.0) * get_material(self.material).X0


class UpstreamMaterial(StrictModel):
    """Material in the beam path between the last bending magnet and the target.

    Electro-nuclear interactions there are not seen by the momentum spectrometer (it measured
    the electron before them): see :mod:`na64.background.upstream`.  ``layers`` are listed
    explicitly; tracker stations of the beam line downstream of the last magnet are added
    with their ``x_over_x0`` as ``tracker_material`` when ``include_trackers`` is true.
    """

    layers: tuple[UpstreamLayer, ...] = ()
    include_trackers: bool = True
    tracker_material: MaterialName = "Sc"


_DETECTOR_KEYS = ("wcal", "ecal", "veto", "decay_volume", "decay_counter", "vhcal", "hcal")


class Setup(StrictModel):
    """A complete detector setup (see the module docstring for the TOML schema)."""

    name: str = Field(min_length=1)
    description: str = ""
    mode: Literal["invisible", "visible"] = "invisible"
    references: tuple[str, ...] = ()
    beamline: BeamlineConfig
    beam: dict[str, Any] = Field(default_factory=dict)
    wcal: Calorimeter | None = None
    ecal: Calorimeter | None = None
    veto: Veto | None = None
    decay_volume: DecayVolume | None = None
    decay_counter: Veto | None = None
    vhcal: Calorimeter | None = None
    hcal: Calorimeter | None = None
    upstream: UpstreamMaterial | None = None

    @field_validator("beamline", mode="before")
    @classmethod
    def _load_beamline(cls, value: Any) -> Any:
        # a shipped name, a TOML path or an inline table (schema of na64.beam.config)
        if isinstance(value, (str, dict)):
            return load_beamline(value)
        return value

    @model_validator(mode="after")
    def _geometry(self) -> Setup:
        if self.ecal is None and self.wcal is None:
            raise ValueError("a setup needs a target calorimeter: an [ecal] or a [wcal] table")
        parts = sorted(
            ((k, getattr(self, k)) for k in _DETECTOR_KEYS if getattr(self, k) is not None),
            key=lambda kv: kv[1].z,
        )
        for (k1, d1), (k2, d2) in itertools.pairwise(parts):
            if d1.z + d1.length > d2.z + 1e-9:
                raise ValueError(
                    f"{k1} (z = {d1.z:g} .. {d1.z + d1.length:g} mm) overlaps {k2} "
                    f"(z = {d2.z:g} mm); detectors must not overlap along the beam"
                )
        return self

    @cached_property
    def target_name(self) -> str:
        """The calorimeter hit first by the beam (``"wcal"`` or ``"ecal"``)."""
        cands = [(k, getattr(self, k)) for k in ("wcal", "ecal") if getattr(self, k) is not None]
        return min(cands, key=lambda kv: kv[1].z)[0]

    @property
    def target(self) -> Calorimeter:
        """The active target calorimeter."""
        cal = getattr(self, self.target_name)
        assert isinstance(cal, Calorimeter)
        return cal

    def with_hard_photonuclear(self, on: bool) -> Setup:
        """This setup with the hadron showers of hard photo-nuclear interactions in the
        target calorimeter's EM showers switched on or off
        (:attr:`ShowerTuning.hard_photonuclear`; its other corrections kept)."""
        cal = self.target
        shower = (cal.shower or ShowerTuning()).model_copy(update={"hard_photonuclear": on})
        return self.model_copy(
            update={self.target_name: cal.model_copy(update={"shower": shower})})

    @property
    def beam_config(self) -> BeamConfig:
        """The ``[beam]`` table validated as :class:`na64.beam.config.BeamConfig`.

        The raw table is kept in :attr:`beam` so that callers can override entries (e.g.
        the energy from the command line) before validation; :func:`load_setup` validates
        it eagerly.
        """
        return load_beam(self.beam, field="beam")

    @property
    def beam_energy(self) -> float:
        """Nominal beam energy (MeV) from the ``[beam]`` table (default 100 GeV)."""
        return float(parse_quantity(self.beam.get("energy", "100GeV"), "energy",
                                    field="beam.energy"))

    @property
    def beam_particle(self) -> str:
        """Beam particle name from the ``[beam]`` table (default ``"e-"``)."""
        return str(self.beam.get("particle", "e-"))

    def detectors(self) -> list[tuple[str, Calorimeter | Veto | DecayVolume]]:
        """The configured detectors ordered along the beam."""
        parts = [(k, getattr(self, k)) for k in _DETECTOR_KEYS if getattr(self, k) is not None]
        return sorted(parts, key=lambda kv: kv[1].z)

    def standalone(self, name: str) -> Setup:
        """This setup seen from calorimeter ``name``: the detectors upstream of it (and the
        upstream material) removed, so that it is the target.  Used to compare a shower
        that starts at that calorimeter's face (the e+e- pair of a visible decay in the
        ECAL) with the expected profile; cached per setup object."""
        det = getattr(self, name, None)
        if name not in ("wcal", "ecal") or not isinstance(det, Calorimeter):
            raise InputError("detector", f"setup {self.name!r} has no calorimeter {name!r} "
                                         "(allowed: its 'wcal' or 'ecal')")
        if name == self.target_name:
            return self
        key = (id(self), name)
        hit = _STANDALONE.get(key)
        if hit is not None and hit[0] is self:
            return hit[1]
        data = {f: getattr(self, f) for f in type(self).model_fields}
        for k in _DETECTOR_KEYS:
            other = getattr(self, k)
            if other is not None and other.z < det.z:
                data[k] = None
        data["upstream"] = None
        view = type(self).model_validate(data)
        if len(_STANDALONE) > 32:
            _STANDALONE.clear()
        _STANDALONE[key] = (self, view)
        return view


_STANDALONE: dict[tuple[int, str], tuple[Setup, Setup]] = {}


def list_setups() -> list[str]:
    """Names of the setups shipped with na64."""
    root = resources.files("na64.data") / "setups"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _shipped_setup(name: str) -> Path | None:
    if name not in list_setups():
        return None
    return Path(str(resources.files("na64.data") / "setups" / f"{name}.toml"))


def _unknown_setup(name: str) -> str:
    return (f"unknown setup {name!r}; shipped: {', '.join(list_setups())} "
            "(or give a path to a .toml file)")


def setup_from_dict(data: Mapping[str, Any], *, source: str = "setup") -> Setup:
    """Validate a setup given as a (TOML-like) dictionary.

    An ``extends`` key is resolved as in :func:`load_setup` (a relative path from the
    working directory only, as there is no file to look next to).

    Raises
    ------
    InputError
        With the dotted path of the first offending key (``"ecal.cells"``) as field.
    """
    if isinstance(data, Mapping) and "extends" in data:
        data = resolve_extends(data, find=_shipped_setup, unknown=_unknown_setup)
    if isinstance(data, Mapping):
        data = _resolve_detector_extends(data, seen=())
    return validate(Setup, data, source=source, root="setup")


def _resolve_detector_extends(data: Mapping[str, Any], *, seen: tuple[tuple[str, str], ...]
                              ) -> dict[str, Any]:
    """Resolve ``extends`` inside detector tables: ``[ecal] extends = "na64e_2016_2018"``
    starts the table from that setup's ``[ecal]`` (merged key by key, as a whole-setup
    ``extends``), so that one detector is described, and tuned, in one place.  It is
    resolved after the whole-setup ``extends``: every key the table then holds, written
    here or inherited with the setup, wins over the table's base."""
    out = dict(data)
    for key in _DETECTOR_KEYS:
        table = out.get(key)
        if not (isinstance(table, Mapping) and "extends" in table):
            continue
        field = f"{key}.extends"
        name = table["extends"]
        if not isinstance(name, str) or not name.strip():
            raise InputError(field, "must be the name or path of the setup whose "
                                    f"[{key}] to start from, got {name!r}")
        if (key, name) in seen:
            chain = " -> ".join(n for _, n in (*seen, (key, name)))
            raise InputError(field, f"circular chain of [{key}] tables: {chain}")
        base, _ = load_toml(name, field=field, find=_shipped_setup, unknown=_unknown_setup)
        if "extends" in base:
            base = resolve_extends(base, find=_shipped_setup, unknown=_unknown_setup)
        base = _resolve_detector_extends(base, seen=(*seen, (key, name)))
        base_table = base.get(key)
        if not isinstance(base_table, Mapping):
            raise InputError(field, f"setup {name!r} has no [{key}] table to start from")
        out[key] = merge_tables(base_table, {k: v for k, v in table.items() if k != "extends"})
    return out


def load_setup(name_or_path: str | Path, *, field: str = "setup") -> Setup:
    """Load and validate a setup: a shipped name (``"na64e_2016_2018"``) or a TOML path.

    A setup file may start from another one with ``extends = "<name or path>"`` (a shipped
    setup name, or a path; a relative path is looked up in the working directory, then
    next to the file): its tables are merged into the other's key by key, while arrays
    (``references``, ``layers``, ``[[upstream.layers]]``, ...) and other values replace
    the other's.  For example::

        extends = "na64e_2016_2018"
        name = "thin_veto"
        [veto]
        thickness = "10mm"

    Parameters
    ----------
    name_or_path
        A shipped setup name or the path of a TOML file.
    field
        How the caller names the setup in the errors about the file itself (e.g.
        ``"--setup"`` on the command line).

    Raises
    ------
    InputError
        Unknown name or missing file (field ``field``), an unreadable, binary, non-UTF-8
        or malformed TOML file (names the file and line), a bad ``extends`` (field ending
        in ``extends``), or a schema violation (field = dotted TOML path, message = allowed
        range).
    """
    data, path = load_toml(name_or_path, field=field, find=_shipped_setup,
                           unknown=_unknown_setup)
    shipped = isinstance(name_or_path, str) and _shipped_setup(name_or_path) is not None
    source = f"{name_or_path}.toml" if shipped else str(path)
    setup = setup_from_dict(data, source=source)
    try:
        _ = setup.beam_config
    except InputError as exc:
        raise InputError(exc.field, f"{exc.message} (in {source})") from None
    return setup
