"""Validation against the published NA64 2016-2018 invisible-mode limit.

Reference: NA64, PRL 123, 121801 (2019), arXiv:1906.00176, 90% CL upper limit on ε for
A' -> invisible with 2.84e11 EOT and zero observed events, read off the published curve
(tests/data/na64_invisible_2019.csv, reading uncertainty ~10%; provenance in
tests/data/README.md).

na64 computes the limit from its own signal efficiencies and background (nothing is fitted
to the curve).  The requirement is agreement within 30% in ε at every listed mass.
At 500 MeV and 1 GeV na64's limit is ~40% stronger than the published one: the selected
signal yield per EOT is about 2.6 times NA64's there, against 1.2-1.3 times at 1-10 MeV.
Those two masses are strict xfails of the default analysis, so that a change shows up as
XPASS.

The leading explanation (tested by ``test_epsilon_with_x_below_1_minus_m_over_e``):
the published yield does not count the A' that leave the recoil electron less than m_A' in
energy, x = E_A'/E > 1 - m_A'/E.  The fraction of na64's weighted (thick-target) production
in that region is 0.00 / 0.26 / 0.46 / 0.55 at 10 / 100 / 500 / 1000 MeV (6000 events,
seed 5), and the published yield x efficiency falls short of na64's, relative to 10 MeV, by
0.00 / 0.27 / 0.51 / 0.50 at the same masses (from the ratios 0.86, 0.73, 0.60, 0.60).  With
the analysis ``invisible_2016_2018_xcut`` (x <= 1 - m_A'/E, no other change) the ratio
na64/published is 0.88 0.85 0.84 0.79 0.86 at 1, 10, 100, 500, 1000 MeV (seed 1, 3000
events): flat, i.e. the whole mass dependence of the gap is this region, and the remaining
common ~15% is an overall efficiency (real-data losses that na64 does not simulate).  x <= 1 - m_A'/E is the ``Xmax = 1 - Xmin`` (Xmin = m_A'/E0) that DMG4 still
carries, commented as an "incorrect limit", in its heavy-A' angular sampling
(PKMuon/DMG4 ``DarkMatter::SimulateEmissionWithAngle``), and DMG4's HISTORY records fixing
an "incorrect Xmax in differential CS" in 2021, after the 2019 analysis.  NA64 did not
publish its x range, and the DMG4 code that survives moves such emissions to lower x rather
than dropping them, so on its own this would be a quantitative hypothesis.

It was then tested against a result made after DMG4's 2021 fixes: NA64's 2016-2022 limit
(9.37e11 EOT, PRL 131, 161801 (2023), arXiv:2307.02404, shipped as
``na64/data/published/na64_invisible_2023.csv``).  If the 2019 deficit is the missing
x > 1 - m/E region, the newer curve must have na64's *default* mass dependence and not the
truncated one.  It does (``test_mass_dependence_of_the_2023_result``): na64 default /
published-2023 at 10, 100, 500, 1000 MeV is flat (0.71 0.69 0.67 0.68 at 9.37e11 EOT,
seed 1), while with x <= 1 - m/E it rises 0.70 -> 0.97.  So the default (the physics,
the kinematic end point) is kept, and ``invisible_2016_2018_xcut`` reproduces the 2019
publication.  The common factor (~0.70 in ε against 2023, ~0.86 against 2019) is an overall
efficiency that na64 does not simulate (real-data losses); it differs between the two
publications, whose low-mass limits scale as 1.41 instead of sqrt(9.37/2.84) = 1.82.

The reference reading is not the cause of the 2019 gap: DarkCast's independent digitization
of the same curve (limits/NA64_NA642019imj.lmt) agrees with it within 3% at all five masses
(3.36e-3 at 500 MeV, 1.10e-2 at 1.006 GeV).  Excluded before the x range was found (numbers
at 1 GeV unless stated):
* total ETL sigma(E): within 2% of the DMG4 table for 20-160 GeV, including its steep energy
  dependence (sigma(50 GeV)/sigma(100 GeV) = 0.47 in both); inelastic part only 3%;
* primary track length above E0/2: 0.82-0.84 X0, inside the Bethe-Heitler bracket
  0.80-0.87 X0 (test_shower.py::test_thick_target_primary_track_length_above_half_e0);
  shower secondaries carry 6-7% of the production at 1 MeV-1 GeV;
* x shape: efficiency 0.645 (ETL), 0.619 (WW), 0.610 (IWW, the shape DMG4 samples), so the
  soft-recoil fraction does not move the efficiency (numbers before the event construction
  below was refined);
* event construction (na64.generate.particles.signal_particles): the recoil electron showers from
  the emission depth with p_T = E_A' sinθ_A' and the energy radiated before the emission
  showers from half that depth.  Weighted, 47% of the primary emissions at 1 GeV have a
  recoil angle above 0.1 rad (0.04% at 1 MeV), yet removing the recoil p_T changes the
  efficiency by < 0.001 at 1 MeV and 1 GeV (the recoil is soft when its angle is large).
  Splitting off the early radiation (it used to start at the emission depth with the
  recoil) raised the efficiency at every mass alike, 0.72 -> 0.80 at 1 MeV and 0.64 -> 0.73
  at 1 GeV;
* shower-shape χ²: it fits the impact point and its variance is
  calibrated on simulated electrons (<χ²/ndf> = 1 at 0.5-150 GeV, 99% of electrons below
  the cut of 6; before, the median for 100 GeV electrons was 2.5 and 88% passed).  The cut
  removes ~1% of the signal at every mass, so it cannot make the mass dependence;
* a maximum-cell requirement (the cell on the beam axis holds the most energy, as in NA64's
  analysis code) would keep > 99.9% of the signal at 1, 100 and 1000 MeV;
* pre-shower threshold (an na64 choice, not published): the pre-shower cut is the one that
  depends most on the mass (relative efficiency 0.97 at 1 MeV, 0.82 at 1 GeV), and raising
  its threshold lowers the high-mass efficiency faster.  ε(na64)/ε(published) at 1, 10,
  100, 500, 1000 MeV: 0.90 0.88 0.76 0.61 0.62 (0.5 GeV, default); 0.94 0.95 0.84 0.68 0.69
  (1 GeV); 1.15 1.22 1.10 0.95 0.93 (2 GeV) (``run_invisible`` with
  ``selection.preshower_min`` changed, seed 2019, 3000 events per mass; before the χ²
  calibration, which lowered every ratio by ≤ 0.01).  A 2 GeV threshold
  would put every mass within 30%, but nothing published supports that value and choosing
  it from the curve would be a fit, so the default stays 0.5 GeV.
Matching the curve would need, with na64's production per EOT (A' above e_min), a selected
fraction of 0.64, 0.61, 0.43, 0.28, 0.28 at 1, 10, 100, 500, 1000 MeV (na64: 0.84, 0.79,
0.77, 0.76, 0.75).  Where the mass dependence could come from: the high-mass signal is soft
in the ECAL.  The ETL A' takes nearly all the emitter's energy (weighted median 1 - x =
0.007 at 1 GeV, cf. 1 - x ~ m_A'/E0 of arXiv:0906.0580 Sec. II), so E_ECAL is mostly what
the electron radiated before the emission: weighted 10/25/50% quantiles of E_ECAL are
0.6/3.8/16.7 GeV at 1 GeV against 8.2/17.9/31.4 GeV at 1 MeV, and the 10% quantile of the
pre-shower energy is 0.23 GeV against 0.96 GeV.  Every requirement on the visible shower
(pre-shower threshold, trigger, shower identification at low energy) therefore costs more
at high mass; NA64's values for these are not public.
"""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from hepunits import MeV

