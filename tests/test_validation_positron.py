"""The positron-beam limit against NA64's published 100 GeV result (arXiv:2308.15612).

Reference: ``tests/data/na64_positron_2022.csv`` (the collaboration's digitized curve, see
tests/data/README.md).  The chain is na64's own with the published exposure (1.01e10 e+OT,
zero events) and the analysis' assumed box (E_ECAL < 50 GeV) and hadron admixtures; nothing
is fitted to the curve.  Tolerance: 40% in ε, the accuracy asked of a reinterpretation whose
efficiencies are simulated rather than measured (na64's brem-only limit is 0.7-0.8 of the
published one at every mass, ``validation/positron_2022.py``).

Between ~100 and ~200 MeV na64's limit at the analysis' α_D = 0.5 is stronger than the
published one by a factor ~2: there the beam positron's resonance E_R = m²/2m_e lies below
the box edge, and na64's limit comes from the annihilation of the positrons above the edge
on the tail of the broad line (Γ = 0.15 m at m_A' = 3 m_χ; tree level, its size checked by
hand in validation/README.md).  With the narrower line of α_D = 0.1 (Γ = 0.03 m) the ratio
to the published curve is the same there as in the brem region: the published ε curve is
consistent with a narrow line, whose α_D the paper's text (not readable here) would state.
The α_D = 0.5 comparison stays a strict xfail at those masses, the α_D = 0.1 one is tested.

The electron and the positron beam give the same dark-brem yield per particle on target at
low mass (the annihilation is negligible there and the box is 50 GeV for both): na64's two
limits agree, while the published positron limit is ~1.15× weaker than the electron one
scaled by sqrt(EOT) (validation/README.md: the positron analysis' yield per particle is
~0.8 of the electron analysis').
"""

from pathlib import Path

import numpy as np
import pytest

from na64.plots.limits import read_overlay_csv
from na64.reach.config import load_analysis
from na64.reach.invisible import run_invisible
from na64.reach.positron import run_positron
from na64.reach.positron_config import load_positron_analysis
from na64.units import MeV

DATA = Path(__file__).with_name("data") / "na64_positron_2022.csv"
#: masses where brem (low) or the beam positron's resonance (226-320 MeV) dominates
AGREE = [2.0, 10.0, 50.0, 240.0, 280.0, 300.0]
#: the shoulder below the resonance, where the off-shell annihilation counts
OFF_SHELL = [125.0, 150.0]
MASSES = np.array(AGREE + OFF_SHELL) * MeV
#: the narrower line compared there
ALPHA_NARROW = 0.1
#: masses of the electron/positron comparison (dark brem alone)
BREM = [2.0, 10.0]


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
    reason="at alpha_D = 0.5 na64 gains from off-shell annihilation above the box edge, "
           "the published curve does not (see module doc)",
    strict=True)) for m in OFF_SHELL])
def test_within_40_percent_below_the_resonance(result, mass):
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_90[i] / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)


@pytest.mark.parametrize("mass", OFF_SHELL)
def test_brem_alone_agrees_below_the_resonance(result, mass):
    # what differs there is the annihilation alone: the brem-only limit agrees
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_brem[i] / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)


@pytest.mark.parametrize("mass", OFF_SHELL)
def test_narrow_line_within_40_percent_below_the_resonance(result, mass):
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    eps = result.eps_alpha[ALPHA_NARROW][i]
    assert eps / _published(mass * MeV) == pytest.approx(1.0, rel=0.4)


@pytest.mark.parametrize("mass", OFF_SHELL)
def test_broad_line_gains_off_shell(result, mass):
    # the same events reweighted: the broader line's tail reaches the positrons above the
    # box edge, so its limit is stronger (na64: 0.6-0.7 of the narrow line's)
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_alpha[0.5][i] < 0.8 * result.eps_alpha[ALPHA_NARROW][i]


@pytest.mark.parametrize("mass", BREM)
def test_line_width_does_not_matter_for_dark_brem(result, mass):
    i = int(np.flatnonzero(np.isclose(result.masses, mass * MeV))[0])
    assert result.eps_alpha[0.5][i] == pytest.approx(result.eps_alpha[ALPHA_NARROW][i],
                                                     rel=0.02)


def test_electron_and_positron_beams_agree_in_the_brem_region(result):
    # zero events in both: eps_90 ∝ 1/sqrt(yield per particle × particles on target), so
    # the ratio below is the positron/electron yield per particle; 10% covers the
    # statistics of 1500 weighted events per mass (a few %) and the annihilation (< 1%)
    masses = np.array(BREM) * MeV
    electron = run_invisible(load_analysis("invisible_2016_2018"), masses, seed=3,
                             events_per_mass=1500, background_events=2000, nminus1=False)
    pot_e = sum(r.eot for r in electron.config.runs)
    pot_p = sum(r.pot for r in result.config.runs)
    for k, m in enumerate(masses):
        i = int(np.flatnonzero(np.isclose(result.masses, m))[0])
        kappa = electron.eps_90[k] ** 2 * pot_e / (result.eps_90[i] ** 2 * pot_p)
        assert kappa == pytest.approx(1.0, rel=0.1)
