"""Derivation (not imported at run time) of the exact tree-level lepton trace for l N -> l N X.

Run ``python -m na64.physics._etl_derivation`` (needs sympy) to regenerate the polynomial
coefficients written into :mod:`na64.physics._etl_amplitude`.

Physics
-------
Tree-level amplitude of l(p) + N(P) -> l(p') + N(P') + X(k) with one-photon exchange,
q = P' - P, t = -q^2, nucleus treated as a spin-0 particle with charge form factor, i.e. the
hadronic current is Z e F(t) (P + P')^mu.  This is the setup of Bjorken, Essig, Schuster,
Toro, arXiv:0906.0580, App. A (Eq. (A1)-(A3)) and of Liu, McGinnis, Wagner, Wang,
arXiv:1609.06781, Sec. II and App. A; Gninenko et al. arXiv:1712.05706, Eq. (3)-(5) call the
phase-space integral of it the "exact tree level" (ETL) cross section.

For a vector X with coupling eps*e the lepton current with the (virtual) photon index
contracted with N = P + P' is

    Gamma_alpha = gamma_alpha (p'+k+m) N / s1 + N (p-k+m) gamma_alpha / s2,
    s1 = (p'+k)^2 - m^2,  s2 = (p-k)^2 - m^2,

and, summing X polarisations with -g (the k k / m_X^2 term drops by current conservation),

    T = -Tr[(p'+m) Gamma_alpha (p+m) Gamma_bar^alpha]
      = (T11 / s1^2 + T22 / s2^2 + 2 T12 / (s1 s2)).

The traces are evaluated here with the standard recursive trace formula and the 4-d
contraction identities gamma_a a1...an gamma^a (Peskin & Schroeder, Eq. (5.8)-(5.10)),
symbolically in the scalar products; a numerical check against explicit Dirac matrices is
in tests/test_dark_brem_amplitude.py.
"""

from __future__ import annotations

import itertools
from functools import cache

import sympy as sp

VECS = ("p", "pp", "k", "N", "q")
_DOT = {}
for _a, _b in itertools.combinations_with_replacement(VECS, 2):
    _DOT[(_a, _b)] = _DOT[(_b, _a)] = sp.Symbol(f"{_a}_{_b}")
m = sp.Symbol("m")


def dot(a: str, b: str) -> sp.Expr:
    return _DOT[(a, b)]


@cache
def trace(seq: tuple[str, ...]) -> sp.Expr:
    """Tr of a product of slashed vectors (trace of identity = 4)."""
    if len(seq) % 2:
        return sp.Integer(0)
    if not seq:
        return sp.Integer(4)
    first, rest = seq[0], seq[1:]
    out = sp.Integer(0)
    for j, v in enumerate(rest):
        sign = 1 if j % 2 == 0 else -1
        out += sign * dot(first, v) * trace(rest[:j] + rest[j + 1 :])
    return sp.expand(out)


def contract(inner: tuple[str, ...]) -> list[tuple[int, tuple[str, ...]]]:
    """gamma_a a1...an gamma^a as a sum of (coefficient, slashed product) in 4 dimensions."""
    n = len(inner)
    if n == 0:
        return [(4, ())]
    if n == 1:
        return [(-2, inner)]
    if n == 2:
        return [(4, ("DOT", *inner))]  # 4 a.b, marked for scalar
    if n % 2 == 1:
        return [(-2, tuple(reversed(inner)))]
    # n even >= 4: 2 [a_n a_1 ... a_{n-1} + a_{n-1} ... a_1 a_n]
    return [
        (2, (inner[-1], *inner[:-1])),
        (2, (*tuple(reversed(inner[:-1])), inner[-1])),
    ]


Factor = list[tuple[sp.Expr, tuple[str, ...]]]


def slash_sum(*terms: tuple[sp.Expr, str | None]) -> Factor:
    return [(c, () if v is None else (v,)) for c, v in terms]


def product(*factors: Factor) -> Factor:
    out: Factor = [(sp.Integer(1), ())]
    for f in factors:
        out = [(c1 * c2, s1 + s2) for c1, s1 in out for c2, s2 in f]
    return out


