"""Background estimate of the invisible-mode search, per source, with uncertainties.

The NA64 papers list these backgrounds to the missing-energy signature (arXiv:1710.00971,
Sec. V; arXiv:1906.00176, Table I): the low-energy tail of the electron beam, hadrons in
the beam (π, K, p) that fake an electron and punch through or escape the calorimeters,
μ/π/K decays in flight upstream of the target, and hermeticity (leakage of an ordinary
electron shower).  :func:`estimate_background` computes each from the beam model of
:mod:`na64.beam` and the fast simulation, never from typed-in numbers:

    rate(source) = population per EOT  ×  P(source passes the selection)

* The *population* comes from the beam configuration (:mod:`na64.beam.backgrounds`):
  tail fraction below the signal-box edge, admixture fractions, decay probabilities.
* For particles that are not electrons, the SRD tag cannot be simulated at the 1e-5 level
  it reaches; its mis-identification probability is the analytic upper bound of
  :func:`na64.beam.srd_misid_probability` (synchrotron-radiation physics), and the other
  cuts are simulated on a *biased* sample made only of that population.
* A sample in which no event passes gives rate 0 with, as uncertainty, the one-sided 68.3%
  CL Poisson bound ``1.148 / N`` on the pass probability (−ln 0.317 = 1.148).
* Ordinary beam electrons (hermeticity) are estimated by extrapolating the low-energy
  side band of E_ECAL (events passing every other cut, between the box edge and
  E0 − 5σ_E) into the signal box with an exponential fitted by maximum likelihood — the
  side-band method of the NA64 analyses.

* Electro-nuclear interactions of the beam in the material between the spectrometer and
  the target (the dominant source of arXiv:1906.00176) and photo-nuclear production in the
  target with a leading neutral hadron punching through the HCAL are the physics models of
  :mod:`na64.background.upstream` (material from the setup's ``[upstream]`` table).

What is not modelled (and so not estimated): dimuon production in the target, HCAL cracks
and dead zones, and pile-up.  The ``notes`` of the estimate and of each source say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..beam import (
    decay_in_flight_rates,
    expected_momentum_resolution,
    hadron_rates,
    low_energy_tail_rate,
    srd_misid_probability,
)
from ..beam.decays import apply_decays_in_flight, decay_probability
from ..beam.particles import PARTICLES
from ..units import GeV

if TYPE_CHECKING:  # pragma: no cover
    from ..reach.events import EventBuilder
    from .upstream import NuclearModel

__all__ = ["BackgroundEstimate", "BackgroundSource", "estimate_background",
           "upstream_electronuclear"]

#: One-sided 68.3% CL Poisson upper bound on the mean for zero observed events.
ZERO_PASS_BOUND = -math.log(1.0 - 0.6827)

#: Default events simulated per background sample.
DEFAULT_EVENTS = 20_000

_UPSTREAM = ("srd", "single_track", "beam_momentum")


@dataclass(frozen=True)
class BackgroundSource:
    """One background source: expected events per EOT after the selection."""

    name: str
    per_eot: float
    per_eot_unc: float
    method: str
    n_simulated: int = 0
    cutflow: list[tuple[str, float, float]] = field(default_factory=list)
    #: Assumptions and limitations of this source's model (free text).
    notes: tuple[str, ...] = ()

    def events(self, eot: float) -> tuple[float, float]:
        """Expected events of this source and their uncertainty for an exposure of ``eot``."""
        return self.per_eot * eot, self.per_eot_unc * eot


@dataclass(frozen=True)
class BackgroundEstimate:
    """The sum of the sources (uncertainties added in quadrature)."""

    sources: tuple[BackgroundSource, ...]
    notes: tuple[str, ...] = ()

    @property
    def per_eot(self) -> float:
        """Total expected background per EOT."""
        return float(sum(s.per_eot for s in self.sources))

    @property
    def per_eot_unc(self) -> float:
        """Its uncertainty per EOT."""
        return float(math.sqrt(sum(s.per_eot_unc**2 for s in self.sources)))

    def events(self, eot: float) -> tuple[float, float]:
        """Expected background events and their uncertainty for an exposure of ``eot``."""
        return self.per_eot * eot, self.per_eot_unc * eot


def _pass_probability(mask: np.ndarray) -> tuple[float, float]:
    """Pass fraction and its binomial (or zero-pass bound) uncertainty."""
    n = int(mask.size)
    if n == 0:
        return 0.0, 1.0
    k = int(np.count_nonzero(mask))
    if k == 0:
        return 0.0, ZERO_PASS_BOUND / n
    p = k / n
    return p, math.sqrt(max(p * (1 - p), 1.0 / n) / n)


def _flow(builder: EventBuilder, events: dict[str, np.ndarray], scale: float,
          exclude: tuple[str, ...] = ()) -> list[tuple[str, float, float]]:
    """Cut-flow rows scaled to events per EOT (the excluded cuts are disabled)."""
    sel = builder.selection
    if exclude:
        sel = sel.configure({name: {"enabled": False} for name in exclude})
    flow = sel.cutflow(events)
    n = max(int(flow.n[0]), 1)
    return [(str(name), scale * k / n, scale * math.sqrt(k) / n)
            for name, k in zip(flow.names, flow.n, strict=True)]


def _product(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Product of two independent estimates (value, uncertainty)."""
    v = a[0] * b[0]
    u = math.sqrt((a[1] * b[0]) ** 2 + (a[0] * b[1]) ** 2 + (a[1] * b[1]) ** 2)
    return v, u


