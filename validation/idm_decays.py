"""Inelastic dark matter: the chi2 lifetime at NA64's benchmark points and the visible energy.

For the benchmark of NA64's iDM interpretation (arXiv:2302.05414: m_A' = 3 m_chi1,
Delta = 0.1 and 0.4, alpha_D = 0.1; also alpha_D = 0.5) this script prints, per A' mass,

* the chi2 -> chi1 e+e- width of the full three-body integral (na64.physics.idm, Eq. (2)),
  the small-splitting formula 4 eps^2 alpha alpha_D Delta^5 m_chi1^5 / (15 pi m_A'^4)
  (arXiv:1508.03050; arXiv:1703.06881), their ratio, and the ratio for a
  massless lepton, r(m_e=0) = 1 - 3/2 Delta + O(Delta^2) (derivation in tests/test_idm.py):
  the difference between the two ratios is the e+e- threshold factor;
* c tau of chi2 (all channels) at eps = 1e-4 and the lab decay length of a 50 GeV chi2, with
  the epsilon at which that length equals the 5 m from the target to the end of the HCAL
  (lambda scales as 1/eps^2);

and plots the distribution of the visible energy fraction (E_e+ + E_e-)/E_A' of a 50 GeV
A' for Delta = 0.1 and 0.4 (na64.generate.idm) to ``idm_decays.png``/``.pdf`` next to this
script.

No numerical chi2 lifetime is quoted in the text of the cited papers that we could check,
so the comparison is with their analytic small-splitting formula.

Usage::

    python validation/idm_decays.py [--events 200000] [--seed 1] [--no-plot]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from na64.errors import InputError
from na64.models import Idm
from na64.physics.idm import chi2_width, chi2_width_small_splitting
from na64.units import GeV, MeV, m

MASSES_MEV = (10.0, 30.0, 100.0, 300.0, 1000.0)
DELTAS = (0.1, 0.4)
ALPHAS = (0.1, 0.5)
EPS = 1e-4
E_CHI2 = 50 * GeV
L_DETECTOR = 5 * m


def table() -> None:
    """Print the chi2 widths and lengths at the benchmark points."""
    head = (f"{'m_A [MeV]':>9} {'Delta':>5} {'a_D':>4} {'Gamma_ee [MeV]':>14} "
            f"{'limit [MeV]':>12} {'ratio':>6} {'r(m_e=0)':>8} {'ctau [m]':>10} "
            f"{'L(50GeV) [m]':>12} {'eps(L=5m)':>9}")
    print(f"chi2 of iDM, m_A' = 3 m_chi1, eps = {EPS:g}")
    print(head)
    for ad in ALPHAS:
        for delta in DELTAS:
            for mass in MASSES_MEV:
                try:
                    a = Idm(mass * MeV, EPS, alpha_D=ad, delta=delta)
                except InputError as exc:  # the point is not physical: say why
                    print(f"{mass:9.4g} {delta:5.2g} {ad:4.2g}  -- {exc}")
                    continue
                gee = a.chi2_widths()["chi1 e+e-"]
                lim = float(chi2_width_small_splitting(a.m_chi1, delta, a.mass, EPS, ad))
                # the same integral with a (nearly) massless lepton: the Delta expansion alone
                g0 = float(chi2_width(a.m_chi1, a.m_chi2, a.mass, EPS, ad,
                                      1e-7 * (a.m_chi2 - a.m_chi1)))
                lam = float(a.chi2_decay_length(E_CHI2))
                eps_l = EPS * math.sqrt(lam / L_DETECTOR)
                print(f"{mass:9.4g} {delta:5.2g} {ad:4.2g} {gee:14.4e} {lim:12.4e} "
                      f"{gee / lim:6.3f} {g0 / lim:8.3f} {a.chi2_ctau() / m:10.3e} "
                      f"{lam / m:12.3e} {min(eps_l, 1.0):9.3g}")


def plot(n: int, seed: int, out: Path) -> None:
    """Histogram of the visible energy fraction for Delta = 0.1, 0.4 at several masses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from na64.generate.idm import visible_energy_fraction

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    bins = np.linspace(0.0, 0.45, 91)
    for ax, delta in zip(axes, DELTAS, strict=True):
        for mass in (100.0, 300.0, 1000.0):
            a = Idm(mass * MeV, EPS, alpha_D=0.1, delta=delta)
            f = visible_energy_fraction(a, 50 * GeV, n, rng)
            ax.hist(f, bins=bins, density=True, histtype="step",
                    label=f"$m_{{A'}}$ = {mass:g} MeV (mean {f.mean():.3f})")
            print(f"Delta = {delta:g}, m_A' = {mass:g} MeV: visible fraction mean "
                  f"{f.mean():.4f}, median {np.median(f):.4f}, 99% {np.quantile(f, 0.99):.4f}")
        ax.set_title(rf"$\Delta$ = {delta:g}, $E_{{A'}}$ = 50 GeV, $m_{{A'}} = 3m_{{\chi_1}}$")
        ax.set_xlabel(r"$(E_{e^+}+E_{e^-})/E_{A'}$")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("probability density")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(out.with_suffix("." + ext))
    print(f"wrote {out.with_suffix('.png')} and .pdf")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args()
    table()
    if not args.no_plot:
        plot(args.events, args.seed, Path(__file__).with_name("idm_decays"))


if __name__ == "__main__":
    main()
