r"""The :math:`U(1)_{B-L}` gauge boson :math:`Z'` (gauged baryon minus lepton number).

:math:`\mathcal L\supset g_{B-L}Z'_\mu\big(\tfrac13\sum_q\bar q\gamma^\mu q-\sum_\ell
\bar\ell\gamma^\mu\ell-\sum_\nu\bar\nu\gamma^\mu P_L\nu\big)` (arXiv:1801.04847, Sec. 4.1,
where the B-L boson is one of the recast examples).  Widths with
:math:`\alpha_{B-L}=g_{B-L}^2/4\pi`:

* :math:`e^+e^-`, :math:`\mu^+\mu^-`, :math:`\tau^+\tau^-`: vector width
  (:mod:`na64.physics.widths`);
* :math:`\nu\bar\nu`: three left-handed flavours, each half a massless Dirac width:
  :math:`3\times\alpha_{B-L}m/6` (no right-handed neutrinos assumed);
* hadrons: :math:`\tfrac{\alpha_{B-L}m}{3}R_{B-L}(m)` with :math:`R_{B-L}` from
  :func:`na64.physics.r_ratio.r_vector_current` at all quark charges 1/3 (vector-meson
  dominance as in arXiv:1801.04847, Sec. 2: no :math:`\rho`, four times the photon's
  :math:`\omega`, the same :math:`\phi`).

Kinetic mixing with the photon is neglected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Final

from ..constants import ALPHA, M_E, M_MU, M_TAU
from ..physics.r_ratio import r_vector_current
from ..physics.widths import width_vector
from .base import GaugeBoson

__all__ = ["BminusL"]

_LEPTONS: Final[dict[str, float]] = {"e+e-": M_E, "mu+mu-": M_MU, "tau+tau-": M_TAU}


@dataclass(frozen=True)
class BminusL(GaugeBoson):
    r""":math:`B-L` boson of mass ``mass`` (MeV, in (0, 10 GeV]) and coupling ``g`` (in (0, 1])."""

    name: ClassVar[str] = "b-l"
    coupling_label: ClassVar[str] = r"$g_{B-L}$"

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``e+e-``, ``mu+mu-``, ``tau+tau-``, ``hadrons``, ``nunu``."""
        a = self.g**2 / (4.0 * math.pi)
        out = {k: float(width_vector(self.mass, m_l, a)) for k, m_l in _LEPTONS.items()}
        third = 1.0 / 3.0
        r = float(r_vector_current(self.mass, third, third, third, third, third))
        out["hadrons"] = a * self.mass / 3.0 * r
        out["nunu"] = 3.0 * a * self.mass / 6.0
        return out

    def lepton_coupling(self, lepton: str) -> float:
        """:math:`g_{B-L}/e` for every charged lepton (B-L charge -1; magnitude returned)."""
        self._check_lepton(lepton)
        return self.g / math.sqrt(4.0 * math.pi * ALPHA)
