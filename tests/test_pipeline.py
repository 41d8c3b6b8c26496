"""The shared event pipeline (na64.pipeline): one schema for simulate, select and the searches."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from na64.background import BackgroundContext, estimate_background
from na64.detector import load_setup
from na64.errors import InputError
from na64.pipeline import (
    RECO_COLUMNS,
    DetectorResponse,
    EventPipeline,
    FastResponse,
    reconstruct,
    simulate_events,
    spectrometer_columns,
)
from na64.reach import Search, load_analysis
from na64.run.select import select_file
from na64.select import CutFlow
from na64.units import GeV, MeV

SETUP = load_setup("na64e_2016_2018")
CFG = load_analysis("invisible_2016_2018")


@pytest.fixture(scope="module")
def pipe() -> EventPipeline:
    return EventPipeline(SETUP)


def test_simulate_gives_the_schema(pipe: EventPipeline) -> None:
    ev = pipe.simulate(500, np.random.default_rng(1), reconstruct=True)
    for name in ("ecal", "hcal", "veto", "srd", "true_pdg", "true_energy", "beam_decayed",
                 *spectrometer_columns("MS"), *RECO_COLUMNS):
        if name in ("p_out", "n_tracks_out", "vhcal_energy", "wcal_energy", "energy_sum",
                    "decay_counter_energy"):
            # one spectrometer in the NA64e beam line, no WCAL, no decay counter
            assert name not in ev
            continue
        assert name in ev, name
        assert np.asarray(ev[name]).shape[0] == 500
    # reconstruction is a function of the digitised columns alone
    again = reconstruct({k: v for k, v in ev.items() if k not in RECO_COLUMNS}, SETUP)
    for k, v in again.items():
        np.testing.assert_array_equal(v, ev[k])


def test_reconstructed_quantities_are_physical(pipe: EventPipeline) -> None:
    ev = pipe.simulate(2000, np.random.default_rng(2), reconstruct=True, core=True)
    # beam-core electrons: one track at the beam momentum (spread ~1%, resolution ~1%),
    # the full energy in the ECAL (leakage < 2%), a pre-shower signal
    assert np.mean(ev["n_tracks"] == 1) > 0.98
    p = ev["p_in"][ev["n_tracks"] == 1]
    assert np.median(p) == pytest.approx(100 * GeV, rel=0.01)
    assert np.median(ev["ecal_energy"]) == pytest.approx(100 * GeV, rel=0.02)
    assert np.all(ev["srd_energy"] >= 0)
    assert np.all(ev["true_pdg"] == 11)


def test_same_seed_same_events_and_stage_order(pipe: EventPipeline) -> None:
    a = simulate_events(SETUP, 300, np.random.default_rng(9))
    b = pipe.simulate(300, np.random.default_rng(9))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_upstream_detectors_see_the_parent_of_a_decay(pipe: EventPipeline) -> None:
    rng = np.random.default_rng(4)
    base = pipe.core(400, rng)
    pions = pipe.as_species(base, "pi-")
    # every pion decayed downstream of the magnets into a soft muon
    mu = dict(pions)
    mu["pdg"] = np.full(400, 13)
    mu["energy"] = np.full(400, 5 * GeV)
    mu["decayed"] = np.ones(400, bool)
    up = pipe.upstream(mu, np.random.default_rng(5))
    ok = up["ms_valid"]
    assert ok.mean() > 0.95
    # the spectrometer measured the ~100 GeV parent, not the 5 GeV daughter
    assert np.median(up["ms_momentum"][ok]) == pytest.approx(100 * GeV, rel=0.02)


class _NoShower:
    """A detector response that sees nothing in the calorimeters (a test engine)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, setup, particles, rng):  # type: ignore[no-untyped-def]
        self.calls += 1
        out = FastResponse()(setup, particles, rng)
        return {k: (v if k.startswith("true_") else np.zeros_like(v)) for k, v in out.items()}


def test_the_detector_response_is_pluggable() -> None:
    engine = _NoShower()
    assert isinstance(engine, DetectorResponse)
    pipe = EventPipeline(SETUP, response=engine)
    ev = pipe.events(pipe.core(200, np.random.default_rng(1)), np.random.default_rng(2))
    assert engine.calls == 1
    assert np.all(ev["ecal_energy"] == 0)
    assert np.all(ev["hcal_energy"] == 0)
    # the engine reaches the searches too: with no pre-shower signal every signal event
    # fails the pre-shower cut (with the fast simulation ~90% pass it at 10 MeV)
    flows = {}
    for name, engine in (("none", _NoShower()), ("fast", None)):
        point = Search(CFG, response=engine).signal_point(10 * MeV, np.random.default_rng(3),
                                                          n_events=200)
        flows[name] = dict((cut, w) for cut, w, _ in point.cutflow)
    assert flows["none"]["preshower"] == 0.0
    assert flows["fast"]["preshower"] > 0.5 * flows["fast"]["beam_momentum"]


def test_beam_override_and_bad_particle() -> None:
    pipe = EventPipeline(SETUP, {"energy": "150GeV"})
    assert pipe.energy == pytest.approx(150 * GeV)
    ev = pipe.simulate(300, np.random.default_rng(1), reconstruct=True, core=True)
    assert np.median(ev["ecal_energy"]) == pytest.approx(150 * GeV, rel=0.02)
    with pytest.raises(InputError, match="particle"):
        pipe.as_species(pipe.core(3, np.random.default_rng(1)), "graviton")
    with pytest.raises(InputError, match="n_events"):
        pipe.simulate(-1, np.random.default_rng(1))


