"""Scoring (analysis/study/scoring.py): reverse keys, min-valid rule, data checks, score()."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.errors import DataError
from analysis.study.scoring import (
    DataQualityWarning,
    check_data,
    reverse_key,
    score,
    score_scales,
)
from analysis.study.simulate import simulate_study, write_data
from instruments.instrument.loader import load_instrument
from tests.instrument_standin import StandinInstrument

STANDIN = StandinInstrument()


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


def _items_frame(instrument, rows: list[dict[str, float]]) -> pd.DataFrame:
    cols = [i for items in instrument.scale_items().values() for i in items]
    df = pd.DataFrame(4.0, index=range(len(rows)), columns=cols)
    for i, row in enumerate(rows):
        for k, v in row.items():
            df.loc[i, k] = v
    df["attn_1"] = 2.0
    df["attn_2"] = 5.0
    return df


def test_reverse_key_uses_declared_items_only():
    df = _items_frame(STANDIN, [{"trust_3": 1.0, "trust_1": 1.0}, {"trust_3": 6.0}])
    df.loc[1, "dep_own_4"] = np.nan
    out = reverse_key(df, STANDIN)
    assert out["trust_3"].tolist() == [7.0, 2.0]  # 1 + 7 - x
    assert out["trust_1"].tolist() == [1.0, 4.0]  # not reverse-keyed
    assert np.isnan(out.loc[1, "dep_own_4"])
    assert df.loc[0, "trust_3"] == 1.0  # input untouched


def test_reverse_key_reads_the_real_instrument(inst):
    declared = inst.reverse_items()
    assert declared
    df = _items_frame(inst, [{c: 1.0 for c in declared}])
    out = reverse_key(df, inst)
    assert (out.loc[0, declared] == 7.0).all()
    others = [c for c in df.columns if c not in declared]
    pd.testing.assert_frame_equal(out[others], df[others])


def test_scale_mean_after_reverse_keying():
    # trust items 1..4 with trust_3 reversed: 6, 5, 2 (-> 6), 7 -> mean 6
    df = _items_frame(STANDIN, [{"trust_1": 6, "trust_2": 5, "trust_3": 2, "trust_4": 7}])
    scores = score_scales(df, STANDIN)
    assert scores.loc[0, "trust"] == pytest.approx(6.0, abs=1e-12)
    assert scores.loc[0, "marker"] == pytest.approx(4.0, abs=1e-12)


def test_min_valid_rule_per_scale_and_override():
    # stand-in: 4-item scales need 2 answers, 5-item scales 3
    rows = [
        {"trust_1": 6, "trust_2": np.nan, "trust_3": np.nan, "trust_4": np.nan},  # 1 valid
        {"trust_1": 6, "trust_2": 4, "trust_3": np.nan, "trust_4": np.nan},  # 2 valid
        {
            "dep_own_1": 3,
            "dep_own_2": 5,
            "dep_own_3": np.nan,
            "dep_own_4": np.nan,
            "dep_own_5": np.nan,
        },  # 2 of 5 valid
    ]
    df = _items_frame(STANDIN, rows)
    s = score_scales(df, STANDIN)
    assert np.isnan(s.loc[0, "trust"])
    assert s.loc[1, "trust"] == pytest.approx(5.0, abs=1e-12)
    assert np.isnan(s.loc[2, "dep_own"])
    s1 = score_scales(df, STANDIN, min_valid=1)
    assert s1.loc[0, "trust"] == 6.0 and s1.loc[2, "dep_own"] == pytest.approx(4.0, abs=1e-12)
    s4 = score_scales(df, STANDIN, min_valid=4)
    assert np.isnan(s4.loc[1, "trust"]) and s4.loc[0, "marker"] == 4.0  # capped at 3 items
    with pytest.raises(DataError, match="min_valid="):
        score_scales(df, STANDIN, min_valid=0)


def test_min_valid_from_the_real_instrument(inst):
    scale = inst.scales["value_creation"]
    k = scale.min_valid
    items = [it.id for it in scale.items]
    df = _items_frame(inst, [{c: np.nan for c in items[k - 1 :]}, {c: np.nan for c in items[k:]}])
    s = score_scales(df, inst)
    assert np.isnan(s.loc[0, "value_creation"]) and s.loc[1, "value_creation"] == 4.0


def test_data_errors_name_the_problem(inst):
    df = simulate_study(20, seed=1, instrument=inst)
    with pytest.raises(DataError, match="trust_2"):
        score(df.drop(columns=["trust_2"]), inst)
    bad = df.copy()
    bad.loc[3, "dep_own_1"] = 9
    with pytest.raises(DataError, match="dep_own_1"):
        score(bad, inst)
    bad = df.copy()
    bad["info_sharing_1"] = bad["info_sharing_1"].astype(object)
    bad.loc[0, "info_sharing_1"] = "agree"
    with pytest.raises(DataError, match="info_sharing_1"):
        score(bad, inst)
    with pytest.raises(DataError, match="no rows"):
        score(df.iloc[:0], inst)


def test_constant_and_all_missing_items_are_reported(inst):
    df = simulate_study(50, seed=2, instrument=inst)
    df["marker_4"] = np.nan
    df["trust_2"] = 5.0
    with pytest.warns(DataQualityWarning) as record:
        report = check_data(df, inst)
    assert report.all_missing == ("marker_4",) and report.constant == ("trust_2",)
    assert len(record) == 2 and not report.ok
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        out = score(df, inst)
    assert out.attrs["data_check"]["all_missing"] == ["marker_4"]
    assert any("trust_2" in w for w in out.attrs["data_check"]["warnings"])


def test_score_returns_ids_scores_indices_and_flags(inst):
    df = simulate_study(120, dyads=30, seed=3, missing=0.05, instrument=inst)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # nothing constant here
        out = score(df, inst)
    assert list(out.columns[:4]) == ["respondent_id", "alliance_id", "firm_role", "language"]
    for col in [
        *inst.scales,
        "jd_sum",
        "asym_signed",
        "dyad_jd_sum",
        "perception_gap",
        "exclude",
        "exclude_reason",
    ]:
        assert col in out.columns, col
    assert len(out) == len(df) and out.index.equals(df.index)
    np.testing.assert_allclose(
        out["asym_signed"], out["dep_own"] - out["dep_partner"], rtol=0, atol=1e-12
    )
    dyad_rows = out["dyad_jd_sum"].notna()
    retained = ~out["exclude"].to_numpy()
    # the first 60 rows are 30 dyads; a pair with an excluded member is no dyad
    assert dyad_rows[:60][retained[:60]].mean() > 0.8 and not dyad_rows[60:].any()
    assert not dyad_rows[~retained].any()
    numeric = out.drop(
        columns=["respondent_id", "alliance_id", "firm_role", "language", "exclude_reason"]
    )
    assert all(dt.kind in "fbi" for dt in numeric.dtypes)


def test_score_command(inst, tmp_path, capsys):
    data = tmp_path / "d.csv"
    write_data(simulate_study(80, dyads=10, seed=4, instrument=inst), data)
    out = tmp_path / "scored.csv"
    assert main(["score", str(data), "--out", str(out), "--min-valid", "1"]) == 0
    text = capsys.readouterr().out
    assert "Scored 80 respondents" in text and "straightlining" in text
    scored = pd.read_csv(out)
    assert len(scored) == 80 and "value_creation" in scored.columns
    assert main(["score", str(tmp_path / "none.csv"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["score", str(data), "--out", str(out), "--min-valid", "0"]) == 2


def test_an_excluded_partner_gives_no_dyad_indices(inst):
    """A methods reviewer: 13 retained rows of the demo carried the self-report of a
    partner excluded as careless into their dyad indices (H10's two-informant predictor).
    A dyad is formed by two retained respondents."""
    df = simulate_study(120, dyads=30, seed=3, missing=0.0, instrument=inst)
    base = score(df, inst)
    paired = base[base["dyad_jd_sum"].notna() & ~base["exclude"]]
    victim = paired.iloc[0]
    partner = base.index[(base["alliance_id"] == victim["alliance_id"])
                         & (base["firm_role"] != victim["firm_role"])][0]
    assert not base.loc[partner, "exclude"]
    bad = df.copy()
    bad.loc[partner, "attn_1"] = 7.0  # the attention check failed
    bad.loc[partner, "attn_2"] = 1.0
    out = score(bad, inst)
    assert out.loc[partner, "exclude"]
    dyad_cols = [c for c in out.columns if c.startswith("dyad_")] + ["perception_gap"]
    assert out.loc[victim.name, dyad_cols].isna().all()
    # every other dyad is untouched
    others = out.index.difference([victim.name, partner])
    pd.testing.assert_frame_equal(out.loc[others, dyad_cols], base.loc[others, dyad_cols])
