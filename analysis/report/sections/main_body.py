"""The main body of the report: the manuscript's results in APA 7 style.

Compact tables of what a reader of the results section needs (sample profile; M, SD and
correlations; measurement model; fit, robust values first; invariance; method variance;
structural estimates and R²; the verdicts) and the figures people would rather look at
than read.  Everything else, and every number in full, is in the online appendix
(:data:`analysis.report.sections.APPENDIX`).  Labels are the instrument's construct
names; each number keeps its JSON pointer for the report checker.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import figures
from ..fmt import fmt, is_number, stars
from ..html import esc, join, num, pointer, table, text_cell
from .caveats import crossing
from .caveats import loadings_by_factor as _loadings_by_factor
from .caveats import lower_label as _low
from .common import (
    ReportContext,
    ci_cell,
    first_key,
    get_first,
    is_empty,
    name_text,
    one_sided_ci_text,
    verdict_label,
)
from .measurement import (
    group_sizes,
    groups_note,
    harman_base,
    invariance_part,
    is_method_r,
    low_ave_text,
    marker_sequence_stop,
)
from .narrative import below_sesoi, too_few_for_items, untested_reason

#: Classification questions of the sample profile, in the order shown (the others are in
#: the appendix); a missing one is skipped.
PROFILE = ("alliance_phase", "governance_form", "partner_type", "our_role", "firm_size",
           "resp_position")

#: Preferred order of the scores in the correlation table: the study's core variables.
CORE = ("jd_sum", "asym_abs", "asym_signed", "dep_own", "dep_partner", "trust",
        "specific_investments", "learning", "learning_about", "learning_from",
        "value_creation", "value_appropriation", "innovation_outcome",
        "relationship_performance")

#: Hypothesis methods grouped into families whose estimates share a metric (one forest
#: panel per family: unstandardized paths, indirect effects, product terms ... are not
#: comparable on one axis).
FAMILIES: dict[str, str] = {
    "sem_path": "Path coefficients (B)", "path": "Path coefficients (B)",
    "mediation_bootstrap": "Indirect effects (a × b)", "mediation": "Indirect effects (a × b)",
    "moderation": "Interaction terms (B)", "latent_moderation": "Interaction terms (B)",
    "quadratic": "Squared terms (B)", "latent_quadratic": "Squared terms (B)",
    "rsa": "Response-surface curvature (a4)",
    "dyadic": "Standardized slopes (β)", "multigroup": "Group mean differences",
}


#: The expected sign as printed (a true minus; the inverted U as a cap).
SIGNS = {"+": "+", "-": "\u2212", "inverted_u": "\u2229", "none": "none"}  # a dash read as a minus sign


def _stars_note() -> str:
    return "* <em>p</em> &lt; .05. ** <em>p</em> &lt; .01. *** <em>p</em> &lt; .001."


# ------------------------------------------------------------------------ sample
def sample(ctx: ReportContext) -> str:
    a = ctx.a
    rows = []
    for key, label, kind in (("n_raw", "Responses received", "int"),
                             ("n", "Analysed after exclusions", "int")):
        if key in a:
            rows.append([text_cell(label, tag="th", cls="text"), num(a[key], pointer(key), kind),
                         '<td class="empty"></td>'])
    exc = a.get("exclusions")
    if isinstance(exc, Mapping) and is_number(exc.get("total")):
        rows.insert(1, [text_cell("Excluded as careless or incomplete", tag="th", cls="text"),
                        num(exc["total"], "/exclusions/total", "int"),
                        '<td class="empty"></td>'])
    fw = a.get("fieldwork")
    if isinstance(fw, Mapping):
        rk = first_key(fw, "response_rate")
        if rk:
            rows.append([text_cell("Response rate (%)", tag="th", cls="text"),
                         '<td class="empty"></td>',
                         num(fw[rk], join("/fieldwork", rk), "share")])
    qs = get_first(a.get("sample_profile"), "questions")
    if isinstance(qs, Mapping):
        for q in PROFILE:
            spec = qs.get(q)
            if not isinstance(spec, Mapping) or not isinstance(spec.get("rows"), list):
                continue
            rows.append([f'<th class="group" colspan="3">{esc(ctx.label(q))}</th>'])
            for i, r in enumerate(spec["rows"]):
                if not isinstance(r, Mapping):
                    continue
                rp = join("/sample_profile/questions", q, "rows", i)
                rows.append([text_cell(str(r.get("label", r.get("code", ""))), tag="th",
                                       cls="text indent"),
                             num(r.get("n"), join(rp, "n"), "int"),
                             num(r.get("share"), join(rp, "share"), "share")])
    if not rows:
        return ctx.missing("sample sizes (the analysis has no 'n'/'n_raw').")
    return table("Sample profile", ["", "n", "%"], rows, number=ctx.c.table(),
                 cls="apa profile",
                 note="Percentages of the analysed sample. The other classification "
                      "questions, missing data and the exclusion reasons are in the online "
                      "appendix.")


# ------------------------------------------------------------------- descriptives
def _reliability(ctx: ReportContext) -> tuple[Mapping[str, Any], str]:
    m = ctx.a.get("measurement")
    rel = get_first(m, "reliability")
    if isinstance(rel, Mapping) and rel and all(isinstance(v, Mapping) for v in rel.values()):
        return rel, "/measurement/reliability"
    rel = ctx.a.get("reliability")
    if isinstance(rel, Mapping):
        return rel, "/reliability"
    return {}, ""


def _corr_p(r: float, n: float) -> float | None:
    """Two-sided p of a Pearson correlation (t test with n - 2 df), for the stars only."""
    if not (n > 3 and abs(r) < 1):
        return None
    from scipy import stats

    t = r * math.sqrt((n - 2) / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), n - 2))


def descriptives(ctx: ReportContext) -> str:
    d = ctx.a.get("descriptives")
    r = ctx.a.get("correlations")
    cpath = "/correlations"
    if isinstance(r, Mapping) and isinstance(r.get("matrix"), Mapping):
        r, cpath = r["matrix"], "/correlations/matrix"
    if not isinstance(d, Mapping) or not isinstance(r, Mapping) or not all(
            isinstance(v, Mapping) for v in r.values()):
        return ctx.missing("means, standard deviations and correlations (the analysis has "
                           "no 'descriptives' or 'correlations').")
    names = [v for v in CORE if v in r and v in d]
    names += [v for v in r if v not in names and v in d and len(names) < 6]
    rel, rpath = _reliability(ctx)
    n_all = ctx.a.get("n")
    rows = []
    for i, a in enumerate(names):
        desc = d.get(a) if isinstance(d.get(a), Mapping) else {}
        cells = [text_cell(f"{i + 1}. {ctx.label(a)}", tag="th", cls="text"),
                 # M and SD with two decimals, as a results section prints them
                 num(desc.get("mean"), join("/descriptives", a, "mean"), "chisq")
                 if "mean" in desc else '<td class="empty"></td>',
                 num(desc.get("sd"), join("/descriptives", a, "sd"), "chisq")
                 if "sd" in desc else '<td class="empty"></td>']
        for j, b in enumerate(names):
            if j < i:
                v = r[a].get(b)
                n_ab = min(float(x) for x in (
                    get_first(d.get(a), "n"), get_first(d.get(b), "n"), n_all)
                    if is_number(x)) if any(is_number(x) for x in (
                        get_first(d.get(a), "n"), get_first(d.get(b), "n"), n_all)) else 0.0
                p = _corr_p(float(v), n_ab) if is_number(v) else None
                mark = stars(p)
                cells.append('<td class="num">' + num(v, join(cpath, a, b), "std", tag="span")
                             + (f"<sup>{mark}</sup>" if mark else "") + "</td>")
            elif j == i:
                alpha = rel.get(a, {}).get("alpha") if isinstance(rel.get(a), Mapping) else None
                apath = join(rpath, a, "alpha")
                top = ctx.a.get("reliability")
                if not is_number(alpha) and isinstance(top, Mapping) and \
                        isinstance(top.get(a), Mapping):
                    # a composite of several scales (relationship learning) has no factor
                    # of its own in the measurement model, but its items have an alpha
                    alpha, apath = top[a].get("alpha"), join("/reliability", a, "alpha")
                cells.append(num(alpha, apath, "rel", cls="num diag")
                             if is_number(alpha) else '<td class="num diag">\u2014</td>')
            else:
                cells.append('<td class="empty"></td>')
        rows.append(cells)
    return table("Means, standard deviations and correlations of the study variables",
                 ["Variable", "M", "SD"] + [str(i + 1) for i in range(len(names))], rows,
                 number=ctx.c.table(), cls="apa matrix",
                 note=("<em>M</em> and <em>SD</em> on the 1\u20137 response scale (indices of "
                       "dependence on their own metric). Pearson correlations, pairwise "
                       "complete cases; Cronbach's \u03b1 on the diagonal (\u2014: an index, no "
                       "items). " + _stars_note()
                       + " All scores and their correlations are in the online appendix."))


# -------------------------------------------------------------------- measurement
def measurement(ctx: ReportContext) -> str:
    m = ctx.a.get("measurement")
    if not isinstance(m, Mapping) or is_empty(m):
        return ctx.missing("the measurement model (the analysis has no 'measurement').")
    if m.get("available") is False:
        return ctx.missing(f"the measurement model (CFA): {m.get('reason', 'not run')}")
    parts = []
    conv = m.get("converged")
    if conv is False or (isinstance(conv, Mapping) and False in conv.values()):
        parts.append('<p class="na">The measurement model did not converge; its estimates '
                     "are not interpretable.</p>")
    lam = _loadings_by_factor(m)
    rel = get_first(m, "reliability")
    rel = rel if isinstance(rel, Mapping) else {}
    rows = []
    improper = m.get("improper")
    improper = improper if isinstance(improper, list) and improper else None
    # reverse-keyed items (the instrument's keys, recoded before any analysis) are marked:
    # they often load lower or share variance of their own (Weijters & Baumgartner, 2012)
    rev = ctx.x.get("reverse_items")
    reverse = {str(x) for x in rev} if isinstance(rev, list | tuple) else set()
    marked = False
    for f in list(dict.fromkeys(list(lam) + [k for k in rel if isinstance(rel[k], Mapping)])):
        recs = lam.get(f, [])
        spans = []
        for path, r in recs:
            item = str(r.get("item", r.get("rhs", "")))
            short = item[len(f) + 1:] if item.startswith(f + "_") else item
            if item in reverse:
                short += "R"
                marked = True
            v = r.get("std_all")
            spans.append(f'<span class="lam">{esc(short)}:\u00a0'
                         f'{num(v, join(path, "std_all"), "std", tag="span")}</span>')
        rec = rel.get(f) if isinstance(rel.get(f), Mapping) else {}
        lams = " ".join(spans) or "\u2014"
        cells = [text_cell(ctx.label(f), tag="th", cls="text"),
                 f'<td class="text lams">{lams}</td>']
        for k in ("alpha", "omega", "cr", "ave"):
            if improper and k != "alpha" and k in rec:
                # computed from an improper solution's loadings: no number is printed where
                # a reader looks for one (Cronbach's alpha comes from the answers)
                cells.append('<td class="na">NA</td>')
                continue
            cells.append(num(rec.get(k), join("/measurement/reliability", f, k), "rel")
                         if k in rec else '<td class="empty"></td>')
        rows.append(cells)
    if rows:
        est = get_first(m, "estimator")
        warn = ("<strong>The solution is improper ("
                + esc("; ".join(map(str, improper)))
                + "): ω, CR and AVE cannot be computed from it (NA: they would rest on its "
                "improper loadings; the online appendix lists them for the record) and its "
                "loadings are shown for the record only and are not interpretable; nor is the "
                "Fornell–Larcker comparison built on the AVEs (the HTMT ratios come from the "
                "item correlations, not from this solution).</strong> ") if improper else ""
        # an improper solution's loadings are marked as such where a reader looks (the
        # caption and the column), not only in the note below the table
        parts.append(table(
            "Measurement model: standardized loadings"
            + (" of an improper solution (not interpretable)" if improper else "")
            + ", reliability and convergent validity",
            ["Construct", "Standardized loadings of the improper solution, not "
             "interpretable (item: \u03bb)" if improper
             else "Standardized loadings (item: \u03bb)", "\u03b1", "\u03c9", "CR",
             "AVE"], rows, number=ctx.c.table(), cls="apa measure",
            note=warn + (f"Confirmatory factor analysis{f' ({esc(est)})' if isinstance(est, str) else ''}"
                  "; \u03bb = completely standardized loading (lavaan std.all). \u03b1 = "
                  "Cronbach's alpha; \u03c9 = "
                  + ("categorical omega (Green &amp; Yang, 2009; semTools::compRelSEM), CR "
                     "and AVE from the loadings on the latent-response scale"
                     if _ordered(m, est) else "McDonald's omega (semTools::compRelSEM)")
                  + "; CR = composite reliability; AVE = average variance extracted. "
                  + ("R: a reverse-keyed item, recoded (lowest plus highest code minus the "
                     "answer) before every analysis, so its loading is on the construct's "
                     "direction. "
                     if marked else "")
                  + ("Conventional threshold: \u03b1 \u2265 .70 (Nunnally, 1978); the "
                     "loadings are not compared with any. " if improper else
                     "Conventional thresholds: \u03bb \u2265 .708 (Hair et al., 2019); \u03b1 "
                     "\u2265 .70 (Nunnally, 1978); \u03c9, CR \u2265 .70 (Hair et al., 2019); "
                     "AVE \u2265 .50 (Fornell &amp; Larcker, 1981). ")
                  + (low_ave_text(ctx, rel, "/measurement/reliability") + " "
                     if rel and not improper else "")
                  + "Unstandardized loadings, standard errors and the second-order model are "
                  "in the online appendix.")))
    htmt = m.get("htmt")
    if isinstance(htmt, Mapping) and htmt and all(isinstance(v, Mapping) for v in htmt.values()):
        names = list(htmt)
        hrows = []
        for i, a in enumerate(names):
            cells = [text_cell(f"{i + 1}. {ctx.label(a)}", tag="th", cls="text")]
            for j, b in enumerate(names):
                if j < i and b in htmt[a]:
                    cells.append(num(htmt[a].get(b), join("/measurement/htmt", a, b), "rel"))
                elif j == i:
                    cells.append('<td class="num">\u2014</td>')
                else:
                    cells.append('<td class="empty"></td>')
            hrows.append(cells)
        parts.append(table("Discriminant validity: heterotrait\u2013monotrait ratios (HTMT)",
                           ["Construct"] + [str(i + 1) for i in range(len(names))], hrows,
                           number=ctx.c.table(), cls="apa matrix",
                           note="Values below .85 (strict) or .90 (liberal) support "
                                "discriminant validity (Henseler et al., 2015). The "
                                "Fornell\u2013Larcker matrix is in the online appendix."))
    if not parts:
        return ctx.missing("loadings and reliability of the measurement model.")
    return "\n".join(parts)


def _ordered(m: Mapping[str, Any], est: Any) -> bool:
    """True when the items were modelled as ordered categories (WLSMV): omega is then the
    categorical omega and CR/AVE are on the latent-response scale."""
    if m.get("ordered"):
        return True
    return isinstance(est, str) and est.upper().startswith("WLS")


# ---------------------------------------------------------------------------- fit
#: Fit columns of the main body: ``(header, keys in order of preference, kind)``; the
#: scaled / robust value is taken whenever the estimator provides it.
FIT = (("\u03c7\u00b2", ("chisq_scaled", "chisq"), "chisq"),
       ("df", ("df_scaled", "df"), "int"),
       ("p", ("pvalue_scaled", "pvalue"), "p"),
       ("CFI", ("cfi_robust", "cfi_scaled", "cfi"), "fit"),
       ("TLI", ("tli_robust", "tli_scaled", "tli"), "fit"),
       ("RMSEA", ("rmsea_robust", "rmsea_scaled", "rmsea"), "fit"),
       ("SRMR", ("srmr",), "fit"))


#: The RMSEA interval of each RMSEA variant: an interval is printed only beside the point
#: estimate it belongs to (a scaled RMSEA next to the unscaled interval can fall outside it).
RMSEA_CI = {"rmsea_robust": ("rmsea_ci_lower_robust", "rmsea_ci_upper_robust"),
            "rmsea_scaled": ("rmsea_ci_lower_scaled", "rmsea_ci_upper_scaled"),
            "rmsea": ("rmsea_ci_lower", "rmsea_ci_upper")}


def _fit_rows(ctx: ReportContext) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = []
    for top, what in (("measurement", "Measurement model"), ("structural", "Structural model")):
        t = ctx.a.get(top)
        f = t.get("fit") if isinstance(t, Mapping) else None
        if not isinstance(f, Mapping) or not f:
            continue
        if all(isinstance(v, Mapping) for v in f.values()):
            for name, fm in f.items():
                out.append((f"{what}: {name_text(name)}", join(pointer(top), "fit", name), fm))
        else:
            lat = t.get("latent_model") if top == "structural" else None
            lf = lat.get("fit") if isinstance(lat, Mapping) else None
            if isinstance(lf, Mapping) and lf:
                # Two structural models: the confirmatory tests use the latent one, so its
                # fit belongs in the main body beside the path model on composites.
                out.append((f"{what}: composite scores", join(pointer(top), "fit"), f))
                out.append((f"{what}: latent (tests the hypotheses)",
                            join(pointer(top), "latent_model", "fit"), lf))
            else:
                out.append((what, join(pointer(top), "fit"), f))
    return out


def _fit_estimators(ctx: ReportContext) -> str | None:
    """The estimator of each model of the fit table (one name when all agree)."""
    est = {}
    for top in ("measurement", "structural"):
        t = ctx.a.get(top)
        v = t.get("estimator") if isinstance(t, Mapping) else None
        if isinstance(v, str):
            est[top] = v
        lat = t.get("latent_model") if isinstance(t, Mapping) and top == "structural" else None
        if isinstance(lat, Mapping) and isinstance(lat.get("estimator"), str):
            if est.get("structural") == lat["estimator"]:
                est["structural (both)"] = est.pop("structural")
            else:
                est["latent structural"] = lat["estimator"]
    if not est:
        from .common import estimator

        return estimator(ctx)
    if len(set(est.values())) == 1:
        return next(iter(est.values()))
    return "; ".join(f"{k.replace(' (both)', '')} model{'s' if '(both)' in k else ''}: {v}"
                     for k, v in est.items())


def fit(ctx: ReportContext) -> str:
    rows = []
    robust = False
    missing_ci = False
    too_few = False
    for label, path, f in _fit_rows(ctx):
        if too_few_for_items(f):
            # no more respondents than items: no fit to print (the numbers stay in the
            # online appendix, marked there by the same note)
            too_few = True
            rows.append([text_cell(f"{label} \u2020", tag="th", cls="text"),
                         num(f["ntotal"], join(path, "ntotal"), "int"),
                         f'<td class="text" colspan="{len(FIT) + 1}">not interpretable: '
                         f'{num(f["n_variables"], join(path, "n_variables"), "int", tag="span")}'
                         " items</td>"])
            continue
        cells = [text_cell(label, tag="th", cls="text")]
        cells.append(num(f["ntotal"], join(path, "ntotal"), "int")
                     if is_number(f.get("ntotal")) else '<td class="num">NA</td>')
        rk = None
        for _, keys, kind in FIT:
            k = first_key(f, *keys)
            robust |= bool(k and k != keys[-1])
            if keys[0] == "rmsea_robust":
                rk = k
            cells.append(num(f[k], join(path, k), kind) if k else '<td class="num">NA</td>')
        lo, hi = RMSEA_CI.get(rk or "", (None, None))
        if lo and f.get(lo) is not None and f.get(hi) is not None:
            cells.insert(-1, ci_cell(f.get(lo), f.get(hi), join(path, lo), join(path, hi),
                                     "fit"))
        else:
            missing_ci |= rk is not None
            cells.insert(-1, '<td class="ci">NA</td>')
        rows.append(cells)
    if not rows:
        return ctx.missing("fit measures (no model was fitted successfully).")
    header = ["Model", "N"] + [h for h, _, _ in FIT]
    header.insert(-1, "RMSEA 90% CI")
    est = _fit_estimators(ctx)
    return table(
        "Global fit of the measurement and structural models", header, rows,
        number=ctx.c.table(), cls="apa",
        note=(f"Estimator: {esc(est)}. " if est else "")
        + "N: respondents in the model. "
        + ("Scaled \u03c7\u00b2 and robust CFI, TLI and RMSEA wherever the estimator provides "
           "them, otherwise the scaled ones (lavaan 0.6 fitMeasures()); " if robust else "")
        + "cut-offs (Hu &amp; Bentler, 1999): CFI, TLI \u2265 .95, RMSEA \u2264 .06, SRMR "
          "\u2264 .08. NA: not available for the estimator"
        + ("; no interval was computed for the scaled or robust RMSEA shown, and the "
           "unscaled interval does not belong to it" if missing_ci else "")
        + ". Unscaled values, information criteria and all further fit measures are in the "
          "online appendix."
        + (" \u2020 No more respondents than items: the items' correlation matrix is "
           "singular, so this model's fit cannot be interpreted." if too_few else ""))


# ------------------------------------------------------------------- invariance
INV_COLS = (("chisq", "\u03c7\u00b2", "chisq"), ("df", "df", "int"), ("cfi", "CFI", "fit"),
            ("rmsea", "RMSEA", "fit"), ("srmr", "SRMR", "fit"),
            ("delta_chisq", "\u0394\u03c7\u00b2", "chisq"), ("delta_df", "\u0394df", "int"),
            ("delta_pvalue", "p (\u0394\u03c7\u00b2)", "p"), ("delta_cfi", "\u0394CFI", "fit"),
            ("delta_rmsea", "\u0394RMSEA", "fit"))


def invariance(ctx: ReportContext) -> str:
    inv, path = invariance_part(ctx)
    if is_empty(inv):
        return ctx.missing("measurement-invariance tests (not run: no grouping variable "
                           "with enough cases per group, or the model failed).")
    blocks: list[tuple[str, str, list[Any]]] = []
    if isinstance(inv, list):
        blocks.append(("", path, inv))
    elif isinstance(inv, Mapping):
        for g, v in inv.items():
            if isinstance(v, Mapping) and isinstance(v.get("levels"), list):
                blocks.append((str(g), join(path, g, "levels"), v["levels"]))
    if not blocks:
        if isinstance(inv, Mapping) and any(isinstance(v, Mapping) and isinstance(
                v.get("summary"), list) for v in inv.values()):
            return _invariance_by_scale(ctx, inv, path)
        return ctx.missing("measurement-invariance steps (no sequence of models).")
    cols = [c for c in INV_COLS if any(c[0] in r for _, _, recs in blocks for r in recs
                                       if isinstance(r, Mapping))]
    rows = []
    for g, bpath, recs in blocks:
        if g:
            groups = get_first(inv.get(g), "groups")
            extra = ""
            if isinstance(groups, Mapping):
                extra = " (" + group_sizes(ctx, g, groups, join(path, g)) + ")"
            rows.append([f'<th class="group" colspan="{len(cols) + 2}">'
                         f"{esc(ctx.label(g))}{extra}</th>"])
        for i, r in enumerate(recs):
            if not isinstance(r, Mapping):
                continue
            rp = join(bpath, i)
            cells = [text_cell(str(r.get("level", r.get("model", i + 1))).capitalize(),
                               tag="th", cls="text indent")]
            for k, _, kind in cols:
                # a baseline step has no differences: an empty cell, not "NA"
                cells.append(num(r.get(k), join(rp, k), kind) if r.get(k) is not None
                             else '<td class="empty"></td>')
            cells.append(text_cell(str(r.get("decision", "")) or "\u2013"))
            rows.append(cells)
    crit = next((v.get("criterion") for v in inv.values() if isinstance(v, Mapping)
                 and isinstance(v.get("criterion"), str)), None) \
        if isinstance(inv, Mapping) else None
    groupings = [(g, inv[g]) for g, _, _ in blocks
                 if g and isinstance(inv, Mapping) and isinstance(inv.get(g), Mapping)]
    return table("Measurement invariance across groups", ["Step"] + [c[1] for c in cols]
                 + ["Decision"], rows, number=ctx.c.table(), cls="apa",
                 note=esc(crit or "A level holds when \u0394CFI > \u2212.010 (Chen, 2007).")
                 + " Partial-invariance details are in the online appendix."
                 + groups_note(ctx, groupings, path))


#: Invariance levels of ordered items as read in a results section (the constraints in
#: brackets).
#: Below this many respondents in a group, an invariance level that holds is called "not
#: rejected": the steps' power to detect non-invariance is low (Meade & Bauer, 2007).
SMALL_GROUP = 100

LEVELS = {"configural": "configural", "thresholds": "equal thresholds",
          "loadings": "metric (loadings)", "intercepts": "scalar (intercepts)",
          "residuals": "strict (residuals)", "means": "equal means"}


def _level_decision(grouping: Mapping[str, Any], scale: str, level: Any) -> str:
    """The decision recorded for one level of one scale's sequence ("" if none)."""
    seq = (grouping.get("by_scale") or {}).get(scale) if level else None
    rows = seq.get("levels") if isinstance(seq, Mapping) else None
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and row.get("level") == level:
            return str(row.get("decision") or "")
    return ""


