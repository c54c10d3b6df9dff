"""Render the study report (HTML) from the analysis JSON of :func:`analysis.study.pipeline.analyze_study`.

Every section reads its part of the analysis dict and says plainly when that part
is absent or empty ("Not available: ...").  Numbers are formatted here and only
here (:mod:`analysis.report.fmt`); each one carries its JSON pointer so that
``scripts/check_report.py`` can compare the HTML with the JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from . import figures
from .diagram import Edge, path_diagram
from .fmt import fmt, is_number, stars
from .html import Counter, esc, generic, join, na, num, pointer, table, text_cell

#: Section ids and titles, in report order.  The checker requires all of them.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("sample", "Sample and response rates"),
    ("missing", "Missing data"),
    ("exclusions", "Data-quality exclusions"),
    ("descriptives", "Descriptive statistics and correlations"),
    ("item-distributions", "Item distributions"),
    ("measurement", "Measurement model"),
    ("fit", "Model fit and estimation"),
    ("invariance", "Measurement invariance"),
    ("method-variance", "Common-method variance"),
    ("structural", "Structural model"),
    ("hypotheses", "Hypothesis tests"),
    ("mediation-moderation", "Mediation and moderation"),
    ("dyadic", "Dyadic agreement"),
    ("warnings", "Warnings and diagnostics"),
    ("provenance", "Provenance"),
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
    ("rmsea_ci_upper_robust", "RMSEA 90% CI upper (robust)", "fit"), ("srmr", "SRMR", "fit"),
    ("chisq", "\u03c7\u00b2 (unscaled)", "chisq"), ("df", "df", "int"),
    ("pvalue", "p (unscaled)", "p"), ("cfi", "CFI (unscaled)", "fit"),
    ("tli", "TLI (unscaled)", "fit"), ("rmsea", "RMSEA (unscaled)", "fit"),
    ("rmsea_ci_lower", "RMSEA 90% CI (unscaled)", "fit"),
    ("rmsea_ci_upper", "RMSEA 90% CI upper", "fit"), ("aic", "AIC", "chisq"),
    ("bic", "BIC", "chisq"),
)


def css() -> str:
    """The report's stylesheet (package data)."""
    return resources.files("analysis.report").joinpath("report.css").read_text(encoding="utf-8")


def _get(d: Any, *keys: str) -> Any:
    """The first of ``keys`` present in mapping ``d`` (None if none or ``d`` is no mapping)."""
    if not isinstance(d, Mapping):
        return None
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def _first_key(d: Any, *keys: str) -> str | None:
    if not isinstance(d, Mapping):
        return None
    for k in keys:
        if k in d and d[k] is not None:
            return k
    return None


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, Mapping | list | str) and len(v) == 0)


def _text(v: Any) -> str:
    """A non-numeric value as cell text (lists joined, empty list as a dash)."""
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) if v else "\u2013"
    return fmt(v)


def _label(name: Any) -> str:
    return str(name).replace("_", " ")


def ci_cell(lo: Any, hi: Any, lo_path: str, hi_path: str, kind: str = "est") -> str:
    """One cell ``[lower, upper]``; both numbers keep their JSON paths."""
    if lo is None and hi is None:
        return '<td class="ci">NA</td>'
    return (f'<td class="ci">[{num(lo, lo_path, kind, tag="span", cls="num")}, '
            f'{num(hi, hi_path, kind, tag="span", cls="num")}]</td>')


