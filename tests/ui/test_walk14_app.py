"""With Streamlit's AppTest: defects found on the fourteenth walk.

- When the app's server could not be reached (restarted during fieldwork), Streamlit's
  own dialog said "Connection error / Streamlit server is not responding. Are you
  connected to the internet?" in English on a German page.  Every page of the survey now
  gives the tab the dialog's texts in the page's language, to be shown while the server
  cannot be asked for them; the browser test is ``test_walk14_browser`` (slow: it stops
  and starts the app).
- A whole number written with the language's thousands grouping ("1.000" in German,
  "1,000" in English: a firm's number of alliances pasted from a report) was refused with
  "Please enter a whole number, e.g. 3.", which it is; now it is read as one thousand, and
  the respondent is told the question's range.
"""

from __future__ import annotations

import json
import uuid

import pytest

from instruments.ui.texts import t
from tests.ui.survey_bot import fill_page, plan_answers
from tests.ui.test_app import click, current_page, open_app, question_messages
from tests.ui.test_walk13_app import _components


def _lost_texts(at) -> list[str]:  # noqa: ANN001
    """The dialog's texts the page gave the tab (title, text, close button's name)."""
    (mark,) = [json.loads(e.proto.json) for e in _components(at._tree)
               if e.proto.id.endswith("survey.language_mark")]  # fmt: skip
    return json.loads(mark["lost"])


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_survey_page_carries_the_lost_connection_texts_in_its_language(
    store, invite, lang: str,  # noqa: ANN001
) -> None:
    """The consent page of a German and an English invitation, and the page after the
    switch to the other language: the tab holds the dialog's texts in the page's
    language (it held none: Streamlit's English dialog was shown)."""
    token = invite(language=lang)
    at = open_app(token)
    expected = [t("connection_lost_title", lang), t("connection_lost", lang), t("close", lang)]
    assert _lost_texts(at) == expected
    other = "en" if lang == "de" else "de"
    (switch,) = [b for b in at.button if b.label == {"en": "English", "de": "Deutsch"}[other]]
    switch.click().run()
    assert _lost_texts(at)[0] == t("connection_lost_title", other)


def test_the_lost_connection_texts_name_no_tool_and_keep_the_answers() -> None:
    """The dialog's wording: it names the survey, not Streamlit, does not blame the
    respondent's internet, and says in both languages that the page's entries are kept."""
    for lang, kept in (("en", "stays in this window"), ("de", "bleibt in diesem Fenster")):
        text = t("connection_lost", lang)
        assert kept in text and "Streamlit" not in text and "internet" not in text.lower()


@pytest.mark.parametrize(("lang", "typed", "button"), [
    ("de", "1.000", "Weiter"), ("en", "1,000", "Next"), ("de", "1.200", "Weiter"),
])  # fmt: skip
def test_a_whole_number_with_thousands_grouping_is_told_the_range(
    store, invite, lang: str, typed: str, button: str,  # noqa: ANN001
) -> None:
    """The number of the firm's alliances (0 to 500) written as the language groups
    thousands: the page is not sent and says the range, not "a whole number"."""
    token = invite(language=lang)
    store.start(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=14)
    pages = [p.id for p in store.pages if p.id in plan]
    for page in pages[:pages.index("about_you")]:
        store.submit_page(token, page, {k: v for k, v in plan[page].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip
    at = open_app(token)
    assert current_page(at) == "about_you"
    fill_page(at, "about_you", {**plan["about_you"], "alliance_experience": typed})
    click(at, button)
    assert current_page(at) == "about_you"
    errors = question_messages(at)
    assert t("out_of_range", lang, min=0, max=500) in errors, errors
    assert t("not_a_whole_number", lang) not in errors
    assert "alliance_experience" not in store.state(token).answers


def test_a_number_grouped_as_the_language_does_is_read() -> None:
    """German groups with a point, English with a comma; the other mark stays refused (a
    decimal mark in one language), as do groups of other sizes."""
    from instruments.ui.fields import parse_whole

    assert [parse_whole(x, "de") for x in ("1.000", "12.500", "1.000.000", " 2.000 ")] == \
        [1000, 12500, 1000000, 2000]
    assert [parse_whole(x, "en") for x in ("1,000", "12,500")] == [1000, 12500]
    assert [parse_whole(x, lang) for x, lang in (("1,000", "de"), ("1.000", "en"),
                                                 ("1.00", "de"), ("10.0000", "de"),
                                                 ("1.000", None))] == [None] * 5
