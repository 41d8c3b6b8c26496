"""The particles of hadron showers crossing the veto counters behind the ECAL
(:class:`na64.detector.setup.HadronTracks`, :func:`na64.detector.response.hadron_track_deposits`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from na64.detector import deposit, load_setup
from na64.detector.response import hadron_track_deposits
from na64.detector.setup import HadronTracks
from na64.units import GeV, MeV

SETUP = load_setup("na64e_2016_2018")


def _with(table: HadronTracks | None):
    return SETUP.model_copy(update={"veto": SETUP.veto.model_copy(
        update={"hadron_tracks": table})})


def _pions(n: int, e: float) -> dict[str, np.ndarray]:
    return {"pdg": np.full(n, -211), "energy": np.full(n, e), "x": np.zeros(n),
            "y": np.zeros(n)}


def test_shipped_setup_has_the_fitted_table() -> None:
    assert SETUP.veto is not None
    assert SETUP.veto.hadron_tracks is not None
    assert 0.0 < SETUP.veto.hadron_tracks.visible_fraction < 1.0


def test_only_the_counters_change() -> None:
    """The counters' particles are drawn from a stream of their own: every other output of
    an event is the one of the profile's share (no table)."""
    parts = _pions(600, 10 * GeV)
    a = deposit(_with(None), parts, np.random.default_rng(5))
    b = deposit(SETUP, parts, np.random.default_rng(5))
    for key in a:
        if key != "veto":
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    in_ecal = a["true_interaction_z"] < 300.0
    # the tail of a shower starting in the first 30 cm of the ECAL: fewer MeV than the
    # continued profile (visible_fraction < 1)
    assert b["veto"][in_ecal].sum() < a["veto"][in_ecal].sum()
    # a pion interacting behind the counters: the same counters either way
    behind = a["true_interaction_z"] > 1000.0
    np.testing.assert_array_equal(a["veto"][behind], b["veto"][behind])


def test_mean_is_the_visible_fraction_of_the_share() -> None:
    """E[deposit] = visible_fraction × share (Poisson number of Gamma hits, a mean-one
    shower factor): checked on 2e5 draws to 1% (the statistical error is ~0.3%)."""
    table = HadronTracks(visible_fraction=0.4, hit_energy="3MeV", hit_shape=0.7,
                         shower_spread=0.6)
    setup = _with(table)
    n = 200_000
    share = np.tile([[20.0, 10.0, 5.0]], (n, 1)) * MeV
    out = {"veto": np.zeros((n, 3))}
    hadron_track_deposits(out, setup, [(np.arange(n), share)], np.random.default_rng(1))
    np.testing.assert_allclose(out["veto"].mean(axis=0), 0.4 * share[0], rtol=0.01)
    # the shower factor g correlates the counters: with m = 0.4 share / 3 MeV hits per
    # counter, Cov = (3 MeV)^2 m_i m_j Var(g), Var = m (3 MeV)^2 (1 + 1/k) + (3 MeV)^2 m^2
    # Var(g) (compound Poisson-Gamma given g, then the law of total variance); the
    # correlation's standard error on 2e5 draws is ~0.002
    m = 0.4 * share[0] / (3 * MeV)
    var_g, second = 0.6**2, 1.0 + 1.0 / 0.7
    expect = m[0] * m[2] * var_g / np.sqrt((m[0] * second + m[0] ** 2 * var_g)
                                           * (m[2] * second + m[2] ** 2 * var_g))
    assert np.corrcoef(out["veto"][:, 0], out["veto"][:, 2])[0, 1] == pytest.approx(
        expect, abs=0.01)


def test_zero_visible_fraction_leaves_the_counters_alone() -> None:
    setup = _with(HadronTracks(visible_fraction=0.0, hit_energy="2MeV"))
    out = {"veto": np.zeros((10, 3))}
    hadron_track_deposits(out, setup, [(np.arange(10), np.full((10, 3), 50.0))],
                          np.random.default_rng(0))
    assert np.all(out["veto"] == 0.0)


@pytest.mark.parametrize("bad", [{"visible_fraction": -0.1, "hit_energy": "2MeV"},
                                 {"visible_fraction": 0.3, "hit_energy": "0MeV"},
                                 {"visible_fraction": 0.3, "hit_energy": "2MeV",
                                  "hit_shape": 0.0},
                                 {"visible_fraction": 0.3, "hit_energy": "2MeV",
                                  "shower_spread": -1.0}])
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HadronTracks(**bad)


@settings(max_examples=40, deadline=None)
@given(f=st.floats(0.0, 10.0), eps=st.floats(0.01, 1000.0), k=st.floats(0.01, 100.0),
       spread=st.floats(0.0, 10.0), share=st.floats(0.0, 1e5), seed=st.integers(0, 2**32 - 1))
def test_deposits_are_finite_and_non_negative(f: float, eps: float, k: float, spread: float,
                                              share: float, seed: int) -> None:
    setup = _with(HadronTracks(visible_fraction=f, hit_energy=f"{eps}MeV", hit_shape=k,
                               shower_spread=spread))
    out = {"veto": np.zeros((50, 3))}
    hadron_track_deposits(out, setup, [(np.arange(50), np.full((50, 3), share))],
                          np.random.default_rng(seed))
    assert np.all(np.isfinite(out["veto"]))
    assert np.all(out["veto"] >= 0.0)
