"""In a real headless Chromium: defects found on a second fresh-eyes walk of the survey.

- Enter pressed in a number field must not press the page's first form button (the
  language switch): the page stays in the respondent's language and Next saves the number;
  no English-only "Press Enter to submit form" hint appears under the field.
- A decimal typed with a comma, as German writes it ("1,5" years), is stored as 1.5, not
  silently as 15; a word in a number field gets a written message in the page's language.
- A German respondent whose link expired mid-survey, or who opens a completed link again,
  is told so in German (the store's English sentence was shown inside the German page).
- A German respondent who withdraws from the thank-you page of a completed link opened
  again is told in German that the answers were deleted (the session had no language yet,
  and the confirmation came in English).
- A question naming a partner with a very long unbroken name wraps on a phone (390 px)
  instead of running off the screen and making the page scroll sideways.
- Keyboard only: Tab from the top of a page goes from the language switch straight to
  the first question's options (no stop on the invisible scroll helper frame or on the
  hidden "link to heading" anchors), and Space picks an option.
- The study lead's error messages show names exactly as typed: a partner name with
  asterisks lost them (they were read as Markdown emphasis).
- Enter in the reason field of the study lead's form for one respondent must not press
  that form's first button (which resends the invitation e-mail).
"""

from __future__ import annotations

from instruments.ui.respondent import widget_key
from tests.ui.conftest import STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _choose,
    _painted,
    _until,
    key_css,
    keys_on_button,
    new_driver,
    open_tab,
    press,
    server,
    settles,
    wait_for,
)
from tests.ui.test_browser_rights import _walk


def _field(driver, css: str):  # noqa: ANN001, ANN202
    from selenium.webdriver.common.by import By

    return _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"{css} input"),
                  f"the input of {css}")  # fmt: skip


