"""analysis.study.pipeline.analyze_study and ``alliance-survey analyze``: the JSON contract."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.study.pipeline import HYPOTHESIS_KEYS, TOP_KEYS, analyze_study, to_json, verdict_table
from analysis.study.simulate import simulate_study, write_data

SCRAMBLED = "value_appropriation"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    df = simulate_study(500, dyads=100, seed=3, missing=0.03)
    # destroy one scale's reliability: every item permuted independently
    rng = np.random.default_rng(0)
    from instruments.instrument.loader import load_instrument

    for col in load_instrument().scale_items()[SCRAMBLED]:
        df[col] = rng.permutation(df[col].to_numpy())
    return df


@pytest.fixture(scope="module")
def result(data) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the latent model behind the verdicts has its own tests
        # (test_hypotheses_latent_model.py); here it would only add half a minute
        return analyze_study(data, bootstrap=20, seed=4, latent_model=False)


def test_top_level_keys_and_counts(result, data):
    assert tuple(result) == TOP_KEYS
    assert result["n_raw"] == len(data)
    assert result["n"] == result["n_raw"] - result["exclusions"]["total"]
    assert result["exclusions"]["total"] > 0
    assert 0 < result["missing"]["item_missing_share"] < 0.1
    assert set(result["provenance"]) >= {"versions", "instrument", "hypotheses",
                                          "data_sha256", "seed"}
    assert result["provenance"]["seed"] == 4
    assert len(result["provenance"]["data_sha256"]) == 64
    for section in ("measurement", "dyadic"):
        assert isinstance(result[section]["available"], bool)
        if not result[section]["available"]:
            assert result[section]["reason"]


def test_hypothesis_records(result):
    ids = [h["id"] for h in result["hypotheses"]]
    assert ids[:3] == ["H1", "H2", "H3"] and "H11" in ids
    for h in result["hypotheses"]:
        assert set(HYPOTHESIS_KEYS) <= set(h)
        assert h["verdict"] in ("supported", "opposite sign", "evidence of no effect",
                                "inconclusive") or \
            h["verdict"].startswith("exploratory")
        assert isinstance(h["estimate"], float)


def test_failed_reliability_is_flagged(result):
    rel = result["reliability"]
    assert rel[SCRAMBLED]["flag"] and rel[SCRAMBLED]["alpha"] < 0.3
    assert not rel["trust"]["flag"]
    assert any(SCRAMBLED in w and "alpha" in w for w in result["warnings"])
    h5 = next(h for h in result["hypotheses"] if h["id"] == "H5")
    assert h5["reliability_flag"] and SCRAMBLED in h5["note"]
    h1 = next(h for h in result["hypotheses"] if h["id"] == "H1")
    assert not h1["reliability_flag"]
    # the full measurement model (WLSMV, pairwise for the 3 % missing) runs and names the
    # scale that fails its reliability/validity thresholds
    meas = result["measurement"]
    assert meas["available"] and meas["estimator"] == "WLSMV" and meas["missing"] == "pairwise"
    failing = [w for w in meas["warnings"] if "failing a reliability/validity threshold" in w]
    assert failing and SCRAMBLED in failing[0] and "trust" not in failing[0]


def test_json_serialisation_has_no_nan(result):
    text = to_json(result)
    back = json.loads(text)
    assert back["n"] == result["n"]
    h11 = next(h for h in back["hypotheses"] if h["id"] == "H11")
    assert h11["ci_lower"] is None                  # NaN in the dict, null in JSON
    raw = next(h for h in result["hypotheses"] if h["id"] == "H11")
    assert math.isnan(raw["ci_lower"])
    table = verdict_table(result)
    assert "H1" in table and "Holm" in table


def test_cli_writes_json_and_prints_table(tmp_path, capsys):
    df = simulate_study(300, dyads=50, seed=8)
    path = write_data(df, tmp_path / "study.csv")
    out = tmp_path / "out.json"
    assert main(["analyze", str(path), "--json", str(out), "--bootstrap", "10",
                 "--seed", "5", "--skip-measurement"]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert tuple(doc) == TOP_KEYS and doc["provenance"]["bootstrap"] == 10
    err = capsys.readouterr().err
    assert "Hypothesis tests" in err            # progress on stderr
    assert main(["analyze", str(path), "--bootstrap", "10", "--skip-measurement"]) == 0
    printed = capsys.readouterr().out
    assert "verdict" in printed and "H9b" in printed


def test_cli_rejects_bad_bootstrap(tmp_path, capsys):
    df = simulate_study(60, seed=8)
    path = write_data(df, tmp_path / "s.csv")
    assert main(["analyze", str(path), "--bootstrap", "1"]) != 0
    assert "--bootstrap must be at least 2" in capsys.readouterr().err


def test_detail_sections_for_the_report(result):
    s = result["structural"]
    assert s["available"] and s["converged"]
    tested = {(p["lhs"], p["rhs"]) for p in s["params"] if p["op"] == "~"}
    assert ("learning", "jd_sum") in tested and ("innovation_outcome", "learning_about") in tested
    assert "learning" in s["latent"] and 0 < s["error_variances"]["learning"]
    h1 = next(h for h in result["hypotheses"] if h["id"] == "H1")
    est = next(p["est"] for p in s["params"] if (p["lhs"], p["op"], p["rhs"]) ==
               ("learning", "~", "jd_sum"))
    assert est == h1["estimate"]
    med = result["mediation"]["H4"]
    ind = next(e for e in med["effects"] if e["effect"] == "indirect")
    assert ind["ci_lower"] <= ind["estimate"] <= ind["ci_upper"]
    mod = result["moderation"]["H5"]
    assert [r["level"] for r in mod["simple_slopes"]] == ["-1 SD", "mean", "+1 SD"]
    assert len(mod["johnson_neyman"]["curve"]) == 61
    assert set(result["quadratic"]) == {"H6b"} and set(result["response_surface"]) == {"H2"}
    mg = result["multigroup"]["H11"]
    assert [r["level"] for r in mg["invariance"]] == ["configural", "metric", "scalar"]
    assert len(mg["means"]) == 3
    # the outcomes' shape and the cases that carry each path (review 15), one row per path
    inf = result["influence"]
    assert inf["available"] and len(inf["paths"]) == inf["n_paths"] == 15
    assert all(0 < r["n_influential"] < r["n"] for r in inf["paths"])



def test_items_the_logic_did_not_show_are_not_missing(result, data):
    """The sustainability scale is asked only where the alliance aims at sustainability:
    the others had counted as 55 % missing answers (and 5.6 % overall)."""
    from instruments.instrument.loader import load_instrument

    m = result["missing"]
    asked = data["sustainability_focus"].isin([2, 3])
    items = [it.id for it in load_instrument().scales["sustainability_innovation"].items]
    assert data.loc[~asked, items].isna().all().all()  # the data follow the logic
    assert set(m["not_asked_share_by_scale"]) == {"sustainability_innovation"}
    # of the analysed respondents (after exclusions), about the share of the whole file
    assert m["not_asked_share_by_scale"]["sustainability_innovation"] == pytest.approx(
        1 - asked.mean(), abs=0.05)
    assert m["item_missing_share_by_scale"]["sustainability_innovation"] < 0.1
    assert "not asked" in m["handling"]


def test_the_measurement_model_uses_the_respondents_the_hypotheses_use(result):
    """Exclusions are made once: the measurement model scored the retained respondents
    anew, the sample-relative speeding cut-off moved, and the demo's CFA, invariance and
    method checks ran on 346 of the 353 the hypotheses used."""
    m = result["measurement"]
    assert m["available"], m.get("reason")
    assert m["n_respondents"] == m["n_used"] == result["n"] and m["n_excluded"] == 0
    assert m["fit"]["first_order"]["ntotal"] == result["n"]
