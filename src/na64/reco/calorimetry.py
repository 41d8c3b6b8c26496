"""Calorimeter reconstruction: energy sums, centre of gravity and the EM shower-shape chi^2.

All functions are pure and vectorized: they take the columns written by
:func:`na64.pipeline.simulate_events` (cell arrays with the event as first axis) and return
one value (or one row) per event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..detector.response import MeanEMShower, build_stack
from ..detector.setup import Calorimeter, Setup
from ..errors import InputError
from ..units import GeV
from .shower_table import cell_fraction_table

__all__ = [
    "ShowerFit",
    "cell_centers",
    "center_of_gravity",
    "ecal_energy",
    "fit_shower",
    "hcal_energy",
    "max_cell",
    "preshower_energy",
    "shape_fluctuation",
    "shower_chi2",
    "veto_energy",
]

FloatArray = NDArray[np.float64]


def _cells(cells: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(cells, dtype=float)
    if arr.ndim != 4:
        raise InputError(name, f"expected an array (n, sections, ny, nx), got shape {arr.shape}")
    return arr


def ecal_energy(ecal: ArrayLike) -> FloatArray:
    """Total ECAL energy per event (all sections and cells), MeV."""
    return _cells(ecal, "ecal").sum(axis=(1, 2, 3))


def preshower_energy(ecal: ArrayLike) -> FloatArray:
    """Energy of the first ECAL section (the pre-shower) per event, MeV."""
    return _cells(ecal, "ecal")[:, 0].sum(axis=(1, 2))


def hcal_energy(hcal: ArrayLike, module: int | None = None) -> FloatArray:
    """HCAL energy per event (all modules, or one ``module``), MeV."""
    arr = _cells(hcal, "hcal")
    if module is None:
        return arr.sum(axis=(1, 2, 3))
    if not 0 <= module < arr.shape[1]:
        raise InputError("module", f"must be in [0, {arr.shape[1] - 1}], got {module}")
    return arr[:, module].sum(axis=(1, 2))


def veto_energy(veto: ArrayLike) -> FloatArray:
    """Largest veto-counter energy per event (MeV); a charged particle fires all counters."""
    arr = np.asarray(veto, dtype=float)
    if arr.ndim != 2:
        raise InputError("veto", f"expected an array (n, counters), got shape {arr.shape}")
    return arr.max(axis=1)


def cell_centers(calorimeter: Calorimeter) -> tuple[FloatArray, FloatArray]:
    """Cell-centre coordinates (x of each column, y of each row), mm."""
    xe = np.asarray(calorimeter.x_edges)
    ye = np.asarray(calorimeter.y_edges)
    return 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])


def max_cell(cells: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(iy, ix) of the cell with the largest energy summed over sections, per event."""
    arr = _cells(cells, "cells").sum(axis=1)
    flat = arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:]))).argmax(axis=1)
    iy, ix = np.unravel_index(flat, arr.shape[1:])
    return iy.astype(np.int64), ix.astype(np.int64)


def center_of_gravity(
    cells: ArrayLike, calorimeter: Calorimeter, *, weighting: Literal["linear", "log"] = "log",
    w0: float = 4.0,
) -> tuple[FloatArray, FloatArray]:
    """Shower position (x, y) in mm from the energy-weighted cell centres.

    ``weighting="log"`` uses w_i = max(0, w0 + ln(E_i/E)) (T. C. Awes et al., NIM A 311
    (1992) 130), which reduces the bias towards the cell centre of linear weights.
    Events with no positive energy return the grid centre.
    """
    arr = np.maximum(_cells(cells, "cells").sum(axis=1), 0.0)
    xc, yc = cell_centers(calorimeter)
    total = arr.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    if weighting == "log":
        with np.errstate(divide="ignore"):
            w = np.maximum(w0 + np.log(np.maximum(arr, 1e-300) / safe[:, None, None]), 0.0)
    elif weighting == "linear":
        w = arr
    else:
        raise InputError("weighting", f"must be 'linear' or 'log', got {weighting!r}")
    wsum = w.sum(axis=(1, 2))
    ok = wsum > 0
    wsafe = np.where(ok, wsum, 1.0)
    x = (w.sum(axis=1) * xc[None, :]).sum(axis=1) / wsafe
    y = (w.sum(axis=2) * yc[None, :]).sum(axis=1) / wsafe
    return np.where(ok, x, calorimeter.center[0]), np.where(ok, y, calorimeter.center[1])


