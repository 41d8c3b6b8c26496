"""N−1 distributions of the invisible-mode selection for signal and background samples.

For every cut, the distribution of its variable for the events that pass *all other* cuts
(:meth:`na64.select.Selection.n_minus_1`): the standard way to show that a cut sits where
signal and background separate (e.g. arXiv:1710.00971, Figs. 5-7, for the NA64 cuts).

Samples
-------
* ``signal m=…``: the first signal process of the analysis (weighted) at up to three
  masses of the scan (lowest, middle, highest), through the same chain as
  :meth:`na64.reach.Search.signal_point`;
* ``e- beam``: electrons of the beam core (the EOT themselves);
* ``pi- beam``, ``K- beam``: hadrons at the beam momentum with the beam's spot and divergence
  (their SRD tag is part of the distributions; the admixture fractions are not applied:
  shapes, not rates — rates are in ``cutflow.csv``).

Signal events are generated with E_A' above the reach job's generation threshold (a few σ
below the signal-box edge), so the signal E_ECAL distribution ends a little above the box
edge by construction.

Histograms are written as ``nminus1.csv`` (bin edges in the cut's display unit, weighted
sums and their squares, and the fraction of the sample in each bin) and drawn, one panel per
cut, normalised to unit area, in ``nminus1.png/.pdf``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_write_text
from ..units import GeV, MeV, mm
from .search import Search

__all__ = ["NMinus1", "nminus1_distributions", "plot_nminus1", "write_nminus1"]

#: Display unit and histogram range (in that unit, for a 100 GeV beam) per cut of the
#: invisible selection; the ranges of the cuts in :data:`_SCALED` follow the beam energy.
_BINNING: dict[str, tuple[str, float, float, int]] = {
    "srd": ("MeV", 0.0, 150.0, 60),
    "veto": ("MeV", 0.0, 10.0, 50),
    "single_track": ("", -0.5, 3.5, 4),
    "beam_momentum": ("GeV", 85.0, 115.0, 60),
    "preshower": ("GeV", 0.0, 30.0, 60),
    "shower_shape": ("", 0.0, 20.0, 50),
    "ecal_max": ("GeV", 0.0, 110.0, 55),
    "hcal_max": ("GeV", 0.0, 20.0, 50),
    "w2_veto": ("MeV", 0.0, 3.0, 60),
    "decay_counter": ("MeV", 0.0, 6.0, 60),
    "tracker": ("mm", -1.5, 1.5, 60),
    "ecal_min": ("GeV", 0.0, 110.0, 55),
    "energy_sum": ("GeV", 80.0, 120.0, 80),
}
_SCALED = ("beam_momentum", "ecal_max", "preshower", "hcal_max", "ecal_min", "energy_sum")


def _binning(cut: str, energy: float) -> tuple[str, float, float, int]:
    """Unit, range and bins of the N−1 histogram of ``cut`` for a beam of ``energy``."""
    unit, lo, hi, nb = _BINNING.get(cut, ("", 0.0, 1.0, 50))
    if cut in _SCALED:
        f = energy / (100.0 * GeV)
        lo, hi = lo * f, hi * f
    return unit, lo, hi, nb
_UNITS = {"MeV": MeV, "GeV": GeV, "mm": mm, "": 1.0}


@dataclass(frozen=True)
class NMinus1:
    """N−1 histograms: ``hists[sample][cut]`` is a ``hist.Hist`` (internal units)."""

    samples: tuple[str, ...]
    cuts: tuple[str, ...]
    hists: dict[str, dict[str, Any]]
    cut_values: dict[str, Any]
    units: dict[str, str]


def _representative(masses: Sequence[float] | np.ndarray) -> list[float]:
    m = sorted(float(x) for x in masses)
    picks = [m[0], m[len(m) // 2], m[-1]]
    return sorted(set(picks))


def nminus1_distributions(
    search: Search | Any,
    masses: Sequence[float] | np.ndarray,
    seed: np.random.SeedSequence | int,
    *,
    n_signal: int = 3000,
    n_background: int = 20_000,
) -> NMinus1:
    """N−1 histograms of every cut for signal (≤ 3 masses of ``masses``) and beam samples.

    Parameters
    ----------
    search
        The search (pipeline, selection, processes) of an analysis: a
        :class:`~na64.reach.Search` or any object with ``pipeline``, ``selection`` and
        ``signal_sample(mass, rng, n) -> (truth with "weight", events, e_min)``.
    masses
        A' masses of the scan (MeV); the lowest, middle and highest are used.
    seed
        A ``SeedSequence`` (or an int for one); every sample gets its own child.
    n_signal, n_background
        Events per signal mass and per beam sample.
    """
    pipe = search.pipeline
    energy = pipe.energy
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    picks = _representative(masses)
    beam_names = [pipe.beam.particle] + [a.particle for a in pipe.beam.admixtures
                                  if a.particle in ("pi-", "K-", "pi+", "K+", "p")]
    children = ss.spawn(len(picks) + len(beam_names))
    samples: dict[str, tuple[dict[str, np.ndarray], np.ndarray | None]] = {}
    for m, child in zip(picks, children, strict=False):
        truth, ev, _ = search.signal_sample(m, np.random.default_rng(child), n_signal)
        samples[f"signal m={m / MeV:.3g} MeV"] = (ev, np.asarray(truth["weight"], dtype=float))
    for name, child in zip(beam_names, children[len(picks):], strict=True):
        rng = np.random.default_rng(child)
        if name == pipe.beam.particle:
            ev = pipe.events(pipe.core(n_background, rng), rng)
        else:
            ev = pipe.events(pipe.as_species(pipe.core(n_background, rng), name), rng)
        samples[f"{name} beam"] = (ev, None)

    sel = search.selection
    cuts = tuple(c.name for c in sel.cuts if c.enabled)
    hists: dict[str, dict[str, Any]] = {}
    for label, (ev, w) in samples.items():
        hists[label] = {}
        for cut in cuts:
            unit, lo, hi, nb = _binning(cut, energy)
            scale = _UNITS[unit]
            edges = np.linspace(lo * scale, hi * scale, nb + 1)
            hists[label][cut] = sel.n_minus_1(ev, cut, edges, weights=w)
    return NMinus1(tuple(samples), cuts, hists, {c.name: c.value for c in sel.cuts},
                   {c: _binning(c, energy)[0] for c in cuts})


def _csv(result: NMinus1) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["sample", "cut", "unit", "bin_low", "bin_high", "sum_w", "sum_w2",
                     "fraction"])
    for sample in result.samples:
        for cut in result.cuts:
            h = result.hists[sample][cut]
            unit = result.units[cut]
            scale = _UNITS[unit]
            edges = h.axes[0].edges / scale
            vals = np.asarray(h.values(), dtype=float)
            var = h.variances()
            var = vals if var is None else np.asarray(var, dtype=float)
            total = float(vals.sum())
            frac = vals / total if total > 0 else np.zeros_like(vals)
            for i in range(vals.size):
                writer.writerow([sample, cut, unit, f"{edges[i]:.6g}", f"{edges[i + 1]:.6g}",
                                 f"{vals[i]:.6g}", f"{var[i]:.6g}", f"{frac[i]:.6g}"])
    return buf.getvalue()


def write_nminus1(result: NMinus1, out_dir: str | Path, *, plots: bool = True) -> list[Path]:
    """Write ``nminus1.csv`` (and ``nminus1.png/.pdf``) into ``out_dir``, atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "nminus1.csv"
    atomic_write_text(path, _csv(result))
    written = [path]
    if plots:
        written += plot_nminus1(result, out / "nminus1")
    return written


