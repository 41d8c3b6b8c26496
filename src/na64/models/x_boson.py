r"""A light boson X of spin-parity S, P, V or A coupled to electrons only (e.g. the X17).

:math:`\mathcal L\supset g\,X\bar ee` (S), :math:`i g\,X\bar e\gamma^5e` (P),
:math:`g\,X_\mu\bar e\gamma^\mu e` (V), :math:`g\,X_\mu\bar e\gamma^\mu\gamma^5e` (A), as in
the NA64 X17 searches (arXiv:1912.11389, vector; arXiv:2104.13342, pseudoscalar) and
arXiv:1604.07411.  Tree-level widths into :math:`e^+e^-`, :math:`\beta=\sqrt{1-4m_e^2/m^2}`,
from :math:`\Gamma=|\vec p|\overline{|M|^2}/(8\pi m^2)` (PDG 2024 review "Kinematics"):

* S: :math:`\sum|M|^2=2g^2(m^2-4m_e^2)` → :math:`\Gamma=g^2m\beta^3/(8\pi)`;
* P: :math:`\sum|M|^2=2g^2m^2` → :math:`\Gamma=g^2m\beta/(8\pi)`;
* V, A: :mod:`na64.physics.widths` with :math:`\alpha_{\rm eff}=g^2/4\pi`:
  :math:`\tfrac{g^2m}{12\pi}(1+2m_e^2/m^2)\beta` and :math:`\tfrac{g^2m}{12\pi}\beta^3`.

``coupling`` is the dimensionless g; :meth:`XBoson.lepton_coupling` returns g/e for
electrons (the :math:`\epsilon` of a dark photon for kind V).

Optionally the X also couples to a dark Dirac fermion :math:`\chi` with the same Lorentz
structure and :math:`g_D=\sqrt{4\pi\alpha_D}` (the invisible-decay benchmark of NA64's S/P/V/A
search, arXiv:2102.01885, where :math:`\Gamma(X\to\chi\bar\chi)\gg\Gamma(X\to e^+e^-)`); the
width into :math:`\chi\bar\chi` is the electron formula above with :math:`g^2\to4\pi\alpha_D`,
:math:`m_e\to m_\chi`.  ``alpha_D = 0`` (the default) is the minimal model, X → e+e− only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final, Literal

from ..constants import ALPHA, M_E
from ..errors import InputError
from ..physics.widths import beta, width_axial, width_vector
from ..units import GeV, MeV
from .base import MIN_COUPLING, MIN_MASS, Model, check_m_chi, check_range

__all__ = ["X_KINDS", "X_MODELS", "XAxial", "XBoson", "XPseudoscalar", "XScalar", "XVector"]

#: Allowed spin-parity kinds.
X_KINDS: Final[tuple[str, ...]] = ("S", "P", "V", "A")
_MAX_MASS: Final[float] = 10.0 * GeV


def _pair_width(kind: str, m: float, m_d: float, g2: float) -> float:
    """Width (MeV) of an X of ``kind`` and mass ``m`` into a Dirac pair of mass ``m_d`` with
    coupling squared ``g2`` (the formulas of the module docstring); 0 below threshold."""
    if not m > 2.0 * m_d:
        return 0.0
    b = float(beta(m, m_d))
    if kind == "S":
        return g2 * m * b**3 / (8.0 * math.pi)
    if kind == "P":
        return g2 * m * b / (8.0 * math.pi)
    if kind == "V":
        return float(width_vector(m, m_d, g2 / (4.0 * math.pi)))
    return float(width_axial(m, m_d, g2 / (4.0 * math.pi)))


@dataclass(frozen=True)
class XBoson(Model):
    r"""Electron-coupled boson.

    Parameters
    ----------
    mass
        Mass (MeV), in (2 m_e, 10 GeV]; with a dark sector (``alpha_D > 0``) down to
        1 keV, where X → χχ̄ is open (m_χ < mass/2).
    kind
        ``"S"``, ``"P"``, ``"V"`` or ``"A"``.
    coupling
        Dimensionless coupling g to electrons, in (0, 1].
    alpha_D
        Dark coupling :math:`\alpha_D=g_D^2/4\pi` to a Dirac fermion χ, in [0, 4]; 0: no dark
        decay.
    m_chi
        Mass of χ (MeV); default ``mass / 3``.
    """

    name: ClassVar[str] = "x-boson"
    coupling_name: ClassVar[str] = "coupling"
    coupling_label: ClassVar[str] = r"$g_{Xee}$"
    mass: float
    kind: Literal["S", "P", "V", "A"] = "V"
    coupling: float = 1e-4
    alpha_D: float = 0.0
    m_chi: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "alpha_D", check_range("alpha_D", self.alpha_D, 0.0, 4.0, low_open=False))
        # without a dark sector e+e- is the only decay: the mass must open it
        low = 2.0 * M_E if self.alpha_D == 0 else MIN_MASS
        set_(self, "mass", check_range("mass", self.mass, low, _MAX_MASS,
                                       unit="MeV", scale=MeV))
        set_(self, "coupling", check_range("coupling", self.coupling, MIN_COUPLING, 1.0,
                                           low_open=False))
        m_chi = check_m_chi(self.mass, self.m_chi, _MAX_MASS)
        set_(self, "m_chi", m_chi)
        if self.mass <= 2.0 * M_E and 2.0 * m_chi >= self.mass:
            raise InputError("m_chi", f"must be below mass/2 = {self.mass / 2 / MeV:.6g} MeV "
                                      f"below the e+e- threshold (no open decay), got "
                                      f"{m_chi / MeV:.6g} MeV")
        if self.kind not in X_KINDS:
            raise InputError("kind", f"must be one of {', '.join(X_KINDS)}, got {self.kind!r}")
        fixed = type(self).__dataclass_fields__["kind"].default
        if type(self) is not XBoson and self.kind != fixed:
            raise InputError("kind", f"model {self.name!r} has kind {fixed!r}; use 'x-boson' "
                                     f"for kind {self.kind!r}")

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``e+e-`` and, with ``alpha_D > 0``, ``chichi``."""
        out = {"e+e-": _pair_width(self.kind, self.mass, M_E, self.coupling**2)}
        if self.alpha_D > 0:
            assert self.m_chi is not None
            out["chichi"] = _pair_width(self.kind, self.mass, self.m_chi,
                                        4.0 * math.pi * self.alpha_D)
        return out

    def lepton_coupling(self, lepton: str) -> float:
        """g/e for electrons and positrons, 0 for muons and taus."""
        flavour = self._check_lepton(lepton)
        return self.coupling / math.sqrt(4.0 * math.pi * ALPHA) if flavour == "e" else 0.0


