r"""Inelastic dark matter (iDM): a dark photon decaying to :math:`\chi_1\chi_2`, with
:math:`\chi_2\to\chi_1\ell^+\ell^-` in flight (the semi-visible signature).

The dark photon :math:`A'` (mass ``mass``, kinetic mixing ``epsilon``) couples
off-diagonally to two Majorana states, :math:`\chi_1` of mass ``m_chi`` and
:math:`\chi_2` of mass :math:`(1+\Delta)\,m_{\chi_1}`, with strength
:math:`g_D=\sqrt{4\pi\alpha_D}` (arXiv:1508.03050; arXiv:1703.06881;
the conventions of NA64's iDM interpretation, arXiv:2302.05414: benchmark
:math:`m_{A'}=3m_{\chi_1}`, :math:`\Delta=0.1` or 0.4, :math:`\alpha_D=0.1`, and
:math:`y=\epsilon^2\alpha_D(m_{\chi_1}/m_{A'})^4`).

Widths of the :math:`A'` (:meth:`Idm.widths`): ``e+e-``, ``mu+mu-``, ``tau+tau-`` and
``hadrons`` are those of the dark photon (:func:`na64.physics.widths.dark_photon_widths`,
arXiv:0906.0580 and arXiv:1801.04847); ``chichi`` is :math:`A'\to\chi_1\chi_2`, Eq. (1) of
:mod:`na64.physics.idm`.  ``chichi`` counts as invisible
(:data:`na64.models.base.INVISIBLE_CHANNELS`): the :math:`A'` decay itself leaves nothing
in the detector, so :attr:`Idm.invisible_fraction` is the branching ratio into the dark
sector.  Whether an event *stays* invisible depends on where the :math:`\chi_2` decays:
:meth:`Idm.chi2_decay_length`, :meth:`Idm.chi2_survival` and
:meth:`Idm.chi2_decay_probability` give that per event (it is a per-event factor, not a
branching ratio), and :mod:`na64.generate.idm` builds the decay products.

Widths of the :math:`\chi_2` (:meth:`Idm.chi2_widths`): ``chi1 e+e-``, ``chi1 mu+mu-``
(Eq. (2) of :mod:`na64.physics.idm`, the full three-body phase space) and
``chi1 hadrons`` (Eq. (4)); all :math:`\propto\epsilon^2`, so the :math:`\chi_2` decay length
at any coupling follows from one computation, :math:`\lambda(\epsilon)=\lambda(1)/\epsilon^2`.

Production is that of the dark photon (coupling :math:`\epsilon` to every charged lepton), so
the ``brem`` process of :mod:`na64.generate.processes` makes the :math:`A'` of this model.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import ClassVar, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..constants import HBARC, M_E
from ..errors import InputError
from ..physics.decay import decay_probability
from ..physics.idm import chi2_decay_length, chi2_widths, width_chi1chi2
from ..physics.widths import MAX_MASS, dark_photon_widths
from ..units import MeV
from .base import MAX_ENERGY, MIN_COUPLING, MIN_MASS, Model, check_m_chi, check_range

__all__ = ["IDM_BENCHMARK_DELTAS", "Idm"]

#: The mass splittings of NA64's iDM benchmark (arXiv:2302.05414).
IDM_BENCHMARK_DELTAS: Final[tuple[float, ...]] = (0.1, 0.4)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Idm(Model):
    r"""Dark photon with an inelastic (pseudo-Dirac) dark sector :math:`\chi_1,\chi_2`.

    Parameters
    ----------
    mass
        :math:`m_{A'}` (MeV), in [1 keV, 10 GeV].
    epsilon
        Kinetic mixing :math:`\epsilon`, in [1e-20, 1] (the production coupling).
    alpha_D
        Dark coupling :math:`\alpha_D`, in (0, 4π]; default 0.1 (NA64's benchmark).
    delta
        Relative splitting :math:`\Delta=(m_{\chi_2}-m_{\chi_1})/m_{\chi_1}`: above
        :math:`2m_e/m_{\chi_1}` (else :math:`\chi_2` has no :math:`e^+e^-` decay) and below
        :math:`m_{A'}/m_{\chi_1}-2` (else :math:`A'\to\chi_1\chi_2` is closed); default 0.1.
    m_chi
        :math:`m_{\chi_1}` (MeV), below :math:`m_{A'}/2`; default ``mass / 3``.

    Examples
    --------
    >>> from na64.units import MeV
    >>> a = Idm(300 * MeV, 1e-4, alpha_D=0.1, delta=0.1)
    >>> round(a.m_chi2 / MeV, 6)
    110.0
    >>> a.invisible_fraction > 0.999
    True
    """

    name: ClassVar[str] = "idm"
    coupling_name: ClassVar[str] = "epsilon"
    coupling_label: ClassVar[str] = r"$\varepsilon$"
    mass: float
    epsilon: float
    alpha_D: float = 0.1
    delta: float = 0.1
    m_chi: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "mass", check_range("mass", self.mass, MIN_MASS, MAX_MASS, low_open=False,
                                       unit="MeV", scale=MeV))
        set_(self, "epsilon", check_range("epsilon", self.epsilon, MIN_COUPLING, 1.0,
                                          low_open=False))
        set_(self, "alpha_D", check_range("alpha_D", self.alpha_D, 0.0, 4.0 * math.pi))
        m1 = check_m_chi(self.mass, self.m_chi, MAX_MASS)
        if not m1 < 0.5 * self.mass * (1.0 - 1e-9):
            raise InputError("m_chi", f"must be in (0, mass/2 = {0.5 * self.mass / MeV:.6g}) "
                                      f"MeV so that A' -> chi1 chi2 is open, got "
                                      f"{m1 / MeV:.6g} MeV")
        set_(self, "m_chi", m1)
        lo = 2.0 * M_E / m1
        hi = self.mass / m1 - 2.0
        if not lo < hi:
            raise InputError("delta", f"no allowed splitting for m_chi = {m1 / MeV:.6g} MeV and "
                                      f"mass = {self.mass / MeV:.6g} MeV: needs m_chi + 2 m_e "
                                      f"< mass - m_chi")
        try:
            d = float(self.delta)
        except (TypeError, ValueError):
            raise InputError("delta", f"must be a number, got {self.delta!r}") from None
        if not (math.isfinite(d) and lo < d < hi):
            raise InputError("delta", f"must be in (2 m_e/m_chi = {lo:.6g}, mass/m_chi - 2 = "
                                      f"{hi:.6g}) (chi2 -> chi1 e+e- and A' -> chi1 chi2 open), "
                                      f"got {d:.6g}")
        set_(self, "delta", d)

    # ---------------------------------------------------------------- masses, y
    @property
    def m_chi1(self) -> float:
        r""":math:`m_{\chi_1}` (MeV)."""
        assert self.m_chi is not None
        return self.m_chi

    @property
    def m_chi2(self) -> float:
        r""":math:`m_{\chi_2}=(1+\Delta)m_{\chi_1}` (MeV)."""
        return (1.0 + self.delta) * self.m_chi1

    @property
    def y(self) -> float:
        r""":math:`y=\epsilon^2\alpha_D(m_{\chi_1}/m_{A'})^4` (arXiv:1508.03050;
        arXiv:2302.05414)."""
        return self.epsilon**2 * self.alpha_D * (self.m_chi1 / self.mass) ** 4

    # ---------------------------------------------------------------- A' widths
    @functools.cached_property
    def _width_table(self) -> dict[str, float]:
        w = dark_photon_widths(self.mass, self.epsilon, 0.0, self.m_chi1)
        out = {k: float(v) for k, v in w.items() if k != "chichi"}
        out["chichi"] = float(width_chi1chi2(self.mass, self.m_chi1, self.m_chi2,
                                             self.alpha_D))
        return out

    def widths(self) -> dict[str, float]:
        r"""Partial widths (MeV) of the :math:`A'`: ``e+e-``, ``mu+mu-``, ``tau+tau-``,
        ``hadrons`` (dark photon) and ``chichi`` (:math:`\chi_1\chi_2`)."""
        return dict(self._width_table)

    def lepton_coupling(self, lepton: str) -> float:
        """Coupling to any charged lepton: :math:`\\epsilon` (in units of e)."""
        self._check_lepton(lepton)
        return self.epsilon

    # ---------------------------------------------------------------- chi2
    @functools.cached_property
    def _chi2_table(self) -> dict[str, float]:
        # computed at epsilon = 1 and scaled: every chi2 width is proportional to eps^2
        w = chi2_widths(self.m_chi1, self.m_chi2, self.mass, 1.0, self.alpha_D)
        return {k: float(v) for k, v in w.items()}

    def chi2_widths(self, epsilon: float | None = None) -> dict[str, float]:
        r"""Partial widths (MeV) of :math:`\chi_2`: ``chi1 e+e-``, ``chi1 mu+mu-``,
        ``chi1 hadrons`` (:func:`na64.physics.idm.chi2_widths`), at ``epsilon`` (default: the
        model's)."""
        eps2 = self._eps(epsilon) ** 2
        return {k: eps2 * v for k, v in self._chi2_table.items()}

    def chi2_total_width(self, epsilon: float | None = None) -> float:
        r"""Total width (MeV) of :math:`\chi_2` at ``epsilon`` (default: the model's)."""
        return float(sum(self.chi2_widths(epsilon).values()))

    def chi2_branching_ratios(self) -> dict[str, float]:
        r"""Branching ratios of :math:`\chi_2` (independent of :math:`\epsilon`); sum to 1."""
        w = self._chi2_table
        tot = sum(w.values())
        return {k: v / tot for k, v in w.items()}

    def chi2_ctau(self, epsilon: float | None = None) -> float:
        r"""Proper decay length :math:`c\tau=\hbar c/\Gamma` (mm) of :math:`\chi_2`."""
        return HBARC / self.chi2_total_width(epsilon)

    def chi2_decay_length(self, energy: ArrayLike, epsilon: ArrayLike | None = None
                          ) -> FloatArray:
        r"""Lab decay length :math:`\gamma\beta c\tau` (mm) of :math:`\chi_2`.

        Parameters
        ----------
        energy
            Lab energy of :math:`\chi_2` (MeV), in [:attr:`m_chi2`, 1e12 GeV], any shape.
        epsilon
            Kinetic mixing (scalar or array broadcasting with ``energy``; default the
            model's): :math:`\lambda(\epsilon)=\lambda(1)/\epsilon^2`.

        Returns
        -------
        ndarray
            mm, of the broadcast shape.

        Raises
        ------
        InputError
            An energy below :attr:`m_chi2`, above 1e12 GeV or not finite; an ``epsilon``
            outside [1e-20, 1].
        """
        e = np.asarray(energy, dtype=float)
        if not np.all(np.isfinite(e)) or np.any(e < self.m_chi2) or np.any(e > MAX_ENERGY):
            raise InputError("energy", f"must be in [m_chi2 = {self.m_chi2 / MeV:.6g} MeV, "
                                       f"1e12 GeV]")
        eps = self._eps_array(epsilon)
        lam1 = chi2_decay_length(e, self.m_chi2, sum(self._chi2_table.values()))
        return np.asarray(lam1 / eps**2)

    def chi2_survival(self, energy: ArrayLike, distance: ArrayLike,
                      epsilon: ArrayLike | None = None) -> FloatArray:
        r"""Probability :math:`e^{-d/\lambda}` that :math:`\chi_2` flies at least
        ``distance`` (mm, >= 0) before decaying (:mod:`na64.physics.decay`, Eq. (1) with
        :math:`d_2\to\infty`); arguments broadcast as for :meth:`chi2_decay_length`."""
        lam = self.chi2_decay_length(energy, epsilon)
        d = self._distance(distance)
        with np.errstate(under="ignore"):
            return np.asarray(np.exp(-d / lam))

    def chi2_decay_probability(self, energy: ArrayLike, d1: ArrayLike, d2: ArrayLike,
                               epsilon: ArrayLike | None = None) -> FloatArray:
        r"""Probability that :math:`\chi_2` decays between path lengths ``d1`` <= ``d2``
        (mm) (:func:`na64.physics.decay.decay_probability`)."""
        lam = self.chi2_decay_length(energy, epsilon)
        a, b = self._distance(d1), self._distance(d2)
        if np.any(b < a):
            raise InputError("distance", "d2 must not be below d1")
        return decay_probability(a, b, lam)

    # ---------------------------------------------------------------- helpers
    def _eps(self, epsilon: float | None) -> float:
        if epsilon is None:
            return self.epsilon
        return check_range("epsilon", epsilon, MIN_COUPLING, 1.0, low_open=False)

    def _eps_array(self, epsilon: ArrayLike | None) -> FloatArray:
        if epsilon is None:
            return np.asarray(self.epsilon, dtype=float)
        eps = np.asarray(epsilon, dtype=float)
        if not np.all(np.isfinite(eps)) or np.any(eps < MIN_COUPLING) or np.any(eps > 1.0):
            raise InputError("epsilon", f"must be in [{MIN_COUPLING:.6g}, 1]")
        return eps

    @staticmethod
    def _distance(distance: ArrayLike) -> FloatArray:
        d = np.asarray(distance, dtype=float)
        if not np.all(np.isfinite(d)) or np.any(d < 0):
            raise InputError("distance", "must be finite and >= 0 mm")
        return d
