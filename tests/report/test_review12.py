"""A methods reviewer's reading of four studies unlike the demo (session review 12): 150
firms without dyads whose high-dependence firms skip the dependence items (MNAR, 32 % of
those answers missing), 1,500 respondents with tiny effects, a poor measurement model
(a scale with AVE .31 and CR .58, HTMT .95 between two outcome constructs, cross-loading
items), and every item sharing a strong method factor.

The report tests reshape the fixture analysis with the parts the generated studies had
(no statistics are run); the pipeline test checks the scales a hypothesis rests on.
"""

from __future__ import annotations

from analysis.report import render_html
from analysis.report.check import check_report
from tests.report._reading import report_text as _text
from tests.report._reading import results_text as _results
from tests.report._reading import verdict_sentence as _sentence
from tests.report.fixture_analysis import fixture_analysis

DECISION = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
            "family": "confirmatory", "sesoi": 0.10, "equivalence": "tost",
            "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H5"], "family_size": 3}


# ------------------------------------------------------------------ (a) MNAR in one scale
def _mnar() -> dict:
    a = fixture_analysis()
    a["n"] = 139
    a["missing"] = {
        "item_missing_share": 0.0468,
        "item_missing_share_by_scale": {"info_sharing": 0.0216, "dep_own": 0.3223,
                                        "trust": 0.0234, "value_creation": 0.0173},
        "scores_missing": {"info_sharing": 0, "dep_own": 38, "trust": 0,
                           "value_creation": 0},
        "handling": "Scale scores are the mean of the answered items (scale min_valid "
                    "rule); the SEM path model uses FIML for missing scores; regressions, "
                    "mediation and RSA use listwise deletion of the variables they use."}
    a["structural"]["warnings"] = [
        "38 cases with missing values on the exogenous covariates (asym_abs, alliance_age, "
        "firm_size) were deleted (fixed.x = TRUE)."]
    return a


def test_missingness_concentrated_in_one_scale_is_named_with_its_risk():
    """150 firms, the high-dependence ones skipping the dependence items: 'Of the item
    answers, 4.7 % were missing', with no word that a third of dep_own's answers (38
    respondents without a score) were missing, nor that such missingness is not at
    random."""
    a = _mnar()
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("The missing answers are concentrated in Dep own "
            "(32.2% of its answers; 38 respondents without a score)") in text
    assert "missing not at random, which neither full-information estimation nor " \
           "listwise deletion corrects" in text
    # a scale near the overall share is not named
    assert "Trust (2.3%" not in text


def test_fiml_path_model_says_whom_it_left_out():
    """'the SEM path model uses FIML for missing scores' beside a path model of N = 101:
    FIML with fixed.x drops the 38 respondents missing a predictor score."""
    a = _mnar()
    text = _results(render_html(a))
    assert ("Full-information estimation of the path model covers its outcome scores only: "
            "38 respondents with a missing predictor score (asym_abs, alliance_age, "
            "firm_size) were left out of it") in text


def test_concentrated_missingness_is_named_even_when_the_overall_share_is_small():
    a = _mnar()
    a["missing"]["item_missing_share"] = 0.008
    a["missing"]["item_missing_share_by_scale"]["dep_own"] = 0.12
    text = _results(render_html(a))
    assert "concentrated in Dep own (12.0% of its answers" in text


# ------------------------------------------------------------------ (b) tiny effects, large N
def test_a_supported_effect_below_the_sesoi_says_so():
    """N = 1,365: H3, H8 and H9 'supported' with beta .10, .09, .09 beside a declared
    smallest effect size of interest of .10 that neither sentence nor table mentioned."""
    a = fixture_analysis()
    a["decision"] = dict(DECISION)
    for h in a["hypotheses"]:  # as an analysis writes it: null where there is none
        h["std_estimate"] = None
    h = a["hypotheses"][0]
    h.update(estimate=0.0981, ci_lower=0.0325, ci_upper=0.1637, pvalue=0.0017,
             pvalue_adjusted=0.0166, sesoi=0.1088, std_estimate=0.0901)
    html = render_html(a)
    assert check_report(html, a) == []
    s = _sentence(_results(html), "H1")
    assert ("the estimate is smaller than the smallest effect size of interest (0.109 in its "
            "metric), so the test detects an effect below the size declared to matter; "
            "supported.") in s
    verdicts = _text(html.split('id="hypotheses"', 1)[1])
    assert ("H1: supported, with an estimate smaller than the smallest effect size of "
            "interest") in verdicts


