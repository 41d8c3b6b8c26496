"""Figures of a reach job: ε(m_A') and y(m_χ) exclusion plots (PNG + PDF, atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..plots.limits import plot_exclusion, save_figure
from .invisible import ReachResult

__all__ = ["RELIC_KINDS", "plot_reach"]

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
    curves = []
    for kind in RELIC_KINDS:
        y = np.asarray(y_thermal(m_chi[inside], kind=kind, alpha_D=sig.alpha_d,
                                 ratio=sig.mass_ratio))
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
