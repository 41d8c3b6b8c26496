"""Recasting an invisible-mode limit to other models (na64.reach.recast, ``na64 recast``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import lambertw

from na64.cli import main
from na64.constants import ALPHA
from na64.physics.dark_brem import total_cross_section
from na64.reach.recast import electron_coupling, model_factory, recast_limits
from na64.units import GeV, MeV

E = math.sqrt(4.0 * math.pi * ALPHA)
E0 = 100 * GeV
THR = 50 * GeV
DP = model_factory("dark-photon", {"alpha_D": 0.5, "mass_ratio": 3.0})


def _recast(target, masses, eps, distance, **kw):
    return recast_limits(np.asarray(masses), np.asarray(eps), DP, target, energy=E0,
                         threshold=THR, distance=distance, **kw)


def test_identity_is_exact():
    masses, eps = [10 * MeV, 100 * MeV], [2.76e-5, 2.56e-4]
    r = _recast(DP, masses, eps, 6418.0)
    assert r.coupling_low == eps
    # the solver alone (a different but physically equivalent target) agrees to 1e-12
    r2 = _recast(model_factory("dark-photon", {"alpha_D": 0.5, "mass_ratio": 3.0 + 1e-13}),
                 masses, eps, 6418.0)
    assert r2.coupling_low == pytest.approx(eps, rel=1e-12)


def test_x_vector_same_electron_coupling():
    # L = 0: every boson "escapes", B = 1 for both models -> g_e(X) = eps, g_X = e eps
    r = _recast(model_factory("x-vector", {}), [10 * MeV, 300 * MeV], [2.76e-5, 1e-3], 0.0)
    assert r.coupling_low == pytest.approx([E * 2.76e-5, E * 1e-3], rel=1e-12)


def test_invisible_branching_scales_coupling():
    # L -> infinity: only invisible decays count; B-L (nu nu vs e+e-) needs g / sqrt(BR)
    m, eps = 50 * MeV, 1e-4
    bl = model_factory("b-l", {})
    r = _recast(bl, [m], [eps], 1e30)
    br_bl = bl(m, 1e-3).invisible_fraction
    br_dp = DP(m, eps).invisible_fraction
    assert 0.3 < br_bl < 0.9
    assert r.coupling_low[0] == pytest.approx(E * eps * math.sqrt(br_dp / br_bl), rel=1e-9)


@pytest.mark.parametrize("kind", ["x-scalar", "x-pseudoscalar", "x-axial"])
def test_spin_ratio_is_the_cross_section_ratio(kind):
    m, eps = 20 * MeV, 5e-5
    spin = kind.removeprefix("x-")
    r = _recast(model_factory(kind, {}), [m], [eps], 0.0)
    ratio = (total_cross_section(m, E0, spin=spin, threshold=THR)
             / total_cross_section(m, E0, spin="vector", threshold=THR))
    assert r.spin_ratio[0] == pytest.approx(ratio, rel=1e-12)
    assert r.coupling_low[0] == pytest.approx(E * eps / math.sqrt(ratio), rel=1e-9)
    # spin-0 spectra are harder than the vector's above the threshold (scalar dsigma/dx
    # rises towards x -> 1, arXiv:1609.06781 App. A); axial ~ vector for m << E0
    if kind == "x-axial":
        assert r.energy_target[0] == pytest.approx(r.energy_source[0], rel=1e-2)
    else:
        assert r.energy_target[0] > r.energy_source[0] * 1.01


def test_annihilation_dropped_for_scalars_only():
    m, eps = 20 * MeV, 5e-5
    kept = _recast(model_factory("x-vector", {}), [m], [eps], 0.0, annihilation_fraction=0.5)
    drop = _recast(model_factory("x-scalar", {}), [m], [eps], 0.0, annihilation_fraction=0.5)
    full = _recast(model_factory("x-scalar", {}), [m], [eps], 0.0)
    assert kept.coupling_low[0] == pytest.approx(E * eps, rel=1e-12)
    assert drop.coupling_low[0] == pytest.approx(full.coupling_low[0] * math.sqrt(2), rel=1e-9)
    assert any("annihilation" in n for n in drop.notes)


@pytest.mark.parametrize("distance", [6418.0, 2 * 6418.0])
def test_band_edges_match_lambert_w(distance):
    # x-vector decays only to e+e-: N/N_lim = k g^2 exp(-L g^2 / l1), l1 = decay length at
    # g = 1, so g^2 = -(l1/L) W(-L/(l1 k)) with the W_0 (low) and W_-1 (high) branches
    m, eps = 10 * MeV, 2.76e-5
    xv = model_factory("x-vector", {})
    r = _recast(xv, [m], [eps], distance)
    k = (1.0 / E**2) / (eps**2 * r.escape_source[0])
    l1 = float(xv(m, 1.0).decay_length(r.energy_target[0]))
    z = -distance / (l1 * k)
    low = math.sqrt(-(l1 / distance) * lambertw(z, 0).real)
    high = math.sqrt(-(l1 / distance) * lambertw(z, -1).real)
    assert r.coupling_low[0] == pytest.approx(low, rel=1e-9)
    assert r.coupling_high[0] == pytest.approx(high, rel=1e-9)


def test_doubling_distance_lowers_upper_edge():
    m, eps = 10 * MeV, 2.76e-5
    xv = model_factory("x-vector", {})
    h1 = _recast(xv, [m], [eps], 6418.0).coupling_high[0]
    h2 = _recast(xv, [m], [eps], 2 * 6418.0).coupling_high[0]
    assert h1 is not None
    assert h2 is not None
    # l ~ 1/g^2: g_high^2 L ~ const up to the slowly varying logarithm
    assert 0.6 < (h2 / h1) ** 2 * 2 < 1.0


def test_lmu_ltau_loop_coupling():
    lm = model_factory("lmu-ltau", {})(50 * MeV, 1e-3)
    eps = electron_coupling(lm)
    assert 1e-3 / 80 < eps < 1e-3 / 60  # e g ln(m_tau^2/m_mu^2) / (12 pi^2) ~ g / 70


@settings(max_examples=12, deadline=None)
@given(st.floats(2 * MeV, 2 * GeV), st.floats(1e-8, 1e-2), st.floats(0.0, 1e5))
def test_no_nan(mass, eps, distance):
    r = _recast(model_factory("x-vector", {}), [mass], [eps], distance)
    for arr in (r.spin_ratio, r.production_ratio, r.escape_source, r.energy_target):
        assert np.all(np.isfinite(arr))
    lo, hi = r.coupling_low[0], r.coupling_high[0]
    assert lo is None or (math.isfinite(lo) and lo > 0)
    assert hi is None or (lo is not None and math.isfinite(hi) and hi >= lo)


def _source(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    d.mkdir()
    masses, eps = [0.01, 0.1], [2.76e-5, 2.56e-4]
    rows = ["mass_GeV,epsilon_90cl,signal_per_eot_eps1,annihilation_signal_per_eot_eps1"]
    rows += [f"{m},{e},{1e-2},0" for m, e in zip(masses, eps, strict=True)]
    (d / "limits.csv").write_text("\n".join(rows) + "\n")
    (d / "summary.json").write_text(json.dumps({
        "model": "dark-photon", "coupling": {"name": "epsilon", "unit": ""},
        "energy_GeV": 100.0, "setup": "na64e_2016_2018", "analysis": "test",
        "signal": {"alpha_d": 0.5, "mass_ratio": 3.0, "chi": "dirac"},
        "efficiency_per_mass": [{"mass_GeV": m, "e_aprime_min_GeV": 50.0} for m in masses]}))
    return d


def test_cli_writes_identity(tmp_path, capsys):
    src = _source(tmp_path)
    out = tmp_path / "out"
    main(["recast", str(src), "--model", "dark-photon", "--out", str(out), "--no-plots"])
    text = (out / "limits.csv").read_text().splitlines()
    assert text[0].startswith("mass_GeV,coupling_90cl,coupling_low,coupling_high")
    assert [float(r.split(",")[1]) for r in text[1:]] == [2.76e-5, 2.56e-4]
    assert json.loads((out / "summary.json").read_text())["model"] == "dark-photon"


@pytest.mark.parametrize("args", [
    ["MISSING", "--model", "x-vector"],
    ["SRC", "--model", "nope"],
    ["SRC", "--model", "alp"],
    ["EMPTY", "--model", "x-vector"],
    ["SRC", "--model", "x-vector", "--alpha-d", "0.1"],
    ["XSRC", "--model", "x-vector"],
])
def test_cli_bad_input(tmp_path, capsys, args):
    src = _source(tmp_path)
    (tmp_path / "empty").mkdir()
    xsrc = tmp_path / "xsrc"  # an x-vector result without a limit column on its coupling
    xsrc.mkdir()
    summary = json.loads((src / "summary.json").read_text())
    summary.update(model="x-vector", coupling={"name": "coupling", "unit": ""})
    (xsrc / "summary.json").write_text(json.dumps(summary))
    (xsrc / "limits.csv").write_text((src / "limits.csv").read_text())
    subst = {"MISSING": str(tmp_path / "missing"), "SRC": str(src),
             "EMPTY": str(tmp_path / "empty"), "XSRC": str(xsrc)}
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(["recast", *[subst.get(a, a) for a in args], "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("na64: error:")
    assert "\n" not in err
    assert not out.exists()