@dataclass(frozen=True)
class XScalar(XBoson):
    """An :class:`XBoson` of kind S (scalar), registered as ``x-scalar``."""

    name: ClassVar[str] = "x-scalar"
    kind: Literal["S", "P", "V", "A"] = "S"


@dataclass(frozen=True)
class XPseudoscalar(XBoson):
    """An :class:`XBoson` of kind P (pseudoscalar), registered as ``x-pseudoscalar``."""

    name: ClassVar[str] = "x-pseudoscalar"
    kind: Literal["S", "P", "V", "A"] = "P"


@dataclass(frozen=True)
class XVector(XBoson):
    """An :class:`XBoson` of kind V (vector, e.g. the X17), registered as ``x-vector``."""

    name: ClassVar[str] = "x-vector"
    kind: Literal["S", "P", "V", "A"] = "V"


@dataclass(frozen=True)
class XAxial(XBoson):
    """An :class:`XBoson` of kind A (axial vector), registered as ``x-axial``."""

    name: ClassVar[str] = "x-axial"
    kind: Literal["S", "P", "V", "A"] = "A"


#: The fixed-kind X models by kind.
X_MODELS: Final[dict[str, type[XBoson]]] = {
    "S": XScalar, "P": XPseudoscalar, "V": XVector, "A": XAxial}