def _momentum_window(builder: EventBuilder, momentum: np.ndarray, mass: float
                     ) -> tuple[float, float]:
    """Mean probability that the spectrometer measures a momentum inside the
    ``beam_momentum`` window, from its Gaussian resolution (slope errors ⊕ multiple
    scattering, :func:`na64.beam.expected_momentum_resolution`), for true momenta
    ``momentum``.  The tracking simulation is Gaussian, so this is its exact prediction far
    beyond the reach of a Monte Carlo sample."""
    from scipy.special import ndtr

    lo, hi = builder.selection["beam_momentum"].value
    p = np.asarray(momentum, dtype=float)
    sig = np.array([expected_momentum_resolution(builder.beamline, float(pi), mass) * pi
                    for pi in np.quantile(p, np.linspace(0, 1, 9))])
    # resolution varies slowly with p: interpolate on a few quantiles
    sigma = np.interp(p, np.quantile(p, np.linspace(0, 1, 9)), sig)
    prob = ndtr((hi - p) / sigma) - ndtr((lo - p) / sigma)
    return float(prob.mean()), float(prob.std() / math.sqrt(max(p.size, 1)))


def _selected(builder: EventBuilder, events: dict[str, np.ndarray],
              exclude: tuple[str, ...], *, momentum: tuple[np.ndarray, float] | None = None,
              ) -> tuple[float, float]:
    """P(pass) factorized as P(upstream cuts) × P(downstream cuts): the two groups act on
    independent detectors, and each factor has a usable sample size.  With ``momentum``
    (true momenta, mass) the ``beam_momentum`` cut is evaluated analytically
    (:func:`_momentum_window`) instead of by counting."""
    sel = builder.selection
    skip = exclude + (("beam_momentum",) if momentum is not None else ())
    up = [c for c in _UPSTREAM if c not in skip]
    down = [c.name for c in sel if c.name not in _UPSTREAM and c.name not in exclude]
    m_up = sel.mask(events, exclude=[c.name for c in sel if c.name not in up])
    m_down = sel.mask(events, exclude=[c.name for c in sel if c.name not in down])
    result = _product(_pass_probability(m_up), _pass_probability(m_down))
    if momentum is not None:
        result = _product(result, _momentum_window(builder, *momentum))
    return result


