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


def test_the_ordinal_statistics_name_a_non_numeric_cell_as_everywhere_else() -> None:
    # hostile round 16 gave every refusal of non-numeric data one message (row, value,
    # hint); the ordinal statistics kept their own ("has non-numeric values (e.g. ...)"
    # and, for a continuous column beside ordered ones, no cell at all)
    import numpy as np
    import pandas as pd
    import pytest

    from analysis.errors import DataError
    from analysis.sem.ordinal import ordinal_sample_stats

    rng = np.random.default_rng(5)
    data = pd.DataFrame({f"x{k}": rng.integers(1, 5, size=60) for k in range(1, 4)})
    data["z"] = rng.normal(size=60)
    text = data.assign(x2=data["x2"].astype(object).where(data.index != 6, "3,5"))
    with pytest.raises(DataError, match=r"data row 7 holds '3,5'.*decimal comma"):
        ordinal_sample_stats(text, ["x1", "x2"])
    cont = data.assign(z=data["z"].astype(object).where(data.index != 2, "\u22121.5"))
    with pytest.raises(DataError, match=r"data row 3 holds '\u22121.5' \(U\+2212 MINUS SIGN\)"):
        ordinal_sample_stats(cont, ["x1", "x2", "z"], continuous=["z"])


def test_an_n_far_beyond_any_study_is_said_as_more_than_in_the_results() -> None:
    # review 16: "the least powerful would need N = 449638 (H7)", an extrapolation from one
    # standard error with six digits of precision it lacks; the figure stays in the power
    # appendix table with its pointer
    from analysis.report.sections import narrative
    from analysis.report.sections.common import ReportContext
    from tests.report._reading import report_text

    a = fixture_analysis()
    conf = [i for i, h in enumerate(a["hypotheses"]) if not h.get("exploratory")][:2]
    for i, p in zip(conf, (0.05, 0.55), strict=True):
        a["hypotheses"][i]["power_sesoi"] = p
    curves = [{"id": a["hypotheses"][i]["id"], "n": 84, "power_sesoi": [0.1, 0.2],
               "power_observed": [0.1, 0.2], "n_target_sesoi": n, "n_target_observed": 90,
               "note": ""} for i, n in zip(conf, (449638, 300), strict=True)]
    a["power_curves"] = {"available": True, "alpha": 0.05, "sides": 1, "target": 0.8,
                         "ns": [100, 200], "hypotheses": curves}
    text = report_text(narrative.results(ReportContext(a, {})))
    assert f"would need more than 100,000 respondents ({curves[0]['id']})" in text
    assert "449638" not in text
    html = render_html(a, parallel=False)
    assert 'data-key="/power_curves/hypotheses/0/n_target_sesoi"' in html
    assert "449638" in html
