"""A methods reviewer's reading of four studies unlike the demo (session review 10): one
respondent per alliance (no dyads), a small study with a fifth of the answers missing, a
hypothesis whose effect runs against its declared sign, and the demo's leftovers (the
ULMC's plain-ML test, the key-informant count).

Most tests build the analysis parts directly (the fixture analysis, reshaped), the study
functions on small frames; nothing here runs a whole analysis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import analysis.study.hypotheses as hyp
from analysis.report import render_html
from analysis.report.check import check_report
from tests.report._reading import report_text as _text
from tests.report._reading import results_text as _results
from tests.report.fixture_analysis import fixture_analysis


# ------------------------------------------------------------------ one respondent per alliance
def test_no_alliance_with_two_rows_is_not_clustered():
    """220 single informants: H2's response surface read "SE clustered by alliance, 198
    clusters" -- clusters of one, an HC1 SE with t on G - 1 df under another name."""
    single = pd.DataFrame({"alliance_id": [f"a{i}" for i in range(6)], "y": range(6)})
    assert hyp._alliance_cluster(single) is None
    dyad = single.assign(alliance_id=["a0", "a0", "a1", "a2", "a3", "a4"])
    assert hyp._alliance_cluster(dyad) == "alliance_id"
    assert hyp._alliance_cluster(single.assign(alliance_id=None)) is None


def _single_informant(a: dict) -> dict:
    a["hypotheses"] = [h for h in a["hypotheses"] if h["id"] != "H10"]
    for h, test in zip(a["hypotheses"], ("learning ~ jd_sum",
                                         "learning ~ poly(dep_own, dep_partner)",
                                         "value_appropriation ~ value_creation * asym_signed"),
                       strict=False):
        h["test"] = test
    a["hypotheses"].append(
        {"id": "H10", "statement": "Dyad-level joint dependence predicts value creation.",
         "expected_sign": "none", "verdict": "exploratory: not enough dyads",
         "estimate": None, "ci_lower": None, "ci_upper": None, "pvalue": None,
         "pvalue_adjusted": None, "method": "dyadic", "exploratory": True, "n": 0,
         "note": "Only 0 respondents with both partners' reports."})
    a["dyadic"] = {"available": False, "reason": "DataError: Dyadic analysis needs at least "
                   "10 complete dyads after exclusions; got 0."}
    return a


def test_a_study_without_dyads_says_its_dependence_indices_are_one_informants():
    a = _single_informant(fixture_analysis())
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert "No alliance has both firms among the analysed responses (no dyads)" in text
    assert "its perception of the partner's, so H1, H2, H5 test one informant's view" in text
    # H10 is not "too few dyads": there are none, and it needs both partners
    assert "too few dyads were available" not in text
    assert "cannot be answered from these data, since no alliance has both firms" in text


def test_a_dyadic_study_gets_no_single_informant_sentence():
    a = fixture_analysis()
    html = render_html(a)
    assert "(no dyads)" not in _text(html)


# ------------------------------------------------------------------ the opposite sign
DECLARATION = {
    "id": "review10", "version": 1, "model": "y ~ a + b\n",
    "decision": {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                 "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
                 "equivalence_alpha": 0.05},
    "hypotheses": [
        {"id": "H1", "statement": "a raises y.", "expected_sign": "+", "test": "y ~ a",
         "method": "sem_path", "sources": ["test"]},
        {"id": "H2", "statement": "b raises y.", "expected_sign": "+", "test": "y ~ b",
         "method": "sem_path", "sources": ["test"]},
    ],
}


def test_an_opposite_sign_keeps_the_test_it_rests_on(tmp_path: Path):
    """H8 simulated at -0.30 against "+": 'p = 1.000 (one-sided), adjusted p = 1.000;
    opposite sign' -- the printed p is the declared test's, the verdict another test's."""
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(DECLARATION), encoding="utf-8")
    hs = hyp.load_hypotheses(path)
    rows = [hyp._row(h, estimate=e, se=0.07,
                     _inference=hyp.wald_inference(e, 0.07, std_factor=0.85))
            for h, e in zip(hs.hypotheses, (-0.26, 0.30), strict=True)]
    out = hyp.apply_decision_rules(rows, hs).set_index("id")
    assert out.loc["H1", "verdict"] == "opposite sign"
    # the standardized estimate beside the raw one (its metric differs by method)
    assert out.loc["H1", "std_estimate"] == pytest.approx(-0.26 * 0.85, rel=1e-12)
    # one-sided in the other direction, against alpha / m (m = 2)
    from scipy import stats

    assert out.loc["H1", "pvalue_opposite"] == pytest.approx(stats.norm.cdf(-0.26 / 0.07),
                                                             rel=1e-9)
    assert out.loc["H1", "alpha_opposite"] == pytest.approx(0.025)
    assert out.loc["H1", "pvalue"] > 0.99
    assert "opposite sign: the test in the other direction has p = " in out.loc["H1", "note"]


