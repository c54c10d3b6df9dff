"""CPU, wall time and peak memory of the pipeline at large N, two source trees side by side
(issue 18, session 23).

``python -m benchmarks.s23_pipeline_cpu --tree /path/to/old/worktree --n 20000 --n 100000``
runs ``python -m benchmarks.pipeline_bench --n N`` (the whole pipeline in its parallel
mode, then the report) in a fresh process per tree and size, one process at a time and
alternating between the trees, and prints for each run the CPU seconds of that process
and its children (user + system; the measurement model runs in forked workers), the
wall seconds, the peak resident memory of the main process and the peak proportional
memory of the whole process tree (both from ``pipeline_bench``).  CPU, not wall time,
is what compares on a shared, loaded machine; the lower of the rounds is reported.  The
second tree is this checkout unless ``--this`` names another (e.g. a worktree of HEAD
with only the changed files copied in).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT


def _children_cpu() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return c.ru_utime + c.ru_stime


def run(tree: Path, n: int, bootstrap: int = 200) -> dict[str, float]:
    """One pipeline run of ``tree`` at ``n``: CPU, wall and peak memory."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = _children_cpu()
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "benchmarks.pipeline_bench", "--n", str(n),
                          "--bootstrap", str(bootstrap)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    cpu = _children_cpu() - before
    res = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
    return {"cpu_s": cpu, "wall_s": wall, "pipeline_s": float(res["pipeline_s"]),
            "simulate_s": float(res["simulate_s"]),
            "peak_rss_mib": float(res["peak_rss_mib"]),
            "peak_tree_pss_mib": float(res.get("peak_tree_pss_mib") or float("nan"))}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, type=Path,
                    help="the other source tree (e.g. a git worktree of HEAD)")
    ap.add_argument("--this", type=Path, default=ROOT,
                    help="the tree compared with it (default: this checkout)")
    ap.add_argument("--n", type=int, action="append", required=True,
                    help="sample size (repeat for several)")
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds (default 1)")
    ap.add_argument("--bootstrap", type=int, default=200)
    args = ap.parse_args(argv)
    trees = {"other": args.tree.resolve(), "this": args.this.resolve()}
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for n in args.n:
        for k in range(args.rounds):
            # alternate which tree goes first, so that neither always meets the same load
            order = list(trees.items()) if k % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                rec = run(tree, n, args.bootstrap)
                runs.setdefault((name, n), []).append(rec)
                print(json.dumps({"tree": name, "n": n, "round": k + 1, **rec}), flush=True)
    print(f"\n{'N':>8s} {'measure (least of the rounds)':32s} {'other':>9s} {'this':>9s}")
    for n in args.n:
        for key in ("cpu_s", "wall_s", "peak_rss_mib", "peak_tree_pss_mib"):
            a = min(r[key] for r in runs[("other", n)])
            b = min(r[key] for r in runs[("this", n)])
            print(f"{n:8d} {key:32s} {a:9.1f} {b:9.1f}")


if __name__ == "__main__":
    main()
