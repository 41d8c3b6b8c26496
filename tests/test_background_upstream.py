"""Electro-/photo-nuclear backgrounds (na64.background.upstream) and their place in the
background estimate of the invisible search.

Published numbers used for comparison only: NA64, PRL 123 (2019) 121801, arXiv:1906.00176,
Table I: total expected background 0.53 ± 0.17 events for 2.84e11 EOT, dominated by
"e− hadron interactions in the beam line".
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from na64.background import (
    MISSING_ENERGY_SOURCES,
    BackgroundContext,
    BackgroundEstimate,
    BackgroundSource,
    estimate_background,
    upstream_electronuclear,
)
from na64.background.upstream import (
    NuclearModel,
    escape_probability,
    photon_flux,
    photonuclear_probability,
    pt_survival,
    target_photonuclear_per_eot,
    target_punch_through,
    upstream_layers,
)
from na64.detector import load_setup
from na64.detector.setup import UpstreamLayer, setup_from_dict
from na64.errors import InputError
from na64.materials import get_material
from na64.physics.photoabsorption import sigma_gamma_nucleus, sigma_gamma_p
from na64.pipeline import EventPipeline
from na64.reach import Search
from na64.reach.config import load_analysis
from na64.units import GeV, MeV, mm

EOT_2016_2018 = 2.84e11
PUBLISHED_TOTAL = (0.53, 0.17)  # arXiv:1906.00176, Table I


@pytest.fixture(scope="module")
def builder() -> BackgroundContext:
    return Search(load_analysis("invisible_2016_2018")).background_context


def _with_layers(ctx: BackgroundContext, layers: tuple[UpstreamLayer, ...],
                 trackers: bool = False) -> BackgroundContext:
    """The background context of the analysis with only ``layers`` upstream."""
    setup = ctx.pipeline.setup
    up = setup.upstream.model_copy(update={"layers": layers, "include_trackers": trackers})
    pipe = EventPipeline(setup.model_copy(update={"upstream": up}), ctx.pipeline.beam)
    return BackgroundContext(pipe, ctx.selection)


# ------------------------------------------------------------------ cross sections, fluxes
def test_sigma_gamma_p_matches_measured_value_at_sps_energies() -> None:
    # sigma(gamma p) ~ 0.115-0.12 mb at sqrt(s) ~ 10-15 GeV (PDG 2024, "Plots of cross sections")
    sig = float(sigma_gamma_p(150.0 * GeV**2)) / (1e-27 * 100.0)  # mm^2 -> mb (1 mb = 1e-25 mm^2)
    assert 0.10 < sig < 0.13


def test_nuclear_shadowing_reduces_the_cross_section_per_nucleon() -> None:
    nu = 75 * GeV
    per_nucleon = {a: float(sigma_gamma_nucleus(nu, a)) / a for a in (12.0, 63.5, 207.2)}
    assert per_nucleon[12.0] > per_nucleon[63.5] > per_nucleon[207.2] > 0
    with pytest.raises(InputError):
        sigma_gamma_nucleus(nu, -1.0)


def test_photon_flux_is_positive_finite_and_zero_outside_the_range() -> None:
    y = np.array([-1.0, 0.0, 1e-6, 0.3, 0.5, 0.9, 0.999999, 1.0, 2.0, np.nan])
    f = photon_flux(y, 100 * GeV)
    assert np.all(np.isfinite(f))
    assert np.all(f >= 0)
    assert f[0] == f[1] == f[7] == f[8] == f[9] == 0.0
    # ~ alpha/pi ln(Q2max/Q2min)/y at small y: N(y > 0.5) ~ 1e-2 per nuclear collision
    grid = np.linspace(0.5, 1 - 1e-9, 20001)
    n = np.trapezoid(photon_flux(grid, 100 * GeV), grid)
    assert 0.005 < n < 0.03


def test_photonuclear_probability_scales_with_thickness_and_vanishes_without_material() -> None:
    al = get_material("Al")
    p1 = photonuclear_probability(al, 1 * mm, 75 * GeV)
    p2 = photonuclear_probability(al, 2 * mm, 75 * GeV)
    assert p1 > 0
    assert p2 == pytest.approx(2 * p1, rel=1e-12)
    assert photonuclear_probability(al, 0.0, 75 * GeV) == 0.0
    with pytest.raises(InputError):
        photonuclear_probability(al, -1.0, 75 * GeV)


# ------------------------------------------------------------------ hadronic final state
def test_pt_survival_limits_and_power_law_tail() -> None:
    p = np.linspace(0, 5 * GeV, 101)
    for power in (0.0, 12.0, 50.0):
        s = pt_survival(p, 350 * MeV, power)
        assert s[0] == pytest.approx(1.0)
        assert np.all(np.diff(s) <= 0)
        assert np.all(s >= 0)
    # the power-law tail is harder and tends to the exponential (CKP) form for n -> infinity
    assert pt_survival(np.array([3 * GeV]), 350 * MeV, 12.0)[0] > pt_survival(
        np.array([3 * GeV]), 350 * MeV)[0]
    assert pt_survival(np.array([1 * GeV]), 350 * MeV, 1e3)[0] == pytest.approx(
        pt_survival(np.array([1 * GeV]), 350 * MeV)[0], rel=0.05)


def test_escape_probability_is_a_probability_and_falls_closer_to_the_hcal() -> None:
    rng = np.random.default_rng(3)
    nu = np.full(20000, 70 * GeV)
    far = escape_probability(nu, np.full(nu.size, 0.02), rng)
    near = escape_probability(nu, np.full(nu.size, 0.15), rng)
    for p in (far, near):
        assert np.all(np.isfinite(p))
        assert np.all((p >= 0) & (p <= 1))
    assert far.mean() > 100 * near.mean() > 0
    assert escape_probability(np.zeros(0), np.zeros(0), rng).size == 0


def test_bad_model_parameters_raise_input_error_naming_the_field() -> None:
    with pytest.raises(InputError) as err:
        NuclearModel(mean_pt=-1.0)
    assert "mean_pt" in err.value.field
    with pytest.raises(InputError) as err:
        NuclearModel(pt_power=2.0)
    assert "pt_power" in err.value.field


def test_upstream_layer_needs_exactly_one_thickness() -> None:
    from importlib import resources

    import tomllib

    text = (resources.files("na64.data") / "setups" / "na64e_2016_2018.toml").read_text()
    data = tomllib.loads(text)
    data["upstream"]["layers"][0]["x_over_x0"] = 0.01  # now both thickness and x_over_x0
    with pytest.raises(InputError) as err:
        setup_from_dict(data)
    assert err.value.field.startswith("upstream.layers.0")
    data["upstream"]["layers"][0].pop("x_over_x0")
    data["upstream"]["layers"][0]["z"] = "1m"  # downstream of the target face
    with pytest.raises(InputError):
        setup_from_dict(data)


def test_shipped_setup_lists_upstream_material_and_the_trackers_after_the_magnets() -> None:
    setup = load_setup("na64e_2016_2018")
    slabs = upstream_layers(setup)
    names = [s.name for s in slabs]
    assert "tracker MM3" in names
    assert "tracker MM4" in names
    assert "tracker MM1" not in names  # upstream of the dipoles: momentum would be wrong
    assert all(s.z1 <= 0 and s.thickness > 0 for s in slabs)


# ------------------------------------------------------------------ the background sources
def test_no_upstream_material_gives_no_source(builder: BackgroundContext) -> None:
    b = _with_layers(builder, ())
    assert upstream_electronuclear(b, np.random.default_rng(1), 500) is None


def test_rate_scales_with_the_material_budget(builder: BackgroundContext) -> None:
    one = (UpstreamLayer(name="counter", material="Sc", z=-2000.0, thickness=2.0),)
    two = (UpstreamLayer(name="counter", material="Sc", z=-2000.0, thickness=4.0),)
    s1 = upstream_electronuclear(_with_layers(builder, one), np.random.default_rng(5), 4000)
    s2 = upstream_electronuclear(_with_layers(builder, two), np.random.default_rng(5), 4000)
    assert s1 is not None
    assert s2 is not None
    # interaction rate (first cut-flow row) exactly doubles; the selected rate too (same
    # random stream, 2 mm shift of the interaction point only)
    assert s2.cutflow[0][1] == pytest.approx(2 * s1.cutflow[0][1], rel=1e-9)
    assert s2.per_eot == pytest.approx(2 * s1.per_eot, rel=0.05)
    for s in (s1, s2):
        assert math.isfinite(s.per_eot)
        assert math.isfinite(s.per_eot_unc)
        assert s.per_eot >= 0
        assert s.per_eot_unc >= 0
        assert s.notes


def test_material_further_upstream_gives_more_background(builder: BackgroundContext) -> None:
    near = (UpstreamLayer(name="foil", material="Al", z=-1000.0, thickness=1.0),)
    far = (UpstreamLayer(name="foil", material="Al", z=-15000.0, thickness=1.0),)
    s_near = upstream_electronuclear(_with_layers(builder, near), np.random.default_rng(2), 3000)
    s_far = upstream_electronuclear(_with_layers(builder, far), np.random.default_rng(2), 3000)
    assert s_far.per_eot > 10 * s_near.per_eot


def test_target_punch_through_is_a_tiny_positive_bound(builder: BackgroundContext) -> None:
    n_int = target_photonuclear_per_eot(builder.pipeline.setup, 100 * GeV, 50 * GeV)
    # hard-photon track length ~0.57 X0 x sigma_gammaA/sigma_pair(Pb) ~ 3e-4: ~1e-4 per EOT
    assert 3e-5 < n_int < 1e-3
    v, u, note = target_punch_through(builder.pipeline.setup, 100 * GeV, 50 * GeV)
    assert 0 < v < 1e-15
    assert u == v
    assert "lambda_int" in note
    assert target_photonuclear_per_eot(builder.pipeline.setup, 100 * GeV, 150 * GeV) == 0.0


def test_total_uncertainty_is_the_quadrature_sum_and_scales_with_eot() -> None:
    est = BackgroundEstimate((BackgroundSource("a", 3e-12, 4e-12, "x"),
                              BackgroundSource("b", 1e-12, 3e-12, "y")))
    assert est.per_eot == pytest.approx(4e-12)
    assert est.per_eot_unc == pytest.approx(5e-12)
    for eot in (1e10, EOT_2016_2018, 1e13):
        assert est.per_eot * eot / (est.per_eot * 1e10) == pytest.approx(eot / 1e10)


@pytest.fixture(scope="module")
def full_estimate(builder: BackgroundContext) -> BackgroundEstimate:
    return estimate_background(builder, np.random.default_rng(11), n_events=3000,
                               sources=MISSING_ENERGY_SOURCES)


def test_estimate_contains_the_nuclear_sources_with_notes(full_estimate: BackgroundEstimate) -> None:
    names = [s.name for s in full_estimate.sources]
    assert "e- nuclear interactions upstream" in names
    assert any("punch-through" in n for n in names)
    for s in full_estimate.sources:
        assert math.isfinite(s.per_eot)
        assert math.isfinite(s.per_eot_unc)
        assert s.per_eot >= 0
        assert s.per_eot_unc >= 0
    up = next(s for s in full_estimate.sources if s.name == "e- nuclear interactions upstream")
    assert any("assumed" in n for n in up.notes)
    # the model uncertainty makes the total uncertainty of the exposure non-negligible
    assert full_estimate.per_eot_unc * EOT_2016_2018 > 0.01


@pytest.mark.xfail(strict=True, reason=(
    "known discrepancy: with the assumed material (vacuum pipe up to 3.5 m before the ECAL) "
    "the electro-nuclear model gives ~0.02 ± 0.07 events for 2.84e11 EOT vs 0.53 ± 0.17 "
    "published (arXiv:1906.00176); the result depends steeply on the unknown material layout "
    "(18 m of air would give ~1e3 events) and on the hadron p_T tail (see the source notes). "
    "Tolerance a factor 3: no parameter is fitted to NA64 data and the model's own "
    "variations span more than a factor 10"))
def test_total_for_2016_2018_within_factor_3_of_published(full_estimate: BackgroundEstimate
                                                          ) -> None:
    total = full_estimate.per_eot * EOT_2016_2018
    assert PUBLISHED_TOTAL[0] / 3 < total < 3 * PUBLISHED_TOTAL[0]


def test_total_is_not_above_what_zero_observed_events_allow(full_estimate: BackgroundEstimate
                                                             ) -> None:
    # NA64 observed 0 events in the box for 2.84e11 EOT (arXiv:1906.00176): an expectation
    # above ~5 events would be excluded at > 99% CL, whatever the model details
    assert full_estimate.per_eot * EOT_2016_2018 < 5.0
