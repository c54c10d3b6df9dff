"""The study lead's Analysis tab in headless Chromium: first build and cached display.

``python -m benchmarks.analysis_tab_bench [--rows N] [--bootstrap B] [--repeats 3]``

The demo study (``data/demo/alliance_demo.csv``, or its first ``--rows`` respondents) is
loaded into a fresh SQLite store by the ``demo`` command, the Streamlit app is started on
a free port, and a headless Chromium at 1280 px logs in as the study lead, opens the
Analysis tab and presses "Run the analysis".  Timed, on the browser's side:

* first build: from the press until the report's main body is painted (its verdict
  table drawn inside the frame that shows the main body, and two more frames rendered);
* cached: the page is reloaded, the study lead logs in and clicks the Analysis tab,
  which shows the analysis already made for the unchanged data without a press; timed
  from the click on the tab until the main body is painted, ``--repeats`` times
  (median).  It also comes with the time from the "Log in" press and from the reload
  itself (typing the password included).

After a timed action the page is looked at every 25 ms, in one call to the browser each
time, so that the figures are not rounded up to the next look.

Loading the demo study walks every respondent through the store page by page (minutes
for the 400 respondents); that setup is not timed.  ``--folder DIR`` keeps the store in
``DIR`` so a second run skips it (the cached analysis is removed first, so the first
build is still a build).  Budgets: :data:`benchmarks.budgets.ANALYSIS_TAB_FIRST_S` and
:data:`benchmarks.budgets.ANALYSIS_TAB_CACHED_S`.  On a shared machine the seconds move
with the load: the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.budgets import ANALYSIS_TAB_CACHED_S, ANALYSIS_TAB_FIRST_S
from benchmarks.common import ROOT, chromium_driver, load_average

DEMO_CSV = ROOT / "data" / "demo" / "alliance_demo.csv"
STUDY = "demo"
WIDTH, HEIGHT = 1280, 1000
#: What marks the report's main body as shown: its verdict table, inside the frame.
MAIN_BODY = "table.verdicts"
RUN_LABEL = "Run the analysis"

# Polls every 25 ms (coarser than a frame would blur sub-second figures) for the main
# body's verdict table in any same-origin frame of the page, then waits two animation
# frames of the page, so the table has been laid out and painted, not only parsed.  It
# gives up after ``arguments[1]`` ms (false) so that no single WebDriver call outlasts the
# driver's HTTP timeout; a build that takes minutes is waited for by calling it again.
# An error shown in the tab (st.error, an exception) is returned as "error: <its text>".
_PAINTED_JS = """
const sel = arguments[0], until = Date.now() + arguments[1];
const done = arguments[arguments.length - 1];
function shown() {
  const err = document.querySelector('[data-testid="stAlertContentError"], [data-testid="stException"]');
  if (err) return 'error: ' + err.innerText;
  for (const f of document.querySelectorAll('iframe')) {
    let d = null;
    try { d = f.contentDocument; } catch (e) { continue; }
    const el = d && d.querySelector(sel);
    if (el && el.getBoundingClientRect().height > 0) return true;
  }
  return false;
}
function tick() {
  const s = shown();
  if (typeof s === 'string') done(s);
  else if (s) requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
  else if (Date.now() > until) done(false);
  else setTimeout(tick, 25);
}
tick();
"""


#: How often (seconds) the benchmark looks for the tab's "Run the analysis" button after
#: the timed click: as often as :data:`_PAINTED_JS` looks for the main body.  Selenium's
#: default of half a second added up to half a second to the cached display's figure,
#: after the main body had been painted.
POLL_S = 0.025

# Whether the page shows a button labelled arguments[0], in one call to the browser (read
# through WebDriver, each button's text is a call of its own, and a button that a re-render
# replaces meanwhile fails the whole look, which is then tried again half a second later).
_HAS_BUTTON_JS = ("return [...document.querySelectorAll('button')]"
                  ".some((b) => b.innerText.trim() === arguments[0]);")


def _kept_store_instrument(url: str) -> tuple[str, str, str] | None:
    """``(instrument id, version, hash)`` of the demo study in a kept store, or None when
    the store has no such study yet."""
    from analysis.errors import AllianceSurveyError
    from instruments.store import ResponseStore

    with ResponseStore(url) as store:
        try:
            return store.study_instrument(STUDY)
        except AllianceSurveyError:
            return None


def load_demo(folder: Path, rows: int | None) -> tuple[str, str]:
    """The demo study in ``folder/demo.sqlite`` (loaded by the ``demo`` command, which adds
    nothing twice); returns ``(database URL, study-lead password)``.

    A store kept in ``folder`` from an earlier instrument version is refused: the app
    serves only the current version's study unless the earlier one is deployed beside it,
    so its Analysis tab would show an error instead of the analysis (session 19's run
    waited on such a store for the main body until it was stopped)."""
    from analysis.cli import main as cli
    from analysis.commands.demo import _read_credentials
    from instruments.instrument.loader import load_instrument
    from instruments.store import ResponseStore, cache

    db = folder / "demo.sqlite"
    if db.exists():
        kept = _kept_store_instrument(f"sqlite:///{db}")
        current = load_instrument()
        if kept is not None and str(kept[2]) != str(current.content_hash):
            raise RuntimeError(
                f"The store kept in {folder} holds the demo study on instrument {kept[0]} "
                f"version {kept[1]}, but this checkout runs version {current.version}: "
                "use a fresh --folder (or delete demo.sqlite there).")

    data = pd.read_csv(DEMO_CSV, dtype={"alliance_id": str, "firm_role": str, "comment": str})
    if rows is not None:
        data = data.head(rows)
    csv = folder / "demo.csv"
    data.to_csv(csv, index=False)
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    credentials = folder / "demo_credentials.txt"
    # the command's own messages (the password, links) are not part of the benchmark's output
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli(["demo", "--db", url, "--no-serve", "--no-summary", "--data", str(csv),
                    "--credentials", str(credentials), "--open-links", "0"])
    if code != 0:
        raise RuntimeError(f"The demo command failed (exit status {code}).")
    password, _ = _read_credentials(credentials)
    if not password:
        raise RuntimeError(f"No study-lead password in {credentials}.")
    with ResponseStore(url) as store:
        # a kept store may hold the analysis from an earlier run: the first build must build
        cache.forget(store, STUDY)
    return url, password


def _driver() -> Any:
    return chromium_driver(WIDTH, HEIGHT, prefix="chromium-tabbench-")


def open_analysis_tab(driver: Any, base: str, password: str) -> tuple[float, float]:
    """Log in as the study lead (if the page asks) and open the Analysis tab; returns the
    ``time.perf_counter()`` of the last thing the study lead did before the dashboard was
    drawn (the "Log in" press, or opening the address when no log-in was asked for) and
    of the click on the tab."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.ui.test_browser import WAIT_SEC, _type, _until, key_css, press, wait_for_text

    acted = time.perf_counter()
    driver.get(f"{base}/?admin=1&study={STUDY}")

    def login_or_in(d: Any) -> str | bool:
        if d.find_elements(By.CSS_SELECTOR, key_css("admin.login_password")):
            return "login"
        return "in" if f"Study: {STUDY}" in d.find_element(By.TAG_NAME, "body").text else False

    if _until(driver, login_or_in, "the log-in or the dashboard") == "login":
        _type(driver, key_css("admin.login_password"), password)
        acted = time.perf_counter()
        press(driver, "Log in")
        wait_for_text(driver, f"Study: {STUDY}")

    def tab(d: Any) -> Any:
        found = [t for t in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                 if t.text.strip() == "Analysis"]  # fmt: skip
        return found[0] if found else False

    found = _until(driver, tab, "the Analysis tab")
    clicked = time.perf_counter()
    found.click()
    WebDriverWait(driver, WAIT_SEC, poll_frequency=POLL_S).until(
        lambda d: d.execute_script(_HAS_BUTTON_JS, RUN_LABEL),
        f"Timed out waiting for the button {RUN_LABEL!r}.")
    return acted, clicked


