"""Write tests/durations.json, the measured time of each test file, from a JUnit XML.

The table orders the files for the two xdist workers (see tests/conftest.py). Make the XML
with a whole run as CI runs it, e.g.::

    .venv/bin/python -m pytest -q -m "not slow" -n 2 --dist loadfile --junitxml=junit.xml
    .venv/bin/python scripts/test_durations.py junit.xml

A test's time in the XML includes its fixtures' setup and teardown, so a file's total
counts its module fixtures once.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "durations.json"


def test_file(classname: str, root: Path = ROOT) -> str | None:
    """The test file (relative path) of a JUnit ``classname`` such as ``tests.a.test_b.C``."""
    parts = classname.split(".")
    for k in range(len(parts), 0, -1):
        candidate = "/".join(parts[:k]) + ".py"
        if (root / candidate).is_file():
            return candidate
    return None


def file_seconds(junit: Path, root: Path = ROOT) -> dict[str, float]:
    """Seconds per test file, summed over the file's test cases."""
    totals: dict[str, float] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        path = test_file(case.get("classname", ""), root)
        if path is not None:
            totals[path] = totals.get(path, 0.0) + float(case.get("time") or 0.0)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit", type=Path, help="JUnit XML of a whole test run")
    parser.add_argument("--out", type=Path, default=OUT, help="table to write")
    args = parser.parse_args(argv)
    try:
        totals = file_seconds(args.junit)
    except (OSError, ET.ParseError) as exc:
        print(f"Cannot read the JUnit XML {args.junit}: {exc}.", file=sys.stderr)
        return 2
    if not totals:
        print(f"No test case of this repository in {args.junit}.", file=sys.stderr)
        return 2
    table = {"about": "Seconds per test file of one whole run; orders the files for the "
                      "xdist workers (tests/conftest.py). Rewrite with "
                      "scripts/test_durations.py.",
             "files": {k: round(v, 1) for k, v in sorted(totals.items())}}
    args.out.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"{len(totals)} files, {sum(totals.values()):.0f} s in all, written to {args.out}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