def _rests_on_rmsea(grouping: Mapping[str, Any], scale: str) -> list[str]:
    """The levels of one scale's sequence that hold under the declared rule although their
    CFI difference alone reaches the rule's cut-off: only the RMSEA difference, below its
    own cut-off, keeps them."""
    seq = (grouping.get("by_scale") or {}).get(scale)
    if not isinstance(seq, Mapping):
        return []
    cuts = seq.get("cutoffs") if isinstance(seq.get("cutoffs"), Mapping) else {}
    ccut, rcut = cuts.get("delta_cfi"), cuts.get("delta_rmsea")
    if not (is_number(ccut) and is_number(rcut)):
        return []
    out = []
    for row in seq.get("levels") or []:
        if not isinstance(row, Mapping) or row.get("decision") != "holds":
            continue
        dc, dr = row.get("delta_cfi"), row.get("delta_rmsea")
        if is_number(dc) and is_number(dr) and dc <= ccut and dr < rcut:
            out.append(str(row.get("level")))
    return out


def _invariance_by_scale(ctx: ReportContext, inv: Mapping[str, Any], path: str) -> str:
    """One row per scale, one column per grouping: the highest level of invariance each
    scale reaches (each scale tested in its own one-factor model); the fit of every step
    is in the online appendix."""
    groupings = [(g, v) for g, v in inv.items()
                 if isinstance(v, Mapping) and isinstance(v.get("summary"), list)]
    scales: list[str] = []
    cell: dict[tuple[str, str], str] = {}
    no_level_held: set[tuple[str, str]] = set()
    rmsea_only: list[str] = []
    for g, v in groupings:
        for rec in v["summary"]:
            if not isinstance(rec, Mapping) or "scale" not in rec:
                continue
            sc = str(rec["scale"])
            if sc not in scales:
                scales.append(sc)
            partial = [x.strip() for x in str(rec.get("partial_levels") or "").split(",")
                       if x.strip()]
            text = ("partial " if partial else "") + LEVELS.get(
                str(rec.get("highest_level_supported")),
                str(rec.get("highest_level_supported") or "none"))
            failed = rec.get("first_failed_level")
            why = _level_decision(v, sc, failed)
            if failed and why.startswith(("not estimated", "not judged")):
                # a level without a usable fit did not fail the rule: it was not tested
                what = LEVELS.get(str(failed), failed)
                # "not judged" is an improper solution or a fit difference that could not
                # be formed (a saturated model without an index): said as it is
                reason = ("did not converge" if why.startswith("not estimated")
                          else "has an improper solution" if "improper" in why
                          else "could not be compared with the level below (fit difference "
                               "undefined)")
                text = (f"not established: the {what} model {reason}"
                        if rec.get("highest_level_supported") in (None, "none")
                        else f"{text}; the {what} model {reason}")
            elif failed and why.startswith("baseline fits poorly"):
                # no level is judged against a configural model that does not fit
                text = "not established: the configural model fits poorly (" + \
                    why.removeprefix("baseline fits poorly (").split(")")[0] + ")"
            elif failed and str(failed) not in partial:
                # a level that failed and that freeing parameters did not repair
                text += f"; fails at {LEVELS.get(str(failed), failed)}"
            if partial:
                # the highest level is already called partial: the others are named
                others = [x for x in partial if x != str(rec.get("highest_level_supported"))]
                text += ((f"; {', '.join(LEVELS.get(x, x) for x in others)} partial"
                          if others else "")
                         + (f"; freed: {rec['freed']}" if rec.get("freed") else ""))
            saved = _rests_on_rmsea(v, sc)
            if saved:
                # the declared rule keeps a level that the CFI difference alone rejects:
                # the reader must see that the decision rests on the RMSEA difference
                text += ("; " + ", ".join(LEVELS.get(x, x) for x in saved)
                         + " kept by ΔRMSEA only ‡")
                rmsea_only.append(sc)
            cell[(g, sc)] = text
            if str(rec.get("highest_level_supported")) in ("configural", "none", "None"):
                # nothing above the configural model held: a small group qualifies no
                # level the steps reached ("configural; fails at equal thresholds (not
                # rejected ...)" read as a contradiction in the demo's marker scale)
                no_level_held.add((g, sc))
    sizes = []
    for g, v in groupings:
        groups = v.get("groups")
        if isinstance(groups, Mapping) and groups:
            sizes.append('<td class="text">' + group_sizes(ctx, g, groups, join(path, g))
                         + "</td>")
        else:
            sizes.append('<td class="empty"></td>')
    # A level that holds with a small group is one the steps could not reject: their power
    # to detect non-invariance is low below about 100 per group (Meade & Bauer, 2007)
    small = {}
    for g, v in groupings:
        ns = [(float(x), k) for k, x in (v.get("groups") or {}).items() if is_number(x)]
        if ns and min(ns)[0] < SMALL_GROUP:
            small[g] = (v["groups"][min(ns)[1]], join(path, g, "groups", min(ns)[1]))
            for sc in scales:
                t = cell.get((g, sc))
                if t and (g, sc) not in no_level_held and not t.startswith("not established") \
                        and not t.startswith("none"):
                    cell[(g, sc)] = f"{t} (not rejected; small groups)"
    rows = [[text_cell("Groups (n)", tag="th", cls="text")] + sizes]
    rows += [[text_cell(ctx.label(sc), tag="th", cls="text")]
             + [text_cell(cell.get((g, sc), "–"), cls="text") for g, _ in groupings]
             for sc in scales]
    small_note = ""
    if small:
        # one sentence for all small groupings (a note must not say one thing twice)
        by = [f"{esc(ctx.label(g).lower())} {num(n[0], n[1], 'int', tag='span')}"
              for g, n in small.items()]
        small_note = (" Smallest group by " + ", by ".join(by) + ": with groups below "
                      f"{SMALL_GROUP} the steps have little power to detect non-invariance "
                      "(Meade &amp; Bauer, 2007), so a level reached there is one the data "
                      "could not reject, not one they establish.")
    crit = next((v.get("criterion") for _, v in groupings
                 if isinstance(v.get("criterion"), str)), None)
    rule = str(crit).split(";")[0].split(". ")[0] if crit else \
        "A level holds when ΔCFI > −.010 (Chen, 2007)"
    for old, new in (("delta CFI", "ΔCFI"), ("delta RMSEA", "ΔRMSEA"), ("<=", "≤"),
                     (">=", "≥"), (" -.", " −.")):
        rule = rule.replace(old, new)
    return table("Measurement invariance across groups: highest level reached per scale",
                 ["Scale"] + [ctx.label(g) for g, _ in groupings], rows,
                 number=ctx.c.table(), cls="apa",
                 note=esc(rule.rstrip(".")) + ". Each scale is tested in its own one-factor "
                      "model, level by level; the fit of every step, the tests of the "
                      "differences and the partial-invariance search are in the online "
                      "appendix." + small_note + _rmsea_only_note(rmsea_only)
                      + groups_note(ctx, groupings, path))


