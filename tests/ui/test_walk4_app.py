"""AppTest checks of defects found on the fourth walk (no browser needed).

- A link that can no longer be answered (expired, screened out) still offers the
  withdrawal the consent text promises "at any time", when answers are stored.
- A withdrawal leaves no copy of the answers in the store's files (SQLite's write-ahead
  log kept the erased pages), nor an analysis computed from them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from instruments.ui.texts import t, tn
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import click, fill_page, plan_answers, walk_apptest
from tests.ui.test_app import open_app, stored, texts


def _expire(store) -> None:  # noqa: ANN001
    from instruments.store.models import Invitation, utcnow

    with store.session() as session:
        for inv in session.query(Invitation).all():
            inv.expires_at = utcnow() - timedelta(days=1)


def _withdraw_through_the_link(at, store, token: str, lang: str) -> None:  # noqa: ANN001
    n_given = len(stored(store, token))
    assert n_given > 0
    assert t("withdraw_open", lang) in [e.label for e in at.expander]
    click(at, t("withdraw_confirm", lang))
    assert tn("withdrawn", lang, n_given) in texts(at)
    assert stored(store, token) == {}
    assert store.state(token).status == "withdrawn"
    assert store.wide(STUDY).empty


# -- withdrawal from a closed link -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_expired_link_with_answers_offers_withdrawal(store, invite, lang) -> None:  # noqa: ANN001
    """The study closed (the invitation expired) after three pages were answered: the link
    says it expired and still lets the respondent delete the answers."""
    token = invite(language=lang, expires_days=5)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=4, lang=lang)
    walk_apptest(at, store, plan, stop_after=3)
    _expire(store)
    again = open_app(token)
    assert t("expired_link", lang) in texts(again)
    _withdraw_through_the_link(again, store, token, lang)


def test_an_expired_link_without_answers_offers_nothing_to_delete(store, invite) -> None:  # noqa: ANN001
    token = invite(expires_days=5)
    open_app(token)  # opened once, nothing answered
    _expire(store)
    at = open_app(token)
    assert t("expired_link", "en") in texts(at)
    assert not at.expander and not at.button


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_screened_out_respondent_can_withdraw(store, invite, lang) -> None:  # noqa: ANN001
    """Screened out, the consent and screening answers stay stored: withdrawal is offered on
    the screening message, right away and when the link is opened again."""
    low = store.instrument.screening.screen_out_below - 1
    for reopen in (False, True):
        token = invite(language=lang)
        at = open_app(token)
        at.radio(key="w:consent:consent").set_value(1)
        click(at, t("start", lang))
        fill_page(at, "screening", {"n_partners": 3, "informant_knowledge": low})
        click(at, t("next", lang))
        assert store.state(token).status == "screened_out"
        message = store.instrument.screening.message[lang].strip()
        if reopen:
            at = open_app(token)
        assert message in texts(at)
        _withdraw_through_the_link(at, store, token, lang)


# -- what a withdrawal leaves behind ----------------------------------------------------------


def _store_files(db_url: str) -> list[Path]:
    path = Path(db_url.removeprefix("sqlite:///"))
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def test_a_withdrawal_leaves_no_copy_of_the_answers_in_the_store(store, invite, db_url) -> None:  # noqa: ANN001
    """The free text (long, with emoji and right-to-left script) is in the database's files
    after the survey; after the withdrawal no byte of it is, while the app still runs
    (SQLite kept the erased pages in its write-ahead log).  No analysis made with the
    answers stays cached."""
    from instruments.store import cache

    token = invite(language="en")
    at = open_app(token)
    click(at, "Deutsch")
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=8, lang="de")
    marker = "Kommentar-7f3a 😀 مرحبا بالعالم ש׳לום " + "ü" * 3000
    plan["comment"]["comment"] = marker
    walk_apptest(at, store, plan)
    assert store.state(token).status == "completed"
    assert stored(store, token)["comment"] == marker
    cache.put(store, STUDY, "k" * 64, report_html="<html>report</html>", analysis={"n": 1},
              data_sha256="0" * 64, settings={}, seconds=1.0)
    needle = "Kommentar-7f3a".encode()
    assert any(needle in p.read_bytes() for p in _store_files(db_url))

    _withdraw_through_the_link(at, store, token, "de")
    found = [p.name for p in _store_files(db_url) if needle in p.read_bytes()]
    assert not found, f"the erased answer is still in {found}"
    assert cache.get(store, "k" * 64) is None


# -- very long free text ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_too_long_answer_is_kept_and_named_in_the_pages_language(store, invite, lang) -> None:  # noqa: ANN001
    """5,001 characters in the 5,000-character comment: the page says so in its own language
    (not the store's English refusal), keeps the text for shortening and saves nothing; the
    shortened text, emoji counted as one character each as the store counts them, is saved."""
    token = invite(language=lang)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=5, lang=lang)
    walk_apptest(at, store, plan, stop_after=len(plan) - 1)
    key = "w:comment:comment"
    limit = store.page(len(store.pages) - 1).field("comment").max_length
    text = ("Ein langer Kommentar. " * 400)[: limit - 1] + "😀🚀"
    at.text_area(key=key).input(text)
    click(at, t("finish", lang))
    expected = {"en": f"Your answer has {limit + 1} characters; at most {limit} fit.",
                "de": f"Ihre Antwort hat {limit + 1} Zeichen; höchstens {limit} sind möglich."}
    body = texts(at)
    assert expected[lang] in body
    assert "Item 'comment'" not in body  # not the store's message
    assert at.text_area(key=key).value == text
    assert "comment" not in stored(store, token)
    assert store.state(token).status != "completed"

    at.text_area(key=key).input(text[:-1])  # 4,999 characters and one emoji
    click(at, t("finish", lang))
    assert store.state(token).status == "completed"
    assert stored(store, token)["comment"] == text[:-1]
