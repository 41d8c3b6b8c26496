"""Beam-induced background rates per electron (particle) on target, from the beam model.

All rates are per primary beam particle (EOT for an electron beam) and come with a
1-sigma uncertainty propagated from the configuration (``fraction_uncertainty`` fields;
100 % of the fraction when not given) and, for three-body decays, from the numerical
integration.  They feed the background estimate of :mod:`na64.background`.

* Low-energy tail: fraction of primaries with ``E < e_cut`` (Gaussian core plus the
  configured tail shape).
* Hadron admixture: pi/K/p per EOT, optionally times the SRD mis-identification upper
  bound :func:`na64.beam.srd.srd_misid_probability`.
* Decays in flight: ``f * P_decay(L) * BR * P(E_charged < e_cut)`` per mode.  For a
  two-body decay of an ultra-relativistic parent the lab energy of the daughter is
  uniform in ``gamma (E* ± beta p*)`` (Lorentz boost of an isotropic
  decay); for muon decay the lab fraction ``y = E_e/E_mu`` of an unpolarised muon
  has ``dN/dy = 5/3 - 3y^2 + 4/3 y^3`` (the Michel spectrum x^2(3 - 2x) of the PDG 2024
  review "Muon decay parameters" with rho = 3/4, boosted with beta -> 1: dN/dy = int_y^1 f(x)/x dx), CDF
  ``5/3 y - y^3 + y^4/3``; three-body kaon decays are integrated over the flat Dalitz
  plot by Monte Carlo (fixed seed) with the isotropic-angle integral done analytically.
"""

from __future__ import annotations

import math

import numpy as np

from .config import BeamConfig, BeamlineConfig
from .decays import _modes_for, decay_probability, sample_rest_frame
from .particles import PARTICLES
from .srd import srd_misid_probability

__all__ = [
    "decay_in_flight_rate",
    "decay_in_flight_rates",
    "hadron_rate",
    "hadron_rates",
    "low_energy_tail_rate",
]

_HADRONS = ("pi-", "pi+", "K-", "K+", "p", "pbar")


def _frac_unc(fraction: float, unc: float | None) -> float:
    return fraction if unc is None else unc


def _core_cdf(beam: BeamConfig, ratio: float) -> float:
    if beam.momentum_spread <= 0.0:
        return 1.0 if ratio > 1.0 else 0.0
    from scipy import special  # here: a simulation that does not call this skips its import

    return float(special.ndtr((ratio - 1.0) / beam.momentum_spread))


def _tail_cdf(beam: BeamConfig, ratio: float) -> float:
    """P(p/p0 < ratio) for a tail particle (p/p0 = 1 - t, t in [0, 1 - min_ratio])."""
    tail = beam.tail
    width = 1.0 - tail.min_ratio
    t = 1.0 - ratio  # p/p0 < ratio  <=>  t > 1 - ratio
    if t <= 0.0:
        return 1.0
    if t >= width:
        return 0.0
    if tail.shape == "uniform":
        return 1.0 - t / width
    # truncated exponential of t: P(T > t) = (e^{-t/s} - e^{-w/s}) / (1 - e^{-w/s})
    s = tail.scale
    return float((math.exp(-t / s) - math.exp(-width / s)) / (-math.expm1(-width / s)))


def low_energy_tail_rate(beam: BeamConfig, e_cut: float) -> tuple[float, float]:
    """Fraction of primary particles with energy below ``e_cut`` (MeV), and its error.

    ``(1 - f) Phi((r - 1)/sigma) + f F_tail(r)`` with ``r = p_cut / p0``.  The error
    propagates the tail-fraction uncertainty.
    """
    m = PARTICLES[beam.particle].mass
    p_cut = math.sqrt(max(e_cut**2 - m**2, 0.0))
    r = p_cut / beam.momentum
    core = _core_cdf(beam, r)
    f = beam.tail.fraction
    tail = _tail_cdf(beam, r) if f > 0 else 0.0
    value = (1.0 - f) * core + f * tail
    err = _frac_unc(f, beam.tail.fraction_uncertainty) * abs(tail - core)
    return float(value), float(err)


