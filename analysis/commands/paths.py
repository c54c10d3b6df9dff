"""Checks of the command line's files, made before any work is done or anything is stored.

Every sub-command validates each output path with :func:`check_output` right after
parsing its arguments: an analysis that runs for a minute, or invitations whose tokens
exist only in the output, must not be lost to a mistyped folder or a read-only disk
discovered at the end.  Input files that are read as text (models, contact lists) go
through :func:`read_text_file`, which bounds their size and names a wrong encoding.
The argparse ``type=`` helpers refuse NaN, infinities and negative counts at parse time.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from analysis.errors import DataError, clip
from analysis.io import home_path

#: Longest file name most file systems accept (bytes).
MAX_NAME_BYTES = 255
#: Longest path shown in a message (paths are long, but a 100 kB argument is not a path).
PATH_ECHO = 400
#: Largest text input (model file, contact list) read into memory.
MAX_TEXT_BYTES = 20 * 1024 * 1024


def _probe(folder: Path, option: str, shown: str) -> None:
    """Create and remove a scratch file in ``folder``: the only reliable test of writability
    (permissions, read-only mounts, full quotas all fail here, not at the end)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".alliance-survey-", delete=True):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataError(
            f"Cannot write {option} {shown}: the folder {str(folder)!r} is not writable "
            f"({reason}); choose another place."
        ) from exc


def check_shown_once_stdout(what: str, instead: str) -> None:
    """Refuse, before anything is stored, a standard output where ``what`` (made now and
    shown only once) would be lost: a closed one, or a device that is no terminal
    (``> /dev/null``, ``> /dev/full``).

    The invitations (or the new password) were stored first and printed after: their links
    went nowhere, or the write failed with "No space left on device" after the store had
    kept them, and the tokens exist only as hashes.  Output captured by a program (a pipe,
    a file, a test's capture) passes.

    Raises
    ------
    DataError
        Naming ``instead``, the option that writes to a file.
    """
    import stat
    import sys

    stream = sys.stdout
    if stream is None:
        raise DataError(f"Standard output is closed: {what}, shown only once, would be "
                        f"lost; {instead}. Nothing was stored.")
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream: it keeps the text
        return
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        raise DataError(f"Standard output is closed: {what}, shown only once, would be "
                        f"lost; {instead}. Nothing was stored.") from None
    if stat.S_ISCHR(mode) and not os.isatty(fd):
        raise DataError(f"Standard output goes to a device (such as /dev/null): {what}, "
                        f"shown only once, would be lost; {instead}. Nothing was stored.")


