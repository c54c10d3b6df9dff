"""ORM tables of the response store (SQLAlchemy 2, typed declarative mapping).

The schema itself is created and changed only by the Alembic migrations in
``instruments/store/migrations``; these classes must match them.

Tables
------
studies           one per study, with the instrument it uses and the study lead's password hash
waves             fieldwork waves of a study, each with the instrument version it runs
invitations       personal invitations; only the sha256 hash of the token is stored
respondents       one per started invitation: current page, seed for item order, timestamps
page_submissions  one per submitted page; ``(respondent_id, submission_key)`` is unique
answers           append-only log: one row per answered item per page submission
deletions         audit log of erasures (withdrawals, requests, test responses), no content
login_throttle    failed study-lead logins per study and client
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Invitation statuses.
INVITATION_STATUSES = (
    "invited", "started", "completed", "screened_out", "expired", "withdrawn",
)  # fmt: skip


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC) on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    instrument_id: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(50))
    instrument_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: JSON: privacy notice (controller, contact, purpose, legal basis, retention) and
    #: completion code / redirect URL; see :mod:`instruments.store.rights`.
    settings: Mapped[str | None] = mapped_column(Text, default=None)

    waves: Mapped[list[Wave]] = relationship(back_populates="study")


class Wave(Base):
    __tablename__ = "waves"
    __table_args__ = (UniqueConstraint("study_id", "name", name="uq_waves_study_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The instrument the wave's respondents answer (filled from the study's current
    #: instrument when a wave is created without one; see :mod:`instruments.store.waves`).
    instrument_id: Mapped[str | None] = mapped_column(String(100), default=None)
    instrument_version: Mapped[str | None] = mapped_column(String(50), default=None)
    instrument_hash: Mapped[str | None] = mapped_column(String(128), default=None)

    study: Mapped[Study] = relationship(back_populates="waves")


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("uq_invitations_alliance_role", "study_id", "alliance_id", "firm_role",
              unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), index=True)
    alliance_id: Mapped[str] = mapped_column(String(100), index=True)
    firm_role: Mapped[str | None] = mapped_column(String(1), default=None)
    partner_name: Mapped[str | None] = mapped_column(String(300), default=None)
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="invited")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Made by the study lead in preview mode: never part of exports or analyses.
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)

    wave: Mapped[Wave] = relationship()
    respondent: Mapped[Respondent | None] = relationship(back_populates="invitation")


class LoginThrottle(Base):
    """Failed logins of one client (a salted hash, never an address) for one study."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("study_id", "client", name="uq_login_throttle_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    client: Mapped[str] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Respondent(Base):
    __tablename__ = "respondents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), unique=True)
    current_page: Mapped[int] = mapped_column(Integer, default=0)
    seed: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: The language the respondent last chose (NULL: the invitation's language).
    language: Mapped[str | None] = mapped_column(String(10), default=None)
    #: When the respondent's answers were erased; the row itself is the tombstone.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    invitation: Mapped[Invitation] = relationship(back_populates="respondent")


class PageSubmission(Base):
    __tablename__ = "page_submissions"
    __table_args__ = (
        UniqueConstraint("respondent_id", "submission_key", name="uq_page_submissions_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    page: Mapped[str] = mapped_column(String(100))
    page_index: Mapped[int] = mapped_column(Integer)
    submission_key: Mapped[str] = mapped_column(String(100))
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_sec: Mapped[float | None] = mapped_column(Float, default=None)
    n_answers: Mapped[int] = mapped_column(Integer)
    next_page: Mapped[int] = mapped_column(Integer)
    #: The language the page was answered in (NULL before revision 0002).
    language: Mapped[str | None] = mapped_column(String(10), default=None)


class Answer(Base):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("page_submissions.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(100))
    value_int: Mapped[int | None] = mapped_column(BigInteger, default=None)
    value_num: Mapped[float | None] = mapped_column(Float, default=None)
    value_text: Mapped[str | None] = mapped_column(Text, default=None)
    page: Mapped[str] = mapped_column(String(100))
    position: Mapped[int | None] = mapped_column(Integer, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deletion(Base):
    """One erasure: which respondent, why, through which channel, how many answers.

    Never holds any answer, page time or language of the erased response.
    """

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    respondent_id: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str | None] = mapped_column(String(200), default=None)
    n_answers: Mapped[int] = mapped_column(Integer)
    n_pages: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AnalysisCache(Base):
    """A finished analysis of a study: its report and analysis, for one data fingerprint
    and one set of settings (seed, bootstrap draws, estimator, software versions).

    Holds results only (no answers): a withdrawal changes the data and hence the key, and
    :func:`instruments.store.cache.forget` drops a study's entries.
    """

    __tablename__ = "analysis_cache"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    data_sha256: Mapped[str] = mapped_column(String(64))
    settings: Mapped[str] = mapped_column(Text)
    report_html: Mapped[str] = mapped_column(Text)
    analysis_json: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # fingerprint of the stored rows read (instruments.store.cache.data_marker); revision
    # 0012_cache_marker
    data_marker: Mapped[str | None] = mapped_column(String(64), index=True, default=None)


def _wave_instrument(mapper, connection, target) -> None:  # noqa: ANN001
    """A wave created without an instrument runs the study's current one."""
    if target.instrument_hash is not None:
        return
    row = connection.execute(
        select(Study.instrument_id, Study.instrument_version, Study.instrument_hash)
        .where(Study.id == target.study_id)
    ).one_or_none()
    if row is not None:
        target.instrument_id, target.instrument_version, target.instrument_hash = row


event.listen(Wave, "before_insert", _wave_instrument)


def _refuse_change(mapper, connection, target) -> None:  # noqa: ANN001
    raise RuntimeError(
        "The answer log is append-only: answers are never updated, and deleted only by an "
        "erasure (instruments.store.rights.erase_respondent)."
    )


event.listen(Answer, "before_update", _refuse_change)
event.listen(Answer, "before_delete", _refuse_change)
