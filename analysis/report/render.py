"""Render the study report (HTML) from the analysis JSON of :func:`analysis.study.pipeline.analyze_study`.

Every section reads its part of the analysis dict and says plainly when that part
is absent or empty ("Not available: ...").  Numbers are formatted here and only
here (:mod:`analysis.report.fmt`); each one carries its JSON pointer so that
``scripts/check_report.py`` can compare the HTML with the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .html import esc, na, pointer
from .sections import BUILDERS, closing
from .sections.common import ReportContext, name_text

#: Section ids and titles, in report order.  The checker requires all of them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("sample", "Sample and response rates"),
    ("missing", "Missing data"),
    ("exclusions", "Data-quality exclusions"),
    ("descriptives", "Descriptive statistics and correlations"),
    ("item-distributions", "Item distributions"),
    ("measurement", "Measurement model"),
    ("fit", "Model fit and estimation"),
    ("invariance", "Measurement invariance"),
    ("method-variance", "Common-method variance"),
    ("structural", "Structural model"),
    ("pls", "PLS-SEM"),
    ("hypotheses", "Hypothesis tests"),
    ("mediation-moderation", "Mediation and moderation"),
    ("dyadic", "Dyadic agreement"),
    ("warnings", "Warnings and diagnostics"),
    ("provenance", "Provenance"),
)


def css() -> str:
    """The report's stylesheet (package data)."""
    return resources.files("analysis.report").joinpath("report.css").read_text(encoding="utf-8")


#: Top-level keys of the analysis that the sections above show; others go to "Further results".
CONSUMED = {"n", "n_raw", "fieldwork", "response_rates", "sample", "missing", "exclusions",
            "descriptives", "correlations", "measurement", "invariance", "cmv",
            "method_variance", "common_method", "structural", "hypotheses", "mediation",
            "moderation", "dyadic", "pls", "warnings", "provenance", "estimator", "reliability",
            "multiple_testing", "decision", "quadratic", "response_surface"}


def render_html(analysis: Mapping[str, Any], *, extras: Mapping[str, Any] | None = None,
                title: str | None = None, embed_json: bool = True) -> str:
    """The full report as one self-contained HTML string.

    Parameters
    ----------
    analysis : mapping
        JSON-ready analysis (the dict of :func:`analysis.study.pipeline.analyze_study`);
        values must already be JSON types (``None`` for missing numbers).
    extras : mapping, optional
        ``item_distributions`` (``{scale: {item: [counts]}}``), ``item_levels``
        and ``build`` (report-build provenance, shown as text).
    title : str, optional
        Report title.
    embed_json : bool
        Embed the analysis JSON in a ``<script type="application/json">`` block.
    """
    ctx = ReportContext(analysis, extras or {})
    bodies = []
    for sid, stitle in SECTIONS:
        try:
            body = BUILDERS[sid](ctx)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            # A malformed part of the analysis must not sink the whole report.
            ctx.notes.append(f"Section '{stitle}' could not be rendered: {exc}.")
            body = na(f"{stitle} (the analysis part is malformed: {exc}).")
        bodies.append((sid, stitle, body))
    leftover = [k for k in analysis if k not in CONSUMED]
    if leftover:
        body = "\n".join(ctx.generic(analysis[k], pointer(k), k) for k in leftover)
        at = [s for s, _ in SECTIONS].index("warnings")
        bodies.insert(at, ("other", "Further results", body))
    # the warnings section collects notes of all others: render it last, place it in order
    bodies = [(sid, t, closing.warnings(ctx) if sid == "warnings" else b) for sid, t, b in bodies]
    title = title or "Learning and dependence in strategic alliances: study report"
    toc = "".join(f'<li><a href="#{sid}">{esc(t)}</a></li>' for sid, t, _ in bodies)
    secs = "\n".join(f'<section id="{sid}" data-section="{sid}">\n<h2>{k + 1}. {esc(t)}</h2>\n'
                     f"{b}\n</section>" for k, (sid, t, b) in enumerate(bodies))
    blob = ""
    if embed_json:
        text = json.dumps(analysis, allow_nan=False, ensure_ascii=True).replace("</", "<\\/")
        blob = f'<script type="application/json" id="analysis-json">{text}</script>\n'
    subtitle = ""
    prov = analysis.get("provenance") if isinstance(analysis, Mapping) else None
    if isinstance(prov, Mapping):
        bits = [f"{name_text(k)} {prov[k]}" for k in ("study", "instrument_id", "instrument_version",
                                                      "seed") if is_scalar_text(prov.get(k))]
        subtitle = "; ".join(bits)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="alliance-survey report">\n<title>{esc(title)}</title>\n'
        f"<style>\n{css()}</style>\n</head>\n<body>\n<header>\n<h1>{esc(title)}</h1>\n"
        f'<p class="subtitle">{esc(subtitle)}</p>\n</header>\n'
        f'<nav class="toc"><ol>{toc}</ol></nav>\n<main>\n{secs}\n</main>\n{blob}</body>\n</html>\n'
    )


def is_scalar_text(v: Any) -> bool:
    return isinstance(v, str | int) and not isinstance(v, bool)


def section_ids() -> list[str]:
    """The ids of the report's sections, in order."""
    return [s for s, _ in SECTIONS]

