"""The fast simulation against Geant4 where hadrons of a few GeV matter: the rare hadronic
leakage of 100 GeV electron showers and the response to π− of 2 to 50 GeV.

Reference: ``tests/data/g4_em_hadronic.csv`` (``validation/g4_em_hadronic_reference.py``:
2000 e− of 100 GeV, 1000 π− each of 2, 5, 10, 20, 50 GeV in ``na64e_2016_2018``, Geant4 11.4 with the
data-free physics list of the calorimeter reference).  Tolerance as for the other Geant4
references (:func:`na64.detector.observables.reference_tolerance`), the Monte Carlo error
being the binomial or standard error of the fast-simulated sample.

What the fast simulation does not yet describe is kept as strict expected failures:

* π− of 2 to 50 GeV: na64's hadron model (interaction length, Bock profiles with a rate
  scale, Groom's EM fraction, effective e/h) is fitted to the 100 GeV pions of the
  reference only.  Below that its showers are too long and spread their tail smoothly, so
  nearly every one leaks into the HCAL (P(HCAL > 1 GeV) 0.94 against 0.40 at 5 GeV, 0.98
  against 0.59 at 10 GeV; mean HCAL signal 0.43 against 0.25 of E at 5 GeV), and the
  calibrated ECAL signal is 0.46-0.40 against 0.55-0.52 at 5-10 GeV, 0.72 against 0.62 at
  2 GeV.  Making the showers shorter at low energy alone does not work: the ECAL's
  effective e/h (0.34, fitted at 100 GeV) then triples the hadronic energy kept in the
  ECAL (1.5 of E at 2 GeV); the model needs a refit across 2-100 GeV.  At 2 GeV the pions
  also interact in the ECAL more often (0.80 against na64's 0.74 of 100 GeV).
* e− of 100 GeV: na64's EM showers have no hadronic component, while in Geant4 2.6% of them
  have a photon above 1 GeV absorbed by a nucleus (``na64.detector.photonuclear`` gives
  2.0%), 24% of which leak more than 0.1 GeV into the HCAL; those events make the HCAL
  tail and widen the ECAL containment.
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

_PION = ("na64's hadron model is fitted at 100 GeV: below ~50 GeV its showers leak too much "
         "into the HCAL, smoothly, and its ECAL signal is off (see module doc)")
_PION_INTERACTION = ("Geant4's 2 GeV pi- interact in the ECAL with 0.80, na64's meson "
                     "interaction length is that of 100 GeV (0.74)")
_EM_HADRONIC = ("na64's EM showers have no hadronic component (photo-nuclear interactions of "
                "shower photons; see module doc)")
EXPECTED_OUTSIDE = {
    ("e-_100", "p_hcal_gt_0.1GeV"): _EM_HADRONIC,
    ("e-_100", "p_hcal_gt_0.3GeV"): _EM_HADRONIC,
    ("e-_100", "p_hcal_gt_1GeV"): _EM_HADRONIC,
    ("e-_100", "hcal_leak_fraction_mean"): _EM_HADRONIC,
    ("e-_100", "containment_rms"): _EM_HADRONIC,
    ("pi-_2", "p_interact_ecal"): _PION_INTERACTION,
    ("pi-_2", "ecal_fraction_mean"): _PION,
    ("pi-_2", "hcal_fraction_mean"): _PION,
    ("pi-_2", "p_hcal_lt_1GeV"): _PION,
    ("pi-_2", "p_hcal_gt_0.1GeV"): _PION,
    ("pi-_2", "p_hcal_gt_0.3GeV"): _PION,
    ("pi-_2", "p_hcal_gt_1GeV"): _PION,
    ("pi-_5", "ecal_fraction_mean"): _PION,
    ("pi-_5", "hcal_fraction_mean"): _PION,
    ("pi-_5", "p_hcal_lt_1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_0.1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_0.3GeV"): _PION,
    ("pi-_5", "p_hcal_gt_1GeV"): _PION,
    ("pi-_5", "p_hcal_gt_3GeV"): _PION,
    ("pi-_10", "ecal_fraction_mean"): _PION,
    ("pi-_10", "hcal_fraction_mean"): _PION,
    ("pi-_10", "p_hcal_lt_1GeV"): _PION,
    ("pi-_10", "p_hcal_gt_0.1GeV"): _PION,
    ("pi-_10", "p_hcal_gt_0.3GeV"): _PION,
    ("pi-_10", "p_hcal_gt_1GeV"): _PION,
    ("pi-_10", "p_hcal_gt_3GeV"): _PION,
    ("pi-_20", "ecal_fraction_mean"): _PION,
    ("pi-_20", "hcal_fraction_mean"): _PION,
    ("pi-_20", "p_hcal_lt_1GeV"): _PION,
    ("pi-_20", "p_hcal_gt_1GeV"): _PION,
    ("pi-_20", "p_hcal_gt_3GeV"): _PION,
    ("pi-_50", "ecal_fraction_mean"): _PION,
    ("pi-_50", "hcal_fraction_mean"): _PION,
    ("pi-_50", "p_hcal_lt_1GeV"): _PION,
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
                    "p_hcal_lt_1GeV"):
            out[key] = obs[key]
    else:
        cont = s.ecal_deposit / energy
        out["hcal_leak_fraction_mean"] = _mean(hcal / energy)
        out["containment_mean"] = _mean(cont)
        out["containment_rms"] = (float(cont.std(ddof=1)),
                                  float(cont.std(ddof=1) / math.sqrt(2 * (cont.size - 1))))
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
