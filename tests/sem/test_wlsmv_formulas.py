"""DWLS/WLSMV formulas against lavaan 0.6.14, given lavaan's own Delta, W, Gamma and estimates."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import EstimationError
from analysis.sem import wls
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    assert_close,
    load_reference,
)

CASES = ["hs_cfa", "likert_cfa", "likert_sem", "edge_cfa"]


@pytest.fixture(scope="module", params=CASES)
def ref(request):
    d = load_reference(f"sem_wlsmv/{request.param}.json")
    d["_delta"] = np.array(d["delta"])
    d["_w"] = np.array(d["wls_v_diag"])
    d["_gamma"] = np.array(d["gamma"])
    d["_s"] = np.array(d["wls_obs"])
    d["_sigma"] = np.array(d["wls_est"])
    return d


def _free_rows(d):
    return [i for i, se in enumerate(d["partable"]["se"]) if se not in (None, 0)]


def test_fmin_and_chisq(ref):
    n = ref["nobs"]
    f = wls.dwls_discrepancy(ref["_s"], ref["_sigma"], ref["_w"])
    assert_close((n - 1) / n * f / 2, ref["fmin"], atol=1e-10, rtol=1e-8, what="fmin")
    assert_close((n - 1) * f, ref["test"]["chisq"], atol=0, rtol=CHISQ_RTOL, what="chisq")


def test_gradient_vanishes_at_lavaan_estimates(ref):
    g = wls.dwls_gradient(ref["_delta"], ref["_s"], ref["_sigma"], ref["_w"])
    assert np.max(np.abs(g)) < 1e-5
    # and is not identically zero away from the optimum
    g2 = wls.dwls_gradient(ref["_delta"], ref["_s"], ref["_sigma"] * 0.9, ref["_w"])
    assert np.max(np.abs(g2)) > 1e-3


def test_robust_standard_errors(ref):
    v = wls.robust_vcov(ref["_delta"], ref["_w"], ref["_gamma"], ref["nobs"])
    se_ref = np.array(ref["partable"]["se"], dtype=float)[_free_rows(ref)]
    assert_close(np.sqrt(np.diag(v)), se_ref, atol=EST_ATOL, rtol=EST_RTOL, what="robust SE")
    # tighter: the formula is exact given lavaan's inputs
    np.testing.assert_allclose(np.sqrt(np.diag(v)), se_ref, rtol=1e-8, atol=0)


def test_scaled_shifted_test(ref):
    t = wls.scaled_shifted_test(ref["test"]["chisq"], ref["test"]["df"], ref["_delta"],
                                ref["_w"], ref["_gamma"])
    r = ref["test"]
    assert_close(t.chisq_scaled, r["chisq_scaled"], atol=0, rtol=CHISQ_RTOL, what="chisq.scaled")
    assert_close(t.scaling_factor, r["scaling_factor"], atol=1e-6, rtol=1e-6, what="scaling")
    assert_close(t.shift_parameter, r["shift_parameter"], atol=1e-6, rtol=1e-6, what="shift")
    assert_close(t.pvalue_scaled, r["pvalue_scaled"], atol=FIT_ATOL, rtol=0, what="p scaled")
    assert t.df_scaled == r["df"]


def test_baseline_and_fit_indices(ref):
    n = ref["nobs"]
    t = wls.scaled_shifted_test(ref["test"]["chisq"], ref["test"]["df"], ref["_delta"],
                                ref["_w"], ref["_gamma"])
    b = wls.baseline_test(ref["_s"], ref["_w"], ref["_gamma"], len(ref["th"]), n)
    fm = ref["fit_measures"]
    assert_close(b.chisq, fm["baseline.chisq"], atol=0, rtol=CHISQ_RTOL, what="baseline chisq")
    assert_close(b.chisq_scaled, fm["baseline.chisq.scaled"], atol=0, rtol=CHISQ_RTOL,
                 what="baseline chisq scaled")
    assert b.df == fm["baseline.df"]
    fi = wls.fit_indices(t, b, n)
    for key in ["cfi", "tli", "rmsea", "cfi_scaled", "tli_scaled", "rmsea_scaled"]:
        assert_close(fi[key], fm[key.replace("_", ".")], atol=FIT_ATOL, rtol=0, what=key)
    srmr = wls.srmr(ref["_s"], ref["_sigma"], len(ref["th"]), len(ref["ov_names"]))
    assert_close(srmr, fm["srmr"], atol=FIT_ATOL, rtol=0, what="srmr")


def test_scaled_difference_test_satorra2000():
    d = load_reference("sem_wlsmv/likert_cfa.json")
    fit1 = {"delta": np.array(d["delta"]), "w_diag": np.array(d["wls_v_diag"]),
            "gamma": np.array(d["gamma"]), "test": {"chisq": d["test"]["chisq"],
                                                     "df": d["test"]["df"]}}
    fit0 = {"delta": np.array(d["nested"]["delta0"]),
            "test": {"chisq": d["nested"]["chisq0"], "df": d["nested"]["df0"]}}
    out = wls.scaled_difference_test(fit0, fit1)
    lrt = d["lrt"]
    assert_close(out["chisq_diff"], lrt["chisq_diff"], atol=0, rtol=CHISQ_RTOL, what="LRT")
    assert out["df_diff"] == lrt["df_diff"]
    assert_close(out["pvalue"], lrt["pvalue"], atol=FIT_ATOL, rtol=0, what="LRT p")
    swapped = wls.scaled_difference_test(fit1, fit0)
    assert swapped["chisq_diff"] == out["chisq_diff"]
    with pytest.raises(EstimationError, match="not nested"):
        wls.scaled_difference_test(fit1, fit1)
