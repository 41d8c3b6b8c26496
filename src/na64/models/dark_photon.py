r"""The kinetically mixed dark photon :math:`A'` with an optional light dark-matter state.

:math:`\mathcal L\supset -\tfrac{\epsilon}{2}F'_{\mu\nu}F^{\mu\nu} + g_D A'_\mu J^\mu_D`,
so the :math:`A'` couples to the electromagnetic current with strength :math:`\epsilon e`
and to the dark current with :math:`g_D=\sqrt{4\pi\alpha_D}` (arXiv:0906.0580, Sec. II;
arXiv:1505.00011).  The decay widths are those of :mod:`na64.physics.widths`:

* :math:`A'\to\ell^+\ell^-`: vector width with :math:`\alpha_{\rm eff}=\epsilon^2\alpha`
  (arXiv:0906.0580, Sec. II);
* :math:`A'\to` hadrons: :math:`\Gamma_{\mu\mu}(m_\mu\to0)\,R(m_{A'}) =
  \tfrac{\epsilon^2\alpha m_{A'}}{3}R(m_{A'})` (arXiv:1801.04847, Sec. 2, with R from
  :func:`na64.physics.r_ratio.r_ratio`);
* :math:`A'\to\chi\bar\chi`: Dirac and pseudo-Dirac (:math:`A'\to\chi_1\chi_2`, mass
  splitting neglected) vector width; complex scalar and Majorana widths as derived in
  :mod:`na64.physics.widths` (arXiv:1505.00011; arXiv:1807.01730), all with
  :math:`\alpha_{\rm eff}=\alpha_D`.

:func:`dark_photon_widths`, :data:`CHI_KINDS`, :data:`MAX_MASS` and ``ChiKind`` live in
:mod:`na64.physics.widths` and are re-exported here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar

from ..constants import M_E
from ..errors import InputError
from ..physics.widths import CHI_KINDS, MAX_MASS, ChiKind, chi_pair_width, dark_photon_widths
from ..units import MeV
from .base import MIN_COUPLING, MIN_MASS, Model, check_m_chi, check_range

__all__ = ["CHI_KINDS", "MAX_MASS", "ChiKind", "DarkPhoton", "dark_photon_widths"]


@dataclass(frozen=True)
class DarkPhoton(Model):
    r"""Dark photon of mass ``mass`` and kinetic mixing ``epsilon``, decaying to SM and to chi.

    Parameters
    ----------
    mass
        :math:`m_{A'}` (MeV), in (0, 10 GeV].
    epsilon
        Kinetic mixing :math:`\epsilon`, in (0, 1].
    alpha_D
        Dark coupling :math:`\alpha_D=g_D^2/4\pi`, in [0, 4π]; 0 switches the dark decay off
        (visible mode).
    m_chi
        Dark-matter mass (MeV); default ``mass / 3`` (the :math:`m_{A'}=3m_\chi` benchmark).
    chi
        ``"dirac"``, ``"pseudo-dirac"``, ``"majorana"`` or ``"scalar"``.

    Examples
    --------
    >>> from na64.units import MeV
    >>> a = DarkPhoton(16.7 * MeV, 1e-3, alpha_D=0.0)
    >>> round(a.branching_ratios()["e+e-"], 6)
    1.0
    """

    name: ClassVar[str] = "dark-photon"
    coupling_name: ClassVar[str] = "epsilon"
    coupling_label: ClassVar[str] = r"$\varepsilon$"
    mass: float
    epsilon: float
    alpha_D: float = 0.5
    m_chi: float | None = None
    chi: ChiKind = "dirac"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mass", check_range("mass", self.mass, MIN_MASS, MAX_MASS, low_open=False,
                                       unit="MeV", scale=MeV))
        set_(self, "epsilon", check_range("epsilon", self.epsilon, MIN_COUPLING, 1.0,
                                          low_open=False))
        set_(self, "alpha_D", check_range("alpha_D", self.alpha_D, 0.0, 4.0 * math.pi,
                                          low_open=False))
        set_(self, "m_chi", check_m_chi(self.mass, self.m_chi, MAX_MASS))
        if self.chi not in CHI_KINDS:
            raise InputError("chi", f"must be one of {', '.join(CHI_KINDS)}, got {self.chi!r}")
        if self.total_width <= 0.0:
            raise InputError(
                "mass", f"{self.mass / MeV:.6g} MeV has no open decay channel: it must exceed "
                f"2 m_e = {2 * M_E / MeV:.6g} MeV, or 2 m_chi with alpha_D > 0",
            )

    @property
    def y(self) -> float:
        r"""Dimensionless :math:`y=\epsilon^2\alpha_D(m_\chi/m_{A'})^4` (arXiv:1505.00011)."""
        assert self.m_chi is not None
        return self.epsilon**2 * self.alpha_D * (self.m_chi / self.mass) ** 4

    @functools.cached_property
    def _width_table(self) -> dict[str, float]:
        # computed once per (immutable) instance; widths() hands out copies
        w = dark_photon_widths(self.mass, self.epsilon, self.alpha_D, self.m_chi, self.chi)
        return {k: float(v) for k, v in w.items()}

    def widths(self) -> dict[str, float]:
        """Partial widths (MeV): ``e+e-``, ``mu+mu-``, ``tau+tau-``, ``hadrons``, ``chichi``."""
        return dict(self._width_table)

    def dark_width(self) -> float:
        r"""Width (MeV) of :math:`A'\to\chi\bar\chi` (or :math:`\chi_1\chi_2`) for :attr:`chi`."""
        assert self.m_chi is not None
        return float(chi_pair_width(self.mass, self.m_chi, self.alpha_D, self.chi))

    @property
    def signal_invisible_fraction(self) -> float:
        r"""The invisible branching ratio for a signal yield computed at unit mixing: that of
        the small-mixing limit.

        The visible widths (leptons, hadrons) are :math:`\propto\epsilon^2\alpha`, the dark
        one :math:`\Gamma_{\chi}\propto\alpha_D` does not depend on ε (arXiv:0906.0580,
        Sec. II; the widths of :func:`na64.physics.widths.dark_photon_widths`), so
        :math:`{\rm BR}_{\rm inv}=\Gamma_\chi/(\Gamma_\chi+\epsilon^2\Gamma_{\rm vis}(1))`
        tends to 1 at the ε an invisible search reaches whenever :math:`A'\to\chi\bar\chi`
        is open (:math:`\alpha_D>0`, :math:`m_{A'}>2m_\chi`), and is 0 otherwise.  The value
        at ε = 1, α_D/(α_D + α) ≈ 0.986 below 2 m_μ for α_D = 0.5, would weaken a limit
        computed at ε = 1 by about 0.7%.

        >>> DarkPhoton(10 * MeV, 1.0, alpha_D=0.5).signal_invisible_fraction
        1.0
        >>> DarkPhoton(16.7 * MeV, 1e-3, alpha_D=0.0).signal_invisible_fraction
        0.0
        """
        return 1.0 if self.dark_width() > 0.0 else 0.0

    def lepton_coupling(self, lepton: str) -> float:
        """Coupling to any charged lepton: :math:`\\epsilon` (in units of e)."""
        self._check_lepton(lepton)
        return self.epsilon
