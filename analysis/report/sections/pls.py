"""The PLS-SEM section: Hair et al.'s (2019) reporting set for a study estimated with PLS-SEM.

Measurement (reliability, convergent validity, indicator loadings or weights with
bootstrap intervals, collinearity), discriminant validity (HTMT with intervals) and
the structural model (paths with bootstrap intervals, R-squared, f-squared, inner
VIF).  Every threshold is printed next to the values it applies to; the section
never turns a threshold into a verdict of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..html import esc, esc_code, join, na, num, pointer, table, text_cell
from .common import ReportContext, ci_cell


def _records(value: Any) -> list[Mapping[str, Any]]:
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _thr(part: Mapping[str, Any], key: str) -> str:
    thr = part.get("thresholds")
    return str(thr.get(key, "")) if isinstance(thr, Mapping) else ""


def pls(ctx: ReportContext) -> str:
    part = ctx.a.get("pls")
    if not isinstance(part, Mapping) or not part.get("available"):
        reason = part.get("reason") if isinstance(part, Mapping) else None
        return na(str(reason or "the study was not analysed with PLS-SEM."))
    p0 = pointer("pls")
    out = []
    st = part.get("settings") if isinstance(part.get("settings"), Mapping) else {}
    sp = join(p0, "settings")

    def val(key: str, kind: str = "num") -> str:
        return num(st.get(key), join(sp, key), kind, tag="span")

    out.append(
        f"<p>PLS path model of the declared hypotheses, N = {val('n', 'int')}, "
        f"{esc(st.get('weighting', ''))} weighting"
        + (", consistent PLS (PLSc) for the reflective scales" if st.get("consistent") else "")
        + f", higher-order constructs by the {esc(str(st.get('higher_order', '')).replace('_', ' '))}"
        f" approach; {val('iterations', 'int')} iterations"
        + ("" if st.get("converged") else " (<strong>not converged</strong>)")
        + f". {esc(st.get('missing', ''))} Percentile bootstrap with {val('bootstrap', 'int')}"
        f" draws ({val('bootstrap_failed', 'int')} failed), seed {val('seed', 'int')}, "
        f"confidence level {val('level', 'fit')}.</p>")
    if isinstance(part.get("syntax"), str):
        out.append(f"<details><summary>Model syntax</summary><pre>{esc_code(part['syntax'])}"
                   "</pre></details>")
    rows = [[text_cell(r.get("construct", ""), tag="th"), text_cell(r.get("measurement", "")),
             num(r.get("indicators"), join(p0, "constructs", i, "indicators"), "int")]
            for i, r in enumerate(_records(part.get("constructs")))]
    if rows:
        out.append(table("PLS-SEM constructs and how they are measured",
                         ["Construct", "Measurement", "Indicators"], rows,
                         number=ctx.c.table()))
    rows = []
    for i, r in enumerate(_records(part.get("reliability"))):
        rp = join(p0, "reliability", i)
        rows.append([text_cell(r.get("construct", ""), tag="th")]
                    + [num(r.get(k), join(rp, k), "rel") for k in ("alpha", "rho_a", "rho_c",
                                                                      "ave")])
    if rows:
        out.append(table(
            "Internal consistency and convergent validity", ["Construct",
                                                             f"\u03b1 ({_thr(part, 'alpha')})",
                                                             f"\u03c1_A ({_thr(part, 'rho_a')})",
                                                             f"\u03c1_C ({_thr(part, 'rho_c')})",
                                                             f"AVE ({_thr(part, 'ave')})"],
            rows, number=ctx.c.table(),
            note="Thresholds of Hair et al. (2019) in the column heads, for reading the "
                 "values; 1 for single-indicator constructs. Mode B (composite) blocks have "
                 "no internal-consistency requirement: read their weights and VIF."))
    rows = []
    for i, r in enumerate(_records(part.get("indicators"))):
        rp = join(p0, "indicators", i)
        rows.append([text_cell(r.get("construct", ""), tag="th"), text_cell(r.get("item", "")),
                     text_cell(r.get("mode", "")), num(r.get("loading"), join(rp, "loading"),
                                                       "std"),
                     num(r.get("weight"), join(rp, "weight"), "std"),
                     ci_cell(r.get("ci_lower"), r.get("ci_upper"), join(rp, "ci_lower"),
                             join(rp, "ci_upper"), "std"),
                     num(r.get("vif"), join(rp, "vif"), "num")])
    if rows:
        out.append(table(
            "Indicator loadings, weights and collinearity",
            ["Construct", "Indicator", "Mode", f"Loading ({_thr(part, 'loading')})", "Weight",
             "95% CI", f"VIF ({_thr(part, 'vif')})"], rows, number=ctx.c.table(),
            note="The interval is that of the loading for mode A (reflective) blocks and of the "
                 "weight for mode B (composite) blocks, whose weights carry the construct's "
                 "meaning (percentile bootstrap); the lower-order constructs of a higher-order "
                 "construct are shown from the first stage, without intervals."))
    rows = []
    for i, r in enumerate(_records(part.get("htmt"))):
        rp = join(p0, "htmt", i)
        rows.append([text_cell(r.get("construct_1", ""), tag="th"),
                     text_cell(r.get("construct_2", "")),
                     num(r.get("htmt"), join(rp, "htmt"), "rel"),
                     ci_cell(r.get("ci_lower"), r.get("ci_upper"), join(rp, "ci_lower"),
                             join(rp, "ci_upper"), "rel")])
    if rows:
        out.append(table("Discriminant validity: heterotrait-monotrait ratios (HTMT)",
                         ["Construct", "Construct", "HTMT", "95% CI"], rows,
                         number=ctx.c.table(),
                         note=f"Henseler et al. (2015); guideline: {esc(_thr(part, 'htmt'))}."))
    out.append(_paths_table(ctx, part.get("paths"), join(p0, "paths"),
                            "Structural model: PLS path coefficients"))
    rows = []
    for i, r in enumerate(_records(part.get("rsquared"))):
        rp = join(p0, "rsquared", i)
        rows.append([text_cell(r.get("construct", ""), tag="th"),
                     num(r.get("r2"), join(rp, "r2"), "rel"),
                     num(r.get("adj_r2"), join(rp, "adj_r2"), "rel")])
    if rows:
        out.append(table("Explained variance of the endogenous constructs",
                         ["Construct", "R\u00b2", "Adjusted R\u00b2"], rows,
                         number=ctx.c.table(), note=f"Guideline: {esc(_thr(part, 'r2'))}."))
    for key, title, col, kind, thr in (
            ("fsquared", "Effect sizes f\u00b2 of the tested paths", "f2", "num", "f2"),
            ("vif_inner", "Collinearity of the predictors (inner VIF)", "vif", "num", "vif")):
        rows = []
        for i, r in enumerate(_records(part.get(key))):
            rows.append([text_cell(r.get("source", ""), tag="th"),
                         text_cell(r.get("target", "")),
                         num(r.get(col), join(p0, key, i, col), kind)])
        if rows:
            out.append(table(title, ["Predictor", "Outcome", f"{col} ({_thr(part, thr)})"], rows,
                             number=ctx.c.table()))
    models = part.get("models")
    if isinstance(models, Mapping):
        for hid, m in models.items():
            if not isinstance(m, Mapping):
                continue
            mp = join(p0, "models", hid)
            out.append(f"<h3>Separate PLS model of {esc(hid)} (N = "
                       f"{num(m.get('n'), join(mp, 'n'), 'int', tag='span')})</h3>")
            if isinstance(m.get("syntax"), str):
                out.append(f"<details><summary>Model syntax</summary><pre>{esc_code(m['syntax'])}"
                           "</pre></details>")
            out.append(_paths_table(ctx, m.get("paths"), join(mp, "paths"),
                                    f"PLS path coefficients of the {hid} model"))
            out.append(ctx.generic(m.get("rsquared"), join(mp, "rsquared"),
                                   f"R\u00b2 of the {hid} model", "rel"))
    return "\n".join(o for o in out if o)


def _paths_table(ctx: ReportContext, paths: Any, path: str, title: str) -> str:
    rows = []
    for i, r in enumerate(_records(paths)):
        rp = join(path, i)
        rows.append([text_cell(f"{r.get('source', '')} \u2192 {r.get('target', '')}", tag="th"),
                     num(r.get("estimate"), join(rp, "estimate"), "est"),
                     num(r.get("se"), join(rp, "se"), "est"),
                     num(r.get("t"), join(rp, "t"), "chisq"),
                     ci_cell(r.get("ci_lower"), r.get("ci_upper"), join(rp, "ci_lower"),
                             join(rp, "ci_upper"))])
    if not rows:
        return ""
    return table(title, ["Path", "\u03b2", "Bootstrap SE", "t", "95% percentile CI"], rows,
                 number=ctx.c.table(),
                 note="Standardised PLS paths (an interaction or squared term per product of "
                      "standardised scores); the verdicts use one-sided bootstrap tests in the "
                      "declared direction, see the hypothesis table.")
