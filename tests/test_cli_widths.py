"""Tests for ``na64 widths`` (through na64.cli.main, as a user runs it)."""

import json
import math
import subprocess
import sys

import pytest

from na64.constants import ALPHA, HBARC


def test_json_visible_x17(cli):
    code, out, _ = cli(["widths", "--model", "dark-photon", "--mass", "16.7MeV",
                        "--epsilon", "1e-3", "--visible", "--json"])
    assert code == 0
    info = json.loads(out)
    assert set(info) >= {"widths_MeV", "branching_ratios", "total_width_MeV", "ctau_mm"}
    # Gamma = alpha eps^2 m/3 (1 + 2r) sqrt(1 - 4r), r = (m_e/m)^2 (arXiv:0906.0580, Sec. II)
    r = (0.51099895 / 16.7) ** 2
    gamma = ALPHA * 1e-6 * 16.7 / 3 * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    assert info["total_width_MeV"] == pytest.approx(gamma, rel=1e-9)
    assert info["ctau_mm"] == pytest.approx(HBARC / gamma, rel=1e-9)
    assert info["branching_ratios"]["e+e-"] == 1.0
    # decay length at the default 100 GeV: (p/m) c tau
    assert info["decay_length_mm"] == pytest.approx(
        math.sqrt((100e3 / 16.7) ** 2 - 1) * HBARC / gamma, rel=1e-9)


def test_json_invisible_default_and_alpha_d_zero(cli):
    code, out, _ = cli(["widths", "--mass", "0.1", "--epsilon", "1e-4", "--json"])
    assert code == 0
    info = json.loads(out)  # a bare mass is GeV
    assert info["parameters"]["mass_MeV"] == pytest.approx(100.0)
    assert info["branching_ratios"]["chichi"] > 0.999
    code, out, _ = cli(["widths", "--mass", "100MeV", "--alpha-d", "0", "--json"])
    assert json.loads(out)["branching_ratios"]["chichi"] == 0.0


def test_table_output(cli):
    code, out, _ = cli(["widths", "--mass", "1GeV", "--epsilon", "1e-3", "--chi", "scalar"])
    assert code == 0
    for word in ("e+e-", "mu+mu-", "hadrons", "chichi", "total", "c*tau", "MeV"):
        assert word in out


