"""The muon-beam missing-momentum search end to end (``na64 reach muon``).

A muon of the M2 beam (160 GeV at NA64mu) radiates a muon-philic boson X in the active
target, μ N → μ N X; X decays invisibly (the L_μ−L_τ Z' to νν̄, a dark photon to χχ̄, the
muon-philic scalar S to χχ̄) and
the muon leaves with p_out well below p_in, while the calorimeters see no more than a
minimum-ionizing particle (arXiv:2401.01708; arXiv:2409.10128).  :func:`run_muon` computes
it with the invisible-mode chain (:func:`na64.reach.run_invisible`): the search of
:class:`~na64.reach.muon_config.MuonSearch` (process ``muon_brem``, selection
:func:`na64.select.muon_selection`, background sources of the analysis), the same
statistics (CLs, expected bands) and projections to the MOT of
:data:`~na64.reach.muon_config.MUON_PROJECTIONS`.  The yield scales as the coupling squared,
so coupling_90 = sqrt(S_up / N(m, coupling = 1)) (g for L_μ−L_τ, ε for the dark photon, g_S
for the scalar).

:func:`write_muon_outputs` writes limits.csv (``mass_GeV, coupling_90cl``, the expected
band, the projections, the (g−2)_μ band of the model computed by
:mod:`na64.physics.g_minus_2`, efficiencies), cutflow.csv, nminus1.csv, summary.json and
the figures, as one atomic set.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..constants import ALPHA
from ..errors import InputError
from ..io.atomic import atomic_directory, atomic_write_text
from ..models.lmu_ltau import loop_mixing
from ..physics.g_minus_2 import DELTA_A_MU_2021, Spin, favoured_band
from ..units import GeV
from .combination import Channel, channel_from_output, combine_channels
from .invisible import ReachResult, _effective_eot, run_invisible
from .muon_config import MUON_PROJECTIONS, MuonAnalysisConfig
from .outputs import CUTFLOW_COLUMNS, _csv_text, _finite, _owned, cutflow_rows, summary_dict

__all__ = ["MUON_LIMIT_COLUMNS", "combine_with_electrons", "electron_channel",
           "muon_limits_table", "muon_summary", "run_muon", "write_muon_outputs"]

#: Columns of a muon search's ``limits.csv`` (couplings dimensionless, masses in GeV).
MUON_LIMIT_COLUMNS = [
    "mass_GeV",
    "coupling_90cl",
    "coupling_expected",
    "coupling_expected_m1s",
    "coupling_expected_p1s",
    "coupling_expected_m2s",
    "coupling_expected_p2s",
    *[f"coupling_expected_{k}mot" for k in MUON_PROJECTIONS],
    "g_minus_2_low",
    "g_minus_2_high",
    "signal_per_mot_coupling1",
    "signal_per_mot_coupling1_unc",
    "efficiency",
    "efficiency_unc",
    "production_per_mot_coupling1",
]

_BAND_KEYS = {"coupling_expected": "median", "coupling_expected_m1s": "m1",
              "coupling_expected_p1s": "p1", "coupling_expected_m2s": "m2",
              "coupling_expected_p2s": "p2"}

def run_muon(config: MuonAnalysisConfig, masses: Sequence[float] | np.ndarray, *,
             seed: int = 1, runs: Sequence[Any] | None = None,
             events_per_mass: int | None = None, background_events: int | None = None,
             executor: Any = None, progress: Callable[[int, int], None] | None = None,
             nminus1: bool = True) -> ReachResult:
    """The 90% CL reach of a muon-beam analysis (see :func:`na64.reach.run_invisible`,
    whose seed layout it keeps); projections to :data:`MUON_PROJECTIONS` MOT."""
    return run_invisible(config, masses, seed=seed, runs=runs,  # type: ignore[arg-type]
                         events_per_mass=events_per_mass,
                         background_events=background_events, executor=executor,
                         progress=progress, nminus1=nminus1, projections=MUON_PROJECTIONS)


def electron_channel(path: str | Path, model: str) -> Channel:
    """An electron-beam ``na64 reach invisible`` dark-photon result as a channel of the
    muon search's ``model`` at unit coupling.

    A vector boson with electron coupling ε e is radiated by the electrons exactly as a dark
    photon of mixing ε (same spin, same dσ/dx), so its signal at unit coupling g is the dark
    photon's bremsstrahlung signal at ε = 1 times ε(g = 1)²: for the L_μ−L_τ Z' the
    loop-induced mixing ε = g :func:`~na64.models.lmu_ltau.loop_mixing` (at its Z' mass;
    its invisible share νν̄ is 1 − O(1e-5) below 2 m_μ, where the electron search lies), for
    the dark photon 1.  The dark photon's annihilation yield is dropped (it assumes
    A' → χχ̄ with the result's α_D; a conservative choice).  A boson that does not couple to
    electrons (``scalar-mu``) has no electron channel.
    """
    if model not in ("lmu-ltau", "dark-photon"):
        raise InputError("--combine-with", f"model {model!r} does not couple to electrons: "
                                           "no electron-beam channel (allowed: lmu-ltau, "
                                           "dark-photon)")
    ch = channel_from_output(path, brem_only=True)
    if model == "lmu-ltau":
        scale = np.array([loop_mixing(float(m)) ** 2 for m in ch.masses])
    else:
        scale = np.ones(ch.masses.size)
    return Channel(ch.name, ch.masses, ch.signal * scale, ch.n_obs, ch.b, ch.sigma_b,
                   ch.sigma_s_rel, ch.notes)


def combine_with_electrons(result: ReachResult, dirs: Sequence[str | Path], *,
                           executor: Any = None) -> ReachResult:
    """Add the electron-beam limit and the joint (muon + electron) limit on the muon
    search's coupling to ``result`` (columns ``coupling_90cl_electron_beam``,
    ``coupling_90cl_combined`` and ``coupling_expected_combined``): joint CLs per mass of
    the channels (:func:`na64.reach.combination.combine_channels`), the electron channels
    from :func:`electron_channel`, interpolated to the muon masses (nothing outside their
    mass range).  A combination is never weaker than its inputs."""
    if not dirs:
        return result
    model = result.config.signal.model
    electrons = [electron_channel(d, model) for d in dirs]
    b, sb = result.background.events(result.eot)
    muon = Channel(f"mu {result.config.name}", result.masses,
                   result.yield_per_eot * _effective_eot(result.runs), result.observed,
                   float(b), float(sb), result.config.signal.yield_rel_uncertainty)
    e_only = combine_channels(electrons, result.masses, expected=False, executor=executor)
    joint = combine_channels([muon, *electrons], result.masses, executor=executor)
    result.extra_columns["coupling_90cl_electron_beam"] = e_only.eps_90
    result.extra_columns["coupling_90cl_combined"] = joint.eps_90
    result.extra_columns["coupling_expected_combined"] = joint.eps_expected["median"]
    result.extra_notes["combination"] = (
        "coupling_90cl_combined: joint CLs of this muon search and the electron-beam "
        f"result(s) {', '.join(str(d) for d in dirs)} (dark-photon bremsstrahlung signal "
        "scaled by the model's electron coupling squared; annihilation dropped); 1 = no "
        "limit")
    return result


def _g_minus_2_spin(result: ReachResult) -> Spin:
    """The one-loop exchange of the model's boson: scalar for ``scalar-mu``, else vector."""
    return "scalar" if result.config.signal.model == "scalar-mu" else "vector"


