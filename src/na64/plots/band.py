"""The excluded band of a visible-decay search in (mass, coupling), with published bands."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from ..units import MeV
from .limits import save_figure

__all__ = ["X17_MASS", "plot_band", "read_band_csv"]

#: Mass of the X17 boson of the 8Be anomaly (A. J. Krasznahorkay et al., PRL 116, 042501
#: (2016), arXiv:1504.01527: 16.70 ± 0.35 (stat) ± 0.5 (syst) MeV).
X17_MASS = 16.7 * MeV


def read_band_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(masses [MeV], low, high) of a band file with columns ``mass_GeV, epsilon_low,
    epsilon_high`` (``#`` comments allowed)."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    header = [h.strip() for h in lines[0].split(",")]
    rows = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]], dtype=float)
    col = {h: rows[:, i] for i, h in enumerate(header)}
    return col["mass_GeV"] * 1000.0 * MeV, col["epsilon_low"], col["epsilon_high"]


def _closed(m: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The outline of a band: along the lower edge, back along the upper edge."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    m, lo, hi = m[ok], lo[ok], hi[ok]
    return np.concatenate([m, m[::-1]]), np.concatenate([lo, hi[::-1]])


def plot_band(masses: ArrayLike, low: ArrayLike, high: ArrayLike, output: str | Path, *,
              expected: tuple[ArrayLike, ArrayLike] | None = None,
              projections: Sequence[tuple[str, ArrayLike, ArrayLike]] = (),
              published: Sequence[tuple[str, ArrayLike, ArrayLike, ArrayLike]] = (),
              coupling_label: str = r"$\varepsilon$", title: str = "",
              mark_x17: bool = True) -> list[Path]:
    """Draw the excluded band (filled), the expected band edges, projections and published
    bands (outlines) against the mass in MeV; writes ``output``.png and .pdf.

    NaN edges (masses where nothing is excluded) are left out of the outlines.
    """
    import matplotlib.style as mstyle
    import mplhep as hep
    from matplotlib.figure import Figure

    m = np.asarray(masses, dtype=float) / MeV
    with mstyle.context(hep.style.ROOT):
        fig = Figure(figsize=(8.5, 7.0))
        ax = fig.subplots()
        x, y = _closed(m, np.asarray(low, float), np.asarray(high, float))
        if x.size:
            ax.fill(x, y, color="tab:blue", alpha=0.35, lw=0)
            ax.plot(x, y, color="tab:blue", lw=2, label="na64: excluded (90% CL)")
        if expected is not None:
            x, y = _closed(m, np.asarray(expected[0], float), np.asarray(expected[1], float))
            if x.size:
                ax.plot(x, y, color="black", ls="--", lw=1.5, label="na64: expected (median)")
        for k, (label, lo, hi) in enumerate(projections):
            x, y = _closed(m, np.asarray(lo, float), np.asarray(hi, float))
            if x.size:
                ax.plot(x, y, color=f"C{k + 2}", ls="-.", lw=1.5, label=label)
        for k, (label, pm, lo, hi) in enumerate(published):
            x, y = _closed(np.asarray(pm, float) / MeV, np.asarray(lo, float),
                           np.asarray(hi, float))
            ax.plot(x, y, color=("tab:red", "tab:orange", "tab:purple")[k % 3], lw=2,
                    ls=":", label=label)
        if mark_x17:
            ax.axvline(X17_MASS / MeV, color="grey", ls="--", lw=1)
            ax.text(X17_MASS / MeV * 1.02, 0.5, "X17", transform=ax.get_xaxis_transform(),
                    color="grey", fontsize=12)
        from matplotlib.ticker import NullFormatter, ScalarFormatter

        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("mass [MeV]")
        ax.set_ylabel(coupling_label)
        if title:
            ax.set_title(title, fontsize=13)
        ax.legend(fontsize=10, loc="lower left", frameon=False)
        fig.tight_layout()
    return save_figure(fig, output)
