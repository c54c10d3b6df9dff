"""A study's frozen analysis plan (pre-registration) and its logged amendments.

The store keeps the plan as data: its canonical JSON, the document given to the registry,
the SHA-256 of the JSON, the time it was frozen and how many responses the study had
then.  Once frozen, the plan changes only through :func:`freeze_plan` with
``amend=True`` and a reason: each amendment is a new row (the plan as amended, what
changed, when, after how many responses); nothing is ever overwritten.  Whether a
change came before or after the first response is therefore on record, which is what a
reader of the pre-registration needs to judge it.

The store does not know what a plan contains; :mod:`analysis.study.prereg` builds plans,
lists their differences and renders them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from analysis.errors import DataError
from instruments.store.models import (
    Base,
    Deletion,
    Invitation,
    Respondent,
    Study,
    UTCDateTime,
    utcnow,
)

__all__ = ["PlanAmendment", "PlanVersion", "PreregPlan", "canonical_json", "freeze_plan",
           "plan_history", "plan_sha256", "responses_so_far"]


class PreregPlan(Base):
    __tablename__ = "prereg_plans"
    __table_args__ = (UniqueConstraint("study_id", name="uq_prereg_plans_study_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    n_responses: Mapped[int] = mapped_column(Integer)


class PlanAmendment(Base):
    __tablename__ = "prereg_amendments"
    __table_args__ = (UniqueConstraint("study_id", "seq", name="uq_prereg_amendments_study_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    seq: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    previous_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text)
    amended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    n_responses: Mapped[int] = mapped_column(Integer)


def _refuse(mapper, connection, target) -> None:  # noqa: ANN001
    raise RuntimeError("A frozen plan and its amendments are never changed or deleted; "
                       "record a change as a new amendment.")


for _cls in (PreregPlan, PlanAmendment):
    event.listen(_cls, "before_update", _refuse)
    event.listen(_cls, "before_delete", _refuse)


@dataclass(frozen=True)
class PlanVersion:
    """One version of a study's plan: the frozen one (``seq`` 0) or an amendment."""

    seq: int
    sha256: str
    content: dict[str, Any]
    document: str | None
    at: datetime
    n_responses: int
    reason: str | None = None
    changes: list[Any] = field(default_factory=list)

    @property
    def before_data(self) -> bool:
        """True if no response existed when this version was recorded."""
        return self.n_responses == 0


