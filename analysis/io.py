"""Checked numeric columns and JSON output, shared by every part of the analysis package.

Nothing here computes statistics, and nothing here knows the survey: reading survey
data files (CSV, Parquet, SPSS with value labels) is the study's job
(:func:`analysis.study.datafiles.read_data`).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.errors import DataError, clip

#: Largest magnitude of a data value the analyses accept.  No answer, score, count or
#: amount comes near it (it is a corrupted cell or a typo such as 1e308), and beyond it
#: the squares and fourth powers behind variances and robust standard errors overflow:
#: the SEM then failed with an internal error and PLS printed silently wrong numbers.
MAX_ABS_VALUE = 1e50


def value_problem(values: Any) -> str | None:
    """What makes a numeric column unusable: ``"infinite values (inf, ...)"``, ``"values larger
    than 1e+50 in magnitude"``, or ``None`` when every value is finite and in range (missing
    values are fine)."""
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    if np.isinf(arr).any():
        return "infinite values (inf, or numbers too large to store, such as 1e400)"
    with np.errstate(invalid="ignore"):
        if (np.abs(arr) > MAX_ABS_VALUE).any():
            return f"values larger than {MAX_ABS_VALUE:g} in magnitude"
    return None


def is_real_number(value: Any) -> bool:
    """Whether ``value`` is one real number (a Python or NumPy int or float, NaN and inf
    included), and not ``True``/``False``, which Python counts as 1 and 0, nor text."""
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool | np.bool_))


def is_whole_number(value: Any) -> bool:
    """Whether ``value`` is a whole number (``30``, ``np.int64(30)``, ``30.0``), and not
    ``True``/``False``, NaN, inf, ``2.5``, text or None, which ``int()`` took or failed on."""
    if not is_real_number(value):
        return False
    return isinstance(value, int | np.integer) or (math.isfinite(value)
                                                   and float(value).is_integer())


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
    if isinstance(data.columns, pd.MultiIndex):
        # data['x1'] was then a frame of the columns under 'x1': an internal AttributeError
        raise DataError(f"{what}: data= has column names of {data.columns.nlevels} levels (a "
                        "MultiIndex); give one name per column (e.g. data.columns = "
                        "['_'.join(map(str, c)) for c in data.columns]).")
    if isinstance(columns, str):  # 'x1' was read as the columns 'x' and '1'
        columns = [columns]
    names = list(dict.fromkeys(columns))
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise DataError(f"{what}: column(s) not in data=: {', '.join(missing)}.")
    twice = [c for c in names if list(data.columns).count(c) > 1]
    if twice:
        raise DataError(f"{what}: data= has more than one column named "
                        f"{', '.join(map(repr, twice))}; rename or drop all but one.")
    out = pd.DataFrame(index=data.index)
    for c in names:
        if getattr(data[c].dtype, "kind", "") in "mM" or isinstance(data[c].dtype,
                                                                   pd.DatetimeTZDtype):
            # pd.to_numeric would give nanoseconds since 1970
            raise DataError(f"{what}: column {c!r} holds dates or times ({data[c].dtype}), "
                            "not numbers; recode it (e.g. as days or years) or leave it out.")
        kind = non_number_kind(data[c])
        if kind is not None:
            # converted without a word: a period to its ordinal (2020 -> 50), a complex
            # number to its real part
            raise DataError(f"{what}: column {c!r} holds {kind}, not real numbers; recode it "
                            "or leave it out.")
        col = pd.to_numeric(data[c], errors="coerce")
        if col.notna().sum() < data[c].notna().sum():
            raise not_numeric_error(c, data[c], what=what, advice="recode it or leave it out")
        problem = value_problem(col)
        if problem is not None:
            raise DataError(f"{what}: column {c!r} has {problem}; fix or empty those cells.")
        out[c] = col.astype(float)
    return out


def non_number_kind(column: pd.Series) -> str | None:
    """What a column that pandas would turn into numbers holds instead, or ``None``."""
    if isinstance(column.dtype, pd.PeriodDtype):
        return f"periods ({column.dtype})"
    if getattr(column.dtype, "kind", "") == "c":
        return f"complex numbers ({column.dtype})"
    if column.dtype == object:
        values = column.dropna()
        sample = values.head(1000)
        if any(isinstance(v, complex | pd.Period) for v in sample):
            return "complex numbers or periods"
        # pandas turns True into 1 and False into 0: a stray TRUE among a Likert item's
        # answers became the answer 1 without a word (a column of true/false alone is a
        # dummy variable and stays one)
        logical = values.map(lambda v: isinstance(v, bool | np.bool_))
        if logical.any() and not logical.all():
            return "true/false values among numbers"
    return None


#: Signs typed for a minus that are not the hyphen-minus '-' (a word processor's or a web
#: page's minus sign, dashes, the small and full-width hyphen-minus).
_MINUS_SIGNS = "\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
#: Words of answer labels (a Likert scale exported with its labels instead of its codes).
_LABEL_WORDS = frozenset((
    "agree", "disagree", "neutral", "neither", "strongly", "somewhat", "slightly",
    "moderately", "extremely", "very", "completely", "totally", "fully", "never", "rarely",
    "sometimes", "often", "always", "satisfied", "dissatisfied", "likely", "unlikely",
    "important", "unimportant", "not", "at", "all", "nor", "undecided", "mostly", "partly",
    "low", "high", "medium", "poor", "fair", "good", "excellent", "yes", "no",
    "accord", "acuerdo", "stimme", "eens", "oneens"))
#: Written markers of a missing answer (R, SPSS, spreadsheets) left in as text.
_MISSING_MARKERS = frozenset(("na", "n/a", "nan", "null", "none", ".", "-", "?", "#n/a",
                              "missing", "#null!", "#value!", "#div/0!"))


def _number_hint(text: str) -> str | None:
    """What a cell that does not read as a number seems to hold instead, with the fix, or
    ``None`` when it looks like nothing in particular."""
    import re
    import unicodedata

    s = text.strip()
    if s.lower() in _MISSING_MARKERS:
        return "a marker for a missing answer: leave the cell empty instead"
    if s and s[0] in _MINUS_SIGNS and is_float_text(s[1:]):
        return f"a minus sign other than the hyphen-minus: type {sign_fixed(s)}"
    sign = s[0] if s[:1] in ("-", "+") else ""
    body = s[len(sign):]
    if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+", body):
        return (f"a thousands separator (.) and a decimal comma: write "
                f"{sign}{body.replace('.', '').replace(',', '.')}")
    if re.fullmatch(r"\d{1,3}([,\u00a0\u202f\u2009 '’]\d{3})+(\.\d+)?", body):
        plain = re.sub(r"[,\u00a0\u202f\u2009 '’]", "", body)
        if re.fullmatch(r"\d{1,3},\d{3}", body):
            return (f"a thousands separator or a decimal comma: write {sign}{plain} or "
                    f"{sign}{body.replace(',', '.')}")
        return f"a thousands separator: write {sign}{plain}"
    if re.fullmatch(r"\d*,\d+", body):
        return f"a decimal comma: write {sign}{body.replace(',', '.')}, with a point"
    if s and all(unicodedata.decimal(ch, None) is not None or ch in ".-+" for ch in s) \
            and not s.isascii():
        ascii_digits = "".join(str(unicodedata.decimal(ch)) if ch not in ".-+" else ch
                               for ch in s)
        return f"digits of another script: write {ascii_digits}"
    words = re.findall(r"[^\W\d_]+", s.lower())
    if words and len(s) < 60 and re.fullmatch(r"[\w\s,.'’/-]+", s) \
            and any(w in _LABEL_WORDS for w in words):
        return "an answer label, not its code: recode the labels as numbers (e.g. 1 to 7)"
    return None


def sign_fixed(text: str) -> str:
    """``text`` with its first character (a minus sign of another kind) as '-'."""
    return "-" + text.strip()[1:]


def is_float_text(text: str) -> bool:
    """Whether Python's ``float()`` reads ``text`` as a number."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _written_out(value: Any) -> str:
    """A cell's value for a message: its ``repr``, with the code points of characters
    that look like others or cannot be seen (a Unicode minus looks like '-')."""
    import unicodedata

    if isinstance(value, np.generic):
        value = value.item()
    shown = clip(value, 80)
    if not isinstance(value, str):
        return f"{shown} ({type(value).__name__})"
    odd = [ch for ch in dict.fromkeys(value[:200])
           if not ch.isascii() and (not ch.isalpha() or unicodedata.category(ch) == "Cf")]
    if odd:
        names = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()
                          for ch in odd[:3])
        return f"{shown} ({names})"
    return shown


