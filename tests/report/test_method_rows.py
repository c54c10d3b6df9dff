"""The common-method table: a check without a usable solution says why in its own row
(it had left no trace in the table), and an ULMC whose method factor took a trait's place
shows no chi-square difference or method share."""

from __future__ import annotations

import re
from html import unescape

from analysis.report import render_html
from tests.report.fixture_analysis import fixture_analysis


def _method_table(html: str) -> str:
    start = html.index("Common-method variance checks")
    return unescape(re.sub(r"<[^>]+>", " ", html[start:html.index("</table>", start)]))


def test_absorbed_ulmc_is_not_interpreted() -> None:
    a = fixture_analysis()
    fit = [{"model": "traits", "chisq": 360.2, "df": 335},
           {"model": "traits_method", "chisq": 311.0, "df": 307, "delta_chisq": 49.2,
            "delta_df": 28, "delta_pvalue": 0.008, "delta_cfi": 0.005}]
    a["measurement"]["method_variance"] = {"ulmc": {
        "estimable": False, "scales": ["trust", "value_creation"], "fit": fit,
        "reason": "Not interpretable: the items of value_creation load more on the method "
                  "factor (mean |loading| 0.73) than on value_creation (0.31)"}}
    table = _method_table(render_html(a, parallel=False))
    assert "Not interpretable: the items of value_creation" in table
    assert "no conclusion (no usable solution)" in table
    assert "49.2" not in table and "method share" not in table


def test_cfa_marker_without_a_proper_solution_has_a_row() -> None:
    a = fixture_analysis()
    a["measurement"]["method_variance"] = {"cfa_marker": {
        "estimable": False, "scales": ["trust"],
        "reason": "Improper solution: Method-U: Heywood case"}}
    table = _method_table(render_html(a, parallel=False))
    assert "CFA marker technique" in table and "Heywood case" in table
