"""Data-quality flags per respondent: attention, straight-lining, speeding, missingness.

One function, :func:`quality_flags`, returns a tidy frame with one row per
respondent, the indicators, one boolean flag per rule and a combined
``exclude`` flag with the reasons as text.  Every threshold is a keyword
argument; the defaults follow common practice in survey methodology:

- attention checks: any failed check flags (Meade & Craig 2012);
- straight-lining: zero within-respondent SD over the rating items, or a run of
  identical consecutive answers of at least ``min_run`` items (the "long
  string" index, Johnson 2005);
- speeding: total duration below ``speed_fraction`` (0.5) of the median, or a
  relative speed index above ``rsi_threshold`` (2.0), following SoSci Survey's
  ``TIME_RSI`` (Leiner 2019);
- missing: more than ``max_missing`` (30 %) of the rating items unanswered.

References
----------
Johnson, J. A. (2005). Ascertaining the validity of individual protocols from
web-based personality inventories. *Journal of Research in Personality*, 39, 103-129.

Leiner, D. J. (2019). Too fast, too straight, too weird: Non-reactive indicators
for meaningless data in internet surveys. *Survey Research Methods*, 13(3), 229-248.

Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey
data. *Psychological Methods*, 17(3), 437-455.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io import is_real_number, is_whole_number, non_number_kind

#: Reason labels used in ``exclude_reason``, in this order.
REASONS = ("attention", "straightlining", "speeding", "missing")

#: Default share of unanswered rating items above which a respondent is excluded.
MAX_MISSING = 0.3

#: Coded lists whose codes are ordered (compared by rank); the others are nominal
#: (compared by their frequencies).
ORDERED_LISTS = frozenset({"extent7", "size_bands", "prior_ties", "sustainability_focus",
                           "alliance_phase"})

#: Answers needed in each group before a question is compared.
MIN_COMPARED = 5


def rating_items(instrument: Any) -> list[str]:
    """All scale (matrix) item ids of the instrument, in scale order."""
    return [item.id for scale in instrument.scales.values() for item in scale.items]


def _numeric(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
        raise DataError(f"Quality flags need the column(s) {shown} ({len(missing)} missing).")
    sub = df[cols]
    odd = [str(c) for c in cols if non_number_kind(df[c]) is not None]
    if odd:  # a complex answer was read as its real part
        raise DataError(f"Column(s) {', '.join(odd[:12])} hold complex numbers or periods, "
                        "not answer codes; recode them.")
    if all(pd.api.types.is_numeric_dtype(t) for t in sub.dtypes):
        # already numbers (the usual case): one conversion instead of one per column
        return np.array(sub.to_numpy(dtype=float), copy=True)
    out = np.empty((len(df), len(cols)))
    for j, c in enumerate(cols):
        out[:, j] = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
    return out


def longest_run(x: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row (NaN breaks a run).

    Parameters
    ----------
    x : numpy.ndarray
        Respondents x items.

    Returns
    -------
    numpy.ndarray
        Integer run lengths (0 for a row without any answer).

    Raises
    ------
    DataError
        If ``x`` is not a two-dimensional array of numbers (a list of rows is taken).
    """
    x = _answer_matrix(x)
    n, k = x.shape
    best = np.zeros(n, dtype=np.int64)
    if k == 0:
        return best
    current = np.where(np.isnan(x[:, 0]), 0, 1)
    best = current.copy()
    for j in range(1, k):
        answered = ~np.isnan(x[:, j])
        same = answered & (x[:, j] == x[:, j - 1])
        current = np.where(same, current + 1, np.where(answered, 1, 0))
        best = np.maximum(best, current)
    return best


def _answer_matrix(x: Any) -> np.ndarray:
    """``x`` as a float array of respondents x items, or a :class:`DataError` (a string,
    a row of one respondent or text codes ended in internal numpy errors)."""
    if isinstance(x, str | bytes) or not isinstance(x, np.ndarray | pd.DataFrame | list | tuple):
        raise DataError(f"longest_run() needs a 2-D array of respondents x items, not "
                        f"{type(x).__name__}.")
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise DataError(f"longest_run() needs a 2-D array of respondents x items (got "
                        f"{arr.ndim} dimension(s); for one respondent use x.reshape(1, -1)).")
    if arr.dtype.kind not in "biuf":
        raise DataError(f"longest_run() needs numbers (answer codes, NaN for missing), not "
                        f"values of type {arr.dtype}.")
    return arr.astype(float, copy=False)


