"""The report's tables as an APA-formatted Word document (python-docx).

The tables are read back from the rendered HTML, so the Word file shows exactly the
numbers of the report (the HTML is where numbers are formatted, and the report checker
ties each of them to its place in the analysis JSON).  APA 7 layout: the table number in
bold, the title in italics on the next line, horizontal rules only (above and below the
column heads and below the last row), the note under the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO


@dataclass
class HtmlTable:
    """One table of the report: number, title, header row, body rows, note, CSS classes."""

    number: str = ""
    title: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    classes: str = ""


class _Tables(HTMLParser):
    """Collect the ``<table>`` elements of the report's main body in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[HtmlTable] = []
        self.cur: HtmlTable | None = None
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.part = ""  # "number", "title", "note" or ""
        self.in_head = False
        self.note_next = False
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        if self.stopped:
            return
        if self.cell is not None and tag in ("br", "div", "p", "code"):
            self.cell.append(" ")  # keep words of separate elements apart
        if tag == "section" and a.get("data-part") == "appendix":
            self.stopped = True  # the online appendix is not part of the manuscript
        elif tag == "table":
            self.cur = HtmlTable(classes=cls)
            self.note_next = False
        elif self.cur is None:
            if tag == "p" and "tabnote" in cls and self.note_next and self.tables:
                self.part = "note"
        elif tag == "span" and "tabnum" in cls:
            self.part = "number"
        elif tag == "span" and "tabtitle" in cls:
            self.part = "title"
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if tag == "span" and self.part in ("number", "title"):
            self.part = ""
        elif tag == "p" and self.part == "note":
            self.part = ""
            self.note_next = False
        elif self.cur is None:
            if tag == "div":
                self.note_next = False
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.in_head:
                self.cur.header = self.row
            else:
                self.cur.rows.append(self.row)
            self.row = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "table":
            self.tables.append(self.cur)
            self.cur = None
            self.note_next = True

    def handle_data(self, data: str) -> None:
        if self.stopped:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.part == "number" and self.cur is not None:
            self.cur.number += data
        elif self.part == "title" and self.cur is not None:
            self.cur.title += data
        elif self.part == "note" and self.tables:
            self.tables[-1].note += data


def main_body_tables(html: str) -> list[HtmlTable]:
    """The numbered tables of the report's main body (before the online appendix)."""
    parser = _Tables()
    parser.feed(html)
    parser.close()
    for t in parser.tables:
        t.note = " ".join(t.note.split())
    return [t for t in parser.tables if t.number.strip()]


def _rule(cell: Any, edges: tuple[str, ...]) -> None:
    """Draw single horizontal rules on ``edges`` ("top", "bottom") of a table cell."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in edges:
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tc_pr.append(borders)


def write_docx(html: str, path: str | Path | BinaryIO, *, title: str | None = None) -> int:
    """Write every main-body table of ``html`` to a Word document; return their number.

    Parameters
    ----------
    html : str
        The rendered report (:func:`analysis.report.render.render_html`).
    path : str, Path or binary file object
        The ``.docx`` file to write (or a stream, e.g. ``io.BytesIO`` for a download).
    title : str, optional
        A heading above the tables.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    tables = main_body_tables(html)
    doc = Document()
    # A fixed creation date and author: the same report gives the same document text.
    doc.core_properties.author = "alliance-survey"
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    if title:
        doc.add_heading(title, level=1)
    for k, t in enumerate(tables):
        if k:
            doc.add_paragraph()
        wide = len(t.header) > 7
        if wide and doc.sections[-1].orientation != WD_ORIENT.LANDSCAPE:
            sec = doc.sections[-1]
            sec.orientation = WD_ORIENT.LANDSCAPE
            sec.page_width, sec.page_height = sec.page_height, sec.page_width
        p = doc.add_paragraph()
        p.add_run(t.number.strip()).bold = True
        p = doc.add_paragraph()
        p.add_run(t.title.strip()).italic = True
        ncol = max([len(t.header)] + [len(r) for r in t.rows]) or 1
        grid = doc.add_table(rows=1 + len(t.rows), cols=ncol)
        size = Pt(9 if wide else 10)
        for i, row in enumerate([t.header, *t.rows]):
            for j in range(ncol):
                cell = grid.rows[i].cells[j]
                cell.text = row[j] if j < len(row) else ""
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.font.size = size
                if i == 0:
                    _rule(cell, ("top", "bottom"))
                elif i == len(t.rows):
                    _rule(cell, ("bottom",))
        if t.note:
            p = doc.add_paragraph()
            p.add_run("Note.").italic = True
            p.add_run(" " + t.note.removeprefix("Note.").strip())
    doc.save(path if hasattr(path, "write") else str(path))
    return len(tables)
