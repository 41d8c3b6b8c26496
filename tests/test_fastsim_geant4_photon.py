"""The fast simulation's photon showers against Geant4 11.4 (50 GeV photons).

Reference: ``tests/data/g4_na64e_gamma_50GeV.csv`` (1000 photons of 50 GeV in a pencil beam at
the centre of ECAL cell (3, 3) of ``na64e_2016_2018``, the Geant4 program of the project's
calorimeter reference; see tests/data/README.md).  A photon showers as the pair it converts
into (:func:`na64.detector.response.deposit`): at an exponential depth of mean 9/7 X0
(PDG 2024 Eq. 34.31), the electron taking a fraction of the energy from the
complete-screening spectrum (Eq. 34.30).  Nothing is fitted to these rows; the EM shower
constants are those fitted to 100 GeV electrons.  Tolerance as for the electron reference
(``test_fastsim_geant4.py``): 5% or the reference's statistical error, widened by three Monte
Carlo standard errors of the test sample.  The strict expected failures are what the fast
simulation does not describe (see their reason).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest

from na64.detector import load_setup
from na64.detector.observables import (
    fastsim_sample,
    observables,
    read_reference_rows,
    reference_tolerance,
)
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_na64e_gamma_50GeV.csv"
SETUP = load_setup("na64e_2016_2018")
ENERGY = 50.0 * GeV
EVENTS = 6000
N_SIGMA_MC = 3.0

TABLE = {r.observable: (r.value, r.stat_error, r.n_events) for r in read_reference_rows(DATA)}

EXPECTED_OUTSIDE = {"veto_sum_mean_MeV": (
    "the veto leakage of photon showers: the leakage hits of [veto.leakage] depend on the "
    "shower energy only, not on where it starts, and a photon's pair are two showers of "
    "lower energy (summed veto 3.6 MeV against Geant4's 4.57 +- 0.23)")}


@cache
def _fast() -> dict[str, tuple[float, float]]:
    sample = fastsim_sample(SETUP, "gamma", ENERGY, EVENTS, seed=2050)
    return observables(sample, SETUP, bootstrap=20,
                       reference_size=TABLE["ecal_containment"][2])


def _cases() -> list[object]:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(
        strict=True, reason=EXPECTED_OUTSIDE[name])] if name in EXPECTED_OUTSIDE else [])
        for name in TABLE if name != "sampling_fraction_sc"]


@pytest.mark.parametrize("name", _cases())
def test_photon_observable_within_tolerance(name: str) -> None:
    value_g4, err_g4, _ = TABLE[name]
    value, mc_err = _fast()[name]
    assert math.isfinite(value)
    tolerance = reference_tolerance(value_g4, err_g4, mc_err, N_SIGMA_MC)
    assert abs(value - value_g4) <= tolerance, (
        f"gamma 50 GeV {name}: na64 {value:.6g} +- {mc_err:.2g}, Geant4 {value_g4:.6g} "
        f"+- {err_g4:.2g}, tolerance {tolerance:.3g}")


def test_a_photon_starts_deeper_than_an_electron() -> None:
    # Geant4: the photon's 10% depth lies 0.87 X0 behind the fast simulation's electron of
    # the same energy; a photon showering from its entry point, like an electron, would
    # not be told apart (the pre-shower fraction 0.067 of na64's 50 GeV electrons against
    # Geant4's 0.043 for photons)
    el = observables(fastsim_sample(SETUP, "e-", ENERGY, EVENTS, seed=2051), SETUP, bootstrap=0)
    ph = _fast()
    assert ph["long_profile_depth10_X0"][0] - el["long_profile_depth10_X0"][0] > 0.5
    assert ph["ps_fraction_mean"][0] < 0.8 * el["ps_fraction_mean"][0]
