"""Calorimeter observables defined as in the Geant4 reference of the NA64e calorimetry.

The fast simulation is validated against a full Geant4 11.4 simulation of the
``na64e_2016_2018`` ECAL, veto and HCAL (100 GeV e-, pi-, mu-, pencil beam at the centre of
ECAL cell (3, 3)).  This module computes every observable of that reference the way the
reference defines it, from per-event arrays that both simulations provide
(:class:`Sample`): :func:`geant4_sample` builds them from the reference's event arrays,
:func:`fastsim_sample` from na64's fast simulation, and :func:`observables` turns either
into ``{name: (value, stat_error)}``.

Conventions (those of the reference):

* calibrated ECAL energy = active-layer (scintillator) deposit / f_sc, with f_sc the
  electron sampling fraction measured with 100 GeV electrons (electron scale).  The fast
  simulation's ECAL cells are on that scale already: they are the deposits of its showers
  smeared with the sampling term (``sampling``, the sampling part of ``stochastic``) only,
  since the reference has neither photo-statistics nor noise (muons: no smearing, their
  Landau fluctuations are simulated);
* HCAL observables of the reference are deposits (Fe + Sc), to which the fast
  simulation's HCAL cells (electron scale, hadronic part divided by e/h) are compared;
  raw active-layer deposits of the fast simulation are its cells times the calorimeter's
  electron sampling fraction (:attr:`~na64.detector.setup.Calorimeter.electron_sampling_fraction`);
* depths are in radiation lengths of the Pb/Sc stack from the ECAL face; the reference
  takes them from its per-layer deposits, the fast simulation from its Gamma profiles
  (:func:`depth_quantiles_gamma`), truncated at the end of the ECAL;
* probabilities with no event have ``stat_error`` = 2.303/n (90% CL upper limit).

Observables that need quantities the fast simulation does not produce (lead and
scintillator deposits separately, CPU time) are listed in :data:`NOT_SIMULATED`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammainc, gammaincinv

from ..units import GeV, MeV
from . import em
from .response import deposit, smear
from .setup import Calorimeter, Setup

__all__ = [
    "NOT_SIMULATED",
    "ReferenceRow",
    "Sample",
    "core_half_width",
    "depth_quantiles_gamma",
    "depth_quantiles_layers",
    "digitise_reference",
    "em_spread_samples",
    "fastsim_sample",
    "fastsim_target_sample",
    "geant4_sample",
    "most_probable",
    "observables",
    "read_reference_cells",
    "read_reference_rows",
    "read_reference_table",
    "read_veto_reference",
    "reference_tolerance",
    "target_observables",
    "truncated_mean_rms",
    "veto_cut_chi2_term",
    "veto_reference_layout",
]

FloatArray = NDArray[np.float64]
Value = tuple[float, float]

#: Hadron-inelastic end of the primary track in the reference (1000 x G4ProcessType + sub-type).
_PROC_HAD_INELASTIC = 4121
_PROC_DECAY = 6201
#: The beam hits the centre of this ECAL cell (iy, ix).
CENTRAL_CELL = (3, 3)
#: Reference observables without a fast-simulation counterpart, and why.
NOT_SIMULATED: dict[str, str] = {
    "ecal_tot_mean_MeV": "lead + scintillator deposit of muons: the fast simulation gives the "
                         "calibrated signal only",
    "ecal_deposit_fraction_mean": "lead + scintillator deposit of pion showers: the fast "
                                  "simulation gives the calibrated signal only",
    "p_ecal_tot_gt_5GeV": "threshold on the lead + scintillator deposit of pions (see "
                          "ecal_deposit_fraction_mean)",
    "total_deposit_fraction_mean": "needs the ECAL lead + scintillator deposit of pions",
    "hcal_sc_mean_MeV": "scintillator share of hadron showers in the HCAL: the fast simulation "
                        "has one HCAL scale",
    "hcal_sampling_fraction_sc_pion": "as hcal_sc_mean_MeV",
    "p_decay_in_flight": "decays in flight are simulated upstream of the ECAL (na64.beam), not "
                         "inside the calorimeters",
    "cpu_s_per_event": "not an observable of the response",
}


@dataclass(frozen=True)
class ReferenceRow:
    """One row of the reference table: value with its statistical error."""

    particle: str
    energy_gev: float
    offset_mm: float
    observable: str
    value: float
    stat_error: float
    n_events: int
    notes: str


#: Relative agreement asked of the fast simulation on every reference observable.
REFERENCE_RELATIVE_TOLERANCE = 0.05


def reference_tolerance(value: float, stat_error: float, mc_error: float = 0.0,
                        n_sigma_mc: float = 3.0) -> float:
    """Allowed |na64 − reference|: 5% of the reference value or its statistical error,
    whichever is larger, widened by ``n_sigma_mc`` Monte Carlo standard errors
    ``mc_error`` of the fast-simulated sample."""
    return (max(REFERENCE_RELATIVE_TOLERANCE * abs(value), stat_error)
            + n_sigma_mc * mc_error)


def read_reference_rows(path: str | Path) -> list[ReferenceRow]:
    """Every row of a reference table (CSV with ``#`` comment lines and the columns
    particle, energy_GeV, offset_mm, observable, value, stat_error, n_events, notes), in
    file order; a table may hold several energies of one particle."""
    with Path(path).open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [ReferenceRow(r["particle"], float(r["energy_GeV"]), float(r["offset_mm"]),
                         r["observable"], float(r["value"]), float(r["stat_error"]),
                         int(r["n_events"]), r.get("notes", "")) for r in csv.DictReader(lines)]


def read_reference_table(path: str | Path) -> dict[tuple[str, str], ReferenceRow]:
    """The rows of a one-energy reference table (:func:`read_reference_rows`), keyed by
    (particle, observable)."""
    return {(row.particle, row.observable): row for row in read_reference_rows(path)}


def core_half_width(x: ArrayLike) -> float:
    """Half the distance between the 16% and 84% quantiles of ``x``: the sigma of a
    Gaussian, and the spread of the bulk of a distribution whose few far outliers (the
    showers with a hard photo-nuclear interaction) set its RMS."""
    q16, q84 = np.quantile(np.asarray(x, dtype=float), [0.16, 0.84])
    return 0.5 * float(q84 - q16)


def em_spread_samples(s: Sample) -> dict[str, FloatArray]:
    """The per-event quantities whose cores (:func:`core_half_width`) are the
    ``*_core`` observables of an EM shower sample: ``central_cell_fraction_core`` (the
    central cell's share of the calibrated ECAL signal), ``ps_fraction_core`` (the
    pre-shower's share) and, with the absorber deposit, ``containment_core`` (Pb+Sc
    deposit over the beam energy)."""
    cal = s.ecal.sum(axis=(1, 2, 3))
    iy, ix = CENTRAL_CELL
    out = {"central_cell_fraction_core": s.ecal[:, :, iy, ix].sum(axis=1) / cal,
           "ps_fraction_core": s.ecal[:, 0].sum(axis=(1, 2)) / cal}
    if s.ecal_deposit is not None:
        out["containment_core"] = s.ecal_deposit / s.energy
    return out


@dataclass(frozen=True)
class Sample:
    """Per-event arrays of one configuration (one particle type and energy).

    Attributes
    ----------
    particle, energy
        Beam particle name (``"e-"``, ``"pi-"``, ``"mu-"``) and energy (MeV).
    ecal
        (n, sections, ny, nx) calibrated ECAL cells (electron scale, MeV).
    ecal_deposit
        (n,) total ECAL deposit (absorber + active), MeV; ``None`` for a reference kept
        as cells only (no containment observables then).
    hcal
        (n, modules, ny, nx) HCAL deposits (MeV).
    hcal_active
        (n, modules) raw HCAL active-layer deposit per module (MeV).
    veto
        (n, counters) veto deposits (MeV).
    f_ecal
        The ECAL electron sampling fraction (calibrated = raw / f_ecal).
    interaction_z
        (n,) z (mm from the ECAL face) of the primary's first inelastic interaction, -1 if
        none (hadrons), or ``None``.
    depth_quantiles
        (n, 3) depths (X0) holding 10, 50, 90% of the ECAL deposit, or ``None``.
    decayed
        (n,) the primary decayed (reference only), or ``None``.
    """

    particle: str
    energy: float
    ecal: FloatArray
    ecal_deposit: FloatArray | None
    hcal: FloatArray
    hcal_active: FloatArray
    veto: FloatArray
    f_ecal: float
    interaction_z: FloatArray | None = None
    depth_quantiles: FloatArray | None = None
    decayed: NDArray[np.bool_] | None = None

    @property
    def n(self) -> int:
        """Number of events."""
        return int(self.ecal.shape[0])


# --------------------------------------------------------------------------------------
# statistics helpers (the reference's definitions)
# --------------------------------------------------------------------------------------
def _mean(x: NDArray[np.floating]) -> Value:
    x = np.asarray(x, dtype=np.float64)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def _rms(x: NDArray[np.floating]) -> Value:
    s = float(np.std(np.asarray(x, dtype=np.float64), ddof=1))
    return s, s / np.sqrt(2.0 * (x.size - 1))


def _prob(mask: NDArray[np.bool_]) -> Value:
    n = mask.size
    k = int(mask.sum())
    if k == 0:
        return 0.0, 2.303 / n
    p = k / n
    return p, float(np.sqrt(p * (1.0 - p) / n))


def _ratio_of_means(a: NDArray[np.floating], b: NDArray[np.floating]) -> Value:
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    ma, mb = a.mean(), b.mean()
    cov = np.cov(a, b, ddof=1)
    var = (cov[0, 0] / mb**2 + ma**2 * cov[1, 1] / mb**4 - 2 * ma * cov[0, 1] / mb**3) / a.size
    return float(ma / mb), float(np.sqrt(max(var, 0.0)))


def truncated_mean_rms(x: NDArray[np.floating], nsig: float = 3.0, iterations: int = 50
                       ) -> tuple[float, float]:
    """Mean and RMS of the entries within +-``nsig`` RMS of the mean, iterated to
    convergence (the reference's resolution estimator)."""
    x = np.asarray(x, np.float64)
    m, s = float(x.mean()), float(x.std())
    for _ in range(iterations):
        sel = x[np.abs(x - m) < nsig * s]
        if sel.size < 2:
            break
        m2, s2 = float(sel.mean()), float(sel.std())
        if abs(m2 - m) <= 1e-9 * abs(m) and abs(s2 - s) <= 1e-9 * s:
            break
        m, s = m2, s2
    return m, s


def _mode(v: FloatArray) -> float:
    med = float(np.median(v))
    lo, hi = 0.3 * med, 2.0 * med
    v = v[(v > lo) & (v < hi)]
    h, e = np.histogram(v, bins=80, range=(lo, hi))
    k = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    i = int(np.argmax(np.convolve(h, k, mode="same")))
    return float(0.5 * (e[i] + e[i + 1]))


def most_probable(x: NDArray[np.floating], *, bootstrap: int = 100, seed: int = 0,
                  sample_size: int | None = None) -> Value:
    """Most probable value: peak of an 80-bin histogram between 0.3 and 2 x the median,
    smoothed with the binomial kernel (1, 4, 6, 4, 1)/16; error from ``bootstrap``
    resamplings (the reference's estimator).

    The peak of a noisy histogram of a skewed (Landau-like) distribution scatters towards
    its long side, so the estimate depends on the sample size.  With ``sample_size`` (the
    reference's number of events) and at least two such samples in ``x``, the value is the
    mean of the estimates of disjoint samples of that size and the error their standard
    error: the estimator as applied to the reference.
    """
    v: FloatArray = np.asarray(x, np.float64)
    if sample_size is not None and v.size >= 2 * sample_size:
        k = v.size // sample_size
        est = np.array([_mode(part) for part in v[:k * sample_size].reshape(k, sample_size)])
        return float(est.mean()), float(est.std(ddof=1) / np.sqrt(k))
    m = _mode(v)
    if bootstrap <= 0:
        return m, 0.0
    rng = np.random.default_rng(seed)
    boots = [_mode(v[rng.integers(0, v.size, v.size)]) for _ in range(bootstrap)]
    return m, float(np.std(boots))


def depth_quantiles_layers(layer_deposit: NDArray[np.floating], x0_per_layer: float,
                           quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> FloatArray:
    """Depth (X0 from the face) at which the cumulative deposit of each event reaches each
    quantile of its total, interpolating linearly inside a layer."""
    lay = np.asarray(layer_deposit, np.float64)
    cum = np.cumsum(lay, axis=1)
    tot = cum[:, -1:]
    frac = np.concatenate([np.zeros((lay.shape[0], 1)), cum / np.where(tot > 0, tot, 1.0)], 1)
    depth = np.arange(lay.shape[1] + 1) * x0_per_layer
    return np.array([np.interp(quantiles, f, depth) for f in frac])


def depth_quantiles_gamma(alpha: FloatArray, beta: FloatArray, depth_end: float | FloatArray,
                          quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> FloatArray:
    """The same depths for Gamma profiles (alpha, beta in 1/X0) truncated at ``depth_end``
    (one for all, or one per profile): P(alpha, beta t_q) = q P(alpha, beta depth_end)."""
    a = np.asarray(alpha, float)
    b = np.asarray(beta, float)
    inside = gammainc(a, b * np.asarray(depth_end, float))
    return np.stack([gammaincinv(a, q * inside) / b for q in quantiles], axis=1)


# --------------------------------------------------------------------------------------
# the two sources of samples
# --------------------------------------------------------------------------------------
def geant4_sample(arrays: Mapping[str, Any], particle: str, energy: float, f_sc: float
                  ) -> Sample:
    """A :class:`Sample` from the reference's event arrays (``ecal_sc``, ``ecal_layer_tot``,
    ``hcal_sc``, ``hcal_fe``, ``veto_sc``, ``prim_end_z``, ``prim_end_proc``), the ECAL
    calibrated as ``ecal_sc / f_sc``.  HCAL cells are the scintillator cells plus the iron
    deposit of each module shared in proportion to them (evenly where a module's
    scintillator saw nothing)."""
    ecal_sc = np.asarray(arrays["ecal_sc"], np.float64)
    hsc = np.asarray(arrays["hcal_sc"], np.float64)
    hfe = np.asarray(arrays["hcal_fe"], np.float64)
    msum = hsc.sum(axis=(2, 3))
    ncell = hsc.shape[2] * hsc.shape[3]
    share = np.where(msum[:, :, None, None] > 0,
                     hsc / np.where(msum > 0, msum, 1.0)[:, :, None, None], 1.0 / ncell)
    hcal = hsc + hfe[:, :, None, None] * share
    proc = np.asarray(arrays["prim_end_proc"])
    zend = np.asarray(arrays["prim_end_z"], np.float64)
    inel = proc == _PROC_HAD_INELASTIC
    if "ecal_layer_tot" in arrays:
        lay = np.asarray(arrays["ecal_layer_tot"], np.float64)
        deposit_total, depth_q = lay.sum(axis=1), depth_quantiles_layers(
            lay, _X0_PER_LAYER_REFERENCE)
    else:  # cells only: no absorber deposit, no longitudinal profile
        deposit_total, depth_q = None, None
    return Sample(
        particle=particle, energy=energy, ecal=ecal_sc / f_sc, ecal_deposit=deposit_total,
        hcal=hcal, hcal_active=msum, veto=np.asarray(arrays["veto_sc"], np.float64),
        f_ecal=f_sc, interaction_z=np.where(inel, zend, -1.0),
        depth_quantiles=depth_q, decayed=proc == _PROC_DECAY,
    )


def read_veto_reference(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a veto-counter reference (CSV with ``#`` comment lines and the columns
    energy_GeV, z_lo_mm, z_hi_mm, counter, x_MeV, cdf, n; e.g.
    ``tests/data/g4_pion_backsplash.csv``): per beam energy and bin [z_lo, z_hi) of the
    depth of the primary's first interaction, the fraction ``cdf`` of its ``n`` events with
    counter ``counter`` (``"max"``: every counter) at most ``x_MeV``; numbers as float,
    ``n`` as int, ``counter`` as str."""
    with Path(path).open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [{"energy_GeV": float(r["energy_GeV"]), "z_lo_mm": float(r["z_lo_mm"]),
             "z_hi_mm": float(r["z_hi_mm"]), "counter": r["counter"],
             "x_MeV": float(r["x_MeV"]), "cdf": float(r["cdf"]), "n": int(r["n"])}
            for r in csv.DictReader(lines)]


def veto_reference_layout(rows: list[dict[str, Any]]
                          ) -> tuple[float, list[float], list[tuple[float, float]]]:
    """``(threshold, energies, bins)`` of the rows of :func:`read_veto_reference`: the veto
    cut of the ``"max"`` rows (MeV; one value), the beam energies (GeV) and the depth bins
    ``(z_lo, z_hi)`` (mm; the rows of all events, ``z_hi = inf``, left out), sorted."""
    (threshold,) = {r["x_MeV"] for r in rows if r["counter"] == "max"}
    energies = sorted({r["energy_GeV"] for r in rows})
    bins = sorted({(r["z_lo_mm"], r["z_hi_mm"]) for r in rows if math.isfinite(r["z_hi_mm"])})
    return threshold, energies, bins


def veto_cut_chi2_term(p: float, n: int, q: float, m: int) -> float:
    """``(q - p)² / (σ_p² + σ_q²)`` of two pass fractions, ``p`` of ``n`` and ``q`` of ``m``
    events, with binomial variances ``p(1 - p)/n`` floored at ``1/n²`` (a fraction of 0 or 1
    keeps an error of one event)."""
    var = max(p * (1.0 - p), 1.0 / n) / n + max(q * (1.0 - q), 1.0 / m) / m
    return (q - p) ** 2 / var


def read_reference_cells(path: str | Path) -> dict[str, dict[str, NDArray[np.generic]]]:
    """Per particle, the per-event arrays of a reference kept as cells (an ``.npz`` with
    keys ``<particle>/<field>``, e.g. ``tests/data/g4_na64e_calorimeter_events.npz``), for
    :func:`geant4_sample`; the ``seeds`` entries are left out."""
    out: dict[str, dict[str, NDArray[np.generic]]] = {}
    with np.load(path, allow_pickle=False) as z:
        for key in z.files:
            particle, _, name = key.partition("/")
            if name != "seeds":
                out.setdefault(particle, {})[name] = z[key]
    return out


def digitise_reference(setup: Setup, sample: Sample, rng: np.random.Generator
                       ) -> dict[str, NDArray[np.floating]]:
    """The cells of a reference sample digitised by na64 for what the full simulation
    does not do: the readout's smearing of each detector (:func:`na64.detector.smear`),
    the ECAL's stochastic term without its sampling part (the reference's cells already
    fluctuate with the sampling), so that na64's reconstruction and selection can be
    applied to the reference's events as to its own."""
    ecal = setup.ecal
    assert ecal is not None
    sampling = ecal.sampling if ecal.sampling is not None else 0.0
    extra = math.sqrt(max(ecal.stochastic**2 - sampling**2, 0.0))
    digi = setup.model_copy(update={"ecal": ecal.model_copy(update={"stochastic": extra})})
    return {k: np.asarray(v) for k, v in smear(
        digi, {"ecal": sample.ecal, "hcal": sample.hcal, "veto": sample.veto}, rng).items()}


#: Radiation lengths per ECAL layer of the reference (1.5 mm Pb, X0 = 5.612 mm, + 1.5 mm
#: polystyrene, X0 = 413.1 mm; the PDG values that na64.materials holds).
_X0_PER_LAYER_REFERENCE = 1.5 / 5.612 + 1.5 / 413.1

_PDG = {"e-": 11, "e+": -11, "gamma": 22, "pi-": -211, "pi+": 211, "mu-": 13, "mu+": -13,
        "K-": -321, "proton": 2212}


def fastsim_sample(setup: Setup, particle: str, energy: float, n: int, seed: int,
                   *, x: float = 0.0, y: float = 0.0) -> Sample:
    """A :class:`Sample` of ``n`` fast-simulated ``particle`` of ``energy`` (MeV) at
    (``x``, ``y``) along the beam axis, on the reference's conventions (module docstring).

    The ECAL cells are the deposits smeared with the sampling term of the ECAL only
    (showers; none for muons); the depth quantiles come from the Gamma profiles of as many
    further electron showers drawn with the same parametrisation.  A setup without veto
    counters (e.g. ``na64mu_2022``) gives a veto of no columns, and the muon observables
    then have no veto entries.
    """
    ecal_cal = setup.ecal
    hcal_cal = setup.hcal
    if ecal_cal is None or hcal_cal is None:
        raise ValueError("the reference comparison needs an ECAL and an HCAL")
    if particle not in _PDG:
        raise ValueError(f"unknown particle {particle!r}")
    rng = np.random.default_rng(seed)
    parts = {"pdg": np.full(n, _PDG[particle]), "energy": np.full(n, float(energy)),
             "x": np.full(n, x), "y": np.full(n, y)}
    dep = deposit(setup, parts, rng)
    ecal = dep["ecal"]
    ecal_deposit = ecal.sum(axis=(1, 2, 3))
    shower = ecal_cal.shower
    if shower is not None and shower.sampling_age is not None:
        # the same events without the depth dependence of the sampling fraction (it draws
        # no random numbers): the deposit, as the reference's lead + scintillator sum
        plain = ecal_cal.model_copy(update={
            "shower": shower.model_copy(update={"sampling_age": None})})
        ecal_deposit = deposit(setup.model_copy(update={"ecal": plain}), parts,
                               np.random.default_rng(seed))["ecal"].sum(axis=(1, 2, 3))
    if abs(_PDG[particle]) != 13:
        ecal = _sampling_smear(ecal, ecal_cal, rng)
    hcal = dep["hcal"]
    depth_q = None
    if particle in ("e-", "e+", "gamma"):
        depth_q = fastsim_depth_quantiles(setup, energy, n, rng, photon=particle == "gamma")
    return Sample(
        particle=particle, energy=float(energy), ecal=ecal,
        ecal_deposit=ecal_deposit, hcal=hcal,
        hcal_active=hcal.sum(axis=(2, 3)) * hcal_cal.electron_sampling_fraction,
        veto=dep["veto"] if setup.veto is not None else np.zeros((n, 0)),
        f_ecal=ecal_cal.electron_sampling_fraction,
        interaction_z=dep["true_interaction_z"], depth_quantiles=depth_q,
    )


def fastsim_depth_quantiles(setup: Setup, energy: float, n: int, rng: np.random.Generator,
                            *, photon: bool = False) -> FloatArray:
    """Depths holding 10/50/90% of the ECAL deposit of ``n`` fast-simulated electron
    showers (their Gamma profiles truncated at the end of the ECAL), in X0; with
    ``photon``, of photon showers: the two electron showers of the pair it converts into
    at an exponential depth of mean :data:`~na64.detector.em.PHOTON_CONVERSION_X0`
    (:func:`na64.detector.response.deposit`), the depths where the pair's summed profile
    holds those fractions (bisection)."""
    cal = setup.target
    end = cal.length / cal.X0

    def profiles(e: FloatArray) -> tuple[FloatArray, FloatArray]:
        lp = em.longitudinal_parameters(
            e, rng, z_eff=cal.z_eff, critical_energy=cal.critical_energy,
            sampling_frequency=cal.sampling_frequency, e_hat=cal.e_hat, tuning=cal.gflash)
        return np.asarray(lp.alpha), np.asarray(lp.beta)

    if not photon:
        a, b = profiles(np.full(n, float(energy)))
        return depth_quantiles_gamma(a, b, end)
    depth, x = em.sample_conversion(n, rng)
    t_conv = np.minimum(depth, end)
    e1, e2 = np.maximum(x * energy, 1.0 * MeV), np.maximum((1.0 - x) * energy, 1.0 * MeV)
    (a1, b1), (a2, b2) = profiles(e1), profiles(e2)

    def cdf(t: FloatArray) -> FloatArray:
        d = np.maximum(t - t_conv[:, None], 0.0)
        return (x[:, None] * gammainc(a1[:, None], b1[:, None] * d)
                + (1.0 - x[:, None]) * gammainc(a2[:, None], b2[:, None] * d))

    q = np.array([0.1, 0.5, 0.9])
    target = q[None, :] * cdf(np.full((n, 1), end))
    lo = np.repeat(t_conv[:, None], q.size, axis=1)
    hi = np.full((n, q.size), end)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        below = cdf(mid.reshape(n, -1)) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def _sampling_smear(cells: FloatArray, cal: Calorimeter, rng: np.random.Generator) -> FloatArray:
    """Cells smeared with the sampling term only: variance sampling^2 E GeV (``sampling``
    of the calorimeter, else its ``stochastic`` term)."""
    term = cal.stochastic if cal.sampling is None else cal.sampling
    e = np.maximum(cells, 0.0)
    return np.asarray(e + np.sqrt(term**2 * GeV * e) * rng.standard_normal(e.shape))


# --------------------------------------------------------------------------------------
# observables
# --------------------------------------------------------------------------------------
def observables(s: Sample, setup: Setup, *, bootstrap: int = 100,
                reference_size: int | None = None) -> dict[str, Value]:
    """``{name: (value, stat_error)}`` of every reference observable of ``s``'s particle
    that the sample supports (names and definitions of the reference table); ``setup``
    gives the positions of the ECAL and HCAL; ``bootstrap`` resamplings estimate the errors
    of the resolution and of most probable values (0: no error); ``reference_size``, the
    reference's number of events, makes most probable values the mean estimate at that
    sample size (:func:`most_probable`)."""
    if s.particle in ("e-", "e+", "gamma"):
        return _electron(s, bootstrap)
    if s.particle in ("pi-", "pi+", "K-", "proton"):
        return _hadron(s, setup)
    if s.particle in ("mu-", "mu+"):
        return _muon(s, bootstrap, reference_size)
    raise ValueError(f"no observables for {s.particle!r}")


def _electron(s: Sample, bootstrap: int) -> dict[str, Value]:
    e = s.energy
    cal = s.ecal.sum(axis=(1, 2, 3))
    ps = s.ecal[:, 0].sum(axis=(1, 2))
    iy, ix = CENTRAL_CELL
    hcal = s.hcal.sum(axis=(1, 2, 3))
    veto = s.veto.sum(axis=1)
    out: dict[str, Value] = {}
    if s.ecal_deposit is not None:
        out["ecal_containment"] = _mean(s.ecal_deposit / e)
    out["sampling_fraction_sc"] = (s.f_ecal, 0.0)
    m, err = _mean(cal * s.f_ecal / e)
    out["ecal_sc_over_E"] = (m, err)
    mu, sig = truncated_mean_rms(cal)
    out["ecal_calibrated_mean_GeV"] = (mu / GeV, sig / GeV / np.sqrt(cal.size))
    fr = ps / cal
    cc = s.ecal[:, :, iy, ix].sum(axis=1) / cal
    out["ps_fraction_mean"] = _mean(fr)
    out["central_cell_fraction_mean"] = _mean(cc)
    rms = {"ps_fraction_rms": fr, "central_cell_fraction_rms": cc}
    if s.ecal_deposit is not None:
        rms = {"containment_rms": s.ecal_deposit / e, **rms}
    for name, x in rms.items():
        out[name] = _rms(x)
    out["resolution"] = (sig / mu, 0.0)
    if bootstrap > 0:
        # the RMS of a distribution with rare far tails (a hard photo-nuclear interaction
        # in one shower of ~40) has a larger error than sigma / sqrt(2 (n - 1)): every
        # spread gets its error from the same resamplings as the resolution
        rng = np.random.default_rng(1)
        boots: dict[str, list[float]] = {name: [] for name in (*rms, "resolution")}
        for _ in range(bootstrap):
            i = rng.integers(0, cal.size, cal.size)
            mb, sb = truncated_mean_rms(cal[i])
            boots["resolution"].append(sb / mb)
            for name, x in rms.items():
                boots[name].append(float(np.std(x[i], ddof=1)))
        for name, b in boots.items():
            out[name] = (out[name][0], float(np.std(b)))
    r3 = s.ecal[:, :, iy - 1:iy + 2, ix - 1:ix + 2].sum(axis=(1, 2, 3)) / cal
    out["ring3x3_fraction_mean"] = _mean(r3)
    out["hcal_leak_fraction_mean"] = _mean(hcal / e)
    out["p_hcal_gt_1GeV"] = _prob(hcal > 1.0 * GeV)
    out["veto_sum_mean_MeV"] = _mean(veto)
    out["p_veto_gt_1MeV"] = _prob(veto > 1.0)
    if s.depth_quantiles is not None:
        for j, q in enumerate((10, 50, 90)):
            out[f"long_profile_depth{q}_X0"] = _mean(s.depth_quantiles[:, j])
    return out


def _hadron(s: Sample, setup: Setup) -> dict[str, Value]:
    e = s.energy
    cal = s.ecal.sum(axis=(1, 2, 3))
    hcal = s.hcal.sum(axis=(1, 2, 3))
    out: dict[str, Value] = {}
    ecal_geo, hcal_geo = setup.target, setup.hcal
    if s.interaction_z is not None and hcal_geo is not None:
        z = s.interaction_z
        z0 = ecal_geo.z
        ecal_end = ecal_geo.z + ecal_geo.length - z0
        out["p_interact_ecal"] = _prob((z >= 0) & (z <= ecal_end))
        out["p_interact_hcal"] = _prob((z > hcal_geo.z - z0)
                                       & (z <= hcal_geo.z + hcal_geo.length - z0))
        out["p_noint_through_all"] = _prob(z < 0)
        zi = z[(z >= 0) & (z <= ecal_end)]
        if zi.size > 1:
            out["interaction_z_ecal_mean_mm"] = _mean(zi)
    out["ecal_fraction_mean"] = _mean(cal / e)
    out["hcal_fraction_mean"] = _mean(hcal / e)
    low = cal < 50.0 * GeV
    out["p_ecal_lt_50GeV_and_hcal_lt_1GeV"] = _prob(low & (hcal < 1.0 * GeV))
    out["p_ecal_lt_50GeV"] = _prob(low)
    out["p_hcal_lt_1GeV"] = _prob(hcal < 1.0 * GeV)
    # the lateral shape of the showers in the ECAL (those that leave more than a fifth of
    # the energy there, which a muon-like track of a few GeV also does at 2 GeV)
    showering = cal > SHOWERING_FRACTION * e
    if showering.sum() > 1:
        iy, ix = CENTRAL_CELL
        c = s.ecal[showering]
        tot = cal[showering]
        out["central_cell_fraction_showering"] = _mean(c[:, :, iy, ix].sum(axis=1) / tot)
        out["ring3x3_fraction_showering"] = _mean(
            c[:, :, iy - 1:iy + 2, ix - 1:ix + 2].sum(axis=(1, 2, 3)) / tot)
    return out


#: Calibrated ECAL signal over E above which a hadron counts as showering in the ECAL for
#: the lateral-shape observables (``*_showering``).
SHOWERING_FRACTION = 0.2

#: Calibrated ECAL energies (GeV) above which a muon's radiative-loss tail is counted
#: (``p_ecal_gt_<E>GeV``).
MUON_ECAL_TAILS_GEV = (2.0, 5.0, 10.0, 20.0)


def _muon(s: Sample, bootstrap: int, size: int | None) -> dict[str, Value]:
    cal = s.ecal.sum(axis=(1, 2, 3))
    raw = cal * s.f_ecal
    out: dict[str, Value] = {}

    def mpv(x: FloatArray) -> Value:
        return most_probable(x, bootstrap=bootstrap, sample_size=size)

    out["ecal_mip_mean_MeV"] = _mean(cal)
    out["ecal_mip_mpv_MeV"] = mpv(cal)
    out["ecal_sc_mean_MeV"] = _mean(raw)
    out["ecal_sc_mpv_MeV"] = mpv(raw)
    for thr in MUON_ECAL_TAILS_GEV:
        out[f"p_ecal_gt_{thr:g}GeV"] = _prob(cal > thr * GeV)
    for m in range(s.hcal_active.shape[1]):
        out[f"hcal_per_module_mean_MeV_m{m}"] = _mean(s.hcal_active[:, m])
        out[f"hcal_per_module_mpv_MeV_m{m}"] = mpv(s.hcal_active[:, m])
    if s.veto.shape[1]:
        out["veto_counter_mean_MeV"] = _mean(s.veto[:, 0])
        out["veto_counter_mpv_MeV"] = mpv(s.veto[:, 0])
    return out


# --------------------------------------------------------------------------------------
# the dump of the visible mode: a target calorimeter and the counter right behind it
# --------------------------------------------------------------------------------------
#: Threshold of the counter behind the dump used by :func:`target_observables` (MeV): the
#: visible-mode selection's W2 cut, ~0.6 MIP of its 4 mm plastic.
COUNTER_THRESHOLD_MEV = 0.5


def target_observables(deposit: NDArray[np.floating], signal: NDArray[np.floating],
                       counter: NDArray[np.floating], energy: float) -> dict[str, Value]:
    """Observables of electron showers in a dump calorimeter and of the counter behind it.

    Parameters
    ----------
    deposit
        Energy deposited in the dump per event (absorber + active; the fast simulation's
        unsmeared target deposit), MeV.
    signal
        Calibrated signal per event on the electron scale (the reference: active deposit /
        sampling fraction; the fast simulation: the deposit smeared with the sampling term).
    counter
        Energy deposited in the counter behind the dump (W2), MeV.
    energy
        Beam energy, MeV.

    Returns
    -------
    dict
        ``{name: (value, stat_error)}``: ``containment_mean`` and ``containment_rms``
        (deposit / E; the RMS's error, set by the rare far tail of photo-nuclear losses,
        from 30 bootstrap resamplings, seed 0), ``resolution`` (truncated RMS / mean of the
        signal, the estimator of :func:`truncated_mean_rms`; error from the same
        resamplings),
        ``counter_mean_MeV``, ``p_counter_gt_0.5MeV`` (:data:`COUNTER_THRESHOLD_MEV`) and
        ``p_counter_gt_2MeV``.
    """
    dep = np.asarray(deposit, np.float64) / float(energy)
    sig = np.asarray(signal, np.float64)
    cnt = np.asarray(counter, np.float64)
    m, s = truncated_mean_rms(sig)
    rng = np.random.default_rng(0)
    boots, rms = [], []
    for _ in range(30):
        i = rng.integers(0, sig.size, sig.size)
        bm, bs = truncated_mean_rms(sig[i])
        boots.append(bs / bm)
        rms.append(float(np.std(dep[i], ddof=1)))
    return {
        "containment_mean": _mean(dep),
        "containment_rms": (float(np.std(dep, ddof=1)), float(np.std(rms))),
        "resolution": (s / m, float(np.std(boots))),
        "counter_mean_MeV": _mean(cnt),
        "p_counter_gt_0.5MeV": _prob(cnt > COUNTER_THRESHOLD_MEV),
        "p_counter_gt_2MeV": _prob(cnt > 2.0),
    }


def fastsim_target_sample(setup: Setup, energy: float, n: int, seed: int, *,
                          particle: str = "e-") -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(deposit, signal, counter)`` of ``n`` fast-simulated ``particle`` of ``energy`` (MeV)
    on the beam axis of a setup whose target is a dump followed by a veto counter (the
    visible-mode WCAL and W2), for :func:`target_observables`.

    ``deposit`` is the target's deposit, ``signal`` the same smeared with the target's
    sampling term only (the reference has neither photo-statistics nor noise) and
    ``counter`` the deposit in the first veto counter, without noise.
    """
    if setup.veto is None:
        raise ValueError("the dump comparison needs a veto counter behind the target")
    if particle not in _PDG:
        raise ValueError(f"unknown particle {particle!r}")
    cal = setup.target
    rng = np.random.default_rng(seed)
    parts = {"pdg": np.full(n, _PDG[particle]), "energy": np.full(n, float(energy)),
             "x": np.zeros(n), "y": np.zeros(n)}
    dep = deposit(setup, parts, rng)
    cells = np.asarray(dep[setup.target_name], np.float64)
    total = cells.reshape(n, -1).sum(axis=1)
    signal = _sampling_smear(cells, cal, rng).reshape(n, -1).sum(axis=1)
    return total, signal, np.asarray(dep["veto"][:, 0], np.float64)
