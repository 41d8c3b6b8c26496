"""Material properties for targets, calorimeters and trackers.

Values are from the PDG "Atomic and Nuclear Properties of Materials" tables
(https://pdg.lbl.gov/2024/AtomicNuclearProperties/, PDG 2024, S. Navas et al.,
Phys. Rev. D 110, 030001 (2024)) and, for the inorganic scintillators, from PDG 2024
review "Particle detectors", Table 35.4.  Radiation length X0, nuclear interaction length
λ_int and Molière radius R_M are stored as lengths (hepunits, mm); the critical energy
E_c is the PDG value for electrons (Rossi definition).

For compounds, ``Z`` and ``A`` are effective values (electron-weighted mean Z, and
the mean A per atom) and ``components`` lists (Z, A, mass fraction) of each element:
processes that scale as Z² (bremsstrahlung, dark bremsstrahlung) must sum over
``components`` instead of using the effective values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hepunits import MeV, cm, g

from .errors import InputError

__all__ = ["MATERIALS", "Material", "get_material", "material_names"]


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Attributes
    ----------
    name
        Short name used in configs and on the command line (``"Pb"``, ``"BGO"``).
    Z, A
        Atomic number and atomic mass (g/mol); effective values for compounds.
    density
        Mass density (hepunits, e.g. ``11.35 * g / cm3``).
    X0, lambda_int, moliere_radius
        Radiation length, nuclear interaction length and Molière radius (mm).
    critical_energy
        Critical energy for electrons (MeV).
    components
        ``((Z, A, mass_fraction), ...)``; a single entry for an element.
    """

    name: str
    Z: float
    A: float
    density: float
    X0: float
    lambda_int: float
    moliere_radius: float
    critical_energy: float
    components: tuple[tuple[int, float, float], ...] = field(default=())
    description: str = ""

    def __post_init__(self) -> None:
        if not self.components:
            object.__setattr__(self, "components", ((round(self.Z), self.A, 1.0),))

    @property
    def is_element(self) -> bool:
        """True for a pure element."""
        return len(self.components) == 1

    def atoms_per_volume(self) -> tuple[tuple[int, float, float], ...]:
        """Number density of each element: ``((Z, A, n), ...)`` with n in atoms/mm³."""
        from hepunits.constants import Avogadro

        return tuple(
            (z, a, self.density * w * Avogadro / (a * g)) for z, a, w in self.components
        )


_gcm3 = g / cm**3


def _mat(name: str, Z: float, A: float, rho: float, X0_cm: float, lam_cm: float,
         RM_cm: float, Ec_MeV: float, components: tuple[tuple[int, float, float], ...] = (),
         description: str = "") -> Material:
    return Material(name, Z, A, rho * _gcm3, X0_cm * cm, lam_cm * cm, RM_cm * cm,
                    Ec_MeV * MeV, components, description)


#: The materials na64 knows.  PDG 2024 values (see module docstring).
MATERIALS: dict[str, Material] = {
    m.name: m
    for m in [
        _mat("Pb", 82, 207.2, 11.35, 0.5612, 17.59, 1.602, 7.43, description="lead"),
        _mat("W", 74, 183.84, 19.30, 0.3504, 9.946, 0.9327, 7.97, description="tungsten"),
        _mat("Fe", 26, 55.845, 7.874, 1.757, 16.77, 1.719, 21.68, description="iron"),
        _mat("Cu", 29, 63.546, 8.960, 1.436, 15.32, 1.568, 19.42, description="copper"),
        _mat("Al", 13, 26.9815385, 2.699, 8.897, 39.70, 4.419, 42.70, description="aluminium"),
        _mat(
            "Sc", 3.5, 6.51, 1.060, 41.31, 77.07, 9.410, 93.11,
            components=((6, 12.011, 0.922582), (1, 1.008, 0.077418)),
            description="polystyrene plastic scintillator (C8H8)",
        ),
        _mat(
            "BGO", 31.8, 43.6, 7.130, 1.118, 22.8, 2.23, 10.1,
            components=((83, 208.98040, 0.671054), (32, 72.630, 0.174827),
                        (8, 15.999, 0.154119)),
            description="bismuth germanate Bi4Ge3O12",
        ),
        _mat(
            "LYSO", 51.9, 72.5, 7.100, 1.14, 20.9, 2.07, 11.7,
            components=((71, 174.9668, 0.7145), (39, 88.90584, 0.0403),
                        (14, 28.0855, 0.0637), (8, 15.999, 0.1815)),
            description="Lu1.8Y0.2SiO5:Ce scintillator",
        ),
        _mat(
            "Air", 7.36, 14.5, 1.205e-3, 30390.0, 74770.0, 7330.0, 87.92,
            components=((7, 14.007, 0.755267), (8, 15.999, 0.231781), (18, 39.948, 0.012827),
                        (6, 12.011, 0.000124)),
            description="dry air at 20 °C and 1 atm",
        ),
    ]
}

_ALIASES = {
    "lead": "Pb", "tungsten": "W", "iron": "Fe", "copper": "Cu", "aluminium": "Al",
    "aluminum": "Al", "scintillator": "Sc", "polystyrene": "Sc", "bgo": "BGO", "lyso": "LYSO",
    "air": "Air",
}


def material_names() -> list[str]:
    """Names accepted by :func:`get_material`."""
    return sorted(MATERIALS)


def get_material(name: str | Material, *, field: str = "material") -> Material:
    """Look up a material by name (case-insensitive; ``"lead"`` and ``"Pb"`` both work)."""
    if isinstance(name, Material):
        return name
    if name in MATERIALS:
        return MATERIALS[name]
    key = _ALIASES.get(name.lower())
    if key is None:
        for k in MATERIALS:
            if k.lower() == name.lower():
                key = k
    if key is None:
        raise InputError(field, f"unknown material {name!r}; allowed: {', '.join(material_names())}")
    return MATERIALS[key]
