"""Sample and bias checks: non-response bias, key-informant quality, endogeneity.

The main body gets one compact table (a row per check, with its conclusion and the
caveats the analysis states); the online appendix shows every number of the three checks
(``nonresponse_bias`` of :func:`analysis.study.sample.early_late_bias`,
``key_informants`` of :func:`analysis.study.bias.key_informant_quality` and
``endogeneity`` of :func:`analysis.study.bias.endogeneity_checks`, the Gaussian-copula
check of :mod:`analysis.stats.copula`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..fmt import is_number
from ..html import esc, join, num, table, text_cell
from .common import ReportContext

#: The caveats the analysis attaches to the checks, as the reader needs them.
CAVEAT = ("All three are robustness checks on composite scale scores by OLS; the "
          "confirmatory estimates are those of the hypothesis tests.")
COPULA_LIMITS = ("it assumes the regressor independent of the other regressors and is "
                 "biased and weak in small samples (Becker, Proksch & Ringle, 2022). A "
                 "significant term flags a path for scrutiny; it is not a correction.")
COPULA_CAVEAT = ("The Gaussian-copula term is identified only through the non-normality of "
                 "the regressor, so it is tested only where Shapiro\u2013Wilk rejects "
                 "normality; " + COPULA_LIMITS)
#: The caveat after a method text that already states the Shapiro-Wilk precondition: a
#: note says each thing once.
COPULA_CAVEAT_AFTER_METHOD = ("The Gaussian-copula term is identified only through the "
                              "non-normality of the regressor, hence that precondition; "
                              + COPULA_LIMITS)

EMPTY = '<td class="empty"></td>'


def _span(value: Any, path: str, kind: str) -> str:
    return num(value, path, kind, tag="span")


def path_label(ctx: ReportContext, path: Any) -> str:
    """``"y ~ x"`` as ``"X \u2192 Y"`` with the instrument's labels."""
    m = re.match(r"^\s*(\w+)\s*~\s*(\w+)\s*$", str(path))
    if not m:
        return str(path)
    return f"{ctx.label(m.group(2))} \u2192 {ctx.label(m.group(1))}"


def _relabel(ctx: ReportContext, text: str, names: list[str]) -> str:
    """The analysis's note with variable names replaced by their labels."""
    text = text.replace("b_corrected", "the corrected B").replace("b_ols", "the OLS B")
    for n in sorted(set(names), key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(n)}\b", ctx.label(n), text)
    return text


def _columns(frame: Any) -> tuple[dict[str, Any], list[str]]:
    """A data frame stored as ``{column: {row: value}}`` (the report's own shape) or as a
    list of row records (the shape ``alliance-survey analyze --json`` writes): its columns
    as ``{column: {row: value}}`` and the row keys.  Read back from that JSON, the copula
    tables had been left empty and their numbers listed as not shown."""
    if isinstance(frame, list):
        recs = [r for r in frame if isinstance(r, Mapping)]
        if len(recs) != len(frame):
            return {}, []
        rows = [str(i) for i in range(len(recs))]
        names = list(dict.fromkeys(k for r in recs for k in r))
        return {c: {i: r.get(c) for i, r in zip(rows, recs, strict=True)} for c in names}, rows
    if not isinstance(frame, Mapping) or not frame:
        return {}, []
    first = next(iter(frame.values()))
    rows = list(first) if isinstance(first, Mapping) else []
    return dict(frame), rows


def _pointer(frame: Any, base: str, col: str, row: str) -> str:
    """The JSON pointer of one cell of a frame read by :func:`_columns`: ``base/row/col``
    for row records, ``base/col/row`` for columns."""
    return join(base, row, col) if isinstance(frame, list) else join(base, col, row)


def _available(part: Any) -> bool:
    return isinstance(part, Mapping) and part.get("available") is not False


def _reason(part: Any, what: str) -> str:
    if isinstance(part, Mapping) and isinstance(part.get("reason"), str):
        return part["reason"]
    return f"the analysis has no {what}."


