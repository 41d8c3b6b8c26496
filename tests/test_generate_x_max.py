"""The upper limit of the A' energy fraction of the bremsstrahlung generator (``x_max``).

``"kinematic"`` (default) generates up to the kinematic end point x = 1 - m_e/E;
``"1-m/E"`` keeps only x <= 1 - m_A'/E (the recoil keeps at least m_A'), the limit DMG4
carried before 2021 (see :class:`na64.generate.DarkBremSignal`).
The reference values are computed here independently, with scipy's adaptive quadrature of
:func:`na64.physics.dark_brem.dsigma_dx`.
"""

from __future__ import annotations

import numpy as np
import pytest
from hepunits import GeV, MeV
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from na64.constants import M_E
from na64.errors import InputError
from na64.generate.dark_brem import DarkBremSignal
from na64.materials import get_material
from na64.physics import dark_brem as db
from na64.reach.config import load_analysis

PB = get_material("Pb")


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))


def _etl_fraction_below(mass: float, energy: float, x_lo: float) -> float:
    """∫_{x_lo}^{1-m/E} dσ/dx / ∫_{x_lo}^{1-m_e/E} dσ/dx, adaptive quadrature in ln(1 - x)."""

    def integral(u_min: float) -> float:
        # x = 1 - exp(v), dx = exp(v) dv, from v = ln(u_min) up to ln(1 - x_lo)
        def f(v: float) -> float:
            return float(db.dsigma_dx(1.0 - np.exp(v), mass, energy)) * np.exp(v)

        return quad(f, np.log(u_min), np.log(1.0 - x_lo), limit=200, epsrel=1e-6)[0]

    return integral(mass / energy) / integral(M_E / energy)


@pytest.mark.parametrize("mass", [100 * MeV, 1 * GeV])
def test_sigma_above_matches_independent_quadrature(mass: float) -> None:
    # The generator's Gauss-Legendre σ(E; E_A' > e_min) with x <= 1 - m/E, relative to the
    # kinematic one, equals the adaptive-quadrature ratio to 0.5% (its quadrature error).
    e0, e_min = 100 * GeV, 50 * GeV
    full = DarkBremSignal(mass, "Pb", threshold=e_min, n_showers=100)
    cut = DarkBremSignal(mass, "Pb", threshold=e_min, n_showers=100, x_max="1-m/E")
    ratio = cut.sigma_above(np.array([e0]), e_min)[0] / full.sigma_above(np.array([e0]), e_min)[0]
    assert ratio == pytest.approx(_etl_fraction_below(mass, e0, e_min / e0), rel=0.005)


def test_heavy_aprime_loses_about_half_its_yield() -> None:
    # The ETL spectrum of na64.physics (whose total agrees with DMG4's ETL table to 2%): a
    # heavy A' takes nearly all of the emitter's energy, and at m_A' = 1 GeV, E = 100 GeV
    # about half of σ has a recoil below m_A' (adaptive quadrature: 0.53; the band 0.4-0.65
    # guards the shape, which no published table gives).  For a 10 MeV A' the region
    # 1 - x < 1e-4 holds < 1% (dσ/dx ~ 1/(1 - x) is cut off at 1 - x ~ m_e²/m²).
    assert 0.4 < 1.0 - _etl_fraction_below(1 * GeV, 100 * GeV, 0.5) < 0.65
    assert 1.0 - _etl_fraction_below(10 * MeV, 100 * GeV, 0.5) < 0.01


