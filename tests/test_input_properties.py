"""Properties over the whole valid input space, and InputError everywhere outside it.

:func:`na64.physics.dark_brem.total_cross_section` and :func:`~na64.physics.dark_brem.dsigma_dx`
take masses in [1 keV, E0 - m_lepton), energies in (m_lepton, 1 PeV], couplings in
[0, 1/sqrt(alpha)], thresholds in [0, E0 - m_lepton), any lepton, method, spin and target;
:func:`na64.stats.upper_limit` takes counts up to 1e12 (10000 for the exact methods),
sigma_b <= 1000 b, sigma_s_rel <= 0.95 and cl in [1e-6, 1 - 1e-6].  Inside these ranges the
results are finite and >= 0 (and a limit takes well under a second); outside them every call
raises :class:`~na64.errors.InputError` naming the parameter -- never NaN, inf, a TypeError or
a silent zero.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hepunits import GeV, MeV, keV
from hypothesis import given, settings
from hypothesis import strategies as st

from na64.constants import LEPTON_MASS
from na64.errors import InputError
from na64.physics import dark_brem as db
from na64.stats import METHODS, upper_limit
from na64.stats._checks import EXACT_MAX_COUNT, MAX_COUNT, MAX_SIGMA_B_REL

TARGETS = ["Pb", "W", "Fe", "Cu", "Al", "Sc", "BGO", "LYSO", "Air", (1.0, 1.0), (82.0, 207.2),
           (120.0, 400.0), (6.0, 12.0)]


@st.composite
def kinematics(draw: st.DrawFn) -> dict[str, Any]:
    """A valid point: lepton, energy in (m_l, 1 PeV], mass in [1 keV, E0 - m_l)."""
    lepton = draw(st.sampled_from(db.LEPTONS))
    m_lep = LEPTON_MASS[lepton]
    if draw(st.integers(0, 4)) == 0:  # just above the lepton mass
        energy = m_lep * (1.0 + 10.0 ** draw(st.floats(-9.0, 0.0)))
    else:
        energy = 10.0 ** draw(st.floats(math.log10(m_lep), math.log10(db.MAX_ENERGY)))
    energy = min(max(energy, np.nextafter(m_lep, math.inf)), db.MAX_ENERGY)
    room = energy - m_lep  # mass and threshold < E0 - m_l
    if room <= db.MIN_MASS * 1.001:
        energy = m_lep + 2.0 * db.MIN_MASS
        room = energy - m_lep
    kind = draw(st.integers(0, 4))
    if kind == 0:  # near the kinematic limit
        mass = room * (1.0 - 10.0 ** draw(st.floats(-12.0, -1.0)))
    else:
        mass = 10.0 ** draw(st.floats(math.log10(db.MIN_MASS), math.log10(room)))
    mass = min(max(mass, db.MIN_MASS), np.nextafter(room, 0.0))
    threshold = draw(st.one_of(st.none(), st.just(0.0),
                               st.floats(0.0, 1.0, exclude_max=True).map(lambda f: f * room)))
    return {"lepton": lepton, "energy": energy, "mass": mass, "threshold": threshold}


OPTIONS = {
    "target": st.sampled_from(TARGETS),
    "coupling": st.one_of(st.sampled_from([0.0, 1e-300, 1e-4, 1.0, db.MAX_COUPLING]),
                          st.floats(0.0, db.MAX_COUPLING)),
    "method": st.sampled_from(sorted(db.METHODS)),
    "spin": st.sampled_from(sorted(db.SPINS)),
    "inelastic": st.booleans(),
}


@settings(max_examples=150, deadline=None)
@given(point=kinematics(), options=st.fixed_dictionaries(OPTIONS),
       x=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=4))
def test_cross_sections_finite_and_nonnegative(point: dict[str, Any], options: dict[str, Any],
                                               x: list[float]) -> None:
    sigma = db.total_cross_section(point["mass"], point["energy"], lepton=point["lepton"],
                                   threshold=point["threshold"], **options)
    assert isinstance(sigma, float)
    assert math.isfinite(sigma)
    assert sigma >= 0.0
    spec = db.dsigma_dx(np.array(x), point["mass"], point["energy"], lepton=point["lepton"],
                        **options)
    assert spec.shape == (len(x),)
    assert np.all(np.isfinite(spec))
    assert np.all(spec >= 0.0)


VALID_CALL = {"mass": 17 * MeV, "energy": 100 * GeV}

#: (parameter, a value outside its range) for total_cross_section
BAD_ARGUMENTS: list[tuple[str, object]] = [
    *[("mass", v) for v in ["17MeV", "17", b"17", None, True, math.nan, math.inf, -math.inf,
                            -17 * MeV, 0.0, 0.5 * keV, 100 * GeV, 1e300, 10**400, 1j,
                            [1.0, "a"], np.array(["17"]), np.float64(-1e5), object()]],
    *[("energy", v) for v in ["100GeV", None, math.nan, math.inf, -1.0, 0.0, 0.5 * MeV,
                              1.1 * db.MAX_ENERGY, 1e300, 10**400, [[1.0], [2.0, 3.0]]]],
    *[("coupling", v) for v in ["1e-4", None, True, math.nan, math.inf, -1e-4, 12.0, 1e200,
                                10**400, 1j, np.array([1e-4])]],
    *[("threshold", v) for v in ["1GeV", math.nan, math.inf, -1.0 * MeV, 100 * GeV, 200 * GeV,
                                 1e300, [1.0, 2.0, 3.0], True]],
    *[("lepton", v) for v in ["tau", "", None, 5, "e" * 1000]],
    *[("method", v) for v in ["exact", "", None, 1]],
    *[("spin", v) for v in ["tensor", "", None, 0]],
    *[("target", v) for v in ["Unobtainium", "", None, 82, (82.0,), (0.0, 1.0), (82.0, 1e300),
                              (math.nan, 1.0), ("Pb", 207.0), (True, 1.0)]],
]


@pytest.mark.parametrize(("name", "value"), BAD_ARGUMENTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_ARGUMENTS)])
def test_total_cross_section_rejects_invalid_input(name: str, value: object) -> None:
    args = dict(VALID_CALL)
    args[name] = value
    mass, energy = args.pop("mass"), args.pop("energy")
    with pytest.raises(InputError) as info:
        db.total_cross_section(mass, energy, **args)  # type: ignore[arg-type]
    assert info.value.field == name
    assert info.value.message
    assert "\n" not in info.value.message


@pytest.mark.parametrize(("name", "value"), [
    ("x", math.nan), ("x", math.inf), ("x", "0.5"), ("x", None), ("mass", "17MeV"),
    ("mass", -1.0), ("energy", math.nan), ("coupling", -1.0), ("method", "exact"),
    ("x", [0.1, 0.2, 0.3]),  # does not broadcast with the two masses
])
def test_dsigma_dx_rejects_invalid_input(name: str, value: object) -> None:
    args: dict[str, Any] = {"x": 0.5, "mass": np.array([10.0, 20.0]) * MeV,
                            "energy": 100 * GeV, name: value}
    x, mass, energy = args.pop("x"), args.pop("mass"), args.pop("energy")
    with pytest.raises(InputError) as info:
        db.dsigma_dx(x, mass, energy, **args)
    assert info.value.field == name


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["mass", "energy", "coupling", "threshold"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10),
                       st.integers(-10**400, 10**400), st.none(), st.booleans()))
def test_total_cross_section_never_returns_nan(name: str, value: object) -> None:
    """Any value of a numeric parameter: a finite sigma >= 0, or an InputError naming it."""
    args = dict(VALID_CALL)
    args[name] = value
    mass, energy = args.pop("mass"), args.pop("energy")
    error: InputError | None = None
    try:
        sigma = db.total_cross_section(mass, energy, **args)  # type: ignore[arg-type]
    except InputError as exc:
        error = exc
    if error is not None:
        # an energy below the (valid) mass is reported on the mass, which must lie below it
        assert error.field == name or (name == "energy" and error.field == "mass")
    else:
        assert math.isfinite(sigma)
        assert sigma >= 0.0


# -- upper limits ---------------------------------------------------------------------------

@st.composite
def limit_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid call of upper_limit over the whole supported range."""
    method = draw(st.sampled_from(METHODS))
    top = EXACT_MAX_COUNT if method in ("bayes", "frequentist-poisson") else int(MAX_COUNT)
    n = draw(st.one_of(st.integers(0, 5), st.integers(0, 100), st.integers(0, top),
                       st.just(top)))
    b = draw(st.one_of(st.just(0.0), st.floats(0.0, 100.0), st.floats(0.0, MAX_COUNT),
                       st.just(float(n)), st.just(MAX_COUNT), st.just(5e-324)))
    width = min(MAX_SIGMA_B_REL * b, MAX_COUNT)
    sigma_b = draw(st.one_of(st.just(0.0), st.just(width), st.floats(0.0, 1.0).map(
        lambda f: min(f * width, width)), st.floats(0.0, 0.3).map(lambda f: f * b)))
    return {
        "n_obs": n, "b": b, "sigma_b": sigma_b, "method": method,
        "sigma_s_rel": draw(st.one_of(st.just(0.0), st.just(0.95), st.floats(0.0, 0.95))),
        "cl": draw(st.one_of(st.sampled_from([0.68, 0.9, 0.95, 1e-6, 1.0 - 1e-6]),
                             st.floats(1e-6, 1.0 - 1e-6))),
    }


