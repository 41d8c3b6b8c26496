"""The albedo of hadron showers into the counters in front of a calorimeter
(:class:`na64.detector.setup.Backsplash`, :func:`na64.detector.response.backsplash_mean_hits`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.detector import deposit, load_setup
from na64.detector.response import backsplash_mean_hits
from na64.detector.stack import build_stack
from na64.units import GeV

SETUP = load_setup("na64e_2016_2018")
STACK = build_stack(SETUP)


def _l(z_mm: np.ndarray) -> np.ndarray:
    return STACK.convert(np.asarray(z_mm, dtype=float) + STACK.target_z, "z", "l")


def test_shipped_setup_has_the_fitted_table() -> None:
    assert SETUP.veto is not None
    assert SETUP.veto.backsplash is not None
    assert load_setup("na64mu_2022").veto is None


def test_no_albedo_from_showers_in_front_of_the_counters() -> None:
    """Showers in the ECAL (before the veto) send nothing back into the veto."""
    mean = backsplash_mean_hits(SETUP, STACK, _l([10.0, 200.0, 440.0]), np.full(3, 50 * GeV))
    assert np.all(mean == 0.0)


def test_albedo_falls_with_depth_and_distance_and_grows_with_energy() -> None:
    z = np.array([705.0, 800.0, 1000.0])
    mean = backsplash_mean_hits(SETUP, STACK, _l(z), np.full(3, 100 * GeV))
    assert np.all(mean > 0.0)
    assert np.all(np.diff(mean, axis=0) < 0.0)  # deeper: fewer hits in every counter
    assert np.all(np.diff(mean, axis=1) > 0.0)  # the counter nearest the HCAL gets most
    bs = SETUP.veto.backsplash
    lo = backsplash_mean_hits(SETUP, STACK, _l(z[:1]), np.array([10 * GeV]))
    np.testing.assert_allclose(lo / mean[:1], 0.1**bs.energy_exponent, rtol=1e-12)


def test_without_table_nothing_changes() -> None:
    """A setup without ``[veto.backsplash]`` gives no albedo, and its events are those of a
    simulation that never heard of it (the albedo draws from a stream of its own)."""
    plain = SETUP.model_copy(update={"veto": SETUP.veto.model_copy(update={"backsplash": None})})
    assert np.all(backsplash_mean_hits(plain, build_stack(plain), _l([705.0]),
                                       np.array([100 * GeV])) == 0.0)
    n = 400
    parts = {"pdg": np.full(n, -211), "energy": np.full(n, 100 * GeV), "x": np.zeros(n),
             "y": np.zeros(n)}
    a = deposit(plain, parts, np.random.default_rng(3))
    b = deposit(SETUP, parts, np.random.default_rng(3))
    np.testing.assert_array_equal(a["ecal"], b["ecal"])
    np.testing.assert_array_equal(a["true_interaction_z"], b["true_interaction_z"])
    behind = (a["true_interaction_z"] >= 700.0)
    assert np.all(b["veto"][~behind] == a["veto"][~behind])
    assert np.all(b["veto"][behind] >= a["veto"][behind])
    assert np.any(b["veto"][behind] > a["veto"][behind])


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-100.0, 6000.0), e=st.floats(0.0, 1e6))
def test_mean_hits_finite_and_non_negative(z: float, e: float) -> None:
    mean = backsplash_mean_hits(SETUP, STACK, _l([max(z, 0.0)]), np.array([e]))
    assert np.all(np.isfinite(mean))
    assert np.all(mean >= 0.0)


@pytest.mark.parametrize(("field", "value"), [("hits", -1.0), ("transmission", 1.5),
                                         ("attenuation_lambda", 0.0), ("shower_spread", -0.1)])
def test_bad_values_are_refused(field: str, value: float) -> None:
    from pydantic import ValidationError

    from na64.detector.setup import Backsplash

    good = {"hits": 10.0, "attenuation_lambda": 1.0, "hit_energy": "1MeV"}
    with pytest.raises(ValidationError, match=field):
        Backsplash(**{**good, field: value})
