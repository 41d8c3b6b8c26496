"""Shared test fixtures."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import pytest

from na64.cli import main

CliRunner = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture(autouse=True, scope="session")
def _private_table_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the on-disk table cache (``NA64_CACHE``) at a session directory: the tests never
    read or write the user's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NA64_CACHE", str(tmp_path_factory.mktemp("na64-cache")))
        yield


@contextlib.contextmanager
def _logger_kept() -> Iterator[None]:
    """Put the "na64" logger back as it was: a command run in process sets it up for a
    terminal (its own handler, no propagation), which would hide later records from
    ``caplog``."""
    logger = logging.getLogger("na64")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        yield
    finally:
        logger.handlers[:] = saved[0]
        logger.setLevel(saved[1])
        logger.propagate = saved[2]


@pytest.fixture(autouse=True)
def _na64_logger_restored() -> Iterator[None]:
    """Every test leaves the "na64" logger as it found it (also one that calls the command
    line's ``main`` directly)."""
    with _logger_kept():
        yield


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run ``na64 ARGS`` in process; returns (exit code, stdout, stderr)."""

    def run(args: list[str]) -> tuple[int, str, str]:
        # the logger is put back after each command, so that the rest of the same test
        # sees its records in caplog
        with _logger_kept():
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run
