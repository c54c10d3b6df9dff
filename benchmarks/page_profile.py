"""Where a survey page's time goes: one respondent alone, and the browser's own accounts.

``python -m benchmarks.page_profile [--widths 390,1280] [--think 1]``

The floor under :mod:`benchmarks.page_bench`: the same survey, answered by the survey bot
in one headless Chromium with nothing else on the app (SQLite), timed the same way (from
the click on the page's button until the next page's last question is laid out and two
more frames are drawn).  Around each press, Chromium's DevTools performance counters
(``Performance.getMetrics``) give what the browser spent: running the page's JavaScript
(Streamlit's front end building the new page), recalculating styles, layout, and all
its main-thread tasks together.  A least-squares line of the press time and of the
script time against the number of questions on the new page says what each question
costs and what a page costs whatever it holds.

Printed per width: p50 and p95 of the press time, the medians of the browser's
accounts, the two lines, and a SUMMARY line.  The budget is the page benchmark's (p95
under 300 ms with 10 respondents at once); one respondent alone is the best that can be
had on this machine with this front end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import load_average
from benchmarks.page_bench import _PRESS_JS, PAGE_P95_BUDGET_MS, _driver, _fill

#: DevTools counters read around each press (seconds, turned into milliseconds).
COUNTERS = {"ScriptDuration": "script", "RecalcStyleDuration": "style",
            "LayoutDuration": "layout", "TaskDuration": "tasks"}


def _counters(driver: Any) -> dict[str, float]:
    got = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return {m["name"]: float(m["value"]) for m in got if m["name"] in COUNTERS}


def walk(width: int, think: float = 1.0) -> list[dict[str, Any]]:
    """One respondent answering the whole survey at ``width`` px: a row per press."""
    from instruments.fieldwork.invitations import create_invitations, create_study
    from instruments.store import ResponseStore
    from instruments.ui.fields import page_fields
    from instruments.ui.respondent import widget_key
    from tests.ui.survey_bot import plan_answers, plan_so_far
    from tests.ui.test_browser import key_css, running_app, wait_for

    folder = Path(tempfile.mkdtemp(prefix="pageprofile-"))
    url = f"sqlite:///{folder / 'pages.sqlite'}"
    store = ResponseStore(url)
    rows: list[dict[str, Any]] = []
    driver = None
    try:
        create_study(store, "pages")
        token = create_invitations(store, "pages", n=1, language="en")[0].token
        with running_app(url, folder) as base:
            driver = _driver(width)
            driver.execute_cdp_cmd("Performance.enable", {})
            driver.get(f"{base}/?t={token}")
            wait_for(driver, key_css(widget_key("consent", "consent")))
            state = store.state(token)
            plan = plan_answers(store, seed=state.seed, rng_seed=0, skip_optional=False)
            pages = [p.id for p in store.pages if p.id in plan]

            def fields(page: str) -> list:
                return page_fields(store, page, seed=state.seed, lang="en", partner=None,
                                   answers=plan_so_far(plan, page))  # fmt: skip

            for i, page in enumerate(pages):
                _fill(driver, page, fields(page), plan[page])
                time.sleep(think)
                label = "Start the survey" if i == 0 else (
                    "Finish" if i == len(pages) - 1 else "Next")
                if i + 1 < len(pages):
                    following = fields(pages[i + 1])
                    css, text = key_css(widget_key(pages[i + 1], following[-1].id)), None
                else:
                    following, css, text = [], None, "Thank you!"
                before = _counters(driver)
                ms = driver.execute_async_script(_PRESS_JS, label, css, text, 30_000)
                if ms < 0:
                    raise RuntimeError(f"page {page}: the next page did not arrive ({ms})")
                time.sleep(0.3)  # let the last frames' tasks be counted
                after = _counters(driver)
                row = {"page": pages[i + 1] if i + 1 < len(pages) else "thank-you",
                       "questions": len(following), "ms": float(ms)}
                row |= {short: 1000.0 * (after[k] - before[k]) for k, short in COUNTERS.items()}
                rows.append(row)
    finally:
        if driver is not None:
            driver.quit()
            shutil.rmtree(driver.profile_dir, ignore_errors=True)
        store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def line(rows: list[dict[str, Any]], key: str) -> tuple[float, float]:
    """Intercept and slope (ms per question) of ``key`` against the questions on the page."""
    x = np.array([r["questions"] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def describe(width: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ms = np.array([r["ms"] for r in rows])
    out: dict[str, Any] = {"width": width, "presses": len(rows),
                           "p50_ms": float(np.percentile(ms, 50)),
                           "p95_ms": float(np.percentile(ms, 95)), "max_ms": float(ms.max()),
                           "worst_page": max(rows, key=lambda r: r["ms"])["page"]}
    for short in COUNTERS.values():
        out[f"{short}_median_ms"] = float(np.median([r[short] for r in rows]))
    out["press_line"] = line(rows, "ms")
    out["script_line"] = line(rows, "script")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", default="390,1280", help="Window widths in px.")
    ap.add_argument("--think", type=float, default=1.0,
                    help="Seconds between a page filled and its button pressed.")
    a = ap.parse_args(argv)
    try:
        widths = tuple(int(w) for w in a.widths.split(",") if w.strip())
    except ValueError:
        ap.error("--widths must be a comma list of whole numbers of pixels.")
    if not widths or min(widths) < 320 or a.think < 0:
        ap.error("--widths must name widths of at least 320 px and --think be at least 0.")
    load0 = load_average()
    parts = []
    for width in widths:
        rows = walk(width, a.think)
        for r in rows:
            print(f"{width} px {r['page']:<22} {r['questions']:>3} questions {r['ms']:6.0f} ms "
                  f"(script {r['script']:.0f}, style {r['style']:.0f}, layout "
                  f"{r['layout']:.0f}, all tasks {r['tasks']:.0f} ms)", flush=True)
        d = describe(width, rows)
        (a0, b0), (a1, b1) = d["press_line"], d["script_line"]
        print(f"{width} px: p50 {d['p50_ms']:.0f} ms, p95 {d['p95_ms']:.0f} ms, max "
              f"{d['max_ms']:.0f} ms ({d['worst_page']}); medians: script "
              f"{d['script_median_ms']:.0f} ms, style {d['style_median_ms']:.0f} ms, layout "
              f"{d['layout_median_ms']:.0f} ms, all tasks {d['tasks_median_ms']:.0f} ms; "
              f"press = {a0:.0f} ms + {b0:.1f} ms per question, script = {a1:.0f} ms + "
              f"{b1:.1f} ms per question", flush=True)
        parts.append(f"{width} px p95 {d['p95_ms']:.0f} ms (script median "
                     f"{d['script_median_ms']:.0f} ms, {b1:.1f} ms per question)")
    print("SUMMARY survey pages, one respondent alone (SQLite): " + "; ".join(parts)
          + f" (the 10-respondent budget is p95 < {PAGE_P95_BUDGET_MS:.0f} ms); load "
          f"{load0:.1f} -> {load_average():.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
