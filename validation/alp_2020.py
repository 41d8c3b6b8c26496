"""Validation: NA64's ALP region (PRL 125, 081801 (2020), arXiv:2005.02710), 2.84e11 EOT.

Runs ``na64 reach invisible --analysis alp_2016_2018`` (Primakoff conversion of the shower
photons in the ECAL; the ALP is signal if it decays behind the first HCAL module, whose
energy must stay below 1 GeV, or beyond the HCAL; the invisible-mode cuts and exposure of the
same data) with na64's own efficiencies and background, and compares the excluded region of
g_aγγ with the published one (tests/data/na64_alp_2020.csv, the AxionLimits digitization):
the lower edge over 1-50 MeV, the upper edge over 11-50 MeV and the mass where the region
closes.  With ``--no-shield`` the analysis counts only missing-energy events (the plain
invisible selection, decays in the HCAL failing), to show what the shield adds.  Nothing is
fitted to the published region.

Usage::

    python validation/alp_2020.py [--events 3000] [--no-shield] [--out validation/alp_2020.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from hepunits import GeV, MeV

from na64.reach.config import load_analysis
from na64.reach.invisible import ReachResult, run_invisible

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "tests" / "data" / "na64_alp_2020.csv"
MASSES = np.array([1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 53.0,
                   56.0, 60.0]) * MeV


def published() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """(masses, lower edge) and (masses, upper edge) in MeV and GeV^-1, and the closing
    mass, from the published region's boundary."""
    rows = np.loadtxt(PUBLISHED, delimiter=",", comments="#", skiprows=10)
    m, g = rows[1:-1, 0] * 1e-6, rows[1:-1, 1]
    turn = int(np.argmax(m)) + 1  # the lower edge runs up to the closing mass
    lo_m, lo_g = m[:turn], g[:turn]
    hi_m, hi_g = m[turn:][::-1], g[turn:][::-1]
    return lo_m, lo_g, hi_m, hi_g, float(m.max())


def interp(m: np.ndarray, xm: np.ndarray, xg: np.ndarray) -> np.ndarray:
    """ln-ln interpolation, NaN outside the published range."""
    out = np.exp(np.interp(np.log(m), np.log(xm), np.log(xg)))
    return np.where((m >= xm.min()) & (m <= xm.max()), out, np.nan)


def run(events: int, shield: bool, seed: int = 1) -> ReachResult:
    cfg = load_analysis("alp_2016_2018")
    if not shield:
        cfg = cfg.model_copy(update={"selection": cfg.selection.model_copy(
            update={"hcal_decay_sum_min": None})})
    return run_invisible(cfg, MASSES, seed=seed, events_per_mass=events, nminus1=False)


def closing(result: ReachResult) -> float:
    """The largest mass with an excluded coupling, and the next one (MeV)."""
    ok = np.isfinite(result.eps_90)
    return float(result.masses[ok].max() / MeV) if ok.any() else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--no-shield", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "validation" / "alp_2020.png")
    args = ap.parse_args()
    lo_m, lo_g, hi_m, hi_g, close_pub = published()
    res = run(args.events, shield=not args.no_shield)
    m = res.masses / MeV
    low = res.eps_90 * GeV
    high = res.coupling_high * GeV
    pub_lo, pub_hi = interp(m, lo_m, lo_g), interp(m, hi_m, hi_g)
    print(f"{'m [MeV]':>8} {'low na64':>10} {'low pub':>10} {'ratio':>6} "
          f"{'high na64':>10} {'high pub':>10} {'ratio':>6}")
    for i, mi in enumerate(m):
        print(f"{mi:8.3g} {low[i]:10.3g} {pub_lo[i]:10.3g} {low[i] / pub_lo[i]:6.2f} "
              f"{high[i]:10.3g} {pub_hi[i]:10.3g} {high[i] / pub_hi[i]:6.2f}")
    print(f"largest excluded mass: na64 {closing(res):.3g} MeV (of {', '.join(f'{x:g}' for x in m)}),"
          f" published region closes at {close_pub:.3g} MeV")
    print(f"S_up = {res.s_up:.3f}, background {res.background.events(res.eot)[0]:.3g} events")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6))
    # the published edges (the digitization's closure of the polygon outside the measured
    # range is left out)
    ax.plot(lo_m[lo_m >= 0.5] / 1e3, lo_g[lo_m >= 0.5], color="tab:blue", lw=2,
            label="NA64, PRL 125, 081801 (2020): lower edge")
    ax.plot(hi_m / 1e3, hi_g, color="tab:blue", lw=2, ls="--", label="NA64 2020: upper edge")
    both = np.linspace(hi_m.min(), hi_m.max(), 200)
    ax.fill_between(both / 1e3, interp(both, lo_m, lo_g), interp(both, hi_m, hi_g),
                    color="tab:blue", alpha=0.2)
    ok = np.isfinite(low)
    ax.plot(m[ok] / 1e3, low[ok], "k-", lw=2, label="na64, lower edge")
    okh = np.isfinite(high)
    ax.plot(m[okh] / 1e3, high[okh], "k--", lw=2, label="na64, upper edge")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1e-3, 0.1)
    ax.set_ylim(5e-5, 1.0)
    ax.set_xlabel(r"$m_a$ [GeV]")
    ax.set_ylabel(r"$g_{a\gamma\gamma}$ [GeV$^{-1}$]")
    ax.set_title("ALP, 2.84e11 EOT" + ("" if not args.no_shield else " (missing energy only)"))
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    fig.savefig(args.out.with_suffix(".pdf"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
