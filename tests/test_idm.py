"""Tests for inelastic dark matter: na64.physics.idm, na64.models.Idm, na64.generate.idm."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import na64.physics.idm as pidm
from na64 import InputError
from na64.constants import ALPHA, HBARC, M_E, M_MU, M_PI0
from na64.generate.idm import (
    CHAIN_PARTICLES,
    chi2_flight_distance,
    idm_decay_in_flight,
    pair_particles,
    visible_energy_fraction,
)
from na64.generate.processes import get_process
from na64.models import Idm, make_model
from na64.physics.widths import width_vector
from na64.units import GeV, MeV

# ----------------------------------------------------------------------------- widths


def test_chi1chi2_width_is_the_dirac_width_without_splitting():
    # Delta -> 0: the pseudo-Dirac pair is one Dirac fermion, Gamma = alpha_D m/3 (1 + 2r) beta
    # (Eq. (1) of na64.physics.widths)
    m, mc, ad = 300 * MeV, 100 * MeV, 0.1
    assert float(pidm.width_chi1chi2(m, mc, mc, ad)) == pytest.approx(
        float(width_vector(m, mc, ad)), rel=1e-13)


@pytest.mark.parametrize(("m1", "m2", "m"), [(100.0, 110.0, 300.0), (100.0, 140.0, 300.0),
                                             (10.0, 80.0, 95.0), (1.0, 1.5, 2.6)])
def test_chi1chi2_width_from_the_unfactored_trace(m1, m2, m):
    # Gamma = |p| / (8 pi M^2) x (1/3) sum |M|^2 with (1/3) sum |M|^2 =
    # (2 g^2 / 3)[2M^2 - m1^2 - m2^2 + 6 m1 m2 - (m1^2 - m2^2)^2 / M^2] (PDG two-body rate;
    # the trace before the factorisation used in the module)
    ad = 0.3
    g2 = 4 * math.pi * ad
    lam = (m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)
    p = math.sqrt(lam) / (2 * m)
    msq = 2 * g2 / 3 * (2 * m**2 - m1**2 - m2**2 + 6 * m1 * m2 - (m1**2 - m2**2) ** 2 / m**2)
    assert float(pidm.width_chi1chi2(m, m1, m2, ad)) == pytest.approx(
        p * msq / (8 * math.pi * m**2), rel=1e-12)


def test_chi1chi2_width_closes_at_threshold():
    assert float(pidm.width_chi1chi2(300.0, 100.0, 200.0, 0.1)) == 0.0
    assert float(pidm.width_chi1chi2(300.0, 100.0, 250.0, 0.1)) == 0.0
    # just above threshold it opens as the velocity beta ~ sqrt(1 - (m1+m2)^2/M^2)
    w1 = float(pidm.width_chi1chi2(300.0, 100.0, 199.0, 0.1))
    w2 = float(pidm.width_chi1chi2(300.0, 100.0, 199.75, 0.1))
    assert w1 > w2 > 0
    assert w1 / w2 == pytest.approx(2.0, rel=2e-3)


@pytest.mark.parametrize("delta", [1e-3, 3e-3, 1e-2, 3e-2, 0.1])
def test_small_splitting_limit(delta):
    # arXiv:1508.03050 / arXiv:1703.06881: Gamma -> 4 eps^2 alpha alpha_D Delta^5 m1^5 /
    # (15 pi M^4) for Delta << 1 and a massless lepton.  Expanding Eq. (3) of the module in
    # d = m2 - m1: G = 2 m1 m2 (d^2 - s)(1 + O(d^2/m^2)), |p1*| = sqrt(d^2 - s)(m1 + d/2)/m2,
    # so Gamma/limit = (m1/m2)(1 - Delta/2) + ... = 1 - 3/2 Delta + O(Delta^2, d^2/M^2).
    # The limit is therefore accurate to O(Delta): we require |ratio - 1| <= 2 Delta, and
    # the derived first-order term to hold up to a second-order remainder, <= 3 Delta^2
    # (coefficient of order one: (m1/m2) expanded to second order gives 1 + 3/4 ... plus
    # the propagator's 2 d^2/M^2 = 2 Delta^2/9).  The lepton mass is set 1e-7 d to isolate
    # the Delta expansion.
    m1 = 100 * MeV
    m2, m = (1 + delta) * m1, 3 * m1
    exact = float(pidm.chi2_width(m1, m2, m, 1e-3, 0.1, 1e-7 * delta * m1))
    limit = float(pidm.chi2_width_small_splitting(m1, delta, m, 1e-3, 0.1))
    ratio = exact / limit
    assert abs(ratio - 1) <= 2 * delta
    assert abs(ratio - (1 - 1.5 * delta)) <= 3 * delta**2


def test_small_splitting_formula_value():
    # the formula itself: eps = 1e-3, alpha_D = 0.1, m1 = 100 MeV, Delta = 0.1, M = 300 MeV
    v = 4 * 1e-6 * ALPHA * 0.1 * (10 * MeV) ** 5 / (15 * math.pi * (300 * MeV) ** 4)
    assert float(pidm.chi2_width_small_splitting(100 * MeV, 0.1, 300 * MeV, 1e-3, 0.1)) == \
        pytest.approx(v, rel=1e-14)


def _width_from_spectrum(m1, m2, m, eps, ad, m_l, nodes=2000):
    """Eq. (3) integrated over s with its own u-map Gauss-Legendre rule (independent of the
    Dalitz integral of chi2_width)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.25 * math.pi * (x + 1)
    s0, s1 = 4 * m_l**2, (m2 - m1) ** 2
    s = s0 + (s1 - s0) * np.sin(u) ** 2
    jac = 0.25 * math.pi * w * (s1 - s0) * np.sin(2 * u)
    return float(np.sum(jac * pidm.chi2_dgamma_ds(s, m1, m2, m, eps, ad, m_l)))


