"""What the veto counters behind the ECAL see of the hadron showers starting in it, against
Geant4.

Reference: ``tests/data/g4_pion_ecal_leakage.csv`` (``validation/fit_hadron_tracks.py``: π−
of 2-100 GeV in ``na64e_2016_2018``, Geant4 11.4 with the data-free physics list of the
calorimeter reference; 1000-4000 pions per energy).  For each energy and each bin of the
depth of the pion's first interaction in the ECAL it gives the fraction of pions that leave
every veto counter below 10 MeV (the invisible-mode veto cut) and each counter's
distribution.  The ``[veto.hadron_tracks]`` constants are fitted to the veto-cut rows of
the bins 0-300 mm at 5, 10 and 20 GeV (χ² 184 for 35 degrees of freedom), so these tests
check what one set of constants describes through the full fast simulation.

Tolerances: the veto-cut fractions of the bins of one energy hold independent events and
are compared together, χ² = Σ (na64 − Geant4)² / (σ_G4² + σ_MC²) with binomial errors,
against the 0.1% quantile of χ² with as many degrees of freedom.  The shallow bins at 5 GeV,
whose depth dependence the one visible fraction does not follow (Geant4 vetoes fewer of the
shallowest and more of the 20-30 cm ones), are a strict expected failure.
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chi2

from na64.detector import load_setup
from na64.detector.observables import (
    fastsim_sample,
    read_veto_reference,
    veto_cut_chi2_term,
    veto_reference_layout,
)
from na64.units import GeV

DATA = Path(__file__).parent / "data" / "g4_pion_ecal_leakage.csv"
SETUP = load_setup("na64e_2016_2018")
EVENTS = 20000


ROWS = read_veto_reference(DATA)
#: the veto cut of the table's "max" rows (every counter below it, MeV), energies, bins
THRESHOLD, ENERGIES, BINS = veto_reference_layout(ROWS)
#: the bins where the counters see the shower's tail (the fitted ones)
TAIL_BINS = [b for b in BINS if b[1] <= 300.0]


@cache
def _fast(e_gev: float) -> tuple[np.ndarray, np.ndarray]:
    s = fastsim_sample(SETUP, "pi-", e_gev * GeV, EVENTS, seed=6161 + int(e_gev))
    assert s.interaction_z is not None
    return s.interaction_z, s.veto


def _quiet(e_gev: float, lo: float, hi: float) -> tuple[float, int, float, int]:
    """(Geant4 fraction, its events, na64 fraction, its events) below the veto cut."""
    (row,) = [r for r in ROWS if float(r["energy_GeV"]) == e_gev and r["counter"] == "max"
              and float(r["z_lo_mm"]) == lo and float(r["z_hi_mm"]) == hi]
    z, veto = _fast(e_gev)
    sel = (z >= lo) & (z < hi)
    return float(row["cdf"]), int(row["n"]), float(np.mean(veto[sel].max(axis=1) < THRESHOLD)), \
        int(sel.sum())


def _chi2(pairs: list[tuple[float, int, float, int]]) -> float:
    return sum(veto_cut_chi2_term(*pair) for pair in pairs)


def test_the_table_covers_the_energies_and_depths() -> None:
    assert ENERGIES == [2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    assert BINS[0] == (0.0, 100.0)
    assert BINS[-1][1] == 450.0  # the ECAL's back face


@pytest.mark.parametrize("e_gev", [5.0, 10.0], ids=lambda e: f"{e:g}GeV")
def test_the_later_the_interaction_the_louder_the_veto(e_gev: float) -> None:
    """A physical fact of the reference and of na64: the nearer the counters the pion
    interacts, the more of its shower reaches them (above 10 GeV almost every pion
    interacting past 20 cm is vetoed in both, and the order of those bins is noise)."""
    g4 = [_quiet(e_gev, lo, hi)[0] for lo, hi in BINS]
    na64 = [_quiet(e_gev, lo, hi)[2] for lo, hi in BINS]
    assert all(a >= b for a, b in itertools.pairwise(g4))
    assert all(a >= b for a, b in itertools.pairwise(na64))


@pytest.mark.parametrize("e_gev", [
    pytest.param(5.0, marks=pytest.mark.xfail(strict=True, reason=(
        "at 5 GeV Geant4 vetoes fewer pions interacting in the first 10 cm and more of those "
        "at 20-30 cm than one visible fraction of the hadron profile's tail gives "
        "(Geant4/na64 0.73/0.82 and 0.39/0.22)"))),
    10.0, 20.0, 50.0, 100.0], ids=lambda e: f"{e:g}GeV")
def test_veto_cut_by_depth_of_the_interaction(e_gev: float) -> None:
    pairs = [_quiet(e_gev, lo, hi) for lo, hi in TAIL_BINS]
    chi = _chi2(pairs)
    text = "; ".join(f"[{lo:g},{hi:g}) na64 {q:.3f} Geant4 {p:.3f} of {n}"
                     for (lo, hi), (p, n, q, _) in zip(TAIL_BINS, pairs, strict=True))
    assert chi < chi2.ppf(0.999, len(pairs)), f"chi2 {chi:.1f}: {text}"


@pytest.mark.parametrize("e_gev", [
    10.0,
    pytest.param(20.0, marks=pytest.mark.xfail(strict=True, reason=(
        "at 20 GeV each counter's P(< 10 MeV) for pions interacting at 10-20 cm is "
        "0.086-0.094 in na64 against 0.049-0.071, at 20-30 cm 0.009-0.012 against "
        "0.025-0.027: the counters' signals change less with the depth of the interaction "
        "than in Geant4"))),
], ids=lambda e: f"{e:g}GeV")
def test_each_counter_below_the_threshold(e_gev: float) -> None:
    """P(counter < 10 MeV) of each counter in the bins where the tail reaches them."""
    z, veto = _fast(e_gev)
    pairs = []
    for r in ROWS:
        if (float(r["energy_GeV"]) != e_gev or r["counter"] == "max"
                or float(r["x_MeV"]) != THRESHOLD
                or (float(r["z_lo_mm"]), float(r["z_hi_mm"])) not in TAIL_BINS):
            continue
        sel = (z >= float(r["z_lo_mm"])) & (z < float(r["z_hi_mm"]))
        q = float(np.mean(veto[sel, int(r["counter"])] <= THRESHOLD))
        pairs.append((float(r["cdf"]), int(r["n"]), q, int(sel.sum())))
    assert len(pairs) == 3 * len(TAIL_BINS)
    assert _chi2(pairs) < chi2.ppf(0.999, len(pairs))