def check_output(
    path: str | os.PathLike[str] | None,
    option: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    suffixes: Iterable[str] | None = None,
    format_label: str | None = None,
    make_parents: bool = False,
    stdout: bool = False,
) -> Path | None:
    """Validate an output path before any work, and return it.

    Parameters
    ----------
    path
        The path given on the command line; ``None`` (option not given) and ``-``
        (standard output) pass unchanged.
    option
        How the user named it (``--out``), for the message.
    inputs
        Files the command reads: the output must not be one of them.
    suffixes
        Allowed extensions (lower case, with the dot); ``None`` allows any.
    format_label
        The option that chose the format (``--format sav``), when the format is not
        read from the extension: the message then says that the name does not fit it
        (``--format sav --out data.csv`` wrote an SPSS file named ``.csv``).
    make_parents
        Allow missing folders, which the command's writer creates when it writes (the
        nearest existing folder above must be writable); otherwise a missing folder is
        an error.  Nothing is created here.
    stdout
        Whether ``-`` means standard output for this option (the command then writes
        there); otherwise ``-`` is refused (it was written as a file named ``-``).

    Raises
    ------
    DataError
        If the name is empty or too long, names a folder, the folder does not exist or
        is not writable, the file exists but is read-only, the extension is not allowed,
        or the output is one of the inputs.
    """
    if path is None:
        return None
    if str(path) == "-":
        if stdout:
            return None
        raise DataError(f"{option} - (standard output) is not offered for this output; "
                        "give a file name.")
    text = str(path)
    shown = clip(text, PATH_ECHO)
    if not text.strip() or "\x00" in text:
        raise DataError(f"{option} must name a file, not {shown}.")
    p = home_path(text)
    if len(os.fsencode(p.name)) > MAX_NAME_BYTES:
        raise DataError(f"{option}: the file name is longer than {MAX_NAME_BYTES} bytes.")
    try:
        _refuse_link_loop(p, option, shown)
        if p.is_dir():
            raise DataError(f"{option} {shown} is a folder; give a file name.")
        if os.path.basename(text.rstrip()) in ("", ".", ".."):
            # Path() drops a trailing '/' ('s.csv/' is 's.csv'): the file was written
            # where the user had named a folder
            raise DataError(f"{option} {shown} ends in '/', which names a folder, not a "
                            "file; give a file name (without the '/' at the end).")
        if p.exists() and not p.is_file():
            # outputs are written beside and moved into place: a device (/dev/null), a
            # named pipe or a socket would be replaced by a regular file
            raise DataError(f"{option} {shown} is not a regular file (a device, a named "
                            "pipe or a socket); give a file name.")
        for source in inputs:
            if p.exists() and _same_existing(p, source):
                raise DataError(
                    f"{option} {shown} is the input file {clip(str(source), PATH_ECHO)}; writing it "
                    "would destroy the input. Choose another output name."
                )
        # after the two checks above (their messages say more), before any folder is made
        if suffixes is not None:
            allowed = tuple(suffixes)
            if p.suffix.lower() not in allowed:
                if format_label is None:
                    raise DataError(
                        f"{option} {shown} must end in {', '.join(allowed)} (the format "
                        "follows the extension)."
                    )
                found = f"ends in {p.suffix}" if p.suffix else "has no extension"
                raise DataError(
                    f"{option} {shown} {found}, but {format_label} writes a "
                    f"{' or '.join(allowed)} file; name it so (or choose the format that "
                    "fits the name)."
                )
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.exists():
            if not make_parents:
                raise DataError(
                    f"The folder {clip(str(parent), PATH_ECHO)} of {option} {shown} does not exist; "
                    "create it first or choose another place."
                )
            missing = parent
            while not missing.parent.exists() and missing.parent != missing:
                missing = missing.parent
            # created by the writer when it writes: a later check or a failure of the
            # work leaves no empty folder behind
            _probe(missing.parent, option, shown)
        elif not parent.is_dir():
            raise DataError(f"{option} {shown}: {clip(str(parent), PATH_ECHO)} is not a folder.")
        else:
            _probe(parent, option, shown)
        if p.exists() and not os.access(p, os.W_OK):
            raise DataError(f"{option} {shown} exists and is read-only; choose another name.")
    except OSError as exc:
        raise DataError(f"Cannot use {option} {shown}: {exc.strerror or exc}.") from exc
    return p


#: The extension of every JSON output of the command line (``-`` is standard output).
JSON_SUFFIXES = (".json",)


def check_json_output(
    path: str | os.PathLike[str] | None,
    option: str = "--json",
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    make_parents: bool = False,
    stdout: bool = True,
) -> Path | None:
    """:func:`check_output` for a JSON output: a ``.json`` file or (where the command
    offers it) ``-``, the same rule for every command (``sem --json out.csv`` wrote JSON
    into a ``.csv`` file)."""
    return check_output(path, option, inputs=inputs, suffixes=JSON_SUFFIXES,
                        make_parents=make_parents, stdout=stdout)


def same_file(a: str | os.PathLike[str] | None, b: str | os.PathLike[str] | None) -> bool:
    """Whether two output options name the same file (``-`` and unset never do; a name
    that cannot be resolved is compared as written)."""
    if not a or not b or str(a) == "-" or str(b) == "-":
        return False

    def resolved(p: str | os.PathLike[str]) -> str:
        try:
            return str(Path(p).expanduser().resolve())
        except (OSError, ValueError, RuntimeError):
            return str(p)

    return resolved(a) == resolved(b)


def _same_existing(p: Path, source: str | os.PathLike[str] | None) -> bool:
    """Whether the input ``source`` is the existing file ``p``.  An input that cannot be
    looked at (a name longer than the file system allows) is not it: its reader says what
    is wrong with it, where the error had been blamed on the output option."""
    if source is None or str(source) == "-":
        return False
    try:
        src = Path(str(source)).expanduser()
        return src.exists() and os.path.samefile(p, src)
    except (OSError, ValueError, RuntimeError):
        return False


def _refuse_link_loop(p: Path, option: str, shown: str) -> None:
    """A symbolic link that loops (or whose folder path does) cannot be written; ``exists()``
    says False for it, so the check passed and the write failed at the end (after ``invite``
    had stored the invitations whose links it was to write)."""
    import errno

    try:
        os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DataError(f"{option} {shown} is a symbolic link that points to itself (a "
                            "loop); remove it or choose another name.") from exc


