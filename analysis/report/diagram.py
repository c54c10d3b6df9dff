"""A path diagram of the structural model as hand-written, deterministic SVG.

Layout: each variable's column is the length of the longest chain of paths
leading to it (exogenous variables on the left); inside a column variables are
ordered by the mean row of their predictors (ties by first appearance).
Latent variables are ellipses, observed ones boxes; each arrow is labelled with
its standardized estimate and stars, non-significant paths are dashed and grey.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .html import esc

FONT = 13.0
CHAR_W = 7.4  # average width of a character of the 13 px sans-serif font
ROW_H = 78.0
GAP_X = 150.0
PAD = 24.0


@dataclass(frozen=True)
class Edge:
    """One directed path: ``source -> target`` with a label (e.g. ``"H1 .32***"``)."""

    source: str
    target: str
    label: str
    significant: bool | None = None


def _levels(nodes: Sequence[str], edges: Sequence[Edge]) -> dict[str, int]:
    level = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # longest path; at most len(nodes) sweeps (cycles stop there)
        changed = False
        for e in edges:
            if e.source == e.target:
                continue
            if level[e.target] < level[e.source] + 1:
                level[e.target] = level[e.source] + 1
                changed = True
        if not changed:
            break
    return level


def _gap_t(sx: float, tx: float, centre: float) -> float:
    """Curve parameter where an edge from ``sx`` to ``tx`` crosses the gap centre (<= 0.5)."""
    if tx <= sx:
        return 0.5
    return max(0.05, min(0.5, (centre - sx) / (tx - sx)))


def _f(x: float) -> str:
    return f"{x:.1f}"


def path_diagram(nodes: Sequence[str], edges: Sequence[Edge], *,
                 latent: Sequence[str] = (), r2: Mapping[str, float] | None = None,
                 labels: Mapping[str, str] | None = None, name: str = "pd") -> str:
    """Draw the diagram and return an ``<svg>`` element.

    Parameters
    ----------
    nodes : sequence of str
        Variable names in order of first appearance (used for ties).
    edges : sequence of Edge
        Regression paths.
    latent : sequence of str
        Names drawn as ellipses.
    r2 : mapping, optional
        R² per endogenous variable, printed under its name (already formatted
        values are not accepted: pass floats).
    labels : mapping, optional
        Display names.
    """
    from .fmt import fmt

    nodes = list(dict.fromkeys(nodes))
    labels = dict(labels or {})
    r2 = dict(r2 or {})
    level = _levels(nodes, edges)
    ncols = max(level.values(), default=0) + 1
    cols: list[list[str]] = [[n for n in nodes if level[n] == c] for c in range(ncols)]
    order = {n: i for i, n in enumerate(nodes)}
    row: dict[str, float] = {}
    for c, members in enumerate(cols):
        if c > 0:
            def key(n: str) -> tuple[float, int]:
                preds = [row[e.source] for e in edges if e.target == n and e.source in row]
                return (sum(preds) / len(preds) if preds else 0.0, order[n])

            members.sort(key=key)
        for i, n in enumerate(members):
            row[n] = float(i)
    text = {n: labels.get(n, n.replace("_", " ")) for n in nodes}
    width = {n: max(96.0, 8.2 * len(text[n]) + 26.0) for n in nodes}
    col_w = [max((width[n] for n in members), default=110.0) for members in cols]
    x_col = []
    x = PAD
    for w in col_w:
        x_col.append(x)
        x += w + GAP_X
    total_w = x - GAP_X + PAD
    max_rows = max((len(m) for m in cols), default=1)
    total_h = PAD * 2 + max_rows * ROW_H
    pos: dict[str, tuple[float, float]] = {}
    for c, members in enumerate(cols):
        offset = (max_rows - len(members)) * ROW_H / 2.0
        for n in members:
            cx = x_col[c] + col_w[c] / 2.0
            cy = PAD + offset + row[n] * ROW_H + ROW_H / 2.0
            pos[n] = (cx, cy)
    h = 44.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pathdiagram" role="img" '
        f'aria-label="Path diagram of the structural model" viewBox="0 0 {_f(total_w)} '
        f'{_f(total_h)}" width="{_f(total_w)}" height="{_f(total_h)}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="{FONT:g}">',
        f'<defs><marker id="{name}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
    ]
    label_parts = []
    boxes: list[tuple[float, float, float, float]] = []  # placed labels: x0, y0, x1, y1
    for e in edges:
        if e.source not in pos or e.target not in pos or e.source == e.target:
            continue
        (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
        sx = x0 + width[e.source] / 2.0
        tx = x1 - width[e.target] / 2.0 - 2.0
        if tx < sx:  # feedback / same column: route from the left side
            sx = x0 - width[e.source] / 2.0
            tx = x1 + width[e.target] / 2.0 + 2.0
        span = level[e.target] - level[e.source]
        color = "#1a1a1a" if e.significant else "#8c8c8c"
        dash = "" if e.significant else ' stroke-dasharray="6 4"'
        stroke = "1.6"
        if e.significant is None:  # a path without an estimate to show
            color, dash, stroke = "#b4b4b4", "", "1.0"
        if span > 1:
            bend = -0.45 * ROW_H * (span - 1)
            cxp, cyp = (sx + tx) / 2.0, (y0 + y1) / 2.0 + bend
            d = f"M{_f(sx)},{_f(y0)} Q{_f(cxp)},{_f(cyp)} {_f(tx)},{_f(y1)}"
            t = _gap_t(sx, tx, x_col[level[e.source]] + col_w[level[e.source]] + GAP_X / 2)
            lx = (1 - t) ** 2 * sx + 2 * t * (1 - t) * cxp + t * t * tx
            ly = (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cyp + t * t * y1
        else:
            d = f"M{_f(sx)},{_f(y0)} L{_f(tx)},{_f(y1)}"
            t = _gap_t(sx, tx, x_col[level[e.source]] + col_w[level[e.source]] + GAP_X / 2)
            lx, ly = sx + t * (tx - sx), y0 + t * (y1 - y0)
        out.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{stroke}"{dash} '
                   f'marker-end="url(#{name}-arrow)"><title>{esc(e.source)} \u2192 '
                   f'{esc(e.target)}: {esc(e.label)}</title></path>')
        if not e.label:
            continue
        lw = CHAR_W * 0.92 * len(e.label) + 10.0
        for _ in range(12):  # move a label down until it overlaps no label placed before
            if not any(lx - lw / 2 < b[2] and lx + lw / 2 > b[0] and ly - 11 < b[3]
                       and ly + 11 > b[1] for b in boxes):
                break
            ly += 22.0
        boxes.append((lx - lw / 2, ly - 11, lx + lw / 2, ly + 11))
        label_parts.append(
            f'<rect x="{_f(lx - lw / 2)}" y="{_f(ly - 10)}" width="{_f(lw)}" height="19" rx="3" '
            f'fill="#ffffff" fill-opacity="0.92" stroke="{color}" stroke-width="0.6"/>'
            f'<text x="{_f(lx)}" y="{_f(ly + 4.5)}" text-anchor="middle" font-size="12" '
            f'fill="{color}">{esc(e.label)}</text>')
    for n in nodes:
        cx, cy = pos[n]
        w = width[n]
        if n in latent:
            out.append(f'<ellipse cx="{_f(cx)}" cy="{_f(cy)}" rx="{_f(w / 2)}" ry="{_f(h / 2 + 4)}" '
                       'fill="#eef3fa" stroke="#1a1a1a" stroke-width="1.4"/>')
        else:
            out.append(f'<rect x="{_f(cx - w / 2)}" y="{_f(cy - h / 2)}" width="{_f(w)}" '
                       f'height="{_f(h)}" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.4"/>')
        if n in r2:
            out.append(f'<text x="{_f(cx)}" y="{_f(cy - 2)}" text-anchor="middle" '
                       f'font-weight="bold">{esc(text[n])}</text>')
            out.append(f'<text x="{_f(cx)}" y="{_f(cy + 14)}" text-anchor="middle" '
                       f'font-size="11" fill="#444444">R\u00b2 = {esc(fmt(r2[n], "std"))}</text>')
        else:
            out.append(f'<text x="{_f(cx)}" y="{_f(cy + 4.5)}" text-anchor="middle" '
                       f'font-weight="bold">{esc(text[n])}</text>')
    out.extend(label_parts)
    out.append("</svg>")
    return "\n".join(out)


def _wrap(text: str, width: int = 18) -> list[str]:
    """Break a label into lines of at most about ``width`` characters (at spaces)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _dot_html(text: str) -> str:
    """Text escaped for a Graphviz HTML-like label."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def dot_source(nodes: Sequence[str], edges: Sequence[Edge], *, latent: Sequence[str] = (),
               r2: Mapping[str, float] | None = None,
               labels: Mapping[str, str] | None = None) -> str:
    """The Graphviz ``dot`` source of the path diagram (left to right).

    Latent variables are ellipses, scale and index scores boxes; each path carries
    its own label (``label=``, which ``dot`` places beside the edge it belongs to);
    non-significant paths are dashed and grey, paths without an estimate thin and grey.
    """
    from .fmt import fmt

    nodes = list(dict.fromkeys(nodes))
    labels = dict(labels or {})
    r2 = dict(r2 or {})
    out = ["digraph pathmodel {",
           '  graph [rankdir=LR, nodesep=0.18, ranksep=0.3, splines=true, '
           'fontname="DejaVu Sans", bgcolor="transparent", pad=0.1];',
           '  node [fontname="DejaVu Sans", fontsize=13, penwidth=1.3, margin="0.12,0.06"];',
           '  edge [fontname="DejaVu Sans", fontsize=10, arrowsize=0.7];']
    for i, n in enumerate(nodes):
        lines = [f"<B>{_dot_html(x)}</B>" for x in _wrap(labels.get(n, n.replace("_", " ")))]
        if n in r2:
            lines.append(f'<FONT POINT-SIZE="11">R² = {_dot_html(fmt(r2[n], "std"))}</FONT>')
        shape = ('shape=ellipse, style=filled, fillcolor="#eef3fa"' if n in latent
                 else 'shape=box, style=filled, fillcolor="#ffffff"')
        out.append(f'  n{i} [{shape}, label=<{"<BR/>".join(lines)}>, '
                   f'tooltip="{_dot_html(n)}"];')
    index = {n: i for i, n in enumerate(nodes)}
    for k, e in enumerate(edges):
        if e.source not in index or e.target not in index or e.source == e.target:
            continue
        if e.significant is None:
            color, style = "#b4b4b4", "penwidth=1.0"
        elif e.significant:
            color, style = "#1a1a1a", "penwidth=1.5"
        else:
            color, style = "#8c8c8c", "style=dashed, penwidth=1.2"
        src, dst = f"n{index[e.source]}", f"n{index[e.target]}"
        if not e.label:
            out.append(f'  {src} -> {dst} [color="{color}", {style}];')
            continue
        # The coefficient is a small node on the path itself (the path runs through it),
        # so that no label can drift towards a neighbouring arrow.
        out.append(f'  e{k} [shape=box, style="rounded,filled", fillcolor="#ffffff", '
                   f'color="{color}", fontcolor="{color}", fontsize=11, penwidth=0.6, '
                   f'width=0, height=0, margin="0.04,0.02", label=<{_dot_html(e.label)}>];')
        out.append(f'  {src} -> e{k} [color="{color}", {style}, arrowhead=none];')
        out.append(f'  e{k} -> {dst} [color="{color}", {style}];')
    out.append("}")
    return "\n".join(out) + "\n"


def dot_available() -> bool:
    """Whether the Graphviz ``dot`` program can be run."""
    import shutil

    return shutil.which("dot") is not None


def graphviz_svg(source: str, name: str = "pd") -> str:
    """Lay out ``source`` with Graphviz ``dot`` and return an inline ``<svg>`` element.

    Graphviz writes its version and the node names as comments and numbers ids from
    1 in every drawing: the comments and prolog are dropped (the rebuild must give
    the same bytes whatever Graphviz release made it) and the ids get the prefix
    ``name`` so that several diagrams can share one page.
    """
    import graphviz

    from analysis.errors import AllianceSurveyError

    try:
        raw = graphviz.Source(source, engine="dot").pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as exc:
        raise AllianceSurveyError(
            f"Graphviz could not draw the path diagram: {exc}. Install the Debian package "
            "graphviz (scripts/ensure-system-deps.sh).") from exc
    text = raw[raw.index("<svg"):]
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r"\s*<title>[^<]*</title>(?=\s*<polygon fill=\"transparent\")", "", text)
    # one drawing unit per CSS pixel, shrunk to the column when wider (report.css)
    text = re.sub(r'width="([0-9.]+)pt" height="([0-9.]+)pt"',
                  lambda m: f'width="{m.group(1)}" height="{m.group(2)}"', text, count=1)
    text = text.replace("<svg ", '<svg class="pathdiagram" role="img" '
                        'aria-label="Path diagram of the structural model" ', 1)
    return text.rstrip() + "\n"
