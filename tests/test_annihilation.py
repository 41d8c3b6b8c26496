"""Resonant annihilation e+ e- -> A' -> chi chi: cross section, generator, reach.

References for the values asserted here:
* the tree-level s-channel cross section of e+e- -> mu+mu- (PDG 2024, review "Cross-section
  formulae for specific processes"), sigma = 4 pi alpha^2/(3 s) beta (3 - beta^2)/2, which
  becomes the Dirac-chi annihilation cross section with alpha^2 -> eps^2 alpha alpha_D and
  1/s -> s/|s - m^2 + i m Gamma|^2 (an expression written independently of the module's
  Breit-Wigner in terms of partial widths);
* the peak value sigma(s = m^2) = 12 pi B_ee B_f / m^2 (PDG resonance formation);
* the narrow-width integral int sigma dE = 2 pi^2 alpha eps^2 B_f / m_e (arXiv:1802.03794,
  Sec. II), independent of the A' mass.
"""

from __future__ import annotations

import math
from importlib.resources import files

import numpy as np
import pytest
from hepunits import GeV, MeV, cm3, g
from hepunits.constants import Avogadro
from hypothesis import given, settings
from hypothesis import strategies as st

from na64 import InputError
from na64.constants import ALPHA, HBARC, M_E
from na64.generate import AnnihilationSignal, electron_density
from na64.models import DarkPhoton
from na64.physics.annihilation import (
    annihilation_cross_section,
    integrated_cross_section,
    mass_from_resonance_energy,
    resonance_energy,
    resonance_width,
)
from na64.reach import load_analysis, run_invisible
from na64.reach.outputs import summary_dict


def _dirac_closed_form(e_pos: np.ndarray, m: float, alpha_d: float, m_chi: float,
                       gamma: float) -> np.ndarray:
    s = 2 * M_E * (M_E + e_pos)
    beta = np.sqrt(np.clip(1 - 4 * m_chi**2 / s, 0, None))
    return (4 * math.pi / 3 * ALPHA * alpha_d * s * beta * (3 - beta**2) / 2
            / ((s - m**2) ** 2 + m**2 * gamma**2) * HBARC**2)


@pytest.mark.parametrize("mass", [50 * MeV, 250 * MeV, 1 * GeV])
def test_dirac_cross_section_equals_the_s_channel_formula(mass):
    gamma = resonance_width(mass, epsilon=1.0)
    e = np.geomspace(1 * GeV, 2000 * GeV, 200)
    ours = annihilation_cross_section(e, mass)
    ref = _dirac_closed_form(e, mass, 0.5, mass / 3, gamma)
    # tolerance: the closed form neglects m_e in Gamma_ee, a (1 + 2m_e^2/s) sqrt(1 - 4m_e^2/s)
    # factor that differs from 1 by < 1e-3 for sqrt(s) > 45 MeV (E+ > 1 GeV)
    np.testing.assert_allclose(ours, ref, rtol=1e-3)


@pytest.mark.parametrize(("alpha_d", "final"), [(0.5, "invisible"), (0.1, "invisible"),
                                                 (0.0, "e+e-")])
def test_peak_value_is_12pi_bee_bf_over_m2(alpha_d, final):
    m = 200 * MeV
    eps = 1e-3
    ap = DarkPhoton(m, eps, alpha_D=alpha_d)
    br = ap.branching_ratios()
    b_f = br["chichi"] if final == "invisible" else br["e+e-"]
    peak = annihilation_cross_section(resonance_energy(m), m, epsilon=eps, alpha_D=alpha_d,
                                      final=final)
    assert peak == pytest.approx(12 * math.pi * br["e+e-"] * b_f / m**2 * HBARC**2, rel=1e-9)


@pytest.mark.parametrize("mass", [20 * MeV, 150 * MeV, 300 * MeV])
def test_narrow_width_integral_is_mass_independent(mass):
    # alpha_D = 0.01: Gamma/m = 3e-3, narrow enough for Eq. (2) to 1%
    a_d = 0.01
    gamma = resonance_width(mass, epsilon=1e-3, alpha_D=a_d)
    e_r = float(resonance_energy(mass))
    half = e_r * gamma / mass
    e = e_r + half * np.tan(np.linspace(-0.5 * math.pi, 0.5 * math.pi, 200_001)[1:-1] * 0.9999)
    sig = annihilation_cross_section(e, mass, epsilon=1e-3, alpha_D=a_d)
    numeric = float(np.sum(0.5 * (sig[1:] + sig[:-1]) * np.diff(e)))
    nwa = integrated_cross_section(mass, epsilon=1e-3, alpha_D=a_d)
    assert numeric == pytest.approx(nwa, rel=0.01)
    br = DarkPhoton(mass, 1e-3, alpha_D=a_d).branching_ratios()["chichi"]
    # m >> m_e: 2 pi^2 alpha eps^2 B / m_e, up to the threshold factor of Gamma_ee
    assert nwa == pytest.approx(2 * math.pi**2 * ALPHA * 1e-6 * br / M_E * HBARC**2, rel=2e-3)


