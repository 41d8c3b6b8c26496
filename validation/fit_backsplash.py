"""Fit the albedo ("backsplash") of hadron showers into the veto counters in front of the HCAL.

Usage::

    python validation/fit_backsplash.py --runs 2:RUN 5:RUN ... 100:RUN   # table + fit
    python validation/fit_backsplash.py [--check]                        # fit the shipped table

A pion that crosses the ECAL of ``na64e_2016_2018`` and interacts in the first centimetres
of the HCAL sends slow neutrons, de-excitation photons and a few charged hadrons backwards
into the three veto counters 15-20 cm in front of it.  In the Geant4 reference (the
program of ``../shared/g4ref``, pencil beams of π− at 2-100 GeV) they raise the median
signal of the counter nearest to the HCAL from the 4 MeV of the pion alone to 15 MeV at
100 GeV, and only 15% of the pions that interact in the first 10 cm of iron leave every
counter below 10 MeV, the threshold of the invisible-mode veto; a pion that interacts
30 cm deeper leaves them as quiet as a muon.  The fast simulation draws this as the
``[veto.backsplash]`` table of the setup (:class:`na64.detector.setup.Backsplash`,
:func:`na64.detector.response.backsplash_mean_hits`): per counter N ~ Poisson(hits
(E/100 GeV)^p exp(−s/L) (d0/d)² t^k) hits of Gamma(k_h, ε/k_h) MeV, with s the depth of the
interaction in the HCAL (λ_int), d its distance to the counter, k the counters in between,
the means of one shower scaled together by a Gamma factor of mean 1 (the albedo of a
shower fluctuates as a whole, which correlates the three counters).

Step 1 (``--runs``): the per-event records of the runs are reduced to
``tests/data/g4_pion_backsplash.csv``: for each beam energy and each bin of the depth of
the pion's first interaction in the HCAL, the empirical distribution function of each
counter's deposit at :data:`POINTS` and the fraction of events with every counter below
10 MeV; and per energy the fraction of all pions with every counter below 10 MeV.

Step 2: first the particles that accompany a pion out of the ECAL, the ``hadron_*`` track
hits of ``[veto.leakage]`` (:func:`fit_tracks`), from the pions that interact 110-200 cm
deep, beyond the albedo's reach; then, with them, the albedo's constants are fitted to
that table by least squares.  The fast simulation
runs once per energy without the albedo; the albedo's distribution is then added
analytically (a compound Poisson-Gamma sum on top of each simulated event's own deposit),
so the fit is deterministic.  ``--check`` exits with 1 when a shipped value differs from
the fit by more than 15% (the exponent and transmission: 0.05 absolute), and reports the
fraction of pions below the veto threshold, Geant4 against the full fast simulation with
the shipped constants.  Takes about three minutes.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.special import gammainc
from scipy.stats import gamma as gamma_dist
from scipy.stats import poisson

from na64.detector import load_setup
from na64.detector.observables import fastsim_sample, read_veto_reference
from na64.detector.response import backsplash_mean_hits
from na64.detector.setup import Backsplash, Setup
from na64.detector.stack import build_stack
from na64.reach.config import load_analysis
from na64.units import GeV, MeV

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "data" / "g4_pion_backsplash.csv"
SETUP = "na64e_2016_2018"
#: bins of the z (mm from the ECAL face) of the pion's first inelastic interaction; the
#: HCAL starts at 700 mm
Z_BINS = ((700.0, 800.0), (800.0, 900.0), (900.0, 1100.0), (1100.0, 2000.0))
#: deposits (MeV) at which the distribution functions are compared
POINTS = np.array([4.0, 5.0, 6.0, 8.0, 10.0, 14.0, 20.0, 30.0, 50.0])
#: the threshold of the invisible-mode veto cut on the largest counter (MeV)
ANALYSIS = "invisible_2016_2018"
THRESHOLD = float(load_analysis(ANALYSIS).selection.build(100.0 * GeV)["veto"].value) / MeV
#: pions simulated per energy for the fit
N_BASE = 4000
#: the parameters: name, start, lower and upper bound
PARAMS = (("hits", 10.0, 0.1, 1000.0), ("energy_exponent", 0.4, 0.0, 1.5),
          ("attenuation_lambda", 1.0, 0.05, 50.0), ("transmission", 0.9, 0.2, 1.0),
          ("hit_energy_MeV", 3.0, 0.05, 50.0), ("hit_shape", 1.0, 0.02, 20.0),
          ("shower_spread", 0.5, 0.0, 3.0))


# --------------------------------------------------------------------------------------
# step 1: the table
# --------------------------------------------------------------------------------------
def make_table(runs: dict[float, list[Path]],
               z_bins: tuple[tuple[float, float], ...] = Z_BINS) -> list[dict[str, object]]:
    """Rows of the reference table from the per-event records of each energy's runs, in the
    bins ``z_bins`` of the depth of the pion's first interaction."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from g4records import read_run

    rows: list[dict[str, object]] = []
    for e_gev in sorted(runs):
        parts = [read_run(p)[1] for p in runs[e_gev]]
        z = np.concatenate([d["prim_end_z"] for d in parts])
        veto = np.concatenate([d["veto_sc"] for d in parts])
        passed = veto.max(axis=1) < THRESHOLD
        rows.append({"energy_GeV": e_gev, "z_lo_mm": 0.0, "z_hi_mm": math.inf,
                     "counter": "max", "x_MeV": THRESHOLD, "cdf": float(passed.mean()),
                     "n": int(z.size)})
        for lo, hi in z_bins:
            m = (z >= lo) & (z < hi)
            rows.append({"energy_GeV": e_gev, "z_lo_mm": lo, "z_hi_mm": hi, "counter": "max",
                         "x_MeV": THRESHOLD, "cdf": float(passed[m].mean()), "n": int(m.sum())})
            for c in range(veto.shape[1]):
                for x in POINTS:
                    rows.append({"energy_GeV": e_gev, "z_lo_mm": lo, "z_hi_mm": hi,
                                 "counter": str(c), "x_MeV": float(x),
                                 "cdf": float(np.mean(veto[m, c] <= x)), "n": int(m.sum())})
    return rows