def _g_minus_2(result: ReachResult) -> tuple[np.ndarray, np.ndarray]:
    """The coupling band that explains Δa_μ (2021 world average, ±2σ) for the model, in the
    model's coupling (g, g_S, or ε = g/e for the dark photon), from the one-loop vector or
    scalar contribution of :func:`na64.physics.g_minus_2.delta_a`."""
    m = np.asarray(result.masses, dtype=float)
    lo, hi = favoured_band(m, DELTA_A_MU_2021, 2.0, spin=_g_minus_2_spin(result))
    if result.config.signal.model == "dark-photon":
        e = math.sqrt(4.0 * math.pi * ALPHA)
        lo, hi = lo / e, hi / e
    return np.asarray(lo), np.asarray(hi)


def muon_limits_table(result: ReachResult) -> list[dict[str, float]]:
    """One row per mass with the columns :data:`MUON_LIMIT_COLUMNS`."""
    lo, hi = _g_minus_2(result)
    rows = []
    for i, p in enumerate(result.points):
        row = {
            "mass_GeV": p.mass / GeV,
            "coupling_90cl": result.eps_90[i],
            **{col: result.eps_expected[k][i] for col, k in _BAND_KEYS.items()},
            **{f"coupling_expected_{k}mot": result.projections[k][i] for k in MUON_PROJECTIONS},
            "g_minus_2_low": lo[i],
            "g_minus_2_high": hi[i],
            "signal_per_mot_coupling1": p.yield_per_eot,
            "signal_per_mot_coupling1_unc": p.yield_per_eot_unc,
            "efficiency": p.efficiency,
            "efficiency_unc": p.efficiency_unc,
            "production_per_mot_coupling1": p.production,
            **{k: v[i] for k, v in result.extra_columns.items()},
        }
        rows.append({k: _finite(v) for k, v in row.items()})
    return rows


