"""ETL cross sections against published DMG4 values, runnable without ../shared.

Reference numbers: DMG4 package, test reference tables of e- Pb -> e- Pb A' (vector, exact
tree level, eps = 1e-4, X energy above max(10 MeV, 2 m_X)), arXiv:2101.12192; the full table
is ../shared/reference/dmg4_sigma_vector_pb.csv (tested in test_dark_brem.py when present).
A subset of its published values is quoted here so that the comparison also runs on a clean
clone.  Tolerance 5% (issue 3); we find <= 2.6% (test_dark_brem.py).
"""

from __future__ import annotations

import pytest
from hepunits import GeV, MeV, picobarn

from na64.physics import dark_brem as db

# (m_A' [MeV], E0 [GeV], sigma [pb]) from the DMG4 reference table (arXiv:2101.12192)
DMG4 = [
    (2, 20, 90711.9), (2, 100, 91284.1), (2, 160, 91397.1),
    (10, 20, 7994.97), (10, 100, 8486.3), (10, 160, 8544.49),
    (20, 20, 2253.41), (20, 100, 2620.75), (20, 160, 2671.91),
    (50, 20, 322.708), (50, 100, 466.909), (50, 160, 498.221),
    (100, 20, 61.7703), (100, 100, 106.04), (100, 160, 119.076),
    (200, 20, 9.75603), (200, 100, 20.7077), (200, 160, 24.3661),
    (500, 20, 0.496444), (500, 100, 1.79844), (500, 160, 2.32613),
    (1000, 20, 0.0191653), (1000, 100, 0.191974), (1000, 160, 0.288934),
]


@pytest.mark.parametrize(("mass", "energy", "sigma_pb"), DMG4)
def test_etl_matches_published_dmg4_values(mass: float, energy: float, sigma_pb: float) -> None:
    ours = db.total_cross_section(mass * MeV, energy * GeV, coupling=1e-4) / picobarn
    assert ours == pytest.approx(sigma_pb, rel=0.05)
