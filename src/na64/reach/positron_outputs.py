"""Files written by ``na64 reach positron``: the combined limit and one invisible-mode set
per beam energy.

Top level of the output directory:

* ``limits.csv``: per mass, the combined limit of all energies (observed, expected median
  and ±1σ/±2σ, y for the analysis' α_D and the others of
  :data:`~na64.reach.config.Y_ALPHA_D`), the limit from bremsstrahlung alone and from
  resonant annihilation alone, each energy's own observed limit, the expected limit of the
  projection (``projection_pot`` positrons at each energy), the total signal at ε = 1, and,
  with ``--combine-with``, the limit combined with an electron-beam result;
* ``cutflow.csv``: the cut-flows of every energy (column ``group``);
* ``summary.json``: exposure, boxes, backgrounds per energy and source, limits' inputs;
* ``limits.png/.pdf``, ``limits_y.png/.pdf``: the combined limit with its bands, each
  energy, and the brem / annihilation contributions;
* ``beam_<E>GeV/``: the complete ``na64 reach invisible`` set of that energy (limits,
  cut-flow, N−1, summary, figures).

The set is written as a whole, as that of ``na64 reach invisible``
(:mod:`na64.reach.outputs`): into a hidden directory next to the output directory, renamed
into place under a lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_directory, atomic_write_text
from ..units import GeV
from .combination import CombinedLimit
from .config import Y_ALPHA_D
from .outputs import (
    CUTFLOW_COLUMNS,
    EXPECTED_COLUMNS,
    OUTPUT_NAMES,
    _csv_text,
    _finite,
    _write_set,
    cutflow_rows,
)
from .positron import PositronResult

__all__ = [
    "POSITRON_OUTPUT_NAMES",
    "positron_columns",
    "positron_limits_table",
    "positron_summary",
    "published_overlays",
    "reserve_positron_output",
    "write_positron_outputs",
]

#: Files at the top level of a positron output directory (besides ``beam_<E>GeV/``).
POSITRON_OUTPUT_NAMES = frozenset({
    "limits.csv", "cutflow.csv", "summary.json",
    *(f"{stem}.{ext}" for stem in ("limits", "limits_y") for ext in ("png", "pdf")),
})
_MARKER = "summary.json"
_WHAT = "a positron reach result"
_GROUP_DIR = re.compile(r"beam_[0-9.]+GeV")


def _owned(name: str) -> bool:
    """Whether ``name`` at the top of an output directory belongs to a positron result."""
    return (name in POSITRON_OUTPUT_NAMES or bool(_GROUP_DIR.fullmatch(name))
            or (".tmp" in name and any(name.startswith(f".{n}.") for n in OUTPUT_NAMES)))


def _group_dir(key: str) -> str:
    """``beam_100GeV`` for the group key ``100GeV``."""
    return f"beam_{key}"


def _projection_column(result: PositronResult) -> str:
    return f"epsilon_expected_{result.config.projection_pot:.3g}pot_per_energy"


def positron_columns(result: PositronResult) -> list[str]:
    """The columns of ``limits.csv`` (they depend on the energies and on a combination)."""
    cols = [
        "mass_GeV", "epsilon_90cl", *EXPECTED_COLUMNS,
        "y_90cl", "y_expected", *[f"y_90cl_alpha_d_{a:g}" for a in Y_ALPHA_D],
        "epsilon_90cl_brem_only", "epsilon_90cl_annihilation_only",
        *[f"epsilon_90cl_{g.key}" for g in result.groups],
        _projection_column(result),
        "signal_eps1",
    ]
    if result.with_electrons is not None:
        cols.append("epsilon_90cl_with_electrons")
    return cols


def positron_limits_table(result: PositronResult) -> list[dict[str, float]]:
    """One row per mass with the columns :func:`positron_columns`."""
    c = result.combined
    y_obs = result.y_of(c.eps_90)
    y_exp = result.y_of(c.eps_expected["median"])
    y_alpha = {a: result.y_of(result.eps_alpha[a], alpha_d=a) for a in Y_ALPHA_D}
    proj_col = _projection_column(result)
    rows = []
    for i, m in enumerate(result.masses):
        row: dict[str, float] = {
            "mass_GeV": m / GeV,
            "epsilon_90cl": c.eps_90[i],
            **{col: c.eps_expected[k][i] for col, k in EXPECTED_COLUMNS.items()},
            "y_90cl": y_obs[i],
            "y_expected": y_exp[i],
            **{f"y_90cl_alpha_d_{a:g}": y_alpha[a][i] for a in Y_ALPHA_D},
            "epsilon_90cl_brem_only": result.eps_brem[i],
            "epsilon_90cl_annihilation_only": result.eps_annihilation[i],
            **{f"epsilon_90cl_{g.key}": r.eps_90[i]
               for g, r in zip(result.groups, result.results, strict=True)},
            proj_col: result.projection.eps_expected["median"][i],
            "signal_eps1": c.signal[i],
        }
        if result.with_electrons is not None:
            row["epsilon_90cl_with_electrons"] = result.with_electrons.eps_90[i]
        rows.append({k: _finite(v) for k, v in row.items()})
    return rows


def _combined_dict(c: CombinedLimit) -> dict[str, Any]:
    return {"channels": list(c.channels),
            "signal_upper_limit_90cl": [_finite(v) for v in c.s_up]}


def positron_summary(result: PositronResult, *, command: str = "",
                     options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON summary of a positron job: per-energy exposure, box, background, limits."""
    groups = []
    for g, r in zip(result.groups, result.results, strict=True):
        b, db = r.background.events(g.pot)
        groups.append({
            "key": g.key, "directory": _group_dir(g.key), "setup": g.setup,
            "energy_GeV": g.energy / GeV, "ecal_max_GeV": g.ecal_max / GeV, "pot": g.pot,
            "runs": [{"name": x.name, "pot": x.pot, "observed": x.observed,
                      "efficiency_scale": x.efficiency_scale} for x in g.runs],
            "observed": int(sum(x.observed for x in g.runs)),
            "expected_background": _finite(b), "expected_background_unc": _finite(db),
            "background_sources": [
                {"name": s.name, "events": _finite(ev), "events_unc": _finite(ev_unc),
                 "method": s.method}
                for s in r.background.sources for ev, ev_unc in [s.events(g.pot)]],
            "seed": r.seed,
        })
    sig = result.config.signal
    out: dict[str, Any] = {
        "na64_version": result.version,
        "command": command,
        "options": dict(options or {}),
        "mode": "positron",
        "analysis": result.config.name,
        "beam": result.config.beam,
        "model": sig.model,
        "signal": {"processes": list(sig.processes), "method": sig.method,
                   "alpha_d": sig.alpha_d, "mass_ratio": sig.mass_ratio,
                   "yield_rel_uncertainty": sig.yield_rel_uncertainty},
        "seed": result.seed,
        "pot": result.pot,
        "observed": result.observed,
        "groups": groups,
        "combined": _combined_dict(result.combined),
        "projection_pot_per_energy": result.config.projection_pot,
        "warnings": list(result.warnings),
        "elapsed_s": round(result.elapsed_s, 2),
    }
    if result.with_electrons is not None:
        out["combined_with_electrons"] = {**_combined_dict(result.with_electrons),
                                          "source": result.extra.get("electron_source", "")}
    return out


