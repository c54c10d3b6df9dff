"""Studies, waves, invitations (single and dyad) and fieldwork statistics.

Tokens are created here, returned exactly once, and stored only as their
sha256 hash.  A *dyad* is two linked invitations sharing one ``alliance_id``:
firm A's respondent answers about firm B (``partner_name`` = B) and vice versa.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.errors import DataError, ResponseError, clip
from instruments.store.limits import check_text
from instruments.store.models import (
    INVITATION_STATUSES,
    Answer,
    Invitation,
    PageSubmission,
    Respondent,
    Study,
    Wave,
    utcnow,
)
from instruments.store.responses import ResponseStore
from instruments.store.tokens import check_usable, find_invitation, hash_token, new_token

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_WAVE = "1"
_ALLIANCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class IssuedInvitation:
    """A newly created invitation.  ``token`` exists only in this object: keep or send it now."""

    invitation_id: int
    token: str
    study: str
    wave: str
    alliance_id: str
    firm_role: str | None
    partner_name: str | None
    language: str
    expires_at: datetime | None

    def link(self, base_url: str) -> str:
        """The personal survey link ``BASE_URL/?t=TOKEN``."""
        return f"{base_url.rstrip('/')}/?t={self.token}"


@dataclass(frozen=True)
class InvitationInfo:
    """What a valid token opens (no token, no hash)."""

    invitation_id: int
    study: str
    wave: str
    alliance_id: str
    firm_role: str | None
    partner_name: str | None
    language: str
    status: str
    expires_at: datetime | None


# -- studies and waves -------------------------------------------------------------------


def create_study(store: ResponseStore, name: str, instrument: Any = None) -> int:
    """Create a study bound to an instrument version and return its id.

    Parameters
    ----------
    store
        The response store.
    name
        Unique study name.
    instrument
        The instrument (default: the store's); its id, version and content hash
        are recorded, and the store refuses answers from another version.

    Raises
    ------
    DataError
        If a study of that name exists already or the name is empty.
    """
    name = check_text(name, "study_name", "The study name")
    inst = instrument if instrument is not None else store.instrument
    if not all(hasattr(inst, a) for a in ("id", "version", "content_hash")):
        # instrument='x' ended in "'str' object has no attribute 'id'"
        raise DataError("instrument= must be an Instrument (read a folder with "
                        f"load_instrument(path)), not {type(inst).__name__}.")
    try:
        with store.session() as session:
            study = Study(
                name=name.strip(),
                instrument_id=str(inst.id),
                instrument_version=str(inst.version),
                instrument_hash=str(inst.content_hash),
                created_at=utcnow(),
                failed_logins=0,
            )
            session.add(study)
            session.flush()
            return study.id
    except IntegrityError as exc:
        raise DataError(f"A study named {name!r} exists already; choose another name.") from exc


def study_exists(store: ResponseStore, name: str) -> bool:
    """Whether a study of that name exists."""
    with store.session() as session:
        return session.scalars(select(Study.id).where(Study.name == name)).first() is not None


def get_or_create_study(store: ResponseStore, name: str, instrument: Any = None) -> int:
    """Return the id of study ``name``, creating it (with the store's instrument) if needed."""
    with store.session() as session:
        found = session.scalars(select(Study.id).where(Study.name == name)).first()
    if found is not None:
        return found
    try:
        return create_study(store, name, instrument)
    except DataError:  # created concurrently
        with store.session() as session:
            return session.scalars(select(Study.id).where(Study.name == name)).one()


def _study(session: Session, name: str) -> Study:
    found = session.scalars(select(Study).where(Study.name == name)).one_or_none()
    if found is None:
        raise DataError(
            f"There is no study {name!r}; create it first (create_study or "
            "alliance-survey invite --study NAME)."
        )
    return found


def _wave_name(name: object) -> str:
    """The wave name ``name`` checked as the store keeps it: text, or a whole number
    (``wave=2``).  ``None``, a list or bytes had been turned into their ``str()``: the
    wave 'None' or "['a']" was created without a word."""
    if isinstance(name, numbers.Integral) and not isinstance(name, bool):
        name = str(int(name))
    if not isinstance(name, str):
        raise DataError(f"The wave name must be text (or a whole number), not "
                        f"{type(name).__name__} {clip(name)}.")
    return check_text(name, "wave_name", "The wave name")


def _wave(session: Session, study: Study, name: str, *, create: bool = True) -> Wave:
    name = _wave_name(name)
    wave = session.scalars(
        select(Wave).where(Wave.study_id == study.id, Wave.name == name)
    ).one_or_none()
    if wave is None:
        if not create:
            raise DataError(f"Study {study.name!r} has no wave {name!r}.")
        wave = Wave(study_id=study.id, name=name, created_at=utcnow())
        session.add(wave)
        session.flush()
    return wave


def create_wave(store: ResponseStore, study: str, name: str) -> int:
    """Create (or return) the wave ``name`` of a study and return its id."""
    name = _wave_name(name)
    with store.session() as session:
        return _wave(session, _study(session, study), name).id


# -- invitations ------------------------------------------------------------------------


def _language(store: ResponseStore, language: str) -> str:
    languages = list(getattr(store.instrument, "languages", None) or [])
    check_text(language, "language", "The language")
    if languages and language not in languages:
        raise DataError(
            f"Language {clip(language)} is not offered by the instrument (languages: "
            f"{', '.join(languages)})."
        )
    return language


#: Shortest lifetime of an invitation link, in days (an hour): a shorter one (``1e-300``)
#: stored links that had expired by the time they were handed out.
MIN_EXPIRY_DAYS = 1 / 24


#: Names of the types of a truth value: Python's bool and numpy's (bool_, bool in numpy 2).
_BOOL_TYPES = ("bool", "bool_")


def _expiry(expires_days: float | None, now: datetime) -> datetime | None:
    if expires_days is None:
        return None
    if isinstance(expires_days, str | bytes) or type(expires_days).__name__ in _BOOL_TYPES:
        # float('5') and float(True) made a link that expires in 5 days or in one day
        raise DataError(f"expires_days= must be a number of days, not "
                        f"{type(expires_days).__name__} {clip(expires_days)}.")
    try:
        days = float(expires_days)
    except (TypeError, ValueError) as exc:
        raise DataError(f"expires_days= must be a number, not {clip(expires_days)}.") from exc
    if not math.isfinite(days) or days <= 0:
        raise DataError(f"expires_days= must be a positive, finite number of days, not "
                        f"{clip(expires_days)}.")
    if days < MIN_EXPIRY_DAYS:
        raise DataError(f"expires_days={clip(expires_days)}: a link must stay open for at "
                        f"least an hour ({MIN_EXPIRY_DAYS:.3f} days); nothing was stored.")
    try:
        return now + timedelta(days=days)
    except OverflowError as exc:
        raise DataError(f"expires_days={clip(expires_days)} lies beyond the calendar.") from exc


def _check_alliance_id(alliance_id: str) -> str:
    if not isinstance(alliance_id, str) or not _ALLIANCE_ID.fullmatch(alliance_id):
        raise DataError(
            f"Alliance id {clip(alliance_id)} is not valid: use letters, digits, '_', '-', '.' "
            "(at most 100 characters)."
        )
    return alliance_id


#: Largest invitation file read, and most rows (a contact list, not a data dump).
MAX_CSV_BYTES = 10 * 1024 * 1024
#: Most invitations created by one call (one transaction): 10**12 ran until the memory
#: was gone; a larger field phase is created in several batches.
MAX_BATCH = 100_000
MAX_CSV_ROWS = 20_000


@contextmanager
def _unique_roles() -> Iterator[None]:
    """Turn the database's refusal of a second firm A/B of one alliance into a clear error.

    The look-up in :func:`_issue` catches the common case; this catches two sessions
    creating the same alliance at the same moment, which only the unique index sees.
    """
    try:
        yield
    except IntegrityError as exc:
        raise DataError(
            "An invitation for this alliance and firm role was created at the same time "
            "by someone else; nothing was created. Use another alliance id."
        ) from exc


def _new_alliance_id() -> str:
    return "al-" + uuid.uuid4().hex[:12]


def _issue(
    session: Session,
    study: Study,
    wave: Wave,
    *,
    alliance_id: str,
    firm_role: str | None,
    partner_name: str | None,
    language: str,
    expires_at: datetime | None,
    now: datetime,
    is_test: bool = False,
) -> IssuedInvitation:
    if type(is_test).__name__ not in _BOOL_TYPES:
        # 'yes' ended in the database driver's TypeError; None was taken as False
        raise DataError(f"test= must be True or False, not {clip(is_test)}.")
    if firm_role not in (None, "A", "B"):
        raise DataError(f"firm_role= must be 'A', 'B' or empty, not {clip(firm_role)}.")
    partner_name = check_text(partner_name, "partner_name", "The partner name", required=False)
    if firm_role is not None:
        taken = session.scalars(
            select(Invitation.id).where(
                Invitation.study_id == study.id, Invitation.alliance_id == alliance_id,
                Invitation.firm_role == firm_role,
            )
        ).first()
        if taken is not None:
            raise DataError(
                f"Alliance {alliance_id!r} already has an invitation for firm {firm_role} in "
                f"study {study.name!r}; each firm role of an alliance is invited once."
            )
    token = new_token()
    invitation = Invitation(
        token_hash=hash_token(token),
        study_id=study.id,
        wave_id=wave.id,
        alliance_id=alliance_id,
        firm_role=firm_role,
        partner_name=partner_name or None,
        language=language,
        status="invited",
        expires_at=expires_at,
        created_at=now,
        is_test=is_test,
    )
    session.add(invitation)
    session.flush()
    return IssuedInvitation(
        invitation_id=invitation.id,
        token=token,
        study=study.name,
        wave=wave.name,
        alliance_id=alliance_id,
        firm_role=firm_role,
        partner_name=partner_name or None,
        language=language,
        expires_at=expires_at,
    )


def create_invitations(
    store: ResponseStore,
    study: str,
    n: int = 1,
    *,
    wave: str = DEFAULT_WAVE,
    partner_name: str | None = None,
    language: str = "en",
    expires_days: float | None = None,
    alliance_id: str | None = None,
    firm_role: str | None = None,
    test: bool = False,
) -> list[IssuedInvitation]:
    """Create ``n`` single invitations (one respondent per alliance each).

    Parameters
    ----------
    store, study
        The store and the study name.
    n
        Number of invitations.
    wave
        Wave name (created if missing).
    partner_name
        Name filled into ``{partner}`` in item texts.
    language
        Survey language (one of the instrument's languages).
    expires_days
        Days until the link expires; ``None`` for no expiry.
    alliance_id, firm_role
        Only for ``n=1``: a given alliance id (default a random one) and role.
    test
        Preview links for the study lead: their responses are flagged as tests and
        left out of exports, analyses and response rates.

    Returns
    -------
    list of IssuedInvitation
        With the clear-text tokens, which are not stored anywhere.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise DataError(f"n= must be a whole number of at least 1, not {clip(n)}.")
    if n > MAX_BATCH:
        raise DataError(f"n= must be at most {MAX_BATCH:,} invitations at a time, not {n}.")
    if alliance_id is not None and n != 1:
        raise DataError("alliance_id= can only be given for a single invitation (n=1).")
    language = _language(store, language)
    now = utcnow()
    expires_at = _expiry(expires_days, now)
    with _unique_roles(), store.session() as session:
        st = _study(session, study)
        wv = _wave(session, st, wave)
        return [
            _issue(
                session,
                st,
                wv,
                alliance_id=_check_alliance_id(alliance_id) if alliance_id else _new_alliance_id(),
                firm_role=firm_role,
                partner_name=partner_name,
                language=language,
                expires_at=expires_at,
                now=now,
                is_test=test,
            )
            for _ in range(n)
        ]


def create_dyad(
    store: ResponseStore,
    study: str,
    *,
    firm_a: str | None = None,
    firm_b: str | None = None,
    wave: str = DEFAULT_WAVE,
    alliance_id: str | None = None,
    language_a: str = "en",
    language_b: str | None = None,
    expires_days: float | None = None,
) -> tuple[IssuedInvitation, IssuedInvitation]:
    """Create two linked invitations, one for each firm of an alliance.

    Firm A's respondent sees ``firm_b`` as ``{partner}`` and vice versa; both
    share ``alliance_id`` and carry ``firm_role`` ``"A"`` and ``"B"``.

    Returns
    -------
    (IssuedInvitation, IssuedInvitation)
        Firm A's and firm B's invitation.
    """
    with _unique_roles(), store.session() as session:
        st = _study(session, study)
        wv = _wave(session, st, wave)
        return _dyad(
            store, session, st, wv, firm_a, firm_b, alliance_id, language_a, language_b,
            expires_days, utcnow(),
        )  # fmt: skip


def _dyad(
    store: ResponseStore,
    session: Session,
    st: Study,
    wv: Wave,
    firm_a: str | None,
    firm_b: str | None,
    alliance_id: str | None,
    language_a: str,
    language_b: str | None,
    expires_days: float | None,
    now: datetime,
) -> tuple[IssuedInvitation, IssuedInvitation]:
    if firm_a and _same_firm(firm_a, firm_b):
        raise DataError(f"firm_a and firm_b name the same firm ({clip(firm_a)}); a dyad is "
                        "two firms.")
    aid = _check_alliance_id(alliance_id) if alliance_id else _new_alliance_id()
    taken = session.scalars(
        select(func.count(Invitation.id)).where(
            Invitation.study_id == st.id, Invitation.alliance_id == aid
        )
    ).one()
    if taken:
        raise DataError(f"Alliance id {aid!r} is already used in study {st.name!r}.")
    expires_at = _expiry(expires_days, now)
    lang_a = _language(store, language_a)
    lang_b = _language(store, language_b or language_a)
    a = _issue(session, st, wv, alliance_id=aid, firm_role="A", partner_name=firm_b,
               language=lang_a, expires_at=expires_at, now=now)  # fmt: skip
    b = _issue(session, st, wv, alliance_id=aid, firm_role="B", partner_name=firm_a,
               language=lang_b, expires_at=expires_at, now=now)  # fmt: skip
    return a, b


def create_dyads(
    store: ResponseStore,
    study: str,
    k: int,
    *,
    wave: str = DEFAULT_WAVE,
    language: str = "en",
    expires_days: float | None = None,
) -> list[tuple[IssuedInvitation, IssuedInvitation]]:
    """Create ``k`` dyads without firm names (the survey then names no partner)."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise DataError(f"k= must be a whole number of at least 1, not {clip(k)}.")
    if k > MAX_BATCH // 2:
        raise DataError(f"k= must be at most {MAX_BATCH // 2:,} dyads at a time, not {k}.")
    now = utcnow()
    _expiry(expires_days, now)
    with _unique_roles(), store.session() as session:
        st = _study(session, study)
        wv = _wave(session, st, wave)
        return [
            _dyad(store, session, st, wv, None, None, None, language, None, expires_days, now)
            for _ in range(k)
        ]


def wide_text(raw: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` when a CSV file's first bytes are such text (with or
    without a byte-order mark), else ``None``.

    Excel's "Unicode text" and Notepad's "Unicode" are UTF-16: without a mark its bytes
    decode as UTF-8 with a NUL between the letters, so the header 'partner_name' was a
    column named 'p\\x00a\\x00r...' that the file "lacked"; with one, the file was "not
    UTF-8 text (byte 0)".
    """
    head = raw[:4096]
    if head[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return "UTF-32"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    if len(head) >= 8 and head.count(0) * 4 >= len(head):
        return "UTF-32" if head.count(0) * 5 >= 3 * len(head) else "UTF-16"
    return None


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def record_start_line(reader: csv.DictReader, record: dict[Any, Any]) -> int:
    """The line of the file that ``record``, just read by ``reader``, starts on.

    The reader counts the lines read so far: a record ends on the last of them and starts
    as many lines earlier as its cells (those beyond the header too) hold line breaks.
    Counting records instead named the lines above the real ones after a blank line (which
    the reader skips) or a quoted cell spanning lines.
    """
    cells = [v for v in record.values() if isinstance(v, str)]
    cells += [v for v in record.get(None) or () if isinstance(v, str)]
    return reader.line_num - sum(len(_LINE_BREAK.findall(v)) for v in cells)


def check_invitation_csv(
    path: str | Path,
    *,
    languages: list[str],
    language: str = "en",
    expires_days: float | None = None,
) -> tuple[bool, list[dict[str, str]]]:
    """Read and check an invitation file (see :func:`invitations_from_csv`) without
    touching any store: ``(dyadic, rows)``.  The command line checks it before it creates
    a study, so that a wrong file leaves nothing behind.

    Raises
    ------
    DataError
        Listing each bad row.
    """
    if not isinstance(path, str | os.PathLike):
        # None or an open file ended in "expected str, bytes or os.PathLike object"
        raise DataError("The invitation file must be given as a path, not "
                        f"{type(path).__name__}.")
    path = Path(path)
    shown = clip(str(path), 400)
    _expiry(expires_days, utcnow())
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise DataError(f"The invitation file {shown} is not a regular file; give a "
                            ".csv file.")
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise DataError(f"The invitation file {shown} has {size} bytes; at most "
                            f"{MAX_CSV_BYTES} are read. Split it into several files.")
        with path.open("rb") as fh:
            wide = wide_text(fh.read(4096))
        if wide is not None:
            raise DataError(f"The invitation file {shown} is {wide} text; save it as UTF-8 "
                            "CSV.")
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            # without a second byte-order mark (a file saved twice with one)
            header = [h.replace("\ufeff", "").strip() for h in (reader.fieldnames or [])]
            rows, lines = [], []
            for r in reader:
                start = record_start_line(reader, r)
                if None in r:
                    raise DataError(f"{path.name}: line {start} has more cells than "
                                    "the header; nothing was created.")
                rows.append({(k or "").replace("\ufeff", "").strip(): (v or "").strip()
                             for k, v in r.items()})
                lines.append(start)
                if len(rows) > MAX_CSV_ROWS:
                    raise DataError(f"The invitation file {shown} has more than {MAX_CSV_ROWS} "
                                    "rows; split it into several files.")
    except OSError as exc:
        raise DataError(f"Cannot read the invitation file {shown}: "
                        f"{exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"The invitation file {shown} is not UTF-8 text (byte {exc.start}); "
                        "save it as UTF-8 CSV.") from exc
    except csv.Error as exc:
        raise DataError(f"The invitation file {shown} is not a valid CSV file: "
                        f"{clip(str(exc), 120)}.") from exc
    if len(set(header)) < len(header):
        raise DataError(f"{path.name}: the header repeats a column name; nothing was created.")
    dyadic = {"firm_a", "firm_b"} <= set(header)
    if not dyadic and "partner_name" not in header:
        raise DataError(
            f"{path.name}: expected columns firm_a,firm_b (dyads) or partner_name (single "
            f"invitations); found {', '.join(header) or 'no header'}."
        )
    misnamed = _misnamed_columns(header, dyadic)
    if misnamed:
        raise DataError(f"{path.name}: " + " ".join(misnamed) + " Nothing was created.")
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in zip(lines, rows, strict=True):
        names = ("firm_a", "firm_b") if dyadic else ("partner_name",)
        for col in names:
            if not row.get(col):
                problems.append(f"{path.name}: line {i}: {col} is empty.")
            else:
                try:
                    check_text(row[col], "partner_name", col)
                except DataError as exc:
                    problems.append(f"{path.name}: line {i}: {exc}")
        if dyadic and row.get("firm_a") and _same_firm(row["firm_a"], row.get("firm_b")):
            # a dyad of a firm with itself: each side would be told its partner is itself
            problems.append(f"{path.name}: line {i}: firm_a and firm_b name the same firm "
                            f"({clip(row['firm_a'])}); a dyad is two firms.")
        langs = (
            [row.get("language_a") or language, row.get("language_b") or language]
            if dyadic
            else [row.get("language") or language]
        )
        for lang in langs:
            if languages and lang not in languages:
                problems.append(f"{path.name}: line {i}: unknown language {lang!r}.")
        aid = row.get("alliance_id")
        if aid:
            if not _ALLIANCE_ID.fullmatch(aid):
                problems.append(f"{path.name}: line {i}: invalid alliance_id {clip(aid)}.")
            role = row.get("firm_role") or None
            slot = aid if dyadic else (aid, role)
            if slot in seen and (dyadic or role is not None):
                what = f"alliance_id {aid!r}" + ("" if dyadic else f" with firm_role {role}")
                problems.append(f"{path.name}: line {i}: {what} appears twice.")
            seen.add(slot)
        role = row.get("firm_role")
        if not dyadic and role and role not in ("A", "B"):
            problems.append(
                f"{path.name}: line {i}: firm_role must be A or B, not {clip(role)}.")
        elif not dyadic and role and not aid:
            problems.append(f"{path.name}: line {i}: firm_role {role} needs an alliance_id.")
    if not rows:
        problems.append(f"{path.name}: the file has no rows.")
    if problems:
        raise DataError(
            f"The invitation file has {len(problems)} problem(s); nothing was created.\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return dyadic, rows


def _same_firm(a: str, b: str | None) -> bool:
    """Whether two firm names are one firm: equal apart from case, spacing and Unicode
    form ("Acme  GmbH" and "acme gmbh")."""
    import unicodedata

    def key(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).casefold().split())

    return b is not None and key(a) == key(b)


#: The columns an invitation file is read by, per layout.
DYAD_COLUMNS = ("firm_a", "firm_b", "alliance_id", "language_a", "language_b")
SINGLE_COLUMNS = ("partner_name", "alliance_id", "firm_role", "language")


def _misnamed_columns(header: list[str], dyadic: bool) -> list[str]:
    """Sentences for the columns of an invitation file that look meant to be read but are
    not: one of the other layout (``partner_name`` beside ``firm_a`` and ``firm_b``,
    ``language`` in a dyad file) or a misspelt one (:func:`misspelt_columns`)."""
    known = DYAD_COLUMNS if dyadic else SINGLE_COLUMNS
    layout = "a dyad file (firm_a, firm_b)" if dyadic else "a file of single invitations"
    other = [c for c in header if c not in known and c in DYAD_COLUMNS + SINGLE_COLUMNS]
    return [f"Column {column!r} is not read in {layout}; it reads {', '.join(known)}."
            for column in other] + misspelt_columns(
                [c for c in header if c not in other], known)


def misspelt_columns(header: list[str], known: tuple[str, ...]) -> list[str]:
    """Sentences for the columns of ``header`` named almost like one of ``known``.

    A misspelt column (``languge``, ``Alliance ID``) was passed over without a word: the
    invitations were made in the default language, or without the alliance ids.  Other
    columns (notes, a phone number) stay allowed and unread.

    Raises
    ------
    DataError
        If ``header`` or ``known`` is not a list (or tuple) of column names.
    """
    import difflib

    for label, value in (("header=", header), ("known=", known)):
        if not isinstance(value, list | tuple) or \
                not all(isinstance(c, str) for c in value):
            raise DataError(f"{label} must be a list of column names (text), not "
                            f"{type(value).__name__} {clip(value, 60)}.")

    found = []
    for column in header:
        if column in known:
            continue
        plain = column.lower().replace(" ", "_").replace("-", "_")
        close = difflib.get_close_matches(plain, known, n=1, cutoff=0.8)
        if close:
            found.append(f"Column {clip(column)} is not read; did you mean {close[0]!r}?")
    return found


def invitations_from_csv(
    store: ResponseStore,
    study: str,
    path: str | Path,
    *,
    wave: str = DEFAULT_WAVE,
    language: str = "en",
    expires_days: float | None = None,
) -> list[IssuedInvitation]:
    """Create invitations from a CSV file, all in one transaction.

    Two layouts are accepted (header row required):

    * **dyads**: columns ``firm_a``, ``firm_b`` and optionally ``alliance_id``,
      ``language_a``, ``language_b`` -- two linked invitations per row;
    * **single**: column ``partner_name`` and optionally ``alliance_id``,
      ``firm_role``, ``language`` -- one invitation per row.

    Every row is checked first and all problems are reported together; nothing
    is created if any row is wrong.

    Raises
    ------
    DataError
        Listing each bad row (unknown layout, empty names, bad language, duplicate
        alliance ids).
    """
    languages = list(getattr(store.instrument, "languages", None) or [])
    dyadic, rows = check_invitation_csv(path, languages=languages, language=language,
                                        expires_days=expires_days)
    now = utcnow()
    issued: list[IssuedInvitation] = []
    with _unique_roles(), store.session() as session:
        st = _study(session, study)
        wv = _wave(session, st, wave)
        for row in rows:
            if dyadic:
                issued.extend(
                    _dyad(
                        store,
                        session,
                        st,
                        wv,
                        row["firm_a"],
                        row["firm_b"],
                        row.get("alliance_id") or None,
                        row.get("language_a") or language,
                        row.get("language_b") or None,
                        expires_days,
                        now,
                    )  # fmt: skip
                )
            else:
                issued.append(
                    _issue(
                        session,
                        st,
                        wv,
                        alliance_id=row.get("alliance_id") or _new_alliance_id(),
                        firm_role=row.get("firm_role") or None,
                        partner_name=row["partner_name"],
                        language=row.get("language") or language,
                        expires_at=_expiry(expires_days, now),
                        now=now,
                    )  # fmt: skip
                )
    return issued


def check_token(store: ResponseStore, token: str, *, now: datetime | None = None) -> InvitationInfo:
    """Check an invitation token and return what it opens.

    Raises
    ------
    ResponseError
        With a message for the respondent if the token is unknown, already used to
        complete the survey, screened out or expired (an expired invitation is
        marked ``expired``).
    DataError
        If ``now`` is not a datetime.
    """
    now = _moment(now)
    error: ResponseError | None = None
    with store.session() as session:
        invitation = find_invitation(session, token)
        try:
            check_usable(invitation, now)
        except ResponseError as exc:
            error = exc
        else:
            return _info(session, invitation)
    raise error


def _moment(now: object) -> datetime:
    """``now``, or the current time for ``None``; text, a date alone or a time without a
    time zone ended in the database driver's StatementError ("'str' object has no
    attribute 'tzinfo'", "Timestamps must be timezone-aware")."""
    if now is None:
        return utcnow()
    if not isinstance(now, datetime):
        raise DataError(f"now= must be a datetime (or None for the current time), not "
                        f"{type(now).__name__} {clip(now)}.")
    if now.tzinfo is None or now.utcoffset() is None:
        # the store keeps aware times: a naive one ended in the driver's StatementError
        raise DataError(f"now= must be a datetime with a time zone (e.g. "
                        f"datetime.now(timezone.utc)), not the naive {now.isoformat()}.")
    return now


def _info(session: Session, invitation: Invitation) -> InvitationInfo:
    return InvitationInfo(
        invitation_id=invitation.id,
        study=session.get(Study, invitation.study_id).name,
        wave=invitation.wave.name,
        alliance_id=invitation.alliance_id,
        firm_role=invitation.firm_role,
        partner_name=invitation.partner_name,
        language=invitation.language,
        status=invitation.status,
        expires_at=invitation.expires_at,
    )


def dyad_partner(store: ResponseStore, invitation_id: int) -> InvitationInfo | None:
    """Return the other invitation of the same alliance (``None`` for single invitations)."""
    from instruments.fieldwork.actions import invitation_number

    invitation_id = invitation_number(invitation_id)  # 2**70: the driver's OverflowError
    with store.session() as session:
        inv = session.get(Invitation, invitation_id)
        if inv is None:
            raise DataError(f"There is no invitation {invitation_id}.")
        other = session.scalars(
            select(Invitation).where(
                Invitation.study_id == inv.study_id,
                Invitation.alliance_id == inv.alliance_id,
                Invitation.id != inv.id,
            )
        ).first()
        return _info(session, other) if other is not None else None


def screen_out(store: ResponseStore, token: str) -> None:
    """Close an invitation after a failed screening question (status ``screened_out``)."""
    store.screen_out(token)


def expire_invitations(store: ResponseStore, study: str, *, now: datetime | None = None) -> int:
    """Mark every open invitation of a study whose expiry has passed; return how many."""
    now = _moment(now)
    with store.session() as session:
        st = _study(session, study)
        stale = session.scalars(
            select(Invitation).where(
                Invitation.study_id == st.id,
                Invitation.status.in_(("invited", "started")),
                Invitation.expires_at.is_not(None),
                Invitation.expires_at <= now,
            )
        ).all()
        for inv in stale:
            inv.status = "expired"
        return len(stale)


# -- fieldwork statistics ------------------------------------------------------------------


def invitations_table(store: ResponseStore, study: str) -> pd.DataFrame:
    """One row per invitation (never a token): id, wave, alliance, role, partner, language,
    status, created, expires, respondent id, started, completed, current page."""
    import pandas as pd

    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(
                Invitation.id,
                Wave.name,
                Invitation.alliance_id,
                Invitation.firm_role,
                Invitation.partner_name,
                Invitation.language,
                Invitation.status,
                Invitation.created_at,
                Invitation.expires_at,
                Respondent.id,
                Respondent.started_at,
                Respondent.completed_at,
                Respondent.current_page,
            )  # fmt: skip
            .join(Wave, Invitation.wave_id == Wave.id)
            .outerjoin(Respondent, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id, Invitation.is_test.is_(False))
            .order_by(Invitation.id)
        ).all()
    columns = [
        "invitation_id", "wave", "alliance_id", "firm_role", "partner_name", "language",
        "status", "created_at", "expires_at", "respondent_id", "started_at", "completed_at",
        "current_page",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)
    for col in ("respondent_id", "current_page"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    return frame


def status_counts(store: ResponseStore, study: str) -> pd.DataFrame:
    """Invitations per wave and status (every status listed, zeros included).

    Columns: ``wave``, ``status``, ``n``, ``share`` (of the wave's invitations).
    """
    import pandas as pd

    inv = invitations_table(store, study)
    waves = sorted(inv["wave"].unique()) if len(inv) else []
    records = []
    for wave in waves:
        sub = inv[inv["wave"] == wave]
        for status in INVITATION_STATUSES:
            n = int((sub["status"] == status).sum())
            records.append({"wave": wave, "status": status, "n": n, "share": n / len(sub)})
    return pd.DataFrame.from_records(records, columns=["wave", "status", "n", "share"])


def page_progress(store: ResponseStore, study: str) -> pd.DataFrame:
    """Completion and drop-off per page.

    Columns: ``page_index``, ``page``, ``n_reached`` (respondents who were shown
    the page, i.e. submitted every page before it), ``n_submitted``,
    ``completion_rate`` (``n_submitted / n_started``), ``drop_off`` (respondents
    whose last submitted page is the one before this: they stopped here;
    screened-out respondents are not counted), ``median_time_sec`` (median
    total time on the page).
    """
    import numpy as np
    import pandas as pd

    with store.session() as session:
        st = _study(session, study)
        resp = session.execute(
            select(Respondent.id, Respondent.current_page, Invitation.status)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id, Invitation.is_test.is_(False))
        ).all()
        subs = session.execute(
            select(PageSubmission.respondent_id, PageSubmission.page, PageSubmission.duration_sec)
            .join(Respondent, PageSubmission.respondent_id == Respondent.id)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id, Invitation.is_test.is_(False))
        ).all()
    n_started = len(resp)
    times: dict[tuple[int, str], float] = {}
    submitted: dict[str, set[int]] = {}
    for rid, page, duration in subs:
        submitted.setdefault(page, set()).add(rid)
        if duration is not None:
            times[(rid, page)] = times.get((rid, page), 0.0) + duration
    records = []
    for spec in store.pages:
        per_page = [t for (rid, page), t in times.items() if page == spec.id]
        n_sub = len(submitted.get(spec.id, ()))
        records.append(
            {
                "page_index": spec.index,
                "page": spec.id,
                "n_reached": sum(1 for _, cur, _ in resp if cur >= spec.index),
                "n_submitted": n_sub,
                "completion_rate": n_sub / n_started if n_started else np.nan,
                "drop_off": sum(
                    1
                    for _, cur, status in resp
                    if cur == spec.index and status in ("started", "expired")
                ),  # fmt: skip
                "median_time_sec": float(np.median(per_page)) if per_page else np.nan,
            }
        )
    return pd.DataFrame.from_records(records)


def dyad_status(store: ResponseStore, study: str) -> pd.DataFrame:
    """One row per dyad (alliance with invitations for firms A and B).

    Columns: ``alliance_id``, ``wave``, ``status_a``, ``status_b``,
    ``partner_of_a`` (firm B's name as shown to A), ``partner_of_b``,
    ``both_completed``.
    """
    import pandas as pd

    inv = invitations_table(store, study)
    columns = ["alliance_id", "wave", "status_a", "status_b", "partner_of_a", "partner_of_b",
               "both_completed"]  # fmt: skip
    inv = inv[inv["firm_role"].isin(["A", "B"])]
    records = []
    for aid, group in inv.groupby("alliance_id", sort=True):
        roles = group.set_index("firm_role")
        if not {"A", "B"} <= set(roles.index):
            continue
        a, b = roles.loc["A"], roles.loc["B"]
        records.append({
            "alliance_id": aid, "wave": a["wave"], "status_a": a["status"],
            "status_b": b["status"], "partner_of_a": a["partner_name"],
            "partner_of_b": b["partner_name"],
            "both_completed": a["status"] == "completed" and b["status"] == "completed",
        })  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns)


def fieldwork_summary(store: ResponseStore, study: str) -> pd.DataFrame:
    """One-row summary: invitations, started, completed, screened out, expired,
    response rate (completed / invited), median and quartiles of the total duration
    of completed responses in seconds."""
    import numpy as np
    import pandas as pd

    inv = invitations_table(store, study)
    done = inv[inv["status"] == "completed"]
    durations = [
        (c - s).total_seconds()
        for s, c in zip(done["started_at"], done["completed_at"], strict=True)
        if s is not None and c is not None
    ]
    n = len(inv)

    def q(p: float) -> float:
        return float(np.quantile(durations, p)) if durations else np.nan

    return pd.DataFrame.from_records(
        [
            {
                "n_invitations": n,
                "n_started": int(inv["respondent_id"].notna().sum()),
                "n_completed": len(done),
                "n_screened_out": int((inv["status"] == "screened_out").sum()),
                "n_expired": int((inv["status"] == "expired").sum()),
                "n_withdrawn": int((inv["status"] == "withdrawn").sum()),
                "response_rate": len(done) / n if n else np.nan,
                "median_duration_sec": q(0.5),
                "q25_duration_sec": q(0.25),
                "q75_duration_sec": q(0.75),
            }
        ]
    )


def fieldwork_figures(store: ResponseStore, study: str) -> dict[str, Any]:
    """:func:`fieldwork_summary` as a plain JSON-ready dict (counts as ``int``, NaN as
    ``None``): what the report's response-rate table shows."""
    import math

    row = fieldwork_summary(store, study).iloc[0].to_dict()
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, float) and math.isnan(v):
            out[k] = None
        else:
            v = v.item() if hasattr(v, "item") else v
            out[k] = int(v) if k.startswith("n_") and float(v).is_integer() else v
    return out


def attention_failures(store: ResponseStore, study: str) -> pd.DataFrame:
    """Attention-check results per check.

    Columns: ``check_id``, ``correct`` (the accepted code(s) as text, e.g. ``"2"``), ``n_answered``,
    ``n_failed``, ``failure_rate``.  The latest answer of each respondent counts.
    """
    import numpy as np
    import pandas as pd

    checks = list(getattr(store.instrument, "attention_checks", None) or [])
    if isinstance(store.instrument.attention_checks, dict):
        checks = list(store.instrument.attention_checks.values())
    with store.session() as session:
        st = _study(session, study)
        newest = (
            select(func.max(Answer.id))
            .join(Respondent, Answer.respondent_id == Respondent.id)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id)
            .group_by(Answer.respondent_id, Answer.item_id)
        )
        rows = session.execute(
            select(Answer.item_id, Answer.value_int).where(Answer.id.in_(newest))
        ).all()
    records = []
    for check in checks:
        raw = check.correct
        correct = {int(c) for c in raw} if isinstance(raw, list | tuple | set) else {int(raw)}
        given = [v for item, v in rows if item == check.id and v is not None]
        failed = sum(1 for v in given if v not in correct)
        records.append(
            {
                "check_id": check.id,
                "correct": ",".join(str(c) for c in sorted(correct)),
                "n_answered": len(given),
                "n_failed": failed,
                "failure_rate": failed / len(given) if given else np.nan,
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["check_id", "correct", "n_answered", "n_failed", "failure_rate"]
    )


__all__ = [
    "DEFAULT_WAVE",
    "InvitationInfo",
    "IssuedInvitation",
    "ResponseError",
    "attention_failures",
    "check_token",
    "create_dyad",
    "create_dyads",
    "create_invitations",
    "create_study",
    "create_wave",
    "dyad_partner",
    "dyad_status",
    "expire_invitations",
    "fieldwork_summary",
    "get_or_create_study",
    "invitations_from_csv",
    "invitations_table",
    "page_progress",
    "screen_out",
    "status_counts",
    "study_exists",
]
