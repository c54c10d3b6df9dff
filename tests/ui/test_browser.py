"""End to end in a real headless Chromium: the survey from the invitation link to the .sav file.

The test starts ``streamlit run streamlit_app.py`` against a temporary SQLite
database, opens a personal link, answers every page by clicking like a person
(the answers come from the survey bot), closes the window half-way and resumes
in a new one, finishes, and checks that the exported SPSS file holds exactly
the answers given, with value labels.  Screenshots of every page type at phone
(390x844) and desktop (1280x900) width go to ``out/screenshots/``.

Needs Debian's ``chromium`` and ``chromium-driver``: with ``CI=true`` a missing
browser fails the test (run ``make test``, which installs them); elsewhere the
test is skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from instruments.store import DB_ENV_VAR, ResponseStore
from instruments.ui.fields import page_fields
from instruments.ui.respondent import widget_key
from tests.ui.conftest import APP, PASSWORD, REPO, STUDY
from tests.ui.survey_bot import plan_answers, plan_so_far

#: The soft prompt's button that moves on with statements left empty.
SOFT_CONTINUE_EN = "Continue anyway"

SCREENSHOTS = REPO / "out" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
CHROME_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
WAIT_SEC = 30


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver))
               if path is None]  # fmt: skip
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[dev]')")
    if missing:
        message = (
            f"The browser test needs {', '.join(missing)}; run `make test`, which installs "
            "Debian's chromium and chromium-driver."
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return chromium, driver  # type: ignore[return-value]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(url: str, folder: Path) -> Iterator[str]:
    """Run ``streamlit run streamlit_app.py`` on the database ``url`` (log in ``folder``);
    yields the app's base URL once its health check answers, stops it afterwards."""
    port = _free_port()
    env = dict(os.environ, **{DB_ENV_VAR: url})
    log = open(folder / "streamlit.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(
                    "The survey app did not start:\n" + (folder / "streamlit.log").read_text()
                )
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A running survey app on a fresh SQLite database; yields (base URL, store)."""
    from instruments.fieldwork.auth import set_password
    from instruments.fieldwork.invitations import create_study

    _browser_paths()
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'survey.sqlite'}"
    store = ResponseStore(url)
    create_study(store, STUDY)
    set_password(store, STUDY, PASSWORD)
    try:
        with running_app(url, folder) as base:
            yield base, store
    finally:
        store.dispose()


@pytest.fixture()
def new_driver():
    """Factory of fresh headless Chromium sessions (own profile each); all quit at the end."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _browser_paths()
    drivers: list[Any] = []
    profiles: list[str] = []

    def make() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in CHROME_ARGS:
            options.add_argument(arg)
        profile = tempfile.mkdtemp(prefix="chromium-profile-")
        profiles.append(profile)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument("--window-size=1280,900")
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        driver.set_page_load_timeout(WAIT_SEC)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001 - already closed
            pass
    for profile in profiles:
        shutil.rmtree(profile, ignore_errors=True)


# -- helpers that act like a person -------------------------------------------------------


def key_css(key: str) -> str:
    """CSS selector of the element container Streamlit gives a keyed widget."""
    cls = "".join(c if c.isalnum() or c in "_-" else "-" for c in key.strip())
    return f".st-key-{cls}"


