"""Dark-photon production off every e± of the electromagnetic shower, with forced emission.

Physics
-------
The number of A' produced per electron on target (EOT) in a thick active target is

    P = n_atoms ∫ dE [dL_-/dE + dL_+/dE](E) σ(E; E_A' > E_min),                       (1)

with dL_±/dE the differential track lengths of the shower e± (:mod:`na64.generate.shower`)
and σ(E; E_A' > E_min) = ∫_{E_min/E} dx dσ/dx the dark-bremsstrahlung cross section per atom
(:mod:`na64.physics.dark_brem`).  Eq. (1) (numbered in this module) is the thick-target
track-length formulation of the yield (Tsai, Rev. Mod. Phys. 46 (1974) 815, track-length
integrals of Sec. III; used for beam dumps by Marsicano et al., arXiv:1802.03794), applied as
in the NA64 signal simulation where every shower e± may emit (Gninenko et al.,
arXiv:1604.08432; Bondi et al. (DMG4), arXiv:2101.12192).

Forced emission and weights
---------------------------
A' emission is so rare (P ~ 1e-4 ε² per EOT) that the generator forces exactly one emission
per event, as the DMG4 biasing does in the limit of an infinite bias factor
(biasing of DMG4, arXiv:2101.12192, and of arXiv:2401.12573): each event is a simulated
cascade; along its charged tracks the emission probability w = Σ n σ(E) ℓ is accumulated and
one emission point is chosen with probability proportional to n σ(E) dℓ (weighted reservoir
sampling in one pass).  The event then carries the weight ``w / n_events`` (ε = 1), an
unbiased estimate of its share of P: the weights sum to P within the Monte Carlo error.  The
fractional energy x of the A' is drawn from a tabulated approximation q(x|E) of dσ/dx and the
weight multiplied by (n dσ/dx) / (rate q): the result is unbiased whatever the quality of the
table.  The A' polar angle is drawn from the shape of dσ/(dx dcosθ) at the sampled x.

A signal yield is then N_sig = EOT Σ_passed w ε² (:func:`signal_yield`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

import numpy as np
from hepunits import GeV

from ..cache import cached_arrays
from ..constants import M_E
from ..errors import InputError
from ..materials import Material, get_material
from . import _cascade
from .shower import SOFT_FRACTION, track_length_spectrum

__all__ = [
    "X_MAX_CHOICES",
    "DarkBremSignal",
    "EmissionCrossSection",
    "PhysicsCrossSection",
    "drop_empty",
    "signal_yield",
]

Method = Literal["etl", "iww", "ww"]
#: Upper limits of the A' energy fraction x = E_A'/E the generator accepts.
XMax = Literal["kinematic", "1-m/E"]
X_MAX_CHOICES: tuple[str, ...] = ("kinematic", "1-m/E")
_GL4_X, _GL4_W = np.polynomial.legendre.leggauss(4)
#: Layout version of the tables :class:`DarkBremSignal` keeps in :mod:`na64.cache`: bump it
#: when the arrays of ``_sigma_table`` or ``_tables`` change meaning.
_TABLE_SCHEMA = 2


class EmissionCrossSection(Protocol):
    """Differential A' emission cross section per target atom (hepunits, mm²) for one mass."""

    @property
    def mass(self) -> float:
        """The A' mass (MeV)."""
        ...

    def dsigma_dx(self, x: np.ndarray, energy: np.ndarray) -> np.ndarray:
        """dσ/dx at fractional A' energy ``x`` for an emitter of energy ``energy``."""
        ...

    def dsigma_dx_dcos(self, x: np.ndarray, cos_theta: np.ndarray, energy: np.ndarray) -> np.ndarray:
        """dσ/(dx dcosθ) of the A' polar angle θ."""
        ...


@dataclass(frozen=True)
class PhysicsCrossSection:
    """:class:`EmissionCrossSection` backed by :mod:`na64.physics.dark_brem` (ε = 1).

    e+ emit with the e- cross section: at the order α³ε² used there, dark bremsstrahlung
    off the nucleus is charge symmetric (as documented in :mod:`na64.physics.dark_brem`).
    """

    mass: float
    target: str
    method: Method = "etl"
    spin: str = "vector"
    lepton: str = "e-"

    def dsigma_dx(self, x: np.ndarray, energy: np.ndarray) -> np.ndarray:
        from ..physics import dark_brem as db  # imported lazily: a sibling module

        return np.asarray(db.dsigma_dx(x, self.mass, energy, lepton=self.lepton, target=self.target,
                                       coupling=1.0, method=self.method, spin=self.spin),
                          dtype=float)

    def dsigma_dx_dcos(self, x: np.ndarray, cos_theta: np.ndarray, energy: np.ndarray) -> np.ndarray:
        from ..physics import dark_brem as db

        return np.asarray(db.dsigma_dx_dcos(x, cos_theta, self.mass, energy, lepton=self.lepton,
                                            target=self.target, coupling=1.0, method=self.method,
                                            spin=self.spin), dtype=float)


