"""Check a wide data frame against the instrument (columns and codes).

Used by :meth:`instruments.instrument.schema.Instrument.validate_data`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io import describe_non_numeric
from instruments.instrument.schema import AttentionCheck, Item, Question

if TYPE_CHECKING:  # pragma: no cover
    from instruments.instrument.schema import Instrument

MAX_EXAMPLES = 3


def _shown(v: object) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float):
        return f"{v:g}"
    text = str(v).replace("\n", " ")  # lists, arrays, dicts (a Parquet column of lists)
    return text if len(text) <= 40 else text[:37] + "..."


def _examples(values: pd.Series) -> str:
    # shown text as the key: a cell holding a list or an array is not hashable
    uniq = list(dict.fromkeys(_shown(v) for v in values.tolist()))
    shown = ", ".join(uniq[:MAX_EXAMPLES])
    return shown + (", ..." if len(uniq) > MAX_EXAMPLES else "")


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def _as_numeric(col: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numeric view of a column and a mask of non-missing entries that are not numbers.

    Empty strings count as missing answers.
    """
    if pd.api.types.is_bool_dtype(col):
        return col.astype("float64"), pd.Series(False, index=col.index)
    if pd.api.types.is_numeric_dtype(col):
        return pd.to_numeric(col, errors="coerce").astype("float64"), pd.Series(
            False, index=col.index
        )
    obj = col.astype(object)
    blank = obj.map(lambda v: isinstance(v, str) and not v.strip())
    obj = obj.mask(blank)
    num = pd.to_numeric(obj, errors="coerce").astype("float64")
    bad = obj.notna() & num.isna()
    return num, bad


def check_column(col: pd.Series, var: Item | AttentionCheck | Question, codes: list[int] | None,
                 lo: float | None, hi: float | None, kind: str) -> list[str]:
    """Problems of one column: non-numeric, non-integer, out-of-range values (NaN allowed)."""
    name = var.id
    problems: list[str] = []
    if kind == "text":
        return problems
    num, bad = _as_numeric(col)
    if bad.any():
        # the package's one wording: the first such cell by data row and value, the count,
        # and a hint for a decimal comma, a Unicode minus or an answer label; blank cells
        # are missing answers here, so only the cells counted in ``bad`` are described
        only_bad = col.astype(object).where(bad.to_numpy(), None)
        problems.append(
            f"{describe_non_numeric(name, only_bad)}; expected "
            f"{'codes' if codes else 'numbers'}"
        )
    finite = num.notna()
    inf = finite & ~np.isfinite(num)
    if inf.any():
        problems.append(f"column {name}: {_rows(int(inf.sum()))} with infinite values")
    ok = finite & ~inf
    if kind in ("coded", "integer"):
        frac = ok & (num != np.round(num))
        if frac.any():
            problems.append(
                f"column {name}: {_rows(int(frac.sum()))} with non-integer values "
                f"(e.g. {_examples(num[frac])})"
            )
        ok = ok & ~frac
    if codes is not None:
        out = ok & ~num.isin([float(c) for c in codes])
        if out.any():
            problems.append(
                f"column {name}: {_rows(int(out.sum()))} with codes outside "
                f"{{{', '.join(str(c) for c in sorted(codes))}}} (e.g. {_examples(num[out])})"
            )
    elif lo is not None and hi is not None:
        out = ok & ((num < lo) | (num > hi))
        if out.any():
            problems.append(
                f"column {name}: {_rows(int(out.sum()))} outside {lo:g}..{hi:g} "
                f"(e.g. {_examples(num[out])})"
            )
    return problems


