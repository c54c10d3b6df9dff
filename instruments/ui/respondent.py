"""The respondent's survey in Streamlit: consent, screening, one page per section, thanks.

Everything the respondent answered lives in the response store; the session
state holds only navigation (which page is on screen), the submission key and
display time of the page on screen, unsent edits of a page left with *Back* or
shown again in another language, and messages.  The language switch is a submit
button of the page's form, so what was typed on the page travels with it; the
chosen language is stored with the respondent.  The page number is kept in the
address (``&p=3``), so the browser's Back and Forward move between pages.  A refresh, a new tab or a server restart therefore resumes from
the store: :meth:`ResponseStore.start` gives the first unanswered page and the
latest answers, which are the widgets' defaults.  Ratings clicked and text typed but not
yet sent are kept by the browser tab itself (:mod:`instruments.ui.rating`) and drawn again
when the page is redrawn by a refresh (ratings also by the browser's Back and Forward).

Session-state keys all start with ``survey.`` (widget keys with ``w:``).
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from analysis.errors import ResponseError
from instruments.store.models import utcnow
from instruments.store.tokens import link_tokens
from instruments.ui.fields import (
    FieldView,
    ambiguous_decimal,
    answer_value,
    escape_md,
    is_missing,
    length_problem,
    not_a_number,
    number_problem,
    out_of_range,
    page_fields,
    partner_label,
    section_intro,
    submit_answers,
    too_long,
    widget_value,
)
from instruments.ui.links import link_value
from instruments.ui.rating import (
    CAPTION_CSS,
    CHOICE_CSS,
    chosen_code,
    draft_state,
    page_language,
    rating_row,
    scroll_to_top,
)
from instruments.ui.texts import LANGUAGE_NAMES, group_thousands, saved_note, t, tn

#: Static style rules (no user text).  Free text runs in the direction of its own script,
#: paragraph by paragraph (Arabic or Hebrew from the right, with its full stop at the
#: left end), in pages that are themselves left to right.  The rating rows style themselves
#: (:mod:`instruments.ui.rating`); on phones they are a compact matrix, the 7 circles in
#: one row numbered 1-7 with the anchors given once per scale block (the legend, shown
#: on phones only); the labels stay in the page for screen readers.  A button's label
#: wraps instead of being cut short: two buttons side by side on a phone showed
#: "Ja, löschen und bee…" beside "Meine Antworten beh…".  The survey's title above the
#: page's own heading is drawn faded, at a contrast that small text can still be read
#: with (4.5:1, as the captions of :data:`~instruments.ui.rating.CAPTION_CSS`; at 0.6 it
#: was 3.9:1).  The keyboard's place is a solid ring in the element's own text colour:
#: Streamlit drew a half-transparent red shadow around a focused button, 2.2:1 against the
#: white page beside "Zurück" / "Back" (focus indicators need 3:1, WCAG 1.4.11), and
#: nothing on the page's main region, which is a stop of the Tab key; a text field's box
#: only turned from grey to red, 1 px wide.  A primary button (white on red) has its ring
#: inside.  In the high-contrast mode of the system (forced colours) Streamlit's option
#: circles lose their fill, so the chosen answer of the consent question looked like the
#: other: the chosen circle is drawn filled in the text colour with a hole in the page's.
#: A respondent who asked the system for reduced motion still saw the progress bar slide
#: for half a second on every page: transitions are off then.
PAGE_CSS = """
<style>
button:focus-visible, summary:focus-visible, a:focus-visible,
[data-testid="stMain"]:focus-visible {
  outline: 2px solid currentColor !important; outline-offset: 2px !important;
}
div[data-testid="stTextInputRootElement"]:focus-within,
div[data-testid="stTextAreaRootElement"]:focus-within {
  outline: 2px solid currentColor !important; outline-offset: 2px !important;
}
button[kind^="primary"]:focus-visible { outline-offset: -5px !important; }
[data-testid="stMain"]:focus-visible { outline-offset: -3px !important; }
div[class*="st-key-w-"] label[data-testid="stRadioOption"] p,
div[class*="st-key-w-"] label[data-testid="stRadioOption"] span {
  word-break: normal !important; overflow-wrap: normal !important; hyphens: manual !important;
}
div[class*="st-key-w-"] label[data-testid="stWidgetLabel"] p { overflow-wrap: anywhere; }
div[class*="st-key-legend-"] { display: none; }
@media (max-width: 640px) {
  div[class*="st-key-legend-"] { display: block; }
  div[class*="st-key-w-"] { margin-bottom: -0.6rem; }
}
div[class*="st-key-w-"] label[data-testid="stWidgetLabel"] p { font-weight: 600; }
div[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
div[class*="st-key-w-"] textarea { unicode-bidi: plaintext; text-align: start; }
div[class*="st-key-note-"] div[data-testid="stMarkdownContainer"] {
  background: rgba(255, 43, 43, 0.09); border-left: 4px solid rgb(255, 43, 43);
  border-radius: 0.5rem; padding: 0.75rem 1rem;
}
div[data-testid="stButton"] button div[data-testid="stMarkdownContainer"],
div[data-testid="stFormSubmitButton"] button div[data-testid="stMarkdownContainer"],
div[data-testid="stButton"] button p, div[data-testid="stFormSubmitButton"] button p {
  white-space: normal; text-overflow: clip; overflow: visible;
}
div[class*="st-key-survey-title"] h1 {
  font-size: 0.875rem !important; font-weight: 400 !important; line-height: 1.6 !important;
  padding: 0 !important; margin: 0 !important; opacity: 0.75;
}
div[class*="st-key-survey-section"] h2 {
  font-size: 1.75rem !important; line-height: 1.2 !important;
  padding: 0.75rem 0 1rem 0 !important;
}
div[class*="st-key-survey-section"] h2:focus { outline: none; }
div[class*="st-key-survey-scroll"], div[class*="st-key-survey-lang"] {
  height: 0; overflow: hidden; margin: 0;
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition: none !important; scroll-behavior: auto !important; }
}
</style>
""" + CAPTION_CSS + CHOICE_CSS

def widget_key(page: str, item_id: str) -> str:
    """Session-state key of the widget of ``item_id`` on ``page``."""
    return f"w:{page}:{item_id}"


def _reset_for(token: str) -> None:
    """Forget the navigation state of another token opened in the same browser session."""
    ss = st.session_state
    if ss.get("survey.token") != token:
        for key in list(ss.keys()):
            if str(key).startswith(("survey.", "w:")):
                del ss[key]
        ss["survey.token"] = token


#: Session keys of the presses Streamlit reported without calling their callback.
PRESS_HANDLED = "press.handled"  # set by a callback, before the run
PRESS_RUN = "press.run_handled"  # whether a callback ran before this run
PRESS_PENDING = "press.pending"  # a press to act on at the start of the next run


def _button(button: Any, label: str, *, on_click: Any, args: tuple = (),
            kwargs: dict[str, Any] | None = None, **options: Any) -> bool:
    """``button`` (``st.button`` or ``st.form_submit_button``) whose press is acted on also
    in a session that has not drawn it before.

    A browser that reconnects to a new session (the app was restarted during fieldwork,
    or the session ended while a phone slept) still shows the page it had, and sends the
    press of its button to the new session.  Streamlit knows no callback for a button
    that session has not drawn yet: it only reports the press, which was dropped without
    a word, so the respondent's first "Next" after a restart did nothing.  Such a press
    is now kept and acted on with the callback at the start of the next run
    (:func:`render_survey`), as Streamlit would have done.
    """
    kwargs = kwargs or {}

    def callback(*a: Any, **k: Any) -> None:
        st.session_state[PRESS_HANDLED] = True
        on_click(*a, **k)

    pressed = button(label, on_click=callback, args=args, kwargs=kwargs, **options)
    ss = st.session_state
    if pressed and not ss.get(PRESS_RUN) and PRESS_PENDING not in ss:
        ss[PRESS_PENDING] = (on_click, args, kwargs)
    return bool(pressed)


def _language(inst: Any, default: str) -> str:
    ss = st.session_state
    if "survey.language" not in ss or ss["survey.language"] not in inst.languages:
        ss["survey.language"] = default if default in inst.languages else inst.languages[0]
    return ss["survey.language"]


def _notice_page(title: str, body: str, *, kind: str = "info") -> None:
    st.header(title)
    getattr(st, kind)(body)


def _survey_title(title: str) -> None:
    """The survey's title, the page's first heading for screen readers (drawn small, as a
    caption: the section's or notice's title under it is the one to read).  The pages'
    first heading used to be the section's title at level 3, with no level 1 or 2."""
    with st.container(key="survey-title"):
        st.title(escape_md(title), anchor=False)


