"""Setup and cut studies on kept samples (``na64 optimize``).

:func:`optimize` scans one or two analysis keys (a cut such as ``selection.ecal_max``, the
exposure ``eot``, any key :func:`na64.reach.settings.apply_settings` accepts that the
samples can stand for, :func:`na64.reach.samples.check_compatible`) and, per grid point
and chosen mass, gives

* the expected (median) and observed 90% CL limits on ε and y of the reach job
  (:func:`na64.reach.samples.run_from_samples`: selection and :mod:`na64.stats` on the
  samples);
* the exposure at which the median expected limit reaches a target ε (or y): the root in
  EOT of ε_exp(EOT) = ε_target with ε_exp(EOT) = sqrt(S_med(EOT) / (N_sig(ε = 1)/EOT ·
  EOT)) and S_med the median expected CLs limit for the background scaled to that exposure
  (:func:`na64.stats.projected_limits`, the projections of the reach job).  Background-free,
  S_med is constant, so the EOT needed scales as ε_target⁻².

The y of a given ε is y = ε² α_D (m_χ/m_A')⁴ (arXiv:1906.00176, Eq. (2);
:func:`na64.stats.eps_to_y`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..errors import InputError
from ..stats import eps_to_y, exclusion_eps, projected_limits
from ..units import GeV
from .config import AnalysisConfig, RunConfig
from .invisible import ReachResult, _background
from .samples import SampleSet, check_compatible, run_from_samples
from .settings import apply_settings, parse_setting

__all__ = ["EOT_RANGE", "OPTIMIZE_COLUMNS", "Scan", "eot_for_epsilon", "optimize", "parse_scan"]

#: Exposures searched for the EOT needed to reach a target (EOT).
EOT_RANGE = (1e6, 1e16)

#: Columns of ``optimize.csv`` besides the scanned keys.
OPTIMIZE_COLUMNS = ["mass_GeV", "eot", "epsilon_expected", "epsilon_90cl", "y_expected",
                    "y_90cl", "signal_per_eot_eps1", "background_events",
                    "eot_for_target"]

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class Scan:
    """One scanned key and its values (as ``--set`` texts, with units)."""

    key: str
    values: tuple[str, ...]


def parse_scan(text: str, field: str = "--scan") -> Scan:
    """``key=lo:hi:n`` (``n`` values, evenly spaced; log-spaced for ``eot``) or
    ``key=a,b,c`` → :class:`Scan`.

    Raises
    ------
    InputError
        A malformed range (the field is ``field``).
    """
    key, value = parse_setting(text, field)
    if ":" not in value:
        vals = tuple(v.strip() for v in value.split(",") if v.strip())
        if not vals:
            raise InputError(field, f"no values for {key}")
        return Scan(key, vals)
    parts = value.split(":")
    if len(parts) != 3:
        raise InputError(field, f"expected {key}=LOW:HIGH:N, got {value!r}")
    lo_m, hi_m = _NUMBER.match(parts[0]), _NUMBER.match(parts[1])
    try:
        n = int(parts[2])
    except ValueError:
        n = 0
    if lo_m is None or hi_m is None or not 2 <= n <= 200:
        raise InputError(field, f"expected {key}=LOW:HIGH:N with numbers (same unit) and "
                                f"2 <= N <= 200, got {value!r}")
    unit = lo_m.group(2) or hi_m.group(2)
    if lo_m.group(2) and hi_m.group(2) and lo_m.group(2) != hi_m.group(2):
        raise InputError(field, f"LOW and HIGH of {key} need the same unit")
    lo, hi = float(lo_m.group(1)), float(hi_m.group(1))
    if key == "eot":
        if not 0 < lo < hi:
            raise InputError(field, "eot needs 0 < LOW < HIGH")
        grid = np.geomspace(lo, hi, n)
    else:
        if not lo < hi:
            raise InputError(field, f"{key} needs LOW < HIGH")
        grid = np.linspace(lo, hi, n)
    return Scan(key, tuple(f"{float(v)!r}{unit}" for v in grid))


def _expected_eps(result: ReachResult, i: int, eot: float) -> float:
    """Median expected ε limit at mass index ``i`` for an exposure ``eot`` (the reach job's
    projection: :func:`na64.stats.projected_limits`, background scaled with the EOT)."""
    bg = result.background
    b_p, sb_p = _background(bg.per_eot * eot, bg.per_eot_unc * eot)
    s_p = projected_limits(eot, b_p / eot, sb_p / b_p if b_p > 0 else 0.0,
                           sigma_s_rel=result.config.signal.yield_rel_uncertainty)["median"]
    n_sig = np.array([result.points[i].yield_per_eot * eot])
    return float(exclusion_eps(result.masses[i:i + 1], n_sig, float(s_p)).eps[0])


def eot_for_epsilon(result: ReachResult, i: int, target: float) -> float | None:
    """Exposure at which the median expected limit at mass index ``i`` reaches ``target``
    (ε); ``None`` when it does not within :data:`EOT_RANGE` (no selected signal, or a
    background that stops the limit from improving).

    The expected limit falls monotonically with the exposure; the root is found in log EOT
    (Brent's method, relative tolerance 1e-6).  Each evaluation costs O(1) in the
    background, however large or uncertain: the band quantile is the exact Poisson /
    negative-binomial ppf and the limit at that count is exact up to 10000 events and
    asymptotic above (:func:`na64.stats.expected_limits`).
    """
    if not 0 < target < 1:
        raise InputError("--target-epsilon", f"must be in (0, 1), got {target:g}")
    if result.points[i].yield_per_eot <= 0:
        return None

    def f(log_eot: float) -> float:
        return math.log(_expected_eps(result, i, math.exp(log_eot))) - math.log(target)

    lo, top = (math.log(e) for e in EOT_RANGE)
    if f(lo) <= 0:
        return EOT_RANGE[0]
    # bracket the root upwards in factors of 10 (the background grows with the exposure)
    hi = lo
    while True:
        hi = min(hi + math.log(10.0), top)
        if f(hi) <= 0:
            break
        if hi >= top:
            return None
        lo = hi
    return float(math.exp(brentq(f, lo, hi, xtol=1e-9, rtol=1e-6)))


def _target_eps(result: ReachResult, target_epsilon: float | None,
                target_y: float | None) -> float | None:
    if target_epsilon is not None:
        return target_epsilon
    if target_y is None:
        return None
    sig = result.config.signal
    y_of_unit = float(eps_to_y(np.array([1.0]), alpha_d=sig.alpha_d,
                               mass_ratio=sig.mass_ratio)[0])
    eps = math.sqrt(target_y / y_of_unit)
    if not 0 < eps < 1:
        raise InputError("--target-y", f"{target_y:g} corresponds to epsilon = {eps:.3g}, "
                                       "outside (0, 1)")
    return eps


def optimize(samples: SampleSet, config: AnalysisConfig, scans: Sequence[Scan],
             masses: Sequence[float] | np.ndarray, *,
             runs: Sequence[RunConfig] | None = None,
             target_epsilon: float | None = None, target_y: float | None = None,
             progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """Scan one or two keys on kept samples: one row per grid point and mass.

    Parameters
    ----------
    samples
        Kept samples (:func:`na64.reach.samples.load_samples`).
    config
        The analysis (its keys are changed by the scan).
    scans
        One or two :class:`Scan`.
    masses
        Masses (MeV) to report, each one of the samples'.
    runs
        The runs (default: the analysis'; a scan of ``eot`` replaces them).
    target_epsilon, target_y
        Also give the EOT at which the median expected limit reaches this ε (or y; at most
        one of the two).

    Returns
    -------
    list of dict
        Keys: the scanned keys (their values as given) and :data:`OPTIMIZE_COLUMNS`;
        ``eot_for_target`` is ``None`` without a target or when it is out of reach.
    """
    if not 1 <= len(scans) <= 2:
        raise InputError("--scan", "give one or two scanned keys")
    if len({s.key for s in scans}) != len(scans):
        raise InputError("--scan", "the two scanned keys must differ")
    if target_epsilon is not None and target_y is not None:
        raise InputError("--target-y", "give --target-epsilon or --target-y, not both")
    m = np.asarray(masses, dtype=float).ravel()
    idx = []
    for mass in m:
        j = int(np.argmin(np.abs(samples.masses - mass)))
        if not np.isclose(samples.masses[j], mass, rtol=1e-6, atol=0.0):
            raise InputError("--masses", f"{mass / GeV:g} GeV is not a mass of the samples "
                                         f"({', '.join(f'{x / GeV:.4g}' for x in samples.masses)} GeV)")
        idx.append(j)
    grid = list(product(*(s.values for s in scans)))
    points = []
    for values in grid:  # every point checked before any work
        settings = [f"{s.key}={v}" for s, v in zip(scans, values, strict=True)]
        cfg, run_list = apply_settings(config, settings, runs=runs, field="--scan")
        check_compatible(samples, cfg)
        points.append((cfg, run_list))
    rows: list[dict[str, Any]] = []
    for k, (values, (cfg, run_list)) in enumerate(zip(grid, points, strict=True)):
        result = run_from_samples(samples, cfg, runs=run_list, projections={})
        eot = result.eot
        target = _target_eps(result, target_epsilon, target_y)
        y_exp = result.y_of(result.eps_expected["median"])
        y_obs = result.y_of(result.eps_90)
        b_tot = result.background.per_eot * eot
        for j in idx:
            row: dict[str, Any] = {s.key: v for s, v in zip(scans, values, strict=True)}
            row.update({
                "mass_GeV": float(result.masses[j] / GeV),
                "eot": float(eot),
                "epsilon_expected": float(result.eps_expected["median"][j]),
                "epsilon_90cl": float(result.eps_90[j]),
                "y_expected": float(y_exp[j]),
                "y_90cl": float(y_obs[j]),
                "signal_per_eot_eps1": result.points[j].yield_per_eot,
                "background_events": float(b_tot),
                "eot_for_target": (eot_for_epsilon(result, j, target)
                                   if target is not None else None),
            })
            rows.append(row)
        if progress:
            progress(k + 1, len(grid))
    return rows


def _scan_number(value: str) -> float | None:
    """A scanned value as a number for plots: energies in GeV, others as they are."""
    match = _NUMBER.match(value)
    if match is None:
        return None
    x, unit = float(match.group(1)), match.group(2)
    if not unit:
        return x
    from ..units import parse_quantity

    return parse_quantity(value, "energy", field="--scan") / GeV
