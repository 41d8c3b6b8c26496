"""Tracker hits, straight-line fits and spectrometer momentum.

Model (bend plane x; the y view is simulated the same way without the kick):

* a track enters the first station on the straight line that, without scattering,
  reaches the beam particle's ``(x, tx)`` at the target face (a spectrometer upstream of
  the target); behind the target (kick at z > 0) the particle leaves the target face with
  ``(x, tx)`` and is bent at the magnet;
* at each station the hit is the true position plus Gaussian noise of the station
  resolution (hit efficiency: Bernoulli), then the slope receives a multiple-scattering
  kick with the Highland width (PDG 2024 review 34, eq. (34.16))
  ``theta0 = 13.6 MeV / (beta c p) |z| sqrt(x/X0) (1 + 0.038 ln(x z^2 / (X0 beta^2)))``;
* the magnets give a kick ``delta = c q int B dl / p`` at their centre (thin-lens
  equivalent of a uniform dipole for the extrapolated lines, small angles);
* a station records a hit only where the true track crosses its active area
  (``half_width`` about ``x_center`` in x, ``half_height`` in y; unlimited by default):
  a particle bent out of a downstream station loses that hit, and with fewer than two
  hits on either side of the magnet no track is reconstructed;
* least-squares straight lines upstream and downstream give the measured bend
  ``theta = tx_down - tx_up`` and ``p = c |q| int B dl / theta`` (Lorentz force in the small-angle
  limit: p[GeV] = 0.2998 B[T] L[m] / theta).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hepunits import tesla

from ..errors import InputError
from .config import BeamlineConfig, TrackerStation
from .particles import charge_of, mass_of
from .synchrotron import _P_PER_TMM

__all__ = [
    "SpectrometerGeometry",
    "downstream_spectrometers",
    "expected_momentum_resolution",
    "fit_lines",
    "highland_theta0",
    "simulate_hits",
    "spectrometer_geometry",
    "track_momentum",
    "trigger_fired",
]


def highland_theta0(
    momentum: np.ndarray | float, x_over_x0: float, mass: float, charge: float = 1.0
) -> np.ndarray:
    """Highland width of the projected multiple-scattering angle (rad).

    ``theta0 = 13.6 MeV / (beta p) |z| sqrt(x/X0) [1 + 0.038 ln(x z^2 / (X0 beta^2))]``,
    PDG 2024 review 34 "Passage of particles through matter", eq. (34.16).  Returns 0
    for ``x_over_x0 = 0``.
    """
    p = np.maximum(np.asarray(momentum, dtype=float), 1e-300)
    if x_over_x0 <= 0.0:
        return np.zeros_like(p)
    beta = p / np.sqrt(p * p + mass * mass)
    z = abs(charge)
    arg = x_over_x0 * z * z / (beta * beta)
    corr = np.maximum(1.0 + 0.038 * np.log(arg), 0.0)
    return 13.6 / (beta * p) * z * math.sqrt(x_over_x0) * corr


@dataclass(frozen=True)
class SpectrometerGeometry:
    """Station positions, resolutions and material of one spectrometer, sorted in z."""

    name: str
    stations: tuple[TrackerStation, ...]
    n_up: int
    field_integral: float  # tesla * mm (hepunits)
    z_kick: float  # mm

    @property
    def z(self) -> np.ndarray:
        """Station z positions (mm)."""
        return np.array([s.z for s in self.stations])


def downstream_spectrometers(beamline: BeamlineConfig) -> tuple[str, ...]:
    """Names of the spectrometers that measure what leaves the target: every station
    downstream of the target face (z > 0), like the MS2 of NA64mu (arXiv:2409.10128)."""
    return tuple(s.name for s in beamline.spectrometers
                 if all(beamline.station(t).z > 0 for t in s.stations))


def spectrometer_geometry(beamline: BeamlineConfig, name: str | None = None) -> SpectrometerGeometry:
    """Resolve a spectrometer of ``beamline`` into station geometry."""
    spec = beamline.spectrometer(name)
    stations = tuple(sorted((beamline.station(s) for s in spec.stations), key=lambda t: t.z))
    mags = [beamline.magnet(m) for m in spec.magnets]
    z_lo, _ = beamline.magnet_span(spec.magnets)
    n_up = sum(s.z < z_lo for s in stations)
    bl = sum(m.field_integral for m in mags)
    z_kick = sum(m.field_integral * m.z for m in mags) / bl
    return SpectrometerGeometry(spec.name, stations, n_up, bl, z_kick)


def simulate_hits(
    particles: dict[str, np.ndarray],
    geometry: SpectrometerGeometry,
    rng: np.random.Generator,
    *,
    view: str = "x",
) -> tuple[np.ndarray, np.ndarray]:
    """Measured hits ``(n, n_stations)`` (mm) and their mask (hit recorded).

    The particle state ``(x, tx)`` (or ``(y, ty)`` for ``view="y"``) of ``particles`` is
    the straight line at the target face (z = 0); neutral particles leave no hits.
    """
    pdg = np.asarray(particles["pdg"])
    energy = np.asarray(particles["energy"], dtype=float)
    mass = mass_of(pdg)
    charge = charge_of(pdg)
    p = np.sqrt(np.maximum(energy**2 - mass**2, 1e-300))
    pos0 = np.asarray(particles["x" if view == "x" else "y"], dtype=float)
    slope0 = np.asarray(particles["tx" if view == "x" else "ty"], dtype=float)
    # the y view's straight line (no kick in it) for the stations' apertures
    pos_o = np.asarray(particles.get("y", np.zeros(pos0.size)), dtype=float)
    slope_o = np.asarray(particles.get("ty", np.zeros(pos0.size)), dtype=float)
    zk = geometry.z_kick
    kick = np.zeros_like(p)
    if view == "x":
        kick = _P_PER_TMM * charge * (geometry.field_integral / tesla) / p
    z = geometry.z
    n = p.size
    # truth: (pos0, slope0) is the state at the target face (z = 0).  Upstream of the
    # target (MS1) the magnets are before it: x(z) = pos0 + tx z downstream of the kick,
    # slope tx - kick upstream of it.  Behind the target (MS2, kick at z > 0) the state is
    # the one entering the magnet: straight from the target face, kicked at the magnet.
    if zk > 0.0 and z[0] < zk:
        cur_slope = slope0.copy()
        cur_pos = pos0 + slope0 * z[0]
        kicked = False
    elif z[0] < zk:
        cur_slope = slope0 - kick
        cur_pos = pos0 + slope0 * zk + cur_slope * (z[0] - zk)
        kicked = False
    else:
        cur_slope = slope0.copy()
        cur_pos = pos0 + slope0 * z[0]
        kicked = True
    cur_z = float(z[0])
    # Highland (PDG 2024 eq. 34.16) factored: theta0 = a sqrt(t) (1 + 0.038 (ln t + lb))
    beta = p / np.sqrt(p * p + mass * mass)
    a = 13.6 / (beta * p)
    lb = -2.0 * np.log(beta)
    hits = np.empty((n, z.size))
    mask = np.ones((n, z.size), dtype=bool)
    for j, st in enumerate(geometry.stations):
        if not kicked and st.z > zk:
            cur_pos = cur_pos + cur_slope * (zk - cur_z)
            cur_z = zk
            cur_slope = cur_slope + kick
            kicked = True
        cur_pos = cur_pos + cur_slope * (st.z - cur_z)
        cur_z = st.z
        hits[:, j] = cur_pos + st.resolution * rng.standard_normal(n)
        if st.efficiency < 1.0:
            mask[:, j] = rng.random(n) < st.efficiency
        if view == "x":
            if st.half_width is not None:
                mask[:, j] &= np.abs(cur_pos - st.x_center) <= st.half_width
            if st.half_height is not None:
                mask[:, j] &= np.abs(pos_o + slope_o * st.z) <= st.half_height
        elif st.half_height is not None:  # the y view alone: its own aperture
            mask[:, j] &= np.abs(cur_pos) <= st.half_height
        if st.x_over_x0 > 0.0:
            t = st.x_over_x0
            theta0 = a * math.sqrt(t) * np.maximum(1.0 + 0.038 * (math.log(t) + lb), 0.0)
            cur_slope = cur_slope + theta0 * rng.standard_normal(n)
    mask &= (charge != 0)[:, None]
    return np.where(mask, hits, 0.0), mask


def _theta0_masses(p: np.ndarray, mass: np.ndarray, x_over_x0: float) -> np.ndarray:
    """Highland theta0 per particle with its own mass (eq. 34.16)."""
    beta = p / np.sqrt(p * p + mass * mass)
    arg = x_over_x0 / (beta * beta)
    corr = np.maximum(1.0 + 0.038 * np.log(arg), 0.0)
    return 13.6 / (beta * p) * math.sqrt(x_over_x0) * corr


def fit_lines(
    hits: np.ndarray, mask: np.ndarray, z: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least-squares lines ``x = a + b z`` for every row, vectorized.

    Returns
    -------
    intercept, slope, ok
        ``ok`` is False (and the line 0) for rows with fewer than 2 hits.
    """
    zz = np.asarray(z, dtype=float)
    wj = 1.0 / np.asarray(sigma, dtype=float) ** 2
    n = hits.shape[0]
    s0 = np.zeros(n)
    sz = np.zeros(n)
    szz = np.zeros(n)
    sx = np.zeros(n)
    szx = np.zeros(n)
    nhit = np.zeros(n, dtype=np.int64)
    for j in range(zz.size):  # loop over the few stations, vectorized over tracks
        m = mask[:, j]
        w = wj[j] * m
        xj = hits[:, j]
        s0 += w
        sz += w * zz[j]
        szz += w * zz[j] ** 2
        sx += w * xj
        szx += w * (zz[j] * xj)
        nhit += m
    det = s0 * szz - sz * sz
    ok = (nhit >= 2) & (det > 0)
    safe = np.where(ok, det, 1.0)
    slope = np.where(ok, (s0 * szx - sz * sx) / safe, 0.0)
    intercept = np.where(ok, (szz * sx - sz * szx) / safe, 0.0)
    return intercept, slope, ok


