"""The fast simulation against the Geant4 11.4 reference of the NA64e calorimetry.

The reference numbers are the rows of ``tests/data/g4_na64e_100GeV.csv`` (a copy of the
reference table, see tests/data/README.md): 100 GeV e-, pi- and mu- in a pencil beam at the
centre of ECAL cell (3, 3) of ``na64e_2016_2018``; the electron rows are replaced by those of
``tests/data/g4_na64e_electron_100GeV.csv`` (its 500 electrons pooled with 2000 more of the
same simulation, the spreads' errors by bootstrap), the muon rows by those of
``tests/data/g4_na64e_muon_100GeV.csv``, 60000 muons of the same simulation.  Every observable is computed the way the
reference defines it (:mod:`na64.detector.observables`) on a fast-simulated sample and must
lie within the tolerance of the tuning, 5% of the reference value or the reference's
statistical error if that is larger, widened by three standard errors of the test sample
(its Monte Carlo error, from the same estimator) so that the statistical scatter of the
sample cannot make the test fail.  The tuned constants that make this true are in the setup
file and in na64.detector.hadron / .muon, fitted by validation/fit_fastsim.py.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from na64.detector import load_setup, response
from na64.detector.observables import (
    NOT_SIMULATED,
    fastsim_sample,
    observables,
    read_reference_table,
    reference_tolerance,
)
from na64.pipeline import reconstruct
from na64.units import GeV

TABLE = read_reference_table(Path(__file__).parent / "data" / "g4_na64e_100GeV.csv")
#: the muon rows from three 20000-muon runs of the same simulation (the 1000 muons of the
#: table hold too few radiative losses for the means: their ECAL mean was 753 +- 38 MeV,
#: the 60000 give 836 +- 9; tests/data/README.md)
TABLE.update(read_reference_table(Path(__file__).parent / "data" / "g4_na64e_muon_100GeV.csv"))
#: the electron rows from 2500 showers: the spreads (containment and cell-fraction RMS) are
#: set by the rare showers with a hard photo-nuclear interaction (one in ~40), so that 500
#: showers fix them only to ~10% (bootstrap; their Gaussian error sigma / sqrt(2 n) is 3%),
#: and the seeds of 500 and 2 x 1000 showers give containment RMS 0.00224, 0.00333, 0.00251
TABLE.update(read_reference_table(Path(__file__).parent / "data" / "g4_na64e_electron_100GeV.csv"))
SETUP = load_setup("na64e_2016_2018")
E_BEAM = 100.0 * GeV
#: events per fast-simulated configuration (e-: ~0.1 s, pi- and mu-: ~0.5 s each)
EVENTS = {"e-": 6000, "pi-": 20000, "mu-": 20000}
N_SIGMA_MC = 3.0


@cache
def _fast(particle: str) -> dict[str, tuple[float, float]]:
    sample = fastsim_sample(SETUP, particle, E_BEAM, EVENTS[particle], seed=12345)
    return observables(sample, SETUP, bootstrap=30 if particle == "e-" else 0,
                       reference_size=TABLE[(particle, "cpu_s_per_event")].n_events)


def _cases() -> list[object]:
    cases = []
    for p, name in TABLE:
        if name in NOT_SIMULATED:
            continue
        cases.append(pytest.param(p, name, id=f"{p}-{name}"))
    return cases


@pytest.mark.parametrize(("particle", "name"), _cases())
def test_observable_within_tolerance(particle: str, name: str) -> None:
    row = TABLE[(particle, name)]
    value, mc_err = _fast(particle)[name]
    assert math.isfinite(value)
    tolerance = reference_tolerance(row.value, row.stat_error, mc_err, N_SIGMA_MC)
    assert abs(value - row.value) <= tolerance, (
        f"{particle} {name}: na64 {value:.6g} +- {mc_err:.2g}, Geant4 {row.value:.6g} +- "
        f"{row.stat_error:.2g}, tolerance {tolerance:.3g}")


def test_every_simulated_reference_observable_is_tested() -> None:
    # the fast simulation provides all rows but those listed as not simulated, and the
    # table has no row the observables do not know
    provided = {(p, n) for p in ("e-", "pi-", "mu-") for n in _fast(p)}
    rows = set(TABLE)
    assert {(p, n) for (p, n) in rows if n not in NOT_SIMULATED} <= provided
    assert len([r for r in rows if r[1] not in NOT_SIMULATED]) == 45


def test_the_bad_agreement_of_the_untuned_parametrisation_is_detected() -> None:
    # The same comparison fails for the published GFLASH parametrisation (no [ecal.shower]
    # corrections): its central-cell fraction (~0.90 against 0.842) and pre-shower fraction
    # are outside the tolerance, so the tests above are sensitive to the tuning.
    assert SETUP.ecal is not None
    plain = SETUP.model_copy(update={"ecal": SETUP.ecal.model_copy(update={"shower": None})})
    obs = observables(fastsim_sample(plain, "e-", E_BEAM, 2000, seed=1), plain, bootstrap=0)
    for name in ("central_cell_fraction_mean", "ps_fraction_mean"):
        row = TABLE[("e-", name)]
        assert abs(obs[name][0] - row.value) > max(0.05 * abs(row.value), row.stat_error)


def test_shower_shape_cut_keeps_fast_simulated_electrons() -> None:
    # The shape_fluctuation table of the setup is calibrated on these electrons
    # (<chi2/ndf> = 1 for impact points uniform over a cell): with a pencil beam at a cell
    # centre the mean stays near 1, and the analysis cut (chi2/ndf < 6,
    # invisible_2016_2018.toml) keeps more than 99% (binomial error of 3000 events: 0.2%).
    n = 3000
    raw = response(SETUP, {"pdg": np.full(n, 11), "energy": np.full(n, E_BEAM)},
                   np.random.default_rng(7))
    chi2 = reconstruct(raw, SETUP)["shower_chi2"]
    assert 0.8 < float(np.mean(chi2)) < 1.4
    assert float(np.mean(chi2 < 6.0)) > 0.99
    # and still separates pions that shower in the ECAL (most have chi2/ndf >> 6; 89% here)
    pions = response(SETUP, {"pdg": np.full(n, -211), "energy": np.full(n, E_BEAM)},
                     np.random.default_rng(8))
    rec = reconstruct(pions, SETUP)
    showering = rec["ecal_energy"] > 20 * GeV
    assert float(np.mean(rec["shower_chi2"][showering] > 6.0)) > 0.8
