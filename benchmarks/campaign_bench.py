"""Iterations and wall time of our engine vs lavaan over (a sample of) the parity campaign.

lavaan's iterations and wall time per fit are stored in tests/reference/campaign/fits.csv
(made by make_campaign.R on the same machine class); ours are measured here.  Reports the
median ratios (ours / lavaan), the outcome counts and the load average, since other work
on the machine skews the timings.

Run: ``python -m benchmarks.campaign_bench [--every K]`` (every K-th case; default all).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from benchmarks.common import ROOT, load_average


def run(every: int = 1) -> dict[str, Any]:
    """Run every ``every``-th campaign case and summarise speed and agreement."""
    sys.path.insert(0, str(ROOT))
    from tests.campaign_parity import load_campaign, run_campaign

    _cases, fits, _est = load_campaign()
    ids = sorted(fits["id"].unique().tolist())[::max(int(every), 1)]
    outcomes = run_campaign(ids)
    done = [o for o in outcomes if o.status != "skip" and np.isfinite(o.seconds)]
    it_ratio = [o.iterations / o.lavaan_iterations for o in done if o.lavaan_iterations > 0]
    t_ratio = [o.seconds / o.lavaan_seconds for o in done if o.lavaan_seconds > 0]
    by_est: dict[str, dict[str, float]] = {}
    for est in sorted({o.estimator for o in done}):
        sub = [o for o in done if o.estimator == est]
        by_est[est] = {
            "fits": len(sub),
            "median_iterations": float(np.median([o.iterations for o in sub])),
            "median_lavaan_iterations": float(np.median([o.lavaan_iterations for o in sub])),
            "median_seconds": float(np.median([o.seconds for o in sub])),
            "median_lavaan_seconds": float(np.median([o.lavaan_seconds for o in sub])),
        }
    return {
        "cases": len(ids),
        "ok": sum(o.status == "ok" for o in outcomes),
        "fail": sum(o.status == "fail" for o in outcomes),
        "skip (lavaan did not converge)": sum(o.status == "skip" for o in outcomes),
        "median_iteration_ratio": float(np.median(it_ratio)) if it_ratio else float("nan"),
        "median_time_ratio": float(np.median(t_ratio)) if t_ratio else float("nan"),
        "by_estimator": by_est,
        "failures": {o.case_id: o.problems for o in outcomes if o.status == "fail"},
        "load_average": load_average(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every", type=int, default=1, help="run every K-th case")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.every), indent=2, default=str))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