def _rmsea_only_note(scales: list[str]) -> str:
    """The table note for levels that the CFI difference alone would reject."""
    if not scales:
        return ""
    return (" \u2021 At the level marked, the CFI difference alone reaches the declared "
            "cut-off, which would reject it; the declared rule keeps it because RMSEA rose "
            "by less "
            "than its cut-off, so the decision rests on \u0394RMSEA. Chen (2007) pairs "
            "\u0394CFI with \u0394RMSEA or \u0394SRMR; see the steps in the online "
            "appendix.")


# -------------------------------------------------------------- method variance
def method_variance(ctx: ReportContext) -> str:
    m = ctx.a.get("measurement")
    key = first_key(m, "method_variance", "cmv", "common_method")
    base = join("/measurement", key) if key else None
    mv = m[key] if key else None
    if mv is None:
        key = first_key(ctx.a, "method_variance", "cmv", "common_method")
        if key:
            mv, base = ctx.a[key], pointer(key)
    if not isinstance(mv, Mapping) or not mv:
        return ctx.missing("common-method checks (marker, ULMC, Harman).")
    rows = []
    h = mv.get("harman")
    if isinstance(h, Mapping) and is_number(h.get("prop_var")) and h.get("flag") is None \
            and is_number(h.get("min_eigenvalue")) and h["min_eigenvalue"] < 0:
        # pairwise correlations that form no correlation matrix: no share of variance to
        # read (the pilot's smallest eigenvalue was -0.82, with pairs of 19 respondents)
        hp = join(base, "harman")
        rows.append([text_cell("Harman's single factor", tag="th", cls="text"),
                     '<td class="text">not interpretable: the pairwise correlations of the '
                     "items do not form a positive definite matrix (smallest eigenvalue "
                     f'{num(h["min_eigenvalue"], join(hp, "min_eigenvalue"), "est", tag="span")}'
                     ")</td>", text_cell("no conclusion")])
    elif isinstance(h, Mapping) and is_number(h.get("prop_var")):
        hp = join(base, "harman")
        on = harman_base(h, hp)
        rows.append([text_cell("Harman's single factor", tag="th", cls="text"),
                     f'<td class="text">first factor explains '
                     f'{num(h["prop_var"], join(hp, "prop_var"), "share", tag="span")}% of the '
                     f"item variance (eigenvalue "
                     f'{num(h.get("first_eigenvalue"), join(hp, "first_eigenvalue"), "est", tag="span")})'
                     + (f"; base: {on}" if on else "") + "</td>",
                     text_cell("flag: a single factor dominates" if h.get("flag")
                               else "no single dominant factor")])
    mk = mv.get("marker")
    if isinstance(mk, Mapping) and "applied" in mk:
        left = [str(x) for x in mk.get("left_out") or ()]
        # a scale asked of some respondents only is left out of the listwise marker
        # correlations (it would leave everyone else out of all of them): say which
        base_note = (f"{', '.join(esc(x) for x in left)} (asked of some respondents only) "
                     "left out of the marker correlations" if left else "")
        said = _apa_text(str(mk.get("reason", "")).split(" (")[0])
        if mk.get("applied") and is_number(mk.get("r_m")):
            # the row of an applied adjustment said only "adjusted": the size of the
            # method correlation and what it does to the scale correlations are its result
            mp = join(base, "marker")
            said = (f"<em>r</em><sub>M</sub> = {num(mk['r_m'], join(mp, 'r_m'), 'rel', tag='span')}"
                    " (the smallest marker correlation)")
            if is_number(mk.get("n_pairs")) and is_number(
                    mk.get("n_nonsignificant_after_adjustment")):
                said += ("; after the adjustment "
                         f"{num(mk['n_nonsignificant_after_adjustment'], join(mp, 'n_nonsignificant_after_adjustment'), 'int', tag='span')}"
                         f" of {num(mk['n_pairs'], join(mp, 'n_pairs'), 'int', tag='span')} "
                         "scale correlations are not significant at .05")
                if is_number(mk.get("n_lost_after_adjustment")):
                    said += (f" ({num(mk['n_lost_after_adjustment'], join(mp, 'n_lost_after_adjustment'), 'int', tag='span')}"
                             " of them were significant before it)")
        rows.append([text_cell("Marker variable (Lindell & Whitney)", tag="th", cls="text"),
                     f'<td class="text">{"; ".join(x for x in (said, base_note) if x)}'
                     "</td>",
                     text_cell("adjusted" if mk.get("applied")
                               # a marker that correlates clearly negatively is related to
                               # the scales: it is no marker, and it shows nothing either way
                               else "no conclusion: the marker is related to the substantive "
                                    "scales, so it is not a valid marker"
                               if "significantly below zero" in str(mk.get("reason", ""))
                               # a marker that does not correlate positively with the
                               # scales is itself the finding (Lindell & Whitney 2001)
                               else "no marker-based evidence of method variance"
                               if "is not positive" in str(mk.get("reason", ""))
                               else "not applied")])
    cm = mv.get("cfa_marker")
    if isinstance(cm, Mapping) and isinstance(cm.get("comparisons"), list):
        cp = join(base, "cfa_marker", "comparisons")
        stop = marker_sequence_stop(cm)
        for i, c in enumerate(cm["comparisons"]):
            if not isinstance(c, Mapping):
                continue
            p = join(cp, i)
            if stop and is_method_r(c):
                # Williams, Hartman & Cavazotte (2010): Method-R tests whether method
                # variance biases the trait correlations, so it follows only once a method
                # model has fitted better than the baseline
                rows.append([text_cell(f"CFA marker: {c.get('test', '')}", tag="th",
                                       cls="text"),
                             f'<td class="text">{stop}</td>',
                             text_cell("not tested: the sequence stops")])
                continue
            rows.append([text_cell(f"CFA marker: {c.get('test', '')}", tag="th", cls="text"),
                         f'<td class="text">{esc(c.get("restricted", ""))} vs '
                         f'{esc(c.get("general", ""))}: \u0394\u03c7\u00b2('
                         f'{num(c.get("df_diff"), join(p, "df_diff"), "int", tag="span")}) = '
                         f'{num(c.get("chisq_diff"), join(p, "chisq_diff"), "chisq", tag="span")}'
                         f', <em>p</em> {_p_text(c.get("pvalue"), join(p, "pvalue"))}</td>',
                         text_cell(str(c.get("conclusion", "")))])
    for part, what in (("cfa_marker", "CFA marker technique"),
                       ("ulmc", "Unmeasured latent method construct")):
        # a check that was tried and gave no usable solution says why, in its row
        ns = mv.get(part)
        if isinstance(ns, Mapping) and ns.get("estimable") is False and ns.get("reason"):
            rows.append([text_cell(what, tag="th", cls="text"),
                         f'<td class="text">{esc(str(ns["reason"]))}</td>',
                         text_cell("no conclusion (no usable solution)")])
    ul = mv.get("ulmc")
    if isinstance(ul, Mapping) and isinstance(ul.get("fit"), list) \
            and ul.get("estimable") is not False:
        fp = join(base, "ulmc", "fit")
        last = len(ul["fit"]) - 1
        c = ul["fit"][last] if last >= 0 and isinstance(ul["fit"][last], Mapping) else {}
        if "delta_chisq" in c:
            p = join(fp, last)
            share = ""
            if is_number(ul.get("mean_method_share")):
                share = (f"; mean method share of item variance "
                         f'{num(ul["mean_method_share"], join(base, "ulmc", "mean_method_share"), "share", tag="span")}%')
            rows.append([text_cell("Unmeasured latent method construct", tag="th", cls="text"),
                         f'<td class="text">\u0394\u03c7\u00b2('
                         f'{num(c.get("delta_df"), join(p, "delta_df"), "int", tag="span")}) = '
                         f'{num(c.get("delta_chisq"), join(p, "delta_chisq"), "chisq", tag="span")}'
                         f', <em>p</em> {_p_text(c.get("delta_pvalue"), join(p, "delta_pvalue"))}'
                         f', \u0394CFI{" (robust)" if c.get("delta_cfi_robust") is True else ""} = '
                         f'{num(c.get("delta_cfi"), join(p, "delta_cfi"), "fit", tag="span")}'
                         f"{share}{_ulmc_test(ul, c)}</td>",
                         text_cell(_ulmc_conclusion(c, normal_theory=_plain_ml(ul, c)))])
    if not rows:
        return ctx.generic(mv, base, "common-method checks", "num")
    # The CFA-marker and ULMC checks fit a model of a few scales only: say which, so that
    # a clean result is not read as one about every construct.
    scopes: dict[tuple[str, ...], list[str]] = {}
    why: dict[tuple[str, ...], str] = {}
    for part, what in (("cfa_marker", "CFA marker"), ("ulmc", "ULMC")):
        sc = mv.get(part).get("scales") if isinstance(mv.get(part), Mapping) else None
        if isinstance(sc, list) and sc:
            key = tuple(str(x) for x in sc)
            scopes.setdefault(key, []).append(what)
            reason = mv[part].get("scales_rationale")
            if isinstance(reason, str) and reason:
                why[key] = reason
    scope = "".join(
        f" The {' and '.join(whats)} check{'s' if len(whats) > 1 else ''} model"
        f"{'' if len(whats) > 1 else 's'} {len(sc)} scales only"
        + (f", {esc(why[sc])}" if sc in why else "") + ": "
        + "; ".join(esc(ctx.label(x)) for x in sc) + "."
        for sc, whats in scopes.items())
    return table("Common-method variance checks", ["Check", "Result", "Conclusion"], rows,
                 number=ctx.c.table(), cls="apa",
                 note="Checks from proper solutions only; model fits and method loadings are "
                      "in the online appendix." + scope)


