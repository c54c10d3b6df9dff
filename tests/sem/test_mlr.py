"""MLR on complete data through ``sem()`` against lavaan 0.6.14 (``estimator = "MLR"``).

Robust (Huber-White) SEs from the observed information, the Yuan-Bentler (Mplus) scaled
chi-square, scaled and robust CFI/TLI/RMSEA; single and multiple groups.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.sem import sem
from analysis.sem.robust import scaled_difference_test
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)
from tests.sem._s2_cases import CHISQ_KEYS, FIT_KEYS, HS, LIK_KEYS, fitted, merged_estimates

MLR_CASES = ["hs_cfa_mlr", "poldem_sem_mlr", "hs_cfa_mlr_school", "poldem_fixedx_mlr"]


@pytest.mark.parametrize("name", MLR_CASES)
def test_estimates_and_robust_standard_errors(name):
    res, ref = fitted(name)
    assert res.converged
    m = merged_estimates(res, ref)
    assert_close(m["est"], m["est_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} est")
    assert_close(m["se"], m["se_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} se")


@pytest.mark.parametrize("name", MLR_CASES)
def test_scaled_test_and_fit_measures(name):
    res, ref = fitted(name)
    fm, ours = ref["fit_measures"], res.fit
    checked = 0
    for key in FIT_KEYS + LIK_KEYS:
        if key not in fm or fm[key] is None:
            continue
        val = ours[key.replace(".", "_")]
        if key in CHISQ_KEYS:
            assert_close(val, fm[key], atol=0.0, rtol=CHISQ_RTOL, what=key)
        else:
            assert_close(val, fm[key], atol=FIT_ATOL, rtol=0.0, what=key)
        checked += 1
    assert checked >= 30
    assert res.state.test["df_scaled"] == fm["df"]


def test_mlr_estimates_equal_ml_but_ses_differ():
    data = pd.read_csv(REFERENCE_DIR / "data/HolzingerSwineford1939.csv")
    ml = sem(HS, data)
    mlr, _ = fitted("hs_cfa_mlr")
    assert_close(mlr.x, ml.x, atol=1e-5, rtol=0.0, what="estimates")
    se_ml = ml.params["se"].to_numpy()
    se_mlr = mlr.params["se"].to_numpy()
    assert abs(se_ml - se_mlr).max() > 0.01


def test_scaled_difference_test_on_fitted_models():
    ref = load_reference("sem_mlr/hs_lrt_loadings.json")
    data = pd.read_csv(REFERENCE_DIR / "data/HolzingerSwineford1939.csv")
    f1, _ = fitted("hs_cfa_mlr_school")
    f0 = sem(HS, data, estimator="MLR", group="school", group_equal=["loadings"])
    out = scaled_difference_test(f0, f1.state)  # SEMResult or FitState
    assert_close(out["chisq_diff"], ref["chisq_diff"], atol=0.0, rtol=CHISQ_RTOL, what="dX2")
    assert out["df_diff"] == ref["df_diff"]
    assert_close(out["pvalue"], ref["pvalue"], atol=FIT_ATOL, rtol=0.0, what="p")


def test_invariance_lrt_uses_the_scaled_difference_for_mlr():
    from analysis.sem.invariance import lrt

    ref = load_reference("sem_mlr/hs_lrt_loadings.json")
    data = pd.read_csv(REFERENCE_DIR / "data/HolzingerSwineford1939.csv")
    f1, _ = fitted("hs_cfa_mlr_school")
    f0 = sem(HS, data, estimator="MLR", group="school", group_equal=["loadings"])
    out = lrt(f1, f0)
    assert_close(out["delta_chisq"], ref["chisq_diff"], atol=0.0, rtol=CHISQ_RTOL, what="dX2")
    assert_close(out["delta_pvalue"], ref["pvalue"], atol=FIT_ATOL, rtol=0.0, what="p")
