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

RC = {
    "svg.hashsalt": "alliance-survey-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

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
    ids = re.findall(r'id="([^"]+)"', text)
    for old in sorted(set(ids), key=len, reverse=True):
        new = f"{name}-{old}"
        text = text.replace(f'id="{old}"', f'id="{new}"')
        text = text.replace(f"#{old})", f"#{new})").replace(f'"#{old}"', f'"#{new}"')
    text = re.sub(r"<svg ", f'<svg role="img" aria-label="{name}" ', text, count=1)
    return text


def _figure(width: float, height: float) -> Any:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    with rc_context(RC):
        return Figure(figsize=(width, height), dpi=72)


def item_distributions(counts: Mapping[str, Mapping[str, Sequence[float]]],
                       levels: Sequence[int]) -> str:
    """Small multiples: per scale, the share of each response per item (stacked bars).

    ``counts`` is ``{scale: {item: [count per level]}}``.
    """
    from matplotlib import rc_context

    scales = list(counts)
    ncol = 3
    nrow = max(1, math.ceil(len(scales) / ncol))
    with rc_context(RC):
        fig = _figure(9.5, 1.9 * nrow)
        axes = fig.subplots(nrow, ncol, squeeze=False)
        for k, ax in enumerate(axes.flat):
            if k >= len(scales):
                ax.set_axis_off()
                continue
            scale = scales[k]
            items = list(counts[scale])
            for row, item in enumerate(items):
                c = [float(x) for x in counts[scale][item]]
                total = sum(c) or 1.0
                left = 0.0
                for j, x in enumerate(c):
                    share = x / total
                    ax.barh(row, share, left=left, color=LIKERT[j % len(LIKERT)], height=0.8,
                            edgecolor="white", linewidth=0.3)
                    left += share
            ax.set_yticks(range(len(items)))
            ax.set_yticklabels([i.rsplit("_", 1)[-1] for i in items], fontsize=7)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.5, 1])
            ax.set_xticklabels(["0", ".5", "1"], fontsize=7)
            ax.set_title(scale.replace("_", " "), fontsize=8.5, loc="left")
        handles = [_patch(LIKERT[j % len(LIKERT)], str(lv)) for j, lv in enumerate(levels)]
        fig.legend(handles=handles, loc="lower center", ncol=len(levels), fontsize=8,
                   frameon=False, title="response (share of answers)", title_fontsize=8,
                   bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _svg(fig, "fig-items")


def _patch(color: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, label=label)


def forest(rows: Sequence[tuple[str, float, float | None, float | None]], *, name: str,
           xlabel: str = "estimate with 95% CI") -> str:
    """A forest plot: one row per (label, estimate, lower, upper); missing CIs drawn as points."""
    from matplotlib import rc_context

    with rc_context(RC):
        fig = _figure(7.0, 0.42 * len(rows) + 0.9)
        ax = fig.subplots()
        for i, (_, est, lo, hi) in enumerate(rows):
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [i, i], color="#333333", linewidth=1.4)
            ax.plot([est], [i], marker="s", color="#2166ac", markersize=5)
        ax.axvline(0.0, color="#999999", linewidth=0.8, linestyle="--")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r[0] for r in rows])
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
                    color=colors[k % 4], linewidth=1.8, label=label)
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
