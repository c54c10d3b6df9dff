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


def test_a_testing_model_below_the_cutoffs_is_named_beside_the_verdicts():
    a = fixture_analysis()
    a["structural"]["latent_model"] = {"estimator": "MLR", "fit": dict(SMALL_LATENT)}
    html = render_html(a)
    assert check_report(html, a) == []
    text = " ".join(_text(html).split())
    sentence = text.split("The latent structural model that tests the hypotheses", 1)[1]
    sentence = sentence.split(" the path model on composite scores", 1)[0]
    assert "misses the conventional cut-offs for CFI and TLI" in sentence
    assert "conditional on a model that does not fit closely" in sentence
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
