"""The visible-mode chain: decay law, widths, pair kinematics, reweighting, band, selection."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64 import InputError
from na64.constants import ALPHA, HBARC, M_E, M_MU
from na64.detector import load_setup
from na64.generate.visible import (
    coupling_weights,
    decay_region,
    two_body_decay,
    unit_coupling_model,
    visible_particles,
)
from na64.models import make_model
from na64.physics.decay import decay_density, decay_probability
from na64.stats import exclusion_band
from na64.units import GeV, MeV

SETUP = load_setup("na64e_visible_2018")


# ------------------------------------------------------------------ widths and decay lengths
@pytest.mark.parametrize("name", ["dark-photon", "x-vector", "x-pseudoscalar"])
def test_decay_length_scales_as_inverse_eps2_m2_at_fixed_energy(name):
    """λ = (p/m) ħc/Γ with Γ ∝ ε² m (m ≫ m_e): at fixed energy λ ∝ 1/(ε² m²), at fixed
    boost p/m ∝ 1/(ε² m)."""
    def model(m, eps):
        if name == "dark-photon":
            return make_model(name, mass=m, epsilon=eps, alpha_D=0.0)
        return make_model(name, mass=m, coupling=eps * math.sqrt(4 * math.pi * ALPHA))

    e = 100 * GeV
    base = float(model(20 * MeV, 1e-4).decay_length(e))
    assert float(model(20 * MeV, 2e-4).decay_length(e)) == pytest.approx(base / 4, rel=1e-9)
    # m_e corrections (1 + 2 m_e²/m²) β are below 0.3% at 20 and 40 MeV
    assert float(model(40 * MeV, 1e-4).decay_length(e)) == pytest.approx(base / 4, rel=5e-3)
    boost = float(model(40 * MeV, 1e-4).decay_length(2 * e))
    assert boost == pytest.approx(base / 2, rel=5e-3)


def test_vector_and_pseudoscalar_widths_are_the_closed_forms():
    """Γ_V = α ε² m (1 + 2m_e²/m²) β/3 and Γ_P = α ε² m β/2 with g = ε e (arXiv:1912.11389,
    arXiv:2104.13342 conventions), β = sqrt(1 − 4 m_e²/m²); BR(e+e−) = 1 below 2 m_μ."""
    m, eps = 16.7 * MeV, 3e-4
    g = eps * math.sqrt(4 * math.pi * ALPHA)
    beta = math.sqrt(1 - 4 * M_E**2 / m**2)
    gv = ALPHA * eps**2 * m * (1 + 2 * M_E**2 / m**2) * beta / 3
    gp = ALPHA * eps**2 * m * beta / 2
    assert make_model("x-vector", mass=m, coupling=g).total_width == pytest.approx(gv, rel=1e-12)
    assert make_model("x-pseudoscalar", mass=m, coupling=g).total_width == pytest.approx(
        gp, rel=1e-12)
    dp = make_model("dark-photon", mass=m, epsilon=eps, alpha_D=0.0)
    assert dp.total_width == pytest.approx(gv, rel=1e-9)
    assert dp.branching_ratios()["e+e-"] == pytest.approx(1.0)
    assert make_model("dark-photon", mass=2.5 * M_MU, epsilon=eps,
                      alpha_D=0.0).branching_ratios()["e+e-"] < 0.6
    # the unit-coupling model couples to electrons with e: its ε = 1
    unit = unit_coupling_model(make_model("x-pseudoscalar", mass=m, coupling=1e-5))
    assert unit.lepton_coupling("e") == pytest.approx(1.0)
    assert unit.ctau == pytest.approx(HBARC / (ALPHA * m * beta / 2), rel=1e-12)


# ------------------------------------------------------------------ decay law
def test_decay_probability_closed_form():
    lam = 50.0
    assert decay_probability(10.0, 60.0, lam) == pytest.approx(
        math.exp(-10 / lam) - math.exp(-60 / lam), rel=1e-14)
    # λ ≫ L: P ≈ L/λ without cancellation
    assert decay_probability(0.0, 1.0, 1e15) == pytest.approx(1e-15, rel=1e-9)
    assert decay_probability(0.0, 1.0, np.inf) == 0.0
    assert decay_probability(1e6, 2e6, 1e-3) == 0.0


@settings(max_examples=200, deadline=None)
@given(d1=st.floats(0, 1e7), span=st.floats(0, 1e7), lam=st.floats(1e-12, 1e300))
def test_decay_law_is_finite_and_bounded(d1, span, lam):
    p = float(decay_probability(d1, d1 + span, lam))
    assert 0.0 <= p <= 1.0
    assert np.isfinite(float(decay_density(d1, lam)))


def test_decay_density_integrates_to_the_probability():
    lam, a, b = 37.0, 5.0, 120.0
    x = np.linspace(a, b, 20001)
    assert np.trapezoid(decay_density(x, lam), x) == pytest.approx(
        float(decay_probability(a, b, lam)), rel=1e-7)


# ------------------------------------------------------------------ pair kinematics
def test_two_body_decay_conserves_four_momentum():
    rng = np.random.default_rng(3)
    n, m = 2000, 16.7 * MeV
    e = rng.uniform(30, 140, n) * GeV
    tx, ty = rng.normal(0, 1e-3, n), rng.normal(0, 1e-3, n)
    d = two_body_decay(e, tx, ty, m, M_E, rng)
    np.testing.assert_allclose(d["e1"] + d["e2"], e, rtol=1e-12)

    def p3(energy, sx, sy):
        p = np.sqrt(energy**2 - M_E**2)
        n_ = np.sqrt(1 + sx**2 + sy**2)
        return p * np.stack([sx / n_, sy / n_, 1 / n_])

    pe = np.sqrt(e**2 - m**2)
    parent = pe * np.stack([tx, ty, np.ones(n)]) / np.sqrt(1 + tx**2 + ty**2)
    total = p3(d["e1"], d["tx1"], d["ty1"]) + p3(d["e2"], d["tx2"], d["ty2"])
    np.testing.assert_allclose(total, parent, atol=1e-6 * GeV)
    # invariant mass and the typical opening angle ~ 2 m / E
    mass2 = e**2 - np.sum(total**2, axis=0)
    np.testing.assert_allclose(np.sqrt(mass2), m, rtol=1e-4)
    ratio = np.median(d["angle"] / (2 * m / e))
    assert 1.0 < ratio < 2.5


def test_two_body_decay_below_threshold_is_an_error():
    with pytest.raises(InputError, match="threshold"):
        two_body_decay(np.array([1e5]), np.zeros(1), np.zeros(1), 1.0 * MeV, M_E,
                       np.random.default_rng(0))


# ------------------------------------------------------------------ per-event decay weights
def _truth(n, rng, e_x=60 * GeV, z=10.0):
    return {"e_aprime": np.full(n, e_x), "e_emitter": np.full(n, 150 * GeV),
            "from_primary": np.ones(n, bool), "z": np.full(n, z), "theta": np.zeros(n),
            "phi": rng.uniform(0, 2 * np.pi, n)}


def _beam(n):
    return {"pdg": np.full(n, 11), "energy": np.full(n, 150 * GeV), "x": np.zeros(n),
            "y": np.zeros(n),
            "tx": np.zeros(n), "ty": np.zeros(n)}


@pytest.mark.parametrize("eps", [5e-5, 2e-4, 8e-4])
def test_reweighting_reproduces_the_decay_probability(eps):
    """Σ density × Jacobian / N over the uniform decay points is the probability to decay in
    the decay region (Eq. (1) of na64.physics.decay), for any coupling."""
    rng = np.random.default_rng(5)
    n = 40_000
    model = make_model("dark-photon", mass=16.7 * MeV, epsilon=1e-4, alpha_D=0.0)
    _, dec = visible_particles(_truth(n, rng), _beam(n), 150 * GeV, SETUP, model, rng)
    w = coupling_weights(np.ones(n) / n, dec, eps)
    z_a, z_b = decay_region(SETUP)
    lam = float(model.with_coupling(eps).decay_length(60 * GeV))
    expected = float(decay_probability(z_a - 10.0, z_b - 10.0, lam)) * eps**2
    assert w.sum() == pytest.approx(expected, rel=0.03)


def test_visible_particles_conserve_energy_and_start_in_the_decay_region():
    rng = np.random.default_rng(7)
    n = 500
    model = make_model("x-pseudoscalar", mass=16.7 * MeV, coupling=1e-4)
    parts, dec = visible_particles(_truth(n, rng, e_x=40 * GeV), _beam(n), 150 * GeV, SETUP,
                                   model, rng)
    vis = np.bincount(parts["event"], weights=parts["energy"] - parts["e_invisible"],
                      minlength=n)
    np.testing.assert_allclose(vis, 150 * GeV, rtol=1e-9)
    z_a, z_b = decay_region(SETUP)
    pair = np.abs(parts["pdg"]) == 11
    born = parts["z_start"][pair]
    assert np.all(born[born > z_a] <= z_b)
    assert np.all((dec["z_decay"] >= z_a) & (dec["z_decay"] <= z_b))


def test_the_pair_fires_the_decay_counter_and_showers_in_the_ecal():
    """Through the fast simulation: two MIPs in the decay counter, the boson's energy in the
    ECAL, the rest in the WCAL."""
    from na64.pipeline import EventPipeline

    rng = np.random.default_rng(11)
    n = 400
    pipe = EventPipeline(SETUP)
    model = make_model("dark-photon", mass=16.7 * MeV, epsilon=1e-4, alpha_D=0.0)
    truth = _truth(n, rng, e_x=50 * GeV)
    beam = pipe.core(n, rng)
    parts, dec = visible_particles(truth, beam, pipe.energy, SETUP, model, rng)
    ev = pipe.events(beam, rng, calorimeter=parts)
    after = dec["z_decay"] > SETUP.veto.z + SETUP.veto.length - SETUP.target.z
    # a MIP in 4 mm of plastic: 1.956 MeV cm^2/g x 1.032 g/cm^3 (PDG 2024 atomic and
    # nuclear properties, polyvinyltoluene) x 0.4 cm = 0.81 MeV
    mip = 0.8 * MeV
    assert np.median(ev["decay_counter_energy"][after]) == pytest.approx(2 * mip, rel=0.3)
    e_x = dec["e_x"]
    assert np.median(ev["ecal_energy"] / e_x) == pytest.approx(1.0, abs=0.05)
    assert np.median(ev["energy_sum"]) == pytest.approx(pipe.energy, rel=0.05)
    # decays before the end of W2 put the pair through it
    before = ~after
    if before.any():
        assert np.median(ev["veto_energy"][before]) > 0.5 * MeV


# ------------------------------------------------------------------ the band
def test_exclusion_band_finds_the_analytic_edges():
    """N(ε) = A ε⁴ exp(−(ε/c)²): the edges solve N = S_up."""
    eps = np.geomspace(1e-6, 1e-1, 2000)
    a, c, s_up = 1e18, 1e-3, 2.3
    n = a * eps**4 * np.exp(-(eps / c) ** 2)
    band = exclusion_band(eps, n, s_up)
    from scipy.optimize import brentq

    # log of the yield written out (the exponential underflows at e = 1)
    f = lambda e: math.log(a) + 4 * math.log(e) - (e / c) ** 2 - math.log(s_up)  # noqa: E731
    peak = c * math.sqrt(2)
    assert band.low[0] == pytest.approx(brentq(f, 1e-7, peak), rel=2e-3)
    assert band.high[0] == pytest.approx(brentq(f, peak, 1.0), rel=2e-3)
    none = exclusion_band(eps, n * 1e-12, s_up)
    assert not none.excluded[0]
    assert np.isnan(none.low[0])


def test_exclusion_band_rejects_bad_grids():
    with pytest.raises(InputError):
        exclusion_band([1e-3, 1e-4], [[1.0, 2.0]], 2.3)
    with pytest.raises(InputError):
        exclusion_band([1e-4, 1e-3], [[1.0, np.nan]], 2.3)
