"""AppTest checks of defects found on the fourth walk (no browser needed).

- A link that can no longer be answered (expired, screened out) still offers the
  withdrawal the consent text promises "at any time", when answers are stored.
- A withdrawal leaves no copy of the answers in the store's files (SQLite's write-ahead
  log kept the erased pages), nor an analysis computed from them; the exports and the
  analysis the study lead's session held from before it are discarded.
- A free-text answer over the limit gets a message in the page's language and is kept;
  no survey field has a browser-side length limit; a required free-text question is not
  called optional.
- The study lead's pages show names with Markdown characters as typed, name both firms
  of a dyad, and delete a response from a link pasted as a respondent sends it.
- Names with line breaks are refused before they reach an e-mail header; a partner name
  with braces is not filled in again; the CSV for Excel says it is UTF-8.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from instruments.ui.texts import t, tn
from tests.ui.conftest import STUDY
from tests.ui.survey_bot import click, fill_page, plan_answers, walk_apptest
from tests.ui.test_app import open_app, stored, texts


def _expire(store) -> None:  # noqa: ANN001
    from instruments.store.models import Invitation, utcnow

    with store.session() as session:
        for inv in session.query(Invitation).all():
            inv.expires_at = utcnow() - timedelta(days=1)


def _withdraw_through_the_link(at, store, token: str, lang: str) -> None:  # noqa: ANN001
    n_given = len(stored(store, token))
    assert n_given > 0
    assert t("withdraw_open", lang) in [e.label for e in at.expander]
    click(at, t("withdraw_confirm", lang))
    assert tn("withdrawn", lang, n_given) in texts(at)
    assert stored(store, token) == {}
    assert store.state(token).status == "withdrawn"
    assert store.wide(STUDY).empty


# -- withdrawal from a closed link -----------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_an_expired_link_with_answers_offers_withdrawal(store, invite, lang) -> None:  # noqa: ANN001
    """The study closed (the invitation expired) after three pages were answered: the link
    says it expired and still lets the respondent delete the answers."""
    token = invite(language=lang, expires_days=5)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=4, lang=lang)
    walk_apptest(at, store, plan, stop_after=3)
    _expire(store)
    again = open_app(token)
    assert t("expired_link", lang) in texts(again)
    _withdraw_through_the_link(again, store, token, lang)


def test_an_expired_link_without_answers_offers_nothing_to_delete(store, invite) -> None:  # noqa: ANN001
    token = invite(expires_days=5)
    open_app(token)  # opened once, nothing answered
    _expire(store)
    at = open_app(token)
    assert t("expired_link", "en") in texts(at)
    # nothing to delete; only the switch to the other language (walk 10)
    assert not at.expander and [b.key for b in at.button] == ["survey.switch.de"]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_screened_out_respondent_can_withdraw(store, invite, lang) -> None:  # noqa: ANN001
    """Screened out, the consent and screening answers stay stored: withdrawal is offered on
    the screening message, right away and when the link is opened again."""
    low = store.instrument.screening.screen_out_below - 1
    for reopen in (False, True):
        token = invite(language=lang)
        at = open_app(token)
        at.radio(key="w:consent:consent").set_value(1)
        click(at, t("start", lang))
        fill_page(at, "screening", {"n_partners": 3, "informant_knowledge": low})
        click(at, t("next", lang))
        assert store.state(token).status == "screened_out"
        message = store.instrument.screening.message[lang].strip()
        if reopen:
            at = open_app(token)
        assert message in texts(at)
        _withdraw_through_the_link(at, store, token, lang)


# -- what a withdrawal leaves behind ----------------------------------------------------------


def _store_files(db_url: str) -> list[Path]:
    path = Path(db_url.removeprefix("sqlite:///"))
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def test_a_withdrawal_leaves_no_copy_of_the_answers_in_the_store(store, invite, db_url) -> None:  # noqa: ANN001
    """The free text (long, with emoji and right-to-left script) is in the database's files
    after the survey; after the withdrawal no byte of it is, while the app still runs
    (SQLite kept the erased pages in its write-ahead log).  No analysis made with the
    answers stays cached."""
    from instruments.store import cache

    token = invite(language="en")
    at = open_app(token)
    click(at, "Deutsch")
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=8, lang="de")
    marker = "Kommentar-7f3a 😀 مرحبا بالعالم ש׳לום " + "ü" * 3000
    plan["comment"]["comment"] = marker
    walk_apptest(at, store, plan)
    assert store.state(token).status == "completed"
    assert stored(store, token)["comment"] == marker
    cache.put(store, STUDY, "k" * 64, report_html="<html>report</html>", analysis={"n": 1},
              data_sha256="0" * 64, settings={}, seconds=1.0)
    needle = b"Kommentar-7f3a"
    assert any(needle in p.read_bytes() for p in _store_files(db_url))

    _withdraw_through_the_link(at, store, token, "de")
    found = [p.name for p in _store_files(db_url) if needle in p.read_bytes()]
    assert not found, f"the erased answer is still in {found}"
    assert cache.get(store, "k" * 64) is None


# -- very long free text ----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_too_long_answer_is_kept_and_named_in_the_pages_language(store, invite, lang) -> None:  # noqa: ANN001
    """5,001 characters in the 5,000-character comment: the page says so in its own language
    (not the store's English refusal), keeps the text for shortening and saves nothing; the
    shortened text, emoji counted as one character each as the store counts them, is saved."""
    token = invite(language=lang)
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=5, lang=lang)
    walk_apptest(at, store, plan, stop_after=len(plan) - 1)
    key = "w:comment:comment"
    limit = store.page(len(store.pages) - 1).field("comment").max_length
    text = ("Ein langer Kommentar. " * 400)[: limit - 1] + "😀🚀"
    at.text_area(key=key).input(text)
    click(at, t("finish", lang))
    grouped = {"en": lambda n: f"{n:,}", "de": lambda n: f"{n:,}".replace(",", ".")}[lang]
    expected = {"en": f"Your answer has {grouped(limit + 1)} characters; at most "
                      f"{grouped(limit)} fit.",
                "de": f"Ihre Antwort hat {grouped(limit + 1)} Zeichen; höchstens "
                      f"{grouped(limit)} sind möglich."}
    body = texts(at)
    assert expected[lang] in body
    assert "Item 'comment'" not in body  # not the store's message
    assert at.text_area(key=key).value == text
    assert "comment" not in stored(store, token)
    assert store.state(token).status != "completed"

    at.text_area(key=key).input(text[:-1])  # 4,999 characters and one emoji
    click(at, t("finish", lang))
    assert store.state(token).status == "completed"
    assert stored(store, token)["comment"] == text[:-1]


# -- the study lead's pages -------------------------------------------------------------------


def _admin_login(study: str):  # noqa: ANN202
    from tests.ui.conftest import PASSWORD

    at = open_app(admin="1", study=study)
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    assert not at.exception, at.exception
    return at


def test_names_in_the_study_leads_messages_are_shown_as_typed(store) -> None:  # noqa: ANN001
    """A study, firm or e-mail with Markdown characters (asterisks, a link, dollar signs)
    is shown literally in the caption, the contact list's problems and the Analysis tab's
    refusal (they were read as emphasis, a link and formula)."""
    from instruments.fieldwork.auth import set_password
    from instruments.fieldwork.invitations import create_study
    from instruments.ui.fields import escape_md
    from tests.ui.conftest import PASSWORD
    from tests.ui.survey_bot import open_tab

    study = "alliances *2026* wave_1"
    create_study(store, study)
    set_password(store, study, PASSWORD)
    at = _admin_login(study)
    assert f"Study: {escape_md(study)}" in [c.value for c in at.caption]

    open_tab(at, "Contacts & mail")
    firm = "[Acme](https://evil.example) *Robotics*"
    csv = ("email,name,firm,partner,alliance_id,role,language\n"
           f"jane@acme.example,Jane,{firm},,,,en\n"
           "not*an*address,Hans,Beta $5M$ AG,Acme,,,de\n")
    at.file_uploader[0].set_value(("contacts.csv", csv.encode(), "text/csv"))
    at.run()
    listed = "\n".join(m.value for m in at.markdown if "line " in m.value)
    assert escape_md("'not*an*address' is not an e-mail address") in listed, listed
    assert "*an*" not in listed.replace("\\*", "")

    open_tab(at, "Analysis")
    click(at, "Run the analysis")
    refusal = escape_md(f"Study '{study}' has 0 completed responses")
    assert any(refusal in e.value for e in at.error), [e.value for e in at.error]


def test_a_dyad_is_created_with_both_firms_named(store) -> None:  # noqa: ANN001
    """The Invitations tab names a dyad's firms: each side's link names the other firm.  A
    partner name typed for a dyad was dropped without a word; now it is refused."""
    from instruments.fieldwork.invitations import invitations_table
    from tests.ui.survey_bot import open_tab

    at = _admin_login(STUDY)
    open_tab(at, "Invitations")
    at.radio(key="admin.kind").set_value("dyad")
    at.text_input(key="admin.partner").input("Beta GmbH")
    click(at, "Create invitations")
    assert any("partner name is for single invitations" in e.value for e in at.error)
    assert invitations_table(store, STUDY).empty

    at.text_input(key="admin.partner").input("")
    at.text_input(key="admin.firm_a").input("Müller & Söhne KG")
    at.text_input(key="admin.firm_b").input("شركة الأمل 🚀")
    click(at, "Create invitations")
    table = invitations_table(store, STUDY).set_index("firm_role")
    assert table.loc["A", "partner_name"] == "شركة الأمل 🚀"
    assert table.loc["B", "partner_name"] == "Müller & Söhne KG"
    assert table.loc["A", "alliance_id"] == table.loc["B", "alliance_id"]
    (links,) = [c.value for c in at.code]
    link_a, link_b = links.splitlines()
    consent_b = texts(open_app(link_b.split("?t=")[1]))
    assert "the alliance with Müller & Söhne KG" in consent_b.replace("\\", "")


def test_deleting_on_request_takes_the_link_as_a_respondent_sends_it(store, invite) -> None:  # noqa: ANN001
    """The link pasted from a respondent's e-mail: in angle brackets with a full stop, and
    with the page number before the token as the address bar shows it."""
    from instruments.store.rights import deletion_log
    from tests.ui.survey_bot import open_tab

    token = invite()
    at = open_app(token)
    at.radio(key="w:consent:consent").set_value(1)
    click(at, "Start the survey")
    assert stored(store, token) == {"consent": 1}

    admin = _admin_login(STUDY)
    open_tab(admin, "Privacy & preview")
    admin.text_input(key="admin.delete_token").input(
        f"<http://localhost:8501/?p=2&t={token}>.")
    admin.checkbox(key="admin.delete_sure").check()
    click(admin, "Delete this response")
    assert not admin.error, [e.value for e in admin.error]
    assert any("1 answer deleted" in s.value for s in admin.success)
    assert store.state(token).status == "withdrawn" and stored(store, token) == {}
    assert deletion_log(store, STUDY)["reason"].tolist() == ["request"]


def test_the_csv_for_excel_says_it_is_utf8(store, invite) -> None:  # noqa: ANN001
    """The export offered "for Excel" starts with a UTF-8 byte-order mark (Excel reads a
    UTF-8 file without one as the system's code page: "MÃ¼ller", emoji as mojibake); the
    verbatim CSV for R, SPSS and pandas stays without it."""
    from instruments.ui.admin import EXPORTS, export_bytes

    token = invite(partner="Müller & Söhne")
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=12)
    plan["comment"]["comment"] = "Sehr gut 😀 مرحبا"
    walk_apptest(at, store, plan)
    by_label = {label: (fmt, suffix, safe) for label, fmt, suffix, _, safe in EXPORTS}
    fmt, suffix, safe = by_label["CSV for Excel (formulas neutralised)"]
    excel = export_bytes(store, STUDY, fmt, suffix, safe)
    assert excel.startswith(b"\xef\xbb\xbf")
    assert "Sehr gut 😀 مرحبا" in excel.decode("utf-8-sig")
    fmt, suffix, safe = by_label["CSV"]
    assert not export_bytes(store, STUDY, fmt, suffix, safe).startswith(b"\xef\xbb\xbf")


def test_no_survey_field_limits_its_length_in_the_browser(store, invite) -> None:  # noqa: ANN001
    """No text or decimal field of any page has a browser-side character limit (Streamlit's
    ``max_chars``): the browser drops a paste that would pass it as a whole, without a
    word.  Lengths and numbers are checked with a written message instead."""
    token = invite()
    at = open_app(token)
    plan = plan_answers(store, seed=store.state(token).seed, rng_seed=21)
    limited: list[str] = []
    n_fields = 0
    for page in plan:
        fields = [w for w in (*at.text_input, *at.text_area)
                  if w.key and w.key.startswith(f"w:{page}:")]  # fmt: skip
        n_fields += len(fields)
        limited += [w.key for w in fields if w.proto.max_chars]
        walk_apptest(at, store, {page: plan[page]}, stop_after=1)
    assert store.state(token).status == "completed"
    assert n_fields >= 2  # the decimal questions and the comment
    assert not limited, limited


def _free_text_field(required: bool, lang: str) -> None:
    from instruments.ui.fields import FieldView
    from instruments.ui.respondent import _render_field

    view = FieldView(id="why", kind="text", text="Why?", required=required, max_length=800)
    _render_field("page", view, lang, [], False, None)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("required", [True, False])
def test_a_required_free_text_question_is_not_called_optional(required, lang) -> None:  # noqa: ANN001
    """The free-text field's help said "Optional." whatever the instrument declares."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_free_text_field, kwargs={"required": required, "lang": lang})
    at.run()
    assert not at.exception, at.exception
    (field,) = at.text_area
    optional = {"en": "Optional.", "de": "Freiwillig."}[lang]
    assert (optional in field.help) is not required, field.help
    assert "800" in field.help


def test_a_name_with_a_line_break_is_refused_before_any_mail(store) -> None:  # noqa: ANN001
    """A contact list whose cells hold line breaks (Alt+Enter in a spreadsheet) or a tab
    was imported, and sending its invitations then failed with a traceback (an e-mail
    header cannot hold a line break; the subject names the partner).  The list is now
    refused with the line and column, and so is such a partner name anywhere."""
    from analysis.errors import DataError
    from instruments.fieldwork.contacts import contacts_table
    from instruments.fieldwork.invitations import create_invitations
    from tests.ui.survey_bot import open_tab

    at = _admin_login(STUDY)
    open_tab(at, "Contacts & mail")
    csv = ("email,name,firm,partner,alliance_id,role,language\n"
           'jane@acme.example,"Jane\nDoe",Acme GmbH,"Beta\r\nRobotics",,,en\n'
           "hans@beta.example,Hans\tMüller,Beta AG,Acme GmbH,,,de\n")
    at.file_uploader[0].set_value(("contacts.csv", csv.encode(), "text/csv"))
    at.run()
    listed = "\n".join(m.value for m in at.markdown if "line " in m.value).replace("\\", "")
    # lines of the file: the first record spans lines 2-4 (two quoted line breaks)
    assert "line 2: name contains a line break" in listed, listed
    assert "line 2: partner contains a line break" in listed
    assert "line 5: name contains a control character (U+0009)" in listed
    assert not [b for b in at.button if b.label == "Import contacts"]
    assert contacts_table(store, STUDY).empty
    with pytest.raises(DataError, match="line break"):
        create_invitations(store, STUDY, 1, partner_name="Beta\nRobotics")


def test_an_erasure_while_the_store_is_being_read_does_not_wait_long(store, invite, db_url) -> None:  # noqa: ANN001
    """A reader of an older snapshot (an analysis reading the study) keeps the write-ahead
    log from being emptied: the erasure is committed at once anyway, and the log is
    emptied by the next checkpoint once the reader is done."""
    import sqlite3
    import time

    from instruments.store.engine import scrub_erased
    from instruments.store.rights import withdraw

    token = invite()
    state = store.start(token)
    plan = plan_answers(store, seed=state.seed, rng_seed=3)
    plan["comment"]["comment"] = "Lesend-9c1e " * 20
    for k, page in enumerate(plan):
        store.submit_page(token, page, plan[page], submission_key=f"s{k}")
    reader = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM answers").fetchone()  # holds its snapshot
        start = time.perf_counter()
        erased = withdraw(store, token)
        assert time.perf_counter() - start < 15
        assert erased.n_answers > 0 and stored(store, token) == {}
    finally:
        reader.close()
    assert scrub_erased(store.engine)
    assert not [p.name for p in _store_files(db_url) if b"Lesend-9c1e" in p.read_bytes()]


def test_a_partner_name_with_braces_is_shown_as_typed(store, invite) -> None:  # noqa: ANN001
    """A partner named "Acme {contact} Labs" got the study lead's contact inside its name on
    the consent page (the placeholders were filled one after the other, so the partner's
    name was searched for {contact} again)."""
    from instruments.store.rights import set_settings

    set_settings(store, STUDY, contact="lead@uni.example")
    for lang in ("en", "de"):
        token = invite(partner="Acme {contact} Labs", language=lang)
        body = texts(open_app(token)).replace("\\", "")
        assert "Acme {contact} Labs" in body, body[:600]
        assert "Acme lead@uni.example" not in body


def _prepared(at) -> dict[str, bytes]:  # noqa: ANN001
    """The export files the Exports tab holds for download (file suffix -> bytes)."""
    held = at.session_state["admin.exports"]
    return held[1] if isinstance(held, tuple) else held


def test_exports_prepared_before_a_withdrawal_are_not_offered_after_it(store, invite) -> None:  # noqa: ANN001
    """Exports prepared, then a respondent deleted on the Respondents tab: back on the
    Exports tab the files made before (with the deleted answers) were still offered for
    download.  They are discarded with a note; prepared again, they hold nothing of the
    respondent."""
    from instruments.fieldwork.invitations import invitations_table
    from tests.ui.survey_bot import open_tab

    tokens = [invite(partner=name) for name in ("Acme", "Beta")]
    for k, token in enumerate(tokens):
        state = store.start(token)
        plan = plan_answers(store, seed=state.seed, rng_seed=40 + k)
        plan["comment"]["comment"] = f"Kommentar-{k}-b7e2"
        for j, page in enumerate(plan):
            store.submit_page(token, page, plan[page], submission_key=f"s{k}{j}")

    at = _admin_login(STUDY)
    open_tab(at, "Exports")
    click(at, "Prepare exports")
    files = _prepared(at)
    assert b"Kommentar-0-b7e2" in files[".csv"]

    first = int(invitations_table(store, STUDY).query("partner_name == 'Acme'")["invitation_id"]
                .iloc[0])  # fmt: skip
    open_tab(at, "Respondents")
    at.selectbox(key="admin.action_invitation").set_value(first)
    at.checkbox(key="admin.action_sure").check()
    click(at, "Withdraw and delete this respondent's answers")
    assert stored(store, tokens[0]) == {}

    open_tab(at, "Exports")
    assert any("since the exports were prepared" in i.value for i in at.info)
    assert "admin.exports" not in at.session_state
    click(at, "Prepare exports")
    files = _prepared(at)
    for data in files.values():
        assert b"Kommentar-0-b7e2" not in data
    assert b"Kommentar-1-b7e2" in files[".csv"]


def test_an_analysis_made_before_a_withdrawal_is_not_offered_after_it(store, invite) -> None:  # noqa: ANN001
    """The Analysis tab kept the report made before a respondent withdrew (with a note) and
    offered it for download; it is now discarded once an erasure is logged."""
    from instruments.store.rights import withdraw
    from tests.ui.survey_bot import open_tab

    token = invite()
    state = store.start(token)
    store.submit_page(token, "consent", {"consent": 1}, submission_key="c")
    at = _admin_login(STUDY)
    open_tab(at, "Analysis")
    key = f"analyst.result.{STUDY}"
    # an analysis shown in this session before the withdrawal (made with no erasure logged)
    at.session_state[key] = ("<html><body><p>Report</p></body></html>",
                             {"n": 10, "n_raw": 10, "warnings": []})
    at.session_state[f"{key}.erasure"] = 0
    at.run()
    assert any("N = 10 analysed" in c.value for c in at.caption)

    withdraw(store, token, reason="withdrawn", channel="link")
    assert state.seed and stored(store, token) == {}
    at.run()
    assert not any("N = 10 analysed" in c.value for c in at.caption)
    assert any("was discarded" in i.value for i in at.info)
    assert key not in at.session_state
