"""Provenance: where an event file came from.

Every event file na64 writes carries a provenance record: the command line, the setup
name and its full TOML text, the na64 version, the seed, the number of events, the git
commit of the na64 source tree (when it is a git checkout) and the creation time (UTC).
It is stored as one JSON text: Parquet key-value metadata under :data:`PROVENANCE_KEY`,
a ``TObjString`` named ``provenance`` in ROOT files.
"""

from __future__ import annotations

import datetime as _dt
import functools
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._version import __version__

__all__ = ["PROVENANCE_KEY", "git_revision", "make_provenance"]

#: Key of the provenance JSON in Parquet metadata and name of the ROOT ``TObjString``.
PROVENANCE_KEY = "na64.provenance"


@functools.lru_cache(maxsize=1)
def git_revision() -> str | None:
    """Return the git commit hash of the na64 source tree, or ``None``.

    ``None`` when na64 is not installed from a git checkout, git is unavailable or
    the query takes longer than 5 s.  A ``-dirty`` suffix marks uncommitted changes.
    """
    here = Path(__file__).resolve().parent
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True,
            timeout=5, check=False,
        )
        # only na64's own checkout counts, not a repository that happens to contain it
        if top.returncode != 0 or not (Path(top.stdout.strip()) / "src" / "na64").is_dir():
            return None
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
            timeout=5, check=False,
        )
        if head.returncode != 0:
            return None
        rev = head.stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=here.parent, capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if status.returncode == 0 and status.stdout.strip():
        rev += "-dirty"
    return rev or None


def make_provenance(
    *,
    seed: int,
    n_events: int,
    setup_name: str | None = None,
    setup_toml: str | None = None,
    command_line: list[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the provenance record of an event file.

    Parameters
    ----------
    seed, n_events
        Root seed of the run and number of events in the file.
    setup_name, setup_toml
        Name (or path) of the detector setup and the full text of its TOML file.
    command_line
        The argument vector; defaults to ``sys.argv``.
    extra
        Further JSON-serialisable items (beam, energy, chunk size, ...).

    Returns
    -------
    dict
        JSON-serialisable mapping.
    """
    record: dict[str, Any] = {
        "na64_version": __version__,
        "git_revision": git_revision(),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command_line": list(sys.argv if command_line is None else command_line),
        "seed": int(seed),
        "n_events": int(n_events),
        "setup_name": setup_name,
        "setup_toml": setup_toml,
    }
    if extra:
        record.update(dict(extra))
    return record
