"""Exclusion-limit figures: observed limit, expected Brazil bands, other results, relic line.

Style: mplhep's ROOT-like style applied as a context (the caller's rcParams are untouched),
log-log axes, the ±1σ band green and the ±2σ band yellow as in the LEP/LHC limit plots, and
the experiment label "NA64 (na64 simulation)" so that a figure made with this toolkit is never
mistaken for an official NA64 result.  Figures are built with :class:`matplotlib.figure.Figure`
(no pyplot state) and written atomically (:func:`na64.io.atomic.atomic_path`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.style as mstyle
import mplhep as hep
import numpy as np
from hepunits import GeV
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..io.atomic import atomic_path
from ..io.curves import read_overlay_csv

__all__ = [
    "BAND_COLORS",
    "plot_exclusion",
    "read_overlay_csv",
    "save_figure",
]

#: Fill colours of the expected-limit bands (±1σ green, ±2σ yellow).
BAND_COLORS: dict[str, str] = {"1sigma": "#00c000", "2sigma": "#ffdd00"}

Overlay = tuple[str, ArrayLike, ArrayLike]


@contextlib.contextmanager
def _quiet_font_fallback() -> Iterator[None]:
    """The ROOT-like style asks mathtext for a 'cursive' family most systems lack; matplotlib
    falls back to DejaVu Sans and logs a warning per figure when rendering, which would spoil
    --quiet batch logs.  Raise that logger's level only while we render."""
    logger = logging.getLogger("matplotlib.font_manager")
    old = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # the style's first font lacks the superscript digits of the tick labels; the
            # next font of the list (DejaVu Sans) draws them
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            yield
    finally:
        logger.setLevel(old)


def _curve(values: ArrayLike, field: str, size: int | None = None) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size < 1:
        raise InputError(field, "must be a non-empty 1-D array")
    if size is not None and arr.size != size:
        raise InputError(field, f"must have one value per mass ({size}), got {arr.size}")
    if np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(field, "must be finite and > 0 (log axes)")
    return arr


_SUPERSCRIPT = str.maketrans("0123456789-−+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺")


class UnicodeLogFormatter(LogFormatterSciNotation):
    """Log-axis tick labels as plain text with Unicode superscripts ("10⁻³", "2×10⁻³"):
    the labels of :class:`matplotlib.ticker.LogFormatterSciNotation` without mathtext,
    whose parser costs ~10 ms per label and resolution (a figure saved as PNG and PDF
    parses each label for both).  A label that has no plain-text form keeps mathtext."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        label = super().__call__(x, pos)
        m = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", label)
        if m is None:
            return label
        text = re.sub(r"\^\{([^{}]*)\}", lambda e: e.group(1).translate(_SUPERSCRIPT),
                      m.group(1)).replace(r"\times", "×")
        return label if any(c in text for c in "\\{}^$") else text


def save_figure(fig: Figure, output: str | os.PathLike[str], *, dpi: float = 200,
                tight: bool = True) -> list[Path]:
    """Write ``fig`` as ``<output>.png`` and ``<output>.pdf``, each atomically.

    Parameters
    ----------
    fig
        The figure.
    output
        Path without suffix, or with a ``.png`` / ``.pdf`` suffix (which is replaced).
    dpi
        Resolution of the PNG (the PDF is vector graphics).
    tight
        Crop each file to the drawn artists (``bbox_inches="tight"``, one more drawing pass
        per file); ``False`` keeps the figure's own size and margins.

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    base = Path(output)
    if base.suffix.lower() in (".png", ".pdf"):
        base = base.with_suffix("")
    paths = []
    bbox = None
    if tight:
        # the drawn extent, found once for both files (each savefig would draw for it)
        import matplotlib as mpl

        with _quiet_font_fallback():
            fig.draw_without_rendering()
            bbox = fig.get_tightbbox().padded(mpl.rcParams["savefig.pad_inches"])
    for fmt in ("png", "pdf"):
        target = base.with_name(f"{base.name}.{fmt}")
        with atomic_path(target) as tmp, _quiet_font_fallback():
            fig.savefig(tmp, format=fmt, dpi=dpi if fmt == "png" else None, bbox_inches=bbox)
        paths.append(target)
    return paths