@pytest.mark.parametrize(("m1", "delta", "m_l"), [(100.0, 0.1, M_E), (100.0, 0.4, M_E),
                                                  (20.0, 0.1, M_E), (1000.0, 0.4, M_MU),
                                                  (600.0, 0.4, M_MU), (5.0, 0.25, M_E)])
def test_dalitz_integral_equals_integrated_pair_spectrum(m1, delta, m_l):
    # Eq. (2) (full |M|^2 over the Dalitz plot) and Eq. (3) (lepton tensor integrated
    # analytically over the pair angles) are two routes to the same width
    m2, m = (1 + delta) * m1, 3 * m1
    dal = float(pidm.chi2_width(m1, m2, m, 1e-4, 0.5, m_l))
    assert dal > 0
    assert dal == pytest.approx(_width_from_spectrum(m1, m2, m, 1e-4, 0.5, m_l), rel=1e-9)


def test_dalitz_integral_is_converged(monkeypatch):
    args = [(100.0, 110.0, 300.0), (100.0, 140.0, 300.0), (3.0, 4.2, 9.0), (1000.0, 1400.0,
                                                                           3000.0)]
    base = [float(pidm.chi2_width(a, b, c, 1e-3, 0.1)) for a, b, c in args]
    monkeypatch.setattr(pidm, "_GL_S", np.polynomial.legendre.leggauss(1024))
    fine = [float(pidm.chi2_width(a, b, c, 1e-3, 0.1)) for a, b, c in args]
    for b, f in zip(base, fine, strict=True):
        assert b == pytest.approx(f, rel=1e-8)


def test_chi2_width_thresholds_and_lepton_mass():
    m1 = 100 * MeV
    # closed at and below 2 m_l
    assert float(pidm.chi2_width(m1, m1 + 2 * M_E, 300.0, 1e-3, 0.1)) == 0.0
    assert float(pidm.chi2_width(m1, m1 + 0.5 * M_E, 300.0, 1e-3, 0.1)) == 0.0
    assert float(pidm.chi2_width(m1, m1 + 200 * MeV, 700.0, 1e-3, 0.1, M_MU)) == 0.0
    # a heavier lepton closes phase space: the muon width is below the electron width and
    # approaches it (lepton universality) as the splitting d grows far above 2 m_mu
    ratios = []
    for m1 in (1 * GeV, 3 * GeV, 100 * GeV):
        w = pidm.chi2_widths(m1, 1.4 * m1, 3 * m1, 1e-3, 0.1)
        ratios.append(float(w["chi1 mu+mu-"] / w["chi1 e+e-"]))
    assert ratios[0] < ratios[1] < ratios[2] < 1
    assert ratios[2] > 0.99                              # d = 40 GeV: 2 m_mu / d = 0.005
    # with m_e -> 0 the width rises (threshold factor beta (1 + 2 m^2/s) < 1 on average)
    assert float(pidm.chi2_width(m1, 1.1 * m1, 300.0, 1e-3, 0.1, M_E)) < float(
        pidm.chi2_width(m1, 1.1 * m1, 300.0, 1e-3, 0.1, 1e-6))


