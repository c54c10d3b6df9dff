"""Reading survey data files (.csv, .parquet, .sav) in the instrument's canonical wide layout.

This lives with the study, not in the shared :mod:`analysis.io`, because it knows the
survey: the identifier and free-text columns of the canonical layout, and the SPSS
reader of the instrument package (which keeps value labels).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import DataError, clip
from analysis.io import is_float_text

#: Identifier / free-text columns of the canonical wide layout, read as text.
TEXT_COLUMNS = ("respondent_id", "alliance_id", "firm_role", "language", "comment")
#: Most columns a CSV data file may have.  The instrument's wide layout has a few hundred;
#: pandas needs minutes for a header of 10^5 names and hours for 10^6 (the command seemed
#: to hang), so a larger header is refused before the file is parsed.
MAX_COLUMNS = 10_000
#: Bytes of the first line read to count its columns.
_HEADER_BYTES = 4 * 1024 * 1024


def _header(path: Path) -> list[str]:
    """The fields of the first line of a CSV file (a line longer than
    :data:`_HEADER_BYTES` is read as far as that)."""
    import csv
    import io

    with open(path, encoding="utf-8-sig", newline="") as fh:
        line = fh.readline(_HEADER_BYTES)
    try:
        return next(csv.reader(io.StringIO(line)), [])
    except csv.Error:  # a field longer than the csv module takes: no header of names
        return line.split(",")


def _separator_problem(shown: str, header: list[str]) -> DataError | None:
    """The error for a semicolon- or tab-separated file, from its header (one field)."""
    if len(header) != 1:
        return None
    name = ("semicolons" if ";" in header[0] else "tabs" if "\t" in header[0] else
            "vertical bars (|)" if "|" in header[0] else None)
    if name is None:
        return None
    return DataError(f"The data file {shown} has its columns separated by {name}, not "
                     "commas; save it as comma-separated CSV (UTF-8) and use a point as the "
                     "decimal mark.")


def _wide_text(path: Path) -> str | None:
    """``"UTF-32 text"`` or ``"UTF-16 text"`` when the file starts like one (with or without
    a byte-order mark), else ``None``.  Without a mark every other byte of such a header is
    a NUL: pandas read the names as '\x00i\x00d', and the command then said the model's
    variables were not in the data."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32 text"
    if head.startswith(b"\xef\xbb\xbf"):  # a UTF-8 mark before UTF-16 text
        head = head[3:]
    if len(head) >= 8 and head.count(0) * 4 >= len(head):
        return "UTF-32 text" if head.count(0) * 5 >= 3 * len(head) else "UTF-16 text"
    return None


def _swallowed_rows(frame: pd.DataFrame, width: int, shown: str) -> DataError | None:
    """The error for a quotation mark that is closed only rows later.

    Such a cell holds the next lines of the file (a comment ``"I liked it`` swallowed the
    rows of two more respondents, which vanished without a word).  A line break inside a
    cell is fine; a line of the cell is taken for a row of the file when it splits into as
    many fields as the header has and holds a number (or nothing) wherever the file has a
    numeric column -- prose with commas does not.
    """
    import csv

    # the dtypes in one pass: frame[c] for each of 10,000 columns took seconds
    dtypes = list(frame.dtypes)
    numeric = [i for i, t in enumerate(dtypes) if t.kind in "iuf"]
    if not numeric:
        return None

    def row_like(line: str) -> bool:
        fields = next(csv.reader([line]), [])
        if len(fields) != width:
            return False
        values = [fields[i].strip() for i in numeric]
        return any(values) and all(not v or is_float_text(v) for v in values)

    for j, (column, dtype) in enumerate(zip(frame.columns, dtypes, strict=True)):
        if dtype.kind != "O" and not isinstance(dtype, pd.StringDtype):
            continue
        text = frame.iloc[:, j].dropna().astype(str)
        broken = text[text.str.contains("\n", regex=False)]
        for row, cell in broken.items():
            rows = [line for line in cell.splitlines()[1:] if row_like(line)]
            if rows:
                number = frame.index.get_loc(row) + 1
                return DataError(
                    f"The data file {shown} has a quotation mark in column {clip(str(column))} "
                    f"of data row {number} that is closed only further down: {len(rows)} "
                    f"line(s) of the file (from {clip(rows[0], 60)}) were read into that "
                    "cell instead of as rows. Close or remove the quotation mark.")
    return None