# ----------------------------------------------------------------------- main body
def _nonresponse_row(ctx: ReportContext) -> list[str]:
    nr = ctx.a.get("nonresponse_bias")
    head = text_cell("Non-response bias: early vs late respondents", tag="th", cls="text")
    if not _available(nr) or not isinstance(nr.get("tests"), Mapping):
        return [head, f'<td class="text">Not tested: {esc(_reason(nr, "timestamps"))}</td>',
                text_cell("not tested")]
    k = len(nr["tests"])
    sig = nr.get("n_significant")
    res = (f'<td class="text">first vs last third by completion time '
           f'(<em>n</em> = {_span(nr.get("n_early"), "/nonresponse_bias/n_early", "int")} and '
           f'{_span(nr.get("n_late"), "/nonresponse_bias/n_late", "int")}); '
           f'{_span(sig, "/nonresponse_bias/n_significant", "int")} of {k} scale scores '
           "differ at <em>p</em> &lt; .05 (Welch <em>t</em>)</td>")
    verdict = ("no sign of non-response bias" if is_number(sig) and sig == 0
               else "late respondents differ on some scales")
    return [head, res, text_cell(verdict)]


#: A path whose estimate moves by this many of its standard errors when the low-knowledge
#: informants are left out is called sensitive to them.
SHIFT_SE = 2.0


def _informant_row(ctx: ReportContext) -> list[str]:
    ki = ctx.a.get("key_informants")
    head = text_cell("Key-informant quality", tag="th", cls="text")
    if not _available(ki):
        return [head, f'<td class="text">Not checked: {esc(_reason(ki, "informant data"))}</td>',
                text_cell("not checked")]
    comp = ki.get("comparison") if isinstance(ki.get("comparison"), list) else []
    bits = []
    if is_number(ki.get("knowledge_mean")):
        bits.append(f"mean knowledge of the alliance "
                    f'{_span(ki["knowledge_mean"], "/key_informants/knowledge_mean", "chisq")} '
                    "(1\u20137)")
    if is_number(ki.get("n_low_knowledge")):
        bits.append(f'{_span(ki["n_low_knowledge"], "/key_informants/n_low_knowledge", "int")}'
                    " low-knowledge informants (at most \u201cto a moderate extent\u201d)")
    changed = ki.get("n_changed")
    shifted = ki.get("n_shifted")
    rule_se = ki["shift_rule_se"] if is_number(ki.get("shift_rule_se")) else SHIFT_SE
    if comp and is_number(shifted):
        # the count the verdict reads first; the changes of sign or significance after it,
        # as what they are (not themselves significant changes)
        rule = (_span(rule_se, "/key_informants/shift_rule_se", "int")
                if is_number(ki.get("shift_rule_se")) else f"{rule_se:g}")
        bits.append(f"without them "
                    f'{_span(shifted, "/key_informants/n_shifted", "int")} of {len(comp)} '
                    f"paths shift by {rule} SE or more"
                    + (f' ({_span(changed, "/key_informants/n_changed", "int")} change sign '
                       "or significance, which is not itself a significant change)"
                       if is_number(changed) else ""))
    elif comp and is_number(changed):
        bits.append(f"without them "
                    f'{_span(changed, "/key_informants/n_changed", "int")} of {len(comp)} '
                    "paths change sign or significance")
    # the verdict reads the shifts, not changes of significance (a change of significance
    # is not itself a significant change: Gelman & Stern 2006)
    shifts = [abs(float(c["shift_in_se"])) for c in comp
              if isinstance(c, Mapping) and is_number(c.get("shift_in_se"))]
    if shifts:
        verdict = (f"estimates robust to informant knowledge (no path shifts by {rule_se:g} "
                   "SE or more)" if max(shifts) < rule_se else
                   f"some paths shift by {rule_se:g} SE or more without low-knowledge "
                   "informants")
    else:
        verdict = ("estimates robust to informant knowledge" if is_number(changed)
                   and changed == 0 else "see the shifts in the appendix"
                   if is_number(changed) else "profile only")
    return [head, f'<td class="text">{"; ".join(bits) or "informant profile only"}</td>',
            text_cell(verdict)]


