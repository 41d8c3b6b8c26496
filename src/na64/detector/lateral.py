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


#: Slices evaluated together: the kernels below gather up to this many slices and evaluate
#: their corner terms in loops over the slices, which the compiler vectorizes.
_BATCH = 128


@nb.njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def _inverse_norms(d: NDArray[np.float64], r: NDArray[np.float64], out: NDArray[np.float64],
                   n: int) -> None:
    """``out[b] = 1 / sqrt(d[b]^2 + r[b]^2)`` for b < n."""
    for b in range(n):
        out[b] = 1.0 / math.sqrt(d[b] * d[b] + r[b] * r[b])


@nb.njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def _add_corner(g: NDArray[np.float64], du: NDArray[np.float64], su: NDArray[np.float64],
                dv: NDArray[np.float64], sv: NDArray[np.float64], scale: NDArray[np.float64],
                n: int) -> None:
    """``g[b] += scale[b] G(du[b], dv[b])`` of one component at one corner for b < n:
    ``du, dv`` the corner's offsets from the axis, ``su, sv`` their inverse norms
    1/sqrt(du^2 + R^2), 1/sqrt(dv^2 + R^2), ``scale`` the component's energy / (2 pi)."""
    for b in range(n):
        t1 = du[b] * su[b] * _atan(dv[b] * su[b])
        t2 = dv[b] * sv[b] * _atan(du[b] * sv[b])
        g[b] += scale[b] * (t1 + t2)


@nb.njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def _edge_offsets(edges: NDArray[np.float64], offset: NDArray[np.int64],
                  axis: NDArray[np.float64], out: NDArray[np.float64], n: int,
                  windowed: bool) -> None:
    """``out[i, b] = edges[offset[b] + i] - axis[b]`` for the out.shape[0] corners i of a
    window and b < n (``windowed`` False: every offset is 0)."""
    for i in range(out.shape[0]):
        oi = out[i]
        if windowed:
            for b in range(n):
                oi[b] = edges[offset[b] + i] - axis[b]
        else:
            e = edges[i]
            for b in range(n):
                oi[b] = e - axis[b]


@nb.njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def _flush(
    out: NDArray[np.float64], n: int, row: NDArray[np.int64], lay: NDArray[np.int64],
    e: NDArray[np.float64], x0: NDArray[np.float64], y0: NDArray[np.float64],
    rc: NDArray[np.float64], rt: NDArray[np.float64], pc: NDArray[np.float64],
    small: NDArray[np.bool_], oy: NDArray[np.int64], ox: NDArray[np.int64],
    x_edges: NDArray[np.float64], y_edges: NDArray[np.float64], active: NDArray[np.bool_],
    dx: NDArray[np.float64], dy: NDArray[np.float64], sx: NDArray[np.float64],
    sy: NDArray[np.float64], g: NDArray[np.float64], scale: NDArray[np.float64],
    windowed: bool,
) -> None:
    """Add ``n`` gathered slices to ``out[row[b], lay[b], :wy, :wx]``, in the order b.

    Slice b covers the cells [oy[b], oy[b] + wy) x [ox[b], ox[b] + wx) of the grid, where
    (wy, wx) = out.shape[2:] (``windowed`` False: every offset is 0); a ``small`` slice
    adds its energy to the cell under its axis (if in that window and active), the others the integral of their two radial components
    over each active cell (negative round-off dropped).  The corner terms are computed for
    all slices at once (arrays (wx + 1, batch) etc.): per slice the same operations
    whatever the batch, so that a cell receives bit for bit the same energy from a slice in
    any batch and any window containing the cell.
    """
    wy, wx = out.shape[2], out.shape[3]
    ny = y_edges.shape[0] - 1
    nx = x_edges.shape[0] - 1
    _edge_offsets(x_edges, ox, x0, dx, n, windowed)
    _edge_offsets(y_edges, oy, y0, dy, n, windowed)
    g[:, :n] = 0.0
    for comp in range(2):
        r = rc if comp == 0 else rt
        for b in range(n):
            w = pc[b] if comp == 0 else 1.0 - pc[b]
            scale[b] = max(w, 0.0) * e[b] * _INV_2PI  # (w <= 0: the component is absent)
        for i in range(wx + 1):
            _inverse_norms(dx[i], r, sx[i], n)
        for i in range(wy + 1):
            _inverse_norms(dy[i], r, sy[i], n)
        for iy in range(wy + 1):
            for ix in range(wx + 1):
                _add_corner(g[iy * (wx + 1) + ix], dx[ix], sx[ix], dy[iy], sy[iy], scale, n)
    for b in range(n):
        rb, lb = row[b], lay[b]
        if small[b]:
            ix0 = np.searchsorted(x_edges, x0[b]) - 1
            iy0 = np.searchsorted(y_edges, y0[b]) - 1
            if (0 <= ix0 < nx and 0 <= iy0 < ny and active[iy0, ix0]
                    and ox[b] <= ix0 < ox[b] + wx and oy[b] <= iy0 < oy[b] + wy):
                out[rb, lb, iy0 - oy[b], ix0 - ox[b]] += e[b]
            continue
        for iy in range(wy):
            for ix in range(wx):
                if active[oy[b] + iy, ox[b] + ix]:
                    c = iy * (wx + 1) + ix
                    cell = g[c + wx + 2, b] - g[c + wx + 1, b] - g[c + 1, b] + g[c, b]
                    if cell > 0.0:
                        out[rb, lb, iy, ix] += cell


