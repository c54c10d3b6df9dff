"""Respondents' rights in the store: erasure (withdrawal, requests), the respondent's
language, test responses and the study's privacy notice.

Erasure (GDPR Art. 17) is the one operation that removes rows from the otherwise
append-only answer log: every answer and page submission of the respondent is
deleted in one transaction, the respondent row stays behind as a tombstone
(``withdrawn_at`` set, invitation status ``withdrawn``; it holds no answer, nor when
the link was first opened or the language the respondent chose) and the
:class:`~instruments.store.models.Deletion` audit log records who erased how much,
when and why, never what.  The wide view, the exports and every analysis built on
them therefore no longer see the response.

The erasure also takes what the store holds about the respondent beyond the answers:
the contact list's address, name, firm and link, the study lead's exclusion and
correction notes about the response, and the address a mail server quoted in a reply
kept by the send log.  An address that had opted out of mail is kept only as a salted
hash, so that a later contact list naming it again is still not mailed
(:func:`~instruments.store.mailtables.optout_digest`).  At the end of the retention
period the privacy notice states, :func:`erase_study_responses` erases every response
of a study in the same way.

The erased rows are overwritten in the database file, and a SQLite store's write-ahead
log is emptied after each erasure (:func:`~instruments.store.engine.scrub_erased`), so
that no copy of the answers stays readable in the store's files.  PostgreSQL keeps the
deleted rows in its data files until (auto)vacuum reuses the space, and its write-ahead
log and backups keep them until they are recycled or expire.  The study's cached
analyses are dropped with the answers they were computed from.

Privacy settings (GDPR Art. 13) are stored per study as JSON in
``studies.settings``: the controller, a contact, the purpose, the legal basis and
the retention period, shown on the consent page, plus an optional completion code
and redirect URL for panel providers.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select

from analysis.errors import DataError, ResponseError
from instruments.store.engine import scrub_erased
from instruments.store.exclusions import AnalysisExclusion, AnswerCorrection
from instruments.store.models import (
    AnalysisCache,
    Answer,
    Deletion,
    Invitation,
    PageSubmission,
    Respondent,
    Study,
    utcnow,
)
from instruments.store.tokens import find_invitation

if TYPE_CHECKING:
    import pandas as pd

    from instruments.store.responses import ResponseStore

#: Why a response was erased.
DELETION_REASONS = ("declined", "withdrawn", "request", "test", "retention")
#: How the erasure was asked for.
DELETION_CHANNELS = ("link", "cli", "admin", "api")

#: Legal bases of research surveys under GDPR Art. 6(1); labels in texts.py.
LEGAL_BASES = ("consent", "public_interest", "legitimate_interest")

_URL = re.compile(r"^https://[^\s<>\"']{1,480}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# what a contact that reaches someone holds (contact_problem)
_EMAIL = re.compile(r"[^@\s<>\"',;:()]+@[^@\s<>\"',;:()]+\.[^\W\d_]{2,}")
_WEB = re.compile(r"https?://[^\s<>\"']+\.[^\s<>\"']+")
_PHONE = re.compile(r"\+?\(?\d[\d ()/.-]{5,}\d")
_WORD = re.compile(r"[^\W\d_]{2,}")


#: A contact that starts with a scheme a browser would run or open as content.
_SCRIPT_ADDRESS = re.compile(r"\s*(?:javascript|vbscript|data|file|blob)\s*:", re.IGNORECASE)


def contact_problem(text: str) -> str | None:
    """Why ``text`` cannot be the privacy notice's contact, or ``None``.

    Respondents read it on the consent page to reach the study lead (questions, withdrawal,
    a correction): one line with an e-mail address, a web address (a contact form), a
    telephone number or a postal address line (words and a number).  "!!!", a pasted
    paragraph or a line break had been stored from the app as from the command line.
    A NUL or control character is refused in the words of
    :func:`~instruments.store.limits.text_problem`, a line break as "more than one line".
    """
    from instruments.store.limits import text_problem

    why = text_problem(text, line_break="is more than one line")
    if why:
        return why
    if _SCRIPT_ADDRESS.match(text):
        # 'javascript:alert(1)' passed as "a word and a digit"
        return ("is a script or data address, not a way to reach the study lead: give an "
                "e-mail address, a web address (https://...), a telephone number or a postal "
                "address line")
    digits = sum(c.isdigit() for c in text)
    if (_EMAIL.search(text) or _WEB.search(text) or (_PHONE.search(text) and digits >= 6)
            or (_WORD.search(text) and digits >= 1)):
        return None
    return ("does not say how to reach the study lead: give an e-mail address "
            "(lead@university.example), a web address, a telephone number or a postal "
            "address line")


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed (counts only)."""

    respondent_id: int | None
    invitation_id: int
    n_answers: int
    n_pages: int
    deleted_at: datetime


