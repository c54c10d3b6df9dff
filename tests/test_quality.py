"""Data-quality flags (analysis/study/quality.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.study.quality import (
    longest_run,
    quality_flags,
    relative_speed_index,
    summarize_flags,
)
from analysis.study.simulate import simulate_study_with_truth
from instruments.instrument.loader import load_instrument
from tests.instrument_standin import StandinInstrument

STANDIN = StandinInstrument()
ITEMS = [i for items in STANDIN.scale_items().values() for i in items]


def _careful_frame(n: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(1, 8, size=(n, len(ITEMS))).astype(float), columns=ITEMS)
    df.insert(0, "respondent_id", [f"r{i}" for i in range(n)])
    df["attn_1"] = 2.0
    df["attn_2"] = 5.0
    df["duration_sec"] = 600.0
    df["page_time_p1"] = 100.0
    df["page_time_p2"] = 200.0
    return df


def test_longest_run_counts_identical_neighbours_and_nan_breaks():
    x = np.array(
        [
            [1, 1, 1, 2, 2, 3],
            [4, 4, np.nan, 4, 4, 4],
            [np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            [7, 6, 5, 4, 3, 2],
        ],
        dtype=float,
    )
    assert longest_run(x).tolist() == [3, 3, 0, 1]


def test_relative_speed_index_by_hand():
    t = pd.DataFrame({"p1": [10.0, 20.0, 40.0], "p2": [30.0, 30.0, 60.0]})
    # medians: p1 20, p2 30 -> ratios row0: 2, 1 -> 1.5; row1: 1, 1 -> 1; row2: .5, .5 -> .5
    np.testing.assert_allclose(relative_speed_index(t), [1.5, 1.0, 0.5], rtol=0, atol=1e-12)
    t.loc[0, "p2"] = np.nan  # unseen page: mean over the pages seen
    np.testing.assert_allclose(relative_speed_index(t)[0], 20.0 / 10.0, rtol=0, atol=1e-12)
    t.loc[0, "p1"] = 2.0  # factor 10 is clipped to 3 (Leiner 2019) unless clip=None
    np.testing.assert_allclose(relative_speed_index(t)[0], 3.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(relative_speed_index(t, clip=None)[0], 10.0, rtol=0, atol=1e-12)


def test_each_rule_on_hand_made_respondents():
    df = _careful_frame()
    df.loc[1, "attn_1"] = 4.0  # failed check
    df.loc[2, "attn_2"] = np.nan  # skipped check counts as failed
    df.loc[3, ITEMS] = 5.0  # straight-liner
    df.loc[4, "duration_sec"] = 200.0  # < 0.5 * median 600
    df.loc[4, ["page_time_p1", "page_time_p2"]] = [30.0, 60.0]
    df.loc[5, ITEMS[:30]] = np.nan  # 30 of 65 items missing
    out = quality_flags(df, STANDIN)
    assert out["respondent_id"].tolist() == df["respondent_id"].tolist()
    assert out["attention_failed"].tolist() == [0, 1, 1, 0, 0, 0]
    assert out["attention_flag"].tolist() == [False, True, True, False, False, False]
    assert out["straightline_flag"].tolist() == [False, False, False, True, False, False]
    assert out.loc[3, "item_sd"] == 0.0 and out.loc[3, "longest_run"] == len(ITEMS)
    assert out["speeder_flag"].tolist() == [False, False, False, False, True, False]
    assert out.loc[4, "duration_ratio"] == pytest.approx(200.0 / 600.0, abs=1e-12)
    assert out.loc[4, "rsi"] == pytest.approx(3.0, abs=1e-12)  # both factors 3.33, clipped
    assert out.loc[5, "missing_share"] == pytest.approx(30 / len(ITEMS), abs=1e-12)
    assert out["missing_flag"].tolist() == [False] * 5 + [True]
    assert out["exclude"].tolist() == [False, True, True, True, True, True]
    assert out["exclude_reason"].tolist() == [
        "",
        "attention",
        "attention",
        "straightlining",
        "speeding",
        "missing",
    ]
    counts = summarize_flags(out).set_index("reason")["n"]
    assert counts.to_dict() == {
        "attention": 2,
        "straightlining": 1,
        "speeding": 1,
        "missing": 1,
        "any": 5,
    }


def test_thresholds_are_parameters():
    df = _careful_frame()
    df.loc[1, "attn_1"] = 4.0
    df.loc[2, "attn_2"] = np.nan
    df.loc[4, "duration_sec"] = 400.0
    df.loc[5, ITEMS[:10]] = np.nan
    out = quality_flags(
        df,
        STANDIN,
        max_failed_checks=1,
        missing_check_fails=False,
        speed_fraction=0.7,
        max_missing=0.1,
    )
    assert not out["attention_flag"].any()
    assert out["attention_failed"].tolist() == [0, 1, 0, 0, 0, 0]
    assert out["speeder_flag"].tolist() == [False] * 4 + [True, False]
    assert out.loc[5, "missing_flag"]
    # several reasons are joined
    df.loc[4, "attn_1"] = 1.0
    out = quality_flags(df, STANDIN, speed_fraction=0.7)
    assert out.loc[4, "exclude_reason"] == "attention; speeding"


def test_long_run_without_zero_sd_is_flagged():
    df = _careful_frame(3)
    df.loc[0, ITEMS[:25]] = 6.0
    out = quality_flags(df, STANDIN)
    assert out.loc[0, "straightline_flag"] and out.loc[0, "item_sd"] > 0
    assert not quality_flags(df, STANDIN, min_run=30).loc[0, "straightline_flag"]


def test_missing_columns_and_bad_thresholds_are_errors():
    df = _careful_frame().drop(columns=["trust_1", "attn_2"])
    with pytest.raises(DataError, match="trust_1"):
        quality_flags(df, STANDIN)
    with pytest.raises(DataError, match="speed_fraction="):
        quality_flags(_careful_frame(), STANDIN, speed_fraction=0)
    with pytest.raises(DataError, match="max_missing="):
        quality_flags(_careful_frame(), STANDIN, max_missing=1.0)


def test_no_timing_columns_means_no_speed_flags():
    df = _careful_frame().drop(columns=["duration_sec", "page_time_p1", "page_time_p2"])
    out = quality_flags(df, STANDIN)
    assert out["rsi"].isna().all() and out["duration_ratio"].isna().all()
    assert not out["speeder_flag"].any()


def test_careless_simulated_respondents_flagged_far_more():
    inst = load_instrument()
    study = simulate_study_with_truth(3000, seed=21, careless=0.1, missing=0.05, instrument=inst)
    flags = quality_flags(study.data, inst)
    careless = study.truth["careless"].to_numpy()
    hit = flags["exclude"].to_numpy()
    assert hit[careless].mean() > 0.9
    assert hit[~careless].mean() < 0.1
    straight = (study.truth["careless_type"] == "straightline").to_numpy()
    assert flags["straightline_flag"].to_numpy()[straight].mean() > 0.95
    assert flags["straightline_flag"].to_numpy()[~careless].mean() < 0.01
    random_ = (study.truth["careless_type"] == "random").to_numpy()
    assert flags["attention_flag"].to_numpy()[random_].mean() > 0.8
