"""ORM tables of e-mailed fieldwork: contacts, sender settings, the send log, opt-outs.

Created by the Alembic revision ``0005_mail``; these classes must match it.

Tables
------
study_mail_settings  one per study: the SMTP server, the sender and the study lead's
                     contact (never a password: only the name of the environment
                     variable that holds it)
contacts             one per invitation created from a contact list: e-mail address,
                     name, firm; the invitation token encrypted with a key from the
                     environment, so that reminders can repeat the personal link
mail_optouts         addresses that asked for no further mail, per study; when the
                     respondent's answers are erased the address is replaced by its
                     salted SHA-256 (:func:`optout_digest`), which still stops mail to
                     it but no longer says who it was
mail_log             one row per message: queued, then sent / failed (with the SMTP
                     reply) / opted out
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from instruments.store.models import Base, UTCDateTime
from instruments.store.tokens import hash_token

#: Ways of securing the SMTP connection.
SMTP_SECURITY = ("none", "starttls", "ssl")
#: Kinds of messages.
MAIL_KINDS = ("invitation", "reminder")
#: States of one message in the send log.
MAIL_STATUSES = ("queued", "sent", "failed", "opted_out")


class StudyMailSettings(Base):
    __tablename__ = "study_mail_settings"

    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(10))
    username: Mapped[str | None] = mapped_column(String(255), default=None)
    password_env: Mapped[str | None] = mapped_column(String(100), default=None)
    sender: Mapped[str] = mapped_column(String(320))
    sender_name: Mapped[str | None] = mapped_column(String(200), default=None)
    lead_name: Mapped[str] = mapped_column(String(200))
    lead_email: Mapped[str] = mapped_column(String(320))
    base_url: Mapped[str] = mapped_column(String(500))
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("invitation_id", name="uq_contacts_invitation_id"),
        UniqueConstraint("optout_hash", name="uq_contacts_optout_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    firm: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(10))
    secret: Mapped[str] = mapped_column(Text)
    optout_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MailOptout(Base):
    __tablename__ = "mail_optouts"
    __table_args__ = (UniqueConstraint("study_id", "email", name="uq_mail_optouts_study_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MailLog(Base):
    __tablename__ = "mail_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    smtp_reply: Mapped[str | None] = mapped_column(Text, default=None)
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


#: How an opt-out entry that holds a digest instead of an address begins.
DIGEST_PREFIX = "sha256:"


def optout_digest(study_id: int, email: str) -> str:
    """The opt-out entry kept for ``email`` once the respondent's data are erased.

    A suppression entry: an address that asked for no more mail must stay blocked when a
    later contact list names it again, but the study lead needs no readable address for
    that.  The study's id salts the hash, so that equal addresses of two studies give
    different entries.  Anyone who already knows an address can still test it against
    the entry; nobody can read an address from it.
    """
    text = f"alliance-survey opt-out|{int(study_id)}|{email.strip().lower()}"
    return DIGEST_PREFIX + hash_token(text)


def optout_entries(session: Any, study_id: int) -> set[str]:
    """The study's opt-out entries: lower-case addresses and digests."""
    return {e.lower() for e in session.scalars(
        select(MailOptout.email).where(MailOptout.study_id == study_id)).all()}  # fmt: skip


def is_opted_out(entries: Iterable[str], study_id: int, email: str) -> bool:
    """Whether ``email`` is on the study's opt-out list (as an address or a digest)."""
    if not email:
        return False
    found = entries if isinstance(entries, set | frozenset) else set(entries)
    return email.lower() in found or optout_digest(study_id, email) in found
