"""Storage precision of the float columns (:mod:`na64.io.precision`).

Rounding to ``k`` mantissa bits moves a value by at most ``2^-(k+1)`` of its magnitude and
never makes a NaN, an infinity or a sign; the reduced precision of ``na64 simulate`` moves
every reconstructed observable of a simulated sample by far less than the detectors'
resolution; a production records its precision in the checkpoint and the file, resumes
with it, and writes the same file on one or two workers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from na64.detector import load_setup
from na64.errors import InputError
from na64.io.events import read_events, read_provenance
from na64.io.precision import (
    STORAGE_PRECISIONS,
    StoragePrecision,
    apply_precision,
    is_truth_column,
    round_mantissa,
    storage_precision,
)
from na64.pipeline import reconstruct, simulate_events
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

REDUCED = STORAGE_PRECISIONS["reduced"]
MANTISSA = {np.float32: 23, np.float64: 52}
TINY = {np.float32: float(np.finfo(np.float32).tiny), np.float64: float(np.finfo(np.float64).tiny)}


@st.composite
def floats_and_bits(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    values = draw(hnp.arrays(dtype, hnp.array_shapes(max_dims=3, max_side=6),
                             elements=st.floats(width=32 if dtype is np.float32 else 64)))
    return values, draw(st.integers(0, MANTISSA[dtype] + 2))


@settings(max_examples=300, deadline=None)
@given(floats_and_bits())
def test_rounding_error_is_bounded_and_specials_are_kept(case: tuple[np.ndarray, int]) -> None:
    values, bits = case
    dtype = values.dtype.type
    out = round_mantissa(values, bits)
    assert out.dtype == values.dtype
    assert out.shape == values.shape
    finite = np.isfinite(values)
    assert np.array_equal(np.isfinite(out), finite)  # no finite value becomes infinite
    assert np.array_equal(np.isnan(out), np.isnan(values))
    assert np.array_equal(out[np.isinf(values)], values[np.isinf(values)])
    assert np.array_equal(np.signbit(out[~np.isnan(values)]), np.signbit(values[~np.isnan(values)]))
    x = values[finite].astype(np.float64)
    y = out[finite].astype(np.float64)
    bound = 2.0 ** -(min(bits, MANTISSA[dtype]) + 1) * np.maximum(np.abs(x), TINY[dtype])
    if bits >= MANTISSA[dtype]:
        bound = np.zeros_like(x)
    assert np.all(np.abs(y - x) <= bound)
    # the rounded values have k bits: rounding them again changes nothing
    assert np.array_equal(round_mantissa(out, bits), out, equal_nan=True)


def test_rounding_is_to_nearest_with_ties_to_even() -> None:
    # 12 mantissa bits: the spacing of the kept values at 1 is 2^-12, a tie lies at 2^-13
    x = np.array([1 + 2**-13, 1 + 3 * 2**-13, 1 + 2**-13 + 2**-20, -(1 + 3 * 2**-13), 0.0, -0.0],
                 dtype=np.float32)
    out = round_mantissa(x, 12)
    assert out.tolist() == [1.0, 1 + 2**-11, 1 + 2**-12, -(1 + 2**-11), 0.0, -0.0]
    assert np.signbit(out[-1])


def test_the_largest_float_is_truncated_not_made_infinite() -> None:
    big = np.array([np.finfo(np.float32).max, -np.finfo(np.float32).max], dtype=np.float32)
    out = round_mantissa(big, 0)
    assert out.tolist() == [2.0**127, -(2.0**127)]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="float32 or float64"):
        round_mantissa(np.arange(3), 4)
    with pytest.raises(ValueError, match="bits must be an integer >= 0"):
        round_mantissa(np.ones(3), -1)
    with pytest.raises(InputError, match=r"^--precision: must be full or reduced, got 'half'$"):
        storage_precision("half")
    with pytest.raises(InputError, match=r"^--precision: invalid storage precision"):
        storage_precision({"measured_bits": 99})
    assert storage_precision(" Reduced ") is REDUCED
    assert storage_precision({"measured_bits": 12, "truth_bits": 23}) == REDUCED
    assert StoragePrecision(10, None).describe() == {"measured_bits": 10, "truth_bits": None}


def test_reduced_precision_rounds_measurements_and_truth_apart() -> None:
    rng = np.random.default_rng(3)
    events = {"ecal": rng.normal(100.0, 30.0, (50, 2, 6, 6)).astype(np.float32),
              "true_x": rng.normal(0.0, 5.0, 50), "beam_energy_x": rng.normal(1e5, 1e3, 50),
              "weight": rng.uniform(0, 1, 50), "p_in": rng.normal(1e5, 1e3, 50),
              "true_pdg": np.full(50, 11), "ms_valid": np.ones(50, dtype=bool)}
    out = apply_precision(events, REDUCED)
    assert [is_truth_column(k) for k in events] == [False, True, True, True, False, True, False]
    for name, bits in [("ecal", 12), ("p_in", 12), ("true_x", 23), ("weight", 23),
                       ("beam_energy_x", 23)]:
        assert np.array_equal(out[name], round_mantissa(events[name], bits)), name
        assert not np.array_equal(out[name], events[name]), name
        assert out[name].dtype == events[name].dtype
    assert out["true_pdg"] is events["true_pdg"]
    assert out["ms_valid"] is events["ms_valid"]
    assert apply_precision(events, STORAGE_PRECISIONS["full"])["ecal"] is events["ecal"]


# --------------------------------------------------------------------- reconstruction

#: Relative error bound of one measured value of the reduced precision.
EPS = 2.0**-13
#: chi^2/ndf of the lateral shower shape: the reduced precision moves a cell fraction by
#: < 1.2e-4 against the >= 3.6 % shape fluctuation the chi^2 divides by (the setups'
#: ``shape_fluctuation``), a residual by < 1e-2 of its sigma; 0.05 is a quarter of the
#: statistical spread sqrt(2/ndf) ~ 0.2 of chi^2/ndf itself for ~50 cells.  Residuals
#: move by < 1e-2 sigma each, so chi^2 moves by < ~2e-2 of itself: above the cut (chi^2/ndf
#: ~ 20 for a dump shower with a hard photo-nuclear interaction, ~1e3 for hadronic
#: deposits) the bound is that relative one.
CHI2_TOLERANCE = 0.05
CHI2_RELATIVE = 2e-2


@pytest.mark.parametrize("setup_name", ["na64e_2016_2018", "na64mu_2022", "na64e_visible_2018"])
def test_reconstructed_observables_move_far_below_the_resolution(setup_name: str) -> None:
    setup = load_setup(setup_name)
    raw = simulate_events(setup, 1500, np.random.default_rng(11))
    stored = apply_precision(raw, REDUCED)
    full, reduced = reconstruct(raw, setup), reconstruct(stored, setup)
    assert sorted(full) == sorted(reduced)

    def magnitude(name: str, axes: Any) -> np.ndarray:
        cells = np.abs(np.asarray(raw[name], dtype=np.float64))
        # the bound of the rounding plus float32 summation (one ulp of the sum per cell)
        return (EPS + cells[0].size * 2.0**-23) * cells.sum(axis=axes)

    cell_sums = {"ecal_energy": magnitude("ecal" if setup.ecal else setup.target_name,
                                          (1, 2, 3))}
    if "hcal" in raw:
        cell_sums["hcal_energy"] = magnitude("hcal", (1, 2, 3))
    if "wcal" in raw:
        cell_sums["wcal_energy"] = magnitude("wcal", (1, 2, 3))
    for name, bound in cell_sums.items():
        assert np.all(np.abs(reduced[name] - full[name]) <= bound), name
    for name in ("p_in", "p_out", "veto_energy", "srd_energy", "decay_counter_energy"):
        if name in full:
            assert np.all(np.abs(reduced[name] - full[name])
                          <= (EPS + 2.0**-23) * np.abs(full[name]) * 3), name
    assert np.array_equal(full["n_tracks"], reduced["n_tracks"])
    chi2 = np.abs(full["shower_chi2"])
    assert np.all(np.abs(reduced["shower_chi2"] - full["shower_chi2"])
                  < CHI2_TOLERANCE + CHI2_RELATIVE * chi2)
    # the ECAL energy resolution of the setup is >= its constant term: 80x the bound
    e = full["ecal_energy"]
    big = e > 1e3  # (MeV)
    assert np.all(np.abs(reduced["ecal_energy"] - e)[big]
                  <= 2 * EPS * np.abs(e[big]) + magnitude("ecal" if setup.ecal else
                                                          setup.target_name, (1, 2, 3))[big])


# --------------------------------------------------------------------- production

@dataclass(frozen=True)
class Cells:
    """A picklable toy source with measured float32 cells and float64 truth."""

    fail_flag: str | None = None

    def __call__(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if self.fail_flag is not None and os.path.exists(self.fail_flag):
            os.remove(self.fail_flag)
            raise RuntimeError("cells source failure")
        return {"ecal": rng.gamma(2.0, 50.0, (n, 2, 3, 3)).astype(np.float32),
                "true_energy": rng.normal(1e5, 1e3, n), "n_hits": rng.integers(0, 9, n)}

    def describe(self) -> dict[str, Any]:
        return {"kind": "precision-toy"}


def reference(n: int, seed: int, chunk: int, precision: StoragePrecision) -> dict[str, np.ndarray]:
    parts = [apply_precision(Cells()(c.n_events, chunk_generator(seed, c.index)), precision)
             for c in plan_chunks(n, chunk)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def assert_identical(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        assert np.array_equal(a[k], b[k]), k


def test_production_rounds_records_and_is_the_same_on_two_workers(tmp_path: Path) -> None:
    one = tmp_path / "one.parquet"
    run_production(Cells(), one, n_events=250, seed=6, chunk_size=60, precision="reduced",
                   executor=LocalExecutor())
    with ProcessExecutor(2) as ex:
        run_production(Cells(), tmp_path / "two.parquet", n_events=250, seed=6, chunk_size=60,
                       precision="reduced", executor=ex)
    assert one.read_bytes() == (tmp_path / "two.parquet").read_bytes()
    assert_identical(read_events(one), reference(250, 6, 60, REDUCED))  # checksums verified
    record = read_provenance(one)["storage_precision"]
    assert record == {"name": "reduced", "measured_mantissa_bits": 12, "truth_mantissa_bits": 23,
                      "measured_max_relative_error": 2.0**-13,
                      "truth_max_relative_error": 2.0**-24}
    lossless = tmp_path / "full.parquet"
    run_production(Cells(), lossless, n_events=250, seed=6, chunk_size=60)
    assert read_provenance(lossless)["storage_precision"]["name"] == "full"
    assert_identical(read_events(lossless), reference(250, 6, 60, STORAGE_PRECISIONS["full"]))
    assert one.stat().st_size < lossless.stat().st_size


def test_a_resumed_run_keeps_the_precision_of_its_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run.parquet"
    flag = tmp_path / "fail"
    flag.touch()
    with pytest.raises(RunError):
        run_production(Cells(str(flag)), out, n_events=200, seed=4, chunk_size=50,
                       precision="reduced")
    assert Manifest.load(chunk_dir_for(out)).identity["precision"] == "reduced"
    with pytest.raises(InputError, match=r"^--resume: .*precision was 'reduced', now 'full'"):
        run_production(Cells(), out, n_events=200, seed=4, chunk_size=50, resume=True,
                       precision="full")
    run_production(Cells(), out, n_events=200, seed=4, chunk_size=50, resume=True)
    assert_identical(read_events(out), reference(200, 4, 50, REDUCED))
    assert read_provenance(out)["storage_precision"]["name"] == "reduced"


def test_select_cutflow_of_a_reduced_file_equals_the_full_one_within_rounding(
        tmp_path: Path) -> None:
    """``na64 select`` on a default (reduced) file and on a full-precision file of the same
    seed: the cut-flows agree up to the few events that lie within the rounding of a cut
    edge.

    Rounding moves a measured value by <= 2^-13 = 1.2e-4 of its magnitude; the observables
    cut on move by about as much (sums of cells; a few 1e-3 at most for the shower-shape
    chi^2, whose edge sits in the tail of the electrons' distribution).  An event changes its
    outcome at a cut only if it lies that close to the edge: with a density p(v) of the
    observable, N p(edge) edge * 1.2e-4 events, i.e. < 1.5 of N = 3000 even for a
    distribution 10% wide centred on the edge (p(edge) edge <= 4).  Up to 3 per row are
    allowed, against binomial errors of the counts of ~13 events (veto row): rounding
    changes the cut-flow by far less than the statistics of the sample."""
    from na64.cli import main
    from na64.reach.config import load_analysis
    from na64.run.select import select_file

    files = {}
    for name in ("reduced", "full"):
        files[name] = tmp_path / f"{name}.parquet"
        code = 0
        try:
            main(["simulate", "--events", "3000", "--seed", "11", "--executor", "local",
                  "--out", str(files[name]), "--quiet", "--precision", name])
        except SystemExit as exc:
            code = int(exc.code or 0)
        assert code == 0
    assert read_provenance(files["reduced"])["storage_precision"]["name"] == "reduced"
    assert files["reduced"].stat().st_size < 0.75 * files["full"].stat().st_size
    cfg = load_analysis("invisible_2016_2018")
    selection = cfg.selection.build(cfg.energy)
    reduced, full = (select_file(files[n], selection).to_records() for n in ("reduced", "full"))
    assert [r["name"] for r in reduced] == [r["name"] for r in full]
    assert reduced[0]["n"] == full[0]["n"] == 3000
    for r, f in zip(reduced, full, strict=True):
        assert abs(r["n"] - f["n"]) <= 3, (r["name"], r["n"], f["n"])
    assert full[3]["n"] > 2000  # the sample reaches the cuts compared (srd, veto, track, ...)
