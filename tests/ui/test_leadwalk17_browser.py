"""In a real headless Chromium, on a phone (390 px) and a desktop (1280 px): a study lead
sends the invitations of 30 contacts by keyboard to a real SMTP server (aiosmtpd) that
refuses two recipients and loses one connection after a message was handed over.

The page names the three failed addresses with the server's words (it said only "27
sent, 3 failed"), nobody gets a message twice (the one whose confirmation was lost got
it twice), a second press retries the refused two only, and the list fits the phone's
width.

A second press of "Send invitations" while a run was going started a second run beside
the first (Streamlit runs it while the first goes on unseen): the two shared the list
between them, and the page showed only the second's part ("14 invitations sent, 2
failed" for 28 sent) and not the address refused in the first.  The second press now
waits for the first run, and the page gives the totals of the send log and names every
contact whose invitation failed.  Screenshots go to ``out/screenshots/``.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from instruments.fieldwork.auth import set_password
from instruments.fieldwork.contacts import SECRET_KEY_ENV, import_contacts, new_secret_key
from instruments.fieldwork.invitations import create_study
from instruments.fieldwork.mail import configure_mail
from instruments.store import ResponseStore
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _browser_paths,
    _until,
    key_css,
    keys_on_button,
    new_driver,
    open_tab,
    running_app,
    screenshot,
    wait_for,
    wait_for_text,
    wait_idle,
)
from tests.ui.test_leadwalk17_app import PASSWORD, STUDY, FussySink, contact_csv, fussy  # noqa: F401

REFUSED = {"a3@alpha3.example", "b9@beta9.example"}


def _warning_text(driver) -> str:  # noqa: ANN001
    boxes = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAlertContentWarning"]')
    return "\n".join(b.text for b in boxes)


@pytest.mark.slow
def test_failed_invitations_are_named_and_nobody_is_mailed_twice(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fussy, new_driver,  # noqa: ANN001, F811
) -> None:
    _browser_paths()
    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())  # the app's process inherits it
    sink = fussy(drop_after=(6,))
    sink.refuse = set(REFUSED)
    url = f"sqlite:///{tmp_path / 'lead.sqlite'}"
    store = ResponseStore(url)
    try:
        create_study(store, STUDY)
        set_password(store, STUDY, PASSWORD)
        import_contacts(store, STUDY, contact_csv())
        configure_mail(store, STUDY, smtp=sink.url, sender="survey@uni.example",
                       lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                       base_url="https://survey.example.org", rate_per_minute=10_000)  # fmt: skip
        with running_app(url, tmp_path) as base:
            driver = new_driver()
            driver.set_window_size(390, 844)  # a phone
            driver.get(f"{base}/?admin=1&study={STUDY}")
            field = wait_for(driver, key_css("admin.login_password") + " input")
            field.send_keys(PASSWORD, Keys.ENTER)  # the form is sent with Enter
            wait_for_text(driver, f"Study: {STUDY}")
            open_tab(driver, "Contacts & mail")
            keys_on_button(driver, "Send invitations", Keys.SPACE)
            _until(driver, lambda d: "Not sent:" in _warning_text(d), "the list of failures")
            wait_idle(driver)
            text = _warning_text(driver)
            assert text.startswith("27 invitations sent, 3 failed, 0 skipped (opted out).")
            assert "1 of the failed may have arrived all the same" in text
            named = [line for line in text.splitlines()[1:] if "@" in line]
            assert len(named) == 3, text
            for address in REFUSED:
                assert any(re.match(f"{re.escape(address)}: 550 5\\.1\\.1", x) for x in named)
            doubtful = sink.recipients()[5]  # the 6th message: handed over, not confirmed
            assert any(x.startswith(f"{doubtful}: Not confirmed") for x in named)
            received = Counter(sink.recipients())
            assert len(received) == 28 and set(received.values()) == {1}
            # the page fits the phone: no sideways scrolling for long replies
            assert driver.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth")
            screenshot(driver, "lw17_send_failures", top=False)  # phone and desktop

            # On the desktop, a second press tries the two refused again, not the one perhaps delivered.
            keys_on_button(driver, "Send invitations", Keys.SPACE)
            _until(driver, lambda d: "0 invitations sent, 2 failed" in _warning_text(d),
                   "the second run's message")  # fmt: skip
            assert Counter(sink.recipients()) == received
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_double_press_of_send_keeps_the_first_runs_outcome(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fussy, new_driver,  # noqa: ANN001, F811
) -> None:
    _browser_paths()
    monkeypatch.setenv(SECRET_KEY_ENV, new_secret_key())
    sink = fussy()
    sink.refuse = set(REFUSED)
    url = f"sqlite:///{tmp_path / 'lead.sqlite'}"
    store = ResponseStore(url)
    try:
        create_study(store, STUDY)
        set_password(store, STUDY, PASSWORD)
        import_contacts(store, STUDY, contact_csv())
        # 300 a minute: the run takes some seconds, time for the second press
        configure_mail(store, STUDY, smtp=sink.url, sender="survey@uni.example",
                       lead_name="Dr. Jana Lehmann", lead_email="lehmann@uni.example",
                       base_url="https://survey.example.org", rate_per_minute=300)  # fmt: skip
        with running_app(url, tmp_path) as base:
            driver = new_driver()
            driver.get(f"{base}/?admin=1&study={STUDY}")
            field = wait_for(driver, key_css("admin.login_password") + " input")
            field.send_keys(PASSWORD, Keys.ENTER)
            wait_for_text(driver, f"Study: {STUDY}")
            open_tab(driver, "Contacts & mail")
            keys_on_button(driver, "Send invitations", Keys.SPACE)
            _until(driver, lambda d: len(sink.messages) >= 2, "the run to start")
            button = [b for b in driver.find_elements(By.TAG_NAME, "button")
                      if b.text.strip() == "Send invitations"][-1]  # fmt: skip
            button.send_keys(Keys.SPACE)  # the impatient second press, mid-run
            _until(driver, lambda d: "invitations sent" in _warning_text(d)
                   or "Nothing to send" in d.find_element(By.TAG_NAME, "body").text,
                   "the run's message")  # fmt: skip
            wait_idle(driver)
            received = Counter(sink.recipients())
            assert len(received) == 28 and set(received.values()) == {1}
            # The second press waited for the first run (the page never shows that run's
            # message) and tried the two refused again; its message gives the whole state
            # and names both refused addresses.
            _until(driver, lambda d: "In all, 28 of the 30 contacts on the list have been sent "
                   "the invitation e-mail." in _warning_text(d), "the totals")  # fmt: skip
            text = _warning_text(driver)
            assert text.startswith("0 invitations sent, 2 failed"), text
            named = [line for line in text.splitlines()[1:] if "@" in line]
            assert sorted(x.split(":")[0] for x in named) == sorted(REFUSED), text
    finally:
        store.dispose()