def reserve_positron_output(out_dir: str | Path, *, overwrite: bool = False) -> Any:
    """Lock and check ``out_dir`` for a positron result (:func:`na64.reach.reserve_output`)."""
    from .outputs import reserve_output

    return reserve_output(out_dir, overwrite=overwrite, owned=_owned, what=_WHAT)


def write_positron_outputs(
    result: PositronResult,
    out_dir: str | Path,
    *,
    command: str = "",
    options: Mapping[str, Any] | None = None,
    plots: bool = True,
    overwrite: bool = False,
) -> list[Path]:
    """Write the output set of a positron job into ``out_dir``, as a whole.

    Parameters and errors as :func:`na64.reach.write_outputs`; the set is described in the
    module docstring.

    Returns
    -------
    list of Path
        The files written, inside ``out_dir`` (per-energy files included).
    """
    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker=_MARKER, owned=_owned, what=_WHAT,
                          field="--out") as tmp:
        written = _write_positron_set(result, tmp, command=command, options=options,
                                      plots=plots)
    return [out / path.relative_to(tmp) for path in written]


def _write_positron_set(result: PositronResult, out: Path, *, command: str,
                        options: Mapping[str, Any] | None, plots: bool) -> list[Path]:
    written = []
    path = out / "limits.csv"
    atomic_write_text(path, _csv_text(positron_limits_table(result), positron_columns(result)))
    written.append(path)
    rows = []
    for g, r in zip(result.groups, result.results, strict=True):
        rows += [{"group": g.key, **row} for row in cutflow_rows(r)]
    path = out / "cutflow.csv"
    atomic_write_text(path, _csv_text(rows, ["group", *CUTFLOW_COLUMNS]))
    written.append(path)
    path = out / "summary.json"
    atomic_write_text(path, json.dumps(positron_summary(result, command=command,
                                                        options=options), indent=2) + "\n")
    written.append(path)
    if plots:
        written += plot_positron(result, out)
    for g, r in zip(result.groups, result.results, strict=True):
        sub = out / _group_dir(g.key)
        sub.mkdir()
        sub_options = {**dict(options or {}), "group": g.key}
        written += _write_set(r, sub, command=command, options=sub_options, overlays=(),
                              plots=plots)
    return written


