"""Analytic integration of the GFLASH radial profile over rectangular calorimeter cells.

The radial density of one GFLASH component (arXiv:hep-ex/0001020, radial-profile ansatz f(r)),
``f(r) dr = 2 r R^2/(r^2 + R^2)^2 dr``, is the planar density

    rho_R(x, y) = R^2 / (pi (x^2 + y^2 + R^2)^2).

Its integral over the quadrant [0, a] x [0, b] has the closed form (integrate over y, then
over x; verified numerically in the tests)

    G_R(a, b) = [a/s_a atan(b/s_a) + b/s_b atan(a/s_b)] / (2 pi),  s_u = sqrt(u^2 + R^2),

which is odd in a and in b, so a cell [x1, x2] x [y1, y2] receives
``G(x2, y2) - G(x1, y2) - G(x2, y1) + G(x1, y1)``.  No sampling of energy spots is needed:
the kernel below evaluates G on the (nx + 1)(ny + 1) cell corners of each shower slice.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["deposit_lateral", "quadrant_integral", "rectangle_fraction"]

_INV_2PI = 1.0 / (2.0 * math.pi)
_HALF_PI = 0.5 * math.pi


@nb.njit(cache=True, fastmath=True, nogil=True, inline="always")
def _atan(x: float) -> float:
    """arctan with |error| <= 2e-8 rad: Abramowitz & Stegun, Handbook of Mathematical
    Functions (1964), Eq. 4.4.49 (odd polynomial on [0, 1]); atan(x) = pi/2 - atan(1/x)
    for |x| > 1.  Much faster than libm's atan inside the cell loop."""
    ax = abs(x)
    big = ax > 1.0
    t = min(ax, 1.0 / max(ax, 1e-300))
    t2 = t * t
    r = t * (0.9999993329 + t2 * (-0.3332985605 + t2 * (0.1994653599 + t2 * (
        -0.1390853351 + t2 * (0.0964200441 + t2 * (-0.0559098861 + t2 * (
            0.0218612288 + t2 * -0.0040540580)))))))
    r = _HALF_PI - r if big else r
    return math.copysign(r, x)


def quadrant_integral(a: ArrayLike, b: ArrayLike, radius: ArrayLike) -> NDArray[np.float64]:
    """G_R(a, b): the fraction of one radial component inside [0, a] x [0, b] (signed)."""
    a_ = np.asarray(a, dtype=float)
    b_ = np.asarray(b, dtype=float)
    r = np.asarray(radius, dtype=float)
    sa = np.sqrt(a_ * a_ + r * r)
    sb = np.sqrt(b_ * b_ + r * r)
    return (a_ / sa * np.arctan(b_ / sa) + b_ / sb * np.arctan(a_ / sb)) * _INV_2PI


def rectangle_fraction(
    x1: ArrayLike, x2: ArrayLike, y1: ArrayLike, y2: ArrayLike, radius: ArrayLike
) -> NDArray[np.float64]:
    """Fraction of a radial component centred at the origin inside [x1, x2] x [y1, y2]."""
    return (quadrant_integral(x2, y2, radius) - quadrant_integral(x1, y2, radius)
            - quadrant_integral(x2, y1, radius) + quadrant_integral(x1, y1, radius))


@nb.njit(cache=True, fastmath=True, nogil=True)
def _atan_many(x: NDArray[np.float64], out: NDArray[np.float64]) -> None:
    """``out[i] = _atan(x[i])``, one flat loop that the compiler vectorizes."""
    for i in range(x.shape[0]):
        out[i] = _atan(x[i])


@nb.njit(cache=True, fastmath=True, nogil=True)
def _corner_terms(edges: NDArray[np.float64], centre: float, radius: float,
                  u: NDArray[np.float64], inv_s: NDArray[np.float64],
                  u_over_s: NDArray[np.float64]) -> None:
    r2 = radius * radius
    for i in range(edges.shape[0]):
        d = edges[i] - centre
        s = 1.0 / math.sqrt(d * d + r2)
        u[i] = d
        inv_s[i] = s
        u_over_s[i] = d * s


