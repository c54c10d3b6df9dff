"""Session 23's own leftovers of the outside checks (each fails on the code before it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analysis.report.render import render_html
from tests.report.fixture_analysis import fixture_analysis

ROOT = Path(__file__).resolve().parents[1]


def test_a_number_beyond_a_float_in_an_edited_analysis_leaves_the_report_standing() -> None:
    # hostile round 16: an integer of 401 digits where a p-value belongs ended the Python
    # API's report in an OverflowError (the CLI refuses such a file before rendering)
    a = fixture_analysis()
    a["hypotheses"][0]["pvalue"] = 10 ** 400
    html = render_html(a)
    assert "could not be rendered" in html or "is malformed" in html
    assert "<h1" in html


def test_the_power_bar_is_not_written_into_a_log_file(tmp_path: Path) -> None:
    # hostile round 16: without --no-progress the bar went to standard error when it was a
    # file, filling logs with carriage-return lines
    log = tmp_path / "power.log"
    with open(log, "w", encoding="utf-8") as err:
        done = subprocess.run([sys.executable, "-m", "analysis.cli", "power", "--n", "60",
                               "--reps", "2", "--seed", "3"], stdout=subprocess.PIPE,
                              stderr=err, text=True, timeout=600, cwd=ROOT, check=False)
    assert done.returncode == 0, log.read_text(encoding="utf-8")
    assert "Monte Carlo power" in done.stdout
    assert "power replications" not in log.read_text(encoding="utf-8")
