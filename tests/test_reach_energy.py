"""Every cut follows the analysis file and its beam energy; an empty selection says so."""

from __future__ import annotations

import json

import pytest

from na64.reach import load_analysis, run_invisible, write_outputs
from na64.units import GeV, MeV

FAST = {"events_per_mass": 300, "background_events": 400}


def _analysis(tmp_path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "a.toml"
    path.write_text('extends = "invisible_2016_2018"\nname = "t"\n' + body, encoding="utf-8")
    return load_analysis(str(path))


def test_another_beam_energy_scales_the_momentum_window_and_gives_a_limit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = _analysis(tmp_path, 'energy = "150GeV"\n')
    lo, hi = cfg.selection.momentum_window(cfg.energy)
    assert (lo, hi) == pytest.approx((145.5 * GeV, 154.5 * GeV))
    res = run_invisible(cfg, [10 * MeV], seed=3, **FAST)
    # a 150 GeV beam passes the momentum window, so the search has sensitivity: the limit
    # on epsilon is of the order of the 100 GeV one (1e-5 .. 1e-4 at 10 MeV), far below 1
    assert 1e-6 < float(res.eps_90[0]) < 1e-3
    assert res.warnings == ()
    written = write_outputs(res, tmp_path / "out", plots=True)  # N-1 plot at 150 GeV too
    assert (tmp_path / "out" / "nminus1.png") in written


def test_a_selection_that_keeps_nothing_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = _analysis(tmp_path, '[selection]\npreshower_min = "90GeV"\n')
    res = run_invisible(cfg, [10 * MeV, 100 * MeV], seed=3, nminus1=False, **FAST)
    assert float(res.eps_90.min()) == 1.0
    assert len(res.warnings) == 1
    assert "no signal event at any mass" in res.warnings[0]
    assert "'preshower'" in res.warnings[0]
    write_outputs(res, tmp_path / "out", plots=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["warnings"] == list(res.warnings)


def test_cuts_inconsistent_with_the_beam_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from na64.errors import InputError

    with pytest.raises(InputError, match=r"^selection\.beam_momentum: .*150 GeV"):
        _analysis(tmp_path, 'energy = "150GeV"\n[selection]\n'
                            'beam_momentum = ["97GeV", "103GeV"]\n')
    with pytest.raises(InputError, match=r"^selection\.ecal_max"):
        _analysis(tmp_path, 'energy = "40GeV"\n')
