"""Validation: NA64 2017+2018 visible-mode band (PRD 101, 071101 (2020), arXiv:1912.11389).

Runs ``na64 reach visible``'s chain for the published exposure (2017: 5.4e10 EOT at 100 GeV;
2018: 3.0e10 EOT at 150 GeV; zero events) with na64's own efficiencies and background, and
compares the excluded band of A' -> e+e- with the published one (the digitized Fig. 5
shipped as ``src/na64/data/published/na64_visible_2020.csv``): the lower and upper edges
from 2 to 20 MeV and the mass where the band closes.  Nothing is fitted to the published
band; the setups' dump and decay-volume lengths are assumed (see the setup files).

Usage::

    python validation/visible_2020.py [--events 3000] [--out validation/visible_2020.png]

Also prints the X17 (16.7 MeV) coupling range for the vector and the pseudoscalar X
(published: 1.2e-4 < ε < 6.8e-4 for the vector, arXiv:1912.11389; the pseudoscalar result of
arXiv:2104.13342, 2.1e-4 < ε < 3.2e-4, combines these data with the invisible mode and is
quoted for orientation only).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from hepunits import MeV

from na64.plots.band import plot_band, read_band_csv
from na64.reach.visible import VisibleResult, run_visible
from na64.reach.visible_config import load_visible_analysis

PUBLISHED = (Path(__file__).resolve().parents[1] / "src" / "na64" / "data" / "published"
             / "na64_visible_2020.csv")
#: masses of the edge comparison (MeV) and of the closing-mass scan
EDGE_MASSES = np.array([2.0, 3.0, 5.0, 7.0, 10.0, 13.0, 16.7, 20.0]) * MeV
CLOSE_MASSES = np.array([22.0, 24.0, 26.0, 28.0, 30.0, 32.0, 35.0, 40.0]) * MeV


def published_edges(masses: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Published (low, high) at ``masses`` (ln-ln interpolation) and the closing mass."""
    m, lo, hi = read_band_csv(PUBLISHED)
    x = np.log(masses)
    return (np.exp(np.interp(x, np.log(m), np.log(lo))),
            np.exp(np.interp(x, np.log(m), np.log(hi))), float(m[-1]))


def compare(result: VisibleResult) -> dict[str, np.ndarray | float]:
    """Ratios na64 / published of both edges at :data:`EDGE_MASSES` and of the closing mass."""
    sel = np.isin(np.round(result.masses, 9), np.round(EDGE_MASSES, 9))
    lo, hi, close = published_edges(result.masses[sel])
    return {"masses": result.masses[sel], "low": result.band.low[sel], "high": result.band.high[sel],
            "low_pub": lo, "high_pub": hi, "low_ratio": result.band.low[sel] / lo,
            "high_ratio": result.band.high[sel] / hi, "closing": result.closing_mass,
            "closing_pub": close, "closing_ratio": result.closing_mass / close}


def run(events: int, seed: int = 1, model: str = "dark-photon") -> VisibleResult:
    """The band of the shipped analysis at the comparison and closing masses."""
    cfg = load_visible_analysis("visible_2017_2018")
    if model != cfg.signal.model:
        cfg = cfg.model_copy(update={"signal": cfg.signal.model_copy(update={"model": model})})
    masses = np.concatenate([EDGE_MASSES, CLOSE_MASSES])
    return run_visible(cfg, masses, seed=seed, events_per_mass=events, nminus1=False,
                       background_events=5000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("visible_2020.png"))
    args = ap.parse_args()
    res = run(args.events)
    c = compare(res)
    print(f"background {res.b:.3g} ± {res.sigma_b:.2g} events, S_up = {res.s_up:.3f}")
    print("| m [MeV] | ε_low na64 | published | ratio | ε_high na64 | published | ratio |")
    print("|---|---|---|---|---|---|---|")
    for i, m in enumerate(c["masses"]):  # type: ignore[arg-type]
        print(f"| {m / MeV:.3g} | {c['low'][i]:.3g} | {c['low_pub'][i]:.3g} | "  # type: ignore[index]
              f"{c['low_ratio'][i]:.2f} | {c['high'][i]:.3g} | {c['high_pub'][i]:.3g} | "  # type: ignore[index]
              f"{c['high_ratio'][i]:.2f} |")  # type: ignore[index]
    print(f"closing mass: na64 {c['closing'] / MeV:.3g} MeV, published "  # type: ignore[operator]
          f"{c['closing_pub'] / MeV:.3g} MeV, ratio {c['closing_ratio']:.2f}")  # type: ignore[operator]
    pm, plo, phi = read_band_csv(PUBLISHED)
    order = np.argsort(res.masses)
    plot_band(res.masses[order], res.band.low[order], res.band.high[order], args.out.with_suffix(""),
              published=[("NA64 2017+2018 (arXiv:1912.11389)", pm, plo, phi)],
              title="A' → e+e−, 8.4e10 EOT: na64 vs published")
    x = run(args.events, model="x-pseudoscalar")
    i = int(np.argmin(np.abs(x.masses - 16.7 * MeV)))
    j = int(np.argmin(np.abs(res.masses - 16.7 * MeV)))
    print(f"16.7 MeV: vector/dark photon {res.band.low[j]:.3g} < ε < {res.band.high[j]:.3g}; "
          f"pseudoscalar {x.band.low[i]:.3g} < ε < {x.band.high[i]:.3g}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
