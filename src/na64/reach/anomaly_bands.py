"""The couplings that would explain a lepton's g−2 anomaly, per model, for limit plots.

A boson coupled to a charged lepton shifts its anomalous magnetic moment at one loop
(:func:`na64.physics.g_minus_2.delta_a`; Leveille, Nucl. Phys. B137 (1978) 285).  The
bands drawn next to a limit are the couplings for which that shift explains the measured
anomaly within ±2σ (:func:`na64.physics.g_minus_2.favoured_band`):

* X bosons coupled to electrons (``x-scalar``, ``x-pseudoscalar``, ``x-vector``,
  ``x-axial``): Δa_e with α from caesium (−2.4σ, only an axial or pseudoscalar boson can
  explain it) and from rubidium (+1.6σ, vector or scalar), at ±1σ: at ±2σ the rubidium
  anomaly is compatible with zero and gives no lower edge (a band of zero width, where the
  spin has the wrong sign, is not drawn);
* bosons coupled to muons with a vector coupling g (``lmu-ltau``, ``b-l``): the 2021
  (g−2)_μ average (arXiv:2104.03281 with the 2020 White Paper, arXiv:2006.04822), ±2σ.

Other models (the ALP, the dark photon of the invisible search) get no band here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..physics.g_minus_2 import (
    DELTA_A_E_CS,
    DELTA_A_E_RB,
    DELTA_A_MU_2021,
    Anomaly,
    Spin,
    favoured_band,
)

__all__ = ["AnomalyBand", "favoured_bands"]

#: Spin of the one-loop exchange of each X boson.
_X_SPIN: dict[str, Spin] = {"x-scalar": "scalar", "x-pseudoscalar": "pseudoscalar",
                            "x-vector": "vector", "x-axial": "axial"}

#: (column stem, plot label, anomaly, number of standard deviations) per lepton anomaly.
_ELECTRON: tuple[tuple[str, str, Anomaly, float], ...] = (
    ("g_minus_2_e_cs", r"$(g-2)_e$, $\alpha$(Cs), $\pm 1\sigma$", DELTA_A_E_CS, 1.0),
    ("g_minus_2_e_rb", r"$(g-2)_e$, $\alpha$(Rb), $\pm 1\sigma$", DELTA_A_E_RB, 1.0),
)
_MUON: tuple[tuple[str, str, Anomaly, float], ...] = (
    ("g_minus_2_mu", r"$(g-2)_\mu$ 2021, $\pm 2\sigma$", DELTA_A_MU_2021, 2.0),
)


@dataclass(frozen=True)
class AnomalyBand:
    """Couplings (internal units) explaining one anomaly within ``n_sigma``, per mass:
    ``low <= g <= high`` (both 0 where the model's spin cannot explain it)."""

    column: str
    label: str
    low: np.ndarray
    high: np.ndarray

    @property
    def drawable(self) -> bool:
        """At least two masses with a band of non-zero width."""
        return int(np.count_nonzero(self.high > self.low)) >= 2


def favoured_bands(model: str, masses: ArrayLike) -> list[AnomalyBand]:
    """The g−2 bands of ``model`` (registry name) at ``masses`` (MeV), in the model's
    coupling (see the module docstring); empty for a model without one."""
    m = np.asarray(masses, dtype=float)
    if model in _X_SPIN:
        spin, rows = _X_SPIN[model], _ELECTRON
    elif model in ("lmu-ltau", "b-l"):
        spin, rows = "vector", _MUON
    else:
        return []
    out = []
    for column, label, anomaly, n_sigma in rows:
        lo, hi = favoured_band(m, anomaly, n_sigma, spin=spin)
        out.append(AnomalyBand(column, label, np.asarray(lo, dtype=float),
                               np.asarray(hi, dtype=float)))
    return out
