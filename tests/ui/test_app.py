"""Page logic of the survey app with Streamlit's AppTest (no browser)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from instruments.store import ResponseStore
from instruments.ui.fields import parse_decimal
from tests.ui.conftest import APP, PASSWORD, STUDY
from tests.ui.survey_bot import (
    click,
    fill_page,
    find_widget,
    open_tab,
    plan_answers,
    survey_widgets,
    walk_apptest,
)

TIMEOUT = 60


def open_app(token: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if token is not None:
        at.query_params["t"] = token
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    # main() turns any failure into the "unavailable" page: that is no exception, but on
    # a first open with a working store it is always a defect
    from instruments.ui.texts import t

    assert t("unavailable_title", "en") not in [e.value for e in at.title], \
        "the page failed and showed the unavailable notice (see the server log)"
    return at


def go_next(at: AppTest) -> None:
    """Press Next; confirm the soft prompt when statements were left empty on purpose."""
    click(at, "Next")
    if any(b.label == "Continue anyway" for b in at.button):
        click(at, "Continue anyway")


def question_messages(at: AppTest) -> list[str]:
    """The messages drawn under the page's questions (each in its ``note-`` container, as
    Markdown: not alerts, the page's summary above is the one alert)."""
    found: list[str] = []

    def walk(node: object, inside: bool) -> None:
        for child in getattr(node, "children", {}).values():
            key = getattr(child, "key", None)
            here = inside or (isinstance(key, str) and key.startswith("note-"))
            if here and type(child).__name__ == "Markdown":
                found.append(child.value)
            walk(child, here)

    walk(at.main, False)
    return found


def texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.error, *at.info,
                               *at.warning, *at.success, *at.caption)]  # fmt: skip
    parts += [w.label for w in survey_widgets(at)]
    return "\n".join(str(p) for p in parts)


def page_widgets(at: AppTest, page: str) -> dict[str, object]:
    prefix = f"w:{page}:"
    return {
        w.key[len(prefix):]: w.value
        for w in survey_widgets(at)
        if w.key and w.key.startswith(prefix)
    } | {  # decimal questions are text fields: their number
        w.key[len(prefix):]: parse_decimal(w.value) if w.value else None
        for w in at.text_input
        if w.key and w.key.startswith(prefix)
    }


def current_page(at: AppTest) -> str:
    pages = {w.key.split(":")[1] for w in survey_widgets(at)
             if w.key and w.key.startswith("w:")}  # fmt: skip
    assert len(pages) == 1, pages
    return pages.pop()


def stored(store: ResponseStore, token: str) -> dict[str, object]:
    return dict(store.state(token).answers)


def test_no_token_page(store: ResponseStore) -> None:
    at = open_app()
    assert "personal link" in texts(at)
    assert not at.radio and not survey_widgets(at)


def test_unknown_token_page(store: ResponseStore) -> None:
    at = open_app("not-a-real-token")
    assert "This invitation link is not valid" in texts(at)
    assert "Dieser Link kann nicht verwendet werden" in texts(at)
    assert not [w for w in survey_widgets(at) if w.key and w.key.startswith("w:")]


def test_expired_token_page(store: ResponseStore, invite) -> None:
    from instruments.store.models import Invitation, utcnow

    token = invite(expires_days=1)
    with store.session() as session:
        for inv in session.query(Invitation).all():
            inv.expires_at = utcnow() - timedelta(days=1)
    at = open_app(token)
    assert "This invitation expired" in texts(at)


def test_consent_shows_partner_and_refusal_stores_nothing(store, invite) -> None:
    token = invite(partner="Acme *Robotics*")
    at = open_app(token)
    body = texts(at)
    # The partner name is filled in and shown literally (Markdown escaped).
    assert "Acme \\*Robotics\\*" in body
    assert "Page 1 of" in at.get("progress")[0].proto.text
    at.radio(key="w:consent:consent").set_value(0)
    click(at, "Start the survey")
    assert "You have declined" in texts(at)
    assert stored(store, token) == {}
    click(at, "Back to the consent page")
    assert current_page(at) == "consent"
    at.radio(key="w:consent:consent").set_value(1)
    click(at, "Start the survey")
    assert current_page(at) == "screening"
    assert stored(store, token) == {"consent": 1}


