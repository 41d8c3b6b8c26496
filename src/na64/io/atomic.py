"""Atomic writes: write to a temporary file or directory next to the target, then rename.

A reader never sees a half-written output, and an interrupted job (exception, Ctrl-C,
killed worker) leaves either the previous file or nothing, never a truncated one.

A set of files that belongs together (the outputs of one job) is written with
:func:`atomic_directory` into a fresh hidden directory next to the target and renamed into
place in one step, under :func:`exclusive_lock`, so two jobs never mix their files and an
existing result is replaced only when asked to.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import InputError

__all__ = [
    "atomic_directory",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "exclusive_lock",
    "location_error",
    "prepare_directory",
    "prepare_output_file",
]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, field: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed
    and ``path`` is left untouched.

    Parameters
    ----------
    path
        The file to write.
    field
        The option or key that named ``path``: a location the user can fix (a name too
        long, a file in the way, a missing permission, a read-only file system) is then an
        :class:`~na64.errors.InputError` of ``field`` raised before anything is written,
        instead of the :class:`OSError`.

    Examples
    --------
    >>> with atomic_path("out.png") as tmp:  # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    target = Path(path)
    if field is None:
        target.parent.mkdir(parents=True, exist_ok=True)
    else:
        prepare_output_file(target, field=field)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent
        )
    except OSError as exc:
        if field is None:
            raise
        raise location_error(field, target.parent, exc, "write into") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600 files: give the output the usual permissions (umask applied)
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *,
                       field: str | None = None) -> None:
    """Write ``data`` to ``path`` atomically (fsync before rename); ``field`` as in
    :func:`atomic_path`."""
    with atomic_path(path, field=field) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str, *,
                      field: str | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; ``field`` as in :func:`atomic_path`."""
    atomic_write_bytes(path, text.encode("utf-8"), field=field)


# --- a directory of outputs, written as a whole ------------------------------------------

#: Characters the hidden siblings add to the target's name (``.NAME.tmp-0123abcd``).
_SIBLING_EXTRA = len("..tmp-") + 8
#: errno values of a path the user can fix (bad, forbidden or read-only location).
_USER_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST,
                          errno.ENAMETOOLONG, errno.ELOOP, errno.ENOENT, errno.EISDIR})
#: errno values of a file system without ``flock``: the job then runs unlocked.
_NO_LOCKING = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS})

_held_guard = threading.Lock()
#: Lock files held by this process: path -> (pid, thread id, depth).
_held: dict[str, tuple[int, int, int]] = {}


def _resolve(path: str | os.PathLike[str], field: str) -> Path:
    """Absolute ``path`` with symbolic links resolved, every name short enough.

    The last name must leave room for the hidden siblings (``.NAME.tmp-xxxxxxxx``).
    """
    target = Path(path).resolve()
    if not target.name:
        raise InputError(field, f"{path} has no directory name; give a directory such as "
                                "results/reach")
    name_max = 255
    for probe in target.parents:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            name_max = int(os.pathconf(probe, "PC_NAME_MAX"))
            break
    parts = target.parts[1:]
    for i, part in enumerate(parts):
        size = len(os.fsencode(part))
        room = name_max - (_SIBLING_EXTRA if i == len(parts) - 1 else 0)
        if size > room:
            raise InputError(field, f"the name {part[:24]}... is too long "
                                    f"({size} bytes; at most {room} here)")
    return target


def _path_error(field: str, path: str | os.PathLike[str], exc: OSError,
                action: str) -> InputError | OSError:
    """An :class:`InputError` for a location the user can fix, else ``exc`` itself."""
    if exc.errno in _USER_ERRNOS:
        reason = {errno.EEXIST: "a file is in the way", errno.ENOTDIR: "a file is in the way",
                  errno.EROFS: "read-only file system"}.get(exc.errno or 0, exc.strerror)
        return InputError(field, f"cannot {action} {path}: {reason}")
    return exc


