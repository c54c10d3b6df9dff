"""The study lead's pages: login, fieldwork dashboard, invitations, exports.

Reached with ``?admin=1`` (optionally ``&study=NAME``).  The password is checked
with :func:`instruments.fieldwork.auth.verify_password` (argon2, throttled); a successful
login opens a session in the store (:mod:`instruments.fieldwork.sessions`) whose token is
put into the address as ``&s=TOKEN``, so that a refresh, an app restart or another
replica behind the proxy keeps the study lead logged in.  The password itself is never
kept.
All numbers come from :mod:`instruments.fieldwork.invitations`; this module only shows them.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import streamlit as st

from analysis.errors import AllianceSurveyError
from instruments.ui.fields import escape_md
from instruments.ui.rating import CAPTION_CSS, CHOICE_CSS, page_language
from instruments.ui.texts import LANGUAGE_NAMES, t

#: The study lead's tabs, in order, and the session-state key holding the open one.
TABS = ("Fieldwork", "Respondents", "Contacts & mail", "Invitations", "Exports",
        "Privacy & preview", "Analysis")
TAB_KEY = "admin.tab"
#: Query parameter that keeps the open tab for a refresh.
TAB_PARAM = "tab"


def _error(exc: Exception | str) -> None:
    """Show an error message literally: it may quote names and links as typed, whose
    ``*`` or ``_`` Markdown would otherwise turn into emphasis."""
    st.error(escape_md(str(exc)))


#: What a table of the study lead's pages shows in a cell without a value (Streamlit's
#: own is the word "None", read as a name or a status by the study lead).
EMPTY_CELL = "–"


def show_table(data: Any, **kwargs: Any) -> None:
    """Show ``data`` as a table of the study lead's pages: no index column, a dash in the
    cells without a value, and shares (columns ``share``, ``…_share``, ``…_rate``, kept as
    proportions by the fieldwork tables) as percentages: "64 %", not "0.64"."""
    config = dict(kwargs.pop("column_config", None) or {})
    shares = [c for c in getattr(data, "columns", [])
              if str(c) == "share" or str(c).endswith(("_share", "_rate"))]  # fmt: skip
    if shares:
        data = data.assign(**{c: data[c].astype("float64") * 100 for c in shares})
        for c in shares:
            named = config.get(c)
            label = named if isinstance(named, str) else c
            config[c] = st.column_config.NumberColumn(label, format="%.0f %%")
    # times are kept in UTC and were shown without saying so: a study lead in Berlin read
    # a respondent's last activity at 08:00 as an hour before it happened
    import pandas as pd

    for c in getattr(data, "columns", []):
        if pd.api.types.is_datetime64_any_dtype(data[c]) and not isinstance(
                config.get(c), dict):  # fmt: skip
            named = config.get(c)
            label = named if isinstance(named, str) else str(c).replace("_", " ")
            config[c] = st.column_config.DatetimeColumn(f"{label} (UTC)",
                                                        format="YYYY-MM-DD HH:mm")
    st.dataframe(data, hide_index=True, placeholder=EMPTY_CELL,
                 column_config=config or None, **kwargs)  # fmt: skip


#: The language of the study lead's pages (their texts are written in it).
ADMIN_LANGUAGE = "en"


#: Whether this script run has drawn the study lead's title (per thread: each session's
#: script runs on a thread of its own): the failure page of the study lead's route then
#: adds no second level-1 heading.
TITLE_DRAWN = threading.local()


def render_unavailable_admin() -> None:
    """The failure page of the study lead's route (:func:`streamlit_app.main`): what to
    check, in the study lead's words, under the page's title (drawn here when the failure
    came before it); no detail, which goes to the server log."""
    if not getattr(TITLE_DRAWN, "done", False):
        st.title("Study lead")
    st.error("The survey database cannot be reached, or this page failed. Check that the "
             "database server is running and that the app may write to it; the app's log "
             "names the error. Answers already saved are kept, and respondents see a notice "
             "asking them to try again later.")


def render_admin(store: Any, *, study: str | None = None, base_url: str = "") -> None:
    """Render the study-lead pages (login first).

    Parameters
    ----------
    store
        The :class:`~instruments.store.ResponseStore`.
    study
        Study name from the link (``&study=``), to prefill the login form.
    base_url
        Address of the survey, used to print invitation links (``BASE/?t=TOKEN``).
    """
    st.title("Study lead")
    TITLE_DRAWN.done = True
    # Streamlit's dialog for a server that cannot be reached (an update of the app) in
    # the pages' words, as on the survey's pages: it blamed the study lead's internet
    page_language(ADMIN_LANGUAGE, t("skip_link", ADMIN_LANGUAGE), lost=(
        t("connection_lost_title", ADMIN_LANGUAGE), t("connection_lost_admin", ADMIN_LANGUAGE),
        t("close", ADMIN_LANGUAGE)))
    # the hints under forms and tables in a readable contrast (fixed CSS, no user text)
    st.markdown(CAPTION_CSS + CHOICE_CSS, unsafe_allow_html=True)
    logged_in = _current_login(store)
    if not logged_in:
        _render_login(store, study)
        return
    st.caption(f"Study: {escape_md(logged_in)}")
    if st.button("Log out"):
        _log_out(store)
        st.rerun()
    # only the open tab runs (a tab switch reruns the page): every run of the study lead's
    # pages used to compute all seven, about a second for a study of a few hundred
    # the open tab is kept in the address (&tab=), as the login is: a refresh showed the
    # first tab again, away from the form or list the study lead was working on.  An
    # address that is not the one last written here (a refresh, the browser's Back or
    # Forward) opens its tab; a click on a tab writes the address.
    ss = st.session_state
    param = st.query_params.get(TAB_PARAM)
    if param in TABS and param != ss.get("admin.url_tab"):
        ss[TAB_KEY] = param
    tabs = st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")
    if ss.get(TAB_KEY) in TABS:
        ss["admin.url_tab"] = ss[TAB_KEY]
        if param != ss[TAB_KEY]:
            st.query_params[TAB_PARAM] = ss[TAB_KEY]
    for label, tab, show in zip(TABS, tabs, _TAB_PAGES, strict=True):
        if tab.open:
            with tab:
                # the open tab's name as the level-2 heading its sections (level 3) sit
                # under: screen readers' list of headings jumped from "Study lead" to the
                # sections.  The tab already shows the name, so it is drawn for them only.
                with st.container(key="admin-tab-heading"):
                    st.markdown(TAB_HEADING_CSS, unsafe_allow_html=True)  # fixed CSS only
                    st.header(label, anchor=False)
                show(store, logged_in, base_url)


#: Keeps the open tab's heading out of sight and in the page for screen readers.
TAB_HEADING_CSS = """
<style>
div[class*="st-key-admin-tab-heading"] {
  position: absolute !important; width: 1px !important; height: 1px !important;
  min-width: 0 !important; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%);
  white-space: nowrap; margin: 0 !important; padding: 0 !important;
}
</style>
"""


#: Query parameter that carries the study lead's session token.
SESSION_PARAM = "s"


def _current_login(store: Any) -> str | None:
    """The study this browser tab is logged in to, checked against the store on every run.

    The token comes from the address (``&s=``, which survives a refresh) or from this
    Streamlit session; a token that is no longer valid (logged out, expired, password
    changed) is removed from both and the login form is shown with a note.
    """
    from instruments.fieldwork.sessions import check_session

    ss = st.session_state
    token = st.query_params.get(SESSION_PARAM) or ss.get("admin.session")
    if not token:
        ss.pop("admin.study", None)
        return None
    study = check_session(store, token)
    if study is None:
        ss.pop("admin.study", None)
        ss.pop("admin.session", None)
        if SESSION_PARAM in st.query_params:
            del st.query_params[SESSION_PARAM]
        st.info("Your login has ended (logged out, expired, or the password was changed). "
                "Please log in again.")  # fmt: skip
        return None
    ss["admin.study"] = study
    ss["admin.session"] = token
    if st.query_params.get(SESSION_PARAM) != token:
        st.query_params[SESSION_PARAM] = token
    return study


def _log_out(store: Any) -> None:
    """End the session in the store (so the address no longer logs anyone in) and here."""
    from instruments.fieldwork.sessions import close_session

    ss = st.session_state
    token = ss.pop("admin.session", None) or st.query_params.get(SESSION_PARAM)
    if token:
        close_session(store, token)
    ss.pop("admin.study", None)
    if SESSION_PARAM in st.query_params:
        del st.query_params[SESSION_PARAM]


def _client() -> str:
    """What tells this login's client apart for the throttle (hashed before it is stored)."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (bare or test runs)
        ip = None
    if not ip or ip in {"127.0.0.1", "::1"}:
        # Behind the project's reverse proxy every client arrives from the loopback
        # address; the proxy puts the real one in X-Real-IP (and overwrites any value a
        # client sent), so it is only trusted when the direct peer is local.
        try:
            forwarded = st.context.headers.get("X-Real-IP")
        except Exception:  # noqa: BLE001 - no request context (bare or test runs)
            forwarded = None
        ip = forwarded or ip
    if isinstance(ip, str) and ip:
        return f"ip:{ip}"
    ss = st.session_state
    if "admin.client" not in ss:
        import secrets

        ss["admin.client"] = "session:" + secrets.token_hex(8)
    return ss["admin.client"]


