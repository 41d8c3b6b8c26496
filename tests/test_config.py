"""The configuration layer: field types with units, TOML files, ``extends``, error messages."""

from __future__ import annotations

import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, field_validator

from na64.config import (
    Angle,
    Dimensionless,
    Energy,
    EnergyMeV,
    Length,
    MagneticField,
    StrictModel,
    Time,
    load_toml,
    merge_tables,
    quantity_at,
    read_toml,
    resolve_extends,
    validate,
)
from na64.detector import load_setup, setup_from_dict
from na64.errors import InputError
from na64.units import GeV, MeV, cm, mm, ns, parse_quantity

TESLA = parse_quantity("1T", "magnetic_field")
SETUP_TEXT = (resources.files("na64.data") / "setups" / "na64e_2016_2018.toml").read_text(
    encoding="utf-8")


class Part(StrictModel):
    fraction: float = Field(ge=0.0, le=0.5, description="fraction [0, 0.5]")
    width: Length = Field(1.0, gt=0.0, le=100.0, description="mm (0, 100]")


class Run(StrictModel):
    eot: float = Field(gt=0.0)

    @field_validator("eot", mode="before")
    @classmethod
    def _eot(cls, v: Any) -> float:
        # a parser that names the field itself, without the index of the run
        return parse_quantity(v, "dimensionless", field="runs.eot")


class Demo(StrictModel):
    energy: Energy = Field(100 * GeV, gt=0.0, le=1.0e6, description="(0, 1 TeV]")
    small: EnergyMeV = 0.0
    length: Length = 0.0
    time: Time = 0.0
    field: MagneticField = Field(TESLA, gt=0.0, le=10 * TESLA)
    count: Dimensionless = 1.0
    angle: Angle = 0.0
    pair: tuple[Length, Length] = (0.0, 0.0)
    optional: Length | None = None
    x: float = 0.0
    parts: tuple[Part, ...] = ()
    runs: tuple[Run, ...] = ()


def demo(**values: Any) -> Demo:
    return validate(Demo, values, source=None, prefix="demo")


# -- field types -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("energy", 100, 100 * GeV),  # a bare energy is GeV
        ("energy", 2.5, 2.5 * GeV),
        ("energy", "10 MeV", 10 * MeV),
        ("energy", "1TeV", 1.0e6 * MeV),
        ("small", 2, 2 * MeV),  # a bare EnergyMeV is MeV
        ("small", "0.3GeV", 300 * MeV),
        ("length", 38, 38 * mm),  # a bare length is mm
        ("length", "1.5 cm", 1.5 * cm),
        ("length", "-3.5m", -3500 * mm),
        ("time", 5, 5 * ns),
        ("time", "1us", 1000 * ns),
        ("field", 1.75, 1.75 * TESLA),  # a bare field is tesla
        ("field", "1.75T", 1.75 * TESLA),
        ("field", "17.5kG", 1.75 * TESLA),
        ("count", "2.84e11", 2.84e11),
        ("count", 3, 3.0),
        ("angle", 0.002, 0.002),  # a bare angle is rad
        ("angle", "0.1mrad", 1e-4),
        ("angle", "50urad", 5e-5),
        ("angle", "50 µrad", 5e-5),
        ("angle", "1 rad", 1.0),
        ("optional", "2cm", 20 * mm),
        ("optional", None, None),
    ],
)
def test_field_types_parse_units_and_bare_numbers(key: str, value: Any, expected: Any) -> None:
    got = getattr(demo(**{key: value}), key)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-12)


def test_tuple_of_lengths_and_numpy_numbers() -> None:
    d = demo(pair=["1cm", 3], length=np.float32(1.5), x=np.float64(0.25), count=np.int64(7))
    assert d.pair == (10 * mm, 3 * mm)
    assert d.length == pytest.approx(1.5)
    assert d.count == 7.0
    assert d.x == 0.25


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("energy", "10mm", "is a length, expected an energy"),
        ("energy", "5 parsecs", "unknown unit 'parsecs'"),
        ("length", "abc", "e.g. '38mm'; a bare number is mm"),
        ("count", "5mm", "expected a dimensionless"),
        ("angle", "1deg", "as an angle"),
        ("angle", "1e999mrad", "finite"),
        ("field", "3mm", "expected a magnetic field"),
        ("length", True, "got true"),
        ("energy", float("nan"), "finite"),
        ("energy", "nan", "cannot parse 'nan'"),
        ("length", float("inf"), "finite"),
        ("energy", 10**400, "finite"),
        ("x", float("nan"), "finite number, got nan"),
        ("x", float("-inf"), "finite number, got -inf"),
    ],
)
def test_bad_quantities_are_input_errors(key: str, value: Any, text: str) -> None:
    with pytest.raises(InputError) as info:
        demo(**{key: value})
    assert info.value.field == f"demo.{key}"
    assert text in info.value.message


