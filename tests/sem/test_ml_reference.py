"""ML engine vs lavaan 0.6.14 (fixtures: tests/reference/sem_ml/make_sem_ml.R)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from analysis.sem import sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    assert_close,
)
from tests.sem._ml_cases import CASES, dataset, merge_on_keys, ref_frame, reference

# lavaan fitMeasures names; ours replace "." by "_"
FIT_KEYS = ["npar", "fmin", "df", "pvalue", "baseline.df", "baseline.pvalue", "cfi", "tli",
            "nnfi", "rfi", "nfi", "pnfi", "ifi", "rni", "rmsea", "rmsea.ci.lower",
            "rmsea.ci.upper", "rmsea.pvalue", "rmsea.notclose.pvalue", "rmr", "rmr_nomean",
            "srmr", "srmr_bentler", "srmr_bentler_nomean", "crmr", "crmr_nomean", "srmr_mplus",
            "srmr_mplus_nomean", "gfi", "agfi", "pgfi", "mfi", "ecvi"]
LOGL_KEYS = ["logl", "unrestricted.logl", "aic", "bic", "bic2", "cn_05", "cn_01"]


@cache
def fitted(case: str):
    dsn, kw = CASES[case]
    return sem(reference(case)["model"], dataset(dsn), **kw)


def _params(case: str) -> pd.DataFrame:
    ref = reference(case)
    pe = ref_frame(ref, "params").rename(columns={"std.all": "std_all", "std.lv": "std_lv",
                                                   "ci.lower": "ci_lower",
                                                   "ci.upper": "ci_upper"})
    cols = ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all", "std_lv"]
    return merge_on_keys(fitted(case).params, pe, cols)


@pytest.mark.parametrize("case", list(CASES))
def test_same_parameters_as_lavaan(case):
    m = _params(case)
    extra = m[m["_merge"] != "both"]
    assert extra.empty, f"rows not in both tables:\n{extra[['lhs', 'op', 'rhs', 'group']]}"


@pytest.mark.parametrize("case", list(CASES))
def test_free_parameters_match_partable(case):
    ref = ref_frame(reference(case), "partable")
    ref = ref[ref["op"].isin(["=~", "~", "~~", "~1", "|"])]
    ours = fitted(case).partable
    ours = ours[ours["op"].isin(["=~", "~", "~~", "~1", "|"])].copy()
    ours["isfree"] = (ours["xid"] >= 0).astype(int)
    ref = ref.assign(isfree=(ref["free"] > 0).astype(int))
    m = merge_on_keys(ours, ref, ["isfree", "exo"])
    assert (m["_merge"] == "both").all()
    bad = m[(m["isfree"] != m["isfree_ref"]) | (m["exo"] != m["exo_ref"])]
    assert bad.empty, bad[["lhs", "op", "rhs", "group", "isfree", "isfree_ref"]]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("col", ["est", "se", "z", "ci_lower", "ci_upper", "std_all", "std_lv"])
def test_estimates_match_lavaan(case, col):
    m = _params(case)
    m = m[m["_merge"] == "both"]
    assert_close(m[col], m[f"{col}_ref"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{case} {col}")


@pytest.mark.parametrize("case", list(CASES))
def test_pvalues_match_lavaan(case):
    m = _params(case)
    m = m[m["_merge"] == "both"]
    assert_close(m["pvalue"], m["pvalue_ref"], atol=FIT_ATOL, rtol=0.0, what=f"{case} pvalue")


@pytest.mark.parametrize("case", list(CASES))
def test_fit_measures_match_lavaan(case):
    ours, ref = fitted(case).fit, reference(case)["fit"]
    assert_close(ours["chisq"], ref["chisq"], atol=0.0, rtol=CHISQ_RTOL, what="chisq")
    assert_close(ours["baseline_chisq"], ref["baseline.chisq"], atol=0.0, rtol=CHISQ_RTOL,
                 what="baseline chisq")
    for key in FIT_KEYS:
        expected = np.nan if ref[key] is None else ref[key]
        assert_close(ours[key.replace(".", "_")], expected, atol=FIT_ATOL, rtol=0.0, what=key)
    for key in LOGL_KEYS:  # large numbers: compare relative to their size
        assert_close(ours[key.replace(".", "_")], ref[key], atol=FIT_ATOL, rtol=1e-6, what=key)
    assert ours["loglik"] == ours["logl"]


@pytest.mark.parametrize("case", list(CASES))
def test_r2_matches_lavaan(case):
    res = fitted(case)
    ref = reference(case)
    r2 = res.r2
    ref_r2 = ref["r2"]
    if isinstance(ref_r2, dict):  # several groups: a mapping group label -> values
        ref_r2 = [ref_r2[g] for g in res.model.groups]
    for g, ref_g in enumerate(ref_r2):
        for var, val in ref_g.items():
            ours = r2[var] if res.model.n_groups == 1 else r2[(res.model.groups[g], var)]
            assert_close(ours, val, atol=EST_ATOL, rtol=EST_RTOL, what=f"{case} r2 {var}")
    assert len(r2) == sum(len(x) for x in ref_r2)


def test_group_labels_in_lavaan_order():
    res = fitted("hs_group_configural")
    assert res.model.groups == list(reference("hs_group_configural")["group_labels"])
    assert res.n["total"] == 301
    assert res.n[res.model.groups[0]] == reference("hs_group_configural")["nobs"][0]


def test_listwise_deletion_reported():
    res = fitted("hs_covariates")
    assert res.n["total"] == reference("hs_covariates")["nobs"]
    assert any("listwise" in w for w in res.warnings)


def test_hs_cfa_delta_matches_lavaan():
    """Our analytic Jacobian equals lavInspect(fit, "delta") (columns matched by name)."""
    res = fitted("hs_cfa")
    ref = reference("hs_cfa")["delta"][0]
    values = np.asarray(ref["values"], dtype=float)
    ours = res.model.jacobian(res.x)[0]
    names = res.model.x_names
    col_of = {n.replace(" ", ""): i for i, n in enumerate(names)}
    assert values.shape == ours.shape
    for j, cname in enumerate(ref["cols"]):
        assert_close(ours[:, col_of[cname.replace(" ", "")]], values[:, j], atol=1e-4,
                     rtol=1e-4, what=f"delta column {cname}")


def test_wls_obs_order():
    res = fitted("hs_cfa")
    st = res.stats[0]
    from analysis.sem.model import vech

    assert_close(vech(st.cov), reference("hs_cfa")["wls_obs"], atol=1e-8, rtol=1e-8,
                 what="vech(S)")
    assert_close(res.model.moments(res.x)[0], vech(res.model.implied(res.x)[0].sigma),
                 atol=1e-12, rtol=0.0, what="moments")
