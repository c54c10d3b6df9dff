"""One power replication, this tree against an earlier revision, timed in the same run.

``python -m benchmarks.power_replication_bench [--base REV] [--reps 40] [--rounds 2]``

A replication (simulate one study, score it, run every confirmatory test, decide the
family) is timed serially, with one BLAS thread, on the same replications ``(n, r)`` at
n = 100, 150, 200, 300, once with the code of this tree and once with the code of git
revision ``--base`` (its ``analysis/`` and ``instruments/`` unpacked into a temporary
folder).  Each side runs in its own process, after one warm-up replication (loading the
instrument and the population, compiling the path model, fitting its anchor), and the
two sides alternate ``--rounds`` times so that both see the same load on a shared
machine: compare the ratio, not the milliseconds.  Also printed: in how many
replications the two revisions reach the same verdict on every hypothesis.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, load_average

NS = (100, 150, 200, 300)

CHILD = r"""
import json, sys, time, warnings
import numpy as np
from analysis.study.hypotheses import load_hypotheses
from analysis.study.power import PowerPayload, run_replications

reps, first = int(sys.argv[1]), int(sys.argv[2])
ns = (100, 150, 200, 300)
hs = load_hypotheses()
hs = hs.model_copy(update={"hypotheses": tuple(h for h in hs.hypotheses if not h.exploratory)})
payload = PowerPayload(ns=ns, reps=100000, entropy=int(np.random.SeedSequence(2026).entropy),
                       hypotheses=hs, population_path=None, n_boot=200,
                       alpha=hs.decision.alpha, estimator="ML", careless=0.05, missing=0.0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    run_replications(payload, [99999])  # warm-up: caches, compiled model, anchor fit
    ids = [k * 100000 + first + r for r in range(reps // len(ns)) for k in range(len(ns))]
    t = time.perf_counter()
    out = run_replications(payload, ids)
    secs = time.perf_counter() - t
verdicts = {str(t): [list(r[:2]) for r in rows] if rows else None for t, _n, _r, rows, _e in out}
print(json.dumps({"seconds": secs, "replications": len(ids), "verdicts": verdicts}))
"""


def _unpack(rev: str, folder: Path) -> Path:
    """``analysis/`` and ``instruments/`` of git revision ``rev`` under ``folder``."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev,
                           "analysis", "instruments"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def _child(path: Path, reps: int, first: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(path), OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(reps), str(first)], env=env,
                         capture_output=True, text=True, check=False, cwd=str(path))
    if out.returncode != 0:
        raise RuntimeError(f"The timing process failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(base: str | None, reps: int = 40, rounds: int = 2) -> dict[str, Any]:
    """Milliseconds per replication of this tree and of ``base``, alternating."""
    res: dict[str, Any] = {"reps_per_round": reps, "rounds": rounds, "base": base,
                           "load_start": load_average()}
    sides = {"ours": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if base:
            sides["base"] = _unpack(base, Path(tmp))
        secs = dict.fromkeys(sides, 0.0)
        count = dict.fromkeys(sides, 0)
        verdicts: dict[str, dict] = {k: {} for k in sides}
        for r in range(rounds):
            for name, path in sides.items():
                one = _child(path, reps, first=r * reps)
                secs[name] += one["seconds"]
                count[name] += one["replications"]
                verdicts[name].update(one["verdicts"])
    for name in sides:
        res[f"{name}_ms_per_replication"] = 1000 * secs[name] / count[name]
    if base:
        res["ratio_base_over_ours"] = res["base_ms_per_replication"] / \
            res["ours_ms_per_replication"]
        same = sum(verdicts["ours"][t] == verdicts["base"].get(t) for t in verdicts["ours"])
        res["same_verdicts"] = same
        res["replications"] = len(verdicts["ours"])
    res["load_end"] = load_average()
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default=None, help="Git revision to compare with.")
    ap.add_argument("--reps", type=int, default=40, help="Replications per side and round.")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    res = run(a.base, a.reps, a.rounds)
    line = (f"SUMMARY power replication: ours {res['ours_ms_per_replication']:.1f} ms "
            f"(serial, 1 BLAS thread, {res['rounds']} x {res['reps_per_round']} replications")
    if a.base:
        line += (f"); {a.base} {res['base_ms_per_replication']:.1f} ms; base / ours "
                 f"{res['ratio_base_over_ours']:.2f}x; same verdicts in {res['same_verdicts']}"
                 f" of {res['replications']}")
    else:
        line += ")"
    print(line + f"; load {res['load_start']:.1f} -> {res['load_end']:.1f}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
