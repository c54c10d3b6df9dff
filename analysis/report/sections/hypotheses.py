"""The hypothesis section: verdict table, latent-interaction alternatives, notes, forest plot."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import figures
from ..fmt import is_number
from ..html import esc, esc_code, join, num, pointer, table, text_cell
from .common import (
    ReportContext,
    ci_cell,
    first_key,
    is_empty,
    verdict_label,
    walk_key,
)

#: Fields of a hypothesis shown in the verdict table; the others go to its details.
HYP_FIELDS = {"id", "statement", "expected_sign", "verdict", "estimate", "ci_lower",
              "ci_upper", "pvalue", "pvalue_adjusted", "method", "note", "model",
              "alternative", "pvalue_equivalence", "power_sesoi"}

def hypotheses(ctx: ReportContext, *, forest: bool = True) -> str:
    """The full verdict table, the decision rules, notes and details of every test (and a
    forest plot of all estimates unless ``forest=False``: the main body draws one panel per
    metric instead)."""
    hyps = ctx.a.get("hypotheses")
    if is_empty(hyps) or not isinstance(hyps, list):
        return ctx.missing("hypothesis tests (the analysis has no 'hypotheses').")
    rows = []
    forest_rows = []
    notes = []
    for i, h in enumerate(hyps):
        if not isinstance(h, Mapping):
            continue
        p = pointer("hypotheses", i)
        verdict = str(h.get("verdict") or "not tested")
        vcls = "verdict-" + verdict.lower().replace(" ", "-")
        rows.append([
            text_cell(h.get("id", ""), tag="th"),
            f'<td class="text">{esc(h.get("statement", ""))}</td>',
            text_cell(h.get("expected_sign", "")),
            f'<td class="text">{esc(h.get("method", ""))}'
            + (f'<br><code>{esc_code(h["test"])}</code>' if isinstance(h.get("test"), str)
               else "") + "</td>",
            f'<td class="text">{esc(h.get("model", ""))}</td>',
            num(h.get("estimate"), join(p, "estimate"), "est"),
            ci_cell(h.get("ci_lower"), h.get("ci_upper"), join(p, "ci_lower"),
                    join(p, "ci_upper")),
            text_cell(h.get("alternative", "")),
            num(h.get("pvalue"), join(p, "pvalue"), "p"),
            *(num(h.get(k), join(p, k), kind) if k in h else '<td class="empty"></td>'
              for k, kind in (("pvalue_adjusted", "p"), ("pvalue_equivalence", "p"),
                              ("power_sesoi", "fit"))),
            f'<td class="{esc(vcls)}">{esc(verdict_label(verdict))}</td>',
        ])
        if h.get("note"):
            notes.append(f"{esc(h.get('id', ''))}: {esc(h['note'])}")
        est = h.get("estimate")
        if is_number(est) and math.isfinite(float(est)):
            lo, hi = h.get("ci_lower"), h.get("ci_upper")
            ok = is_number(lo) and is_number(hi)
            forest_rows.append((str(h.get("id", i)), float(est), float(lo) if ok else None,
                                float(hi) if ok else None))
    note = ("Estimates as defined by each test's method, from the model named in the "
            "Model column; 95% confidence intervals (bootstrap percentile where the method "
            "says so). p: the declared test (its alternative in the Test column); p (adj.): "
            "after the declared correction over the confirmatory family, the p the verdict "
            "uses; TOST p: equivalence test against the smallest effect size of interest; "
            "Power: power of the declared test to detect that effect at the observed N. ")
    mt = ctx.a.get("multiple_testing")
    if isinstance(mt, str) and mt:
        note += esc(mt) + " "
    out = table("Hypothesis tests and verdicts",
                ["H", "Hypothesis", "Expected", "Method", "Model", "Estimate", "95% CI",
                 "Test", "p", "p (adj.)", "TOST p", "Power", "Verdict"], rows,
                number=ctx.c.table(), cls="apa verdicts",
                note=note)
    dec = ctx.a.get("decision")
    if isinstance(dec, Mapping) and dec:
        out += ctx.generic(dec, "/decision", "Declared decision rules", "p")
    out += latent_table(ctx, hyps)
    if notes:
        out += ('<h3>Notes on the tests</h3><ul class="hypnotes">'
                + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
    if forest_rows and forest:
        out += ctx.figure(figures.forest(forest_rows, name="fig-forest"),
                           "Hypothesis estimates with 95% confidence intervals.")
    extra = [(i, h) for i, h in enumerate(hyps) if isinstance(h, Mapping) and any(
        k not in HYP_FIELDS for k in h)]
    for i, h in extra:
        rest = {k: v for k, v in h.items() if k not in HYP_FIELDS
                and not any(True for _ in walk_key(v, "", "simple_slopes"))}
        if not rest:
            continue
        out += ctx.generic(rest, pointer("hypotheses", i),
                            f"{h.get('id', i)}: details", "est").replace(
            "<h4>", '<h4 class="hypdetail">', 1)
    return out


def latent_table(ctx: ReportContext, hyps: list[Any]) -> str:
    """The latent-interaction alternative of each moderation hypothesis, in one table."""
    rows = []
    for i, h in enumerate(hyps):
        lat = h.get("latent_interaction") if isinstance(h, Mapping) else None
        if not isinstance(lat, Mapping):
            continue
        p = join(pointer("hypotheses", i), "latent_interaction")
        basis = "latent model" if h.get("method") == "latent_moderation" else "regression"
        head = [text_cell(h.get("id", ""), tag="th"), text_cell(basis)]
        if lat.get("available") is not True:
            reason = lat.get("reason") or "not available"
            rows.append(head + [f'<td class="text" colspan="8">Not available: '
                                f"{esc(reason)}</td>"])
            continue
        fit = lat.get("fit") if isinstance(lat.get("fit"), Mapping) else {}
        fk = first_key(fit, "cfi_robust", "cfi")
        rk = first_key(fit, "rmsea_robust", "rmsea")
        rows.append(head + [
            num(lat.get("estimate"), join(p, "estimate"), "est"),
            num(lat.get("se"), join(p, "se"), "est"),
            ci_cell(lat.get("ci_lower"), lat.get("ci_upper"), join(p, "ci_lower"),
                    join(p, "ci_upper")),
            num(lat.get("pvalue"), join(p, "pvalue"), "p"),
            num(lat.get("std_interaction"), join(p, "std_interaction"), "est"),
            num(lat.get("n"), join(p, "n"), "int"),
            num(fit.get(fk), join(p, "fit", fk), "fit") if fk else text_cell("NA"),
            num(fit.get(rk), join(p, "fit", rk), "fit") if rk else text_cell("NA"),
        ])
    if not rows:
        return ""
    note = ("Latent interaction X×Z by product indicators (Marsh, Wen & Hau 2004 "
            "matched pairs; double-mean-centring, Lin et al. 2010), fitted with MLR (FIML "
            "when item answers are missing). b in the metric of the marker items; "
            "standardised b after Wen, Marsh & Hau (2010). Verdict basis: the declared test "
            "(regression on composites for method 'moderation', the latent model for "
            "'latent_moderation'); p is two-sided here, the verdict table gives the declared "
            "test's. Details, simple slopes and fit in the moderation section.")
    return table("Latent-interaction alternative of the moderation hypotheses",
                 ["H", "Verdict from", "b", "SE", "95% CI", "p (two-sided)", "Std. b", "N",
                  "CFI (robust)", "RMSEA (robust)"], rows, number=ctx.c.table(),
                 cls="apa", note=note)