def test_screening_out(store, invite) -> None:
    token = invite()
    at = open_app(token)
    at.radio(key="w:consent:consent").set_value(1)
    click(at, "Start the survey")
    low = store.instrument.screening.screen_out_below - 1
    fill_page(at, "screening", {"n_partners": 3, "informant_knowledge": low})
    go_next(at)
    assert "know the alliance well" in texts(at)
    assert store.state(token).status == "screened_out"
    again = open_app(token)  # a new visit shows the screening message again, nothing to answer
    assert "know the alliance well" in texts(again)
    assert not [w for w in survey_widgets(again) if w.key and w.key.startswith("w:")]


def test_required_item_missing_shows_message_and_keeps_answers(store, invite) -> None:
    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed)
    walk_apptest(at, store, plan, stop_after=2)
    assert current_page(at) == "alliance"
    # the star of a required question is explained on the page
    assert "\\* a question that needs an answer" in [c.value for c in at.caption]
    partial = dict(plan["alliance"])
    partial["governance_form"] = None
    partial["prior_ties"] = None
    fill_page(at, "alliance", partial)
    go_next(at)
    assert current_page(at) == "alliance"
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "Nothing on this page was saved" in messages[0]
    assert question_messages(at) == ["Please answer this question."] * 2
    # The answers given stay on the page and nothing of it was stored.
    assert page_widgets(at, "alliance")["alliance_phase"] == plan["alliance"]["alliance_phase"]
    assert "alliance_phase" not in stored(store, token)
    fill_page(at, "alliance", plan["alliance"])
    go_next(at)
    assert current_page(at) == "learning"
    assert not at.error and not question_messages(at)


def test_full_walk_through_stores_every_answer(store, invite) -> None:
    token = invite(partner="Beta GmbH")
    at = open_app(token)
    seed = store.state(token).seed
    plan = plan_answers(store, seed=seed, rng_seed=7)
    done = walk_apptest(at, store, plan)
    # every page the survey logic shows (the sustainability page only with such an aim)
    assert done == [p.id for p in store.pages if p.id in plan]
    assert "Thank you" in texts(at)
    state = store.state(token)
    assert state.completed
    expected = {k: v for page in plan.values() for k, v in page.items() if v is not None}
    assert state.answers == pytest.approx(expected)
    # The shown order the store logged is the order the app displayed.
    log = store.answer_log(STUDY)
    for page, answers in plan.items():
        shown = [i for i in store.item_order(seed, page) if answers.get(i) is not None]
        logged = log[log["page"] == page].sort_values("position")["item_id"].tolist()
        assert logged == shown
    # Free text is stored exactly as typed.
    assert state.answers["comment"] == plan["comment"]["comment"]
    # A finished invitation cannot be answered again: the thanks and the reason are shown.
    again = open_app(token)
    assert "already completed the survey with this link" in texts(again)
    assert "Thank you!" in texts(again)
    assert not [w for w in survey_widgets(again) if w.key and w.key.startswith("w:")]


def test_back_and_next_keep_answers(store, invite) -> None:
    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=3)
    walk_apptest(at, store, plan, stop_after=4)
    assert current_page(at) == "dependence"
    # Items appear in the respondent's randomised order, the one the store records.
    shown = [w.key.split(":")[2] for w in survey_widgets(at) if w.key and w.key.startswith("w:")]
    order = store.item_order(store.state(token).seed, "dependence")
    assert shown == list(order)
    # (10 items: the chance that a shuffle keeps the instrument order is 1/10!.)
    assert list(order) != [f.id for f in store.page("dependence").fields]
    # Half-answer the page, go back: the stored answers of the previous page come back.
    half = {k: v for j, (k, v) in enumerate(plan["dependence"].items()) if j % 2 == 0}
    fill_page(at, "dependence", half)
    click(at, "Back")
    assert current_page(at) == "learning"
    assert page_widgets(at, "learning") == plan["learning"]
    # Changing an answer there and going forward stores the change.
    first = next(k for k, v in plan["learning"].items() if v is not None and k != "attn_1")
    new_value = 1 if plan["learning"][first] != 1 else 2
    find_widget(at, f"w:learning:{first}").set_value(new_value)
    go_next(at)
    assert current_page(at) == "dependence"
    assert stored(store, token)[first] == new_value
    # The unsent answers of the page left with Back are still there.
    shown = page_widgets(at, "dependence")
    assert {k: shown[k] for k in half} == half


