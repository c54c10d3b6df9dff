"""Dependence indices (analysis/study/dependence.py) on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.study.dependence import DYAD_COLUMNS, INDEX_COLUMNS, dependence_indices, dyad_indices


@pytest.mark.parametrize(
    ("d_own", "d_partner", "expected"),
    [
        # jd_sum, jd_mean, asym_abs, asym_signed, adv_own, adv_partner
        (5.0, 3.0, (8.0, 4.0, 2.0, 2.0, 0.0, 2.0)),  # we depend more: partner's advantage
        (2.5, 6.0, (8.5, 4.25, 3.5, -3.5, 3.5, 0.0)),  # partner depends more: our advantage
        (4.0, 4.0, (8.0, 4.0, 0.0, 0.0, 0.0, 0.0)),  # balanced
    ],
)
def test_index_formulas(d_own, d_partner, expected):
    out = dependence_indices([d_own], [d_partner])
    assert list(out.columns) == list(INDEX_COLUMNS)
    np.testing.assert_allclose(out.iloc[0].to_numpy(float), expected, rtol=0, atol=1e-12)


def test_index_identities_and_nan():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(1, 7, 50), rng.uniform(1, 7, 50)
    a[3] = np.nan
    out = dependence_indices(pd.Series(a, index=range(10, 60)), b)
    assert list(out.index) == list(range(10, 60))
    assert out.iloc[3].isna().all()
    ok = out.drop(index=13)
    np.testing.assert_allclose(
        ok["asym_signed"], ok["adv_partner"] - ok["adv_own"], rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        ok["asym_abs"], ok["adv_partner"] + ok["adv_own"], rtol=0, atol=1e-12
    )
    # max and min of the two dependences re-parameterised by JD and |asymmetry|
    np.testing.assert_allclose(
        (ok["jd_sum"] + ok["asym_abs"]) / 2,
        np.fmax(np.delete(a, 3), np.delete(b, 3)),
        rtol=0,
        atol=1e-12,
    )


def test_index_length_mismatch_is_an_error():
    with pytest.raises(DataError, match="equal length"):
        dependence_indices([1.0, 2.0], [1.0])


def _frame():
    return pd.DataFrame(
        {
            "alliance_id": ["X", "X", "Y", "Z", "Z", "W"],
            "firm_role": ["A", "B", "A", "B", "A", "A"],
            "dep_own": [5.0, 3.0, 4.0, 6.0, 2.0, np.nan],
            "dep_partner": [2.5, 4.0, 4.0, 2.0, 5.0, 3.0],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_dyad_merge_from_each_rows_perspective():
    out = dyad_indices(_frame())
    assert list(out.columns) == list(DYAD_COLUMNS)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    # alliance X: A says D_own 5, B says D_own 3
    x_a, x_b = out.loc[10], out.loc[11]
    assert (x_a["dyad_d_own"], x_a["dyad_d_partner"]) == (5.0, 3.0)
    assert (x_b["dyad_d_own"], x_b["dyad_d_partner"]) == (3.0, 5.0)
    assert x_a["dyad_jd_sum"] == x_b["dyad_jd_sum"] == 8.0
    assert x_a["dyad_jd_mean"] == 4.0
    assert x_a["dyad_asym_abs"] == x_b["dyad_asym_abs"] == 2.0
    assert (x_a["dyad_asym_signed"], x_b["dyad_asym_signed"]) == (2.0, -2.0)
    assert (x_a["dyad_adv_own"], x_a["dyad_adv_partner"]) == (0.0, 2.0)
    assert (x_b["dyad_adv_own"], x_b["dyad_adv_partner"]) == (2.0, 0.0)
    # perception gap: A perceives B's dependence as 2.5, B says 3 -> -0.5; B perceives 4, A says 5
    assert x_a["perception_gap"] == -0.5 and x_b["perception_gap"] == -1.0
    assert x_b["perception_gap_abs"] == 1.0
    # alliance Z listed B first: same logic
    assert out.loc[13, "dyad_d_partner"] == 2.0 and out.loc[14, "dyad_d_partner"] == 6.0
    assert out.loc[14, "perception_gap"] == -1.0
    # singles (Y) and an alliance with one row (W) get NaN
    assert out.loc[[12, 15]].isna().all().all()


def test_dyad_with_missing_score_propagates_nan():
    df = _frame()
    df.loc[11, "dep_own"] = np.nan
    out = dyad_indices(df)
    assert np.isnan(out.loc[10, "dyad_jd_sum"]) and np.isnan(out.loc[10, "perception_gap"])
    assert out.loc[11, "dyad_d_partner"] == 5.0  # B still knows A's self-report
    assert np.isnan(out.loc[11, "dyad_jd_sum"])


def test_dyad_errors_are_specific():
    df = _frame()
    df.loc[12, "alliance_id"] = "X"  # a second A in alliance X
    with pytest.raises(DataError, match="more than one respondent.*X"):
        dyad_indices(df)
    df = _frame()
    df.loc[12, "firm_role"] = "C"
    with pytest.raises(DataError, match="'A' or 'B'"):
        dyad_indices(df)
    with pytest.raises(DataError, match="dep_partner"):
        dyad_indices(_frame().drop(columns="dep_partner"))
