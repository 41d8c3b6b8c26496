r"""The :math:`L_\mu-L_\tau` gauge boson :math:`Z'`.

:math:`\mathcal L\supset g'Z'_\mu(\bar\mu\gamma^\mu\mu-\bar\tau\gamma^\mu\tau
+\bar\nu_\mu\gamma^\mu P_L\nu_\mu-\bar\nu_\tau\gamma^\mu P_L\nu_\tau)` (X.-G. He et al.,
Phys. Rev. D 43 (1991) R22; NA64 search arXiv:2206.03101).  Tree-level widths:

* :math:`Z'\to\mu^+\mu^-,\ \tau^+\tau^-`: vector width with :math:`\alpha'=g'^2/4\pi`;
* :math:`Z'\to\nu\bar\nu`: only left-handed neutrinos couple, which halves the massless
  vector width: :math:`\alpha' m/6` per flavour, :math:`\alpha' m/3` for
  :math:`\nu_\mu+\nu_\tau` (same derivation as :mod:`na64.physics.widths`).

The loop-induced kinetic mixing with the photon (:math:`\epsilon\sim g'/70`) and hence any
electron coupling is neglected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..constants import ALPHA, M_MU, M_TAU
from ..physics.widths import width_vector
from .base import GaugeBoson

__all__ = ["LmuLtau"]



@dataclass(frozen=True)
class LmuLtau(GaugeBoson):
    r""":math:`L_\mu-L_\tau` boson: mass ``mass`` (MeV) in (0, 10 GeV], coupling ``g`` in (0, 1]."""

    name: ClassVar[str] = "lmu-ltau"
    coupling_label: ClassVar[str] = r"$g_{L_\mu-L_\tau}$"

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``nunu`` (both flavours), ``mu+mu-``, ``tau+tau-``."""
        a = self.g**2 / (4.0 * math.pi)
        return {
            "nunu": a * self.mass / 3.0,
            "mu+mu-": float(width_vector(self.mass, M_MU, a)),
            "tau+tau-": float(width_vector(self.mass, M_TAU, a)),
        }

    def lepton_coupling(self, lepton: str) -> float:
        """:math:`\\pm g'/e` for muons and taus (magnitude returned), 0 for electrons."""
        flavour = self._check_lepton(lepton)
        return 0.0 if flavour == "e" else self.g / math.sqrt(4.0 * math.pi * ALPHA)
