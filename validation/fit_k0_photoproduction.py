"""Fit the K0 yield of photo-nuclear interactions (:class:`na64.background.k0_decays.KaonModel`)
to Geant4's photo-nuclear model in tungsten.

Usage::

    python validation/fit_k0_photoproduction.py [--check] [--out validation/k0_photoproduction.png]

Reference: ``tests/data/g4_photonuclear_k0_w.csv``, the K0_S of 5000 photo-nuclear
interactions of 25, 40, 80 and 120 GeV photons in tungsten in Geant4 11.4 (its QGSP string
model; tests/data/README.md): the number of K0_S per interaction whose energy fraction
z = E_K/k exceeds 0.1 … 0.9.  The visible-mode background needs kaons above the ECAL
threshold (~22 GeV), i.e. z ≳ 0.2–0.9 for the shower photons that make them.

The model counts ⟨n_K0S⟩ = r ⟨n_ch⟩(W) kaons per interaction with the leading-particle
spectrum (n + 1)(1 − z)^n, plus the kaons of diffractive φ photoproduction; r and n are
fitted here to the reference's counts above z = 0.2 … 0.7 at all four energies (Poisson
errors of the counts, a 10% floor for the model's shape), φ kept at its published rate.
Before this fit they were assumed (r = 0.05 from e+e− and pp multiplicities, n = 3 from
counting rules), which made 4–9 times more kaons above z = 0.3–0.7 than the reference.
The fitted values are printed; ``--check`` exits with 1 when the shipped defaults differ
from them by more than 10% (r) or 0.3 (n).  Nothing here claims that Geant4's
photo-nuclear model is right: it is an independent, tuned-to-hadron-data estimate in
place of an assumption, and the model's variations (``KaonModel.variations``) keep a
factor ~1.5 on each parameter.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from na64.background.k0_decays import BR_PHI_KSKL, KaonModel, _phi_fraction_above
from na64.background.upstream import charged_multiplicity
from na64.constants import M_P
from na64.units import GeV

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "g4_photonuclear_k0_w.csv"
Z_FIT = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def load_reference(path: Path = REFERENCE) -> list[dict[str, float]]:
    """Rows of the reference (photon energy in GeV, counts per interaction)."""
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    return [{k: float(v) for k, v in r.items()} for r in rows]


def model_above(model: KaonModel, k_gev: float, z_min: float) -> float:
    """K0_S per photo-nuclear interaction of a k-GeV photon with z > ``z_min``."""
    w2 = M_P**2 + 2.0 * M_P * k_gev * GeV
    incl = model.k0s_per_charged * charged_multiplicity(w2) * model.leading_fraction(z_min)
    phi = model.phi_fraction * BR_PHI_KSKL * _phi_fraction_above(np.array([z_min]))[0]
    return float(incl) + float(phi)


def fit(rows: list[dict[str, float]]) -> KaonModel:
    """The model with r and n fitted to ``rows``."""
    pts = [(r["k_GeV"], z, r[f"k0s_z_gt_{z}"], r["interactions"]) for r in rows for z in Z_FIT]

    def residuals(p: np.ndarray) -> np.ndarray:
        m = KaonModel(k0s_per_charged=float(math.exp(p[0])), leading_power=float(p[1]))
        out = []
        for k, z, g4, n in pts:
            mod = model_above(m, k, z)
            var = max(g4, 1.0 / n) / n + (0.1 * mod) ** 2
            out.append((mod - g4) / math.sqrt(var))
        return np.array(out)

    p = least_squares(residuals, [math.log(0.03), 4.0],
                      bounds=([math.log(1e-3), 0.5], [math.log(0.5), 12.0])).x
    return KaonModel(k0s_per_charged=float(math.exp(p[0])), leading_power=float(p[1]))


def g4_above(rows: list[dict[str, float]], k_gev: float, z_min: float) -> float:
    """The reference's K0_S per interaction above ``z_min`` at photon energy ``k_gev``:
    linear in k between the rows, log-linear in z, the last two non-zero points'
    exponential beyond them."""
    zs = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    ks = np.array([r["k_GeV"] for r in rows])
    tab = np.array([[r[f"k0s_z_gt_{z:g}"] for z in zs] for r in rows])
    row = np.array([np.interp(k_gev, ks, tab[:, j]) for j in range(zs.size)])
    pos = np.flatnonzero(row > 0)
    if z_min > zs[pos[-1]]:
        j, i = pos[-1], pos[-2]
        slope = math.log(row[j] / row[i]) / (zs[j] - zs[i])
        return float(row[j] * math.exp(slope * (z_min - zs[j])))
    return float(np.exp(np.interp(z_min, zs[pos], np.log(row[pos]))))


def rate_ratio(rows: list[dict[str, float]], model: KaonModel, e0_gev: float,
               e_min_gev: float = 22.4) -> float:
    """∫ dk/k² N(z > E_min/k) of the model over the reference's, k from E_min to E0: the
    kaon rate above the ECAL threshold of a shower whose photon track length is ∝ 1/k²
    (Tsai–Whitis), the quantity the visible-mode background is proportional to."""
    kk = np.linspace(e_min_gev * 1.03, e0_gev, 300)
    w = 1.0 / kk**2
    mod = np.array([model_above(model, k, e_min_gev / k) for k in kk])
    ref = np.array([g4_above(rows, k, e_min_gev / k) for k in kk])
    return float(np.trapezoid(mod * w, kk) / np.trapezoid(ref * w, kk))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("k0_photoproduction.png"))
    args = ap.parse_args()
    rows = load_reference()
    fitted = fit(rows)
    shipped = KaonModel()
    before = KaonModel(k0s_per_charged=0.05, leading_power=3.0)
    print(f"fitted: k0s_per_charged = {fitted.k0s_per_charged:.4g}, "
          f"leading_power = {fitted.leading_power:.3g}")
    print("| k (GeV) | z > | Geant4 | na64 fitted | ratio | na64 before (0.05, 3) | ratio |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        for z in Z_FIT:
            g4 = r[f"k0s_z_gt_{z}"]
            a, b = model_above(fitted, r["k_GeV"], z), model_above(before, r["k_GeV"], z)
            print(f"| {r['k_GeV']:g} | {z:g} | {g4:.4g} | {a:.4g} | "
                  f"{a / g4 if g4 else float('nan'):.2f} | {b:.4g} | "
                  f"{b / g4 if g4 else float('nan'):.2f} |")
    for e0 in (100.0, 150.0):
        print(f"{e0:g} GeV beam, kaons above 22.4 GeV from the shower photons (track length "
              f"~ 1/k^2): na64 fitted / Geant4 = {rate_ratio(rows, fitted, e0):.2f}, before "
              f"{rate_ratio(rows, before, e0):.2f}")
    _plot(rows, fitted, before, args.out)
    if args.check and not (
            math.isclose(shipped.k0s_per_charged, fitted.k0s_per_charged, rel_tol=0.1)
            and abs(shipped.leading_power - fitted.leading_power) <= 0.3):
        print(f"shipped defaults ({shipped.k0s_per_charged:g}, {shipped.leading_power:g}) "
              "differ from the fit")
        return 1
    return 0


def _plot(rows: list[dict[str, float]], fitted: KaonModel, before: KaonModel, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from na64.plots.limits import save_figure

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    zs = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    for r, color in zip(rows, ("C0", "C1", "C2", "C3"), strict=False):
        g4 = np.array([r[f"k0s_z_gt_{z:g}"] for z in zs])
        err = np.sqrt(np.maximum(g4, 1.0 / r["interactions"]) / r["interactions"])
        ax.errorbar(zs, np.where(g4 > 0, g4, np.nan), yerr=err, fmt="o", color=color, ms=4,
                    label=f"Geant4, k = {r['k_GeV']:g} GeV")
        zz = np.linspace(0.1, 0.9, 50)
        ax.plot(zz, [model_above(fitted, r["k_GeV"], z) for z in zz], color=color)
        ax.plot(zz, [model_above(before, r["k_GeV"], z) for z in zz], color=color, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("z = E(K0_S) / k")
    ax.set_ylabel("K0_S per photo-nuclear interaction above z")
    ax.set_title("γW → K0_S X: na64 fitted (solid), assumed before (dotted)")
    ax.legend(fontsize=8)
    save_figure(fig, out)


if __name__ == "__main__":
    sys.exit(main())