def repeated_ids(df: pd.DataFrame, column: str = "respondent_id", most: int = 5) -> list[str]:
    """Where the same id is on more than one row: one line per id, with its data rows.

    Not an error: the exports of two stores (a pilot and the main study) both number
    their respondents from 1, so a pooled file repeats ids of different people.  The
    caller warns, since a respondent whose rows were copied (a file appended to itself)
    weighs twice in every result; the data row numbers say which rows to compare.

    Parameters
    ----------
    df : pandas.DataFrame
        Wide data, one row per respondent.
    column : str
        The id column; no lines when the data have none.
    most : int
        At most this many ids are named; a last line says how many more there are.

    Returns
    -------
    list of str
        ``"respondent_id 'R001' is on data rows 1 and 6"``; empty when every id is once.
    """
    if column not in df.columns or isinstance(df[column], pd.DataFrame):
        return []
    ids = df[column].reset_index(drop=True)
    twice = ids[ids.notna() & ids.duplicated(keep=False)]
    if twice.empty:
        return []
    rows: dict[str, list[int]] = {}
    for position, value in twice.items():
        rows.setdefault(_shown(value), []).append(int(position) + 1)
    lines = []
    for value, numbers in list(rows.items())[:most]:
        shown = [f"{n:,}" for n in numbers]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}"
        lines.append(f"{column} {value} is on data rows {listed}")
    if len(rows) > most:
        lines.append(f"and {len(rows) - most} more repeated {column} value(s)")
    return lines


def validate_data(inst: Instrument, df: pd.DataFrame) -> None:
    """Check a wide data frame against an instrument.

    Checks that every item, attention-check and question column exists (text
    questions such as the open comment may be absent) and that every value is
    a valid code of its response list, a whole number or a number within the
    declared range.  Missing answers (NaN, None, empty strings) are fine.
    Paradata columns are not checked.

    Parameters
    ----------
    inst : Instrument
        The questionnaire.
    df : pandas.DataFrame
        Wide data, one row per respondent, one column per variable (named by id).

    Raises
    ------
    DataError
        Naming every missing column and every column with invalid values (row
        count and example values); ``problems`` holds the list.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(df).__name__}.")
    problems: list[str] = []
    dupes = df.columns[df.columns.duplicated()].unique().tolist()
    for name in dupes:
        problems.append(f"column {name} appears more than once")
    columns = set(df.columns)
    missing: list[str] = []
    checks: list[tuple[pd.Series, object, list[int] | None, float | None, float | None, str]] = []
    for var_id in inst.item_variables():
        var = inst.item(var_id)
        if isinstance(var, Question):
            if var.type == "text":
                kind = "text"
            elif var.choices is not None:
                kind = "coded"
            else:
                kind = var.type  # integer / number
            codes = var.choices.values if var.choices is not None else None
            lo, hi = var.min, var.max
        else:
            response = inst.response_list(var_id)
            kind, codes, lo, hi = "coded", response.values, None, None
        if var_id not in columns:
            if kind != "text":
                missing.append(var_id)
            continue
        if var_id in dupes:
            continue
        checks.append((df[var_id], var, codes, lo, hi, kind))
    if missing:
        # a column that differs only by spaces or case is named: the usual cause of a
        # "missing" column is a header edited in a spreadsheet ("trust_1 ", "Trust_1")
        loose = {str(c).strip().lower(): c for c in df.columns if isinstance(c, str)}
        near = [f"{m} (the data have {loose[m.lower()]!r})" for m in missing
                if m.lower() in loose]
        problems.insert(0, f"missing columns ({len(missing)}): {', '.join(missing)}"
                        + (f"; spelled differently: {', '.join(near[:5])}" if near else ""))
    for col, var, codes, lo, hi, kind in checks:
        problems.extend(check_column(col, var, codes, lo, hi, kind))  # type: ignore[arg-type]
    if "language" in columns and "language" not in dupes:
        # the language is a group of the invariance tests: a code the questionnaire is not
        # written in ('xx', 'EN', 'de ') made a group of its own without a word
        given = df["language"].dropna().astype(str)
        unknown = given[~given.isin(list(inst.languages)) & (given.str.strip() != "")]
        if len(unknown):
            problems.append(f"column language: {_rows(len(unknown))} with a language the "
                            f"instrument is not written in ({_examples(unknown)}); it has "
                            f"{', '.join(inst.languages)}")
    if problems:
        n = len(problems)
        err = DataError(
            f"The data do not fit instrument {inst.id} {inst.version} "
            f"({n} problem{'s' if n != 1 else ''}):\n" + "\n".join(f"  - {p}" for p in problems)
        )
        err.problems = problems  # type: ignore[attr-defined]
        raise err
