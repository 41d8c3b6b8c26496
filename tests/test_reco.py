"""Reconstruction quantities from detector columns (na64.reco)."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

from na64.detector import load_setup, response
from na64.errors import InputError
from na64.reco import (
    calibrate_shower_shape,
    cell_centers,
    center_of_gravity,
    ecal_energy,
    fit_shower,
    hcal_energy,
    max_cell,
    preshower_energy,
    shape_fluctuation,
    shower_chi2,
    veto_energy,
)
from na64.units import GeV

SETUP = load_setup("na64e_2016_2018")
ECAL = SETUP.ecal
assert ECAL is not None


def test_sums_on_a_known_array() -> None:
    cells = np.zeros((2, 2, 6, 6))
    cells[0, 0, 3, 3] = 5.0
    cells[0, 1, 2, 3] = 7.0
    cells[1, 1, 0, 0] = 1.0
    np.testing.assert_allclose(ecal_energy(cells), [12.0, 1.0])
    np.testing.assert_allclose(preshower_energy(cells), [5.0, 0.0])
    hc = np.ones((3, 4, 3, 3))
    np.testing.assert_allclose(hcal_energy(hc), [36.0] * 3)
    np.testing.assert_allclose(hcal_energy(hc, module=1), [9.0] * 3)
    np.testing.assert_allclose(veto_energy(np.array([[1.0, 3.0, 2.0]])), [3.0])
    iy, ix = max_cell(cells)
    assert (iy[0], ix[0]) == (2, 3)


def test_bad_shapes_raise() -> None:
    with pytest.raises(InputError, match="ecal"):
        ecal_energy(np.zeros((3, 6, 6)))
    with pytest.raises(InputError, match="module"):
        hcal_energy(np.zeros((1, 4, 3, 3)), module=4)


def test_center_of_gravity_single_cell_and_symmetry() -> None:
    # One hit cell -> its centre; two equal cells -> the midpoint (both weightings).
    xc, yc = cell_centers(ECAL)
    cells = np.zeros((2, 2, 6, 6))
    cells[0, 1, 3, 3] = 10.0
    cells[1, 1, 3, 2] = 10.0
    cells[1, 1, 3, 3] = 10.0
    for w in ("linear", "log"):
        x, y = center_of_gravity(cells, ECAL, weighting=w)  # type: ignore[arg-type]
        assert x[0] == pytest.approx(xc[3])
        assert y[0] == pytest.approx(yc[3])
        assert x[1] == pytest.approx(0.5 * (xc[2] + xc[3]))
    assert xc[3] == pytest.approx(0.0)  # the beam axis hits the centre of cell (3, 3)


def test_cog_tracks_impact_point() -> None:
    # Log-weighted CoG resolves the impact point to a fraction of the 38 mm cell
    # (Awes et al. NIM A 311 (1992) 130 report ~ few mm for similar granularity):
    # rms residual < 5 mm for 100 GeV electrons spread over +-15 mm.
    n = 2000
    rng = np.random.default_rng(3)
    x0 = rng.uniform(-15, 15, n)
    y0 = rng.uniform(-15, 15, n)
    ev = response(SETUP, {"pdg": np.full(n, 11), "energy": np.full(n, 100 * GeV), "x": x0,
                          "y": y0}, rng)
    x, y = center_of_gravity(ev["ecal"], ECAL)
    assert np.sqrt(np.mean((x - x0) ** 2)) < 5.0
    assert np.sqrt(np.mean((y - y0) ** 2)) < 5.0


def test_shower_chi2_separates_electrons_from_hadrons() -> None:
    # Hadron showers are wider and more irregular than EM showers: NA64 uses the ECAL
    # shower-shape chi^2 to reject them (arXiv:1710.00971).  Electrons: chi^2/ndf of
    # order 1; interacting pions depositing > 30 GeV: much larger.
    n = 2000
    rng = np.random.default_rng(5)
    e_ev = response(SETUP, {"pdg": np.full(n, 11), "energy": np.full(n, 100 * GeV)}, rng)
    p_ev = response(SETUP, {"pdg": np.full(n, -211), "energy": np.full(n, 100 * GeV)}, rng)
    c_e = shower_chi2(e_ev["ecal"], SETUP)
    c_p = shower_chi2(p_ev["ecal"], SETUP)
    sel = ecal_energy(p_ev["ecal"]) > 30 * GeV
    assert np.all(np.isfinite(c_e))
    assert np.median(c_e) < 3.0
    assert np.median(c_p[sel]) > 10 * np.median(c_e)
    # an empty event gives 0
    assert shower_chi2(np.zeros((1, 2, 6, 6)), SETUP)[0] == 0.0


def _electrons(energy: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``n`` electrons hitting the beam cell uniformly (impact points returned)."""
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-19.1, 19.1, n)
    y0 = rng.uniform(-19.1, 19.1, n)
    ev = response(SETUP, {"pdg": np.full(n, 11), "energy": np.full(n, energy), "x": x0,
                          "y": y0}, rng)
    return np.asarray(ev["ecal"], float), x0, y0