def test_hadronic_channel_opens_above_pi0_gamma():
    w = pidm.chi2_widths(1 * GeV, 1.1 * GeV, 3 * GeV, 1e-3, 0.1)
    assert float(w["chi1 hadrons"]) == 0.0           # d = 100 MeV < m_pi0
    w = pidm.chi2_widths(3 * GeV, 4.2 * GeV, 9 * GeV, 1e-3, 0.1)  # d = 1.2 GeV: rho, omega
    assert float(w["chi1 hadrons"]) > 0.3 * float(w["chi1 mu+mu-"])
    assert 1.2 * GeV > M_PI0


# ----------------------------------------------------------------------------- model


def test_benchmark_point_and_y():
    a = Idm(300 * MeV, 1e-4)
    assert a.alpha_D == 0.1
    assert a.delta == 0.1
    assert a.m_chi1 == pytest.approx(100 * MeV, rel=1e-15)
    assert a.m_chi2 == pytest.approx(110 * MeV, rel=1e-15)
    assert a.y == pytest.approx(1e-8 * 0.1 / 81, rel=1e-13)
    assert make_model("idm", mass=300 * MeV, epsilon=1e-4) == a


@pytest.mark.parametrize("delta", [0.1, 0.4])
@pytest.mark.parametrize("mass", [40 * MeV, 150 * MeV, 600 * MeV, 3 * GeV])
def test_branching_ratios_sum_to_one(mass, delta):
    a = Idm(mass, 3e-4, alpha_D=0.5, delta=delta)
    assert sum(a.branching_ratios().values()) == pytest.approx(1.0, rel=1e-13)
    assert sum(a.chi2_branching_ratios().values()) == pytest.approx(1.0, rel=1e-13)
    # alpha_D >> eps^2 alpha: the A' goes to the dark sector
    assert a.invisible_fraction > 0.999
    assert a.widths()["chichi"] == pytest.approx(float(pidm.width_chi1chi2(
        mass, a.m_chi1, a.m_chi2, 0.5)), rel=1e-15)


def test_chi2_lengths_scale_as_one_over_epsilon_squared():
    a = Idm(450 * MeV, 1e-4, delta=0.4)
    e = np.array([250.0, 5e3, 8e4]) * MeV
    lam = a.chi2_decay_length(e)
    # lambda = (p/m) hbar c / Gamma (PDG 2024 "Kinematics")
    p_over_m = np.sqrt((e / a.m_chi2) ** 2 - 1)
    assert lam == pytest.approx(p_over_m * HBARC / a.chi2_total_width(), rel=1e-12)
    assert a.chi2_decay_length(e, epsilon=1e-3) == pytest.approx(lam / 100, rel=1e-12)
    assert a.with_coupling(1e-3).chi2_decay_length(e) == pytest.approx(lam / 100, rel=1e-12)
    assert a.chi2_ctau(3e-4) == pytest.approx(a.chi2_ctau() / 9, rel=1e-12)
    # an array of couplings broadcasts against the energies
    grid = a.chi2_decay_length(e[None, :], epsilon=np.array([[1e-4], [1e-3]]))
    assert grid.shape == (2, 3)
    assert grid[1] == pytest.approx(lam / 100, rel=1e-12)


