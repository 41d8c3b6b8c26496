"""Setups from TOML: shipped files load, geometry matches the cited papers, bad input is
rejected with the dotted TOML path and the allowed range."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from na64.detector import list_setups, load_setup
from na64.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHIPPED = ["na64e_2016_2018", "na64e_visible_2018", "na64mu_2022"]


def test_shipped_setups_are_listed_and_load() -> None:
    assert set(SHIPPED) <= set(list_setups())
    for name in SHIPPED:
        assert load_setup(name).name == name


def test_na64e_ecal_depth_and_segmentation() -> None:
    # arXiv:1610.02988: ECAL 6x6 cells, ~40 X0 with a ~4 X0 pre-shower.  X0 of the Pb/Sc
    # mixture from PDG X0 of Pb and polystyrene; 10% tolerance = "~" in the paper.
    ecal = load_setup("na64e_2016_2018").ecal
    assert ecal is not None
    assert ecal.cells == (6, 6)
    ps_x0 = ecal.layers[0] * ecal.layer_thickness / ecal.X0
    total_x0 = ecal.length / ecal.X0
    assert ps_x0 == pytest.approx(4.0, rel=0.1)
    assert total_x0 == pytest.approx(40.0, rel=0.1)


def test_na64e_hcal_interaction_lengths() -> None:
    # arXiv:1610.02988: four HCAL modules of ~7.5 lambda_int each (10% tolerance).
    hcal = load_setup("na64e_2016_2018").hcal
    assert hcal is not None
    assert hcal.modules == 4
    per_module = hcal.layers[0] * hcal.layer_thickness / hcal.lambda_int
    assert per_module == pytest.approx(7.5, rel=0.1)


def test_mixture_x0_matches_hand_computation() -> None:
    # 1/X0_eff = sum (d_i/d) / X0_i with PDG X0(Pb) = 5.612 mm, X0(Sc) = 413.1 mm.
    ecal = load_setup("na64e_2016_2018").ecal
    assert ecal is not None
    expected = 3.0 / (1.5 / 5.612 + 1.5 / 413.1)
    assert pytest.approx(expected, rel=1e-3) == ecal.X0


def test_visible_setup_wcal_is_target() -> None:
    s = load_setup("na64e_visible_2018")
    assert s.target_name == "wcal"
    assert s.mode == "visible"
    assert s.decay_counter is not None
    assert s.decay_volume is not None
    # the 2017 dump (arXiv:1803.07748): a compact W/Sc calorimeter of ~40 X0 (assumed
    # length, 10% tolerance); for 2018 "the setup was optimized to probe ... a large
    # coupling" (arXiv:1912.11389): na64's 2018 dump is shorter, at a higher energy
    s17 = load_setup("na64e_visible_2017")
    assert s17.target.length / s17.target.X0 == pytest.approx(40.0, rel=0.1)
    assert s.target.length < s17.target.length
    assert s.beam_energy > s17.beam_energy
    # the counters are outside the decay volume, the decay counter at its end
    assert s.decay_counter.z >= s.decay_volume.z + s.decay_volume.length


def test_na64mu_has_vhcal_hole() -> None:
    s = load_setup("na64mu_2022")
    assert s.vhcal is not None
    assert s.vhcal.hole > 0
    assert s.beam_particle == "mu+"
    assert s.beam_energy == pytest.approx(160e3)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "custom.toml"
    p.write_text(text)
    return p


def _base_text() -> str:
    from importlib import resources

    return (resources.files("na64.data") / "setups" / "na64e_2016_2018.toml").read_text()


def test_user_setup_from_path(tmp_path: Path) -> None:
    text = _base_text().replace('cells = [6, 6]', 'cells = [5, 5]')
    s = load_setup(_write(tmp_path, text))
    assert s.ecal is not None
    assert s.ecal.cells == (5, 5)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('cells = [6, 6]', 'cells = [0, 6]', "ecal.cells"),
        ('absorber_thickness = "1.5mm"', 'absorber_thickness = "-1.5mm"', "ecal.absorber_thickness"),
        ('stochastic = 0.09', 'stochastic = 5.0', "ecal.stochastic"),
        ('absorber = "Pb"', 'absorber = "unobtainium"', "ecal.absorber"),
        ('[hcal]\nz = "700mm"', '[hcal]\nz = "300mm"', "setup"),
        ('layers = [15, 135]', 'layers = [0, 135]', "ecal.layers"),
        ('["1GeV", ', '["0.2GeV", ', "ecal.shape_fluctuation"),
        ('["1GeV", ', '["1GeV", -', "ecal.shape_fluctuation"),
    ],
)
def test_invalid_values_name_the_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = _base_text()
    assert old in text
    with pytest.raises(InputError) as info:
        load_setup(_write(tmp_path, text.replace(old, new, 1)))
    assert info.value.field == field


def test_overlap_message_names_both_detectors(tmp_path: Path) -> None:
    text = _base_text().replace('[hcal]\nz = "700mm"', '[hcal]\nz = "300mm"')
    with pytest.raises(InputError, match=r"ecal.*overlaps hcal"):
        load_setup(_write(tmp_path, text))


def test_range_is_in_message(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"less than or equal to 2"):
        load_setup(_write(tmp_path, _base_text().replace("stochastic = 0.09", "stochastic = 5.0")))


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, 'name = "x"\n[ecal\nz = 1\n')
    with pytest.raises(InputError, match=r"custom\.toml.*line 2"):
        load_setup(p)


def test_missing_file_and_unknown_name() -> None:
    with pytest.raises(InputError, match="not found"):
        load_setup("/nonexistent/dir/setup.toml")
    with pytest.raises(InputError, match="unknown setup"):
        load_setup("no_such_setup")


def test_missing_target_rejected(tmp_path: Path) -> None:
    data = tomllib.loads(_base_text())
    data.pop("ecal")
    from na64.detector import setup_from_dict

    with pytest.raises(InputError, match="target calorimeter"):
        setup_from_dict(data)


def test_units_are_parsed() -> None:
    ecal = load_setup("na64e_2016_2018").ecal
    assert ecal is not None
    assert ecal.cell_size == (38.2, 38.2)  # "38.2mm" -> mm
    assert ecal.noise == pytest.approx(5.0)  # "5MeV" -> MeV
    assert math.isclose(ecal.center[0], -19.1)


def test_beam_and_beamline_are_validated_with_beam_models(tmp_path: Path) -> None:
    # [beam] and beamline use na64.beam.config's schema; errors keep the dotted path.
    s = load_setup("na64e_2016_2018")
    assert s.beamline.name == "h4_electrons"
    assert s.beam_config.energy == pytest.approx(100e3)
    with pytest.raises(InputError) as info:
        load_setup(_write(tmp_path, _base_text().replace('energy = "100GeV"',
                                                          'energy = "5TeV"')))
    assert info.value.field.startswith("beam.energy")
    with pytest.raises(InputError) as info:
        load_setup(_write(tmp_path, _base_text().replace('beamline = "h4_electrons"',
                                                          'beamline = "no_such_line"')))
    assert info.value.field == "beamline"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("hits_per_gev = [0.0", "hits_per_gev = [-0.0", "veto.leakage.hits_per_gev"),
        ("rho = 0.", "rho = 1.5", "ecal.shower.rho"),
        ("core_radius_scale = ", "core_radius_scale = -", "ecal.shower.core_radius_scale"),
        ("sampling_age = [", "sampling_age = [0.9, ", "ecal.shower.sampling_age"),
    ],
)
def test_tuning_tables_are_validated(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = _base_text()
    assert old in text
    with pytest.raises(InputError) as info:
        load_setup(_write(tmp_path, text.replace(old, new, 1)))
    assert info.value.field == field


def test_veto_leakage_needs_one_rate_per_counter(tmp_path: Path) -> None:
    text = _base_text().replace("counters = 3", "counters = 2")
    with pytest.raises(InputError, match="one rate per counter"):
        load_setup(_write(tmp_path, text))


@pytest.mark.parametrize("name", ["na64mu_2022", "na64e_visible_2018", "na64e_visible_2017",
                                  "na64e_positron_2022"])
def test_the_na64_ecal_and_hcal_carry_the_constants_fitted_for_them(name: str) -> None:
    # The NA64 ECAL and HCAL modules are the same detectors in every setup: the constants
    # fitted to Geant4 for na64e_2016_2018 (validation/fit_fastsim.py refits that setup
    # only) must be the ones of the other setups too.
    e, m = load_setup("na64e_2016_2018"), load_setup(name)
    assert e.ecal is not None
    assert m.ecal is not None
    assert e.hcal is not None
    assert m.hcal is not None
    for key in ("absorber_thickness", "active_thickness", "layers", "cell_size", "stochastic",
                "sampling", "e_over_h", "e_over_mip", "delta_ray_threshold", "shower"):
        assert getattr(m.ecal, key) == getattr(e.ecal, key), key
    for key in ("absorber_thickness", "active_thickness", "layers", "e_over_h", "e_over_mip",
                "delta_ray_threshold"):
        assert getattr(m.hcal, key) == getattr(e.hcal, key), key


def test_a_detector_table_can_start_from_another_setups(tmp_path) -> None:
    # [ecal] extends = "<setup>": that setup's [ecal], its sub-tables included, with the
    # keys given here on top; the rest of the file is untouched.
    path = tmp_path / "s.toml"
    path.write_text('extends = "na64mu_2022"\nname = "s"\n'
                    '[ecal]\nextends = "na64e_2016_2018"\nz = "10mm"\ncells = [4, 4]\n')
    s, e = load_setup(path), load_setup("na64e_2016_2018")
    assert s.ecal is not None
    assert e.ecal is not None
    assert s.ecal.z == 10.0
    assert list(s.ecal.cells) == [4, 4]
    assert s.ecal.shower == e.ecal.shower
    assert s.ecal.e_over_mip == e.ecal.e_over_mip
    assert s.vhcal == load_setup("na64mu_2022").vhcal


def test_detector_extends_follows_a_chain(tmp_path) -> None:
    # visible_2018's [ecal] itself extends na64e_2016_2018's; the keys the table holds
    # after the whole-setup extends (na64mu_2022's cells) win over the table's base
    path = tmp_path / "s.toml"
    path.write_text('extends = "na64mu_2022"\nname = "s"\n'
                    '[ecal]\nextends = "na64e_visible_2018"\nz = "1mm"\n')
    s, e = load_setup(path), load_setup("na64e_2016_2018")
    assert s.ecal is not None
    assert e.ecal is not None
    assert s.ecal.z == 1.0
    assert s.ecal.cells == load_setup("na64mu_2022").ecal.cells != e.ecal.cells
    assert s.ecal.shower == e.ecal.shower


@pytest.mark.parametrize(("ecal", "needle"), [
    ('extends = "no_such_setup"', "unknown setup"),
    ("extends = 3", "must be the name or path"),
])
def test_a_bad_detector_extends_is_an_input_error(tmp_path, ecal: str, needle: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "na64mu_2022"\nname = "s"\n[ecal]\n{ecal}\n')
    with pytest.raises(InputError) as err:
        load_setup(path)
    assert err.value.field == "ecal.extends"
    assert needle in err.value.message


def test_detector_extends_without_the_table_or_in_a_circle(tmp_path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'extends = "na64mu_2022"\nname = "a"\n[ecal]\nextends = "{b}"\n')
    b.write_text(f'extends = "na64mu_2022"\nname = "b"\n[ecal]\nextends = "{a}"\n')
    with pytest.raises(InputError, match="circular"):
        load_setup(a)
    b.write_text('extends = "na64mu_2022"\nname = "b"\n[ecal]\nextends = "na64e_visible_2018"\n')
    a.write_text(f'extends = "na64mu_2022"\nname = "a"\n[wcal]\nextends = "{b}"\n')
    with pytest.raises(InputError, match="has no \\[wcal\\] table"):
        load_setup(a)


def test_layer_fractions_and_face_of_a_calorimeter() -> None:
    # na64mu_2022's VHCAL: 25 mm Cu + 5 mm Sc per layer, 3 x 150 mm cells a side
    vh = load_setup("na64mu_2022").vhcal
    assert vh is not None
    fr = dict((m.name, f) for m, f in vh.layer_fractions)
    assert sum(fr.values()) == pytest.approx(1.0)
    assert fr[vh.absorber_material.name] == pytest.approx(25 / 30)
    # inverse lengths add with the thickness shares
    assert pytest.approx(sum(f / m.X0 for m, f in vh.layer_fractions)) == 1 / vh.X0
    assert 1 / vh.lambda_int == pytest.approx(sum(f / m.lambda_int for m, f in vh.layer_fractions))
    assert vh.face_half_width == pytest.approx(225.0)
