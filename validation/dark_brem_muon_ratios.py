"""How good are the IWW and WW approximations of dark bremsstrahlung for muons?

Computes the total cross section of mu- Pb -> mu- Pb X with ``na64.physics.dark_brem`` in
the three approximations the module offers, for a vector boson (dark photon A' / Z') and a
scalar, and the ratios IWW/ETL and WW/ETL against the boson mass and the muon energy.  For
comparison the same ratios are computed for an electron beam at 100 GeV.

Usage::

    python validation/dark_brem_muon_ratios.py [--csv validation/dark_brem_muon_ratios.csv]
                                               [--out validation/dark_brem_muon_ratios.png]

Writes the CSV (columns lepton, boson, energy_GeV, mass_GeV, sigma_etl_pb, sigma_iww_pb,
sigma_ww_pb, iww_over_etl, ww_over_etl; sigma for coupling 1, it scales as coupling^2), a
two-panel figure (vector, scalar: the ratios against the mass, one curve per energy) and
prints a summary table and a scan of IWW/ETL at 1 MeV up to 10 TeV.

What is computed
----------------
* ETL, exact tree level: the full 2 -> 3 matrix element with one-photon exchange off a
  nucleus of charge Z G(t), Tsai's elastic + inelastic form factor (arXiv:0906.0580,
  Bjorken, Essig, Schuster, Toro, App. A, Eq. (A1)-(A3), (A17)-(A19)), integrated over the
  exact three-body phase space in the variables of Liu, McKeen, Miller, arXiv:1609.06781,
  App. A.  This is the "ETL" of Gninenko, Kirpichnikov, Kirsanov, Krasnikov,
  arXiv:1712.05706 (electrons, Eq. (3)-(5)), of the muon papers of Kirpichnikov et al.,
  arXiv:2107.13297 (vector, mu- N -> mu- N Z') and Sieber et al., arXiv:2305.09015
  (scalar and pseudoscalar), and of the DMG4 package, arXiv:2101.12192.
* WW, Weizsaecker-Williams: the 2 -> 2 amplitude gamma l -> l X at t = t_min(x, theta)
  times the photon flux chi(t_min, m_X^2 + m_l^2), arXiv:1609.06781 Eq. (9)-(10) and Liu &
  Miller, arXiv:1705.01633, Eq. (19) and (30) (vector; the spin-0 and spin-1 WW
  expressions of that paper), with the lepton mass kept everywhere.  DMG4's muon Z'
  process (``DarkZ.cc``) uses this approximation by default (``IApprox = 2``).
* IWW, improved WW: the flux taken at the fixed t_min = m_X^4 / (4 E0^2) and the angle
  integral done analytically, arXiv:0906.0580 Eq. (A15)-(A17), arXiv:1609.06781 Eq. (11).
  DMG4 evaluates its electron cross sections in IWW and divides by K = IWW/ETL
  (arXiv:1712.05706, arXiv:2101.12192).

Target Pb, the absorber of the NA64mu ECAL that serves as its active target (setup
``na64mu_2022``: 1.5 mm Pb + 1.5 mm scintillator layers).  The ECAL is a sampling
calorimeter, not a compound material, and per atom its lead has (82/6)^2 ~ 190 times the
Z^2 of the scintillator's carbon, so the ratios of lead are those of the target.  The
full x range x = E_X/E0 >= m_X/E0 is integrated (``threshold=0``); the DMG4 threshold
max(10 MeV, 2 m_X) changes no ratio by more than 0.2 % except at m_X >= 0.86 GeV with
E0 <= 20 GeV (0.7 %, and 3.5 % for IWW at 2 GeV, 10 GeV).  Grid: muon energies 10, 20,
50, 100, 160 GeV, ten masses log-spaced between 1 MeV and 2 GeV (1, 2.3, 5.4, 12.6,
29, 68, 159, 369, 860, 2000 MeV; all kinematically open, m_X < E0 - m_l); electrons at
100 GeV.

Numerical accuracy: ETL, WW and IWW use fixed Gauss-Legendre rules (dark_brem's
convergence study: doubling the nodes changes sigma by < 0.3 %).  The script checks the
x rule against a 2 x 400-point Simpson integral of ``dsigma_dx`` and the angle rule
against a 4000-point Simpson integral of ``dsigma_dx_dtheta`` at 2 energies x 3 masses x
2 spins (ETL and WW): largest difference 4.7e-4.

Results (``python validation/dark_brem_muon_ratios.py``, 7-10 s on 2 shared cores)
-------------------------------------------------------------------------------------
Ratios for mu- Pb, vector / scalar:

=========  ===========  ===========  ===========  ===========  ===========
m_X        10 GeV       20 GeV       50 GeV       100 GeV      160 GeV
=========  ===========  ===========  ===========  ===========  ===========
IWW/ETL
1 MeV      1.46 / 1.48  1.32 / 1.33  1.19 / 1.19  1.13 / 1.12  1.10 / 1.09
29 MeV     2.43 / 2.59  2.10 / 2.21  1.73 / 1.80  1.50 / 1.55  1.38 / 1.42
159 MeV    3.06 / 3.36  2.47 / 2.67  2.02 / 2.16  1.82 / 1.92  1.71 / 1.79
860 MeV    8.04 / 7.40  5.53 / 5.32  3.46 / 3.44  2.65 / 2.67  2.30 / 2.33
2 GeV      16.7 / 13.5  7.76 / 6.75  5.97 / 5.46  4.44 / 4.18  3.59 / 3.44
WW/ETL
1-159 MeV  0.995-1.015  0.996-1.010  0.997-1.007  0.997-1.005  0.997-1.004
369 MeV    1.026/1.038  1.016/1.024  1.009/1.014  1.006/1.010  1.005/1.008
860 MeV    1.101/1.103  1.043/1.050  1.020/1.025  1.012/1.016  1.009/1.012
2 GeV      2.61 / 2.48  1.37 / 1.35  1.073/1.075  1.030/1.034  1.020/1.023
=========  ===========  ===========  ===========  ===========  ===========

* WW is good for muons: within 1.5 % of ETL up to 159 MeV at every energy, within 4 %
  up to 369 MeV, and within 10 % on the whole grid except where m_X is a sizeable
  fraction of E0 (860 MeV at 10 GeV: 1.10; 2 GeV at 10 and 20 GeV: 2.6 and 1.37).  At
  160 GeV it is within 2.3 % up to 2 GeV.  This is the O(1) % muon-mode agreement of
  arXiv:2409.12748 (and arXiv:2107.13297, arXiv:2305.09015 at 160 GeV).
* IWW overestimates sigma for muons at every mass and energy of the grid, and is within
  10 % of ETL only at 1 MeV and 160 GeV (1.095 vector, 1.090 scalar).  Two failures:
  (i) light X: IWW's flux starts at t_min = m_X^4/4E0^2, which drops the lepton-mass
  part of the true t_min ~ (m_mu^2 x / 2E0(1-x))^2 (WW keeps it and agrees with ETL).
  For muons that part is above the atomic screening scale 1/a^2 (a = 111 Z^-1/3 / m_e,
  arXiv:0906.0580 Eq. (A18)) unless E0 >> m_mu^2 a / 2 ~ 280 GeV (Pb): at 1 MeV the
  excess falls from 1.46 (10 GeV) to 1.13 (100 GeV), 1.064 (300 GeV), 1.028 (1 TeV) and
  1.003 (10 TeV).  (ii) heavy X (m_X >~ 100 MeV): the fixed-t_min flux fails as for
  electrons (K = IWW/ETL ~ 2 at 0.5-1 GeV, arXiv:1712.05706); once m_X >> m_mu the muon
  IWW/ETL equals the electron one within 2.5 % (100 GeV: 2.02 / 2.04, 2.65 / 2.63,
  4.44 / 4.36 at 0.37, 0.86, 2 GeV, vector), the lepton mass no longer matters.
* Electrons, 100 GeV (for comparison): IWW/ETL 0.80 (1 MeV) ... 4.36 (2 GeV) and WW/ETL
  0.80 ... 1.57, both within 10 % only at 2.3-5.4 MeV (scalar: IWW 0.87-4.28, WW
  0.87-1.63, within 10 % only at 2.3 MeV); the WW range is the -20 % ... +80 % of
  arXiv:2409.12748 for electron beams.  Muon beams are the favourable case for WW.

For NA64mu (160 GeV, m_X <= 2 GeV) WW can stand in for ETL to 2.3 %; IWW cannot (9-260 %
high).  For muons degraded to 10-20 GeV in a thick target WW stays within 4 % up to
m_X ~ 0.4 GeV.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from hepunits import GeV, MeV, picobarn
from scipy import integrate

from na64.constants import LEPTON_MASS
from na64.physics import dark_brem as db

TARGET = "Pb"
#: boson masses: ten points log-spaced between 1 MeV and 2 GeV
MASSES = np.geomspace(1.0 * MeV, 2.0 * GeV, 10)
#: beam energies (GeV) per lepton
ENERGIES = {"mu-": (10.0, 20.0, 50.0, 100.0, 160.0), "e-": (100.0,)}
SPINS = ("vector", "scalar")
METHODS = ("etl", "iww", "ww")
FIELDS = ("lepton", "boson", "energy_GeV", "mass_GeV", "sigma_etl_pb", "sigma_iww_pb",
          "sigma_ww_pb", "iww_over_etl", "ww_over_etl")
#: energies (GeV) of the IWW convergence scan at m_X = 1 MeV (printed only)
IWW_SCAN_ENERGIES = (10.0, 20.0, 50.0, 100.0, 160.0, 300.0, 1000.0, 10000.0)
#: the ratios are called good within this fraction of 1
GOOD = 0.10


def open_masses(energy: float, lepton: str) -> np.ndarray:
    """The grid masses that are kinematically open at ``energy`` (MeV): m_X < E0 - m_l."""
    grid = MASSES
    return grid[grid < energy - LEPTON_MASS[lepton]]


def compute() -> list[dict[str, float | str]]:
    """One row per (lepton, boson, energy, mass) with the three cross sections in pb."""
    rows: list[dict[str, float | str]] = []
    for lepton, energies in ENERGIES.items():
        for spin in SPINS:
            for e_gev in energies:
                masses = open_masses(e_gev * GeV, lepton)
                sig = {method: np.asarray(db.total_cross_section(
                    masses, e_gev * GeV, lepton=lepton, target=TARGET, method=method,
                    spin=spin, threshold=0.0)) / picobarn for method in METHODS}
                for i, m in enumerate(masses):
                    etl = float(sig["etl"][i])
                    rows.append({
                        "lepton": lepton, "boson": spin, "energy_GeV": e_gev,
                        "mass_GeV": float(m / GeV), "sigma_etl_pb": etl,
                        "sigma_iww_pb": float(sig["iww"][i]), "sigma_ww_pb": float(sig["ww"][i]),
                        "iww_over_etl": float(sig["iww"][i]) / etl,
                        "ww_over_etl": float(sig["ww"][i]) / etl,
                    })
    return rows


def write_csv(rows: list[dict[str, float | str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(FIELDS)
        for r in rows:
            out.writerow([r["lepton"], r["boson"], f"{r['energy_GeV']:g}",
                          f"{r['mass_GeV']:.10g}", f"{r['sigma_etl_pb']:.6e}",
                          f"{r['sigma_iww_pb']:.6e}", f"{r['sigma_ww_pb']:.6e}",
                          f"{r['iww_over_etl']:.5f}", f"{r['ww_over_etl']:.5f}"])


def _good_range(masses: np.ndarray, ratios: np.ndarray) -> str:
    """The masses (MeV) at which |ratio - 1| < GOOD, as 'lo-hi MeV' or a list, or 'none'."""
    ok = np.abs(ratios - 1.0) < GOOD
    if not ok.any():
        return "none"
    idx = np.flatnonzero(ok)
    lo, hi = masses[idx[0]] / MeV, masses[idx[-1]] / MeV
    contiguous = idx[-1] - idx[0] + 1 == idx.size
    text = f"{lo:.3g}-{hi:.4g} MeV" if idx.size > 1 else f"{lo:.3g} MeV"
    return text if contiguous else text + " (not all between)"


def summarize(rows: list[dict[str, float | str]]) -> None:
    """Print, per lepton, boson and energy, where each ratio is within GOOD and its worst value."""
    print(f"masses [MeV]: {', '.join(f'{m / MeV:.4g}' for m in MASSES)}")
    print("| lepton | boson | E0 [GeV] | IWW/ETL within 10% | IWW/ETL min-max "
          "| WW/ETL within 10% | WW/ETL min-max |")
    print("|---|---|---|---|---|---|---|")
    for lepton, energies in ENERGIES.items():
        for spin in SPINS:
            for e_gev in energies:
                sel = [r for r in rows if r["lepton"] == lepton and r["boson"] == spin
                       and r["energy_GeV"] == e_gev]
                m = np.array([float(r["mass_GeV"]) for r in sel]) * GeV
                iww = np.array([float(r["iww_over_etl"]) for r in sel])
                ww = np.array([float(r["ww_over_etl"]) for r in sel])
                print(f"| {lepton} | {spin} | {e_gev:g} | {_good_range(m, iww)} "
                      f"| {iww.min():.3f}-{iww.max():.3f} | {_good_range(m, ww)} "
                      f"| {ww.min():.3f}-{ww.max():.3f} |")
    print()
    for spin in SPINS:
        print(f"mu- {spin}: ratios per energy (columns: masses above)")
        for e_gev in ENERGIES["mu-"]:
            sel = [r for r in rows if r["lepton"] == "mu-" and r["boson"] == spin
                   and r["energy_GeV"] == e_gev]
            print(f"  {e_gev:5g} GeV IWW/ETL " + " ".join(f"{float(r['iww_over_etl']):6.3f}"
                                                      for r in sel))
            print(f"  {e_gev:5g} GeV  WW/ETL " + " ".join(f"{float(r['ww_over_etl']):6.3f}"
                                                      for r in sel))


def iww_energy_scan() -> None:
    """IWW/ETL and WW/ETL at m_X = 1 MeV against the muon energy (vector, Pb)."""
    e = np.array(IWW_SCAN_ENERGIES) * GeV
    s = {method: np.asarray(db.total_cross_section(1.0 * MeV, e, lepton="mu-", target=TARGET,
                                                   method=method, threshold=0.0))
         for method in METHODS}
    print("\nmu- vector, m_X = 1 MeV: IWW/ETL, WW/ETL against E0")
    for k, e_gev in enumerate(IWW_SCAN_ENERGIES):
        print(f"  {e_gev:7g} GeV  {s['iww'][k] / s['etl'][k]:.4f}  {s['ww'][k] / s['etl'][k]:.4f}")


def _x_integral(mass: float, energy: float, spin: str, method: str, n: int = 400) -> float:
    """sigma by Simpson's rule on 2 x n points of dsigma/dx (ln x below 1/2, ln(1-x) above)."""
    lo, hi = mass / energy, 1.0 - LEPTON_MASS["mu-"] / energy
    total = 0.0
    if lo < 0.5:
        y = np.linspace(np.log(lo), np.log(min(0.5, hi)), n)
        x = np.exp(y)
        f = db.dsigma_dx(x, mass, energy, lepton="mu-", target=TARGET, method=method, spin=spin)
        total += float(integrate.simpson(f * x, x=y))
    if hi > 0.5:
        y = np.linspace(np.log(1.0 - hi), np.log(1.0 - max(0.5, lo)), n)
        x = 1.0 - np.exp(y)
        f = db.dsigma_dx(x, mass, energy, lepton="mu-", target=TARGET, method=method, spin=spin)
        total += float(integrate.simpson(f * (1.0 - x), x=y))
    return total