def test_quantity_metadata_and_exact_toml_spelling() -> None:
    q = quantity_at(Demo, ("field",))
    assert q is not None
    assert q.kind == "magnetic_field"
    assert quantity_at(Demo, ("pair", 1)) == quantity_at(Demo, ("length",))
    assert quantity_at(Demo, ("parts", 0, "width")) is not None
    assert quantity_at(Demo, ("x",)) is None
    assert quantity_at(Demo, ("nope",)) is None
    d = demo(energy="80GeV", small="0.3keV", length="0.1mm", field="1.3T", angle="3urad")
    table = {k: quantity_at(Demo, (k,)).to_toml(getattr(d, k))  # type: ignore[union-attr]
             for k in ("energy", "small", "length", "field", "angle")}
    assert validate(Demo, table, source=None) == d


def test_strict_model_forbids_unknown_keys_and_is_frozen() -> None:
    with pytest.raises(InputError) as info:
        demo(energi=100)
    assert info.value.field == "demo.energi"
    assert "unknown key; allowed keys: energy, small" in info.value.message
    d = demo()
    with pytest.raises(Exception, match="frozen"):
        d.x = 1.0  # type: ignore[misc]


# -- validation messages ---------------------------------------------------------------------

def test_constraint_messages_are_in_units_with_the_allowed_range() -> None:
    with pytest.raises(InputError) as info:
        demo(energy="5TeV")
    assert info.value.field == "demo.energy"
    assert info.value.message == (
        "Input should be less than or equal to 1 TeV, got 5 TeV (allowed: (0, 1 TeV])")
    with pytest.raises(InputError, match=r"less than or equal to 10 T, got 20 T"):
        demo(field="20T")
    with pytest.raises(InputError, match=r"greater than 0 mm, got -2 mm"):
        demo(parts=[{"fraction": 0.1, "width": "-2mm"}])


def test_no_numpy_reprs_in_messages() -> None:
    with pytest.raises(InputError) as info:
        demo(parts=[{"fraction": np.float64(0.75)}])
    assert "np." not in str(info.value)
    assert "got 0.75" in str(info.value)


def test_dotted_key_appears_exactly_once() -> None:
    # a field parser raising InputError("runs.eot", ...) inside runs[1]
    with pytest.raises(InputError) as info:
        validate(Demo, {"runs": [{"eot": 1e11}, {"eot": "5mm"}]}, source="a.toml")
    assert info.value.field == "runs.1.eot"
    assert "runs" not in info.value.message
    assert str(info.value).count("eot") == 1
    assert info.value.message.endswith("(in a.toml)")
    with pytest.raises(InputError) as info:
        demo(parts=[{"fraction": 0.1}, {"fraction": 0.9}])
    assert info.value.field == "demo.parts.1.fraction"
    assert str(info.value).count("parts.1.fraction") == 1
    assert "Value error" not in str(info.value)


def test_several_errors_are_listed_with_their_keys() -> None:
    with pytest.raises(InputError) as info:
        validate(Demo, {"x": "abc", "length": "1kg", "parts": [{}]}, source="f.toml",
                 prefix="demo")
    assert info.value.field == "demo.length"
    message = info.value.message
    assert "demo.x: Input should be a valid number" in message
    assert "demo.parts.0.fraction: Field required" in message
    assert message.count("(in f.toml)") == 1


def test_whole_table_errors_and_non_tables() -> None:
    class Pair(StrictModel):
        lo: float
        hi: float

        @field_validator("hi")
        @classmethod
        def _order(cls, v: float, info: Any) -> float:
            if v <= info.data.get("lo", -math.inf):
                raise ValueError("hi must exceed lo")
            return v

    with pytest.raises(InputError) as info:
        validate(Pair, {"lo": 2, "hi": 1}, source=None)
    assert info.value.field == "hi"
    assert info.value.message == "hi must exceed lo, got 1"
    with pytest.raises(InputError) as info:
        validate(Pair, [1, 2], source=None, root="pair")
    assert info.value.field == "pair"
    assert "must be a table" in info.value.message
    assert validate(Pair, Pair(lo=1, hi=2), source=None) == Pair(lo=1, hi=2)


# -- TOML files ------------------------------------------------------------------------------

