"""With Streamlit's AppTest: defects found on the fifteenth walk.

- In a decimal question (the alliance's age in years), "1,000" typed on an English page
  or "1.000" on a German one was stored as 1.0 without a word, though the respondent may
  have meant a thousand.  A number whose one mark may be the language's thousands
  separator or a decimal mark is now asked again, in the page's language, with the
  typed text kept; "1,5" in German and "1.5" or "1,500.25" in English are read (the
  last was refused: two marks).
- The study lead's pages showed Streamlit's own dialog for a lost server ("Streamlit
  server is not responding. Are you connected to the internet?") where the survey's
  pages say, in their language, that the entries are kept; they now give the tab the
  dialog's texts in their language (English) and words.
- Two study leads saving the same privacy setting: the second silently overwrote the
  first's value.  It is now not saved; the second is told the value saved meanwhile and
  saves again knowingly.
- The free-text limit (5,000 characters) was only behind the field's "?"; it is shown
  under the field.
- A link that expired part-way through the survey did not say what becomes of the
  answers already given; it says they are kept and how to have them deleted.
- The soft prompt still counted a statement answered after it and sent with a switch of
  language ("16 statements" with 15 left).
- Checked: a respondent returning five days later in a new browser session finds the
  page, the language chosen and the answers sent.
"""

from __future__ import annotations

import json
import uuid

import pytest

from instruments.ui.respondent import widget_key
from instruments.ui.texts import group_thousands, t
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import fill_page, plan_answers
from tests.ui.test_app import _admin, click, current_page, open_app, question_messages
from tests.ui.test_walk13_app import _components