@pytest.mark.parametrize("energy_gev", [2.0, 20.0, 100.0])
def test_calibrated_shower_chi2_is_a_chi2_for_electrons(energy_gev: float) -> None:
    # With the shipped calibration of the shape-fluctuation term, chi^2/ndf of electrons
    # has mean 1 at every energy (what "calibrated" means; the old fixed 5% shape term gave
    # medians from 0.8 at 1 GeV to 2.5 at 100 GeV).  These events use a seed the
    # calibration (seed 0) did not: tolerance 20% for the MC and the interpolation in E.
    cells, _, _ = _electrons(energy_gev * GeV, 1500, seed=11)
    c = shower_chi2(cells, SETUP)
    assert np.all(np.isfinite(c))
    assert 0.8 < c.mean() < 1.2
    # an EM-shape cut at chi^2/ndf < 6 keeps nearly all electrons (non-Gaussian tails ~1%)
    assert np.mean(c < 6.0) > 0.97


def test_fitted_impact_point_beats_centre_of_gravity() -> None:
    # The log-weighted centre of gravity is pulled towards the cell centre (S-curve: at 100
    # GeV ~0.9 mm in x at a sixth of the cell from its edges); the shower-shape fit of the
    # impact point removes that bias (< 0.1 mm in every sixth of the cell) and has the
    # smaller residual (rms 1.0 against 1.6 mm in x and y).
    cells, x0, y0 = _electrons(100 * GeV, 1500, seed=12)
    fit = fit_shower(cells, SETUP)
    xc, yc = center_of_gravity(cells, ECAL)
    rms_fit = np.sqrt(np.mean((fit.x - x0) ** 2 + (fit.y - y0) ** 2))
    rms_cog = np.sqrt(np.mean((xc - x0) ** 2 + (yc - y0) ** 2))
    assert rms_fit < 0.8 * rms_cog
    part = np.digitize(x0, np.linspace(-19.1, 19.1, 7)[1:-1])
    bias_fit = [abs(np.mean(fit.x[part == k] - x0[part == k])) for k in range(6)]
    bias_cog = [abs(np.mean(xc[part == k] - x0[part == k])) for k in range(6)]
    # 250 events per sixth, residual rms ~0.7 mm: 0.05 mm statistical error per sixth
    assert max(bias_cog) > 0.5
    assert max(bias_fit) < 0.2
    assert abs(np.mean(fit.x - x0)) < 0.2  # mm, unbiased


def test_shipped_calibration_is_reproduced() -> None:
    # The table in na64e_2016_2018.toml is computed, not typed in: a fresh calibration
    # with another seed and fewer events reproduces it within its MC scatter (c has a
    # relative statistical error of a few % with 1000 events; 20% + 0.03 allows for the
    # poorly constrained 0.5 GeV point).
    shipped = np.asarray(SETUP.ecal.shape_fluctuation)
    fresh = np.asarray(calibrate_shower_shape(SETUP, n_events=1000, seed=7))
    np.testing.assert_allclose(fresh[:, 0], shipped[:, 0])
    np.testing.assert_allclose(fresh[:, 1], shipped[:, 1], rtol=0.2, atol=0.03)
    # c falls with energy above 1 GeV: relative lateral fluctuations shrink as the number
    # of shower particles grows (a trend: neighbouring points differ by their MC scatter)
    slope = np.polyfit(np.log(shipped[1:, 0]), shipped[1:, 1], 1)[0]
    assert slope < 0
    assert shipped[1, 1] > shipped[-1, 1]


def test_shape_fluctuation_interpolates_and_rejects_uncalibrated() -> None:
    tab = ((1.0 * GeV, 0.4), (100.0 * GeV, 0.1))
    c = shape_fluctuation(ECAL, [0.1 * GeV, 10 * GeV, 1e3 * GeV], tab)
    np.testing.assert_allclose(c, [0.4, 0.25, 0.1])  # linear in ln E, constant outside
    bare = ECAL.model_copy(update={"shape_fluctuation": None})
    with pytest.raises(InputError) as info:
        shape_fluctuation(bare, [1.0 * GeV])
    assert info.value.field == "shape_fluctuation"
    with pytest.raises(InputError):
        calibrate_shower_shape(SETUP, detector="hcal")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (3, 2, 6, 6), elements=st.floats(0.0, 1e5)))
def test_shower_chi2_is_finite_for_any_cells(cells: np.ndarray) -> None:
    c = shower_chi2(cells, SETUP)
    assert np.all(np.isfinite(c))
    assert np.all(c >= 0)


def test_no_events_give_empty_results() -> None:
    # a signal process closed at some mass (e.g. annihilation above sqrt(2 m_e E0)) sends
    # zero events through reconstruction
    from na64 import reco
    from na64.detector import load_setup

    cells = np.zeros((0, 4, 6, 6))
    iy, ix = reco.max_cell(cells)
    assert iy.shape == ix.shape == (0,)
    setup = load_setup("na64e_2016_2018")
    assert reco.shower_chi2(cells, setup.standalone("ecal")).shape == (0,)


def test_shape_calibration_uses_electromagnetic_showers_only() -> None:
    # The calibration switches the hard photo-nuclear hadron showers off also for a target
    # calorimeter without a shower table (the visible-mode WCAL): the same seeds give the
    # same c as the setup with them switched off explicitly.
    from na64.reco.calibration import shape_fluctuation_points

    setup = load_setup("na64e_visible_2018")
    assert setup.target.shower is None
    assert setup.target.hard_photonuclear
    kw = {"energies": [100.0 * GeV], "n_events": 300}
    _, c = shape_fluctuation_points(setup, **kw)
    _, c_em = shape_fluctuation_points(setup.with_hard_photonuclear(False), **kw)
    assert c[0] == c_em[0]
