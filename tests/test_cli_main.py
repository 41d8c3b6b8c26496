"""The ``na64`` entry point: every usage error is one line on stderr and exit status 2."""

from __future__ import annotations

import pytest

from na64.cli import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["reach", "invisible", "--bogus"], "--bogus: no such option of 'na64 reach invisible'"),
        (["widths", "--mass"], "--mass: requires a value"),
        (["frobnicate"], "COMMAND: no such command 'frobnicate' of 'na64'; choose one of: "),
        (["xsec", "brem", "--mass", "10MeV", "--energy", "ten"], "--energy"),
        (["simulate", "--events", "-3", "--out", "x.parquet"], "--events"),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("na64: error: ")
    assert needle in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_version(capsys):
    code = 0
    try:
        main(["--version"])
    except SystemExit as exc:  # typer may end an eager option with Exit(0)
        code = exc.code
    assert code in (0, None)
    assert capsys.readouterr().out.startswith("na64 ")


def test_cli_start_does_not_import_the_physics_stack():
    """``na64 --help`` must not pay for numba kernels or the detector simulation (about 1 s
    of imports): those are imported by the command that uses them."""
    import subprocess
    import sys

    code = ("import sys, na64.cli; "
            "print(sorted(m for m in ('numba', 'scipy.stats', 'na64.detector', "
            "'na64.physics.dark_brem', 'na64.reach') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
