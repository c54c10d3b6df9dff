"""In a real headless Chromium: the fifteenth walk.

- In the system's high-contrast mode (forced colours), "Yes" chosen on the consent page
  looked exactly like "No": Streamlit's option circles lost their fill.  The chosen circle
  is now drawn in the text colour.
- With the system's "reduce motion" on, the progress bar still slid for 0.5 s on every
  page and the boxes below faded: transitions are off then.
- Checked and kept (no defect found): a statement answered after "Jetzt beantworten"
  keeps no note through a switch of language and back (walk 14's report of its note
  coming back did not recur on this code); a 320 px screen at 200 % answered with the
  keyboard only through the consent page and two pages (every stop on screen, no
  sideways scrolling); the browser's Back after "Finish" shows the thank-you page again,
  with nothing to change; the link opened after a withdrawal says it is closed.
"""

from __future__ import annotations

import uuid

import pytest

from instruments.ui.texts import t
from tests.ui.conftest import STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    new_driver,
    press,
    read,
    server,
    settles,
    wait_for,
    wait_for_text,
    wait_idle,
)

_LEARNING = 'div[class*="st-key-w-learning"] fieldset'

#: Per statement of the learning page: its note shown, the option checked.
_STATEMENTS = """return [...document.querySelectorAll('div[class*="st-key-w-learning"]')]
  .filter(b => b.querySelector('fieldset'))
  .map(b => { const cls = [...b.classList].find(c => c.startsWith('st-key-w-'));
              const note = document.querySelector('.' + CSS.escape(cls.replace('st-key-', 'st-key-softnote-')));
              const on = b.querySelector('input:checked');
              const group = b.querySelector('fieldset');
              return [!!note && note.offsetParent !== null, on ? on.value : null,
                      !!group.getAttribute('aria-describedby')]; });"""


def _at_learning(store, lang: str) -> str:  # noqa: ANN001
    """A token whose respondent is on the learning page (the pages before sent)."""
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import plan_answers

    token = create_invitations(store, STUDY, 1, partner_name="Acme Robotics",
                               language=lang)[0].token  # fmt: skip
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=15)
    for page in ("consent", "screening", "alliance"):
        store.submit_page(token, page, {k: v for k, v in plan[page].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip
    return token


def test_an_answered_statements_note_stays_away_after_a_language_switch(
    server, new_driver,  # noqa: F811
) -> None:
    """"Weiter" with the learning page empty, "Jetzt beantworten", the first statement
    answered with 4 (its note goes), then "English": the first statement still shows 4
    and no note, every other statement shows "Not answered yet."; its note had come
    back."""
    base, store = server
    token = _at_learning(store, "de")
    driver = new_driver()
    driver.get(f"{base}/?t={token}")
    wait_for(driver, _LEARNING)
    press(driver, "Weiter")
    wait_for_text(driver, t("soft_continue", "de"))
    press(driver, t("soft_answer", "de"))
    # every statement of the page (from the store: a read of the page could come
    # between two drawings and count only those drawn so far)
    from instruments.ui.fields import page_fields

    n = len(page_fields(store, "learning", seed=store.state(token).seed, lang="de",
                        partner=None, answers={}))  # fmt: skip
    settles(driver, lambda d: d.execute_script(_STATEMENTS), [[True, None, True]] * n,
            "every statement with its note")  # fmt: skip
    driver.execute_script(
        "document.querySelector(arguments[0]).querySelector('input[value=\"4\"]').click()",
        _LEARNING)  # fmt: skip
    _until(driver, lambda d: d.execute_script(_STATEMENTS)[0] == [False, "4", False],
           "the first statement answered, its note gone")  # fmt: skip
    press(driver, "English")
    wait_for_text(driver, t("not_answered", "en"))
    settles(driver, lambda d: d.execute_script(_STATEMENTS),
            [[False, "4", False]] + [[True, None, True]] * (n - 1),
            "the answered statement without its note after the switch")  # fmt: skip
    press(driver, "Deutsch")
    wait_for_text(driver, t("not_answered", "de"))
    settles(driver, lambda d: d.execute_script(_STATEMENTS),
            [[False, "4", False]] + [[True, None, True]] * (n - 1),
            "the answered statement without its note after switching back")  # fmt: skip


#: Per option of the consent question: checked, and the drawn colours of its circle and
#: of the dot inside (as the page shows them, after the system's forced colours).
_CONSENT_CIRCLES = """return [...document.querySelectorAll(
    'div[class*="st-key-w-consent"] label[data-testid="stRadioOption"]')].map(l => {
  const circle = l.querySelector(':scope > div > div:first-child');
  const dot = circle && circle.firstElementChild;
  return [l.querySelector('input').checked, getComputedStyle(circle).backgroundColor,
          dot ? getComputedStyle(dot).backgroundColor : null]; });"""


def test_the_chosen_consent_answer_shows_in_high_contrast_mode(server, new_driver) -> None:  # noqa: F811
    """With the system's high-contrast mode (forced colours), "Yes" chosen on the consent
    page looked exactly like "No": both circles empty, their fill taken away.  The chosen
    circle is now drawn in the text colour, which differs from the page's."""
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.test_browser import _choose

    base, store = server
    token = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0].token
    driver = new_driver()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "media": "", "features": [{"name": "forced-colors", "value": "active"}]})
    driver.get(f"{base}/?t={token}")
    wait_for(driver, 'div[class*="st-key-w-consent"] label[data-testid="stRadioOption"]')
    wait_idle(driver)
    _choose(driver, 'div[class*="st-key-w-consent"]', "Yes")

    def drawn(d):  # noqa: ANN001, ANN202
        rows = d.execute_script(_CONSENT_CIRCLES)
        if len(rows) != 2:  # the group between two drawings
            return False
        (yes_on, yes_circle, yes_dot), (no_on, no_circle, _) = rows
        # "Yes" chosen, and its circle drawn unlike the other's (not yet: tried again)
        return (yes_on, no_on) == (True, False) and yes_circle != no_circle \
            and yes_dot != yes_circle

    _until(driver, drawn, "'Yes' chosen and its circle drawn unlike the other")


