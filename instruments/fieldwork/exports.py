"""Exports of a study's responses: wide data (CSV, Parquet, SPSS ``.sav``, Stata
``.dta``), the long answer log, and the codebook.

The wide data are the canonical layout of :meth:`ResponseStore.wide` (one row per
respondent, paradata, then one integer-coded column per item; missing = empty
cell in CSV, null in Parquet, system-missing in SPSS and Stata), with the fieldwork
columns :data:`FIELDWORK_COLUMNS` after the paradata: the status as the cockpit
defines it, start and end, the items the survey logic did not show, and the quality
flags.  Withdrawn respondents and the study lead's test responses are never exported.  Free text is written
exactly as the respondent typed it, unless ``excel_safe=True``: then a CSV text cell
that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) gets a leading apostrophe (the OWASP advice on CSV
injection) and the file starts with a UTF-8 byte-order mark (Excel reads UTF-8 without it
as the system's code page).  Use that variant for opening in Excel or LibreOffice, and the verbatim
one for R, SPSS or pandas.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from instruments.store import ResponseStore

#: Formats of :func:`export` and ``alliance-survey export --format``.
EXPORT_FORMATS = ("csv", "parquet", "sav", "dta", "long", "codebook")

#: The file extensions each format is written under: a name that does not fit is refused
#: (an SPSS file named ``.csv`` is misread by every program that opens it by its name).
#: ``long`` is Parquet under ``.parquet``, else CSV; ``codebook`` takes its format from
#: the extension.
EXPORT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "csv": (".csv",), "parquet": (".parquet",), "sav": (".sav",), "dta": (".dta",),
    "long": (".csv", ".parquet"), "codebook": (".csv", ".json", ".md"),
}


def check_export_name(fmt: str, out: str | Path) -> None:
    """Refuse an export format that is unknown or whose file name does not fit it.

    Raises
    ------
    DataError
        For a format not in :data:`EXPORT_FORMATS`, or an ``out`` whose extension is not
        one of the format's :data:`EXPORT_SUFFIXES`.
    """
    if fmt not in EXPORT_FORMATS:
        raise DataError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    allowed = EXPORT_SUFFIXES[fmt]
    suffix = Path(str(out)).suffix.lower()
    if suffix not in allowed:
        found = f"ends in {suffix}" if suffix else "has no extension"
        raise DataError(f"The output file {str(out)!r} {found}, but the {fmt} export is a "
                        f"{' or '.join(allowed)} file; name it so.")

#: Columns added after the paradata of the wide export.  ``status`` is the cockpit's
#: (:data:`instruments.fieldwork.cockpit.FIELDWORK_STATUSES`), ``started_at`` the
#: opening of the survey, ``instrument_version`` the version the respondent's wave ran
#: (waves of one study may run different versions), ``ended_at`` the completion or else
#: the last page submitted (UTC), ``not_shown`` the items the survey logic skipped, the flags 1/0 from
#: :func:`analysis.study.quality.quality_flags` (empty when they cannot be computed),
#: ``in_analysis`` 1, or 0 for a response the study lead excluded from the analysis
#: (:func:`instruments.fieldwork.actions.exclude_from_analysis`).
FIELDWORK_COLUMNS = ("status", "wave", "instrument_version", "started_at", "ended_at",
                     "last_page", "not_shown",
                     "attention_flag", "straightline_flag", "speeder_flag",
                     "missing_flag", "in_analysis")  # fmt: skip

#: Stata's limits on variable names and labels.
_STATA_NAME_MAX = 32
_STATA_LABEL_MAX = 80


def _target(path: str | Path) -> Path:
    path = Path(path)
    if path.exists() and path.is_dir():
        raise DataError(f"The output path {str(path)!r} is a directory; give a file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Prefix text cells that a spreadsheet would evaluate with an apostrophe.

    Only text columns are touched; numbers (negative ones included) stay numbers.

    Returns
    -------
    (DataFrame, int)
        A copy with the neutralised cells, and how many cells were changed.

    Raises
    ------
    DataError
        If ``df`` is not a DataFrame.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"neutralise_formulas() takes a DataFrame, not {type(df).__name__}.")

    out = df.copy()
    changed = 0
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        text = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
        hit = text.to_numpy(dtype=bool)
        if hit.any():
            changed += int(hit.sum())
            out[col] = s.astype(object).where(~hit, "'" + s.astype(str))
    return out, changed


def write_table(df: pd.DataFrame, path: str | Path, fmt: str, *,
                excel_safe: bool = False) -> Path:
    """Write a data frame as ``csv`` (UTF-8, no index, missing = empty) or ``parquet``.

    ``excel_safe`` (CSV only) neutralises cells that start like a formula, see
    :func:`neutralise_formulas`, and writes a UTF-8 byte-order mark, by which Excel
    recognises the encoding.
    """
    path = _target(path)
    if excel_safe and fmt != "csv":
        raise DataError("excel_safe applies to CSV files only.")
    if fmt == "csv":
        if excel_safe:
            df, _ = neutralise_formulas(df)
        # the spreadsheet variant starts with a byte-order mark: without it Excel reads
        # UTF-8 as the system's code page ("MÃ¼ller", emoji and Arabic as mojibake)
        df.to_csv(path, index=False, encoding="utf-8-sig" if excel_safe else "utf-8")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        raise DataError(f"Unknown table format {fmt!r}; use csv or parquet.")
    return path


def export_frame(
    store: ResponseStore,
    study: str,
    *,
    completed_only: bool = False,
    skip_unstarted: bool = False,
) -> pd.DataFrame:
    """The wide data with the fieldwork columns, as every wide export writes them.

    Parameters
    ----------
    store
        The response store.
    study
        Study name.
    completed_only
        Keep completed responses only.
    skip_unstarted
        Leave out invitations that were opened but never got past the first page
        (no page submitted): they would be rows without a single answer.
    """
    import numpy as np
    import pandas as pd

    from instruments.fieldwork.cockpit import respondent_table
    from instruments.store.responses import ID_COLUMNS, META_COLUMNS

    # Excluded responses stay in the exports, flagged by in_analysis = 0.
    wide = store.wide(study, completed_only=completed_only, meta=True, include_excluded=True)
    table = respondent_table(store, study).dropna(subset=["respondent_id"])
    by_rid = table.set_index(table["respondent_id"].astype("int64"))
    rids = wide["respondent_id"].astype("int64")
    status = rids.map(by_rid["status"])
    last_page = rids.map(by_rid["last_page"]).astype("float64")
    ended = rids.map(by_rid["completed_at"]).where(lambda x: x.notna(), None)
    ended_last = wide["respondent_id"].map(_last_submission(store, study))
    extra = pd.DataFrame({
        "status": status.to_numpy(), "wave": wide["wave"].to_numpy(),
        "instrument_version": wide["instrument_version"].to_numpy(),
        "started_at": pd.to_datetime(wide["started_at"], utc=True).to_numpy(),
        "ended_at": pd.to_datetime(ended.fillna(ended_last), utc=True).to_numpy(),
        "last_page": last_page.to_numpy(), "not_shown": wide["not_shown"].to_numpy(),
    }, index=wide.index)  # fmt: skip
    # only completed responses are judged (the cockpit's rule): a respondent still
    # answering has not reached the attention checks and has most items unanswered, and
    # their short durations would pull down the median the speed flag compares with
    flags = _quality(store, wide[(status == "completed").to_numpy()])
    for name in ("attention_flag", "straightline_flag", "speeder_flag", "missing_flag"):
        extra[name] = (wide["respondent_id"].map(flags[name]).astype("float64")
                       if flags is not None and name in flags else np.nan)  # fmt: skip
    extra["in_analysis"] = rids.map(by_rid["in_analysis"]).astype("float64").to_numpy()
    rest = wide.drop(columns=list(META_COLUMNS))
    ids = list(ID_COLUMNS)
    out = pd.concat([rest[ids], extra, rest.drop(columns=ids)], axis=1)
    if skip_unstarted:
        out = out[out["last_page"] > 0]
    return out.reset_index(drop=True)


def _last_submission(store: ResponseStore, study: str) -> dict[int, Any]:
    from sqlalchemy import func, select

    from instruments.fieldwork.invitations import _study
    from instruments.store.models import Invitation, PageSubmission, Respondent

    with store.session() as session:
        st = _study(session, study)
        return dict(session.execute(
            select(PageSubmission.respondent_id, func.max(PageSubmission.submitted_at))
            .join(Respondent, PageSubmission.respondent_id == Respondent.id)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id)
            .group_by(PageSubmission.respondent_id)
        ).all())  # fmt: skip


def _quality(store: ResponseStore, wide: pd.DataFrame) -> pd.DataFrame | None:
    """Quality flags (1/0) by respondent id of the responses in ``wide`` (the completed
    ones), or ``None`` when they cannot be computed (none completed yet, or an instrument
    without what the flags need); the other respondents' flags are left empty."""
    import warnings

    from analysis.errors import AllianceSurveyError
    from analysis.study.quality import quality_flags
    from instruments.store.responses import META_COLUMNS

    if not len(wide):
        return None
    plain = wide.drop(columns=list(META_COLUMNS))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-empty pages of starters
            flags = quality_flags(plain, store.instrument)
    except (AllianceSurveyError, KeyError, ValueError):
        return None
    flags = flags.set_index(plain["respondent_id"].to_numpy()) if "respondent_id" not in \
        flags.columns else flags.set_index("respondent_id")
    return flags.astype({c: "float64" for c in flags.columns if c.endswith("_flag")})