def track_momentum(
    particles: dict[str, np.ndarray],
    beamline: BeamlineConfig,
    rng: np.random.Generator,
    *,
    spectrometer: str | None = None,
) -> dict[str, np.ndarray]:
    """Reconstructed momentum of each particle in a spectrometer of ``beamline``.

    Parameters
    ----------
    particles
        Columns ``pdg, energy, x, tx`` (and ``y, ty``), e.g. from :func:`sample_beam`.
    beamline
        Beam line with at least one spectrometer.
    rng
        Random generator.
    spectrometer
        Spectrometer name (default: the first one).

    Returns
    -------
    dict
        ``momentum`` (MeV, 0 when not reconstructed), ``bend`` (rad), ``slope_in``,
        ``slope_out``, ``n_hits_up``, ``n_hits_down``, ``valid`` (bool), ``n_tracks``
        (1 for a reconstructed track, else 0), and the measured bending-plane hits
        ``hits`` (n, stations; mm, 0 where none) with ``hit_mask`` (n, stations) — the
        station positions are :attr:`SpectrometerGeometry.z`.
    """
    for key in ("pdg", "energy", "x", "tx"):
        if key not in particles:
            raise InputError("particles", f"missing column {key!r}")
    energy = np.asarray(particles["energy"], dtype=float)
    mass = mass_of(np.asarray(particles["pdg"]))
    bad = ~np.isfinite(energy) | (energy <= mass) | (energy <= 0)
    if np.any(bad):
        raise InputError(
            "particles.energy",
            f"every energy must be finite and exceed the particle mass; {int(bad.sum())} do not",
        )
    geo = spectrometer_geometry(beamline, spectrometer)
    hits, mask = simulate_hits(particles, geo, rng)
    z = geo.z
    sig = np.array([s.resolution for s in geo.stations])
    u = slice(0, geo.n_up)
    d = slice(geo.n_up, None)
    _, s_in, ok_in = fit_lines(hits[:, u], mask[:, u], z[u], sig[u])
    _, s_out, ok_out = fit_lines(hits[:, d], mask[:, d], z[d], sig[d])
    bend = s_out - s_in
    valid = ok_in & ok_out & (np.abs(bend) > 0)
    p = np.where(valid, _P_PER_TMM * (geo.field_integral / tesla) / np.where(valid, np.abs(bend), 1.0), 0.0)
    return {
        "momentum": p,
        "bend": bend,
        "slope_in": s_in,
        "slope_out": s_out,
        "n_hits_up": np.count_nonzero(mask[:, u], axis=1),
        "n_hits_down": np.count_nonzero(mask[:, d], axis=1),
        "valid": valid,
        "n_tracks": valid.astype(np.int64),
        "hits": hits,
        "hit_mask": mask,
    }


