"""In a real headless Chromium: the study lead's Privacy & preview tab at 1280 px (privacy
settings saved, a preview started) and the preview itself on a phone at 390 px, with the
test banner; screenshots go to ``out/screenshots/``."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from instruments.ui.respondent import widget_key
from tests.ui.conftest import PASSWORD, STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    SCREENSHOTS,
    _painted,
    _type,
    _until,
    key_css,
    new_driver,
    open_tab,
    press,
    server,
    wait_for,
    wait_for_text,
)


def _shot(driver, name: str, width: int, height: int) -> None:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, height)
    _until(driver, lambda d: d.execute_script("return window.innerWidth") == width,
           f"the window to be {width} px wide")
    _painted(driver)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_privacy_tab_and_preview_on_a_phone(server, new_driver) -> None:  # noqa: F811
    from instruments.store.rights import get_settings

    base, store = server
    driver = new_driver()
    driver.set_window_size(1280, 900)
    driver.get(f"{base}/?admin=1&study={STUDY}")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, f"Study: {STUDY}")
    open_tab(driver, "Privacy & preview")
    wait_for(driver, key_css("admin.p_controller"))
    _type(driver, key_css("admin.p_controller"), "Universität Beispiel")
    _type(driver, key_css("admin.p_contact"), "lead@example.org")
    press(driver, "Save privacy settings")
    wait_for_text(driver, "Privacy settings saved.")
    assert get_settings(store, STUDY).controller == "Universität Beispiel"
    press(driver, "Start a preview")
    wait_for_text(driver, "Open the preview")
    _shot(driver, "40_admin_privacy_preview_1280", 1280, 900)
    # read again if a re-render replaced a code box between finding and reading it
    links = _until(driver, lambda d: [c.text for c in d.find_elements(By.CSS_SELECTOR, "code")
                                      if "?t=" in c.text], "the preview's link")  # fmt: skip
    link = links[-1].strip()

    driver.set_window_size(390, 844)
    driver.get(link)
    wait_for(driver, key_css(widget_key("consent", "consent")))
    wait_for_text(driver, "Controller: Universität Beispiel")
    _shot(driver, "41_preview_consent_390", 390, 844)
    token = link.split("?t=")[1]
    assert store.state(token).is_test
