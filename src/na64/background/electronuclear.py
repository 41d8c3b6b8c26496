"""Electro-nuclear interactions of the beam in the material between the last dipole and the
target, with the hadrons missing the HCAL: the dominant background of arXiv:1906.00176
(Table I); physics model in :mod:`na64.background.upstream`."""

from __future__ import annotations

import math

import numpy as np

from ..units import GeV
from .base import BackgroundContext, BackgroundSource, _weighted_flow
from .registry import register_source
from .upstream import NuclearModel


@register_source("upstream_electronuclear", "e- nuclear interactions in the upstream material", absent_note="electro-nuclear interactions upstream not estimated: the setup has no [upstream] material table")
def upstream_electronuclear(ctx: BackgroundContext, rng: np.random.Generator, n: int,
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
    from ..physics.photoabsorption import sigma_gamma_nucleus
    from .upstream import escape_probability, nuclei_per_area, photon_flux, upstream_layers

    m = model or NuclearModel()
    setup = ctx.pipeline.setup
    slabs = upstream_layers(setup, ctx.pipeline.beamline)
    if not slabs:
        return None
    e0 = ctx.energy
    edge = ctx.box_edge
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
        return BackgroundSource(f"{ctx.pipeline.beam.particle} nuclear interactions upstream", 0.0, 0.0,
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
    beam = ctx.pipeline.core(n, rng)
    parts = dict(beam)
    parts["pdg"] = np.full(n, 11, dtype=np.int64)
    parts["energy"] = np.maximum(beam["energy"] * (1.0 - y), 1.0)
    parts["decayed"] = np.ones(n, bool)
    parts["parent_pdg"] = np.full(n, 11, dtype=np.int64)
    parts["parent_energy"] = beam["energy"]
    ev = ctx.pipeline.events(parts, rng)
    passed = ctx.selection.mask(ev).astype(float)

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
    flow += _weighted_flow(ctx, ev, w, r_tot)  # nominal model
    return BackgroundSource(f"{ctx.pipeline.beam.particle} nuclear interactions upstream", v, u,
                            method, n, flow, notes)