def plot_exclusion(
    masses: ArrayLike,
    eps_obs: ArrayLike | None = None,
    expected: Mapping[str, ArrayLike] | None = None,
    overlays: Sequence[Overlay] = (),
    ax: Axes | None = None,
    *,
    ylabel: str = "ε",
    xlabel: str = r"$m_{A'}$ [GeV]",
    relic: tuple[ArrayLike, ArrayLike] | None = None,
    cl: float = 0.90,
    experiment: str = "NA64",
    text: str = "simulation",
    lumi: str | None = None,
    legend_loc: str = "best",
    output: str | os.PathLike[str] | None = None,
    obs_label: str | None = None,
) -> Axes:
    """Draw an exclusion plot: observed limit, expected median with ±1σ/±2σ bands, overlays.

    Parameters
    ----------
    masses
        Masses in internal units (MeV); plotted in GeV.
    eps_obs
        Observed upper limit per mass (e.g. ``exclusion_eps(...).eps``), or ``None``.
    expected
        ``{"median", "m1", "p1", "m2", "p2"}`` -> limit per mass (e.g. from
        :func:`na64.stats.exclusion_eps_bands`); bands are drawn for the pairs present.
    overlays
        ``[(label, masses, values), ...]`` other results (masses in internal units), e.g. from
        :func:`read_overlay_csv`.
    ax
        Axes to draw into; a new styled figure is made when ``None``.
    ylabel, xlabel
        Axis labels (``ylabel`` e.g. ``r"$y = \\epsilon^2 \\alpha_D (m_\\chi/m_{A'})^4$"``).
    relic
        ``(masses, values)`` of a thermal-relic target line (user supplied), or ``None``.
    cl
        Confidence level used in the legend text.
    experiment, text
        Experiment label (bold) and its qualifier (italic), top left.
    lumi
        Exposure or beam text drawn top right (e.g. ``"2.84e11 EOT, 100 GeV e⁻"``).
    legend_loc
        Matplotlib legend location.
    output
        If given, the figure is saved as ``<output>.png`` and ``<output>.pdf`` (atomically).
    obs_label
        Legend label of ``eps_obs`` (default ``"Observed <cl>% CL"``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    m = _curve(masses, "masses") / GeV
    if eps_obs is None and not expected and not overlays:
        raise InputError("eps_obs", "nothing to plot: give eps_obs, expected or overlays")
    if expected is not None and "median" not in expected:
        raise InputError("expected", "must contain the key 'median' (and m1/p1, m2/p2 for bands)")
    pct = f"{100.0 * cl:g}% CL"
    with mstyle.context(hep.style.ROOT):
        if ax is None:
            fig = Figure(figsize=(10.0, 8.5))
            ax = fig.add_subplot()
        if expected is not None:
            for lo, hi, key, name in (
                ("m2", "p2", "2sigma", "±2σ"),
                ("m1", "p1", "1sigma", "±1σ"),
            ):
                if lo in expected and hi in expected:
                    ax.fill_between(
                        m,
                        _curve(expected[lo], f"expected.{lo}", m.size),
                        _curve(expected[hi], f"expected.{hi}", m.size),
                        color=BAND_COLORS[key],
                        lw=0,
                        label=f"Expected {name}",
                    )
            ax.plot(
                m,
                _curve(expected["median"], "expected.median", m.size),
                color="black",
                ls="--",
                lw=1.8,
                label=f"Expected {pct}",
            )
        if eps_obs is not None:
            ax.plot(
                m,
                _curve(eps_obs, "eps_obs", m.size),
                color="black",
                ls="-",
                lw=2.4,
                label=f"Observed {pct}" if obs_label is None else obs_label,
            )
        for i, (label, om, ov) in enumerate(overlays):
            xm = _curve(om, f"overlays[{i}].masses") / GeV
            ax.plot(
                xm, _curve(ov, f"overlays[{i}].values", xm.size), lw=1.6, ls="-.", label=str(label)
            )
        if relic is not None:
            rm = _curve(relic[0], "relic.masses") / GeV
            ax.plot(
                rm,
                _curve(relic[1], "relic.values", rm.size),
                color="black",
                ls=":",
                lw=1.8,
                label="Relic density",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(UnicodeLogFormatter())
            axis.set_minor_formatter(UnicodeLogFormatter(labelOnlyBase=False))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        lo_m, hi_m = float(np.min(m)), float(np.max(m))
        if hi_m > lo_m:
            ax.set_xlim(lo_m, hi_m)
        legend_kw: dict[str, Any] = {"loc": legend_loc, "fontsize": 15, "frameon": False}
        ax.legend(**legend_kw)
        ax.tick_params(labelsize=18)
        ax.xaxis.label.set_fontsize(20)
        ax.yaxis.label.set_fontsize(20)
        hep.label.exp_text(experiment, text, lumi=lumi, ax=ax, loc=0, fontsize=20)
        if output is not None:
            root = ax.get_figure(root=True)
            if isinstance(root, Figure):
                save_figure(root, output)
    return ax