def wait_for(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SEC).until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_for_text(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By

    _until(driver, lambda d: text in d.find_element(By.TAG_NAME, "body").text,
           f"the text {text!r}")


def click(driver: Any, element: Any) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    try:
        element.click()
    except Exception:  # noqa: BLE001 - covered by a sticky element: click as the page would
        driver.execute_script("arguments[0].click();", element)


def find_button(driver: Any, label: str) -> Any:
    """The last button labelled ``label``, waiting up to WAIT_SEC for it (a busy machine
    renders the page late); fails with the labels that are there."""
    from selenium.webdriver.common.by import By

    def labelled(d: Any) -> list:
        return [b for b in d.find_elements(By.TAG_NAME, "button") if b.text.strip() == label]

    try:
        return _until(driver, lambda d: labelled(d) or False, f"the button {label!r}")[-1]
    except AssertionError:
        there = [b.text.strip() for b in driver.find_elements(By.TAG_NAME, "button")]
        raise AssertionError(f"No button {label!r} on the page; buttons: {there}.") from None


def open_expander(driver: Any, text: str) -> None:
    """Open the expander whose title contains ``text`` and wait until its content shows.

    A click that lands while the page still moves (a new page scrolls itself to the top
    for a moment after it appears) or while Streamlit redraws the expander can miss, so
    the title is clicked again until the expander is open, as a person would."""
    from selenium.webdriver.common.by import By

    def opened(d: Any) -> bool:
        titles = [e for e in d.find_elements(By.CSS_SELECTOR, "details > summary") if text in e.text]
        if not titles:
            return False
        details = titles[-1].find_element(By.XPATH, "..")
        if details.get_attribute("open") is not None:
            return any(b.is_displayed() for b in details.find_elements(By.TAG_NAME, "button"))
        click(d, titles[-1])
        time.sleep(0.3)  # the expander's content is drawn after the click
        return False

    _until(driver, opened, f"the expander {text!r} to open")


def open_tab(driver: Any, name: str) -> None:
    """Open the tab named ``name``, clicking it again until the page shows it selected."""
    from selenium.webdriver.common.by import By

    def selected(d: Any) -> bool:
        tabs = [t for t in d.find_elements(By.CSS_SELECTOR, '[role="tab"]') if t.text.strip() == name]
        if not tabs:
            return False
        if tabs[0].get_attribute("aria-selected") == "true":
            return True
        click(d, tabs[0])
        time.sleep(0.2)
        return False

    _until(driver, selected, f"the tab {name!r} to open")


_IDLE = """
const app = document.querySelector('[data-testid="stApp"]');
return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]');
"""


def wait_idle(driver: Any) -> None:
    """Wait until Streamlit has finished the script run and no element of the page before
    is still on screen.

    A new page's first question shows while the run that draws it is still going, next to
    the faded buttons of the page before; a press in that moment can hit the old page's
    button of the same label, or be dropped by the app, as a person's would be on a very
    busy machine.  People press once the page has settled, and so do the tests."""
    _until(driver, lambda d: d.execute_script(_IDLE), "the page to finish drawing")


def press(driver: Any, label: str) -> None:
    """Click the button labelled ``label`` once the page has settled (found again if a
    re-render replaced it)."""
    wait_idle(driver)

    def pressed(d: Any) -> bool:
        click(d, find_button(d, label))
        return True

    _until(driver, pressed, f"a click on {label!r}")


def keys_on_button(driver: Any, label: str, *keys: str) -> None:
    """Send ``keys`` to the button labelled ``label`` (the keyboard on it, as after Tab)
    once the page has settled; the button is found again if a re-render replaced it
    between finding it and sending the keys (nothing is sent to a replaced element)."""
    wait_idle(driver)

    def sent(d: Any) -> bool:
        find_button(d, label).send_keys(*keys)
        return True

    _until(driver, sent, f"the keys on {label!r}")


def next_step(store: Any, plan: dict, pages: list[str], k: int, seed: int) -> tuple[str, Any]:
    """The button that leaves page ``k`` of ``pages`` and the condition that shows the
    respondent has arrived on the next page (or on the thank-you page after the last)."""
    label = "Start the survey" if k == 0 else ("Finish" if k == len(pages) - 1 else "Next")
    if k + 1 < len(pages):
        following = page_fields(store, pages[k + 1], seed=seed, lang="en", partner=None,
                                answers=plan_so_far(plan, pages[k + 1]))  # fmt: skip
        return label, shows(key_css(widget_key(pages[k + 1], following[0].id)))
    return label, shows_text("Thank you!")


def press_past_soft_prompt(driver: Any, label: str, arrived: Any, *, double: bool = False) -> bool:
    """Press ``label`` (twice quickly with ``double``) and, if the page answers with the
    soft prompt about statements left empty, press "Continue anyway".

    ``arrived(driver)`` tells when the next page (or the end) is on screen; the function
    waits until either that holds or the prompt is shown, and returns whether it was.
    """
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    (double_click if double else press)(driver, label)

    def prompt(d: Any) -> bool:
        return any(b.text.strip() == SOFT_CONTINUE_EN for b in d.find_elements(By.TAG_NAME, "button"))

    from selenium.common.exceptions import TimeoutException

    def outcome(d: Any) -> str | bool:
        return ("prompt" if prompt(d) else False) or ("next" if arrived(d) else False)

    # A click that lands while the page is still re-running can be dropped by the app under
    # heavy load; a respondent then presses again, and so does the bot (the store's
    # submission key keeps a repeated press from counting twice).
    for attempt in range(3):
        try:
            shown = WebDriverWait(
                driver, WAIT_SEC,
                ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
            ).until(outcome)
            break
        except TimeoutException:
            if attempt == 2:
                raise
            press(driver, label)
    if shown == "prompt":
        press(driver, SOFT_CONTINUE_EN)
        WebDriverWait(
            driver, WAIT_SEC,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        ).until(arrived)
    return shown == "prompt"


def shows(css: str) -> Any:
    """Condition: an element matching ``css`` is displayed."""
    from selenium.webdriver.common.by import By

    return lambda d: any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, css))


