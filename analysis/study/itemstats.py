"""Item statistics of each scale: corrected item-total correlation, skewness, kurtosis.

A reviewer reads them before the factor model: an item that correlates negatively with
the rest of its scale (after the instrument's reverse keys) is miscoded or misread, and
items piled up at one end of the 7-point format make normal-theory estimates doubtful.

:func:`item_statistics` gives, for every scale of the instrument, one row per item on the
reverse-keyed answers of the respondents given:

- ``r_drop``: the correlation of the item with the sum of the scale's other items, from
  the pairwise-complete covariance matrix (psych::alpha's ``r.drop``);
- ``skew`` and ``kurtosis``: psych::describe's default (type 3) estimators,
  ``b1 = m3 / s^3`` and ``b2 = m4 / s^4 - 3`` with the sample SD ``s`` (n - 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NEGATIVE_R_DROP", "item_statistics"]

#: A corrected item-total correlation below this is flagged (the item runs against the
#: rest of its scale).
NEGATIVE_R_DROP = 0.0


def _moments(x: np.ndarray) -> tuple[int, float, float]:
    """n, skewness and excess kurtosis (psych::describe, type 3) of the answered values."""
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 3:
        return n, float("nan"), float("nan")
    dev = x - x.mean()
    sd = float(np.std(x, ddof=1))
    if sd == 0:
        return n, float("nan"), float("nan")
    return n, float(np.mean(dev ** 3) / sd ** 3), float(np.mean(dev ** 4) / sd ** 4 - 3)


def item_statistics(data: pd.DataFrame, instrument: Any) -> dict[str, Any]:
    """Corrected item-total correlation, skewness and kurtosis of every scale's items.

    Parameters
    ----------
    data : DataFrame
        Canonical wide data (raw codes) of the respondents analysed.
    instrument : Instrument
        Supplies the scales, their items and reverse keys.

    Returns
    -------
    dict
        ``scales``: ``{scale: [{"item", "reverse", "n", "r_drop", "skew", "kurtosis"}]}``;
        ``negative``: ``"scale/item"`` of every item with ``r_drop`` below
        :data:`NEGATIVE_R_DROP`; ``method``.

    # In R: psych::alpha(items, check.keys = FALSE)$item.stats$r.drop;
    #       psych::describe(items)[, c("skew", "kurtosis")]
    """
    from analysis.stats.reliability import item_rest_correlations
    from analysis.study.scoring import reverse_key

    keyed = reverse_key(data, instrument)
    scales: dict[str, list[dict[str, Any]]] = {}
    negative = []
    for sid, sc in instrument.scales.items():
        cols = [it.id for it in sc.items if it.id in keyed.columns]
        if not cols:
            continue
        x = keyed[cols].apply(pd.to_numeric, errors="coerce").astype(float)
        rd = item_rest_correlations(x.cov().to_numpy())
        rows = []
        for j, it in enumerate(it for it in sc.items if it.id in keyed.columns):
            n, sk, ku = _moments(x[it.id].to_numpy())
            rows.append({"item": it.id, "reverse": bool(getattr(it, "reverse", False)),
                         "n": n, "r_drop": float(rd[j]), "skew": sk, "kurtosis": ku})
            if np.isfinite(rd[j]) and rd[j] < NEGATIVE_R_DROP:
                negative.append(f"{sid}/{it.id}")
        scales[str(sid)] = rows
    return {"scales": scales, "negative": negative,
            "method": ("Reverse-keyed answers of the analysed respondents. r.drop: "
                       "correlation of the item with the sum of its scale's other items, "
                       "from the pairwise-complete covariance matrix (psych::alpha). Skewness "
                       "and excess kurtosis: psych::describe's type 3 estimators, on each "
                       "item's answers.")}
