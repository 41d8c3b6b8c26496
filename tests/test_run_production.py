"""Chunked production: reproducibility across executors, resume after crashes, checksums.

The event source here is a small but real toy calorimeter (``ToyShower``): every number
it returns is a deterministic function of the generator it is given, so two runs agree
bit for bit exactly when they feed the same random streams to the same chunks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from na64.errors import InputError
from na64.io.events import read_events, read_provenance
from na64.run import (
    LocalExecutor,
    ProcessExecutor,
    RunError,
    chunk_dir_for,
    chunk_generator,
    plan_chunks,
    run_production,
)
from na64.run.manifest import Manifest

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ToyShower:
    """Toy ECAL: beam energy N(E0, 1 %), deposited fraction Beta(8, 2), 2x3x3 cells.

    ``fail_flag``: if that file exists, the call removes it and then fails -- by
    ``os.kill(SIGKILL)`` of its own (worker) process when ``hard`` is true, by an
    exception otherwise.  ``delay`` sleeps per call (to interrupt runs mid-way).
    """

    e0: float = 100.0
    fail_flag: str | None = None
    hard: bool = False
    delay: float = 0.0

    def __call__(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if self.fail_flag is not None and os.path.exists(self.fail_flag):
            os.remove(self.fail_flag)
            if self.hard:
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError("toy source failure")
        if self.delay:
            time.sleep(self.delay)
        e = rng.normal(self.e0, 0.01 * self.e0, n)
        frac = rng.beta(8.0, 2.0, n)
        weights = rng.gamma(2.0, 1.0, (n, 2, 3, 3))
        weights /= weights.sum(axis=(1, 2, 3), keepdims=True)
        ecal = ((e * frac)[:, None, None, None] * weights).astype(np.float32)
        return {
            "e_beam": e,
            "ecal": ecal,
            "n_hot": (ecal > 5.0).sum(axis=(1, 2, 3)).astype(np.int32),
            "invisible": frac < 0.5,
        }

    def describe(self) -> dict[str, Any]:
        return {"kind": "toy", "e0": self.e0}


class ReversedExecutor(LocalExecutor):
    """Runs tasks last-to-first: chunks finish in the opposite order."""

    def map_unordered(
        self, fn: Callable[[T], R], items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        for i in reversed(range(len(items))):
            yield i, fn(items[i])


def reference(source: ToyShower, n: int, seed: int, chunk: int) -> dict[str, np.ndarray]:
    """Independent reference: each chunk drawn directly from its generator, concatenated."""
    parts = [source(c.n_events, chunk_generator(seed, c.index)) for c in plan_chunks(n, chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].shape == b[k].shape, k
        assert a[k].dtype == b[k].dtype, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


N, SEED, CHUNK = 1_000, 7, 150  # 7 chunks, the last one shorter (100 events)


def test_local_run_equals_direct_reference(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, chunk_size=CHUNK,
                             provenance={"setup_name": "toy"})
    assert summary.n_chunks == 7
    assert summary.chunks_computed == 7
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))
    assert read_provenance(out)["setup_name"] == "toy"
    assert not chunk_dir_for(out).exists()  # checkpoint removed after the merge


def test_same_events_for_any_worker_count_and_completion_order(tmp_path: Path) -> None:
    src = ToyShower()
    run_production(src, tmp_path / "a.parquet", n_events=N, seed=SEED, chunk_size=CHUNK)
    run_production(src, tmp_path / "b.parquet", n_events=N, seed=SEED, chunk_size=CHUNK,
                   executor=ReversedExecutor())
    with ProcessExecutor(2) as ex:
        run_production(src, tmp_path / "c.parquet", n_events=N, seed=SEED,
                       chunk_size=CHUNK, executor=ex)
    a = read_events(tmp_path / "a.parquet")
    assert_same(a, read_events(tmp_path / "b.parquet"))
    assert_same(a, read_events(tmp_path / "c.parquet"))
    # a different seed gives different events (the comparison above can fail)
    run_production(src, tmp_path / "d.parquet", n_events=N, seed=SEED + 1, chunk_size=CHUNK)
    assert not np.array_equal(a["e_beam"], read_events(tmp_path / "d.parquet")["e_beam"])


def test_parquet_merge_copies_the_workers_chunks_without_reencoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main process appends every chunk by byte copy: each event is encoded once."""
    from na64.io.parquet_concat import ParquetConcatenator

    copied: list[str] = []
    original = ParquetConcatenator.append_record

    def spy(self: ParquetConcatenator, path: Any) -> Any:
        copied.append(Path(path).name)
        return original(self, path)

    monkeypatch.setattr(ParquetConcatenator, "append_record", spy)
    out = tmp_path / "run.parquet"
    run_production(ToyShower(), out, n_events=N, seed=SEED, chunk_size=CHUNK,
                   provenance={"setup_name": "toy"})
    assert copied == [f"chunk_{i:06d}.parquet" for i in range(7)]
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))
    import pyarrow.parquet as pq

    assert pq.ParquetFile(out).metadata.num_row_groups == 7


