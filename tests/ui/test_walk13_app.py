"""With Streamlit's AppTest: defects found on the thirteenth walk.

- An opt-out link opened while the database could not be written (a server that is
  down, a read-only file) showed the store's own message, with the database's address
  or file path and the driver's error, and told the contact in German that the link
  could not be used and to open it exactly as in the e-mail.  It now says that the
  request could not be recorded, nothing was changed, and to open the link again later.
- The survey's notice for a database that cannot be reached began with its own title
  at level 2: the page had no first-level heading, unlike every other page; and it told
  the tab to forget the page's unsent answers (a reload during an outage lost them).
  The browser test of the outage is ``test_walk13_browser`` (slow: it stops PostgreSQL).
- A double click on the language switch lost the numbers and text typed on the page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instruments.ui.texts import t
from tests.ui.test_app import open_app, texts
from tests.ui.test_s19_leftovers_app import optout_token  # noqa: F401 - fixture


def _read_only(url: str) -> str:
    """The SQLite database of ``url`` opened read-only: every write fails."""
    path = url.removeprefix("sqlite:///")
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_an_optout_while_the_database_cannot_be_written_names_no_database(
    store, db_url, optout_token, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001, F811
) -> None:
    """The opt-out of a listed contact on a read-only database: the page said "The
    response store sqlite:///…/survey.sqlite cannot be used right now: '(sqlite3.
    OperationalError) attempt to write a readonly database' …" and, in German, that the
    link could not be used.  Now: not recorded, in both languages, and no address."""
    from instruments.store import DB_ENV_VAR
    from instruments.store.mailtables import MailOptout
    from instruments.ui.optout import TEXTS

    monkeypatch.setenv(DB_ENV_VAR, _read_only(db_url))
    at = open_app(optout=optout_token)
    shown = texts(at)
    folder = str(Path(db_url.removeprefix("sqlite:///")).parent)
    for secret in (folder, "sqlite", "OperationalError", "readonly"):
        assert secret not in shown, shown
    assert TEXTS["unavailable"]["en"] in shown and TEXTS["unavailable"]["de"] in shown
    assert TEXTS["refused"]["de"] not in shown and "not valid" not in shown
    with store.session() as session:
        assert session.query(MailOptout).count() == 0  # nothing was recorded indeed


def test_the_notice_of_an_unreachable_database_starts_with_the_surveys_title(
    store, db_url, invite, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    """A first visit of a link while the database cannot be written: the survey's title
    (level 1), then the notice (level 2), the other language's line under it."""
    from instruments.store import DB_ENV_VAR

    token = invite(language="de")
    monkeypatch.setenv(DB_ENV_VAR, _read_only(db_url))
    at = open_app(token)
    assert [e.value for e in at.title] == [store.instrument.title["en"]]
    assert [e.value for e in at.header] == [t("unavailable_title", "en")]
    assert t("unavailable", "de") in [e.value for e in at.caption]
    assert t("unavailable", "en") in texts(at)
    # the tab keeps the page's unsent answers (they were dropped: a reload during an
    # outage lost them), and the German line is marked German
    (mark,) = [json.loads(e.proto.json) for e in _components(at._tree)
               if e.proto.id.endswith("survey.language_mark")]  # fmt: skip
    assert "forget" not in mark, mark
    assert json.loads(mark["parts"])["survey-part-de"] == "de"


def _components(node):  # noqa: ANN001, ANN202
    """The page's own elements (:mod:`instruments.ui.rating`) in the tree of ``node``."""
    from streamlit.testing.v1.element_tree import UnknownElement

    children = node.children.values() if isinstance(node.children, dict) else node.children
    for child in children:
        if isinstance(child, UnknownElement) and child.proto.HasField("json"):
            yield child
        if hasattr(child, "children"):
            yield from _components(child)


def _switch_twice(url: str, token: str) -> None:
    """The language switch's callback run twice for one double click: the second run
    comes after the first has put the page's fields aside (as when the second click
    arrives while the app draws the page in the new language)."""
    import streamlit as st

    from instruments.store import ResponseStore
    from instruments.ui.fields import page_fields
    from instruments.ui.respondent import _on_language, widget_key

    ss = st.session_state
    if "test.done" not in ss:
        store = ResponseStore(url)
        views = page_fields(store, "alliance", seed=0, lang="en", partner=None, answers={})
        ss["survey.language"] = "en"
        ss[widget_key("alliance", "alliance_age")] = "3.5"
        _on_language(store, token, "alliance", views, "de")
        _on_language(store, token, "alliance", views, "de")
        store.dispose()
        ss["test.done"] = True
    st.write(repr(ss["survey.drafts"]["alliance"].get("alliance_age")))


def test_the_second_click_of_a_double_click_on_the_language_switch_keeps_the_draft(
    store, db_url, invite,  # noqa: ANN001
) -> None:
    """3.5 typed as the alliance's age: after the switch's second run the page's draft
    still holds 3.5 (the second run read the fields the first had emptied: None)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_switch_twice, args=(db_url, invite()), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown] == ["3.5"]
