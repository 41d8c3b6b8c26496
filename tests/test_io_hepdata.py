"""HEPData export of a reach result: tables, exact values, errors, missing cells, bad input,
and a whole-directory write that leaves nothing behind when it fails."""

from __future__ import annotations

import csv
import errno
import json
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import na64.io.hepdata as hepdata
from na64.errors import InputError
from na64.io.hepdata import HEPDATA_FILE_NAMES, limits_to_hepdata
from na64.reach.outputs import LIMIT_COLUMNS
from na64.reach.visible_outputs import EXCLUSION_COLUMNS

COMMAND = "na64 reach invisible --masses 5MeV,20MeV,250MeV --out r"

# --- fake results, with the real column names ----------------------------------------

#: Cells of limits.csv that differ from the default (column -> one text per mass).
INVISIBLE_CELLS: dict[str, list[str]] = {
    "mass_GeV": ["0.005", "0.02", "0.25"],
    # full double precision, a value without a dot, a plain one
    "epsilon_90cl": ["1.2345678901234567e-05", "1e-05", "0.000765321"],
    # row 0: a real band; row 1: collapsed onto the median; row 2: no 2-sigma band
    "epsilon_expected": ["4.1e-05", "5.07902e-05", "0.000765321"],
    "epsilon_expected_m1s": ["3.2e-05", "5.07902e-05", "0.0006"],
    "epsilon_expected_p1s": ["5.9e-05", "5.07902e-05", "0.0009"],
    "epsilon_expected_m2s": ["2.7e-05", "5.07902e-05", ""],
    "epsilon_expected_p2s": ["8.3e-05", "5.07902e-05", "nan"],
    "epsilon_expected_1e13eot": ["8.55931e-06", "9.1e-06", "inf"],
    "y_90cl_alpha_d_0.1": ["3.18474e-12", "7.23106e-10", "1.1e-09"],
    "signal_per_eot_eps1": ["0.00319564", "1.40744e-05", "3e-06"],
    "signal_per_eot_eps1_unc": ["0.000242393", "0", "1e-07"],
    "annihilation_signal_per_eot_eps1": ["0", "0", "0"],
}

INVISIBLE_SUMMARY: dict[str, Any] = {
    "na64_version": "0.1.0",
    "command": COMMAND,
    "analysis": "invisible_2016_2018",
    "setup": "na64e_2016_2018",
    "beam": "e-",
    "energy_GeV": 100.0,
    "model": "dark-photon",
    "coupling": {"name": "epsilon", "unit": "", "limit_columns": []},
    "signal": {"processes": ["brem"], "alpha_d": 0.5, "mass_ratio": 3.0},
    "eot": 2.84e11,
    "observed": 0,
    "projections_eot": {"5e12": 5e12, "1e13": 1e13},
}

POSITRON_COLUMNS = [
    "mass_GeV", "epsilon_90cl", "epsilon_expected", "epsilon_expected_m1s",
    "epsilon_expected_p1s", "epsilon_expected_m2s", "epsilon_expected_p2s", "y_90cl",
    "y_expected", "y_90cl_alpha_d_0.1", "y_90cl_alpha_d_0.5", "epsilon_90cl_brem_only",
    "epsilon_90cl_annihilation_only", "epsilon_90cl_40GeV", "epsilon_90cl_100GeV",
    "epsilon_expected_1e+11pot_per_energy", "signal_eps1",
]

POSITRON_SUMMARY: dict[str, Any] = {
    "na64_version": "0.1.0",
    "command": "na64 reach positron --out r",
    "mode": "positron",
    "analysis": "positron_2022",
    "beam": "e+",
    "model": "dark-photon",
    "signal": {"alpha_d": 0.5, "mass_ratio": 3.0},
    "pot": 1.5e10,
    "observed": 1,
    "groups": [
        {"key": "40GeV", "energy_GeV": 40.0, "pot": 5e9, "observed": 1},
        {"key": "100GeV", "energy_GeV": 100.0, "pot": 1e10, "observed": 0},
    ],
    "projection_pot_per_energy": 1e11,
}

