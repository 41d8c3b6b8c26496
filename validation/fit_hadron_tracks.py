"""Fit what the veto counters behind the ECAL see of the hadron showers that start in it.

Usage::

    python validation/fit_hadron_tracks.py --runs 5:RUN 10:RUN 20:RUN 50:RUN   # table + fit
    python validation/fit_hadron_tracks.py [--check]                          # fit the table

A pion of a few GeV that interacts in the ECAL of ``na64e_2016_2018`` starts a hadron shower
whose tail crosses the three veto counters behind it.  Continued into the plastic, the
Gamma profile of the shower's hadronic part would leave there its energy per interaction
length times the counters' thickness: 2-4 times the signal of the Geant4 reference (the
program of ``../shared/g4ref``, pencil beams of π−), whose counters see a few charged
particles crossing them (median sum 8 MeV for 5 GeV pions interacting in the first 10 cm
of the ECAL, 31 MeV in na64 before this table).  The fast simulation draws the counters'
share of the hadronic part as particles (``[veto.hadron_tracks]``,
:class:`na64.detector.setup.HadronTracks`): Poisson hits of mean visible_fraction × share /
hit_energy, Gamma(hit_shape) energies, the means of one shower scaled together by a Gamma
factor of mean 1 and spread ``shower_spread``.

Step 1 (``--runs``): the per-event records of the runs are reduced to
``tests/data/g4_pion_ecal_leakage.csv`` (the format of ``g4_pion_backsplash.csv``, made by
the same code of ``fit_backsplash.py``): for each beam energy and each bin of the depth of
the pion's first interaction in the ECAL (:data:`Z_BINS`), each counter's empirical
distribution function and the fraction of events with every counter below 10 MeV (the
invisible-mode veto cut); and per energy that fraction for all pions.

Step 2: the four constants are fitted to the veto-cut fractions (every counter below 10
MeV, and each counter below it) of the bins :data:`FIT_BINS` (the interaction at least
15 cm before the counters: the shower's tail reaches them) and of all pions, at
:data:`FIT_ENERGIES`, by minimising χ².  The fast simulation runs twice per energy
(:data:`N_FIT` pions, one seed), with the counters' share withheld and with it deposited
as the continued profile, which gives each event's share; the particles are then drawn on
top of the first with a fixed seed at every trial point.  Pions interacting in the last
15 cm of the ECAL send the early part of their shower, with its π0 photons, into the
counters; there the continued EM profile, not this table, sets the signal (it is low at 50
GeV and above; reported, not fitted).  ``--check`` exits with 1 when a shipped value
differs from the fit by more than 15% (the spread: 0.1 absolute).  Takes about a minute
and a half (the grid: 1260 points).
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_backsplash import THRESHOLD, fit_script, make_table

from na64.detector import load_setup
from na64.detector.observables import fastsim_sample, veto_cut_chi2_term
from na64.detector.response import hadron_track_deposits
from na64.detector.setup import HadronTracks, Setup
from na64.units import GeV

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "data" / "g4_pion_ecal_leakage.csv"
SETUP = "na64e_2016_2018"
#: bins of the z (mm from the ECAL face, 450 mm long) of the pion's first interaction
Z_BINS = ((0.0, 100.0), (100.0, 200.0), (200.0, 300.0), (300.0, 450.0))
#: the bins fitted: the counters see the shower's tail
FIT_BINS = ((0.0, 100.0), (100.0, 200.0), (200.0, 300.0))
#: beam energies fitted (GeV): above, every pion interacting in the ECAL is vetoed
FIT_ENERGIES = (5.0, 10.0, 20.0)
#: pions simulated per energy
N_FIT = 20000
#: the parameters: name, start
PARAMS = (("visible_fraction", 0.3), ("hit_energy_MeV", 3.0), ("hit_shape", 1.0),
          ("shower_spread", 0.4))


def with_tracks(setup: Setup, values: dict[str, float] | None) -> Setup:
    """``setup`` with the constants ``values`` (``None``: the profile's share itself)."""
    assert setup.veto is not None
    ht = None if values is None else HadronTracks(
        visible_fraction=values["visible_fraction"],
        hit_energy=f"{values['hit_energy_MeV']}MeV", hit_shape=values["hit_shape"],
        shower_spread=values["shower_spread"])
    return setup.model_copy(update={"veto": setup.veto.model_copy(update={"hadron_tracks": ht})})


def shipped(setup: Setup | None = None) -> dict[str, float]:
    """The constants of the shipped setup (empty without a ``[veto.hadron_tracks]``)."""
    setup = setup or load_setup(SETUP)
    ht = setup.veto.hadron_tracks if setup.veto is not None else None
    if ht is None:
        return {}
    return {"visible_fraction": ht.visible_fraction, "hit_energy_MeV": ht.hit_energy,
            "hit_shape": ht.hit_shape, "shower_spread": ht.shower_spread}


def _rows(table: list[dict[str, object]], e: float) -> list[dict[str, object]]:
    return [r for r in table if float(r["energy_GeV"]) == e]  # type: ignore[arg-type]


class _Base:
    """Pions of one energy simulated twice with the same seed: with the counters' share of
    the hadronic part withheld (``base``, every other deposit) and with it deposited as the
    continued profile; the difference is each event's share per counter (``share``)."""

    def __init__(self, setup: Setup, e_gev: float, n: int) -> None:
        self.setup = setup
        seed = 5150 + int(e_gev)
        zero = {"visible_fraction": 0.0, "hit_energy_MeV": 1.0, "hit_shape": 1.0,
                "shower_spread": 0.0}
        a = fastsim_sample(with_tracks(setup, zero), "pi-", e_gev * GeV, n, seed=seed)
        b = fastsim_sample(with_tracks(setup, None), "pi-", e_gev * GeV, n, seed=seed)
        assert a.interaction_z is not None
        self.z = a.interaction_z
        self.base = a.veto
        self.share = np.maximum(b.veto - a.veto, 0.0)

    def veto(self, v: dict[str, float], seed: int = 11) -> np.ndarray:
        """The counters with the particles of the constants ``v`` drawn on top of ``base``
        by :func:`na64.detector.response.hadron_track_deposits` with a fixed seed."""
        out = {"veto": self.base.copy()}
        hadron_track_deposits(out, with_tracks(self.setup, v),
                              [(np.arange(self.share.shape[0]), self.share)],
                              np.random.default_rng(seed))
        return out["veto"]


def chi2_terms(table: list[dict[str, object]], bases: dict[float, _Base],
               v: dict[str, float], bins: tuple[tuple[float, float], ...]
               ) -> list[tuple[str, float]]:
    """(label, χ² term) of each compared row: the fraction of events with every counter
    below the veto threshold and with each counter below it, in each of ``bins``, and the
    first for all pions; binomial errors of Geant4 and of the simulated pions.  (The shapes
    of the distributions, ``x_MeV`` of the other rows, are checked by the tests, not
    fitted: the veto cut is what the search uses.)"""
    out = []
    for e, base in bases.items():
        veto, z = base.veto(v), base.z
        for r in _rows(table, e):
            lo, hi = float(r["z_lo_mm"]), float(r["z_hi_mm"])  # type: ignore[arg-type]
            if (math.isfinite(hi) and (lo, hi) not in bins) or float(r["x_MeV"]) != THRESHOLD:  # type: ignore[arg-type]
                continue
            m = (z >= lo) & (z < hi) if math.isfinite(hi) else np.ones(z.size, dtype=bool)
            if r["counter"] == "max":
                q = float(np.mean(veto[m].max(axis=1) < THRESHOLD))
            else:
                q = float(np.mean(veto[m, int(str(r["counter"]))] < THRESHOLD))
            p, k = float(r["cdf"]), int(r["n"])  # type: ignore[arg-type]
            label = f"{e:g} GeV [{lo:g},{hi:g}) {r['counter']}"
            out.append((label, veto_cut_chi2_term(p, k, q, int(m.sum()))))
    return out


#: the grid searched before the simplex polish
GRID = {"visible_fraction": (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5),
        "hit_energy_MeV": (1.0, 2.0, 3.0, 4.0, 6.0, 8.0),
        "hit_shape": (0.3, 0.6, 1.0, 2.0, 4.0),
        "shower_spread": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)}


