"""Caveats of the Results that a methods reviewer looks for beside the verdicts: items that
measure little of their construct, verdicts resting on unreliable scales, nearly collinear
predictors of the path model, and a response surface read where there are no data.

Each function returns HTML text (empty when there is nothing to say); the numbers they
compute themselves (a VIF) carry no JSON pointer, those they show from the analysis do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis.study.dependence import INDEX_COLUMNS

from ..fmt import fmt, is_number
from ..html import esc, join, num
from .common import ReportContext, first_key

#: A standardized loading below this (in absolute value) leaves the item with less than
#: a sixth of its variance from the construct: named in the Results.
WEAK_LOADING = 0.40
#: Cronbach's alpha below this flags a scale (the pipeline's ALPHA_THRESHOLD; Nunnally 1978).
ALPHA_MIN = 0.70
#: A variance inflation factor at or above this is read as a collinearity problem
#: (Hair et al., 2019).
VIF_MAX = 5.0
#: Dependence indices (the study's own list) and the scales they are computed from.
INDEX_SCALES = dict.fromkeys(INDEX_COLUMNS, ("dep_own", "dep_partner"))


def _n(value: Any, path: str | None, kind: str) -> str:
    return num(value, path, kind, tag="span")


def lower_label(text: str) -> str:
    """A label inside a sentence: its first letter lower case unless it starts an acronym
    ("Trust" -> "trust", "HTMT" stays)."""
    return text[:1].lower() + text[1:] if text[1:2] != text[1:2].upper() else text


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _rel(value: float, path: str) -> str:
    """A coefficient against a cut-off: three decimals where two would round it onto the
    cut-off (.699 shown as ".70" beside "below .70")."""
    return _n(value, path, "rel" if fmt(value, "rel") != fmt(ALPHA_MIN, "rel") else "fit")


def loadings_by_factor(m: Mapping[str, Any]) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """The measurement model's loadings by factor, each with its JSON pointer (the
    pipeline's ``{factor: [records]}`` or a flat list of records with ``factor``)."""
    lk = first_key(m, "loadings", "standardized_loadings")
    out: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    if not lk:
        return out
    val = m[lk]
    base = join("/measurement", lk)
    if isinstance(val, Mapping):
        for f, recs in val.items():
            if isinstance(recs, list):
                out[str(f)] = [(join(base, f, i), r) for i, r in enumerate(recs)
                               if isinstance(r, Mapping)]
    elif isinstance(val, list):
        for i, r in enumerate(val):
            if isinstance(r, Mapping):
                f = str(r.get("factor", r.get("lhs", "")))
                out.setdefault(f, []).append((join(base, i), r))
    return out


def weak_items(ctx: ReportContext) -> str:
    """Items of a proper measurement model whose standardized loading is below .40 (or
    negative), reverse-keyed ones marked: a misread reversed item (knowledge_integration_5,
    read as positive by 45 % of the respondents, loaded .10) was shown in the loadings
    table only, beside an AVE remark that did not name it."""
    m = ctx.a.get("measurement")
    if not isinstance(m, Mapping) or m.get("available") is False or m.get("improper") \
            or m.get("converged") is False:
        return ""
    rev = ctx.x.get("reverse_items")
    reverse = {str(x) for x in rev} if isinstance(rev, list | tuple) else set()
    weak, neg, weak_rev = [], [], 0
    for f, recs in loadings_by_factor(m).items():
        for path, r in recs:
            v = r.get("std_all")
            # a negative loading of any size is named: -.54 (an item three in four
            # respondents read the other way) had been left out for |-.54| >= .40
            if not is_number(v) or float(v) >= WEAK_LOADING:
                continue
            item = str(r.get("item", r.get("rhs", "")))
            is_rev = item in reverse
            weak_rev += is_rev
            (neg if float(v) <= -WEAK_LOADING else weak).append(
                f"{esc(item)} of {esc(ctx.label(f))} (\u03bb = "
                f"{_n(v, join(path, 'std_all'), 'std')}"
                + (", reverse-keyed" if is_rev else "") + ")")
    if not weak and not neg:
        return ""
    s = ""
    if neg:
        one = len(neg) == 1
        s += (f" {'An item loads' if one else 'Items load'} strongly negatively on "
              f"{'its' if one else 'their'} construct after the instrument's recoding: "
              f"{_and(neg)}; {'it runs' if one else 'they run'} against the other items "
              "of the scale, so the scale score that averages "
              f"{'it' if one else 'them'} in cancels part of what the other items measure "
              "and Cronbach's alpha falls")
    if weak:
        one = len(weak) == 1
        s += (("." if s else "")
              + f" {'An item loads' if one else 'Items load'} below .40 on "
              f"{'its' if one else 'their'} construct, far below the conventional .708: "
              f"{_and(weak)}; {'it shares' if one else 'they share'} less than a sixth of "
              f"{'its' if one else 'their'} variance with the construct and dilute"
              f"{'s' if one else ''} the scale score that averages {'it' if one else 'them'}"
              " in")
    if weak_rev:
        s += ("; a reverse-keyed item that loads low or negatively is a common sign that "
              "respondents misread its reversed wording or answered it with an agreement "
              "tendency (Weijters &amp; Baumgartner, 2012), which the recoding does not "
              "repair")
    if any("reverse-keyed" not in x for x in neg) and reverse:
        s += ("; an item not declared reverse-keyed that loads negatively is worded against "
              "its construct, is missing its reverse key in the instrument, or was read the "
              "other way by many respondents: check its wording and key before scoring")
    elif not reverse:
        s += ("; if an item is reverse-keyed, a low or negative loading is a common sign "
              "that respondents misread its reversed wording (Weijters &amp; Baumgartner, "
              "2012)")
    return s + "."


