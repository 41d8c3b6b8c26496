"""Resolve a user's choice of a named preset, an instance or its fields (one error path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ..errors import InputError

__all__ = ["resolve_choice"]

T = TypeVar("T")


def resolve_choice(choice: str | T | Mapping[str, Any], cls: type[T],
                   presets: Mapping[str, T], field: str, what: str) -> T:
    """``choice`` as an instance of ``cls``: a name of ``presets`` (case and surrounding
    blanks ignored), an instance, or the constructor's fields.

    Raises
    ------
    InputError
        On ``field``: an unknown name (the allowed ones listed) or fields ``cls`` rejects
        (``what`` names the kind of value in the message).
    """
    if isinstance(choice, cls):
        return choice
    if isinstance(choice, str):
        found = presets.get(choice.strip().lower())
        if found is None:
            names = list(presets)
            allowed = names[0] if len(names) == 1 else \
                f"{', '.join(names[:-1])} or {names[-1]}"
            raise InputError(field, f"must be {allowed}, got {choice!r}")
        return found
    try:
        return cls(**dict(choice))  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(field, f"invalid {what} {choice!r} ({exc})") from None
