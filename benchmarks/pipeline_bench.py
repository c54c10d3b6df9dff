"""The full analysis pipeline on large simulated samples: time per stage and peak memory.

Pipeline (``analysis.study.analyze_study`` then ``analysis.report.build_report``): scoring
and data-quality flags -> reliability -> measurement model (CFA of all scales) ->
hypothesis tests (composite path model, bootstrap mediation, moderation, ...) -> dyadic
section -> HTML report.  Stage times come from analyze_study's progress messages.  Each
sample size runs in a fresh process (``python -m benchmarks.pipeline_bench --n N``) so
that its peak resident memory (``ru_maxrss``) is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from typing import Any

from benchmarks.common import ROOT, peak_rss_mib


def measure(n: int, bootstrap: int = 200, seed: int = 1, report: bool = True) -> dict[str, Any]:
    """Simulate ``n`` respondents (not timed), then time every pipeline stage."""
    from analysis.simulate import load_population, simulate_study
    from analysis.study import analyze_study

    warnings.simplefilter("ignore")
    t = time.perf_counter()
    data = simulate_study(n, seed=seed, population=load_population())
    sim_s = time.perf_counter() - t
    rss_data = peak_rss_mib()
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()
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
            build_report(data, analysis=result, seed=seed)
            report_s = time.perf_counter() - t
        except ImportError:  # pragma: no cover - report module missing
            report_s = None
    total = (t_an - t0) + (report_s or 0.0)
    return {"n": n, "items": int(sum(c.endswith(tuple("0123456789")) for c in data.columns)),
            "simulate_s": sim_s, "stages_s": stages, "report_s": report_s,
            "pipeline_s": total, "peak_rss_mib": peak_rss_mib(), "rss_after_data_mib": rss_data,
            "hypotheses_supported": sum(1 for h in result.get("hypotheses", [])
                                        if h.get("verdict") == "supported")}


def measure_light(n: int, bootstrap: int = 10, seed: int = 1) -> dict[str, Any]:
    """Scoring and the hypothesis tests only (no measurement model, no report): the
    smoke version of :func:`measure` for CI."""
    from analysis.hypotheses import test_hypotheses
    from analysis.scoring import score
    from analysis.simulate import load_population, simulate_study

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


def measure_in_subprocess(n: int, bootstrap: int = 200, timeout: float = 1800) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process (clean peak memory)."""
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.pipeline_bench", "--n", str(n),
                              "--bootstrap", str(bootstrap)], cwd=ROOT, capture_output=True,
                             text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"n": n, "error": f"did not finish within {timeout:.0f} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"n": n, "error": (out.stderr or out.stdout)[-600:]}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    """Command line: one sample size, JSON on one line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.n, args.bootstrap, report=not args.no_report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