def _language_switch(store: Any, token: str, lang: str, *, remember: bool = True) -> None:
    """The head of a page without questions (the thank-you page, a withdrawal, a link that
    can no longer be answered) as on the pages of questions: the survey's title, and the
    language switch at the top right.  A respondent who had switched language on the
    questionnaire, or whose invitation was sent in the other language, was left on these
    pages in a language they may not read.  With ``remember`` the choice is stored with
    the respondent, so that the link opened again shows the page in it (not after a
    withdrawal: nothing more is written then)."""
    inst = store.instrument
    head, switch = st.columns([3, 2], vertical_alignment="center")
    with head:
        _survey_title(inst.title.get(lang) or inst.title[inst.languages[0]])
    others = [code for code in inst.languages if code != lang]
    with switch, st.container(horizontal=True, horizontal_alignment="right"):
        for code in others:
            _button(st.button, LANGUAGE_NAMES.get(code, code), type="tertiary",
                    key=f"survey.switch.{code}", on_click=_on_switch,
                    args=(store, token, code, remember))  # fmt: skip


def _on_switch(store: Any, token: str, code: str, remember: bool) -> None:
    """Show the page without questions in the language ``code`` (see _language_switch)."""
    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.rights import set_language

    st.session_state["survey.language"] = code
    if not remember:
        return
    try:
        set_language(store, token, code)
    except (ResponseError, SQLAlchemyError):
        pass  # shown in the new language all the same; the store keeps the previous one


def render_no_token(store: Any) -> None:
    """The page for a visit without ``?t=TOKEN``: the survey's title, then the notice in
    English and in German (the German part marked as German)."""
    _bilingual_notice(store, "no_token_title", "no_token", kind="info")


def _bilingual_notice(store: Any, title: str, text: str, *, kind: str) -> None:
    """A page for a visit whose respondent is unknown (no link, two links): the survey's
    title as its first heading, the notice in English, then in German in a part marked as
    German for screen readers.  These pages had no first-level heading, and their German
    text was read out with English pronunciation (the page is marked English)."""
    inst = store.instrument
    st.markdown(PAGE_CSS, unsafe_allow_html=True)  # fixed CSS only, no user text
    _survey_title(" · ".join(dict.fromkeys(inst.title[c] for c in inst.languages)))
    _notice_page(t(title, "en"), t(text, "en"), kind=kind)
    with st.container(key=f"{GERMAN_PART}-notice"):
        st.subheader(t(title, "de"), anchor=False)
        getattr(st, kind)(t(text, "de"))
    _mark_page("en")


def render_unavailable() -> None:
    """The one page shown for any failure of the app (:func:`streamlit_app.main`): in
    English, then in German in a part marked German for screen readers (it was read out
    with English pronunciation), no detail."""
    import contextlib

    st.title(t("unavailable_title", "en"), anchor=False)
    st.warning(t("unavailable", "en"))
    with st.container(key=f"{GERMAN_PART}-failure"):
        st.subheader(t("unavailable_title", "de"), anchor=False)
        st.warning(t("unavailable", "de"))
    # the failure may have come after the page drew its own mark (a key used twice is
    # refused by Streamlit): the notice is shown all the same, unmarked
    with contextlib.suppress(Exception):
        _mark_page("en")


#: Key of the containers holding the German part of a page shown in both languages: the
#: page marks them as German (:func:`~instruments.ui.rating.page_language`'s ``parts``).
GERMAN_PART = "survey-part-de"
#: The start of the key of a container written in each language, whatever the page's
#: language (the English line under a German notice is marked English).
LANGUAGE_PARTS = {"de": GERMAN_PART, "en": "survey-part-en"}
#: The same, as the page's marking reads it: container key -> language.
PART_LANGUAGES = {key: code for code, key in LANGUAGE_PARTS.items()}


def _mark_page(lang: str) -> None:
    """Mark the page's language, and its German parts as German (see ``page_language``)."""
    with st.container(key="survey-lang"):
        page_language(lang, t("skip_link", lang),
                      parts=PART_LANGUAGES)


#: The text of each reason a link opens no survey (the store's codes, see
#: :class:`~instruments.store.tokens.InvitationClosedError`).
LINK_REASONS = {
    "unknown": "invalid_link",
    "expired": "expired_link",
    "unserved": "unserved_link",
    "withdrawn": "withdrawn_link",
    "completed": "completed_link",
}


def open_link(store: Any, values: list[str]) -> None:
    """Render the survey for the ``t=`` values of the address (usually one).

    A link pasted or forwarded twice can carry the token twice (``?t=A&t=B``).  The one
    value that is a known invitation opens the survey (and becomes the address's only
    ``t``); two different known invitations are refused, since either could be someone
    else's; none known is an invalid link.  Characters that are never part of a token
    are left out first (:func:`~instruments.ui.links.link_value`).
    """
    cleaned = [link_value(v) for v in values]
    tokens = link_tokens(cleaned)  # the first few distinct values only
    if not tokens:
        render_no_token(store)
        return
    token = tokens[0]
    if len(tokens) > 1:
        known = [v for v in tokens if _known_token(store, v)]
        if len(known) > 1:
            _bilingual_notice(store, "link_problem_title", "two_tokens", kind="error")
            return
        token = known[0] if known else tokens[-1]
    if len(values) > 1 or cleaned != values:
        st.query_params["t"] = token
    render_survey(store, token)


