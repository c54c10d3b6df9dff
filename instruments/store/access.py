"""The respondent's copy of their data (GDPR Art. 15 access, Art. 20 portability).

The privacy notice on the consent page tells respondents that they may see their data.
:func:`respondent_copy` gathers everything the store holds about one invitation, in the
respondent's language and in a machine-readable form (JSON):

- ``about``: the study, the invitation (firm, alliance, role, language, status) and the
  times the survey was opened, last used, completed or withdrawn;
- ``answers``: every stored answer, oldest first, with the question's wording as the
  respondent saw it, the stored value and its label (an answer changed with "Back" appears
  once per version, as the answer log keeps it);
- ``pages``: when each page was sent and the time spent on it;
- ``contact`` and ``messages``: the study lead's contact entry (address, name, firm),
  whether the address asked for no further mail, and the e-mails sent to it, when the
  invitation was mailed from a contact list;
- ``exclusions`` and ``corrections``: the study lead's decisions about the response
  (left out of the analysis, answers corrected at the respondent's request), with the
  reasons the study lead wrote down, since those notes are about the respondent too.

A respondent downloads it from the survey ("Download a copy of my answers", by the
personal link); the study lead makes it for a request by e-mail (``alliance-survey
respondent --copy``, or the cockpit), picking the invitation by its id, since tokens are
stored only as hashes.  Nothing is written.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from analysis.errors import DataError
from instruments.store.exclusions import CORRECTION_KEY, AnalysisExclusion, AnswerCorrection
from instruments.store.mailtables import Contact, MailLog, is_opted_out, optout_entries
from instruments.store.models import Answer, Invitation, PageSubmission, Study, utcnow
from instruments.store.responses import _value_of
from instruments.store.tokens import find_invitation

if TYPE_CHECKING:
    from instruments.store.responses import ResponseStore

#: Version of the copy's layout (a key of the file, for anyone reading it by program).
COPY_FORMAT = 1


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _wording(store: ResponseStore, invitation: Invitation, study: Study, lang: str,
             ) -> tuple[dict[str, str], dict[str, dict[Any, str]]]:  # fmt: skip
    """``(question text, value labels)`` by variable, of the instrument version the
    respondent answered (their wave's, else the study's) and in their language."""
    from instruments.instrument.codebook import variables_table

    served = store.for_version(str(invitation.wave.instrument_hash or study.instrument_hash))
    served = served if served is not None else store
    inst = served.instrument
    if lang not in inst.languages:
        lang = inst.languages[0]
    table = variables_table(inst, lang)
    texts: dict[str, str] = {}
    labels: dict[str, dict[Any, str]] = {}
    for row in table.itertuples(index=False):
        if row.kind == "paradata":
            continue
        texts[row.variable] = str(row.label)
        if isinstance(row.value_labels, dict):
            labels[row.variable] = dict(row.value_labels)
    return texts, labels


def respondent_copy(
    store: ResponseStore,
    token: str | None = None,
    *,
    study: str | None = None,
    invitation_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything the store holds about one invitation (see the module docstring).

    Parameters
    ----------
    store
        The response store.
    token
        The personal link's token (the respondent's own request), or
    study, invitation_id
        the study and the invitation's id (the study lead's, for a request by e-mail).
    now
        The time the copy is made (for tests).

    Returns
    -------
    dict
        ``format``, ``made_at``, ``about``, ``answers``, ``pages``, ``contact``,
        ``messages``, ``exclusions``, ``corrections`` (JSON-serialisable).

    Raises
    ------
    ResponseError
        The token is unknown.
    DataError
        Neither a token nor a study and an invitation id are given, or the study has no
        such invitation.
    """
    if token is None and (study is None or invitation_id is None):
        raise DataError("Give the personal link's token, or the study and the invitation id.")
    now = now or utcnow()
    with store.session(read_only=True) as session:
        if token is not None:
            invitation = find_invitation(session, token)
        else:
            st = session.scalars(select(Study).where(Study.name == study)).one_or_none()
            if st is None:
                raise DataError(f"There is no study {study!r} in this store.")
            invitation = session.get(Invitation, int(invitation_id))
            if invitation is None or invitation.study_id != st.id:
                raise DataError(f"Study {study!r} has no invitation {invitation_id}.")
        st = session.get(Study, invitation.study_id)
        resp = invitation.respondent
        lang = (resp.language if resp is not None and resp.language else invitation.language)
        texts, labels = _wording(store, invitation, st, lang)
        about = {
            "study": st.name,
            "invitation_id": invitation.id,
            "alliance_id": invitation.alliance_id,
            "firm_role": invitation.firm_role,
            "partner_firm": invitation.partner_name,
            "language": lang,
            "status": invitation.status,
            "invited_at": _iso(invitation.created_at),
            "link_expires_at": _iso(invitation.expires_at),
            # a withdrawal erases when the survey was first opened (the store keeps the
            # moment of withdrawal in its place): the copy said the respondent had first
            # opened the survey when they withdrew
            "first_opened_at": _iso(resp.started_at)
            if resp is not None and resp.withdrawn_at is None else None,
            "last_activity_at": _iso(resp.last_activity_at)
            if resp is not None and resp.withdrawn_at is None else None,
            "completed_at": _iso(resp.completed_at) if resp is not None else None,
            "withdrawn_at": _iso(resp.withdrawn_at) if resp is not None else None,
            "preview_response": bool(invitation.is_test),
        }
        answers: list[dict[str, Any]] = []
        pages: list[dict[str, Any]] = []
        # a study lead's correction is stored as a page sent under a key of its own: the
        # copy showed the respondent's 4.0 and the study lead's 2.5 as two alike rows,
        # neither marked as the correction nor as the answer that counts (walk 14)
        by_lead: set[int] = set()
        changed: dict[tuple[str, str | None], tuple[Any, Any]] = {}
        if resp is not None:
            subs = list(session.scalars(select(PageSubmission)
                                        .where(PageSubmission.respondent_id == resp.id)
                                        .order_by(PageSubmission.id)))  # fmt: skip
            by_lead = {p.id for p in subs if p.submission_key.startswith(CORRECTION_KEY)}
            last_row: dict[str, dict[str, Any]] = {}
            for a in session.scalars(select(Answer).where(Answer.respondent_id == resp.id)
                                     .order_by(Answer.id)):  # fmt: skip
                value = _value_of(a.value_text, a.value_num, a.value_int)
                label = labels.get(a.item_id, {}).get(value) if value is not None else None
                row = {
                    "page": a.page,
                    "question_id": a.item_id,
                    "question": texts.get(a.item_id, a.item_id),
                    "answer": value,
                    "answer_label": label,
                    # a row without a value: the respondent emptied the answer later
                    "taken_back": value is None,
                    "answered_at": _iso(a.answered_at),
                    "sent_at": _iso(a.submitted_at),
                    "source": ("study lead's correction" if a.submission_id in by_lead
                               else "respondent"),
                    "current": False,
                }
                if a.submission_id in by_lead:
                    earlier = last_row.get(a.item_id)
                    changed[(a.item_id, _iso(a.submitted_at))] = (
                        None if earlier is None else earlier["answer"], value)
                answers.append(row)
                last_row[a.item_id] = row
            for row in last_row.values():  # the answer each question has now
                row["current"] = True
            for p in subs:
                pages.append({"page": p.page, "shown_at": _iso(p.shown_at),
                              "sent_at": _iso(p.submitted_at),
                              "seconds_on_page": p.duration_sec, "answers": p.n_answers,
                              "language": p.language})  # fmt: skip
        contact = session.scalars(select(Contact).where(Contact.invitation_id == invitation.id)
                                  ).one_or_none()  # fmt: skip
        opted_out = contact is not None and is_opted_out(
            optout_entries(session, invitation.study_id), invitation.study_id, contact.email)
        exclusions = [{"reason": e.reason, "excluded_at": _iso(e.excluded_at),
                       "taken_back_at": _iso(e.restored_at),
                       "taken_back_reason": e.restore_reason}
                      for e in session.scalars(select(AnalysisExclusion).where(
                          AnalysisExclusion.invitation_id == invitation.id)
                          .order_by(AnalysisExclusion.id))]  # fmt: skip
        corrections = [{"question_id": c.item_id,
                        "question": texts.get(c.item_id, c.item_id),
                        "before": changed.get((c.item_id, _iso(c.corrected_at)), (None,))[0],
                        "after": changed.get((c.item_id, _iso(c.corrected_at)), (None, None))[1],
                        "reason": c.reason, "corrected_at": _iso(c.corrected_at)}
                       for c in session.scalars(select(AnswerCorrection).where(
                           AnswerCorrection.invitation_id == invitation.id)
                           .order_by(AnswerCorrection.id))]  # fmt: skip
        messages = []
        if contact is not None:
            for m in session.scalars(select(MailLog).where(MailLog.contact_id == contact.id)
                                     .order_by(MailLog.id)):  # fmt: skip
                messages.append({"kind": m.kind, "status": m.status,
                                 "queued_at": _iso(m.created_at),
                                 "updated_at": _iso(m.updated_at)})  # fmt: skip
    return {
        "format": COPY_FORMAT,
        "made_at": _iso(now),
        "about": about,
        "answers": answers,
        "pages": pages,
        "contact": None if contact is None else {
            "email": contact.email, "name": contact.name, "firm": contact.firm,
            "language": contact.language, "added_at": _iso(contact.created_at),
            "no_further_mail": opted_out},
        "messages": messages,
        "exclusions": exclusions,
        "corrections": corrections,
    }


def copy_json(copy: dict[str, Any]) -> bytes:
    """The copy as UTF-8 JSON, indented, characters as typed (not escaped)."""
    return (json.dumps(copy, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
