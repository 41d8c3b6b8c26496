"""Cross-checks of the limits against pyhf (an independent implementation)."""

from __future__ import annotations

import pytest

from na64.stats import upper_limit

pyhf = pytest.importorskip("pyhf")

# pyhf 0.7.6 uses the deprecated jsonschema.RefResolver; not our concern here.
pytestmark = pytest.mark.filterwarnings("ignore:jsonschema.RefResolver:DeprecationWarning")


def _pyhf_cls(s: float, n: int, b: float, sigma_b: float) -> float:
    # pyhf "uncorrelated_background": shapesys = Poisson auxiliary measurement with
    # tau = (b/sigma_b)^2, the same constraint as na64.stats.asymptotic; mu = 1 <-> s.
    pyhf.set_backend("numpy")
    model = pyhf.simplemodels.uncorrelated_background(
        signal=[s], bkg=[b], bkg_uncertainty=[sigma_b]
    )
    data = [n, *model.config.auxdata]
    return float(pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde", calctype="asymptotics"))


@pytest.mark.parametrize(
    ("n", "b", "sigma_b"), [(100, 100.0, 10.0), (5, 3.0, 1.0), (80, 100.0, 20.0), (130, 100.0, 5.0)]
)
def test_asymptotic_cls_agrees_with_pyhf(n: int, b: float, sigma_b: float) -> None:
    # Same likelihood, same q~_mu and Asimov convention (CCGV arXiv:1007.1727 eqs. 16, 65),
    # so pyhf's CLs at our limit must be 1 - cl = 0.10; the residual comes only from the two
    # minimizers (pyhf's scipy fit tolerance ~1e-6 in the NLL) -> tolerance 1e-4 absolute.
    s_up = upper_limit(n, b, sigma_b, method="cls-asymptotic")
    assert _pyhf_cls(s_up, n, b, sigma_b) == pytest.approx(0.10, abs=1e-4)


def test_exact_cls_close_to_pyhf_asymptotics_at_large_counts() -> None:
    # n = b = 400, sigma_b = 20: the asymptotic regime.  Exact (marginalized, discrete) and
    # asymptotic (profiled) limits differ by O(1/sqrt(n)) = 5% times a small coefficient and by
    # the discrete convention (P(n = n_obs) counted in full, ~ +0.5 event): tolerance 3%.
    s_exact = upper_limit(400, 400.0, 20.0)
    s_asym = upper_limit(400, 400.0, 20.0, method="cls-asymptotic")
    assert s_exact == pytest.approx(s_asym, rel=0.03)
    # pyhf's CLs at the exact limit is near 0.10 (same 3% in s -> ~0.01 in CLs here).
    assert _pyhf_cls(s_exact, 400, 400.0, 20.0) == pytest.approx(0.10, abs=0.01)
