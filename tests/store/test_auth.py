"""Study-lead passwords: argon2 hashes, generated once, throttled attempts (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from analysis.errors import DataError
from instruments.fieldwork.auth import (
    FREE_ATTEMPTS,
    MAX_DELAY_SEC,
    LoginThrottledError,
    backoff_seconds,
    has_password,
    set_password,
    verify_password,
)
from instruments.fieldwork.invitations import create_study
from instruments.store import ResponseStore
from instruments.store.models import Study, utcnow


@pytest.fixture
def study(store: ResponseStore) -> str:
    create_study(store, "pilot")
    return "pilot"


def test_no_default_password(store: ResponseStore, study: str) -> None:
    assert not has_password(store, study)
    # the same answer as a wrong password: the login form does not tell the two apart
    assert verify_password(store, study, "") is False
    assert verify_password(store, "no such study", "anything at all") is False


def test_generated_password_is_returned_once_and_hashed(store: ResponseStore, study: str) -> None:
    password = set_password(store, study)
    assert len(password) >= 20 and has_password(store, study)
    with store.session() as s:
        stored = s.scalars(select(Study.password_hash)).one()
    assert stored.startswith("$argon2") and password not in stored
    assert verify_password(store, study, password)
    assert not verify_password(store, study, password + "x")
    with pytest.raises(DataError, match="has a password already"):
        set_password(store, study)
    other = set_password(store, study, "correct horse battery", replace=True)
    assert verify_password(store, study, other) and not verify_password(store, study, password)
    with pytest.raises(DataError, match="at least 12"):
        set_password(store, study, "short", replace=True)


def test_throttling_with_exponential_backoff(store: ResponseStore, study: str) -> None:
    password = set_password(store, study)
    t = utcnow()
    for _ in range(FREE_ATTEMPTS):
        assert not verify_password(store, study, "wrong", now=t)
    assert not verify_password(store, study, "wrong", now=t)  # first locked failure
    with pytest.raises(LoginThrottledError) as info:
        verify_password(store, study, password, now=t + timedelta(seconds=1))
    assert info.value.retry_after == pytest.approx(backoff_seconds(FREE_ATTEMPTS + 1) - 1)
    t2 = t + timedelta(seconds=backoff_seconds(FREE_ATTEMPTS + 1) + 0.1)
    assert not verify_password(store, study, "wrong", now=t2)
    with pytest.raises(LoginThrottledError):  # the lock doubled
        verify_password(store, study, password, now=t2 + timedelta(seconds=3))
    t3 = t2 + timedelta(seconds=backoff_seconds(FREE_ATTEMPTS + 2) + 0.1)
    assert verify_password(store, study, password, now=t3)  # success resets the count
    assert not verify_password(store, study, "wrong", now=t3)
    assert verify_password(store, study, password, now=t3)


def test_backoff_schedule() -> None:
    assert [backoff_seconds(k) for k in range(FREE_ATTEMPTS + 4)] == [0.0] * (
        FREE_ATTEMPTS + 1
    ) + [2.0, 4.0, 8.0]
    assert backoff_seconds(100) == MAX_DELAY_SEC


def test_no_ip_or_client_columns(store: ResponseStore) -> None:
    names = {
        c["name"].lower()
        for table in inspect(store.engine).get_table_names()
        for c in inspect(store.engine).get_columns(table)
    }
    assert not {n for n in names if "ip" in n.split("_") or "agent" in n or "addr" in n}
