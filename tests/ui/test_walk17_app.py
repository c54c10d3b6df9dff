"""With Streamlit's AppTest: defects found on the seventeenth walk.

- After "Next" with required answers missing, each question's message was an alert of
  its own (Streamlit's error box, role="alert") on top of the page's summary: a screen
  reader read all of them, while the keyboard was already on the first question, which
  its message describes.  The question's messages are now drawn as text in their note
  (still the question's description); the summary is the page's one alert.
- A respondent whose answers a study lead deleted on their request (the admin pages, the
  command line) read on the closed link "You withdrew from this survey".  The page now
  says that the study team deleted the answers as asked (at the end of the retention
  period, of a test link: said as such); a withdrawal through the link still reads as
  before.  The store already recorded who erased and why (the audit log's reason and
  channel): no new column.  The study lead's two deletion forms say what the link will
  say.
- Checked, no defect: the years with the firm typed with a German decimal comma are
  stored, and shown again in the format of the page's language.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from instruments.store import ResponseStore
from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.store.conftest import pg_server  # noqa: F401 - the fixture (PostgreSQL)
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import fill_page, plan_answers
from tests.ui.test_app import click, current_page, open_app, question_messages, texts


def _answered(store: ResponseStore, token: str, pages: int) -> None:
    """The first ``pages`` pages of ``token`` sent with the bot's answers."""
    store.start(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=17)
    for page in [p.id for p in store.pages if p.id in plan][:pages]:
        store.submit_page(token, page, {k: v for k, v in plan[page].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_question_messages_are_not_alerts_the_summary_is(store, invite, lang) -> None:  # noqa: ANN001
    """Two required questions left empty: one alert (the page's summary), the two
    messages under their questions, each in the note the question is described by."""
    token = invite(language=lang)
    _answered(store, token, 2)
    at = open_app(token)
    assert current_page(at) == "alliance"
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=17)
    fill_page(at, "alliance", {**plan["alliance"], "governance_form": None,
                               "prior_ties": None})  # fmt: skip
    click(at, {"en": "Next", "de": "Weiter"}[lang])
    assert current_page(at) == "alliance"
    assert [e.value for e in at.error] == [t("page_problems", lang)]
    assert question_messages(at) == [t("answer_required", lang)] * 2
    # the notes belong to the two questions left empty
    notes = [b.key for b in _blocks(at) if str(b.key).startswith("note-")]
    assert notes == [f"note-{widget_key('alliance', q)}" for q in ("governance_form",
                                                                   "prior_ties")]


def test_the_tenure_is_read_and_shown_in_the_pages_number_format(store, invite) -> None:  # noqa: ANN001
    """The optional decimal of the last page of questions (years with the firm), typed
    "12,5" on the German page: stored as 12.5, shown "12,5" after "Zurück" and "12.5"
    on the English page (walks 15 and 16 checked the alliance's age only)."""
    from tests.ui.test_walk15_app import _at_page

    token = invite(language="de")
    at, plan = _at_page(store, token, "about_you")
    key = widget_key("about_you", "resp_tenure")
    fill_page(at, "about_you", {**plan["about_you"], "resp_tenure": "12,5"})
    click(at, "Weiter")
    assert question_messages(at) == []
    assert store.state(token).answers["resp_tenure"] == 12.5
    click(at, "Zurück")
    assert current_page(at) == "about_you" and at.text_input(key=key).value == "12,5"
    click(at, "English")
    assert at.text_input(key=key).value == "12.5"


def _blocks(at) -> list:  # noqa: ANN001
    found: list = []

    def walk(node) -> None:  # noqa: ANN001
        for child in getattr(node, "children", {}).values():
            if type(child).__name__ == "Block":
                found.append(child)
            walk(child)

    walk(at.main)
    return found


@pytest.mark.parametrize(("how", "title", "text"), [
    ("link", "withdrawn_title", "withdrawn_link"),
    ("admin", "deleted_title", "deleted_request_link"),
    ("cli", "deleted_title", "deleted_request_link"),
    ("retention", "deleted_title", "deleted_retention_link"),
    ("test", "deleted_title", "deleted_test_link"),
])  # fmt: skip
@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_closed_link_says_who_deleted_the_answers(
    store, invite, how: str, title: str, text: str, lang: str,  # noqa: ANN001
) -> None:
    """The respondent's own withdrawal, the study lead's deletion on request (admin page,
    command line), the end of the retention period, a test response: the closed link's
    title and text name who deleted; "you withdrew" only for the first."""
    from instruments.store.rights import erase_study_responses, withdraw

    token = invite(language=lang)
    _answered(store, token, 2)
    if how == "retention":
        erase_study_responses(store, STUDY)
    elif how == "test":
        withdraw(store, token, reason="test", channel="admin")
    elif how == "link":
        withdraw(store, token)
    else:
        withdraw(store, token, reason="request", channel=how, actor="lead")
    at = open_app(token)
    assert [h.value for h in at.header] == [t(title, lang)]
    assert t(text, lang) in texts(at)
    if how != "link":
        assert t("withdrawn_link", lang) not in texts(at)


def test_a_lead_deleting_while_the_respondent_answers_is_named_on_next(store, invite) -> None:  # noqa: ANN001
    """The study lead deletes the answers from the table of respondents (on the
    respondent's e-mail) while the respondent is on a page: "Weiter" then says that
    the study team deleted them as asked, in German, and saves nothing."""
    from instruments.store.rights import erase_invitation

    token = invite(language="de")
    _answered(store, token, 2)
    at = open_app(token)
    assert current_page(at) == "alliance"
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=17)
    fill_page(at, "alliance", plan["alliance"])
    invitation_id = _invitation_id(store, token)
    erase_invitation(store, STUDY, invitation_id, actor="per E-Mail")
    click(at, "Weiter")
    assert not at.exception
    assert t("deleted_request_link", "de") in texts(at)
    assert t("withdrawn_title", "de") not in texts(at)
    assert store.state(token).answers == {}


