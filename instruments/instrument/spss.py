"""SPSS ``.sav`` export and import with variable labels, value labels and measure levels.

# In R: haven::write_sav(df, path) / haven::read_sav(path)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from analysis.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from instruments.instrument.schema import Instrument

SPSS_LABEL_MAX = 256
"""Longest variable label (characters) written; SPSS truncates longer ones."""


def _is_text(col: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


def sav_metadata(
    df: pd.DataFrame, instrument: Instrument, lang: str = "en"
) -> dict[str, Any]:
    """Variable labels, value labels and measure levels for the columns of ``df``.

    Columns the instrument does not know keep no labels; their measure level is
    ``scale`` for numbers and ``nominal`` for text.
    """
    book = instrument.variables(lang=lang).set_index("variable")
    column_labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    measure: dict[str, str] = {}
    for name in df.columns:
        text = _is_text(df[name])
        if name in book.index:
            row = book.loc[name]
            label = str(row["label"])
            if len(label) > SPSS_LABEL_MAX:
                label = label[: SPSS_LABEL_MAX - 1] + "…"
            column_labels[name] = label
            # text codes (firm_role's A/B) have no numeric SPSS value labels
            if isinstance(row["value_labels"], dict) and not text and all(
                    isinstance(k, int | float) for k in row["value_labels"]):
                value_labels[name] = {float(k): v for k, v in row["value_labels"].items()}
            level = str(row["measure"])
            measure[name] = "nominal" if text else level
        else:
            measure[name] = "nominal" if text else "scale"
    return {"column_labels": column_labels, "variable_value_labels": value_labels,
            "variable_measure": measure}


def write_sav(
    df: pd.DataFrame, path: str | Path, instrument: Instrument, lang: str = "en"
) -> Path:
    """Write wide survey data to an SPSS ``.sav`` file with labels from the instrument.

    Parameters
    ----------
    df : pandas.DataFrame
        Wide data in the canonical layout (paradata, then one column per item,
        attention check and question).  Numeric codes are written as numbers
        (missing = system-missing), text columns as strings (missing = empty
        string, the SPSS convention).
    path : str or Path
        Output file.
    instrument : Instrument
        Source of variable labels, value labels and measure levels (ordinal for
        scale items and ordered lists, nominal for coded lists and text, scale
        for numbers).
    lang : str
        Language of the labels.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The file label holds the instrument id and version; the file's document
    note records its content hash, so an export says which instrument made it.
    """
    import pyreadstat

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    if df.columns.duplicated().any():
        dupes = ", ".join(map(str, df.columns[df.columns.duplicated()].unique()))
        raise DataError(f"Duplicated column names cannot be written to SPSS: {dupes}.")
    bad_names = [c for c in df.columns if not isinstance(c, str) or len(c.encode()) > 64]
    if bad_names:
        raise DataError(
            f"SPSS variable names must be text of at most 64 bytes: {bad_names[:5]}."
        )
    meta = sav_metadata(df, instrument, lang=lang)
    columns: dict[str, pd.Series] = {}
    for name in df.columns:
        col = df[name].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(col):
            columns[name] = col.astype("float64")
        elif pd.api.types.is_numeric_dtype(col):
            columns[name] = pd.to_numeric(col, errors="coerce").astype("float64")
        else:
            columns[name] = col.astype(object).map(
                lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            )
    # one frame from all columns at once (column-by-column inserts fragment the frame)
    out = pd.DataFrame(columns, index=range(len(df)))
    path = Path(path)
    pyreadstat.write_sav(
        out,
        str(path),
        file_label=f"{instrument.id} {instrument.version}",
        column_labels=meta["column_labels"],
        variable_value_labels=meta["variable_value_labels"],
        variable_measure=meta["variable_measure"],
        note=[
            f"instrument {instrument.id} {instrument.version}, labels: {lang}",
            f"sha256 {instrument.content_hash}",
        ],
    )
    return path


def read_sav(path: str | Path) -> tuple[pd.DataFrame, Any]:
    """Read an SPSS ``.sav`` file; return the data (codes, not labels) and pyreadstat's metadata.

    ``meta.column_names_to_labels`` holds variable labels,
    ``meta.variable_value_labels`` value labels and ``meta.variable_measure``
    measure levels.  Empty strings in text columns come back as empty strings.
    """
    import pyreadstat

    path = Path(path)
    if not path.is_file():
        raise DataError(f"No SPSS file at {path}.")
    try:
        df, meta = pyreadstat.read_sav(str(path))
    except pyreadstat.ReadstatError as exc:
        raise DataError(f"Cannot read {path} as an SPSS .sav file: {exc}.") from exc
    return df, meta
