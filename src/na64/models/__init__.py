"""Dark-sector models: a mass and couplings in, decay widths and branching ratios out.

Every model implements :class:`na64.models.base.Model`: ``widths()`` (MeV, keyed by final
state), ``total_width``, ``branching_ratios()``, ``ctau`` (mm), ``decay_length(energy)``,
``invisible_fraction`` and ``lepton_coupling(lepton)`` (in units of e, used to scale
production cross sections).

Examples
--------
>>> from na64.models import make_model
>>> from na64.units import MeV
>>> m = make_model("dark-photon", mass=100 * MeV, epsilon=1e-4)
>>> m.invisible_fraction > 0.99
True
"""

from __future__ import annotations

from typing import Any, Final

from ..errors import InputError
from .alp import ALP
from .b_minus_l import BminusL
from .base import INVISIBLE_CHANNELS, Model
from .dark_photon import CHI_KINDS, DarkPhoton, dark_photon_widths
from .lmu_ltau import LmuLtau
from .x_boson import X_KINDS, XBoson

__all__ = [
    "ALP",
    "CHI_KINDS",
    "INVISIBLE_CHANNELS",
    "MODEL_NAMES",
    "X_KINDS",
    "BminusL",
    "DarkPhoton",
    "LmuLtau",
    "Model",
    "XBoson",
    "dark_photon_widths",
    "make_model",
]

_REGISTRY: Final[dict[str, type[Model]]] = {
    DarkPhoton.name: DarkPhoton,
    ALP.name: ALP,
    LmuLtau.name: LmuLtau,
    XBoson.name: XBoson,
    BminusL.name: BminusL,
}

#: Names accepted by :func:`make_model`.
MODEL_NAMES: Final[tuple[str, ...]] = tuple(_REGISTRY)


def make_model(name: str, **params: Any) -> Model:
    """Build a model by registry name.

    Parameters
    ----------
    name
        One of :data:`MODEL_NAMES` (``"dark-photon"``, ``"alp"``, ``"lmu-ltau"``,
        ``"x-boson"``, ``"b-l"``).
    **params
        The model's constructor arguments in internal units (e.g. ``mass=100 * MeV``).

    Raises
    ------
    InputError
        Unknown name, unknown or missing parameter, or a value out of its range.
    """
    cls = _REGISTRY.get(name)
    if cls is None:
        raise InputError("model", f"unknown model {name!r}; allowed: {', '.join(MODEL_NAMES)}")
    try:
        return cls(**params)
    except TypeError as exc:
        raise InputError("model", f"bad parameters for {name!r}: {exc}") from None
