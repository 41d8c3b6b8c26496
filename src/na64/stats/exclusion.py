"""From a limit on the signal count to a limit on the coupling, mass by mass.

For the invisible dark photon (A' -> chi chi, BR ~ 1) the expected signal count scales as
``N_sig(eps) = eps**2 * N_sig(eps = 1)`` (the dark-bremsstrahlung cross section is proportional to eps**2 and
BR(A' -> chi chi) ~ 1; NA64, Banerjee et al., PRL 123 (2019) 121801, arXiv:1906.00176), so the limit is

    eps_up(m) = sqrt(s_up / N_sig(m; eps = 1)).

For light dark matter the usual variable is ``y = eps**2 * alpha_D * (m_chi / m_A')**4``
(the variable ``y`` introduced by Izaguirre, Krnjaic, Schuster, Toro, PRL 115 (2015) 251301,
arXiv:1505.00011).

Robustness: a mass with zero (or negligible) yield has no sensitivity; instead of ``inf`` the
limit is set to the documented cap ``eps_cap`` (default 1: the expansion in ``eps`` and the
"invisible" picture are meaningless beyond it) and the mass is flagged ``sensitive = False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = ["EPS_CAP", "EpsExclusion", "eps_to_y", "exclusion_eps", "exclusion_eps_bands"]

#: Default cap on eps for masses without sensitivity (see module docstring).
EPS_CAP = 1.0


@dataclass(frozen=True)
class EpsExclusion:
    """Upper limit on eps per mass.

    Attributes
    ----------
    masses
        Masses (internal units, as given).
    eps
        90% CL (or the chosen CL) upper limit on eps, capped at ``eps_cap``; finite.
    sensitive
        ``True`` where the yield is positive and the limit lies below the cap.
    eps_cap
        The cap used.
    """

    masses: NDArray[np.float64]
    eps: NDArray[np.float64]
    sensitive: NDArray[np.bool_]
    eps_cap: float

    def y(self, alpha_d: float = 0.5, mass_ratio: float = 3.0) -> NDArray[np.float64]:
        """The limit on ``y = eps**2 alpha_D (m_chi/m_A')**4`` for ``mass_ratio = m_A'/m_chi``
        (see :func:`eps_to_y`)."""
        return eps_to_y(self.eps, alpha_d=alpha_d, mass_ratio=mass_ratio)


def _as_1d(values: ArrayLike, field: str) -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(field, "must be a non-empty 1-D array")
    if np.any(~np.isfinite(arr)):
        raise InputError(field, "must be finite (no NaN or inf)")
    return arr


def exclusion_eps(
    masses: ArrayLike,
    n_sig_at_eps1: ArrayLike,
    s_up: ArrayLike,
    *,
    eps_cap: float = EPS_CAP,
) -> EpsExclusion:
    """Upper limit on eps per mass: ``eps_up = sqrt(s_up / N_sig(eps = 1))``.

    Parameters
    ----------
    masses
        A' masses (internal units), 1-D, finite, > 0.
    n_sig_at_eps1
        Expected signal count at ``eps = 1`` for each mass (``>= 0``; same length).
    s_up
        Upper limit on the signal count: a scalar (mass-independent) or one value per mass.
    eps_cap
        Value reported where there is no sensitivity (``> 0``).

    Returns
    -------
    EpsExclusion
        ``eps`` (finite, ``<= eps_cap``) and the ``sensitive`` mask.

    Examples
    --------
    >>> r = exclusion_eps([10.0, 20.0], [2.303e8, 0.0], 2.303)
    >>> float(r.eps[0]), bool(r.sensitive[1]), float(r.eps[1])
    (0.0001, False, 1.0)
    """
    m = _as_1d(masses, "masses")
    if np.any(m <= 0):
        raise InputError("masses", "must be > 0")
    n = _as_1d(n_sig_at_eps1, "n_sig_at_eps1")
    if n.shape != m.shape:
        raise InputError("n_sig_at_eps1", f"must have one value per mass ({m.size}), got {n.size}")
    if np.any(n < 0):
        raise InputError("n_sig_at_eps1", "must be >= 0")
    s = np.broadcast_to(_as_1d(s_up, "s_up"), m.shape) if np.size(s_up) in (1, m.size) else None
    if s is None:
        raise InputError("s_up", f"must be a scalar or one value per mass ({m.size})")
    if np.any(s < 0):
        raise InputError("s_up", "must be >= 0")
    cap = float(eps_cap)
    if not np.isfinite(cap) or cap <= 0:
        raise InputError("eps_cap", f"must be finite and > 0, got {eps_cap!r}")
    # eps^2 = s/n < cap^2  <=>  s < cap^2 n  (no division by zero, no overflow)
    sensitive = s < cap * cap * n
    ratio = np.divide(s, n, out=np.full(m.shape, cap * cap), where=sensitive)
    eps = np.sqrt(ratio)
    return EpsExclusion(masses=m, eps=eps, sensitive=np.asarray(sensitive), eps_cap=cap)


def exclusion_eps_bands(
    masses: ArrayLike,
    n_sig_at_eps1: ArrayLike,
    bands: Mapping[str, ArrayLike],
    *,
    eps_cap: float = EPS_CAP,
) -> dict[str, NDArray[np.float64]]:
    """Apply :func:`exclusion_eps` to each band of an expected-limit dict.

    Parameters
    ----------
    masses, n_sig_at_eps1, eps_cap
        As in :func:`exclusion_eps`.
    bands
        ``{"m2", "m1", "median", "p1", "p2"} -> s_up`` (scalars or per mass), e.g. the
        output of :func:`na64.stats.expected_limits`.

    Returns
    -------
    dict
        Same keys -> eps arrays.
    """
    return {
        key: exclusion_eps(masses, n_sig_at_eps1, val, eps_cap=eps_cap).eps
        for key, val in bands.items()
    }


def eps_to_y(
    eps: ArrayLike, *, alpha_d: float = 0.5, mass_ratio: float = 3.0
) -> NDArray[np.float64]:
    """``y = eps**2 * alpha_D * (m_chi/m_A')**4`` (the ``y`` of arXiv:1505.00011).

    Parameters
    ----------
    eps
        Kinetic-mixing values.
    alpha_d
        Dark coupling ``alpha_D = g_D**2/(4 pi)`` in ``(0, 4 pi]``; 0.5 and 0.1 are the usual
        benchmarks.
    mass_ratio
        ``m_A' / m_chi`` in ``(2, inf)`` (the invisible decay needs ``m_A' > 2 m_chi``); 3 is
        the usual benchmark (``m_A' = 3 m_chi``).  The same convention as the analysis
        files' ``[signal] mass_ratio``.

    Returns
    -------
    numpy.ndarray
    """
    e = np.asarray(eps, dtype=np.float64)
    if np.any(~np.isfinite(e)) or np.any(e < 0):
        raise InputError("eps", "must be finite and >= 0")
    a = float(alpha_d)
    if not (0.0 < a <= 4.0 * np.pi):
        raise InputError("alpha_d", f"must be in (0, 4 pi], got {alpha_d!r}")
    r = float(mass_ratio)
    if not (np.isfinite(r) and r > 2.0):
        raise InputError("mass_ratio", f"m_A'/m_chi must be > 2 (A' -> chi chi open), "
                                       f"got {mass_ratio!r}")
    return np.asarray(e * e * a / r**4, dtype=np.float64)
