"""In a real headless Chromium: defects found on the tenth walk, as a respondent and as the
study lead.

- The thank-you page, the page after a withdrawal and the page of a link that can no
  longer be answered (expired, withdrawn) had no language switch: a respondent whose
  invitation came in the other language, or who had switched on the questionnaire and
  opened the link again, was left in a language they may not read.
- A press of "Next" that ended in a message (a number out of range, the soft prompt for
  statements left empty) left the keyboard on the page's body: the next Tab started at
  the top of the page, far from the question the message was about.  Now the keyboard
  is put on the first question with a problem, on the soft prompt's buttons, and after
  "Answer them" on the first statement left empty.
- Enter in a field of the study lead's Invitations form (the partner's name) created the
  invitations at once, with links shown only once.
"""

from __future__ import annotations

import uuid
from typing import Any

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.survey_bot import plan_answers
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _type,
    _until,
    key_css,
    keys_on_button,
    new_driver,
    open_tab,
    press,
    server,
    wait_for,
    wait_for_text,
    wait_idle,
)


def _answered(store: Any, token: str, last: str, lang: str = "en") -> None:
    """Send the pages the survey logic shows through the store, up to and with ``last``."""
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=10)
    for page in [p.id for p in store.pages if p.id in plan]:
        store.submit_page(token, page, plan[page], submission_key=uuid.uuid4().hex,
                          language=lang)  # fmt: skip
        if page == last:
            break


def _body(driver: Any) -> str:
    return driver.find_element("tag name", "body").text


def _lang(driver: Any) -> str:
    return driver.execute_script("return document.documentElement.lang")


_ACTIVE = """const a = document.activeElement;
const box = a && a.closest('[class*="st-key-"]');
return [a ? a.tagName : null, a ? a.textContent.trim() : '',
        box ? [...box.classList].find(c => c.startsWith('st-key-')) : null];"""


def _focus(driver: Any) -> tuple[str | None, str, str | None]:
    """The element the keyboard is on: its tag, its text and the key of its widget."""
    return tuple(driver.execute_script(_ACTIVE))  # type: ignore[return-value]


def test_pages_without_questions_offer_the_other_language(server, new_driver) -> None:  # noqa: F811
    """On a phone: the thank-you page after "Finish" switches to German (and stays German
    when the link is opened again); an expired German link switches to English, a
    withdrawn one too."""
    import sqlalchemy as sa

    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.models import Invitation
    from instruments.store.rights import withdraw

    base, store = server
    done = create_invitations(store, STUDY, 1, partner_name="Süd AG")[0]
    expired, gone = create_invitations(store, STUDY, 2, partner_name="Süd AG", language="de",
                                       expires_days=5)  # fmt: skip
    _answered(store, done.token, "about_you")
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(done.link(base))
    wait_for(driver, key_css(widget_key("comment", "comment")))
    press(driver, "Finish")
    wait_for_text(driver, t("thanks_title", "en"))
    press(driver, "Deutsch")
    wait_for_text(driver, t("thanks", "de"))
    _until(driver, lambda d: _lang(d) == "de", "the page marked as German")
    driver.get(done.link(base))  # opened again: in the language chosen
    wait_for_text(driver, t("completed_link_contact", "de", contact="x").split(",")[0])
    assert t("thanks_title", "de") in _body(driver)

    _answered(store, expired.token, "screening", lang="de")
    with store.engine.begin() as conn:
        conn.execute(sa.update(Invitation).where(Invitation.id == expired.invitation_id)
                     .values(expires_at=sa.func.datetime("2020-01-01")))  # fmt: skip
    driver.get(expired.link(base))
    wait_for_text(driver, t("expired_link", "de"))
    press(driver, "English")
    wait_for_text(driver, t("expired_link", "en"))
    _until(driver, lambda d: _lang(d) == "en", "the page marked as English")

    _answered(store, gone.token, "screening", lang="de")
    withdraw(store, gone.token)
    driver.get(gone.link(base))
    wait_for_text(driver, t("withdrawn_link", "de"))
    press(driver, "English")
    wait_for_text(driver, t("withdrawn_link", "en"))


