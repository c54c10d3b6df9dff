"""In a real headless Chromium: defects found on the ninth walk, as a respondent and as the
study lead.

- The same link open in two tabs: a page answered and sent in one tab was sent again from
  the other, which still showed it empty; one click and "Continue anyway" there replaced
  the answers of the first tab with empty ones.  Now the second tab draws the page again
  with its own answers and, where it has none, those saved in the other tab, and asks to
  check them.
- The opt-out link of an e-mail opened after a withdrawal said "the link in your
  invitation still opens the questionnaire" (it is closed), stored the erased (empty)
  address on the opt-out list, and so told the next withdrawn respondent who opened
  theirs "You had already asked for no further e-mails".  The German page had an English
  skip link and was marked as English for screen readers.
- A free-text answer pasted with a NUL character was refused as "Frage 'comment': Der
  Text enthält ...": the question's id, not words of the page.
- After a withdrawal, and on the withdrawn (or expired) link opened again, the page said
  "please ask the study lead for a new link" without naming the contact the study lead
  had given (the consent page promised "write to the study lead").
- The study lead's sender settings were refused in the command line's words
  ("lead_email= '' is not an e-mail address; lead_name= is empty"), an expiry beyond the
  calendar as "expires_days=10000000 ..."; a refresh of the study lead's page went back
  to the first tab (the open tab is now in the address, and Back returns to the tab
  before).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.survey_bot import plan_answers
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _choose,
    _type,
    _until,
    key_css,
    new_driver,
    open_expander,
    open_tab,
    press,
    press_past_soft_prompt,
    server,
    settles,
    shows,
    wait_for,
    wait_for_text,
    wait_idle,
)
from tests.ui.test_walk8_browser import _checked, _views


def _answered(store: Any, token: str, last: str) -> None:
    """Send the pages the survey logic shows through the store, up to and with ``last``."""
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=9)
    for page in [p.id for p in store.pages if p.id in plan]:
        store.submit_page(token, page, plan[page], submission_key=uuid.uuid4().hex)
        if page == last:
            break


def _body(driver: Any) -> str:
    return driver.find_element("tag name", "body").text


def test_a_page_sent_in_another_tab_is_not_overwritten(server, new_driver) -> None:  # noqa: F811
    """Two tabs show "Mutual dependence"; the first answers every statement and goes on;
    the second, still showing the page empty, clicks one answer and presses Next: the page
    comes back with that click and the other tab's answers, and nothing is lost."""
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    _answered(store, inv.token, "learning")
    views = list(_views(store, inv.token, "dependence", "en").values())
    first = key_css(widget_key("dependence", views[0].id))
    following = key_css(widget_key("trust_investments",
                                   next(iter(_views(store, inv.token, "trust_investments", "en")))))
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, first)
    one = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(inv.link(base))
    wait_for(driver, first)
    wait_idle(driver)
    two = driver.current_window_handle

    driver.switch_to.window(one)
    for view in views:
        _choose(driver, key_css(widget_key("dependence", view.id)), view.labels[3])
    press_past_soft_prompt(driver, "Next", shows(following))
    given = {v.id: 3 for v in views}
    assert {k: store.state(inv.token).answers.get(k) for k in given} == given

    driver.switch_to.window(two)
    _choose(driver, first, views[0].labels[6])
    press(driver, "Next")
    wait_for_text(driver, "This page was saved meanwhile in another window or tab")
    settles(driver, lambda d: {v.id: _checked(d, "dependence", v.id) for v in views},
            {v.id: v.labels[6 if k == 0 else 3] for k, v in enumerate(views)},
            "this tab's click and the other tab's answers")  # fmt: skip
    stored = store.state(inv.token).answers
    assert {k: stored.get(k) for k in given} == given  # nothing overwritten yet
    press_past_soft_prompt(driver, "Next", shows(following))
    stored = store.state(inv.token).answers
    assert {k: stored.get(k) for k in given} == given | {views[0].id: 6}


