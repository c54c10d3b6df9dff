"""In a real headless Chromium and through Streamlit's AppTest: defects found on the eighth
walk, as a respondent and as the study lead.

- Answers clicked on a page were lost on a refresh once the page had been drawn again by
  the session (the language switch, Back and Next, the prompt about statements left
  empty): the rating row drawn with the session's choice took it for the answer sent and
  dropped the click the tab kept for a refresh.
- The respondent's copy downloaded from a German page was saved as
  "my-survey-answers.json"; a required question's star wrapped onto a line of its own on
  a phone; screen readers heard the progress bar as "progress, 16%" on German pages and
  the questions' fields by their Markdown source ("einverstanden\\.", "Help for ..."); the
  two buttons asking whether to delete everything read "Ja, löschen und bee…" and "Meine
  Antworten beh…" on a phone.
- The study lead's tables showed the word "None" in every empty cell, and status codes
  ("declined_or_withdrawn"); respondents still answering (or who had only opened the link)
  were listed with the quality problems "attention; missing" and "speeding".
- After an exclusion, the chooser of "Act on one respondent" jumped back to invitation #1
  (its label, which carried the status, had changed): the next press ("Include in
  analysis again", a deletion) acted on #1.  The message of an action closed the
  correction form under it.
- A deletion on request (Privacy & preview) took one press, without the tick the other
  deletion asks for, and an unknown link got the respondent's message ("ask the study
  team for a new one"); refused privacy settings were worded "redirect_url= must be ...";
  after "Delete all test responses" the deleted preview's link was still offered;
  "Send invitations" without sender settings named a command line and a "Mail page".
- The analysis tab said "N = None analysed of 13 responses" for an analysis that failed,
  with the failure at the very bottom under a report of "Not available" sections; a small
  study's two dozen warnings were two dozen boxes under the report; a study with too few
  responses got the refusal and, under it, "Run the analysis to see ...".
"""

from __future__ import annotations

import uuid
from typing import Any

from instruments.ui.respondent import widget_key
from instruments.ui.texts import t
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import click as app_click
from tests.ui.survey_bot import open_tab as app_open_tab
from tests.ui.survey_bot import plan_answers
from tests.ui.test_browser import (  # noqa: F401 - fixtures
    _choose,
    _until,
    key_css,
    new_driver,
    open_expander,
    press,
    read,
    server,
    wait_for,
    wait_for_text,
    wait_idle,
)
from tests.ui.test_walk4_app import _admin_login


def _answered(store: Any, token: str, last: str | None = None, lang: str = "en") -> dict:
    """Send the pages the survey logic shows through the store, up to and with ``last``
    (default: all); the plan, page id to answers."""
    plan = plan_answers(store, seed=store.start(token).seed, rng_seed=8)
    for page in [p.id for p in store.pages if p.id in plan]:
        store.submit_page(token, page, plan[page], submission_key=uuid.uuid4().hex,
                          language=lang)  # fmt: skip
        if page == last:
            break
    return plan


def _views(store: Any, token: str, page: str, lang: str) -> dict:
    from instruments.ui.fields import page_fields

    state = store.state(token)
    return {v.id: v for v in page_fields(store, page, seed=state.seed, lang=lang,
                                         partner=state.partner_name, answers=state.answers)}


def _checked(driver: Any, page: str, item: str) -> str | None:
    """The label of the option checked in the rating row of ``item`` (None: none)."""
    from selenium.webdriver.common.by import By

    css = key_css(widget_key(page, item))
    for option in driver.find_elements(By.CSS_SELECTOR, f'{css} label[data-testid="stRadioOption"]'):
        if option.find_element(By.TAG_NAME, "input").is_selected():
            return option.text.strip()
    return None


def _shows(driver: Any, page: str, chosen: dict[str, str], what: str) -> None:
    wait_idle(driver)
    _until(driver, lambda d: all(_checked(d, page, i) == label for i, label in chosen.items()),
           what)  # fmt: skip


_NAMES = r"""return [...document.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label'))
  .filter(a => a.includes('\\') || a.startsWith('Help for') || a === 'progress');"""


def _names_as_shown(driver: Any, what: str) -> None:
    """Wait until no screen-reader name on the page is Markdown source (a backslash), in
    English on a German page ("Help for ...") or Streamlit's "progress"."""
    _until(driver, lambda d: d.execute_script(_NAMES) == [], what)


