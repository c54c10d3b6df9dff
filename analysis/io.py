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

from analysis.errors import DataError, clip

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
    shown = clip(str(p), 400)
    try:
        if not p.is_file():
            raise DataError(f"Data file {shown} does not exist.")
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise DataError(f"Data file {shown} cannot be opened: {exc.strerror or exc}.") from exc
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(p)
        elif suffix == ".sav":
            from instruments.instrument.spss import read_sav

            frame, _ = read_sav(p)
        elif suffix not in (".csv", ".txt", ""):
            raise DataError(f"Cannot read {shown}: use a .csv, .parquet or .sav file.")
        else:
            raw = pd.read_csv(p, header=None, nrows=1, dtype=str, keep_default_na=False)
            names = [str(v) for v in raw.iloc[0]] if len(raw) else []
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise DataError(f"The data file {shown} has repeated column names: "
                                f"{clip(', '.join(repeated), 200)}; rename them so each "
                                "column is read.")
            header = pd.read_csv(p, nrows=0).columns
            dtypes = {c: "string" for c in TEXT_COLUMNS if c in header}
            frame = pd.read_csv(p, dtype=dtypes, keep_default_na=False, na_values=[""])
            for c in dtypes:
                frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"Cannot read the data file {shown}: {clip(first, 200)}") from exc
    if frame.columns.duplicated().any():
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(f"The data file {shown} has repeated column names: "
                        f"{clip(', '.join(repeated), 200)}.")
    numeric = frame.select_dtypes(include="number")
    infinite = [str(c) for c in numeric.columns
                if np.isinf(numeric[c].to_numpy(dtype=float, na_value=np.nan)).any()]
    if infinite:
        # An infinite answer is an error in the file, not a missing value.
        raise DataError(f"The data file {shown} has infinite values (inf) in column(s) "
                        f"{clip(', '.join(infinite), 200)}; fix or empty those cells.")
    return frame


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