def canonical_json(content: dict[str, Any]) -> str:
    """The plan as canonical JSON (sorted keys, no spaces): what the hash covers."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def plan_sha256(content: dict[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _study(session: Session, name: str) -> Study:
    study = session.scalar(select(Study).where(Study.name == name))
    if study is None:
        raise DataError(f"Study {name!r} does not exist in the store; create it first "
                        "(alliance-survey invite --study ...).")
    return study


def responses_so_far(session: Session, study_id: int) -> int:
    """Responses the study has had: started respondents plus erased ones.

    Erased responses count: a withdrawal removes the answers, not the fact that data
    collection had begun.
    """
    started = session.scalar(
        select(func.count(Respondent.id)).join(Invitation, Respondent.invitation_id
                                               == Invitation.id)
        .where(Invitation.study_id == study_id)) or 0
    erased = session.scalar(
        select(func.count(Deletion.id)).where(Deletion.study_id == study_id,
                                              Deletion.respondent_id.is_not(None))) or 0
    return int(started) + int(erased)


def _history(session: Session, study_id: int) -> list[PlanVersion]:
    plan = session.scalar(select(PreregPlan).where(PreregPlan.study_id == study_id))
    if plan is None:
        return []
    out = [PlanVersion(seq=0, sha256=plan.sha256, content=json.loads(plan.content),
                       document=plan.document, at=plan.frozen_at,
                       n_responses=plan.n_responses)]
    for am in session.scalars(select(PlanAmendment).where(PlanAmendment.study_id == study_id)
                              .order_by(PlanAmendment.seq)):
        out.append(PlanVersion(seq=am.seq, sha256=am.sha256, content=json.loads(am.content),
                               document=None, at=am.amended_at, n_responses=am.n_responses,
                               reason=am.reason, changes=json.loads(am.changes)))
    return out


def plan_history(store: Any, study: str) -> list[PlanVersion]:
    """The frozen plan and its amendments, oldest first (``[]`` if never frozen)."""
    with store.session() as session:
        return _history(session, _study(session, study).id)


#: Longest reason of an amendment (as ``prereg --amend --reason``).
AMENDMENT_REASON_MAX = 1000


def freeze_plan(
    store: Any,
    study: str,
    content: dict[str, Any],
    document: str | Any,
    *,
    amend: bool = False,
    reason: str | None = None,
    changes: list[Any] | None = None,
    instrument_sha256: str | None = None,
) -> tuple[str, PlanVersion]:
    """Freeze a study's plan, or log an amendment to it.

    Parameters
    ----------
    store : ResponseStore
    study : str
        Study name.
    content : dict
        The plan (JSON-able; hashed as :func:`canonical_json`).
    document : str or callable
        The document registered (stored with the first freeze), or
        ``document(sha256, frozen_at, n_responses) -> str`` to render it with the time
        and count the store records.
    amend : bool
        Record ``content`` as an amendment of the frozen plan (needs ``reason``).
    reason : str, optional
        Why the plan changes (kept with the amendment).
    changes : list, optional
        What changed, as the caller describes it (kept with the amendment).
    instrument_sha256 : str, optional
        Content hash of the instrument the plan describes; refused if it is not the
        instrument the study fields (a plan must describe the questionnaire answered).

    Returns
    -------
    (status, PlanVersion)
        ``"frozen"`` (first freeze), ``"unchanged"`` (same hash as the current version)
        or ``"amended"``.

    Raises
    ------
    DataError
        Unknown study; a changed plan without ``amend=True``; an amendment without a
        reason or of a plan never frozen.
    """
    sha = plan_sha256(content)
    text = canonical_json(content)
    now = utcnow()
    try:
        with store.session() as session:
            st = _study(session, study)
            if instrument_sha256 is not None and instrument_sha256 != st.instrument_hash:
                raise DataError(
                    f"The plan describes instrument sha256 {instrument_sha256[:12]}..., but "
                    f"study {study!r} fields {st.instrument_id} {st.instrument_version} "
                    f"(sha256 {st.instrument_hash[:12]}...); register the plan of the "
                    "instrument the study uses.")
            history = _history(session, st.id)
            n = responses_so_far(session, st.id)
            if not history:
                if amend:
                    raise DataError(f"Study {study!r} has no frozen plan to amend; freeze one "
                                    "first (without --amend).")
                if callable(document):
                    document = document(sha, now, n)
                session.add(PreregPlan(study_id=st.id, sha256=sha, content=text,
                                       document=document, frozen_at=now, n_responses=n))
                return "frozen", PlanVersion(0, sha, content, document, now, n)
            current = history[-1]
            if current.sha256 == sha:
                return "unchanged", current
            if not amend:
                when = "after data collection began" if n else "before data collection"
                raise DataError(
                    f"The plan of study {study!r} was frozen on "
                    f"{history[0].at:%Y-%m-%d %H:%M} UTC (sha256 {history[0].sha256[:12]}...) "
                    f"and the plan given differs from its current version "
                    f"({len(history) - 1} amendment(s)); {n} response(s) so far. A change "
                    f"{when} is recorded only as an amendment: use --amend --reason "
                    "\"...\".")
            if not reason or not reason.strip():
                raise DataError("An amendment needs a reason (--reason \"...\").")
            from instruments.store.limits import encoding_problem

            if len(reason.strip()) > AMENDMENT_REASON_MAX or encoding_problem(reason):
                # the command line bounds it; the API had stored 100,000 characters
                raise DataError(f"The reason of an amendment must be text of at most "
                                f"{AMENDMENT_REASON_MAX} characters.")
            seq = current.seq + 1
            session.add(PlanAmendment(
                study_id=st.id, seq=seq, reason=reason.strip(), previous_sha256=current.sha256,
                sha256=sha, content=text, changes=json.dumps(changes or [], sort_keys=True),
                amended_at=now, n_responses=n))
            return "amended", PlanVersion(seq, sha, content, None, now, n, reason.strip(),
                                          list(changes or []))
    except IntegrityError as exc:
        raise DataError(f"The plan of study {study!r} was frozen or amended at the same "
                        "time by another process; run the command again.") from exc
