"""Reading data files and writing JSON, shared by the command-line tools.

Nothing here computes statistics: these are the package's few I/O helpers so
that every command reads data and writes JSON the same way.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError

#: Identifier / free-text columns of the canonical wide layout, read as text.
TEXT_COLUMNS = ("respondent_id", "alliance_id", "firm_role", "language", "comment")


def read_data(path: str | Path) -> pd.DataFrame:
    """Read survey or analysis data (.csv, .parquet or .sav) into a DataFrame.

    Identifier columns of the canonical layout (``respondent_id``, ``alliance_id``,
    ``firm_role``, ``language``, ``comment``) are read as text; empty CSV cells
    are missing values.

    Raises
    ------
    DataError
        If the file does not exist, has an unknown extension or cannot be parsed.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"Data file {str(p)!r} does not exist.")
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(p)
        if suffix == ".sav":
            from instruments.instrument.spss import read_sav

            frame, _ = read_sav(p)
            return frame
        if suffix not in (".csv", ".txt", ""):
            raise DataError(
                f"Cannot read {str(p)!r}: use a .csv, .parquet or .sav file."
            )
        header = pd.read_csv(p, nrows=0).columns
        dtypes = {c: "string" for c in TEXT_COLUMNS if c in header}
        frame = pd.read_csv(p, dtype=dtypes, keep_default_na=False, na_values=[""])
        for c in dtypes:
            frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan)
        return frame
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot read the data file {str(p)!r}: {exc}") from exc


def numeric_columns(data: Any, columns: Any, what: str) -> pd.DataFrame:
    """Float copy of ``columns`` of ``data`` (missing values kept), for a user-facing function.

    Raises
    ------
    DataError
        If ``data`` is not a DataFrame, a column is absent, or a column holds values that
        are not numbers; the message starts with ``what``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what}: data= must be a pandas DataFrame.")
    names = list(dict.fromkeys(columns))
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise DataError(f"{what}: column(s) not in data=: {', '.join(missing)}.")
    out = pd.DataFrame(index=data.index)
    for c in names:
        col = pd.to_numeric(data[c], errors="coerce")
        if col.notna().sum() < data[c].notna().sum():
            raise DataError(f"{what}: column {c!r} has non-numeric values.")
        out[c] = col.astype(float)
    return out


def jsonable(value: Any) -> Any:
    """Return ``value`` with NaN/inf as ``None`` and numpy/pandas scalars as Python ones.

    Dicts, lists, tuples, Series and DataFrames (as a list of records) are
    converted recursively.  Numbers are never rounded.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def write_json(obj: Any, out: str | Path) -> None:
    """Write ``obj`` as JSON (NaN → null) to a file, or to standard output when ``out`` is ``-``."""
    text = json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)
    if str(out) == "-":
        sys.stdout.write(text + "\n")
        return
    Path(out).write_text(text + "\n", encoding="utf-8")
