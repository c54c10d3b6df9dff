"""One set of length and encoding limits for every text the store keeps.

SQLite stores any length in a ``VARCHAR(n)`` and keeps NUL bytes, PostgreSQL refuses
both with a driver error; checking here, before a transaction starts, gives both
databases the same behaviour and the user a message instead of a traceback.  The
lengths are read from the table definitions so they cannot drift from the schema.
"""

from __future__ import annotations

from typing import Any

from analysis.errors import DataError, clip
from instruments.store.mailtables import StudyMailSettings
from instruments.store.models import Deletion, Invitation, PageSubmission, Study, Wave

#: Name of a limited text -> its column (the length is the column's).
COLUMNS = {
    "study_name": Study.__table__.c.name,
    "wave_name": Wave.__table__.c.name,
    "alliance_id": Invitation.__table__.c.alliance_id,
    "partner_name": Invitation.__table__.c.partner_name,
    "language": Invitation.__table__.c.language,
    "submission_key": PageSubmission.__table__.c.submission_key,
    "deletion_actor": Deletion.__table__.c.actor,
    "mail_lead_name": StudyMailSettings.__table__.c.lead_name,
    "mail_sender_name": StudyMailSettings.__table__.c.sender_name,
}


def max_length(kind: str) -> int:
    """Longest text accepted for ``kind`` (a key of :data:`COLUMNS`)."""
    return int(COLUMNS[kind].type.length)


#: Characters that end a line (Unicode's line boundaries).
LINE_BREAKS = "\r\n\v\f\x85\u2028\u2029"
#: Why a name (one line) is refused when it holds a line break.
NAME_LINE_BREAK = "contains a line break (a name must be on one line)"


def text_problem(text: str, *, multiline: bool = False,
                 line_break: str = NAME_LINE_BREAK) -> str | None:
    """Why ``text`` cannot be stored and shown, or ``None``: the one check of every text.

    In this order: a NUL character or a lone surrogate (:func:`encoding_problem`), then
    the first line break (unless ``multiline``) or control character
    (:func:`line_problem`).  Names, the options of the command line that are stored (a
    reason, an actor, a report title), the privacy notice and its contact all go through
    here, so that one text is refused for one reason, in the same words, wherever it is
    typed.

    Parameters
    ----------
    text
        The text, as given (not stripped here).
    multiline
        Whether the text may span lines (a purpose shown on the consent page): then line
        breaks and tabs are text; every other control character (an escape sequence) is
        still refused, and Unicode's line and paragraph separators pass.
    line_break
        The sentence for a line break in one-line text, after the name of the value
        (``"contains a line break (a name must be on one line)"``).
    """
    return encoding_problem(text) or _character_problem(text, multiline, line_break)


#: Unicode's explicit direction embeddings, overrides and isolates: invisible, they can
#: show the text in another order than it is stored (a partner named '\u202eCBA' reads
#: 'ABC' on the survey page while every export and search has 'CBA').  The overrides
#: (U+202D, U+202E) are refused wherever they stand.  An isolate (U+2066-2068 ... U+2069)
#: or an embedding (U+202A, U+202B ... U+202C) that is closed again only keeps a run of
#: Arabic or Hebrew in its own direction -- CRMs, phones and word processors put them
#: around such names -- so a balanced pair passes and only an unclosed opener or a stray
#: closer is refused.  The marks U+200E and U+200F stay allowed.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_OVERRIDES = frozenset("\u202d\u202e")
_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u2066": "\u2069", "\u2067": "\u2069",
            "\u2068": "\u2069"}


#: Characters that show as nothing at all: a zero-width space, a word joiner, a byte-order
#: mark, a soft hyphen (shown only where a line breaks), the invisible mathematical
#: operators and the Mongolian vowel separator.  A study 's\u200b' looked like the study
#: 's' beside it, and a partner 'Acme\u00ad' was another partner than 'Acme' in every
#: export.  They are refused in one-line texts (names); prose that spans lines may hold
#: them.  The joiners U+200C and U+200D stay allowed (Persian and Indic names, emoji).
INVISIBLE = frozenset("\u200b\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064")


def _direction_problem(text: str) -> str | None:
    """The first direction control of ``text`` that can reorder what is shown: an
    override, an opener never closed or a closer without its opener."""
    stack: list[str] = []
    for ch in text:
        if ch in _OVERRIDES:
            return ch
        if ch in _OPENERS:
            stack.append(ch)
        elif ch in ("\u202c", "\u2069"):
            if not stack or _OPENERS[stack[-1]] != ch:
                return ch
            stack.pop()
    return stack[0] if stack else None


def _character_problem(text: str, multiline: bool, line_break: str) -> str | None:
    """The first line break (one-line text), control character or direction control of
    ``text``."""
    import unicodedata

    for ch in text:
        if multiline and ch in "\r\n\t":
            continue
        if not multiline and ch in LINE_BREAKS:
            return line_break
        if unicodedata.category(ch) == "Cc":
            return f"contains a control character (U+{ord(ch):04X})"
        if ch in INVISIBLE and not multiline:  # prose (a purpose) may hold soft hyphens
            return (f"contains an invisible character (U+{ord(ch):04X}), which makes it "
                    "differ from the same text without it while both look alike")
    bad = _direction_problem(text) if any(ch in DIRECTION_CONTROLS for ch in text) else None
    if bad is not None:
        return (f"contains an invisible direction control (U+{ord(bad):04X}), which shows "
                "the text in another order than it is stored (an override, or an isolate or "
                "embedding that is not closed again)")
    return None


def line_problem(text: str) -> str | None:
    """Why ``text`` cannot be a name (one line), or ``None`` (the character checks of
    :func:`text_problem`, without the encoding ones).

    A name is put into e-mail headers (the subject names the partner, ``To`` the
    person), where a line break is refused (Python's e-mail package raises, and the whole
    mail run stops), and into one-line places of the survey pages.  Line breaks come from
    spreadsheet cells with Alt+Enter; tabs and other control characters from pasting.
    """
    return _character_problem(text, False, NAME_LINE_BREAK)


def encoding_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored on every database, or ``None``.

    NUL characters (PostgreSQL refuses them; SPSS files cut the text there) and lone
    UTF-16 surrogates (not encodable as UTF-8) are refused.
    """
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains characters that are not valid Unicode"
    return None


def check_text(value: Any, kind: str, what: str, *, required: bool = True) -> str | None:
    """Return ``value`` stripped if it fits column ``kind``; raise ``DataError`` otherwise.

    Parameters
    ----------
    value
        The text (``None`` or empty allowed only when ``required`` is false).
    kind
        Key of :data:`COLUMNS`.
    what
        How the user named the value (``"--study"``, ``"partner_name="``), for the message.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataError(f"{what} must not be empty.")
        return None
    if not isinstance(value, str):
        raise DataError(f"{what} must be text, not {type(value).__name__}.")
    text = value.strip()
    problem = text_problem(text)
    if problem:
        raise DataError(f"{what} {problem}; it cannot be stored.")
    limit = max_length(kind)
    if len(text) > limit:
        raise DataError(
            f"{what} has {len(text)} characters; at most {limit} are allowed "
            f"(it starts {clip(text[:40])})."
        )
    return text