def reduce_g5(seq: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """Remove pairs of gamma5 ('G5') by anticommuting the first onto the second."""
    sign = 1
    while "G5" in seq:
        i = seq.index("G5")
        j = seq.index("G5", i + 1)
        if (j - i - 1) % 2:
            sign = -sign
        seq = seq[:i] + seq[i + 1 : j] + seq[j + 1 :]
    return sign, seq


INDICES = ("A", "B")  # Lorentz indices contracted between gamma matrices (gamma_A ... gamma^A)


def _contract_indices(coef: sp.Expr, seq: tuple[str, ...]) -> sp.Expr:
    """Trace of coef * product, with every index symbol of INDICES appearing exactly twice."""
    pair = next((x for x in INDICES if seq.count(x) == 2), None)
    if pair is None:
        return coef * trace(seq)
    i = seq.index(pair)
    rot = seq[i:] + seq[:i]  # trace is cyclic
    j = rot.index(pair, 1)
    inner, outer = rot[1:j], rot[j + 1 :]
    total = sp.Integer(0)
    for c2, res in contract(inner):
        if not (res and res[0] == "DOT"):
            total += _contract_indices(coef * c2, res + outer)
            continue
        a, b = res[1], res[2]
        if a in INDICES and b in INDICES:
            # g_a^b: 4 if the same index, else rename the other occurrence
            new_outer = outer if a == b else tuple(b if v == a else v for v in outer)
            total += _contract_indices(coef * c2 * (4 if a == b else 1), new_outer)
        elif a in INDICES or b in INDICES:
            idx, vec = (a, b) if a in INDICES else (b, a)
            # (vec)_idx contracted with the remaining gamma^idx gives a slashed vec
            total += _contract_indices(coef * c2, tuple(vec if v == idx else v for v in outer))
        else:
            total += _contract_indices(coef * c2 * dot(a, b), outer)
    return total


def traced(terms: Factor) -> sp.Expr:
    """Trace of a sum of products with pairs of contracted indices (INDICES) and an even
    number of gamma5 ('G5')."""
    total = sp.Integer(0)
    for coef0, seq0 in terms:
        sign, seq = reduce_g5(seq0)
        total += _contract_indices(sign * coef0, seq)
    return sp.expand(total)


def _pieces(vertex: Factor, vertex_bar: Factor) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(T11, T22, T12) of Tr[(p'+m) Gamma (p+m) Gamma-bar] for a vertex structure.

    ``vertex`` is the X vertex (with 'A' for an open Lorentz index), ``vertex_bar`` its Dirac
    adjoint; Gamma = vertex (p'+k+m) N / s1 + N (p-k+m) vertex / s2.
    """
    one = sp.Integer(1)
    pp_m = slash_sum((one, "pp"), (m, None))
    p_m = slash_sum((one, "p"), (m, None))
    n = slash_sum((one, "N"))
    ppk = slash_sum((one, "pp"), (one, "k"), (m, None))
    pk = slash_sum((one, "p"), (-one, "k"), (m, None))
    g1 = product(vertex, ppk, n)
    g2 = product(n, pk, vertex)
    g1b = product(n, ppk, vertex_bar)
    g2b = product(vertex_bar, pk, n)
    t11 = traced(product(pp_m, g1, p_m, g1b))
    t22 = traced(product(pp_m, g2, p_m, g2b))
    t12 = (traced(product(pp_m, g1, p_m, g2b)) + traced(product(pp_m, g2, p_m, g1b))) / 2
    return sp.expand(t11), sp.expand(t22), sp.expand(t12)


def spin_traces() -> dict[str, tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """(T11, T22, T12) for each spin, polarisation sums included.

    * vector   gamma^a, sum -g_ab (the k_a k_b term vanishes: conserved current);
    * scalar   1 (Yukawa);
    * pseudoscalar i gamma5, whose adjoint is i gamma5 (overall factor i*i = -1);
    * axial    gamma^a gamma5 (adjoint gamma^a gamma5), sum -g_ab + k_a k_b / m_X^2; the
      k k part is returned separately as "axial_kk" (to be divided by m_X^2).
    """
    one = sp.Integer(1)
    out: dict[str, tuple[sp.Expr, sp.Expr, sp.Expr]] = {}
    a: Factor = [(one, ("A",))]
    t = _pieces(a, a)
    out["vector"] = (-t[0], -t[1], -t[2])
    unit: Factor = [(one, ())]
    out["scalar"] = _pieces(unit, unit)
    g5: Factor = [(sp.I, ("G5",))]
    out["pseudoscalar"] = _pieces(g5, g5)
    ag5: Factor = [(one, ("A", "G5"))]
    t = _pieces(ag5, ag5)
    out["axial"] = (-t[0], -t[1], -t[2])
    kg5: Factor = [(one, ("k", "G5"))]
    out["axial_kk"] = _pieces(kg5, kg5)
    return out


def vector_traces() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(T11, T22, T12) for the vector case, with the overall minus sign of -g applied."""
    return spin_traces()["vector"]


def _pieces22(vertex: Factor, vertex_bar: Factor) -> sp.Expr:
    """Tr[(p'+m) Gamma (p+m) Gamma-bar] of the 2 -> 2 process gamma(q) l(p) -> l(p') X(k),
    Gamma = vertex (p'+k+m) gamma_B / s1 + gamma_B (p-k+m) vertex / s2, photon index B open
    (contracted between Gamma and Gamma-bar)."""
    one = sp.Integer(1)
    pp_m = slash_sum((one, "pp"), (m, None))
    p_m = slash_sum((one, "p"), (m, None))
    g_b: Factor = [(one, ("B",))]
    ppk = slash_sum((one, "pp"), (one, "k"), (m, None))
    pk = slash_sum((one, "p"), (-one, "k"), (m, None))
    s1, s2 = sp.symbols("s1 s2")
    gam = ([(c / s1, q) for c, q in product(vertex, ppk, g_b)]
           + [(c / s2, q) for c, q in product(g_b, pk, vertex)])
    gam_bar = ([(c / s1, q) for c, q in product(g_b, ppk, vertex_bar)]
               + [(c / s2, q) for c, q in product(vertex_bar, pk, g_b)])
    return traced(product(pp_m, gam, p_m, gam_bar))


def ww_coefficients() -> dict[str, tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """WW 2 -> 2 amplitudes A(x, u) = a/u^2 + b/u^3 + c/u^4 per spin.

    |A(gamma l -> l X)|^2 with photon and X polarisation sums, in the invariants
    s~ = 2 p.q, u~ = (p-k)^2 - m^2 (s~ + u~ + t2 = m_X^2), evaluated at the WW point
    s~ = -u~/(1-x) (arXiv:1609.06781 Eq. (10), arXiv:1705.01633 Sec. II) and divided by 4
    so that the vector case is exactly A^{2->2}_{t=tmin} of arXiv:1705.01633 Eq. (30)
    (the factor is checked symbolically in tests/test_dark_brem_amplitude.py).
    """
    one = sp.Integer(1)
    big_s, big_u, mx2, x = sp.symbols("S U mx2 x")
    subs = {dot("p", "p"): m**2, dot("pp", "pp"): m**2, dot("k", "k"): mx2, dot("q", "q"): 0,
            dot("p", "q"): big_s / 2, dot("p", "k"): (mx2 - big_u) / 2,
            dot("p", "pp"): m**2 - (mx2 - big_s - big_u) / 2, dot("pp", "k"): (big_s - mx2) / 2,
            dot("pp", "q"): -big_u / 2, dot("k", "q"): (big_s + big_u) / 2,
            sp.Symbol("s1"): big_s, sp.Symbol("s2"): big_u}
    a: Factor = [(one, ("A",))]
    unit: Factor = [(one, ())]
    g5: Factor = [(sp.I, ("G5",))]
    ag5: Factor = [(one, ("A", "G5"))]
    kg5: Factor = [(one, ("k", "G5"))]
    amp = {  # photon polarisation sum -g_B; X: -g_A (vector, axial) + k k / m_X^2 (axial)
        "vector": _pieces22(a, a),
        "scalar": -_pieces22(unit, unit),
        "pseudoscalar": -_pieces22(g5, g5),
        "axial": _pieces22(ag5, ag5) - _pieces22(kg5, kg5) / mx2,
    }
    out = {}
    for name, expr in amp.items():
        a22 = sp.simplify(expr.subs(subs).subs(big_s, -big_u / (1 - x)) / 4)
        poly = sp.expand(sp.simplify(a22 * big_u**2))  # a u^2 + b u + c
        coeffs = sp.Poly(poly, big_u).all_coeffs()
        assert len(coeffs) == 3, (name, coeffs)
        out[name] = tuple(sp.factor(cf) for cf in coeffs)
    return out


_SUBS = {dot("p", "p"): m**2, dot("pp", "pp"): m**2, dot("k", "k"): sp.Symbol("mx2")}


def generate() -> str:  # pragma: no cover - code generation helper
    """Source of the module _etl_traces.py (numba kernels of the traces)."""
    lines = [
        '"""Lepton traces of l N -> l N X (ETL) and WW 2 -> 2 amplitudes per spin of X.',
        "GENERATED by _etl_derivation.py:",
        "do not edit; regenerate with ``python -m na64.physics._etl_derivation``.",
        "",
        "Arguments: lepton mass m, m_X^2, the scalar products of p (beam), pp (outgoing",
        "lepton), k (X) and N = P + P' (nucleus), and s1 = (p'+k)^2 - m^2, s2 = (p-k)^2 - m^2.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import numba",
        "",
        "",
    ]
    names = ("m", "mx2", "p_pp", "p_k", "pp_k", "p_N", "pp_N", "k_N", "N_N", "s1", "s2")
    args = ", ".join(f"{n}: float" for n in names)
    for name, (t11, t22, t12) in spin_traces().items():
        lines += [
            "@numba.njit(cache=True)",
            f"def trace_{name}(\n    {args},\n) -> float:",
        ]
        for label, expr in (("t11", t11), ("t22", t22), ("t12", t12)):
            expr = sp.factor_terms(sp.expand(expr.subs(_SUBS)))
            lines.append(f"    {label} = {sp.pycode(expr)}")
        lines += ["    return t11 / (s1 * s1) + t22 / (s2 * s2) + 2.0 * t12 / (s1 * s2)", "", ""]
    for name, (ca, cb, cc) in ww_coefficients().items():
        lines += [
            "@numba.njit(cache=True)",
            f"def ww_{name}(x: float, m: float, mx2: float) -> tuple[float, float, float]:",
            f'    """(a, b, c) of the WW amplitude a/u^2 + b/u^3 + c/u^4 ({name})."""',
            f"    return ({sp.pycode(ca)}, {sp.pycode(cb)}, {sp.pycode(cc)})",
            "",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:  # pragma: no cover - code generation helper
    from pathlib import Path

    target = Path(__file__).with_name("_etl_traces.py")
    target.write_text(generate())
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