ShapeTable = tuple[tuple[float, float], ...]


def shape_fluctuation(calorimeter: Calorimeter, energy: ArrayLike,
                      table: ShapeTable | float | None = None) -> FloatArray:
    """Relative fluctuation c(E) of the lateral cell fractions of an EM shower of energy E.

    ``table`` (rows (E, c), E increasing; or one constant) defaults to the calorimeter's
    calibrated ``shape_fluctuation``; c is interpolated linearly in ln E and constant
    outside the table.
    """
    tab = table if table is not None else calorimeter.shape_fluctuation
    if tab is None:
        raise InputError("shape_fluctuation", "the calorimeter is not calibrated; run "
                         "na64.reco.calibrate_shower_shape or give a table")
    e = np.maximum(np.asarray(energy, dtype=float), 1e-6)
    if isinstance(tab, (int, float)):
        return np.full_like(e, float(tab))
    arr = np.asarray(tab, dtype=float)
    return np.interp(np.log(e), np.log(arr[:, 0]), arr[:, 1])


def _window(values: FloatArray, iy: NDArray[np.int64], ix: NDArray[np.int64],
            window: int) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Values of the (2w+1)^2 cells around (iy, ix) per event, and which exist."""
    ny, nx = values.shape[1:]
    rows = np.arange(values.shape[0])
    out, ok = [], []
    for dy in range(-window, window + 1):
        for dx in range(-window, window + 1):
            jy, jx = iy + dy, ix + dx
            inside = (jy >= 0) & (jy < ny) & (jx >= 0) & (jx < nx)
            out.append(values[rows, np.clip(jy, 0, ny - 1), np.clip(jx, 0, nx - 1)])
            ok.append(inside)
    return np.stack(out, axis=1), np.stack(ok, axis=1)


def target_calorimeter(setup: Setup, detector: str | None = None) -> tuple[str, Calorimeter]:
    """(name, calorimeter) of the setup's target, the only one the shower-shape comparison
    applies to: the expected profile is that of a shower starting at the target face."""
    name = detector or setup.target_name
    if name != setup.target_name:
        raise InputError("detector", f"the shower-shape chi^2 applies to the target "
                                     f"calorimeter {setup.target_name!r}, got {name!r}")
    return name, setup.target


def _calibration(setup: Setup, name: str, cal: Calorimeter) -> ShapeTable:
    if cal.shape_fluctuation is not None:
        return cal.shape_fluctuation
    from .calibration import calibrate_shower_shape_cached

    return calibrate_shower_shape_cached(setup, name)


@dataclass(frozen=True)
class ShowerFit:
    """Measured and expected cell energies of the shower-shape comparison (per event)."""

    measured: FloatArray  #: (n, cells) energies of the window around the maximum cell
    expected: FloatArray  #: (n, cells) mean EM shower at the fitted impact point
    inside: NDArray[np.bool_]  #: (n, cells) which window cells exist
    total: FloatArray  #: (n,) measured total energy
    x: FloatArray  #: (n,) fitted impact point (mm)
    y: FloatArray
    stochastic2: float  #: stochastic^2 GeV (MeV^2 per MeV)
    noise2: float  #: noise^2 summed over sections (MeV^2)
    n_fit: int  #: fitted parameters (2 with the position fit, else 0)
    shape: FloatArray  #: (n,) shape fluctuation c(E) used by the fit

    def variance(self, c: ArrayLike | None = None) -> FloatArray:
        """Cell variances for a shape fluctuation ``c`` (scalar or one per event; default
        the fit's own)."""
        e = np.maximum(self.expected, 0.0)
        tot = self.total[:, None]
        f = np.clip(e / np.where(tot > 0, tot, 1.0), 0.0, 1.0)
        c_ = self.shape if c is None else c
        cc = np.broadcast_to(np.asarray(c_, dtype=float), self.total.shape)[:, None]
        var = self.stochastic2 * e * (1.0 - f) + self.noise2 + (cc * f * (1.0 - f) * tot) ** 2
        return np.maximum(var, 1e-6)

    def chi2(self, c: ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
        """(chi^2, ndf) per event for a shape fluctuation ``c`` (default the fit's own);
        empty events get (0, 0)."""
        r2 = (self.measured - self.expected) ** 2 / self.variance(c)
        chi2 = np.where(self.inside, r2, 0.0).sum(axis=1)
        ndf = np.maximum(self.inside.sum(axis=1) - self.n_fit, 1).astype(float)
        empty = self.total <= 0
        return np.where(empty, 0.0, chi2), np.where(empty, 0.0, ndf)


def fit_shower(
    cells: ArrayLike, setup: Setup, *, detector: str | None = None, window: int = 1,
    fit_position: bool = True, iterations: int = 3,
    shape: ShapeTable | float | None = None, exact: bool = False,
) -> ShowerFit:
    """Compare the cells around the most energetic one with the mean EM shower.

    The impact point starts at the log-weighted centre of gravity and, with
    ``fit_position``, is fitted by ``iterations`` Gauss-Newton steps (finite-difference
    derivatives of the expected cell energies, weights from the variance model of
    :func:`shower_chi2`).  ``shape`` (a table or a constant) overrides the calibrated shape
    fluctuation of the calorimeter.

    The expected cell energies are interpolated in the mean shower's tabulated cell
    fractions (:mod:`na64.reco.shower_table`; within 5% of a cell's standard deviation,
    1e-4 of the shower energy above 3 GeV) where the calorimeter's cells are
    identical and the energy and offsets lie in the table; elsewhere, and with ``exact``,
    the lateral profile of every shower slice is integrated over the cells at each trial
    point.
    """
    name, cal = target_calorimeter(setup, detector)
    if window < 1:
        raise InputError("window", f"must be >= 1, got {window}")
    if shape is None:
        shape = _calibration(setup, name, cal)
    arr = _cells(cells, name)
    total = np.maximum(arr.sum(axis=(1, 2, 3)), 0.0)
    iy, ix = max_cell(arr)
    m, ok = _window(arr.sum(axis=1), iy, ix, window)

    table = None if exact else cell_fraction_table(setup, name)
    # only the cells of the window are integrated: a block of (2 window + 1)^2 cells
    # around the maximum, shifted to lie inside the grid, holds every (clipped) window cell
    ny, nx = arr.shape[2:]
    wy, wx = min(2 * window + 1, ny), min(2 * window + 1, nx)
    by = np.clip(iy - window, 0, ny - wy)
    bx = np.clip(ix - window, 0, nx - wx)
    offsets = np.arange(-window, window + 1)
    ly = (np.clip(iy[:, None, None] + offsets[None, :, None], 0, ny - 1)
          - by[:, None, None]).repeat(offsets.size, axis=2).reshape(arr.shape[0], offsets.size**2)
    lx = (np.clip(ix[:, None, None] + offsets[None, None, :], 0, nx - 1)
          - bx[:, None, None]).repeat(offsets.size, axis=1).reshape(arr.shape[0], offsets.size**2)

    # the cells compared, as grid indices, their centres and whether they exist
    gy, gx = by[:, None] + ly, bx[:, None] + lx
    xc, yc = cell_centers(cal)
    active = np.asarray(build_stack(setup).grids[name][2])[gy, gx]
    direct: list[tuple[NDArray[np.bool_], MeanEMShower]] = []

    def integrated(sel: NDArray[np.bool_], x: FloatArray, y: FloatArray) -> FloatArray:
        # the profile of the selected showers, computed once for every (x, y)
        if not direct or not np.array_equal(direct[0][0], sel):
            direct[:] = [(sel, MeanEMShower(setup, total[sel]))]
        dep = direct[0][1].deposit_block(x[sel], y[sel], name, by[sel], bx[sel],
                                         (wy, wx)).sum(axis=1)
        return dep[np.arange(dep.shape[0])[:, None], ly[sel], lx[sel]]

    def expected(x: FloatArray, y: FloatArray) -> FloatArray:
        if table is None:
            return integrated(np.ones(total.size, dtype=bool), x, y)
        frac, covered = table.lookup(total, xc[gx] - x[:, None], yc[gy] - y[:, None])
        out = frac * total[:, None] * active
        miss = ~covered & (total > 0)
        if miss.any():
            out[miss] = integrated(miss, x, y)
        return out

    x, y = center_of_gravity(arr, cal)
    fit = ShowerFit(m, expected(x, y), ok, total, x, y, cal.stochastic**2 * GeV,
                    cal.noise**2 * arr.shape[1], 2 if fit_position else 0,
                    shape_fluctuation(cal, total, shape))
    if not fit_position:
        return fit
    half = 0.5 * min(cal.cell_size)
    h = 0.5  # mm, finite-difference step
    e0 = fit.expected
    for _ in range(iterations):
        jx = (expected(x + h, y) - e0) / h
        jy = (expected(x, y + h) - e0) / h
        w = np.where(ok, 1.0 / replace(fit, expected=e0).variance(), 0.0)
        r = m - e0
        a11, a12, a22 = (w * jx * jx).sum(1), (w * jx * jy).sum(1), (w * jy * jy).sum(1)
        b1, b2 = (w * jx * r).sum(1), (w * jy * r).sum(1)
        det = a11 * a22 - a12 * a12
        good = np.isfinite(det) & (det > 1e-9 * np.maximum(a11 * a22, 1e-300))
        dsafe = np.where(good, det, 1.0)
        x = x + np.clip(np.where(good, (a22 * b1 - a12 * b2) / dsafe, 0.0), -half, half)
        y = y + np.clip(np.where(good, (a11 * b2 - a12 * b1) / dsafe, 0.0), -half, half)
        e0 = expected(x, y)
    return replace(fit, expected=e0, x=x, y=y)


def shower_chi2(
    cells: ArrayLike, setup: Setup, *, detector: str | None = None, window: int = 1,
    fit_position: bool = True, exact: bool = False,
) -> FloatArray:
    """chi^2 per degree of freedom of the cell energies to the expected EM lateral profile.

    The expectation is the mean GFLASH electron shower (:func:`na64.detector.response.
    mean_em_deposit`, arXiv:hep-ex/0001020) of the measured total energy E; the cells of the
    (2 ``window`` + 1)^2 block around the most energetic cell are compared (sections
    summed).  The impact point is fitted (``fit_position``, Gauss-Newton from the
    log-weighted centre of gravity, ndf = cells - 2), as a shower-shape analysis does with
    the cell energies or an upstream track; the centre of gravity alone is biased towards
    the cell centre by ~1.5 mm at 100 GeV, which dominated the old chi^2 of electrons.

    Variance of a cell with expected energy E_i = f_i E:
    stochastic^2 E_i (1 - f_i) GeV (sampling, given the measured total) + noise^2 per
    section + (c(E) f_i (1 - f_i) E)^2, the last the shower-to-shower fluctuation of the
    lateral fractions, with the table c(E) calibrated on simulated electrons
    (:func:`na64.reco.calibrate_shower_shape`) so that electrons have <chi^2/ndf> = 1 at
    every calibration energy.  Events without energy get 0.  ``exact``: see
    :func:`fit_shower`.
    """
    fit = fit_shower(cells, setup, detector=detector, window=window, fit_position=fit_position,
                     exact=exact)
    chi2, ndf = fit.chi2()
    return np.where(ndf > 0, chi2 / np.maximum(ndf, 1.0), 0.0)