def test_read_toml_reads_a_file(tmp_path: Path) -> None:
    p = tmp_path / "a.toml"
    p.write_text('name = "a"\n[t]\nx = "1mm"\n', encoding="utf-8")
    assert read_toml(p, field="f") == {"name": "a", "t": {"x": "1mm"}}
    p.write_bytes(b'\xef\xbb\xbfname = "bom"\n')  # a UTF-8 byte-order mark is accepted
    assert read_toml(p, field="f") == {"name": "bom"}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: d / "missing.toml", "file not found"),
        (lambda d: d / "missing" / "x.toml", "file not found"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "a binary file"),
        (lambda d: _write(d, b'name = "caf\xe9"\n'), "not UTF-8 text (byte 0xe9 on line 1)"),
        (lambda d: _write(d, b'name = "x"\n[ecal\nz = 1\n'), "malformed TOML"),
        (lambda d: _write(d, b"a = " + b"[" * 5000), "malformed TOML: nested too deeply"),
        (lambda d: _write(d, b"a = 1" + b"0" * 5000), "malformed TOML"),
        (lambda d: d / ("x" * 300 + ".toml"), "file name too long"),
        (lambda d: d / "/".join(["y" * 200] * 30) / "z.toml", "file name too long"),
    ],
)
def test_read_toml_bad_files_are_one_input_error(tmp_path: Path, make: Any, reason: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        read_toml(path, field="setup")
    assert info.value.field == "setup"
    assert reason in info.value.message
    shown = str(path) if len(str(path)) <= 120 else str(path)[:60]
    assert info.value.message.startswith(shown)
    assert "\n" not in str(info.value)
    assert len(str(info.value)) < 400


def test_read_toml_names_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    p = _write(tmp_path, b'name = "x"\n[ecal\nz = 1\n')
    with pytest.raises(InputError, match=r"custom\.toml: malformed TOML: .*line 2"):
        read_toml(p, field="setup")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_read_toml_rejects_special_files_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_toml(fifo, field="f")


def _write(directory: Path, data: bytes) -> Path:
    p = directory / "custom.toml"
    p.write_bytes(data)
    return p


# -- extends ---------------------------------------------------------------------------------

def test_merge_tables_merges_tables_and_replaces_everything_else() -> None:
    base = {"a": 1, "t": {"x": 1, "y": {"p": 1, "q": 2}}, "runs": [{"n": 1}, {"n": 2}],
            "list": [1, 2]}
    over = {"a": 2, "t": {"y": {"q": 3}, "z": 4}, "runs": [{"n": 9}], "list": [3]}
    assert merge_tables(base, over) == {
        "a": 2, "t": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "runs": [{"n": 9}], "list": [3]}
    assert base["t"] == {"x": 1, "y": {"p": 1, "q": 2}}  # not modified


def _finder(directory: Path) -> Any:
    def find(name: str) -> Path | None:
        p = directory / "shipped" / f"{name}.toml"
        return p if p.is_file() else None

    return find


def test_load_toml_resolves_extends_chains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped" / "root.toml").write_text(
        'name = "root"\nkeep = 1\n[t]\nx = 1\ny = 2\n[[runs]]\nn = 1\n[[runs]]\nn = 2\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mid.toml").write_text('extends = "root"\nname = "mid"\n[t]\ny = 3\n')
    leaf = tmp_path / "sub" / "leaf.toml"
    leaf.write_text('extends = "mid.toml"\nname = "leaf"\n[[runs]]\nn = 7\n')
    monkeypatch.chdir(tmp_path)  # no "mid.toml" here: the one next to leaf.toml is used
    data, path = load_toml(leaf, field="f", find=_finder(tmp_path))
    assert path == leaf
    assert data == {"name": "leaf", "keep": 1, "t": {"x": 1, "y": 3}, "runs": [{"n": 7}]}
    # a relative path is looked up in the working directory first
    (tmp_path / "mid.toml").write_text('name = "cwd"\nkeep = 2\n')
    data, _ = load_toml(leaf, field="f", find=_finder(tmp_path))
    assert data == {"name": "leaf", "keep": 2, "runs": [{"n": 7}]}
    data, path = load_toml("root", field="f", find=_finder(tmp_path))
    assert data["name"] == "root"
    assert path == tmp_path / "shipped" / "root.toml"


def test_extends_cycles_are_input_errors_naming_extends(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'extends = "{b}"\nname = "a"\n')
    b.write_text('extends = "a.toml"\nname = "b"\n')
    with pytest.raises(InputError) as info:
        load_toml(a, field="f", find=lambda name: None)
    assert "extends" in info.value.field
    assert "circular 'extends' chain: a.toml -> b.toml -> a.toml" in info.value.message
    self_ref = tmp_path / "self.toml"
    self_ref.write_text('extends = "self.toml"\n')
    with pytest.raises(InputError, match="circular"):
        load_toml(self_ref, field="f", find=lambda name: None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("extends = 3\n", "must be the name or path of the file to start from, got 3"),
        ('extends = ""\n', "must be the name or path"),
        ('extends = "nothing_here"\n', "no such thing: 'nothing_here'"),
        ('extends = "missing.toml"\n', "missing.toml: file not found"),
        ('extends = "bin.toml"\n', "a binary file"),
    ],
)
def test_bad_extends(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "bin.toml").write_bytes(b"\x00\x01")
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(InputError) as info:
        load_toml(p, field="f", find=lambda name: None,
                  unknown=lambda name: f"no such thing: {name!r}")
    assert info.value.field == "c.toml: extends"
    assert reason in info.value.message


