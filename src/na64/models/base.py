"""The common interface of all dark-sector models: couplings in, widths and BRs out.

A model is a small frozen dataclass holding a mass and couplings.  Subclasses implement
:meth:`Model.widths` (partial widths keyed by final state) and
:meth:`Model.lepton_coupling`, and name their production coupling
(:attr:`Model.coupling_name`, :meth:`Model.with_coupling`); everything else (total width,
branching ratios, proper decay length, lab decay length, invisible fraction) follows here
from special relativity: :math:`c\\tau = \\hbar c/\\Gamma` and
:math:`L = \\gamma\\beta c\\tau = (p/m)\\,c\\tau` (PDG 2024 review "Kinematics", Sec. 49.1).
"""

from __future__ import annotations

import abc
import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar, Final, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import HBARC
from ..errors import InputError
from ..units import GeV, MeV

_M = TypeVar("_M", bound="Model")

__all__ = ["INVISIBLE_CHANNELS", "LEPTONS", "MAX_ENERGY", "MIN_COUPLING", "MIN_MASS",
           "GaugeBoson", "Model", "check_range"]

#: Smallest mass accepted by the models (1 keV): keeps every width a normal float.
MIN_MASS: Final[float] = 1e-3
#: Smallest non-zero coupling accepted (widths ~ g^2 stay far above float underflow).
MIN_COUPLING: Final[float] = 1e-20
#: Largest lab energy for :meth:`Model.decay_length` (1e12 GeV, in MeV).
MAX_ENERGY: Final[float] = 1e15

#: Final states that leave no trace in the detector.
INVISIBLE_CHANNELS: Final[frozenset[str]] = frozenset({"chichi", "nunu"})

#: Largest mass of the gauge bosons of :class:`GaugeBoson` (10 GeV, in MeV).
MAX_GAUGE_MASS: Final[float] = 10.0 * GeV

#: Charged-lepton names accepted by :meth:`Model.lepton_coupling`.
LEPTONS: Final[tuple[str, ...]] = ("e-", "e+", "mu-", "mu+", "tau-", "tau+", "e", "mu", "tau")


