"""``na64 display FILE --event N --out ev.png``: event display of one simulated event."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from ..errors import InputError

__all__ = ["load_event", "register"]

_FORMATS = (".png", ".pdf", ".svg")


def load_event(path: Path, index: int) -> tuple[dict[str, np.ndarray], int]:
    """Read the batch of ``path`` that contains event ``index``; return it and the index
    of the event inside the batch (only one batch is held in memory).

    Raises
    ------
    InputError
        ``FILE``: the file is missing, damaged or no event file (see
        :func:`na64.io.events.read_events`); ``--event``: ``index`` out of range.
    """
    from ..io.events import iter_events, num_events

    if not path.is_file():
        raise InputError("FILE", f"{str(path)!r} not found")
    n = num_events(path)
    if not 0 <= index < n:
        raise InputError("--event", f"must be in [0, {n - 1}] for {path.name} ({n} events), "
                                    f"got {index}")
    start = 0
    for batch in iter_events(path, step=100_000):
        size = next(iter(batch.values())).shape[0]
        if index < start + size:
            return batch, index - start
        start += size
    raise InputError("--event", f"event {index} not found in {path.name}")  # pragma: no cover


def _setup_from_provenance(path: Path) -> object | None:
    """The setup stored in the file's provenance (:func:`na64.run.select.file_setup`), or
    None: a display without geometry is still useful (it draws in cell units)."""
    from ..run.select import file_setup

    try:
        return file_setup(path)
    except Exception:  # no or unreadable provenance, a setup of another na64 version
        return None


def register(app: typer.Typer) -> None:
    """Add ``na64 display`` to ``app``."""

    @app.command("display")
    def display(
        file: Annotated[Path, typer.Argument(help="Event file (.parquet/.root) from "
                                             "'na64 simulate'.", show_default=False)],
        event: Annotated[int, typer.Option("--event", "-e", help="Event number (0-based).")] = 0,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output image (.png/.pdf/.svg).")]
        = Path("event.png"),
        setup: Annotated[str | None, typer.Option(
            "--setup", help="Setup name or TOML for cell positions (default: the file's "
                            "provenance, else cell units).")] = None,
        overwrite: Annotated[bool, typer.Option(
            "--overwrite", help="Replace an existing image at --out.")] = False,
    ) -> None:
        """Draw the ECAL (both sections), HCAL, veto and SRD of one event."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ..detector.setup import Setup, load_setup
        from ..io.atomic import atomic_path
        from ..plots.event_display import draw_event

        if out.suffix.lower() not in _FORMATS:
            raise InputError("--out", f"suffix must be one of {', '.join(_FORMATS)}, got "
                                      f"{out.suffix or 'none'!r}")
        if not overwrite and (out.exists() or out.is_symlink()):
            raise InputError("--out", f"{out} exists; choose another name or give --overwrite")
        geometry = load_setup(setup, field="--setup") if setup is not None else _setup_from_provenance(file)
        events, local = load_event(file, event)
        try:
            fig = draw_event(events, local,
                             setup=geometry if isinstance(geometry, Setup) else None,
                             title=f"{file.name}: event {event}")
        except InputError as exc:
            if exc.field != "events":
                raise
            # numeric columns, but not those of an na64 event (e.g. no calorimeter)
            raise InputError("FILE", f"{file}: not an na64 event file ({exc.message})") from None
        try:
            with atomic_path(out, field="--out") as tmp:
                fig.savefig(tmp, format=out.suffix.lower().lstrip("."), dpi=120)
        finally:
            plt.close(fig)
        typer.echo(f"wrote {out}")