def non_numeric_cells(column: Any) -> pd.Series:
    """The cells of ``column`` that hold something (not missing) that is not a number, by
    their index: text that does not read as a number, true/false among numbers, complex
    numbers, periods."""
    s = column if isinstance(column, pd.Series) else pd.Series(column)
    if s.dtype.kind in "iuf" and not pd.api.types.is_bool_dtype(s):
        return s.iloc[:0]
    if s.dtype.kind == "c":
        return s[s.notna()]
    present = s[s.notna()]
    if isinstance(s.dtype, pd.PeriodDtype):
        return present
    num = pd.to_numeric(present.astype(object), errors="coerce")
    odd = present[num.isna()]
    if present.dtype == object:
        strange = present.map(lambda v: isinstance(v, complex | pd.Period | bool | np.bool_))
        logical = present.map(lambda v: isinstance(v, bool | np.bool_))
        if logical.all():
            strange = strange & ~logical  # a column of true/false alone is a dummy
        odd = present[num.isna().to_numpy() | strange.to_numpy()]
    return odd


def not_numeric_error(name: Any, column: Any, *, what: str | None = None,
                      advice: str = "correct those cells or leave the column out",
                      noun: str = "column") -> DataError:
    """The one error for a column that should hold numbers but does not: the
    :func:`describe_non_numeric` sentence, then ``advice``; ``what`` (the function or command
    refusing it) is put first."""
    text = describe_non_numeric(name, column, noun=noun)
    text = f"{what}: {text}" if what else text[:1].upper() + text[1:]
    return DataError(f"{text}. {advice[:1].upper()}{advice[1:]}.")


