"""With Streamlit's AppTest: defects found on the sixteenth walk.

- "1,000" typed as the alliance's age on the English page was asked again (it may mean
  a thousand or one); switched to German with the text kept, the page read it there as
  1,0 and stored 1.0 without a word.  It is asked again on the German page, with the
  English reading of the thousands separator.
- A study lead typing into the sender form while another study lead saved it: the next
  drawing of the page (any button of the page) put the other lead's values into the
  fields, replacing what this lead had typed and not yet saved, without a word.  The
  lead is now told which fields were changed by the other study lead and what they
  showed before, and to type again what was unsaved.
- The progress bar counted the pages the survey logic skips: a respondent whose alliance
  does not aim at sustainability went from "Page 9 of 12" to "Page 11 of 12" and ended on
  "Page 12 of 12" after eleven pages.  The pages are numbered as shown.
- The study lead's Respondents table showed the last activity without a time zone (the
  store keeps UTC); the column now says "(UTC)".
- Checked, no defect: a study lead deleting a respondent's answers while the respondent
  is on a page: the respondent's next "Weiter" shows the withdrawal notice in German,
  saves nothing, and no traceback (the survey's link is closed).
"""

from __future__ import annotations

import pytest

from instruments.ui.respondent import widget_key
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import fill_page
from tests.ui.test_app import click, current_page, open_app, question_messages
from tests.ui.test_walk15_app import _at_page


@pytest.mark.parametrize(("first", "then", "typed", "whole"), [
    ("en", "de", "1,000", "1000"), ("de", "en", "1.000", "1000"),
])  # fmt: skip
def test_an_ambiguous_decimal_stays_a_question_after_a_switch_of_language(
    store, invite, first: str, then: str, typed: str, whole: str,  # noqa: ANN001
) -> None:
    """"1,000" on the English page is asked again; "Deutsch" with the text kept, then
    "Weiter": it was stored as 1.0 (a German decimal comma).  Now the German page asks
    again, naming 1000; typed anew ("12"), it is stored."""
    names = {"en": "English", "de": "Deutsch"}
    nexts = {"en": "Next", "de": "Weiter"}
    token = invite(language=first)
    at, plan = _at_page(store, token, "alliance")
    key = widget_key("alliance", "alliance_age")
    fill_page(at, "alliance", {**plan["alliance"], "alliance_age": typed})
    click(at, nexts[first])
    assert current_page(at) == "alliance"
    click(at, names[then])
    assert at.text_input(key=key).value == typed
    click(at, nexts[then])
    assert not at.exception, at.exception
    assert current_page(at) == "alliance"
    assert "alliance_age" not in store.state(token).answers
    errors = " ".join(question_messages(at))
    assert f"{typed}" in errors and whole in errors, errors
    at.text_input(key=key).input("12")  # typed anew: read as the page's language reads it
    click(at, nexts[then])
    assert store.state(token).answers["alliance_age"] == 12.0


def test_a_decimal_typed_anew_after_the_switch_is_read_in_the_new_language(
    store, invite,  # noqa: ANN001
) -> None:
    """The ambiguous "1,000" retyped as "1,5" on the German page is read there (1.5)."""
    token = invite(language="en")
    at, plan = _at_page(store, token, "alliance")
    fill_page(at, "alliance", {**plan["alliance"], "alliance_age": "1,000"})
    click(at, "Next")
    click(at, "Deutsch")
    at.text_input(key=widget_key("alliance", "alliance_age")).input("1,5")
    click(at, "Weiter")
    assert [e.value for e in at.error] == [] and question_messages(at) == []
    assert store.state(token).answers["alliance_age"] == 1.5


