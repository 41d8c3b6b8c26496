"""The ``na64`` command line: a thin typer layer over the library API.

Each sub-command lives in its own module of this package and exposes ``register(app)``.
Errors caused by the user (:class:`na64.InputError`, usage errors) are printed as one
line on stderr and exit with status 2; an interrupted run exits with 130.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

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
    "recast",
    "simulate",
    "select",
    "info",
    "widths",
    "xsec",
    "display",
    "calibrate",
    "bench",
    "cache",
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


def _click_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """Exception class ``name`` from click and, when typer vendors its own copy, from typer's."""
    classes: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        vendored = importlib.import_module("typer._click.exceptions")
    except ImportError:
        vendored = None
    if vendored is not None and hasattr(vendored, name):
        classes.append(getattr(vendored, name))
    return tuple(classes)


_USAGE_ERRORS = _click_exceptions("UsageError")
_NO_ARGS = _click_exceptions("NoArgsIsHelpError")
_ABORTS = _click_exceptions("Abort")
_CLICK_ERRORS = _click_exceptions("ClickException")


def _fail(message: str, code: int = 2) -> None:
    # one line whatever the message holds (a user's text may carry line breaks of any kind)
    one_line = " ".join(message.splitlines()) or "failed"
    sys.stderr.write(f"na64: error: {one_line}\n")
    sys.exit(code)


def _missing_command(ctx: Any) -> str:
    """The message for a command group run without a sub-command (its help is printed)."""
    if ctx is None:
        return "COMMAND: missing; run 'na64 --help' for the commands"
    list_commands = getattr(ctx.command, "list_commands", None)
    names = list_commands(ctx) if callable(list_commands) else []
    choices = f"; choose one of: {', '.join(names)}" if names else ""
    return (f"COMMAND: missing after '{ctx.command_path}'{choices} "
            f"(see '{ctx.command_path} --help')")


#: OS errors caused by the path a user gave (exit 2); any other is an environment fault (1).
_USER_PATH_ERRORS = {errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
                     errno.EINVAL, errno.EEXIST}


def _os_error(exc: OSError) -> tuple[str, int]:
    """(one-line message, exit code) of an OS error that reached the command line."""
    name = exc.filename if exc.filename is not None else ""
    shown = repr(str(name)) if len(str(name)) <= 80 else repr(f"{str(name)[:60]}...")
    reason = exc.strerror or type(exc).__name__
    code = 2 if exc.errno in _USER_PATH_ERRORS else 1
    return (f"{shown}: {reason}" if name != "" else reason), code


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``na64`` console script."""
    try:
        rc = app(args=argv, prog_name="na64", standalone_mode=False)
    except InputError as exc:
        _fail(str(exc))
    except _NO_ARGS as exc:  # a command group alone: typer has printed its help on stdout
        _fail(_missing_command(getattr(exc, "ctx", None)))
    except _USAGE_ERRORS as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (in '{ctx.command_path}')" if ctx is not None else ""
        message = exc.format_message().strip() or "invalid usage"  # type: ignore[attr-defined]
        _fail(f"{message}{hint}")
    except _ABORTS:
        _fail("interrupted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except OSError as exc:  # a path the system refuses: one line, never a traceback
        _fail(*_os_error(exc))
    except _CLICK_ERRORS as exc:
        message = exc.format_message().strip() or "failed"  # type: ignore[attr-defined]
        _fail(message, exc.exit_code)  # type: ignore[attr-defined]
    if isinstance(rc, int) and rc != 0:
        sys.exit(rc)
