"""Reproducible random streams for chunked runs.

A run of ``n_events`` with root seed ``seed`` is cut into chunks of ``chunk_size`` events
(the last one may be shorter).  Chunk ``i`` draws from the ``i``-th child of
``numpy.random.SeedSequence(seed)`` (spawn key ``(i,)``), so its events depend only on
``(seed, chunk_size, i)``: never on the number of workers, the executor, or the order in
which chunks finish, and a resumed run recomputes a lost chunk bit for bit.  Two runs with
the same seed and chunk size share their leading chunks, whatever their ``n_events``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["MAX_CHUNKS", "MAX_EVENTS", "ChunkSpec", "chunk_generator", "chunk_seed", "plan_chunks"]

#: Largest run accepted (10^12 events): keeps every count exactly representable.
MAX_EVENTS = 10**12
#: Largest number of chunks in one run: bounds the manifest (about 150 bytes per chunk).
MAX_CHUNKS = 100_000


@dataclass(frozen=True)
class ChunkSpec:
    """One chunk of a run: its index, first event number and number of events."""

    index: int
    start: int
    n_events: int


def plan_chunks(n_events: int, chunk_size: int) -> list[ChunkSpec]:
    """Cut ``n_events`` into consecutive chunks of ``chunk_size`` events.

    Raises
    ------
    InputError
        ``n_events`` not in [1, 10^12], ``chunk_size`` not in [1, 10^9], or more than
        :data:`MAX_CHUNKS` chunks.
    """
    if not 1 <= n_events <= MAX_EVENTS:
        raise InputError("--events", f"must be an integer in [1, {MAX_EVENTS:.0e}], got {n_events}")
    if not 1 <= chunk_size <= 10**9:
        raise InputError("--chunk-size", f"must be an integer in [1, 1e9], got {chunk_size}")
    n_chunks = -(-n_events // chunk_size)
    if n_chunks > MAX_CHUNKS:
        raise InputError(
            "--chunk-size",
            f"{n_events} events in chunks of {chunk_size} make {n_chunks} chunks; at most "
            f"{MAX_CHUNKS} are allowed, use --chunk-size >= {-(-n_events // MAX_CHUNKS)}",
        )
    starts = range(0, n_events, chunk_size)
    return [ChunkSpec(i, s, min(chunk_size, n_events - s)) for i, s in enumerate(starts)]


def chunk_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Return the seed sequence of chunk ``index``: child ``index`` of ``SeedSequence(seed)``.

    Identical to ``SeedSequence(seed).spawn(n)[index]`` for any ``n > index``, but built
    directly, so chunk 10^5 costs no more than chunk 0.
    """
    if seed < 0:
        raise InputError("--seed", f"must be an integer >= 0, got {seed}")
    if index < 0:
        raise ValueError(f"chunk index must be >= 0, got {index}")
    return np.random.SeedSequence(entropy=seed, spawn_key=(index,))


def chunk_generator(seed: int, index: int) -> np.random.Generator:
    """The :class:`numpy.random.Generator` (PCG64) of chunk ``index``."""
    return np.random.Generator(np.random.PCG64(chunk_seed(seed, index)))
