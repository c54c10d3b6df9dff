"""The latent-interaction alternative in the report (hypotheses and moderation sections)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from analysis.io import jsonable
from analysis.report import render_html
from analysis.report.check import check_report
from tests.report.fixture_analysis import fixture_analysis

HS = Path(__file__).resolve().parents[1] / "reference" / "data" / "HolzingerSwineford1939.csv"


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, sid
    return unescape(m.group(0))


@pytest.fixture(scope="module")
def latent_dict() -> dict:
    from analysis.stats.latent_interaction import latent_interaction

    res = latent_interaction(pd.read_csv(HS), ["x1", "x2", "x3"], ["x4", "x5", "x6"],
                             ["x7", "x8", "x9"], controls=["ageyr"], match="order")
    return jsonable({"available": True, "outcome": "speed", "focal": "visual",
                     "moderator": "textual", **res.to_dict()})


@pytest.fixture()
def analysis(latent_dict) -> dict:
    a = fixture_analysis()
    for h in a["hypotheses"]:
        h["latent_interaction"] = None
    h5 = next(h for h in a["hypotheses"] if h["id"] == "H5")
    h5["latent_interaction"] = latent_dict
    a["hypotheses"].append({
        "id": "H7", "statement": "Specific investments strengthen learning -> value creation.",
        "expected_sign": "+", "verdict": "not tested", "estimate": None, "ci_lower": None,
        "ci_upper": None, "pvalue": None, "pvalue_adjusted": None, "method": "latent_moderation",
        "note": "Latent interaction: not available.",
        "latent_interaction": {"available": False,
                               "reason": "The latent interaction model did not converge."}})
    return a


def test_latent_results_are_shown_with_their_json_paths(analysis, latent_dict):
    html = render_html(analysis)
    assert check_report(html, analysis) == []
    hyp = _section(html, "appendix-hypotheses")
    assert "Latent-interaction alternative of the moderation hypotheses" in hyp
    i = next(k for k, h in enumerate(analysis["hypotheses"]) if h["id"] == "H5")
    for key in ("estimate", "se", "ci_lower", "ci_upper", "pvalue", "std_interaction"):
        assert f'data-key="/hypotheses/{i}/latent_interaction/{key}"' in hyp, key
    assert "Not available: The latent interaction model did not converge." in hyp
    latent_table = hyp[hyp.index("Latent-interaction alternative"):]
    row_h7 = re.search(r"<tr><th>H7</th>.*?</tr>", latent_table, re.S).group(0)
    assert "latent model" in row_h7  # its verdict comes from the latent model
    row_h5 = re.search(r"<tr><th>H5</th>.*?</tr>", latent_table, re.S).group(0)
    assert "regression" in row_h5
    mod = _section(html, "appendix-mediation-moderation")
    assert "Latent interaction: H5 (visual \u00d7 textual \u2192 speed)" in mod
    assert "H5: simple slopes of latent visual" in mod
    for j in range(3):
        assert f'data-key="/hypotheses/{i}/latent_interaction/simple_slopes/{j}/se"' in mod
    assert mod.count("<svg") >= 2  # regression slopes and latent slopes


def test_a_changed_latent_number_is_detected(analysis):
    html = render_html(analysis)
    i = next(k for k, h in enumerate(analysis["hypotheses"]) if h["id"] == "H5")
    analysis["hypotheses"][i]["latent_interaction"]["simple_slopes"][2]["estimate"] += 0.01
    problems = check_report(html, analysis)
    assert any(f"/hypotheses/{i}/latent_interaction/simple_slopes/2/estimate" in p
               for p in problems)


def test_no_latent_table_without_moderation_hypotheses():
    a = fixture_analysis()
    a["hypotheses"] = [h for h in a["hypotheses"] if h["method"] != "moderation"]
    for h in a["hypotheses"]:
        h["latent_interaction"] = None
    html = render_html(a)
    assert "Latent-interaction alternative" not in html
    assert check_report(html, a) == []
