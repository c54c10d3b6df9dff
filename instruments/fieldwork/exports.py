"""Exports of a study's responses: wide data (CSV, Parquet, SPSS ``.sav``), the long
answer log, and the codebook.

The wide data are the canonical layout of :meth:`ResponseStore.wide` (one row per
respondent, paradata, then one integer-coded column per item; missing = empty
cell in CSV, null in Parquet, system-missing in SPSS).  Free text is written
exactly as the respondent typed it, unless ``excel_safe=True``: then a CSV text cell
that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) gets a leading apostrophe (the OWASP advice on CSV
injection).  Use that variant for opening in Excel or LibreOffice, and the verbatim
one for R, SPSS or pandas.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from instruments.store import ResponseStore

#: Formats of :func:`export` and ``alliance-survey export --format``.
EXPORT_FORMATS = ("csv", "parquet", "sav", "long", "codebook")


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
    """
    import pandas as pd

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
    :func:`neutralise_formulas`.
    """
    path = _target(path)
    if excel_safe and fmt != "csv":
        raise DataError("excel_safe applies to CSV files only.")
    if fmt == "csv":
        if excel_safe:
            df, _ = neutralise_formulas(df)
        df.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        raise DataError(f"Unknown table format {fmt!r}; use csv or parquet.")
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
) -> Path:
    """Write a study's wide data to CSV, Parquet or SPSS ``.sav``.

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
    df = store.wide(study, completed_only=completed_only)
    if fmt == "sav":
        from instruments.instrument.spss import write_sav

        return write_sav(df, _target(path), store.instrument, lang=lang)
    return write_table(df, path, fmt, excel_safe=excel_safe)


def export_long(store: ResponseStore, study: str, path: str | Path, fmt: str = "csv", *,
                excel_safe: bool = False) -> Path:
    """Write the append-only answer log (one row per stored answer) as CSV or Parquet."""
    return write_table(store.answer_log(study), path, fmt, excel_safe=excel_safe)


def export_codebook(instrument: Any, path: str | Path, *, lang: str = "en") -> Path:
    """Write the codebook; the format follows the extension (``.csv``, ``.json``, ``.md``)."""
    from instruments.instrument.codebook import write_codebook

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
) -> Path:
    """Export one of :data:`EXPORT_FORMATS` for a study.

    ``csv``, ``parquet`` and ``sav`` write the wide data; ``long`` the answer log
    (Parquet if ``out`` ends in ``.parquet``, else CSV); ``codebook`` the
    codebook of the study's instrument (format from the extension).  ``excel_safe``
    neutralises formula-like text cells in the CSV of ``csv`` and ``long``.

    Raises
    ------
    DataError
        For an unknown format or study.
    """
    if fmt not in EXPORT_FORMATS:
        raise DataError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    if excel_safe and fmt not in ("csv", "long"):
        raise DataError(f"--excel-safe applies to CSV exports (csv, long), not to {fmt!r}.")
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
                       excel_safe=excel_safe)
