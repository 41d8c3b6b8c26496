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


def _fresh_interpreter(code: str) -> str:
    """Run ``code`` in a new Python process; its standard output, stripped (the test fails
    with its standard error if it fails)."""
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_cli_start_does_not_import_the_physics_stack():
    """``na64 --help`` must not pay for numba kernels or the detector simulation (about 1 s
    of imports): those are imported by the command that uses them."""
    code = ("import sys, na64.cli; "
            "print(sorted(m for m in ('numba', 'scipy.stats', 'na64.detector', "
            "'na64.physics.dark_brem', 'na64.reach') if m in sys.modules))")
    assert _fresh_interpreter(code) == "[]"


def test_statistics_and_published_curves_need_neither_matplotlib_nor_scipy_stats():
    """A ``--from-samples`` run (selection and statistics only) must not pay for the
    plotting stack or scipy.stats (~1 s of imports): the expected bands' quantiles and the
    published curves it compares with are read without them."""
    code = (
        "import sys\n"
        "from importlib import resources\n"
        "import na64.reach, na64.reach.samples, na64.reach.outputs\n"
        "from na64.io.curves import read_overlay_csv\n"
        "from na64.stats.expected import expected_limits\n"
        "from na64.stats.limits import upper_limit\n"
        "lim = expected_limits(0.5, 0.2)\n"
        "assert 2.0 < upper_limit(0, 0.5, 0.2) < 3.0 and lim['median'] > 0\n"
        "path = resources.files('na64') / 'data' / 'published' / 'na64_invisible_2019.csv'\n"
        "assert len(read_overlay_csv(str(path))[0]) > 2\n"
        "print(sorted(m for m in ('matplotlib', 'mplhep', 'scipy.stats') if m in sys.modules))\n"
    )
    assert _fresh_interpreter(code) == "[]"


def _modules_after_kernel_call(prelude: str) -> str:
    """Run one of na64's numba kernels in a fresh interpreter after ``prelude``; print
    whether awkward was imported and numba's extension flag."""
    code = (
        "import sys\n"
        f"{prelude}\n"
        "import numpy as np\n"
        "from na64.detector.lateral import deposit_lateral\n"
        "import numba, numba.core.entrypoints as ep\n"
        "f = numba.njit(cache=False)(lambda x: 2.0 * x)\n"
        "assert f(np.float64(1.5)) == 3.0\n"
        "print('awkward' in sys.modules, ep._already_initialized)\n"
    )
    return _fresh_interpreter(code)


def test_command_line_processes_skip_numba_extensions():
    """na64's command line marks numba's extension entry points as loaded before numba is
    imported: a kernel call then does not import awkward (whose numba extension na64's
    kernels do not use, ~0.2-0.35 s of each process); a library user's process, which has
    not called ``skip_extensions``, still loads them."""
    import importlib.metadata

    skipped = _modules_after_kernel_call(
        "from na64._numba_extensions import skip_extensions\n"
        "skip_extensions(); skip_extensions()\n"
        "assert sum(type(f).__name__ == '_MarkOnImport' for f in sys.meta_path) == 1")
    assert skipped == "False True"
    through_main = _modules_after_kernel_call(
        "import contextlib, io\n"
        "from na64.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--version'])")
    assert through_main == "False True"
    has_awkward_extension = any(
        ep.value.startswith("awkward") for ep in
        importlib.metadata.entry_points(group="numba_extensions"))
    if has_awkward_extension:  # awkward is a dependency: installed with na64
        assert _modules_after_kernel_call("") == "True True"