class _Report:
    """State of one rendering: counters, collected notes.  Never shared between reports."""

    def __init__(self, analysis: Mapping[str, Any], extras: Mapping[str, Any]) -> None:
        self.a = analysis
        self.x = extras
        self.c = Counter()
        self.notes: list[str] = []

    # ------------------------------------------------------------------ helpers
    def figure(self, svg: str, caption: str) -> str:
        k = self.c.figure()
        return (f'<figure>{svg}<figcaption><span class="fignum">Figure {k}.</span> '
                f"{caption}</figcaption></figure>")

    def missing(self, what: str) -> str:
        self.notes.append(f"Not available: {what}")
        return na(what)

    def generic(self, value: Any, path: str, title: str, kind: str = "num") -> str:
        return generic(value, path, title, self.c, kind=kind)

    # ------------------------------------------------------------------ sections
    def summary(self) -> str:
        a = self.a
        facts = []
        if is_number(a.get("n_raw")):
            facts.append(f"<div>Responses received: {num(a['n_raw'], '/n_raw', 'int', tag='span')}</div>")
        if is_number(a.get("n")) or a.get("n") is None and "n" in a:
            facts.append(f"<div>Analysed: <em>N</em> = {num(a.get('n'), '/n', 'int', tag='span')}</div>")
        hyps = a.get("hypotheses")
        if isinstance(hyps, list) and hyps:
            counts: dict[str, int] = {}
            for h in hyps:
                v = str(h.get("verdict") or "not tested") if isinstance(h, Mapping) else "?"
                counts[v] = counts.get(v, 0) + 1
            facts.append("<div>Hypotheses: " + "; ".join(
                f"{esc(k)}: {n}" for k, n in sorted(counts.items())) + "</div>")
        est = self.estimator()
        if est:
            facts.append(f"<div>Estimator: {esc(est)}</div>")
        if not facts:
            return self.missing("the analysis has neither sample sizes nor hypotheses.")
        body = '<div class="keyfacts">' + "".join(facts) + "</div>"
        if is_number(a.get("n")) and a.get("n") is not None and float(a["n"]) < 50:
            body += ('<p class="na">Very few responses were analysed (<em>N</em> &lt; 50): '
                     "estimates are unstable and model-based results may be missing.</p>")
        return body

    def estimators(self) -> dict[str, str]:
        """Estimators by model part (``{"measurement": "MLR", ...}``), from wherever recorded."""
        for src in (self.a, self.a.get("measurement"), self.a.get("provenance"),
                    self.a.get("structural")):
            v = _get(src, "estimator")
            if isinstance(v, str):
                return {"all models": v}
            if isinstance(v, Mapping) and v:
                return {str(k): str(x) for k, x in v.items() if isinstance(x, str)}
        return {}

    def estimator(self) -> str | None:
        est = self.estimators()
        if not est:
            return None
        if len(set(est.values())) == 1:
            return next(iter(est.values()))
        return "; ".join(f"{_label(k)}: {v}" for k, v in est.items())

    def sample(self) -> str:
        a = self.a
        parts = []
        rows = []
        for key, label in (("n_raw", "Responses received"), ("n", "Analysed after exclusions")):
            if key in a:
                rows.append([text_cell(label, tag="th"), num(a[key], pointer(key), "int")])
        if rows:
            parts.append(table("Sample size", ["", "n"], rows, number=self.c.table()))
        fw_key = _first_key(a, "fieldwork", "response_rates", "sample")
        if fw_key:
            parts.append(self.generic(a[fw_key], pointer(fw_key), "fieldwork and response rates"))
        else:
            parts.append(self.missing(
                "response rates (no fieldwork information: the data file does not say how "
                "many were invited; the app's fieldwork page has the invitation counts)."))
        if not rows:
            parts.insert(0, self.missing("sample sizes (the analysis has no 'n'/'n_raw')."))
        return "\n".join(parts)

    def missing_data(self) -> str:
        m = self.a.get("missing")
        if _empty(m):
            return self.missing("missing-data summary (the analysis has no 'missing').")
        return self.generic(m, "/missing", "missing data", "num")

    def exclusions(self) -> str:
        e = self.a.get("exclusions")
        if e is None:
            return self.missing("data-quality exclusions (the analysis has no 'exclusions').")
        if _empty(e):
            return "<p>No responses were excluded.</p>"
        return self.generic(e, "/exclusions", "exclusions", "int")

    def descriptives(self) -> str:
        parts = []
        d = self.a.get("descriptives")
        if _empty(d):
            parts.append(self.missing("descriptive statistics (the analysis has no 'descriptives')."))
        else:
            parts.append(self.generic(d, "/descriptives", "descriptive statistics of the scale scores",
                                      "est"))
        parts.append(self.correlations())
        return "\n".join(parts)

    def correlations(self) -> str:
        r = self.a.get("correlations")
        path = "/correlations"
        if isinstance(r, Mapping) and isinstance(r.get("matrix"), Mapping):
            path, r = "/correlations/matrix", r["matrix"]
        if _empty(r) or not isinstance(r, Mapping) or not all(
                isinstance(v, Mapping) for v in r.values()):
            if not _empty(r):
                return self.generic(r, path, "correlations", "std")
            return self.missing("correlation matrix (the analysis has no 'correlations').")
        names = list(r)
        rows = []
        for i, a in enumerate(names):
            cells = [text_cell(f"{i + 1}. {_label(a)}", tag="th")]
            for j, b in enumerate(names):
                if j < i:
                    cells.append(num(r[a].get(b), join(path, a, b), "std"))
                elif j == i:
                    cells.append('<td class="num">\u2014</td>')
                else:
                    cells.append('<td class="empty"></td>')
            rows.append(cells)
        other = {k: v for k, v in self.a["correlations"].items() if k != "matrix"} \
            if path.endswith("/matrix") else {}
        out = table("Correlations of the scale scores", ["Variable"] +
                    [str(i + 1) for i in range(len(names))], rows, number=self.c.table(),
                    cls="apa matrix",
                    note="Pearson correlations (lower triangle).")
        if other:
            out += self.generic(other, "/correlations", "correlation details", "std")
        return out

    def item_distributions(self) -> str:
        counts = self.x.get("item_distributions")
        if not counts:
            return self.missing("item distributions (no item-level data was given to the report).")
        levels = self.x.get("item_levels") or list(range(1, 8))
        svg = figures.item_distributions(counts, levels)
        return self.figure(svg, "Distribution of the answers to each rating item, by scale "
                           "(share of valid answers per response option, 1 = lowest; reverse-keyed "
                           "items are shown as answered, before recoding).")

    # ---------------------------------------------------------- measurement model
    def measurement(self) -> str:
        m = self.a.get("measurement")
        parts = []
        rel_top = self.a.get("reliability")
        if isinstance(rel_top, Mapping) and rel_top:
            parts.append(self.reliability(rel_top, "/reliability",
                                          title="Internal consistency of the scale scores"))
        if _empty(m) or not isinstance(m, Mapping):
            parts.append(self.missing("the measurement model (the analysis has no "
                                      "'measurement'; the CFA may have failed, see Warnings)."))
            return "\n".join(parts)
        if m.get("available") is False:
            parts.append(self.missing(f"the measurement model (CFA): {m.get('reason', 'not run')}"
                                      " Loadings, omega, CR, AVE, HTMT and Fornell-Larcker "
                                      "need it."))
            return "\n".join(parts)
        conv = m.get("converged")
        if conv is False or (isinstance(conv, Mapping) and False in conv.values()):
            parts.append('<p class="na">The measurement model did not converge; its estimates '
                         "are not interpretable.</p>")
        used = {"fit", "warnings", "estimator", "converged", "invariance", "cmv", "available",
                "method_variance", "common_method", "n", "n_obs"}
        lk = _first_key(m, "loadings", "standardized_loadings")
        if lk:
            parts.append(self.loadings(m[lk], join("/measurement", lk)))
            used.add(lk)
        else:
            parts.append(self.missing("standardized loadings."))
        rk = _first_key(m, "reliability", "scales")
        if rk:
            rel = m[rk]
            rel_path = join("/measurement", rk)
            if isinstance(rel, Mapping) and isinstance(rel.get("scales"), Mapping):
                rel_path, rel = join(rel_path, "scales"), rel["scales"]
            parts.append(self.reliability(rel, rel_path))
            used.add(rk)
        else:
            parts.append(self.missing("reliability (alpha, omega, CR, AVE)."))
        for key, title in (("htmt", "Heterotrait-monotrait ratio (HTMT)"),
                           ("fornell_larcker", "Fornell-Larcker criterion")):
            val = m.get(key)
            src = join("/measurement", key)
            if val is None and isinstance(m.get(rk), Mapping):
                val = m[rk].get(key)
                src = join("/measurement", rk, key)
            if _empty(val):
                parts.append(self.missing(f"{title}."))
            else:
                parts.append(self.matrix(val, src, title, diag_bold=key == "fornell_larcker"))
            used.add(key)
        rest = {k: v for k, v in m.items() if k not in used}
        for k, v in rest.items():
            parts.append(self.generic(v, join("/measurement", k), k))
        return "\n".join(parts)

    def loadings(self, value: Any, path: str) -> str:
        if isinstance(value, Mapping) and value and all(
                isinstance(v, list) and all(isinstance(r, Mapping) for r in v)
                for v in value.values()):
            flat = [(join(path, f, i), {"factor": f, **r}) for f, recs in value.items()
                    for i, r in enumerate(recs)]
            return self._loading_table(flat)
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            return self._loading_table([(join(path, i), r) for i, r in enumerate(value)])
        return self.generic(value, path, "standardized loadings", "std")

    def _loading_table(self, recs: list[tuple[str, Mapping[str, Any]]]) -> str:
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
                    cells.append(text_cell(_label(v) if c in ("factor", "lhs") else v))
            rows.append(cells)
        return table("Standardized factor loadings", [header.get(c, _label(c)) for c in cols],
                     rows, number=self.c.table(),
                     note="\u03b2 = completely standardized loading (lavaan std.all); "
                          "conventional minimum .708 (Hair et al., 2019).")

    def reliability(self, rel: Any, path: str,
                    title: str = "Reliability and convergent validity per scale") -> str:
        if not isinstance(rel, Mapping) or not all(isinstance(v, Mapping) for v in rel.values()):
            return self.generic(rel, path, "reliability", "rel")
        cols = [("n_items", "Items", "int"), ("alpha", "\u03b1", "rel"),
                ("alpha_ci_lower", "\u03b1 95% CI lower", "rel"),
                ("alpha_ci_upper", "\u03b1 95% CI upper", "rel"),
                ("omega", "\u03c9", "rel"), ("cr", "CR", "rel"), ("ave", "AVE", "rel")]
        keys = list(dict.fromkeys(k for v in rel.values() for k in v))
        cols = [c for c in cols if c[0] in keys]
        extra = [k for k in keys if k not in {c[0] for c in cols}]
        cols += [(k, "below threshold" if k == "flag" else _label(k), "rel") for k in extra]
        rows = []
        for f, rec in rel.items():
            rows.append([text_cell(_label(f), tag="th")] + [
                num(rec.get(k), join(path, f, k), kind) if k in rec and (
                    is_number(rec.get(k)) or rec.get(k) is None)
                else (text_cell(_text(rec.get(k))) if k in rec else '<td class="empty"></td>')
                for k, _, kind in cols])
        return table(title, ["Scale"] +
                     [c[1] for c in cols], rows, number=self.c.table(),
                     note="\u03b1 = Cronbach's alpha (psych::alpha, Feldt CI); \u03c9 = "
                          "semTools::compRelSEM; CR = composite reliability; AVE = average "
                          "variance extracted. Conventional thresholds: \u03b1, \u03c9, CR "
                          "\u2265 .70; AVE \u2265 .50.")

    def matrix(self, val: Any, path: str, title: str, *, diag_bold: bool = False) -> str:
        if not isinstance(val, Mapping) or not all(isinstance(v, Mapping) for v in val.values()):
            return self.generic(val, path, title, "rel")
        names = list(val)
        symmetric = all(isinstance(val.get(b), Mapping) and val[a].get(b) == val[b].get(a)
                        for a in names for b in val[a])
        rows = []
        for i, a in enumerate(names):
            cells = [text_cell(_label(a), tag="th")]
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
        return table(title, [""] + [_label(n) for n in names], rows, number=self.c.table(),
                     cls="apa matrix", note=note)

    # ---------------------------------------------------------------------- fit
    def fit_sources(self) -> list[tuple[str, str, Mapping[str, Any]]]:
        out = []
        for top in ("measurement", "structural"):
            t = self.a.get(top)
            if not isinstance(t, Mapping):
                continue
            f = t.get("fit")
            if isinstance(f, Mapping) and f and all(isinstance(v, Mapping) for v in f.values()):
                for name, fm in f.items():
                    out.append((f"{top}: {_label(name)}", join(pointer(top), "fit", name), fm))
            elif isinstance(f, Mapping):
                out.append((f"{top} model", join(pointer(top), "fit"), f))
            for k, v in t.items():
                if isinstance(v, Mapping) and isinstance(v.get("fit"), Mapping) and k != "invariance":
                    out.append((f"{_label(k)} ({top})", join(pointer(top), k, "fit"), v["fit"]))
        return out

    def fit(self) -> str:
        parts = []
        est = self.estimator()
        if est:
            reasons = [ESTIMATOR_REASONS.get(e.upper(), "") for e in
                       dict.fromkeys(self.estimators().values())]
            parts.append(f"<p>Estimator: <strong>{esc(est)}</strong>. "
                         f"{esc(' '.join(r for r in reasons if r))}</p>")
        else:
            parts.append(self.missing("the estimator used (not recorded in the analysis)."))
        sources = self.fit_sources()
        if not sources:
            parts.append(self.missing("fit measures (no model was fitted successfully)."))
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
                           rows, number=self.c.table(),
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
                         + self.generic(f, path, f"fit measures, {label}", "fit") + "</details>")
        return "\n".join(parts)

    def invariance(self) -> str:
        m = self.a.get("measurement")
        if isinstance(m, Mapping) and m.get("available") is False:
            return self.missing("measurement-invariance tests (the measurement model is not "
                                "available).")
        inv = _get(m, "invariance")
        path = "/measurement/invariance"
        if inv is None and "invariance" in self.a:
            inv, path = self.a["invariance"], "/invariance"
        if _empty(inv):
            return self.missing("measurement-invariance tests (not run: no grouping variable "
                                "with enough cases per group, or the model failed).")
        return self.generic(inv, path, "measurement invariance sequence", "fit")

    def method_variance(self) -> str:
        m = self.a.get("measurement")
        if isinstance(m, Mapping) and m.get("available") is False:
            return self.missing("common-method checks (the measurement model is not available).")
        key = _first_key(m, "cmv", "method_variance", "common_method")
        if key:
            return self.generic(m[key], join("/measurement", key), "common-method checks", "num")
        key = _first_key(self.a, "cmv", "method_variance", "common_method")
        if key:
            return self.generic(self.a[key], pointer(key), "common-method checks", "num")
        return self.missing("common-method checks (marker, ULMC, Harman).")

    # ---------------------------------------------------------------- structural
    def structural_edges(self) -> tuple[list[str], list[Edge], list[str], dict[str, float]]:
        s = self.a.get("structural")
        rows: list[Mapping[str, Any]] = []
        key = _first_key(s, "paths", "params", "regressions")
        if key and isinstance(s[key], list):
            rows = [r for r in s[key] if isinstance(r, Mapping) and r.get("op", "~") == "~"]
        hyp_by_path: dict[tuple[str, str], str] = {}
        for h in self.a.get("hypotheses") or []:
            if not isinstance(h, Mapping):
                continue
            lhs, rhs = h.get("lhs"), h.get("rhs")
            p = h.get("path")
            if p is None and str(h.get("method", "")) in ("sem_path", "path"):
                p = h.get("test")
            if (lhs is None or rhs is None) and isinstance(p, str) and "~" in p and "=~" not in p:
                lhs, rhs = (x.strip() for x in p.split("~", 1))
            if isinstance(lhs, str) and isinstance(rhs, str):
                hyp_by_path.setdefault((rhs, lhs), str(h.get("id", "")))
                if not key:
                    rows.append({"lhs": lhs, "rhs": rhs, "est": h.get("estimate"),
                                 "pvalue": h.get("pvalue"), "hypothesis": h.get("id")})
        syntax = _get(self.a.get("provenance"), "path_model")
        if isinstance(syntax, str) and (not key):
            have = {(str(r.get("rhs")), str(r.get("lhs"))) for r in rows}
            for lhs, rhs in _regressions(syntax):
                if (rhs, lhs) not in have:
                    rows.append({"lhs": lhs, "rhs": rhs, "std_all": None, "pvalue": None,
                                 "hypothesis": None, "unlabelled": True})
        tested = {str(r.get(k)) for r in rows if not r.get("unlabelled") for k in ("lhs", "rhs")}
        if key:
            tested = set()
        for h in self.a.get("hypotheses") or []:
            if isinstance(h, Mapping) and isinstance(h.get("test"), str):
                tested |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", h["test"]))
        keep = tested | set(_get(s, "latent") or [])
        # paths from variables that take part in no hypothesis and are no construct of the
        # model (the control variables) are left out of the diagram
        rows = [r for r in rows if str(r.get("rhs")) in keep or not tested]
        nodes: list[str] = []
        edges = []
        for r in rows:
            if r.get("unlabelled"):
                nodes += [str(r["rhs"]), str(r["lhs"])]
                edges.append(Edge(str(r["rhs"]), str(r["lhs"]), "", None))
                continue
            lhs, rhs = str(r.get("lhs")), str(r.get("rhs"))
            nodes += [rhs, lhs]
            std = "std_all" in r
            val = r.get("std_all") if std else r.get("est")
            p = r.get("pvalue")
            hid = r.get("hypothesis") or r.get("label") or hyp_by_path.get((rhs, lhs), "")
            text = fmt(val, "std" if std else "est") + stars(p)
            if hid:
                text = f"{hid}: {text}"
            sig = bool(is_number(p) and float(p) < 0.05) if p is not None else None
            edges.append(Edge(rhs, lhs, text, sig))
        latent = list(_get(s, "latent") or [])
        r2 = {k: float(v) for k, v in (_get(s, "r2") or {}).items()
              if is_number(v) and math.isfinite(float(v)) and k in nodes} \
            if isinstance(_get(s, "r2"), Mapping) else {}
        return nodes, edges, latent, r2

    def structural(self) -> str:
        nodes, edges, latent, r2 = self.structural_edges()
        parts = []
        if edges:
            svg = path_diagram(nodes, edges, latent=latent, r2=r2)
            std = isinstance(self.a.get("structural"), Mapping)
            what = ("standardized estimates" if std else
                    "the hypothesis tests' unstandardized estimates (label: hypothesis, "
                    "estimate; thin grey arrows are paths of the model that test no hypothesis)")
            parts.append(self.figure(
                svg, f"Path diagram of the structural model with {what}. Black: p &lt; .05; "
                "dashed grey: not significant; * p &lt; .05, ** p &lt; .01, *** p &lt; .001. "
                "Ellipses are latent variables, boxes scale or index scores; control "
                "variables, measurement paths and covariances are omitted for readability."))
        else:
            parts.append(self.missing("the path diagram (no structural paths in the analysis)."))
        s = self.a.get("structural")
        if isinstance(s, Mapping) and s.get("available") is False:
            parts.append(self.missing(f"the structural model: {s.get('reason', 'not run')}"))
        elif isinstance(s, Mapping):
            if s.get("converged") is False:
                parts.append('<p class="na">The structural model did not converge; its '
                             "estimates are not interpretable.</p>")
            rest = {k: v for k, v in s.items() if k not in ("fit", "available", "warnings")}
            parts.append(self.generic(rest, "/structural", "structural model", "est"))
        return "\n".join(parts)

    def hypotheses(self) -> str:
        hyps = self.a.get("hypotheses")
        if _empty(hyps) or not isinstance(hyps, list):
            return self.missing("hypothesis tests (the analysis has no 'hypotheses').")
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
                + (f'<br><code>{esc(h["test"])}</code>' if isinstance(h.get("test"), str)
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
                f'<td class="{esc(vcls)}">{esc(verdict)}</td>',
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
        mt = self.a.get("multiple_testing")
        if isinstance(mt, str) and mt:
            note += esc(mt) + " "
        out = table("Hypothesis tests and verdicts",
                    ["H", "Hypothesis", "Expected", "Method", "Model", "Estimate", "95% CI",
                     "Test", "p", "p (adj.)", "TOST p", "Power", "Verdict"], rows,
                    number=self.c.table(), cls="apa verdicts",
                    note=note)
        dec = self.a.get("decision")
        if isinstance(dec, Mapping) and dec:
            out += self.generic(dec, "/decision", "Declared decision rules", "p")
        out += self.latent_table(hyps)
        if notes:
            out += ('<h3>Notes on the tests</h3><ul class="hypnotes">'
                    + "".join(f"<li>{n}</li>" for n in notes) + "</ul>")
        if forest_rows:
            out += self.figure(figures.forest(forest_rows, name="fig-forest"),
                               "Hypothesis estimates with 95% confidence intervals.")
        extra = [(i, h) for i, h in enumerate(hyps) if isinstance(h, Mapping) and any(
            k not in HYP_FIELDS for k in h)]
        for i, h in extra:
            rest = {k: v for k, v in h.items() if k not in HYP_FIELDS
                    and not any(True for _ in _walk(v, "", "simple_slopes"))}
            if not rest:
                continue
            out += self.generic(rest, pointer("hypotheses", i),
                                f"{h.get('id', i)}: details", "est").replace(
                "<h4>", '<h4 class="hypdetail">', 1)
        return out

    def mediation_moderation(self) -> str:
        parts = []
        med = self.a.get("mediation")
        if not _empty(med):
            parts.append(self.generic(med, "/mediation", "mediation (indirect effects)", "est"))
        found = list(_walk(self.a, "", "simple_slopes"))
        for path, holder in found:
            if not path.endswith("/latent_interaction"):
                parts.append(self.moderation_plots(path, holder))
        for path, holder in found:
            if path.endswith("/latent_interaction"):
                parts.append(self.latent_block(path, holder))
        mod = self.a.get("moderation")
        if not _empty(mod) and not any(p.startswith("/moderation") for p, _ in found):
            parts.append(self.generic(mod, "/moderation", "moderation", "est"))
        for key, title in (("quadratic", "Curvilinear (quadratic) effects"),
                           ("response_surface", "Response-surface analysis")):
            val = self.a.get(key)
            if not _empty(val):
                parts.append(f"<h3>{title}</h3>" + self.generic(val, pointer(key), title, "est"))
        if not parts:
            hyps = [h for h in self.a.get("hypotheses") or [] if isinstance(h, Mapping)]
            mh = [h for h in hyps if any(w in str(h.get("method", "")).lower()
                                         for w in ("indirect", "mediat", "moderat", "interaction"))]
            if mh:
                parts.append("<p>Mediation and moderation hypotheses ("
                             + ", ".join(esc(h.get("id", "")) for h in mh)
                             + ") are in the hypothesis table; no plotting data in the analysis.</p>")
            parts.append(self.missing("simple-slopes and Johnson-Neyman data for plots."))
        return "\n".join(parts)

    def latent_table(self, hyps: list[Any]) -> str:
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
            fk = _first_key(fit, "cfi_robust", "cfi")
            rk = _first_key(fit, "rmsea_robust", "rmsea")
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
                "'latent_moderation'). Details, simple slopes and fit in the moderation section.")
        return table("Latent-interaction alternative of the moderation hypotheses",
                     ["H", "Verdict from", "b", "SE", "95% CI", "p", "Std. b", "N",
                      "CFI (robust)", "RMSEA (robust)"], rows, number=self.c.table(),
                     cls="apa", note=note)

    def latent_block(self, path: str, holder: Mapping[str, Any]) -> str:
        """One latent interaction: simple slopes (table and figure), the Y equation, the rest."""
        idx = path.split("/")[2] if path.startswith("/hypotheses/") else ""
        hid = str(self.a["hypotheses"][int(idx)].get("id", idx)) if idx.isdigit() else path
        focal, moder = holder.get("focal", "X"), holder.get("moderator", "Z")
        parts = [f"<h3>Latent interaction: {esc(hid)} ({esc(_label(focal))} × "
                 f"{esc(_label(moder))} → {esc(_label(holder.get('outcome', 'Y')))})</h3>"]
        slopes = holder.get("simple_slopes")
        rows = []
        lines = []
        coefs = {str(r.get("term")): r for r in holder.get("coefficients") or []
                 if isinstance(r, Mapping)}
        bz = _get(coefs.get("Z"), "estimate")
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
            f"{hid}: simple slopes of latent {_label(focal)}", [
                f"Latent {_label(moder)}", "Value", "Slope", "SE", "z", "95% CI", "p"],
            rows, number=self.c.table(), cls="apa",
            note=("Slopes at the latent moderator's mean and ±1 SD (SD from its latent "
                  "variance); delta-method SEs that include the variance's sampling error.")))
        var = holder.get("latent_variances")
        vx = _get(var, "X")
        if lines and is_number(vx) and float(vx) > 0:
            sd = math.sqrt(float(vx))
            parts.append(self.figure(figures.simple_slopes(
                lines, (-2 * sd, 2 * sd), xlabel=f"latent {_label(focal)} (centred)",
                ylabel=f"latent {_label(holder.get('outcome', 'Y'))} (centred)",
                name=f"fig-slopes-{self.c.figures + 1}"),
                f"Latent simple slopes for {esc(hid)} at the latent moderator's mean and "
                "±1 SD (product-indicator model; lines through the centred latent means)."))
        rest = {k: v for k, v in holder.items() if k != "simple_slopes"}
        parts.append("<details><summary>Latent interaction model: estimates, fit, pairs and "
                     "syntax</summary>" + self.generic(rest, path, f"{hid} latent model", "est")
                     + "</details>")
        return "\n".join(parts)

    def moderation_plots(self, path: str, holder: Mapping[str, Any]) -> str:
        title = str(holder.get("id") or holder.get("hypothesis") or "")
        if not title and path.startswith("/hypotheses/"):
            idx = int(path.split("/")[2])
            title = str(self.a["hypotheses"][idx].get("id", idx))
        title = title or path.rsplit("/", 1)[-1]
        parts = [f"<h3>Moderation: {esc(title)}</h3>"]
        slopes = holder.get("simple_slopes")
        parts.append(self.generic(slopes, join(path, "simple_slopes"), "simple slopes", "est"))
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
            parts.append(self.figure(figures.simple_slopes(
                lines, x_range, xlabel=_label(holder.get("focal", "focal predictor")),
                ylabel=_label(holder.get("outcome", "outcome")),
                name=f"fig-slopes-{self.c.figures + 1}"),
                f"Simple slopes for {esc(title)} at low, mean and high moderator values."))
        rest = {k: v for k, v in holder.items() if k not in ("simple_slopes", "johnson_neyman")}
        if rest:
            parts.append(self.generic(rest, path, "model", "est"))
        jn = holder.get("johnson_neyman")
        if jn is not None and not isinstance(jn, Mapping):
            parts.append(self.generic(jn, join(path, "johnson_neyman"), "Johnson-Neyman", "est"))
        if isinstance(jn, Mapping):
            parts.append("<details><summary>Johnson-Neyman values</summary>"
                         + self.generic(jn, join(path, "johnson_neyman"), "Johnson-Neyman", "est")
                         + "</details>")
            curve = jn.get("curve") or jn.get("grid")
            pts = []
            if isinstance(curve, list):
                for r in curve:
                    if isinstance(r, Mapping):
                        mval = _get(r, "moderator", "value", "w", "m")
                        if all(is_number(x) for x in (mval, r.get("slope"), r.get("ci_lower"),
                                                      r.get("ci_upper"))):
                            pts.append((float(mval), float(r["slope"]), float(r["ci_lower"]),
                                        float(r["ci_upper"])))
            bounds = [float(b) for b in (jn.get("bounds") or []) if is_number(b)]
            if pts:
                lo_m, hi_m = min(p[0] for p in pts), max(p[0] for p in pts)
                bounds = [b for b in bounds if lo_m <= b <= hi_m]
            if pts:
                parts.append(self.figure(figures.johnson_neyman(
                    pts, bounds, xlabel=_label(holder.get("moderator", "moderator")),
                    name=f"fig-jn-{self.c.figures + 1}"),
                    f"Johnson-Neyman plot for {esc(title)}: the conditional slope with its 95% "
                    "CI; dotted lines mark where the CI crosses zero."))
            else:
                parts.append(na("Johnson-Neyman curve (no grid of conditional slopes)."))
        return "\n".join(parts)

    def dyadic(self) -> str:
        d = self.a.get("dyadic")
        if _empty(d):
            return self.missing("dyadic analysis (no dyads with both partners' answers, or not run).")
        if isinstance(d, Mapping) and d.get("available") is False:
            reason = d.get("reason") or d.get("note") or "not run"
            return self.missing(f"dyadic analysis ({reason}).")
        return self.generic(d, "/dyadic", "dyadic agreement and models", "est")

    def warnings(self) -> str:
        items = []
        for _path, w in (("/warnings", self.a.get("warnings")),
                        ("/measurement/warnings", _get(self.a.get("measurement"), "warnings")),
                        ("/structural/warnings", _get(self.a.get("structural"), "warnings"))):
            if isinstance(w, list):
                items += [str(x) for x in w]
        items += self.notes
        if not items:
            return "<p>No warnings.</p>"
        return '<ul class="warnings">' + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"

    def provenance(self) -> str:
        parts = []
        p = self.a.get("provenance")
        if _empty(p):
            parts.append(self.missing("provenance of the analysis."))
        else:
            parts.append(self.generic(p, "/provenance", "analysis provenance", "num"))
        build = self.x.get("build") or {}
        if build:
            parts.append('<h3>Report build</h3><dl class="prov">' + "".join(
                f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in build.items()) + "</dl>")
        return "\n".join(parts)