def _x_nodes(x_lo: np.ndarray, x_hi: np.ndarray, n_lin: int, n_log: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights in x on [x_lo, x_hi] (rows), dense near x -> 1.

    The interval is split at x_s = max(x_lo, min(1/2, x_hi)): Gauss-Legendre in x below x_s
    and in v = ln(1 - x) above it, where dσ/dx of a heavy A' is peaked (arXiv:0906.0580, App. A).
    """
    gx, gw = np.polynomial.legendre.leggauss(n_lin)
    hx, hw = np.polynomial.legendre.leggauss(n_log)
    x_lo = x_lo[:, None]
    x_hi = x_hi[:, None]
    x_s = np.clip(np.minimum(0.5, x_hi), x_lo, None)
    half = 0.5 * (x_s - x_lo)
    x1 = x_lo + half * (gx + 1.0)
    w1 = half * gw
    v_lo = np.log1p(-x_s)
    v_hi = np.log1p(-x_hi)
    halfv = 0.5 * (v_lo - v_hi)
    v = v_hi + halfv * (hx + 1.0)
    x2 = -np.expm1(v)
    w2 = halfv * hw * np.exp(v)
    return np.concatenate([x1, x2], axis=1), np.concatenate([w1, w2], axis=1)


def _finite(value: float, field: str, *, positive: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a number, got {value!r}") from None
    if not math.isfinite(v) or (positive and v <= 0):
        raise InputError(field, f"must be a finite {'positive ' if positive else ''}number, got {value!r}")
    return v


class _ThickTargetGenerator:
    """What the forced-emission generators share: the target, the energy window of the
    followed e±, the track-length spectra of :meth:`_spectrum_batches` and the one-pass
    forced-emission cascade of :meth:`_forced_cascade`.

    Subclasses set ``energy``, ``threshold``, ``material``, ``beam``, ``thickness``,
    ``n_showers``, ``_rng`` and ``_spectra = None`` in their ``__init__``.
    """

    #: log bins of the track-length spectra (fine enough for the cross sections integrated)
    _SPECTRUM_BINS = 200
    energy: float
    threshold: float
    material: Material
    beam: str
    thickness: float | None
    n_showers: int
    _rng: np.random.Generator
    _spectra: list[Any] | None

    def _init_common(self, beam: str, thickness: float | None, n_showers: int,
                     rng: np.random.Generator | None) -> None:
        """Validate and set the beam particle, target thickness, showers and generator."""
        if beam not in ("e-", "e+"):
            raise InputError("beam", f"must be 'e-' or 'e+', got {beam!r}")
        self.beam = beam
        self.thickness = None if thickness is None else _finite(thickness, "thickness")
        if not 10 <= int(n_showers) <= 10_000_000:
            raise InputError("n_showers", f"must be in [10, 1e7], got {n_showers}")
        self.n_showers = int(n_showers)
        self._rng = rng if rng is not None else np.random.default_rng(np.random.SeedSequence(0))
        self._spectra = None

    def _init_emitter(self, mass: float, target: str | Material, beam: str,
                      energy: float | None, setup: Any, threshold: float | None,
                      thickness: float | None, n_showers: int,
                      rng: np.random.Generator | None, *, threshold_gap: float = 0.0) -> None:
        """Set the beam, target and energy window of a generator making a particle of
        ``mass``: ``setup`` (if given) supplies target, thickness, beam energy and particle;
        the energy defaults to 100 GeV and must exceed ``mass``; the threshold (default
        ``energy / 100``, at least ``mass``) must lie below ``energy - threshold_gap``."""
        if setup is not None:
            target, thickness, setup_energy, setup_beam = _target_from_setup(setup)
            energy = setup_energy if energy is None else energy
            beam = setup_beam if setup_beam in ("e-", "e+") else beam
        self.energy = 100 * GeV if energy is None else _finite(energy, "energy")
        self.mass = _finite(mass, "mass")
        if self.mass >= self.energy:
            raise InputError("mass", f"must be below the beam energy {self.energy / GeV:g} GeV, "
                                     f"got {self.mass / GeV:g} GeV")
        self._init_common(beam, thickness, n_showers, rng)
        self.material = get_material(target, field="target")
        self.threshold = self.energy / 100 if threshold is None else _finite(threshold, "threshold")
        self.threshold = max(self.threshold, self.mass)
        if self.threshold >= self.energy - threshold_gap:
            raise InputError("threshold", f"must be below the beam energy {self.energy / GeV:g} GeV, "
                                          f"got {self.threshold / GeV:g} GeV")

    def _check_e_min(self, e_min: float | None) -> float:
        if e_min is None:
            return self.threshold
        e = _finite(e_min, "e_min")
        if not self.threshold <= e < self.energy:
            raise InputError("e_min", f"must be in [threshold = {self.threshold / GeV:g} GeV, "
                                      f"{self.energy / GeV:g} GeV), got {e / GeV:g} GeV")
        return e

    def _check_sample(self, n: int, eps: float, e_min: float | None) -> tuple[int, float, float]:
        """Validated (n, eps, e_min) of a ``sample`` call."""
        if not 1 <= int(n) <= 100_000_000:
            raise InputError("n", f"must be in [1, 1e8], got {n}")
        return int(n), _finite(eps, "eps"), self._check_e_min(e_min)

    def _spectrum_batches(self) -> list[Any]:
        """10 independent track-length spectra (their spread is the MC error), cached."""
        if self._spectra is None:
            per = max(self.n_showers // 10, 1)
            self._spectra = [
                track_length_spectrum(self.energy, self.material, primary=self.beam,  # type: ignore[arg-type]
                                      e_min=self.threshold, thickness=self.thickness,
                                      n_showers=per, n_bins=self._SPECTRUM_BINS, depth_bins=1,
                                      rng=self._rng)
                for _ in range(10)
            ]
        return self._spectra

    def _forced_cascade(self, n: int, e_min: float, rates: np.ndarray, log_grid: np.ndarray,
                        rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """``n`` cascades with one emission each, drawn ∝ rate × path (``rates``: (2, k)
        per X0 for e- and e+ on the uniform ln-E grid ``log_grid``).

        Returns (w_tot, e_emit, z_emit in X0, rate_emit, kind_emit) of
        :func:`na64.generate._cascade.run_cascade`.
        """
        t_max = 1e12 if self.thickness is None else self.thickness / self.material.X0
        code = _cascade.ELECTRON if self.beam == "e-" else _cascade.POSITRON
        edges = np.array([e_min, self.energy * (1 + 1e-12)])
        out = _cascade.run_cascade(
            n, self.energy, code, self.material.critical_energy, SOFT_FRACTION * e_min, e_min,
            t_max, edges, 1.0, 1, rates, float(log_grid[0]), float(log_grid[1] - log_grid[0]),
            False, True, rng,
        )
        return out[4], out[6], out[7], out[8], out[9]


class DarkBremSignal(_ThickTargetGenerator):
    """Weighted A' signal events from every e± of the shower in a thick target.

    Parameters
    ----------
    mass
        A' mass (hepunits); must be below the beam energy.
    target
        Target material of the active target (name or :class:`~na64.materials.Material`).
    beam
        ``"e-"`` or ``"e+"``.
    energy
        Beam energy (default: the setup's, else 100 GeV).
    threshold
        Lowest A' energy generated (default ``energy / 100``); e± below it cannot emit such
        an A' and are not followed.
    method, spin
        Passed to :mod:`na64.physics.dark_brem` (``"etl"``, ``"iww"``, ``"ww"``; vector ...).
    setup
        A :class:`na64.detector.Setup` or the name of a shipped one: its active-target
        calorimeter defines target and thickness, its beam the energy (see
        :func:`_target_from_setup`).
    thickness
        Target thickness (mm); ``None`` (default) for a semi-infinite target.
    n_showers
        Cascades simulated for the track-length spectrum of :meth:`production_probability`.
    cross_section
        Alternative :class:`EmissionCrossSection` (default :class:`PhysicsCrossSection`).
    rng
        Generator for the track-length showers of :meth:`production_probability` (default:
        one seeded from ``SeedSequence(0)``, so results are reproducible).
    x_max
        Upper limit of x = E_A'/E.  ``"kinematic"`` (default, the physics): the kinematic
        end point x < 1 - m_e/E (the recoil lepton at rest).
        ``"1-m/E"``: only x <= 1 - max(m_A', m_e)/E, i.e. the recoil electron keeps at
        least the A' mass in energy.  This is the limit ``Xmax = 1 - Xmin`` (Xmin =
        m_A'/E) that DMG4 (PKMuon/DMG4) still carries, commented as incorrect, in its
        heavy-A' angular sampling without sampler (``DarkMatter::SimulateEmissionWithAngle``),
        and whose removal its HISTORY records in 2021 ("Fixed incorrect Xmax in differential
        CS", Beta 2; "All simulations are now made with correct Xmax", Beta 3).  The
        emissions above it are not counted (production and weights both exclude them).  It
        is *not* the physics: it exists to reproduce results made with that range (see
        ``validation/README.md``).
    """

    def __init__(
        self,
        mass: float,
        target: str | Material = "Pb",
        beam: str = "e-",
        energy: float | None = None,
        threshold: float | None = None,
        method: str = "etl",
        setup: Any = None,
        *,
        spin: str = "vector",
        thickness: float | None = None,
        n_showers: int = 20_000,
        cross_section: EmissionCrossSection | None = None,
        rng: np.random.Generator | None = None,
        x_max: XMax | str = "kinematic",
    ) -> None:
        if x_max not in X_MAX_CHOICES:
            raise InputError("x_max", f"must be one of {', '.join(X_MAX_CHOICES)}, got {x_max!r}")
        self.x_max = cast(XMax, x_max)
        self._init_emitter(mass, target, beam, energy, setup, threshold, thickness, n_showers,
                           rng, threshold_gap=M_E)
        if self.x_max == "1-m/E" and self.threshold >= self.energy - self.mass:
            raise InputError("x_max", f"'1-m/E' leaves no A' energy above the threshold "
                                      f"{self.threshold / GeV:g} GeV: it needs E_A' <= "
                                      f"{(self.energy - self.mass) / GeV:g} GeV")
        if method not in ("etl", "iww", "ww"):
            raise InputError("method", f"must be 'etl', 'iww' or 'ww', got {method!r}")
        self.method = cast(Method, method)
        self.xs: EmissionCrossSection = (
            cross_section if cross_section is not None
            else PhysicsCrossSection(self.mass, self.material.name, method=self.method, spin=spin))
        #: total number of atoms per mm³ (dark_brem returns σ per atom of the mixture)
        self.n_atoms = float(sum(n for _, _, n in self.material.atoms_per_volume()))
        self._sigma_cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._table_cache: dict[float, dict[str, np.ndarray]] = {}

    # ------------------------------------------------------------------ cross sections
    def _x_range(self, energy: np.ndarray, e_min: float) -> tuple[np.ndarray, np.ndarray]:
        x_lo = np.maximum(e_min, self.mass) / energy
        recoil_min = M_E if self.x_max == "kinematic" else max(self.mass, M_E)
        x_hi = 1.0 - recoil_min / energy
        return x_lo, np.maximum(x_hi, x_lo)

    def sigma_above(self, energy: np.ndarray, e_min: float) -> np.ndarray:
        """σ(E; E_A' > e_min) per atom (mm²) by Gauss-Legendre quadrature of dσ/dx."""
        e = np.atleast_1d(np.asarray(energy, dtype=float))
        x_lo, x_hi = self._x_range(e, e_min)
        ok = x_hi > x_lo
        out = np.zeros_like(e)
        if np.any(ok):
            x, w = _x_nodes(x_lo[ok], x_hi[ok], 24, 48)
            f = self.xs.dsigma_dx(x, np.broadcast_to(e[ok][:, None], x.shape))
            out[ok] = np.sum(np.where(np.isfinite(f), f, 0.0) * w, axis=1)
        return np.clip(out, 0.0, None)

    def _sigma_table(self, e_min: float) -> tuple[np.ndarray, np.ndarray]:
        """σ(E; E_A' > e_min) on a log grid from e_min to the beam energy (cached in memory
        and on disk)."""
        key = float(e_min)
        if key not in self._sigma_cache:
            def compute() -> dict[str, np.ndarray]:
                grid = np.geomspace(e_min, self.energy * (1 + 1e-9), 65)
                return {"grid": grid, "sigma": self.sigma_above(grid, e_min)}

            t = self._disk_cached("dark-brem-sigma", key, compute)
            self._sigma_cache[key] = (t["grid"], t["sigma"])
        return self._sigma_cache[key]

    def _proposal_sigma(self, e_min: float) -> tuple[np.ndarray, np.ndarray]:
        """σ(E; E_A' > e_min) of the sampling density: the trapezoid integral of the
        tabulated dσ/dx of :meth:`_tables` (floor included) on its x grid, per energy node.

        It only chooses where the forced emission happens: the event weight divides the
        exact dσ/dx by this σ (through the cascade's ``rate_emit``) and by q(x), so the
        weights stay unbiased for any positive σ; its accuracy sets the weights' spread,
        not their mean.  It costs no cross-section evaluation beyond the sampling tables
        (the quadrature table :meth:`_sigma_table` is used by
        :meth:`production_probability` only).
        """
        t = self._tables(e_min)
        xg = self._x_grid(t["e_x"], e_min)
        fx = t["fx"]
        sig = np.sum(0.5 * (fx[:, 1:] + fx[:, :-1]) * np.diff(xg, axis=1), axis=1)
        return t["e_x"], np.clip(sig, 0.0, None)

    def _table_key(self, e_min: float) -> dict[str, Any] | None:
        """Everything the tables of ``e_min`` depend on, for :mod:`na64.cache`; ``None`` for
        a cross section other than :class:`PhysicsCrossSection` (not described by a key).

        The tables depend on the mass, beam energy, e_min, x_max and the cross section
        (method, spin, lepton and the target it looks up by name, whose definition is part
        of the key); not on the beam particle, threshold or thickness, which enter only the
        showers.  Code and library versions are added by :func:`na64.cache.cached_arrays`.
        """
        xs = self.xs
        if type(xs) is not PhysicsCrossSection:
            return None
        return {
            "mass": self.mass,
            "energy": self.energy,
            "e_min": float(e_min),
            "x_max": self.x_max,
            "method": xs.method,
            "spin": xs.spin,
            "lepton": xs.lepton,
            "cross_section_mass": xs.mass,
            "target": dataclasses.asdict(get_material(xs.target, field="target")),
        }

    def _disk_cached(self, kind: str, e_min: float,
                     compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """``compute()`` through the on-disk cache :func:`na64.cache.cached_arrays`."""
        key = self._table_key(e_min)
        if key is None:
            return compute()
        return cached_arrays(kind, key, compute, schema=_TABLE_SCHEMA)

    def _event_dsigma_dx(self, x: np.ndarray, energy: np.ndarray, e_min: float) -> np.ndarray:
        """dσ/dx at the sampled (x, E) of the events (the exact value in the weights).

        The ETL integral per event is the costliest step of a signal sample, and a job run
        again with the same seed (another exposure, other cuts) samples the same points:
        the values are kept in :mod:`na64.cache` under the SHA-256 of the exact input
        arrays and the cross-section key, and read back bit for bit.
        """
        xs = np.ascontiguousarray(x, dtype=float)
        es = np.ascontiguousarray(energy, dtype=float)
        key = self._table_key(e_min)
        if key is None or xs.size == 0:
            return self.xs.dsigma_dx(xs, es)
        digest = hashlib.sha256(xs.tobytes() + es.tobytes()).hexdigest()
        return cached_arrays(
            "dark-brem-event-dsigma", {**key, "n": int(xs.size), "points_sha256": digest},
            lambda: {"f": self.xs.dsigma_dx(xs, es)}, schema=_TABLE_SCHEMA)["f"]

    # ------------------------------------------------------------------ quadrature
    def production_probability(self, eps: float = 1.0, e_min: float | None = None, *,
                               primary_only: bool = False) -> tuple[float, float]:
        """A' produced per EOT with E_A' > ``e_min``: Eq. (1) by quadrature.

        The track-length spectrum is piecewise constant in 200 log bins; σ(E) is integrated
        inside each bin with 4-point Gauss-Legendre on a linear-in-log E interpolation of a
        65-point table.  The uncertainty is the Monte Carlo error of the track lengths (from
        10 independent batches of showers).

        Parameters
        ----------
        eps
            Kinetic mixing ε (the yield scales as ε²).
        e_min
            Lowest A' energy counted (default: the generator's threshold).
        primary_only
            Count only emissions by the beam particle itself (no shower secondaries).

        Returns
        -------
        (value, uncertainty)
        """
        eps = _finite(eps, "eps")
        e_min = self._check_e_min(e_min)
        grid, sig = self._sigma_table(e_min)
        values = []
        for s in self._spectrum_batches():
            lo, hi = s.edges[:-1], s.edges[1:]
            half = 0.5 * (np.log(hi) - np.log(lo))
            le = np.log(lo)[:, None] + half[:, None] * (_GL4_X[None, :] + 1.0)
            sig_nodes = np.interp(le, np.log(grid), sig, left=0.0, right=0.0)
            # ∫ σ dE over each bin, in ln E: dE = E dlnE
            sig_int = np.sum(sig_nodes * np.exp(le) * _GL4_W[None, :], axis=1) * half
            dl = s.primary if primary_only else s.charged
            values.append(self.n_atoms * float(np.sum(dl * sig_int)))
        arr = np.asarray(values)
        scale = eps**2
        return float(arr.mean() * scale), float(arr.std(ddof=1) / math.sqrt(arr.size) * scale)

    # ------------------------------------------------------------------ sampling
    def sample(self, n: int, rng: np.random.Generator, *, eps: float = 1.0,
               e_min: float | None = None) -> dict[str, np.ndarray]:
        """Generate ``n`` weighted events, each with exactly one A' (E_A' > ``e_min``).

        Returns
        -------
        dict of numpy arrays, one entry per event:
            ``e_emitter`` (MeV) energy of the emitting e± at the emission point,
            ``emitter_pdg`` (11 or -11), ``from_primary`` (bool, the beam particle itself),
            ``z`` (mm) depth of the emission in the target, ``x`` = E_A'/E_emitter,
            ``e_aprime`` (MeV), ``theta``, ``phi`` (rad) of the A' w.r.t. the beam axis,
            ``e_visible`` = E0 - E_A' (MeV), ``weight`` (A' per EOT carried by the event:
            the weights sum to :meth:`production_probability`).
        """
        n, eps, e_min = self._check_sample(n, eps, e_min)
        grid, sig = self._proposal_sigma(e_min)
        lg = np.log(grid)
        rate = self.n_atoms * sig * self.material.X0  # per X0
        w_tot, e_emit, z_emit, rate_emit, kind = self._forced_cascade(
            n, e_min, np.vstack([rate, rate]), lg, rng)
        # an event whose tracks cannot emit (possible only if σ vanishes) keeps weight 0
        e_emit = np.where(w_tot > 0, e_emit, self.energy)
        x, q = self._sample_x(e_emit, e_min, rng)
        f = self._event_dsigma_dx(x, e_emit, e_min)
        f = np.where(np.isfinite(f), np.clip(f, 0.0, None), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where((rate_emit > 0) & (q > 0),
                              self.n_atoms * self.material.X0 * f / (rate_emit * q), 0.0)
        weight = w_tot * factor / n * eps**2
        theta = self._sample_theta(x, e_emit, e_min, rng)
        e_ap = x * e_emit
        return {
            "e_emitter": e_emit,
            "emitter_pdg": np.where(kind % 2 == 0, 11, -11),
            "from_primary": kind >= 2,
            "z": z_emit * self.material.X0,
            "x": x,
            "e_aprime": e_ap,
            "theta": theta,
            "phi": rng.uniform(0.0, 2.0 * np.pi, n),
            "e_visible": self.energy - e_ap,
            "weight": np.where(np.isfinite(weight), weight, 0.0),
        }

    def to_particles(self, events: Mapping[str, np.ndarray], *,
                     displaced: bool = False) -> dict[str, np.ndarray]:
        """Incoming-particle columns for :func:`na64.detector.response` (invisible mode).

        Each event is the beam particle (energy E0, on axis) whose shower deposits
        E0 - E_A': ``e_invisible`` = E_A'.  The visible shower starts at the target front
        (``z_start = 0``): the e± that emits is part of a shower that began there.  With
        ``displaced=True`` an emission by the beam particle itself sets ``z_start`` to the
        emission depth (the particle is then treated as a track up to that point).
        """
        e_ap = np.asarray(events["e_aprime"], dtype=float)
        n = e_ap.size
        z_start = np.zeros(n)
        if displaced:
            z = np.asarray(events["z"], dtype=float)
            prim = np.asarray(events["from_primary"], dtype=bool)
            limit = np.inf if self.thickness is None else self.thickness
            z_start = np.where(prim, np.clip(z, 0.0, limit), 0.0)
        return {
            "pdg": np.full(n, 11 if self.beam == "e-" else -11, dtype=np.int64),
            "energy": np.full(n, self.energy),
            "x": np.zeros(n),
            "y": np.zeros(n),
            "tx": np.zeros(n),
            "ty": np.zeros(n),
            "z_start": z_start,
            "e_invisible": np.clip(e_ap, 0.0, self.energy),
        }

    def _x_grid(self, energy: np.ndarray, e_min: float, n_nodes: int = 96) -> np.ndarray:
        """Per-row x grid on [x_lo, x_hi]: linear up to 1/2, then log-spaced in 1 - x."""
        x_lo, x_hi = self._x_range(energy, e_min)
        half = n_nodes // 3
        x_s = np.clip(np.minimum(0.5, x_hi), x_lo, None)
        lin = x_lo[:, None] + (x_s - x_lo)[:, None] * np.linspace(0.0, 1.0, half)[None, :]
        ratio = np.where(x_s < 1.0, (1.0 - x_hi) / np.where(x_s < 1.0, 1.0 - x_s, 1.0), 1.0)
        logpart = 1.0 - (1.0 - x_s)[:, None] * ratio[:, None] ** np.linspace(
            0.0, 1.0, n_nodes - half + 1)[None, 1:]
        return np.concatenate([lin, logpart], axis=1)

    def _tables(self, e_min: float) -> dict[str, np.ndarray]:
        """Sampling tables (cached per e_min in memory and on disk): dσ/dx on x grids and
        θ CDFs on (E, x) nodes."""
        key = float(e_min)
        if key not in self._table_cache:
            self._table_cache[key] = self._disk_cached(
                "dark-brem-tables", key, lambda: self._compute_tables(key))
        return self._table_cache[key]

    def _compute_tables(self, e_min: float) -> dict[str, np.ndarray]:
        """The arrays of :meth:`_tables`."""
        # uniform in ln E, the last node just above E0 so that the beam energy is inside
        # the grid of the cascade's rate interpolation (:meth:`_proposal_sigma`)
        e_grid = np.geomspace(e_min, self.energy * (1 + 1e-9), 33)
        xg = self._x_grid(e_grid, e_min)
        fx = self.xs.dsigma_dx(xg, np.broadcast_to(e_grid[:, None], xg.shape))
        fx = np.where(np.isfinite(fx), np.clip(fx, 0.0, None), 0.0)
        # a floor keeps q(x) > 0 wherever dσ/dx may be > 0 (required for unbiased weights)
        fx = fx + 1e-4 * np.max(fx, axis=1, keepdims=True) + 1e-300
        # θ tables on a coarser (E, x) lattice, θ in units of the characteristic angle
        e_t = np.geomspace(e_min, self.energy, 12)
        x_t = self._x_grid(e_t, e_min, 24)
        scaled = np.geomspace(1e-3, 1e2, 48)
        th_c = self._theta_c(x_t, e_t[:, None])
        theta = np.minimum(th_c[..., None] * scaled, np.pi)
        shape = theta.shape
        f = self.xs.dsigma_dx_dcos(np.broadcast_to(x_t[..., None], shape), np.cos(theta),
                                   np.broadcast_to(e_t[:, None, None], shape))
        f = np.where(np.isfinite(f), np.clip(f, 0.0, None), 0.0) * np.sin(theta)  # dσ/dθ
        area = 0.5 * (f[..., 1:] + f[..., :-1]) * np.diff(theta, axis=-1)
        cdf = np.cumsum(area, axis=-1)
        total = cdf[..., -1:]
        cdf = np.where(total > 0, cdf / np.where(total > 0, total, 1.0), np.linspace(0, 1, 48)[1:])
        return {"e_x": e_grid, "fx": fx, "e_t": e_t, "x_t": x_t, "scaled": scaled, "cdf_t": cdf}

    def _theta_c(self, x: np.ndarray, energy: np.ndarray) -> np.ndarray:
        # characteristic angle of U = E²θ²x + m²(1-x)/x + m_e² x (WW propagator factor,
        # arXiv:0906.0580 App. A)
        xx = np.clip(x, 1e-12, 1.0)
        return np.sqrt((self.mass**2 * (1 - xx) / xx + M_E**2 * xx) / (energy**2 * xx))

    def _sample_x(self, energy: np.ndarray, e_min: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw x from a piecewise-linear q(x|E); return x and the density q(x).

        q uses the tabulated dσ/dx of the nearest tabulated energy, mapped node by node onto
        the event's own x range; q is the exact density of the draw, so weights
        ``dσ/dx / q`` keep the estimate unbiased.
        """
        t = self._tables(e_min)
        le = np.log(t["e_x"])
        row = np.clip(np.rint((np.log(energy) - le[0]) / (le[1] - le[0])), 0, le.size - 1)
        fg = t["fx"][row.astype(np.int64)]
        xg = self._x_grid(energy, e_min)
        dx = np.diff(xg, axis=1)
        area = 0.5 * (fg[:, 1:] + fg[:, :-1]) * dx
        total = area.sum(axis=1)
        good = total > 0
        cdf = np.cumsum(area, axis=1) / np.where(good, total, 1.0)[:, None]
        u = rng.random(energy.size)
        idx = np.minimum((cdf < u[:, None]).sum(axis=1), dx.shape[1] - 1)
        rows = np.arange(energy.size)
        f0, f1, w = fg[rows, idx], fg[rows, idx + 1], dx[rows, idx]
        # inside the interval, sample the linear density f0 + (f1 - f0) s, s in [0, 1]
        v = rng.random(energy.size)
        a = f1 - f0
        lin = np.abs(a) > 1e-9 * np.maximum(f0, f1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_ = np.where(lin, (-f0 + np.sqrt(np.clip(f0**2 + a * v * (f0 + f1), 0.0, None)))
                          / np.where(lin, a, 1.0), v)
        s_ = np.clip(np.nan_to_num(s_, nan=0.5), 0.0, 1.0)
        x = xg[rows, idx] + s_ * w
        q = np.where(good, (f0 + a * s_) / np.where(good, total, 1.0), 0.0)
        return x, q

    def _sample_theta(self, x: np.ndarray, energy: np.ndarray, e_min: float,
                      rng: np.random.Generator) -> np.ndarray:
        """Draw the A' polar angle from the tabulated shape of dσ/(dx dcosθ).

        The shape in θ/θ_c is taken at the nearest tabulated (E, x) node (12 energies x 24
        x-nodes); the angle is then rescaled by the event's own θ_c(x, E).
        """
        t = self._tables(e_min)
        le = np.log(t["e_t"])
        ie = np.clip(np.rint((np.log(energy) - le[0]) / (le[1] - le[0])), 0, le.size - 1)
        ie = ie.astype(np.int64)
        xrow = t["x_t"][ie]
        ix = np.clip(np.abs(xrow - x[:, None]).argmin(axis=1), 0, xrow.shape[1] - 1)
        cdf = t["cdf_t"][ie, ix]
        u = rng.random(x.size)
        k = np.minimum((cdf < u[:, None]).sum(axis=1), cdf.shape[1] - 1)
        ls = np.log(t["scaled"])
        r = rng.random(x.size)
        scaled = np.exp(ls[k] + r * (ls[k + 1] - ls[k]))
        return np.minimum(scaled * self._theta_c(x, energy), np.pi)


def _resolve_setup(setup: Any) -> Any:
    """A :class:`na64.detector.Setup` from itself or a shipped name, checked to have an
    active-target sampling calorimeter."""
    if isinstance(setup, str):
        from ..detector import load_setup  # sibling package, imported lazily

        setup = load_setup(setup)
    cal = getattr(setup, "target", None)
    if cal is None or not hasattr(cal, "absorber_material"):
        raise InputError("setup", "must be a na64.detector.Setup (or the name of a shipped one)")
    return setup


def _target_from_setup(setup: Any) -> tuple[Material, float, float, str]:
    """Effective target of a detector setup: its first (active-target) calorimeter.

    ``setup`` is a :class:`na64.detector.Setup` or the name of a shipped one.  The sampling
    calorimeter is replaced by a homogeneous medium with the layer-averaged X0 and E_c
    (cascade in units of X0) and the absorber's atoms diluted by its volume fraction; the
    A' emission off the scintillator (Z² ≈ 36 vs 6724 for Pb) is neglected.

    Returns
    -------
    (material, thickness, beam energy, beam particle)
    """
    setup = _resolve_setup(setup)
    cal = setup.target
    absorber = cal.absorber_material
    fraction = cal.absorber_thickness / cal.layer_thickness
    material = dataclasses.replace(absorber, density=absorber.density * fraction, X0=cal.X0,
                                   critical_energy=cal.critical_energy,
                                   description=f"{absorber.name} sampling calorimeter")
    return material, float(cal.length), float(setup.beam_energy), str(setup.beam_particle)


def signal_yield(eot: float, weights: np.ndarray, passed: np.ndarray | None = None, *,
                 efficiency: float = 1.0) -> tuple[float, float]:
    """Expected number of signal events N = EOT × Σ_passed w × efficiency.

    Parameters
    ----------
    eot
        Electrons on target.
    weights
        Event weights (A' per EOT, e.g. ``DarkBremSignal.sample(...)["weight"]``).
    passed
        Boolean selection mask (default: all events).
    efficiency
        Extra overall efficiency factor in [0, 1] (e.g. trigger, DAQ dead time).

    Returns
    -------
    (value, uncertainty)
        The uncertainty is the Monte Carlo one, EOT × efficiency × sqrt(Σ_passed w²).
    """
    eot = _finite(eot, "eot")
    if not (math.isfinite(efficiency) and 0.0 <= efficiency <= 1.0):
        raise InputError("efficiency", f"must be in [0, 1], got {efficiency!r}")
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or not np.all(np.isfinite(w)):
        raise InputError("weights", "must be a 1-d array of finite numbers")
    if passed is not None:
        mask = np.asarray(passed, dtype=bool)
        if mask.shape != w.shape:
            raise InputError("passed", f"must have the shape of weights {w.shape}, got {mask.shape}")
        w = w[mask]
    scale = eot * efficiency
    return float(scale * w.sum()), float(scale * math.sqrt(float(np.sum(w * w))))


def drop_empty(truth: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """At most ``n`` events of ``truth`` with weight > 0, the weights kept unbiased.

    ``truth`` comes from a forced-emission ``sample`` of ``N`` cascades (weights w_i / N).
    If more than ``n`` have weight > 0, the sample is cut after the cascade that gave the
    n-th, say cascade j, and the weights are rescaled by N / (j + 1): the estimate then
    refers to the first j + 1 cascades.
    """
    w = np.asarray(truth["weight"], dtype=float)
    n_casc = w.size
    nonzero = np.flatnonzero(w > 0)
    if nonzero.size > n:
        keep = nonzero[:n]
        scale = n_casc / (int(nonzero[n - 1]) + 1)
    else:
        keep, scale = nonzero, 1.0
    out = {k: np.asarray(v)[keep] for k, v in truth.items()}
    out["weight"] = out["weight"] * scale
    return out
