"""CPU of the demo analysis per step, for two source trees side by side (issue 18).

``python -m benchmarks.s22_cpu_bench --tree /path/to/old/worktree [--rounds 2]`` runs
the demo study's analysis (``data/demo/alliance_demo.csv``) in a fresh process per tree,
one process at a time and alternating between the trees, in the serial mode
(``analyze_study(parallel=False)``: every step in that one process, so that its CPU is
its own), and prints the CPU seconds (user + system) of each step:

* the pipeline's stages, between its progress messages (in the serial mode the
  measurement model and the side sections run when their results are collected, after
  the message "Dyadic analysis": that stage holds them);
* inside the measurement model: the two big WLSMV CFAs (``_fit_orders``), the
  invariance sequences (``_invariance_step``), the method-variance checks
  (``_method_checks``: CFA marker and ULMC); inside the hypothesis tests, the latent
  model (``_latent_model_step``).  These are timed by wrapping the module functions;
  the pipeline calls them by their module names.

Then the whole ``alliance-survey analyze`` command of each tree as a user runs it (the
parallel mode), CPU of the process and its children and wall time.  CPU, not wall time,
is compared: the machine is shared and loaded.  The second tree is this checkout unless
``--this`` names another (e.g. a worktree of HEAD with only the changed files copied in).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT

DEMO = "data/demo/alliance_demo.csv"

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime
import analysis.study.hypotheses as hy
import analysis.study.measurement as me
from analysis.study.datafiles import read_data
from analysis.study.pipeline import analyze_study
parts = {}
def wrap(mod, name, label):
    fn = getattr(mod, name)
    def timed(*a, **k):
        t = cpu()
        try:
            return fn(*a, **k)
        finally:
            parts[label] = parts.get(label, 0.0) + cpu() - t
    setattr(mod, name, timed)
wrap(me, "_fit_orders", "measurement: the two big WLSMV CFAs")
wrap(me, "_invariance_step", "measurement: invariance sequences")
wrap(me, "_method_checks", "measurement: method checks (marker, ULMC)")
wrap(hy, "_latent_model_step", "hypotheses: latent model")
data = read_data(sys.argv[1])
marks = []
t0 = cpu()
analyze_study(data, parallel=False, n_jobs=1,
              progress=lambda m: marks.append((m.split(" (")[0].rstrip(" ."), cpu())))
end = cpu()
stages = {}
for (m, a), (_, b) in zip(marks, marks[1:] + [("end", end)]):
    stages["stage: " + m] = b - a
stages["stage: setup"] = marks[0][1] - t0 if marks else 0.0
stages.update(parts)
stages["analysis, serial"] = end - t0
print(json.dumps(stages))
"""


def _cpu_children() -> float:
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return c.ru_utime + c.ru_stime


def steps(tree: Path) -> dict[str, float]:
    """CPU seconds per step of the serial demo analysis in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tree / DEMO)], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def whole(tree: Path, json_out: Path) -> dict[str, float]:
    """CPU (process and children) and wall seconds of ``alliance-survey analyze`` on the
    demo in ``tree``, as a user runs it; its JSON result written to ``json_out``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = _cpu_children()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analysis.cli", "analyze", DEMO, "--json",
                    str(json_out)], cwd=tree, env=env, capture_output=True, check=True)
    return {"analyze CPU": _cpu_children() - before, "analyze wall": time.perf_counter() - t}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, type=Path,
                    help="the other source tree (e.g. a git worktree of HEAD)")
    ap.add_argument("--this", type=Path, default=ROOT,
                    help="the tree compared with it (default: this checkout)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    ap.add_argument("--no-steps", action="store_true", help="only the whole command")
    ap.add_argument("--keep", type=Path, default=None,
                    help="folder for the JSON results of every analyze run "
                         "(other_1.json, this_1.json, ...), to compare their numbers")
    args = ap.parse_args(argv)
    keep = args.keep or Path(tempfile.mkdtemp(prefix="s22_cpu_bench_"))
    keep.mkdir(parents=True, exist_ok=True)
    trees = {"other": args.tree.resolve(), "this": args.this.resolve()}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for k in range(args.rounds):
        for name, tree in trees.items():
            rec = {} if args.no_steps else steps(tree)
            rec.update(whole(tree, keep / f"{name}_{k + 1}.json"))
            runs[name].append(rec)
            print(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in rec.items()
                                          if k.startswith(("analysis", "analyze"))),
                  flush=True)
    keys = list(runs["this"][0])
    print(f"\n{'step (CPU s; least of the rounds)':58s} {'other':>8s} {'this':>8s}")
    for k in keys:
        a = min(r[k] for r in runs["other"])
        b = min(r[k] for r in runs["this"])
        print(f"{k:58s} {a:8.2f} {b:8.2f}")


if __name__ == "__main__":
    main()
