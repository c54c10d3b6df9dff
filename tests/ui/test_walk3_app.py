"""AppTest checks of defects found on the third browser walk (no browser needed).

- Consent taken back after answering asks before it deletes (and then deletes, as
  promised); counts read "1 question", "1 answer", never "1 answers".
- The study lead's login says which field is empty.
- Texts that name a button use the button's label, in both languages.
- A link that opens no survey says why in both languages (and in the page's language
  when it closes mid-survey).
- A link with its token twice opens the one invitation it names; two different
  invitations are refused.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from instruments.ui.texts import t
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.survey_bot import click, open_tab, plan_answers, survey_widgets, walk_apptest
from tests.ui.test_app import current_page, open_app, stored, texts


def _back_to_consent_and_decline(at, lang: str) -> None:  # noqa: ANN001
    while current_page(at) != "consent":
        click(at, t("back", lang))
    at.radio(key="w:consent:consent").set_value(0)
    click(at, t("start", lang))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_declining_after_answering_asks_before_deleting(store, invite, lang) -> None:  # noqa: ANN001
    from instruments.store.rights import deletion_log

    token = invite(language=lang)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=31)
    walk_apptest(at, store, plan, stop_after=3)
    given = stored(store, token)
    n_given = len(given)
    assert n_given > 5

    _back_to_consent_and_decline(at, lang)
    body = texts(at)
    assert t("decline_confirm", lang, n=n_given) in body
    assert stored(store, token) == given  # nothing deleted before the second question
    assert store.state(token).status != "withdrawn" and deletion_log(store, STUDY).empty

    click(at, t("decline_keep", lang))  # second thoughts: everything stays
    assert current_page(at) == "consent"
    assert at.radio(key="w:consent:consent").value == 1
    assert stored(store, token) == given

    _back_to_consent_and_decline(at, lang)
    click(at, t("decline_delete", lang))
    assert t("withdrawn", lang, n=n_given) in texts(at)
    assert store.state(token).answers == {} and store.state(token).status == "withdrawn"
    assert store.wide(STUDY).empty
    log = deletion_log(store, STUDY)
    assert log["reason"].tolist() == ["declined"]
    assert log["n_answers"].tolist() == [n_given]


def test_one_answer_is_counted_in_the_singular(store, invite) -> None:  # noqa: ANN001
    """Only the consent is stored: "1 question" before, "The 1 answer" after deleting."""
    token = invite()
    at = open_app(token)
    at.radio(key="w:consent:consent").set_value(1)
    click(at, "Start the survey")
    assert current_page(at) == "screening" and len(stored(store, token)) == 1
    _back_to_consent_and_decline(at, "en")
    assert "You have answered 1 question. Declining now deletes it" in texts(at)
    click(at, "Yes, delete and leave")
    body = texts(at)
    assert "The 1 answer you gave has been deleted" in body
    assert "1 answers" not in body
    assert store.state(token).status == "withdrawn"


def test_every_count_text_has_a_singular() -> None:
    """Every frame text that counts something has its ``_one`` form, and it is used."""
    from instruments.ui.texts import NOT_A_COUNT, UI_LANGUAGES, text_keys, tn

    keys = text_keys()
    counting = [k for k in keys if "{n}" in t(k, "en") and k not in NOT_A_COUNT]
    assert counting, "no counting texts found"
    for key in counting:
        assert f"{key}_one" in keys, key
        for lang in UI_LANGUAGES:
            text = tn(key, lang, 1)
            assert "1" in text and "{" not in text, (key, lang)
            assert not re.search(r"\b1 (answers|questions|statements|characters|Antworten|"
                                 r"Fragen|Aussagen)\b", text), (key, lang, text)


@pytest.mark.parametrize(
    ("study", "password", "message"),
    [("", PASSWORD, "Please enter the study."),
     (STUDY, "", "Please enter the password."),
     ("", "", "Please enter the study and the password.")],
)
def test_study_lead_login_says_what_is_missing(store, study, password, message) -> None:  # noqa: ANN001
    at = open_app(admin="1")
    at.text_input(key="admin.login_study").input(study)
    at.text_input(key="admin.login_password").input(password)
    click(at, "Log in")
    body = texts(at)
    assert message in body
    assert "Wrong password" not in body


def test_analysis_tab_counts_one_completed_response(store, invite) -> None:  # noqa: ANN001
    token = invite()
    state = store.start(token)
    plan = plan_answers(store, seed=state.seed)
    for k, page in enumerate(plan):
        store.submit_page(token, page, plan[page], submission_key=f"s{k}")
    assert store.state(token).status == "completed"
    at = open_app(admin="1", study=STUDY)
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    open_tab(at, "Analysis")
    click(at, "Run the analysis")
    errors = [e.value for e in at.error]
    assert any("has 1 completed response;" in e for e in errors), errors


# -- texts that name buttons ------------------------------------------------------------

#: Every button (and the withdrawal expander) a respondent can press, by text id.
BUTTONS = ("next", "back", "finish", "start", "try_again", "withdraw_open", "withdraw_confirm",
           "back_to_consent", "soft_answer", "soft_continue", "decline_delete", "decline_keep",
           "redirect")
_QUOTED = re.compile(r"[“„\"]([^”“\"]+)[”“\"]")
_PRESS = re.compile(r"\b(press|click|klicken|drücken|Schaltfläche)\b", re.IGNORECASE)


def _quoted_labels_are_buttons(text: str, lang: str) -> None:
    labels = {t(k, lang) for k in BUTTONS}
    for sentence in re.split(r"(?<=[.;:])\s+", text):
        quoted = _QUOTED.findall(sentence)
        if _PRESS.search(sentence):  # a sentence that asks for a press names the button
            assert quoted, (lang, sentence)
        for label in quoted:
            assert label in labels or re.fullmatch(r"\{\w+\}", label), (lang, label, sentence)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_texts_name_buttons_by_their_labels(instrument, lang) -> None:  # noqa: ANN001
    """Every frame text and the consent text that names a button quotes its label."""
    from instruments.ui.texts import text_keys

    for key in text_keys():
        _quoted_labels_are_buttons(t(key, lang), lang)
    _quoted_labels_are_buttons(instrument.consent.text[lang], lang)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_consent_page_note_names_its_own_button(store, invite, lang) -> None:  # noqa: ANN001
    at = open_app(invite(language=lang))
    (note,) = [c.value for c in at.caption if t("finish", lang) in c.value]
    for key in ("start", "next", "finish"):
        assert t(key, lang) in _QUOTED.findall(note), (key, note)
    assert [b.label for b in at.button if b.key != "survey.withdraw"][-1] == t("start", lang)
    _quoted_labels_are_buttons(note, lang)


# -- links that open no survey ------------------------------------------------------------


def _expire(store, days: int = 1) -> None:  # noqa: ANN001
    from instruments.store.models import Invitation, utcnow

    with store.session() as session:
        for inv in session.query(Invitation).all():
            inv.expires_at = utcnow() - timedelta(days=days)


@pytest.mark.parametrize("case", ["unknown", "expired"])
def test_a_link_problem_is_explained_in_both_languages(store, invite, case) -> None:  # noqa: ANN001
    token = "not-a-real-token"
    if case == "expired":
        token = invite(expires_days=1)
        _expire(store)
    body = texts(open_app(token))
    text = {"unknown": "invalid_link", "expired": "expired_link"}[case]
    for lang in ("en", "de"):
        assert t("link_problem_title", lang) in body
        assert t(text, lang) in body, (lang, body)
        assert t("link_problem_hint", lang) in body


def test_a_link_that_expires_mid_survey_says_so_in_the_pages_language(store, invite) -> None:  # noqa: ANN001
    token = invite(language="de", expires_days=1)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=2, lang="de")
    walk_apptest(at, store, plan, stop_after=1)
    _expire(store)
    from tests.ui.survey_bot import fill_page

    fill_page(at, "screening", plan["screening"])
    click(at, "Weiter")
    body = texts(at)
    assert t("expired_link", "de") in body
    assert "expired" not in body  # no English on a German page


# -- a token given twice --------------------------------------------------------------------


@pytest.mark.parametrize("order", ["valid_first", "valid_last", "same_twice"])
def test_a_token_given_twice_opens_the_valid_one(store, invite, order) -> None:  # noqa: ANN001
    token = invite()
    values = {"valid_first": [token, "zzz"], "valid_last": ["zzz", token],
              "same_twice": [token, token]}[order]
    at = open_app()
    at.query_params["t"] = values
    at.run()
    assert not at.exception
    assert current_page(at) == "consent"
    assert at.query_params["t"] in (token, [token])
    at.radio(key="w:consent:consent").set_value(1)
    click(at, "Start the survey")
    assert stored(store, token) == {"consent": 1}


def test_two_different_valid_tokens_are_refused(store, invite) -> None:  # noqa: ANN001
    from analysis.errors import ResponseError

    first, second = invite(), invite()
    at = open_app()
    at.query_params["t"] = [first, second]
    at.run()
    assert not at.exception
    body = texts(at)
    assert t("two_tokens", "en") in body and t("two_tokens", "de") in body
    assert not [b for b in at.button] and not at.radio
    for token in (first, second):  # neither invitation was opened
        with pytest.raises(ResponseError, match="not been started"):
            store.state(token)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_declined_page_names_its_button(store, invite, lang) -> None:  # noqa: ANN001
    """Declining before answering: the page names the button that leads back by its label
    (it said "go back"), and no text shows an unfilled ``{...}``."""
    token = invite(language=lang)
    at = open_app(token)
    at.radio(key="w:consent:consent").set_value(0)
    click(at, t("start", lang))
    body = texts(at)
    assert t("declined_title", lang) in body and not re.search(r"\{[a-z_]+\}", body)
    (note,) = [i.value for i in at.info]
    assert t("back_to_consent", lang) in _QUOTED.findall(note)
    assert stored(store, token) == {}
    click(at, t("back_to_consent", lang))
    assert current_page(at) == "consent"


def test_an_address_with_many_tokens_looks_at_the_first_few_only(store, invite) -> None:  # noqa: ANN001
    import instruments.ui.respondent as respondent
    from instruments.store.tokens import MAX_LINK_TOKENS

    token = invite()
    looked = []
    real = respondent._known_token

    def counting(st_store, value):  # noqa: ANN001, ANN202 - the real look-up, counted
        looked.append(value)
        return real(st_store, value)

    respondent._known_token = counting
    try:
        at = open_app()
        at.query_params["t"] = [f"zz{k}" for k in range(50)] + [token]
        at.run()
    finally:
        respondent._known_token = real
    assert not at.exception
    assert looked == [f"zz{k}" for k in range(MAX_LINK_TOKENS)]
    # the valid token came too late to count: an invalid link, no survey
    assert not [w for w in survey_widgets(at) if w.key and w.key.startswith("w:")]