def test_chi2_survival_and_decay_probability():
    a = Idm(300 * MeV, 1e-3, delta=0.4)
    e = 50 * GeV
    lam = float(a.chi2_decay_length(e))
    assert float(a.chi2_survival(e, lam)) == pytest.approx(math.exp(-1), rel=1e-12)
    p = float(a.chi2_decay_probability(e, 0.5 * lam, 2 * lam))
    assert p == pytest.approx(math.exp(-0.5) - math.exp(-2), rel=1e-12)
    assert float(a.chi2_survival(e, 0.0)) == 1.0


def test_widths_and_chi2_widths_scale_with_couplings():
    a = Idm(600 * MeV, 1e-4, delta=0.4)
    b = a.with_coupling(2e-4)
    for k, v in a.chi2_widths().items():
        assert b.chi2_widths()[k] == pytest.approx(4 * v, rel=1e-12)
    c = Idm(600 * MeV, 1e-4, alpha_D=0.4, delta=0.4)
    assert c.widths()["chichi"] == pytest.approx(4 * a.widths()["chichi"], rel=1e-12)
    assert c.chi2_total_width() == pytest.approx(4 * a.chi2_total_width(), rel=1e-12)


@pytest.mark.parametrize(("params", "field", "text"), [
    ({"delta": -0.1}, "delta", "must be in (2 m_e/m_chi = 0.0102"),
    ({"delta": 0.0}, "delta", "must be in"),
    ({"delta": 1.0}, "delta", "mass/m_chi - 2 = 1)"),          # m_chi2 = 2 m_chi: closed
    ({"delta": 1.5}, "delta", "A' -> chi1 chi2"),
    ({"delta": math.nan}, "delta", "got nan"),
    ({"delta": "x"}, "delta", "must be a number"),
    ({"m_chi": 150 * MeV}, "m_chi", "mass/2 = 150"),
    ({"m_chi": -1.0}, "m_chi", "must be in (0"),
    ({"alpha_D": 0.0}, "alpha_D", "must be in (0, 12.5664]"),
    ({"epsilon": 2.0}, "epsilon", "must be in [1e-20, 1]"),
    ({"mass": -1.0}, "mass", "must be in [0.001, 10000] MeV"),
])
def test_bad_input_names_field_and_range(params, field, text):
    base = {"mass": 300 * MeV, "epsilon": 1e-4}
    with pytest.raises(InputError) as exc:
        Idm(**{**base, **params})
    assert exc.value.field == field
    assert text in exc.value.message


def test_no_splitting_possible_for_light_mass():
    # m_chi = mass/3 with mass < 6 m_e: no Delta satisfies both thresholds
    with pytest.raises(InputError) as exc:
        Idm(2 * MeV, 1e-3)
    assert exc.value.field == "delta"