def test_reconstruct_needs_the_target_cells() -> None:
    with pytest.raises(InputError, match="ecal"):
        reconstruct({"hcal": np.zeros((2, 3, 3, 3))}, SETUP)


def test_reconstruct_refuses_cells_of_another_setup() -> None:
    # 6 x 6 ECAL cells of na64e_2016_2018 reconstructed with na64mu_2022's 5 x 6 ECAL: one
    # error naming the setup and both grids, not a broadcasting failure
    ev = {"ecal": np.ones((2, 2, 6, 6)), "hcal": np.zeros((2, 3, 3, 3))}
    with pytest.raises(InputError, match=r"setup: .*6 x 6.*5 x 6"):
        reconstruct(ev, load_setup("na64mu_2022"))


# ------------------------------------------------------------- simulate | select vs the search
def _binomial_agree(k1: int, n1: int, k2: int, n2: int, z: float = 4.0) -> bool:
    p1, p2 = k1 / n1, k2 / n2
    p = (k1 + k2) / (n1 + n2)
    sigma = math.sqrt(max(p * (1 - p), 1.0 / (n1 + n2)) * (1 / n1 + 1 / n2))
    return abs(p1 - p2) <= z * sigma


def test_simulate_then_select_agrees_with_the_reach_cutflow(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``na64 simulate --beam-core`` + ``na64 select`` against the reach job's beam-electron
    cut-flow (the leakage source of the same analysis): two independent samples of the same
    events, so every cut's pass fraction must agree within 4 binomial standard errors."""
    n = 6000
    out = tmp_path / "ev.parquet"
    code, _, err = cli(["simulate", "--events", str(n), "--seed", "7", "--beam-core",
                        "--executor", "local", "--quiet", "--out", str(out)])
    assert code == 0, err
    code, text, err = cli(["select", str(out), "--analysis", "invisible_2016_2018", "--json"])
    assert code == 0, err
    rows = json.loads(text)["cutflow"]
    search = Search(CFG)
    est = estimate_background(search.background_context, np.random.default_rng(7),
                              sources=["leakage"], n_events=n)
    reach_rows = est.sources[0].cutflow  # (cut, per EOT, unc): fractions of n events
    assert [r["name"] for r in rows] == [r[0] for r in reach_rows]
    for r, (name, frac, _) in zip(rows, reach_rows, strict=True):
        k_reach = round(frac * n)
        assert _binomial_agree(r["n"], n, k_reach, n), (name, r["n"], k_reach)
    # the chain is not trivially passing: the shower-shape and box cuts remove events
    assert rows[-1]["n"] < rows[0]["n"]


def test_select_file_reconstructs_and_batches(tmp_path) -> None:
    from na64.io.events import write_events

    ev = simulate_events(SETUP, 900, np.random.default_rng(3))
    path = tmp_path / "raw.parquet"
    write_events(path, ev)
    sel = CFG.selection.build(CFG.energy)
    whole = select_file(path, sel, setup=SETUP)
    batched = select_file(path, sel, setup=SETUP, step=250)
    in_memory = sel.cutflow({**ev, **reconstruct(ev, SETUP)})
    for flow in (whole, batched):
        np.testing.assert_array_equal(flow.n, in_memory.n)
        np.testing.assert_allclose(flow.eff_tot, in_memory.eff_tot, rtol=1e-12)
    assert isinstance(whole, CutFlow)


def test_select_cli_errors(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli(["select", str(tmp_path / "missing.parquet")])
    assert code == 2
    assert "FILE" in err
    assert err.count("\n") == 1
    code, _, err = cli(["select"])
    assert code == 2
    assert "FILE" in err


def test_background_context_box_edge() -> None:
    ctx = BackgroundContext(EventPipeline(SETUP), CFG.selection.build(CFG.energy))
    assert ctx.box_edge == pytest.approx(50 * GeV)
    assert ctx.energy == pytest.approx(100 * GeV)


def test_any_beam_particle_through_the_shipped_setup(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A pion beam through the electron setup: the pion admixture of the e- beam becomes the
    primary; the SRD rejects every pion (its suppression is > 1e5)."""
    from na64.io.events import read_events

    out = tmp_path / "pi.parquet"
    code, _, err = cli(["simulate", "--beam", "pi-", "--events", "500", "--executor", "local",
                        "--quiet", "--out", str(out)])
    assert code == 0, err
    ev = read_events(out, columns=["true_pdg"])
    assert np.mean(ev["true_pdg"] == -211) > 0.95
    code, text, err = cli(["select", str(out), "--json"])
    assert code == 0, err
    rows = {r["name"]: r["n"] for r in json.loads(text)["cutflow"]}
    assert rows["all"] == 500
    assert rows["srd"] == 0


def test_visible_setup_reconstructs_both_calorimeters() -> None:
    """In a visible-mode setup the ECAL columns describe the downstream ECAL, the WCAL
    has its own energy, and a beam electron leaves (almost) everything in the WCAL."""
    vis = EventPipeline("na64e_visible_2018")
    ev = vis.simulate(300, np.random.default_rng(2), reconstruct=True, core=True)
    for name in ("wcal_energy", "energy_sum", "decay_counter_energy", "ecal_energy"):
        assert name in ev, name
    e0 = vis.energy
    # 30 X0 of tungsten contain the shower: the ECAL behind sees at most a few GeV
    assert np.median(ev["wcal_energy"]) > 0.9 * e0
    assert np.median(ev["ecal_energy"]) < 0.01 * e0
    np.testing.assert_allclose(ev["energy_sum"], ev["wcal_energy"] + ev["ecal_energy"])
