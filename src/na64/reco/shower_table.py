"""The mean EM shower's cell fractions, tabulated against energy and impact point.

The shower-shape fit (:func:`na64.reco.fit_shower`) compares the cells around the shower
maximum with the mean GFLASH shower (arXiv:hep-ex/0001020: longitudinal profiles and the
two-component radial profiles, as :mod:`na64.detector.em` implements them) at ~10 trial
impact points per event.  On a calorimeter of identical rectangular cells, the fraction of the mean shower
of energy E in a cell depends only on E and on the offset (dx, dy) of the cell's centre
from the impact point, and, the lateral profile being radially symmetric, only on
(|dx|, |dy|).  :class:`CellFractionTable` holds that fraction on a grid of ln E and
(|dx|, |dy|), computed once per calorimeter from the same integrals as the simulation
(:meth:`na64.detector.response.MeanEMShower.deposit_grid`) and kept in the disk cache;
:meth:`CellFractionTable.lookup` interpolates it (Catmull-Rom cubic in dx and dy, linear in
ln E), so a trial point costs a lookup instead of the lateral integrals of every slice.

The interpolation error of a cell is below 5% of its standard deviation in the fit
(below 1e-4 of the shower energy above 3 GeV; at low energies the slices too small to
spread, deposited at their centre by the simulation, make steps that the interpolation
smooths), ``tests/test_shower_table.py``; ``validation/shower_fit_table.py`` compares the
χ² distributions of the tabulated and the directly integrated fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from ..detector.response import MeanEMShower, build_stack
from ..detector.setup import Setup
from ..units import GeV, MeV, mm

__all__ = ["CellFractionTable", "cell_fraction_table"]

FloatArray = NDArray[np.float64]

#: Energy range of the table (beyond it the fit integrates the profile directly).
E_MIN = 5.0 * MeV
E_MAX = 1000.0 * GeV
#: Step of the table in ln E.
LN_E_STEP = 0.2
#: Largest tabulated distance of a cell centre from the impact point, in cells.
REACH_CELLS = 2.6
#: Largest step of the offset grid.
OFFSET_STEP = 0.5 * mm
#: Layout version of the cached table.
SCHEMA = 1


@dataclass(frozen=True)
class CellFractionTable:
    """Fraction of the mean EM shower (all sections summed) in one cell.

    ``values[i, b, a]`` is the fraction at ``ln E = ln_e0 + i * ln_e_step`` in the cell
    whose centre lies at ``|dy| = (b - 1) * step_y``, ``|dx| = (a - 1) * step_x`` from the
    impact point (row and column 0 mirror rows 2 and columns 2: the fraction is even in dx
    and dy).
    """

    ln_e0: float
    ln_e_step: float
    step_x: float
    step_y: float
    values: FloatArray

    def lookup(self, energy: NDArray[np.floating], dx: NDArray[np.floating],
               dy: NDArray[np.floating]) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Interpolated fractions and where the table covers the point.

        Parameters
        ----------
        energy
            Shower energies (MeV), shape (n,).
        dx, dy
            Offsets of cell centres from the impact points (mm), shape (n, k).

        Returns
        -------
        fraction : ndarray, shape (n, k)
            The interpolated fraction (0 where not covered).
        covered : ndarray of bool, shape (n,)
            Energy and every offset of the row inside the table.
        """
        e = np.ascontiguousarray(energy, dtype=float).ravel()
        ddx = np.ascontiguousarray(dx, dtype=float)
        ddy = np.ascontiguousarray(dy, dtype=float)
        frac = np.zeros(ddx.shape)
        covered = np.zeros(e.size, dtype=bool)
        _lookup(self.values, self.ln_e0, self.ln_e_step, self.step_x, self.step_y, e, ddx,
                ddy, frac, covered)
        return frac, covered


@nb.njit(cache=True, fastmath=True, nogil=True)
def _catmull_rom(t: float) -> tuple[float, float, float, float]:
    """Weights of the points i-1, i, i+1, i+2 for a position t in [0, 1) past i: the
    Catmull-Rom spline, i.e. cubic convolution with a = -1/2 (R. G. Keys, IEEE Trans. ASSP
    29 (1981) 1153, Eq. 15), exact for quadratics and continuous in the first derivative."""
    t2 = t * t
    t3 = t2 * t
    return (0.5 * (-t3 + 2.0 * t2 - t), 0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
            0.5 * (-3.0 * t3 + 4.0 * t2 + t), 0.5 * (t3 - t2))


@nb.njit(cache=True, fastmath=True, nogil=True)
def _bicubic(plane: NDArray[np.float64], iy: int, ty: float, ix: int, tx: float) -> float:
    wy0, wy1, wy2, wy3 = _catmull_rom(ty)
    wx0, wx1, wx2, wx3 = _catmull_rom(tx)
    acc = 0.0
    for b, wy in ((iy - 1, wy0), (iy, wy1), (iy + 1, wy2), (iy + 2, wy3)):
        row = plane[b]
        acc += wy * (wx0 * row[ix - 1] + wx1 * row[ix] + wx2 * row[ix + 1]
                     + wx3 * row[ix + 2])
    return acc


