"""Bias checks of the study: copula checks of the path model, key-informant quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.study.bias import (
    LOW_KNOWLEDGE_MAX,
    endogeneity_checks,
    key_informant_quality,
    model_equations,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "alliance_demo.csv"
MODEL = "value_creation ~ learning + jd_sum\nlearning_from ~ learning_about"


@pytest.fixture(scope="module")
def demo():
    from analysis.study.hypotheses import load_hypotheses, prepare_scores
    from analysis.study.scoring import score
    from instruments.instrument.loader import load_instrument

    inst, hs = load_instrument(), load_hypotheses()
    raw = pd.read_csv(DEMO)
    d, _, full = prepare_scores(raw, score(raw, inst), hs, inst)
    keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
    return raw.reset_index(drop=True).loc[keep].reset_index(drop=True), \
        d.reset_index(drop=True), inst, hs


def test_model_equations_parse_the_path_model():
    eqs = model_equations("# a comment\nf =~ a + b\ny ~ b1*x + z  # why\ny ~~ z\nm ~ x")
    assert eqs == [("y", ["x", "z"]), ("m", ["x"])]


def test_copula_check_of_every_path(demo):
    _, d, _, hs = demo
    out = endogeneity_checks(d, MODEL, controls=hs.controls, n_boot=100, seed=4)
    paths = out["paths"].set_index("path")
    assert list(paths.index) == ["value_creation ~ learning", "value_creation ~ jd_sum",
                                 "learning_from ~ learning_about"]
    # the other regressors of the equation and the declared controls are exogenous
    assert paths.loc["value_creation ~ learning", "controls"] == \
        "jd_sum, alliance_age, firm_size"
    # joint dependence (a sum of two scale means) is near normal: not applicable
    jd = paths.loc["value_creation ~ jd_sum"]
    assert jd["shapiro_p"] >= 0.05 and not jd["applicable"] and jd["endogenous"] is None
    assert np.isnan(jd["copula_coef"]) and jd["note"].startswith("Not applicable")
    app = paths[paths["applicable"].astype(bool)]
    assert len(app) == out["n_applicable"] >= 1
    assert (app["shapiro_p"] < 0.05).all() and (app["copula_se"] > 0).all()
    assert (app["n_boot_ok"] == 100).all()
    # the OLS path is the plain regression of the equation
    x = d[["learning", "jd_sum", "alliance_age", "firm_size", "value_creation"]].dropna()
    design = np.column_stack([np.ones(len(x)), x.iloc[:, :4].to_numpy(float)])
    b = np.linalg.lstsq(design, x["value_creation"].to_numpy(float), rcond=None)[0]
    np.testing.assert_allclose(paths.loc["value_creation ~ learning", "b_ols"], b[1],
                               rtol=1e-10)


def test_key_informant_table_and_comparison(demo):
    raw, d, inst, hs = demo
    out = key_informant_quality(raw, d, MODEL, instrument=inst, controls=hs.controls)
    know = pd.DataFrame(out["knowledge"])
    assert know["n"].sum() == len(raw)
    assert know.loc[know["code"] == 4, "label"].item() == "To a moderate extent"
    low = int((pd.to_numeric(raw["informant_knowledge"]) <= LOW_KNOWLEDGE_MAX).sum())
    assert out["n_low_knowledge"] == low > 0
    assert pd.DataFrame(out["position"])["n"].sum() == len(raw)
    assert out["tenure"]["n"] == raw["resp_tenure"].notna().sum()
    cmp = pd.DataFrame(out["comparison"]).set_index("path")
    assert list(cmp.index) == ["value_creation ~ learning", "value_creation ~ jd_sum",
                               "learning_from ~ learning_about"]
    # the reduced sample is the full one without the low-knowledge informants
    row = cmp.loc["value_creation ~ learning"]
    assert row["n_all"] - row["n_high"] == low
    keep = (pd.to_numeric(raw["informant_knowledge"]) > LOW_KNOWLEDGE_MAX).to_numpy()
    x = d.loc[keep, ["learning", "jd_sum", "alliance_age", "firm_size",
                     "value_creation"]].dropna()
    design = np.column_stack([np.ones(len(x)), x.iloc[:, :4].to_numpy(float)])
    b = np.linalg.lstsq(design, x["value_creation"].to_numpy(float), rcond=None)[0]
    np.testing.assert_allclose(row["est_high"], b[1], rtol=1e-10)
    np.testing.assert_allclose(row["shift_in_se"],
                               (row["est_high"] - row["est_all"]) / row["se_all"], rtol=1e-12)
    assert out["n_changed"] == int((~(cmp["same_sign"] & cmp["same_significance"])).sum())


def test_key_informant_needs_aligned_rows(demo):
    raw, d, inst, hs = demo
    with pytest.raises(DataError, match="same rows"):
        key_informant_quality(raw.head(10), d, MODEL, instrument=inst)
    with pytest.raises(DataError, match="informant_knowledge"):
        key_informant_quality(raw.drop(columns="informant_knowledge"), d, MODEL,
                              instrument=inst)