def check_output_dir(
    path: str | os.PathLike[str],
    option: str,
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    writes: Iterable[str] = (),
) -> Path:
    """Validate an output folder before any work, and return it.

    The folder may exist (then it must be a folder) or not (then the nearest existing
    folder above it must be writable, since it is created later).  ``writes`` are the
    names the command writes inside it, also in subfolders (``mplus/model.inp``): none
    of them may be one of ``inputs`` (an input named like an output was replaced by it),
    an existing folder or a read-only file, and each subfolder on the way must be a
    folder that can be written (a file named ``mplus`` stopped the export half-way).

    Raises
    ------
    DataError
        For an empty name or one with a NUL byte, a part longer than the file system
        allows, a file where the folder should be, a folder that cannot be written, or
        an input among the files to be written.
    """
    text = str(path)
    shown = clip(text, PATH_ECHO)
    if not text.strip() or "\x00" in text:
        raise DataError(f"{option} must name a folder, not {shown}.")
    p = home_path(text)
    if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in p.parts):
        raise DataError(f"{option}: a folder name is longer than {MAX_NAME_BYTES} bytes.")
    try:
        if p.exists() and not p.is_dir():
            raise DataError(f"{option} {shown} exists and is not a folder; give a folder name.")
        existing = p
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if not existing.is_dir():
            raise DataError(f"{option} {shown}: {clip(str(existing), PATH_ECHO)} is not a "
                            "folder.")
        _probe(existing, option, shown)
        probed = {existing}
        for name in writes:
            target = p / name
            _check_written_file(p, target, option, shown, probed)
            for source in inputs:
                if source is None or not is_file_argument(str(source)):
                    continue
                if target.exists() and _same_existing(target, source):
                    raise DataError(
                        f"{option} {shown} would replace the input file "
                        f"{clip(str(source), PATH_ECHO)} (it writes {name} there); choose "
                        "another folder."
                    )
    except OSError as exc:
        raise DataError(f"Cannot use {option} {shown}: {exc.strerror or exc}.") from exc
    return p


def _check_written_file(root: Path, target: Path, option: str, shown: str,
                        probed: set[Path]) -> None:
    """``target`` (inside the output folder ``root``) can be written: each folder on the
    way is a folder (or will be made), the last existing one is writable, and ``target``
    is not a folder or a read-only file."""
    _refuse_link_loop(target, option, shown)
    relative = target.relative_to(root)
    folder = root
    for part in relative.parts[:-1]:
        folder = folder / part
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{option} {shown}: {clip(str(folder), PATH_ECHO)} is a file, but "
                            f"{relative} is written into a folder of that name; move the file "
                            "or choose another folder.")
    existing = target.parent
    while not existing.exists() and existing != root:
        existing = existing.parent
    if existing.exists() and existing not in probed:
        _probe(existing, option, shown)
        probed.add(existing)
    if target.is_dir():
        raise DataError(f"{option} {shown}: {clip(str(target), PATH_ECHO)} is a folder, but "
                        "a file of that name is written there; move it or choose another "
                        "folder.")
    if target.exists() and not os.access(target, os.W_OK):
        raise DataError(f"{option} {shown}: {clip(str(target), PATH_ECHO)} exists and is "
                        "read-only; choose another folder.")


