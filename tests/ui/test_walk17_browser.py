"""In a real headless Chromium: the seventeenth walk.

- After "Next" with required answers missing, the page had one alert (role="alert") for
  its summary and one more for each question's message: a screen reader read them all,
  though the keyboard was already on the first question, which its message describes.
  The page now has one alert; the questions are still marked invalid and described by
  their messages (see test_walk17_app).
- Checked, no defect: at 280 px (the narrowest phones), a German page with the messages
  of missing answers and a long partner name draws nothing past the screen's edge.
- Checked, no defect: the thank-you page printed (print media, Chromium's print to PDF)
  is one page with the thanks, the contact and the completion code.
- Checked, no defect: on a slow connection (1 s each way, through a slow relay) a
  respondent presses "Next" twice, at once or again once the server has saved the page
  while the browser still shows it: the page is saved once with every answer, the next
  page is the one that follows (none skipped), and its questions are not marked as
  missing.  (Chrome's DevTools throttling does not slow the WebSocket the page talks
  over: measured, the press took as long as without it.)
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import plan_answers, plan_so_far
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    answer,
    find_button,
    key_css,
    keys_on_button,
    new_driver,
    server,
    wait_for,
    wait_for_text,
    wait_idle,
)
from tests.ui.test_walk11_browser import _DESCRIBED

#: The page's live regions that a screen reader reads out as they appear.
_ALERTS = """return [...document.querySelectorAll('[role="alert"]')]
  .filter(e => e.offsetParent !== null).map(e => e.textContent.trim());"""


def _sent(store: Any, token: str, last: str, rng_seed: int) -> dict:
    """The pages up to and with ``last`` sent through the store; the bot's plan."""
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=rng_seed)
    for page in [p.id for p in store.pages if p.id in plan]:
        store.submit_page(token, page, {k: v for k, v in plan[page].items() if v is not None},
                          submission_key=uuid.uuid4().hex)  # fmt: skip
        if page == last:
            break
    return plan


def _pages_sent(store: Any, token: str) -> list[str]:
    """The pages the store has a submission of for ``token``, in the order sent."""
    from sqlalchemy import select

    from instruments.store.models import Invitation, PageSubmission, Respondent
    from instruments.store.tokens import checked_hash

    with store.session() as session:
        return list(session.scalars(
            select(PageSubmission.page).join(Respondent)
            .join(Invitation, Invitation.id == Respondent.invitation_id)
            .where(Invitation.token_hash == checked_hash(token))
            .order_by(PageSubmission.id)
        ))  # fmt: skip


def test_a_page_with_missing_answers_has_one_alert(server, new_driver) -> None:  # noqa: F811
    """The alliance page sent empty with the keyboard: one alert, the page's summary
    (there were one more per question left empty); each required question is still
    marked invalid and described by its message."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    plan = _sent(store, inv.token, "screening", rng_seed=171)
    views = page_fields(store, "alliance", seed=store.state(inv.token).seed, lang="en",
                        partner=None, answers=plan_so_far(plan, "alliance"))  # fmt: skip
    required = [v for v in views if v.required]
    assert len(required) >= 2
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("alliance", views[0].id)))
    keys_on_button(driver, t("next", "en"), Keys.ENTER)
    wait_for_text(driver, t("answer_required", "en"))
    wait_idle(driver)
    _until(driver, lambda d: d.execute_script(_ALERTS) == [t("page_problems", "en")],
           "the page's summary as its one alert")  # fmt: skip
    needed = t("answer_required", "en")

    def invalid(d: Any) -> list[tuple[str, str]]:
        # the marked questions (an option group, a text field) and what describes them
        return [(row[0], row[2]) for row in d.execute_script(_DESCRIBED) if row[1] == "true"]

    _until(driver, lambda d: len(invalid(d)) == len(required)
           and {text for _kind, text in invalid(d)} == {needed},
           "each required question marked invalid, described by its message")  # fmt: skip


#: The slow connection's delay each way, in seconds.  Chrome's own throttling
#: (DevTools' Network.emulateNetworkConditions) slows page loads but not the frames of
#: the WebSocket a Streamlit page talks over: the test puts a slow relay in between.
_DELAY = 1.0


@contextlib.contextmanager
def _slow_relay(base: str) -> Iterator[dict[str, Any]]:
    """A TCP relay in front of the app at ``base`` that passes every chunk on, in order,
    both ways, ``relay["delay"]`` seconds after it came (0 until the test sets it);
    yields the relay: its base URL ("url") and the chunks it delayed ("slowed")."""
    upstream = urlsplit(base)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    sockets: list[socket.socket] = [listener]
    relay: dict[str, Any] = {"url": f"http://127.0.0.1:{listener.getsockname()[1]}",
                             "delay": 0.0, "slowed": 0}  # fmt: skip

    def pump(src: socket.socket, dst: socket.socket) -> None:
        chunks: queue.Queue = queue.Queue()

        def send_later() -> None:
            while True:
                due, data = chunks.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    stop.wait(wait)  # the relay's delay, not a wait of the test
                try:
                    dst.sendall(data)
                except OSError:
                    break
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send_later, daemon=True)
        sender.start()
        while not stop.is_set():
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if relay["delay"]:
                relay["slowed"] += 1
            chunks.put((time.monotonic() + relay["delay"], data))
        chunks.put((0.0, None))

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            server_side = socket.create_connection((upstream.hostname, upstream.port))
            sockets.extend((client, server_side))
            for src, dst in ((client, server_side), (server_side, client)):
                threading.Thread(target=pump, args=(src, dst), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("second", ["at once", "after the save"])
def test_a_double_next_on_a_slow_connection_saves_once_and_skips_nothing(
    server, new_driver, second: str,  # noqa: F811
) -> None:
    """The alliance page answered, the connection slowed down, "Next" pressed twice: at
    once (two Enter keys on the button), or again once the server has saved the page
    while the browser still shows it (the new page is on its slow way): one submission
    of the page with all its answers, the page that follows on screen, and no message
    of a missing answer."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    plan = _sent(store, inv.token, "screening", rng_seed=172)
    seed = store.state(inv.token).seed
    pages = [p.id for p in store.pages if p.id in plan]
    following = pages[pages.index("alliance") + 1]
    views = page_fields(store, "alliance", seed=seed, lang="en", partner=None,
                        answers=plan_so_far(plan, "alliance"))  # fmt: skip
    then = page_fields(store, following, seed=seed, lang="en", partner=None,
                       answers=plan_so_far(plan, following))  # fmt: skip
    driver = new_driver()
    with _slow_relay(base) as relay:
        driver.get(inv.link(relay["url"]))
        wait_for(driver, key_css(widget_key("alliance", views[0].id)))
        answer(driver, "alliance", views, plan["alliance"])
        wait_idle(driver)
        relay["delay"] = _DELAY
        if second == "at once":
            keys_on_button(driver, t("next", "en"), Keys.ENTER, Keys.ENTER)
        else:
            next_button = find_button(driver, t("next", "en"))
            next_button.send_keys(Keys.ENTER)
            _until(driver, lambda _d: "alliance" in _pages_sent(store, inv.token),
                   "the page saved by the server")  # fmt: skip
            assert not driver.find_elements(
                "css selector", key_css(widget_key(following, then[0].id)))
            next_button.send_keys(Keys.ENTER)  # the old page's button, still on screen
        wait_for(driver, key_css(widget_key(following, then[0].id)))
        wait_idle(driver)
        assert relay["slowed"] >= 2  # both presses and the new page went the slow way
        body = driver.find_element("tag name", "body").text
    assert t("answer_required", "en") not in body
    assert t("page_problems", "en") not in body
    assert f"Page {pages.index(following) + 1} of" in body
    state = store.state(inv.token)
    given = {k: v for k, v in plan["alliance"].items() if v is not None}
    assert {k: state.answers.get(k) for k in given} == given
    assert not any(k in state.answers for v in then for k in (v.id,))
    sent = _pages_sent(store, inv.token)
    assert sent.count("alliance") == 1, sent
    assert following not in sent


