"""The ``na64`` command line: a thin typer layer over the library API.

Each sub-command lives in its own module of this package and exposes ``register(app)``.
Errors caused by the user (:class:`na64.InputError`, usage errors) are printed as one
line on stderr and exit with status 2; an interrupted run exits with 130.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import re
import sys
from typing import Any

import click
import typer

from .._numba_extensions import skip_extensions
from .._version import __version__
from ..errors import InputError

__all__ = ["app", "main", "os_error_line"]

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
    "optimize",
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


try:
    for _name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{_name}").register(app)
except KeyboardInterrupt:  # Ctrl-C while the command line starts: one line, no traceback
    sys.stderr.write("na64: interrupted\n")
    raise SystemExit(130) from None


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
_NO_SUCH_OPTION = _click_exceptions("NoSuchOption")
_BAD_OPTION_USAGE = _click_exceptions("BadOptionUsage")
_MISSING_PARAMETER = _click_exceptions("MissingParameter")
_BAD_PARAMETER = _click_exceptions("BadParameter")


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


_HELP_CHARS = 100


def _help_of(param: Any) -> str:
    """The first sentence of a parameter's help, without rich markup, at most ~100 chars."""
    text = " ".join(str(getattr(param, "help", None) or "").split())
    text = re.sub(r"\\?\[[^\]]*\]", "", text).strip()
    head = re.split(r"(?<=[.;])\s+(?=[A-Z])", text, maxsplit=1)[0].rstrip(".;").strip()
    return head if len(head) <= _HELP_CHARS else head[:_HELP_CHARS - 3].rstrip() + "..."


def _param_name(param: Any, hint: Any = None) -> str:
    """How the user spells a parameter: its longest option flag, or its metavar."""
    opts = list(getattr(param, "opts", None) or [])
    if getattr(param, "param_type_name", "") == "option" and opts:
        return max(opts, key=len)
    if isinstance(hint, str) and hint:
        return hint.strip("'\"")
    name = getattr(param, "human_readable_name", None) or getattr(param, "name", None)
    return str(name or "argument").upper() if param is not None else "argument"


def _find_param(ctx: Any, flag: str) -> Any:
    for param in getattr(getattr(ctx, "command", None), "params", ()) or ():
        if flag in (getattr(param, "opts", ()) or ()) or flag in (
                getattr(param, "secondary_opts", ()) or ()):
            return param
    return None


def _options_of(ctx: Any) -> list[str]:
    names = [max(p.opts, key=len) for p in getattr(getattr(ctx, "command", None), "params", ())
             if getattr(p, "param_type_name", "") == "option" and getattr(p, "opts", None)]
    return [n for n in names if n != "--help"] + ["--help"]


def _context_of(exc: BaseException) -> Any:
    """The click context of a usage error (the parser raises some without one: then the
    innermost ``ctx`` of the frames it was raised through)."""
    ctx = getattr(exc, "ctx", None)
    inner = None
    tb = exc.__traceback__
    while ctx is None and tb is not None:  # outermost first: the last one found is innermost
        frame = tb.tb_frame.f_locals
        for found in (frame.get("ctx"), getattr(frame.get("self"), "ctx", None)):
            if found is not None and hasattr(found, "command_path"):
                inner = found
        tb = tb.tb_next
    return ctx if ctx is not None else inner


def _usage_message(exc: Any) -> str:
    """One line for a usage error of click: the flag, what was wrong, what is allowed."""
    ctx = _context_of(exc)
    where = f"'{ctx.command_path}'" if ctx is not None else "'na64'"
    see = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    text = " ".join((exc.format_message() or "").split())
    if isinstance(exc, _NO_SUCH_OPTION):
        possible = sorted(getattr(exc, "possibilities", None) or ())
        guess = f"did you mean {' or '.join(possible)}? " if possible else ""
        options = _options_of(ctx)
        listed = ", ".join(options) if len(", ".join(options)) <= 300 else "see --help"
        return (f"{getattr(exc, 'option_name', '')}: no such option of {where}; {guess}"
                f"it takes {listed}")
    if isinstance(exc, _BAD_OPTION_USAGE):
        flag = getattr(exc, "option_name", "")
        if "requires" in text and "argument" in text:
            param = _find_param(ctx, flag)
            about = _help_of(param)
            return f"{flag}: requires a value{f' ({about})' if about else ''}{see}"
        return f"{flag}: {text}{see}"
    if isinstance(exc, _MISSING_PARAMETER):
        param = getattr(exc, "param", None)
        name = _param_name(param, getattr(exc, "param_hint", None))
        about = _help_of(param)
        return f"{name}: is required{f' ({about})' if about else ''}{see}"
    if isinstance(exc, _BAD_PARAMETER):
        param = getattr(exc, "param", None)
        name = _param_name(param, getattr(exc, "param_hint", None))
        reason = " ".join(str(getattr(exc, "message", "") or text).split()).rstrip(".")
        choices = getattr(getattr(param, "type", None), "choices", None)
        value = re.match(r"^'(.*)' is not one of ", reason, re.DOTALL)
        if choices and value is not None:
            return (f"{name}: must be one of {', '.join(map(str, choices))}; "
                    f"got {value.group(1)!r}")
        return f"{name}: {reason}{see}"
    extra = re.match(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)$", text)
    if extra is not None:
        params = [p for p in getattr(getattr(ctx, "command", None), "params", ())
                  if getattr(p, "param_type_name", "") == "argument"]
        takes = (f"it takes {', '.join(_param_name(p) for p in params)}" if params
                 else "it takes no positional arguments")
        extras = extra.group(1)
        shown = (extras if re.fullmatch(r"[\w.,:/+=@%-]{1,60}", extras)
                 else repr(extras if len(extras) <= 60 else f"{extras[:50]}..."))
        return f"{shown}: unexpected argument of {where}; {takes}{see}"
    command = re.match(r"^No such command '(.*)'\.(.*)$", text)
    if command is not None:
        names = ctx.command.list_commands(ctx) if ctx is not None and hasattr(
            ctx.command, "list_commands") else []
        guess = command.group(2).strip()
        guess = f"{guess[0].lower()}{guess[1:]} " if guess else ""
        return (f"COMMAND: no such command {command.group(1)!r} of {where}; {guess}"
                f"choose one of: {', '.join(names)}").rstrip("; ")
    return f"{text or 'invalid usage'}{f' (in {where})' if ctx is not None else ''}"


