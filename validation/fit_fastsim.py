"""Fit the tunable constants of na64's fast simulation to the Geant4 reference.

Usage::

    python validation/fit_fastsim.py [--reference DIR] [--check]

``DIR`` (default ``$NA64_G4_REFERENCE``, else ``../shared/reference/g4_na64e`` relative to
the repository) holds the Geant4 11.4 reference of the NA64e calorimetry:
``g4_reference_100GeV.csv`` and the event arrays ``e-_100.npz``, ``pi-_100.npz``,
``mu-_100.npz`` (100 GeV, pencil beam at the centre of ECAL cell (3, 3), the geometry of
``na64e_2016_2018``).  The script starts from the published parametrisations (every
tuned constant reset) and fits, in this order:

1. calibration: the ECAL e/mip from the reference's electron sampling fraction;
2. longitudinal EM profile: per-event Gamma fits of the reference's layer profiles give the
   means, widths and correlation of ln T and ln alpha (as GFLASH was built);
3. depth dependence of the sampling fraction (:func:`na64.detector.em.sampling_vs_age`);
4. lateral EM profile: radial scales from the central-cell and 3x3 fractions of both ECAL
   sections, the lateral-age coupling from the correlation of the central-cell and
   pre-shower fractions, the photo-nuclear loss from the containment, the sampling term
   from the resolution, the shower-width fluctuation from the central-cell fraction's
   spread (iterated twice); the spreads are fitted to the cores (16-84% half-widths) of
   the distributions, whose tails the hard photo-nuclear interactions make; then the
   growth of the lateral fluctuations as the energy falls, from the same cores of Geant4
   positrons of 70 and 40 GeV (``tests/data/g4_em_cores.csv``);
5. leakage hits of EM showers in the veto counters and the first HCAL module (on top of
   the hadron showers of hard photo-nuclear interactions; again after step 6, whose
   acceptance of the counters for shower particles changes what the electrons leave
   there), and (after step 7) the growth of the veto's hits with the shower energy, from
   the Geant4 positrons of 70 and 40 GeV (``tests/data/g4_na64e_positron.csv``);
6. muons: the knock-on threshold of the ECAL and HCAL absorbers and the radiative-loss
   spectrum, from the signal distributions; the veto counters' acceptance for the charged
   particles of the showers of the muons' losses with the particles that accompany the
   muon (a grid of the acceptance), from the first counters' quantiles and the mean of
   60000 muons (``tests/data/g4_na64e_muon_100GeV.csv``);
7. hadrons: the lateral profile (core and tail radii, core weight, the width of the
   electromagnetic part) from the central-cell and 3x3 fractions of the ECAL signal of
   showering pions of 5-100 GeV; the meson interaction length and its energy dependence, the charge-exchange
   probability, the profile scales and their energy dependence, e/h of ECAL and HCAL, the
   EM-fraction fluctuations and the cluster energy of the hadronic part, from the mean ECAL
   and HCAL energies of 100 GeV pions against the depth of their first interaction and the
   mean ECAL and HCAL signals, P(HCAL < 1 GeV) and P(HCAL > 0.3 GeV) of 2-50 GeV pions
   (``tests/data/g4_em_hadronic.csv``).

It prints the fitted values as the TOML blocks of ``na64e_2016_2018.toml`` and the module
constants, and the reference observables with the fitted simulation.  ``--check`` exits
with 1 when a shipped value differs from the fit by more than the fit's reproducibility
(the tolerance printed with it).  Takes about 7 minutes on one core.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq, least_squares, minimize
from scipy.special import gammainc
from scipy.stats import gamma as gamma_dist
from scipy.stats import poisson

from na64.detector import deposit, em, hadron, load_setup, muon
from na64.detector.observables import (
    core_half_width,
    depth_quantiles_layers,
    em_spread_samples,
    fastsim_sample,
    most_probable,
    observables,
    read_reference_rows,
    read_reference_table,
    truncated_mean_rms,
)
from na64.detector.setup import Leakage, Setup, ShowerTuning
from na64.units import GeV

ROOT = Path(__file__).resolve().parents[1]
SETUP_NAME = "na64e_2016_2018"
E_BEAM = 100.0 * GeV


def default_reference() -> Path:
    """``$NA64_G4_REFERENCE`` or ``../shared/reference/g4_na64e`` next to the repository."""
    env = os.environ.get("NA64_G4_REFERENCE")
    return Path(env) if env else (ROOT / ".." / "shared" / "reference" / "g4_na64e").resolve()


def load_arrays(ref: Path) -> dict[str, dict[str, np.ndarray]]:
    """The reference's event arrays per particle."""
    out = {}
    for p in ("e-", "pi-", "mu-"):
        with np.load(ref / f"{p}_100.npz") as d:
            out[p] = {k: d[k] for k in d.files}
    return out


# --------------------------------------------------------------------------------------
# the tuned constants and how they enter na64
# --------------------------------------------------------------------------------------
@dataclass
class Tuned:
    """Every constant this script fits (start: the published parametrisations)."""

    ecal_e_over_mip: float = 0.65
    ecal_sampling: float | None = None
    shower: dict[str, Any] = field(default_factory=dict)
    ecal_delta_ray_threshold: float | None = None
    hcal_delta_ray_threshold: float | None = None
    ecal_e_over_h: float = 1.2
    hcal_e_over_h: float = 1.4
    veto_leakage: dict[str, Any] | None = None
    hcal_leakage: dict[str, Any] | None = None
    veto_shower_particles: float | None = 1.0
    meson_lambda_scale: float = 1.0
    charge_exchange: float = 0.0
    em_rate_scale: float = 1.0
    hadronic_rate_scale: float = 1.0
    kappa: float = 10.0
    rate_exponent: float = 0.0
    cluster_energy: float = 0.0
    meson_scale_exponent: float = 0.0
    radiative: tuple[tuple[float, float, float], ...] = ((1.0, 1.0, 1e-3),)
    hadronic_core_radius: float = 1.0
    hadronic_tail_radius: float = 1.5
    hadronic_core_weight: float = 1.0
    em_part_width: float = 1.0


#: The fitted constants that are module constants: Tuned field -> (module, name).
MODULE_CONSTANTS = {
    "meson_lambda_scale": (hadron, "MESON_INTERACTION_LENGTH_SCALE"),
    "charge_exchange": (hadron, "CHARGE_EXCHANGE_PROBABILITY"),
    "em_rate_scale": (hadron, "EM_RATE_SCALE"),
    "hadronic_rate_scale": (hadron, "HADRONIC_RATE_SCALE"),
    "kappa": (hadron, "KAPPA"),
    "rate_exponent": (hadron, "RATE_SCALE_EXPONENT"),
    "cluster_energy": (hadron, "CLUSTER_ENERGY"),
    "meson_scale_exponent": (hadron, "MESON_SCALE_EXPONENT"),
    "radiative": (muon, "RADIATIVE_COMPONENTS"),
    "hadronic_core_radius": (hadron, "HADRONIC_CORE_RADIUS_SCALE"),
    "hadronic_tail_radius": (hadron, "HADRONIC_TAIL_RADIUS_SCALE"),
    "hadronic_core_weight": (hadron, "HADRONIC_CORE_WEIGHT"),
    "em_part_width": (hadron, "EM_PART_WIDTH_SCALE"),
}


def _module_name(module: Any) -> str:
    return str(module.__name__).rsplit(".", 1)[-1]


