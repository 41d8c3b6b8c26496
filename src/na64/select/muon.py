"""The NA64mu missing-momentum selection (a muon leaves the target with much of its
momentum gone and nothing else is seen).

The criteria follow the NA64mu searches with the 160 GeV M2 muon beam, Andreev et al.
(NA64), arXiv:2401.01708 (PRL 132, 211803 (2024)) and arXiv:2409.10128:

1. ``single_track``, ``beam_momentum`` — one incoming track in MS1 with the beam
   momentum;
2. ``trigger`` — the scattered muon crosses the trigger counters behind MS2 (the beam
   line's ``trigger`` list, position after the MS2 bend; no counters: every event);
   ``outgoing_track`` — one track in MS2, the spectrometer behind the target (a station
   records a hit only inside its active area);
3. ``p_out_max`` — its momentum below the signal-box edge, p_out < 80 GeV/c (both papers,
   i.e. about half the beam momentum);
4. ``ecal_mip``, ``vhcal_max``, ``hcal_mip`` — no more than a minimum-ionizing particle in
   the ECAL (the active target) and the HCAL, nothing in the veto HCAL around the beam
   hole ("no activity in the downstream calorimeters");
5. ``muon_id`` — the outgoing particle is a muon: it crosses the HCAL modules behind the
   first (an electron's shower ends in the first, 68 X0 of iron).

The papers quote the window on p_in and the calorimeter thresholds in words; the defaults
below for those (each Cut's ``source`` says so) are na64's choices: the calorimeter cuts
keep ~94% of the 160 GeV beam muons of the fast simulation (the others radiate a hard
photon that the calorimeters see; ``tests/test_reach_muon.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..units import GeV
from .cuts import Cut, Selection

__all__ = ["MUON_COLUMNS", "muon_selection"]

#: Event columns read by the muon selection (reco quantities of :mod:`na64.pipeline`).
MUON_COLUMNS: tuple[str, ...] = ("n_tracks", "p_in", "trigger", "n_tracks_out", "p_out",
                                 "ecal_energy", "vhcal_energy", "hcal_energy",
                                 "hcal_back_energy")

_P2401 = "arXiv:2401.01708 (event selection)"
_P2409 = "arXiv:2409.10128 (signal region)"


def _default_cuts(energy: float) -> list[Cut]:
    e = energy / GeV
    return [
        Cut("single_track", "n_tracks", "==", 1, "exactly one incoming track (MS1)",
            source=_P2401),
        Cut("beam_momentum", "p_in", "between", (f"{0.94 * e!r}GeV", f"{1.06 * e!r}GeV"),
            f"incoming momentum {e:g} GeV ± 6%", dimension="energy",
            source=f"{_P2401}; window: na64 choice"),
        Cut("trigger", "trigger", "==", 1, "the scattered muon crosses the trigger counters "
            "behind MS2 (always 1 for a beam line without them)",
            source=f"{_P2409} (trigger on the scattered muon); geometry: the beam line"),
        Cut("outgoing_track", "n_tracks_out", "==", 1, "exactly one outgoing track (MS2)",
            source=_P2401),
        Cut("p_out_max", "p_out", "<", f"{0.5 * e!r}GeV",
            f"outgoing momentum below {0.5 * e:g} GeV (signal box)", dimension="energy",
            source=f"{_P2401}; {_P2409}"),
        Cut("ecal_mip", "ecal_energy", "<", "6GeV", "E_ECAL of a minimum-ionizing particle",
            dimension="energy", source=f"{_P2401} (MIP in the ECAL); value: na64 choice"),
        Cut("vhcal_max", "vhcal_energy", "<", "1GeV", "no energy in the veto HCAL",
            dimension="energy", source=f"{_P2409} (VHCAL veto); value: na64 choice"),
        Cut("hcal_mip", "hcal_energy", "<", "20GeV", "E_HCAL of a minimum-ionizing particle",
            dimension="energy", source=f"{_P2401} (MIP in the HCAL); value: na64 choice"),
        Cut("muon_id", "hcal_back_energy", ">", "0.5GeV",
            "the outgoing particle crosses the HCAL modules behind the first (a muon, not an "
            "electron shower)", dimension="energy",
            source=f"{_P2409} (muon identification in the HCAL); value: na64 choice"),
    ]


def muon_selection(energy: float, config: Mapping[str, Any] | None = None) -> Selection:
    """The missing-momentum selection for a muon beam of nominal ``energy`` (MeV),
    reconfigured by ``config`` (cut name → value or table, as :meth:`Selection.configure`).

    Examples
    --------
    >>> from na64.units import GeV
    >>> sel = muon_selection(160 * GeV)
    >>> sel["p_out_max"].value_text()
    '80 GeV'
    >>> muon_selection(160 * GeV, {"p_out_max": "60GeV"})["p_out_max"].value_text()
    '60 GeV'
    """
    if not energy > 0:
        raise InputError("energy", f"must be > 0 MeV, got {energy!r}")
    sel = Selection(_default_cuts(float(energy)), name="muon")
    if not config:
        return sel
    if not isinstance(config, Mapping):
        raise InputError("selection", f"config must be a mapping, got {type(config).__name__}")
    return sel.configure(dict(config))
