"""End-to-end WLSMV fits, ``sem(..., estimator="WLSMV", ordered=...)``, against lavaan 0.6.14."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, ModelSpecificationError
from analysis.sem import sem
from analysis.sem.wls import scaled_difference_test
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

HS = """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"""
LIKERT = """f1 =~ y1 + y2 + y3 + y4
f2 =~ y5 + y6 + y7 + y8
f3 =~ y9 + y10 + y11 + y12"""
CASES = {
    "hs_cfa": ("hs_ordinal5.csv", HS),
    "likert_cfa": ("likert7_sim.csv", LIKERT),
    "likert_sem": ("likert7_sim.csv", LIKERT + "\nf2 ~ f1\nf3 ~ f2"),
    "edge_cfa": ("edge_small.csv", "g =~ b1 + b2 + c1 + c2 + c3"),
    "hs_cfa_pairwise": ("hs_ordinal5_missing.csv", HS),  # fitted with missing="pairwise"
    "hs_cfa_mixed": ("hs_mixed.csv", HS),  # x1-x6 ordered, x7-x9 continuous
    "hs_cfa_mixed_pairwise": ("hs_mixed_missing.csv", HS),
    # a continuous covariate as a random variable (fixed_x=False; lavaan conditional.x=FALSE)
    "hs_sem_covariate": ("hs_covariate.csv", """visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual ~ z
