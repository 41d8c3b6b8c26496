"""Single-run upper limits: exact CLs, Bayes, classical Poisson and asymptotic CLs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, optimize, special, stats

from na64.errors import InputError
from na64.stats import cls_value, upper_limit

# Root finding uses xtol = 1e-9 (absolute) and rtol = 1e-10: a relative tolerance of 1e-7
# on limits of order 1-100 leaves more than two orders of magnitude of margin.
ROOT_TOL = 1e-7


@pytest.mark.parametrize("b", [0.0, 0.53, 3.0, 50.0])
@pytest.mark.parametrize("sigma_b_rel", [0.0, 0.3])
def test_cls_zero_observed_is_ln10_for_any_background(b: float, sigma_b_rel: float) -> None:
    # Read, J.Phys.G 28 (2002) 2693: with n = 0, CL_{s+b}/CL_b = exp(-(s+b))/exp(-b) = exp(-s),
    # so s_up = ln(1/0.1) = 2.302585 at 90% CL.  Marginalizing b multiplies numerator and
    # denominator by the same E[exp(-beta)], so the result also holds with sigma_b > 0.
    s_up = upper_limit(0, b, sigma_b_rel * b)
    assert s_up == pytest.approx(math.log(10.0), rel=ROOT_TOL)


@pytest.mark.parametrize("method", ["frequentist-poisson", "bayes", "cls"])
@pytest.mark.parametrize(("n", "ref"), [(0, 2.30), (1, 3.89), (2, 5.32), (3, 6.68)])
def test_zero_background_pdg_table(method: str, n: int, ref: float) -> None:
    # PDG Review of Particle Physics 2024, Statistics, Table 40.3 (90% CL upper limits for a
    # Poisson mean with b = 0; classical and flat-prior Bayesian coincide): 2.30, 3.89, 5.32,
    # 6.68.  The table is printed with two decimals -> tolerance 0.005 absolute.
    assert upper_limit(n, 0.0, method=method) == pytest.approx(ref, abs=0.005)


def _helene_limit(n: int, b: float, cl: float) -> float:
    # Independent implementation of Helene's formula (NIM 212 (1983) 319; PDG 2024 sec. 40.4.1):
    # 1 - cl = Q(n+1, s+b) / Q(n+1, b), Q = regularized upper incomplete Gamma function,
    # since sum_{k<=n} Poisson(k; mu) = Q(n+1, mu).
    def f(s: float) -> float:
        return float(special.gammaincc(n + 1, s + b) / special.gammaincc(n + 1, b)) - (1 - cl)

    return float(optimize.brentq(f, 1e-9, 200.0, xtol=1e-12))


@pytest.mark.parametrize(("n", "b"), [(1, 0.5), (2, 1.5), (5, 3.0), (10, 12.0), (0, 7.0)])
@pytest.mark.parametrize("cl", [0.90, 0.95])
def test_cls_and_bayes_equal_helene_formula_for_known_background(
    n: int, b: float, cl: float
) -> None:
    # For one Poisson channel with known b, CLs and the flat-prior Bayesian limit are both
    # given by Helene's formula (PDG 2024 sec. 40.4.1).  Tolerance: root-finding precision.
    ref = _helene_limit(n, b, cl)
    assert upper_limit(n, b, cl=cl, method="cls") == pytest.approx(ref, rel=ROOT_TOL)
    assert upper_limit(n, b, cl=cl, method="bayes") == pytest.approx(ref, rel=ROOT_TOL)


def test_marginalized_cls_matches_numerical_integration_over_gamma_prior() -> None:
    # Cousins-Highland (NIM A320 (1992) 331): CL(s) = int Q(n+1, s+beta) Gamma(beta) dbeta.
    # Computed here by quadrature, independently of the negative-binomial closed form.
    # quad's absolute error estimate is < 1e-10; tolerance 1e-7 relative.
    n, b, sigma_b, s = 2, 1.5, 0.6, 4.0
    k = (b / sigma_b) ** 2
    prior = stats.gamma(a=k, scale=b / k)

    def clsb(mu: float) -> float:
        val, _ = integrate.quad(
            lambda x: special.gammaincc(n + 1, mu + x) * prior.pdf(x), 0.0, np.inf, epsabs=1e-12
        )
        return float(val)

    ref = clsb(s) / clsb(0.0)
    assert float(cls_value(s, n, b, sigma_b)) == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize("sigma", [0.1, 0.3, 0.5])
def test_signal_uncertainty_zero_observed_closed_form(sigma: float) -> None:
    # n = 0: CLs = E[exp(-s kappa)] with kappa ~ Gamma(mean 1, sd sigma), i.e. the Gamma
    # Laplace transform (1 + s sigma^2)^(-1/sigma^2) -> s_up = (alpha^(-sigma^2) - 1)/sigma^2.
    ref = (0.1 ** (-(sigma**2)) - 1.0) / sigma**2
    assert upper_limit(0, 1.0, 0.2, sigma_s_rel=sigma) == pytest.approx(ref, rel=ROOT_TOL)


@pytest.mark.parametrize("method", ["cls", "bayes", "frequentist-poisson", "cls-asymptotic"])
def test_limit_grows_with_signal_uncertainty(method: str) -> None:
    # A less certain signal yield can only weaken the limit (Cousins-Highland, NIM A320 (1992) 331).
    lims = [upper_limit(3, 2.0, 0.5, sigma_s_rel=x, method=method) for x in (0.0, 0.1, 0.3, 0.5)]
    assert all(b > a for a, b in itertools.pairwise(lims))


def test_limit_grows_with_background_uncertainty_when_excess() -> None:
    # With n_obs > b, a wider background prior makes a lower true background more plausible,
    # i.e. more room for signal (known behaviour of marginalized limits, PDG 2024 sec. 40.4.2).
    lims = [upper_limit(5, 2.0, x) for x in (0.0, 0.5, 1.0, 1.5)]
    assert all(b > a for a, b in itertools.pairwise(lims))


def test_large_counts_approach_gaussian_limits() -> None:
    # n_obs = b = 1e4: CLs -> Phi^-1(1 - alpha/2) sqrt(b) = 1.645 sqrt(b) (CCGV arXiv:1007.1727
    # eq. 89, N = 0), the classical CL_{s+b} limit -> Phi^-1(1 - alpha) sqrt(b) = 1.2816 sqrt(b).
    # Tolerance 1.5%: Poisson skewness corrections are O(1/sqrt(b)) = 1% and the exact
    # discrete limit counts P(n = n_obs) in full (+0.5 event, 0.3%).
    b = 1.0e4
    z_cls = stats.norm.ppf(0.95)
    z_clsb = stats.norm.ppf(0.90)
    assert upper_limit(10_000, b) / math.sqrt(b) == pytest.approx(z_cls, rel=0.015)
    assert upper_limit(10_000, b, method="cls-asymptotic") / math.sqrt(b) == pytest.approx(
        z_cls, rel=0.015
    )
    freq = upper_limit(10_000, b, method="frequentist-poisson")
    assert freq / math.sqrt(b) == pytest.approx(z_clsb, rel=0.015)


def test_cls_value_at_limit_is_alpha_and_bounded() -> None:
    s_up = upper_limit(4, 2.5, 0.8, sigma_s_rel=0.2, cl=0.95)
    assert float(cls_value(s_up, 4, 2.5, 0.8, sigma_s_rel=0.2)) == pytest.approx(0.05, rel=1e-6)
    vals = cls_value(np.linspace(0.0, 50.0, 11), 4, 2.5, 0.8)
    assert vals[0] == pytest.approx(1.0)
    assert np.all(np.diff(vals) < 0)
    assert np.all(vals > 0)


def test_frequentist_limit_empty_interval_is_zero() -> None:
    # n = 0 with b = 5: P(0 | b) = e^-5 < 0.1, so even s = 0 is excluded (PDG 2024 sec. 40.4.2
    # discusses these empty intervals); the function reports 0, never a negative limit.
    assert upper_limit(0, 5.0, method="frequentist-poisson") == 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_obs": -1, "b": 1.0}, "n_obs"),
        ({"n_obs": 1.5, "b": 1.0}, "n_obs"),
        ({"n_obs": 1, "b": -0.1}, "b"),
        ({"n_obs": 1, "b": float("nan")}, "b"),
        ({"n_obs": 1, "b": 0.0, "sigma_b": 0.1}, "sigma_b"),
        ({"n_obs": 1, "b": 1.0, "sigma_s_rel": 1.2}, "sigma_s_rel"),
        ({"n_obs": 1, "b": 1.0, "cl": 1.0}, "cl"),
        ({"n_obs": 1, "b": 1.0, "method": "feldman-cousins"}, "method"),
    ],
)
def test_bad_input_raises_input_error(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        upper_limit(**kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field


@pytest.mark.parametrize("method", ["cls", "frequentist-poisson"])
@pytest.mark.parametrize("b", [0.5, 3.0])
def test_known_background_limits_cover(method: str, b: float) -> None:
    # Coverage, summed exactly over n ~ Poisson(s + b): the classical (Neyman) limit covers at
    # least cl by construction (PDG 2024 sec. 40.4.2) and CLs, being larger, over-covers (Read,
    # J. Phys. G 28 (2002) 2693).  A discrete distribution cannot cover exactly: ">=" only,
    # with the 1e-9 slack of the root finder.
    n = np.arange(60)
    s_up = np.array([upper_limit(int(k), b, method=method) for k in n])
    for s_true in np.linspace(0.2, 15.0, 38):
        cover = float(np.sum(stats.poisson.pmf(n, s_true + b)[s_up >= s_true]))
        assert cover >= 0.90 - 1e-9
