"""A methods reviewer's reading of the report: fit indices that go with their test
statistic, the model that tests the hypotheses, sample sizes, interval levels, sourced
thresholds and method-variance conclusions.

Each test renders the hand-built fixture analysis (no statistics are run), reshaped where
needed like the demo study: a WLSMV measurement model beside MLR structural models.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from analysis.report import render_html
from tests.report.fixture_analysis import fixture_analysis
from tests.report.test_main_body import _section, _text

#: WLSMV fit as lavaan gives it: a scaled test statistic, scaled CFI/TLI/RMSEA, no robust
#: ones, and an RMSEA interval for the unscaled RMSEA only.
WLSMV_FIT = {"npar": 720.0, "ntotal": 346.0, "chisq": 1890.9963, "df": 3006.0, "pvalue": 1.0,
             "chisq_scaled": 3018.6957, "df_scaled": 3006.0, "pvalue_scaled": 0.4317,
             "cfi": 1.0, "tli": 1.0234917, "rmsea": 0.0, "rmsea_ci_lower": 0.0,
             "rmsea_ci_upper": 0.0, "srmr": 0.0443, "cfi_scaled": 0.9989471,
             "tli_scaled": 0.9988651, "rmsea_scaled": 0.0034988, "cfi_robust": None,
             "tli_robust": None, "rmsea_robust": None, "rmsea_ci_lower_robust": None,
             "rmsea_ci_upper_robust": None}

LATENT_FIT = {"npar": 169.0, "ntotal": 353.0, "chisq_scaled": 864.3506, "df": 820.0,
              "pvalue_scaled": 0.1373, "cfi_robust": 0.9928435, "tli_robust": 0.9921191,
              "rmsea_robust": 0.0127483, "srmr": 0.0414488, "chisq": 874.6669,
              "cfi": 0.9913311, "tli": 0.9904536, "rmsea": 0.0137426}


def _table(section: str, caption: str) -> str:
    """The ``<table>`` (with its note) of a section whose caption contains ``caption``."""
    for m in re.finditer(r"<table.*?</table>(<p class=\"tabnote\">.*?</p>)?", section, re.S):
        if caption in _text(m.group(0).split("</caption>")[0]):
            return m.group(0)
    raise AssertionError(f"no table {caption!r}")


@pytest.fixture(scope="module")
def reviewed() -> tuple[dict[str, Any], str]:
    a = fixture_analysis()
    m = a["measurement"]
    m["estimator"] = "WLSMV"
    m["ordered"] = True
    m["fit"] = {"first_order": dict(WLSMV_FIT)}
    m["loadings"][0].update({"est": 1.0, "se": 0.0})  # the marker loading, fixed to 1
    m["reliability"]["trust"]["n_loadings_below"] = 2.0
    m["method_variance"] = {"ulmc": {
        "estimable": True, "scales": ["trust", "value_creation"],
        "mean_method_share": 0.3577786,
        "fit": [{"model": "traits", "chisq": 91.226, "df": 87.0, "delta_chisq": None,
                 "delta_df": None, "delta_pvalue": None, "delta_cfi": None},
                {"model": "traits_method", "chisq": 66.1138, "df": 72.0,
                 "delta_chisq": 25.1122, "delta_df": 15.0, "delta_pvalue": 0.0484573,
                 "delta_cfi": 0.0026082}]}}
    s = a["structural"]
    s["estimator"] = "MLR"
    s["fit"].update({"npar": 49.0, "ntotal": 353.0, "chisq_scaled": 3.3011,
                     "pvalue_scaled": 0.1919, "cfi_robust": 0.9981, "tli_robust": 0.9903,
                     "rmsea_robust": 0.0411})
    s["latent_model"] = {"available": True, "estimator": "MLR", "fit": dict(LATENT_FIT),
                         "model": "Latent model: items of reflective scales"}
    a["provenance"].pop("estimator")
    a["reliability"] = {"learning": {"alpha": 0.9244619, "flag": False}}
    a["decision"] = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                     "family": "confirmatory", "sesoi": 0.1, "equivalence": "tost",
                     "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H5"],
                     "family_size": 3}
    return a, render_html(a, parallel=False)


def test_results_text_pairs_the_scaled_chisq_with_scaled_fit_indices(reviewed) -> None:
    """WLSMV has no robust CFI/TLI/RMSEA: the text took the unscaled ones (CFI = 1.000,
    TLI = 1.023) beside the scaled chi-square, and disagreed with the fit table."""
    _, html = reviewed
    res = _section(html, "results")
    for k in ("chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled"):
        assert f'data-key="/measurement/fit/first_order/{k}"' in res
    for k in ("cfi", "tli", "rmsea"):
        assert f'data-key="/measurement/fit/first_order/{k}"' not in res
    assert "TLI = 1.023" not in _text(res)


def test_fit_table_never_puts_the_unscaled_rmsea_interval_beside_the_scaled_rmsea(
        reviewed) -> None:
    """RMSEA = .003 was printed with the 90% CI [.000, .000] of the unscaled RMSEA."""
    _, html = reviewed
    fit = _table(_section(html, "fit"), "Global fit")
    assert 'data-key="/measurement/fit/first_order/rmsea_scaled"' in fit
    assert 'data-key="/measurement/fit/first_order/rmsea_ci_lower"' not in fit
    assert "unscaled interval does not belong to it" in _text(fit)


def test_fit_table_names_the_estimator_of_each_model(reviewed) -> None:
    """The note said "Estimator: WLSMV" for the MLR structural model too."""
    _, html = reviewed
    note = _text(_table(_section(html, "fit"), "Global fit"))
    assert "measurement model: WLSMV" in note
    assert "structural models: MLR" in note
    assert "Estimator: WLSMV." not in note


def test_fit_of_the_latent_model_that_tests_the_hypotheses_is_in_the_main_body(
        reviewed) -> None:
    """The verdicts come from the latent model, but only the composite path model's fit was
    in the main body, and Table 9 / Figure 1 did not say they show another model."""
    _, html = reviewed
    fit = _section(html, "fit")
    assert 'data-key="/structural/latent_model/fit/chisq_scaled"' in fit
    assert "latent (tests the hypotheses)" in _text(fit)
    res = _section(html, "results")
    assert 'data-key="/structural/latent_model/fit/cfi_robust"' in res
    assert "latent structural model that tests the hypotheses" in _text(res)
    st = _text(_section(html, "structural"))
    assert "the hypothesis tests use the latent structural model" in st


def test_sample_size_of_each_model_and_few_cases_per_parameter_are_stated(reviewed) -> None:
    """N = 353 analysed, but the CFA used 346 respondents for 720 free parameters: the main
    body printed its fit without the sample size or a caveat."""
    _, html = reviewed
    fit = _section(html, "fit")
    assert 'data-key="/measurement/fit/first_order/ntotal"' in fit
    assert 'data-key="/structural/latent_model/fit/ntotal"' in fit
    res = _section(html, "results")
    assert 'data-key="/measurement/fit/first_order/npar"' in res
    assert "fewer than five respondents per parameter" in _text(res)


def test_one_sided_rule_says_how_the_95_percent_intervals_relate_to_it(reviewed) -> None:
    """One-sided tests at alpha = .05 beside two-sided 95% intervals, without a word."""
    _, html = reviewed
    for sid in ("results", "hypotheses"):
        assert "a one-sided test at this α matches a 90% interval" in _text(
            _section(html, sid)), sid


def test_correlation_table_shows_the_alpha_of_the_relationship_learning_composite(
        reviewed) -> None:
    """Relationship learning has 15 items and alpha = .92, but the diagonal showed "—",
    which the note explains as "an index, no items"."""
    _, html = reviewed
    assert 'data-key="/reliability/learning/alpha"' in _section(html, "descriptives")


def test_significant_ulmc_is_concluded_as_method_variance(reviewed) -> None:
    """Delta chi2(15) = 25.11, p = .048 was concluded as "ULMC (a check only ...)"."""
    _, html = reviewed
    mv = _text(_section(html, "method-variance"))
    assert "some common-method variance" in mv
    assert "The ULMC check models 2 scales only" in mv


def test_measurement_note_sources_each_threshold_and_names_categorical_omega(
        reviewed) -> None:
    _, html = reviewed
    note = _text(_table(_section(html, "measurement"), "Measurement model"))
    assert "Nunnally, 1978" in note and "Fornell & Larcker, 1981" in note
    assert "categorical omega" in note
    assert "McDonald's omega" not in note


def test_appendix_loading_and_reliability_tables_say_what_they_show(reviewed) -> None:
    """"Standardized factor loadings" held B and SE (0.000 for the fixed loading, not
    explained); counts printed as 2.00; the alpha-only table defined omega, CR and AVE."""
    _, html = reviewed
    app = _section(html, "appendix-measurement")
    loads = _text(_table(app, "Factor loadings"))
    assert "Factor loadings: unstandardized and standardized" in loads
    assert "fixed to 1 to set the scale" in loads
    rel = _table(app, "Reliability and convergent validity")
    cell = re.search(r'data-key="/measurement/reliability/trust/n_loadings_below"[^>]*>([^<]*)<',
                     rel)
    assert cell and cell.group(1).strip() == "2"
    alpha_only = _text(_table(app, "Internal consistency of the scale scores"))
    assert "CR" not in alpha_only and "AVE" not in alpha_only


def test_power_caption_is_a_sentence() -> None:
    """"The declared test (...), its standard error scaled ..." had no verb."""
    a = fixture_analysis()
    ns = [100, 200, 400, 800]
    a["power_curves"] = {
        "available": True, "alpha": 0.05, "sides": 1, "target": 0.8, "ns": ns,
        "hypotheses": [{"id": "H1", "n": 372, "power_sesoi": [0.2, 0.35, 0.6, 0.85],
                        "power_observed": [0.9, 0.99, 1.0, 1.0], "n_target_sesoi": 700,
                        "n_target_observed": 61, "note": ""}]}
    power = _text(_section(render_html(a, parallel=False), "power"))
    assert "Power is that of the declared test" in power


def test_a_multigroup_p_is_named_as_the_welch_tests_not_the_differences():
    a = fixture_analysis()
    a["hypotheses"].append(
        {"id": "H11", "statement": "Value creation differs between the industries.",
         "expected_sign": "none", "verdict": "exploratory: group means differ",
         "estimate": 0.651, "ci_lower": None, "ci_upper": None, "pvalue": 0.018,
         "pvalue_adjusted": None, "method": "multigroup", "exploratory": True, "note": ""})
    a["multigroup"] = {"H11": {"welch_f": 3.412, "df1": 3, "df2": 161.2}}
    text = _text(render_html(a))
    i = text.index("H11 asked whether")
    sentence = text[i:i + 400]
    welch, p = sentence.index("Welch F(3, 161.20) = 3.41"), sentence.index("p = .018")
    assert sentence.index("largest difference of group means = ") < welch < p
    assert "0.651, p =" not in sentence


def test_a_significant_copula_term_flags_the_path_without_claiming_endogeneity():
    import numpy as np
    import pandas as pd

    from analysis.stats.copula import gaussian_copula

    rng = np.random.default_rng(3)
    n = 600
    from scipy import stats

    z = rng.normal(size=n)  # the regressor's normal score, shared with the error
    x = stats.expon.ppf(stats.norm.cdf(z))  # non-normal regressor
    e = 0.8 * z + rng.normal(size=n)
    frame = pd.DataFrame({"y": 1.0 + 0.5 * x + e, "x": x})
    out = gaussian_copula(frame, "y", "x", n_boot=60, seed=1)
    assert out["endogenous"]
    assert "likely endogenous" not in out["note"]
    assert "flags the path for scrutiny" in out["note"] and "not proof" in out["note"]


def test_validity_keys_are_named_in_words_not_as_raw_keys():
    from analysis.report.html import VALIDITY_NAMES, _label
    from analysis.report.sections.common import name_text

    for key, words in VALIDITY_NAMES.items():
        assert name_text(key) == words
        assert _label(key) == words[:1].upper() + words[1:]
    assert _label("n_not_below_085") == "Pairs not below .85"
    assert name_text("fornell_larcker_margin") == "Fornell\u2013Larcker margin"
    assert name_text("some_other_key") == "some other key"  # unknown keys as before