def _theta_integral(x: float, mass: float, energy: float, spin: str, method: str) -> float:
    """dsigma/dx by Simpson's rule on 4000 points of dsigma/dx dtheta in ln theta."""
    ml = LEPTON_MASS["mu-"]
    theta_c = np.sqrt((mass**2 * (1.0 - x) / x + ml**2 * x) / (x * energy**2))
    u = np.linspace(np.log(1e-5 * theta_c), np.log(np.pi), 4000)
    th = np.exp(u)
    f = db.dsigma_dx_dtheta(x, th, mass, energy, lepton="mu-", target=TARGET, method=method,
                            spin=spin)
    return float(integrate.simpson(f * th, x=u))


def quadrature_check() -> float:
    """Largest relative difference of the built-in x and angle rules from dense Simpson sums."""
    worst = 0.0
    for e_gev in (10.0, 160.0):
        for m in (MASSES[0], MASSES[5], MASSES[-1]):
            for spin in SPINS:
                for method in ("etl", "ww"):
                    ref = float(db.total_cross_section(m, e_gev * GeV, lepton="mu-",
                                                       target=TARGET, method=method, spin=spin,
                                                       threshold=0.0))
                    worst = max(worst, abs(_x_integral(m, e_gev * GeV, spin, method) / ref - 1))
                    for x in (0.1, 0.5, 0.9):
                        if x * e_gev * GeV <= m:
                            continue
                        d = float(db.dsigma_dx(x, m, e_gev * GeV, lepton="mu-", target=TARGET,
                                               method=method, spin=spin))
                        th = _theta_integral(x, m, e_gev * GeV, spin, method)
                        worst = max(worst, abs(th / d - 1))
    return worst


