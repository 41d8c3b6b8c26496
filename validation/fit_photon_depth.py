"""Fit the depth model of :mod:`na64.detector.photonuclear` to na64's cascade Monte Carlo.

The photons of energy k in an electron shower of energy E0 lie, weighted by their track
length, at a depth t (in X0 from the shower's start) whose mean is ln(E0/k) + offset and
whose variance is a fixed multiple of that mean (a Gamma distribution).  This script runs
:func:`na64.generate.shower.track_length_spectrum` for 100 and 20 GeV e− in lead (4000
showers each, photons followed down to 0.2 GeV, 80 depth bins to 40 X0, seed 1) and fits,
over the energy bins with ln(E0/k) > 1, the offset as the mean of (mean depth − ln(E0/k))
and the variance ratio as the mean of (variance / mean depth).

    python validation/fit_photon_depth.py [--check]

``--check`` exits 1 if :data:`~na64.detector.photonuclear.DEPTH_OFFSET` or
:data:`~na64.detector.photonuclear.DEPTH_VARIANCE` differ from the fit by more than 0.05
(offset, X0) or 5% (variance ratio).
"""

from __future__ import annotations

import argparse

import numpy as np

from na64.detector import photonuclear as pn
from na64.generate.shower import track_length_spectrum
from na64.materials import get_material
from na64.units import GeV


def fit() -> tuple[float, float]:
    pb = get_material("Pb")
    offsets, ratios = [], []
    for e0 in (100.0 * GeV, 20.0 * GeV):
        r = track_length_spectrum(e0, pb, primary="e-", e_min=0.2 * GeV, n_showers=4000,
                                  n_bins=20, depth_bins=80, depth_max=40 * pb.X0,
                                  rng=np.random.default_rng(1))
        t = 0.5 * (r.depth_edges[1:] + r.depth_edges[:-1]) / pb.X0
        for k, w in zip(r.centers, r.photon_depth, strict=True):
            y = np.log(e0 / k)
            if y <= 1.0 or w.sum() <= 0:
                continue
            mean = float(np.sum(w * t) / np.sum(w))
            var = float(np.sum(w * (t - mean) ** 2) / np.sum(w))
            offsets.append(mean - y)
            ratios.append(var / mean)
    return float(np.mean(offsets)), float(np.mean(ratios))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    offset, ratio = fit()
    print(f"DEPTH_OFFSET = {offset:.3f}   (shipped {pn.DEPTH_OFFSET})")
    print(f"DEPTH_VARIANCE = {ratio:.3f}   (shipped {pn.DEPTH_VARIANCE})")
    if args.check and (abs(offset - pn.DEPTH_OFFSET) > 0.05
                       or abs(ratio / pn.DEPTH_VARIANCE - 1.0) > 0.05):
        print("shipped values differ from the fit")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
