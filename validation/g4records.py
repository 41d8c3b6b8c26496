"""Reading the raw per-event records of the Geant4 reference program (``../shared/g4ref``
and its variants): float32 records of a fixed layout, described with the run's settings in
a JSON side file ``<file>.json``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from na64.io.atomic import atomic_write_text


def read_records(path: Path, dtype: type = np.float64) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The run's settings and its per-event arrays, one per field of the layout (shape
    ``(events, *shape)``, a field of size 1 as ``(events,)``), as ``dtype``.  A file whose
    record count differs from the side file's ``n_events`` (a run cut short) is refused."""
    meta = json.loads(Path(f"{path}.json").read_text())
    layout = dict(meta["layout"])
    n = int(layout.pop("n"))
    raw = np.fromfile(path, dtype=np.float32).reshape(-1, n).astype(dtype)
    if "n_events" in meta and raw.shape[0] != meta["n_events"]:
        raise SystemExit(f"{path}: {raw.shape[0]} records, side file says {meta['n_events']}")
    out = {}
    for name, (offset, shape) in layout.items():
        if isinstance(shape, list):
            out[name] = raw[:, offset:offset + int(np.prod(shape))].reshape((-1, *shape))
        else:
            out[name] = raw[:, offset:offset + int(shape)][:, 0]
    return meta, out


def read_run(path: Path, dtype: type = np.float64) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """:func:`read_records` of a raw run, or the per-event arrays of the shipped reference
    (``../shared/reference/g4_na64e/*.npz``, the settings in its ``meta`` entry)."""
    if Path(path).suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return (json.loads(str(z["meta"])),
                    {k: z[k].astype(dtype) for k in z.files if k != "meta"})
    return read_records(path, dtype)


def binomial(mask: np.ndarray, zero_bound: float) -> tuple[float, float]:
    """Fraction of ``mask`` that is true and its binomial error; with none (or all) true,
    the error is ``zero_bound / n`` (the convention of the table being written)."""
    n = mask.size
    k = int(mask.sum())
    p = k / n
    return p, (float(np.sqrt(p * (1 - p) / n)) if 0 < k < n else zero_bound / n)


#: The table of the 100 GeV reference (made with ``../shared/g4ref``; copied into the tests)
REFERENCE_100GEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "g4_na64e_100GeV.csv"


def ecal_sampling_fraction() -> float:
    """The reference ECAL's electron calibration f_sc = mean(Sc) / mean(Pb + Sc) of its 100
    GeV electrons (``sampling_fraction_sc`` of :data:`REFERENCE_100GEV`): calibrated ECAL
    energy = scintillator deposit / f_sc, in every table made from that program."""
    from na64.detector.observables import read_reference_table

    return read_reference_table(REFERENCE_100GEV)[("e-", "sampling_fraction_sc")].value


def write_reference_csv(path: Path, comment: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts with the same keys) as a CSV table with a one-line ``#``
    comment naming its provenance, atomically (a temporary file renamed into place)."""
    buf = io.StringIO()
    buf.write(f"# {comment}\n")
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())