def _electron_sideband(builder: EventBuilder, rng: np.random.Generator, n: int
                       ) -> BackgroundSource:
    """Ordinary beam electrons whose measured E_ECAL falls in the signal box.

    Among simulated beam electrons passing every cut but the box edge, the low side of the
    E_ECAL distribution (the side band from the box edge up to E0 − 2σ_E) is fitted with an
    exponential by maximum likelihood and extrapolated into the box.  An exponential
    falls more slowly than the Gaussian resolution core, so the extrapolation is
    conservative; the uncertainty combines the side-band count and the ±1σ slope.
    """
    cfg = builder.config
    ev = builder.events(builder.electrons(n, rng), rng)
    others = builder.selection.mask(ev, exclude="ecal_max")
    e = np.asarray(ev["ecal_energy"], dtype=float)[others]
    edge = cfg.selection.ecal_max
    top = cfg.energy - 2.0 * builder.ecal_resolution(cfg.energy)
    in_box = int(np.count_nonzero(e < edge))
    side = e[(e >= edge) & (e < top)]
    flow = _flow(builder, ev, 1.0)
    if in_box > 0:
        p, u = in_box / n, math.sqrt(in_box) / n
        method = f"direct count: {in_box} of {n} simulated beam electrons in the signal box"
    elif side.size >= 5:
        width = top - edge
        k = _truncated_exp_slope(float(np.mean(side - edge)) / width)
        k_err = max(abs(k), 1.0) / math.sqrt(side.size)

        def box_over_side(kk: float) -> float:
            # ∫_{-edge}^{0} e^{kk u/width} du / ∫_0^{width} e^{kk u/width} du
            if abs(kk) < 1e-9:
                return edge / width
            return -math.expm1(max(min(-kk * edge / width, 700.0), -700.0)) / math.expm1(
                max(min(kk, 700.0), -700.0))

        p = side.size / n * box_over_side(k)
        p_soft = side.size / n * box_over_side(k - k_err)
        u = math.hypot(p / math.sqrt(side.size), p_soft - p)
        method = (f"side-band extrapolation: {side.size} of {n} electrons with E_ECAL in "
                  f"[{edge / 1e3:.0f}, {top / 1e3:.1f}] GeV, exponential fit "
                  f"(slope {k / width * 1e3:.3g}/GeV) extrapolated below {edge / 1e3:.0f} GeV")
    else:
        p, u = 0.0, ZERO_PASS_BOUND / n
        method = (f"fewer than 5 of {n} simulated electrons in the side band "
                  f"[{edge / 1e3:.0f}, {top / 1e3:.1f}] GeV: zero-count bound")
    return BackgroundSource("beam electrons (leakage)", p, u, method, n, flow)


def _truncated_exp_slope(u_mean: float) -> float:
    """Slope k of the density ∝ e^{k u} on [0, 1] whose mean is ``u_mean`` (bisection)."""
    lo, hi = -500.0, 500.0

    def mean(k: float) -> float:
        if abs(k) < 1e-6:
            return 0.5 + k / 12.0
        return 1.0 / (1.0 - math.exp(-k)) - 1.0 / k

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mean(mid) < u_mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _low_energy_tail(builder: EventBuilder, rng: np.random.Generator, n: int
                     ) -> BackgroundSource | None:
    cfg = builder.config
    beam = builder.beam
    if beam.tail.fraction <= 0.0:
        return None
    rate, rate_unc = low_energy_tail_rate(beam, cfg.selection.ecal_max)
    # biased sample: tail particles only (the configured shape), then those below the edge
    parts = builder.beam_particles(4 * n, rng, admixtures=(),
                                   tail=beam.tail.model_copy(update={"fraction": 0.5}))
    keep = np.flatnonzero(np.asarray(parts["in_tail"]) & (parts["energy"] < cfg.selection.ecal_max))
    keep = keep[:n]
    if keep.size == 0:
        return BackgroundSource("low-energy beam tail", 0.0, rate, "no tail particle below the "
                                "box edge could be sampled; bound = population", 0)
    sub = {k: np.asarray(v)[keep] for k, v in parts.items()}
    ev = builder.events(sub, rng)
    mass = PARTICLES[beam.particle].mass
    p_true = np.sqrt(np.maximum(sub["energy"] ** 2 - mass**2, 0.0))
    p = _selected(builder, ev, (), momentum=(p_true, mass))
    v, u = _product((rate, rate_unc), p)
    return BackgroundSource(
        "low-energy beam tail", v, u,
        f"tail fraction below {cfg.selection.ecal_max / 1e3:g} GeV = {rate:.3g}/EOT × "
        f"P(pass) from {keep.size} simulated tail electrons (momentum window from the "
        "Gaussian spectrometer resolution)", int(keep.size),
        _flow(builder, ev, rate))


def _hadrons(builder: EventBuilder, rng: np.random.Generator, n: int) -> list[BackgroundSource]:
    out = []
    rates = hadron_rates(builder.beam, builder.beamline)  # includes the SRD mis-ID bound
    base = builder.electrons(n, rng)
    for name, (rate, rate_unc) in rates.items():
        ev = builder.events(builder.as_species(base, name), rng)
        p = _selected(builder, ev, ("srd",))
        v, u = _product((rate, rate_unc), p)
        out.append(BackgroundSource(
            f"{name} in the beam", v, u,
            f"admixture × SRD mis-ID upper bound = {rate:.3g}/EOT × P(other cuts) from "
            f"{n} simulated {name}", n, _flow(builder, ev, rate, exclude=("srd",))))
    return out


