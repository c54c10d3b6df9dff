"""Monte Carlo power of the declared hypotheses at several sample sizes (timed)."""

from __future__ import annotations

from typing import Any


def run(ns: list[int], reps: int, seed: int = 2026, workers: int | None = None,
        n_boot: int = 200, plot: str | None = None) -> dict[str, Any]:
    """Power table (hypothesis x n) with Monte Carlo SEs, wall time and executor."""
    from analysis.distributed import make_executor
    from analysis.study.power import plot_power, power_analysis

    with make_executor(None, workers) as ex:
        res = power_analysis(ns, reps, seed, executor=ex, n_boot=n_boot, progress=False)
    out = res.to_dict()
    out["ns"] = list(ns)
    out["seconds_per_replication"] = res.seconds / (len(ns) * reps)
    if plot:
        out["plot"] = str(plot_power(res, plot))
    return out