from na64.plots.limits import read_overlay_csv
from na64.reach.config import load_analysis
from na64.reach.invisible import run_invisible

REFERENCE = Path(__file__).resolve().parent / "data" / "na64_invisible_2019.csv"

KNOWN_DISCREPANT = {500.0, 1000.0}

PUBLISHED_2023 = files("na64") / "data" / "published" / "na64_invisible_2023.csv"


def _reference() -> list[tuple[float, float]]:
    """(m_A' [MeV], published ε_90) of PRL 123, 121801 (2019)."""
    lines = [ln for ln in REFERENCE.read_text().splitlines() if ln and not ln.startswith("#")]
    return [(float(a), float(b)) for a, b in csv.reader(lines[1:])]


def _limits(analysis: str) -> dict[float, float]:
    """ε_90 of an analysis at the reference masses (MeV -> ε), 3000 events, seed 2019."""
    ref = _reference()
    masses = np.array([m for m, _ in ref]) * MeV
    res = run_invisible(load_analysis(analysis), masses, seed=2019, events_per_mass=3000)
    return {m: float(e) for (m, _), e in zip(ref, res.eps_90, strict=True)}


@pytest.fixture(scope="module")
def limits() -> dict[float, float]:
    return _limits("invisible_2016_2018")


def _cases() -> list[object]:
    ref = _reference()
    return [
        pytest.param(m, eps, marks=pytest.mark.xfail(
            strict=True, reason="the 2019 yield lacks the A' with x > 1 - m/E (see module doc)"))
        if m in KNOWN_DISCREPANT else pytest.param(m, eps)
        for m, eps in ref
    ]