#: The first bytes of files that are not CSV text: (signature, what it is, the extension
#: this reader takes it under, or None).
_SIGNATURES = (
    (b"$FL2", "an SPSS .sav file", ".sav"),
    (b"$FL3", "an SPSS .sav file", ".sav"),
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive", None),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", None),
    (b"\x1f\x8b", "a gzip-compressed file", None),
    (b"%PDF", "a PDF document", None),
    (b"SQLite format 3\x00", "an SQLite database", None),
    (b"<stata_dta>", "a Stata .dta file", None),
)


def _content_problem(path: Path, suffix: str, shown: str) -> DataError | None:
    """The error for a file whose contents are of another format than its extension says.

    A .sav file renamed .csv was "UTF-16 text", a Parquet file "not UTF-8 (Latin-1?)", and
    CSV text named .parquet met pyarrow's "Parquet magic bytes not found in footer": each
    sent the user after the wrong fix.  Only a format recognised by its first bytes (or
    plain text under a binary extension) is named; anything else is left to the reader.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return None
    found = next(((what, ext) for sig, what, ext in _SIGNATURES if head.startswith(sig)),
                 None)
    if found is None and suffix in (".parquet", ".sav") and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = exc.start >= len(head) - 3  # a character cut at the end of the sample
        else:
            text = True
        if text and _wide_text(path) is None:
            found = ("text (CSV?)", ".csv")
    if found is None:
        return None
    what, ext = found
    expected = {".parquet": ".parquet", ".sav": ".sav"}.get(suffix, ".csv")
    if ext == expected:
        return None
    kind = {".parquet": "a Parquet file", ".sav": "an SPSS .sav file"}.get(suffix, "CSV text")
    advice = (f"rename it to end in {ext}" if ext is not None else
              "save the data as CSV (UTF-8), Parquet or SPSS .sav")
    return DataError(f"Cannot read the data file {shown}: it is {what}, not {kind} as its "
                     f"name says; {advice}.")


def _ragged_error(shown: str, count: int, width: int, row: int, line: int) -> DataError:
    """The error for data row ``row`` (line ``line`` of the file) with ``count`` values where
    the header names ``width`` columns."""
    where = f"data row {row:,}" + (f" (line {line:,} of the file)" if line != row + 1 else "")
    if count > width:
        return DataError(
            f"The data file {shown} has {count} values in {where} but {width} column names "
            "in its header; a comma inside a value (a decimal comma, a thousands separator "
            "or a comma in a text answer) must be in quotation marks, or a name is missing "
            "from the header.")
    return DataError(
        f"The data file {shown} has only {count} value(s) in {where} but {width} column "
        "names in its header; the row is cut short or split by a line break. Fix that row "
        "(an empty answer still needs its comma).")


def _ragged_rows(path: Path, width: int, shown: str) -> DataError | None:
    """The error for the first data row with more or fewer values than the header.

    pandas took the surplus leading values of a longer first row for row names, which
    moved every value of the file one or more columns to the left without a word (a decimal
    comma in the first rows made x1 hold what was x4), and it filled a short row (a file cut
    off while copied) with missing values.
    """
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            row = 0
            for record in reader:
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line, skipped by the reader as well
                row += 1
                if len(record) != width:
                    return _ragged_error(shown, len(record), width, row, reader.line_num)
    except (csv.Error, UnicodeDecodeError, OSError):  # left to the reader's own messages
        return None
    return None


def _refuse_repeated(shown: str, names: list[str]) -> None:
    """Refuse a header that names a column twice."""
    repeated = sorted(n for n, k in Counter(names).items() if k > 1)
    if repeated:
        raise DataError(f"The data file {shown} has repeated column names: "
                        f"{clip(', '.join(repeated), 200)}; rename them so each column is "
                        "read.")


def _header_line_break(path: Path, shown: str) -> DataError | None:
    """The error for a bare carriage return inside the header line of a file whose lines
    end in line feeds.

    The CSV readers end a line at a lone carriage return, so the header stopped in the
    middle of a name ('x\\r1' became 'x') and the file was said to have more values in
    its first data row than names in its header.  A file whose lines all end in carriage
    returns alone (classic Mac) holds no line feed and is left to the reader.
    """
    with open(path, "rb") as fh:
        head = fh.read(_HEADER_BYTES)
    end = head.find(b"\n")
    if end < 0:
        return None
    first = head[:end].removesuffix(b"\r")
    if b"\r" not in first:
        return None
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    fields = text.split(",")
    at = next(i for i, f in enumerate(fields) if "\r" in f)
    return DataError(f"The header of the data file {shown} holds a line break (a carriage "
                     f"return) inside column name {at + 1}, {clip(fields[at].strip(chr(34)))}; "
                     "remove it so the header is one line.")


def _excel_separator_line(header: list[str]) -> str | None:
    """The first line of the file when it is Excel's separator hint ('sep=,', 'sep=;'),
    else ``None``."""
    line = ",".join(header).strip()
    if line.lower().startswith("sep=") and len(line) <= 6:
        return line
    return None


def _parser_problem(shown: str, exc: Exception) -> DataError | None:
    """A plain sentence for the CSV parser's messages that name its own internals."""
    import re

    text = str(exc)
    if "No columns to parse from file" in text:
        return DataError(f"Cannot read the data file {shown}: it is empty (it has no header "
                         "line of column names); give the file with the data.")
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:  # pandas counts the header line as line 1, so line L is data row L - 1
        width, line, count = (int(g) for g in found.groups())
        return _ragged_error(shown, count, width, line - 1, line)
    found = re.search(r"EOF inside string starting at row (\d+)", text)
    if found:
        return DataError(f"Cannot read the data file {shown}: it has a quotation mark in "
                         f"data row {int(found.group(1))} that is never closed, so the rest of the "
                         "file would be one cell; close or remove it.")
    return None