def expected_momentum_resolution(
    beamline: BeamlineConfig, momentum: float, mass: float, spectrometer: str | None = None
) -> float:
    """Analytic sigma_p / p = sigma_theta / theta for a spectrometer.

    sigma_theta^2 = V(slope_up) + V(slope_down) + MS, with the least-squares slope
    variance ``sigma^2 / sum (z_i - zbar)^2`` (equal resolutions; weighted form
    otherwise) and the multiple scattering of the stations between the two fitted
    lines: the last upstream station and the first downstream station for 2+2 layouts
    (scattering after the last hit upstream and before the first hit downstream changes
    the bend directly).  For more stations per arm the MS term of all inner stations is
    included the same way (an approximation that neglects the partial correlation of
    scatters inside an arm).
    """
    geo = spectrometer_geometry(beamline, spectrometer)
    z = geo.z
    sig = np.array([s.resolution for s in geo.stations])

    def slope_var(zz: np.ndarray, ss: np.ndarray) -> float:
        w = 1.0 / ss**2
        zbar = np.sum(w * zz) / np.sum(w)
        return float(1.0 / np.sum(w * (zz - zbar) ** 2))

    var = slope_var(z[: geo.n_up], sig[: geo.n_up]) + slope_var(z[geo.n_up :], sig[geo.n_up :])
    theta = _P_PER_TMM * (geo.field_integral / tesla) / momentum
    ms = 0.0
    up_last = geo.stations[geo.n_up - 1]
    down_first = geo.stations[geo.n_up]
    for st in (up_last, down_first):
        if st.x_over_x0 > 0.0:
            t0 = _theta0_masses(np.array([momentum]), np.array([mass]), st.x_over_x0)
            ms += float(t0[0]) ** 2
    return math.sqrt(var + ms) / theta


