"""The report's own step is named in the progress messages (browser walk 10: the app's bar
stood on "Dyadic analysis ..." for the whole 12.8 s the report took to write)."""

from __future__ import annotations

import pandas as pd

from analysis.report import build_report
from instruments.ui.analyst import STAGES
from tests.report.fixture_analysis import fixture_analysis


def test_writing_the_report_is_the_last_message() -> None:
    said: list[str] = []
    html, _ = build_report(pd.DataFrame(), analysis=fixture_analysis(), seed=1,
                           data_sha256="0" * 64, progress=said.append)
    assert said == ["Writing the report (tables and figures) ..."]
    assert html.startswith("<!DOCTYPE html>")
    # the app's progress bar has a stage for it, after the analysis's own
    assert STAGES[-1] == "Writing" and said[-1].startswith(STAGES[-1])