def _known_token(store: Any, token: str) -> bool:
    """Whether ``token`` is an invitation of the store (open or not)."""
    from instruments.store.tokens import InvitationClosedError

    try:
        store.for_token(token)
    except InvitationClosedError as exc:
        return exc.reason != "unknown"
    except ResponseError:
        return False
    return True


def _link_problem(message: str, lang: str) -> None:
    _notice_page(t("link_problem_title", lang), message, kind="error")
    st.write(t("link_problem_hint", lang))


def _settings(store: Any, token: str) -> Any:
    """The study's privacy and completion settings for the invitation ``token``; with no
    contact in them, the study lead named in the study's sender settings as the contact.

    The invitation e-mail says "Questions? Write to Dr. Lehmann <lehmann@…>", while the
    consent page, which asks respondents to write to the study lead to withdraw, said the
    contact was "not stated by the study lead yet" and named no one."""
    from dataclasses import replace

    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.rights import StudySettings, settings_for_token

    try:
        settings = settings_for_token(store, token)
    except (ResponseError, SQLAlchemyError):
        return StudySettings()
    if not settings.contact:
        lead = _mail_contact(store, token)
        if lead:
            settings = replace(settings, contact=lead)
    return settings


def _mail_contact(store: Any, token: str) -> str | None:
    """The study lead as the invitation e-mails name them ("Name <address>"), or ``None``
    when the study has no sender settings."""
    from sqlalchemy.exc import SQLAlchemyError

    from analysis.errors import AllianceSurveyError
    from instruments.fieldwork.mail import mail_settings

    try:
        mail = mail_settings(store, store.state(token).study)
    except (AllianceSurveyError, SQLAlchemyError):
        return None
    return f"{mail.lead_name} <{mail.lead_email}>" if mail.lead_email else None


def _render_thanks(store: Any, token: str, lang: str, *, again: bool = False) -> None:
    """The thank-you page; ``again`` for a completed link opened again, which says first
    that the answers cannot be changed here and whom to ask for a correction (the study's
    contact when the study lead has given one)."""
    _language_switch(store, token, lang)
    _notice_page(t("thanks_title", lang), t("thanks", lang), kind="success")
    settings = _settings(store, token)
    if again:
        st.info(escape_md(t("completed_link_contact", lang, contact=settings.contact)
                          if settings.contact else t("completed_link", lang)))  # fmt: skip
    if settings.completion_code:
        st.markdown(escape_md(t("completion_code", lang, code=settings.completion_code)))
    if settings.redirect_url:
        st.link_button(t("redirect", lang), settings.redirect_url)
    # The consent text promises withdrawal at any time: also after the last page.
    _withdraw_box(store, token, lang, "survey.withdraw_done")


def _withdraw_box(store: Any, token: str, lang: str, key: str) -> None:
    """The withdrawal button in its expander, open with a note when the last press failed;
    then the box to download a copy of one's answers (the privacy notice's right of
    access)."""
    failed = st.session_state.pop("survey.withdraw_error", False)
    with st.expander(t("withdraw_open", lang), expanded=failed):
        st.write(t("withdraw_explain", lang))
        if failed:
            st.warning(t("withdraw_failed", lang, button=t("withdraw_confirm", lang)))
        _button(st.button, t("withdraw_confirm", lang), on_click=_on_withdraw,
                args=(store, token, "withdrawn"), key=key)  # fmt: skip
    with st.expander(t("copy_open", lang)):
        st.write(t("copy_explain", lang))
        # made when pressed (on a thread of its own, without a rerun), so that a page of
        # questions costs nothing for it
        st.download_button(t("copy_button", lang), data=lambda: _copy_file(store, token, lang),
                           file_name=t("copy_file_name", lang), mime="application/json",
                           on_click="ignore", key=f"{key}.copy")  # fmt: skip


def _copy_file(store: Any, token: str, lang: str) -> bytes:
    """The respondent's copy as JSON; a short JSON note instead when the store cannot be
    read (the download runs on its own thread: nothing may raise there)."""
    import json

    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.access import copy_json, respondent_copy

    try:
        return copy_json(respondent_copy(store, token))
    except (ResponseError, SQLAlchemyError):
        return (json.dumps({"error": t("copy_failed", lang)}, ensure_ascii=False)
                + "\n").encode("utf-8")


def render_survey(store: Any, token: str) -> None:
    """Render the survey for one invitation token (the whole respondent flow).

    Parameters
    ----------
    store
        The :class:`~instruments.store.ResponseStore`.
    token
        The token from ``?t=``.
    """
    ss = st.session_state
    # a press Streamlit reported without its callback (see _button): acted on now, before
    # any widget of this run is drawn, as a callback would be
    ss[PRESS_RUN] = ss.pop(PRESS_HANDLED, False)
    pending = ss.pop(PRESS_PENDING, None)
    if pending is not None and ss.get("survey.token") == token:
        on_click, args, kwargs = pending
        on_click(*args, **kwargs)
    st.markdown(PAGE_CSS, unsafe_allow_html=True)  # fixed CSS only, no user text
    # filled by the page's decimal questions (not a "survey." key: a new token clears those)
    st.session_state["page.decimal_fields"] = []
    st.session_state["page.integer_fields"] = []
    st.session_state["page.text_fields"] = {}  # typed answers' keys: the answer sent
    st.session_state["page.questions"] = False  # set by a page of questions
    st.session_state["page.keep_drafts"] = False  # set by the unavailable notice
    st.session_state["page.progress"] = None  # set by a page with a progress bar
    st.session_state["page.focus"] = None  # set by a page drawn again to show a problem
    st.session_state["page.invalid"] = {}  # a question's key: its messages' (_problem_notes)
    st.session_state["page.described"] = {}  # a statement's key: its "not answered" note's
    _render_survey(store, token)
    # the page's language for screen readers, Streamlit's keyboard link in it, and the
    # phone keyboard of the number questions' text fields
    lang = st.session_state.get("survey.language", "en")
    with st.container(key="survey-lang"):
        page_language(lang, t("skip_link", lang),
                      decimal_fields=st.session_state.get("page.decimal_fields", []),
                      integer_fields=st.session_state.get("page.integer_fields", []),
                      text_fields=st.session_state.get("page.text_fields", {}),
                      forget_drafts=not (st.session_state.get("page.questions")
                                         or st.session_state.get("page.keep_drafts")),
                      progress=st.session_state.get("page.progress"),
                      focus=st.session_state.get("page.focus"),
                      switch={name: code for code, name in LANGUAGE_NAMES.items()
                              if code != lang},
                      help_for=t("help_for", lang),
                      parts=PART_LANGUAGES,
                      invalid=st.session_state.get("page.invalid"),
                      described=st.session_state.get("page.described"))
    if PRESS_PENDING in ss:
        # once the whole page is drawn: a rerun from the middle of it would make Streamlit
        # forget the answers of the widgets below the button
        st.rerun()


