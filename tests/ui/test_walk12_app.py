"""With Streamlit's AppTest: defects found on the twelfth walk.

- The consent page's "What we store" named the answers and the time spent on each page
  only.  The store also keeps when each answer was given, when the survey was opened,
  last used and finished and in which language, the contact list's entry (address, name,
  firm) and the e-mails sent to it when the invitation was mailed, and the study lead's
  notes on leaving a response out of the analysis or correcting an answer: everything a
  respondent's copy of their data (``instruments.store.access``) contains.  Instrument
  2.0.1 says so.
- Two study leads with the privacy tab open at once: each form showed the settings as
  first drawn, and a save sent every field, so the second save put back what the other
  lead had changed (a contact saved meanwhile was emptied again).  A save now sends only
  the fields this study lead changed, and the form shows what was saved elsewhere.
- A personal link copied with characters that are never part of an invitation code (a
  soft hyphen or zero-width space put in by a word processor or mail program, the full
  stop or angle bracket around it, a space where it was broken across lines) was
  refused as not valid.  They are left out now, and the address is the clean link.
"""

from __future__ import annotations

import pytest

from tests.ui.test_app import open_app, texts

#: What the consent page must say is stored, by the part of the respondent's copy it
#: covers (the copy holds everything the store keeps about one invitation).
STORED = {
    "en": {
        "answers": "your answers and when you gave them",
        "pages": "the time spent on each page",
        "about": "when you opened, last used and finished the survey, and in which language",
        "contact": "your e-mail address, name and firm from their contact list",
        "messages": "the e-mails sent to you",
        "exclusions": "leaves your answers out of the analysis",
        "corrections": "corrects an answer at your request",
    },
    "de": {
        "answers": "Ihre Antworten und wann Sie sie gegeben haben",
        "pages": "die auf jeder Seite verbrachte Zeit",
        "about": "wann Sie die Befragung geöffnet, zuletzt genutzt und abgeschlossen haben "
                 "und in welcher Sprache",
        "contact": "Ihre E-Mail-Adresse, Ihren Namen und Ihr Unternehmen aus deren Kontaktliste",
        "messages": "die an Sie gesendeten E-Mails",
        "exclusions": "Ihre Antworten von der Auswertung ausnimmt",
        "corrections": "auf Ihren Wunsch eine Antwort berichtigt",
    },
}


def _statement(shown: str, lang: str) -> str:
    start = "What we store:" if lang == "en" else "Was wir speichern:"
    line = next((x for x in shown.splitlines() if x.startswith(start)), None)
    assert line is not None, shown
    return line


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_consent_page_says_everything_the_store_keeps(store, invite, lang) -> None:  # noqa: ANN001
    """The consent page of a link in ``lang`` names each part of the respondent's copy."""
    at = open_app(invite(language=lang))
    statement = _statement(texts(at).replace("\\", ""), lang)
    missing = [part for part, words in STORED[lang].items() if words not in statement]
    assert missing == [], statement


def test_the_statement_covers_every_part_of_the_respondents_copy(store, invite) -> None:  # noqa: ANN001
    """A part added to the respondent's copy must be named on the consent page too."""
    from instruments.store.access import respondent_copy

    copy = respondent_copy(store, invite())
    bookkeeping = {"format", "made_at"}
    assert set(copy) - bookkeeping == set(STORED["en"]) == set(STORED["de"])


def _lead():  # noqa: ANN202
    from tests.ui.test_walk11_app import _logged_in

    return _logged_in()


def test_two_study_leads_saving_privacy_settings_keep_each_others_changes(store) -> None:  # noqa: ANN001
    """Two study leads have the privacy tab open.  The second saves a contact; the first,
    whose form still shows the contact empty, then saves a retention period.  The
    contact stayed: the first lead's save overwrote it with the empty field it showed."""
    from instruments.store.rights import get_settings
    from tests.ui.survey_bot import click, open_tab

    first, second = _lead(), _lead()
    open_tab(first, "Privacy & preview")
    open_tab(second, "Privacy & preview")
    second.text_input(key="admin.p_contact").input("lead@uni.example")
    click(second, "Save privacy settings")
    assert get_settings(store, "uitest").contact == "lead@uni.example"
    first.text_input(key="admin.p_retention").input("10 years after the study")
    click(first, "Save privacy settings")
    saved = get_settings(store, "uitest")
    assert (saved.contact, saved.retention) == ("lead@uni.example", "10 years after the study")
    # the first lead's form now shows the other lead's contact
    assert first.text_input(key="admin.p_contact").value == "lead@uni.example"
    # after another tab, the form shows the saved settings again
    open_tab(first, "Exports")
    open_tab(first, "Privacy & preview")
    assert first.text_input(key="admin.p_retention").value == "10 years after the study"
    # a save that changes nothing says so, and keeps everything
    click(second, "Save privacy settings")
    assert get_settings(store, "uitest") == saved


@pytest.mark.parametrize("mangle", [
    lambda tok: tok[:20] + "\u00ad" + tok[20:],  # a soft hyphen from a word processor
    lambda tok: tok[:20] + "\u200b" + tok[20:],  # a zero-width space from a mail client
    lambda tok: tok + ".",  # the full stop of the sentence the link ended
    lambda tok: f"<{tok}>",  # the angle brackets around a link in a plain-text mail
    lambda tok: tok[:30] + " " + tok[30:],  # a link broken across two lines
], ids=["soft-hyphen", "zero-width-space", "full-stop", "angle-brackets", "line-break"])
def test_a_link_with_invisible_or_trailing_characters_opens_the_survey(
    store, invite, mangle,  # noqa: ANN001
) -> None:
    """A link copied from a document or a mail can carry characters that are never part
    of an invitation code: the page said "This invitation link is not valid"."""
    from instruments.ui.texts import t

    token = invite()
    at = open_app(mangle(token))
    assert t("link_problem_title", "en") not in [e.value for e in at.header]
    assert any(r.key == "w:consent:consent" for r in at.radio)
    # the address is the clean link (a refresh or a bookmark opens it as well)
    shown = at.query_params["t"]
    assert (shown if isinstance(shown, str) else shown[-1]) == token