def _endogeneity_row(ctx: ReportContext) -> list[str]:
    en = ctx.a.get("endogeneity")
    head = text_cell("Endogeneity: Gaussian copula", tag="th", cls="text")
    if not _available(en):
        return [head, f'<td class="text">Not checked: {esc(_reason(en, "copula checks"))}</td>',
                text_cell("not checked")]
    cols, keys = _columns(en.get("paths"))
    flagged = [path_label(ctx, cols["path"][r]) for r in keys
               if cols.get("endogenous", {}).get(r) is True and "path" in cols]
    res = (f'<td class="text">applicable to '
           f'{_span(en.get("n_applicable"), "/endogeneity/n_applicable", "int")} of '
           f'{_span(en.get("n_paths"), "/endogeneity/n_paths", "int")} paths (non-normal '
           f"regressor); copula term significant for "
           f'{_span(en.get("n_endogenous"), "/endogeneity/n_endogenous", "int")}'
           + (f" ({esc('; '.join(flagged))})" if flagged else "") + "</td>")
    # a copula term that is not significant is weak evidence of exogeneity: the test has
    # little power at survey sample sizes (Becker, Proksch & Ringle 2022)
    verdict = ("no copula term significant; weak evidence at this sample size"
               if is_number(en.get("n_endogenous")) and en["n_endogenous"] == 0
               else "paths flagged for scrutiny")
    return [head, res, text_cell(verdict)]


def sample_bias(ctx: ReportContext) -> str:
    """The main body's table of the three checks with their conclusions and caveats."""
    if not any(k in ctx.a for k in ("nonresponse_bias", "key_informants", "endogeneity")):
        return ctx.missing("bias checks (the analysis has no non-response, key-informant or "
                           "endogeneity results).")
    rows = [_nonresponse_row(ctx), _informant_row(ctx), _endogeneity_row(ctx)]
    return table("Sample and bias checks", ["Check", "Result", "Conclusion"], rows,
                 number=ctx.c.table(), cls="apa",
                 note=f"{esc(CAVEAT)} {esc(COPULA_CAVEAT)} Every test is in the online "
                      "appendix.")


# ------------------------------------------------------------------------ appendix
def details(ctx: ReportContext) -> str:
    """Every number of the three checks."""
    return "\n".join([_nonresponse_details(ctx), _informant_details(ctx),
                      _endogeneity_details(ctx), _influence_details(ctx)])


def _nonresponse_details(ctx: ReportContext) -> str:
    nr = ctx.a.get("nonresponse_bias")
    out = ["<h3>Non-response bias: early versus late respondents</h3>"]
    if not _available(nr) or not isinstance(nr.get("tests"), Mapping):
        out.append(ctx.missing(f"early/late comparison ({_reason(nr, 'timestamps')})"))
        return "\n".join(out)
    base = "/nonresponse_bias/tests"
    rows = []
    for s, t in nr["tests"].items():
        if not isinstance(t, Mapping):
            continue
        p = join(base, s)
        rows.append([text_cell(ctx.label(s), tag="th", cls="text"),
                     num(t.get("mean_early"), join(p, "mean_early"), "est"),
                     num(t.get("mean_late"), join(p, "mean_late"), "est"),
                     num(t.get("t"), join(p, "t"), "est"),
                     num(t.get("df"), join(p, "df"), "chisq"),
                     num(t.get("pvalue"), join(p, "pvalue"), "p"),
                     num(t.get("hedges_g"), join(p, "hedges_g"), "est")])
    note = (f'{esc(nr.get("method", ""))} Completion time: {esc(nr.get("timestamp", ""))}; '
            f'early <em>n</em> = {_span(nr.get("n_early"), "/nonresponse_bias/n_early", "int")}'
            f', late <em>n</em> = {_span(nr.get("n_late"), "/nonresponse_bias/n_late", "int")}'
            f'; {_span(nr.get("n_significant"), "/nonresponse_bias/n_significant", "int")} '
            "significant at .05.")
    out.append(table("Early versus late respondents by scale score",
                     ["Scale", "M early", "M late", "t", "df", "p", "Hedges g"], rows,
                     number=ctx.c.table(), note=note))
    return "\n".join(out)


def _distribution(ctx: ReportContext, recs: Any, path: str, title: str) -> str:
    rows = []
    for i, r in enumerate(recs if isinstance(recs, list) else []):
        if not isinstance(r, Mapping):
            continue
        p = join(path, i)
        code = num(r.get("code"), join(p, "code"), "int") if "code" in r else EMPTY
        rows.append([code, text_cell(str(r.get("label", "")), cls="text"),
                     num(r.get("n"), join(p, "n"), "int"),
                     num(r.get("share"), join(p, "share"), "share")])
    return table(title, ["Code", "Answer", "n", "%"], rows, number=ctx.c.table())