def _make_parent(target: Path, field: str) -> list[Path]:
    """Create the parent directories of ``target``; a bad location is an InputError.

    Returns the directories created, outermost first.
    """
    parent = target.parent
    blocker = next((p for p in (parent, *parent.parents) if os.path.lexists(p)), None)
    if blocker is not None and not blocker.is_dir():
        raise InputError(field, f"cannot create {target}: {blocker} is a file, not a directory")
    missing = [p for p in (parent, *parent.parents) if not os.path.lexists(p)][::-1]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise _path_error(field, parent, exc, "create the directory") from None
    return missing


def prepare_output_file(path: str | os.PathLike[str], *, field: str = "--out",
                        overwrite: bool = True, directory_ok: bool = False) -> list[Path]:
    """Check the location of an output file before any work and create its directory.

    Every name of the path must fit the file system (the last one with room for the hidden
    temporary and lock files next to it), no file may stand where a directory of the path
    should be, and, unless ``overwrite``, the file must not exist yet.  An existing
    directory at ``path`` is refused unless ``directory_ok`` (an output that is a directory
    of files).

    Returns
    -------
    list of Path
        The directories created, outermost first.

    Raises
    ------
    InputError
        Of ``field``: a name too long, a file in the way, a directory that cannot be created
        (missing permission, read-only file system), an existing file without ``overwrite``.
    """
    target = _resolve(path, field)
    if os.path.isdir(target) and not directory_ok:
        raise InputError(field, f"{path} is a directory; give a file name")
    if not overwrite and os.path.lexists(target):
        raise InputError(field, f"{path} exists; choose another name or give --overwrite")
    return _make_parent(target, field)


def location_error(field: str, path: str | os.PathLike[str], exc: OSError,
                   action: str) -> InputError | OSError:
    """An :class:`~na64.errors.InputError` of ``field`` (``"cannot <action> <path>:
    <reason>"``) for a location the user can fix (missing permission, read-only file
    system, a file in the way, a name too long, a missing directory), else ``exc`` itself."""
    return _path_error(field, path, exc, action)


def _remove_empty(directories: list[Path]) -> None:
    """Remove ``directories`` (outermost first) where empty: a failed job creates nothing."""
    for directory in reversed(directories):
        try:
            directory.rmdir()
        except OSError:
            return


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike[str], *, field: str = "--out") -> Iterator[None]:
    """Hold an exclusive lock on ``path`` while a job writes it.

    The lock is an ``fcntl.flock`` on ``.<name>.lock`` next to ``path`` (the parent
    directories are created).  It dies with its process, so a killed job never blocks the
    next one, and the lock file is removed when the lock is released.  The lock is
    re-entrant within one thread of one process; without ``fcntl`` (Windows) or on a file
    system without ``flock`` no lock is taken.

    Raises
    ------
    InputError
        Another process (or thread) holds the lock, or the lock file cannot be created
        there (missing permission, read-only file system, a file in the way, name too long).
    OSError
        Any other failure of the file system (disk full, I/O error).
    """
    target = _resolve(path, field)
    lock = target.with_name(f".{target.name}.lock")
    key = str(lock)
    me = (os.getpid(), threading.get_ident())
    busy = InputError(field, f"another na64 run is writing {path} right now (lock {lock}); "
                             f"wait for it or choose another {field}")
    with _held_guard:
        held = _held.get(key)
        if held is not None and held[0] == me[0]:
            if held[1] != me[1]:
                raise busy
            _held[key] = (*me, held[2] + 1)
    if held is not None and held[0] == me[0]:  # re-entered
        try:
            yield
        finally:
            with _held_guard:
                pid, tid, depth = _held[key]
                _held[key] = (pid, tid, depth - 1)
        return
    created = _make_parent(target, field)
    try:
        with _locked(lock, busy, field):
            with _held_guard:
                _held[key] = (*me, 1)
            try:
                yield
            finally:
                with _held_guard:
                    del _held[key]
    finally:
        if not os.path.lexists(target):
            _remove_empty(created)


