"""In a real headless Chromium: defects found on the eleventh walk.

- The pages shown in both languages to a visitor whose language is not known (no link,
  a link with two invitation codes, an invalid link) are marked English, and their German
  half was read out by screen readers with English pronunciation.  Now the German half
  is marked German.  The first two pages also had no first-level heading.  An opt-out
  link that is not valid was refused in English only; now in German too.
- The study lead's pages went from the level-1 heading to the tabs' level-3 sections.
- A question with a message under it (an answer missing, a number out of range) was not
  tied to the message: a screen reader on the question did not say what was wrong.
"""

from __future__ import annotations

import uuid
from typing import Any

from instruments.ui.texts import t
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _until,
    new_driver,
    server,
    wait_for_text,
    wait_idle,
)

_PARTS = """return [...document.querySelectorAll('h1,h2,h3,[data-testid="stAlertContainer"]')]
  .map(e => [e.tagName === 'DIV' ? 'alert' : +e.tagName[1],
             (e.closest('[lang]') || document.documentElement).getAttribute('lang'),
             e.textContent.trim()]);"""


def _parts(driver: Any) -> list[tuple[Any, str, str]]:
    """The page's headings and message boxes: level (or "alert"), language, text."""
    wait_idle(driver)
    return [tuple(p) for p in driver.execute_script(_PARTS)]


def test_the_german_half_of_a_page_in_both_languages_is_marked_german(server, new_driver) -> None:  # noqa: F811
    """On a phone: no link, two invitation codes, an unknown code.  Each page starts with
    the survey's title (level 1); its English title and message are in the English page,
    the German ones in a part marked German."""
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.conftest import STUDY

    base, store = server
    one, two = create_invitations(store, STUDY, 2, partner_name="Acme Robotics")
    driver = new_driver()
    driver.set_window_size(390, 844)
    for query, title, text in [
        ("", "no_token_title", "no_token"),
        (f"?t={one.token}&t={two.token}", "link_problem_title", "two_tokens"),
        (f"?t=unknown-{uuid.uuid4().hex}", "link_problem_title", "invalid_link"),
    ]:
        driver.get(f"{base}/{query}")
        wait_for_text(driver, t(text, "de"))

        def marked(d: Any, title: str = title, text: str = text) -> bool:
            parts = _parts(d)
            german = [(level, lang) for level, lang, shown in parts
                      if shown in (t(title, "de"), t(text, "de"))]  # fmt: skip
            english = [(level, lang) for level, lang, shown in parts
                       if shown in (t(title, "en"), t(text, "en"))]  # fmt: skip
            return (parts[0][0] == 1 and english == [(2, "en"), ("alert", "en")]
                    and german == [(3, "de"), ("alert", "de")])  # fmt: skip

        _until(driver, marked, f"the German half of {text!r} marked German")
        assert driver.execute_script("return document.documentElement.lang") == "en"

    # an opt-out link that is not valid: it said so in English only
    from instruments.ui.optout import TEXTS

    driver.get(f"{base}/?optout=unknown-{uuid.uuid4().hex}")
    wait_for_text(driver, "This opt-out link is not valid")
    refused = TEXTS["refused"]["de"]
    _until(driver, lambda d: ("alert", "de", refused) in _parts(d), "the German refusal")


_LEVELS = "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]);"


def test_the_study_leads_headings_do_not_skip_a_level(server, new_driver) -> None:  # noqa: F811
    """Screen readers' list of headings went from "Study lead" (level 1) straight to the
    tab's sections (level 3: "Status", "Contact list").  Now the open tab's name is the
    level-2 heading between them, kept out of sight (the tab shows it)."""
    from tests.ui.test_walk10_browser import _login

    base, _store = server
    driver = new_driver()
    _login(driver, base, "Fieldwork")
    wait_for_text(driver, "Completion and drop-off per page")

    def ordered(d: Any) -> bool:
        wait_idle(d)
        levels = d.execute_script(_LEVELS)
        return (levels[:3] == [1, 2, 3]
                and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)))  # fmt: skip

    _until(driver, ordered, "headings without a skipped level")
    def heading(d: Any) -> tuple[str, dict]:  # read again if a re-render replaced it
        h2 = d.find_element("css selector", "h2")
        box = h2.find_element("xpath", "./ancestor::div[contains(@class, 'st-key-admin-tab-heading')]")
        return h2.get_attribute("textContent").strip(), box.size

    text, size = _until(driver, heading, "the tab's heading")
    assert text == "Fieldwork"
    assert size["height"] <= 1 and size["width"] <= 1  # out of sight: the tab shows it


