"""Render the study report (HTML) from the analysis JSON of :func:`analysis.study.pipeline.analyze_study`.

Every section reads its part of the analysis dict and says plainly when that part
is absent or empty ("Not available: ...").  Numbers are formatted here and only
here (:mod:`analysis.report.fmt`); each one carries its JSON pointer so that
``scripts/check_report.py`` can compare the HTML with the JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .html import Counter, esc, na, pointer
from .sections import APPENDIX, BUILDERS, MAIN, closing
from .sections.common import ReportContext, name_text

#: Section ids and titles, in report order (main body, then the online appendix).
#: The checker requires all of them.
SECTIONS: tuple[tuple[str, str], ...] = tuple((sid, t) for sid, t, _ in MAIN + APPENDIX)

#: Section id -> "main" or "appendix".
PARTS: dict[str, str] = {**{sid: "main" for sid, _, _ in MAIN},
                         **{sid: "appendix" for sid, _, _ in APPENDIX}}


def css() -> str:
    """The report's stylesheet (package data)."""
    return resources.files("analysis.report").joinpath("report.css").read_text(encoding="utf-8")


#: Top-level keys of the analysis that the sections above show; others go to "Further results".
CONSUMED = {"n", "n_raw", "fieldwork", "response_rates", "sample", "missing", "exclusions",
            "descriptives", "correlations", "measurement", "invariance", "cmv",
            "method_variance", "common_method", "structural", "hypotheses", "mediation",
            "moderation", "dyadic", "pls", "warnings", "provenance", "estimator", "reliability",
            "multiple_testing", "decision", "quadratic", "response_surface",
            "nonresponse_bias", "endogeneity", "key_informants", "power_curves",
            "influence", "item_statistics"}


