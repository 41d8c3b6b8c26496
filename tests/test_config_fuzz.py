"""Config fuzzing: broken setup files and random ``na64 simulate`` options.

Every input either runs (exit 0, complete output) or ends in one clear line on stderr
and exit status 2 -- never a traceback, a hang, or a partial output file.  Mutations
of the shipped setup TOMLs: deleted lines, values replaced by wrong types, negative,
zero, huge or non-finite numbers, wrong units, truncated files, garbage text.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from na64.cli import main

SETUPS = sorted(
    p.name for p in (resources.files("na64.data") / "setups").iterdir() if p.name.endswith(".toml")
)
_ASSIGN = re.compile(r"^(\s*[A-Za-z_][\w.]*\s*=\s*)(.+?)(\s*(#.*)?)$")

BAD_VALUES = [
    '"abc"', "-1", "0", "-0.5", "1e300", "-1e300", '"nan"', '"inf"', "nan", "inf", "true",
    "[]", "[1, 2, 3, 4]", "{}", '"-10mm"', '"10GeV"', '"100mm"', '"5 parsecs"', '""',
    "[-6, 6]", "[0, 0]", '["a", "b"]', "1000000000", '"1e9GeV"', "3.5",
    # odd but possibly valid: the run must then complete without NaN or crash
    '"0.01mm"', "[1, 1]", "[1]", "1", '"1TeV"', '"1MeV"', '"1GeV"', '"e+"', '"mu-"', '"W"',
]


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (SIGALRM; the test suite runs on Unix)."""

    def _raise(signum: int, frame: object) -> None:
        raise TimeoutError(f"command did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``na64 ARGS`` in-process; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_limit(60):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def check_outcome(code: int, err: str, out_file: Path) -> None:
    """Exit 0 with a complete file, or exit 2 with one error line and nothing written."""
    chunks = out_file.with_name(out_file.name + ".chunks")
    event(f"exit {code}")
    if code == 0:
        assert out_file.is_file()
        assert not chunks.exists()
        return
    assert code == 2, f"exit {code}; stderr:\n{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("na64: error: ")
    assert "Traceback" not in err
    assert not out_file.exists()
    assert not chunks.exists()
    assert not [p for p in out_file.parent.iterdir() if p.name.startswith(".")], "temp left"


@st.composite
def mutated_setup(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(SETUPS))
    text = (resources.files("na64.data") / "setups" / name).read_text(encoding="utf-8")
    lines = text.splitlines()
    kind = draw(st.sampled_from(["value", "value", "value", "delete", "truncate", "garbage",
                                 "insert"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "garbage":
        return draw(st.text(max_size=200))
    if kind == "insert":
        i = draw(st.integers(0, len(lines)))
        junk = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))
        return "\n".join([*lines[:i], junk, *lines[i:]])
    assignable = [i for i, line in enumerate(lines) if _ASSIGN.match(line)]
    i = draw(st.sampled_from(assignable))
    if kind == "delete":
        return "\n".join(lines[:i] + lines[i + 1:])
    m = _ASSIGN.match(lines[i])
    assert m is not None
    lines[i] = m.group(1) + draw(st.sampled_from(BAD_VALUES))
    return "\n".join(lines)


@given(text=mutated_setup())
@settings(max_examples=int(os.environ.get("NA64_FUZZ_EXAMPLES", "80")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
def test_mutated_setup_files(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    setup = d / "setup.toml"
    setup.write_text(text, encoding="utf-8")
    out_dir = d / "out"
    out_dir.mkdir()
    out_file = out_dir / "run.parquet"
    code, _, err = run_cli(["simulate", "--setup", str(setup), "--events", "20", "--chunk-size",
                            "10", "--executor", "local", "--out", str(out_file), "--quiet"])
    check_outcome(code, err, out_file)


option_values = {
    "--events": st.sampled_from(["20", "1e1", "0", "-5", "1.5", "abc", "1e13", "nan", "", "2_0"]),
    "--seed": st.sampled_from(["0", "7", "-1", "x", "1e30", "3.2", "18446744073709551616"]),
    "--chunk-size": st.sampled_from(["10", "7", "0", "-1", "1e10", "ten", "1"]),
    "--executor": st.sampled_from(["local", "LOCAL", "threads", "", "slurm"]),
    "--workers": st.sampled_from(["1", "0", "-3", "two", "5000"]),
    "--scheduler": st.sampled_from(["localhost:8786", "tcp//x", "tcp://127.0.0.1:1"]),
    "--energy": st.sampled_from(["100GeV", "50", "0", "-1GeV", "10mm", "1e9GeV", "0.1MeV",
                                 "nan", "GeV", "2TeV"]),
    "--beam": st.sampled_from(["e-", "e+", "mu-", "photon", "", "E-"]),
    "--format": st.sampled_from(["parquet", "root", "csv", "ROOT", ""]),
    "--setup": st.sampled_from(["na64e_2016_2018", "nonexistent", "missing.toml", ""]),
}


@given(
    chosen=st.dictionaries(st.sampled_from(sorted(option_values)), st.just(None), max_size=6),
    data=st.data(),
    suffix=st.sampled_from([".parquet", ".root", ".txt"]),
)
@settings(max_examples=int(os.environ.get("NA64_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
def test_random_simulate_options(tmp_path_factory: pytest.TempPathFactory,
                                 chosen: dict[str, None], data: st.DataObject, suffix: str) -> None:
    d = tmp_path_factory.mktemp("opts")
    out_file = d / f"run{suffix}"
    args = {"--setup": "na64e_2016_2018", "--events": "20", "--chunk-size": "10",
            "--executor": "local"}
    for key in chosen:
        args[key] = data.draw(option_values[key], label=key)
    # never start a real cluster or process pool here: only the local executor may run
    argv = ["simulate", "--out", str(out_file), "--quiet"]
    for key, value in args.items():
        argv += [key, value]
    code, _, err = run_cli(argv)
    check_outcome(code, err, out_file)
