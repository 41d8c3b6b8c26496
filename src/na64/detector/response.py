"""The fast detector response: particles at the target face in, cell energies out.

:func:`deposit` computes the energy deposited in every readout cell (calibrated to the
electromagnetic scale, before any resolution effect); :func:`smear` applies the sampling,
photo-statistics, noise and constant terms; :func:`response` does both.  Everything is
vectorized over events; the per-cell integration runs in a numba kernel
(:func:`na64.detector.lateral.deposit_lateral`).

Physics per particle type (sources in the docstrings of the modules named):

* e-, e+, gamma: GFLASH shower (:mod:`.em`) starting at ``z_start`` with energy
  ``energy - e_invisible``; a signal electron first crosses ``z_start`` as a track.
* mu-, mu+: ionization (:mod:`.muon`, Landau + knock-ons) in every section, plus sampled
  catastrophic radiative losses that develop as EM showers in the section where they occur.
* charged pions, kaons, (anti)protons and neutral hadrons: first interaction at an
  Exp(lambda) depth (lambda_int, longer for mesons); before it a charged hadron ionizes;
  after it a hadronic shower (:mod:`.hadron`) with a fluctuating EM fraction and the e/h
  of each section, or for a charge exchange of a pion an EM shower of its whole energy.
* EM showers in the target also send hits into the veto and the first HCAL module
  (:func:`leakage_deposits`).
* Lateral acceptance: the stack is one line of sections in depth, and each calorimeter has
  a cell grid.  An electron or photon that enters at the target face beside the target
  (or through a hole) starts its shower at the face of the first calorimeter whose cells
  its axis meets (an e± then gives no MIP signal in the counters it skips); a hadron's
  interaction depth counts no material of the calorimeters its axis misses; shower energy
  whose axis misses a calorimeter goes into the next one it meets; a track beside a
  calorimeter crosses no material there.
* anything else (neutrinos, dark-sector particles, unknown codes): no deposit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numba as nb
import numpy as np
from numpy.typing import NDArray

from ..constants import M_E, M_K, M_MU, M_P, M_PI
from ..errors import InputError
from ..materials import get_material
from ..units import GeV
from . import em, hadron, muon, photonuclear
from ._gamma import gamma_cdf_pair
from .lateral import deposit_lateral, deposit_lateral_block
from .setup import Calorimeter, Setup, Veto
from .stack import Section, Stack, build_stack

__all__ = [
    "EM_PDG",
    "HADRON_PDG",
    "MUON_PDG",
    "MeanEMShower",
    "counter_particle_factor",
    "counter_particles",
    "deposit",
    "exit_z",
    "leakage_deposits",
    "mean_em_deposit",
    "response",
    "smear",
    "track_leakage_deposits",
]

Events = dict[str, NDArray[np.generic]]
FloatArray = NDArray[np.float64]

EM_PDG = frozenset({11, 22})
MUON_PDG = frozenset({13})
#: |pdg| of hadrons with a mass used for ionization; neutral ones (n, K0L) do not ionize.
HADRON_PDG: dict[int, float] = {211: M_PI, 321: M_K, 2212: M_P, 2112: M_P, 130: M_K}
_NEUTRAL_HADRONS = frozenset({2112, 130})
#: Shower slices below this energy, or below this share of the cell noise of their
#: calorimeter, are not spread laterally but put into the cell under the axis (far below
#: what the cell noise lets one see).
_MIN_SLICE_ENERGY = 0.05
_NOISE_SHARE = 0.1


@dataclass
class _Showers:
    """A batch of showers: parent row, energy, start depth (X0 and lambda) and axis."""

    rows: NDArray[np.int64]
    energy: FloatArray
    t0: FloatArray
    l0: FloatArray
    x: FloatArray
    y: FloatArray
    tx: FloatArray
    ty: FloatArray


#: The line (face intercepts and slopes) on which the particle of ``true_exit_energy``
#: leaves the target, with its multiple scattering there (:func:`deposit`).
_EXIT_LINE = ("true_exit_x", "true_exit_tx", "true_exit_y", "true_exit_ty")


def exit_z(setup: Setup) -> float:
    """Depth (mm from the target face) of the first station of a spectrometer downstream of
    the target (:func:`na64.beam.tracking.downstream_spectrometers`), ``inf`` without one:
    a muon's ``true_exit_energy`` is its energy there."""
    from ..beam.tracking import downstream_spectrometers

    line = setup.beamline
    z = [line.station(t).z for name in downstream_spectrometers(line)
         for t in line.spectrometer(name).stations]
    return float(min(z)) if z else math.inf


