r"""The :math:`L_\mu-L_\tau` gauge boson :math:`Z'`.

:math:`\mathcal L\supset g'Z'_\mu(\bar\mu\gamma^\mu\mu-\bar\tau\gamma^\mu\tau
+\bar\nu_\mu\gamma^\mu P_L\nu_\mu-\bar\nu_\tau\gamma^\mu P_L\nu_\tau)` (X.-G. He et al.,
Phys. Rev. D 43 (1991) R22; NA64 search arXiv:2206.03101).  Tree-level widths:

* :math:`Z'\to\mu^+\mu^-,\ \tau^+\tau^-`: vector width with :math:`\alpha'=g'^2/4\pi`;
* :math:`Z'\to\nu\bar\nu`: only left-handed neutrinos couple, which halves the massless
  vector width: :math:`\alpha' m/6` per flavour, :math:`\alpha' m/3` for
  :math:`\nu_\mu+\nu_\tau` (same derivation as :mod:`na64.physics.widths`).

The Z' couples to electrons only through the μ and τ loops of its mixing with the photon
(one-loop vacuum polarisation of the two leptons with opposite charges; e.g. the electron-beam
search of NA64, arXiv:2206.03101, and arXiv:1801.04847, Sec. 4):

.. math::
    \epsilon(q^2)=\frac{e g'}{2\pi^2}\int_0^1 dx\,x(1-x)
    \ln\frac{m_\tau^2-x(1-x)q^2}{m_\mu^2-x(1-x)q^2}
    \;\xrightarrow{q^2\to0}\;\frac{e g'}{12\pi^2}\ln\frac{m_\tau^2}{m_\mu^2}
    \approx\frac{g'}{70},

taken at the on-shell point :math:`q^2=m_{Z'}^2` (its modulus above :math:`2m_\mu`, where
the loop has an imaginary part).  It gives the electron coupling :math:`\epsilon e` used by
dark bremsstrahlung off electrons and a width into :math:`e^+e^-` that is
:math:`4\pi\alpha\epsilon^2/g'^2\sim10^{-5}` of the neutrino width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..constants import ALPHA, M_E, M_MU, M_TAU
from ..physics.widths import width_vector
from .base import GaugeBoson

__all__ = ["LmuLtau", "loop_mixing"]

#: Gauss-Legendre nodes and weights on [0, 1] for the loop integral over x.
_X, _W = np.polynomial.legendre.leggauss(64)
_X = 0.5 * (_X + 1.0)
_W = 0.5 * _W


def loop_mixing(mass: float) -> float:
    r"""Kinetic mixing per unit gauge coupling, :math:`|\epsilon(q^2=m^2)|/g'`, of the
    :math:`L_\mu-L_\tau` boson of mass ``mass`` (MeV): the formula of the module docstring,
    integrated over x with 64-point Gauss-Legendre (the integrand is smooth; its logarithmic
    end-point behaviour at :math:`q^2 = 4m_\mu^2` costs < 1e-4).
    """
    q2 = float(mass) ** 2
    xx = _X * (1.0 - _X)
    # timelike q^2: m^2 - x(1-x) q^2 - i0 (Feynman prescription)
    num = M_TAU**2 - xx * q2 - 1e-30j
    den = M_MU**2 - xx * q2 - 1e-30j
    integral = np.sum(_W * xx * (np.log(num) - np.log(den)))
    e = math.sqrt(4.0 * math.pi * ALPHA)
    return float(e / (2.0 * math.pi**2) * abs(integral))



@dataclass(frozen=True)
class LmuLtau(GaugeBoson):
    r""":math:`L_\mu-L_\tau` boson: mass ``mass`` (MeV) in (0, 10 GeV], coupling ``g`` in (0, 1]."""

    name: ClassVar[str] = "lmu-ltau"
    coupling_label: ClassVar[str] = r"$g_{L_\mu-L_\tau}$"

    @property
    def epsilon(self) -> float:
        """Loop-induced kinetic mixing with the photon at :math:`q^2=m_{Z'}^2`
        (:func:`loop_mixing`)."""
        return self.g * loop_mixing(self.mass)

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``nunu`` (both flavours), ``mu+mu-``, ``tau+tau-`` and the
        loop-induced ``e+e-`` (vector width with :math:`\alpha\\epsilon^2`)."""
        a = self.g**2 / (4.0 * math.pi)
        out = {
            "nunu": a * self.mass / 3.0,
            "mu+mu-": float(width_vector(self.mass, M_MU, a)),
            "tau+tau-": float(width_vector(self.mass, M_TAU, a)),
        }
        if self.mass > 2.0 * M_E:
            out["e+e-"] = float(width_vector(self.mass, M_E, ALPHA * self.epsilon**2))
        return out

    def lepton_coupling(self, lepton: str) -> float:
        r""":math:`g'/e` for muons and taus (magnitude returned); the loop-induced
        :math:`\epsilon` for electrons."""
        flavour = self._check_lepton(lepton)
        if flavour == "e":
            return self.epsilon
        return self.g / math.sqrt(4.0 * math.pi * ALPHA)
