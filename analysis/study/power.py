"""Monte Carlo power of the declared hypotheses (sample-size planning).

For every sample size ``n`` and replication ``r`` one study is simulated from the
population model (:func:`analysis.study.simulate.simulate_study`, ``analysis/study/population.yaml``),
scored (:func:`analysis.study.scoring.score`) and tested with the hypothesis runner
(:func:`analysis.study.hypotheses.test_hypotheses`, the same methods as the real analysis:
composite path model, bootstrap mediation, HC3 moderation, Lind-Mehlum quadratic test).
The power of a hypothesis is the share of replications in which its verdict is
"supported" (significant at ``alpha`` with the expected sign); its Monte Carlo standard
error is ``sqrt(p (1 - p) / R)``.  Exploratory hypotheses have no power (no directional
claim) and are left out.

Replication ``(n, r)`` draws all its random numbers from
``numpy.random.SeedSequence(seed)`` with ``spawn_key=(n, r)`` and runs with one BLAS
thread, so the result is identical serially, on local processes and on a Dask cluster
(:mod:`analysis.distributed`), and a run with more replications extends a shorter one.

# In R: simsem::sim(nRep = R, model, n = c(100, 150, 200, 300), generate = popModel)
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.blas import blas_threads
from analysis.errors import AllianceSurveyError, ModelSpecificationError

__all__ = ["PowerPayload", "PowerResult", "mc_se", "plot_power", "power_analysis",
           "run_replications", "wald_power"]


def mc_se(p: float | np.ndarray, reps: int | np.ndarray) -> float | np.ndarray:
    """Monte Carlo standard error of a proportion ``p`` from ``reps`` replications."""
    p = np.asarray(p, dtype=float)
    r = np.asarray(reps, dtype=float)
    with np.errstate(all="ignore"):
        out = np.where(r > 0, np.sqrt(p * (1.0 - p) / r), np.nan)
    return float(out) if out.ndim == 0 else out


def wald_power(effect: float, se: float, alpha: float = 0.05, sides: int = 1) -> float:
    """Power of a Wald test to detect ``effect`` when its estimate has standard error ``se``.

    The sensitivity of a study at its observed size: the probability that a test at
    ``alpha`` rejects when the true effect is ``effect`` (e.g. the smallest effect size
    of interest), with the standard error the study achieved.  It is not the "observed
    power" of the estimate (a transformation of its p-value, which says nothing new).

    ``sides=1``: ``Phi(|effect| / se - z_{1 - alpha})``; ``sides=2``:
    ``Phi(|effect| / se - z_{1 - alpha/2}) + Phi(-|effect| / se - z_{1 - alpha/2})``.

    # In R: pwr::pwr.norm.test(d = effect / se, n = 1, sig.level = alpha,
    #                          alternative = "greater")$power
    """
    from scipy import stats

    if sides not in (1, 2):
        raise ModelSpecificationError(f"sides= must be 1 or 2 (got {sides!r}).")
    if not (np.isfinite(effect) and np.isfinite(se) and se > 0 and 0 < alpha < 1):
        return float("nan")
    lam = abs(float(effect)) / float(se)
    q = float(stats.norm.ppf(1 - alpha / sides))
    out = stats.norm.cdf(lam - q)
    if sides == 2:
        out += stats.norm.cdf(-lam - q)
    return float(out)


@dataclass(frozen=True)
class PowerPayload:
    """What every replication needs (picklable; shared read-only by all tasks)."""

    ns: tuple[int, ...]
    reps: int
    entropy: int
    hypotheses: Any  # HypothesisSet restricted to the confirmatory hypotheses
    population_path: str | None
    n_boot: int
    alpha: float
    estimator: str
    careless: float
    missing: float


@lru_cache(maxsize=4)
def _context(population_path: str | None) -> tuple[Any, Any]:
    """Population model and instrument, loaded once per process (read-only objects)."""
    from analysis.study.simulate import load_population
    from instruments.instrument.loader import load_instrument

    return load_population(population_path), load_instrument()


def run_replications(payload: PowerPayload, task_ids: Sequence[int]) -> list[tuple]:
    """Run replications ``task_ids`` (task ``t`` = size index ``t // reps``, replication
    ``t % reps``); returns ``(task, n, rep, rows or None, error or None)`` each, where
    rows are ``(hypothesis, verdict, estimate, pvalue)``."""
    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study

    population, instrument = _context(payload.population_path)
    out = []
    with blas_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in task_ids:
            k, rep = divmod(int(t), payload.reps)
            n = payload.ns[k]
            ss = np.random.SeedSequence(entropy=payload.entropy, spawn_key=(n, rep))
            sim_seed, boot_seed = (int(v) for v in ss.generate_state(2))
            try:
                data = simulate_study(n, seed=sim_seed, careless=payload.careless,
                                      missing=payload.missing, instrument=instrument,
                                      population=population)
                scored = score(data, instrument)
                res = test_hypotheses(data, scored, hypotheses=payload.hypotheses,
                                      estimator=payload.estimator, bootstrap=payload.n_boot,
                                      seed=boot_seed, alpha=payload.alpha,
                                      instrument=instrument,
                                      # power needs verdicts only; the latent alternative
                                      # of a regression-moderation verdict is not one
                                      latent_alternative=False)
                rows = tuple((str(r.id), str(r.verdict), float(r.estimate), float(r.pvalue))
                             for r in res.itertuples())
                out.append((int(t), n, rep, rows, None))
            except AllianceSurveyError as exc:  # a failed replication counts as failed
                out.append((int(t), n, rep, None, f"{type(exc).__name__}: {exc}"))
    return out


@dataclass(frozen=True)
class PowerResult:
    """Power per sample size and hypothesis.

    Attributes
    ----------
    table : DataFrame
        ``n, hypothesis, expected_sign, method, power, mc_se, ci_lower, ci_upper,
        n_reps, n_failed`` (``ci`` = power +- 1.96 MC SE, clipped to [0, 1]).
    replications : DataFrame
        ``n, rep, hypothesis, verdict, estimate, pvalue`` of every successful replication.
    seed, reps, alpha, n_boot, estimator : settings of the run
    seconds : float
        Wall-clock time of the run.
    executor : str
        Where it ran.
    errors : tuple of str
        Messages of failed replications.
    """

    table: pd.DataFrame
    replications: pd.DataFrame
    seed: int
    reps: int
    alpha: float
    n_boot: int
    estimator: str
    seconds: float
    executor: str
    errors: tuple[str, ...] = field(default=(), repr=False)

    def wide(self) -> pd.DataFrame:
        """Power as a hypothesis x n table."""
        return self.table.pivot(index="hypothesis", columns="n", values="power")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (power table and settings; no replications)."""
        return {
            "seed": self.seed, "reps": self.reps, "alpha": self.alpha, "n_boot": self.n_boot,
            "estimator": self.estimator, "seconds": self.seconds, "executor": self.executor,
            "n_failed": int(self.table.groupby("n")["n_failed"].first().sum())
            if len(self.table) else 0,
            "power": json.loads(self.table.to_json(orient="records")),
        }


