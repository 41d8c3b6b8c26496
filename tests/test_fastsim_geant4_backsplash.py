"""The albedo of hadron showers into the veto counters in front of the HCAL, against Geant4.

Reference: ``tests/data/g4_pion_backsplash.csv`` (``validation/fit_backsplash.py``: π− of
2-100 GeV in ``na64e_2016_2018``, Geant4 11.4 with the data-free physics list of the
calorimeter reference; 1000-4000 pions per energy).  For each energy and each bin of the
depth of the pion's first interaction in the HCAL it gives the fraction of pions that leave
every veto counter below 10 MeV (the invisible-mode veto cut) and each counter's
distribution.  The albedo's constants (``[veto.backsplash]``) are fitted to these rows, so
these tests check that one set of constants describes every energy and depth, through the
full fast simulation rather than the fit's analytic model.

Tolerances: the four depth bins of one energy hold independent events, so their veto-cut
fractions are compared together, χ² = Σ (na64 − Geant4)² / (σ_G4² + σ_MC²) with binomial
errors, against the 0.1% quantile of χ² with four degrees of freedom (18.5); each counter's
median deposit per bin within three standard errors (bootstrap of the reference's median,
from its distribution function) plus 0.3 MeV.
"""

from __future__ import annotations

import math
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

DATA = Path(__file__).parent / "data" / "g4_pion_backsplash.csv"
SETUP = load_setup("na64e_2016_2018")
EVENTS = 20000


ROWS = read_veto_reference(DATA)
#: the veto cut of the table's "max" rows (every counter below it, MeV), energies, bins
THRESHOLD, ENERGIES, BINS = veto_reference_layout(ROWS)


@cache
def _fast(e_gev: float) -> tuple[np.ndarray, np.ndarray]:
    s = fastsim_sample(SETUP, "pi-", e_gev * GeV, EVENTS, seed=4242 + int(e_gev))
    assert s.interaction_z is not None
    return s.interaction_z, s.veto


def _max_rows(e_gev: float) -> list[dict[str, str]]:
    return [r for r in ROWS if float(r["energy_GeV"]) == e_gev and r["counter"] == "max"]


def test_the_table_covers_the_energies_and_depths() -> None:
    assert ENERGIES == [2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    assert BINS[0] == (700.0, 800.0)  # the HCAL face
    for e in ENERGIES:
        assert len(_max_rows(e)) == len(BINS) + 1  # the bins and all pions


def test_the_albedo_falls_with_the_depth_of_the_interaction() -> None:
    """A physical fact of the reference and of na64: the deeper in the HCAL the pion
    interacts, the more often the veto stays quiet (100 GeV)."""
    g4 = [float(r["cdf"]) for r in _max_rows(100.0) if math.isfinite(float(r["z_hi_mm"]))]
    z, veto = _fast(100.0)
    quiet = veto.max(axis=1) < THRESHOLD
    na64 = [quiet[(z >= lo) & (z < hi)].mean() for lo, hi in BINS]
    assert g4[0] < g4[1] < g4[2]
    assert na64[0] < na64[1] < na64[2]


@pytest.mark.parametrize("e_gev", ENERGIES, ids=lambda e: f"{e:g}GeV")
def test_veto_cut_by_depth_of_the_interaction(e_gev: float) -> None:
    z, veto = _fast(e_gev)
    quiet = veto.max(axis=1) < THRESHOLD
    chi = 0.0
    lines = []
    for r in _max_rows(e_gev):
        lo, hi, n, p = (float(r["z_lo_mm"]), float(r["z_hi_mm"]), int(r["n"]),
                        float(r["cdf"]))
        if not math.isfinite(hi):
            continue
        sel = (z >= lo) & (z < hi)
        q = float(quiet[sel].mean())
        chi += veto_cut_chi2_term(p, n, q, int(sel.sum()))
        lines.append(f"[{lo:g},{hi:g}) na64 {q:.3f} Geant4 {p:.3f} of {n}")
    assert chi < chi2.ppf(0.999, len(lines)), f"chi2 {chi:.1f}: " + "; ".join(lines)


_ECAL_INTERACTIONS = (
    "the veto cut on all pions of {e} GeV is set by those interacting in the ECAL; of those "
    "interacting in its first 20 cm Geant4 vetoes 12-17%, na64 0.1-1.5%: at 2 GeV the "
    "tail of the hadron profile (tests/data/g4_pion_ecal_leakage.csv, "
    "[veto.hadron_tracks], fitted at 5-20 GeV) carries too few particles to the counters")


@pytest.mark.parametrize("e_gev", [
    pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=_ECAL_INTERACTIONS.format(
        e=f"{e:g}"))) if e == 2.0 else e
    for e in ENERGIES], ids=lambda e: f"{e:g}GeV")
def test_veto_cut_on_all_pions(e_gev: float) -> None:
    """The fraction of all pions that pass the veto cut, within 5% or three combined
    binomial errors."""
    _, veto = _fast(e_gev)
    q = float((veto.max(axis=1) < THRESHOLD).mean())
    (row,) = [r for r in _max_rows(e_gev) if not math.isfinite(float(r["z_hi_mm"]))]
    p, n = float(row["cdf"]), int(row["n"])
    sigma = math.sqrt(p * (1 - p) / n + q * (1 - q) / EVENTS)
    assert abs(q - p) <= max(0.05 * p, 3.0 * sigma), f"na64 {q:.3f}, Geant4 {p:.3f} of {n}"


def _median_from_cdf(x: np.ndarray, cdf: np.ndarray) -> float:
    return float(np.interp(0.5, cdf, x)) if cdf[-1] >= 0.5 else float(x[-1])


@pytest.mark.parametrize("e_gev", ENERGIES, ids=lambda e: f"{e:g}GeV")
def test_counter_medians_in_the_first_bin(e_gev: float) -> None:
    """Each counter's median deposit for pions interacting in the first 10 cm of the HCAL
    (where the albedo is largest), read from the reference's distribution function."""
    z, veto = _fast(e_gev)
    lo, hi = BINS[0]
    sel = (z >= lo) & (z < hi)
    for c in range(veto.shape[1]):
        rows = [r for r in ROWS if float(r["energy_GeV"]) == e_gev and r["counter"] == str(c)
                and float(r["z_lo_mm"]) == lo]
        x = np.array([float(r["x_MeV"]) for r in rows])
        cdf = np.array([float(r["cdf"]) for r in rows])
        n = int(rows[0]["n"])
        med = _median_from_cdf(x, cdf)
        # standard error of a median: sqrt(1/(4 n)) / f(median), f from the local slope
        j = int(np.clip(np.searchsorted(cdf, 0.5), 1, x.size - 1))
        density = max((cdf[j] - cdf[j - 1]) / (x[j] - x[j - 1]), 1e-3)
        err = math.sqrt(1.0 / (4 * n)) / density
        got = float(np.median(veto[sel, c]))
        assert abs(got - med) <= 3.0 * err + 0.3, (
            f"counter {c}: na64 {got:.2f} MeV, Geant4 {med:.2f} +- {err:.2f} MeV ({n} events)")
