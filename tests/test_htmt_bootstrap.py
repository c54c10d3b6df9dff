"""HTMT bootstrap intervals with pairwise correlations against a bootstrap of semTools::htmt()."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats.validity import _pairwise_corr, htmt, htmt_ci

REF = Path(__file__).parent / "reference" / "validity"
SCALES = ["info_sharing", "joint_sensemaking", "knowledge_integration", "trust"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "htmt_items.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "htmt_reference.json").read_text())


def _blocks(data: pd.DataFrame) -> dict[str, list[str]]:
    return {s: [c for c in data.columns if c.rsplit("_", 1)[0] == s] for s in SCALES}


def test_pairwise_correlations_are_lavaans(data):
    # lavCor(missing = "pairwise"): pairwise-complete covariance over the SDs of all
    # observed values of each item
    sd = data.std()
    expected = (data.cov() / np.outer(sd, sd)).to_numpy(copy=True)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(_pairwise_corr(data.to_numpy(dtype=float)), expected,
                               atol=1e-12)
    full = data.dropna().to_numpy(dtype=float)
    np.testing.assert_allclose(_pairwise_corr(full), np.corrcoef(full, rowvar=False),
                               atol=1e-12)


@pytest.mark.parametrize(("n", "gaps"), [(3_000, 0.04), (3_000, 0.4), (300, 0.04)])
def test_pairwise_correlations_of_large_and_small_data_are_lavaans(n, gaps):
    # 3,000 x 80 values with few gaps take the sparse products (large data, as in the
    # bootstrap of a big study), the others the dense ones; both are lavaan's definition,
    # pair by pair: the covariance of the rows where both are observed over the SDs of all
    # observed values of each, here in a loop over pairs with pandas
    rng = np.random.default_rng(11)
    x = rng.integers(1, 8, size=(n, 80)).astype(float) + rng.normal(0, 0.3, size=(n, 80))
    x[:, 1] += x[:, 0]  # one correlated pair
    x[rng.random(x.shape) < gaps] = np.nan
    got = _pairwise_corr(x)
    frame = pd.DataFrame(x)
    sd = frame.std()
    for i, j in [(0, 1), (0, 79), (5, 6), (40, 41), (78, 79)]:
        both = frame[[i, j]].dropna()
        cov = np.cov(both[i], both[j])[0, 1]
        assert got[i, j] == pytest.approx(cov / (sd[i] * sd[j]), abs=1e-12)
        assert got[j, i] == got[i, j]
    assert np.all(np.diag(got) == 1.0)
    assert got[0, 1] > 0.5


@pytest.mark.parametrize("kind", ["htmt2", pytest.param("htmt", marks=pytest.mark.slow)])
def test_intervals_agree_with_a_semtools_bootstrap(data, ref, kind):
    r = ref[kind]
    n_boot = 1000
    got = htmt_ci(data, _blocks(data), n_boot=n_boot, seed=7, missing="pairwise",
                  htmt2=kind == "htmt2")
    assert list(got["factor1"]) == ref["factor1"] and list(got["factor2"]) == ref["factor2"]
    # the point estimate is semTools' (pairwise lavCor) to rounding
    np.testing.assert_allclose(got["htmt"], r["htmt"], rtol=1e-8)
    # the bounds agree within Monte Carlo error: the standard error of a 2.5 % quantile of
    # B draws is sqrt(p (1 - p) / B) / density, the density of a normal with the bootstrap
    # SD at that quantile; two independent bootstraps (1000 and R's 4000 draws), four
    # standard errors of their difference
    p = 0.025
    sd = np.asarray(r["boot_sd"])
    density = stats.norm.pdf(stats.norm.ppf(p)) / sd
    mc_se = np.sqrt(p * (1 - p) * (1 / n_boot + 1 / ref["n_boot"])) / density
    tol = 4 * mc_se
    assert np.all(np.abs(got["ci_lower"] - r["ci_lower"]) < tol)
    assert np.all(np.abs(got["ci_upper"] - r["ci_upper"]) < tol)
    assert (got["n_boot"] == n_boot).all()


def test_flags_follow_the_upper_bound(data):
    got = htmt_ci(data, _blocks(data), n_boot=300, seed=3, missing="pairwise")
    assert (got["below_085"] == (got["ci_upper"] < 0.85)).all()
    assert (got["below_090"] == (got["ci_upper"] < 0.90)).all()
    # trust is clearly distinct from the learning dimensions
    assert got[got["factor2"] == "trust"]["below_085"].all()
    assert (got["ci_lower"] < got["htmt"]).all() and (got["htmt"] < got["ci_upper"]).all()
    # two halves of one scale are one construct: HTMT near 1, flagged at both cut-offs
    its = _blocks(data)["info_sharing"]
    same = htmt_ci(data, {"a": its[:3], "b": its[3:]}, n_boot=200, seed=3, missing="pairwise")
    assert same["htmt"].iloc[0] > 0.9
    assert not same["below_085"].iloc[0] and not same["below_090"].iloc[0]


def test_pairwise_equals_listwise_on_complete_rows(data):
    full = data.dropna().reset_index(drop=True)
    a = htmt_ci(full, _blocks(full), n_boot=50, seed=1, missing="pairwise")
    b = htmt_ci(full, _blocks(full), n_boot=50, seed=1, missing="listwise")
    pd.testing.assert_frame_equal(a, b)
    np.testing.assert_allclose(a["htmt"], [htmt(full, _blocks(full)).loc[f, g]
                                           for f, g in zip(a["factor1"], a["factor2"], strict=True)],
                               rtol=1e-12)
