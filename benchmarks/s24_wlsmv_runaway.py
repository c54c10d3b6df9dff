"""A scale without common variance in the WLSMV measurement model: the full Gauss-Newton
problem with the old runaway check against thresholds estimated apart with the sooner
check, side by side in one process (issue 18, session 24).

``python -m benchmarks.s24_wlsmv_runaway [--rounds 2]`` simulates the study data of
tests/test_analyze.py (500 respondents, 100 dyads, seed 3, 3 % missing, the items of
``value_appropriation`` permuted independently), takes the first-order CFA of the
measurement step (81 ordered items, WLSMV, pairwise) and fits it with both paths,
alternating, in this process.  Printed per path: CPU seconds of the fit (what compares on
a shared, loaded machine; the lower of the rounds), wall seconds, Gauss-Newton steps of
every start, and the verdict (both must end not converged with the same Heywood case);
then the old/new ratio of CPU seconds and of steps.  The "old" path is this checkout with
the threshold separation and the 10-step runaway check switched off, which is the code
before session 24.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

SCRAMBLED = "value_appropriation"


class _Captured(Exception):
    """Raised to stop the measurement step once its first CFA's inputs are known."""


def first_order_inputs() -> dict[str, Any]:
    """The arguments of the measurement step's first-order CFA on the test_analyze data."""
    from analysis.study import measurement
    from analysis.study.simulate import simulate_study
    from instruments.instrument.loader import load_instrument

    df = simulate_study(500, dyads=100, seed=3, missing=0.03)
    rng = np.random.default_rng(0)
    for col in load_instrument().scale_items()[SCRAMBLED]:
        df[col] = rng.permutation(df[col].to_numpy())
    seen: dict[str, Any] = {}
    original = measurement._fit

    def capture(syntax, data, estimator, items, missing, *args, **kwargs):
        seen.update(syntax=syntax, data=data, items=list(items), missing=missing)
        raise _Captured

    measurement._fit = capture
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measurement.fit_measurement_model(df, invariance_groups=(), method_checks=False,
                                              htmt_boot=0, n_jobs=1)
    except _Captured:
        pass
    finally:
        measurement._fit = original
    if not seen:
        raise RuntimeError("The measurement step fitted no CFA.")
    return seen


def _fit(inputs: dict[str, Any], old: bool) -> dict[str, Any]:
    """One fit (all its starts); ``old``: the full problem and the 50-step check only."""
    from analysis.sem import cfa, wls

    steps: list[int] = []
    saved: dict[str, Any] = {k: getattr(wls, k) for k in
                             ("_gauss_newton", "_separable_thresholds",
                              "_RUNAWAY_FAST_CHECKS")}
    inner: Callable = saved["_gauss_newton"]

    def counted(*args, **kwargs):
        out = inner(*args, **kwargs)
        steps.append(int(out[1]))
        return out

    wls._gauss_newton = counted
    if old:
        wls._separable_thresholds = lambda *a, **k: None
        wls._RUNAWAY_FAST_CHECKS = 10 ** 9
    try:
        c, t = time.process_time(), time.perf_counter()
        res = cfa(inputs["syntax"], inputs["data"], estimator="WLSMV",
                  ordered=inputs["items"], missing=inputs["missing"])
        cpu, wall = time.process_time() - c, time.perf_counter() - t
    finally:
        for k, v in saved.items():
            setattr(wls, k, v)
    heywood = [w for w in res.warnings if "Heywood" in w]
    return {"cpu_s": cpu, "wall_s": wall, "steps": steps, "converged": bool(res.converged),
            "n_free": int(res.model.n_free), "heywood": heywood}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds (default 1)")
    args = ap.parse_args(argv)
    inputs = first_order_inputs()
    runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for name in ("old", "new"):
            r = _fit(inputs, old=name == "old")
            runs[name].append(r)
            print(json.dumps({"path": name, **r}))
    best = {k: min(v, key=lambda r: r["cpu_s"]) for k, v in runs.items()}
    same = (best["old"]["converged"] == best["new"]["converged"]
            and best["old"]["heywood"] == best["new"]["heywood"])
    print(json.dumps({
        "items": len(inputs["items"]), "n_free": best["new"]["n_free"],
        "old_cpu_s": round(best["old"]["cpu_s"], 2), "new_cpu_s": round(best["new"]["cpu_s"], 2),
        "cpu_ratio": round(best["old"]["cpu_s"] / best["new"]["cpu_s"], 2),
        "old_steps": sum(best["old"]["steps"]), "new_steps": sum(best["new"]["steps"]),
        "steps_ratio": round(sum(best["old"]["steps"]) / sum(best["new"]["steps"]), 2),
        "same_verdict": same}))


if __name__ == "__main__":
    main()