@settings(max_examples=150, deadline=None)
@given(kwargs=limit_inputs())
def test_upper_limit_finite_nonnegative(kwargs: dict[str, Any]) -> None:
    s_up = upper_limit(**kwargs)
    assert isinstance(s_up, float)
    assert math.isfinite(s_up)
    assert s_up >= 0.0


BAD_LIMIT_ARGUMENTS: list[tuple[str, object]] = [
    *[("n_obs", v) for v in [-1, 1.5, math.nan, math.inf, "3", None, True, 10**13, 1e13,
                             10**400, np.array([1, 2])]],
    *[("b", v) for v in [-1.0, math.nan, math.inf, "1", None, 1.1e12, 10**400, True]],
    *[("sigma_b", v) for v in [-1.0, math.nan, math.inf, "0.1", 1e4, 1.1e12]],
    *[("sigma_s_rel", v) for v in [-0.1, 0.96, 1.0, math.nan, "0.1", None]],
    *[("cl", v) for v in [0.0, 1.0, 1e-7, 1.0 - 1e-8, 2.0, -0.5, math.nan, "0.9", True, None]],
    *[("method", v) for v in ["feldman-cousins", "", None, 5, ["cls"], "CLS"]],
]


@pytest.mark.parametrize(("name", "value"), BAD_LIMIT_ARGUMENTS,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_LIMIT_ARGUMENTS)])
def test_upper_limit_rejects_invalid_input(name: str, value: object) -> None:
    args: dict[str, Any] = {"n_obs": 2, "b": 1.0, "sigma_b": 0.5, name: value}
    with pytest.raises(InputError) as info:
        upper_limit(**args)
    assert info.value.field == name
    assert "\n" not in info.value.message


@pytest.mark.parametrize("method", ["bayes", "frequentist-poisson"])
def test_exact_methods_name_their_count_limit(method: str) -> None:
    with pytest.raises(InputError, match=r"n_obs: must be <= 10000 .*'cls-asymptotic'"):
        upper_limit(EXACT_MAX_COUNT + 1, 1.0, method=method)  # type: ignore[arg-type]


def test_cls_beyond_the_exact_range_is_asymptotic() -> None:
    # above EXACT_MAX_COUNT "cls" takes the asymptotic formulas, which are close to the
    # exact sum where both apply (0.25 % at n = b = 1e4, known b)
    exact = upper_limit(EXACT_MAX_COUNT, float(EXACT_MAX_COUNT))
    asym = upper_limit(EXACT_MAX_COUNT, float(EXACT_MAX_COUNT), method="cls-asymptotic")
    assert asym == pytest.approx(exact, rel=5e-3)
    n = EXACT_MAX_COUNT + 1
    assert upper_limit(n, float(n)) == upper_limit(n, float(n), method="cls-asymptotic")
