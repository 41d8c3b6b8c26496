"""Signal processes as a registry: each one makes weighted truth for a model and a setup.

A search names its processes in the analysis file (``[signal] processes = ["brem",
"annihilation"]``); each name maps to a :class:`SignalProcess` registered here with
:func:`register_process`, in the way pyhf registers its modifiers.  A process takes a
:class:`SignalRequest` (the model object with its mass and couplings, the beam, the setup,
the lowest invisible energy that can reach the signal box) and returns a
:class:`ProcessSample`: truth columns with ``weight`` = events per beam particle on target at
unit coupling, which :func:`na64.generate.particles.signal_particles` turns into particles
for the detector response.

Registered here:

* ``brem``: dark bremsstrahlung off every e± of the shower
  (:class:`~na64.generate.DarkBremSignal`; arXiv:1705.01633, arXiv:2101.12192); it needs
  only the boson's mass and spin, so it also makes the A' of the inelastic-dark-matter
  model ``idm`` (a dark photon with coupling ε, :mod:`na64.models.idm`);
* ``annihilation``: resonant e+ e- → A' → χχ̄ of the shower positrons on atomic electrons
  (:class:`~na64.generate.AnnihilationSignal`; arXiv:1802.03794, arXiv:2108.04195);
* ``primakoff``: Primakoff conversion γ N → a N of the shower photons into an ALP
  (:class:`~na64.generate.primakoff.PrimakoffSignal`; arXiv:2005.02710, arXiv:2004.04469);
* ``muon_brem``: dark bremsstrahlung μ N → μ N X of the beam muon
  (:class:`~na64.generate.muon_brem.MuonBremSignal`; arXiv:2107.13297, arXiv:2110.15111).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from ..constants import M_E
from ..errors import InputError
from ..models import Model
from .annihilation import AnnihilationSignal
from .dark_brem import DarkBremSignal, drop_empty
from .muon_brem import MUON_BEAMS, MuonBremSignal
from .primakoff import PrimakoffSignal

__all__ = [
    "PROCESSES",
    "ProcessSample",
    "SignalProcess",
    "SignalRequest",
    "get_process",
    "process_names",
    "register_process",
]

#: Cascades simulated per requested annihilation event with an e- beam: only 17% of the
#: cascades of a 100 GeV e- in the NA64 ECAL have a positron above E_+ = 40 GeV (measured:
#: 16.7% of 1e5 cascades); the others carry no annihilation weight.
_CASCADES_PER_EVENT = 6
#: Cascades simulated per requested Primakoff event with an e- beam: a 100 GeV e- cascade in
#: the NA64 ECAL has a photon above 50 GeV in 35% of the cases (measured: 34.8% of 2e4
#: cascades), above 1 GeV in all; the cascades without one carry no weight.
_PRIMAKOFF_CASCADES_PER_EVENT = 3


@dataclass(frozen=True)
class SignalRequest:
    """What a search asks of a signal process.

    Attributes
    ----------
    model
        The model object (:mod:`na64.models`), its coupling set to 1: the weights are per
        beam particle at unit coupling and scale with the coupling squared.
    beam
        Beam particle (``"e-"``, ``"e+"``).
    energy
        Nominal beam energy (MeV).
    setup
        The detector setup; its active target is where the signal is made.
    e_min
        Lowest energy of the dark-sector particle that can reach the signal box (MeV).
    options
        Process settings from the analysis' ``[signal]`` table (``method``, ``x_max``).
    """

    model: Model
    beam: str
    energy: float
    setup: Any
    e_min: float
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def mass(self) -> float:
        """Mass of the new particle (MeV)."""
        return float(self.model.mass)


@dataclass(frozen=True)
class ProcessSample:
    """Weighted truth of one process.

    ``truth`` has the columns of :meth:`na64.generate.DarkBremSignal.sample` (``e_aprime``,
    ``e_emitter``, ``from_primary``, ``z``, ``theta``, ``phi``, ``weight``); ``e_min`` is the
    generation threshold used; ``alternatives`` maps a label to the weights of the same events
    under another dark sector (exact reweighting, e.g. ``("alpha_D", 0.1)``).
    """

    process: str
    truth: dict[str, np.ndarray]
    e_min: float
    alternatives: dict[tuple[str, float], np.ndarray] = field(default_factory=dict)

    @property
    def weights(self) -> np.ndarray:
        """Events per beam particle at unit coupling."""
        return np.asarray(self.truth["weight"], dtype=float)

    @property
    def production(self) -> float:
        """Sum of the weights: produced particles above ``e_min`` per beam particle."""
        return float(self.weights.sum())


class SignalProcess(abc.ABC):
    """A production process of the new particle; subclasses are registered by name."""

    #: Registry name used in analysis files.
    name: ClassVar[str]
    #: One line for listings and ``summary.json``.
    description: ClassVar[str]
    #: Models (registry names of :mod:`na64.models`) the process can produce.
    models: ClassVar[tuple[str, ...]]

    def check(self, request: SignalRequest) -> None:
        """Raise :class:`InputError` (field ``signal.model``) if the model is not produced."""
        if request.model.name not in self.models:
            raise InputError("signal.model", f"process {self.name!r} produces "
                             f"{', '.join(self.models)}, not {request.model.name!r}")

    def is_open(self, request: SignalRequest) -> bool:
        """Whether the process can make the particle at all (kinematics)."""
        return True

    @abc.abstractmethod
    def sample(self, request: SignalRequest, n: int, rng: np.random.Generator,
               *, reweight: dict[str, tuple[float, ...]] | None = None) -> ProcessSample:
        """About ``n`` weighted events.  ``reweight`` asks for the weights under other
        dark-sector parameters (``{"alpha_D": (0.1, 0.5)}``) where the process depends on
        them."""


PROCESSES: dict[str, SignalProcess] = {}

P = TypeVar("P", bound=type[SignalProcess])


def register_process(cls: P) -> P:
    """Class decorator: register an instance of ``cls`` under ``cls.name``."""
    if cls.name in PROCESSES:
        raise ValueError(f"signal process {cls.name!r} is already registered")
    PROCESSES[cls.name] = cls()
    return cls


def process_names() -> tuple[str, ...]:
    """Names of the registered signal processes."""
    return tuple(PROCESSES)


def get_process(name: str, *, field: str = "signal.processes") -> SignalProcess:
    """The registered process ``name``; an unknown name is an :class:`InputError`."""
    try:
        return PROCESSES[name]
    except KeyError:
        raise InputError(field, f"unknown signal process {name!r}; allowed: "
                                f"{', '.join(PROCESSES)}") from None


def _threshold(request: SignalRequest) -> float:
    """Generation threshold: e_min, at most half the beam energy."""
    return min(request.e_min, 0.5 * request.energy)


#: Spin of the emitted boson for the dark-bremsstrahlung cross section, per model.
_BREM_SPIN: dict[str, str] = {"dark-photon": "vector", "x-vector": "vector",
                               "x-scalar": "scalar", "x-pseudoscalar": "pseudoscalar",
                               "x-axial": "axial", "b-l": "vector", "lmu-ltau": "vector",
                               "idm": "vector"}


@register_process
class DarkBremsstrahlung(SignalProcess):
    """l N → l N X off every e± of the shower (forced once per event, with weights)."""

    name = "brem"
    description = "dark bremsstrahlung off every shower e+- (ETL/IWW/WW)"
    models = tuple(_BREM_SPIN)

    def sample(self, request: SignalRequest, n: int, rng: np.random.Generator,
               *, reweight: dict[str, tuple[float, ...]] | None = None) -> ProcessSample:
        """Weighted emissions above e_min (see :class:`~na64.generate.DarkBremSignal`)."""
        self.check(request)
        opts = request.options
        gen = DarkBremSignal(
            request.mass, beam=request.beam, energy=request.energy,
            method=opts.get("method", "etl"), setup=request.setup,
            threshold=_threshold(request), x_max=opts.get("x_max", "kinematic"),
            spin=_BREM_SPIN[request.model.name],
        )
        e_min = max(request.e_min, gen.threshold)
        return ProcessSample(self.name, gen.sample(n, rng, e_min=e_min), e_min)


@register_process
class ResonantAnnihilation(SignalProcess):
    """e+ e- → A' → χχ̄ of the shower positrons on atomic electrons (forced, weighted)."""

    name = "annihilation"
    description = "resonant e+e- -> A' annihilation of the shower positrons"
    models = ("dark-photon", "x-vector", "b-l", "lmu-ltau")

    def is_open(self, request: SignalRequest) -> bool:
        """Open above the e+e- threshold, m > 2 m_e."""
        return request.mass > 2.0 * M_E

    def generator(self, request: SignalRequest) -> AnnihilationSignal:
        """The annihilation generator of the request's vector.

        The dark photon and a vector X with a dark sector (α_D > 0) have the dark photon's
        line into χχ̄ (an X with electron coupling g = εe is a dark photon of mixing ε for
        this process); the L_μ−L_τ and B−L bosons, and an X without dark sector, a narrow
        line into every final state (unit electron coupling; their branching ratios are
        applied by the search)."""
        self.check(request)
        m = request.model
        alpha_d = float(getattr(m, "alpha_D", 0.0))
        if m.name == "dark-photon" or alpha_d > 0:
            return AnnihilationSignal(
                request.mass, beam=request.beam, energy=request.energy, setup=request.setup,
                alpha_D=alpha_d, m_chi=m.m_chi, chi=getattr(m, "chi", "dirac"),  # type: ignore[attr-defined]
                threshold=_threshold(request))
        return AnnihilationSignal(request.mass, beam=request.beam, energy=request.energy,
                                  setup=request.setup, line="narrow",
                                  threshold=_threshold(request))

    def sample(self, request: SignalRequest, n: int, rng: np.random.Generator,
               *, reweight: dict[str, tuple[float, ...]] | None = None) -> ProcessSample:
        """About ``n`` events, none of weight 0.

        ``_CASCADES_PER_EVENT × n`` cascades are simulated for an e- beam; those without a
        positron above e_min (weight 0) are dropped, and if more than ``n`` remain the
        sample is cut after the cascade that gave the n-th, with the weights renormalised to
        the cascades kept.
        """
        gen = self.generator(request)
        e_min = max(request.e_min, gen.threshold)
        n_casc = _CASCADES_PER_EVENT * n if gen.beam == "e-" else n
        truth = drop_empty(gen.sample(n_casc, rng, e_min=e_min), n)
        alts = ({("alpha_D", float(a)): gen.reweight(truth, alpha_D=a)
                 for a in (reweight or {}).get("alpha_D", ())}
                if request.model.name == "dark-photon" else {})
        return ProcessSample(self.name, truth, e_min, alts)


