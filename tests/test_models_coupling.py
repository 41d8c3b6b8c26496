"""Tests for the coupling metadata of na64.models: coupling_name, with_coupling, model_info."""

import dataclasses
import inspect
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from na64 import InputError
from na64.constants import ALPHA, M_E
from na64.models import MODEL_NAMES, Model, make_model, model_info
from na64.units import GeV, MeV

# the production coupling of each registered model, as the constructors name it
EXPECTED_COUPLING = {
    "dark-photon": "epsilon",
    "alp": "g_agg",
    "lmu-ltau": "g",
    "x-boson": "coupling",
    "b-l": "g",
    "x-scalar": "coupling",
    "x-pseudoscalar": "coupling",
    "x-vector": "coupling",
    "x-axial": "coupling",
    "scalar-mu": "g",
    "idm": "epsilon",
}

# one parameter point per model (and per X kind), with every channel of interest open
POINTS = [
    ("dark-photon", {"mass": 1.2 * GeV, "epsilon": 1e-4, "alpha_D": 0.5}),
    ("dark-photon", {"mass": 16.7 * MeV, "epsilon": 1e-3, "alpha_D": 0.0}),
    ("alp", {"mass": 100 * MeV, "g_agg": 1e-4 / GeV, "g_aee": 1e-6}),
    ("lmu-ltau", {"mass": 500 * MeV, "g": 1e-4}),
    ("x-boson", {"mass": 16.7 * MeV, "kind": "S", "coupling": 1e-4}),
    ("x-boson", {"mass": 16.7 * MeV, "kind": "P", "coupling": 1e-4}),
    ("x-boson", {"mass": 16.7 * MeV, "kind": "V", "coupling": 1e-4}),
    ("x-boson", {"mass": 16.7 * MeV, "kind": "A", "coupling": 1e-4}),
    ("b-l", {"mass": 1.5 * GeV, "g": 1e-4}),
    ("x-scalar", {"mass": 16.7 * MeV, "coupling": 1e-4}),
    ("x-pseudoscalar", {"mass": 16.7 * MeV, "coupling": 1e-4}),
    ("x-vector", {"mass": 16.7 * MeV, "coupling": 1e-4}),
    ("x-axial", {"mass": 16.7 * MeV, "coupling": 1e-4}),
    ("scalar-mu", {"mass": 500 * MeV, "g": 1e-3}),
    ("idm", {"mass": 600 * MeV, "epsilon": 1e-4, "alpha_D": 0.1, "delta": 0.4}),
]
POINT_IDS = [f"{n}-{p.get('kind', '')}{p['mass'] / MeV:g}MeV" for n, p in POINTS]


def first_point(name):
    """A model instance at the first parameter point of ``name`` in POINTS."""
    return make_model(name, **next(p for n, p in POINTS if n == name))


# partial widths proportional to the square of the production coupling; all others must
# not depend on it (the dark photon's chi chi width is set by alpha_D, the ALP's e+e- by
# g_aee)
SCALING_CHANNELS = {
    "dark-photon": {"e+e-", "mu+mu-", "tau+tau-", "hadrons"},
    "alp": {"gammagamma"},
    "lmu-ltau": {"nunu", "mu+mu-", "tau+tau-", "e+e-"},
    "x-boson": {"e+e-"},
    "b-l": {"e+e-", "mu+mu-", "tau+tau-", "hadrons", "nunu"},
    "x-scalar": {"e+e-"},
    "x-pseudoscalar": {"e+e-"},
    "x-vector": {"e+e-"},
    "x-axial": {"e+e-"},
    "scalar-mu": {"mu+mu-", "gammagamma"},
    "idm": {"e+e-", "mu+mu-", "tau+tau-", "hadrons"},
}


def test_every_registered_model_is_covered():
    assert set(EXPECTED_COUPLING) == set(MODEL_NAMES) == set(SCALING_CHANNELS)
    assert {n for n, _ in POINTS} == set(MODEL_NAMES)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_coupling_name_is_a_constructor_parameter(name):
    info = model_info(name)
    assert info["coupling_name"] == EXPECTED_COUPLING[name]
    cls = type(first_point(name))
    assert cls.coupling_name == EXPECTED_COUPLING[name]
    assert info["coupling_name"] in {f.name for f in dataclasses.fields(cls) if f.init}


@pytest.mark.parametrize(("name", "params"), POINTS, ids=POINT_IDS)
def test_with_coupling_round_trip(name, params):
    m = make_model(name, **params)
    c = m.coupling_value
    assert c == params[m.coupling_name]
    same = m.with_coupling(c)
    assert same == m
    assert same is not m
    new = m.with_coupling(3.0 * c)
    assert type(new) is type(m)
    assert new.coupling_value == 3.0 * c
    assert getattr(new, m.coupling_name) == 3.0 * c
    # everything else is kept (including resolved defaults such as the dark photon's m_chi)
    for f in dataclasses.fields(m):
        if f.name != m.coupling_name:
            assert getattr(new, f.name) == getattr(m, f.name), f.name
    assert m.coupling_value == c  # the original is untouched
    assert new.with_coupling(c) == m


@pytest.mark.parametrize(("name", "params"), POINTS, ids=POINT_IDS)
@pytest.mark.parametrize("factor", [1e-3, 0.5, 7.0])
def test_widths_scale_as_coupling_squared(name, params, factor):
    m = make_model(name, **params)
    w0 = m.widths()
    w1 = m.with_coupling(factor * m.coupling_value).widths()
    assert set(w1) == set(w0)
    scaling = SCALING_CHANNELS[name]
    assert scaling <= set(w0)
    assert any(w0[k] > 0 for k in scaling)
    for k, v in w0.items():
        expected = factor**2 * v if k in scaling else v
        assert w1[k] == pytest.approx(expected, rel=1e-12, abs=0), k


