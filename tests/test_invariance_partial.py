"""Partial measurement invariance: the search frees what lavaan's score test points at,
and every level's fit and (scaled) difference test match lavaan (ML fast, MLR slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.study.measurement import _invariance

REF = Path(__file__).parent / "reference" / "invariance"
ITEMS = [f"x{i}" for i in range(1, 6)]


ESTIMATORS = [pytest.param("ML"), pytest.param("MLR", marks=pytest.mark.slow)]
_SEQ: dict[str, dict] = {}


def _ref(estimator: str) -> dict:
    return json.loads((REF / "partial_reference.json").read_text())[estimator]


def _seq(estimator: str) -> dict:
    if estimator not in _SEQ:
        data = pd.read_csv(REF / "partial_items.csv")
        warnings: list[str] = []
        out = _invariance("f =~ x1 + x2 + x3 + x4 + x5", data, "g", ITEMS, estimator,
                          "listwise", warnings)
        assert out is not None, warnings
        _SEQ[estimator] = out
    return _SEQ[estimator]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_freed_parameters_are_those_of_the_largest_score_test(estimator):
    seq, ref = _seq(estimator), _ref(estimator)
    top = ref["score_top"]
    assert seq["freed"] == {
        "metric": [f"{top['metric']['lhs']} =~ {top['metric']['rhs']}"],
        "scalar": [f"{top['scalar']['lhs']} ~1"]}
    assert seq["partial_levels"] == ["metric", "scalar"]
    assert seq["highest_level_supported"] == "strict"
    assert seq["first_failed_level"] == "metric"


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_level_matches_lavaan(estimator):
    seq, ref = _seq(estimator), _ref(estimator)
    chisq, cfi, rmsea = (("chisq.scaled", "cfi.robust", "rmsea.robust") if estimator == "MLR"
                         else ("chisq", "cfi", "rmsea"))
    levels = seq["levels"].set_index("level")
    names = {"configural": "configural", "metric": "metric",
             "metric (partial)": "metric_partial", "scalar": "scalar",
             "scalar (partial)": "scalar_partial", "strict": "strict"}
    assert list(levels.index) == list(names)
    for ours, theirs in names.items():
        row, r = levels.loc[ours], ref["fit"][theirs]
        np.testing.assert_allclose(row["chisq"], r[chisq], rtol=1e-3)
        assert row["df"] == r["df"]
        np.testing.assert_allclose(row["cfi"], r[cfi], atol=1e-3)
        np.testing.assert_allclose(row["rmsea"], r[rmsea], atol=1e-3)
        if theirs != "configural":
            t = ref["lrt"][theirs]
            np.testing.assert_allclose(row["delta_chisq"], t["delta_chisq"], rtol=1e-3)
            assert row["delta_df"] == t["delta_df"]
            np.testing.assert_allclose(row["delta_pvalue"], t["delta_pvalue"], rtol=1e-2,
                                       atol=1e-6)
    assert list(levels["decision"]) == ["baseline", "fails", "holds (partial)", "fails",
                                        "holds (partial)", "holds"]


def test_search_stops_before_too_few_invariant_indicators():
    from analysis.sem import sem
    from analysis.sem.invariance import partial_invariance

    data = pd.read_csv(REF / "partial_items.csv")
    model = "f =~ x1 + x2 + x3 + x4 + x5"
    base = sem(model, data, estimator="ML", group="g")
    # a rule that never holds: the search frees loadings until two indicators are left
    # with equal loadings (the marker x1 and one more), then says why it stopped
    out = partial_invariance(model, data, "g", "metric", base=base, holds=lambda row: False,
                             estimator="ML")
    assert not out["holds"]
    assert len(out["freed"]) == 3
    assert "fewer than 2 invariant indicators" in out["stopped"]
    assert len(out["steps"]) == 4


def test_a_configural_model_that_fits_poorly_judges_no_level():
    """Four items of two factors correlating .4 fitted as one factor in two groups: the
    configural model misfits (RMSEA far above .10) and the sequence stops there instead of
    reading metric and scalar invariance off differences between misfitting models."""
    from analysis.study.measurement import BASELINE_RMSEA_MAX, _invariance_sequence

    rng = np.random.default_rng(5)
    n = 300
    f1 = rng.normal(size=n)
    f2 = 0.4 * f1 + np.sqrt(1 - 0.4**2) * rng.normal(size=n)
    d = pd.DataFrame({"y1": f1 + 0.5 * rng.normal(size=n), "y2": f1 + 0.5 * rng.normal(size=n),
                      "y3": f2 + 0.5 * rng.normal(size=n), "y4": f2 + 0.5 * rng.normal(size=n),
                      "g": np.repeat([1, 2], n // 2)})
    out = _invariance_sequence("f =~ y1 + y2 + y3 + y4", d, "g", "MLR",
                               ("configural", "metric", "scalar"), True, {})
    levels = out["levels"]
    assert list(levels["level"]) == ["configural"]
    assert levels["rmsea"].iloc[0] > BASELINE_RMSEA_MAX
    assert levels["decision"].iloc[0].startswith("baseline fits poorly (")
    assert out["highest_level_supported"] == "none" and out["first_failed_level"] == "configural"
    # the total N of the comparison (300) sets Chen's cut-offs for N <= 300
    assert out["cutoffs"] == {"n": 300.0, "delta_cfi": -0.005, "delta_rmsea": 0.010}
