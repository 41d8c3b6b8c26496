"""Differential track lengths of e-, e+ and photons in an electromagnetic cascade.

The track-length spectrum ``dL/dE`` (mm of e± path per MeV, per incident particle) is what
a process with a cross section σ(E) needs to be integrated against to give the number of
interactions in a thick target: ``N = n_atoms ∫ dE (dL/dE) σ(E)``.  For the dark photon in
NA64 this includes every e± of the shower in the active target, not only the beam
electron (Gninenko et al., arXiv:1604.08432; DMG4, Bondi et al., arXiv:2101.12192).  The
photon track length ``dL_γ/dk`` (the free paths of the shower photons, scored by energy)
is the same for a photon-induced process such as the Primakoff conversion γN → aN
(:mod:`na64.generate.primakoff`).

Method
------
A one-dimensional cascade Monte Carlo (:mod:`na64.generate._cascade`, compiled with numba)
in the complete-screening limit of Rossi's Approximation B: Bethe-Heitler bremsstrahlung
and pair-production spectra of PDG 2024 eqs. 34.29 and 34.31 (Tsai, Rev. Mod. Phys. 46
(1974) 815, eqs. 3.83-3.84), constant ionization loss E_c per X0.  A Monte Carlo was chosen
over the analytic Approximation-B solutions because (i) it gives e- and e+ separately, the
primary's own contribution and the depth dependence without further approximations, (ii) it
gives the event-by-event fluctuations that a forced-emission generator needs
(:mod:`na64.generate.dark_brem`), and (iii) its limits are checked against the analytic
results in the tests (Rossi's 0.437 E0/E integral e± track length and 0.572 E0/k
integral photon track length, T = E0 X0/E_c).

In units of X0 and E/E_c the cascade is universal; a material enters only through X0 and E_c.
Known limits: no Compton scattering or photo-effect (low-energy photons convert with the
asymptotic rate 7/9 per X0), no positron annihilation, no LPM suppression; accurate for
E >> E_c, i.e. for the energies that matter for dark-photon emission at NA64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InputError
from ..materials import Material, get_material
from . import _cascade

__all__ = ["Primary", "TrackLengthSpectrum", "track_length_spectrum"]

Primary = Literal["e-", "e+", "gamma"]

_PRIMARY_CODE = {"e-": _cascade.ELECTRON, "e+": _cascade.POSITRON, "gamma": _cascade.PHOTON}
#: Soft-photon cut, as a fraction of the tracking cut: photons below it are a continuous loss.
SOFT_FRACTION = 1e-3
#: Largest number of showers one call may simulate.
MAX_SHOWERS = 10_000_000


@dataclass(frozen=True)
class TrackLengthSpectrum:
    """Differential track lengths of e-, e+ and photons in a cascade (per incident particle).

    Attributes
    ----------
    edges
        Energy bin edges (MeV), log-spaced, ``(nb + 1,)``.
    electron, positron, primary
        ``dL/dE`` (mm/MeV) of all e-, all e+ and of the incident particle alone, ``(nb,)``.
    electron_err, positron_err, primary_err
        Monte Carlo standard errors of the above (from the shower-to-shower spread).
    depth_edges
        Depth bin edges (mm), ``(nz + 1,)``.
    electron_depth, positron_depth
        Track length (mm) per energy bin and depth bin, ``(nb, nz)``, per incident particle.
    photon, photon_err
        ``dL_γ/dk`` (mm/MeV) of all photons above ``e_min`` (the incident one included for
        a photon primary) and its Monte Carlo standard error, ``(nb,)``: each photon adds
        its free path, from its creation to its conversion or the back face of the target.
    photon_depth
        Photon track length (mm) per energy bin and depth bin, ``(nb, nz)``.
    deposited, escaped
        Per shower: energy (MeV) absorbed in the target (ionization, soft photons, particles
        below the cut) and energy leaving its back face; they add up to the incident energy.
    energy, material, primary_kind, n_showers, ionization
        What was simulated.
    """

    edges: np.ndarray
    electron: np.ndarray
    positron: np.ndarray
    primary: np.ndarray
    electron_err: np.ndarray
    positron_err: np.ndarray
    primary_err: np.ndarray
    depth_edges: np.ndarray
    electron_depth: np.ndarray
    positron_depth: np.ndarray
    deposited: np.ndarray
    escaped: np.ndarray
    energy: float
    material: Material
    primary_kind: str
    n_showers: int
    ionization: bool
    photon: np.ndarray | None = None
    photon_err: np.ndarray | None = None
    photon_depth: np.ndarray | None = None

    @property
    def centers(self) -> np.ndarray:
        """Geometric bin centres (MeV)."""
        return np.sqrt(self.edges[1:] * self.edges[:-1])

    @property
    def widths(self) -> np.ndarray:
        """Bin widths (MeV)."""
        return np.diff(self.edges)

    @property
    def charged(self) -> np.ndarray:
        """``dL/dE`` of e- plus e+ (mm/MeV)."""
        return self.electron + self.positron

    def integral(self, e_min: float = 0.0, which: str = "charged") -> float:
        """Track length (mm) with energy above ``e_min`` (bins partly above it count pro rata).

        ``which`` is one of ``"charged"``, ``"electron"``, ``"positron"``, ``"primary"``,
        ``"photon"``.
        """
        table = {
            "charged": self.charged,
            "electron": self.electron,
            "positron": self.positron,
            "primary": self.primary,
        }
        if self.photon is not None:
            table["photon"] = self.photon
        if which not in table:
            raise InputError("which", f"must be one of {sorted(table)}, got {which!r}")
        lo = np.clip(self.edges[:-1], e_min, None)
        frac = np.clip((self.edges[1:] - lo) / self.widths, 0.0, 1.0)
        return float(np.sum(table[which] * self.widths * frac))


def _check_positive(value: float, field: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise InputError(field, f"must be a finite positive number, got {value!r}")
    return float(value)


def _validate_common(
    energy: float, material: str | Material, primary: str, e_min: float, thickness: float | None
) -> tuple[Material, int, float, float]:
    mat = get_material(material, field="material")
    energy = _check_positive(energy, "energy")
    if primary not in _PRIMARY_CODE:
        raise InputError("primary", f"must be one of 'e-', 'e+', 'gamma', got {primary!r}")
    e_min = _check_positive(e_min, "e_min")
    if e_min >= energy:
        raise InputError("e_min", f"must be in (0, energy = {energy} MeV), got {e_min} MeV")
    if thickness is None:
        t_max = 1e12
    else:
        t_max = _check_positive(thickness, "thickness") / mat.X0
    return mat, _PRIMARY_CODE[primary], e_min, t_max


def track_length_spectrum(
    energy: float,
    material: str | Material = "Pb",
    *,
    primary: Primary = "e-",
    e_min: float | None = None,
    thickness: float | None = None,
    n_showers: int = 1000,
    n_bins: int = 100,
    depth_bins: int = 50,
    depth_max: float | None = None,
    ionization: bool = True,
    rng: np.random.Generator,
) -> TrackLengthSpectrum:
    """Simulate cascades and return the differential track lengths of e-, e+ and photons.

    Parameters
    ----------
    energy
        Energy of the incident particle (hepunits, e.g. ``100 * GeV``).
    material
        Target material (name or :class:`na64.materials.Material`).
    primary
        ``"e-"``, ``"e+"`` or ``"gamma"``.
    e_min
        Lowest energy followed and scored (default ``energy / 1000``).  Particles below it
        are stopped; photons below it are absorbed.
    thickness
        Target thickness (mm); ``None`` for a semi-infinite target.
    n_showers
        Number of simulated cascades (1 to 10⁷).
    n_bins, depth_bins, depth_max
        Log-spaced energy bins between ``e_min`` and ``energy``; linear depth bins up to
        ``depth_max`` (default 40 X0, or the thickness).
    ionization
        ``False`` switches ionization off (Rossi's Approximation A).
    rng
        Random generator.

    Returns
    -------
    TrackLengthSpectrum
    """
    e_min = energy / 1000.0 if e_min is None else e_min
    mat, code, e_min, t_max = _validate_common(energy, material, primary, e_min, thickness)
    if not 1 <= int(n_showers) <= MAX_SHOWERS:
        raise InputError("n_showers", f"must be in [1, {MAX_SHOWERS}], got {n_showers}")
    if not 1 <= int(n_bins) <= 10_000:
        raise InputError("n_bins", f"must be in [1, 10000], got {n_bins}")
    if not 1 <= int(depth_bins) <= 10_000:
        raise InputError("depth_bins", f"must be in [1, 10000], got {depth_bins}")
    if depth_max is None:
        z_max = min(40.0, t_max)
    else:
        z_max = min(_check_positive(depth_max, "depth_max") / mat.X0, t_max)
    eps = mat.critical_energy if ionization else 0.0
    edges = np.geomspace(e_min, energy, int(n_bins) + 1)
    edges[-1] = energy * (1.0 + 1e-12)  # the primary starts exactly at `energy`
    hist_sum, hist_sq, hist_z, balance, *_ = _cascade.run_cascade(
        int(n_showers), float(energy), code, float(eps), SOFT_FRACTION * e_min, float(e_min),
        float(t_max), edges, z_max / depth_bins, int(depth_bins), np.zeros((2, 2)), 0.0, 1.0,
        True, False, rng,
    )
    n = float(n_showers)
    widths = np.diff(edges)
    mean = hist_sum / n
    var = np.clip(hist_sq / n - mean**2, 0.0, None) / max(n - 1.0, 1.0)
    scale = mat.X0 / widths
    dl = mean * scale
    err = np.sqrt(var) * scale
    return TrackLengthSpectrum(
        edges=edges,
        electron=dl[0],
        positron=dl[1],
        primary=dl[2],
        electron_err=err[0],
        positron_err=err[1],
        primary_err=err[2],
        depth_edges=np.linspace(0.0, z_max * mat.X0, int(depth_bins) + 1),
        electron_depth=hist_z[0] * mat.X0 / n,
        positron_depth=hist_z[1] * mat.X0 / n,
        deposited=balance[:, 0],
        escaped=balance[:, 1],
        energy=float(energy),
        material=mat,
        primary_kind=primary,
        n_showers=int(n_showers),
        ionization=ionization,
        photon=dl[3],
        photon_err=err[3],
        photon_depth=hist_z[2] * mat.X0 / n,
    )
