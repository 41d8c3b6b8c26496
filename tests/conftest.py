"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from na64.cli import main

CliRunner = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run ``na64 ARGS`` in process; returns (exit code, stdout, stderr)."""

    def run(args: list[str]) -> tuple[int, str, str]:
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
