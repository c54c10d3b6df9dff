"""AppTest checks of defects found on the second fresh-eyes walk (no browser needed).

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