def power_analysis(
    ns: Sequence[int],
    reps: int,
    seed: int = 2026,
    *,
    executor: Any = None,
    n_boot: int = 200,
    alpha: float = 0.05,
    estimator: str = "ML",
    careless: float = 0.05,
    missing: float = 0.0,
    hypotheses: Any = None,
    population_path: str | Path | None = None,
    progress: bool | None = None,
) -> PowerResult:
    """Monte Carlo power of every confirmatory hypothesis at each sample size.

    Parameters
    ----------
    ns : sequence of int
        Sample sizes (respondents per simulated study).
    reps : int
        Replications per sample size (R).
    seed : int
        Seed of ``numpy.random.SeedSequence``; replication ``(n, r)`` uses
        ``spawn_key=(n, r)``.
    executor : analysis.distributed.Executor, optional
        Serial, local processes (default: all cores) or a Dask cluster.
    n_boot : int
        Bootstrap draws of the mediation test per replication.
    alpha : float
        Significance level of the verdicts.
    estimator : {"ML", "MLR"}
        Estimator of the composite path model.
    careless, missing : float
        Share of careless respondents and of missing answers in the simulated data
        (careless respondents are screened out by the runner, as in the real analysis).
    hypotheses : HypothesisSet or path, optional
        Default ``analysis/study/hypotheses.yaml``.
    population_path : path, optional
        Population model; default ``analysis/study/population.yaml``.
    progress : bool, optional
        tqdm progress bar over replications; default when stderr is a terminal.

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> res = power_analysis([100, 200], reps=200, seed=1)   # doctest: +SKIP
    >>> res.wide()                                            # doctest: +SKIP
    """
    import sys

    from analysis.distributed import ProcessExecutor
    from analysis.study.hypotheses import HypothesisSet, load_hypotheses

    ns = tuple(int(n) for n in ns)
    if not ns or min(ns) < 10:
        raise ModelSpecificationError("ns= must list sample sizes of at least 10.")
    if len(set(ns)) != len(ns):
        raise ModelSpecificationError(f"ns= lists a sample size twice: {list(ns)}.")
    if int(reps) < 1:
        raise ModelSpecificationError("reps= must be at least 1.")
    hs = hypotheses if isinstance(hypotheses, HypothesisSet) else load_hypotheses(hypotheses)
    confirmatory = tuple(h for h in hs.hypotheses if not h.exploratory)
    if not confirmatory:
        raise ModelSpecificationError("The declaration has no confirmatory hypothesis.")
    hs = hs.model_copy(update={"hypotheses": confirmatory})
    payload = PowerPayload(
        ns=ns, reps=int(reps), entropy=int(np.random.SeedSequence(seed).entropy),
        hypotheses=hs, population_path=None if population_path is None else str(population_path),
        n_boot=int(n_boot), alpha=float(alpha), estimator=estimator, careless=float(careless),
        missing=float(missing),
    )
    own = executor is None
    ex = ProcessExecutor() if own else executor
    show = sys.stderr.isatty() if progress is None else bool(progress)
    t0 = time.perf_counter()
    try:
        res = ex.map(run_replications, payload, list(range(len(ns) * int(reps))),
                     progress=show, desc="power replications", max_chunk=4)
    finally:
        if own:
            ex.close()
    seconds = time.perf_counter() - t0
    rows, errors = [], []
    failed = dict.fromkeys(ns, 0)
    for _t, n, rep, hrows, err in res:
        if hrows is None:
            failed[n] += 1
            errors.append(f"n={n} rep={rep}: {err}")
            continue
        for hid, verdict, est, pval in hrows:
            rows.append((n, rep, hid, verdict, est, pval))
    reps_df = pd.DataFrame(rows, columns=["n", "rep", "hypothesis", "verdict", "estimate",
                                          "pvalue"])
    table = []
    for n in ns:
        sub = reps_df[reps_df["n"] == n]
        for h in confirmatory:
            v = sub.loc[sub["hypothesis"] == h.id, "verdict"]
            r_ok = int(v.size)
            p = float(np.mean(v.to_numpy() == "supported")) if r_ok else float("nan")
            se = mc_se(p, r_ok)
            table.append({
                "n": n, "hypothesis": h.id, "expected_sign": h.expected_sign,
                "method": h.method, "power": p, "mc_se": se,
                "ci_lower": max(0.0, p - 1.959963984540054 * se) if r_ok else math.nan,
                "ci_upper": min(1.0, p + 1.959963984540054 * se) if r_ok else math.nan,
                "n_reps": r_ok, "n_failed": failed[n],
            })
    return PowerResult(
        table=pd.DataFrame(table), replications=reps_df, seed=int(seed), reps=int(reps),
        alpha=float(alpha), n_boot=int(n_boot), estimator=estimator, seconds=seconds,
        executor=ex.describe(), errors=tuple(errors),
    )


def plot_power(result: PowerResult, path: str | Path, target: float = 0.80) -> Path:
    """Power curves (power against n, one line per hypothesis, +-1.96 MC SE bands).

    The file type follows the suffix (``.svg`` or ``.png``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in (".svg", ".png"):
        raise ModelSpecificationError(f"The plot file must end in .svg or .png, not {path}.")
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    try:
        for hid, sub in result.table.groupby("hypothesis", sort=False):
            sub = sub.sort_values("n")
            line, = ax.plot(sub["n"], sub["power"], marker="o", label=hid)
            ax.fill_between(sub["n"], sub["ci_lower"], sub["ci_upper"], alpha=0.12,
                            color=line.get_color())
        ax.axhline(target, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("sample size n (respondents)")
        ax.set_ylabel(f"power (alpha = {result.alpha:g})")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"Monte Carlo power, R = {result.reps} replications per n")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
