"""The MS2 acceptance of the muon search: tracker active areas, the bend of the scattered
muon behind the target and the trigger counter on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from na64.beam import TriggerCounter, load_beamline
from na64.beam.config import BeamlineConfig
from na64.beam.tracking import simulate_hits, spectrometer_geometry, track_momentum, trigger_fired
from na64.errors import InputError
from na64.units import GeV

LINE = load_beamline("m2_muons")
#: p [GeV] = 0.2998 B[T] L[m] / theta (PDG 2024 review 34): the MBPL's 2.8 T m
KICK_GEV = 0.2998 * 2.8


def _muons(p: float, n: int, rng: np.random.Generator, *, spot: float = 0.0
           ) -> dict[str, np.ndarray]:
    return {"pdg": np.full(n, -13), "energy": np.full(n, p),
            "x": spot * rng.standard_normal(n), "y": spot * rng.standard_normal(n),
            "tx": np.zeros(n), "ty": np.zeros(n)}


def test_scattered_muon_is_bent_behind_the_target() -> None:
    # behind the target the muon leaves the target face on its line and is kicked at the
    # MBPL centre (z = 3 m): at GEM1 (7 m) a 40 GeV mu+ is at 0.2998 * 2.8 / 40 * 4 m
    geo = spectrometer_geometry(LINE, "MS2")
    p = 40 * GeV
    hits, mask = simulate_hits(_muons(p, 2000, np.random.default_rng(1)), geo,
                               np.random.default_rng(2))
    assert mask.all()
    expect = KICK_GEV / 40.0 * 4000.0
    assert np.median(hits[:, 3]) == pytest.approx(expect, abs=0.5)
    # before the magnet the track is on the beam axis (Micromegas at 1 and 1.8 m)
    assert np.abs(np.median(hits[:, :2], axis=0)).max() < 0.5


def test_track_lost_outside_the_active_area() -> None:
    # GEM1 covers x in 21 ± 150 mm: a mu+ below 0.2998 * 2.8 * 4 m / 171 mm = 19.6 GeV
    # misses it and the downstream arm keeps one hit: no track
    rng = np.random.default_rng(3)
    edge = KICK_GEV * 4000.0 / 171.0
    ok_hi = track_momentum(_muons(1.05 * edge * GeV, 2000, rng), LINE, rng,
                           spectrometer="MS2")["valid"]
    ok_lo = track_momentum(_muons(0.95 * edge * GeV, 2000, rng), LINE, rng,
                           spectrometer="MS2")["valid"]
    assert ok_hi.mean() > 0.999
    assert ok_lo.mean() < 0.001


def test_trigger_window_in_momentum() -> None:
    # the counter at 15 m spans x in [100.7, 354.0] mm: p in [0.2998*2.8*12/0.354,
    # 0.2998*2.8*12/0.1007] = [28.5, 100.0] GeV; the 160 GeV beam passes beside it
    rng = np.random.default_rng(4)
    lo = KICK_GEV * 12000.0 / 354.0
    hi = KICK_GEV * 12000.0 / 100.7
    for p, expect in ((0.97 * lo, 0.0), (1.03 * lo, 1.0), (80.0, 1.0), (0.97 * hi, 1.0),
                      (1.03 * hi, 0.0), (160.0, 0.0)):
        fired = trigger_fired(_muons(p * GeV, 1000, rng), LINE)
        assert fired.mean() == pytest.approx(expect, abs=1e-9), p
    # a neutral particle never fires it
    neutral = {"pdg": np.array([22]), "energy": np.array([50 * GeV])}
    assert not trigger_fired(neutral, LINE).any()


def test_trigger_acceptance_smeared_by_the_beam_spot() -> None:
    # with a Gaussian spot of sigma 20 mm, a muon whose nominal position is at the inner
    # edge fires the counter half of the time
    rng = np.random.default_rng(5)
    p = KICK_GEV * 12000.0 / 100.7
    fired = trigger_fired(_muons(p * GeV, 40_000, rng, spot=20.0), LINE)
    assert fired.mean() == pytest.approx(0.5, abs=4 * math.sqrt(0.25 / 40_000))


def test_no_trigger_counters_fire_always() -> None:
    line = LINE.model_copy(update={"trigger": ()})
    rng = np.random.default_rng(6)
    assert trigger_fired(_muons(160 * GeV, 10, rng), line).all()


def test_trigger_counter_edges_validated() -> None:
    with pytest.raises(ValueError, match="x_min"):
        TriggerCounter(name="S", z=1000.0, x_min=10.0, x_max=5.0, half_height=10.0)
    data = LINE.model_dump()
    data["trigger"] = [{"name": "S", "z": -5.0, "x_min": 0.0, "x_max": 1.0,
                        "half_height": 1.0}]
    with pytest.raises((ValueError, InputError)):
        BeamlineConfig.model_validate(data)
