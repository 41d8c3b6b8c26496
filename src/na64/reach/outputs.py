"""Files written by a reach job: limits.csv, cutflow.csv, nminus1.csv, summary.json, figures.

The set is written as a whole (:func:`na64.io.atomic.atomic_directory`): into a fresh
hidden directory next to the output directory, which is then renamed into place, under an
exclusive lock on the output directory.  A reader sees the previous set or the new one,
never a mix of two runs or a truncated file; an interrupted job leaves the previous set
untouched.  A previous result is replaced only with ``overwrite=True``, and a directory
holding files a reach job does not write is never replaced.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.atomic import atomic_directory, atomic_write_text, exclusive_lock, prepare_directory
from ..units import GeV
from .config import Y_ALPHA_D
from .in_flight import coupling_range
from .invisible import PROJECTIONS, ReachResult

if TYPE_CHECKING:
    from ..run.side import SideJobs

__all__ = [
    "LIMIT_COLUMNS",
    "MODEL_LIMIT_COLUMNS",
    "OUTPUT_NAMES",
    "Y_ALPHA_D",
    "limits_table",
    "model_limits_table",
    "published_overlays",
    "reserve_output",
    "summary_dict",
    "write_outputs",
]

#: Columns of ``limits.csv`` (masses in GeV; ε and y are dimensionless).
#: limits.csv columns of the expected limit and its bands -> keys of ``eps_expected``.
EXPECTED_COLUMNS = {"epsilon_expected": "median", "epsilon_expected_m1s": "m1",
                    "epsilon_expected_p1s": "p1", "epsilon_expected_m2s": "m2",
                    "epsilon_expected_p2s": "p2"}

LIMIT_COLUMNS = [
    "mass_GeV",
    "epsilon_90cl",
    *EXPECTED_COLUMNS,
    "y_90cl",
    "y_expected",
    *[f"y_90cl_alpha_d_{a:g}" for a in Y_ALPHA_D],
    *[f"epsilon_expected_{k}eot" for k in PROJECTIONS],
    "signal_per_eot_eps1",
    "signal_per_eot_eps1_unc",
    "efficiency",
    "efficiency_unc",
    "production_per_eot_eps1",
    "annihilation_signal_per_eot_eps1",
    "annihilation_production_per_eot_eps1",
]


#: Columns of ``limits.csv`` for a model other than the dark photon (couplings in the
#: model's reporting unit, e.g. GeV^-1 for an ALP; empty where nothing is excluded), before
#: the model's g-2 band columns (:mod:`na64.reach.anomaly_bands`) and the per-mass signal.
MODEL_EXPECTED_COLUMNS = {c.replace("epsilon", "coupling", 1): k
                          for c, k in EXPECTED_COLUMNS.items()}
MODEL_LIMIT_COLUMNS = [
    "mass_GeV",
    "coupling_90cl",
    "coupling_90cl_high",
    *MODEL_EXPECTED_COLUMNS,
    *[f"coupling_expected_{k}eot" for k in PROJECTIONS],
]
MODEL_SIGNAL_COLUMNS = [
    "reference_coupling",
    "signal_per_eot_ref",
    "signal_per_eot_ref_unc",
    "efficiency",
    "efficiency_unc",
    "production_per_eot_ref",
]


#: Columns of ``cutflow.csv`` (long format, one row per sample, mass and cut).
CUTFLOW_COLUMNS = ["sample", "mass_GeV", "cut", "per_eot", "per_eot_unc",
                   "efficiency_cumulative", "efficiency_relative"]


#: Every file a reach job may write into its output directory; ``summary.json`` marks a
#: directory as a reach result.
OUTPUT_NAMES = frozenset({
    "limits.csv", "cutflow.csv", "summary.json", "nminus1.csv", "efficiency.csv",
    *(f"{stem}.{ext}" for stem in ("limits", "limits_y", "nminus1") for ext in ("png", "pdf")),
})
_MARKER = "summary.json"
_WHAT = "a reach result"


def _owned(name: str) -> bool:
    """Whether ``name`` in an output directory is a reach job's (an output, or the temporary
    file of one that a killed job of an earlier version left behind)."""
    return name in OUTPUT_NAMES or (
        ".tmp" in name and any(name.startswith(f".{n}.") for n in OUTPUT_NAMES))


def _finite(x: float) -> float:
    return float(x) if math.isfinite(float(x)) else 0.0


def limits_table(result: ReachResult) -> list[dict[str, float]]:
    """One row per mass with the columns :data:`LIMIT_COLUMNS`."""
    rows = []
    y_obs = result.y_of(result.eps_90)
    y_exp = result.y_of(result.eps_expected["median"])
    y_alpha = {a: result.y_of(result.eps_90_for(a), alpha_d=a) for a in Y_ALPHA_D}
    for i, p in enumerate(result.points):
        row = {
            "mass_GeV": p.mass / GeV,
            "epsilon_90cl": result.eps_90[i],
            **{col: result.eps_expected[k][i] for col, k in EXPECTED_COLUMNS.items()},
            "y_90cl": y_obs[i],
            "y_expected": y_exp[i],
            **{f"y_90cl_alpha_d_{a:g}": y_alpha[a][i] for a in Y_ALPHA_D},
            **{f"epsilon_expected_{k}eot": result.projections[k][i] for k in PROJECTIONS},
            "signal_per_eot_eps1": p.yield_per_eot,
            "signal_per_eot_eps1_unc": p.yield_per_eot_unc,
            "efficiency": p.efficiency,
            "efficiency_unc": p.efficiency_unc,
            "production_per_eot_eps1": p.production,
            "annihilation_signal_per_eot_eps1": p.annihilation_yield,
            "annihilation_production_per_eot_eps1": p.annihilation_production,
        }
        rows.append({k: _finite(v) for k, v in row.items()})
    return rows


def _edge(x: float, scale: float) -> str:
    """A coupling in the reporting unit; empty where nothing is excluded (NaN)."""
    return f"{float(x) / scale:.6g}" if math.isfinite(float(x)) else ""


#: Columns of ``efficiency.csv`` (a model whose boson may decay in flight).
EFFICIENCY_COLUMNS = ["mass_GeV", "coupling", "y", "signal_per_eot", "efficiency"]

#: Couplings per mass in ``efficiency.csv``: log-spaced over this many decades above and
#: below the excluded band's lower edge.
_EFF_DECADES = (-1.0, 3.0)
_EFF_POINTS = 17


def _y(result: ReachResult, coupling: np.ndarray | float) -> np.ndarray:
    """y = ε² α_D (m_χ/m_A')⁴ (:func:`na64.stats.eps_to_y`) for iDM; NaN for other models
    (no y)."""
    g = np.asarray(coupling, dtype=float)
    out = np.full(g.shape, np.nan)
    ok = np.isfinite(g)
    if result.config.signal.model == "idm" and ok.any():
        out[ok] = result.y_of(g[ok])
    return out


def efficiency_rows(result: ReachResult) -> list[dict[str, str]]:
    """Per mass and coupling: the selected signal per EOT and the efficiency (decays in
    flight included, :meth:`na64.reach.in_flight.InFlightSignal.efficiency`), on couplings
    from 0.1× to 1000× the lower edge (around the reference coupling's scan where nothing is
    excluded); y = ε² α_D (m_χ/m_A')⁴ for iDM (empty otherwise)."""
    scale = float(result.model_info["coupling_scale"])
    rows = []
    for i, p in enumerate(result.points):
        sig = p.in_flight
        if sig is None:
            continue
        lo, hi = coupling_range(sig.model)
        centre = result.eps_90[i] if np.isfinite(result.eps_90[i]) else 10 * lo
        g = centre * np.logspace(*_EFF_DECADES, _EFF_POINTS)
        g = g[g <= hi]
        n = sig.yield_per_eot(g)
        made = (g / sig.reference_coupling) ** 2 * sig.production
        eff = np.divide(n, made, out=np.zeros_like(n), where=made > 0)
        for gk, nk, ek, yk in zip(g, n, eff, _y(result, g), strict=True):
            rows.append({"mass_GeV": f"{p.mass / GeV:.6g}", "coupling": f"{gk / scale:.6g}",
                         "y": f"{yk:.6g}" if np.isfinite(yk) else "",
                         "signal_per_eot": f"{_finite(nk):.6g}",
                         "efficiency": f"{_finite(ek):.6g}"})
    return rows


def model_limit_columns(result: ReachResult) -> list[str]:
    """The columns of :func:`model_limits_table` for ``result``'s model."""
    from .anomaly_bands import favoured_bands

    bands = favoured_bands(result.config.signal.model, result.masses)
    y_cols = ["y_90cl", "y_90cl_high", "y_expected"] if result.config.signal.model == "idm" \
        else []
    return [*MODEL_LIMIT_COLUMNS, *y_cols,
            *(f"{b.column}_{e}" for b in bands for e in ("low", "high")),
            *MODEL_SIGNAL_COLUMNS]


def model_limits_table(result: ReachResult) -> list[dict[str, str]]:
    """One row per mass of a model whose boson may decay in flight: the excluded band
    (``coupling_90cl`` its lower edge, ``coupling_90cl_high`` its upper edge, empty where
    it reaches the model's largest coupling), the expected lower edges, the projections,
    the g-2 bands and the signal at the reference coupling (every boson escaping)."""
    from .anomaly_bands import favoured_bands

    scale = float(result.model_info["coupling_scale"])
    high = (result.coupling_high if result.coupling_high is not None
            else np.full(result.masses.size, np.nan))
    bands = favoured_bands(result.config.signal.model, result.masses)
    rows = []
    for i, p in enumerate(result.points):
        ref = p.in_flight.reference_coupling if p.in_flight is not None else 0.0
        row = {
            "mass_GeV": f"{p.mass / GeV:.6g}",
            "coupling_90cl": _edge(result.eps_90[i], scale),
            "coupling_90cl_high": _edge(high[i], scale),
            **{col: _edge(result.eps_expected[k][i], scale)
               for col, k in MODEL_EXPECTED_COLUMNS.items()},
            **{f"coupling_expected_{k}eot": _edge(result.projections[k][i], scale)
               for k in PROJECTIONS},
            **{f"{b.column}_{e}": f"{_finite(v[i]) / scale:.6g}"
               for b in bands for e, v in (("low", b.low), ("high", b.high))},
            **({"y_90cl": _edge(float(_y(result, result.eps_90[i])), 1.0),
                "y_90cl_high": _edge(float(_y(result, high[i])), 1.0),
                "y_expected": _edge(float(_y(result, result.eps_expected["median"][i])), 1.0)}
               if result.config.signal.model == "idm" else {}),
            "reference_coupling": f"{ref / scale:.6g}",
            "signal_per_eot_ref": f"{_finite(p.yield_per_eot):.6g}",
            "signal_per_eot_ref_unc": f"{_finite(p.yield_per_eot_unc):.6g}",
            "efficiency": f"{_finite(p.efficiency):.6g}",
            "efficiency_unc": f"{_finite(p.efficiency_unc):.6g}",
            "production_per_eot_ref": f"{_finite(p.production):.6g}",
        }
        rows.append(row)
    return rows


def _csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def cutflow_rows(result: ReachResult) -> list[dict[str, Any]]:
    """Long-format cut-flow: one row per (sample, mass, cut).

    Signal rows carry the weighted yield per EOT at ε = 1 after each cut; background rows
    the expected events per EOT after each cut of that source's simulated sample.
    """
    rows: list[dict[str, Any]] = []
    for p in result.points:
        first = p.cutflow[0][1] if p.cutflow else 0.0
        prev = first
        for name, w, w_unc in p.cutflow:
            rows.append({
                "sample": "signal", "mass_GeV": p.mass / GeV, "cut": name,
                "per_eot": _finite(w), "per_eot_unc": _finite(w_unc),
                "efficiency_cumulative": _finite(w / first) if first > 0 else 0.0,
                "efficiency_relative": _finite(w / prev) if prev > 0 else 0.0,
            })
            prev = w
    for src in result.background.sources:
        first = src.cutflow[0][1] if src.cutflow else 0.0
        prev = first
        for name, w, w_unc in src.cutflow:
            rows.append({
                "sample": f"background:{src.name}", "mass_GeV": 0.0, "cut": name,
                "per_eot": _finite(w), "per_eot_unc": _finite(w_unc),
                "efficiency_cumulative": _finite(w / first) if first > 0 else 0.0,
                "efficiency_relative": _finite(w / prev) if prev > 0 else 0.0,
            })
            prev = w
    return rows


def summary_dict(result: ReachResult, *, command: str = "",
                 options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON summary: exposure, observed, background, efficiencies, limits' inputs.

    ``command`` is the shortest command line reproducing the run; ``options`` (optional)
    every command-line option with its value, defaults included.
    """
    bkg = result.background
    eot = result.eot
    b, b_unc = bkg.events(eot)
    source_events = [s.events(eot) for s in bkg.sources]
    return {
        "na64_version": result.version,
        "command": command,
        "options": dict(options or {}),
        "analysis": result.config.name,
        "setup": result.config.setup,
        "beam": result.config.beam,
        "energy_GeV": result.config.energy / GeV,
        "model": result.config.signal.model,
        "coupling": _coupling_summary(result),
        "signal": {"processes": list(result.config.signal.processes),
                   "method": result.config.signal.method,
                   "x_max": result.config.signal.x_max,
                   "alpha_d": result.config.signal.alpha_d,
                   "mass_ratio": result.config.signal.mass_ratio,
                   "chi": result.config.signal.chi},
        "seed": result.seed,
        "eot": eot,
        "runs": [{"name": r.name, "eot": r.eot, "observed": r.observed,
                  "efficiency_scale": r.efficiency_scale} for r in result.runs],
        "observed": result.observed,
        "expected_background": _finite(b),
        "expected_background_unc": _finite(b_unc),
        "background_sources": [
            {"name": s.name, "events": _finite(ev), "events_unc": _finite(ev_unc),
             "method": s.method, "simulated_events": s.n_simulated,
             "per_eot": _finite(s.per_eot), "per_eot_unc": _finite(s.per_eot_unc),
             "notes": list(s.notes)}
            for s, (ev, ev_unc) in zip(bkg.sources, source_events, strict=True)
        ],
        "background_notes": list(bkg.notes),
        "background_source_names": list(result.config.background.sources),
        "signal_upper_limit_90cl": _finite(result.s_up),
        "signal_upper_limit_expected": {k: _finite(v) for k, v in result.s_expected.items()},
        "signal_yield_rel_uncertainty": result.config.signal.yield_rel_uncertainty,
        "efficiency_per_mass": [
            {"mass_GeV": p.mass / GeV, "efficiency": _finite(p.efficiency),
             "efficiency_unc": _finite(p.efficiency_unc),
             "e_aprime_min_GeV": p.e_min / GeV,
             "production_per_eot_eps1": _finite(p.production),
             "signal_per_eot_eps1": _finite(p.yield_per_eot),
             "primary_emission_fraction": _finite(p.primary_fraction),
             "annihilation_production_per_eot_eps1": _finite(p.annihilation_production),
             "annihilation_signal_per_eot_eps1": _finite(p.annihilation_yield),
             "events": p.n_events}
            for p in result.points
        ],
        "projections_eot": dict(PROJECTIONS),
        "warnings": list(result.warnings),
        "elapsed_s": round(result.elapsed_s, 2),
    }


def _coupling_summary(result: ReachResult) -> dict[str, Any]:
    """The coupling's name, unit and limit columns (and, for a model whose boson may decay
    in flight, how its limit was computed)."""
    info = result.model_info
    if result.coupling_high is None:
        return {"name": info["coupling_name"], "unit": info["coupling_unit"],
                "limit_columns": [c for c in LIMIT_COLUMNS
                                  if c.startswith(info["coupling_name"])]}
    return {"name": info["coupling_name"], "unit": info["coupling_unit"],
            "limit_columns": [c for c in model_limit_columns(result)
                              if c.startswith("coupling")],
            "method": "per-event decay in flight (na64.reach.in_flight): the excluded band "
                      "{g : N(g) >= S_up}; coupling_90cl is its lower edge, "
                      "coupling_90cl_high its upper edge (empty: none below the model's "
                      "largest coupling); empty where nothing is excluded",
            "g_minus_2": "g_minus_2_*_low/high: one-loop couplings explaining the anomaly "
                         "(+-1 sigma for a_e, +-2 sigma for a_mu; na64.reach.anomaly_bands)"}


#: Published invisible-mode limits shipped with na64: (file, model, beam energy [MeV], EOT,
#: label); the files' values are in the model's reporting unit.
_PUBLISHED = (
    ("na64_invisible_2019.csv", "dark-photon", 100 * GeV, 2.84e11,
     "NA64 2016-2018, published (PRL 123, 121801)"),
    ("na64_invisible_2023.csv", "dark-photon", 100 * GeV, 9.37e11,
     "NA64 2016-2022, published (PRL 131, 161801)"),
    ("na64_alp_2020.csv", "alp", 100 * GeV, 2.84e11,
     "NA64 2016-2018, published lower edge (PRL 125, 081801)"),
)


def published_overlays(result: ReachResult) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The shipped published limits of the result's model whose beam energy and exposure
    (within 5%) match the result's, as plot overlays in the model's reporting unit."""
    from importlib import resources

    from ..io.curves import read_overlay_csv

    out = []
    for name, model, energy, eot, label in _PUBLISHED:
        if (result.config.signal.model == model and np.isclose(result.config.energy, energy)
                and abs(result.eot / eot - 1.0) < 0.05 and result.config.beam == "e-"):
            path = resources.files("na64") / "data" / "published" / name
            m, v = read_overlay_csv(str(path))
            out.append((label, np.asarray(m), np.asarray(v)))
    return out


@contextlib.contextmanager
def reserve_output(out_dir: str | Path, *, overwrite: bool = False,
                   owned: Callable[[str], bool] = _owned, what: str = _WHAT) -> Iterator[Path]:
    """Lock ``out_dir`` and check that a reach result may be written there.

    ``owned`` (which file names belong to a result) and ``what`` (its name in messages)
    default to those of ``na64 reach invisible``.  Meant to wrap a whole job, so that a
    bad, busy or already used output directory is reported before any computation: :func:`write_outputs` called inside re-enters the
    lock.  The checks are those of :func:`write_outputs`.

    Yields
    ------
    Path
        ``out_dir`` as given.

    Raises
    ------
    InputError
        (``--out``) another run holds the lock; the directory cannot be created or written;
        it exists and is a file, a non-empty directory that is not a reach result, or a reach
        result and ``overwrite`` is false.
    """
    with exclusive_lock(out_dir, field="--out"):
        prepare_directory(out_dir, overwrite=overwrite, marker=_MARKER, owned=owned,
                          what=what, field="--out")
        yield Path(out_dir)


def write_outputs(
    result: ReachResult,
    out_dir: str | Path,
    *,
    command: str = "",
    options: Mapping[str, Any] | None = None,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
    plots: bool = True,
    overwrite: bool = False,
    side: SideJobs | None = None,
) -> list[Path]:
    """Write the output set of a reach job into ``out_dir``, as a whole.

    The set is limits.csv, cutflow.csv, summary.json, limits(_y).png/.pdf (with ``plots``)
    and, when the result has them, nminus1.csv and nminus1.png/.pdf.  It is written into a
    fresh directory ``.NAME.tmp-xxxxxxxx`` next to ``out_dir`` and renamed into place under
    an exclusive lock (``.NAME.lock``).

    Parameters
    ----------
    result
        The job's result (:func:`na64.reach.run_invisible`).
    out_dir
        Output directory: missing (created with its parents), empty, or with ``overwrite``
        a previous reach result, replaced as a whole (no file of it remains).
    command, options
        Recorded in summary.json (:func:`summary_dict`).
    overlays
        Extra curves on the limit plot: (label, masses, values).
    plots
        Write the figures.
    overwrite
        Replace a previous reach result in ``out_dir``.
    side
        A worker that renders the N−1 figure beside the limit figures
        (:class:`na64.run.side.SideJobs`); by default every figure is rendered here, one
        after the other (the same files).

    Returns
    -------
    list of Path
        The files written, inside ``out_dir``.

    Raises
    ------
    InputError
        (``--out``) see :func:`reserve_output`.
    OSError
        The file system failed while writing (disk full, ...); ``out_dir`` is unchanged
        and no temporary directory remains.
    """
    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker=_MARKER, owned=_owned, what=_WHAT,
                          field="--out") as tmp:
        written = _write_set(result, tmp, command=command, options=options,
                             overlays=overlays, plots=plots, side=side)
    return [out / path.relative_to(tmp) for path in written]


def _write_set(
    result: ReachResult,
    out: Path,
    *,
    command: str,
    options: Mapping[str, Any] | None,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]],
    plots: bool,
    side: SideJobs | None = None,
) -> list[Path]:
    """Write every output file into the existing directory ``out``."""
    written = []
    later = side is not None and plots and result.nminus1 is not None
    if side is not None and later and result.nminus1 is not None:
        from .nminus1 import plot_nminus1

        side.render(plot_nminus1, result.nminus1, out / "nminus1")
    path = out / "limits.csv"
    if result.coupling_high is None:
        atomic_write_text(path, _csv_text(limits_table(result), LIMIT_COLUMNS))
    else:
        atomic_write_text(path, _csv_text(model_limits_table(result),
                                          model_limit_columns(result)))
        written.append(path)
        path = out / "efficiency.csv"
        atomic_write_text(path, _csv_text(efficiency_rows(result), EFFICIENCY_COLUMNS))
    written.append(path)
    path = out / "cutflow.csv"
    atomic_write_text(path, _csv_text(cutflow_rows(result), CUTFLOW_COLUMNS))
    written.append(path)
    path = out / "summary.json"
    atomic_write_text(path, json.dumps(summary_dict(result, command=command, options=options), indent=2) + "\n")
    written.append(path)
    if plots:
        from .plots import plot_model_reach, plot_reach

        if result.coupling_high is None:
            written += plot_reach(result, out, overlays=overlays)
        else:
            written += plot_model_reach(result, out, overlays=overlays)
    if result.nminus1 is not None:
        from .nminus1 import write_nminus1

        written += write_nminus1(result.nminus1, out, plots=plots and not later)
    if side is not None and later:
        for paths in side.wait():
            written += paths
    return written


