"""The study lead's login sessions: a login that survives a refresh, a restart or a replica.

After a successful password check the dashboard opens a session: a random token goes
into the study lead's address bar (``?admin=1&s=TOKEN``) and only its sha256 hash is
stored, with an expiry, like invitation tokens.  Every page run checks the token
against the store, so the login holds across a browser refresh, an app-process
restart and the replicas behind a proxy, and ends for good when

- the study lead logs out (:func:`close_session`),
- the session expires (:data:`SESSION_LIFETIME` after login),
- a new password is set (each session remembers a fingerprint of the password hash it
  was opened with), or every session of a study is revoked (:func:`revoke_sessions`,
  run by ``alliance-survey password``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from analysis.errors import DataError
from instruments.store.models import Study, utcnow
from instruments.store.responses import ResponseStore
from instruments.store.sessiontables import AdminSession
from instruments.store.tokens import hash_token, new_token

#: How long a login lasts; a working day, so a forgotten laptop does not stay logged in.
SESSION_LIFETIME = timedelta(hours=12)
#: Longest text taken for a token (real ones have 43 characters); longer is never valid.
MAX_TOKEN_LENGTH = 128


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()


def open_session(
    store: ResponseStore,
    study: str,
    *,
    lifetime: timedelta = SESSION_LIFETIME,
    now: datetime | None = None,
) -> str:
    """Open a login session for ``study`` and return its token (the only time it is shown).

    Call only after :func:`instruments.fieldwork.auth.verify_password` returned ``True``.
    Sessions that have expired (of any study) are removed on the way.

    Parameters
    ----------
    store, study
        The store and the study name.
    lifetime
        How long the session is valid.
    now
        Current time (for tests).

    Returns
    -------
    str
        The session token; the store keeps only its sha256 hash.

    Raises
    ------
    DataError
        If the study does not exist, has no password, or ``lifetime`` is not positive.
    """
    if lifetime <= timedelta(0):
        raise DataError(f"A session's lifetime must be positive, not {lifetime}.")
    now = now or utcnow()
    token = new_token()
    with store.session() as session:
        found = session.scalars(select(Study).where(Study.name == study)).one_or_none()
        if found is None or found.password_hash is None:
            raise DataError(f"Study {study!r} has no study-lead password to open a session for.")
        session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
        session.add(AdminSession(
            study_id=found.id, token_hash=hash_token(token),
            password_fingerprint=_fingerprint(found.password_hash),
            created_at=now, expires_at=now + lifetime,
        ))  # fmt: skip
    return token


def check_session(store: ResponseStore, token: object, *, now: datetime | None = None) -> str | None:
    """Return the study a session token is logged in to, or ``None`` if it is not valid.

    ``None`` for anything that is not a live session: no text, an unknown, expired or
    closed token, or one opened before the study's password was changed.
    """
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    with store.session() as session:
        row = session.execute(
            select(AdminSession, Study)
            .join(Study, Study.id == AdminSession.study_id)
            .where(AdminSession.token_hash == hash_token(token.strip()))
        ).one_or_none()
        if row is None:
            return None
        admin_session, study = row
        if admin_session.expires_at <= now or study.password_hash is None:
            return None
        if admin_session.password_fingerprint != _fingerprint(study.password_hash):
            return None
        return study.name


def close_session(store: ResponseStore, token: object) -> bool:
    """End one session (log out); returns whether there was such a session."""
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN_LENGTH:
        return False
    with store.session() as session:
        done = session.execute(
            delete(AdminSession).where(AdminSession.token_hash == hash_token(token.strip()))
        )
        return bool(done.rowcount)


def revoke_sessions(store: ResponseStore, study: str) -> int:
    """End every session of ``study``; returns how many there were.

    Raises
    ------
    DataError
        If the study does not exist.
    """
    with store.session() as session:
        found = session.scalars(select(Study).where(Study.name == study)).one_or_none()
        if found is None:
            raise DataError(f"There is no study {study!r}.")
        done = session.execute(delete(AdminSession).where(AdminSession.study_id == found.id))
        return int(done.rowcount or 0)


def count_sessions(store: ResponseStore, study: str, *, now: datetime | None = None) -> int:
    """How many sessions of ``study`` are stored and not expired (for the CLI's report)."""
    now = now or utcnow()
    with store.session() as session:
        ids = session.scalars(
            select(AdminSession.id).join(Study, Study.id == AdminSession.study_id)
            .where(Study.name == study, AdminSession.expires_at > now)
        ).all()  # fmt: skip
        return len(ids)
