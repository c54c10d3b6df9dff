"""Invitation tokens: generated once, only their sha256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.errors import ResponseError
from instruments.store.models import Invitation

TOKEN_BYTES = 32

#: The respondent's message for a token the store does not know.
UNKNOWN_TOKEN = (
    "This invitation link is not valid. Please check that you copied the whole "
    "link from your invitation, or ask the study team for a new one."
)

#: How many values of one link parameter (``t=``, ``optout=``) are looked up: a link
#: pasted or forwarded twice carries its value twice; dozens would cost one store query
#: each.
MAX_LINK_TOKENS = 4


def link_tokens(values: list[str | None]) -> list[str]:
    """The first :data:`MAX_LINK_TOKENS` values of a link parameter, stripped, without
    empty ones and repeats, in the order given."""
    return list(dict.fromkeys(v.strip() for v in values[:MAX_LINK_TOKENS]
                              if isinstance(v, str) and v.strip()))


class InvitationClosedError(ResponseError):
    """A token that opens no survey, with the reason as a code (``reason``).

    The message is the store's English one; the survey pages show their own text for
    ``reason`` in the respondent's language: ``"unknown"``, ``"completed"``,
    ``"screened_out"``, ``"withdrawn"``, ``"expired"`` or ``"unserved"`` (the invitation's
    wave runs an instrument version this app was not given).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def new_token() -> str:
    """Return a new random invitation token (``secrets.token_urlsafe(32)``).

    A token never starts with ``-``: a study lead passes tokens on the command line
    (``alliance-survey delete --token ...``), where a leading dash reads as an option.
    """
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    """Return the hex sha256 of ``token``, the only form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def checked_hash(token: str) -> str:
    """The stored hash of ``token``; ``ResponseError`` when no token was given."""
    if not isinstance(token, str) or not token.strip():
        raise ResponseError(
            "No invitation token was given; please open the personal link from your invitation."
        )
    return hash_token(token.strip())


def find_invitation(session: Session, token: str, *, for_update: bool = False) -> Invitation:
    """Return the invitation of ``token`` or raise ``ResponseError`` if it is unknown."""
    stmt = select(Invitation).where(Invitation.token_hash == checked_hash(token))
    if for_update:
        stmt = stmt.with_for_update()
    invitation = session.scalars(stmt).one_or_none()
    if invitation is None:
        raise InvitationClosedError(UNKNOWN_TOKEN, "unknown")
    return invitation


def check_usable(invitation: Invitation, now: datetime) -> None:
    """Raise ``ResponseError`` if the invitation can no longer be answered.

    An invitation whose ``expires_at`` has passed is marked ``expired`` (the
    caller commits that change).
    """
    if invitation.status == "completed":
        raise InvitationClosedError(
            "This invitation has already been used to complete the survey; thank you. "
            "Answers cannot be changed after completion.",
            "completed",
        )
    if invitation.status == "screened_out":
        raise InvitationClosedError(
            "This invitation is closed: the survey ended for this respondent after the "
            "screening questions.",
            "screened_out",
        )
    if invitation.status == "withdrawn":
        raise InvitationClosedError(
            "This invitation is closed: the respondent withdrew and all answers were deleted. "
            "To take part after all, please ask the study lead for a new link.",
            "withdrawn",
        )
    expired = invitation.status == "expired" or (
        invitation.expires_at is not None and invitation.expires_at <= now
    )
    if expired:
        invitation.status = "expired"
        when = invitation.expires_at.strftime("%Y-%m-%d") if invitation.expires_at else "earlier"
        raise InvitationClosedError(
            f"This invitation expired on {when}. Please ask the study team for a new link.",
            "expired",
        )
