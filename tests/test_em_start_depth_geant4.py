"""Electron showers that start deep in the ECAL: the veto counters against Geant4.

Reference: ``tests/data/g4_em_start_depth.csv`` (Geant4 11.4, 800 electrons of 20 GeV
starting at 0, 10, 20 and 30 X0 and 400 of 50 GeV at 10 and 20 X0 inside the ECAL of
``na64e_2016_2018``; the project's Geant4 reference program with the primary's start
moved; made by ``validation/g4_start_depth_reference.py``, see ``tests/data/README.md``).
A signal's recoil electron showers from where the A' was emitted; the veto counters behind
the ECAL see more of a shower the deeper it starts, and the analysis cuts on their largest
deposit (``veto_max`` = 10 MeV in ``invisible_2016_2018``).

What holds: the fraction of showers the veto cut removes agrees with Geant4 at every
energy and depth (20 GeV: Geant4 0.003, 0.033, 0.973, 1, na64 0.001, 0.052, 0.949, 1; 50
GeV at 10 X0: 0.323 against 0.342); tolerance 3 points (measured at most 2.4; binomial
errors 0.6 points at 20 GeV, 2.3 at 50 GeV and 10 X0).  What does not: the summed
deposit's mean away from the face (20 GeV: na64 -33% at 10 X0, +23% at 20 X0, +27% at 30
X0; 50 GeV: -20% at 10 X0, +37% at 20 X0): the leakage hits of ``[veto.leakage]`` depend on
the shower's energy, not on where it starts (Geant4's median at 10 X0 is 7x that at the
face for 20 GeV, na64's 3x), and beyond ~20 X0 the shower particles of the Gamma profile
that cross the counters (``[veto] shower_particles``, fitted to the muons' losses) are too
many.  Those rows are strict xfails.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from na64.detector import deposit, load_setup
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_em_start_depth.csv"
ROWS = list(csv.DictReader(line for line in DATA.open() if not line.startswith("#")))
TABLE = {(float(r["energy_GeV"]), float(r["start_mm"]), r["observable"]):
         (float(r["value"]), float(r["stat_error"])) for r in ROWS}
CONFIGS = sorted({(e, z) for e, z, _ in TABLE})
N = 20000
CUT_TOLERANCE = 0.03

_MEAN_OFF = ("the summed veto of showers starting deep: [veto.leakage] does not depend on "
             "the start depth, and the shower particles crossing the counters are too many "
             "beyond ~20 X0 (see module doc)")


@cache
def _na64(energy_gev: float, z_mm: float) -> np.ndarray:
    setup = load_setup("na64e_2016_2018")
    parts = {"pdg": np.full(N, 11), "energy": np.full(N, energy_gev * GeV), "x": np.zeros(N),
             "y": np.zeros(N), "z_start": np.full(N, z_mm)}
    return np.asarray(deposit(setup, parts, np.random.default_rng(3))["veto"])


def _ids(configs: list[tuple[float, float]]) -> list[str]:
    x0 = load_setup("na64e_2016_2018").target.X0
    return [f"{e:g}GeV-{z / x0:.0f}X0" for e, z in configs]


def test_reference_covers_the_depths() -> None:
    x0 = load_setup("na64e_2016_2018").target.X0
    assert [(e, round(z / x0)) for e, z in CONFIGS] == [
        (20.0, 0), (20.0, 10), (20.0, 20), (20.0, 30), (50.0, 10), (50.0, 20)]
    assert all(int(r["n_showers"]) >= 400 for r in ROWS)


@pytest.mark.parametrize(("energy", "z_mm"), CONFIGS, ids=_ids(CONFIGS))
def test_veto_cut_keeps_what_geant4_keeps(energy: float, z_mm: float) -> None:
    g4, _ = TABLE[(energy, z_mm, "p_veto_max_gt_10MeV")]
    fast = float((_na64(energy, z_mm).max(axis=1) > 10.0).mean())
    assert abs(fast - g4) <= CUT_TOLERANCE, f"na64 {fast:.4f}, Geant4 {g4:.4f}"


@pytest.mark.parametrize(("energy", "z_mm"), [
    pytest.param(e, z, marks=[] if z == 0.0 else [pytest.mark.xfail(strict=True,
                                                                    reason=_MEAN_OFF)])
    for e, z in CONFIGS], ids=_ids(CONFIGS))
def test_summed_veto_mean(energy: float, z_mm: float) -> None:
    # 5% or 3 combined standard errors, as the other Geant4 comparisons
    g4, err = TABLE[(energy, z_mm, "veto_sum_mean_MeV")]
    s = _na64(energy, z_mm).sum(axis=1)
    fast, fast_err = float(s.mean()), float(s.std(ddof=1) / math.sqrt(s.size))
    tolerance = max(0.05 * g4, 3.0 * math.hypot(err, fast_err))
    assert abs(fast - g4) <= tolerance, f"na64 {fast:.4g}, Geant4 {g4:.4g} +- {err:.2g}"