@register_process
class Primakoff(SignalProcess):
    """γ N → a N of the shower photons in the nuclear Coulomb field (forced, weighted)."""

    name = "primakoff"
    description = "Primakoff conversion gamma N -> a N of the shower photons into an ALP"
    models = ("alp",)

    def is_open(self, request: SignalRequest) -> bool:
        """Open below the beam energy, m_a < E0."""
        return request.mass < request.energy

    def generator(self, request: SignalRequest) -> PrimakoffSignal:
        """The Primakoff generator of the request's ALP."""
        self.check(request)
        return PrimakoffSignal(request.mass, beam=request.beam, energy=request.energy,
                               setup=request.setup, threshold=_threshold(request))

    def sample(self, request: SignalRequest, n: int, rng: np.random.Generator,
               *, reweight: dict[str, tuple[float, ...]] | None = None) -> ProcessSample:
        """About ``n`` events, none of weight 0, at unit coupling g_aγγ = 1 MeV⁻¹.

        ``_PRIMAKOFF_CASCADES_PER_EVENT × n`` cascades are simulated; those without a photon
        above e_min are dropped (:func:`~na64.generate.dark_brem.drop_empty`).
        """
        gen = self.generator(request)
        e_min = max(request.e_min, gen.threshold)
        truth = gen.sample(_PRIMAKOFF_CASCADES_PER_EVENT * n, rng, e_min=e_min)
        return ProcessSample(self.name, drop_empty(truth, n), e_min)


