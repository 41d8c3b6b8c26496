"""Event display: the library function and ``na64 display`` on a Parquet file."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from na64.cli import main
from na64.detector import load_setup
from na64.errors import InputError
from na64.io.events import write_events
from na64.pipeline import simulate_events
from na64.plots.event_display import draw_event, event_summary
from na64.units import GeV

SETUP = load_setup("na64e_2016_2018")


@pytest.fixture(scope="module")
def events() -> dict[str, np.ndarray]:
    return simulate_events(SETUP, 40, np.random.default_rng(17))


def test_draw_event_panels(events: dict[str, np.ndarray]) -> None:
    fig = draw_event(events, 3, setup=SETUP)
    titles = {ax.get_title() for ax in fig.axes}
    # both ECAL sections, 4 HCAL modules, veto (+ SRD from the H4 beam line)
    assert {"ECAL pre-shower", "ECAL main", "HCAL module 0", "HCAL module 3", "VETO"} <= titles
    assert "tracking (bending plane)" in titles
    plt.close(fig)


def test_track_columns_are_consistent(events: dict[str, np.ndarray]) -> None:
    from na64.beam.tracking import spectrometer_geometry

    geo = spectrometer_geometry(SETUP.beamline)
    hits, mask = events["ms_hits_x"].astype(float), events["ms_hit_mask"]
    ok = events["ms_valid"] & mask.all(axis=1)
    assert ok.sum() > 30  # 100 GeV electrons: almost every track reconstructed
    z = np.asarray(geo.z)
    # a straight line through the downstream hits has the stored fitted slope (float32 hits)
    down = slice(geo.n_up, None)
    for i in np.flatnonzero(ok)[:5]:
        slope = np.polyfit(z[down], hits[i, down], 1)[0]
        assert slope == pytest.approx(events["ms_slope_out"][i], abs=1e-6)
    # the hits measure the beam momentum: median within 3% of 100 GeV (beam spread 1%,
    # resolution of the H4 spectrometer ~1%, arXiv:1710.00971 Sec. II)
    assert np.median(events["ms_momentum"][ok]) == pytest.approx(100 * GeV, rel=0.03)


def test_event_summary_matches_columns(events: dict[str, np.ndarray]) -> None:
    s = event_summary(events, 5)
    assert s["E_ecal"] == pytest.approx(float(events["ecal"][5].astype(float).sum()) / GeV)
    assert s["true_pdg"] == 11


def test_draw_event_rejects_bad_index(events: dict[str, np.ndarray]) -> None:
    with pytest.raises(InputError, match="--event"):
        draw_event(events, 40)


def test_cli_display_writes_png(tmp_path: Path, events: dict[str, np.ndarray],
                                capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run.parquet"
    write_events(run, events)
    out = tmp_path / "ev17.png"
    main(["display", str(run), "--event", "17", "--out", str(out), "--setup", "na64e_2016_2018"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".ev17*"))  # no temporary file left behind
    with pytest.raises(SystemExit) as info:
        main(["display", str(run), "--event", "99", "--out", str(out), "--overwrite"])
    assert info.value.code == 2
    assert "--event" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["display", str(tmp_path / "missing.parquet"), "--out", str(out), "--overwrite"])
