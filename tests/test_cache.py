"""The on-disk table cache :mod:`na64.cache` and its use by the dark-bremsstrahlung generator.

Every entry is verified on reading (checksum, then the stored key): damaged, foreign or
mismatched entries are recomputed, never used; concurrent processes share a cache safely;
an unusable directory degrades to computing without storing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hepunits import GeV, MeV

import na64.cache as cache
from na64.cache import cache_dir, cache_info, cached_arrays, clear_cache, entry_path

CliRunner = Callable[[list[str]], tuple[int, str, str]]  # the ``cli`` fixture (conftest.py)

KIND = "test-table"


def _arrays(seed: float, n: int = 1000) -> dict[str, np.ndarray]:
    """Deterministic arrays of several dtypes, layouts and special values."""
    x = np.linspace(0.0, 1.0, n) * seed
    special = np.array([np.nan, -0.0, np.inf, -np.inf, 5e-324, np.finfo(float).max, 0.1])
    return {
        "x": np.sin(x) / (1.0 + x**2),
        "special": special,
        "fortran": np.asfortranarray(np.outer(x[:7], x[:5])),
        "single": x.astype(np.float32),
        "counts": np.arange(n, dtype=np.int64) * int(seed),
        "flags": x > 0.5 * seed,
        "scalar": np.array(seed),
    }


def _assert_bit_identical(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert sorted(got) == sorted(want)
    for name, w in want.items():
        g = got[name]
        assert g.dtype == w.dtype, name
        assert g.shape == w.shape, name
        assert np.ascontiguousarray(g).tobytes() == np.ascontiguousarray(w).tobytes(), name


class Counter:
    """A compute function that counts its calls."""

    def __init__(self, seed: float = 3.0) -> None:
        self.seed = seed
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return _arrays(self.seed)


@pytest.fixture
def cache_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache for one test; returns its entry directory."""
    monkeypatch.setenv("NA64_CACHE", str(tmp_path))
    directory = cache_dir()
    assert directory is not None
    return directory


def _key(value: float = 0.1) -> dict[str, Any]:
    return {"mass": value, "target": "Pb", "n": 3, "grid": [1.0, 2.5], "flag": True}


# ---------------------------------------------------------------------------- hits
def test_miss_then_hit_is_bit_identical(cache_path: Path) -> None:
    compute = Counter()
    first = cached_arrays(KIND, _key(), compute)
    assert compute.calls == 1
    _assert_bit_identical(first, _arrays(3.0))
    path = entry_path(KIND, _key())
    assert path is not None
    assert path.parent == cache_path
    assert path.is_file()
    assert path.name.startswith(f"{KIND}-")
    assert path.suffix == ".npz"

    second = cached_arrays(KIND, _key(), compute)
    assert compute.calls == 1  # read, not computed
    _assert_bit_identical(second, first)
    assert second["fortran"].flags.f_contiguous
    # the entry is a plain .npz as well
    with np.load(path, allow_pickle=False) as npz:
        np.testing.assert_array_equal(npz["x"], first["x"])


def test_every_input_of_the_key_counts(cache_path: Path) -> None:
    compute = Counter()
    cached_arrays(KIND, _key(0.1), compute)
    # floats are exact: the next float is another key
    cached_arrays(KIND, _key(float(np.nextafter(0.1, 1.0))), compute)
    cached_arrays(KIND, {**_key(), "target": "W"}, compute)
    cached_arrays(KIND, _key(), compute, schema=2)
    cached_arrays("other-kind", _key(), compute)
    assert compute.calls == 5
    assert cache_info()["entries"] == 5
    cached_arrays(KIND, {**_key(), "mass": np.float64(0.1)}, compute)  # numpy scalars: same key
    assert compute.calls == 5


def test_key_text_writes_floats_exactly(cache_path: Path) -> None:
    path = entry_path(KIND, {"e": 0.1 + 0.2})
    cached_arrays(KIND, {"e": 0.1 + 0.2}, Counter())
    assert path is not None
    with np.load(path, allow_pickle=False) as npz:
        stored = json.loads(npz["__na64_cache_key__"].tobytes().decode())
    assert stored["key"] == {"e": 0.30000000000000004}
    assert stored["environment"]["na64"] == cache.__version__
    assert set(stored["environment"]) >= {"na64", "source", "numpy", "python"}