def test_unknown_name_message_and_failing_finder(tmp_path: Path) -> None:
    def broken(name: str) -> Path | None:
        raise OSError(36, "File name too long")

    with pytest.raises(InputError) as info:
        load_toml("zzz", field="thing", find=broken, unknown=lambda n: f"unknown thing {n!r}")
    assert str(info.value) == "thing: unknown thing 'zzz'"
    with pytest.raises(InputError, match="zzz: file not found"):
        load_toml("zzz", field="thing", find=lambda name: None)


def test_resolve_extends_of_a_table_uses_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "base.toml").write_text('a = 1\nb = 2\n')
    monkeypatch.chdir(tmp_path)
    assert resolve_extends({"extends": "base.toml", "b": 3}, find=lambda n: None) == {
        "a": 1, "b": 3}
    assert resolve_extends({"b": 3}, find=lambda n: None) == {"b": 3}


# -- setups ----------------------------------------------------------------------------------

def test_setup_extends_a_shipped_setup(tmp_path: Path) -> None:
    child = tmp_path / "thin_veto.toml"
    child.write_text('extends = "na64e_2016_2018"\nname = "thin_veto"\n'
                     '[veto]\nthickness = "10mm"\n')
    s = load_setup(child)
    base = load_setup("na64e_2016_2018")
    assert s.name == "thin_veto"
    assert s.veto is not None
    assert base.veto is not None
    assert s.veto.thickness == 10.0
    assert s.veto.counters == base.veto.counters  # the rest of [veto] is kept
    assert s.ecal == base.ecal
    assert s.beam_config == base.beam_config
    # the same text validated from a dictionary (e.g. by a worker) gives the same setup
    assert setup_from_dict({"extends": "na64e_2016_2018", "name": "thin_veto",
                            "veto": {"thickness": "10mm"}}) == s


def test_setup_errors_name_the_dotted_key_once(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(SETUP_TEXT.replace('thickness = "20mm"', 'thickness = "-20mm"'))
    with pytest.raises(InputError) as info:
        load_setup(p)
    assert info.value.field == "veto.thickness"
    assert str(info.value).count("veto.thickness") == 1
    assert "got -20 mm" in info.value.message
    p.write_text(SETUP_TEXT.replace('beamline = "h4_electrons"',
                                    'beamline = {name = "x", decay_length = "1 kg"}'))
    with pytest.raises(InputError) as info:
        load_setup(p)
    assert info.value.field == "beamline.decay_length"
    assert str(info.value).count("decay_length") == 1


def test_setup_bad_files(tmp_path: Path) -> None:
    p = _write(tmp_path, b"\x00\xff\xfe garbage")
    with pytest.raises(InputError) as info:
        load_setup(p)
    assert info.value.field == "setup"
    assert info.value.message.startswith(str(p))
    with pytest.raises(InputError, match="file name too long"):
        load_setup(tmp_path / ("s" * 1000 + ".toml"))
    with pytest.raises(InputError, match="unknown setup"):
        load_setup("s" * 1000)


# -- random input ----------------------------------------------------------------------------

_FRAGMENTS = [
    "[ecal]\n", "[beam]\n", "[[upstream.layers]]\n", 'name = "x"\n', "z = 1\n", 'z = "1e400mm"\n',
    'extends = "na64e_2016_2018"\n', 'extends = "x.toml"\n', "extends = 1\n", "a = nan\n",
    'beamline = "h4_electrons"\n', "cells = [1, 2]\n", "= =\n", '"\n', "\x00", "\xe9",
]


@st.composite
def _toml_like(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    pieces = draw(st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=20)),
                           max_size=12))
    data = "".join(pieces).encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        data = SETUP_TEXT.encode()[: draw(st.integers(0, len(SETUP_TEXT)))] + data
    return data


@given(data=_toml_like())
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_bytes_only_raise_input_errors(tmp_path_factory: pytest.TempPathFactory,
                                              data: bytes) -> None:
    p = tmp_path_factory.mktemp("random") / "random.toml"
    p.write_bytes(data)
    error = _input_error(lambda: read_toml(p, field="f"))
    if error is not None:
        assert error.field == "f"
        assert "\n" not in str(error)
    error = _input_error(lambda: load_setup(p))
    if error is not None:
        assert "\n" not in error.field


def _input_error(call: Any) -> InputError | None:
    """The InputError raised by ``call()``, or None; any other exception propagates."""
    try:
        call()
    except InputError as exc:
        return exc
    return None
