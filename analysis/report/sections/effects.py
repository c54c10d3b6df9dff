"""The mediation and moderation section: indirect effects, simple slopes, Johnson-Neyman plots."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .. import figures
from ..fmt import fmt, is_number
from ..html import esc, join, na, num, pointer, table, text_cell
from .caveats import crossing, lower_label
from .common import (
    ReportContext,
    ci_cell,
    get_first,
    is_empty,
    name_text,
    walk_key,
)


def mediation_moderation(ctx: ReportContext) -> str:
    parts = []
    med = ctx.a.get("mediation")
    if not is_empty(med):
        parts.append(ctx.generic(med, "/mediation", "mediation (indirect effects)", "est"))
    found = list(walk_key(ctx.a, "", "simple_slopes"))
    for path, holder in found:
        if not path.endswith("/latent_interaction"):
            parts.append(moderation_plots(ctx, path, holder))
    for path, holder in found:
        if path.endswith("/latent_interaction"):
            parts.append(latent_block(ctx, path, holder))
    mod = ctx.a.get("moderation")
    if not is_empty(mod) and not any(p.startswith("/moderation") for p, _ in found):
        parts.append(ctx.generic(mod, "/moderation", "moderation", "est"))
    for key, title in (("quadratic", "Curvilinear (quadratic) effects"),
                       ("response_surface", "Response-surface analysis")):
        val = ctx.a.get(key)
        if not is_empty(val):
            parts.append(f"<h3>{title}</h3>" + ctx.generic(val, pointer(key), title, "est"))
    if not parts:
        hyps = [h for h in ctx.a.get("hypotheses") or [] if isinstance(h, Mapping)]
        mh = [h for h in hyps if any(w in str(h.get("method", "")).lower()
                                     for w in ("indirect", "mediat", "moderat", "interaction"))]
        if mh:
            parts.append("<p>Mediation and moderation hypotheses ("
                         + ", ".join(esc(h.get("id", "")) for h in mh)
                         + ") are in the hypothesis table; no plotting data in the analysis.</p>")
        parts.append(ctx.missing("simple-slopes and Johnson-Neyman data for plots."))
    return "\n".join(parts)


def moderation_plots(ctx: ReportContext, path: str, holder: Mapping[str, Any]) -> str:
    title = str(holder.get("id") or holder.get("hypothesis") or "")
    if not title and path.startswith("/hypotheses/"):
        idx = int(path.split("/")[2])
        title = str(ctx.a["hypotheses"][idx].get("id", idx))
    title = title or path.rsplit("/", 1)[-1]
    parts = [f"<h3>Moderation: {esc(title)}</h3>"]
    slopes = holder.get("simple_slopes")
    parts.append(ctx.generic(slopes, join(path, "simple_slopes"), "simple slopes", "est"))
    lines = []
    if isinstance(slopes, list):
        for r in slopes:
            if isinstance(r, Mapping) and is_number(r.get("slope")) and is_number(r.get("intercept")):
                lab = r.get("label") or r.get("level") or fmt(r.get("moderator"), "est")
                lines.append((str(lab), float(r["intercept"]), float(r["slope"])))
    xr = holder.get("x_range") or holder.get("focal_range")
    if lines:
        x_range = (float(xr[0]), float(xr[1])) if isinstance(xr, list) and len(xr) == 2 \
            else (-1.0, 1.0)
        parts.append(ctx.figure(figures.simple_slopes(
            lines, x_range, xlabel=name_text(holder.get("focal", "focal predictor")),
            ylabel=name_text(holder.get("outcome", "outcome")),
            name=f"fig-slopes-{ctx.c.figures + 1}"),
            f"Simple slopes for {esc(title)} at low, mean and high moderator values."))
    rest = {k: v for k, v in holder.items() if k not in ("simple_slopes", "johnson_neyman")}
    if rest:
        parts.append(ctx.generic(rest, path, "model", "est"))
    jn = holder.get("johnson_neyman")
    if jn is not None and not isinstance(jn, Mapping):
        parts.append(ctx.generic(jn, join(path, "johnson_neyman"), "Johnson-Neyman", "est"))
    if isinstance(jn, Mapping):
        parts.append("<details><summary>Johnson-Neyman values</summary>"
                     + ctx.generic(jn, join(path, "johnson_neyman"), "Johnson-Neyman", "est")
                     + "</details>")
        curve = jn.get("curve") or jn.get("grid")
        pts = []
        if isinstance(curve, list):
            for r in curve:
                if isinstance(r, Mapping):
                    mval = get_first(r, "moderator", "value", "w", "m")
                    if all(is_number(x) for x in (mval, r.get("slope"), r.get("ci_lower"),
                                                  r.get("ci_upper"))):
                        pts.append((float(mval), float(r["slope"]), float(r["ci_lower"]),
                                    float(r["ci_upper"])))
        bounds = [float(b) for b in (jn.get("bounds") or []) if is_number(b)]
        if pts:
            lo_m, hi_m = min(p[0] for p in pts), max(p[0] for p in pts)
            bounds = [b for b in bounds if lo_m <= b <= hi_m]
        if pts:
            parts.append(ctx.figure(figures.johnson_neyman(
                pts, bounds, xlabel=name_text(holder.get("moderator", "moderator")),
                name=f"fig-jn-{ctx.c.figures + 1}"),
                f"Johnson-Neyman plot for {esc(title)}: the conditional slope with its 95% "
                "CI; dotted lines mark where the CI crosses zero."))
        else:
            parts.append(na("Johnson-Neyman curve (no grid of conditional slopes)."))
    return "\n".join(parts)


def latent_block(ctx: ReportContext, path: str, holder: Mapping[str, Any]) -> str:
    """One latent interaction: simple slopes (table and figure), the Y equation, the rest."""
    idx = path.split("/")[2] if path.startswith("/hypotheses/") else ""
    hid = str(ctx.a["hypotheses"][int(idx)].get("id", idx)) if idx.isdigit() else path
    focal, moder = holder.get("focal", "X"), holder.get("moderator", "Z")
    parts = [f"<h3>Latent interaction: {esc(hid)} ({esc(name_text(focal))} × "
             f"{esc(name_text(moder))} → {esc(name_text(holder.get('outcome', 'Y')))})</h3>"]
    slopes = holder.get("simple_slopes")
    rows = []
    lines = []
    coefs = {str(r.get("term")): r for r in holder.get("coefficients") or []
             if isinstance(r, Mapping)}
    bz = get_first(coefs.get("Z"), "estimate")
    if isinstance(slopes, list):
        for i, r in enumerate(slopes):
            if not isinstance(r, Mapping):
                continue
            sp = join(path, "simple_slopes", i)
            rows.append([text_cell(r.get("level", ""), tag="th"),
                         num(r.get("moderator"), join(sp, "moderator"), "est"),
                         num(r.get("estimate"), join(sp, "estimate"), "est"),
                         num(r.get("se"), join(sp, "se"), "est"),
                         num(r.get("z"), join(sp, "z"), "est"),
                         ci_cell(r.get("ci_lower"), r.get("ci_upper"),
                                 join(sp, "ci_lower"), join(sp, "ci_upper")),
                         num(r.get("pvalue"), join(sp, "pvalue"), "p")])
            if all(is_number(v) for v in (r.get("estimate"), r.get("moderator"), bz)):
                lines.append((str(r.get("level", i)), float(bz) * float(r["moderator"]),
                              float(r["estimate"])))
    parts.append(table(
        f"{hid}: simple slopes of latent {name_text(focal)}", [
            f"Latent {name_text(moder)}", "Value", "Slope", "SE", "z", "95% CI", "p"],
        rows, number=ctx.c.table(), cls="apa",
        note=("Slopes at the latent moderator's mean and ±1 SD (SD from its latent "
              "variance); delta-method SEs that include the variance's sampling error.")))
    var = holder.get("latent_variances")
    vx = get_first(var, "X")
    if lines and is_number(vx) and float(vx) > 0:
        sd = math.sqrt(float(vx))
        parts.append(ctx.figure(figures.simple_slopes(
            lines, (-2 * sd, 2 * sd), xlabel=f"latent {name_text(focal)} (centred)",
            ylabel=f"latent {name_text(holder.get('outcome', 'Y'))} (centred)",
            name=f"fig-slopes-{ctx.c.figures + 1}"),
            f"Latent simple slopes for {esc(hid)} at the latent moderator's mean and "
            "±1 SD (product-indicator model; lines through the centred latent means)."
            + crossing(lines, -2 * sd, 2 * sd, focal=f"latent {lower_label(name_text(focal))}",
                       moderator=lower_label(name_text(moder)),
                       outcome=lower_label(name_text(holder.get("outcome", "Y"))),
                       where="two SD either side of its mean",
                       product_p=holder.get("pvalue"))))
    rest = {k: v for k, v in holder.items() if k != "simple_slopes"}
    parts.append("<details><summary>Latent interaction model: estimates, fit, pairs and "
                 "syntax</summary>" + ctx.generic(rest, path, f"{hid} latent model", "est")
                 + "</details>")
    return "\n".join(parts)
