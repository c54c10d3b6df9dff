"""Check a rendered report against the analysis JSON it claims to show.

Used by ``scripts/check_report.py`` (CI) and the tests:

* every section of :data:`analysis.report.render.SECTIONS` is present;
* every number tagged with ``data-key`` equals the JSON value at that pointer
  (the raw value exactly, the text as ``fmt(value, kind)``);
* every number of the JSON appears in the report (nothing silently dropped);
* the embedded JSON equals the given JSON;
* the text keeps the report's typography (:func:`prose_problems`), no note of a table
  says the same thing twice (:func:`repeated_in_notes`) and a figure and its caption give
  a number with the same precision (:func:`figure_precision`).
"""

from __future__ import annotations

import html as _html
import json
import re
import unicodedata
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
    problems += prose_problems(text) + repeated_in_notes(text) + figure_precision(text)
    return problems


# ------------------------------------------------------------------- the text itself
class _TextParser(HTMLParser):
    """Text of the report as the reader sees it: table notes, figures (the SVG's own text,
    tick labels apart, and the caption) and the prose outside code and scripts."""

    SKIP = {"script", "style", "pre", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.prose: list[str] = []
        self.notes: list[str] = []
        self.figures: list[tuple[list[str], str]] = []  # (SVG labels, caption)
        self._skip = 0
        self._note: list[str] | None = None
        self._figure: tuple[list[str], list[str]] | None = None
        self._caption = False
        self._groups: list[str] = []  # ids of the open SVG groups

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "p" and "tabnote" in a.get("class", "").split():
            self._note = []
        elif tag == "figure":
            self._figure = ([], [])
        elif tag == "figcaption":
            self._caption = True
        elif tag == "g":
            self._groups.append(a.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "p" and self._note is not None:
            self.notes.append("".join(self._note))
            self._note = None
        elif tag == "figcaption":
            self._caption = False
        elif tag == "figure" and self._figure is not None:
            self.figures.append((self._figure[0], "".join(self._figure[1])))
            self._figure = None
        elif tag == "g" and self._groups:
            self._groups.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.prose.append(data)
        if self._note is not None:
            self._note.append(data)
        if self._figure is not None:
            if self._caption:
                self._figure[1].append(data)
            elif data.strip() and not any(re.search(r"[xy]tick_\d+$", g)
                                           for g in self._groups):
                self._figure[0].append(data)  # a label of the figure, not a tick


def _text_parts(text: str) -> _TextParser:
    p = _TextParser()
    p.feed(text)
    p.close()
    return p


def _around(text: str, at: int, width: int = 40) -> str:
    return " ".join(text[max(0, at - width):at + width].split())


def prose_problems(text: str) -> list[str]:
    """The report's typography: no ASCII ``<=`` / ``>=`` (\u2264, \u2265) and one way of
    writing a percentage, APA's ``14.2%`` (no space before the sign)."""
    body = "".join(_text_parts(text).prose)
    out = []
    for m in re.finditer(r"<=|>=", body):
        out.append(f"ASCII {m.group(0)!r} in the text (write \u2264 or \u2265): "
                   f"...{_around(body, m.start())}...")
    for m in re.finditer(r"\d[ \u00a0\u202f]+%", body):
        out.append(f"A percentage with a space before its sign (write 14.2%): "
                   f"...{_around(body, m.start())}...")
    return out


#: Words that say nothing on their own (left out when sentences are compared).
_FILLER = frozenset(
    "a an the of in on at to for by with and or as is are be was were it its this that "
    "these those from than which who when where not no so".split())
#: Two sentences of one note say the same thing when they share a run of this many
#: content words and most (:data:`REPEAT_SHARE`) of the shorter one's content words.
#: Naming the same constructs in two sentences shares a run but not most of the words.
REPEAT_RUN = 4
REPEAT_SHARE = 0.6


def _words(sentence: str) -> list[str]:
    s = unicodedata.normalize("NFKC", sentence).lower()
    s = re.sub(r"[\u2010-\u2015-]", " ", s)  # Shapiro-Wilk and Shapiro\u2013Wilk alike
    s = re.sub(r"\([^()]*\d{4}[^()]*\)", " ", s)  # citations
    return [w for w in re.findall(r"[^\W_]+", s) if w not in _FILLER]


def _same_statement(a: list[str], b: list[str]) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    runs = {tuple(a[k:k + REPEAT_RUN]) for k in range(len(a) - REPEAT_RUN + 1)}
    if not any(tuple(b[k:k + REPEAT_RUN]) in runs for k in range(len(b) - REPEAT_RUN + 1)):
        return False
    return len(set(a) & set(b)) >= REPEAT_SHARE * min(len(set(a)), len(set(b)))


def repeated_in_notes(text: str) -> list[str]:
    """Table notes that say one thing twice: two sentences or clauses (split at ``.`` and
    ``;``) of one note with the same words, or sharing a run of :data:`REPEAT_RUN`
    content words and most of their words (\u201capplicable only when Shapiro-Wilk
    rejects normality\u201d beside \u201ctested only where Shapiro\u2013Wilk rejects
    normality\u201d)."""
    out = []
    for note in _text_parts(text).notes:
        parts = [p for p in re.split(r"(?<=[.;])\s+", note) if p.strip()]
        words = [_words(p) for p in parts]
        pairs = [(j, i) for i in range(len(parts)) for j in range(i)
                 if _same_statement(words[j], words[i])]
        if pairs:
            j, i = pairs[0]
            out.append(f"A table note says the same thing twice: "
                       f"{' '.join(parts[j].split())!r} and {' '.join(parts[i].split())!r}.")
    return out


_NUMBER = re.compile(r"(?<![\w.])[\u2212-]?\d*\.\d+|(?<![\w.])[\u2212-]?\d+")


_P_THRESHOLD = re.compile(r"\bp\s*[<>\u2264\u2265]\s*[\u2212-]?\d*\.\d+")


def _decimals(token: str) -> int:
    return len(token.split(".")[1]) if "." in token else 0


def _value(token: str) -> float:
    return float(token.replace("\u2212", "-"))


def figure_precision(text: str) -> list[str]:
    """Numbers that a figure and its caption both give, at different precision (8.34 in
    the plot, 8.342 in the caption): one is the other rounded."""
    out = []
    for labels, caption in _text_parts(text).figures:
        shown = {t for lab in labels for t in _NUMBER.findall(lab) if _decimals(t) >= 1}
        # a significance legend ("*** p < .001") gives thresholds, not a value the figure
        # rounds: a path of beta .004 drawn as ".00" is not the caption's ".001"
        legend_free = _P_THRESHOLD.sub(" ", caption)
        told = {t for t in _NUMBER.findall(legend_free) if _decimals(t) >= 1}
        for a in sorted(shown):
            for b in sorted(told):
                da, db = _decimals(a), _decimals(b)
                if da == db:
                    continue
                fine, coarse = (a, b) if da > db else (b, a)
                if round(_value(fine), min(da, db)) == _value(coarse):
                    out.append(f"A figure shows {a} where its caption says {b}: "
                               f"{' '.join(caption.split())[:80]!r}...")
    return out
