"""Bootstrap of an indirect effect: ours vs lavaan ``se = "bootstrap"`` vs a semopy loop.

Model and data: PoliticalDemocracy (N = 75) with ``ab := a*b`` and ``total := c + a*b``
(the model of ``tests/reference/sem_boot``).  All three run ``R`` draws in this one run on
this machine:

* ours: :func:`analysis.sem.bootstrap.bootstrap` (compiled model, warm start, analytic
  gradient), serially and on 2 local processes; full-sample fit included;
* lavaan 0.6.14: ``sem(model, data, se = "bootstrap", bootstrap = R)`` timed inside R
  with ``system.time`` (R start-up and package loading excluded), serially and with
  ``parallel = "multicore", ncpus = 2``;
* a naive loop of fresh ``semopy.Model`` fits on the same resamples as ours (semopy
  shares class-level registries, so a fresh model per fit is the safe way).

Ratios are reported both ways: ours serially against lavaan serially, and ours on 2
processes against lavaan serially and against lavaan on 2 cores.

Run alone: ``python -m benchmarks.bootstrap_bench [--draws 1000] [--semopy-draws 200]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import DATA, ROOT, load_average, rscript, timed

MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ a*ind60
dem65 ~ c*ind60 + b*dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
ab := a*b
total := c + a*b
"""

R_SCRIPT = r"""
suppressMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
PD <- read.csv(args[1]); R <- as.integer(args[2]); model <- readLines(args[3])
fit0 <- sem(model, PD)  # warm-up (byte compilation), not timed
tm <- system.time(fit <- sem(model, PD, se = "bootstrap", bootstrap = R, iseed = 1))
pe <- parameterEstimates(fit, boot.ci.type = "perc")
tm2 <- system.time(fit2 <- sem(model, PD, se = "bootstrap", bootstrap = R, iseed = 1,
                               parallel = "multicore", ncpus = 2))
cat(sprintf(paste0('{"elapsed": %.4f, "user": %.4f, "elapsed_2cpu": %.4f, "lavaan": "%s", ',
                   '"R": "%s", "ab_se": %.6f}\n'),
    tm[["elapsed"]], tm[["user.self"]], tm2[["elapsed"]],
    as.character(packageVersion("lavaan")),
    paste(R.version$major, R.version$minor, sep = "."), pe$se[pe$lhs == "ab"]))
"""


def run_lavaan(n_draws: int) -> dict[str, Any] | None:
    """Time lavaan's bootstrap inside R; None if Rscript is missing."""
    exe = rscript()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "boot.R"
        script.write_text(R_SCRIPT, encoding="utf-8")
        model = Path(tmp) / "model.lav"
        model.write_text(MODEL, encoding="utf-8")
        out = subprocess.run(
            [exe, str(script), str(DATA / "PoliticalDemocracy.csv"), str(n_draws), str(model)],
            capture_output=True, text=True, timeout=3600, check=True, cwd=ROOT,
        )
    line = [s for s in out.stdout.splitlines() if s.startswith("{")][-1]
    return json.loads(line)


def _semopy_desc() -> str:
    lines = [ln for ln in MODEL.strip().splitlines() if ":=" not in ln]
    return "\n".join(ln.replace("a*", "").replace("b*", "").replace("c*", "") for ln in lines)


def run_semopy(data: pd.DataFrame, n_draws: int, seed: int) -> dict[str, Any]:
    """Fresh semopy Model per resample (the same resamples as ours for this seed)."""
    import semopy

    y = data[["x1", "x2", "x3", "y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"]]
    desc = _semopy_desc()
    ss = np.random.SeedSequence(seed)
    ab = []

    def loop():
        for i in range(n_draws):
            rng = np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(i,)))
            idx = rng.integers(0, len(y), size=len(y))
            m = semopy.Model(desc)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m.fit(y.iloc[idx].reset_index(drop=True))
            est = m.inspect()
            a = est[(est["lval"] == "dem60") & (est["op"] == "~") & (est["rval"] == "ind60")]
            b = est[(est["lval"] == "dem65") & (est["op"] == "~") & (est["rval"] == "dem60")]
            ab.append(float(a["Estimate"].iloc[0]) * float(b["Estimate"].iloc[0]))

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # as ours: small matrices
        _, secs = timed(loop)
    return {"seconds": secs, "draws": n_draws, "ab_se": float(np.std(ab, ddof=1))}


