"""The full analysis pipeline on large simulated samples: time per stage and peak memory.

Pipeline (``analysis.study.pipeline.analyze_study`` then ``analysis.report.build_report``): scoring
and data-quality flags -> reliability -> measurement model (CFA of all scales) ->
hypothesis tests (composite path model, bootstrap mediation, moderation, ...) -> dyadic
section -> HTML report.  Stage times come from analyze_study's progress messages.  Each
sample size runs in a fresh process (``python -m benchmarks.pipeline_bench --n N``) so
that its peak resident memory (``ru_maxrss``) is its own.  ``ru_maxrss`` counts the main
process only; the measurement model runs on forked workers, so the analysis is also
sampled every 0.1 s for the memory of the whole process tree (the sum of the processes'
proportional set sizes, which counts pages a worker shares with its parent once).

Growth with the number of items: ``python -m benchmarks.pipeline_bench --items K --n N``
times the WLSMV measurement model alone (a simulated CFA of K seven-point items, five per
factor, correlated factors) in a fresh process: the polychoric statistics with their
asymptotic covariance (Gamma), and the estimation with robust SEs, the scaled test and
the fit indices.  :func:`growth_exponents` fits ``time ~ N^a`` and ``~ items^b`` (and the
same for memory) to a series.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.common import ROOT, TreeMemory, peak_rss_mib


def measure(n: int, bootstrap: int = 200, seed: int = 1, report: bool = True) -> dict[str, Any]:
    """Simulate ``n`` respondents (not timed), then time every pipeline stage."""
    from analysis.study.pipeline import analyze_study
    from analysis.study.simulate import load_population, simulate_study

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    data = simulate_study(n, seed=seed, population=load_population())
    sim_s = time.perf_counter() - t
    rss_data = peak_rss_mib()
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    with TreeMemory() as tree:
        result = analyze_study(data, bootstrap=bootstrap, seed=seed,
                               progress=lambda msg: marks.append((msg, time.perf_counter())))
    t_an = time.perf_counter()
    stages: dict[str, float] = {}
    bounds = marks + [("end", t_an)]
    for (msg, a), (_m2, b) in zip(bounds[:-1], bounds[1:], strict=True):
        stages[msg.split(" (")[0].rstrip(" .")] = b - a
    if marks:
        stages["setup"] = marks[0][1] - t0
    report_s = None
    if report:
        try:
            from analysis.report import build_report

            t = time.perf_counter()
            # the data's fingerprint from the analysis, as the report command passes its
            # input file's hash (the report would otherwise hash the frame's CSV text)
            build_report(data, analysis=result, seed=seed,
                         data_sha256=result["provenance"]["data_sha256"])
            report_s = time.perf_counter() - t
        except ImportError:  # pragma: no cover - report module missing
            report_s = None
    total = (t_an - t0) + (report_s or 0.0)
    return {"n": n, "items": int(sum(c.endswith(tuple("0123456789")) for c in data.columns)),
            "simulate_s": sim_s, "stages_s": stages, "report_s": report_s,
            "pipeline_s": total, "peak_rss_mib": peak_rss_mib(), "rss_after_data_mib": rss_data,
            "peak_tree_pss_mib": tree.peak_mib,
            "hypotheses_supported": sum(1 for h in result.get("hypotheses", [])
                                        if h.get("verdict") == "supported")}


def measure_light(n: int, bootstrap: int = 10, seed: int = 1) -> dict[str, Any]:
    """Scoring and the hypothesis tests only (no measurement model, no report): the
    smoke version of :func:`measure` for CI."""
    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.scoring import score
    from analysis.study.simulate import load_population, simulate_study

    warnings.simplefilter("ignore")
    data = simulate_study(n, seed=seed, population=load_population())
    t0 = time.perf_counter()
    scored = score(data)
    t1 = time.perf_counter()
    test_hypotheses(data, scored, estimator="ML", bootstrap=bootstrap, seed=seed)
    t2 = time.perf_counter()
    return {"n": n, "items": int(sum(c.endswith(tuple("0123456789")) for c in data.columns)),
            "stages_s": {"Scoring": t1 - t0, "Hypothesis tests": t2 - t1}, "report_s": None,
            "pipeline_s": t2 - t0, "peak_rss_mib": peak_rss_mib(), "light": True}


def _run_module(args: list[str], what: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.pipeline_bench", *args],
                             cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                             check=False)
    except subprocess.TimeoutExpired:
        return {**what, "error": f"did not finish within {timeout:.0f} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {**what, "error": (out.stderr or out.stdout)[-600:]}
    return json.loads(lines[-1])


def measure_in_subprocess(n: int, bootstrap: int = 200, timeout: float = 1800) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process (clean peak memory)."""
    return _run_module(["--n", str(n), "--bootstrap", str(bootstrap)], {"n": n}, timeout)