#: Top-level keys of the analysis that the sections above show; others go to "Further results".
CONSUMED = {"n", "n_raw", "fieldwork", "response_rates", "sample", "missing", "exclusions",
            "descriptives", "correlations", "measurement", "invariance", "cmv",
            "method_variance", "common_method", "structural", "hypotheses", "mediation",
            "moderation", "dyadic", "warnings", "provenance", "estimator", "reliability",
            "multiple_testing", "decision", "quadratic", "response_surface"}

HYP_FIELDS = {"id", "statement", "expected_sign", "verdict", "estimate", "ci_lower",
              "ci_upper", "pvalue", "pvalue_adjusted", "method", "note", "model",
              "alternative", "pvalue_equivalence", "power_sesoi"}


def _regressions(syntax: str) -> list[tuple[str, str]]:
    """``(lhs, rhs)`` of the regressions (``y ~ a + b``) of lavaan syntax, in order."""
    out = []
    for line in syntax.replace(";", "\n").splitlines():
        line = line.split("#", 1)[0].strip()
        if "~" not in line or "=~" in line or "~~" in line or ":=" in line:
            continue
        lhs, rhs = (x.strip() for x in line.split("~", 1))
        for term in rhs.split("+"):
            term = term.strip()
            if "*" in term:
                term = term.split("*", 1)[1].strip()
            if term and term != "1" and lhs:
                out.append((lhs, term))
    return out