#: exclusion.csv: a band at the first two masses, none at the third (an expected one
#: there), nothing at all at the fourth.
VISIBLE_CELLS: dict[str, list[str]] = {
    "mass_GeV": ["0.005", "0.0167", "0.02", "0.06"],
    "epsilon_low": ["9.44216e-05", "9.33423e-05", "", ""],
    "epsilon_high": ["0.00446722", "0.000805027", "", ""],
    "epsilon_low_expected": ["0.00011482", "0.000121249", "0.0003", ""],
    "epsilon_high_expected": ["0.00423431", "0.000669971", "0.0004", ""],
    "epsilon_low_expected_m1s": ["9.44216e-05", "9.33423e-05", "", ""],
    "epsilon_high_expected_m1s": ["0.00446722", "0.000805027", "", ""],
    "epsilon_low_expected_p1s": ["0.000163901", "0.000270872", "", ""],
    "epsilon_high_expected_p1s": ["0.00377052", "0.00035151", "", ""],
    **{c: ["", "", "", ""] for c in EXCLUSION_COLUMNS if c.endswith("eot")},  # projections
    "max_signal_events": ["1435.62", "19.7842", "3.1", "0.128541"],
    "epsilon_at_max": ["0.00101746", "0.000311698", "0.0002", "8.50794e-05"],
}

VISIBLE_SUMMARY: dict[str, Any] = {
    "na64_version": "0.1.0",
    "command": "na64 reach visible --out r",
    "mode": "visible",
    "analysis": {"mode": "visible", "name": "visible_2017_2018", "beam": "e-"},
    "model": {"name": "dark-photon", "coupling_name": "epsilon"},
    "eot": 8.4e10,
    "observed": 0,
    "runs": [{"name": "2017", "eot": 5.4e10, "energy_GeV": 100.0},
             {"name": "2018", "eot": 3.0e10, "energy_GeV": 150.0}],
}