@nb.njit(cache=True, fastmath=True, nogil=True, parallel=True)
def _lookup(values: NDArray[np.float64], ln_e0: float, ln_e_step: float, step_x: float,
            step_y: float, energy: NDArray[np.float64], dx: NDArray[np.float64],
            dy: NDArray[np.float64], out: NDArray[np.float64],
            covered: NDArray[np.bool_]) -> None:
    n_e, n_y, n_x = values.shape
    for j in nb.prange(energy.shape[0]):
        e = energy[j]
        u = (math.log(e) - ln_e0) / ln_e_step if e > 0.0 else -1.0
        if not (u >= 0.0 and u <= n_e - 1):
            continue
        ie = min(int(u), n_e - 2)
        te = u - ie
        ok = True
        for c in range(dx.shape[1]):
            # index 1 is offset 0 (index 0 its mirror); the stencil needs i + 2 < n
            px = abs(dx[j, c]) / step_x + 1.0
            py = abs(dy[j, c]) / step_y + 1.0
            ix = int(px)
            iy = int(py)
            if ix + 2 >= n_x or iy + 2 >= n_y:
                ok = False
                break
            tx = px - ix
            ty = py - iy
            lo = _bicubic(values[ie], iy, ty, ix, tx)
            hi = _bicubic(values[ie + 1], iy, ty, ix, tx)
            out[j, c] = (1.0 - te) * lo + te * hi
        if ok:
            covered[j] = True
        else:
            for c in range(dx.shape[1]):
                out[j, c] = 0.0


def _uniform_step(edges: FloatArray) -> float | None:
    d = np.diff(edges)
    if d.size == 0 or not np.allclose(d, d[0], rtol=1e-9, atol=0.0):
        return None
    return float(d[0])


def _build(setup: Setup, name: str, cell_x: float, cell_y: float) -> dict[str, np.ndarray]:
    """The fraction table of calorimeter ``name`` (cells ``cell_x`` x ``cell_y``)."""
    n_sub_x = math.ceil(cell_x / OFFSET_STEP)
    n_sub_y = math.ceil(cell_y / OFFSET_STEP)
    hx, hy = cell_x / n_sub_x, cell_y / n_sub_y
    # offsets m * h for m = 0 .. M: the cells 0 .. K of a grid starting at the impact's
    # cell, with impact points i * h (i < n_sub) to the left of that cell's centre
    m_x = math.ceil(REACH_CELLS * n_sub_x) + 3
    m_y = math.ceil(REACH_CELLS * n_sub_y) + 3
    k_x = m_x // n_sub_x + 1
    k_y = m_y // n_sub_y + 1
    x_edges = (np.arange(k_x + 1) - 0.5) * cell_x
    y_edges = (np.arange(k_y + 1) - 0.5) * cell_y
    grid_x, grid_y = np.meshgrid(np.arange(n_sub_x), np.arange(n_sub_y))
    ix, iy = grid_x.ravel(), grid_y.ravel()
    n_e = round(math.log(E_MAX / E_MIN) / LN_E_STEP) + 1
    ln_e = math.log(E_MIN) + LN_E_STEP * np.arange(n_e)
    values = np.zeros((n_e, m_y + 2, m_x + 2))
    energies = np.exp(ln_e)
    showers = MeanEMShower(setup, energies)  # one profile per energy, deposited many times
    for i, e in enumerate(energies):
        shower = showers.take(np.full(ix.size, i))
        dep = shower.deposit_grid(-ix * hx, -iy * hy, name, x_edges, y_edges).sum(axis=1) / e
        # cell (b, a) of impact (iy, ix) is at offset ((b n_sub_y + iy) hy, (a n_sub_x + ix) hx)
        my = np.arange(k_y)[:, None] * n_sub_y + iy[None, :]  # (k_y, impacts)
        mx = np.arange(k_x)[:, None] * n_sub_x + ix[None, :]
        plane = np.zeros((k_y * n_sub_y, k_x * n_sub_x))
        plane[my[:, None, :], mx[None, :, :]] = np.moveaxis(dep, 0, -1)
        values[i, 1:, 1:] = plane[: m_y + 1, : m_x + 1]
    values[:, 0, :] = values[:, 2, :]
    values[:, :, 0] = values[:, :, 2]
    # single precision (6e-8 of a fraction) halves the cached file
    return {"values": values.astype(np.float32), "ln_e0": np.array(ln_e[0]), "ln_e_step": np.array(LN_E_STEP),
            "step_x": np.array(hx), "step_y": np.array(hy)}


def cell_fraction_table(setup: Setup, name: str) -> CellFractionTable | None:
    """The cell-fraction table of calorimeter ``name`` of ``setup`` (from the disk cache
    when there), or ``None`` when its cell edges are not evenly spaced (the fit then
    integrates the profile directly).  Inactive cells (a hole) are the caller's mask."""
    return _table(setup.model_dump_json(), name, setup)


_TABLES: dict[tuple[str, str], CellFractionTable | None] = {}


def _table(key: str, name: str, setup: Setup) -> CellFractionTable | None:
    if (key, name) in _TABLES:
        return _TABLES[(key, name)]
    from ..cache import cached_arrays

    xe, ye, _ = build_stack(setup).grids[name]
    cell_x, cell_y = _uniform_step(xe), _uniform_step(ye)
    table: CellFractionTable | None = None
    if cell_x is not None and cell_y is not None:
        arrays = cached_arrays(
            "shower-cell-fractions",
            {"setup": key, "calorimeter": name, "e_min_MeV": E_MIN / MeV,
             "e_max_MeV": E_MAX / MeV, "ln_e_step": LN_E_STEP, "reach": REACH_CELLS,
             "step_mm": OFFSET_STEP / mm},
            lambda: _build(setup, name, cell_x, cell_y), schema=SCHEMA)
        table = CellFractionTable(float(arrays["ln_e0"]), float(arrays["ln_e_step"]),
                                  float(arrays["step_x"]), float(arrays["step_y"]),
                                  np.ascontiguousarray(arrays["values"], dtype=float))
    if len(_TABLES) > 16:
        _TABLES.clear()
    _TABLES[(key, name)] = table
    return table