def _file_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as naive UTC (SPSS and Stata know no time zones)."""
    import pandas as pd

    out = df.copy()
    for col in ("started_at", "ended_at"):
        if col in out:
            out[col] = pd.to_datetime(out[col], utc=True).dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def write_dta(df: pd.DataFrame, path: str | Path, instrument: Any, lang: str = "en") -> Path:
    """Write wide data to a Stata ``.dta`` file with variable and value labels.

    The labels are those of the SPSS file (:func:`instruments.instrument.spss.sav_metadata`),
    variable labels cut to Stata's 80 characters.

    Notes
    -----
    # In R: haven::write_dta(df, path); in Stata: ``use file.dta`` then ``describe``.
    """
    import math

    import pandas as pd
    import pyreadstat

    from instruments.instrument.spss import sav_metadata

    long_names = [c for c in df.columns if len(str(c)) > _STATA_NAME_MAX]
    if long_names:
        raise DataError(f"Stata variable names have at most {_STATA_NAME_MAX} characters: "
                        f"{', '.join(long_names[:5])}.")  # fmt: skip
    meta = sav_metadata(df, instrument, lang=lang)
    labels = {k: (v if len(v) <= _STATA_LABEL_MAX else v[: _STATA_LABEL_MAX - 1] + "…")
              for k, v in meta["column_labels"].items()}  # fmt: skip
    columns: dict[str, Any] = {}
    for name in df.columns:
        col = df[name].reset_index(drop=True)
        if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_numeric_dtype(col):
            columns[name] = col.astype("float64") if pd.api.types.is_numeric_dtype(col) else col
        else:
            columns[name] = col.astype(object).map(
                lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    out = pd.DataFrame(columns, index=range(len(df)))
    path = _target(path)
    pyreadstat.write_dta(out, str(path), file_label=f"{instrument.id} {instrument.version}",
                         column_labels=labels,
                         variable_value_labels=meta["variable_value_labels"])  # fmt: skip
    return path


def export_wide(
    store: ResponseStore,
    study: str,
    path: str | Path,
    fmt: str = "csv",
    *,
    lang: str = "en",
    completed_only: bool = False,
    excel_safe: bool = False,
    skip_unstarted: bool = False,
) -> Path:
    """Write a study's wide data to CSV, Parquet, SPSS ``.sav`` or Stata ``.dta``.

    Parameters
    ----------
    store
        The response store.
    study
        Study name.
    path
        Output file.
    fmt
        ``"csv"``, ``"parquet"`` or ``"sav"`` (with variable and value labels from
        the instrument via :func:`instruments.instrument.spss.write_sav`).
    lang
        Language of the SPSS labels.
    completed_only
        Export completed responses only.
    excel_safe
        CSV only: neutralise text cells that start like a spreadsheet formula.
    skip_unstarted
        Leave out invitations opened but never answered (see :func:`export_frame`).

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    # In R: haven::write_sav(df, path) for the .sav file.
    """
    if excel_safe and fmt != "csv":
        raise DataError("The Excel-safe variant exists for CSV only.")
    df = export_frame(store, study, completed_only=completed_only,
                      skip_unstarted=skip_unstarted)  # fmt: skip
    if fmt == "sav":
        from instruments.instrument.spss import write_sav

        return write_sav(_file_ready(df), _target(path), store.instrument, lang=lang)
    if fmt == "dta":
        return write_dta(_file_ready(df), path, store.instrument, lang=lang)
    return write_table(df, path, fmt, excel_safe=excel_safe)


def export_long(store: ResponseStore, study: str, path: str | Path, fmt: str = "csv", *,
                excel_safe: bool = False) -> Path:
    """Write the append-only answer log (one row per stored answer) as CSV or Parquet."""
    return write_table(store.answer_log(study), path, fmt, excel_safe=excel_safe)


def export_codebook(instrument: Any, path: str | Path, *, lang: str = "en") -> Path:
    """Write the codebook; the format follows the extension (``.csv``, ``.json``, ``.md``)."""
    from instruments.instrument.codebook import write_codebook
    from instruments.instrument.schema import Instrument

    if not isinstance(instrument, Instrument):
        raise DataError("export_codebook needs an Instrument (read a folder with "
                        f"load_instrument(path)), not {type(instrument).__name__}.")
    if not isinstance(path, str | os.PathLike):
        raise DataError(f"The codebook's path must be a path, not {type(path).__name__}.")
    return write_codebook(instrument, _target(path), lang=lang)


def export(
    store: ResponseStore,
    study: str,
    fmt: str,
    out: str | Path,
    *,
    lang: str = "en",
    completed_only: bool = False,
    excel_safe: bool = False,
    skip_unstarted: bool = False,
) -> Path:
    """Export one of :data:`EXPORT_FORMATS` for a study.

    ``csv``, ``parquet``, ``sav`` and ``dta`` write the wide data; ``long`` the answer log
    (Parquet if ``out`` ends in ``.parquet``, else CSV); ``codebook`` the
    codebook of the study's instrument (format from the extension).  ``excel_safe``
    neutralises formula-like text cells in the CSV of ``csv`` and ``long``.

    Raises
    ------
    DataError
        For an unknown format or study, or an ``out`` whose extension does not fit the
        format (:data:`EXPORT_SUFFIXES`).
    """
    check_export_name(fmt, out)
    if excel_safe and fmt not in ("csv", "long"):
        raise DataError(f"--excel-safe applies to CSV exports (csv, long), not to {fmt!r}.")
    from analysis.io import atomic_path

    made = []  # the folders made for the file: removed again if the export fails
    folder = Path(out).parent
    while str(folder) and not folder.exists() and folder.parent != folder:
        made.append(folder)
        folder = folder.parent
    target = _target(out)
    # written next to the target and moved over it when complete: an error or Ctrl-C
    # half-way leaves no half file and keeps the export of an earlier run
    try:
        with atomic_path(target) as tmp:
            _export(store, study, fmt, tmp, lang=lang, completed_only=completed_only,
                    excel_safe=excel_safe, skip_unstarted=skip_unstarted)
    except BaseException:
        for empty in made:  # deepest first
            try:
                empty.rmdir()
            except OSError:
                break
        raise
    return target


def _export(store: ResponseStore, study: str, fmt: str, out: Path, *, lang: str,
            completed_only: bool, excel_safe: bool, skip_unstarted: bool) -> Path:
    if fmt == "long":
        table = "parquet" if str(out).lower().endswith(".parquet") else "csv"
        return export_long(store, study, out, table, excel_safe=excel_safe)
    if fmt == "codebook":
        _, version, digest = store.study_instrument(study)
        if digest != str(store.instrument.content_hash):
            raise DataError(
                f"Study {study!r} uses instrument version {version} (hash {digest[:12]}), "
                "not the one loaded now; export the codebook with that version."
            )
        return export_codebook(store.instrument, out, lang=lang)
    return export_wide(store, study, out, fmt, lang=lang, completed_only=completed_only,
                       excel_safe=excel_safe, skip_unstarted=skip_unstarted)
