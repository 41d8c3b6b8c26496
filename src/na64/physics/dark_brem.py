"""Dark bremsstrahlung l N -> l N X of a light boson X off a lepton beam.

Cross sections of the emission of a boson X by e-, e+, mu- or mu+ in the Coulomb field of
a nucleus.  X couples to the lepton with strength ``coupling * e`` through a vector
(gamma^mu: the dark photon A', coupling eps), scalar (1), pseudoscalar (i gamma5: an ALP
with a Yukawa coupling to leptons) or axial-vector (gamma^mu gamma5) vertex; these are the
four mediators of DMG4 (arXiv:2101.12192, Sec. 2).  Three approximations:

``"etl"``
    Exact tree level: the 2 -> 3 matrix element with one-photon exchange and a spin-0
    nucleus of charge Z G(t) (Bjorken, Essig, Schuster, Toro, arXiv:0906.0580, App. A,
    Eq. (A1)-(A3)), integrated over the exact 3-body phase space in the variables
    (x, cos theta_X, t, phi_q) of Liu, McKeen, Miller, arXiv:1609.06781, App. A
    (Eq. (A1)-(A6)).  Gninenko, Kirpichnikov, Kirsanov, Krasnikov, arXiv:1712.05706,
    Eq. (3)-(5), use this "ETL" cross section for NA64 and DMG4 (arXiv:2101.12192) tabulates it.
    The lepton traces for the four vertices (with the polarisation sums -g + k k / m_X^2;
    the k k term survives only for the axial vector, whose current is not conserved) were
    derived for this package (``_etl_derivation.py``) and checked against explicit Dirac
    matrices.
``"ww"``
    Weizsaecker-Williams: 2 -> 2 amplitude at t = tmin times the photon flux
    chi(tmin(x, theta), m_X^2 + m_l^2), arXiv:1609.06781 Eq. (9)-(10), arXiv:1705.01633
    Eq. (19) and (30) (vector); for the other spins the 2 -> 2 amplitude at t = tmin is
    derived from the same traces with the normalisation fixed by the vector case.
``"iww"``
    Improved WW: chi with the fixed tmin = m_X^4/(4 E0^2), tmax = m_X^2 + m_l^2 and the
    angular integral done analytically, arXiv:0906.0580 Eq. (A15)-(A17),
    arXiv:1609.06781 Eq. (11).

Form factors are the Tsai elastic (atomic screening and nuclear size) and, optionally,
inelastic ones of arXiv:0906.0580 Eq. (A18)-(A19), see :mod:`na64.physics.form_factors`.

Conventions
-----------
* Units are hepunits: masses and energies in MeV, cross sections in mm^2 (divide by
  ``hepunits.picobarn`` for pb).  x = E_X / E0 and theta is the X angle to the beam.
* sigma scales as ``coupling**2`` (eps for the dark photon; g/e for a Yukawa coupling g).  Tree level does not
  distinguish l- from l+ (the amplitude is even in the lepton charge), so e+ = e- and
  mu+ = mu-.
* For a compound target the cross section is per atom: the atom-number-weighted mean
  over its elements, so that (atoms per volume) x sigma is the interaction rate.
* Energy threshold: ``threshold=None`` integrates x >= max(10 MeV, 2 m_X) / E0, the
  convention of the DMG4 reference table na64 is tested against (its generator,
  examples/DarkMatterCS/testCS/mkgeant4.cc in PKMuon/DMG4, sets ``EThresh = max(10 MeV,
  2 m)``).  For m_X >= 1 MeV the threshold changes sigma by < 0.1 %, because the spectrum
  vanishes as x^2 at small x.  Pass ``threshold=0`` for the full range x >= m_X/E0.
* Form factor: by default G2 = G2_el + G2_inel, the full Tsai form factor of
  arXiv:0906.0580 Eq. (A17)-(A19), for every method.  ``inelastic=False`` keeps the
  coherent (elastic) part only; that lowers sigma by about 1/Z at small m_X and by more
  once tmin = m_X^4 / 4E0^2 approaches the nuclear scale d = 0.164 GeV^2 A^(-2/3), where
  scattering off single nucleons takes over.  In ETL the inelastic term (Z times the proton
  form factor) is integrated with the kinematics of a recoiling proton (impulse
  approximation; Tsai, Rev. Mod. Phys. 46 (1974) 815), the elastic one with the nucleus
  mass.

Relation to DMG4
----------------
DMG4 (PKMuon/DMG4, ``DarkPhotons::TotalCrossSectionCalc``) does not integrate a matrix
element for m_X > 1 MeV: it evaluates the leading-log IWW total cross section with the
coherent flux Z^2 G_el only (no inelastic term anywhere in its code) and divides it by a
tabulated K = IWW/ETL (``KFactors.code``).  The K rows up to 1 GeV are the ETL ratios of
arXiv:1712.05706; the rows 1.1-3 GeV were added in DMG4 v2.0/v2.2 without a documented
method.  Our full ETL reproduces the resulting table to 2.2 % for 1 MeV <= m_X <= 1 GeV
at 20-160 GeV on Pb (including (1 GeV, 20 GeV), where the inelastic term is 8 % of sigma
and the coherent-only value is 6 % low), and to 2.2 % up to 3 GeV wherever the inelastic
term is < 5 % of sigma.  Where tmin >~ d (E0 <= 80 GeV, m_X >~ 1.5 GeV) the extended rows
lie between our coherent-only (down to 0.80x) and full (up to 2.07x) values: the
convention behind them is unknown (tests/test_dark_brem.py).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from hepunits import GeV, MeV, keV

from ..constants import ALPHA, HBARC2, LEPTON_MASS
from ..errors import InputError
from ..materials import Material
from ..units import format_quantity
from . import _dark_brem_kernels as _k
from .form_factors import Nucleus, target_nuclei

__all__ = [
    "LEPTONS",
    "MAX_COUPLING",
    "MAX_ENERGY",
    "METHODS",
    "MIN_MASS",
    "SPINS",
    "default_threshold",
    "dsigma_dx",
    "dsigma_dx_dcos",
    "dsigma_dx_dtheta",
    "total_cross_section",
]

Method = Literal["etl", "iww", "ww"]
Target = str | Material | tuple[float, float]

#: Beam leptons accepted (aliases map onto these).
LEPTONS: tuple[str, ...] = ("e-", "e+", "mu-", "mu+")
#: Approximations accepted by ``method``.
METHODS: dict[str, int] = {"etl": _k.METHOD_ETL, "iww": _k.METHOD_IWW, "ww": _k.METHOD_WW}
#: Spins (Lorentz structure of the X-lepton vertex) -> kernel code; all methods have all four.
SPINS: dict[str, int] = {"vector": _k.SPIN_VECTOR, "scalar": _k.SPIN_SCALAR,
                         "pseudoscalar": _k.SPIN_PSEUDOSCALAR, "axial": _k.SPIN_AXIAL}

_LEPTON_ALIASES = {
    "e-": "e-", "e": "e-", "electron": "e-", "e+": "e+", "positron": "e+",
    "mu-": "mu-", "mu": "mu-", "muon": "mu-", "mu+": "mu+", "antimuon": "mu+",
}
#: Lightest X mass accepted (1 keV, as for :mod:`na64.models`): the axial-vector cross
#: section grows like (m_l / m_X)^2 and leaves the floating-point range far below it.
MIN_MASS: float = 1.0 * keV
#: Highest beam energy accepted (1 PeV, beyond any accelerator beam); the kernels stay finite
#: up to ~1e12 GeV for electrons.
MAX_ENERGY: float = 1.0e6 * GeV
#: Largest coupling accepted: coupling^2 * alpha <= 1, the perturbative limit of a tree-level
#: cross section (coupling = 1/sqrt(alpha) ~ 11.7 is a boson-lepton coupling g = sqrt(4 pi)).
MAX_COUPLING: float = 1.0 / math.sqrt(ALPHA)
_DMG4_MIN_THRESHOLD = 10.0 * MeV
#: longest user text quoted in full in a message
_MAX_QUOTED = 40
#: below this many points the thread start-up of the parallel kernel does not pay
_PARALLEL_MIN = 4


def default_threshold(mass: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The default X energy threshold max(10 MeV, 2 m_X) (see module docstring)."""
    return np.maximum(_DMG4_MIN_THRESHOLD, 2.0 * np.asarray(mass, dtype=float))


