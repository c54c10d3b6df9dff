"""Opening sections: summary, sample, missing data, exclusions, descriptives, item distributions."""

from __future__ import annotations

from collections.abc import Mapping

from .. import figures
from ..fmt import is_number
from ..html import esc, join, num, pointer, table, text_cell
from .common import (
    ReportContext,
    estimator,
    first_key,
    is_empty,
    name_text,
    verdict_label,
)


def summary(ctx: ReportContext) -> str:
    a = ctx.a
    facts = []
    if is_number(a.get("n_raw")):
        facts.append(f"<div>Responses received: {num(a['n_raw'], '/n_raw', 'int', tag='span')}</div>")
    if is_number(a.get("n")) or a.get("n") is None and "n" in a:
        facts.append(f"<div>Analysed: <em>N</em> = {num(a.get('n'), '/n', 'int', tag='span')}</div>")
    hyps = a.get("hypotheses")
    if isinstance(hyps, list) and hyps:
        counts: dict[str, int] = {}
        for h in hyps:
            v = verdict_label(h.get("verdict")) if isinstance(h, Mapping) else "?"
            counts[v] = counts.get(v, 0) + 1
        facts.append("<div>Hypotheses: " + "; ".join(
            f"{esc(k)}: {n}" for k, n in sorted(counts.items())) + "</div>")
    est = estimator(ctx)
    if est:
        facts.append(f"<div>Estimator: {esc(est)}</div>")
    if not facts:
        return ctx.missing("the analysis has neither sample sizes nor hypotheses.")
    body = '<div class="keyfacts">' + "".join(facts) + "</div>"
    if is_number(a.get("n")) and a.get("n") is not None and float(a["n"]) < 50:
        body += ('<p class="na">Very few responses were analysed (<em>N</em> &lt; 50): '
                 "estimates are unstable and model-based results may be missing.</p>")
    return body


def sample(ctx: ReportContext) -> str:
    a = ctx.a
    parts = []
    rows = []
    for key, label in (("n_raw", "Responses received"), ("n", "Analysed after exclusions")):
        if key in a:
            rows.append([text_cell(label, tag="th"), num(a[key], pointer(key), "int")])
    if rows:
        parts.append(table("Sample size", ["", "n"], rows, number=ctx.c.table()))
    fw_key = first_key(a, "fieldwork", "response_rates", "sample")
    if fw_key:
        parts.append(ctx.generic(a[fw_key], pointer(fw_key), "fieldwork and response rates"))
    else:
        parts.append(ctx.missing(
            "response rates (no fieldwork information: the data file does not say how "
            "many were invited; the app's fieldwork page has the invitation counts)."))
    if not rows:
        parts.insert(0, ctx.missing("sample sizes (the analysis has no 'n'/'n_raw')."))
    return "\n".join(parts)


def missing_data(ctx: ReportContext) -> str:
    m = ctx.a.get("missing")
    if is_empty(m):
        return ctx.missing("missing-data summary (the analysis has no 'missing').")
    rest = {k: v for k, v in m.items() if k != "excluded_vs_analysed"} \
        if isinstance(m, Mapping) else m
    return "\n".join([ctx.generic(rest, "/missing", "missing data", "num"),
                      excluded_vs_analysed(ctx)])