def test_bad_keys_and_kinds_are_programming_errors(cache_path: Path) -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        cached_arrays(KIND, {"x": object()}, Counter())
    with pytest.raises(TypeError, match="must be str"):
        cached_arrays(KIND, {1: 2}, Counter())  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="cache kind"):
        cached_arrays("Bad Kind/..", {}, Counter())


def test_arrays_that_cannot_be_stored_are_returned_uncached(cache_path: Path) -> None:
    compute = Counter()
    def objects() -> dict[str, np.ndarray]:
        compute.calls += 1
        return {"o": np.array([None, 1], dtype=object)}

    for _ in range(2):
        out = cached_arrays(KIND, _key(), objects)
        assert out["o"][1] == 1
    assert compute.calls == 2
    assert cache_info()["entries"] == 0


# ---------------------------------------------------------------------------- damage
def _recomputed(caplog: pytest.LogCaptureFixture, reason: str) -> None:
    """Reading the entry of ``_key()`` recomputes it (and says why); it is valid after."""
    compute = Counter()
    with caplog.at_level(logging.WARNING, logger="na64.cache"):
        out = cached_arrays(KIND, _key(), compute)
    assert compute.calls == 1
    _assert_bit_identical(out, _arrays(3.0))
    messages = [r.getMessage() for r in caplog.records]
    assert any("discarding" in m and reason in m for m in messages), messages
    # the recomputed entry replaced the damaged one and is read back
    again = cached_arrays(KIND, _key(), compute)
    assert compute.calls == 1
    _assert_bit_identical(again, _arrays(3.0))


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", [0, 10, 40, 0.5, -100, -70, -64, -1])
def test_a_flipped_byte_is_detected(cache_path: Path, caplog: pytest.LogCaptureFixture,
                                    where: float) -> None:
    cached_arrays(KIND, _key(), Counter())
    path = entry_path(KIND, _key())
    assert path is not None
    size = path.stat().st_size
    position = int(where * size) if isinstance(where, float) else where % size
    _flip(path, position)
    _recomputed(caplog, "")


def test_every_single_flipped_byte_is_detected(cache_path: Path) -> None:
    cached_arrays(KIND, {"small": 1}, lambda: {"a": np.arange(3.0)})
    path = entry_path(KIND, {"small": 1})
    assert path is not None
    good = path.read_bytes()
    text = cache._key_text(KIND, {"small": 1}, 1)
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 0x20
        with pytest.raises(cache._Corrupt):
            cache._decode(bytes(bad), text)
    assert cache._decode(good, text)["a"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("keep", [0, 1, 21, 0.5, -1])
def test_a_truncated_entry_is_detected(cache_path: Path, caplog: pytest.LogCaptureFixture,
                                       keep: float) -> None:
    cached_arrays(KIND, _key(), Counter())
    path = entry_path(KIND, _key())
    assert path is not None
    data = path.read_bytes()
    n = int(keep * len(data)) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:n])
    _recomputed(caplog, "")


@pytest.mark.parametrize("content", ["text", "npz", "empty"])
def test_a_foreign_file_is_detected(cache_path: Path, caplog: pytest.LogCaptureFixture,
                                    content: str) -> None:
    path = entry_path(KIND, _key())
    assert path is not None
    cache_path.mkdir(parents=True)
    if content == "npz":  # a valid archive with the right arrays, but not a cache entry
        np.savez(path, **_arrays(3.0))
        assert path.exists()
    elif content == "text":
        path.write_text("not a cache entry\n" * 50)
    else:
        path.write_bytes(b"")
    _recomputed(caplog, "not an na64 cache entry" if content != "empty" else "truncated")


def _move_entry(kind_key_schema: tuple[str, dict[str, Any], int], onto: Path) -> None:
    kind, key, schema = kind_key_schema
    source = entry_path(kind, key, schema=schema)
    assert source is not None
    assert source.is_file()
    assert source != onto
    shutil.copyfile(source, onto)


