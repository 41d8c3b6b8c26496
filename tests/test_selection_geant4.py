"""na64's reconstruction and invisible-mode selection on Geant4 events and on its own.

The Geant4 events are ``tests/data/g4_na64e_calorimeter_events.npz`` (the cells of 2500
100 GeV e−, 1000 π− and 1000 μ− of the calorimeter reference in ``na64e_2016_2018``, see
tests/data/README.md), digitised by na64 for what the full simulation does not do
(:func:`na64.detector.observables.digitise_reference`) with the ECAL calibrated by the
reference electrons' sampling fraction.  The same calorimeter cuts of
``invisible_2016_2018`` (veto, pre-shower, shower shape, ECAL and HCAL energy; the SRD and
tracking cuts need detectors outside the reference) must keep the same fraction of both, cut
by cut, within 2 points, or within three combined binomial errors where that is larger.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from na64.detector import load_setup, response
from na64.detector.observables import (
    digitise_reference,
    geant4_sample,
    read_reference_cells,
    read_reference_table,
)
from na64.pipeline import reconstruct
from na64.reach.config import load_analysis
from na64.units import GeV

DATA = Path(__file__).parent / "data"
SETUP = load_setup("na64e_2016_2018")
E_BEAM = 100.0 * GeV
F_SC = read_reference_table(DATA / "g4_na64e_100GeV.csv")[("e-", "sampling_fraction_sc")].value
PDG = {"e-": 11, "pi-": -211, "mu-": 13}
EVENTS = 20000
CUTS = ("veto", "preshower", "shower_shape", "ecal_max", "hcal_max")


def _selection():  # a Selection
    sel = load_analysis("invisible_2016_2018").selection.build(E_BEAM)
    return sel.configure({name: {"enabled": False}
                          for name in ("srd", "single_track", "beam_momentum")})


@cache
def _flows(particle: str) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]], int]:
    arrays = read_reference_cells(DATA / "g4_na64e_calorimeter_events.npz")[particle]
    g4 = geant4_sample(arrays, particle, E_BEAM, F_SC)
    rng = np.random.default_rng(20 + len(particle))
    fast_raw = response(SETUP, {"pdg": np.full(EVENTS, PDG[particle]),
                                "energy": np.full(EVENTS, E_BEAM)}, rng)
    g4_raw = digitise_reference(SETUP, g4, rng)
    sel = _selection()
    out = []
    for raw in (fast_raw, g4_raw):
        flow = sel.cutflow(reconstruct(raw, SETUP))
        out.append({r["name"]: (r["eff_tot"], r["eff_tot_err"]) for r in flow})
    return out[0], out[1], g4.n


def test_the_events_file_holds_the_three_samples() -> None:
    for particle, n in (("e-", 2500), ("pi-", 1000), ("mu-", 1000)):
        assert _flows(particle)[2] == n


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("particle", list(PDG))
def test_cut_keeps_the_same_fraction(particle: str, cut: str) -> None:
    fast, g4, n = _flows(particle)
    (f, fe), (g, ge) = fast[cut], g4[cut]
    tol = max(0.02, 3.0 * math.hypot(fe, ge))
    assert abs(f - g) <= tol, (f"{particle} after {cut}: na64 {f:.4f} +- {fe:.4f}, "
                               f"Geant4 {g:.4f} +- {ge:.4f} ({n} events)")


def test_electrons_mostly_pass_the_calorimeter_cuts_before_the_energy_cut() -> None:
    """A physical fact of both: 100 GeV electron showers are contained (veto, pre-shower
    and shape keep > 90%), and none has the missing energy of the ECAL cut."""
    fast, g4, _ = _flows("e-")
    for flow in (fast, g4):
        assert flow["shower_shape"][0] > 0.9
        assert flow["ecal_max"][0] == 0.0


def test_cells_only_reference_gives_finite_observables_without_containment() -> None:
    """A reference kept as cells has no absorber deposit: the containment observables are
    left out, not NaN."""
    from na64.detector.observables import observables

    arrays = read_reference_cells(DATA / "g4_na64e_calorimeter_events.npz")["e-"]
    sample = geant4_sample(arrays, "e-", E_BEAM, F_SC)
    assert sample.ecal_deposit is None
    assert sample.depth_quantiles is None
    obs = observables(sample, SETUP, bootstrap=0)
    assert "ecal_containment" not in obs
    assert "containment_rms" not in obs
    assert all(math.isfinite(v) and math.isfinite(e) for v, e in obs.values())
