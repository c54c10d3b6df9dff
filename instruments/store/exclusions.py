"""ORM table of the study lead's exclusions of respondents from the analysis.

Created by the Alembic revision ``0011_exclusions``; this class must match it.

Tables
------
analysis_exclusions  one row per exclusion of an invitation's response from the
                     analysis, with the study lead's reason; taking it back fills
                     ``restored_at`` and ``restore_reason`` instead of deleting the
                     row, so the audit log keeps both decisions.  The answers
                     themselves are never touched.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from instruments.store.models import Base, UTCDateTime

#: Longest reason the audit log keeps (both backends).
REASON_MAX = 500


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
