"""The structural section: the path diagram and the structural model's estimates."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..diagram import Edge, dot_available, dot_source, graphviz_svg, path_diagram
from ..fmt import fmt, is_number, stars
from .common import (
    ReportContext,
    first_key,
    get_first,
)


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

def structural_edges(ctx: ReportContext) -> tuple[list[str], list[Edge], list[str], dict[str, float]]:
    s = ctx.a.get("structural")
    rows: list[Mapping[str, Any]] = []
    key = first_key(s, "paths", "params", "regressions")
    if key and isinstance(s[key], list):
        rows = [r for r in s[key] if isinstance(r, Mapping) and r.get("op", "~") == "~"]
    hyp_by_path: dict[tuple[str, str], str] = {}
    for h in ctx.a.get("hypotheses") or []:
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
    syntax = get_first(ctx.a.get("provenance"), "path_model")
    if isinstance(syntax, str) and (not key):
        have = {(str(r.get("rhs")), str(r.get("lhs"))) for r in rows}
        for lhs, rhs in _regressions(syntax):
            if (rhs, lhs) not in have:
                rows.append({"lhs": lhs, "rhs": rhs, "std_all": None, "pvalue": None,
                             "hypothesis": None, "unlabelled": True})
    tested = {str(r.get(k)) for r in rows if not r.get("unlabelled") for k in ("lhs", "rhs")}
    if key:
        tested = set()
    for h in ctx.a.get("hypotheses") or []:
        if isinstance(h, Mapping) and isinstance(h.get("test"), str):
            tested |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", h["test"]))
    keep = tested | set(get_first(s, "latent") or [])
    # the dependence indices are the study's predictors even where no hypothesis names them
    keep |= {str(r.get("rhs")) for r in rows
             if str(r.get("rhs")).startswith(("jd_", "asym_", "adv_", "dyad_"))}
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
    latent = _multi_indicator(s)
    r2 = {k: float(v) for k, v in (get_first(s, "r2") or {}).items()
          if is_number(v) and math.isfinite(float(v)) and k in nodes} \
        if isinstance(get_first(s, "r2"), Mapping) else {}
    return nodes, edges, latent, r2


def _multi_indicator(s: Any) -> list[str]:
    """Latent variables of the model with more than one indicator.

    A scale score entered as a single-indicator latent (its error variance fixed from
    its reliability) is still a composite of the items: it is drawn as a box, so that
    an ellipse always means a common factor of several indicators.
    """
    names = list(get_first(s, "latent") or [])
    rows = get_first(s, "params") or []
    count: dict[str, int] = {}
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, Mapping) and r.get("op") == "=~":
            count[str(r.get("lhs"))] = count.get(str(r.get("lhs")), 0) + 1
    syntax = get_first(s, "syntax")
    if not count and isinstance(syntax, str):
        for line in syntax.splitlines():
            if "=~" in line:
                lhs, rhs = line.split("=~", 1)
                count[lhs.strip()] = count.get(lhs.strip(), 0) + len(rhs.split("+"))
    return [n for n in names if count.get(n, 2) > 1]


def diagram_svg(ctx: ReportContext) -> str | None:
    """The path diagram as inline SVG (Graphviz when installed), or None without paths."""
    nodes, edges, latent, r2 = structural_edges(ctx)
    if not edges:
        return None
    labels = {n: ctx.label(n) for n in nodes}
    if dot_available():
        return graphviz_svg(dot_source(nodes, edges, latent=latent, r2=r2, labels=labels))
    return path_diagram(nodes, edges, latent=latent, r2=r2, labels=labels)


def structural(ctx: ReportContext, *, diagram: bool = True) -> str:
    """The path diagram (unless ``diagram=False``: the main body has drawn it) and every
    parameter of the structural model."""
    svg = diagram_svg(ctx) if diagram else None
    parts = []
    if not diagram:
        pass
    elif svg is not None:
        std = isinstance(ctx.a.get("structural"), Mapping)
        what = ("standardized estimates" if std else
                "the hypothesis tests' unstandardized estimates (label: hypothesis, "
                "estimate; thin grey arrows are paths of the model that test no hypothesis)")
        parts.append(ctx.figure(
            svg, f"Path diagram of the structural model with {what}. Black: p &lt; .05; "
            "dashed grey: not significant; * p &lt; .05, ** p &lt; .01, *** p &lt; .001. "
            "Ellipses are latent variables with several indicators, boxes scale scores "
            "(single-indicator latents with reliability-fixed error) and indices; control "
            "variables, measurement paths and covariances are omitted for readability."))
    else:
        parts.append(ctx.missing("the path diagram (no structural paths in the analysis)."))
    s = ctx.a.get("structural")
    if isinstance(s, Mapping) and s.get("available") is False:
        parts.append(ctx.missing(f"the structural model: {s.get('reason', 'not run')}"))
    elif isinstance(s, Mapping):
        if s.get("converged") is False:
            parts.append('<p class="na">The structural model did not converge; its '
                         "estimates are not interpretable.</p>")
        rest = {k: v for k, v in s.items() if k not in ("fit", "available", "warnings")}
        parts.append(ctx.generic(rest, "/structural", "structural model", "est"))
    return "\n".join(parts)