def _render_survey(store: Any, token: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    ss = st.session_state
    _reset_for(token)
    try:
        # A respondent of a wave opened on an earlier instrument version sees that version.
        store = store.for_token(token)
    except (ResponseError, SQLAlchemyError):
        pass  # an unknown token or an unserved version: start() below reports it
    inst = store.instrument
    lang = ss.get("survey.language", "en")
    if ss.get("survey.withdrawn") is not None:
        _language_switch(store, token, lang, remember=False)
        _notice_page(t("withdrawn_title", lang),
                     tn("withdrawn", lang, ss["survey.withdrawn"]), kind="success")
        _contact_note(store, token, lang)
        return
    if ss.get("survey.finished"):
        _render_thanks(store, token, lang)
        return
    if ss.get("survey.screened_out"):
        _language_switch(store, token, lang)
        _notice_page(
            t("screened_out_title", lang), inst.screening.message[lang].strip(), kind="info"
        )
        # the consent and screening answers are stored: the consent text's promise of
        # withdrawal at any time holds here too
        _withdraw_box(store, token, lang, "survey.withdraw_closed")
        return
    if ss.get("survey.closed"):  # closed while a page was open: say why in the page's language
        _closed_invitation(store, token, *ss["survey.closed"])
        return
    try:
        state = store.start(token)
    except ResponseError as exc:
        _closed_invitation(store, token, str(exc), getattr(exc, "reason", None))
        return
    except SQLAlchemyError:
        _unavailable_notice(inst, lang)
        return

    lang = _language(inst, state.language)
    if ss.get("survey.declined"):
        _language_switch(store, token, lang)
        _render_declined(lang)
        return
    if ss.get("survey.decline_confirm"):
        _language_switch(store, token, lang)
        if state.answers:
            _render_decline_confirm(store, token, len(state.answers), lang)
            return
        ss.pop("survey.decline_confirm")  # nothing stored after all: nothing to delete
        _render_declined(lang)
        return
    view = _navigate(state)
    if view < state.n_pages and not store.page(view).shown(state.answers):
        # a page the survey logic skips (reached through the address): the next shown one
        view = min(store.next_page(view, state.answers), state.current_page)
        ss["survey.view"] = view
    if view >= state.n_pages:  # pragma: no cover - start() refuses completed invitations
        _render_thanks(store, token, lang)
        return
    _render_page(store, token, state, view, lang)


def _unavailable_notice(inst: Any, lang: str) -> None:
    """The notice for a store that cannot be reached, in the session's language ``lang``
    with the other language under it, marked as written in it.

    What the tab keeps of the open page (clicks and text not yet sent) stays kept: the
    notice used to drop it, so that a phone that reloaded the page during an outage came
    back to the page without what had been typed on it, though the notice says that
    nothing is lost.  The page starts with the survey's title, as every other page."""
    st.session_state["page.keep_drafts"] = True
    _survey_title(inst.title.get(lang) or inst.title[inst.languages[0]])
    _notice_page(t("unavailable_title", lang), t("unavailable", lang), kind="warning")
    for other in (code for code in ("en", "de") if code != lang):
        with st.container(key=f"{LANGUAGE_PARTS[other]}-unavailable"):
            st.caption(t("unavailable", other))
    # a new try in this window keeps the unsent answers of the open page (its draft)
    st.button(t("try_again", lang), key="survey.try_again")


def _navigate(state: Any) -> int:
    """The page to show: the session's, unless the address names another reachable page
    (the browser's Back or Forward, or a refresh); then write it into the address."""
    ss = st.session_state
    view = ss.get("survey.view")
    param = st.query_params.get("p")
    if ss.pop("survey.stale_press", False):
        param = None  # the address of a page already left (see _on_next)
    if param is not None and param != ss.get("survey.url_page"):
        try:
            wanted = int(param) - 1
        except ValueError:
            wanted = -1
        if 0 <= wanted <= state.current_page:
            view = wanted
    if view is None or view > state.current_page:
        view = state.current_page
    ss["survey.view"] = view
    ss["survey.url_page"] = str(view + 1)
    if st.query_params.get("p") != str(view + 1):
        st.query_params["p"] = str(view + 1)
    return view


def _closed_invitation(store: Any, token: str, message: str, reason: str | None = None) -> None:
    """A link that cannot be answered: thanks for completed or screened-out ones, else why
    (``reason`` is the store's code for why, when it gave one)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        state = store.state(token)
    except (ResponseError, SQLAlchemyError):  # unknown or never started: the store's reason
        state = None
    inst = store.instrument
    lang = None
    if state is not None:
        lang = st.session_state.get("survey.language", state.language)
        lang = lang if lang in inst.languages else inst.languages[0]
        # kept for what follows in this session (a withdrawal from the thank-you page)
        st.session_state["survey.language"] = lang
    if state is not None and state.status == "completed":
        _render_thanks(store, token, lang, again=True)
        return
    if state is not None:
        # a page of a known invitation is shown in one language: the other is a click away
        _language_switch(store, token, lang, remember=state.status != "withdrawn")
    if state is not None and (state.status == "expired" or reason == "expired"):
        _link_problem(t("expired_link", lang), lang)
        if state.answers:
            st.markdown(escape_md(t("expired_kept", lang)))
        _contact_note(store, token, lang)
        _withdraw_if_stored(store, token, lang, state)
        return
    if state is not None and state.status == "screened_out":
        _notice_page(t("screened_out_title", lang), inst.screening.message[lang].strip())
        _withdraw_if_stored(store, token, lang, state)
        return
    if state is not None and state.status == "withdrawn":
        _notice_page(*_erased_notice(store, token, lang))
        _contact_note(store, token, lang)
        return
    text = LINK_REASONS.get(reason or "")
    if state is None:  # the respondent's language is unknown: the same in both languages
        text = text or "invalid_link"
        _survey_title(" · ".join(dict.fromkeys(inst.title[c] for c in inst.languages)))
        _link_problem(t(text, "en"), "en")
        with st.container(key=f"{GERMAN_PART}-link"):  # marked German (render_survey)
            st.subheader(t("link_problem_title", "de"), anchor=False)
            st.error(t(text, "de"))
            st.write(t("link_problem_hint", "de"))
        return
    _link_problem(t(text, lang) if text else message, lang)


#: The closed link's text for answers the study team erased, by the audit log's reason.
_ERASED_BY_TEAM = {"retention": "deleted_retention_link", "test": "deleted_test_link"}


def _erased_notice(store: Any, token: str, lang: str) -> tuple[str, str]:
    """Title and text of the page of a link whose answers were erased: "you withdrew"
    only when the respondent did so through the link; the study team's deletion (on the
    respondent's request, at the end of the retention period, of a test response) is
    said as such."""
    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.rights import erasure_origin

    try:
        origin = erasure_origin(store, token)
    except (ResponseError, SQLAlchemyError):
        origin = None
    if origin is None or origin[1] == "link":
        return t("withdrawn_title", lang), t("withdrawn_link", lang)
    return t("deleted_title", lang), t(_ERASED_BY_TEAM.get(origin[0], "deleted_request_link"),
                                       lang)


def _contact_note(store: Any, token: str, lang: str) -> None:
    """The study lead's contact under a notice that asks the respondent to write for a new
    link (withdrawn, expired), when the study lead has given one: the consent page's
    "write to the study lead" named it, these pages named nobody."""
    contact = _settings(store, token).contact
    if contact:
        st.markdown(escape_md(t("study_contact", lang, contact=contact)))


def _withdraw_if_stored(store: Any, token: str, lang: str, state: Any) -> None:
    """The withdrawal button on a page of a link that can no longer be answered (expired,
    screened out) when answers of the respondent are stored: the consent text promises
    withdrawal at any time through the link, not only while the survey is open."""
    if state.answers:
        _withdraw_box(store, token, lang, "survey.withdraw_closed")


def _render_declined(lang: str) -> None:
    st.header(t("declined_title", lang))
    st.info(t("declined", lang, button=t("back_to_consent", lang)))

    def back() -> None:
        st.session_state.pop("survey.declined", None)
        st.session_state["survey.view"] = 0

    _button(st.button, t("back_to_consent", lang), on_click=back)


def _render_decline_confirm(store: Any, token: str, n_answers: int, lang: str) -> None:
    """Ask before consent taken back after answering deletes the ``n_answers`` answers."""
    failed = st.session_state.pop("survey.withdraw_error", False)
    st.header(t("decline_confirm_title", lang))
    st.warning(tn("decline_confirm", lang, n_answers))
    if failed:
        st.warning(t("withdraw_failed", lang, button=t("decline_delete", lang)))

    def keep() -> None:
        st.session_state.pop("survey.decline_confirm", None)
        st.session_state["survey.view"] = 0  # the consent page, showing the stored "yes"

    with st.container(horizontal=True, wrap=False, gap="medium"):
        _button(st.button, t("decline_delete", lang), on_click=_on_withdraw,
                args=(store, token, "declined"), key="survey.decline_delete",
                width="stretch")  # fmt: skip
        _button(st.button, t("decline_keep", lang), on_click=keep, type="primary",
                key="survey.decline_keep", width="stretch")  # fmt: skip


def _page_key(page: str) -> tuple[str, Any]:
    """The submission key and display time of the page on screen (created when first shown)."""
    keys = st.session_state.setdefault("survey.keys", {})
    if page not in keys:
        keys[page] = (uuid.uuid4().hex, utcnow())
    return keys[page]


def _initial_values(page: str, views: list[FieldView], stored: dict[str, Any], lang: str,
                    consent_q: str) -> dict[str, Any]:
    """What each widget of the page starts with.

    A stored answer is the widget's default, never written into the session state: a
    value set there is pushed to the browser and replaces what the respondent has
    clicked but not yet sent.  After an app-process restart the browser reconnects to a
    new session that knows nothing of the open page, and a pushed value would undo the
    clicks made on it; a default only fills a widget the browser draws afresh.

    An unsent draft of this session (kept by the language switch and by Back) is written
    into the session state instead: the page is redrawn on purpose then, with labels in
    another language, and the browser would otherwise show the redrawn widgets empty.
    Such a widget gets no default of its own (Streamlit refuses both at once).
    """
    ss = st.session_state
    drafts = ss.get("survey.drafts", {}).get(page, {})
    initial: dict[str, Any] = {}
    for view in views:
        key = widget_key(page, view.id)
        if view.id in drafts:
            if key not in ss:
                value = widget_value(view, drafts[view.id], lang)
                ss[key] = draft_state(value) if _is_rating(view, consent_q) else value
            initial[view.id] = None
        else:
            initial[view.id] = widget_value(view, stored.get(view.id), lang)
    return initial


def _scroll_to_top(view: int) -> None:
    """Show a newly opened page from its top (once per page change)."""
    ss = st.session_state
    if ss.get("survey.shown_view") != view:
        ss["survey.shown_view"] = view
        ss["survey.visits"] = ss.get("survey.visits", 0) + 1
    with st.container(key="survey-scroll"):
        scroll_to_top(ss["survey.visits"])


def _privacy_notice(settings: Any, lang: str) -> str:
    unset = t("privacy_unset", lang)
    basis = (t(f"legal_basis_{settings.legal_basis}", lang) if settings.legal_basis else unset)
    return t(
        "privacy_notice", lang, controller=settings.controller or unset,
        contact=settings.contact or unset, purpose=settings.purpose or unset,
        legal_basis=basis, retention=settings.retention or unset,
    )  # fmt: skip


def _legend(view: FieldView, lang: str) -> str:
    codes = list(view.options)
    return t("scale_legend", lang, low=view.labels[codes[0]], high=view.labels[codes[-1]],
             n=len(codes))  # fmt: skip


def _render_page(store: Any, token: str, state: Any, view: int, lang: str) -> None:
    ss = st.session_state
    inst = store.instrument
    spec = store.page(view)
    section = inst.section(spec.id)
    views = page_fields(
        store, spec.id, seed=state.seed, lang=lang, partner=state.partner_name,
        answers=state.answers,
    )
    submission_key, shown_at = _page_key(spec.id)
    # the page's answers in the store as this draw shows them: if another tab or window
    # saves the page meanwhile, its Next must not overwrite them with this tab's blanks
    ss.setdefault("survey.seen", {})[spec.id] = {v.id: state.answers.get(v.id) for v in views}
    ss["page.questions"] = True
    initial = _initial_values(spec.id, views, state.answers, lang, inst.consent.question)
    _scroll_to_top(view)
    consent_page = spec.field(inst.consent.question) is not None
    soft = ss.get("survey.soft", {}).get(spec.id)
    # the notes under the statements left empty stay after "Answer them" (they went with
    # the prompt, and the respondent had to look for the empty statements among all)
    marked = soft or ss.get("survey.soft_marks", {}).get(spec.id)
    # the keyboard's place after the page was drawn again (see _focus): set once
    focus = ss.pop("survey.focus", None)
    if focus is not None:
        ss["page.focus"] = focus
    problems = ss.get("survey.problems", {}).get(spec.id, {})

    # Enter in a field would press the form's first button, the language switch: off.
    with st.form(f"page_{spec.id}", border=False, enter_to_submit=False):
        head, switch = st.columns([3, 2], vertical_alignment="center")
        with head:
            _survey_title(inst.title[lang])
        with switch, st.container(horizontal=True, horizontal_alignment="right"):
            for code in inst.languages:
                if code != lang:
                    _button(
                        st.form_submit_button, LANGUAGE_NAMES.get(code, code),
                        on_click=_on_language, args=(store, token, spec.id, views, code),
                        type="tertiary",
                    )  # fmt: skip
        if state.is_test:
            st.info(t("preview_banner", lang))
        number, total = _progress(store, view, state.answers)
        progress = t("progress", lang, page=number, n=total)
        ss["page.progress"] = (t("progress_label", lang), progress)  # for screen readers
        st.progress((number - 1) / total, text=progress)
        # the section's title under the survey's (no hidden Tab stop)
        with st.container(key="survey-section"):
            st.header(escape_md(section.title[lang]), anchor=False)
        if consent_page:
            settings = _settings(store, token)
            text = inst.consent_text(lang, partner=partner_label(state.partner_name),
                                     contact=settings.contact)  # fmt: skip
            with st.container(border=True):
                st.markdown(escape_md(text))
            with st.container(border=True, key="privacy-notice"):
                st.markdown(f"**{escape_md(t('privacy_title', lang))}**")
                st.markdown(escape_md(_privacy_notice(settings, lang)))
            st.caption(saved_note(lang))
        intro = section_intro(inst, spec.id, lang, state.partner_name)
        if intro:
            st.markdown(escape_md(intro))
        if any(v.required for v in views):
            # the star beside a question was never explained (screen readers say "star")
            st.caption(f"\\* {escape_md(t('required_mark', lang))}")
        if ss.get("survey.save_error") == spec.id:
            st.warning(t("save_failed", lang))
        if ss.pop("survey.elsewhere", None) == spec.id:
            button = "finish" if view == state.n_pages - 1 else ("start" if consent_page else "next")
            st.warning(t("saved_elsewhere", lang, next=t(button, lang)))
        if problems:
            st.error(t("page_problems", lang))
            for message in problems.get("<page>", []):
                st.error(message)

        block = None
        for field_view in views:
            if field_view.matrix and field_view.block != block and field_view.options:
                block = field_view.block
                with st.container(key=f"legend-{block}"):
                    st.caption(escape_md(_legend(field_view, lang)))
            _render_field(spec.id, field_view, lang, problems.get(field_view.id, []),
                          _is_rating(field_view, inst.consent.question),
                          initial[field_view.id],
                          widget_value(field_view, state.answers.get(field_view.id), lang))
            if field_view.kind in ("integer", "number", "text"):
                # the tab keeps what is typed until it is sent (page_language)
                ss["page.text_fields"][widget_key(spec.id, field_view.id)] = widget_value(
                    field_view, state.answers.get(field_view.id), lang)
            if marked and field_view.request and is_missing(
                chosen_code(ss.get(widget_key(spec.id, field_view.id)))
            ):
                # the statement's description for screen readers (page_language's
                # ``described``): the note was only read out when reached line by line
                key = widget_key(spec.id, field_view.id)
                with st.container(key=f"softnote-{key}"):
                    st.caption(f"⚠ {t('not_answered', lang)}")
                ss["page.described"][key] = f"softnote-{key}"
        args = (store, token, spec.id, submission_key, shown_at, views, lang)
        last = view == state.n_pages - 1
        if soft:
            # counted again as the page is drawn: statements answered after the prompt and
            # sent with a switch of language were still counted ("16 statements" with 15
            # left); with none left, the page's own buttons come back
            soft = sum(1 for v in views if v.request and is_missing(
                chosen_code(ss.get(widget_key(spec.id, v.id)))))
            if not soft:
                ss.get("survey.soft", {}).pop(spec.id, None)
        if soft:
            with st.container(key="soft-prompt"):
                st.warning(tn("soft_prompt", lang, soft))
            with st.container(horizontal=True, wrap=False, gap="medium", key="soft-buttons"):
                _button(st.form_submit_button, t("soft_answer", lang),
                        on_click=_on_answer_more, args=(spec.id, views),
                        width="stretch")  # fmt: skip
                _button(
                    st.form_submit_button, t("soft_continue", lang), type="primary",
                    on_click=_on_next, args=args, kwargs={"force": True}, width="stretch",
                )  # fmt: skip
        else:
            # One row, also on phones: Back on the left, Next on the right.
            with st.container(horizontal=True, wrap=False, gap="medium"):
                if view > 0:
                    _button(
                        st.form_submit_button, t("back", lang), on_click=_on_back,
                        args=(spec.id, store.previous_page(view, state.answers), views),
                        width="stretch",
                    )  # fmt: skip
                _button(
                    st.form_submit_button,
                    t("finish" if last else ("start" if consent_page else "next"), lang),
                    type="primary", on_click=_on_next, args=args, width="stretch",
                )  # fmt: skip
    if state.current_page > 0:
        _withdraw_box(store, token, lang, "survey.withdraw")


def _progress(store: Any, view: int, answers: dict[str, Any]) -> tuple[int, int]:
    """The page ``view`` as the progress bar counts it: its number and the number of
    pages, leaving out the pages the survey logic skips for this respondent.

    The pages skipped were counted: a respondent whose alliance does not aim at
    sustainability went from "Page 9 of 12" to "Page 11 of 12" and finished on "Page 12
    of 12" having seen eleven, wondering about the page missed.  A page is left out once the
    answers it depends on are given (or their pages passed, left empty), so that the
    count does not grow again later and the bar does not go back."""
    asked_on = {f.id: spec.index for spec in store.pages for f in spec.fields}

    def skipped(spec: Any) -> bool:
        if spec.index == view or spec.shown(answers):
            return False
        return all(not is_missing(answers.get(name)) or asked_on.get(name, view) < view
                   for name in spec.condition.names)  # fmt: skip

    counted = [spec.index for spec in store.pages if not skipped(spec)]
    return counted.index(view) + 1, len(counted)


def _is_rating(view: FieldView, consent_q: str) -> bool:
    """Whether ``view`` is drawn as a rating row (:mod:`instruments.ui.rating`): every
    choice question but the consent ``consent_q`` (Streamlit's own radio, as the consent
    page has always shown it); a rating-scale question of a block in one line, any other
    as a list of options."""
    return view.kind in ("coded", "boolean") and view.id != consent_q


def _label(view: FieldView, lang: str, markdown: bool = True) -> str:
    """The question's label: Markdown-escaped for Streamlit's widgets, or plain text for
    the rating row (which puts it in the page as text)."""
    esc = escape_md if markdown else str
    text = esc(view.text)
    notes = []
    if view.unit:
        notes.append(esc(t("unit", lang, unit=view.unit)))
    if view.kind in ("integer", "number") and view.min is not None and view.max is not None:
        notes.append(esc(t("range_hint", lang, min=f"{view.min:g}", max=f"{view.max:g}")))
    if notes:
        text += f" ({', '.join(notes)})"
    if view.required:
        # a no-break space: the star never wraps onto a line of its own on a phone
        text += "\u00a0\\*" if markdown else "\u00a0*"
    return text


def _render_field(
    page: str, view: FieldView, lang: str, problems: list[str], row: bool, initial: Any,
    sent: Any = None,
) -> None:
    """Draw one question; ``initial`` is what its widget starts with, ``sent`` the answer
    stored (a rating row keeps a click for a refresh against it)."""
    key = widget_key(page, view.id)
    if row:
        rating_row(key, _label(view, lang, markdown=False), list(view.options), view.labels,
                   initial, vertical=not view.matrix, sent=sent)
        _problem_notes(key, problems)
        return
    label = _label(view, lang)
    if view.kind in ("coded", "boolean"):
        labels = view.labels
        options = list(view.options)
        st.radio(
            label,
            options,
            index=options.index(initial) if initial in options else None,
            key=key,
            format_func=lambda code: labels.get(code, str(code)),
        )
    elif view.kind == "integer":
        # A text field read as a whole number (fields.parse_whole): Streamlit's number
        # field given a stored answer cannot be emptied (it snaps back to the number), so
        # an optional answer could not be taken back after Back.  Phones get their number
        # keypad (inputmode, set by page_language()); the range is in the label and
        # checked with a written message.
        st.text_input(label, value=initial or "", key=key)
        st.session_state.setdefault("page.integer_fields", []).append(key)
    elif view.kind == "number":
        # A text field, read with a point or a comma: a browser's number field drops the
        # comma of a German "1,5" and sends 15.  Phones get their decimal keypad
        # (inputmode, set by page_language()).  No max_chars, as for free text below: a
        # longer paste would be dropped without a word; "not a number" says what is wrong.
        st.text_input(label, value=initial or "", key=key)
        st.session_state.setdefault("page.decimal_fields", []).append(key)
    else:
        # No max_chars: the browser then drops a paste that would pass the limit as a
        # whole, without a word (and counts an emoji as two); the length is checked with
        # a written message instead (_on_next), the text kept for shortening.
        st.text_area(
            label,
            value=initial or "",
            key=key,
            help=tn("free_text_limit" if view.required else "free_text_help", lang,
                    view.max_length),
        )
        if view.max_length is not None:
            # the limit under the field, not only behind its "?" (seen when pointed at, on
            # a phone when tapped): a 10,000-character paste learnt of it only after Next
            with st.container(key=f"limit-{key}"):
                st.caption(escape_md(t(
                    "free_text_limit_one" if view.max_length == 1 else "free_text_limit",
                    lang, n=group_thousands(view.max_length, lang))))
    _problem_notes(key, problems)


def _problem_notes(key: str, problems: list[str]) -> None:
    """The messages about the answer of the widget ``key``, in a container that the page
    names as the widget's description (``page_language``'s ``invalid``): the keyboard was
    put on the question, but a screen reader said only the question, not what is wrong."""
    if not problems:
        return
    note = f"note-{key}"
    with st.container(key=note):
        # Not st.error: each of its boxes is an alert (role="alert"), so a screen reader
        # read every question's message on top of the page's summary, while the keyboard
        # was already on the first question, which its message describes.  Drawn as an
        # error box by PAGE_CSS (div.st-key-note-...).
        for message in problems:
            st.markdown(message)
    st.session_state.setdefault("page.invalid", {})[key] = note


def _current_answers(page: str, views: list[FieldView]) -> dict[str, Any]:
    """The page's answers as its fields hold them, read in the language they were typed in
    (the session's, before a switch of language changes it)."""
    ss = st.session_state
    lang = ss.get("survey.language")
    return {v.id: answer_value(v, chosen_code(ss.get(widget_key(page, v.id))), lang)
            for v in views}  # fmt: skip


def _forget_widgets(page: str, views: list[FieldView]) -> None:
    ss = st.session_state
    for v in views:
        ss.pop(widget_key(page, v.id), None)


def _on_language(store: Any, token: str, page: str, views: list[FieldView], code: str) -> None:
    """Show the page in another language with everything typed on it (and remember it)."""
    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.rights import set_language

    ss = st.session_state
    if ss.get("survey.language") == code:
        # the second click of a double click, run once the first had switched: the page's
        # fields were already put aside as its draft, and reading them again found them
        # empty, so the numbers and text typed on the page were lost
        return
    _keep_ambiguous(page, views, ss.get("survey.language"))
    ss.setdefault("survey.drafts", {})[page] = _current_answers(page, views)
    _forget_widgets(page, views)
    ss["survey.language"] = code
    ss.pop("survey.problems", None)  # messages were worded in the other language
    try:
        set_language(store, token, code)
    except (ResponseError, SQLAlchemyError):
        pass  # the page is shown in the new language; the store keeps the previous one


def _keep_ambiguous(page: str, views: list[FieldView], lang: str | None) -> None:
    """Remember the decimals typed on ``page`` in ``lang`` that may be grouped or not
    ("1,000" on the English page), before the page is switched to another language.

    Shown on the German page, "1,000" reads as 1,0 there, and was stored as 1.0 without
    a word, though it had been asked again on the English page; it stays a question
    (:func:`_ambiguous_typed`) until the respondent types it otherwise."""
    ss = st.session_state
    kept = ss.setdefault("survey.ambiguous", {}).setdefault(page, {})
    for v in views:
        typed = ss.get(widget_key(page, v.id))
        if v.kind != "number" or not isinstance(typed, str):
            continue
        text = "".join(typed.split())
        if v.id in kept and kept[v.id][0] == text:
            continue  # typed in an earlier language of the page, unchanged since
        if ambiguous_decimal(text, lang):
            kept[v.id] = (text, lang)
        else:
            kept.pop(v.id, None)


def _ambiguous_typed(page: str, views: list[FieldView]) -> dict[str, tuple[str, str]]:
    """The page's decimals still as they were typed in another language of the page,
    where they could be read two ways (see :func:`_keep_ambiguous`): item id -> (text,
    language typed in).  A field typed anew since is forgotten."""
    ss = st.session_state
    kept = ss.get("survey.ambiguous", {}).get(page, {})
    found = {}
    for v in views:
        if v.id not in kept:
            continue
        typed = ss.get(widget_key(page, v.id))
        if isinstance(typed, str) and "".join(typed.split()) == kept[v.id][0]:
            found[v.id] = kept[v.id]
        else:
            kept.pop(v.id)
    return found


def _on_back(page: str, target: int, views: list[FieldView]) -> None:
    """Keep this page's unsent answers as a draft and show the previous shown page
    (``target``; pages the survey logic skipped are passed over)."""
    ss = st.session_state
    ss.setdefault("survey.drafts", {})[page] = _current_answers(page, views)
    ss.get("survey.problems", {}).pop(page, None)
    ss.get("survey.soft", {}).pop(page, None)
    ss.get("survey.soft_marks", {}).pop(page, None)
    ss.pop("survey.save_error", None)
    ss["survey.view"] = max(0, target)


def _on_answer_more(page: str, views: list[FieldView]) -> None:
    """Leave the soft prompt for the page, the keyboard at its first statement left empty;
    the notes under the statements left empty stay until the page is sent."""
    ss = st.session_state
    ss.get("survey.soft", {}).pop(page, None)
    ss.setdefault("survey.soft_marks", {})[page] = True
    empty = [v for v in views
             if v.request and is_missing(chosen_code(ss.get(widget_key(page, v.id))))]
    if empty:
        _focus(widget_key(page, empty[0].id))


def _focus(key: str) -> None:
    """Put the keyboard on the element keyed ``key`` when the page is drawn again: its
    first field, or the button of a row of buttons.  A press of the page's button that
    ended in a message (an answer out of range, the soft prompt) left the keyboard on
    the page's body, where the next Tab started again from the top of the page, far
    from the question the message was about."""
    ss = st.session_state
    ss["survey.focus_n"] = ss.get("survey.focus_n", 0) + 1
    ss["survey.focus"] = (ss["survey.focus_n"], key)


def _focus_problem(page: str, views: list[FieldView], problems: dict[str, Any]) -> None:
    """Put the keyboard on the first question of the page with a problem."""
    first = next((v for v in views if problems.get(v.id)), None)
    if first is not None:
        _focus(widget_key(page, first.id))


def _on_withdraw(store: Any, token: str, reason: str) -> None:
    """Erase every answer of this respondent and close the link."""
    from sqlalchemy.exc import SQLAlchemyError

    from instruments.store.rights import withdraw

    ss = st.session_state
    try:
        erased = withdraw(store, token, reason=reason, channel="link")
    except SQLAlchemyError:
        ss["survey.withdraw_error"] = True  # shown next to the button (see _withdraw_box)
        return
    except ResponseError:
        return  # the link closed meanwhile (e.g. in another tab): the page shows why
    for key in list(ss.keys()):
        if str(key).startswith("w:") or str(key) in ("survey.drafts", "survey.keys"):
            del ss[key]
    ss.pop("survey.finished", None)
    ss["survey.withdrawn"] = erased.n_answers


def _saved_elsewhere(store: Any, token: str, page: str, views: list[FieldView],
                     answers: dict[str, Any]) -> bool:
    """Whether ``page`` was saved in another tab or window since this tab drew it (the
    same link open twice); then it is drawn again with this tab's answers and, where this
    tab has none, the answers saved there, and a note asks to check them: sent as it
    was, the page overwrote the other tab's answers with its empty questions."""
    from sqlalchemy.exc import SQLAlchemyError

    ss = st.session_state
    seen = ss.get("survey.seen", {}).get(page)
    if seen is None:
        return False
    try:
        stored = store.state(token).answers
    except (ResponseError, SQLAlchemyError):
        return False  # the submission below reports what is wrong
    # an answer changed elsewhere that this tab would send differently (the same answer,
    # e.g. the consent given in both tabs, is no conflict)
    if all(stored.get(item) == value or stored.get(item) == answers.get(item)
           for item, value in seen.items()):  # fmt: skip
        return False
    ss.setdefault("survey.drafts", {})[page] = {
        v.id: stored.get(v.id) if is_missing(answers.get(v.id)) else answers[v.id]
        for v in views
    }  # fmt: skip
    _forget_widgets(page, views)
    ss.get("survey.soft", {}).pop(page, None)
    ss.get("survey.soft_marks", {}).pop(page, None)
    ss["survey.elsewhere"] = page
    return True


def _on_next(
    store: Any,
    token: str,
    page: str,
    submission_key: str,
    shown_at: Any,
    views: list[FieldView],
    lang: str,
    *,
    force: bool = False,
) -> None:
    """Submit the page on screen (callback of the Next button)."""
    from sqlalchemy.exc import SQLAlchemyError

    ss = st.session_state
    live = ss.get("survey.keys", {}).get(page)
    if live is None or live[0] != submission_key:
        # A second press on a page that was already sent (the second click of a double
        # click, arriving once the first had moved on): its widgets are gone, so reading
        # it would find a page left empty and ask about statements already saved.  The
        # press also carries the address the browser showed before the first one was
        # answered, which must not be read as the browser's Back button.
        ss["survey.stale_press"] = True
        return
    inst = store.instrument
    answers = _current_answers(page, views)
    problems = ss.setdefault("survey.problems", {})
    consent_q = inst.consent.question
    if consent_q in answers and answers[consent_q] is not None:
        if int(answers[consent_q]) != int(inst.consent.accept_value):
            _forget_widgets(page, views)
            try:
                stored = store.state(token).current_page > 0
            except (ResponseError, SQLAlchemyError):
                stored = True  # when in doubt, erase
            if stored:  # consent taken back after answering: delete what was given, once
                ss["survey.decline_confirm"] = True  # asked first: _render_decline_confirm
            else:
                ss["survey.declined"] = True  # nothing of this respondent is stored
            return
    ranges = {v.id: [number_problem(v, answers[v.id], lang)] for v in views
              if out_of_range(v, answers[v.id]) or not_a_number(v, answers[v.id])}  # fmt: skip
    # "1,000" typed on the English page and sent from the German one (read 1,0 there)
    ranges |= {item: [number_problem(next(v for v in views if v.id == item), text, lang,
                                     typed_in=typed_in)]
               for item, (text, typed_in) in _ambiguous_typed(page, views).items()}  # fmt: skip
    ranges |= {v.id: [length_problem(v, answers[v.id], lang)] for v in views
               if too_long(v, answers[v.id])}  # fmt: skip
    if ranges:
        problems[page] = ranges
        _focus_problem(page, views, ranges)
        return
    if _saved_elsewhere(store, token, page, views, answers):
        return
    missing = [v for v in views if v.request and is_missing(answers.get(v.id))]
    if missing and not force:
        ss.setdefault("survey.soft", {})[page] = len(missing)
        problems.pop(page, None)
        _focus("soft-buttons")  # the prompt's two buttons, right where Next was
        return
    ss.get("survey.soft", {}).pop(page, None)
    ss.get("survey.soft_marks", {}).pop(page, None)
    outcome = submit_answers(
        store, token, page, answers, submission_key=submission_key, shown_at=shown_at,
        views=views, lang=lang,
    )  # fmt: skip
    if outcome.status == "invalid":
        problems[page] = outcome.problems
        ss.pop("survey.save_error", None)
        _focus_problem(page, views, outcome.problems)
        return
    if outcome.status == "unavailable":
        ss["survey.save_error"] = page
        # kept as a draft: if the database is still away when the page is drawn again,
        # the unavailable notice replaces the page and its widgets are forgotten
        ss.setdefault("survey.drafts", {})[page] = answers
        return
    if outcome.status == "closed":
        ss["survey.closed"] = (outcome.message, outcome.reason)
        return
    problems.pop(page, None)
    ss.pop("survey.save_error", None)
    ss.get("survey.drafts", {}).pop(page, None)
    ss.get("survey.ambiguous", {}).pop(page, None)
    ss.get("survey.keys", {}).pop(page, None)
    screening_q = inst.screening.question
    if screening_q in answers and inst.screening.screened_out(answers[screening_q]):
        try:
            store.screen_out(token)
        except (ResponseError, SQLAlchemyError):
            ss["survey.save_error"] = page
            return
        ss["survey.screened_out"] = True
        return
    if outcome.completed:
        ss["survey.finished"] = True
        return
    ss["survey.view"] = outcome.next_page
    # The next page is prefilled from the store (answers given earlier, e.g. after Back).
    _forget_widgets(page, views)