def _scales_of(ctx: ReportContext, h: Mapping[str, Any]) -> set[str]:
    """The scales a hypothesis rests on (the row's ``scales``, else the names in its test,
    dependence indices resolved to the two dependence scales)."""
    sc = h.get("scales")
    names = {str(x) for x in sc} if isinstance(sc, list) else set()
    for t in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(h.get("test", ""))):
        names.add(t)
        names.update(INDEX_SCALES.get(t.removeprefix("dyad_"), ()))
    return names


def unreliable(ctx: ReportContext) -> str:
    """Confirmatory verdicts resting on a scale whose Cronbach's alpha is below .70,
    named before the verdicts.  H1 (learning ~ jd_sum) rested on dep_partner (alpha
    -.11: items answered at the floor at random) through the joint-dependence index; the
    row's reliability flag looked at the test's own names only, and the Results said
    nothing."""
    rel = ctx.a.get("reliability")
    if not isinstance(rel, Mapping):
        return ""
    low = {str(k): float(v["alpha"]) for k, v in rel.items() if isinstance(v, Mapping)
           and is_number(v.get("alpha")) and float(v["alpha"]) < ALPHA_MIN}
    if not low:
        return ""
    bits = []
    for s, a in low.items():
        ids = [str(h.get("id", "")) for h in ctx.a.get("hypotheses") or []
               if isinstance(h, Mapping) and not h.get("exploratory")
               and s in _scales_of(ctx, h)]
        if not ids:
            continue
        bit = (f"{esc(ctx.label(s))} (Cronbach's \u03b1 = "
               f"{_rel(a, join('/reliability', s, 'alpha'))}"
               + ("; a negative \u03b1 means its items correlate negatively on average, "
                  "which points to a coding or reverse-keying error or to items that do "
                  "not measure one thing" if a < 0 else "")
               + f"), on which {esc(', '.join(ids))} rest{'s' if len(ids) == 1 else ''}")
        bits.append(bit)
    if not bits:
        return ""
    return (" Some verdicts rest on a scale whose reliability is below the conventional .70 "
            "(Nunnally, 1978), directly or through a dependence index computed from it: "
            + "; ".join(bits) + ". Measurement error of such a score attenuates its "
            "associations and makes these verdicts uncertain.")


