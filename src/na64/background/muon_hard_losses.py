r"""Hard energy losses of the beam muon in the active target whose products escape unseen.

A beam muon that gives a fraction v ≥ v_cut of its energy to a bremsstrahlung photon, an
e+e− pair, a knock-on electron or a hadronic system (photonuclear) in the ECAL leaves with
p_out = (1 − v) E in the signal box; it fakes the signal only if the products are not seen
by the ECAL, VHCAL and HCAL.  Per process (one registered source each):

    rate = P(v ≥ v_cut in the target) × ⟨P(undetected | v, z)⟩,

P(v ≥ v_cut) = L Σ_i f_i n_i ∫ dσ/dv dv over the target's layer mix with the cross
sections of :mod:`na64.physics.muon_interactions`, v_cut = 1 − (p_out_max + 5 σ_p)/E0
(σ_p the MS2 resolution at the box edge), and the mean taken over n forced losses: v drawn
from dσ/dv (importance sampling on a grid, exact weights), the depth z uniform.  A zero
count of the full pipeline would only give a bound of ~1/n; the escape probability is
instead computed per event by the model below (an analytic, explicit assumption):

* photon (``muon_brems``): it crosses the rest of the target without converting,
  exp(−7/9 (L − z)/X0), flies through the VHCAL hole and crosses the HCAL without
  converting, exp(−7/9 L_HCAL/X0_HCAL) (pair-production length 9/7 X0, PDG 2024
  Sec. 34.4.5);
* e± (``muon_pairs``, ``muon_knock_on``): every e± must cross the rest of the target and
  the HCAL without radiating a hard photon, the same factors without 7/9 per particle (two
  for a pair, one for a knock-on electron);
* hadrons (``muon_photonuclear``): the final states of Geant4's muon-nuclear model
  (:mod:`na64.background.muon_nuclear_escape`: prompt energy, and the neutral hadrons of
  the interactions that have little of it, followed through the target, VHCAL and HCAL).
  The analytic bound below sets the uncertainty when none of the simulated interactions
  can pass: the whole hadronic energy given to one leading neutral hadron (it maximises
  the escape) that crosses the rest of the target without interacting,
  exp(−(L − z)/λ_I), and either misses the HCAL face, which needs a transverse momentum
  p_T > ν θ_HCAL, P = (1 + k) e^{−k}, k = ν θ_HCAL / p_0, for dN/dp_T ∝ p_T e^{−p_T/p_0}
  with p_0 = 0.2 GeV (⟨p_T⟩ = 0.4 GeV, assumed), or crosses the HCAL without
  interacting, exp(−L_HCAL/λ_I,HCAL).

The muon is taken to pass the remaining cuts (tracks, muon identification) with
probability 1 (conservative).  Not included: losses upstream of the target (the beam line
material is not part of the setup) and in the VHCAL.
"""

from __future__ import annotations

import math

import numpy as np

from ..beam.tracking import downstream_spectrometers, expected_momentum_resolution
from ..constants import M_MU
from ..generate.muon_brem import _sample_piecewise_linear
from ..materials import Material
from ..physics import muon_interactions as mi
from ..units import GeV
from .base import BackgroundContext, BackgroundSource
from .muon_nuclear_escape import EscapeGeometry, escape_probabilities, load_final_states
from .registry import register_source

__all__ = ["HARD_LOSS_SOURCES", "P_T_SCALE", "escape_geometry", "hard_loss_estimate",
           "photonuclear_estimate", "sample_losses", "v_cut"]

#: p_0 of the assumed leading-hadron spectrum dN/dp_T ∝ p_T exp(−p_T/p_0) (MeV): its mean
#: ⟨p_T⟩ = 2 p_0 = 0.4 GeV, the order of the soft-hadron transverse momenta of fixed-target
#: hadron production at SPS energies (an assumption, not a fit).
P_T_SCALE = 0.2 * GeV

#: Registry name → (process of :mod:`na64.physics.muon_interactions`, products).
HARD_LOSS_SOURCES: dict[str, tuple[str, str]] = {
    "muon_brems": ("brems", "photon"),
    "muon_pairs": ("pair", "ee"),
    "muon_photonuclear": ("photonuclear", "hadron"),
    "muon_knock_on": ("knock_on", "e"),
}

_N_GRID = 300


def v_cut(ctx: BackgroundContext) -> float:
    """Lowest energy fraction that can put the muon into the box: 1 − (p_cut + 5 σ_p)/E0."""
    pipe = ctx.pipeline
    p_cut = ctx.box_edge
    names = downstream_spectrometers(pipe.beamline)
    sigma = expected_momentum_resolution(pipe.beamline, p_cut, M_MU, names[0]) * p_cut \
        if names else 0.0
    return float(min(max(1.0 - (p_cut + 5.0 * sigma) / ctx.energy, 1e-3), 0.999))


