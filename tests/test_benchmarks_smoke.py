"""Smoke test of the benchmarks: ``python -m benchmarks.run_all --quick`` (no R, no
PostgreSQL, tiny sizes) runs every part and writes a complete JSON file."""

from __future__ import annotations

import json

import pytest

from benchmarks import run_all


def test_quick_benchmarks_run_and_report(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert run_all.main(["--quick", "--out", str(out)]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    b = res["bootstrap"]
    assert b["ours_identical"] is True
    assert b["ours_serial_s"] > 0 and b["semopy_s"] > 0
    assert "lavaan_s" not in b  # no R in the quick run
    assert {r["hypothesis"] for r in res["power"]["power"]} >= {"H1", "H3"}
    assert (tmp_path / "power_curve.svg").exists()
    (pipe,) = res["pipeline"]
    assert pipe["n"] == 300 and pipe["pipeline_s"] > 0 and pipe["peak_rss_mib"] > 0
    assert set(pipe["stages_s"]) == {"Scoring", "Hypothesis tests"}
    items = res["pipeline_items"]
    assert [r["items"] for r in items] == [10, 20]
    assert all(r["converged"] and r["measurement_s"] > 0 for r in items)
    assert items[1]["statistics"] == 20 * 6 + 190
    growth = res["pipeline_growth"]["items"]
    assert set(growth["stages"]) == {"sample statistics", "estimation"}
    assert growth["time"] == growth["time"]  # not NaN: two item counts were timed
    check = res["load"]["sqlite"]["check"]
    assert check["lost_pages"] == 0 and check["duplicated_pages"] == 0
    assert check["completed"] == check["respondents"] == 4
    assert check["stored_answers"] == check["acknowledged_answers"]
    text = capsys.readouterr().out
    assert "Bootstrap" in text and "power" in text and "Survey load" in text
    assert "by number of items" in text and "growth with items" in text


def test_budget_rows_flag_overruns_and_time_a_real_fit():
    from benchmarks import budgets

    assert budgets.check("a", 2.0, 1.0)["ok"] is False
    assert budgets.check("a", 1.0, 1.0)["ok"] is True
    assert 0 < budgets.compiled_fit(repeats=1) < 60


@pytest.mark.slow
def test_store_burst_benchmark_counts_every_page(capsys):
    # the burst benchmark's own process runs the store and checks integrity
    from benchmarks import store_burst_bench

    assert store_burst_bench.main(["-n", "3", "--no-pg"]) == 0
    text = capsys.readouterr().out
    assert "SUMMARY store burst (3 respondents" in text
    assert "lost 0, duplicated 0" in text and "lost + duplicated pages 0" in text


@pytest.mark.slow
def test_power_replication_benchmark_against_this_revision(capsys):
    # the same revision on both sides: every verdict agrees
    from benchmarks import power_replication_bench

    assert power_replication_bench.main(["--base", "HEAD", "--reps", "4", "--rounds", "1"]) == 0
    text = capsys.readouterr().out
    assert "same verdicts in 4 of 4" in text


@pytest.mark.slow
def test_analysis_tab_benchmark_times_both_displays_in_chromium(capsys):
    # the demo subset the cache tests use (60 respondents, the tab's default draws): the app
    # really builds the report once and then shows it from the store, without a press, as
    # the tab opens after each reload
    from benchmarks import analysis_tab_bench

    assert analysis_tab_bench.main(["--rows", "60", "--repeats", "2"]) == 0
    text = capsys.readouterr().out
    line = next(row for row in text.splitlines() if row.startswith("SUMMARY Analysis tab"))
    assert "(first 60 demo respondents)" in line
    first = float(line.split("first build ")[1].split(" s")[0])
    cached = float(line.split("; cached ")[1].split(" s")[0])
    # a build fits the model and renders the report; showing the cached report does not
    assert 0 < cached < first
    assert "budget 5 s" in line and "budget 1 s" in line and "median of 2" in line


def test_page_profile_line_recovers_cost_per_question():
    # the least-squares line of the page profile: a page costing 100 ms plus 20 ms per
    # question is read back as such, and p95 / medians come from the rows given
    from benchmarks import page_profile

    rows = [{"page": f"p{q}", "questions": q, "ms": 100.0 + 20.0 * q,
             "script": 60.0 + 15.0 * q, "style": 5.0, "layout": 2.0, "tasks": 90.0 + q}
            for q in (0, 2, 5, 9, 16, 25)]
    a, b = page_profile.line(rows, "ms")
    assert a == pytest.approx(100.0) and b == pytest.approx(20.0)
    d = page_profile.describe(1280, rows)
    assert d["script_line"] == pytest.approx((60.0, 15.0))
    assert d["worst_page"] == "p25" and d["max_ms"] == pytest.approx(600.0)
    assert d["style_median_ms"] == pytest.approx(5.0)


@pytest.mark.slow
def test_page_profile_walks_the_survey_in_chromium(capsys):
    # one respondent answers every page at phone width; each press is timed and the
    # browser's script time is counted (a page with questions cannot cost no script)
    from benchmarks import page_profile

    assert page_profile.main(["--widths", "390", "--think", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "SUMMARY survey pages, one respondent alone (SQLite): 390 px p95 " in text
    presses = [row for row in text.splitlines() if row.startswith("390 px ") and "questions" in row]
    assert len(presses) >= 5 and presses[-1].split()[2] == "thank-you"
    scripts = [float(row.split("(script ")[1].split(",")[0]) for row in presses[:-1]]
    assert min(scripts) > 0


def test_analysis_tab_benchmark_refuses_a_kept_store_of_another_instrument_version(tmp_path):
    # session 19's run reused a --folder whose store held the demo study on instrument
    # 2.0.0 while the checkout ran 2.0.1, and waited on the tab for a main body that never
    # came; such a store is now refused before anything is loaded or started
    import sqlite3

    from benchmarks import analysis_tab_bench
    from instruments.fieldwork.invitations import create_study
    from instruments.store import ResponseStore

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    with ResponseStore(url) as store:
        create_study(store, analysis_tab_bench.STUDY)
    with sqlite3.connect(tmp_path / "demo.sqlite") as con:
        con.execute("UPDATE studies SET instrument_version = '1.9.9', "
                    "instrument_hash = 'an-earlier-hash'")
    with pytest.raises(RuntimeError, match=r"version 1\.9\.9.*use a fresh --folder"):
        analysis_tab_bench.load_demo(tmp_path, rows=10)
    assert not (tmp_path / "demo.csv").exists()  # refused before the demo was loaded
    # the store of the current version is not refused by the check
    with sqlite3.connect(tmp_path / "demo.sqlite") as con:
        from instruments.instrument.loader import load_instrument

        inst = load_instrument()
        con.execute("UPDATE studies SET instrument_version = ?, instrument_hash = ?",
                    (inst.version, str(inst.content_hash)))
    assert analysis_tab_bench._kept_store_instrument(url)[2] == str(inst.content_hash)
    # a store without the demo study yet (a fresh folder's) is not one of another version
    assert analysis_tab_bench._kept_store_instrument(f"sqlite:///{tmp_path / 'new.sqlite'}") \
        is None
