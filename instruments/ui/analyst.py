"""The analyst's pages of the study lead's dashboard: the live study's analysis and report.

Reached from the study lead's pages (tab "Analysis", behind the study password).
Data come from the store's wide view (completed responses); the analysis is
:func:`analysis.study.pipeline.analyze_study` through :func:`analysis.report.build_report`;
this module only shows the results and offers the report for download.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from analysis.errors import AllianceSurveyError
from instruments.fieldwork.invitations import fieldwork_figures

#: Fewer completed responses than this: the analysis is not offered.
MIN_RESPONSES = 10


def study_report(store: Any, study: str, *, seed: int, bootstrap: int,
                 estimator: str = "MLR") -> tuple[str, dict[str, Any]]:
    """Analyse the live study (completed responses) and build its HTML report.

    Returns
    -------
    (str, dict)
        The report and the analysis it shows.

    Raises
    ------
    analysis.errors.DataError
        With fewer than :data:`MIN_RESPONSES` completed responses.
    """
    from analysis.errors import DataError
    from analysis.report import build_report

    data = store.wide(study, completed_only=True)
    if len(data) < MIN_RESPONSES:
        raise DataError(f"Study {study!r} has {len(data)} completed responses; the analysis "
                        f"needs at least {MIN_RESPONSES}.")
    return build_report(data, seed=seed, bootstrap=bootstrap, estimator=estimator,
                        fieldwork=fieldwork_figures(store, study),
                        title=f"Study report: {study}")


def _table(records: Any) -> Any:
    import pandas as pd

    if isinstance(records, Mapping):
        return pd.DataFrame.from_dict(records, orient="index")
    return pd.DataFrame.from_records(records)


def render_analyst(store: Any, study: str) -> None:
    """Render the analysis tab: fieldwork, reliability, fit, hypotheses, path diagram, report."""
    ss = st.session_state
    fw = fieldwork_figures(store, study)
    cols = st.columns(4)
    cols[0].metric("Invitations", fw.get("n_invitations", 0))
    cols[1].metric("Completed", fw.get("n_completed", 0))
    rate = fw.get("response_rate")
    cols[2].metric("Response rate", "–" if rate is None else f"{100 * rate:.0f} %")
    cols[3].metric("Screened out", fw.get("n_screened_out", 0))
    with st.form("analyst.run"):
        c1, c2 = st.columns(2)
        seed = c1.number_input("Seed", min_value=0, value=20261122, step=1,
                               key="analyst.seed")
        boot = c2.number_input("Bootstrap draws", min_value=0, max_value=5000, value=200,
                               step=100, key="analyst.bootstrap")
        run = st.form_submit_button("Run the analysis", type="primary")
    key = f"analyst.result.{study}"
    if run:
        try:
            with st.spinner("Analysing the study (this can take a few minutes) ..."):
                ss[key] = study_report(store, study, seed=int(seed), bootstrap=int(boot))
        except AllianceSurveyError as exc:
            st.error(str(exc))
            ss.pop(key, None)
    if key not in ss:
        st.info("Run the analysis to see reliability, fit, the hypothesis tests and the "
                "path diagram, and to download the report.")
        return
    html, analysis = ss[key]
    st.download_button("Download the report (HTML)", data=html.encode("utf-8"),
                       file_name=f"{study}_report.html", mime="text/html",
                       key="analyst.download", on_click="ignore")
    st.caption(f"N = {analysis.get('n')} analysed of {analysis.get('n_raw')} responses.")
    st.subheader("Reliability")
    rel = analysis.get("reliability")
    meas = analysis.get("measurement") or {}
    if isinstance(meas, Mapping) and isinstance(meas.get("reliability"), Mapping):
        rel = meas["reliability"]
    if rel:
        st.dataframe(_table(rel))
    else:
        st.write("Not available.")
    st.subheader("Model fit")
    fits = {}
    for part in ("measurement", "structural"):
        f = (analysis.get(part) or {}).get("fit") if isinstance(analysis.get(part), Mapping) \
            else None
        if isinstance(f, Mapping) and f and all(isinstance(v, Mapping) for v in f.values()):
            fits.update({f"{part}: {k}": v for k, v in f.items()})
        elif isinstance(f, Mapping):
            fits[part] = f
    if fits:
        wanted = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"]
        st.dataframe(_table({k: {c: v.get(c) for c in wanted} for k, v in fits.items()}))
    else:
        st.write("Not available.")
    st.subheader("Hypotheses")
    hyps = analysis.get("hypotheses") or []
    if hyps:
        cols_h = ["id", "statement", "model", "estimate", "ci_lower", "ci_upper",
                  "alternative", "pvalue", "pvalue_adjusted", "verdict", "power_sesoi"]
        st.dataframe(_table([{c: h.get(c) for c in cols_h} for h in hyps]), hide_index=True)
    else:
        st.write("Not available.")
    st.subheader("Path diagram")
    svg = _path_svg(html)
    if svg:
        st.html(f'<div style="overflow-x:auto">{svg}</div>')
    else:
        st.write("Not available.")
    for w in analysis.get("warnings") or []:
        st.warning(w)


def _path_svg(html: str) -> str | None:
    """The path diagram's ``<svg>`` element out of the report."""
    start = html.find('<svg xmlns="http://www.w3.org/2000/svg" class="pathdiagram"')
    if start < 0:
        return None
    end = html.find("</svg>", start)
    return html[start:end + len("</svg>")] if end > 0 else None
