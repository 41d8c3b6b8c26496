"""A missing-energy signal whose boson may decay in flight: any model of :mod:`na64.models`.

The dark photon of the invisible search decays to χχ̄ (BR ≈ 1 for α_D ≫ ε²α), so its yield
is ε² times the yield at ε = 1.  Other models decay partly or only into visible final states
(B−L: e+e−, μ+μ−, hadrons besides νν̄; an ALP: γγ; an X boson without a dark sector: e+e−),
with a decay length that shrinks as the coupling grows.  For those the signal at coupling g
is computed per event, not averaged (the decay law of :mod:`na64.physics.decay`; PDG 2024
review 49 "Kinematics", Sec. 49.1: λ = (p/m) ħc/Γ).  Each generated event i (production
weight w_i at the reference coupling g_ref of its process, emission depth z_i, boson energy
E_i) is simulated twice:

* the boson leaves the detector unseen (the invisible event, selected: ``esc_i``);
* the boson decays at a path length d_i drawn on [0, L_i] (L_i: the path to z_end, the end
  of the last detector) from an even mixture of a uniform and a log-uniform density
  (:func:`draw_decay_distance`), into a visible channel c drawn with probability
  BR_c/BR_sim at the reference coupling, and its daughters are simulated from there
  (selected: ``dec_i``).

Then, exactly for every g (the expectation over the decay point is the sum over events):

    N(g) = (g/g_ref)² Σ_i w_i [ (BR_inv + BR_vis e^{−L_i/λ_i}) esc_i
                               + BR_sim J_i e^{−d_i/λ_i}/λ_i dec_i ],

with λ_i = (p_i/m) ħc/Γ(g), L_i the path from z_i to z_end, d_i the path to the drawn decay
point and J_i = 1/q(d_i) the inverse of the density it was drawn from.  The uniform half
samples long decay lengths as well as a uniform draw would; the log-uniform half
(d ≥ :data:`MIN_DECAY_DISTANCE`) keeps J e^{−d/λ}/λ ≤ 2 ln(L/d_min)/e at every λ, so that
prompt decays (λ ≪ L) that pass the selection, as a semi-visible iDM decay may, are
estimated with bounded weights (decays within d_min of the production point, a fraction
1 − e^{−d_min/λ} < 1e-3 for λ > 1 mm, are reached only by the rare uniform draws, so in
practice they are left out).  BR_inv
counts the invisible channels (:data:`na64.models.INVISIBLE_CHANNELS`), which give missing
energy wherever they happen; BR_vis all visible ones; BR_sim the visible channels with a
simulated two-body final state (:data:`DAUGHTERS`: e+e−, μ+μ−, γγ, and hadrons as π+π−
above 2 m_π; a visible channel outside it, e.g. τ+τ− or hadrons as π0γ below 2 m_π,
counts as failing when it decays inside).  The
ratios of the visible widths do not depend on the coupling for any model of na64 (each is
∝ g²), so one channel draw serves every g.  When BR_sim stays below
:data:`DECAY_NEGLECT` at every coupling scanned, the second simulation is skipped (decays
inside then count as failing, which moves N by less than that fraction).

The excluded couplings at one mass are {g : N(g) ≥ S_up} (:func:`na64.stats.exclusion_band`),
a band when the visible decays close it at large g (ALP, an X boson without dark sector).

Inelastic dark matter (``idm``, :class:`na64.models.Idm`) is the same formula for the particle
that decays in flight, χ2 (A' → χ1χ2 is prompt): E_i, L_i, d_i and λ_i are the χ2's (its
energy and direction from the decay chain of :func:`na64.generate.idm.idm_decay_in_flight`,
sampled once per event and shared by both simulations; λ = (p/m_χ2) ħc/Γ_χ2(ε)), BR_inv = 0,
BR_vis = 1, BR_sim the χ2 → χ1 e+e− and χ1 μ+μ− share, and N is multiplied by
BR(A' → χ1χ2).  A χ2 that decays inside adds only its lepton pair to the event (the
semi-visible signature), which may still pass the selection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..constants import HBARC, M_E, M_MU
from ..errors import InputError
from ..generate.visible import decay_particles
from ..models import INVISIBLE_CHANNELS, Idm, Model, make_model, model_info
from ..units import MeV

__all__ = ["DAUGHTERS", "DECAY_NEGLECT", "INVISIBLE_MODELS", "InFlightSignal", "analysis_model", "coupling_grid",
           "coupling_range", "detector_end", "draw_decay_distance", "invisible_processes", "lowest_mass", "reference_coupling", "simulate_decays",
           "widths_on_grid"]

Events = dict[str, np.ndarray]

#: Visible final states simulated for decays inside the detector: (PDG codes, daughter
#: mass).  Hadrons are simulated as π+π− (the dominant final state below ~1 GeV; above, a
#: hadronic decay inside the calorimeters deposits its energy there as well).
DAUGHTERS: dict[str, tuple[tuple[int, int], float]] = {
    "e+e-": ((11, -11), M_E),
    "mu+mu-": ((13, -13), M_MU),
    "gammagamma": ((22, 22), 0.0),
    "hadrons": ((211, -211), 139.57039 * MeV),
}

#: Decays inside the detector are not simulated where the simulated visible branching
#: ratio stays below this at every coupling (they would change N by less than this share).
DECAY_NEGLECT = 1e-3

#: Smallest decay distance of the log-uniform half of :func:`draw_decay_distance` (mm).
MIN_DECAY_DISTANCE = 1e-3

#: Couplings scanned per decade of the coupling grid.
GRID_PER_DECADE = 60

#: Largest coupling scanned, per model (internal units): the models' own upper bounds.
_MAX_COUPLING: dict[str, float] = {"alp": 1.0 / MeV}

#: Models the electron-beam missing-energy search can make (with the processes of
#: :func:`invisible_processes`).
INVISIBLE_MODELS: tuple[str, ...] = ("dark-photon", "x-scalar", "x-pseudoscalar", "x-vector",
                                     "x-axial", "b-l", "lmu-ltau", "alp", "idm")

#: χ2 → χ1 l+l− channels simulated for iDM (channel of the model → lepton pair).
_IDM_CHANNELS: dict[str, str] = {"chi1 e+e-": "e+e-", "chi1 mu+mu-": "mu+mu-"}

#: Signal processes of an electron beam (the muon beam's ``muon_brem`` is not one).
_ELECTRON_PROCESSES: tuple[str, ...] = ("brem", "annihilation", "primakoff")


def invisible_processes(model: str, processes: tuple[str, ...]) -> tuple[str, ...]:
    """The signal processes for ``model``: those of ``processes`` that make it, else every
    electron-beam process that makes it."""
    from ..generate.processes import get_process

    keep = tuple(p for p in processes if model in get_process(p).models)
    if keep:
        return keep
    made = tuple(p for p in _ELECTRON_PROCESSES if model in get_process(p).models)
    if not made:
        raise InputError("--model", f"no electron-beam process makes model {model!r}; "
                                    f"allowed: {', '.join(INVISIBLE_MODELS)}")
    return made


def analysis_model(name: str, mass: float, *, alpha_d: float, mass_ratio: float,
                   chi: str = "dirac", delta: float = 0.4) -> Model:
    """The model ``name`` at ``mass`` with the analysis' dark-sector parameters (α_D,
    m_χ = mass / ``mass_ratio`` and the iDM splitting Δ, where the model has them) and a
    small placeholder coupling (the search scans the coupling)."""
    info = model_info(name)
    params: dict[str, Any] = {"mass": mass}
    if "delta" in info["parameters"]:
        params["delta"] = delta
    if "alpha_D" in info["parameters"]:
        params["alpha_D"] = alpha_d
    if "m_chi" in info["parameters"]:
        params["m_chi"] = mass / mass_ratio
    if "chi" in info["parameters"]:
        params["chi"] = chi
    params[info["coupling_name"]] = 1e-6 * info["coupling_scale"]
    return make_model(name, **params)


def lowest_mass(signal: Any) -> float:
    """The smallest mass (MeV) at which the analysis' model exists: for iDM with splitting Δ
    and m_A' = ``mass_ratio`` m_χ1, χ2 → χ1 e+e− must be open, m_A' > ratio × 2 m_e/Δ
    (with 1% margin); 0 for the other models."""
    if signal.model != "idm":
        return 0.0
    return float(1.01 * signal.mass_ratio * 2.0 * M_E / signal.delta)


def reference_coupling(model: Model, process: str) -> float:
    """The coupling at which ``process`` gives its production weights for ``model``.

    Bremsstrahlung and annihilation weights are at unit electron coupling (g/e = 1 for the
    lepton coupling of :meth:`na64.models.Model.lepton_coupling`, linear in the model's
    coupling); Primakoff weights at g_aγγ = 1 MeV⁻¹ (:class:`na64.generate.PrimakoffSignal`).
    """
    if process == "primakoff":
        return 1.0 / MeV
    g0 = model.coupling_value
    c0 = model.lepton_coupling("e")
    if not c0 > 0:
        raise InputError("signal.model", f"model {model.name!r} does not couple to "
                                         f"electrons: process {process!r} cannot make it")
    return g0 / c0


def coupling_range(model: Model) -> tuple[float, float]:
    """(smallest, largest) coupling a model accepts (internal units)."""
    from ..models.base import MIN_COUPLING

    info = model_info(model.name)
    return (MIN_COUPLING * info["coupling_scale"], _MAX_COUPLING.get(model.name, 1.0))


def detector_end(setup: Any) -> float:
    """z_end: the downstream end of the last calorimeter, in mm from the target face."""
    ends = [c.z + c.length for c in (setup.wcal, setup.ecal, setup.vhcal, setup.hcal)
            if c is not None]
    return float(max(ends) - setup.target.z)


def _simulated(model: Model, channel: str) -> bool:
    """Whether ``channel`` is simulated for decays inside: listed in :data:`DAUGHTERS` and
    open for its two daughters (e.g. hadrons below 2 m_π, as π0γ, are not)."""
    return channel in DAUGHTERS and float(model.mass) > 2.0 * DAUGHTERS[channel][1]


def widths_on_grid(model: Model, couplings: np.ndarray) -> dict[str, np.ndarray]:
    """Total width Γ (MeV) of the particle that decays in flight and the branching ratios
    ``inv``, ``vis`` and ``sim`` (see the module docstring) at each coupling, and
    ``production``: the share of produced bosons that give that particle (1, or
    BR(A' → χ1χ2) for iDM)."""
    g = np.asarray(couplings, dtype=float)
    out = {k: np.zeros(g.size) for k in ("width", "inv", "vis", "sim")}
    out["production"] = np.ones(g.size)
    if isinstance(model, Idm):
        br = model.chi2_branching_ratios()
        sim = sum(v for c, v in br.items() if _idm_open(model, c))
        for k, gk in enumerate(g):
            mk = model.with_coupling(float(gk))
            out["width"][k] = mk.chi2_total_width()
            out["production"][k] = mk.invisible_fraction  # A' -> chi1 chi2
        out["vis"][:] = 1.0
        out["sim"][:] = sim
        return out
    for k, gk in enumerate(g):
        w = model.with_coupling(float(gk)).widths()
        tot = sum(w.values())
        out["width"][k] = tot
        inv = sum(v for c, v in w.items() if c in INVISIBLE_CHANNELS)
        sim = sum(v for c, v in w.items() if _simulated(model, c))
        out["inv"][k] = inv / tot
        out["vis"][k] = (tot - inv) / tot
        out["sim"][k] = sim / tot
    return out


def _idm_open(model: Idm, channel: str) -> bool:
    """Whether a χ2 channel is simulated: a lepton pair the splitting opens."""
    if channel not in _IDM_CHANNELS:
        return False
    m_l = M_E if _IDM_CHANNELS[channel] == "e+e-" else M_MU
    return model.m_chi2 - model.m_chi1 > 2.0 * m_l


def decaying_mass(model: Model) -> float:
    """Mass (MeV) of the particle that decays in flight: the boson, or χ2 for iDM."""
    return float(model.m_chi2) if isinstance(model, Idm) else float(model.mass)


def channel_probabilities(model: Model) -> dict[str, float]:
    """Probability of each simulated visible channel given a simulated visible decay."""
    if isinstance(model, Idm):
        br = {_IDM_CHANNELS[c]: v for c, v in model.chi2_branching_ratios().items()
              if _idm_open(model, c) and v > 0}
        tot_i = sum(br.values())
        return {c: v / tot_i for c, v in br.items()} if tot_i > 0 else {}
    w = {c: v for c, v in model.widths().items() if _simulated(model, c) and v > 0}
    tot = sum(w.values())
    return {c: v / tot for c, v in w.items()} if tot > 0 else {}


def needs_decays(model: Model) -> bool:
    """Whether decays inside the detector matter: BR_sim ≥ :data:`DECAY_NEGLECT` at the
    largest coupling the model accepts (BR_sim grows with the coupling for every model)."""
    _lo, hi = coupling_range(model)
    br = widths_on_grid(model, np.array([hi]))["sim"][0]
    return bool(br >= DECAY_NEGLECT)


def draw_decay_distance(length: np.ndarray, rng: np.random.Generator
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Decay distances d on [0, L] and their Jacobians J = 1/q(d).

    q(d) = ½/L + ½ 1[d ≥ d_min] / (d ln(L/d_min)) with d_min = :data:`MIN_DECAY_DISTANCE`:
    half the draws uniform, half log-uniform on [d_min, L] (see the module docstring), so
    that Σ J f(d) / n estimates ∫_0^L f for any f (to the part of it below d_min).
    """
    L = np.maximum(np.asarray(length, dtype=float), 2.0 * MIN_DECAY_DISTANCE)
    n = L.size
    log_span = np.log(L / MIN_DECAY_DISTANCE)
    uniform = rng.uniform(0.0, 1.0, n) < 0.5
    u = rng.uniform(0.0, 1.0, n)
    d = np.where(uniform, u * L, MIN_DECAY_DISTANCE * np.exp(u * log_span))
    q = 0.5 / L + np.where(d >= MIN_DECAY_DISTANCE, 0.5 / (np.maximum(d, 1e-300) * log_span),
                           0.0)
    return d, 1.0 / q


def simulate_decays(pipeline: Any, truth: dict[str, np.ndarray], energy: float, model: Model,
                    rng: np.random.Generator) -> tuple[Events, Events]:
    """Reconstructed events of ``truth`` with the boson decaying inside the detector.

    Returns
    -------
    (events, decay)
        ``events``: the pipeline's columns, one row per truth event; ``decay``: per event
        ``e_x`` (MeV), ``escape_length`` (L, mm), ``distance`` (d, mm), ``jacobian`` (J, mm)
        and ``channel`` (index into the sorted simulated channels).
    """
    setup = pipeline.setup
    z_end = detector_end(setup)
    n = int(np.asarray(truth["e_aprime"]).size)
    probs = channel_probabilities(model)
    names = sorted(probs)
    if not names:
        raise InputError("signal.model", f"model {model.name!r} has no simulated visible "
                                         "decay at this mass")
    channel = rng.choice(len(names), size=n, p=np.array([probs[c] for c in names]))
    beam = pipeline.core(n, rng)
    group = _idm_group if isinstance(model, Idm) else _boson_group
    order = np.argsort(channel, kind="stable")
    parts: list[Events] = []
    decays: list[Events] = []
    for c, name in enumerate(names):
        rows = order[channel[order] == c]
        if rows.size == 0:
            continue
        sub_t = {k: np.asarray(v)[rows] for k, v in truth.items()}
        sub_b = {k: np.asarray(v)[rows] for k, v in beam.items()}
        ev, dec = group(pipeline, sub_t, sub_b, energy, model, name, z_end, rng)
        dec["channel"] = np.full(rows.size, c, dtype=np.int64)
        parts.append(ev)
        decays.append(dec)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    events = {k: np.concatenate([np.asarray(p[k]) for p in parts])[inverse] for k in parts[0]}
    decay = {k: np.concatenate([d[k] for d in decays])[inverse]
             for k in ("e_x", "escape_length", "distance", "jacobian", "channel")}
    return events, decay


def _boson_group(pipeline: Any, truth: Events, beam: Events, energy: float, model: Model,
                 channel: str, z_end: float, rng: np.random.Generator
                 ) -> tuple[Events, Events]:
    """Events of one channel group with the boson decaying into ``channel``'s two daughters
    (:func:`na64.generate.visible.decay_particles`) at a distance from
    :func:`draw_decay_distance`, and their decay columns."""
    setup = pipeline.setup
    z_p = np.clip(np.asarray(truth["z"], dtype=float), 0.0, setup.target.length)
    pdg, m_d = DAUGHTERS[channel]
    slope = _slopes(truth, beam)
    d, jac = draw_decay_distance((z_end - z_p) * slope, rng)
    z_d = np.minimum(z_p + d / slope, z_end)
    calo, dec = decay_particles(truth, beam, energy, setup.target.length, float(model.mass),
                                rng, z_p, z_end, pdg, m_d, z_decay=z_d)
    dec["escape_length"] = (z_end - dec["z_production"]) * dec["slope"]
    dec["jacobian"] = jac
    return pipeline.events(beam, rng, calorimeter=calo), dec


def _idm_group(pipeline: Any, truth: Events, beam: Events, energy: float, model: Model,
               channel: str, z_end: float, rng: np.random.Generator
               ) -> tuple[Events, Events]:
    """:func:`_boson_group` for iDM: the recoil's shower
    (:func:`~na64.generate.particles.signal_particles`, the A' carrying its energy away), the
    decay chain of the A' (:func:`~na64.generate.idm.idm_decay_in_flight`) and the lepton
    pair of the χ2 from a distance drawn by :func:`draw_decay_distance` along the χ2."""
    from ..generate.idm import chi2_flight_distance, idm_decay_in_flight, pair_particles
    from ..generate.particles import signal_particles

    assert isinstance(model, Idm)
    setup = pipeline.setup
    calo, e_ap = signal_particles(truth, beam, energy, setup.target.length)
    e_ap = np.maximum(e_ap, model.mass * (1.0 + 1e-9))
    tan_t = np.tan(np.clip(np.asarray(truth["theta"], dtype=float), 0.0, 1.0))
    phi = np.asarray(truth["phi"], dtype=float)
    bx, by = np.asarray(beam["tx"], dtype=float), np.asarray(beam["ty"], dtype=float)
    chain = idm_decay_in_flight(e_ap, bx + tan_t * np.cos(phi), by + tan_t * np.sin(phi),
                                model, rng, channel=channel)  # type: ignore[arg-type]
    z_p = np.clip(np.asarray(truth["z"], dtype=float), 0.0, setup.target.length)
    slope = np.sqrt(1.0 + chain["chi2_tx"] ** 2 + chain["chi2_ty"] ** 2)
    d, jac = draw_decay_distance((z_end - z_p) * slope, rng)
    z_d = np.minimum(z_p + d / slope, z_end)
    x_p = np.asarray(beam["x"], dtype=float) + bx * z_p
    y_p = np.asarray(beam["y"], dtype=float) + by * z_p
    pair = pair_particles(chain, x_p, y_p, z_p, z_d, channel=channel)  # type: ignore[arg-type]
    cal = {k: np.concatenate([np.asarray(calo[k]), np.asarray(pair[k])])
           for k in ("pdg", "energy", "x", "y", "tx", "ty", "z_start", "e_invisible", "event")}
    cal["converted"] = np.concatenate([np.asarray(calo["converted"]),
                                       np.zeros(np.asarray(pair["pdg"]).size, dtype=bool)])
    dec = {"e_x": chain["chi2_energy"], "escape_length": (z_end - z_p) * slope,
           "distance": chi2_flight_distance(chain, z_p, z_d), "jacobian": jac}
    return pipeline.events(beam, rng, calorimeter=cal), dec


def _slopes(truth: dict[str, np.ndarray], beam: Events) -> np.ndarray:
    """√(1 + t_x² + t_y²) of the boson's direction (beam slope plus emission angle), as
    :func:`na64.generate.visible.decay_particles` computes it."""
    tan_t = np.tan(np.clip(np.asarray(truth["theta"], dtype=float), 0.0, 1.0))
    phi = np.asarray(truth["phi"], dtype=float)
    tx = np.asarray(beam["tx"], dtype=float) + tan_t * np.cos(phi)
    ty = np.asarray(beam["ty"], dtype=float) + tan_t * np.sin(phi)
    return np.asarray(np.sqrt(1.0 + tx**2 + ty**2), dtype=float)


def escape_lengths(truth: dict[str, np.ndarray], setup: Any) -> np.ndarray:
    """L_i: the path (mm) from the emission point to z_end along the boson's direction
    (the beam's own slope, ≲ 1e-3, changes it by less than 1e-6 and is left out)."""
    z_end = detector_end(setup)
    t = np.tan(np.clip(np.asarray(truth["theta"], dtype=float), 0.0, 1.0))
    z_p = np.clip(np.asarray(truth["z"], dtype=float), 0.0, setup.target.length)
    return np.asarray((z_end - z_p) * np.sqrt(1.0 + t**2), dtype=float)


@dataclass(frozen=True)
class InFlightSignal:
    """The selected signal of one mass, evaluable at any coupling (the formula of the module
    docstring).  Arrays hold the events selected in either simulation."""

    model: Model
    reference_coupling: float
    weights: np.ndarray
    e_x: np.ndarray
    escape_length: np.ndarray
    distance: np.ndarray
    jacobian: np.ndarray
    pass_escape: np.ndarray
    pass_decay: np.ndarray
    #: Bosons produced per EOT at the reference coupling (all events, selected or not).
    production: float = 0.0

    def efficiency(self, couplings: np.ndarray | float) -> np.ndarray:
        """Selected fraction of the produced bosons at each coupling (decays included):
        N(g) / [(g/g_ref)² × production]; for iDM the produced A' that give χ1χ2."""
        g = np.atleast_1d(np.asarray(couplings, dtype=float))
        if not self.production > 0:
            return np.zeros(g.size)
        made = (g / self.reference_coupling) ** 2 * self.production
        return np.asarray(self.yield_per_eot(g) / made, dtype=float)

    def yield_per_eot(self, couplings: np.ndarray | float) -> np.ndarray:
        """Selected signal events per EOT at each coupling (internal units)."""
        g = np.atleast_1d(np.asarray(couplings, dtype=float))
        if self.weights.size == 0:
            return np.zeros(g.size)
        grid = widths_on_grid(self.model, g)
        m = decaying_mass(self.model)
        p = np.sqrt(np.maximum(self.e_x**2 - m**2, 0.0))
        # λ_i(g) = (p_i/m) ħc / Γ(g): (couplings, events)
        lam = (p / m * HBARC)[None, :] / grid["width"][:, None]
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            esc = np.exp(-self.escape_length[None, :] / lam)
            dens = np.exp(-self.distance[None, :] / lam) / lam
        esc = np.where(np.isfinite(esc), esc, 0.0)
        dens = np.where(np.isfinite(dens), dens, 0.0)
        per_event = ((grid["inv"][:, None] + grid["vis"][:, None] * esc) * self.pass_escape
                     + grid["sim"][:, None] * self.jacobian * dens * self.pass_decay)
        scale = (g / self.reference_coupling) ** 2 * grid["production"]
        return np.asarray(scale * (per_event * self.weights).sum(axis=1), dtype=float)

    @property
    def yield_all_escape(self) -> float:
        """Selected yield per EOT at the reference coupling if every boson escaped."""
        return float(self.weights[self.pass_escape].sum())


def coupling_grid(signal: InFlightSignal, n_sig_min: float, exposure: float) -> np.ndarray:
    """Couplings to scan at one mass: from a factor 100 below the coupling at which even an
    always-escaping boson with every decay passing would give ``n_sig_min`` events for
    ``exposure`` EOT (a bound below the band's lower edge), to the model's largest
    coupling, :data:`GRID_PER_DECADE` per decade."""
    lo_m, hi_m = coupling_range(signal.model)
    y = exposure * float((signal.weights * np.maximum(signal.pass_escape,
                                                      signal.pass_decay)).sum())
    if not y > 0 or not n_sig_min > 0:
        start = hi_m * 1e-6
    else:
        start = signal.reference_coupling * math.sqrt(n_sig_min / y) / 100.0
    start = float(min(max(start, lo_m), hi_m / 10.0))
    decades = math.log10(hi_m / start)
    n = max(math.ceil(decades * GRID_PER_DECADE) + 1, 20)
    return np.asarray(np.geomspace(start, hi_m, n), dtype=float)