def build(base: Setup, t: Tuned) -> Setup:
    """``base`` with the tuned setup values of ``t`` (module constants set as well)."""
    for key, (module, name) in MODULE_CONSTANTS.items():
        setattr(module, name, getattr(t, key))
    assert base.ecal is not None
    assert base.hcal is not None
    assert base.veto is not None
    ecal = base.ecal.model_copy(update={
        "e_over_mip": t.ecal_e_over_mip, "sampling": t.ecal_sampling,
        "shower": ShowerTuning(**t.shower) if t.shower else None,
        "delta_ray_threshold": t.ecal_delta_ray_threshold, "e_over_h": t.ecal_e_over_h})
    hcal = base.hcal.model_copy(update={
        "delta_ray_threshold": t.hcal_delta_ray_threshold, "e_over_h": t.hcal_e_over_h,
        "leakage": _leakage(t.hcal_leakage)})
    leakage = _leakage(t.veto_leakage)
    if leakage is not None and base.veto.leakage is not None:
        # the hadrons' track hits are fitted by fit_backsplash.py: kept as shipped
        lk = base.veto.leakage
        leakage = leakage.model_copy(update={
            "hadron_hits_per_track": lk.hadron_hits_per_track,
            "hadron_track_hit_energy": lk.hadron_track_hit_energy,
            "hadron_track_hit_shape": lk.hadron_track_hit_shape})
    veto = base.veto.model_copy(update={"leakage": leakage,
                                        "shower_particles": t.veto_shower_particles})
    return base.model_copy(update={"ecal": ecal, "hcal": hcal, "veto": veto})


def _leakage(values: dict[str, Any] | None) -> Leakage | None:
    """A :class:`Leakage` from fitted values (hit energy in MeV)."""
    if not values:
        return None
    track = values.get("track_hit_energy")
    return Leakage(hits_per_gev=values["hits_per_gev"], hit_energy=f"{values['hit_energy']}MeV",
                   hit_shape=values["hit_shape"], hits_per_track=values.get("hits_per_track", 0.0),
                   track_hit_energy=None if track is None else f"{track}MeV",
                   track_hit_shape=values.get("track_hit_shape", 1.0),
                   energy_exponent=values.get("energy_exponent", 1.0))


def _deposit(setup: Setup, pdg: int, n: int, seed: int) -> dict[str, np.ndarray]:
    return deposit(setup, {"pdg": np.full(n, pdg), "energy": np.full(n, E_BEAM)},
                   np.random.default_rng(seed))


def _simplex(x0: np.ndarray, step: float) -> np.ndarray:
    """Initial Nelder-Mead simplex: x0 and x0 + step along each axis."""
    x0 = np.asarray(x0, dtype=float)
    return np.vstack([x0] + [x0 + step * np.eye(x0.size)[i] for i in range(x0.size)])