def _show(value: object) -> str:
    """A short spelling of a user value for a message (plain floats, no numpy reprs)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        text = str(int(value)) if abs(int(value)) < 10**_MAX_QUOTED else "a huge integer"
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        text = repr(float(value))
    else:
        text = " ".join(repr(value).split())  # one line, also for multi-line array reprs
    if len(text) > _MAX_QUOTED:
        text = f"{text[:_MAX_QUOTED - 10]}...({len(text)} characters)"
    return text


def _show_energy(value: float) -> str:
    """An energy in MeV with its unit (``"-100 GeV"``), or ``"nan"`` / ``"inf"``."""
    return format_quantity(float(value), digits=7)


def _lepton_mass(lepton: str) -> float:
    key = _LEPTON_ALIASES.get(lepton.strip().lower()) if isinstance(lepton, str) else None
    if key is None:
        raise InputError("lepton", f"unknown beam lepton {_show(lepton)}; "
                                   f"allowed: {', '.join(LEPTONS)}")
    return LEPTON_MASS[key]


def _method_code(method: str) -> int:
    code = METHODS.get(method.strip().lower()) if isinstance(method, str) else None
    if code is None:
        raise InputError("method", f"unknown method {_show(method)}; allowed: {', '.join(METHODS)}")
    return code


def _spin_code(spin: str) -> int:
    code = SPINS.get(spin.strip().lower()) if isinstance(spin, str) else None
    if code is None:
        raise InputError("spin", f"unknown spin {_show(spin)}; allowed: {', '.join(SPINS)}")
    return code


def _check_coupling(coupling: float, high: float = MAX_COUPLING,
                    allowed: str = f"[0, {MAX_COUPLING:.4g}] (units of e; coupling^2 * alpha <= 1)"
                    ) -> float:
    """``coupling`` as a float in [0, ``high``]; ``allowed`` says the range in messages."""
    if isinstance(coupling, bool) or not isinstance(coupling, numbers.Real):
        raise InputError("coupling", f"must be a number in {allowed}, got {_show(coupling)}")
    try:
        c = float(coupling)
    except OverflowError:
        c = math.inf
    if not math.isfinite(c):
        raise InputError("coupling", f"must be a finite number in {allowed}, got {_show(coupling)}")
    if not 0.0 <= c <= high:
        raise InputError("coupling", f"must be in {allowed}, got {c:g}")
    return c


def _as_array(value: Any, field: str, what: str) -> npt.NDArray[np.float64]:
    """``value`` as a float array; text, booleans and non-numbers are an InputError."""
    message = f"must be {what}, got {_show(value)}"
    try:
        raw = np.asarray(value)
        kind = raw.dtype.kind
        if kind == "O":  # e.g. Python ints beyond int64, Fractions; not None or text
            if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in raw.flat):
                raise TypeError
            return np.asarray(raw, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(field, message) from None
    if kind not in "iuf":  # strings, booleans, complex, dates ...
        raise InputError(field, message)
    return np.asarray(raw, dtype=float)


def _energy_array(value: Any, field: str) -> npt.NDArray[np.float64]:
    return _as_array(value, field, "a number or an array of numbers in MeV (hepunits; "
                                   "text such as '17MeV' is parsed by na64.units.parse_quantity)")


def _check_mass_energy(mass: npt.NDArray[np.float64], energy: npt.NDArray[np.float64],
                       m_lep: float) -> None:
    bad_e = ~(np.isfinite(energy) & (energy > m_lep) & (energy <= MAX_ENERGY))
    if np.any(bad_e):
        bad = float(energy[bad_e].flat[0])
        what = "a finite energy" if not math.isfinite(bad) else "an energy"
        raise InputError(
            "energy", f"must be {what} in (m_lepton, {format_quantity(MAX_ENERGY)}] = "
            f"({_show_energy(m_lep)}, {format_quantity(MAX_ENERGY)}], got {_show_energy(bad)}")
    bad_m = ~(np.isfinite(mass) & (mass >= MIN_MASS))
    if np.any(bad_m):
        bad = float(mass[bad_m].flat[0])
        what = "a finite mass" if not math.isfinite(bad) else "a mass"
        raise InputError("mass", f"must be {what} >= {format_quantity(MIN_MASS)} (and below the "
                                 f"kinematic limit E0 - m_lepton), got {_show_energy(bad)}")
    over = mass >= energy - m_lep
    if np.any(over):
        i = np.flatnonzero(over.ravel())[0]
        e0 = float(energy.ravel()[i])
        raise InputError(
            "mass",
            f"must be in (0, E0 - m_lepton) = (0, {format_quantity(e0 - m_lep, digits=7)}) "
            f"for beam energy {format_quantity(e0)} (kinematic limit), got "
            f"{format_quantity(float(mass.ravel()[i]), digits=7)}",
        )


def _check_threshold(threshold: npt.ArrayLike, mass: npt.NDArray[np.float64],
                     energy: npt.NDArray[np.float64], m_lep: float) -> npt.NDArray[np.float64]:
    """The threshold broadcast to the mass/energy shape, each in [0, E0 - m_lepton)."""
    arr = _energy_array(threshold, "threshold")
    try:
        thr = np.broadcast_to(arr, mass.shape)
    except ValueError:
        raise InputError("threshold", f"must be a number or broadcast to the mass/energy "
                         f"shape {mass.shape}, got shape {arr.shape}") from None
    bad_t = ~(np.isfinite(thr) & (thr >= 0) & (thr < energy - m_lep))
    if np.any(bad_t):
        i = np.flatnonzero(bad_t.ravel())[0]
        e0 = float(energy.ravel()[i])
        got = float(thr.ravel()[i])
        what = "a finite energy" if not math.isfinite(got) else "an energy"
        raise InputError(
            "threshold",
            f"must be {what} in [0, E0 - m_lepton) = [0, {format_quantity(e0 - m_lep, digits=7)}) "
            f"for beam energy {format_quantity(e0)} (the X energy cannot exceed it), got "
            f"{_show_energy(got)}",
        )
    return thr


def _nuclei(target: Target) -> list[tuple[Nucleus, float]]:
    if isinstance(target, Nucleus):
        return [(target, 1.0)]
    if isinstance(target, tuple):
        if len(target) != 2 or not all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in target):
            raise InputError("target", f"an element is given as (Z, A), got {_show(target)}")
        z, a = (float(v) for v in target)
        if not (math.isfinite(z) and math.isfinite(a) and 1.0 <= z <= 120.0 and z <= a <= 400.0):
            raise InputError("target", f"an element (Z, A) needs Z in [1, 120] and A in [Z, 400], "
                                       f"got ({z:g}, {a:g})")
    elif not isinstance(target, (str, Material)):
        raise InputError("target", f"must be a material name, a Material or an element (Z, A), "
                                   f"got {_show(target)}")
    return target_nuclei(target)


def _broadcast(field: str, names: str, *arrays: npt.NDArray[np.float64]
               ) -> list[npt.NDArray[np.float64]]:
    """``np.broadcast_arrays``; shapes that do not broadcast are an InputError on ``field``."""
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise InputError(field, f"{names} must broadcast together, got shapes {shapes}") from None


def _flat(a: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Writeable, C-contiguous float64 copy, flattened (numba wants owned arrays)."""
    return np.array(a, dtype=np.float64, order="C").reshape(-1)