def trigger_fired(particles: dict[str, np.ndarray], beamline: BeamlineConfig) -> np.ndarray:
    """Whether each outgoing particle crosses every trigger counter of ``beamline``.

    The particle leaves the target face on the straight line ``(x, tx)``, ``(y, ty)`` and
    receives the thin-lens kick ``c q ∫B dl / p`` of every magnet between the target and
    the counter (bend plane x, small angles; as :func:`simulate_hits`).  True without
    counters; False for neutral particles or particles without kinetic energy.
    """
    pdg = np.asarray(particles["pdg"])
    n = pdg.size
    fired = np.ones(n, dtype=bool)
    if not beamline.trigger:
        return fired
    energy = np.asarray(particles["energy"], dtype=float)
    mass = mass_of(pdg)
    charge = charge_of(pdg)
    moving = energy > mass * (1.0 + 1e-9)
    p = np.sqrt(np.maximum(energy**2 - mass**2, 1e-300))
    x0 = np.asarray(particles.get("x", np.zeros(n)), dtype=float)
    tx = np.asarray(particles.get("tx", np.zeros(n)), dtype=float)
    y0 = np.asarray(particles.get("y", np.zeros(n)), dtype=float)
    ty = np.asarray(particles.get("ty", np.zeros(n)), dtype=float)
    for counter in beamline.trigger:
        x = x0 + tx * counter.z
        for m in beamline.magnets:
            if 0.0 < m.z < counter.z:
                x = x + _P_PER_TMM * charge * (m.field_integral / tesla) / p * (counter.z - m.z)
        y = y0 + ty * counter.z
        fired &= (x >= counter.x_min) & (x <= counter.x_max) & (np.abs(y) <= counter.half_height)
    return fired & moving & (charge != 0)
