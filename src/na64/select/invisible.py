"""The NA64 invisible-mode event selection (A' -> invisible, missing-energy search).

The cuts follow the selection of the NA64 searches with the 100 GeV e- beam at the H4 line:
Banerjee et al. (NA64), arXiv:1710.00971 (Phys. Rev. D 97 (2018) 072002), and
arXiv:1906.00176 (Phys. Rev. Lett. 123 (2019) 121801), selection criteria:

1. ``srd`` — the beam particle is tagged as an electron by its synchrotron radiation in the
   SRD (energy in the SR window);
2. ``veto`` — no charged particle in the veto counter behind the ECAL;
3. ``single_track`` — exactly one track upstream;
4. ``beam_momentum`` — its momentum is the beam momentum, 100 ± 3 GeV (arXiv:1906.00176);
5. ``preshower`` — the shower starts in the pre-shower (energy above a threshold);
6. ``shower_shape`` — the ECAL lateral profile is that of an EM shower (χ² below a cut);
7. ``ecal_max`` — E_ECAL below the signal-box edge, 50 GeV (both papers);
8. ``hcal_max`` — E_HCAL < 1 GeV (both papers).

The defaults of ``ecal_max``, ``hcal_max`` and ``beam_momentum`` are the published values.
The papers quote the SRD window, the veto and pre-shower thresholds and the χ² cut only in
words or in detector-specific units; the defaults below for those four (each Cut's
``source`` says which) are na64's own choices, to be set per setup through the config.

Column names default to :data:`DEFAULT_COLUMNS` — those of :mod:`na64.reco` (``ecal_energy``,
``preshower_energy``, ``hcal_energy``, ``veto_energy``, ``shower_chi2``) where it provides
them — and are configurable (``columns`` table).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .cuts import Cut, Selection

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DEFAULT_COLUMNS", "hcal_outside_shield", "invisible_selection", "with_shield_decays"]

#: Default event columns read by the invisible selection (reco quantities, hepunits).
DEFAULT_COLUMNS: dict[str, str] = {
    "srd_energy": "srd_energy",  # energy deposited in the synchrotron-radiation detector
    "veto_energy": "veto_energy",  # energy in the veto counter(s) behind the ECAL
    "n_tracks": "n_tracks",  # number of reconstructed upstream tracks
    "p_in": "p_in",  # momentum of the upstream track
    "preshower_energy": "preshower_energy",  # energy in the ECAL pre-shower section
    "shower_chi2": "shower_chi2",  # χ²/ndf of the ECAL lateral shower profile
    "ecal_energy": "ecal_energy",  # total ECAL energy
    "hcal_energy": "hcal_energy",  # total HCAL energy
}

_P1710 = "arXiv:1710.00971 (event selection)"
_P1906 = "arXiv:1906.00176 (selection criteria)"


def _default_cuts() -> list[Cut]:
    return [
        Cut("srd", "srd_energy", "between", ("1MeV", "100MeV"),
            "SRD energy in the synchrotron-radiation window (e- tag)", dimension="energy",
            source=f"{_P1710} (SR tag); window: na64 choice, SR of 100 GeV e- is O(10 MeV)"),
        Cut("veto", "veto_energy", "<", "1MeV",
            "veto energy < ~0.5 MIP (no charged particle after the ECAL)", dimension="energy",
            source=f"{_P1906} (no veto activity); 1 MeV ≈ 0.5 MIP in 1 cm plastic: na64 choice"),
        Cut("single_track", "n_tracks", "==", 1, "exactly one upstream track",
            source=_P1906),
        Cut("beam_momentum", "p_in", "between", ("97GeV", "103GeV"),
            "upstream momentum 100 ± 3 GeV", dimension="energy", source=_P1906),
        Cut("preshower", "preshower_energy", ">", "0.5GeV",
            "shower starts in the pre-shower (E_PS > threshold)", dimension="energy",
            source=f"{_P1710}; threshold: na64 choice"),
        Cut("shower_shape", "shower_chi2", "<", 3.0,
            "ECAL lateral shower shape consistent with an EM shower (χ²/ndf)",
            source=f"{_P1906}; value: na64 choice"),
        Cut("ecal_max", "ecal_energy", "<", "50GeV", "E_ECAL < 50 GeV (signal box)",
            dimension="energy", source=f"{_P1906}; {_P1710}"),
        Cut("hcal_max", "hcal_energy", "<", "1GeV", "E_HCAL < 1 GeV", dimension="energy",
            source=f"{_P1906}; {_P1710}"),
    ]


def invisible_selection(config: Mapping[str, Any] | str | Path | None = None) -> Selection:
    """The NA64 invisible-mode default selection, optionally reconfigured.

    Parameters
    ----------
    config
        A mapping or a TOML file/string.  Keys are cut names (``srd``, ``veto``,
        ``single_track``, ``beam_momentum``, ``preshower``, ``shower_shape``, ``ecal_max``,
        ``hcal_max``) with a new value (``{"ecal_max": "50GeV", "hcal_max": "1GeV"}``) or a
        table (``value``, ``column``, ``op``, ``enabled``); an optional ``columns`` table
        renames input columns (``{"columns": {"ecal_energy": "E_ecal"}}``).  A TOML
        document may hold these under a ``[selection]`` table.

    Returns
    -------
    Selection

    Examples
    --------
    >>> sel = invisible_selection({"ecal_max": "60GeV", "srd": {"enabled": False}})
    >>> sel["ecal_max"].value_text()
    '60 GeV'
    """
    if isinstance(config, (str, Path)):
        text = str(config)
        p = Path(text)
        try:
            if "\n" not in text and "=" not in text and p.exists():
                text = p.read_text(encoding="utf-8")
            data: Mapping[str, Any] = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise InputError("selection", f"cannot read TOML: {exc}") from exc
        if "selection" in data and isinstance(data["selection"], Mapping):
            data = data["selection"]
        config = data
    sel = Selection(_default_cuts(), name="invisible")
    if not config:
        return sel
    if not isinstance(config, Mapping):
        raise InputError("selection", f"config must be a mapping or TOML, got {type(config).__name__}")
    cfg = dict(config)
    columns = cfg.pop("columns", None)
    if columns is not None:
        if not isinstance(columns, Mapping):
            raise InputError("columns", "must be a table {default_name: your_column}")
        unknown = sorted(set(columns) - set(DEFAULT_COLUMNS))
        if unknown:
            raise InputError("columns", f"unknown columns {unknown}; allowed: {', '.join(DEFAULT_COLUMNS)}")
        bad = [k for k, v in columns.items() if not isinstance(v, str)]
        if bad:
            raise InputError("columns", f"column names must be strings: {bad}")
        sel = sel.with_columns(dict(columns))
    return sel.configure(cfg)


def hcal_outside_shield(events: Mapping[str, Any], sum_min: float) -> np.ndarray:
    """The HCAL energy a boson decaying behind the first HCAL module may leave unvetoed.

    The ALP search of arXiv:2005.02710 (abstract): an ALP made in the ECAL passes the first
    HCAL module, which serves as a shield, and is seen either as missing energy (decay
    beyond the HCAL) or through its a → γγ decay in the modules behind the first.  Events
    whose E_ECAL + E_HCAL reaches ``sum_min`` (the beam energy is back in the calorimeters)
    are cut on the first module's energy only; all others on the whole HCAL, as in the
    invisible selection.  The sum threshold is na64's choice (the paper quotes none).
    """
    hcal = np.asarray(events["hcal_energy"], dtype=float)
    first = hcal - np.asarray(events["hcal_back_energy"], dtype=float)
    total = np.asarray(events["ecal_energy"], dtype=float) + hcal
    return np.asarray(np.where(total >= sum_min, first, hcal), dtype=float)


def with_shield_decays(selection: Selection, sum_min: float) -> Selection:
    """``selection`` with its ``hcal_max`` cut on :func:`hcal_outside_shield` (same
    threshold), so that decays behind the first HCAL module are signal."""
    cuts = []
    for cut in selection:
        if cut.name == "hcal_max":
            # the parsed threshold is in MeV; a bare number would be read as GeV
            cut = Cut("hcal_max", functools.partial(hcal_outside_shield, sum_min=sum_min),
                      cut.op, f"{float(cut.value)!r}MeV",
                      f"E_HCAL < {cut.value_text()} (first module only if E_ECAL + E_HCAL "
                      f">= {sum_min / 1000.0:g} GeV)",
                      dimension=cut.dimension, source="arXiv:2005.02710 (HCAL1 as shield)",
                      enabled=cut.enabled)
        cuts.append(cut)
    return Selection(cuts, name=selection.name)
