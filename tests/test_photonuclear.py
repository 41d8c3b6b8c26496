"""The hadronic component of electromagnetic showers (:mod:`na64.detector.photonuclear`)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.detector import load_setup
from na64.detector import photonuclear as pn
from na64.generate.shower import track_length_spectrum
from na64.materials import get_material
from na64.physics.photoabsorption import sigma_gamma_nucleus
from na64.units import GeV, MeV

ECAL = load_setup("na64e_2016_2018").target


@pytest.fixture(scope="module")
def cascade():
    # na64's own cascade Monte Carlo, 100 GeV e- in lead, photons followed down to 0.2 GeV
    pb = get_material("Pb")
    r = track_length_spectrum(100 * GeV, pb, primary="e-", e_min=0.2 * GeV, n_showers=2000,
                              n_bins=20, depth_bins=80, depth_max=40 * pb.X0,
                              rng=np.random.default_rng(7))
    return pb, r


def test_photon_track_length_is_rossi_approximation_b(cascade):
    # dT/dk = C X0 E0/k^2 with C = 0.572 (Rossi 1952, Approximation B), for k >> eps_c
    pb, r = cascade
    inside = (r.centers > 0.5 * GeV) & (r.centers < 50 * GeV)
    c = r.photon[inside] * r.centers[inside] ** 2 / (pb.X0 * 100 * GeV)
    # the bins of 2000 showers scatter by a few %; 10% is the statistical margin
    assert np.all(np.abs(c / pn.TRACK_LENGTH_CONSTANT - 1.0) < 0.10)
    assert np.mean(c) == pytest.approx(pn.TRACK_LENGTH_CONSTANT, rel=0.04)


def test_photon_depth_model_matches_the_cascade(cascade):
    # mean depth ln(E0/k) + DEPTH_OFFSET, variance DEPTH_VARIANCE x mean (in X0), where
    # ln(E0/k) > 1; tolerance 0.3 X0 on the mean and 20% on the variance
    pb, r = cascade
    t = 0.5 * (r.depth_edges[1:] + r.depth_edges[:-1]) / pb.X0
    for i, k in enumerate(r.centers):
        if not (0.5 * GeV < k < 100 * GeV / np.e):
            continue
        w = r.photon_depth[i]
        mean = np.sum(w * t) / np.sum(w)
        var = np.sum(w * (t - mean) ** 2) / np.sum(w)
        model = np.log(100 * GeV / k) + pn.DEPTH_OFFSET
        assert mean == pytest.approx(model, abs=0.3)
        assert var == pytest.approx(pn.DEPTH_VARIANCE * model, rel=0.2)


def test_mean_interactions_is_the_integral():
    # mu(E0) = C E0 X0 sum_i f_i n_i int sigma/k^2 dk, integrated here directly
    e0 = 100 * GeV
    k = np.geomspace(pn.K_MIN, e0, 20001)
    sigma = np.zeros_like(k)
    for mat, share in ECAL.layer_fractions:
        for _z, a, n in mat.atoms_per_volume():
            sigma += share * n * sigma_gamma_nucleus(k, a)
    direct = pn.TRACK_LENGTH_CONSTANT * e0 * ECAL.X0 * np.trapezoid(sigma / k**2, k)
    table = pn.photonuclear_table(ECAL)
    assert float(table.mean_interactions(np.array([e0]))[0]) == pytest.approx(direct, rel=1e-3)
    # order of magnitude: ~15 mb per lead nucleus, ~57 X0 of photon track above 1 GeV
    assert 0.01 < direct < 0.03


def test_no_interaction_below_the_threshold():
    table = pn.photonuclear_table(ECAL)
    mu = table.mean_interactions(np.array([0.0, 10 * MeV, 0.999 * pn.K_MIN]))
    assert np.all(mu == 0.0)


def test_sampled_interactions():
    table = pn.photonuclear_table(ECAL)
    e0 = np.full(200000, 100 * GeV)
    index, k, depth = pn.sample_interactions(table, e0, np.random.default_rng(3))
    mu = float(table.mean_interactions(e0[:1])[0])
    # Poisson count: 200000 mu +- 3 sqrt(200000 mu)
    assert abs(index.size - 2e5 * mu) < 3 * np.sqrt(2e5 * mu)
    assert np.all((k >= pn.K_MIN) & (k <= 100 * GeV))
    assert np.all(depth > 0)
    # density ∝ sigma/k^2 with sigma rising slowly: the median is close to 2 k_min
    assert 1.6 * pn.K_MIN < np.median(k) < 2.4 * pn.K_MIN
    again = pn.sample_interactions(table, e0, np.random.default_rng(3))
    assert np.array_equal(again[1], k)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 5e6), min_size=1, max_size=50), st.integers(0, 2**32 - 1))
def test_finite_and_energy_conserving(energies, seed):
    table = pn.photonuclear_table(ECAL)
    e0 = np.array(energies)
    mu = table.mean_interactions(e0)
    assert np.all(np.isfinite(mu))
    assert np.all(mu >= 0)
    index, k, depth = pn.sample_interactions(table, e0, np.random.default_rng(seed))
    assert np.all(np.isfinite(k))
    assert np.all(np.isfinite(depth))
    total = np.bincount(index, weights=k, minlength=e0.size)
    assert np.all(total <= e0 * (1 + 1e-12))


def _g4() -> dict[str, tuple[float, float]]:
    path = Path(__file__).parent / "data" / "g4_em_hadronic.csv"
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    return {r["observable"]: (float(r["value"]), float(r["stat_error"]))
            for r in csv.DictReader(lines) if r["configuration"] == "e-_100"}


@pytest.mark.parametrize("k_gev", [1, 2, 5, 10])
def test_rate_against_geant4(k_gev):
    # Geant4 11.4 (G4PhotoNuclearCrossSection), 2000 showers of 100 GeV e- in the NA64
    # ECAL: interactions above k per shower, Poisson errors; within 3 of them
    value, err = _g4()[f"photonuclear_per_shower_k_gt_{k_gev}GeV"]
    table = pn.photonuclear_table(ECAL)
    e0 = np.array([100 * GeV])
    # mu above k: C E0 X0 (I(E0) - I(k))
    above = pn.TRACK_LENGTH_CONSTANT * e0 * table.x0 * (
        np.interp(e0, table.k, table.cumulative) - np.interp(k_gev * GeV, table.k,
                                                             table.cumulative))
    assert abs(float(above[0]) - value) <= 3 * err


def test_depth_against_geant4():
    # mean depth of the interactions above 1 GeV in X0 of the ECAL mixture (the beam
    # shower starts at the face): Geant4 5.4 +- 0.4; within 3 of its errors
    value, err = _g4()["photonuclear_depth_mean_X0_k_gt_1GeV"]
    table = pn.photonuclear_table(ECAL)
    _, _, depth = pn.sample_interactions(table, np.full(100000, 100 * GeV),
                                         np.random.default_rng(5))
    assert abs(depth.mean() - value) <= 3 * err