#: The focused element: its kind, name, whether it lies within the window's width, the
#: page's widest point against the window, and what a radio group has chosen.
_KEYBOARD = """const a = document.activeElement;
const r = a.getBoundingClientRect();
const group = a.type === 'radio' && a.name
  ? [...document.getElementsByName(a.name)].some(x => x.checked) : null;
return {tag: a.tagName, type: a.type || null, value: a.value || '',
        name: (a.getAttribute('aria-label') || a.textContent || '').trim().slice(0, 40),
        inside: r.left >= -1 && r.right <= window.innerWidth + 1 && r.width > 0,
        wide: document.documentElement.scrollWidth - window.innerWidth, chosen: group};"""


def _keyboard_page(driver, done: str, *, last: bool) -> list[dict]:  # noqa: ANN001
    """Answer the page on screen with the keyboard only, as a person would: Tab from the
    top; on an option group with nothing chosen, Space (its first option) and, with
    ``last``, the up arrow (round to its last option: "very much", not screened out); in
    an empty text field, "3"; on the button ``done``, Enter.  Returns every stop."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    stops: list[dict] = []
    for _ in range(80):
        before = driver.execute_script("return document.activeElement")
        ActionChains(driver).send_keys(Keys.TAB).perform()
        _until(driver, lambda d, b=before: d.execute_script("return document.activeElement") != b,
               "the keyboard to move on")  # fmt: skip
        stop = driver.execute_script(_KEYBOARD)
        stops.append(stop)
        if stop["tag"] == "BUTTON" and stop["name"] == done:
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            return stops
        if stop["type"] == "radio" and not stop["chosen"]:
            ActionChains(driver).send_keys(Keys.SPACE).perform()
            _until(driver, lambda d: d.execute_script(_KEYBOARD)["chosen"], "the option chosen")
            if last:
                ActionChains(driver).send_keys(Keys.ARROW_UP).perform()
        elif stop["tag"] == "INPUT" and stop["type"] == "text" and not stop["value"]:
            ActionChains(driver).send_keys("3").perform()
    raise AssertionError(f"No button {done!r} reached: {[s['name'] for s in stops]}")


# about 25 s on a loaded machine: three pages answered key by key (each key a round trip)
@pytest.mark.slow
def test_320_px_at_200_percent_with_the_keyboard_only(server, new_driver) -> None:  # noqa: F811
    """A 640 px phone-like screen at 200 % zoom (320 CSS px): the consent page, the
    screening page and the alliance page answered with Tab, Space, digits and Enter only.
    Every stop of the keyboard lies within the screen's width, the page never scrolls
    sideways, and the answers are saved."""
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    token = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0].token
    driver = new_driver()
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 320, "height": 640, "deviceScaleFactor": 2, "mobile": False})
    driver.get(f"{base}/?t={token}")
    stops: list[dict] = []
    for k, (page, done) in enumerate((("consent", "Start the survey"), ("screening", "Next"),
                                      ("alliance", "Next"))):  # fmt: skip
        wait_for(driver, f'div[class*="st-key-w-{page}"]')
        wait_idle(driver)
        stops += _keyboard_page(driver, done, last=page != "consent")
        _until(driver, lambda d, k=k: store.state(token).current_page > k,
               f"the page {page} saved")  # fmt: skip
    outside = [s for s in stops if not s["inside"] or s["wide"] > 0]
    assert outside == [], outside


_MOVING = """return [...document.querySelectorAll('*')].filter(e =>
  (parseFloat(getComputedStyle(e).transitionDuration) || 0) > 0)
  .map(e => e.getAttribute('data-testid') || e.tagName);"""


def test_nothing_slides_when_reduced_motion_is_asked_for(server, new_driver) -> None:  # noqa: F811
    """With the system's "reduce motion" on, a survey page had the progress bar slide for
    0.5 s and the boxes below fade: nothing on the page moves now."""
    base, store = server
    token = _at_learning(store, "en")
    driver = new_driver()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "media": "", "features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
    driver.get(f"{base}/?t={token}")
    wait_for(driver, _LEARNING)
    settles(driver, lambda d: d.execute_script(_MOVING), [], "no element with a transition")


def test_the_browsers_back_after_finishing_and_the_link_after_withdrawal(
    server, new_driver,  # noqa: F811
) -> None:
    """"Finish" on the last page, then the browser's Back: the thank-you page again, no
    page of questions (a finished respondent cannot change what was sent) and the stored
    answers unchanged.  Withdrawn from the thank-you page, the link opened again says the
    answers were deleted and the link is closed."""
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import plan_answers
    from tests.ui.test_browser import open_expander

    base, store = server
    token = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0].token
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=15)
    pages = [p.id for p in store.pages if p.id in plan]
    for page in pages[:-1]:
        store.submit_page(token, page, {k: v for k, v in plan[page].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip
    driver = new_driver()
    driver.get(f"{base}/?t={token}")
    wait_for(driver, f'div[class*="st-key-w-{pages[-1]}"]')
    press(driver, "Finish")
    wait_for_text(driver, t("thanks_title", "en"))
    answers = store.state(token).answers
    driver.back()
    wait_for_text(driver, t("thanks_title", "en"))
    wait_idle(driver)
    buttons = read(driver, lambda d: [b.text.strip() for b in d.find_elements("tag name", "button")],
                   "the buttons")  # fmt: skip
    assert not {"Back", "Next", "Finish"} & set(buttons), buttons
    assert store.state(token).answers == answers and store.state(token).completed

    open_expander(driver, t("withdraw_open", "en"))
    press(driver, t("withdraw_confirm", "en"))
    _until(driver, lambda d: store.state(token).status == "withdrawn", "the withdrawal")
    driver.get(f"{base}/?t={token}")
    wait_for_text(driver, t("withdrawn_title", "en"))
    assert store.state(token).answers == {}