def test_json_idm(cli):
    code, out, _ = cli(["widths", "--model", "idm", "--mass", "300MeV", "--epsilon", "1e-3",
                        "--delta", "0.4", "--energy", "50GeV", "--json"])
    assert code == 0
    info = json.loads(out)
    assert info["parameters"]["delta"] == 0.4
    assert info["branching_ratios"]["chichi"] > 0.999
    chi2 = info["chi2"]
    assert chi2["mass_MeV"] == pytest.approx(140.0)
    assert sum(chi2["branching_ratios"].values()) == pytest.approx(1.0)
    gamma = sum(chi2["widths_MeV"].values())
    assert chi2["ctau_mm"] == pytest.approx(HBARC / gamma, rel=1e-12)
    assert chi2["decay_length_mm"] == pytest.approx(
        math.sqrt((50e3 / 140.0) ** 2 - 1) * HBARC / gamma, rel=1e-9)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["widths", "--mass", "-5MeV"], "--mass: must be in [0.001, 10000] MeV"),
        (["widths", "--mass", "5 parsec"], "--mass"),
        (["widths", "--epsilon", "2"], "--epsilon: must be in ["),
        (["widths", "--chi", "wimp"], "--chi: must be one of"),
        (["widths", "--model", "axion"], "allowed: dark-photon, alp, lmu-ltau"),
        (["widths", "--model", "alp", "--mass", "10MeV", "--epsilon", "1e-3"], "does not apply"),
        (["widths", "--model", "alp", "--mass", "10MeV"], "--g-agg: is required"),
        (["widths", "--mass", "1GeV", "--energy", "0.5GeV"], "--energy"),
        (["widths", "--model", "x-boson", "--kind", "T", "--g", "1e-4"], "--kind: must be one of"),
        (["widths", "--model", "x-boson", "--g", "3"], "--g: must be in ["),
        (["widths", "--model", "idm", "--delta", "-0.1"], "--delta: must be in (2 m_e/m_chi"),
        (["widths", "--model", "idm", "--mass", "300MeV", "--mchi", "200MeV"], "--mchi: must"),
        (["widths", "--model", "idm", "--g", "1e-4"], "does not apply"),
        (["widths", "--model", "dark-photon", "--delta", "0.1"], "--delta: does not apply"),
    ],
)
def test_bad_input_one_line_exit_2(cli, argv, needle):
    code, out, err = cli(argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert needle in err


def test_subprocess_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "na64", "widths", "--model", "lmu-ltau", "--mass", "50MeV",
         "--g", "1e-4", "--json"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    # below 2 m_mu Z' -> nu nu, but for the loop-induced e+e- share 4 pi alpha eps^2/g^2 ~ 2e-5
    assert info["invisible_fraction"] == pytest.approx(1.0, abs=3e-5)
    assert info["invisible_fraction"] < 1.0


def test_x_boson_json(cli):
    # pseudoscalar X17: Gamma = g^2 m beta / (8 pi) (see na64.models.x_boson)
    code, out, _ = cli(["widths", "--model", "x-boson", "--kind", "p", "--mass", "16.7MeV",
                        "--g", "1e-4", "--json"])
    assert code == 0
    info = json.loads(out)
    beta = math.sqrt(1 - 4 * (0.51099895 / 16.7) ** 2)
    assert info["total_width_MeV"] == pytest.approx(1e-8 * 16.7 * beta / (8 * math.pi), rel=1e-9)


def test_mass_scan(cli):
    code, out, _ = cli(["widths", "--mass", "10MeV:1GeV:5", "--epsilon", "1e-3", "--visible",
                        "--json"])
    assert code == 0
    infos = json.loads(out)
    masses = [i["parameters"]["mass_MeV"] for i in infos]
    assert masses == pytest.approx([10.0, 31.62, 100.0, 316.2, 1000.0], rel=1e-3)
    # visible A': c tau falls as 1/m below 2 m_mu, faster once mu mu and hadrons open
    ctau = [i["ctau_mm"] for i in infos]
    assert ctau[0] / ctau[2] == pytest.approx(10.0, rel=1e-3)
    assert ctau[2] / ctau[4] > 10.0
    code, out, _ = cli(["widths", "--mass", "10MeV:1GeV:5"])
    assert code == 0
    assert "chichi" in out
    assert "c*tau" in out
    code, _, err = cli(["widths", "--mass", "10MeV:1GeV:5", "--energy", "0.5GeV"])
    assert code == 2
    assert "--energy" in err


@pytest.mark.parametrize(("model", "options"), [
    ("x-scalar", ["--g", "1e-4"]),
    ("x-pseudoscalar", ["--g", "1e-4", "--alpha-d", "0.5"]),
    ("x-vector", ["--g", "1e-4", "--alpha-d", "0.5", "--mchi", "1MeV"]),
    ("x-axial", ["--g", "1e-4"]),
    ("scalar-mu", ["--g", "1e-4", "--mchi", "1MeV"]),
])
def test_every_model_takes_its_options(cli, model, options):
    """Every registered model answers with its own options; an option of another model is
    one line naming it, exit 2 (no traceback)."""
    code, out, err = cli(["widths", "--model", model, "--mass", "10MeV", *options, "--json"])
    assert code == 0, err
    assert json.loads(out)["model"] == model
    code, _, err = cli(["widths", "--model", model, "--mass", "10MeV", *options,
                        "--delta", "0.1"])
    assert code == 2
    assert err.count("\n") == 1
    assert "--delta" in err
