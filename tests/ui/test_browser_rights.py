"""In a real headless Chromium: nothing typed is lost on a language switch, the browser's
Back works inside the survey, pages open at their top (and a quick scroll is not undone),
the soft prompt, and a withdrawal that leaves no trace of the answers in the CSV, SPSS and
Parquet exports, the wide view or the report's input (only the tombstone and the audit
entry).  Screenshots at 390 and 1280 px in English and German go to
``out/screenshots/``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from instruments.ui.fields import page_fields
from instruments.ui.respondent import widget_key
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import plan_answers
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    WAIT_SEC,
    _until,
    answer,
    assert_selected,
    key_css,
    new_driver,  # noqa: F811
    open_expander,
    press,
    progress_text,
    screenshot,
    server,  # noqa: F811
    settles,
    wait_for,
    wait_for_text,
)

#: How many rating-option labels there are, and which of their words are split over two
#: lines (one rect per line).
_BROKEN_WORDS = """
const out = [];
const labels = document.querySelectorAll('div[class*="st-key-w-"] label[data-testid="stRadioOption"] :is(p, .as-text)');
for (const p of labels) {
  const node = p.firstChild; if (!node || node.nodeType !== 3) continue;
  const text = node.textContent; let at = 0;
  for (const word of text.split(' ')) {
    const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + word.length);
    const rects = Array.from(r.getClientRects()).filter(x => x.width > 0);
    if (rects.length > 1) out.push(word);
    at += word.length + 1;
  }
}
return [labels.length, out];
"""

_SCROLL_TOP = """
const el = document.querySelector('[data-testid="stMain"]');
return Math.max(el ? el.scrollTop : 0, window.scrollY);
"""


def _views(store, page, seed, lang="en"):  # noqa: ANN001, ANN202
    return page_fields(store, page, seed=seed, lang=lang, partner="Acme Robotics")


def _walk(driver, store, plan, pages, seed, labels) -> None:  # noqa: ANN001
    for k, page in enumerate(pages):
        views = _views(store, page, seed)
        wait_for(driver, key_css(widget_key(page, views[0].id)))
        answer(driver, page, views, plan[page])
        press(driver, labels[k])


def test_language_switch_back_button_top_of_page_and_soft_prompt(server, new_driver) -> None:  # noqa: F811
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=14, skip_optional=False)
    _walk(driver, store, plan, ["consent", "screening", "alliance"], seed,
          ["Start the survey", "Next", "Next"])  # fmt: skip
    views = _views(store, "learning", seed)
    wait_for(driver, key_css(widget_key("learning", views[0].id)))
    # The new page opens at its top although Next sat at the bottom of the last one (the
    # page brings itself up once its script has run, a moment after its first question).
    settles(driver, lambda d: d.execute_script(_SCROLL_TOP) < 50, True, "the page at its top")
    typed = {v.id: plan["learning"][v.id] for v in views[:8]}
    answer(driver, "learning", views[:8], typed)
    screenshot(driver, "20_matrix_half_filled_en", top=True)
    press(driver, "Deutsch")
    wait_for_text(driver, "Zusammenarbeiten und gemeinsam lernen")
    de_views = _views(store, "learning", seed, "de")
    assert_selected(driver, "learning", de_views, typed)  # all 8 answers are still there
    assert store.state(inv.token).language == "de"
    screenshot(driver, "21_matrix_after_switch_de", top=True)
    n_options = sum(len(v.options) for v in views if v.kind in ("coded", "boolean"))
    for width in (390, 768, 1280):  # no label breaks inside a word
        driver.set_window_size(width, 900)
        _until(driver, lambda d, w=width: d.execute_script("return window.innerWidth") == w,
               f"the window to be {width} px wide")  # fmt: skip
        wait_for(driver, key_css(widget_key("learning", views[0].id)))
        # [number of option labels, words broken over two lines], once the page is laid out
        # at the new width
        settles(driver, lambda d: d.execute_script(_BROKEN_WORDS), [n_options, []],
                f"every option label, no word broken, at {width} px")  # fmt: skip
    driver.set_window_size(1280, 900)
    press(driver, "Weiter")
    n_empty = len(views) - len(typed)
    wait_for_text(driver, f"Sie haben {n_empty} Aussagen nicht beantwortet. Trotzdem fortfahren?")
    screenshot(driver, "22_soft_prompt_de", top=False)
    press(driver, "English")  # the prompt stays, now in English
    wait_for_text(driver, f"You left {n_empty} statements unanswered. Continue anyway?")
    screenshot(driver, "23_soft_prompt_en", top=False)
    press(driver, "Continue anyway")
    dep = _views(store, "dependence", seed)
    wait_for(driver, key_css(widget_key("dependence", dep[0].id)))
    assert progress_text(driver).startswith("Page 5 of")
    settles(driver, lambda d: d.execute_script(_SCROLL_TOP) < 50, True, "the page at its top")
    # One block per scale, in the order the intro announces: own dependence first.
    shown = [v.id for v in dep]
    assert [i.split("_")[1] for i in shown] == ["own"] * 5 + ["partner"] * 5
    # Browser Back and Forward move between survey pages (the page number is in the URL).
    driver.back()
    wait_for(driver, key_css(widget_key("learning", views[0].id)))
    assert progress_text(driver).startswith("Page 4 of")
    assert "p=4" in driver.current_url
    driver.forward()
    wait_for(driver, key_css(widget_key("dependence", dep[0].id)))
    assert progress_text(driver).startswith("Page 5 of")


#: The visit the page's scroll script last ran for (null before it first ran).
_SCROLL_SCRIPT = """
return document.body.dataset.surveyVisit || null;
"""


def test_a_quick_scroll_on_a_new_page_is_not_undone(server, new_driver) -> None:  # noqa: F811
    """The new page brings itself to the top again 150 and 600 ms after it appears; a
    respondent who scrolls in that time is not pulled back up."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.support.ui import WebDriverWait

    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    driver = new_driver()
    driver.set_window_size(1280, 700)
    driver.get(inv.link(base))
    wait_for(driver, key_css(widget_key("consent", "consent")))
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=15, skip_optional=False)
    _walk(driver, store, plan, ["consent", "screening"], seed, ["Start the survey", "Next"])
    views = _views(store, "alliance", seed)
    wait_for(driver, key_css(widget_key("alliance", views[0].id)))
    answer(driver, "alliance", views, plan["alliance"])
    before = WebDriverWait(driver, WAIT_SEC).until(lambda d: d.execute_script(_SCROLL_SCRIPT))
    press(driver, "Next")
    learning = _views(store, "learning", seed)
    first = key_css(widget_key("learning", learning[0].id))
    wait_for(driver, first)
    # as soon as the new page's scroll script has run, the respondent scrolls down (from the
    # question found again if a re-render replaced it)
    WebDriverWait(driver, WAIT_SEC, poll_frequency=0.02).until(
        lambda d: d.execute_script(_SCROLL_SCRIPT) not in (None, before))
    _until(driver, lambda d: ActionChains(d).scroll_from_origin(ScrollOrigin.from_element(
        d.find_element("css selector", first)), 0, 500).perform() or True, "a turn of the wheel")
    _until(driver, lambda d: d.execute_script(_SCROLL_TOP) > 200, "the page scrolled down")
    # past the script's last bring-to-top: a timer of the page set now for 700 ms fires after
    # the script's 600 ms one (timers of a page fire in order), however slow the machine
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; setTimeout(() => done(true), 700);")
    assert driver.execute_script(_SCROLL_TOP) > 200