def wait_painted(driver: Any, start: float, timeout: float) -> float:
    """Wait until the main body is painted; the seconds since ``start``.  An error
    shown in the tab ends the wait at once, with its text."""
    while not (shown := driver.execute_async_script(_PAINTED_JS, MAIN_BODY, 20_000)):
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"The main body was not shown within {timeout:.0f} s.")
    if isinstance(shown, str):
        raise RuntimeError(f"The Analysis tab showed an error instead of the analysis: "
                           f"{shown[len('error: '):][:600]}")
    return time.perf_counter() - start


def run_and_time(driver: Any, bootstrap: int | None, timeout: float = 900.0) -> float:
    """Press "Run the analysis" and return the seconds until the main body is painted."""
    from tests.ui.test_browser import _type, find_button, key_css

    if bootstrap is not None:
        _type(driver, key_css("analyst.bootstrap"), str(bootstrap))
    button = find_button(driver, RUN_LABEL)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    start = time.perf_counter()
    button.click()
    return wait_painted(driver, start, timeout)


def run(rows: int | None = None, bootstrap: int | None = None, repeats: int = 3,
        folder: Path | None = None, timeout: float = 900.0) -> dict[str, Any]:
    """Load the demo study, start the app and time the Analysis tab in Chromium."""
    from tests.ui.test_browser import running_app

    res: dict[str, Any] = {"rows": rows, "bootstrap": bootstrap, "repeats": repeats,
                           "width_px": WIDTH, "load_start": load_average()}
    scratch = None
    if folder is None:
        scratch = folder = Path(tempfile.mkdtemp(prefix="tabbench-"))
    folder.mkdir(parents=True, exist_ok=True)
    driver = None
    try:
        t = time.perf_counter()
        url, password = load_demo(folder, rows)
        res["setup_s"] = time.perf_counter() - t
        print(f"demo study loaded ({res['setup_s']:.0f} s); starting the app", file=sys.stderr,
              flush=True)
        with running_app(url, folder) as base:
            driver = _driver()
            driver.set_script_timeout(60)
            open_analysis_tab(driver, base, password)
            res["first_build_s"] = run_and_time(driver, bootstrap, timeout)
            print(f"first build {res['first_build_s']:.2f} s", file=sys.stderr, flush=True)
            cached, from_login, from_reload = [], [], []
            for _ in range(repeats):
                # the tab shows the analysis already made for unchanged data as it opens
                t = time.perf_counter()
                driver.refresh()
                acted, clicked = open_analysis_tab(driver, base, password)
                if bootstrap is None:
                    cached.append(wait_painted(driver, clicked, timeout))
                else:  # other draws than the tab's default are asked for with a press
                    cached.append(run_and_time(driver, bootstrap, timeout))
                from_login.append(time.perf_counter() - acted)
                from_reload.append(time.perf_counter() - t)
            res["cached_s"] = cached
            res["cached_median_s"] = statistics.median(cached)
            res["cached_from_login_median_s"] = statistics.median(from_login)
            res["cached_from_reload_median_s"] = statistics.median(from_reload)
    finally:
        if driver is not None:
            driver.quit()
            shutil.rmtree(driver.profile_dir, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    res["load_end"] = load_average()
    res["first_build_ok"] = res["first_build_s"] <= ANALYSIS_TAB_FIRST_S
    res["cached_ok"] = res["cached_median_s"] <= ANALYSIS_TAB_CACHED_S
    return res


def summary(res: dict[str, Any]) -> str:
    """The one-line summary of a run."""
    who = "demo study" if res["rows"] is None else f"first {res['rows']} demo respondents"
    boot = "" if res["bootstrap"] is None else f", {res['bootstrap']} bootstrap draws"

    def mark(ok: bool) -> str:
        return "ok" if ok else "OVER BUDGET"

    return (f"SUMMARY Analysis tab in Chromium at {res['width_px']} px ({who}{boot}): "
            f"first build {res['first_build_s']:.2f} s (budget {ANALYSIS_TAB_FIRST_S:g} s, "
            f"{mark(res['first_build_ok'])}); cached {res['cached_median_s']:.2f} s, median of "
            f"{res['repeats']} (budget {ANALYSIS_TAB_CACHED_S:g} s, {mark(res['cached_ok'])}; "
            f"{res['cached_from_login_median_s']:.2f} s from the log-in press, "
            f"{res['cached_from_reload_median_s']:.2f} s from the reload); "
            f"load {res['load_start']:.1f} -> {res['load_end']:.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=None,
                    help="Only the first N demo respondents (default: all).")
    ap.add_argument("--bootstrap", type=int, default=None,
                    help="Bootstrap draws typed into the tab (default: the tab's own).")
    ap.add_argument("--repeats", type=int, default=3, help="Cached measurements (median).")
    ap.add_argument("--folder", type=Path, default=None,
                    help="Keep the demo store here and reuse it (default: a fresh one).")
    ap.add_argument("--json", default=None, help="Also write the results to this file.")
    a = ap.parse_args(argv)
    if a.repeats < 1 or (a.rows is not None and a.rows < 1):
        ap.error("--repeats and --rows must be at least 1.")
    try:
        res = run(a.rows, a.bootstrap, a.repeats, a.folder)
    except RuntimeError as exc:  # a refused store, an error in the tab, no main body
        print(f"analysis_tab_bench: {exc}", file=sys.stderr)
        return 1
    print(f"setup (demo study loaded, not timed) {res['setup_s']:.1f} s")
    print(f"first build {res['first_build_s']:.2f} s")
    print("cached " + ", ".join(f"{s:.2f}" for s in res["cached_s"]) + " s")
    print(summary(res), flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