def _plain_ml(ul: Mapping[str, Any], c: Mapping[str, Any]) -> bool:
    """The ULMC difference is the normal-theory likelihood-ratio test of plain ML (not a
    robust, scaled difference like the CFA marker technique's and the hypothesis tests')."""
    test = str(c.get("delta_test") or "")
    if test:
        return test.startswith("likelihood ratio")
    return str(ul.get("estimator") or "").split(" (")[0].strip() == "ML"


def _ulmc_test(ul: Mapping[str, Any], c: Mapping[str, Any]) -> str:
    """The difference test the ULMC row rests on, named in its cell."""
    test = str(c.get("delta_test") or "")
    if test:
        return f"; {esc(test)}"
    est = ul.get("estimator")
    return f"; likelihood-ratio test, {esc(str(est))}" if _plain_ml(ul, c) and est else ""


def _ulmc_conclusion(c: Mapping[str, Any], *, normal_theory: bool = False) -> str:
    """What the ULMC comparison says: a method factor that improves fit significantly is
    evidence of method variance, not a neutral "check".  A normal-theory likelihood-ratio
    difference on ordinal, non-normal items (and on the two firms of an alliance as
    independent rows) rejects too often (Satorra & Bentler, 2001), so its p below .05 is
    not read as evidence when the other models use robust tests."""
    p = c.get("delta_pvalue")
    if not is_number(p):
        return "not decided (no test of the difference)"
    if float(p) < 0.05 and normal_theory:
        return ("not decided: the method factor improves fit by the normal-theory "
                "likelihood-ratio test (p < .05), which assumes normal items and independent "
                "respondents and rejects too often when they are not, unlike the robust "
                "(scaled) tests of the other models (Satorra & Bentler, 2001); the CFA marker "
                "technique is the primary check")
    if float(p) < 0.05:
        return ("method factor improves fit (p < .05): some common-method variance; a "
                "check only, not a correction (an unmeasured method factor also takes up "
                "shared trait variance and tends to overstate method variance; the CFA "
                "marker technique is the primary check)")
    return "no method variance detected (a check only, not a correction)"


