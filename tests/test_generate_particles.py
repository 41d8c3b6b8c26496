"""How a dark-bremsstrahlung event is handed to the calorimeters (na64.generate.particles).

The checks are conservation laws of the emission e Z -> e Z A' (nuclear recoil neglected,
arXiv:0906.0580 App. A) and the ordering of shower starts, on real generator output.
"""

from __future__ import annotations

import numpy as np
import pytest
from hepunits import GeV, MeV
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.generate import DarkBremSignal
from na64.generate.particles import signal_particles
from na64.reach import Search
from na64.reach.config import load_analysis


@pytest.fixture(scope="module")
def builder() -> Search:
    return Search(load_analysis("invisible_2016_2018"))


@pytest.fixture(scope="module", params=[1 * MeV, 1 * GeV])
def sample(request, builder):
    cfg = builder.config
    gen = DarkBremSignal(request.param, beam=cfg.beam, energy=cfg.energy, setup=builder.setup,
                         threshold=0.46 * cfg.energy)
    rng = np.random.default_rng(11)
    truth = gen.sample(4000, rng, e_min=0.46 * cfg.energy)
    beam = builder.pipeline.core(truth["e_aprime"].size, rng)
    calo, e_inv = signal_particles(truth, beam, cfg.energy, builder.setup.target.length)
    return truth, beam, calo, e_inv


def test_energy_is_conserved(sample):
    _truth, beam, calo, e_inv = sample
    n = beam["energy"].size
    visible = np.bincount(calo["event"], weights=calo["energy"] - calo["e_invisible"],
                          minlength=n)
    # every event: E_A' + visible = E_beam (float rounding only)
    np.testing.assert_allclose(visible + e_inv, beam["energy"], rtol=1e-12)


def test_transverse_momentum_balances_the_aprime(sample):
    truth, beam, calo, e_inv = sample
    n = beam["energy"].size
    first = calo["event"][:n]
    assert np.array_equal(first, np.arange(n))        # the electron is the first particle
    prim = truth["from_primary"]
    e_rec = calo["energy"][:n] - e_inv
    kx = calo["tx"][:n] - beam["tx"]
    ky = calo["ty"][:n] - beam["ty"]
    tan_e = np.hypot(kx, ky)
    p_t = e_inv * np.sin(truth["theta"])
    ok = prim & (p_t < 0.5 * e_rec)                   # below the 1 rad angle cap
    assert ok.sum() > 100
    # p_T(recoil) = E_rec sin(theta_rec) = p_T(A') (nuclear recoil neglected)
    sin_e = tan_e[ok] / np.sqrt(1 + tan_e[ok] ** 2)
    np.testing.assert_allclose(e_rec[ok] * sin_e, p_t[ok], rtol=1e-9)
    # ... and points away from the A' (azimuth phi + pi)
    cos = -(kx[ok] * np.cos(truth["phi"][ok]) + ky[ok] * np.sin(truth["phi"][ok])) / tan_e[ok]
    np.testing.assert_allclose(cos[tan_e[ok] > 0], 1.0, atol=1e-9)
    # secondaries' emissions keep the beam direction
    assert np.all(kx[~prim] == 0)
    assert np.all(ky[~prim] == 0)
    # the kinked line passes through the beam position at the emission depth
    z = calo["z_start"][:n]
    np.testing.assert_allclose(calo["x"][:n] + calo["tx"][:n] * z,
                               beam["x"] + beam["tx"] * z, atol=1e-9)


def test_energy_radiated_before_the_emission_starts_earlier(sample):
    truth, beam, calo, _e_inv = sample
    n = beam["energy"].size
    photons = slice(n, None)
    ev = calo["event"][photons]
    assert np.all(truth["from_primary"][ev])           # only the beam electron radiated
    assert np.all(calo["pdg"][photons] == 22)
    assert np.all(calo["z_start"][photons] <= calo["z_start"][ev])
    # the beam electron lost energy before emitting: E_emit < E0 for most primary emissions
    assert ev.size > 0.5 * truth["from_primary"].sum()


def test_preshower_sees_the_early_radiation(builder):
    """With the same recoil, a beam electron that radiated 40 GeV before emitting at 3 X0
    leaves more energy in the 4 X0 pre-shower than one that emitted with its full energy."""
    n = 400
    rng = np.random.default_rng(5)
    beam = builder.pipeline.core(n, rng)
    e0 = builder.config.energy
    z = 3 * builder.setup.target.X0
    base = {"e_aprime": np.full(n, 55 * GeV), "from_primary": np.ones(n, bool),
            "z": np.full(n, z), "theta": np.zeros(n), "phi": np.zeros(n)}
    pre = []
    for e_emit in (e0, 60 * GeV):
        truth = {**base, "e_emitter": np.full(n, e_emit)}
        calo, _ = signal_particles(truth, beam, e0, builder.setup.target.length)
        ev = builder.pipeline.events(beam, np.random.default_rng(6), calorimeter=calo)
        pre.append(ev["preshower_energy"].mean())
        # visible energy ~ E_beam - E_A' either way (9%/sqrt(E) resolution, 400 events)
        assert ev["ecal_energy"].mean() == pytest.approx(45 * GeV, rel=0.03)
    assert pre[1] > 1.5 * pre[0]


@settings(max_examples=60, deadline=None)
@given(
    e_ap=st.floats(0.0, 1.0),
    e_emit=st.floats(0.0, 1.0),
    theta=st.floats(0.0, np.pi),
    phi=st.floats(0.0, 2 * np.pi),
    z=st.floats(-10.0, 1e4),
    prim=st.booleans(),
    e_beam=st.floats(1.0, 1e6),
)
def test_finite_for_any_kinematics(e_ap, e_emit, theta, phi, z, prim, e_beam):
    e0 = 100 * GeV
    truth = {"e_aprime": np.array([e_ap * e0]), "e_emitter": np.array([e_emit * e0]),
             "from_primary": np.array([prim]), "z": np.array([z]),
             "theta": np.array([theta]), "phi": np.array([phi])}
    beam = {"pdg": np.array([11]), "energy": np.array([e_beam * MeV]), "x": np.zeros(1),
            "y": np.zeros(1), "tx": np.zeros(1), "ty": np.zeros(1)}
    calo, e_inv = signal_particles(truth, beam, e0, 450.0)
    for key in ("energy", "x", "y", "tx", "ty", "z_start", "e_invisible"):
        assert np.all(np.isfinite(calo[key])), key
    assert np.all(calo["energy"] >= 0)
    assert np.all((calo["e_invisible"] >= 0) & (calo["e_invisible"] <= calo["energy"]))
    assert np.all((calo["z_start"] >= 0) & (calo["z_start"] <= 450.0))
    visible = np.sum(calo["energy"] - calo["e_invisible"])
    assert visible + e_inv[0] == pytest.approx(beam["energy"][0], rel=1e-12)
