"""analysis.study.measurement against lavaan 0.6.14 (tests/reference/measurement/).

The R script ``make_measurement_reference.R`` fits the syntax of
``measurement_syntax(scales=[learning x 3, trust])`` without and with the second-order
factor, WLSMV (ordered) and MLR, on a committed simulated data set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.study.measurement import LEARNING_SCALES, fit_measurement_model, measurement_syntax
from instruments.instrument.loader import load_instrument
from tests.parity import (
    CHISQ_RTOL,
    EST_ATOL,
    EST_RTOL,
    FIT_ATOL,
    REFERENCE_DIR,
    assert_close,
    load_reference,
)

SCALES = [*LEARNING_SCALES, "trust"]
REF = load_reference("measurement/learning_trust.json")


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def raw(inst):
    """The committed items (reverse-keyed) turned back into raw answer codes."""
    x = pd.read_csv(REFERENCE_DIR / "measurement" / "learning_trust_items.csv")
    rev = [i for i in inst.reverse_items() if i in x.columns]
    x[rev] = 8 - x[rev]
    return x


def _run(raw: pd.DataFrame, inst, estimator: str) -> dict:
    return fit_measurement_model(
        raw, inst, estimator=estimator, scales=SCALES, invariance_groups=(),
        method_checks=False, scored=pd.DataFrame({"exclude": np.zeros(len(raw), dtype=bool)}),
    )


@pytest.fixture(scope="module", params=["WLSMV", "MLR"])
def result(request, raw, inst):
    return request.param, _run(raw, inst, request.param)


def test_syntax_is_the_one_fitted_in_r(inst):
    assert measurement_syntax(inst, scales=SCALES) == REF["WLSMV"]["first_order"]["syntax"]
    assert (measurement_syntax(inst, scales=SCALES, second_order=True)
            == REF["WLSMV"]["second_order"]["syntax"])


def test_sample_size(result):
    est, out = result
    assert out["n_used"] == REF["n"]
    assert out["n_excluded"] == 0
    assert out["ordered"] is (est == "WLSMV")


@pytest.mark.parametrize("order", ["first_order", "second_order"])
def test_fit_measures_match_lavaan(result, order):
    est, out = result
    ref = REF[est][order]["fit"]
    ours = out["fit"][order]
    chisq = [k for k in ("chisq", "chisq_scaled") if k in ref]
    assert_close([ours[k] for k in chisq], [ref[k] for k in chisq], atol=0.0, rtol=CHISQ_RTOL,
                 what=f"{est} {order} chi-square")
    assert [ours["df"], ours["npar"]] == [ref["df"], ref["npar"]]
    idx = [k for k in ("cfi", "tli", "rmsea", "srmr", "cfi_robust", "rmsea_robust",
                       "tli_robust", "cfi_scaled", "rmsea_scaled") if k in ref]
    assert_close([ours[k] for k in idx], [ref[k] for k in idx], atol=FIT_ATOL,
                 what=f"{est} {order} fit indices")
    if est == "MLR":
        assert_close([ours["aic"], ours["bic"]], [ref["aic"], ref["bic"]], atol=0.0,
                     rtol=CHISQ_RTOL, what="AIC/BIC")
    else:
        assert ours["aic"] is None


def test_loadings_match_lavaan(result):
    est, out = result
    ref = pd.DataFrame(REF[est]["first_order"]["params"])
    ref = ref[ref["op"] == "=~"].set_index(["lhs", "rhs"])
    ours = pd.DataFrame(
        [{"lhs": s, **row} for s, rows in out["loadings"].items() for row in rows]
    ).set_index(["lhs", "item"])
    ours = ours.loc[ref.index]
    assert_close(ours["est"], ref["est"], atol=EST_ATOL, rtol=EST_RTOL, what=f"{est} loadings")
    se = ref["se"].notna() & (ref["se"] > 0)
    assert_close(ours["se"][se.to_numpy()], ref["se"][se], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{est} loading SEs")
    assert_close(ours["std_all"], ref["std_all"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{est} standardized loadings")


def test_second_order_loadings_match_lavaan(result):
    est, out = result
    ref = pd.DataFrame(REF[est]["second_order"]["params"])
    ref = ref[(ref["op"] == "=~") & (ref["lhs"] == "relationship_learning")]
    ours = pd.DataFrame(out["second_order_loadings"]).set_index("factor").loc[ref["rhs"]]
    assert_close(ours["std_all"], ref["std_all"], atol=EST_ATOL, rtol=EST_RTOL,
                 what=f"{est} second-order loadings")


def test_second_order_difference_test_matches_lavtestlrt(result):
    est, out = result
    ref = REF[est]["lrt"]
    cmp = out["second_order_comparison"]
    assert cmp["df_diff"] == ref["df_diff"]
    assert_close(cmp["chisq_diff"], ref["chisq_diff"], atol=FIT_ATOL, rtol=CHISQ_RTOL,
                 what=f"{est} scaled chi-square difference")
    assert_close(cmp["pvalue"], ref["pvalue"], atol=FIT_ATOL, what=f"{est} difference p")
    f1, f2 = REF[est]["first_order"]["fit"], REF[est]["second_order"]["fit"]
    key = "cfi_robust" if "cfi_robust" in f1 else "cfi"
    assert_close(cmp["delta_cfi"], f2[key] - f1[key], atol=FIT_ATOL, what="delta CFI")


def test_hierarchical_omega(result):
    """MLR: semTools::compRelSEM(fit, higher = "relationship_learning"); WLSMV: undefined."""
    est, out = result
    value = out["second_order_comparison"]["omega_higher_order"]
    if est == "WLSMV":
        assert value is None
        return
    assert_close(value, REF[est]["omega_higher_order"], atol=EST_ATOL,
                 what="hierarchical omega")
