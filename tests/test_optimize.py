"""``na64 optimize``: the scan's physics scalings on kept samples, parsing, CLI."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.errors import InputError
from na64.reach.config import load_analysis
from na64.reach.optimize import eot_for_epsilon, optimize, parse_scan
from na64.reach.samples import load_samples, run_from_samples, run_keeping_samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("opt") / "samples"
    cfg = load_analysis("invisible_2016_2018")
    run_keeping_samples(cfg, [10.0, 100.0], path, seed=4, events_per_mass=200,
                        background_events=400, nminus1=False)
    return path


def test_expected_limit_scales_as_eot_to_minus_half(samples: Path) -> None:
    """ε_exp ∝ sqrt(S_med / (N_sig/EOT · EOT)): with a background whose median count is 0
    at every exposure scanned, the CLs limit S_med for n = 0 does not depend on b, so ε_exp
    ∝ EOT^-1/2 exactly (to the 1e-9 of the limit solver)."""
    s = load_samples(samples)
    cfg = load_analysis("invisible_2016_2018")
    rows = optimize(s, cfg, [parse_scan("eot=1e10,4e10,1.6e11")], [10.0, 100.0])
    assert max(r["background_events"] for r in rows) < 0.3  # median count 0
    for mass in (0.01, 0.1):
        eps = [r["epsilon_expected"] for r in rows if r["mass_GeV"] == pytest.approx(mass)]
        assert eps[1] / eps[0] == pytest.approx(0.5, rel=1e-6)
        assert eps[2] / eps[1] == pytest.approx(0.5, rel=1e-6)


def test_eot_for_target_scales_as_target_to_minus_two(samples: Path) -> None:
    """Background-free, S_med is constant and EOT_needed = S_med / (N_sig/EOT · ε_t²): a
    target twice smaller needs four times the exposure (Brent tolerance 1e-6)."""
    s = load_samples(samples)
    result = run_from_samples(s, load_analysis("invisible_2016_2018"))
    eps_now = float(result.eps_expected["median"][0])
    e1 = eot_for_epsilon(result, 0, 2 * eps_now)
    e2 = eot_for_epsilon(result, 0, 4 * eps_now)
    assert e1 is not None
    assert e2 is not None
    assert result.background.per_eot * e1 < 0.3
    assert e1 / e2 == pytest.approx(4.0, rel=1e-4)
    # and the expected limit at the run's own exposure is reached at that exposure
    assert eot_for_epsilon(result, 0, eps_now) == pytest.approx(result.eot, rel=1e-4)


def test_tighter_box_gives_weaker_or_equal_limit(samples: Path) -> None:
    """Lowering ecal_max shrinks the signal box: on the same events the selected signal can
    only fall, so the background-free expected limit can only rise."""
    s = load_samples(samples)
    rows = optimize(s, load_analysis("invisible_2016_2018"),
                    [parse_scan("selection.ecal_max=30GeV:50GeV:3")], [10.0],
                    target_epsilon=1e-4)
    sig = [r["signal_per_eot_eps1"] for r in rows]
    assert sig == sorted(sig)
    assert all(np.isfinite(r["epsilon_expected"]) for r in rows)
    assert all(r["eot_for_target"] is None or r["eot_for_target"] > 0 for r in rows)


def test_unreachable_target_is_none(samples: Path) -> None:
    s = load_samples(samples)
    result = run_from_samples(s, load_analysis("invisible_2016_2018"))
    assert eot_for_epsilon(result, 1, 1e-12) is None


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 90.0), st.floats(0.1, 10.0), st.integers(2, 50))
def test_parse_scan_range(lo: float, width: float, n: int) -> None:
    sc = parse_scan(f"selection.ecal_max={lo!r}GeV:{lo + width!r}GeV:{n}")
    assert sc.key == "selection.ecal_max"
    assert len(sc.values) == n
    assert all(v.endswith("GeV") for v in sc.values)
    vals = [float(v[:-3]) for v in sc.values]
    assert vals[0] == pytest.approx(lo)
    assert vals[-1] == pytest.approx(lo + width)


@pytest.mark.parametrize("text", ["ecal", "selection.ecal_max=50GeV:40GeV:3",
                                  "selection.ecal_max=40GeV:50MeV:3", "eot=0:1e12:3",
                                  "selection.ecal_max=40GeV:50GeV:1"])
def test_parse_scan_bad(text: str) -> None:
    with pytest.raises(InputError):
        parse_scan(text)


def test_cli_writes_table_and_plot(samples: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "o"
    code, _, err = cli(["optimize", "--from-samples", str(samples), "--scan",
                        "selection.ecal_max=40GeV:50GeV:2", "--masses", "10MeV,100MeV",
                        "--target-epsilon", "1e-4", "--out", str(out), "-q"])
    assert code == 0, err
    rows = list(csv.DictReader((out / "optimize.csv").open()))
    assert len(rows) == 4
    assert rows[0]["selection.ecal_max"] == "40.0GeV"
    assert (out / "optimize.png").stat().st_size > 0
    assert (out / "optimize.json").is_file()


@pytest.mark.parametrize(("args", "flag"), [
    (["--scan", "selection.ecal_max=40GeV:70GeV:3"], "selection.ecal_max"),
    (["--scan", "selection.nope=1:2:3"], "selection.nope"),
    (["--scan", "eot=1e11:1e12:3", "--masses", "20MeV"], "--masses"),
    (["--scan", "eot=1e11:1e12:3", "--target-epsilon", "2"], "--target-epsilon"),
    (["--scan", "eot=1e11:1e12:3", "--scan", "eot=1e11:1e12:3"], "--scan"),
])
def test_cli_bad_input(samples: Path, tmp_path: Path, cli, args: list[str],
                       flag: str) -> None:
    code, _, err = cli(["optimize", "--from-samples", str(samples), "--masses", "10MeV",
                        "--out", str(tmp_path / "o"), *args])
    assert code == 2
    assert flag in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("rel_unc", [0.0, 1.0, 30.0, 1e4])
def test_exposure_search_with_a_large_uncertain_background(samples: Path,
                                                           rel_unc: float) -> None:
    """A background of 1e-8 per EOT (1e8 events at the top of EOT_RANGE) with relative
    uncertainties up to a zero-pass bound's (1e4: mapped to the widest accepted prior, whose
    mass sits at ~0 events) is evaluated at every exposure: a finite answer or None, and the
    expected limit never improves faster than background-free (ε ∝ EOT^-1/2)."""
    from dataclasses import replace

    from na64.background.base import BackgroundSource
    from na64.reach.optimize import _expected_eps

    s = load_samples(samples)
    result = run_from_samples(s, load_analysis("invisible_2016_2018"))
    wide = BackgroundSource("wide", 1e-8, rel_unc * 1e-8, "test")
    result = replace(result, background=replace(result.background, sources=(wide,)))
    eps = [_expected_eps(result, 0, e) for e in (1e10, 1e12, 1e14, 1e16)]
    assert all(np.isfinite(eps))
    assert all(x > 0 for x in eps)
    for lo, hi in itertools.pairwise(eps):
        assert hi >= lo / 10.0 * (1 - 1e-9)  # 100 x EOT: at most 10 x better
    target = eps[1]
    found = eot_for_epsilon(result, 0, target)
    assert found is None or 1e6 <= found <= 1e16
    if rel_unc <= 1.0:  # the limit does reach its own value at 1e12 EOT
        assert found == pytest.approx(1e12, rel=1e-4)
