"""Exports of a study's responses: wide data (CSV, Parquet, SPSS ``.sav``), the long
answer log, and the codebook.

The wide data are the canonical layout of :meth:`ResponseStore.wide` (one row per
respondent, paradata, then one integer-coded column per item; missing = empty
cell in CSV, null in Parquet, system-missing in SPSS).  Free text is written
exactly as the respondent typed it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from instruments.errors import DataError

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


def write_table(df: pd.DataFrame, path: str | Path, fmt: str) -> Path:
    """Write a data frame as ``csv`` (UTF-8, no index, missing = empty) or ``parquet``."""
    path = _target(path)
    if fmt == "csv":
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
        the instrument via :func:`instruments.spss.write_sav`).
    lang
        Language of the SPSS labels.
    completed_only
        Export completed responses only.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    # In R: haven::write_sav(df, path) for the .sav file.
    """
    df = store.wide(study, completed_only=completed_only)
    if fmt == "sav":
        from instruments.spss import write_sav

        return write_sav(df, _target(path), store.instrument, lang=lang)
    return write_table(df, path, fmt)


def export_long(store: ResponseStore, study: str, path: str | Path, fmt: str = "csv") -> Path:
    """Write the append-only answer log (one row per stored answer) as CSV or Parquet."""
    return write_table(store.answer_log(study), path, fmt)


def export_codebook(instrument: Any, path: str | Path, *, lang: str = "en") -> Path:
    """Write the codebook; the format follows the extension (``.csv``, ``.json``, ``.md``)."""
    from instruments.codebook import write_codebook

    return write_codebook(instrument, _target(path), lang=lang)


def export(
    store: ResponseStore,
    study: str,
    fmt: str,
    out: str | Path,
    *,
    lang: str = "en",
    completed_only: bool = False,
) -> Path:
    """Export one of :data:`EXPORT_FORMATS` for a study.

    ``csv``, ``parquet`` and ``sav`` write the wide data; ``long`` the answer log
    (Parquet if ``out`` ends in ``.parquet``, else CSV); ``codebook`` the
    codebook of the study's instrument (format from the extension).

    Raises
    ------
    DataError
        For an unknown format or study.
    """
    if fmt not in EXPORT_FORMATS:
        raise DataError(f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    if fmt == "long":
        table = "parquet" if str(out).lower().endswith(".parquet") else "csv"
        return export_long(store, study, out, table)
    if fmt == "codebook":
        _, version, digest = store.study_instrument(study)
        if digest != str(store.instrument.content_hash):
            raise DataError(
                f"Study {study!r} uses instrument version {version} (hash {digest[:12]}), "
                "not the one loaded now; export the codebook with that version."
            )
        return export_codebook(store.instrument, out, lang=lang)
    return export_wide(store, study, out, fmt, lang=lang, completed_only=completed_only)
