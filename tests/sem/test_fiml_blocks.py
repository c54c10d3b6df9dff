"""FIML building blocks (analysis.sem.fiml) against lavaan 0.6.14 internals.

Reference: tests/reference/sem_fiml/make_reference.R (lavInspect/lavTech exports at the
lavaan solution: sigma.hat, mean.ov, h1 (EM), patterns, unit information matrices).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.sem import fiml
from tests.parity import REFERENCE_DIR, assert_close, load_reference

CASES = {
    "hs_mcar10": ("sem_fiml/hs_mcar10_mlr.json", "sem_fiml/hs_mcar10.csv"),
    "poldem_mar": ("sem_fiml/poldem_mar_mlr.json", "sem_fiml/poldem_mar.csv"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    ref = load_reference(CASES[request.param][0])
    data = pd.read_csv(REFERENCE_DIR / CASES[request.param][1])
    y = data[ref["ov_names"]].to_numpy(dtype=float)
    pat = fiml.missing_patterns(y)
    return {
        "ref": ref,
        "y": y,
        "pat": pat,
        "mu": np.array(ref["mu_hat"][0]),
        "sigma": np.array(ref["sigma_hat"][0]),
        "h1": fiml.em_saturated(y, pat),
    }


def test_patterns_match_lavaan(case):
    ref = np.array(case["ref"]["patterns"][0], dtype=bool)
    ours = case["pat"].observed
    assert ours.shape == ref.shape
    assert {tuple(r) for r in ours} == {tuple(r) for r in ref}
    assert case["pat"].counts.sum() == case["y"].shape[0]
    # every case sits in a pattern that matches its own observed set
    obs = ~np.isnan(case["y"])
    assert (ours[case["pat"].case_pattern] == obs).all()


def test_loglik_at_lavaan_solution(case):
    ll = fiml.loglik(case["y"], case["mu"], case["sigma"], case["pat"])
    assert_close(ll, case["ref"]["loglik"], atol=1e-6, rtol=0.0, what="logl")


def test_em_saturated_matches_lavaan_h1(case):
    h1 = case["h1"]
    ref = case["ref"]
    assert h1.converged
    # lavaan's EM stops earlier than ours (its tolerance is looser): 1e-4 on the moments
    assert_close(h1.mu, ref["h1_mean"][0], atol=1e-4, rtol=0.0, what="h1 mean")
    assert_close(h1.sigma, ref["h1_cov"][0], atol=1e-4, rtol=0.0, what="h1 cov")
    assert_close(
        h1.loglik, ref["fit_measures"]["unrestricted.logl"], atol=1e-6, rtol=0.0, what="h1 logl"
    )


def test_em_is_a_stationary_point(case):
    g = fiml.loglik_gradient(case["y"], case["h1"].mu, case["h1"].sigma, case["pat"])
    assert np.max(np.abs(g)) < 1e-5


@pytest.mark.parametrize(
    "name, where, fn",
    [
        ("A1_structured", "model", fiml.information_observed),
        ("B1_structured", "model", fiml.information_first_order),
        ("A1_h1", "h1", fiml.information_observed),
        ("B1_h1", "h1", fiml.information_first_order),
    ],
)
def test_information_matrices_match_lavaan(case, name, where, fn):
    if where == "model":
        mu, sigma, atol = case["mu"], case["sigma"], 1e-8
    else:  # lavaan's h1 moments are less converged than ours
        mu, sigma, atol = case["h1"].mu, case["h1"].sigma, 5e-4
    ours = fn(case["y"], mu, sigma, case["pat"])
    assert_close(ours, case["ref"][name][0], atol=atol, rtol=0.0, what=name)


def _moments_to_mu_sigma(m, p):
    r, c = fiml.vech_indices(p)
    s = np.zeros((p, p))
    s[r, c] = m[p:]
    s[c, r] = m[p:]
    return m[:p], s


def test_gradient_and_hessian_against_finite_differences(case):
    y, pat = case["y"], case["pat"]
    p = y.shape[1]
    m0 = np.concatenate([case["mu"], fiml.vech(case["sigma"])])
    rng = np.random.default_rng(1)
    idx = rng.choice(m0.size, size=8, replace=False)

    def ll(m):
        mu, s = _moments_to_mu_sigma(m, p)
        return fiml.loglik(y, mu, s, pat)

    def grad(m):
        mu, s = _moments_to_mu_sigma(m, p)
        return fiml.loglik_gradient(y, mu, s, pat)

    g = grad(m0)
    h = 1e-5
    for k in idx:
        e = np.zeros_like(m0)
        e[k] = h
        assert_close(
            g[k], (ll(m0 + e) - ll(m0 - e)) / (2 * h), atol=1e-4, rtol=1e-6, what="gradient"
        )
        # observed information = -(1/N) d gradient / d m
        col = -(grad(m0 + e) - grad(m0 - e)) / (2 * h) / y.shape[0]
        info = fiml.information_observed(y, *_moments_to_mu_sigma(m0, p), pat)
        assert_close(info[:, k], col, atol=1e-6, rtol=1e-5, what="hessian column")
    scores = fiml.casewise_scores(y, case["mu"], case["sigma"], pat)
    assert_close(scores.sum(axis=0), g, atol=1e-9, rtol=1e-9, what="sum of scores")
    assert_close(
        fiml.loglik_casewise(y, case["mu"], case["sigma"], pat).sum(),
        ll(m0),
        atol=1e-9,
        rtol=0.0,
        what="casewise",
    )


def test_expected_equals_observed_for_complete_data_at_sample_moments():
    data = pd.read_csv(REFERENCE_DIR / "data" / "HolzingerSwineford1939.csv")
    y = data[[f"x{i}" for i in range(1, 10)]].to_numpy(dtype=float)
    mu = y.mean(axis=0)
    s = np.cov(y.T, bias=True)
    obs = fiml.information_observed(y, mu, s)
    assert_close(obs, fiml.information_expected(y, mu, s), atol=1e-10, rtol=0.0, what="info")
    assert_close(obs, fiml.information_complete(s), atol=1e-10, rtol=0.0, what="complete")
    h1 = fiml.em_saturated(y)
    assert_close(h1.sigma, s, atol=1e-12, rtol=0.0, what="EM on complete data")


def test_independence_moments_maximise_the_diagonal_likelihood(case):
    y, pat = case["y"], case["pat"]
    mu, s = fiml.independence_moments(y, pat)
    ll0 = fiml.loglik(y, mu, s, pat)
    g = fiml.loglik_gradient(y, mu, s, pat)
    p = y.shape[1]
    r, c = fiml.vech_indices(p)
    assert np.max(np.abs(g[:p])) < 1e-8
    assert np.max(np.abs(g[p:][r == c])) < 1e-8
    assert fiml.loglik(y, mu * 1.01, s, pat) < ll0


def test_rows_without_any_observation_are_refused():
    y = np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, 1.0]])
    with pytest.raises(DataError, match="every variable missing"):
        fiml.missing_patterns(y)


def test_vech_and_duplication_agree():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    assert fiml.vech(a).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert_close(
        fiml.duplication_matrix(3) @ fiml.vech(a), a.reshape(-1), atol=0, rtol=0, what="D"
    )


def test_pattern_inverses_match_numpy_and_are_shared_between_calls(case):
    ps = fiml.pattern_stats(case["y"], case["pat"])
    sigma = case["sigma"]
    got = fiml._pattern_inverses(ps, sigma)
    for o, (w, logdet) in zip(ps.obs_index, got, strict=True):
        block = sigma[np.ix_(o, o)]
        np.testing.assert_allclose(w, np.linalg.inv(block), rtol=1e-10, atol=1e-12)
        assert logdet == pytest.approx(np.linalg.slogdet(block)[1], rel=1e-12)
        assert not w.flags.writeable  # shared: no caller may change it
    assert fiml._pattern_inverses(ps, sigma.copy()) is got  # same point: not recomputed
    moved = sigma + np.eye(sigma.shape[0]) * 1e-3
    assert fiml._pattern_inverses(ps, moved) is not got
    with pytest.raises(fiml.EstimationError, match="not positive definite"):
        fiml._chol_inv_logdet(-np.eye(3))
    with pytest.raises(fiml.EstimationError, match="not positive definite"):
        fiml._chol_inv_logdet(np.full((2, 2), np.nan))


def test_loglik_alone_equals_the_one_with_its_gradient(case):
    ps = fiml.pattern_stats(case["y"], case["pat"])
    for f, o in zip(ps.flat_index, ps.obs_index, strict=True):
        grid = np.arange(ps.p * ps.p).reshape(ps.p, ps.p)
        assert np.array_equal(f, grid[np.ix_(o, o)].reshape(-1))
    for shift in (0.0, 0.3):  # at lavaan's solution and away from it
        mu = case["mu"] + shift
        sigma = case["sigma"] * (1.0 + shift)
        ll, _ = fiml._ll_grad(ps, mu, sigma)
        assert fiml._loglik(ps, mu, sigma) == pytest.approx(ll, rel=1e-12)
    # the total at lavaan's solution is lavaan's log-likelihood
    assert fiml._loglik(ps, case["mu"], case["sigma"]) == pytest.approx(
        case["ref"]["fit_measures"]["logl"], rel=1e-9)