#: OS errors caused by the path a user gave (exit 2); any other is an environment fault (1).
_USER_PATH_ERRORS = {errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
                     errno.EINVAL, errno.EEXIST}


#: Reasons clearer than the system's words for a path a user gave.
_REASONS = {errno.EEXIST: "a file is in the way", errno.ENOTDIR: "a file is in the way",
            errno.EROFS: "read-only file system"}


def _path_values(value: Any) -> list[str]:
    """The paths among a parameter's value (a path, a text, or a list of them)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [os.fspath(v) for v in items if isinstance(v, (str, os.PathLike)) and os.fspath(v)]


def _relation(failed: str, given: str) -> int | None:
    """How closely the path the system refused belongs to a path the user gave: 0 the same
    path, 1 a hidden or suffixed file next to it (temporary file, lock, checkpoint), 2 a
    directory above it or a file inside it; None unrelated."""
    with contextlib.suppress(ValueError, OSError):
        f, g = os.path.abspath(failed), os.path.abspath(given)
        if f == g:
            return 0
        head, name = os.path.split(g)
        f_head, f_name = os.path.split(f)
        if f_head == head and name and (f_name.startswith(f".{name}")
                                        or f_name.startswith(f"{name}.")):
            return 1
        if g.startswith(f.rstrip(os.sep) + os.sep) and f != os.getcwd() and f != os.sep:
            return 2
        if f.startswith(g.rstrip(os.sep) + os.sep) or f.startswith(f"{g}.chunks{os.sep}"):
            return 2
    return None


def _param_of_path(ctx: Any, failed: list[str]) -> str | None:
    """The flag (or argument name) of the command line that gave one of the ``failed``
    paths, or a path they belong to (:func:`_relation`); None if no parameter did."""
    best: tuple[int, str] | None = None
    while ctx is not None:
        for param in getattr(ctx.command, "params", ()) or ():
            for given in _path_values((getattr(ctx, "params", None) or {}).get(param.name)):
                for path in failed:
                    rank = _relation(path, given)
                    if rank is not None and (best is None or rank < best[0]):
                        best = (rank, _param_name(param))
        ctx = getattr(ctx, "parent", None)
    return best[1] if best is not None else None


def os_error_line(exc: OSError, ctx: Any = None) -> tuple[str, int]:
    """(one-line message, exit code) of an OS error that reached the command line.

    The message names the flag or argument that gave the path (found among the values of
    the command's parameters in the click context ``ctx``), the path and the reason; exit
    status 2 for a path the user can fix (missing, too long, a file in the way), 1 for any
    other fault of the environment (permission, disk full, I/O error).
    """
    names: list[str] = [os.fsdecode(n) for n in (exc.filename, exc.filename2)
                        if isinstance(n, (str, bytes, os.PathLike)) and os.fsdecode(n) != ""]
    name = names[0] if names else ""
    shown = repr(name) if len(name) <= 80 else repr(f"{name[:60]}...")
    reason = _REASONS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    code = 2 if exc.errno in _USER_PATH_ERRORS else 1
    line = f"{shown}: {reason}" if name else reason
    flag = _param_of_path(ctx, names) if names else None
    return (f"{flag}: {line}" if flag else line), code


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``na64`` console script."""
    skip_extensions()  # na64's kernels need no other package's numba extension
    try:
        rc = app(args=argv, prog_name="na64", standalone_mode=False)
    except InputError as exc:
        _fail(str(exc))
    except _NO_ARGS as exc:  # a command group alone: typer has printed its help on stdout
        _fail(_missing_command(getattr(exc, "ctx", None)))
    except _USAGE_ERRORS as exc:
        _fail(_usage_message(exc))
    except _ABORTS:
        _fail("interrupted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except OSError as exc:  # a path the system refuses: one line, never a traceback
        _fail(*os_error_line(exc, _context_of(exc)))
    except _CLICK_ERRORS as exc:
        message = exc.format_message().strip() or "failed"  # type: ignore[attr-defined]
        _fail(message, exc.exit_code)  # type: ignore[attr-defined]
    if isinstance(rc, int) and rc != 0:
        sys.exit(rc)
