"""ORM table of the study lead's login sessions.

Created by the Alembic revision ``0008_admin_sessions``; this class must match it.

Tables
------
admin_sessions  one per login of a study lead: the sha256 hash of the session token
                (the token itself is only in the study lead's address bar), the expiry,
                and a fingerprint of the password hash it was opened with, so that a
                new password ends every session opened before it
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from instruments.store.models import Base, UTCDateTime


class AdminSession(Base):
    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
