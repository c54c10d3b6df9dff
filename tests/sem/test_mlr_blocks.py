"""Robust building blocks (analysis.sem.robust) against lavaan 0.6.14 internals.

Reference: tests/reference/sem_fiml/make_reference.R (writes sem_mlr/ and sem_fiml/).
The inputs are lavaan's own Delta, information matrices and EM moments, so these tests
check the formulas of the sandwich, the Yuan-Bentler (Mplus) scaling, the fit indices and
the FIML-corrected robust indices independently of the estimation engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import fiml, robust
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

MLR_FILES = [
    "sem_mlr/hs_cfa_mlr.json",
    "sem_mlr/poldem_sem_mlr.json",
    "sem_mlr/hs_cfa_mlr_school.json",
    "sem_fiml/hs_mcar10_mlr.json",
    "sem_fiml/poldem_mar_mlr.json",
]
FIML_FILES = {
    "sem_fiml/hs_mcar10_ml.json": "sem_fiml/hs_mcar10.csv",
    "sem_fiml/hs_mcar10_mlr.json": "sem_fiml/hs_mcar10.csv",
    "sem_fiml/poldem_mar_ml.json": "sem_fiml/poldem_mar.csv",
    "sem_fiml/poldem_mar_mlr.json": "sem_fiml/poldem_mar.csv",
}


def _weights(ref):
    nobs = ref["nobs"]
    nobs = list(nobs.values()) if isinstance(nobs, dict) else list(np.atleast_1d(nobs))
    return [n / ref["ntotal"] for n in nobs]


@pytest.mark.parametrize("path", MLR_FILES)
def test_sandwich_and_yuan_bentler_mplus(path):
    ref = load_reference(path)
    w = _weights(ref)
    deltas = [np.array(d) for d in ref["delta"]]
    b0, b0_groups = robust.first_order_information(
        deltas, [np.array(b) for b in ref["B1_structured"]], w
    )
    assert_close(b0, ref["information_first_order"], atol=1e-8, rtol=1e-8, what="B0")
    e = np.array(ref["information"])
    v = robust.sandwich_vcov(e, b0, ref["ntotal"])
    assert_close(np.sqrt(np.diag(v)), np.sqrt(np.diag(ref["vcov"])),
                 atol=EST_ATOL / 100, rtol=EST_RTOL / 100, what="robust SE")
    assert_close(v, ref["vcov"], atol=1e-9, rtol=0.0, what="vcov")
    tr = robust.yuan_bentler_mplus_trace(
        [np.array(a) for a in ref["A1_h1"]], [np.array(b) for b in ref["B1_h1"]],
        b0_groups, np.linalg.inv(e), w,
    )
    yb = ref["test"]["yuan.bentler.mplus"]
    assert_close(tr["trace"], yb["trace.UGamma"], atol=0.0, rtol=1e-8, what="tr(UG)")
    st = ref["test"]["standard"]
    out = robust.scaled_test(st["stat"], st["df"], tr["trace"])
    assert_close(out["chisq_scaled"], yb["stat"], atol=0.0, rtol=CHISQ_RTOL / 100, what="X2s")
    assert_close(out["scaling_factor"], yb["scaling.factor"], atol=1e-8, rtol=0.0, what="c")
    assert_close(out["pvalue_scaled"], yb["pvalue"], atol=1e-8, rtol=0.0, what="p scaled")


@pytest.mark.parametrize("path", MLR_FILES + ["sem_fiml/hs_mcar10_ml.json"])
def test_standard_and_scaled_fit_indices(path):
    ref = load_reference(path)
    fm = ref["fit_measures"]
    n, g = ref["ntotal"], len(ref["delta"])
    x2, df, x0, df0 = fm["chisq"], fm["df"], fm["baseline.chisq"], fm["baseline.df"]
    ours = {
        "cfi": robust.cfi(x2, df, x0, df0),
        "tli": robust.tli(x2, df, x0, df0),
        "rmsea": robust.rmsea(x2, df, n, g),
        "rmsea.pvalue": robust.rmsea_pvalue(x2, df, n, g),
        "rmsea.notclose.pvalue": robust.rmsea_pvalue(x2, df, n, g, h0=0.08, close=False),
    }
    ours["rmsea.ci.lower"], ours["rmsea.ci.upper"] = robust.rmsea_ci(x2, df, n, g)
    if "chisq.scaled" in fm:
        xs, x0s = fm["chisq.scaled"], fm["baseline.chisq.scaled"]
        tr = ref["test"]["yuan.bentler.mplus"]["trace.UGamma"]
        ours["cfi.scaled"] = robust.cfi(xs, df, x0s, df0)
        ours["tli.scaled"] = robust.tli(xs, df, x0s, df0)
        ours["rmsea.scaled"] = robust.rmsea(x2, tr, n, g)
        ours["rmsea.ci.lower.scaled"], ours["rmsea.ci.upper.scaled"] = robust.rmsea_ci(x2, tr, n, g)
        if "fiml_corrected" not in ref:  # complete data: robust = c_hat of the scaled test
            c, c0 = fm["chisq.scaling.factor"], fm["baseline.chisq.scaling.factor"]
            ours["cfi.robust"] = robust.cfi(x2, df, x0, df0, c, c0)
            ours["tli.robust"] = robust.tli(x2, df, x0, df0, c, c0)
            ours["rmsea.robust"] = robust.rmsea(x2, df, n, g, c)
            lo, hi = robust.rmsea_ci(xs, df, n, g, c)
            ours["rmsea.ci.lower.robust"], ours["rmsea.ci.upper.robust"] = lo, hi
    for key, val in ours.items():
        assert_close(val, fm[key], atol=FIT_ATOL / 100, rtol=0.0, what=key)


@pytest.mark.parametrize("path", sorted(FIML_FILES))
def test_fiml_corrected_robust_indices(path):
    ref = load_reference(path)
    fm = ref["fit_measures"]
    y = pd.read_csv(REFERENCE_DIR / FIML_FILES[path])[ref["ov_names"]].to_numpy(dtype=float)
    n, p = y.shape
    pat = fiml.missing_patterns(y)
    h1 = fiml.em_saturated(y, pat)
    wm = fiml.information_observed(y, h1.mu, h1.sigma, pat)
    jm = fiml.information_first_order(y, h1.mu, h1.sigma, pat)
    wc = fiml.information_complete(h1.sigma)
    scaled = "yuan.bentler.mplus" in ref["test"]
    mu, sigma = np.array(ref["mu_hat"][0]), np.array(ref["sigma_hat"][0])
    model = robust.fiml_corrected(
        xx3=n * fiml.ml_discrepancy(mu, sigma, h1.mu, h1.sigma), df3=fm["df"],
        wm_groups=[wm], jm_groups=[jm], wc_groups=[wc], deltas=[np.array(ref["delta"][0])],
        weights=[1.0], scaled=scaled,
    )
    mu0, sigma0 = fiml.independence_moments(y, pat)
    r, c = fiml.vech_indices(p)
    d0 = np.zeros((p + r.size, 2 * p))
    d0[:p, :p] = np.eye(p)
    d0[p + np.flatnonzero(r == c), p + np.arange(p)] = 1.0
    base = robust.fiml_corrected(
        xx3=n * fiml.ml_discrepancy(mu0, sigma0, h1.mu, h1.sigma), df3=fm["baseline.df"],
        wm_groups=[wm], jm_groups=[jm], wc_groups=[wc], deltas=[d0], weights=[1.0],
        scaled=scaled,
    )
    fc = ref["fiml_corrected"]
    assert_close(model["xx3"], fc["XX3"], atol=0.0, rtol=CHISQ_RTOL / 10, what="XX3")
    assert_close(model["c_hat3"], fc["c.hat3"], atol=1e-4, rtol=0.0, what="c.hat3")
    assert_close(base["xx3"], fc["XX3.null"], atol=0.0, rtol=CHISQ_RTOL / 10, what="XX3.null")
    assert_close(base["c_hat3"], fc["c.hat3.null"], atol=1e-4, rtol=0.0, what="c.hat3.null")
    ch, ch0 = model["c_hat3"], base["c_hat3"]
    ours = {
        "cfi.robust": robust.cfi(model["xx3"], fm["df"], base["xx3"], fm["baseline.df"], ch, ch0),
        "tli.robust": robust.tli(model["xx3"], fm["df"], base["xx3"], fm["baseline.df"], ch, ch0),
        "rmsea.robust": robust.rmsea(model["xx3"], fm["df"], n, 1, ch),
    }
    ours["rmsea.ci.lower.robust"], ours["rmsea.ci.upper.robust"] = robust.rmsea_ci(
        model["xx3_scaled"], fm["df"], n, 1, ch
    )
    for key, val in ours.items():
        assert_close(val, fm[key], atol=FIT_ATOL, rtol=0.0, what=key)


def test_scaled_difference_test_matches_lavTestLRT():
    ref = load_reference("sem_mlr/hs_lrt_loadings.json")

    def t(k):
        return {"chisq": ref["chisq"][k], "df": ref["df"][k],
                "scaling_factor": ref["scaling_factor"][k]}

    out = robust.scaled_difference_test(t("f0"), t("f1"))
    assert_close(out["chisq_diff"], ref["chisq_diff"], atol=0.0, rtol=CHISQ_RTOL / 100, what="dX2")
    assert out["df_diff"] == ref["df_diff"]
    assert_close(out["pvalue"], ref["pvalue"], atol=1e-8, rtol=0.0, what="p")
    # argument order does not matter
    assert robust.scaled_difference_test(t("f1"), t("f0")) == out


def test_scaled_difference_test_refuses_equal_df():
    t = {"chisq": 10.0, "df": 5, "scaling_factor": 1.1}
    with pytest.raises(ModelSpecificationError, match="not nested"):
        robust.scaled_difference_test(t, dict(t))


def test_cfi_is_one_for_perfect_fit_and_rmsea_zero_below_df():
    assert robust.cfi(3.0, 5, 500.0, 10) == 1.0
    assert robust.rmsea(3.0, 5, 200) == 0.0
    lo, hi = robust.rmsea_ci(3.0, 5, 200)
    assert lo == 0.0 and hi > 0.0