def test_a_supported_effect_above_the_sesoi_gets_no_such_remark():
    a = fixture_analysis()
    a["decision"] = dict(DECISION)
    a["hypotheses"][0]["sesoi"] = 0.12  # estimate 0.288
    text = _text(render_html(a))
    assert "smaller than the smallest effect size of interest" not in text


# ------------------------------------------------------------------ (c) poor measurement
def _poor_measurement() -> dict:
    a = fixture_analysis()
    a["decision"] = dict(DECISION)
    m = a["measurement"]
    m["reliability"] = {
        "trust": {"n_items": 4, "alpha": 0.63, "omega": 0.41, "cr": 0.58, "ave": 0.31},
        "value_creation": {"n_items": 5, "alpha": 0.87, "omega": 0.87, "cr": 0.88,
                           "ave": 0.60},
        "relationship_performance": {"n_items": 4, "alpha": 0.86, "omega": 0.86,
                                     "cr": 0.88, "ave": 0.64},
        "info_sharing": {"n_items": 5, "alpha": 0.88, "omega": 0.88, "cr": 0.88,
                         "ave": 0.60},
        "joint_sensemaking": {"n_items": 5, "alpha": 0.89, "omega": 0.89, "cr": 0.89,
                              "ave": 0.62}}
    m["second_order_loadings"] = [{"factor": "info_sharing", "est": 1.0},
                                  {"factor": "joint_sensemaking", "est": 0.87}]
    m["htmt_inference"] = {"n_boot": 1000, "pairs": [
        {"factor1": "value_creation", "factor2": "relationship_performance", "htmt": 0.9499,
         "ci_lower": 0.912, "ci_upper": 0.9810, "n_boot": 1000.0, "below_085": False,
         "below_090": False},
        # facets of relationship learning: meant to correlate, never flagged
        {"factor1": "info_sharing", "factor2": "joint_sensemaking", "htmt": 0.93,
         "ci_lower": 0.90, "ci_upper": 0.95, "n_boot": 1000.0, "below_085": False,
         "below_090": False},
        {"factor1": "trust", "factor2": "value_creation", "htmt": 0.42, "ci_lower": 0.30,
         "ci_upper": 0.55, "n_boot": 1000.0, "below_085": True, "below_090": True}]}
    hy = a["hypotheses"]
    hy[0].update(test="learning ~ trust", scales=["info_sharing", "joint_sensemaking",
                                                  "trust"])
    hy[1].update(test="value_creation ~ learning",
                 scales=["value_creation", "info_sharing", "joint_sensemaking"])
    hy[2].update(test="value_appropriation ~ jd_sum * asym_signed",
                 scales=["value_appropriation", "dep_own", "dep_partner"])
    return a


def test_verdicts_on_constructs_without_validity_are_named():
    """HTMT .95 (upper bound .98) between value creation and relationship performance and
    trust's convergent validity 'not supported' (AVE .31, CR .58) in the measurement text;
    then H3, H4, H6a, H6b 'supported' as if the constructs were valid and distinct."""
    a = _poor_measurement()
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("Their constructs are not all shown to be valid: discriminant validity of "
            "Value creation and Relationship performance is not established (HTMT = .95, the "
            "upper bound of its bootstrap interval .98, not below .90), and H2 rests on one "
            "of them or both; convergent validity of Trust is not supported "
            "(AVE below .50, CR not above .60), and H1 rests on it.") in text
    # the facets of one higher-order construct are not a discriminant-validity failure
    assert "information sharing and Relationship learning: joint sensemaking" not in text
    assert "H5 rest" not in text


