"""Any beam species through any shipped setup (``na64 simulate --beam``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from na64.detector import hadron
from na64.detector.setup import list_setups
from na64.errors import InputError
from na64.io.events import read_provenance
from na64.run.sources import BEAM_PARTICLES, DetectorSource

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)

SETUPS = list_setups()


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("beam", BEAM_PARTICLES)
def test_every_species_runs_through_every_setup(setup: str, beam: str) -> None:
    ev = DetectorSource.from_options(setup, beam)(200, np.random.default_rng(5))
    for name, col in ev.items():
        arr = np.asarray(col)
        if arr.dtype.kind == "f":
            assert np.all(np.isfinite(arr)), name


def _interacting_in_target(beam: str, n: int = 6000) -> float:
    src = DetectorSource.from_options("na64e_2016_2018", beam, core=True)
    setup = src.setup()
    z = np.asarray(src(n, np.random.default_rng(11))["true_interaction_z"])
    return float(np.mean((z >= 0.0) & (z < setup.target.length)))


def test_protons_interact_at_the_nuclear_length_and_mesons_beyond_it() -> None:
    """In the ECAL, P(interact) = 1 - exp(-L/lambda): the ratio of -ln(1 - P) of 100 GeV
    protons to that of pions and kaons is the mesons' interaction-length scale at 100 GeV
    (1.176, :data:`na64.detector.hadron.MESON_INTERACTION_LENGTH_SCALE`); 6000 events give
    P to ~0.006, the ratio to ~3%: 10% tolerance."""
    p = _interacting_in_target("p")
    depth = -math.log(1.0 - p)
    for meson in ("pi+", "K-"):
        m = _interacting_in_target(meson)
        assert depth / -math.log(1.0 - m) == pytest.approx(
            hadron.MESON_INTERACTION_LENGTH_SCALE, rel=0.10), meson
    assert _interacting_in_target("pbar") == pytest.approx(p, abs=0.03)


def test_cli_simulates_a_kaon_beam(tmp_path: Path, cli: CliRunner) -> None:
    out = tmp_path / "k.parquet"
    code, _, err = cli(["simulate", "--beam", "K-", "--events", "100", "--chunk-size", "100",
                        "--executor", "local", "--out", str(out), "--quiet"])
    assert code == 0, err
    assert read_provenance(out)["beam_particle"] == "K-"


def test_an_unknown_species_names_the_choices() -> None:
    with pytest.raises(InputError, match="K-, K\\+, p, pbar") as info:
        DetectorSource.from_options("na64e_2016_2018", "kaon")
    assert info.value.field == "--beam"


def test_admixtures_are_kept_or_dropped_explicitly() -> None:
    """The shipped NA64e beam carries pi- and K- admixtures (~1%): kept by default, none
    with ``admixtures=False`` (the primary alone, its momentum tail kept)."""
    kept = DetectorSource.from_options("na64e_2016_2018")(20000, np.random.default_rng(1))
    alone = DetectorSource.from_options("na64e_2016_2018", admixtures=False)(
        20000, np.random.default_rng(1))
    hadrons = np.isin(np.asarray(kept["beam_parent_pdg"]), (-211, -321))
    assert 0.002 < hadrons.mean() < 0.05
    assert np.all(np.asarray(alone["beam_parent_pdg"]) == 11)
    # a default source's identity has no admixtures key (its checkpoints stay resumable)
    assert "admixtures" not in DetectorSource.from_options("na64e_2016_2018").describe()
    assert DetectorSource.from_options("na64e_2016_2018",
                                       admixtures=False).describe()["admixtures"] is False


@pytest.mark.parametrize(("args", "message"), [
    (["--admixtures", "maybe"], "must be keep or drop"),
    (["--admixtures", "keep", "--beam-core"], "contradicts --beam-core"),
])
def test_cli_admixture_option_errors(tmp_path: Path, args: list[str], message: str,
                                     cli: CliRunner) -> None:
    code, _, err = cli(["simulate", "--events", "10", "--executor", "local", "--quiet",
                        "--out", str(tmp_path / "x.parquet"), *args])
    assert code == 2
    assert "--admixtures" in err
    assert message in err
    assert not (tmp_path / "x.parquet").exists()
