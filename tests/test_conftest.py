"""The suite's own settings (tests/conftest.py): the order of the test files for the xdist
workers, the table of measured file times behind it (scripts/test_durations.py), and the
results shared by the workers of one run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Item:
    nodeid: str


def _items(counts: dict[str, int]) -> list[_Item]:
    return [_Item(f"{path}::test_{i}") for path, n in counts.items() for i in range(n)]


def test_files_are_queued_longest_first() -> None:
    # xdist's own queue would start with b (most tests) and leave the long a to the end
    items = _items({"tests/a.py": 2, "tests/b.py": 40, "tests/c.py": 3, "tests/d.py": 5})
    durations = {"tests/a.py": 120.0, "tests/b.py": 4.0, "tests/c.py": 30.0}
    # d is not in the table: 5 tests at the nominal second each, after c and before b
    assert conftest.file_order(items, durations) == ["tests/a.py", "tests/c.py",
                                                     "tests/d.py", "tests/b.py"]
    # equal times keep the order of collection
    assert conftest.file_order(items, {}) == ["tests/b.py", "tests/d.py", "tests/c.py",
                                              "tests/a.py"]
    assert conftest.file_order(_items({"tests/x.py": 1, "tests/y.py": 1}), {}) == \
        ["tests/x.py", "tests/y.py"]


def test_the_collected_items_follow_the_file_order(monkeypatch) -> None:
    items = _items({"tests/a.py": 3, "tests/b.py": 2})
    before = {item.nodeid: i for i, item in enumerate(items)}
    monkeypatch.setattr(conftest, "_durations", lambda: {"tests/b.py": 50.0})
    conftest.pytest_collection_modifyitems(None, items)
    assert [i.nodeid.split("::")[0] for i in items] == ["tests/b.py"] * 2 + ["tests/a.py"] * 3
    # the tests of one file keep their order
    for path in ("tests/a.py", "tests/b.py"):
        ranks = [before[i.nodeid] for i in items if i.nodeid.startswith(path)]
        assert ranks == sorted(ranks)


def test_xdist_keeps_the_collected_order_for_whole_files() -> None:
    for dist, reorder in (("loadfile", False), ("loadscope", False), ("load", True),
                          ("no", True)):
        config = SimpleNamespace(option=SimpleNamespace(dist=dist, loadscopereorder=True))
        conftest.pytest_configure(config)
        assert config.option.loadscopereorder is reorder, dist


def test_the_durations_table_is_read_and_lists_files_of_this_suite() -> None:
    table = conftest._durations()
    assert len(table) > 100 and all(v >= 0 for v in table.values())
    assert all(k.startswith("tests/") and k.endswith(".py") for k in table)
    # most entries name files that exist (a renamed file only loses its place)
    existing = sum((ROOT / k).is_file() for k in table)
    assert existing >= 0.9 * len(table)


def test_durations_script_sums_the_junit_cases_per_file(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_conftest" name="a" time="1.25"/>'
        '<testcase classname="tests.test_conftest" name="b" time="2.5"/>'
        '<testcase classname="tests.report.test_report" name="c" time="4.0"/>'
        '<testcase classname="tests.report.conftest.Gone" name="d" time="9.0"/>'
        '<testcase classname="elsewhere.test_x" name="e" time="7.0"/>'
        "</testsuite></testsuites>", encoding="utf-8")
    out = tmp_path / "durations.json"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "test_durations.py"),
                          str(junit), "--out", str(out)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    files = json.loads(out.read_text(encoding="utf-8"))["files"]
    # conftest.py is a file of the suite, so its class maps to it; elsewhere/ is not ours
    assert files == {"tests/test_conftest.py": 3.8, "tests/report/test_report.py": 4.0,
                     "tests/report/conftest.py": 9.0}
    bad = subprocess.run([sys.executable, str(ROOT / "scripts" / "test_durations.py"),
                          str(tmp_path / "none.xml"), "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Cannot read the JUnit XML" in bad.stderr


def test_a_shared_result_is_built_once_and_each_caller_gets_a_copy(tmp_path: Path) -> None:
    builds: list[int] = []
    started = threading.Event()

    def build() -> dict:
        started.set()
        builds.append(1)
        threading.Event().wait(0.2)  # a second caller arrives while this one builds
        return {"rows": [1.5, 2.5], "n": len(builds)}

    # two workers: two caches on one folder, the second asking during the first's build
    got: list[dict] = []
    first = threading.Thread(target=lambda: got.append(
        conftest.RunCache(tmp_path).get(("study", 1), build)))
    first.start()
    started.wait(10)
    second = conftest.RunCache(tmp_path).get(("study", 1), build)
    first.join(10)
    assert builds == [1]
    assert got[0] == second == {"rows": [1.5, 2.5], "n": 1}
    second["rows"].append(9.0)  # a caller's change stays in its copy
    again = conftest.RunCache(tmp_path).get(("study", 1), build)
    assert again["rows"] == [1.5, 2.5] and got[0]["rows"] == [1.5, 2.5]
    # another key is another result
    assert conftest.RunCache(tmp_path).get(("study", 2), build)["n"] == 2
    assert builds == [1, 1]


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = conftest.RunCache(tmp_path)

    def broken() -> None:
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError, match="no data"):
        cache.get(("x",), broken)
    assert not cache.path("x").exists()
    assert cache.get(("x",), lambda: 3) == 3
