"""Races an attacker or a double click can start, on SQLite and PostgreSQL: the login
throttle, dyads created in parallel, and the final page submitted twice at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from analysis.errors import DataError
from instruments.fieldwork.auth import (
    FREE_ATTEMPTS,
    LoginThrottledError,
    client_key,
    set_password,
    verify_password,
)
from instruments.fieldwork.invitations import create_dyad, create_invitations, create_study
from instruments.store import ResponseStore
from instruments.store.models import Invitation, LoginThrottle, Study, utcnow
from tests.store.fake_instrument import full_response

PASSWORD = "a sound pass phrase 42"


def _together(n: int, fn: Callable[[int], object]) -> list[object]:
    """Run ``fn(i)`` for i < n in n threads released at the same moment; exceptions returned."""
    barrier = threading.Barrier(n)

    def run(i: int) -> object:
        barrier.wait()
        try:
            return fn(i)
        except Exception as exc:  # noqa: BLE001 - counted by the caller
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_throttle_holds_under_100_parallel_attempts(store: ResponseStore) -> None:
    create_study(store, "lock")
    set_password(store, "lock", PASSWORD)
    t = utcnow()
    outcomes = _together(100, lambda i: verify_password(store, "lock", f"wrong {i}",
                                                        client="attacker", now=t))
    checked = [o for o in outcomes if o is False]
    throttled = [o for o in outcomes if isinstance(o, LoginThrottledError)]
    others = [o for o in outcomes if o is not False and not isinstance(o, LoginThrottledError)]
    assert not others, others[:3]
    # exactly the free attempts plus the one that starts the lock were checked
    assert len(checked) == FREE_ATTEMPTS + 1 and len(throttled) == 100 - len(checked)
    with store.session() as s:
        st = s.scalars(select(Study).where(Study.name == "lock")).one()
        row = s.scalars(select(LoginThrottle).where(
            LoginThrottle.client == client_key(st.id, "attacker"))).one()
        assert row.failed_logins == FREE_ATTEMPTS + 1  # no lost update
        assert st.failed_logins == FREE_ATTEMPTS + 1


def test_attacker_cannot_lock_the_study_lead_out(store: ResponseStore) -> None:
    create_study(store, "lead")
    set_password(store, "lead", PASSWORD)
    t = utcnow()
    for i in range(FREE_ATTEMPTS + 3):
        try:
            verify_password(store, "lead", f"guess {i}", client="attacker", now=t)
        except LoginThrottledError:
            pass
    with pytest.raises(LoginThrottledError):
        verify_password(store, "lead", PASSWORD, client="attacker", now=t)
    # the study lead, from another client, gets in at once
    assert verify_password(store, "lead", PASSWORD, client="lead-laptop", now=t)
    # and the recovery path clears every lock
    new = set_password(store, "lead", replace=True)
    assert verify_password(store, "lead", new, client="attacker", now=t)


def test_parallel_dyads_for_one_alliance(store: ResponseStore) -> None:
    create_study(store, "dy")
    outcomes = _together(8, lambda i: create_dyad(store, "dy", alliance_id="al-1",
                                                  firm_a=f"A{i}", firm_b=f"B{i}"))
    made = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, DataError)]
    assert len(made) == 1 and len(refused) == 7, outcomes
    with store.session() as s:
        roles = s.scalars(select(Invitation.firm_role).where(
            Invitation.alliance_id == "al-1")).all()
    assert sorted(roles) == ["A", "B"]


def test_final_page_double_submit_is_idempotent(store: ResponseStore) -> None:
    create_study(store, "fin")
    tokens = [inv.token for inv in create_invitations(store, "fin", 25)]
    pages = list(full_response(0).items())
    for k, token in enumerate(tokens):
        store.start(token)
        for page, answers in pages[:-1]:
            store.submit_page(token, page, answers, submission_key=f"{k}-{page}")
    last, answers = pages[-1]
    outcomes = _together(50, lambda i: store.submit_page(
        tokens[i // 2], last, answers, submission_key=f"final-{i // 2}"))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert not errors, errors[:3]
    for k in range(25):
        a, b = outcomes[2 * k], outcomes[2 * k + 1]
        assert a.submission_id == b.submission_id and a.completed and b.completed
        assert sorted([a.duplicate, b.duplicate]) == [False, True]