def _regressions(syntax: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in syntax.replace(";", "\n").splitlines():
        line = line.split("#", 1)[0].strip()
        if "~" not in line or "=~" in line or "~~" in line or ":=" in line:
            continue
        lhs, rhs = (x.strip() for x in line.split("~", 1))
        terms = [t.strip().split("*")[-1].strip() for t in rhs.split("+")]
        out.setdefault(lhs, []).extend(t for t in terms if t and t != "1")
    return out


def collinearity(ctx: ReportContext) -> str:
    """Nearly collinear predictors of an equation of the path model (VIF from the scores'
    correlations at or above 5), with the confirmatory hypotheses on their paths.  Joint
    dependence and absolute asymmetry correlated .95 when the partner's dependence sat at
    the floor; H1's path was judged without a word of it."""
    st = ctx.a.get("structural")
    syntax = st.get("syntax") if isinstance(st, Mapping) else None
    corr = ctx.a.get("correlations")
    if not isinstance(syntax, str) or not isinstance(corr, Mapping):
        return ""
    bits, flagged = [], set()
    for lhs, preds in _regressions(syntax).items():
        xs = [p for p in dict.fromkeys(preds) if isinstance(corr.get(p), Mapping)]
        if len(xs) < 2:
            continue
        r = np.array([[corr[a].get(b) if is_number(corr[a].get(b)) else np.nan
                       for b in xs] for a in xs], dtype=float)
        if not np.all(np.isfinite(r)) or np.linalg.eigvalsh(r).min() <= 1e-10:
            continue
        vif = np.diag(np.linalg.inv(r))
        hi = [i for i in range(len(xs)) if vif[i] >= VIF_MAX]
        if not hi:
            continue
        names = [f"{esc(ctx.label(xs[i]))} (VIF = {esc(fmt(vif[i], 'pct'))})" for i in hi]
        flagged.update((lhs, xs[i]) for i in hi)
        # the most correlated pair that involves a collinear predictor
        i, j = max(((i, j) for i in hi for j in range(len(xs)) if j != i),
                   key=lambda t: abs(r[t]))
        names.append(f"the closest pair, {esc(ctx.label(xs[i]))} and "
                     f"{esc(ctx.label(xs[j]))}, correlating "
                     f"{_n(r[i, j], join('/correlations', xs[i], xs[j]), 'std')}")
        bits.append(f"predicting {esc(ctx.label(lhs))}, {_and(names[:-1])}, {names[-1]}")
    if not bits:
        return ""
    ids = []
    for h in ctx.a.get("hypotheses") or []:
        if not isinstance(h, Mapping) or h.get("exploratory"):
            continue
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(h.get("test", ""))))
        if any(lhs in words and x in words for lhs, x in flagged):
            ids.append(str(h.get("id", "")))
    return (" Some predictors of the path model are nearly collinear (variance inflation "
            "factors from the scores' correlations, the controls left out, so at least "
            "these; 5 or more signals a problem, Hair et al., 2019): " + "; ".join(bits)
            + ". Their separate paths are estimated with inflated standard errors and can "
            "hardly be told apart"
            + (f", and {esc(', '.join(ids))} rest{'s' if len(ids) == 1 else ''} on such a "
               "path" if ids else "") + ".")


def rsa_range(ctx: ReportContext, h: Mapping[str, Any]) -> str:
    """A response surface whose parameters are read at a point outside the observed range
    of one predictor: a4 = -2.52 described the surface at dep_own = dep_partner = 2.84,
    where no respondent was (dep_partner 1.0 to 1.8)."""
    hid = str(h.get("id", ""))
    rs = ctx.a.get("response_surface")
    part = rs.get(hid) if isinstance(rs, Mapping) else None
    de = ctx.a.get("descriptives")
    if not isinstance(part, Mapping) or not is_number(part.get("center")) \
            or not isinstance(de, Mapping):
        return ""
    c = float(part["center"])
    base = join("/response_surface", hid)
    out = []
    for k in ("x", "y"):
        v = str(part.get(k, ""))
        d = de.get(v)
        if not isinstance(d, Mapping) or not (is_number(d.get("min"))
                                              and is_number(d.get("max"))):
            continue
        if float(d["min"]) <= c <= float(d["max"]):
            continue
        dp = join("/descriptives", v)
        out.append(f"{esc(ctx.label(v))} ranges from {_n(d['min'], join(dp, 'min'), 'chisq')}"
                   f" to {_n(d['max'], join(dp, 'max'), 'chisq')}"
                   + (f" (SD {_n(d['sd'], join(dp, 'sd'), 'chisq')})"
                      if is_number(d.get("sd")) else ""))
    if not out:
        return ""
    return (f" Its response-surface parameters describe the surface at the point where both "
            f"scores equal {_n(c, join(base, 'center'), 'chisq')} (their pooled mean), "
            f"where no respondent was: {_and(out)}, so the curvature tested is an "
            "extrapolation beyond the data, not a shape the data show.")