@pytest.mark.parametrize("form", ["mail", "privacy"])
def test_a_study_lead_is_told_when_another_leads_save_replaces_the_form(
    store, form: str,  # noqa: ANN001
) -> None:
    """Two study leads have the same settings form open; the second saves a new value.
    The first lead's page is drawn again (any button on it) before saving: the field
    took the other lead's value, which replaced in the browser whatever the first lead
    had typed there and not saved (Streamlit sends a form's fields only when it is
    saved), without a word.  The first lead is now told which field changed, its new
    and former value, and to type again what was not saved."""
    from instruments.fieldwork.mail import mail_settings
    from instruments.store.rights import get_settings, set_settings
    from tests.ui.survey_bot import open_tab
    from tests.ui.test_app import texts
    from tests.ui.test_s19_leftovers_app import _configured, _field, _lead

    _configured(store)
    set_settings(store, STUDY, contact="old@uni.example")
    tab, label, old, new, button = {
        "mail": ("Contacts & mail", "Study lead's e-mail", "lehmann@uni.example",
                 "studie@uni.example", "Save sender settings"),
        "privacy": ("Privacy & preview", "Contact", "old@uni.example", "new@uni.example",
                    "Save privacy settings"),
    }[form]  # fmt: skip
    first, second = _lead(), _lead()
    open_tab(first, tab)
    open_tab(second, tab)
    assert "Another study lead" not in texts(first)
    _field(second, label).input(new)
    click(second, button)
    saved = mail_settings(store, STUDY).lead_email if form == "mail" \
        else get_settings(store, STUDY).contact
    assert saved == new
    first.run()  # drawn again before the first lead saves (another button, a tab)
    assert not first.exception, first.exception
    warning = " ".join(w.value for w in first.warning).replace("\\", "")
    assert "Another study lead saved" in warning, warning
    assert f"{label}: {new} (was {old})" in warning, warning
    assert "type it again" in warning
    assert _field(first, label).value == new
    # the warning is said once: drawn again, the form is up to date
    first.run()
    assert "the form now shows" not in " ".join(w.value for w in first.warning)


def _progress_text(at) -> str:  # noqa: ANN001
    return at.get("progress")[0].proto.text


@pytest.mark.parametrize(("focus", "skipped"), [(1, True), (2, False)])
def test_the_progress_bar_counts_only_the_pages_shown(
    store, invite, focus, skipped: bool,  # noqa: ANN001
) -> None:
    """A respondent whose alliance does not aim at sustainability is not shown the
    sustainability page: the bar counted it, "Page 9 of
    12" was followed by "Page 11 of 12", and the survey ended on "Page 12 of 12" after
    eleven pages.  Now the pages are numbered as shown, the last is "N of N", and the bar never
    goes back; with the page shown, the count is as before."""
    import uuid

    from tests.ui.survey_bot import plan_answers

    token = invite()
    store.start(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=16)
    plan["alliance"]["sustainability_focus"] = focus
    ids = [p.id for p in store.pages]
    shown = [p for p in ids if not (skipped and p == "sustainability")]
    plan.setdefault("sustainability", {})  # the bot planned it only if shown
    seen = []
    for k, page in enumerate(shown):
        at = open_app(token)
        assert current_page(at) == page
        text = _progress_text(at)
        value = at.get("progress")[0].proto.value
        seen.append((text, value))
        if k + 1 < len(shown):
            store.submit_page(token, page, {i: v for i, v in plan[page].items()
                                            if v is not None} or {},
                              submission_key=uuid.uuid4().hex)  # fmt: skip
    n = len(shown)
    # after the alliance page the count is settled: numbered 1..n without a gap
    after = [text for text, _ in seen[ids.index("alliance") + 1:]]
    assert after == [f"Page {k} of {n}" for k in range(ids.index("alliance") + 2, n + 1)], seen
    values = [v for _, v in seen]
    assert values == sorted(values), seen  # never back


def test_the_study_leads_tables_say_their_times_are_utc(store, invite) -> None:  # noqa: ANN001
    """The Respondents table showed a respondent's last activity as "2026-12-07 08:00:00"
    without a time zone: the store keeps UTC, and a study lead in Berlin (an hour ahead)
    read it as an hour before it happened.  The column now says "(UTC)"."""
    import uuid

    from tests.ui.survey_bot import open_tab
    from tests.ui.test_walk11_app import _config, _logged_in

    token = invite()
    store.start(token)
    store.submit_page(token, "consent", {"consent": 1}, submission_key=uuid.uuid4().hex)
    at = open_tab(_logged_in(), "Respondents")
    (frame,) = [f for f in at.dataframe if "last_activity_at" in f.value.columns]
    assert frame.value["last_activity_at"].notna().all()
    column = _config(frame)["last_activity_at"]
    assert column["label"] == "last activity at (UTC)", column