def render_html(analysis: Mapping[str, Any], *, extras: Mapping[str, Any] | None = None,
                title: str | None = None, embed_json: bool = True,
                parallel: bool = True) -> str:
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
    parallel : bool
        Render the appendix on a forked child process while this one renders the main
        body (where fork is available and two cores are usable); the bytes are the same
        either way.
    """
    from analysis.forked import Forked

    main_ctx = ReportContext(analysis, extras or {})
    # the appendix numbers its own tables and figures (A1, A2, ...) and shares the notes
    app_ctx = ReportContext(analysis, extras or {}, c=Counter("A"), notes=main_ctx.notes)
    # The appendix up to its warnings section reads nothing the main body writes (only
    # the warnings section reads the notes), so it is rendered on a child process while
    # this one renders the main body; its notes and its table and figure count then
    # continue from the main body's, as when the parts were rendered in turn.
    at = [sid for sid, _, _ in APPENDIX].index("warnings")
    early = Forked(_render_part, analysis, extras or {},
                   [(sid, t) for sid, t, _ in APPENDIX[:at]], fork=parallel)
    main = [(sid, t, _build(main_ctx, sid, t)) for sid, t, _ in MAIN]
    appendix, notes, app_ctx.c.tables, app_ctx.c.figures = early.result()
    app_ctx.notes.extend(notes)
    appendix += [(sid, t, _build(app_ctx, sid, t)) for sid, t, _ in APPENDIX[at:]]
    leftover = [k for k in analysis if k not in CONSUMED]
    if leftover:
        body = "\n".join(app_ctx.generic(analysis[k], pointer(k), k) for k in leftover)
        at = [s for s, _, _ in appendix].index("warnings")
        appendix.insert(at, ("other", "Further results", body))
    # the warnings section collects notes of all others: render it last, place it in order
    appendix = [(sid, t, closing.warnings(app_ctx) if sid == "warnings" else b)
                for sid, t, b in appendix]
    title = title or "Learning and dependence in strategic alliances: study report"
    toc = "".join(f'<li><a href="#{sid}">{esc(t)}</a></li>' for sid, t, _ in main)
    app_toc = "".join(f'<li><a href="#{sid}">A{k + 1}. {esc(t)}</a></li>'
                      for k, (sid, t, _) in enumerate(appendix))
    secs = "\n".join(f'<section id="{sid}" data-section="{sid}" data-part="main">\n'
                     f"<h2>{esc(t)}</h2>\n{b}\n</section>" for sid, t, b in main)
    app = "\n".join(f'<section id="{sid}" data-section="{sid}" data-part="appendix">\n'
                    f"<h2>A{k + 1}. {esc(t)}</h2>\n{b}\n</section>"
                    for k, (sid, t, b) in enumerate(appendix))
    counts = (f'<p class="counts">Main body: {main_ctx.c.tables} tables, '
              f"{main_ctx.c.figures} figures; online appendix: {app_ctx.c.tables} tables, "
              f"{app_ctx.c.figures} figures.</p>")
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
        f'<nav class="toc"><ol>{toc}<li><a href="#appendix">Online appendix</a></li></ol></nav>\n'
        f"{counts}\n<main>\n{secs}\n</main>\n"
        '<div id="appendix" class="appendix">\n<h1>Online appendix</h1>\n'
        f'<nav class="toc appendix-toc"><ol>{app_toc}</ol></nav>\n{app}\n</div>\n'
        f"{blob}</body>\n</html>\n"
    )


def _build(ctx: ReportContext, sid: str, stitle: str) -> str:
    try:
        return BUILDERS[sid](ctx)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError,
            ArithmeticError) as exc:
        # A malformed part of the analysis must not sink the whole report (an integer
        # beyond a float's range in an edited analysis ended in an OverflowError).
        ctx.notes.append(f"Section '{stitle}' could not be rendered: {exc}.")
        return na(f"{stitle} (the analysis part is malformed: {exc}).")


def _render_part(analysis: Mapping[str, Any], extras: Mapping[str, Any],
                 sections: list[tuple[str, str]],
                 ) -> tuple[list[tuple[str, str, str]], list[str], int, int]:
    """Appendix sections with a context of their own: ``(sections, notes, tables,
    figures)``, the rendered sections, the notes they added and the appendix's table and
    figure count after them."""
    ctx = ReportContext(analysis, extras, c=Counter("A"), notes=[])
    done = [(sid, t, _build(ctx, sid, t)) for sid, t in sections]
    return done, ctx.notes, ctx.c.tables, ctx.c.figures


#: A figure's picture as the report writes it: an inline SVG opening the ``<figure>``.
_FIGURE_SVG = re.compile(r"<figure><svg\b[^>]*>.*?</svg>", re.S)

#: What :func:`lazy_figures` adds to a page: draws each figure put aside as soon as it
#: comes near the visible part of the frame, and all the others one at a time once the
#: page is shown, so none waits for the reader to scroll and none holds up the page.
_LAZY_FIGURES_JS = """<script>
(() => {
  const boxes = [...document.querySelectorAll("svg[data-lazy]")];
  const draw = (box) => {
    if (!box.isConnected) return;
    const source = box.nextElementSibling;
    box.outerHTML = source.textContent;
    source.remove();
  };
  const near = new IntersectionObserver((seen) => {
    for (const e of seen) if (e.isIntersecting) { near.unobserve(e.target); draw(e.target); }
  }, {rootMargin: "100% 0px"});
  boxes.forEach((box) => near.observe(box));
  const later = window.requestIdleCallback || ((f) => setTimeout(f, 0));
  const rest = () => {
    const box = boxes.find((b) => b.isConnected);
    if (box) { near.unobserve(box); draw(box); later(rest); }
  };
  addEventListener("load", () => later(rest));
})();
</script>
"""


def lazy_figures(page: str) -> str:
    """A report page (see :func:`report_parts`) whose figures are drawn after the rest is
    shown: each figure's SVG is kept as text next to an empty picture of the same size,
    and a small script draws it when it comes near the visible part of the frame, and all
    of them one by one once the page is shown.

    For the app's frame, where the report's main body would otherwise be laid out with
    its figures before any of it is painted (the figures are two thirds of its bytes); the
    report's files keep their figures inline.
    """

    def aside(m: re.Match[str]) -> str:
        svg = m.group(0)[len("<figure>"):]
        if "</script" in svg.lower():  # could not be kept as a script's text
            return m.group(0)
        start = svg[:svg.index(">")]
        return (f'<figure>{start} data-lazy></svg>'
                f'<script type="text/x-figure">{svg}</script>')

    out, n = _FIGURE_SVG.subn(aside, page)
    if n == 0:
        return page
    at = out.rfind("</body>")
    return out[:at] + _LAZY_FIGURES_JS + out[at:] if at >= 0 else out + _LAZY_FIGURES_JS


def is_scalar_text(v: Any) -> bool:
    return isinstance(v, str | int) and not isinstance(v, bool)


def section_ids(part: str | None = None) -> list[str]:
    """The ids of the report's sections in order (only those of ``part``, "main" or
    "appendix", when given)."""
    return [s for s, _ in SECTIONS if part is None or PARTS[s] == part]



def report_parts(html: str) -> tuple[str, str]:
    """The main body and the online appendix of a rendered report, each as a page of its own.

    Both keep the report's stylesheet and figures (for the app, which shows the main body
    and offers the appendix one click away); the analysis JSON stays with the full report.
    """
    head_end = html.find("<body>")
    at = html.find('<div id="appendix"')
    end = html.find('<script type="application/json"')
    end = end if end >= 0 else html.find("</body>")
    if head_end < 0 or at < 0:
        return html, ""
    head = html[:head_end + len("<body>")]
    tail = "</body>\n</html>\n"
    return head + html[head_end + len("<body>"):at] + tail, head + html[at:end] + tail
