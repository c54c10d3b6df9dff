"""Modification indices vs lavaan::modindices (fixtures: tests/reference/sem_ml)."""

from __future__ import annotations

from functools import cache

import pytest

from analysis.sem import sem
from tests.parity import EST_ATOL, EST_RTOL, assert_close
from tests.sem._ml_cases import CASES, dataset, merge_on_keys, ref_frame, reference


@cache
def _merged(case: str):
    dsn, kw = CASES[case]
    res = sem(reference(case)["model"], dataset(dsn), **kw)
    ref = ref_frame(reference(case), "modindices").rename(columns={"sepc.all": "sepc_all"})
    m = merge_on_keys(res.modindices(), ref, ["mi", "epc", "sepc_all"])
    # Known difference (documented in analysis.sem.modindices): regressions of a fixed.x
    # covariate on other variables ("x ~ y") are computed differently by lavaan.
    m = m[~((m["op"] == "~") & m["lhs"].isin(res.model.ov_x))]
    # (co)variances among fixed.x covariates: mi = 0 by construction; lavaan lists them
    # only in some models
    m = m[~((m["op"] == "~~") & m["lhs"].isin(res.model.ov_x) & m["rhs"].isin(res.model.ov_x))]
    return m


@pytest.mark.parametrize("case", list(CASES))
def test_same_candidates_as_lavaan(case):
    m = _merged(case)
    assert len(m) > 0
    odd = m[m["_merge"] != "both"]
    assert odd.empty, odd[["lhs", "op", "rhs", "group", "_merge"]]


@pytest.mark.parametrize("case", list(CASES))
def test_mi_and_epc_match_lavaan(case):
    m = _merged(case)
    m = m[m["_merge"] == "both"]
    assert_close(m["mi"], m["mi_ref"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{case} mi")
    assert_close(m["epc"], m["epc_ref"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{case} epc")
    # sepc.all of latent-variance candidates is defined differently in lavaan; skip those
    s = m[~((m["op"] == "~~") & (m["lhs"] == m["rhs"])) & (m["mi_ref"] > 1e-8)]
    assert_close(s["sepc_all"], s["sepc_all_ref"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{case} sepc_all")


def test_min_value_filters():
    dsn, kw = CASES["hs_cfa"]
    res = sem(reference("hs_cfa")["model"], dataset(dsn), **kw)
    mi = res.modindices(min_value=10.0, sort=True)
    assert (mi["mi"] >= 10.0).all()
    assert list(mi["mi"]) == sorted(mi["mi"], reverse=True)
    top = mi.iloc[0]
    # lavaan's largest MI for this model is visual =~ x9
    ref = ref_frame(reference("hs_cfa"), "modindices").sort_values("mi", ascending=False)
    assert (top["lhs"], top["op"], top["rhs"]) == tuple(ref.iloc[0][["lhs", "op", "rhs"]])


def test_offered_after_fiml_and_wlsmv():
    """FIML has modification indices since sweep 8, WLSMV since sweep 9 (checked against
    lavaan there)."""
    hs = dataset("hs").copy()
    hs.loc[::10, "x1"] = float("nan")
    assert len(sem(reference("hs_cfa")["model"], hs, missing="ml").modindices()) > 0
    ordinal = dataset("hs").copy()
    for c in ("x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9"):
        ordinal[c] = ordinal[c].round().clip(1, 6)
    res = sem(reference("hs_cfa")["model"], ordinal, ordered=True)
    assert len(res.modindices()) > 0
