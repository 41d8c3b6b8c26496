"""The muon-beam missing-momentum search: generator, pipeline, selection, limits, CLI."""

from __future__ import annotations

import copy
import csv
import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from na64.constants import ALPHA, M_MU
from na64.detector.setup import load_setup
from na64.errors import InputError
from na64.generate.muon_brem import MuonBremSignal
from na64.models import make_model
from na64.models.lmu_ltau import loop_mixing
from na64.physics import dark_brem
from na64.pipeline import EventPipeline
from na64.reach.muon import (
    combine_with_electrons,
    electron_channel,
    muon_limits_table,
    run_muon,
)
from na64.reach.muon_config import load_muon_analysis
from na64.select import muon_selection
from na64.units import GeV, MeV

SETUP = load_setup("na64mu_2022")


@pytest.fixture(scope="module")
def beam_muons() -> dict[str, np.ndarray]:
    pipe = EventPipeline(SETUP)
    return pipe.simulate(20_000, np.random.default_rng(11), reconstruct=True, core=True)


def test_p_out_measures_the_muon_leaving_the_target(beam_muons: dict[str, np.ndarray]) -> None:
    # the beam muon loses ~0.3 GeV (ionization of ~45 cm Pb/Sc; PDG dE/dx ~ 1.2 GeV/m of
    # Pb) and MS2 measures it with a few % resolution: median p_out within 1% of p_in
    ok = beam_muons["n_tracks_out"] == 1
    assert ok.mean() > 0.999
    ratio = beam_muons["p_out"][ok] / beam_muons["p_in"][ok]
    assert abs(np.median(ratio) - 1.0) < 0.01
    loss = beam_muons["true_energy"] - beam_muons["true_exit_energy"]
    assert 0.1 * GeV < np.median(loss) < 0.6 * GeV


def test_mip_cuts_keep_beam_muons(beam_muons: dict[str, np.ndarray]) -> None:
    # the documented acceptance of the na64-choice calorimeter cuts: ~94% of beam muons (the
    # rest radiate a hard photon in the ECAL that the calorimeters see)
    sel = muon_selection(160 * GeV).configure({"p_out_max": {"enabled": False},
                                               "trigger": {"enabled": False}})
    assert sel.mask(beam_muons).mean() > 0.92
    # the trigger counter behind MS2 is off the 160 GeV line (it is hit by muons below
    # ~100 GeV): it is fired only by the beam muons that lost > ~60 GeV in the target
    # (~0.1%, as many as leave it below 100 GeV)
    below = beam_muons["true_exit_energy"] < 0.97 * 100 * GeV
    assert beam_muons["trigger"].mean() < 0.01
    assert beam_muons["trigger"][~below].mean() < 1e-3


def test_no_beam_muon_in_the_box(beam_muons: dict[str, np.ndarray]) -> None:
    # a hard radiative loss in the ECAL shows up in the calorimeters, also when the photon
    # flies through the VHCAL's hole (it reaches the HCAL)
    assert not muon_selection(160 * GeV).mask(beam_muons).any()


def test_generator_weights_are_the_production() -> None:
    gen = MuonBremSignal(10 * MeV, setup=SETUP, beam="mu+")
    truth = gen.sample(4000, np.random.default_rng(2), e_min=80 * GeV)
    prod = gen.production(80 * GeV)
    assert truth["weight"].sum() == pytest.approx(prod, rel=1e-3)
    # independent: L * sum_m f_m n_m sigma_m(E_X > 80 GeV) from the total cross section
    cal = SETUP.target
    ref = 0.0
    for mat, t in ((cal.absorber_material, cal.absorber_thickness),
                   (cal.active_material, cal.active_thickness)):
        n_atoms = sum(n for _, _, n in mat.atoms_per_volume())
        sig = dark_brem.total_cross_section(10 * MeV, 160 * GeV, lepton="mu+", target=mat,
                                            threshold=80 * GeV)
        ref += t / cal.layer_thickness * n_atoms * float(sig)
    assert prod == pytest.approx(cal.length * ref, rel=0.01)
    assert np.all(truth["e_aprime"] >= 80 * GeV)
    assert np.all(truth["e_aprime"] <= 160 * GeV - M_MU)


def test_generator_spectrum_follows_dsigma_dx() -> None:
    gen = MuonBremSignal(100 * MeV, setup=SETUP, beam="mu-")
    truth = gen.sample(20_000, np.random.default_rng(3), e_min=80 * GeV)
    x = truth["e_aprime"] / (160 * GeV)
    edges = np.linspace(0.5, gen.x_hi, 6)
    h, _ = np.histogram(x, edges, weights=truth["weight"])
    expect = [gen.length * np.trapezoid(gen.macroscopic(np.linspace(a, b, 200)),
                                        np.linspace(a, b, 200))
              for a, b in itertools.pairwise(edges)]
    assert h == pytest.approx(expect, rel=0.02)


@pytest.fixture(scope="module")
def result_lmu():
    cfg = load_muon_analysis("muon_2022")
    return run_muon(cfg, np.array([5, 50]) * MeV, events_per_mass=1500,
                    background_events=2000, nminus1=False)


