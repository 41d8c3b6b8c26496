"""Figures of a reach job: ε(m_A') and y(m_χ) exclusion plots (PNG + PDF, atomic)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..cache import cached_arrays
from ..plots.limits import plot_exclusion, save_figure
from .invisible import ReachResult

__all__ = ["RELIC_KINDS", "plot_model_reach", "plot_reach"]

#: Dark-matter kinds whose thermal targets are drawn on the y plot.
RELIC_KINDS: tuple[Literal["scalar", "majorana", "pseudo-dirac"], ...] = (
    "scalar", "majorana", "pseudo-dirac")


def _relic_curves(result: ReachResult) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Thermal targets y(m_χ) from na64's freeze-out computation (:mod:`na64.physics.relic`).

    Returned against m_χ = m_A' / ratio (MeV), on the masses of the scan.
    """
    from ..physics.relic import y_thermal

    sig = result.config.signal
    m_chi = np.asarray(result.masses) / sig.mass_ratio
    inside = (m_chi >= 1.0) & (m_chi <= 1000.0)  # validity of y_thermal: 1 MeV - 1 GeV
    if inside.sum() < 2 or not 3.0 <= sig.mass_ratio <= 10.0:
        return []
    def thermal(kind: Literal["scalar", "majorana", "pseudo-dirac"]) -> dict[str, np.ndarray]:
        return {"y": np.asarray(y_thermal(m_chi[inside], kind=kind, alpha_D=sig.alpha_d,
                                          ratio=sig.mass_ratio), dtype=float)}

    curves = []
    for kind in RELIC_KINDS:
        # a freeze-out solution per mass: kept in the disk cache like the physics tables
        key = {"m_chi": m_chi[inside].tolist(), "kind": kind, "alpha_D": float(sig.alpha_d),
               "ratio": float(sig.mass_ratio)}
        y = cached_arrays("relic-y-thermal", key, functools.partial(thermal, kind))["y"]
        ok = np.isfinite(y) & (y > 0)
        if ok.sum() >= 2:
            curves.append((f"thermal relic, {kind} $\\chi$", m_chi[inside][ok], y[ok]))
    return curves


def plot_reach(
    result: ReachResult,
    out_dir: str | Path,
    *,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
) -> list[Path]:
    """Write ``limits.png/.pdf`` (ε vs m_A') and ``limits_y.png/.pdf`` (y vs m_χ).

    The y plot follows arXiv:1906.00176 Fig. 3: y = ε² α_D (m_χ/m_A')⁴ against m_χ for
    m_A' = ratio · m_χ, with the observed limit for the analysis' α_D (bands, solid) and for
    the other α_D of :data:`na64.reach.outputs.Y_ALPHA_D` (dashed), and the thermal targets.
    """
    from .outputs import Y_ALPHA_D

    out = Path(out_dir)
    m = result.masses
    beam = f"{result.eot:.3g} EOT, {result.config.energy / 1000.0:g} GeV {result.config.beam}"
    exp = {k: result.eps_expected[k] for k in ("median", "m1", "p1", "m2", "p2")}
    proj = [(f"expected, {k} EOT", m, v) for k, v in result.projections.items()]
    ax = plot_exclusion(m, result.eps_90, exp, overlays=[*overlays, *proj],
                        ylabel=result.model_info["coupling_label"], experiment="na64",
                        text="  simulation", lumi=beam)
    _annotate(ax, result)
    written = save_figure(_figure(ax), out / "limits")

    sig = result.config.signal
    m_chi = np.asarray(m) / sig.mass_ratio
    y_exp = {k: result.y_of(v) for k, v in exp.items()}
    others = [(f"observed, $\\alpha_D$ = {a:g}", m_chi,
               result.y_of(result.eps_90_for(a), alpha_d=a))
              for a in Y_ALPHA_D if not np.isclose(a, sig.alpha_d)]
    ax_y = plot_exclusion(
        m_chi, result.y_of(result.eps_90), y_exp, overlays=[*others, *_relic_curves(result)],
        xlabel=r"$m_\chi$ [GeV]",
        ylabel=rf"$y = \epsilon^2 \alpha_D (m_\chi/m_{{A'}})^4$  ($\alpha_D$ = {sig.alpha_d:g}, "
               rf"$m_{{A'}} = {sig.mass_ratio:g}\,m_\chi$)",
        experiment="na64", text="  simulation", lumi=beam,
    )
    _annotate(ax_y, result)
    written += save_figure(_figure(ax_y), out / "limits_y")
    return written


