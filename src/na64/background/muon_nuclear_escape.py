r"""Escape of the hadronic system of a hard muon-nuclear interaction, from Geant4 final states.

A beam muon that transfers a fraction v ≥ v_cut of its energy E0 to a nucleus through a
virtual photon (μA → μX) lands in the signal box; it fakes the signal only if X is not
seen by the target (ECAL), the veto HCAL and the HCAL.  Whether X can hide is a question of
its final state, which a parametrised cross section does not give.  It is taken from a
Geant4 11.4 simulation of 160 GeV muons in lead (G4MuonVDNuclearModel: the virtual photon
interacts as a real one, Bertini cascade below 10 GeV and the FTF string model above),
reduced by ``validation/g4_muon_nuclear_reference.py`` to the table
``na64/data/geant4/muon_nuclear_160GeV.json``: for every interaction with v ≥ v_min its
*prompt* energy (photons, e±, π0 and other promptly decaying mesons, charged hadrons and
nuclear fragments: all seen in or behind the target) and, for the interactions whose prompt
energy is below 20 GeV, each *neutral long-lived hadron* (n, n̄, K0, Λ, ...) with its
energy and direction.

For those "quiet" interactions the probability that nothing is seen,

    P_esc = ⟨[E_prompt + Σ_i d_i,target < c_target] [Σ_i d_i,VHCAL < c_VHCAL]
              [Σ_i d_i,HCAL < c_HCAL]⟩,

is averaged over the interaction depth z (uniform in the target) and over whether each
neutral hadron interacts: it crosses the rest of the target with probability
exp(−(L − z)/λ), then, going straight from the axis at its angle, the VHCAL (outside its
hole) and the HCAL (inside its face) each with probability exp(−l/λ) of their length l
(λ of the layer mix; × :data:`~na64.detector.hadron.MESON_INTERACTION_LENGTH_SCALE` for
kaons and φ).  A hadron that interacts leaves a visible energy d = f E and is not followed
further (what its shower leaks is not added downstream): f =
:data:`PARTIAL_VISIBLE_FRACTION` in the target and the VHCAL (showers that start anywhere
in them and leak, assumed low: it can only raise the escape) and 1/(e/h) of the HCAL
(contained).  K0_S and Λ are followed as if they did not decay (their charged or photon
decay products would add tracks and showers: conservative).  The cuts c are the selection's ``ecal_mip`` (or ``ecal_max``), ``vhcal_max``
and ``hcal_mip`` (or ``hcal_max``).  The muon's own deposits are not added (conservative).

The background per muon is then

    P(v ≥ v_cut) × (1/N) Σ_quiet P_esc,

N the number of Geant4 interactions with v ≥ v_cut.  When no interaction passes, the
estimate is 0 and its uncertainty the one-interaction sensitivity P(v ≥ v_cut)/N times
the escape of a single neutral hadron that carries all of ν (the analytic bound of
:mod:`na64.background.muon_hard_losses`).  For another beam energy the energies of the
table are scaled by E0/160 GeV at the same v (an approximation; stated in the notes).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..detector.hadron import MESON_INTERACTION_LENGTH_SCALE
from ..units import GeV

__all__ = ["PARTIAL_VISIBLE_FRACTION", "EscapeGeometry", "MuonNuclearFinalStates",
           "escape_probabilities", "load_final_states"]

FloatArray = NDArray[np.float64]

#: Visible fraction of the energy of a neutral hadron that interacts in the target or the
#: VHCAL (assumed; low on purpose: the mean electron-scale ECAL signal of a 100 GeV π−
#: entering the ECAL is 0.35 E in the Geant4 reference, and a shower that starts deep in
#: the target leaks more).
PARTIAL_VISIBLE_FRACTION = 0.2

#: PDG codes of neutral mesons (the longer meson interaction length applies).
_MESONS = frozenset({130, 310, 311, -311, 333})

_TABLE = "muon_nuclear_160GeV.json"


@dataclass(frozen=True)
class MuonNuclearFinalStates:
    """The Geant4 table: interactions with v ≥ ``v_min``, of which the quiet ones in full.

    Attributes
    ----------
    beam_energy
        Muon energy of the simulation (MeV).
    v_min
        Lowest energy fraction written.
    v_edges, v_counts
        Histogram of the energy fraction v of all interactions (:meth:`count_above`).
    quiet_v, quiet_prompt
        v and prompt energy (MeV) of the quiet interactions.
    neutral_energy, neutral_tx, neutral_ty, neutral_meson
        Their neutral hadrons, padded to a common length (energy 0 where absent).
    quiet_threshold
        Prompt energy below which the interactions are kept (MeV).
    meta
        The table's description and run list.
    """

    beam_energy: float
    v_min: float
    v_edges: FloatArray
    v_counts: NDArray[np.int64]
    quiet_v: FloatArray
    quiet_prompt: FloatArray
    neutral_energy: FloatArray
    neutral_tx: FloatArray
    neutral_ty: FloatArray
    neutral_meson: NDArray[np.bool_]
    quiet_threshold: float
    meta: dict[str, Any]

    @property
    def interactions(self) -> int:
        """Number of interactions with v ≥ v_min in the simulation."""
        return int(self.v_counts.sum())

    def count_above(self, v_cut: float) -> float:
        """Interactions with v ≥ ``v_cut`` (linear within the histogram bin of v_cut)."""
        edges, counts = self.v_edges, self.v_counts.astype(float)
        if v_cut <= edges[0]:
            return float(counts.sum())
        frac = np.clip((edges[1:] - v_cut) / np.diff(edges), 0.0, 1.0)
        return float(np.sum(counts * frac))


@functools.cache
def load_final_states() -> MuonNuclearFinalStates:
    """The shipped Geant4 table (lead, 160 GeV μ+)."""
    text = (resources.files("na64.data") / "geant4" / _TABLE).read_text()
    raw = json.loads(text)
    quiet = raw["quiet"]
    k = max((len(q["neutrals"]) for q in quiet), default=0)
    n = len(quiet)
    energy = np.zeros((n, k))
    tx = np.zeros((n, k))
    ty = np.zeros((n, k))
    meson = np.zeros((n, k), dtype=bool)
    for i, q in enumerate(quiet):
        for j, (pdg, e, x, y) in enumerate(q["neutrals"]):
            energy[i, j] = e * GeV
            tx[i, j], ty[i, j] = x, y
            meson[i, j] = int(pdg) in _MESONS
    return MuonNuclearFinalStates(
        beam_energy=float(raw["beam_energy_GeV"]) * GeV, v_min=float(raw["v_min"]),
        v_edges=np.asarray(raw["v_histogram"]["edges"], dtype=float),
        v_counts=np.asarray(raw["v_histogram"]["counts"], dtype=np.int64),
        quiet_v=np.array([q["v"] for q in quiet], dtype=float),
        quiet_prompt=np.array([q["e_prompt_GeV"] for q in quiet], dtype=float) * GeV,
        neutral_energy=energy, neutral_tx=tx, neutral_ty=ty, neutral_meson=meson,
        quiet_threshold=float(raw["quiet_threshold_GeV"]) * GeV,
        meta={key: raw[key] for key in ("description", "runs", "material", "beam")})


@dataclass(frozen=True)
class EscapeGeometry:
    """Where a neutral hadron from the target can be seen (lengths in mm, energies in MeV).

    ``target_length``/``target_lambda``: the target's length and interaction length;
    ``vhcal_z`` (front face, measured from the target's front face), ``vhcal_length``,
    ``vhcal_lambda``, ``vhcal_hole`` and ``vhcal_outer`` (half-widths of the hole and of
    the whole face); ``hcal_z``, ``hcal_length``, ``hcal_lambda``, ``hcal_half`` (half
    width of the face), ``hcal_response`` (visible fraction of a contained hadron,
    1/(e/h)); the cuts ``cut_target``, ``cut_vhcal``, ``cut_hcal`` (``inf``: no cut or no
    detector; a missing detector has length 0).
    """

    target_length: float
    target_lambda: float
    vhcal_z: float = 0.0
    vhcal_length: float = 0.0
    vhcal_lambda: float = 1.0
    vhcal_hole: float = 0.0
    vhcal_outer: float = 0.0
    hcal_z: float = 0.0
    hcal_length: float = 0.0
    hcal_lambda: float = 1.0
    hcal_half: float = 0.0
    hcal_response: float = 1.0
    cut_target: float = np.inf
    cut_vhcal: float = np.inf
    cut_hcal: float = np.inf


def escape_probabilities(fs: MuonNuclearFinalStates, geo: EscapeGeometry, beam_energy: float,
                         v_cut: float, rng: np.random.Generator, draws: int = 256
                         ) -> FloatArray:
    """P_esc of every quiet interaction with v ≥ ``v_cut`` (0 for those below), averaged
    over ``draws`` interaction depths and interaction histories of its neutral hadrons.

    Energies of the table are scaled by ``beam_energy / fs.beam_energy``.
    """
    scale = beam_energy / fs.beam_energy
    keep = fs.quiet_v >= v_cut
    out = np.zeros(fs.quiet_v.size)
    if not keep.any():
        return out
    prompt = fs.quiet_prompt[keep] * scale
    e = fs.neutral_energy[keep] * scale
    tx, ty = fs.neutral_tx[keep], fs.neutral_ty[keep]
    lam_scale = np.where(fs.neutral_meson[keep], MESON_INTERACTION_LENGTH_SCALE, 1.0)
    n, k = e.shape
    z = rng.random((draws, n, 1)) * geo.target_length
    u = rng.random((3, draws, n, k))
    p_target = np.exp(-(geo.target_length - z) / (geo.target_lambda * lam_scale))
    in_target = u[0] >= p_target  # interacts in the rest of the target
    d_target = np.where(in_target, PARTIAL_VISIBLE_FRACTION * e, 0.0).sum(axis=-1)
    free = ~in_target
    # straight line from the axis at depth z: its larger transverse offset at a plane z_p
    # is max(|tx|, |ty|) (z_p - z), to compare with the square hole and faces
    slope = np.maximum(np.abs(tx), np.abs(ty))
    at_vh = slope * np.maximum(geo.vhcal_z - z, 0.0)
    hits_vh = (geo.vhcal_length > 0) & (at_vh >= geo.vhcal_hole) & (at_vh < geo.vhcal_outer)
    p_vh = np.exp(-geo.vhcal_length / (geo.vhcal_lambda * lam_scale))
    in_vh = free & hits_vh & (u[1] >= p_vh)
    d_vh = np.where(in_vh, PARTIAL_VISIBLE_FRACTION * e, 0.0).sum(axis=-1)
    free = free & ~in_vh
    at_h = slope * np.maximum(geo.hcal_z - z, 0.0)
    hits_h = (geo.hcal_length > 0) & (at_h < geo.hcal_half)
    p_h = np.exp(-geo.hcal_length / (geo.hcal_lambda * lam_scale))
    in_h = free & hits_h & (u[2] >= p_h)
    d_h = np.where(in_h, geo.hcal_response * e, 0.0).sum(axis=-1)
    unseen = ((prompt + d_target < geo.cut_target) & (d_vh < geo.cut_vhcal)
              & (d_h < geo.cut_hcal))
    out[keep] = unseen.mean(axis=0)
    return out
