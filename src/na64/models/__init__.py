"""Dark-sector models: a mass and couplings in, decay widths and branching ratios out.

Every model implements :class:`na64.models.base.Model`: ``widths()`` (MeV, keyed by final
state), ``total_width``, ``branching_ratios()``, ``ctau`` (mm), ``decay_length(energy)``,
``invisible_fraction`` and ``lepton_coupling(lepton)`` (in units of e, used to scale
production cross sections).  Each model names its production coupling
(``coupling_name``, ``coupling_unit``, ``coupling_label``; ``with_coupling(value)``), and
:func:`model_info` lists that metadata by registry name.

The width formulas themselves live in :mod:`na64.physics.widths`; ``dark_photon_widths``
and ``CHI_KINDS`` are re-exported here.

Examples
--------
>>> from na64.models import make_model
>>> from na64.units import MeV
>>> m = make_model("dark-photon", mass=100 * MeV, epsilon=1e-4)
>>> m.invisible_fraction > 0.99
True
>>> m.with_coupling(1e-3).epsilon
0.001
>>> model_info("alp")["coupling_unit"]
'GeV^-1'
"""

from __future__ import annotations

import inspect
from typing import Any, Final, TypedDict

from ..errors import InputError
from .alp import ALP
from .b_minus_l import BminusL
from .base import INVISIBLE_CHANNELS, Model
from .dark_photon import CHI_KINDS, DarkPhoton, dark_photon_widths
from .idm import Idm
from .lmu_ltau import LmuLtau
from .scalar_mu import ScalarMu
from .x_boson import X_KINDS, X_MODELS, XAxial, XBoson, XPseudoscalar, XScalar, XVector

__all__ = [
    "ALP",
    "CHI_KINDS",
    "INVISIBLE_CHANNELS",
    "MODEL_NAMES",
    "X_KINDS",
    "X_MODELS",
    "BminusL",
    "DarkPhoton",
    "Idm",
    "LmuLtau",
    "Model",
    "ModelInfo",
    "ScalarMu",
    "XBoson",
    "dark_photon_widths",
    "make_model",
    "model_info",
]

_REGISTRY: Final[dict[str, type[Model]]] = {
    DarkPhoton.name: DarkPhoton,
    ALP.name: ALP,
    LmuLtau.name: LmuLtau,
    XBoson.name: XBoson,
    BminusL.name: BminusL,
    XScalar.name: XScalar,
    XPseudoscalar.name: XPseudoscalar,
    XVector.name: XVector,
    XAxial.name: XAxial,
    ScalarMu.name: ScalarMu,
    Idm.name: Idm,
}

#: Names accepted by :func:`make_model`.
MODEL_NAMES: Final[tuple[str, ...]] = tuple(_REGISTRY)


class ModelInfo(TypedDict):
    """Metadata of a registered model, as returned by :func:`model_info`."""

    #: Registry name (one of :data:`MODEL_NAMES`).
    name: str
    #: Constructor parameter that is the production coupling.
    coupling_name: str
    #: Unit in which the coupling is reported (``""`` if dimensionless).
    coupling_unit: str
    #: Size of ``coupling_unit`` in internal units (reported value = internal / scale).
    coupling_scale: float
    #: Matplotlib mathtext axis label of the coupling.
    coupling_label: str
    #: Names of the constructor parameters, in order.
    parameters: tuple[str, ...]


def _model_class(name: str) -> type[Model]:
    cls = _REGISTRY.get(name)
    if cls is None:
        raise InputError("model", f"unknown model {name!r}; allowed: {', '.join(MODEL_NAMES)}")
    return cls


def model_info(name: str) -> ModelInfo:
    """The coupling metadata and constructor parameters of the model ``name``.

    Parameters
    ----------
    name
        One of :data:`MODEL_NAMES`.

    Returns
    -------
    dict
        ``name``, ``coupling_name``, ``coupling_unit``, ``coupling_scale``,
        ``coupling_label`` (see :class:`Model`) and ``parameters`` (the constructor's
        parameter names, in order).

    Raises
    ------
    InputError
        Unknown name.

    Examples
    --------
    >>> model_info("dark-photon")["parameters"]
    ('mass', 'epsilon', 'alpha_D', 'm_chi', 'chi')
    """
    cls = _model_class(name)
    return ModelInfo(
        name=cls.name,
        coupling_name=cls.coupling_name,
        coupling_unit=cls.coupling_unit,
        coupling_scale=cls.coupling_scale,
        coupling_label=cls.coupling_label,
        parameters=tuple(inspect.signature(cls).parameters),
    )


def make_model(name: str, **params: Any) -> Model:
    """Build a model by registry name.

    Parameters
    ----------
    name
        One of :data:`MODEL_NAMES` (``"dark-photon"``, ``"alp"``, ``"lmu-ltau"``,
        ``"x-boson"``, ``"b-l"``, ``"idm"``, ...).
    **params
        The model's constructor arguments in internal units (e.g. ``mass=100 * MeV``).

    Raises
    ------
    InputError
        Unknown name, unknown or missing parameter, or a value out of its range.
    """
    cls = _model_class(name)
    try:
        return cls(**params)
    except TypeError as exc:
        raise InputError("model", f"bad parameters for {name!r}: {exc}") from None