def _finish(out: npt.NDArray[np.float64], scalar: bool) -> float | npt.NDArray[np.float64]:
    return float(out.reshape(())) if scalar else out


def total_cross_section(
    mass: npt.ArrayLike,
    energy: npt.ArrayLike,
    *,
    lepton: str = "e-",
    target: Target = "Pb",
    coupling: float = 1.0,
    method: Method | str = "etl",
    spin: str = "vector",
    threshold: npt.ArrayLike | None = None,
    inelastic: bool = True,
) -> float | npt.NDArray[np.float64]:
    """Total cross section of l N -> l N X with E_X above a threshold.

    Parameters
    ----------
    mass
        X mass m_X (hepunits, MeV), in [:data:`MIN_MASS`, E0 - m_lepton) = [1 keV, E0 - m_l);
        broadcast against ``energy``.  Numbers only: text such as ``"17MeV"`` is parsed
        with :func:`na64.units.parse_quantity`.
    energy
        Beam lepton energy E0 (MeV), in (m_lepton, :data:`MAX_ENERGY`] = (m_l, 1 PeV].
    lepton
        ``"e-"``, ``"e+"``, ``"mu-"`` or ``"mu+"``.
    target
        Material name (``"Pb"``, ``"W"``, ``"BGO"``...), a :class:`~na64.materials.Material`
        or an element ``(Z, A)`` with Z in [1, 120] and A in [Z, 400]; compounds give the
        per-atom mean.
    coupling
        X-lepton coupling in units of e (eps for the dark photon), in
        [0, :data:`MAX_COUPLING`] (coupling^2 alpha <= 1); sigma scales as its square.
    method
        ``"etl"`` (exact tree level), ``"iww"`` or ``"ww"``.
    spin
        ``"vector"`` (the dark photon), ``"scalar"``, ``"pseudoscalar"`` or ``"axial"``.
    threshold
        Minimum X energy (MeV) in [0, E0 - m_lepton), broadcast against mass and energy;
        ``None`` is max(10 MeV, 2 m_X) (module docstring).
    inelastic
        Add the inelastic form factor (arXiv:0906.0580 Eq. (A19)).

    Returns
    -------
    float or ndarray
        sigma in mm^2 (a float when mass and energy are scalars), finite and >= 0; 0 where
        the threshold leaves no phase space, or where E0 is below the exact 2 -> 3
        threshold m_X + m_l + O(m_X^2 / 2 M_nucleus) (a sliver just under the validated
        limit).

    Raises
    ------
    InputError
        Naming the parameter: a value that is not a number (e.g. text), not finite, or out
        of the ranges above; an unknown lepton, target, method or spin.
    """
    m_lep = _lepton_mass(lepton)
    code = _method_code(method)
    spin_code = _spin_code(spin)
    c = _check_coupling(coupling)
    m_arr, e_arr = _broadcast("energy", "mass and energy", _energy_array(mass, "mass"),
                              _energy_array(energy, "energy"))
    scalar = m_arr.ndim == 0
    _check_mass_energy(m_arr, e_arr, m_lep)
    if threshold is None:
        thr = default_threshold(m_arr)
    else:
        thr = _check_threshold(threshold, m_arr, e_arr, m_lep)
    nuclei = _nuclei(target)
    e_flat = _flat(e_arr)
    m_flat = _flat(m_arr)
    x_lo = _flat(np.broadcast_to(thr, m_arr.shape)) / e_flat
    out = np.zeros(e_flat.size)
    kernel = _k.total_many if e_flat.size >= _PARALLEL_MIN else _k.total_serial
    for nuc, frac in nuclei:
        out += frac * kernel(code, e_flat, m_flat, m_lep, nuc.mass, nuc.Z, nuc.a_el,
                             nuc.a_inel, nuc.d, bool(inelastic), x_lo, spin_code)
    return _finish((out * HBARC2 * c * c).reshape(m_arr.shape), scalar)