def _download(driver: Any, button: str) -> str:
    """Press the download button ``button`` (in the copy's open expander); the name of the
    downloaded file."""
    import tempfile
    import time
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="copy-"))
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(folder)})  # fmt: skip
    press(driver, button)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p.name for p in folder.iterdir() if p.suffix == ".json"]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing was downloaded into {folder}")


def test_clicks_survive_a_refresh_after_the_language_switch_and_back(server, new_driver) -> None:  # noqa: F811
    """On a phone: two answers clicked on "About the alliance", the page switched to German
    and refreshed: both still chosen.  On the next page, a rating clicked, Back and Next,
    refreshed: still chosen.  The copy downloaded from the German page has a German name;
    the buttons of the question whether to delete everything are read in full."""
    from instruments.fieldwork.invitations import create_invitations

    base, store = server
    inv = create_invitations(store, STUDY, 1, partner_name="Acme Robotics")[0]
    _answered(store, inv.token, "screening")
    en, de = (_views(store, inv.token, "alliance", lang) for lang in ("en", "de"))
    items = [i for i, v in en.items() if v.kind == "coded"][:2]
    driver = new_driver()
    driver.set_window_size(390, 844)
    driver.get(inv.link(base))
    for item in items:
        _choose(driver, key_css(widget_key("alliance", item)), en[item].labels[2])
    # a required question's star stays with the last word of its question
    legend = _until(driver, lambda d: d.find_element(
        "css selector", f"{key_css(widget_key('alliance', items[0]))} legend",
    ).get_attribute("textContent"), "the first question's legend")
    assert legend.endswith("\u00a0*")
    press(driver, "Deutsch")
    german = {i: de[i].labels[2] for i in items}
    _shows(driver, "alliance", german, "the two answers after the language switch")
    # the progress bar is named in the page's language for screen readers, with its page
    bar = '[data-testid="stProgress"] [role="progressbar"]'
    _until(driver, lambda d: d.execute_script(
        "const b = document.querySelector(arguments[0]);"
        "return [b.getAttribute('aria-label'), b.getAttribute('aria-valuetext')];", bar)
        == [t("progress_label", "de"), t("progress", "de", page=3, n=len(store.pages))],
        "the progress bar named in German")  # fmt: skip
    _names_as_shown(driver, "the questions named as shown (no Markdown escapes)")
    driver.refresh()
    _shows(driver, "alliance", german, "the two answers after a refresh")

    # Back and Next draw the next page again from the session: a click there survives too
    plan = plan_answers(store, seed=store.state(inv.token).seed, rng_seed=8)
    answers = {i: v for i, v in plan["alliance"].items() if v is not None}
    answers |= {i: 2 for i in items}
    store.submit_page(inv.token, "alliance", answers, submission_key=uuid.uuid4().hex)
    driver.get(inv.link(base))  # the link opened again: the first page not answered
    learning = _views(store, inv.token, "learning", "de")
    first = next(i for i, v in learning.items() if v.kind == "coded")
    css = key_css(widget_key("learning", first))
    wait_for(driver, css)
    _choose(driver, css, learning[first].labels[5])
    press(driver, t("back", "de"))
    wait_for(driver, key_css(widget_key("alliance", items[0])))
    press(driver, t("next", "de"))
    _shows(driver, "learning", {first: learning[first].labels[5]}, "the click after Back, Next")
    driver.refresh()
    _shows(driver, "learning", {first: learning[first].labels[5]}, "the click after a refresh")

    open_expander(driver, t("copy_open", "de"))
    assert _download(driver, t("copy_button", "de")) == t("copy_file_name", "de")
    assert t("copy_file_name", "de") != t("copy_file_name", "en")

    # consent taken back: the two buttons side by side are read in full, not cut short
    driver.get(inv.link(base) + "&p=1")
    consent = key_css(widget_key("consent", "consent"))
    wait_for(driver, consent)
    _names_as_shown(driver, "the consent question named as shown")
    _choose(driver, consent, "Nein")
    press(driver, t("start", "de"))
    wait_for_text(driver, t("decline_confirm_title", "de"))
    wait_idle(driver)
    cut = driver.execute_script(
        "return [...document.querySelectorAll('button [data-testid=\"stMarkdownContainer\"]')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText);")
    assert cut == [], cut
    press(driver, t("decline_keep", "de"))
    wait_for(driver, consent)
    assert store.state(inv.token).status != "withdrawn"