def test_signal_efficiency_and_limit(result_lmu) -> None:
    for p in result_lmu.points:
        assert 0.5 < p.efficiency <= 1.0
    rows = muon_limits_table(result_lmu)
    for row in rows:
        assert 0 < row["coupling_90cl"] < 1
        # zero observed, no background: the limit is 2.30 signal events (Poisson, CL 90%),
        # a little more with the 10% signal-yield uncertainty: g_90² × N(g = 1) × MOT
        n_up = row["coupling_90cl"] ** 2 * row["signal_per_mot_coupling1"] * 1.98e10
        assert 2.30 <= n_up <= 2.6
        assert row["coupling_90cl"] == pytest.approx(row["coupling_expected"], rel=1e-6)
        # projections scale as 1/sqrt(MOT) at zero background
        assert row["coupling_expected_1e13mot"] / row["coupling_expected_1e14mot"] == \
            pytest.approx(math.sqrt(10.0), rel=1e-3)
        assert row["g_minus_2_low"] < row["g_minus_2_high"]


def test_dark_photon_epsilon_is_g_over_e(result_lmu) -> None:
    # below 2 m_mu both bosons decay invisibly and couple to the muon as a vector with
    # strength g = eps e: the same events give eps_90 = g_90 / e
    cfg = load_muon_analysis("muon_2022")
    cfg = cfg.model_copy(update={"signal": cfg.signal.model_copy(
        update={"model": "dark-photon"})})
    dp = run_muon(cfg, np.array([5, 50]) * MeV, events_per_mass=1500, background_events=2000,
                  nminus1=False)
    e = math.sqrt(4 * math.pi * ALPHA)
    assert dp.eps_90 == pytest.approx(result_lmu.eps_90 / e, rel=0.05)
    # the same seeds give the same emissions: the yields differ only by the invisible
    # branching ratios, the dark photon's at small mixing (1) against the Z''s (1 less its
    # loop-induced e+e- share, < 1e-4 here); at eps = 1 it would have been
    # alpha_D / (alpha_D + alpha) = 0.986 (a 0.7% weaker eps)
    lmu = [make_model("lmu-ltau", mass=m, g=1.0).invisible_fraction
           for m in result_lmu.masses]
    # (eps = 1 is a muon coupling e, g = 1 a coupling 1: yields in the ratio e^2)
    ratio = dp.yield_per_eot / (e**2 * result_lmu.yield_per_eot / np.asarray(lmu))
    assert ratio == pytest.approx(1.0, rel=1e-6)


def test_dark_photon_signal_branching_ratio_is_the_small_mixing_limit() -> None:
    # visible widths ~ eps^2 alpha, the dark width ~ alpha_D: BR_inv -> 1 as eps -> 0
    for m in (5 * MeV, 50 * MeV, 300 * MeV):
        a = make_model("dark-photon", mass=m, epsilon=1.0, alpha_D=0.5)
        assert a.invisible_fraction < 0.99
        assert a.signal_invisible_fraction == 1.0
        assert a.with_coupling(1e-6).invisible_fraction == pytest.approx(1.0, abs=1e-9)
    # no dark decay (alpha_D = 0): nothing invisible at any mixing
    assert make_model("dark-photon", mass=20 * MeV, epsilon=1e-3,
                      alpha_D=0.0).signal_invisible_fraction == 0.0


