"""Exceptions raised for bad user input.

Every error a user can cause (a malformed unit, a mass out of range, an unknown model,
a broken config file) is raised as :class:`InputError`.  It names the offending field
and the allowed range so that the command line can print it as one line and exit with
status 2.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Invalid user input.

    Parameters
    ----------
    field
        Name of the offending option, argument or config key (e.g. ``"--mass"`` or
        ``"ecal.cells"``).
    message
        What is wrong and what is allowed, e.g. ``"must be in (0, 99.5 GeV], got 200 GeV"``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
