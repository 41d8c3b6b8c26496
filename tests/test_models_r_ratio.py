"""Tests for the computed hadronic R ratio (na64.physics.r_ratio)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.constants import M_PI, M_PI0
from na64.physics.r_ratio import (
    alpha_s,
    r_components,
    r_pipi,
    r_qcd,
    r_ratio,
    r_vector_current,
)
from na64.units import GeV, MeV


def test_r_at_2gev_matches_pqcd_and_data():
    # PDG 2024 "Plots of cross sections and related quantities" (R(sqrt s) figure): R at
    # 2 GeV is 2.0-2.5; pQCD 3*sum(Q^2)*(1 + alpha_s/pi) = 2*(1 + 0.30/pi) = 2.19.
    assert 2.0 < float(r_ratio(2 * GeV)) < 2.5


def test_r_below_charm_and_above_bottom_thresholds():
    # pQCD parton-model levels (PDG 2024 QCD review, R in e+e- annihilation): 10/3 (udsc) and 11/3 (udscb)
    # times (1 + alpha_s/pi + ...) ~ 1.06-1.09; tolerance covers the alpha_s corrections.
    assert 10 / 3 * 1.02 < float(r_ratio(9 * GeV)) < 10 / 3 * 1.12
    assert 11 / 3 * 1.02 < float(r_ratio(12 * GeV)) < 11 / 3 * 1.10


def test_alpha_s_reference_values():
    # alpha_s(M_Z) = 0.1180 (PDG 2024) is the input; one-loop running gives alpha_s(2 GeV)
    # ~ 0.27 vs the 4-loop 0.30 (PDG 2024 QCD review), so allow 0.24-0.32.
    assert float(alpha_s(91.1876 * GeV)) == pytest.approx(0.1180, rel=1e-9)
    assert 0.24 < float(alpha_s(2 * GeV)) < 0.32
    # asymptotic freedom: alpha_s decreases with the scale
    q = np.geomspace(1 * GeV, 100 * GeV, 50)
    assert np.all(np.diff(alpha_s(q)) < 0)


@pytest.mark.parametrize(
    ("peak", "lo", "hi", "r_min"),
    [
        # rho(770): measured peak R ~ 8-10 (PDG 2024 R(sqrt s) figure); BW with Gamma_ee = 7.04 keV
        # gives 9 B_ee/alpha^2 = 8; require a clear local maximum above 5.
        (775.26 * MeV, 600 * MeV, 900 * MeV, 5.0),
        # omega(782): peak 9 B_ee B_had / alpha^2 = 12.2 on top of the rho
        (782.66 * MeV, 740 * MeV, 830 * MeV, 12.0),
        # phi(1020): peak 9 B_ee B_had / alpha^2 = 50
        (1019.461 * MeV, 990 * MeV, 1060 * MeV, 40.0),
    ],
)
def test_r_peaks_at_vector_mesons(peak, lo, hi, r_min):
    w = np.linspace(lo, hi, 4001)
    r = r_ratio(w)
    w_max = w[np.argmax(r)]
    # the maximum sits near the PDG mass: the narrow omega/phi within 1.5 MeV; the broad
    # rho's R_pipi = beta^3 |F|^2 / 4 maximum is pulled ~15 MeV below M by the rising
    # beta^3 and falling tail (measured sigma(pi pi) peaks at 760-775 MeV)
    tol = 20 * MeV if peak < 780 * MeV else 1.5 * MeV
    if peak < 780 * MeV:
        w_max = w[np.argmax(r_pipi(w))]
    assert abs(w_max - peak) < tol
    assert r.max() > r_min


def test_r_zero_below_hadronic_threshold():
    # the lightest hadronic e+e- final state is pi0 gamma (m_pi0 = 135 MeV)
    w = np.linspace(1 * MeV, M_PI0 * 0.999, 100)
    assert np.all(r_ratio(w) == 0.0)
    # and pi+ pi- opens at 2 m_pi with the P-wave beta^3 law: R(2m_pi + d) ~ d^1.5
    d1, d2 = 1 * MeV, 4 * MeV
    ratio = float(r_pipi(2 * M_PI + d2) / r_pipi(2 * M_PI + d1))
    assert ratio == pytest.approx(4**1.5, rel=0.05)  # |F_pi|^2 ~ const over 3 MeV


def test_pqcd_continuum_is_flavour_counting():
    # massless limit of N_c sum Q^2 v(3-v^2)/2 with a_s -> 0 is the parton model: the ratio
    # r_qcd / (1 + a_s + c2 a_s^2) at 3 GeV must be 2 (u, d, s) -- checks the normalisation.
    a = float(alpha_s(3 * GeV)) / np.pi
    k = 1 + a + (1.9857 - 0.1152 * 3) * a**2
    assert float(r_qcd(3 * GeV)) / k == pytest.approx(2.0, rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0.0, max_value=20_000.0))
def test_r_is_finite_and_non_negative(w):
    r = float(r_ratio(w * MeV))
    assert np.isfinite(r)
    assert r >= 0.0


def test_vector_current_reproduces_em_and_b_minus_l():
    w = np.geomspace(200 * MeV, 12 * GeV, 300)
    em = r_vector_current(w, 2 / 3, -1 / 3, -1 / 3, 2 / 3, -1 / 3)
    np.testing.assert_allclose(em, r_ratio(w), rtol=1e-12)
    c = r_components(w)
    np.testing.assert_allclose(sum(c.values()), r_ratio(w), rtol=1e-12)
    third = 1 / 3
    bl = r_vector_current(w, third, third, third, third, third)
    # VMD (arXiv:1801.04847, Sec. 2): omega weight (x_u + x_d)^2 / (Q_u + Q_d)^2 = 4,
    # phi weight (x_s / Q_s)^2 = 1, rho weight (x_u - x_d)^2 = 0, charmonium (x_c / Q_c)^2
    # = 1/4; continuum N_c sum x^2 / N_c sum Q^2: light 1/2, charm 1/4, beauty 1
    np.testing.assert_allclose(bl, 4 * c["omega"] + c["phi"] + 0.25 * c["charmonium"]
                               + 0.5 * c["light"] + 0.25 * c["charm"] + c["beauty"], rtol=1e-12)
    # parton model: N_c sum x_q^2 = 3 * 3/9 = 1 for u, d, s, half the photon's 2, at 3 GeV
    # (below open charm, where the resonance tails are < 1 %)
    ratio = float(r_vector_current(3 * GeV, third, third, third) / r_ratio(3 * GeV))
    assert ratio == pytest.approx(0.5, rel=0.02)
