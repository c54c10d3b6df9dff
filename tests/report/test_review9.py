"""A methods reviewer's reading of a smaller study (N = 166) in session 16: the model
that tests the hypotheses missed the report's own fit cut-offs (CFI .937, TLI .930 against
.95) and the text gave the verdicts without a word on it.

The fixture analysis is reshaped like the study's parts (no statistics are run).
"""

from __future__ import annotations

from analysis.report import render_html
from analysis.report.check import check_report
from tests.report.fixture_analysis import fixture_analysis
from tests.report.test_main_body import _text

SMALL_LATENT = {"npar": 169, "ntotal": 166, "chisq": 1050.2, "df": 820,
                "chisq_scaled": 989.76, "df_scaled": 820, "pvalue_scaled": 0.00003,
                "cfi_robust": 0.937, "tli_robust": 0.930, "rmsea_robust": 0.035,
                "srmr": 0.071}


def _latent_verdicts(a: dict) -> list[str]:
    """Mark the fixture's path hypotheses as tested in the latent model."""
    ids = []
    for h in a["hypotheses"]:
        if h.get("method") in ("sem_path", "mediation_bootstrap"):
            h["model"] = "Latent model: items of reflective scales (MLR)"
            ids.append(h["id"])
    return ids


def test_a_testing_model_below_the_cutoffs_is_named_beside_the_verdicts():
    a = fixture_analysis()
    ids = _latent_verdicts(a)
    assert ids
    a["structural"]["latent_model"] = {"estimator": "MLR", "fit": dict(SMALL_LATENT)}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    sentence = text.split("The latent structural model that tests the hypotheses", 1)[1]
    sentence = sentence.split(" the path model on composite scores", 1)[0]
    assert "misses the conventional cut-offs for CFI and TLI" in sentence
    # the verdicts that come from this model, named (a review: not every verdict below)
    assert (f"so the verdicts of {', '.join(ids)} are conditional on a model that does not "
            "fit closely") in sentence
    assert "RMSEA" not in sentence.split("misses", 1)[1].split("(Hu")[0]


def test_a_model_meeting_the_cutoffs_gets_no_such_clause():
    a = fixture_analysis()
    good = {**SMALL_LATENT, "cfi_robust": 0.962, "tli_robust": 0.958}
    a["structural"]["latent_model"] = {"estimator": "MLR", "fit": good}
    html = render_html(a)
    assert check_report(html, a) == []
    assert "misses the conventional cut-off" not in " ".join(_text(html).split())


def test_the_monte_carlo_interval_of_the_indirect_effects_is_said_in_the_text():
    """H4 is declared mediation_bootstrap; its verdict used a Monte Carlo interval of
    1,000 draws, said only in an appendix note."""
    a = fixture_analysis()
    a["structural"]["latent_model"] = {
        "estimator": "MLR", "fit": dict(SMALL_LATENT),
        "indirect_interval": {"method": "Monte Carlo", "draws": 1000, "seed": 3}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    assert "Monte Carlo percentile intervals (Preacher & Selig, 2012; 1000 draws) in place " \
           "of the declared bootstrap" in text


def test_a_null_copula_check_is_not_read_as_exogeneity():
    """"no sign of endogeneity" at N = 163: a copula term that is not significant is weak
    evidence (Becker, Proksch & Ringle 2022)."""
    from tests.report.test_bias_power_narrative import _section

    a = fixture_analysis()
    a["endogeneity"] = {"available": True, "paths": {}, "n_paths": 2, "n_applicable": 1,
                        "n_endogenous": 0, "n_boot": 200, "seed": 7, "alpha": 0.05,
                        "method": "Gaussian copula.", "notes": []}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(_section(html, "sample-bias")).split())
    assert "no copula term significant; weak evidence at this sample size" in text
    assert "no sign of endogeneity" not in text


def _informants(shift: float, changed: int) -> dict:
    return {"available": True, "knowledge_mean": 5.5694, "n_low_knowledge": 55,
            "low_knowledge_rule": "informant_knowledge <= 4", "n_changed": changed,
            "comparison": [{"path": "learning ~ jd_sum", "n_all": 353, "est_all": 0.185,
                            "se_all": 0.028, "p_all": 0.04, "n_high": 298, "est_high": 0.15,
                            "se_high": 0.030, "p_high": 0.07, "shift_in_se": shift,
                            "same_sign": True, "same_significance": changed == 0}],
            "method": "OLS with clustered SEs."}


