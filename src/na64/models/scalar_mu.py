r"""A CP-even scalar S coupled only to muons, decaying mostly to dark matter.

:math:`\mathcal L\supset g_S\,S\bar\mu\mu + g_\chi\,S\bar\chi\chi` with a Dirac fermion χ:
the spin-0 muon-philic mediator of NA64μ (Sieber, Kirpichnikov et al., arXiv:2305.09015,
with :math:`S\to\chi\bar\chi`; limits from the 2022 run in arXiv:2409.10128, which
takes X → invisible for every mediator it considers).  Tree-level widths from
:math:`\Gamma=|\vec p|\,\overline{|M|^2}/(8\pi m^2)` (PDG 2024 review "Kinematics",
two-body decays) with :math:`\sum|M|^2 = 2g^2(m^2-4m_f^2)` for a Yukawa vertex, i.e.
:math:`\Gamma(S\to f\bar f)=g^2 m\beta_f^3/(8\pi)`, :math:`\beta_f=\sqrt{1-4m_f^2/m^2}`:

* ``chichi``: :math:`g_\chi^2 m\beta_\chi^3/(8\pi)` — the invisible width.  Assumed, as in
  arXiv:2305.09015: :math:`g_\chi = 1` and :math:`m_\chi = m_S/3` by default, so that for
  the couplings NA64μ probes (:math:`g_S\lesssim 10^{-2}`) the invisible branching ratio is
  1 to better than :math:`10^{-4}`;
* ``mu+mu-``: :math:`g_S^2 m\beta_\mu^3/(8\pi)` above :math:`2m_\mu`;
* ``gammagamma``: the muon loop,
  :math:`\Gamma=\frac{\alpha^2 g_S^2 m^3}{256\pi^3 m_\mu^2}|A_{1/2}(\tau)|^2`,
  :math:`\tau=m^2/4m_\mu^2`, :math:`A_{1/2}=2[\tau+(\tau-1)f(\tau)]/\tau^2` with
  :math:`f=\arcsin^2\sqrt\tau` for τ ≤ 1 and
  :math:`f=-\tfrac14[\ln\frac{1+\sqrt{1-1/\tau}}{1-\sqrt{1-1/\tau}}-i\pi]^2` above
  (the Higgs two-photon width of Djouadi, arXiv:hep-ph/0503172, the section on the loop-induced decays: the width
  Γ(H→γγ) and the form factors :math:`A_{1/2}^H`, :math:`f(\tau)`, with the Yukawa coupling
  :math:`m_\mu/v\to g_S`; :math:`A_{1/2}\to 4/3` for τ → 0).

The production coupling is ``g`` (:math:`g_S`, dimensionless); the beam muon radiates S
through the scalar vertex of :mod:`na64.physics.dark_brem` with coupling
:math:`g_S/e` (:meth:`ScalarMu.lepton_coupling`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

from ..constants import ALPHA, M_MU
from ..physics.widths import beta
from ..units import GeV, MeV
from .base import MIN_COUPLING, MIN_MASS, Model, check_m_chi, check_range

__all__ = ["MAX_G_CHI", "ScalarMu", "diphoton_amplitude"]

#: Largest dark Yukawa coupling accepted: g_χ² ≤ 4π (perturbative).
MAX_G_CHI: Final[float] = math.sqrt(4.0 * math.pi)
_MAX_MASS: Final[float] = 10.0 * GeV


def diphoton_amplitude(tau: float) -> complex:
    r"""The spin-1/2 loop amplitude :math:`A_{1/2}(\tau)` of a scalar's two-photon decay.

    :math:`A_{1/2}=2[\tau+(\tau-1)f(\tau)]/\tau^2` (arXiv:hep-ph/0503172, loop-induced decays);
    :math:`A_{1/2}\to 4/3` for :math:`\tau\to0` (heavy loop fermion), evaluated there by its
    series :math:`4/3 + 14\tau/45` to avoid the cancellation.

    Parameters
    ----------
    tau
        :math:`m_S^2/(4m_f^2)`, in [0, inf).
    """
    t = float(tau)
    if t < 1e-4:
        return complex(4.0 / 3.0 + 14.0 * t / 45.0)
    if t <= 1.0:
        f: complex = complex(math.asin(math.sqrt(t)) ** 2)
    else:
        r = math.sqrt(1.0 - 1.0 / t)
        f = -0.25 * (math.log((1.0 + r) / (1.0 - r)) - 1j * math.pi) ** 2 if r < 1.0 else \
            -0.25 * (math.log(4.0 * t) - 1j * math.pi) ** 2
    return 2.0 * (t + (t - 1.0) * f) / (t * t)


@dataclass(frozen=True)
class ScalarMu(Model):
    r"""Muon-philic CP-even scalar S.

    Parameters
    ----------
    mass
        :math:`m_S` (MeV), in [1 keV, 10 GeV].
    g
        Coupling :math:`g_S` to muons (dimensionless), in (0, 1].
    g_chi
        Dark Yukawa coupling :math:`g_\chi` to a Dirac χ, in [0, √(4π)]; 0 switches the
        invisible decay off.  Default 1 (arXiv:2305.09015).
    m_chi
        χ mass (MeV), default ``mass / 3``.

    Examples
    --------
    >>> from na64.units import MeV
    >>> s = ScalarMu(100 * MeV, 1e-3)
    >>> s.invisible_fraction > 0.999999
    True
    """

    name: ClassVar[str] = "scalar-mu"
    coupling_name: ClassVar[str] = "g"
    coupling_label: ClassVar[str] = r"$g_S$"
    mass: float
    g: float
    g_chi: float = 1.0
    m_chi: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mass", check_range("mass", self.mass, MIN_MASS, _MAX_MASS,
                                       low_open=False, unit="MeV", scale=MeV))
        set_(self, "g", check_range("g", self.g, MIN_COUPLING, 1.0, low_open=False))
        set_(self, "g_chi", check_range("g_chi", self.g_chi, 0.0, MAX_G_CHI, low_open=False))
        set_(self, "m_chi", check_m_chi(self.mass, self.m_chi, _MAX_MASS))

    def _yukawa(self, g: float, m_f: float) -> float:
        b = float(beta(self.mass, m_f))
        return g * g * self.mass * b**3 / (8.0 * math.pi)

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``chichi``, ``mu+mu-``, ``gammagamma``."""
        assert self.m_chi is not None
        m = self.mass
        amp = diphoton_amplitude(m * m / (4.0 * M_MU * M_MU))
        gg = ALPHA**2 * self.g**2 * m**3 / (256.0 * math.pi**3 * M_MU**2) * abs(amp) ** 2
        return {
            "chichi": self._yukawa(self.g_chi, self.m_chi),
            "mu+mu-": self._yukawa(self.g, M_MU),
            "gammagamma": float(gg),
        }

    @property
    def signal_invisible_fraction(self) -> float:
        r"""The invisible branching ratio for the signal yield: that at :math:`g_S\to0`.

        A search is computed at :math:`g_S = 1` and scaled by :math:`g_S^2`; at the
        couplings it reaches (:math:`g_S\ll g_\chi`) the visible widths, ∝ :math:`g_S^2`,
        are negligible, so the yield's branching ratio is that of the small-coupling limit
        (1 if :math:`g_\chi>0` and :math:`m_S>2m_\chi`, else 0).
        """
        return self.with_coupling(MIN_COUPLING).invisible_fraction if self.g_chi > 0 else 0.0

    def lepton_coupling(self, lepton: str) -> float:
        """:math:`g_S/e` for muons, 0 for electrons and taus."""
        flavour = self._check_lepton(lepton)
        return self.g / math.sqrt(4.0 * math.pi * ALPHA) if flavour == "mu" else 0.0
