"""The veto counters' view of EM showers from the target: crossing charged particles
(:func:`na64.detector.response.counter_particles`)."""

from __future__ import annotations

import numpy as np
import pytest

from na64.detector import load_setup
from na64.detector.response import (
    COUNTER_PARTICLE_SHAPE,
    _Profile,
    counter_particle_factor,
    counter_particles,
)


def test_factor_from_the_tabulated_minimum_ionisation() -> None:
    # (X0 dE/dx) of polystyrene over that of the 1.5 mm Pb + 1.5 mm plastic layers, times
    # the ECAL's e/mip, from the minimum dE/dx and X0 of the PDG's Atomic and Nuclear
    # Properties tables (Pb: 1.122 MeV cm2/g, 11.35 g/cm3, X0 5.612 mm; polystyrene: 2.052
    # MeV cm2/g, 1.06 g/cm3, X0 413 mm): 89.8 MeV / 8.25 MeV x 0.7969 = 8.68, and 4.35 MeV
    # per particle in 20 mm.  na64 takes dE/dx at beta gamma = 3.5 of its own materials: 6%
    # covers that and the scintillator's density and composition.
    setup = load_setup("na64e_2016_2018")
    factor, per_particle = counter_particle_factor(setup)
    pb, sc = 1.122 * 1.135, 2.052 * 0.106  # MeV/mm
    x0_dedx_t = (1.5 * pb + 1.5 * sc) / (1.5 / 5.612 + 1.5 / 413.0)
    expected = 413.0 * sc / x0_dedx_t * setup.target.e_over_mip
    assert factor == pytest.approx(expected, rel=0.06)
    assert per_particle == pytest.approx(20.0 * sc, rel=0.06)


def _counter_profile(setup, share: np.ndarray) -> _Profile:
    assert setup.veto is not None
    return _Profile(name="veto", detector=setup.veto, index=np.array([0]),
                    energy=share[:, None], z_mid=np.array([0.0]))


def _behind(setup, energy: np.ndarray) -> _Profile:
    """A calorimeter slice behind the counter holding ``energy`` of each shower."""
    assert setup.hcal is not None
    one = np.ones((energy.size, 1))
    return _Profile(name="hcal", detector=setup.hcal, index=np.array([0]),
                    energy=energy[:, None], z_mid=np.array([100.0]), r_core=one,
                    r_tail=one, p_core=0.5 * one)


@pytest.mark.parametrize("share", [0.05, 0.5, 5.0])
def test_mean_is_the_accepted_share_and_small_shares_mostly_give_nothing(share: float) -> None:
    setup = load_setup("na64e_2016_2018")
    assert setup.veto is not None
    assert setup.veto.shower_particles is not None
    factor, per_particle = counter_particle_factor(setup)
    mean = setup.veto.shower_particles * factor * share
    n = 200_000
    prof = _counter_profile(setup, np.full(n, share))
    behind = _behind(setup, np.full(n, 1000.0))
    out = counter_particles([prof, behind], setup, np.ones(n, dtype=bool),
                            np.random.default_rng(3))
    dep = out[0].energy[:, 0]
    # energy conserved: the counter's excess comes from the slices behind it
    np.testing.assert_allclose(dep + out[1].energy[:, 0], share + 1000.0, rtol=1e-12)
    # mean of a compound Poisson sum: 4 standard errors
    sd = np.sqrt(mean / per_particle * per_particle**2 * (1 + 1 / COUNTER_PARTICLE_SHAPE))
    assert dep.mean() == pytest.approx(mean, abs=4 * sd / np.sqrt(n))
    # no particle with probability exp(-mean / per_particle)
    p0 = np.exp(-mean / per_particle)
    assert np.mean(dep == 0.0) == pytest.approx(p0, abs=4 * np.sqrt(p0 * (1 - p0) / n) + 1e-4)
    assert np.all(np.isfinite(dep))
    assert np.all(dep >= 0.0)


def test_showers_outside_the_target_keep_the_profile() -> None:
    setup = load_setup("na64e_2016_2018")
    share = np.array([1.0, 2.0, 3.0])
    prof = _counter_profile(setup, share)
    out = counter_particles([prof], setup, np.array([False, True, False]),
                            np.random.default_rng(1))
    assert out[0].energy[0, 0] == 1.0
    assert out[0].energy[2, 0] == 3.0


def test_the_slices_behind_give_at_most_what_they_hold() -> None:
    # a shower whose particles leave more in the counter than its profile holds behind it:
    # those slices are emptied, never negative, and the counter keeps its particles
    setup = load_setup("na64e_2016_2018")
    n = 20000
    share = np.full(n, 50.0)
    out = counter_particles([_counter_profile(setup, share), _behind(setup, np.full(n, 10.0))],
                            setup, np.ones(n, dtype=bool), np.random.default_rng(5))
    dep, behind = out[0].energy[:, 0], out[1].energy[:, 0]
    assert np.all(behind >= 0.0)
    assert np.all(behind <= 10.0 + 1e-9)
    more = dep > share + 10.0
    assert more.any()
    assert np.all(behind[more] == 0.0)
