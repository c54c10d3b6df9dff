"""What the study lead can do to one respondent from the cockpit (app and command line).

- :func:`resend_invitation` mails the invitation again (a lost or deleted e-mail);
- :func:`remind_one` sends one reminder now, whatever the reminder schedule says;
- :func:`exclude_from_analysis` takes a response out of the analysis with a reason,
  :func:`include_in_analysis` takes that back (with a reason too);
- :func:`correct_answers` corrects answers a respondent asks to have corrected (the right
  to rectification the privacy notice names), with a reason; :func:`correction_log`
  lists them;
- :func:`extend_invitation` keeps a link open longer, or opens an expired one again, so
  that a respondent cut off part-way can finish with the answers already given.

An exclusion never deletes anything: the answers stay in the store and in the
exports, whose ``in_analysis`` column is then 0, and
:meth:`~instruments.store.ResponseStore.wide` leaves the respondent out of the
analysis input.  Both decisions stay in :func:`exclusion_log`.  Withdrawing and
deleting a response is :func:`instruments.store.rights.erase_invitation`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from analysis.errors import DataError, clip
from instruments.fieldwork.invitations import _study
from instruments.store.exclusions import (
    CORRECTION_KEY,
    REASON_MAX,
    AnalysisExclusion,
    AnswerCorrection,
)
from instruments.store.mailtables import Contact
from instruments.store.models import Answer, Invitation, utcnow
from instruments.store.responses import ResponseStore, _value_of

if TYPE_CHECKING:
    import pandas as pd

    from instruments.fieldwork.mail import MailRun


@dataclass(frozen=True)
class Exclusion:
    """The current exclusion of one invitation (``None`` fields: not excluded)."""

    invitation_id: int
    reason: str
    actor: str | None
    excluded_at: Any


def _reason(reason: str | None, what: str) -> str:
    if reason is not None and not isinstance(reason, str):  # 5.strip(): AttributeError
        raise DataError(f"The reason for {what} must be text, not {type(reason).__name__}.")
    text = (reason or "").strip()
    if not text:
        raise DataError(f"Give a reason for {what}; it is kept in the audit log.")
    if len(text) > REASON_MAX:
        raise DataError(f"The reason has {len(text)} characters; at most {REASON_MAX} are kept.")
    from instruments.store.limits import encoding_problem, line_problem

    why = encoding_problem(text) or line_problem(text)  # control characters (ESC, ...)
    if why:
        raise DataError(f"The reason {why}; it cannot be kept in the audit log.")
    return text


#: Largest invitation number the store can hold (SQLite's and PostgreSQL's 64-bit integer).
MAX_INVITATION_ID = 2**63 - 1


def invitation_number(invitation_id: object) -> int:
    """``invitation_id`` as a whole number the store can look up (digits as text pass).

    ``None`` ended in int()'s TypeError and 2**70 in the driver's OverflowError; ``True``
    and ``2.7`` were taken as invitation 1 and 2.
    """
    value = invitation_id
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if (not isinstance(value, numbers.Integral) or isinstance(value, bool)
            or not 1 <= int(value) <= MAX_INVITATION_ID):
        raise DataError(f"The invitation number must be a whole number from 1 to "
                        f"{MAX_INVITATION_ID}, not {clip(invitation_id)}.")
    return int(value)


def _invitation(session: Any, study_id: int, invitation_id: int) -> Invitation:
    invitation_id = invitation_number(invitation_id)
    inv = session.get(Invitation, invitation_id)
    if inv is None or inv.study_id != study_id or inv.is_test:
        raise DataError(f"There is no invitation #{invitation_id} in this study.")
    return inv


def _current(session: Any, invitation_id: int) -> AnalysisExclusion | None:
    return session.scalars(
        select(AnalysisExclusion).where(AnalysisExclusion.invitation_id == invitation_id,
                                        AnalysisExclusion.restored_at.is_(None))
    ).first()  # fmt: skip


def _refuse_withdrawn(inv: Invitation) -> None:
    """An invitation whose answers were erased has nothing to exclude or include: a
    study lead whose page was opened before another lead erased them was told "its
    answers stay in the store and in the exports", and a new exclusion reason was stored
    where the erasure had deleted the old ones."""
    if inv.status == "withdrawn":
        raise DataError(f"Invitation #{inv.id} was withdrawn and its answers deleted; there "
                        "is nothing to exclude from or include in the analysis.")


def exclude_from_analysis(
    store: ResponseStore, study: str, invitation_id: int, reason: str,
    *, actor: str | None = None,
) -> Exclusion:
    """Leave one invitation's response out of the analysis, for the reason given.

    Raises
    ------
    DataError
        Without a reason, for an unknown invitation, or when it is excluded already.
    """
    text = _reason(reason, "excluding a respondent from the analysis")
    with store.session() as session:
        st = _study(session, study)
        inv = _invitation(session, st.id, invitation_id)
        _refuse_withdrawn(inv)
        if _current(session, inv.id) is not None:
            raise DataError(f"Invitation #{inv.id} is excluded from the analysis already.")
        from instruments.store.limits import check_text

        who = check_text(actor, "deletion_actor", "The name of who decides", required=False)
        row = AnalysisExclusion(study_id=st.id, invitation_id=inv.id, reason=text,
                                actor=who,
                                excluded_at=utcnow())  # fmt: skip
        session.add(row)
        session.flush()
        return Exclusion(inv.id, row.reason, row.actor, row.excluded_at)


def include_in_analysis(
    store: ResponseStore, study: str, invitation_id: int, reason: str,
    *, actor: str | None = None,
) -> None:
    """Take an exclusion back; the exclusion and its reversal both stay in the log.

    Raises
    ------
    DataError
        Without a reason, for an unknown invitation, or when it is not excluded.
    """
    text = _reason(reason, "taking an exclusion back")
    with store.session() as session:
        st = _study(session, study)
        inv = _invitation(session, st.id, invitation_id)
        _refuse_withdrawn(inv)
        row = _current(session, inv.id)
        if row is None:
            raise DataError(f"Invitation #{inv.id} is not excluded from the analysis.")
        from instruments.store.limits import check_text

        who = check_text(actor, "deletion_actor", "The name of who decides", required=False)
        kept = f"{text} ({who})" if who else text
        if len(kept) > REASON_MAX:  # it had been cut to the column without a word
            raise DataError(f"The reason with the name has {len(kept)} characters; at most "
                            f"{REASON_MAX} are kept.")
        row.restored_at = utcnow()
        row.restore_reason = kept


def exclusions(store: ResponseStore, study: str) -> dict[int, Exclusion]:
    """The invitations excluded from the analysis now, by invitation id."""
    with store.session() as session:
        st = _study(session, study)
        rows = session.scalars(
            select(AnalysisExclusion).where(AnalysisExclusion.study_id == st.id,
                                            AnalysisExclusion.restored_at.is_(None))
        ).all()  # fmt: skip
        return {r.invitation_id: Exclusion(r.invitation_id, r.reason, r.actor, r.excluded_at)
                for r in rows}  # fmt: skip


def exclusion_log(store: ResponseStore, study: str) -> pd.DataFrame:
    """Every exclusion of the study, oldest first, with its reversal if any.

    Columns: ``invitation_id``, ``reason``, ``actor``, ``excluded_at``, ``restored_at``,
    ``restore_reason``.
    """
    return _audit_log(store, study, AnalysisExclusion, [
        "invitation_id", "reason", "actor", "excluded_at", "restored_at", "restore_reason"])


def _audit_log(store: ResponseStore, study: str, table: Any, columns: list[str],
               ) -> pd.DataFrame:  # fmt: skip
    """The rows of an audit ``table`` of the study, oldest first, as a DataFrame."""
    import pandas as pd

    with store.session() as session:
        st = _study(session, study)
        rows = session.scalars(
            select(table).where(table.study_id == st.id).order_by(table.id)).all()
        records = [{c: getattr(r, c) for c in columns} for r in rows]
    return pd.DataFrame.from_records(records, columns=columns)


def _contact_of(store: ResponseStore, study: str, invitation_id: int) -> int:
    with store.session() as session:
        st = _study(session, study)
        inv = _invitation(session, st.id, invitation_id)
        cid = session.scalars(select(Contact.id).where(Contact.invitation_id == inv.id)).first()
        if cid is None:
            raise DataError(f"Invitation #{inv.id} has no e-mail address (it was not created "
                            "from a contact list); pass its link on by hand.")  # fmt: skip
        return int(cid)


def _checked(run: MailRun, invitation_id: int, what: str) -> MailRun:
    if not run.outcomes:
        raise DataError(f"Invitation #{invitation_id} gets no {what}: the survey is completed, "
                        "screened out, withdrawn or expired, or a message to it is still being "
                        "sent.")  # fmt: skip
    return run


def resend_invitation(
    store: ResponseStore, study: str, invitation_id: int, **mail_options: Any
) -> MailRun:
    """E-mail the invitation of ``invitation_id`` again (also when it was sent before).

    Opted-out addresses get nothing (the run says so); ``mail_options`` go to
    :func:`instruments.fieldwork.mail.send_invitations` (``smtp=``, ``dry_run=``, ...).
    """
    from instruments.fieldwork.mail import send_invitations

    cid = _contact_of(store, study, invitation_id)
    run = send_invitations(store, study, contact_ids={cid}, resend=True, **mail_options)
    return _checked(run, invitation_id, "invitation")


def remind_one(
    store: ResponseStore, study: str, invitation_id: int, **mail_options: Any
) -> MailRun:
    """Send one reminder to ``invitation_id`` now, whenever the last message went out and
    however many reminders it had (the study lead decides; opt-outs still get nothing)."""
    from instruments.fieldwork.mail import send_reminders

    cid = _contact_of(store, study, invitation_id)
    run = send_reminders(store, study, contact_ids={cid}, after_days=0.0,
                         max_reminders=10**6, **mail_options)  # fmt: skip
    return _checked(run, invitation_id, "reminder")


#: Longest extension of a link at once, in days (a year: a fieldwork period).
MAX_EXTEND_DAYS = 366


def extend_invitation(store: ResponseStore, study: str, invitation_id: int, days: int,
                      *, now: Any = None) -> Any:
    """Keep the link of ``invitation_id`` open until ``days`` from now; returns the new
    expiry (UTC).

    A link that expired is opened again, with its answers as they were: the respondent
    continues on the page they left (status ``started``), or starts afresh if they never
    began (``invited``).  A completed, screened-out or withdrawn invitation is closed for
    good and is refused, as is a number of days that is not a whole number from 1 to
    :data:`MAX_EXTEND_DAYS`.
    """
    from datetime import timedelta

    if (isinstance(days, bool) or not isinstance(days, numbers.Integral)
            or not 1 <= int(days) <= MAX_EXTEND_DAYS):
        raise DataError(f"The link can be extended by 1 to {MAX_EXTEND_DAYS} whole days, "
                        f"not {clip(days)}.")
    now = utcnow() if now is None else now
    with store.session() as session:
        inv = _invitation(session, _study(session, study).id, invitation_id)
        if inv.status in ("completed", "screened_out", "withdrawn"):
            what = {"completed": "the survey was completed",
                    "screened_out": "the respondent was screened out",
                    "withdrawn": "the respondent withdrew and the answers were deleted"}
            raise DataError(f"Invitation #{inv.id} is closed for good ({what[inv.status]}); "
                            "its link cannot be extended.")
        until = now + timedelta(days=int(days))
        inv.expires_at = until
        if inv.status == "expired":
            inv.status = "started" if inv.respondent is not None else "invited"
    return until


__all__ = [
    "Exclusion",
    "exclude_from_analysis",
    "extend_invitation",
    "exclusion_log",
    "exclusions",
    "include_in_analysis",
    "remind_one",
    "resend_invitation",
]


def uncorrectable(instrument: Any) -> set[str]:
    """The questions :func:`correct_answers` refuses: consent (withdrawal is its way) and
    screening (it decides whether the survey went on)."""
    return {getattr(getattr(instrument, part, None), "question", None)
            for part in ("consent", "screening")} - {None}


@dataclass(frozen=True)
class Correction:
    """Answers corrected at once: the values before and after, by item id (``None``: no
    answer)."""

    invitation_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    corrected_at: Any


def correct_answers(
    store: ResponseStore, study: str, invitation_id: int, changes: Any, reason: str,
    *, actor: str | None = None,
) -> Correction:
    """Correct answers of one respondent at their request, for the reason given.

    The corrections are checked as the survey checks a page (codes, ranges, lengths,
    what the survey logic shows this respondent) and stored like a page sent again: new
    answers beside the old ones in the answer log, so the audit keeps both values, and
    :func:`correction_log` keeps the reason.  The respondent's progress, page times and
    completion are not changed.

    Parameters
    ----------
    store
        The response store.
    study, invitation_id
        The study and the invitation (the dashboard's ``invitation_id``).
    changes
        Item id to the corrected value (as the survey stores it: the code of a response
        option, a number, a text; text such as ``"5"`` is read as the item's kind needs).
        ``None`` or an empty text removes an answer that is not required.
    reason
        Why (the respondent's request: when and how); kept in the audit log.
    actor
        Who corrected it (kept in the audit log).

    Raises
    ------
    DataError
        Without a reason or changes, for an unknown or withdrawn invitation, a respondent
        who has not answered, an item that is not in the questionnaire or on a page the
        respondent has not sent, or the consent and screening questions (withdrawal and
        screening have their own ways).
    PageValidationError
        For a value the question does not accept; nothing is stored then.
    """
    import uuid

    from instruments.store.limits import check_text
    from instruments.store.models import PageSubmission, Respondent, Wave
    from instruments.store.pages import validate_page

    text = _reason(reason, "correcting an answer")
    who = check_text(actor, "deletion_actor", "The name of who corrected it", required=False)
    if not hasattr(changes, "items") or not changes:
        raise DataError("Name at least one answer to correct (ITEM=VALUE).")
    changes = {str(k): v for k, v in changes.items()}
    with store.session() as session:
        st = _study(session, study)
        inv = _invitation(session, st.id, invitation_id)
        if inv.status == "withdrawn":
            raise DataError(f"Invitation #{inv.id} was withdrawn and its answers deleted; "
                            "there is nothing to correct.")
        resp = session.scalars(select(Respondent).where(Respondent.invitation_id == inv.id)
                               ).one_or_none()  # fmt: skip
        if resp is None:
            raise DataError(f"Invitation #{inv.id} has not answered yet; there is nothing to "
                            "correct.")
        wave = session.get(Wave, inv.wave_id)
        digest = (wave.instrument_hash if wave is not None and wave.instrument_hash
                  else st.instrument_hash)
        served = store.for_version(str(digest))
        if served is None:
            raise DataError(f"Invitation #{inv.id} was answered with an instrument version "
                            "this installation does not have; it cannot be corrected here.")
        inst = served.instrument
        protected = uncorrectable(inst)
        by_page: dict[int, dict[str, Any]] = {}
        unknown = []
        for item, value in changes.items():
            spec = next((p for p in served.pages if p.field(item) is not None), None)
            if spec is None:
                unknown.append(item)
                continue
            if item in protected:
                raise DataError(
                    f"{item!r} answers the consent or screening question; it cannot be "
                    "corrected (a respondent who takes consent back withdraws: "
                    "'alliance-survey delete').")
            if (isinstance(value, str) and getattr(spec.field(item), "kind", "text") != "text"
                    and (not value.isascii() or "_" in value)):
                # int() and float() read other scripts' digits ('\uff13' is 3) and digit
                # groups ('1_0' is 10): such a code was stored without a word, while the
                # same text in a data file is no number
                raise DataError(f"{item!r} takes a number written with the digits 0-9, not "
                                f"{clip(value)}; nothing was corrected.")
            by_page.setdefault(spec.index, {})[item] = value
        if unknown:
            raise DataError(f"Not in the questionnaire of invitation #{inv.id}: "
                            f"{', '.join(clip(u) for u in unknown[:5])}"
                            f"{' ...' if len(unknown) > 5 else ''}.")
        sent = set(session.scalars(select(PageSubmission.page)
                                   .where(PageSubmission.respondent_id == resp.id)))
        latest = served._latest_answers(session, [resp.id]).get(resp.id, {})
        lang = resp.language or inv.language
        now = utcnow()
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        rows = []
        for index in sorted(by_page):
            spec = served.pages[index]
            if spec.id not in sent:
                raise DataError(f"Invitation #{inv.id} has not sent page {spec.id!r}; only "
                                "answers already given can be corrected.")
            earlier = {k: v for k, v in latest.items() if k in served._fields_before(index)}
            hidden = set(spec.hidden(earlier))
            page = {f.id: latest.get(f.id) for f in spec.fields if f.id not in hidden}
            page.update(by_page[index])
            valid = {v.item_id: v for v in validate_page(spec, page, earlier, language=lang)}
            for item in by_page[index]:
                old = latest.get(item)
                v = valid.get(item)
                new = None if v is None else _value_of(v.value_text, v.value_num, v.value_int)
                if new == old:
                    continue
                before[item], after[item] = old, new
                rows.append((spec, item, v))
        if not rows:
            raise DataError("Every value given is the answer stored already; nothing was "
                            "changed.")
        subs: dict[str, int] = {}
        for spec, item, v in rows:
            if spec.id not in subs:
                sub = PageSubmission(
                    respondent_id=resp.id, page=spec.id, page_index=spec.index,
                    submission_key=f"{CORRECTION_KEY}{uuid.uuid4().hex}", shown_at=None,
                    submitted_at=now, duration_sec=None,
                    n_answers=sum(1 for s, _, _ in rows if s.id == spec.id),
                    next_page=resp.current_page, language=None)  # fmt: skip
                session.add(sub)
                session.flush()
                subs[spec.id] = sub.id
            session.add(Answer(
                respondent_id=resp.id, submission_id=subs[spec.id], item_id=item,
                value_int=None if v is None else v.value_int,
                value_num=None if v is None else v.value_num,
                value_text=None if v is None else v.value_text,
                page=spec.id, position=None, answered_at=None, submitted_at=now))
            session.add(AnswerCorrection(study_id=st.id, invitation_id=inv.id, item_id=item,
                                         reason=text, actor=who, corrected_at=now))
        return Correction(inv.id, before, after, now)


def correction_log(store: ResponseStore, study: str) -> pd.DataFrame:
    """Every corrected answer of the study, oldest first: ``invitation_id``, ``item_id``,
    ``reason``, ``actor``, ``corrected_at`` (the values are in the answer log)."""
    return _audit_log(store, study, AnswerCorrection,
                      ["invitation_id", "item_id", "reason", "actor", "corrected_at"])
