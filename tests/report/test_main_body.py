"""The report's main body (APA results section) and its online appendix."""

from __future__ import annotations

import math
import re
from html import unescape
from typing import Any

import numpy as np
import pytest
from scipy import stats

from analysis.report import render_html, report_parts, section_ids
from analysis.report.check import check_report, parse_report
from analysis.report.fmt import fmt


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, f"section {sid} missing"
    return m.group(0)


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", fragment)).split())


@pytest.fixture(scope="module")
def extended() -> tuple[dict[str, Any], str]:
    """The fixture analysis with the parts the main body draws from: declared decision
    rules, robust fit, indicator R², a quadratic and a response-surface test."""
    from tests.report.fixture_analysis import fixture_analysis

    a = fixture_analysis()
    a["decision"] = {"alpha": 0.05, "sides": "by_direction", "correction": "holm",
                     "family": "confirmatory", "sesoi": 0.1, "equivalence": "tost",
                     "equivalence_alpha": 0.05, "family_ids": ["H1", "H2", "H5"],
                     "family_size": 3}
    a["structural"]["fit"].update({"chisq_scaled": 3.9012, "cfi_robust": 0.9712,
                                   "rmsea_robust": 0.0511})
    a["structural"]["r2"]["learning__obs"] = 0.8765
    a["quadratic"] = {"H6b": {
        "id": "H6b", "outcome": "value_creation", "x": "trust", "n": 372,
        "coefficients": [{"term": "(Intercept)", "estimate": 1.5},
                         {"term": "trust", "estimate": 0.9},
                         {"term": "trust^2", "estimate": -0.09}],
        "turning_point": 5.0, "tp_fieller_lower": 4.2, "tp_fieller_upper": 6.1,
        "x_range": [1.0, 7.0]}}
    a["response_surface"] = {"H2": {
        "id": "H2", "z": "learning", "x": "dep_own", "y": "dep_partner", "n": 372,
        "center": 4.25,
        "coefficients": [{"term": t, "estimate": b} for t, b in (
            ("(Intercept)", 3.7), ("x", 0.23), ("y", 0.1), ("x^2", -0.05), ("x*y", 0.08),
            ("y^2", -0.04))]}}
    return a, render_html(a)


def test_main_body_holds_at_most_twenty_numbered_tables_and_figures(extended) -> None:
    a, html = extended
    assert check_report(html, a) == []
    main, appendix = report_parts(html)
    tables = re.findall(r'class="tabnum">Table (\w+)<', main)
    figures = re.findall(r'class="fignum">Figure (\w+)\.<', main)
    assert tables == [str(k) for k in range(1, len(tables) + 1)] and len(tables) >= 8
    assert 4 <= len(figures) and len(tables) + len(figures) <= 20
    # the appendix numbers its own (A1, A2, ...) and lists its sections
    app_tables = re.findall(r'class="tabnum">Table (\w+)<', appendix)
    assert app_tables and all(t.startswith("A") for t in app_tables)
    assert 'class="toc appendix-toc"' in appendix
    sections = parse_report(html).sections
    assert sections == section_ids()
    assert sections[: len(section_ids("main"))] == section_ids("main")
    assert "<svg" in main and "Table 1" not in appendix.replace("Table A1", "")


def test_the_apps_frame_keeps_every_figure_to_draw_after_the_tables(extended) -> None:
    """lazy_figures: each figure's SVG is kept whole as a script's text behind an empty
    picture with the same opening tag (so the same size); everything else is unchanged."""
    from analysis.report import lazy_figures

    _, html = extended
    main, _ = report_parts(html)
    page = lazy_figures(main)
    svgs = re.findall(r"<figure><svg\b.*?</svg>", main, re.S)
    assert len(svgs) >= 4
    kept = re.findall(r'<script type="text/x-figure">(.*?)</script>', page, re.S)
    assert kept == [s[len("<figure>"):] for s in svgs]
    for svg in kept:
        start = svg[:svg.index(">")]
        assert f"<figure>{start} data-lazy></svg><script" in page
    # only the figures and the script that draws them differ
    rest = re.sub(r'<figure><svg\b[^>]*data-lazy></svg><script type="text/x-figure">.*?'
                  r"</script>", "<figure>", page, flags=re.S)
    assert rest.count("<script>") == 1 and rest.endswith("</body>\n</html>\n")
    assert re.sub(r"<script>.*?</script>\n", "", rest, flags=re.S) == re.sub(
        r"<figure><svg\b.*?</svg>", "<figure>", main, flags=re.S)
    assert lazy_figures("<html><body><p>no figure</p></body></html>") == (
        "<html><body><p>no figure</p></body></html>")


def test_narrative_states_the_rules_and_each_hypothesis_in_apa_prose(extended) -> None:
    a, html = extended
    text = _text(_section(html, "results"))
    assert ("H1 predicted that joint dependence increases relationship learning; B = 0.288, "
            "95% CI [0.141, 0.434], p < .001, adjusted p < .001; supported.") in text
    assert "H2 predicted that" in text and "p = .034" in text and "adjusted p = .137" in text
    assert "H10 predicted that" in text and "no estimate is available; not tested." in text
    assert "confirmatory family comprises 3 hypotheses (H1, H2, H5)" in text
    assert "one-sided in the predicted direction at \u03b1 = .05" in text
    assert "Holm correction" in text and "TOST" in text
    assert "N = 372 responses of 400 received" in text
    # every number of the prose is tied to the JSON (the checker compares them)
    body = _section(html, "results")
    assert 'data-key="/hypotheses/0/ci_lower"' in body
    assert 'data-key="/decision/alpha"' in body


