"""Figures as deterministic inline SVG (matplotlib, object API, no pyplot state).

Determinism: ``svg.hashsalt`` is fixed, the ``Date`` metadata is dropped, text
stays text (``svg.fonttype = "none"``), and every ``id`` in a figure is prefixed
with the figure's own name so that several figures can live in one HTML page.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .fmt import fmt

RC = {
    "svg.hashsalt": "alliance-survey-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

#: Formatting kind of the turning point, in the inverted-U figure and in its caption.
TURNING_KIND = "est"

# Colour-blind safe sequential palette for 7-point responses (disagree -> agree).
LIKERT = ["#b2182b", "#d6604d", "#f4a582", "#e0e0e0", "#92c5de", "#4393c3", "#2166ac"]


def _svg(fig: Any, name: str) -> str:
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype for inline use
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # every id and every reference to one (url(#id), href="#id") gets the figure's
    # name in front, so that the figures of one page do not share ids: one pass over the
    # text (a replace per id over a figure of hundreds of ids had cost ~50 ms)
    ids = set(re.findall(r'id="([^"]+)"', text))

    def prefixed(m: re.Match[str]) -> str:
        ref = m.group(2)
        return f"{m.group(1)}{name}-{ref}{m.group(3)}" if ref in ids else m.group(0)

    text = re.sub(r'(id="|#|"#)([^"()\s#]+)(\)|")', prefixed, text)
    text = re.sub(r"<svg ", f'<svg role="img" aria-label="{name}" ', text, count=1)
    return text


def _figure(width: float, height: float) -> Any:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(RC):
        return Figure(figsize=(width, height), dpi=72)


def item_distributions(counts: Mapping[str, Mapping[str, Sequence[float]]],
                       levels: Sequence[int], *,
                       level_labels: Mapping[int, str] | None = None,
                       titles: Mapping[str, str] | None = None) -> str:
    """Small multiples: per scale, the share of each response per item (stacked bars).

    ``counts`` is ``{scale: {item: [count per level]}}``; ``level_labels`` names the
    response options in the colour key (``{1: "Strongly disagree", ...}``), ``titles``
    the panels (the constructs' labels).
    """
    import numpy as np
    from matplotlib import rc_context

    scales = list(counts)
    ncol = 3
    nrow = max(1, math.ceil(len(scales) / ncol))
    with rc_context(RC):
        fig = _figure(9.5, 1.9 * nrow + 0.5)
        axes = fig.subplots(nrow, ncol, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(scales):
                ax.set_axis_off()
                continue
            scale = scales[k]
            items = list(counts[scale])
            c = np.array([[float(x) for x in counts[scale][i]] for i in items])
            share = c / np.where(c.sum(axis=1, keepdims=True) > 0,
                                 c.sum(axis=1, keepdims=True), 1.0)
            left = np.zeros(len(items))
            rows = np.arange(len(items))
            # one bar call per response option (not per item and option): the figure of
            # eighty items draws in a fraction of the time
            for j in range(share.shape[1]):
                ax.barh(rows, share[:, j], left=left, color=LIKERT[j % len(LIKERT)],
                        height=0.8, edgecolor="white", linewidth=0.3)
                left = left + share[:, j]
            ax.set_yticks(rows)
            ax.set_yticklabels([i.rsplit("_", 1)[-1] for i in items], fontsize=7)
            ax.set_ylim(len(items) - 0.5, -0.5)
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1])
            ax.set_xticklabels(["0", ".5", "1"], fontsize=7)
            title = (titles or {}).get(scale) or scale.replace("_", " ")
            ax.set_title(title if len(title) <= 48 else title[:46] + "\u2026", fontsize=8,
                         loc="left")
        names = level_labels or {}
        handles = [_patch(LIKERT[j % len(LIKERT)],
                          f"{lv} {names[lv]}" if lv in names else str(lv))
                   for j, lv in enumerate(levels)]
        fig.legend(handles=handles, loc="lower center", ncol=min(len(levels), 4), fontsize=7.5,
                   frameon=False, title="Response option (bar length: share of valid answers; "
                   "y axis: item number)", title_fontsize=8, bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.32 / nrow + 0.04, 1, 1))
    return _svg(fig, "fig-items")


def _minus(label: str) -> str:
    """A level such as "-1 SD" with the true minus sign its caption uses ("\u22121 SD")."""
    return re.sub(r"(?<![\w.])-(?=\d)", "\u2212", label)


def _patch(color: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, label=label)


def _forest_rows(ax, rows) -> None:  # noqa: ANN001
    """Draw forest-plot rows (label, estimate, lower, upper) on ``ax``, first row at y = 0."""
    for i, (_, est, lo, hi) in enumerate(rows):
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [i, i], color="#333333", linewidth=1.4)
        ax.plot([est], [i], marker="s", color="#2166ac", markersize=5)
    ax.axvline(0.0, color="#999999", linewidth=0.8, linestyle="--")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows])


def forest(rows: Sequence[tuple[str, float, float | None, float | None]], *, name: str,
           xlabel: str = "estimate with 95% CI") -> str:
    """A forest plot: one row per (label, estimate, lower, upper); missing CIs drawn as points."""
    from matplotlib import rc_context

    with rc_context(RC):
        fig = _figure(7.0, 0.42 * len(rows) + 0.9)
        ax = fig.subplots()
        _forest_rows(ax, rows)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        fig.tight_layout()
    return _svg(fig, name)


def simple_slopes(lines: Sequence[tuple[str, float, float]], x_range: tuple[float, float], *,
                  xlabel: str, ylabel: str, name: str = "fig-slopes") -> str:
    """Simple slopes: one line ``y = intercept + slope * x`` per moderator level.

    ``lines`` holds ``(label, intercept, slope)``.
    """
    from matplotlib import rc_context

    styles = ["-", "--", ":", "-."]
    colors = ["#b2182b", "#444444", "#2166ac", "#1b7837"]
    with rc_context(RC):
        fig = _figure(5.2, 3.4)
        ax = fig.subplots()
        x0, x1 = x_range
        for k, (label, a, b) in enumerate(lines):
            ax.plot([x0, x1], [a + b * x0, a + b * x1], linestyle=styles[k % 4],
                    color=colors[k % 4], linewidth=1.8, label=_minus(label))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=8, title="moderator", title_fontsize=8)
        fig.tight_layout()
    return _svg(fig, name)


def johnson_neyman(curve: Sequence[tuple[float, float, float, float]],
                   bounds: Sequence[float], *, xlabel: str, name: str = "fig-jn") -> str:
    """Johnson-Neyman plot: conditional slope with its CI over the moderator.

    ``curve`` holds ``(moderator, slope, lower, upper)``; ``bounds`` the moderator
    values where the CI crosses zero.
    """
    from matplotlib import rc_context

    with rc_context(RC):
        fig = _figure(5.2, 3.4)
        ax = fig.subplots()
        m = [c[0] for c in curve]
        ax.fill_between(m, [c[2] for c in curve], [c[3] for c in curve], color="#92c5de",
                        alpha=0.6, linewidth=0, label="95% CI")
        ax.plot(m, [c[1] for c in curve], color="#2166ac", linewidth=1.8,
                label="conditional slope")
        ax.axhline(0.0, color="#999999", linewidth=0.8, linestyle="--")
        for b in bounds:
            ax.axvline(b, color="#b2182b", linewidth=1.0, linestyle=":")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("slope of the focal predictor")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return _svg(fig, name)


def forest_panels(families: Sequence[tuple[str, Sequence[tuple[str, float, float | None,
                                                                float | None]]]], *,
                  name: str) -> str:
    """Forest plots, one panel per metric family, each with its own x axis.

    ``families`` holds ``(title, rows)`` with rows ``(label, estimate, lower, upper)``;
    estimates of different metrics (a path coefficient, an indirect effect, a curvature)
    never share an axis.
    """
    from matplotlib import rc_context

    heights = [max(len(rows), 1) * 0.34 + 0.75 for _, rows in families]
    with rc_context(RC):
        fig = _figure(7.0, sum(heights) + 0.2)
        axes = fig.subplots(len(families), 1, squeeze=False,
                            gridspec_kw={"height_ratios": heights})[:, 0]
        for ax, (title, rows) in zip(axes, families, strict=True):
            _forest_rows(ax, rows)
            ax.set_ylim(len(rows) - 0.5, -0.5)
            ax.set_title(title, fontsize=8.5, loc="left")
            ax.tick_params(axis="x", labelsize=7.5)
        fig.tight_layout(h_pad=0.6)
    return _svg(fig, name)


def slopes_and_region(lines: Sequence[tuple[str, float, float]], x_range: tuple[float, float],
                      curve: Sequence[tuple[float, float, float, float]], *, xlabel: str,
                      ylabel: str, mlabel: str, name: str) -> str:
    """Simple slopes (left) and the Johnson-Neyman plot with its region of significance (right).

    ``lines`` holds ``(label, intercept, slope)``; ``curve`` ``(moderator, slope, lower,
    upper)`` on a grid of the moderator.  The region where the confidence band excludes
    zero is shaded.
    """
    from matplotlib import rc_context

    styles = ["--", "-", ":", "-."]
    colors = ["#b2182b", "#444444", "#2166ac", "#1b7837"]
    with rc_context(RC):
        fig = _figure(9.0, 3.3)
        ax, bx = fig.subplots(1, 2)
        x0, x1 = x_range
        for k, (label, a, b) in enumerate(lines):
            ax.plot([x0, x1], [a + b * x0, a + b * x1], linestyle=styles[k % 4],
                    color=colors[k % 4], linewidth=1.8, label=_minus(f"{mlabel} {label}"))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(frameon=False, fontsize=7.5)
        if curve:
            m = [c[0] for c in curve]
            bx.fill_between(m, [c[2] for c in curve], [c[3] for c in curve], color="#92c5de",
                            alpha=0.6, linewidth=0, label="95% CI")
            bx.plot(m, [c[1] for c in curve], color="#2166ac", linewidth=1.8,
                    label="conditional slope")
            bx.axhline(0.0, color="#999999", linewidth=0.8, linestyle="--")
            sig = [c[2] > 0 or c[3] < 0 for c in curve]
            lo, hi = min(min(c[2] for c in curve), 0.0), max(max(c[3] for c in curve), 0.0)
            bx.fill_between(m, lo, hi, where=sig, color="#fddbc7", alpha=0.5, linewidth=0,
                            step="mid", label="slope \u2260 0 (p < .05)")
            bx.set_xlabel(mlabel)
            bx.set_ylabel(f"slope of {xlabel}")
            bx.legend(frameon=False, fontsize=7.5)
        else:
            bx.set_axis_off()
        fig.tight_layout()
    return _svg(fig, name)


def inverted_u(b1: float, b2: float, x_range: tuple[float, float], turning: float | None,
               fieller: tuple[float, float] | None, *, xlabel: str, ylabel: str,
               name: str) -> str:
    """The quadratic effect ``b1 x + b2 x^2`` over the observed range, relative to its start.

    The turning point is marked when it lies in the range (an arrow at the edge says where
    it lies otherwise); its Fieller interval is shaded when it is bounded.
    """
    from matplotlib import rc_context

    x0, x1 = x_range
    xs = [x0 + (x1 - x0) * k / 60 for k in range(61)]
    base = b1 * x0 + b2 * x0 * x0
    ys = [b1 * x + b2 * x * x - base for x in xs]
    with rc_context(RC):
        fig = _figure(5.2, 3.4)
        ax = fig.subplots()
        if fieller is not None:
            ax.axvspan(max(fieller[0], x0), min(fieller[1], x1), color="#92c5de", alpha=0.45,
                       linewidth=0, label="Fieller 95% CI of the turning point")
        ax.plot(xs, ys, color="#2166ac", linewidth=1.8, label="predicted change")
        if turning is not None and x0 <= turning <= x1:
            ax.axvline(turning, color="#b2182b", linewidth=1.0, linestyle=":",
                       label="turning point")
        elif turning is not None:
            edge = x1 if turning > x1 else x0
            # the caption gives the turning point as fmt(.., TURNING_KIND): the same digits
            ax.annotate(f"turning point at {fmt(turning, TURNING_KIND)}\n(outside the range)",
                        xy=(edge, ys[-1] if edge == x1 else ys[0]), fontsize=7.5,
                        ha="right" if edge == x1 else "left", va="bottom", color="#b2182b")
        ax.axhline(0.0, color="#bbbbbb", linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"change in {ylabel}")
        ax.legend(frameon=False, fontsize=7.5, loc="lower center")
        fig.tight_layout()
    return _svg(fig, name)


def response_surface(b: Sequence[float], center: float, *, xlabel: str, ylabel: str,
                     zlabel: str, name: str, half_width: float = 2.5) -> str:
    """Response surface (contours) of ``z`` on centred ``x, y`` with the lines of
    congruence (x = y) and incongruence (x = -y through the centre).

    ``b`` holds the coefficients of ``x, y, x^2, x*y, y^2`` of the centred polynomial.
    """
    import numpy as np
    from matplotlib import rc_context

    g = np.linspace(-half_width, half_width, 61)
    xx, yy = np.meshgrid(g, g)
    zz = b[0] * xx + b[1] * yy + b[2] * xx * xx + b[3] * xx * yy + b[4] * yy * yy
    with rc_context(RC):
        fig = _figure(5.6, 4.4)
        ax = fig.subplots()
        cs = ax.contourf(xx + center, yy + center, zz, levels=14, cmap="RdBu_r")
        ax.contour(xx + center, yy + center, zz, levels=14, colors="white", linewidths=0.3)
        lo, hi = center - half_width, center + half_width
        ax.plot([lo, hi], [lo, hi], color="black", linewidth=1.4, label="congruence (x = y)")
        ax.plot([lo, hi], [hi, lo], color="black", linewidth=1.4, linestyle="--",
                label="incongruence (x = \u2212y)")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        bar = fig.colorbar(cs, ax=ax, shrink=0.85)
        bar.set_label(f"predicted change in {zlabel}", fontsize=8)
        ax.legend(frameon=True, fontsize=7, loc="upper left")
        fig.tight_layout()
    return _svg(fig, name)