def muon_summary(result: ReachResult, *, command: str = "",
                 options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON summary of a muon search (that of ``reach invisible`` with the exposure in
    MOT, the coupling's columns and the muon projections)."""
    s = summary_dict(result, command=command, options=options)
    s["mode"] = "muon"
    s["mot"] = s.pop("eot")
    for r in s["runs"]:
        r["mot"] = r.pop("eot")
    s["coupling"]["limit_columns"] = [c for c in MUON_LIMIT_COLUMNS if c.startswith("coupling")]
    s["coupling"]["g_minus_2"] = ("g_minus_2_low/high: the 2021 (g-2)_mu world average "
                                  "(arXiv:2104.03281), +-2 sigma, one-loop "
                                  f"{_g_minus_2_spin(result)} exchange")
    s.pop("projections_eot", None)
    s["projections_mot"] = dict(MUON_PROJECTIONS)
    if result.extra_columns:
        s["coupling"]["limit_columns"] += [c for c in result.extra_columns
                                           if c.startswith("coupling")]
        s["notes_extra"] = dict(result.extra_notes)
    return s


def write_muon_outputs(result: ReachResult, out_dir: str | Path, *, command: str = "",
                       options: Mapping[str, Any] | None = None, plots: bool = True,
                       overwrite: bool = False) -> list[Path]:
    """Write limits.csv, cutflow.csv, summary.json, nminus1.csv and the figures into
    ``out_dir`` as a whole (as :func:`na64.reach.outputs.write_outputs`; the file names are a
    subset of :data:`na64.reach.outputs.OUTPUT_NAMES`, so the same directory checks and
    :func:`~na64.reach.outputs.reserve_output` apply)."""
    out = Path(out_dir)
    with atomic_directory(out, overwrite=overwrite, marker="summary.json", owned=_owned,
                          what="a reach result", field="--out") as tmp:
        written = []
        path = tmp / "limits.csv"
        atomic_write_text(path, _csv_text(muon_limits_table(result),
                                          [*MUON_LIMIT_COLUMNS, *result.extra_columns]))
        written.append(path)
        path = tmp / "cutflow.csv"
        atomic_write_text(path, _csv_text(cutflow_rows(result), CUTFLOW_COLUMNS))
        written.append(path)
        path = tmp / "summary.json"
        atomic_write_text(path, json.dumps(muon_summary(result, command=command,
                                                        options=options), indent=2) + "\n")
        written.append(path)
        if plots:
            written += _plot(result, tmp)
        if result.nminus1 is not None:
            from .nminus1 import write_nminus1

            written += write_nminus1(result.nminus1, tmp, plots=plots)
    return [out / p.relative_to(tmp) for p in written]


def _plot(result: ReachResult, out: Path) -> list[Path]:
    """``limits.png/.pdf``: the coupling limit with its expected band, the projections and
    the (g−2)_μ band."""
    from ..plots.limits import plot_exclusion, save_figure
    from .plots import _annotate, _figure

    m = result.masses
    exp = {k: result.eps_expected[k] for k in ("median", "m1", "p1", "m2", "p2")}
    proj = [(f"expected, {k} MOT", m, v) for k, v in result.projections.items()]
    lumi = f"{result.eot:.3g} MOT, {result.config.energy / GeV:g} GeV {result.config.beam}"
    ax = plot_exclusion(m, result.eps_90, exp, overlays=proj,
                        ylabel=result.model_info["coupling_label"], experiment="na64",
                        text="  simulation", lumi=lumi)
    lo, hi = _g_minus_2(result)
    ok = hi > 0
    if ok.sum() >= 2:
        ax.fill_between(np.asarray(m)[ok] / GeV, lo[ok], hi[ok], color="tab:green", alpha=0.3,
                        label=r"$(g-2)_\mu$ 2021, $\pm 2\sigma$")
        ax.legend(loc="best", fontsize=12)
    _annotate(ax, result)
    return save_figure(_figure(ax), out / "limits")