def test_an_exclusion_keeps_the_chosen_invitation(server, new_driver) -> None:  # noqa: F811
    """The study lead excludes the second of three invitations: the chooser still shows it,
    and "Include in analysis again" acts on it, not on the first; the correction form
    left open stays open."""
    from selenium.webdriver.common.by import By

    from instruments.fieldwork.actions import exclusion_log
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.conftest import PASSWORD
    from tests.ui.test_browser import _type
    from tests.ui.test_walk7_browser import _select

    base, store = server
    invs = create_invitations(store, STUDY, 3, partner_name="Gamma plc")
    for inv in invs[:2]:
        _answered(store, inv.token)
    chosen = invs[1].invitation_id
    driver = new_driver()
    driver.set_window_size(1280, 900)
    driver.get(f"{base}/?admin=1&study={STUDY}")
    _type(driver, key_css("admin.login_password"), PASSWORD)
    press(driver, "Log in")
    wait_for_text(driver, f"Study: {STUDY}")
    from tests.ui.test_browser import open_tab

    open_tab(driver, "Respondents")
    _select(driver, "admin.action_invitation", f"#{chosen} ")
    _type(driver, key_css("admin.action_note"), "Answered for the wrong alliance")
    correcting = "Correct an answer at the respondent's request"
    open_expander(driver, correcting)
    press(driver, "Exclude from analysis")
    wait_for_text(driver, f"Invitation #{chosen} is excluded from the analysis")
    # the message above the correction form no longer closes it
    wait_idle(driver)
    # whether each correction form is open, read again if a re-render replaced one
    opened = read(driver, lambda d: [e.get_attribute("open") is not None for e in d.find_elements(
        By.CSS_SELECTOR, "details") if correcting in e.text], "the correction form")  # fmt: skip
    assert opened and opened[0]
    wait_for_text(driver, "excluded from the analysis.")  # the chosen one's status line
    value = _until(driver, lambda d: d.find_element(
        By.CSS_SELECTOR, f"{key_css('admin.action_invitation')} input",
    ).get_attribute("value") or "-", "the chosen invitation's field")
    assert value.startswith(f"#{chosen} ")
    press(driver, "Include in analysis again")
    wait_for_text(driver, f"Invitation #{chosen} is included in the analysis again.")
    log = exclusion_log(store, STUDY)
    assert set(log["invitation_id"]) == {chosen}
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "is not excluded from the analysis" not in body


# -- without a browser ---------------------------------------------------------------------


def test_the_study_leads_tables_show_no_none(store, invite) -> None:  # noqa: ANN001
    """Every table of the Fieldwork and Respondents tabs marks an empty cell with a dash,
    and the respondents' statuses are worded, not codes."""
    for token in (invite(), invite()):
        _answered(store, token, "consent")
    at = _admin_login(STUDY)
    for tab in ("Fieldwork", "Respondents"):
        app_open_tab(at, tab)
        assert at.dataframe, tab
        for frame in at.dataframe:
            assert frame.proto.placeholder == "–", tab
    statuses = set(at.dataframe[0].value["status"])
    assert statuses == {"Consented, in progress"}


def test_quality_flags_are_those_of_completed_responses(store, invite) -> None:  # noqa: ANN001
    """A respondent who has only opened the link or answered two pages has no quality
    problems listed; a completed one has its flags."""
    from instruments.ui.admin import respondents_frame

    done, started, opened = invite(), invite(), invite()
    _answered(store, done)
    _answered(store, started, "screening")
    store.start(opened)
    frame = respondents_frame(store, STUDY).set_index("status")
    for status in ("consented", "opened"):
        row = frame.loc[status]
        assert row[["attention_flag", "speeder_flag", "missing_flag"]].isna().all(), status
        assert not isinstance(row["exclude_reason"], str) or not row["exclude_reason"]
    assert not frame.loc["completed", ["attention_flag", "missing_flag"]].isna().any()


