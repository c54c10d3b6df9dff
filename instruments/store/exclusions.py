"""ORM tables of the study lead's audited decisions about one respondent's data:
exclusions from the analysis and corrections of answers.

Created by the Alembic revisions ``0011_exclusions`` and ``0013_corrections``; these
classes must match them.

Tables
------
analysis_exclusions  one row per exclusion of an invitation's response from the
                     analysis, with the study lead's reason; taking it back fills
                     ``restored_at`` and ``restore_reason`` instead of deleting the
                     row, so the audit log keeps both decisions.  The answers
                     themselves are never touched.
answer_corrections   one row per answer the study lead corrected at the respondent's
                     request (the right to rectification), with the reason; the old and
                     the new value are both in the answer log (answers are only ever
                     added), so this table holds no answer.  Erased with the
                     respondent's answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from instruments.store.models import Base, UTCDateTime

#: Longest reason the audit log keeps (both backends).
REASON_MAX = 500
#: The start of the key of a page a study lead's correction stores (a respondent's own
#: pages may not use it: the respondent's copy tells the two apart by it).
CORRECTION_KEY = "correction-"


class AnalysisExclusion(Base):
    __tablename__ = "analysis_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    excluded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    restore_reason: Mapped[str | None] = mapped_column(String(REASON_MAX), default=None)


class AnswerCorrection(Base):
    __tablename__ = "answer_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime())
