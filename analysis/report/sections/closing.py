"""Closing sections: dyadic agreement, warnings and diagnostics, provenance."""

from __future__ import annotations

from collections.abc import Mapping

from ..html import esc
from .common import (
    ReportContext,
    get_first,
    is_empty,
)


def dyadic(ctx: ReportContext) -> str:
    d = ctx.a.get("dyadic")
    if is_empty(d):
        return ctx.missing("dyadic analysis (no dyads with both partners' answers, or not run).")
    if isinstance(d, Mapping) and d.get("available") is False:
        reason = d.get("reason") or d.get("note") or "not run"
        return ctx.missing(f"dyadic analysis ({reason}).")
    return ctx.generic(d, "/dyadic", "dyadic agreement and models", "est")


def warnings(ctx: ReportContext) -> str:
    items = []
    for _path, w in (("/warnings", ctx.a.get("warnings")),
                    ("/measurement/warnings", get_first(ctx.a.get("measurement"), "warnings")),
                    ("/structural/warnings", get_first(ctx.a.get("structural"), "warnings"))):
        if isinstance(w, list):
            items += [str(x) for x in w]
    items += ctx.notes
    if not items:
        return "<p>No warnings.</p>"
    return '<ul class="warnings">' + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"


def provenance(ctx: ReportContext) -> str:
    parts = []
    p = ctx.a.get("provenance")
    if is_empty(p):
        parts.append(ctx.missing("provenance of the analysis."))
    else:
        parts.append(ctx.generic(p, "/provenance", "analysis provenance", "num"))
    build = ctx.x.get("build") or {}
    if build:
        parts.append('<h3>Report build</h3><dl class="prov">' + "".join(
            f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in build.items()) + "</dl>")
    return "\n".join(parts)