def _macroscopic(process: str, mix: tuple[tuple[Material, float], ...], energy: float,
                 v: np.ndarray) -> np.ndarray:
    """dΣ/dv (per mm) of a layer mix ((material, length fraction), ...)."""
    return sum((frac * mi.macroscopic_dsigma_dv(process, mat, energy, v) for mat, frac in mix),
               np.zeros_like(v))


def sample_losses(process: str, mix: tuple[tuple[Material, float], ...], energy: float,
                  lo: float,
                  hi: float, n: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, float]:
    """``n`` energy fractions v in [lo, hi] of ``process`` in a layer mix ((material,
    length fraction), ...), drawn from a piecewise-linear approximation q of dΣ/dv on a grid
    with weights dΣ/dv / (Σ q), so that mean(w · f(v)) = ∫ f dΣ/dv dv / Σ for any f;
    returns (v, w, Σ = ∫ dΣ/dv dv per mm)."""
    grid = np.linspace(lo, hi, _N_GRID)
    pdf = np.maximum(_macroscopic(process, mix, energy, grid), 0.0)
    seg = 0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid)
    total = float(seg.sum())
    if not total > 0:
        return np.full(n, lo), np.zeros(n), 0.0
    cdf = np.concatenate([[0.0], np.cumsum(seg)]) / total
    v = _sample_piecewise_linear(grid, pdf, cdf, rng.random(n))
    q = np.interp(v, grid, pdf)
    exact = _macroscopic(process, mix, energy, v)
    w = np.where(q > 0, exact / np.where(q > 0, q, 1.0), 0.0)
    sigma = total * float(w.mean())
    return v, w, sigma


def hard_loss_estimate(ctx: BackgroundContext, rng: np.random.Generator, n: int,
                       process: str, products: str) -> tuple[float, float, float]:
    """(rate per MOT, its uncertainty, P(v ≥ v_cut)) of one hard-loss process."""
    setup = ctx.pipeline.setup
    cal = setup.target
    e0 = ctx.energy
    mix = cal.layer_fractions
    length = float(cal.length)
    lo = v_cut(ctx)
    hi = min(mi.v_max(process, e0, max(m.Z for m, _ in mix)), 1.0 - M_MU / e0)
    if not hi > lo:
        return 0.0, 0.0, 0.0
    v, w, sigma = sample_losses(process, mix, e0, lo, hi, n, rng)
    if not sigma > 0:
        return 0.0, 0.0, 0.0
    p_int = length * sigma
    z = rng.random(n) * length
    x0, lam = cal.X0, cal.lambda_int
    hcal = setup.hcal
    if hcal is not None:
        hx0, hlam = hcal.X0, hcal.lambda_int
        h_len = float(hcal.length)
        theta_h = hcal.face_half_width / max(float(hcal.z) - length, 1.0)
    else:
        hx0 = hlam = h_len = 1.0
        theta_h = 0.0
    rest = length - z
    if products == "photon":
        log_p = -7.0 / 9.0 * (rest / x0 + (h_len / hx0 if hcal is not None else 0.0))
    elif products in ("e", "ee"):
        k = 2.0 if products == "ee" else 1.0
        log_p = -k * (rest / x0 + (h_len / hx0 if hcal is not None else 0.0))
    else:
        nu = v * e0
        kk = nu * theta_h / P_T_SCALE
        miss = (1.0 + kk) * np.exp(-kk) if hcal is not None else np.ones(n)
        through = math.exp(-h_len / hlam) if hcal is not None else 1.0
        log_p = -rest / lam + np.log(np.maximum(miss + (1.0 - miss) * through, 1e-300))
    p_esc = np.exp(np.maximum(log_p, -700.0))
    contrib = w * p_esc / float(w.mean())  # mean(contrib) = <P(escape)> over dΣ/dv
    rate = p_int * float(contrib.mean())
    top = float(contrib.max())
    spread = float((contrib / top).std(ddof=1)) * top if n > 1 and top > 0 else rate
    unc = p_int * spread / math.sqrt(n)
    return rate, unc, p_int


def _cut(ctx: BackgroundContext, *names: str) -> float:
    for name in names:
        if name in ctx.selection.names:
            return float(ctx.selection[name].value)
    return math.inf