def run(n_draws: int = 1000, semopy_draws: int = 200, seed: int = 1,
        with_r: bool = True) -> dict[str, Any]:
    """All three timings; seconds per ``n_draws`` draws and ratios."""
    from analysis.distributed import ProcessExecutor, SerialExecutor
    from analysis.sem import compile_model
    from analysis.sem.bootstrap import bootstrap

    data = pd.read_csv(DATA / "PoliticalDemocracy.csv")
    compiled = compile_model(MODEL, data)
    bootstrap(compiled, data, 4, seed=0, progress=False)  # warm-up (imports)
    serial, t_serial = timed(lambda: bootstrap(compiled, data, n_draws, seed=seed,
                                               executor=SerialExecutor(), progress=False))
    par, t_par = timed(lambda: bootstrap(compiled, data, n_draws, seed=seed,
                                         executor=ProcessExecutor(2), progress=False))
    same = bool(np.array_equal(serial.draws, par.draws))
    j = serial.names.index("ab")
    res: dict[str, Any] = {
        "draws": n_draws,
        "ours_serial_s": t_serial, "ours_2proc_s": t_par, "ours_identical": same,
        "ours_ab_se": float(serial.se[j]), "ours_failed": serial.n_failed + serial.n_nonconverged,
    }
    sem = run_semopy(data, semopy_draws, seed)
    res["semopy_draws_timed"] = semopy_draws
    res["semopy_s"] = sem["seconds"] * n_draws / semopy_draws  # scaled to n_draws
    res["semopy_ab_se"] = sem["ab_se"]
    lav = run_lavaan(n_draws) if with_r else None
    if lav is not None:
        res["lavaan_s"] = lav["elapsed"]
        res["lavaan_user_s"] = lav["user"]
        res["lavaan_2cpu_s"] = lav["elapsed_2cpu"]
        res["lavaan_version"] = lav["lavaan"]
        res["R_version"] = lav["R"]
        res["lavaan_ab_se"] = lav["ab_se"]
    best = min(t_serial, t_par)
    res["ours_best_s"] = best
    res["ratio_lavaan_vs_ours"] = res["lavaan_s"] / best if "lavaan_s" in res else None
    # like for like: serial vs serial, 2 workers vs 2 workers; and ours on 2 vs lavaan serial
    res["ratio_serial_vs_lavaan_serial"] = (res["lavaan_s"] / t_serial
                                            if "lavaan_s" in res else None)
    res["ratio_2proc_vs_lavaan_serial"] = res["lavaan_s"] / t_par if "lavaan_s" in res else None
    res["ratio_2proc_vs_lavaan_2cpu"] = (res["lavaan_2cpu_s"] / t_par
                                         if "lavaan_2cpu_s" in res else None)
    res["ratio_semopy_vs_ours"] = res["semopy_s"] / best
    res["load_average"] = load_average()
    return res


def _print(res: dict[str, Any]) -> None:
    """A short human-readable table of :func:`run`'s figures."""
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.2f}"

    print(f"Bootstrap of ab := a*b, PoliticalDemocracy, {res['draws']} draws "
          f"(load average {res['load_average']:.1f})")
    print(f"  ours serial        {f(res['ours_serial_s'])} s")
    print(f"  ours 2 processes   {f(res['ours_2proc_s'])} s  (identical draws: "
          f"{res['ours_identical']})")
    print(f"  lavaan serial      {f(res.get('lavaan_s'))} s")
    print(f"  lavaan 2 cores     {f(res.get('lavaan_2cpu_s'))} s  (parallel = \"multicore\")")
    print(f"  semopy loop        {f(res['semopy_s'])} s  (scaled from "
          f"{res['semopy_draws_timed']} draws)")
    print(f"  lavaan serial / ours serial:       {f(res['ratio_serial_vs_lavaan_serial'])}x")
    print(f"  lavaan serial / ours 2 processes:  {f(res['ratio_2proc_vs_lavaan_serial'])}x")
    print(f"  lavaan 2 cores / ours 2 processes: {f(res['ratio_2proc_vs_lavaan_2cpu'])}x")


def main(argv: list[str] | None = None) -> int:
    """Command line: print the figures as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--semopy-draws", type=int, default=200)
    args = ap.parse_args(argv)
    res = run(args.draws, args.semopy_draws)
    print(json.dumps(res, indent=2))
    _print(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
