"""Reusable samples of a reach job: simulate once, select and compute limits many times.

``na64 reach invisible --keep-samples DIR`` keeps what the expensive part of the job made
(:func:`run_keeping_samples`); ``--from-samples DIR`` re-runs the selection and the
statistics on it (:func:`run_from_samples`).  The directory holds

* ``signal/mass_NNN.parquet``: per mass, the simulated and reconstructed signal events
  (:meth:`na64.reach.Search.simulate_signal`) with their weights (``sample_weight``, per
  EOT at unit coupling), the truth the selection step needs (``sample_from_primary``,
  ``sample_is_annihilation``) and the α_D alternatives of the annihilation weights
  (``sample_alpha_d_K``, α_D values in the manifest);
* ``background/SOURCE_K.parquet``: per background source, the events of its K-th call of
  the event pipeline.  The source itself runs again on them with the new selection and
  recomputes its normalisation (population, weights) from the beam model, so every source
  is estimated exactly as in a full run;
* ``manifest.json``: format, na64 version, analysis, seed, masses, events per mass, the
  checksums of the analysis and of the setup, per file its SHA-256, per background call
  the fingerprint of its inputs and the random-generator state after it.

Validity.  A sample stands for what a full run with the same inputs would simulate:

* the setup, beam, energy, signal settings (model, processes, method, α_D, …), the
  background sources and sample sizes, the masses and the seed must be those of the
  samples, or the run is refused (:func:`check_compatible`);
* the signal generator starts at the lowest A' energy that can reach the signal box
  (:meth:`na64.reach.Search.e_min`, set by ``selection.ecal_max``): an ``ecal_max`` above
  the one the samples were made with needs events that were never generated and is
  refused; a lower one uses the events as they are (the efficiency column is then relative
  to the production above the samples' ``e_min``);
* a background call whose inputs depend on a changed cut (e.g. the interaction range of
  ``upstream_electronuclear`` follows the box edge) is recognised by its input fingerprint
  and simulated again, from the same random state; the stored state after the call is
  restored, so the other calls still match.  The job's warnings say which were simulated.

With the seed and cuts of the samples, the result equals the full run's bit for bit
(``tests/test_reach_samples.py``).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..background import (
    MISSING_ENERGY_NOTES,
    BackgroundContext,
    BackgroundEstimate,
    BackgroundSource,
)
from ..background.registry import estimate_background
from ..errors import InputError
from ..io.atomic import atomic_directory, atomic_write_text, exclusive_lock, prepare_directory
from ..units import GeV, MeV
from .config import AnalysisConfig, RunConfig
from .invisible import ReachResult, run_invisible
from .search import Search, SignalPoint, SignalSample
from .settings import analysis_table

__all__ = ["MANIFEST", "SAMPLES_FORMAT", "SampleSet", "check_compatible", "load_samples",
           "reserve_samples", "run_from_samples", "run_keeping_samples", "write_samples"]

log = logging.getLogger(__name__)

#: Version of the directory layout.
SAMPLES_FORMAT = 1
#: The manifest's name; it marks a directory as samples.
MANIFEST = "manifest.json"
_WHAT = "na64 samples"
_FIELD = "--from-samples"

Columns = dict[str, np.ndarray]


def _owned(name: str) -> bool:
    return name in (MANIFEST, "signal", "background")


# ----------------------------------------------------------------------- fingerprints
def _hash_columns(h: Any, columns: Mapping[str, Any]) -> None:
    for key in sorted(columns):
        arr = np.ascontiguousarray(np.asarray(columns[key]))
        h.update(f"{key}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())


def _fingerprint(particles: Mapping[str, Any], rng: np.random.Generator,
                 calorimeter: Mapping[str, Any] | None, keep_raw: bool) -> str:
    """SHA-256 of what a pipeline call's output depends on: its inputs and the random
    generator's state."""
    h = hashlib.sha256()
    _hash_columns(h, particles)
    h.update(b"|calorimeter|")
    if calorimeter is not None:
        _hash_columns(h, calorimeter)
    h.update(f"|{keep_raw}|".encode())
    h.update(json.dumps(rng.bit_generator.state, sort_keys=True).encode())
    return h.hexdigest()


@dataclasses.dataclass
class PipelineCall:
    """One recorded call of :meth:`na64.pipeline.EventPipeline.events` by a background
    source: input fingerprint, output events, generator state after the call."""

    source: str
    fingerprint: str
    events: Columns
    state_after: dict[str, Any]


