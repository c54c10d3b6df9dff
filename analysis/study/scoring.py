"""Scale scores, dependence indices and quality flags for survey data.

Pipeline (:func:`score`): check the data against the instrument
(:func:`check_data`) -> reverse-key the declared reverse items
(:func:`reverse_key`) -> mean scale scores under the minimum-valid-items rule
(:func:`score_scales`) -> dependence indices (:mod:`analysis.study.dependence`) ->
data-quality flags (:mod:`analysis.study.quality`).

Reverse keys and scale membership come only from the instrument, never from
item names.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io import describe_non_numeric, is_whole_number, non_number_kind

#: Identifier columns carried over into the scored frame when present.
ID_COLUMNS = ("respondent_id", "alliance_id", "firm_role", "language")
#: The keyword options of :func:`score` passed on to
#: :func:`analysis.study.quality.quality_flags`.
QUALITY_OPTIONS = ("max_failed_checks", "missing_check_fails", "min_run", "max_sd",
                   "speed_fraction", "rsi_threshold", "rsi_clip", "max_missing")


class DataQualityWarning(UserWarning):
    """A data problem that does not stop scoring (constant or all-missing items)."""


class InstrumentVersionNotice(UserWarning):
    """Data of an earlier instrument version were brought into the current layout."""


def conform(df: pd.DataFrame, instrument: Any) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """Bring data of an earlier instrument version into the current layout.

    Returns the data, the notices (empty for current data) and, for earlier data, the
    minimum number of valid items per scale for the items both versions share (half of
    them, rounded up, as the default rule does for a full scale).  See
    :func:`instruments.instrument.versions.upgrade_data`.
    """
    import math

    from instruments.instrument.versions import upgrade_data

    out, notices = upgrade_data(df, instrument)
    if not notices:
        return out, [], {}
    min_valid: dict[str, int] = {}
    for sid, sc in _scales(instrument).items():
        shared = [it.id for it in sc.items if it.id in df.columns]
        if 0 < len(shared) < len(sc.items):
            min_valid[sid] = min(int(getattr(sc, "min_valid", 1)), math.ceil(len(shared) / 2))
    return out, notices, min_valid


@dataclass(frozen=True)
class DataCheckReport:
    """Problems found in a data set that do not prevent scoring.

    Attributes
    ----------
    n_rows : int
        Number of respondents.
    all_missing : tuple of str
        Item columns without a single answer.
    constant : tuple of str
        Item columns where every answer is the same code.
    warnings : tuple of str
        Human-readable messages, one per problem.
    """

    n_rows: int
    all_missing: tuple[str, ...]
    constant: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.warnings


def _scales(instrument: Any) -> dict[str, Any]:
    return dict(instrument.scales)


def check_arguments(df: Any, instrument: Any, what: str) -> None:
    """Refuse data that are no DataFrame and an instrument that is none, before any work.

    A path, a list or a dict given for either ended in an internal AttributeError
    ("'str' object has no attribute 'validate_data'").  An instrument is anything with
    a mapping of ``scales`` (an :class:`~instruments.instrument.schema.Instrument`, or a
    stand-in of the same shape).

    Raises
    ------
    DataError
        Naming the argument, the type given and what to pass instead.
    """
    from collections.abc import Mapping

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: df= must be a pandas DataFrame of survey answers (got "
                        f"{type(df).__name__}); read a file with "
                        "analysis.study.datafiles.read_data.")
    if isinstance(instrument, str | bytes | Mapping) or \
            not isinstance(getattr(instrument, "scales", None), Mapping):
        raise DataError(f"{what}: instrument= must be an Instrument (read a folder with "
                        "instruments.instrument.loader.load_instrument), not "
                        f"{type(instrument).__name__}.")


def _item_bounds(scale: Any) -> tuple[float, float]:
    resp = scale.response
    values = getattr(resp, "values", None)
    lo = getattr(resp, "min", None)
    hi = getattr(resp, "max", None)
    if lo is None or hi is None:
        lo, hi = min(values), max(values)
    return float(lo), float(hi)


def _coerce_items(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = {}
    bad = []
    for c in cols:
        s = df[c]
        if non_number_kind(s) is not None:
            # a complex code was scored by its real part without a word (3+1j as 3)
            bad.append(c)
            continue
        num = pd.to_numeric(s, errors="coerce")
        if (num.isna() & s.notna()).any():
            bad.append(c)
        out[c] = num.astype(float)
    if bad:
        first = describe_non_numeric(bad[0], df[bad[0]])
        others = ""
        if len(bad) > 1:
            shown = ", ".join(bad[1:13]) + (" ..." if len(bad) > 13 else "")
            others = f" So are item column(s) {shown}."
        raise DataError(
            f"Item {first}.{others} Items must be integer codes (empty for missing)."
        )
    return pd.DataFrame(out, index=df.index)


def check_data(df: pd.DataFrame, instrument: Any) -> DataCheckReport:
    """Validate a data frame against the instrument and report item problems.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical wide data.
    instrument : Instrument

    Returns
    -------
    DataCheckReport
        All-missing and constant item columns (also issued as
        :class:`DataQualityWarning`).

    Raises
    ------
    DataError
        From ``instrument.validate_data`` (missing columns, out-of-range
        codes), for non-numeric item codes or an empty frame.
    """
    check_arguments(df, instrument, "check_data()")
    if len(df) == 0:
        raise DataError("The data set has no rows.")
    instrument.validate_data(df)
    items = [it.id for sc in _scales(instrument).values() for it in sc.items]
    x = _coerce_items(df, items)
    arr = x[items].to_numpy(dtype=float)
    empty = np.isnan(arr).all(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        same = np.nanmin(arr, axis=0) == np.nanmax(arr, axis=0)
    all_missing = tuple(c for c, e in zip(items, empty, strict=True) if e)
    constant = tuple(c for c, e, k in zip(items, empty, same, strict=True)
                     if not e and k and len(df) > 1)
    messages = [f"Item {c} has no answers (all missing)." for c in all_missing]
    messages += [
        f"Item {c} is constant: every answer is {x[c].dropna().iloc[0]:g}." for c in constant
    ]
    if "respondent_id" in df.columns:
        # the same respondent twice (a file appended to itself, a double export) counts
        # twice in every estimate; the rows are kept, but never silently
        ids = df["respondent_id"]
        twice = ids[ids.notna() & ids.duplicated(keep=False)]
        if len(twice):
            from instruments.instrument.datacheck import repeated_ids

            # which rows, so that they can be compared (a copied row, or two stores'
            # exports that both number their respondents from 1)
            messages.append(
                f"{twice.nunique()} respondent_id value(s) appear on more than one row "
                f"({len(twice)} rows: {'; '.join(repeated_ids(df))}); a respondent counted "
                "twice weighs twice in every result. Remove the repeated rows (or, if two "
                "files numbered their respondents alike, give them distinct ids).")
    for m in messages:
        warnings.warn(m, DataQualityWarning, stacklevel=2)
    return DataCheckReport(len(df), all_missing, constant, tuple(messages))


def reverse_key(df: pd.DataFrame, instrument: Any) -> pd.DataFrame:
    """Recode the instrument's reverse-keyed items: ``x -> min + max - x``.

    Parameters
    ----------
    df : pandas.DataFrame
        Data with raw item codes.
    instrument : Instrument
        Declares which items are reverse-keyed and their response range.

    Returns
    -------
    pandas.DataFrame
        A copy with the reverse-keyed item columns recoded (float, NaN kept);
        all other columns unchanged.

    Raises
    ------
    DataError
        If a reverse-keyed item column is missing or non-numeric.

    Notes
    -----
    In R: ``psych::reverse.code(keys, items, mini = 1, maxi = 7)``.
    """
    check_arguments(df, instrument, "reverse_key()")
    out = df.copy()
    for sc in _scales(instrument).values():
        lo, hi = _item_bounds(sc)
        rev = [it.id for it in sc.items if it.reverse]
        missing = [c for c in rev if c not in df.columns]
        if missing:
            raise DataError(f"Reverse-keyed item column(s) missing: {', '.join(missing)}.")
        if rev:
            x = _coerce_items(df, rev)
            for c in rev:
                out[c] = lo + hi - x[c]
    return out


def score_scales(df: pd.DataFrame, instrument: Any, min_valid: int | None = None,
                 min_valid_by_scale: dict[str, int] | None = None) -> pd.DataFrame:
    """Mean scale scores after reverse keying, with a minimum-valid-items rule.

    Parameters
    ----------
    df : pandas.DataFrame
        Data with raw item codes (reverse keying is done here).
    instrument : Instrument
    min_valid : int, optional
        Minimum number of answered items for a score, for every scale.
        Default: each scale's own ``min_valid``.  Never more than the
        scale's number of items.
    min_valid_by_scale : dict, optional
        ``scale id -> k`` overriding the scale's own ``min_valid`` (used for data of an
        earlier instrument version, scored from the items both versions share).

    Returns
    -------
    pandas.DataFrame
        One column per scale (named by scale id), the mean of the answered
        items; NaN when fewer than ``min_valid`` items were answered.  Same
        index as ``df``.

    Raises
    ------
    DataError
        For missing or non-numeric item columns or ``min_valid < 1``.

    Notes
    -----
    In R: ``rowMeans(items, na.rm = TRUE)`` with ``rowSums(!is.na(items)) < k``
    set to ``NA`` (``psych::scoreItems(..., impute = "none")`` is similar).
    """
    if min_valid is not None and (not is_whole_number(min_valid) or min_valid < 1):
        # int() had taken 2.5 as 2 and '3' as 3, and ended in an internal error for NaN,
        # inf or a list
        raise DataError(f"min_valid= must be a whole number >= 1 (got {min_valid!r}).")
    check_arguments(df, instrument, "score_scales()")
    keyed = reverse_key(df, instrument)
    scores = {}
    for sid, sc in _scales(instrument).items():
        cols = [it.id for it in sc.items]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(f"Scale {sid}: item column(s) missing: {', '.join(missing)}.")
        x = _coerce_items(keyed, cols).to_numpy(dtype=float)
        k = int(min_valid) if min_valid is not None else int(
            (min_valid_by_scale or {}).get(sid, getattr(sc, "min_valid", len(cols))))
        k = min(max(k, 1), len(cols))
        valid = ~np.isnan(x)
        count = valid.sum(axis=1)
        with np.errstate(all="ignore"):
            mean = np.where(valid, x, 0.0).sum(axis=1) / count
        scores[sid] = np.where(count >= k, mean, np.nan)
    return pd.DataFrame(scores, index=df.index)


def score(
    df: pd.DataFrame,
    instrument: Any = None,
    min_valid: int | None = None,
    **quality_options: Any,
) -> pd.DataFrame:
    """Score a survey data set: scales, dependence indices and quality flags.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical wide data (raw codes).
    instrument : Instrument, optional
        Default ``instruments.instrument.loader.load_instrument()``.
    min_valid : int, optional
        Passed to :func:`score_scales`.
    **quality_options
        Thresholds passed to :func:`analysis.study.quality.quality_flags`.

    Returns
    -------
    pandas.DataFrame
        The id columns present (``respondent_id, alliance_id, firm_role,
        language``), one score per scale, the single-informant dependence
        indices (``jd_sum`` ... ``adv_partner``), the dyad-level indices
        (``dyad_*``, ``perception_gap``; NaN for single informants), and the
        quality indicators and flags (``attention_failed`` ... ``exclude``,
        ``exclude_reason``).  ``result.attrs["data_check"]`` holds the
        :class:`DataCheckReport` as a plain dict (``n_rows``,
        ``all_missing``, ``constant``, ``warnings``).

    Raises
    ------
    DataError
        For data that do not fit the instrument (see :func:`check_data`).
    """
    from analysis.study.dependence import dependence_indices, dyad_indices
    from analysis.study.quality import quality_flags

    if not isinstance(df, pd.DataFrame):  # a path or a list: an AttributeError before
        raise DataError(f"df= must be a pandas DataFrame of survey answers (got "
                        f"{type(df).__name__}); read a file with "
                        "analysis.study.datafiles.read_data.")
    unknown = sorted(set(quality_options) - set(QUALITY_OPTIONS))
    if unknown:  # a misspelt threshold ended in quality_flags()' TypeError after the scoring
        raise DataError(f"score() has no option {', '.join(map(repr, unknown))}; the quality "
                        f"thresholds are {', '.join(QUALITY_OPTIONS)}.")
    if isinstance(df.columns, pd.MultiIndex):  # an internal TypeError in the version check
        raise DataError(f"df= has column names of {df.columns.nlevels} levels (a MultiIndex); "
                        "give one name per column, the item ids of the codebook.")
    # Rows labelled alike (two waves joined with pd.concat keep each wave's 0, 1, 2, ...)
    # ended in pandas' "cannot reindex on an axis with duplicate labels": such data are
    # scored by position and given back their labels.
    labels = None if df.index.is_unique else df.index
    if labels is not None:
        df = df.reset_index(drop=True)
    if instrument is None:
        from instruments.instrument.loader import load_instrument

        instrument = load_instrument()
    check_arguments(df, instrument, "score()")
    before = set(df.columns)
    df, notices, shared_min_valid = conform(df, instrument)
    added = [c for c in df.columns if c not in before]
    for notice in notices:
        warnings.warn(notice, InstrumentVersionNotice, stacklevel=2)
    with warnings.catch_warnings():
        if notices:
            # items the earlier version did not ask are empty by design, not a data problem
            warnings.simplefilter("ignore", DataQualityWarning)
        report = check_data(df, instrument)
    scales = score_scales(df, instrument, min_valid=min_valid,
                          min_valid_by_scale=shared_min_valid)
    parts = [df[[c for c in ID_COLUMNS if c in df.columns]].copy(), scales]
    flags = quality_flags(df, instrument, **quality_options)
    if "dep_own" in scales.columns and "dep_partner" in scales.columns:
        parts.append(dependence_indices(scales["dep_own"], scales["dep_partner"]))
        if "alliance_id" in df.columns and "firm_role" in df.columns:
            # a dyad is formed by two retained respondents: a partner excluded as careless
            # or incomplete gives no self-report to the other's dyad indices (13 retained
            # rows of the demo carried such a partner's answers into H10)
            keep = ~flags["exclude"].fillna(False).astype(bool).to_numpy()
            both = pd.concat([df[["alliance_id", "firm_role"]], scales], axis=1)
            parts.append(dyad_indices(both.loc[keep]).reindex(both.index))
    parts.append(flags.drop(columns=["respondent_id"], errors="ignore"))
    out = pd.concat(parts, axis=1)
    if labels is not None:
        out.index = labels
    out.attrs["data_check"] = {
        "n_rows": report.n_rows,
        "all_missing": [c for c in report.all_missing if c not in added],
        "constant": list(report.constant),
        "warnings": [w for w in report.warnings
                     if not (notices and any(f"Item {c} has" in w for c in added))],
        "instrument_notices": list(notices),
    }
    return out