def _render_login(store: Any, study: str | None) -> None:
    from instruments.fieldwork.auth import LoginThrottledError, verify_password
    from instruments.fieldwork.cockpit import study_names

    ss = st.session_state
    names = study_names(store)
    if not study and len(names) == 1:
        study = names[0]  # the only study: nothing to type
    with st.form("admin_login"):
        name = st.text_input("Study", value=study or "", key="admin.login_study")
        password = st.text_input("Password", type="password", key="admin.login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    # say what is missing; an empty field is no failed attempt for the throttle
    missing = [what for what, value in (("the study", name.strip()), ("the password", password))
               if not value]  # fmt: skip
    if missing:
        st.error(f"Please enter {' and '.join(missing)}.")
        return
    try:
        ok = verify_password(store, name.strip(), password, client=_client())
    except LoginThrottledError as exc:
        # the page's own words: the exception's text is written for the command line
        wait = max(1, round(exc.retry_after))
        _error(f"Too many failed password attempts for this study; try again in {wait} "
               f"second{'' if wait == 1 else 's'}. If the password is lost, whoever runs "
               "the server can set a new one with the command alliance-survey password.")
        return
    except AllianceSurveyError as exc:
        _error(exc)
        return
    if not ok:
        st.error("Wrong password, or no such study.")
        return
    from instruments.fieldwork.sessions import open_session

    try:
        token = open_session(store, name.strip())
    except AllianceSurveyError as exc:
        _error(exc)
        return
    ss["admin.study"] = name.strip()
    ss["admin.session"] = token
    st.query_params[SESSION_PARAM] = token
    st.rerun()


def render_dashboard(store: Any, study: str) -> None:
    """Fieldwork: status counts, completion and drop-off per page, times, checks, dyads."""
    from instruments.fieldwork.cockpit import dropoff_curve, status_summary
    from instruments.fieldwork.invitations import (
        attention_failures,
        dyad_status,
        fieldwork_summary,
        page_progress,
        status_counts,
    )

    summary = fieldwork_summary(store, study).iloc[0]
    statuses = status_summary(store, study).set_index("status")
    cols = st.columns(4)
    cols[0].metric("Invitations", int(summary["n_invitations"]))
    cols[1].metric("Consented", int(statuses.loc["consented", "n"])
                   + int(statuses.loc["completed", "n"]))  # fmt: skip
    cols[2].metric("Completed", int(summary["n_completed"]))
    median = summary["median_duration_sec"]
    cols[3].metric(
        "Median time", "–" if median != median else f"{median / 60:.1f} min"
    )  # NaN-safe
    st.subheader("Status")
    show_table(
        statuses.reset_index()[["label", "n", "share"]],
        column_config={"label": "status"},
    )  # fmt: skip
    with st.expander("Status per wave (invitation records)"):
        show_table(status_counts(store, study))
    st.subheader("Completion and drop-off per page")
    curve = dropoff_curve(store, study)
    n_base = int(statuses.loc["consented", "n"]) + int(statuses.loc["completed", "n"])
    if n_base:
        st.caption(f"Of the {n_base} who consented (screened-out, declined and withdrawn "
                   "respondents left out): the share still answering on each page, with n.")
        st.altair_chart(_dropoff_chart(curve))
    progress = page_progress(store, study)
    if len(progress):
        with st.expander("Submissions per page"):
            show_table(progress)
    st.subheader("Attention checks")
    show_table(attention_failures(store, study))
    st.subheader("Dyads")
    dyads = dyad_status(store, study)
    if len(dyads):
        n_dyads = len(dyads)
        st.write(f"{int(dyads['both_completed'].sum())} of {n_dyads} "
                 f"dyad{'' if n_dyads == 1 else 's'} complete.")  # fmt: skip
        show_table(dyads)
    else:
        st.write("No dyad invitations yet.")


def _dropoff_chart(curve: Any) -> Any:
    """Bars of the share still answering per page (numbered as respondents see them),
    each labelled with its n; the page title shows on hover."""
    import altair as alt

    data = curve.assign(label=[f"n={n}" for n in curve["n_answering"]],
                        page_label=[f"{p}" for p in curve["page"]])  # fmt: skip
    order = data["page_label"].tolist()
    base = alt.Chart(data).encode(
        x=alt.X("page_label:N", sort=order, title="page (as respondents see it)",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="share still answering",
                scale=alt.Scale(domain=[0, 1.08]), axis=alt.Axis(format="%")),
    )  # fmt: skip
    bars = base.mark_bar().encode(
        tooltip=[alt.Tooltip("page:Q"), alt.Tooltip("title:N"),
                 alt.Tooltip("n_answering:Q", title="n"),
                 alt.Tooltip("share:Q", format=".0%")])  # fmt: skip
    text = base.mark_text(dy=-6).encode(text="label:N")
    return (bars + text).properties(height=280)


def render_invitations(store: Any, study: str, base_url: str) -> None:
    """Create single or dyad invitations; the links are shown once, right after creation.

    A dyad's two firms can be named (firm A's respondent sees firm B as the partner and
    vice versa) for one dyad at a time; several named dyads come from a contact list.  A
    name typed into the other kind's field is refused, never dropped without a word.
    """
    from instruments.fieldwork.invitations import create_dyad, create_dyads, create_invitations

    langs = list(store.instrument.languages)
    # Enter in a field (the partner's name, the number) created the invitations at once,
    # links that are shown only once: off, creating them needs a press of the button
    with st.form("admin_invite", enter_to_submit=False):
        kind = st.radio("Kind", ["single", "dyad"], horizontal=True, key="admin.kind")
        n = st.number_input("How many", min_value=1, max_value=500, value=1, step=1)
        partner = st.text_input("Partner name (single invitations)", key="admin.partner")
        c1, c2 = st.columns(2)
        firm_a = c1.text_input("Firm A's name (one dyad)", key="admin.firm_a")
        firm_b = c2.text_input("Firm B's name (one dyad)", key="admin.firm_b")
        # the language's name, not its code ("en")
        language = st.selectbox("Language", langs, key="admin.language",
                                format_func=lambda code: LANGUAGE_NAMES.get(code, code))
        expires = st.number_input("Expires after days (0: never)", min_value=0, value=0)
        submitted = st.form_submit_button("Create invitations", type="primary")
    if not submitted:
        return
    partner, firm_a, firm_b = partner.strip(), firm_a.strip(), firm_b.strip()
    wrong = None
    if kind == "dyad" and partner:
        wrong = ("The partner name is for single invitations; for a dyad, give firm A's "
                 "and firm B's names (each side's respondent sees the other firm).")
    elif kind == "single" and (firm_a or firm_b):
        wrong = ("Firm A's and firm B's names are for a dyad; for single invitations, give "
                 "the partner name.")
    elif kind == "dyad" and (firm_a or firm_b) and int(n) > 1:
        wrong = (f"Firm names name one dyad, but {int(n)} were asked for: create named dyads "
                 "one at a time, or import a contact list on the 'Contacts & mail' tab.")
    elif kind == "dyad" and bool(firm_a) != bool(firm_b):
        wrong = ("Give both firms' names, or neither: each side's respondent sees the other "
                 "firm as the partner.")
    if wrong is not None:
        st.error(wrong + " No invitation was created.")
        return
    try:
        if kind == "dyad" and firm_a:
            issued = list(create_dyad(store, study, firm_a=firm_a, firm_b=firm_b,
                                      language_a=language, expires_days=expires or None))
        elif kind == "dyad":
            pairs = create_dyads(
                store, study, int(n), language=language, expires_days=expires or None
            )
            issued = [inv for pair in pairs for inv in pair]
        else:
            issued = create_invitations(
                store, study, int(n), partner_name=partner or None,
                language=language, expires_days=expires or None,
            )  # fmt: skip
    except AllianceSurveyError as exc:
        # the store names the field as its argument ("expires_days=10000000 lies ...")
        st.error(escape_md(str(exc).replace("expires_days=", "Expires after days: "))
                 + " No invitation was created.")  # fmt: skip
        return
    import pandas as pd

    links = pd.DataFrame(
        {
            "alliance_id": [i.alliance_id for i in issued],
            "firm_role": [i.firm_role or "" for i in issued],
            "partner_name": [i.partner_name or "" for i in issued],
            "language": [i.language for i in issued],
            "link": [i.link(base_url) for i in issued],
        }
    )
    from instruments.fieldwork.cockpit import plural

    st.success(
        f"{plural(len(issued), 'invitation')} created. Copy the links now: they are stored "
        "only as hashes and cannot be shown again (or import a contact list on the "
        "'Contacts & mail' tab to have them e-mailed)."
    )
    show_table(links)
    st.code("\n".join(links["link"]), language=None)
    # the links with the firm each is for, as a file: copying them from the code box
    # above loses which link is for which partner (both firms of a dyad, say), and the
    # table's own download appears only under a mouse pointer.  on_click="ignore": a
    # rerun would take the links off the page.
    st.download_button(
        "Download the links (CSV)", links.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{study}_invitation_links.csv", mime="text/csv",
        key="admin.download_links", on_click="ignore",
    )  # fmt: skip


#: Export formats offered on the page: label, format, file suffix, MIME type, Excel-safe.
EXPORTS = (
    ("CSV", "csv", ".csv", "text/csv", False),
    ("CSV for Excel (formulas neutralised)", "csv", "_excel.csv", "text/csv", True),
    ("Parquet", "parquet", ".parquet", "application/octet-stream", False),
    ("SPSS .sav", "sav", ".sav", "application/octet-stream", False),
    ("Stata .dta", "dta", ".dta", "application/octet-stream", False),
    ("Answer log (CSV)", "long", "_answers.csv", "text/csv", False),
    ("Codebook (CSV)", "codebook", "_codebook.csv", "text/csv", False),
)


def export_bytes(store: Any, study: str, fmt: str, suffix: str, excel_safe: bool = False,
                 skip_unstarted: bool = False) -> bytes:  # fmt: skip
    """Write one export with :func:`instruments.fieldwork.exports.export` and return its bytes."""
    from instruments.fieldwork.exports import export

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{study}{suffix}"
        if fmt in ("long", "codebook"):
            export(store, study, fmt, path, excel_safe=excel_safe)
        else:
            export(store, study, fmt, path, excel_safe=excel_safe,
                   skip_unstarted=skip_unstarted)  # fmt: skip
        return path.read_bytes()


def render_exports(store: Any, study: str) -> None:
    """Download buttons for CSV, Parquet, SPSS, the answer log and the codebook."""
    ss = st.session_state
    st.write("Exports hold the latest answer of every respondent (screened-out excluded), "
             "with the fieldwork status, start, end and quality flags; test and withdrawn "
             "responses are never included.")  # fmt: skip
    from instruments.store.rights import erasure_mark

    skip = st.checkbox("Leave out invitations opened but never answered", key="admin.skip_unstarted")
    if st.button("Prepare exports", key="admin.prepare"):
        try:
            mark = erasure_mark(store, study)  # before reading: a later erasure drops them
            ss["admin.exports"] = (mark, {
                suffix: export_bytes(store, study, fmt, suffix, safe, skip)
                for _, fmt, suffix, _, safe in EXPORTS
            })  # fmt: skip
        except AllianceSurveyError as exc:
            _error(exc)
    held = ss.get("admin.exports")
    if not held:
        return
    mark, files = held
    if mark != erasure_mark(store, study):
        # the files were made before a respondent's answers were erased and may hold them
        del ss["admin.exports"]
        st.info("A response was withdrawn or deleted since the exports were prepared, so "
                "they were discarded: press \"Prepare exports\" again.")
        return
    for label, _fmt, suffix, mime, _safe in EXPORTS:
        st.download_button(
            f"Download {label}", files[suffix], file_name=f"{study}{suffix}", mime=mime,
            key=f"admin.download{suffix}", on_click="ignore",
        )  # fmt: skip


def respondent_quality(store: Any, study: str) -> Any:
    """Quality flags per completed respondent (attention, straight-lining, speeder,
    missing), or ``None`` when none has completed yet or the instrument lacks what the flags
    need.

    Only completed responses are judged: a respondent still answering has not reached the
    attention checks and has most items unanswered, so was flagged "attention; missing"
    (and "speeding", by the few minutes spent so far); their short durations also pulled
    down the median that completed respondents' speed is compared with."""
    from analysis.study.quality import quality_flags

    try:
        # flags for every completed respondent, also those excluded from the analysis
        wide = store.wide(study, completed_only=True, include_excluded=True)
        if not len(wide):
            return None
        flags = quality_flags(wide, store.instrument)
    except AllianceSurveyError:
        return None
    keep = ["respondent_id", "attention_flag", "straightline_flag", "speeder_flag",
            "missing_flag", "missing_share", "exclude_reason"]  # fmt: skip
    return flags[[c for c in keep if c in flags.columns]]


def respondents_frame(store: Any, study: str) -> Any:
    """The per-respondent table of the cockpit joined with the quality flags."""
    from instruments.fieldwork.cockpit import respondent_table

    table = respondent_table(store, study)
    flags = respondent_quality(store, study)
    if flags is not None and "respondent_id" in flags.columns:
        flags = flags.assign(respondent_id=flags["respondent_id"].astype("float64"))
        table = table.merge(flags, on="respondent_id", how="left")
        # ticks, and an empty cell for respondents who have not completed (not "None")
        table = table.astype({c: "boolean" for c in table.columns if c.endswith("_flag")})
    table = table.assign(page=[f"{p} of {n}" if p else "–"
                               for p, n in zip(table["last_page"], table["n_pages"], strict=True)])
    return table


def render_respondents(store: Any, study: str) -> None:
    """One row per invitation: status, last page, duration, mail state and quality flags."""
    from instruments.fieldwork.cockpit import STATUS_LABELS, plural

    table = respondents_frame(store, study)
    if not len(table):
        st.write("No invitations yet.")
        return
    choice = st.multiselect("Show", list(STATUS_LABELS), format_func=STATUS_LABELS.get,
                            key="admin.respondent_filter")  # fmt: skip
    shown = table[table["status"].isin(choice)] if choice else table
    st.write(f"{plural(len(shown), 'invitation')} shown. The quality flags are those of "
             "completed responses.")  # fmt: skip
    columns = [c for c in ("invitation_id", "alliance_id", "firm_role", "partner_name", "name",
                           "email", "status", "page", "last_page_id", "duration_min",
                           "attention_flag", "straightline_flag", "speeder_flag", "missing_flag",
                           "exclude_reason", "in_analysis", "exclusion_reason", "mails_sent",
                           "opted_out", "last_activity_at")
               if c in shown.columns]  # fmt: skip
    shown = shown.assign(status=shown["status"].map(STATUS_LABELS).fillna(shown["status"]))
    show_table(
        shown[columns],
        column_config={"duration_min": st.column_config.NumberColumn("minutes", format="%.1f"),
                       "page": "last page", "last_page_id": "last page id",
                       "exclude_reason": "quality problems", "in_analysis": "in analysis",
                       "exclusion_reason": "excluded by the study lead because"},
    )  # fmt: skip


def render_mail(store: Any, study: str, base_url: str) -> None:
    """Upload a contact list, keep the sender settings, send invitations and reminders."""
    from instruments.fieldwork.cockpit import plural
    from instruments.fieldwork.contacts import check_contacts, contacts_table, import_contacts
    from instruments.fieldwork.mail import (
        configure_mail,
        mail_log,
        mail_settings,
        send_invitations,
        send_reminders,
    )

    ss = st.session_state
    st.subheader("Contact list")
    st.caption("CSV with columns email, name, firm, partner, alliance_id, role (A/B), language; "
               "two rows with the same alliance_id form a dyad.")  # fmt: skip
    # A new uploader key after each import empties it, so the stored list is not re-checked
    # against itself (its alliance ids are then in use).
    import os

    from instruments.fieldwork.contacts import SECRET_KEY_ENV

    # said before a list is uploaded and checked, not only at the press of "Import contacts"
    keyless = not os.environ.get(SECRET_KEY_ENV)
    if keyless:
        st.warning(f"Contact lists cannot be imported on this server yet: the app was started "
                   f"without the environment variable {SECRET_KEY_ENV}, the key that keeps "
                   "the mailed links encrypted so that reminders can repeat them. Whoever runs "
                   "the server creates one with `alliance-survey mail --new-key` and starts "
                   "the app again with it set. A list can still be checked here.")  # fmt: skip
    upload = st.file_uploader("Contact list (CSV)", type=["csv"],
                              key=f"admin.contacts_file.{ss.get('admin.uploads', 0)}")
    if upload is not None:
        data = upload.getvalue()
        try:
            problems = check_contacts(store, study, data)
        except AllianceSurveyError as exc:
            problems = [str(exc)]
        if problems:
            st.error(f"The contact list has {plural(len(problems), 'problem')}; "
                     "nothing was stored. Correct the file and upload it again.")  # fmt: skip
            st.markdown("\n".join(f"- {escape_md(p)}" for p in problems))
        elif keyless:
            st.success("The contact list has no problems; it can be imported once the "
                       "server has its key (see above).")
        elif st.button("Import contacts", type="primary", key="admin.import_contacts"):
            try:
                done = import_contacts(store, study, data)
            except AllianceSurveyError as exc:
                _error(exc)
            else:
                ss["admin.import_message"] = (
                    f"{plural(len(done.contact_ids), 'contact')} imported: "
                    f"{plural(done.n_dyads, 'dyad')}, "
                    f"{plural(done.n_single, 'single invitation')}.")  # fmt: skip
                ss["admin.uploads"] = ss.get("admin.uploads", 0) + 1
                st.rerun()
    if "admin.import_message" in ss:
        st.success(ss.pop("admin.import_message"))
    contacts = contacts_table(store, study)
    if len(contacts):
        show_table(contacts.drop(columns=["contact_id"]))

    st.subheader("Sender")
    try:
        current = mail_settings(store, study)
    except AllianceSurveyError:
        current = None
    # as the privacy form: the fields follow what another study lead saved meanwhile,
    # unless this study lead has typed something else into them
    base = _form_base(_mail_form_values(current, base_url), MAIL_FIELDS, "admin.m_base",
                      labels=_MAIL_LABELS)
    with st.form("admin_mail_settings"):
        st.text_input("SMTP server", key="admin.m_smtp",
                      placeholder="smtp+starttls://user@smtp.example.org:587")
        st.text_input("From address", key="admin.m_sender")
        st.text_input("Study lead", key="admin.m_lead_name")
        st.text_input("Study lead's e-mail", key="admin.m_lead_email")
        st.text_input("Survey address", key="admin.m_base_url")
        st.text_input(
            "Environment variable with the SMTP password", key="admin.m_password_env",
            help="The password itself is never stored; set this variable for the app process.",
        )
        st.number_input("At most messages per minute", min_value=1, max_value=10_000,
                        key="admin.m_rate")  # fmt: skip
        saved = st.form_submit_button("Save sender settings")
    if saved:
        values = {name: ss[key] for name, key in MAIL_FIELDS}
        if _form_conflicts("admin.m_base", _MAIL_LABELS):
            pass  # the store replaces the settings as a whole: nothing saved, told why
        elif current is not None and values == base:
            st.success("Nothing was changed: the form shows the saved settings.")
        else:
            try:
                # every field, since the store replaces the settings as a whole: those this
                # study lead left alone hold what was saved (above); the sender's display
                # name, set on the command line only, is kept
                configure_mail(store, study, smtp=values["smtp"], sender=values["sender"],
                               lead_name=values["lead_name"], lead_email=values["lead_email"],
                               base_url=values["base_url"],
                               sender_name=current.sender_name if current else None,
                               password_env=values["password_env"].strip() or None,
                               rate_per_minute=int(values["rate_per_minute"]))  # fmt: skip
            except AllianceSurveyError as exc:
                _mail_refused(exc)
            else:
                st.success("Sender settings saved.")

    st.subheader("Send")
    dry = st.checkbox("Dry run (list recipients, send nothing)", key="admin.mail_dry")
    c1, c2, c3 = st.columns(3)
    after = c1.number_input("Remind after days", min_value=0, value=7, key="admin.after_days")
    most = c2.number_input("At most reminders", min_value=1, value=2, key="admin.max_rem")
    run = None
    try:
        sending = c3.button("Send invitations", key="admin.send")
        reminding = c3.button("Send reminders", key="admin.remind")
        if (sending or reminding) and current is None:
            # the store's message is written for the command line as well
            st.error("Save the sender settings above first; nothing was sent.")
        elif sending or reminding:
            # A press while a run of this study is going (a second run beside the first:
            # Streamlit starts it while the first goes on unseen) waits for the first.
            with _send_lock(study):
                if sending:
                    run = send_invitations(store, study, dry_run=dry)
                else:
                    run = send_reminders(store, study, after_days=float(after),
                                         max_reminders=int(most), dry_run=dry)  # fmt: skip
    except AllianceSurveyError as exc:
        _error(exc)
    if run is not None:
        # Rerun so that the other tabs (drawn earlier in this run) show the new mail state.
        # the failed messages by name: in a long send log they were found only by
        # reading every row
        message = _run_message(run, float(after), int(most))
        if run.kind != "invitation" or run.dry_run or not run.outcomes:
            failures = [(o.email, o.reply or "") for o in run.outcomes if o.status == "failed"]
        else:
            # A second press while a run is going starts a second run beside the first,
            # whose message the page never shows: the page said "14 sent" for 28.  What
            # the send log holds now is what both did.
            table = contacts_table(store, study)
            state = table["invitation_mail"]
            n_sent = int((state == "sent").sum())
            message += (f" In all, {n_sent} of the {len(table)} contacts on the list "
                        f"{'has' if n_sent == 1 else 'have'} been sent the invitation e-mail.")
            failed = table[state.isin(("failed", "unconfirmed"))]
            failures = [(e, r or "") for e, r in zip(failed["email"], failed["last_reply"],
                                                     strict=True)]  # fmt: skip
        ss["admin.mail_run"] = (message, failures, not run.outcomes)
        st.rerun()
    if "admin.mail_run" in ss:
        message, failures, nothing = ss.pop("admin.mail_run")
        if failures:
            listed = "\n".join(f"- {escape_md(email)}: {escape_md(reply)}"
                                for email, reply in failures[:MAIL_FAILURES_LISTED])
            if len(failures) > MAIL_FAILURES_LISTED:
                listed += (f"\n- and {len(failures) - MAIL_FAILURES_LISTED} more, in the "
                           "send log below")
            st.warning(f"{message}\n\nNot sent:\n\n{listed}")
        else:
            (st.info if nothing else st.success)(message)
    log = mail_log(store, study)
    if len(log):
        st.subheader("Send log")
        show_table(log.drop(columns=["message_id"]))


_SEND_LOCKS: dict[str, threading.Lock] = {}
_SEND_LOCKS_GUARD = threading.Lock()


def _send_lock(study: str) -> threading.Lock:
    """One lock per study for the mail runs started from this app process."""
    with _SEND_LOCKS_GUARD:
        return _SEND_LOCKS.setdefault(study, threading.Lock())


#: Failed messages named after a press of "Send invitations" or "Send reminders"; the
#: rest are in the send log.
MAIL_FAILURES_LISTED = 10


def _run_message(run: Any, after: float, most: int) -> str:
    """What a press of "Send invitations" or "Send reminders" did.  A run with nobody to
    write to said only "0 reminders sent, 0 failed, 0 skipped (opted out)." in green, as
    if something had gone out, and not why nobody was due."""
    if run.outcomes:
        return run.summary()
    if run.kind == "invitation":
        return ("Nothing to send: every contact on the list has been sent an invitation "
                "e-mail already (use \"Send reminders\" for those who have not finished), "
                "or the list is empty.")
    days = f"{after:g} day" + ("" if after == 1 else "s")
    return ("Nobody is due a reminder, so nothing was sent. A reminder goes to a contact "
            "who was sent an invitation e-mail, has not finished the survey, was last "
            f"written to at least {days} ago (\"Remind after days\") and has had fewer than "
            f"{most} reminder{'' if most == 1 else 's'} (\"At most reminders\").")


#: The sender settings' names in the store's messages and the form's labels for them.
_MAIL_LABELS = {
    "smtp": "SMTP server",
    "sender": "From address", "lead_email": "Study lead's e-mail", "lead_name": "Study lead",
    "sender_name": "Sender name", "base_url": "Survey address",
    "rate_per_minute": "At most messages per minute",
    "password_env": "Environment variable with the SMTP password",
}  # fmt: skip


def _mail_refused(exc: Exception) -> None:
    """The store's refusal of the sender settings as a list, each problem under the form's
    label of its field (the store names them as its arguments: "lead_email= '' is not an
    e-mail address; lead_name= is empty")."""
    import re

    names = "|".join(_MAIL_LABELS)
    _head, sep, rest = str(exc).partition(": ")
    if not sep or not re.match(f"(?:{names})=", rest):
        _error(exc)  # not a list of settings (e.g. an SMTP address that cannot be read)
        return
    items = []
    for part in re.split(f"; (?=(?:{names})=)", rest.removesuffix(".")):
        name, _eq, problem = part.partition("=")
        items.append(f"- {escape_md(_MAIL_LABELS[name] + ': ' + problem.strip())}.")
    st.error("The sender settings were not saved:\n\n" + "\n".join(items))


#: Days the cockpit's "Keep the link open" button adds from now (the command line's
#: ``respondent --extend DAYS`` takes any number from 1 to 366).
EXTEND_DAYS = 14


def render_respondent_actions(store: Any, study: str) -> None:
    """Per-respondent actions of the cockpit: resend the invitation, remind now, exclude
    from the analysis or include again (with a reason for the audit log), and erase one
    invitation's answers on request."""
    from instruments.fieldwork import actions
    from instruments.fieldwork.cockpit import plural, respondent_table
    from instruments.store.rights import erase_invitation, erasure_mark

    ss = st.session_state
    table = respondent_table(store, study)
    if not len(table):
        return
    st.subheader("Act on one respondent")
    labels = invitation_labels(table)
    if ss.pop("admin.action_sure_reset", False):
        # a deletion done: the next one is confirmed afresh (the tick had stayed, and a
        # press for another respondent deleted without asking)
        ss["admin.action_sure"] = False
    chosen = st.selectbox("Invitation", list(labels), format_func=labels.get, index=None,
                          placeholder=CHOOSE_INVITATION, key="admin.action_invitation")
    if chosen is not None:
        row = table.set_index("invitation_id").loc[chosen]
        st.caption(_status_line(row))
    # Enter in the reason field would press the first button (resend the e-mail): off.
    with st.form("admin_respondent_action", enter_to_submit=False):
        note = st.text_input("Reason (kept in the audit log, never the answers)",
                             key="admin.action_note")  # fmt: skip
        with st.container(horizontal=True):
            resend = st.form_submit_button("Resend the invitation e-mail")
            remind = st.form_submit_button("Send a reminder now")
            exclude = st.form_submit_button("Exclude from analysis")
            include = st.form_submit_button("Include in analysis again")
            extend = st.form_submit_button(
                f"Keep the link open {EXTEND_DAYS} more days",
                help="Also opens an expired link again: the respondent continues with the "
                "answers already given")  # fmt: skip
            copy = st.form_submit_button("Copy of the respondent's data",
                                         help="For a respondent who asks to see their data: "
                                         "every stored answer with the question's wording, "
                                         "page times, the invitation, the contact entry and "
                                         "the e-mails sent, as JSON (the file respondents "
                                         "can download from the survey)")  # fmt: skip
        sure = st.checkbox("I understand that the answers are deleted for good",
                           key="admin.action_sure")  # fmt: skip
        # recorded as a deletion on request: the respondent's link then says so
        erase = st.form_submit_button(
            "Withdraw and delete this respondent's answers",
            help="For a respondent who asked for it (to leave a response out of the "
            "analysis, exclude it instead): the respondent's link then says that the study "
            "team deleted the answers as they asked.")  # fmt: skip
    message = None
    pressed = resend or remind or exclude or include or extend or copy or erase
    try:
        if pressed and chosen is None:
            st.error("Choose the invitation first; nothing was done.")
        elif resend or remind:
            send = actions.resend_invitation if resend else actions.remind_one
            run = send(store, study, chosen)
            (st.warning if run.failed else st.success)(f"Invitation #{chosen}: {run.summary()}")
        elif exclude:
            actions.exclude_from_analysis(store, study, chosen, note)
            message = (f"Invitation #{chosen} is excluded from the analysis; its answers stay "
                       "in the store and in the exports (in_analysis = 0).")  # fmt: skip
        elif include:
            actions.include_in_analysis(store, study, chosen, note)
            message = f"Invitation #{chosen} is included in the analysis again."
        elif extend:
            until = actions.extend_invitation(store, study, chosen, EXTEND_DAYS)
            message = f"Invitation #{chosen}: the link is open until {until:%Y-%m-%d %H:%M} UTC."
        elif copy:
            from instruments.store.access import copy_json, respondent_copy

            mark = erasure_mark(store, study)  # before reading: a later erasure drops it
            ss["admin.copy"] = (int(chosen), copy_json(respondent_copy(
                store, study=study, invitation_id=int(chosen))), mark)
        elif erase:
            if not sure:
                st.error("Tick the box to confirm the deletion.")
            else:
                done = erase_invitation(store, study, chosen, reason="request", channel="admin",
                                        actor=note.strip() or None)  # fmt: skip
                message = (f"Invitation #{chosen}: {plural(done.n_answers, 'answer')} deleted; "
                           "the deletion is in the audit log.")  # fmt: skip
                ss["admin.action_sure_reset"] = True
    except AllianceSurveyError as exc:
        _error(exc)
    if message is not None:
        ss["admin.action_message"] = message
        st.rerun()
    if "admin.action_message" in ss:
        st.success(ss.pop("admin.action_message"))
    # a copy made before an erasure may hold answers that have since been deleted
    if "admin.copy" in ss and ss["admin.copy"][2] != erasure_mark(store, study):
        del ss["admin.copy"]
    if "admin.copy" in ss:
        inv, data, _mark = ss["admin.copy"]
        st.download_button(f"Download the copy of invitation #{inv}'s data (JSON)", data=data,
                           file_name=f"{study}-invitation-{inv}-copy.json",
                           mime="application/json", on_click="ignore",
                           key="admin.copy_download")  # fmt: skip
    log = actions.exclusion_log(store, study)
    if len(log):
        st.subheader("Audit log of exclusions from the analysis")
        show_table(log)
    _render_correction(store, study, labels)


#: The invitation choosers' text before an invitation is chosen.
CHOOSE_INVITATION = "Choose an invitation (type its number, firm or e-mail address)"


def invitation_labels(table: Any) -> dict[int, str]:
    """The choosers' label of each invitation of the cockpit's ``table``: number, alliance,
    firm role and e-mail address.

    Nothing that changes while the page is open (the status, an exclusion) is in a label:
    Streamlit keeps a choice by its label, and a label that changed between the choice and
    the press of a button (after an exclusion, or a respondent finishing meanwhile) threw
    the choice back to the first invitation, on which the button then acted."""
    return {int(r.invitation_id): f"#{int(r.invitation_id)} {r.alliance_id}"
            f"{' ' + r.firm_role if isinstance(r.firm_role, str) else ''}"
            f"{' ' + r.email if isinstance(r.email, str) else ''}"
            for r in table.itertuples()}  # fmt: skip


def _status_line(row: Any) -> str:
    """The chosen invitation's status and analysis state, in a line under the chooser."""
    from instruments.fieldwork.cockpit import STATUS_LABELS

    status = STATUS_LABELS.get(row["status"], str(row["status"]))
    return (f"Status: {status}; "
            + ("in the analysis." if row["in_analysis"] else "excluded from the analysis."))


def _render_correction(store: Any, study: str, labels: dict[int, str]) -> None:
    """Correct answers a respondent asks to have corrected (the right to rectification of
    the privacy notice), with a reason for the audit log.

    The invitation and the question are chosen outside the form, so that the page shows
    the answer stored and what the question takes (the codes of its response options,
    its range) before anything is typed."""
    from instruments.fieldwork import actions
    from instruments.instrument.codebook import variables_table

    ss = st.session_state
    inst = store.instrument
    skip = actions.uncorrectable(inst)
    table = variables_table(inst, "en").set_index("variable")
    fields = {f.id: f for spec in store.pages for f in spec.fields if f.id not in skip}

    def item_label(item: str) -> str:
        text = str(table["label"].get(item, "")) if item in table.index else ""
        return f"{item}: {text[:80]}{'…' if len(text) > 80 else ''}" if text else item

    # keyed: a message shown or gone above it (an exclusion's) no longer closes it
    with st.expander("Correct an answer at the respondent's request",
                     key="admin.correct_open"):
        st.caption("The corrected value is checked as the survey checks it and stored as a "
                   "later answer: the answer log keeps both values, the audit log below the "
                   "reason. Progress and completion do not change.")
        chosen = st.selectbox("Invitation", list(labels), format_func=labels.get,
                              index=None, placeholder=CHOOSE_INVITATION,
                              key="admin.correct_invitation")  # fmt: skip
        item = st.selectbox("Question", list(fields), format_func=item_label,
                            key="admin.correct_item")  # fmt: skip
        codes = _value_labels(inst, item)
        if chosen is not None and item is not None:
            stored = _stored_answer(store, study, chosen, item)
            st.markdown(f"Stored answer: {_answer_text(stored, codes)}. "
                        f"{escape_md(_accepted(fields[item], codes))}")
        # Enter in a field would press the button: off, a correction needs a click
        with st.form("admin_correct", enter_to_submit=False):
            value = st.text_input("Corrected answer (the code of the response option, a "
                                  "number or the text; empty removes an optional answer)",
                                  key="admin.correct_value")  # fmt: skip
            why = st.text_input("Reason (the respondent's request: when and how)",
                                key="admin.correct_reason")  # fmt: skip
            go = st.form_submit_button("Correct the answer")
        if go and chosen is None:
            st.error("Choose the invitation first; nothing was corrected.")
        elif go and item is not None:
            _correct(store, study, chosen, fields[item], value, why, codes)
        if "admin.correct_message" in ss:  # its answers and labels are escaped
            st.success(ss.pop("admin.correct_message"))
        log = actions.correction_log(store, study)
        if len(log):
            st.caption("Audit log of corrections")
            show_table(log)


def _correct(store: Any, study: str, invitation_id: int, field: Any, value: str, why: str,
             codes: dict[Any, str]) -> None:
    """Store the corrected answer ``value`` to ``field`` and rerun with what was done, or
    say why it was refused (nothing is stored then)."""
    from instruments.fieldwork import actions
    from instruments.store.pages import PageValidationError

    typed = _read_value(field, value)
    unread = _not_a_number(field, typed)
    if unread:
        st.error(escape_md(unread))
        return
    try:
        done = actions.correct_answers(store, study, invitation_id, {field.id: typed}, why)
    except PageValidationError as exc:
        st.error(escape_md(_refusal(exc, field.id, codes)))
        return
    except AllianceSurveyError as exc:
        _error(exc)
        return
    before, after = done.before[field.id], done.after[field.id]
    message = (f"Invitation #{invitation_id}: {field.id} corrected from "
               f"{_answer_text(before)} to {_answer_text(after)}")  # fmt: skip
    if codes and (before in codes or after in codes):
        message += f" (was {_answer_label(before, codes)}, now {_answer_label(after, codes)})"
    st.session_state["admin.correct_message"] = message + "."
    st.rerun()


def _value_labels(inst: Any, item: str | None) -> dict[Any, str]:
    """Code to English label of the response options of ``item`` (empty for a question
    without response options)."""
    responses = inst.response_list(item) if item is not None else None
    return dict(responses.value_labels("en")) if responses is not None else {}


def _stored_answer(store: Any, study: str, invitation_id: int, item: str) -> Any:
    """The answer to ``item`` the invitation's respondent has now (``None``: none)."""
    from instruments.store.access import respondent_copy

    try:
        copy = respondent_copy(store, study=study, invitation_id=int(invitation_id))
    except AllianceSurveyError:
        return None
    rows = [a for a in copy["answers"] if a["question_id"] == item]
    return rows[-1]["answer"] if rows else None


def _answer_text(value: Any, codes: dict[Any, str] | None = None) -> str:
    """An answer as the study lead reads it (Markdown, the text escaped): "no answer", a
    number, or text in quotes; with ``codes``, a code followed by its label."""
    if value is None:
        return "no answer"
    if isinstance(value, str):
        return f"“{escape_md(value)}”"
    if isinstance(value, float) and value.is_integer() and not codes:
        return f"{value:g}"
    if codes and value in codes:
        return f"{value} ({escape_md(codes[value])})"
    return str(value)


def _answer_label(value: Any, codes: dict[Any, str]) -> str:
    return "no answer" if value is None else f"“{escape_md(str(codes.get(value, value)))}”"


def _accepted(field: Any, codes: dict[Any, str]) -> str:
    """What the question takes, in a sentence for the correction form."""
    optional = ("Leave the corrected answer empty to remove it." if not field.required
                else "It must be answered.")  # fmt: skip
    if codes:
        return ("Codes: " + "; ".join(f"{code} = {label}" for code, label in codes.items())
                + f". {optional}")
    bounds = ""
    if field.min is not None and field.max is not None:
        bounds = f" from {field.min:g} to {field.max:g}"
    if field.kind == "integer":
        return f"A whole number{bounds}. {optional}"
    if field.kind == "number":
        return f"A number{bounds}, with a decimal point or comma. {optional}"
    return f"Text of at most {field.max_length} characters. {optional}"


def _read_value(field: Any, value: str) -> Any:
    """The corrected answer as typed, read as the survey reads its fields: a decimal with a
    point or a comma ("1,5"), a whole number with spaces ("1 000")."""
    from instruments.ui.fields import parse_decimal, parse_whole

    if field.kind == "number":
        number = parse_decimal(value)
    elif field.kind == "integer":
        number = parse_whole(value)
    else:
        return value
    return value if number is None else number


def _not_a_number(field: Any, typed: Any) -> str | None:
    """The message for text typed as the answer to a number question that cannot be read as
    one (the store's would speak of an "integer code"), or ``None``."""
    if field.kind not in ("integer", "number") or not isinstance(typed, str) \
            or not typed.strip():
        return None
    if field.kind == "integer":
        return (f"Not corrected, nothing was stored: “{typed}” is not a whole number (write "
                "it without a decimal mark or a thousands separator).")
    return f"Not corrected, nothing was stored: “{typed}” is not a number."


def _refusal(exc: Any, item: str, codes: dict[Any, str]) -> str:
    """The message for a corrected value the question does not take."""
    prefix = f"Item {item!r}: "
    reasons = [m[len(prefix):] if m.startswith(prefix) else m
               for messages in exc.problems.values() for m in messages]  # fmt: skip
    text = f"Not corrected, nothing was stored: {' '.join(reasons)}"
    if codes:
        text += " " + "; ".join(f"{code} = {label}" for code, label in codes.items()) + "."
    return text


def render_privacy(store: Any, study: str, base_url: str) -> None:
    """The privacy notice and completion settings, the preview, and deletions on request."""
    from instruments.fieldwork.cockpit import plural
    from instruments.store.rights import (
        LEGAL_BASES,
        delete_test_responses,
        deletion_log,
        get_settings,
        set_settings,
        withdraw,
    )

    ss = st.session_state
    st.subheader("Privacy notice (shown on the consent page)")
    base = _privacy_form_base(get_settings(store, study))
    bases = ["", *LEGAL_BASES]
    with st.form("admin_privacy"):
        st.text_input("Controller", key="admin.p_controller")
        st.text_input(
            "Contact", key="admin.p_contact",
            help="Left empty, respondents see the study lead of the sender settings ('Contacts "
                 "& mail'), as the invitation e-mails name them, once those are saved.")  # fmt: skip
        st.text_area("Purpose", key="admin.p_purpose")
        st.selectbox("Legal basis", bases,
                     format_func=lambda code: LEGAL_BASIS_LABELS.get(code, code),
                     key="admin.p_basis")  # fmt: skip
        st.text_input("Retention", key="admin.p_retention")
        st.text_input("Completion code (panel providers)", key="admin.p_code")
        st.text_input("Redirect address after the survey (https://)", key="admin.p_redirect")
        saved = st.form_submit_button("Save privacy settings", type="primary")
    if saved:
        # only what this study lead changed: the other fields may have been changed
        # meanwhile by another study lead, whose values must not be overwritten
        conflicts = _form_conflicts("admin.p_base", _SETTING_LABELS)
        changed = {name: ss[key] for name, key in PRIVACY_FIELDS
                   if ss[key] != base[name] and name not in conflicts}  # fmt: skip
        try:
            set_settings(store, study, **changed)
        except AllianceSurveyError as exc:
            _settings_refused(exc)
        else:
            if changed or not conflicts:
                st.success("Privacy settings saved." if changed else
                           "Nothing was changed: the form shows the saved settings.")
    if not get_settings(store, study).privacy_complete:
        st.warning("The privacy notice is incomplete: respondents see 'not stated' for the "
                   "missing parts.")  # fmt: skip

    st.subheader("Preview")
    st.caption("Walk the live survey as a respondent would; the answers are stored as a test "
               "response, left out of exports, analyses and response rates.")  # fmt: skip
    if st.button("Start a preview", key="admin.preview"):
        from instruments.fieldwork.invitations import create_invitations

        inv = create_invitations(store, study, 1, partner_name="Preview Partner Ltd",
                                 test=True)[0]  # fmt: skip
        ss["admin.preview_link"] = inv.link(base_url)
    if ss.get("admin.preview_link"):
        st.link_button("Open the preview", ss["admin.preview_link"])
        st.code(ss["admin.preview_link"], language=None)
    if st.button("Delete all test responses", key="admin.delete_tests"):
        n = delete_test_responses(store, study, actor="study lead", channel="admin")
        ss.pop("admin.preview_link", None)  # its link is closed now: not offered again
        ss["admin.tests_message"] = f"{plural(n, 'test response')} deleted."
        st.rerun()
    if "admin.tests_message" in ss:
        st.success(ss.pop("admin.tests_message"))

    st.subheader("Delete a response on request")
    st.caption("For a respondent who asks by e-mail: paste their personal link or its token. "
               "The link then says that the study team deleted the answers as asked.")
    if ss.pop("admin.delete_sure_reset", False):
        ss["admin.delete_sure"] = False  # each deletion is confirmed afresh
    with st.form("admin_delete_token", enter_to_submit=False):  # a deletion needs a click
        raw = st.text_input("Link or token", key="admin.delete_token")
        note = st.text_input("Note for the audit log (no answers)", key="admin.delete_note")
        # as for a deletion under "Act on one respondent": one press deleted at once
        sure = st.checkbox("I understand that the answers are deleted for good",
                           key="admin.delete_sure")  # fmt: skip
        go = st.form_submit_button("Delete this response")
    if go and not sure:
        st.error("Tick the box to confirm the deletion; nothing was deleted.")
    elif go:
        from instruments.store.tokens import InvitationClosedError

        token = token_from_link(raw)
        try:
            done = withdraw(store, token, reason="request", channel="admin",
                            actor=note.strip() or None, study=study)  # fmt: skip
        except InvitationClosedError as exc:
            if exc.reason != "unknown":
                _error(exc)
            else:  # the store's message is the respondent's ("ask the study team ...")
                st.error("No invitation of this study has this link or token; check that "
                         "the whole link was pasted. Nothing was deleted.")
        except AllianceSurveyError as exc:
            _error(exc)
        else:
            ss["admin.delete_message"] = (f"{plural(done.n_answers, 'answer')} deleted; "
                                          "the link is closed.")  # fmt: skip
            ss["admin.delete_sure_reset"] = True
            st.rerun()
    if "admin.delete_message" in ss:
        st.success(ss.pop("admin.delete_message"))
    log = deletion_log(store, study)
    if len(log):
        st.subheader("Audit log of deletions")
        show_table(log)


#: The privacy settings and the keys of the privacy form's fields.
PRIVACY_FIELDS = (
    ("controller", "admin.p_controller"), ("contact", "admin.p_contact"),
    ("purpose", "admin.p_purpose"), ("legal_basis", "admin.p_basis"),
    ("retention", "admin.p_retention"), ("completion_code", "admin.p_code"),
    ("redirect_url", "admin.p_redirect"),
)  # fmt: skip


def _privacy_form_base(current: Any) -> dict[str, str]:
    """The saved privacy settings the form starts from; fills the form's fields.

    Two study leads may have the tab open at once.  Each form showed the settings as they
    were when it was first drawn, and a save sent every field: the second lead's save put
    back the first lead's contact as its form still showed it (empty).  Now a field shows
    the saved value whenever the settings changed elsewhere, unless this study lead has
    typed something else into it; a save sends only the fields that differ from what was
    saved (see :func:`render_privacy`).
    """
    stored = {name: str(getattr(current, name) or "") for name, _key in PRIVACY_FIELDS}
    return _form_base(stored, PRIVACY_FIELDS, "admin.p_base", labels=_SETTING_LABELS)


def _form_base(stored: dict[str, Any], fields: tuple[tuple[str, str], ...],
               base_key: str, *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Fill a settings form's fields from the saved ``stored`` values; returns them.

    A field not drawn yet (or dropped by Streamlit while another tab was open), or one
    still showing what was saved before, shows what is saved now; a field this study lead
    has typed something else into keeps it.

    Parameters
    ----------
    stored
        The saved value of each setting, by name.
    fields
        The settings' names and the keys of their fields.
    base_key
        Where the session keeps the values the form last started from.
    labels
        The form's label of each setting, to name the fields whose shown value is replaced
        by what another study lead saved meanwhile.

    Returns
    -------
    dict
        ``stored``: a save changes the settings whose fields differ from it.
    """
    ss = st.session_state
    before = ss.get(base_key) or {}
    # a field changed elsewhere since this form was drawn that this study lead has typed
    # something else into: saved as it was, the other study lead's value was overwritten
    # without a word (see :func:`_form_conflicts`)
    ss[f"{base_key}.conflicts"] = {
        name: stored[name] for name, key in fields
        if key in ss and name in before and before[name] != stored[name]
        and ss[key] != before[name] and ss[key] != stored[name]
    }  # fmt: skip
    # a field drawn before that still held what was saved then: Streamlit sends a form's
    # fields only when it is saved, so what this study lead may have typed into it and not
    # saved is not known here, and is replaced in the browser by the value below.  That
    # used to happen without a word; the study lead is now told which fields, and what
    # they showed before
    replaced = {
        name: before[name] for name, key in fields
        if key in ss and name in before and before[name] != stored[name]
        and ss[key] == before[name]
    }  # fmt: skip
    for name, key in fields:
        if key not in ss or (before != stored and ss[key] == before.get(name)):
            ss[key] = stored[name]
    ss[base_key] = stored
    if replaced:
        labels = labels or {}

        def shown(value: Any) -> str:
            return escape_md(str(value)) if str(value) else "(empty)"

        lines = [f"- {escape_md(labels.get(name, name))}: {shown(stored[name])} "
                 f"(was {shown(value)})" for name, value in replaced.items()]  # fmt: skip
        st.warning("Another study lead saved these settings meanwhile, and the form now shows "
                   "their values:\n\n" + "\n".join(lines) + "\n\nAnything you had typed "
                   "into these fields and not yet saved was replaced: type it again before "
                   "you save.")  # fmt: skip
    return stored


def _form_conflicts(base_key: str, labels: dict[str, str]) -> list[str]:
    """The settings another study lead saved while this one typed a different value into
    the same field (found by :func:`_form_base` in this run); each is named in a warning
    with the value saved meanwhile, and the names are returned (not to be saved now).

    This study lead's entry stays in the form: a second press of Save replaces the other
    value, knowingly."""
    conflicts = st.session_state.get(f"{base_key}.conflicts") or {}
    if conflicts:
        lines = [f"- {escape_md(labels.get(name, name))}: "
                 f"{escape_md(str(value)) if str(value) else '(empty)'}"
                 for name, value in conflicts.items()]  # fmt: skip
        st.warning("Another study lead saved these settings while you were editing them; "
                   "your entries were not saved, so as not to overwrite theirs without a word. "
                   "Saved meanwhile:\n\n" + "\n".join(lines) + "\n\nYour entries are "
                   "still in the form: press Save again to replace the values above.")
    return list(conflicts)


#: The sender settings and the keys of the sender form's fields.
MAIL_FIELDS = (
    ("smtp", "admin.m_smtp"), ("sender", "admin.m_sender"),
    ("lead_name", "admin.m_lead_name"), ("lead_email", "admin.m_lead_email"),
    ("base_url", "admin.m_base_url"), ("password_env", "admin.m_password_env"),
    ("rate_per_minute", "admin.m_rate"),
)  # fmt: skip


def _mail_form_values(current: Any, base_url: str) -> dict[str, Any]:
    """The saved sender settings as the sender form shows them (its defaults before any
    are saved: the app's own address and 60 messages a minute)."""
    if current is None:
        return {"smtp": "", "sender": "", "lead_name": "", "lead_email": "",
                "base_url": base_url, "password_env": "", "rate_per_minute": 60}  # fmt: skip
    return {"smtp": str(current.server), "sender": current.sender,
            "lead_name": current.lead_name, "lead_email": current.lead_email,
            "base_url": current.base_url, "password_env": current.password_env or "",
            "rate_per_minute": int(current.rate_per_minute)}  # fmt: skip


#: The legal bases as the privacy form offers them: the store's codes ("public_interest")
#: and an empty first option had been shown as they are.
LEGAL_BASIS_LABELS = {
    "": "Not stated yet (respondents read \"not stated by the study lead yet\")",
    "consent": "The respondent's consent (Art. 6(1)(a) GDPR)",
    "public_interest": "A task in the public interest: scientific research (Art. 6(1)(e) GDPR)",
    "legitimate_interest": "Legitimate interests in research (Art. 6(1)(f) GDPR)",
}


#: The privacy settings' names in the store's messages and the form's labels for them.
_SETTING_LABELS = {
    "controller": "Controller", "contact": "Contact", "purpose": "Purpose",
    "legal_basis": "Legal basis", "retention": "Retention",
    "completion_code": "Completion code", "redirect_url": "Redirect address",
}  # fmt: skip


def _settings_refused(exc: Exception) -> None:
    """The store's refusal of the privacy settings as a list, each problem under the form's
    label of its field (the store names them as its arguments, "redirect_url=")."""
    first, *problems = str(exc).splitlines()
    items = []
    for line in problems:
        text = line.strip().removeprefix("- ")
        for name, label in _SETTING_LABELS.items():
            if text.startswith(f"{name}="):
                text = f"{label}: " + text[len(name) + 1:].lstrip()
                break
        items.append(f"- {escape_md(text)}")
    st.error(escape_md(first) + ("\n\n" + "\n".join(items) if items else ""))


def token_from_link(raw: str) -> str:
    """The invitation token in a survey link or a bare token as a respondent sends it by
    e-mail: in angle brackets or quotes, with a full stop after it, with the page number
    before the token (``?p=3&t=...``, the address bar's form) or ``&amp;`` from an HTML
    mail."""
    from urllib.parse import parse_qs, urlsplit

    text = raw.strip().strip("<>\"'()[]«»„“”‘’").rstrip(".,;:!?>)\"'”’»").strip()
    if "t=" not in text:
        return text
    query = urlsplit(text).query or text.split("?", 1)[-1]
    values = parse_qs(query.replace("&amp;", "&")).get("t")
    return values[0].strip() if values else text


def _render_people(store: Any, study: str, base_url: str) -> None:
    render_respondents(store, study)
    render_respondent_actions(store, study)


def _render_analysis(store: Any, study: str, base_url: str) -> None:
    from instruments.ui.analyst import render_analyst

    render_analyst(store, study)


#: What each of :data:`TABS` shows, called with ``(store, study, base_url)``.
_TAB_PAGES = (
    lambda store, study, base_url: render_dashboard(store, study),
    _render_people,
    render_mail,
    render_invitations,
    lambda store, study, base_url: render_exports(store, study),
    render_privacy,
    _render_analysis,
)
