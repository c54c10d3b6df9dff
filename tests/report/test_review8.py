"""A methods reviewer's reading of the demo report in session 15: the RMSEA interval of
the RMSEA shown, counts printed as counts, two data digests told apart, and a p value
that says which test it is.

The fixture analysis is reshaped like the demo study's parts (no statistics are run).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.report import render_html
from analysis.report.check import check_report
from analysis.study.measurement import reported_fit
from tests.report.fixture_analysis import fixture_analysis
from tests.report.test_main_body import _section, _text

#: The demo's first-order WLSMV fit: pairwise polychorics not positive definite, so lavaan
#: has no robust CFI/TLI/RMSEA (NA, as here) and the scaled ones are shown.
DEMO_WLSMV = {"npar": 720.0, "ntotal": 346.0, "chisq": 1890.99, "df": 3006.0,
              "pvalue": 1.0, "chisq_scaled": 3018.70, "df_scaled": 3006.0,
              "pvalue_scaled": 0.432, "cfi": 1.0, "tli": 1.023, "rmsea": 0.0,
              "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.0, "srmr": 0.044,
              "cfi_scaled": 0.99895, "tli_scaled": 0.99887, "rmsea_scaled": 0.0034988,
              "rmsea_ci_lower_scaled": 0.0, "rmsea_ci_upper_scaled": 0.0118264,
              "cfi_robust": None, "tli_robust": None, "rmsea_robust": None,
              "rmsea_ci_lower_robust": None, "rmsea_ci_upper_robust": None}


def test_the_scaled_rmsea_is_printed_with_its_own_interval():
    a = fixture_analysis()
    a["measurement"]["fit"] = {"first_order": dict(DEMO_WLSMV)}
    html = render_html(a)
    assert check_report(html, a) == []
    text = _text(_section(html, "fit"))
    row = text.split("Measurement model: first order", 1)[1].split("Structural", 1)[0]
    assert "[.000, .012]" in row and "NA" not in row
    assert "no interval was computed" not in text


def test_the_reported_fit_pairs_each_rmsea_with_its_interval():
    rep = reported_fit(DEMO_WLSMV)
    assert rep["rmsea"] == pytest.approx(0.0034988)
    assert (rep["rmsea_ci_lower"], rep["rmsea_ci_upper"]) == (0.0, pytest.approx(0.0118264))
    robust = {**DEMO_WLSMV, "rmsea_robust": 0.05, "rmsea_ci_lower_robust": 0.04,
              "rmsea_ci_upper_robust": 0.06}
    rep = reported_fit(robust)
    assert (rep["rmsea"], rep["rmsea_ci_lower"], rep["rmsea_ci_upper"]) == (0.05, 0.04, 0.06)


def test_invariance_steps_print_npar_and_df_as_whole_numbers():
    a = fixture_analysis()
    a["measurement"]["invariance"] = {"firm_role": {
        "groups": {"A": 172, "B": 89},
        "summary": [{"scale": "trust", "highest_level_supported": "intercepts",
                     "first_failed_level": None, "partial_levels": "", "freed": ""}],
        "by_scale": {"trust": {"levels": [
            {"level": "configural", "npar": 56.0, "chisq": 2.822, "df": 4.0, "cfi": 1.0,
             "delta_df": None, "decision": "baseline"},
            {"level": "thresholds", "npar": 40.0, "chisq": 18.337, "df": 20.0, "cfi": 1.0,
             "delta_df": 16.0, "decision": "holds"}]}},
        "criterion": "Declared rule (Chen 2007): a level fails when delta CFI <= -.010."}}
    a["decision"] = {**a.get("decision", {}), "family_size": 11}
    html = render_html(a)
    assert check_report(html, a) == []
    cells = re.findall(r'data-key="[^"]*/(npar|df|delta_df|family_size)"[^>]*>([^<]*)<', html)
    assert cells and all("." not in shown for _, shown in cells), cells


def test_welch_df_keeps_its_decimals():
    from analysis.report.fmt import fmt
    from analysis.report.html import kind_for

    assert fmt(185.95, kind_for("df", "fit")) == "185.95"
    assert fmt(40.0, kind_for("npar", "fit")) == "40"
    assert kind_for("n_per_parameter", "fit") == "fit"


def test_the_two_data_digests_are_named_apart(tmp_path):
    from analysis.report import build_report
    from analysis.study.simulate import load_population, simulate_study

    data = simulate_study(120, seed=3, population=load_population())
    a = fixture_analysis()
    a["provenance"] = {**a.get("provenance", {}), "data_sha256": "ab" * 32}
    html, _ = build_report(data, analysis=a, data_sha256="cd" * 32)
    text = _text(html)
    assert "data file SHA-256" in text and "cd" * 32 in text
    assert "SHA-256 of the analysed table, not of a file" in text


def test_the_latent_interaction_table_says_its_p_is_two_sided():
    a = fixture_analysis()
    hyps = a["hypotheses"]
    mod = next((h for h in hyps if h.get("latent_interaction")), None)
    if mod is None:
        mod = hyps[0]
        mod["latent_interaction"] = {"available": True, "estimate": -0.092, "se": 0.037,
                                     "ci_lower": -0.164, "ci_upper": -0.020,
                                     "pvalue": 0.0127, "std_interaction": -0.195, "n": 353,
                                     "fit": {"cfi_robust": 0.986, "rmsea_robust": 0.021}}
    html = render_html(a)
    assert "p (two-sided)" in html and "the verdict table gives the declared" in html


def test_the_analysis_keeps_every_rmsea_interval_for_the_report():
    """The measurement model and the two structural models keep the scaled and robust
    RMSEA intervals (the demo report had printed NA: the analysis dropped them)."""
    from analysis.study.measurement import FIT_KEYS
    from analysis.study.pipeline import _fit_dict

    for kind in ("", "_scaled", "_robust"):
        assert f"rmsea_ci_lower{kind}" in FIT_KEYS and f"rmsea_ci_upper{kind}" in FIT_KEYS
    kept = _fit_dict({**DEMO_WLSMV, "baseline_chisq": 1.0})
    assert kept["rmsea_ci_upper_scaled"] == pytest.approx(0.0118264)
    assert "baseline_chisq" not in kept


def test_an_untested_confirmatory_hypothesis_says_why_and_the_family_counts_it():
    """A pilot of 70: H5's latent interaction could not be estimated.  The results said
    "the confirmatory family comprises 10 hypotheses (H1, ..., H9b)" listing 11, and
    "no estimate is available; not tested" without the reason its note gives."""
    from analysis.report.sections.narrative import untested_reason

    a = fixture_analysis()
    a["decision"] = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                     "family": "confirmatory", "sesoi": 0.1, "equivalence": "tost",
                     "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H5"],
                     "family_size": 2}
    h5 = next(h for h in a["hypotheses"] if h["id"] == "H5")
    h5.update(estimate=None, ci_lower=None, ci_upper=None, pvalue=None,
              pvalue_adjusted=None, verdict="not tested",
              note="Latent interaction (product indicators, DMC): not available (The "
                   "model-implied covariance matrix is not positive definite.) Robustness "
                   "(moderated regression on composites): b = -0.063.")
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    assert "comprises 3 hypotheses (H1, H2, H5); 2 of them could be tested" in text
    assert ("no estimate is available (the model could not be estimated: the "
            "model-implied covariance matrix is not positive definite)") in text
    assert untested_reason({"note": "Not tested: too few dyads. More."}) == \
        "the model could not be estimated: too few dyads"
    assert untested_reason({"note": "Some other note."}) == ""


def test_fit_of_a_model_with_no_more_respondents_than_items_is_not_printed():
    """A pilot of 63 respondents for the 81-item CFA: the items' correlation matrix is
    singular, and its CFI of .945 was printed as "unstable".  The demo's 353 for 81 items
    (720 free parameters, thresholds included) stay printed, with the caveat."""
    a = fixture_analysis()
    a["measurement"]["fit"] = {"first_order": {**DEMO_WLSMV, "ntotal": 63.0,
                                               "npar": 703.0, "n_variables": 81.0}}
    a["measurement"]["improper"] = ["The covariance matrix of the latent variables is not "
                                    "positive definite"]
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    assert "its fit cannot be interpreted: N = 63 respondents for 81 items" in text
    assert "CFI = .999" not in text
    assert "Its solution is improper (The covariance matrix of the latent variables is not " \
           "positive definite), so its loadings" in text
    assert "The solution is improper" in text and "are not interpretable" in text
    fit = " ".join(_text(_section(html, "fit")).split())
    assert "first order †" in fit and "not interpretable: 81 items" in fit
    demo = fixture_analysis()
    demo["measurement"]["fit"] = {"first_order": {**DEMO_WLSMV, "n_variables": 81.0}}
    html = render_html(demo)
    text = " ".join(_text(html).split())
    assert "fewer than five respondents per parameter, so these fit statistics are " \
           "unstable" in text and "CFI = .999" in text and "†" not in text


def test_a_reason_with_brackets_is_given_whole():
    from analysis.report.sections.narrative import untested_reason

    note = ("Latent interaction (product indicators, DMC): not available (The saturated "
            "(h1) model of 22 variables cannot be estimated from these 63 cases.) "
            "Robustness (moderated regression): b = 0.1.")
    assert untested_reason({"note": note}) == (
        "the model could not be estimated: the saturated (h1) model of 22 variables cannot "
        "be estimated from these 63 cases")


def test_a_level_that_did_not_converge_is_not_reported_as_failed():
    a = fixture_analysis()
    a["measurement"]["invariance"] = {"language": {
        "groups": {"en": 40, "de": 23},
        "summary": [{"scale": "trust", "highest_level_supported": "none",
                     "first_failed_level": "configural", "partial_levels": "", "freed": ""},
                    {"scale": "value_creation", "highest_level_supported": "loadings",
                     "first_failed_level": "intercepts", "partial_levels": "", "freed": ""}],
        "by_scale": {
            "trust": {"levels": [{"level": "configural", "converged": False,
                                  "decision": "not estimated (did not converge)"}]},
            "value_creation": {"levels": [
                {"level": "configural", "decision": "baseline"},
                {"level": "intercepts", "converged": False,
                 "decision": "not estimated (did not converge)"}]}},
        "criterion": "Declared rule (Chen 2007): a level fails when delta CFI <= -.010."}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(_section(html, "invariance")).split())
    assert "not established: the configural model did not converge" in text
    assert "metric (loadings); the scalar (intercepts) model did not converge" in text
    assert "fails at configural" not in text and "fails at scalar" not in text


def test_a_failed_latent_model_is_named_where_the_fit_is_given():
    """A pilot: the latent model of the confirmatory tests could not be estimated and the
    composite path model gave the verdicts; the results said only "The structural model
    (MLR) fitted with ...", the reason being among 20 warnings at the end."""
    a = fixture_analysis()
    a["structural"]["latent_model"] = {
        "available": False,
        "reason": "The saturated (h1) model of 43 variables cannot be estimated from these "
                  "63 cases. The path and mediation verdicts come from the path model on "
                  "composite scores instead."}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    assert ("The latent structural model declared for the confirmatory tests could not be "
            "estimated (The saturated (h1) model of 43 variables cannot be estimated from "
            "these 63 cases); the path and mediation verdicts come from the path model on "
            "composite scores instead, which") in text


