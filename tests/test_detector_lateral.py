"""Analytic cell integration of the GFLASH radial density (na64.detector.lateral)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from na64.detector.lateral import (
    _atan,
    deposit_lateral,
    deposit_lateral_block,
    quadrant_integral,
    rectangle_fraction,
)


@pytest.mark.parametrize(("a", "b", "r"), [(1.0, 2.0, 1.3), (0.5, 0.3, 0.2), (30.0, 5.0, 10.0)])
def test_quadrant_closed_form_matches_numerical_integral(a: float, b: float, r: float) -> None:
    # Independent reference: adaptive 2-D quadrature of R^2/(pi (x^2+y^2+R^2)^2)
    # (the radial ansatz of arXiv:hep-ex/0001020); agreement to quadrature precision.
    def rho(y: float, x: float) -> float:
        return r * r / (math.pi * (x * x + y * y + r * r) ** 2)

    num, _err = integrate.dblquad(rho, 0.0, a, 0.0, b, epsabs=1e-12, epsrel=1e-10)
    assert float(quadrant_integral(a, b, r)) == pytest.approx(num, rel=1e-7, abs=1e-10)


def test_whole_plane_is_normalized() -> None:
    # The density integrates to one over the plane: 4 quadrants of 1/4 each.
    assert float(rectangle_fraction(-1e7, 1e7, -1e7, 1e7, 3.0)) == pytest.approx(1.0, abs=1e-6)


def test_circle_fraction_consistency() -> None:
    # The fraction inside radius r is r^2/(r^2 + R^2); a square of side 2r lies between
    # the inscribed (r) and circumscribed (sqrt(2) r) circles.
    r_core, half = 5.0, 7.0
    sq = float(rectangle_fraction(-half, half, -half, half, r_core))
    inner = half**2 / (half**2 + r_core**2)
    outer = 2 * half**2 / (2 * half**2 + r_core**2)
    assert inner < sq < outer


def test_fast_atan_accuracy() -> None:
    # Abramowitz & Stegun Eq. 4.4.49 promises |error| <= 2e-8 rad (plus rounding).
    xs = np.concatenate([np.linspace(-20, 20, 20001), np.geomspace(1e-6, 1e6, 2000)])
    err = max(abs(_atan(float(x)) - math.atan(x)) for x in xs)
    assert err < 5e-8


@settings(max_examples=40, deadline=None)
@given(
    x=st.floats(-300, 300), y=st.floats(-300, 300), rc=st.floats(0.05, 50),
    rt=st.floats(0.05, 500), p=st.floats(0, 1), e=st.floats(0.1, 1e6),
)
def test_kernel_conserves_energy_and_matches_closed_form(
    x: float, y: float, rc: float, rt: float, p: float, e: float
) -> None:
    # Sum over cells equals the closed-form fraction inside the grid; never exceeds e.
    xe = np.linspace(-114.6, 114.6, 7)
    ye = np.linspace(-114.6, 114.6, 7)
    out = np.zeros((1, 1, 6, 6))
    one = np.ones((1, 1))
    deposit_lateral(out, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), e * one,
                    x * one, y * one, rc * one, rt * one, p * one, xe, ye,
                    np.ones((6, 6), dtype=bool), 0.0)
    frac = (p * rectangle_fraction(xe[0] - x, xe[-1] - x, ye[0] - y, ye[-1] - y, rc)
            + (1 - p) * rectangle_fraction(xe[0] - x, xe[-1] - x, ye[0] - y, ye[-1] - y, rt))
    assert np.all(np.isfinite(out))
    assert out.sum() <= e * (1 + 1e-6)
    assert out.sum() == pytest.approx(e * float(frac), rel=1e-5, abs=1e-6 * e)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), wy=st.integers(1, 5), wx=st.integers(1, 5))
def test_block_kernel_is_the_full_kernel_on_its_cells(seed: int, wy: int, wx: int) -> None:
    # The block kernel must put into each of its cells exactly (bit for bit) what the
    # full-grid kernel puts there: same slices, same corner terms, same order, including
    # slices below min_energy (added to the cell under the axis), axes off the grid and
    # inactive cells.
    rng = np.random.default_rng(seed)
    m, k, ny, nx, layers = 40, 6, 5, 6, 2
    x_edges = np.linspace(-60.0, 60.0, nx + 1)
    y_edges = np.linspace(-50.0, 50.0, ny + 1)
    active = rng.random((ny, nx)) > 0.1
    energy = rng.exponential(100.0, (m, k)) * (rng.random((m, k)) > 0.1)
    xc = rng.uniform(-80.0, 80.0, (m, k))
    yc = rng.uniform(-70.0, 70.0, (m, k))
    r_core = rng.uniform(0.5, 20.0, (m, k))
    r_tail = r_core * rng.uniform(1.0, 4.0, (m, k))
    p_core = rng.uniform(0.0, 1.0, (m, k))
    layer = rng.integers(0, layers, k).astype(np.int64)
    full = np.zeros((m, layers, ny, nx))
    deposit_lateral(full, np.arange(m, dtype=np.int64), layer, energy, xc, yc, r_core, r_tail,
                    p_core, x_edges, y_edges, active, 5.0)
    by = rng.integers(0, ny - wy + 1, m).astype(np.int64) if wy <= ny else np.zeros(m, np.int64)
    bx = rng.integers(0, nx - wx + 1, m).astype(np.int64) if wx <= nx else np.zeros(m, np.int64)
    wy, wx = min(wy, ny), min(wx, nx)
    block = np.zeros((m, layers, wy, wx))
    deposit_lateral_block(block, layer, energy, xc, yc, r_core, r_tail, p_core, x_edges,
                          y_edges, active, 5.0, by, bx)
    for j in range(m):
        ref = full[j, :, by[j]:by[j] + wy, bx[j]:bx[j] + wx]
        assert np.array_equal(block[j], ref)
