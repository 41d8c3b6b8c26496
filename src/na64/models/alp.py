r"""Axion-like particle :math:`a` coupled to photons and (optionally) electrons.

:math:`\mathcal L\supset -\tfrac{g_{a\gamma\gamma}}{4}aF_{\mu\nu}\tilde F^{\mu\nu}
- i g_{aee}\, a\,\bar e\gamma^5 e`.  Widths (e.g. arXiv:1708.00443, Bauer, Neubert, Thamm;
arXiv:1512.03069, Döbrich et al.):

* :math:`\Gamma(a\to\gamma\gamma)=g_{a\gamma\gamma}^2 m_a^3/(64\pi)`;
* :math:`\Gamma(a\to e^+e^-)=g_{aee}^2 m_a\beta_e/(8\pi)`,
  :math:`\beta_e=\sqrt{1-4m_e^2/m_a^2}` (from :math:`\sum|M|^2=2g_{aee}^2 m_a^2` and
  :math:`\Gamma=|\vec p|\,|M|^2/(8\pi m_a^2)`, PDG 2024 review "Kinematics").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

from ..constants import ALPHA, M_E
from ..physics.widths import beta
from ..units import GeV, MeV
from .base import MIN_COUPLING, MIN_MASS, Model, check_range

__all__ = ["ALP"]

_MAX_MASS: Final[float] = 10.0 * GeV


@dataclass(frozen=True)
class ALP(Model):
    r"""Axion-like particle.

    Parameters
    ----------
    mass
        :math:`m_a` (MeV), in (0, 10 GeV].
    g_agg
        Photon coupling :math:`g_{a\gamma\gamma}` in internal units (MeV\ :sup:`-1`;
        ``1e-4 / GeV`` for :math:`10^{-4}` GeV\ :sup:`-1`), in (0, 1/MeV].
    g_aee
        Dimensionless pseudoscalar electron Yukawa coupling, in [0, 1].
    """

    name: ClassVar[str] = "alp"
    coupling_name: ClassVar[str] = "g_agg"
    coupling_unit: ClassVar[str] = "GeV^-1"
    coupling_scale: ClassVar[float] = 1.0 / GeV
    coupling_label: ClassVar[str] = r"$g_{a\gamma\gamma}$ [GeV$^{-1}$]"
    mass: float
    g_agg: float
    g_aee: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mass", check_range("mass", self.mass, MIN_MASS, _MAX_MASS, low_open=False,
                                       unit="MeV", scale=MeV))
        set_(self, "g_agg", check_range("g_agg", self.g_agg, MIN_COUPLING / GeV, 1.0 / MeV,
                                        low_open=False, unit=self.coupling_unit,
                                        scale=self.coupling_scale))
        set_(self, "g_aee", check_range("g_aee", self.g_aee, 0.0, 1.0, low_open=False))

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``gammagamma`` and ``e+e-``."""
        b = float(beta(self.mass, M_E))
        return {
            "gammagamma": self.g_agg**2 * self.mass**3 / (64.0 * math.pi),
            "e+e-": self.g_aee**2 * self.mass * b / (8.0 * math.pi),
        }

    def lepton_coupling(self, lepton: str) -> float:
        """Electron Yukawa in units of e (:math:`g_{aee}/e`); 0 for muons and taus."""
        flavour = self._check_lepton(lepton)
        return self.g_aee / math.sqrt(4.0 * math.pi * ALPHA) if flavour == "e" else 0.0
