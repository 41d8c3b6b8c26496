"""Physical constants in hepunits (MeV = mm = ns = 1, ħ = c = 1 where natural units are used).

Sources: CODATA 2018 for α (NIST, also PDG 2024 Table 1.1) and PDG 2024
(S. Navas et al., Phys. Rev. D 110, 030001 (2024)) for particle masses and lifetimes.
"""

from __future__ import annotations

from hepunits import GeV, MeV, ns
from hepunits.constants import c_light, hbarc

__all__ = [
    "ALPHA",
    "C_LIGHT",
    "HBARC",
    "HBARC2",
    "LEPTON_MASS",
    "M_E",
    "M_K",
    "M_MU",
    "M_N",
    "M_P",
    "M_PI",
    "M_PI0",
    "M_TAU",
    "M_U",
    "M_Z",
    "TAU_K",
    "TAU_MU",
    "TAU_PI",
]

#: Fine-structure constant at q² = 0 (CODATA 2018).
ALPHA: float = 1.0 / 137.035999084
#: ħc in MeV·mm.
HBARC: float = hbarc
#: (ħc)² in MeV²·mm²; multiplies a cross section in MeV⁻² to get mm².
HBARC2: float = hbarc**2
#: Speed of light in mm/ns.
C_LIGHT: float = c_light

M_E: float = 0.51099895000 * MeV
M_MU: float = 105.6583755 * MeV
M_TAU: float = 1776.86 * MeV
M_PI: float = 139.57039 * MeV
M_PI0: float = 134.9768 * MeV
M_K: float = 493.677 * MeV
M_P: float = 938.27208816 * MeV
M_N: float = 939.56542052 * MeV
#: Atomic mass unit (CODATA 2018).
M_U: float = 931.49410242 * MeV
M_Z: float = 91.1876 * GeV

#: Proper lifetimes (PDG 2024).
TAU_MU: float = 2.1969811e-6 * 1e9 * ns
TAU_PI: float = 2.6033e-8 * 1e9 * ns
TAU_K: float = 1.2380e-8 * 1e9 * ns

#: Charged-lepton masses keyed by the beam names used throughout na64.
LEPTON_MASS: dict[str, float] = {"e-": M_E, "e+": M_E, "mu-": M_MU, "mu+": M_MU}