def _informant_details(ctx: ReportContext) -> str:
    ki = ctx.a.get("key_informants")
    out = ["<h3>Key informants</h3>"]
    if not _available(ki):
        out.append(ctx.missing(f"key-informant checks ({_reason(ki, 'informant data')})"))
        return "\n".join(out)
    base = "/key_informants"
    if isinstance(ki.get("knowledge"), list):
        out.append(_distribution(ctx, ki["knowledge"], join(base, "knowledge"),
                                 "Informants' knowledge of the alliance"))
    if is_number(ki.get("knowledge_mean")):
        out.append(f"<p>Mean knowledge: "
                   f'{_span(ki["knowledge_mean"], join(base, "knowledge_mean"), "chisq")}.</p>')
    if isinstance(ki.get("position"), list):
        out.append(_distribution(ctx, ki["position"], join(base, "position"),
                                 "Informants' position"))
    ten = ki.get("tenure")
    if isinstance(ten, Mapping):
        tp = join(base, "tenure")
        keys = [("n", "n", "int"), ("mean", "M", "est"), ("sd", "SD", "est"),
                ("min", "Min", "num"), ("q25", "25th pct.", "num"),
                ("median", "Median", "num"), ("q75", "75th pct.", "num"),
                ("max", "Max", "num"), ("n_short", "Short tenure (n)", "int")]
        row = [num(ten.get(k), join(tp, k), kind) for k, _, kind in keys if k in ten]
        out.append(table("Informants' tenure with the firm (years)",
                         [h for k, h, _ in keys if k in ten], [row], number=ctx.c.table(),
                         note=esc(f"Short tenure: {ten.get('short_rule', '')}.")))
    comp = ki.get("comparison")
    if isinstance(comp, list) and comp:
        rows = []
        for i, c in enumerate(comp):
            if not isinstance(c, Mapping):
                continue
            p = join(base, "comparison", i)
            rows.append([text_cell(path_label(ctx, c.get("path")), tag="th", cls="text")]
                        + [num(c.get(k), join(p, k), kind) for k, kind in (
                            ("n_all", "int"), ("est_all", "est"), ("se_all", "est"),
                            ("p_all", "p"), ("n_high", "int"), ("est_high", "est"),
                            ("se_high", "est"), ("p_high", "p"), ("shift_in_se", "est"))]
                        + [text_cell("yes" if c.get("same_sign") else "no"),
                           text_cell("yes" if c.get("same_significance") else "no")])
        rule = _relabel(ctx, str(ki.get("low_knowledge_rule", "")), ["informant_knowledge"])
        low = (f'{_span(ki.get("n_low_knowledge"), join(base, "n_low_knowledge"), "int")} '
               f"low-knowledge informants ({esc(rule)}); "
               if "n_low_knowledge" in ki else "")
        changed = (f'{_span(ki.get("n_changed"), join(base, "n_changed"), "int")} paths change '
                   "sign or significance. " if "n_changed" in ki else "")
        if is_number(ki.get("n_shifted")):
            rule = (_span(ki["shift_rule_se"], join(base, "shift_rule_se"), "int")
                    if is_number(ki.get("shift_rule_se")) else f"{SHIFT_SE:g}")
            changed = (f'{_span(ki["n_shifted"], join(base, "n_shifted"), "int")} paths shift '
                       f"by {rule} SE or more, the criterion of the conclusion; "
                       + changed)
        out.append(table("Path estimates with all informants and without low-knowledge "
                         "informants",
                         ["Path", "n all", "B all", "SE", "p", "n high", "B high", "SE", "p",
                          "Shift (SEs)", "Same sign", "Same significance"], rows,
                         number=ctx.c.table(),
                         note=f"{low}{changed}{esc(ki.get('method', ''))} Shift: change of "
                              "B in standard errors of the full-sample estimate."))
    return "\n".join(out)