def test_the_pipeline_records_why_the_latent_model_failed():
    from analysis.study.hypotheses import load_hypotheses
    from analysis.study.pipeline import _detail_sections

    hs = load_hypotheses(None)

    class _Res:  # the path model's result, as far as _structural reads it
        params = pd.DataFrame({"lhs": ["y"], "op": ["~"], "rhs": ["x"], "est": [0.1]})
        fit = {"npar": 3.0, "ntotal": 63.0, "chisq": 1.0}
        r2 = {}
        warnings: list[str] = []
        converged = True

    det = {"path_model": _Res(), "latent_model_error": "The saturated (h1) model failed."}
    out = _detail_sections(hs, det)["structural"]["latent_model"]
    assert out["available"] is False and out["reason"].startswith("The saturated (h1)")


def test_an_improper_invariance_level_is_not_judged():
    """The pilot's groups of 40 and 23: steps with a Heywood case read "holds"."""
    a = fixture_analysis()
    a["measurement"]["invariance"] = {"language": {
        "groups": {"en": 40, "de": 23},
        "summary": [{"scale": "trust", "highest_level_supported": "thresholds",
                     "first_failed_level": "loadings", "partial_levels": "", "freed": ""}],
        "by_scale": {"trust": {"levels": [
            {"level": "configural", "decision": "baseline"},
            {"level": "loadings", "note": "improper solution: Heywood case",
             "decision": "not judged (improper solution)"}]}},
        "criterion": "Declared rule (Chen 2007): a level fails when delta CFI <= -.010."}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(_section(html, "invariance")).split())
    assert "equal thresholds; the metric (loadings) model has an improper solution" in text


