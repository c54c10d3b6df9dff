"""PLSpredict parity with seminr's predict_pls on the same folds (10-fold, DA)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import ModelSpecificationError
from analysis.stats.pls import pls
from analysis.stats.pls.predict import pls_predict

REF = Path(__file__).resolve().parents[1] / "reference" / "pls"
GEN = REF / "generated"
MODEL = """
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSA + CUSL ~ COMP + LIKE
CUSL ~ CUSA
"""


@pytest.fixture(scope="module")
def predicted():
    res = pls(pd.read_csv(REF / "corp_rep_data.csv"), MODEL, missing_value=-99)
    folds = pd.read_csv(GEN / "corp_predict_folds.csv", index_col=0)["fold"].to_numpy()
    return pls_predict(res, folds=folds)


def test_out_of_sample_predictions_match_seminr(predicted):
    for ours, file in [(predicted.pls_predictions, "corp_predict_pls_oos.csv"),
                       (predicted.lm_predictions, "corp_predict_lm_oos.csv")]:
        ref = pd.read_csv(GEN / file, index_col=0)
        np.testing.assert_allclose(ours[ref.columns].to_numpy(), ref.to_numpy(), rtol=0, atol=1e-5)


def test_item_metrics_match_seminr(predicted):
    for prefix, file in [("pls", "corp_predict_pls_metrics.csv"), ("lm", "corp_predict_lm_metrics.csv")]:
        ref = pd.read_csv(GEN / file, index_col=0)
        m = predicted.metrics.loc[ref.columns]
        np.testing.assert_allclose(m[f"{prefix}_rmse"].to_numpy(), ref.loc["RMSE"].to_numpy(),
                                   rtol=0, atol=1e-5)
        np.testing.assert_allclose(m[f"{prefix}_mae"].to_numpy(), ref.loc["MAE"].to_numpy(),
                                   rtol=0, atol=1e-5)


def test_repeated_random_folds_and_refusals():
    res = pls(pd.read_csv(REF / "corp_rep_data.csv"), MODEL, missing_value=-99)
    a = pls_predict(res, folds=5, reps=2, seed=1)
    b = pls_predict(res, folds=5, reps=2, seed=1)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    assert (a.metrics["pls_rmse"] > 0).all()
    mobi = pd.read_csv(REF / "mobi.csv")
    inter = pls(mobi, "A =~ IMAG1 + IMAG2\nB =~ CUEX1 + CUEX2\nC =~ CUSA1 + CUSA2\nC ~ A + B + A:B")
    with pytest.raises(ModelSpecificationError, match="interactions"):
        pls_predict(inter)