def dyadic_comparison(h: Mapping[str, Any]) -> str:
    """The test that answers the dyadic question (Williams' t of the two predictors'
    correlations with the outcome), from the row's note: the sentence gave the dyad-level
    index's own slope and p (.100) as if they answered whether it predicts at least as
    well as one informant's perception (Williams' p = .595)."""
    if str(h.get("method")) != "dyadic":
        return ""
    m = re.search(r"R2 (\S+) = ([0-9.]+) vs (\S+) = ([0-9.]+); Williams' t\((\d+)\) = "
                  r"(-?[0-9.]+), p = ([0-9.eE+-]+)", str(h.get("note") or ""))
    if not m:
        return ""
    r2a, r2b, df, t, p = (float(m.group(k)) for k in (2, 4, 5, 6, 7))
    p_text = "<em>p</em> < .001" if p < 0.001 else f"<em>p</em> = {esc(fmt(p, 'p'))}"
    return (f"; that is the slope of the dyad-level index alone, and the comparison of the two "
            f"predictors, which answers the question, gives <em>R</em>\u00b2 = "
            f"{esc(fmt(r2a, 'fit'))} vs {esc(fmt(r2b, 'fit'))}, Williams' "
            f"<em>t</em>({int(df)}) = {esc(fmt(t, 'chisq'))}, {p_text} (two-sided, "
            "unadjusted)")


def dyadic_check(ctx: ReportContext, h: Mapping[str, Any]) -> str:
    """Which of H10's two computations answers it: the declared test (both firms' rows,
    the alliances as the cases of Williams' t) gives the answer; the dyadic section's
    comparison on one row per alliance (the outcome averaged over both reports, each
    firm's perception a predictor of its own) is a check.  The report gave both, with R²
    of .117 vs .132 in the text and .183 vs .165 and .200 in the appendix, and did not
    say which was the answer."""
    if str(h.get("method")) != "dyadic" or not dyadic_comparison(h):
        return ""
    dy = ctx.a.get("dyadic")
    h10 = dy.get("h10") if isinstance(dy, Mapping) else None
    models = h10.get("models") if isinstance(h10, Mapping) else None
    comps = h10.get("comparisons") if isinstance(h10, Mapping) else None
    if not (isinstance(models, Mapping) and isinstance(comps, Mapping)):
        return ""
    base = "/dyadic/h10"
    two = models.get("two_informants")
    sides = [(k, models.get(f"informant_{k}"), comps.get(f"two_vs_{k}")) for k in ("A", "B")]
    if not (isinstance(two, Mapping) and is_number(two.get("r2"))
            and all(isinstance(m, Mapping) and is_number(m.get("r2"))
                    and isinstance(c, Mapping) and is_number(c.get("pvalue"))
                    for _, m, c in sides)):
        return ""
    r2s = " and ".join(
        f"{_n(m['r2'], join(base, 'models', f'informant_{k}', 'r2'), 'fit')} (firm {k}'s "
        "perception)" for k, m, _ in sides)
    ps = " and ".join(_n(c["pvalue"], join(base, "comparisons", f"two_vs_{k}", "pvalue"), "p")
                      for k, _, c in sides)
    n_dy = h10.get("n_dyads")
    return (" The test declared before the data were collected (above), on both firms' rows "
            "with the alliances as the cases, "
            "gives the answer; the dyadic section repeats the comparison with one row per "
            "alliance"
            + (f" ({_n(n_dy, join(base, 'n_dyads'), 'int')} dyads)" if is_number(n_dy)
               else "")
            + ", value creation averaged over both reports and each firm's perception of the "
            f"partner as a predictor of its own (<em>R</em>\u00b2 = "
            f"{_n(two['r2'], join(base, 'models', 'two_informants', 'r2'), 'fit')} for both "
            f"self-reports vs {r2s}; Williams' <em>p</em> = {ps}), as a check, not a second "
            "answer.")


