"""Contact lists: invitations (single and dyads) created from a CSV of people to e-mail.

A contact list has one row per person with the columns ``email``, ``name``, ``firm``
(the person's own firm), ``partner`` (the alliance partner the questions name),
``alliance_id``, ``role`` (``A`` or ``B`` within a dyad; empty for a single
invitation) and ``language``.  Two rows sharing an ``alliance_id`` are the two
sides of a dyad: each side's respondent sees the other side's firm as
``{partner}``.  Every row is checked first and all problems are reported
together; nothing is stored unless the whole file is right.

Why the token is kept encrypted
-------------------------------
Invitation tokens are stored only as their sha256 hash, so a stolen database
opens no survey.  Reminders must repeat the personal link days later, so the
token of a mailed invitation is kept as well -- encrypted (Fernet: AES-128-CBC
with an HMAC) with a key that lives only in the environment variable
``ALLIANCE_SURVEY_SECRET_KEY``, never in the database.  A copy of the database
without the key still opens nothing.  Creating the invitation only at send time
would not help: the first reminder needs the same link again.  The opt-out
token travels in the same encrypted record; only its hash is searchable.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from analysis.errors import DataError, clip
from instruments.fieldwork.invitations import (
    _ALLIANCE_ID,
    DEFAULT_WAVE,
    _dyad,
    _expiry,
    _issue,
    _new_alliance_id,
    _study,
    _wave,
    misspelt_columns,
    record_start_line,
    wide_text,
)
from instruments.store.limits import encoding_problem, line_problem
from instruments.store.mailtables import Contact, MailLog, is_opted_out, optout_entries
from instruments.store.models import Invitation, Study, utcnow
from instruments.store.responses import ResponseStore
from instruments.store.tokens import hash_token, new_token

if TYPE_CHECKING:
    import pandas as pd

#: Environment variable holding the key that encrypts mailed invitation tokens.
SECRET_KEY_ENV = "ALLIANCE_SURVEY_SECRET_KEY"
#: Columns of a contact list; ``alliance_id``, ``role`` and ``language`` may be empty.
CONTACT_COLUMNS = ("email", "name", "firm", "partner", "alliance_id", "role", "language")
REQUIRED_COLUMNS = ("email", "name", "firm")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
#: A domain label: letters, digits and inner hyphens (a label may not start or end with one).
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_LIMITS = {"email": 320, "name": 200, "firm": 300, "partner": 300}


class ContactListError(DataError):
    """A contact list with problems; ``problems`` lists every one of them."""

    def __init__(self, message: str, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(message + "\n" + "\n".join(f"  - {p}" for p in self.problems))


@dataclass(frozen=True)
class ImportedContacts:
    """What a contact list created: contact and invitation ids, dyads and single invitations."""

    contact_ids: tuple[int, ...]
    invitation_ids: tuple[int, ...]
    n_dyads: int
    n_single: int


@dataclass(frozen=True)
class ContactSecret:
    """The decrypted tokens of one contact (kept only in memory)."""

    token: str
    optout_token: str


# -- the key --------------------------------------------------------------------------------


def new_secret_key() -> str:
    """Return a fresh key for ``ALLIANCE_SURVEY_SECRET_KEY`` (urlsafe base64, 32 bytes)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def _fernet(key: str | None = None):  # noqa: ANN202
    from cryptography.fernet import Fernet

    key = key if key is not None else os.environ.get(SECRET_KEY_ENV)
    if not key:
        raise DataError(
            f"The environment variable {SECRET_KEY_ENV} is not set. Mailed invitation links "
            "are kept encrypted with this key so that reminders can repeat them; create one "
            f"with 'alliance-survey mail --new-key', keep it safe, and set {SECRET_KEY_ENV} "
            "for every command and app process of this study."
        )
    try:
        return Fernet(key.encode("ascii") if isinstance(key, str) else key)
    except (ValueError, UnicodeEncodeError) as exc:
        raise DataError(
            f"{SECRET_KEY_ENV} is not a valid key (32 bytes in urlsafe base64); create one "
            "with 'alliance-survey mail --new-key'."
        ) from exc


def _seal(box: Any, secret: ContactSecret) -> str:
    payload = json.dumps({"t": secret.token, "o": secret.optout_token}).encode("utf-8")
    return box.encrypt(payload).decode("ascii")