def plot(rows: list[dict[str, float | str]], out: Path) -> None:
    """Ratios against the mass: columns vector / scalar, rows IWW/ETL / WW/ETL, colour =
    beam (lepton and energy)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.style as mstyle
    import mplhep as hep
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

    curves = [(lepton, e_gev) for lepton, energies in ENERGIES.items() for e_gev in energies]
    with mstyle.context(hep.style.ROOT):
        fig, axes = plt.subplots(2, 2, figsize=(15, 11), sharex=True, sharey="row")
        for col, spin in enumerate(SPINS):
            for row, (key, label, ylim, ticks) in enumerate(
                    (("iww_over_etl", "IWW", (0.7, 20.0), (0.8, 1.0, 2.0, 5.0, 10.0, 20.0)),
                     ("ww_over_etl", "WW", (0.75, 3.0), (0.8, 1.0, 1.5, 2.0, 3.0)))):
                ax = axes[row, col]
                for k, (lepton, e_gev) in enumerate(curves):
                    sel = [r for r in rows if r["lepton"] == lepton and r["boson"] == spin
                           and r["energy_GeV"] == e_gev]
                    m = np.array([float(r["mass_GeV"]) for r in sel])
                    is_e = lepton == "e-"
                    name = r"$e^-$" if is_e else r"$\mu^-$"
                    ax.plot(m, [float(r[key]) for r in sel], ":" if is_e else "-",
                            marker="s" if is_e else "o", ms=5,
                            color="black" if is_e else f"C{k}", label=f"{name} {e_gev:g} GeV")
                ax.axhspan(1.0 - GOOD, 1.0 + GOOD, color="grey", alpha=0.25, lw=0, label="±10%")
                ax.axhline(1.0, color="grey", lw=0.8)
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_ylim(*ylim)
                ax.yaxis.set_major_locator(FixedLocator(ticks))
                ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
                ax.yaxis.set_minor_formatter(NullFormatter())
                if col == 0:
                    ax.set_ylabel(rf"$\sigma_{{\rm {label}}} / \sigma_{{\rm ETL}}$")
                if row == 0:
                    ax.set_title(rf"$\ell^-$ Pb $\to \ell^-$ Pb X, X = {spin}", fontsize=18)
                else:
                    ax.set_xlabel(r"$m_X$ [GeV]")
        axes[0, 0].legend(fontsize=12, frameon=False, loc="upper left")
        fig.tight_layout()
        fig.savefig(out, dpi=150, bbox_inches="tight")
        plt.close(fig)
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    ap.add_argument("--csv", type=Path, default=here / "dark_brem_muon_ratios.csv")
    ap.add_argument("--out", type=Path, default=here / "dark_brem_muon_ratios.png")
    args = ap.parse_args()
    start = time.perf_counter()
    rows = compute()
    write_csv(rows, args.csv)
    print(f"wrote {args.csv} ({len(rows)} rows)")
    summarize(rows)
    iww_energy_scan()
    print(f"\nquadrature check (x and angle rules against dense Simpson sums): "
          f"largest relative difference {quadrature_check():.1e}")
    plot(rows, args.out)
    print(f"run time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
