"""The line a muon leaves the NA64 ECAL on: na64's multiple scattering against Geant4.

Reference: ``tests/data/g4_muon_exit_line.csv`` (Geant4 11.4, WentzelVI multiple scattering
with single Coulomb scattering; 60000 μ+ each of 160, 50 and 20 GeV through the 150 layers of
1.5 mm Pb + 1.5 mm plastic; made by ``validation/g4_muon_scattering_reference.py``, see
``tests/data/README.md``).  na64 scatters the muon with the Highland width (PDG 2024 Eq.
34.16) and the correlated displacement (Eqs. 34.18-34.21) in
:func:`na64.detector.muon.scatter_through`; the response of ``na64mu_2022`` (the same ECAL)
writes the line as ``true_exit_*``.

Compared, as in the reference: the widths of the central 98% of the exit angle and of the
exit position (both views pooled; PDG: the Highland formula describes the central 98% to
11% for 1e-3 < x/X0 < 100), and their correlation, for muons that lose less than twice the
median energy loss (no hard loss).  Tolerance 3% on the widths: na64 is 0.2-1.7% below
Geant4 at the three momenta (validation/README.md); the statistical errors are 0.3% (Geant4)
and 0.5% (na64, 20000 muons); na64 scatters the muon at its momentum before the ECAL, which
narrows the 20 GeV width by ~0.7% (1.5% of its momentum is lost on the way).  The Highland
formula itself is quoted to 11% (PDG), so 3% is a test of Geant4's agreement with it here,
not of the formula's general accuracy.  0.01 on the correlation (sqrt(3)/2 before
trimming).  The single-scattering tail beyond 3 widths is
not compared: na64's Gaussian gives 0.47-0.50% of the angles there, Geant4 0.55-0.61%.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from na64.constants import M_MU
from na64.detector import deposit, load_setup
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_muon_exit_line.csv"
ROWS = list(csv.DictReader(line for line in DATA.open() if not line.startswith("#")))
N = 20000
KEEP = 0.98


def _central_width(x: np.ndarray) -> float:
    lo, hi = np.quantile(x, [(1 - KEEP) / 2, (1 + KEEP) / 2])
    core = x[(x >= lo) & (x <= hi)]
    return float(np.sqrt(np.mean((core - np.median(x)) ** 2)))


def _na64(p_gev: float) -> tuple[float, float, float]:
    setup = load_setup("na64mu_2022")
    e = math.hypot(p_gev * GeV, M_MU)
    zeros = np.zeros(N)
    out = deposit(setup, {"pdg": np.full(N, -13), "energy": np.full(N, e), "x": zeros,
                          "y": zeros, "tx": zeros, "ty": zeros, "z_start": zeros},
                  np.random.default_rng(int(p_gev)))
    loss = e - out["true_exit_energy"]
    keep = loss < 2.0 * np.median(loss)
    length = setup.target.length
    tx, ty = out["true_exit_tx"][keep], out["true_exit_ty"][keep]
    ang = np.concatenate([tx, ty])
    pos = np.concatenate([out["true_exit_x"][keep] + tx * length,
                          out["true_exit_y"][keep] + ty * length])
    lo, hi = np.quantile(ang, [(1 - KEEP) / 2, (1 + KEEP) / 2])
    core = (ang >= lo) & (ang <= hi)
    return _central_width(ang), _central_width(pos), float(np.corrcoef(ang[core],
                                                                        pos[core])[0, 1])


def test_reference_covers_the_muon_momenta() -> None:
    assert sorted(float(r["p_GeV"]) for r in ROWS) == [20.0, 50.0, 160.0]
    assert all(int(r["n_muons"]) > 40000 for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[f"{float(r['p_GeV']):g}GeV" for r in ROWS])
def test_exit_line_follows_geant4(row: dict[str, str]) -> None:
    theta, position, corr = _na64(float(row["p_GeV"]))
    assert 1e-3 * float(row["theta_width_mrad"]) == pytest.approx(theta, rel=0.03)
    assert float(row["position_width_mm"]) == pytest.approx(position, rel=0.03)
    assert float(row["correlation"]) == pytest.approx(corr, abs=0.01)