@nb.njit(cache=True, fastmath=True, nogil=True)
def deposit_lateral(
    out: NDArray[np.float64],
    rows: NDArray[np.int64],
    layer: NDArray[np.int64],
    energy: NDArray[np.float64],
    xc: NDArray[np.float64],
    yc: NDArray[np.float64],
    r_core: NDArray[np.float64],
    r_tail: NDArray[np.float64],
    p_core: NDArray[np.float64],
    x_edges: NDArray[np.float64],
    y_edges: NDArray[np.float64],
    active: NDArray[np.bool_],
    min_energy: float,
) -> None:
    """Add the energy of shower slices to a cell array ``out[row, layer, iy, ix]`` in place.

    Slice k of shower j (arrays of shape (m, K)) carries ``energy[j, k]`` centred at
    ``(xc, yc)[j, k]`` with a two-component radial profile (core radius, tail radius, core
    weight); it goes to ``out[rows[j], layer[k]]``.  Energy outside the grid is lost
    (lateral leakage); cells with ``active[iy, ix]`` False (a hole) receive nothing.
    Slices carrying less than ``min_energy`` are added to the cell under the axis.
    """
    nx = x_edges.shape[0] - 1
    ny = y_edges.shape[0] - 1
    ux = np.empty(nx + 1)
    isx = np.empty(nx + 1)
    uxs = np.empty(nx + 1)
    uy = np.empty(ny + 1)
    isy = np.empty(ny + 1)
    uys = np.empty(ny + 1)
    g = np.empty((ny + 1, nx + 1))
    nc = (nx + 1) * (ny + 1)
    args = np.empty(2 * nc)
    atans = np.empty(2 * nc)
    m, n_slices = energy.shape
    for j in range(m):
        row = rows[j]
        for k in range(n_slices):
            e = energy[j, k]
            if not e > 0.0:
                continue
            if e < min_energy:
                ix0 = np.searchsorted(x_edges, xc[j, k]) - 1
                iy0 = np.searchsorted(y_edges, yc[j, k]) - 1
                if 0 <= ix0 < nx and 0 <= iy0 < ny and active[iy0, ix0]:
                    out[row, layer[k], iy0, ix0] += e
                continue
            for iy in range(ny + 1):
                for ix in range(nx + 1):
                    g[iy, ix] = 0.0
            # both components summed on the corners, then one difference per cell
            for comp in range(2):
                if comp == 0:
                    w = p_core[j, k]
                    rad = r_core[j, k]
                else:
                    w = 1.0 - p_core[j, k]
                    rad = r_tail[j, k]
                if w <= 0.0:
                    continue
                _corner_terms(x_edges, xc[j, k], rad, ux, isx, uxs)
                _corner_terms(y_edges, yc[j, k], rad, uy, isy, uys)
                c = 0
                for iy in range(ny + 1):
                    for ix in range(nx + 1):
                        args[c] = uy[iy] * isx[ix]
                        args[c + nc] = ux[ix] * isy[iy]
                        c += 1
                _atan_many(args, atans)
                scale = w * e * _INV_2PI
                c = 0
                for iy in range(ny + 1):
                    for ix in range(nx + 1):
                        g[iy, ix] += scale * (uxs[ix] * atans[c] + uys[iy] * atans[c + nc])
                        c += 1
            lay = layer[k]
            for iy in range(ny):
                for ix in range(nx):
                    if active[iy, ix]:
                        cell = g[iy + 1, ix + 1] - g[iy + 1, ix] - g[iy, ix + 1] + g[iy, ix]
                        if cell > 0.0:
                            out[row, lay, iy, ix] += cell