def _apa_text(text: str) -> str:
    """A sentence of the analysis with its correlations written the APA way (escaped):
    ``r_M = -0.149`` becomes r (italic) with subscript M = \u2212.15."""
    import re

    out = esc(text)
    out = re.sub(r"(?<![\w.])(-?)0\.(\d+)\b",
                 lambda m: fmt(float(f"{m.group(1)}0.{m.group(2)}"), "std"), out)
    return out.replace("r_M", "<em>r</em><sub>M</sub>")


def _decision_note(ctx: ReportContext) -> str:
    """The declared decision rule under the verdict table, its numbers tied to the JSON."""
    dec = ctx.a.get("decision")
    if not isinstance(dec, Mapping) or not is_number(dec.get("alpha")):
        return esc(ctx.a["multiple_testing"]) + " " \
            if isinstance(ctx.a.get("multiple_testing"), str) else ""
    side = ("one-sided tests in the predicted direction (the Lind\u2013Mehlum test for an "
            "inverted U)" if dec.get("sides") == "by_direction" else "two-sided tests")
    s = f"Declared rule: {side} at \u03b1 = {num(dec['alpha'], '/decision/alpha', 'std', tag='span')}"
    if dec.get("sides") == "by_direction" and one_sided_ci_text(dec["alpha"]):
        s += f" ({one_sided_ci_text(dec['alpha'])})"
    corr = dec.get("correction")
    if isinstance(corr, str):
        size = (num(dec["family_size"], "/decision/family_size", "int", tag="span")
                if is_number(dec.get("family_size")) else "the")
        s += (f", {esc(CORRECTION_NAMES.get(corr.lower(), corr))} correction over the {size} "
              "confirmatory hypotheses (the adjusted <em>p</em> decides)")
    if dec.get("equivalence") and is_number(dec.get("sesoi")):
        s += (f"; evidence of no effect when {esc(str(dec['equivalence']).upper())} rejects a "
              f"standardized effect of {num(dec['sesoi'], '/decision/sesoi', 'std', tag='span')}")
        if is_number(dec.get("equivalence_alpha")):
            s += (" (\u03b1 = "
                  f"{num(dec['equivalence_alpha'], '/decision/equivalence_alpha', 'std', tag='span')})")
    hyps = [h for h in ctx.a.get("hypotheses") or [] if isinstance(h, Mapping)
            and not h.get("exploratory")]
    n_sup = sum(1 for h in hyps if h.get("verdict") == "supported")
    s += (f". Supported: {n_sup} of {len(hyps)}. Exploratory hypotheses: two-sided, "
          "unadjusted, no verdict. ")
    return s