def test_resume_in_new_session(store, invite) -> None:
    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=11)
    walk_apptest(at, store, plan, stop_after=5)
    # A new browser session (closed tab, refresh, server restart) resumes on page 6.
    again = open_app(token)
    assert current_page(again) == store.pages[5].id
    assert "Page 6 of" in again.get("progress")[0].proto.text
    click(again, "Back")
    assert page_widgets(again, store.pages[4].id) == plan[store.pages[4].id]
    go_next(again)
    done = walk_apptest(again, store, plan)
    assert done == [p.id for p in store.pages[5:]]
    assert store.state(token).completed


def test_german_invitation_and_language_switch(store, invite) -> None:
    token = invite(partner="Gamma AG", language="de")
    at = open_app(token)
    body = texts(at)
    assert "Information und Einwilligung" in body
    assert "Gamma AG" in body
    assert at.radio(key="w:consent:consent").options == ["Ja", "Nein"]
    click(at, "English")
    assert at.radio(key="w:consent:consent").options == ["Yes", "No"]
    assert "Information and consent" in texts(at)
    # the page answered after the switch is stored with the language it was shown in
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=3)
    fill_page(at, "consent", plan["consent"])
    click(at, "Start the survey")
    assert not at.exception
    from sqlalchemy import select

    from instruments.store.models import PageSubmission

    with store.session() as s:
        langs = s.execute(select(PageSubmission.page, PageSubmission.language)).all()
    assert [tuple(r) for r in langs] == [("consent", "en")]
    assert store.state(token).language == "en"  # the choice is kept for refresh and resume
    assert "Information and consent" not in texts(open_app(token))  # on page 2 now, in English
    assert open_app(token).get("progress")[0].proto.text.startswith("Page 2 of")


def test_language_switch_keeps_typed_answers_and_soft_prompt(store, invite) -> None:
    token = invite(partner="Delta SE")
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=4, skip_optional=False)
    walk_apptest(at, store, plan, stop_after=3)
    assert current_page(at) == "learning"
    typed = {k: v for j, (k, v) in enumerate(plan["learning"].items()) if j % 2 == 0}
    fill_page(at, "learning", typed)
    click(at, "Deutsch")  # a submit button of the page's form: the typed answers travel along
    assert "Zusammenarbeiten und gemeinsam lernen" in texts(at)
    shown = page_widgets(at, "learning")
    assert {k: shown[k] for k in typed} == typed
    assert store.state(token).language == "de"
    assert not set(typed) & set(stored(store, token))  # nothing of the page was submitted
    # Next with 8 statements empty: the soft prompt, in German, with both choices
    click(at, "Weiter")
    n_empty = len(plan["learning"]) - len(typed)
    assert any(f"Sie haben {n_empty} Aussagen nicht beantwortet" in w.value for w in at.warning)
    click(at, "Jetzt beantworten")
    assert current_page(at) == "learning" and not at.warning
    click(at, "Weiter")
    click(at, "Trotzdem weiter")
    assert current_page(at) == "dependence"


def test_out_of_range_number_gets_a_written_message(store, invite) -> None:
    token = invite(language="de")
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=8)
    walk_apptest(at, store, plan, stop_after=1)
    fill_page(at, "screening", {**plan["screening"], "n_partners": 500})
    click(at, "Weiter")
    assert current_page(at) == "screening"
    assert "Bitte geben Sie eine Zahl von 2 bis 50 ein." in question_messages(at)
    assert "n_partners" not in stored(store, token)


@pytest.mark.parametrize("how", ["withdraw", "decline"])
def test_withdrawal_deletes_the_answers(store, invite, how) -> None:
    from instruments.store.rights import deletion_log

    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=9)
    walk_apptest(at, store, plan, stop_after=3)
    n_given = len(stored(store, token))
    assert n_given > 5
    if how == "withdraw":
        click(at, "Yes, delete all my answers")
    else:  # back to the consent page, and now "No"
        for _ in range(3):
            click(at, "Back")
        at.radio(key="w:consent:consent").set_value(0)
        click(at, "Start the survey")
        click(at, "Yes, delete and leave")  # declining after answering asks first
    body = texts(at)
    assert f"All {n_given} answers you gave have been deleted" in body
    assert "No answers" not in body
    assert store.state(token).answers == {}
    assert store.state(token).status == "withdrawn"
    assert store.wide(STUDY).empty
    log = deletion_log(store, STUDY)
    assert log["reason"].tolist() == ["withdrawn" if how == "withdraw" else "declined"]
    assert log["n_answers"].tolist() == [n_given]
    assert "withdrew" in texts(open_app(token)).lower()  # the link says what happened