#: Invisible characters a column name can carry from a spreadsheet or a web page.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"


def _names_alike(names: list[str]) -> str | None:
    """The first group of column names that differ only in surrounding blanks or invisible
    characters, shown as ``'x1', 'x1 '``; ``None`` when every name is distinct so."""
    import unicodedata

    groups: dict[str, list[str]] = {}
    for name in names:
        # NFC: 'é' as one character or as 'e' and an accent (NFD, as macOS writes file
        # names) looks the same, and the model took the one spelled its way
        key = unicodedata.normalize(
            "NFC", "".join(ch for ch in name if ch not in _INVISIBLE).strip())
        groups.setdefault(key, []).append(name)
    for group in groups.values():
        if len(group) > 1:
            # written out (ascii): the two spellings of "é" look the same on screen
            return ", ".join(repr(n) if n.isascii() else ascii(n) for n in group)
    return None


#: Columns checked at once by :func:`_value_problems` (bounds the float copy it makes).
_CHECK_BLOCK = 512


def _value_problems(numeric: pd.DataFrame) -> dict[str, list[str]]:
    """The numeric columns with infinite or absurdly large values, by problem (the
    wording of :func:`analysis.io.value_problem`).

    The columns are checked a block at a time: one check per column took 13 seconds for
    a file of 10,000 columns and 50 rows.
    """
    from analysis.io import MAX_ABS_VALUE, value_problem

    infinite = value_problem([np.inf])
    large = value_problem([10 * MAX_ABS_VALUE])
    problems: dict[str, list[str]] = {}
    for start in range(0, numeric.shape[1], _CHECK_BLOCK):
        block = numeric.iloc[:, start:start + _CHECK_BLOCK]
        arr = block.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            inf = np.isinf(arr).any(axis=0)
            big = (np.abs(arr) > MAX_ABS_VALUE).any(axis=0) & ~inf
        for name, is_inf, is_big in zip(block.columns, inf, big, strict=True):
            if is_inf:
                problems.setdefault(infinite, []).append(str(name))
            elif is_big:
                problems.setdefault(large, []).append(str(name))
    return problems


