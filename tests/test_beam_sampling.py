"""Beam sampling: composition, momentum, decays in flight (kinematics and rates)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hepunits import GeV, m
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.beam import BEAM_COLUMNS, BeamlineConfig, load_beam, sample_beam
from na64.beam.decays import decay_probability
from na64.constants import C_LIGHT, M_K, M_MU, M_PI, M_PI0, TAU_PI
from na64.errors import InputError

NO_DECAY = BeamlineConfig(name="none")


def _binom_tol(p: float, n: int, k: float = 5.0) -> float:
    return k * math.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12


@settings(max_examples=25, deadline=None)
@given(
    particle=st.sampled_from(["e-", "e+", "mu-", "mu+", "pi-"]),
    energy_gev=st.floats(1.0, 400.0),
    spread=st.floats(0.0, 0.1),
    f_pi=st.floats(0.0, 0.3),
    f_k=st.floats(0.0, 0.1),
    tail=st.floats(0.0, 0.3),
    shape=st.sampled_from(["exponential", "uniform"]),
    decay_m=st.floats(0.0, 2000.0),
    n=st.integers(0, 3000),
    seed=st.integers(0, 2**32 - 1),
)
def test_sample_beam_properties(
    particle: str, energy_gev: float, spread: float, f_pi: float, f_k: float, tail: float,
    shape: str, decay_m: float, n: int, seed: int,
) -> None:
    admix = [{"particle": "K-", "fraction": f_k}, {"particle": "p", "fraction": 0.01}]
    if particle != "pi-":
        admix.append({"particle": "pi-", "fraction": f_pi})
    beam = load_beam({
        "particle": particle, "energy": f"{energy_gev}GeV", "momentum_spread": spread,
        "tail": {"fraction": tail, "shape": shape}, "admixtures": admix,
    })
    line = BeamlineConfig(name="t", decay_length=decay_m * m)
    out = sample_beam(beam, line, n, np.random.default_rng(seed))
    assert set(out) == set(BEAM_COLUMNS)
    for key, col in out.items():
        assert col.shape == (n,), key
        if col.dtype.kind == "f":
            assert np.all(np.isfinite(col)), key
    assert np.all(out["energy"] > 0)
    assert np.all(out["parent_energy"] >= out["energy"] - 1e-9 * out["parent_energy"])
    # energy is conserved in decays: charged daughter + pi0s + neutrinos = parent
    d = out["decayed"]
    total = out["energy"][d] + out["neutral_energy"][d] + out["invisible_energy"][d]
    np.testing.assert_allclose(total, out["parent_energy"][d], rtol=1e-9)
    assert np.all(out["decay_z"][d] < 0)
    assert np.all(out["decay_z"][d] >= -decay_m * m)
    assert np.all(out["decay_z"][~d] == 0)


@settings(max_examples=10, deadline=None)
@given(f_pi=st.floats(0.001, 0.4), f_mu=st.floats(0.0, 0.2), seed=st.integers(0, 2**32 - 1))
def test_composition_within_binomial_errors(f_pi: float, f_mu: float, seed: int) -> None:
    beam = load_beam({"admixtures": [{"particle": "pi-", "fraction": f_pi},
                                     {"particle": "mu-", "fraction": f_mu}]})
    n = 20_000
    out = sample_beam(beam, NO_DECAY, n, np.random.default_rng(seed))
    for pdg, f in ((-211, f_pi), (13, f_mu), (11, 1 - f_pi - f_mu)):
        assert np.mean(out["pdg"] == pdg) == pytest.approx(f, abs=_binom_tol(f, n))


def test_momentum_core_and_tail() -> None:
    beam = load_beam({"energy": "100GeV", "momentum_spread": 0.01,
                      "tail": {"fraction": 0.05, "shape": "uniform", "min_ratio": 0.2}})
    n = 200_000
    out = sample_beam(beam, NO_DECAY, n, np.random.default_rng(1))
    core = out["energy"][~out["in_tail"]] / (100 * GeV)
    # Gaussian core sigma_p/p = 1%: sample std error is sigma/sqrt(2n) -> 5 sigma
    assert core.std() == pytest.approx(0.01, rel=5 / math.sqrt(2 * core.size))
    assert core.mean() == pytest.approx(1.0, abs=5 * 0.01 / math.sqrt(core.size))
    t = out["energy"][out["in_tail"]] / (100 * GeV)
    assert out["in_tail"].mean() == pytest.approx(0.05, abs=_binom_tol(0.05, n))
    # uniform tail on [0.2, 1): mean 0.6, std 0.8/sqrt(12)
    assert t.min() >= 0.2 - 1e-12
    assert t.mean() == pytest.approx(0.6, abs=5 * 0.8 / math.sqrt(12 * t.size))


def test_pion_decay_probability_and_two_body_energies() -> None:
    # 10 GeV pions over 500 m: P = 1 - exp(-L m / (p c tau)) (exponential law)
    e0 = 10 * GeV
    line = BeamlineConfig(name="t", decay_length=500 * m)
    beam = load_beam({"particle": "pi-", "energy": "10GeV", "momentum_spread": 0.0})
    n = 100_000
    out = sample_beam(beam, line, n, np.random.default_rng(2))
    p0 = math.sqrt(e0**2 - M_PI**2)
    expected = 1 - math.exp(-500 * m * M_PI / (p0 * C_LIGHT * TAU_PI))
    assert float(decay_probability(np.array([e0]), M_PI, TAU_PI, 500 * m)[0]) == pytest.approx(expected)
    assert out["decayed"].mean() == pytest.approx(expected, abs=_binom_tol(expected, n))
    mu = out["decayed"] & (out["pdg"] == 13)
    # pi -> mu nu: E_mu uniform in [E (m_mu/m_pi)^2, E] for beta -> 1 (PDG review 49);
    # exact bounds gamma (E* -+ beta p*), mean gamma E* (independent of beta)
    r = (M_MU / M_PI) ** 2
    y = out["energy"][mu] / e0
    assert y.min() >= r - 1e-3
    assert y.max() <= 1 + 1e-9
    e_star = (M_PI**2 + M_MU**2) / (2 * M_PI)
    assert y.mean() == pytest.approx(e_star / M_PI, abs=5 * (1 - r) / math.sqrt(12 * y.size))
    # the neutrino carries the rest
    np.testing.assert_allclose(out["invisible_energy"][mu] + out["energy"][mu], e0, rtol=1e-9)


def test_muon_decay_michel_mean() -> None:
    # <E_e> = gamma <E*> = 0.35 E_mu for the Michel spectrum x^2(3-2x) (PDG review 57,
    # rho = 3/4): <x> = 0.7 and <cos> = 0 for isotropic emission
    line = BeamlineConfig(name="t", decay_length=2000 * m)
    beam = load_beam({"particle": "mu-", "energy": "1GeV", "momentum_spread": 0.0})
    out = sample_beam(beam, line, 200_000, np.random.default_rng(3))
    e = out["decayed"]
    assert np.all(out["pdg"][e] == 11)
    y = out["energy"][e] / (1 * GeV)
    assert y.mean() == pytest.approx(0.35, abs=5 * y.std() / math.sqrt(y.size))


def test_kaon_branching_ratios() -> None:
    # K- -> mu nu (63.56%), pi- pi0 (20.67%) etc. (PDG 2024); daughters by species
    line = BeamlineConfig(name="t", decay_length=2000 * m)
    beam = load_beam({"particle": "e-", "energy": "20GeV",
                      "admixtures": [{"particle": "K-", "fraction": 0.5}]})
    out = sample_beam(beam, line, 100_000, np.random.default_rng(4))
    dec = out["decayed"] & (out["parent_pdg"] == -321)
    k = int(dec.sum())
    assert k > 10_000
    # muon daughters: K_mu2 + K_mu3 = 0.6356 + 0.03352 of the (normalised) modes
    br = np.array([0.6356, 0.2067, 0.05583, 0.0507, 0.03352, 0.01760])
    f_mu = (br[0] + br[4]) / br.sum()
    assert np.mean(out["pdg"][dec] == 13) == pytest.approx(f_mu, abs=_binom_tol(f_mu, k))
    # K -> pi pi0: pi0 energy in the lab is the complement of the pion's
    two = dec & (out["pdg"] == -211) & (out["invisible_energy"] == 0)
    assert np.all(out["neutral_energy"][two] > 0)
    assert M_K > M_PI + M_PI0


def test_bad_n() -> None:
    beam = load_beam({})
    with pytest.raises(InputError, match="n"):
        sample_beam(beam, NO_DECAY, -1, np.random.default_rng(0))
    with pytest.raises(InputError):
        sample_beam(beam, NO_DECAY, 2.5, np.random.default_rng(0))  # type: ignore[arg-type]