def _say(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------------------
# 1-3: calibration, longitudinal profile, sampling fraction against age
# --------------------------------------------------------------------------------------
def fit_calibration(base: Setup, e: dict[str, np.ndarray], t: Tuned) -> float:
    """f_sc = mean(Sc)/mean(Pb+Sc) of 100 GeV electrons; e/mip = f_sc / f_mip."""
    sc = e["ecal_sc"].astype(float).sum(axis=(1, 2, 3))
    tot = e["ecal_layer_tot"].astype(float).sum(axis=1)
    f_sc = float(sc.mean() / tot.mean())
    assert base.ecal is not None
    t.ecal_e_over_mip = f_sc / base.ecal.mip_sampling_fraction
    _say(f"[1] f_sc = {f_sc:.5f}, f_mip = {base.ecal.mip_sampling_fraction:.5f} "
         f"-> e/mip = {t.ecal_e_over_mip:.4f}")
    return f_sc


def gamma_fits(layer_tot: np.ndarray, x0_per_layer: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-event maximum-likelihood Gamma fit (alpha, beta) of the layer profiles: the layer
    energies are the weights of a histogram of the Gamma density truncated at the end of
    the stack (start: the moments)."""
    edges = np.arange(layer_tot.shape[1] + 1) * x0_per_layer
    mid = 0.5 * (edges[1:] + edges[:-1])
    alphas, betas = [], []
    for w in layer_tot.astype(float):
        w = w / w.sum()
        m = float((w * mid).sum())
        v = float((w * (mid - m) ** 2).sum())

        def nll(p: np.ndarray, w: np.ndarray = w) -> float:
            a, b = np.exp(p)
            c = gammainc(a, b * edges)
            prob = np.diff(c) / max(c[-1], 1e-300)
            return float(-(w * np.log(np.maximum(prob, 1e-300))).sum())

        r = minimize(nll, np.log([m * m / v, m / v]), method="Nelder-Mead",
                     options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 4000})
        a, b = np.exp(r.x)
        alphas.append(a)
        betas.append(b)
    return np.array(alphas), np.array(betas)


def fit_longitudinal(base: Setup, e: dict[str, np.ndarray], t: Tuned
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Shifts and scales of GFLASH's ln T and ln alpha from per-event Gamma fits."""
    cal = base.ecal
    assert cal is not None
    xpl = cal.layer_thickness / cal.X0
    a, b = gamma_fits(e["ecal_layer_tot"], xpl)
    lt, la = np.log((a - 1.0) / b), np.log(a)
    mlt, mla, st, sa, _ = em.longitudinal_means(
        np.array([E_BEAM]), z_eff=cal.z_eff, critical_energy=cal.critical_energy,
        sampling_frequency=cal.sampling_frequency, e_hat=cal.e_hat)
    t.shower.update(
        ln_t_shift=float(lt.mean() - mlt[0]), ln_alpha_shift=float(la.mean() - mla[0]),
        sigma_ln_t_scale=float(lt.std(ddof=1) / st[0]),
        sigma_ln_alpha_scale=float(la.std(ddof=1) / sa[0]),
        rho=float(np.corrcoef(lt, la)[0, 1]))
    _say(f"[2] Geant4 <ln T> = {lt.mean():.4f} (GFLASH {mlt[0]:.4f}), <ln a> = {la.mean():.4f} "
         f"(GFLASH {mla[0]:.4f}), sigma {lt.std(ddof=1):.4f}/{la.std(ddof=1):.4f} "
         f"(GFLASH {st[0]:.4f}/{sa[0]:.4f}), rho {t.shower['rho']:.3f}")
    return a, b


def fit_sampling_age(base: Setup, e: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray,
                     t: Tuned) -> None:
    """(a, b, c, w) of sampling_vs_age from the per-layer Sc/(Pb+Sc) ratio against the
    age t/T of each event's fitted profile, normalised so that its energy-weighted mean
    over the reference showers is 1 (the calibration)."""
    cal = base.ecal
    assert cal is not None
    xpl = cal.layer_thickness / cal.X0
    sc = e["ecal_layer_sc"].astype(float)
    tot = e["ecal_layer_tot"].astype(float)
    f_sc = sc.sum() / tot.sum()
    depth = (np.arange(sc.shape[1]) + 0.5) * xpl
    tau = (depth[None, :] / ((a - 1.0) / b)[:, None]).ravel()
    s, d = sc.ravel() / f_sc, tot.ravel()
    edges = np.exp(np.linspace(np.log(0.03), np.log(8.0), 40))
    idx = np.digitize(tau, edges)
    lt, ratio, wgt = [], [], []
    for k in range(1, edges.size):
        m = idx == k
        if d[m].sum() > 5e-4 * d.sum():
            lt.append(np.log(np.average(tau[m], weights=d[m])))
            ratio.append(s[m].sum() / d[m].sum())
            wgt.append(d[m].sum())
    x, y, w = np.array(lt), np.array(ratio), np.array(wgt) / np.sum(wgt)

    def g(p: np.ndarray, xx: np.ndarray) -> np.ndarray:
        return 1.0 + p[0] - p[1] * np.tanh((xx - p[2]) / p[3])

    p = least_squares(lambda p: (g(p, x) - y) * np.sqrt(w), [0.0, 0.17, 0.0, 1.0],
                      bounds=([-0.5, 0.0, -3.0, 0.1], [0.5, 0.9, 3.0, 10.0])).x
    all_g = g(p, np.log(np.maximum(tau, 1e-3)))
    p[0] += 1.0 - float((all_g * d).sum() / d.sum())
    t.shower["sampling_age"] = tuple(float(v) for v in p)
    _say(f"[3] sampling_vs_age (a, b, c, w) = {tuple(round(v, 4) for v in p)}; "
         f"pre-shower / main ratio of Sc-based to deposit-based fraction reproduced")


def fit_widths(base: Setup, e: dict[str, np.ndarray], t: Tuned) -> None:
    """sigma(ln T), sigma(ln alpha) from the RMS of the pre-shower fraction (weight 1) and
    of the depths holding 10/50/90% of the deposit (weight 1/4), rho kept from the Gamma
    fits: the widths of per-event fits of one shower's profile include their fit noise."""
    from na64.detector.observables import fastsim_depth_quantiles

    cal = base.ecal
    assert cal is not None
    cells = e["ecal_sc"].astype(float)
    ps = cells[:, 0].sum(axis=(1, 2)) / cells.sum(axis=(1, 2, 3))
    dq = depth_quantiles_layers(e["ecal_layer_tot"], cal.layer_thickness / cal.X0)
    target = np.r_[ps.std(ddof=1), dq.std(axis=0, ddof=1)]
    err = target / math.sqrt(2 * (ps.size - 1)) * np.array([1.0, 4.0, 4.0, 4.0])

    def resid(p: np.ndarray) -> np.ndarray:
        t.shower.update(sigma_ln_t_scale=float(p[0]), sigma_ln_alpha_scale=float(p[1]))
        s = build(base, t)
        c = _smeared(s, _deposit(s, 11, 4000, 3)["ecal"], 4)
        f = c[:, 0].sum(axis=(1, 2)) / c.sum(axis=(1, 2, 3))
        q = fastsim_depth_quantiles(s, E_BEAM, 20000, np.random.default_rng(5))
        return (np.r_[f.std(ddof=1), q.std(axis=0, ddof=1)] - target) / err

    p = least_squares(resid, [t.shower["sigma_ln_t_scale"], t.shower["sigma_ln_alpha_scale"]],
                      bounds=([0.1, 0.1], [2.0, 2.0]), diff_step=0.02).x
    resid(p)
    _say(f"[3b] sigma scales ln T {p[0]:.4f}, ln alpha {p[1]:.4f} (RMS targets: pre-shower "
         f"fraction {target[0]:.5f}, depths {np.round(target[1:], 3)})")


# --------------------------------------------------------------------------------------
# 4: lateral profile, coupling, nuclear loss, sampling term, width fluctuation
# --------------------------------------------------------------------------------------
def _section_fractions(cells: np.ndarray) -> np.ndarray:
    out = []
    for s in (0, 1):
        c = cells[:, s]
        tot = c.sum(axis=(1, 2))
        out += [float((c[:, 3, 3] / tot).mean()),
                float((c[:, 2:5, 2:5].sum(axis=(1, 2)) / tot).mean())]
    return np.array(out)


def _unweighted_sum(base: Setup, t: Tuned, n: int, seed: int) -> np.ndarray:
    """ECAL deposit of electrons without the sampling-age weighting (lead + scintillator)."""
    sh = dict(t.shower)
    t.shower["sampling_age"] = None
    try:
        return _deposit(build(base, t), 11, n, seed)["ecal"].sum(axis=(1, 2, 3))
    finally:
        t.shower.clear()
        t.shower.update(sh)


def _asymmetry_rms(cells: np.ndarray) -> float:
    """RMS of (E(4,3) - E(2,3))/E and of (E(3,4) - E(3,2))/E (both sections), averaged."""
    c = cells.sum(axis=1)
    tot = c.sum(axis=(1, 2))
    ax = (c[:, 3, 4] - c[:, 3, 2]) / tot
    ay = (c[:, 4, 3] - c[:, 2, 3]) / tot
    return 0.5 * float(ax.std(ddof=1) + ay.std(ddof=1))


def _cc_ps_slope(cells: np.ndarray) -> float:
    tot = cells.sum(axis=(1, 2, 3))
    cc = cells[:, :, 3, 3].sum(axis=1) / tot
    ps = cells[:, 0].sum(axis=(1, 2)) / tot
    return float(np.polyfit(ps, cc, 1)[0])


def _smeared(setup: Setup, cells: np.ndarray, seed: int) -> np.ndarray:
    cal = setup.ecal
    assert cal is not None
    term = cal.stochastic if cal.sampling is None else cal.sampling
    z = np.random.default_rng(seed).standard_normal(cells.shape)
    c = np.maximum(cells, 0.0)
    return np.asarray(c + np.sqrt(term**2 * GeV * c) * z)


def fit_lateral(base: Setup, e: dict[str, np.ndarray], t: Tuned, f_sc: float) -> None:
    """Radial scales, lateral-age coupling, nuclear loss, sampling term, width fluctuation."""
    g4_cells = e["ecal_sc"].astype(float) / f_sc
    n_g4 = g4_cells.shape[0]
    target = _section_fractions(g4_cells)
    err = []
    for s in (0, 1):
        c = g4_cells[:, s]
        tot = c.sum(axis=(1, 2))
        err += [float((c[:, 3, 3] / tot).std() / math.sqrt(n_g4)),
                float((c[:, 2:5, 2:5].sum(axis=(1, 2)) / tot).std() / math.sqrt(n_g4))]
    err_a = np.array(err)
    g4_slope = _cc_ps_slope(g4_cells)
    g4_tot = e["ecal_layer_tot"].astype(float).sum(axis=1) / E_BEAM
    g4_cal = g4_cells.sum(axis=(1, 2, 3))
    mu, sig = truncated_mean_rms(g4_cal)
    g4_res = sig / mu
    tot_all = g4_cells.sum(axis=(1, 2, 3))
    # spreads as the half-width of the central 68%: the RMS of 500 showers is set by the
    # few with a hard photo-nuclear interaction (its bootstrap error is ~10%), the core
    # is not (the same within 2% in 2000 more showers of the reference program)
    g4_cc_core = core_half_width(g4_cells[:, :, 3, 3].sum(axis=1) / tot_all)
    g4_core = core_half_width(g4_tot)
    g4_asym = _asymmetry_rms(g4_cells)
    t.shower.setdefault("lateral_age_coupling", 0.1)
    t.ecal_sampling = t.ecal_sampling or 0.08
    # energy the reference neither deposits nor carries away (binding energy of the
    # photo-nuclear reactions): the mean photo-nuclear loss; the ECAL grid must then hold
    # the rest of the reference's containment
    inv = (1.0 - (e["ecal_layer_tot"].astype(float).sum(axis=1)
                  + e["hcal_sc"].astype(float).sum(axis=(1, 2, 3))
                  + e["hcal_fe"].astype(float).sum(axis=1)
                  + e["veto_sc"].astype(float).sum(axis=1) + e["escape"].astype(float))
           / E_BEAM)
    nuc_mean = float(inv.mean())
    grid_target = float(g4_tot.mean()) + nuc_mean
    for it in range(2):
        saved = dict(t.shower)

        def lat_obj(p: np.ndarray, saved: dict[str, Any] = saved) -> float:
            t.shower.update(core_radius_scale=float(np.exp(p[0])),
                            tail_radius_scale=float(np.exp(p[1])),
                            core_weight_scale=float(np.exp(p[2])),
                            tail_growth_scale=float(np.exp(p[3])),
                            nuclear_loss_mean=0.0, nuclear_loss_sd=0.0, sampling_age=None)
            cells = _deposit(build(base, t), 11, 1500, 5)["ecal"]
            grid = cells.sum(axis=(1, 2, 3)).mean() / E_BEAM
            t.shower.update(sampling_age=saved["sampling_age"])
            cells = _deposit(build(base, t), 11, 1500, 5)["ecal"]
            chi = (((_section_fractions(cells) - target) / np.hypot(err_a, 2e-4)) ** 2).sum()
            return float(chi + ((grid - grid_target) / 3e-4) ** 2)

        p0 = np.log([t.shower.get("core_radius_scale", 1.0),
                     t.shower.get("tail_radius_scale", 1.2),
                     t.shower.get("core_weight_scale", 0.9),
                     t.shower.get("tail_growth_scale", 1.0)])
        r = minimize(lat_obj, p0, method="Nelder-Mead",
                     options={"xatol": 2e-3, "fatol": 1e-2, "maxiter": 600,
                              "initial_simplex": _simplex(p0, 0.1)})
        lat_obj(r.x)
        t.shower.update(nuclear_loss_mean=saved.get("nuclear_loss_mean", 0.0),
                        nuclear_loss_sd=saved.get("nuclear_loss_sd", 0.0))

        def slope_excess(k: float) -> float:
            t.shower["lateral_age_coupling"] = k
            s = build(base, t)
            cells = _smeared(s, _deposit(s, 11, 4000, 6)["ecal"], 7)
            return _cc_ps_slope(cells) - g4_slope

        lo, hi = slope_excess(0.0), slope_excess(1.0)
        t.shower["lateral_age_coupling"] = (0.0 if lo * hi > 0 and abs(lo) < abs(hi) else
                                            1.0 if lo * hi > 0 else
                                            brentq(slope_excess, 0.0, 1.0, xtol=0.01))
        # soft photo-nuclear loss: its spread from the core of the containment
        # distribution (deposits without the sampling-age weighting, as the reference's
        # lead + scintillator sums); the tail is the hard interactions, simulated one by one
        t.shower.update(nuclear_loss_mean=nuc_mean)

        def core_excess(sd: float) -> float:
            t.shower["nuclear_loss_sd"] = sd
            return core_half_width(_unweighted_sum(base, t, 4000, 8) / E_BEAM) - g4_core

        # the Gamma's core widens with sd only up to sd ~ mean (beyond, most showers
        # lose less than the mean): the root below that
        grid = np.linspace(0.0, 1.5 * nuc_mean, 7)
        ex = [core_excess(v) for v in grid]
        up = next((i for i, v in enumerate(ex) if v >= 0), None)
        t.shower["nuclear_loss_sd"] = (
            0.0 if up == 0 else float(grid[int(np.argmax(ex))]) if up is None else
            brentq(core_excess, grid[up - 1], grid[up], xtol=2e-5))

        # sampling term from the resolution
        def res_excess(term: float) -> float:
            t.ecal_sampling = term
            s = build(base, t)
            c = _smeared(s, _deposit(s, 11, 6000, 9)["ecal"], 10).sum(axis=(1, 2, 3))
            m, sg = truncated_mean_rms(c)
            return sg / m - g4_res

        # calibration: the sampling-age weighting keeps the mean signal of 100 GeV
        # electrons equal to their deposit
        sa = list(t.shower["sampling_age"])
        weighted = _deposit(build(base, t), 11, 4000, 8)["ecal"].sum(axis=(1, 2, 3)).mean()
        sa[0] += 1.0 - float(weighted / _unweighted_sum(base, t, 4000, 8).mean())
        t.shower["sampling_age"] = tuple(sa)

        t.ecal_sampling = brentq(res_excess, 0.02, 0.2, xtol=1e-4)

        # axis fluctuation from the RMS of the left-right asymmetry of the neighbours
        def asym_excess(a: float) -> float:
            t.shower["axis_fluctuation"] = a
            s = build(base, t)
            c = _smeared(s, _deposit(s, 11, 4000, 13)["ecal"], 14)
            return _asymmetry_rms(c) - g4_asym

        t.shower["axis_fluctuation"] = (0.0 if asym_excess(0.0) >= 0 else
                                        brentq(asym_excess, 0.0, 0.5, xtol=2e-4))

        # width fluctuation from the core of the central-cell fraction's distribution
        def rms_excess(w: float) -> float:
            t.shower["radius_fluctuation"] = w
            s = build(base, t)
            c = _smeared(s, _deposit(s, 11, 4000, 11)["ecal"], 12)
            tot = c.sum(axis=(1, 2, 3))
            return core_half_width(c[:, :, 3, 3].sum(axis=1) / tot) - g4_cc_core

        t.shower["radius_fluctuation"] = (0.0 if rms_excess(0.0) >= 0 else
                                          brentq(rms_excess, 0.0, 0.5, xtol=2e-4))
        sh = t.shower
        _say(f"[4.{it}] radial scales core {sh['core_radius_scale']:.4f} tail "
             f"{sh['tail_radius_scale']:.4f} growth {sh['tail_growth_scale']:.4f} weight "
             f"{sh['core_weight_scale']:.4f} (grid containment target {grid_target:.5f}); coupling "
             f"{sh['lateral_age_coupling']:.3f} (Geant4 slope d(cc)/d(ps) {g4_slope:.4f}); "
             f"nuclear loss {sh['nuclear_loss_mean']:.5f} +- {sh['nuclear_loss_sd']:.5f}; "
             f"sampling {t.ecal_sampling:.4f}; axis fluctuation {sh['axis_fluctuation']:.4f} "
             f"(Geant4 asymmetry RMS {g4_asym:.5f}); width fluctuation "
             f"{sh['radius_fluctuation']:.4f}")


#: The cores of the EM shower spreads at 40, 70 (Geant4 positrons) and 100 GeV:
#: ``tests/data/g4_em_cores.csv`` (``validation/g4_em_cores.py``).
CORES_TABLE = ROOT / "tests" / "data" / "g4_em_cores.csv"


def _cc_core(setup: Setup, e_gev: float, seed: int) -> float:
    """16-84% half-width of the central-cell fraction of 20000 fast-simulated positrons."""
    s = fastsim_sample(setup, "e+", e_gev * GeV, 20000, seed)
    return core_half_width(em_spread_samples(s)["central_cell_fraction_core"])


def _grid_minimum(chi2: Callable[[float], float], start: float, stop: float, step: float
                  ) -> tuple[float, str]:
    """The minimum of ``chi2`` on the grid ``start, start + step, ... stop``, refined by a
    parabola through the three lowest points (kept within them), and the grid's values as
    text for the report."""
    grid = np.round(np.arange(start, stop + 0.5 * step, step), 6)
    values = np.array([chi2(float(x)) for x in grid])
    i = int(np.clip(np.argmin(values), 1, grid.size - 2))
    a, b, _ = np.polyfit(grid[i - 1:i + 2], values[i - 1:i + 2], 2)
    best = float(np.clip(-b / (2 * a), grid[i - 1], grid[i + 1])) if a > 0 else float(grid[i])
    return best, ", ".join(f"{x:g}: {v:.1f}" for x, v in zip(grid, values, strict=True))


def fit_fluctuation_energy(base: Setup, t: Tuned, path: Path = CORES_TABLE) -> None:
    """The exponent kappa with which the lateral fluctuations of step 4 (fitted at 100 GeV)
    grow as the shower energy falls, (E / 100 GeV)^-kappa: chi2 of the cores of the
    central-cell fraction of the Geant4 positrons of 70 and 40 GeV, on a grid of kappa with
    the same showers at every point, refined by a parabola through the three lowest
    points.  Statistics of the soft particles far from the axis alone predict 1/2."""
    ref = {r.energy_gev: (r.value, r.stat_error) for r in read_reference_rows(path)
           if r.particle == "e+" and r.observable == "central_cell_fraction_core"}

    def chi2(kappa: float) -> float:
        t.shower["fluctuation_energy_exponent"] = kappa
        setup = build(base, t)
        return sum(((_cc_core(setup, e, 400 + int(e)) - v) / err) ** 2
                   for e, (v, err) in ref.items())

    best, listing = _grid_minimum(chi2, 0.0, 1.0, 0.1)
    t.shower["fluctuation_energy_exponent"] = best
    _say(f"[4b] lateral fluctuations x (E/100 GeV)^-{best:.3f} (chi2 on the grid: {listing})")


# --------------------------------------------------------------------------------------
# 5: leakage hits
# --------------------------------------------------------------------------------------
def _compound_cdf(x: np.ndarray, base: np.ndarray, nu: float, d: float, k: float) -> np.ndarray:
    """P(base + X <= x) for X a Poisson(nu) sum of Gamma(k, d/k) hits, averaged over the
    ``base`` sample."""
    nmax = int(nu + 8 * math.sqrt(nu) + 10)
    pn = poisson.pmf(np.arange(nmax + 1), nu)
    y = x[:, None] - base[None, :]
    cdf = np.where(y >= 0, pn[0], 0.0)
    for n in range(1, nmax + 1):
        cdf = cdf + pn[n] * gamma_dist.cdf(np.maximum(y, 0.0), n * k, scale=d / k)
    return np.asarray(cdf.mean(axis=1))


def fit_leakage(base: Setup, e: dict[str, np.ndarray], t: Tuned) -> None:
    """Hits per GeV, mean hit energy and shape for each veto counter (common energy and
    shape) and for the first HCAL module, from the reference's deposit distributions."""
    t.veto_leakage, t.hcal_leakage = None, None
    # the base: EM showers with their hard photo-nuclear interactions, whose rare hadron
    # showers make the far tails; its means from 20000 showers (those of a few hundred
    # depend on whether one such shower is among them)
    dep = _deposit(build(base, t), 11, 20000, 13)
    gev = E_BEAM / GeV
    veto_g4 = e["veto_sc"].astype(float)
    pts = np.array([0.01, 0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0])
    n_c = veto_g4.shape[1]
    emp = [np.mean(veto_g4[:, i][:, None] <= pts[None, :], axis=0) for i in range(n_c)]
    bases = [dep["veto"][:500, i] for i in range(n_c)]
    base_means = dep["veto"].mean(axis=0)

    def veto_res(p: np.ndarray) -> np.ndarray:
        d, k = math.exp(p[n_c]), math.exp(p[n_c + 1])
        out = []
        for i in range(n_c):
            nu = math.exp(p[i]) * gev
            out.append((_compound_cdf(pts, bases[i], nu, d, k) - emp[i]) / 0.02)
            mean = float(base_means[i]) + nu * d
            out.append(np.array([(mean - veto_g4[:, i].mean())
                                 / (veto_g4[:, i].std() / math.sqrt(veto_g4.shape[0]))]))
        return np.concatenate(out)

    p = least_squares(veto_res, np.r_[np.log([0.03] * n_c), 0.0, 0.0],
                      bounds=(np.r_[np.log([1e-4] * n_c), np.log([0.1, 0.2])],
                              np.r_[np.log([10.0] * n_c), np.log([20.0, 20.0])])).x
    t.veto_leakage = {"hits_per_gev": tuple(float(math.exp(v)) for v in p[:n_c]),
                      "hit_energy": float(math.exp(p[n_c])),
                      "hit_shape": float(math.exp(p[n_c + 1]))}
    # HCAL: the deposit (Fe + Sc) of all modules, its distribution up to the 95% quantile
    # (the mean is not fitted: it is set by the showers with a hard photo-nuclear
    # interaction, one in ~40, so that 500 showers fix it to ~20%: 0.000148 E in the
    # reference, 0.000184 in 2000 more showers of the same program)
    h_g4 = (e["hcal_sc"].astype(float).sum(axis=(1, 2, 3)) + e["hcal_fe"].astype(float).sum(1))
    h_base = dep["hcal"].sum(axis=(1, 2, 3))[:1000]
    hpts = np.percentile(h_g4, [5, 10, 25, 50, 75, 90, 95])
    hemp = np.mean(h_g4[:, None] <= hpts[None, :], axis=0)

    def hcal_res(p: np.ndarray) -> np.ndarray:
        nu, d, k = math.exp(p[0]) * gev, math.exp(p[1]), math.exp(p[2])
        return (_compound_cdf(hpts, h_base, nu, d, k) - hemp) / 0.02

    q = least_squares(hcal_res, np.log([0.05, 2.0, 1.0]),
                      bounds=(np.log([1e-3, 0.3, 0.2]), np.log([10.0, 50.0, 20.0]))).x
    t.hcal_leakage = {"hits_per_gev": (float(math.exp(q[0])),),
                      "hit_energy": float(math.exp(q[1])), "hit_shape": float(math.exp(q[2]))}
    _say(f"[5] veto leakage {t.veto_leakage}; HCAL leakage {t.hcal_leakage}")


#: Geant4 positrons of 100, 70 and 40 GeV through the same calorimeters (table rows; EM
#: showers of e+ and e- are the same at these energies): ``tests/data/g4_na64e_positron.csv``.
POSITRON_TABLE = ROOT / "tests" / "data" / "g4_na64e_positron.csv"


def fit_leakage_energy_exponent(base: Setup, t: Tuned, path: Path = POSITRON_TABLE) -> None:
    """The exponent p with which the veto's leakage hits grow with the shower energy (E^p;
    the rates of step 5 hold at 100 GeV), by chi2 of the mean summed veto signal and
    P(veto > 1 MeV) of the Geant4 positrons of 70 and 40 GeV, on a grid of p with the same
    20000 fast-simulated showers per energy at every p, refined by a parabola through the
    three lowest points.  Escape out of the back of a calorimeter of fixed depth predicts
    p = 1 + 1/lambda for a tail attenuation length lambda ~ 3.4 X0 (1.29); the counters
    also receive lateral leakage, which grows as E."""
    ref = {(round(r.energy_gev), r.observable): (r.value, r.stat_error)
           for r in read_reference_rows(path) if r.particle == "e+"}
    names = ("veto_sum_mean_MeV", "p_veto_gt_1MeV")
    assert t.veto_leakage is not None

    def chi2(p: float) -> float:
        assert t.veto_leakage is not None
        t.veto_leakage["energy_exponent"] = p
        setup = build(base, t)
        out = 0.0
        for e_gev in (70, 40):
            fs = observables(fastsim_sample(setup, "e+", e_gev * GeV, 20000, 300 + e_gev),
                             setup, bootstrap=0, reference_size=400)
            out += sum(((fs[n][0] - ref[(e_gev, n)][0]) / ref[(e_gev, n)][1]) ** 2
                       for n in names)
        return out

    best, listing = _grid_minimum(chi2, 1.0, 1.6, 0.05)
    t.veto_leakage["energy_exponent"] = best
    _say(f"[6b] veto leakage energy exponent {best:.3f} (chi2 on the grid: {listing})")


# --------------------------------------------------------------------------------------
# 6: muons
# --------------------------------------------------------------------------------------
#: Share of bremsstrahlung in the radiative energy loss b of 100 GeV muons, the rest being
#: pair production and photo-nuclear losses (about the share in iron at 100 GeV, read off
#: the PDG figure of the contributions to b, PDG 2024 Sec. 34.6; taken for lead as well).  Not fitted: the 1000
#: reference muons contain too few large losses to fix it.
BREMS_SHARE = 0.35
#: 60000 muons of 100 GeV of the same Geant4 simulation (three runs; the mean signal of the
#: first veto counter)
MUON_TABLE = ROOT / "tests" / "data" / "g4_na64e_muon_100GeV.csv"


def fit_muons(base: Setup, mu: dict[str, np.ndarray], t: Tuned, f_sc: float) -> None:
    """Knock-on thresholds of the ECAL and HCAL absorbers, the pair-production spectrum and
    the particles that accompany a muon into the veto."""
    g4_ecal = mu["ecal_sc"].astype(float).sum(axis=(1, 2, 3)) / f_sc
    qs = np.array([5, 10, 25, 50, 75, 90, 95])
    pts = np.percentile(g4_ecal, qs)
    g4_mpv = most_probable(g4_ecal, bootstrap=0)[0]

    def ecal_obj(p: np.ndarray) -> float:
        t.ecal_delta_ray_threshold = float(np.exp(p[0]))
        t.radiative = ((BREMS_SHARE, 1.0, 1e-3), (1.0 - BREMS_SHARE, float(p[1]), float(10 ** p[2])))
        s = build(base, t)
        c = _deposit(s, 13, 32000, 14)["ecal"].sum(axis=(1, 2, 3))
        cdf = np.mean(c[:, None] <= pts[None, :], axis=0)
        mpv = most_probable(c, bootstrap=0, sample_size=mu["ecal_sc"].shape[0])[0]
        return float((((cdf - qs / 100) / 0.01) ** 2).sum() + ((mpv - g4_mpv) / 9.4) ** 2)

    x0 = np.array([0.5, 1.9, -3.2])
    r = minimize(ecal_obj, x0, method="Nelder-Mead",
                 options={"xatol": 1e-2, "fatol": 0.05, "maxiter": 150,
                          "initial_simplex": _simplex(x0, 0.2)})
    ecal_obj(r.x)
    # HCAL: the raw Sc deposit per module (cells x the HCAL electron sampling fraction)
    g4_h = mu["hcal_sc"].astype(float).sum(axis=(2, 3))
    hpts = np.percentile(g4_h, qs, axis=0).mean(axis=1)

    g4_h_mpv = float(np.mean([most_probable(g4_h[:, m], bootstrap=0)[0]
                              for m in range(g4_h.shape[1])]))

    def hcal_obj(lt: float) -> float:
        t.hcal_delta_ray_threshold = float(np.exp(lt))
        s = build(base, t)
        assert s.hcal is not None
        h = _deposit(s, 13, 40000, 15)["hcal"].sum(axis=(2, 3)) * s.hcal.electron_sampling_fraction
        cdf = np.mean([np.mean(h[:, m][:, None] <= hpts[None, :], axis=0)
                       for m in range(h.shape[1])], axis=0)
        mpv = float(np.mean([most_probable(h[:, m], bootstrap=0, sample_size=g4_h.shape[0])[0]
                             for m in range(h.shape[1])]))
        return float((((cdf - qs / 100) / 0.01) ** 2).sum() + ((mpv - g4_h_mpv) / 0.3) ** 2)

    best = min(np.linspace(-1.0, 3.5, 19), key=hcal_obj)
    r1 = minimize(lambda v: hcal_obj(float(v[0])), [best], method="Nelder-Mead",
                  options={"xatol": 1e-2, "fatol": 0.05, "maxiter": 60,
                           "initial_simplex": _simplex(np.array([best]), 0.1)})
    hcal_obj(float(r1.x[0]))
    # the counters' acceptance for the particles of the muons' loss showers and the
    # particles accompanying the muon out of the ECAL into the veto counters: on a grid of
    # the acceptance, the track hits fitted to the first counters' quantiles (10-95%) of the
    # 1000 reference muons and every setting's first-counter mean to that of the 60000
    # muons of the same simulation (tests/data/g4_na64e_muon_100GeV.csv: the mean rests on
    # the few large signals, 5.96 +- 0.26 MeV in the 1000)
    assert t.veto_leakage is not None
    v_g4 = mu["veto_sc"].astype(float)
    vpts = np.percentile(v_g4, [10, 25, 50, 75, 90, 95], axis=0).mean(axis=1)
    mean_row = read_reference_table(MUON_TABLE)[("mu-", "veto_counter_mean_MeV")]

    def fit_tracks(acceptance: float) -> tuple[float, np.ndarray]:
        t.veto_shower_particles = acceptance
        assert t.veto_leakage is not None
        t.veto_leakage.update(hits_per_track=0.0, track_hit_energy=None)
        v_base = _deposit(build(base, t), 13, 12000, 17)["veto"]

        def veto_res(p: np.ndarray) -> np.ndarray:
            nu, d, k = (math.exp(v) for v in p)
            out = []
            for i in range(v_g4.shape[1]):
                emp = np.mean(v_g4[:, i][:, None] <= vpts[None, :], axis=0)
                out.append((_compound_cdf(vpts, v_base[:1000, i], nu, d, k) - emp) / 0.015)
            mean = float(v_base[:, 0].mean()) + nu * d
            out.append(np.array([(mean - mean_row.value) / mean_row.stat_error]))
            return np.concatenate(out)

        q = least_squares(veto_res, np.log([0.2, 5.0, 1.0]),
                          bounds=(np.log([1e-3, 0.3, 0.2]), np.log([3.0, 50.0, 20.0])))
        return float(2.0 * q.cost), q.x

    grid = np.round(np.arange(0.2, 1.21, 0.1), 2)
    results = {float(a): fit_tracks(float(a)) for a in grid}
    best_a = min(results, key=lambda a: results[a][0])
    q = results[best_a][1]
    t.veto_shower_particles = best_a
    t.veto_leakage.update(hits_per_track=float(math.exp(q[0])),
                          track_hit_energy=float(math.exp(q[1])),
                          track_hit_shape=float(math.exp(q[2])))
    listing = ", ".join(f"{a:g}: {r[0]:.1f}" for a, r in results.items())
    _say(f"[6] veto: shower-particle acceptance {best_a:g} (chi2 on the grid: {listing}); "
         f"{t.veto_leakage['hits_per_track']:.4f} particles per muon, "
         f"{t.veto_leakage['track_hit_energy']:.3f} MeV per counter, shape "
         f"{t.veto_leakage['track_hit_shape']:.3f}")
    _say(f"[6] ECAL knock-on threshold {t.ecal_delta_ray_threshold:.3f} MeV, radiative "
         f"components {tuple(tuple(round(v, 5) for v in c) for c in t.radiative)}; HCAL "
         f"knock-on threshold {t.hcal_delta_ray_threshold:.3f} MeV")


# --------------------------------------------------------------------------------------
# 7: hadrons
# --------------------------------------------------------------------------------------
#: Geant4 pions of 2-100 GeV (the same program and geometry; made by
#: ``validation/g4_em_hadronic_reference.py``): per energy, the mean calibrated ECAL and HCAL
#: signals, P(HCAL < 1 GeV) and P(HCAL > thresholds), the probability of a first
#: interaction in the ECAL and the central-cell and 3x3 fractions of showering pions
LOW_ENERGY_TABLE = ROOT / "tests" / "data" / "g4_em_hadronic.csv"
LOW_ENERGY_KEYS = ("ecal_fraction_mean", "hcal_fraction_mean", "p_hcal_lt_1GeV",
                   "p_hcal_gt_0.3GeV")
#: cluster energies (MeV) compared after the least-squares fit
CLUSTER_GRID = (500.0, 700.0, 1000.0, 1500.0, 2000.0)


@cache
def _low_energy_pions() -> dict[float, dict[str, float]]:
    lines = [ln for ln in LOW_ENERGY_TABLE.read_text().splitlines()
             if ln and not ln.startswith("#")]
    out: dict[float, dict[str, float]] = {}
    for r in csv.DictReader(lines):
        if r["configuration"].startswith("pi-_"):
            out.setdefault(float(r["configuration"][4:]) * GeV, {})[r["observable"]] = float(
                r["value"])
    return out


def _below_100(pions: dict[float, dict[str, float]]) -> dict[float, dict[str, float]]:
    return {e: row for e, row in pions.items() if e < E_BEAM}


#: pion energies (MeV) of the lateral fit: 5-100 GeV (at 2 GeV a pion that crosses the
#: ECAL without interacting also leaves more than E/5 there, and the few secondaries of
#: one that interacts are not a shower; the 2 GeV fractions are a check)
LATERAL_ENERGIES = (5.0 * GeV, 10.0 * GeV, 20.0 * GeV, 50.0 * GeV, 100.0 * GeV)
LATERAL_KEYS = ("central_cell_fraction_showering", "ring3x3_fraction_showering")


def fit_hadron_lateral(base: Setup, t: Tuned) -> None:
    """Core and tail radii and core weight of the hadronic lateral profile, and the width
    of the electromagnetic part, from the central-cell and 3x3 fractions of the ECAL signal
    of showering pions of 5-100 GeV (``tests/data/g4_em_hadronic.csv``)."""
    g4 = _low_energy_pions()

    def obj(p: np.ndarray) -> float:
        (t.hadronic_core_radius, t.hadronic_tail_radius, t.em_part_width) = (
            float(math.exp(v)) for v in (p[0], p[1], p[3]))
        t.hadronic_core_weight = float(1.0 / (1.0 + math.exp(-p[2])))
        setup = build(base, t)
        chi = 0.0
        for k, e in enumerate(LATERAL_ENERGIES):
            fo = observables(fastsim_sample(setup, "pi-", e, 2000, 60 + k), setup, bootstrap=0)
            chi += sum(((fo[key][0] - g4[e][key]) / 0.01) ** 2 for key in LATERAL_KEYS)
        return chi

    p0 = np.array([math.log(0.2), math.log(1.2), 0.0, math.log(1.5)])
    r = minimize(obj, p0, method="Nelder-Mead",
                 options={"xatol": 0.02, "fatol": 0.5, "maxiter": 120,
                          "initial_simplex": _simplex(p0, 0.3)})
    chi = obj(r.x)
    _say(f"[7a] hadronic lateral: core {t.hadronic_core_radius:.3f} R weight "
         f"{t.hadronic_core_weight:.3f}, tail {t.hadronic_tail_radius:.3f} R; EM part "
         f"width x{t.em_part_width:.3f}; chi2 {chi:.1f} for {2 * len(LATERAL_ENERGIES)} "
         "fractions (0.01 each)")


def fit_hadrons(base: Setup, pi: dict[str, np.ndarray], t: Tuned, f_sc: float,
                shipped_start: list[float]) -> None:
    """Meson interaction length and its energy dependence, charge exchange, profile rate
    scales and their energy dependence, e/h of ECAL and HCAL, the EM-fraction fluctuations
    and the cluster energy, from the mean ECAL and HCAL energies of 100 GeV pions against
    the depth of their first interaction and the mean signals of 2-50 GeV pions."""
    assert base.ecal is not None
    proc = pi["prim_end_proc"]
    z = np.where(proc == 4121, pi["prim_end_z"].astype(float), -1.0)
    ecal_end = base.ecal.length
    n = z.size
    in_ecal = (z >= 0) & (z <= ecal_end)
    p_int = in_ecal.mean()
    depth = ecal_end / base.ecal.lambda_int
    t.meson_lambda_scale = float(depth / -math.log(1.0 - p_int))
    low = _below_100(_low_energy_pions())
    # lambda_pi / lambda_int = scale (E / 100 GeV)^exponent: least squares in the logs
    xs = np.array([math.log(e / E_BEAM) for e in low])
    ys = np.array([math.log(depth / -math.log(1.0 - low[e]["p_interact_ecal"])
                            / t.meson_lambda_scale) for e in low])
    t.meson_scale_exponent = float(np.sum(xs * ys) / np.sum(xs * xs))
    g_e = pi["ecal_sc"].astype(float).sum(axis=(1, 2, 3)) / f_sc / E_BEAM
    g_h = (pi["hcal_sc"].astype(float).sum(axis=(1, 2, 3))
           + pi["hcal_fe"].astype(float).sum(axis=1)) / E_BEAM
    cex = in_ecal & (g_h < 1.0 * GeV / E_BEAM)
    t.charge_exchange = float(cex.sum() / in_ecal.sum())
    bins = np.array([0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 1e4])

    def stats(e_: np.ndarray, h_: np.ndarray, z_: np.ndarray) -> np.ndarray:
        rows = []
        for a, b in itertools.pairwise(bins):
            k = (z_ >= a) & (z_ < b)
            rows.append((e_[k].mean(), e_[k].std(), h_[k].mean(), k.sum()))
        return np.array(rows)

    g = stats(g_e, g_h, z)
    g_p50 = float((g_e < 0.5).mean())
    se_e = g[:, 1] / np.sqrt(g[:, 3]) + 1e-3
    se_h = 0.3 / np.sqrt(g[:, 3]) + 1e-3
    se_s = g[:, 1] / np.sqrt(2 * g[:, 3])

    def low_resid(setup: Setup) -> list[float]:
        out = []
        for k, (e, row) in enumerate(sorted(low.items())):
            d = deposit(setup, {"pdg": np.full(3000, -211), "energy": np.full(3000, e)},
                        np.random.default_rng(40 + k))
            h = d["hcal"].sum(axis=(1, 2, 3))
            fast = {"ecal_fraction_mean": float(d["ecal"].sum(axis=(1, 2, 3)).mean() / e),
                    "hcal_fraction_mean": float(h.mean() / e),
                    "p_hcal_lt_1GeV": float(np.mean(h < GeV)),
                    # the granularity of the leaks (the cluster energy)
                    "p_hcal_gt_0.3GeV": float(np.mean(h > 0.3 * GeV))}
            out += [(fast[key] - row[key]) / max(0.02, 0.05 * row[key])
                    for key in LOW_ENERGY_KEYS]
        return out

    def resid(p: np.ndarray) -> np.ndarray:
        (t.em_rate_scale, t.hadronic_rate_scale, t.ecal_e_over_h, t.hcal_e_over_h,
         t.kappa, t.rate_exponent) = (float(v) for v in p)
        setup = build(base, t)
        d = _deposit(setup, -211, 20000, 16)
        e_ = d["ecal"].sum(axis=(1, 2, 3)) / E_BEAM
        h_ = d["hcal"].sum(axis=(1, 2, 3)) / E_BEAM
        f = stats(e_, h_, d["true_interaction_z"])
        return np.r_[(f[:9, 0] - g[:9, 0]) / se_e[:9], (f[:, 2] - g[:, 2]) / se_h,
                     (f[:9, 1] - g[:9, 1]) / se_s[:9],
                     ((e_ < 0.5).mean() - g_p50) / math.sqrt(g_p50 * (1 - g_p50) / n),
                     low_resid(setup)]

    # the landscape has more than one minimum (e/h, the EM-fraction spread and the profile
    # lengths trade against each other; with the 100 GeV pions alone a strongly
    # over-compensating ECAL fits as well, which the pions below 100 GeV exclude): start
    # from the published values, from a compensating ECAL, from an energy-dependent
    # profile and from the shipped values (so that a change elsewhere in the fit does not
    # move it to another minimum of similar cost unnoticed), keep the best fit; the cluster
    # energy is then chosen on a grid
    t.cluster_energy = 1.0 * GeV
    fits = [least_squares(resid, x0, bounds=([0.2, 0.2, 0.3, 0.3, 1.0, 0.0],
                                             [3.0, 3.0, 3.0, 3.0, 100.0, 1.0]),
                          x_scale=[0.2, 0.2, 0.2, 0.2, 3.0, 0.1], diff_step=0.03, max_nfev=80)
            for x0 in ([1.0, 1.0, 1.2, 1.4, 10.0, 0.0], [0.85, 0.45, 0.5, 1.5, 5.0, 0.0],
                       [0.8, 1.0, 1.0, 1.3, 4.0, 0.3], shipped_start)]
    for x0, f in zip(("published", "compensating", "energy-dependent", "shipped"), fits,
                     strict=True):
        _say(f"[7] start {x0}: chi2 {2 * float(f.cost):.1f}, kappa {f.x[4]:.2f}, e/h "
             f"{f.x[2]:.3f}/{f.x[3]:.3f}")
    fit = min(fits, key=lambda f: float(f.cost))
    best = (float(fit.cost), t.cluster_energy)
    for ec in CLUSTER_GRID:
        t.cluster_energy = ec
        cost = 0.5 * float(np.sum(resid(fit.x) ** 2))
        best = min(best, (cost, ec))
    t.cluster_energy = best[1]
    resid(fit.x)
    # charge exchange: the fraction of such interactions that gives the reference's
    # P(E_HCAL < 1 GeV) (a late one leaks more than 1 GeV into the HCAL)
    d = _deposit(build(base, t), -211, 100000, 18)
    p_fast = float(np.mean(d["hcal"].sum(axis=(1, 2, 3)) < 1.0 * GeV))
    p_g4 = float(np.mean(g_h < 1.0 * GeV / E_BEAM))
    if p_fast > 0:
        t.charge_exchange *= p_g4 / p_fast
    _say(f"[7] meson lambda scale {t.meson_lambda_scale:.4f} (P_int = {p_int:.3f}) x (E/100 "
         f"GeV)^{t.meson_scale_exponent:.4f}, charge "
         f"exchange {t.charge_exchange:.4f} (P(E_HCAL < 1 GeV) = {p_g4:.4f}, {int(cex.sum())} "
         f"events); profile "
         f"rate scales EM {t.em_rate_scale:.3f} hadronic "
         f"{t.hadronic_rate_scale:.3f} x (E/100 GeV)^-{t.rate_exponent:.3f}; e/h ECAL "
         f"{t.ecal_e_over_h:.3f} HCAL {t.hcal_e_over_h:.3f}; kappa {t.kappa:.2f}; clusters of "
         f"{t.cluster_energy / GeV:g} GeV; chi2 {2 * best[0]:.1f} for {fit.fun.size} points")


# --------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v:.4g}"


def toml_blocks(t: Tuned) -> str:
    """The tuned values as the TOML of the setup."""
    sh = t.shower
    lines = ["[ecal]", f"e_over_mip = {_fmt(t.ecal_e_over_mip)}",
             f"sampling = {_fmt(t.ecal_sampling or 0.0)}",
             f"e_over_h = {_fmt(t.ecal_e_over_h)}",
             f'delta_ray_threshold = "{_fmt(t.ecal_delta_ray_threshold or 0.0)}MeV"', "",
             "[ecal.shower]"]
    for k in ("ln_t_shift", "ln_alpha_shift", "sigma_ln_t_scale", "sigma_ln_alpha_scale", "rho",
              "core_radius_scale", "tail_radius_scale", "tail_growth_scale", "core_weight_scale",
              "lateral_age_coupling", "radius_fluctuation", "axis_fluctuation",
              "fluctuation_energy_exponent", "nuclear_loss_mean",
              "nuclear_loss_sd"):
        lines.append(f"{k} = {_fmt(sh[k])}")
    lines.append("sampling_age = [" + ", ".join(_fmt(v) for v in sh["sampling_age"]) + "]")
    vl, hl = t.veto_leakage or {}, t.hcal_leakage or {}
    lines += ["", "[veto]", f"shower_particles = {_fmt(t.veto_shower_particles or 0.0)}",
              "", "[veto.leakage]",
              "hits_per_gev = [" + ", ".join(_fmt(v) for v in vl["hits_per_gev"]) + "]",
              f'hit_energy = "{_fmt(vl["hit_energy"])}MeV"', f"hit_shape = {_fmt(vl['hit_shape'])}",
              f"hits_per_track = {_fmt(vl['hits_per_track'])}",
              f'track_hit_energy = "{_fmt(vl["track_hit_energy"])}MeV"',
              f"track_hit_shape = {_fmt(vl['track_hit_shape'])}",
              f"energy_exponent = {_fmt(vl.get('energy_exponent', 1.0))}",
              "", "[hcal]", f"e_over_h = {_fmt(t.hcal_e_over_h)}",
              f'delta_ray_threshold = "{_fmt(t.hcal_delta_ray_threshold or 0.0)}MeV"', "",
              "[hcal.leakage]", f"hits_per_gev = [{_fmt(hl['hits_per_gev'][0])}]",
              f'hit_energy = "{_fmt(hl["hit_energy"])}MeV"', f"hit_shape = {_fmt(hl['hit_shape'])}"]
    return "\n".join(lines)


def module_constants(t: Tuned) -> dict[str, float | tuple[tuple[float, float, float], ...]]:
    """The tuned module constants of na64.detector.hadron and .muon."""
    return {f"{_module_name(module)}.{name}": getattr(t, key)
            for key, (module, name) in MODULE_CONSTANTS.items()}


def shipped(base: Setup) -> Tuned:
    """The values shipped in the setup and the modules (before this script changes them)."""
    assert base.ecal is not None
    assert base.hcal is not None
    assert base.veto is not None
    e, h, v = base.ecal, base.hcal, base.veto
    return Tuned(
        ecal_e_over_mip=e.e_over_mip, ecal_sampling=e.sampling,
        shower=e.shower.model_dump() if e.shower else {},
        ecal_delta_ray_threshold=e.delta_ray_threshold,
        hcal_delta_ray_threshold=h.delta_ray_threshold, ecal_e_over_h=e.e_over_h,
        hcal_e_over_h=h.e_over_h,
        veto_leakage=v.leakage.model_dump() if v.leakage else None,
        veto_shower_particles=v.shower_particles,
        hcal_leakage=h.leakage.model_dump() if h.leakage else None,
        **{key: getattr(module, name) for key, (module, name) in MODULE_CONSTANTS.items()})


def _flat(t: Tuned) -> dict[str, float]:
    out: dict[str, float] = {}

    def put(name: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                put(f"{name}.{k}", x)
        elif isinstance(v, (tuple, list)):
            for i, x in enumerate(v):
                put(f"{name}[{i}]", x)
        elif v is not None:
            out[name] = float(v)

    for k, v in vars(t).items():
        put(k, v)
    return out


#: Relative tolerances of ``--check`` wider than the default 10%, for values the fit fixes
#: less well.  kappa: the step-7 chi2 against kappa, the other parameters held at the fit's,
#: scatters by about +-5 between neighbouring values (57.6, 65.1, 74.2, 68.3, 78.6 at 2.8,
#: 3.0, 3.2, 3.366, 3.6: the Monte Carlo noise of the Beta draws), and fits from different
#: starts or with the muon losses above 2 GeV instead of 0.5 GeV from the cross sections
#: end at 2.82, 2.94, 3.35 and 3.41.
CHECK_TOLERANCE = {"kappa": 0.2}


def compare(fitted: Tuned, ship: Tuned, rel: float = 0.1, abs_: float = 0.02) -> list[str]:
    """Names of the values that differ by more than ``rel`` (relative; wider for the names
    of :data:`CHECK_TOLERANCE`) and ``abs_``."""
    a, b = _flat(fitted), _flat(ship)
    bad = []
    for k, v in a.items():
        w = b.get(k)
        r = CHECK_TOLERANCE.get(k, rel)
        if w is None or (abs(v - w) > r * max(abs(v), abs(w)) and abs(v - w) > abs_):
            bad.append(f"{k}: fitted {v:.5g}, shipped {w}")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference", type=Path, default=default_reference(),
                    help="directory of the Geant4 reference (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the shipped values differ from the fit")
    args = ap.parse_args(argv)
    ref = args.reference
    if not (ref / "g4_reference_100GeV.csv").exists():
        print(f"no Geant4 reference in {ref} (set --reference or NA64_G4_REFERENCE)",
              file=sys.stderr)
        return 2
    arrays = load_arrays(ref)
    base = load_setup(SETUP_NAME)
    ship = shipped(base)
    t = Tuned()
    f_sc = fit_calibration(base, arrays["e-"], t)
    a, b = fit_longitudinal(base, arrays["e-"], t)
    fit_sampling_age(base, arrays["e-"], a, b, t)
    fit_widths(base, arrays["e-"], t)
    fit_lateral(base, arrays["e-"], t, f_sc)
    fit_fluctuation_energy(base, t)
    fit_leakage(base, arrays["e-"], t)
    fit_muons(base, arrays["mu-"], t, f_sc)
    # the counters' acceptance for shower particles (step 6) changes what the electrons'
    # showers leave in them: step 5 again, the muons' track hits kept
    assert t.veto_leakage is not None
    track = {k: t.veto_leakage[k] for k in ("hits_per_track", "track_hit_energy",
                                            "track_hit_shape")}
    fit_leakage(base, arrays["e-"], t)
    assert t.veto_leakage is not None
    t.veto_leakage.update(track)
    fit_hadron_lateral(base, t)
    fit_hadrons(base, arrays["pi-"], t, f_sc,
                [ship.em_rate_scale, ship.hadronic_rate_scale, ship.ecal_e_over_h,
                 ship.hcal_e_over_h, ship.kappa, ship.rate_exponent])
    # after the hadron model: the veto signal of positron showers includes the hadron
    # showers of their hard photo-nuclear interactions
    fit_leakage_energy_exponent(base, t)
    print("\n# ---- na64e_2016_2018.toml ----")
    print(toml_blocks(t))
    print("\n# ---- module constants ----")
    for k, v in module_constants(t).items():
        print(f"{k} = {v!r}")
    # the reference observables with the fitted simulation
    setup = build(base, t)
    table = read_reference_table(ref / "g4_reference_100GeV.csv")
    print("\n# ---- reference observables, fitted fast simulation ----")
    for p, nev in (("e-", 4000), ("pi-", 20000), ("mu-", 20000)):
        fs = observables(fastsim_sample(setup, p, E_BEAM, nev, 101), setup, bootstrap=0,
                         reference_size=1000)
        for (pp, name), row in table.items():
            if pp == p and name in fs:
                v = fs[name][0]
                ratio = v / row.value if row.value else float("nan")
                print(f"{p:4s} {name:34s} G4 {row.value:11.5g} +- {row.stat_error:<9.3g} "
                      f"na64 {v:11.5g}  ratio {ratio:7.4f}")
    if args.check:
        bad = compare(t, ship)
        if bad:
            print("\nshipped values differ from the fit:\n  " + "\n  ".join(bad), file=sys.stderr)
            return 1
        print("\nshipped values agree with the fit (10% or 0.02; kappa 20%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