def test_root_output_holds_the_same_events(tmp_path: Path) -> None:
    run_production(ToyShower(), tmp_path / "a.parquet", n_events=N, seed=SEED, chunk_size=CHUNK)
    run_production(ToyShower(), tmp_path / "a.root", n_events=N, seed=SEED, chunk_size=CHUNK,
                   provenance={"seed": SEED})
    assert_same(read_events(tmp_path / "a.parquet"), read_events(tmp_path / "a.root"))
    # the provenance given is stored, completed with the chunking and the storage precision
    prov = read_provenance(tmp_path / "a.root")
    assert prov.pop("storage_precision")["name"] == "full"
    assert prov == {"seed": SEED, "chunk_size": CHUNK, "n_chunks": 7}


def _running(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie (Linux /proc; False elsewhere)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# CPython's ProcessPoolExecutor may raise InvalidStateError in its management thread while it
# tears down a pool broken by the killed worker (a cancelled future cannot take the
# exception); the run itself handles the broken pool, which is what this test checks.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_resume_after_a_worker_is_killed(tmp_path: Path) -> None:
    flag = tmp_path / "die"
    flag.touch()
    out = tmp_path / "run.parquet"
    src = ToyShower(fail_flag=str(flag), hard=True)
    with ProcessExecutor(2) as ex:
        with pytest.raises(RunError, match="--resume"):
            run_production(src, out, n_events=N, seed=SEED, chunk_size=CHUNK, executor=ex)
        pids = ex.worker_pids()
    # no surviving worker of the broken pool (it would block interpreter exit)
    assert not [pid for pid in pids if _running(pid)]
    assert not out.exists()  # no half-written output
    manifest = Manifest.load(chunk_dir_for(out))
    assert manifest.n_done < 7
    with ProcessExecutor(2) as ex:
        summary = run_production(src, out, n_events=N, seed=SEED, chunk_size=CHUNK,
                                 executor=ex, resume=True)
    assert summary.chunks_computed + summary.chunks_reused == 7
    assert summary.chunks_computed == 7 - manifest.n_done
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_resume_recomputes_corrupted_and_truncated_chunks(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    run_production(ToyShower(), out, n_events=N, seed=SEED, chunk_size=CHUNK, keep_chunks=True)
    out.unlink()  # as if the merge had never happened
    directory = chunk_dir_for(out)
    manifest = Manifest.load(directory)
    assert manifest.n_done == 7
    truncated = directory / manifest.chunks[1].file
    truncated.write_bytes(truncated.read_bytes()[:-100])
    flipped = directory / manifest.chunks[4].file
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped.write_bytes(bytes(data))
    (directory / manifest.chunks[6].file).unlink()
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, resume=True)
    assert (summary.chunks_computed, summary.chunks_reused) == (3, 4)
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_failed_task_keeps_finished_chunks_for_resume(tmp_path: Path) -> None:
    flag = tmp_path / "fail"
    flag.touch()
    out = tmp_path / "run.root"
    src = ToyShower(fail_flag=str(flag))
    with pytest.raises(RunError, match="0 of 7 chunks"):
        run_production(src, out, n_events=N, seed=SEED, chunk_size=CHUNK)
    assert not out.exists()
    summary = run_production(src, out, n_events=N, seed=SEED, resume=True)
    assert summary.chunks_computed == 7
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_sigint_mid_run_then_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    """A run in a subprocess group gets Ctrl-C (SIGINT) after two chunks; resume completes it."""
    out = tmp_path / "run.parquet"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_run_production import ToyShower
        from na64.run import ProcessExecutor, run_production
        with ProcessExecutor(2) as ex:
            run_production(ToyShower(delay=0.3), {str(out)!r}, n_events={N}, seed={SEED},
                           chunk_size={CHUNK}, executor=ex)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True,
                            stderr=subprocess.PIPE)
    manifest_path = chunk_dir_for(out) / "manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if manifest_path.exists():
            chunks = json.loads(manifest_path.read_text())["chunks"]
            if sum(c["status"] != "pending" for c in chunks) >= 2:
                break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0, err.decode()
    assert b"KeyboardInterrupt" in err
    assert not out.exists()
    done = Manifest.load(chunk_dir_for(out)).n_done
    assert 2 <= done < 7
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, resume=True)
    assert summary.chunks_reused == done
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_existing_output_and_checkpoint_need_explicit_choice(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    run_production(ToyShower(), out, n_events=100, seed=1, chunk_size=50)
    with pytest.raises(InputError, match="--overwrite"):
        run_production(ToyShower(), out, n_events=100, seed=1, chunk_size=50)
    run_production(ToyShower(), out, n_events=100, seed=2, chunk_size=50, overwrite=True)
    assert read_events(out)["e_beam"].shape == (100,)
    # a checkpoint of one run cannot be resumed with other options
    flag = tmp_path / "fail"
    flag.touch()
    out2 = tmp_path / "run2.parquet"
    with pytest.raises(RunError):
        run_production(ToyShower(fail_flag=str(flag)), out2, n_events=100, seed=1, chunk_size=50)
    with pytest.raises(InputError, match="seed was 1, now 3"):
        run_production(ToyShower(), out2, n_events=100, seed=3, resume=True)
    with pytest.raises(InputError, match="--resume"):
        run_production(ToyShower(), out2, n_events=100, seed=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_events": 0}, "--events"),
        ({"chunk_size": 0}, "--chunk-size"),
        ({"seed": -1}, "--seed"),
        ({"fmt": "csv"}, "--format"),
    ],
)
def test_bad_arguments_raise_input_error(tmp_path: Path, kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"n_events": 10, "seed": 1, **kwargs}
    with pytest.raises(InputError, match=field):
        run_production(ToyShower(), tmp_path / "x.parquet", **args)
    assert list(tmp_path.iterdir()) == []


