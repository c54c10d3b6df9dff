"""Reading survey data files (.csv, .parquet, .sav) in the instrument's canonical wide layout.

This lives with the study, not in the shared :mod:`analysis.io`, because it knows the
survey: the identifier and free-text columns of the canonical layout, and the SPSS
reader of the instrument package (which keeps value labels).
"""

from __future__ import annotations

from pathlib import Path

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
