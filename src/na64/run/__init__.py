"""Production at scale: executors, reproducible seeds, chunked resumable runs.

* :mod:`~na64.run.executors` -- local, process-pool and Dask executors, one interface.
* :mod:`~na64.run.seeds` -- chunk ``i`` draws from child ``i`` of ``SeedSequence(seed)``.
* :mod:`~na64.run.manifest` -- the JSON checkpoint of a chunked run.
* :mod:`~na64.run.production` -- :func:`run_production`: chunks, checksums, resume, merge.
"""

from .executors import DaskExecutor, Executor, LocalExecutor, ProcessExecutor, make_executor
from .manifest import ChunkRecord, Manifest, sha256_file
from .production import (
    DEFAULT_CHUNK_SIZE,
    EventSource,
    RunError,
    RunSummary,
    chunk_dir_for,
    run_production,
)
from .seeds import ChunkSpec, chunk_generator, chunk_seed, plan_chunks

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ChunkRecord",
    "ChunkSpec",
    "DaskExecutor",
    "EventSource",
    "Executor",
    "LocalExecutor",
    "Manifest",
    "ProcessExecutor",
    "RunError",
    "RunSummary",
    "chunk_dir_for",
    "chunk_generator",
    "chunk_seed",
    "make_executor",
    "plan_chunks",
    "run_production",
    "sha256_file",
]
