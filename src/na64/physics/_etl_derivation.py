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

VECS = ("p", "pp", "k", "N")
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


def traced(terms: Factor) -> sp.Expr:
    """Trace of a sum of products with zero or two 'A' (contracted gamma_a ... gamma^a) slots
    and an even number of gamma5 ('G5')."""
    total = sp.Integer(0)
    for coef0, seq0 in terms:
        sign, seq = reduce_g5(seq0)
        coef = sign * coef0
        if "A" not in seq:
            total += coef * trace(seq)
            continue
        i = seq.index("A")
        rot = seq[i:] + seq[:i]
        j = rot.index("A", 1)
        inner, outer = rot[1:j], rot[j + 1 :]
        for c2, res in contract(inner):
            if res and res[0] == "DOT":
                total += coef * c2 * dot(res[1], res[2]) * trace(outer)
            else:
                total += coef * c2 * trace(res + outer)
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


_SUBS = {dot("p", "p"): m**2, dot("pp", "pp"): m**2, dot("k", "k"): sp.Symbol("mx2")}


def generate() -> str:  # pragma: no cover - code generation helper
    """Source of the module _etl_traces.py (numba kernels of the traces)."""
    lines = [
        '"""Lepton traces of l N -> l N X per spin of X.  GENERATED by _etl_derivation.py:',
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
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:  # pragma: no cover - code generation helper
    from pathlib import Path

    target = Path(__file__).with_name("_etl_traces.py")
    target.write_text(generate())
    print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
