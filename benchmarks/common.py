"""Helpers shared by the benchmarks: paths, timing and peak memory."""

from __future__ import annotations

import os
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "reference" / "data"
OUT = ROOT / "out"


def rscript() -> str | None:
    """Path of ``Rscript`` or None."""
    return shutil.which("Rscript")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), wall seconds)``."""
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB; ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux ``/proc``; just ``pid`` elsewhere)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


def _pss_kib(pid: int) -> int:
    """Proportional set size of one process (KiB): its own pages plus its share of the
    pages it shares, so that a forked child's copy-on-write pages are not counted twice."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """The peak memory of this process together with its children (the pipeline's forked
    workers), sampled every ``interval`` seconds as the sum of their proportional set
    sizes: ``with TreeMemory() as mem: ...; mem.peak_mib`` (0 where ``/proc`` has no
    ``smaps_rollup``).  ``ru_maxrss`` counts one process only."""

    def __init__(self, interval: float = 0.1) -> None:
        import threading

        self.interval = interval
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while True:
            total = sum(_pss_kib(p) for p in _descendants(me)) / 1024.0
            self.peak_mib = max(self.peak_mib, total)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def load_average() -> float:
    """One-minute load average (other work on the machine skews timings)."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def chromium_driver(width: int, height: int, *, prefix: str) -> Any:
    """A headless Chromium (the tests' browser settings) at ``width`` x ``height`` px with
    a fresh profile folder (``driver.profile_dir``, for the caller to remove)."""
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.ui.test_browser import CHROME_ARGS, _browser_paths

    chromium, chromedriver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix=prefix)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.profile_dir = profile
    driver.set_page_load_timeout(60)
    # headless Chromium starts no narrower than 500 px whatever --window-size says; a
    # resize after the start gives phone widths
    driver.set_window_size(width, height)
    return driver