def test_without_inference_the_point_htmt_decides_and_old_rows_use_their_test():
    """An analysis without HTMT intervals (or hypothesis rows without 'scales'): the HTMT
    matrix and the scale names in each test are read instead."""
    a = _poor_measurement()
    del a["measurement"]["htmt_inference"]
    a["measurement"]["htmt"] = {
        "value_creation": {"value_creation": 1.0, "relationship_performance": 0.9499},
        "relationship_performance": {"value_creation": 0.9499,
                                     "relationship_performance": 1.0}}
    for h in a["hypotheses"]:
        h.pop("scales", None)
    text = _results(render_html(a))
    assert ("discriminant validity of Value creation and Relationship performance is "
            "not established (HTMT = .95, not below .90), and H2 rests on one of them or "
            "both") in text
    assert "Trust is not supported (AVE below .50, CR not above .60), and H1 " \
           "rests on it" in text


def test_valid_constructs_get_no_caveat():
    a = fixture_analysis()
    assert "not all shown to be valid" not in _text(render_html(a))


def test_the_pipeline_names_the_scales_each_test_rests_on():
    from analysis.study.pipeline import hypothesis_scales

    comps = {"learning": ["info_sharing", "joint_sensemaking", "knowledge_integration"]}
    scales = ["info_sharing", "joint_sensemaking", "knowledge_integration", "dep_own",
              "dep_partner", "value_creation", "trust"]
    assert hypothesis_scales("jd_sum -> learning -> value_creation", comps, scales) == [
        "dep_own", "dep_partner", "info_sharing", "joint_sensemaking",
        "knowledge_integration", "value_creation"]
    assert hypothesis_scales("value_creation ~ dyad_jd_sum vs jd_sum", comps, scales) == [
        "value_creation", "dep_own", "dep_partner"]
    assert hypothesis_scales("relationship_performance ~ trust + trust^2", comps, scales) == [
        "trust"]


# ------------------------------------------------------------------ (d) common-method variance
def _cmv(present: bool = True, biased: bool = False) -> dict:
    a = fixture_analysis()
    a["measurement"]["method_variance"] = {"primary": "cfa_marker", "cfa_marker": {
        "estimable": True, "scales": ["dep_own", "dep_partner", "trust",
                                      "specific_investments", "info_sharing",
                                      "value_creation"],
        "chosen": "Method-C", "method_present": present, "biased": biased,
        "mean_method_share": 0.0872,
        "comparisons": [
            {"test": "method variance", "restricted": "Baseline", "general": "Method-C",
             "chisq_diff": 58.4679 if present else 0.2151, "df_diff": 1.0,
             "pvalue": 2.07e-14 if present else 0.643,
             "conclusion": "method variance present"},
            {"test": "equal method effects", "restricted": "Method-C",
             "general": "Method-U", "chisq_diff": 33.328, "df_diff": 27.0, "pvalue": 0.1865,
             "conclusion": "equal (Method-C chosen)"},
            {"test": "bias in trait correlations", "restricted": "Method-R",
             "general": "Method-C", "chisq_diff": 9.3681 if not biased else 41.2,
             "df_diff": 15.0, "pvalue": 0.8574 if not biased else 0.0003,
             "conclusion": "trait correlations not biased"}]}}
    return a


def test_method_variance_found_is_said_in_the_results():
    """Every item loading .45 on a method factor: the CFA marker technique found method
    variance (p < .001), and the results went from the verdicts to the bias checks
    without a word of it."""
    a = _cmv()
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("Common-method variance: the CFA marker technique, the primary check (over 6 of "
            "the scales, named under the common-method table), found method variance "
            "(Baseline vs Method-C: Δχ²(1) = 58.47, p < .001; on average 8.7% of an item's "
            "variance) without a significant bias of the correlations among the constructs "
            "(Method-R vs Method-C: Δχ²(15) = 9.37, p = .857; a test that does not reject, "
            "not a proof of no bias); the hypothesis tests are not corrected for method "
            "variance.") in text