class _PipelineProxy:
    """The event pipeline of a search seen by its background sources (every other attribute
    is the pipeline's own)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.source = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class RecordingPipeline(_PipelineProxy):
    """Runs the pipeline and records each :meth:`events` call."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.calls: list[PipelineCall] = []

    def events(self, particles: Mapping[str, Any], rng: np.random.Generator, *,
               calorimeter: Mapping[str, Any] | None = None, keep_raw: bool = False
               ) -> Columns:
        fp = _fingerprint(particles, rng, calorimeter, keep_raw)
        ev: Columns = self._inner.events(particles, rng, calorimeter=calorimeter,
                                         keep_raw=keep_raw)
        self.calls.append(PipelineCall(self.source, fp, {k: np.asarray(v).copy()
                                                         for k, v in ev.items()},
                                       dict(copy.deepcopy(rng.bit_generator.state))))
        return ev


class ReplayPipeline(_PipelineProxy):
    """Returns the recorded events of a call whose inputs and generator state match; runs
    the pipeline for one that does not (then restores the recorded state after it)."""

    def __init__(self, inner: Any, calls: Sequence[PipelineCall]) -> None:
        super().__init__(inner)
        self._calls: dict[str, list[PipelineCall]] = {}
        for c in calls:
            self._calls.setdefault(c.source, []).append(c)
        self._next: dict[str, int] = {}
        self.simulated: list[str] = []

    def events(self, particles: Mapping[str, Any], rng: np.random.Generator, *,
               calorimeter: Mapping[str, Any] | None = None, keep_raw: bool = False
               ) -> Columns:
        i = self._next.get(self.source, 0)
        self._next[self.source] = i + 1
        recorded = self._calls.get(self.source, [])
        call = recorded[i] if i < len(recorded) else None
        if call is not None and call.fingerprint == _fingerprint(particles, rng, calorimeter,
                                                                  keep_raw):
            rng.bit_generator.state = copy.deepcopy(call.state_after)
            return {k: v.copy() for k, v in call.events.items()}
        ev: Columns = self._inner.events(particles, rng, calorimeter=calorimeter,
                                         keep_raw=keep_raw)
        self.simulated.append(self.source)
        if call is not None:
            rng.bit_generator.state = copy.deepcopy(call.state_after)
        return ev


def _background_by_source(search: Search, pipeline: _PipelineProxy, rng: np.random.Generator,
                          n_events: int | None) -> BackgroundEstimate:
    """:meth:`Search.background` with the pipeline ``pipeline``, one source at a time (the
    same generator, in the same order: the estimate :func:`estimate_background` gives)."""
    bkg = search.config.background
    ctx = BackgroundContext(pipeline, search.selection)  # type: ignore[arg-type]
    found: list[BackgroundSource] = []
    notes = list(MISSING_ENERGY_NOTES)
    for name in bkg.sources:
        pipeline.source = name
        est = estimate_background(ctx, rng, sources=[name], n_events=n_events or bkg.events)
        found += est.sources
        notes += est.notes
    return BackgroundEstimate(tuple(found), tuple(notes))


# ----------------------------------------------------------------------- searches
@dataclasses.dataclass(frozen=True)
class _KeptPoint(SignalPoint):
    """A signal point with the sample it was selected from (returned by the workers)."""

    sample: SignalSample | None = None


def _plain(point: SignalPoint) -> SignalPoint:
    return SignalPoint(**{f.name: getattr(point, f.name)
                          for f in dataclasses.fields(SignalPoint)})


class RecordingSearch(Search):
    """A :class:`Search` that keeps its signal samples and background pipeline calls."""

    def __init__(self, config: AnalysisConfig) -> None:
        super().__init__(config)
        self.recorder = RecordingPipeline(self.pipeline)

    def signal_point(self, mass: float, rng: np.random.Generator, *,
                     n_events: int | None = None) -> SignalPoint:
        sample = self.simulate_signal(mass, rng, n_events=n_events)
        point = self.select_signal(sample)
        return _KeptPoint(**{f.name: getattr(point, f.name)
                             for f in dataclasses.fields(SignalPoint)}, sample=sample)

    def background(self, rng: np.random.Generator, *, n_events: int | None = None
                   ) -> BackgroundEstimate:
        return _background_by_source(self, self.recorder, rng, n_events)