def describe_non_numeric(name: Any, column: Any, *, noun: str = "column") -> str:
    """``"column 'x1' is not numeric: data row 4 holds '3,5'; it looks like ..."``.

    It names the column, the first offending cell (its data row as the user counts it,
    1 for the first row after the header, and its value written out), how many more
    there are, and a hint where the value looks like a decimal comma, a thousands
    separator, a Unicode minus sign, digits of another script, a missing-value marker or an
    answer label.

    Parameters
    ----------
    name
        The column's name.
    column
        The column (a Series; its position in the data gives the row number).
    noun : str
        What the column is called (``"item"`` among a scale's items).
    """
    s = column if isinstance(column, pd.Series) else pd.Series(column)
    bad = non_numeric_cells(s.reset_index(drop=True))  # indexed by position
    text = f"{noun} {clip(str(name))} is not numeric"
    if len(bad):
        position = int(bad.index[0])
        value = bad.iloc[0]
        where = f"data row {position + 1:,}"
        if not (isinstance(s.index, pd.RangeIndex) and s.index.start == 0
                and s.index.step == 1):
            label = s.index[position]
            label = label.item() if isinstance(label, np.generic) else label
            where += f" (index {clip(label, 40)})"
        text += f": {where} holds {_written_out(value)}"
        text += f" (non-numeric values in {len(bad):,} row{'s' if len(bad) != 1 else ''})"
        hint = _number_hint(value) if isinstance(value, str) else None
        if hint is not None:
            text += f"; it looks like {hint}"
    elif s.dtype.kind not in "iuf":
        text += f" (dtype {s.dtype})"
    return text


