"""Measurement sections: loadings, reliability, HTMT / Fornell-Larcker, invariance, method variance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fmt import fmt, is_number
from ..html import esc, join, num, pointer, table, text_cell
from .common import (
    ReportContext,
    as_text,
    first_key,
    get_first,
    is_empty,
    name_text,
)

#: |Skewness| and |excess kurtosis| above which an item is marked as far from normal
#: (Kline's rule of thumb for items treated as continuous).
ITEM_SKEW_MARK, ITEM_KURT_MARK = 2.0, 7.0


def item_statistics(ctx: ReportContext) -> str:
    """Corrected item-total correlation (psych's r.drop), skewness and kurtosis of each
    scale's items, a negative r.drop flagged (review 15: not recorded; a misread item's
    r.drop of -.43 was found only with psych::alpha)."""
    st = ctx.a.get("item_statistics")
    if not isinstance(st, Mapping):
        return ""
    if st.get("available") is False:
        return ctx.missing(f"item statistics ({esc(str(st.get('reason', 'not computed')))})")
    scales = st.get("scales")
    if not isinstance(scales, Mapping) or not scales:
        return ""
    rows = []
    flagged = 0
    for sid, items in scales.items():
        if not isinstance(items, list):
            continue
        for i, r in enumerate(items):
            if not isinstance(r, Mapping):
                continue
            p = join("/item_statistics/scales", sid, i)
            rd = r.get("r_drop")
            neg = is_number(rd) and float(rd) < 0
            flagged += neg
            odd = any(is_number(r.get(k)) and abs(float(r[k])) > cut
                      for k, cut in (("skew", ITEM_SKEW_MARK), ("kurtosis", ITEM_KURT_MARK)))
            name = str(r.get("item", "")) + (" (reverse-keyed)" if r.get("reverse") else "")
            rows.append([text_cell(esc(ctx.label(str(sid))), cls="text"),
                         text_cell(esc(name), tag="th", cls="text"),
                         num(r.get("n"), join(p, "n"), "int"),
                         num(rd, join(p, "r_drop"), "std"),
                         num(r.get("skew"), join(p, "skew"), "est"),
                         num(r.get("kurtosis"), join(p, "kurtosis"), "est"),
                         text_cell("; ".join(
                             (["negative r.drop: runs against its scale"] if neg else [])
                             + (["far from normal"] if odd else [])) or "\u2013")])
    note = ("r.drop: correlation of the item with the sum of its scale's other items, on the "
            "reverse-keyed answers of the analysed respondents, from the pairwise-complete "
            "covariance matrix (psych::alpha's r.drop); a negative value means the item "
            "runs against the rest of its scale, a miscoded or misread item or a missing "
            "reverse key. Skewness and excess kurtosis: psych::describe's type 3 estimators; "
            f"marked beyond |{ITEM_SKEW_MARK:g}| and |{ITEM_KURT_MARK:g}| (Kline's rule of "
            "thumb for items treated as continuous). "
            + (f"{flagged} item{'s' if flagged != 1 else ''} with a negative r.drop. "
               if flagged else "No item has a negative r.drop."))
    return table("Item statistics: corrected item-total correlation, skewness and kurtosis",
                 ["Scale", "Item", "n", "r.drop", "Skewness", "Excess kurtosis", "Flag"],
                 rows, number=ctx.c.table(), note=note)


def measurement(ctx: ReportContext) -> str:
    m = ctx.a.get("measurement")
    parts = []
    rel_top = ctx.a.get("reliability")
    if isinstance(rel_top, Mapping) and rel_top:
        parts.append(reliability(ctx, rel_top, "/reliability",
                                      title="Internal consistency of the scale scores"))
    parts.append(item_statistics(ctx))
    if is_empty(m) or not isinstance(m, Mapping):
        parts.append(ctx.missing("the measurement model (the analysis has no "
                                  "'measurement'; the CFA may have failed, see Warnings)."))
        return "\n".join(parts)
    if m.get("available") is False:
        parts.append(ctx.missing(f"the measurement model (CFA): {m.get('reason', 'not run')}"
                                  " Loadings, omega, CR, AVE, HTMT and Fornell-Larcker "
                                  "need it."))
        return "\n".join(parts)
    conv = m.get("converged")
    if conv is False or (isinstance(conv, Mapping) and False in conv.values()):
        parts.append('<p class="na">The measurement model did not converge; its estimates '
                     "are not interpretable.</p>")
    used = {"fit", "warnings", "estimator", "converged", "invariance", "cmv", "available",
            "method_variance", "common_method", "n", "n_obs"}
    lk = first_key(m, "loadings", "standardized_loadings")
    if lk:
        parts.append(loadings(ctx, m[lk], join("/measurement", lk)))
        used.add(lk)
    else:
        parts.append(ctx.missing("standardized loadings."))
    rk = first_key(m, "reliability", "scales")
    if rk:
        rel = m[rk]
        rel_path = join("/measurement", rk)
        if isinstance(rel, Mapping) and isinstance(rel.get("scales"), Mapping):
            rel_path, rel = join(rel_path, "scales"), rel["scales"]
        parts.append(reliability(ctx, rel, rel_path))
        used.add(rk)
    else:
        parts.append(ctx.missing("reliability (alpha, omega, CR, AVE)."))
    for key, title in (("htmt", "Heterotrait-monotrait ratio (HTMT)"),
                       ("fornell_larcker", "Fornell-Larcker criterion")):
        val = m.get(key)
        src = join("/measurement", key)
        if val is None and isinstance(m.get(rk), Mapping):
            val = m[rk].get(key)
            src = join("/measurement", rk, key)
        if is_empty(val):
            parts.append(ctx.missing(f"{title}."))
        else:
            parts.append(matrix(ctx, val, src, title, diag_bold=key == "fornell_larcker"))
        used.add(key)
    rest = {k: v for k, v in m.items() if k not in used}
    for k, v in rest.items():
        parts.append(ctx.generic(v, join("/measurement", k), k))
    return "\n".join(parts)


def loadings(ctx: ReportContext, value: Any, path: str) -> str:
    if isinstance(value, Mapping) and value and all(
            isinstance(v, list) and all(isinstance(r, Mapping) for r in v)
            for v in value.values()):
        flat = [(join(path, f, i), {"factor": f, **r}) for f, recs in value.items()
                for i, r in enumerate(recs)]
        return _loading_table(ctx, flat)
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return _loading_table(ctx, [(join(path, i), r) for i, r in enumerate(value)])
    return ctx.generic(value, path, "standardized loadings", "std")


def _loading_table(ctx: ReportContext, recs: list[tuple[str, Mapping[str, Any]]]) -> str:
    value = [r for _, r in recs]
    cols_pref = ["factor", "lhs", "item", "rhs", "est", "se", "std_all", "pvalue",
                 "ci_lower", "ci_upper"]
    keys = list(dict.fromkeys(k for v in value for k in v))
    cols = [c for c in cols_pref if c in keys] + [c for c in keys if c not in cols_pref]
    kinds = {"est": "est", "se": "est", "std_all": "std", "pvalue": "p", "z": "est",
             "ci_lower": "est", "ci_upper": "est", "std_lv": "est"}
    header = {"lhs": "Factor", "rhs": "Item", "factor": "Factor", "item": "Item",
              "est": "B", "se": "SE", "std_all": "\u03b2", "pvalue": "p", "op": "op"}
    rows = []
    for (rpath, rec) in recs:
        cells = []
        for c in cols:
            v = rec.get(c)
            if c not in rec:
                cells.append('<td class="empty"></td>')
            elif is_number(v) or v is None:
                cells.append(num(v, join(rpath, c), kinds.get(c, "est")))
            else:
                cells.append(text_cell(name_text(v) if c in ("factor", "lhs") else v))
        rows.append(cells)
    fixed = any(r.get("se") == 0 for r in value)
    m = ctx.a.get("measurement")
    improper = bool(recs) and recs[0][0].startswith("/measurement") \
        and isinstance(m, Mapping) and isinstance(m.get("improper"), list) \
        and bool(m["improper"])
    return table("Factor loadings"
                 + (" of an improper solution (for the record; not interpretable)"
                    if improper else "")
                 + (": unstandardized and standardized"
                    if "est" in cols and "std_all" in cols else ""),
                 [header.get(c, name_text(c)) for c in cols],
                 rows, number=ctx.c.table(),
                 note=("The measurement model's solution is improper ("
                       + esc("; ".join(str(x).rstrip(".") for x in m["improper"]))
                       + "): these loadings are listed for the record only and cannot be "
                       "interpreted. " if improper else "")
                 + ("B = unstandardized loading; " if "est" in cols else "")
                 + "\u03b2 = completely standardized loading (lavaan std.all)"
                 + ("." if improper else "; conventional minimum .708 (Hair et al., 2019).")
                 + (" A loading with B = 1.000 and SE = 0.000 is fixed to 1 to set the "
                    "scale of its factor: it is not estimated and has no standard error."
                    if fixed else ""))


def reliability(ctx: ReportContext, rel: Any, path: str,
                title: str = "Reliability and convergent validity per scale") -> str:
    if not isinstance(rel, Mapping) or not all(isinstance(v, Mapping) for v in rel.values()):
        return ctx.generic(rel, path, "reliability", "rel")
    cols = [("n_items", "Items", "int"), ("alpha", "\u03b1", "rel"),
            ("alpha_ci_lower", "\u03b1 95% CI lower", "rel"),
            ("alpha_ci_upper", "\u03b1 95% CI upper", "rel"),
            ("omega", "\u03c9", "rel"), ("cr", "CR", "rel"), ("ave", "AVE", "rel")]
    keys = list(dict.fromkeys(k for v in rel.values() for k in v))
    cols = [c for c in cols if c[0] in keys]
    extra = [k for k in keys if k not in {c[0] for c in cols}]
    # counts (n_loadings_below, ...) are whole numbers, not reliabilities
    cols += [(k, "below threshold" if k == "flag" else name_text(k),
              "int" if k.startswith("n_") else "rel") for k in extra]
    rows = []
    for f, rec in rel.items():
        rows.append([text_cell(name_text(f), tag="th")] + [
            num(rec.get(k), join(path, f, k), kind) if k in rec and (
                is_number(rec.get(k)) or rec.get(k) is None)
            else (text_cell(as_text(rec.get(k))) if k in rec else '<td class="empty"></td>')
            for k, _, kind in cols])
    m = ctx.a.get("measurement")
    improper = path.startswith("/measurement") and isinstance(m, Mapping) \
        and isinstance(m.get("improper"), list) and bool(m["improper"])
    low = low_ave_text(ctx, rel, path) if path.startswith("/measurement") and not improper \
        else ""
    if improper:
        # listed for the record; the main body gives no number computed from this solution
        low = ("The measurement model's solution is improper: \u03c9, CR and AVE are "
               "listed for the record only and cannot be interpreted.")
    return table(title, ["Scale"] +
                 [c[1] for c in cols], rows, number=ctx.c.table(),
                 note=_reliability_note({c[0] for c in cols}) + (f" {low}" if low else ""))


def _reliability_note(present: set[str]) -> str:
    """Define only the measures the table shows, each threshold with its source."""
    defs = [("alpha", "\u03b1 = Cronbach's alpha (psych::alpha, Feldt CI), "
                      "\u2265 .70 (Nunnally, 1978)"),
            ("omega", "\u03c9 = semTools::compRelSEM, \u2265 .70 (Hair et al., 2019)"),
            ("cr", "CR = composite reliability, \u2265 .70 (Hair et al., 2019)"),
            ("ave", "AVE = average variance extracted, \u2265 .50 (Fornell &amp; Larcker, "
                    "1981)")]
    return "; ".join(text for k, text in defs if k in present) + "."


def matrix(ctx: ReportContext, val: Any, path: str, title: str, *, diag_bold: bool = False) -> str:
    if not isinstance(val, Mapping) or not all(isinstance(v, Mapping) for v in val.values()):
        return ctx.generic(val, path, title, "rel")
    names = list(val)
    symmetric = all(isinstance(val.get(b), Mapping) and val[a].get(b) == val[b].get(a)
                    for a in names for b in val[a])
    rows = []
    for i, a in enumerate(names):
        cells = [text_cell(name_text(a), tag="th")]
        for j, b in enumerate(names):
            if (j > i and symmetric) or b not in val[a]:
                cells.append('<td class="empty"></td>')
            elif i == j and not diag_bold:
                cells.append('<td class="num">\u2014</td>')
            else:
                cell = num(val[a].get(b), join(path, a, b), "rel")
                if diag_bold and i == j:
                    cell = cell.replace('class="num"', 'class="num diag"', 1)
                cells.append(cell)
        rows.append(cells)
    note = ("Values below .85 (strict) or .90 (liberal) support discriminant validity "
            "(Henseler et al., 2015)." if not diag_bold else
            "Diagonal: square root of AVE; below: latent correlations. Discriminant "
            "validity when each diagonal value exceeds the correlations in its row and column.")
    return table(title, [""] + [name_text(n) for n in names], rows, number=ctx.c.table(),
                 cls="apa matrix", note=note)


def invariance_part(ctx: ReportContext) -> tuple[Any, str]:
    """The invariance results and their JSON path: under the measurement model, or the
    top-level ``invariance`` of an older analysis."""
    inv = get_first(ctx.a.get("measurement"), "invariance")
    if inv is None and "invariance" in ctx.a:
        return ctx.a["invariance"], "/invariance"
    return inv, "/measurement/invariance"


def invariance(ctx: ReportContext) -> str:
    m = ctx.a.get("measurement")
    if isinstance(m, Mapping) and m.get("available") is False:
        return ctx.missing("measurement-invariance tests (the measurement model is not "
                            "available).")
    inv, path = invariance_part(ctx)
    if is_empty(inv):
        return ctx.missing("measurement-invariance tests (not run: no grouping variable "
                            "with enough cases per group, or the model failed).")
    groupings = [(g, v) for g, v in inv.items() if isinstance(v, Mapping)
                 and isinstance(v.get("groups"), Mapping)] if isinstance(inv, Mapping) else []
    lead = ""
    if groupings:
        lead = ("<p>Groups: " + "; ".join(
            f"by {esc(ctx.label(g).lower())}, "
            + group_sizes(ctx, g, v["groups"], join(path, g), capital=False)
            for g, v in groupings) + "." + groups_note(ctx, groupings, path) + "</p>\n")
    return lead + ctx.generic(inv, path, "measurement invariance sequence", "fit")


def method_variance(ctx: ReportContext) -> str:
    m = ctx.a.get("measurement")
    if isinstance(m, Mapping) and m.get("available") is False:
        return ctx.missing("common-method checks (the measurement model is not available).")
    key = first_key(m, "cmv", "method_variance", "common_method")
    if key:
        mv = m[key] if isinstance(m[key], Mapping) else {}
        cm = mv.get("cfa_marker")
        stop = marker_sequence_stop(cm) if isinstance(cm, Mapping) else ""
        lead = (f"<p>CFA marker technique: {stop[len('Not tested: '):]} The Method-R "
                "comparison below is listed for completeness and is not interpreted.</p>\n"
                if stop else "")
        h = mv.get("harman")
        base = harman_base(h, join("/measurement", key, "harman")) \
            if isinstance(h, Mapping) else ""
        if base:
            lead = (f"<p>Harman's single-factor screen rests on {base}; n obs is the smallest "
                    "number of respondents behind one correlation, n rows the respondents of "
                    "the measurement model.</p>\n" + lead)
        return lead + ctx.generic(m[key], join("/measurement", key), "common-method checks",
                                  "num")
    key = first_key(ctx.a, "cmv", "method_variance", "common_method")
    if key:
        return ctx.generic(ctx.a[key], pointer(key), "common-method checks", "num")
    return ctx.missing("common-method checks (marker, ULMC, Harman).")


def is_method_r(c: Mapping[str, Any]) -> bool:
    """True for the CFA-marker comparison that tests bias in the trait correlations."""
    return "Method-R" in (str(c.get("restricted")), str(c.get("general"))) \
        or "bias" in str(c.get("test", ""))


def marker_sequence_stop(cm: Mapping[str, Any]) -> str:
    """Why the CFA-marker sequence ends before Method-R (HTML), or "" when it goes on.

    In the sequence of Williams, Hartman & Cavazotte (2010) the method models (Method-C,
    Method-U) are first compared with the baseline; only when one fits better is there
    method variance whose effect on the trait correlations Method-R can test.  The
    analysis' ``method_present`` decides; without it, the baseline comparison at .05.
    """
    present = cm.get("method_present")
    if not isinstance(present, bool):
        comps = cm.get("comparisons") if isinstance(cm.get("comparisons"), list) else []
        first = next((c for c in comps if isinstance(c, Mapping)
                      and str(c.get("restricted")) == "Baseline"), None)
        if first is None or not is_number(first.get("pvalue")):
            return ""
        present = float(first["pvalue"]) < 0.05
    if present:
        return ""
    chosen = str(cm.get("chosen") or "Method-C")
    return (f"Not tested: {esc(chosen)}, the method model chosen, did not fit better than "
            "the baseline model, so no method variance was found whose bias of the trait "
            "correlations Method-R could test; the sequence stops there (Williams, Hartman "
            "&amp; Cavazotte, 2010).")


#: Fornell & Larcker (1981): convergent validity is still adequate with an AVE below .50
#: when the composite reliability is above .60.
AVE_MIN = 0.50
CR_WITH_LOW_AVE = 0.60


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def low_ave_text(ctx: ReportContext, rel: Any, path: str) -> str:
    """What an AVE below .50 means, for the constructs that have one (HTML, "" if none).

    Names them with their AVE and CR and checks Fornell and Larcker's (1981) condition
    for accepting such an AVE (CR above .60) with each construct's own CR.
    """
    if not isinstance(rel, Mapping):
        return ""
    low = [(f, r) for f, r in rel.items() if isinstance(r, Mapping)
           and is_number(r.get("ave")) and float(r["ave"]) < AVE_MIN]
    if not low:
        return ""

    def ave(f: str, r: Mapping[str, Any]) -> str:
        shown = num(r["ave"], join(path, f, "ave"), "rel", tag="span")
        if fmt(r["ave"], "rel") == fmt(AVE_MIN, "rel"):  # .4997 prints as .50
            shown += ", below .50 before rounding"
        return shown

    def cr(f: str, r: Mapping[str, Any]) -> str:
        return num(r["cr"], join(path, f, "cr"), "rel", tag="span")

    named = _and([f"{esc(ctx.label(f))} (AVE = {ave(f, r)})" for f, r in low])
    few = len(low) == 1
    s = (f"The average variance extracted is below .50 for {named}: on average "
         f"{'its' if few else 'their'} items share less than half of their variance with "
         f"the construct, so convergent validity is weaker for {'this construct' if few else 'these constructs'}. "
         "An AVE below .50 is often accepted when the composite reliability is above .60 "
         "(a reading of Fornell and Larcker, 1981, that is contested; the .60 is Bagozzi "
         "and Yi's, 1988)")
    met = [(f, r) for f, r in low if is_number(r.get("cr")) and float(r["cr"]) > CR_WITH_LOW_AVE]
    unmet = [(f, r) for f, r in low if is_number(r.get("cr")) and float(r["cr"]) <= CR_WITH_LOW_AVE]
    unknown = [(f, r) for f, r in low if not is_number(r.get("cr"))]
    bits = []
    if met:
        bits.append("the condition is met for " + _and(
            [f"{esc(ctx.label(f))} (CR = {cr(f, r)})" for f, r in met]))
    if unmet:
        bits.append("it is not met for " + _and(
            [f"{esc(ctx.label(f))} (CR = {cr(f, r)})" for f, r in unmet])
            + ", whose convergent validity is therefore not supported")
    if unknown:
        bits.append("it cannot be checked for " + _and(
            [esc(ctx.label(f)) for f, _ in unknown]) + " (no composite reliability)")
    return s + ": " + "; ".join(bits) + "."


#: Listwise deletion that keeps less than this share of the respondents is said to select
#: a subsample (the other checks use every respondent: FIML or pairwise statistics).
LISTWISE_KEEPS = 0.90


def harman_base(h: Mapping[str, Any], path: str) -> str:
    """On which respondents Harman's screen rests (HTML, "" if the analysis does not say):
    the correlation matrix's missing-data method, the respondents it uses and, for
    listwise deletion that drops more than a small share, that it does."""
    how, n_obs, n_rows = h.get("missing"), h.get("n_obs"), h.get("n_rows")
    if not is_number(n_rows):
        return ""
    rows = num(n_rows, join(path, "n_rows"), "int", tag="span")
    obs = num(n_obs, join(path, "n_obs"), "int", tag="span") if is_number(n_obs) else None
    if how == "pairwise":
        return (f"pairwise correlations of all {rows} respondents, each from those who "
                "answered both items"
                + (f" (every pair answered by at least {obs} of them)" if obs else ""))
    if how == "fiml":
        return f"maximum-likelihood (EM) correlations of all {rows} respondents"
    if how == "listwise" and obs:
        s = f"correlations of the {obs} of {rows} respondents who answered every item"
        if float(n_rows) > 0 and float(n_obs) < LISTWISE_KEEPS * float(n_rows):
            s += (f"; listwise deletion dropped {fmt(1 - float(n_obs) / float(n_rows), 'share')}"
                  "% of the respondents, so the screen rests on a selected subsample while "
                  "the other checks use all of them")
        return s
    return ""


def group_sizes(ctx: ReportContext, g: str, groups: Mapping[str, Any], gpath: str, *,
                capital: bool = True) -> str:
    """``Firm A (...): 172; firm B (...): 89``: each group named in words (the codebook's
    value labels), its size tied to the JSON."""
    names = [ctx.value_label(g, k) for k in groups]
    if names and capital:
        names[0] = names[0][:1].upper() + names[0][1:]
    return "; ".join(f"{esc(name)}: {num(n, join(gpath, 'groups', k), 'int', tag='span')}"
                     for name, (k, n) in zip(names, groups.items(), strict=True))


def groups_note(ctx: ReportContext, groupings: list[tuple[str, Any]], path: str) -> str:
    """What the groups are and who is in none of them: the group sizes are counted among
    the measurement model's respondents, and a grouping that does not add up to them says
    how many are left out and why."""
    m = ctx.a.get("measurement")
    m = m if isinstance(m, Mapping) else {}
    coded = [(g, v) for g, v in groupings if isinstance(v.get("groups"), Mapping)
             and any(ctx.value_label(g, k) != str(k) for k in v["groups"])]
    out = ""
    if coded:
        out += (" Groups by the codebook's value labels: " + "; ".join(
            f"{esc(ctx.label(g).lower())} " + ", ".join(
                f"{esc(k)} = {esc(ctx.value_label(g, k))}" for k in v["groups"])
            for g, v in coded) + ".")
    if is_number(m.get("n_used")):
        n_base = float(m["n_used"])
        base = (f"the <em>N</em> = {num(m['n_used'], '/measurement/n_used', 'int', tag='span')}"
                " respondents of the measurement model")
        if is_number(m.get("n_excluded")) and m["n_excluded"] \
                and is_number(m.get("n_respondents")):
            base += (f" (of the {num(m['n_respondents'], '/measurement/n_respondents', 'int', tag='span')}"
                     f" analysed, {num(m['n_excluded'], '/measurement/n_excluded', 'int', tag='span')}"
                     " are excluded by the scoring's data-quality flags)")
    elif is_number(ctx.a.get("n")):
        n_base = float(ctx.a["n"])
        base = f"the <em>N</em> = {num(ctx.a['n'], '/n', 'int', tag='span')} respondents analysed"
    else:
        return out
    short = []
    for g, v in groupings:
        groups = v.get("groups")
        if not isinstance(groups, Mapping) or not all(is_number(x) for x in groups.values()):
            continue
        missing = n_base - sum(float(x) for x in groups.values())
        if missing > 0:
            short.append(f" By {esc(ctx.label(g).lower())}, {fmt(missing, 'int')} of them are "
                         "in no group: "
                         + _left_out_reason(ctx, g, v.get("left_out"), join(path, g, "left_out"))
                         + ".")
    if not short:
        return out
    return out + f" The groups are counted among {base}." + "".join(short)


def _left_out_reason(ctx: ReportContext, g: str, left: Any, lpath: str) -> str:
    """Why respondents are in no group of grouping ``g`` (the analysis' counts when it
    gives them, else the rules by which the analysis forms the groups)."""
    name = esc(ctx.label(g).lower())
    why = "left out so that the two groups are independent samples"
    if isinstance(left, Mapping) and left and all(is_number(x) for x in left.values()):
        bits = []
        if is_number(left.get("dyad_member")) and left["dyad_member"]:
            bits.append(f"{num(left['dyad_member'], join(lpath, 'dyad_member'), 'int', tag='span')}"
                        " are firm A's respondents of alliances for which both firms answered, "
                        + why)
        if is_number(left.get("no_answer")) and left["no_answer"]:
            bits.append(f"{num(left['no_answer'], join(lpath, 'no_answer'), 'int', tag='span')}"
                        " answered none of the scale's items")
        if is_number(left.get("no_value")) and left["no_value"]:
            bits.append(f"{num(left['no_value'], join(lpath, 'no_value'), 'int', tag='span')}"
                        f" have no value of {name}")
        elif is_number(left.get("no_value")):
            bits.append(f"no respondent lacks a value of {name}")
        return "; ".join(bits)
    if g == "firm_role":
        return ("respondents without a firm role and, of each alliance for which both firms "
                f"answered, firm A's respondent ({why})")
    return f"respondents without a value of {name}"
