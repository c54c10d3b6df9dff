#!/usr/bin/env python3
"""Support rate of every hypothesis over many simulated studies (parameter recovery).

Simulates ``--seeds`` studies of ``--n`` respondents (``--dyads`` of them in dyads) from a
population model, runs the hypothesis runner on each exactly as the recovery test does
(``analysis.study.hypotheses.test_hypotheses``, default settings, ``--boot`` bootstrap draws for
the mediation CI) and prints, per hypothesis, the share of studies with verdict
"supported" (under the declared decision rules) with its Monte Carlo SE, next to the mean
power of the declared test to detect the smallest effect of interest, the mean estimate and, for the inverted-U test, the
diagnostics of the Lind-Mehlum test.

Usage (from the repository root)::

    .venv/bin/python scripts/support_rates.py --n 3000 --dyads 500 --seeds 40 \\
        [--first-seed 1] [--boot 100] [--workers 2] [--population FILE] [--json OUT]

Seeds ``first_seed .. first_seed + seeds - 1`` are the simulation seeds (the recovery test
uses seed 11); the bootstrap seed is fixed at 1 as in the test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Payload:
    n: int
    dyads: int
    first_seed: int
    boot: int
    population: str | None


@lru_cache(maxsize=2)
def _context(path: str | None):
    from analysis.study.simulate import load_population
    from instruments.instrument.loader import load_instrument

    return load_population(path), load_instrument()


def run_seeds(payload: Payload, tasks):
    """One simulated study per task; rows of (hypothesis, verdict, estimate, p, extras)."""
    import numpy as np

    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.simulate import simulate_study

    pop, inst = _context(payload.population)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in tasks:
            seed = payload.first_seed + int(t)
            df = simulate_study(payload.n, dyads=payload.dyads, seed=seed, population=pop,
                                instrument=inst)
            det: dict = {}
            res = test_hypotheses(df, bootstrap=payload.boot, seed=1, details=det,
                                  instrument=inst)
            rows = []
            for r in res.itertuples():
                extra: dict = {}
                q = det.get(r.id)
                if r.method == "quadratic" and q is not None:
                    extra = {"tp": q.turning_point, "x_min": q.x_min, "x_max": q.x_max,
                             "t_min": q.slope_min["t"], "t_max": q.slope_max["t"],
                             "b2_p": float(q.coefficients.set_index("term")
                                           .loc[f"{q.x}^2", "pvalue"])}
                extra["power_sesoi"] = float(r.power_sesoi)
                rows.append((r.id, r.verdict, float(r.estimate), float(r.pvalue),
                             bool(r.exploratory), extra))
            out.append((int(t), seed, rows, float(np.nan)))
    return out


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import pandas as pd

    from analysis.distributed import make_executor

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--dyads", type=int, default=500)
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--population", default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    payload = Payload(a.n, a.dyads, a.first_seed, a.boot, a.population)
    t0 = time.time()
    with make_executor(workers=a.workers) as ex:
        results = ex.map(run_seeds, payload, range(a.seeds), max_chunk=2)
    secs = time.time() - t0
    recs = [{"seed": seed, "id": h, "verdict": v, "estimate": e, "pvalue": p,
             "exploratory": x, **extra}
            for _, seed, rows, _ in results for h, v, e, p, x, extra in rows]
    tab = pd.DataFrame(recs)
    tab["supported"] = tab["verdict"] == "supported"
    conf = tab[~tab["exploratory"]]
    summary = conf.groupby("id", sort=False).agg(
        support=("supported", "mean"), mean_est=("estimate", "mean"),
        sd_est=("estimate", "std"), median_p=("pvalue", "median"),
        power_sesoi=("power_sesoi", "mean"))
    summary["mc_se"] = np.sqrt(summary["support"] * (1 - summary["support"]) / a.seeds)
    pd.set_option("display.width", 160)
    print(f"N = {a.n}, dyads = {a.dyads}, {a.seeds} seeds from {a.first_seed}, "
          f"{a.boot} bootstrap draws, {secs:.0f} s")
    print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    quad = conf[conf["id"] == "H6b"]
    if "tp" in quad:
        print("H6b diagnostics (means): "
              + ", ".join(f"{c} {quad[c].mean():.3f}" for c in
                          ("tp", "x_min", "x_max", "t_min", "t_max", "b2_p")))
        print("H6b: share of studies whose slope is not significant (one-sided .05) at the "
              f"highest trust score {(quad['t_max'] > -1.645).mean():.3f}, at the lowest "
              f"{(quad['t_min'] < 1.645).mean():.3f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"settings": vars(a), "seconds": secs,
                                            "summary": json.loads(summary.to_json()),
                                            "rows": json.loads(tab.to_json(orient="records"))},
                                           indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
