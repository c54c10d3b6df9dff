"""The results narrative: APA prose generated from the numbers of the analysis.

Sample, measurement quality, model fit, the declared decision rules and one sentence per
hypothesis ("H1 predicted that ...; B = 0.209, 95% CI [0.146, 0.272], p < .001;
supported.").  Every number is written through :func:`analysis.report.html.num`, so it
carries its JSON pointer and the report checker compares it with the analysis JSON like
the numbers of the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fmt import is_number
from ..html import esc, join, num, pointer
from .common import ReportContext, estimator, first_key, get_first

#: The symbol of each method's estimate in the prose.
SYMBOL = {"sem_path": "<em>B</em>", "path": "<em>B</em>",
          "mediation_bootstrap": "indirect effect <em>ab</em>",
          "mediation": "indirect effect <em>ab</em>",
          "moderation": "<em>B</em> of the product term",
          "latent_moderation": "<em>B</em> of the latent product term",
          "quadratic": "<em>B</em> of the squared term",
          "latent_quadratic": "<em>B</em> of the latent squared term",
          "rsa": "curvature along the line of incongruence <em>a</em><sub>4</sub>",
          "dyadic": "\u03b2", "multigroup": "largest difference of group means"}

SIDES = {"greater": "one-sided", "less": "one-sided", "two-sided": "two-sided",
         "inverted U": "Lind\u2013Mehlum test"}

CORRECTIONS = {"holm": "Holm", "bonferroni": "Bonferroni", "hochberg": "Hochberg",
               "fdr_bh": "Benjamini\u2013Hochberg", "bh": "Benjamini\u2013Hochberg",
               "none": "no"}


def _n(value: Any, path: str, kind: str) -> str:
    return num(value, path, kind, tag="span")


def _p(value: Any, path: str) -> str:
    """``<em>p</em> = .002`` / ``<em>p</em> < .001`` (APA: no leading zero, no "= <")."""
    if is_number(value) and float(value) < 0.001:
        return f"<em>p</em> {_n(value, path, 'p')}"
    return f"<em>p</em> = {_n(value, path, 'p')}"


def _fit_sentence(f: Mapping[str, Any], path: str) -> str:
    bits = []
    ck = first_key(f, "chisq_scaled", "chisq")
    dk = first_key(f, "df_scaled", "df")
    pk = first_key(f, "pvalue_scaled", "pvalue")
    if ck and dk:
        bits.append(f"\u03c7\u00b2({_n(f[dk], join(path, dk), 'int')}) = "
                    f"{_n(f[ck], join(path, ck), 'chisq')}"
                    + (f", {_p(f[pk], join(path, pk))}" if pk else ""))
    for name, keys in (("CFI", ("cfi_robust", "cfi")), ("TLI", ("tli_robust", "tli")),
                       ("RMSEA", ("rmsea_robust", "rmsea")), ("SRMR", ("srmr",))):
        k = first_key(f, *keys)
        if k:
            bits.append(f"{name} = {_n(f[k], join(path, k), 'fit')}")
    return ", ".join(bits)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def results(ctx: ReportContext) -> str:
    a = ctx.a
    paras = []
    # --- sample
    if is_number(a.get("n")):
        s = f"The analysis used <em>N</em> = {_n(a['n'], '/n', 'int')} responses"
        if is_number(a.get("n_raw")):
            s += f" of {_n(a['n_raw'], '/n_raw', 'int')} received"
        exc = a.get("exclusions")
        if isinstance(exc, Mapping) and is_number(exc.get("total")):
            reasons = [f"{k.replace('_', ' ')} {_n(v, join('/exclusions', k), 'int')}"
                       for k, v in exc.items() if k != "total" and is_number(v)]
            s += (f"; {_n(exc['total'], '/exclusions/total', 'int')} were excluded as careless "
                  "or incomplete" + (f" (flags, which can overlap: {', '.join(reasons)})"
                                     if reasons else ""))
        paras.append(s + " (Table 1).")
    # --- measurement
    m = a.get("measurement")
    if isinstance(m, Mapping) and m.get("available") is not False:
        est = get_first(m, "estimator")
        s = "The measurement model was a confirmatory factor analysis"
        if isinstance(est, str):
            s += f" estimated with {esc(est)}"
        f = m.get("fit")
        if isinstance(f, Mapping) and f:
            if all(isinstance(v, Mapping) for v in f.values()):
                name = next(iter(f))
                s += (f"; the {esc(name.replace('_', ' '))} model fitted with "
                      f"{_fit_sentence(f[name], join('/measurement/fit', name))}")
            else:
                s += f"; it fitted with {_fit_sentence(f, '/measurement/fit')}"
        rel = get_first(m, "reliability")
        if isinstance(rel, Mapping):
            for k, what in (("cr", "Composite reliability"), ("ave", "AVE")):
                vals = [(f, r[k]) for f, r in rel.items() if isinstance(r, Mapping)
                        and is_number(r.get(k))]
                if len(vals) >= 2:
                    lo = min(vals, key=lambda t: t[1])
                    hi = max(vals, key=lambda t: t[1])
                    s += (f". {what} ranged from "
                          f"{_n(lo[1], join('/measurement/reliability', lo[0], k), 'rel')} "
                          f"({esc(ctx.label(lo[0]))}) to "
                          f"{_n(hi[1], join('/measurement/reliability', hi[0], k), 'rel')} "
                          f"({esc(ctx.label(hi[0]))})")
        paras.append(s + ".")
    # --- structural fit
    st = a.get("structural")
    if isinstance(st, Mapping) and isinstance(st.get("fit"), Mapping) and st["fit"] and \
            not all(isinstance(v, Mapping) for v in st["fit"].values()):
        est = get_first(st, "estimator")
        paras.append("The structural model"
                     + (f" ({esc(est)})" if isinstance(est, str) else "")
                     + f" fitted with {_fit_sentence(st['fit'], '/structural/fit')}"
                     " (robust values where the estimator provides them).")
    elif estimator(ctx):
        paras.append(f"Estimator: {esc(estimator(ctx))}.")
    # --- decision rules
    dec = a.get("decision")
    if isinstance(dec, Mapping) and dec:
        s = "Decision rules were declared before the data were collected: "
        fam = dec.get("family_ids")
        bits = []
        if isinstance(fam, list) and fam:
            size = (_n(dec["family_size"], "/decision/family_size", "int")
                    if is_number(dec.get("family_size")) else str(len(fam)))
            bits.append(f"the confirmatory family comprises {size} hypotheses "
                        f"({esc(', '.join(str(x) for x in fam))})")
        sides = dec.get("sides")
        if is_number(dec.get("alpha")):
            side = ("one-sided in the predicted direction" if sides == "by_direction"
                    else esc(str(sides).replace("_", " ")) if sides else "")
            bits.append(f"each is tested {side} at \u03b1 = "
                        f"{_n(dec['alpha'], '/decision/alpha', 'std')}")
        corr = dec.get("correction")
        if isinstance(corr, str):
            bits.append(f"with {CORRECTIONS.get(corr.lower(), esc(corr))} correction of the "
                        "p values across the family, the adjusted p deciding the verdict")
        if dec.get("equivalence") and is_number(dec.get("sesoi")):
            eq = (f"\u03b1 = {_n(dec['equivalence_alpha'], '/decision/equivalence_alpha', 'std')}"
                  if is_number(dec.get("equivalence_alpha")) else "")
            bits.append(f"a non-significant effect counts as evidence of no effect only when "
                        f"an equivalence test ({esc(str(dec['equivalence']).upper())}"
                        f"{', ' + eq if eq else ''}) rejects standardized effects as large as "
                        f"{_n(dec['sesoi'], '/decision/sesoi', 'std')}, and as inconclusive "
                        "otherwise")
        paras.append(s + "; ".join(bits) + ". Exploratory hypotheses are reported without "
                     "correction and without a verdict of support.")
    # --- hypotheses
    hyps = a.get("hypotheses")
    sentences = []
    for i, h in enumerate(hyps if isinstance(hyps, list) else []):
        if not isinstance(h, Mapping):
            continue
        p = pointer("hypotheses", i)
        hid = esc(h.get("id", i + 1))
        stmt = str(h.get("statement", "")).rstrip(".")
        s = f"<strong>{hid}</strong> predicted that {esc(_lower_first(stmt))}"
        if is_number(h.get("estimate")):
            sym = SYMBOL.get(str(h.get("method", "")), "the estimate")
            s += f"; {sym} = {_n(h['estimate'], join(p, 'estimate'), 'est')}"
            if is_number(h.get("ci_lower")) and is_number(h.get("ci_upper")):
                s += (f", 95% CI [{_n(h['ci_lower'], join(p, 'ci_lower'), 'est')}, "
                      f"{_n(h['ci_upper'], join(p, 'ci_upper'), 'est')}]")
            if is_number(h.get("pvalue")):
                side = SIDES.get(str(h.get("alternative", "")), "")
                s += f", {_p(h['pvalue'], join(p, 'pvalue'))}" + (f" ({side})" if side else "")
            if is_number(h.get("pvalue_adjusted")):
                s += f", adjusted {_p(h['pvalue_adjusted'], join(p, 'pvalue_adjusted'))}"
        else:
            s += "; no estimate is available"
        verdict = str(h.get("verdict") or "not tested")
        sentences.append(f"<li>{s}; <span class=\"verdict\">{esc(verdict)}</span>.</li>")
    if sentences:
        paras.append("The hypothesis tests are summarized in the verdict table and below."
                     + '<ul class="narrative">' + "".join(sentences) + "</ul>")
    if not paras:
        return ctx.missing("a results narrative (the analysis has neither sample sizes, "
                           "models nor hypotheses).")
    body = "\n".join(f"<p>{x}</p>" if not x.endswith("</ul>") else f"<div>{x}</div>"
                     for x in paras)
    if is_number(a.get("n")) and float(a["n"]) < 50:
        body += ('<p class="na">Very few responses were analysed (<em>N</em> &lt; 50): '
                 "estimates are unstable and model-based results may be missing.</p>")
    return body
