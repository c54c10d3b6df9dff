"""Every speed benchmark of the project in one run, with their summary lines at the end.

``python -m benchmarks.speed_run [--folder DIR] [--only power,burst,...] [--log FILE]``

Runs, one after the other and each in a process of its own (so that one's memory and
threads do not weigh on the next), the benchmarks that measure where people wait:

* ``power``: 4 sample sizes x 1,000 replications of every declared hypothesis, against
  the same models fitted in a loop by lavaan in R, and the 1 vs 2 Dask workers run
  (:mod:`benchmarks.power_bench`);
* ``burst``: 50 respondents submitting every page with no think time, on SQLite and on
  PostgreSQL (:mod:`benchmarks.store_burst_bench`);
* ``pages``: survey pages in headless Chromium, 10 respondents at once, at 390 and
  1280 px, on both databases (:mod:`benchmarks.page_bench`);
* ``page1``: the same pages for one respondent alone, with the browser's own account of
  where each press's time goes (:mod:`benchmarks.page_profile`);
* ``tab``: the study lead's Analysis tab, first build and cached display
  (:mod:`benchmarks.analysis_tab_bench`; ``--folder`` keeps its demo store between
  runs, since loading the 400 respondents takes minutes);
* ``pipeline``: the demo's ``analyze`` and the N = 100,000 pipeline, time and peak
  memory (:mod:`benchmarks.pipeline_bench` ``--summary``).

Each benchmark's own output goes to the terminal and to ``--log``; at the end the
``SUMMARY`` line of each is printed again, with the load average before and after it,
so that a run on a busy machine shows itself.  Exit status 1 if a benchmark failed to
run (not when a budget is missed: the summary lines say that).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from benchmarks.common import OUT, ROOT, load_average

#: Name -> the benchmark's module and arguments, in the order they run.
BENCHMARKS: dict[str, list[str]] = {
    "power": ["benchmarks.power_bench", "--reps", "1000", "--dask"],
    "burst": ["benchmarks.store_burst_bench"],
    "pages": ["benchmarks.page_bench"],
    "page1": ["benchmarks.page_profile"],
    "tab": ["benchmarks.analysis_tab_bench"],
    "pipeline": ["benchmarks.pipeline_bench", "--summary"],
}


def run_one(name: str, args: list[str], log: TextIO) -> tuple[str, int, float]:
    """Run one benchmark, echoing and logging its output; its summary lines, exit
    status and seconds."""
    cmd = [sys.executable, "-m", *args]
    log.write(f"\n$ {' '.join(args)}\n")
    start = time.perf_counter()
    summary = []
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
            if line.startswith("SUMMARY"):
                summary.append(line.rstrip())
    secs = time.perf_counter() - start
    if not summary:
        summary = [f"SUMMARY {name}: no summary line (exit status {proc.returncode})"]
    return "\n".join(summary), proc.returncode, secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=",".join(BENCHMARKS),
                    help=f"Comma list of the benchmarks to run ({', '.join(BENCHMARKS)}).")
    ap.add_argument("--folder", default=None,
                    help="Keep the Analysis tab's demo store here between runs.")
    ap.add_argument("--log", default=str(OUT / "speed_run.log"), help="Log file.")
    a = ap.parse_args(argv)
    names = [n.strip() for n in a.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    log_path = Path(a.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    lines, failed = [], []
    with log_path.open("w", encoding="utf-8") as log:
        for name in names:
            args = list(BENCHMARKS[name])
            if name == "tab" and a.folder:
                args += ["--folder", a.folder]
            before = load_average()
            summary, code, secs = run_one(name, args, log)
            after = load_average()
            if code != 0:
                failed.append(name)
            lines.append(f"{summary}\n  ({name}: {secs:.0f} s, exit {code}; load average "
                         f"{before:.1f} before, {after:.1f} after)")
        text = "\n\n== Summary of the speed run ==\n" + "\n".join(lines) + "\n"
        print(text)
        log.write(text)
    print(f"Log: {log_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