def _pearson_p(r: float, n: int) -> float:
    """p of a sample correlation r from scipy.stats.pearsonr on data built to have it."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(n)
    e = rng.standard_normal(n)
    x = (x - x.mean()) / x.std()
    e = e - e.mean() - (e @ x) / (x @ x) * x
    e = e / e.std()
    return float(stats.pearsonr(x, r * x + math.sqrt(1 - r * r) * e).pvalue)


def test_correlations_carry_apa_significance_marks(extended) -> None:
    a, html = extended
    sec = _section(html, "descriptives")
    desc = a["descriptives"]
    checked = 0
    for m in re.finditer(r'data-key="/correlations/(\w+)/(\w+)"[^>]*>([^<]*)</span>'
                         r"(?:<sup>(\**)</sup>)?", sec):
        x, y, shown, mark = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        r = a["correlations"][x][y]
        assert shown == fmt(r, "std")
        p = _pearson_p(r, min(desc[x]["n"], desc[y]["n"]))
        assert mark == ("***" if p < .001 else "**" if p < .01 else "*" if p < .05 else ""), \
            (x, y, r, p)
        checked += 1
    assert checked == 10  # the lower triangle of five variables
    assert {"", "**", "***"} <= {m or "" for m in re.findall(r"</span>(?:<sup>(\**)</sup>)?</td>",
                                                              sec)}
    assert "M" in _text(sec) and 'data-key="/descriptives/trust/sd"' in sec


def test_fit_is_robust_first_and_structural_r2_is_apart(extended) -> None:
    a, html = extended
    fit = _section(html, "fit")
    assert 'data-key="/structural/fit/cfi_robust"' in fit
    assert 'data-key="/structural/fit/cfi"' not in fit  # the unscaled one is in the appendix
    assert 'data-key="/structural/fit/cfi"' in _section(html, "appendix-fit")
    st = _section(html, "structural")
    assert 'data-key="/structural/r2/learning"' in st
    assert "learning__obs" not in st
    assert 'data-key="/structural/r2/learning__obs"' in _section(html, "appendix-structural")


def test_forest_plot_has_one_panel_per_metric(extended) -> None:
    _, html = extended
    hyp = _section(html, "hypotheses")
    svgs = re.findall(r"<svg.*?</svg>", hyp, re.S)
    assert len(svgs) == 1
    assert "Path coefficients (B)" in svgs[0] and "Interaction terms (B)" in svgs[0]


def test_curvilinear_and_response_surface_figures(extended) -> None:
    a, html = extended
    sec = _section(html, "mediation-moderation")
    text = _text(sec)
    assert re.search(r"H6b \(regression on composite scores[^)]*\): the quadratic effect of", text)
    assert "Turning point 5.000" in text
    assert "Fieller 95% interval shaded" in text
    assert "H2: response surface of" in text and "line of congruence" in text
    assert sec.count("<svg") == 3  # H5's slopes and region, the inverted U, the surface


def test_shares_print_as_percentages_with_one_decimal() -> None:
    assert fmt(0.09915014164305949, "share") == "9.9"
    assert fmt(0.30878, "share") == "30.9" and fmt(1.0, "share") == "100.0"
    assert fmt(None, "share") == "NA"


def test_invariance_tested_scale_by_scale_gives_a_table_of_levels() -> None:
    from tests.report.fixture_analysis import fixture_analysis

    a = fixture_analysis()
    level = {"level": "configural", "chisq": 5.15, "df": 10.0, "cfi": 1.0, "rmsea": 0.0,
             "decision": "baseline"}
    a["measurement"]["invariance"] = {
        "firm_role": {
            "groups": {"A": 172, "B": 89},
            "summary": [{"scale": "trust", "highest_level_supported": "thresholds",
                         "first_failed_level": "loadings", "partial_levels": "",
                         "freed": ""},
                        {"scale": "value_creation", "highest_level_supported": "intercepts",
                         "first_failed_level": None, "partial_levels": "", "freed": ""},
                        {"scale": "specific_investments",
                         "highest_level_supported": "intercepts",
                         "first_failed_level": "loadings", "partial_levels": "loadings",
                         "freed": "specific_investments =~ specific_investments_3"}],
            "by_scale": {"trust": {"levels": [level]}, "value_creation": {"levels": [level]},
                         "specific_investments": {"levels": [level]}},
            "criterion": "Declared rule (Chen 2007): a level fails when delta CFI <= -.010; "
                         "more text."}}
    html = render_html(a)
    assert check_report(html, a) == []
    sec = _section(html, "invariance")
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", sec)).split())  # cells apart
    assert "Not available" not in text
    assert ("Groups (n) Firm A (named first for the alliance): 172 ; "
            "firm B (firm A's partner): 89") in text
    assert "Trust equal thresholds; fails at metric (loadings)" in text
    assert "Value creation scalar (intercepts)" in text
    # a failed level that freeing a loading repaired reads as partial, not as failed
    assert ("Specific investments partial scalar (intercepts); metric (loadings) "
            "partial; freed: specific_investments =~ specific_investments_3") in text
    assert 'data-key="/measurement/invariance/firm_role/groups/A"' in sec