def shows_text(text: str) -> Any:
    """Condition: the page's text contains ``text``."""
    from selenium.webdriver.common.by import By

    return lambda d: text in d.find_element(By.TAG_NAME, "body").text


def assert_selected(driver: Any, page: str, views: list, answers: dict[str, Any]) -> None:
    """Check that the page shows ``answers`` as the selected options."""
    from selenium.webdriver.common.by import By

    for view in views:
        css = key_css(widget_key(page, view.id))
        wait_for(driver, css)
        if view.kind not in ("coded", "boolean"):
            continue
        value = answers.get(view.id)
        expected = [] if value is None else [view.labels[value]]

        def chosen(d: Any, css: str = css) -> list[str]:
            options = d.find_elements(By.CSS_SELECTOR, f'{css} [data-testid="stRadioOption"]')
            return [o.text.strip() for o in options
                    if o.find_element(By.TAG_NAME, "input").is_selected()]  # fmt: skip

        # the stored answer is drawn with the widget: wait until the options are there, and
        # read them again if a re-render replaced one between finding and reading it
        _until(driver, lambda d, css=css: d.find_elements(
            By.CSS_SELECTOR, f'{css} [data-testid="stRadioOption"]'), f"the options of {css}")
        settles(driver, chosen, expected, f"{view.id} shown as {expected}")


def double_click(driver: Any, label: str) -> None:
    """Double-click the button labelled ``label``."""
    from selenium.webdriver.common.action_chains import ActionChains

    wait_idle(driver)

    def clicked(d: Any) -> bool:
        # a button replaced by a re-render fails before either click is sent: found again
        button = find_button(d, label)
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        ActionChains(d).double_click(button).perform()
        return True

    _until(driver, clicked, f"a double click on {label!r}")


def _until(driver: Any, condition: Any, what: str) -> Any:
    """Wait up to WAIT_SEC for ``condition(driver)`` to be truthy.

    Streamlit re-renders a page after every widget change, so an element found a moment
    ago may be replaced (stale) or not drawn yet: both count as "not yet", and the
    condition is tried again until it holds.
    """
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(
            driver, WAIT_SEC,
            ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
        ).until(condition)
    except TimeoutException:
        raise AssertionError(f"Timed out waiting for {what}.") from None