def test_another_na64_version_is_detected(cache_path: Path, caplog: pytest.LogCaptureFixture,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(cache, "_environment", {**cache.environment(), "na64": "0.0.1"})
        cached_arrays(KIND, _key(), lambda: _arrays(7.0))  # what 0.0.1 would have stored
        old = entry_path(KIND, _key())
    target = entry_path(KIND, _key())
    assert old is not None
    assert target is not None
    assert old != target  # the version is part of the name
    shutil.copyfile(old, target)  # as if it were stored under the current name
    _recomputed(caplog, "environment.na64")


def test_another_source_is_detected(cache_path: Path, caplog: pytest.LogCaptureFixture,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(cache, "_environment", {**cache.environment(), "source": "0" * 64})
        cached_arrays(KIND, _key(), lambda: _arrays(7.0))
        old = entry_path(KIND, _key())
    target = entry_path(KIND, _key())
    assert old is not None
    assert target is not None
    shutil.copyfile(old, target)
    _recomputed(caplog, "environment.source")


def test_another_schema_version_is_detected(cache_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    cached_arrays(KIND, _key(), lambda: _arrays(7.0), schema=2)
    target = entry_path(KIND, _key())
    assert target is not None
    _move_entry((KIND, _key(), 2), target)
    _recomputed(caplog, "schema")


def test_another_key_under_the_name_is_detected(cache_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    # a hash collision: the entry of another key stored under this key's name
    cached_arrays(KIND, _key(0.2), lambda: _arrays(7.0))
    target = entry_path(KIND, _key())
    assert target is not None
    _move_entry((KIND, _key(0.2), 1), target)
    _recomputed(caplog, "key")


def test_an_unreadable_entry_is_a_miss(cache_path: Path) -> None:
    path = entry_path(KIND, _key())
    assert path is not None
    path.mkdir(parents=True)  # a directory where the entry should be: neither read nor stored
    compute = Counter()
    out = cached_arrays(KIND, _key(), compute)
    _assert_bit_identical(out, _arrays(3.0))
    assert compute.calls == 1


# ---------------------------------------------------------------------------- processes
_CONCURRENT_SEEDS = (1.0, 2.0, 3.0, 4.0)


def _big(seed: float) -> dict[str, np.ndarray]:
    """A table of ~2 MB, so that writes of concurrent processes overlap."""
    time.sleep(0.02)
    return {"a": np.cos(np.linspace(0.0, seed, 250_000)), "b": np.arange(1000) * seed}


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return h.hexdigest()


def _worker(worker: int, rounds: int) -> tuple[int, list[str]]:
    """Read and write the shared entries; returns (checks, problems)."""
    rng = np.random.default_rng(worker)
    problems: list[str] = []
    checks = 0
    for r in range(rounds):
        for seed in rng.permutation(_CONCURRENT_SEEDS):
            got = cached_arrays("concurrent", {"seed": float(seed)}, lambda s=seed: _big(s))
            checks += 1
            if _digest(got) != _digest(_big(float(seed))):
                problems.append(f"worker {worker} round {r} seed {seed}: wrong arrays")
        if worker % 2 and r % 3 == 0:  # some workers also remove entries under the others
            path = entry_path("concurrent", {"seed": float(_CONCURRENT_SEEDS[r % 4])})
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    return checks, problems


@pytest.mark.slow
def test_concurrent_processes_share_one_cache(cache_path: Path) -> None:
    n_workers, rounds = 4, 6
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(n_workers) as pool:
        results = pool.starmap(_worker, [(w, rounds) for w in range(n_workers)])
    assert sum(c for c, _ in results) == n_workers * rounds * len(_CONCURRENT_SEEDS)
    assert [p for _, ps in results for p in ps] == []
    # afterwards: only whole, valid entries and no temporary files
    leftovers = [p.name for p in cache_path.iterdir() if not p.name.endswith(".npz")]
    assert leftovers == []

    def fail() -> dict[str, np.ndarray]:
        raise AssertionError("a stored entry was not valid")

    for seed in _CONCURRENT_SEEDS:
        path = entry_path("concurrent", {"seed": seed})
        assert path is not None
        if path.exists():
            got = cached_arrays("concurrent", {"seed": seed}, fail)
            assert _digest(got) == _digest(_big(seed))
    assert cache_info()["entries"] <= len(_CONCURRENT_SEEDS)


# ---------------------------------------------------------------------------- degraded
def test_an_unwritable_directory_computes_and_warns_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a regular file, so nothing can be created under it (even as root)")
    monkeypatch.setenv("NA64_CACHE", str(blocker / "cache"))
    compute = Counter()
    with caplog.at_level(logging.WARNING, logger="na64.cache"):
        for _ in range(3):
            out = cached_arrays(KIND, _key(), compute)
            _assert_bit_identical(out, _arrays(3.0))
        cached_arrays(KIND, _key(0.3), compute)
    assert compute.calls == 4
    warnings = [r for r in caplog.records if r.name == "na64.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "computed but not stored" in warnings[0].getMessage()
    assert blocker.read_text().startswith("a regular file")
    assert cache_info()["entries"] == 0
    assert clear_cache() == 0


@pytest.mark.parametrize("value", ["off", "OFF", "", "  "])
def test_disabled_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       value: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NA64_CACHE", value)
    compute = Counter()
    for _ in range(2):
        _assert_bit_identical(cached_arrays(KIND, _key(), compute), _arrays(3.0))
    assert compute.calls == 2
    assert cache_dir() is None
    assert entry_path(KIND, _key()) is None
    assert list(tmp_path.iterdir()) == []
    info = cache_info()
    assert info["enabled"] is False
    assert info["directory"] is None
    assert info["entries"] == 0
    assert clear_cache() == 0


def test_default_location_is_the_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("NA64_CACHE")
    expected = Path(platformdirs.user_cache_dir("na64")) / f"tables-v{cache.FORMAT_VERSION}"
    assert cache_dir() == expected


# ---------------------------------------------------------------------------- maintenance
def test_info_and_clear(cache_path: Path) -> None:
    cached_arrays(KIND, _key(0.1), Counter())
    cached_arrays(KIND, _key(0.2), Counter())
    cached_arrays("other-kind", _key(), Counter())
    foreign = cache_path / "notes.txt"
    foreign.write_text("not ours")
    stale = cache_path / f".{KIND}-{'0' * 64}.npz.abc123.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = cache_path / f".{KIND}-{'1' * 64}.npz.def456.tmp"
    fresh.write_bytes(b"being written")

    info = cache_info()
    assert info["directory"] == str(cache_path)
    assert info["enabled"] is True
    assert info["entries"] == 3
    assert info["kinds"] == {"other-kind": 1, KIND: 2}
    assert info["bytes"] == sum(p.stat().st_size for p in cache_path.glob("*.npz"))

    assert clear_cache() == 3
    assert cache_info()["entries"] == 0
    assert cache_info()["bytes"] == 0
    assert foreign.exists()
    assert fresh.exists()
    assert not stale.exists()
    assert clear_cache() == 0


def test_cli_info_and_clear(cache_path: Path, cli: CliRunner) -> None:
    cached_arrays(KIND, _key(0.1), Counter())
    cached_arrays(KIND, _key(0.2), Counter())
    code, out, err = cli(["cache", "info"])
    assert code == 0, err
    assert str(cache_path) in out
    assert "entries:   2" in out
    assert "kB" in out
    assert f"{KIND}: 2" in out

    code, out, err = cli(["cache", "info", "--json"])
    assert code == 0, err
    data = json.loads(out)
    assert data["directory"] == str(cache_path)
    assert data["entries"] == 2
    assert data["bytes"] > 0

    code, out, err = cli(["cache", "clear"])
    assert code == 0, err
    assert out.strip() == f"removed 2 entries from {cache_path}"
    code, out, _ = cli(["cache", "info", "--json"])
    assert json.loads(out)["entries"] == 0


def test_cli_with_the_cache_disabled(monkeypatch: pytest.MonkeyPatch, cli: CliRunner) -> None:
    monkeypatch.setenv("NA64_CACHE", "off")
    code, out, _ = cli(["cache", "info"])
    assert code == 0
    assert "disabled" in out
    code, out, _ = cli(["cache", "clear"])
    assert code == 0
    assert "nothing removed" in out
    code, out, _ = cli(["cache", "info", "--json"])
    assert json.loads(out)["enabled"] is False


def test_cli_cache_without_a_subcommand(cli: CliRunner) -> None:
    code, _, err = cli(["cache"])
    assert code == 2
    assert "info" in err
    assert "clear" in err


# ---------------------------------------------------------------------------- generator
def _generator_tables(mass: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    from na64.generate import DarkBremSignal

    gen = DarkBremSignal(mass, energy=100 * GeV, n_showers=100)
    grid, sigma = gen._sigma_table(gen.threshold)
    return {"grid": grid, "sigma": sigma}, gen._tables(gen.threshold)


@pytest.mark.slow
def test_dark_brem_tables_from_the_cache_are_bit_identical(
        cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from na64.generate import DarkBremSignal, PhysicsCrossSection

    mass = 20 * MeV
    cold = _generator_tables(mass)
    assert cache_info()["kinds"] == {"dark-brem-sigma": 1, "dark-brem-tables": 1}

    def no_physics(*args: Any, **kwargs: Any) -> np.ndarray:
        raise AssertionError("a cached table was recomputed")

    with monkeypatch.context() as m:  # a new generator reads both tables from disk
        m.setattr(PhysicsCrossSection, "dsigma_dx", no_physics)
        m.setattr(PhysicsCrossSection, "dsigma_dx_dcos", no_physics)
        warm = _generator_tables(mass)
    with monkeypatch.context() as m:
        m.setenv("NA64_CACHE", "off")
        uncached = _generator_tables(mass)
    for a, b, c in zip(cold, warm, uncached, strict=True):
        _assert_bit_identical(a, c)
        _assert_bit_identical(b, c)

    # the events of a generator with cached tables are those of an uncached one
    def events(env: str) -> dict[str, np.ndarray]:
        with monkeypatch.context() as m:
            m.setenv("NA64_CACHE", env)
            gen = DarkBremSignal(mass, energy=100 * GeV, n_showers=100)
            return gen.sample(2000, np.random.default_rng(5))

    _assert_bit_identical(events(str(cache_path.parent)), events("off"))

    # another mass, energy or x_max is another entry
    from na64.generate.dark_brem import DarkBremSignal as Gen

    keys = {json.dumps(Gen(m_, energy=e, x_max=x)._table_key(2 * GeV), sort_keys=True)
            for m_, e, x in [(mass, 100 * GeV, "kinematic"), (mass * 1.001, 100 * GeV, "kinematic"),
                             (mass, 80 * GeV, "kinematic"), (mass, 100 * GeV, "1-m/E")]}
    assert len(keys) == 4


def test_a_custom_cross_section_is_not_cached(cache_path: Path) -> None:
    from na64.generate import DarkBremSignal, PhysicsCrossSection

    class Custom(PhysicsCrossSection):
        pass

    gen = DarkBremSignal(20 * MeV, energy=100 * GeV, n_showers=100,
                         cross_section=Custom(20 * MeV, "Pb"))
    assert gen._table_key(gen.threshold) is None
    gen._sigma_table(gen.threshold)
    assert cache_info()["entries"] == 0


@pytest.mark.slow
def test_event_cross_sections_from_the_cache_are_bit_identical(
        cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The per-event dsigma/dx of a sample is kept under the hash of its (x, E) points: the
    # same seed gives the same events without evaluating the cross section again, and
    # those events equal the uncached ones bit for bit; another seed is another entry.
    from na64.generate import DarkBremSignal, PhysicsCrossSection

    def sample(seed: int) -> dict[str, np.ndarray]:
        gen = DarkBremSignal(50 * MeV, energy=100 * GeV, n_showers=100)
        return gen.sample(500, np.random.default_rng(seed))

    first = sample(7)
    assert cache_info()["kinds"]["dark-brem-event-dsigma"] == 1

    def no_physics(*args: Any, **kwargs: Any) -> np.ndarray:
        raise AssertionError("a cached cross section was recomputed")

    with monkeypatch.context() as m:
        m.setattr(PhysicsCrossSection, "dsigma_dx", no_physics)
        m.setattr(PhysicsCrossSection, "dsigma_dx_dcos", no_physics)
        again = sample(7)
    with monkeypatch.context() as m:
        m.setenv("NA64_CACHE", "off")
        uncached = sample(7)
    _assert_bit_identical(first, uncached)
    _assert_bit_identical(again, uncached)
    sample(8)
    assert cache_info()["kinds"]["dark-brem-event-dsigma"] == 2
