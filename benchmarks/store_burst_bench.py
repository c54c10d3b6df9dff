"""The response store under a burst: respondents submitting every page with no think time.

``python -m benchmarks.store_burst_bench [-n 50] [--no-pg] [--base REV] [--rounds 1]``

``-n`` respondents (threads of one process, as in the app) open their links at once and
submit every page of the real instrument without pausing (``benchmarks.load_bench.run``);
each page commit is timed.  Printed per database: p50 / p90 / p99 / max commit latency,
pages per second, and the integrity check (lost and duplicated pages must be 0).
SQLite is a fresh file; PostgreSQL a throw-away server (``instruments/store/localpg.py``,
fsync on).  The peer of SQLite in the same run is PostgreSQL (ratio of the p99s).

``--base REV`` also runs the store of git revision ``REV`` (its ``analysis/``,
``instruments/`` and ``benchmarks/`` unpacked into a temporary folder), alternating with
this tree ``--rounds`` times, and prints the ratio of the p99s: on a shared machine the
milliseconds move with the load, the ratio less.  Each line gives the one-minute load
average before and after its run.

With zero think time every respondent is always waiting for the store, so a page's
latency is about the number of respondents times the CPU time of one commit once the
cores are busy: the p99 measures queueing as much as the store.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, load_average

CHILD = r"""
import json, sys, tempfile
from pathlib import Path
from benchmarks import load_bench
n, which = int(sys.argv[1]), sys.argv[2]
if which == "sqlite":
    with tempfile.TemporaryDirectory() as tmp:
        out = load_bench.run(f"sqlite:///{Path(tmp) / 'burst.sqlite'}", n)
else:
    from instruments.store.localpg import start_server
    server = start_server()
    try:
        out = load_bench.run(server.create_database("burst"), n)
    finally:
        server.stop()
print(json.dumps(out))
"""


def _unpack(rev: str, folder: Path) -> Path:
    import tarfile
    from io import BytesIO

    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev,
                           "analysis", "instruments", "benchmarks"],
                          capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _child(path: Path, n: int, which: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(path))
    before = load_average()
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), which], env=env, cwd=str(path),
                         capture_output=True, text=True, check=False, timeout=1800)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["load_before"], res["load"] = before, load_average()
    return res


def _line(name: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{name}: failed: {r['error'][-200:]}"
    c = r["check"]
    return (f"{name}: p50 {r['p50_ms']:.1f} ms, p90 {r['p90_ms']:.1f} ms, p99 "
            f"{r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms; {r['pages_per_s']:.0f} pages/s; "
            f"lost {c['lost_pages']}, duplicated {c['duplicated_pages']} (load "
            f"{r['load_before']:.1f} before, {r['load']:.1f} after)")


def run(n: int = 50, with_pg: bool = True, base: str | None = None,
        rounds: int = 1) -> dict[str, Any]:
    """Burst results per side (``ours``, ``base``) and database, ``rounds`` each."""
    dbs = ["sqlite"] + (["postgresql"] if with_pg else [])
    res: dict[str, Any] = {"respondents": n, "rounds": rounds, "base_revision": base}
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"ours": ROOT}
        if base:
            sides["base"] = _unpack(base, Path(tmp))
        for r in range(rounds):
            for which in dbs:
                for side, path in sides.items():
                    out = _child(path, n, which)
                    res.setdefault(side, {}).setdefault(which, []).append(out)
                    print(_line(f"{side} {which} (round {r + 1})", out), flush=True)
    return res


def _p99(runs: list[dict[str, Any]]) -> float:
    vals = [r["p99_ms"] for r in runs if "error" not in r]
    return float(sum(vals) / len(vals)) if vals else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=50, help="Respondents at once.")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only.")
    ap.add_argument("--base", default=None, help="Git revision to compare with.")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    res = run(a.n, not a.no_pg, a.base, a.rounds)
    ours = res["ours"]
    parts = [f"SQLite p99 {_p99(ours['sqlite']):.0f} ms"]
    lost = sum(r["check"]["lost_pages"] + r["check"]["duplicated_pages"]
               for runs in ours.values() for r in runs if "error" not in r)
    if "postgresql" in ours:
        pg = _p99(ours["postgresql"])
        parts.append(f"PostgreSQL p99 {pg:.0f} ms (PostgreSQL / SQLite "
                     f"{pg / _p99(ours['sqlite']):.2f}x)")
    if a.base:
        for db in ours:
            parts.append(f"{db} p99 {a.base} / ours "
                         f"{_p99(res['base'][db]) / _p99(ours[db]):.2f}x")
    print(f"SUMMARY store burst ({a.n} respondents, no think time): " + "; ".join(parts)
          + f"; lost + duplicated pages {lost}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
