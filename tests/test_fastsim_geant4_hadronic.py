"""The fast simulation against Geant4 where hadrons of a few GeV matter: the rare hadronic
leakage of 100 GeV electron showers and the response to π− of 2 to 50 GeV.

Reference: ``tests/data/g4_em_hadronic.csv`` (``validation/g4_em_hadronic_reference.py``:
2000 e− of 100 GeV, 1000 π− each of 2, 5, 10, 20, 50 GeV in ``na64e_2016_2018``, Geant4
11.4 with the data-free physics list of the calorimeter reference, and the 100 GeV π− of
the calorimeter reference).  Tolerance as for the other Geant4 references
(:func:`na64.detector.observables.reference_tolerance`), the Monte Carlo error being the
binomial or standard error of the fast-simulated sample (bootstrap for the RMS).

What the fast simulation does not yet describe is kept as strict expected failures:

* π− of 2 to 50 GeV: the hadron model is fitted to these rows and to the 100 GeV reference
  together (``validation/fit_fastsim.py``, also the lateral shape from the central-cell
  and 3x3 fractions): the mean ECAL and HCAL signals and P(HCAL < 1 GeV) agree at most
  energies, but the distribution of small HCAL signals of 2-5 GeV pions does not: Geant4
  leaks a little (0.1-0.3 GeV) more often, through neutrons and slow hadrons, than na64's
  clusters of 1 GeV do.
* e− of 100 GeV: in Geant4 2.6% of the showers have a photon above 1 GeV absorbed by a
  nucleus, in na64 2.0% (``na64.detector.photonuclear``), each a hadron shower of the
  photon's energy; they make the HCAL tail and widen the ECAL containment.  Their small
  HCAL signals (0.1-0.3 GeV) are rarer in na64, as for the pions.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from na64.detector import load_setup
from na64.detector.observables import fastsim_sample, observables, reference_tolerance
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_em_hadronic.csv"
SETUP = load_setup("na64e_2016_2018")
EVENTS = 20000
N_SIGMA_MC = 3.0


def _table() -> dict[tuple[str, str], tuple[float, float]]:
    lines = [ln for ln in DATA.read_text().splitlines() if ln and not ln.startswith("#")]
    return {(r["configuration"], r["observable"]): (float(r["value"]), float(r["stat_error"]))
            for r in csv.DictReader(lines)}


TABLE = _table()

_PION = ("the HCAL signal of pions of a few GeV: Geant4's leaks are softer and more frequent "
         "(neutrons, slow hadrons) than na64's 1 GeV clusters (see module doc)")
_EM_SMALL_LEAKS = ("the small HCAL signals of the hadron showers of hard photo-nuclear "
                   "interactions in the ECAL (0.1-0.3 GeV): rarer in na64, as for pions of a "
                   "few GeV (P(HCAL > 0.1 GeV) 0.0025 against 0.0115)")
_LATERAL_2GEV = ("the lateral shape at 2 GeV, not part of the fit (5-100 GeV): a pion that "
                 "crosses the ECAL or interacts into a few secondaries is narrower in na64 "
                 "(central cell 0.59 and 3x3 0.87 of the signal) than in Geant4 (0.51, 0.80)")
EXPECTED_OUTSIDE = {
    ("e-_100", "p_hcal_gt_0.1GeV"): _EM_SMALL_LEAKS,
    ("pi-_2", "ecal_fraction_mean"): _PION,
    ("pi-_2", "p_hcal_lt_1GeV"): _PION,
    ("pi-_2", "p_hcal_gt_0.1GeV"): _PION,
    ("pi-_2", "p_hcal_gt_0.3GeV"): _PION,
    ("pi-_2", "p_hcal_gt_1GeV"): _PION,
    ("pi-_5", "hcal_fraction_mean"): _PION,
    ("pi-_5", "p_hcal_lt_1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_0.1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_3GeV"): (
        "P(HCAL > 3 GeV) of 5 GeV pions: na64 0.168, Geant4 0.203 +- 0.013 (the fit of the "
        "hadron model trades it against the mean signals)"),
    ("pi-_10", "ecal_fraction_mean"): (
        "the calibrated ECAL signal of 10 GeV pions: na64 0.484, Geant4 0.523 +- 0.010, "
        "since the lateral profile was fitted as well (chi2 70 for 49 points)"),
    ("pi-_2", "central_cell_fraction_showering"): _LATERAL_2GEV,
    ("pi-_2", "ring3x3_fraction_showering"): _LATERAL_2GEV,
    ("pi-_10", "p_hcal_lt_1GeV"): (
        "P(HCAL < 1 GeV) of 10 GeV pions: na64 0.375, Geant4 0.413 +- 0.016, 0.007 outside "
        "the tolerance (the fit trades it against the mean signals)"),
    ("pi-_20", "p_hcal_lt_1GeV"): _PION,
    ("pi-_20", "p_hcal_gt_1GeV"): _PION,
}


def _binomial(mask: np.ndarray) -> tuple[float, float]:
    p = float(mask.mean())
    return p, math.sqrt(max(p * (1 - p), 1.0 / mask.size) / mask.size)


def _mean(x: np.ndarray) -> tuple[float, float]:
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


@cache
def _fast(config: str) -> dict[str, tuple[float, float]]:
    particle, energy_gev = config.split("_")
    energy = float(energy_gev) * GeV
    s = fastsim_sample(SETUP, particle, energy, EVENTS, seed=2000 + int(float(energy_gev)))
    hcal = s.hcal.reshape(s.n, -1).sum(axis=1)
    out = {f"p_hcal_gt_{t:g}GeV": _binomial(hcal > t * GeV) for t in (0.1, 0.3, 1.0, 3.0)}
    if particle == "pi-":
        obs = observables(s, SETUP, bootstrap=0)
        for key in ("p_interact_ecal", "ecal_fraction_mean", "hcal_fraction_mean",
                    "p_hcal_lt_1GeV", "central_cell_fraction_showering",
                    "ring3x3_fraction_showering"):
            out[key] = obs[key]
    else:
        cont = s.ecal_deposit / energy
        out["hcal_leak_fraction_mean"] = _mean(hcal / energy)
        out["containment_mean"] = _mean(cont)
        # the RMS with its bootstrap error: a few showers in the far tail set it
        out["containment_rms"] = observables(s, SETUP, bootstrap=30)["containment_rms"]
        q = float(np.quantile(cont, 0.01))
        out["containment_q01"] = (q, float(np.quantile(cont, 0.02)) - q)
    return out


def _cases() -> list[object]:
    cases = []
    for config, name in TABLE:
        if name.endswith("photonuclear") or name.startswith(("photonuclear", "n_showers")):
            continue  # the photo-nuclear bookkeeping: tests/test_photonuclear.py
        marks = []
        if (config, name) in EXPECTED_OUTSIDE:
            marks.append(pytest.mark.xfail(strict=True, reason=EXPECTED_OUTSIDE[(config, name)]))
        cases.append(pytest.param(config, name, id=f"{config}-{name}", marks=marks))
    return cases


@pytest.mark.parametrize(("config", "name"), _cases())
def test_observable_within_tolerance(config: str, name: str) -> None:
    value_g4, err_g4 = TABLE[(config, name)]
    value, mc_err = _fast(config)[name]
    assert math.isfinite(value)
    tolerance = reference_tolerance(value_g4, err_g4, mc_err, N_SIGMA_MC)
    assert abs(value - value_g4) <= tolerance, (
        f"{config} {name}: na64 {value:.6g} +- {mc_err:.2g}, Geant4 {value_g4:.6g} "
        f"+- {err_g4:.2g}, tolerance {tolerance:.3g}")