def test_minimum_width_keeps_the_integral():
    m = 250 * MeV
    e = np.geomspace(10 * GeV, 200 * GeV, 400_001)
    kw = {"epsilon": 1e-4, "alpha_D": 0.0, "final": "e+e-"}  # visible: Gamma/m ~ 2e-11
    wide = annihilation_cross_section(e, m, min_width_fraction=1e-2, **kw)
    nwa = integrated_cross_section(m, **kw)
    assert float(np.sum(0.5 * (wide[1:] + wide[:-1]) * np.diff(e))) == pytest.approx(nwa,
                                                                                   rel=0.02)


def test_resonance_energy_round_trip():
    m = np.array([1.1, 17, 250, 1000]) * MeV
    np.testing.assert_allclose(mass_from_resonance_energy(resonance_energy(m)), m, rtol=1e-12)
    # the NA64 window: m = 250 MeV resonates at 61 GeV
    assert resonance_energy(250 * MeV) / GeV == pytest.approx(61.15, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(e=st.floats(0.0, 1e6), m=st.floats(1.03, 5000.0), a_d=st.floats(0.0, 4.0),
       r=st.floats(2.01, 50.0), chi=st.sampled_from(["dirac", "majorana", "scalar",
                                                      "pseudo-dirac"]))
def test_cross_section_finite_and_non_negative(e, m, a_d, r, chi):
    final = "invisible" if a_d > 0 else "e+e-"
    s = annihilation_cross_section(np.array([e]), m * MeV, epsilon=1e-3, alpha_D=a_d,
                                   m_chi=m * MeV / r, chi=chi, final=final)
    assert np.all(np.isfinite(s))
    assert np.all(s >= 0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"mass": 0.9 * MeV}, "mass"),
    ({"mass": -5.0}, "mass"),
    ({"mass": 100 * MeV, "final": "gamma"}, "final"),
    ({"mass": 100 * MeV, "epsilon": 0.0}, "epsilon"),
    ({"mass": 100 * MeV, "chi": "wimp"}, "chi"),
])
def test_bad_input_names_the_field(kwargs, field):
    mass = kwargs.pop("mass")
    with pytest.raises(InputError, match=field):
        annihilation_cross_section(np.array([1e4]), mass, **kwargs)


# ----------------------------------------------------------------------------- generator
def test_electron_density_of_lead_and_of_the_na64_ecal():
    # Z rho N_A / A for lead (PDG: rho = 11.35 g/cm^3, A = 207.2, Z = 82)
    pb = 82 * 11.35 * g / cm3 * Avogadro / (207.2 * g)
    assert electron_density(material="Pb") == pytest.approx(pb, rel=2e-3)
    # the ECAL is half lead, half scintillator by thickness: between the two densities
    n_ecal = electron_density(setup="na64e_2016_2018")
    assert 0.5 * pb < n_ecal < pb


@pytest.fixture(scope="module")
def gen250() -> AnnihilationSignal:
    return AnnihilationSignal(250 * MeV, setup="na64e_2016_2018", threshold=40 * GeV,
                              n_showers=20_000, rng=np.random.default_rng(5))


def test_weights_sum_to_the_production_probability(gen250):
    p, dp = gen250.production_probability(e_min=40 * GeV)
    ev = gen250.sample(40_000, np.random.default_rng(11), e_min=40 * GeV)
    w = ev["weight"]
    err = math.hypot(dp, math.sqrt(float(np.sum(w**2))))
    assert abs(w.sum() - p) < 4 * err
    assert err < 0.05 * p
    # the annihilating positron is a shower secondary, above e_min, inside the target
    assert not ev["from_primary"][w > 0].any()
    assert np.all(ev["e_emitter"][w > 0] >= 40 * GeV)
    assert np.all((ev["z"] >= 0) & (ev["z"] <= gen250.thickness))


def test_reweighting_to_another_alpha_d_matches_a_direct_calculation(gen250):
    ev = gen250.sample(40_000, np.random.default_rng(12), e_min=40 * GeV)
    w01 = gen250.reweight(ev, alpha_D=0.1)
    direct = AnnihilationSignal(250 * MeV, setup="na64e_2016_2018", threshold=40 * GeV,
                                alpha_D=0.1, n_showers=20_000, rng=np.random.default_rng(5))
    p01, dp01 = direct.production_probability(e_min=40 * GeV)
    err = math.hypot(dp01, math.sqrt(float(np.sum(w01**2))))
    assert abs(w01.sum() - p01) < 4 * err