def test_an_opposite_sign_reads_not_supported_with_its_p():
    a = fixture_analysis()
    h = a["hypotheses"][0]
    h.update(verdict="opposite sign", estimate=-0.2600, ci_lower=-0.3975, ci_upper=-0.1225,
             pvalue=0.99989, pvalue_adjusted=1.0, alternative="greater",
             pvalue_opposite=0.00010541, alpha_opposite=0.004545)
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    sentence = text.split("H1 predicted that", 1)[1].split(".", 1)[0] + \
        text.split("H1 predicted that", 1)[1].split(".", 1)[1][:400]
    assert "the test in the opposite direction rejects, p < .001 < α/m = .005" in sentence
    assert "not supported (opposite sign)" in sentence
    # the verdict table says the same words
    table = _text(html).split("Hypothesis tests and verdicts", 1)[1]
    assert "not supported (opposite sign)" in table.split("Note.", 1)[0]


def test_the_verdict_table_gives_a_standardized_estimate():
    """The verdict table gave each estimate in its method's metric (B, ab, a4, a squared
    term); a standardized effect was only in the appendix notes."""
    a = fixture_analysis()
    assert "β: the same estimate standardized" not in _text(render_html(a))
    for h, std in zip(a["hypotheses"], (0.2431, -0.0912, None, None), strict=True):
        h["std_estimate"] = std
    html = render_html(a)
    assert check_report(html, a) == []
    table = _text(html).split("Hypothesis tests and verdicts", 1)[1]
    assert "H1Joint dependence increases relationship learning.+0.288[0.141, 0.434].24" \
        in table.split("Note.", 1)[0]
    assert "β: the same estimate standardized" in table


