"""The analyst's pages of the study lead's dashboard: the live study's analysis and report.

Reached from the study lead's pages (tab "Analysis", behind the study password).
Data come from the store's wide view (completed responses); the analysis is
:func:`analysis.study.pipeline.analyze_study` through :func:`analysis.report.build_report`;
this module only shows the results and offers the report for download.

The analysis runs on a forked child process watched by a worker thread, outside the
Streamlit script run and the server's interpreter, so the page stays responsive and shows
a progress bar; a finished analysis is kept in the store
(:mod:`instruments.store.cache`) under a key of the data fingerprint and the settings,
so a refresh, a second study lead or a rerun on unchanged data shows it at once.  Two
requests for the same key while it runs share one job.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

from analysis.errors import AllianceSurveyError
from instruments.fieldwork.invitations import fieldwork_figures
from instruments.ui.fields import escape_md

#: Modules the first analysis of a server process needs (several seconds of imports):
#: loaded in the background as soon as the study lead's pages import this module, so
#: that pressing "Run the analysis" does not wait for them.
WARM_MODULES = (
    "analysis.study.pipeline", "analysis.study.scoring", "analysis.study.measurement",
    "analysis.study.hypotheses", "analysis.study.latent_model", "analysis.study.dyads",
    "analysis.study.bias", "analysis.study.sample", "analysis.sem", "analysis.stats.validity",
    "analysis.stats.reliability", "analysis.stats.method_variance", "analysis.stats.regression",
    "analysis.report", "analysis.report.figures", "analysis.report.diagram",
    "analysis.report.docx", "scipy.stats", "scipy.optimize",
    "statsmodels.regression.linear_model", "matplotlib.figure", "matplotlib.backends.backend_svg",
)


def _warm_up() -> None:
    """Import :data:`WARM_MODULES` and draw one small figure (loads the font cache).

    Only a head start: whatever fails here fails again, with its message, in the
    analysis itself.
    """
    import importlib

    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - see the docstring
            continue
    try:
        import io

        from matplotlib.figure import Figure

        fig = Figure(figsize=(1, 1), dpi=72)
        fig.subplots().set_title("warm-up")
        fig.savefig(io.StringIO(), format="svg")
    except Exception:  # noqa: BLE001, S110 - see the docstring
        pass


_WARM_THREAD = threading.Thread(target=_warm_up, name="analysis-warm-up", daemon=True)
_WARM_THREAD.start()

#: Height (px) of the frames showing the report's main body and appendix (each scrolls).
MAIN_HEIGHT = 1100

#: On a phone the frames are as tall as most of the screen instead: 1100 px in a screen
#: of 844 left no place to scroll the page itself, and the frame's own scroll bar ran
#: off the bottom of the screen.  Static style rules, no user text.
FRAME_CSS = """
<style>
@media (max-width: 640px) {
  div[class*="st-key-analyst-frame"] div[data-testid="stElementContainer"] {
    height: auto !important; flex: 0 0 auto !important;
  }
  div[class*="st-key-analyst-frame"] iframe { height: 75vh !important; }
}
</style>
"""

#: The switch that shows the report's online appendix under the main body.
APPENDIX_LABEL = "Show the online appendix (every result of the analysis)"

#: Fewer completed responses than this: the analysis is not offered.  The hypothesis
#: tests need as many respondents after the data-quality exclusions
#: (analysis.study.hypotheses.MIN_RESPONDENTS, not imported here: it would load the
#: analysis with every page); with 10 to 29 the tab offered an analysis that always failed.
MIN_RESPONSES = 30


def study_report(store: Any, study: str, *, seed: int, bootstrap: int,
                 estimator: str | None = None) -> tuple[str, dict[str, Any]]:
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
    _WARM_THREAD.join()  # as in start_analysis
    from analysis.report import build_report
    from analysis.study.pipeline import DEFAULT_ESTIMATOR

    data = store.wide(study, completed_only=True)
    if len(data) < MIN_RESPONSES:
        raise _too_few(study, len(data))
    return build_report(data, seed=seed, bootstrap=bootstrap,
                        estimator=estimator or DEFAULT_ESTIMATOR,
                        fieldwork=fieldwork_figures(store, study),
                        title=f"Study report: {study}")


#: Progress messages of the analysis in the order the pipeline sends them (the bar moves
#: one step per message; the report is the last step).
STAGES = ("Scoring", "Reliability", "Measurement", "Hypothesis", "Dyadic", "Writing")


def cache_key(data_sha256: str, settings: Mapping[str, Any],
              fieldwork: Mapping[str, Any] | None = None) -> str:
    """Key of a cached analysis: the data fingerprint, the settings, the versions of the
    software and the hypotheses that made it, and the fieldwork figures its report shows
    (a new invitation changes the response rate without changing the data)."""
    from analysis.study.hypotheses import hypotheses_sha256

    parts = {"data": data_sha256, "settings": dict(settings), "versions": dict(_versions()),
             "hypotheses": hypotheses_sha256(), "fieldwork": dict(fieldwork or {})}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@functools.cache
def _versions() -> dict[str, str | None]:
    """The versions of the analysis's packages, read once per server process (tens of
    milliseconds of package metadata on every opening of the tab otherwise; the code a
    running server analyses with does not change when a package is upgraded under it)."""
    from analysis.provenance import ANALYSIS_PACKAGES, package_versions

    return package_versions(ANALYSIS_PACKAGES)


@dataclass
class AnalysisJob:
    """A study analysis running in a worker thread (shared by every session asking for it)."""

    key: str
    fraction: float = 0.0
    message: str = "Starting ..."
    result: tuple[str, dict[str, Any]] | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    thread: threading.Thread | None = None
    #: the store's data marker when the data were read (None: they changed meanwhile)
    marker: str | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


# one process-wide registry of running analyses (the Streamlit server runs every
# session's script in threads of one process): guarded by _JOBS_LOCK
_JOBS: dict[str, AnalysisJob] = {}
_JOBS_LOCK = threading.Lock()


def _run_job(job: AnalysisJob, store: Any, study: str, data: Any, sha: str,
             settings: dict[str, Any], fieldwork: dict[str, Any],
             marker_key: str | None) -> None:
    from analysis.forked import Forked
    from analysis.report import build_report
    from instruments.store import cache

    def progress(msg: str) -> None:
        step = next((i for i, s in enumerate(STAGES) if msg.startswith(s)), None)
        if step is not None:
            job.fraction = max(job.fraction, (step + 1) / (len(STAGES) + 1))
        job.message = msg

    try:
        # on a forked child process (where fork is available): this thread only waits
        # and passes on the progress messages, so the analysis does not share the
        # interpreter with the server's threads (1.5 s of the demo study's 12.7 s)
        html, analysis = Forked(build_report, data, fieldwork=fieldwork,
                                title=f"Study report: {study}", data_sha256=sha,
                                on_progress=progress, **settings).result()
        job.seconds = time.perf_counter() - job.started
        cache.put(store, study, job.key, report_html=html, analysis=analysis,
                  data_sha256=sha, settings=settings, seconds=job.seconds,
                  marker_key=marker_key)
        job.result = (html, analysis)
        job.fraction, job.message = 1.0, "Done."
    except AllianceSurveyError as exc:
        job.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - shown to the study lead, never a traceback
        job.error = f"The analysis failed unexpectedly ({type(exc).__name__}: {exc})."
    finally:
        with _JOBS_LOCK:
            if _JOBS.get(job.key) is job:
                del _JOBS[job.key]


def start_analysis(store: Any, study: str, *, seed: int, bootstrap: int,
                   estimator: str | None = None) -> AnalysisJob:
    """The cached analysis of the study's completed responses, or a job computing it.

    Returns a finished job at once when the store holds the analysis for this data and
    these settings; otherwise the running job for the same key, or a new one in a worker
    thread.

    The store's data marker (:func:`instruments.store.cache.data_marker`, a few indexed
    reads) finds the analysis last shown for unchanged data without laying the study out;
    when it has changed, the data are read and fingerprinted, and the result is found or
    made under the data fingerprint.

    Raises
    ------
    analysis.errors.DataError
        With fewer than :data:`MIN_RESPONSES` completed responses.
    """
    # the analysis's modules are imported by the warm-up thread or not at all: two threads
    # importing the same package graph from different ends could wait for each other
    _WARM_THREAD.join()
    from analysis.study.pipeline import data_sha256
    from instruments.store import cache

    settings = _settings(seed, bootstrap, estimator)
    fieldwork = fieldwork_figures(store, study)
    marker, marker_key, hit = _by_marker(store, study, settings, fieldwork)
    if hit is not None:
        return hit
    data = store.wide(study, completed_only=True)
    if len(data) < MIN_RESPONSES:
        raise _too_few(study, len(data))
    # the marker names these data only if nothing was stored while they were read
    if cache.data_marker(store, study) != marker:
        marker = marker_key = None
    sha = data_sha256(data)
    key = cache_key(sha, settings, fieldwork)
    hit = cache.get(store, key)
    if hit is not None:
        if marker_key is not None:
            cache.mark(store, key, marker_key)
        return _cached_job(key, hit, marker)
    with _JOBS_LOCK:
        job = _JOBS.get(key)
        if job is None:
            job = AnalysisJob(key=key, marker=marker)
            job.thread = threading.Thread(
                target=_run_job, name=f"analysis-{study}",
                args=(job, store, study, data, sha, settings, fieldwork, marker_key),
                daemon=True,
            )  # fmt: skip
            _JOBS[key] = job
            job.thread.start()
    return job


def _cached_job(key: str, hit: Any, marker: str | None) -> AnalysisJob:
    return AnalysisJob(key=key, fraction=1.0, message="From the cache.",
                       result=(hit.report_html, hit.analysis), seconds=0.0, marker=marker)


def _settings(seed: int, bootstrap: int, estimator: str | None) -> dict[str, Any]:
    """The settings an analysis is made and cached with: the same analysis as the `report`
    command unless an estimator is asked for (the measurement model by MLR + FIML over the
    instrument's 60-odd items takes many minutes where the ordinal default takes well
    under one)."""
    from analysis.study.pipeline import DEFAULT_ESTIMATOR

    return {"seed": int(seed), "bootstrap": int(bootstrap),
            "estimator": estimator or DEFAULT_ESTIMATOR}


def _by_marker(store: Any, study: str, settings: Mapping[str, Any],
               fieldwork: Mapping[str, Any]) -> tuple[str, str, AnalysisJob | None]:
    """The store's data marker now, the cache key it gives with these settings, and the
    finished analysis found under that key (None when there is none)."""
    from instruments.store import cache

    marker = cache.data_marker(store, study)
    marker_key = cache_key(f"marker:{marker}", settings, fieldwork)
    hit = cache.find(store, marker_key)
    return marker, marker_key, None if hit is None else _cached_job(marker_key, hit, marker)


def _too_few(study: str, n: int) -> Exception:
    """The refusal for a study with fewer than :data:`MIN_RESPONSES` completed responses."""
    from analysis.errors import DataError
    from instruments.fieldwork.cockpit import plural

    return DataError(f"Study {study!r} has {plural(n, 'completed response')}; the analysis "
                     f"needs at least {MIN_RESPONSES} (the hypothesis tests need "
                     f"{MIN_RESPONSES} respondents after the data-quality exclusions).")


def cached_analysis(store: Any, study: str, *, seed: int, bootstrap: int,
                    estimator: str | None = None,
                    fieldwork: Mapping[str, Any] | None = None) -> AnalysisJob | None:
    """The finished analysis with these settings if the study's data have not changed
    since it was shown (found by the store's data marker, without reading the data);
    otherwise None.  What the tab shows on opening, before anything is pressed.

    ``fieldwork`` is the study's :func:`fieldwork_figures` when the caller has them
    already (read from the store otherwise)."""
    settings = _settings(seed, bootstrap, estimator)
    if fieldwork is None:
        fieldwork = fieldwork_figures(store, study)
    return _by_marker(store, study, settings, fieldwork)[2]


def render_analyst(store: Any, study: str) -> None:
    """Render the analysis tab: fieldwork, the report's main body with its figures, the
    online appendix one click away, the downloads."""
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
    from instruments.store.rights import erasure_mark

    key = f"analyst.result.{study}"
    job_key = f"analyst.job.{study}"
    # the study's latest erasure when the data of the analysis were read: an analysis made
    # before a respondent's answers were erased is not offered after it
    erased_key = f"{key}.erasure"
    if run:
        ss.pop(key, None)
        ss[f"{job_key}.erasure"] = erasure_mark(store, study)
        try:
            ss[job_key] = start_analysis(store, study, seed=int(seed), bootstrap=int(boot))
        except AllianceSurveyError as exc:
            st.error(escape_md(str(exc)))  # it quotes the study's name as typed
            ss.pop(job_key, None)
            return  # not also "Run the analysis to see ...", which it cannot yet
    job = ss.get(job_key)
    if job is not None and not job.done:
        _progress(job)
        return
    # the store's data marker when this run read it (the analysis was found by it)
    marker_now = None
    mark_read = ss.get(f"{job_key}.erasure")
    if job is None and key not in ss and not run:
        mark_read = erasure_mark(store, study)
        # opening the tab (a refresh, a second study lead): the analysis already made for
        # these data and settings is shown at once
        try:
            job = cached_analysis(store, study, seed=int(seed), bootstrap=int(boot),
                                  fieldwork=fw)
        except AllianceSurveyError:
            job = None
        marker_now = None if job is None else job.marker
    if job is not None:
        ss.pop(job_key, None)
        if job.error:
            st.error(escape_md(job.error))
        else:
            ss[key] = job.result
            ss[f"{key}.marker"] = job.marker
            ss[erased_key] = mark_read
        ss.pop(f"{job_key}.erasure", None)
    if key in ss and erased_key in ss and ss[erased_key] != erasure_mark(store, study):
        for stale in (key, f"{key}.marker", erased_key):
            ss.pop(stale, None)
        st.info("A response was withdrawn or deleted since this analysis was made, so it "
                "was discarded: press \"Run the analysis\" to make it again.")
        return
    if key not in ss:
        st.info("Run the analysis to see reliability, fit, the hypothesis tests and the "
                "path diagram, and to download the report.")
        return
    html, analysis = ss[key]
    if f"{key}.marker" in ss and marker_now is None:
        from instruments.store.cache import data_marker

        if ss[f"{key}.marker"] != data_marker(store, study):
            st.info("Responses have been stored or excluded since this analysis "
                    "was made: press \"Run the analysis\" to bring it up to date.")
    # both files are made when they are asked for, not sent with every run of the tab (the
    # report is 2.5 MB for the demo study; the Word file takes seconds)
    st.download_button("Download the report (HTML)",
                       data=functools.partial(str.encode, html, "utf-8"),
                       file_name=f"{study}_report.html", mime="text/html",
                       key="analyst.download", on_click="ignore")
    st.download_button("Download the tables (Word)", data=functools.partial(_docx_bytes, html),
                       file_name=f"{study}_tables.docx",
                       mime="application/vnd.openxmlformats-officedocument."
                       "wordprocessingml.document",
                       key="analyst.download_docx", on_click="ignore")
    # n_raw is at least MIN_RESPONSES here: always a plural
    st.caption(analysed_line(analysis))
    warnings = list(analysis.get("warnings") or [])
    if analysis.get("n") is None:
        # a failed analysis: said before the report, which has little to show, and not
        # only under it after a screen of "Not available"
        for w in warnings:
            st.error(escape_md(w))
    elif warnings:
        # one note above the report and the list one click away: a small study's two dozen
        # warnings were two dozen yellow boxes under the report, where nobody scrolls
        from instruments.fieldwork.cockpit import plural

        st.warning(f"The analysis gave {plural(len(warnings), 'warning')} (unreliable "
                   "scales, improper or unfitted models, tests not made): read them before "
                   "the results.")  # fmt: skip
        with st.expander(f"The {plural(len(warnings), 'warning')}"):
            st.markdown("\n".join(f"- {escape_md(w)}" for w in warnings))
    from analysis.report import lazy_figures, report_parts

    main, appendix = report_parts(html)
    st.subheader("Results")
    # the main body as the report renders it (APA tables, the path diagram, the figures):
    # in a frame, because Streamlit's HTML sanitiser drops inline SVG; its figures are
    # drawn once the tables are shown (they are two thirds of its half megabyte)
    st.markdown(FRAME_CSS, unsafe_allow_html=True)
    with st.container(key="analyst-frame-main"):
        components.html(lazy_figures(main), height=MAIN_HEIGHT, scrolling=True)
    # the appendix (three times the main body: 1.7 MB for the demo study) is sent to the
    # browser only when asked for, not with every run of the study lead's pages
    if st.toggle(APPENDIX_LABEL, key="analyst.appendix"):
        with st.container(key="analyst-frame-appendix"):
            components.html(lazy_figures(appendix), height=MAIN_HEIGHT, scrolling=True)


def analysed_line(analysis: Mapping[str, Any]) -> str:
    """How many responses the analysis used, for the line above the report."""
    n, n_raw = analysis.get("n"), analysis.get("n_raw")
    if n is None:
        return f"No results: the analysis could not be made with the {n_raw} completed responses."
    return f"N = {n} analysed of {n_raw} responses."


@st.fragment(run_every=0.25)
def _progress(job: AnalysisJob) -> None:
    """Progress of a running analysis; reruns the page when it is finished (looked at
    four times a second: the results appear at most a quarter of a second late)."""
    if job.done:
        st.rerun()
    st.progress(job.fraction, text=f"{job.message} ({time.perf_counter() - job.started:.0f} s)")


@st.cache_data(show_spinner=False, max_entries=8)
def _docx_bytes(html: str) -> bytes:
    """The report's main-body tables as a Word document (cached per report)."""
    import io

    from analysis.report.docx import write_docx

    buf = io.BytesIO()
    write_docx(html, buf)
    return buf.getvalue()
