"""In a real headless Chromium: a defect found on the third browser walk.

- Streamlit's own "Skip to main content" link (the first Tab stop of every page) was
  English on German pages, and the document said ``lang="en"`` to screen readers: both
  now follow the page's language, also after the language switch.
"""

from __future__ import annotations

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    key_css,
    new_driver,
    press,
    server,
    wait_for,
)

_SKIP = """const a = document.querySelector('a[data-testid="stSkipToContent"]');
return [document.documentElement.lang, a ? a.textContent : null];"""


def test_skip_link_and_page_language_follow_the_page(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    german = ["de", t("skip_link", "de")]
    _until(driver, lambda d: d.execute_script(_SKIP) == german,
           f"the German skip link and lang (now {driver.execute_script(_SKIP)})")
    press(driver, "English")
    english = ["en", t("skip_link", "en")]
    _until(driver, lambda d: d.execute_script(_SKIP) == english,
           f"the English skip link and lang (now {driver.execute_script(_SKIP)})")


_INPUTMODES = """return Array.from(document.querySelectorAll(arguments[0] + ' input'))
  .map(e => e.getAttribute('inputmode'));"""


def test_a_decimal_question_asks_phones_for_the_decimal_keypad(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import plan_answers
    from tests.ui.test_browser_rights import _walk

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=2)
    _walk(driver, store, plan, ["consent", "screening"], seed, ["Start the survey", "Next"])
    age = key_css(widget_key("alliance", "alliance_age"))  # a decimal question
    wait_for(driver, age)
    _until(driver, lambda d: d.execute_script(_INPUTMODES, age) == ["decimal"],
           f"inputmode=decimal on {age} (now {driver.execute_script(_INPUTMODES, age)})")
    # the other fields of the page keep their own keyboards
    others = driver.execute_script("""return Array.from(document.querySelectorAll(
        'input[inputmode="decimal"]')).length;""")
    assert others == 1
