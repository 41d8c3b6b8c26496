"""``na64 reach visible``: outputs, options and bad input."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)

FAST = ["--events-per-mass", "300", "--no-plots", "--quiet"]


def test_writes_the_band_and_the_summary(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "vis"
    code, _, err = cli(["reach", "visible", "--masses", "5MeV,16.7MeV,60MeV",
                             "--out", str(out), *FAST])
    assert code == 0, err
    rows = list(csv.DictReader((out / "exclusion.csv").open()))
    assert [r["mass_GeV"] for r in rows] == ["0.005", "0.0167", "0.06"]
    for r in rows[:2]:  # a band below the closing mass ...
        assert 0 < float(r["epsilon_low"]) < float(r["epsilon_high"]) < 0.1
    assert rows[2]["epsilon_low"] == rows[2]["epsilon_high"] == ""  # ... none far above
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "visible"
    assert summary["eot"] == pytest.approx(8.4e10)
    assert {r["energy_GeV"] for r in summary["runs"]} == {100.0, 150.0}
    assert 0.01 < summary["closing_mass_GeV"] < 0.06
    assert {p.name for p in out.iterdir()} == {"exclusion.csv", "cutflow.csv", "summary.json",
                                               "nminus1.csv"}
    flow = list(csv.DictReader((out / "cutflow.csv").open()))
    assert {r["cut"] for r in flow} >= {"w2_veto", "decay_counter", "tracker", "energy_sum",
                                        "ecal_min"}
    nm1 = list(csv.DictReader((out / "nminus1.csv").open()))
    assert "tracker" in {r["cut"] for r in nm1}


def test_one_run_at_another_energy_and_the_pseudoscalar(cli: CliRunner, tmp_path: Path
                                                        ) -> None:
    out = tmp_path / "p"
    code, _, err = cli(["reach", "visible", "--masses", "16.7MeV", "--eot", "1e11",
                        "--energy", "150GeV", "--model", "x-pseudoscalar", "--out", str(out),
                        "--json", *FAST[:3]])
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"]["name"] == "x-pseudoscalar"
    assert summary["runs"] == [{"name": "user", "eot": 1e11, "observed": 0,
                                "energy_GeV": 150.0, "setup": "na64e_visible_2018",
                                "efficiency_scale": 1.0}]


def _thick_wcal(tmp_path: Path) -> Path:
    p = tmp_path / "thick.toml"
    p.write_text('extends = "na64e_visible_2018"\nname = "thick"\n[wcal]\nlayers = [60]\n',
                 encoding="utf-8")
    return p


@pytest.mark.parametrize(("args", "field"), [
    (["--masses", "0.9MeV"], "--masses"),           # below 2 m_e
    (["--masses", "200GeV"], "--masses"),           # above the beam energy
    (["--energy", "20GeV"], "selection.ecal_min"),  # the energy-sum window below ecal_min
    (["--energy", "-5GeV"], "--energy"),
    (["--model", "alp"], "--model"),
    (["--eot", "-1"], "--eot"),
    (["--analysis", "invisible_2016_2018"], "--analysis"),
    (["--setup", "na64e_2016_2018"], "--setup"),       # not a visible setup
    (["--setup", "THICK"], "setup"),                # a WCAL reaching into W2
])
def test_bad_input_is_one_line_and_exit_2(cli: CliRunner, tmp_path: Path, args: list[str],
                                          field: str) -> None:
    args = [str(_thick_wcal(tmp_path)) if a == "THICK" else a for a in args]
    out = tmp_path / "never"
    code, _, err = cli(["reach", "visible", *args, "--out", str(out), *FAST])
    assert code == 2, err
    assert err.startswith(f"na64: error: {field}"), err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_an_energy_window_beyond_the_beam_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "a.toml"
    p.write_text('extends = "visible_2017_2018"\nname = "w"\n[selection]\n'
                 'energy_window = 1.5\n', encoding="utf-8")
    code, _, err = cli(["reach", "visible", "--analysis", str(p), "--out",
                        str(tmp_path / "o"), *FAST])
    assert code == 2
    assert "selection.energy_window" in err
    assert len(err.strip().splitlines()) == 1


def test_a_negative_pair_separation_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "a.toml"
    p.write_text('extends = "visible_2017_2018"\nname = "t"\n[selection]\n'
                 'pair_separation_min = "-1mm"\n', encoding="utf-8")
    code, _, err = cli(["reach", "visible", "--analysis", str(p), "--out",
                        str(tmp_path / "o"), *FAST])
    assert code == 2
    assert "selection.pair_separation_min" in err
    assert len(err.strip().splitlines()) == 1


def test_invisible_refuses_a_visible_analysis(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli(["reach", "invisible", "--analysis", "visible_2017_2018", "--out",
                        str(tmp_path / "o"), "--no-plots", "--quiet"])
    assert code == 2
    assert err.startswith("na64: error: --analysis: visible_2017_2018.toml is a visible-mode")
