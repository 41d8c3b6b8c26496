"""Select the events of a file: reconstruct where needed, apply a selection, cut-flow.

Event files written by ``na64 simulate`` hold the digitised columns of the pipeline
(:mod:`na64.pipeline.schema`); :func:`select_file` reads them in batches, adds the
reconstructed columns with :func:`na64.pipeline.reconstruct` when the file lacks them (the
setup comes from the file's provenance unless given), and accumulates the cut-flow of a
selection over the batches (:meth:`na64.select.CutFlow.merge`), so memory does not grow with
the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..detector.setup import Setup, setup_from_dict
from ..errors import InputError
from ..io.events import iter_events, read_provenance
from ..pipeline import RECO_COLUMNS, reconstruct
from ..select import CutFlow, Selection

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["file_setup", "select_file"]


def file_setup(path: str | os.PathLike[str]) -> Setup:
    """The setup an event file was simulated with (the TOML text in its provenance).

    Raises
    ------
    InputError
        The file has no provenance with a setup (then pass the setup explicitly).
    """
    p = Path(path)
    prov = read_provenance(p)
    text = prov.get("setup_toml")
    if not isinstance(text, str):
        raise InputError("--setup", f"{p.name} records no setup in its provenance; "
                                    "give the setup it was simulated with")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("--setup", f"{p.name}: the setup in its provenance is not valid "
                                    f"TOML ({exc})") from None
    setup = setup_from_dict(data, source=f"{p.name} provenance")
    energy = prov.get("beam_energy_MeV")
    particle = prov.get("beam_particle")
    if energy is not None or particle is not None:
        beam = dict(setup.beam)
        if particle is not None:
            beam["particle"] = particle
        if energy is not None:
            beam["energy"] = f"{float(energy)!r}MeV"
        data["beam"] = beam
        setup = setup_from_dict(data, source=f"{p.name} provenance")
    return setup


def select_file(path: str | os.PathLike[str], selection: Selection, *,
                setup: Setup | None = None, weights: str | None = None,
                step: int = 100_000) -> CutFlow:
    """Cut-flow of ``selection`` over the events of an event file.

    Parameters
    ----------
    path
        A Parquet or ROOT event file (``na64 simulate``, or any file with the columns the
        selection reads).
    selection
        The selection (e.g. :meth:`na64.reach.config.SelectionConfig.build`).
    setup
        Setup for the reconstruction of files without reconstructed columns (default: the
        one in the file's provenance).
    weights
        Name of a column of event weights (default: unweighted).
    step
        Events read per batch.
    """
    flows: list[CutFlow] = []
    geometry = setup
    for batch in iter_events(path, step=step):
        ev: dict[str, Any] = dict(batch)
        if any(c.enabled and isinstance(c.column_or_function, str)
               and c.column_or_function not in ev
               for c in selection.cuts):
            missing = [c for c in RECO_COLUMNS if c not in ev]
            if missing:
                geometry = geometry if geometry is not None else file_setup(path)
                reco = reconstruct(ev, geometry)
                ev.update({k: v for k, v in reco.items() if k not in ev})
        w = None
        if weights is not None:
            if weights not in ev:
                raise InputError("--weights", f"no column {weights!r} in {Path(path).name}")
            w = np.asarray(ev[weights], dtype=float)
        flows.append(selection.cutflow(ev, weights=w))
    if not flows:
        raise InputError("events", f"{Path(path).name} holds no events")
    return CutFlow.merge(flows)
