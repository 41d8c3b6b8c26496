"""Tests of the invisible-mode reach chain (na64.reach, na64.background) and its CLI."""

from __future__ import annotations

import csv
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hepunits import GeV, MeV

from na64 import InputError
from na64.reach.config import RunConfig, load_analysis
from na64.reach.invisible import run_invisible
from na64.reach.outputs import LIMIT_COLUMNS, write_outputs
from na64.run.executors import ProcessExecutor

FAST = {"events_per_mass": 400, "background_events": 2000}


@pytest.fixture(scope="module")
def config():
    return load_analysis("invisible_2016_2018")


@pytest.fixture(scope="module")
def result(config):
    return run_invisible(config, np.array([2.0, 20.0, 200.0]) * MeV, seed=7, **FAST)


def test_limits_finite_and_weaken_with_mass(result):
    """The A' yield falls roughly as 1/m² above m_e (arXiv:0906.0580, Eq. (9)), so the
    ε limit must rise with the mass; every number must be finite."""
    assert np.all(np.isfinite(result.eps_90))
    assert np.all(result.eps_90 > 0)
    assert np.all(np.diff(result.eps_90) > 0)
    # between 20 and 200 MeV the yield falls by at least 10 (1/m² would be 100)
    assert result.eps_90[2] / result.eps_90[1] > math.sqrt(10)


def test_zero_observed_limit_is_ln10(result):
    """Zero events observed: the CLs limit on the signal count is ln 10 = 2.303 whatever the
    background (Read, J. Phys. G 28 (2002) 2693); the yield uncertainty raises it slightly."""
    assert 2.30 <= result.s_up <= 2.6


def test_efficiency_is_a_probability(result):
    for p in result.points:
        assert 0.0 < p.efficiency <= 1.0
        assert p.yield_per_eot <= p.production * (1 + 1e-12)
        # most signal comes from the beam electron itself for E_A' > E0/2 (the shower adds
        # little there: arXiv:2101.12192 discussion of the e± shower contribution)
        assert p.primary_fraction > 0.7


def test_epsilon_scales_as_inverse_sqrt_eot(config):
    """N_sig ∝ EOT ε², so with zero observed and negligible background ε_90 ∝ EOT^-1/2."""
    m = np.array([20.0]) * MeV
    r1 = run_invisible(config, m, seed=3, runs=[RunConfig(name="a", eot=1e11)], **FAST)
    r4 = run_invisible(config, m, seed=3, runs=[RunConfig(name="a", eot=4e11)], **FAST)
    assert r4.eps_90[0] == pytest.approx(r1.eps_90[0] / 2, rel=0.02)


def test_runs_with_different_efficiency_scales(config):
    """Zero observed: the joint CLs of the runs depends only on the total expected signal,
    so runs (1e11, scale 1) + (1e11, scale 0.5) give the limit of one run of 1.5e11 EOT."""
    m = np.array([20.0]) * MeV
    two = run_invisible(config, m, seed=3, runs=[RunConfig(name="a", eot=1e11),
                                                 RunConfig(name="b", eot=1e11,
                                                           efficiency_scale=0.5)], **FAST)
    one = run_invisible(config, m, seed=3, runs=[RunConfig(name="a", eot=1.5e11)], **FAST)
    assert two.eps_90[0] == pytest.approx(one.eps_90[0], rel=0.02)
    with pytest.raises(ValueError, match="efficiency_scale"):
        RunConfig(name="c", eot=1e11, efficiency_scale=0.0)


def test_same_seed_same_result_on_one_or_two_workers(config):
    """Mass points draw from child i of SeedSequence(seed): identical for any executor."""
    m = np.array([5.0, 50.0]) * MeV
    local = run_invisible(config, m, seed=11, **FAST)
    with ProcessExecutor(2) as ex:
        pooled = run_invisible(config, m, seed=11, executor=ex, **FAST)
    np.testing.assert_array_equal(local.eps_90, pooled.eps_90)
    np.testing.assert_array_equal(local.yield_per_eot, pooled.yield_per_eot)


def test_bad_masses(config):
    # the library names its parameter; the command line maps it to --masses
    with pytest.raises(InputError, match=r"^masses"):
        run_invisible(config, [-1.0], **FAST)
    with pytest.raises(InputError, match="below the beam energy"):
        run_invisible(config, [200 * GeV], **FAST)


