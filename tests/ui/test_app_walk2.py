"""AppTest checks of defects found on the second fresh-eyes walk (no browser needed).

- The answers on a page survive a database outage that lasts past the press of Next
  (the unavailable notice offers "Try again" in the same window).
- A withdrawal that fails because the database cannot be reached says so, in the page's
  language, mid-survey and on the thank-you page; nothing is deleted and pressing again
  once the database is back works (it used to fail silently: the press did nothing).
"""

from __future__ import annotations

import pytest

from tests.ui.survey_bot import click, plan_answers, walk_apptest
from tests.ui.test_app import open_app, stored, texts


def _unreachable(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    from sqlalchemy.exc import OperationalError

    raise OperationalError("DELETE", {}, Exception("database is locked"))


@pytest.mark.parametrize("where", ["survey", "thanks"])
def test_a_failed_withdrawal_is_reported_and_can_be_repeated(
    store, invite, monkeypatch, where  # noqa: ANN001
) -> None:
    import instruments.store.rights as rights

    token = invite(language="de")
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=4)
    walk_apptest(at, store, plan, stop_after=3 if where == "survey" else None)
    n_given = len(stored(store, token))
    real = rights.withdraw
    monkeypatch.setattr(rights, "withdraw", _unreachable)
    click(at, "Ja, alle meine Antworten löschen")
    body = texts(at)
    assert "Ihre Antworten konnten gerade nicht gelöscht werden" in body
    assert "could not" not in body  # German page, German message
    assert len(stored(store, token)) == n_given and store.state(token).status != "withdrawn"
    monkeypatch.setattr(rights, "withdraw", real)
    click(at, "Ja, alle meine Antworten löschen")
    assert f"Alle {n_given} Antworten, die Sie gegeben haben, wurden gelöscht" in texts(at)
    assert store.state(token).status == "withdrawn"


def test_answers_of_a_page_survive_an_outage_that_outlasts_the_press(store, invite) -> None:
    """The database goes away as Next is pressed and is still away when the page is drawn
    again: the respondent sees the unavailable notice with a way to try again in the same
    window, and the page comes back with everything filled in (the notice promises that
    nothing is lost)."""
    from instruments.store import ResponseStore
    from tests.ui.survey_bot import fill_page
    from tests.ui.test_app import current_page, page_widgets

    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=6)
    walk_apptest(at, store, plan, stop_after=2)
    assert current_page(at) == "alliance"
    fill_page(at, "alliance", plan["alliance"])
    with pytest.MonkeyPatch.context() as away:
        away.setattr(ResponseStore, "submit_page", _unreachable)
        away.setattr(ResponseStore, "start", _unreachable)
        click(at, "Next")
        assert "We cannot reach the survey database right now" in texts(at)
    # the database is back
    click(at, "Try again")
    assert current_page(at) == "alliance"
    assert page_widgets(at, "alliance") == plan["alliance"]
    click(at, "Next")
    assert current_page(at) == "learning"
    assert {k: v for k, v in stored(store, token).items() if k in plan["alliance"]} == \
        pytest.approx(plan["alliance"])
