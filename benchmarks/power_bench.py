"""Monte Carlo power of the declared hypotheses at several sample sizes (timed).

``python -m benchmarks.power_bench [--reps 1000] [--workers 2] [--peer-reps 25] [--dask]``

* ours: ``power_analysis`` at n = 100, 150, 200, 300 with ``--reps`` replications each
  (every confirmatory hypothesis, the runner's tests, Monte Carlo CI of the indirect
  effect), on local processes;
* peer (what simsem does): a loop of lavaan fits in R of the same models on the same
  simulated studies -- the attenuation-corrected path model (ML), the mediation model
  with ``semTools::monteCarloCI`` when semTools is there, and the three regressions
  (``lm``) -- timed inside R around the loop (R start-up and package loading excluded)
  on ``--peer-reps`` studies per size and scaled to ``--reps``; the ratio printed is peer
  time / ours for the same number of replications;
* ``--dask``: the same power run on a Dask ``LocalCluster`` with 1 and 2 single-threaded
  workers (speed-up 1 -> 2 workers, results identical).

Every figure is printed with the one-minute load average next to it (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks.common import load_average, rscript

NS = [100, 150, 200, 300]

R_LOOP = r"""
suppressPackageStartupMessages(library(lavaan))
has_st <- requireNamespace("semTools", quietly = TRUE)
args <- commandArgs(trailingOnly = TRUE)
files <- readLines(args[1])
t0 <- proc.time()
for (f in files) {
  d <- read.csv(paste0(f, ".csv"))
  model <- paste(readLines(paste0(f, ".lav")), collapse = "\n")
  corrected <- readLines(paste0(f, ".cor"))
  fit <- sem(model, data = d[, setdiff(names(d), corrected)], estimator = "ML")
  pe <- parameterEstimates(fit)
  med <- sem(paste0("learning ~ a*jd_sum + specific_investments + alliance_age + firm_size\n",
                    "value_creation ~ b*learning + jd_sum + specific_investments + ",
                    "alliance_age + firm_size\nind := a*b"), data = d, estimator = "ML")
  if (has_st) ci <- semTools::monteCarloCI(med, nRep = 20000)
  m5 <- lm(value_appropriation ~ scale(value_creation, scale = FALSE) *
             scale(asym_signed, scale = FALSE) + alliance_age + firm_size, data = d)
  m7 <- lm(value_creation ~ scale(learning, scale = FALSE) *
             scale(specific_investments, scale = FALSE) + jd_sum + alliance_age + firm_size,
           data = d)
  q6 <- lm(relationship_performance ~ trust + I(trust^2) + learning + value_creation +
             alliance_age + firm_size, data = d)
  s <- list(summary(m5), summary(m7), summary(q6))
}
dt <- proc.time() - t0
cat(sprintf("%.6f %.6f %d\n", dt[["elapsed"]], dt[["user.self"]] + dt[["sys.self"]],
            as.integer(has_st)))
"""


def _peer_inputs(ns: list[int], k: int, folder: Path, seed: int) -> list[str]:
    """``k`` simulated studies per size: the path model's data (composites and their
    single indicators) and its lavaan syntax with the study's fixed error variances."""
    import numpy as np
    import pandas as pd

    from analysis.study.hypotheses import (
        _fit_path_model,
        composite_reliabilities,
        load_hypotheses,
        prepare_scores,
    )
    from analysis.study.power import _context
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study

    hs = load_hypotheses()
    population, instrument = _context(None)
    stems = []
    for n in ns:
        for r in range(k):
            s = int(np.random.SeedSequence(entropy=seed, spawn_key=(n, r)).generate_state(1)[0])
            data = simulate_study(n, seed=s, careless=0.05, instrument=instrument,
                                  population=population)
            full = score(data, instrument)
            d, _ex, _full = prepare_scores(data, full, hs, instrument)
            keep = ~full["exclude"].fillna(False).astype(bool).to_numpy()
            rel = composite_reliabilities(data.reset_index(drop=True).loc[keep], hs,
                                          instrument)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _res, syntax, _miss, corrected = _fit_path_model(
                    hs, d, list(hs.controls), "ML", [], rel)
            frame = d.copy()
            for c in corrected:
                frame[f"{c}__obs"] = frame[c]
            stem = folder / f"s{n}_{r}"
            pd.DataFrame(frame).select_dtypes("number").to_csv(f"{stem}.csv", index=False)
            Path(f"{stem}.lav").write_text(syntax, encoding="utf-8")
            Path(f"{stem}.cor").write_text("".join(f"{c}\n" for c in corrected),
                                           encoding="utf-8")
            stems.append(str(stem))
    return stems


