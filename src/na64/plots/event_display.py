"""Event display: the calorimeter cells (both ECAL sections, HCAL modules, WCAL/VHCAL),
veto counters, SRD modules and beam-line tracking of one simulated event.

The display takes the column dictionary of :func:`na64.pipeline.simulate_events` (or of a
file read with :func:`na64.io.events.read_events`) and an event index; it never modifies
global matplotlib state (mplhep style applied in a context).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import matplotlib.style as mstyle
import mplhep as hep
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from ..detector.setup import Calorimeter, Setup
from ..errors import InputError
from ..units import GeV

__all__ = ["draw_event", "event_summary"]

_CALORIMETERS = ("wcal", "ecal", "vhcal", "hcal")
_SECTION_NAMES = {"ecal": ("pre-shower", "main")}


def _n_events(events: Mapping[str, NDArray[np.generic]]) -> int:
    for v in events.values():
        return int(np.asarray(v).shape[0])
    raise InputError("events", "no columns")


def event_summary(events: Mapping[str, NDArray[np.generic]], index: int) -> dict[str, float]:
    """Key numbers of one event: truth and calorimeter sums (energies in GeV)."""
    out: dict[str, float] = {}
    for key in ("true_pdg", "true_energy", "true_e_invisible"):
        if key in events:
            v = float(np.asarray(events[key])[index])
            out[key] = v if key == "true_pdg" else v / GeV
    for name in (*_CALORIMETERS, "veto", "srd"):
        if name in events:
            out[f"E_{name}"] = float(np.asarray(events[name][index], dtype=float).sum()) / GeV
    for key, col in events.items():
        if key.endswith("_momentum"):
            out[key] = float(np.asarray(col)[index]) / GeV
    return out


def _cell_panel(ax: Axes, cells: NDArray[np.float64], title: str,
                cal: Calorimeter | None, vmax: float) -> None:
    ny, nx = cells.shape
    if cal is not None:
        xe, ye = np.asarray(cal.x_edges), np.asarray(cal.y_edges)
        unit = "mm"
    else:
        xe, ye = np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5
        unit = "cell"
    mesh = ax.pcolormesh(xe, ye, cells / GeV, cmap="viridis", vmin=0.0,
                         vmax=max(vmax / GeV, 1e-6), shading="flat")
    if nx * ny <= 64:
        for iy in range(ny):
            for ix in range(nx):
                v = cells[iy, ix] / GeV
                if abs(v) >= 0.01:
                    ax.text(0.5 * (xe[ix] + xe[ix + 1]), 0.5 * (ye[iy] + ye[iy + 1]), f"{v:.2f}",
                            ha="center", va="center", fontsize=7,
                            color="white" if v < 0.6 * vmax / GeV else "black")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"x [{unit}]", fontsize=9)
    ax.set_ylabel(f"y [{unit}]", fontsize=9)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=8)
    cbar = plt.colorbar(mesh, ax=ax, fraction=0.046, pad=0.04)
    cbar.set_label("E [GeV]", fontsize=8)
    cbar.ax.tick_params(labelsize=7)


def _bar_panel(ax: Axes, values: NDArray[np.float64], title: str, unit_scale: float,
               unit: str) -> None:
    ax.bar(np.arange(values.size), values / unit_scale, color="tab:orange")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("counter", fontsize=9)
    ax.set_ylabel(f"E [{unit}]", fontsize=9)
    ax.set_xticks(np.arange(values.size))
    ax.tick_params(labelsize=8)


def _spectrometer_z(setup: Setup | None, name: str, n_st: int) -> tuple[NDArray[np.float64], int,
                                                                     float | None]:
    """Station z (mm), number of upstream stations and magnet z of spectrometer ``name``."""
    line = getattr(setup, "beamline", None) if setup is not None else None
    for spec in getattr(line, "spectrometers", ()) or ():
        if spec.name.lower() == name and len(spec.stations) == n_st:
            from ..beam.tracking import spectrometer_geometry

            geo = spectrometer_geometry(line, spec.name)  # type: ignore[arg-type]
            return np.asarray(geo.z, dtype=float), int(geo.n_up), float(geo.z_kick)
    return np.arange(n_st, dtype=float), n_st // 2, None


def _track_panel(ax: Axes, events: Mapping[str, NDArray[np.generic]], index: int,
                 names: list[str], setup: Setup | None) -> None:
    """Bending-plane view (x vs z) of the spectrometer hits with the fitted straight lines."""
    have_z = False
    for k, name in enumerate(names):
        hits = np.asarray(events[f"{name}_hits_x"][index], dtype=float)
        mask = np.asarray(events.get(f"{name}_hit_mask", np.ones_like(hits, dtype=bool)))
        mask = np.asarray(mask[index] if mask.ndim == 2 else mask, dtype=bool)
        z, n_up, z_kick = _spectrometer_z(setup, name, hits.size)
        have_z |= z_kick is not None
        color = f"C{k}"
        ax.plot(z[mask], hits[mask], "o", color=color, ms=5, label=f"{name} hits")
        for part in (slice(0, n_up), slice(n_up, None)):
            zz, xx = z[part][mask[part]], hits[part][mask[part]]
            if zz.size >= 2:
                slope, icpt = np.polyfit(zz, xx, 1)
                ax.plot(zz[[0, -1]], icpt + slope * zz[[0, -1]], "-", color=color, lw=1.2)
        if z_kick is not None:
            ax.axvline(z_kick, color="grey", ls=":", lw=1.0)
        p = f"{name}_momentum"
        if p in events:
            ax.text(0.05, 0.88 - 0.08 * k, f"{name}: p = {float(events[p][index]) / GeV:.2f} GeV",
                    transform=ax.transAxes, fontsize=8, va="top")
    ax.set_title("tracking (bending plane)", fontsize=10)
    ax.set_xlabel("z [mm]" if have_z else "station", fontsize=9)
    ax.set_ylabel("x [mm]", fontsize=9)
    ax.tick_params(labelsize=8)


def draw_event(events: Mapping[str, NDArray[np.generic]], index: int, *,
               setup: Setup | None = None, title: str | None = None) -> Figure:
    """Draw event ``index``: one heat map per calorimeter section, bars for veto and SRD,
    the spectrometer hits and fitted lines in the bending plane.

    Parameters
    ----------
    events
        Columns as written by :func:`na64.pipeline.simulate_events`.
    index
        Event number, 0-based.
    setup
        If given, cells are drawn at their positions in mm (otherwise in cell units).
    title
        Figure title (default: event number and truth).

    Raises
    ------
    InputError
        ``index`` out of range or no calorimeter columns.
    """
    n = _n_events(events)
    if not 0 <= index < n:
        raise InputError("--event", f"must be in [0, {n - 1}], got {index}")
    panels: list[tuple[str, NDArray[np.float64], Calorimeter | None]] = []
    for name in _CALORIMETERS:
        if name not in events:
            continue
        arr = np.asarray(events[name][index], dtype=float)
        if arr.ndim != 3:
            continue
        det = getattr(setup, name, None) if setup is not None else None
        cal = det if isinstance(det, Calorimeter) else None
        labels = _SECTION_NAMES.get(name, ())
        for k in range(arr.shape[0]):
            label = labels[k] if k < len(labels) and arr.shape[0] == len(labels) else (
                f"module {k}" if arr.shape[0] > 1 else "")
            panels.append((f"{name.upper()} {label}".strip(), arr[k], cal))
    if not panels:
        raise InputError("events", "no calorimeter columns (ecal, hcal, wcal, vhcal) to draw")
    bars = [(key, np.asarray(events[key][index], dtype=float)) for key in ("veto", "srd")
            if key in events and np.asarray(events[key]).ndim == 2]
    trackers = sorted(k[: -len("_hits_x")] for k in events if k.endswith("_hits_x")
                      and np.asarray(events[k]).ndim == 2)
    n_panels = len(panels) + len(bars) + (1 if trackers else 0) + 1
    ncols = min(4, n_panels)
    nrows = int(np.ceil(n_panels / ncols))
    with mstyle.context(hep.style.ROOT):
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.8 * nrows),
                                 squeeze=False)
        flat = list(axes.ravel())
        for ax, (label, cells, cal) in zip(flat, panels, strict=False):
            vmax = float(max(np.max(cells), 1e-9))
            _cell_panel(ax, cells, label, cal, vmax)
        for ax, (key, values) in zip(flat[len(panels):], bars, strict=False):
            _bar_panel(ax, values, key.upper(), 1.0, "MeV")
        if trackers:
            _track_panel(flat[len(panels) + len(bars)], events, index, trackers, setup)
        info_ax = flat[n_panels - 1]
        info_ax.axis("off")
        summary = event_summary(events, index)
        lines = [f"{k} = {v:.4g}" + (" GeV" if k != "true_pdg" else "")
                 for k, v in summary.items()]
        info_ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=9,
                     family="monospace", transform=info_ax.transAxes)
        for ax in flat[n_panels:]:
            ax.axis("off")
        fig.suptitle(title or f"na64 event {index}", fontsize=12)
        fig.tight_layout()
    return fig
