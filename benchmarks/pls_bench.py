"""PLS-SEM bootstrap speed: 5,000 draws of the corporate-reputation model.

Model: Hair et al.'s extended corporate-reputation model (four mode B drivers, two
mode A mediators, a single item, 31 indicators, n = 344; seminr's ``corp_rep_data``
with ``-99`` as missing), the model of ``tests/reference/pls``.  Timed: the full-sample
estimate plus :func:`analysis.stats.pls.bootstrap.bootstrap_pls` with percentile
intervals (BCa's jackknife timed separately), single-threaded BLAS, on this machine.
Target: under 5 s for 5,000 draws.

Run alone: ``python -m benchmarks.pls_bench [--draws 5000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

REF = Path(__file__).resolve().parents[1] / "tests" / "reference" / "pls"

MODEL = (REF / "corp_rep_extended.lav").read_text(encoding="utf-8")


def run(draws: int = 5000, seed: int = 1) -> dict:
    from analysis.stats.pls import pls
    from analysis.stats.pls.bootstrap import bootstrap_pls

    data = pd.read_csv(REF / "corp_rep_data.csv")
    t0 = time.perf_counter()
    res = pls(data, MODEL, missing_value=-99)
    boot = bootstrap_pls(res, draws, seed=seed, bca=False)
    t_perc = time.perf_counter() - t0
    t1 = time.perf_counter()
    bootstrap_pls(res, 2, seed=seed, bca=True)
    t_jack = time.perf_counter() - t1
    return {"draws": draws, "n": res.n, "indicators": res.data.shape[1],
            "failed": boot.n_failed, "seconds": t_perc, "jackknife_seconds": t_jack,
            "target_seconds": 5.0, "under_target": t_perc < 5.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    a = ap.parse_args(argv)
    r = run(a.draws, a.seed)
    print(f"PLS bootstrap, corporate-reputation model (n = {r['n']}, {r['indicators']} "
          f"indicators): {r['draws']} draws in {r['seconds']:.2f} s "
          f"(target < 5 s; {r['failed']} failed); BCa jackknife {r['jackknife_seconds']:.2f} s.")
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