def test_the_invitation_labels_do_not_change_with_the_status(store, invite) -> None:  # noqa: ANN001
    from instruments.fieldwork import actions
    from instruments.fieldwork.cockpit import respondent_table
    from instruments.ui.admin import invitation_labels

    token = invite()
    before = invitation_labels(respondent_table(store, STUDY))
    _answered(store, token)
    (inv_id,) = before
    actions.exclude_from_analysis(store, STUDY, inv_id, "test")
    assert invitation_labels(respondent_table(store, STUDY)) == before


def test_a_failed_analysis_says_so_first_and_shows_no_none(store, invite) -> None:  # noqa: ANN001
    """An analysis that failed: the failure is an error above the report, and the line
    above it says that there are no results (not "N = None")."""
    from instruments.ui.fields import escape_md

    at = _admin_login(STUDY)
    app_open_tab(at, "Analysis")
    key = f"analyst.result.{STUDY}"
    failure = "The analysis failed: Only 0 respondents remain after exclusions."
    at.session_state[key] = ("<html><body><p>Report</p></body></html>",
                             {"n_raw": 13, "warnings": [failure]})
    at.session_state[f"{key}.erasure"] = 0
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert not any("None" in c for c in captions), captions
    assert any("No results: the analysis could not be made with the 13 completed" in c
               for c in captions)  # fmt: skip
    assert [e.value for e in at.error] == [escape_md(failure)]

    # an analysis made, with warnings: one note above the report, the list in an expander
    notes = [f"Scale s{k}: Cronbach's alpha = 0.1 is below 0.70." for k in range(3)]
    at.session_state[key] = ("<html><body><p>Report</p></body></html>",
                             {"n": 34, "n_raw": 34, "warnings": notes})
    at.run()
    assert [w.value for w in at.warning] == [
        "The analysis gave 3 warnings (unreliable scales, improper or unfitted models, tests "
        "not made): read them before the results."]
    listed = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert all(n in listed for n in notes)


def test_too_few_responses_are_said_once(store, invite) -> None:  # noqa: ANN001
    _answered(store, invite())
    at = _admin_login(STUDY)
    app_open_tab(at, "Analysis")
    app_click(at, "Run the analysis")
    assert any("the analysis needs at least" in e.value for e in at.error)
    assert not any("Run the analysis to see" in i.value for i in at.info)


def test_privacy_tab_confirms_deletions_and_speaks_to_the_study_lead(store, invite) -> None:  # noqa: ANN001
    """A deletion on request needs the tick; an unknown link is named as such to the study
    lead (not "ask the study team for a new one"); refused settings are listed under the
    form's labels; a deleted preview's link is not offered any more."""
    token = invite()
    _answered(store, token, "screening")
    at = _admin_login(STUDY)
    app_open_tab(at, "Privacy & preview")
    at.text_input(key="admin.delete_token").input(f"http://host/?t={token}")
    app_click(at, "Delete this response")
    assert any("Tick the box" in e.value for e in at.error)
    assert store.state(token).status != "withdrawn"
    at.checkbox(key="admin.delete_sure").check()
    app_click(at, "Delete this response")
    assert store.state(token).status == "withdrawn"
    assert any("answers deleted; the link is closed" in s.value for s in at.success)
    assert at.checkbox(key="admin.delete_sure").value is False  # confirmed afresh each time

    at.text_input(key="admin.delete_token").input("not-a-token")
    at.checkbox(key="admin.delete_sure").check()
    app_click(at, "Delete this response")
    errors = " ".join(e.value for e in at.error)
    assert "No invitation of this study has this link" in errors
    assert "ask the study team" not in errors

    at.text_input(key="admin.p_redirect").input("javascript:alert(1)")
    app_click(at, "Save privacy settings")
    errors = " ".join(e.value for e in at.error).replace("\\", "")  # Markdown escapes
    assert "Redirect address: must be an https" in errors and "redirect_url=" not in errors

    app_click(at, "Start a preview")
    assert at.session_state["admin.preview_link"]
    app_click(at, "Delete all test responses")
    assert "admin.preview_link" not in at.session_state
    assert not any(b.label == "Open the preview" for b in at.get("link_button"))


def test_sending_without_sender_settings_says_what_to_do(store, invite) -> None:  # noqa: ANN001
    at = _admin_login(STUDY)
    app_open_tab(at, "Contacts & mail")
    app_click(at, "Send invitations")
    errors = " ".join(e.value for e in at.error)
    assert "Save the sender settings above first" in errors
    assert "alliance-survey mail" not in errors and "Mail page" not in errors
