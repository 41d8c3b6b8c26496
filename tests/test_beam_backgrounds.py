"""Beam-induced background rates per EOT vs direct Monte Carlo of the beam model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hepunits import GeV, m

from na64.beam import (
    BeamlineConfig,
    decay_in_flight_rate,
    decay_in_flight_rates,
    hadron_rate,
    hadron_rates,
    load_beam,
    load_beamline,
    low_energy_tail_rate,
    sample_beam,
)


def _tol(p: float, n: int) -> float:
    return 5 * math.sqrt(max(p * (1 - p), 1e-12) / n)


@pytest.mark.parametrize("shape", ["exponential", "uniform"])
def test_low_energy_tail_rate_matches_sampling(shape: str) -> None:
    beam = load_beam({"energy": "100GeV", "momentum_spread": 0.02,
                      "tail": {"fraction": 0.1, "shape": shape, "scale": 0.3}})
    cut = 70 * GeV
    rate, err = low_energy_tail_rate(beam, cut)
    n = 200_000
    out = sample_beam(beam, BeamlineConfig(name="t"), n, np.random.default_rng(1))
    assert np.mean(out["energy"] < cut) == pytest.approx(rate, abs=_tol(rate, n))
    assert 0 < err <= rate


def test_pion_decay_rate_matches_sampling() -> None:
    # pi- beam over 1 km: decays giving a muon below 80% of the beam energy.
    # Analytic: P_decay * BR * (0.8 - r) / (1 - r) (uniform lab energy, r = m_mu^2/m_pi^2)
    line = BeamlineConfig(name="t", decay_length=1000 * m)
    beam = load_beam({"particle": "pi-", "energy": "20GeV", "momentum_spread": 0.0})
    cut = 16 * GeV
    rates = decay_in_flight_rates(beam, line, cut)
    rate = rates["pi- -> mu- nu"][0]
    n = 200_000
    out = sample_beam(beam, line, n, np.random.default_rng(2))
    frac = np.mean(out["decayed"] & (out["pdg"] == 13) & (out["energy"] < cut))
    assert frac == pytest.approx(rate, abs=_tol(rate, n))
    total, err = decay_in_flight_rate(beam, line, cut)
    assert total >= rate
    assert err == 0.0  # primary beam, two-body modes: nothing uncertain in the config


def test_kaon_three_body_rate_matches_sampling() -> None:
    line = BeamlineConfig(name="t", decay_length=1000 * m)
    beam = load_beam({"particle": "e-", "energy": "20GeV", "momentum_spread": 0.0,
                      "admixtures": [{"particle": "K-", "fraction": 0.5}]})
    cut = 8 * GeV
    rates = decay_in_flight_rates(beam, line, cut)
    key = "K- -> pi0 e- nu"
    n = 400_000
    out = sample_beam(beam, line, n, np.random.default_rng(3))
    sel = out["decayed"] & (out["pdg"] == 11) & (out["parent_pdg"] == -321) & (out["energy"] < cut)
    # the rate is per primary (electron): divide by the number of primaries; Poisson
    # error of the MC count (5 sigma) plus 3x the numerical-integration error
    n_primary = np.count_nonzero(out["parent_pdg"] == 11)
    mc = sel.sum() / n_primary
    assert sel.sum() > 100
    assert mc == pytest.approx(rates[key][0], abs=5 * math.sqrt(sel.sum()) / n_primary + 3 * rates[key][1])


def test_hadron_rates_and_srd_suppression() -> None:
    beam = load_beam({"energy": "100GeV", "admixtures": [
        {"particle": "pi-", "fraction": 0.01, "fraction_uncertainty": 0.002},
        {"particle": "K-", "fraction": 0.003},
        {"particle": "mu-", "fraction": 0.001},
    ]})
    raw = hadron_rates(beam)
    assert set(raw) == {"pi-", "K-"}  # muons are not hadrons
    assert raw["pi-"][0] == pytest.approx(0.01 / 0.986)
    assert raw["pi-"][1] == pytest.approx(0.002 / 0.986)
    assert raw["K-"][1] == pytest.approx(raw["K-"][0])  # default: 100% uncertainty
    tagged, _ = hadron_rate(beam, load_beamline("h4_electrons"))
    assert 0 <= tagged < 1e-5 * hadron_rate(beam)[0]


def test_rates_finite_for_shipped_lines() -> None:
    for line_name, particle, energy in (("h4_electrons", "e-", "100GeV"), ("m2_muons", "mu+", "160GeV")):
        line = load_beamline(line_name)
        beam = load_beam({"particle": particle, "energy": energy,
                          "admixtures": [{"particle": "pi+" if particle == "mu+" else "pi-",
                                          "fraction": 0.01}]})
        for cut in (0.5 * beam.energy, 0.99 * beam.energy, 2 * beam.energy):
            for value, err in (low_energy_tail_rate(beam, cut), decay_in_flight_rate(beam, line, cut),
                               hadron_rate(beam, line)):
                assert math.isfinite(value)
                assert math.isfinite(err)
                assert value >= 0
                assert err >= 0
