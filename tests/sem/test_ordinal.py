"""Sample statistics for ordered data against lavaan 0.6.14 (tests/reference/sem_wlsmv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from analysis.errors import DataError
from analysis.sem.ordinal import (
    bivariate_normal_cdf,
    bivariate_normal_pdf,
    ordinal_sample_stats,
    polychoric,
)
from tests.parity import EST_ATOL, EST_RTOL, REFERENCE_DIR, load_reference

CASES = {
    "hs_cfa": "hs_ordinal5.csv",
    "likert_cfa": "likert7_sim.csv",
    "edge_cfa": "edge_small.csv",  # 2x2 table with an empty cell, small N
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    ref = load_reference(f"sem_wlsmv/{request.param}.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / CASES[request.param])
    stats = ordinal_sample_stats(data, ref["ov_names"])
    return ref, stats


def _quad_bvn(h: float, k: float, r: float) -> float:
    s = np.sqrt(1.0 - r * r)
    return quad(
        lambda x: norm.pdf(x) * norm.cdf((k - r * x) / s), -np.inf, h,
        epsabs=1e-14, epsrel=1e-13, limit=200,
    )[0]


def test_bivariate_normal_cdf_matches_quadrature():
    rng = np.random.default_rng(11)
    h = rng.normal(size=60) * 1.5
    k = rng.normal(size=60) * 1.5
    # all three regimes of the algorithm: |r| < .3, < .75, < .925 and the high-r branch
    r = np.concatenate([rng.uniform(-0.999, 0.999, 40),
                        [0.0, 0.29, -0.31, 0.74, -0.76, 0.92, -0.93, 0.95, -0.97, 0.995,
                         -0.9995, 0.9999, 0.5, -0.5, 0.8, -0.8, 0.1, -0.1, 0.6, -0.6]])
    ours = bivariate_normal_cdf(h, k, r)
    ref = np.array([_quad_bvn(*a) for a in zip(h, k, r, strict=True)])
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


def test_bivariate_normal_cdf_infinite_limits():
    out = bivariate_normal_cdf([np.inf, 0.3, -np.inf, 1.0, np.inf], [0.5, np.inf, 1.0, -np.inf,
                                                                       np.inf], 0.4)
    np.testing.assert_allclose(out, [norm.cdf(0.5), norm.cdf(0.3), 0.0, 0.0, 1.0],
                               rtol=0, atol=1e-15)


def test_bivariate_normal_pdf_matches_scipy():
    from scipy.stats import multivariate_normal

    val = bivariate_normal_pdf(0.3, -0.7, 0.45)
    ref = multivariate_normal(mean=[0, 0], cov=[[1, 0.45], [0.45, 1]]).pdf([0.3, -0.7])
    np.testing.assert_allclose(val, ref, rtol=1e-12, atol=0)


def test_thresholds_match_lavaan(case):
    ref, stats = case
    assert list(stats.th_names) == ref["th_names"]
    np.testing.assert_allclose(np.concatenate(stats.thresholds), ref["th"], rtol=0, atol=1e-10)


def test_polychoric_matrix_matches_lavaan(case):
    ref, stats = case
    # lavaan stops its optimiser at ~1e-8; ours is tighter
    np.testing.assert_allclose(stats.cor, np.array(ref["cor"]), rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.wls_obs, ref["wls_obs"], rtol=0, atol=1e-6)


def test_gamma_matches_lavaan(case):
    ref, stats = case
    gamma_ref = np.array(ref["gamma"])
    np.testing.assert_allclose(np.diag(stats.gamma), np.diag(gamma_ref), rtol=1e-5, atol=0)
    # a block mixing thresholds and correlations, and a correlation block
    nth = stats.n_thresholds
    np.testing.assert_allclose(stats.gamma[:nth, nth:nth + 10], gamma_ref[:nth, nth:nth + 10],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.gamma[nth:, nth:], gamma_ref[nth:, nth:], rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.gamma, gamma_ref, rtol=0, atol=1e-6)


def test_dwls_weights_match_lavaan(case):
    ref, stats = case
    np.testing.assert_allclose(stats.wls_v_diag, ref["wls_v_diag"], rtol=1e-6, atol=0)


def test_binary_and_unused_category_handled():
    ref = load_reference("sem_wlsmv/likert_cfa.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "likert7_sim.csv")
    stats = ordinal_sample_stats(data, ref["ov_names"])
    names = list(stats.names)
    assert len(stats.thresholds[names.index("y4")]) == 1  # tetrachoric item
    assert len(stats.thresholds[names.index("y12")]) == 5  # 6 observed categories
    # An unused level of an ordered Categorical is dropped, as lavaan does.
    cat = data.copy()
    cat["y1"] = pd.Categorical(cat["y1"], categories=list(range(1, 9)), ordered=True)
    stats_cat = ordinal_sample_stats(cat, ref["ov_names"])
    np.testing.assert_allclose(stats_cat.wls_obs, stats.wls_obs, rtol=0, atol=1e-12)


def test_empty_cell_in_2x2_table_like_lavaan():
    ref = load_reference("sem_wlsmv/edge_cfa.json")
    assert 0 in np.array(ref["table_b1_b2"]).ravel()
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "edge_small.csv")
    stats = ordinal_sample_stats(data, ref["ov_names"])
    assert ("b2", "b1") in stats.empty_cells
    np.testing.assert_allclose(stats.cor[1, 0], ref["cor"][1][0], rtol=0, atol=1e-6)


def test_polychoric_convenience_matches_matrix():
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5.csv")
    ref = load_reference("sem_wlsmv/hs_cfa.json")
    rho = polychoric(data["x1"], data["x2"])
    np.testing.assert_allclose(rho, ref["cor"][1][0], rtol=EST_RTOL, atol=EST_ATOL)


def test_bad_input_is_refused():
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5.csv")
    with pytest.raises(DataError, match="not in data"):
        ordinal_sample_stats(data, ["x1", "nope"])
    const = data.assign(x3=1)
    with pytest.raises(DataError, match="fewer than two observed categories"):
        ordinal_sample_stats(const, ["x1", "x3"])
    text = data.assign(x2=data["x2"].astype(str).replace("3", "three"))
    with pytest.raises(DataError, match="non-numeric"):
        ordinal_sample_stats(text, ["x1", "x2"])


def test_pairwise_missing_like_lavaan():
    ref = load_reference("sem_wlsmv/hs_cfa_pairwise.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5_missing.csv")
    assert data.isna().any(axis=1).mean() > 0.3  # many incomplete cases
    stats = ordinal_sample_stats(data, ref["ov_names"], missing="pairwise")
    assert stats.nobs == ref["nobs"] == len(data)
    np.testing.assert_allclose(stats.wls_obs, ref["wls_obs"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.gamma, np.array(ref["gamma"]), rtol=0, atol=1e-6)
    listwise = ordinal_sample_stats(data, ref["ov_names"])
    assert listwise.nobs == int((~data.isna().any(axis=1)).sum())


def test_mixed_ordered_and_continuous_like_lavaan():
    """Polyserial and Pearson correlations, means and variances (lavaan's wls.obs order)."""
    ref = load_reference("sem_wlsmv/hs_cfa_mixed.json")
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_mixed.csv")
    stats = ordinal_sample_stats(data, ref["ov_names"], continuous=["x7", "x8", "x9"])
    assert stats.continuous == ("x7", "x8", "x9")
    np.testing.assert_allclose(stats.wls_obs, ref["wls_obs"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.gamma, np.array(ref["gamma"]), rtol=0, atol=1e-6)
    np.testing.assert_allclose(stats.wls_v_diag, ref["wls_v_diag"], rtol=1e-6, atol=0)


def test_listwise_deletion():
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5.csv").astype(float)
    data.loc[:9, "x1"] = np.nan
    stats = ordinal_sample_stats(data, ["x1", "x2", "x3"])
    assert stats.nobs == len(data) - 10
    full = ordinal_sample_stats(data.dropna(), ["x1", "x2", "x3"])
    np.testing.assert_allclose(stats.gamma, full.gamma, rtol=0, atol=1e-12)


def test_category_only_in_deleted_cases_is_dropped():
    data = pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / "hs_ordinal5.csv").astype(float)
    data.loc[data["x1"] == 5, "x2"] = np.nan  # listwise deletion removes category 5 of x1
    stats = ordinal_sample_stats(data, ["x1", "x2", "x3"])
    assert len(stats.thresholds[0]) == 3
    assert stats.levels[0] == (1.0, 2.0, 3.0, 4.0)
    pairwise = ordinal_sample_stats(data, ["x1", "x2", "x3"], missing="pairwise")
    assert len(pairwise.thresholds[0]) == 4


def test_many_items_match_pairwise_scalar_ml():
    """30 items at once (vectorised over 435 pairs) agree with a one-pair-at-a-time ML fit."""
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(30)
    n, p = 1500, 30
    f = rng.normal(size=(n, 1))
    y = 0.6 * f + 0.8 * rng.normal(size=(n, p))
    data = pd.DataFrame(np.digitize(y, [-1.4, -0.6, 0.0, 0.7, 1.5]) + 1,
                        columns=[f"i{j}" for j in range(p)])
    stats = ordinal_sample_stats(data, list(data.columns))
    assert stats.gamma.shape == (p * 5 + p * (p - 1) // 2,) * 2
    for a, b in [(1, 0), (17, 4), (29, 28)]:
        ta = np.concatenate([[-np.inf], stats.thresholds[a], [np.inf]])
        tb = np.concatenate([[-np.inf], stats.thresholds[b], [np.inf]])
        ca, cb = data.iloc[:, a].to_numpy() - 1, data.iloc[:, b].to_numpy() - 1

        def nll(r, ta=ta, tb=tb, ca=ca, cb=cb):
            pr = (bivariate_normal_cdf(ta[ca + 1], tb[cb + 1], r)
                  - bivariate_normal_cdf(ta[ca], tb[cb + 1], r)
                  - bivariate_normal_cdf(ta[ca + 1], tb[cb], r)
                  + bivariate_normal_cdf(ta[ca], tb[cb], r))
            return -np.sum(np.log(pr))

        best = minimize_scalar(nll, bounds=(-0.99, 0.99), method="bounded",
                               options={"xatol": 1e-10}).x
        np.testing.assert_allclose(stats.cor[a, b], best, rtol=0, atol=1e-6)
