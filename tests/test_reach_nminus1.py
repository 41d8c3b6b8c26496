"""N−1 distributions of the invisible selection (na64.reach.nminus1)."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from na64.reach import Search, load_analysis
from na64.reach.nminus1 import nminus1_distributions, write_nminus1
from na64.units import GeV, MeV

CFG = load_analysis("invisible_2016_2018")


@pytest.fixture(scope="module")
def result():
    return nminus1_distributions(Search(CFG), [2 * MeV, 20 * MeV, 500 * MeV],
                                 np.random.SeedSequence(5), n_signal=600, n_background=3000)


def test_samples_and_cuts(result):
    assert [s for s in result.samples if s.startswith("signal")] == [
        "signal m=2 MeV", "signal m=20 MeV", "signal m=500 MeV"]
    assert {"e- beam", "pi- beam", "K- beam"} <= set(result.samples)
    assert set(result.cuts) == {"srd", "veto", "single_track", "beam_momentum", "preshower",
                                "shower_shape", "ecal_max", "hcal_max"}


def test_physics_of_the_distributions(result):
    # beam electrons passing every other cut deposit the full beam energy in the ECAL:
    # mean within 3% of 100 GeV (beam spread 1%, ECAL resolution ~1% at 100 GeV)
    h = result.hists["e- beam"]["ecal_max"]
    centers, vals = h.axes[0].centers, np.asarray(h.values())
    assert vals.sum() > 1000
    assert np.average(centers, weights=vals) == pytest.approx(100 * GeV, rel=0.03)
    # signal events that pass the other cuts: the A' took > ~47 GeV (generation threshold),
    # so almost all of them sit below ~55 GeV in the ECAL, most inside the 50 GeV box
    for s in (x for x in result.samples if x.startswith("signal")):
        h = result.hists[s]["ecal_max"]
        c, v = h.axes[0].centers, np.asarray(h.values())
        assert v[c < 50 * GeV].sum() / v.sum() > 0.85
        # no hadronic energy behind an electromagnetic signal event
        hh = result.hists[s]["hcal_max"]
        assert np.asarray(hh.values())[hh.axes[0].centers < 1 * GeV].sum() / hh.sum().value > 0.95


def test_csv_fractions_and_reproducibility(result, tmp_path):
    write_nminus1(result, tmp_path, plots=False)
    rows = list(csv.DictReader((tmp_path / "nminus1.csv").open()))
    total = defaultdict(float)
    for r in rows:
        total[(r["sample"], r["cut"])] += float(r["fraction"])
        assert float(r["sum_w"]) >= 0
        assert float(r["sum_w2"]) >= 0
    assert all(t == pytest.approx(1.0, abs=1e-4) or t == 0.0 for t in total.values())
    again = nminus1_distributions(Search(CFG), [2 * MeV, 20 * MeV, 500 * MeV], np.random.SeedSequence(5),
                                  n_signal=600, n_background=3000)
    write_nminus1(again, tmp_path / "b", plots=False)
    assert (tmp_path / "b" / "nminus1.csv").read_text() == (tmp_path / "nminus1.csv").read_text()
