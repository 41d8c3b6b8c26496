"""Hard photons (and e±) punching through the WCAL dump of the visible-mode search.

A beam electron radiates a hard photon (k above the ECAL threshold) early in the WCAL; the
photon crosses the rest of the dump without converting, converts in the W2 counter or in
the decay counter S4 (the only material in front of the end of S4: the decay volume is
evacuated) and the pair, two MIPs in S4, showers in the ECAL.  The event has
E_WCAL + E_ECAL = E0, a single EM shower in the ECAL and nothing in the HCAL: it has the
signature of a boson decaying to e+e− in the decay volume.

Rate per EOT (:func:`punch_through_yield`):

    N = N_γ(k > k_lo, leaving the dump) × P_conv(W2 + S4) × P(pass | conversion),

* N_γ, the number of photons above k_lo = E_ECAL,min − 5σ_ECAL leaving the dump of depth
  T = L/X0, from two calculations of the same physics:

  - the **primary term** (:func:`primary_photon_yield`): the beam electron alone radiates
    the photon at depth t, after losing energy by the Bethe–Heitler distribution
    W(u, t) = [ln(1/u)]^(bt−1)/Γ(bt), b = 4/3 (H. Bethe and W. Heitler, Proc. R. Soc. A
    146 (1934) 83; the electron energy distribution I_e(E0, E, t) with exponent 4t/3 of
    Y. S. Tsai, Rev. Mod. Phys. 46 (1974) 815; b = 1/ln 2, which matches the mean loss
    e^{−t} (R. Frühwirth, Comput. Phys. Commun. 154 (2003) 131), gives 14% less, and the
    cascade below with the exact spectrum lies between the two), with the complete-screening
    bremsstrahlung spectrum per X0, k dN/dk = 4/3 − 4/3 y + y² (y = k/E; PDG 2024 Review
    34 "Passage of particles through matter", Eq. 34.29), and the photon survives the rest
    of the dump with probability exp(−7/9 (T − t)) (pair-production mean free path
    9/7 X0, PDG 2024 Eq. 34.31):

        N_γ^prim = ∫_0^T dt ∫ dk ∫ du W(u, t) (1/k)(4/3 − 4/3 y + y²)|_{y=k/(uE0)} e^{−7/9 (T−t)};

  - the **hard-component cascade** (:func:`hard_cascade`, the nominal value): the same two
    cross sections (and the complete-screening pair spectrum 1 − 4/3 x(1 − x), PDG 2024
    Eq. 34.30) in the transport equations of the shower in Approximation A (B. Rossi,
    *High-Energy Particles* (1952), Ch. 5), solved on a logarithmic energy grid restricted to
    [k_lo, E0]: a particle below k_lo can never give one above it, so the restriction is
    exact.  It adds the paths in which the hard photon converted and a leading lepton of
    the pair radiated it again (a factor ~20–30 over the primary term for 30–40 X0 of
    tungsten) and gives the hard e± leaving the dump.  Its photon track length reproduces
    Tsai–Whitis, T(k) = 0.572 X0 E0/k² (Phys. Rev. 149 (1966) 1248, Sec. II), to 2% for
    k ≪ E0, and analogue Monte Carlo showers of the same cross sections to 3%.

* P_conv = 1 − exp(−7/9 Σ t_i): conversion in the counters (W2, S4) in front of the end of
  S4.  The conversion point is drawn uniformly in X0 over them and the pair (energy split
  from the complete-screening spectrum, collinear) goes through the event pipeline with the
  rest of the beam electron's shower (E0 − k starting at the emission depth of the primary
  term) in the WCAL: the pipeline decides whether W2 stays quiet (a conversion late in W2,
  or in S4) and whether S4 sees the two MIPs (a conversion early in S4), and applies the
  ECAL, energy-sum, shape and HCAL cuts.

The hard e± that leave the dump are a second contribution of the same source: one MIP in
W2 (vetoed unless it fluctuates low) and one in S4 (accepted only if it fluctuates up into
the two-MIP window); they are simulated the same way.  With the selection's ``tracker``
requirement (two tracks, not resolved) the single track needs a second one: a
bremsstrahlung photon of the e± above 10 MeV converting in W2/S4 or a δ-ray above
10 MeV (:func:`second_track_probability`), a factor carried as the weight of the events
that pass every other cut (the threshold, assumed, varied ×/÷ 2 for its uncertainty).

Uncertainty: statistical (pass probability) ⊕ the rate variation when the pair attenuation
7/9 per X0 is changed by ±2% (at 25–150 GeV the pair cross section of tungsten is a little
below its asymptotic value 7/9 A/(X0 N_A), PDG 2024 Sec. 34.4.5, which the ±2% is taken to
cover together with a ±2% uncertainty of the dump's X0) ⊕ 30% for Approximation A itself
(complete screening; no LPM suppression — with E_LPM ≈ 2.7 TeV in tungsten it acts only on
photons below E²/E_LPM ≈ 4–8 GeV, PDG 2024 Sec. 34.4.6 —; the W/Sc sampling structure of
the dump replaced by its mean X0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import expm
from scipy.special import gammainc

from ..detector.em import pair_spectrum, sample_pair_fraction
from ..units import GeV, MeV, mm
from .base import (
    ZERO_PASS_BOUND,
    BackgroundContext,
    BackgroundSource,
    _pass_probability,
    _weighted_flow,
)
from .registry import register_source

if TYPE_CHECKING:  # pragma: no cover
    from ..detector.setup import Setup

__all__ = ["BH_B", "SIGMA_PAIR", "CounterSlab", "HardCascade", "PrimaryYield",
           "bethe_heitler_density", "brems_spectrum", "counter_slabs", "hard_cascade",
           "lowest_ecal_energy", "pair_spectrum", "primary_photon_yield",
           "punch_through_yield", "sample_conversion", "sample_pair_fraction",
           "second_track_probability"]

FloatArray = NDArray[np.float64]

#: Pair-production attenuation per radiation length at high energy, 7/9 (PDG 2024 Review
#: 34, Eq. 34.31: mean free path 9/7 X0).
SIGMA_PAIR = 7.0 / 9.0
#: Bethe–Heitler exponent b = 4/3 of the energy-loss distribution of an electron after t X0,
#: W(u, t) = [ln 1/u]^(bt−1)/Γ(bt) (H. Bethe, W. Heitler, Proc. R. Soc. A 146 (1934) 83;
#: B. Rossi, High-Energy Particles (1952)).
BH_B = 4.0 / 3.0
#: Relative uncertainty of the pair attenuation used for the model variation.
_SIGMA_VARIATION = 0.02
#: Relative uncertainty attributed to Approximation A itself.
_APPROX_A_UNC = 0.30
#: Energy bins of the cascade grid between k_lo and E0.
_N_BINS = 60


# ------------------------------------------------------------------------------ spectra
def brems_spectrum(y: FloatArray | float) -> FloatArray:
    """k dN/dk of bremsstrahlung per radiation length at photon fraction y = k/E, complete
    screening: 4/3 − 4/3 y + y² (PDG 2024 Eq. 34.29 without the small (Z² + Z)/9 term);
    zero outside 0 < y ≤ 1."""
    yy = np.asarray(y, dtype=float)
    return np.where((yy > 0) & (yy <= 1.0), 4.0 / 3.0 - 4.0 / 3.0 * yy + yy * yy, 0.0)


def bethe_heitler_density(u: FloatArray | float, t: FloatArray | float) -> FloatArray:
    """Bethe–Heitler density of the energy fraction u = E/E0 an electron keeps after t
    radiation lengths: [ln(1/u)]^(bt−1)/Γ(bt), b = 4/3 (Bethe & Heitler 1934; Tsai, Rev.
    Mod. Phys. 46 (1974) 815).  Zero outside 0 < u < 1 or for t ≤ 0."""
    from scipy.special import gammaln

    uu = np.asarray(u, dtype=float)
    tt = np.asarray(t, dtype=float)
    ok = (uu > 0) & (uu < 1) & (tt > 0)
    a = BH_B * np.where(ok, tt, 1.0)
    s = -np.log(np.where(ok, uu, 0.5))
    return np.where(ok, np.exp((a - 1.0) * np.log(s) - gammaln(a)), 0.0)


# ------------------------------------------------------------------------------ primary term
@dataclass(frozen=True)
class PrimaryYield:
    """Photons radiated by the primary electron that leave the dump (the primary term).

    Attributes
    ----------
    rate
        Photons above ``k_min`` leaving the dump per beam electron.
    t
        Emission depths (X0), centres of the depth bins of ``density``.
    k
        Photon energies (MeV), centres of the log-energy bins of ``density``.
    density
        (t, k) photons per X0 of emission depth per unit ln k, including the survival
        exp(−σ (T − t)) to the end of the dump.
    """

    rate: float
    t: FloatArray
    k: FloatArray
    density: FloatArray


def primary_photon_yield(e0: float, k_min: float, depth: float, *,
                         sigma: float = SIGMA_PAIR, n_t: int = 240, n_k: int = 48,
                         n_s: int = 320) -> PrimaryYield:
    """Photons above ``k_min`` radiated by a beam electron of ``e0`` in ``depth`` radiation
    lengths that leave the dump without converting (the Bethe–Heitler integral of the
    module docstring).

    The u integral runs over s = ln(1/u), whose density is Gamma(bt, 1); it is summed bin by
    bin with the exact Gamma probabilities (regularised incomplete gamma function), which
    handles the integrable singularity at u → 1 for bt < 1.
    """
    if not (0 < k_min < e0) or not depth > 0:
        return PrimaryYield(0.0, np.zeros(0), np.zeros(0), np.zeros((0, 0)))
    t_edges = np.linspace(0.0, depth, n_t + 1)
    t = 0.5 * (t_edges[1:] + t_edges[:-1])
    lk = np.linspace(math.log(k_min), math.log(e0), n_k + 1)
    k = np.exp(0.5 * (lk[1:] + lk[:-1]))
    s_edges = np.linspace(0.0, math.log(e0 / k_min), n_s + 1)
    s = 0.5 * (s_edges[1:] + s_edges[:-1])
    prob = np.diff(gammainc(BH_B * t[:, None], s_edges[None, :]), axis=1)  # (t, s)
    y = k[:, None] / (e0 * np.exp(-s))[None, :]  # (k, s)
    dens = prob @ brems_spectrum(y).T  # (t, k): per X0 per unit ln k
    dens = dens * np.exp(-sigma * (depth - t))[:, None]
    rate = float(np.sum(dens * np.diff(t_edges)[:, None] * np.diff(lk)[None, :]))
    return PrimaryYield(rate, t, k, dens)


# ------------------------------------------------------------------------------ cascade
@dataclass(frozen=True)
class HardCascade:
    """Approximation-A transport of the hard component of a shower, on a logarithmic grid.

    Bin i holds particles of energy E0 e^{−i h} (i = 0 … n, the last bin centred on the
    lowest energy); the state is (electrons, photons) per bin; ``matrix`` is the generator
    dS/dt = M S per radiation length.
    """

    e0: float
    k_min: float
    h: float
    energies: FloatArray
    matrix: FloatArray

    @property
    def n_bins(self) -> int:
        """Energy bins."""
        return int(self.energies.size)

    def evolve(self, depths: FloatArray | float) -> tuple[FloatArray, FloatArray]:
        """(electrons, photons) per energy bin at each of ``depths`` (X0, ascending) for
        one electron of ``e0`` entering at depth 0: arrays of shape (len(depths), n_bins)."""
        d = np.atleast_1d(np.asarray(depths, dtype=float))
        nb = self.n_bins
        state = np.zeros(2 * nb)
        state[0] = 1.0
        out = np.zeros((d.size, 2 * nb))
        last = 0.0
        for j, dj in enumerate(d):  # a loop over requested depths, not events
            step = max(float(dj) - last, 0.0)
            if step > 0:
                state = expm(self.matrix * step) @ state
            out[j] = np.maximum(state, 0.0)
            last = max(last, float(dj))
        return out[:, :nb], out[:, nb:]

    def track_length(self, depth: float, n_steps: int = 160) -> tuple[FloatArray, FloatArray]:
        """(depths, photons per bin at each depth) on a uniform grid of ``n_steps`` steps
        from 0 to ``depth`` X0 (the photon track length in bin i between two grid points is
        the trapezoid of the numbers times the step)."""
        grid = np.linspace(0.0, depth, n_steps + 1)
        prop = expm(self.matrix * (grid[1] - grid[0]))
        nb = self.n_bins
        state = np.zeros(2 * nb)
        state[0] = 1.0
        photons = np.zeros((grid.size, nb))
        for j in range(grid.size):  # a loop over depth steps, not events
            photons[j] = np.maximum(state[nb:], 0.0)
            state = prop @ state
        return grid, photons


@lru_cache(maxsize=16)
def hard_cascade(e0: float, k_min: float, n_bins: int = _N_BINS,
                 sigma: float = SIGMA_PAIR) -> HardCascade:
    """The transport matrix of the hard component (energies in [k_min, e0]).

    Electrons: bremsstrahlung at rate (1/v)(4/3 − 4/3 v + v²) dv per X0 (v = k/E); losses
    with ln(1/(1−v)) below half a bin are a continuous drift to the next bin (their mean
    log-energy loss rate), the others move the electron by the nearest whole number of
    bins and put the photon into its bin.  Photons: conversion at rate ``sigma``; each
    lepton of the pair (fraction x from 1 − 4/3 x(1 − x), normalised to ``sigma``) goes
    into its bin.  Particles that fall below the grid are dropped.
    """
    if not (0 < k_min < e0):
        raise ValueError(f"need 0 < k_min < e0, got {k_min!r}, {e0!r}")
    n = int(n_bins)
    nb = n + 1
    h = math.log(e0 / k_min) / n
    # soft losses (shift < h/2): mean shift rate ∫ s(v) φ(v) dv
    v_d = -math.expm1(-0.5 * h)
    ve = np.linspace(0.0, v_d, 257)
    vm = 0.5 * (ve[1:] + ve[:-1])
    drift = float(np.sum(-np.log1p(-vm) * brems_spectrum(vm) / vm * np.diff(ve)))
    # hard emissions: v from v_d to 1 on a grid dense at both ends
    ve = np.concatenate([np.geomspace(v_d, 0.5, 6000),
                         1.0 - np.geomspace(0.5, 1e-10, 6000)[1:]])
    vm = 0.5 * (ve[1:] + ve[:-1])
    w = brems_spectrum(vm) / vm * np.diff(ve)
    e_off = np.minimum(np.rint(-np.log1p(-vm) / h).astype(np.int64), nb)
    g_off = np.minimum(np.rint(-np.log(vm) / h).astype(np.int64), nb)
    e_rate = np.bincount(e_off, w, minlength=nb + 1)[:nb]
    g_rate = np.bincount(g_off, w, minlength=nb + 1)[:nb]
    loss = float(w.sum()) + drift / h
    x = (np.arange(20000) + 0.5) / 20000
    wx = pair_spectrum(x) / x.size * (sigma / SIGMA_PAIR)
    p_off = np.minimum(np.rint(-np.log(x) / h).astype(np.int64), nb)
    p_rate = 2.0 * np.bincount(p_off, wx, minlength=nb + 1)[:nb]
    m = np.zeros((2 * nb, 2 * nb))
    i = np.arange(nb)
    m[i, i] -= loss - e_rate[0]
    m[i[1:], i[:-1]] += drift / h
    m[nb + i, nb + i] -= sigma
    for off in range(nb):  # loop over bin offsets (grid size), not events
        a = i[:nb - off]
        if off > 0:
            m[a + off, a] += e_rate[off]
        m[nb + a + off, a] += g_rate[off]
        m[a + off, nb + a] += p_rate[off]
    energies = e0 * np.exp(-h * i)
    return HardCascade(float(e0), float(k_min), h, energies, m)


# ------------------------------------------------------------------------------ geometry
@dataclass(frozen=True)
class CounterSlab:
    """A counter between the dump and the end of the decay counter: z range (mm from the
    target face) and thickness in radiation lengths."""

    name: str
    z0: float
    z1: float
    x_over_x0: float
    #: (Z/A) ρ t in mol/cm² (electrons per area / N_A): the δ-ray yield of a crossing track.
    electrons_mol_cm2: float = 0.0


def counter_slabs(setup: Setup) -> list[CounterSlab]:
    """The counters (W2 veto, decay counter) behind the dump up to the end of the decay
    counter, in beam order: the only material a photon crosses there (the decay volume is
    evacuated, the air gaps are neglected)."""
    from ..detector.setup import Veto
    from ..detector.stack import build_stack

    stack = build_stack(setup)
    tgt = setup.target
    z_end = tgt.z + tgt.length
    dc = setup.decay_counter
    z_stop = dc.z + dc.length if dc is not None else math.inf
    from hepunits import cm, g

    from ..materials import get_material

    out = []
    for s in stack.sections:
        if not (isinstance(s.detector, Veto) and s.z0 >= z_end - 1e-9
                and s.z1 <= z_stop + 1e-9):
            continue
        mat = get_material(s.detector.material)
        areal = mat.Z / mat.A * (mat.density / (g / cm**3)) * ((s.z1 - s.z0) / cm)
        out.append(CounterSlab(s.output, s.z0 - stack.target_z, s.z1 - stack.target_z,
                               s.t1 - s.t0, float(areal)))
    return out


def sample_conversion(z_from: FloatArray, slabs: list[CounterSlab], rng: np.random.Generator,
                      sigma: float = SIGMA_PAIR) -> tuple[FloatArray, FloatArray]:
    """For photons starting at ``z_from`` (mm from the target face): the probability to
    convert in the counters downstream of that point (thin layers: σ Σ t, the linear term
    of 1 − e^{−σ t}) and a conversion point drawn uniformly in X0 over them (NaN where there
    is no material)."""
    z = np.asarray(z_from, dtype=float)
    acc = np.zeros((len(slabs), z.size))
    for j, s in enumerate(slabs):  # loop over the few counters, not events
        frac = np.clip((s.z1 - np.maximum(z, s.z0)) / max(s.z1 - s.z0, 1e-12), 0.0, 1.0)
        acc[j] = s.x_over_x0 * frac
    total = acc.sum(axis=0)
    u = rng.random(z.size) * total
    zc = np.full(z.size, np.nan)
    before = np.zeros(z.size)
    for j, s in enumerate(slabs):
        here = (u >= before) & (u < before + acc[j]) & (acc[j] > 0)
        start = np.maximum(z, s.z0)
        frac = np.where(here, (u - before) / np.where(acc[j] > 0, acc[j], 1.0), 0.0)
        zc = np.where(here, start + frac * (s.z1 - start), zc)
        before = before + acc[j]
    return sigma * total, zc


def lowest_ecal_energy(ctx: BackgroundContext) -> float:
    """The lowest true ECAL energy that can pass the ``ecal_min`` cut: 5 resolution widths
    below it (at least half of it)."""
    cut = float(ctx.selection["ecal_min"].value)
    ecal = ctx.pipeline.setup.ecal
    if ecal is None:
        return cut
    sigma = math.sqrt(ecal.stochastic**2 * GeV * cut + (ecal.constant * cut) ** 2
                      + ecal.noise**2 * 2 * float(np.prod(ecal.cells)))
    return max(cut - 5.0 * sigma, 0.5 * cut)


def _is_visible_setup(setup: Any) -> bool:
    return (setup.wcal is not None and setup.ecal is not None and setup.target_name == "wcal"
            and setup.decay_counter is not None)


# ------------------------------------------------------------------------------ the source
def punch_through_yield(e0: float, k_min: float, depth: float, *,
                        sigma: float = SIGMA_PAIR) -> dict[str, Any]:
    """Hard particles (above ``k_min``) leaving a dump of ``depth`` X0 per beam electron of
    ``e0``: ``photons`` and ``electrons`` (e±) of the cascade, their spectra per bin
    (``photon_bins``, ``electron_bins`` at ``energies``, log-bin width ``h``) and the
    ``primary`` term (the Bethe–Heitler integral, photons only)."""
    casc = hard_cascade(float(e0), float(k_min), _N_BINS, float(sigma))
    el, ph = casc.evolve(depth)
    prim = primary_photon_yield(e0, k_min, depth, sigma=sigma)
    return {"photons": float(ph[0].sum()), "electrons": float(el[0].sum()),
            "photon_bins": ph[0], "electron_bins": el[0], "energies": casc.energies,
            "h": casc.h, "primary": prim.rate, "primary_yield": prim}


def _sample_bins(counts: FloatArray, energies: FloatArray, h: float, n: int,
                 rng: np.random.Generator) -> tuple[FloatArray, NDArray[np.int64]]:
    p = np.maximum(counts, 0.0)
    p = p / p.sum()
    idx = rng.choice(p.size, size=n, p=p)
    return energies[idx] * np.exp(h * (rng.random(n) - 0.5)), idx


def _emission_depth(prim: PrimaryYield, k: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Emission depth (X0) of photons of energies ``k`` from the primary term's density
    at the nearest energy bin."""
    if prim.k.size == 0:
        return np.zeros(k.size)
    j = np.clip(np.searchsorted(prim.k, k), 0, prim.k.size - 1)
    cdf = np.cumsum(np.maximum(prim.density, 0.0), axis=0)  # (t, k)
    cdf = cdf / np.maximum(cdf[-1], 1e-300)
    u = rng.random(k.size)
    # vectorised: for each event, count the depth bins whose cdf is below u
    it = (cdf[:, j] < u[None, :]).sum(axis=0)
    it = np.clip(it, 0, prim.t.size - 1)
    dt = prim.t[1] - prim.t[0] if prim.t.size > 1 else 0.0
    return np.clip(prim.t[it] + dt * (rng.random(k.size) - 0.5), 0.0, None)