@nb.njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def _deposit_rows(
    out: NDArray[np.float64], rows: NDArray[np.int64], j0: int, j1: int,
    layer: NDArray[np.int64], energy: NDArray[np.float64], xc: NDArray[np.float64],
    yc: NDArray[np.float64], r_core: NDArray[np.float64], r_tail: NDArray[np.float64],
    p_core: NDArray[np.float64], x_edges: NDArray[np.float64], y_edges: NDArray[np.float64],
    active: NDArray[np.bool_], min_energy: float, block_y: NDArray[np.int64],
    block_x: NDArray[np.int64], windowed: bool,
) -> None:
    """The slices of showers j0 <= j < j1, in the order (j, k), through :func:`_flush` in
    batches of :data:`_BATCH`; shower j goes to ``out[rows[j]]``, on the window of cells
    starting at (block_y[j], block_x[j]) (``windowed``; otherwise the whole grid)."""
    wy, wx = out.shape[2], out.shape[3]
    nb_ = _BATCH
    row = np.empty(nb_, np.int64)
    lay = np.empty(nb_, np.int64)
    oy = np.empty(nb_, np.int64)
    ox = np.empty(nb_, np.int64)
    small = np.empty(nb_, np.bool_)
    e = np.empty(nb_)
    x0 = np.empty(nb_)
    y0 = np.empty(nb_)
    rc = np.empty(nb_)
    rt = np.empty(nb_)
    pc = np.empty(nb_)
    dx = np.empty((wx + 1, nb_))
    dy = np.empty((wy + 1, nb_))
    sx = np.empty((wx + 1, nb_))
    sy = np.empty((wy + 1, nb_))
    g = np.empty(((wx + 1) * (wy + 1), nb_))
    scale = np.empty(nb_)
    n = 0
    for j in range(j0, j1):
        for k in range(energy.shape[1]):
            ek = energy[j, k]
            if not ek > 0.0:
                continue
            row[n], lay[n], oy[n], ox[n] = rows[j], layer[k], block_y[j], block_x[j]
            e[n], x0[n], y0[n] = ek, xc[j, k], yc[j, k]
            small[n] = ek < min_energy
            rc[n], rt[n], pc[n] = r_core[j, k], r_tail[j, k], p_core[j, k]
            n += 1
            if n == nb_:
                _flush(out, n, row, lay, e, x0, y0, rc, rt, pc, small, oy, ox, x_edges,
                       y_edges, active, dx, dy, sx, sy, g, scale, windowed)
                n = 0
    if n:
        _flush(out, n, row, lay, e, x0, y0, rc, rt, pc, small, oy, ox, x_edges, y_edges,
               active, dx, dy, sx, sy, g, scale, windowed)


@nb.njit(cache=True, nogil=True)
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
    Slices carrying less than ``min_energy`` are added to the cell under the axis.  Each
    cell receives its slices in the order (j, k).
    """
    zero = np.zeros(energy.shape[0], np.int64)
    _deposit_rows(out, rows, 0, energy.shape[0], layer, energy, xc, yc, r_core, r_tail,
                  p_core, x_edges, y_edges, active, min_energy, zero, zero, False)


@nb.njit(cache=True, nogil=True, parallel=True)
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
    Groups of showers run in parallel threads.
    """
    m = energy.shape[0]
    rows = np.arange(m)
    group = 64
    for i in nb.prange((m + group - 1) // group):
        _deposit_rows(out, rows, i * group, min((i + 1) * group, m), layer, energy, xc, yc,
                      r_core, r_tail, p_core, x_edges, y_edges, active, min_energy,
                      block_y, block_x, True)