def test_the_study_sequence_stops_at_an_improper_level():
    """analysis.study.measurement._invariance_sequence gives no decision on an improper
    solution (two groups of 25 on five items, one item's variance driven negative)."""
    import numpy as np

    from analysis.study.measurement import _invariance_sequence

    rng = np.random.default_rng(3)  # configural proper, metric with a Heywood case
    n = 25
    rows = []
    for g in ("a", "b"):
        f = rng.normal(size=n)
        x = {f"x{i}": 0.8 * f + rng.normal(scale=0.6, size=n) for i in range(1, 4)}
        x["x4"] = (0.99 if g == "a" else 0.2) * f + rng.normal(scale=0.05, size=n)
        rows.append(pd.DataFrame(x).assign(g=g))
    data = pd.concat(rows, ignore_index=True)
    seq = _invariance_sequence("f =~ x1 + x2 + x3 + x4", data, "g", "ML",
                               ("configural", "metric", "scalar"), False, {"missing": "listwise"})
    table = seq["levels"]
    improper = table["note"].astype(str).str.startswith("improper")
    assert improper.any(), table  # the case has an improper level to judge
    assert not (improper & table["decision"].isin(["holds", "baseline"])).any(), table
    assert list(table["decision"]) == ["baseline", "not judged (improper solution)"]
    assert seq["highest_level_supported"] == "configural"


def test_harman_on_a_matrix_that_is_not_positive_definite_draws_no_conclusion():
    a = fixture_analysis()
    a["measurement"].setdefault("method_variance", {})["harman"] = {
        "n_obs": 19.0, "n_items": 81.0, "first_eigenvalue": 12.74, "prop_var": 0.157,
        "min_eigenvalue": -0.824, "missing": "pairwise", "n_rows": 63, "flag": None}
    html = render_html(a)
    text = " ".join(_text(html).split())
    assert "not interpretable: the pairwise correlations of the items do not form a " \
           "positive definite matrix (smallest eigenvalue −0.824)" in text
    assert "no single dominant factor" not in text


def test_the_composite_path_model_gets_the_few_cases_caveat_too():
    """The pilot's path model: 49 free parameters for 63 respondents, printed without the
    caveat the latent model's fit had."""
    a = fixture_analysis()
    a["structural"]["fit"].update({"npar": 49.0, "ntotal": 63.0})
    text = " ".join(_text(render_html(a)).split())
    assert "(N = 63, 49 free parameters: fewer than five respondents per parameter" in text
