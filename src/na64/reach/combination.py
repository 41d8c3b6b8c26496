"""Joint limits of several searches on one coupling: energies, beams, periods.

Each search is a :class:`Channel`: its observed count, expected background (with its
uncertainty) and, per mass, the signal it expects at unit coupling.  For a model whose
yield scales as the coupling squared (ε² for the dark photon's invisible decays), channel
``i`` expects ``n_i ~ Poisson(ε² Y_i(m) + b_i)``.  At each mass the channels are one
counting experiment with the joint likelihood-ratio CLs of :mod:`na64.stats.combine`
(:func:`~na64.stats.combined_upper_limit`; Read, J. Phys. G 28 (2002) 2693), with weights
``w_i = Y_i(m)``: the limit ``S_up(m)`` on the total signal gives
``ε_90(m) = sqrt(S_up(m) / Σ_i Y_i(m))``.  Backgrounds and signal-yield uncertainties are
independent between channels (different beams, energies or periods: separate background
estimates); a channel without signal at a mass does not take part there.  A background
estimate whose uncertainty exceeds what the Gamma prior accepts (a zero-pass bound) is
treated as in the invisible-mode job (:func:`na64.reach.invisible._background`).

A channel's yields are given on its own mass grid; they are interpolated linearly in
(log m, log Y) onto the grid of the combination and are 0 outside the channel's range.

Small problems are solved exactly; a channel with a large background (many outcomes)
switches the CLs to pseudo-experiments (the constants ``_TOYS`` ... ``_BAND_OUTCOMES``
below give the precision).  With one channel the result is that channel's own single-run limit
(:func:`na64.stats.upper_limit`), and adding a channel never weakens the observed limit
when no channel sees an excess (tests/test_positron.py checks both).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError
from ..stats import Run, combined_expected_limits, combined_upper_limit
from ..units import GeV
from .invisible import _background

__all__ = ["Channel", "CombinedLimit", "channel_from_output", "combine_channels",
           "interpolate_yield"]

_BANDS = ("m2", "m1", "median", "p1", "p2")
#: Observed limit: exact enumeration up to this many outcome cells, else this many toys
#: (CLs toy error ~0.3% at CLs = 0.1).
_TOYS, _CELLS = 20_000, 200_000
#: Expected band: each background-only outcome's limit with fewer toys, and at most this
#: many sampled outcomes where the exact list would be long (a channel with a large
#: background): the band edges then carry a Monte Carlo error of a few per cent, which is
#: what makes a background-dominated channel affordable (seconds per mass, not minutes).
_BAND_TOYS, _BAND_CELLS, _BAND_OUTCOMES = 5_000, 50_000, 100


@dataclass(frozen=True)
class Channel:
    """One search entering a combination.

    Parameters
    ----------
    name
        Label, e.g. ``"e+ 100 GeV"``.
    masses
        Masses (MeV) of ``signal``, increasing.
    signal
        Expected signal events at unit coupling (yield per beam particle × exposure), per mass.
    n_obs
        Observed events in the signal box.
    b, sigma_b
        Expected background events and their absolute uncertainty.
    sigma_s_rel
        Relative uncertainty of the signal yield.
    """

    name: str
    masses: NDArray[np.float64]
    signal: NDArray[np.float64]
    n_obs: int
    b: float
    sigma_b: float = 0.0
    sigma_s_rel: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        m = np.asarray(self.masses, dtype=float)
        s = np.asarray(self.signal, dtype=float)
        if m.ndim != 1 or m.shape != s.shape or m.size == 0:
            raise InputError("signal", f"channel {self.name!r}: masses and signal must be "
                                       "1-D arrays of the same, non-zero length")
        if not (np.all(np.isfinite(m)) and np.all(m > 0) and np.all(np.diff(m) > 0)):
            raise InputError("masses", f"channel {self.name!r}: masses must be positive, "
                                       "finite and increasing")
        if not (np.all(np.isfinite(s)) and np.all(s >= 0)):
            raise InputError("signal", f"channel {self.name!r}: signal must be finite and >= 0")
        object.__setattr__(self, "masses", m)
        object.__setattr__(self, "signal", s)

    def scaled(self, factor: float, *, name: str | None = None) -> Channel:
        """The channel with exposure × ``factor`` (signal and background scaled), no events
        observed: a projection."""
        return Channel(name or self.name, self.masses, self.signal * factor, 0,
                       self.b * factor, self.sigma_b * factor, self.sigma_s_rel, self.notes)


@dataclass(frozen=True)
class CombinedLimit:
    """The joint limit of several channels, per mass.

    Attributes
    ----------
    masses
        Masses (MeV).
    eps_90
        Observed 90% CL upper limit on the coupling (1 where no channel has signal).
    eps_expected
        Expected limit under background only: ``m2, m1, median, p1, p2`` (the ±1σ, ±2σ band).
    s_up
        Limit on the total signal, per mass.
    signal
        Σ_i Y_i(m): the total signal at unit coupling, per mass.
    channels
        Names of the combined channels.
    """

    masses: NDArray[np.float64]
    eps_90: NDArray[np.float64]
    eps_expected: dict[str, NDArray[np.float64]]
    s_up: NDArray[np.float64]
    signal: NDArray[np.float64]
    channels: tuple[str, ...]


def interpolate_yield(masses: ArrayLike, channel: Channel) -> NDArray[np.float64]:
    """The channel's signal at ``masses``: linear in (log m, log Y) between its points,
    0 outside its mass range and next to a point without signal."""
    m = np.asarray(masses, dtype=float)
    cm, cs = channel.masses, channel.signal
    out = np.zeros_like(m)
    if cm.size == 1:
        out[np.isclose(m, cm[0], rtol=1e-9)] = cs[0]
        return out
    inside = (m >= cm[0] * (1 - 1e-12)) & (m <= cm[-1] * (1 + 1e-12))
    mm = np.clip(m[inside], cm[0], cm[-1])
    j = np.clip(np.searchsorted(cm, mm, side="right") - 1, 0, cm.size - 2)
    lo, hi = cs[j], cs[j + 1]
    t = (np.log(mm) - np.log(cm[j])) / (np.log(cm[j + 1]) - np.log(cm[j]))
    with np.errstate(divide="ignore"):
        val = np.where((lo > 0) & (hi > 0),
                       np.exp(np.log(np.maximum(lo, 1e-300)) * (1 - t)
                              + np.log(np.maximum(hi, 1e-300)) * t),
                       np.where(t < 1e-12, lo, np.where(t > 1 - 1e-12, hi, 0.0)))
    out[inside] = val
    return out


def _eps(s_up: float, total: float) -> float:
    """ε_90 from S_up and the total unit-coupling signal (1: no limit)."""
    if total <= 0 or not math.isfinite(s_up):
        return 1.0
    return float(min(1.0, math.sqrt(s_up / total)))


def _runs(channels: Sequence[Channel], yields: Sequence[float]) -> list[Run]:
    runs = []
    for c, y in zip(channels, yields, strict=True):
        if y > 0:
            b, sb = _background(c.b, c.sigma_b)
            runs.append(Run(c.n_obs, b, sb, weight=y, sigma_s_rel=c.sigma_s_rel, name=c.name))
    return runs


def _mass_limits(task: tuple[list[Run], bool]) -> tuple[float, dict[str, float] | None]:
    """S_up and (optionally) the expected S_up band of one mass (a picklable task)."""
    runs, expected = task
    s_up = combined_upper_limit(runs, n_toys=_TOYS, max_cells=_CELLS)
    if not expected:
        return s_up, None
    return s_up, combined_expected_limits(runs, n_toys=_BAND_TOYS, max_cells=_BAND_CELLS,
                                          n_outcomes=_BAND_OUTCOMES)


def combine_channels(channels: Sequence[Channel], masses: ArrayLike | None = None, *,
                     expected: bool = True, executor: Any = None) -> CombinedLimit:
    """Joint 90% CL limit on the coupling of several channels, per mass.

    Parameters
    ----------
    channels
        The searches (at least one).
    masses
        Masses (MeV) of the combination; default: the union of the channels' grids.
    expected
        Also compute the expected limits (median, ±1σ, ±2σ) under background only.
    executor
        A :mod:`na64.run` executor to compute the masses in parallel (default: in
        process); the result does not depend on it.

    Returns
    -------
    CombinedLimit
    """
    if not channels:
        raise InputError("channels", "at least one channel is needed")
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise InputError("channels", f"channel names must be distinct, got {names}")
    if masses is None:
        grid = np.unique(np.concatenate([c.masses for c in channels]))
    else:
        grid = np.asarray(masses, dtype=float).ravel()
        if grid.size == 0 or np.any(~np.isfinite(grid)) or np.any(grid <= 0):
            raise InputError("masses", "must be a non-empty list of positive masses")
    y = np.array([interpolate_yield(grid, c) for c in channels])  # (channels, masses)
    total = y.sum(axis=0)
    s_up = np.full(grid.size, np.inf)
    eps = np.ones(grid.size)
    eps_exp = {k: np.ones(grid.size) for k in _BANDS}
    index = []
    tasks = []
    for j in range(grid.size):
        runs = _runs(channels, y[:, j].tolist())
        if runs:
            index.append(j)
            tasks.append((runs, expected))
    if executor is None:
        results: Any = ((i, _mass_limits(t)) for i, t in enumerate(tasks))
    else:
        results = executor.map_unordered(_mass_limits, tasks)
    for i, (s, lim) in results:
        j = index[i]
        s_up[j] = s
        eps[j] = _eps(s, total[j])
        if lim is not None:
            for k in _BANDS:
                eps_exp[k][j] = _eps(lim[k], total[j])
    return CombinedLimit(masses=grid, eps_90=eps, eps_expected=eps_exp,
                         s_up=np.where(np.isfinite(s_up), s_up, 0.0), signal=total,
                         channels=tuple(names))


def channel_from_output(path: str | Path, *, alpha_d: float | None = None,
                        mass_ratio: float | None = None, field: str = "--combine-with",
                        brem_only: bool = False) -> Channel:
    """The :class:`Channel` of a finished ``na64 reach invisible`` result directory.

    Reads ``summary.json`` (exposure and efficiency scale of each run, observed events,
    background and its uncertainty, signal-yield uncertainty) and ``limits.csv`` (the
    signal per EOT at ε = 1, per mass), so that searches computed separately (e.g. the
    electron-beam analysis and a positron run) can be combined without recomputing them.

    Parameters
    ----------
    path
        The output directory of ``na64 reach invisible``.
    alpha_d, mass_ratio
        When given, the result must have been computed with these (the annihilation yield
        and y depend on them); otherwise a combination would mix two models.
    field
        Option named in errors.
    brem_only
        Keep only the signal of the processes that do not depend on the dark sector
        (``signal_per_eot_eps1`` minus ``annihilation_signal_per_eot_eps1``): the part that
        carries over to another vector boson with the same electron coupling.

    Raises
    ------
    InputError
        Missing or unreadable files, a result of another mode, or another α_D / mass ratio.
    """
    d = Path(path)
    try:
        summary = json.loads((d / "summary.json").read_text())
        with (d / "limits.csv").open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise InputError(field, f"{d} is not a 'na64 reach invisible' result ({exc.filename} "
                                "is missing)") from None
    except (OSError, ValueError) as exc:
        raise InputError(field, f"cannot read the result in {d}: {exc}") from None
    if not isinstance(summary, dict) or summary.get("mode", "invisible") != "invisible" \
            or "runs" not in summary or not rows or "signal_per_eot_eps1" not in rows[0]:
        raise InputError(field, f"{d} is not a 'na64 reach invisible' result")
    sig = summary.get("signal", {})
    for name, want in (("alpha_d", alpha_d), ("mass_ratio", mass_ratio)):
        if want is not None and not math.isclose(float(sig.get(name, math.nan)), want,
                                                 rel_tol=1e-9):
            raise InputError(field, f"{d} was computed with {name} = {sig.get(name)}, this "
                                    f"analysis uses {want:g}; recompute it with the same value")
    try:
        masses = np.array([float(r["mass_GeV"]) for r in rows]) * GeV
        per_eot = np.array([float(r["signal_per_eot_eps1"]) for r in rows])
        if brem_only:
            per_eot = per_eot - np.array([float(r.get("annihilation_signal_per_eot_eps1") or 0)
                                          for r in rows])
        exposure = sum(float(r["eot"]) * float(r.get("efficiency_scale", 1.0))
                       for r in summary["runs"])
        n_obs = int(summary["observed"])
        b = float(summary["expected_background"])
        sb = float(summary["expected_background_unc"])
        srel = float(summary.get("signal_yield_rel_uncertainty", 0.0))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(field, f"{d}: malformed result ({exc})") from None
    order = np.argsort(masses)
    beam = summary.get("beam", "e-")
    return Channel(name=f"{beam} {summary.get('analysis', d.name)}", masses=masses[order],
                   signal=np.clip(per_eot[order], 0.0, None) * exposure, n_obs=n_obs, b=b,
                   sigma_b=sb, sigma_s_rel=srel)
