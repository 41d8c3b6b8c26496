"""The ``na64`` command line: a thin typer layer over the library API.

Each sub-command lives in its own module of this package and exposes ``register(app)``.
Errors caused by the user (:class:`na64.InputError`, usage errors) are printed as one
line on stderr and exit with status 2; an interrupted run exits with 130.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

from .._version import __version__
from ..errors import InputError

__all__ = ["app", "main"]

app = typer.Typer(
    name="na64",
    help="na64: dark-sector physics, fast simulation and limits for NA64-like experiments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: Sub-command modules, in the order they appear in ``na64 --help``.
_COMMAND_MODULES: list[str] = [
    "reach",
    "simulate",
    "info",
    "widths",
    "xsec",
    "display",
    "bench",
]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"na64 {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """na64: dark-sector physics, fast simulation and limits for NA64-like experiments."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(f"na64: error: {message}\n")
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``na64`` console script."""
    try:
        rc = app(args=argv, prog_name="na64", standalone_mode=False)
    except InputError as exc:
        _fail(str(exc))
    except click.exceptions.UsageError as exc:
        hint = f" (in '{exc.ctx.command_path}')" if exc.ctx is not None else ""
        _fail(f"{exc.format_message()}{hint}")
    except click.exceptions.Abort:
        _fail("interrupted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except click.exceptions.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    if isinstance(rc, int) and rc != 0:
        sys.exit(rc)