#: Names of the p-value corrections as written in a results section.
CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "hochberg": "Hochberg",
                    "fdr_bh": "Benjamini\u2013Hochberg", "bh": "Benjamini\u2013Hochberg",
                    "none": "no"}


def _p_text(p: Any, path: str) -> str:
    """``= .002`` or ``< .001`` with the number tied to its JSON path."""
    if is_number(p) and float(p) < 0.001:
        return num(p, path, "p", tag="span")
    return "= " + num(p, path, "p", tag="span")


# ------------------------------------------------------------------- structural
def _corrected_scores(s: Any) -> str:
    """How the path model on composites treats measurement error, when it fixed the error
    variances of its scale scores: a reader of "composite scale scores" assumes scores
    taken as error-free, and these estimates are corrected for unreliability."""
    ev = s.get("error_variances") if isinstance(s, Mapping) else None
    if not (isinstance(ev, Mapping) and ev):
        return ""
    return (" (each scale score, and a sum of scale scores, a single-indicator latent "
            "variable whose error variance is fixed from Cronbach's \u03b1, the score's "
            "variance times 1 \u2212 \u03b1: a correction for its unreliability; variables "
            "without a reliability, such as difference indices and the controls, observed "
            "and taken as error-free)")


def _which_model(s: Any) -> str:
    """Say which model the structural table and diagram show when the hypotheses are
    tested in another one (their estimates of the same path differ), and how that model
    treats the scores' measurement error."""
    lat = s.get("latent_model") if isinstance(s, Mapping) else None
    corrected = _corrected_scores(s)
    if not (isinstance(lat, Mapping) and lat.get("available") is not False
            and isinstance(lat.get("fit"), Mapping)):
        return (f"Estimates of the path model on composite scale scores{corrected}. "
                if corrected else "")
    return (f"Estimates of the path model on composite scale scores{corrected}; the "
            "hypothesis tests use the latent structural model (its fit in the global fit "
            "table), so their estimates of the same paths differ. ")