def check_range(field: str, value: float, low: float, high: float, *, low_open: bool = True,
                unit: str = "", scale: float = 1.0) -> float:
    """Return ``float(value)`` if it lies in the interval, else raise :class:`InputError`.

    Parameters
    ----------
    field
        Parameter name used in the message.
    value
        The value (internal units).
    low, high
        Interval limits (internal units); ``high`` is always included.
    low_open
        Whether ``low`` itself is excluded.
    unit, scale
        Unit label and its size for the message (e.g. ``"MeV"``, ``MeV``).
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a number, got {value!r}") from None
    ok = math.isfinite(v) and (v > low if low_open else v >= low) and v <= high
    if not ok:
        bra = "(" if low_open else "["
        u = f" {unit}" if unit else ""
        raise InputError(
            field,
            f"must be in {bra}{low / scale:.6g}, {high / scale:.6g}]{u}, got {v / scale:.6g}{u}",
        )
    return v


def check_m_chi(mass: float, m_chi: float | None, high: float) -> float:
    r"""The dark-matter mass of a model: ``m_chi`` or, if ``None``, the benchmark
    ``mass / 3`` (:math:`m_{A'}=3m_\chi`, arXiv:1505.00011), checked to lie in (0, high] MeV."""
    value = mass / 3.0 if m_chi is None else m_chi
    return check_range("m_chi", value, 0.0, high, unit="MeV", scale=MeV)


class Model(abc.ABC):
    """Abstract dark-sector model: one new particle of mass :attr:`mass` and its couplings.

    Subclasses are frozen dataclasses; they define :attr:`name`, the coupling metadata
    (:attr:`coupling_name`, :attr:`coupling_unit`, :attr:`coupling_scale`,
    :attr:`coupling_label`), :meth:`widths` and :meth:`lepton_coupling`.
    """

    #: Registry name of the model (e.g. ``"dark-photon"``).
    name: ClassVar[str]
    #: Constructor parameter that is the production coupling (e.g. ``"epsilon"``); a
    #: search's limit is a limit on this parameter.
    coupling_name: ClassVar[str]
    #: Unit in which the coupling is reported: ``""`` (dimensionless) or e.g. ``"GeV^-1"``.
    coupling_unit: ClassVar[str] = ""
    #: Size of :attr:`coupling_unit` in internal units (``1 / GeV`` for ``"GeV^-1"``):
    #: the reported number is ``coupling_value / coupling_scale``.
    coupling_scale: ClassVar[float] = 1.0
    #: Axis label of the coupling in matplotlib mathtext, unit included if any.
    coupling_label: ClassVar[str]
    mass: float

    @abc.abstractmethod
    def widths(self) -> dict[str, float]:
        """Partial decay widths (MeV) keyed by final state (``"e+e-"``, ``"chichi"``, ...)."""

    @abc.abstractmethod
    def lepton_coupling(self, lepton: str) -> float:
        """Coupling to the charged lepton ``lepton`` in units of the electric charge e.

        Dark-bremsstrahlung cross sections scale as the square of this number.
        """

    @property
    def coupling_value(self) -> float:
        """Value of the coupling :attr:`coupling_name` (internal units)."""
        return float(getattr(self, self.coupling_name))

    def with_coupling(self: _M, value: float) -> _M:
        r"""A copy of the model with the coupling :attr:`coupling_name` set to ``value``.

        The other parameters (mass, secondary couplings, resolved defaults such as the
        dark photon's ``m_chi``) are kept; the copy is validated as by the constructor.

        Parameters
        ----------
        value
            The new coupling in internal units, as the constructor takes it (e.g.
            ``1e-4 / GeV`` for an ALP's :math:`g_{a\gamma\gamma}=10^{-4}` GeV\ :sup:`-1`).

        Returns
        -------
        Model
            A new instance of the same class.

        Raises
        ------
        InputError
            If ``value`` is outside the coupling's allowed range (or not a number), or the
            new parameter point is not physical (e.g. no open decay channel).
        """
        changes = {self.coupling_name: value}
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    @property
    def total_width(self) -> float:
        """Total width (MeV): the sum of :meth:`widths`."""
        return float(sum(self.widths().values()))

    def branching_ratios(self) -> dict[str, float]:
        """Branching ratios keyed like :meth:`widths`; they sum to 1."""
        w = self.widths()
        tot = sum(w.values())
        return {k: v / tot for k, v in w.items()}

    @property
    def ctau(self) -> float:
        """Proper decay length :math:`c\\tau=\\hbar c/\\Gamma` (mm)."""
        return HBARC / self.total_width

    @property
    def invisible_fraction(self) -> float:
        """Branching ratio into invisible final states (dark matter, neutrinos)."""
        br = self.branching_ratios()
        return float(sum(v for k, v in br.items() if k in INVISIBLE_CHANNELS))

    @property
    def signal_invisible_fraction(self) -> float:
        """The invisible branching ratio a signal yield computed at unit coupling is scaled
        with: :attr:`invisible_fraction`, unless a model's visible widths vanish with its
        production coupling while its invisible width does not (then the small-coupling
        limit, e.g. :class:`na64.models.ScalarMu`)."""
        return self.invisible_fraction

    def decay_length(self, energy: ArrayLike) -> NDArray[np.float64]:
        """Mean lab-frame decay length :math:`\\gamma\\beta c\\tau` (mm) at total ``energy``.

        Parameters
        ----------
        energy
            Total energy of the particle (MeV), any shape; in [:attr:`mass`, 1e12 GeV].

        Returns
        -------
        ndarray
            Decay length in mm, same shape as ``energy``.

        Raises
        ------
        InputError
            If an energy is below the mass, above 1e12 GeV or not finite.
        """
        e = np.asarray(energy, dtype=float)
        if not np.all(np.isfinite(e)) or np.any(e < self.mass) or np.any(e > MAX_ENERGY):
            raise InputError(
                "energy", f"must be in [the mass {self.mass:.6g} MeV, 1e12 GeV]"
            )
        g = e / self.mass
        p_over_m = np.sqrt(g - 1.0) * np.sqrt(g + 1.0)  # no overflow of g**2
        return np.asarray(p_over_m * self.ctau)

    def _check_lepton(self, lepton: str) -> str:
        """Normalise a lepton name to ``"e"``, ``"mu"`` or ``"tau"``."""
        if lepton not in LEPTONS:
            raise InputError("lepton", f"must be one of {', '.join(LEPTONS)}, got {lepton!r}")
        return lepton.rstrip("+-")


@dataclass(frozen=True)
class GaugeBoson(Model):
    """A gauge boson of a new U(1) (B-L, L_mu-L_tau): mass in (0, 10 GeV], coupling g in (0, 1].

    Holds and validates ``mass`` (MeV) and the gauge coupling ``g`` (the production
    coupling, :attr:`coupling_name`); subclasses define :attr:`name`,
    :attr:`coupling_label`, :meth:`widths` and :meth:`lepton_coupling`.
    """

    coupling_name: ClassVar[str] = "g"
    mass: float
    g: float

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mass", check_range("mass", self.mass, MIN_MASS, MAX_GAUGE_MASS,
                                       low_open=False, unit="MeV", scale=MeV))
        set_(self, "g", check_range("g", self.g, MIN_COUPLING, 1.0, low_open=False))