def fit(table: list[dict[str, object]], setup: Setup | None = None) -> dict[str, float]:
    """The constants minimising the χ² of :func:`chi2_terms`: the best point of
    :data:`GRID`, then Nelder-Mead from it (in the logarithms of the positive
    parameters), with ``chi2`` and ``ndf``."""
    setup = setup or load_setup(SETUP)
    bases = {e: _Base(setup, e, N_FIT) for e in FIT_ENERGIES}
    names = [p for p, _ in PARAMS]

    def chi2(v: dict[str, float]) -> float:
        try:
            return sum(c for _, c in chi2_terms(table, bases, v, FIT_BINS))
        except ValidationError:  # a trial point outside the table's allowed range
            return math.inf

    best = min((dict(zip(names, point, strict=True)) for point in
                itertools.product(*(GRID[k] for k in names))), key=chi2)

    def unpack(q: np.ndarray) -> dict[str, float]:
        v = dict(zip(names[:3], np.exp(q[:3]), strict=True))
        v["shower_spread"] = abs(float(q[3]))
        return v

    start = np.array([*np.log([best[k] for k in names[:3]]), best["shower_spread"]])
    res = minimize(lambda q: chi2(unpack(q)), start, method="Nelder-Mead",
                   options={"xatol": 0.01, "fatol": 0.05, "maxfev": 400})
    values = unpack(res.x) if res.fun < chi2(best) else best
    values["chi2"] = chi2(values)
    values["ndf"] = float(len(chi2_terms(table, bases, values, FIT_BINS)) - len(names))
    return values


def main() -> int:
    return fit_script(
        __doc__.splitlines()[0], table_path=TABLE, block="veto.hadron_tracks",
        make=lambda runs: make_table(runs, Z_BINS),
        made_by="validation/fit_hadron_tracks.py --runs", fit_table=fit,
        shipped_values=shipped, with_values=with_tracks, absolute={"shower_spread": 0.1})


if __name__ == "__main__":
    raise SystemExit(main())