def _column(particles: dict[str, NDArray[np.generic]], name: str, n: int,
            default: float | None) -> FloatArray:
    if name not in particles:
        if default is None:
            raise InputError(f"particles.{name}", "required column is missing")
        return np.full(n, default)
    arr = np.asarray(particles[name], dtype=float)
    if arr.shape != (n,):
        raise InputError(f"particles.{name}", f"must have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"particles.{name}", "must be finite")
    return arr


def _event_rows(particles: dict[str, NDArray[np.generic]], n: int) -> tuple[NDArray[np.int64], int]:
    """Event row of each particle (``event`` column, default one particle per event)."""
    if "event" not in particles:
        return np.arange(n, dtype=np.int64), n
    ev = np.asarray(particles["event"])
    if ev.shape != (n,) or (n and ev.dtype.kind not in "iu"):
        raise InputError("particles.event", f"must be integers of shape ({n},)")
    ev = ev.astype(np.int64)
    if n and (ev.min() < 0 or ev.max() >= 100_000_000):
        raise InputError("particles.event", "must be in [0, 1e8)")
    return ev, (int(ev.max()) + 1 if n else 0)


def _depth_coordinates(stack: Stack, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Depth in X0 and lambda at longitudinal position z (mm, absolute)."""
    return stack.convert(z, "z", "t"), stack.convert(z, "z", "l")


def _next_calorimeter(stack: Stack, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Depth (lambda, X0) of the face of the first calorimeter section ending downstream of
    each z (mm, absolute); the end of the stack where there is none."""
    cal = [s for s in stack.sections if s.is_calorimeter]
    z1 = np.array([s.z1 for s in cal])
    j = np.searchsorted(z1, z, side="right")
    l0 = np.append(np.array([s.l0 for s in cal]), stack.sections[-1].l1)
    t0 = np.append(np.array([s.t0 for s in cal]), stack.sections[-1].t1)
    return l0[j], t0[j]


def _first_met(stack: Stack, x: FloatArray, y: FloatArray, tx: FloatArray, ty: FloatArray
               ) -> tuple[FloatArray, FloatArray]:
    """Depth (lambda, X0) of the face of the first calorimeter section whose cells the
    axis (x, y, tx, ty at the target face) meets; the end of the stack if none."""
    l_met = np.full(x.size, stack.sections[-1].l1)
    t_met = np.full(x.size, stack.sections[-1].t1)
    pending = np.ones(x.size, dtype=bool)
    for s in stack.sections:
        if not s.is_calorimeter or not pending.any():
            continue
        meet = pending & ~_misses(stack, s.output, x, y, tx, ty,
                                  0.5 * (s.z0 + s.z1) - stack.target_z)
        l_met[meet] = s.l0
        t_met[meet] = s.t0
        pending &= ~meet
    return l_met, t_met


def _interaction_depth(stack: Stack, l_start: FloatArray, path: FloatArray, x: FloatArray,
                       y: FloatArray, tx: FloatArray, ty: FloatArray) -> FloatArray:
    """Depth (lambda) of the first interaction of hadrons that travel ``path``
    interaction lengths of material from ``l_start``: the calorimeter sections their axis
    misses (beside them or through a hole) add no material; beyond the stack, its end."""
    pos = np.asarray(l_start, dtype=float).copy()
    left = np.asarray(path, dtype=float).copy()
    done = np.zeros(pos.size, dtype=bool)
    for s in stack.sections:
        active = ~done & (pos < s.l1)
        if not active.any():
            continue
        span = s.l1 - np.maximum(pos, s.l0)
        if s.is_calorimeter:
            missed = _misses(stack, s.output, x, y, tx, ty,
                             0.5 * (s.z0 + s.z1) - stack.target_z)
            skip = active & missed
            pos[skip] = s.l1
            active &= ~missed
        stop = active & (left < span)
        pos[stop] = np.maximum(pos[stop], s.l0) + left[stop]
        done |= stop
        go = active & ~stop
        left[go] -= span[go]
        pos[go] = s.l1
    pos[~done] = stack.sections[-1].l1 + left[~done]
    return pos


def _z_of_depth(stack: Stack, t: FloatArray) -> FloatArray:
    return stack.convert(t, "t", "z")


def _new_outputs(stack: Stack, n: int,
                 names: tuple[str, ...] | None = None) -> dict[str, FloatArray]:
    """Zeroed cell arrays of the stack's outputs (all, or only ``names``)."""
    return {name: np.zeros((n, *shape)) for name, shape in stack.shapes.items()
            if names is None or name in names}


# --------------------------------------------------------------------------------------
# showers
# --------------------------------------------------------------------------------------
def _slices(stack: Stack) -> tuple[list[tuple[Section, float, float]], FloatArray]:
    """Longitudinal slices (section, t_a, t_b) with sub-slices in the target sections."""
    out = []
    for s in stack.sections:
        for k in range(s.n_sub):
            a = s.t0 + (s.t1 - s.t0) * (k / s.n_sub) ** 2
            b = s.t0 + (s.t1 - s.t0) * ((k + 1) / s.n_sub) ** 2
            out.append((s, a, b))
    edges = np.array([a for _, a, _ in out] + [out[-1][2]])
    return out, edges


@dataclass(frozen=True)
class _Profile:
    """The part of a batch of Gamma-profile showers that does not depend on the axis: for
    one output, the energy of each slice, its layer and z, and its lateral radii."""

    name: str
    detector: Calorimeter | Veto
    index: NDArray[np.int64]  #: layer (or veto counter) of each slice
    energy: FloatArray  #: (m, k) energy per shower and slice
    z_mid: FloatArray  #: (k,) slice middle, relative to the target face
    r_core: FloatArray | None = None  #: (m, k) lateral radii and core weight (calorimeters)
    r_tail: FloatArray | None = None
    p_core: FloatArray | None = None
    dx: FloatArray | None = None  #: (m, k) displacement of each slice's axis (mm), or None
    dy: FloatArray | None = None


def _profiles(
    stack: Stack, sh: _Showers, alpha: FloatArray, beta: FloatArray, unit: str,
    scale_per_section: dict[str, float] | None, lateral: str,
    width: FloatArray | None = None,
    lateral_age: Callable[[FloatArray], FloatArray] | None = None,
    clusters: tuple[NDArray[np.int64], np.random.Generator] | None = None,
) -> list[_Profile]:
    """Longitudinal profile (energy, mean depth, lateral radii per slice) of Gamma-profile
    showers: energy (m,), profile in X0 (unit 't') or lambda ('l').  EM profiles ('em')
    in a calorimeter follow its GFLASH corrections (:attr:`Calorimeter.gflash`): radial
    scales, the relative shower ``width`` (m,) of each shower if given, the age at which
    the radial profile is evaluated (``lateral_age`` of the depths (m, k) from each shower's
    start; default t/T of each shower) and the depth dependence of the sampling fraction
    (:func:`na64.detector.em.sampling_vs_age`).  With ``clusters`` = (n, rng) the energy of
    each shower is carried by n (m,) equal clusters whose depths follow the profile: the
    slice energies are multinomial draws around the profile (the part beyond the last slice
    being one more category), the granularity of a hadron shower
    (:func:`na64.detector.hadron.cluster_count`)."""
    slices, t_edges = _slices(stack)
    if unit == "t":
        edges = t_edges
        start = sh.t0
    else:
        l_map = np.concatenate([[s.l0 for s, _, _ in slices], [slices[-1][0].l1]])
        # sub-slice lambda edges by linear interpolation inside each section
        edges = np.array([
            s.l0 + (s.l1 - s.l0) * ((a - s.t0) / (s.t1 - s.t0) if s.t1 > s.t0 else 0.0)
            for s, a, _ in slices
        ] + [l_map[-1]])
        start = sh.l0
    depth = np.maximum(edges[None, :] - start[:, None], 0.0)
    u = beta[:, None] * depth
    # energy-weighted mean depth of each slice: <t> = (alpha/beta) P(alpha+1, .) differences
    cdf, cdf1 = gamma_cdf_pair(alpha, u)
    e_slice = sh.energy[:, None] * np.diff(cdf, axis=1)
    frac = np.diff(cdf, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_depth = (alpha / beta)[:, None] * np.diff(cdf1, axis=1) / frac
    mid = 0.5 * (depth[:, :-1] + depth[:, 1:])
    mean_depth = np.where(frac > 1e-12, mean_depth, mid)
    if clusters is not None:
        # clusters in the calorimeters; a thin counter sees the particles crossing it, not
        # whole clusters: it keeps the smooth profile's share, the clusters the rest
        n_cl, rng = clusters
        counter = np.array([isinstance(s.detector, Veto) for s, _, _ in slices])
        p = np.clip(frac, 0.0, 1.0)
        smooth = np.where(counter[None, :], p, 0.0)
        pc = np.where(counter[None, :], 0.0, p)
        pv = np.concatenate([pc, np.clip(1.0 - p.sum(axis=1), 0.0, 1.0)[:, None]], axis=1)
        pv /= np.maximum(pv.sum(axis=1, keepdims=True), 1e-300)
        counts = rng.multinomial(n_cl, pv)
        rest = 1.0 - smooth.sum(axis=1, keepdims=True)
        e_slice = sh.energy[:, None] * (counts[:, :-1] / n_cl[:, None] * rest + smooth)
    tmax = np.maximum((alpha - 1.0) / beta, 0.1)
    tau = mean_depth / tmax[:, None]
    tau_lat = tau if lateral_age is None else lateral_age(mean_depth)
    # axis position at the slice (use the geometric slice middle in z)
    z_mid = np.array([0.5 * (_z_of_depth(stack, np.array([a]))[0] + _z_of_depth(stack, np.array([b]))[0])
                      for _, a, b in slices]) - stack.target_z
    by_output: dict[str, list[int]] = {}
    for k, (s, _, _) in enumerate(slices):
        by_output.setdefault(s.output, []).append(k)
    out: list[_Profile] = []
    for name, ks in by_output.items():
        det = slices[ks[0]][0].detector
        e_k = e_slice[:, ks]
        if scale_per_section is not None:
            e_k = e_k * scale_per_section.get(name, 1.0)
        index = np.array([slices[k][0].index for k in ks], dtype=np.int64)
        if isinstance(det, Veto):
            out.append(_Profile(name, det, index, e_k, z_mid[ks]))
            continue
        assert isinstance(det, Calorimeter)
        rm = det.moliere_radius
        if lateral == "em":
            tuning = det.gflash
            rc, rt, p = em.lateral_parameters(
                tau_lat[:, ks], sh.energy[:, None], z_eff=det.z_eff,
                sampling_frequency=det.sampling_frequency, e_hat=det.e_hat, tuning=tuning,
            )
            scale = rm if width is None else rm * width[:, None]
            rc, rt = rc * scale, rt * scale
            if tuning.sampling_age is not None:
                e_k = e_k * em.sampling_vs_age(tau[:, ks], tuning.sampling_age)
        else:
            r = hadron.hadronic_lateral_radius(det.lambda_int)
            rc = np.full(e_k.shape, r * hadron.HADRONIC_CORE_RADIUS_SCALE)
            rt = np.full(e_k.shape, r * hadron.HADRONIC_TAIL_RADIUS_SCALE)
            p = np.full(e_k.shape, hadron.HADRONIC_CORE_WEIGHT)
        out.append(_Profile(name, det, index, np.ascontiguousarray(e_k), z_mid[ks],
                            np.ascontiguousarray(rc), np.ascontiguousarray(rt),
                            np.ascontiguousarray(p)))
    return out


def _deposit_profiles(out: dict[str, FloatArray], stack: Stack, profiles: list[_Profile],
                      rows: NDArray[np.int64], x: FloatArray, y: FloatArray, tx: FloatArray,
                      ty: FloatArray) -> None:
    """Add showers of known profiles (:func:`_profiles`) along the axes (x, y, tx, ty) to
    the outputs present in ``out``."""
    for pr in profiles:
        if pr.name not in out:
            continue
        if isinstance(pr.detector, Veto):
            idx = pr.index
            _accumulate(out[pr.name], (np.repeat(rows, idx.size), np.tile(idx, rows.size)),
                        pr.energy.ravel())
            continue
        assert pr.r_core is not None
        assert pr.r_tail is not None
        assert pr.p_core is not None
        xc = x[:, None] + tx[:, None] * pr.z_mid[None, :]
        yc = y[:, None] + ty[:, None] * pr.z_mid[None, :]
        if pr.dx is not None and pr.dy is not None:
            xc = xc + pr.dx
            yc = yc + pr.dy
        xe, ye, act = stack.grids[pr.name]
        deposit_lateral(out[pr.name], rows.astype(np.int64), pr.index, pr.energy,
                        np.ascontiguousarray(xc), np.ascontiguousarray(yc),
                        pr.r_core, pr.r_tail, pr.p_core, xe, ye, act,
                        max(_MIN_SLICE_ENERGY, _NOISE_SHARE * pr.detector.noise))


def _profile_deposit(
    out: dict[str, FloatArray], stack: Stack, sh: _Showers, alpha: FloatArray, beta: FloatArray,
    unit: str, scale_per_section: dict[str, float] | None, lateral: str,
    clusters: tuple[NDArray[np.int64], np.random.Generator] | None = None,
    width: FloatArray | None = None,
    counters: list[tuple[NDArray[np.int64], FloatArray]] | None = None,
) -> None:
    """Deposit Gamma-profile showers: energy (m,), profile in X0 (unit 't') or lambda ('l');
    ``clusters`` and the relative EM shower ``width`` (m,) as for :func:`_profiles`.  With
    ``counters`` the veto counters' shares are not deposited but appended to it as (event
    rows (m,), energy per counter (m, counters))."""
    if sh.energy.size == 0:
        return
    profiles = _profiles(stack, sh, alpha, beta, unit, scale_per_section, lateral, width,
                         clusters=clusters)
    profiles = _to_next_met(profiles, stack, sh, scale_per_section)
    if counters is not None and "veto" in out:
        share = np.zeros((sh.energy.size, out["veto"].shape[1]))
        for pr in profiles:
            if isinstance(pr.detector, Veto):  # (a counter may span several slices)
                for col, k in enumerate(pr.index):
                    share[:, k] += pr.energy[:, col]
        counters.append((sh.rows, share))
        profiles = [pr for pr in profiles if not isinstance(pr.detector, Veto)]
    _deposit_profiles(out, stack, profiles, sh.rows, sh.x, sh.y, sh.tx, sh.ty)


def _em_showers(out: dict[str, FloatArray], setup: Setup, stack: Stack, sh: _Showers,
                rng: np.random.Generator) -> None:
    """GFLASH showers with the target calorimeter's corrections: fluctuating longitudinal
    profile and shower width, the hadron showers of hard photo-nuclear interactions
    (:func:`_photonuclear`) and the loss to the softer ones, and the hits of escaping
    particles in the detectors downstream (:func:`leakage_deposits`)."""
    if sh.energy.size == 0:
        return
    tgt = setup.target
    tuning = tgt.gflash
    lp = em.longitudinal_parameters(
        sh.energy, rng, z_eff=tgt.z_eff, critical_energy=tgt.critical_energy,
        sampling_frequency=tgt.sampling_frequency, e_hat=tgt.e_hat, tuning=tuning,
    )
    in_target = sh.t0 < stack.t_edges[_target_sections(stack)]
    leakage_deposits(out, setup, sh.rows[in_target], sh.energy[in_target], rng)
    if tgt.hard_photonuclear:
        # a stream of its own, spawned without drawing from ``rng``: the rare hadron
        # showers leave the random numbers of everything else unchanged
        sh = _photonuclear(out, setup, stack, sh, np.flatnonzero(in_target), rng.spawn(1)[0])
    if tuning.nuclear_loss_mean > 0.0:
        sh = replace(sh, energy=sh.energy * (1.0 - em.sample_nuclear_loss(
            sh.energy.size, tuning.nuclear_loss_mean, tuning.nuclear_loss_sd, rng)))
    # the lateral fluctuations of 100 GeV showers, scaled to each shower's energy
    fluct = tuning.fluctuation_scale(sh.energy)
    width = (np.exp(tuning.radius_fluctuation * fluct * rng.standard_normal(sh.energy.size))
             if tuning.radius_fluctuation > 0.0 else None)
    profiles = _profiles(stack, sh, lp.alpha, lp.beta, "t", None, "em", width,
                         None if lp.coupling == 1.0 else lp.lateral_age)
    if tuning.axis_fluctuation > 0.0:
        axis = tuning.axis_fluctuation * np.reshape(fluct, (-1, 1))
        profiles = [_displaced(pr, axis, rng)
                    if pr.name == setup.target_name else pr for pr in profiles]
    profiles = _to_next_met(profiles, stack, sh)
    veto = setup.veto
    if veto is not None and veto.shower_particles is not None and in_target.any():
        profiles = counter_particles(profiles, setup, in_target, rng)
    if veto is not None and veto.leakage is not None and veto.leakage.replaces_profile:
        # the counters receive the hits of leakage_deposits instead of the profile's tail
        keep = ~in_target[:, None]
        profiles = [replace(pr, energy=pr.energy * keep) if isinstance(pr.detector, Veto)
                    else pr for pr in profiles]
    _deposit_profiles(out, stack, profiles, sh.rows, sh.x, sh.y, sh.tx, sh.ty)


#: Shape of the Gamma distribution of one shower particle's deposit in a counter around
#: its minimum-ionising mean (assumed: the Landau spread of a few MeV in centimetres of
#: plastic and the spread of path lengths of particles crossing at angles).
COUNTER_PARTICLE_SHAPE = 3.0


def counter_particle_factor(setup: Setup) -> tuple[float, float]:
    """(factor, deposit per particle) of :func:`counter_particles` for ``setup``'s target
    and veto counters, the factor without the counters' acceptance
    (:attr:`~na64.detector.setup.Veto.shower_particles`).

    Deep in a shower the charged particles crossing a plane number about dE/dt / (X0
    dE/dx)_T (the energy deposited per radiation length over what one minimum-ionising
    particle loses in one, PDG 2024 Sec. 34.5), and the shower's energy is seen on the
    electron scale, e/mip of the target.  Each crossing particle leaves (dE/dx)_c d in a
    counter of thickness d, so the counter sees, on average, factor = (X0 dE/dx)_c / (X0
    dE/dx)_T × (e/mip)_T times the profile's energy over its own thickness in radiation
    lengths.  dE/dx: minimum-ionising (βγ = 3.5, PDG 2024 Eq. 34.5); the target's averaged
    over a layer, with its effective X0 (:attr:`~na64.detector.setup.Calorimeter.X0`)."""
    assert setup.veto is not None
    tgt = setup.target
    e_mip = math.hypot(1.0, 3.5) * M_MU
    counter = get_material(setup.veto.material)
    dedx_c = float(muon.mean_dedx(counter, e_mip, M_MU))
    dedx_t = sum(f * float(muon.mean_dedx(m, e_mip, M_MU)) for m, f in tgt.layer_fractions)
    factor = counter.X0 * dedx_c / (tgt.X0 * dedx_t) * tgt.e_over_mip
    return factor, dedx_c * setup.veto.thickness


def counter_particles(profiles: list[_Profile], setup: Setup, in_target: NDArray[np.bool_],
                      rng: np.random.Generator) -> list[_Profile]:
    """The veto counters' shares of the EM showers ``in_target`` as crossing particles.

    The Gamma profile continued into a thin counter gives it the energy per radiation
    length of its own material, a fixed small share of every shower.  What crosses it is a
    number of charged particles: N ~ Poisson(a × factor × share / ε), ε the deposit of one
    and a the counters' acceptance (:func:`counter_particle_factor`,
    :attr:`~na64.detector.setup.Veto.shower_particles`), each leaving a Gamma-distributed
    deposit of mean ε (shape :data:`COUNTER_PARTICLE_SHAPE`); the mean is a × factor ×
    share, and a shower whose tail reaches the counter with a fraction of a particle most
    often leaves nothing.  Energy is conserved where it can be: what the counters see beyond the profile's share is taken
    from the calorimeter slices behind them as far as they hold it, what they see less is
    added to them.  Where the profile's tail behind the counters holds less than the
    particles leave (a tail of one or two particles, a few MeV; its fluctuations are not in
    the mean profile) the counters keep their deposit."""
    factor, per_particle = counter_particle_factor(setup)
    assert setup.veto is not None
    assert setup.veto.shower_particles is not None
    factor *= setup.veto.shower_particles
    rows = np.flatnonzero(in_target)
    out = list(profiles)
    counters = [i for i, pr in enumerate(out) if isinstance(pr.detector, Veto)]
    if not counters or rows.size == 0:
        return out
    deposits = {}
    for i in counters:
        share = out[i].energy[rows]
        n = rng.poisson(np.maximum(share, 0.0) * (factor / per_particle))
        dep = np.zeros(share.shape)
        hit = n > 0
        if hit.any():
            k = COUNTER_PARTICLE_SHAPE
            dep[hit] = rng.gamma(n[hit] * k, per_particle / k)
        deposits[i] = dep
    # energy conserved: what the counters see beyond the profile's share is taken from the
    # calorimeter slices behind them (in proportion), what they see less goes on to them
    extra = sum(deposits[i].sum(axis=1) - out[i].energy[rows].sum(axis=1) for i in counters)
    z_back = max(float(out[i].z_mid.max()) for i in counters)
    behind = [i for i, pr in enumerate(out) if i not in deposits and pr.energy.shape[1]
              and float(pr.z_mid.min()) > z_back]
    left = sum((out[i].energy[rows].sum(axis=1) for i in behind), np.zeros(rows.size))
    taken = np.minimum(extra, left)
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.where(left > 0.0, 1.0 - taken / left, 1.0)
    for i in behind:
        energy = out[i].energy.copy()
        energy[rows] *= keep[:, None]
        out[i] = replace(out[i], energy=energy)
    for i in counters:
        energy = out[i].energy.copy()
        energy[rows] = deposits[i]
        out[i] = replace(out[i], energy=energy)
    return out


def _photonuclear(out: dict[str, FloatArray], setup: Setup, stack: Stack, sh: _Showers,
                  in_target: NDArray[np.int64], rng: np.random.Generator) -> _Showers:
    """The hadronic component of the showers ``in_target`` (indices into ``sh``): photons
    absorbed by nuclei of the target calorimeter (:mod:`na64.detector.photonuclear`)
    become hadron showers of their energy along the shower axis at their depth; the
    electromagnetic shower keeps the rest.  Returns the showers with that energy taken."""
    index, k, dt = photonuclear.sample_interactions(
        photonuclear.photonuclear_table(setup.target), sh.energy[in_target], rng)
    t = sh.t0[in_target[index]] + dt
    inside = t < stack.t_edges[-1]
    if not inside.any():
        return sh
    j, k, t = in_target[index[inside]], k[inside], t[inside]
    energy = sh.energy.copy()
    np.subtract.at(energy, j, k)
    had = _Showers(sh.rows[j], k, t, stack.convert(t, "t", "l"), sh.x[j], sh.y[j], sh.tx[j],
                   sh.ty[j])
    _hadron_showers(out, setup, stack, had, rng)
    return replace(sh, energy=np.maximum(energy, 0.0))


def _to_next_met(profiles: list[_Profile], stack: Stack, sh: _Showers,
                   scale_per_section: dict[str, float] | None = None) -> list[_Profile]:
    """Shower energy whose axis misses a calorimeter -- it crosses its hole (the VHCAL's
    beam hole) or passes beside it -- is not absorbed there: the particles fly on, and
    their energy is put into the first slice of the next calorimeter downstream that the
    axis meets (lost if there is none), rescaled from this calorimeter's response factor
    to that one's (``scale_per_section``, e.g. 1/(e/h) for the hadronic part)."""
    out = list(profiles)
    scale = scale_per_section or {}
    for i, pr in enumerate(out):
        if not isinstance(pr.detector, Calorimeter) or pr.energy.shape[1] == 0:
            continue
        miss = _misses(stack, pr.name, sh.x, sh.y, sh.tx, sh.ty, float(pr.z_mid[0]))
        if not miss.any():
            continue
        moved = pr.energy[miss].sum(axis=1) / scale.get(pr.name, 1.0)
        energy = pr.energy.copy()
        energy[miss] = 0.0
        out[i] = replace(pr, energy=energy)
        rows = np.flatnonzero(miss)
        for j in range(i + 1, len(out)):
            nxt = out[j]
            if not isinstance(nxt.detector, Calorimeter) or nxt.energy.shape[1] == 0:
                continue
            hits = ~_misses(stack, nxt.name, sh.x[rows], sh.y[rows], sh.tx[rows],
                            sh.ty[rows], float(nxt.z_mid[0]))
            if hits.any():
                e_next = nxt.energy.copy()
                e_next[rows[hits], 0] += moved[hits] * scale.get(nxt.name, 1.0)
                out[j] = replace(nxt, energy=e_next)
            rows, moved = rows[~hits], moved[~hits]
            if rows.size == 0:
                break
    return out


def _displaced(pr: _Profile, scale: float | FloatArray, rng: np.random.Generator
               ) -> _Profile:
    """The profile with the axis of each slice displaced by a Gaussian of ``scale`` (a
    number, or one per shower as an (m, 1) column) times the slice's tail radius in x and
    in y: individual showers are not azimuthally symmetric, the few soft particles of
    their outer parts spread unevenly."""
    if pr.r_tail is None:
        return pr
    z = rng.standard_normal((2, *pr.r_tail.shape)) * (scale * pr.r_tail)
    return replace(pr, dx=z[0], dy=z[1])


def _target_sections(stack: Stack) -> int:
    """Index of the first section after the target calorimeter (the sections of the target
    come first in the stack)."""
    first = stack.sections[0].output
    return next((i for i, s in enumerate(stack.sections) if s.output != first),
                len(stack.sections))


def leakage_deposits(out: dict[str, FloatArray], setup: Setup, rows: NDArray[np.int64],
                     energy: FloatArray, rng: np.random.Generator) -> None:
    """Add the hits of particles escaping EM showers of ``energy`` in the target calorimeter
    to the veto counters and the first HCAL module (their ``leakage`` tables).

    A 100 GeV shower in a 40 X0 Pb calorimeter still sends a flux of soft photons (near the
    minimum of the attenuation coefficient, a few MeV) and a few e+- out of its back and
    sides: beyond the maximum the profile decays with an attenuation length ~3.4 X0 and
    the lateral tail extends over many Moliere radii (C. W. Fabjan and F. Gianotti, Rev.
    Mod. Phys. 75 (2003) 1243, Sec. II.A; G. Bathow et al., Nucl. Phys. B 20 (1970) 592,
    transition curves measured to 40 X0 and lateral distributions to 12 R_M).  The GFLASH
    profile describes neither tail, so the hits are drawn here: in each counter (and in the
    first HCAL module) N ~ Poisson(hits_per_gev E/GeV) hits (times (E/100 GeV)^(p − 1) with
    an ``energy_exponent`` p, see :class:`~na64.detector.setup.Leakage`), depositing in total a
    Gamma(N k, hit_energy/k) energy (a sum of N Gamma(k) hits), k = ``hit_shape``.
    """
    if rows.size == 0:
        return
    gev = energy / GeV
    depth = setup.target.length / setup.target.X0
    if setup.veto is not None and setup.veto.leakage is not None and "veto" in out:
        lk = setup.veto.leakage
        scale = _leakage_scale(gev, lk.energy_exponent) * lk.depth_factor(depth)
        for i, rate in enumerate(lk.hits_per_gev):
            _add_hits(out["veto"][:, i], rows, scale * rate, lk.hit_energy, lk.hit_shape, rng)
    hcal = setup.hcal
    if hcal is not None and hcal.leakage is not None and "hcal" in out:
        lk = hcal.leakage
        ny, nx = out["hcal"].shape[2:]
        dep = np.zeros(out["hcal"].shape[0])
        _add_hits(dep, rows, _leakage_scale(gev, lk.energy_exponent) * lk.depth_factor(depth)
                  * lk.hits_per_gev[0], lk.hit_energy, lk.hit_shape, rng)
        out["hcal"][:, 0] += dep[:, None, None] / (nx * ny)


def _leakage_scale(gev: FloatArray, exponent: float) -> FloatArray:
    """E/GeV × (E/100 GeV)^(p − 1): the hits per unit ``hits_per_gev`` (:class:`Leakage`)."""
    if exponent == 1.0:
        return gev
    return np.asarray(gev * (np.maximum(gev, 0.0) / 100.0) ** (exponent - 1.0))


def track_leakage_deposits(out: dict[str, FloatArray], setup: Setup,
                           rows: NDArray[np.int64], rng: np.random.Generator,
                           *, hadron: bool = False) -> None:
    """Add to the veto counters the particles that accompany charged tracks (rows) out of
    the target calorimeter.

    A fast charged particle leaves a thick absorber with the knock-on electrons, photons
    and pairs it produced in the last radiation lengths: dN/dT = xi/T^2 (PDG 2024
    Eq. 34.6) per unit thickness, and an electron of kinetic energy T escapes from the
    last CSDA range R(T) of the absorber, so about xi' int R(T)/T^2 dT of them per track,
    a few tenths for lead.  The N ~ Poisson(``hits_per_track``) accompanying particles
    cross all the counters behind: each counter receives the same Gamma(N k,
    ``track_hit_energy``/k) deposit (k = ``track_hit_shape``); for hadrons (``hadron``)
    the ``hadron_*`` values of the table when it has them.
    """
    veto = setup.veto
    if rows.size == 0 or veto is None or veto.leakage is None or "veto" not in out:
        return
    lk = veto.leakage
    nu, energy, k = lk.hits_per_track, lk.track_hit_energy, lk.track_hit_shape
    if hadron and lk.hadron_hits_per_track is not None:
        nu, energy, k = (lk.hadron_hits_per_track, lk.hadron_track_hit_energy,
                         lk.hadron_track_hit_shape)
    if nu <= 0.0 or energy is None:
        return
    n = rng.poisson(nu, rows.size)
    hit = n > 0
    if not hit.any():
        return
    dep = rng.gamma(n[hit] * k, energy / k)
    for i in range(veto.counters):
        np.add.at(out["veto"][:, i], rows[hit], dep)


def _add_hits(target: FloatArray, rows: NDArray[np.int64], mean_hits: FloatArray,
              hit_energy: float, shape: float, rng: np.random.Generator) -> None:
    n = rng.poisson(mean_hits)
    hit = n > 0
    if not hit.any():
        return
    e = rng.gamma(n[hit] * shape, hit_energy / shape)
    np.add.at(target, rows[hit], e)


class MeanEMShower:
    """The *average* GFLASH showers (no fluctuations) of electrons of given energies entering
    the target along the beam axis, ready to be deposited at any impact points.

    The longitudinal profile and the lateral radii do not depend on the impact point, so a
    fit of the impact point (:func:`na64.reco.fit_shower`) computes them once and calls
    :meth:`deposit` per iteration.
    """

    def __init__(self, setup: Setup, energy: NDArray[np.floating]) -> None:
        self._stack = build_stack(setup)
        e = np.asarray(energy, dtype=float).ravel()
        self.n = e.size
        tgt = setup.target
        lp = em.longitudinal_parameters(
            e, np.random.default_rng(0), z_eff=tgt.z_eff, critical_energy=tgt.critical_energy,
            sampling_frequency=tgt.sampling_frequency, e_hat=tgt.e_hat, fluctuate=False,
            tuning=tgt.gflash,
        )
        zero = np.zeros(self.n)
        sh = _Showers(np.arange(self.n, dtype=np.int64), np.maximum(e, 0.0), zero, zero,
                      zero, zero, zero, zero)
        self._profiles = (_profiles(self._stack, sh, lp.alpha, lp.beta, "t", None, "em")
                          if self.n else [])

    def deposit(self, x: NDArray[np.floating], y: NDArray[np.floating],
                outputs: tuple[str, ...] | None = None) -> dict[str, FloatArray]:
        """Cell deposits of the showers with impact points ``(x, y)`` (one per energy), for
        every output of the setup or only ``outputs``."""
        out = _new_outputs(self._stack, self.n, outputs)
        zero = np.zeros(self.n)
        _deposit_profiles(out, self._stack, self._profiles, np.arange(self.n, dtype=np.int64),
                          np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel(),
                          zero, zero)
        return out

    def take(self, rows: NDArray[np.integer]) -> MeanEMShower:
        """The showers ``rows`` (indices, repeats allowed) of this batch, as a new batch
        (the profiles are not recomputed)."""
        idx = np.asarray(rows, dtype=np.int64).ravel()
        out = object.__new__(MeanEMShower)
        out._stack = self._stack
        out.n = idx.size
        per_shower = ("energy", "r_core", "r_tail", "p_core", "dx", "dy")
        out._profiles = [replace(pr, **{f: getattr(pr, f)[idx] for f in per_shower
                                        if getattr(pr, f) is not None})
                         for pr in self._profiles]
        return out

    def deposit_block(self, x: NDArray[np.floating], y: NDArray[np.floating], name: str,
                      block_y: NDArray[np.integer], block_x: NDArray[np.integer],
                      shape: tuple[int, int]) -> FloatArray:
        """The cells of output ``name`` (a calorimeter) in one block per shower:
        ``(n, layers, wy, wx)`` with ``[j, :, a, b]`` the cell ``(block_y[j] + a,
        block_x[j] + b)`` of :meth:`deposit`, bit for bit, for ``shape = (wy, wx)``.

        Only the corners of each block are integrated: a fit that compares a few cells
        around the shower maximum pays for those cells, not for the whole calorimeter.
        """
        xe, ye, act = self._stack.grids[name]
        return self._block(x, y, name, xe, ye, act, block_y, block_x, shape)

    def deposit_grid(self, x: NDArray[np.floating], y: NDArray[np.floating], name: str,
                     x_edges: NDArray[np.floating], y_edges: NDArray[np.floating]
                     ) -> FloatArray:
        """The showers of calorimeter ``name`` (its sections and lateral profiles) on
        another cell grid, every cell active: ``(n, layers, ny, nx)`` for the cell edges
        ``x_edges`` (nx + 1) and ``y_edges`` (ny + 1), in mm.

        Used to tabulate the mean shower's cell fractions against the impact point
        (:mod:`na64.reco.shower_table`) on a grid larger than the calorimeter's own.
        """
        xe = np.ascontiguousarray(x_edges, dtype=float)
        ye = np.ascontiguousarray(y_edges, dtype=float)
        act = np.ones((ye.size - 1, xe.size - 1), dtype=bool)
        zero = np.zeros(self.n, dtype=np.int64)
        return self._block(x, y, name, xe, ye, act, zero, zero, act.shape)

    def _block(self, x: NDArray[np.floating], y: NDArray[np.floating], name: str,
               xe: FloatArray, ye: FloatArray, act: NDArray[np.bool_],
               block_y: NDArray[np.integer], block_x: NDArray[np.integer],
               shape: tuple[int, int]) -> FloatArray:
        layers = self._stack.shapes[name][0]
        wy, wx = shape
        out = np.zeros((self.n, layers, wy, wx))
        zero = np.zeros(self.n)
        xs = np.asarray(x, dtype=float).ravel()
        ys = np.asarray(y, dtype=float).ravel()
        for pr in self._profiles:
            if pr.name != name:
                continue
            if isinstance(pr.detector, Veto):
                raise InputError("name", f"{name!r} is a veto, not a calorimeter")
            assert pr.r_core is not None
            assert pr.r_tail is not None
            assert pr.p_core is not None
            xc = xs[:, None] + zero[:, None] * pr.z_mid[None, :]
            yc = ys[:, None] + zero[:, None] * pr.z_mid[None, :]
            deposit_lateral_block(out, pr.index, pr.energy, np.ascontiguousarray(xc),
                                  np.ascontiguousarray(yc), pr.r_core, pr.r_tail, pr.p_core,
                                  xe, ye, act,
                                  max(_MIN_SLICE_ENERGY, _NOISE_SHARE * pr.detector.noise),
                                  np.asarray(block_y, dtype=np.int64),
                                  np.asarray(block_x, dtype=np.int64))
        return out


def mean_em_deposit(setup: Setup, energy: NDArray[np.floating], x: NDArray[np.floating],
                    y: NDArray[np.floating]) -> dict[str, FloatArray]:
    """Cell deposits of the *average* GFLASH shower (no fluctuations) of an electron of
    ``energy`` entering the target at ``(x, y)`` along the beam axis (for shower-shape fits).
    """
    return MeanEMShower(setup, energy).deposit(x, y)


def _hadron_showers(out: dict[str, FloatArray], setup: Setup, stack: Stack, sh: _Showers,
                    rng: np.random.Generator, albedo: list[_Showers] | None = None,
                    tracks: list[tuple[NDArray[np.int64], FloatArray]] | None = None) -> None:
    """Deposit hadron showers; with ``albedo``, also append them to it (their albedo into
    the counters in front of them is drawn once the event's other showers are done,
    :func:`backsplash_deposits`); with ``tracks`` and a ``[veto.hadron_tracks]`` table, the
    veto counters' shares of the hadronic part are appended to it instead of deposited
    (drawn as particles crossing the counters, :func:`hadron_track_deposits`)."""
    if sh.energy.size == 0:
        return
    f_em = hadron.sample_em_fraction(sh.energy, rng)
    a_em, b_em, a_h, d_h = hadron.profile_parameters(sh.energy)
    em_part = _Showers(sh.rows, sh.energy * f_em, sh.t0, sh.l0, sh.x, sh.y, sh.tx, sh.ty)
    # the pi0s come from many points of the cascade, off its axis: wider than an EM
    # shower of the same energy starting on the axis
    _profile_deposit(out, stack, em_part, a_em, b_em, "t", None, "em",
                     width=np.full(sh.energy.size, hadron.EM_PART_WIDTH_SCALE))
    had = _Showers(sh.rows, sh.energy * (1.0 - f_em), sh.t0, sh.l0, sh.x, sh.y, sh.tx, sh.ty)
    inv_eh = {s.output: 1.0 / s.detector.e_over_h for s in stack.sections
              if isinstance(s.detector, Calorimeter)}
    clusters = ((hadron.cluster_count(had.energy), rng) if hadron.CLUSTER_ENERGY > 0
                else None)
    crossing = tracks if setup.veto is not None and setup.veto.hadron_tracks is not None else None
    _profile_deposit(out, stack, had, a_h, d_h, "l", inv_eh, "had", clusters=clusters,
                     counters=crossing)
    if albedo is not None and setup.veto is not None and setup.veto.backsplash is not None:
        albedo.append(sh)


def backsplash_mean_hits(setup: Setup, stack: Stack, l0: FloatArray,
                         energy: FloatArray) -> FloatArray:
    """Mean number of albedo hits in each veto counter (columns) from hadron showers of
    ``energy`` starting at depth ``l0`` (interaction lengths of ``stack``), per
    :class:`~na64.detector.setup.Backsplash`; zeros for a shower that starts anywhere but
    in a calorimeter behind the counter, and without a ``[veto.backsplash]`` table."""
    veto = setup.veto
    counters = [s for s in stack.sections if s.output == "veto"]
    mean = np.zeros((np.size(l0), len(counters)))
    if veto is None or veto.backsplash is None or not counters or np.size(l0) == 0:
        return mean
    bs = veto.backsplash
    # the section each shower starts in, and the face of the calorimeter it belongs to
    face_z, face_l, is_cal = stack.faces
    l0 = np.asarray(l0, dtype=float)
    sec = np.clip(np.searchsorted(stack.l_edges, l0, side="right") - 1, 0, face_z.size - 1)
    z_start = stack.convert(l0, "l", "z")
    base = (bs.hits * (np.maximum(energy, 0.0) / (100.0 * GeV)) ** bs.energy_exponent
            * np.exp(-np.maximum(l0 - face_l[sec], 0.0) / bs.attenuation_lambda))
    for i, c in enumerate(counters):
        # counters between this one and each section's calorimeter face
        between = np.array([sum(1 for o in counters if o.z0 >= c.z1 and o.z1 <= f)
                            for f in face_z])
        behind = is_cal[sec] & (face_z[sec] >= c.z1)
        d = np.maximum(z_start - 0.5 * (c.z0 + c.z1), 0.5 * (c.z1 - c.z0))
        mean[:, i] = np.where(behind, base * (bs.distance / d) ** 2
                              * bs.transmission ** between[sec], 0.0)
    return mean


def _shower_factor(spread: float, n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` Gamma factors of mean 1 and relative spread ``spread`` (ones, drawing nothing,
    for a spread too small to be told from 0: shape 1/spread² would overflow)."""
    if spread <= 1e-6:
        return np.ones(n)
    shape = 1.0 / spread**2
    return np.asarray(rng.gamma(shape, 1.0 / shape, n), dtype=float)


def backsplash_deposits(out: dict[str, FloatArray], setup: Setup, stack: Stack,
                        sh: _Showers, rng: np.random.Generator) -> None:
    """Add to the veto counters the albedo of the hadron showers ``sh`` that start in a
    calorimeter behind them (:class:`~na64.detector.setup.Backsplash`): Poisson hits of
    mean :func:`backsplash_mean_hits`, each of Gamma-distributed energy."""
    veto = setup.veto
    if veto is None or veto.backsplash is None or "veto" not in out or sh.energy.size == 0:
        return
    mean = backsplash_mean_hits(setup, stack, sh.l0, sh.energy)
    # one intensity per shower, shared by the counters
    mean = mean * _shower_factor(veto.backsplash.shower_spread, mean.shape[0], rng)[:, None]
    for i in range(mean.shape[1]):
        some = mean[:, i] > 0.0
        if some.any():
            _add_hits(out["veto"][:, i], sh.rows[some], mean[some, i],
                      veto.backsplash.hit_energy, veto.backsplash.hit_shape, rng)


def hadron_track_deposits(out: dict[str, FloatArray], setup: Setup,
                          shares: list[tuple[NDArray[np.int64], FloatArray]],
                          rng: np.random.Generator) -> None:
    """Add to the veto counters the particles of hadron showers crossing them
    (:class:`~na64.detector.setup.HadronTracks`): for each shower and counter with a profile
    share e (the hadronic part's energy over the counter's thickness, from ``shares`` =
    [(event rows, shares (m, counters))]), N ~ Poisson(visible_fraction × e × g /
    hit_energy) hits of Gamma-distributed energy, g a Gamma factor of mean 1 per shower
    common to its counters."""
    veto = setup.veto
    if veto is None or veto.hadron_tracks is None or "veto" not in out or not shares:
        return
    ht = veto.hadron_tracks
    rows = np.concatenate([r for r, _ in shares])
    mean = np.concatenate([e for _, e in shares], axis=0) * (ht.visible_fraction / ht.hit_energy)
    some = mean.sum(axis=1) > 0.0
    rows, mean = rows[some], mean[some]
    if rows.size == 0:
        return
    mean = mean * _shower_factor(ht.shower_spread, rows.size, rng)[:, None]
    for i in range(mean.shape[1]):
        _add_hits(out["veto"][:, i], rows, mean[:, i], ht.hit_energy, ht.hit_shape, rng)


# --------------------------------------------------------------------------------------
# tracks
# --------------------------------------------------------------------------------------
def _tracks(out: dict[str, FloatArray], stack: Stack, rows: NDArray[np.int64], energy: FloatArray,
            mass: FloatArray, x: FloatArray, y: FloatArray, tx: FloatArray, ty: FloatArray,
            l_from: FloatArray, l_stop: FloatArray, radiative: bool, rng: np.random.Generator,
            *, exit_loss: FloatArray | None = None, z_exit: float = math.inf,
            ) -> tuple[_Showers, FloatArray]:
    """Ionization of charged tracks between depths ``l_from`` and ``l_stop`` (lambda); for
    muons also the catastrophic losses, returned as EM showers.  Also returns the true
    energy each track lost to ionization (to be removed from a shower that follows).  The
    ionization and radiative losses of a track add up to at most its kinetic energy: a slow
    track ranges out.  (A muon's losses are drawn at its incoming energy in every section;
    those of a section that would exceed what the track has left are scaled down to it.)

    With ``exit_loss`` (one entry per track), the energy each track loses in the sections
    that end before ``z_exit`` (absolute z, mm), ionization and catastrophic losses, is
    added to it: what a spectrometer at ``z_exit`` sees the track lack."""
    sh_parts: list[_Showers] = []
    lost_all = np.zeros(rows.size)
    if rows.size == 0:
        return _empty_showers(), lost_all
    moving = energy > mass * (1.0 + 1e-6)
    l_stop = np.where(moving, l_stop, -np.inf)
    # the kinetic energy each track still has to lose (see the docstring)
    t_left = np.maximum(energy - mass, 0.0)
    for s in stack.sections:
        span = s.l1 - s.l0
        if span <= 0:
            continue
        f_lo = np.clip((l_from - s.l0) / span, 0.0, 1.0)
        frac = np.clip((l_stop - s.l0) / span, 0.0, 1.0) - f_lo
        hit = frac > 0
        if isinstance(s.detector, Calorimeter):
            # a track through a hole (the VHCAL's beam hole) or beside the calorimeter
            # crosses no material
            hit &= ~_misses(stack, s.output, x, y, tx, ty,
                            0.5 * (s.z0 + s.z1) - stack.target_z)
        if not hit.any():
            continue
        r, e, m, f = rows[hit], energy[hit], mass[hit], frac[hit]
        f0 = f_lo[hit]
        det = s.detector
        if isinstance(det, Calorimeter):
            d_act = (s.z1 - s.z0) * det.active_thickness / det.layer_thickness * f
            d_abs = (s.z1 - s.z0) * det.absorber_thickness / det.layer_thickness * f
            # MIP-like body in the active layers, seen through the electron sampling
            # fraction f_e = (e/mip) f_mip; knock-ons from the absorber (all above
            # delta_ray_threshold, or the hard ones that complete the Bethe mean) and the
            # hard ones of the active layers shower and are counted at the EM scale.
            body = np.empty_like(e)
            knock = np.zeros_like(e)
            # a muon's knock-ons above HARD_LOSS_ENERGY are hard losses, showers of their own
            t_up = muon.HARD_LOSS_ENERGY if radiative else None
            for mval in np.unique(m):
                sel = m == mval
                b_act, k_act = muon.sample_ionization_parts(det.active_material, d_act[sel],
                                                            e[sel], rng, mass=float(mval),
                                                            t_upper=t_up)
                if det.delta_ray_threshold is None:
                    _, k_abs = muon.sample_ionization_parts(det.absorber_material, d_abs[sel],
                                                            e[sel], rng, mass=float(mval),
                                                            t_upper=t_up)
                else:
                    k_abs = muon.sample_delta_rays(det.absorber_material, d_abs[sel], e[sel],
                                                   rng, det.delta_ray_threshold,
                                                   mass=float(mval), t_upper=t_up)
                body[sel] = b_act
                knock[sel] = k_act + k_abs
            act_mean = muon.mean_dedx(det.active_material, e, M_MU) * det.active_thickness
            abs_mean = muon.mean_dedx(det.absorber_material, e, M_MU) * det.absorber_thickness
            den = act_mean + abs_mean
            f_mip = np.where(den > 0, act_mean / np.where(den > 0, den, 1.0),
                             det.active_thickness / det.layer_thickness)
            calibrated = body / det.electron_sampling_fraction + knock
            lost_raw = body / f_mip + knock
            lost_sec = np.minimum(lost_raw, t_left[hit])
            short = lost_raw > lost_sec
            if short.any():
                calibrated[short] *= lost_sec[short] / lost_raw[short]
            t_left[hit] -= lost_sec
            lost_all[hit] += lost_sec
            before_exit = exit_loss is not None and s.z1 <= z_exit
            if before_exit:
                exit_loss[hit] += lost_sec  # type: ignore[index]
            zmid = 0.5 * (s.z0 + s.z1) - stack.target_z
            xs = x[hit] + tx[hit] * zmid
            ys = y[hit] + ty[hit] * zmid
            xe, ye, act = stack.grids[s.output]
            ix = np.searchsorted(xe, xs) - 1
            iy = np.searchsorted(ye, ys) - 1
            inside = (ix >= 0) & (ix < xe.size - 1) & (iy >= 0) & (iy < ye.size - 1)
            inside[inside] &= act[iy[inside], ix[inside]]
            _accumulate(out[s.output], (r[inside], np.full(int(inside.sum()), s.index),
                                        iy[inside], ix[inside]), calibrated[inside])
            if radiative:
                b_rho_x = (muon.b_radiative(det.absorber_material) * det.absorber_material.density
                           * d_abs + muon.b_radiative(det.active_material)
                           * det.active_material.density * d_act)
                # soft losses from the fitted power laws, losses above
                # HARD_LOSS_ENERGY from the cross sections
                p_soft, l_soft, w_soft = muon.sample_catastrophic(
                    b_rho_x, e, rng, v_upper=muon.HARD_LOSS_ENERGY / np.maximum(e, 1e-300))
                p_hard, l_hard, w_hard, proc = muon.sample_hard_losses(
                    ((det.absorber_material, d_abs), (det.active_material, d_act)), e, rng,
                    with_process=True)
                parent = np.concatenate([p_soft, p_hard])
                e_loss = np.concatenate([l_soft, l_hard])
                where = np.concatenate([w_soft, w_hard])
                # a bremsstrahlung photon showers as the pair it converts into
                photon = np.concatenate([np.zeros(p_soft.size, dtype=bool),
                                         proc == muon.HARD_PROCESSES.index("brems")])
                if parent.size:
                    # the section's radiative losses of a track are scaled down to the
                    # kinetic energy its ionization left (drawn at the incoming energy,
                    # they could add up to more than the track has)
                    hits = np.flatnonzero(hit)
                    total = np.bincount(parent, weights=e_loss, minlength=hits.size)
                    left = t_left[hits]
                    over = total > left
                    if over.any():
                        scale = np.ones(hits.size)
                        scale[over] = left[over] / total[over]
                        e_loss = e_loss * scale[parent]
                    t_left[hits] -= np.minimum(total, left)
                    pos = f0[parent] + where * f[parent]
                    t0 = s.t0 + pos * (s.t1 - s.t0)
                    l0 = s.l0 + pos * (s.l1 - s.l0)
                    h = hits[parent]
                    sh_parts.append(_photon_pairs(
                        _Showers(rows[h], e_loss, t0, l0, x[h], y[h], tx[h], ty[h]), photon,
                        stack, rng))
                    if before_exit:
                        np.add.at(exit_loss, h, e_loss)  # type: ignore[arg-type]
        else:
            mat_thick = (s.z1 - s.z0) * f
            de = np.empty_like(e)
            mat = get_material(det.material)
            for mval in np.unique(m):
                sel = m == mval
                body, knock = muon.sample_ionization_parts(mat, mat_thick[sel], e[sel], rng,
                                                           mass=float(mval))
                # a knock-on electron leaves at most about a track's mean loss in a thin
                # counter (it crosses it or stops); the rest escapes
                cap = muon.mean_dedx(mat, e[sel], float(mval)) * mat_thick[sel]
                de[sel] = body + np.minimum(knock, cap)
            de = np.minimum(de, t_left[hit])
            t_left[hit] -= de
            _accumulate(out[s.output], (r, np.full(r.size, s.index)), de)
            lost_all[hit] += de
            if exit_loss is not None and s.z1 <= z_exit:
                exit_loss[hit] += de
    return _concat(sh_parts), lost_all  # (at most the kinetic energy: t_left)


def _misses(stack: Stack, name: str, x: FloatArray, y: FloatArray, tx: FloatArray,
            ty: FloatArray, z: float) -> NDArray[np.bool_]:
    """Axes (x, y, tx, ty at the target face) that meet no material of the calorimeter
    ``name`` at depth ``z`` (mm from the target face): outside its cells, or through a
    cell without active material (the hole of a calorimeter with ``hole > 0``)."""
    xe, ye, act = stack.grids[name]
    ix = np.searchsorted(xe, x + tx * z) - 1
    iy = np.searchsorted(ye, y + ty * z) - 1
    inside = (ix >= 0) & (ix < xe.size - 1) & (iy >= 0) & (iy < ye.size - 1)
    miss = np.ones(x.size, dtype=bool)
    miss[inside] = ~act[iy[inside], ix[inside]]
    return miss


def _accumulate(arr: FloatArray, index: tuple[NDArray[np.integer], ...],
                values: FloatArray) -> None:
    """Unbuffered ``arr[index] += values`` (repeated indices add up)."""
    flat = arr.reshape(-1)
    np.add.at(flat, np.ravel_multi_index(index, arr.shape), values)


def _empty_showers() -> _Showers:
    z = np.zeros(0)
    return _Showers(np.zeros(0, dtype=np.int64), z, z, z, z, z, z, z)


def _photon_pairs(sh: _Showers, photon: NDArray[np.bool_], stack: Stack,
                  rng: np.random.Generator) -> _Showers:
    """``sh`` with each photon (``photon``, a mask) replaced by the pair it converts into:
    at an exponential depth of mean :data:`~na64.detector.em.PHOTON_CONVERSION_X0` beyond
    the photon's start (PDG 2024 Eq. 34.31), the electron taking the fraction x of the
    energy from the complete-screening spectrum (Eq. 34.30; both from
    :func:`em.sample_conversion`), the positron the rest: two electron showers from there
    (beyond the stack: lost)."""
    if not photon.any():
        return sh
    p = np.flatnonzero(photon)
    depth, x = em.sample_conversion(p.size, rng)
    t = sh.t0[p] + depth
    ell = stack.convert(t, "t", "l")
    keep = np.flatnonzero(~photon)
    rest = _Showers(*(getattr(sh, f)[keep] for f in _SHOWER_FIELDS))
    pairs = [_Showers(sh.rows[p], sh.energy[p] * share, t, ell, sh.x[p], sh.y[p], sh.tx[p],
                      sh.ty[p]) for share in (x, 1.0 - x)]
    return _concat([rest, *pairs])


_SHOWER_FIELDS = ("rows", "energy", "t0", "l0", "x", "y", "tx", "ty")


def _concat(parts: list[_Showers]) -> _Showers:
    if not parts:
        return _empty_showers()
    return _Showers(*(np.concatenate([getattr(p, f) for p in parts]) for f in _SHOWER_FIELDS))


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
def deposit(setup: Setup, particles: dict[str, NDArray[np.generic]],
            rng: np.random.Generator) -> dict[str, FloatArray]:
    """Energy deposited in every cell (electromagnetic scale, no resolution effects).

    Parameters
    ----------
    setup
        The detector setup.
    particles
        Columns ``pdg``, ``energy`` (MeV), ``x``, ``y`` (mm at the target face), ``tx``,
        ``ty`` (slopes); optional ``z_start`` (mm from the target face where the particle
        starts: a shower starts there, a track starts there), ``e_invisible`` (MeV carried
        away invisibly; an electron with ``e_invisible > 0`` and ``z_start`` inside the
        target is a beam electron that emitted it at ``z_start``: its track up to there is
        simulated) and ``event`` (event row of each particle, to put several particles,
        e.g. the e+e- of a visible decay, into one event; default: one per event);
        ``force_cex`` (bool): a charged pion marked so whose first interaction falls in
        the setup gives it to a charge exchange (an EM shower of its whole energy)
        instead of the probability :data:`~na64.detector.hadron.CHARGE_EXCHANGE_PROBABILITY`
        — a forced step whose probability the caller carries as an event weight;
        ``converted`` (bool): a photon marked so showers from ``z_start`` as it is (the
        radiation of an electron, many photons); any other photon converts into a pair
        first, at an exponential depth of mean 9/7 X0 beyond ``z_start``.
    rng
        Random generator (shower fluctuations, interaction depths, energy losses).

    Returns
    -------
    dict
        One array per detector: calorimeters ``(n, sections, ny, nx)``, veto ``(n, counters)``;
        ``true_interaction_z``: depth (mm from the target face) of the first nuclear
        interaction of a hadron, -1 if none; in a setup with a spectrometer behind the
        target (:func:`exit_z`), ``true_exit_energy`` and ``true_exit_pdg``: energy (0 if
        none) and code of the most energetic muon reaching its first station, after its
        ionization and radiative losses on the way, and ``true_exit_x``, ``true_exit_tx``,
        ``true_exit_y``, ``true_exit_ty``: the straight line it leaves the target on
        (``x + tx z``, z from the target face; its own line, kinked by a signal emission,
        plus the multiple scattering of the target, :func:`na64.detector.muon.scatter_through`).
    """
    if "pdg" not in particles:
        raise InputError("particles.pdg", "required column is missing")
    pdg = np.asarray(particles["pdg"]).astype(np.int64)
    if pdg.ndim != 1:
        raise InputError("particles.pdg", "must be a 1-d array")
    n = pdg.size
    energy = _column(particles, "energy", n, None)
    if np.any(energy < 0):
        raise InputError("particles.energy", "must be >= 0 MeV")
    x = _column(particles, "x", n, 0.0)
    y = _column(particles, "y", n, 0.0)
    tx = _column(particles, "tx", n, 0.0)
    ty = _column(particles, "ty", n, 0.0)
    z_start = _column(particles, "z_start", n, 0.0)
    e_inv = _column(particles, "e_invisible", n, 0.0)
    z_stop = (np.asarray(particles["z_stop"], dtype=float) if "z_stop" in particles
              else np.full(n, np.inf))
    force_cex = (np.asarray(particles["force_cex"], dtype=bool) if "force_cex" in particles
                 else np.zeros(n, dtype=bool))
    if force_cex.shape != (n,):
        raise InputError("particles.force_cex", f"must be a 1-d array of {n} booleans")
    converted = (np.asarray(particles["converted"], dtype=bool) if "converted" in particles
                 else np.zeros(n, dtype=bool))
    if converted.shape != (n,):
        raise InputError("particles.converted", f"must be a 1-d array of {n} booleans")
    stack = build_stack(setup)
    event, n_out = _event_rows(particles, n)
    depth = stack.sections[-1].z1 - stack.target_z
    if np.any((z_start < 0) | (z_start > depth)):
        raise InputError("particles.z_start",
                         f"must be in [0, {depth:g}] mm (target face to the last detector)")
    if np.any((e_inv < 0) | (e_inv > energy)):
        raise InputError("particles.e_invisible", "must be in [0, energy]")
    out = _new_outputs(stack, n_out)
    out["true_interaction_z"] = np.full(n_out, -1.0)
    apdg = np.abs(pdg)
    z_abs = z_start + stack.target_z
    t_start, l_start = _depth_coordinates(stack, z_abs)
    l_end = stack.sections[-1].l1

    # an electron or photon entering at the target face beside the target (or through a
    # hole) meets no material there: its shower starts at the face of the first
    # calorimeter its axis meets (hadrons: their interaction depth skips the calorimeters
    # they miss, :func:`_interaction_depth`; tracks: :func:`_tracks`)
    face = (z_start <= 0.0) & np.isin(apdg, list(EM_PDG))
    if face.any():
        l_met, t_met = _first_met(stack, x[face], y[face], tx[face], ty[face])
        t_start = t_start.copy()
        l_start = l_start.copy()
        t_start[face] = np.maximum(t_start[face], t_met)
        l_start[face] = np.maximum(l_start[face], l_met)

    showers: list[_Showers] = []
    z_exit = stack.target_z + exit_z(setup)
    # particles reaching the spectrometer behind the target: (row, energy, pdg, line), the
    # line (x, tx, y, ty) on which they leave, written at the target face
    leaving: list[tuple[NDArray[np.int64], FloatArray, NDArray[np.int64],
                        tuple[FloatArray, FloatArray, FloatArray, FloatArray]]] = []
    # electromagnetic particles: a shower from z_start; a beam electron that gave
    # e_invisible to an invisible particle at z_start inside the target first crosses
    # the target up to z_start as a track.
    idx = np.flatnonzero(np.isin(apdg, list(EM_PDG)))
    if idx.size:
        e_shower = energy - e_inv
        pre = idx[(z_start[idx] > 0) & (apdg[idx] == 11) & (e_inv[idx] > 0)
                  & (z_start[idx] <= setup.target.length)]
        if pre.size:
            _, lost = _tracks(out, stack, event[pre], energy[pre], np.full(pre.size, M_E),
                              x[pre], y[pre], tx[pre], ty[pre], np.zeros(pre.size),
                              l_start[pre], False, rng)
            e_shower[pre] = np.maximum(e_shower[pre] - lost, 0.0)
        # e+- born downstream of the target (the pair of a decay in flight): tracks through
        # the counters before the next calorimeter, where their shower starts
        t_start = t_start.copy()
        born = idx[(apdg[idx] == 11) & (z_start[idx] > setup.target.length)]
        if born.size:
            l_cal, t_cal = _next_calorimeter(stack, z_abs[born])
            _, lost = _tracks(out, stack, event[born], energy[born], np.full(born.size, M_E),
                              x[born], y[born], tx[born], ty[born], l_start[born], l_cal,
                              False, rng)
            e_shower[born] = np.maximum(e_shower[born] - lost, 0.0)
            t_start[born] = np.maximum(t_start[born], t_cal)
            l_start[born] = np.maximum(l_start[born], l_cal)
            # an e+- born before the spectrometer behind the target crosses it (its losses
            # in the thin counters on the way are neglected)
            ahead = born[z_abs[born] < z_exit]
            leaving.append((event[ahead], energy[ahead], pdg[ahead],
                            (x[ahead], tx[ahead], y[ahead], ty[ahead])))
        # a photon showers as its pair, unless it is marked as converted (its shower
        # starts at z_start: e.g. the radiation of an electron, not one photon)
        showers.append(_photon_pairs(
            _Showers(event[idx], e_shower[idx], t_start[idx], l_start[idx], x[idx], y[idx],
                     tx[idx], ty[idx]), (apdg[idx] == 22) & ~converted[idx], stack, rng))
    # muons: tracks from z_start to the end; a beam muon that gave e_invisible to an
    # invisible particle at z_start inside the target first crosses the target up to
    # z_start with its full energy, then goes on with energy - e_invisible
    idx = np.flatnonzero(np.isin(apdg, list(MUON_PDG)))
    measured = math.isfinite(z_exit)  # a spectrometer measures what leaves the target
    if idx.size:
        exit_loss = np.zeros(idx.size)
        mu_mass = np.full(idx.size, M_MU)
        emits = (z_start[idx] > 0) & (e_inv[idx] > 0) & (z_start[idx] <= setup.target.length)
        l_face = _depth_coordinates(stack, np.full(idx.size, stack.target_z))[1]
        if emits.any():
            pre = np.flatnonzero(emits)
            pre_loss = np.zeros(pre.size)
            ip = idx[pre]
            showers.append(_tracks(out, stack, event[ip], energy[ip], mu_mass[pre], x[ip],
                                   y[ip], tx[ip], ty[ip], l_face[pre], l_start[ip], True, rng,
                                   exit_loss=pre_loss, z_exit=z_exit)[0])
            exit_loss[pre] += pre_loss
        e_after = energy[idx] - e_inv[idx]
        # a muon that decays in flight (z_stop) ends there
        stops = np.isfinite(z_stop[idx])
        l_stop = np.full(idx.size, np.inf)
        if stops.any():
            l_stop[stops] = _depth_coordinates(stack, z_stop[idx][stops] + stack.target_z)[1]
        showers.append(_tracks(out, stack, event[idx], e_after, mu_mass, x[idx], y[idx],
                               tx[idx], ty[idx], l_start[idx], l_stop, True,
                               rng, exit_loss=exit_loss, z_exit=z_exit)[0])
        if measured:
            reach = (z_start[idx] + stack.target_z < z_exit) & (z_stop[idx] + stack.target_z
                                                                 >= z_exit)
            e_exit = np.where(reach, np.maximum(e_after - exit_loss, 0.0), 0.0)
            # the line it leaves on: its own (after the kink of an emission) plus the
            # multiple scattering in the target before and after the emission point; a
            # stream of its own, so that the losses' random numbers stay the same
            length = setup.target.length
            zs = np.clip(z_start[idx], 0.0, length)
            d = muon.scatter_through(
                [(np.zeros(idx.size), np.where(emits, zs, 0.0), energy[idx]),
                 (zs, np.full(idx.size, length), e_after)],
                length, setup.target.X0, M_MU, rng.spawn(1)[0])
            leaving.append((event[idx], e_exit, pdg[idx],
                            (x[idx] + d[0], tx[idx] + d[1], y[idx] + d[2], ty[idx] + d[3])))
    if measured:
        # one particle per event leaves towards the spectrometer: the most energetic
        out["true_exit_energy"] = np.zeros(n_out)
        out["true_exit_pdg"] = np.zeros(n_out, dtype=np.int64)
        for key in _EXIT_LINE:
            out[key] = np.zeros(n_out)
        if leaving:
            rows_l = np.concatenate([r for r, _, _, _ in leaving])
            e_l = np.concatenate([e for _, e, _, _ in leaving])
            pdg_l = np.concatenate([p for _, _, p, _ in leaving])
            order = np.argsort(e_l, kind="stable")
            out["true_exit_energy"][rows_l[order]] = e_l[order]
            out["true_exit_pdg"][rows_l[order]] = np.where(e_l[order] > 0, pdg_l[order], 0)
            for k, key in enumerate(_EXIT_LINE):
                col = np.concatenate([line[k] for _, _, _, line in leaving])
                out[key][rows_l[order]] = col[order]
    exiting: list[NDArray[np.int64]] = []
    exiting_hadrons: list[NDArray[np.int64]] = []
    albedo: list[_Showers] = []
    crossing: list[tuple[NDArray[np.int64], FloatArray]] = []
    target_l1 = stack.l_edges[_target_sections(stack)]
    if idx.size:
        exiting.append(event[idx][l_start[idx] < target_l1])
    # hadrons: first interaction Exp(lambda) after z_start, lambda = lambda_int for
    # nucleons, longer for mesons (hadron.interaction_length_scale)
    idx = np.flatnonzero(np.isin(apdg, list(HADRON_PDG)))
    if idx.size:
        l_int = _interaction_depth(
            stack, l_start[idx], rng.exponential(1.0, idx.size)
            * hadron.interaction_length_scale(apdg[idx], energy[idx]), x[idx], y[idx], tx[idx],
            ty[idx])
        interacts = l_int < l_end
        c = ~np.isin(apdg[idx], list(_NEUTRAL_HADRONS))
        masses = np.array([HADRON_PDG[int(p)] for p in apdg[idx]])
        e_had = energy.copy()
        ic = idx[c]
        _, lost = _tracks(out, stack, event[ic], energy[ic], masses[c], x[ic], y[ic], tx[ic],
                          ty[ic], l_start[ic], np.minimum(l_int[c], l_end), False, rng)
        e_had[ic] = np.maximum(e_had[ic] - lost, 0.0)
        exiting_hadrons.append(event[ic][(l_start[ic] < target_l1) & (l_int[c] > target_l1)])
        ii = idx[interacts]
        li = l_int[interacts]
        ti = stack.convert(li, "l", "t")
        out["true_interaction_z"][event[ii]] = stack.convert(li, "l", "z") - stack.target_z
        # charge exchange: the whole energy goes to a pi0, i.e. an EM shower
        cex = (np.abs(apdg[ii]) == 211) & ((rng.random(ii.size)
                                             < hadron.CHARGE_EXCHANGE_PROBABILITY)
                                            | force_cex[ii])
        if cex.any():
            jj = ii[cex]
            showers.append(_Showers(event[jj], e_had[jj], ti[cex], li[cex], x[jj], y[jj],
                                    tx[jj], ty[jj]))
            ii, ti, li = ii[~cex], ti[~cex], li[~cex]
        had = _Showers(event[ii], e_had[ii], ti, li, x[ii], y[ii], tx[ii], ty[ii])
        _hadron_showers(out, setup, stack, had, rng, albedo, crossing)
    lk = setup.veto.leakage if setup.veto is not None else None
    if lk is not None and lk.hadron_hits_per_track is not None:
        if exiting:
            track_leakage_deposits(out, setup, np.concatenate(exiting), rng)
        if exiting_hadrons:
            track_leakage_deposits(out, setup, np.concatenate(exiting_hadrons), rng,
                                   hadron=True)
    elif exiting or exiting_hadrons:
        track_leakage_deposits(out, setup, np.concatenate(exiting + exiting_hadrons), rng)
    _em_showers(out, setup, stack, _concat(showers), rng)
    if albedo or crossing:
        # two streams of their own, spawned last (the photo-nuclear showers' stream keeps
        # its place) and without drawing from ``rng``: the albedo and the particles of
        # hadron showers crossing the counters change nothing but the counters, and each
        # keeps its stream whether or not the other is drawn.  (The albedo of photo-nuclear
        # showers, which start in the target, in front of every counter of the shipped
        # setups, is not drawn.)
        last = rng.spawn(2)
        if albedo:
            backsplash_deposits(out, setup, stack, _concat(albedo), last[0])
        if crossing:
            hadron_track_deposits(out, setup, crossing, last[1])
    return out


@nb.njit(cache=True, nogil=True)
def _smear_kernel(dep: NDArray[np.float64], stoch2: float, noise2: float, const: float,
                  rng: np.random.Generator) -> NDArray[np.float32]:  # pragma: no cover - jit
    n, m = dep.shape
    out = np.empty((n, m), dtype=np.float32)
    for i in range(n):
        for j in range(m):
            e = dep[i, j]
            if e < 0.0:
                e = 0.0
            out[i, j] = e + math.sqrt(stoch2 * e + noise2) * rng.standard_normal()
        if const > 0.0:
            k = 1.0 + const * rng.standard_normal()
            for j in range(m):
                out[i, j] *= k
    return out


def smear(setup: Setup, deposits: dict[str, FloatArray],
          rng: np.random.Generator) -> dict[str, NDArray[np.floating]]:
    """Apply the resolution of each detector to the true deposits (new arrays).

    Calorimeter cells: Gaussian with variance stochastic^2 (E/GeV) GeV^2 (sampling plus,
    if configured, (E/GeV)/N_pe GeV^2 photo-statistics) plus noise^2; then the constant term
    multiplies each calorimeter's event by (1 + constant * N(0, 1)).  The stochastic term
    added cell by cell sums to stochastic * sqrt(E) for the whole shower.  Calorimeter
    cells are returned as float32.  Veto counters: Poisson photo-electron statistics plus
    Gaussian noise.  Truth columns pass through.
    """
    result: dict[str, NDArray[np.floating]] = {}
    for name, dep in deposits.items():
        det = getattr(setup, name, None)
        if isinstance(det, Calorimeter):
            stoch2 = det.stochastic**2 * GeV
            if det.photoelectrons_per_gev is not None:
                stoch2 += GeV / det.photoelectrons_per_gev
            flat = np.ascontiguousarray(
                dep.reshape(dep.shape[0], int(np.prod(dep.shape[1:]))), dtype=np.float64)
            cells = _smear_kernel(flat, stoch2, det.noise**2, det.constant, rng)
            result[name] = cells.reshape(dep.shape)
        elif isinstance(det, Veto):
            npe = rng.poisson(np.maximum(dep, 0.0) * det.photoelectrons_per_mev)
            counts = npe / det.photoelectrons_per_mev
            if det.noise > 0:
                counts = counts + det.noise * rng.standard_normal(counts.shape)
            result[name] = counts
        else:  # truth columns pass through
            result[name] = dep.copy()
    return result


def response(setup: Setup, particles: dict[str, NDArray[np.generic]],
             rng: np.random.Generator) -> dict[str, NDArray[np.generic]]:
    """Simulate the detector response to one incoming particle per event.

    Returns the smeared cell energies (float32, MeV) of every detector (``ecal`` (n, 2, ny,
    nx), ``hcal`` (n, modules, 3, 3), ``veto`` (n, counters), ``wcal``/``vhcal`` when
    configured), ``true_interaction_z``, and truth copies of the input (``true_pdg``,
    ``true_energy``, ``true_x``, ``true_y``, ``true_tx``, ``true_ty``, ``true_z_start``,
    ``true_e_invisible``; of the first particle of each event when ``event`` is given) and
    ``true_n_particles``.
    """
    dep = deposit(setup, particles, rng)
    meas = smear(setup, dep, rng)
    out: dict[str, NDArray[np.generic]] = {
        k: (v if k.startswith("true_") else v.astype(np.float32)) for k, v in meas.items()
    }
    n = np.asarray(particles["pdg"]).size
    event, n_out = _event_rows(particles, n)
    # truth of the first particle of each event (rows without particles: zeros)
    order = np.argsort(event, kind="stable")
    rows, first = np.unique(event[order], return_index=True)
    src = order[first]
    pdg = np.zeros(n_out, dtype=np.int64)
    pdg[rows] = np.asarray(particles["pdg"]).astype(np.int64)[src]
    out["true_pdg"] = pdg
    for col, default in (("energy", None), ("x", 0.0), ("y", 0.0), ("tx", 0.0), ("ty", 0.0),
                         ("z_start", 0.0), ("e_invisible", 0.0)):
        val = np.zeros(n_out)
        val[rows] = _column(particles, col, n, default)[src]
        out[f"true_{col}"] = val
    out["true_n_particles"] = np.bincount(event, minlength=n_out).astype(np.int64)
    return out