def test_bad_energies_and_distances():
    a = Idm(300 * MeV, 1e-4)
    with pytest.raises(InputError) as exc:
        a.chi2_decay_length(100 * MeV)                  # below m_chi2 = 110 MeV
    assert exc.value.field == "energy"
    with pytest.raises(InputError) as exc:
        a.chi2_decay_length(1 * GeV, epsilon=0.0)
    assert exc.value.field == "epsilon"
    with pytest.raises(InputError) as exc:
        a.chi2_survival(1 * GeV, -1.0)
    assert exc.value.field == "distance"
    with pytest.raises(InputError):
        a.chi2_decay_probability(1 * GeV, 2.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(mass=st.floats(3.2, 10_000.0), ratio=st.floats(2.05, 50.0), frac=st.floats(0.0, 1.0),
       alpha_d=st.floats(1e-6, 4 * math.pi), eps=st.floats(1e-12, 1.0))
def test_no_nan_or_inf_over_parameter_space(mass, ratio, frac, alpha_d, eps):
    m1 = mass * MeV / ratio
    lo, hi = 2 * M_E / m1, mass * MeV / m1 - 2
    if not lo < hi:
        return
    delta = lo + (hi - lo) * (0.001 + 0.998 * frac)
    a = Idm(mass * MeV, eps, alpha_D=alpha_d, delta=delta, m_chi=m1)
    values = [*a.widths().values(), *a.branching_ratios().values(), a.total_width, a.ctau,
              *a.chi2_widths().values(), *a.chi2_branching_ratios().values(),
              a.chi2_total_width(), a.chi2_ctau(), a.y, a.invisible_fraction]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert a.chi2_total_width() > 0
    lam = a.chi2_decay_length(np.array([a.m_chi2, 2 * a.m_chi2, 100 * GeV + a.m_chi2]))
    assert np.all(np.isfinite(lam))
    assert np.all(lam >= 0)


# ----------------------------------------------------------------------------- decays


def _events(model, n, seed, e_max=100 * GeV):
    rng = np.random.default_rng(seed)
    e = rng.uniform(model.mass, e_max, n)
    tx, ty = rng.normal(0, 0.02, n), rng.normal(0, 0.02, n)
    return e, tx, ty, idm_decay_in_flight(e, tx, ty, model, rng)


def _p4(d, key):
    return np.stack([d[key + "_energy"], d[key + "_px"], d[key + "_py"], d[key + "_pz"]])


@pytest.mark.parametrize("delta", [0.1, 0.4])
@pytest.mark.parametrize("mass", [40 * MeV, 300 * MeV, 1.5 * GeV])
def test_energy_momentum_conservation(mass, delta):
    a = Idm(mass, 1e-4, delta=delta)
    e, tx, ty, d = _events(a, 5000, 7)
    norm = np.sqrt(1 + tx**2 + ty**2)
    p = np.sqrt(e**2 - mass**2)
    ref = np.stack([e, p * tx / norm, p * ty / norm, p / norm])
    total = sum(_p4(d, k) for k in ("chi1", "chi1_decay", "minus", "plus"))
    assert np.max(np.abs(total - ref) / e) < 1e-9
    # the chi2 is the sum of its decay products
    chi2 = sum(_p4(d, k) for k in ("chi1_decay", "minus", "plus"))
    assert np.max(np.abs(chi2 - _p4(d, "chi2")) / e) < 1e-9
    # every particle on its mass shell (E^2 - p^2 loses ~1e-16 E^2 to rounding)
    for key, m in (("chi1", a.m_chi1), ("chi2", a.m_chi2), ("chi1_decay", a.m_chi1),
                   ("minus", M_E), ("plus", M_E)):
        q = _p4(d, key)
        m2 = q[0] ** 2 - np.sum(q[1:] ** 2, axis=0)
        assert np.max(np.abs(m2 - m**2)) < 1e-9 * np.max(q[0]) ** 2
    assert np.allclose(d["visible_fraction"], (d["minus_energy"] + d["plus_energy"]) / e,
                       rtol=1e-15)
    assert np.allclose(d["e_invisible"] + d["minus_energy"] + d["plus_energy"], e, rtol=1e-9)


@pytest.mark.parametrize("delta", [0.1, 0.4])
def test_pair_mass_within_kinematic_bounds(delta):
    a = Idm(150 * MeV, 1e-4, delta=delta)
    _, _, _, d = _events(a, 20000, 3)
    dm = a.m_chi2 - a.m_chi1
    assert np.all(d["m_pair"] >= 2 * M_E * (1 - 1e-12))
    assert np.all(d["m_pair"] <= dm * (1 + 1e-12))
    # and from the lab four-vectors, which are independent of the m_pair column
    q = _p4(d, "minus") + _p4(d, "plus")
    mll2 = q[0] ** 2 - np.sum(q[1:] ** 2, axis=0)
    tol = 1e-9 * np.max(q[0]) ** 2
    assert np.all(mll2 >= 4 * M_E**2 - tol)
    assert np.all(mll2 <= dm**2 + tol)


def test_same_seed_same_events_and_other_seed_differs():
    a = Idm(300 * MeV, 1e-4, delta=0.4)
    _, _, _, d1 = _events(a, 1000, 11)
    _, _, _, d2 = _events(a, 1000, 11)
    _, _, _, d3 = _events(a, 1000, 12)
    for k in d1:
        assert np.array_equal(d1[k], d2[k]), k
    assert not np.array_equal(d1["minus_energy"], d3["minus_energy"])


def _dalitz_moments(m1, m2, m, m_l, nodes=400):
    """<s>, <t>, <s^2>, <t^2> of the Dalitz density |M|^2 (Eq. (2)), by Gauss-Legendre."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    u = 0.25 * math.pi * (x + 1)
    s0, s1 = 4 * m_l**2, (m2 - m1) ** 2
    s = s0 + (s1 - s0) * np.sin(u) ** 2
    ws = 0.25 * math.pi * w * (s1 - s0) * np.sin(2 * u)
    t_lo, t_hi = pidm._t_limits(s, m1, m2, m_l)
    xt, wt = np.polynomial.legendre.leggauss(8)
    t = 0.5 * (t_hi + t_lo)[:, None] + 0.5 * (t_hi - t_lo)[:, None] * xt
    dens = (ws * 0.5 * (t_hi - t_lo))[:, None] * wt * pidm.chi2_msq(s[:, None], t, m1, m2,
                                                                     m_l, m)
    norm = dens.sum()
    ss = np.broadcast_to(s[:, None], t.shape)
    return [float((dens * v).sum() / norm) for v in (ss, t, ss**2, t**2)]


@pytest.mark.parametrize("delta", [0.1, 0.4])
def test_sampled_dalitz_distribution_matches_matrix_element(delta):
    # s = (k1 + k2)^2 and t = (p1 + k1)^2 from the lab four-vectors (Lorentz invariants)
    # against the moments of |M|^2 over the Dalitz plot; tolerance 5 standard errors
    a = Idm(300 * MeV, 1e-4, delta=delta)
    rng = np.random.default_rng(5)
    n = 40000
    e = rng.uniform(0.4, 5.0, n) * GeV
    d = idm_decay_in_flight(e, 0.0, 0.0, a, rng)
    km, kp, p1 = _p4(d, "minus"), _p4(d, "plus"), _p4(d, "chi1_decay")

    def sq(v):
        return v[0] ** 2 - np.sum(v[1:] ** 2, axis=0)

    s, t = sq(km + kp), sq(p1 + km)
    ms, mt, ms2, mt2 = _dalitz_moments(a.m_chi1, a.m_chi2, a.mass, M_E)
    for sample, mean, second in ((s, ms, ms2), (t, mt, mt2)):
        err = math.sqrt((second - mean**2) / n)
        assert abs(sample.mean() - mean) < 5 * err
        assert np.var(sample) == pytest.approx(second - mean**2, rel=0.05)


def test_a_prime_decay_is_isotropic_in_its_rest_frame():
    # E_chi2 = gamma (E2* + beta p* cos), cos uniform: <E_chi2> = gamma E2*, and E_chi2 fills
    # [gamma (E2* - beta p*), gamma (E2* + beta p*)] uniformly
    a = Idm(300 * MeV, 1e-4, delta=0.4)
    rng = np.random.default_rng(9)
    n, e = 50000, 20 * GeV
    d = idm_decay_in_flight(np.full(n, e), 0.0, 0.0, a, rng)
    m, m1, m2 = a.mass, a.m_chi1, a.m_chi2
    e2s = (m**2 + m2**2 - m1**2) / (2 * m)
    p_star = math.sqrt((m**2 - (m1 + m2) ** 2) * (m**2 - (m1 - m2) ** 2)) / (2 * m)
    g = e / m
    bg = math.sqrt(g**2 - 1)
    lo, hi = g * e2s - bg * p_star, g * e2s + bg * p_star
    x = (d["chi2_energy"] - lo) / (hi - lo)
    assert np.all((x > -1e-9) & (x < 1 + 1e-9))
    assert abs(x.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(np.var(x) - 1 / 12) < 5 * math.sqrt(1 / 180 / n)


def test_muon_channel_and_closed_channel():
    a = Idm(3 * GeV, 1e-4, delta=0.4)                   # d = 400 MeV > 2 m_mu
    rng = np.random.default_rng(1)
    d = idm_decay_in_flight(np.full(500, 50 * GeV), 0.0, 0.0, a, rng, channel="mu+mu-")
    assert np.all(d["m_pair"] >= 2 * M_MU * (1 - 1e-12))
    b = Idm(300 * MeV, 1e-4, delta=0.4)
    with pytest.raises(InputError) as exc:
        idm_decay_in_flight(np.full(5, 50 * GeV), 0.0, 0.0, b, rng, channel="mu+mu-")
    assert exc.value.field == "channel"
    with pytest.raises(InputError) as exc:
        idm_decay_in_flight(np.full(5, 50 * GeV), 0.0, 0.0, b, rng,
                            channel="tau+tau-")  # type: ignore[arg-type]
    assert exc.value.field == "channel"


@pytest.mark.parametrize("energy", [[100.0], [np.nan], [1e20], [[1e3, 2e3]]])
def test_decay_bad_energy(energy):
    a = Idm(300 * MeV, 1e-4)
    with pytest.raises(InputError) as exc:
        idm_decay_in_flight(np.asarray(energy), 0.0, 0.0, a, np.random.default_rng(0))
    assert exc.value.field == "energy"


def test_pair_particles_columns_and_geometry():
    a = Idm(300 * MeV, 1e-4, delta=0.4)
    rng = np.random.default_rng(4)
    n = 100
    e, tx, ty = np.full(n, 30 * GeV), rng.normal(0, 1e-3, n), rng.normal(0, 1e-3, n)
    d = idm_decay_in_flight(e, tx, ty, a, rng)
    x0, y0, z0 = rng.normal(0, 5, n), rng.normal(0, 5, n), rng.uniform(0, 400, n)
    zd = z0 + rng.uniform(0, 5000, n)
    parts = pair_particles(d, x0, y0, z0, zd)
    assert set(parts) == {"pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible",
                          "event"}
    assert all(v.shape == (2 * n,) for v in parts.values())
    assert np.array_equal(parts["pdg"][:n], np.full(n, 11))
    assert np.array_equal(parts["pdg"][n:], np.full(n, -11))
    # both leptons pass through the chi2 decay point
    xd = x0 + d["chi2_tx"] * (zd - z0)
    for half in (slice(0, n), slice(n, 2 * n)):
        x_at = parts["x"][half] + parts["tx"][half] * parts["z_start"][half]
        assert np.allclose(x_at, xd, rtol=0, atol=1e-9)
    dist = chi2_flight_distance(d, z0, zd)
    assert np.allclose(dist, (zd - z0) * np.sqrt(1 + d["chi2_tx"] ** 2 + d["chi2_ty"] ** 2))


def test_visible_fraction_is_bounded_and_grows_with_splitting():
    rng = np.random.default_rng(2)
    f1 = visible_energy_fraction(Idm(300 * MeV, 1e-4, delta=0.1), 50 * GeV, 20000, rng)
    f4 = visible_energy_fraction(Idm(300 * MeV, 1e-4, delta=0.4), 50 * GeV, 20000, rng)
    for f in (f1, f4):
        assert np.all((f > 0) & (f < 1))
    # the pair carries at most the chi2 energy minus a chi1: f < E_chi2,max (1 - m1/m2)/E
    # roughly; it is larger for the larger splitting
    assert np.median(f4) > 2 * np.median(f1)


@settings(max_examples=30, deadline=None)
@given(mass=st.floats(5.0, 5000.0), delta_frac=st.floats(0.0, 1.0),
       energy=st.floats(1.0, 1e6), slope=st.floats(-0.5, 0.5), seed=st.integers(0, 2**32 - 1))
def test_decays_never_nan(mass, delta_frac, energy, slope, seed):
    m1 = mass / 3
    lo, hi = 2 * M_E / m1, mass / m1 - 2
    if not lo < hi:
        return
    a = Idm(mass * MeV, 1e-4, delta=lo + (hi - lo) * (0.001 + 0.998 * delta_frac))
    e = np.array([mass, mass * energy, mass * (1 + 1e-12)])
    d = idm_decay_in_flight(np.minimum(e, 1e15), slope, -slope, a, np.random.default_rng(seed))
    for k in (f"{p}_{c}" for p in CHAIN_PARTICLES for c in ("energy", "px", "tx")):
        assert np.all(np.isfinite(d[k])), k
    assert np.all(np.isfinite(d["visible_fraction"]))


def test_brem_produces_the_idm_a_prime():
    assert "idm" in get_process("brem").models
