"""The manifest of a chunked run: what the run is and which chunks are done.

A chunked run keeps its chunks in a directory next to the requested output
(``run.parquet`` -> ``run.parquet.chunks/``) with a ``manifest.json``::

    {
      "manifest_version": 1,
      "identity": {"source": {...}, "seed": 1, "n_events": 1000000, "chunk_size": 20000},
      "format": "parquet",
      "output": "run.parquet",
      "provenance": {...},
      "chunks": [
        {"index": 0, "file": "chunk_000000.parquet", "first_event": 0,
         "n_events": 20000, "sha256": "9f2c...", "status": "done"},
        {"index": 1, "file": "chunk_000001.parquet", "first_event": 20000,
         "n_events": 20000, "sha256": null, "status": "pending"},
        ...
      ]
    }

The manifest is rewritten atomically after every finished chunk, so after a crash it
lists exactly the chunks whose files were completely written, with their SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from ..io.atomic import atomic_write_text

__all__ = ["MANIFEST_NAME", "ChunkRecord", "Manifest", "sha256_file"]

MANIFEST_NAME = "manifest.json"
_VERSION = 1


def sha256_file(path: str | os.PathLike[str], block: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in blocks of ``block`` bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while data := fh.read(block):
            h.update(data)
    return h.hexdigest()


@dataclass
class ChunkRecord:
    """State of one chunk: its file, first event, size, checksum and status."""

    index: int
    file: str
    first_event: int
    n_events: int
    sha256: str | None = None
    status: Literal["pending", "done"] = "pending"

    def is_intact(self, directory: Path) -> bool:
        """True if the chunk is done and its file exists with the recorded checksum."""
        if self.status != "done" or self.sha256 is None:
            return False
        path = directory / self.file
        return path.is_file() and sha256_file(path) == self.sha256


@dataclass
class Manifest:
    """A chunked run: identity (what is computed), output, provenance, chunk states."""

    identity: dict[str, Any]
    format: str
    output: str
    provenance: dict[str, Any]
    chunks: list[ChunkRecord] = field(default_factory=list)

    @property
    def n_done(self) -> int:
        """Number of chunks marked done."""
        return sum(c.status == "done" for c in self.chunks)

    @property
    def events_done(self) -> int:
        """Number of events in chunks marked done."""
        return sum(c.n_events for c in self.chunks if c.status == "done")

    def to_json(self) -> str:
        """The manifest as indented JSON text."""
        data = {"manifest_version": _VERSION, **asdict(self)}
        return json.dumps(data, indent=1, sort_keys=False) + "\n"

    def save(self, directory: Path) -> None:
        """Write ``directory/manifest.json`` atomically."""
        atomic_write_text(directory / MANIFEST_NAME, self.to_json())

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        """Read ``directory/manifest.json``.

        Raises
        ------
        InputError
            The manifest is unreadable, not JSON, or of an unknown layout.
        """
        path = directory / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("manifest_version") != _VERSION:
                raise ValueError(f"unknown manifest_version {data.get('manifest_version')!r}")
            chunks = [ChunkRecord(**c) for c in data["chunks"]]
            return cls(
                identity=dict(data["identity"]),
                format=str(data["format"]),
                output=str(data["output"]),
                provenance=dict(data["provenance"]),
                chunks=chunks,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                "--resume", f"cannot read the run manifest {path}: {exc}; remove the directory "
                "or pass --overwrite to start over"
            ) from None
