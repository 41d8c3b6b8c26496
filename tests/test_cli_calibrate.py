"""``na64 calibrate``: the shower-shape calibration table of a setup's target calorimeter."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from na64.detector import load_setup

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)

SHIPPED = files("na64") / "data" / "setups" / "na64e_2016_2018.toml"



def test_prints_a_block_that_loads_back(cli: CliRunner, tmp_path: Path
                                        ) -> None:
    code, out, _ = cli(["calibrate", "na64e_2016_2018", "--events", "300"])
    assert code == 0
    block = tomllib.loads(out)
    rows = block["ecal"]["shape_fluctuation"]
    assert [r[0] for r in rows][:2] == ["0.5GeV", "1GeV"]
    # paste it into a copy of the setup: the file loads and carries the new table
    text = SHIPPED.read_text()
    new = re.sub(r"shape_fluctuation = \[.*?\n\]", out.split("\n", 1)[1].rstrip(), text,
                 count=1, flags=re.S)
    path = tmp_path / "mine.toml"
    path.write_text(new)
    s = load_setup(str(path))
    assert s.ecal is not None
    assert s.ecal.shape_fluctuation is not None
    assert s.ecal.shape_fluctuation[1][1] == pytest.approx(rows[1][1])


def test_check_flags_a_stale_table(cli: CliRunner, tmp_path: Path) -> None:
    # (the default 2000 electrons per energy: with 500 the 2 GeV point scatters by more
    # than the check allows)
    code, _, err = cli(["calibrate", "na64e_2016_2018", "--check"])
    assert code == 0
    assert "consistent" in err
    # a table three times too wide (+ 0.1; e.g. left over from another calorimeter) is stale
    text = re.sub(r'\["10GeV", ([0-9.]+)\]',
                  lambda m: f'["10GeV", {3 * float(m.group(1)) + 0.1:.3f}]',
                  SHIPPED.read_text(), count=1)
    assert text != SHIPPED.read_text()
    path = tmp_path / "stale.toml"
    path.write_text(text)
    code, out, _ = cli(["calibrate", str(path), "--events", "500", "--check", "--json"])
    assert code == 1
    data = json.loads(out)
    assert data["stale"] is True
    assert data["target"] == "ecal"


@pytest.mark.parametrize(("args", "field"), [
    (["calibrate"], "SETUP"),
    (["calibrate", "nosuch"], "SETUP"),
    (["calibrate", "na64e_2016_2018", "--events", "3"], "--events"),
])
def test_bad_input_exits_2(cli: CliRunner, args: list[str], field: str
                           ) -> None:
    code, out, err = cli(args)
    assert code == 2
    assert out == ""
    assert err.startswith(f"na64: error: {field}:")
    assert len(err.strip().splitlines()) == 1