def test_two_runs_cannot_share_an_output(tmp_path: Path) -> None:
    from na64.run.production import _exclusive

    out = tmp_path / "run.parquet"
    with _exclusive(out), pytest.raises(InputError, match="another na64 run is writing"):
        run_production(ToyShower(), out, n_events=10, seed=1)
    run_production(ToyShower(), out, n_events=10, seed=1)  # lock released: runs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.parquet"]


def _interrupted_after_three_chunks(tmp_path: Path) -> tuple[Path, Path]:
    """A local run that fails in its 4th chunk: chunks 0-2 are merged into the partial output."""
    out = tmp_path / "run.parquet"
    flag = tmp_path / "fail"

    def progress(done: int, _total: int) -> None:
        if done >= 3 * CHUNK:
            flag.touch()  # the next chunk's source call fails

    with pytest.raises(RunError, match="3 of 7 chunks"):
        run_production(ToyShower(fail_flag=str(flag)), out, n_events=N, seed=SEED,
                       chunk_size=CHUNK, progress=progress)
    return out, chunk_dir_for(out)


def test_merged_chunks_are_deleted_and_the_partial_output_is_the_checkpoint(tmp_path: Path) -> None:
    out, directory = _interrupted_after_three_chunks(tmp_path)
    manifest = Manifest.load(directory)
    assert [c.status for c in manifest.chunks[:3]] == ["merged"] * 3
    # disk: the merged chunks live only in the partial output, not twice
    assert not any((directory / c.file).exists() for c in manifest.chunks[:3])
    assert (directory / "output.partial").stat().st_size == (
        manifest.chunks[2].body_offset + manifest.chunks[2].body_length)
    assert not out.exists()
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, resume=True)
    assert (summary.chunks_reused, summary.chunks_computed) == (3, 4)
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))
    assert not directory.exists()


