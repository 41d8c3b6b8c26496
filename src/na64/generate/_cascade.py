"""Numba kernel of the one-dimensional electromagnetic cascade Monte Carlo.

Everything here is in *shower units*: lengths in radiation lengths X0, energies in MeV.
The physics is the high-energy (complete screening) cascade of Rossi's Approximation B:

* bremsstrahlung of e± with the complete-screening spectrum
  ``dσ/dy ∝ (1/y)(4/3 - 4/3 y + y²)`` per X0, ``y = k/E`` (PDG 2024 "Passage of particles
  through matter", eq. 34.29; Tsai, Rev. Mod. Phys. 46 (1974) 815, eq. 3.83 without the
  small ``(1/9)(1 - y)`` term);
* pair production by photons with ``dσ/dx ∝ 1 - (4/3) x (1 - x)`` per X0, total 7/9 per X0
  (PDG 2024 eq. 34.31; Tsai 1974 eq. 3.84 in the same limit);
* a constant ionization loss ``ε = E_c`` per X0 (Rossi's definition of the critical energy,
  B. Rossi, *High-Energy Particles* (1952), ch. 5; PDG 2024 "Passage of particles through
  matter", critical-energy section).

Photons are followed (and their track lengths scored, :func:`run_cascade` row 3) from
their emission to their conversion point or the back face of the target; they do not lose
energy on the way, so a photon contributes its whole free path to the bin of its energy.

Photons softer than ``k_min`` are not emitted discretely: their (energy independent for
``k_min << E``) mean loss ``(4/3) k_min`` per X0 is added to the continuous loss.  The
discrete brems are sampled with the null-collision (thinning) method, exact for a rate that
decreases with energy along a step.  Particles are followed along the beam axis (the
cascade is one-dimensional: angles are irrelevant for track lengths and depths at these
energies).  Positron annihilation, Compton scattering and the photo-effect are neglected,
as in Approximation B.
"""

from __future__ import annotations

import numba
import numpy as np

#: Pair-production rate of photons in the complete-screening limit, per X0 (PDG eq. 34.31).
PAIR_RATE = 7.0 / 9.0

ELECTRON = 0
POSITRON = 1
PHOTON = 2

_STACK = 4096


@numba.njit(cache=True)
def brem_rate(e: float, k_min: float) -> float:  # pragma: no cover - jitted
    """Rate (per X0) of brems with photon energy above ``k_min``: ∫_{y0}^1 φ(y) dy."""
    y0 = k_min / e
    if y0 >= 1.0:
        return 0.0
    return (4.0 / 3.0) * (-np.log(y0)) - (4.0 / 3.0) * (1.0 - y0) + 0.5 * (1.0 - y0 * y0)


@numba.njit(cache=True)
def _sample_brem_y(y0: float, rng: np.random.Generator) -> float:  # pragma: no cover - jitted
    # proposal ∝ 1/y on [y0, 1]; acceptance (4/3 - 4/3 y + y²)/(4/3) >= 2/3 everywhere
    while True:
        y = y0 ** rng.random()
        if rng.random() * (4.0 / 3.0) <= 4.0 / 3.0 - (4.0 / 3.0) * y + y * y:
            return y


@numba.njit(cache=True)
def _sample_pair_x(rng: np.random.Generator) -> float:  # pragma: no cover - jitted
    # proposal uniform; acceptance 1 - (4/3) x (1 - x) >= 2/3
    while True:
        x = rng.random()
        if rng.random() <= 1.0 - (4.0 / 3.0) * x * (1.0 - x):
            return x


@numba.njit(cache=True)
def _interp_sigma(table: np.ndarray, loge: float, lo: float, step: float) -> float:  # pragma: no cover
    """Linear interpolation in log E of a uniformly log-spaced table (0 outside)."""
    u = (loge - lo) / step
    n = table.shape[0]
    if u < 0.0 or u > n - 1:
        return 0.0
    i = int(u)
    if i >= n - 1:
        return table[n - 1]
    f = u - i
    return table[i] * (1.0 - f) + table[i + 1] * f


@numba.njit(cache=True)
def _offer(w: float, wt: float, wp: float, prim: bool, rng: np.random.Generator  # pragma: no cover
           ) -> tuple[float, float, bool]:
    """One step of the forced-emission (weighted reservoir) choice: add the segment's
    weight ``w`` to the event totals ``wt`` (all) and ``wp`` (primary only) and choose the
    segment with probability ``w / wt``.  Returns the new totals and whether it was chosen
    (one random number is drawn only for ``w > 0``)."""
    if w <= 0.0:
        return wt, wp, False
    wt += w
    if prim:
        wp += w
    return wt, wp, rng.random() * wt < w