def structural(ctx: ReportContext) -> str:
    from .structural import diagram_svg

    parts = []
    svg = diagram_svg(ctx)
    if svg is not None:
        parts.append(ctx.figure(
            svg, "Path diagram of the structural model with standardized estimates. Solid "
            "arrows: <em>p</em> &lt; .05; dashed: not significant; " + _stars_note()
            + " Ellipses are latent variables with several indicators, boxes scale scores "
            "and indices; control variables, measurement paths and covariances are omitted. "
            + _which_model(ctx.a.get("structural")).rstrip()))
    s = ctx.a.get("structural")
    if not isinstance(s, Mapping) or s.get("available") is False:
        parts.append(ctx.missing("the structural model"
                                 + (f": {s.get('reason', 'not run')}" if isinstance(s, Mapping)
                                    else " (the analysis has no 'structural').")))
        return "\n".join(parts)
    key = first_key(s, "params", "paths", "regressions")
    recs = s.get(key) if key else None
    rows = []
    last = None
    if isinstance(recs, list):
        for i, r in enumerate(recs):
            if not isinstance(r, Mapping) or r.get("op", "~") != "~":
                continue
            p = join("/structural", key, i)
            lhs = str(r.get("lhs"))
            if lhs != last:
                rows.append([f'<th class="group" colspan="7">{esc(ctx.label(lhs))}</th>'])
                last = lhs
            rows.append([
                text_cell(ctx.label(r.get("rhs")), tag="th", cls="text indent"),
                *(num(r.get(k), join(p, k), kind) if k in r else '<td class="empty"></td>'
                  for k, kind in (("est", "est"), ("se", "est"))),
                ci_cell(r.get("ci_lower"), r.get("ci_upper"), join(p, "ci_lower"),
                        join(p, "ci_upper")) if "ci_lower" in r else '<td class="empty"></td>',
                num(r.get("std_all"), join(p, "std_all"), "std") if "std_all" in r
                else '<td class="empty"></td>',
                num(r.get("pvalue"), join(p, "pvalue"), "p") if "pvalue" in r
                else '<td class="empty"></td>'])
    if rows:
        parts.append(table("Structural model: unstandardized and standardized estimates",
                           ["Outcome / predictor", "B", "SE", "95% CI", "\u03b2", "p"], rows,
                           number=ctx.c.table(), cls="apa",
                           note="<em>B</em> = unstandardized estimate with its 95% confidence "
                                "interval; \u03b2 = completely standardized estimate; "
                                "two-sided <em>p</em>. " + _which_model(s)
                                + "Variances, covariances and intercepts "
                                "are in the online appendix."))
    r2 = s.get("r2")
    if isinstance(r2, Mapping):
        structural_r2 = [(k, v) for k, v in r2.items() if not str(k).endswith("__obs")]
        if structural_r2:
            parts.append(table(
                "Explained variance (R\u00b2) of the endogenous constructs",
                ["Construct", "R\u00b2"],
                [[text_cell(ctx.label(k), tag="th", cls="text"),
                  num(v, join("/structural/r2", k), "rel")] for k, v in structural_r2],
                number=ctx.c.table(), cls="apa",
                note="Structural R\u00b2 only; the indicator reliabilities (R\u00b2 of the "
                     "single indicators) are in the online appendix."))
    return "\n".join(parts)


# ------------------------------------------------------------------ hypotheses
def hypotheses(ctx: ReportContext) -> str:
    hyps = ctx.a.get("hypotheses")
    if is_empty(hyps) or not isinstance(hyps, list):
        return ctx.missing("hypothesis tests (the analysis has no 'hypotheses').")
    rows = []
    fam: dict[str, list[tuple[str, float, float | None, float | None]]] = {}
    # a standardized column when the analysis gives one: the estimates' metrics differ by
    # method, and an effect size a reader can compare is asked for beside each verdict
    has_std = any(isinstance(h, Mapping) and is_number(h.get("std_estimate")) for h in hyps)
    for i, h in enumerate(hyps):
        if not isinstance(h, Mapping):
            continue
        p = pointer("hypotheses", i)
        verdict = str(h.get("verdict") or "not tested")
        vcls = "verdict-" + verdict.lower().replace(" ", "-").replace(":", "")
        rows.append([
            text_cell(h.get("id", ""), tag="th"),
            f'<td class="text">{esc(h.get("statement", ""))}</td>',
            text_cell(SIGNS.get(str(h.get("expected_sign", "")), h.get("expected_sign", ""))),
            num(h.get("estimate"), join(p, "estimate"), "est"),
            ci_cell(h.get("ci_lower"), h.get("ci_upper"), join(p, "ci_lower"),
                    join(p, "ci_upper")),
            *([num(h.get("std_estimate"), join(p, "std_estimate"), "std")] if has_std else []),
            num(h.get("pvalue"), join(p, "pvalue"), "p"),
            num(h.get("pvalue_adjusted"), join(p, "pvalue_adjusted"), "p")
            if "pvalue_adjusted" in h else '<td class="empty"></td>',
            f'<td class="text {esc(vcls)}">{esc(verdict_label(verdict))}</td>'])
        est = h.get("estimate")
        if is_number(est) and math.isfinite(float(est)):
            lo, hi = h.get("ci_lower"), h.get("ci_upper")
            ok = is_number(lo) and is_number(hi)
            family = FAMILIES.get(str(h.get("method", "")), "Other estimates")
            fam.setdefault(family, []).append(
                (str(h.get("id", i)), float(est), float(lo) if ok else None,
                 float(hi) if ok else None))
    rule = _decision_note(ctx)
    small = [str(h.get("id", "")) for h in hyps if isinstance(h, Mapping) and below_sesoi(h)]
    if small:
        # a verdict by p alone at a large N: the table says which supported effects are
        # smaller than the declared smallest effect size of interest
        rule += (f"{esc(', '.join(small))}: supported, with an estimate smaller than the "
                 "smallest effect size of interest (significant, not shown to be large "
                 "enough to matter). ")
    out = table("Hypothesis tests and verdicts",
                ["H", "Hypothesis", "Sign", "Estimate", "95% CI", *(["β"] if has_std else []),
                 "p", "p (adj.)", "Verdict"],
                rows, number=ctx.c.table(), cls="apa verdicts",
                note=rule + "Estimates in the metric of each test's method (see Figure "
                "legends and the online appendix for the model of each test)"
                + ("; β: the same estimate standardized (per SD of the predictor and the "
                   "outcome; for products and squares per SD of each factor), comparable "
                   "across the tests" if has_std else "")
                + "; <em>p</em>: the "
                "declared test; <em>p</em> (adj.): after the declared correction over the "
                "confirmatory family, the <em>p</em> the verdict uses.")
    if fam:
        out += ctx.figure(figures.forest_panels(list(fam.items()), name="fig-forest"),
                          "Hypothesis estimates with 95% confidence intervals, one panel per "
                          "metric (estimates of different metrics are not comparable).")
    return out