def hadron_rates(
    beam: BeamConfig, beamline: BeamlineConfig | None = None
) -> dict[str, tuple[float, float]]:
    """Hadrons per primary particle, per species; times the SRD mis-tag bound if given.

    With an SRD, the rate is ``f_h / f_primary * P_misid(h)`` where ``P_misid`` is the
    upper bound of :func:`na64.beam.srd.srd_misid_probability` (so the result is an
    upper bound too).
    """
    out: dict[str, tuple[float, float]] = {}
    f0 = beam.primary_fraction
    for adm in beam.admixtures:
        if adm.particle not in _HADRONS:
            continue
        factor = 1.0
        if beamline is not None and beamline.srd is not None:
            sp = PARTICLES[adm.particle]
            factor = srd_misid_probability(sp.pdg, beam.energy, beamline)
        rate = adm.fraction / f0 * factor
        err = _frac_unc(adm.fraction, adm.fraction_uncertainty) / f0 * factor
        out[adm.particle] = (float(rate), float(err))
    return out


def hadron_rate(beam: BeamConfig, beamline: BeamlineConfig | None = None) -> tuple[float, float]:
    """Total of :func:`hadron_rates` (errors added linearly: fully correlated, conservative)."""
    rates = hadron_rates(beam, beamline)
    return (
        float(sum(v for v, _ in rates.values())),
        float(sum(e for _, e in rates.values())),
    )


def _fraction_below(
    mode_label: str, name: str, energy: float, e_cut: float, n_mc: int
) -> tuple[float, float]:
    modes, _ = _modes_for(name)
    mode = next(m for m in modes if m.label == mode_label)
    sp = PARTICLES[name]
    gamma = energy / sp.mass
    beta = math.sqrt(max(1.0 - 1.0 / gamma**2, 0.0))
    if mode.kind == "michel":
        y = min(max(e_cut / energy, 0.0), 1.0)
        return 5.0 / 3.0 * y - y**3 + y**4 / 3.0, 0.0
    if mode.kind == "two_body":
        e1, p1, _, _ = sample_rest_frame(mode, 1, np.random.default_rng(0))
        lo = gamma * (e1[0] - beta * p1[0])
        hi = gamma * (e1[0] + beta * p1[0])
        if hi <= lo:
            return (1.0 if e_cut > lo else 0.0), 0.0
        return min(max((e_cut - lo) / (hi - lo), 0.0), 1.0), 0.0
    rng = np.random.default_rng(np.random.SeedSequence(20240917))
    e1, p1, _, _ = sample_rest_frame(mode, n_mc, rng)
    c = (e_cut / gamma - e1) / np.maximum(beta * p1, 1e-300)
    prob = np.clip(0.5 * (c + 1.0), 0.0, 1.0)
    return float(prob.mean()), float(prob.std() / math.sqrt(n_mc))


def decay_in_flight_rates(
    beam: BeamConfig, beamline: BeamlineConfig, e_cut: float, *, n_mc: int = 100_000
) -> dict[str, tuple[float, float]]:
    """Decays in flight giving a charged particle with ``E < e_cut`` at the target, per EOT.

    Keyed by ``"parent -> mode"``; evaluated at the nominal energy over the beam line's
    ``decay_length``.
    """
    out: dict[str, tuple[float, float]] = {}
    f0 = beam.primary_fraction
    sources: list[tuple[str, float, float]] = [(beam.particle, 1.0, 0.0)]
    sources += [
        (a.particle, a.fraction / f0, _frac_unc(a.fraction, a.fraction_uncertainty) / f0)
        for a in beam.admixtures
    ]
    for name, frac, frac_err in sources:
        sp = PARTICLES[name]
        if sp.stable or name not in ("mu-", "mu+", "pi-", "pi+", "K-", "K+"):
            continue
        p0 = math.sqrt(max(beam.momentum**2 + sp.mass**2, 0.0))  # same momentum, own mass
        pdec = float(decay_probability(np.array([p0]), sp.mass, sp.lifetime, beamline.decay_length)[0])
        modes, _ = _modes_for(name)
        for mode in modes:
            below, below_err = _fraction_below(mode.label, name, p0, e_cut, n_mc)
            rate = frac * pdec * mode.branching * below
            rel = math.hypot(frac_err / frac if frac > 0 else 0.0, below_err / below if below > 0 else 0.0)
            out[f"{name} -> {mode.label}"] = (float(rate), float(rate * rel))
    return out


def decay_in_flight_rate(
    beam: BeamConfig, beamline: BeamlineConfig, e_cut: float, *, n_mc: int = 100_000
) -> tuple[float, float]:
    """Sum of :func:`decay_in_flight_rates` (errors added in quadrature)."""
    rates = decay_in_flight_rates(beam, beamline, e_cut, n_mc=n_mc)
    return (
        float(sum(v for v, _ in rates.values())),
        float(math.sqrt(sum(e * e for _, e in rates.values()))),
    )
