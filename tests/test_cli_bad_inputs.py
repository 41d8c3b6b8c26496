"""Named bad inputs of the command line, one by one: one error line naming the input.

Each case runs ``na64`` in process in a new empty working directory holding only its input
files, and must end with the given exit status, exactly one line on stderr of the form
``na64: error: <flag or key>: <message>`` (no traceback, no usage block), nothing on
stdout, and no file left behind but its inputs.  The cases are those a new user met:
setup and analysis files that are binary or not UTF-8, file names too long for the file
system, outputs in places where nothing can be written (a file in the way, the kernel's
``/proc``, which refuses new files even to root, a read-only directory), an existing
image without ``--overwrite``, a bad value in the ``[[runs]]`` array of an analysis and
NaN in a setup.  The random fuzzing of the same commands is in ``test_cli_fuzz.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from na64.cli import main
from na64.detector import load_setup
from na64.errors import InputError

PREFIX = "na64: error: "
LONG = "x" * 300
#: A file that is neither text nor UTF-8: random bytes with NULs (fixed seed).
BINARY = np.random.default_rng(21).integers(0, 256, 400, dtype=np.uint8).tobytes() + b"\x00\xff"
NOT_UTF8 = b'name = "x"\n\xff\xfe\x80 = 1\n'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
WRONG_RUN = b'extends = "invisible_2016_2018"\nname = "x"\n[[runs]]\nname = "a"\neot = "5mm"\n'
NAN_RUN = (b'extends = "invisible_2016_2018"\nname = "x"\n[[runs]]\nname = "a"\neot = 1e11\n'
           b"efficiency_scale = nan\n")
NAN_SETUP = b'extends = "na64e_2016_2018"\nname = "x"\n[ecal]\nstochastic = nan\n'
SIM = ["--events", "1", "--executor", "local", "--quiet"]


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5-event file of ``na64 simulate`` (outside the working directories of the cases)."""
    path = tmp_path_factory.mktemp("events") / "run.parquet"
    with contextlib.suppress(SystemExit):
        main(["simulate", "--events", "5", "--executor", "local", "--out", str(path),
              "--quiet"])
    assert path.is_file()
    return path


def run_case(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
             work: Path, argv: list[str], files: dict[str, bytes]) -> tuple[int, str, str]:
    """Run ``na64 ARGV`` in ``work`` (holding ``files``); (exit status, stdout, stderr)."""
    for name, data in files.items():
        (work / name).write_bytes(data)
    monkeypatch.chdir(work)
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str, field: str, needle: str) -> str:
    """One terminal line ``na64: error: <field>: ...`` holding ``needle``; returns it."""
    assert "Traceback" not in err, err
    assert err.count("\n") == 1, repr(err)
    assert err.endswith("\n"), repr(err)
    line = err[:-1]
    assert line.startswith(f"{PREFIX}{field}: "), line
    assert needle in line, line
    assert "np.float64" not in line
    # the field appears once, at the head (no "runs.0.eot: runs.eot: ..." or "a: a: ...")
    assert not re.search(rf"(?:^|; ){re.escape(field)}: .*\b{re.escape(field)}: ",
                         line[len(PREFIX):]), line
    return line


