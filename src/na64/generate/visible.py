"""Visible-mode signal events: a boson made in the active dump decays to e+e- downstream.

The production is the same as for the invisible mode (a process of
:mod:`na64.generate.processes`, e.g. dark bremsstrahlung off every e± of the shower in the
WCAL, with its weights at unit coupling); what the dump's shower deposits is built by
:func:`na64.generate.particles.signal_particles`.  This module adds the decay in flight:

* the boson (energy E_X, direction θ, φ of the generator, starting at its production depth
  z_p inside the dump) decays at a point z_d drawn **uniformly** over the decay region
  [end of the dump, end of the decay counter] (:func:`decay_region`).  Each event carries
  the Jacobian of that choice, so its weight at any coupling ε is exact (no averaging over
  events):

      w_i(ε) = w_i(1) ε² × BR(X → e+e−) × exp(−d_i/λ_i(ε))/λ_i(ε) × J_i,
      λ_i(ε) = λ_i(1)/ε²,  d_i = (z_d − z_p) √(1 + t_x² + t_y²),  J_i = (z_b − z_a) √(1 + t_x² + t_y²)

  (decay law of :mod:`na64.physics.decay`; every width of the boson ∝ ε², so BR is ε-free);
  decays outside the region contribute nothing to a visible selection: a pair made inside
  the tungsten showers there (no energy reaches the ECAL), a pair made behind the decay
  counter leaves it empty.
* the pair: isotropic two-body decay X → e+e− in the boson's rest frame, boosted to the lab
  (PDG 2024 review 49 "Kinematics", Sec. 49.2 and 49.4.2; isotropy is exact for a scalar or
  pseudoscalar and neglects the polarisation of a vector, which changes the opening angle
  ~m/E by a factor of order one and the merged ECAL shower not at all); the e+ and e− start
  at z_d, cross the counters in their way as tracks and shower from the next calorimeter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..constants import M_E
from ..errors import InputError
from ..models import Model
from ..physics.decay import decay_density
from .particles import signal_particles

__all__ = ["coupling_weights", "decay_particles", "decay_region", "two_body_decay",
           "unit_coupling_model", "visible_particles"]

Events = dict[str, np.ndarray]


def unit_coupling_model(model: Model) -> Model:
    """``model`` with the coupling at which its electron coupling is 1 (in units of e): the
    coupling of the production weights (σ ∝ (g/e)², ``coupling=1`` of the cross sections)."""
    one = model.with_coupling(1.0)
    c = one.lepton_coupling("e")
    if not c > 0:
        raise InputError("signal.model", f"model {model.name!r} does not couple to electrons")
    return model.with_coupling(1.0 / c)


def decay_region(setup: Any) -> tuple[float, float]:
    """(z_a, z_b): the decay region in mm from the target face, from the end of the active
    dump to the end of the decay counter (to the ECAL face without a counter)."""
    target = setup.target
    z_a = target.z + target.length
    if setup.decay_counter is not None:
        z_b = setup.decay_counter.z + setup.decay_counter.length
    elif setup.ecal is not None and setup.ecal is not target:
        z_b = setup.ecal.z
    elif setup.decay_volume is not None:
        z_b = setup.decay_volume.z + setup.decay_volume.length
    else:
        raise InputError("setup", f"setup {setup.name!r} has no decay region behind its "
                                  "target (a [decay_volume], [decay_counter] or an ECAL "
                                  "behind a WCAL)")
    if not z_b > z_a:
        raise InputError("setup", f"the decay region of setup {setup.name!r} is empty "
                                  f"({z_a:g} to {z_b:g} mm)")
    return z_a - target.z, z_b - target.z


def two_body_decay(energy: np.ndarray, tx: np.ndarray, ty: np.ndarray, mass: float,
                   m_daughter: float, rng: np.random.Generator) -> Events:
    """Isotropic decay of particles (``energy``, slopes ``tx``, ``ty``) into two daughters of
    mass ``m_daughter``, boosted to the lab.

    Returns ``e1``, ``tx1``, ``ty1``, ``e2``, ``tx2``, ``ty2`` (daughter 1 is emitted along
    +cos θ* in the rest frame) and ``angle``, the lab opening angle.  Energy and momentum
    are conserved to rounding.
    """
    e = np.asarray(energy, dtype=float)
    n = e.size
    if not mass > 2.0 * m_daughter:
        raise InputError("mass", f"{mass:g} MeV is below the two-body threshold "
                                 f"2 x {m_daughter:g} MeV")
    e_star = 0.5 * mass
    p_star = math.sqrt(e_star**2 - m_daughter**2)
    cos_s = rng.uniform(-1.0, 1.0, n)
    phi_s = rng.uniform(0.0, 2.0 * math.pi, n)
    sin_s = np.sqrt(np.clip(1.0 - cos_s**2, 0.0, 1.0))
    g = np.maximum(e / mass, 1.0)
    bg = np.sqrt((g - 1.0) * (g + 1.0))
    # along the parent direction u and transverse to it
    pl1 = bg * e_star + g * p_star * cos_s
    pl2 = bg * e_star - g * p_star * cos_s
    pt = p_star * sin_s
    norm = np.sqrt(1.0 + tx**2 + ty**2)
    u = np.stack([tx / norm, ty / norm, 1.0 / norm])
    # orthonormal e1, e2 perpendicular to u (u is close to the z axis)
    e1 = np.stack([u[2], np.zeros(n), -u[0]])
    e1 /= np.linalg.norm(e1, axis=0)
    e2 = np.cross(u.T, e1.T).T
    tvec = np.cos(phi_s) * e1 + np.sin(phi_s) * e2
    p1 = pl1 * u + pt * tvec
    p2 = pl2 * u - pt * tvec
    # a daughter emitted backwards in the lab (possible only for g*beta < beta*) is kept
    # at a tiny forward pz: it never reaches a downstream detector in practice
    z1 = np.maximum(p1[2], 1e-9)
    z2 = np.maximum(p2[2], 1e-9)
    mag1 = np.linalg.norm(p1, axis=0)
    mag2 = np.linalg.norm(p2, axis=0)
    cos_open = np.clip(np.sum(p1 * p2, axis=0) / np.maximum(mag1 * mag2, 1e-300), -1.0, 1.0)
    return {
        "e1": g * e_star + bg * p_star * cos_s,
        "tx1": p1[0] / z1, "ty1": p1[1] / z1,
        "e2": g * e_star - bg * p_star * cos_s,
        "tx2": p2[0] / z2, "ty2": p2[1] / z2,
        "angle": np.arccos(cos_open),
    }


def visible_particles(truth: Mapping[str, np.ndarray], beam: Mapping[str, np.ndarray],
                      e0: float, setup: Any, model: Model, rng: np.random.Generator
                      ) -> tuple[Events, Events]:
    """The particles of visible-mode signal events and each event's decay bookkeeping.

    Parameters
    ----------
    truth
        Generator truth at the nominal beam energy ``e0`` (``e_aprime``, ``e_emitter``,
        ``from_primary``, ``z``, ``theta``, ``phi``; :meth:`na64.generate.DarkBremSignal.
        sample`).
    beam
        One beam particle per event (``energy``, ``x``, ``y``, ``tx``, ``ty``).
    e0
        Nominal beam energy (MeV).
    setup
        The visible-mode setup (active dump, decay region, ECAL).
    model
        The boson (any coupling: only its mass, decay length at unit electron coupling and
        e+e- branching ratio are used).
    rng
        Random generator (decay point, decay angles).

    Returns
    -------
    (particles, decay)
        ``particles``: calorimeter input of :meth:`na64.pipeline.EventPipeline.events`
        (``event`` column: the dump's shower and the e+e- pair of each event).
        ``decay``: per event ``e_x`` (MeV), ``z_production``, ``z_decay`` (mm from the
        target face), ``distance`` (path to the decay point), ``length_unit`` (λ at unit
        electron coupling), ``jacobian`` (mm; see the module docstring), ``br_ee``,
        ``pair_angle`` (rad) and ``pair_separation`` (mm, at the end of the decay region).
    """
    unit = unit_coupling_model(model)
    z_a, z_b = decay_region(setup)
    parts, decay = decay_particles(truth, beam, e0, setup.target.length, float(model.mass),
                                   rng, z_a, z_b, (11, -11), M_E)
    decay.pop("slope")
    decay["length_unit"] = np.asarray(unit.decay_length(decay["e_x"]), dtype=float)
    decay["br_ee"] = np.full(decay["e_x"].size,
                             float(unit.branching_ratios().get("e+e-", 0.0)))
    return parts, decay


def decay_particles(truth: Mapping[str, np.ndarray], beam: Mapping[str, np.ndarray],
                    e0: float, target_length: float, mass: float, rng: np.random.Generator,
                    z_low: float | np.ndarray, z_high: float | np.ndarray,
                    pdg: tuple[int, int], m_daughter: float,
                    z_decay: np.ndarray | None = None) -> tuple[Events, Events]:
    """The shower of signal events plus the boson's two daughters from a decay point drawn
    uniformly in [``z_low``, ``z_high``] (mm from the target face; scalars or one per event).

    The decay in flight of the module docstring for any two-body final state (``pdg`` of the
    daughters and their mass: ``(11, -11), M_E`` for e+e-, ``(22, 22), 0`` for γγ).
    ``z_decay`` (one per event, within [``z_low``, ``z_high``]) replaces the uniform draw by
    decay points the caller chose (its Jacobian is then the caller's; ``jacobian`` is still
    the uniform one).

    Returns
    -------
    (particles, decay)
        ``particles`` as for :func:`visible_particles`; ``decay``: per event ``e_x``,
        ``z_production``, ``z_decay``, ``distance`` (production to decay point along the
        boson), ``jacobian`` ((z_high − z_low) √(1 + t_x² + t_y²), mm), ``slope`` (that
        square root), ``pair_angle`` and ``pair_separation`` (at ``z_high``).
    """
    calo, e_inv = signal_particles(truth, beam, e0, target_length)
    n = e_inv.size
    e_x = np.maximum(e_inv, mass * (1.0 + 1e-9))
    theta = np.asarray(truth["theta"], dtype=float)
    phi = np.asarray(truth["phi"], dtype=float)
    tan_t = np.tan(np.clip(theta, 0.0, 1.0))
    bx, by = np.asarray(beam["tx"], dtype=float), np.asarray(beam["ty"], dtype=float)
    tx = bx + tan_t * np.cos(phi)
    ty = by + tan_t * np.sin(phi)
    z_p = np.clip(np.asarray(truth["z"], dtype=float), 0.0, target_length)
    z_d = rng.uniform(z_low, z_high, n) if z_decay is None else np.asarray(z_decay, dtype=float)
    k = np.sqrt(1.0 + tx**2 + ty**2)
    x_p = np.asarray(beam["x"], dtype=float) + bx * z_p
    y_p = np.asarray(beam["y"], dtype=float) + by * z_p
    x_d = x_p + tx * (z_d - z_p)
    y_d = y_p + ty * (z_d - z_p)
    pair = two_body_decay(e_x, tx, ty, mass, m_daughter, rng)
    rows = np.arange(n, dtype=np.int64)
    daughters: Events = {}
    for key, code, e_col, tx_col, ty_col in (("minus", pdg[0], "e1", "tx1", "ty1"),
                                            ("plus", pdg[1], "e2", "tx2", "ty2")):
        dtx, dty = pair[tx_col], pair[ty_col]
        daughters[key + "_pdg"] = np.full(n, code, dtype=np.int64)
        daughters[key + "_energy"] = np.maximum(pair[e_col], m_daughter)
        daughters[key + "_tx"], daughters[key + "_ty"] = dtx, dty
        # the straight line through the decay point, written at the target face
        daughters[key + "_x"] = x_d - dtx * z_d
        daughters[key + "_y"] = y_d - dty * z_d
    parts = {}
    for col in ("pdg", "energy", "x", "y", "tx", "ty"):
        parts[col] = np.concatenate([np.asarray(calo[col]), daughters["minus_" + col],
                                     daughters["plus_" + col]])
    parts["z_start"] = np.concatenate([np.asarray(calo["z_start"]), z_d, z_d])
    parts["e_invisible"] = np.concatenate([np.asarray(calo["e_invisible"]), np.zeros(2 * n)])
    parts["converted"] = np.concatenate([np.asarray(calo["converted"]),
                                         np.zeros(2 * n, dtype=bool)])
    parts["event"] = np.concatenate([np.asarray(calo["event"]), rows, rows])
    sep = np.hypot((pair["tx1"] - pair["tx2"]) * (z_high - z_d),
                   (pair["ty1"] - pair["ty2"]) * (z_high - z_d))
    decay: Events = {
        "e_x": e_x,
        "z_production": z_p,
        "z_decay": z_d,
        "distance": (z_d - z_p) * k,
        "jacobian": (np.asarray(z_high, dtype=float) - z_low) * k,
        "slope": k,
        "pair_angle": pair["angle"],
        "pair_separation": sep,
    }
    return parts, decay


def coupling_weights(weights: np.ndarray, decay: Mapping[str, np.ndarray],
                     coupling: float | np.ndarray) -> np.ndarray:
    """Event weights at electron coupling ``coupling`` (ε, in units of e) from the unit-
    coupling production ``weights`` and the ``decay`` columns of :func:`visible_particles`
    (the formula of the module docstring); arrays broadcast (e.g. couplings (k, 1) against
    events (1, n))."""
    eps2 = np.asarray(coupling, dtype=float) ** 2
    lam = np.asarray(decay["length_unit"], dtype=float) / eps2
    dens = decay_density(np.asarray(decay["distance"], dtype=float), lam)
    return (np.asarray(weights, dtype=float) * eps2 * np.asarray(decay["br_ee"])
            * dens * np.asarray(decay["jacobian"]))