def _prepare(x: npt.ArrayLike, mass: npt.ArrayLike, energy: npt.ArrayLike, lepton: str,
             method: str, spin: str, coupling: float, extra: npt.ArrayLike | None = None
             ) -> tuple[float, int, int, float, list[npt.NDArray[np.float64]]]:
    m_lep = _lepton_mass(lepton)
    code = _method_code(method)
    spin_code = _spin_code(spin)
    c = _check_coupling(coupling)
    arrays = [_as_array(x, "x", "a number or an array of numbers (x = E_X/E0)"),
              _energy_array(mass, "mass"), _energy_array(energy, "energy")]
    if extra is not None:
        arrays.append(np.asarray(extra, dtype=float))
    arrays = _broadcast("x", "the array arguments", *arrays)
    _check_mass_energy(arrays[1], arrays[2], m_lep)
    if np.any(~np.isfinite(arrays[0])):
        raise InputError("x", "x = E_X/E0 must be finite (values outside (0, 1) give 0)")
    return m_lep, code, spin_code, c, arrays


def dsigma_dx(
    x: npt.ArrayLike,
    mass: npt.ArrayLike,
    energy: npt.ArrayLike,
    *,
    lepton: str = "e-",
    target: Target = "Pb",
    coupling: float = 1.0,
    method: Method | str = "etl",
    spin: str = "vector",
    inelastic: bool = True,
) -> npt.NDArray[np.float64]:
    """Energy spectrum dsigma/dx of the X, x = E_X/E0 (mm^2 per unit x).

    Integrated over the full X angle; 0 outside the kinematic range m_X/E0 < x < 1.
    Same parameters (and ranges) as :func:`total_cross_section`; x (any finite number),
    mass and energy broadcast.  The result is finite and >= 0.

    Raises
    ------
    InputError
        As :func:`total_cross_section`, or a non-finite x.
    """
    m_lep, code, spin_code, c, (xx, mm, ee) = _prepare(x, mass, energy, lepton, method, spin, coupling)
    flat = [_flat(a) for a in (xx, ee, mm)]
    out = np.zeros(flat[0].size)
    for nuc, frac in _nuclei(target):
        out += frac * _k.dx_many(code, flat[0], flat[1], flat[2], m_lep, nuc.mass, nuc.Z,
                                 nuc.a_el, nuc.a_inel, nuc.d, bool(inelastic), spin_code)
    return (out * HBARC2 * c * c).reshape(xx.shape)


