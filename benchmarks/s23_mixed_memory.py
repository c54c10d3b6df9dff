"""Peak memory and CPU of the mixed (ordered + continuous) WLSMV statistics at large N,
two source trees side by side (issue 18, session 23).

The latent model's robustness run (items ordered, scale scores continuous) computes
thresholds, polychoric / polyserial / Pearson correlations and Gamma from all cases.
``python -m benchmarks.s23_mixed_memory --tree /path/to/old/worktree --n 100000`` runs
:func:`analysis.sem.ordinal.ordinal_sample_stats` on simulated data of that shape
(``--ordered`` seven-point items, ``--continuous`` continuous scores, 3 % of the answers
missing, pairwise) in a fresh process per tree, alternating, and prints the CPU seconds
of the call and the growth of the peak resident memory during it (``ru_maxrss`` after
minus the resident memory before).  The second tree is this checkout unless ``--this``
names another.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.common import ROOT

_CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from analysis.sem.ordinal import ordinal_sample_stats
n, k_ord, k_num = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
k = k_ord + k_num
z = rng.standard_normal((n, 4)) @ rng.uniform(0.4, 0.8, (4, k)) + rng.standard_normal((n, k))
cuts = np.array([-1.8, -1.1, -0.5, 0.1, 0.8, 1.5]) * z[:, :1].std()
d = pd.DataFrame({f"i{j}": np.digitize(z[:, j], cuts).astype(float) for j in range(k_ord)})
for j in range(k_num):
    d[f"s{j}"] = np.round(z[:, k_ord + j] * 4) / 4
mask = rng.random(d.shape) < 0.03
d = d.mask(mask)
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
before = rss()
t = time.process_time()
st = ordinal_sample_stats(d, list(d.columns), continuous=[f"s{j}" for j in range(k_num)],
                          missing="pairwise")
cpu = time.process_time() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cpu_s": cpu, "rss_before_mib": before, "peak_rss_mib": peak,
                  "growth_mib": peak - before, "statistics": int(st.gamma.shape[0]),
                  "gamma_sum": float(st.gamma.sum())}))
"""


def run(tree: Path, n: int, k_ord: int, k_num: int) -> dict[str, float]:
    """One call in a fresh process of ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(n), str(k_ord), str(k_num)],
                         cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", required=True, type=Path)
    ap.add_argument("--this", type=Path, default=ROOT)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--ordered", type=int, default=40)
    ap.add_argument("--continuous", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    trees = {"other": args.tree.resolve(), "this": args.this.resolve()}
    for k in range(args.rounds):
        order = list(trees.items()) if k % 2 == 0 else list(trees.items())[::-1]
        for name, tree in order:
            rec = run(tree, args.n, args.ordered, args.continuous)
            print(json.dumps({"tree": name, "round": k + 1, **rec}), flush=True)


if __name__ == "__main__":
    main()