def test_lost_database_connection_keeps_answers(store, invite, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=5)
    walk_apptest(at, store, plan, stop_after=2)
    fill_page(at, "alliance", plan["alliance"])

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    real = ResponseStore.submit_page
    monkeypatch.setattr(ResponseStore, "submit_page", broken)
    go_next(at)
    assert any("could not be saved" in w.value for w in at.warning)
    assert current_page(at) == "alliance"
    assert page_widgets(at, "alliance") == plan["alliance"]
    monkeypatch.setattr(ResponseStore, "submit_page", real)
    go_next(at)
    assert current_page(at) == "learning"
    assert not at.warning
    assert stored(store, token)["alliance_phase"] == plan["alliance"]["alliance_phase"]


def test_double_submit_and_tampered_value(store, invite) -> None:
    from instruments.ui.fields import page_fields, submit_answers

    token = invite()
    state = store.start(token)
    views = page_fields(store, "consent", seed=state.seed, lang="en", partner=None)
    first = submit_answers(store, token, "consent", {"consent": 1}, submission_key="k1",
                           shown_at=None, views=views, lang="en")  # fmt: skip
    again = submit_answers(store, token, "consent", {"consent": 1}, submission_key="k1",
                           shown_at=None, views=views, lang="en")  # fmt: skip
    assert first.status == again.status == "saved"
    assert again.duplicate and not first.duplicate
    assert len(store.answer_log(STUDY)) == 1
    views = page_fields(store, "screening", seed=state.seed, lang="de", partner=None)
    bad = submit_answers(store, token, "screening", {"informant_knowledge": 9},
                         submission_key="k2", shown_at=None, views=views, lang="de")  # fmt: skip
    assert bad.status == "invalid"
    (message,) = bad.problems["informant_knowledge"]
    assert message.startswith("Diese Antwort wurde nicht angenommen") and "9" in message
    assert "informant_knowledge" not in stored(store, token)


def test_admin_password_wrong_then_right(store) -> None:
    at = open_app(admin="1", study=STUDY)
    at.text_input(key="admin.login_password").input("wrong password!!")
    click(at, "Log in")
    assert "Wrong password" in texts(at)
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception
    assert "Study: uitest" in texts(at)
    assert [m.label for m in at.metric][:3] == ["Invitations", "Consented", "Completed"]


def test_admin_throttling_message(store) -> None:
    from instruments.fieldwork.auth import FREE_ATTEMPTS

    at = open_app(admin="1", study=STUDY)
    for _ in range(FREE_ATTEMPTS + 1):
        at.text_input(key="admin.login_password").input("wrong password!!")
        click(at, "Log in")
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert "Too many failed password attempts" in texts(at)
    assert "Study: uitest" not in texts(at)
    # in the page's words, not the command line's (walk 10: backticks shown as typed)
    shown = [e.value for e in at.error if "Too many" in e.value]
    assert shown and "`" not in shown[0] and "--study NAME" not in shown[0]


def test_admin_dashboard_invitations_and_exports(store, invite) -> None:
    token = invite()
    state = store.start(token)
    plan = plan_answers(store, seed=state.seed)
    for k, page in enumerate(list(plan)[:3]):
        store.submit_page(token, page, plan[page], submission_key=f"s{k}")
    at = open_app(admin="1", study=STUDY)
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Invitations"] == "1" and metrics["Consented"] == "1"
    open_tab(at, "Invitations")
    at.radio(key="admin.kind").set_value("dyad")
    click(at, "Create invitations")
    links = [c.value for c in at.code][-1].splitlines()
    assert len(links) == 2 and all("?t=" in link for link in links)
    from instruments.fieldwork.invitations import check_token

    token_b = links[1].split("?t=")[1]
    assert check_token(store, token_b).firm_role == "B"
    open_tab(at, "Exports")
    click(at, "Prepare exports")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "Download SPSS .sav" in labels
    assert len(labels) == 7 and "Download CSV for Excel (formulas neutralised)" in labels
    assert "Download Stata .dta" in labels


def _admin(at_params: dict | None = None) -> AppTest:
    at = open_app(admin="1", study=STUDY, **(at_params or {}))
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception, at.exception
    return at


