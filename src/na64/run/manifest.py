"""The manifest of a chunked run: what the run is and which chunks are done.

A chunked run keeps its chunks in a directory next to the requested output
(``run.parquet`` -> ``run.parquet.chunks/``) with a ``manifest.json``::

    {
      "manifest_version": 2,
      "identity": {"source": {...}, "seed": 1, "n_events": 1000000, "chunk_size": 20000},
      "format": "parquet",
      "output": "run.parquet",
      "provenance": {...},
      "chunks": [
        {"index": 0, "file": "chunk_000000.parquet", "first_event": 0,
         "n_events": 20000, "sha256": "9f2c...", "status": "merged",
         "body_sha256": "51ab...", "body_offset": 4, "body_length": 11012345},
        {"index": 1, "file": "chunk_000001.parquet", "first_event": 20000,
         "n_events": 20000, "sha256": "0c4d...", "status": "done", ...},
        {"index": 2, "file": "chunk_000002.parquet", "first_event": 40000,
         "n_events": 20000, "sha256": null, "status": "pending", ...},
        ...
      ]
    }

The manifest is rewritten atomically (at most every 0.5 s and at every stop), so after a
crash it lists chunks whose files were completely written (``done``, with their SHA-256)
and chunks already copied into the Parquet output under construction (``merged``, with
the position and SHA-256 of their bytes there); see :mod:`na64.run.production`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from ..errors import InputError
from ..io.atomic import atomic_write_text
from ..io.parquet_concat import MAGIC
from ..io.parquet_concat import body_end as parquet_body_end

__all__ = ["MANIFEST_NAME", "ChunkRecord", "Manifest", "body_matches", "chunk_checksums",
           "sha256_file"]

MANIFEST_NAME = "manifest.json"
_VERSION = 2
_READABLE = (1, 2)  # version 1: no "merged" state and no body checksums


def sha256_file(path: str | os.PathLike[str], block: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in blocks of ``block`` bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while data := fh.read(block):
            h.update(data)
    return h.hexdigest()


def chunk_checksums(path: str | os.PathLike[str], block: int = 1 << 20) -> tuple[str, str | None]:
    """SHA-256 of a chunk file and, for Parquet, of its magic + body, in one pass.

    The second digest, ``sha256(b"PAR1" + body)`` with body = the bytes between the leading
    magic and the footer, is what :func:`body_matches` finds again in the output being
    merged (:mod:`na64.run.production`), where the chunk's body was copied verbatim.
    """
    full = hashlib.sha256()
    body: Any = None  # the hasher state after magic + body
    with open(path, "rb") as fh:
        try:
            end: int | None = parquet_body_end(fh, os.fstat(fh.fileno()).st_size)
        except ValueError:
            end = None  # not Parquet: no body digest
        fh.seek(0)
        done = 0
        while data := fh.read(block):
            if end is not None and body is None and done + len(data) >= end:
                cut = end - done
                full.update(data[:cut])
                body = full.copy()
                full.update(data[cut:])
            else:
                full.update(data)
            done += len(data)
    return full.hexdigest(), (body.hexdigest() if body is not None else None)


def body_matches(fh: BinaryIO, offset: int, length: int, sha256_hex: str) -> bool:
    """Whether ``sha256(b"PAR1" + fh[offset:offset + length])`` is ``sha256_hex``.

    The check of a chunk body copied into a merged output, against the body digest of
    :func:`chunk_checksums`.
    """
    h = hashlib.sha256(MAGIC)
    fh.seek(offset)
    left = length
    while left > 0:
        data = fh.read(min(left, 1 << 22))
        if not data:
            return False
        h.update(data)
        left -= len(data)
    return h.hexdigest() == sha256_hex


@dataclass
class ChunkRecord:
    """State of one chunk: its file, first event, size, checksums and status.

    ``status``: ``pending`` (to compute), ``done`` (its file is complete, with checksum
    ``sha256``) or ``merged`` (its body was copied into the Parquet output under
    construction at ``body_offset``, length ``body_length``, checksum ``body_sha256`` of
    magic + body; its file may be gone).
    """

    index: int
    file: str
    first_event: int
    n_events: int
    sha256: str | None = None
    status: Literal["pending", "done", "merged"] = "pending"
    body_sha256: str | None = None
    body_offset: int | None = None
    body_length: int | None = None

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
        """Number of finished chunks (done or already merged)."""
        return sum(c.status != "pending" for c in self.chunks)

    @property
    def events_done(self) -> int:
        """Number of events in finished chunks."""
        return sum(c.n_events for c in self.chunks if c.status != "pending")

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
            if data.get("manifest_version") not in _READABLE:
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