# ------------------------------------------------------------------ H11 without invariance
def _h11_frame(n_per_group: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    rng = np.random.default_rng(seed)
    n = 3 * n_per_group
    items = {}
    for s in ("learning_about", "learning_from"):
        f = rng.normal(size=n)
        for it in inst.scales[s].items:
            items[it.id] = np.clip(np.round(4 + 1.2 * f + rng.normal(size=n)), 1, 7)
    keyed = pd.DataFrame(items)
    d = pd.DataFrame({
        "learning_about": keyed[[it.id for it in inst.scales["learning_about"].items]].mean(axis=1),
        "learning_from": keyed[[it.id for it in inst.scales["learning_from"].items]].mean(axis=1),
        "alliance_stage": np.repeat([1.0, 2.0, 3.0], n_per_group)})
    d.loc[d["alliance_stage"] == 1.0, "learning_about"] += 1.5  # a large raw difference
    return d, keyed, inst


def test_h11_compares_no_means_when_invariance_cannot_be_tested():
    """N = 81: 'Measurement invariance could not be tested: ...' and still 'In this sample
    the groups differed' -- the declared comparison comes after invariance."""
    from scipy import stats

    d, keyed, inst = _h11_frame(3)
    h = hyp.load_hypotheses().get("H11")
    det = {"_keyed": keyed, "_instrument": inst}
    parts = {"a": "learning_about", "b": "learning_from", "g": "alliance_stage"}
    row = hyp._multigroup_row(h, parts, d, 0.05, stats, det)
    assert "could not be" in row["note"]
    assert row["verdict"] == "exploratory: invariance not tested"
    assert np.isnan(row["estimate"]) and np.isnan(row["pvalue"])
    assert "welch_f" not in det["H11"] and det["H11"]["compared"] is False


def test_h11_without_invariance_prints_no_difference_of_means():
    """'largest difference of group means = 0.708; Welch F(2, 112.82) = 3.18. In this sample
    measurement invariance ... was not established, so their means are not compared.'"""
    a = fixture_analysis()
    a["hypotheses"].append(
        {"id": "H11", "statement": "The balance of learning differs by alliance stage.",
         "expected_sign": "none", "verdict": "exploratory: invariance not established",
         "estimate": None, "ci_lower": None, "ci_upper": None, "pvalue": None,
         "pvalue_adjusted": None, "method": "multigroup", "exploratory": True, "n": 198,
         "note": ""})
    a["multigroup"] = {"H11": {"means": {"1.0": 0.28, "2.0": 0.03}, "compared": False}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html).split("H11 asked whether", 1)[1]
    assert "largest difference" not in text and "Welch" not in text
    assert "no estimate is available" not in text
    assert "so their means are not compared" in text


# ------------------------------------------------------------------ key informants
def _informants(a: dict, n_changed: int, n_shifted: int | None) -> dict:
    comp = [{"path": f"y{i} ~ x", "n_all": 81, "est_all": 0.2, "se_all": 0.1, "p_all": 0.04,
             "n_high": 65, "est_high": 0.17, "se_high": 0.11, "p_high": 0.12,
             "shift_in_se": -0.3, "same_sign": True, "same_significance": i >= n_changed}
            for i in range(5)]
    a["key_informants"] = {"available": True, "knowledge_mean": 5.43, "n_low_knowledge": 16,
                           "low_knowledge_rule": "informant_knowledge <= 4",
                           "comparison": comp, "n_changed": n_changed, "method": "OLS."}
    if n_shifted is not None:
        a["key_informants"].update(n_shifted=n_shifted, shift_rule_se=2.0)
    return a


def test_the_informant_check_counts_what_its_conclusion_reads():
    """N = 81: 'without them 3 of 15 paths change sign or significance | estimates robust
    to informant knowledge (no path shifts by 2 SE or more)', and the narrative 'changed
    the sign or significance of 3 of 15 path estimates'."""
    a = _informants(fixture_analysis(), n_changed=3, n_shifted=0)
    html = render_html(a)
    assert check_report(html, a) == []
    text = _text(html)
    assert "shifted 0 of 5 path estimates by 2 standard errors or more (3 changed sign or " \
           "significance, which is not itself a significant change" in _results(html)
    assert "changed the sign or significance of 3" not in text
    assert "without them 0 of 5 paths shift by 2 SE or more (3 change sign or " \
           "significance" in text


def test_key_informant_quality_counts_the_shifts():
    from analysis.study.bias import SHIFT_SE, key_informant_quality
    from instruments.instrument.loader import load_instrument

    rng = np.random.default_rng(10)
    n = 160
    x = rng.normal(size=n)
    know = rng.choice([4.0, 5.0, 6.0, 7.0], size=n)
    low = know <= 4
    # the low-knowledge informants answer as if x did not matter: a large shift
    y = np.where(low, 0.0, 0.8) * x + rng.normal(scale=0.5, size=n)
    raw = pd.DataFrame({"informant_knowledge": know})
    d = pd.DataFrame({"y": y, "x": x, "z": rng.normal(size=n)})
    d["w"] = 0.3 * d["z"] + rng.normal(size=n)
    out = key_informant_quality(raw, d, "y ~ x\nw ~ z", instrument=load_instrument())
    shifts = np.abs([c["shift_in_se"] for c in out["comparison"]])
    assert out["shift_rule_se"] == SHIFT_SE == 2.0
    assert out["n_shifted"] == int((shifts >= 2.0).sum())
    assert out["n_shifted"] >= 1
    # one respondent per alliance: no clusters, and the method says so
    d["alliance_id"] = [f"a{i}" for i in range(n)]
    single = key_informant_quality(raw, d, "y ~ x", instrument=load_instrument(),
                                   cluster="alliance_id")
    assert "no alliance has two respondents" in single["method"]
    d["alliance_id"] = [f"a{i // 2}" for i in range(n)]
    dyads = key_informant_quality(raw, d, "y ~ x", instrument=load_instrument(),
                                  cluster="alliance_id")
    assert "standard errors clustered by alliance" in dyads["method"]
    assert dyads["comparison"][0]["se_all"] != single["comparison"][0]["se_all"]


# ------------------------------------------------------------------ a test's own n
def test_a_hypothesis_on_fewer_respondents_says_its_n():
    """20 % missing answers, N = 81 analysed: H4's verdict rested on 60 respondents
    (listwise), H1's on 75, H6b's on 81 -- one family on three samples, none said."""
    a = fixture_analysis()
    a["n"] = 81
    a["hypotheses"][0]["n"] = 60
    a["hypotheses"][1]["n"] = 81
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    h1 = text.split("H1 predicted that", 1)[1].split("H2 predicted", 1)[0]
    h2 = text.split("H2 predicted that", 1)[1].split("H5 predicted", 1)[0]
    assert ", n = 60" in h1
    assert ", n = " not in h2


# ------------------------------------------------------------------ invariance, small groups
def test_invariance_with_small_groups_is_not_rejected_rather_than_established():
    """N = 81 by language (47 and 34): 'scalar (intercepts)' for most scales."""
    a = fixture_analysis()
    a["measurement"]["invariance"] = {"language": {
        "groups": {"en": 47, "de": 34},
        "criterion": "Declared rule (Chen 2007): a level fails when ...",
        "summary": [{"scale": "trust", "highest_level_supported": "scalar",
                     "first_failed_level": None, "partial_levels": ""}]}}
    html = render_html(a)
    assert check_report(html, a) == []
    table = _text(html).split("highest level reached per scale", 1)[1]
    assert "scalar (not rejected; small groups)" in table
    assert "Smallest group by language 34: with groups below 100" in table
    a["measurement"]["invariance"]["language"]["groups"] = {"en": 204, "de": 149}
    html = render_html(a)
    assert "not rejected; small groups" not in _text(html)


# ------------------------------------------------------------------ the ULMC's test
def _method_data(seed: int = 3, n: int = 400) -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    f, m = rng.normal(size=(n, 3)), rng.normal(size=n)
    cols = {f"x{j}{k}": 0.7 * f[:, j] + 0.35 * m * (1 + 0.2 * k)
            + rng.normal(scale=0.6, size=n) for j in range(3) for k in range(4)}
    df = pd.DataFrame(cols)
    df["g"] = np.repeat(np.arange(n // 2), 2)
    model = {s: [f"x{j}{k}" for k in range(4)] for j, s in enumerate("abc")}
    return model, df


def test_ulmc_with_mlr_uses_the_scaled_difference_by_cluster():
    """The demo's ULMC conclusion rested on a plain ML delta chi-square while every other
    model used MLR with SEs clustered by alliance; ulmc() had no robust difference at all
    (with estimator='MLR' it printed the unscaled LR difference)."""
    from analysis.sem.robust import scaled_difference_test
    from analysis.stats.method_variance import ulmc

    model, df = _method_data()
    ml = ulmc(model, df.drop(columns="g"), estimator="ML")
    mlr = ulmc(model, df, estimator="MLR", cluster="g")
    assert ml.proper and mlr.proper
    lr, sb = ml.fit.iloc[1], mlr.fit.iloc[1]
    assert lr["delta_test"] == "likelihood ratio (ML)"
    assert sb["delta_test"].startswith("Satorra-Bentler (2001) scaled difference (MLR, cluster")
    assert lr["delta_chisq"] == pytest.approx(ml.fit["chisq"].iloc[0] - ml.fit["chisq"].iloc[1])
    assert sb["delta_chisq"] < 0.8 * lr["delta_chisq"]  # 21.3 vs 31.5 on these data
    assert lr["delta_pvalue"] < 0.01 < sb["delta_pvalue"]
    assert np.isfinite(sb["delta_pvalue"])
    with pytest.raises(Exception, match="cluster= needs estimator='MLR'"):
        ulmc(model, df, estimator="ML", cluster="g")
    assert callable(scaled_difference_test)


def test_a_plain_ml_ulmc_difference_is_not_read_as_method_variance():
    a = fixture_analysis()
    del a["measurement"]["cmv"]
    a["measurement"]["method_variance"] = {"ulmc": {
        "estimable": True, "scales": ["trust", "dep_own"], "estimator": "ML (FIML)",
        "mean_method_share": 0.087,
        "fit": [{"model": "traits", "chisq": 800.1, "df": 300},
                {"model": "traits_method", "chisq": 751.0, "df": 272, "delta_chisq": 49.11,
                 "delta_df": 28, "delta_pvalue": 0.008, "delta_cfi": 0.005}]}}
    html = render_html(a)
    assert check_report(html, a) == []
    row = _text(html).split("Unmeasured latent method construct", 1)[1][:900]
    assert "likelihood-ratio test, ML (FIML)" in row
    assert "not decided: the method factor improves fit by the normal-theory" in row
    assert "some common-method variance" not in row.split("Note.", 1)[0]
    # a robust difference below .05 is still read as evidence
    a["measurement"]["method_variance"]["ulmc"]["fit"][1]["delta_test"] = \
        "Satorra-Bentler (2001) scaled difference (MLR, cluster-robust)"
    row = _text(render_html(a)).split("Unmeasured latent method construct", 1)[1][:900]
    assert "method factor improves fit (p < .05): some common-method variance" in row


# ------------------------------------------------------------------ reverse-keyed items
def test_reverse_keyed_items_are_marked_in_the_loadings_table():
    """A scale whose first item (the marker indicator) is reverse-keyed: its loading .78 was
    printed like any other, with no word that the item had been recoded."""
    a = fixture_analysis()
    lam = a["measurement"]["loadings"]
    first = str(lam[0].get("item", lam[0].get("rhs")))
    assert first == "trust_1"
    html = render_html(a, extras={"reverse_items": [first]})
    assert check_report(html, a) == []
    table = _text(html).split("standardized loadings, reliability and convergent", 1)[1]
    short = first.split("_")[-1]
    assert f"{short}R:" in table.split("Note.", 1)[0]
    assert "R: a reverse-keyed item, recoded" in table
    assert "R: a reverse-keyed item" not in _text(render_html(a))


# ------------------------------------------------------------------ a family that shrank
def test_a_shrunken_family_says_whether_the_full_family_changes_a_verdict(tmp_path: Path):
    """N = 81: H5's model could not be estimated, so Holm ran over 10 of the 11 declared
    hypotheses, and the report only said that counting H5 'would make the adjustment
    stricter' -- not whether a verdict would change."""
    doc = yaml.safe_load(yaml.safe_dump(DECLARATION))
    doc["model"] = "y ~ a + b + c\n"
    doc["hypotheses"].append({"id": "H3", "statement": "c raises y.", "expected_sign": "+",
                              "test": "y ~ c", "method": "sem_path", "sources": ["test"]})
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    hs = hyp.load_hypotheses(path)
    h1, h2, h3 = hs.hypotheses
    # one-sided p: H1 .0001, H2 .0200 (z = 2.054); H3 untested
    rows = [hyp._row(h1, estimate=0.372, se=0.1, _inference=hyp.wald_inference(0.372, 0.1)),
            hyp._row(h2, estimate=0.2054, se=0.1, _inference=hyp.wald_inference(0.2054, 0.1)),
            hyp._row(h3, verdict="not tested")]
    out = hyp.apply_decision_rules(rows, hs)
    v = out.set_index("id")["verdict"]
    # Holm over 2: H2's adjusted p = .020 -> supported; over 3 with p = 1: 2 x .020 = .040
    assert (v["H1"], v["H2"]) == ("supported", "supported")
    assert out.attrs["decision"]["lost_if_all_counted"] == []
    rows[1] = hyp._row(h2, estimate=0.19, se=0.1, _inference=hyp.wald_inference(0.19, 0.1))
    out = hyp.apply_decision_rules(rows, hs)
    # p = .0287: Holm over 2 gives .0287 (supported), over 3 with p = 1 gives .0574
    assert out.set_index("id")["verdict"]["H2"] == "supported"
    assert out.attrs["decision"]["lost_if_all_counted"] == ["H2"]
    assert "leave H2 not supported" in out.attrs["multiple_testing"]

    a = fixture_analysis()
    a["decision"] = {**out.attrs["decision"]}
    html = render_html(a)
    assert check_report(html, a) == []
    assert ("counting the untested ones with p = 1, H2 would no longer be supported"
            in _results(html))


def test_build_report_passes_the_instruments_reverse_keys(tmp_path: Path):
    import shutil

    from analysis.report import build_report
    from instruments.instrument.loader import PACKAGE_DIR, load_instrument

    folder = tmp_path / "instrument"
    shutil.copytree(PACKAGE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    trust = folder / "scales" / "trust.yaml"
    text = trust.read_text(encoding="utf-8")
    trust.write_text(text.replace("  - id: trust_1\n    reverse: false",
                                  "  - id: trust_1\n    reverse: true", 1), encoding="utf-8")
    inst = load_instrument(folder)
    assert inst.scales["trust"].items[0].reverse
    html, _ = build_report(pd.DataFrame(), analysis=fixture_analysis(), instrument=inst)
    table = _text(html).split("standardized loadings, reliability and convergent", 1)[1]
    assert "1R:" in table.split("Note.", 1)[0] and "2R:" not in table.split("Note.", 1)[0]


def test_cfa_marker_takes_the_clusters_of_the_robust_tests():
    """cfa_marker() had no cluster=, so the study's CFA marker tests treated the two firms
    of an alliance as independent respondents while the hypothesis tests did not."""
    from analysis.errors import DataError, ModelSpecificationError
    from analysis.stats.method_variance import cfa_marker

    model, df = _method_data(n=40)
    df = df.assign(m0=df["x00"], m1=df["x10"], m2=df["x20"])
    with pytest.raises(ModelSpecificationError, match="cluster= needs estimator='MLR'"):
        cfa_marker(model, ["m0", "m1", "m2"], df, estimator="ML", cluster="g")
    with pytest.raises(DataError, match="cluster='alliance' is not a column"):
        cfa_marker(model, ["m0", "m1", "m2"], df, cluster="alliance")


def test_an_opposite_sign_without_its_p_still_names_the_test():
    """The pipeline's analysis keeps only its HYPOTHESIS_KEYS (no pvalue_opposite yet): the
    sentence still says what the verdict rests on instead of 'p = 1.000; opposite sign'."""
    a = fixture_analysis()
    a["hypotheses"][0].update(verdict="opposite sign", estimate=-0.26, pvalue=0.99989,
                              pvalue_adjusted=1.0, alternative="greater")
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html).split("H1 predicted that", 1)[1].split("H2 predicted", 1)[0]
    assert "the one-sided test in the opposite direction rejects at α/m" in text
    assert text.rstrip(". ").endswith("not supported (opposite sign)")


def test_missing_answers_and_their_handling_are_in_the_text():
    """19.5 % of the item answers missing, and the results text said nothing of it (the
    handling -- FIML for the path model, listwise for mediation and RSA -- was only in the
    appendix)."""
    a = fixture_analysis()
    a["missing"] = {"item_missing_share": 0.19493, "handling": "Scale scores are the mean of "
                    "the answered items; the SEM path model uses FIML for missing scores; "
                    "regressions, mediation and RSA use listwise deletion of the variables "
                    "they use. Missing shares count the respondents who were asked."}
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("Of the item answers, 19.5% were missing (online appendix): scale scores are the "
            "mean of the answered items; the SEM path model uses FIML") in text
    assert "missing at random" in text
    a["missing"]["item_missing_share"] = 0.002
    assert "Of the item answers" not in _results(render_html(a))


# ------------------------------------------------------------------ the marker variable
def test_a_refused_marker_says_its_base_and_whether_it_is_related():
    """N = 81: 'Marker adjustment refused: rM = -.38 is not positive | no marker-based
    evidence of method variance'.  The marker correlations were listwise over every scale,
    one of them asked of sustainability alliances only (187 of the demo's 353 rows had no
    score), and a marker correlating -.38 with a scale is no unrelated marker."""
    from analysis.errors import DataError
    from analysis.stats.method_variance import marker_adjusted_correlations

    rng = np.random.default_rng(4)
    n = 120
    a, b = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame({"a": a, "b": 0.5 * a + b, "c": rng.normal(size=n),
                          "marker": -0.6 * a + rng.normal(size=n)})
    frame.loc[60:, "c"] = np.nan  # asked of half the respondents only
    with pytest.raises(DataError) as err:
        marker_adjusted_correlations(frame, "marker", ["a", "b", "c"])
    msg = str(err.value)
    assert "is not positive on the 60 of 120 rows complete on every variable" in msg
    assert "significantly below zero" in msg

    fx = fixture_analysis()
    del fx["measurement"]["cmv"]
    fx["measurement"]["method_variance"] = {"marker": {"applied": False, "reason": msg}}
    html = render_html(fx)
    row = _text(html).split("Marker variable (Lindell & Whitney)", 1)[1][:400]
    assert "on the 60 of 120 rows complete on every variable" in row
    assert "no conclusion: the marker is related to the substantive scales" in row