@numba.njit(cache=True)
def _score_photon(ev: np.ndarray, hist_z: np.ndarray, e: float, z: float, path: float,  # pragma: no cover
                  edges: np.ndarray, loge_lo: float, dloge: float, z_width: float) -> None:
    """Add a photon's free path ``path`` (X0) from depth ``z`` to its energy bin (row 3 of
    ``ev``) and, split over the depth bins it crosses, to ``hist_z[2]``."""
    nb = edges.shape[0] - 1
    ib = int((np.log(e) - loge_lo) / dloge)
    # guard the log-spacing round-off at the bin edges
    if ib > 0 and e < edges[ib]:
        ib -= 1
    if ib < nb - 1 and e >= edges[ib + 1]:
        ib += 1
    if ib < 0 or ib >= nb or e < edges[0] or e >= edges[nb]:
        return
    ev[3, ib] += path
    n_z = hist_z.shape[2]
    z_end = z + path
    iz = int(z / z_width)
    while iz < n_z:
        a = max(z, iz * z_width)
        b = min(z_end, (iz + 1) * z_width)
        if b <= a:
            break
        hist_z[2, ib, iz] += b - a
        iz += 1


@numba.njit(cache=True)
def run_cascade(  # pragma: no cover - jitted
    n_events: int,
    e0: float,
    primary: int,
    eps: float,
    k_min: float,
    e_cut: float,
    t_max: float,
    edges: np.ndarray,
    z_width: float,
    n_z: int,
    sigma: np.ndarray,
    sig_lo: float,
    sig_step: float,
    do_score: bool,
    do_sample: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
           np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulate ``n_events`` cascades; score track lengths and/or pick one emission point.

    Parameters
    ----------
    edges
        Energy bin edges (MeV, increasing, uniformly spaced in log E) for track-length scoring.
    z_width, n_z
        Depth bins (X0) of the depth-resolved track length.
    sigma
        ``(2, n)`` table of the emission rate per X0 (``n_atoms σ X0``) of e- and e+, on a
        grid uniform in log E starting at ``sig_lo`` with step ``sig_step``; a ``(3, n)``
        table adds the rate of photons (e.g. a photon-conversion process), sampled along
        the photon tracks too.  With two rows no random number is drawn for photons beyond
        those of their transport, so the e± results do not depend on the photon scoring.
    rng
        The caller's numpy Generator (numba draws from its bit generator directly).

    Returns
    -------
    hist_sum, hist_sq
        ``(4, nb)``: track length (X0) per energy bin summed over events, and summed
        squares of the per-event values; rows e-, e+, primary particle (charged), photons.
    hist_z
        ``(3, nb, n_z)`` depth-resolved track length (X0) of e-, e+ and photons.
    energy
        ``(n_events, 2)``: energy deposited (ionization, soft photons, particles below the
        cut) and energy escaping through the back of the target.
    w_tot, w_prim
        Emission probability of the event (sum over its charged tracks of rate × length)
        and the same for the primary particle alone.
    e_emit, z_emit, rate_emit, kind_emit
        Energy, depth (X0), rate used for the chosen segment, and emitter code
        (0 e-, 1 e+; +2 if it is the primary; 4 a photon, 5 a primary photon).
    """
    nb = edges.shape[0] - 1
    loge_lo = np.log(edges[0])
    dloge = (np.log(edges[-1]) - loge_lo) / nb
    hist_sum = np.zeros((4, nb))
    hist_sq = np.zeros((4, nb))
    hist_z = np.zeros((3, nb, n_z))
    ev = np.zeros((4, nb))
    photon_rates = sigma.shape[0] > 2
    energy = np.zeros((n_events, 2))
    w_tot = np.zeros(n_events)
    w_prim = np.zeros(n_events)
    e_emit = np.zeros(n_events)
    z_emit = np.zeros(n_events)
    rate_emit = np.zeros(n_events)
    kind_emit = np.zeros(n_events, dtype=np.int64)

    st_kind = np.zeros(_STACK, dtype=np.int64)
    st_e = np.zeros(_STACK)
    st_z = np.zeros(_STACK)
    st_prim = np.zeros(_STACK, dtype=np.bool_)
    c = eps + (4.0 / 3.0) * k_min  # continuous loss per X0

    for iev in range(n_events):
        top = 0
        st_kind[0] = primary
        st_e[0] = e0
        st_z[0] = 0.0
        st_prim[0] = True
        top = 1
        dep = 0.0
        esc = 0.0
        wt = 0.0
        wp = 0.0
        if do_score:
            ev[:, :] = 0.0
        while top > 0:
            top -= 1
            kind = st_kind[top]
            e = st_e[top]
            z = st_z[top]
            prim = st_prim[top]
            if kind == PHOTON:
                s = -np.log(1.0 - rng.random()) / PAIR_RATE
                path = min(s, t_max - z)
                if do_score and path > 0.0:
                    _score_photon(ev, hist_z, e, z, path, edges, loge_lo, dloge, z_width)
                if do_sample and photon_rates and path > 0.0:
                    r = _interp_sigma(sigma[PHOTON], np.log(e), sig_lo, sig_step)
                    wt, wp, chosen = _offer(r * path, wt, wp, prim, rng)
                    if chosen:
                        e_emit[iev] = e
                        z_emit[iev] = z + path * rng.random()
                        rate_emit[iev] = r
                        kind_emit[iev] = 5 if prim else 4
                if z + s >= t_max:
                    esc += e
                    continue
                z += s
                x = _sample_pair_x(rng)
                parts = (x * e, (1.0 - x) * e)
                for j in range(2):
                    ej = parts[j]
                    if ej > e_cut:
                        if top >= _STACK:
                            raise ValueError("cascade stack overflow")
                        st_kind[top] = ELECTRON if j == 0 else POSITRON
                        st_e[top] = ej
                        st_z[top] = z
                        st_prim[top] = False
                        top += 1
                    else:
                        dep += ej
                continue
            # charged particle
            while True:
                lam = brem_rate(e, k_min)
                s = np.inf
                if lam > 0.0:
                    s = -np.log(1.0 - rng.random()) / lam
                s_cut = (e - e_cut) / c
                s_end = t_max - z
                reason = 0  # 0 collision, 1 cut, 2 end of target
                step = s
                if s_cut <= step:
                    step = s_cut
                    reason = 1
                if s_end <= step:
                    step = s_end
                    reason = 2
                if step < 0.0:
                    step = 0.0
                e_new = e - c * step
                if reason == 1:
                    e_new = e_cut
                # --- scoring of the segment [e_new, e] over [z, z + step]
                if do_score and step > 0.0:
                    iz = int((z + 0.5 * step) / z_width)
                    i_lo = int((np.log(e_new) - loge_lo) / dloge)
                    i_hi = int((np.log(e) - loge_lo) / dloge)
                    i_lo = max(i_lo, 0)
                    i_hi = min(i_hi, nb - 1)
                    for ib in range(i_lo, i_hi + 1):
                        a = max(e_new, edges[ib])
                        b = min(e, edges[ib + 1])
                        if b > a:
                            dl = (b - a) / c
                            ev[kind, ib] += dl
                            if prim:
                                ev[2, ib] += dl
                            if iz < n_z:
                                hist_z[kind, ib, iz] += dl
                if do_sample and step > 0.0:
                    emid = 0.5 * (e + e_new)
                    r = _interp_sigma(sigma[kind], np.log(emid), sig_lo, sig_step)
                    wt, wp, chosen = _offer(r * step, wt, wp, prim, rng)
                    if chosen:
                        f = rng.random()
                        e_emit[iev] = e - c * step * f
                        z_emit[iev] = z + step * f
                        rate_emit[iev] = r
                        kind_emit[iev] = kind + (2 if prim else 0)
                dep += c * step
                z += step
                e = e_new
                if reason == 2:
                    esc += e
                    break
                if reason == 1:
                    dep += e
                    break
                # thinning: accept the collision with probability λ(E_new)/λ(E_start)
                lam_new = brem_rate(e, k_min)
                if rng.random() * lam > lam_new:
                    continue
                y = _sample_brem_y(k_min / e, rng)
                k = y * e
                e -= k
                if k > e_cut:
                    if top >= _STACK:
                        raise ValueError("cascade stack overflow")
                    st_kind[top] = PHOTON
                    st_e[top] = k
                    st_z[top] = z
                    st_prim[top] = False
                    top += 1
                else:
                    dep += k
                if e <= e_cut:
                    dep += e
                    break
        energy[iev, 0] = dep
        energy[iev, 1] = esc
        w_tot[iev] = wt
        w_prim[iev] = wp
        if do_score:
            for r_ in range(4):
                for ib in range(nb):
                    v = ev[r_, ib]
                    hist_sum[r_, ib] += v
                    hist_sq[r_, ib] += v * v
    return (hist_sum, hist_sq, hist_z, energy, w_tot, w_prim, e_emit, z_emit, rate_emit,
            kind_emit)