def _write_csv(path: Path, columns: Sequence[str], cells: Mapping[str, list[str]]) -> None:
    """A CSV with ``columns``; cells not given get distinct positive numbers."""
    n = len(cells["mass_GeV"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for i in range(n):
            writer.writerow([cells[c][i] if c in cells else f"{(j + 1) * 1.5e-3 + i:.6g}"
                             for j, c in enumerate(columns)])


def _result(directory: Path, summary: Mapping[str, Any], csv_name: str,
            columns: Sequence[str], cells: Mapping[str, list[str]]) -> Path:
    directory.mkdir(parents=True)
    (directory / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    _write_csv(directory / csv_name, columns, cells)
    return directory


@pytest.fixture
def invisible(tmp_path: Path) -> Path:
    return _result(tmp_path / "inv", INVISIBLE_SUMMARY, "limits.csv", LIMIT_COLUMNS,
                   INVISIBLE_CELLS)


@pytest.fixture
def positron(tmp_path: Path) -> Path:
    cells = {"mass_GeV": ["0.02", "0.25"], "epsilon_expected_1e+11pot_per_energy":
             ["8.23742e-05", "0.00011273"], "signal_eps1": ["3.48477e+07", "1.86071e+07"]}
    return _result(tmp_path / "pos", POSITRON_SUMMARY, "limits.csv", POSITRON_COLUMNS, cells)


@pytest.fixture
def visible(tmp_path: Path) -> Path:
    return _result(tmp_path / "vis", VISIBLE_SUMMARY, "exclusion.csv", EXCLUSION_COLUMNS,
                   VISIBLE_CELLS)


# --- reading the export back ---------------------------------------------------------


def _csv_rows(path: Path) -> dict[float, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {float(r["mass_GeV"]): r for r in csv.DictReader(fh)}


def _submission(out: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((out / "submission.yaml").read_text(encoding="utf-8")))


def _tables(out: Path) -> dict[str, dict[str, Any]]:
    """Table name -> data file contents."""
    return {doc["name"]: yaml.safe_load((out / doc["data_file"]).read_text(encoding="utf-8"))
            for doc in _submission(out)[1:]}


def _qualifiers(variable: Mapping[str, Any]) -> dict[str, Any]:
    return {q["name"]: q["value"] for q in variable["qualifiers"]}


def _columns(table: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """CSV column -> dependent variable."""
    return {_qualifiers(v)["na64 column"]: v for v in table["dependent_variables"]}


def _points(table: Mapping[str, Any], column: str) -> dict[float, dict[str, Any]]:
    """Mass -> point of the dependent variable from ``column``."""
    masses = [p["value"] for p in table["independent_variables"][0]["values"]]
    return dict(zip(masses, _columns(table)[column]["values"], strict=True))


def _check_hepdata(out: Path) -> None:
    """The rules of the HEPData schemas and validator that the export could break."""
    docs = _submission(out)
    assert set(docs[0]) <= {"comment", "additional_resources"}
    assert {p.name for p in out.iterdir()} == {"submission.yaml",
                                                *(d["data_file"] for d in docs[1:])}
    for doc in docs[1:]:
        assert set(doc) == {"name", "description", "keywords", "data_file"}
        assert len(doc["name"]) <= 64
        assert all(k["name"] in {"cmenergies", "observables", "reactions", "phrases"}
                   for k in doc["keywords"])
        table = yaml.safe_load((out / doc["data_file"]).read_text(encoding="utf-8"))
        assert set(table) == {"independent_variables", "dependent_variables"}
        lengths = {len(v["values"]) for v in table["independent_variables"]
                   + table["dependent_variables"]}
        assert len(lengths) == 1
        assert lengths != {0}
        for v in table["independent_variables"]:
            assert set(v["header"]) <= {"name", "units"}
            assert all(isinstance(p["value"], float) for p in v["values"])
        for v in table["dependent_variables"]:
            assert set(v["header"]) <= {"name", "units"}
            assert all(set(q) <= {"name", "value", "units"} for q in v["qualifiers"])
            for p in v["values"]:
                assert set(p) <= {"value", "errors"}
                assert isinstance(p["value"], float) or (p["value"] == "-" and "errors" not in p)
                errors = p.get("errors", [])
                assert errors != [] or "errors" not in p
                for e in errors:
                    assert set(e) in ({"symerror", "label"}, {"asymerror", "label"})
                zero = [e.get("symerror") == 0 or e.get("asymerror") == {"minus": 0, "plus": 0}
                        for e in errors]
                assert not errors or not all(zero)
    text = "".join(p.read_text(encoding="utf-8").lower() for p in out.iterdir())
    assert not re.search(r"\.nan|\.inf|\bnan\b|\binf\b", text)


def _check_round_trip(result: Path, out: Path, csv_name: str) -> int:
    """Every exported value equals the CSV number exactly; returns the values compared."""
    rows = _csv_rows(result / csv_name)
    compared = 0
    for table in _tables(out).values():
        for column in _columns(table):
            for mass, point in _points(table, column).items():
                cell = rows[mass][column]
                if point["value"] == "-":
                    assert cell in ("", "nan", "inf", "-inf")
                else:
                    assert point["value"] == float(cell), (column, mass)
                    compared += 1
    return compared


# --- tables and values ---------------------------------------------------------------


def test_an_invisible_result_gives_the_limit_y_and_signal_tables(invisible: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "hep"
    written = limits_to_hepdata(invisible, out)
    names = ["submission.yaml", "epsilon_limit.yaml", "y_limit.yaml", "signal.yaml"]
    assert written == [out / n for n in names]
    _check_hepdata(out)
    docs = _submission(out)
    assert COMMAND in docs[0]["comment"]
    assert [d["name"] for d in docs[1:]] == ["90% CL upper limit on epsilon",
                                             "90% CL upper limit on y", "Signal expectation"]
    tables = _tables(out)
    eps = tables["90% CL upper limit on epsilon"]
    assert eps["independent_variables"][0]["header"] == {"name": "m_A'", "units": "GeV"}
    # the bands are errors of the median, not variables of their own
    assert list(_columns(eps)) == ["epsilon_90cl", "epsilon_expected",
                                   "epsilon_expected_5e12eot", "epsilon_expected_1e13eot"]
    assert list(_columns(tables["90% CL upper limit on y"])) == [
        "y_90cl", "y_expected", "y_90cl_alpha_d_0.1", "y_90cl_alpha_d_0.5"]
    signal = _columns(tables["Signal expectation"])
    assert "signal_per_eot_eps1_unc" not in signal  # the error of signal_per_eot_eps1
    assert "efficiency" in signal
    assert "annihilation_production_per_eot_eps1" in signal


def test_values_read_back_exactly_as_the_csv_numbers(invisible: Path, tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    # 3 masses x (19 columns - 4 band edges - 2 uncertainties) - 1 missing cell
    assert _check_round_trip(invisible, out, "limits.csv") == 3 * (len(LIMIT_COLUMNS) - 7) - 1
    text = (out / "epsilon_limit.yaml").read_text(encoding="utf-8")
    assert f"value: {float('1.2345678901234567e-05')!r}" in text  # not rounded
    eps = _tables(out)["90% CL upper limit on epsilon"]
    assert _points(eps, "epsilon_90cl")[0.02]["value"] == 1e-05


def test_the_expected_bands_are_asymmetric_errors_band_minus_median(invisible: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    points = _points(_tables(out)["90% CL upper limit on epsilon"], "epsilon_expected")
    rows = _csv_rows(invisible / "limits.csv")

    def diff(mass: float, edge: str) -> float:
        return float(Decimal(rows[mass][edge]) - Decimal(rows[mass]["epsilon_expected"]))

    assert points[0.005]["errors"] == [
        {"asymerror": {"minus": diff(0.005, "epsilon_expected_m1s"),
                       "plus": diff(0.005, "epsilon_expected_p1s")}, "label": "1 sigma"},
        {"asymerror": {"minus": diff(0.005, "epsilon_expected_m2s"),
                       "plus": diff(0.005, "epsilon_expected_p2s")}, "label": "2 sigma"},
    ]
    first = points[0.005]["errors"][0]["asymerror"]
    assert first["minus"] == pytest.approx(3.2e-05 - 4.1e-05, rel=1e-12)
    assert first["minus"] == -9e-06  # decimal difference: no binary rounding noise
    assert first["plus"] == pytest.approx(5.9e-05 - 4.1e-05, rel=1e-12)
    # a band collapsed onto the median: no (all-zero) errors
    assert "errors" not in points[0.02]
    # a missing band edge drops that band only
    assert [e["label"] for e in points[0.25]["errors"]] == ["1 sigma"]


def test_missing_cells_are_omitted_or_dashed_never_nan(invisible: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    _check_hepdata(out)  # also: no nan / inf anywhere
    eps = _tables(out)["90% CL upper limit on epsilon"]
    assert _points(eps, "epsilon_expected_1e13eot")[0.25] == {"value": "-"}
    assert _points(eps, "epsilon_90cl")[0.25] == {"value": 0.000765321}


def test_qualifiers_come_from_the_summary(invisible: Path, tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    tables = _tables(out)
    eps = _columns(tables["90% CL upper limit on epsilon"])
    q = _qualifiers(eps["epsilon_90cl"])
    assert q == {"beam": "e-", "E_beam": 100.0, "EOT": 2.84e11, "observed events": 0,
                 "model": "dark-photon", "alpha_D": 0.5, "m_A'/m_chi": 3.0, "CL": "90%",
                 "analysis": "invisible_2016_2018", "na64 version": "0.1.0",
                 "command": COMMAND, "na64 column": "epsilon_90cl"}
    assert {"name": "E_beam", "value": 100.0, "units": "GeV"} in eps["epsilon_90cl"][
        "qualifiers"]
    projection = _qualifiers(eps["epsilon_expected_5e12eot"])
    assert projection["EOT"] == 5e12
    assert "observed events" not in projection
    y = _columns(tables["90% CL upper limit on y"])
    assert _qualifiers(y["y_90cl_alpha_d_0.1"])["alpha_D"] == 0.1
    assert _qualifiers(y["y_90cl"])["alpha_D"] == 0.5


def test_signal_uncertainty_is_a_symmetric_error(invisible: Path, tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    points = _points(_tables(out)["Signal expectation"], "signal_per_eot_eps1")
    assert points[0.005]["errors"] == [{"symerror": 0.000242393, "label": "MC stat"}]
    assert "errors" not in points[0.02]  # a zero uncertainty is not written


def test_positron_extra_columns_are_further_variables(positron: Path, tmp_path: Path) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(positron, out)
    _check_hepdata(out)
    assert _check_round_trip(positron, out, "limits.csv") > 20
    tables = _tables(out)
    eps = _columns(tables["90% CL upper limit on epsilon"])
    assert list(eps) == ["epsilon_90cl", "epsilon_expected", "epsilon_90cl_brem_only",
                         "epsilon_90cl_annihilation_only", "epsilon_90cl_40GeV",
                         "epsilon_90cl_100GeV", "epsilon_expected_1e+11pot_per_energy"]
    combined = _qualifiers(eps["epsilon_90cl"])
    assert combined["E_beam"] == "40, 100"
    assert combined["POT"] == 1.5e10
    assert combined["POT at 40GeV"] == 5e9
    assert combined["observed events"] == 1
    one = _qualifiers(eps["epsilon_90cl_40GeV"])
    assert (one["E_beam"], one["POT"], one["observed events"]) == (40.0, 5e9, 1)
    assert "POT at 100GeV" not in one
    projection = _qualifiers(eps["epsilon_expected_1e+11pot_per_energy"])
    assert projection["POT per energy"] == 1e11
    assert "POT" not in projection
    assert "signal_eps1" in _columns(tables["Signal expectation"])


def test_visible_band_skips_the_masses_where_nothing_is_excluded(visible: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "hep"
    written = limits_to_hepdata(visible, out)
    assert [p.name for p in written] == ["submission.yaml", "epsilon_band.yaml",
                                         "epsilon_band_expected.yaml", "signal.yaml"]
    _check_hepdata(out)
    assert _check_round_trip(visible, out, "exclusion.csv") > 10
    tables = _tables(out)
    band = tables["90% CL excluded band in epsilon"]
    assert [p["value"] for p in band["independent_variables"][0]["values"]] == [0.005, 0.0167]
    assert list(_columns(band)) == ["epsilon_low", "epsilon_high"]
    assert _points(band, "epsilon_high")[0.0167] == {"value": 0.000805027}
    q = _qualifiers(band["dependent_variables"][0])
    assert (q["beam"], q["E_beam"], q["EOT"], q["model"]) == ("e-", "100, 150", 8.4e10,
                                                               "dark-photon")
    assert "alpha_D" not in q
    expected = tables["Expected excluded band in epsilon"]
    assert len(expected["independent_variables"][0]["values"]) == 3  # 0.02 has a median
    assert _points(expected, "epsilon_low_expected_m1s")[0.02] == {"value": "-"}
    # variables with no value at all (the projections here) are left out
    assert list(_columns(expected)) == [
        "epsilon_low_expected", "epsilon_high_expected", "epsilon_low_expected_m1s",
        "epsilon_high_expected_m1s", "epsilon_low_expected_p1s", "epsilon_high_expected_p1s"]
    assert len(tables["Signal expectation"]["independent_variables"][0]["values"]) == 4


def test_a_subset_of_columns(invisible: Path, tmp_path: Path) -> None:
    out = tmp_path / "a"
    written = limits_to_hepdata(invisible, out, columns=["y_90cl", "epsilon_90cl"])
    assert [p.name for p in written] == ["submission.yaml", "epsilon_limit.yaml",
                                         "y_limit.yaml"]
    tables = _tables(out)
    assert list(_columns(tables["90% CL upper limit on epsilon"])) == ["epsilon_90cl"]
    assert list(_columns(tables["90% CL upper limit on y"])) == ["y_90cl"]

    out = tmp_path / "b"  # a comma-separated string; one band only
    limits_to_hepdata(invisible, out,
                      columns="epsilon_expected, epsilon_expected_m1s,epsilon_expected_p1s")
    eps = _tables(out)["90% CL upper limit on epsilon"]
    assert list(_columns(eps)) == ["epsilon_expected"]
    assert [e["label"] for e in _points(eps, "epsilon_expected")[0.005]["errors"]] == [
        "1 sigma"]

    out = tmp_path / "c"  # a band edge without the median is a variable of its own
    limits_to_hepdata(invisible, out, columns=["epsilon_expected_m1s"])
    assert list(_columns(_tables(out)["90% CL upper limit on epsilon"])) == [
        "epsilon_expected_m1s"]


@pytest.mark.parametrize("columns", [["epsilon_90cl", "no_such_column"], [], ["mass_GeV"],
                                     "", ["epsilon_90cl", 3]])
def test_bad_columns_are_refused(invisible: Path, tmp_path: Path, columns: Any) -> None:
    with pytest.raises(InputError) as err:
        limits_to_hepdata(invisible, tmp_path / "hep", columns=columns)
    assert err.value.field == "columns"
    assert not (tmp_path / "hep").exists()


def test_nothing_to_export_is_refused(tmp_path: Path) -> None:
    cells = {**VISIBLE_CELLS, "epsilon_low": ["", "", "", ""], "epsilon_high": ["", "", "", ""]}
    result = _result(tmp_path / "vis", VISIBLE_SUMMARY, "exclusion.csv", EXCLUSION_COLUMNS,
                     cells)
    with pytest.raises(InputError, match="nothing to export") as err:
        limits_to_hepdata(result, tmp_path / "hep", columns=["epsilon_low", "epsilon_high"])
    assert err.value.field == "columns"
    assert not (tmp_path / "hep").exists()


# --- the output directory ------------------------------------------------------------


def test_a_non_empty_out_dir_is_refused_unless_overwrite(invisible: Path,
                                                         tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError) as err:
        limits_to_hepdata(invisible, foreign, overwrite=True)
    assert err.value.field == "--hepdata"
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]

    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError, match="overwrite") as err:
        limits_to_hepdata(invisible, out, columns=["epsilon_90cl"])
    assert err.value.field == "--hepdata"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    limits_to_hepdata(invisible, out, columns=["epsilon_90cl"], overwrite=True)
    assert {p.name for p in out.iterdir()} == {"submission.yaml", "epsilon_limit.yaml"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".hep")]


def test_an_empty_out_dir_is_used(invisible: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    limits_to_hepdata(invisible, out)
    assert {p.name for p in out.iterdir()} <= HEPDATA_FILE_NAMES


def _failing_writes(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """Make the ``after + 1``-th file write of the export fail (disk full)."""
    real = hepdata.atomic_write_text
    calls = []

    def write(path: Any, text: str) -> None:
        calls.append(path)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(hepdata, "atomic_write_text", write)


def test_a_failure_while_writing_leaves_no_out_dir(invisible: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "deep" / "hep"
    _failing_writes(monkeypatch, after=2)
    with pytest.raises(OSError, match="No space"):
        limits_to_hepdata(invisible, out)
    assert not (tmp_path / "deep").exists()  # nor the parent it created


def test_a_failure_while_replacing_keeps_the_previous_export(
        invisible: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "hep"
    limits_to_hepdata(invisible, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _failing_writes(monkeypatch, after=1)
    with pytest.raises(OSError, match="No space"):
        limits_to_hepdata(invisible, out, columns=["epsilon_90cl"], overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- bad input -----------------------------------------------------------------------


def _limits(text: str) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        d.mkdir()
        (d / "summary.json").write_text(json.dumps(INVISIBLE_SUMMARY), encoding="utf-8")
        (d / "limits.csv").write_text(text, encoding="utf-8")
    return make


def _summary(text: str, csv_name: str = "limits.csv") -> Callable[[Path], None]:
    def make(d: Path) -> None:
        d.mkdir()
        (d / "summary.json").write_text(text, encoding="utf-8")
        (d / csv_name).write_text("mass_GeV,epsilon_90cl\n0.02,1e-05\n", encoding="utf-8")
    return make


def _file(d: Path) -> None:
    d.write_text("not a directory", encoding="utf-8")


BAD_RESULTS: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (lambda d: None, "does not exist"),
    "a file": (_file, "not a directory"),
    "empty": (lambda d: d.mkdir(), "no summary.json"),
    "summary not json": (_summary("{oops"), "not valid JSON"),
    "summary a list": (_summary("[1, 2]"), "not written by na64 reach"),
    "foreign summary": (_summary('{"events": 3}'), "not written by na64 reach"),
    "unknown mode": (_summary('{"na64_version": "0.1.0", "mode": "simulate"}'), "mode"),
    "no limits.csv": (_summary('{"na64_version": "0.1.0"}', "cutflow.csv"),
                      "no limits.csv"),
    "visible without exclusion.csv": (
        _summary('{"na64_version": "0.1.0", "mode": "visible"}'), "no exclusion.csv"),
    "empty csv": (_limits(""), "empty"),
    "no mass column": (_limits("epsilon_90cl\n1e-05\n"), "no mass_GeV"),
    "header only": (_limits("mass_GeV,epsilon_90cl\n"), "no mass point"),
    "repeated column": (_limits("mass_GeV,a,a\n0.02,1,2\n"), "repeated column a"),
    "unnamed column": (_limits("mass_GeV,,b\n0.02,1,2\n"), "has no name"),
    "extra field": (_limits("mass_GeV,epsilon_90cl\n0.02,1e-05,3\n"), "line 2: 3 fields"),
    "missing field": (_limits("mass_GeV,epsilon_90cl\n0.02,1e-05\n0.25\n"),
                      "line 3: 1 fields"),
    "text cell": (_limits("mass_GeV,epsilon_90cl\n0.02,abc\n"), "'abc' is not a number"),
    "underscore number": (_limits("mass_GeV,epsilon_90cl\n0.02,1_000\n"), "not a number"),
    "empty mass": (_limits("mass_GeV,epsilon_90cl\n,1e-05\n"), "mass_GeV must be"),
    "nan mass": (_limits("mass_GeV,epsilon_90cl\nnan,1e-05\n"), "mass_GeV must be"),
    "negative mass": (_limits("mass_GeV,epsilon_90cl\n-0.02,1e-05\n"), "mass_GeV must be"),
    "not utf-8": (lambda d: (_limits("")(d), (d / "limits.csv").write_bytes(b"\xff\xfe\x00")),
                  "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_RESULTS))
def test_bad_results_are_refused_with_the_field(case: str, tmp_path: Path) -> None:
    make, message = BAD_RESULTS[case]
    result = tmp_path / "result"
    make(result)
    with pytest.raises(InputError, match=re.escape(message)) as err:
        limits_to_hepdata(result, tmp_path / "hep")
    assert err.value.field == "result_dir"
    assert not (tmp_path / "hep").exists()


# --- a real reach result -------------------------------------------------------------


@pytest.mark.slow
def test_a_real_reach_result_round_trips(tmp_path: Path) -> None:
    from na64.reach import load_analysis, run_invisible, write_outputs
    from na64.units import MeV

    analysis = tmp_path / "small.toml"
    analysis.write_text('extends = "invisible_2016_2018"\nname = "small"\n'
                        "[background]\nevents = 400\n", encoding="utf-8")
    res = run_invisible(load_analysis(str(analysis)), [5 * MeV, 200 * MeV], seed=1,
                        events_per_mass=150)
    write_outputs(res, tmp_path / "reach", plots=False, command="na64 reach invisible")
    out = tmp_path / "hep"
    limits_to_hepdata(tmp_path / "reach", out)
    _check_hepdata(out)
    # every cell but the mass, the 4 band edges and the 2 uncertainties (written as errors)
    assert _check_round_trip(tmp_path / "reach", out, "limits.csv") == 2 * (
        len(LIMIT_COLUMNS) - 7)
    eps = _tables(out)["90% CL upper limit on epsilon"]
    assert _qualifiers(eps["dependent_variables"][0])["command"] == "na64 reach invisible"


def test_reserve_hepdata_checks_before_the_job(tmp_path: Path) -> None:
    from na64.io.hepdata import reserve_hepdata

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="--hepdata"), reserve_hepdata(foreign):
        pass
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "submission.yaml").write_text("comment: x\n")
    with pytest.raises(InputError, match="overwrite"), reserve_hepdata(earlier):
        pass
    with reserve_hepdata(earlier, overwrite=True) as path:
        assert path == earlier
    with reserve_hepdata(tmp_path / "new") as path:
        assert not path.exists() or not any(path.iterdir())