def _at_page(store, token: str, page: str):  # noqa: ANN001, ANN202
    """The app on ``page`` with every page before it sent (the bot's answers); its plan."""
    store.start(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=15)
    pages = [p.id for p in store.pages if p.id in plan]
    for done in pages[:pages.index(page)]:
        store.submit_page(token, done, {k: v for k, v in plan[done].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip
    at = open_app(token)
    assert current_page(at) == page
    return at, plan


@pytest.mark.parametrize(("lang", "typed", "button"), [
    ("en", "1,000", "Next"), ("de", "1.000", "Weiter"), ("en", "12,500", "Next"),
])  # fmt: skip
def test_a_decimal_that_may_be_grouped_is_asked_again_not_guessed(
    store, invite, lang: str, typed: str, button: str,  # noqa: ANN001
) -> None:
    """The alliance's age typed as "1,000" (English) or "1.000" (German): it was stored as
    1.0.  Now the page stays, says in its language that the number can be read two ways
    and to type it without the thousands separator, and keeps the typed text."""
    token = invite(language=lang)
    at, plan = _at_page(store, token, "alliance")
    fill_page(at, "alliance", {**plan["alliance"], "alliance_age": typed})
    click(at, button)
    assert current_page(at) == "alliance"
    assert "alliance_age" not in store.state(token).answers
    errors = question_messages(at)
    group = {"en": ",", "de": "."}[lang]
    decimal = {"en": ".", "de": ","}[lang]
    expected = t("ambiguous_number", lang, typed=typed, whole=typed.replace(group, ""),
                 decimal=typed.replace(group, decimal))  # fmt: skip
    assert expected in errors, errors
    assert at.text_input(key=widget_key("alliance", "alliance_age")).value == typed


@pytest.mark.parametrize(("lang", "typed", "number"), [
    ("de", "1,5", 1.5), ("en", "1.5", 1.5), ("en", "2,5", 2.5), ("de", "12", 12.0),
])  # fmt: skip
def test_an_unambiguous_decimal_is_still_read(
    store, invite, lang: str, typed: str, number: float,  # noqa: ANN001
) -> None:
    """"1,5" in German and "1.5" in English are stored as 1.5, without a note."""
    token = invite(language=lang)
    at, plan = _at_page(store, token, "alliance")
    fill_page(at, "alliance", {**plan["alliance"], "alliance_age": typed})
    click(at, {"en": "Next", "de": "Weiter"}[lang])
    assert [e.value for e in at.error] == [] and question_messages(at) == []
    assert store.state(token).answers["alliance_age"] == number


def test_grouped_decimals_are_read_and_ambiguous_ones_are_not() -> None:
    """Thousands grouped with a decimal part or in several groups are read in the
    language that writes them so; one group of three digits is not guessed."""
    from instruments.ui.fields import ambiguous_decimal, parse_decimal

    assert parse_decimal("1,500.25", "en") == 1500.25
    assert parse_decimal("1.500,25", "de") == 1500.25
    assert parse_decimal("1,000,000", "en") == 1_000_000
    assert [parse_decimal(x, lang) for x, lang in (("1,000", "en"), ("1.000", "de"))] == \
        [None, None]
    # the mark is the decimal mark of the language, or the digits are not three
    assert [parse_decimal(x, lang) for x, lang in (("1.000", "en"), ("1,000", "de"),
                                                   ("1,5", "en"), ("0,500", "en"))] == \
        [1.0, 1.0, 1.5, 0.5]
    assert [ambiguous_decimal(x, "en") for x in ("1,000", " 12,345 ", "1,000.5", "1,5")] == \
        [True, True, False, False]


def _lost_texts(at) -> list[str]:  # noqa: ANN001
    """The lost-connection dialog's texts the page gave the tab (title, text, close)."""
    (mark,) = [json.loads(e.proto.json) for e in _components(at._tree)
               if e.proto.id.endswith("survey.language_mark")]  # fmt: skip
    return json.loads(mark["lost"])


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_study_leads_pages_word_the_lost_connection_dialog(store, logged_in: bool) -> None:  # noqa: ANN001
    """The login page and the dashboard give the tab the dialog's texts in the pages'
    language and the study lead's words (they gave none: Streamlit's "Streamlit server
    is not responding. Are you connected to the internet?" was shown)."""
    at = _admin() if logged_in else open_app(admin="1", study=STUDY)
    title, text, close = _lost_texts(at)
    assert (title, close) == (t("connection_lost_title", "en"), t("close", "en"))
    assert text == t("connection_lost_admin", "en")
    assert "stays in this window" in text and "Streamlit" not in text
    assert "internet" not in text.lower()


def test_two_study_leads_saving_the_same_setting_are_told(store) -> None:  # noqa: ANN001
    """Two study leads have the privacy form open with the same contact.  The first saves
    "a@example.org"; the second, whose form still showed the old contact, types
    "b@example.org" and saves: that overwrote the first's contact without a word.  Now it
    is not saved, the second is told the value saved meanwhile, keeps the entry, and a
    second press saves it knowingly; a field only the second changed is saved at once."""
    from instruments.store.rights import get_settings, set_settings
    from tests.ui.survey_bot import open_tab
    from tests.ui.test_app import texts

    set_settings(store, STUDY, contact="old@example.org")
    first, second = _admin(), _admin()
    for at in (first, second):
        open_tab(at, "Privacy & preview")
        assert at.text_input(key="admin.p_contact").value == "old@example.org"
    first.text_input(key="admin.p_contact").input("a@example.org")
    click(first, "Save privacy settings")
    assert get_settings(store, STUDY).contact == "a@example.org"

    second.text_input(key="admin.p_contact").input("b@example.org")
    second.text_input(key="admin.p_retention").input("10 years")
    click(second, "Save privacy settings")
    saved = get_settings(store, STUDY)
    assert (saved.contact, saved.retention) == ("a@example.org", "10 years")
    warning = " ".join(w.value for w in second.warning).replace("\\", "")
    assert "Another study lead saved" in warning and "Contact: a@example.org" in warning
    assert second.text_input(key="admin.p_contact").value == "b@example.org"
    click(second, "Save privacy settings")
    assert get_settings(store, STUDY).contact == "b@example.org"
    assert "Another study lead" not in texts(second)


@pytest.mark.parametrize(("lang", "limit"), [("en", "5,000"), ("de", "5.000")])
def test_the_free_text_limit_is_shown_before_sending(
    store, invite, lang: str, limit: str,  # noqa: ANN001
) -> None:
    """The comment's limit was only behind the field's "?" (shown when pointed at): a
    respondent who pasted 10,000 characters learnt of it after "Finish".  It is under the
    field, in the page's language and its way of grouping thousands.  A paste of 10,000
    characters (emoji with skin tones, Hebrew, Arabic) is then not sent: the page says
    how long it is and keeps it for shortening."""
    from instruments.ui.fields import count_characters

    token = invite(language=lang)
    last = [p.id for p in store.pages][-1]
    at, plan = _at_page(store, token, last)
    key = widget_key(last, "comment")
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert t("free_text_limit", lang, n=limit) in captions, captions
    pasted = ("Gut 👍🏽 שלום עולם مرحبا " * 500)[:10_000]
    at.text_area(key=key).input(pasted)
    click(at, {"en": "Finish", "de": "Abschließen"}[lang])
    assert store.state(token).status != "completed"
    errors = question_messages(at)
    assert t("too_long", lang, length=group_thousands(count_characters(pasted), lang),
             limit=group_thousands(5000, lang)) in errors, errors
    assert at.text_area(key=key).value == pasted


def _move_back(store, days: float, token: str | None = None) -> None:  # noqa: ANN001
    """Move every stored time of the study ``days`` into the past (a respondent returning
    after days); with ``token``, also let that invitation expire a day ago."""
    from sqlalchemy import text

    with store.engine.begin() as con:
        for table, column in (("respondents", "started_at"), ("respondents", "last_activity_at"),
                              ("page_submissions", "shown_at"), ("invitations", "created_at")):
            con.execute(text(f"UPDATE {table} SET {column} = datetime({column}, :shift)"),
                        {"shift": f"-{days} days"})  # fmt: skip
        if token is not None:
            con.execute(text("UPDATE invitations SET expires_at = datetime('now', '-1 day')"))


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_link_that_expired_part_way_says_what_becomes_of_the_answers(
    store, invite, lang: str,  # noqa: ANN001
) -> None:
    """A respondent who answered three pages returns after the invitation expired: the
    page said the link had expired and to ask for a new one, but not what becomes of the
    answers already given.  It now says they are kept for the study and how to have them
    deleted (the withdrawal below)."""
    token = invite(language=lang)
    _at_page(store, token, "learning")
    n = len(store.state(token).answers)
    assert n > 0
    _move_back(store, 5, token)
    at = open_app(token)
    shown = " ".join(m.value.replace("\\", "") for m in at.markdown)
    kept = {"en": "kept for the study", "de": "für die Studie gespeichert"}[lang]
    assert kept in shown and t("withdraw_open", lang) in shown, shown
    assert t("withdraw_open", lang) in [e.label for e in at.expander]
    assert len(store.state(token).answers) == n


def test_a_respondent_returning_after_days_finds_page_language_and_answers(
    store, invite,  # noqa: ANN001
) -> None:
    """A German invitation switched to English, three pages sent, the browser closed; five
    days later the same link in a new browser session: the fourth page, in English, and
    Back shows the third page's answers."""
    from instruments.store.rights import set_language
    from tests.ui.test_app import page_widgets

    token = invite(language="de")
    _, plan = _at_page(store, token, "learning")
    set_language(store, token, "en")
    _move_back(store, 5)
    at = open_app(token)
    assert current_page(at) == "learning"
    assert "Page 4 of" in at.get("progress")[0].proto.text
    click(at, "Back")
    assert current_page(at) == "alliance"
    shown = page_widgets(at, "alliance")
    assert {k: v for k, v in shown.items() if plan["alliance"].get(k) is not None} == \
        {k: v for k, v in plan["alliance"].items() if v is not None}


def test_the_soft_prompt_counts_again_after_a_switch_of_language(store, invite) -> None:  # noqa: ANN001
    """"Weiter" with the 16 learning statements empty: "Sie haben 16 Aussagen nicht
    beantwortet".  One answered, then "English": the prompt said "You left 16 statements
    unanswered" (15 were left); it now counts 15.  All answered, then "Deutsch": no
    prompt, the page's own "Weiter"."""
    from instruments.ui.texts import tn
    from tests.ui.survey_bot import fill_page

    token = invite(language="de")
    at, plan = _at_page(store, token, "learning")
    click(at, "Weiter")
    n = len(plan["learning"])
    assert [w.value for w in at.warning] == [tn("soft_prompt", "de", n)]
    first, *rest = plan["learning"]
    fill_page(at, "learning", {first: 4})
    click(at, "English")
    assert [w.value for w in at.warning] == [tn("soft_prompt", "en", n - 1)]
    fill_page(at, "learning", dict.fromkeys(rest, 4))
    click(at, "Deutsch")
    assert [w.value for w in at.warning] == []
    click(at, "Weiter")
    assert current_page(at) != "learning"
    assert store.state(token).answers[first] == 4