def test_an_opt_out_after_a_withdrawal_promises_nothing_false(
    server, new_driver, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    """Two contacts withdraw; each opens the opt-out link of their e-mail: no promise that
    the (closed) survey link still works, no "you had already asked", the German page in
    German for screen readers."""
    from sqlalchemy import select

    from instruments.fieldwork.contacts import (
        SECRET_KEY_ENV,
        import_contacts,
        new_secret_key,
        open_secret,
    )
    from instruments.store.mailtables import Contact, MailOptout
    from instruments.store.rights import withdraw

    base, store = server
    key = new_secret_key()
    monkeypatch.setenv(SECRET_KEY_ENV, key)
    rows = [{"email": f"{who}@firm.example", "name": who, "firm": "Nord GmbH",
             "partner": "Süd AG", "alliance_id": f"w9-{who}", "role": "", "language": lang}
            for who, lang in (("anna", "de"), ("bob", "en"))]  # fmt: skip
    done = import_contacts(store, STUDY, rows)
    with store.session() as session:
        contacts = session.scalars(select(Contact).where(Contact.id.in_(done.contact_ids))
                                   .order_by(Contact.id)).all()  # fmt: skip
        secrets = [open_secret(c.secret, key) for c in contacts]
    for secret in secrets:
        withdraw(store, secret.token)

    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(f"{base}/?optout={secrets[0].optout_token}")
    wait_for_text(driver, "Sie erhalten keine weiteren E-Mails")
    assert "weiterhin den Fragebogen" not in _body(driver)
    _until(driver, lambda d: d.execute_script("return document.documentElement.lang") == "de"
           and t("skip_link", "de") in _body(d), "the page in German")  # fmt: skip
    driver.get(f"{base}/?optout={secrets[1].optout_token}")
    wait_for_text(driver, "You will receive no further e-mails")
    assert "still opens the questionnaire" not in _body(driver)
    assert "already asked" not in _body(driver)
    with store.session() as session:
        assert "" not in session.scalars(select(MailOptout.email)).all()


def test_the_study_leads_settings_are_refused_in_the_forms_words(server, new_driver) -> None:  # noqa: F811
    """Sender settings with an empty lead and a bad address are refused under the form's
    labels; an expiry beyond the calendar names the field as the form does; a refresh
    keeps the open tab, and the browser's Back returns to the tab before."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _store = server
    driver = new_driver()
    driver.get(f"{base}/?admin=1&study={STUDY}")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, f"Study: {STUDY}")
    open_tab(driver, "Contacts & mail")

    def field(d: Any, testid: str, label: str) -> Any:
        for box in d.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]'):
            if label in box.find_element(By.TAG_NAME, "label").text.strip():
                return box.find_element(By.TAG_NAME, "input")
        return False  # not drawn yet

    def fill(testid: str, label: str, value: str, *then: str) -> None:
        """Type ``value`` into the field labelled ``label`` (and the keys ``then``), again if
        a re-render replaced the field while it was found or typed into."""

        def typed(d: Any) -> bool:
            box = field(d, testid, label)
            if not box:
                return False
            d.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(value)
            if box.get_attribute("value") != value:
                return False
            if then:
                box.send_keys(*then)
            return True

        _until(driver, typed, f"{value!r} in the field {label!r}")

    for label, value in (("SMTP server", "smtp://127.0.0.1:2525"),
                         ("From address", "survey@uni.example"), ("Survey address", "ftp://x")):
        fill("stTextInput", label, value)
    press(driver, "Save sender settings")
    wait_for_text(driver, "The sender settings were not saved")
    text = _body(driver)
    assert "Study lead: is empty." in text and "Survey address: 'ftp://x' must start" in text
    assert "lead_name=" not in text and "base_url=" not in text

    driver.refresh()  # the open tab stays open
    _until(driver, lambda d: [e.text for e in d.find_elements(
        By.CSS_SELECTOR, '[role="tab"][aria-selected="true"]')] == ["Contacts & mail"],
        "the tab open before the refresh")  # fmt: skip

    open_tab(driver, "Invitations")
    fill("stNumberInput", "Expires after days", "10000000", Keys.TAB)
    press(driver, "Create invitations")
    wait_for_text(driver, "No invitation was created")
    text = _body(driver)
    assert "Expires after days: 10000000 lies beyond the calendar" in text
    assert "expires_days=" not in text
    driver.back()  # the browser's Back returns to the tab before
    _until(driver, lambda d: [e.text for e in d.find_elements(
        By.CSS_SELECTOR, '[role="tab"][aria-selected="true"]')] == ["Contacts & mail"],
        "the tab before after Back")  # fmt: skip


def test_a_withdrawn_respondent_is_told_whom_to_ask(server, new_driver) -> None:  # noqa: F811
    """After a withdrawal, and on the link opened again in a new browser, the page that
    says "ask the study lead for a new link" names the study lead's contact (the consent
    page promised to), in German."""
    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.rights import set_settings

    base, store = server
    set_settings(store, STUDY, contact="lehmann@uni.example")
    inv = create_invitations(store, STUDY, 1, partner_name="Süd AG", language="de")[0]
    _answered(store, inv.token, "screening")
    contact = "lehmann@uni.example"
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("alliance", "alliance_phase")))
    open_expander(driver, t("withdraw_open", "de"))
    press(driver, t("withdraw_confirm", "de"))
    wait_for_text(driver, t("withdrawn_title", "de"))
    wait_for_text(driver, contact)
    other = new_driver()
    other.get(inv.link(base))
    wait_for_text(other, t("withdrawn_link", "de"))
    wait_for_text(other, contact)


_PASTE = """const box = arguments[0];
Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(box, arguments[1]);
box.dispatchEvent(new Event('input', {bubbles: true}));"""


def test_pasted_text_that_cannot_be_saved_is_named_without_the_questions_id(
    server, new_driver,  # noqa: F811
) -> None:
    """A comment pasted with a NUL character (with emoji and Hebrew) on the German last
    page: the message says what to do, without the question's id ("Frage 'comment'")."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Süd AG", language="de")[0]
    _answered(store, inv.token, "about_you")
    css = key_css(widget_key("comment", "comment"))
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(inv.link(base))
    wait_for(driver, f"{css} textarea")
    wait_idle(driver)
    pasted = "Gut 👍🏽 שלום\u0000 <script>alert(1)</script>"

    def paste(d: Any) -> bool:  # into the field found again if a re-render replaced it
        box = d.find_element("css selector", f"{css} textarea")
        d.execute_script(_PASTE, box, pasted)
        if box.get_attribute("value") != pasted:
            return False
        box.send_keys(Keys.TAB)
        return True

    _until(driver, paste, "the text pasted into the comment")
    press(driver, t("finish", "de"))
    wait_for_text(driver, "nicht gespeichert werden kann")
    assert "'comment'" not in _body(driver)
    assert store.state(inv.token).status != "completed"
