"""Gaussian-copula endogeneity check against R (lm with the copula term, shapiro.test)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.stats.copula import copula_term, gaussian_copula

REF = Path(__file__).parent / "reference" / "copula"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "copula_data.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "copula_reference.json").read_text())


@pytest.fixture(scope="module")
def endo(data) -> dict:
    return gaussian_copula(data, "y", "x", controls=["w"], n_boot=500, seed=1)


def test_copula_term_is_rs(data, ref):
    np.testing.assert_allclose(copula_term(data["x"])[:5], ref["endogenous"]["copula_term_head"],
                               rtol=1e-10)


def test_estimates_match_r(endo, ref):
    r = ref["endogenous"]
    for key in ("b_ols", "se_ols", "b_corrected", "copula_coef", "shapiro_w"):
        np.testing.assert_allclose(endo[key], r[key], rtol=1e-6, err_msg=key)
    np.testing.assert_allclose(endo["shapiro_p"], r["shapiro_p"], rtol=1e-3)
    # bootstrap SDs within Monte Carlo error: the SD of an SD from B draws is about
    # SD / sqrt(2 B); 500 draws here, 4000 in R: 12 % is over three and a half such errors
    np.testing.assert_allclose(endo["copula_se"], r["copula_se"], rtol=0.12)
    np.testing.assert_allclose(endo["b_corrected_se"], r["b_corrected_se"], rtol=0.12)


def test_endogenous_regressor_is_flagged_and_corrected(endo):
    assert endo["applicable"] and endo["non_normal"]
    assert endo["endogenous"] is True and endo["copula_p"] < 0.05
    # the true path is .5: the corrected estimate is closer to it than OLS
    assert abs(endo["b_corrected"] - 0.5) < abs(endo["b_ols"] - 0.5)
    assert endo["ci_lower"] < endo["copula_coef"] < endo["ci_upper"]
    assert endo["n_boot_ok"] == 500


def test_near_normal_regressor_is_not_applicable(data, ref):
    out = gaussian_copula(data, "yn", "xn", controls=["w"], n_boot=100, seed=1)
    assert out["non_normal"] is False and out["applicable"] is False
    assert out["endogenous"] is None and np.isnan(out["copula_coef"])
    assert out["note"].startswith("Not applicable")
    np.testing.assert_allclose(out["shapiro_p"], ref["normal"]["shapiro_p"], rtol=1e-3)
    np.testing.assert_allclose(out["b_ols"], ref["normal"]["b_ols"], rtol=1e-6)


def test_same_seed_same_numbers(data):
    a = gaussian_copula(data, "y", "x", controls=["w"], n_boot=100, seed=5)
    b = gaussian_copula(data, "y", "x", controls=["w"], n_boot=100, seed=5)
    assert a == b


@pytest.mark.parametrize("kwargs, message", [
    ({"y": "y", "x": "nope"}, "not in data"),
    ({"y": "y", "x": "y"}, "different columns"),
    ({"y": "y", "x": "x", "n_boot": 5}, "n_boot"),
])
def test_bad_input_is_a_data_error(data, kwargs, message):
    with pytest.raises(DataError, match=message):
        gaussian_copula(data, **kwargs)


def test_too_few_rows(data):
    with pytest.raises(DataError, match="at least 30"):
        gaussian_copula(data.head(20), "y", "x")