@dataclass(frozen=True)
class StudySettings:
    """A study's privacy notice and completion settings (all optional).

    ``controller`` and ``contact`` name the data controller and how to reach the
    study lead (e-mail or address); ``purpose`` and ``retention`` are free text in
    the study lead's words; ``legal_basis`` is one of :data:`LEGAL_BASES`;
    ``completion_code`` is shown on the thank-you page and ``redirect_url`` (https
    only) is offered as a link there, for panel providers.
    """

    controller: str | None = None
    contact: str | None = None
    purpose: str | None = None
    legal_basis: str | None = None
    retention: str | None = None
    completion_code: str | None = None
    redirect_url: str | None = None

    @property
    def privacy_complete(self) -> bool:
        """Whether every item of the privacy notice is set."""
        return all((self.controller, self.contact, self.purpose, self.legal_basis,
                    self.retention))  # fmt: skip


_LIMITS = {"controller": 300, "contact": 300, "purpose": 1000, "retention": 300}


def check_settings(settings: StudySettings) -> StudySettings:
    """Validate settings (lengths, legal basis, code, https URL); list all problems at once.

    Raises
    ------
    DataError
        With every problem found.
    """
    from instruments.store.limits import text_problem

    problems = []
    for name, limit in _LIMITS.items():
        value = getattr(settings, name)
        if value is not None and len(value) > limit:
            problems.append(f"{name}= is {len(value)} characters long; at most {limit} allowed.")
        elif value is not None:
            # shown on the consent page: line breaks and tabs are text, other control
            # characters (an escape sequence) are not
            why = text_problem(value, multiline=True)
            if why:
                problems.append(f"{name}= {why}.")
    if settings.contact and settings.contact.strip() \
            and not any(p.startswith("contact=") for p in problems):
        why = contact_problem(settings.contact.strip())
        if why:
            problems.append(f"contact= {why}.")
    if settings.legal_basis is not None and settings.legal_basis not in LEGAL_BASES:
        problems.append(
            f"legal_basis={settings.legal_basis!r} is not one of {', '.join(LEGAL_BASES)}."
        )
    # fullmatch: match() let a final line break through ('abc\n' ends the pattern's '$')
    if settings.completion_code is not None and not _CODE.fullmatch(settings.completion_code):
        problems.append(
            "completion_code= must be 1-64 letters, digits, '-' or '_' "
            f"(got {settings.completion_code!r})."
        )
    url_problem = (text_problem(settings.redirect_url) if isinstance(settings.redirect_url, str)
                   else None)
    if url_problem:  # a NUL, an escape or a right-to-left override passed the pattern
        problems.append(f"redirect_url= {url_problem}.")
    elif settings.redirect_url is not None and not _URL.fullmatch(settings.redirect_url):
        problems.append(
            f"redirect_url= must be an https:// address without spaces or quotes "
            f"(got {settings.redirect_url!r})."
        )
    if problems:
        raise DataError("The study settings were not saved:\n" + "\n".join(
            f"  - {p}" for p in problems))
    return settings


def _study(session: Any, name: str) -> Study:
    found = session.scalars(select(Study).where(Study.name == name)).one_or_none()
    if found is None:
        raise DataError(f"There is no study {name!r} in the store.")
    return found


def _parse_settings(raw: str | None) -> StudySettings:
    if not raw:
        return StudySettings()
    data = json.loads(raw)
    known = {f.name for f in fields(StudySettings)}
    return StudySettings(**{k: v for k, v in data.items() if k in known})


def get_settings(store: ResponseStore, study: str) -> StudySettings:
    """The study's privacy and completion settings."""
    with store.session() as session:
        return _parse_settings(_study(session, study).settings)