def _endogeneity_details(ctx: ReportContext) -> str:
    en = ctx.a.get("endogeneity")
    out = ["<h3>Endogeneity: Gaussian-copula checks</h3>"]
    if not _available(en):
        out.append(ctx.missing(f"copula checks ({_reason(en, 'copula checks')})"))
        return "\n".join(out)
    cols, keys = _columns(en.get("paths"))
    base = "/endogeneity/paths"

    def at(col: str, r: str) -> str:
        return _pointer(en.get("paths"), base, col, r)

    def cell(col: str, r: str, kind: str) -> str:
        if col not in cols:
            return EMPTY
        v = cols[col].get(r)
        if isinstance(v, bool) or (v is None and kind == "flag"):
            return text_cell("yes" if v else "\u2013" if v is None else "no")
        return num(v, at(col, r), kind)

    pre, res, remarks = [], [], []
    for r in keys:
        name = path_label(ctx, cols.get("path", {}).get(r, r))
        head = text_cell(name, tag="th", cls="text")
        pre.append([head, cell("n", r, "int"), cell("shapiro_w", r, "est"),
                    cell("shapiro_p", r, "p"), cell("cvm_stat", r, "est"),
                    cell("cvm_p", r, "p"), cell("non_normal", r, "flag"),
                    cell("applicable", r, "flag"), cell("max_abs_r_controls", r, "std")])
        ci = ('<td class="ci">[' + num(cols.get("ci_lower", {}).get(r),
                                        at("ci_lower", r), "est", tag="span")
              + ", " + num(cols.get("ci_upper", {}).get(r), at("ci_upper", r), "est",
                           tag="span") + "]</td>")
        names = [str(cols.get(c, {}).get(r, "")) for c in ("y", "x")]
        names += [s.strip() for s in str(cols.get("controls", {}).get(r, "")).split(",")]
        note = _relabel(ctx, str(cols.get("note", {}).get(r, "") or ""), [n for n in names if n])
        res.append([head, cell("b_ols", r, "est"), cell("se_ols", r, "est"),
                    cell("b_corrected", r, "est"), cell("b_corrected_se", r, "est"),
                    cell("copula_coef", r, "est"), cell("copula_se", r, "est"),
                    cell("copula_z", r, "est"), cell("copula_p", r, "p"), ci,
                    cell("endogenous", r, "flag"), cell("n_boot_ok", r, "int")])
        if note:
            remarks.append(f"<li>{esc(name)}: {esc(note)}</li>")
    out.append(table("Copula checks: precondition (non-normal regressor)",
                     ["Path", "n", "Shapiro\u2013Wilk W", "p", "Cram\u00e9r\u2013von Mises",
                      "p", "Non-normal", "Applicable", "max |r| other regressors"], pre,
                     number=ctx.c.table(),
                     note="The check is applicable only when the regressor is non-normal; the "
                          "last column is the largest correlation of the regressor with the "
                          "equation's other regressors and controls, which the check assumes "
                          "to be zero."))
    summary = (f'{_span(en.get("n_paths"), "/endogeneity/n_paths", "int")} paths, '
               f'{_span(en.get("n_applicable"), "/endogeneity/n_applicable", "int")} applicable,'
               f' {_span(en.get("n_endogenous"), "/endogeneity/n_endogenous", "int")} with a '
               f"significant copula term at \u03b1 = "
               f'{_span(en.get("alpha"), "/endogeneity/alpha", "std")}; bootstrap '
               f'{_span(en.get("n_boot"), "/endogeneity/n_boot", "int")} resamples, seed '
               f'{_span(en.get("seed"), "/endogeneity/seed", "int")}. ')
    out.append(table("Copula checks: OLS and copula-corrected estimates",
                     ["Path", "B OLS", "SE", "B corrected", "SE", "Copula term", "SE", "z",
                      "p", "95% CI", "Flagged", "Draws"], res,
                     number=ctx.c.table(),
                     note=summary + "Flagged: copula term significant (possible endogeneity); "
                          "draws: bootstrap resamples that converged. "
                          + esc(en.get("method", "")) + " "
                          + esc(COPULA_CAVEAT_AFTER_METHOD
                                if "shapiro" in str(en.get("method", "")).lower()
                                else COPULA_CAVEAT)))
    if remarks:
        out.append('<p>Remarks of the analysis by path:</p><ul class="remarks">'
                   + "".join(remarks) + "</ul>")
    notes = en.get("notes")
    if isinstance(notes, list) and notes:
        out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(out)


def _tested_by(ctx: ReportContext, path: str) -> str:
    """The ids of the hypotheses whose declared test is the path ``y ~ x``."""
    m = re.match(r"^\s*(\w+)\s*~\s*(\w+)\s*$", path)
    if not m:
        return ""
    ids = []
    for h in ctx.a.get("hypotheses") or []:
        test = str(h.get("test", "")) if isinstance(h, Mapping) else ""
        for eq in test.split(";"):
            lhs, _, rhs = eq.partition("~")
            if lhs.strip() == m.group(1) and re.search(rf"\b{m.group(2)}\b", rhs):
                ids.append(str(h.get("id", "")))
    return ", ".join(dict.fromkeys(i for i in ids if i))