def _missing_why(path: Path) -> str:
    """Why the data file ``path`` is not there: a link to a missing file or to itself, or a
    name with a stray end ('x.csv ' for 'x.csv'); each was only said not to exist."""
    import errno
    import os

    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "is a symbolic link that points to itself (a loop)"
        return (f"is a symbolic link to {clip(os.readlink(path), 200)}, which does not "
                "exist")
    trimmed = path.name.rstrip(" .\t")
    if trimmed != path.name and trimmed and (path.parent / trimmed).is_file():
        return (f"does not exist; its name ends in {clip(path.name[len(trimmed):])}, "
                f"and {clip(trimmed)} does exist")
    return "does not exist"


def read_data(path: str | Path) -> pd.DataFrame:
    """Read survey or analysis data (.csv, .parquet or .sav) into a DataFrame.

    Identifier columns of the canonical layout (``respondent_id``, ``alliance_id``,
    ``firm_role``, ``language``, ``comment``) are read as text; empty CSV cells
    are missing values.

    Raises
    ------
    DataError
        If the file does not exist, has an unknown extension, holds another format than
        its extension says (an SPSS file named .csv), has a data row with more or fewer
        values than its header names, or cannot be parsed.
    """
    import os

    if isinstance(path, pd.DataFrame):
        raise DataError("read_data() reads a data file; this is a DataFrame already (use it "
                        "as it is).")
    if not isinstance(path, str | os.PathLike):
        raise DataError(f"The data file must be named by a path (str or Path), not "
                        f"{type(path).__name__} {clip(path)}.")
    if not str(path).strip():
        raise DataError("The name of the data file is empty; give the .csv, .parquet or .sav "
                        "file to read.")
    if str(path).strip() == "-":
        # it was "Data file '-' does not exist", as if a file of that name were missing
        raise DataError("Data cannot be read from standard input ('-'); save it to a .csv, "
                        ".parquet or .sav file and give that file's name.")
    from analysis.io import home_path

    p = home_path(path)  # as the output paths: '--data=~/x.csv' is not expanded
    shown = clip(str(path), 400)
    try:
        if p.is_dir():
            raise DataError(f"Data file {shown} is a folder; give the data file in it.")
        if p.exists() and not p.is_file():  # a FIFO, /dev/null, a socket: never data
            raise DataError(f"Data file {shown} is not a regular file (a device or pipe); "
                            "give a .csv, .parquet or .sav file.")
        if not p.is_file():
            raise DataError(f"Data file {shown} {_missing_why(p)}.")
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise DataError(f"Data file {shown} cannot be opened: {exc.strerror or exc}.") from exc
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".sav"):
            mismatch = _content_problem(p, suffix, shown)
            if mismatch is not None:
                raise mismatch
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            # pyarrow refused repeated names in its own words ("Multiple matches for
            # FieldRef.Name(x1)")
            names = [str(n) for n in pq.read_schema(p).names]
            repeated = sorted(n for n, k in Counter(names).items() if k > 1)
            if repeated:
                raise DataError(f"The data file {shown} has repeated column names: "
                                f"{clip(', '.join(repeated), 200)}; rename them so each "
                                "column is read.")
            frame = pd.read_parquet(p)
        elif suffix == ".sav":
            from instruments.instrument.spss import read_sav

            frame, _ = read_sav(p)
        elif suffix not in (".csv", ".txt", ""):
            raise DataError(f"Cannot read {shown}: use a .csv, .parquet or .sav file.")
        else:
            mismatch = _content_problem(p, suffix, shown)
            if mismatch is not None:
                raise mismatch
            wide = _wide_text(p)
            if wide is not None:
                raise DataError(f"Cannot read the data file {shown}: it is {wide}; save it "
                                "as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)').")
            header = _header(p)
            hint = _excel_separator_line(header)
            if hint is not None:
                # Excel's 'sep=,' line was taken for the header: "15 values in data row 1
                # but 2 column names in its header"
                raise DataError(f"The data file {shown} starts with Excel's separator line "
                                f"{clip(hint)}; delete that first line, so that the first "
                                "line of the file is the header of column names"
                                + ("." if hint.strip() == "sep=," else
                                   ", and save the file separated by commas with a point "
                                   "as the decimal mark."))
            # before pandas: with decimal commas in the rows it failed on a row
            # ("Expected 92 fields in line 6, saw 95") instead of naming the separator
            wrong = _separator_problem(shown, header)
            if wrong is not None:
                raise wrong
            if len(header) > MAX_COLUMNS:
                raise DataError(f"The data file {shown} has more than {MAX_COLUMNS:,} "
                                "columns; keep the columns the analysis needs (or check "
                                "that it is a data file).")
            broken = _header_line_break(p, shown)
            if broken is not None:
                raise broken
            # the names as the csv module reads the first line: pandas would rename a
            # repeated 'x1' to 'x1.1' without a word
            _refuse_repeated(shown, header)
            # the file is parsed by pandas once: the header read on its own as well (twice
            # more) made a file of 10,000 columns take three times as long
            dtypes = {c: "string" for c in header if c.lstrip("\ufeff") in TEXT_COLUMNS}
            frame = pd.read_csv(p, dtype=dtypes or None, keep_default_na=False,
                                na_values=[""])
            names = [str(c) for c in frame.columns]
            if len(header) != len(names):
                # a quoted line break in a name: the first line was not the whole header
                raw = pd.read_csv(p, header=None, nrows=1, dtype=str, keep_default_na=False)
                names = [str(v) for v in raw.iloc[0]] if len(raw) else []
                _refuse_repeated(shown, names)
                dtypes = {c: "string" for c in names if c.lstrip("\ufeff") in TEXT_COLUMNS}
                if dtypes:
                    frame = pd.read_csv(p, dtype=dtypes, keep_default_na=False,
                                        na_values=[""])
            for c in dtypes:
                frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan)
            swallowed = _swallowed_rows(frame, len(frame.columns), shown)
            if swallowed is not None:
                raise swallowed
            ragged = _ragged_rows(p, len(names), shown)
            if ragged is not None:
                raise ragged
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        with open(p, "rb") as fh:
            utf16 = fh.read(2) in (b"\xff\xfe", b"\xfe\xff")
        kind = "UTF-16 text" if utf16 else "not UTF-8 text (Latin-1 or Windows-1252?)"
        raise DataError(f"Cannot read the data file {shown}: it is {kind}; save it as UTF-8 "
                        "(in Excel: 'CSV UTF-8 (comma delimited)').") from exc
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        plain = _parser_problem(shown, exc)
        if plain is not None:
            raise plain from exc
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"Cannot read the data file {shown}: {clip(first, 200)}") from exc
    if frame.columns.duplicated().any():
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataError(f"The data file {shown} has repeated column names: "
                        f"{clip(', '.join(repeated), 200)}.")
    if suffix in (".csv", ".txt", "") and len(frame.columns) and \
            str(frame.columns[0]).startswith("\ufeff"):
        # a second byte-order mark (a file saved twice with one): pandas drops only the
        # first, and the first column was '\ufeffid', unknown under its own name
        frame = frame.rename(columns={frame.columns[0]: str(frame.columns[0]).lstrip("\ufeff")})
    alike = _names_alike([str(c) for c in frame.columns])
    if alike:
        # 'x1' and 'x1 ' (or 'x1' with a no-break space) look the same in a spreadsheet;
        # the model took the one spelled exactly, whichever the user meant
        raise DataError(f"The data file {shown} has columns whose names differ only in "
                        "blanks or invisible characters (or in how an accented letter is "
                        f"encoded, Unicode NFC or NFD): {alike[:200]}; rename them so each "
                        "name is distinct.")
    if len(frame.columns) == 1 and suffix in (".csv", ".txt", ""):
        # a semicolon (or tab) separated export read as one column: every variable was
        # then "not in the data", which named the model instead of the file
        wrong = _separator_problem(shown, [str(frame.columns[0])])
        if wrong is not None:
            raise wrong
    problems = _value_problems(frame.select_dtypes(include="number"))
    if problems:
        # An infinite or absurdly large answer is an error in the file, not a value.
        listed = "; ".join(f"{found} in column(s) {clip(', '.join(cols), 200)}"
                           for found, cols in problems.items())
        raise DataError(f"The data file {shown} has {listed}; fix or empty those cells.")
    return frame
