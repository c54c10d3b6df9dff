"""What the study lead can do to one respondent from the cockpit (app and command line).

- :func:`resend_invitation` mails the invitation again (a lost or deleted e-mail);
- :func:`remind_one` sends one reminder now, whatever the reminder schedule says;
- :func:`exclude_from_analysis` takes a response out of the analysis with a reason,
  :func:`include_in_analysis` takes that back (with a reason too).

An exclusion never deletes anything: the answers stay in the store and in the
exports, whose ``in_analysis`` column is then 0, and
:meth:`~instruments.store.ResponseStore.wide` leaves the respondent out of the
analysis input.  Both decisions stay in :func:`exclusion_log`.  Withdrawing and
deleting a response is :func:`instruments.store.rights.erase_invitation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from analysis.errors import DataError
from instruments.fieldwork.invitations import _study
from instruments.store.exclusions import REASON_MAX, AnalysisExclusion
from instruments.store.mailtables import Contact
from instruments.store.models import Invitation, utcnow
from instruments.store.responses import ResponseStore

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


def _invitation(session: Any, study_id: int, invitation_id: int) -> Invitation:
    inv = session.get(Invitation, int(invitation_id))
    if inv is None or inv.study_id != study_id or inv.is_test:
        raise DataError(f"There is no invitation #{invitation_id} in this study.")
    return inv


def _current(session: Any, invitation_id: int) -> AnalysisExclusion | None:
    return session.scalars(
        select(AnalysisExclusion).where(AnalysisExclusion.invitation_id == invitation_id,
                                        AnalysisExclusion.restored_at.is_(None))
    ).first()  # fmt: skip


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
        if _current(session, inv.id) is not None:
            raise DataError(f"Invitation #{inv.id} is excluded from the analysis already.")
        row = AnalysisExclusion(study_id=st.id, invitation_id=inv.id, reason=text,
                                actor=(actor or "").strip()[:200] or None,
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
        row = _current(session, inv.id)
        if row is None:
            raise DataError(f"Invitation #{inv.id} is not excluded from the analysis.")
        row.restored_at = utcnow()
        who = (actor or "").strip()
        row.restore_reason = (f"{text} ({who})" if who else text)[:REASON_MAX]


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
    import pandas as pd

    columns = ["invitation_id", "reason", "actor", "excluded_at", "restored_at",
               "restore_reason"]  # fmt: skip
    with store.session() as session:
        st = _study(session, study)
        rows = session.scalars(
            select(AnalysisExclusion).where(AnalysisExclusion.study_id == st.id)
            .order_by(AnalysisExclusion.id)
        ).all()  # fmt: skip
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


__all__ = [
    "Exclusion",
    "exclude_from_analysis",
    "exclusion_log",
    "exclusions",
    "include_in_analysis",
    "remind_one",
    "resend_invitation",
]