def escape_geometry(ctx: BackgroundContext) -> EscapeGeometry:
    """The target, VHCAL and HCAL of the search's setup and its calorimeter cuts, as the
    escape model of :mod:`na64.background.muon_nuclear_escape` needs them."""
    setup = ctx.pipeline.setup
    cal = setup.target
    z0 = float(cal.z)
    kw: dict[str, float] = {"target_length": float(cal.length),
                            "target_lambda": cal.lambda_int}
    vh = setup.vhcal
    if vh is not None:
        kw.update(vhcal_z=float(vh.z) - z0, vhcal_length=float(vh.length),
                  vhcal_lambda=vh.lambda_int, vhcal_hole=0.5 * float(vh.hole),
                  vhcal_outer=vh.face_half_width)
    hcal = setup.hcal
    if hcal is not None:
        kw.update(hcal_z=float(hcal.z) - z0, hcal_length=float(hcal.length),
                  hcal_lambda=hcal.lambda_int, hcal_half=hcal.face_half_width,
                  hcal_response=1.0 / float(hcal.e_over_h))
    return EscapeGeometry(**kw, cut_target=_cut(ctx, "ecal_mip", "ecal_max"),
                          cut_vhcal=_cut(ctx, "vhcal_max"),
                          cut_hcal=_cut(ctx, "hcal_mip", "hcal_max"))


def photonuclear_estimate(ctx: BackgroundContext, rng: np.random.Generator, n: int
                          ) -> tuple[float, float, float, str]:
    """(rate per MOT, uncertainty, P(v ≥ v_cut), how) of the muon-nuclear background: the
    Geant4 final states of :mod:`na64.background.muon_nuclear_escape` for the escape,
    na64's cross section for P(v ≥ v_cut); with no simulated interaction able to pass, 0
    with the one-interaction sensitivity of the analytic bound as its uncertainty."""
    bound, _, p_int = hard_loss_estimate(ctx, rng, n, "photonuclear", "hadron")
    if not p_int > 0:
        return 0.0, 0.0, 0.0, "no muon-nuclear loss reaches v_cut"
    fs = load_final_states()
    lo = v_cut(ctx)
    n_above = fs.count_above(max(lo, fs.v_min))
    if lo < fs.v_min or not n_above > 0:
        return bound, bound, p_int, (f"v_cut = {lo:.3f} is below the Geant4 table's "
                                     f"v_min = {fs.v_min:g}: the analytic bound is used")
    p_esc = escape_probabilities(fs, escape_geometry(ctx), ctx.energy, lo, rng)
    total = float(p_esc.sum())
    esc_bound = bound / p_int  # mean escape of one neutral hadron carrying all of nu
    if total > 0:
        rate = p_int * total / n_above
        unc = p_int * math.sqrt(float(np.sum(p_esc**2))) / n_above
    else:
        rate, unc = 0.0, p_int * esc_bound / n_above
    n_quiet = int(np.count_nonzero(p_esc))
    how = (f"P(v >= {lo:.3f} in the target) = {p_int:.3g} × (1/{n_above:.0f}) Σ P(escape) "
           f"over Geant4 muon-nuclear interactions at {fs.beam_energy / GeV:g} GeV in lead "
           f"({n_quiet} can pass; without any, the uncertainty is one interaction escaping "
           f"with the analytic bound's probability {esc_bound:.2g})")
    return rate, unc, p_int, how


def _register(name: str, process: str, products: str) -> None:
    label = {"photon": "photon", "ee": "e+e- pair", "e": "knock-on electron",
             "hadron": "hadronic system"}[products]

    @register_source(name, f"hard {process} loss of the beam muon in the target, its "
                           f"{label} undetected",
                     absent_note="the beam is not a muon beam")
    def _source(ctx: BackgroundContext, rng: np.random.Generator, n: int
                ) -> BackgroundSource | None:
        if ctx.pipeline.beam.particle not in ("mu+", "mu-"):
            return None
        if products == "hadron":
            rate, unc, p_int, how = photonuclear_estimate(ctx, rng, n)
            fs = load_final_states()
            scale = ctx.energy / fs.beam_energy
            n_g4 = round(fs.count_above(max(v_cut(ctx), fs.v_min)))
            notes: tuple[str, ...] = (
                f"{process}: cross section of na64.physics.muon_interactions; final states "
                "of Geant4's muon-nuclear model (na64.background.muon_nuclear_escape), "
                "neutral hadrons followed through the target, VHCAL and HCAL",
                *(() if abs(scale - 1.0) < 1e-6 else
                  (f"the Geant4 final states are for 160 GeV muons, scaled by {scale:.3g}",)),
                "losses upstream of the target and in the VHCAL are not included")
            return BackgroundSource(f"muon {process} with undetected {label}", rate, unc,
                                    how, n_g4, [], notes)
        rate, unc, p_int = hard_loss_estimate(ctx, rng, n, process, products)
        return BackgroundSource(
            f"muon {process} with undetected {label}", rate, unc,
            f"P(v >= {v_cut(ctx):.3f} in the target) = {p_int:.3g} × <P(escape)> of {n} "
            "forced losses (analytic escape model)", n, [],
            (f"{process}: cross section of na64.physics.muon_interactions; escape of the "
             f"{label} by the model of na64.background.muon_hard_losses (assumed)",
             "losses upstream of the target and in the VHCAL are not included"))


for _name, (_process, _products) in HARD_LOSS_SOURCES.items():
    _register(_name, _process, _products)