@pytest.mark.parametrize("damage", ["flip", "truncate", "footer"])
def test_damaged_partial_output_is_detected_and_recomputed(tmp_path: Path, damage: str) -> None:
    """A corrupted or truncated partial output, or a damaged footer record, is found by its
    checksums; the chunks from there on are recomputed (their files are gone)."""
    out, directory = _interrupted_after_three_chunks(tmp_path)
    manifest = Manifest.load(directory)
    c1 = manifest.chunks[1]
    partial = directory / "output.partial"
    if damage == "flip":
        data = bytearray(partial.read_bytes())
        data[c1.body_offset + c1.body_length // 2] ^= 0x01
        partial.write_bytes(bytes(data))
    elif damage == "truncate":
        partial.write_bytes(partial.read_bytes()[: c1.body_offset + c1.body_length - 1])
    else:  # the second footer record (chunk 1)
        footers = directory / "footers.bin"
        data = bytearray(footers.read_bytes())
        first = 4 + int.from_bytes(data[:4], "little") + 32
        data[first + 10] ^= 0x01
        footers.write_bytes(bytes(data))
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, resume=True)
    assert (summary.chunks_reused, summary.chunks_computed) == (1, 6)
    assert_same(read_events(out), reference(ToyShower(), N, SEED, CHUNK))


def test_resume_of_a_checkpoint_with_arrow_chunks_recomputes_them(tmp_path: Path) -> None:
    """Checkpoints of earlier na64 versions (manifest v1, Arrow IPC chunks) still resume."""
    from dataclasses import asdict

    from na64.io.events import write_arrow_chunk
    from na64.run.manifest import sha256_file

    out, directory = _interrupted_after_three_chunks(tmp_path)
    manifest = Manifest.load(directory)
    # rewrite the state as the old code left it: chunks 0-2 done as Arrow IPC files
    ref = reference(ToyShower(), N, SEED, CHUNK)
    for rec in manifest.chunks[:3]:
        rec.file = f"chunk_{rec.index:06d}.arrow"
        sl = slice(rec.first_event, rec.first_event + rec.n_events)
        write_arrow_chunk(directory / rec.file, {k: v[sl] for k, v in ref.items()})
        rec.status, rec.sha256 = "done", sha256_file(directory / rec.file)
        rec.body_sha256 = rec.body_offset = rec.body_length = None
    data = {"manifest_version": 1, **asdict(manifest)}
    for c in data["chunks"]:
        for key in ("body_sha256", "body_offset", "body_length"):
            c.pop(key)
    (directory / "manifest.json").write_text(json.dumps(data))
    (directory / "output.partial").unlink()
    summary = run_production(ToyShower(), out, n_events=N, seed=SEED, resume=True)
    assert summary.chunks_computed == 7  # the Arrow chunks cannot be byte-copied: recomputed
    assert_same(read_events(out), ref)