class SampleSearch(Search):
    """A :class:`Search` whose signal and background events come from kept samples."""

    def __init__(self, config: AnalysisConfig, samples: SampleSet) -> None:
        super().__init__(config)
        self.samples = samples
        self.replay = ReplayPipeline(self.pipeline, samples.calls)

    def signal_point(self, mass: float, rng: np.random.Generator, *,
                     n_events: int | None = None) -> SignalPoint:
        return self.select_signal(self.samples.signal(mass))

    def background(self, rng: np.random.Generator, *, n_events: int | None = None
                   ) -> BackgroundEstimate:
        return _background_by_source(self, self.replay, rng, n_events)


# ----------------------------------------------------------------------- files
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _checksum(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _inputs(config: AnalysisConfig, search: Search) -> dict[str, Any]:
    """What the samples depend on (compared by :func:`check_compatible`)."""
    table = analysis_table(config)
    signal = {k: v for k, v in table["signal"].items() if k != "yield_rel_uncertainty"}
    return {"setup": config.setup, "beam": config.beam, "energy_MeV": config.energy,
            "signal": signal, "background": table["background"],
            "setup_sha256": _checksum(search.setup.model_dump(mode="json"))}


def _signal_columns(sample: SignalSample, alphas: Sequence[float]) -> Columns:
    cols = {k: np.asarray(v) for k, v in sample.events.items()}
    cols["sample_weight"] = np.asarray(sample.weights, dtype=float)
    cols["sample_from_primary"] = np.asarray(sample.from_primary, dtype=bool)
    cols["sample_is_annihilation"] = np.asarray(sample.is_annihilation, dtype=bool)
    for k, a in enumerate(alphas):
        full = np.zeros(sample.weights.size)
        full[sample.is_annihilation] = sample.annihilation_alpha[a]
        cols[f"sample_alpha_d_{k}"] = full
    return cols


def write_samples(out_dir: str | Path, config: AnalysisConfig, search: RecordingSearch,
                  masses: np.ndarray, samples: Sequence[SignalSample], *, seed: int,
                  events_per_mass: int | None, background_events: int | None,
                  overwrite: bool = False) -> Path:
    """Write kept samples into ``out_dir`` as a whole (atomically, under a lock).

    Raises
    ------
    InputError
        (``--keep-samples``) the directory cannot take them (see
        :func:`na64.io.atomic.prepare_directory`).
    """
    from ..io.events import write_events

    field = "--keep-samples"
    with atomic_directory(out_dir, overwrite=overwrite, marker=MANIFEST, owned=_owned,
                          what=_WHAT, field=field) as tmp:
        (tmp / "signal").mkdir()
        (tmp / "background").mkdir()
        files: dict[str, str] = {}
        signal = []
        for i, s in enumerate(samples):
            alphas = sorted(s.annihilation_alpha)
            name = f"signal/mass_{i:03d}.parquet"
            write_events(tmp / name, _signal_columns(s, alphas))
            files[name] = _sha256(tmp / name)
            signal.append({"file": name, "mass_MeV": s.mass, "e_min_MeV": s.e_min,
                           "annihilation_production": s.annihilation_production,
                           "alpha_d": alphas})
        calls = []
        count: dict[str, int] = {}
        for c in search.recorder.calls:
            k = count.get(c.source, 0)
            count[c.source] = k + 1
            name = f"background/{c.source}_{k}.parquet"
            write_events(tmp / name, c.events)
            files[name] = _sha256(tmp / name)
            calls.append({"file": name, "source": c.source, "fingerprint": c.fingerprint,
                          "state_after": c.state_after})
        manifest = {
            "format": SAMPLES_FORMAT, "na64_version": __version__, "analysis": config.name,
            "seed": int(seed), "masses_MeV": [float(m) for m in masses],
            "events_per_mass": events_per_mass, "background_events": background_events,
            "selection": analysis_table(config)["selection"],
            "inputs": _inputs(config, search), "signal": signal, "background": calls,
            "files": files,
        }
        atomic_write_text(tmp / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return Path(out_dir)


@contextlib.contextmanager
def reserve_samples(out_dir: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Lock ``out_dir`` and check that samples may be written there (before the job)."""
    with exclusive_lock(out_dir, field="--keep-samples"):
        prepare_directory(out_dir, overwrite=overwrite, marker=MANIFEST, owned=_owned,
                          what=_WHAT, field="--keep-samples")
        yield Path(out_dir)


@dataclasses.dataclass
class SampleSet:
    """Kept samples read back (:func:`load_samples`)."""

    path: Path
    manifest: dict[str, Any]
    calls: list[PipelineCall]
    _signal: dict[int, SignalSample] = dataclasses.field(default_factory=dict)

    @property
    def masses(self) -> np.ndarray:
        """The samples' masses (MeV)."""
        return np.asarray(self.manifest["masses_MeV"], dtype=float)

    @property
    def seed(self) -> int:
        """The master seed the samples were made with."""
        return int(self.manifest["seed"])

    @property
    def e_min(self) -> float:
        """The highest lowest generated A' energy over the masses (MeV)."""
        return float(max(s["e_min_MeV"] for s in self.manifest["signal"]))

    def signal(self, mass: float) -> SignalSample:
        """The signal sample of ``mass`` (read on first use)."""
        from ..io.events import read_events

        i = int(np.argmin(np.abs(self.masses - mass)))
        if not np.isclose(self.masses[i], mass, rtol=1e-12, atol=0.0):
            raise InputError("masses", f"the samples have no mass {mass / GeV:g} GeV")
        if i not in self._signal:
            entry = self.manifest["signal"][i]
            cols = read_events(self._file(entry["file"]))
            weights = cols.pop("sample_weight")
            from_primary = cols.pop("sample_from_primary").astype(bool)
            is_ann = cols.pop("sample_is_annihilation").astype(bool)
            alpha = {float(a): cols.pop(f"sample_alpha_d_{k}")[is_ann]
                     for k, a in enumerate(entry["alpha_d"])}
            self._signal[i] = SignalSample(
                mass=float(entry["mass_MeV"]), e_min=float(entry["e_min_MeV"]), events=cols,
                weights=weights, from_primary=from_primary, is_annihilation=is_ann,
                annihilation_production=float(entry["annihilation_production"]),
                annihilation_alpha=alpha)
        return self._signal[i]

    def _file(self, name: str) -> Path:
        path = self.path / name
        expected = self.manifest["files"].get(name)
        if not path.is_file():
            raise InputError(_FIELD, f"{path} is missing: the samples are incomplete")
        if expected is None or _sha256(path) != expected:
            raise InputError(_FIELD, f"{path} does not match the checksum in {MANIFEST}: the "
                                     "samples were changed or damaged")
        return path


def load_samples(path: str | Path) -> SampleSet:
    """Read the manifest and background calls of kept samples (signal files on first use).

    Raises
    ------
    InputError
        (``--from-samples``) not a samples directory, another format or na64 version, a
        missing or damaged file.
    """
    from ..io.events import read_events

    root = Path(path)
    mpath = root / MANIFEST
    if not mpath.is_file():
        raise InputError(_FIELD, f"{root} holds no {MANIFEST}: make samples with "
                                 "`na64 reach invisible --keep-samples DIR`")
    try:
        manifest = json.loads(mpath.read_text())
        fmt, version = manifest["format"], manifest["na64_version"]
    except (ValueError, KeyError, TypeError):
        raise InputError(_FIELD, f"{mpath} is not a samples manifest") from None
    if fmt != SAMPLES_FORMAT:
        raise InputError(_FIELD, f"samples of format {fmt}; this na64 reads format "
                                 f"{SAMPLES_FORMAT}: make them again")
    if version != __version__:
        raise InputError(_FIELD, f"samples made by na64 {version}, this is {__version__}: "
                                 "make them again")
    s = SampleSet(root, manifest, [])
    s.calls = [PipelineCall(c["source"], c["fingerprint"], read_events(s._file(c["file"])),
                            c["state_after"]) for c in manifest["background"]]
    return s


# ----------------------------------------------------------------------- validity
def check_compatible(samples: SampleSet, config: AnalysisConfig, *,
                     masses: np.ndarray | None = None, seed: int | None = None) -> None:
    """Refuse an analysis the samples cannot stand for (see the module docstring).

    Raises
    ------
    InputError
        Naming the first key that differs, or ``selection.ecal_max`` looser than the
        samples allow.
    """
    m = samples.manifest
    search = Search(config)
    now = _inputs(config, search)
    before = m["inputs"]
    for key in ("setup", "beam", "energy_MeV", "setup_sha256"):
        if now[key] != before[key]:
            name = {"energy_MeV": "energy", "setup_sha256": "setup"}.get(key, key)
            raise InputError(name, f"the samples were made for another {name} "
                                   f"({_show(before[key])}); make new samples for "
                                   f"{_show(now[key])}")
    for table in ("signal", "background"):
        for k in sorted(set(now[table]) | set(before[table])):
            if now[table].get(k) != before[table].get(k):
                raise InputError(f"{table}.{k}", f"the samples were made with "
                                                 f"{_show(before[table].get(k))}, not "
                                                 f"{_show(now[table].get(k))}: make new samples")
    if seed is not None and seed != samples.seed:
        raise InputError("--seed", f"the samples were made with seed {samples.seed}")
    if masses is not None and not (masses.size == samples.masses.size
                                   and np.allclose(masses, samples.masses, rtol=1e-12, atol=0)):
        raise InputError("--masses", f"the samples hold {samples.masses.size} masses from "
                                     f"{samples.masses.min() / GeV:g} to "
                                     f"{samples.masses.max() / GeV:g} GeV; they cannot change")
    e_min = search.e_min()
    if e_min < samples.e_min * (1.0 - 1e-12):
        was = float(m["selection"]["ecal_max"].removesuffix("MeV")) / GeV
        raise InputError("selection.ecal_max",
                         f"{config.selection.ecal_max / GeV:g} GeV needs signal A' energies "
                         f"from {e_min / GeV:.4g} GeV; the samples (made with ecal_max = "
                         f"{was:g} GeV) start at {samples.e_min / GeV:.4g} GeV: use at most "
                         f"the samples' value or make samples with the loosest cut")


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value / GeV:g} GeV"
    if isinstance(value, str) and len(value) == 64:
        return f"checksum {value[:12]}"
    return json.dumps(value) if not isinstance(value, str) else value


# ----------------------------------------------------------------------- jobs
def _dark_photon_only(config: AnalysisConfig) -> None:
    """Samples hold the dark photon's events; another model's decays in flight
    (:mod:`na64.reach.in_flight`) are not stored."""
    if config.signal.model != "dark-photon":
        raise InputError("signal.model", f"samples are kept for the dark photon only, not for "
                                         f"model {config.signal.model!r} (its decays in "
                                         "flight are not stored)")


def run_keeping_samples(config: AnalysisConfig, masses: Sequence[float] | np.ndarray,
                        samples_dir: str | Path, *, overwrite: bool = False,
                        **kwargs: Any) -> ReachResult:
    """:func:`na64.reach.run_invisible`, keeping its samples in ``samples_dir``.

    ``kwargs`` are those of :func:`~na64.reach.run_invisible` (``seed``, ``runs``,
    ``events_per_mass``, ``background_events``, ``executor``, …); the result is the same.
    """
    _dark_photon_only(config)
    search = RecordingSearch(config)
    result = run_invisible(config, masses, search=search, **kwargs)
    kept = [p.sample for p in result.points if isinstance(p, _KeptPoint)]
    if len(kept) != len(result.points) or any(s is None for s in kept):
        raise RuntimeError("a signal point came back without its sample")
    write_samples(samples_dir, config, search, result.masses,
                  [s for s in kept if s is not None], seed=result.seed,
                  events_per_mass=kwargs.get("events_per_mass"),
                  background_events=kwargs.get("background_events"), overwrite=overwrite)
    result.points = [_plain(p) for p in result.points]
    return result


def run_from_samples(samples: SampleSet | str | Path, config: AnalysisConfig, *,
                     runs: Sequence[RunConfig] | None = None,
                     projections: dict[str, float] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> ReachResult:
    """Selection and statistics of ``config`` on kept samples (no N−1 distributions).

    ``config`` may differ from the samples' analysis in its cuts (within the limits of
    :func:`check_compatible`), runs and statistics settings; the seed and masses are the
    samples'.
    """
    _dark_photon_only(config)
    s = samples if isinstance(samples, SampleSet) else load_samples(samples)
    check_compatible(s, config)
    search = SampleSearch(config, s)
    m = s.manifest
    result = run_invisible(config, s.masses, seed=s.seed, runs=runs,
                           events_per_mass=m["events_per_mass"],
                           background_events=m["background_events"], nminus1=False,
                           projections=projections, progress=progress, search=search)
    if search.replay.simulated:
        names = ", ".join(dict.fromkeys(search.replay.simulated))
        note = (f"background simulated again for the changed cuts ({names}): its events "
                "depend on them")
        log.debug("%s", note)
        result.warnings = (*result.warnings, note)
    return result


def samples_masses_text(samples: SampleSet) -> str:
    """The samples' masses as ``--masses`` text (MeV)."""
    return ",".join(f"{m / MeV!r}MeV" for m in samples.masses)
