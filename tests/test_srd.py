"""Synchrotron radiation and the SRD: classical formulae, spectrum, e/pi separation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hepunits import GeV, MeV, keV, m, tesla
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from na64.beam import load_beam, load_beamline, sample_beam, srd_mean_deposit, srd_response, srd_tag
from na64.beam.srd import bend_geometry, srd_misid_probability
from na64.beam.synchrotron import (
    bending_radius,
    critical_energy,
    energy_loss_per_radian,
    mean_photon_energy,
    photon_fraction_above,
    photons_per_radian,
    sample_photon_energies,
    spectrum_shape,
)
from na64.constants import M_E, M_PI

GAMMA_100 = 100 * GeV / M_E


def test_critical_energy_practical_formula() -> None:
    # PDG 2024 review 10 "Electromagnetic relations", section 10.4, and the X-ray
    # Data Booklet (LBNL, 2009) section 2.1:
    # eps_c[keV] = 0.665 E^2[GeV] B[T] for electrons; 0.665 has 3 significant digits.
    for e_gev, b_t in [(100.0, 1.75), (6.0, 0.8), (150.0, 1.0)]:
        rho = bending_radius(e_gev * GeV, b_t * tesla)
        ec = critical_energy(e_gev * GeV / M_E, rho)
        assert ec / keV == pytest.approx(0.665 * e_gev**2 * b_t, rel=2e-3)


def test_energy_loss_practical_formula() -> None:
    # M. Sands, SLAC-121 (1970), section 4: U0 = C_gamma E^4 / rho per turn with
    # C_gamma = 4 pi r_e / (3 (m c^2)^3) = 8.846e-5 m/GeV^3, i.e. 88.46 keV (4 digits)
    e_gev, rho_m = 100.0, 190.0
    per_turn = 2 * math.pi * energy_loss_per_radian(e_gev * GeV / M_E, rho_m * m)
    assert per_turn / keV == pytest.approx(88.46 * e_gev**4 / rho_m, rel=5e-4)


def test_spectrum_normalisation_and_tabulated_values() -> None:
    # int S dx = 1 (Jackson 3rd ed. section 14.6); F(x) = x int_x^inf K53 has F(1) = 0.6514
    # and its maximum 0.9180 at x = 0.2858 (standard tabulated values of the
    # synchrotron function, e.g. H. Wiedemann, Particle Accelerator Physics, chapter
    # on synchrotron radiation); S = 9 sqrt3/(8 pi) F.
    norm = 9 * math.sqrt(3) / (8 * math.pi)
    total, _ = integrate.quad(lambda x: float(spectrum_shape(x)), 0, 60, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    assert float(spectrum_shape(1.0)) / norm == pytest.approx(0.6514, abs=5e-4)
    xs = np.linspace(0.2, 0.4, 201)
    f = spectrum_shape(xs) / norm
    assert xs[np.argmax(f)] == pytest.approx(0.2858, abs=2e-3)
    assert f.max() == pytest.approx(0.9180, abs=5e-4)


def test_sampled_mean_photon_energy() -> None:
    # <E> = 8/(15 sqrt3) E_c (first moment of S(x)/x); x has rms ~0.5 so with 1e6
    # photons the statistical error of the mean is ~5e-4: allow 4 sigma.
    rng = np.random.default_rng(np.random.SeedSequence(11))
    e = sample_photon_energies(np.full(1_000_000, 7.0), rng)
    assert np.all(np.isfinite(e))
    assert np.all(e >= 0)
    assert e.mean() == pytest.approx(float(mean_photon_energy(7.0)), abs=4 * e.std() / 1e3)
    # tail fraction above x = 1 vs the tabulated integral (binomial 4 sigma)
    frac = float(photon_fraction_above(1.0))
    assert np.mean(e > 7.0) == pytest.approx(frac, abs=4 * math.sqrt(frac * (1 - frac) / 1e6))


def _full_acceptance_line(field_t: float, length_m: float) -> object:
    """A beam line whose SRD catches every photon with unit efficiency and no noise."""
    table = load_beamline("h4_electrons").as_table()
    table["magnets"] = [{"name": "D", "field": f"{field_t}T", "length": f"{length_m}m", "z": "-30m"}]
    table["spectrometers"] = []
    table["srd"].update(
        inner_offset="0mm", width="1000mm", distance="1mm", module_depth="1000mm",
        attenuation_length="1mm", noise="0MeV", stochastic=0.0, max_total="1e6MeV",
    )
    return load_beamline(table)


def test_srd_photon_number_and_energy_vs_classical_formulae() -> None:
    # Weak dipole: mean photon number N = 5 alpha gamma theta / (2 sqrt3) ~ 1, so the
    # fraction of electrons without any deposit must be exp(-N) (Poisson), and the mean
    # deposit must be (2/3) alpha hbar c gamma^4 theta / rho (energy loss per radian).
    line = _full_acceptance_line(0.0167, 10.0)
    n = 200_000
    parts = {"pdg": np.full(n, 11), "energy": np.full(n, 100 * GeV)}
    resp = srd_response(parts, line, np.random.default_rng(np.random.SeedSequence(5)))  # type: ignore[arg-type]
    p = np.array([100 * GeV])
    theta, rho = bend_geometry(p, np.array([-1.0]), line)  # type: ignore[arg-type]
    n_mean = float(photons_per_radian(GAMMA_100) * theta[0])
    p0 = math.exp(-n_mean)
    zero = np.mean(resp.sum(axis=1) == 0.0)
    assert 0.3 < n_mean < 3.0
    assert zero == pytest.approx(p0, abs=5 * math.sqrt(p0 * (1 - p0) / n))
    u_expected = float(energy_loss_per_radian(GAMMA_100, rho[0]) * theta[0])
    total = resp.sum(axis=1)
    assert total.mean() == pytest.approx(u_expected, abs=5 * total.std() / math.sqrt(n))


def test_srd_monte_carlo_matches_analytic_mean() -> None:
    line = load_beamline("h4_electrons")
    beam = load_beam({"energy": "100GeV"})
    parts = sample_beam(beam, line, 100_000, np.random.default_rng(1))
    resp = srd_response(parts, line, np.random.default_rng(2))
    expect = srd_mean_deposit(parts, line)
    # noise (0.1 MeV, symmetric) and clipping at 0 are negligible against ~10 MeV means;
    # statistical error of each module mean is std/sqrt(n) ~ 0.03 MeV: allow 5 sigma.
    err = resp.std(axis=0) / math.sqrt(resp.shape[0])
    np.testing.assert_allclose(resp.mean(axis=0), expect.mean(axis=0), atol=5 * err.max())
    # several MeV per module from 100 GeV electrons in ~7 T*m of dipoles: the SR
    # energy scale E_c ~ 10 MeV (0.665 E^2 B keV) sets it
    assert np.all(resp.mean(axis=0) > 1 * MeV)


def test_pion_srd_energy_is_suppressed_by_gamma_cubed() -> None:
    line = load_beamline("h4_electrons")
    e = {"pdg": np.array([11]), "energy": np.array([100 * GeV])}
    pi = {"pdg": np.array([-211]), "energy": np.array([100 * GeV])}
    # E_c ∝ gamma^3 / rho, rho identical at equal momentum: ratio (m_e/m_pi)^3 ~ 5e-8
    _, rho = bend_geometry(np.array([100 * GeV]), np.array([1.0]), line)
    ratio = critical_energy(100 * GeV / M_PI, rho) / critical_energy(GAMMA_100, rho)
    assert float(ratio[0]) == pytest.approx((M_E / M_PI) ** 3, rel=1e-6)
    assert srd_mean_deposit(pi, line).sum() < 1e-6 * srd_mean_deposit(e, line).sum()


def test_pion_suppression_exceeds_1e5() -> None:
    # NA64 requires > 1e5 pion suppression from the SRD (Depero et al.,
    # arXiv:1703.05993).  Analytic upper bound from the SR tail and the noise:
    line = load_beamline("h4_electrons")
    bound = srd_misid_probability(-211, 100 * GeV, line)
    assert 0.0 <= bound < 1e-5
    # Monte Carlo: 0 tags in 3e5 pions -> P < 3/3e5 = 1e-5 at 95% CL
    n = 300_000
    pi = {"pdg": np.full(n, -211), "energy": np.full(n, 100 * GeV)}
    tags = srd_tag(srd_response(pi, line, np.random.default_rng(3)), line)
    assert tags.sum() == 0
    # electrons are tagged with a large efficiency in the same configuration
    el = {"pdg": np.full(20_000, 11), "energy": np.full(20_000, 100 * GeV)}
    eff = srd_tag(srd_response(el, line, np.random.default_rng(4)), line).mean()
    assert eff > 0.5


def test_srd_response_reproducible_and_shaped() -> None:
    line = load_beamline("h4_electrons")
    beam = load_beam({"energy": "100GeV", "admixtures": [{"particle": "pi-", "fraction": 0.05}]})
    parts = sample_beam(beam, line, 5000, np.random.default_rng(9))
    a = srd_response(parts, line, np.random.default_rng(10))
    b = srd_response(parts, line, np.random.default_rng(10))
    assert a.shape == (5000, 3)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))
    assert np.all(a >= 0)
    assert srd_response({"pdg": np.zeros(0, int), "energy": np.zeros(0)}, line,
                        np.random.default_rng(0)).shape == (0, 3)


@settings(max_examples=30, deadline=None)
@given(
    pdg=st.sampled_from([11, -11, 13, -13, -211, 211, -321, 2212, 111]),
    energy_gev=st.floats(0.5, 1000.0),
    field_t=st.floats(0.01, 9.0),
    distance_m=st.floats(0.01, 90.0),
    inner_mm=st.floats(0.0, 500.0),
    noise=st.floats(0.0, 5.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_srd_response_finite_everywhere(
    pdg: int, energy_gev: float, field_t: float, distance_m: float, inner_mm: float,
    noise: float, seed: int,
) -> None:
    table = load_beamline("h4_electrons").as_table()
    table["magnets"][0]["field"] = f"{field_t}T"
    table["srd"].update(distance=f"{distance_m}m", inner_offset=f"{inner_mm}mm", noise=f"{noise}MeV")
    line = load_beamline(table)
    parts = {"pdg": np.full(200, pdg), "energy": np.full(200, energy_gev * GeV)}
    resp = srd_response(parts, line, np.random.default_rng(seed))
    assert np.all(np.isfinite(resp))
    assert np.all(resp >= 0)
    mean = srd_mean_deposit(parts, line)
    assert np.all(np.isfinite(mean))
    prob = srd_misid_probability(pdg, energy_gev * GeV, line)
    assert 0.0 <= prob <= 1.0
