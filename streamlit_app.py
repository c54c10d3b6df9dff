"""alliance-survey web app: the respondent survey and the study lead's pages.

Run with ``streamlit run streamlit_app.py``.  The database comes from the
environment variable ``ALLIANCE_SURVEY_DB`` (default: the SQLite file
``data/alliance_survey.sqlite``), the instrument from the package.

- ``/?t=TOKEN``: the survey of one invitation;
- ``/?admin=1`` (optionally ``&study=NAME``): the study lead's pages;
- ``/?optout=TOKEN``: stop further invitation e-mails to one address.

This script only routes; pages are rendered by :mod:`instruments.ui`.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from instruments.store import DB_ENV_VAR, ResponseStore

# the tab title in both languages: it is set once, before the respondent's language is known
st.set_page_config(page_title="Alliance survey · Allianz-Befragung", page_icon="🤝",
                   layout="centered")

log = logging.getLogger("alliance_survey.app")


@st.cache_resource(show_spinner=False)
def get_store(url: str | None) -> ResponseStore:
    """One store (engine + read-only instrument) per database URL, shared by sessions.

    What the app has loaded by then lives as long as the process: it is kept out of
    later full garbage collections (:func:`instruments.store.responses.settle_heap`),
    which had stopped every page save of a burst of respondents for up to 0.8 s."""
    from instruments.store.responses import settle_heap

    store = ResponseStore(url)
    settle_heap()
    return store


def render_unavailable() -> None:
    """The one page shown for any failure of the store: both languages, no detail."""
    from instruments.ui.respondent import render_unavailable as unavailable_page

    unavailable_page()


def main() -> None:
    """Route the request; any failure below is logged and shown as the unavailable page.

    A database that is down, a read-only SQLite file or any unexpected error must never
    show a respondent a traceback with file paths or the database's host: the detail
    goes to the server log only.  (Streamlit's rerun and stop signals are not
    ``Exception`` subclasses and pass through.)
    """
    try:
        route()
    except Exception as exc:  # noqa: BLE001 - the last line of defence for respondents
        from instruments.store.engine import StoreUnavailableError

        detail = exc.detail if isinstance(exc, StoreUnavailableError) else ""
        log.error("Page failed (%s): %s %s", type(exc).__name__, exc, detail, exc_info=True)
        if st.query_params.get("admin"):
            # the study lead's route: what to check, not the respondents' notice ("open
            # your link again") under a second level-1 heading
            from instruments.ui.admin import render_unavailable_admin

            render_unavailable_admin()
        else:
            render_unavailable()


def route() -> None:
    """Route to the survey, the study-lead pages or the no-token page."""
    from instruments.ui.admin import TITLE_DRAWN, render_admin
    from instruments.ui.respondent import open_link

    TITLE_DRAWN.done = False
    params = st.query_params
    store = get_store(os.environ.get(DB_ENV_VAR))
    if params.get("admin"):
        base_url = (
            os.environ.get("ALLIANCE_SURVEY_BASE_URL")
            or (st.context.url or "").split("?")[0]
            or "http://localhost:8501"
        )
        render_admin(store, study=params.get("study"), base_url=base_url)
        return
    if params.get("optout"):
        from instruments.ui.optout import render_optout

        # every value: a link pasted twice carries two, and .get() gave only the last
        render_optout(store, params.get_all("optout"))
        return
    open_link(store, params.get_all("t"))


main()
