r"""Recasting an invisible-mode limit of one model into a limit on another model.

Following DarkCast (P. Ilten, Y. Soreq, M. Williams, W. Xue, arXiv:1801.04847, Sec. 2), a
search that saw no signal excludes, at each mass, every model point whose expected signal
count reaches the count :math:`N_\mathrm{lim}` excluded for the source model at its limit.
For a target model X with coupling g and the source model S at its limit coupling
:math:`g_S`,

.. math::

    \frac{N_X(g)}{N_S(g_S)} = \frac{\sigma_X(g)\,\mathcal B_X(g)\,\mathcal A_X}
                                  {\sigma_S(g_S)\,\mathcal B_S(g_S)\,\mathcal A_S}

(arXiv:1801.04847 Sec. 2, with the production and acceptance factors written out), and
the limit is the set of g with :math:`N_X(g)\ge N_S(g_S)`.

* Production: dark bremsstrahlung :math:`\sigma\propto g_e^2`, with :math:`g_e` the
  model's electron coupling in units of e (:meth:`na64.models.Model.lepton_coupling`).  For
  the same spin the ratio is :math:`(g_{e,X}/g_{e,S})^2`; for different spins it is also
  multiplied by :math:`\sigma_{\rm spin\,X}/\sigma_{\rm spin\,S}` at unit coupling, from
  :func:`na64.physics.dark_brem.total_cross_section` (exact tree level,
  arXiv:1609.06781 App. A, arXiv:1712.05706 Eq. (3)-(5), validated against DMG4) at the beam energy above the signal-box threshold in the target
  material.  Only the primary-electron emission at the beam energy enters this ratio; the
  shower's secondary emitters and the acceptance are assumed to scale alike
  (:math:`\mathcal A_X/\mathcal A_S=1` unless a ratio is given).  The mean energies of the
  two spectra above the threshold are returned to show how different the spectra are.
* Resonant annihilation :math:`e^+e^-\to X` (arXiv:1802.03794 Sec. II) is a vector-boson process
  in na64; the source's annihilation part scales with :math:`g_e^2` to vector targets and
  is dropped for the others (recorded as a note).
* Signature: an invisible search sees X when it decays invisibly or when it decays
  visibly beyond the detector,
  :math:`\mathcal B = \mathcal B_\mathrm{inv} + (1-\mathcal B_\mathrm{inv})\,e^{-L/\ell}`,
  with :math:`\ell=\gamma\beta c\tau` at the mean energy of the signal above the
  threshold (PDG 2024 "Kinematics" Sec. 49.1) and L the distance from the target's front
  face to the end of the last calorimeter.  As :math:`\ell\propto 1/g^2`, a model with
  visible decays is excluded in a band :math:`[g_\mathrm{low}, g_\mathrm{high}]`.
* The :math:`L_\mu-L_\tau` boson has no tree-level electron coupling; its electron
  coupling is the loop-induced kinetic mixing of the model
  (:func:`na64.models.lmu_ltau.loop_mixing`, the muon and tau vacuum polarisation at
  :math:`q^2=m_{Z'}^2`, :math:`\approx g/70` for :math:`m_{Z'}\ll m_\mu`).
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from ..errors import InputError
from ..models import Model, XBoson, make_model, model_info
from ..models.base import MIN_COUPLING
from ..physics.dark_brem import dsigma_dx, total_cross_section
from ..units import GeV

__all__ = [
    "RecastResult",
    "SourceResult",
    "decay_distance",
    "electron_coupling",
    "escape_fraction",
    "mean_signal_energy",
    "model_factory",
    "read_source",
    "recast_limits",
    "spin_of",
]

#: Spin-parity of the boson each model emits in dark bremsstrahlung.
SPINS: Final[dict[str, str]] = {
    "dark-photon": "vector", "x-vector": "vector", "b-l": "vector", "lmu-ltau": "vector",
    "x-scalar": "scalar", "x-pseudoscalar": "pseudoscalar", "x-axial": "axial",
    "alp": "pseudoscalar",
}
_KIND_SPIN: Final[dict[str, str]] = {"V": "vector", "S": "scalar", "P": "pseudoscalar",
                                      "A": "axial"}
#: Log-spaced probe points of the coupling scan (the band's edges are then refined).
_GRID: Final[int] = 400


def spin_of(model: Model) -> str:
    """Spin-parity (``"vector"``, ``"scalar"``, ``"pseudoscalar"``, ``"axial"``) of ``model``."""
    if isinstance(model, XBoson) and model.name == "x-boson":
        return _KIND_SPIN[model.kind]
    return SPINS[model.name]


def electron_coupling(model: Model) -> float:
    r"""Electron coupling of ``model`` in units of e.

    The model's own :meth:`~na64.models.Model.lepton_coupling` (for the
    :math:`L_\mu-L_\tau` boson its loop-induced kinetic mixing, module docstring).
    """
    return float(model.lepton_coupling("e"))


def mean_signal_energy(mass: float, energy: float, threshold: float, spin: str, *,
                       target: str = "Pb", points: int = 400) -> float:
    r"""Mean energy (MeV) of the bremsstrahlung boson above ``threshold``.

    :math:`\langle E\rangle = E_0\int x\,d\sigma/dx\,dx / \int d\sigma/dx\,dx` over
    :math:`x\in[\max(E_\mathrm{thr}, m)/E_0, 1)` with :math:`d\sigma/dx` of
    :func:`na64.physics.dark_brem.dsigma_dx` (primary emission at the beam energy).
    Returns at least ``mass``; ``max(threshold, mass)`` if the spectrum vanishes.
    """
    lo = max(threshold, mass) / energy
    x = np.linspace(lo, 1.0, points + 1)[:-1] + 0.5 * (1.0 - lo) / points
    w = np.asarray(dsigma_dx(x, mass, energy, target=target, spin=spin), dtype=float)
    tot = float(np.sum(w))
    if not tot > 0.0:
        return max(threshold, mass)
    return max(mass, energy * float(np.sum(x * w)) / tot)


def escape_fraction(model: Model, energy: float, distance: float) -> float:
    r"""Fraction of bosons that an invisible search sees: invisible or decaying beyond L.

    :math:`\mathcal B_\mathrm{inv} + (1-\mathcal B_\mathrm{inv})\exp(-L/\ell)` with
    :math:`\ell` = :meth:`~na64.models.Model.decay_length` at ``energy`` (MeV, >= mass) and
    L = ``distance`` (mm, >= 0).  In [0, 1].
    """
    inv = float(model.invisible_fraction)
    ell = float(model.decay_length(max(energy, model.mass)))
    esc = math.exp(-distance / ell) if ell > 0.0 else 0.0
    return min(1.0, max(0.0, inv + (1.0 - inv) * esc))


@dataclass(frozen=True)
class RecastResult:
    r"""Per-mass limits on the target model's coupling (internal units).

    ``coupling_low[i]`` / ``coupling_high[i]`` are the edges of the excluded band at
    ``masses[i]``; ``None`` where nothing is excluded (low) or where the band reaches the
    largest coupling scanned (high).  ``production_ratio`` is
    :math:`(g_{e,X}/g_{e,S})^2\sigma_X/\sigma_S` per unit coupling² of the target,
    ``spin_ratio`` the cross-section ratio alone, ``source_fraction`` the fraction of the
    source's signal that the target also produces (1 minus the dropped annihilation part),
    ``energy_target``/``energy_source`` the mean signal energies (MeV).
    """

    masses: NDArray[np.float64]
    coupling_low: list[float | None]
    coupling_high: list[float | None]
    spin_ratio: NDArray[np.float64]
    production_ratio: NDArray[np.float64]
    source_fraction: NDArray[np.float64]
    escape_source: NDArray[np.float64]
    energy_target: NDArray[np.float64]
    energy_source: NDArray[np.float64]
    notes: list[str] = field(default_factory=list)


def _coupling_max(make: Callable[[float], Model]) -> float:
    """Largest coupling among 1, 0.5, 0.1, ... accepted by the model."""
    for g in (1.0, 0.5, 0.1, 0.01, 1e-3):
        try:
            make(g)
        except InputError:
            continue
        return g
    raise InputError("--model", "accepts no coupling in [1e-3, 1] at this mass")


def _solve_band(ratio: Callable[[float], float], g_start: float, g_max: float
                ) -> tuple[float | None, float | None]:
    """Edges of {g : ratio(g) >= 1} in [g_start, g_max], found on a log grid and refined."""
    lg = np.linspace(math.log(g_start), math.log(g_max), _GRID)
    f = np.array([ratio(math.exp(v)) - 1.0 for v in lg])
    above = f >= 0.0
    if not above.any():
        return None, None
    i_lo = int(np.argmax(above))
    i_hi = int(above.size - 1 - np.argmax(above[::-1]))

    def h(v: float) -> float:
        return ratio(math.exp(v)) - 1.0

    low = math.exp(lg[0]) if i_lo == 0 else math.exp(
        brentq(h, lg[i_lo - 1], lg[i_lo], xtol=1e-15, rtol=1e-15))
    high = None if i_hi == lg.size - 1 else math.exp(
        brentq(h, lg[i_hi], lg[i_hi + 1], xtol=1e-15, rtol=1e-15))
    return low, high


def recast_limits(
    masses: ArrayLike,
    source_coupling: ArrayLike,
    source: Callable[[float, float], Model],
    target: Callable[[float, float], Model],
    *,
    energy: float,
    threshold: ArrayLike,
    distance: float,
    material: str = "Pb",
    annihilation_fraction: ArrayLike = 0.0,
    acceptance_ratio: ArrayLike = 1.0,
) -> RecastResult:
    r"""Limit on a target model's coupling from a source model's invisible-mode limit.

    Solves :math:`N_X(g)/N_S(g_S) = 1` per mass (module docstring, arXiv:1801.04847
    Sec. 2) for the band of excluded g.

    Parameters
    ----------
    masses
        Boson masses (MeV), 1-D.
    source_coupling
        The source model's 90% CL limit on its coupling per mass (internal units); a
        value <= 0 or not finite marks a mass without sensitivity.
    source, target
        ``f(mass, coupling) -> Model`` building the source and target models.
    energy
        Beam energy (MeV).
    threshold
        Signal-box threshold on the boson energy per mass (MeV; scalar or per mass).
    distance
        L: target front face to the end of the last calorimeter (mm, >= 0).
    material
        Target material of the cross-section ratio.
    annihilation_fraction
        Fraction of the source's signal from resonant annihilation, in [0, 1].
    acceptance_ratio
        :math:`\mathcal A_X/\mathcal A_S` (> 0), 1 unless efficiency tables are known.

    Returns
    -------
    RecastResult

    Raises
    ------
    InputError
        Mismatched lengths, negative values, or a target without electron coupling.
    """
    m = np.atleast_1d(np.asarray(masses, dtype=float))
    n = m.size
    c_src = np.broadcast_to(np.asarray(source_coupling, dtype=float), (n,))
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (n,))
    w_ann = np.broadcast_to(np.asarray(annihilation_fraction, dtype=float), (n,))
    acc = np.broadcast_to(np.asarray(acceptance_ratio, dtype=float), (n,))
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise InputError("masses", "must be finite and > 0")
    if not (math.isfinite(distance) and distance >= 0.0):
        raise InputError("distance", f"must be >= 0 mm, got {distance!r}")
    if np.any(~np.isfinite(w_ann)) or np.any((w_ann < 0) | (w_ann > 1)):
        raise InputError("annihilation_fraction", "must be in [0, 1]")
    if np.any(~np.isfinite(acc)) or np.any(acc <= 0):
        raise InputError("acceptance_ratio", "must be > 0")
    notes: list[str] = []
    low: list[float | None] = []
    high: list[float | None] = []
    spin_r, prod_r, frac, esc_s, e_t, e_s = (np.zeros(n) for _ in range(6))
    dropped = False
    undefined: list[float] = []
    differ = False
    for i in range(n):
        mi = float(m[i])
        try:
            probe = target(mi, _coupling_max(functools.partial(target, mi)))
        except InputError:
            undefined.append(mi)
            low.append(None)
            high.append(None)
            continue
        g_max = probe.coupling_value
        if electron_coupling(probe) == 0.0:
            raise InputError("--model", f"{probe.name!r} does not couple to electrons")
        half = electron_coupling(probe.with_coupling(0.5 * g_max))
        if not math.isclose(half, 0.5 * electron_coupling(probe), rel_tol=1e-9):
            raise InputError("--model", f"the electron coupling of {probe.name!r} is not "
                                        f"its coupling {probe.coupling_name!r}")
        c = float(c_src[i])
        if not (math.isfinite(c) and c > 0.0):
            low.append(None)
            high.append(None)
            continue
        src = source(mi, c)
        sp_t, sp_s = spin_of(probe), spin_of(src)
        e_min = max(float(thr[i]), mi)
        e_t[i] = mean_signal_energy(mi, energy, e_min, sp_t, target=material)
        e_s[i] = e_t[i] if sp_t == sp_s else mean_signal_energy(mi, energy, e_min, sp_s,
                                                                  target=material)
        if sp_t == sp_s:
            spin_r[i] = 1.0
        else:
            differ = True
            sig = [float(total_cross_section(mi, energy, target=material, spin=s,
                                             threshold=min(e_min, 0.999 * energy)))
                   for s in (sp_t, sp_s)]
            spin_r[i] = sig[0] / sig[1] if sig[1] > 0.0 else 0.0
        frac[i] = 1.0 if sp_t == "vector" else 1.0 - float(w_ann[i])
        dropped = dropped or (sp_t != "vector" and float(w_ann[i]) > 0.0)
        esc_s[i] = escape_fraction(src, e_s[i], distance)
        ge_s = electron_coupling(src)
        ge_1 = electron_coupling(probe) / g_max  # per unit target coupling
        denom = ge_s**2 * esc_s[i]
        prod_r[i] = ge_1**2 * spin_r[i] / ge_s**2 if ge_s > 0 else 0.0
        k = frac[i] * acc[i] * spin_r[i] / denom if denom > 0 else 0.0
        if not k > 0.0:
            low.append(None)
            high.append(None)
            continue

        def ratio(g: float, mi: float = mi, k: float = k, e: float = e_t[i]) -> float:
            t = target(mi, g)
            return k * electron_coupling(t) ** 2 * escape_fraction(t, e, distance)

        # N_X <= k (g_e1 g)^2: below g_start the ratio is < 1/4 whatever the branching
        g_start = max(MIN_COUPLING, 0.5 / (ge_1 * math.sqrt(k)))
        if g_start >= g_max:
            low.append(None)
            high.append(None)
            continue
        lo, hi = _solve_band(ratio, g_start, g_max)
        if target(mi, c) == src:  # the source model itself: its own limit, exactly
            lo = c
        low.append(lo)
        high.append(hi if lo is not None else None)
    if undefined:
        notes.append("the target model is not defined at mass(es) "
                     + ", ".join(f"{x / GeV:.6g}" for x in undefined) + " GeV: nothing excluded")
    if dropped:
        notes.append("the source's resonant-annihilation signal is a vector-boson process; "
                     "it was dropped for the non-vector target")
    if differ:
        notes.append("different spins: production scaled by the ratio of the dark-brem cross "
                     "sections above the threshold at the beam energy; acceptance ratio 1")
    return RecastResult(masses=m, coupling_low=low, coupling_high=high, spin_ratio=spin_r,
                        production_ratio=prod_r, source_fraction=frac, escape_source=esc_s,
                        energy_target=e_t, energy_source=e_s, notes=notes)


def decay_distance(setup: Any) -> float:
    """L (mm): from the target calorimeter's front face to the end of the last detector
    of a :class:`na64.detector.setup.Setup` that has a length (calorimeters, vetoes)."""
    z0 = float(setup.target.z)
    ends = [float(d.z) + float(getattr(d, "length", 0.0) or 0.0) for _, d in setup.detectors()]
    return max([z0, *ends]) - z0


@dataclass(frozen=True)
class SourceResult:
    """What a recast needs from a finished ``na64 reach invisible`` result directory.

    Masses and thresholds in MeV; ``coupling_90`` in the source's internal units (0 where
    the source has no sensitivity); ``summary`` is the source's summary.json.
    """

    path: Path
    model: str
    coupling_name: str
    masses: NDArray[np.float64]
    coupling_90: NDArray[np.float64]
    signal_per_eot: NDArray[np.float64]
    annihilation_fraction: NDArray[np.float64]
    threshold: NDArray[np.float64]
    energy: float
    setup: str
    params: dict[str, Any]
    summary: dict[str, Any]


def _not_result(path: Path, why: str) -> InputError:
    return InputError("SOURCE_DIR", f"{str(path)!r} is not a reach invisible result: {why}")


def _column(rows: Sequence[Mapping[str, str]], name: str, path: Path) -> NDArray[np.float64]:
    try:
        out = np.array([float(r[name]) for r in rows], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise _not_result(path, f"limits.csv has no numeric column {name!r}") from None
    if np.any(~np.isfinite(out)):
        raise _not_result(path, f"limits.csv column {name!r} is not finite")
    return out


def read_source(path: str | Path) -> SourceResult:
    """Read ``limits.csv`` and ``summary.json`` of a reach invisible result directory.

    Raises
    ------
    InputError
        (``SOURCE_DIR``) missing directory, a directory without the two files, or files
        that are not a reach result (missing columns or keys, non-numeric values).
    """
    p = Path(path)
    if not p.is_dir():
        raise InputError("SOURCE_DIR", f"{str(p)!r} is not a directory")
    try:
        summary = json.loads((p / "summary.json").read_text(encoding="utf-8"))
        with open(p / "limits.csv", encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError as exc:
        raise _not_result(p, f"no {Path(str(exc.filename)).name}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _not_result(p, type(exc).__name__) from None
    try:
        model = str(summary["model"])
        cname = str(summary["coupling"]["name"])
        energy = float(summary["energy_GeV"]) * GeV
        setup = str(summary["setup"])
        signal = summary.get("signal") or {}
        e_min = {round(float(e["mass_GeV"]), 9): float(e["e_aprime_min_GeV"]) * GeV
                 for e in summary["efficiency_per_mass"]}
    except (KeyError, TypeError, ValueError):
        raise _not_result(p, "summary.json lacks model, coupling, energy_GeV, setup or "
                             "efficiency_per_mass") from None
    if not rows:
        raise _not_result(p, "limits.csv has no rows")
    info = model_info(model)
    if info["coupling_name"] != cname:
        raise _not_result(p, f"coupling {cname!r} is not that of model {model!r}")
    masses = _column(rows, "mass_GeV", p)
    col = f"{cname}_90cl"
    if col not in rows[0]:
        raise _not_result(p, f"limits.csv has no column {col!r} (the limit on the source "
                             f"model's coupling)")
    limit = _column(rows, col, p) * info["coupling_scale"]
    sig = _column(rows, "signal_per_eot_eps1", p)
    ann = (_column(rows, "annihilation_signal_per_eot_eps1", p)
           if "annihilation_signal_per_eot_eps1" in rows[0] else np.zeros_like(sig))
    w_ann = np.clip(np.divide(ann, sig, out=np.zeros_like(sig), where=sig > 0), 0.0, 1.0)
    thr = np.array([e_min.get(round(float(mg), 9), 0.0) for mg in masses])
    params: dict[str, Any] = {}
    if model == "dark-photon":
        params = {"alpha_D": float(signal.get("alpha_d", 0.5)),
                  "mass_ratio": float(signal.get("mass_ratio", 3.0)),
                  "chi": str(signal.get("chi", "dirac"))}
    return SourceResult(path=p, model=model, coupling_name=cname, masses=masses * GeV,
                        coupling_90=np.where(sig > 0, limit, 0.0), signal_per_eot=sig,
                        annihilation_fraction=w_ann, threshold=thr, energy=energy,
                        setup=setup, params=params, summary=summary)


def model_factory(name: str, params: Mapping[str, Any]) -> Callable[[float, float], Model]:
    """``f(mass, coupling) -> Model`` for the registry model ``name``.

    ``params`` are constructor arguments; ``mass_ratio`` (dark photon: m_A'/m_chi) is
    turned into ``m_chi = mass / mass_ratio``.
    """
    info = model_info(name)
    fixed = dict(params)
    ratio = fixed.pop("mass_ratio", None)

    def make(mass: float, coupling: float) -> Model:
        extra = dict(fixed)
        if ratio is not None:
            extra["m_chi"] = mass / float(ratio)
        return make_model(name, mass=mass, **{info["coupling_name"]: coupling}, **extra)

    return make