def read(driver: Any, get: Any, what: str) -> Any:
    """``get(driver)`` read once the elements it reads are there, read again if a
    re-render replaced one of them between finding and reading it (any value, also an
    empty or false one, is returned)."""
    return _until(driver, lambda d: (get(d),), what)[0]


def settles(driver: Any, get: Any, expected: Any, what: str) -> None:
    """Fail unless ``get(driver)`` comes to equal ``expected`` and still does once the page
    has settled.

    What the browser draws after the page's script run (a rating row, what the tab kept
    of unsent answers, the layout after a resize) arrives a moment after the elements
    the test waited for; a value read in that moment is not yet the page's.  A value that
    never comes, or that comes and is then replaced, fails with the last one seen."""
    seen: list[Any] = []

    def equal(d: Any) -> bool:
        seen[:] = [get(d)]
        return seen[0] == expected

    try:
        _until(driver, equal, what)
    except AssertionError:
        last = repr(seen[0]) if seen else "nothing (never found)"
        raise AssertionError(f"Timed out waiting for {what}: expected {expected!r}, "
                             f"the page shows {last}.") from None  # fmt: skip
    wait_idle(driver)
    again = read(driver, get, what)
    assert again == expected, f"{what}: {expected!r} was shown, then {again!r}"


def _choose(driver: Any, css: str, wanted: str) -> None:
    """Click the radio option labelled ``wanted`` inside the widget ``css`` once it is drawn,
    and look that it took, as a person does: a click that lands while the page is still
    moving (the new page scrolls itself to the top for a moment after it appears) can miss
    the option, and then it is clicked again."""
    from selenium.webdriver.common.by import By

    def option(d: Any) -> Any:
        options = d.find_elements(By.CSS_SELECTOR, f'{css} label[data-testid="stRadioOption"]')
        matches = [o for o in options if o.text.strip() == wanted]
        return matches[0] if len(matches) == 1 else False

    def chosen(d: Any) -> bool:
        label = option(d)
        if not label:
            return False
        if label.find_element(By.TAG_NAME, "input").is_selected():
            return True
        click(d, label)
        time.sleep(0.2)  # the radio redraws after the click
        return bool(option(d)) and option(d).find_element(By.TAG_NAME, "input").is_selected()

    _until(driver, chosen, f"the option {wanted!r} in {css} to be selected")


def _type(driver: Any, css: str, text: str) -> None:
    """Replace the text of the input or text area inside the widget ``css`` with ``text``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def typed(d: Any) -> bool:
        field = d.find_element(By.CSS_SELECTOR, f"{css} textarea, {css} input")
        if not field.is_displayed():
            return False
        d.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        field.send_keys(text)
        if field.get_attribute("value") != text:
            return False  # re-rendered while typing: type again
        field.send_keys(Keys.TAB)
        return True

    _until(driver, typed, f"a text field in {css}")


def answer(driver: Any, page: str, views: list, answers: dict[str, Any]) -> None:
    """Fill one page: click the labelled option, type numbers and text."""
    for view in views:
        value = answers.get(view.id)
        css = key_css(widget_key(page, view.id))
        wait_for(driver, css)
        if value is None:
            continue
        if view.kind in ("coded", "boolean"):
            _choose(driver, css, view.labels[value])
        else:
            _type(driver, css, f"{value:g}" if isinstance(value, float) else str(value))
    # a click that missed its option may have landed on another one: look over the page
    # once more before it is sent (an option already selected is not clicked again)
    for view in views:
        value = answers.get(view.id)
        if value is not None and view.kind in ("coded", "boolean"):
            _choose(driver, key_css(widget_key(page, view.id)), view.labels[value])


_TO_TOP = """
for (const el of document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')) { el.scrollTo(0, 0); }
window.scrollTo(0, 0);
"""


def _painted(driver: Any) -> None:
    """Block until the browser has drawn two more frames (layout and paint after a change)."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
    )