def dsigma_dx_dcos(
    x: npt.ArrayLike,
    cos_theta: npt.ArrayLike,
    mass: npt.ArrayLike,
    energy: npt.ArrayLike,
    *,
    lepton: str = "e-",
    target: Target = "Pb",
    coupling: float = 1.0,
    method: Method | str = "etl",
    spin: str = "vector",
    inelastic: bool = True,
) -> npt.NDArray[np.float64]:
    """Double differential d^2 sigma / dx dcos(theta_X) (mm^2), theta_X the X angle to the beam.

    Arguments broadcast; 0 outside the physical region.  For tiny angles pass cos_theta
    computed as ``1 - theta**2/2`` or better use the angle-integrated :func:`dsigma_dx`.
    """
    cos = _as_array(cos_theta, "cos_theta", "a number or an array of numbers in [-1, 1]")
    m_lep, code, spin_code, c, (xx, mm, ee, cc) = _prepare(x, mass, energy, lepton, method, spin,
                                                  coupling, cos)
    if np.any(~np.isfinite(cc)) or np.any(np.abs(cc) > 1):
        raise InputError("cos_theta", "must be in [-1, 1]")
    out = _dxdw(xx, 1.0 - cc, ee, mm, m_lep, code, spin_code, target, inelastic)
    return (out * c * c).reshape(xx.shape)


