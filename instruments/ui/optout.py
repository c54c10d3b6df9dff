"""The page behind the opt-out link of an invitation e-mail (``/?optout=TOKEN``).

Opening the link stops all further mail of the study to that address; it does not
withdraw any answers and the survey link keeps working.  The page runs only when a
browser opens it (Streamlit pages run over a websocket), so mail scanners that merely
fetch links do not opt anybody out.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from analysis.errors import AllianceSurveyError
from instruments.ui.links import link_value
from instruments.ui.rating import page_language
from instruments.ui.texts import t

TEXTS = {
    "title": {"en": "No more e-mails", "de": "Keine weiteren E-Mails"},
    "done": {
        "en": "You will receive no further e-mails about this survey.",
        "de": "Sie erhalten keine weiteren E-Mails zu dieser Befragung.",
    },
    # only while the invitation is open: not after a withdrawal, the end or the expiry
    "link_open": {
        "en": "If you change your mind, the link in your invitation still opens the "
              "questionnaire.",
        "de": "Falls Sie es sich anders überlegen, öffnet der Link in Ihrer Einladung "
              "weiterhin den Fragebogen.",
    },
    "already": {
        "en": "You had already asked for no further e-mails; nothing else to do.",
        "de": "Sie hatten bereits um keine weiteren E-Mails gebeten; es ist nichts weiter zu tun.",
    },
    # a link that opts nobody out (not valid, or two different codes): the message of
    # the refusal is English, the contact's language unknown; this says it in German
    # the database cannot be reached: nothing was recorded, and the link is not at fault
    "unavailable": {
        "en": "Your request could not be recorded just now: the survey's database cannot be "
              "reached. Nothing was changed; please open the link again in a few minutes.",
        "de": "Ihre Abmeldung konnte gerade nicht gespeichert werden: Die Datenbank der "
              "Befragung ist nicht erreichbar. Es wurde nichts geändert; bitte öffnen Sie den "
              "Link in einigen Minuten erneut.",
    },
    "refused": {
        "de": "Dieser Abmeldelink kann nicht verwendet werden; es wurde nichts geändert. "
              "Bitte öffnen Sie den Link genau so, wie er in der E-Mail steht, oder schreiben "
              "Sie an das Studienteam.",
    },
}  # fmt: skip

log = logging.getLogger("alliance_survey.app")

#: Key of the container of the German part of the refusal (marked as German).
GERMAN_PART = "optout-part-de"


def _bilingual(show: Any, english: str, german: str) -> None:
    """A page for a contact whose language is not known: the title in both languages,
    ``english`` then ``german`` (each drawn by ``show``, e.g. ``st.warning``) in a part
    marked German (the page was English only, for contacts mailed in German too)."""
    st.title(f"{TEXTS['title']['en']} / {TEXTS['title']['de']}")
    show(english)
    with st.container(key=GERMAN_PART):
        show(german)
    page_language("en", t("skip_link", "en"), parts={GERMAN_PART: "de"})


def render_optout(store: Any, token: str | list[str] | None) -> None:
    """Record the opt-out of ``token`` (the link's ``optout=`` value, or all of them) and
    confirm it in the contact's language."""
    from instruments.fieldwork.mail import opt_out

    # a link copied from the mail can carry a soft hyphen, a zero-width space, the full
    # stop of the sentence or a space where it was broken across lines, as a survey link can
    values = [token] if token is None or isinstance(token, str) else list(token)
    try:
        result = opt_out(store, [link_value(v) for v in values])
    except SQLAlchemyError as exc:
        # before the refusal below: a store that cannot be reached is also an
        # AllianceSurveyError, whose message names the database's address and the
        # driver's error, and the page showed it, and told the contact in German that
        # the link could not be used
        log.error("Opt-out not recorded (%s): %s", type(exc).__name__, exc)
        _bilingual(st.warning, TEXTS["unavailable"]["en"], TEXTS["unavailable"]["de"])
        return
    except AllianceSurveyError as exc:
        _bilingual(st.error, str(exc), TEXTS["refused"]["de"])
        return
    lang = result.language if result.language in ("en", "de") else "en"
    st.title(TEXTS["title"][lang])
    message = TEXTS["already" if result.already else "done"][lang]
    if result.survey_open and not result.already:
        message += " " + TEXTS["link_open"][lang]
    st.success(message)
    # the page's language for screen readers and Streamlit's keyboard link in it
    page_language(lang, t("skip_link", lang))