textual ~ z"""),
}


def _data(csv: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "sem_wlsmv" / csv)


@pytest.fixture(scope="module", params=sorted(CASES))
def fitted(request):
    csv, model = CASES[request.param]
    data = _data(csv)
    missing = "pairwise" if request.param.endswith("pairwise") else "listwise"
    ordered = list(data.columns)
    extra = {}
    if "mixed" in request.param or "covariate" in request.param:
        ordered = [f"x{i}" for i in range(1, 7)]
    if "covariate" in request.param:
        extra["fixed_x"] = False
    res = sem(model, data, estimator="WLSMV", ordered=ordered, missing=missing, **extra)
    return res, load_reference(f"sem_wlsmv/{request.param}.json")


def _merged(res, ref) -> pd.DataFrame:
    ours = res.params
    theirs = pd.DataFrame(ref["partable"])
    m = theirs.merge(ours, on=["lhs", "op", "rhs"], how="left", suffixes=("_ref", ""))
    assert len(m) == len(theirs) and m["est"].notna().all()
    return m


def test_converged_without_warnings(fitted):
    res, _ = fitted
    assert res.converged
    assert res.warnings == ()


def test_estimates(fitted):
    res, ref = fitted
    m = _merged(res, ref)
    assert_close(m["est"], m["est_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="estimates")
    # loadings, thresholds, factor (co)variances and regressions are all in the table
    assert {"=~", "|", "~~"} <= set(m["op"])


def test_robust_standard_errors(fitted):
    res, ref = fitted
    m = _merged(res, ref)
    assert_close(m["se"], m["se_ref"].astype(float), atol=EST_ATOL, rtol=EST_RTOL, what="SE")


def test_std_all(fitted):
    res, ref = fitted
    m = _merged(res, ref)
    assert_close(m["std_all"], m["std_all_ref"].astype(float), atol=EST_ATOL, rtol=EST_RTOL,
                 what="std.all")


def test_scaled_test(fitted):
    res, ref = fitted
    t = ref["test"]
    fit = res.fit
    assert_close(fit["chisq"], t["chisq"], atol=0, rtol=CHISQ_RTOL, what="chisq")
    assert_close(fit["chisq_scaled"], t["chisq_scaled"], atol=0, rtol=CHISQ_RTOL,
                 what="chisq.scaled")
    assert fit["df"] == t["df"]
    assert_close(fit["pvalue_scaled"], t["pvalue_scaled"], atol=FIT_ATOL, what="pvalue.scaled")
    assert_close(fit["chisq_scaling_factor"], t["scaling_factor"], atol=FIT_ATOL,
                 rtol=EST_RTOL, what="scaling factor")


def test_all_fit_measures(fitted):
    res, ref = fitted
    fit = res.fit
    checked = []
    for key, val in ref["fit_measures"].items():
        if val is None:
            continue
        ours = fit[key.replace(".", "_")]
        chisq_like = "chisq" in key and "scaling" not in key and "shift" not in key
        if chisq_like or key.startswith("cn_"):
            assert_close(ours, val, atol=0, rtol=CHISQ_RTOL, what=key)
        else:
            assert_close(ours, val, atol=FIT_ATOL, rtol=0, what=key)
        checked.append(key)
    assert len(checked) > 50
    if ref["fit_measures"].get("cfi.robust") is not None:  # lavaan: NA for mixed data
        assert {"cfi.robust", "tli.robust", "rmsea.robust"} <= set(checked)


def test_anchor_values_hs_5_categories():
    """The values research/anchors.md quotes for lavaan on this kind of data."""
    res = sem(HS, _data("hs_ordinal5.csv"), estimator="WLSMV",
              ordered=[f"x{i}" for i in range(1, 10)])
    pe = res.params.set_index(["lhs", "op", "rhs"])
    assert round(pe.loc[("visual", "=~", "x2"), "est"], 3) == 0.530
    assert round(res.fit["chisq_scaled"], 1) == 83.4
    assert round(res.fit["cfi_scaled"], 3) == 0.962
    assert round(res.fit["rmsea_scaled"], 3) == 0.091


def test_scaled_difference_test_from_fits():
    ref = load_reference("sem_wlsmv/likert_cfa.json")
    data = _data("likert7_sim.csv")
    ordered = list(data.columns)
    fit1 = sem(LIKERT, data, estimator="WLSMV", ordered=ordered)
    fit0 = sem(LIKERT.replace("y5 + y6 + y7 + y8", "y5 + b*y6 + b*y7 + b*y8"), data,
               estimator="WLSMV", ordered=ordered)
    out = scaled_difference_test(fit0.state, fit1.state)
    lrt = ref["lrt"]
    assert_close(out["chisq_diff"], lrt["chisq_diff"], atol=0, rtol=CHISQ_RTOL, what="LRT")
    assert out["df_diff"] == lrt["df_diff"]
    assert_close(out["pvalue"], lrt["pvalue"], atol=FIT_ATOL, what="LRT p")
    # SEMResult objects work too
    assert out["chisq_diff"] == scaled_difference_test(fit0, fit1)["chisq_diff"]


def test_exogenous_covariate_refused():
    data = _data("hs_ordinal5.csv").assign(z=np.linspace(0.0, 1.0, 301))
    with pytest.raises(ModelSpecificationError, match="exogenous observed covariates"):
        sem(HS + "\nvisual ~ z", data, estimator="WLSMV",
            ordered=[f"x{i}" for i in range(1, 10)])


def test_missing_values_deleted_listwise():
    data = _data("hs_ordinal5.csv").astype(float)
    data.loc[:4, "x1"] = np.nan
    res = sem(HS, data, estimator="WLSMV", ordered=list(data.columns))
    full = sem(HS, data.dropna(), estimator="WLSMV", ordered=list(data.columns))
    assert res.n["total"] == len(data) - 5
    np.testing.assert_allclose(res.x, full.x, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def two_groups():
    data = _data("hs_ordinal5_school.csv")
    ordered = [f"x{i}" for i in range(1, 10)]
    configural = sem(HS, data, estimator="WLSMV", ordered=ordered, group="school")
    loadings = sem(HS, data, estimator="WLSMV", ordered=ordered, group="school",
                   group_equal="loadings")
    return configural, loadings


def test_two_groups_configural(two_groups):
    res, _ = two_groups
    ref = load_reference("sem_wlsmv/hs_cfa_school.json")
    theirs = pd.DataFrame(ref["partable"])
    theirs = theirs[theirs["op"] != "~*~"]  # lavaan's fixed scale factors (delta = 1)
    m = theirs.merge(res.params, on=["lhs", "op", "rhs", "group"], how="left",
                     suffixes=("_ref", ""))
    assert len(m) == len(theirs) and m["est"].notna().all()
    for col in ("est", "se", "std_all"):
        assert_close(m[col], m[f"{col}_ref"].astype(float), atol=EST_ATOL, rtol=EST_RTOL,
                     what=col)
    fit = res.fit
    for key, val in ref["fit_measures"].items():
        if val is None:
            continue
        chisq_like = "chisq" in key and "scaling" not in key and "shift" not in key
        if chisq_like or key.startswith("cn_"):
            assert_close(fit[key.replace(".", "_")], val, atol=0, rtol=CHISQ_RTOL, what=key)
        else:
            assert_close(fit[key.replace(".", "_")], val, atol=FIT_ATOL, what=key)


def test_two_groups_equal_loadings_and_difference_test(two_groups):
    configural, loadings = two_groups
    ref = load_reference("sem_wlsmv/hs_cfa_school_loadings.json")
    theirs = pd.DataFrame(ref["partable"])
    theirs = theirs[theirs["op"] != "~*~"]
    m = theirs.merge(loadings.params, on=["lhs", "op", "rhs", "group"], how="left",
                     suffixes=("_ref", ""))
    assert_close(m["est"], m["est_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="est")
    assert_close(m["se"], m["se_ref"].astype(float), atol=EST_ATOL, rtol=EST_RTOL, what="se")
    assert_close(loadings.fit["chisq_scaled"], ref["test"]["chisq_scaled"], atol=0,
                 rtol=CHISQ_RTOL, what="chisq.scaled")
    out = scaled_difference_test(loadings, configural)
    # the adapter used by analysis.sem.invariance.lrt (less restricted model first)
    from analysis.sem.wls import scaled_difference

    assert scaled_difference(configural, loadings)["delta_chisq"] == out["chisq_diff"]
    assert_close(out["chisq_diff"], ref["lrt"]["chisq_diff"], atol=0, rtol=CHISQ_RTOL,
                 what="LRT")
    assert out["df_diff"] == ref["lrt"]["df_diff"]
    assert_close(out["pvalue"], ref["lrt"]["pvalue"], atol=FIT_ATOL, what="LRT p")


def test_equal_thresholds_and_loadings_across_groups(two_groups):
    """lavaan frees the scale factors (~*~) and latent means in the second group."""
    _, loadings = two_groups
    ref = load_reference("sem_wlsmv/hs_cfa_school_thresholds.json")
    data = _data("hs_ordinal5_school.csv")
    res = sem(HS, data, estimator="WLSMV", ordered=[f"x{i}" for i in range(1, 10)],
              group="school", group_equal=("thresholds", "loadings"))
    theirs = pd.DataFrame(ref["partable"])
    m = theirs.merge(res.params, on=["lhs", "op", "rhs", "group"], how="left",
                     suffixes=("_ref", ""))
    assert len(m) == len(theirs) and m["est"].notna().all()
    assert (m["op"] == "~*~").sum() == 18
    assert_close(m["est"], m["est_ref"], atol=EST_ATOL, rtol=EST_RTOL, what="est")
    assert_close(m["se"], m["se_ref"].astype(float), atol=EST_ATOL, rtol=EST_RTOL, what="se")
    std = m[m["op"] != "~*~"]
    assert_close(std["std_all"], std["std_all_ref"].astype(float), atol=EST_ATOL,
                 rtol=EST_RTOL, what="std.all")
    fit = res.fit
    for key, val in ref["fit_measures"].items():
        if val is None:
            continue
        chisq_like = "chisq" in key and "scaling" not in key and "shift" not in key
        if chisq_like or key.startswith("cn_"):
            assert_close(fit[key.replace(".", "_")], val, atol=0, rtol=CHISQ_RTOL, what=key)
        else:
            assert_close(fit[key.replace(".", "_")], val, atol=FIT_ATOL, what=key)
    out = scaled_difference_test(res, loadings)
    assert_close(out["chisq_diff"], ref["lrt"]["chisq_diff"], atol=0, rtol=CHISQ_RTOL,
                 what="LRT")
    assert out["df_diff"] == ref["lrt"]["df_diff"]


def test_category_missing_in_one_group_refused():
    data = _data("hs_ordinal5_school.csv")
    data.loc[(data["school"] == "Pasteur") & (data["x1"] == 5), "x1"] = 4
    with pytest.raises(DataError, match="observed categories in group 'Pasteur'"):
        sem(HS, data, estimator="WLSMV", ordered=[f"x{i}" for i in range(1, 10)],
            group="school")


def test_heywood_case_reported_and_just_identified_model():
    rng = np.random.default_rng(1)
    # latent correlations that force a standardized loading above 1 for item a
    r = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    y = rng.normal(size=(2000, 3)) @ np.linalg.cholesky(r).T
    data = pd.DataFrame(np.digitize(y, [-1.0, 0.0, 1.0]) + 1, columns=["a", "b", "c"])
    res = sem("f =~ a + b + c", data, estimator="WLSMV", ordered=["a", "b", "c"])
    assert any("Heywood" in w and "a" in w for w in res.warnings)
    assert res.fit["df"] == 0
    assert res.fit["chisq"] < 1e-8
    pe = res.params.set_index(["lhs", "op", "rhs"])
    assert pe.loc[("a", "~~", "a"), "est"] < 0