def _simulate(ctx: BackgroundContext, rng: np.random.Generator, n: int, energy: FloatArray,
              depth_x0: FloatArray, downstream: dict[str, FloatArray]
              ) -> dict[str, NDArray[Any]]:
    """Events of beam electrons whose shower in the WCAL lacks ``energy`` (starting at
    ``depth_x0``), with the ``downstream`` particles (one or more per event, an ``event``
    column) added; the energies scale with the sampled beam energy."""
    pipe = ctx.pipeline
    setup = pipe.setup
    beam = pipe.core(n, rng)
    scale = np.asarray(beam["energy"], dtype=float) / ctx.energy
    e_b = np.asarray(beam["energy"], dtype=float)
    ev = np.asarray(downstream["event"], dtype=np.int64)
    primary = {
        "pdg": np.full(n, 11, dtype=np.int64),
        "energy": e_b,
        "x": np.asarray(beam["x"], dtype=float), "y": np.asarray(beam["y"], dtype=float),
        "tx": np.asarray(beam["tx"], dtype=float), "ty": np.asarray(beam["ty"], dtype=float),
        "z_start": np.clip(depth_x0 * setup.target.X0, 0.0, setup.target.length),
        "e_invisible": np.minimum(energy * scale, e_b),
        "event": np.arange(n, dtype=np.int64),
    }
    down = dict(downstream)
    down["energy"] = np.asarray(downstream["energy"], dtype=float) * scale[ev]
    down["x"] = primary["x"][ev]
    down["y"] = primary["y"][ev]
    down["tx"] = primary["tx"][ev]
    down["ty"] = primary["ty"][ev]
    parts = {k: np.concatenate([np.asarray(primary[k]), np.asarray(down[k])]) for k in primary}
    return pipe.events(beam, rng, calorimeter=parts)