def _decays(builder: EventBuilder, rng: np.random.Generator, n: int) -> list[BackgroundSource]:
    """μ/π/K decays in flight giving a charged daughter below the box edge."""
    cfg = builder.config
    beam, line = builder.beam, builder.beamline
    rates = decay_in_flight_rates(beam, line, cfg.selection.ecal_max)
    parents: dict[str, float] = {}
    for key, (rate, _) in rates.items():
        if rate > 0:
            parents.setdefault(key.split(" -> ")[0], 0.0)
            parents[key.split(" -> ")[0]] += rate
    out = []
    base = builder.electrons(n, rng)
    for name in parents:
        sp = PARTICLES[name]
        e0 = math.sqrt(beam.momentum**2 + sp.mass**2)
        cols = {"pdg": np.full(n, sp.pdg, dtype=np.int64), "energy": np.full(n, e0),
                "x": base["x"], "y": base["y"], "tx": base["tx"], "ty": base["ty"]}
        # biased: every parent decays over the flight path (weight = true decay probability)
        long_path = 1e6 * line.decay_length
        dec = apply_decays_in_flight(cols, long_path, rng)
        p_dec = float(decay_probability(np.array([e0]), sp.mass, sp.lifetime,
                                        line.decay_length)[0])
        frac = next(a.fraction for a in beam.admixtures if a.particle == name) / beam.primary_fraction \
            if name != beam.particle else 1.0
        misid = srd_misid_probability(sp.pdg, e0, line) if name != beam.particle else 1.0
        population = frac * p_dec * misid
        ev = builder.events(dec, rng)
        low = np.asarray(dec["energy"]) < cfg.selection.ecal_max
        ev_low = {k: np.asarray(v)[low] for k, v in ev.items()}
        f_low = float(np.mean(low))
        p = _selected(builder, ev_low, ("srd",)) if low.any() else (0.0, ZERO_PASS_BOUND / n)
        v, u = _product((population * f_low, population * f_low * 0.5), p)
        out.append(BackgroundSource(
            f"{name} decays in flight", v, u,
            f"{name}/EOT × P(decay in {line.decay_length / 1e3:g} m) × SRD mis-ID bound × "
            f"P(daughter < box edge) = {population * f_low:.3g}/EOT (±50%: admixture) × "
            f"P(other cuts) from {int(low.sum())} simulated decays", int(low.sum()),
            _flow(builder, ev_low, population * f_low, exclude=("srd",)) if low.any() else []))
    return out


def _weighted_flow(builder: EventBuilder, events: dict[str, np.ndarray], weights: np.ndarray,
                   scale: float) -> list[tuple[str, float, float]]:
    """Cut-flow rows per EOT from a weighted sample: ``scale × Σw/N`` after each cut."""
    flow = builder.selection.cutflow(events, weights=weights)
    n = max(int(flow.n[0]), 1)
    return [(str(name), scale * float(w) / n, scale * float(e) / n)
            for name, w, e in zip(flow.names, flow.sum_w, flow.sum_w_err, strict=True)]