@pytest.mark.slow
@pytest.mark.parametrize(("mass_mev", "eps_published"), _cases())
def test_epsilon_within_30_percent(limits, mass_mev, eps_published):
    # tolerance: the 30% (reading uncertainty of the curve ~10%, MC statistics ~1%)
    assert limits[mass_mev] == pytest.approx(eps_published, rel=0.30)


@pytest.fixture(scope="module")
def limits_xcut() -> dict[float, float]:
    return _limits("invisible_2016_2018_xcut")


@pytest.mark.slow
@pytest.mark.parametrize(("mass_mev", "eps_published"), _reference())
def test_epsilon_with_x_below_1_minus_m_over_e(limits_xcut, limits, mass_mev, eps_published):
    # The hypothesis of the module docstring: counting only x <= 1 - m_A'/E brings every
    # mass within the 30% (same tolerance as above).  Below ~20 MeV the region
    # x > 1 - m/E holds < 1% of the yield, so there the two analyses agree to the MC error
    # (1-2% in ε at 3000 events; 5% allowed); above, the cut can only weaken the limit.
    assert limits_xcut[mass_mev] == pytest.approx(eps_published, rel=0.30)
    if mass_mev <= 10:
        assert limits_xcut[mass_mev] == pytest.approx(limits[mass_mev], rel=0.05)
    else:
        assert limits_xcut[mass_mev] > limits[mass_mev]


def _published_2023() -> dict[float, float]:
    m, eps = read_overlay_csv(str(PUBLISHED_2023))
    return {round(float(x) / MeV, 6): float(e) for x, e in zip(m, eps, strict=True)}


@pytest.mark.slow
def test_mass_dependence_of_the_2023_result(limits, limits_xcut):
    # NA64's limit with the 2016-2022 data (made after DMG4's 2021 x-range fixes) has the
    # mass dependence of na64's default and not that of the truncated x range.  For zero
    # observed events the CLs limit on the signal count does not depend on the background,
    # so ε_90 scales as 1/sqrt(EOT) at every mass alike and the 2.84e11-EOT limits of the
    # fixtures have the same shape as 9.37e11-EOT ones.  Compared: the ratio's max/min over
    # 10 MeV - 1 GeV (the 2023 curve's lowest point is 1.055 MeV, not 1 MeV).  Tolerance 1.2:
    # 4 points with ~5% reading error each and ~2% MC error keep a flat truth below 1.2 at
    # > 3σ; the truncated range gives ~1.4 (measured 1.056 and 1.39).
    pub = _published_2023()
    masses = [10.0, 100.0, 500.0, 1000.0]
    default = np.array([limits[m] / pub[m] for m in masses])
    xcut = np.array([limits_xcut[m] / pub[m] for m in masses])
    assert default.max() / default.min() < 1.2
    assert xcut.max() / xcut.min() > 1.25
    # and the truncation's ratio grows with the mass, as the x > 1 - m/E share does
    assert np.all(np.diff(xcut[1:]) > 0)