@nb.njit(cache=True, fastmath=True, nogil=True)
def _deposit_block_one(
    out: NDArray[np.float64], j: int, layer: NDArray[np.int64], energy: NDArray[np.float64],
    xc: NDArray[np.float64], yc: NDArray[np.float64], r_core: NDArray[np.float64],
    r_tail: NDArray[np.float64], p_core: NDArray[np.float64], x_edges: NDArray[np.float64],
    y_edges: NDArray[np.float64], active: NDArray[np.bool_], min_energy: float,
    by: int, bx: int,
) -> None:
    """The slices of shower ``j`` on the cells [by, by + wy) x [bx, bx + wx) of the grid,
    added to ``out[j, layer, :, :]`` (shape (m, layers, wy, wx)).  Every operation on a
    cell is the one :func:`deposit_lateral` makes on it, in the same order."""
    wy, wx = out.shape[2], out.shape[3]
    nx = x_edges.shape[0] - 1
    ny = y_edges.shape[0] - 1
    xe = x_edges[bx:bx + wx + 1]
    ye = y_edges[by:by + wy + 1]
    ux = np.empty(wx + 1)
    isx = np.empty(wx + 1)
    uxs = np.empty(wx + 1)
    uy = np.empty(wy + 1)
    isy = np.empty(wy + 1)
    uys = np.empty(wy + 1)
    g = np.empty((wy + 1, wx + 1))
    nc = (wx + 1) * (wy + 1)
    args = np.empty(2 * nc)
    atans = np.empty(2 * nc)
    for k in range(energy.shape[1]):
        e = energy[j, k]
        if not e > 0.0:
            continue
        if e < min_energy:
            ix0 = np.searchsorted(x_edges, xc[j, k]) - 1
            iy0 = np.searchsorted(y_edges, yc[j, k]) - 1
            if (0 <= ix0 < nx and 0 <= iy0 < ny and active[iy0, ix0]
                    and bx <= ix0 < bx + wx and by <= iy0 < by + wy):
                out[j, layer[k], iy0 - by, ix0 - bx] += e
            continue
        for iy in range(wy + 1):
            for ix in range(wx + 1):
                g[iy, ix] = 0.0
        for comp in range(2):
            if comp == 0:
                w = p_core[j, k]
                rad = r_core[j, k]
            else:
                w = 1.0 - p_core[j, k]
                rad = r_tail[j, k]
            if w <= 0.0:
                continue
            _corner_terms(xe, xc[j, k], rad, ux, isx, uxs)
            _corner_terms(ye, yc[j, k], rad, uy, isy, uys)
            c = 0
            for iy in range(wy + 1):
                for ix in range(wx + 1):
                    args[c] = uy[iy] * isx[ix]
                    args[c + nc] = ux[ix] * isy[iy]
                    c += 1
            _atan_many(args, atans)
            scale = w * e * _INV_2PI
            c = 0
            for iy in range(wy + 1):
                for ix in range(wx + 1):
                    g[iy, ix] += scale * (uxs[ix] * atans[c] + uys[iy] * atans[c + nc])
                    c += 1
        lay = layer[k]
        for iy in range(wy):
            for ix in range(wx):
                if active[by + iy, bx + ix]:
                    cell = g[iy + 1, ix + 1] - g[iy + 1, ix] - g[iy, ix + 1] + g[iy, ix]
                    if cell > 0.0:
                        out[j, lay, iy, ix] += cell


@nb.njit(cache=True, fastmath=True, nogil=True, parallel=True)
def deposit_lateral_block(
    out: NDArray[np.float64],
    layer: NDArray[np.int64],
    energy: NDArray[np.float64],
    xc: NDArray[np.float64],
    yc: NDArray[np.float64],
    r_core: NDArray[np.float64],
    r_tail: NDArray[np.float64],
    p_core: NDArray[np.float64],
    x_edges: NDArray[np.float64],
    y_edges: NDArray[np.float64],
    active: NDArray[np.bool_],
    min_energy: float,
    block_y: NDArray[np.int64],
    block_x: NDArray[np.int64],
) -> None:
    """:func:`deposit_lateral` of one shower per row restricted to a block of cells.

    Shower j deposits only into the cells [block_y[j], block_y[j] + wy) x [block_x[j],
    block_x[j] + wx) of the grid, added to ``out[j, layer, :, :]`` of shape
    (m, layers, wy, wx).  Each of those cells receives bit for bit what
    :func:`deposit_lateral` puts into it; only the corners of the block are evaluated (a
    shower-shape fit needs the 3 x 3 cells around the maximum, not the whole calorimeter).
    The showers are independent rows and run in parallel threads.
    """
    for j in nb.prange(energy.shape[0]):
        _deposit_block_one(out, j, layer, energy, xc, yc, r_core, r_tail, p_core, x_edges,
                           y_edges, active, min_energy, block_y[j], block_x[j])
