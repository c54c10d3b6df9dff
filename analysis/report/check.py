"""Check a rendered report against the analysis JSON it claims to show.

Used by ``scripts/check_report.py`` (CI) and the tests:

* every section of :data:`analysis.report.render.SECTIONS` is present;
* every number tagged with ``data-key`` equals the JSON value at that pointer
  (the raw value exactly, the text as ``fmt(value, kind)``);
* every number of the JSON appears in the report (nothing silently dropped);
* the embedded JSON equals the given JSON.
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from .fmt import fmt, is_number
from .html import join, resolve
from .render import SECTIONS


@dataclass
class ParsedReport:
    """What the checker reads from the HTML."""

    sections: list[str] = field(default_factory=list)
    numbers: list[tuple[str, str, str, str]] = field(default_factory=list)  # key, kind, raw, text
    embedded_json: str | None = None
    svg_count: int = 0


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = ParsedReport()
        self._stack: list[tuple[str, dict[str, str], list[str]]] = []
        self._json: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-section" in a:
            self.out.sections.append(a["data-section"])
        if tag == "svg":
            self.out.svg_count += 1
        if tag == "script" and a.get("id") == "analysis-json":
            self._json = []
        if "data-key" in a:
            self._stack.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json is not None:
            self.out.embedded_json = "".join(self._json)
            self._json = None
        if self._stack and self._stack[-1][0] == tag:
            _, a, text = self._stack.pop()
            self.out.numbers.append((a["data-key"], a.get("data-fmt", "num"),
                                     a.get("data-value", ""), "".join(text)))

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        if self._stack:
            self._stack[-1][2].append(data)


def parse_report(text: str) -> ParsedReport:
    """Parse the report HTML."""
    p = _Parser()
    p.feed(text)
    p.close()
    return p.out


def numeric_leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """``(pointer, value)`` for every number (or null) in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from numeric_leaves(v, join(path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numeric_leaves(v, join(path, i))
    elif is_number(value):
        yield path, value


def _mirrored(key: str, value: Any, shown: set[str], analysis: dict[str, Any]) -> bool:
    """True if ``key`` is the upper triangle or unit diagonal of a symmetric matrix shown once."""
    parts = key.split("/")
    if len(parts) < 3:
        return False
    a, b = parts[-2], parts[-1]
    if a == b:
        return value == 1.0
    twin = "/".join(parts[:-2] + [b, a])
    if twin not in shown:
        return False
    try:
        return resolve(analysis, twin) == value
    except (KeyError, IndexError, ValueError):
        return False


def check_report(text: str, analysis: dict[str, Any]) -> list[str]:
    """All problems found (an empty list means the report is consistent with ``analysis``)."""
    problems: list[str] = []
    rep = parse_report(text)
    want = [s for s, _ in SECTIONS]
    missing = [s for s in want if s not in rep.sections]
    if missing:
        problems.append(f"Sections missing: {', '.join(missing)}.")
    order = [s for s in rep.sections if s in want]
    if order != [s for s in want if s in order]:
        problems.append("Sections are out of order.")
    shown: set[str] = set()
    for key, kind, raw, shown_text in rep.numbers:
        shown.add(key)
        try:
            expected = resolve(analysis, key)
        except (KeyError, IndexError, ValueError):
            problems.append(f"{key}: shown in the report but absent from the JSON.")
            continue
        try:
            raw_value = json.loads(_html.unescape(raw))
        except ValueError:
            problems.append(f"{key}: unreadable data-value {raw!r}.")
            continue
        if raw_value != expected or type(raw_value) is not type(expected) and not (
                is_number(raw_value) and is_number(expected)):
            problems.append(f"{key}: report has {raw_value!r}, JSON has {expected!r}.")
        if shown_text.strip() != fmt(expected, kind):
            problems.append(f"{key}: shown as {shown_text.strip()!r}, expected "
                            f"{fmt(expected, kind)!r}.")
    for key, value in numeric_leaves(analysis):
        if key not in shown and not _mirrored(key, value, shown, analysis):
            problems.append(f"{key}: a number of the JSON is not shown in the report.")
    if rep.embedded_json is None:
        problems.append("The analysis JSON is not embedded in the report.")
    elif json.loads(rep.embedded_json) != analysis:
        problems.append("The embedded analysis JSON differs from the given JSON.")
    return problems
