"""The ETL lepton trace against an explicit Dirac-matrix evaluation (independent reference)."""

from __future__ import annotations

import numpy as np
import pytest

from na64.physics._dark_brem_kernels import _trace_vector

_ETA = np.diag([1.0, -1.0, -1.0, -1.0])


def _gammas() -> list[np.ndarray]:
    """Dirac representation gamma^mu (Peskin & Schroeder Eq. (3.25) basis change aside)."""
    one = np.eye(2)
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g0 = np.block([[one, 0 * one], [0 * one, -one]]).astype(complex)
    gs = [np.block([[0 * one, s], [-s, 0 * one]]).astype(complex) for s in pauli]
    return [g0, *gs]


G = _gammas()


def _slash(v: np.ndarray) -> np.ndarray:
    return sum(_ETA[i, i] * v[i] * G[i] for i in range(4))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[0] - a[1:] @ b[1:])


def _onshell(rng: np.random.Generator, mass: float) -> np.ndarray:
    p = rng.normal(size=3)
    return np.array([np.sqrt(mass**2 + p @ p), *p])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_trace_matches_explicit_gamma_matrices(seed):
    # -g_ab Tr[(p'+m) Gamma^a (p+m) Gamma-bar^b], Gamma^a = g^a (p'+k+m) N/s1 + N (p-k+m) g^a/s2,
    # summed numerically with explicit 4x4 matrices at random (off-shell N) momenta.
    rng = np.random.default_rng(seed)
    m, mx = 0.3, 0.7
    p, pp, k = _onshell(rng, m), _onshell(rng, m), _onshell(rng, mx)
    n = rng.normal(size=4)
    s1 = _dot(pp + k, pp + k) - m**2
    s2 = _dot(p - k, p - k) - m**2
    eye = np.eye(4)
    total = 0.0 + 0.0j
    for a in range(4):
        g_lo = _ETA[a, a] * G[a]
        gam = g_lo @ (_slash(pp + k) + m * eye) @ _slash(n) / s1 + _slash(n) @ (
            _slash(p - k) + m * eye) @ g_lo / s2
        gbar = _slash(n) @ (_slash(pp + k) + m * eye) @ G[a] / s1 + G[a] @ (
            _slash(p - k) + m * eye) @ _slash(n) / s2
        total += -np.trace((_slash(pp) + m * eye) @ gam @ (_slash(p) + m * eye) @ gbar)
    ours = _trace_vector(m, mx * mx, _dot(p, pp), _dot(p, k), _dot(pp, k), _dot(p, n),
                         _dot(pp, n), _dot(k, n), _dot(n, n), s1, s2)
    assert abs(total.imag) < 1e-9 * abs(total.real)
    assert ours == pytest.approx(total.real, rel=1e-10)
