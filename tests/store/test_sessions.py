"""The study lead's login sessions in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from analysis.errors import DataError
from instruments.fieldwork.auth import LoginThrottledError, set_password
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.sessions import (
    SESSION_LIFETIME,
    check_session,
    close_session,
    count_sessions,
    open_session,
    revoke_sessions,
)
from instruments.store import ResponseStore, hash_token
from instruments.store.models import utcnow
from instruments.store.sessiontables import AdminSession

PASSWORD = "correct horse battery staple"


@pytest.fixture
def study(store: ResponseStore) -> str:
    create_study(store, "pilot")
    set_password(store, "pilot", PASSWORD)
    return "pilot"


def test_token_is_stored_only_as_its_hash(store: ResponseStore, study: str) -> None:
    token = open_session(store, study)
    assert len(token) >= 40
    with store.session() as s:
        rows = s.scalars(select(AdminSession)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hash_token(token) and token not in rows[0].token_hash
    assert check_session(store, token) == study
    # A second login (another browser) is a session of its own.
    other = open_session(store, study)
    assert other != token and count_sessions(store, study) == 2


def test_session_expires(store: ResponseStore, study: str) -> None:
    now = utcnow()
    token = open_session(store, study, now=now)
    assert check_session(store, token, now=now + SESSION_LIFETIME - timedelta(seconds=1)) == study
    assert check_session(store, token, now=now + SESSION_LIFETIME) is None
    # Expired rows are cleared when the next session is opened.
    open_session(store, study, now=now + SESSION_LIFETIME + timedelta(seconds=1))
    with store.session() as s:
        assert len(s.scalars(select(AdminSession)).all()) == 1


def test_logout_ends_only_that_session(store: ResponseStore, study: str) -> None:
    first, second = open_session(store, study), open_session(store, study)
    assert close_session(store, first) is True
    assert check_session(store, first) is None
    assert check_session(store, second) == study
    assert close_session(store, first) is False


def test_new_password_ends_every_older_session(store: ResponseStore, study: str) -> None:
    token = open_session(store, study)
    set_password(store, study, "another long passphrase", replace=True)
    assert check_session(store, token) is None
    assert check_session(store, open_session(store, study)) == study


def test_revoke_sessions(store: ResponseStore, study: str) -> None:
    create_study(store, "other")
    set_password(store, "other", PASSWORD)
    mine = [open_session(store, study) for _ in range(3)]
    theirs = open_session(store, "other")
    assert revoke_sessions(store, study) == 3
    assert [check_session(store, t) for t in mine] == [None, None, None]
    assert check_session(store, theirs) == "other"
    with pytest.raises(DataError, match="There is no study 'nope'"):
        revoke_sessions(store, "nope")


@pytest.mark.parametrize("bad", [None, "", "   ", 42, "x" * 10_000, "not-a-session-token"])
def test_bad_tokens_are_never_valid(store: ResponseStore, study: str, bad: object) -> None:
    open_session(store, study)
    assert check_session(store, bad) is None
    assert close_session(store, bad) is False
    assert count_sessions(store, study) == 1


def test_no_session_without_a_password(store: ResponseStore) -> None:
    create_study(store, "fresh")
    with pytest.raises(DataError, match="no study-lead password"):
        open_session(store, "fresh")
    with pytest.raises(DataError, match="no study-lead password"):
        open_session(store, "nope")
    with pytest.raises(DataError, match="lifetime must be positive"):
        open_session(store, "fresh", lifetime=timedelta(0))


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "1 second."), (1.0, "1 second."),
                                                (1.6, "2 seconds."), (900.0, "900 seconds.")])
def test_throttle_message_is_plural_correct(seconds: float, text: str) -> None:
    message = str(LoginThrottledError("pilot", seconds))
    assert f"try again in {text}" in message
