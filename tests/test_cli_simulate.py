"""``na64 simulate`` end to end, on the real fast detector simulation.

Reproducibility is checked on real outputs: the file equals the concatenation of
``simulate_events(setup, n_i, Generator(PCG64(SeedSequence(seed).spawn(k)[i])))`` over the
chunks, rounded to the storage precision, whatever the executor and the number of workers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from na64.cli import main
from na64.detector import load_setup
from na64.io.events import read_events, read_provenance
from na64.io.precision import STORAGE_PRECISIONS, StoragePrecision, apply_precision
from na64.pipeline import simulate_events
from na64.run import chunk_dir_for, plan_chunks
from na64.run.manifest import Manifest

SETUP = "na64e_2016_2018"


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def simulate(out: Path, *extra: str, events: int = 300, seed: int = 3, chunk: int = 100) -> dict:
    code, stdout, err = run_cli(["simulate", "--setup", SETUP, "--events", str(events),
                                 "--seed", str(seed), "--chunk-size", str(chunk),
                                 "--out", str(out), "--quiet", "--json", *extra])
    assert code == 0, err
    return dict(json.loads(stdout))


def direct(n: int, seed: int, chunk: int,
           precision: StoragePrecision = STORAGE_PRECISIONS["reduced"]) -> dict[str, np.ndarray]:
    """Independent reference: spawn the children explicitly, simulate each chunk, round it to
    the storage precision (``na64 simulate``'s default: reduced), concatenate."""
    setup = load_setup(SETUP)
    specs = plan_chunks(n, chunk)
    children = np.random.SeedSequence(seed).spawn(len(specs))
    parts = [apply_precision(simulate_events(setup, s.n_events,
                                             np.random.Generator(np.random.PCG64(c))), precision)
             for s, c in zip(specs, children, strict=True)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].shape == b[k].shape, k
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_output_equals_direct_simulation_and_carries_provenance(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    summary = simulate(out, "--executor", "local")
    assert summary["n_events"] == 300
    assert summary["n_chunks"] == 3
    events = read_events(out)
    assert_same(events, direct(300, 3, 100))
    assert any(v.ndim > 1 for v in events.values())  # calorimeter cell arrays keep their shape
    prov = read_provenance(out)
    shipped = (resources.files("na64.data") / "setups" / f"{SETUP}.toml").read_text("utf-8")
    assert prov["setup_toml"] == shipped
    assert prov["setup_name"] == SETUP
    assert (prov["seed"], prov["n_events"], prov["chunk_size"]) == (3, 300, 100)
    assert prov["command_line"][:2] == ["na64", "simulate"]
    assert "--seed" in prov["command_line"]
    # every option with its value, defaults included (the command line omits defaults)
    opts = prov["options"]
    assert (opts["setup"], opts["executor"], opts["seed"]) == (SETUP, "local", "3")
    assert "resume" in opts
    assert opts["resume"] is False
    assert prov["na64_version"]
    assert prov["created_utc"].endswith("+00:00")


def test_identical_for_one_and_two_workers_and_root(tmp_path: Path) -> None:
    simulate(tmp_path / "one.parquet", "--executor", "processes", "--workers", "1")
    simulate(tmp_path / "two.root", "--executor", "processes", "--workers", "2")
    assert_same(read_events(tmp_path / "one.parquet"), read_events(tmp_path / "two.root"))
    assert read_provenance(tmp_path / "two.root")["setup_name"] == SETUP


def test_beam_options_override_the_setup(tmp_path: Path) -> None:
    simulate(tmp_path / "mu.parquet", "--executor", "local", "--beam", "mu-",
             "--energy", "160GeV", events=50, chunk=50)
    prov = read_provenance(tmp_path / "mu.parquet")
    assert prov["beam_particle"] == "mu-"
    assert prov["beam_energy_MeV"] == pytest.approx(160_000.0)


def test_progress_and_log_on_stderr_unless_quiet(tmp_path: Path) -> None:
    code, stdout, err = run_cli(["simulate", "--setup", SETUP, "--events", "200", "--chunk-size",
                                 "100", "--executor", "local", "--out", str(tmp_path / "a.parquet")])
    assert code == 0
    assert stdout == ""
    assert "wrote 200 events" in err
    assert "simulate" in err  # the progress bar's label


def test_compression_option_changes_the_bytes_not_the_events(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    sizes = {}
    for codec in ("none", "lz4", "zstd"):
        out = tmp_path / f"{codec}.parquet"
        simulate(out, "--executor", "local", "--compression", codec.upper(), events=200)
        md = pq.ParquetFile(out).metadata
        want = {"none": "UNCOMPRESSED", "lz4": "LZ4", "zstd": "ZSTD"}[codec]
        assert {md.row_group(i).column(j).compression for i in range(md.num_row_groups)
                for j in range(md.num_columns)} == {want}
        assert read_provenance(out)["options"]["compression"] == codec.upper()
        sizes[codec] = out.stat().st_size
    simulate(tmp_path / "default.parquet", "--executor", "local", events=200)
    md = pq.ParquetFile(tmp_path / "default.parquet").metadata
    assert md.row_group(0).column(0).compression == "ZSTD"
    assert read_provenance(tmp_path / "default.parquet")["options"]["compression"] is None
    assert sizes["zstd"] < sizes["lz4"] < sizes["none"]
    ref = direct(200, 3, 100)
    for codec in sizes:
        assert_same(read_events(tmp_path / f"{codec}.parquet"), ref)


def test_compression_of_a_root_file_is_refused(tmp_path: Path) -> None:
    code, stdout, err = run_cli(["simulate", "--setup", SETUP, "--events", "10", "--executor",
                                 "local", "--out", str(tmp_path / "x.root"), "--compression",
                                 "zstd"])
    assert (code, stdout) == (2, "")
    assert err == ("na64: error: --compression: applies to Parquet output; a ROOT file is "
                   "compressed by uproot\n")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_then_resume_equals_uninterrupted_run(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    n, chunk = 3_000, 15  # 200 chunks: the run is still going when interrupted
    args = [sys.executable, "-m", "na64", "simulate", "--setup", SETUP, "--events", str(n),
            "--seed", "5", "--chunk-size", str(chunk), "--executor", "local", "--out", str(out),
            "--quiet"]
    proc = subprocess.Popen(args, start_new_session=True, stderr=subprocess.PIPE, text=True)
    manifest = chunk_dir_for(out) / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists():
            with contextlib.suppress(ValueError):
                if any(c["status"] != "pending" for c in json.loads(manifest.read_text())["chunks"]):
                    break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun with --resume" in err.replace("\n", " ").replace("  ", " "), err
    assert not out.exists()
    done = Manifest.load(chunk_dir_for(out)).n_done
    assert 1 <= done < n // chunk
    summary = simulate(out, "--executor", "local", "--resume", events=n, seed=5, chunk=chunk)
    assert summary["chunks_reused"] == done
    assert_same(read_events(out), read_events_fresh(tmp_path, n, 5, chunk))


def read_events_fresh(tmp_path: Path, n: int, seed: int, chunk: int) -> dict[str, np.ndarray]:
    ref = tmp_path / "reference.parquet"
    simulate(ref, "--executor", "processes", "--workers", "2", events=n, seed=seed, chunk=chunk)
    return read_events(ref)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--events", "0"], "--events"),
        (["--events", "1.5"], "--events"),
        (["--seed", "-1"], "--seed"),
        (["--energy", "10mm"], "--energy"),
        (["--beam", "photon"], "--beam"),
        (["--energy", "0.1MeV"], "--energy"),
        (["--setup", "nope"], "--setup"),
        (["--format", "csv"], "--format"),
        (["--executor", "slurm"], "--executor"),
        (["--workers", "0", "--executor", "processes"], "--workers"),
        (["--resume", "--overwrite"], "--resume"),
        (["--compression", "bz2"], "--compression"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], field: str) -> None:
    base = {"--setup": SETUP, "--events": "10", "--executor": "local"}
    for i in range(0, len(args), 2):
        if i + 1 < len(args) and not args[i + 1].startswith("--"):
            base[args[i]] = args[i + 1]
    flags = [a for i, a in enumerate(args) if a.startswith("--") and
             (i + 1 >= len(args) or args[i + 1].startswith("--"))]
    argv = ["simulate", "--out", str(tmp_path / "x.parquet")]
    for k, v in base.items():
        argv += [k, v]
    code, stdout, err = run_cli(argv + flags)
    assert code == 2
    assert stdout == ""
    assert err.startswith(f"na64: error: {field}")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_precision_option_full_keeps_every_bit_and_is_recorded(tmp_path: Path) -> None:
    simulate(tmp_path / "full.parquet", "--executor", "local", "--precision", "full", events=200)
    simulate(tmp_path / "reduced.parquet", "--executor", "local", events=200)
    assert_same(read_events(tmp_path / "full.parquet"),
                direct(200, 3, 100, STORAGE_PRECISIONS["full"]))
    assert_same(read_events(tmp_path / "reduced.parquet"), direct(200, 3, 100))
    assert read_provenance(tmp_path / "full.parquet")["storage_precision"]["name"] == "full"
    assert read_provenance(tmp_path / "reduced.parquet")["storage_precision"]["name"] == "reduced"
    assert ((tmp_path / "reduced.parquet").stat().st_size
            < 0.8 * (tmp_path / "full.parquet").stat().st_size)
    code, stdout, err = run_cli(["simulate", "--events", "10", "--out",
                                 str(tmp_path / "x.parquet"), "--precision", "half"])
    assert (code, stdout) == (2, "")
    assert err == "na64: error: --precision: must be full or reduced, got 'half'\n"