#: Published positron-beam limits shipped with na64: (file, beam energy [MeV], e+OT, label).
_PUBLISHED = (("na64_positron_2022.csv", 100 * GeV, 1.01e10,
               "NA64 2022, published (arXiv:2308.15612)"),)


def published_overlays(result: PositronResult) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The shipped published curves whose beam energy and exposure (within 5%) match one of
    the result's energies, for the dark photon."""
    from importlib import resources

    from ..io.curves import read_overlay_csv

    if result.config.signal.model != "dark-photon":
        return []
    out = []
    for name, energy, pot, label in _PUBLISHED:
        if any(np.isclose(g.energy, energy) and abs(g.pot / pot - 1.0) < 0.05
               for g in result.groups):
            path = resources.files("na64") / "data" / "published" / name
            m, v = read_overlay_csv(str(path))
            out.append((label, np.asarray(m), np.asarray(v)))
    return out


def _drawable(overlays: list[tuple[str, np.ndarray, np.ndarray]]
              ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The overlays restricted to their points with a limit (finite 0 < ε < 1); curves with
    no such point are dropped (the plot's log axes take only finite positive values)."""
    out = []
    for label, x, v in overlays:
        xa, va = np.asarray(x, dtype=float), np.asarray(v, dtype=float)
        keep = np.isfinite(va) & (va > 0) & (va < 1.0) & np.isfinite(xa) & (xa > 0)
        if keep.any():
            out.append((label, xa[keep], va[keep]))
    return out


def plot_positron(result: PositronResult, out: Path) -> list[Path]:
    """``limits.png/.pdf`` (ε vs m_A') and ``limits_y.png/.pdf`` (y vs m_χ) of a positron
    job: the combined limit with its expected bands, each energy's own observed limit, the
    brem-only and annihilation-only limits and the projection."""
    from ..plots.limits import plot_exclusion, save_figure
    from .plots import _figure, _relic_curves

    m = result.masses
    c = result.combined
    exp = {k: c.eps_expected[k] for k in ("median", "m1", "p1", "m2", "p2")}
    energies = ", ".join(f"{g.pot:.3g} e$^+$OT at {g.energy / GeV:g} GeV"
                         for g in result.groups)
    overlays: list[tuple[str, np.ndarray, np.ndarray]] = []
    if len(result.groups) > 1:
        overlays += [(f"observed, {g.key} only", m, r.eps_90)
                     for g, r in zip(result.groups, result.results, strict=True)]
    overlays += [("observed, dark brem only", m, result.eps_brem),
                 ("observed, annihilation only", m, result.eps_annihilation),
                 (f"expected, {result.config.projection_pot:.2g} e$^+$OT per energy", m,
                  result.projection.eps_expected["median"])]
    if result.with_electrons is not None:
        overlays.append(("observed, combined with e$^-$ beam", m,
                         result.with_electrons.eps_90))
    overlays += published_overlays(result)
    # ε = 1 marks "no sensitivity" (e.g. an energy's own limit above its reach): those
    # points are not drawn, and a curve without any other point is left out
    overlays = _drawable(overlays)
    ax = plot_exclusion(m, c.eps_90, exp, overlays=overlays, ylabel=r"$\epsilon$",
                        experiment="na64", text="  simulation", lumi=energies,
                        obs_label="observed, combined")
    written = save_figure(_figure(ax), out / "limits")

    sig = result.config.signal
    m_chi = np.asarray(m) / sig.mass_ratio
    y_exp = {k: result.y_of(v) for k, v in exp.items()}
    others = [(f"observed, $\\alpha_D$ = {a:g}", m_chi, result.y_of(result.eps_alpha[a], a))
              for a in Y_ALPHA_D if not np.isclose(a, sig.alpha_d)]
    ax_y = plot_exclusion(
        m_chi, result.y_of(c.eps_90), y_exp,
        overlays=[*others, *_relic_curves(result)],  # type: ignore[arg-type]
        xlabel=r"$m_\chi$ [GeV]",
        ylabel=rf"$y = \epsilon^2 \alpha_D (m_\chi/m_{{A'}})^4$  ($\alpha_D$ = {sig.alpha_d:g}, "
               rf"$m_{{A'}} = {sig.mass_ratio:g}\,m_\chi$)",
        experiment="na64", text="  simulation", lumi=energies)
    written += save_figure(_figure(ax_y), out / "limits_y")
    return written
