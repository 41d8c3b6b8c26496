"""A versioned, checksummed on-disk cache of numpy arrays (physics tables computed once).

Tables that are deterministic functions of a few parameters and take long to build (the
dark-bremsstrahlung σ and sampling tables of :class:`na64.generate.DarkBremSignal`) are
stored here, one entry per parameter set, and read back bit for bit instead of being
recomputed.  So are the synchrotron photon-number table of the SRD and the per-event
dσ/dx of a dark-bremsstrahlung sample (keyed by the SHA-256 of the sampled points: a job
run again with the same seed evaluates no cross section).

Where
-----
``platformdirs.user_cache_dir("na64")/tables-v<FORMAT_VERSION>``.  The environment variable
``NA64_CACHE`` overrides the base directory (the entries then live in
``$NA64_CACHE/tables-v<FORMAT_VERSION>``); ``NA64_CACHE=off`` (or empty) disables the disk
cache: every table is computed.

Keys
----
An entry is identified by its *kind* (``"dark-brem-sigma"``), the caller's key (a
JSON-serialisable mapping of every input that determines the result), a per-kind schema
version and the environment the result was computed in: the na64 version, a SHA-256 of the
package's source and data files (so an edited checkout never reads tables of other code),
and the versions of numpy, scipy, numba, Python and the machine type.  They are written as
canonical JSON (sorted keys; floats by :func:`repr`, which round-trips exactly) whose SHA-256
names the file ``<kind>-<sha256>.npz``.

Entries
-------
An entry is an uncompressed ``.npz`` archive with the arrays, the canonical key text as the
member ``__na64_cache_key__`` and, as the zip archive comment (the last 64 bytes of the file),
the hexadecimal SHA-256 of every byte before it.  On reading, the checksum and then the
stored key are verified: a missing, truncated, corrupted, foreign, version- or key-mismatched
entry is never used; a damaged one is removed and the table recomputed.  Entries are written
to a temporary file in the same directory and renamed into place (:func:`os.replace`), so
processes sharing a cache never see a partial entry; two writers of one entry both write a
valid file and the last rename wins.

The cache never makes a computation fail: an unreadable entry is a miss, and an unwritable
directory degrades to "compute, do not store" with one :mod:`logging` warning.

This is a low-level module: it imports from na64 only :mod:`na64._version`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import platform
import re
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from ._version import __version__

__all__ = [
    "ENV_VAR",
    "FORMAT_VERSION",
    "cache_dir",
    "cache_info",
    "cached_arrays",
    "clear_cache",
    "entry_path",
    "environment",
]

log = logging.getLogger(__name__)

#: Version of the entry format (file layout and key envelope); it names the directory.
FORMAT_VERSION = 1
#: Environment variable overriding the cache directory (``off`` or empty: no disk cache).
ENV_VAR = "NA64_CACHE"

_KEY_MEMBER = "__na64_cache_key__"
_EOCD = b"PK\x05\x06"  # signature of the zip end-of-central-directory record
_EOCD_SIZE = 22
_DIGEST_SIZE = 64  # hexadecimal SHA-256, stored as the archive comment
_KIND_RE = re.compile(r"[a-z0-9][a-z0-9_.]*(?:-[a-z0-9_.]+)*\Z")
_ENTRY_RE = re.compile(r"(?P<kind>[a-z0-9][a-z0-9_.-]*)-(?P<digest>[0-9a-f]{64})\.npz\Z")
_TMP_RE = re.compile(r"\.[a-z0-9][a-z0-9_.-]*-[0-9a-f]{64}\.npz\.[^/]*\.tmp\Z")
#: Leftover temporary files older than this (s) are removed by :func:`clear_cache`.
_STALE_TMP_SECONDS = 3600.0
#: Libraries whose version can change the bits of a computed table.
_DEPENDENCIES = ("numpy", "scipy", "numba")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member dates: one entry, one byte string

_lock = threading.Lock()
_warned: set[str] = set()
_environment: dict[str, Any] | None = None


# ---------------------------------------------------------------------------- location
def cache_dir() -> Path | None:
    """The directory of the entries, or ``None`` when the disk cache is disabled.

    ``$NA64_CACHE/tables-v<FORMAT_VERSION>`` if ``NA64_CACHE`` is set (``off`` or empty
    disables the cache), else ``platformdirs.user_cache_dir("na64")/tables-v<...>``.  The
    directory is not created here.
    """
    value = os.environ.get(ENV_VAR)
    if value is None:
        base = Path(platformdirs.user_cache_dir("na64"))
    elif value.strip() == "" or value.strip().lower() == "off":
        return None
    else:
        base = Path(value).expanduser()
    return base / f"tables-v{FORMAT_VERSION}"


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not _KIND_RE.match(kind) or len(kind) > 64:
        raise ValueError(f"cache kind must be lower-case letters, digits, '.', '_' and single "
                         f"'-' (at most 64 characters), got {kind!r}")
    return kind


# ---------------------------------------------------------------------------- keys
def _is_package_file(path: Path, root: Path) -> bool:
    """A source or data file of the package (not byte code, numba's cache, hidden files or
    editor backups)."""
    parts = path.relative_to(root).parts
    return (path.is_file() and "__pycache__" not in parts
            and not any(part.startswith(".") for part in parts)
            and not path.name.endswith(("~", ".swp", ".swo"))
            and path.suffix not in (".pyc", ".pyo", ".nbi", ".nbc"))


def _source_digest() -> str:
    """SHA-256 of the na64 package's files (sources and data, see :func:`_is_package_file`)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if _is_package_file(p, root))
    for p in files:
        data = p.read_bytes()
        name = p.relative_to(root).as_posix().encode()
        h.update(len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _dependency_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """What, besides a key, determines a cached table: versions, source digest, machine.

    Computed once per process.  Raises :class:`OSError` if the package's files cannot be
    read (the cache is then not used).
    """
    global _environment
    with _lock:
        if _environment is None:
            _environment = {
                "na64": __version__,
                "source": _source_digest(),
                "python": platform.python_version(),
                "machine": platform.machine(),
                **{name: _dependency_version(name) for name in _DEPENDENCIES},
            }
        return dict(_environment)


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain JSON types (numpy scalars converted); ``TypeError`` otherwise."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"cache key {where}: mapping keys must be str, got {k!r}")
            out[k] = _plain(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"cache key {where}: {type(value).__name__} is not JSON-serialisable")


def _key_text(kind: str, key: Mapping[str, Any], schema: int) -> str:
    """Canonical JSON of an entry's identity (floats written by ``repr``, exact)."""
    envelope = {
        "format": FORMAT_VERSION,
        "kind": _check_kind(kind),
        "schema": int(schema),
        "environment": environment(),
        "key": _plain(key, "key"),
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=True)


def _file_name(kind: str, text: str) -> str:
    return f"{kind}-{hashlib.sha256(text.encode('ascii')).hexdigest()}.npz"


def entry_path(kind: str, key: Mapping[str, Any], *, schema: int = 1) -> Path | None:
    """Path of the entry of ``(kind, key, schema)``; ``None`` if the cache is disabled."""
    directory = cache_dir()
    if directory is None:
        return None
    return directory / _file_name(kind, _key_text(kind, key, schema))


# ---------------------------------------------------------------------------- entries
def _encode(arrays: Mapping[str, np.ndarray], text: str) -> bytes | None:
    """The bytes of an entry, or ``None`` if the arrays cannot be stored (object arrays,
    names that are not plain identifiers)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        if _KEY_MEMBER in arrays:
            return None
        items = [*arrays.items(), (_KEY_MEMBER, np.frombuffer(text.encode("ascii"), np.uint8))]
        for name, value in items:
            arr = np.asanyarray(value)
            if (not isinstance(name, str) or not name.isidentifier()
                    or type(arr) is not np.ndarray or arr.dtype.hasobject):
                return None
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)
        zf.comment = b"0" * _DIGEST_SIZE  # placeholder: the checksum of what precedes it
    body = buf.getvalue()[:-_DIGEST_SIZE]
    return body + hashlib.sha256(body).hexdigest().encode("ascii")


class _Corrupt(Exception):
    """An entry that must not be used (the message says why)."""


def _decode(data: bytes, text: str) -> dict[str, np.ndarray]:
    """The arrays of an entry after verifying its checksum and its key."""
    if len(data) < _EOCD_SIZE + _DIGEST_SIZE:
        raise _Corrupt("truncated")
    eocd = data[-_DIGEST_SIZE - _EOCD_SIZE:-_DIGEST_SIZE]
    if eocd[:4] != _EOCD or int.from_bytes(eocd[-2:], "little") != _DIGEST_SIZE:
        raise _Corrupt("not an na64 cache entry (truncated or foreign)")
    digest = hashlib.sha256(data[:-_DIGEST_SIZE]).hexdigest().encode("ascii")
    if digest != data[-_DIGEST_SIZE:]:
        raise _Corrupt("checksum mismatch")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            files = npz.files
            stored = npz[_KEY_MEMBER].tobytes().decode("ascii") if _KEY_MEMBER in files else None
            if stored != text:
                raise _Corrupt(_key_difference(stored, text))
            return {name: npz[name] for name in files if name != _KEY_MEMBER}
    except _Corrupt:
        raise
    except Exception as exc:  # any damage zipfile or numpy may report
        raise _Corrupt(f"unreadable archive ({type(exc).__name__}: {exc})") from None


def _key_difference(stored: str | None, text: str) -> str:
    """Why a stored key differs from the expected one, in a few words."""
    if stored is None:
        return "no key stored"
    try:
        old, new = json.loads(stored), json.loads(text)
        env_old, env_new = old.get("environment", {}), new["environment"]
        fields = [f"environment.{k}" for k in sorted(set(env_old) | set(env_new))
                  if env_old.get(k) != env_new.get(k)]
        fields += [k for k in ("format", "kind", "schema", "key") if old.get(k) != new.get(k)]
    except (ValueError, AttributeError, TypeError):
        return "unreadable stored key"
    return f"stored for another key ({', '.join(fields) or 'formatting'} differ)"


def _read(path: Path, text: str) -> dict[str, np.ndarray] | None:
    """The verified arrays of the entry at ``path``; ``None`` for a miss.  A damaged or
    mismatched entry is removed (unless another process has replaced it meanwhile)."""
    try:
        with open(path, "rb") as f:
            before = os.fstat(f.fileno())
            data = f.read()
    except OSError as exc:  # a miss; if the directory is unusable, storing warns (once)
        if not isinstance(exc, FileNotFoundError):
            log.debug("na64 cache: cannot read %s (%s)", path, exc)
        return None
    try:
        return _decode(data, text)
    except _Corrupt as exc:
        log.warning("na64 cache: discarding %s: %s; recomputing", path, exc)
        _discard(path, before)
        return None


def _discard(path: Path, seen: os.stat_result) -> None:
    """Remove ``path`` if it is still the file that was read."""
    try:
        now = os.stat(path)
        if (now.st_ino, now.st_size, now.st_mtime_ns) == (seen.st_ino, seen.st_size,
                                                            seen.st_mtime_ns):
            os.unlink(path)
    except OSError:
        pass


def _warn_once(directory: Path, exc: BaseException) -> None:
    with _lock:
        if str(directory) in _warned:
            return
        _warned.add(str(directory))
    log.warning("na64 cache: cannot store tables in %s (%s); they are computed but not "
                "stored (set %s to a writable directory, or to 'off')", directory, exc, ENV_VAR)


def _store(directory: Path, path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` atomically (temporary file + rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cached_arrays(kind: str, key: Mapping[str, Any],
                  compute: Callable[[], Mapping[str, np.ndarray]], *,
                  schema: int = 1) -> dict[str, np.ndarray]:
    """The arrays of ``compute()``, read from the disk cache when an entry exists.

    Parameters
    ----------
    kind
        Name of the kind of table (lower case, e.g. ``"dark-brem-sigma"``); it prefixes the
        file name.
    key
        Every input that determines the result, as a JSON-serialisable mapping (str keys;
        str, bool, int, float, None, lists, tuples and mappings; numpy scalars are
        accepted).  The na64 version, source digest and library versions are added.
    compute
        Builds the arrays (a mapping of identifier names to numeric arrays); called only
        on a miss.
    schema
        Version of this kind's layout: bump it when the arrays a kind stores change.

    Returns
    -------
    dict of str to numpy.ndarray
        Bit for bit the arrays ``compute()`` returns (same dtype, shape and values).

    Raises
    ------
    TypeError
        If ``key`` is not JSON-serialisable (a programming error).  Problems of the cache
        itself (unreadable, unwritable, damaged) never raise: the arrays are computed.
    """
    _check_kind(kind)
    _plain(key, "key")  # a bad key is the caller's error, raised whether or not caching
    directory = cache_dir()
    if directory is None:
        return dict(compute())
    try:
        text = _key_text(kind, key, schema)
    except OSError as exc:  # the package's files cannot be read: no trustworthy key
        _warn_once(directory, exc)
        return dict(compute())
    path = directory / _file_name(kind, text)
    try:
        hit = _read(path, text)
    except Exception as exc:  # never fail because of the cache
        log.warning("na64 cache: cannot use %s (%s); recomputing", path, exc)
        hit = None
    if hit is not None:
        return hit
    result = dict(compute())
    try:
        payload = _encode(result, text)
        if payload is not None:
            _store(directory, path, payload)
    except Exception as exc:
        _warn_once(directory, exc)
    return result


# ---------------------------------------------------------------------------- maintenance
def _entries(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if _ENTRY_RE.match(p.name) and p.is_file())
    except OSError:
        return []


def cache_info() -> dict[str, Any]:
    """Where the cache is and what it holds.

    Returns
    -------
    dict
        ``directory`` (str, or ``None`` when disabled), ``enabled`` (bool), ``entries``
        (int), ``bytes`` (int, their total size), ``kinds`` (entries per kind),
        ``format_version`` and ``env_var`` (the variable that overrides the directory).
    """
    directory = cache_dir()
    entries = [] if directory is None else _entries(directory)
    size = 0
    kinds: dict[str, int] = {}
    for p in entries:
        try:
            size += p.stat().st_size
        except OSError:
            continue
        m = _ENTRY_RE.match(p.name)
        if m:
            kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    return {
        "directory": None if directory is None else str(directory),
        "enabled": directory is not None,
        "entries": len(entries),
        "bytes": size,
        "kinds": dict(sorted(kinds.items())),
        "format_version": FORMAT_VERSION,
        "env_var": ENV_VAR,
    }


def clear_cache() -> int:
    """Remove every entry (and temporary files left by interrupted writers over an hour
    ago) from the cache directory; other files are left alone.

    Returns
    -------
    int
        The number of entries removed.
    """
    directory = cache_dir()
    if directory is None:
        return 0
    removed = 0
    for p in _entries(directory):
        try:
            p.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("na64 cache: cannot remove %s (%s)", p, exc)
    try:
        stale = [p for p in directory.iterdir() if _TMP_RE.match(p.name)]
    except OSError:
        stale = []
    now = time.time()
    for p in stale:
        try:
            if now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                p.unlink()
        except OSError:
            continue
    return removed