#: Spin of the boson a muon radiates, per model.
_MUON_BREM_SPIN: dict[str, str] = {"dark-photon": "vector", "lmu-ltau": "vector",
                                    "scalar-mu": "scalar"}


@register_process
class MuonBremsstrahlung(SignalProcess):
    """μ N → μ N X of the beam muon in the active target (forced once per event, weighted).

    The weights count the X that decay invisibly: emissions per muon on target at unit
    coupling times the model's invisible branching ratio (for the L_μ−L_τ Z' the νν̄ share,
    which falls to ~1/2 above the μ+μ− threshold; He et al., Phys. Rev. D 43 (1991) R22).
    The ratio is the model's :attr:`~na64.models.Model.signal_invisible_fraction` (the
    small-coupling limit for the muon-philic scalar, whose visible widths vanish with its
    coupling).
    """

    name = "muon_brem"
    description = "dark bremsstrahlung mu N -> mu N X of the beam muon (ETL), X -> invisible"
    models = tuple(_MUON_BREM_SPIN)

    def check(self, request: SignalRequest) -> None:
        """The model must be produced and the beam a muon."""
        super().check(request)
        if request.beam not in MUON_BEAMS:
            raise InputError("beam", f"process {self.name!r} needs a muon beam "
                                     f"({', '.join(MUON_BEAMS)}), got {request.beam!r}")

    def sample(self, request: SignalRequest, n: int, rng: np.random.Generator,
               *, reweight: dict[str, tuple[float, ...]] | None = None) -> ProcessSample:
        """``n`` weighted emissions with E_X > e_min (see :class:`MuonBremSignal`)."""
        self.check(request)
        model = request.model
        gen = MuonBremSignal(request.mass, setup=request.setup, energy=request.energy,
                             beam=request.beam, coupling=model.lepton_coupling("mu"),
                             spin=_MUON_BREM_SPIN[model.name],
                             method=request.options.get("method", "etl"))
        e_min = max(request.e_min, request.mass)
        truth = gen.sample(n, rng, e_min=e_min)
        truth["weight"] = truth["weight"] * model.signal_invisible_fraction
        return ProcessSample(self.name, truth, e_min)