def plot_nminus1(result: NMinus1, stem: str | Path) -> list[Path]:
    """Write the N−1 figure (one panel per cut) as ``<stem>.png`` and ``<stem>.pdf``.

    Returns
    -------
    list of Path
        The two files written.
    """
    import matplotlib.style as mstyle
    import mplhep as hep
    from matplotlib.figure import Figure

    from ..plots.limits import UnicodeLogFormatter, save_figure

    n = len(result.cuts)
    ncols = 4
    nrows = math.ceil(n / ncols)
    with mstyle.context(hep.style.ROOT):
        fig = Figure(figsize=(5.0 * ncols, 4.2 * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, cut in zip(axes, result.cuts, strict=False):
            unit = result.units[cut]
            scale = _UNITS[unit]
            for k, sample in enumerate(result.samples):
                h = result.hists[sample][cut]
                vals = np.asarray(h.values(), dtype=float)
                total = vals.sum()
                if total <= 0:
                    continue
                edges = h.axes[0].edges / scale
                ls = "-" if sample.startswith("signal") else "--"
                ax.stairs(vals / total, edges, color=f"C{k}", ls=ls, lw=1.5, label=sample)
            value = result.cut_values.get(cut)
            for v in np.atleast_1d(np.asarray(value, dtype=float)) if value is not None else ():
                ax.axvline(v / scale, color="black", ls=":", lw=1.2)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(UnicodeLogFormatter())
            ax.yaxis.set_minor_formatter(UnicodeLogFormatter(labelOnlyBase=False))
            ax.set_xlabel(f"{cut}" + (f" [{unit}]" if unit else ""), fontsize=13)
            ax.set_ylabel("fraction / bin", fontsize=13)
            ax.tick_params(labelsize=11)
        for ax in axes[n:]:
            ax.axis("off")
        handles: dict[str, Any] = {}
        for ax in axes[:n]:
            for hnd, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, hnd)
        fig.legend(list(handles.values()), list(handles), loc="lower center",
                   ncol=min(len(handles), 6), fontsize=12, frameon=False)
        fig.suptitle("N−1 distributions (all other cuts applied; dotted: cut value)",
                     fontsize=15)
        # fixed margins (in inches, so any number of rows fits): no layout pass
        height = 4.2 * nrows
        fig.subplots_adjust(left=0.055, right=0.99, wspace=0.3, hspace=0.42,
                            bottom=1.05 / height, top=1.0 - 0.6 / height)
    # a 20-inch-wide grid of panels: 120 dpi gives 2400 pixels (the PDF is for print); the
    # margins above hold every label, so no cropping pass
    return save_figure(fig, stem, dpi=120, tight=False)