def relative_speed_index(page_times: pd.DataFrame, clip: float | None = 3.0) -> np.ndarray:
    """SoSci-style relative speed index from per-page times.

    For each page the sample median time is divided by the respondent's time
    on that page (a speed factor); factors above ``clip`` are set to ``clip``
    and the index is their mean over the pages the respondent has a positive
    time for.  1 = typical speed, 2 = twice as fast as the typical respondent.

    Parameters
    ----------
    page_times : pandas.DataFrame
        Respondents x pages, seconds.
    clip : float or None, default 3.0
        Upper limit of a page's speed factor (Leiner 2019 uses 3), so that one
        page skipped in a second does not dominate; None for no limit.

    Returns
    -------
    numpy.ndarray
        One value per respondent (NaN without any page time).

    Notes
    -----
    After Leiner (2019), SoSci Survey's ``TIME_RSI``; pages are weighted equally.
    In R (Leiner's supplement): ``mean(pmin(median_page_times / times, 3), na.rm = TRUE)``
    per respondent.
    """
    # a list ended in an AttributeError, clip='3' in a numpy UFuncTypeError, and clip=-1
    # gave every respondent the index -1 (clip=0 the index 0) without a word
    if not isinstance(page_times, pd.DataFrame):
        raise DataError(f"relative_speed_index() needs a DataFrame of page times "
                        f"(respondents x pages), not {type(page_times).__name__}.")
    if clip is not None and not (is_real_number(clip) and clip > 0):
        raise DataError(f"clip= must be a number above 0, or None for no limit (got {clip!r}).")
    if page_times.shape[1] == 0:
        return np.full(len(page_times), np.nan)
    if all(pd.api.types.is_numeric_dtype(t) for t in page_times.dtypes):
        t = page_times.to_numpy(dtype=float)
    else:
        t = page_times.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    t = np.where(t > 0, t, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # a page nobody has a time for has no median: NaN, and no ratio for it
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(t, axis=0) if t.size else np.full(t.shape[1], np.nan)
        ratio = med[None, :] / t
        if clip is not None:
            ratio = np.minimum(ratio, clip)
        valid = ~np.isnan(ratio)
        total = np.where(valid, ratio, 0.0).sum(axis=1)
        count = valid.sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _check_times(df: pd.DataFrame, columns: list[Any]) -> None:
    """Refuse times that are no seconds: a negative, infinite or text cell of
    ``duration_sec`` or a ``page_time_*`` column (a negative median turned the speeding
    flag off for everyone without a word, and a text cell became a missing time)."""
    for col in columns:
        raw = df[col]
        num = pd.to_numeric(raw, errors="coerce")
        text = raw.notna() & num.isna()
        if text.any():
            where = [str(i) for i in raw.index[text.to_numpy()][:3]]
            raise DataError(f"Column {str(col)!r} must hold times in seconds, but row(s) "
                            f"{', '.join(where)} hold text such as {str(raw[text].iloc[0])[:40]!r}.")
        bad = num.notna() & ~(np.isfinite(num.astype(float)) & (num.astype(float) >= 0))
        if bad.any():
            where = [str(i) for i in raw.index[bad.to_numpy()][:3]]
            raise DataError(f"Column {str(col)!r} must hold times of 0 seconds or more, but "
                            f"row(s) {', '.join(where)} hold {num[bad].iloc[0]!r}.")


def quality_flags(
    df: pd.DataFrame,
    instrument: Any,
    *,
    max_failed_checks: int = 0,
    missing_check_fails: bool = True,
    min_run: int = 20,
    max_sd: float = 0.0,
    speed_fraction: float = 0.5,
    rsi_threshold: float = 2.0,
    rsi_clip: float | None = 3.0,
    max_missing: float = MAX_MISSING,
) -> pd.DataFrame:
    """Flag careless, speeding and incomplete respondents.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical wide data (raw codes, *before* reverse keying).
    instrument : Instrument
        Supplies the rating items and the attention checks.
    max_failed_checks : int, default 0
        Flag when more attention checks than this are failed.
    missing_check_fails : bool, default True
        Count an unanswered attention check as failed.
    min_run : int, default 20
        Flag a run of at least this many identical consecutive rating answers
        (in questionnaire order).  With ~65 seven-point items, careful
        respondents rarely exceed runs of 6-8.
    max_sd : float, default 0.0
        Flag when the within-respondent SD over the answered rating items is
        at most this (0: all answers identical).  Needs >= 5 answers.
    speed_fraction : float, default 0.5
        Flag when ``duration_sec`` is below this fraction of the median.
    rsi_threshold : float, default 2.0
        Flag when the relative speed index (``page_time_*`` columns) exceeds this.
    rsi_clip : float or None, default 3.0
        Upper limit of each page's speed factor, see :func:`relative_speed_index`.
    max_missing : float, default 0.3
        Flag when the share of unanswered rating items exceeds this.

    Returns
    -------
    pandas.DataFrame
        Index of ``df``; columns ``respondent_id`` (if present),
        ``attention_failed`` (count), ``attention_flag``, ``longest_run``,
        ``item_sd``, ``straightline_flag``, ``duration_ratio`` (duration /
        median), ``rsi``, ``speeder_flag``, ``missing_share``,
        ``missing_flag``, ``exclude`` and ``exclude_reason`` (reasons joined
        with ``"; "``, empty when none).  Without timing columns the speed
        indicators are NaN and never flag.

    Raises
    ------
    DataError
        If rating-item or attention-check columns are missing or a threshold
        is out of range.
    """
    from analysis.study.scoring import check_arguments

    check_arguments(df, instrument, "quality_flags()")
    _check_thresholds(max_failed_checks=max_failed_checks,
                      missing_check_fails=missing_check_fails, min_run=min_run, max_sd=max_sd,
                      speed_fraction=speed_fraction, rsi_threshold=rsi_threshold,
                      rsi_clip=rsi_clip, max_missing=max_missing)
    items = rating_items(instrument)
    x = _numeric(df, items)
    n = len(df)

    # attention checks
    checks = list(getattr(instrument, "attention_checks", []) or [])
    failed = np.zeros(n, dtype=np.int64)
    if checks:
        answers = _numeric(df, [c.id for c in checks])
        for j, c in enumerate(checks):
            a = answers[:, j]
            ok = np.isin(a, np.asarray(list(c.correct), dtype=float))
            bad = ~ok if missing_check_fails else (~ok & ~np.isnan(a))
            failed += bad.astype(np.int64)
    attention_flag = failed > max_failed_checks

    # straight-lining
    answered = (~np.isnan(x)).sum(axis=1)
    sd = np.where(answered >= 2, _row_sd(x), np.nan)
    run = longest_run(x)
    straight = ((answered >= 5) & (sd <= max_sd)) | (run >= min_run)

    # speeding
    page_cols = [c for c in df.columns if str(c).startswith("page_time_")]
    _check_times(df, [c for c in ("duration_sec", *page_cols) if c in df.columns])
    if "duration_sec" in df.columns:
        dur = pd.to_numeric(df["duration_sec"], errors="coerce").to_numpy(dtype=float)
        med = np.nanmedian(dur) if np.any(~np.isnan(dur)) else np.nan
        ratio = dur / med if med and med > 0 else np.full(n, np.nan)
    else:
        ratio = np.full(n, np.nan)
    rsi = relative_speed_index(df[page_cols], clip=rsi_clip) if page_cols else np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        speeder = (ratio < speed_fraction) | (rsi > rsi_threshold)

    # missingness
    missing_share = np.isnan(x).sum(axis=1) / x.shape[1] if x.shape[1] else np.zeros(n, dtype=float)
    missing_flag = missing_share > max_missing

    flags = {
        "attention": attention_flag,
        "straightlining": straight,
        "speeding": speeder,
        "missing": missing_flag,
    }
    reason = np.array(
        ["; ".join(r for r in REASONS if flags[r][i]) for i in range(n)], dtype=object
    )
    out = pd.DataFrame(index=df.index)
    if "respondent_id" in df.columns:
        out["respondent_id"] = df["respondent_id"].to_numpy()
    out["attention_failed"] = failed
    out["attention_flag"] = attention_flag
    out["longest_run"] = run
    out["item_sd"] = sd
    out["straightline_flag"] = straight
    out["duration_ratio"] = ratio
    out["rsi"] = rsi
    out["speeder_flag"] = speeder
    out["missing_share"] = missing_share
    out["missing_flag"] = missing_flag
    out["exclude"] = attention_flag | straight | speeder | missing_flag
    out["exclude_reason"] = reason
    return out


def _check_thresholds(*, max_failed_checks: Any, missing_check_fails: Any, min_run: Any,
                      max_sd: Any, speed_fraction: Any, rsi_threshold: Any, rsi_clip: Any,
                      max_missing: Any) -> None:
    """Refuse a threshold of :func:`quality_flags` that no respondent could meet or miss.

    Before, ``max_failed_checks=-1`` flagged every respondent, ``max_sd=-1``,
    ``max_sd=nan``, ``rsi_threshold=nan``, ``rsi_clip=0`` or ``min_run=inf`` never
    flagged anyone, ``missing_check_fails='no'`` counted as True (a text is true),
    ``min_run=2.5`` was taken as 3, and a number given as text ('2') ended in an
    internal numpy error.

    Raises
    ------
    DataError
        Naming the first threshold that is not a number in its range.
    """
    problems = []
    if not (is_whole_number(max_failed_checks) and max_failed_checks >= 0):
        problems.append(f"max_failed_checks= must be a whole number of 0 or more (got "
                        f"{max_failed_checks!r})")
    if not isinstance(missing_check_fails, bool | np.bool_):
        problems.append(f"missing_check_fails= must be True or False (got "
                        f"{missing_check_fails!r})")
    if not (is_whole_number(min_run) and min_run >= 2):
        problems.append(f"min_run= must be a whole number of at least 2 (got {min_run!r})")
    if not (is_real_number(max_sd) and math.isfinite(max_sd) and max_sd >= 0):
        problems.append(f"max_sd= must be a finite number of 0 or more (got {max_sd!r})")
    if not (is_real_number(speed_fraction) and 0 < speed_fraction <= 1):
        problems.append(f"speed_fraction= must be in (0, 1] (got {speed_fraction!r})")
    if not (is_real_number(rsi_threshold) and rsi_threshold > 0):  # inf: never by the RSI
        problems.append(f"rsi_threshold= must be a number above 0 (got {rsi_threshold!r})")
    if rsi_clip is not None and not (is_real_number(rsi_clip) and rsi_clip > 0):
        problems.append(f"rsi_clip= must be a number above 0, or None for no limit (got "
                        f"{rsi_clip!r})")
    if not (is_real_number(max_missing) and 0 <= max_missing < 1):
        problems.append(f"max_missing= must be in [0, 1) (got {max_missing!r})")
    if problems:
        raise DataError("; ".join(problems) + ".")


def _row_sd(x: np.ndarray) -> np.ndarray:
    """Population SD per row over the non-missing entries (NaN if none)."""
    valid = ~np.isnan(x)
    count = valid.sum(axis=1)
    safe = np.where(valid, x, 0.0)
    with np.errstate(all="ignore"):
        mean = safe.sum(axis=1) / count
        dev = np.where(valid, x - mean[:, None], 0.0)
        return np.sqrt((dev**2).sum(axis=1) / count)


def summarize_flags(flags: pd.DataFrame) -> pd.DataFrame:
    """Counts of flagged respondents by reason.

    Parameters
    ----------
    flags : pandas.DataFrame
        Output of :func:`quality_flags`.

    Returns
    -------
    pandas.DataFrame
        Columns ``reason`` and ``n`` (one row per reason plus ``"any"``).
    """
    cols = {
        "attention": "attention_flag",
        "straightlining": "straightline_flag",
        "speeding": "speeder_flag",
        "missing": "missing_flag",
        "any": "exclude",
    }
    return pd.DataFrame({"reason": list(cols), "n": [int(flags[c].sum()) for c in cols.values()]})


def compare_excluded(data: pd.DataFrame, excluded: np.ndarray, analysed: np.ndarray,
                     instrument: Any, *, alpha: float = 0.05) -> dict[str, Any]:
    """Compare the respondents excluded for too many missing answers with those analysed
    on the classification questions both groups answered.

    Parameters
    ----------
    data : DataFrame
        Canonical wide data of every response received (raw codes).
    excluded, analysed : array of bool
        Rows excluded for missing answers, and rows retained for the analysis.
    instrument : Instrument
        Supplies the classification questions and their coded lists.
    alpha : float
        Level at which a difference is counted.

    Returns
    -------
    dict
        ``n_excluded``, ``n_analysed``, ``rows`` (one per question answered by at least
        :data:`MIN_COMPARED` respondents of each group: ``question``, ``test`` ("Mann-Whitney
        U" for numbers and ordered codes, "chi-square" for nominal codes), ``n_excluded``,
        ``n_analysed``, ``mean_excluded``, ``mean_analysed`` (of the codes or numbers; NaN
        for nominal codes), ``statistic``, ``df`` (chi-square), ``pvalue``, ``effect``
        (rank-biserial correlation, excluded vs analysed, or Cramér's V)), ``n_differ``
        (questions with p < ``alpha``), ``alpha`` and ``method``.

    Notes
    -----
    The respondents left out before any model are missing for the full-information
    models too; whether they differ from the analysed on what both answered is the
    check a reader needs before taking the analysed sample for the one received
    (Newman 2014).

    # In R: wilcox.test(x ~ group, correct = TRUE); chisq.test(table(x, group), correct = FALSE)
    """
    from scipy import stats

    ex, an = np.asarray(excluded, dtype=bool), np.asarray(analysed, dtype=bool)
    rows = []
    for q in getattr(instrument, "questions", []) or []:
        if q.id not in data.columns or q.type in ("text", "boolean"):
            continue
        x = pd.to_numeric(data[q.id], errors="coerce").to_numpy(dtype=float)
        a, b = x[ex & ~np.isnan(x)], x[an & ~np.isnan(x)]
        if len(a) < MIN_COMPARED or len(b) < MIN_COMPARED:
            continue
        ordered = q.choices is None or str(q.choices.id) in ORDERED_LISTS
        row: dict[str, Any] = {"question": q.id, "n_excluded": int(len(a)),
                               "n_analysed": int(len(b))}
        if ordered:
            if np.ptp(np.concatenate([a, b])) == 0:
                continue
            u, p = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                                      method="asymptotic")
            row.update(test="Mann-Whitney U", mean_excluded=float(a.mean()),
                       mean_analysed=float(b.mean()), statistic=float(u), df=float("nan"),
                       pvalue=float(p), effect=float(2 * u / (len(a) * len(b)) - 1))
        else:
            codes = np.unique(np.concatenate([a, b]))
            tab = np.array([[np.sum(a == c) for c in codes], [np.sum(b == c) for c in codes]])
            if tab.shape[1] < 2:
                continue
            chi2, p, dof, _ = stats.chi2_contingency(tab, correction=False)
            v = math.sqrt(chi2 / (tab.sum() * (min(tab.shape) - 1)))
            row.update(test="chi-square", mean_excluded=float("nan"),
                       mean_analysed=float("nan"), statistic=float(chi2), df=float(dof),
                       pvalue=float(p), effect=float(v))
        rows.append(row)
    return {
        "n_excluded": int(ex.sum()), "n_analysed": int(an.sum()), "rows": rows,
        "n_differ": int(sum(r["pvalue"] < alpha for r in rows)), "alpha": float(alpha),
        "method": ("Respondents excluded for too many missing answers against those "
                   "analysed, on each classification question answered by at least "
                   f"{MIN_COMPARED} of each group: Mann-Whitney U (normal approximation "
                   "with continuity and tie corrections) for numbers and ordered codes, with "
                   "the rank-biserial correlation (positive: the excluded higher); "
                   "chi-square test of independence for nominal codes, with Cramér's V. "
                   "Unadjusted p-values."),
    }
