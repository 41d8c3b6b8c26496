"""The generated ETL lepton traces against explicit Dirac matrices (independent reference).

For each spin of X the squared, polarisation-summed amplitude of the lepton line
Gamma = V (p'+k+m) N / s1 + N (p-k+m) V / s2 (V the X vertex) is evaluated numerically
with 4x4 gamma matrices, the adjoint taken as gamma0 Gamma^dagger gamma0, and compared with
the symbolic traces of ``_etl_derivation.py`` (as generated into ``_etl_traces.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from na64.physics import _etl_traces as tr

_ETA = np.diag([1.0, -1.0, -1.0, -1.0])


def _gammas() -> list[np.ndarray]:
    one = np.eye(2)
    zero = np.zeros((2, 2))
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g0 = np.block([[one, zero], [zero, -one]]).astype(complex)
    return [g0, *[np.block([[zero, s], [-s, zero]]).astype(complex) for s in pauli]]


G = _gammas()  # gamma^mu, Dirac representation
G5 = 1j * G[0] @ G[1] @ G[2] @ G[3]
EYE = np.eye(4)


def _slash(v: np.ndarray) -> np.ndarray:
    return sum(_ETA[i, i] * v[i] * G[i] for i in range(4))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(a[0] * b[0] - a[1:] @ b[1:])


def _bar(x: np.ndarray) -> np.ndarray:
    return G[0] @ x.conj().T @ G[0]


def _onshell(rng: np.random.Generator, mass: float) -> np.ndarray:
    p = rng.normal(size=3)
    return np.array([np.sqrt(mass**2 + p @ p), *p])


def _line(vertex: np.ndarray, p, pp, k, n, m, s1, s2) -> np.ndarray:
    return (vertex @ (_slash(pp + k) + m * EYE) @ _slash(n) / s1
            + _slash(n) @ (_slash(p - k) + m * EYE) @ vertex / s2)


def _numeric(spin: str, p, pp, k, n, m, mx) -> float:
    s1 = _dot(pp + k, pp + k) - m**2
    s2 = _dot(p - k, p - k) - m**2
    left, right = _slash(pp) + m * EYE, _slash(p) + m * EYE

    def sq(v: np.ndarray) -> complex:
        g = _line(v, p, pp, k, n, m, s1, s2)
        return complex(np.trace(left @ g @ right @ _bar(g)))

    if spin == "scalar":
        return sq(EYE).real
    if spin == "pseudoscalar":
        return sq(1j * G5).real
    total = 0.0 + 0.0j
    for a in range(4):  # -g^{ab} eps_a eps_b* summed: -eta^{aa} with gamma_a = eta_aa gamma^a
        v = _ETA[a, a] * G[a] if spin == "vector" else _ETA[a, a] * G[a] @ G5
        total += -_ETA[a, a] * sq(v)
    if spin == "axial":
        total += sq(_slash(k) @ G5) / mx**2
    return total.real


@pytest.mark.parametrize("spin", ["vector", "scalar", "pseudoscalar", "axial"])
@pytest.mark.parametrize("seed", [1, 2])
def test_traces_match_explicit_gamma_matrices(spin, seed):
    rng = np.random.default_rng(seed)
    m, mx = 0.3, 0.7
    p, pp, k = _onshell(rng, m), _onshell(rng, m), _onshell(rng, mx)
    n = rng.normal(size=4)  # off-shell N: the identity holds for any N
    s1 = _dot(pp + k, pp + k) - m**2
    s2 = _dot(p - k, p - k) - m**2
    args = (m, mx * mx, _dot(p, pp), _dot(p, k), _dot(pp, k), _dot(p, n), _dot(pp, n),
            _dot(k, n), _dot(n, n), s1, s2)
    ours = getattr(tr, f"trace_{spin}")(*args)
    if spin == "axial":
        ours += tr.trace_axial_kk(*args) / (mx * mx)
    assert ours == pytest.approx(_numeric(spin, p, pp, k, n, m, mx), rel=1e-9)


@pytest.mark.parametrize("x", [0.1, 0.5, 0.93])
def test_ww_vector_amplitude_is_liu_et_al(x):
    # A^{2->2}_{t=tmin} for a vector: 2(2-2x+x^2)/(1-x) + 4(m_X^2+2m^2)(u x + m_X^2(1-x)
    # + m^2 x^2)/u^2, arXiv:1705.01633 Eq. (30) / arXiv:1609.06781 Eq. (10).  The generated
    # coefficients (a, b, c) of a/u^2 + b/u^3 + c/u^4 must reproduce it.
    m, mx2 = 0.511, 17.0**2
    a, b, c = tr.ww_vector(x, m, mx2)
    assert a == pytest.approx(2 * (2 - 2 * x + x * x) / (1 - x), rel=1e-12)
    assert b == pytest.approx(4 * (mx2 + 2 * m * m) * x, rel=1e-12)
    assert c == pytest.approx(4 * (mx2 + 2 * m * m) * (mx2 * (1 - x) + m * m * x * x), rel=1e-12)


def test_ww_spin0_amplitudes_agree_for_heavy_x():
    # For m_X >> m the scalar and pseudoscalar 2 -> 2 amplitudes coincide (chirality), and so
    # do vector and axial: the generated coefficients must agree to O(m^2/m_X^2).
    x, m, mx2 = 0.7, 1e-3, 1.0
    for one, two in (("scalar", "pseudoscalar"), ("vector", "axial")):
        c1 = getattr(tr, f"ww_{one}")(x, m, mx2)
        c2 = getattr(tr, f"ww_{two}")(x, m, mx2)
        assert c1 == pytest.approx(c2, rel=1e-5)
