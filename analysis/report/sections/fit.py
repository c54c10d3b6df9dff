"""The fit section: estimator, global fit table, all fit measures per model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..fmt import is_number
from ..html import esc, join, num, pointer, table, text_cell
from .common import (
    ReportContext,
    ci_cell,
    estimator,
    estimators,
    name_text,
)

ESTIMATOR_REASONS = {
    "ML": ("Maximum likelihood (ML) assumes multivariate normal, continuous indicators; with "
           "7-point items it is a reasonable approximation when distributions are roughly "
           "symmetric (see the item distributions)."),
    "MLR": ("Robust maximum likelihood (MLR): ML estimates with Huber-White standard errors and "
            "the Yuan-Bentler scaled test statistic, chosen because 7-point rating items are "
            "not multivariate normal; robust CFI/TLI/RMSEA are reported."),
    "WLSMV": ("Diagonally weighted least squares with mean- and variance-adjusted test "
              "statistic (WLSMV) on polychoric correlations, chosen because the items are "
              "ordered categories with few response options."),
}

#: Fit columns, robust/scaled first (the ones to read for MLR and WLSMV), then the
#: unscaled ones, labelled as such.
FIT_COLUMNS = (
    ("chisq_scaled", "\u03c7\u00b2 (scaled)", "chisq"), ("df_scaled", "df (scaled)", "int"),
    ("pvalue_scaled", "p (scaled)", "p"), ("cfi_robust", "CFI (robust)", "fit"),
    ("tli_robust", "TLI (robust)", "fit"), ("rmsea_robust", "RMSEA (robust)", "fit"),
    ("rmsea_ci_lower_robust", "RMSEA 90% CI (robust)", "fit"),
    ("rmsea_ci_upper_robust", "RMSEA 90% CI upper (robust)", "fit"),
    ("cfi_scaled", "CFI (scaled)", "fit"), ("tli_scaled", "TLI (scaled)", "fit"),
    ("rmsea_scaled", "RMSEA (scaled)", "fit"),
    ("rmsea_ci_lower_scaled", "RMSEA 90% CI (scaled)", "fit"),
    ("rmsea_ci_upper_scaled", "RMSEA 90% CI upper (scaled)", "fit"), ("srmr", "SRMR", "fit"),
    ("chisq", "\u03c7\u00b2 (unscaled)", "chisq"), ("df", "df", "int"),
    ("pvalue", "p (unscaled)", "p"), ("cfi", "CFI (unscaled)", "fit"),
    ("tli", "TLI (unscaled)", "fit"), ("rmsea", "RMSEA (unscaled)", "fit"),
    ("rmsea_ci_lower", "RMSEA 90% CI (unscaled)", "fit"),
    ("rmsea_ci_upper", "RMSEA 90% CI upper", "fit"), ("aic", "AIC", "chisq"),
    ("bic", "BIC", "chisq"),
)

def fit_sources(ctx: ReportContext) -> list[tuple[str, str, Mapping[str, Any]]]:
    out = []
    for top in ("measurement", "structural"):
        t = ctx.a.get(top)
        if not isinstance(t, Mapping):
            continue
        f = t.get("fit")
        if isinstance(f, Mapping) and f and all(isinstance(v, Mapping) for v in f.values()):
            for name, fm in f.items():
                out.append((f"{top}: {name_text(name)}", join(pointer(top), "fit", name), fm))
        elif isinstance(f, Mapping):
            out.append((f"{top} model", join(pointer(top), "fit"), f))
        for k, v in t.items():
            if isinstance(v, Mapping) and isinstance(v.get("fit"), Mapping) and k != "invariance":
                out.append((f"{name_text(k)} ({top})", join(pointer(top), k, "fit"), v["fit"]))
    return out


def fit(ctx: ReportContext) -> str:
    parts = []
    est = estimator(ctx)
    if est:
        reasons = [ESTIMATOR_REASONS.get(e.upper(), "") for e in
                   dict.fromkeys(estimators(ctx).values())]
        parts.append(f"<p>Estimator: <strong>{esc(est)}</strong>. "
                     f"{esc(' '.join(r for r in reasons if r))}</p>")
    else:
        parts.append(ctx.missing("the estimator used (not recorded in the analysis)."))
    sources = fit_sources(ctx)
    if not sources:
        parts.append(ctx.missing("fit measures (no model was fitted successfully)."))
        return "\n".join(parts)
    present = [c for c in FIT_COLUMNS if any(c[0] in f for _, _, f in sources)
               and not c[0].startswith("rmsea_ci_upper")]
    rows = []
    small = []
    for label, path, f in sources:
        cells = [text_cell(label, tag="th")]
        npar, ntot = f.get("npar"), f.get("ntotal")
        if is_number(npar) and is_number(ntot) and npar and ntot / npar < 5:
            small.append(f"{esc(label)}: {ntot:.0f} respondents for {npar:.0f} free "
                         f"parameters ({ntot / npar:.2f} per parameter)")
        for k, _, kind in present:
            if k.startswith("rmsea_ci_lower"):
                up = k.replace("lower", "upper")
                cells.append(ci_cell(f.get(k), f.get(up), join(path, k),
                                     join(path, up), "fit")
                             if k in f else '<td class="empty"></td>')
            else:
                cells.append(num(f.get(k), join(path, k), kind) if k in f
                             else '<td class="empty"></td>')
        rows.append(cells)
    parts.append(table("Global fit of the fitted models", ["Model"] + [c[1] for c in present],
                       rows, number=ctx.c.table(),
                       note="Scaled and robust measures first: they are the ones to read "
                            "for MLR and WLSMV; the unscaled ones follow, labelled. "
                            "Conventional cut-offs (Hu &amp; Bentler, 1999): CFI/TLI "
                            "\u2265 .95, RMSEA \u2264 .06, SRMR \u2264 .08. All fit measures "
                            "are computed as lavaan 0.6's fitMeasures()."))
    if small:
        parts.append('<p class="warning">Few respondents per free parameter (fewer than '
                     "5): estimates and fit statistics are unstable. "
                     + "; ".join(small) + ".</p>")
    for label, path, f in sources:
        parts.append(f"<details><summary>All fit measures: {esc(label)}</summary>"
                     + ctx.generic(f, path, f"fit measures, {label}", "fit") + "</details>")
    return "\n".join(parts)
