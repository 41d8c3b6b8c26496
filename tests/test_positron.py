"""Positron-beam searches: the resonance, the combination of channels, ``na64 reach positron``."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.constants import M_E
from na64.errors import InputError
from na64.generate import AnnihilationSignal
from na64.reach.combination import (
    Channel,
    channel_from_output,
    combine_channels,
    interpolate_yield,
)
from na64.reach.positron import group_seeds
from na64.reach.positron_config import PositronRunConfig, load_positron_analysis
from na64.stats import upper_limit
from na64.units import GeV, MeV

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)


# ----------------------------------------------------------------------- the resonance
def _weighted_quantiles(x: np.ndarray, w: np.ndarray, q: list[float]) -> np.ndarray:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return np.interp(np.asarray(q) * cw[-1], cw, x[order])


def _width_dm(alpha_d: float, m: float, r: float = 1.0 / 3.0) -> float:
    """Gamma(A' -> chi chi) = alpha_D m/3 (1 + 2r^2) sqrt(1 - 4r^2), r = m_chi/m
    (arXiv:1802.03794); the A' -> e+e- part, alpha eps^2 m/3 at the generator's eps = 1e-4,
    is ~1e-10 of it and left out."""
    return alpha_d * m / 3 * (1 + 2 * r**2) * math.sqrt(1 - 4 * r**2)


@pytest.fixture(scope="module")
def primary_lines() -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """A' energies (and weights) of annihilations of a 100 GeV beam positron in lead at
    m_A' = 250 MeV, for two α_D."""
    out = {}
    for alpha in (0.02, 0.1):
        gen = AnnihilationSignal(250 * MeV, "Pb", beam="e+", energy=100 * GeV,
                                 threshold=30 * GeV, alpha_D=alpha, n_showers=2000,
                                 rng=np.random.default_rng(11))
        ev = gen.sample(30_000, np.random.default_rng(12), e_min=30 * GeV)
        keep = ev["from_primary"] & (ev["weight"] > 0)
        out[alpha] = (ev["e_aprime"][keep], ev["weight"][keep])
    return out


def test_missing_energy_peaks_at_the_resonance(primary_lines):
    # E_R = m^2 / (2 m_e) - m_e (arXiv:1802.03794, Eq. (2)): 61.1 GeV at 250 MeV; the line of
    # the beam positron is narrow (FWHM 2 E_R Gamma/m ~ 0.7 GeV at alpha_D = 0.02)
    e_r = (250 * MeV) ** 2 / (2 * M_E) - M_E
    x, w = primary_lines[0.02]
    median = _weighted_quantiles(x, w, [0.5])[0]
    assert median == pytest.approx(e_r, rel=0.01)
    # a Cauchy line holds 2/pi atan(4) = 84% within +-2 FWHM; the FWHM is m Gamma / m_e
    # (0.76 GeV here; see the next test)
    fwhm = 250 * MeV * _width_dm(0.02, 250 * MeV) / M_E
    inside = np.abs(x - e_r) < 2 * fwhm
    assert w[inside].sum() / w.sum() == pytest.approx(2 / math.pi * math.atan(4.0), abs=0.05)


def test_line_width_scales_with_alpha_d(primary_lines):
    # Gamma(A' -> chi chi) = alpha_D m/3 (1 + 2r^2) sqrt(1 - 4r^2), r = m_chi/m = 1/3
    # (arXiv:1802.03794): the Breit-Wigner in s = 2 m_e E has FWHM m Gamma, i.e. in E a
    # FWHM of m Gamma / m_e; for a Cauchy line the interquartile range equals the FWHM.
    m = 250 * MeV
    iqr = {}
    for alpha, (x, w) in primary_lines.items():
        q1, q3 = _weighted_quantiles(x, w, [0.25, 0.75])
        iqr[alpha] = q3 - q1
        gamma = _width_dm(alpha, m)
        # 20%: the positron track length varies across the line (a few per cent per GeV)
        # and the weighted quantiles of ~1e4 events carry a few per cent of MC error
        assert iqr[alpha] == pytest.approx(m * gamma / M_E, rel=0.2)
    assert iqr[0.1] / iqr[0.02] == pytest.approx(5.0, rel=0.2)


# ---------------------------------------------------------------------- combination
def _channel(name: str, s: float, n: int = 0, b: float = 0.0, sb: float = 0.0) -> Channel:
    return Channel(name, np.array([100.0, 200.0]), np.array([s, s]), n, b, sb)


def test_single_channel_is_the_single_run_limit():
    c = Channel("a", np.array([100.0, 200.0, 300.0]), np.array([1e6, 2e6, 4e6]), 1, 0.5, 0.2,
                sigma_s_rel=0.1)
    res = combine_channels([c], expected=False)
    s_up = upper_limit(1, 0.5, 0.2, sigma_s_rel=0.1)
    assert res.s_up == pytest.approx(s_up, rel=1e-6)
    assert res.eps_90 == pytest.approx(np.sqrt(s_up / c.signal), rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(s1=st.floats(1.0, 1e8), s2=st.floats(1.0, 1e8), b1=st.floats(0.0, 3.0),
       b2=st.floats(0.0, 3.0), rel=st.floats(0.0, 0.5))
def test_combined_never_weaker_than_either_input(s1, s2, b1, b2, rel):
    # no excess in either channel (n_obs = 0): adding a channel can only add exposure
    c1 = _channel("a", s1, 0, b1, rel * b1)
    c2 = _channel("b", s2, 0, b2, rel * b2)
    both = combine_channels([c1, c2], expected=False).eps_90
    for c in (c1, c2):
        alone = combine_channels([c], expected=False).eps_90
        assert np.all(both <= alone * (1 + 1e-6))
    assert np.all(np.isfinite(both))
    assert np.all(both > 0)


def test_identical_background_free_channels_halve_the_signal_limit():
    # two background-free channels with 0 events are one with twice the exposure:
    # S_up = 2.303 either way, so eps scales as 1/sqrt(2)
    one = combine_channels([_channel("a", 1e6)], expected=False).eps_90
    two = combine_channels([_channel("a", 1e6), _channel("b", 1e6)], expected=False).eps_90
    assert two == pytest.approx(one / math.sqrt(2), rel=1e-3)


def test_interpolation_is_zero_outside_and_exact_on_points():
    c = Channel("a", np.array([10.0, 100.0]), np.array([1.0, 100.0]), 0, 0.0)
    y = interpolate_yield([5.0, 10.0, math.sqrt(1000.0), 100.0, 200.0], c)
    # linear in (log m, log Y): half-way in log m is half-way in log Y
    assert y == pytest.approx([0.0, 1.0, 10.0, 100.0, 0.0])


def test_channel_errors():
    with pytest.raises(InputError, match="masses"):
        Channel("a", np.array([2.0, 1.0]), np.array([1.0, 1.0]), 0, 0.0)
    with pytest.raises(InputError, match="signal"):
        Channel("a", np.array([1.0, 2.0]), np.array([1.0, -1.0]), 0, 0.0)
    with pytest.raises(InputError, match="distinct"):
        combine_channels([_channel("a", 1.0), _channel("a", 2.0)])


def _fake_invisible_result(d: Path, *, alpha_d: float = 0.5) -> None:
    d.mkdir()
    (d / "summary.json").write_text(json.dumps({
        "analysis": "invisible_2016_2018", "beam": "e-",
        "signal": {"alpha_d": alpha_d, "mass_ratio": 3.0},
        "runs": [{"name": "a", "eot": 1e11, "efficiency_scale": 1.0},
                 {"name": "b", "eot": 1e11, "efficiency_scale": 0.5}],
        "observed": 0, "expected_background": 0.1, "expected_background_unc": 0.05,
        "signal_yield_rel_uncertainty": 0.1}))
    (d / "limits.csv").write_text("mass_GeV,epsilon_90cl,signal_per_eot_eps1\n"
                                  "0.01,1e-5,1e-4\n0.3,1e-3,1e-6\n")


def test_channel_from_an_invisible_result(tmp_path):
    _fake_invisible_result(tmp_path / "e")
    c = channel_from_output(tmp_path / "e", alpha_d=0.5, mass_ratio=3.0)
    assert c.masses == pytest.approx([10 * MeV, 300 * MeV])
    assert c.signal == pytest.approx([1e-4 * 1.5e11, 1e-6 * 1.5e11])  # Σ eot × efficiency
    assert (c.n_obs, c.b, c.sigma_b, c.sigma_s_rel) == (0, 0.1, 0.05, 0.1)
    with pytest.raises(InputError, match="alpha_d"):
        channel_from_output(tmp_path / "e", alpha_d=0.1)
    with pytest.raises(InputError, match=r"--combine-with.*missing"):
        channel_from_output(tmp_path / "nothing")


# -------------------------------------------------------------------------- config
def test_shipped_analyses_and_groups():
    cfg = load_positron_analysis("positron_scan")
    groups = cfg.groups()
    assert [g.key for g in groups] == ["100GeV", "70GeV", "40GeV"]
    assert [g.setup for g in groups] == ["na64e_positron_2022", "na64e_positron_2023",
                                         "na64e_positron_40GeV"]
    assert [g.ecal_max / GeV for g in groups] == pytest.approx([50.0, 35.0, 20.0])
    cfg.check_setups()
    one = load_positron_analysis("positron_2022")
    assert one.total_pot == pytest.approx(1.01e10)
    inv = one.group_analysis(one.groups()[0])
    assert (inv.beam, inv.energy, inv.selection.ecal_max) == ("e+", 100 * GeV, 50 * GeV)


def test_positron_config_errors(tmp_path):
    with pytest.raises(InputError, match="not a positron-beam analysis"):
        load_positron_analysis("invisible_2016_2018")
    cfg = load_positron_analysis("positron_2022")
    bad = (PositronRunConfig(name="x", energy="100GeV", pot=1e10),)
    with pytest.raises(InputError, match=r"setup.*e- beam"):
        cfg.model_copy(update={"setup": "na64e_2016_2018", "setups": {}}).check_setups(bad)
    neg = tmp_path / "neg.toml"
    neg.write_text('extends = "positron_2022"\nname = "n"\n\n[[runs]]\nname = "r"\n'
                   'energy = "100GeV"\npot = -1e10\n')
    with pytest.raises(InputError, match=r"runs.*pot"):
        load_positron_analysis(neg)


def test_group_seeds_are_distinct_and_reproducible():
    a = group_seeds(7, 3)
    assert a == group_seeds(7, 3)
    assert len(set(a)) == 3
    assert a[:2] == group_seeds(7, 2)  # spawned children do not depend on their number


# ----------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def fast_analysis(tmp_path_factory) -> Path:
    """positron_scan with a small background sample (the CLI has no option for it)."""
    path = tmp_path_factory.mktemp("ana") / "fast.toml"
    path.write_text('extends = "positron_scan"\nname = "fast"\n\n[background]\n'
                    'events = 2000\n')
    return path


def test_reach_positron_energy_scan(cli: CliRunner, tmp_path: Path, fast_analysis: Path
                                    ) -> None:
    _fake_invisible_result(tmp_path / "electrons")
    out = tmp_path / "pos"
    code, _, err = cli(["reach", "positron", "--analysis", str(fast_analysis),
                        "--energy", "100GeV,70GeV", "--pot", "1.01e10,1.6e10",
                        "--masses", "20MeV,250MeV", "--events-per-mass", "300",
                        "--combine-with", str(tmp_path / "electrons"),
                        "--hepdata", str(tmp_path / "hep"),
                        "--out", str(out), "--no-plots", "--quiet"])
    assert code == 0, err
    import yaml

    docs = list(yaml.safe_load_all((tmp_path / "hep" / "submission.yaml").read_text()))
    tables = {d["name"]: d["data_file"] for d in docs[1:]}
    eps = yaml.safe_load((tmp_path / "hep" / tables["90% CL upper limit on epsilon"])
                         .read_text())
    names = [v["header"]["name"] for v in eps["dependent_variables"]]
    assert len(names) >= 5  # observed, expected, brem/annihilation only, per energy, ...
    assert {p.name for p in out.iterdir()} == {"limits.csv", "cutflow.csv", "summary.json",
                                               "beam_100GeV", "beam_70GeV"}
    rows = list(csv.DictReader((out / "limits.csv").open()))
    assert [r["mass_GeV"] for r in rows] == ["0.02", "0.25"]
    for r in rows:
        comb = float(r["epsilon_90cl"])
        for col in ("epsilon_90cl_100GeV", "epsilon_90cl_70GeV", "epsilon_90cl_brem_only",
                    "epsilon_90cl_annihilation_only"):
            assert 0 < comb <= float(r[col]) * (1 + 1e-6), col
        assert float(r["epsilon_90cl_with_electrons"]) <= comb * (1 + 1e-6)
        assert float(r["y_90cl"]) > 0
    # at 250 MeV the beam positrons' resonance (E_R = 61 GeV at 100 GeV, 35 GeV box at
    # 70 GeV: E_R > 35 GeV) makes annihilation the stronger process
    assert float(rows[1]["epsilon_90cl_annihilation_only"]) < float(
        rows[1]["epsilon_90cl_brem_only"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "positron"
    # the recorded command reproduces the run: the negative flag, a repeatable option once
    # per value, nothing for options left empty
    command = summary["command"].split()
    assert "--no-plots" in command
    assert "--plots" not in command
    assert command[command.index("--combine-with") + 1] == str(tmp_path / "electrons")
    assert "()" not in summary["command"]
    assert summary["pot"] == pytest.approx(2.61e10)
    assert [g["key"] for g in summary["groups"]] == ["100GeV", "70GeV"]
    assert [g["ecal_max_GeV"] for g in summary["groups"]] == [50.0, 35.0]
    # the hadron contamination of the positron beam is a background source of each energy
    for g in summary["groups"]:
        names = {s["name"] for s in g["background_sources"]}
        assert {"pi+ in the beam", "p in the beam", "K+ in the beam"} <= names
    sub = json.loads((out / "beam_70GeV" / "summary.json").read_text())
    assert (sub["beam"], sub["energy_GeV"], sub["setup"]) == ("e+", 70.0,
                                                              "na64e_positron_2023")
    flow = list(csv.DictReader((out / "cutflow.csv").open()))
    assert {r["group"] for r in flow} == {"100GeV", "70GeV"}


@pytest.mark.parametrize(("args", "field"), [
    (["--pot", "-1e10"], "--pot"),
    (["--energy", "100GeV,70GeV", "--pot", "1e10,1e10,1e10"], "--pot"),
    (["--energy", "55GeV"], "--pot"),  # no run of the analysis there, no --pot
    (["--energy", "0.5GeV", "--pot", "1e10"], "--energy"),
    (["--masses", "80GeV", "--energy", "70GeV", "--pot", "1e10"], "--masses"),
    (["--analysis", "invisible_2016_2018"], "--analysis"),
    (["--combine-with", "/nonexistent/dir"], "--combine-with"),
])
def test_reach_positron_bad_input(cli: CliRunner, tmp_path: Path, args: list[str],
                                  field: str) -> None:
    out = tmp_path / "o"
    code, _, err = cli(["reach", "positron", *args, "--out", str(out), "--quiet"])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("na64: error:")
    assert field in lines[0], err
    assert not out.exists()


def test_box_edge_above_the_beam_energy(cli: CliRunner, tmp_path: Path) -> None:
    ana = tmp_path / "box.toml"
    ana.write_text('extends = "positron_2022"\nname = "box"\n\n[[runs]]\nname = "r"\n'
                   'energy = "50GeV"\npot = 1e10\necal_max = "60GeV"\n')
    code, _, err = cli(["reach", "positron", "--analysis", str(ana), "--out",
                        str(tmp_path / "o2"), "--quiet"])
    assert code == 2
    assert "ecal_max" in err
    assert "below its beam energy" in err


def test_setup_with_an_electron_beam(cli: CliRunner, tmp_path: Path) -> None:
    ana = tmp_path / "e.toml"
    # a run at an energy without a positron setup of its own falls back to `setup`
    ana.write_text('extends = "positron_2022"\nname = "e"\nsetup = "na64e_2016_2018"\n\n'
                   '[[runs]]\nname = "r"\nenergy = "90GeV"\npot = 1e10\n')
    code, _, err = cli(["reach", "positron", "--analysis", str(ana), "--out",
                        str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "e- beam" in err
    assert len(err.strip().splitlines()) == 1


def test_reach_invisible_refuses_a_positron_analysis(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = cli(["reach", "invisible", "--analysis", "positron_2022", "--out",
                        str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "positron" in err


def test_signal_sample_below_the_annihilation_threshold():
    # the analysis lists annihilation first; at 1 MeV < 2 m_e only dark brem can make the
    # A', and the N-1 distributions take their signal events from it
    from na64.reach.search import Search

    cfg = load_positron_analysis("positron_2022")
    search = Search(cfg.group_analysis(cfg.groups()[0]))
    truth, _, _ = search.signal_sample(1 * MeV, np.random.default_rng(1), 200)
    assert len(truth["weight"]) > 0
    assert np.all(np.isfinite(truth["weight"]))


def test_published_curve_overlaid_when_energy_and_exposure_match():
    from types import SimpleNamespace

    from na64.reach.positron_outputs import published_overlays

    cfg = load_positron_analysis("positron_2022")

    def fake(pot: float, model: str = "dark-photon") -> SimpleNamespace:
        groups = cfg.groups((PositronRunConfig(name="r", energy="100GeV", pot=pot),))
        sig = cfg.signal.model_copy(update={"model": model})
        return SimpleNamespace(groups=groups, config=SimpleNamespace(signal=sig))

    (label, m, eps), = published_overlays(fake(1.01e10))  # type: ignore[arg-type]
    assert "2308.15612" in label
    # the resonance dip of the published curve lies inside sqrt(2 m_e (E0 - 50 GeV))..
    # sqrt(2 m_e E0) = 0.226-0.320 GeV
    dip = m[np.argmin(np.where(m > 150 * MeV, eps, np.inf))]
    assert 226 * MeV < dip < 320 * MeV
    assert published_overlays(fake(1e11)) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("where", ["inside", "file"])
def test_bad_hepdata_directory_fails_before_the_job(cli: CliRunner, tmp_path: Path,
                                                    where: str) -> None:
    out = tmp_path / "o"
    target = out / "hep" if where == "inside" else tmp_path / "f.txt"
    if where == "file":
        target.write_text("x")
    code, _, err = cli(["reach", "positron", "--hepdata", str(target), "--out", str(out),
                        "--quiet"])
    assert code == 2
    assert "--hepdata" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_combination_does_not_depend_on_the_executor():
    from na64.run.executors import make_executor

    chans = [Channel("a", np.array([10.0, 100.0, 300.0]), np.array([1e5, 3e5, 2e5]), 0, 0.2,
                     0.1),
             Channel("b", np.array([10.0, 100.0, 300.0]), np.array([2e5, 1e5, 4e5]), 1, 4.0,
                     6.0)]
    here = combine_channels(chans)
    with make_executor("processes", workers=2) as ex:
        there = combine_channels(chans, executor=ex)
    np.testing.assert_array_equal(here.eps_90, there.eps_90)
    for k in here.eps_expected:
        np.testing.assert_array_equal(here.eps_expected[k], there.eps_expected[k])


def test_progress_counts_every_step_to_the_end():
    from na64.reach.positron import run_positron

    calls: list[tuple[int, int]] = []
    cfg = load_positron_analysis("positron_2022")
    run_positron(cfg, [250 * MeV], events_per_mass=200, background_events=500, nminus1=False,
                 progress=lambda done, total: calls.append((done, total)))
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len({t for _, t in calls}) == 1
    assert calls[-1][0] == calls[-1][1]  # the joint limits are the last steps


def test_scan_does_not_depend_on_the_executor():
    """All tasks of all energies (backgrounds, signal points, N-1) run on the executor, in
    any order, each from its own stream: worker processes give the in-process result."""
    from na64.reach.positron import run_positron
    from na64.run.executors import make_executor

    cfg = load_positron_analysis("positron_scan")
    kw = {"seed": 5, "events_per_mass": 200, "background_events": 300, "nminus1": True}
    masses = [2 * MeV, 250 * MeV]
    here = run_positron(cfg, masses, **kw)
    with make_executor("processes", workers=2) as ex:
        there = run_positron(cfg, masses, executor=ex, **kw)
    for a, b in ((here.eps_90, there.eps_90), (here.eps_brem, there.eps_brem),
                 (here.eps_annihilation, there.eps_annihilation),
                 (here.projection.eps_90, there.projection.eps_90)):
        np.testing.assert_array_equal(a, b)
    for ra, rb in zip(here.results, there.results, strict=True):
        assert [(s.name, s.per_eot, s.per_eot_unc) for s in ra.background.sources] == [
            (s.name, s.per_eot, s.per_eot_unc) for s in rb.background.sources]
        assert ra.nminus1 is not None
        assert rb.nminus1 is not None
        np.testing.assert_array_equal(ra.yield_per_eot, rb.yield_per_eot)


def test_plan_lists_background_masses_and_nminus1():
    from na64.reach.invisible import plan_invisible

    cfg = load_positron_analysis("positron_2022")
    ana = cfg.group_analysis(cfg.groups()[0])
    plan = plan_invisible(ana, [2 * MeV, 250 * MeV], seed=3)
    assert [k for k, _ in plan.tasks] == ["background", "mass", "mass", "nminus1"]
    assert [k for k, _ in plan_invisible(ana, [2 * MeV], nminus1=False).tasks] == [
        "background", "mass"]
    with pytest.raises(ValueError, match="4 task results"):
        plan.finish([None])


def test_overlays_without_a_limit_are_not_drawn():
    """ε = 1 (no limit) or non-finite points are left out of the plot's overlays, and a
    curve with no point left is dropped: the log axes take only finite positive values."""
    from na64.reach.positron_outputs import _drawable

    m = np.array([1.0, 2.0, 3.0])
    out = _drawable([("a", m, np.array([1e-4, 1.0, np.nan])), ("b", m, np.ones(3)),
                     ("c", m, np.array([1e-3, 2e-3, 3e-3]))])
    assert [o[0] for o in out] == ["a", "c"]
    np.testing.assert_array_equal(out[0][1], [1.0])
    np.testing.assert_array_equal(out[0][2], [1e-4])
    np.testing.assert_array_equal(out[1][2], [1e-3, 2e-3, 3e-3])
