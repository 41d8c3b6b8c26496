"""Beam particle species: names, PDG Monte Carlo codes, masses, charges and lifetimes.

Masses and proper lifetimes are those of :mod:`na64.constants` (PDG 2024,
S. Navas et al., Phys. Rev. D 110, 030001 (2024)).  PDG codes follow the PDG review
"Monte Carlo particle numbering scheme" (same reference, section 45).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import M_E, M_K, M_MU, M_P, M_PI, M_PI0, TAU_K, TAU_MU, TAU_PI

__all__ = [
    "PARTICLES",
    "Species",
    "charge_of",
    "mass_of",
    "name_of_pdg",
    "species",
]


@dataclass(frozen=True)
class Species:
    """One particle species.

    Attributes
    ----------
    name
        Beam name used in configs (``"e-"``, ``"pi-"``, ``"K-"``).
    pdg
        PDG Monte Carlo code.
    mass
        Mass (MeV).
    charge
        Electric charge in units of e.
    lifetime
        Proper lifetime tau (ns); ``inf`` for stable particles.
    """

    name: str
    pdg: int
    mass: float
    charge: int
    lifetime: float

    @property
    def stable(self) -> bool:
        """True when the species does not decay."""
        return not np.isfinite(self.lifetime)


_INF = float("inf")

#: Every species the beam module knows, keyed by config name.
PARTICLES: dict[str, Species] = {
    s.name: s
    for s in (
        Species("e-", 11, M_E, -1, _INF),
        Species("e+", -11, M_E, +1, _INF),
        Species("mu-", 13, M_MU, -1, TAU_MU),
        Species("mu+", -13, M_MU, +1, TAU_MU),
        Species("pi-", -211, M_PI, -1, TAU_PI),
        Species("pi+", 211, M_PI, +1, TAU_PI),
        Species("K-", -321, M_K, -1, TAU_K),
        Species("K+", 321, M_K, +1, TAU_K),
        Species("p", 2212, M_P, +1, _INF),
        Species("pbar", -2212, M_P, -1, _INF),
        Species("pi0", 111, M_PI0, 0, _INF),
    )
}

_BY_PDG: dict[int, Species] = {s.pdg: s for s in PARTICLES.values()}


def species(name: str) -> Species:
    """Return the :class:`Species` called ``name`` (``KeyError`` if unknown)."""
    return PARTICLES[name]


def name_of_pdg(pdg: int) -> str:
    """Config name of a PDG code (``KeyError`` if unknown)."""
    return _BY_PDG[int(pdg)].name


_CODES = np.array(sorted(_BY_PDG), dtype=np.int64)


def _lookup(pdg: np.ndarray, attr: str) -> np.ndarray:
    codes = np.asarray(pdg, dtype=np.int64)
    values = np.array([getattr(_BY_PDG[int(c)], attr) for c in _CODES], dtype=float)
    idx = np.clip(np.searchsorted(_CODES, codes), 0, _CODES.size - 1)
    return np.where(_CODES[idx] == codes, values[idx], 0.0)


def mass_of(pdg: np.ndarray) -> np.ndarray:
    """Masses (MeV) for an array of PDG codes; 0 for unknown codes (neutrinos)."""
    return _lookup(pdg, "mass")


def charge_of(pdg: np.ndarray) -> np.ndarray:
    """Electric charges (units of e) for an array of PDG codes; 0 for unknown codes."""
    return _lookup(pdg, "charge")