def _type_and_press_enter(driver, css: str, text: str) -> None:  # noqa: ANN001
    """Type ``text`` into the field ``css`` and press Enter; no English hint about Enter
    may appear under the field."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    wait_for(driver, css)

    def typed(d) -> bool:  # noqa: ANN001 - the field found again if a re-render replaced it
        field = d.find_element(By.CSS_SELECTOR, f"{css} input")
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        field.send_keys(text)
        if field.get_attribute("value") != text:
            return False  # re-rendered while typing: type again
        field.send_keys(Keys.ENTER)
        return True

    _until(driver, typed, f"{text!r} typed into {css} and Enter pressed")
    _painted(driver)  # a hint shown on the key press is drawn by now
    assert "Press Enter" not in driver.find_element(By.TAG_NAME, "body").text


def test_enter_in_a_number_field_keeps_the_language(server, new_driver) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    consent = key_css(widget_key("consent", "consent"))
    wait_for(driver, consent)
    _choose(driver, consent, "Yes")
    press(driver, "Start the survey")
    # the field shows no hint in English about Enter
    _type_and_press_enter(driver, key_css(widget_key("screening", "n_partners")), "5")
    _choose(driver, key_css(widget_key("screening", "informant_knowledge")), "To a great extent")
    press(driver, "Next")  # an English button: the page is still in English
    wait_for(driver, key_css(widget_key("alliance", "alliance_phase")))
    state = store.state(inv.token)
    assert state.language == "en"
    assert state.answers["n_partners"] == 5
    assert "Page 3 of" in driver.find_element(By.TAG_NAME, "body").text


def _log_in(driver, base: str) -> None:  # noqa: ANN001
    from tests.ui.conftest import PASSWORD
    from tests.ui.test_browser import _type, wait_for_text

    driver.get(f"{base}/?admin=1&study={STUDY}")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, f"Study: {STUDY}")


def test_enter_in_the_reason_field_does_not_resend_an_invitation(server, new_driver) -> None:  # noqa: F811
    """The respondent form's first button resends the invitation e-mail: Enter in the
    reason field must not press it (nor show the hint that it would)."""
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.actions import exclusion_log
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.test_browser import wait_for_text

    base, store = server
    from tests.ui.test_walk7_browser import _select

    inv = create_invitations(store, STUDY, 1, partner_name="Gamma AG")[0]
    driver = new_driver()
    _log_in(driver, base)
    open_tab(driver, "Respondents")
    _select(driver, "admin.action_invitation", f"#{inv.invitation_id} ")  # none is preset
    _type_and_press_enter(driver, key_css("admin.action_note"), "asked by phone")
    press(driver, "Exclude from analysis")
    wait_for_text(driver, "is excluded from the analysis")
    assert "has no e-mail address" not in driver.find_element(By.TAG_NAME, "body").text
    assert "asked by phone" in set(exclusion_log(store, STUDY)["reason"])


def test_a_decimal_comma_is_read_as_a_decimal(server, new_driver) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields
    from tests.ui.survey_bot import plan_answers
    from tests.ui.test_browser import _type, answer, wait_for_text

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=21, skip_optional=False)
    for page, label in (("consent", "Befragung beginnen"), ("screening", "Weiter")):
        views = page_fields(store, page, seed=seed, lang="de", partner="Beta GmbH")
        wait_for(driver, key_css(widget_key(page, views[0].id)))
        answer(driver, page, views, plan[page])
        press(driver, label)
    views = page_fields(store, "alliance", seed=seed, lang="de", partner="Beta GmbH")
    age = key_css(widget_key("alliance", "alliance_age"))
    wait_for(driver, age)
    answer(driver, "alliance", views, {**plan["alliance"], "alliance_age": None})

    def type_age(text: str) -> None:  # typed again if a re-render replaced the field
        _type(driver, age, text)

    type_age("zwei")
    press(driver, "Weiter")
    wait_for_text(driver, "Bitte geben Sie eine Zahl ein, z. B. 2 oder 1,5.")
    assert "alliance_age" not in store.state(inv.token).answers  # nothing saved
    type_age("1,5")
    press(driver, "Weiter")
    learning = page_fields(store, "learning", seed=seed, lang="de", partner="Beta GmbH")
    wait_for(driver, key_css(widget_key("learning", learning[0].id)))
    assert store.state(inv.token).answers["alliance_age"] == 1.5
    # Back shows the stored number the German way
    press(driver, "Zurück")
    _until(driver, lambda d: _field(d, age).get_attribute("value") == "1,5",
           "the stored 1.5 shown as 1,5")
    assert "Seite 3 von" in driver.find_element(By.TAG_NAME, "body").text


def test_expired_and_completed_links_speak_the_respondents_language(server, new_driver) -> None:  # noqa: F811
    import sqlalchemy as sa
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.models import Invitation
    from instruments.store.tokens import hash_token
    from tests.ui.test_browser import _type, wait_for_text

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de",
                             expires_days=5)[0]  # fmt: skip
    driver = new_driver()
    driver.get(inv.link(base))
    consent = key_css(widget_key("consent", "consent"))
    wait_for(driver, consent)
    _choose(driver, consent, "Ja")
    press(driver, "Befragung beginnen")
    wait_for(driver, key_css(widget_key("screening", "n_partners")))
    with store.engine.begin() as conn:  # the link expires while the page is open
        conn.execute(sa.update(Invitation).where(Invitation.token_hash == hash_token(inv.token))
                     .values(expires_at=sa.func.datetime("2020-01-01")))  # fmt: skip
    _type(driver, key_css(widget_key("screening", "n_partners")), "3")
    _choose(driver, key_css(widget_key("screening", "informant_knowledge")), "In hohem Maße")
    press(driver, "Weiter")
    wait_for_text(driver, "Dieser Einladungslink ist abgelaufen")
    assert "expired" not in driver.find_element(By.TAG_NAME, "body").text
    driver.get(inv.link(base))  # opened again later
    wait_for_text(driver, "Dieser Einladungslink ist abgelaufen")
    assert "expired" not in driver.find_element(By.TAG_NAME, "body").text

    done = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de")[0]
    from tests.ui.survey_bot import plan_answers

    store.start(done.token)
    seed = store.state(done.token).seed
    for k, (page, answers) in enumerate(plan_answers(store, seed=seed, rng_seed=5).items()):
        store.submit_page(done.token, page, answers, submission_key=f"walk2-{k}")
    assert store.state(done.token).completed
    driver.get(done.link(base))
    wait_for_text(driver, "Sie haben die Befragung mit diesem Link bereits abgeschlossen.")
    assert "already" not in driver.find_element(By.TAG_NAME, "body").text


def _completed(store, language: str):  # noqa: ANN001, ANN202
    """A new invitation in ``language`` answered to the end through the store."""
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import plan_answers

    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language=language)[0]
    seed = store.start(inv.token).seed
    for k, (page, answers) in enumerate(plan_answers(store, seed=seed, rng_seed=9).items()):
        store.submit_page(inv.token, page, answers, submission_key=f"walk2-done-{k}")
    assert store.state(inv.token).completed
    return inv


def test_withdrawal_after_completion_is_confirmed_in_the_respondents_language(
    server, new_driver,  # noqa: F811
) -> None:
    from selenium.webdriver.common.by import By

    from tests.ui.test_browser import open_expander, wait_for_text

    base, store = server
    inv = _completed(store, "de")
    n_given = len(store.state(inv.token).answers)
    driver = new_driver()
    driver.get(inv.link(base))  # a new browser: the session knows no language yet
    wait_for_text(driver, "Vielen Dank!")
    open_expander(driver, "widerrufen")
    press(driver, "Ja, alle meine Antworten löschen")
    wait_for_text(driver, f"Alle {n_given} Antworten, die Sie gegeben haben, wurden gelöscht")
    assert "You have withdrawn" not in driver.find_element(By.TAG_NAME, "body").text
    assert store.state(inv.token).status == "withdrawn"


#: Texts of question labels that reach past the right edge of the window.
_PAST_RIGHT_EDGE = """
return Array.from(document.querySelectorAll('label[data-testid="stWidgetLabel"] p'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.textContent.slice(0, 40));
"""


def test_a_long_partner_name_wraps_in_question_labels_on_a_phone(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.test_browser import _type

    base, store = server
    name = "Forschungs_und_Entwicklungs_Verbund_" + "X" * 80
    inv = create_invitations(store, STUDY, 1, partner_name=name)[0]
    driver = new_driver()
    driver.set_window_size(390, 844)
    _until(driver, lambda d: d.execute_script("return window.innerWidth") == 390, "390 px")
    driver.get(inv.link(base))
    consent = key_css(widget_key("consent", "consent"))
    wait_for(driver, consent)
    _choose(driver, consent, "Yes")
    press(driver, "Start the survey")
    wait_for(driver, key_css(widget_key("screening", "informant_knowledge")))
    _type(driver, key_css(widget_key("screening", "n_partners")), "2")  # the page is drawn
    # read once the page is laid out (and again after it settled)
    settles(driver, lambda d: d.execute_script(_PAST_RIGHT_EDGE), [], "no label past the edge")
    settles(driver, lambda d: d.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"), True,
        "no sideways scrolling")  # fmt: skip


_FOCUSED = """
const a = document.activeElement;
const box = a.closest('[class*="st-key-"]');
return [a.tagName, a.type || '', (a.innerText || '').trim().slice(0, 30),
        box ? Array.from(box.classList).find(c => c.startsWith('st-key-')) : ''];
"""


def test_tab_goes_from_the_language_switch_to_the_first_question(server, new_driver) -> None:  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields
    from tests.ui.survey_bot import plan_answers

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=2)
    _walk(driver, store, plan, ["consent", "screening"], seed, ["Start the survey", "Next"])
    first = page_fields(store, "alliance", seed=seed, lang="en", partner="Acme Robotics")[0]
    wait_for(driver, key_css(widget_key("alliance", first.id)))
    keys_on_button(driver, "Deutsch", Keys.TAB)  # Tab from the language switch
    focused = driver.execute_script(_FOCUSED)
    assert focused[:2] == ["INPUT", "radio"], focused
    assert focused[3] == f"st-key-w-alliance-{first.id}", focused
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    _until(driver, lambda d: d.execute_script("return document.activeElement.checked"),
           "the focused option to be picked")  # fmt: skip
    # and backwards: Shift+Tab from the language switch reaches no invisible frame
    keys_on_button(driver, "Deutsch", Keys.SHIFT, Keys.TAB)
    assert driver.execute_script(_FOCUSED)[0] != "IFRAME"


def test_an_error_message_shows_the_partner_name_as_typed(server, new_driver) -> None:  # noqa: F811
    from tests.ui.test_browser import _type, wait_for_text

    base, store = server
    driver = new_driver()
    _log_in(driver, base)
    open_tab(driver, "Invitations")
    wait_for(driver, key_css("admin.partner"))
    _type(driver, key_css("admin.partner"), "*Acme* _Robotics_ " + "x" * 300)
    press(driver, "Create invitations")
    wait_for_text(driver, "at most 300 are allowed (it starts '*Acme* _Robotics_ ")
