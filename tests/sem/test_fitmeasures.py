"""The fit-measure functions' edge cases, as lavaan's ``lav_fit_*`` functions define them.

The values away from the edges are checked against lavaan by the estimator tests
(test_mlr_blocks, test_wlsmv_fit, test_fiml, test_ml_reference); here the branches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis.sem import fitmeasures as fm


def test_cfi_is_one_when_model_and_baseline_fit_perfectly():
    # X2 < df (negative noncentrality) and baseline X2 < df_null: both terms are 0
    assert fm.cfi(3.0, 5.0, 8.0, 10.0) == 1.0
    # a model with X2 < df against a poor baseline: t1 = 0, so 1 - 0 / t2
    assert fm.cfi(3.0, 5.0, 500.0, 10.0) == 1.0
    assert fm.cfi(30.0, 5.0, 500.0, 10.0) == pytest.approx(1 - 25 / 490, rel=1e-15)


def test_robust_correction_only_when_both_factors_differ_from_one():
    plain = fm.cfi(30.0, 5.0, 500.0, 10.0)
    assert fm.cfi(30.0, 5.0, 500.0, 10.0, c_hat=1.2, c_hat_null=1.0) == plain
    robust = fm.cfi(30.0, 5.0, 500.0, 10.0, c_hat=1.2, c_hat_null=2.0)
    assert robust == pytest.approx(1 - (30 - 6) / (500 - 20), rel=1e-15)
    # df = 0: no correction either
    assert fm.tli(0.0, 0.0, 500.0, 10.0, c_hat=1.2, c_hat_null=2.0) == 1.0


def test_tli_edge_cases():
    assert fm.tli(30.0, 5.0, 500.0, 10.0) == pytest.approx(
        1 - (25 * 10) / (490 * 5), rel=1e-15)
    assert fm.tli(0.0, 0.0, 500.0, 10.0) == 1.0          # saturated model
    assert fm.tli(30.0, 5.0, 40.0, 0.0) == 1.0           # df_null = 0: baseline term 0
    assert fm.tli(30.0, 5.0, 10.0, 10.0) == 1.0          # X2_null = df_null
    assert fm.tli(3.0, 5.0, 500.0, 10.0) > 1.0           # not truncated
    assert math.isnan(fm.tli(float("nan"), 5.0, 500.0, 10.0))


def test_rni_and_incremental_indices_edge_cases():
    assert math.isnan(fm.rni(30.0, 5.0, 10.0, 10.0))
    assert fm.rni(3.0, 5.0, 500.0, 10.0) > 1.0
    inc = fm.incremental_indices(0.0, 0.0, 500.0, 10.0)  # df = 0
    assert inc["nfi"] == 1.0 and inc["rfi"] == 1.0
    assert inc["pnfi"] == 0.0
    inc = fm.incremental_indices(30.0, 12.0, 500.0, 10.0)  # df > df_null
    assert math.isnan(inc["nfi"]) and math.isnan(inc["rfi"])
    inc = fm.incremental_indices(30.0, 5.0, 4.0, 10.0)  # X2_null - df < 0
    assert inc["ifi"] == 1.0
    inc = fm.incremental_indices(30.0, 5.0, 500.0, 10.0)
    assert inc["nfi"] == pytest.approx(470 / 500, rel=1e-15)
    assert inc["ifi"] == pytest.approx(470 / 495, rel=1e-15)


def test_rmsea_zero_for_df_zero_and_below_df():
    assert fm.rmsea(10.0, 0.0, 200) == 0.0
    assert fm.rmsea(3.0, 5.0, 200) == 0.0
    assert fm.rmsea(30.0, 5.0, 200, g=2) == pytest.approx(
        math.sqrt(2) * math.sqrt(30 / 200 / 5 - 1 / 200), rel=1e-15)
    assert fm.rmsea(30.0, 5.0, 200, c_hat=1.5) == pytest.approx(
        math.sqrt(30 / 200 / 5 - 1.5 / 200), rel=1e-15)
    assert math.isnan(fm.rmsea(float("nan"), 5.0, 200))


def test_rmsea_interval_inverts_the_noncentral_chi_square():
    x2, df, n = 60.0, 20.0, 300
    lo, hi = fm.rmsea_ci(x2, df, n)
    lam_lo, lam_hi = lo**2 * n * df, hi**2 * n * df
    np.testing.assert_allclose(stats.ncx2.cdf(x2, df, lam_lo), 0.95, atol=1e-9, rtol=0)
    np.testing.assert_allclose(stats.ncx2.cdf(x2, df, lam_hi), 0.05, atol=1e-9, rtol=0)
    assert lo < fm.rmsea(x2, df, n) < hi
    # the robust interval scales the limits by sqrt(c_hat)
    rlo, rhi = fm.rmsea_ci(x2, df, n, c_hat=2.0)
    np.testing.assert_allclose([rlo, rhi], [lo * math.sqrt(2), hi * math.sqrt(2)],
                               rtol=1e-12, atol=0)


def test_rmsea_interval_edges():
    # X2 far below df (P(chi2(5) <= 0.5) < 0.05): both limits 0
    assert fm.rmsea_ci(0.5, 5.0, 200) == (0.0, 0.0)
    assert fm.rmsea_ci(3.0, 5.0, 200)[0] == 0.0
    assert fm.rmsea_ci(10.0, 0.0, 200) == (0.0, 0.0)    # df < 1
    lo, hi = fm.rmsea_ci(float("nan"), 5.0, 200)
    assert math.isnan(lo) and math.isnan(hi)


def test_close_and_not_close_fit_tests():
    x2, df, n = 60.0, 20.0, 300
    ncp = n * df * 0.05**2
    assert fm.rmsea_pvalue(x2, df, n) == pytest.approx(stats.ncx2.sf(x2, df, ncp), rel=1e-12)
    ncp8 = n * df * 0.08**2
    assert fm.rmsea_pvalue(x2, df, n, h0=0.08, close=False) == pytest.approx(
        stats.ncx2.cdf(x2, df, ncp8), rel=1e-12)
    assert math.isnan(fm.rmsea_pvalue(x2, 0.0, n))
