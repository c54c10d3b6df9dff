"""Suite-wide settings: the order in which test files are handed to the xdist workers, and
results computed once per run for all workers (:class:`RunCache`).

``make test`` runs the suite on two workers with ``--dist loadfile``: a file stays on one
worker, and a worker takes the next file from the queue when it has nearly finished its
current one. xdist's default queue puts the files with the most tests first, so a file of
a few tests behind a minute-long fixture (an analysed study) starts last and one worker
runs alone at the end. Here the queue is ordered by each file's measured time instead,
longest first (``tests/durations.json``; ``scripts/test_durations.py`` rewrites it from a
JUnit XML of a whole run), so that both workers finish at about the same time. A file
missing from the table (a new one) is placed by its number of tests at a nominal second
per test. The order of the tests inside a file is left as it is.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DURATIONS = Path(__file__).with_name("durations.json")

#: The assumed time (seconds) of a test in a file the durations table does not list.
SECONDS_PER_UNKNOWN_TEST = 1.0


def _durations() -> dict[str, float]:
    try:
        table = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = table.get("files", {}) if isinstance(table, dict) else {}
    return {str(k): float(v) for k, v in files.items() if isinstance(v, (int, float))}


def file_order(items: list[pytest.Item], durations: dict[str, float]) -> list[str]:
    """The test files of ``items``, longest expected time first (ties: collection order)."""
    counts: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        counts[path] = counts.get(path, 0) + 1
    first = {path: i for i, path in enumerate(counts)}

    def expected(path: str) -> float:
        return durations.get(path, SECONDS_PER_UNKNOWN_TEST * counts[path])

    return sorted(counts, key=lambda p: (-expected(p), first[p]))


def pytest_configure(config: pytest.Config) -> None:
    # xdist re-sorts the files by their number of tests unless told not to; the order
    # of the collected items (below) is the better estimate of where the time goes
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope") and \
            hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(file_order(items, _durations()))}
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])  # stable sort


# ------------------------------------------------------------ results shared by the workers
class RunCache:
    """Results computed once per test run and shared by the xdist workers.

    A session fixture is built once per worker: an analysis that test files on both
    workers use was computed twice. Here the first worker that asks computes it and
    stores it (pickled) in the run's temporary folder, under a key made of everything the
    result depends on besides the code (the code does not change during a run); a worker
    that asks meanwhile waits on the lock and then reads it. Each caller gets its own
    copy, so a test that changes its copy changes no other test's.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, *key: object) -> Path:
        digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:24]
        return self.folder / f"{digest}.pickle"

    def get(self, key: tuple[object, ...], build: Callable[[], Any]) -> Any:
        target = self.path(*key)
        with open(target.with_suffix(".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if target.is_file():
                    return pickle.loads(target.read_bytes())
                value = build()
                partial = target.with_suffix(f".{os.getpid()}.part")
                partial.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(partial, target)
                return pickle.loads(target.read_bytes())
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    """The :class:`RunCache` of this test run (one folder for all workers)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the workers' folders popen-gw0, popen-gw1 share a parent
    return RunCache(base / "shared-results")
