r"""Muon decays in flight μ → e ν ν̄ between the target and the spectrometer behind it.

A beam muon that crosses the target as a MIP and decays before MS2 leaves an electron of
energy y E_μ: below the p_out cut it fakes the signal unless the calorimeters behind MS2
see its shower (the ``muon_id`` cut: an electron's shower ends in the first HCAL module).

    rate = P(decay in [L_target, z_MS2]) × P(pass | decay),

with P(decay) = exp(−L_t/λ) − exp(−z/λ), λ = p cτ_μ / m_μ (PDG 2024: cτ_μ = 658.64 m), and
P(pass) from a biased sample: every muon decays, at a depth uniform over the interval
(λ ≈ 1000 km ≫ the interval), the electron's lab energy fraction y drawn from the Michel
spectrum of an unpolarized muon in the collinear limit, dN/dy = 5/3 − 3y² + 4/3 y³
(Michel, Proc. Phys. Soc. A 63 (1950) 514; e.g. Okun, *Leptons and Quarks*, Sec. 3.3), the
electron along the muon's line.  The M2 muons are polarized (about −80%), which tilts the
spectrum; not included.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import M_MU
from ..detector.response import exit_z
from .base import BackgroundContext, BackgroundSource, _flow, _pass_probability, _product
from .registry import register_source

#: cτ of the muon (mm), PDG 2024.
CTAU_MU = 658_637.8


def michel_fraction(u: np.ndarray) -> np.ndarray:
    """Inverse CDF of dN/dy = 5/3 − 3y² + 4/3 y³ on [0, 1] (by bisection, vectorized)."""
    lo, hi = np.zeros_like(u), np.ones_like(u)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        cdf = 5.0 / 3.0 * mid - mid**3 + mid**4 / 3.0
        below = cdf < u
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


@register_source("muon_decays", "mu -> e nu nu decays between the target and MS2",
                 absent_note="no muon beam or no spectrometer behind the target")
def _muon_decays(ctx: BackgroundContext, rng: np.random.Generator, n: int
                 ) -> BackgroundSource | None:
    pipe = ctx.pipeline
    if pipe.beam.particle not in ("mu+", "mu-"):
        return None
    z1 = exit_z(pipe.setup)
    z0 = float(pipe.setup.target.length)
    if not math.isfinite(z1) or z1 <= z0:
        return None
    lam = pipe.beam.momentum * CTAU_MU / M_MU
    p_decay = math.exp(-z0 / lam) - math.exp(-z1 / lam)
    beam = pipe.core(n, rng)
    z_d = z0 + (z1 - z0) * rng.random(n)
    y = michel_fraction(rng.random(n))
    sign = np.sign(np.asarray(beam["pdg"]))
    mu = {k: np.asarray(beam[k]) for k in ("pdg", "energy", "x", "y", "tx", "ty")}
    mu.update(z_start=np.zeros(n), e_invisible=np.zeros(n), z_stop=z_d,
              event=np.arange(n, dtype=np.int64))
    ele = {"pdg": (11 * sign).astype(np.int64), "energy": y * mu["energy"],
           "x": mu["x"], "y": mu["y"], "tx": mu["tx"], "ty": mu["ty"], "z_start": z_d,
           "e_invisible": np.zeros(n), "z_stop": np.full(n, np.inf),
           "event": np.arange(n, dtype=np.int64)}
    calo = {k: np.concatenate([mu[k], ele[k]]) for k in mu}
    ev = pipe.events(beam, rng, calorimeter=calo)
    p = _pass_probability(ctx.selection.mask(ev))
    v, u = _product((p_decay, 0.0), p)
    return BackgroundSource(
        "muon decays before MS2", v, u,
        f"P(decay in {z0:.0f}-{z1:.0f} mm) = {p_decay:.3g} × P(pass) of {n} forced decays "
        "(Michel spectrum, unpolarized)", n, _flow(ctx, ev, p_decay),
        ("muon polarization and decays after the first MS2 station not included",))
