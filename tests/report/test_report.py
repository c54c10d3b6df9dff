"""The study report: sections, numbers equal to the analysis JSON, determinism, bad input."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from analysis.io import jsonable
from analysis.report import render_html, section_ids
from analysis.report.check import check_report, parse_report
from analysis.report.fmt import fmt
from analysis.report.html import resolve
from tests.report.conftest import BOOTSTRAP, SEED, build_light
from tests.report.fixture_analysis import fixture_analysis


def _section_text(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, f"section {sid} missing"
    return unescape(m.group(0))


# ---------------------------------------------------------------- hand-built analysis
def test_fixture_report_has_every_section_and_checks_clean(fixture_html: str) -> None:
    parsed = parse_report(fixture_html)
    assert parsed.sections[: len(section_ids())] == section_ids()
    assert check_report(fixture_html, fixture_analysis()) == []


def test_numbers_in_the_html_equal_the_json(fixture_html: str, fixture_dict: dict) -> None:
    parsed = parse_report(fixture_html)
    assert len(parsed.numbers) > 150
    for key, kind, raw, text in parsed.numbers:
        value = resolve(fixture_dict, key)
        assert json.loads(raw) == value, key
        assert text.strip() == fmt(value, kind), key
    # spot checks with independently written expectations
    hyp = _section_text(fixture_html, "hypotheses")
    assert "[\u22120.200, \u22120.009]" in re.sub(r"<[^>]+>", "", hyp)  # H2's CI
    assert "< .001" in hyp and ".137" in hyp  # H1's p, H2's Holm p
    fit = re.sub(r"<[^>]+>", "", _section_text(fixture_html, "fit"))
    assert "512.35" in fit and ".957" in fit and "[.040, .051]" in fit


def test_checker_detects_a_changed_number(fixture_html: str, fixture_dict: dict) -> None:
    tampered = fixture_dict
    tampered["hypotheses"][0]["estimate"] = 0.5
    problems = check_report(fixture_html, tampered)
    assert any("/hypotheses/0/estimate" in p for p in problems)
    wrong_text = fixture_html.replace(">.29***<", ">.39***<")  # diagram is free text; tables are not
    edited = re.sub(r'(data-key="/structural/r2/learning"[^>]*>)[^<]*', r"\g<1>.99", wrong_text)
    assert any("/structural/r2/learning" in p for p in check_report(edited, fixture_analysis()))


def test_checker_detects_dropped_numbers_and_sections(fixture_dict: dict) -> None:
    html = render_html(fixture_dict)
    fixture_dict["extra_block"] = {"value": 1.5}
    html_without = html  # rendered before the key existed
    problems = check_report(html_without, fixture_dict)
    assert any("/extra_block/value" in p for p in problems)
    cut = re.sub(r'<section id="invariance".*?</section>', "", html, flags=re.S)
    assert any("invariance" in p for p in check_report(cut, fixture_analysis()))


def test_unknown_keys_go_to_further_results(fixture_dict: dict) -> None:
    fixture_dict["power"] = {"h1": {"power": 0.81, "n": 300}}
    html = render_html(fixture_dict)
    assert 'id="other"' in html
    assert check_report(html, fixture_dict) == []


def test_render_is_byte_identical(fixture_dict: dict) -> None:
    a = render_html(fixture_dict, extras={"build": {"seed": "1"}})
    b = render_html(fixture_analysis(), extras={"build": {"seed": "1"}})
    assert a.encode() == b.encode()


def test_figures_are_embedded_deterministic_svg(fixture_html: str) -> None:
    # self-contained: nothing is loaded from elsewhere
    assert not re.search(r'(src|href)="(https?:|//|file:)', fixture_html)
    assert "<link" not in fixture_html and "<img" not in fixture_html
    svgs = re.findall(r"<svg.*?</svg>", fixture_html, re.S)
    assert len(svgs) >= 4  # path diagram, forest, simple slopes, Johnson-Neyman
    ids = re.findall(r'\bid="([^"]+)"', fixture_html)
    assert len(ids) == len(set(ids)), "element ids must be unique in the page"
    assert "<dc:date>" not in fixture_html


def test_path_diagram_shows_paths_and_estimates(fixture_html: str) -> None:
    svg = re.search(r'<svg[^>]*class="pathdiagram".*?</svg>', fixture_html, re.S).group(0)
    words = " ".join(re.findall(r">([^<>]+)</text>", svg))
    for name in ("Joint dependence (sum)", "Dependence asymmetry (absolute)",
                 "Relationship learning", "Value creation"):
        assert name in words
    assert "jd sum" not in words and "asym abs" not in words  # no raw keys
    assert ".29***" in words and "\u2212.10*" in words
    assert 'stroke-dasharray' in svg  # the non-significant paths
    assert "<!--" not in svg and "graphviz version" not in svg.lower()
    # every coefficient sits on its own path: its box has exactly one path in and one out
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    edges = [t.replace("&#45;&gt;", "->").split("->") for t in titles if "&#45;&gt;" in t]
    labels = {d for s, d in edges if d.startswith("e")}
    assert len(labels) == 5
    for lab in labels:
        assert sum(d == lab for _, d in edges) == 1 and sum(s == lab for s, _ in edges) == 1


def test_graphviz_layout_is_deterministic() -> None:
    from analysis.report.diagram import Edge, dot_source, graphviz_svg

    edges = [Edge("x", "m", "H1: .30***", True), Edge("m", "y", ".05", False),
             Edge("x", "y", "", None)]
    src = dot_source(["x", "m", "y"], edges, latent=["m"], r2={"y": 0.25},
                     labels={"x": "Joint dependence (sum)"})
    one, two = graphviz_svg(src, name="a"), graphviz_svg(src, name="a")
    assert one == two
    assert "ellipse" in one  # the latent variable
    assert "R\u00b2 = .25" in one
    assert 'id="a-graph0"' in one and 'id="graph0"' not in one


def test_moderation_plots_from_simple_slopes(fixture_html: str) -> None:
    sec = _section_text(fixture_html, "mediation-moderation")
    assert "H5 (regression on composite scores" in sec and "): simple slopes of" in sec
    assert "Johnson\u2013Neyman plot" in sec
    assert sec.count("<svg") == 1  # slopes and the region of significance side by side
    sec = _section_text(fixture_html, "appendix-mediation-moderation")
    assert "Simple slopes for H5" in sec and "Johnson-Neyman plot for H5" in sec


# ------------------------------------------------------------------ degenerate input
@pytest.mark.parametrize("drop", ["measurement", "hypotheses", "structural", "dyadic",
                                  "correlations", "provenance", "missing", "exclusions"])
def test_missing_parts_are_said_plainly(fixture_dict: dict, drop: str) -> None:
    fixture_dict.pop(drop)
    html = render_html(fixture_dict)
    assert parse_report(html).sections == section_ids()
    assert "Not available:" in html
    assert check_report(html, fixture_dict) == []


def test_unavailable_and_failed_models(fixture_dict: dict) -> None:
    fixture_dict["measurement"] = {"available": False, "reason": "The CFA did not converge."}
    fixture_dict["dyadic"] = {"available": False, "reason": "Only 3 complete dyads."}
    html = render_html(fixture_dict)
    assert "The CFA did not converge." in _section_text(html, "measurement")
    assert "Only 3 complete dyads." in _section_text(html, "appendix-dyadic")
    assert check_report(html, fixture_dict) == []
    fixture_dict["measurement"] = {"converged": False, "fit": {"chisq": None, "df": 10}}
    html = render_html(fixture_dict)
    assert "did not converge" in _section_text(html, "measurement")


def test_malformed_parts_do_not_sink_the_report() -> None:
    html = render_html({"hypotheses": "oops", "measurement": [1, 2], "correlations": 3,
                        "descriptives": {"a": {"mean": None}}, "n": 5})
    assert parse_report(html).sections == section_ids()
    assert "Very few responses" in html


def test_empty_analysis_still_renders() -> None:
    html = render_html({})
    assert parse_report(html).sections == section_ids()
    assert html.count("Not available:") >= 10


def test_very_few_responses_build_a_report(small_data: Any, instrument: Any) -> None:
    html, analysis = build_light(small_data.head(6), instrument, seed=1, bootstrap=5,
                                 minimal=True)
    assert parse_report(html).sections == section_ids()
    assert "Not available:" in html or "failed" in html
    assert check_report(html, analysis) == []


def test_missing_scale_builds_a_report(small_data: Any, instrument: Any) -> None:
    cols = [c for c in small_data.columns if c.startswith("trust_")]
    html, analysis = build_light(small_data.drop(columns=cols), instrument, seed=1,
                                 bootstrap=5, minimal=True)
    assert parse_report(html).sections == section_ids()
    assert check_report(html, analysis) == []
    text = re.sub(r"<[^>]+>", " ", html)
    assert "trust" in " ".join(analysis.get("warnings", [])) + text


# --------------------------------------------------------------------- real pipeline
def test_real_report_checks_clean(real_build: tuple[str, dict]) -> None:
    html, analysis = real_build
    assert check_report(html, analysis) == []
    assert len(parse_report(html).numbers) > 200
    hyp = _section_text(html, "hypotheses")
    ids = [h["id"] for h in analysis["hypotheses"]]
    assert ids and all(f"<th>{i}</th>" in hyp for i in ids)
    prov = _section_text(html, "provenance")
    assert analysis["provenance"]["data_sha256"] in prov
    assert str(SEED) in prov


def test_real_report_is_byte_identical_on_rebuild(small_data: Any, instrument: Any,
                                                  real_build: tuple[str, dict]) -> None:
    from analysis.report import build_report

    again, analysis = build_report(small_data.copy(), instrument=instrument, seed=SEED,
                                   bootstrap=BOOTSTRAP)
    assert again.encode("utf-8") == real_build[0].encode("utf-8")
    assert analysis == real_build[1]


def test_json_ready_is_strict_json() -> None:
    import numpy as np
    import pandas as pd

    value = jsonable({"a": np.float64("nan"), "b": np.int64(3), 1: (np.inf, 2.5),
                      "s": pd.Series([1.0, np.nan], index=["x", "y"]), "na": pd.NA})
    assert value == {"a": None, "b": 3, "1": [None, 2.5], "s": {"x": 1.0, "y": None},
                     "na": None}
    json.dumps(value, allow_nan=False)
    # a DataFrame as row records (default) or as pandas' {column: {index: value}}
    frame = pd.DataFrame({"x": [1.0, np.nan], "k": ["a", "b"]}, index=[10, 11])
    assert jsonable(frame) == [{"x": 1.0, "k": "a"}, {"x": None, "k": "b"}]
    assert jsonable(frame, frames="columns") == {"x": {"10": 1.0, "11": None},
                                                 "k": {"10": "a", "11": "b"}}


# --------------------------------------------------------------------------- CLI
def test_cli_from_json_and_pdf(tmp_path: Path, small_data: Any) -> None:
    from analysis.cli import main

    data = tmp_path / "data.csv"
    small_data.to_csv(data, index=False)
    src = tmp_path / "analysis.json"
    src.write_text(json.dumps(_analysis_of(data)), encoding="utf-8")
    out = tmp_path / "r.html"
    saved = tmp_path / "saved.json"
    args = ["report", str(data), "--json", str(src), "--out", str(out), "--seed", "3",
            "--save-json", str(saved)]
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        pdf = None
    else:
        pdf = tmp_path / "r.pdf"
        args += ["--pdf", str(pdf)]
    assert main(args) == 0
    html = out.read_text(encoding="utf-8")
    assert check_report(html, json.loads(saved.read_text(encoding="utf-8"))) == []
    assert "Item distributions" in html and 'aria-label="fig-items"' in html
    if pdf is not None:
        assert pdf.read_bytes()[:5] == b"%PDF-"


def test_cli_bad_json_is_a_clear_error(tmp_path: Path, small_data: Any, capsys) -> None:
    from analysis.cli import main

    data = tmp_path / "data.csv"
    small_data.head(3).to_csv(data, index=False)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main(["report", str(data), "--json", str(bad), "--out", str(tmp_path / "x.html")]) == 2
    assert "--json=" in capsys.readouterr().err
    assert main(["report", str(data), "--json", str(tmp_path / "none.json"),
                 "--out", str(tmp_path / "x.html")]) == 2


def _analysis_of(path: Path) -> dict:
    """The fixture analysis, recorded as an analysis of the data file at ``path``
    (``report --json`` refuses DATA other than the analysed)."""
    from analysis.study.datafiles import read_data
    from analysis.study.pipeline import data_sha256

    doc = fixture_analysis()
    doc["provenance"]["data_sha256"] = data_sha256(read_data(path))
    return doc
