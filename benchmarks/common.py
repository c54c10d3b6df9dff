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