def screenshot(driver: Any, name: str, *, top: bool = True) -> None:
    """Save the viewport at phone and desktop width as ``out/screenshots/<name>_<size>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        driver.set_window_size(width, height)
        _until(driver, lambda d, w=width: d.execute_script("return window.innerWidth") == w,
               f"the window to be {width} px wide")
        if top:
            driver.execute_script(_TO_TOP)
        _painted(driver)
        driver.save_screenshot(str(SCREENSHOTS / f"{name}_{size}.png"))
    driver.set_window_size(*SIZES["desktop"])


def progress_text(driver: Any) -> str:
    """The progress bar's text once the page has settled (read again if a re-render
    replaced the bar between finding it and reading it)."""
    from selenium.webdriver.common.by import By

    wait_idle(driver)
    return _until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="stProgress"]').text,
                  "the progress bar")  # fmt: skip


def walk_survey(driver: Any, store: ResponseStore, link: str, *, rng_seed: int,
                stop_after: int | None = None) -> dict:
    """Open ``link`` and answer the survey to its end as the survey bot plans it, clicking
    like a person (English pages; statements the bot leaves empty are passed with the
    soft prompt); with ``stop_after``, leave after that many pages, once the next page is
    on screen.  Returns the plan: page id -> the answers given."""
    from urllib.parse import parse_qs, urlparse

    token = parse_qs(urlparse(link).query)["t"][0]
    driver.get(link)
    wait_for(driver, key_css(widget_key("consent", "consent")))
    state = store.state(token)
    seed, partner = state.seed, state.partner_name
    plan = plan_answers(store, seed=seed, rng_seed=rng_seed)
    pages = [p.id for p in store.pages if p.id in plan]  # shown by the survey logic
    for k, page in enumerate(pages[:stop_after]):
        views = page_fields(store, page, seed=seed, lang="en", partner=partner,
                            answers=plan_so_far(plan, page))  # fmt: skip
        wait_for(driver, key_css(widget_key(page, views[0].id)))
        answer(driver, page, views, plan[page])
        label, arrived = next_step(store, plan, pages, k, seed)
        press_past_soft_prompt(driver, label, arrived)
    if stop_after is None:
        wait_for_text(driver, "Thank you!")
    return plan


# -- the tests ---------------------------------------------------------------------------------


def test_browser_survey_end_to_end(server, new_driver) -> None:
    from instruments.fieldwork.exports import export_wide
    from instruments.fieldwork.invitations import create_invitations
    from instruments.instrument.spss import read_sav

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    link = inv.link(base)
    driver = new_driver()

    driver.get(base)
    wait_for_text(driver, "by invitation only")
    screenshot(driver, "00_no_token")
    driver.get(f"{base}/?t=not-a-valid-token")
    wait_for_text(driver, "This invitation link is not valid")
    screenshot(driver, "01_invalid_link")

    driver.get(link)
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=2026)
    plan["value_outcomes"] = plan_answers(store, seed=seed, rng_seed=2026,
                                          skip_optional=False)["value_outcomes"]  # fmt: skip
    pages = [p.id for p in store.pages if p.id in plan]  # shown by the survey logic
    shots = {"consent": "02_consent", "screening": "03_screening", "alliance": "05_choices",
             "learning": "06_matrix", "comment": "08_free_text"}  # fmt: skip
    half = 5
    for k, page in enumerate(pages):
        views = page_fields(store, page, seed=seed, lang="en", partner="Acme Robotics",
                            answers=plan_so_far(plan, page))  # fmt: skip
        wait_for(driver, key_css(widget_key(page, views[0].id)))
        assert progress_text(driver).startswith(f"Page {k + 1} of {len(pages)}")
        if page == "alliance":  # Next without answers: the required-item messages
            press(driver, "Next")
            wait_for_text(driver, "Please answer this question.")
            screenshot(driver, "04_required_missing", top=False)
        answer(driver, page, views, plan[page])
        if page in shots:
            screenshot(driver, shots[page], top=page != "learning")
        label, arrived = next_step(store, plan, pages, k, seed)
        # The bot leaves some statements empty on purpose: pages that ask for a response
        # then show the soft prompt, and the respondent continues anyway.  The page of the
        # impatient double click is answered in full, so that both clicks hit "Next".
        prompted = press_past_soft_prompt(driver, label, arrived,
                                          double=page == "value_outcomes")  # fmt: skip
        n_empty = sum(v.request and plan[page].get(v.id) is None for v in views)
        assert prompted == (n_empty > 0), (page, n_empty)
        if k + 1 == half:
            # Close the window midway; resume from the link in a new window.
            first_page_next = page_fields(store, pages[half], seed=seed, lang="en", partner=None)
            wait_for(driver, key_css(widget_key(pages[half], first_page_next[0].id)))
            old = driver.current_window_handle
            driver.switch_to.new_window("window")
            fresh = driver.current_window_handle
            driver.switch_to.window(old)
            driver.close()
            driver.switch_to.window(fresh)
            driver.get(link)
            assert store.state(inv.token).current_page == half
            # The new window shows the next page; Back shows the stored answers.
            wait_for(driver, key_css(widget_key(pages[half], first_page_next[0].id)))
            press(driver, "Back")
            assert_selected(driver, page, views, plan[page])
            press_past_soft_prompt(
                driver, "Next", shows(key_css(widget_key(pages[half], first_page_next[0].id))))
    wait_for_text(driver, "Thank you!")
    screenshot(driver, "09_thank_you")
    state = store.state(inv.token)
    assert state.completed

    # Every page was stored exactly once (the double click included).
    log = store.answer_log(STUDY)
    mine = log[log["respondent_id"] == state.respondent_id]
    expected = dict.fromkeys(pages, 1)
    expected[pages[half - 1]] = 2  # submitted again after Back in the resumed window
    assert mine.groupby("page")["submission_key"].nunique().to_dict() == expected

    # The exported .sav holds exactly the answers given, with value labels.
    sav = Path(tempfile.mkdtemp()) / "survey.sav"
    export_wide(store, STUDY, sav, "sav")
    data, meta = read_sav(sav)
    row = data[data["respondent_id"] == state.respondent_id]
    assert len(row) == 1
    row = row.iloc[0]
    for answers in plan.values():
        for item_id, value in answers.items():
            got = row[item_id]
            if value is None:
                assert got != got or got in ("", None), (item_id, got)
            elif isinstance(value, str):
                assert got == value, item_id
            else:
                assert float(got) == pytest.approx(float(value), abs=1e-9), item_id
    labels = meta.variable_value_labels
    assert labels["trust_1"][1] == "Strongly disagree"
    assert labels["trust_1"][7] == "Strongly agree"
    assert labels["consent"][1] == "Yes"


def test_browser_screened_out_and_study_lead(server, new_driver) -> None:
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Beta GmbH", language="de")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    views = page_fields(store, "consent", seed=0, lang="de", partner=None)
    answer(driver, "consent", views, {"consent": 1})
    press(driver, "Befragung beginnen")
    views = page_fields(store, "screening", seed=0, lang="de", partner=None)
    wait_for(driver, key_css(widget_key("screening", "informant_knowledge")))
    answer(driver, "screening", views, {"n_partners": 3, "informant_knowledge": 1})
    press(driver, "Weiter")
    wait_for_text(driver, "Vielen Dank für Ihr Interesse")
    screenshot(driver, "10_screened_out_de")
    assert store.state(inv.token).status == "screened_out"

    driver.get(f"{base}/?admin=1&study={STUDY}")
    wait_for(driver, key_css("admin.login_password"))
    _type(driver, key_css("admin.login_password"), "not the password")
    press(driver, "Log in")
    wait_for_text(driver, "Wrong password")
    screenshot(driver, "11_admin_wrong_password")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, "Completion and drop-off per page")
    screenshot(driver, "12_admin_dashboard")