def lavaan_loop(ns: list[int], k: int, seed: int = 2026) -> dict[str, Any] | None:
    """Seconds per replication of the lavaan loop (None without Rscript)."""
    r = rscript()
    if r is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stems = _peer_inputs(ns, k, folder, seed)
        (folder / "files.txt").write_text("\n".join(stems) + "\n", encoding="utf-8")
        (folder / "loop.R").write_text(R_LOOP, encoding="utf-8")
        la = load_average()
        out = subprocess.run([r, str(folder / "loop.R"), str(folder / "files.txt")],
                             capture_output=True, text=True, timeout=3600, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    secs, cpu, has_st = out.stdout.split()[-3:]
    return {"seconds": float(secs), "replications": len(stems),
            "seconds_per_replication": float(secs) / len(stems),
            "cpu_ms_per_replication": 1000 * float(cpu) / len(stems),
            "monte_carlo_ci": bool(int(has_st)), "load": la}


def run(ns: list[int], reps: int, seed: int = 2026, workers: int | None = None,
        n_boot: int = 200, plot: str | None = None,
        mediation_ci: str = "monte_carlo") -> dict[str, Any]:
    """Power table (hypothesis x n) with Monte Carlo SEs, wall time and executor."""
    import resource

    from analysis.distributed import make_executor
    from analysis.study.power import plot_power, power_analysis

    la = load_average()

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    c0 = cpu()
    with make_executor(None, workers) as ex:
        res = power_analysis(ns, reps, seed, executor=ex, n_boot=n_boot, progress=False,
                             mediation_ci=mediation_ci)
    # CPU time of this process and its worker processes (reaped when the pool closed):
    # on a shared machine the wall time follows the load, the CPU time much less
    cpu_s = cpu() - c0
    out = res.to_dict()
    out["ns"] = list(ns)
    out["seconds_per_replication"] = res.seconds / (len(ns) * reps)
    out["cpu_seconds"] = cpu_s
    out["cpu_ms_per_replication"] = 1000 * cpu_s / (len(ns) * reps)
    out["workers"] = workers
    out["load"] = la
    out["load_end"] = load_average()
    if plot:
        out["plot"] = str(plot_power(res, plot))
    return out


def dask_scaling(ns: list[int], reps: int, seed: int = 2026) -> dict[str, Any]:
    """The same power run on a LocalCluster with 1 and with 2 single-threaded workers."""
    from dask.distributed import Client, LocalCluster

    from analysis.distributed import DaskExecutor
    from analysis.study.power import power_analysis

    out: dict[str, Any] = {"ns": list(ns), "reps": reps}
    tables = []
    for w in (1, 2):
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            la = load_average()
            t = time.perf_counter()
            res = power_analysis(ns, reps, seed, executor=DaskExecutor(client), progress=False)
            out[f"workers_{w}_s"] = time.perf_counter() - t
            out[f"workers_{w}_load"] = la
            tables.append(res.replications)
    out["speedup"] = out["workers_1_s"] / out["workers_2_s"]
    out["identical"] = bool(tables[0].equals(tables[1]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peer-reps", type=int, default=25,
                    help="Studies per size fitted by the lavaan loop (scaled to --reps).")
    ap.add_argument("--dask", action="store_true", help="Also the 1 vs 2 Dask workers run.")
    ap.add_argument("--dask-reps", type=int, default=100)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    ours = run(NS, a.reps, workers=a.workers)
    ideal = ours["cpu_seconds"] / max(1, a.workers)
    print(f"ours: {len(NS)} x {a.reps} replications in {ours['seconds']:.1f} s "
          f"({ours['executor']}; {1000 * ours['seconds_per_replication']:.1f} ms/replication "
          f"wall; load {ours['load']:.1f} -> {ours['load_end']:.1f}); CPU "
          f"{ours['cpu_ms_per_replication']:.1f} ms/replication, {ideal:.0f} s on "
          f"{a.workers} free cores; indirect effects: {ours['mediation_method']}")
    result: dict[str, Any] = {"ours": ours}
    peer = lavaan_loop(NS, a.peer_reps) if a.peer_reps > 0 else None
    if peer and "error" not in peer:
        scaled = peer["seconds_per_replication"] * len(NS) * a.reps
        peer["scaled_seconds"] = scaled
        peer["ratio"] = scaled / ours["seconds"]
        peer["cpu_ratio"] = peer["cpu_ms_per_replication"] / ours["cpu_ms_per_replication"]
        print(f"lavaan loop (R, 1 process): {1000 * peer['seconds_per_replication']:.1f} ms/"
              f"replication over {peer['replications']} studies (load {peer['load']:.1f}) -> "
              f"{scaled:.0f} s for {len(NS)} x {a.reps}; ratio lavaan / ours = "
              f"{peer['ratio']:.1f}x; CPU per replication {peer['cpu_ms_per_replication']:.0f} "
              f"ms vs ours {ours['cpu_ms_per_replication']:.0f} ms, "
              f"{peer['cpu_ratio']:.1f}x")
    elif peer:
        print(f"lavaan loop failed: {peer['error']}")
    result["lavaan"] = peer
    if a.dask:
        dk = dask_scaling(NS, a.dask_reps)
        result["dask"] = dk
        print(f"Dask LocalCluster, {len(NS)} x {a.dask_reps}: 1 worker {dk['workers_1_s']:.1f} s "
              f"(load {dk['workers_1_load']:.1f}), 2 workers {dk['workers_2_s']:.1f} s (load "
              f"{dk['workers_2_load']:.1f}); speed-up {dk['speedup']:.2f}x; identical "
              f"{dk['identical']}")
    ratio = (f"{peer['ratio']:.1f}x wall, {peer['cpu_ratio']:.1f}x CPU"
             if peer and "ratio" in peer else "n/a")
    print(f"SUMMARY power: {len(NS)} x {a.reps} replications {ours['seconds']:.0f} s on "
          f"{ours['executor']} (load {ours['load']:.1f} -> {ours['load_end']:.1f}; CPU "
          f"{ours['cpu_ms_per_replication']:.0f} ms/replication = {ideal:.0f} s on "
          f"{a.workers} free cores); lavaan loop / ours {ratio}"
          + (f"; Dask 1->2 workers {result['dask']['speedup']:.2f}x" if a.dask else ""))
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