#: The page's text as printed: what is displayed under the print media type.
_PRINTED = """return [...document.querySelectorAll('h1, h2, p')]
  .filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')
  .map(e => e.textContent.trim());"""


def test_the_thank_you_page_prints_with_its_code_on_one_page(server, new_driver) -> None:  # noqa: F811
    """A German respondent of a panel prints the thank-you page as proof: printed (print
    media), it shows the survey's title, the thanks, the contact and the completion
    code, and Chromium's print to PDF makes one page of it."""
    import base64
    import re

    from instruments.fieldwork.invitations import create_invitations
    from instruments.store.rights import get_settings, set_settings

    base, store = server
    before = get_settings(store, STUDY)
    set_settings(store, STUDY, contact="lehmann@uni.example", completion_code="W17-PANEL")
    try:
        inv = create_invitations(store, STUDY, 1, partner_name="Süd AG", language="de")[0]
        _sent(store, inv.token, "", rng_seed=173)  # every page
        assert store.state(inv.token).status == "completed"
        driver = new_driver()
        driver.get(inv.link(base))
        wait_for_text(driver, "W17-PANEL")
        wait_idle(driver)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": []})
        code = t("completion_code", "de", code="W17-PANEL")
        _until(driver, lambda d: code in d.execute_script(_PRINTED), "the code printed")
        printed = " ".join(driver.execute_script(_PRINTED))
        assert t("thanks_title", "de") in printed and "lehmann@uni.example" in printed
        pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {})["data"])
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    finally:
        set_settings(store, STUDY, contact=before.contact or "",
                     completion_code=before.completion_code or "")


#: The viewport's width and the elements drawn past its right edge (a page that scrolls
#: sideways on a narrow phone).
_PAST_EDGE = """const width = document.documentElement.clientWidth;
return [width, document.documentElement.scrollWidth,
  [...document.querySelectorAll('[data-testid="stMain"] *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1;
  }).map(e => e.getAttribute('data-testid') || e.tagName).slice(0, 10)];"""


def test_the_question_messages_fit_a_280_px_screen(server, new_driver) -> None:  # noqa: F811
    """The narrowest phones (280 px): the alliance page sent empty, its summary and the
    messages under the questions (drawn with their own box now) and a long partner
    name in German; nothing is drawn past the screen's right edge."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, language="de",
                             partner_name="Internationale Verwaltungsgesellschaft")[0]  # fmt: skip
    _sent(store, inv.token, "screening", rng_seed=174)
    driver = new_driver()
    driver.set_window_size(280, 700)
    _until(driver, lambda d: d.execute_script("return window.innerWidth") == 280,
           "the window to be 280 px wide")  # fmt: skip
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("alliance", "alliance_age")))
    keys_on_button(driver, t("next", "de"), Keys.ENTER)
    wait_for_text(driver, t("answer_required", "de"))
    wait_idle(driver)
    assert driver.find_elements("css selector", 'div[class*="st-key-note-"]')
    width, scrolled, past = driver.execute_script(_PAST_EDGE)
    assert (width, scrolled, past) == (280, 280, []), (width, scrolled, past)
