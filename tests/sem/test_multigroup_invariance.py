"""Measurement invariance sequence vs lavaan (cfa(group.equal=...) + lavTestLRT)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.sem import measurement_invariance
from analysis.sem.invariance import lrt
from tests.parity import CHISQ_RTOL, FIT_ATOL, assert_close, load_reference
from tests.sem._ml_cases import dataset, reference


@pytest.fixture(scope="module")
def table():
    return measurement_invariance(reference("hs_cfa")["model"], dataset("hs"), "school")


def test_levels_and_columns(table):
    assert list(table["level"]) == ["configural", "metric", "scalar", "strict"]
    for c in ("chisq", "df", "cfi", "rmsea", "delta_chisq", "delta_df", "delta_pvalue",
              "delta_cfi", "delta_rmsea"):
        assert table[c].dtype == float
    assert np.isnan(table["delta_chisq"].iloc[0])


def test_matches_lavTestLRT(table):
    ref = load_reference("sem_ml/hs_invariance_lrt.json")
    assert_close(table["chisq"], ref["chisq"], atol=0.0, rtol=CHISQ_RTOL, what="chisq")
    assert_close(table["df"], ref["df"], atol=0.0, rtol=0.0, what="df")
    d = [np.nan if v is None else v for v in ref["delta_chisq"]]
    assert_close(table["delta_chisq"], d, atol=FIT_ATOL, rtol=CHISQ_RTOL, what="delta chisq")
    p = [np.nan if v is None else v for v in ref["delta_pvalue"]]
    assert_close(table["delta_pvalue"], p, atol=FIT_ATOL, rtol=0.0, what="delta p")
    assert_close(table["cfi"], ref["cfi"], atol=FIT_ATOL, rtol=0.0, what="cfi")
    assert_close(table["rmsea"], ref["rmsea"], atol=FIT_ATOL, rtol=0.0, what="rmsea")
    cfi = np.asarray(ref["cfi"], dtype=float)
    assert_close(table["delta_cfi"].iloc[1:], np.diff(cfi), atol=FIT_ATOL, rtol=0.0,
                 what="delta cfi")


def test_lrt_of_nested_fits_is_symmetric_in_sign():
    from analysis.sem import cfa

    model = reference("hs_cfa")["model"]
    a = cfa(model, dataset("hs"), group="school")
    b = cfa(model, dataset("hs"), group="school", group_equal=("loadings",))
    d = lrt(a, b)
    assert d["delta_df"] == 6
    assert d["delta_chisq"] > 0


def test_unknown_level():
    from analysis.errors import ModelSpecificationError

    with pytest.raises(ModelSpecificationError, match="levels"):
        measurement_invariance("f =~ x1 + x2 + x3", dataset("hs"), "school",
                               levels=("configural", "partial"))