def test_the_informant_verdict_reads_the_shifts_not_significance_flips():
    """A reviewer: "some paths depend on low-knowledge informants" from a significance flip
    while no estimate moved by more than 1.15 SE (Gelman & Stern 2006)."""
    from tests.report.test_bias_power_narrative import _section

    for shift, changed, want in ((-1.15, 1, "no path shifts by 2 SE or more"),
                                 (1.97, 1, "no path shifts by 2 SE or more"),
                                 (2.4, 1, "some paths shift by 2 SE or more")):
        a = fixture_analysis()
        a["key_informants"] = _informants(shift, changed)
        html = render_html(a)
        assert check_report(html, a) == []
        text = " ".join(_text(_section(html, "sample-bias")).split())
        assert want in text and "depend on low-knowledge" not in text


def test_the_power_sentence_says_it_is_before_the_family_correction():
    clause = ("to detect the smallest effect size of interest (each test at the declared "
              "level before the family correction")
    for correction, size, said in (("holm", 2, True), ("none", 2, False), ("holm", 1, False)):
        a = fixture_analysis()
        confirm = [h for h in a["hypotheses"] if not h.get("exploratory")]
        for k, h in enumerate(confirm[:2]):
            h["power_sesoi"] = 0.41 + 0.3 * k
        a["decision"] = {**a.get("decision", {}), "correction": correction,
                         "family_size": size}
        html = render_html(a)
        assert check_report(html, a) == []
        assert (clause in " ".join(_text(html).split())) is said, (correction, size)


def test_effect_figures_say_which_model_they_plot():
    """Figures 3-5 plotted the composite regressions under hypotheses whose verdicts came
    from latent models, and shaded a Johnson-Neyman region for an untested H7."""
    from tests.report.test_bias_power_narrative import _section

    a = fixture_analysis()
    a["quadratic"] = {"H6b": {"x": "trust", "outcome": "relationship_performance",
                              "coefficients": [{"term": "trust", "estimate": 0.5},
                                               {"term": "trust^2", "estimate": -0.05}],
                              "x_range": [1.0, 7.0], "turning_point": 5.0}}
    h6b = {"id": "H6b", "statement": "Trust has an inverted-U effect.", "expected_sign":
           "inverted_u", "verdict": "inconclusive", "estimate": -0.05, "pvalue": 0.2,
           "model": "Latent quadratic (product indicators, DMC; MLR)", "method":
           "latent_quadratic", "exploratory": False, "n": 353}
    a["hypotheses"] = [*a["hypotheses"], h6b]
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(_section(html, "mediation-moderation")).split())
    assert ("H6b (regression on composite scores, the robustness model; the verdict comes "
            "from the latent model): the quadratic effect of") in text
    h6b.update(estimate=None, note="Not tested: the latent model did not converge.")
    html = render_html(a)
    text = " ".join(_text(_section(html, "mediation-moderation")).split())
    assert "the hypothesis was not tested, so the plot only describes the data" in text


def test_the_invariance_table_neither_repeats_a_partial_level_nor_judges_a_poor_baseline():
    """A reviewer: "partial scalar (intercepts); scalar (intercepts) partial"; and a scale
    whose configural model misfits is "not established", not "scalar"."""
    import re
    from html import unescape

    from tests.report.test_bias_power_narrative import _section

    base = {"level": "configural", "npar": 20, "chisq": 28.05, "df": 10, "cfi": 0.97,
            "rmsea": 0.181, "decision": "baseline fits poorly (RMSEA 0.181 > 0.10); no level "
                                        "judged"}
    a = fixture_analysis()
    a["measurement"]["invariance"] = {"firm_role": {
        "groups": {"A": 56, "B": 56},
        "summary": [{"scale": "innovation_outcome", "highest_level_supported": "intercepts",
                     "first_failed_level": "intercepts", "partial_levels": "intercepts",
                     "freed": "innovation_outcome_6 ~1"},
                    {"scale": "knowledge_integration", "highest_level_supported": "none",
                     "first_failed_level": "configural", "partial_levels": "", "freed": ""}],
        "by_scale": {"innovation_outcome": {"levels": [{**base, "rmsea": 0.05,
                                                        "decision": "baseline"}]},
                     "knowledge_integration": {"levels": [base]}},
        "criterion": "Declared rule (Chen 2007)."}}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", _section(html, "invariance"))).split())
    assert "partial scalar (intercepts); freed: innovation_outcome_6 ~1" in text
    assert "scalar (intercepts) partial" not in text
    assert "not established: the configural model fits poorly (RMSEA 0.181 > 0.10)" in text


def test_too_few_clusters_for_the_latent_model_is_said_in_the_text():
    """112 alliances for 169 free parameters: said beside the model, not only among the
    warnings."""
    a = fixture_analysis()
    _latent_verdicts(a)
    a["structural"]["latent_model"] = {"estimator": "MLR", "fit": dict(SMALL_LATENT),
                                       "nclusters": 112}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    assert ("its cluster-robust standard errors rest on 112 alliances for 169 free "
            "parameters, too few clusters") in text
    a["structural"]["latent_model"]["nclusters"] = 268
    assert "too few clusters" not in " ".join(_text(render_html(a)).split())