def test_a_deletion_from_the_privacy_tab_is_named_on_the_link(store, invite) -> None:  # noqa: ANN001
    """The study lead deletes a response on request from the Privacy tab (the link
    pasted, the box ticked): the tab says what the respondent's link will say, and the
    link says that the study team deleted the answers as asked, in the respondent's
    language."""
    from tests.ui.survey_bot import open_tab
    from tests.ui.test_app import _admin

    token = invite(language="de")
    _answered(store, token, 2)
    at = _admin()
    open_tab(at, "Privacy & preview")
    assert any("deleted the answers as asked" in c.value for c in at.caption)
    at.text_input(key="admin.delete_token").input(f"http://host/?t={token}")
    at.checkbox(key="admin.delete_sure").check()
    click(at, "Delete this response")
    assert store.state(token).status == "withdrawn"
    shown = texts(open_app(token))
    assert t("deleted_request_link", "de") in shown
    assert t("withdrawn_link", "de") not in shown


def _invitation_id(store: ResponseStore, token: str) -> int:
    from instruments.store.tokens import find_invitation

    with store.session() as session:
        return int(find_invitation(session, token).id)


# -- the store's answer on both databases ---------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def both_stores(request, tmp_path, instrument) -> Iterator[ResponseStore]:  # noqa: ANN001
    """A store of the questionnaire with the study, on SQLite and on PostgreSQL."""
    from instruments.fieldwork.invitations import create_study

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'origin.sqlite'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(
            f"w17_{os.getpid()}_{uuid.uuid4().hex[:8]}")
    store = ResponseStore(url, instrument=instrument)
    create_study(store, STUDY)
    try:
        yield store
    finally:
        store.dispose()


def test_the_store_names_the_latest_erasure_of_a_link(both_stores) -> None:  # noqa: ANN001
    """None before any erasure; the reason and channel of the latest one after (a link
    erased twice: the second), on SQLite and PostgreSQL."""
    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.rights import erasure_origin, withdraw

    store = both_stores
    one, two = (i.token for i in create_invitations(store, STUDY, 2))
    _answered(store, one, 1)
    assert erasure_origin(store, one) is None
    withdraw(store, one)
    assert erasure_origin(store, one) == ("withdrawn", "link")
    withdraw(store, one, reason="request", channel="admin")
    assert erasure_origin(store, one) == ("request", "admin")
    assert erasure_origin(store, two) is None
