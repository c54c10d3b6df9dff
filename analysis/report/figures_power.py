"""Power curves of the confirmatory tests as a deterministic inline SVG (small multiples).

Drawn from the analysis's ``power_curves`` (:func:`analysis.study.power.power_curves`):
one panel per hypothesis, power against N at the smallest effect size of interest (solid)
and at the observed estimate (dashed), the study's own N marked.  The SVG conventions
(fixed hash salt, text as text, ids prefixed by the figure's name) are those of
:mod:`analysis.report.figures`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .figures import RC, _figure, _svg
from .fmt import fmt

SESOI_COLOR = "#2166ac"
OBSERVED_COLOR = "#b2182b"


@dataclass(frozen=True)
class PowerPanel:
    """One hypothesis: its title, the curves over ``ns`` and the study's N."""

    title: str
    ns: Sequence[float]
    sesoi: Sequence[float | None]
    observed: Sequence[float | None] | None
    n_observed: float


def _line(ns: Sequence[float], ys: Sequence[float | None]) -> tuple[list[float], list[float]]:
    pts = [(x, y) for x, y in zip(ns, ys, strict=True)
           if y is not None and math.isfinite(float(y))]
    return [p[0] for p in pts], [float(p[1]) for p in pts]


def power_curves(panels: Sequence[PowerPanel], *, target: float = 0.80, alpha: float = 0.05,
                 name: str = "fig-power", ncol: int = 4) -> str:
    """Small multiples of power against N, one panel per hypothesis.

    Each panel: power at the smallest effect size of interest (solid) and at the observed
    estimate (dashed; absent when the panel has none), a dotted vertical line at the
    study's N with the two powers there as points, the ``target`` power as a grey line.
    The key is in the last, empty cell of the grid (or under the panels when the grid is
    full).
    """
    from matplotlib import rc_context
    from matplotlib.lines import Line2D

    k = len(panels)
    nrow = max(1, math.ceil((k + 1) / ncol))
    with rc_context(RC):
        fig = _figure(9.5, 1.95 * nrow + 0.35)
        axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True, sharey=True)
        for i, ax in enumerate(axes.flat):
            if i >= k:
                ax.set_axis_off()
                continue
            p = panels[i]
            ax.axhline(target, color="#bbbbbb", linewidth=0.8, zorder=0)
            ax.axhline(alpha, color="#dddddd", linewidth=0.6, zorder=0)
            xs, ys = _line(p.ns, p.sesoi)
            ax.plot(xs, ys, color=SESOI_COLOR, linewidth=1.6)
            if p.observed is not None:
                xo, yo = _line(p.ns, p.observed)
                ax.plot(xo, yo, color=OBSERVED_COLOR, linewidth=1.4, linestyle="--")
            ax.axvline(p.n_observed, color="#555555", linewidth=0.8, linestyle=":")
            for curve, color in ((p.sesoi, SESOI_COLOR), (p.observed, OBSERVED_COLOR)):
                if curve is None:
                    continue
                cx, cy = _line(p.ns, curve)
                if len(cx) >= 2 and cx[0] <= p.n_observed <= cx[-1]:
                    y_at = _interp(p.n_observed, cx, cy)
                    ax.plot([p.n_observed], [y_at], marker="o", markersize=3.5, color=color)
            ax.set_title(p.title, fontsize=8.5, loc="left")
            ax.set_ylim(0.0, 1.02)
            ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
            ax.set_yticklabels(["0", ".2", ".4", ".6", ".8", "1"])
            ax.tick_params(labelsize=7.5)
            ax.grid(axis="x", color="#eeeeee", linewidth=0.5)
            if i % ncol == 0:
                ax.set_ylabel("power", fontsize=8)
            if i >= k - ncol:
                ax.set_xlabel("N (respondents)", fontsize=8)
                ax.xaxis.set_tick_params(labelbottom=True)
        handles = [
            Line2D([], [], color=SESOI_COLOR, linewidth=1.6,
                   label="smallest effect of interest"),
            Line2D([], [], color=OBSERVED_COLOR, linewidth=1.4, linestyle="--",
                   label="observed estimate"),
            Line2D([], [], color="#555555", linewidth=0.8, linestyle=":",
                   label="this study's N"),
            Line2D([], [], color="#bbbbbb", linewidth=0.8, label=f"power {fmt(target, 'std')}"),
        ]
        if k < nrow * ncol:
            key_ax = axes.flat[nrow * ncol - 1]
            key_ax.legend(handles=handles, loc="center", frameon=False, fontsize=8)
        else:
            fig.legend(handles=handles, loc="lower center", ncol=4, frameon=False, fontsize=8)
        fig.tight_layout()
    return _svg(fig, name)


def _interp(x: float, xs: Sequence[float], ys: Sequence[float]) -> float:
    """Linear interpolation of the curve at ``x`` (inside the grid)."""
    for j in range(1, len(xs)):
        if x <= xs[j]:
            w = (x - xs[j - 1]) / (xs[j] - xs[j - 1])
            return ys[j - 1] + w * (ys[j] - ys[j - 1])
    return ys[-1]
