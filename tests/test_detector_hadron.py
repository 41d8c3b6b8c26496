"""Hadrons in the NA64e setup: interaction probability, EM fraction, e/h."""

from __future__ import annotations

import numpy as np
import pytest

from na64.detector import deposit, hadron, load_setup
from na64.detector.hadron import (
    MESON_INTERACTION_LENGTH_SCALE,
    em_fraction_mean,
    hadronic_lateral_radius,
    interaction_length_scale,
    sample_em_fraction,
)
from na64.units import GeV

SETUP = load_setup("na64e_2016_2018")


def test_pion_interaction_probability_in_ecal() -> None:
    # P(interaction within L) = 1 - exp(-L/lambda) (PDG 2024 Review 34), lambda = the
    # nuclear interaction length of the Pb/Sc mixture (PDG lambda_int of Pb and polystyrene)
    # times the meson/nucleon ratio fitted to Geant4 (0.737 +- 0.014 for 100 GeV pi- in
    # this ECAL).  Binomial standard error for 20000 pions ~0.3%: 4 sigma = 0.012.
    ecal = SETUP.ecal
    assert ecal is not None
    n = 20_000
    dep = deposit(SETUP, {"pdg": np.full(n, -211), "energy": np.full(n, 100 * GeV)},
                  np.random.default_rng(21))
    z = dep["true_interaction_z"]
    frac = np.mean((z >= 0) & (z < ecal.length))
    lam = ecal.lambda_int * MESON_INTERACTION_LENGTH_SCALE
    expected = 1 - np.exp(-ecal.length / lam)
    assert frac == pytest.approx(expected, abs=0.012)
    assert frac == pytest.approx(0.737, abs=0.014 * 3)
    # nucleons keep lambda_int
    assert float(interaction_length_scale(np.array([2212]))[0]) == 1.0


def test_em_fraction_follows_groom_power_law() -> None:
    # Groom NIM A 572 (2007) 633 power law with E0 = 1 GeV, k = 0.82: f_em(100 GeV) =
    # 1 - 100^-0.18 = 0.563; the Beta sampler has this mean (1% for 1e5 samples).
    assert float(em_fraction_mean(100 * GeV)) == pytest.approx(1 - 100**-0.18, rel=1e-12)
    f = sample_em_fraction(np.full(100_000, 100 * GeV), np.random.default_rng(2))
    assert f.mean() == pytest.approx(1 - 100**-0.18, rel=0.01)
    assert np.all((f >= 0) & (f <= 1))
    # f_em increases with energy (more pi0 generations)
    assert em_fraction_mean(10 * GeV) < em_fraction_mean(100 * GeV)


def test_hadronic_lateral_95_percent_at_lambda() -> None:
    # Fraction inside r of R^2/(pi (r^2+R^2)^2) is r^2/(r^2+R^2): 95% at r = lambda_int.
    lam = 167.7
    r = hadronic_lateral_radius(lam)
    assert lam**2 / (lam**2 + r**2) == pytest.approx(0.95, rel=1e-12)


def test_pion_visible_energy_below_beam_energy_and_e_over_h() -> None:
    # e/h > 1: the mean visible energy of contained pion showers is below the beam energy
    # by (1 - f_em)(1 - h/e) (Wigmans, "Calorimetry" (2017), Ch. 3).  Energy is not
    # created: the only excess over E is the ionization of the track before the first
    # interaction, shown at the electron scale (x 1/(e/mip) <= 1/0.65 on <~3 GeV).
    n = 5000
    dep = deposit(SETUP, {"pdg": np.full(n, 211), "energy": np.full(n, 100 * GeV)},
                  np.random.default_rng(4))
    vis = dep["ecal"].sum(axis=(1, 2, 3)) + dep["hcal"].sum(axis=(1, 2, 3)) + dep["veto"].sum(1)
    assert np.all(vis <= 100 * GeV + 3 * GeV)
    assert vis.mean() < 0.95 * 100 * GeV
    assert vis.mean() > 0.6 * 100 * GeV


def test_meson_interaction_length_shrinks_towards_low_energy():
    # at 100 GeV the fitted ratio itself; below it (E/100 GeV)^MESON_SCALE_EXPONENT, so a
    # 2 GeV pion interacts sooner; nucleons keep lambda_int at every energy
    e = np.array([100.0, 10.0, 2.0]) * GeV
    pi = hadron.interaction_length_scale(np.full(3, -211), e)
    assert pi[0] == pytest.approx(hadron.MESON_INTERACTION_LENGTH_SCALE)
    assert pi[0] > pi[1] > pi[2]
    assert np.all(hadron.interaction_length_scale(np.full(3, 2212), e) == 1.0)


def test_hadronic_profile_is_shorter_at_low_energy():
    # mean depth of the lambda component alpha/rate: shorter for a 2 GeV shower than for a
    # 100 GeV one (both in lambda_int)
    _, _, a, d = hadron.profile_parameters(np.array([2.0, 100.0]) * GeV)
    assert a[0] / d[0] < a[1] / d[1]


def test_cluster_count():
    n = hadron.cluster_count(np.array([0.1, 1.0, 2.6, 100.0]) * GeV, 1.0 * GeV)
    assert n.tolist() == [1, 1, 3, 100]
    with pytest.raises(ValueError, match="cluster_energy"):
        hadron.cluster_count(np.array([1.0]), 0.0)


def test_clusters_keep_the_mean_and_add_fluctuations():
    # the same showers with and without clusters: the mean HCAL signal of 5 GeV pions is
    # kept (within the Monte Carlo error), the event-to-event spread grows
    setup = load_setup("na64e_2016_2018")
    parts = {"pdg": np.full(20000, -211), "energy": np.full(20000, 5.0 * GeV)}
    saved = hadron.CLUSTER_ENERGY
    try:
        hadron.CLUSTER_ENERGY = 0.0
        smooth = deposit(setup, parts, np.random.default_rng(4))["hcal"].sum(axis=(1, 2, 3))
        hadron.CLUSTER_ENERGY = 1.0 * GeV
        lumpy = deposit(setup, parts, np.random.default_rng(4))["hcal"].sum(axis=(1, 2, 3))
    finally:
        hadron.CLUSTER_ENERGY = saved
    err = np.hypot(smooth.std(), lumpy.std()) / np.sqrt(smooth.size)
    assert abs(lumpy.mean() - smooth.mean()) < 4 * err
    assert lumpy.std() > smooth.std()