def cross_sectional(ctx: ReportContext) -> str:
    """What a supported verdict on cross-sectional survey data means: the hypotheses name causal
    directions ("increases", "mediates the effect"), and the report called them supported
    without a word that the data cannot order cause and effect."""
    hyps = [h for h in ctx.a.get("hypotheses") or []
            if isinstance(h, Mapping) and not h.get("exploratory")]
    if not hyps:
        return ""
    s = (" The data are cross-sectional (each respondent answered every scale at the same "
         "time): a supported hypothesis is an association "
         "with the predicted sign that survived the declared test, not evidence of the causal "
         "direction its statement names")
    med = [str(h.get("id", "")) for h in hyps
           if str(h.get("method", "")).startswith("mediation")]
    if med:
        s += (f"; the indirect effect{'s' if len(med) > 1 else ''} of {esc(', '.join(med))} "
              "are cross-sectional estimates of a process that unfolds over time, which can "
              "be biased as estimates of longitudinal mediation (Maxwell &amp; Cole, 2007)"
              if len(med) > 1 else
              f"; the indirect effect of {esc(med[0])} is a cross-sectional estimate of a "
              "process that unfolds over time, which can be biased as an estimate of "
              "longitudinal mediation (Maxwell &amp; Cole, 2007)")
    return s + "."


#: A zero-order correlation smaller than this in size has no sign worth comparing with
#: a path's (a reversal from r = .01 to a negative path is no reversal a reader could see).
R_SIGNED = 0.05


def _model_line(ctx: ReportContext, outcome: str) -> list[str]:
    """The predictors of ``outcome`` in the structural path model's syntax (empty when the
    analysis has none)."""
    s = ctx.a.get("structural")
    syntax = s.get("syntax") if isinstance(s, Mapping) else None
    for line in str(syntax or "").splitlines():
        lhs, op, rhs = line.partition("~")
        if op and not rhs.startswith(("~", "=")) and lhs.strip() == outcome:
            return [t.strip() for t in rhs.split("+") if re.fullmatch(r"\w+", t.strip())]
    return []


def sign_reversal(ctx: ReportContext, h: Mapping[str, Any], i: int) -> str:
    """A path whose estimate differs clearly from zero (its 95% CI excludes it) with the
    sign opposite to its zero-order correlation: trust correlated r = .08 with relationship
    learning and its path was B = -0.16, 95% CI [-0.30, -0.02], with nothing in the Results to say that the sign
    belongs to trust net of joint dependence (a suppression pattern), not to trust's
    association with learning."""
    if str(h.get("method")) != "sem_path" or not is_number(h.get("estimate")):
        return ""
    m = re.fullmatch(r"\s*(\w+)\s*~\s*(\w+)\s*", str(h.get("test", "")))
    corr = ctx.a.get("correlations")
    if not (m and isinstance(corr, Mapping)):
        return ""
    y, x = m.group(1), m.group(2)
    r = corr.get(y).get(x) if isinstance(corr.get(y), Mapping) else None
    lo, hi = h.get("ci_lower"), h.get("ci_upper")
    if not (is_number(r) and abs(float(r)) < 1 and is_number(lo) and is_number(hi)):
        return ""
    est_sign = 1 if float(lo) > 0 else -1 if float(hi) < 0 else 0
    if est_sign == 0 or abs(float(r)) < R_SIGNED or est_sign * float(r) > 0:
        return ""
    def low(v: str) -> str:
        return esc(lower_label(ctx.label(v)))

    others = [low(v) for v in _model_line(ctx, y) if v != x]
    net = (f"once {_and(others)} are held constant" if others
           else "once the model's other predictors are held constant")
    return (f" Its zero-order correlation has the other sign "
            f"(<em>r</em> = {_n(r, join('/correlations', y, x), 'std')}): the sign of the "
            f"path appears only {net}, a suppression pattern (Cohen, Cohen, West &amp; "
            "Aiken, 2003), so it describes " + low(x) + " net of those "
            "predictors, depends on which of them the model includes, and is not the "
            "association a reader sees in the correlation table.")