# ---------------------------------------------------------------------- effects
def _coef(rows: Any, term: str) -> float | None:
    for r in rows or []:
        if isinstance(r, Mapping) and r.get("term") == term and is_number(r.get("estimate")):
            return float(r["estimate"])
    return None


def _product_p(m: Mapping[str, Any]) -> Any:
    """The two-sided p of a moderated regression's product term (``x:m``)."""
    for r in m.get("coefficients") or []:
        if isinstance(r, Mapping) and ":" in str(r.get("term", "")):
            return r.get("pvalue")
    return None


def _plotted_model(ctx: ReportContext, hid: str) -> str:
    """What a figure of hypothesis ``hid`` shows beside its verdict: the figures plot the
    regression on composite scores, which is the robustness model when the verdict comes
    from a latent model, and only a description when the hypothesis was not tested."""
    h = next((h for h in ctx.a.get("hypotheses") or []
              if isinstance(h, Mapping) and str(h.get("id")) == hid), None)
    out = "regression on composite scores"
    if isinstance(h, Mapping):
        if str(h.get("model") or "").lower().startswith("latent"):
            out += ", the robustness model; the verdict comes from the latent model"
        if untested_reason(h) or not is_number(h.get("estimate")):
            out += "; the hypothesis was not tested, so the plot only describes the data"
    return out


def effects(ctx: ReportContext) -> str:
    parts = []
    holders: list[tuple[str, Mapping[str, Any]]] = []
    mod = ctx.a.get("moderation")
    if isinstance(mod, Mapping):
        holders += [(k, v) for k, v in mod.items() if isinstance(v, Mapping)]
    for h in ctx.a.get("hypotheses") or []:
        if isinstance(h, Mapping) and isinstance(h.get("details"), Mapping) and \
                "simple_slopes" in h["details"]:
            holders.append((str(h.get("id", "")), h["details"]))
    for hid, m in holders:
        lines = []
        for r in m.get("simple_slopes") or []:
            if isinstance(r, Mapping) and is_number(r.get("slope")) and \
                    is_number(r.get("intercept")):
                lines.append((str(r.get("level", "")), float(r["intercept"]), float(r["slope"])))
        jn = m.get("johnson_neyman") if isinstance(m.get("johnson_neyman"), Mapping) else {}
        curve = [(float(r["moderator"]), float(r["slope"]), float(r["ci_lower"]),
                  float(r["ci_upper"])) for r in jn.get("curve") or []
                 if isinstance(r, Mapping) and all(is_number(r.get(k)) for k in (
                     "moderator", "slope", "ci_lower", "ci_upper"))]
        if not lines:
            continue
        xr = m.get("x_range")
        x_range = (float(xr[0]), float(xr[1])) if isinstance(xr, list) and len(xr) == 2 \
            and all(is_number(x) for x in xr) else (-1.0, 1.0)
        focal, moder = m.get("focal", "focal predictor"), m.get("moderator", "moderator")
        svg = figures.slopes_and_region(
            lines, x_range, curve, xlabel=ctx.label(focal), ylabel=ctx.label(
                m.get("outcome", "outcome")), mlabel=ctx.label(moder),
            name=f"fig-mod-{hid}")
        parts.append(ctx.figure(svg, (
            f"{esc(hid)} ({esc(_plotted_model(ctx, hid))}): simple slopes of "
            f"{esc(ctx.label(focal))} at low (\u22121 SD), mean "
            f"and high (+1 SD) {esc(ctx.label(moder))} (left) and the Johnson\u2013Neyman "
            "plot (right): the conditional slope with its 95% CI; shaded: the region of "
            "the moderator where the slope differs from zero."
            + (crossing(lines, *x_range, focal=_low(ctx.label(focal)),
                        moderator=_low(ctx.label(moder)),
                        outcome=_low(ctx.label(m.get("outcome", "outcome"))),
                        where="its observed range", product_p=_product_p(m))
               if isinstance(xr, list) else ""))))
    quad = ctx.a.get("quadratic")
    for hid, q in (quad.items() if isinstance(quad, Mapping) else []):
        if not isinstance(q, Mapping):
            continue
        x = str(q.get("x", "x"))
        b1, b2 = _coef(q.get("coefficients"), x), _coef(q.get("coefficients"), f"{x}^2")
        xr = q.get("x_range")
        if b1 is None or b2 is None or not (isinstance(xr, list) and len(xr) == 2):
            continue
        tp = q.get("turning_point")
        fl, fu = q.get("tp_fieller_lower"), q.get("tp_fieller_upper")
        svg = figures.inverted_u(b1, b2, (float(xr[0]), float(xr[1])),
                                 float(tp) if is_number(tp) else None,
                                 (float(fl), float(fu)) if is_number(fl) and is_number(fu)
                                 else None, xlabel=ctx.label(x),
                                 ylabel=ctx.label(q.get("outcome", "outcome")),
                                 name=f"fig-quad-{hid}")
        fieller = ("its Fieller 95% interval shaded" if is_number(fl) and is_number(fu) else
                   "the Fieller 95% interval is unbounded (the curvature is not significant), "
                   "so none is drawn")
        parts.append(ctx.figure(svg, (
            f"{esc(hid)} ({esc(_plotted_model(ctx, hid))}): the quadratic effect of "
            f"{esc(ctx.label(x))} on "
            f"{esc(ctx.label(q.get('outcome', 'outcome')))} over the observed range (other "
            f"predictors held constant; change relative to the lowest value). Turning point "
            f"{num(tp, join('/quadratic', hid, 'turning_point'), figures.TURNING_KIND, tag='span')}"
            f"{' (outside the observed range)' if is_number(tp) and not float(xr[0]) <= float(tp) <= float(xr[1]) else ''}"
            f"; {fieller}.")))
    rsa = ctx.a.get("response_surface")
    for hid, r in (rsa.items() if isinstance(rsa, Mapping) else []):
        if not isinstance(r, Mapping):
            continue
        co = r.get("coefficients")
        b = [_coef(co, t) for t in ("x", "y", "x^2", "x*y", "y^2")]
        if any(v is None for v in b) or not is_number(r.get("center")):
            continue
        c = float(r["center"])
        svg = figures.response_surface([float(v) for v in b if v is not None], c,
                                       xlabel=ctx.label(r.get("x", "x")),
                                       ylabel=ctx.label(r.get("y", "y")),
                                       zlabel=ctx.label(r.get("z", "z")),
                                       name=f"fig-rsa-{hid}")
        parts.append(ctx.figure(svg, (
            f"{esc(hid)}: response surface of {esc(ctx.label(r.get('z', 'z')))} on "
            f"{esc(ctx.label(r.get('x', 'x')))} and {esc(ctx.label(r.get('y', 'y')))} "
            "(polynomial regression, controls held constant; predicted change relative to "
            f"both at the centre {num(r['center'], join('/response_surface', hid, 'center'), 'est', tag='span')}"
            "). Solid line: line of congruence (x = y); dashed: line of incongruence "
            "(x = \u2212y through the centre).")))
    if not parts:
        return ctx.missing("moderation, curvilinear and response-surface results for plots.")
    return "\n".join(parts)


__all__ = ["descriptives", "effects", "fit", "hypotheses", "invariance", "measurement",
           "method_variance", "sample", "structural"]
