"""The one column schema of na64 events.

Every stage of the event pipeline adds named columns to a columnar event table (a ``dict``
of equal-length numpy arrays, event first).  ``na64 simulate`` writes these columns,
``na64 select`` and the searches read them, and the background estimate produces them: one
name means one quantity everywhere.

Column groups
-------------
* **beam truth** (``beam_*``): the incoming particle before the target, as sampled by
  :func:`na64.beam.sample_beam` (``beam_decayed``, ``beam_parent_pdg``, ...).
* **beam-line detectors** (digitised): ``srd`` (n, modules) MeV; per spectrometer of the beam
  line, lower-case name ``<s>``: ``<s>_momentum`` (MeV, 0 when no track), ``<s>_valid``,
  ``<s>_slope_in``, ``<s>_slope_out`` (rad), ``<s>_hits_x`` (n, stations; mm) and
  ``<s>_hit_mask``; ``trigger`` (bool) where the beam line has trigger counters behind
  the target.
* **calorimeters and counters** (digitised, :class:`~na64.pipeline.DetectorResponse`): one
  cell array per detector of the setup (``ecal`` (n, 2, ny, nx), ``hcal`` (n, modules, 3,
  3), ``veto`` (n, counters), ``wcal``, ``vhcal``), and the truth of what entered them
  (``true_pdg``, ``true_energy``, ``true_x``, ... , ``true_n_particles``); where the beam
  line has a spectrometer behind the target, the particle that leaves towards it:
  ``true_exit_energy``, ``true_exit_pdg`` and its line ``true_exit_x``, ``true_exit_tx``,
  ``true_exit_y``, ``true_exit_ty`` (mm, rad; written at the target face).
* **reconstruction** (:data:`RECO_COLUMNS`, :func:`~na64.pipeline.reconstruct`): the
  quantities a selection cuts on, computed from the digitised columns alone, so a file
  written without them can be reconstructed later.
* **signal truth**: ``true_e_aprime`` (energy carried away by the dark-sector particle) and
  ``weight`` (events per EOT of a biased sample) where a signal process made the event.
"""

from __future__ import annotations

from typing import Final

__all__ = ["RECO_COLUMNS", "spectrometer_columns"]

#: Reconstructed columns and their meaning (internal units: MeV, mm).
RECO_COLUMNS: Final[dict[str, str]] = {
    "srd_energy": "energy summed over the SRD modules (MeV)",
    "n_tracks": "reconstructed tracks in the first (upstream) spectrometer: 0 or 1",
    "p_in": "momentum measured by the first (upstream) spectrometer (MeV; 0: no track)",
    "p_out": "momentum measured by the spectrometer behind the target, where the beam line "
             "has one (else by its second spectrometer) (MeV; 0: no track)",
    "n_tracks_out": "tracks reconstructed by the spectrometer behind the target: 0 or 1 "
                    "(where the beam line has one)",
    "ecal_energy": "total energy of the ECAL (of the target calorimeter in a setup without "
                   "an ECAL) (MeV)",
    "preshower_energy": "energy of the ECAL's first section (MeV)",
    "shower_chi2": "chi^2/ndf of the ECAL's lateral profile to an EM shower starting at its face",
    "hcal_energy": "total HCAL energy (MeV; 0 without an HCAL)",
    "veto_energy": "largest energy of the veto counters (MeV; 0 without a veto)",
    "hcal_back_energy": "energy of the HCAL modules behind the first (MeV; where the setup "
                        "has more than one)",
    "vhcal_energy": "total energy of the veto HCAL (MeV; where the setup has one)",
    "wcal_energy": "total energy of the WCAL (MeV; where the setup has a WCAL)",
    "energy_sum": "WCAL + ECAL energy (MeV; where the setup has a WCAL in front of the ECAL)",
    "trigger": "1 if the particle leaving the target crosses every trigger counter of the "
               "beam line behind it (1 for every event of a beam line without one)",
    "decay_counter_energy": "energy of the counter behind the decay volume (MeV; where the "
                            "setup has one)",
}


def spectrometer_columns(name: str) -> tuple[str, ...]:
    """Digitised columns of the spectrometer ``name`` (lower-cased in column names)."""
    s = name.lower()
    return (f"{s}_momentum", f"{s}_valid", f"{s}_slope_in", f"{s}_slope_out", f"{s}_hits_x",
            f"{s}_hit_mask")