@register_source("photon_punch_through",
                 "hard bremsstrahlung photon (or e±) crossing the WCAL, converting in W2/S4",
                 absent_note="photon_punch_through: not a visible-mode setup (needs a WCAL "
                             "dump, a decay counter and an ECAL); not estimated")
def _photon_punch_through(ctx: BackgroundContext, rng: np.random.Generator, n: int
                          ) -> list[BackgroundSource] | None:
    """Hard photons and e± leaving the WCAL (module docstring), with the downstream cuts
    from ``n`` events of the pipeline (3/4 photon conversions, 1/4 leaving e±)."""
    setup = ctx.pipeline.setup
    if not _is_visible_setup(setup):
        return None
    e0 = ctx.energy
    k_lo = lowest_ecal_energy(ctx)
    if not k_lo < e0:
        return []
    depth = setup.target.length / setup.target.X0
    nominal = punch_through_yield(e0, k_lo, depth)
    var = [punch_through_yield(e0, k_lo, depth, sigma=SIGMA_PAIR * (1 + s * _SIGMA_VARIATION))
           for s in (-1.0, 1.0)]
    slabs = counter_slabs(setup)
    z_end = setup.target.length
    gap = min((s.z0 for s in slabs), default=z_end + 1.0) - z_end
    n_g = max(n - n // 4, 1)
    n_e = max(n // 4, 1)
    out = []

    # -- photons converting in W2 or S4 ------------------------------------------------
    k, _ = _sample_bins(nominal["photon_bins"], nominal["energies"], nominal["h"], n_g, rng)
    k = np.minimum(k, e0)
    t_em = _emission_depth(nominal["primary_yield"], k, rng)
    p_conv_each, zc = sample_conversion(np.full(n_g, z_end), slabs, rng)
    p_conv = float(1.0 - math.exp(-p_conv_each[0])) if n_g else 0.0
    ok = np.isfinite(zc)
    zc = np.where(ok, zc, z_end + 0.5 * gap)
    x = sample_pair_fraction(n_g, rng)
    rows = np.arange(n_g, dtype=np.int64)
    down = {"pdg": np.concatenate([np.full(n_g, 11), np.full(n_g, -11)]).astype(np.int64),
            "energy": np.concatenate([x * k, (1.0 - x) * k]),
            "z_start": np.concatenate([zc, zc]),
            "e_invisible": np.zeros(2 * n_g),
            "event": np.concatenate([rows, rows])}
    ev = _simulate(ctx, rng, n_g, k, t_em, down)
    mask = ctx.selection.mask(ev) & ok
    p, pu = _pass_probability(mask)
    n_exit = nominal["photons"]
    spread = 0.5 * abs(var[1]["photons"] - var[0]["photons"])
    rate = n_exit * p_conv * p
    unc = math.sqrt((n_exit * p_conv * pu) ** 2 + (spread * p_conv * p) ** 2
                    + (_APPROX_A_UNC * rate) ** 2)
    flow = _weighted_flow(ctx, ev, ok.astype(float), n_exit * p_conv)
    out.append(BackgroundSource(
        "hard photon punch-through of the WCAL, converting in W2/S4", rate, unc,
        "semi-analytic: hard-component cascade (Approximation A) x conversion probability x "
        "pipeline pass probability", n_g, flow,
        (f"{n_exit:.3g} photons/EOT above {k_lo / GeV:.3g} GeV leave the {depth:.1f} X0 dump "
         f"(Approximation-A cascade of the hard component; the primary electron alone, "
         f"Bethe-Heitler, gives {nominal['primary']:.3g}; exp(-7/9 T) = "
         f"{math.exp(-SIGMA_PAIR * depth):.3g})",
         f"conversion in {', '.join(s.name for s in slabs)} "
         f"({sum(s.x_over_x0 for s in slabs):.4f} X0 in front of the end of S4): P = "
         f"{p_conv:.3g}; air and tracker material in the decay volume are not modelled",
         f"P(pass | conversion) = {p:.3g} from {n_g} pipeline events (conversion point "
         "uniform in X0, pair collinear, the rest of the shower from the primary term's "
         "emission depth)",
         "uncertainty: statistics + pair attenuation 7/9 +-2% + 30% for Approximation A "
         "(complete screening, no LPM, W/Sc dump as its mean X0)")))

    # -- hard e+- leaving the dump -------------------------------------------------------
    ee, _ = _sample_bins(nominal["electron_bins"], nominal["energies"], nominal["h"], n_e, rng)
    ee = np.minimum(ee, e0)
    t_em = _emission_depth(nominal["primary_yield"], ee, rng)
    z_born = np.full(n_e, z_end + min(0.5 * mm, 0.5 * gap) if gap > 0 else z_end + 1e-3)
    down = {"pdg": np.full(n_e, 11, dtype=np.int64), "energy": ee, "z_start": z_born,
            "e_invisible": np.zeros(n_e), "event": np.arange(n_e, dtype=np.int64)}
    ev = _simulate(ctx, rng, n_e, ee, t_em, down)
    n_exit = nominal["electrons"]
    spread = 0.5 * abs(var[1]["electrons"] - var[0]["electrons"])
    sel = ctx.selection
    tracker = "tracker" in sel.names and sel["tracker"].enabled
    if tracker and float(sel["tracker"].value) <= 0.0:
        # forced step: the one track needs a second one (module docstring); the events
        # that pass every other cut carry its probability
        mask = sel.mask(ev, exclude=["tracker"])
        total = sum(sl.x_over_x0 for sl in slabs)
        elec = sum(sl.electrons_mol_cm2 for sl in slabs)
        p2 = second_track_probability(ee, total, electrons_mol_cm2=elec)
        p2_var = [second_track_probability(ee, total, k_min=k, electrons_mol_cm2=elec)
                  for k in (_SECOND_TRACK_K_MIN / _SECOND_TRACK_K_VARIATION,
                            _SECOND_TRACK_K_MIN * _SECOND_TRACK_K_VARIATION)]
        w = np.where(mask, p2, 0.0)
        p = float(w.mean())
        pu = float(w.std() / math.sqrt(n_e)) if mask.sum() > 1 else (
            ZERO_PASS_BOUND / n_e * float(p2.mean()))
        k_dev = 0.5 * abs(float(np.where(mask, p2_var[0], 0.0).mean())
                          - float(np.where(mask, p2_var[1], 0.0).mean()))
        how = (f"one track: the tracker requirement needs a second one above "
               f"{_SECOND_TRACK_K_MIN / GeV:g} GeV, a bremsstrahlung photon of the e+- "
               f"converting in W2/S4 ({total:.4f} X0, 7/18 n_gamma T^2) or a delta ray "
               f"(K/2 Z/A rho x / k_min, {elec:.3g} mol/cm2): P = {float(p2.mean()):.3g} "
               f"(mean); P(pass other cuts) = {float(mask.mean()):.3g} from {n_e} pipeline "
               f"events; k_min x/{_SECOND_TRACK_K_VARIATION:g} varies the rate by "
               f"{k_dev / max(p, 1e-300):.0%}")
    else:
        mask = sel.mask(ev)
        p, pu = _pass_probability(mask)
        k_dev = 0.0
        how = (f"P(pass) = {p:.3g} from {n_e} pipeline events: the single track must "
               "fluctuate below the W2 threshold and into the two-MIP window of S4")
    rate = n_exit * p
    unc = math.sqrt((n_exit * pu) ** 2 + (spread * p) ** 2 + (_APPROX_A_UNC * rate) ** 2
                    + (n_exit * k_dev) ** 2)
    out.append(BackgroundSource(
        "hard e+- leaking out of the WCAL (one MIP in W2 and S4)", rate, unc,
        "semi-analytic: hard-component cascade (Approximation A) x pipeline pass probability"
        + (" x second-track probability" if tracker else ""),
        n_e, _weighted_flow(ctx, ev, np.ones(n_e), n_exit),
        (f"{n_exit:.3g} e+-/EOT above {k_lo / GeV:.3g} GeV leave the {depth:.1f} X0 dump "
         "(Approximation-A cascade)",
         how + "; the soft shower particles that accompany it out of the dump are only the "
         "pipeline's leakage",
         "uncertainty: statistics + pair attenuation 7/9 +-2% + 30% for Approximation A"
         + (" + the threshold of the second track" if tracker else ""))))
    return out


#: Lowest energy of a second track (a δ-ray or the pair of a converted bremsstrahlung
#: photon) that leaves S4 and is reconstructed: 10 MeV (assumed; the CSDA range of a
#: 10 MeV electron in plastic, ~5 g/cm², ESTAR, is ten times the 4 mm counter), varied
#: ×/÷ 2 for the uncertainty.
_SECOND_TRACK_K_MIN = 10.0 * MeV
_SECOND_TRACK_K_VARIATION = 2.0


#: K = 4π N_A r_e² m_e c² (PDG 2024 Table 34.1), MeV cm²/mol.
_K_BETHE = 0.307075


def second_track_probability(energy: FloatArray, thickness: float, *,
                             k_min: float = _SECOND_TRACK_K_MIN,
                             electrons_mol_cm2: float = 0.0) -> FloatArray:
    """Probability that an e± of ``energy`` crossing ``thickness`` radiation lengths (thin)
    makes a second charged track above ``k_min``: a bremsstrahlung photon that converts
    before the end of that material, or a δ-ray.

    Photons above y_min = k_min/E per X0: n_γ = ∫_{y_min}^1 (4/3 − 4/3 y + y²) dy/y
    = 4/3 ln(1/y_min) − 4/3 (1 − y_min) + (1 − y_min²)/2 (complete screening, PDG 2024
    Eq. 34.29); emitted uniformly in depth u and converting in the rest, 7/9 (T − u)
    (PDG 2024 Eq. 34.31): P_γ = n_γ ∫_0^T 7/9 (T − u) du = 7/18 n_γ T² (first order in T).
    δ-rays above k_min (kinetic energy): d²N/dT dx = K/2 (Z/A) / T² for T ≪ T_max and β = 1
    (PDG 2024 Eq. 34.6, the same limit of the Møller and Bhabha cross sections), so
    P_δ = K/2 (Z/A ρ x) / k_min with ``electrons_mol_cm2`` = Z/A ρ x (mol/cm²).
    """
    e = np.asarray(energy, dtype=float)
    y = np.clip(k_min / np.maximum(e, 1e-300), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        n_g = np.where(y > 0, 4.0 / 3.0 * np.log(1.0 / np.maximum(y, 1e-300))
                       - 4.0 / 3.0 * (1.0 - y) + 0.5 * (1.0 - y * y), 0.0)
    p_delta = np.where(y < 1.0, 0.5 * _K_BETHE * electrons_mol_cm2 / (k_min / MeV), 0.0)
    return np.clip(7.0 / 18.0 * n_g * thickness**2 + p_delta, 0.0, 1.0)