def test_biasing_method_variance_qualifies_the_verdicts():
    text = _results(render_html(_cmv(biased=True)))
    assert ("that biases the correlations among the constructs (Method-R vs Method-C: "
            "Δχ²(15) = 41.20, p < .001): the associations behind the verdicts are partly "
            "shared method") in text


def test_no_method_variance_is_said_in_one_clause():
    text = _results(render_html(_cmv(present=False)))
    assert ("the primary check (over 6 of the scales, named under the common-method table), "
            "found no method variance (Baseline vs Method-C: Δχ²(1) = 0.22, p = .643).") in text


def test_an_applied_marker_adjustment_gives_its_size_and_effect():
    """The method-variance table's Lindell-Whitney row read 'sustainability_innovation
    (asked of some respondents only) left out of the marker correlations | adjusted': no
    r_M, nothing on what the adjustment did (39 of 120 scale correlations no longer
    significant)."""
    a = _cmv()
    a["measurement"]["method_variance"]["marker"] = {
        "applied": True, "left_out": ["sustainability_innovation"],
        "r_m": 0.1023, "n_pairs": 120,
        "n_nonsignificant_after_adjustment": 39}
    html = render_html(a)
    assert check_report(html, a) == []
    text = _text(html)
    assert ("Marker variable (Lindell & Whitney)rM = .10 (the smallest marker correlation); "
            "after the adjustment 39 of 120 scale correlations are not significant at .05; "
            "sustainability_innovation (asked of some respondents only) left out of the "
            "marker correlationsadjusted") in text


def test_a_fornell_larcker_failure_between_the_tested_constructs_is_named():
    """Cross-loading items of learning about and learning from: latent r = .73 against
    sqrt(AVE) = .71 for learning about (HTMT below .90), and H8, the path between the two,
    'supported' (beta .63) without a word of it."""
    a = _poor_measurement()
    a["measurement"]["fornell_larcker"] = {
        "learning_about": {"learning_about": 0.7062, "learning_from": 0.7290},
        "learning_from": {"learning_about": 0.7290, "learning_from": 0.7760},
        "info_sharing": {"info_sharing": 0.77, "joint_sensemaking": 0.95},
        "joint_sensemaking": {"info_sharing": 0.95, "joint_sensemaking": 0.79}}
    a["hypotheses"][2].update(test="learning_from ~ learning_about",
                              scales=["learning_from", "learning_about"])
    html = render_html(a)
    assert check_report(html, a) == []
    text = _results(html)
    assert ("discriminant validity of Learning about and Learning from is not established "
            "(latent correlation .73, not below the square root of Learning about's AVE, "
            ".71: Fornell & Larcker's criterion), and H5 rests on one of them or both") in text
    # the facets of relationship learning (r = .95) are meant to correlate: not named
    assert text.count("discriminant validity of") == 2


def test_the_marker_row_says_how_many_correlations_lost_significance():
    """The count of correlations not significant after the adjustment included those not
    significant before it (39, of which 37 lost significance): the row says both."""
    a = _cmv()
    a["measurement"]["method_variance"]["marker"] = {
        "applied": True, "left_out": [], "r_m": 0.1023, "n_pairs": 120,
        "n_nonsignificant_after_adjustment": 39, "n_lost_after_adjustment": 37}
    html = render_html(a)
    assert check_report(html, a) == []
    assert ("after the adjustment 39 of 120 scale correlations are not significant at .05 "
            "(37 of them were significant before it)") in _text(html)


def test_lost_significance_counts_only_correlations_significant_before():
    """r = .30 and .15 with n = 100: .30 is significant before (p = .002) and, with r_M = .25,
    not after (r_adj = .067); .15 was never significant (nor is its r_adj = -.133); .60
    stays significant."""
    from analysis.stats.method_variance import marker_adjust
    from analysis.study.measurement import _lost_significance

    m = marker_adjust([0.30, 0.15, 0.60], 0.25, 100)
    m["n"] = 100
    assert list(m["pvalue"] >= 0.05) == [True, True, False]
    assert _lost_significance(m) == 1
