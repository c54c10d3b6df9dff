"""Ordinal multigroup invariance (Wu & Estabrook 2016) and the theta parameterization.

Reference: tests/reference/sem_ordinal_invariance/make_ordinal_invariance.R (lavaan
0.6.14 fits of semTools::measEq.syntax() models; lavTestLRT() of neighbouring levels).
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import ModelSpecificationError
from analysis.sem import measurement_invariance, sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

FOLDER = "sem_ordinal_invariance"
LEVELS = ["configural", "thresholds", "loadings", "intercepts"]


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / FOLDER / f"{name}.csv")


@cache
def table(name: str, param: str) -> pd.DataFrame:
    ref = load_reference(f"{FOLDER}/{name}_{param}.json")
    return measurement_invariance(ref["model"], data(name), "g", estimator="WLSMV",
                                  ordered=ref["ordered"], parameterization=param)


def _level_fit(ref: dict, name: str, level: str, param: str):
    group_equal = tuple(g for g in ref["levels"][level]["group_equal"].split(",") if g)
    return sem(ref["model"], data(name), group="g", estimator="WLSMV", ordered=ref["ordered"],
               std_lv=True, id_cat="wu.estabrook.2016", group_equal=group_equal,
               parameterization=param)


def _compare_estimates(res, ref_est: dict, what: str) -> None:
    ref = pd.DataFrame(ref_est)
    keys = ["lhs", "op", "rhs"] + (["group"] if "group" in ref else [])
    ours = res.params
    merged = ref.merge(ours, on=keys, how="left", suffixes=("_ref", ""))
    assert len(merged) == len(ref) and merged["est"].notna().all(), f"{what}: rows missing"
    assert_close(merged["est"], merged["est_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{what} estimates")
    assert_close(merged["se"], merged["se_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{what} standard errors")


@pytest.mark.parametrize("param", ["delta", "theta"])
def test_sequence_matches_lavaan(param):
    ref = load_reference(f"{FOLDER}/two_groups_{param}.json")
    tab = table("two_groups", param).set_index("level")
    assert list(tab.index) == LEVELS
    assert tab["converged"].all()
    for level in LEVELS:
        r = ref["levels"][level]
        row = tab.loc[level]
        assert row["npar"] == r["fit"]["npar"]
        assert row["df"] == r["fit"]["df.scaled"]
        assert_close(row["chisq"], r["fit"]["chisq.scaled"], atol=0.0, rtol=CHISQ_RTOL,
                     what=f"{level} scaled chisq")
        assert_close(row["pvalue"], r["fit"]["pvalue.scaled"], atol=FIT_ATOL,
                     what=f"{level} p")
        if "lrt" in r:
            assert row["delta_df"] == r["lrt"]["delta_df"]
            assert_close(row["delta_chisq"], r["lrt"]["delta_chisq"], atol=0.0,
                         rtol=CHISQ_RTOL, what=f"{level} delta chisq")
            assert_close(row["delta_pvalue"], r["lrt"]["delta_pvalue"], atol=FIT_ATOL,
                         rtol=EST_RTOL, what=f"{level} delta p")
    # the intercept step finds the shifted thresholds of y3; the earlier steps hold
    assert tab.loc["intercepts", "delta_pvalue"] < 1e-6
    assert tab.loc["loadings", "delta_pvalue"] > 0.5


@pytest.mark.parametrize("level", ["thresholds", "intercepts"])
def test_level_estimates_match_lavaan(level):
    # estimates of each parameter, including the later group's freed intercepts, scale
    # factors and latent means, and the binary item's scale that stays fixed
    ref = load_reference(f"{FOLDER}/two_groups_delta.json")
    res = _level_fit(ref, "two_groups", level, "delta")
    _compare_estimates(res, ref["levels"][level]["estimates"], level)
    pt = res.params.set_index(["lhs", "op", "rhs", "group"])
    binary_scale_free = pt.loc[("y2", "~*~", "y2", 2), "se"] > 0.0
    latent_mean_free = pt.loc[("f1", "~1", "", 2), "se"] > 0.0
    # a binary item's scale stays fixed until the intercepts are equal too; the latent
    # means are free only with equal intercepts
    assert binary_scale_free == latent_mean_free == (level == "intercepts")
    assert pt.loc[("y1", "~*~", "y1", 2), "se"] > 0.0


def test_theta_multigroup_estimates_match_lavaan():
    ref = load_reference(f"{FOLDER}/two_groups_theta.json")
    res = _level_fit(ref, "two_groups", "loadings", "theta")
    _compare_estimates(res, ref["levels"]["loadings"]["estimates"], "theta loadings")


def test_three_categories_threshold_step_is_equivalent_not_fatal():
    ref = load_reference(f"{FOLDER}/three_cat_delta.json")
    tab = table("three_cat", "delta").set_index("level")
    thr = tab.loc["thresholds"]
    assert thr["df"] == tab.loc["configural", "df"]
    assert "equivalent to the configural model" in thr["note"]
    assert np.isnan(thr["delta_chisq"]) and np.isnan(thr["delta_pvalue"])
    assert_close(thr["chisq"], ref["levels"]["thresholds"]["fit"]["chisq.scaled"], atol=0.0,
                 rtol=CHISQ_RTOL, what="threshold-step chisq")
    for level in ("loadings", "intercepts"):
        r = ref["levels"][level]["lrt"]
        assert tab.loc[level, "delta_df"] == r["delta_df"]
        assert_close(tab.loc[level, "delta_chisq"], r["delta_chisq"], atol=0.0,
                     rtol=CHISQ_RTOL, what=f"{level} delta chisq")


def test_theta_one_group_matches_lavaan():
    ref = load_reference(f"{FOLDER}/one_group_theta.json")
    d = data("two_groups")
    res = sem(ref["model"], d[d["g"] == 1], estimator="WLSMV", ordered=ref["ordered"],
              parameterization="theta")
    assert res.converged
    for key in ("chisq", "chisq.scaled", "pvalue.scaled", "srmr"):
        assert_close(res.fit[key.replace(".", "_")], ref["fit"][key], atol=FIT_ATOL,
                     rtol=CHISQ_RTOL, what=key)
    # residual variances fixed at 1, scale factors implied (lavaan reports them)
    _compare_estimates(res, ref["estimates"], "theta")
    merged = pd.DataFrame(ref["estimates"]).merge(res.params, on=["lhs", "op", "rhs"],
                                                  suffixes=("_ref", ""))
    assert_close(merged["std_all"], merged["std_all_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what="std.all")
    r2 = res.r2
    assert_close([r2[v] for v in ref["r2"]], list(ref["r2"].values()), atol=EST_ATOL,
                 rtol=EST_RTOL, what="R2")


def test_theta_with_lavaan_group_equal_rule():
    # lavaan's own rule: equal thresholds free the later group's residual variances (the
    # scale under theta) and latent means
    ref = load_reference(f"{FOLDER}/lavaan_rule_theta.json")
    res = sem(ref["model"], data("two_groups"), group="g", estimator="WLSMV",
              ordered=ref["ordered"], parameterization="theta",
              group_equal=tuple(ref["group_equal"].split(",")))
    assert res.converged
    assert_close(res.fit["chisq_scaled"], ref["fit"]["chisq.scaled"], atol=0.0,
                 rtol=CHISQ_RTOL, what="scaled chisq")
    assert res.fit["df"] == ref["fit"]["df"]
    _compare_estimates(res, ref["estimates"], "theta, lavaan rule")


def test_unknown_parameterization_is_refused():
    with pytest.raises(ModelSpecificationError, match="parameterization"):
        sem("f =~ y1 + y2 + y3", data("two_groups"), estimator="WLSMV",
            ordered=["y1", "y2", "y3"], parameterization="gamma")


def test_cli_ordinal_invariance_theta(tmp_path):
    out = tmp_path / "fit.json"
    rc = main(["sem", str(REFERENCE_DIR / FOLDER / "two_groups.csv"), "--model",
               "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6", "--estimator", "WLSMV",
               "--ordered", "all", "--group", "g", "--invariance", "--parameterization",
               "theta", "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [r["level"] for r in doc["invariance"]] == LEVELS
    ref = load_reference(f"{FOLDER}/two_groups_theta.json")
    assert_close(doc["invariance"][3]["delta_chisq"],
                 ref["levels"]["intercepts"]["lrt"]["delta_chisq"], atol=0.0,
                 rtol=CHISQ_RTOL, what="CLI delta chisq")


def test_cli_ordered_items_default_to_wlsmv_as_in_lavaan(tmp_path):
    """``--ordered`` without ``--estimator`` fits WLSMV (lavaan's default for ordered
    items); before, the command's ML default made the engine refuse the ordered items."""
    out = tmp_path / "fit.json"
    rc = main(["sem", str(REFERENCE_DIR / FOLDER / "two_groups.csv"), "--model",
               "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6", "--ordered", "all",
               "--json", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["estimator"] == "WLSMV"
    assert doc["fit"]["chisq_scaled"] > 0
    rc = main(["sem", str(REFERENCE_DIR / FOLDER / "two_groups.csv"), "--model",
               "f1 =~ y1 + y2 + y3\nf2 =~ y4 + y5 + y6", "--json", str(out)])
    assert rc == 0
    assert json.loads(out.read_text(encoding="utf-8"))["estimator"] == "ML"
