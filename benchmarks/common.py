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