@contextlib.contextmanager
def _locked(lock: Path, busy: InputError, field: str) -> Iterator[None]:
    """Hold ``fcntl.flock`` on the file ``lock``, removing the file when done."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = _acquire(lock, busy, field, fcntl.flock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if fd is None:
        yield
        return
    try:
        yield
    finally:
        # unlink first: a process that opened this file meanwhile sees, once it has the
        # lock, that the file is no longer the one at ``lock`` and starts over
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


def _acquire(lock: Path, busy: InputError, field: str,
             flock: Callable[[int, int], None], flags: int) -> int | None:
    """Open and lock ``lock``; the locked descriptor, or None where locking is unsupported."""
    for _ in range(100):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise _path_error(field, lock.parent, exc, "write into") from None
        try:
            flock(fd, flags)
        except BlockingIOError:
            os.close(fd)
            raise busy from None
        except OSError as exc:
            os.close(fd)
            if exc.errno in _NO_LOCKING:
                log.warning("cannot lock %s (%s): running without a lock", lock, exc.strerror)
                return None
            raise
        try:
            on_disk = os.stat(lock)
        except FileNotFoundError:
            on_disk = None
        mine = os.fstat(fd)
        if on_disk is not None and (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino):
            return fd
        os.close(fd)  # locked a file its previous holder had just removed: try again
    raise busy  # pragma: no cover - a lock file replaced 100 times in a row


def _entries(directory: Path) -> list[str]:
    return sorted(e.name for e in os.scandir(directory))


def _siblings(target: Path, kind: str) -> list[Path]:
    """Hidden siblings ``.NAME.<kind>-xxxxxxxx`` of ``target`` (directories only)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{kind}-[0-9a-f]{{8}}")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if pattern.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]


def _new_sibling(target: Path, kind: str) -> Path:
    """A name ``.NAME.<kind>-xxxxxxxx`` next to ``target`` that does not exist yet."""
    while True:
        path = target.with_name(f".{target.name}.{kind}-{secrets.token_hex(4)}")
        if not os.path.lexists(path):
            return path