# (id, argv, input files, exit status, flag or key, text in the message)
CASES: list[tuple[str, list[str], dict[str, bytes], int, str, str]] = [
    # setup and analysis files that are binary or not UTF-8
    ("simulate-setup-not-utf8", ["simulate", "--setup", "s.toml", "--out", "a.parquet", *SIM],
     {"s.toml": NOT_UTF8}, 2, "--setup", "not UTF-8 text (byte 0xff on line 2)"),
    ("simulate-setup-binary", ["simulate", "--setup", "s.toml", "--out", "a.parquet", *SIM],
     {"s.toml": BINARY}, 2, "--setup", "s.toml"),
    ("simulate-setup-png", ["simulate", "--setup", "s.png", "--out", "a.parquet", *SIM],
     {"s.png": PNG}, 2, "--setup", "s.png"),
    ("calibrate-setup-not-utf8", ["calibrate", "s.toml"], {"s.toml": NOT_UTF8}, 2, "SETUP",
     "not UTF-8"),
    ("calibrate-setup-binary", ["calibrate", "s.toml"], {"s.toml": BINARY}, 2, "SETUP",
     "s.toml"),
    ("display-setup-binary", ["display", "{event}", "--setup", "s.toml", "--out", "e.png"],
     {"s.toml": BINARY}, 2, "--setup", "s.toml"),
    ("select-setup-not-utf8", ["select", "{event}", "--setup", "s.toml"],
     {"s.toml": NOT_UTF8}, 2, "--setup", "not UTF-8"),
    ("reach-analysis-not-utf8", ["reach", "invisible", "--analysis", "a.toml", "--out", "r"],
     {"a.toml": NOT_UTF8}, 2, "--analysis", "not UTF-8 text (byte 0xff on line 2)"),
    ("reach-analysis-binary", ["reach", "invisible", "--analysis", "a.toml", "--out", "r"],
     {"a.toml": BINARY}, 2, "--analysis", "a.toml"),
    ("select-analysis-binary", ["select", "{event}", "--analysis", "a.toml"],
     {"a.toml": BINARY}, 2, "--analysis", "a.toml"),
    # file names too long for the file system
    ("info-file-too-long", ["info", f"{LONG}.parquet"], {}, 2, "FILE", "too long"),
    ("display-file-too-long", ["display", f"{LONG}.parquet"], {}, 2, "FILE", "too long"),
    ("display-out-too-long", ["display", "{event}", "--out", f"{LONG}.png"], {}, 2, "--out",
     "too long"),
    ("simulate-out-too-long", ["simulate", "--out", f"{LONG}.parquet", *SIM], {}, 2, "--out",
     "too long"),
    ("simulate-setup-too-long", ["simulate", "--setup", f"{LONG}.toml", "--out", "a.parquet",
                                 *SIM], {}, 2, "--setup", "too long"),
    ("calibrate-setup-too-long", ["calibrate", f"{LONG}.toml"], {}, 2, "SETUP", "too long"),
    ("reach-analysis-too-long", ["reach", "invisible", "--analysis", f"{LONG}.toml"], {}, 2,
     "--analysis", "too long"),
    ("reach-out-too-long", ["reach", "invisible", "--out", LONG], {}, 2, "--out", "too long"),
    ("select-out-too-long", ["select", "{event}", "--out", f"{LONG}.csv"], {}, 2, "--out",
     "too long"),
    # outputs where nothing can be written: simulate's lock file, display's temporary file,
    # select's temporary file, reach's directory
    ("simulate-out-under-a-file", ["simulate", "--out", "f/a.parquet", *SIM], {"f": b"x"}, 2,
     "--out", "is a file, not a directory"),
    ("simulate-lock-in-proc", ["simulate", "--out", "/proc/na64-a.parquet", *SIM], {}, 2,
     "--out", "cannot write into /proc"),
    ("simulate-out-missing-dir-in-proc", ["simulate", "--out", "/proc/na64-x/a.parquet", *SIM],
     {}, 2, "--out", "/proc/na64-x"),
    ("display-out-under-a-file", ["display", "{event}", "--out", "f/e.png"], {"f": b"x"}, 2,
     "--out", "is a file, not a directory"),
    ("display-tmp-in-proc", ["display", "{event}", "--out", "/proc/na64-e.png"], {}, 2,
     "--out", "cannot write into /proc"),
    ("display-out-missing-dir-in-proc", ["display", "{event}", "--out", "/proc/na64-x/e.png"],
     {}, 2, "--out", "/proc/na64-x"),
    ("select-tmp-in-proc", ["select", "{event}", "--out", "/proc/na64-s.csv"], {}, 2, "--out",
     "cannot write into /proc"),
    ("reach-out-under-a-file", ["reach", "invisible", "--out", "f/r"], {"f": b"x"}, 2, "--out",
     "is a file, not a directory"),
    ("reach-out-in-proc", ["reach", "invisible", "--out", "/proc/na64-r"], {}, 2, "--out",
     "/proc"),
    # an existing output without --overwrite
    ("display-existing-image", ["display", "{event}", "--out", "e.png"], {"e.png": PNG}, 2,
     "--out", "give --overwrite"),
    ("simulate-existing-file", ["simulate", "--out", "e.parquet", *SIM], {"e.parquet": b"x"},
     2, "--out", "--overwrite"),
    # bad values in a [[runs]] array and NaN against a bounded field
    ("reach-runs-eot-unit", ["reach", "invisible", "--analysis", "a.toml", "--out", "r"],
     {"a.toml": WRONG_RUN}, 2, "runs.0.eot", "is a length, expected a dimensionless number"),
    ("reach-runs-nan", ["reach", "invisible", "--analysis", "a.toml", "--out", "r"],
     {"a.toml": NAN_RUN}, 2, "runs.0.efficiency_scale", "finite"),
    ("simulate-setup-nan", ["simulate", "--setup", "s.toml", "--out", "a.parquet", *SIM],
     {"s.toml": NAN_SETUP}, 2, "ecal.stochastic", "finite"),
]


NO_PROC = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


@pytest.mark.parametrize(("argv", "files", "code", "field", "needle"), [
    pytest.param(*c[1:], id=c[0], marks=[NO_PROC] if any("/proc" in a for a in c[1]) else [])
    for c in CASES])