def test_thank_you_page_offers_withdrawal(store, invite) -> None:
    from instruments.store.rights import deletion_log

    token = invite(partner="Gamma SA")
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=21)
    walk_apptest(at, store, plan)
    assert "Thank you" in texts(at)
    n_given = len(stored(store, token))
    click(at, "Yes, delete all my answers")
    assert f"All {n_given} answers you gave have been deleted" in texts(at)
    assert store.state(token).status == "withdrawn" and stored(store, token) == {}
    assert deletion_log(store, STUDY)["n_answers"].tolist() == [n_given]


def test_study_lead_privacy_preview_and_deletions(store, invite) -> None:
    from instruments.fieldwork.cockpit import respondent_table
    from instruments.fieldwork.invitations import check_token
    from instruments.store.rights import deletion_log, get_settings

    at = _admin()
    open_tab(at, "Privacy & preview")
    at.text_input(key="admin.p_controller").input("Universität Beispiel")
    at.text_input(key="admin.p_contact").input("lead@example.org")
    at.text_area(key="admin.p_purpose").input("Research on alliances.")
    at.selectbox(key="admin.p_basis").set_value("consent")
    at.text_input(key="admin.p_retention").input("10 years")
    at.text_input(key="admin.p_code").input("PANEL-42")
    at.text_input(key="admin.p_redirect").input("http://not-https.example")
    click(at, "Save privacy settings")
    # (errors are shown literally: their Markdown source has every mark escaped)
    assert "Redirect address: must be an https:// address" in texts(at).replace("\\", "")
    assert get_settings(store, STUDY).controller is None  # nothing saved
    at.text_input(key="admin.p_redirect").input("https://panel.example/done")
    click(at, "Save privacy settings")
    saved = get_settings(store, STUDY)
    assert saved.privacy_complete and saved.completion_code == "PANEL-42"

    # The preview: a test invitation, walked like a respondent, not counted as fieldwork.
    click(at, "Start a preview")
    link = [c.value for c in at.code][-1]
    preview = link.split("?t=")[1]
    assert check_token(store, preview).partner_name == "Preview Partner Ltd"
    survey = open_app(preview)
    assert "preview" in texts(survey).lower()
    walk_apptest(survey, store, plan_answers(store, seed=store.state(preview).seed), stop_after=3)
    assert store.state(preview).is_test and store.state(preview).current_page == 3
    assert store.wide(STUDY).empty and respondent_table(store, STUDY).empty
    # A real respondent, then the three deletions: by link, from the cockpit, test responses.
    real = [invite(), invite()]
    for k, token in enumerate(real):
        state = store.start(token)
        plan = plan_answers(store, seed=state.seed, rng_seed=k)
        for j, page in enumerate(list(plan)[:3]):
            store.submit_page(token, page, plan[page], submission_key=f"r{k}{j}")
    at = _admin()
    open_tab(at, "Privacy & preview")
    at.text_input(key="admin.delete_token").input(f"http://host/?t={real[0]}")
    at.text_input(key="admin.delete_note").input("asked by e-mail on 3 May")
    at.checkbox(key="admin.delete_sure").check()
    click(at, "Delete this response")
    assert "answers deleted; the link is closed" in texts(at)
    assert store.state(real[0]).status == "withdrawn"
    second = int(respondent_table(store, STUDY).set_index("respondent_id")
                 .loc[float(store.state(real[1]).respondent_id), "invitation_id"])  # fmt: skip
    open_tab(at, "Respondents")
    at.selectbox(key="admin.action_invitation").set_value(second)
    click(at, "Withdraw and delete this respondent's answers")
    assert "Tick the box" in texts(at) and store.state(real[1]).status != "withdrawn"
    at.checkbox(key="admin.action_sure").check()
    click(at, "Withdraw and delete this respondent's answers")
    assert store.state(real[1]).status == "withdrawn"
    open_tab(at, "Privacy & preview")
    click(at, "Delete all test responses")
    assert "1 test response deleted." in texts(at)
    log = deletion_log(store, STUDY)
    assert log[["reason", "channel", "actor"]].fillna("-").to_dict("records") == [
        {"reason": "request", "channel": "admin", "actor": "asked by e-mail on 3 May"},
        {"reason": "request", "channel": "admin", "actor": "-"},
        {"reason": "test", "channel": "admin", "actor": "study lead"},
    ]
    assert store.state(preview).answers == {}
    assert "Audit log of deletions" in texts(at)