def _tidy(target: Path, marker: str) -> None:
    """Remove what killed jobs left next to ``target``; call it holding the lock.

    A temporary directory (``.NAME.tmp-*``) is an unfinished output: removed.  A previous
    result moved aside for replacement (``.NAME.old-*``) is put back if ``target`` is
    missing (the job died between the two renames), else removed.
    """
    for stale in _siblings(target, "tmp"):
        log.info("removing %s, left by an interrupted run", stale)
        shutil.rmtree(stale, ignore_errors=True)
    olds = _siblings(target, "old")
    if not os.path.lexists(target):
        kept = [p for p in olds if (p / marker).is_file()]
        if kept:
            newest = max(kept, key=lambda p: p.stat().st_mtime)
            log.warning("restoring %s from %s, left by an interrupted run", target, newest)
            os.rename(newest, target)
            olds.remove(newest)
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def prepare_directory(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    marker: str,
    owned: Callable[[str], bool],
    what: str,
    field: str = "--out",
    tidy: bool = True,
) -> Path:
    """Check that ``path`` can take a new output set; call it holding :func:`exclusive_lock`.

    ``path`` may be missing (its parents are created), an empty directory, or, with
    ``overwrite``, a previous output: a directory holding ``marker`` whose every entry is
    ``owned`` (a name the writer produces).  Anything else is refused, so that no file of
    the user's is ever deleted.  Leftovers of killed jobs next to ``path`` are cleaned.

    Parameters
    ----------
    path
        The output directory.
    overwrite
        Replace a previous output.
    marker
        File name that identifies a previous output (e.g. ``"summary.json"``).
    owned
        Whether an entry name of a previous output is one the writer produces.
    what
        What the directory holds, for messages (e.g. ``"a reach result"``).
    field
        Option named in the errors.
    tidy
        Remove (or restore) what killed jobs left next to ``path``.

    Returns
    -------
    Path
        ``path`` absolute, with symbolic links resolved.

    Raises
    ------
    InputError
        ``path`` cannot take the output (see above), or its parent is not writable.
    """
    target = _resolve(path, field)
    _make_parent(target, field)
    parent = target.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(field, f"cannot write into {parent}: permission denied or "
                                "read-only file system")
    if tidy:
        _tidy(target, marker)
    if not os.path.lexists(target):
        return target
    if not target.is_dir():
        raise InputError(field, f"{path} exists and is not a directory")
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise InputError(field, f"{path} is the current directory or contains it; the output "
                                "is renamed into place, so give a directory below it")
    if os.path.ismount(target):
        raise InputError(field, f"{path} is a mount point; the output is renamed into place, "
                                "so give a directory below it")
    try:
        entries = _entries(target)
    except OSError as exc:
        raise _path_error(field, path, exc, "read") from None
    if not entries:
        return target
    if marker not in entries:
        raise InputError(field, f"{path} is not empty and does not hold {what} (no {marker}); "
                                f"na64 never deletes other files: choose another {field}")
    if not overwrite:
        raise InputError(field, f"{path} already holds {what}; pass --overwrite to replace it")
    foreign = [e for e in entries if not owned(e)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(field, f"{path} holds {what} and files na64 did not write ({shown}); "
                                f"move them away or choose another {field}")
    return target


@contextlib.contextmanager
def atomic_directory(
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    marker: str,
    owned: Callable[[str], bool],
    what: str,
    field: str = "--out",
) -> Iterator[Path]:
    """Yield a fresh temporary directory next to ``path``; move it onto ``path`` on success.

    The caller writes the whole output set into the yielded directory
    (``.NAME.tmp-xxxxxxxx``, same parent, so the final rename is atomic).  On success it
    replaces ``path``: renamed onto it if missing or empty; with ``overwrite`` a previous
    output is first renamed aside (``.NAME.old-xxxxxxxx``), the new set renamed into place
    and the old one deleted.  A reader thus sees either the old set or the new one, never
    a mix.  On any exception the temporary directory is removed and ``path`` is left as
    it was.  The whole operation holds :func:`exclusive_lock` on ``path``; which existing
    directories are accepted is described in :func:`prepare_directory`.

    Raises
    ------
    InputError
        ``path`` is locked by another job or cannot take the output.
    OSError
        The file system failed while writing or renaming (nothing half-written remains).

    Examples
    --------
    >>> with atomic_directory("out", marker="summary.json", owned=lambda n: True,
    ...                       what="a result") as tmp:  # doctest: +SKIP
    ...     (tmp / "summary.json").write_text("{}")
    """
    def check(tidy: bool) -> Path:
        return prepare_directory(path, overwrite=overwrite, marker=marker, owned=owned,
                                 what=what, field=field, tidy=tidy)

    with exclusive_lock(path, field=field):
        target = check(tidy=True)
        tmp = _new_sibling(target, "tmp")
        os.mkdir(tmp, 0o700)
        try:
            yield tmp
            # re-check: the user may have put something there while the job ran
            check(tidy=False)  # keeps our own temporary directory
            _install(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _install(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` onto ``target`` (missing, empty, or a previous output to replace)."""
    try:
        previous = os.stat(target, follow_symlinks=False)
    except FileNotFoundError:
        previous = None
    if previous is not None:
        mode = stat.S_IMODE(previous.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o777 & ~umask
    os.chmod(tmp, mode)
    if previous is None or not _entries(target):
        os.replace(tmp, target)  # onto nothing or onto an empty directory: one rename
        return
    old = _new_sibling(target, "old")
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    if os.path.lexists(old):
        log.warning("could not remove the replaced output %s", old)
