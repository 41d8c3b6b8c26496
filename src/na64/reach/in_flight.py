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
* the boson decays at a point drawn uniformly on [z_i, z_end] (z_end: the end of the last
  detector), into a visible channel c drawn with probability BR_c/BR_sim at the reference
  coupling, and its daughters are simulated from there (selected: ``dec_i``).

Then, exactly for every g (the expectation over the decay point is the sum over events):

    N(g) = (g/g_ref)² Σ_i w_i [ (BR_inv + BR_vis e^{−L_i/λ_i}) esc_i
                               + BR_sim J_i e^{−d_i/λ_i}/λ_i dec_i ],

with λ_i = (p_i/m) ħc/Γ(g), L_i the path from z_i to z_end, d_i the path to the drawn decay
point and J_i = (z_end − z_i)·√(1 + t_x² + t_y²) the Jacobian of the uniform draw.  BR_inv
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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..constants import HBARC, M_E, M_MU
from ..errors import InputError
from ..generate.visible import decay_particles
from ..models import INVISIBLE_CHANNELS, Model, make_model, model_info
from ..units import MeV

__all__ = ["DAUGHTERS", "DECAY_NEGLECT", "INVISIBLE_MODELS", "InFlightSignal", "analysis_model", "coupling_grid",
           "coupling_range", "detector_end", "invisible_processes", "reference_coupling", "simulate_decays",
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

#: Couplings scanned per decade of the coupling grid.
GRID_PER_DECADE = 60

#: Largest coupling scanned, per model (internal units): the models' own upper bounds.
_MAX_COUPLING: dict[str, float] = {"alp": 1.0 / MeV}

#: Models the electron-beam missing-energy search can make (with the processes of
#: :func:`invisible_processes`).
INVISIBLE_MODELS: tuple[str, ...] = ("dark-photon", "x-scalar", "x-pseudoscalar", "x-vector",
                                     "x-axial", "b-l", "lmu-ltau", "alp")

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
                   chi: str = "dirac") -> Model:
    """The model ``name`` at ``mass`` with the analysis' dark-sector parameters (α_D and
    m_χ = mass / ``mass_ratio`` where the model has them) and a small placeholder coupling
    (the search scans the coupling)."""
    info = model_info(name)
    params: dict[str, Any] = {"mass": mass}
    if "alpha_D" in info["parameters"]:
        params["alpha_D"] = alpha_d
    if "m_chi" in info["parameters"]:
        params["m_chi"] = mass / mass_ratio
    if "chi" in info["parameters"]:
        params["chi"] = chi
    params[info["coupling_name"]] = 1e-6 * info["coupling_scale"]
    return make_model(name, **params)


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
    """Total width Γ (MeV) and the branching ratios ``inv``, ``vis`` and ``sim`` (see the
    module docstring) at each coupling, and ``channels``: the simulated visible channels'
    branching ratios at the first coupling (their ratios are coupling-independent)."""
    g = np.asarray(couplings, dtype=float)
    out = {k: np.zeros(g.size) for k in ("width", "inv", "vis", "sim")}
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


def channel_probabilities(model: Model) -> dict[str, float]:
    """Probability of each simulated visible channel given a simulated visible decay."""
    w = {c: v for c, v in model.widths().items() if _simulated(model, c) and v > 0}
    tot = sum(w.values())
    return {c: v / tot for c, v in w.items()} if tot > 0 else {}


def needs_decays(model: Model) -> bool:
    """Whether decays inside the detector matter: BR_sim ≥ :data:`DECAY_NEGLECT` at the
    largest coupling the model accepts (BR_sim grows with the coupling for every model)."""
    _lo, hi = coupling_range(model)
    br = widths_on_grid(model, np.array([hi]))["sim"][0]
    return bool(br >= DECAY_NEGLECT)


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
    order = np.argsort(channel, kind="stable")
    parts: list[Events] = []
    decays: list[Events] = []
    for c, name in enumerate(names):
        rows = order[channel[order] == c]
        if rows.size == 0:
            continue
        sub_t = {k: np.asarray(v)[rows] for k, v in truth.items()}
        sub_b = {k: np.asarray(v)[rows] for k, v in beam.items()}
        z_p = np.clip(np.asarray(sub_t["z"], dtype=float), 0.0, setup.target.length)
        (pdg, m_d) = DAUGHTERS[name]
        calo, dec = decay_particles(sub_t, sub_b, energy, setup.target.length,
                                    float(model.mass), rng, z_p, z_end, pdg, m_d)
        ev = pipeline.events(sub_b, rng, calorimeter=calo)
        parts.append(ev)
        dec["escape_length"] = (z_end - dec["z_production"]) * dec["slope"]
        dec["channel"] = np.full(rows.size, c, dtype=np.int64)
        decays.append(dec)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    events = {k: np.concatenate([np.asarray(p[k]) for p in parts])[inverse] for k in parts[0]}
    decay = {k: np.concatenate([d[k] for d in decays])[inverse]
             for k in ("e_x", "escape_length", "distance", "jacobian", "channel")}
    return events, decay


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

    def yield_per_eot(self, couplings: np.ndarray | float) -> np.ndarray:
        """Selected signal events per EOT at each coupling (internal units)."""
        g = np.atleast_1d(np.asarray(couplings, dtype=float))
        if self.weights.size == 0:
            return np.zeros(g.size)
        grid = widths_on_grid(self.model, g)
        m = float(self.model.mass)
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
        scale = (g / self.reference_coupling) ** 2
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


def report_scale(model: Model) -> float:
    """Size of the model's reporting unit of the coupling (``1/GeV`` for GeV⁻¹)."""
    return float(model_info(model.name)["coupling_scale"])

