"""Figures of a reach job: ε(m_A') and y(m_χ) exclusion plots (PNG + PDF, atomic)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.figure import Figure

from ..plots.limits import plot_exclusion, save_figure
from .invisible import ReachResult

__all__ = ["RELIC_KINDS", "plot_reach"]

#: Dark-matter kinds whose thermal targets are drawn on the y plot.
RELIC_KINDS: tuple[Literal["scalar", "majorana", "pseudo-dirac"], ...] = (
    "scalar", "majorana", "pseudo-dirac")


def _relic_curves(result: ReachResult) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Thermal targets y(m_χ) from na64's freeze-out computation, vs m_A' = ratio · m_χ."""
    from ..physics.relic import y_thermal

    sig = result.config.signal
    m_a = np.asarray(result.masses)
    m_chi = m_a / sig.mass_ratio
    inside = (m_chi >= 1.0) & (m_chi <= 1000.0)  # validity of y_thermal: 1 MeV - 1 GeV
    if inside.sum() < 2 or not 3.0 <= sig.mass_ratio <= 10.0:
        return []
    curves = []
    for kind in RELIC_KINDS:
        y = np.asarray(y_thermal(m_chi[inside], kind=kind, alpha_D=sig.alpha_d,
                                 ratio=sig.mass_ratio))
        ok = np.isfinite(y) & (y > 0)
        if ok.sum() >= 2:
            curves.append((f"relic target, {kind} χ", m_a[inside][ok], y[ok]))
    return curves


def plot_reach(
    result: ReachResult,
    out_dir: str | Path,
    *,
    overlays: Sequence[tuple[str, np.ndarray, np.ndarray]] = (),
) -> list[Path]:
    """Write ``limits.png/.pdf`` (ε vs m_A') and ``limits_y.png/.pdf`` (y vs m_A')."""
    out = Path(out_dir)
    m = result.masses
    exp = {k: result.eps_expected[k] for k in ("median", "m1", "p1", "m2", "p2")}
    fig = Figure(figsize=(8.0, 6.5))
    ax = fig.add_subplot()
    proj = [(f"expected, {k} EOT", m, v) for k, v in result.projections.items()]
    plot_exclusion(m, result.eps_90, exp, overlays=[*overlays, *proj], ax=ax,
                   ylabel=r"$\epsilon$", text=f"(na64 simulation, {result.eot:.3g} EOT)")
    written = save_figure(fig, out / "limits")

    fig_y = Figure(figsize=(8.0, 6.5))
    ax_y = fig_y.add_subplot()
    sig = result.config.signal
    y_exp = {k: result.y_of(v) for k, v in exp.items()}
    relic = _relic_curves(result)
    plot_exclusion(
        m, result.y_of(result.eps_90), y_exp, overlays=relic, ax=ax_y,
        ylabel=rf"$y = \epsilon^2 \alpha_D (m_\chi/m_{{A'}})^4$, $\alpha_D$ = {sig.alpha_d:g}, "
               rf"$m_{{A'}} = {sig.mass_ratio:g}\,m_\chi$",
        text=f"(na64 simulation, {result.eot:.3g} EOT)",
    )
    written += save_figure(fig_y, out / "limits_y")
    return written
