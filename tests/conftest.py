"""Shared test fixtures."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def _na64_logger_restored() -> Iterator[None]:
    """Every test leaves the "na64" logger as it found it: a command run in process sets it
    up for a terminal (its own handler, no propagation), which would hide the records of
    later tests from ``caplog``."""
    logger = logging.getLogger("na64")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CliRunner:
    """Run ``na64 ARGS`` in process; returns (exit code, stdout, stderr)."""

    def run(args: list[str]) -> tuple[int, str, str]:
        # the command sets up the "na64" logger for a terminal (its own handler, no
        # propagation); put it back afterwards so that later tests' caplog sees records
        logger = logging.getLogger("na64")
        saved = (list(logger.handlers), logger.level, logger.propagate)
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            logger.handlers[:] = saved[0]
            logger.setLevel(saved[1])
            logger.propagate = saved[2]
        out, err = capsys.readouterr()
        return code, out, err

    return run
