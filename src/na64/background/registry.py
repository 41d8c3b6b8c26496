"""Background sources as a registry, chosen by name in an analysis file.

Each source is a function ``source(ctx, rng, n) -> BackgroundSource | list | None``
registered with :func:`register_source`, in the way pyhf registers its modifiers; an
analysis names the ones it estimates (``[background] sources = [...]``) and
:func:`estimate_background` runs them in that order from one random generator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .base import DEFAULT_EVENTS, BackgroundContext, BackgroundEstimate, BackgroundSource

__all__ = ["SOURCES", "RegisteredSource", "estimate_background", "register_source",
           "source_names"]

SourceResult = BackgroundSource | list[BackgroundSource] | None
SourceFunction = Callable[[BackgroundContext, np.random.Generator, int], SourceResult]


@dataclass(frozen=True)
class RegisteredSource:
    """A registered background source.

    Attributes
    ----------
    name
        Registry name (used in analysis files).
    function
        ``function(ctx, rng, n)``: the source's estimate from ``n`` simulated events.
    description
        One line for listings.
    absent_note
        Note added to the estimate when the source has nothing to estimate for the setup
        (the function returned ``None`` or an empty list).
    """

    name: str
    function: SourceFunction
    description: str
    absent_note: str = ""

    def __call__(self, ctx: BackgroundContext, rng: np.random.Generator, n: int
                 ) -> list[BackgroundSource]:
        """The source's contributions (a list, possibly empty)."""
        out = self.function(ctx, rng, n)
        if out is None:
            return []
        return [out] if isinstance(out, BackgroundSource) else list(out)


SOURCES: dict[str, RegisteredSource] = {}

def register_source(name: str, description: str, *, absent_note: str = ""
                    ) -> Callable[[SourceFunction], SourceFunction]:
    """Decorator: register ``function(ctx, rng, n)`` as the background source ``name``."""

    def deco(function: SourceFunction) -> SourceFunction:
        if name in SOURCES:
            raise ValueError(f"background source {name!r} is already registered")
        SOURCES[name] = RegisteredSource(name, function, description, absent_note)
        return function

    return deco


def source_names() -> tuple[str, ...]:
    """Names of the registered background sources, in registration order."""
    return tuple(SOURCES)


def get_source(name: str, *, field: str = "background.sources") -> RegisteredSource:
    """The registered source ``name``; an unknown name is an :class:`InputError`."""
    try:
        return SOURCES[name]
    except KeyError:
        raise InputError(field, f"unknown background source {name!r}; allowed: "
                                f"{', '.join(SOURCES)}") from None


def estimate_background(ctx: BackgroundContext, rng: np.random.Generator, *,
                        sources: Sequence[str] | None = None,
                        n_events: int | None = None,
                        notes: Sequence[str] = ()) -> BackgroundEstimate:
    """Expected background per EOT of a search, per source.

    Parameters
    ----------
    ctx
        The search's pipeline and selection.
    rng
        Random generator (derive it from the job's ``SeedSequence``); the sources draw from
        it in the order given.
    sources
        Registry names (default: every registered source, in registration order).
    n_events
        Events simulated per source (default :data:`~na64.background.DEFAULT_EVENTS`).
    notes
        What the search's estimate leaves out (e.g.
        :data:`na64.background.MISSING_ENERGY_NOTES`), recorded with it.
    """
    n = int(n_events or DEFAULT_EVENTS)
    names = tuple(sources) if sources is not None else source_names()
    chosen = [get_source(s) for s in names]
    found: list[BackgroundSource] = []
    all_notes = list(notes)
    for src in chosen:
        out = src(ctx, rng, n)
        if not out and src.absent_note:
            all_notes.append(src.absent_note)
        found += out
    return BackgroundEstimate(tuple(found), tuple(all_notes))
