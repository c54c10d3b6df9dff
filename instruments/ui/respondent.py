"""The respondent's survey in Streamlit: consent, screening, one page per section, thanks.

Everything the respondent answered lives in the response store; the session
state holds only navigation (which page is on screen), the submission key and
display time of the page on screen, unsent edits of a page left with *Back*,
and messages.  A refresh, a new tab or a server restart therefore resumes from
the store: :meth:`ResponseStore.start` gives the first unanswered page and the
latest answers, which prefill the widgets.

Session-state keys all start with ``survey.`` (widget keys with ``w:``).
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from analysis.errors import ResponseError
from instruments.store.models import utcnow
from instruments.ui.fields import (
    FieldView,
    answer_value,
    escape_md,
    page_fields,
    partner_label,
    section_intro,
    submit_answers,
    widget_value,
)
from instruments.ui.texts import LANGUAGE_NAMES, t

#: Static style rules (no user text): on wider screens a rating row is one line of
#: equal columns, each label centred under its circle (a labelled scale, not a
#: wrapped list); on narrow screens the 7-point rows are listed vertically, so every
#: anchor label stays readable at 390 px.
PAGE_CSS = """
<style>
@media (min-width: 641px) {
  div[class*="st-key-w-"] div[role="radiogroup"][aria-orientation="horizontal"] {
    display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
    gap: 0.25rem; width: 100%;
  }
  div[class*="st-key-w-"] div[role="radiogroup"][aria-orientation="horizontal"] label {
    display: flex !important; flex-direction: column !important; align-items: center !important;
    text-align: center; margin: 0 !important; padding: 0.2rem 0.1rem; border-radius: 0.4rem;
    gap: 0.2rem;
  }
  div[class*="st-key-w-"] div[role="radiogroup"][aria-orientation="horizontal"] label:hover {
    background: rgba(128, 128, 128, 0.08);
  }
  div[class*="st-key-w-"] div[role="radiogroup"][aria-orientation="horizontal"] label > div {
    margin: 0 !important; padding: 0 !important;
  }
  div[class*="st-key-w-"] div[role="radiogroup"][aria-orientation="horizontal"] label p {
    font-size: 0.85rem; line-height: 1.2;
  }
}
@media (max-width: 640px) {
  div[class*="st-key-w-"] div[role="radiogroup"] {
    flex-direction: column; align-items: flex-start; gap: 0.15rem;
  }
}
div[class*="st-key-w-"] label[data-testid="stWidgetLabel"] p { font-weight: 600; }
div[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
</style>
"""


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


def _language(inst: Any, default: str) -> str:
    ss = st.session_state
    if "survey.language" not in ss or ss["survey.language"] not in inst.languages:
        ss["survey.language"] = default if default in inst.languages else inst.languages[0]
    return ss["survey.language"]


def _language_switch(inst: Any) -> str:
    """The English/German switch; returns the chosen language."""
    ss = st.session_state
    current = ss["survey.language"]
    if ss.get("survey.lang_widget") not in inst.languages:
        ss["survey.lang_widget"] = current
    choice = st.radio(
        t("language", current),
        list(inst.languages),
        key="survey.lang_widget",
        horizontal=True,
        format_func=lambda code: LANGUAGE_NAMES.get(code, code),
        label_visibility="collapsed",
    )
    ss["survey.language"] = choice
    return choice


def _notice_page(title: str, body: str, *, kind: str = "info") -> None:
    st.header(title)
    getattr(st, kind)(body)


def render_no_token(lang: str = "en") -> None:
    """The page for a visit without ``?t=TOKEN``."""
    _notice_page(t("no_token_title", lang), t("no_token", lang))
    st.caption(t("no_token", "de" if lang == "en" else "en"))


def _link_problem(message: str, lang: str) -> None:
    _notice_page(t("link_problem_title", lang), message, kind="error")
    st.write(t("link_problem_hint", lang))


def render_survey(store: Any, token: str) -> None:
    """Render the survey for one invitation token (the whole respondent flow).

    Parameters
    ----------
    store
        The :class:`~instruments.store.ResponseStore`.
    token
        The token from ``?t=``.
    """
    from sqlalchemy.exc import SQLAlchemyError

    st.markdown(PAGE_CSS, unsafe_allow_html=True)  # fixed CSS only, no user text
    ss = st.session_state
    _reset_for(token)
    inst = store.instrument
    if ss.get("survey.finished"):
        lang = ss.get("survey.language", "en")
        _notice_page(t("thanks_title", lang), t("thanks", lang), kind="success")
        return
    if ss.get("survey.screened_out"):
        lang = ss.get("survey.language", "en")
        _notice_page(
            t("screened_out_title", lang), inst.screening.message[lang].strip(), kind="info"
        )
        return
    if ss.get("survey.closed"):
        _link_problem(ss["survey.closed"], ss.get("survey.language", "en"))
        return
    try:
        state = store.start(token)
    except ResponseError as exc:
        _closed_invitation(store, token, str(exc))
        return
    except SQLAlchemyError:
        _notice_page(t("unavailable_title", "en"), t("unavailable", "en"), kind="warning")
        st.caption(t("unavailable", "de"))
        return

    _language(inst, state.language)
    head, switch = st.columns([3, 2], vertical_alignment="center")
    with switch:
        lang = _language_switch(inst)
    with head:
        st.caption(escape_md(inst.title[lang]))

    if ss.get("survey.declined"):
        _render_declined(lang)
        return

    view = ss.get("survey.view")
    if view is None or view > state.current_page:
        view = state.current_page
        ss["survey.view"] = view
    if view >= state.n_pages:  # pragma: no cover - start() refuses completed invitations
        _notice_page(t("thanks_title", lang), t("thanks", lang), kind="success")
        return
    _render_page(store, token, state, view, lang)


def _closed_invitation(store: Any, token: str, message: str) -> None:
    """A link that cannot be answered: thanks for completed or screened-out ones, else why."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        state = store.state(token)
    except (ResponseError, SQLAlchemyError):  # unknown or never started: the store's reason
        state = None
    inst = store.instrument
    if state is not None and state.status == "completed":
        lang = st.session_state.get("survey.language", state.language)
        _notice_page(t("thanks_title", lang), t("thanks", lang), kind="success")
        st.caption(message)
        return
    if state is not None and state.status == "screened_out":
        lang = state.language if state.language in inst.languages else inst.languages[0]
        _notice_page(t("screened_out_title", lang), inst.screening.message[lang].strip())
        return
    if state is None:  # the respondent's language is unknown: add the German notice
        _link_problem(message, "en")
        st.caption(f"{t('link_problem_title', 'de')}. {t('link_problem_hint', 'de')}")
        return
    _link_problem(message, state.language)


def _render_declined(lang: str) -> None:
    st.header(t("declined_title", lang))
    st.info(t("declined", lang))

    def back() -> None:
        st.session_state.pop("survey.declined", None)
        st.session_state["survey.view"] = 0

    st.button(t("back_to_consent", lang), on_click=back)


def _page_key(page: str) -> tuple[str, Any]:
    """The submission key and display time of the page on screen (created when first shown)."""
    keys = st.session_state.setdefault("survey.keys", {})
    if page not in keys:
        keys[page] = (uuid.uuid4().hex, utcnow())
    return keys[page]


def _prefill(page: str, views: list[FieldView], stored: dict[str, Any]) -> None:
    ss = st.session_state
    drafts = ss.get("survey.drafts", {}).get(page, {})
    for view in views:
        key = widget_key(page, view.id)
        if key not in ss:
            ss[key] = widget_value(view, drafts.get(view.id, stored.get(view.id)))


def _render_page(store: Any, token: str, state: Any, view: int, lang: str) -> None:
    ss = st.session_state
    inst = store.instrument
    spec = store.page(view)
    section = inst.section(spec.id)
    views = page_fields(
        store, spec.id, seed=state.seed, lang=lang, partner=state.partner_name
    )
    submission_key, shown_at = _page_key(spec.id)
    _prefill(spec.id, views, state.answers)

    st.progress(view / state.n_pages, text=t("progress", lang, page=view + 1, n=state.n_pages))
    st.subheader(escape_md(section.title[lang]))
    consent_page = spec.field(inst.consent.question) is not None
    if consent_page:
        text = inst.consent_text(lang, partner=partner_label(state.partner_name))
        with st.container(border=True):
            st.markdown(escape_md(text))
        st.caption(t("saved_note", lang))
    intro = section_intro(inst, spec.id, lang, state.partner_name)
    if intro:
        st.markdown(escape_md(intro))

    problems = ss.get("survey.problems", {}).get(spec.id, {})
    if ss.get("survey.save_error") == spec.id:
        st.warning(t("save_failed", lang))
    if problems:
        st.error(t("page_problems", lang))
        for message in problems.get("<page>", []):
            st.error(message)

    with st.form(f"page_{spec.id}", border=False):
        for field_view in views:
            _render_field(spec.id, field_view, lang, problems.get(field_view.id, []))
        args = (store, token, spec.id, submission_key, shown_at, views, lang)
        last = view == state.n_pages - 1
        # One row, also on phones: Back on the left, Next on the right.
        with st.container(horizontal=True, wrap=False, gap="medium"):
            if view > 0:
                st.form_submit_button(
                    t("back", lang), on_click=_on_back, args=(spec.id, view, views),
                    width="stretch",
                )  # fmt: skip
            st.form_submit_button(
                t("finish" if last else ("start" if consent_page else "next"), lang),
                type="primary", on_click=_on_next, args=args, width="stretch",
            )  # fmt: skip


def _label(view: FieldView, lang: str) -> str:
    text = escape_md(view.text)
    if view.unit:
        text += f" ({escape_md(t('unit', lang, unit=view.unit))})"
    if view.required:
        text += " \\*"
    return text


def _render_field(page: str, view: FieldView, lang: str, problems: list[str]) -> None:
    key = widget_key(page, view.id)
    label = _label(view, lang)
    if view.kind in ("coded", "boolean"):
        labels = view.labels
        st.radio(
            label,
            list(view.options),
            index=None,
            key=key,
            horizontal=view.matrix,
            format_func=lambda code: labels.get(code, str(code)),
        )
    elif view.kind == "integer":
        st.number_input(
            label,
            min_value=int(view.min) if view.min is not None else None,
            max_value=int(view.max) if view.max is not None else None,
            step=1,
            value=None,
            key=key,
        )
    elif view.kind == "number":
        st.number_input(
            label,
            min_value=float(view.min) if view.min is not None else None,
            max_value=float(view.max) if view.max is not None else None,
            step=0.5,
            value=None,
            format="%.1f",
            key=key,
        )
    else:
        st.text_area(
            label,
            value="",
            max_chars=view.max_length,
            key=key,
            help=t("free_text_help", lang, n=view.max_length),
        )
    for message in problems:
        st.error(message)


def _current_answers(page: str, views: list[FieldView]) -> dict[str, Any]:
    ss = st.session_state
    return {v.id: answer_value(v, ss.get(widget_key(page, v.id))) for v in views}


def _forget_widgets(page: str, views: list[FieldView]) -> None:
    ss = st.session_state
    for v in views:
        ss.pop(widget_key(page, v.id), None)


def _on_back(page: str, index: int, views: list[FieldView]) -> None:
    """Keep this page's unsent answers as a draft and show the previous page."""
    ss = st.session_state
    ss.setdefault("survey.drafts", {})[page] = _current_answers(page, views)
    ss.get("survey.problems", {}).pop(page, None)
    ss.pop("survey.save_error", None)
    ss["survey.view"] = max(0, index - 1)


def _on_next(
    store: Any,
    token: str,
    page: str,
    submission_key: str,
    shown_at: Any,
    views: list[FieldView],
    lang: str,
) -> None:
    """Submit the page on screen (callback of the Next button)."""
    from sqlalchemy.exc import SQLAlchemyError

    ss = st.session_state
    inst = store.instrument
    answers = _current_answers(page, views)
    consent_q = inst.consent.question
    if consent_q in answers and answers[consent_q] is not None:
        if int(answers[consent_q]) != int(inst.consent.accept_value):
            ss["survey.declined"] = True  # nothing is stored without consent
            _forget_widgets(page, views)
            return
    outcome = submit_answers(
        store, token, page, answers, submission_key=submission_key, shown_at=shown_at,
        views=views, lang=lang,
    )  # fmt: skip
    problems = ss.setdefault("survey.problems", {})
    if outcome.status == "invalid":
        problems[page] = outcome.problems
        ss.pop("survey.save_error", None)
        return
    if outcome.status == "unavailable":
        ss["survey.save_error"] = page
        return
    if outcome.status == "closed":
        ss["survey.closed"] = outcome.message
        return
    problems.pop(page, None)
    ss.pop("survey.save_error", None)
    ss.get("survey.drafts", {}).pop(page, None)
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