def test_narrow_line_yield_follows_the_positron_track_length():
    # alpha_D = 0.02 (Gamma/m = 0.6%): Eq. (1) of the generator -> n_e dL+/dE(E_R) int sigma dE
    gen = AnnihilationSignal(250 * MeV, setup="na64e_2016_2018", threshold=20 * GeV,
                             alpha_D=0.02, n_showers=60_000, rng=np.random.default_rng(3))
    p, dp = gen.production_probability(e_min=20 * GeV)
    # tolerance: ~2% MC of each side, and the curvature of dL+/dE over the +-5% window
    # (dL+/dE falls by ~2x between 55 and 67 GeV: a quadratic term of a few per cent)
    assert p == pytest.approx(gen.narrow_width_probability(), rel=0.06)
    assert dp < 0.05 * p


def test_positron_beam_annihilates_its_own_positron():
    kw = {"energy": 100 * GeV, "threshold": 40 * GeV, "n_showers": 4000}
    e_minus = AnnihilationSignal(250 * MeV, "Pb", beam="e-", rng=np.random.default_rng(1), **kw)
    e_plus = AnnihilationSignal(250 * MeV, "Pb", beam="e+", rng=np.random.default_rng(1), **kw)
    p_minus = e_minus.production_probability(e_min=40 * GeV)[0]
    p_plus = e_plus.production_probability(e_min=40 * GeV)[0]
    # the beam positron sweeps through E_R = 61 GeV: several times the secondaries' yield
    assert p_plus > 3 * p_minus
    ev = e_plus.sample(4000, np.random.default_rng(2), e_min=40 * GeV)
    assert ev["weight"][ev["from_primary"]].sum() > 0.5 * ev["weight"].sum()


def test_heavy_dark_matter_closes_the_channel():
    # sqrt(s) <= sqrt(2 m_e 100 GeV) = 320 MeV < 2 m_chi = 667 MeV at m_A' = 1 GeV
    gen = AnnihilationSignal(1 * GeV, "Pb", energy=100 * GeV, threshold=40 * GeV, n_showers=100)
    assert gen.production_probability(e_min=40 * GeV)[0] == 0.0


# ----------------------------------------------------------------------------- reach
@pytest.mark.slow
def test_reach_with_annihilation():
    base = load_analysis("invisible_2016_2018")
    ann = load_analysis("invisible_2016_2018_annihilation")
    masses = np.array([250.0, 1000.0]) * MeV
    r0 = run_invisible(base, masses, seed=4, events_per_mass=600)
    r1 = run_invisible(ann, masses, seed=4, events_per_mass=600)
    p250 = r1.points[0]
    # 250 MeV resonates at 61 GeV, inside the missing-energy window: annihilation dominates
    # (arXiv:2108.04195) and the limit is stronger than with bremsstrahlung alone
    assert p250.annihilation_yield > 2 * p250.brem_yield
    assert r1.eps_90[0] < 0.7 * r0.eps_90[0]
    # the y limit at alpha_D = 0.1 uses the reweighted annihilation yield
    assert set(p250.annihilation_yield_alpha) == {0.1, 0.5}
    assert r1.eps_90_for(0.1)[0] != r1.eps_90[0]
    # 1 GeV: kinematically closed (sqrt(s) < 2 m_chi), same events and limit as brem only
    assert r1.points[1].annihilation_yield == 0.0
    assert r1.eps_90[1] == r0.eps_90[1]
    # summary.json says which processes made the limit
    assert summary_dict(r1)["signal"]["processes"] == ["brem", "annihilation"]
    assert summary_dict(r0)["signal"]["processes"] == ["brem"]


def test_processes_are_validated(tmp_path):
    text = (files("na64") / "data" / "analyses"
            / "invisible_2016_2018_annihilation.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('processes = ["brem", "annihilation"]',
                                'processes = ["brem", "compton"]'))
    with pytest.raises(InputError, match=r"signal\.processes"):
        load_analysis(bad)
    # a registered process that does not make the analysis' particle
    bad.write_text(text.replace('processes = ["brem", "annihilation"]',
                                'processes = ["brem", "primakoff"]'))
    with pytest.raises(InputError, match=r"signal\.model.*'primakoff'.*alp"):
        load_analysis(bad)


def test_annihilation_analysis_extends_the_2016_2018_one():
    base = load_analysis("invisible_2016_2018")
    ann = load_analysis("invisible_2016_2018_annihilation")
    assert ann.runs == base.runs
    assert ann.selection == base.selection
    assert ann.setup == base.setup
    assert ann.signal.model_copy(update={"processes": ("brem",)}) == base.signal
    assert ann.signal.processes == ("brem", "annihilation")


def test_circular_extends_is_an_input_error(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'extends = "{b}"\nname = "a"\n')
    b.write_text(f'extends = "{a}"\nname = "b"\n')
    with pytest.raises(InputError, match="circular"):
        load_analysis(a)
    bad = tmp_path / "c.toml"
    bad.write_text('extends = 3\nname = "c"\n')
    with pytest.raises(InputError, match="extends"):
        load_analysis(bad)