def _walk(value: Any, path: str, key: str):
    """Yield ``(path, mapping)`` for every mapping that has ``key`` (depth first, in order)."""
    if isinstance(value, Mapping):
        if key in value:
            yield path, value
            return
        for k, v in value.items():
            yield from _walk(v, join(path, k), key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, join(path, i), key)


def render_html(analysis: Mapping[str, Any], *, extras: Mapping[str, Any] | None = None,
                title: str | None = None, embed_json: bool = True) -> str:
    """The full report as one self-contained HTML string.

    Parameters
    ----------
    analysis : mapping
        JSON-ready analysis (the dict of :func:`analysis.study.pipeline.analyze_study`);
        values must already be JSON types (``None`` for missing numbers).
    extras : mapping, optional
        ``item_distributions`` (``{scale: {item: [counts]}}``), ``item_levels``
        and ``build`` (report-build provenance, shown as text).
    title : str, optional
        Report title.
    embed_json : bool
        Embed the analysis JSON in a ``<script type="application/json">`` block.
    """
    rep = _Report(analysis, extras or {})
    renderers = {
        "summary": rep.summary, "sample": rep.sample, "missing": rep.missing_data,
        "exclusions": rep.exclusions, "descriptives": rep.descriptives,
        "item-distributions": rep.item_distributions, "measurement": rep.measurement,
        "fit": rep.fit, "invariance": rep.invariance, "method-variance": rep.method_variance,
        "structural": rep.structural, "hypotheses": rep.hypotheses,
        "mediation-moderation": rep.mediation_moderation, "dyadic": rep.dyadic,
        "warnings": rep.warnings, "provenance": rep.provenance,
    }
    bodies = []
    for sid, stitle in SECTIONS:
        try:
            body = renderers[sid]()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            # A malformed part of the analysis must not sink the whole report.
            rep.notes.append(f"Section '{stitle}' could not be rendered: {exc}.")
            body = na(f"{stitle} (the analysis part is malformed: {exc}).")
        bodies.append((sid, stitle, body))
    leftover = [k for k in analysis if k not in CONSUMED]
    if leftover:
        body = "\n".join(rep.generic(analysis[k], pointer(k), k) for k in leftover)
        at = [s for s, _ in SECTIONS].index("warnings")
        bodies.insert(at, ("other", "Further results", body))
    # the warnings section collects notes of all others: render it last, place it in order
    bodies = [(sid, t, rep.warnings() if sid == "warnings" else b) for sid, t, b in bodies]
    title = title or "Learning and dependence in strategic alliances: study report"
    toc = "".join(f'<li><a href="#{sid}">{esc(t)}</a></li>' for sid, t, _ in bodies)
    secs = "\n".join(f'<section id="{sid}" data-section="{sid}">\n<h2>{k + 1}. {esc(t)}</h2>\n'
                     f"{b}\n</section>" for k, (sid, t, b) in enumerate(bodies))
    blob = ""
    if embed_json:
        text = json.dumps(analysis, allow_nan=False, ensure_ascii=True).replace("</", "<\\/")
        blob = f'<script type="application/json" id="analysis-json">{text}</script>\n'
    subtitle = ""
    prov = analysis.get("provenance") if isinstance(analysis, Mapping) else None
    if isinstance(prov, Mapping):
        bits = [f"{_label(k)} {prov[k]}" for k in ("study", "instrument_id", "instrument_version",
                                                      "seed") if is_scalar_text(prov.get(k))]
        subtitle = "; ".join(bits)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="alliance-survey report">\n<title>{esc(title)}</title>\n'
        f"<style>\n{css()}</style>\n</head>\n<body>\n<header>\n<h1>{esc(title)}</h1>\n"
        f'<p class="subtitle">{esc(subtitle)}</p>\n</header>\n'
        f'<nav class="toc"><ol>{toc}</ol></nav>\n<main>\n{secs}\n</main>\n{blob}</body>\n</html>\n'
    )


def is_scalar_text(v: Any) -> bool:
    return isinstance(v, str | int) and not isinstance(v, bool)


def section_ids() -> list[str]:
    """The ids of the report's sections, in order."""
    return [s for s, _ in SECTIONS]

