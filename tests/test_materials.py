"""Tests for na64.materials against PDG relations (PDG 2024, Passage of particles through matter)."""

import math

import hepunits as hu
import pytest

from na64 import InputError
from na64.materials import MATERIALS, get_material


@pytest.mark.parametrize("name", sorted(MATERIALS))
def test_moliere_radius_relation(name):
    """R_M = E_s X0 / E_c with E_s = 21.2052 MeV (PDG 2024 eq. 34.37); PDG tables
    use the Rossi critical energy, so the relation holds to a few per cent."""
    mat = MATERIALS[name]
    rm = 21.2052 * hu.MeV * mat.X0 / mat.critical_energy
    assert rm == pytest.approx(mat.moliere_radius, rel=0.06)


@pytest.mark.parametrize("name", ["Pb", "W", "Fe", "Cu", "Al"])
def test_radiation_length_dahl_formula(name):
    """Elements: X0 from the Dahl fit, 716.4 A / (Z (Z+1) ln(287/√Z)) g/cm² (PDG eq. 34.26),
    accurate to better than 2.5% for all elements but He."""
    mat = MATERIALS[name]
    x0 = 716.4 * mat.A / (mat.Z * (mat.Z + 1) * math.log(287 / math.sqrt(mat.Z))) * hu.g / hu.cm2
    assert x0 / mat.density == pytest.approx(mat.X0, rel=0.025)


def test_mass_fractions_sum_to_one():
    for mat in MATERIALS.values():
        assert sum(w for _, _, w in mat.components) == pytest.approx(1.0, abs=1e-3)


def test_lead_atom_density():
    (z, _a, n), = get_material("Pb").atoms_per_volume()
    assert z == 82
    assert n == pytest.approx(3.30e22 / hu.cm3, rel=0.01)


def test_aliases_and_errors():
    assert get_material("lead") is MATERIALS["Pb"]
    assert get_material("bgo") is MATERIALS["BGO"]
    with pytest.raises(InputError, match="--target: unknown material 'Xx'; allowed"):
        get_material("Xx", field="--target")