def test_named_bad_input_is_one_line(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     event_file: Path, argv: list[str],
                                     files: dict[str, bytes], code: int, field: str,
                                     needle: str) -> None:
    argv = [a.replace("{event}", str(event_file)) for a in argv]
    got, out, err = run_case(capsys, monkeypatch, tmp_path, argv, files)
    assert got == code, err
    assert out == ""
    line = assert_one_line(err, field, needle)
    if "runs." in field:  # the item's error only, not also "runs: ... at least 1 item"
        assert "runs:" not in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data  # inputs untouched


@contextlib.contextmanager
def _read_only(directory: Path) -> Iterator[None]:
    directory.chmod(0o500)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("running as root: a read-only mode does not stop writing "
                        "(the /proc cases above cover it)")
        yield
    finally:
        directory.chmod(0o700)


@pytest.mark.parametrize("argv", [["simulate", "--out", "ro/a.parquet", *SIM],
                                  ["display", "{event}", "--out", "ro/e.png"],
                                  ["select", "{event}", "--out", "ro/s.csv"],
                                  ["reach", "invisible", "--out", "ro/r"]],
                         ids=["simulate", "display", "select", "reach"])
def test_a_read_only_directory_is_one_line(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           event_file: Path, argv: list[str]) -> None:
    (tmp_path / "ro").mkdir()
    argv = [a.replace("{event}", str(event_file)) for a in argv]
    with _read_only(tmp_path / "ro"):
        code, out, err = run_case(capsys, monkeypatch, tmp_path, argv, {})
        assert (code, out) == (2, ""), err
        assert_one_line(err, "--out", "cannot")
        assert list((tmp_path / "ro").iterdir()) == []


def test_display_replaces_an_image_only_with_overwrite(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path,
                                                       event_file: Path) -> None:
    args = ["display", str(event_file), "--out", "e.png"]
    code, _, err = run_case(capsys, monkeypatch, tmp_path, args, {"e.png": PNG})
    assert code == 2
    assert_one_line(err, "--out", "exists")
    assert (tmp_path / "e.png").read_bytes() == PNG
    code, _out, err = run_case(capsys, monkeypatch, tmp_path, [*args, "--overwrite"], {})
    assert code == 0, err
    image = (tmp_path / "e.png").read_bytes()
    assert image.startswith(PNG[:8])
    assert image != PNG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.png"]  # no temporary file


@pytest.mark.parametrize(("data", "text"), [
    (BINARY, "a binary file, not TOML text"), (NOT_UTF8, "not UTF-8 text (byte 0xff on line 2)"),
    (PNG, "a binary file, not TOML text"), (b"\x00" * 64, "a binary file, not TOML text")],
    ids=["random", "not-utf8", "png", "nul"])
def test_load_setup_on_bad_bytes_is_an_input_error(tmp_path: Path, data: bytes,
                                                   text: str) -> None:
    """The Python API: one InputError naming the file, never a decoder or TOML exception;
    the caller chooses how the setup is named (the command line: its flag)."""
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    for field in ("setup", "--setup"):
        with pytest.raises(InputError) as info:
            load_setup(path, field=field)
        assert info.value.field == field
        assert info.value.message.startswith(f"{path}: {text}")
        assert "\n" not in str(info.value)


def test_os_errors_name_the_flag_that_gave_the_path() -> None:
    """The last resort of the command line (an OSError no command turned into an
    InputError) names the parameter whose path the system refused."""
    import errno

    import click

    from na64.cli import os_error_line

    @click.command()
    @click.option("--out")
    @click.option("--setup")
    @click.argument("file")
    def demo(out: str, setup: str, file: str) -> None:
        """Demo."""

    ctx = demo.make_context("demo", ["--out", "res/a.parquet", "--setup", "s.toml", "ev.pq"])
    cases = [
        (OSError(errno.ENAMETOOLONG, "File name too long", "res/a.parquet"), "--out", 2),
        (OSError(errno.EACCES, "Permission denied", "res/.a.parquet.lock"), "--out", 1),
        (OSError(errno.EEXIST, "File exists", "res"), "--out", 2),
        (OSError(errno.ENOSPC, "No space left on device", "res/a.parquet.chunks/c_0.pq"),
         "--out", 1),
        (OSError(errno.ENOENT, "No such file or directory", "ev.pq"), "FILE", 2),
        (OSError(errno.EISDIR, "Is a directory", "s.toml"), "--setup", 2),
    ]
    for exc, flag, code in cases:
        line, got = os_error_line(exc, ctx)
        assert line.startswith(f"{flag}: "), line
        assert got == code, (line, got)
    line, code = os_error_line(OSError(errno.EIO, "Input/output error", "/elsewhere"), ctx)
    assert (line, code) == ("'/elsewhere': Input/output error", 1)
    assert os_error_line(OSError(errno.EEXIST, "File exists", "res"), ctx)[0] == (
        "--out: 'res': a file is in the way")

