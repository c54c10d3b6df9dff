"""Complete data skip the FIML pattern machinery; the shortcuts equal the general route.

``fiml.prepare_group_data`` recognises complete data: one pattern, the saturated model
is the sample moments (no EM), the h1 observed information is the closed-form expected
one, and the first-order information comes from the data's moments up to order four
(``CompleteMoments``) instead of casewise scores.  Each shortcut is compared with the
general (pattern / EM / casewise) computation on the same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.sem import fiml
from tests.parity import REFERENCE_DIR

PD = REFERENCE_DIR / "data" / "PoliticalDemocracy.csv"


@pytest.fixture(scope="module")
def y() -> np.ndarray:
    return pd.read_csv(PD)[["y1", "y2", "y3", "y4", "x1", "x2", "x3"]].to_numpy(dtype=float)


def test_complete_data_take_the_short_route(y):
    gd = fiml.prepare_group_data(y)
    assert gd.complete and gd.patterns.n_patterns == 1 and gd.h1.iterations == 0
    with_nan = y.copy()
    with_nan[0, 0] = np.nan
    assert not fiml.prepare_group_data(with_nan).complete


def test_saturated_model_equals_em(y):
    gd = fiml.prepare_group_data(y)
    em = fiml.em_saturated(y, fiml.missing_patterns(y))
    np.testing.assert_allclose(gd.h1.mu, em.mu, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(gd.h1.sigma, em.sigma, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(gd.h1.loglik, em.loglik, rtol=1e-12, atol=0.0)


def test_first_order_information_from_moments_equals_casewise(y):
    gd = fiml.prepare_group_data(y)
    rng = np.random.default_rng(5)
    mu = gd.h1.mu + 0.3 * rng.standard_normal(y.shape[1])
    a = rng.standard_normal((y.shape[1], y.shape[1]))
    sigma = gd.h1.sigma + 0.2 * a @ a.T
    s = fiml.casewise_scores(y, mu, sigma)
    direct = s.T @ s / s.shape[0]
    closed = gd.moments4.first_order(mu, sigma)
    assert np.abs(closed - direct).max() <= 1e-10 * np.abs(direct).max()
    chunked = fiml.information_first_order(y, mu, sigma)
    assert np.abs(chunked - direct).max() <= 1e-12 * np.abs(direct).max()


def test_h1_observed_information_is_the_expected_one(y):
    gd = fiml.prepare_group_data(y)
    obs = fiml.information_observed(y, gd.h1.mu, gd.h1.sigma)
    np.testing.assert_allclose(fiml.information_complete(gd.h1.sigma), obs, rtol=0.0,
                               atol=1e-10 * np.abs(obs).max())


def test_information_blocks_without_kronecker_products(y):
    """D'(A kron B)D and (u' kron W)D by index formulas equal the explicit products."""
    p = 4
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((p, p)), rng.standard_normal((p, p))
    a, b = a + a.T, b + b.T
    u = rng.standard_normal(p)
    d = fiml.duplication_matrix(p)
    np.testing.assert_allclose(fiml._dkd(a, b), d.T @ np.kron(a, b) @ d, rtol=1e-13,
                               atol=1e-13)
    np.testing.assert_allclose(fiml._u_kron_w_d_sum(u[None, :], a[None]),
                               np.kron(u[None, :], a) @ d, rtol=1e-13, atol=1e-13)


def test_pattern_sum_of_u_kron_w_d_by_one_product():
    """sum_k (u_k' kron W_k)D through one p^2 x p product equals the explicit sum."""
    p, k = 5, 7
    rng = np.random.default_rng(11)
    w = rng.standard_normal((k, p, p))
    w = w + w.transpose(0, 2, 1)
    u = rng.standard_normal((k, p))
    d = fiml.duplication_matrix(p)
    explicit = sum(np.kron(u[j][None, :], w[j]) @ d for j in range(k))
    np.testing.assert_allclose(fiml._u_kron_w_d_sum(u, w), explicit, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("observed", [False, True])
def test_parameter_space_information_equals_delta_a_delta(observed, missing):
    """The information built pattern by pattern from dSigma/dx, dmu/dx equals
    Delta' A Delta with the moment information (complete data and missing patterns)."""
    from analysis.sem import compile_model
    from analysis.sem.api import sample_stats

    data = pd.read_csv(PD)
    if missing:
        rng0 = np.random.default_rng(9)
        for col in ("y1", "y3", "x2"):
            data.loc[rng0.random(len(data)) < 0.2, col] = np.nan
    syntax = ("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60\n"
              "y1 ~~ y3\n")
    cm = compile_model(syntax, data, meanstructure=True)
    stats, _ = sample_stats(cm, data, "ml" if missing else "listwise")
    bound = cm.bind(stats)
    gd = [fiml.prepare_group_data(st.data) for st in stats]
    rng = np.random.default_rng(4)
    x = bound.x_start(stats) + 0.05 * rng.standard_normal(bound.n_free)
    (mu, sigma), = fiml._moments_of(bound, x, gd)
    fast = fiml._info_theta(bound, x, 0, gd[0], mu, sigma, observed=observed)
    a = (fiml._info_observed(gd[0].stats, mu, sigma) if observed
         else fiml._info_expected(gd[0].stats, sigma))
    jac = bound.jacobian(x)[0]
    slow = jac.T @ a @ jac
    assert np.abs(fast - slow).max() <= 1e-10 * np.abs(slow).max()


@pytest.mark.parametrize("meanstructure", [False, True])
def test_h1_information_inverse_in_closed_form(meanstructure):
    """blockdiag(S, Gamma_NT) is the inverse of the complete-data h1 information."""
    from analysis.sem import compile_model

    data = pd.read_csv(PD)
    cm = compile_model("dem60 =~ y1 + y2 + y3 + y4", data, meanstructure=meanstructure)
    gd = [fiml.prepare_group_data(data[cm.ov_names].to_numpy(dtype=float))]
    (a1,), _ = fiml._h1_information(cm, gd)
    (inv,) = fiml._h1_information_inverse(cm, gd)
    np.testing.assert_allclose(inv @ a1, np.eye(a1.shape[0]), rtol=0.0, atol=1e-10)


def test_pattern_sum_of_dkd_by_one_product():
    """sum_k D'(A_k kron B_k)D through one p* x p* product equals the explicit sum."""
    p, k = 4, 5
    rng = np.random.default_rng(8)
    a = rng.standard_normal((k, p, p))
    b = rng.standard_normal((k, p, p))
    a, b = a + a.transpose(0, 2, 1), b + b.transpose(0, 2, 1)
    d = fiml.duplication_matrix(p)
    explicit = sum(d.T @ np.kron(a[j], b[j]) @ d for j in range(k))
    np.testing.assert_allclose(fiml._dkd_sum(a, b), explicit, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("which", ["expected", "observed"])
def test_both_information_routes_agree(which, monkeypatch):
    """The parameter-space and the moment-space routes give the same information."""
    from analysis.sem import compile_model
    from analysis.sem.api import sample_stats

    data = pd.read_csv(PD)
    rng = np.random.default_rng(3)
    for col in ("y2", "y6", "x1", "x3"):
        data.loc[rng.random(len(data)) < 0.15, col] = np.nan
    cm = compile_model("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\n"
                       "dem65 =~ y5 + y6 + y7 + y8\ndem65 ~ ind60 + dem60\n", data,
                       missing="ml")
    stats, _ = sample_stats(cm, data, "ml")
    bound = cm.bind(stats)
    gd = [fiml.prepare_group_data(st.data) for st in stats]
    assert gd[0].patterns.n_patterns >= fiml._SUM_MIN_PATTERNS
    x = bound.x_start(stats)
    fun = (fiml.expected_information_theta if which == "expected"
           else fiml.observed_information_theta)
    monkeypatch.setattr(fiml, "_theta_space", lambda *a: True)
    theta = fun(bound, x, gd)
    monkeypatch.setattr(fiml, "_theta_space", lambda *a: False)
    moment = fun(bound, x, gd)
    assert np.abs(theta - moment).max() <= 1e-10 * np.abs(moment).max()