_DESCRIBED = """return [...document.querySelectorAll('[aria-describedby]')].map(e => [
  e.tagName === 'INPUT' ? e.type : e.getAttribute('role') || e.tagName.toLowerCase(),
  e.getAttribute('aria-invalid'),
  (document.getElementById(e.getAttribute('aria-describedby')) || {}).textContent || null]);"""


def test_a_question_with_a_message_is_marked_invalid_and_described_by_it(server, new_driver) -> None:  # noqa: F811
    """Keyboard and screen reader: "Start the survey" without an answer put the keyboard on
    the consent question, and a screen reader said the question, not "Please answer this
    question." (the message was not tied to it).  Now the question's option group is
    marked invalid and described by the message, its options described by it; a number
    out of range marks its field; the marks go once the answer is sent."""
    from selenium.webdriver.common.keys import Keys

    from instruments.fieldwork.invitations import create_invitations
    from instruments.ui.fields import page_fields
    from instruments.ui.respondent import widget_key
    from tests.ui.test_browser import _choose, _type, key_css, keys_on_button, press, wait_for
    from tests.ui.test_walk10_browser import _focus

    base, store = server
    inv = create_invitations(store, "uitest", 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(inv.link(base))
    consent = key_css(widget_key("consent", "consent"))
    wait_for(driver, consent)
    wait_idle(driver)
    keys_on_button(driver, t("start", "en"), Keys.ENTER)
    wait_for_text(driver, t("answer_required", "en"))
    needed = t("answer_required", "en")
    _until(driver, lambda d: d.execute_script(_DESCRIBED) == [
        ["radiogroup", "true", needed], ["radio", None, needed], ["radio", None, needed]],
        "the consent question marked invalid, described by its message")  # fmt: skip
    assert _focus(driver)[2] == consent[1:]

    _choose(driver, consent, "Yes")
    press(driver, t("start", "en"))
    number = key_css(widget_key("screening", "n_partners"))
    _type(driver, number, "999")
    press(driver, t("next", "en"))
    message = t("out_of_range", "en", min=2, max=50)
    wait_for_text(driver, message)
    _until(driver, lambda d: d.execute_script(_DESCRIBED) == [["text", "true", message]],
           "the number's field marked invalid, described by its message")  # fmt: skip
    _type(driver, number, "3")
    knowledge = next(v for v in page_fields(store, "screening", seed=0, lang="en", partner=None,
                                            answers={}) if v.id == "informant_knowledge")
    _choose(driver, key_css(widget_key("screening", knowledge.id)), knowledge.labels[7])
    press(driver, t("next", "en"))
    wait_for_text(driver, "Page 3 of")
    press(driver, t("back", "en"))
    wait_for(driver, number)
    wait_idle(driver)
    _until(driver, lambda d: d.execute_script(_DESCRIBED) == [], "the marks taken off")


def test_the_new_invitation_links_can_be_downloaded_with_their_firms(
    server, new_driver, tmp_path,  # noqa: F811
) -> None:
    """The links of new invitations are shown once; they could be copied from a code box
    (links only, without the firm each is for) or from the table's download, which shows
    only under a mouse pointer.  Now a button downloads them as a CSV file with the
    partner's name; the links stay on the page after the download."""
    import csv
    import io
    from urllib.parse import parse_qs, urlparse

    from tests.ui.test_browser import _type, key_css, press
    from tests.ui.test_walk10_browser import _login

    base, store = server
    driver = new_driver()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(tmp_path)})  # fmt: skip
    _login(driver, base, "Invitations")
    _type(driver, key_css("admin.partner"), "Süd AG")
    press(driver, "Create invitations")
    wait_for_text(driver, "1 invitation created")
    press(driver, "Download the links (CSV)")
    files = _until(driver, lambda d: list(tmp_path.glob("*_invitation_links.csv")), "the file")
    rows = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8-sig"))))
    assert [(r["partner_name"], r["language"]) for r in rows] == [("Süd AG", "en")]
    token = parse_qs(urlparse(rows[0]["link"]).query)["t"][0]
    assert store.start(token).partner_name == "Süd AG"  # the link of a live invitation
    wait_idle(driver)
    assert "1 invitation created" in driver.find_element("tag name", "body").text
