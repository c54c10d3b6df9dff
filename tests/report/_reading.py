"""How the methods-review tests read a report: its text, its results narrative, a verdict."""

from __future__ import annotations

import re
from html import unescape


def report_text(html: str) -> str:
    """The report's words without markup or figures, whitespace collapsed."""
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def results_text(html: str) -> str:
    """The generated results narrative (the main body's first section)."""
    m = re.search(r'<section id="results".*?</section>', html, re.S)
    assert m, "no results section"
    return report_text(m.group(0))


def verdict_sentence(text: str, hid: str) -> str:
    """The narrative's sentence on hypothesis ``hid``, up to its verdict."""
    m = re.search(rf"{hid} predicted that .*?; (supported|inconclusive|evidence of no effect|"
                  r"not supported|opposite sign|not tested)\.", text)
    assert m, f"no sentence for {hid}"
    return m.group(0)
