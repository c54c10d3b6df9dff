"""The analyst's tab of the study lead's pages (Streamlit AppTest, no browser)."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.report.fixture_analysis import fixture_analysis
from tests.ui.conftest import APP, PASSWORD, STUDY, db_url, store  # noqa: F401 - fixtures
from tests.ui.survey_bot import click, open_tab

TIMEOUT = 60


def _login() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["admin"] = "1"
    at.query_params["study"] = STUDY
    at.run()
    at.text_input(key="admin.login_password").input(PASSWORD)
    click(at, "Log in")
    return open_tab(at, "Analysis")


def test_analysis_tab_says_when_there_are_too_few_responses(store) -> None:  # noqa: F811
    at = _login()
    assert any(t.label == "Analysis" for t in at.tabs)
    click(at, "Run the analysis")
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "0 completed responses" in errors and "at least 30" in errors


def test_analysis_tab_shows_results_and_the_download(store) -> None:  # noqa: F811
    from analysis.report import render_html

    at = _login()
    analysis = fixture_analysis()
    at.session_state[f"analyst.result.{STUDY}"] = (render_html(analysis), analysis)
    at.run()
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert "Results" in heads
    labels = [b.label for b in at.get("download_button")]
    assert "Download the report (HTML)" in labels and "Download the tables (Word)" in labels
    from instruments.ui.analyst import APPENDIX_LABEL

    frames = at.get("iframe")
    assert len(frames) == 1, "the main body; the appendix only when asked for"
    main = frames[0].proto.srcdoc
    # the main body with its path diagram and the verdict table, the appendix apart
    assert 'class="pathdiagram"' in main and 'class="apa verdicts"' in main
    assert "Table A1" not in main
    assert all(h["id"] in main for h in analysis["hypotheses"])
    at.toggle(key="analyst.appendix").set_value(True).run()
    assert not at.exception
    assert [t.label for t in at.toggle] == [APPENDIX_LABEL]
    frames = at.get("iframe")
    assert len(frames) == 2 and frames[0].proto.srcdoc == main
    assert "Table A1" in frames[1].proto.srcdoc


def test_analysis_tab_opens_with_the_cached_analysis_and_says_when_data_changed(
        store) -> None:  # noqa: F811
    """A refresh or a second study lead sees the analysis already made for unchanged data
    without pressing anything; once responses change, the tab says the results are out of
    date."""
    from analysis.report import render_html
    from analysis.study.pipeline import DEFAULT_ESTIMATOR
    from instruments.fieldwork.invitations import create_invitations, fieldwork_figures
    from instruments.store import cache
    from instruments.ui.analyst import cache_key

    analysis = fixture_analysis()
    settings = {"seed": 20261122, "bootstrap": 200, "estimator": DEFAULT_ESTIMATOR}
    marker = cache.data_marker(store, STUDY)
    cache.put(store, STUDY, "f" * 64, report_html=render_html(analysis), analysis=analysis,
              data_sha256="0" * 64, settings=settings, seconds=1.0,
              marker_key=cache_key(f"marker:{marker}", settings,
                                   fieldwork_figures(store, STUDY)))  # fmt: skip
    at = _login()
    assert not at.exception
    assert "Results" in [h.value for h in at.subheader]
    stale = "since this analysis was made"
    assert not any(stale in i.value for i in at.info)
    create_invitations(store, STUDY, 1)
    at.run()
    assert "Results" in [h.value for h in at.subheader]
    assert any(stale in i.value for i in at.info)


def test_study_report_reads_the_wide_view_and_fieldwork(monkeypatch: pytest.MonkeyPatch,
                                                        small_data: Any) -> None:
    import analysis.report as report
    from instruments.ui import analyst

    calls: dict[str, Any] = {}

    class FakeStore:
        def wide(self, study: str, *, completed_only: bool = False) -> Any:
            calls["wide"] = (study, completed_only)
            return small_data

    def fake_build(data: Any, **kwargs: Any) -> tuple[str, dict]:
        calls["build"] = (len(data), kwargs)
        return "<html></html>", {}

    monkeypatch.setattr(analyst, "fieldwork_figures",
                        lambda _store, _study: {"n_invitations": 150, "n_completed": 120})
    monkeypatch.setattr(report, "build_report", fake_build)
    analyst.study_report(FakeStore(), "s1", seed=4, bootstrap=30)
    assert calls["wide"] == ("s1", True)
    n, kwargs = calls["build"]
    assert n == len(small_data)
    assert kwargs["seed"] == 4 and kwargs["bootstrap"] == 30
    assert kwargs["fieldwork"] == {"n_invitations": 150, "n_completed": 120}


def test_fieldwork_goes_into_the_report(fixture_dict: dict, small_data: Any,
                                        instrument: Any) -> None:
    from analysis.report import build_report
    from analysis.report.check import check_report

    fixture_dict.pop("fieldwork")
    html, analysis = build_report(small_data.head(5), analysis=fixture_dict,
                                  instrument=instrument, seed=1,
                                  fieldwork={"n_invitations": 150, "response_rate": 0.8})
    assert analysis["fieldwork"] == {"n_invitations": 150, "response_rate": 0.8}
    assert check_report(html, analysis) == []
    assert 'data-key="/fieldwork/n_invitations"' in html


def test_the_tab_asks_for_as_many_responses_as_the_hypothesis_tests_need():
    """With 10 to 29 completed responses the tab offered an analysis that always failed
    (the hypothesis tests need 30 respondents)."""
    from analysis.study.hypotheses import MIN_RESPONDENTS
    from instruments.ui.analyst import MIN_RESPONSES

    assert MIN_RESPONSES == MIN_RESPONDENTS
