"""Tests of the declarative selection, cut-flow and N-1 framework (na64.select)."""

from __future__ import annotations

import numpy as np
import pytest
from hepunits import GeV, MeV
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.errors import InputError
from na64.select import Cut, Selection, efficiency, invisible_selection


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))


def _events(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Synthetic reco columns spanning both sides of every default cut."""
    return {
        "srd_energy": rng.uniform(0, 150, n) * MeV,
        "veto_energy": rng.exponential(0.7, n) * MeV,
        "n_tracks": rng.integers(0, 3, n),
        "p_in": rng.normal(100, 3, n) * GeV,
        "preshower_energy": rng.uniform(0, 2, n) * GeV,
        "shower_chi2": rng.exponential(1.5, n),
        "ecal_energy": rng.uniform(0, 100, n) * GeV,
        "hcal_energy": rng.exponential(1, n) * GeV,
    }


def test_cutflow_arithmetic_unweighted() -> None:
    rng = _rng(1)
    ev = _events(5000, rng)
    sel = invisible_selection()
    cf = sel.cutflow(ev)
    assert cf.names[0] == "all"
    assert cf.names[1:] == sel.names
    # independent recomputation with plain numpy
    current = np.ones(5000, dtype=bool)
    prev_n = 5000
    for i, cut in enumerate(sel, start=1):
        current = current & cut.mask(ev)
        k = int(current.sum())
        assert cf.n[i] == k
        assert cf.sum_w[i] == k  # unit weights
        assert cf.sum_w_err[i] == pytest.approx(np.sqrt(k))
        eps = k / prev_n
        assert cf.eff_rel[i] == pytest.approx(eps)
        assert cf.eff_rel_err[i] == pytest.approx(np.sqrt(eps * (1 - eps) / prev_n))
        assert cf.eff_tot[i] == pytest.approx(k / 5000)
        assert cf.eff_tot_err[i] == pytest.approx(np.sqrt(k / 5000 * (1 - k / 5000) / 5000))
        prev_n = k
    # total efficiency is the product of the relative ones
    assert cf.eff_tot[-1] == pytest.approx(np.prod(cf.eff_rel[1:]))
    np.testing.assert_array_equal(sel.mask(ev), current)
    row = cf["ecal_max"]
    assert row["n"] == cf.n[sel.names.index("ecal_max") + 1]
    assert len(cf.to_records()) == len(sel) + 1
    assert "hcal_max" in str(cf)


def test_weighted_efficiency_error_matches_toy_spread() -> None:
    # The weighted-efficiency variance formula (Paterno, FERMILAB-TM-2286-CD) must agree with
    # the actual spread of ε_w over independent toy samples.  400 toys determine the spread
    # to 1/sqrt(2*400) = 3.5%; tolerance 12% (3.4 sigma).
    rng = _rng(2)
    effs, errs = [], []
    for _ in range(400):
        w = rng.exponential(1.0, 500) ** 2  # broad weights
        passed = rng.random(500) < 0.3
        e, de = efficiency(passed, w)
        effs.append(e)
        errs.append(de)
    assert np.std(effs, ddof=1) == pytest.approx(np.mean(errs), rel=0.12)
    # with unit weights it is exactly the binomial error
    passed = rng.random(1000) < 0.2
    e, de = efficiency(passed)
    assert de == pytest.approx(np.sqrt(e * (1 - e) / 1000))


def test_weighted_cutflow_sums() -> None:
    rng = _rng(3)
    ev = _events(3000, rng)
    w = rng.exponential(2.0, 3000)
    sel = invisible_selection()
    cf = sel.cutflow(ev, weights=w)
    final = sel.mask(ev)
    assert cf.sum_w[-1] == pytest.approx(w[final].sum())
    assert cf.sum_w_err[-1] == pytest.approx(np.sqrt(np.sum(w[final] ** 2)))
    assert cf.eff_tot[-1] == pytest.approx(w[final].sum() / w.sum())
    assert cf.n[-1] == final.sum()
    with pytest.raises(InputError, match="weights"):
        sel.cutflow(ev, weights=w[:10])


def test_units_and_configuration() -> None:
    sel = invisible_selection()
    assert sel["ecal_max"].value == pytest.approx(50 * GeV)
    assert sel["hcal_max"].value == pytest.approx(1 * GeV)
    assert sel["beam_momentum"].value == pytest.approx((97 * GeV, 103 * GeV))
    sel2 = invisible_selection({"ecal_max": "60GeV", "hcal_max": 2, "shower_shape": 5.0})
    assert sel2["ecal_max"].value == pytest.approx(60 * GeV)
    assert sel2["hcal_max"].value == pytest.approx(2 * GeV)  # a bare energy is GeV
    assert sel2["shower_shape"].value == pytest.approx(5.0)
    toml = """
[selection]
ecal_max = "45GeV"
veto = { enabled = false }
beam_momentum = ["95GeV", "105GeV"]
[selection.columns]
ecal_energy = "E_ecal"
"""
    sel3 = invisible_selection(toml)
    assert sel3["ecal_max"].value == pytest.approx(45 * GeV)
    assert sel3["ecal_max"].column_or_function == "E_ecal"
    assert not sel3["veto"].enabled
    assert sel3["beam_momentum"].value == pytest.approx((95 * GeV, 105 * GeV))
    ev = _events(100, _rng(4))
    ev["E_ecal"] = ev.pop("ecal_energy")
    assert np.all(sel3["veto"].mask(ev))  # disabled: passes everything
    assert sel3.cutflow(ev).n[-1] == sel3.mask(ev).sum()
    for bad, field in [({"nonsense": 1}, "cut"), ({"ecal_max": "50mm"}, "ecal_max"),
                       ({"ecal_max": {"op": "~"}}, "op"), ({"columns": {"foo": "bar"}}, "columns"),
                       ({"beam_momentum": "97GeV"}, "beam_momentum")]:
        with pytest.raises(InputError, match=field):
            invisible_selection(bad)
    with pytest.raises(InputError, match="ecal_energy"):
        invisible_selection().mask({"srd_energy": np.zeros(3)})
    with pytest.raises(InputError, match="unique"):
        Selection([Cut("a", "x", "<", 1), Cut("a", "y", ">", 2)])


def test_function_cuts_and_ops() -> None:
    ev = {"x": np.array([-3.0, -1.0, 0.0, 1.0, 3.0]), "y": np.array([1, 2, 3, 4, 5])}
    sel = Selection([
        Cut("absx", "x", "abs<", 2.0),
        Cut("ratio", lambda e: e["y"] / 2.0, ">=", 1.0, "y/2 >= 1"),
        Cut("window", "x", "outside", (-0.5, 0.5)),
    ])
    masks = sel.masks(ev)
    np.testing.assert_array_equal(masks["absx"], [False, True, True, True, False])
    np.testing.assert_array_equal(masks["ratio"], [False, True, True, True, True])
    np.testing.assert_array_equal(masks["window"], [True, True, False, True, True])
    np.testing.assert_array_equal(sel.mask(ev), [False, True, False, True, False])
    assert sel.cutflow(ev).n.tolist() == [5, 3, 3, 2]


def test_n_minus_1() -> None:
    rng = _rng(5)
    ev = _events(4000, rng)
    w = rng.exponential(1.0, 4000)
    sel = invisible_selection()
    edges = np.array([0.0, 25.0, 50.0, 75.0, 100.0]) * GeV
    h = sel.n_minus_1(ev, "ecal_max", edges, weights=w)
    others = sel.mask(ev, exclude="ecal_max")
    # all events passing the other cuts are histogrammed, with their weights and w²
    assert h.sum().value == pytest.approx(w[others].sum())
    assert h.sum().variance == pytest.approx(np.sum(w[others] ** 2))
    # the bins below the 50 GeV cut hold exactly the fully selected events
    assert h.values()[:2].sum() == pytest.approx(sel.cutflow(ev, w).sum_w[-1])
    assert h.axes[0].label == sel["ecal_max"].description
    # automatic range: every event passing the other cuts lands inside the axis (no flow)
    h2 = sel.n_minus_1(ev, "shower_shape", 30)
    assert h2.sum(flow=False) == sel.mask(ev, exclude="shower_shape").sum()
    with pytest.raises(InputError, match="cut"):
        sel.n_minus_1(ev, "nope", 10)
    with pytest.raises(InputError, match="bins"):
        sel.n_minus_1(ev, "ecal_max", [3.0, 1.0])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1), weighted=st.booleans())
def test_cutflow_properties(n: int, seed: int, weighted: bool) -> None:
    rng = _rng(seed)
    ev = _events(n, rng)
    w = rng.exponential(1.0, n) if weighted else None
    cf = invisible_selection().cutflow(ev, w)
    assert np.all(np.diff(cf.n) <= 0)  # a cut never adds events
    for arr in (cf.sum_w, cf.sum_w_err, cf.eff_rel, cf.eff_rel_err, cf.eff_tot, cf.eff_tot_err):
        assert np.all(np.isfinite(arr))
    assert np.all((cf.eff_rel >= 0) & (cf.eff_rel <= 1))
    assert np.all((cf.eff_tot >= 0) & (cf.eff_tot <= 1))


def test_disabled_cut_needs_no_column() -> None:
    ev = _events(50, _rng(9))
    del ev["srd_energy"]
    sel = invisible_selection({"srd": {"enabled": False}})
    cf = sel.cutflow(ev)
    assert cf.n[1] == 50  # the disabled SRD cut passes all events
    assert cf.n[-1] == sel.mask(ev).sum()
    with pytest.raises(InputError, match="srd_energy"):
        invisible_selection().cutflow(ev)
