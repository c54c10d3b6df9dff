"""Helpers of the pipeline benchmark: the simulated item series and the growth exponents."""

from __future__ import annotations

import math

import numpy as np

from benchmarks.pipeline_bench import growth, growth_exponents, simulate_items


def test_growth_exponents_recover_a_power_law():
    rows = [{"n": n, "t": 0.02 * n**1.3} for n in (1_000, 3_000, 10_000)]
    assert math.isclose(growth_exponents(rows, "n", "t"), 1.3, rel_tol=1e-9)
    # failed rows are ignored; fewer than two usable points give NaN
    assert math.isclose(growth_exponents([*rows, {"n": 5, "error": "x"}], "n", "t"), 1.3,
                        rel_tol=1e-9)
    assert math.isnan(growth_exponents(rows[:1], "n", "t"))


def test_growth_reports_time_memory_and_stages():
    rows = [{"items": k, "measurement_s": 0.5 * k**2, "peak_rss_mib": 100 + k,
             "rss_after_data_mib": 100.0, "stages_s": {"a": k**3, "b": 2.0 * k}}
            for k in (10, 20, 40)]
    g = growth(rows, "items", "measurement_s")
    assert math.isclose(g["time"], 2.0, rel_tol=1e-9)
    assert math.isclose(g["memory_above_data"], 1.0, rel_tol=1e-9)
    assert 0 < g["peak_memory"] < 1
    assert math.isclose(g["stages"]["a"], 3.0, rel_tol=1e-9)
    assert math.isclose(g["stages"]["b"], 1.0, rel_tol=1e-9)
    assert math.isclose(g["time_two_largest"], 2.0, rel_tol=1e-9)
    assert math.isclose(g["memory_above_data_two_largest"], 1.0, rel_tol=1e-9)
    # fixed costs: the exponent between the two largest is nearer the asymptotic one
    rows = [{"n": n, "t": 10.0 + 1e-6 * n**2} for n in (1_000, 10_000, 100_000)]
    g = growth(rows, "n", "t")
    assert g["time"] < g["time_two_largest"] < 2.0


def test_simulated_items_have_the_declared_structure():
    data, syntax, names = simulate_items(15, 3000, seed=4)
    assert list(data.columns) == names == [f"y{j}" for j in range(1, 16)]
    assert syntax.splitlines()[1] == "f2 =~ y6 + y7 + y8 + y9 + y10"
    assert set(np.unique(data.to_numpy())) == set(range(1, 8))
    r = np.corrcoef(data.to_numpy().T)
    within, between = r[0, 1:5].mean(), r[0, 5:].mean()
    assert within > 0.3 > between > 0.05  # items of one factor correlate more


def _hold(mib: int, seconds: float) -> float:
    import time

    block = np.ones(mib * 1024 * 1024 // 8)  # written, so resident
    time.sleep(seconds)
    return float(block[0])


def test_tree_memory_counts_a_forked_worker():
    # ru_maxrss of the main process would not see the worker's 300 MiB; the tree does
    import os

    from analysis.forked import Forked
    from benchmarks.common import TreeMemory, _descendants, _pss_kib

    before = sum(_pss_kib(p) for p in _descendants(os.getpid())) / 1024.0
    with TreeMemory(interval=0.05) as mem:
        assert Forked(_hold, 300, 1.5, fork=True).result() == 1.0
    assert mem.peak_mib - before > 250
