"""The NA64 visible-mode event selection (A' / X → e+e− behind the tungsten dump).

The criteria follow the NA64 visible-mode searches, Banerjee et al. (NA64),
arXiv:1803.07748 (PRL 120, 231802 (2018)) and arXiv:1912.11389 (PRD 101, 071101 (2020)),
and the method of arXiv:1308.6521 (two showers from one electron: the dump's and that of the
e+e− pair in the ECAL):

1. ``srd``, ``single_track``, ``beam_momentum`` — an electron of the beam momentum enters
   (as in the invisible mode);
2. ``w2_veto`` — no charged particle in the counter right behind the WCAL (the boson leaves
   the dump neutral);
3. ``decay_counter`` — the counter at the end of the decay volume sees two MIPs (the pair);
   ``tracker`` — two charged particles from the decay volume reach the tracker plane (end
   of the decay counter), at least ``tracker`` mm apart (column ``tracker_pair_separation``
   of :func:`na64.pipeline.events.tracker_pair_separation`, −1 with fewer than two);
4. ``ecal_min`` — the ECAL shower carries a minimum energy (the boson's);
5. ``energy_sum`` — E_WCAL + E_ECAL equals the beam energy within the resolution;
6. ``shower_shape`` — the ECAL shower is a single EM shower (the pair is not resolved);
7. ``hcal_max`` — no energy in the HCAL.

The papers' body text quotes the criteria in words; the numerical defaults below are
na64's choices (each Cut's ``source`` says so) and every one is set from the analysis file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..units import GeV
from .cuts import Cut, Selection

__all__ = ["VISIBLE_COLUMNS", "visible_selection"]

#: Event columns read by the visible selection (reco quantities of :mod:`na64.pipeline`).
VISIBLE_COLUMNS: tuple[str, ...] = ("srd_energy", "n_tracks", "p_in", "veto_energy",
                                    "decay_counter_energy", "tracker_pair_separation",
                                    "ecal_energy", "energy_sum", "shower_chi2", "hcal_energy")

_P1803 = "arXiv:1803.07748 (selection criteria)"
_P1912 = "arXiv:1912.11389"


def _default_cuts(energy: float) -> list[Cut]:
    e = energy / GeV
    return [
        Cut("srd", "srd_energy", "between", ("1MeV", "100MeV"),
            "SRD energy in the synchrotron-radiation window (e- tag)", dimension="energy",
            source=f"{_P1803}; window: na64 choice"),
        Cut("single_track", "n_tracks", "==", 1, "exactly one upstream track",
            source=_P1803),
        Cut("beam_momentum", "p_in", "between", (f"{0.97 * e!r}GeV", f"{1.03 * e!r}GeV"),
            f"upstream momentum {e:g} GeV ± 3%", dimension="energy",
            source="as the invisible mode (arXiv:1906.00176): na64 choice"),
        Cut("w2_veto", "veto_energy", "<", "0.5MeV",
            "W2 counter behind the WCAL below ~0.5 MIP", dimension="energy",
            source=f"{_P1803} (no W2 signal); value: na64 choice"),
        Cut("decay_counter", "decay_counter_energy", "between", ("1.1MeV", "3MeV"),
            "decay counter consistent with two MIPs", dimension="energy",
            source=f"{_P1803} (S4 ≈ 2 MIP); window: na64 choice"),
        Cut("tracker", "tracker_pair_separation", ">=", "0mm",
            "two charged tracks from the decay volume at the tracker, separation >= value",
            dimension="length",
            source=f"{_P1803}, {_P1912} (decay-counter and tracker requirements quoted in "
                   "words); separation: na64 assumption (0: two tracks, not resolved)"),
        Cut("ecal_min", "ecal_energy", ">", "25GeV", "E_ECAL above the boson threshold",
            dimension="energy", source=f"{_P1803}; value: na64 choice"),
        Cut("energy_sum", "energy_sum", "between", (f"{0.9 * e!r}GeV", f"{1.1 * e!r}GeV"),
            "E_WCAL + E_ECAL = E_beam within the resolution", dimension="energy",
            source=f"{_P1803}; {_P1912}; window: na64 choice"),
        Cut("shower_shape", "shower_chi2", "<", 6.0,
            "ECAL lateral shape of a single EM shower (χ²/ndf)",
            source=f"{_P1803}; value: na64 choice"),
        Cut("hcal_max", "hcal_energy", "<", "1GeV", "E_HCAL < 1 GeV", dimension="energy",
            source=f"{_P1803}; value: na64 choice"),
    ]


def visible_selection(energy: float, config: Mapping[str, Any] | None = None) -> Selection:
    """The visible-mode selection for a beam of nominal ``energy`` (MeV), reconfigured by
    ``config`` (cut name → value or table, as :meth:`Selection.configure`).

    Examples
    --------
    >>> from na64.units import GeV
    >>> sel = visible_selection(100 * GeV, {"ecal_min": "30GeV"})
    >>> sel["ecal_min"].value_text()
    '30 GeV'
    >>> sel["energy_sum"].value_text()
    '[90 GeV, 110 GeV)'
    """
    if not energy > 0:
        raise InputError("energy", f"must be > 0 MeV, got {energy!r}")
    sel = Selection(_default_cuts(float(energy)), name="visible")
    if not config:
        return sel
    if not isinstance(config, Mapping):
        raise InputError("selection", f"config must be a mapping, got {type(config).__name__}")
    return sel.configure(dict(config))
