"""The Word export: the report's main-body tables, APA layout, the same numbers as the HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.report.fixture_analysis import fixture_analysis


def _html_rows(html: str, cls: str) -> tuple[str, list[list[str]]]:
    """Title and cell texts of the HTML table with class ``cls``, read with plain regexes
    (independent of the exporter's parser)."""
    m = re.search(rf'<table class="[^"]*\b{cls}\b[^"]*">(.*?)</table>', html, re.S)
    assert m is not None
    body = m.group(1)
    title = re.search(r'<span class="tabtitle">(.*?)</span>', body).group(1)
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        cells = [re.sub(r"<(br|div|p|code)\b[^>]*>", " ", c) for c in cells]
        cells = [" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in cells]
        rows.append([c.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                     for c in cells])
    return title, rows


def _docx_table(path: Path, title: str) -> list[list[str]]:
    import docx

    doc = docx.Document(str(path))
    body = doc.element.body
    last_title = None
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")).strip()
            if text:
                last_title = text
        elif tag == "tbl" and last_title == title:
            table = next(t for t in doc.tables if t._tbl is el)
            return [[" ".join(c.text.split()) for c in r.cells] for r in table.rows]
    raise AssertionError(f"no table titled {title!r} in the Word file")


def test_docx_holds_the_verdict_table_with_the_html_numbers(tmp_path: Path,
                                                             fixture_html: str) -> None:
    from analysis.report.docx import main_body_tables, write_docx

    out = tmp_path / "tables.docx"
    n = write_docx(fixture_html, out, title="Results")
    main = fixture_html.split('<div id="appendix"')[0]
    assert n == len(main_body_tables(fixture_html)) == main.count('class="tabnum"') >= 8
    assert 'class="tabnum">Table A1<' in fixture_html  # the appendix is not in the Word file
    title, html_rows = _html_rows(fixture_html, "verdicts")
    rows = _docx_table(out, title)
    assert rows == html_rows
    assert any(re.fullmatch(r"[<\u2212]?\s?\.\d{3}|< \.001", c) for r in rows for c in r)


def test_docx_is_apa_formatted(tmp_path: Path, fixture_html: str) -> None:
    import docx

    from analysis.report.docx import write_docx

    out = tmp_path / "tables.docx"
    write_docx(fixture_html, out)
    doc = docx.Document(str(out))
    paras = [p for p in doc.paragraphs if p.text.strip()]
    assert paras[0].text == "Table 1" and paras[0].runs[0].bold
    assert paras[1].runs[0].italic  # the title, in italics on its own line
    xml = doc.tables[0]._tbl.xml
    assert "w:tcBorders" in xml and "w:left" not in xml  # horizontal rules only
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_cli_writes_the_docx_and_refuses_a_wrong_suffix(tmp_path: Path, small_data: Any,
                                                        capsys) -> None:
    import docx

    from analysis.cli import main

    data = tmp_path / "data.csv"
    small_data.head(40).to_csv(data, index=False)
    src = tmp_path / "analysis.json"
    src.write_text(json.dumps(_analysis_of(data)), encoding="utf-8")
    out, word = tmp_path / "r.html", tmp_path / "r.docx"
    assert main(["report", str(data), "--json", str(src), "--out", str(out),
                 "--docx", str(word)]) == 0
    body = out.read_text("utf-8").split('<div id="appendix"')[0]
    assert len(docx.Document(str(word)).tables) == body.count('class="tabnum"')
    assert main(["report", str(data), "--json", str(src), "--out", str(out),
                 "--docx", str(tmp_path / "r.doc")]) == 2
    assert "--docx" in capsys.readouterr().err


def _analysis_of(path: Path) -> dict:
    """The fixture analysis, recorded as an analysis of the data file at ``path``
    (``report --json`` refuses DATA other than the analysed)."""
    from analysis.study.datafiles import read_data
    from analysis.study.pipeline import data_sha256

    doc = fixture_analysis()
    doc["provenance"]["data_sha256"] = data_sha256(read_data(path))
    return doc