def _influence_details(ctx: ReportContext) -> str:
    """Each path of the model with and without the influential cases of its equation,
    beside the shape of the equation's outcome (``analysis.study.bias.influential_cases``;
    the generic list of further results had shown it without a heading or a reading)."""
    inf = ctx.a.get("influence")
    out = ["<h3>Influential cases and the shape of the outcomes</h3>"]
    if not _available(inf):
        out.append(ctx.missing(f"influential-case check ({_reason(inf, 'influential cases')})"))
        return "\n".join(out)
    outcomes = inf.get("outcomes") if isinstance(inf.get("outcomes"), list) else []
    shape = {str(o.get("outcome")): i for i, o in enumerate(outcomes) if isinstance(o, Mapping)}
    paths = inf.get("paths") if isinstance(inf.get("paths"), list) else []
    rows = []
    for i, r in enumerate(paths):
        if not isinstance(r, Mapping):
            continue
        pp = join("/influence/paths", i)
        y = str(r.get("path", "")).split("~")[0].strip()
        j = shape.get(y)
        o = outcomes[j] if j is not None else {}
        op = join("/influence/outcomes", j) if j is not None else None

        def ocell(k: str, kind: str, o: Mapping[str, Any] = o, op: str | None = op) -> str:
            return num(o.get(k), join(op, k), kind) if op is not None else EMPTY

        changed = r.get("same_sign") is False or r.get("same_significance") is False
        rows.append([text_cell(path_label(ctx, r.get("path")), tag="th", cls="text"),
                     text_cell(_tested_by(ctx, str(r.get("path", ""))) or "\u2013"),
                     num(r.get("n"), join(pp, "n"), "int"),
                     num(r.get("n_influential"), join(pp, "n_influential"), "int"),
                     num(r.get("est_all"), join(pp, "est_all"), "est"),
                     num(r.get("se_all"), join(pp, "se_all"), "est"),
                     num(r.get("p_all"), join(pp, "p_all"), "p"),
                     num(r.get("est_without"), join(pp, "est_without"), "est"),
                     num(r.get("se_without"), join(pp, "se_without"), "est"),
                     num(r.get("p_without"), join(pp, "p_without"), "p"),
                     num(r.get("shift_in_se"), join(pp, "shift_in_se"), "est"),
                     text_cell("yes" if changed else "no"),
                     ocell("n", "int"), ocell("skewness", "est"),
                     ocell("excess_kurtosis", "est"),
                     ocell("share_floor", "share"), ocell("share_ceiling", "share"),
                     ocell("bp_p", "p")])
    rule = inf.get("shift_rule_se")
    note = ("B with: all cases; B without: the influential cases of the equation left "
            "out. Shift: (B without \u2212 B with) / SE with; "
            + (f"{_span(rule, '/influence/shift_rule_se', 'int')} or more is a large shift. "
               if is_number(rule) else "")
            + "Changed: the sign or the significance differs without those cases. Outcome "
            "shape: the outcome score's n, skewness and excess kurtosis, its shares at the "
            "scale's lowest and highest score, and the Breusch\u2013Pagan p of the "
            "equation's residual variance. "
            f"{_span(inf.get('n_shifted'), '/influence/n_shifted', 'int')} of "
            f"{_span(inf.get('n_paths'), '/influence/n_paths', 'int')} paths shifted, "
            f"{_span(inf.get('n_changed'), '/influence/n_changed', 'int')} changed. "
            f"{esc(inf.get('method', ''))} A check on composite scores, not the declared "
            "test.")
    out.append(table("Influential cases: each path with and without them, beside the "
                     "outcome's shape",
                     ["Path", "Tested by", "n", "Influential cases", "B with", "SE", "p",
                      "B without", "SE", "p", "Shift (SE)", "Changed", "Outcome n", "Skewness",
                      "Excess kurtosis", "At lowest (%)", "At highest (%)",
                      "Breusch\u2013Pagan p"], rows, number=ctx.c.table(), note=note))
    notes = inf.get("notes")
    if isinstance(notes, list) and notes:
        out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return "\n".join(out)