def test_thick_target_fraction_is_bracketed_by_emitter_energies() -> None:
    # In the ECAL target the emitters of a 1 GeV A' above 50 GeV have 50-100 GeV, so the
    # fraction kept with x <= 1 - m/E lies between the single-energy fractions at 50 and
    # 100 GeV (each from the adaptive quadrature); weights and quadrature agree within 4σ.
    mass, e_min = 1 * GeV, 50 * GeV
    full = DarkBremSignal(mass, "Pb", threshold=e_min, n_showers=4000, rng=_rng(1))
    cut = DarkBremSignal(mass, "Pb", threshold=e_min, n_showers=4000, rng=_rng(1),
                         x_max="1-m/E")
    p_full, _ = full.production_probability()
    p_cut, dp_cut = cut.production_probability()
    lo = _etl_fraction_below(mass, 50 * GeV + 1 * MeV, e_min / (50 * GeV + 1 * MeV))
    hi = _etl_fraction_below(mass, 100 * GeV, e_min / (100 * GeV))
    assert min(lo, hi) < p_cut / p_full < max(lo, hi)
    ev = cut.sample(4000, _rng(2))
    w = ev["weight"]
    assert abs(w.sum() - p_cut) < 4 * np.sqrt(dp_cut**2 + np.sum(w**2))
    # no weighted event beyond the limit (an emitter with E - m_A' < e_min has an empty
    # x range and weight 0)
    live = w > 0
    assert live.mean() > 0.95
    assert np.all(ev["x"][live] <= 1.0 - mass / ev["e_emitter"][live] + 1e-12)
    assert np.all(ev["e_emitter"][live] - ev["e_aprime"][live] >= mass * (1 - 1e-9))


def test_below_electron_mass_the_conventions_coincide() -> None:
    # For m_A' < m_e the limit 1 - max(m_A', m_e)/E is the kinematic end point itself.
    e = np.array([60 * GeV, 100 * GeV])
    a = DarkBremSignal(0.3 * MeV, "Pb", threshold=50 * GeV, n_showers=100)
    b = DarkBremSignal(0.3 * MeV, "Pb", threshold=50 * GeV, n_showers=100, x_max="1-m/E")
    np.testing.assert_array_equal(a.sigma_above(e, 50 * GeV), b.sigma_above(e, 50 * GeV))


def test_bad_x_max_is_rejected_with_its_name() -> None:
    with pytest.raises(InputError, match="x_max"):
        DarkBremSignal(10 * MeV, "Pb", x_max="1-x")
    # nothing left above the threshold: E_A' <= E - m_A' = 40 GeV < 50 GeV
    with pytest.raises(InputError, match="x_max"):
        DarkBremSignal(60 * GeV, "Pb", threshold=50 * GeV, x_max="1-m/E")


def test_analysis_config_carries_x_max(tmp_path) -> None:
    assert load_analysis("invisible_2016_2018").signal.x_max == "kinematic"
    xcut = load_analysis("invisible_2016_2018_xcut")
    assert xcut.signal.x_max == "1-m/E"
    base = load_analysis("invisible_2016_2018")
    # everything else is the 2016-2018 analysis
    assert xcut.runs == base.runs
    assert xcut.selection == base.selection
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "invisible_2016_2018"\nname = "b"\n[signal]\nx_max = "0.9"\n')
    with pytest.raises(InputError, match=r"signal\.x_max"):
        load_analysis(str(bad))


@settings(max_examples=25, deadline=None)
@given(mass=st.floats(0.1 * MeV, 5 * GeV), energy=st.floats(20 * GeV, 160 * GeV),
       threshold_fraction=st.floats(0.01, 0.9))
def test_truncated_sigma_is_finite_and_below_the_kinematic_one(mass, energy, threshold_fraction):
    # Any valid (mass, beam energy, threshold): σ(E; E_A' > e_min) with x <= 1 - m/E is
    # finite, >= 0 and never above the kinematic one (it integrates the same dσ/dx over a
    # sub-range); a threshold that leaves no room is an InputError, never a NaN.
    threshold = max(threshold_fraction * energy, mass)
    if threshold >= energy - mass:
        with pytest.raises(InputError, match=r"x_max|threshold"):
            DarkBremSignal(mass, "Pb", energy=energy, threshold=threshold, x_max="1-m/E")
        return
    cut = DarkBremSignal(mass, "Pb", energy=energy, threshold=threshold, n_showers=100,
                         x_max="1-m/E")
    full = DarkBremSignal(mass, "Pb", energy=energy, threshold=threshold, n_showers=100)
    e = np.array([threshold, 0.5 * (threshold + energy), energy])
    s_cut, s_full = cut.sigma_above(e, threshold), full.sigma_above(e, threshold)
    assert np.all(np.isfinite(s_cut))
    assert np.all(s_cut >= 0)
    # up to the Gauss-Legendre error (the two ranges get different nodes; ~1e-5 relative
    # where the cut removes almost nothing, e.g. m_A' ~ 2 m_e)
    assert np.all(s_cut <= s_full * (1 + 1e-3))