def perception_agreement(ctx: ReportContext) -> str:
    """How well one firm's perception of its partner's dependence agrees with the partner's
    own report, where some alliances have both firms: 47 of 93 alliances were dyads, the
    perceptions correlated r = .18 with the partners' self-reports, and the Results said
    nothing, while the dependence indices of the confirmatory tests are built from those
    perceptions."""
    dy = ctx.a.get("dyadic")
    per = dy.get("perception") if isinstance(dy, Mapping) else None
    pooled = per.get("pooled") if isinstance(per, Mapping) else None
    if not (isinstance(pooled, Mapping) and all(
            is_number(pooled.get(k)) for k in ("r", "n", "mean_abs_gap"))
            and is_number(dy.get("n_dyads")) and int(dy["n_dyads"]) > 0):
        return ""
    base = "/dyadic/perception/pooled"
    uses = [str(h.get("id", "")) for h in ctx.a.get("hypotheses") or []
            if isinstance(h, Mapping) and not h.get("exploratory")
            and any(re.search(rf"\b{t}\b", str(h.get("test", "")))
                    for t in (*INDEX_COLUMNS, "dep_partner"))]
    p = pooled.get("r_pvalue")
    s = (f" In the {_n(dy['n_dyads'], '/dyadic/n_dyads', 'int')} alliances answered by both "
         "firms, a firm's perception of its partner's dependence correlated "
         f"<em>r</em> = {_n(pooled['r'], join(base, 'r'), 'std')}"
         + (f" (<em>p</em> {'= ' if float(p) >= 0.001 else ''}"
            f"{_n(p, join(base, 'r_pvalue'), 'p')}, "
            f"{_n(pooled['n'], join(base, 'n'), 'int')} reports, clustered by alliance)"
            if is_number(p) else "")
         + " with the partner's own report and differed from it by "
         f"{_n(pooled['mean_abs_gap'], join(base, 'mean_abs_gap'), 'chisq')} scale points on "
         "average")
    if float(pooled["r"]) >= 0.5:
        return s + "."
    return (s + ": the partners' views of who depends on whom agree poorly, and "
            + (f"{esc(', '.join(uses))} use{'s' if len(uses) == 1 else ''} "
               if uses else "the dependence indices use ")
            + "each respondent's perception of the partner's dependence, so their joint "
            "dependence and asymmetry describe how one side sees the relationship, not a "
            "dependence structure both firms report.")


def crossing(lines: list[tuple[str, float, float]], lo: float, hi: float, *, focal: str,
             moderator: str, outcome: str, where: str, product_p: Any) -> str:
    """The point where the simple-slope lines of the lowest and highest moderator level
    cross, when it lies inside ``[lo, hi]``: H7's lines for low and high specific
    investments crossed at relationship learning = 3.27 (observed 1.4 to 6.8), so the
    moderator's association with value creation changed sign inside the data, and the
    caption said only "simple slopes at low, mean and high".  ``lines`` holds
    ``(label, intercept, slope)`` ordered from low to high moderator; ``where`` says what
    ``[lo, hi]`` is (e.g. "its observed range").  Only for a product term significant at
    .05 (two-sided ``product_p``): lines of an interaction indistinguishable from zero
    cross somewhere by chance, and their crossing point says nothing."""
    if len(lines) < 2 or not is_number(product_p) or float(product_p) >= 0.05:
        return ""
    (_, a_lo, b_lo), (_, a_hi, b_hi) = lines[0], lines[-1]
    if not all(np.isfinite(v) for v in (a_lo, b_lo, a_hi, b_hi, lo, hi)) or b_hi == b_lo \
            or not lo < hi:
        return ""
    x = (a_lo - a_hi) / (b_hi - b_lo)
    if not lo < x < hi:
        return ""
    below = (a_hi - a_lo) + (b_hi - b_lo) * lo
    signs = ("negative", "positive") if below < 0 else ("positive", "negative")
    return (f" The lines for low and high {esc(moderator)} cross at {esc(focal)} = "
            f"{_n(x, None, 'chisq')}, inside {esc(where)} ({_n(lo, None, 'chisq')} to "
            f"{_n(hi, None, 'chisq')}): a disordinal (crossover) interaction (Aiken &amp; "
            f"West, 1991): the estimated association of {esc(moderator)} with "
            f"{esc(outcome)} is {signs[0]} below that value and {signs[1]} above it "
            "(whether it differs from zero on either side is not tested here).")