@pytest.mark.parametrize(("name", "params"), POINTS, ids=POINT_IDS)
def test_lepton_coupling_follows_the_coupling(name, params):
    m = make_model(name, **params)
    new = m.with_coupling(2.0 * m.coupling_value)
    for lepton in ("e", "mu"):
        before, after = m.lepton_coupling(lepton), new.lepton_coupling(lepton)
        if name == "alp":  # the electron coupling is g_aee, not the photon coupling
            assert after == before
        else:
            assert after == pytest.approx(2.0 * before, rel=1e-15, abs=0)


@settings(max_examples=50, deadline=None)
@given(mass=st.floats(1.1, 2000.0), eps=st.floats(1e-8, 1e-2), factor=st.floats(1e-3, 50.0))
def test_dark_photon_electron_width_is_epsilon_squared(mass, eps, factor):
    # Gamma(A' -> e+e-) = eps^2 alpha m/3 (1 + 2r) sqrt(1 - 4r), r = (m_e/m)^2
    # (arXiv:0906.0580, Sec. II): at fixed mass only eps^2 changes
    m = make_model("dark-photon", mass=mass * MeV, epsilon=eps)
    new = m.with_coupling(min(factor * eps, 1.0))
    r = (M_E / (mass * MeV)) ** 2
    expected = new.epsilon**2 * ALPHA * mass * MeV / 3 * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    assert new.widths()["e+e-"] == pytest.approx(expected, rel=1e-12)
    assert new.widths()["e+e-"] / m.widths()["e+e-"] == pytest.approx(
        (new.epsilon / eps) ** 2, rel=1e-12)
    assert new.dark_width() == m.dark_width()


@pytest.mark.parametrize(("name", "params"), POINTS, ids=POINT_IDS)
def test_with_coupling_validates_like_the_constructor(name, params):
    m = make_model(name, **params)
    too_large = 2.0 / MeV if name == "alp" else 2.0
    for bad in (0.0, -1e-4 * m.coupling_value, too_large, math.nan, math.inf, "abc"):
        with pytest.raises(InputError) as exc:
            m.with_coupling(bad)
        assert exc.value.field == m.coupling_name
        with pytest.raises(InputError):
            make_model(name, **{**params, m.coupling_name: bad})


def test_alp_coupling_unit_and_scale():
    a = make_model("alp", mass=50 * MeV, g_agg=1e-4 / GeV)
    assert a.coupling_unit == "GeV^-1"
    assert a.coupling_value / a.coupling_scale == pytest.approx(1e-4, rel=1e-12)
    assert a.with_coupling(3e-5 / GeV).coupling_value / a.coupling_scale == pytest.approx(3e-5)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_info(name):
    info = model_info(name)
    assert set(info) == {"name", "coupling_name", "coupling_unit", "coupling_scale",
                         "coupling_label", "parameters"}
    assert info["name"] == name
    assert info["coupling_name"] == EXPECTED_COUPLING[name]
    assert info["coupling_unit"] == ("GeV^-1" if name == "alp" else "")
    assert info["coupling_scale"] == (1.0 / GeV if name == "alp" else 1.0)
    assert isinstance(info["parameters"], tuple)
    assert info["parameters"][0] == "mass"
    assert info["coupling_name"] in info["parameters"]
    m = first_point(name)
    assert info["parameters"] == tuple(inspect.signature(type(m)).parameters)
    assert info["coupling_label"] == type(m).coupling_label
    label = info["coupling_label"]
    assert label.count("$") % 2 == 0
    assert label.startswith("$")
    if info["coupling_unit"]:
        assert "GeV$^{-1}$" in label


def test_model_info_parameters_of_the_dark_photon():
    assert model_info("dark-photon")["parameters"] == ("mass", "epsilon", "alpha_D", "m_chi",
                                                       "chi")
    assert model_info("x-boson")["parameters"] == ("mass", "kind", "coupling", "alpha_D", "m_chi")
    assert model_info("lmu-ltau")["parameters"] == ("mass", "g")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_coupling_labels_are_valid_mathtext(name):
    mathtext = pytest.importorskip("matplotlib.mathtext")
    parser = mathtext.MathTextParser("path")
    parser.parse(model_info(name)["coupling_label"])


@pytest.mark.parametrize("bad", ["x", "", "dark_photon", "ALP"])
def test_model_info_unknown_name(bad):
    with pytest.raises(InputError) as exc:
        model_info(bad)
    assert exc.value.field == "model"
    assert exc.value.message == f"unknown model {bad!r}; allowed: {', '.join(MODEL_NAMES)}"


def test_every_model_class_declares_its_coupling():
    for name in MODEL_NAMES:
        cls = type(first_point(name))
        assert issubclass(cls, Model)
        for attr in ("coupling_name", "coupling_unit", "coupling_scale", "coupling_label"):
            assert attr in dir(cls), (name, attr)
        assert isinstance(cls.coupling_label, str)
        assert cls.coupling_label


def test_backward_compatible_names_and_layering():
    import na64.models as models
    import na64.models.dark_photon as dp
    import na64.physics.widths as pw

    assert models.dark_photon_widths is pw.dark_photon_widths is dp.dark_photon_widths
    assert models.CHI_KINDS is pw.CHI_KINDS is dp.CHI_KINDS
    assert dp.MAX_MASS == pw.MAX_MASS
    assert dp.ChiKind is pw.ChiKind
    # the physics package never imports the models package
    code = ("import sys, na64.physics.widths, na64.physics.annihilation, na64.physics.relic; "
            "sys.exit('na64.models' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