def write_table(rows: list[dict[str, object]], runs: dict[float, list[Path]], path: Path,
                made_by: str = "validation/fit_backsplash.py --runs") -> None:
    """Write ``rows`` with a header naming the runs and the command that made them."""
    lines = [
        "# Geant4 11.4.p01 (data-free physics list and NA64e ECAL/VETO/HCAL geometry of "
        "../shared/g4ref), pi- pencil beams at x = y = 0;",
        "# runs: " + "; ".join(f"{e:g} GeV: " + ", ".join(p.name for p in runs[e])
                              for e in sorted(runs)) + ".",
        f"# Made by {made_by}.  For each beam energy and bin [z_lo, "
        "z_hi) of the z (mm from the ECAL face; HCAL face at 700 mm) of the pion's first "
        "inelastic interaction:",
        "# cdf = fraction of the n events with the true deposit of veto counter `counter` "
        "(0 = upstream) <= x_MeV; counter 'max': every counter below x_MeV (the veto cut); "
        "the row [0, inf) is all pions.",
    ]
    fields = ["energy_GeV", "z_lo_mm", "z_hi_mm", "counter", "x_MeV", "cdf", "n"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    tmp.replace(path)


def read_table(path: Path = TABLE) -> list[dict[str, object]]:
    """The rows of the reference table (:func:`na64.detector.observables.read_veto_reference`)."""
    return read_veto_reference(path)


# --------------------------------------------------------------------------------------
# step 2: the fit
# --------------------------------------------------------------------------------------
def with_backsplash(setup: Setup, values: dict[str, float] | None) -> Setup:
    """``setup`` with the albedo constants ``values`` (``None``: without albedo), and with
    the hadrons' track hits of ``values`` when it has them (:func:`with_tracks`)."""
    assert setup.veto is not None
    bs = None if values is None else Backsplash(
        hits=values["hits"], energy_exponent=values["energy_exponent"],
        attenuation_lambda=values["attenuation_lambda"], transmission=values["transmission"],
        hit_energy=f"{values['hit_energy_MeV']}MeV", hit_shape=values["hit_shape"],
        shower_spread=values["shower_spread"])
    out = setup.model_copy(update={"veto": setup.veto.model_copy(update={"backsplash": bs})})
    if values is not None and "hadron_hits_per_track" in values:
        out = with_tracks(out, values)
    return out


def with_tracks(setup: Setup, values: dict[str, float]) -> Setup:
    """``setup`` with the particles that accompany a hadron crossing the ECAL
    (``hadron_hits_per_track``, ``hadron_track_hit_energy_MeV``, ``hadron_track_hit_shape``
    of the ``[veto.leakage]`` table)."""
    assert setup.veto is not None
    assert setup.veto.leakage is not None
    lk = setup.veto.leakage.model_copy(update={
        "hadron_hits_per_track": values["hadron_hits_per_track"],
        "hadron_track_hit_energy": values["hadron_track_hit_energy_MeV"] * MeV,
        "hadron_track_hit_shape": values["hadron_track_hit_shape"]})
    return setup.model_copy(update={"veto": setup.veto.model_copy(update={"leakage": lk})})


#: the bin of the deepest interactions, whose albedo does not reach the counters: what the
#: counters see there accompanies the pion out of the ECAL
TRACK_BIN = (1100.0, 2000.0)


def fit_tracks(table: list[dict[str, object]], setup: Setup) -> dict[str, float]:
    """The particles that accompany a pion crossing the ECAL: N ~ Poisson(nu), the same
    Gamma(N k, d/k) deposit in every counter (:func:`na64.detector.response.track_leakage_deposits`),
    fitted to the rows of :data:`TRACK_BIN` at every energy: pions simulated without the
    albedo and without these hits, the hits added analytically."""
    rows = [r for r in table if float(r["z_lo_mm"]) == TRACK_BIN[0]]  # type: ignore[arg-type]
    energies = sorted({float(r["energy_GeV"]) for r in rows})  # type: ignore[arg-type]
    bare = with_tracks(with_backsplash(setup, None), {
        "hadron_hits_per_track": 0.0, "hadron_track_hit_energy_MeV": 1.0,
        "hadron_track_hit_shape": 1.0})
    bases = {e: _Base(bare, e, N_BASE, 2000 + int(e)) for e in energies}

    def residuals(q: np.ndarray) -> np.ndarray:
        nu, d, k = (math.exp(v) for v in q)
        compound = _Compound(d, k, nu)
        out = []
        for r in rows:
            b = bases[float(r["energy_GeV"])]  # type: ignore[arg-type]
            m = (b.z >= TRACK_BIN[0]) & (b.z < TRACK_BIN[1])
            v = b.veto[m]
            mu = np.full(v.shape[0], nu)
            if r["counter"] == "max":
                model = float(compound(mu, THRESHOLD - v.max(axis=1)).mean())
            else:
                c = int(str(r["counter"]))
                model = float(compound(mu, float(r["x_MeV"]) - v[:, c]).mean())  # type: ignore[arg-type]
            emp = float(r["cdf"])  # type: ignore[arg-type]
            out.append((model - emp) / _error(emp, int(r["n"])))  # type: ignore[call-overload]
        return np.array(out)

    res = least_squares(residuals, np.log([0.5, 2.0, 0.5]),
                        bounds=(np.log([1e-3, 0.1, 0.02]), np.log([5.0, 50.0, 20.0])))
    nu, d, k = (float(math.exp(v)) for v in res.x)
    print(f"# hadron track hits: chi2 {float(np.sum(res.fun**2)):.1f} for "
          f"{res.fun.size - 3} degrees of freedom")
    return {"hadron_hits_per_track": nu, "hadron_track_hit_energy_MeV": d,
            "hadron_track_hit_shape": k}


class _Base:
    """Pions of one energy simulated without the albedo: each counter's deposit, the
    depth and energy of the primary's interaction."""

    def __init__(self, setup: Setup, e_gev: float, n: int, seed: int) -> None:
        s = fastsim_sample(with_backsplash(setup, None), "pi-", e_gev * GeV, n, seed)
        assert s.interaction_z is not None
        assert s.ecal_deposit is not None
        self.z = s.interaction_z
        self.veto = s.veto
        self.stack = build_stack(setup)  # the geometry, whatever the albedo's constants
        inside = self.z >= 0
        self.l0 = np.full(self.z.size, -1.0)
        self.l0[inside] = self.stack.convert(self.z[inside] + self.stack.target_z, "z", "l")
        # the energy the pion carries into the interaction (what it lost before is in
        # the ECAL and the counters)
        self.e_shower = np.maximum(e_gev * GeV - s.ecal_deposit - s.veto.sum(axis=1), 0.0)


class _Compound:
    """P(X <= y) of a Poisson(mu) sum X of Gamma(k, d/k) hits, tabulated on a grid of mu
    (log-spaced, and 0) and y (MeV) and interpolated bilinearly."""

    Y = np.linspace(0.0, 80.0, 801)

    def __init__(self, d: float, k: float, mu_max: float) -> None:
        self.log_mu = np.linspace(math.log(1e-3), math.log(max(mu_max, 1e-2) * 1.01), 120)
        mu = np.concatenate([[0.0], np.exp(self.log_mu)])
        nmax = int(mu[-1] + 10.0 * math.sqrt(mu[-1]) + 10)
        n = np.arange(nmax + 1)
        pmf = poisson.pmf(n[None, :], mu[:, None])  # (mu, n)
        hits = np.empty((nmax + 1, self.Y.size))
        hits[0] = 1.0
        hits[1:] = gammainc(n[1:, None] * k, self.Y[None, :] * k / d)
        self.table = pmf @ hits  # (mu, y)

    def __call__(self, mu: np.ndarray, y: np.ndarray) -> np.ndarray:
        """P(X <= y) for each (mu, y) pair (y < 0 gives 0)."""
        lm = np.log(np.maximum(mu, 1e-300))
        # row 0 is mu = 0; row r >= 1 is log_mu[r - 1]
        pos = np.interp(lm, self.log_mu, np.arange(1, self.log_mu.size + 1),
                        left=0.0, right=float(self.log_mu.size))
        pos = np.where(mu <= 0.0, 0.0, np.where(lm < self.log_mu[0],
                                                mu / math.exp(self.log_mu[0]), pos))
        r0 = np.minimum(np.floor(pos).astype(int), self.log_mu.size - 1)
        fr = pos - r0
        yc = np.clip(y, 0.0, self.Y[-1])
        c = np.minimum(np.floor(yc / (self.Y[1] - self.Y[0])).astype(int), self.Y.size - 2)
        fc = yc / (self.Y[1] - self.Y[0]) - c
        t = self.table
        val = ((1 - fr) * ((1 - fc) * t[r0, c] + fc * t[r0, c + 1])
               + fr * ((1 - fc) * t[r0 + 1, c] + fc * t[r0 + 1, c + 1]))
        return np.where(y < 0.0, 0.0, val)


def predict(setup: Setup, base: _Base, values: dict[str, float], lo: float, hi: float
            ) -> tuple[np.ndarray, float]:
    """(counters, points) distribution functions and P(every counter < threshold) of the
    events whose pion interacts in [lo, hi), with the albedo of ``values``."""
    m = (base.z >= lo) & (base.z < hi)
    mu = backsplash_mean_hits(with_backsplash(setup, values), base.stack, base.l0[m],
                              base.e_shower[m])
    d, k = values["hit_energy_MeV"], values["hit_shape"]
    cdfs = np.zeros((base.veto.shape[1], POINTS.size))
    below = 0.0
    # the shower's common intensity factor, integrated at equal-probability nodes
    nodes = _intensity_nodes(values["shower_spread"])
    compound = _Compound(d, k, float(np.max(mu, initial=0.0)) * float(nodes[-1]))
    x = np.append(POINTS, THRESHOLD)
    for f in nodes:
        below_f = np.ones(int(m.sum()))
        for c in range(base.veto.shape[1]):
            cdf = compound(f * mu[:, c, None], x[None, :] - base.veto[m, c, None])
            cdfs[c] += cdf[:, :-1].mean(axis=0) / nodes.size
            below_f = below_f * cdf[:, -1]
        below += float(below_f.mean()) / nodes.size
    return cdfs, below


def _intensity_nodes(spread: float, n: int = 8) -> np.ndarray:
    """Medians of ``n`` equal-probability intervals of the Gamma distribution of mean 1
    and relative spread ``spread``, rescaled to mean 1 (just 1 without spread)."""
    if spread <= 0.0:
        return np.ones(1)
    shape = 1.0 / spread**2
    q = gamma_dist.ppf((np.arange(n) + 0.5) / n, shape, scale=1.0 / shape)
    return np.asarray(q / q.mean())


def _error(p: float, n: int) -> float:
    """Binomial error of a fraction p of n events, at least that of 1/n, plus 0.01 for the
    fit's own simulated sample."""
    return math.sqrt(max(p * (1 - p), 1.0 / n) / n) + 0.01


def fit(table: list[dict[str, object]], setup: Setup | None = None) -> dict[str, float]:
    """The albedo constants fitted to the binned rows of ``table``."""
    setup = setup or load_setup(SETUP)
    tracks = fit_tracks(table, setup)
    setup = with_tracks(setup, tracks)
    energies = sorted({float(r["energy_GeV"]) for r in table})  # type: ignore[arg-type]
    bases = {e: _Base(setup, e, N_BASE, 1000 + int(e)) for e in energies}
    binned = [r for r in table if math.isfinite(float(r["z_hi_mm"]))]  # type: ignore[arg-type]

    def unpack(q: np.ndarray) -> dict[str, float]:
        return {name: float(v) for (name, *_), v in zip(PARAMS, q, strict=True)}

    def residuals(q: np.ndarray) -> np.ndarray:
        values = unpack(q)
        cache: dict[tuple[float, float], tuple[np.ndarray, float]] = {}
        out = []
        for r in binned:
            e, lo, hi = float(r["energy_GeV"]), float(r["z_lo_mm"]), float(r["z_hi_mm"])  # type: ignore[arg-type]
            if (e, lo) not in cache:
                cache[(e, lo)] = predict(setup, bases[e], values, lo, hi)
            cdfs, below = cache[(e, lo)]
            n = int(r["n"])  # type: ignore[call-overload]
            emp = float(r["cdf"])  # type: ignore[arg-type]
            if r["counter"] == "max":
                model = below
            else:
                model = float(cdfs[int(str(r["counter"])), int(np.argmin(
                    np.abs(POINTS - float(r["x_MeV"]))))])  # type: ignore[arg-type]
            out.append((model - emp) / _error(emp, n))
        return np.array(out)

    x0 = np.array([p[1] for p in PARAMS])
    lo = np.array([p[2] for p in PARAMS])
    hi = np.array([p[3] for p in PARAMS])
    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac", diff_step=1e-3)
    values = unpack(res.x)
    values.update(tracks)
    values["chi2"] = float(np.sum(res.fun**2))
    values["ndf"] = float(res.fun.size - len(PARAMS))
    return values


def shipped(setup: Setup | None = None) -> dict[str, float]:
    """The constants in the shipped setup (empty without a ``[veto.backsplash]`` table)."""
    setup = setup or load_setup(SETUP)
    bs = setup.veto.backsplash if setup.veto is not None else None
    if bs is None:
        return {}
    out = {"hits": bs.hits, "energy_exponent": bs.energy_exponent,
           "attenuation_lambda": bs.attenuation_lambda, "transmission": bs.transmission,
           "hit_energy_MeV": bs.hit_energy, "hit_shape": bs.hit_shape,
           "shower_spread": bs.shower_spread}
    lk = setup.veto.leakage if setup.veto is not None else None
    if lk is not None and lk.hadron_hits_per_track is not None:
        assert lk.hadron_track_hit_energy is not None
        out.update(hadron_hits_per_track=lk.hadron_hits_per_track,
                   hadron_track_hit_energy_MeV=lk.hadron_track_hit_energy / MeV,
                   hadron_track_hit_shape=lk.hadron_track_hit_shape)
    return out


def report(table: list[dict[str, object]], setup: Setup, n: int = 20000) -> None:
    """P(every counter < threshold) of all pions per energy and per depth bin: Geant4
    against the full fast simulation of ``setup``."""
    for e in sorted({float(r["energy_GeV"]) for r in table}):  # type: ignore[arg-type]
        s = fastsim_sample(setup, "pi-", e * GeV, n, 77)
        assert s.interaction_z is not None
        passed = s.veto.max(axis=1) < THRESHOLD
        parts = []
        for r in table:
            if r["counter"] != "max" or float(r["energy_GeV"]) != e:  # type: ignore[arg-type]
                continue
            lo, hi = float(r["z_lo_mm"]), float(r["z_hi_mm"])  # type: ignore[arg-type]
            m = (s.interaction_z >= lo) & (s.interaction_z < hi) if math.isfinite(hi) else \
                np.ones(s.n, dtype=bool)
            label = "all" if not math.isfinite(hi) else f"[{lo:g},{hi:g})"
            parts.append(f"{label} {passed[m].mean():.3f} (Geant4 {float(r['cdf']):.3f} of "
                         f"{r['n']})")  # type: ignore[arg-type]
        print(f"{e:g} GeV, P(veto < {THRESHOLD:g} MeV): " + "; ".join(parts))


def _parse_runs(items: list[str]) -> dict[float, list[Path]]:
    runs: dict[float, list[Path]] = {}
    for item in items:
        e, _, path = item.partition(":")
        runs.setdefault(float(e), []).append(Path(path))
    return runs


def fit_script(description: str, *, table_path: Path, block: str,
               make: Callable[[dict[float, list[Path]]], list[dict[str, object]]],
               made_by: str, fit_table: Callable[[list[dict[str, object]]], dict[str, float]],
               shipped_values: Callable[[Setup], dict[str, float]],
               with_values: Callable[[Setup, dict[str, float]], Setup],
               absolute: dict[str, float]) -> int:
    """The command line of a veto-table fit (this script's and ``fit_hadron_tracks.py``'s):
    ``--runs`` remakes the reference table with ``make``, then the table is fitted, the
    constants printed as the ``[block]`` of the setup file and the reference compared with
    the simulation (:func:`report`); ``--check`` exits with 1 when a shipped constant
    differs from the fit by more than 15%, or by more than ``absolute[name]`` for the
    constants listed there."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--runs", nargs="*", default=None, metavar="GEV:PATH",
                    help="raw runs or the reference's .npz, to remake the table first")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a shipped value differs from the fit")
    args = ap.parse_args()
    if args.runs:
        runs = _parse_runs(args.runs)
        write_table(make(runs), runs, table_path, made_by=made_by)
        print(f"wrote {table_path}")
    table = read_table(table_path)
    values = fit_table(table)
    print(f"{SETUP}.toml:\n[{block}]")
    extra = {k: v for k, v in values.items() if k.startswith("hadron_")}
    for name, v in values.items():
        if name in ("chi2", "ndf") or name in extra:
            continue
        print(f'{name[:-4]} = "{v:.4g}MeV"' if name.endswith("_MeV") else f"{name} = {v:.4g}")
    if extra:
        print("[veto.leakage]")
        for name, v in extra.items():
            print(f'{name[:-4]} = "{v:.4g}MeV"' if name.endswith("_MeV")
                  else f"{name} = {v:.4g}")
    print(f"# chi2 = {values['chi2']:.1f} for {values['ndf']:.0f} degrees of freedom")
    setup = load_setup(SETUP)
    have = shipped_values(setup)
    report(table, setup if have else with_values(setup, values))
    if args.check:
        bad = [k for k in have
               if not (abs(have[k] - values[k]) <= absolute[k] if k in absolute
                       else math.isclose(have[k], values[k], rel_tol=0.15))]
        if bad or not have:
            print(f"shipped values differ from the fit: {bad or 'no table'} "
                  f"({have} vs {values})")
            return 1
        print("shipped values agree with the fit")
    return 0


def main() -> int:
    return fit_script(
        __doc__.splitlines()[0], table_path=TABLE, block="veto.backsplash", make=make_table,
        made_by="validation/fit_backsplash.py --runs", fit_table=fit, shipped_values=shipped,
        with_values=with_backsplash,
        absolute={"energy_exponent": 0.05, "transmission": 0.05, "shower_spread": 0.05})


if __name__ == "__main__":
    sys.exit(main())