def excluded_vs_analysed(ctx: ReportContext) -> str:
    """The respondents excluded for too many missing answers against those analysed, on
    the classification questions both answered (review 15: their size band 4.88 against
    2.34 was nowhere in the report)."""
    m = ctx.a.get("missing")
    cmp = m.get("excluded_vs_analysed") if isinstance(m, Mapping) else None
    if not isinstance(cmp, Mapping) or not isinstance(cmp.get("rows"), list):
        return ""
    base = "/missing/excluded_vs_analysed"
    rows = []
    for i, r in enumerate(cmp["rows"]):
        if not isinstance(r, Mapping):
            continue
        rp = join(base, "rows", i)
        rows.append([text_cell(str(ctx.label(str(r.get("question")))), tag="th", cls="text"),
                     text_cell(str(r.get("test", ""))),
                     num(r.get("n_excluded"), join(rp, "n_excluded"), "int"),
                     num(r.get("n_analysed"), join(rp, "n_analysed"), "int"),
                     num(r.get("mean_excluded"), join(rp, "mean_excluded"), "chisq"),
                     num(r.get("mean_analysed"), join(rp, "mean_analysed"), "chisq"),
                     num(r.get("statistic"), join(rp, "statistic"), "chisq"),
                     num(r.get("df"), join(rp, "df"), "int"),
                     num(r.get("pvalue"), join(rp, "pvalue"), "p"),
                     num(r.get("effect"), join(rp, "effect"), "std")])
    note = (f'{num(cmp.get("n_excluded"), join(base, "n_excluded"), "int", tag="span")} '
            "excluded for too many missing answers, "
            f'{num(cmp.get("n_analysed"), join(base, "n_analysed"), "int", tag="span")} '
            "analysed; "
            f'{num(cmp.get("n_differ"), join(base, "n_differ"), "int", tag="span")} '
            "questions differ at \u03b1 = "
            f'{num(cmp.get("alpha"), join(base, "alpha"), "std", tag="span")}. Means of the '
            "codes or numbers (none for nominal codes); effect: rank-biserial correlation "
            "(positive: the excluded higher) or Cram\u00e9r's V. "
            + esc(str(cmp.get("method", ""))))
    return table("Respondents excluded for missing answers against those analysed",
                 ["Question", "Test", "n excluded", "n analysed", "Mean excluded",
                  "Mean analysed", "U or \u03c7\u00b2", "df", "p", "Effect"], rows,
                 number=ctx.c.table(), note=note)


def exclusions(ctx: ReportContext) -> str:
    e = ctx.a.get("exclusions")
    if e is None:
        return ctx.missing("data-quality exclusions (the analysis has no 'exclusions').")
    if is_empty(e):
        return "<p>No responses were excluded.</p>"
    return ctx.generic(e, "/exclusions", "exclusions", "int")


def descriptives(ctx: ReportContext) -> str:
    parts = []
    d = ctx.a.get("descriptives")
    if is_empty(d):
        parts.append(ctx.missing("descriptive statistics (the analysis has no 'descriptives')."))
    else:
        parts.append(ctx.generic(d, "/descriptives", "descriptive statistics of the scale scores",
                                  "est"))
    parts.append(correlations(ctx))
    return "\n".join(parts)


def correlations(ctx: ReportContext) -> str:
    r = ctx.a.get("correlations")
    path = "/correlations"
    if isinstance(r, Mapping) and isinstance(r.get("matrix"), Mapping):
        path, r = "/correlations/matrix", r["matrix"]
    if is_empty(r) or not isinstance(r, Mapping) or not all(
            isinstance(v, Mapping) for v in r.values()):
        if not is_empty(r):
            return ctx.generic(r, path, "correlations", "std")
        return ctx.missing("correlation matrix (the analysis has no 'correlations').")
    names = list(r)
    rows = []
    for i, a in enumerate(names):
        cells = [text_cell(f"{i + 1}. {name_text(a)}", tag="th")]
        for j, b in enumerate(names):
            if j < i:
                cells.append(num(r[a].get(b), join(path, a, b), "std"))
            elif j == i:
                cells.append('<td class="num">\u2014</td>')
            else:
                cells.append('<td class="empty"></td>')
        rows.append(cells)
    other = {k: v for k, v in ctx.a["correlations"].items() if k != "matrix"} \
        if path.endswith("/matrix") else {}
    out = table("Correlations of the scale scores", ["Variable"] +
                [str(i + 1) for i in range(len(names))], rows, number=ctx.c.table(),
                cls="apa matrix",
                note="Pearson correlations (lower triangle).")
    if other:
        out += ctx.generic(other, "/correlations", "correlation details", "std")
    return out


def item_distributions(ctx: ReportContext) -> str:
    counts = ctx.x.get("item_distributions")
    if not counts:
        return ctx.missing("item distributions (no item-level data was given to the report).")
    levels = ctx.x.get("item_levels") or list(range(1, 8))
    names = ctx.x.get("item_level_labels") or {}
    svg = figures.item_distributions(
        counts, levels, level_labels={int(k): str(v) for k, v in names.items()},
        titles={s: ctx.label(s) for s in counts})
    return ctx.figure(svg, "Distribution of the answers to each rating item, by scale "
                       "(share of valid answers per response option, 1 = lowest; reverse-keyed "
                       "items are shown as answered, before recoding).")