def upstream_electronuclear(builder: EventBuilder, rng: np.random.Generator, n: int,
                            model: NuclearModel | None = None) -> BackgroundSource | None:
    """Electro-nuclear interactions e− A → e− + hadrons in the material between the last
    bending magnet and the target, with the hadrons missing the HCAL.

    Model of :mod:`na64.background.upstream` (arXiv:1906.00176 Table I, "e− hadron
    interactions in the beam line"; mechanism of arXiv:1710.00971 Sec. V):
    rate = Σ_layers N_A ∫ dy f_γ(y) σ_γA(yE0) × P(hadrons miss the HCAL) × P(e′ passes).
    The interaction point (layer, z) and y are sampled from the interaction density; the
    escape probability is an analytic weight (a biased sample: no counting at 1e-6); the
    degraded electron (E′ = (1 − y) E_beam, same direction) goes through the fast simulation
    with the SRD and the spectrometer seeing the beam electron.  Uncertainty: statistical ⊕
    the spread under the parameter variations of :meth:`NuclearModel.variations`.
    Returns None when the setup has no ``[upstream]`` material.
    """
    from .upstream import (
        NuclearModel,
        escape_probability,
        nuclei_per_area,
        photon_flux,
        sigma_gamma_nucleus,
        upstream_layers,
    )

    m = model or NuclearModel()
    setup, cfg = builder.setup, builder.config
    slabs = upstream_layers(setup, builder.beamline)
    if not slabs:
        return None
    e0 = cfg.energy
    edge = cfg.selection.ecal_max
    # E' above 1.2 × the box edge cannot enter the box (beam spread ~1%): not sampled
    y_lo = min(max(1.0 - 1.2 * edge / e0, 1e-4), 0.999)
    grid = np.linspace(y_lo, 1.0 - 1e-6, 513)

    def density(mm: NuclearModel, y: np.ndarray, slab_index: int) -> np.ndarray:
        sl = slabs[slab_index]
        sig = sum(na * sigma_gamma_nucleus(y * e0, a, mm.shadowing_alpha)
                  for a, na in nuclei_per_area(sl.material, sl.thickness))
        return photon_flux(y, e0, mm.q2_max) * sig

    def totals(mm: NuclearModel) -> np.ndarray:
        return np.array([np.trapezoid(density(mm, grid, i), grid) for i in range(len(slabs))])

    r_slab = totals(m)
    r_tot = float(r_slab.sum())
    hc = setup.hcal if setup.hcal is not None else setup.target
    half = math.sqrt(hc.cells[0] * hc.cell_size[0] * hc.cells[1] * hc.cell_size[1] / math.pi)
    notes: tuple[str, ...] = (
        "material between the last dipole and the ECAL from the setup [upstream] table "
        "(assumed values) plus beam-line trackers downstream of the magnets: "
        + ", ".join(f"{s.name} {s.x_over_x0:.2g} X0 at z={s.z0 / 1e3:.2f} m" for s in slabs),
        "interactions upstream of the magnets are not counted: the degraded electron is "
        "mis-measured (rejected by the momentum window) or swept out of the acceptance",
        f"virtual-photon flux (hep-ph/9310350) with Q2_max = {m.q2_max / GeV**2:.2f} GeV^2, "
        f"sigma_gammaA = A^{m.shadowing_alpha} sigma_gammap (hep-ph/9209205, Caldwell 1979)",
        f"fast hadrons share nu uniformly; p_T with <p_T> = {m.mean_pt / GeV:.2f} GeV, "
        "power-law tail (exponential, n = 20, n = 12 envelope); "
        f"an event passes only if every hadron above {m.soft_energy / GeV:g} GeV misses the "
        f"HCAL face (equivalent radius {half:.0f} mm); pi0 photons landing in the ECAL are "
        "treated like hadrons (rejected), extra tracks in the trackers are not used",
    )
    if r_tot <= 0.0:
        return BackgroundSource("e- nuclear interactions upstream", 0.0, 0.0,
                                "no upstream material", 0, [], notes)
    # --- sample the interaction points and the energy transfers
    slab_of = rng.choice(len(slabs), size=n, p=r_slab / r_tot)
    y = np.empty(n)
    z = np.empty(n)
    for i, sl in enumerate(slabs):  # loop over a handful of layers, not over events
        sel = np.flatnonzero(slab_of == i)
        if sel.size == 0:
            continue
        d = density(m, grid, i)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(grid))])
        y[sel] = np.interp(rng.random(sel.size) * cdf[-1], cdf, grid)
        z[sel] = sl.z0 + rng.random(sel.size) * sl.thickness
    theta = half / np.maximum(hc.z - z, 1.0)
    # --- the degraded electron through the fast simulation
    beam = builder.electrons(n, rng)
    parts = dict(beam)
    parts["pdg"] = np.full(n, 11, dtype=np.int64)
    parts["energy"] = np.maximum(beam["energy"] * (1.0 - y), 1.0)
    parts["decayed"] = np.ones(n, bool)
    parts["parent_pdg"] = np.full(n, 11, dtype=np.int64)
    parts["parent_energy"] = beam["energy"]
    ev = builder.events(parts, rng)
    passed = builder.selection.mask(ev).astype(float)

    def rate(mm: NuclearModel) -> tuple[float, np.ndarray]:
        w = escape_probability(y * e0, theta, rng, mm)
        ratio = np.ones(n)
        if mm is not m:  # reweight the sampled (layer, y) to the varied interaction density
            for i in range(len(slabs)):
                k = slab_of == i
                if k.any():
                    ratio[k] = density(mm, y[k], i) / np.maximum(density(m, y[k], i), 1e-300)
        contrib = r_tot * ratio * w * passed
        return float(contrib.mean()), w

    v_nom, w = rate(m)
    stat = r_tot * float(np.std(w * passed)) / math.sqrt(n)
    # p_T-tail shape: envelope (middle ± half-width); the other parameter groups: their
    # relative ±1σ spread around the nominal, applied to the middle, in quadrature
    env = [rate(mv)[0] for mv in m.tail_envelope()] + [v_nom]
    v = 0.5 * (max(env) + min(env))
    half_width = 0.5 * (max(env) - min(env))
    devs = {"p_T tail shape (envelope)": half_width}
    for name, group in m.variations().items():
        rates = [rate(mv)[0] for mv in group]
        # two-sided group: half the up-down difference; one-sided: the deviation
        spread = 0.5 * (max(rates) - min(rates)) if len(rates) > 1 else abs(rates[0] - v_nom)
        devs[name] = spread / v_nom * v if v_nom > 0 else 0.0
    syst = math.sqrt(sum(d**2 for d in devs.values()))
    u = math.hypot(stat, syst)
    method = (f"middle of the p_T-tail envelope [{min(env):.3g}, {max(env):.3g}]/EOT "
              f"(nominal n = {m.pt_power:g}: {v_nom:.3g}/EOT); "
              f"{r_tot:.3g} e-A interactions/EOT with nu > {y_lo * e0 / GeV:.0f} GeV in "
              f"{sum(s.x_over_x0 for s in slabs):.3g} X0 of upstream material; mean P(hadrons "
              f"miss HCAL) = {float(w.mean()):.3g}; P(degraded e- passes the cuts) = "
              f"{float(passed.mean()):.3g}; {n} weighted events (model variations: "
              f"±{syst / v * 100 if v > 0 else 0:.0f}%)")
    notes += ("model uncertainty (events/EOT) per parameter group: "
              + ", ".join(f"{k}: {d:.2g}" for k, d in devs.items()),)
    flow = [("e-A interactions (nu > box edge)", r_tot, 0.0)]
    flow += _weighted_flow(builder, ev, w, r_tot)  # nominal model
    return BackgroundSource("e- nuclear interactions upstream", v, u, method, n, flow, notes)


