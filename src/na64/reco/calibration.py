"""Calibration of the shower-shape chi^2 on simulated electrons.

The cell variance of :func:`na64.reco.shower_chi2` has one term that no detector constant
fixes: the shower-to-shower fluctuation of the lateral cell fractions (longitudinal
fluctuations of the shower change its width at every depth, arXiv:hep-ex/0001020).  It is
calibrated here the way an experiment calibrates its shower-shape cut on electron
calibration runs: electrons of known energy hit the calorimeter uniformly over one cell,
and the relative fluctuation c is chosen at each energy so that the mean chi^2/ndf is 1.
The result is a table (E, c) for the calorimeter's ``shape_fluctuation``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..detector.response import response
from ..detector.setup import Setup
from ..errors import InputError
from ..units import GeV
from .calorimetry import fit_shower, target_calorimeter

__all__ = ["DEFAULT_ENERGIES", "calibrate_shower_shape", "calibrate_shower_shape_cached",
           "shape_fluctuation_points"]

#: Electron energies of the calibration (MeV).
DEFAULT_ENERGIES: tuple[float, ...] = tuple(e * GeV for e in (0.5, 1.0, 2.0, 5.0, 10.0, 20.0,
                                                                  50.0, 100.0, 150.0))

_C_MAX = 5.0


def shape_fluctuation_points(
    setup: Setup, *, detector: str | None = None,
    energies: Sequence[float] = DEFAULT_ENERGIES, n_events: int = 2000, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(energies, c) with c the shape fluctuation giving <chi^2/ndf> = 1 at each energy.

    Electrons enter along the beam axis at points uniform over one cell around x = y = 0.
    The impact point is fitted twice: first with the guess c = 0.1 + 0.4/sqrt(E/GeV),
    then with the c found, so that the fit weights and the calibration agree.  The
    showers are electromagnetic only (no hard photo-nuclear interaction).
    """
    from scipy.optimize import brentq  # imported on use: it is slow to import

    name, cal = target_calorimeter(setup, detector)
    if setup.target.hard_photonuclear:
        # the fluctuation of EM showers: the rare hadron showers of hard photo-nuclear
        # interactions (one 100 GeV shower in ~50) are what a shape cut rejects, and a
        # few of them would set the mean chi^2 of a sample
        setup = setup.with_hard_photonuclear(False)
    e = np.asarray(energies, dtype=float)
    if e.size == 0 or np.any(~np.isfinite(e)) or np.any(e <= 0):
        raise InputError("energies", "calibration energies must be positive")
    if n_events < 10:
        raise InputError("n_events", f"need at least 10 events, got {n_events}")
    seqs = np.random.SeedSequence(seed).spawn(e.size)
    sx, sy = cal.cell_size
    out = np.zeros(e.size)
    for i, (energy, seq) in enumerate(zip(e, seqs, strict=True)):
        rng = np.random.default_rng(seq)
        parts = {"pdg": np.full(n_events, 11), "energy": np.full(n_events, energy),
                 "x": rng.uniform(-0.5 * sx, 0.5 * sx, n_events),
                 "y": rng.uniform(-0.5 * sy, 0.5 * sy, n_events)}
        cells = response(setup, parts, rng)[name]
        c = 0.1 + 0.4 / np.sqrt(energy / GeV)
        for _ in range(2):
            fit = fit_shower(cells, setup, detector=name, shape=c)

            def excess(cv: float, fit=fit) -> float:
                chi2, ndf = fit.chi2(cv)
                keep = ndf > 0
                return float(np.mean(chi2[keep] / ndf[keep])) - 1.0

            c = 0.0 if excess(0.0) <= 0 else (
                _C_MAX if excess(_C_MAX) > 0 else brentq(excess, 0.0, _C_MAX, xtol=1e-4))
        out[i] = c
    return e, out


def calibrate_shower_shape(
    setup: Setup, *, detector: str | None = None,
    energies: Sequence[float] = DEFAULT_ENERGIES, n_events: int = 2000, seed: int = 0,
) -> tuple[tuple[float, float], ...]:
    """Calibration table ((E, c), ...) of one calorimeter of ``setup`` (E in MeV).

    The rows of :func:`shape_fluctuation_points`, c rounded to 1e-3; the value of the
    calorimeter's ``shape_fluctuation`` (in a setup file: ``[["0.5GeV", c], ...]``).
    """
    e, c = shape_fluctuation_points(setup, detector=detector, energies=energies,
                                    n_events=n_events, seed=seed)
    return tuple((float(ei), round(float(ci), 3)) for ei, ci in zip(e, c, strict=True))


_CACHE: dict[tuple[str, str], tuple[tuple[float, float], ...]] = {}


def calibrate_shower_shape_cached(setup: Setup, detector: str
                                  ) -> tuple[tuple[float, float], ...]:
    """:func:`calibrate_shower_shape` with default settings, once per setup and detector
    (for calorimeters whose configuration has no ``shape_fluctuation``)."""
    key = (setup.model_dump_json(), detector)
    if key not in _CACHE:
        _CACHE[key] = calibrate_shower_shape(setup, detector=detector)
    return _CACHE[key]