def _download_copy(driver) -> dict:  # noqa: ANN001
    """Press "Download (JSON)" in the copy's expander; the downloaded file, read."""
    import json
    import time

    folder = Path(tempfile.mkdtemp(prefix="copy-"))
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(folder)})
    open_expander(driver, "Download a copy of my answers")
    press(driver, "Download (JSON)")
    deadline = time.monotonic() + WAIT_SEC
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.suffix == ".json"]
        if done:
            return json.loads(done[0].read_text(encoding="utf-8"))
        time.sleep(0.2)
    raise AssertionError(f"no copy was downloaded into {folder}: {list(folder.iterdir())}")


def test_withdrawal_after_three_pages_leaves_no_trace(server, new_driver) -> None:  # noqa: F811
    from analysis.commands.report import _study as report_input
    from instruments.fieldwork.exports import export
    from instruments.fieldwork.invitations import create_invitations
    from instruments.instrument.spss import read_sav
    from instruments.store.rights import deletion_log, set_settings, tombstones

    base, store = server
    set_settings(store, STUDY, controller="Universität Beispiel, Lehrstuhl für Strategie",
                 contact="alliance-study@example.org", purpose="Research on alliances.",
                 legal_basis="public_interest", retention="until 31 December 2030")  # fmt: skip
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics", language="de")[0]
    driver = new_driver()
    driver.get(inv.link(base))
    wait_for_text(driver, "Verantwortlich: Universität Beispiel, Lehrstuhl für Strategie")
    screenshot(driver, "30_consent_privacy_de")
    press(driver, "English")
    wait_for_text(driver, "Controller: Universität Beispiel, Lehrstuhl für Strategie")
    wait_for_text(driver, "a task in the public interest")
    screenshot(driver, "31_consent_privacy_en")
    seed = store.state(inv.token).seed
    plan = plan_answers(store, seed=seed, rng_seed=15)
    plan["alliance"]["alliance_age"] = 37.5  # a value to look for
    _walk(driver, store, plan, ["consent", "screening", "alliance"], seed,
          ["Start the survey", "Next", "Next"])  # fmt: skip
    wait_for(driver, key_css(widget_key("learning", _views(store, "learning", seed)[0].id)))
    rid = store.state(inv.token).respondent_id
    n_given = len(store.state(inv.token).answers)
    assert n_given >= 10
    # the right of access: the copy downloaded from the survey holds every answer sent
    got = _download_copy(driver)
    assert len(got["answers"]) == n_given
    assert {"question_id": "alliance_age", "answer": 37.5} in [
        {k: a[k] for k in ("question_id", "answer")} for a in got["answers"]]
    assert got["about"]["status"] != "withdrawn" and got["about"]["language"] == "en"
    open_expander(driver, "Withdraw and delete my answers")
    press(driver, "Yes, delete all my answers")
    wait_for_text(driver, f"All {n_given} answers you gave have been deleted")
    screenshot(driver, "32_withdrawn_en")
    from selenium.webdriver.common.by import By

    assert "No answers" not in driver.find_element(By.TAG_NAME, "body").text

    folder = Path(tempfile.mkdtemp())
    frames = {"wide": store.wide(STUDY, include_screened_out=True, include_test=True),
              "csv": pd.read_csv(export(store, STUDY, "csv", folder / "w.csv")),
              "parquet": pd.read_parquet(export(store, STUDY, "parquet", folder / "w.parquet")),
              "sav": read_sav(export(store, STUDY, "sav", folder / "w.sav"))[0],
              "long": pd.read_csv(export(store, STUDY, "long", folder / "log.csv")),
              "report": report_input(STUDY, store.url)[1]}  # fmt: skip
    for name, frame in frames.items():
        assert rid not in set(frame["respondent_id"]), name
        if "alliance_age" in frame:
            assert 37.5 not in set(frame["alliance_age"]), name
    log = deletion_log(store, STUDY)
    mine = log[log["respondent_id"] == rid]
    assert mine[["reason", "channel", "n_answers"]].to_dict("records") == [
        {"reason": "withdrawn", "channel": "link", "n_answers": n_given}]
    assert rid in set(tombstones(store, STUDY)["respondent_id"])
    # Opening the link again says what happened, in the invitation's language: the
    # withdrawal erased the language the respondent chose (session 19)
    driver.get(inv.link(base))
    wait_for_text(driver, "Sie haben Ihre Teilnahme widerrufen und alle Ihre Antworten wurden "
                          "gelöscht")
    screenshot(driver, "33_withdrawn_link_de")
    assert WAIT_SEC > 0
