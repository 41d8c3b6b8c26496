"""Beam and beam-line configuration: loading, units, validation errors."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from hepunits import GeV, MeV, mm, tesla

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from na64.beam import BeamConfig, beamline_names, load_beam, load_beamline
from na64.errors import InputError

DATA = Path(__file__).resolve().parents[1] / "src" / "na64" / "data" / "beamlines"


def test_shipped_beamlines_load() -> None:
    names = beamline_names()
    assert {"h4_electrons", "m2_muons"} <= set(names)
    for name in names:
        line = load_beamline(name)
        assert line.name == name


def test_h4_field_integral_is_7_tesla_metre() -> None:
    # NA64e dipoles: "integral magnetic field of ~7 T*m" (arXiv:1610.02988, 1710.00971)
    line = load_beamline("h4_electrons")
    assert line.field_integral / (tesla * 1000 * mm) == pytest.approx(7.0, rel=1e-12)
    assert line.srd is not None
    assert line.srd.n_modules == 3


def test_units_and_defaults() -> None:
    beam = load_beam({"energy": 100, "sigma_x": "1cm", "divergence_x": "50urad"})
    assert beam.energy == pytest.approx(100 * GeV)  # a bare energy is GeV
    assert beam.sigma_x == pytest.approx(10 * mm)
    assert beam.divergence_x == pytest.approx(5e-5)
    line = load_beamline("h4_electrons")
    table = line.as_table()
    table["srd"]["threshold"] = 2  # a bare SRD energy is MeV
    assert load_beamline(table).srd.threshold == pytest.approx(2 * MeV)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({"energy": "100mm"}, "beam.energy"),
        ({"momentum_spread": 0.5}, "beam.momentum_spread"),
        ({"particle": "tau-"}, "beam.particle"),
        ({"admixtures": [{"particle": "pi-", "fraction": 0.9}]}, "beam.admixtures.0.fraction"),
        ({"tail": {"fraction": -0.1}}, "beam.tail.fraction"),
        ({"unknown_key": 1}, "beam.unknown_key"),
    ],
)
def test_bad_beam_names_the_field(table: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        load_beam(table)
    assert info.value.field == field


def test_bad_fraction_message_gives_allowed_range() -> None:
    with pytest.raises(InputError, match=r"\[0, 0.2\]"):
        load_beam({"momentum_spread": 0.3})


def test_beamline_errors() -> None:
    with pytest.raises(InputError, match="unknown beam line"):
        load_beamline("no_such_line")
    table = tomllib.loads((DATA / "h4_electrons.toml").read_text())
    bad = copy.deepcopy(table)
    bad["spectrometers"][0]["stations"] = ["MM1", "MM2", "MM3", "MM9"]
    with pytest.raises(InputError, match="unknown station"):
        load_beamline(bad)
    bad = copy.deepcopy(table)
    bad["srd"]["n_modules"] = 0
    with pytest.raises(InputError) as info:
        load_beamline(bad)
    assert info.value.field == "beamline.srd.n_modules"
    bad = copy.deepcopy(table)
    bad["magnets"][0]["field"] = "3mm"
    with pytest.raises(InputError) as info:
        load_beamline(bad)
    assert info.value.field == "beamline.magnets.0.field"


def test_inline_table_round_trip() -> None:
    line = load_beamline("m2_muons")
    again = load_beamline(line.as_table())
    assert again == line
    assert isinstance(load_beam(BeamConfig()), BeamConfig)


def test_beam_as_table_round_trip() -> None:
    beam = load_beam(
        {
            "particle": "e+",
            "energy": "80GeV",
            "sigma_x": "3mm",
            "tail": {"fraction": 0.02},
            "admixtures": [{"particle": "pi+", "fraction": 0.03, "fraction_uncertainty": 0.01}],
        }
    )
    assert load_beam(beam.as_table()) == beam
