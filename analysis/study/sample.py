"""Who answered: the sample profile and the early-versus-late non-response check.

* :func:`sample_profile`: counts and shares of every coded classification question
  (industry, firm size, alliance form and stage, partner type, position, informant
  knowledge ...) with the instrument's English value labels, and mean / SD / range of
  the numeric ones (alliance age, tenure, number of partners), for the respondents
  retained for the analysis.
* :func:`early_late_bias`: Armstrong & Overton's (1977) extrapolation check: the first
  and the last third of respondents by completion time compared on every scale score
  (Welch t, Hedges' g).  Needs a completion timestamp column; without one the check
  says so instead of guessing an order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError

__all__ = ["TIMESTAMP_COLUMNS", "early_late_bias", "sample_profile"]

#: Columns taken as the completion time of a response, first found wins.
TIMESTAMP_COLUMNS = ("completed_at", "submitted_at", "ended_at", "finished_at")


def sample_profile(data: pd.DataFrame, instrument: Any) -> dict[str, Any]:
    """Profile of the respondents in ``data`` by the instrument's classification questions.

    Returns
    -------
    dict
        ``n`` and ``questions``: per question either ``{"type": "categorical", "rows":
        [{"code", "label", "n", "share"}], "missing"}`` (shares of the answered) or
        ``{"type": "numeric", "n", "mean", "sd", "min", "median", "max", "missing"}``.

    # In R: lapply(d[vars], function(v) prop.table(table(v)))
    """
    out: dict[str, Any] = {"n": int(len(data)), "questions": {}}
    for q in getattr(instrument, "questions", []):
        if q.id not in data.columns or q.type in ("text", "boolean"):
            continue
        col = pd.to_numeric(data[q.id], errors="coerce")
        miss = int(col.isna().sum())
        if q.choices is not None:
            labels = q.choices.labels or {}
            counts = col.value_counts().sort_index()
            total = int(counts.sum())
            rows = []
            for code in list(q.choices.values or []):
                n = int(counts.get(code, 0))
                lab = labels.get(code, {})
                rows.append({"code": code, "label": lab.get("en", str(code))
                             if isinstance(lab, dict) else str(lab),
                             "n": n, "share": n / total if total else float("nan")})
            out["questions"][q.id] = {"type": "categorical", "rows": rows, "missing": miss}
        else:
            x = col.dropna()
            out["questions"][q.id] = {
                "type": "numeric", "n": int(len(x)), "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)), "min": float(x.min()), "median": float(x.median()),
                "max": float(x.max()), "missing": miss}
    return out


def early_late_bias(data: pd.DataFrame, scores: pd.DataFrame, scales: Sequence[str], *,
                    timestamp: str | None = None, share: float = 1 / 3,
                    alpha: float = 0.05) -> dict[str, Any]:
    """Early versus late respondents on every scale score (Armstrong & Overton 1977).

    Parameters
    ----------
    data : DataFrame
        Survey data with a completion timestamp (``timestamp=`` or the first of
        :data:`TIMESTAMP_COLUMNS`), rows aligned with ``scores``.
    scores : DataFrame
        Scale scores.
    scales : sequence of str
    share : float
        The early and the late group are the first and the last ``share`` of
        respondents by completion time.
    alpha : float

    Returns
    -------
    dict
        ``available`` False with ``reason`` when there is no usable timestamp; else
        ``timestamp, n_early, n_late`` and ``tests``: per scale ``mean_early, mean_late,
        t, df, pvalue`` (Welch) and ``hedges_g``, plus ``n_significant``.

    # In R: t.test(score ~ wave, data = d)   # Welch
    """
    from scipy import stats

    col = timestamp or next((c for c in TIMESTAMP_COLUMNS if c in data.columns), None)
    if col is None or col not in data.columns:
        return {"available": False,
                "reason": "No completion timestamp in the data (expected one of "
                          f"{', '.join(TIMESTAMP_COLUMNS)}); early and late respondents "
                          "cannot be told apart."}
    if len(data) != len(scores):
        raise DataError("early_late_bias(): data= and scores= must have the same rows.")
    when = pd.to_datetime(data[col].reset_index(drop=True), errors="coerce", utc=True)
    ok = when.notna().to_numpy()
    if ok.sum() < 30:
        return {"available": False,
                "reason": f"Only {int(ok.sum())} responses with a completion time in {col!r}."}
    order = np.argsort(when[ok].to_numpy(), kind="stable")
    idx = np.flatnonzero(ok)[order]
    k = int(np.floor(len(idx) * share))
    early, late = idx[:k], idx[-k:]
    sc = scores.reset_index(drop=True)
    tests = {}
    for s in scales:
        if s not in sc.columns:
            continue
        a = pd.to_numeric(sc.loc[early, s], errors="coerce").dropna().to_numpy()
        b = pd.to_numeric(sc.loc[late, s], errors="coerce").dropna().to_numpy()
        if len(a) < 2 or len(b) < 2:
            continue
        t = stats.ttest_ind(a, b, equal_var=False)
        va, vb = a.var(ddof=1), b.var(ddof=1)
        df = (va / len(a) + vb / len(b)) ** 2 / (
            (va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
        pooled = np.sqrt(((len(a) - 1) * va + (len(b) - 1) * vb) / (len(a) + len(b) - 2))
        j = 1 - 3 / (4 * (len(a) + len(b)) - 9)
        tests[s] = {"mean_early": float(a.mean()), "mean_late": float(b.mean()),
                    "t": float(t.statistic), "df": float(df), "pvalue": float(t.pvalue),
                    "hedges_g": float(j * (a.mean() - b.mean()) / pooled)}
    return {"available": True, "timestamp": col, "n_early": int(len(early)),
            "n_late": int(len(late)), "tests": tests,
            "n_significant": int(sum(v["pvalue"] < alpha for v in tests.values())),
            "method": "Armstrong & Overton (1977): first vs last third by completion time, "
                      "Welch t tests; no adjustment (a screen, as in the literature)."}