def set_settings(store: ResponseStore, study: str, **values: str | None) -> StudySettings:
    """Change some of a study's settings (others are kept); ``""`` clears one.

    Raises
    ------
    DataError
        For an unknown study or setting, or invalid values (all listed).
    """
    known = {f.name for f in fields(StudySettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise DataError(
            f"Unknown study setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}."
        )
    with store.session() as session:
        st = _study(session, study)
        current = asdict(_parse_settings(st.settings))
        for key, value in values.items():
            text = value.strip() if isinstance(value, str) else value
            current[key] = text or None
        settings = check_settings(StudySettings(**current))
        st.settings = json.dumps({k: v for k, v in asdict(settings).items() if v is not None},
                                 ensure_ascii=False, sort_keys=True)  # fmt: skip
        return settings


#: The items of the privacy notice, in the order the consent page shows them.
NOTICE_ITEMS = ("controller", "contact", "purpose", "legal_basis", "retention")


def notice_gaps(store: ResponseStore, study: str) -> list[str]:
    """The items of the privacy notice that respondents would read as "not stated yet".

    The contact counts as given when the study's sender settings name the study lead:
    the consent page then names the lead as the invitation e-mails do.  A study that hands
    out links without mail and without a contact tells respondents to write to the study
    lead to withdraw, and names no one.
    """
    from instruments.store.mailtables import StudyMailSettings

    with store.session() as session:
        st = _study(session, study)
        settings = _parse_settings(st.settings)
        mail = session.get(StudyMailSettings, st.id)
        lead = mail is not None and bool(mail.lead_email)
    return [name for name in NOTICE_ITEMS
            if not getattr(settings, name) and not (name == "contact" and lead)]


def settings_for_token(store: ResponseStore, token: str) -> StudySettings:
    """The settings of the study an invitation token belongs to."""
    with store.session() as session:
        invitation = find_invitation(session, token)
        return _parse_settings(session.get(Study, invitation.study_id).settings)


def set_language(store: ResponseStore, token: str, language: str) -> None:
    """Remember the language a respondent chose (used on refresh and resume)."""
    languages = tuple(store.instrument.languages)
    if language not in languages:
        raise ResponseError(
            f"language={language!r} is not one of the survey's languages ({', '.join(languages)})."
        )
    with store.session() as session:
        invitation = find_invitation(session, token, for_update=True)
        # not after a withdrawal: the erasure took the language chosen with the answers
        if invitation.respondent is not None and invitation.respondent.withdrawn_at is None:
            invitation.respondent.language = language


#: What replaces an e-mail address in the server replies of the send log at an erasure.
ADDRESS_ERASED = "address erased"
# an address as a mail server quotes it in a reply ("550 5.1.1 <ada@x.example>: ...")
_REPLY_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]*\w")


def _erase_contact(session: Any, invitation: Invitation) -> None:
    """Erase the contact list's entry of ``invitation``: address, name, firm, link.

    They are not needed any more: a withdrawn invitation is never mailed again (the mail
    run takes open invitations only), and its alliance id keeps a re-imported contact
    list from inviting the same row again.  The send log keeps when which message went
    out, but the mail server's replies lose the address they quote (a refusal quotes
    it).  An address that had opted out of mail stays blocked as a salted hash
    (:func:`~instruments.store.mailtables.optout_digest`): a later contact list that names
    it again must not mail it, and for that no readable address is needed.
    """
    from instruments.store.mailtables import Contact, MailLog, MailOptout, optout_digest

    for contact in session.scalars(select(Contact).where(
            Contact.invitation_id == invitation.id)):
        address = contact.email.strip().lower()
        if address:
            for entry in session.scalars(select(MailOptout).where(
                    MailOptout.study_id == contact.study_id,
                    func.lower(MailOptout.email) == address)).all():
                digest = optout_digest(contact.study_id, address)
                taken = session.scalars(select(MailOptout.id).where(
                    MailOptout.study_id == contact.study_id,
                    MailOptout.email == digest)).first()  # fmt: skip
                if taken is None:
                    entry.email = digest
                else:  # the address had been erased before (another invitation of it)
                    session.delete(entry)
                session.flush()
        contact.email, contact.name, contact.firm, contact.secret = "", "", "", ""
    for entry in session.scalars(select(MailLog).where(
            MailLog.invitation_id == invitation.id, MailLog.smtp_reply.is_not(None))):
        entry.smtp_reply = _REPLY_ADDRESS.sub(ADDRESS_ERASED, entry.smtp_reply)


def _erase(
    session: Any, invitation: Invitation, *, reason: str, channel: str, actor: str | None,
    now: datetime,
) -> Erasure:
    if reason not in DELETION_REASONS:
        raise DataError(f"reason={reason!r} is not one of {', '.join(DELETION_REASONS)}.")
    if channel not in DELETION_CHANNELS:
        raise DataError(f"channel={channel!r} is not one of {', '.join(DELETION_CHANNELS)}.")
    if actor is not None:
        # who asked and how, for the audit log: one line of ordinary text (a 100,000
        # character note and control characters had been stored)
        from instruments.store.limits import check_text

        actor = check_text(actor, "deletion_actor", "The note for the audit log",
                           required=False)
        # the audit log outlives the erasure: an address in the note ("request from
        # ada@…") would keep the respondent's address that the erasure just removed
        actor = _REPLY_ADDRESS.sub(ADDRESS_ERASED, actor) if actor else actor
    respondent = invitation.respondent
    n_answers = n_pages = 0
    if respondent is not None:
        # the questions answered (an answer changed after Back, or emptied, is one answer
        # of the respondent's, not two rows of the store)
        n_answers = session.scalar(
            select(func.count(func.distinct(Answer.item_id))).where(
                Answer.respondent_id == respondent.id,
                or_(Answer.value_int.is_not(None), Answer.value_num.is_not(None),
                    Answer.value_text.is_not(None)))
        )  # fmt: skip
        n_pages = session.scalar(
            select(func.count()).select_from(PageSubmission)
            .where(PageSubmission.respondent_id == respondent.id)
        )  # fmt: skip
        # Bulk deletes bypass the answer log's per-row guard on purpose: erasure is the
        # one sanctioned removal, and it is recorded in the deletions table below.
        session.execute(delete(Answer).where(Answer.respondent_id == respondent.id))
        # the reasons of corrections may quote answers: they go with them
        session.execute(delete(AnswerCorrection).where(
            AnswerCorrection.invitation_id == invitation.id))
        session.execute(
            delete(PageSubmission).where(PageSubmission.respondent_id == respondent.id)
        )
        respondent.current_page = 0
        respondent.completed_at = None
        respondent.withdrawn_at = now
        respondent.last_activity_at = now
        # when the link was first opened and the language chosen there are the
        # respondent's too: the tombstone keeps the time of the erasure in their place
        # (the closed link then speaks the invitation's language)
        respondent.started_at = now
        respondent.language = None
    # an exclusion's reason is the study lead's note about this response (it may quote an
    # answer or the respondent's e-mail); with no answer left there is nothing to exclude
    session.execute(delete(AnalysisExclusion).where(
        AnalysisExclusion.invitation_id == invitation.id))
    _erase_contact(session, invitation)
    invitation.status = "withdrawn"
    # every analysis kept for the study was computed with the erased answers
    session.execute(delete(AnalysisCache).where(AnalysisCache.study_id == invitation.study_id))
    session.add(Deletion(
        study_id=invitation.study_id, invitation_id=invitation.id,
        respondent_id=respondent.id if respondent is not None else None,
        reason=reason, channel=channel, actor=actor, n_answers=int(n_answers),
        n_pages=int(n_pages), deleted_at=now,
    ))  # fmt: skip
    return Erasure(respondent.id if respondent is not None else None, invitation.id,
                   int(n_answers), int(n_pages), now)  # fmt: skip


def withdraw(
    store: ResponseStore,
    token: str,
    *,
    reason: str = "withdrawn",
    channel: str = "link",
    actor: str | None = None,
    study: str | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Erase every answer of the invitation ``token`` and close the link.

    Works in any state (started, completed, screened out, expired); erasing an
    already withdrawn response again is harmless and logged again.

    Parameters
    ----------
    store
        The response store.
    token
        The invitation token.
    reason
        One of :data:`DELETION_REASONS`.
    channel
        One of :data:`DELETION_CHANNELS`.
    actor
        Who asked (e.g. the study lead's note); never the respondent's answers.
    study
        If given, the token must belong to this study (a guard for requests by e-mail).
    now
        Time of the erasure (for tests).

    Returns
    -------
    Erasure
        The counts of what was removed.
    """
    now = now or utcnow()
    with store.session() as session:
        invitation = find_invitation(session, token, for_update=True)
        if study is not None and session.get(Study, invitation.study_id).name != study:
            raise DataError(f"This invitation does not belong to study {study!r}.")
        erased = _erase(session, invitation, reason=reason, channel=channel, actor=actor,
                        now=now)  # fmt: skip
    scrub_erased(store.engine)
    return erased


def erasure_origin(store: ResponseStore, token: str) -> tuple[str, str] | None:
    """Why and through which channel the answers of the invitation ``token`` were last
    erased: ``(reason, channel)`` of its latest audit-log row, or None if they never were.

    The closed link's page tells the respondent who deleted (their own withdrawal through
    the link, or the study team on their request, at the end of the retention period or
    as a test response): a respondent whose answers a study lead deleted on request read
    that they had withdrawn.
    """
    with store.session() as session:
        invitation = find_invitation(session, token)
        row = session.execute(
            select(Deletion.reason, Deletion.channel)
            .where(Deletion.invitation_id == invitation.id)
            .order_by(Deletion.deleted_at.desc(), Deletion.id.desc())
            .limit(1)
        ).first()  # fmt: skip
    return None if row is None else (str(row[0]), str(row[1]))


def erase_invitation(
    store: ResponseStore,
    study: str,
    invitation_id: int,
    *,
    reason: str = "request",
    channel: str = "admin",
    actor: str | None = None,
) -> Erasure:
    """Erase the answers of one invitation of ``study``, chosen by its id (the cockpit's
    per-respondent action; tokens are stored only as hashes, so the study lead picks the
    row, not the link)."""
    with store.session() as session:
        st = _study(session, study)
        invitation = session.get(Invitation, int(invitation_id), with_for_update=True)
        if invitation is None or invitation.study_id != st.id:
            raise DataError(f"Study {study!r} has no invitation {invitation_id}.")
        erased = _erase(session, invitation, reason=reason, channel=channel, actor=actor,
                        now=utcnow())  # fmt: skip
    scrub_erased(store.engine)
    return erased


def delete_test_responses(store: ResponseStore, study: str, *, actor: str | None = None,
                          channel: str = "admin") -> int:  # fmt: skip
    """Erase every preview (test) response of a study; returns how many invitations."""
    now = utcnow()
    with store.session() as session:
        st = _study(session, study)
        tests = session.scalars(
            select(Invitation).where(Invitation.study_id == st.id, Invitation.is_test.is_(True),
                                     Invitation.status != "withdrawn")  # fmt: skip
        ).all()
        for invitation in tests:
            _erase(session, invitation, reason="test", channel=channel, actor=actor, now=now)
    if tests:
        scrub_erased(store.engine)
    return len(tests)


def erase_study_responses(store: ResponseStore, study: str, *, actor: str | None = None,
                          channel: str = "cli", now: datetime | None = None) -> int:  # fmt: skip
    """Erase every response of a study at the end of its retention period.

    The privacy notice's retention item tells respondents how long their answers are kept;
    this is how the study lead keeps that promise without dropping the database.  Every
    invitation not yet erased is erased as a withdrawal is (answers, page times, the
    contact list's entry, exclusion notes, cached analyses; reason ``retention`` in the
    audit log), also those never opened, whose links are then closed.  What stays is what
    a withdrawal leaves: the invitations (firm, alliance, language), the tombstones and
    the audit log.  A SQLite file's erased rows are overwritten; a PostgreSQL database
    keeps them until (auto)vacuum, and backups keep them until they expire.

    Returns
    -------
    int
        How many invitations were erased.
    """
    now = now or utcnow()
    with store.session() as session:
        st = _study(session, study)
        open_ones = session.scalars(
            select(Invitation).where(Invitation.study_id == st.id,
                                     Invitation.status != "withdrawn")  # fmt: skip
            .order_by(Invitation.id).with_for_update()
        ).all()
        for invitation in open_ones:
            _erase(session, invitation, reason="retention", channel=channel, actor=actor,
                   now=now)  # fmt: skip
    if open_ones:
        scrub_erased(store.engine)
    return len(open_ones)


def erasure_mark(store: ResponseStore, study: str) -> int:
    """The id of the study's latest erasure (0 before any): a file made from the study's
    data before it changes may hold answers that have since been erased."""
    with store.session() as session:
        st = _study(session, study)
        return int(session.scalar(select(func.max(Deletion.id))
                                  .where(Deletion.study_id == st.id)) or 0)  # fmt: skip


def deletion_log(store: ResponseStore, study: str) -> pd.DataFrame:
    """The audit log of erasures of a study, oldest first.

    Columns: ``deletion_id``, ``invitation_id``, ``respondent_id``, ``reason``,
    ``channel``, ``actor``, ``n_answers``, ``n_pages``, ``deleted_at``.
    """
    import pandas as pd

    columns = ["deletion_id", "invitation_id", "respondent_id", "reason", "channel", "actor",
               "n_answers", "n_pages", "deleted_at"]  # fmt: skip
    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(Deletion.id, Deletion.invitation_id, Deletion.respondent_id, Deletion.reason,
                   Deletion.channel, Deletion.actor, Deletion.n_answers, Deletion.n_pages,
                   Deletion.deleted_at)  # fmt: skip
            .where(Deletion.study_id == st.id)
            .order_by(Deletion.id)
        ).all()
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)


def tombstones(store: ResponseStore, study: str) -> pd.DataFrame:
    """Respondents whose answers were erased: ``respondent_id``, ``withdrawn_at`` only."""
    import pandas as pd

    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(Respondent.id, Respondent.withdrawn_at)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id, Respondent.withdrawn_at.is_not(None))
            .order_by(Respondent.id)
        ).all()
    return pd.DataFrame.from_records([tuple(r) for r in rows],
                                     columns=["respondent_id", "withdrawn_at"])  # fmt: skip
