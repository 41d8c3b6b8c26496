"""The Python API gives exactly what ``na64 reach invisible`` writes, from one seed layout."""

from __future__ import annotations

import json

import numpy as np
import pytest

from na64.reach import load_analysis, run_invisible, seed_layout, write_outputs
from na64.units import MeV

SMALL = """extends = "invisible_2016_2018"
name = "small"
[background]
events = 400
"""


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("a") / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_api_writes_what_the_cli_writes(cli, analysis, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(["reach", "invisible", "--analysis", str(analysis), "--masses",
                        "5MeV,200MeV", "--events-per-mass", "150", "--seed", "4",
                        "--no-plots", "--quiet", "--out", str(tmp_path / "cli")])
    assert code == 0, err
    cfg = load_analysis(str(analysis))
    res = run_invisible(cfg, [5 * MeV, 200 * MeV], seed=4, events_per_mass=150)
    write_outputs(res, tmp_path / "api", plots=False)
    for name in ("limits.csv", "cutflow.csv", "nminus1.csv"):
        assert (tmp_path / "api" / name).read_text() == (tmp_path / "cli" / name).read_text()
    summary = json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert summary["model"] == "dark-photon"
    assert summary["background_source_names"][0] == "leakage"
    # the model's coupling names the limit columns
    assert summary["coupling"]["name"] == "epsilon"
    assert summary["coupling"]["unit"] == ""
    assert "epsilon_90cl" in summary["coupling"]["limit_columns"]


def test_seed_layout_is_disjoint_and_stable() -> None:
    masses, bkg, nm1 = seed_layout(3, 4)
    streams = [np.random.default_rng(s).integers(0, 2**62, 4).tolist()
               for s in (*masses, bkg, nm1)]
    assert len({tuple(s) for s in streams}) == 6
    again = seed_layout(np.random.SeedSequence(3), 4)
    assert np.random.default_rng(again[1]).integers(0, 2**62) == \
        np.random.default_rng(bkg).integers(0, 2**62)