def jsonable(value: Any, *, frames: Literal["records", "columns"] = "records") -> Any:
    """Return ``value`` as JSON types: NaN/inf and missing markers as ``None``, numpy/pandas
    values as Python ones, keys as text, tuples as lists.  Numbers are never rounded.

    Parameters
    ----------
    value
        Any nesting of mappings, lists, tuples, numpy arrays and scalars, pandas objects.
    frames : {"records", "columns"}
        Shape of a DataFrame: a list of row records (the command-line tools' JSON and
        the study sections), or ``{column: {index: value}}`` (pandas' ``to_dict()``, the
        shape the report's analysis JSON has always had).

    Dates become ISO text; any other object becomes its ``str()``, so the result always
    survives ``json.dumps(..., allow_nan=False)``.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, frames=frames) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        shaped = value.to_dict(orient="records") if frames == "records" else value.to_dict()
        return jsonable(shaped, frames=frames)
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v, frames=frames) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, frames=frames) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), frames=frames)
    if isinstance(value, np.generic):
        return jsonable(value.item(), frames=frames)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def home_path(path: str | os.PathLike[str]) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded to the home folder.

    ``Path.expanduser`` raises RuntimeError for ``~nouser/x.csv`` (no such user) and
    for ``~`` without a home folder: the command ended in an internal error.

    Raises
    ------
    DataError
        Naming the ``~`` part that names no home folder.
    """
    text = os.fspath(path)
    if isinstance(text, str) and text.split("/", 1)[0] == "~" and os.environ.get("HOME") == "":
        # an empty HOME made '~/out.csv' the file '/out.csv' at the top of the file system
        raise DataError(f"{text[:200]!r} starts with '~', but HOME is empty, so it names no "
                        "home folder; set HOME or write the full path.")
    try:
        return Path(path).expanduser()
    except (RuntimeError, KeyError) as exc:
        head = str(path).split("/", 1)[0]
        raise DataError(f"{str(path)[:200]!r} starts with {head[:80]!r}, which names no home "
                        "folder on this computer (no such user, or no HOME); write the full "
                        "path.") from exc


def write_json(obj: Any, out: str | Path) -> None:
    """Write ``obj`` as JSON (NaN → null) to a file, or to standard output when ``out`` is ``-``."""
    text = json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)
    if str(out) == "-":
        sys.stdout.write(text + "\n")
        return
    with atomic_path(out) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A scratch file next to ``path`` to write instead of it; it replaces ``path`` in one
    step (``os.replace``) only when the block ends without an error.

    An error, a full disk or Ctrl-C (``KeyboardInterrupt``) in the middle of a write thus
    never leaves a half-written file, and never destroys the file of an earlier run: the
    scratch file is removed and ``path`` is untouched.  The scratch file has the suffix of
    ``path`` (writers that choose the format by the extension see the right one) and, when
    ``path`` exists, its permissions; a symbolic link is written through, as ``open``
    does.  Nothing is created when the block fails, not even the scratch file.
    """
    # '~/out.csv' as the output checks read it: the check passed for the home folder, then
    # the writer looked for a folder named '~' and refused ("The folder '~' ... does not
    # exist")
    target = home_path(path)
    if os.path.islink(target):
        try:  # the file the link names; a loop raises here, before anything is written
            target = Path(os.path.realpath(target, strict=True))
        except FileNotFoundError:
            target = Path(os.path.realpath(target))  # a dangling link: its target is made
    if target.exists() and not target.is_file():
        # the move at the end would put a regular file in place of a device (/dev/null),
        # a named pipe or a folder
        raise DataError(f"{str(target)[:200]!r} is not a regular file (a device, a named "
                        "pipe, a socket or a folder); nothing was written. Give a file name.")
    folder = target.parent if str(target.parent) else Path(".")
    stem = target.name[: -len(target.suffix)] if target.suffix else target.name
    # a short name: the target's own may already be as long as the file system allows
    tmp = folder / f".{stem[:40]}.{secrets.token_hex(4)}.part{target.suffix[:20]}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    except FileNotFoundError as exc:  # it named the scratch file, which nobody asked for
        raise DataError(f"The folder {str(folder)[:200]!r} of {str(path)[:200]!r} does not "
                        "exist; nothing was written. Create it first.") from exc
    try:  # from here on the scratch file is removed again whatever happens (Ctrl-C too)
        os.close(fd)
        yield tmp
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
