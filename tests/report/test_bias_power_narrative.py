"""Sample and bias checks, power curves and the wording of the results narrative."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from analysis.report import render_html, report_parts, section_ids
from analysis.report.check import check_report
from analysis.study.power import power_curves


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, f"section {sid} missing"
    return m.group(0)


def _text(fragment: str) -> str:
    fragment = re.sub(r"<svg.*?</svg>", "", fragment, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def _hypotheses() -> list[dict[str, Any]]:
    def row(hid: str, sign: str, est: float, se: float, method: str = "sem_path",
            verdict: str = "supported") -> dict[str, Any]:
        return {"id": hid, "statement": f"Statement of {hid}.", "expected_sign": sign,
                "verdict": verdict, "estimate": est, "se": se, "ci_lower": est - 2 * se,
                "ci_upper": est + 2 * se, "alternative": "greater" if sign == "+" else "less",
                "pvalue": 0.0012, "pvalue_adjusted": 0.0036, "sesoi": 0.06,
                "power_sesoi": 0.5, "n": 353, "method": method, "exploratory": False,
                "note": ""}

    rows = [row("H1", "+", 0.21, 0.035), row("H2", "-", -0.14, 0.059, "rsa", "inconclusive"),
            row("H3", "+", -0.05, 0.04, verdict="inconclusive")]
    rows.append({"id": "H10", "statement": "Dyad-level joint dependence from both partners' "
                 "self-reports predicts value creation at least as well as one informant's "
                 "perception.", "expected_sign": "none",
                 "verdict": "exploratory: one-informant better", "estimate": 0.3213,
                 "se": 0.0711, "ci_lower": 0.1803, "ci_upper": 0.4624, "alternative": "two-sided",
                 "pvalue": 1.7e-05, "pvalue_adjusted": None, "sesoi": None,
                 "power_sesoi": None, "n": 183, "method": "dyadic", "exploratory": True,
                 "note": ""})
    rows.append({"id": "H11", "statement": "The balance of learning about vs learning from the "
                 "partner differs by alliance stage.", "expected_sign": "none",
                 "verdict": "exploratory: differs by group", "estimate": 0.6511, "se": None,
                 "ci_lower": None, "ci_upper": None, "alternative": "two-sided",
                 "pvalue": 0.0179, "pvalue_adjusted": None, "sesoi": None, "power_sesoi": None,
                 "n": 352, "method": "multigroup", "exploratory": True, "note": ""})
    return rows


@pytest.fixture(scope="module")
def report() -> tuple[dict[str, Any], str]:
    from tests.report.fixture_analysis import fixture_analysis

    a = fixture_analysis()
    a["hypotheses"] = _hypotheses()
    for h in a["hypotheses"][:3]:  # the verdict table's power, as the decision rules set it
        from analysis.study.power import wald_power

        h["power_sesoi"] = wald_power(h["sesoi"], h["se"], 0.05, 1)
    a["decision"] = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                     "family": "confirmatory", "sesoi": 0.1, "equivalence": "tost",
                     "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H3"],
                     "family_size": 3}
    a["power_curves"] = power_curves(a["hypotheses"], alpha=0.05, sides=1)
    a["multigroup"] = {"H11": {"id": "H11", "means": {"1.0": 0.39, "2.0": -0.15},
                               "welch_f": 4.1112, "df1": 2, "df2": 185.9464}}
    a["nonresponse_bias"] = {
        "available": True, "timestamp": "completed_at", "n_early": 117, "n_late": 117,
        "tests": {"trust": {"mean_early": 5.1, "mean_late": 4.8, "t": 2.1, "df": 229.4,
                            "pvalue": 0.037, "hedges_g": 0.27},
                  "jd_sum": {"mean_early": 8.2, "mean_late": 8.3, "t": -0.4, "df": 231.0,
                             "pvalue": 0.69, "hedges_g": -0.05}},
        "n_significant": 1, "method": "Armstrong & Overton (1977): first vs last third."}
    a["key_informants"] = {
        "available": True,
        "knowledge": [{"code": 4.0, "label": "To a moderate extent", "n": 55, "share": 0.156},
                      {"code": 6.0, "label": "To a great extent", "n": 298, "share": 0.844}],
        "knowledge_mean": 5.5694, "position": [],
        "tenure": {"n": 353, "mean": 9.4, "sd": 5.8, "min": 2.0, "median": 8.0, "max": 40.0,
                   "n_short": 0, "short_rule": "tenure < 2 years"},
        "n_low_knowledge": 55, "low_knowledge_rule": "informant_knowledge <= 4",
        "comparison": [{"path": "learning ~ jd_sum", "n_all": 353, "est_all": 0.185,
                        "se_all": 0.028, "p_all": 3.8e-11, "n_high": 298, "est_high": 0.183,
                        "se_high": 0.030, "p_high": 1.6e-09, "shift_in_se": -0.073,
                        "same_sign": True, "same_significance": True}],
        "n_changed": 0, "method": "OLS with clustered SEs."}
    cols = {"path": ["learning ~ jd_sum", "value_creation ~ learning"],
            "y": ["learning", "value_creation"], "x": ["jd_sum", "learning"],
            "controls": ["trust", "jd_sum"], "n": [353, 353], "shapiro_w": [0.994, 0.983],
            "shapiro_p": [0.215, 0.0003], "cvm_stat": [0.05, 0.3], "cvm_p": [0.5, 0.001],
            "non_normal": [False, True], "applicable": [False, True], "b_ols": [None, 0.39],
            "se_ols": [None, 0.055], "b_corrected": [None, 0.52], "b_corrected_se": [None, 0.07],
            "copula_coef": [None, -0.13], "copula_se": [None, 0.05], "copula_z": [None, -2.4],
            "copula_p": [None, 0.016], "ci_lower": [None, -0.23], "ci_upper": [None, -0.03],
            "endogenous": [None, True], "max_abs_r_controls": [0.16, 0.37],
            "n_boot_ok": [0, 200],
            "note": ["Not applicable: jd_sum is not distinguishable from a normal distribution.",
                     "The copula term is significant: compare b_corrected with b_ols."]}
    a["endogeneity"] = {"available": True,
                        "paths": {c: {str(i): v for i, v in enumerate(vals)}
                                  for c, vals in cols.items()},
                        "n_paths": 2, "n_applicable": 1, "n_endogenous": 1, "n_boot": 200,
                        "seed": 7, "alpha": 0.05, "method": "Gaussian copula.", "notes": []}
    a["unrecognised_part"] = {"value": 1.5}  # shown under "Further results"
    return a, render_html(a)


def test_report_with_bias_and_power_parts_checks_out(report) -> None:
    a, html = report
    assert check_report(html, a) == []
    main, appendix = report_parts(html)
    assert {"sample-bias", "power"} <= set(section_ids("main"))
    assert {"appendix-bias", "appendix-power"} <= set(section_ids("appendix"))
    tables = re.findall(r'class="tabnum">Table (\w+)<', main)
    figures = re.findall(r'class="fignum">Figure (\w+)\.<', main)
    assert len(tables) + len(figures) <= 20
    # the parts have their own sections, not the generic "Further results"
    assert 'data-key="/endogeneity' not in _section(html, "other")
    power = _section(html, "power")
    assert 'aria-label="fig-power"' in power and "Figure" in power


def test_power_values_in_the_appendix_are_tied_to_the_json(report) -> None:
    a, html = report
    sec = _section(html, "appendix-power")
    pc = a["power_curves"]
    # every value of both curves of every hypothesis, and N for power .80
    for i, h in enumerate(pc["hypotheses"]):
        for key in ("power_sesoi", "power_observed"):
            curve = h[key] or []
            for j in range(len(curve)):
                assert f'data-key="/power_curves/hypotheses/{i}/{key}/{j}"' in sec
        assert f'data-key="/power_curves/hypotheses/{i}/n_target_sesoi"' in sec
    # H3's estimate lies opposite to its prediction: no observed-effect curve, said so
    assert pc["hypotheses"][2]["power_observed"] is None
    assert "H3: The estimate lies opposite to the prediction" in _text(sec)


def test_sample_and_bias_table_states_results_with_labels_and_caveats(report) -> None:
    a, html = report
    text = _text(_section(html, "sample-bias"))
    assert "1 of 2 scale scores differ" in text
    assert "55 low-knowledge informants" in text and "0 of 1 paths change" in text
    assert "applicable to 1 of 2 paths" in text
    assert "Relationship learning \u2192 Value creation" in text
    assert "not a correction" in text and "composite" in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # no raw variable keys
    details = _text(_section(html, "appendix-bias"))
    assert "the corrected B" in details and "b_corrected" not in details
    assert "Hedges g" in details and "Informants' knowledge of the alliance" in details


def test_exploratory_hypotheses_are_questions_with_results_not_verdicts(report) -> None:
    a, html = report
    text = _text(_section(html, "results"))
    assert "H1 predicted that statement of H1" in text and "; supported." in text
    h10 = text[text.index("H10 "):text.index("H11 ")]
    assert h10.startswith("H10 asked whether dyad-level joint dependence")
    assert "\u03b2 = .32, 95% CI [.18, .46], p < .001 (two-sided, unadjusted)" in h10
    assert "one informant's perception explained more of the variance" in h10
    h11 = text[text.index("H11 "):]
    assert h11.startswith("H11 asked whether the balance of learning about")
    assert "Welch F(2, 185.95) = 4.11" in h11 and "the groups differed" in h11
    for part in (h10, h11):
        assert "predicted" not in part and "supported" not in part
        assert "exploratory:" not in part  # the short verdict codes become words
    assert "without a verdict" in text
    # bias checks and power in the prose, tied to the JSON
    assert "early and late respondents differed on 1 of 2 scale scores" in text
    assert "left the sign and significance of all 1 path estimates unchanged" in text
    assert re.search(r"power of \.\d\d \(H\d\) to \.\d\d \(H\d\)", text)
    body = _section(html, "results")
    assert 'data-key="/multigroup/H11/welch_f"' in body
    assert 'data-key="/key_informants/n_changed"' in body


def test_analysis_without_power_curves_says_so() -> None:
    from tests.report.fixture_analysis import fixture_analysis

    a = fixture_analysis()
    html = render_html(a)
    assert check_report(html, a) == []
    assert "Not available: power curves" in _text(_section(html, "power"))
    assert "Not available: power curves" in _text(_section(html, "appendix-power"))