def statistics_text(result: ReachResult) -> str:
    """The counting inputs of the limit, for the plot: observed, background, signal syst.

    When the expected background is so small that every quantile of the expected limit is
    the n = 0 limit, the ±1σ/±2σ bands coincide with the median; the text says so, so that
    bands missing from the figure are not mistaken for a plotting error.
    """
    b, db = result.background.events(result.eot)
    text = f"observed {result.observed}, expected background {b:.2g} ± {db:.2g}"
    exp = result.eps_expected
    if all(np.allclose(exp[k], exp["median"], rtol=1e-3) for k in ("m1", "p1", "m2", "p2")
           if k in exp):
        text += "\n(±1σ, ±2σ bands = median at this background)"
    return text


def _annotate(ax: Axes, result: ReachResult) -> None:
    ax.text(0.97, 0.03, statistics_text(result), transform=ax.transAxes, ha="right",
            va="bottom", fontsize=13)


def _figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):  # pragma: no cover - plot_exclusion always makes one
        raise TypeError("axes without a figure")
    return fig


#: Mass axis label per model.
_MASS_LABEL: dict[str, str] = {"alp": r"$m_a$ [GeV]", "b-l": r"$m_{Z'}$ [GeV]",
                               "lmu-ltau": r"$m_{Z'}$ [GeV]"}


def plot_model_reach(
    result: ReachResult,
    out_dir: str | Path,
    *,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
) -> list[Path]:
    """Write ``limits.png/.pdf`` for a model whose boson may decay in flight: the excluded
    region (shaded, between the band's lower edge and its upper edge or the top of the
    plot), the expected lower edge with its bands, the projections and the model's g−2
    bands (:mod:`na64.reach.anomaly_bands`), couplings in the model's reporting unit."""
    from .anomaly_bands import favoured_bands

    out = Path(out_dir)
    m = np.asarray(result.masses, dtype=float)
    scale = float(result.model_info["coupling_scale"])
    beam = f"{result.eot:.3g} EOT, {result.config.energy / 1000.0:g} GeV {result.config.beam}"
    low = np.asarray(result.eps_90, dtype=float) / scale
    exp = {k: np.asarray(result.eps_expected[k], dtype=float) / scale
           for k in ("median", "m1", "p1", "m2", "p2")}
    # log axes: only the masses at which something is excluded (observed and expected)
    sel = np.isfinite(low) & np.all([np.isfinite(v) for v in exp.values()], axis=0)
    proj = [(f"expected, {k} EOT", m[np.isfinite(v)], np.asarray(v)[np.isfinite(v)] / scale)
            for k, v in result.projections.items() if np.isfinite(v).sum() >= 1]
    curves = [*[o for o in overlays if np.size(o[1]) >= 1], *proj]
    if not sel.any() and not curves:
        fig = _empty_figure(result, beam)
        return save_figure(fig, out / "limits")
    ax = plot_exclusion(m[sel] if sel.any() else m[:1], low[sel] if sel.any() else None,
                        {k: v[sel] for k, v in exp.items()} if sel.any() else None,
                        overlays=curves, ylabel=result.model_info["coupling_label"],
                        experiment="na64", text="  simulation", lumi=beam,
                        xlabel=_MASS_LABEL.get(result.config.signal.model, r"$m_X$ [GeV]"),
                        legend_loc="upper left", obs_label="Observed 90% CL, lower edge")
    high = (np.asarray(result.coupling_high, dtype=float) / scale
            if result.coupling_high is not None else np.full(m.size, np.nan))
    ok = np.isfinite(low)
    if ok.any():
        finite_high = high[np.isfinite(high)]
        top = max(ax.get_ylim()[1], 2.0 * float(finite_high.max())) if finite_high.size \
            else ax.get_ylim()[1]
        ax.fill_between(m[ok] / 1000.0, low[ok], np.where(np.isfinite(high[ok]), high[ok], top),
                        color="0.6", alpha=0.25, label="excluded (90% CL)")
        if np.isfinite(high).sum() >= 2:
            hi_ok = np.isfinite(high)
            ax.plot(m[hi_ok] / 1000.0, high[hi_ok], color="black", lw=2,
                    label="Observed 90% CL, upper edge")
        ax.set_ylim(top=top)
    for band in favoured_bands(result.config.signal.model, m):
        if band.drawable:
            ax.fill_between(m / 1000.0, band.low / scale, band.high / scale, alpha=0.3,
                            label=band.label)
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(bottom=ax.get_ylim()[0] / 3.0)  # room for the statistics text
    ax.legend(loc="upper left", fontsize=10)
    _annotate(ax, result)
    return save_figure(_figure(ax), out / "limits")


def _empty_figure(result: ReachResult, beam: str) -> Figure:
    """A figure saying that nothing is excluded at any mass of the scan."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 8))
    ax.text(0.5, 0.5, f"nothing excluded at any mass\n({beam})", ha="center", va="center",
            transform=ax.transAxes, fontsize=16)
    ax.set_xlabel(r"$m$ [GeV]")
    ax.set_ylabel(result.model_info["coupling_label"])
    ax.set_xticks([])
    ax.set_yticks([])
    return fig
