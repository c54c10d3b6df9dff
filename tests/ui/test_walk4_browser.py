"""In a real headless Chromium: defects found on the fourth walk that only a browser shows.

- A very long answer pasted into the free-text field (6,000 characters, over its limit of
  5,000) was dropped as a whole, without a word: Streamlit's field refuses any change
  that would pass its character limit.  The field now takes the paste; the page says in
  its language how long the answer is and keeps it for shortening.
- Free text in a right-to-left script (Arabic, Hebrew) runs from the right, paragraph by
  paragraph, in the otherwise left-to-right page.
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
    wait_for_text,
    walk_survey,
)

_FIELD = "textarea"


def _paste(driver, css: str, text: str) -> None:  # noqa: ANN001
    """Paste ``text`` into the text area of ``css`` as one insertion, as a paste is (typing
    it key by key would stop at a limit instead)."""
    from selenium.webdriver.common.by import By

    field = _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"{css} {_FIELD}"),
                   f"the text area of {css}")  # fmt: skip
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
    field.click()
    driver.execute_cdp_cmd("Input.insertText", {"text": text})


def _value(driver, css: str) -> str:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"{css} {_FIELD}").get_attribute("value")


def test_a_long_pasted_answer_is_taken_and_named_too_long(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.set_window_size(390, 844)
    pages = [p.id for p in store.pages]
    walk_survey(driver, store, inv.link(base), rng_seed=6, stop_after=len(pages) - 1)
    css = key_css(widget_key("comment", "comment"))
    wait_for(driver, css)
    press(driver, "Deutsch")
    wait_for_text(driver, t("finish", "de"))

    rtl = "مرحبا بالعالم."
    _paste(driver, css, rtl)
    _until(driver, lambda d: _value(d, css) == rtl, "the Arabic text in the field")
    direction = driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0])).unicodeBidi",
        f"{css} {_FIELD}")  # fmt: skip
    assert direction == "plaintext", direction  # each paragraph in its own direction

    long_text = "\n" + ("Ein sehr langer Kommentar zur Allianz 😀. " * 150)[:5999]
    _paste(driver, css, long_text)
    whole = rtl + long_text
    _until(driver, lambda d: _value(d, css) == whole,
           f"the pasted text in the field (it holds {len(_value(driver, css))} characters)")
    press(driver, t("finish", "de"))
    wait_for_text(driver, f"Ihre Antwort hat {len(whole)} Zeichen; höchstens 5000 sind möglich.")
    assert _value(driver, css) == whole  # kept for shortening
    assert "comment" not in store.state(inv.token).answers
    assert store.state(inv.token).status != "completed"

