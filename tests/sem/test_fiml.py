"""FIML (missing = "ml") and MLR end to end through ``sem()`` against lavaan 0.6.14.

lavaan: ``sem(..., missing = "ml")``, ``sem(..., missing = "ml", estimator = "MLR")``;
data: HS with 10 % MCAR on x1-x9, PoliticalDemocracy with MAR on y1-y8, and a model with
fixed.x covariates that have missing values (tests/reference/sem_fiml/make_reference.R).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.sem import sem
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
)
from tests.sem._s2_cases import CHISQ_KEYS, FIT_KEYS, LIK_KEYS, fitted, merged_estimates

FIML_CASES = ["hs_mcar10_ml", "hs_mcar10_mlr", "poldem_mar_ml", "poldem_mar_mlr",
              "poldem_xmiss_mlr", "hs_mcar10_mlr_school"]


@pytest.mark.parametrize("name", FIML_CASES)
def test_estimates_and_standard_errors(name):
    res, ref = fitted(name)
    assert res.converged
    m = merged_estimates(res, ref)
    assert_close(m["est"], m["est_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} est")
    assert_close(m["se"], m["se_r"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{name} se")


@pytest.mark.parametrize("name", FIML_CASES)
def test_fit_measures(name):
    res, ref = fitted(name)
    fm, ours = ref["fit_measures"], res.fit
    checked = 0
    for key in FIT_KEYS:
        if key not in fm or fm[key] is None:
            continue
        val = ours[key.replace(".", "_")]
        if key in CHISQ_KEYS:
            assert_close(val, fm[key], atol=0.0, rtol=CHISQ_RTOL, what=key)
        else:
            assert_close(val, fm[key], atol=FIT_ATOL, rtol=0.0, what=key)
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("name", FIML_CASES)
def test_casewise_loglik_aic_bic(name):
    res, ref = fitted(name)
    for key in LIK_KEYS:
        assert_close(res.fit[key.replace(".", "_")], ref["fit_measures"][key],
                     atol=FIT_ATOL, rtol=0.0, what=key)


def test_anchor_case_hs_mcar_x2_loading():
    """anchors.md: semopy gets SEs (and fit) wrong here; we match lavaan."""
    res, ref = fitted("hs_mcar10_ml")
    p = res.params
    row = p[(p.lhs == "visual") & (p.op == "=~") & (p.rhs == "x2")].iloc[0]
    r = pd.DataFrame(ref["estimates"])
    rr = r[(r.lhs == "visual") & (r.op == "=~") & (r.rhs == "x2")].iloc[0]
    assert_close([row.est, row.se], [rr.est, rr.se], atol=EST_ATOL, rtol=EST_RTOL, what="x2")


def test_missing_exogenous_covariates_are_deleted_with_a_warning():
    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/poldem_mar_xmiss.csv")
    res = sem("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2", data, missing="ml")
    assert any("exogenous covariates" in w and "were deleted" in w for w in res.warnings)
    _, ref = fitted("poldem_xmiss_mlr")
    assert res.fit["ntotal"] == ref["ntotal"] == 69
    assert res.n["total"] == 69  # the result's N, not only the backend's, drops those cases


def test_fiml_equals_ml_on_complete_data():
    """With no missing values FIML reproduces ML with a mean structure."""
    data = pd.read_csv(REFERENCE_DIR / "data/HolzingerSwineford1939.csv")
    from tests.sem._s2_cases import HS

    a = sem(HS, data, missing="ml")
    b = sem(HS, data, meanstructure=True)
    assert_close(a.x, b.x, atol=1e-5, rtol=0.0, what="estimates")
    assert_close(a.fit["chisq"], b.fit["chisq"], atol=1e-5, rtol=0.0, what="chisq")
    assert_close(a.fit["logl"], b.fit["logl"], atol=1e-5, rtol=0.0, what="logl")


def test_fiml_does_not_touch_the_data():
    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/hs_mcar10.csv")
    before = data.copy()
    from tests.sem._s2_cases import HS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sem(HS, data, missing="fiml")
    pd.testing.assert_frame_equal(data, before)


def test_fiml_needs_a_mean_structure():
    from analysis.sem import compile_model
    from analysis.sem.api import sample_stats
    from analysis.sem.fiml import fit_fiml
    from tests.sem._s2_cases import HS

    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/hs_mcar10.csv")
    cm = compile_model(HS, data, missing="ml", meanstructure=False)
    stats, _ = sample_stats(cm, data, "ml")
    with pytest.raises(ModelSpecificationError, match="mean structure"):
        fit_fiml(cm.bind(stats), stats, cm.options)


def test_em_saturated_model_is_the_h1_of_the_test():
    res, ref = fitted("poldem_mar_ml")
    h1 = res.state.extra["h1_cov"][0]
    assert_close(h1, ref["h1_cov"][0], atol=1e-4, rtol=0.0, what="EM covariances")
    assert np.isfinite(res.state.loglik_h1)


def test_non_convergence_is_reported_not_hidden():
    from analysis.sem import compile_model
    from analysis.sem.api import sample_stats
    from analysis.sem.fiml import estimate, prepare_group_data
    from tests.sem._s2_cases import HS

    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/hs_mcar10.csv")
    cm = compile_model(HS, data, missing="ml")
    stats, _ = sample_stats(cm, data, "ml")
    bound = cm.bind(stats)
    gd = [prepare_group_data(st.data, fit_h1=False) for st in stats]
    x, ok, it, _ = estimate(bound, gd, bound.x_start(stats), max_iter=2)
    assert not ok and it == 2
    x, ok, _, _ = estimate(bound, gd, bound.x_start(stats))
    assert ok


def test_warm_start_gives_the_same_solution():
    from analysis.sem import compile_model

    res, _ = fitted("poldem_mar_mlr")
    data = pd.read_csv(REFERENCE_DIR / "sem_fiml/poldem_mar.csv")
    from tests.sem._s2_cases import PD

    cm = compile_model(PD, data, missing="ml", estimator="MLR")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = cm.fit(data, start=res.x)
    assert_close(again.x, res.x, atol=1e-6, rtol=0.0, what="warm start")
    assert again.state.iterations <= 3
