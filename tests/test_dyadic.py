"""analysis.stats.dyadic on the demo study and small hand-made cases: output, NaN policy, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.stats.dyadic import (
    MIN_DYADS,
    RWG_CUTOFF,
    apim_syntax,
    dyad_wide,
    icc,
    pair_dyads,
    rwg_j,
)
from analysis.study.dyads import dyadic_analysis
from analysis.study.scoring import score
from instruments.instrument.loader import load_instrument

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "alliance_demo.csv"


@pytest.fixture(scope="module")
def inst():
    return load_instrument()


@pytest.fixture(scope="module")
def demo():
    return pd.read_csv(DEMO)


@pytest.fixture(scope="module")
def scored(demo, inst):
    return score(demo, inst)


@pytest.fixture(scope="module")
def out(demo, scored, inst):
    return dyadic_analysis(demo, scored, inst)


def _complete_dyads(demo: pd.DataFrame, scored: pd.DataFrame) -> int:
    kept = demo[~scored["exclude"].to_numpy()]
    roles = kept.groupby("alliance_id")["firm_role"].agg(lambda r: set(r) == {"A", "B"})
    return int(roles.sum())


def test_json_ready_and_counts(out, demo, scored):
    json.dumps(out, allow_nan=False)
    assert out["n_respondents"] == len(demo)
    assert out["n_excluded"] == int(scored["exclude"].sum())
    assert out["n_dyads"] == _complete_dyads(demo, scored)
    assert out["n_single_informants"] == len(demo) - out["n_excluded"] - 2 * out["n_dyads"]


def test_agreement_numbers(out, inst):
    assert list(out["agreement"]) == list(inst.scale_items())
    for scale, a in out["agreement"].items():
        for k in ("icc1", "icc2", "f", "pvalue", "rwg_j_mean", "rwg_j_median",
                  "rwg_j_share_above"):
            assert isinstance(a[k], float) and math.isfinite(a[k]), (scale, k)
        if scale == "sustainability_innovation":
            # asked only of alliances with a sustainability aim: the dyads that saw it
            assert 0 < a["n_dyads"] < out["n_dyads"]
        else:
            # the dyads in which both partners have the scale's score (an alliance whose
            # second report lacks it is no dyad of that scale's ICC)
            assert 0.95 * out["n_dyads"] <= a["n_dyads"] <= out["n_dyads"]
        assert 0.0 <= a["rwg_j_mean"] <= 1.0 and 0.0 <= a["rwg_j_share_above"] <= 1.0
        assert a["n_options"] == 7.0
        # ICC(2) = (F - 1) / F, ICC(1) = (F - 1) / (F + k - 1), k = mean dyad size (Bliese 2000)
        f, k = a["f"], a["n_obs"] / a["n_dyads"]
        assert k == 2.0  # two reports in every dyad counted
        assert a["icc2"] == pytest.approx((f - 1) / f, rel=1e-9)
        assert a["icc1"] == pytest.approx((f - 1) / (f + k - 1), rel=1e-9)
    assert out["agreement_notes"]["rwg_j_cutoff"] == RWG_CUTOFF


def test_dependence_and_perception(out):
    dep = out["dependence"]
    assert dep["dyad_jd_mean"]["n"] == out["n_dyads"]
    assert dep["perception_gap"]["n"] == 2 * out["n_dyads"]
    for part in ("pooled", "A", "B"):
        p = out["perception"][part]
        assert -1.0 <= p["r"] <= 1.0 and 0.0 <= p["r_pvalue"] <= 1.0
        assert p["mean_abs_gap"] >= abs(p["mean_gap"])
    assert out["perception"]["A"]["n"] + out["perception"]["B"]["n"] == \
        out["perception"]["pooled"]["n"]


def test_apim_models(out):
    assert [(m["predictor"], m["outcome"]) for m in out["apim"]] == [
        ("relationship_learning", "value_creation"), ("dep_own", "value_creation")]
    for m in out["apim"]:
        assert m["converged"] and m["n_dyads"] <= out["n_dyads"]
        eff = m["effects"]
        assert set(eff) >= {"a_A", "a_B", "p_AB", "p_BA", "actor_diff", "partner_diff"}
        assert eff["actor_diff"]["est"] == pytest.approx(
            eff["a_A"]["est"] - eff["a_B"]["est"], abs=1e-10)
        assert eff["a_A"]["ci_lower"] < eff["a_A"]["est"] < eff["a_A"]["ci_upper"]
        assert m["syntax"] == apim_syntax(m["predictor"], m["outcome"])


def test_h10(out):
    h10 = out["h10"]
    assert h10["n_dyads"] <= out["n_dyads"]
    m = h10["models"]
    for name in ("two_informants", "informant_A", "informant_B"):
        assert m[name]["r2"] == pytest.approx(m[name]["beta"] ** 2, rel=1e-12)
    c = h10["comparisons"]["two_vs_A"]
    assert c["delta_r2"] == pytest.approx(m["two_informants"]["r2"] - m["informant_A"]["r2"])
    assert 0.0 <= c["pvalue"] <= 1.0 and "Exploratory" in h10["note"]


# --------------------------------------------------------------------------- building blocks


def test_icc_against_scipy_one_way_anova():
    from scipy import stats

    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(30), 2)
    y = rng.normal(size=30)[g] + rng.normal(size=60)
    f, p = stats.f_oneway(*[y[g == j] for j in range(30)])
    res = icc(y, g)
    # with MSB = F * MSW: ICC(1) = (F - 1) / (F + k - 1), ICC(2) = (F - 1) / F, k = 2
    assert res["icc1"] == pytest.approx((f - 1) / (f + 1), rel=1e-10)
    assert res["icc2"] == pytest.approx((f - 1) / f, rel=1e-10)
    assert res["pvalue"] == pytest.approx(p, rel=1e-8)


def test_rwg_j_edge_cases():
    items = pd.DataFrame({"a": [4, 4, 1, 7, 3, np.nan], "b": [4, 4, 7, 1, 3, 5]})
    res = rwg_j(items, ["x", "x", "y", "y", "z", "z"]).set_index("group")
    assert res.loc["x", "rwg_j"] == 1.0  # perfect agreement
    assert res.loc["y", "rwg_j"] == 0.0  # variance above the uniform null is capped
    assert np.isnan(res.loc["z", "rwg_j"]) and res.loc["z", "gsize"] == 1.0


def test_pair_and_wide():
    df = pd.DataFrame({"alliance_id": ["a1", "a1", "a2", "a3", "a3"],
                       "firm_role": ["B", "A", "A", "A", "B"], "x": [1.0, 2, 3, 4, 5]})
    pairs = pair_dyads(df)
    assert list(pairs["alliance_id"]) == ["a1", "a1", "a3", "a3"]
    wide = dyad_wide(pairs, ["x"])
    assert wide.loc["a1"].tolist() == [2.0, 1.0] and wide.loc["a3"].tolist() == [4.0, 5.0]


# --------------------------------------------------------------------------- errors


def test_too_few_dyads(demo, scored, inst):
    dyads = demo.groupby("alliance_id")["firm_role"].transform("nunique") == 2
    keep = dyads & demo["alliance_id"].isin(demo.loc[dyads, "alliance_id"].unique()[:MIN_DYADS - 2])
    keep |= ~dyads
    with pytest.raises(DataError, match=f"at least {MIN_DYADS} complete dyads"):
        dyadic_analysis(demo[keep.to_numpy()], scored[keep.to_numpy()], inst)


def test_scale_missing_from_scored(demo, scored, inst):
    with pytest.raises(DataError, match="value_creation"):
        dyadic_analysis(demo, scored.drop(columns=["value_creation"]), inst)


def test_rows_must_match(demo, scored, inst):
    with pytest.raises(DataError, match="rows"):
        dyadic_analysis(demo, scored.iloc[:-1], inst)


def test_duplicate_role(demo, inst):
    df = demo.copy()
    b = df.index[df["firm_role"] == "B"][0]
    df.loc[b, "firm_role"] = "A"
    with pytest.raises(DataError, match="more than one respondent"):
        pair_dyads(df)
