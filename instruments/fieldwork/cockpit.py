"""One definition of where each invitation stands, for the dashboard, the exports and the report.

Fieldwork statuses (:data:`FIELDWORK_STATUSES`), each invitation in exactly one:

``invited``
    The link was created (and possibly mailed) but never opened.
``opened``
    The survey was opened, but consent has not been given (yet).
``consented``
    Consent was given; the survey is under way (not completed, not screened out).
``screened_out``
    The screening questions ended the survey (the respondent is not a key informant).
``declined_or_withdrawn``
    The respondent declined consent or withdrew afterwards (invitation status
    ``declined`` or ``withdrawn``; a withdrawal erases the answers).
``completed``
    Every page was submitted.
``expired``
    The link expired before the survey was completed.

Test invitations (the study lead's preview) are left out.  Pages are numbered from 1, as respondents see them ("Page 3 of 11"); ``last_page``
is the number of the last page submitted (0: none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from analysis.errors import AllianceSurveyError
from instruments.fieldwork.invitations import _study
from instruments.store.exclusions import AnalysisExclusion
from instruments.store.mailtables import Contact, MailLog, is_opted_out, optout_entries
from instruments.store.models import Answer, Invitation, PageSubmission, Respondent
from instruments.store.responses import ResponseStore

if TYPE_CHECKING:
    import pandas as pd

FIELDWORK_STATUSES = (
    "invited", "opened", "consented", "screened_out", "declined_or_withdrawn", "completed",
    "expired",
)  # fmt: skip
#: Labels for the dashboard.
STATUS_LABELS = {
    "invited": "Invited, not opened", "opened": "Opened, no consent yet",
    "consented": "Consented, in progress", "screened_out": "Screened out",
    "declined_or_withdrawn": "Declined or withdrew", "completed": "Completed",
    "expired": "Expired",
}  # fmt: skip


def _consent(instrument: Any) -> tuple[str, int]:
    consent = getattr(instrument, "consent", None)
    if consent is not None and hasattr(consent, "question"):
        return str(consent.question), int(consent.accept_value)
    return "consent", 1  # instruments without a consent declaration: a boolean item "consent"


def fieldwork_status(invitation_status: str, opened: bool, consented: bool) -> str:
    """The fieldwork status of one invitation (see the module notes)."""
    if invitation_status in ("completed", "screened_out", "expired"):
        return invitation_status
    if invitation_status in ("declined", "withdrawn"):
        return "declined_or_withdrawn"
    if not opened:
        return "invited"
    return "consented" if consented else "opened"


def respondent_table(store: ResponseStore, study: str) -> pd.DataFrame:
    """One row per invitation: its fieldwork status, progress, times and mail state.

    Columns: ``invitation_id``, ``respondent_id``, ``alliance_id``, ``firm_role``,
    ``partner_name``, ``language``, ``email`` and ``name`` (for invitations from a
    contact list), ``status`` (one of :data:`FIELDWORK_STATUSES`), ``last_page``
    (1-based number of the last page submitted; 0 for none), ``last_page_id``,
    ``n_pages``, ``started_at``, ``last_activity_at``, ``completed_at``,
    ``duration_min`` (start to completion, or to the last activity while under way),
    ``mails_sent``, ``opted_out``, ``in_analysis`` (false when the study lead excluded
    the response from the analysis) and ``exclusion_reason``.
    """
    import numpy as np
    import pandas as pd

    question, accept = _consent(store.instrument)
    pages = list(store.pages)
    with store.session() as session:
        st = _study(session, study)
        rows = session.execute(
            select(Invitation, Respondent)
            .outerjoin(Respondent, Respondent.invitation_id == Invitation.id)
            # the study lead's preview responses are not fieldwork
            .where(Invitation.study_id == st.id, Invitation.is_test.is_(False))
            .order_by(Invitation.id)
        ).all()
        last_sub = dict(session.execute(
            select(PageSubmission.respondent_id, func.max(PageSubmission.page_index))
            .join(Respondent, PageSubmission.respondent_id == Respondent.id)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id)
            .group_by(PageSubmission.respondent_id)
        ).all())  # fmt: skip
        newest_consent = (
            select(func.max(Answer.id))
            .join(Respondent, Answer.respondent_id == Respondent.id)
            .join(Invitation, Respondent.invitation_id == Invitation.id)
            .where(Invitation.study_id == st.id, Answer.item_id == question)
            .group_by(Answer.respondent_id)
        )
        consent = dict(session.execute(
            select(Answer.respondent_id, Answer.value_int).where(Answer.id.in_(newest_consent))
        ).all())  # fmt: skip
        contacts = {c.invitation_id: c for c in session.scalars(
            select(Contact).where(Contact.study_id == st.id))}  # fmt: skip
        sent = dict(session.execute(
            select(MailLog.invitation_id, func.count(MailLog.id))
            .where(MailLog.study_id == st.id, MailLog.status == "sent")
            .group_by(MailLog.invitation_id)
        ).all())  # fmt: skip
        optouts = optout_entries(session, st.id)
        study_id = st.id
        excluded = dict(session.execute(
            select(AnalysisExclusion.invitation_id, AnalysisExclusion.reason)
            .where(AnalysisExclusion.study_id == st.id, AnalysisExclusion.restored_at.is_(None))
        ).all())  # fmt: skip
    records = []
    for inv, resp in rows:
        rid = resp.id if resp is not None else None
        consented = rid is not None and consent.get(rid) == accept
        status = fieldwork_status(inv.status, resp is not None, consented)
        last_index = last_sub.get(rid) if rid is not None else None
        last_page = 0 if last_index is None else int(last_index) + 1
        end = None
        if resp is not None:
            end = resp.completed_at or resp.last_activity_at
        contact = contacts.get(inv.id)
        records.append({
            "invitation_id": inv.id, "respondent_id": rid, "alliance_id": inv.alliance_id,
            "firm_role": inv.firm_role, "partner_name": inv.partner_name,
            "language": inv.language,
            "email": contact.email if contact else None,
            "name": contact.name if contact else None,
            "status": status, "last_page": last_page,
            "last_page_id": pages[last_page - 1].id if 0 < last_page <= len(pages) else None,
            "n_pages": len(pages),
            "started_at": resp.started_at if resp else None,
            "last_activity_at": resp.last_activity_at if resp else None,
            "completed_at": resp.completed_at if resp else None,
            "duration_min": (end - resp.started_at).total_seconds() / 60.0 if end else np.nan,
            "mails_sent": int(sent.get(inv.id, 0)),
            "opted_out": bool(contact and is_opted_out(optouts, study_id, contact.email)),
            "in_analysis": inv.id not in excluded,
            "exclusion_reason": excluded.get(inv.id),
        })  # fmt: skip
    columns = ["invitation_id", "respondent_id", "alliance_id", "firm_role", "partner_name",
               "language", "email", "name", "status", "last_page", "last_page_id", "n_pages",
               "started_at", "last_activity_at", "completed_at", "duration_min", "mails_sent",
               "opted_out", "in_analysis", "exclusion_reason"]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["respondent_id"] = pd.to_numeric(frame["respondent_id"]).astype("float64")
    return frame


def status_summary(store: ResponseStore, study: str) -> pd.DataFrame:
    """Invitations per fieldwork status, every status listed (zeros included).

    Columns: ``status``, ``label``, ``n``, ``share`` (of all invitations).
    """
    import numpy as np
    import pandas as pd

    table = respondent_table(store, study)
    n_all = len(table)
    records = []
    for status in FIELDWORK_STATUSES:
        n = int((table["status"] == status).sum())
        records.append({"status": status, "label": STATUS_LABELS[status], "n": n,
                        "share": n / n_all if n_all else np.nan})  # fmt: skip
    return pd.DataFrame.from_records(records, columns=["status", "label", "n", "share"])


def dropoff_curve(store: ResponseStore, study: str) -> pd.DataFrame:
    """Of the respondents who consented, how many are still answering on each page.

    One row per page as respondents number them (1 = the first page): ``page``,
    ``page_id``, ``title`` (the section title, English), ``n_answering`` (consented
    respondents who submitted this page or a later one) and ``share`` (of those who
    consented).  Respondents screened out, declined or withdrawn are not in the base:
    the survey ended for them by design or their answers are erased; the share falls
    only where people stopped on their own.
    """
    import numpy as np
    import pandas as pd

    table = respondent_table(store, study)
    base = table[table["status"].isin(("consented", "completed"))]
    n_base = len(base)
    records = []
    for number, spec in enumerate(store.pages, start=1):
        try:
            title = store.instrument.section(spec.id).title["en"]
        except (AllianceSurveyError, AttributeError, KeyError, TypeError):
            title = spec.id
        n = int((base["last_page"] >= number).sum())
        records.append({"page": number, "page_id": spec.id, "title": title, "n_answering": n,
                        "share": n / n_base if n_base else np.nan})  # fmt: skip
    return pd.DataFrame.from_records(
        records, columns=["page", "page_id", "title", "n_answering", "share"])


def study_names(store: ResponseStore) -> list[str]:
    """Names of the studies in the store, alphabetically (for the login form)."""
    from instruments.store.models import Study

    with store.session() as session:
        return list(session.scalars(select(Study.name).order_by(Study.name)))


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 respondent"``, ``"2 respondents"``, ``"1 second"``: numbers with the right noun."""
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"


__all__ = [
    "FIELDWORK_STATUSES",
    "STATUS_LABELS",
    "dropoff_curve",
    "fieldwork_status",
    "plural",
    "respondent_table",
    "status_summary",
    "study_names",
]