def dsigma_dx_dtheta(
    x: npt.ArrayLike,
    theta: npt.ArrayLike,
    mass: npt.ArrayLike,
    energy: npt.ArrayLike,
    *,
    lepton: str = "e-",
    target: Target = "Pb",
    coupling: float = 1.0,
    method: Method | str = "etl",
    spin: str = "vector",
    inelastic: bool = True,
) -> npt.NDArray[np.float64]:
    """d^2 sigma / dx dtheta_X (mm^2 per radian) = sin(theta) d^2 sigma / dx dcos(theta).

    Takes the angle itself, so that the forward region theta ~ m_X/E0 (down to 1e-8 rad)
    keeps full precision (1 - cos(theta) is computed as 2 sin^2(theta/2)).  theta in [0, pi].
    """
    th = _as_array(theta, "theta", "a number or an array of numbers in [0, pi] rad")
    if np.any(~np.isfinite(th)) or np.any(th < 0) or np.any(th > np.pi):
        raise InputError("theta", "must be in [0, pi] rad")
    m_lep, code, spin_code, c, (xx, mm, ee, tt) = _prepare(x, mass, energy, lepton, method, spin,
                                                         coupling, th)
    out = _dxdw(xx, 2.0 * np.sin(0.5 * tt) ** 2, ee, mm, m_lep, code, spin_code, target,
                inelastic)
    return (out * np.sin(tt).reshape(-1) * c * c).reshape(xx.shape)


def _dxdw(xx: npt.NDArray[np.float64], w: npt.NDArray[np.float64], ee: npt.NDArray[np.float64],
          mm: npt.NDArray[np.float64], m_lep: float, code: int, spin_code: int, target: Target,
          inelastic: bool) -> npt.NDArray[np.float64]:
    """d^2 sigma / dx dcos (mm^2, unit coupling) at w = 1 - cos(theta), flat, summed over
    the target's nuclei (shared by :func:`dsigma_dx_dcos` and :func:`dsigma_dx_dtheta`)."""
    flat = [_flat(a) for a in (xx, w, ee, mm)]
    out = np.zeros(flat[0].size)
    for nuc, frac in _nuclei(target):
        out += frac * _k.dxdcos_many(code, flat[0], flat[1], flat[2], flat[3], m_lep, nuc.mass,
                                     nuc.Z, nuc.a_el, nuc.a_inel, nuc.d, bool(inelastic),
                                     spin_code)
    return out * HBARC2