def _target_punch_through(builder: EventBuilder) -> BackgroundSource:
    """Photo-nuclear production in the target with a leading neutral hadron crossing the
    HCAL without interacting (:func:`na64.background.upstream.target_punch_through`)."""
    from .upstream import target_punch_through

    cfg = builder.config
    v, u, note = target_punch_through(builder.setup, cfg.energy, cfg.selection.ecal_max)
    return BackgroundSource(
        "hadron production in the target, n/K0L punch-through", v, u,
        "analytic upper bound: photo-nuclear rate in the target x HCAL non-interaction "
        "probability", 0, [], (note,))


def estimate_background(builder: EventBuilder, rng: np.random.Generator, *,
                        n_events: int | None = None) -> BackgroundEstimate:
    """Expected background per EOT of the analysis of ``builder``, per source.

    Parameters
    ----------
    builder
        The analysis' event builder (setup, beam line, selection).
    rng
        Random generator (derive it from the job's ``SeedSequence``).
    n_events
        Events simulated per source (default :data:`DEFAULT_EVENTS`).
    """
    n = int(n_events or DEFAULT_EVENTS)
    sources: list[BackgroundSource] = [_electron_sideband(builder, rng, n)]
    tail = _low_energy_tail(builder, rng, n)
    if tail is not None:
        sources.append(tail)
    sources += _hadrons(builder, rng, n)
    sources += _decays(builder, rng, n)
    up = upstream_electronuclear(builder, rng, n)
    if up is not None:
        sources.append(up)
    sources.append(_target_punch_through(builder))
    notes: tuple[str, ...] = (
        "not modelled: dimuon production in the target (muons always deposit > 1 GeV in the "
        "HCAL of the fast simulation), HCAL cracks/dead zones, pile-up, non-Gaussian "
        "tails of the momentum reconstruction",
    )
    if up is None:
        notes += ("electro-nuclear interactions upstream not estimated: the setup has no "
                  "[upstream] material table",)
    return BackgroundEstimate(tuple(sources), notes)
