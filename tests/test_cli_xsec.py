"""Tests of ``na64 xsec brem`` (through na64.cli.main, as the console script runs it)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
from hepunits import GeV, MeV, picobarn

from na64.cli import main
from na64.physics import dark_brem


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_single_mass_matches_library(capsys):
    code, out, _ = _run(capsys, "xsec", "brem", "--model", "dark-photon", "--beam", "e-",
                        "--target", "Pb", "--energy", "100GeV", "--mass", "10MeV",
                        "--coupling", "1e-4", "--json")
    assert code == 0
    row = json.loads(out)
    expect = dark_brem.total_cross_section(10 * MeV, 100 * GeV, coupling=1e-4) / picobarn
    assert row["sigma_pb"] == pytest.approx(expect, rel=1e-12)
    assert row["mass_GeV"] == pytest.approx(0.01)
    assert row["energy_GeV"] == pytest.approx(100.0)
    assert row["threshold_GeV"] == pytest.approx(0.02)  # max(10 MeV, 2 m)
    assert {row["model"], row["beam"], row["target"], row["method"]} == {
        "dark-photon", "e-", "Pb", "etl"}


def test_json_scan_is_a_list_of_log_spaced_masses(capsys):
    code, out, _ = _run(capsys, "xsec", "brem", "--mass", "1MeV:1GeV:25", "--beam", "mu-",
                        "--energy", "160GeV", "--method", "ww", "--threshold", "10MeV", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 25
    assert rows[0]["mass_GeV"] == pytest.approx(1e-3)
    assert rows[-1]["mass_GeV"] == pytest.approx(1.0)
    sigmas = [r["sigma_pb"] for r in rows]
    assert all(a > b for a, b in itertools.pairwise(sigmas))  # falls with mass
    assert all(r["threshold_GeV"] == pytest.approx(0.01) for r in rows)


@pytest.mark.parametrize(("model", "spin"), [("alp", "pseudoscalar"), ("scalar", "scalar"),
                                             ("axial", "axial")])
def test_other_models_map_to_spins(capsys, model, spin):
    code, out, _ = _run(capsys, "xsec", "brem", "--mass", "50MeV", "--model", model, "--json")
    assert code == 0
    expect = dark_brem.total_cross_section(50 * MeV, 100 * GeV, coupling=1e-4, spin=spin)
    assert json.loads(out)["sigma_pb"] == pytest.approx(expect / picobarn, rel=1e-12)


def test_table_output_has_units(capsys):
    code, out, _ = _run(capsys, "xsec", "brem", "--mass", "17MeV", "--energy", "100")
    assert code == 0
    assert "17 MeV" in out
    assert "nb" in out  # ~ 3 nb at eps = 1e-4


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--mass", "0"], "--mass"),
        (["--mass=-5MeV"], "--mass"),
        (["--mass", "150GeV"], "--mass"),
        (["--mass", "10MeV", "--target", "Kryptonite"], "--target"),
        (["--mass", "10MeV", "--model", "graviton"], "--model"),
        (["--mass", "10MeV", "--beam", "pi-"], "--beam"),
        (["--mass", "10parsec"], "--mass"),
        (["--mass", "10MeV", "--energy", "abc"], "--energy"),
        (["--mass", "10MeV", "--method", "exact"], "--method"),
    ],
)
def test_bad_input_one_line_exit_2(capsys, args, option):
    code, out, err = _run(capsys, "xsec", "brem", *args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert option in lines[0]
    assert "Traceback" not in err


def test_kinematic_limit_error_names_allowed_range(capsys):
    code, _, err = _run(capsys, "xsec", "brem", "--mass", "150GeV", "--energy", "100GeV")
    assert code == 2
    assert "(0, 99.99949 GeV)" in err


def test_console_script_subprocess_exit_code():
    proc = subprocess.run([sys.executable, "-m", "na64", "xsec", "brem", "--mass", "-1:1:3"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2
    assert "--mass" in proc.stderr
    assert "Traceback" not in proc.stderr
