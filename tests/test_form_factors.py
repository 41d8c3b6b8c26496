"""Tests of na64.physics.form_factors (Tsai form factors, photon flux)."""

from __future__ import annotations

import numpy as np
import pytest
from hepunits import GeV

from na64.constants import M_E
from na64.errors import InputError
from na64.physics import form_factors as ff


def test_parameters_follow_bjorken_a18():
    # arXiv:0906.0580 Eq. (A18): a = 111 Z^(-1/3)/m_e, d = 0.164 GeV^2 A^(-2/3).
    pb = ff.nucleus(82, 207.2)
    assert pb.a_el == pytest.approx(111 * 82 ** (-1 / 3) / M_E)
    assert pb.d == pytest.approx(0.164 * GeV**2 * 207.2 ** (-2 / 3))
    assert pb.a_inel == pytest.approx(773 * 82 ** (-2 / 3) / M_E)


def test_elastic_plateau_is_z_squared_and_limits():
    pb = ff.nucleus(82, 207.2)
    t_mid = np.sqrt(pb.d / pb.a_el**2)  # geometric mean of screening and nuclear scales
    # between 1/a^2 and d the nucleus is a bare point charge: G2 = Z^2 (to ~1 % here)
    assert ff.elastic_g2(t_mid, pb) == pytest.approx(82**2, rel=0.01)
    # complete screening: G2 -> (a^2 t)^2 Z^2 -> 0; nuclear size: G2 ~ Z^2 (d/t)^2
    small = 1e-4 / pb.a_el**2
    assert ff.elastic_g2(small, pb) == pytest.approx(82**2 * 1e-8, rel=1e-3)
    big = 1e4 * pb.d
    assert ff.elastic_g2(big, pb) == pytest.approx(82**2 * 1e-8, rel=1e-3)


def test_inelastic_plateau_is_z():
    pb = ff.nucleus(82, 207.2)
    t = 100.0 / pb.a_inel**2  # well above the atomic scale, far below 0.71 GeV^2
    assert ff.inelastic_g2(t, pb) == pytest.approx(82, rel=0.03)
    assert ff.g2(t, pb) == pytest.approx(ff.elastic_g2(t, pb) + ff.inelastic_g2(t, pb))


def test_elastic_flux_matches_analytic_log():
    # chi(0, inf) / Z^2 = int_0^inf ds s/((1+s)^2 (1+s/D)^2), D = a^2 d, which for D >> 1 is
    # ln D - 2 + O(ln D / D) (expand; arXiv:0906.0580 Eq. (A17)-(A18)).  D = 1.2e7 for Pb.
    pb = ff.nucleus(82, 207.2)
    big_d = pb.a_el**2 * pb.d
    chi = ff.photon_flux(1e-30, 1e30, pb, inelastic=False)
    assert chi / 82**2 == pytest.approx(np.log(big_d) - 2.0, rel=2e-3)


def test_flux_properties():
    pb = ff.nucleus(82, 207.2)
    assert ff.photon_flux(10.0, 10.0, pb) == 0.0
    assert ff.photon_flux(10.0, 1.0, pb) == 0.0
    tmins = np.array([1e-8, 1e-4, 1.0, 100.0])
    chi = ff.photon_flux(tmins, 1e6, pb)
    assert np.all(np.diff(chi) < 0)  # raising tmin only removes flux
    assert chi.shape == (4,)


def test_material_components_and_errors():
    parts = ff.target_nuclei("BGO")
    fractions = sorted(round(f * 19) for _, f in parts)
    assert fractions == [3, 4, 12]  # Bi4Ge3O12
    with pytest.raises(InputError):
        ff.nucleus(0, 1)
    with pytest.raises(InputError):
        ff.nucleus(82, 10)
    with pytest.raises(InputError):
        ff.elastic_g2(-1.0, "Pb")
