"""The positron-beam limit against NA64's published 100 GeV result (arXiv:2308.15612).

Reference: ``tests/data/na64_positron_2022.csv`` (the collaboration's digitized curve, see
tests/data/README.md).  The chain is na64's own with the published exposure (1.01e10 e+OT,
zero events) and the analysis' assumed box (E_ECAL < 50 GeV) and hadron admixtures; nothing
is fitted to the curve.  Tolerance: 40% in ε, the accuracy asked of a reinterpretation whose
efficiencies are simulated rather than measured (na64's brem-only limit is 0.7-0.8 of the
published one at every mass, ``validation/positron_2022.py``).

Between ~100 and ~200 MeV na64's limit is stronger than the published one by a factor ~2:
there the beam positron's resonance E_R = m²/2m_e lies below the box edge, and na64's
limit comes from the annihilation of the positrons above the edge on the tail of the broad
line (Γ = 0.15 m at α_D = 0.5; tree level, its size checked by hand in README.md), while
the published curve follows dark brem alone.  No documented reason for that was found
(what was checked: validation/README.md), so nothing is tuned and those masses are strict
xfails.
"""

from pathlib import Path

import numpy as np
import pytest

from na64.plots.limits import read_overlay_csv
from na64.reach.positron import run_positron
from na64.reach.positron_config import load_positron_analysis
from na64.units import MeV

DATA = Path(__file__).with_name("data") / "na64_positron_2022.csv"
#: masses where brem (low) or the beam positron's resonance (226-320 MeV) dominates
AGREE = [2.0, 10.0, 50.0, 240.0, 280.0, 300.0]
#: the shoulder below the resonance, where the off-shell annihilation counts
OFF_SHELL = [125.0, 150.0]
MASSES = np.array(AGREE + OFF_SHELL) * MeV


@pytest.fixture(scope="module")
def result():
    cfg = load_positron_analysis("positron_2022")
    return run_positron(cfg, MASSES, seed=3, events_per_mass=1500, background_events=2000,
                        nminus1=False)


def _published(m: float) -> float:
    masses, eps = read_overlay_csv(DATA)
    return float(np.exp(np.interp(np.log(m), np.log(masses), np.log(eps))))


@pytest.mark.parametrize("mass", AGREE)
def test_within_40_percent(result, mass):
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_90[i] / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)


@pytest.mark.parametrize("mass", [pytest.param(m, marks=pytest.mark.xfail(
    reason="na64 gains from off-shell annihilation above the box edge, the published "
           "curve does not (see module doc)",
    strict=True)) for m in OFF_SHELL])
def test_within_40_percent_below_the_resonance(result, mass):
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_90[i] / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)


@pytest.mark.parametrize("mass", OFF_SHELL)
def test_brem_alone_agrees_below_the_resonance(result, mass):
    # what differs there is the annihilation alone: the brem-only limit agrees
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_brem[i] / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)
