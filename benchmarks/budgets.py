"""Wall-clock budgets: how long a few user-facing operations may take on a quiet machine.

Timings depend on the machine and on what else runs on it, so they are checked here and
not in the test suite (which asserts only what the code computes).  Run alone:
``python -m benchmarks.budgets [--browser]``; exit status 1 if a budget is exceeded.

* simulating 100,000 respondents (10,000 dyads, 5% missing): 20 s;
* one ML fit of the Holzinger-Swineford CFA after compilation: 0.1 s;
* the browser walk-through of the whole survey (``--browser``; the test's call phase,
  without starting the app): 150 s.

The Analysis tab's budgets are timed by ``python -m benchmarks.analysis_tab_bench`` (it
loads the demo study and drives Chromium, minutes of setup): the first build of the demo
study until its main body is painted, 5 s; the same analysis from the store's cache, 1 s.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import ROOT, load_average

#: Seconds from "Run the analysis" until the demo study's main body is painted (first build).
ANALYSIS_TAB_FIRST_S = 5.0
#: The same when the analysis comes from the store's cache (after a page reload).
ANALYSIS_TAB_CACHED_S = 1.0

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def check(name: str, seconds: float, budget: float) -> dict[str, Any]:
    """One budget row: the time taken, the budget and whether it held."""
    return {"name": name, "seconds": seconds, "budget_s": budget, "ok": seconds <= budget}


def simulate_100k() -> float:
    from analysis.study.simulate import simulate_study
    from instruments.instrument.loader import load_instrument

    inst = load_instrument()
    start = time.perf_counter()
    simulate_study(100_000, dyads=10_000, seed=9, missing=0.05, instrument=inst)
    return time.perf_counter() - start


def compiled_fit(repeats: int = 5) -> float:
    """Seconds per ML fit of the HS CFA once the model is compiled (mean of ``repeats``)."""
    import pandas as pd

    from analysis.sem import compile_model
    from benchmarks.common import DATA

    hs = pd.read_csv(DATA / "HolzingerSwineford1939.csv")
    compiled = compile_model(HS_MODEL, hs)
    compiled.fit(hs)
    start = time.perf_counter()
    for _ in range(repeats):
        compiled.fit(hs)
    return (time.perf_counter() - start) / repeats


def browser_walkthrough() -> float:
    """Seconds of the end-to-end browser test's call phase (as pytest reports it)."""
    test = "tests/ui/test_browser.py::test_browser_survey_end_to_end"
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--durations=0", "--durations-min=0", test], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"The browser test failed:\n{out.stdout[-3000:]}")
    m = re.search(r"([0-9.]+)s call\s+" + re.escape(test), out.stdout)
    if m is None:
        raise RuntimeError(f"No call duration in pytest's output:\n{out.stdout[-3000:]}")
    return float(m.group(1))


BUDGETS: dict[str, tuple[Callable[[], float], float]] = {
    "simulate 100,000 respondents": (simulate_100k, 20.0),
    "ML fit after compilation (HS CFA)": (compiled_fit, 0.1),
}
BROWSER = ("browser walk-through of the survey", (browser_walkthrough, 150.0))


def run(*, browser: bool = False) -> list[dict[str, Any]]:
    """Time every budgeted operation and return one :func:`check` row per operation."""
    items = list(BUDGETS.items()) + ([BROWSER] if browser else [])
    return [check(name, fn(), budget) for name, (fn, budget) in items]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Check the wall-clock budgets.")
    ap.add_argument("--browser", action="store_true",
                    help="Also time the browser walk-through (needs chromium).")
    args = ap.parse_args(argv)
    rows = run(browser=args.browser)
    print(f"load average {load_average():.2f}")
    for r in rows:
        mark = "ok" if r["ok"] else "OVER BUDGET"
        print(f"{r['name']:<40}{r['seconds']:>9.3f} s  (budget {r['budget_s']:g} s)  {mark}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
