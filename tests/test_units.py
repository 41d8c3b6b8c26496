"""Tests for na64.units: parsing of quantities with units."""

import math

import hepunits as hu
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from na64 import InputError
from na64.units import format_quantity, parse_quantity, parse_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10MeV", 10 * hu.MeV),
        ("100 GeV", 100 * hu.GeV),
        ("100", 100 * hu.GeV),  # a bare energy is GeV
        ("1e3keV", 1 * hu.MeV),
        ("0.5TeV", 500 * hu.GeV),
        (" 2.5e-3 GeV ", 2.5 * hu.MeV),
    ],
)
def test_parse_energy(text, expected):
    assert parse_quantity(text) == pytest.approx(expected, rel=1e-12)


def test_parse_dimensionless_count():
    assert parse_quantity("2.84e11", "dimensionless") == pytest.approx(2.84e11)


def test_parse_length_and_area():
    assert parse_quantity("38mm", "length") == pytest.approx(38 * hu.mm)
    assert parse_quantity("1.5m", "length") == pytest.approx(1500 * hu.mm)
    assert parse_quantity("3pb", "area") == pytest.approx(3 * hu.picobarn)


@pytest.mark.parametrize("text", ["10mm", "5ns", "1pb"])
def test_wrong_dimension_is_an_error_naming_the_field(text):
    with pytest.raises(InputError, match=r"--energy: .*expected an energy"):
        parse_quantity(text, "energy", field="--energy")


@pytest.mark.parametrize("text", ["", "GeV", "ten GeV", "10 furlongs", "1e999GeV", "nan"])
def test_malformed(text):
    with pytest.raises(InputError):
        parse_quantity(text, "energy", field="--energy")


def test_parse_range_log_spaced():
    masses = parse_range("1MeV:1GeV:25")
    assert len(masses) == 25
    assert masses[0] == pytest.approx(hu.MeV)
    assert masses[-1] == pytest.approx(hu.GeV)
    ratios = masses[1:] / masses[:-1]
    assert np.allclose(ratios, ratios[0])


def test_parse_range_single_and_list():
    assert parse_range("10MeV").tolist() == [pytest.approx(10.0)]
    assert parse_range("1MeV,2MeV").tolist() == [pytest.approx(1.0), pytest.approx(2.0)]


@pytest.mark.parametrize("text", ["1MeV:1GeV", "1GeV:1MeV:3", "0:1GeV:3", "1MeV:1GeV:x"])
def test_parse_range_errors(text):
    with pytest.raises(InputError, match="--mass"):
        parse_range(text, field="--mass")


@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), st.sampled_from(["keV", "MeV", "GeV"]))
def test_roundtrip_format_parse(value, unit):
    x = parse_quantity(f"{value!r}{unit}")
    y = parse_quantity(format_quantity(x, digits=17).replace(" ", ""))
    assert math.isclose(x, y, rel_tol=1e-12)