def test_bad_configuration(tmp_path) -> None:
    base = 'mode = "muon"\nname = "x"\n[[runs]]\nname = "r"\nmot = 1e10\n'
    cases = {'setup = "na64e_2016_2018"\n': "setup",
             '[selection]\np_out_max = "155GeV"\n': "selection.p_out_max",
             '[signal]\nmodel = "alp"\n': "model"}
    for i, (extra, field) in enumerate(cases.items()):
        text = base.replace('name = "x"\n', 'name = "x"\n' + extra) if "[" not in extra \
            else base.split("[[runs]]")[0] + extra + "[[runs]]" + base.split("[[runs]]")[1]
        path = tmp_path / f"a{i}.toml"
        path.write_text(text)
        with pytest.raises(InputError, match=field.split(".")[-1]):
            load_muon_analysis(path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "na64", "reach", "muon", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(("args", "field"), [
    (["--mot", "-1"], "--mot"),
    (["--p-out-max", "170GeV"], "--p-out-max"),
    (["--model", "alp"], "--model"),
    (["--masses", "200GeV"], "--masses"),
    (["--analysis", "invisible_2016_2018"], "--analysis"),
    (["--model", "scalar-mu", "--combine-with", "/nonexistent"], "--combine-with"),
    (["--combine-with", "/nonexistent"], "--combine-with"),
])
def test_cli_bad_input(tmp_path, args: list[str], field: str) -> None:
    res = _run(*args, "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert field in lines[0]
    assert not (tmp_path / "o").exists()


def test_cli_writes_the_outputs(tmp_path) -> None:
    out = tmp_path / "mu"
    res = _run("--masses", "10MeV,100MeV", "--events-per-mass", "500", "--mot", "1e11",
               "--out", str(out), "--quiet", "--no-plots")
    assert res.returncode == 0, res.stderr
    with (out / "limits.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    assert {"mass_GeV", "coupling_90cl", "coupling_expected", "g_minus_2_low"} <= set(rows[0])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mot"] == 1e11
    assert summary["model"] == "lmu-ltau"
    assert (out / "cutflow.csv").exists()
    assert (out / "nminus1.csv").exists()


def test_michel_spectrum_mean() -> None:
    from na64.background.muon_decays import michel_fraction

    # <y> of dN/dy = 5/3 - 3y^2 + 4/3 y^3 is 5/6 - 3/4 + 4/15 = 7/20
    y = michel_fraction(np.random.default_rng(4).random(200_000))
    assert y.mean() == pytest.approx(0.35, abs=0.003)
    assert y.min() >= 0.0
    assert y.max() <= 1.0


def test_muon_decays_need_the_muon_id() -> None:
    # the decay electron below the p_out cut is stopped by the HCAL (its shower) and the
    # muon identification
    from na64.background import estimate_background
    from na64.reach.invisible import _search

    search = _search(load_muon_analysis("muon_2022"))
    est = estimate_background(search.background_context, np.random.default_rng(5),
                              sources=("muon_decays",), n_events=3000)
    src = est.sources[0]
    flow = dict((name, w) for name, w, _ in src.cutflow)
    population = flow["all"]
    # decay probability over ~0.55 m at 160 GeV: L m_mu / (p c tau) ~ 5.5e-7
    assert population == pytest.approx(550 * M_MU / (160 * GeV * 658_637.8), rel=0.05)
    # the decay electrons of 28-80 GeV fire the trigger and fall into the p_out box (y in
    # [0.18, 0.5] of the Michel spectrum: ~25%); their showers fail the HCAL cuts
    assert flow["p_out_max"] > 0.1 * population
    assert flow["muon_id"] == 0.0
    assert src.per_eot == 0.0
    assert 0 < src.per_eot_unc < 1e-9


# ------------------------------------------------------------ electron-beam combination
def _electron_result(d, *, signal=(1e-4, 1e-5), ann=(0.0, 4e-6)) -> None:
    """A minimal electron-beam dark-photon result (summary.json and limits.csv)."""
    d.mkdir()
    (d / "summary.json").write_text(json.dumps({
        "analysis": "invisible_2016_2018", "beam": "e-",
        "signal": {"alpha_d": 0.5, "mass_ratio": 3.0},
        "runs": [{"name": "a", "eot": 2.84e11, "efficiency_scale": 1.0}],
        "observed": 0, "expected_background": 0.5, "expected_background_unc": 0.2,
        "signal_yield_rel_uncertainty": 0.1}))
    (d / "limits.csv").write_text(
        "mass_GeV,epsilon_90cl,signal_per_eot_eps1,annihilation_signal_per_eot_eps1\n"
        f"0.001,1e-5,{signal[0]},{ann[0]}\n0.1,1e-4,{signal[1]},{ann[1]}\n")


def test_electron_channel_of_lmu_ltau(tmp_path) -> None:
    _electron_result(tmp_path / "e")
    ch = electron_channel(tmp_path / "e", "lmu-ltau")
    # bremsstrahlung only (annihilation dropped) times the loop mixing squared at each mass
    want = np.array([1e-4 * loop_mixing(1 * MeV) ** 2, (1e-5 - 4e-6) * loop_mixing(100 * MeV)
                     ** 2]) * 2.84e11
    assert ch.signal == pytest.approx(want, rel=1e-12)
    assert electron_channel(tmp_path / "e", "dark-photon").signal == pytest.approx(
        np.array([1e-4, 6e-6]) * 2.84e11, rel=1e-12)
    with pytest.raises(InputError, match="does not couple to electrons"):
        electron_channel(tmp_path / "e", "scalar-mu")


def test_combination_is_never_weaker(result_lmu, tmp_path) -> None:

    # an electron channel as strong as the muon search at 5 MeV: the joint limit is stronger
    # than either (equal channels, zero background: by ~sqrt(2) for a Poisson limit)
    from na64.models.lmu_ltau import loop_mixing

    y_mu = result_lmu.points[0].yield_per_eot * 1.98e10
    y_e = y_mu / (loop_mixing(5 * MeV) ** 2 * 2.84e11)
    _electron_result(tmp_path / "e", signal=(y_e, y_e), ann=(0.0, 0.0))
    res = combine_with_electrons(copy.deepcopy(result_lmu), [tmp_path / "e"])
    e_only = res.extra_columns["coupling_90cl_electron_beam"]
    joint = res.extra_columns["coupling_90cl_combined"]
    assert np.all(joint <= res.eps_90 * (1 + 1e-9))
    assert np.all(joint <= e_only * (1 + 1e-9))
    # at 5 MeV (inside the electron grid, signal interpolated in log-log) both channels
    # are comparable, so the gain is large
    assert joint[0] < 0.9 * min(res.eps_90[0], e_only[0])
    rows = muon_limits_table(res)
    assert rows[0]["coupling_90cl_combined"] == pytest.approx(joint[0])