def open_secret(sealed: str, key: str | None = None) -> ContactSecret:
    """Decrypt a contact's tokens with the key from the environment (or ``key``).

    Raises
    ------
    DataError
        If the key is missing or is not the one the contact list was stored with.
    """
    from cryptography.fernet import InvalidToken

    try:
        raw = json.loads(_fernet(key).decrypt(sealed.encode("ascii")))
    except InvalidToken as exc:
        raise DataError(
            f"The invitation links cannot be decrypted: {SECRET_KEY_ENV} is not the key "
            "the contact list was stored with."
        ) from exc
    return ContactSecret(token=raw["t"], optout_token=raw["o"])


# -- reading and checking -------------------------------------------------------------------


def _column_name(name: str | None) -> str:
    """A header cell as matched: without byte-order marks, blanks or case."""
    return (name or "").replace("\ufeff", "").strip().lower()


def read_contacts(source: str | Path | bytes | Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Read a contact list (a CSV path, the bytes of an uploaded CSV, or rows as dicts).

    Column names are matched without regard to case or surrounding blanks; cells are
    stripped.  A header without ``email``, ``name`` or ``firm`` is reported with the
    columns found.
    """
    return _read_rows(source)[0]


def _read_rows(source: str | Path | bytes | Iterable[dict[str, str]]
               ) -> tuple[list[dict[str, str]], list[int]]:
    """The rows of a contact list and the line of the file each starts on (for rows given
    as dicts: their position, the header counted as line 1).

    The problems of a row were placed by its position among the rows: after a blank line
    or a name with a line break in quotation marks, every later row was named by a line
    above its own.
    """
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        # the CSV's text itself, passed where a path belongs: it was read as a file name
        # and the whole list printed back as "Cannot read the contact list '<text>'"
        raise DataError("The contact list was given as text with line breaks: give the path "
                        "of a .csv file, or its contents as bytes (an upload).")
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            if path.exists() and not path.is_dir() and not path.is_file():
                # reading a named pipe waited for a writer: 'mail --contacts' hung
                raise DataError(f"The contact list {clip(str(path), 400)} is not a regular "
                                "file (a named pipe or a device); give a .csv file.")
            text = path.read_bytes()
        except OSError as exc:
            raise DataError(f"Cannot read the contact list {str(path)!r}: {exc}.") from exc
        return _read_rows(text)
    if isinstance(source, bytes):
        wide = wide_text(source)
        if wide is not None:
            raise DataError(f"The contact list is {wide} text; save it as 'CSV UTF-8' and "
                            "try again.")
        try:
            text = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                "The contact list is not UTF-8 text; save it as 'CSV UTF-8' and try again."
            ) from exc
        sample = text[:4096]
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
        # a second byte-order mark (a file saved twice with one) stayed in the first name:
        # "Missing column(s) email; found email, name, ..."
        header = [_column_name(h) for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ContactListError(
                "The contact list cannot be read; nothing was stored.",
                [f"Missing column(s) {', '.join(missing)}; found "
                 f"{', '.join(h for h in header if h) or 'no header'}. Expected columns: "
                 f"{', '.join(CONTACT_COLUMNS)}."],
            )  # fmt: skip
        misspelt = misspelt_columns([h for h in header if h], CONTACT_COLUMNS)
        repeated = sorted({h for h in header if h and header.count(h) > 1})
        if repeated:  # the last of the columns won without a word
            misspelt.append(f"The header names {', '.join(map(repr, repeated))} more than "
                            "once; keep one column of each name.")
        if misspelt:  # 'languge' was passed over: everyone got the default language
            raise ContactListError("The contact list cannot be read; nothing was stored.",
                                   misspelt)
        rows, lines, long_rows = [], [], []
        for raw in reader:
            start = record_start_line(reader, raw)
            extra_cells = raw.get(None) or ()
            # a comma and a blank ('Müller, Hans') in a row whose surplus cells are empty:
            # a trailing comma alone leaves every cell in place, but here the name was cut
            # and the firm, partner and alliance id each moved one column to the right
            moved = bool(extra_cells) and any(
                isinstance(v, str) and v[:1] in (" ", "\t") and v.strip()
                for k, v in raw.items() if k is not None)
            if moved or any((v or "").strip() for v in extra_cells):
                # an unquoted comma ('Müller, Hans') moved the firm into the next column
                # and its real value was dropped
                extra = len(raw[None])
                long_rows.append(f"line {start}: {len(header) + extra} values but "
                                 f"{len(header)} columns in the header; put a value that "
                                 "holds a comma (or a semicolon) in quotation marks.")
                continue
            row = {_column_name(k): (v or "").strip() for k, v in raw.items() if k}
            if any(row.values()):
                rows.append(row)
                lines.append(start)
        if long_rows:
            raise ContactListError("The contact list cannot be read; nothing was stored.",
                                   long_rows)
        return rows, lines
    from collections.abc import Iterable, Mapping

    # a number ended in "'int' object is not iterable", a list of addresses in
    # "'str' object has no attribute 'items'"
    if not isinstance(source, Iterable):
        raise DataError(f"The contact list must be a .csv path, the bytes of a CSV file or "
                        f"rows as dicts, not {type(source).__name__}.")
    rows = list(source)
    odd = next((r for r in rows if not isinstance(r, Mapping)), None)
    if odd is not None:
        raise DataError(f"Each row of a contact list given as rows must be a dict of column "
                        f"names and values (email, name, ...), not {type(odd).__name__} "
                        f"{clip(odd, 60)}.")
    return ([{str(k).strip().lower(): str(v or "").strip() for k, v in r.items()} for r in rows],
            list(range(2, len(rows) + 2)))


def ascii_email(email: str) -> str:
    """``email`` with an internationalised domain written in ASCII (IDNA), as mail
    servers take it: ``x@bäcker.de`` -> ``x@xn--bcker-gra.de``; other text unchanged.

    German firms' domains may hold umlauts; the address's local part must stay ASCII.

    Raises
    ------
    DataError
        If ``email`` is not text.
    """
    if not isinstance(email, str):
        raise DataError(f"The e-mail address must be text, not {type(email).__name__} "
                        f"{clip(email, 60)}.")
    local, at, domain = email.rpartition("@")
    if not at or domain.isascii():
        return email
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:  # not a domain name: the check names the address as typed
        return email


def _is_address(email: str) -> bool:
    """Whether ``email`` is an address a mail server takes: the pattern, and neither a dot
    at either end of the local part or two dots in a row, nor a domain label that starts or
    ends with a hyphen, nor a top-level domain of digits (an IP address written bare).
    Such addresses passed the pattern and were rejected by the server or bounced later."""
    if not _EMAIL.fullmatch(email):
        return False
    local, _, domain = email.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    labels = domain.split(".")
    return all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def _check(
    rows: list[dict[str, str]],
    languages: list[str],
    default_language: str,
    used_alliances: set[str],
    lines: list[int] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Check every row; return the problems and the alliances (dyads and singles) to create.
    ``lines`` are the rows' lines in the file (default: one line each after the header)."""
    problems: list[str] = []
    if not rows:
        return ["The contact list has no rows."], []
    if lines is None:
        lines = list(range(2, len(rows) + 2))
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    seen_email_alliance: dict[tuple[str, str], int] = {}
    seen_email_partner: dict[tuple[str, str], int] = {}
    for line, row in zip(lines, rows, strict=True):
        where = f"line {line}"
        for col in REQUIRED_COLUMNS:
            if not row.get(col):
                problems.append(f"{where}: {col} is empty.")
        for col, limit in _LIMITS.items():
            if len(row.get(col, "")) > limit:
                problems.append(f"{where}: {col} is longer than {limit} characters.")
            problem = line_problem(row.get(col, "")) or encoding_problem(row.get(col, ""))
            if problem:
                problems.append(f"{where}: {col} {problem}.")
        email = row["email"] = ascii_email(row.get("email", ""))
        if email and not _is_address(email):
            problems.append(f"{where}: {email!r} is not an e-mail address.")
        lang = row.get("language") or default_language
        if languages and lang not in languages:
            problems.append(
                f"{where}: language {lang!r} is not offered (use {', '.join(languages)})."
            )
        role = row.get("role", "").upper()
        if role not in ("", "A", "B"):
            problems.append(f"{where}: role must be A, B or empty, not {row.get('role')!r}.")
        aid = row.get("alliance_id", "")
        if aid and not _ALLIANCE_ID.match(aid):
            problems.append(
                f"{where}: alliance_id {aid!r} is not valid (letters, digits, '_', '-', '.')."
            )
        if aid and aid in used_alliances:
            problems.append(f"{where}: alliance_id {aid!r} is already used in this study.")
        if email and aid:
            key = (email.lower(), aid)
            if key in seen_email_alliance:
                problems.append(
                    f"{where}: {email} appears twice for alliance {aid!r} "
                    f"(also line {seen_email_alliance[key]})."
                )
            seen_email_alliance.setdefault(key, line)
        elif email and row.get("partner"):
            # two single invitations of one person about one partner: the same questions
            # twice, and two answers of one respondent counted as two
            key = (email.lower(), row["partner"].casefold())
            if key in seen_email_partner:
                problems.append(
                    f"{where}: {email} appears twice for partner {row['partner']!r} "
                    f"(also line {seen_email_partner[key]}); remove one of the rows."
                )
            seen_email_partner.setdefault(key, line)
        groups.setdefault(aid or f"\0{line}", []).append((line, row))
    plan: list[dict[str, Any]] = []
    for aid, members in groups.items():
        lines = ", ".join(str(line) for line, _ in members)
        if len(members) > 2:
            problems.append(
                f"lines {lines}: alliance {aid!r} has {len(members)} contacts; a dyad has two."
            )
            continue
        if len(members) == 1:
            line, row = members[0]
            if not row.get("partner"):
                problems.append(
                    f"line {line}: partner is empty (the questions name the partner firm; "
                    "give it, or add the partner's own row with the same alliance_id)."
                )
            plan.append({"kind": "single", "alliance_id": aid if aid[:1] != "\0" else None,
                         "rows": members})  # fmt: skip
            continue
        (l1, r1), (l2, r2) = members
        roles = [r1.get("role", "").upper(), r2.get("role", "").upper()]
        if roles == ["", ""]:
            roles = ["A", "B"]
        if sorted(roles) != ["A", "B"]:
            problems.append(
                f"lines {lines}: the two contacts of alliance {aid!r} need roles A and B "
                f"(found {roles[0] or 'empty'} and {roles[1] or 'empty'})."
            )
            continue
        by_role = dict(zip(roles, members, strict=True))
        for me, other in (("A", "B"), ("B", "A")):
            line, row = by_role[me]
            other_firm = by_role[other][1].get("firm", "")
            if row.get("partner") and other_firm and row["partner"] != other_firm:
                problems.append(
                    f"line {line}: partner {row['partner']!r} is not the firm of the other "
                    f"side of alliance {aid!r} ({other_firm!r}, line {by_role[other][0]})."
                )
        plan.append({"kind": "dyad", "alliance_id": aid, "rows": [by_role["A"], by_role["B"]]})
    return problems, plan


def check_contacts(
    store: ResponseStore,
    study: str,
    source: str | Path | bytes | Iterable[dict[str, str]],
    *,
    language: str = "en",
) -> list[str]:
    """Return every problem of a contact list (an empty list when it can be imported)."""
    try:
        rows, lines = _read_rows(source)
    except ContactListError as exc:
        return exc.problems
    languages = list(getattr(store.instrument, "languages", None) or [])
    with store.session() as session:
        # A study that does not exist yet has no alliance ids in use.
        used = set(session.scalars(
            select(Invitation.alliance_id).join(Study, Invitation.study_id == Study.id)
            .where(Study.name == study)).all())  # fmt: skip
    return _check(rows, languages, language, used, lines)[0]


def import_contacts(
    store: ResponseStore,
    study: str,
    source: str | Path | bytes | Iterable[dict[str, str]],
    *,
    wave: str = DEFAULT_WAVE,
    language: str = "en",
    expires_days: float | None = None,
    key: str | None = None,
) -> ImportedContacts:
    """Create the invitations of a contact list and remember whom to mail them to.

    Parameters
    ----------
    store, study
        The store and the study name (the study must exist).
    source
        A CSV path, the bytes of an uploaded CSV, or rows as dicts; columns
        :data:`CONTACT_COLUMNS`.
    wave
        Fieldwork wave of the new invitations (created if missing).
    language
        Survey language for rows without one.
    expires_days
        Days until the links expire; ``None`` for no expiry.
    key
        Encryption key; default the environment variable ``ALLIANCE_SURVEY_SECRET_KEY``.

    Returns
    -------
    ImportedContacts

    Raises
    ------
    ContactListError
        Listing every problem of the file (nothing is stored).
    DataError
        If the study does not exist or the encryption key is missing or invalid.
    """
    box = _fernet(key)  # before anything else: without a key nothing can be mailed later
    rows, lines = _read_rows(source)
    languages = list(getattr(store.instrument, "languages", None) or [])
    now = utcnow()
    with store.session() as session:
        st = _study(session, study)
        used = set(session.scalars(
            select(Invitation.alliance_id).where(Invitation.study_id == st.id)).all())  # fmt: skip
        problems, plan = _check(rows, languages, language, used, lines)
        if problems:
            noun = "problem" if len(problems) == 1 else "problems"
            raise ContactListError(
                f"The contact list has {len(problems)} {noun}; nothing was stored.", problems
            )
        wv = _wave(session, st, wave)
        contacts: list[Contact] = []
        n_dyads = n_single = 0
        for group in plan:
            members = [row for _, row in group["rows"]]
            if group["kind"] == "dyad":
                a, b = members
                issued = _dyad(
                    store, session, st, wv, a["firm"], b["firm"], group["alliance_id"],
                    a.get("language") or language, b.get("language") or language,
                    expires_days, now,
                )  # fmt: skip
                n_dyads += 1
            else:
                (row,) = members
                issued = (
                    _issue(
                        session, st, wv,
                        alliance_id=group["alliance_id"] or _new_alliance_id(),
                        firm_role=None, partner_name=row["partner"],
                        language=row.get("language") or language,
                        expires_at=_expiry(expires_days, now), now=now,
                    ),
                )  # fmt: skip
                n_single += 1
            for row, inv in zip(members, issued, strict=True):
                optout = new_token()
                contact = Contact(
                    study_id=st.id,
                    invitation_id=inv.invitation_id,
                    email=row["email"],
                    name=row["name"],
                    firm=row["firm"],
                    language=inv.language,
                    secret=_seal(box, ContactSecret(inv.token, optout)),
                    optout_hash=hash_token(optout),
                    created_at=now,
                )
                session.add(contact)
                contacts.append(contact)
        session.flush()
        return ImportedContacts(
            contact_ids=tuple(c.id for c in contacts),
            invitation_ids=tuple(c.invitation_id for c in contacts),
            n_dyads=n_dyads,
            n_single=n_single,
        )


def contacts_table(store: ResponseStore, study: str) -> pd.DataFrame:
    """One row per contact (never a token).

    Columns: ``contact_id``, ``invitation_id``, ``email``, ``name``, ``firm``,
    ``partner_name``, ``alliance_id``, ``firm_role``, ``language``, ``status`` (the
    cockpit's fieldwork status, :func:`instruments.fieldwork.cockpit.fieldwork_status`),
    ``opted_out``, ``invitation_mail`` (the state of the invitation
    e-mail: ``queued``/``sent``/``failed``/``unconfirmed`` (handed over, the connection lost
    before the server confirmed it)/``opted_out`` or empty), ``n_reminders``
    (reminders sent), ``last_mail_at``, ``last_reply`` (the SMTP server's last reply).
    """
    import pandas as pd

    from instruments.fieldwork.cockpit import respondent_table
    from instruments.fieldwork.mail import unconfirmed

    # The same status as the dashboard and the exports (an opened link is "opened" or
    # "consented" there, never the store's internal "started").
    fieldwork = respondent_table(store, study)
    status_of = dict(zip(fieldwork["invitation_id"], fieldwork["status"], strict=True))
    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(Contact, Invitation)
            .join(Invitation, Contact.invitation_id == Invitation.id)
            .where(Contact.study_id == st.id)
            .order_by(Contact.id)
        ).all()
        optouts = optout_entries(session, st.id)
        logs = session.scalars(
            select(MailLog).where(MailLog.study_id == st.id).order_by(MailLog.id)
        ).all()
    by_contact: dict[int, list[MailLog]] = {}
    for entry in logs:
        by_contact.setdefault(entry.contact_id, []).append(entry)
    records = []
    for contact, inv in rows:
        entries = by_contact.get(contact.id, [])
        # a message handed over on a connection lost before the server confirmed it is
        # kept as failed in the send log; here it is named for what it is
        invitation_mail = ["unconfirmed" if unconfirmed(e.status, e.smtp_reply) else e.status
                           for e in entries if e.kind == "invitation"]
        sent = [e for e in entries if e.status == "sent"]
        records.append({
            "contact_id": contact.id, "invitation_id": inv.id, "email": contact.email,
            "name": contact.name, "firm": contact.firm, "partner_name": inv.partner_name,
            "alliance_id": inv.alliance_id, "firm_role": inv.firm_role,
            "language": inv.language, "status": status_of.get(inv.id, inv.status),
            "opted_out": is_opted_out(optouts, st.id, contact.email),
            "invitation_mail": invitation_mail[-1] if invitation_mail else "",
            "n_reminders": sum(1 for e in sent if e.kind == "reminder"),
            "last_mail_at": sent[-1].updated_at if sent else None,
            "last_reply": entries[-1].smtp_reply if entries else None,
        })  # fmt: skip
    columns = ["contact_id", "invitation_id", "email", "name", "firm", "partner_name",
               "alliance_id", "firm_role", "language", "status", "opted_out",
               "invitation_mail", "n_reminders", "last_mail_at", "last_reply"]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns)


__all__ = [
    "CONTACT_COLUMNS",
    "SECRET_KEY_ENV",
    "ContactListError",
    "ContactSecret",
    "ImportedContacts",
    "check_contacts",
    "contacts_table",
    "import_contacts",
    "new_secret_key",
    "open_secret",
    "read_contacts",
]