def simulate_items(n_items: int, n: int, seed: int = 1,
                   per_factor: int = 5) -> tuple[Any, str, list[str]]:
    """Seven-point answers to ``n_items`` items of a simple-structure CFA.

    ``ceil(n_items / per_factor)`` factors correlated .3, standardized loadings .55 to .8,
    the thresholds of the study's items (slightly skewed).  Returns the data, the lavaan
    syntax and the item names.
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    k = -(-n_items // per_factor)
    phi = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    eta = rng.standard_normal((n, k)) @ np.linalg.cholesky(phi).T
    fac = np.arange(n_items) // per_factor
    lam = rng.uniform(0.55, 0.8, n_items)
    ystar = eta[:, fac] * lam + rng.standard_normal((n, n_items)) * np.sqrt(1.0 - lam**2)
    cuts = np.array([-1.8, -1.1, -0.5, 0.1, 0.8, 1.5])
    names = [f"y{j + 1}" for j in range(n_items)]
    data = pd.DataFrame(np.searchsorted(cuts, ystar).astype(float) + 1.0, columns=names)
    syntax = "\n".join(f"f{f + 1} =~ " + " + ".join(n_ for n_, g in zip(names, fac, strict=True)
                                                   if g == f) for f in range(k))
    return data, syntax, names


def measure_items(n_items: int, n: int = 20_000, seed: int = 1) -> dict[str, Any]:
    """Time the WLSMV measurement model of ``n_items`` simulated ordinal items.

    Stages: ``sample statistics`` (thresholds, polychorics, Gamma; simulation not timed)
    and ``estimation`` (DWLS, robust SEs, scaled-shifted test, fit indices, parameter
    table).
    """
    from analysis.sem import cfa
    from analysis.sem.ordinal import OrdinalStatsCache

    warnings.simplefilter("ignore")
    data, syntax, names = simulate_items(n_items, n, seed)
    rss_data = peak_rss_mib()
    cache = OrdinalStatsCache()
    t0 = time.perf_counter()
    cache.stats(data.to_numpy(), names)
    t1 = time.perf_counter()
    res = cfa(syntax, data, estimator="WLSMV", ordered=names, ordinal_cache=cache)
    _ = (res.params, res.fit)
    t2 = time.perf_counter()
    n_stats = n_items * 6 + n_items * (n_items - 1) // 2
    return {"n": n, "items": n_items, "factors": -(-n_items // 5), "statistics": n_stats,
            "npar": int(res.model.n_free), "stages_s": {"sample statistics": t1 - t0,
                                                        "estimation": t2 - t1},
            "measurement_s": t2 - t0, "peak_rss_mib": peak_rss_mib(),
            "rss_after_data_mib": rss_data, "converged": bool(res.converged),
            "cfi_robust": float(res.fit.get("cfi_robust", np.nan))}


def measure_items_in_subprocess(n_items: int, n: int = 20_000,
                                timeout: float = 1800) -> dict[str, Any]:
    """:func:`measure_items` in a fresh Python process (clean peak memory)."""
    return _run_module(["--items", str(n_items), "--n", str(n)], {"n": n, "items": n_items},
                       timeout)


def growth_exponents(rows: Sequence[dict[str, Any]], x: str, y: str) -> float:
    """Least-squares slope of ``log y`` on ``log x`` over the rows without errors
    (``y ~ x^slope``); NaN with fewer than two usable rows."""
    pts = [(float(r[x]), float(r[y])) for r in rows
           if "error" not in r and r.get(y) is not None and float(r[y]) > 0]
    if len({p[0] for p in pts}) < 2:
        return float("nan")
    lx, ly = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(lx, ly, 1)[0])


def growth(rows: Sequence[dict[str, Any]], x: str, time_key: str) -> dict[str, Any]:
    """Growth exponents of time, peak memory, memory above the data (``rss_after_data``)
    and of every stage's time (``stages``), fitted over all rows, and of time and memory
    between the two largest ``x`` (``*_two_largest``: fixed costs weigh less there)."""
    ok = [r for r in rows if "error" not in r]
    extra = [{**r, "extra_mib": r["peak_rss_mib"] - r["rss_after_data_mib"]} for r in ok
             if "rss_after_data_mib" in r]
    names = dict.fromkeys(k for r in ok for k in r.get("stages_s", {}))
    stages = {k: growth_exponents([{x: r[x], "t": r["stages_s"].get(k)} for r in ok], x, "t")
              for k in names}
    top = sorted(ok, key=lambda r: float(r[x]))[-2:]  # the two largest: nearest asymptote
    return {"time": growth_exponents(ok, x, time_key),
            "peak_memory": growth_exponents(ok, x, "peak_rss_mib"),
            "memory_above_data": growth_exponents(extra, x, "extra_mib"),
            "stages": stages,
            "time_two_largest": growth_exponents(top, x, time_key),
            "memory_above_data_two_largest": growth_exponents(
                sorted(extra, key=lambda r: float(r[x]))[-2:], x, "extra_mib")}


def analyze_demo(timeout: float = 1800) -> dict[str, Any]:
    """``alliance-survey analyze`` on the demo study as a user runs it: the whole process
    (start-up, imports, reading the CSV, the analysis) and its peak memory."""
    import resource

    demo = ROOT / "data" / "demo" / "alliance_demo.csv"
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "analysis.cli", "analyze", str(demo),
                          "--json", "-"], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout, check=False)
    secs = time.perf_counter() - t
    if out.returncode != 0:
        return {"error": out.stderr[-600:]}
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"seconds": secs, "peak_rss_mib": rss}


def summary(n_large: int = 100_000, timeout: float = 1800) -> dict[str, Any]:
    """The demo's ``analyze`` and the full pipeline at ``n_large``, against their budgets
    (demo under 5 s; N = 100,000 under 30 s and 2 GiB), with the load average."""
    from benchmarks.common import load_average

    la = load_average()
    demo = analyze_demo(timeout)
    large = measure_in_subprocess(n_large, timeout=timeout)
    res = {"load": la, "demo": demo, "large": large}
    parts = []
    if "error" in demo:
        parts.append(f"demo analyze failed: {demo['error'][-200:]}")
    else:
        parts.append(f"demo analyze {demo['seconds']:.1f} s (budget 5 s, "
                     f"{demo['seconds'] / 5:.1f}x of it)")
    if "error" in large:
        parts.append(f"N = {n_large:,} failed: {large['error'][-200:]}")
    else:
        parts.append(f"N = {n_large:,} pipeline {large['pipeline_s']:.1f} s (budget 30 s, "
                     f"{large['pipeline_s'] / 30:.1f}x), peak {large['peak_rss_mib']:.0f} MiB "
                     f"in the main process and {large.get('peak_tree_pss_mib', 0):.0f} MiB "
                     "with its workers (proportional set; budget 2048 MiB)")
    res["line"] = ("SUMMARY pipeline: " + "; ".join(parts)
                   + f"; load {la:.1f} -> {load_average():.1f}")
    return res


def main(argv: list[str] | None = None) -> int:
    """Command line: one sample size, JSON on one line (``--summary``: the demo's
    ``analyze`` and N = 100,000 against their budgets, one line)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=None,
                    help="Sample size (default 10,000; 100,000 with --summary).")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--items", type=int, default=None,
                    help="Time the WLSMV measurement model of this many simulated items "
                         "(at --n) instead of the pipeline.")
    ap.add_argument("--summary", action="store_true",
                    help="Time the demo's analyze and the pipeline at --n (default 100,000 "
                         "here) against their budgets; one summary line.")
    args = ap.parse_args(argv)
    if args.summary:
        res = summary(100_000 if args.n is None else args.n)
        print(res["line"])
        print(json.dumps({k: v for k, v in res.items() if k != "line"}))
        return 0
    n = 10_000 if args.n is None else args.n
    if args.items is not None:
        print(json.dumps(measure_items(args.items, n)))
    else:
        print(json.dumps(measure(n, args.bootstrap, report=not args.no_report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
