"""The online appendix names constructs by the study's labels, as the main body does
(its generic tables had printed the ids: "Info sharing", "Dep own")."""

from __future__ import annotations

import re
from html import unescape

from analysis.report import render_html
from analysis.report.labels import variable_labels
from instruments.instrument.loader import load_instrument
from tests.report.fixture_analysis import fixture_analysis


def test_appendix_tables_use_the_construct_labels() -> None:
    a = fixture_analysis()
    a["missing"] = {"item_missing_share_by_scale": {"info_sharing": 0.034, "dep_own": 0.026},
                    "not_asked_share_by_scale": {"sustainability_innovation": 0.53}}
    html = render_html(a, extras={"labels": variable_labels(load_instrument(), "en")},
                       parallel=False)
    start = html.index('id="appendix-missing"') if 'id="appendix-missing"' in html else 0
    part = unescape(re.sub(r"<[^>]+>", " ", html[start:]))
    assert "Relationship learning: information sharing" in part
    assert "Our firm's dependence on the partner" in part
    assert "Sustainability learning and innovation from the alliance" in part
    assert " Info sharing " not in part and " Dep own " not in part


def test_statistical_key_names_are_written_as_papers_write_them() -> None:
    from analysis.report.html import _label

    assert _label("cfi_robust") == "CFI robust"
    assert _label("chisq_scaled") == "\u03c7\u00b2 scaled"
    assert _label("cfa_marker") == "CFA marker" and _label("ulmc") == "ULMC"
    assert _label("aic") == "AIC" and _label("mean_method_share") == "Mean method share"


def test_lists_and_cells_of_construct_ids_show_their_labels() -> None:
    a = fixture_analysis()
    a["measurement"]["method_variance"] = {
        "ulmc": {"estimable": True, "scales": ["trust", "info_sharing"],
                 "loadings": [{"factor": "trust", "item": "trust_1", "method_loading": 0.1}]}}
    html = unescape(render_html(a, extras={"labels": variable_labels(load_instrument(), "en")},
                                parallel=False))
    assert "<li>Trust in the partner</li>" in html
    assert "<li>Relationship learning: information sharing</li>" in html
