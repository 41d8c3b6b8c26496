"""The NA64mu veto HCAL of the fast simulation against Geant4 (tests/data/g4_na64mu_vhcal.csv,
made by validation/g4_vhcal_reference.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from na64.background.base import ZERO_PASS_BOUND
from na64.detector.observables import reference_tolerance
from na64.detector.response import deposit
from na64.detector.setup import load_setup
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_na64mu_vhcal.csv"
N_MUONS = 20_000


def _reference() -> dict[tuple[str, str], tuple[float, float]]:
    with DATA.open() as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {(r["config"], r["observable"]): (float(r["value"]), float(r["stat_error"]))
                for r in rows}


REF = _reference()


def _deposits(pdg: int, energy: float, x: float, n: int, seed: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Unsmeared VHCAL and ECAL deposits (electron scale, MeV) of ``n`` particles at
    (x, 0) in ``na64mu_2022``."""
    setup = load_setup("na64mu_2022")
    parts = {"pdg": np.full(n, pdg), "energy": np.full(n, energy), "x": np.full(n, x),
             "y": np.zeros(n)}
    dep = deposit(setup, parts, np.random.default_rng(seed))
    return dep["vhcal"].reshape(n, -1).sum(axis=1), dep["ecal"].reshape(n, -1).sum(axis=1)


@pytest.fixture(scope="module")
def muons() -> tuple[np.ndarray, np.ndarray]:
    return _deposits(-13, 160 * GeV, 0.0, N_MUONS, 11)


def _mc_error(p: float, n: int) -> float:
    """Binomial error of a pass fraction, at least the zero-pass bound."""
    return max(float(np.sqrt(p * (1 - p) / n)), ZERO_PASS_BOUND / n)


def test_reference_is_a_muon_sample_through_the_hole() -> None:
    assert REF[("mu+_160_x0", "events")][0] >= 20_000
    # the electron calibration: a Cu/scintillator sampling calorimeter of 25 mm / 5 mm
    # samples a few per cent of an electron's energy (the MIP fraction 5 x 0.2 MeV/mm over
    # 5 x 0.2 + 25 x 1.26 MeV/mm = 3.1%, times e/mip < 1)
    f_sc = REF[("e-_20_x150", "f_sc")][0]
    assert 0.015 < f_sc < 0.035


def test_the_vhcal_cut_costs_beam_muons_little(muons) -> None:
    # of the beam muons that pass the ECAL cut (6 GeV), the VHCAL cut (1 GeV) removes
    # 0.135 +- 0.026% in Geant4 and none in na64: both below 0.2%, a negligible loss of
    # signal efficiency
    vh, ecal = muons
    p_g4, err = REF[("mu+_160_x0", "p_vhcal_gt_1GeV_and_ecal_lt_6GeV")]
    p_na = float(np.mean((vh > 1 * GeV) & (ecal < 6 * GeV)))
    assert p_g4 + 2 * err < 2e-3
    assert p_na < 2e-3


@pytest.mark.xfail(strict=True, reason=(
    "Geant4: 0.135% of the 160 GeV muons that pass the ECAL cut leave > 1 GeV in the VHCAL "
    "(secondaries leaving the ECAL outside the hole); na64 emits nothing at large angles "
    "from a muon's interactions in the ECAL, so its VHCAL sees 0"))
def test_muon_vhcal_veto_after_the_ecal_cut(muons) -> None:
    vh, ecal = muons
    p_g4, err = REF[("mu+_160_x0", "p_vhcal_gt_1GeV_and_ecal_lt_6GeV")]
    p_na = float(np.mean((vh > 1 * GeV) & (ecal < 6 * GeV)))
    assert abs(p_na - p_g4) <= reference_tolerance(p_g4, err, _mc_error(p_na, vh.size))


@pytest.mark.xfail(strict=True, reason=(
    "Geant4: 0.405% of all 160 GeV muons leave > 1 GeV in the VHCAL, na64 none (as above)"))
def test_muon_vhcal_tail(muons) -> None:
    vh, _ = muons
    p_g4, err = REF[("mu+_160_x0", "p_vhcal_gt_1GeV")]
    p_na = float(np.mean(vh > 1 * GeV))
    assert abs(p_na - p_g4) <= reference_tolerance(p_g4, err, _mc_error(p_na, vh.size))


def test_electron_beside_the_ecal_showers_in_the_vhcal() -> None:
    # x = 150 mm passes beside the ECAL (its cells end at 95.5 mm): the particle meets no
    # ECAL material and showers in the VHCAL side cell.  On the electron scale a 20 GeV
    # electron deposits 20 GeV there (Geant4: by the definition of f_sc; its electrons
    # leave 0.2 MeV in the ECAL), contained within 5%
    vh, ecal = _deposits(11, 20 * GeV, 150.0, 2000, 12)
    assert float(vh.mean()) == pytest.approx(20 * GeV, rel=0.05)
    assert float(ecal.mean()) < 1.0
    assert REF[("e-_20_x150", "ecal_deposit_mean")][0] < 1.0


def test_pion_beside_the_ecal_response() -> None:
    # the VHCAL's e_over_h is fitted to this number (validation/g4_vhcal_reference.py
    # --fit, with 20000 pions): the test keeps the shipped value and the fit together
    resp, err = REF[("pi-_20_x150", "response_over_e")]
    vh, _ = _deposits(-211, 20 * GeV, 150.0, 2000, 13)
    got = float(vh.mean()) / (20 * GeV)
    mc = float(vh.std(ddof=1)) / np.sqrt(vh.size) / (20 * GeV)
    assert abs(got - resp) <= reference_tolerance(resp, err, mc)
