"""The study lead's pages: login, fieldwork dashboard, invitations, exports.

Reached with ``?admin=1`` (optionally ``&study=NAME``).  The password is checked
with :func:`instruments.fieldwork.auth.verify_password` (argon2, throttled); the session
remembers only the study name after a successful login, never the password.
All numbers come from :mod:`instruments.fieldwork.invitations`; this module only shows them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from analysis.errors import AllianceSurveyError


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
    ss = st.session_state
    st.title("Study lead")
    logged_in = ss.get("admin.study")
    if not logged_in:
        _render_login(store, study)
        return
    st.caption(f"Study: {logged_in}")
    if st.button("Log out"):
        ss.pop("admin.study", None)
        st.rerun()
    dashboard, invite, exports, analysis = st.tabs(
        ["Fieldwork", "Invitations", "Exports", "Analysis"])
    with dashboard:
        render_dashboard(store, logged_in)
    with invite:
        render_invitations(store, logged_in, base_url)
    with exports:
        render_exports(store, logged_in)
    with analysis:
        from instruments.ui.analyst import render_analyst

        render_analyst(store, logged_in)


def _client() -> str:
    """What tells this login's client apart for the throttle (hashed before it is stored)."""
    ip = getattr(st.context, "ip_address", None)
    if ip:
        return f"ip:{ip}"
    ss = st.session_state
    if "admin.client" not in ss:
        import secrets

        ss["admin.client"] = "session:" + secrets.token_hex(8)
    return ss["admin.client"]


def _render_login(store: Any, study: str | None) -> None:
    from instruments.fieldwork.auth import LoginThrottledError, verify_password

    ss = st.session_state
    with st.form("admin_login"):
        name = st.text_input("Study", value=study or "", key="admin.login_study")
        password = st.text_input("Password", type="password", key="admin.login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    try:
        ok = verify_password(store, name.strip(), password, client=_client())
    except LoginThrottledError as exc:
        st.error(str(exc))
        return
    except AllianceSurveyError as exc:
        st.error(str(exc))
        return
    if not ok:
        st.error("Unknown study or wrong password.")
        return
    ss["admin.study"] = name.strip()
    st.rerun()


def render_dashboard(store: Any, study: str) -> None:
    """Fieldwork: status counts, completion and drop-off per page, times, checks, dyads."""
    from instruments.fieldwork.invitations import (
        attention_failures,
        dyad_status,
        fieldwork_summary,
        page_progress,
        status_counts,
    )

    summary = fieldwork_summary(store, study).iloc[0]
    cols = st.columns(4)
    cols[0].metric("Invitations", int(summary["n_invitations"]))
    cols[1].metric("Started", int(summary["n_started"]))
    cols[2].metric("Completed", int(summary["n_completed"]))
    median = summary["median_duration_sec"]
    cols[3].metric(
        "Median time", "–" if median != median else f"{median / 60:.1f} min"
    )  # NaN-safe
    st.subheader("Status")
    st.dataframe(status_counts(store, study), hide_index=True)
    st.subheader("Completion and drop-off per page")
    progress = page_progress(store, study)
    if len(progress):
        chart = progress.assign(
            page=[f"{i + 1:02d} {p}" for i, p in zip(progress["page_index"], progress["page"],
                                                       strict=True)]
        ).set_index("page")[["n_submitted", "drop_off"]]  # numbered: the chart keeps page order
        st.bar_chart(chart, stack=False, x_label="page", y_label="respondents")
        st.dataframe(progress, hide_index=True)
    st.subheader("Attention checks")
    st.dataframe(attention_failures(store, study), hide_index=True)
    st.subheader("Dyads")
    dyads = dyad_status(store, study)
    if len(dyads):
        st.write(f"{int(dyads['both_completed'].sum())} of {len(dyads)} dyads complete.")
        st.dataframe(dyads, hide_index=True)
    else:
        st.write("No dyad invitations yet.")


def render_invitations(store: Any, study: str, base_url: str) -> None:
    """Create single or dyad invitations; the links are shown once, right after creation."""
    from instruments.fieldwork.invitations import create_dyads, create_invitations

    langs = list(store.instrument.languages)
    with st.form("admin_invite"):
        kind = st.radio("Kind", ["single", "dyad"], horizontal=True, key="admin.kind")
        n = st.number_input("How many", min_value=1, max_value=500, value=1, step=1)
        partner = st.text_input("Partner name (single invitations)", key="admin.partner")
        language = st.selectbox("Language", langs, key="admin.language")
        expires = st.number_input("Expires after days (0: never)", min_value=0, value=0)
        submitted = st.form_submit_button("Create invitations", type="primary")
    if not submitted:
        return
    try:
        if kind == "dyad":
            pairs = create_dyads(
                store, study, int(n), language=language, expires_days=expires or None
            )
            issued = [inv for pair in pairs for inv in pair]
        else:
            issued = create_invitations(
                store, study, int(n), partner_name=partner.strip() or None,
                language=language, expires_days=expires or None,
            )  # fmt: skip
    except AllianceSurveyError as exc:
        st.error(str(exc))
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
    st.success(
        f"{len(issued)} invitation(s) created. Copy the links now: they are stored only as "
        "hashes and cannot be shown again."
    )
    st.dataframe(links, hide_index=True)
    st.code("\n".join(links["link"]), language=None)


#: Export formats offered on the page: label, format, file suffix, MIME type, Excel-safe.
EXPORTS = (
    ("CSV", "csv", ".csv", "text/csv", False),
    ("CSV for Excel (formulas neutralised)", "csv", "_excel.csv", "text/csv", True),
    ("Parquet", "parquet", ".parquet", "application/octet-stream", False),
    ("SPSS .sav", "sav", ".sav", "application/octet-stream", False),
    ("Answer log (CSV)", "long", "_answers.csv", "text/csv", False),
    ("Codebook (CSV)", "codebook", "_codebook.csv", "text/csv", False),
)


def export_bytes(store: Any, study: str, fmt: str, suffix: str, excel_safe: bool = False) -> bytes:
    """Write one export with :func:`instruments.fieldwork.exports.export` and return its bytes."""
    from instruments.fieldwork.exports import export

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{study}{suffix}"
        export(store, study, fmt, path, excel_safe=excel_safe)
        return path.read_bytes()


def render_exports(store: Any, study: str) -> None:
    """Download buttons for CSV, Parquet, SPSS, the answer log and the codebook."""
    ss = st.session_state
    st.write("Exports hold the latest answer of every respondent (screened-out excluded).")
    if st.button("Prepare exports", key="admin.prepare"):
        try:
            ss["admin.exports"] = {
                suffix: export_bytes(store, study, fmt, suffix, safe)
                for _, fmt, suffix, _, safe in EXPORTS
            }
        except AllianceSurveyError as exc:
            st.error(str(exc))
    files = ss.get("admin.exports")
    if not files:
        return
    for label, _fmt, suffix, mime, _safe in EXPORTS:
        st.download_button(
            f"Download {label}", files[suffix], file_name=f"{study}{suffix}", mime=mime,
            key=f"admin.download{suffix}", on_click="ignore",
        )  # fmt: skip
