"""Kept samples: a --from-samples run equals the full run; what they cannot stand for is
refused; --set validates dotted keys with units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.errors import InputError
from na64.reach.config import load_analysis
from na64.reach.outputs import limits_table
from na64.reach.samples import (
    MANIFEST,
    check_compatible,
    load_samples,
    run_from_samples,
    run_keeping_samples,
)
from na64.reach.settings import apply_settings
from na64.units import GeV

SMALL = ["--masses", "10MeV,500MeV", "--events-per-mass", "200", "--seed", "5",
         "--no-plots", "-q"]


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A full CLI run (small) that keeps its samples: (output dir, samples dir)."""
    from na64.cli import main

    root = tmp_path_factory.mktemp("kept")
    code = 0
    try:
        main(["reach", "invisible", *SMALL, "--out", str(root / "full"),
              "--keep-samples", str(root / "samples")])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 0
    return root / "full", root / "samples"


def test_from_samples_is_byte_identical(kept: tuple[Path, Path], tmp_path: Path,
                                        cli) -> None:
    full, samples = kept
    code, _, err = cli(["reach", "invisible", "--from-samples", str(samples), "--no-plots",
                        "-q", "--out", str(tmp_path / "again")])
    assert code == 0, err
    assert (tmp_path / "again" / "limits.csv").read_bytes() == (full / "limits.csv").read_bytes()


def test_keeping_samples_does_not_change_the_result(tmp_path: Path) -> None:
    """The recording search gives the full run's numbers; the Python API agrees."""
    from na64.reach import run_invisible

    cfg = load_analysis("invisible_2016_2018")
    kw = {"seed": 2, "events_per_mass": 150, "background_events": 300, "nminus1": False}
    plain = run_invisible(cfg, [20.0], **kw)
    kept = run_keeping_samples(cfg, [20.0], tmp_path / "s", **kw)
    again = run_from_samples(tmp_path / "s", cfg)
    assert limits_table(plain) == limits_table(kept) == limits_table(again)
    assert plain.background.per_eot == again.background.per_eot


def test_tighter_cut_keeps_less_signal_and_hcal_cut_replays(kept: tuple[Path, Path]) -> None:
    """A tighter box edge (lower ecal_max) cannot select more signal than the nominal one
    on the same events; a changed hcal_max re-uses every background event."""
    _, samples = kept
    s = load_samples(samples)
    cfg = load_analysis("invisible_2016_2018")
    nominal = run_from_samples(s, cfg)
    tight, _ = apply_settings(cfg, ["selection.ecal_max=40GeV"])
    r = run_from_samples(s, tight)
    assert np.all(r.yield_per_eot <= nominal.yield_per_eot)
    assert np.all(np.isfinite(r.eps_90))
    assert np.all(r.eps_90 >= nominal.eps_90)
    loose_hcal, _ = apply_settings(cfg, ["selection.hcal_max=3GeV"])
    r2 = run_from_samples(s, loose_hcal)
    assert not any("simulated again" in w for w in r2.warnings)
    assert np.all(r2.yield_per_eot >= nominal.yield_per_eot)


@pytest.mark.parametrize(("change", "field"), [
    (["selection.ecal_max=70GeV"], "selection.ecal_max"),  # looser than the pre-filter
    (["energy=80GeV", "selection.ecal_max=40GeV"], "energy"),
    (["signal.processes=brem,annihilation"], "signal.processes"),
    (["signal.method=iww"], "signal.method"),
    (["background.events=1000"], "background.events"),
    (["setup=na64e_positron_2022"], "setup"),
])
def test_invalidating_changes_are_refused(kept: tuple[Path, Path], change: list[str],
                                          field: str) -> None:
    _, samples = kept
    cfg, _ = apply_settings(load_analysis("invisible_2016_2018"), change)
    with pytest.raises(InputError) as exc:
        check_compatible(load_samples(samples), cfg)
    assert exc.value.field == field


def test_damaged_samples_are_refused(kept: tuple[Path, Path], tmp_path: Path) -> None:
    import shutil

    _, samples = kept
    copy = tmp_path / "copy"
    shutil.copytree(samples, copy)
    victim = next((copy / "background").glob("*.parquet"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    with pytest.raises(InputError) as exc:
        load_samples(copy)
    assert exc.value.field == "--from-samples"


@pytest.mark.parametrize(("args", "flag"), [
    (["--set", "selection.ecal_mx=60GeV"], "selection.ecal_mx"),
    (["--set", "selection.ecal_max=-5GeV"], "selection.ecal_max"),
    (["--set", "selection.ecal_max=70GeV"], "selection.ecal_max"),
    (["--set", "eot=-1"], "eot"),
    (["--set", "nonsense"], "--set"),
    (["--seed", "9"], "--seed"),
    (["--masses", "10MeV"], "--masses"),
    (["--events-per-mass", "500"], "--events-per-mass"),
])
def test_cli_bad_input_is_one_line_exit_2(kept: tuple[Path, Path], tmp_path: Path, cli,
                                          args: list[str], flag: str) -> None:
    _, samples = kept
    code, _, err = cli(["reach", "invisible", "--from-samples", str(samples), "--out",
                        str(tmp_path / "o"), *args])
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert flag in err
    assert not (tmp_path / "o").exists()


def test_cli_missing_samples(tmp_path: Path, cli) -> None:
    code, _, err = cli(["reach", "invisible", "--from-samples", str(tmp_path), "--out",
                        str(tmp_path / "o")])
    assert code == 2
    assert MANIFEST in err
    assert len(err.strip().splitlines()) == 1


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.0, max_value=99.0), st.floats(min_value=1e6, max_value=1e16))
def test_settings_round_trip(ecal: float, eot: float) -> None:
    """Any valid cut and exposure is taken with its unit and validated by the models."""
    cfg = load_analysis("invisible_2016_2018")
    new, runs = apply_settings(cfg, [f"selection.ecal_max={ecal!r}GeV", f"eot={eot!r}"])
    assert new.selection.ecal_max == pytest.approx(ecal * GeV, rel=1e-12)
    assert runs[0].eot == pytest.approx(eot, rel=1e-12)
    assert apply_settings(new, [])[0] == new