def read_text_file(path: str | os.PathLike[str], what: str,
                   max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read a UTF-8 text file given on the command line, with a size limit.

    Raises
    ------
    DataError
        If the file does not exist, is a folder, is larger than ``max_bytes``, holds NUL
        bytes (a binary file) or is not UTF-8.
    """
    p = Path(path)
    shown = clip(str(path), PATH_ECHO)
    try:
        if not p.is_file():
            raise DataError(f"{what} {shown} does not exist or is not a file.")
        size = p.stat().st_size
        if size > max_bytes:
            raise DataError(
                f"{what} {shown} has {size} bytes; at most {max_bytes} are read."
            )
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {what} {shown}: {exc.strerror or exc}.") from exc
    if b"\x00" in raw:
        # Notepad's "Unicode" is UTF-16: such a model file was "a binary file"
        wide = _utf16_or_32(raw)
        if wide:
            raise DataError(f"{what} {shown} is {wide} text; save it as UTF-8.")
        raise DataError(f"{what} {shown} is a binary file, not text.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{what} {shown} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from exc


def _utf16_or_32(raw: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when ``raw`` decodes as such text (with or without a
    byte-order mark), mostly ASCII and without control characters but line ends and tabs,
    else ``None``."""
    import codecs

    for name, boms in (("UTF-32", (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)),
                       ("UTF-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
        encodings = ["utf-32" if name == "UTF-32" else "utf-16"]
        if not raw.startswith(boms):
            encodings = [e + suffix for e in encodings for suffix in ("-le", "-be")]
        for encoding in encodings:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            # a model or hypotheses file is mostly ASCII; bytes of a binary file decode to
            # printable CJK characters as often as not
            if (text and sum(c < "\x80" for c in text) * 2 >= len(text)
                    and all(c.isprintable() or c in "\r\n\t\ufeff" for c in text)):
                return name
    return None


#: Largest JSON result read (an analysis JSON is a few megabytes).
MAX_JSON_BYTES = 50 * 1024 * 1024


def read_json_file(path: str | os.PathLike[str], what: str) -> Any:
    """Parse a JSON file given on the command line (:func:`read_text_file`'s checks, then
    the JSON); ``what`` names it in the messages (``"the analysis JSON (--json)"``).

    Raises
    ------
    DataError
        For a file :func:`read_text_file` refuses, or text that is not JSON, nested
        deeper than Python's parser follows included (``[[[[...`` ended in an internal
        RecursionError).
    """
    import json

    text = read_text_file(path, what[:1].upper() + what[1:], max_bytes=MAX_JSON_BYTES)
    shown = clip(str(path), PATH_ECHO)
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise DataError(f"Cannot read {what} {shown}: its JSON is nested too deeply to "
                        "read (no result of alliance-survey is).") from exc
    except ValueError as exc:
        raise DataError(f"Cannot read {what} {shown}: it is not JSON "
                        f"({clip(str(exc), 120)}).") from exc


def is_file_argument(value: str) -> bool:
    """Whether a command-line value can name an existing file (long or odd text cannot)."""
    if not value or "\n" in value or "\x00" in value:
        return False
    try:
        if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in Path(value).parts):
            return False
        return Path(value).is_file()
    except (OSError, ValueError):
        return False


def model_argument(value: str, option: str = "--model") -> str:
    """The model of ``--model``: the text of the file it names, or the syntax itself.

    A value without any lavaan operator that looks like a file name (a folder part or a
    file extension) names a file that is not there: said so, instead of the parser's "no
    operator in 'models/m.lav'"."""
    if is_file_argument(value):
        return read_text_file(value, f"The model file ({option})", max_bytes=1024 * 1024)
    text = value or ""
    looks_like_path = ("/" in text or "\\" in text
                       or Path(text.strip()).suffix.lower() in (".lav", ".txt", ".model",
                                                                 ".lavaan", ".syntax"))
    if not any(op in text for op in ("~", "=", "|", "<", ">")):
        # a folder, a pipe or a device with a plain name ('models', 'fifo') was read as
        # the syntax 'models' ("defines no factor"); /dev/null "did not exist"
        try:
            folder = Path(text).is_dir()
            other = not folder and os.path.lexists(text)
        except (OSError, ValueError):
            folder = other = False
        if text.strip() and (folder or other or looks_like_path):
            raise DataError(f"The model file {clip(text, PATH_ECHO)} ({option}) "
                            + ("is a folder; give the model file in it" if folder else
                               "is not a regular file (a device, a named pipe or a broken "
                               "link); give the model file" if other else
                               f"does not exist; {option} takes a model file or lavaan "
                               "syntax in quotes") + ".")
    return text


# -- data files --------------------------------------------------------------------------


#: Text that is a date, a time or both (ISO 8601, or day.month.year / month/day/year),
#: as a CSV file holds a date column.
_DATE_TEXT = re.compile(
    r"^(?:\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?|\d{1,2}[./]\d{1,2}[./]\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")


def _holds_dates(column: Any) -> str | None:
    """How ``column`` holds dates or times (its type, or an example of its text), or None."""
    import pandas as pd

    if getattr(column.dtype, "kind", "") in "mM" or isinstance(column.dtype,
                                                                pd.DatetimeTZDtype):
        return str(column.dtype)
    if column.dtype.kind not in "OSU" and not isinstance(column.dtype, pd.StringDtype):
        return None
    values = [str(v).strip() for v in column.dropna().head(20).tolist()]
    if values and all(_DATE_TEXT.match(v) for v in values):
        return f"text such as {clip(values[0], 40)}"
    return None


def read_table(path: str | os.PathLike[str], *, variables: Iterable[str] = ()) -> Any:
    """:func:`analysis.study.datafiles.read_data`, refusing what no analysis can use.

    A file with a header but no rows was "not numeric", "0 usable cases" or "data= must
    be a non-empty DataFrame" further on; a column of dates or times among ``variables``
    (the model's variables) was "not identified" or "not positive definite", since its
    values became nanoseconds since 1970.

    Raises
    ------
    DataError
        For a file the reader refuses, one without rows, or a date/time column among
        ``variables``.
    """
    from analysis.study.datafiles import read_data

    data = read_data(path)
    if len(data) == 0:
        raise DataError(f"The data file {clip(str(path), PATH_ECHO)} has a header "
                        f"({len(data.columns)} column(s)) but no rows; there is nothing to "
                        "analyse.")
    for name in dict.fromkeys(variables):
        if name in data.columns:
            dates = _holds_dates(data[name])
            if dates is not None:
                raise DataError(f"Column {clip(name)} holds dates or times ({dates}), not "
                                "numbers; recode it (e.g. as days or years) or leave it out "
                                "of the model.")
    return data


def model_names(model: str) -> list[str]:
    """The words of lavaan syntax that can name a column (variables, labels, modifiers
    included: only those that are columns of the data matter to :func:`read_table`)."""
    return re.findall(r"[A-Za-z_.][A-Za-z0-9_.]*", model)


# -- argparse types ----------------------------------------------------------------------


def plain_number(text: str) -> str:
    """``text`` if it is written with the ASCII digits 0-9 (and a sign, point or exponent).

    Python's ``int()`` and ``float()`` also read other scripts' digits ('\u0663' is 3,
    full-width '\uff13' too) and digit groups with underscores ('1_0' is 10): such a value
    was taken without a word, while the same text in a data file is not a number.
    """
    if not text.isascii() or "_" in text:
        raise argparse.ArgumentTypeError(f"expected a number written with the digits 0-9, "
                                         f"not {clip(text)}")
    return text


def finite_float(text: str) -> float:
    """``type=`` for a finite number (NaN and infinities refused)."""
    try:
        value = float(plain_number(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number, not {clip(text)}") from exc
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, not {clip(text)}")
    return value


def positive_float(text: str) -> float:
    """``type=`` for a finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {clip(text)}")
    return value


#: The longest span in days an option takes (a hundred years): a date beyond the
#: calendar's end was an internal OverflowError after the store had been changed.
MAX_DAYS = 36_500


def days(text: str) -> float:
    """``type=`` for a number of days from 0 to :data:`MAX_DAYS`."""
    value = finite_float(text)
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"must lie between 0 and {MAX_DAYS:,} days, not {clip(text)}")
    return value


def positive_days(text: str) -> float:
    """``type=`` for a number of days above 0, at most :data:`MAX_DAYS`."""
    if finite_float(text) <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {clip(text)}")
    return days(text)


def expiry_days(text: str) -> float:
    """``type=`` for the lifetime of an invitation link: at least
    :data:`instruments.fieldwork.invitations.MIN_EXPIRY_DAYS` (an hour), at most
    :data:`MAX_DAYS`.  ``--expires-days 1e-300`` stored links that had expired when they
    were printed."""
    from instruments.fieldwork.invitations import MIN_EXPIRY_DAYS

    value = positive_days(text)
    if value < MIN_EXPIRY_DAYS:
        raise argparse.ArgumentTypeError(
            f"a link must stay open for at least an hour ({MIN_EXPIRY_DAYS:.3f} days), not "
            f"{clip(text)} days")
    return value


def share(text: str) -> float:
    """``type=`` for a share in [0, 1]."""
    value = finite_float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1, not {clip(text)}")
    return value


def _integer(text: str) -> int:
    try:
        return int(plain_number(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {clip(text)}") from exc


def nonnegative_int(text: str) -> int:
    """``type=`` for a whole number >= 0."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {clip(text)}")
    return value


def positive_int(text: str) -> int:
    """``type=`` for a whole number >= 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {clip(text)}")
    return value


def count_up_to(most: int, least: int = 1):  # noqa: ANN201 - an argparse type
    """``type=`` for a whole number from ``least`` to ``most`` (a documented cap: a size
    beyond it only runs until the memory is gone, so it is refused while parsing)."""
    def count(text: str) -> int:
        value = _integer(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"must be {least} or more, not {clip(text)}")
        if value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:,}, not {clip(text)}")
        return value
    return count


#: Most resampling draws (bootstrap, permutations) a command accepts: more buys no
#: precision and would only run for days or exhaust the memory (10**12 is a typo).
MAX_DRAWS = 1_000_000


def draw_count(text: str) -> int:
    """``type=`` for a number of bootstrap draws or permutations of at most
    :data:`MAX_DRAWS`; the command checks (and words) its own minimum."""
    value = _integer(text)
    if value > MAX_DRAWS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DRAWS:,}, not {clip(text)}")
    return value


def draws(text: str) -> int:
    """``type=`` for a number of bootstrap draws or permutations: 0 to :data:`MAX_DRAWS`."""
    value = nonnegative_int(text)
    return draw_count(str(value))


def seed(text: str) -> int:
    """``type=`` for a random seed: a whole number in [0, 2**32)."""
    value = _integer(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 4294967295, "
                                         f"not {clip(text)}")
    return value


#: Most files of an instrument folder compared with an output (a folder of thousands of
#: files is not an instrument; its first files are compared).
MAX_INSTRUMENT_FILES = 2000


def instrument_files(directory: str | os.PathLike[str] | None) -> list[str]:
    """The files of an instrument folder (``--instrument``, default the packaged one), for
    :func:`check_output`'s ``inputs``: ``codebook --out questionnaire.yaml`` wrote the
    codebook over the questionnaire it was made from."""
    if directory is None:
        from instruments.instrument.loader import PACKAGE_DIR

        directory = PACKAGE_DIR
    found: list[str] = []
    try:
        root = Path(directory).expanduser()
        if not root.is_dir():
            return found
        for path in root.rglob("*"):
            if len(found) >= MAX_INSTRUMENT_FILES:
                break
            if path.is_file() and "__pycache__" not in path.parts:
                found.append(str(path))
    except (OSError, RuntimeError):
        pass  # an unreadable folder (or '~nouser') is reported by the loader
    return found


def survey_address(text: str) -> str:
    """``type=`` for the survey's base address (``--base-url``): an http(s) address without
    spaces, quotes, query or fragment, since links are ``BASE_URL/?t=TOKEN``
    (``javascript:alert(1)`` was accepted and printed as every respondent's link)."""
    from instruments.fieldwork.mail import base_url_problem
    from instruments.store.mailtables import StudyMailSettings

    value = text.strip()
    longest = StudyMailSettings.__table__.c.base_url.type.length  # as the store keeps it
    if len(value) > longest:
        # every link begins with it (a 100,000-character address was printed in each)
        raise argparse.ArgumentTypeError(f"must be at most {longest} characters, not "
                                         f"{len(value):,}")
    problem = base_url_problem(value)  # the check of the study lead's page too
    if problem:
        raise argparse.ArgumentTypeError(
            f"must be an http:// or https:// address without spaces, quotes, invisible "
            f"characters, '?' or '#' (links are BASE_URL/?t=TOKEN), not {clip(text)} (it "
            f"{problem})")
    return value


def port_number(text: str) -> int:
    """``type=`` for a TCP port: 1 to 65535."""
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, not {clip(text)}")
    return value


def store_file(url: str | None) -> str | None:
    """The file of a SQLite response store (``--db`` or ``$ALLIANCE_SURVEY_DB``), else None.

    Passed to :func:`check_output` as an input: ``export --out`` naming the store's own
    file wrote the export over the database, and every response was gone.
    """
    from instruments.store import resolve_url
    from instruments.store.engine import parse_url

    try:
        parsed = parse_url(resolve_url(url))
    except DataError:
        return None  # reported by the store itself
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return str(parsed.database)


def existing_sqlite(url: str | None, option: str = "--db") -> str:
    """The resolved database URL; a SQLite file must exist already (for commands that read).

    A mistyped path would otherwise create an empty database and export nothing.
    """
    from instruments.store import resolve_url
    from instruments.store.engine import parse_url

    resolved = resolve_url(url)
    parsed = parse_url(resolved, option)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db = home_path(parsed.database)
        if not db.is_file():
            raise DataError(
                f"There is no response store at {clip(parsed.database, PATH_ECHO)} ({option} or "
                "$ALLIANCE_SURVEY_DB); nothing was created."
            )
        if db.stat().st_size == 0:
            # an empty file (made by 'touch' or a failed copy) was given the whole schema
            # by a command that only reads
            raise DataError(
                f"The file {clip(parsed.database, PATH_ECHO)} ({option} or $ALLIANCE_SURVEY_DB) "
                "is empty, not a response store; give the store's file (nothing was "
                "written to it)."
            )
    return resolved
