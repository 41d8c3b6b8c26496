"""``na64 bench fastsim``: runs, prints one JSON object, validates its options."""

from __future__ import annotations

import json

import pytest

from na64.cli import main


def test_bench_fastsim_json(capsys: pytest.CaptureFixture[str]) -> None:
    main(["bench", "fastsim", "--events", "3000", "--json"])
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["events"] == 3000
    assert data["events_per_s"] > 0
    # the ratio is events/s over the Geant4 reference of ~2 events/s
    assert data["ratio_to_geant4"] == pytest.approx(data["events_per_s"] / 2.0)


def test_bench_fastsim_text(capsys: pytest.CaptureFixture[str]) -> None:
    main(["bench", "fastsim", "-n", "1000"])
    assert "events/s" in capsys.readouterr().out


def test_bench_rejects_bad_event_count(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bench", "fastsim", "--events", "0"])
    assert info.value.code == 2
    assert "--events" in capsys.readouterr().err