_PASTE = """const box = arguments[0];
Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(box, arguments[1]);
box.dispatchEvent(new Event('input', {bubbles: true}));"""


def _paste(driver: Any, css: str, text: str) -> None:
    """Put ``text`` into the text area ``css`` as one paste, into the area found again if a
    re-render replaced it between finding it and pasting."""

    def pasted(d: Any) -> bool:
        box = d.find_element("css selector", css)
        d.execute_script(_PASTE, box, text)
        return box.get_attribute("value") == text

    _until(driver, pasted, f"the text pasted into {css}")


def test_the_keyboard_lands_on_the_question_a_message_is_about(server, new_driver) -> None:  # noqa: F811
    """Keyboard only: a number out of range sent with Enter on "Next" puts the keyboard on
    that number's field; Enter on "Next" of a page of statements left empty puts it on
    the soft prompt's "Answer them", and Enter there on the first statement; a comment
    too long puts it in the comment's text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    _answered(store, inv.token, "consent")
    number = key_css(widget_key("screening", "n_partners"))
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, number)
    wait_idle(driver)
    _type(driver, number, "999")
    keys_on_button(driver, "Next", Keys.ENTER)
    wait_for_text(driver, t("out_of_range", "en", min=2, max=50))
    wait_idle(driver)
    _until(driver, lambda d: _focus(d)[2] == number[1:], "the keyboard on the number's field")
    assert _focus(driver)[0] == "INPUT"

    _answered(store, inv.token, "alliance")
    driver.get(inv.link(base))
    state = store.state(inv.token)
    shown = page_fields(store, "learning", seed=state.seed, lang="en",
                        partner=state.partner_name, answers=state.answers)
    first = key_css(widget_key("learning", shown[0].id))
    wait_for(driver, first)
    wait_idle(driver)
    keys_on_button(driver, "Next", Keys.ENTER)
    _until(driver, lambda d: _focus(d)[:2] == ("BUTTON", t("soft_answer", "en")),
           "the keyboard on the soft prompt's first button")  # fmt: skip
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    _until(driver, lambda d: _focus(d)[2] == first[1:], "the keyboard on the first statement")
    assert _focus(driver)[0] == "INPUT"

    # a comment pasted too long: the keyboard in its text, not on its help button
    _answered(store, inv.token, "about_you")
    comment = key_css(widget_key("comment", "comment"))
    driver.get(inv.link(base))
    wait_for(driver, f"{comment} textarea")
    wait_idle(driver)
    _paste(driver, f"{comment} textarea", "Sehr gut. " * 600)
    keys_on_button(driver, "Finish", Keys.ENTER)
    wait_for_text(driver, "Your answer has 6,000 characters")
    _until(driver, lambda d: _focus(d)[0] == "TEXTAREA", "the keyboard in the comment")


def test_enter_in_the_invitations_form_creates_nothing(server, new_driver) -> None:  # noqa: F811
    """Enter in the partner's name creates no invitation; the button does.  The language
    chooser shows "English", not "en"."""
    from selenium.webdriver.common.keys import Keys

    base, store = server
    before = _n_invitations(store)
    driver = new_driver()
    _login(driver, base, "Invitations")
    partner = f"{key_css('admin.partner')} input"
    wait_for(driver, partner)

    def entered(d: Any) -> bool:  # typed again if a re-render replaced the field
        box = d.find_element("css selector", partner)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("Nord GmbH")
        if box.get_attribute("value") != "Nord GmbH":
            return False
        box.send_keys(Keys.ENTER)
        return True

    _until(driver, entered, "the partner's name typed and Enter pressed")
    wait_idle(driver)
    assert "created" not in _body(driver)
    press(driver, "Create invitations")
    wait_for_text(driver, "1 invitation created")
    # a session's reruns run in order: had Enter sent the form, its invitation would be
    # stored before the button's, so the count tells without waiting a fixed time
    assert _n_invitations(store) == before + 1
    # the language chooser names the language, not its code ("en")
    shown = _until(driver, lambda d: [
        b.find_element("css selector", "input").get_attribute("value")
        for b in d.find_elements("css selector", '[data-testid="stSelectbox"]')
        if "Language" in b.text] or False, "the language chooser")  # fmt: skip
    assert shown[0] == "English"


def _n_invitations(store: Any) -> int:
    from instruments.fieldwork.invitations import fieldwork_summary

    return int(fieldwork_summary(store, STUDY)["n_invitations"].iloc[0])


def _login(driver: Any, base: str, tab: str) -> None:
    driver.get(f"{base}/?admin=1&study={STUDY}")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, f"Study: {STUDY}")
    open_tab(driver, tab)


_FRAME = """const frame = document.querySelector('iframe[data-testid="stIFrame"]');
return frame ? [frame.parentElement.getBoundingClientRect().height, window.innerHeight] : null;"""


def test_the_report_fits_a_phones_screen(server, new_driver) -> None:  # noqa: F811
    """At 390 px the report's frame (1100 px tall, with a scroll bar of its own) was taller
    than the screen: its scroll bar ran off the bottom and the page around it could hardly
    be scrolled.  Now it takes most of the screen, and the appendix switch below it shows.
    (The analysis shown is one the store keeps for the study's data, as after a run.)"""
    from instruments.fieldwork.invitations import fieldwork_figures
    from instruments.store import cache
    from instruments.ui import analyst

    base, store = server
    settings = analyst._settings(20261122, 200, None)  # the tab's defaults
    marker_key = analyst._by_marker(store, STUDY, settings, fieldwork_figures(store, STUDY))[1]
    lines = "".join(f"<p>Result line {k}.</p>" for k in range(300))
    html = (f"<html><head><title>Study report</title></head><body><h1>Study report</h1>"
            f"{lines}<div id=\"appendix\"><p>Appendix.</p></div></body></html>")  # fmt: skip
    cache.put(store, STUDY, f"walk10-{uuid.uuid4().hex}", report_html=html,
              analysis={"n": 40, "n_raw": 40, "warnings": []}, data_sha256="0" * 64,
              settings=settings, seconds=1.0, marker_key=marker_key)  # fmt: skip
    driver = new_driver()
    driver.set_window_size(390, 844)
    _login(driver, base, "Analysis")
    wait_for_text(driver, "N = 40 analysed of 40 responses.")
    height, screen = _until(driver, lambda d: d.execute_script(_FRAME), "the report's frame")
    assert height < screen


def test_a_reminder_run_with_nobody_due_says_why(server, new_driver) -> None:  # noqa: F811
    """A press of "Send reminders" with nobody due said "0 reminders sent, 0 failed, 0
    skipped (opted out)." in green; now it says that nobody is due, and when one is."""
    from instruments.fieldwork.mail import configure_mail

    base, store = server
    configure_mail(store, STUDY, smtp="smtp://127.0.0.1:25", sender="survey@uni.example",
                   lead_name="Dr. Lehmann", lead_email="lehmann@uni.example",
                   base_url=base)  # fmt: skip
    driver = new_driver()
    _login(driver, base, "Contacts & mail")
    press(driver, "Send reminders")
    wait_for_text(driver, "Nobody is due a reminder, so nothing was sent.")
    text = _body(driver)
    assert "at least 7 days ago" in text and "fewer than 2 reminders" in text
    assert "0 reminders sent" not in text


_HEADINGS = "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);"


def _heading_levels(driver: Any) -> list[int]:
    wait_idle(driver)
    return driver.execute_script(_HEADINGS)


_SWITCH = "return [...document.querySelectorAll('button')].filter(b => b.textContent.trim() "\
          "=== 'Deutsch').map(b => b.getAttribute('lang'));"


def test_every_respondents_page_starts_with_a_first_level_heading(server, new_driver) -> None:  # noqa: F811
    """For screen readers' list of headings: a page of questions had only the section's
    title at level 3, a notice page only its title at level 2.  Now the survey's title is
    the first heading (level 1), the section's or notice's title under it (level 2).  And
    the language switch "Deutsch" on an English page is marked as German (it was read
    out as an English word)."""
    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.rights import withdraw

    base, store = server
    fresh, gone = create_invitations(store, STUDY, 2, partner_name="Acme Robotics")
    _answered(store, gone.token, "consent")
    withdraw(store, gone.token)
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(fresh.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    assert _heading_levels(driver) == [1, 2]
    _until(driver, lambda d: d.execute_script(_SWITCH) == ["de"], "the switch marked German")
    driver.get(gone.link(base))
    wait_for_text(driver, t("withdrawn_link", "en"))
    assert _heading_levels(driver) == [1, 2]
    _until(driver, lambda d: d.execute_script(_SWITCH) == ["de"], "the switch marked German")
    driver.get(f"{base}/?t=no-such-invitation-{uuid.uuid4().hex}")
    wait_for_text(driver, t("invalid_link", "de"))
    assert _heading_levels(driver) == [1, 2, 3]  # the title, then English, then German


def test_a_server_without_the_key_says_so_before_the_import(
    server, new_driver, tmp_path,  # noqa: F811
) -> None:
    """On a server started without the contacts' key, a contact list was checked ("no
    problems"), offered for import, and only the press of "Import contacts" said that
    nothing can be imported on this server.  Now the tab says so first, and a checked
    list is not offered for an import that cannot work."""
    import os

    import pytest

    from instruments.fieldwork.contacts import SECRET_KEY_ENV

    if os.environ.get(SECRET_KEY_ENV):
        pytest.skip(f"the app runs with {SECRET_KEY_ENV} set")
    base, _store = server
    listed = tmp_path / "contacts.csv"
    listed.write_text("email,name,firm,partner,alliance_id,role,language\n"
                      "anna@nord.example,Anna,Nord GmbH,Süd AG,w10-key,,de\n",
                      encoding="utf-8")  # fmt: skip
    driver = new_driver()
    _login(driver, base, "Contacts & mail")
    wait_for_text(driver, "Contact lists cannot be imported on this server yet")
    _until(driver, lambda d: d.find_element("css selector", 'input[type="file"]')
           .send_keys(str(listed)) or True, "the file chooser")  # fmt: skip
    wait_for_text(driver, "it can be imported once the server has its key")
    buttons = [b.text.strip() for b in driver.find_elements("tag name", "button")]
    assert "Import contacts" not in buttons


def test_the_legal_basis_is_offered_in_words(server, new_driver) -> None:  # noqa: F811
    """The privacy form's "Legal basis" offered the store's codes ("public_interest",
    "legitimate_interest") after an empty option; now each in words, with its article."""
    from tests.ui.test_browser import click

    base, _store = server
    driver = new_driver()
    _login(driver, base, "Privacy & preview")

    def chooser(d: Any) -> Any:
        boxes = [b for b in d.find_elements("css selector", '[data-testid="stSelectbox"]')
                 if "Legal basis" in b.text]  # fmt: skip
        return boxes[0].find_element("css selector", "input") if boxes else False

    _until(driver, lambda d: chooser(d) and (click(d, chooser(d)) or True),
           "a click on the legal basis chooser")  # fmt: skip
    options = _until(driver, lambda d: [o.text for o in d.find_elements(
        "css selector", '[role="option"]')], "the legal bases")  # fmt: skip
    assert "The respondent's consent (Art. 6(1)(a) GDPR)" in options
    assert not {"", "consent", "public_interest", "legitimate_interest"} & set(options)
