"""The tabulated mean-shower cell fractions of the shower-shape fit
(:mod:`na64.reco.shower_table`) against the direct integration of the same profile."""

from __future__ import annotations

import numpy as np
import pytest

from na64.detector import load_setup
from na64.detector.response import MeanEMShower, build_stack
from na64.pipeline import simulate_events
from na64.reco import fit_shower, shower_chi2
from na64.reco.shower_table import E_MAX, E_MIN, cell_fraction_table
from na64.units import GeV, MeV


def _block_offsets(setup_name: str, energy: np.ndarray, rng: np.random.Generator):
    """Exact 3x3 cell energies around random impact points and the cells' offsets."""
    setup = load_setup(setup_name)
    name = setup.target_name
    xe, ye, _ = build_stack(setup).grids[name]
    ny, nx = ye.size - 1, xe.size - 1
    n = energy.size
    ix0 = rng.integers(1, nx - 1, n)
    iy0 = rng.integers(1, ny - 1, n)
    cx, cy = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
    # impact points up to 0.6 cell from the centre of a cell that has all 8 neighbours
    x = cx[ix0] + rng.uniform(-0.6, 0.6, n) * (xe[1] - xe[0])
    y = cy[iy0] + rng.uniform(-0.6, 0.6, n) * (ye[1] - ye[0])
    by, bx = iy0 - 1, ix0 - 1
    exact = MeanEMShower(setup, energy).deposit_block(x, y, name, by, bx, (3, 3))
    exact = exact.sum(axis=1).reshape(n, 9)
    dx = np.repeat((cx[bx[:, None] + np.arange(3)] - x[:, None])[:, None, :], 3, axis=1)
    dy = np.repeat((cy[by[:, None] + np.arange(3)] - y[:, None])[:, :, None], 3, axis=2)
    return setup, name, exact, dx.reshape(n, 9), dy.reshape(n, 9)


@pytest.mark.parametrize("setup_name", ["na64e_2016_2018", "na64mu_2022"])
@pytest.mark.parametrize(("e_lo", "e_hi"), [(5 * MeV, 100 * MeV), (0.1 * GeV, 3 * GeV),
                                            (3 * GeV, 300 * GeV)])
def test_table_matches_the_integrated_profile(setup_name: str, e_lo: float,
                                              e_hi: float) -> None:
    # The criterion is the fit's own: the cell's standard deviation in shower_chi2's
    # variance model (sampling 9%/sqrt(E) of the cell energy, noise 5 MeV in each of the
    # two sections, shape term with c = 0.04).  An interpolation error below 10% of it
    # moves a chi^2 term by far less than its own fluctuation.
    rng = np.random.default_rng(11)
    energy = np.exp(rng.uniform(np.log(e_lo), np.log(e_hi), 4000))
    setup, name, exact, dx, dy = _block_offsets(setup_name, energy, rng)
    table = cell_fraction_table(setup, name)
    assert table is not None
    frac, covered = table.lookup(energy, dx, dy)
    assert covered.all()
    approx = frac * energy[:, None]
    f = np.clip(exact / energy[:, None], 0.0, 1.0)
    sigma = np.sqrt(0.09**2 * GeV * np.maximum(exact, 0.0) * (1.0 - f) + 2 * 5.0**2
                    + (0.04 * f * (1.0 - f) * energy[:, None]) ** 2)
    assert np.max(np.abs(approx - exact) / sigma) < 0.1
    if e_lo >= 3 * GeV:  # smooth profiles: 1e-4 of the shower energy
        assert np.max(np.abs(approx - exact) / energy[:, None]) < 2e-4


def test_fractions_are_a_probability_and_even() -> None:
    setup = load_setup("na64e_2016_2018")
    table = cell_fraction_table(setup, setup.target_name)
    assert table is not None
    assert np.all(table.values >= -1e-7)
    assert np.all(table.values <= 1.0 + 1e-7)
    e = np.full(3, 50 * GeV)
    d = np.array([[0.0, 7.3, 40.0]])
    a, _ = table.lookup(e[:1], d, d * 0.5)
    b, _ = table.lookup(e[:1], -d, -d * 0.5)
    assert np.array_equal(a, b)
    # lateral containment: the 5x5 cells around the impact cell hold at least what a full
    # simulation puts into 3x3 (0.975 at 100 GeV, tests/data/g4_na64e_100GeV.csv) and at
    # most everything; the central cell's share falls as the impact leaves its centre
    cell = 38.2
    k = np.arange(-2, 3) * cell
    dx5, dy5 = (g.ravel()[None, :] for g in np.meshgrid(k, k))
    f5, covered = table.lookup(e[:1], dx5, dy5)
    assert covered.all()
    assert 0.975 < f5.sum() <= 1.0
    offsets = np.linspace(0.0, 0.5 * cell, 20)[None, :]
    central, _ = table.lookup(e[:1], offsets, np.zeros_like(offsets))
    assert np.all(np.diff(central[0]) < 0)


def test_outside_the_table_the_profile_is_integrated() -> None:
    setup = load_setup("na64e_2016_2018")
    table = cell_fraction_table(setup, setup.target_name)
    assert table is not None
    e = np.array([0.5 * E_MIN, 2.0 * E_MAX, 50 * GeV, 0.0])
    d = np.zeros((4, 1))
    far = np.full((4, 1), 10 * 38.2)  # ten cells away: not tabulated
    _, covered = table.lookup(e, d, d)
    assert covered.tolist() == [False, False, True, False]
    _, covered_far = table.lookup(e, far, d)
    assert not covered_far.any()


def test_chi2_distribution_unchanged_by_the_table() -> None:
    # 5000 simulated 100 GeV and 20 GeV electrons: the tabulated and the integrated fit
    # give the same chi^2/ndf event by event to a few per cent of a unit (the cut is 6;
    # 0.1% of the value for the few events far in the tail), so their distributions agree
    # far inside their statistical errors.
    setup = load_setup("na64e_2016_2018")
    for energy in ("100GeV", "20GeV"):
        ev = simulate_events(setup, 5000, np.random.default_rng(5), beam={"energy": energy})
        cells = np.asarray(ev["ecal"])
        tab = shower_chi2(cells, setup)
        direct = shower_chi2(cells, setup, exact=True)
        assert np.all(np.abs(tab - direct) < 0.05 + 2e-3 * direct)
        assert abs(tab.mean() - direct.mean()) < 0.005
        assert abs(np.mean(tab < 6.0) - np.mean(direct < 6.0)) <= 0.001
        fit_t = fit_shower(cells, setup)
        fit_d = fit_shower(cells, setup, exact=True)
        assert np.max(np.abs(fit_t.x - fit_d.x)) < 0.2  # mm
        assert np.max(np.abs(fit_t.y - fit_d.y)) < 0.2


def test_single_cell_target_of_the_visible_setup() -> None:
    # the WCAL is one cell: the "3x3 block" is that cell, and the table still applies
    setup = load_setup("na64e_visible_2018")
    assert cell_fraction_table(setup, setup.target_name) is not None
    ev = simulate_events(setup, 500, np.random.default_rng(2), beam={"energy": "100GeV"})
    cells = np.asarray(ev[setup.target_name])
    tab = shower_chi2(cells, setup)
    direct = shower_chi2(cells, setup, exact=True)
    assert np.all(np.isfinite(tab))
    assert np.all(np.abs(tab - direct) < 0.05 + 2e-3 * direct)
