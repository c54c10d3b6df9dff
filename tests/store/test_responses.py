"""Writing responses page by page, resuming, idempotency and validation (both backends)."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from analysis.errors import ResponseError
from instruments.fieldwork.invitations import create_invitations, create_study
from instruments.store import PageValidationError, ResponseStore
from instruments.store.models import Answer, Invitation, PageSubmission, utcnow
from tests.store.fake_instrument import ITEM_COLUMNS, full_response


def _count(store: ResponseStore, model) -> int:  # noqa: ANN001
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _invite(store: ResponseStore, **kw) -> str:  # noqa: ANN003
    create_study(store, "pilot")
    return create_invitations(store, "pilot", **kw)[0].token


def _answer_all(store: ResponseStore, token: str, seed: int) -> None:
    t0 = utcnow()
    for i, (page, answers) in enumerate(full_response(seed).items()):
        store.submit_page(
            token, page, answers, submission_key=f"{page}-1",
            shown_at=t0 + timedelta(seconds=10 * i), now=t0 + timedelta(seconds=10 * i + 7),
        )  # fmt: skip


def test_full_response_page_by_page_reads_back_wide(store: ResponseStore) -> None:
    token = _invite(store, partner_name="Acme GmbH", language="de")
    state = store.start(token)
    assert (state.current_page, state.current_page_id, state.partner_name) == (
        0, "consent", "Acme GmbH",
    )  # fmt: skip
    _answer_all(store, token, seed=3)
    wide = store.wide("pilot")
    assert len(wide) == 1
    row = wide.iloc[0]
    expected = {k: v for page in full_response(3).values() for k, v in page.items()}
    for item, value in expected.items():
        if item == "comment":
            assert row[item] == value
        else:
            assert row[item] == pytest.approx(float(value), abs=0, rel=0)
    assert list(wide.columns[:5]) == [
        "respondent_id", "alliance_id", "firm_role", "language", "duration_sec",
    ]  # fmt: skip
    assert list(wide.columns[-len(ITEM_COLUMNS):]) == ITEM_COLUMNS
    assert row["language"] == "de"
    for page in ("consent", "alliance", "relationship", "end"):
        assert row[f"page_time_{page}"] == pytest.approx(7.0, abs=1e-6)
    assert row["duration_sec"] > 0
    assert wide["trust_1"].dtype == np.float64
    st = store.state(token)
    assert st.completed and st.current_page == 4 and st.current_page_id is None


def test_missing_answers_are_nan_not_strings(store: ResponseStore) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="k1")
    store.submit_page(token, "alliance", {"stage": 2, "n_partners": None}, submission_key="k2")
    wide = store.wide("pilot")
    assert math.isnan(wide.loc[0, "n_partners"]) and math.isnan(wide.loc[0, "trust_1"])
    assert math.isnan(wide.loc[0, "duration_sec"]) is False
    assert math.isnan(wide.loc[0, "page_time_end"])


def test_resume_after_restart(db_url: str, fake_instrument) -> None:  # noqa: ANN001
    first = ResponseStore(db_url, instrument=fake_instrument)
    token = _invite(first)
    pages = full_response(5)
    first.start(token)
    first.submit_page(token, "consent", pages["consent"], submission_key="a")
    first.submit_page(token, "alliance", pages["alliance"], submission_key="b")
    first.dispose()
    # a new process would do exactly this: a new engine on the same database
    second = ResponseStore(db_url, instrument=fake_instrument)
    state = second.start(token)
    assert state.current_page == 2 and state.current_page_id == "relationship"
    assert state.answers["stage"] == pages["alliance"]["stage"]
    assert state.answers["alliance_age"] == pytest.approx(pages["alliance"]["alliance_age"])
    second.submit_page(token, "relationship", pages["relationship"], submission_key="c")
    second.submit_page(token, "end", pages["end"], submission_key="d")
    assert second.state(token).completed
    second.dispose()


def test_double_submit_is_idempotent(store: ResponseStore) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="c")
    first = store.submit_page(token, "alliance", {"stage": 1}, submission_key="same")
    again = store.submit_page(token, "alliance", {"stage": 3}, submission_key="same")
    assert not first.duplicate and again.duplicate
    assert again.submission_id == first.submission_id and again.next_page_id == "relationship"
    assert _count(store, PageSubmission) == 2 and _count(store, Answer) == 2
    assert store.wide("pilot").loc[0, "stage"] == 1.0


def test_double_submit_of_last_page_after_completion(store: ResponseStore) -> None:
    token = _invite(store)
    _answer_all(store, token, seed=1)
    n = _count(store, Answer)
    again = store.submit_page(token, "end", {"comment": "x"}, submission_key="end-1")
    assert again.duplicate and again.completed
    assert _count(store, Answer) == n
    with pytest.raises(ResponseError, match="already been used"):
        store.submit_page(token, "end", {"comment": "x"}, submission_key="end-2")


def test_going_back_appends_and_wide_takes_latest(store: ResponseStore) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    store.submit_page(token, "alliance", {"stage": 1}, submission_key="2")
    store.submit_page(token, "alliance", {"stage": 2}, submission_key="3")
    log = store.answer_log("pilot")
    assert log.loc[log["item_id"] == "stage", "value_int"].tolist() == [1.0, 2.0]
    assert store.wide("pilot").loc[0, "stage"] == 2.0


@pytest.mark.parametrize(
    ("page", "answers", "problem"),
    [
        ("alliance", {"stage": 4}, "not one of the allowed codes"),
        ("alliance", {"stage": 1, "n_partners": 1}, "outside the allowed range"),
        ("alliance", {"stage": 1, "n_partners": 2.5}, "expected an integer"),
        ("alliance", {"stage": "two"}, "expected an integer"),
        ("alliance", {"stage": True}, "expected an integer"),
        ("alliance", {"stage": 1, "alliance_age": float("inf")}, "finite"),
        ("alliance", {"stage": 1, "trust_1": 3}, "does not belong to page"),
        ("alliance", {"n_partners": 3}, "required"),
        ("consent", {"consent": 2}, "not one of the allowed codes"),
    ],
)
def test_tampered_values_refused_and_nothing_stored(
    store: ResponseStore, page: str, answers: dict, problem: str
) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="ok")
    before = (_count(store, Answer), _count(store, PageSubmission))
    with pytest.raises(PageValidationError, match=problem):
        store.submit_page(token, page, answers, submission_key="bad")
    assert (_count(store, Answer), _count(store, PageSubmission)) == before


def test_all_problems_listed_at_once(store: ResponseStore) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="ok")
    with pytest.raises(PageValidationError) as info:
        store.submit_page(
            token, "alliance", {"n_partners": 99, "bogus": 1, "alliance_age": -1},
            submission_key="bad",
        )  # fmt: skip
    assert set(info.value.problems) == {"stage", "n_partners", "bogus", "alliance_age"}
    assert isinstance(info.value, ResponseError)


def test_text_too_long_refused_and_text_stored_verbatim(store: ResponseStore) -> None:
    token = _invite(store)
    for i, page in enumerate(("consent", "alliance", "relationship")):
        store.submit_page(token, page, full_response(2)[page], submission_key=str(i))
    with pytest.raises(PageValidationError, match="at most 200"):
        store.submit_page(token, "end", {"comment": "x" * 201}, submission_key="long")
    text = "=HYPERLINK(\"x\"); DROP TABLE answers; -- 'ü'"
    store.submit_page(token, "end", {"comment": text}, submission_key="ok")
    assert store.wide("pilot").loc[0, "comment"] == text


def test_skipping_ahead_is_refused(store: ResponseStore) -> None:
    token = _invite(store)
    with pytest.raises(ResponseError, match="before the pages in front"):
        store.submit_page(token, "relationship", {"trust_1": 1}, submission_key="x")
    assert _count(store, Answer) == 0


def test_item_order_is_per_respondent_and_stable(store: ResponseStore) -> None:
    create_study(store, "pilot")
    tokens = [i.token for i in create_invitations(store, "pilot", n=6)]
    orders = set()
    for token in tokens:
        state = store.start(token)
        order = store.item_order(state.seed, "relationship")
        assert order == store.item_order(store.start(token).seed, "relationship")
        assert sorted(order) == sorted(full_response(0)["relationship"])
        orders.add(order)
    assert len(orders) > 1
    token = tokens[0]
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    store.submit_page(token, "alliance", {"stage": 1}, submission_key="2")
    answers = full_response(0)["relationship"]
    store.submit_page(token, "relationship", answers, submission_key="3")
    log = store.answer_log("pilot")
    log = log[log["page"] == "relationship"].sort_values("position")
    order = store.item_order(store.state(token).seed, "relationship")
    assert log["item_id"].tolist() == list(order)


def test_instrument_version_mismatch_refused(db_url: str, fake_instrument) -> None:  # noqa: ANN001
    from dataclasses import replace

    old = ResponseStore(db_url, instrument=fake_instrument)
    token = _invite(old)
    old.dispose()
    new = ResponseStore(db_url, instrument=replace(fake_instrument, content_hash="other"))
    with pytest.raises(ResponseError, match="answers are not accepted"):
        new.submit_page(token, "consent", {"consent": True}, submission_key="1")
    new.dispose()


def test_answer_log_is_append_only(store: ResponseStore) -> None:
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    with pytest.raises(RuntimeError, match="append-only"), store.session() as s:
        s.scalars(select(Answer)).first().value_int = 0
    with pytest.raises(RuntimeError, match="append-only"), store.session() as s:
        s.delete(s.scalars(select(Answer)).first())
    assert store.wide("pilot").loc[0, "consent"] == 1.0


def test_invitation_status_follows_progress(store: ResponseStore) -> None:
    token = _invite(store)

    def status() -> str:
        with store.session() as s:
            return s.scalars(select(Invitation.status)).one()

    assert status() == "invited"
    store.start(token)
    assert status() == "started"
    _answer_all(store, token, seed=0)
    assert status() == "completed"


def test_a_page_is_one_short_transaction(store: ResponseStore) -> None:
    # Every "Next" of every respondent goes through here: one transaction with a handful
    # of statements (read the invitation, the respondent and its answers; write the page,
    # its answers, the progress), whatever the number of items on the page.
    from sqlalchemy import event

    token = _invite(store)
    store.start(token)
    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: seen.append(stmt.split()[0].upper()))  # fmt: skip
    event.listen(store.engine, "begin", lambda conn: seen.append("<begin>"))
    event.listen(store.engine, "commit", lambda conn: seen.append("<commit>"))
    counts = []
    for page, answers in full_response(3).items():
        seen.clear()
        store.submit_page(token, page, answers, submission_key=f"{page}-k")
        counts.append(len([s for s in seen if s in ("SELECT", "INSERT", "UPDATE")]))
        assert seen.count("<begin>") == 1 and seen.count("<commit>") == 1, seen
    assert max(counts) <= 7, counts


def test_an_emptied_answer_is_taken_back(store: ResponseStore) -> None:
    """A number or a text emptied after Back no longer counts anywhere (it had stayed the
    latest answer: in the data, the exports and the page drawn again)."""
    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    store.submit_page(token, "alliance", {"stage": 1, "n_partners": 5, "alliance_age": 3.5},
                      submission_key="2")
    store.submit_page(token, "alliance", {"stage": 2, "n_partners": None, "alliance_age": ""},
                      submission_key="3")
    wide = store.wide("pilot")
    assert wide.loc[0, "stage"] == 2.0
    assert math.isnan(wide.loc[0, "n_partners"]) and math.isnan(wide.loc[0, "alliance_age"])
    assert store.start(token).answers == {"consent": 1, "stage": 2}
    log = store.answer_log("pilot")
    emptied = log[log["submission_key"] == "3"].set_index("item_id")
    assert emptied.loc["n_partners", ["value_int", "value_num", "value_text"]].isna().all()
    # answered again later: the new answer counts
    store.submit_page(token, "alliance", {"stage": 2, "n_partners": 7}, submission_key="4")
    assert store.wide("pilot").loc[0, "n_partners"] == 7.0



def test_withdrawal_counts_questions_not_stored_rows(store: ResponseStore) -> None:
    """"All n answers you gave have been deleted": an answer changed after Back is one
    answer (it had been counted once per row stored)."""
    from instruments.store.rights import withdraw

    token = _invite(store)
    store.submit_page(token, "consent", {"consent": True}, submission_key="1")
    store.submit_page(token, "alliance", {"stage": 1, "n_partners": 5}, submission_key="2")
    store.submit_page(token, "alliance", {"stage": 2, "n_partners": None}, submission_key="3")
    assert _count(store, Answer) == 5
    assert withdraw(store, token).n_answers == 3
    assert _count(store, Answer) == 0