def test_outputs(result, tmp_path):
    paths = write_outputs(result, tmp_path, command="test")
    names = {p.name for p in paths}
    assert {"limits.csv", "cutflow.csv", "summary.json", "limits.png", "limits.pdf",
            "limits_y.png", "limits_y.pdf"} <= names
    rows = list(csv.DictReader((tmp_path / "limits.csv").open()))
    assert list(rows[0]) == LIMIT_COLUMNS
    assert len(rows) == 3
    for row in rows:
        assert all(math.isfinite(float(v)) for v in row.values())
        eps, y = float(row["epsilon_90cl"]), float(row["y_90cl"])
        assert y == pytest.approx(eps**2 * 0.5 / 3**4, rel=1e-4)  # y = ε² α_D (1/3)⁴
        # y is linear in α_D (ε limit independent of α_D while A' -> χχ dominates)
        assert float(row["y_90cl_alpha_d_0.1"]) == pytest.approx(y / 5, rel=1e-4)
        assert float(row["y_90cl_alpha_d_0.5"]) == pytest.approx(y, rel=1e-4)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["eot"] == pytest.approx(2.84e11)
    assert summary["observed"] == 0
    assert len(summary["efficiency_per_mass"]) == 3
    assert summary["expected_background"] >= 0
    # what the background estimate leaves out is stated in the summary
    assert all(isinstance(n, str) for n in summary["background_notes"])
    flow = list(csv.DictReader((tmp_path / "cutflow.csv").open()))
    signal = [r for r in flow if r["sample"] == "signal"]
    assert signal[0]["cut"] == "all"
    # cumulative efficiencies never increase along the cut-flow
    for mass in {r["mass_GeV"] for r in signal}:
        eff = [float(r["efficiency_cumulative"]) for r in signal if r["mass_GeV"] == mass]
        assert all(a >= b - 1e-12 for a, b in itertools.pairwise(eff))
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary file left behind


def test_background_sources_named_and_finite(result):
    names = [s.name for s in result.background.sources]
    assert "beam electrons (leakage)" in names
    for s in result.background.sources:
        assert math.isfinite(s.per_eot)
        assert s.per_eot >= 0
        assert math.isfinite(s.per_eot_unc)
        assert s.per_eot_unc >= 0
        assert s.method


def _na64(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "na64", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def test_cli_reach_invisible(tmp_path):
    out = tmp_path / "out"
    proc = _na64("reach", "invisible", "--masses", "10MeV,100MeV", "--events-per-mass", "300",
                 "--out", str(out), "--quiet", "--no-plots", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["eot"] == pytest.approx(2.84e11)
    assert (out / "limits.csv").is_file()
    assert (out / "summary.json").is_file()
    # summary.json records every option, defaults included (the command omits them)
    options = json.loads((out / "summary.json").read_text())["options"]
    assert options["executor"] == "local"
    assert options["masses"] == "10MeV,100MeV"
    assert "--executor" not in json.loads((out / "summary.json").read_text())["command"]
    assert summary["options"] == options            # --json prints the same record


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--masses", "200GeV"], "--masses"),
        (["--masses", "-3MeV"], "--masses"),
        (["--masses", "10mm"], "--masses"),
        (["--eot", "-1"], "--eot"),
        (["--analysis", "nope"], "--analysis"),
        (["--setup", "missing.toml"], "setup"),
    ],
)
def test_cli_bad_input_one_line_exit_2(tmp_path, args, field):
    proc = _na64("reach", "invisible", *args, "--out", "o", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert field in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_plot_statistics_text(result):
    """The plot states the counting inputs; with b << 1 it says why the bands are absent."""
    from dataclasses import replace

    from na64.background import BackgroundEstimate, BackgroundSource
    from na64.reach.plots import statistics_text

    text = statistics_text(result)
    b = result.background.per_eot * result.eot
    assert text.startswith(f"observed 0, expected background {b:.2g}")
    assert "bands = median" in text  # b ~ 0.02 events: every quantile is the n = 0 limit
    wide = {k: result.eps_expected["median"] * f
            for k, f in {"median": 1.0, "m1": 0.8, "p1": 1.3, "m2": 0.7, "p2": 1.6}.items()}
    big_b = BackgroundEstimate((BackgroundSource("test", 5.0 / result.eot, 1.0 / result.eot,
                                                 "test"),))
    text = statistics_text(replace(result, eps_expected=wide, background=big_b))
    assert text == "observed 0, expected background 5 ± 1"
