"""Monte Carlo power of the declared hypotheses (sample-size planning).

For every sample size ``n`` and replication ``r`` one study is simulated from the
population model (:func:`analysis.study.simulate.simulate_study`, ``analysis/study/population.yaml``),
scored (:func:`analysis.study.scoring.score`) and tested with the hypothesis runner
(:func:`analysis.study.hypotheses.test_hypotheses`, the same methods as the real analysis:
composite path model, bootstrap mediation, HC3 moderation, Lind-Mehlum quadratic test).
In power runs the indirect effect (H4) gets the Monte Carlo confidence interval
of Preacher & Selig (2012) instead of a bootstrap per replication, and every replication
runs the runner's tests on numpy scores with the path model compiled once per process
(:func:`fast_replication`; estimates, p-values and verdicts equal the runner's); the output
declares it (``mediation_method``).  ``mediation_ci="bootstrap"`` runs the full runner.
A fast replication reads numbers only, so it simulates the numeric columns alone (the
simulator's own steps and draws, as one float array) and applies scoring's exclusion
rules to that array; a declaration with a method the fast replication does not compute
gets the canonical frame.
The power of a hypothesis is the share of replications in which its verdict is
"supported" under the declared decision rules (``decision:`` of the declaration: the
one-sided test in the declared direction, adjusted over the confirmatory family of that
replication, Holm by default), so it is the power of the analysis as it will be run; its
Monte Carlo standard error is ``sqrt(p (1 - p) / R)``.  Exploratory hypotheses have no
power (no directional claim) and are left out.

Replication ``(n, r)`` draws all its random numbers from
``numpy.random.SeedSequence(seed)`` with ``spawn_key=(n, r)`` and runs with one BLAS
thread, so the result is identical serially, on local processes and on a Dask cluster
(:mod:`analysis.distributed`), and a run with more replications extends a shorter one.

# In R: simsem::sim(nRep = R, model, n = c(100, 150, 200, 300), generate = popModel)
"""

from __future__ import annotations

import json
import math
import numbers
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
from analysis.errors import (
    AllianceSurveyError,
    DataError,
    EstimationError,
    ModelSpecificationError,
    check_seed,
    clip,
    is_whole,
)

__all__ = ["CURVE_NS", "MAX_REPLICATIONS", "PowerPayload", "PowerResult", "mc_se", "plot_power", "power_analysis",
           "power_curves", "run_replications", "wald_power"]


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
    from scipy.special import ndtr, ndtri

    if sides not in (1, 2):
        raise ModelSpecificationError(f"sides= must be 1 or 2 (got {sides!r}).")
    if not (np.isfinite(effect) and np.isfinite(se) and se > 0 and 0 < alpha < 1):
        return float("nan")
    lam = abs(float(effect)) / float(se)
    q = float(ndtri(1 - alpha / sides))
    out = ndtr(lam - q)
    if sides == 2:
        out += ndtr(-lam - q)
    return float(out)


#: Most replications of one power run (sample sizes times replications per size): the
#: Monte Carlo standard error is below 0.002 at 100,000 replications of one size, and a
#: run beyond it (``--reps 10**9``) only fills the memory with replication records.
MAX_REPLICATIONS = 100_000

#: Sample sizes of the analytic power curves of the analysis (respondents).
CURVE_NS: tuple[int, ...] = tuple(range(100, 1001, 50))
#: The expected sign of a confirmatory hypothesis as the sign its estimate should have
#: (an inverted U is a negative squared term).
_PREDICTED_SIGN = {"+": 1.0, "-": -1.0, "inverted_u": -1.0}


def power_curves(rows: Sequence[dict[str, Any]], *, alpha: float = 0.05, sides: int = 1,
                 ns: Sequence[int] = CURVE_NS, target: float = 0.80) -> dict[str, Any]:
    """Analytic power of each confirmatory test against the sample size.

    For every hypothesis row with a ``power_sesoi`` (the confirmatory family; see
    :func:`analysis.study.hypotheses.decide`), the power of its declared Wald test at
    each ``N`` of ``ns`` (i) to detect the smallest effect size of interest (``sesoi``,
    in the estimate's own metric) and (ii) to detect an effect as large as the observed
    estimate.  The standard error is taken to shrink with ``1 / sqrt(N)`` from the one
    the study achieved at its own ``n``: ``se(N) = se * sqrt(n / N)``, so curve (i)
    passes through the row's ``power_sesoi`` at ``N = n``.  Curve (ii) is a planning aid
    for a replication, not evidence about this study's result; it is left out (None)
    when a one-sided test's estimate lies opposite to the prediction.  ``n_target_*``
    is the smallest ``N`` with power ``target``: ``n ((z_{1-alpha/sides} + z_target)
    se / |effect|)^2`` rounded up (exact for one-sided tests; for two-sided ones the
    far tail, below ``alpha / 2``, is ignored).

    Parameters
    ----------
    rows : sequence of dict
        Hypothesis rows (``id, expected_sign, estimate, se, sesoi, power_sesoi, n``).
    alpha, sides : float, int
        The declared significance level and sidedness (1 for directional tests).
    ns : sequence of int
        Sample sizes of the curves.
    target : float
        Power of the ``n_target_*`` sample sizes.

    Returns
    -------
    dict
        ``available, method, alpha, sides, target, ns`` and ``hypotheses``: per row
        ``id, n, power_sesoi, power_observed`` (lists aligned with ``ns``),
        ``n_target_sesoi, n_target_observed`` and ``note``.

    # In R: pnorm(abs(effect) / (se * sqrt(n / N)) - qnorm(1 - alpha))   # one-sided
    """
    from scipy.special import ndtri

    def finite(v: Any) -> bool:
        return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)

    q = float(ndtri(1 - alpha / sides)) + float(ndtri(target))
    grid = [int(x) for x in ns]
    out = []
    for r in rows:
        if not (finite(r.get("power_sesoi")) and finite(r.get("se")) and r["se"] > 0
                and finite(r.get("sesoi")) and r["sesoi"] != 0 and finite(r.get("n"))
                and r["n"] > 0):
            continue
        n, se = float(r["n"]), float(r["se"])
        scaled = [se * math.sqrt(n / m) for m in grid]
        entry: dict[str, Any] = {
            "id": str(r["id"]), "n": int(r["n"]),
            "power_sesoi": [wald_power(r["sesoi"], s, alpha, sides) for s in scaled],
            "power_observed": None,
            "n_target_sesoi": int(math.ceil(n * (q * se / abs(r["sesoi"])) ** 2)),
            "n_target_observed": None, "note": ""}
        est = r.get("estimate")
        sign = _PREDICTED_SIGN.get(str(r.get("expected_sign")))
        if not finite(est) or est == 0:
            entry["note"] = "No estimate: no curve at the observed effect."
        elif sides == 1 and sign is not None and est * sign < 0:
            entry["note"] = ("The estimate lies opposite to the prediction: no curve at the "
                             "observed effect.")
        else:
            entry["power_observed"] = [wald_power(est, s, alpha, sides) for s in scaled]
            entry["n_target_observed"] = int(math.ceil(n * (q * se / abs(est)) ** 2))
        out.append(entry)
    if not out:
        return {"available": False, "reason": "No confirmatory hypothesis has a standard "
                "error and a smallest effect size of interest (nothing was tested)."}
    side_text = "one-sided in the predicted direction" if sides == 1 else "two-sided"
    return {
        "available": True,
        "method": (f"Analytic power of each confirmatory test (Wald, normal approximation, "
                   f"{side_text}, alpha before the family correction, as the verdict "
                   "table's power), with the standard error scaled by sqrt(n / N) from the "
                   "one achieved at the observed n; no simulation."),
        "alpha": float(alpha), "sides": int(sides), "target": float(target),
        "ns": grid, "hypotheses": out}


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
    mediation_ci: str = "monte_carlo"


@lru_cache(maxsize=4)
def _context(population_path: str | None) -> tuple[Any, Any]:
    """Population model and instrument, loaded once per process (read-only objects)."""
    from analysis.study.simulate import load_population
    from instruments.instrument.loader import load_instrument

    return load_population(population_path), load_instrument()


def run_replications(payload: PowerPayload, task_ids: Sequence[int]) -> list[tuple]:
    """Run replications ``task_ids`` (task ``t`` = size index ``t // reps``, replication
    ``t % reps``); returns ``(task, n, rep, rows or None, error or None)`` each, where
    rows are ``(hypothesis, verdict, estimate, pvalue, pvalue_adjusted)``."""
    from analysis.study.hypotheses import test_hypotheses
    from analysis.study.scoring import score
    from analysis.study.simulate import simulate_study

    population, instrument = _context(payload.population_path)
    study = _study(payload.population_path, payload.hypotheses) \
        if payload.mediation_ci == "monte_carlo" else None
    # every test of the fast replication reads numbers only; a declaration with another
    # method goes through the runner, which gets the canonical frame
    numeric_only = study is not None and all(h.method in FAST_METHODS
                                             for h in payload.hypotheses.hypotheses)
    out = []
    with blas_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in task_ids:
            k, rep = divmod(int(t), payload.reps)
            n = payload.ns[k]
            ss = np.random.SeedSequence(entropy=payload.entropy, spawn_key=(n, rep))
            sim_seed, boot_seed = (int(v) for v in ss.generate_state(2))
            try:
                if numeric_only:
                    data = _simulate_numeric(n, sim_seed, payload.careless, payload.missing,
                                             instrument, population, study.layout)
                else:
                    data = simulate_study(n, seed=sim_seed, careless=payload.careless,
                                          missing=payload.missing, instrument=instrument,
                                          population=population)
                if study is not None:
                    rows = fast_replication(data, study, alpha=payload.alpha,
                                            estimator=payload.estimator,
                                            rng=np.random.default_rng(boot_seed),
                                            n_boot=payload.n_boot, seed=boot_seed)
                else:
                    scored = score(data, instrument)
                    res = test_hypotheses(data, scored, hypotheses=payload.hypotheses,
                                          estimator=payload.estimator,
                                          bootstrap=payload.n_boot, seed=boot_seed,
                                          alpha=payload.alpha, instrument=instrument,
                                          # power needs verdicts only; the latent
                                          # alternative of a regression-moderation
                                          # verdict is not one
                                          latent_alternative=False,
                                          # nor is the latent model, at half a minute
                                          # per replication: power is that of the
                                          # composite tests
                                          latent_model=False)
                    rows = tuple((str(r.id), str(r.verdict), float(r.estimate),
                                  float(r.pvalue), float(r.pvalue_adjusted))
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
        n_reps, n_failed, power_failed_unsupported`` (``ci`` = power +- 1.96 MC SE,
        clipped to [0, 1]).  ``power`` is the share supported among the replications that
        could be analysed (simsem's convention); ``power_failed_unsupported`` counts the
        failed ones as not supported too, the lower bound a study lead should read when
        replications fail (a study that cannot be analysed supports nothing).
    replications : DataFrame
        ``n, rep, hypothesis, verdict, estimate, pvalue, pvalue_adjusted`` of every
        successful replication (``pvalue``: the declared, one-sided test; adjusted over the
        confirmatory family of the replication).
    seed, reps, alpha, n_boot, estimator, mediation_ci : settings of the run
    seconds : float
        Wall-clock time of the run.
    executor : str
        Where it ran.
    errors : tuple of str
        Messages of failed replications.
    mediation_ci : str
    composite_for : tuple of str
        Hypotheses declared with a latent verdict method (latent interaction, latent
        quadratic) whose power is that of the composite regression standing in for it.
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
    mediation_ci: str = "monte_carlo"
    composite_for: tuple[str, ...] = ()

    @property
    def tests_method(self) -> str:
        """Which tests the power refers to, as the output declares it."""
        text = ("Power of the composite-score tests (path model on composites, moderated and "
                "quadratic regressions), not of the latent models that give the verdicts")
        if self.composite_for:
            text += (f"; for {', '.join(self.composite_for)} the composite regression stands "
                     "in for the declared latent interaction / latent quadratic")
        return text + "."

    @property
    def mediation_method(self) -> str:
        """How the indirect effects were tested, as the output declares it."""
        if self.mediation_ci == "monte_carlo":
            return (f"Monte Carlo CI (Preacher & Selig 2012), {MC_DRAWS} draws of a*b per "
                    "replication")
        return f"percentile bootstrap CI, {self.n_boot} draws per replication"

    def wide(self) -> pd.DataFrame:
        """Power as a hypothesis x n table."""
        return self.table.pivot(index="hypothesis", columns="n", values="power")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (power table and settings; no replications)."""
        return {
            "seed": self.seed, "reps": self.reps, "alpha": self.alpha, "n_boot": self.n_boot,
            "estimator": self.estimator, "seconds": self.seconds, "executor": self.executor,
            "mediation_ci": self.mediation_ci, "mediation_method": self.mediation_method,
            "tests": self.tests_method, "composite_for": list(self.composite_for),
            "n_failed": int(self.table.groupby("n")["n_failed"].first().sum())
            if len(self.table) else 0,
            "power": json.loads(self.table.to_json(orient="records")),
        }


def _check_power_call(ns: Any, reps: Any, seed: Any, n_boot: Any, estimator: Any,
                      careless: Any, missing: Any) -> None:
    """Refuse arguments of the wrong kind or range before any replication runs.

    ``seed=-1`` ended in numpy's "expected non-negative integer"; ``n=100.5`` was cut
    to 100; an unknown estimator, ``careless=nan`` or ``missing=1`` made every
    replication fail, and the run reported a power of NaN for every hypothesis after its
    full running time, without saying why.
    """
    def share(value: Any) -> float | None:
        ok = isinstance(value, int | float | np.integer | np.floating) \
            and not isinstance(value, bool) and math.isfinite(float(value))
        return float(value) if ok else None

    if isinstance(ns, str | bytes) or not all(is_whole(n) for n in np.ravel(
            np.asarray(ns, dtype=object))):
        raise ModelSpecificationError(
            f"ns= must be whole numbers of respondents, e.g. [100, 200] (got {clip(ns)}).")
    if not is_whole(reps):
        raise ModelSpecificationError(f"reps= must be a whole number (got {clip(reps)}).")
    check_seed(seed)
    if not is_whole(n_boot) or n_boot < 2:
        raise ModelSpecificationError(
            f"n_boot= must be a whole number of at least 2 (got {clip(n_boot)}).")
    if estimator not in ("ML", "MLR"):
        raise ModelSpecificationError(
            f"estimator={clip(estimator)} is not known here; use 'ML' or 'MLR'.")
    value = share(careless)
    if value is None or not 0.0 <= value < 1.0:
        raise ModelSpecificationError(
            f"careless= must be a share in [0, 1) (got {clip(careless)}).")
    value = share(missing)
    if value is None or not 0.0 <= value < 0.9:
        raise ModelSpecificationError(
            f"missing= must be a share in [0, 0.9) (got {clip(missing)}).")


def power_analysis(
    ns: Sequence[int],
    reps: int,
    seed: int = 2026,
    *,
    executor: Any = None,
    n_boot: int = 200,
    alpha: float | None = None,
    estimator: str = "ML",
    careless: float = 0.05,
    missing: float = 0.0,
    hypotheses: Any = None,
    population_path: str | Path | None = None,
    progress: bool | None = None,
    mediation_ci: str = "monte_carlo",
) -> PowerResult:
    """Monte Carlo power of every confirmatory hypothesis at each sample size.

    Parameters
    ----------
    ns : sequence of int
        Sample sizes (respondents per simulated study), from
        :data:`analysis.study.hypotheses.MIN_RESPONDENTS` to
        :data:`analysis.study.simulate.MAX_RESPONDENTS`.
    reps : int
        Replications per sample size (R); ``len(ns) * reps`` at most
        :data:`MAX_REPLICATIONS`.
    seed : int
        Seed of ``numpy.random.SeedSequence``; replication ``(n, r)`` uses
        ``spawn_key=(n, r)``.
    executor : analysis.distributed.Executor, optional
        Serial, local processes (default: all cores) or a Dask cluster.
    n_boot : int
        Bootstrap draws of the mediation test per replication (``mediation_ci="bootstrap"``
        only).
    alpha : float, optional
        Significance level of the verdicts; default the declared ``decision.alpha`` (the
        other rules, direction, correction and equivalence test, are always the declared
        ones).
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
    mediation_ci : {"monte_carlo", "bootstrap"}
        ``"monte_carlo"`` (default): every replication runs the runner's tests on
        numpy scores with the path model compiled once per process, and the indirect
        effect gets the Monte Carlo interval of Preacher & Selig (2012) (``MC_DRAWS``
        draws of ``a* b*``); every other estimate and p-value is the runner's.
        ``"bootstrap"``: the full runner with a percentile bootstrap of ``n_boot``
        draws per replication (about 50 times slower).

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
    from analysis.study.hypotheses import (
        MIN_RESPONDENTS,
        HypothesisSet,
        composite_counterparts,
        load_hypotheses,
    )
    from analysis.study.simulate import MAX_RESPONDENTS

    _check_power_call(ns, reps, seed, n_boot if mediation_ci == "bootstrap" else 2, estimator,
                      careless, missing)
    ns = tuple(int(n) for n in ns)
    # every replication below the runner's minimum fails, and the power would be NaN
    if not ns or min(ns) < MIN_RESPONDENTS:
        raise ModelSpecificationError(
            f"ns= must list sample sizes of at least {MIN_RESPONDENTS} (the fewest "
            "respondents the hypotheses are tested with).")
    if max(ns) > MAX_RESPONDENTS:
        raise ModelSpecificationError(
            f"ns= lists {max(ns)}; a simulated study has at most {MAX_RESPONDENTS:,} "
            "respondents.")
    if len(set(ns)) != len(ns):
        raise ModelSpecificationError(f"ns= lists a sample size twice: {list(ns)}.")
    if int(reps) < 1:
        raise ModelSpecificationError("reps= must be at least 1.")
    if len(ns) * int(reps) > MAX_REPLICATIONS:
        raise ModelSpecificationError(
            f"{len(ns)} sample size(s) x {int(reps)} replications is more than "
            f"{MAX_REPLICATIONS:,} replications in one run; use fewer.")
    if mediation_ci not in ("monte_carlo", "bootstrap"):
        raise ModelSpecificationError(
            f"mediation_ci={mediation_ci!r} is not known; use 'monte_carlo' or 'bootstrap'.")
    hs = hypotheses if isinstance(hypotheses, HypothesisSet) else load_hypotheses(hypotheses)
    confirmatory = tuple(h for h in hs.hypotheses if not h.exploratory)
    if not confirmatory:
        raise ModelSpecificationError("The declaration has no confirmatory hypothesis.")
    hs = hs.model_copy(update={"hypotheses": confirmatory})
    # latent interaction / quadratic verdicts are simulated by their composite tests (the
    # robustness rows of the real analysis), like the path hypotheses (latent_model=False)
    hs, composite_for = composite_counterparts(hs)
    alpha = hs.decision.alpha if alpha is None else float(alpha)
    if not 0 < alpha < 0.5:
        raise ModelSpecificationError(f"alpha= must be in (0, 0.5) (got {alpha!r}).")
    payload = PowerPayload(
        ns=ns, reps=int(reps), entropy=int(np.random.SeedSequence(seed).entropy),
        hypotheses=hs, population_path=None if population_path is None else str(population_path),
        n_boot=int(n_boot), alpha=float(alpha), estimator=estimator, careless=float(careless),
        missing=float(missing), mediation_ci=mediation_ci,
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
        for hid, verdict, est, pval, padj in hrows:
            rows.append((n, rep, hid, verdict, est, pval, padj))
    reps_df = pd.DataFrame(rows, columns=["n", "rep", "hypothesis", "verdict", "estimate",
                                          "pvalue", "pvalue_adjusted"])
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
                "power_failed_unsupported": (float(np.sum(v.to_numpy() == "supported"))
                                             / (r_ok + failed[n])) if r_ok + failed[n]
                else float("nan"),
            })
    return PowerResult(
        table=pd.DataFrame(table), replications=reps_df, seed=int(seed), reps=int(reps),
        alpha=float(alpha), n_boot=int(n_boot), estimator=estimator, seconds=seconds,
        executor=ex.describe(), errors=tuple(errors), mediation_ci=mediation_ci,
        composite_for=composite_for,
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


# --------------------------------------------------------------------------------------
# the fast replication: the runner's tests on one simulated study, without the overhead
# --------------------------------------------------------------------------------------
#: Methods the fast replication computes itself; other methods of a declaration go
#: through the full hypothesis runner in the same replication.
FAST_METHODS = ("sem_path", "mediation_bootstrap", "moderation", "quadratic", "rsa")
#: Monte Carlo draws of the indirect effect's confidence interval in a power run.
MC_DRAWS = 20_000
#: Size and seed of the anchor sample whose estimates start every path-model fit.
ANCHOR_N, ANCHOR_SEED = 2000, 20260101


class _Study:
    """What the fast replication needs of the instrument and the declaration, per process."""

    def __init__(self, instrument: Any, hypotheses: Any) -> None:
        from analysis.study.scoring import _item_bounds, _scales
        from analysis.study.simulate import _layout

        self.instrument = instrument
        self.hypotheses = hypotheses
        self.scales: dict[str, tuple[np.ndarray, int]] = {}
        items: list[str] = []
        reverse: list[tuple[int, float]] = []
        for sid, sc in _scales(instrument).items():
            lo, hi = _item_bounds(sc)
            cols = np.arange(len(items), len(items) + len(sc.items))
            for j, it in zip(cols, sc.items, strict=True):
                if it.reverse:
                    reverse.append((int(j), lo + hi))
            items.extend(it.id for it in sc.items)
            k = int(getattr(sc, "min_valid", len(sc.items)) or len(sc.items))
            self.scales[sid] = (cols, min(max(k, 1), len(sc.items)))
        self.items = items
        self.reverse = reverse
        self.composites = {name: tuple(parts) for name, parts in hypotheses.composites.items()}
        self.composite_items = {
            name: np.concatenate([self.scales[p][0] for p in parts if p in self.scales])
            for name, parts in self.composites.items()}
        self.layout = _layout(instrument)
        self.models: dict[tuple, Any] = {}
        self.starts: dict[tuple, np.ndarray | None] = {}
        self.start_plans: dict[tuple, Any] = {}
        self.population = None

    def start(self, key: tuple, estimator: str) -> np.ndarray | None:
        """Start values of the path model ``key``: its estimates on one fixed anchor sample.

        The anchor depends on nothing but the declaration and the population, so every
        process starts every replication from the same values (results do not depend on
        how replications are split among workers), and a replication's fit needs a few
        scoring steps instead of twenty from the generic start values.
        """
        if key in self.starts:
            return self.starts[key]
        from analysis.study.simulate import simulate_study

        self.starts[key] = None  # while the anchor itself is fitted
        try:
            anchor = simulate_study(ANCHOR_N, seed=ANCHOR_SEED, careless=0.0,
                                    instrument=self.instrument, population=self.population)
            d, x = _scores(anchor, self)
            _path_tests(self, d, [c for c in self.hypotheses.controls if d.has(c)],
                        _reliabilities(self, x), estimator, anchor_for=key)
        except (DataError, ModelSpecificationError, EstimationError, np.linalg.LinAlgError):
            pass
        return self.starts[key]

    def compiled(self, syntax: str, corrected: tuple[str, ...], frame: pd.DataFrame,
                 estimator: str, missing: str) -> tuple[Any, list[int], tuple]:
        """The path model compiled once per process (error variances patched per fit),
        the rows of Theta that hold them, and its free regression paths (``xid, lhs,
        rhs``)."""
        from analysis.sem import compile_model

        key = (syntax, corrected, estimator, missing)
        if key not in self.models:
            model = compile_model(syntax, frame, estimator=estimator, missing=missing)
            where = [model.ov_names.index(f"{k}__obs") for k in corrected]
            pt = model.partable
            if model.n_groups != 1:
                raise ModelSpecificationError("The power path model has one group.")
            reg = pt[(pt["op"] == "~").to_numpy() & (pt["xid"] >= 0).to_numpy()]
            self.models[key] = (model, where, (reg["xid"].to_numpy(dtype=int),
                                               [str(v) for v in reg["lhs"]],
                                               [str(v) for v in reg["rhs"]]))
        return self.models[key]


_STUDIES: dict[tuple, _Study] = {}


def _study(population_path: str | None, hypotheses: Any) -> _Study:
    """The per-process :class:`_Study` of a declaration (compiled models kept across tasks)."""
    key = (population_path, hypotheses.sha256, hypotheses.model,
           tuple((h.id, h.method, h.test, h.controls) for h in hypotheses.hypotheses),
           tuple(hypotheses.controls), tuple(hypotheses.composites.items()))
    if key not in _STUDIES:
        if len(_STUDIES) >= 4:
            _STUDIES.clear()
        population, instrument = _context(population_path)
        _STUDIES[key] = _Study(instrument, hypotheses)
        _STUDIES[key].population = population
    return _STUDIES[key]


def _simulate_numeric(n: int, seed: int, careless: float, missing: float, instrument: Any,
                      population: Any, layout: Any = None) -> pd.DataFrame:
    """The numeric columns of :func:`analysis.study.simulate.simulate_study` (single
    informants, MCAR) as one float block: the same random draws in the same order, without
    the text columns (identifiers, language, open comments).

    A power replication reads only numbers (items, checks, paradata, classification codes);
    building the canonical frame with its text columns took a fifth of a replication.
    """
    from analysis.study import simulate as sim

    sim._check_args(n, 0, missing, "MCAR", careless)
    spec = population.spec
    layout = sim._layout(instrument) if layout is None else layout
    calibration = population.calibration if population.calibration is not None \
        else sim._calibrate(population)
    rng = np.random.default_rng(seed)
    alliance_index, partner_row, n_alliances = sim._alliances(n, 0)
    stage = sim._draw_stage(population, rng, n_alliances)[alliance_index]
    latent, _ = sim._latents(population, rng, stage, alliance_index, partner_row, calibration)
    language, coded = sim._classification(spec, layout, rng, n, stage, alliance_index,
                                          partner_row)
    cl = spec.get("careless", {}) or {}
    _is_careless, straight, random_resp = sim._careless_respondents(cl, rng, n, careless)
    item_cols = sim._rating_items(spec, layout, rng, n, latent, coded)
    sim._attention_checks(layout, cl, rng, n, random_resp, coded)
    if item_cols:
        sim._careless_answers(layout, rng, n, straight, random_resp, coded)
    if missing > 0 and item_cols:
        sim._blank_answers(spec, rng, n, float(missing), "MCAR", item_cols, coded)
    hidden_pages = sim._apply_conditions(instrument, layout, coded, n)
    page_times, duration = sim._paradata(spec, cl, layout, rng, n, _is_careless, hidden_pages)
    names = ["duration_sec", *page_times]
    arrays = [np.asarray(duration, dtype=float), *page_times.values()]
    for c in layout.columns:
        col = np.asarray(coded[c])
        if col.dtype.kind == "f":
            names.append(c)
            arrays.append(col)
    frame = pd.DataFrame(np.column_stack(arrays), columns=names)
    frame.attrs["numeric_block"] = {c: i for i, c in enumerate(names)}
    return frame


def _alpha_of(block: np.ndarray) -> float:
    """Cronbach's alpha of item columns (pairwise covariances when answers are missing)."""
    if np.isnan(block).any():
        cov = pd.DataFrame(block).cov().to_numpy()
    else:
        cov = np.cov(block, rowvar=False, ddof=1)
    k = cov.shape[0]
    total = float(cov.sum())
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def _hc3(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS coefficients and their HC3 covariance (x includes the intercept column)."""
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, q.T @ y)
    rinv = np.linalg.inv(r)
    xtx_inv = rinv @ rinv.T
    e = y - x @ beta
    h = np.einsum("ij,ij->i", q, q)
    w = (e / (1.0 - h)) ** 2
    bread = x.T @ (x * w[:, None])
    return beta, xtx_inv @ bread @ xtx_inv, x.shape[0] - x.shape[1]


def _complete(d: dict[str, np.ndarray], cols: Sequence[str], what: str) -> np.ndarray:
    """Complete rows of ``cols`` as a float array (the checks of the regression helpers)."""
    arr = np.column_stack([d[c] for c in cols])
    arr = arr[~np.isnan(arr).any(axis=1)]
    if arr.shape[0] < arr.shape[1] + 3:
        raise DataError(f"{what}: only {arr.shape[0]} complete rows for {arr.shape[1]} "
                        "variables.")
    if np.any(arr.std(axis=0, ddof=1) == 0):
        raise DataError(f"{what}: a column is constant in the complete rows.")
    return arr


def _ols(d, cols: Sequence[str], a: np.ndarray, design: np.ndarray,
         groups: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """OLS of ``a[:, 0]`` on ``design`` (the complete rows ``a`` of ``cols``): the
    coefficients, their covariance, the df of their t tests and whether the SEs are
    clustered.  The runner's rule on the rows the regression uses: CR1 by ``groups`` (G - 1
    df) when some cluster has two of them, else HC3 (residual df)."""
    if groups is not None:
        ok = ~np.isnan(np.column_stack([d[col] for col in cols])).any(axis=1)
        used = groups[ok]
        if len(np.unique(used)) < len(used):
            from analysis.stats.regression import cr1_ols

            beta, v, df = cr1_ols(a[:, 0], design, used)
            return beta, v, float(df), True
    beta, v, df = _hc3(a[:, 0], design)
    return beta, v, float(df), False


def _moderation_test(d, y, x, m, controls, groups=None) -> tuple[float, float, float, bool]:
    """Interaction of mean-centred x and m: estimate, SE (HC3, or CR1 by ``groups`` as
    :func:`_ols` decides), df and whether clustered (as
    analysis.stats.regression.moderation)."""
    cols = [y, x, m, *controls]
    a = _complete(d, cols, "moderation()")
    xc, mc = a[:, 1] - a[:, 1].mean(), a[:, 2] - a[:, 2].mean()
    design = np.column_stack([np.ones(len(a)), xc, mc, xc * mc, a[:, 3:]])
    beta, v, df, clustered = _ols(d, cols, a, design, groups)
    return float(beta[3]), float(np.sqrt(v[3, 3])), df, clustered


def _quadratic_test(d, y, x, controls, groups=None
                    ) -> tuple[float, float, float, float, float, bool, bool]:
    """Squared term (estimate, SE: HC3, or CR1 by ``groups`` as :func:`_ols` decides), df,
    the t of the slope at the lowest and highest observed x, whether the turning point
    lies inside the data and whether the SEs are clustered (as
    analysis.stats.regression.quadratic)."""
    cols = [y, x, *controls]
    a = _complete(d, cols, "quadratic()")
    xv = a[:, 1]
    design = np.column_stack([np.ones(len(a)), xv, xv ** 2, a[:, 2:]])
    beta, v, df, clustered = _ols(d, cols, a, design, groups)
    b1, b2 = beta[1], beta[2]

    def slope_t(at: float) -> float:
        est = b1 + 2 * b2 * at
        var = v[1, 1] + 4 * at * v[1, 2] + 4 * at * at * v[2, 2]
        return float(est / np.sqrt(var)) if var > 0 else float("nan")

    x_min, x_max = float(xv.min()), float(xv.max())
    tp = -b1 / (2 * b2) if b2 != 0 else np.nan
    inside = bool(x_min <= tp <= x_max) if np.isfinite(tp) else False
    return (float(b2), float(np.sqrt(v[2, 2])), df, slope_t(x_min), slope_t(x_max),
            inside, clustered)


def _alliance_groups(d: _Columns, column: str | None = "alliance_id") -> np.ndarray | None:
    """Cluster codes of the retained respondents by alliance (a respondent without an id
    is a cluster of its own), or None when the data have no alliance ids: the runner
    clusters the response surface's SEs by alliance."""
    from analysis.stats.regression import cluster_codes
    from analysis.study.measurement import _alliance_cluster_column

    # the runner's rule, on the runner's rows: an alliance whose second respondent is
    # excluded has one row, and with no alliance of two rows left the runner uses HC3
    kept = d.data.loc[np.asarray(d.keep, dtype=bool)]
    column = _alliance_cluster_column(kept, column)
    return None if column is None else cluster_codes(kept[column])


def _rsa_test(d, z, x, y, controls, groups=None) -> tuple[float, float, float, bool]:
    """Curvature along the line of incongruence ``a4 = b3 - b4 + b5`` of the polynomial
    regression of z on x, y, x^2, xy, y^2 (both centred at their pooled mean), its SE
    (clustered by ``groups`` when given and some cluster has two of the rows used, else
    HC3), df (as analysis.stats.regression.response_surface) and whether the SE is
    clustered.

    # In R: RSA::RSA(z ~ x * y, data = d)  (a4)
    """
    cols = [z, x, y, *controls]
    a = _complete(d, cols, "response_surface()")
    c = float(np.concatenate([a[:, 1], a[:, 2]]).mean())
    xc, yc = a[:, 1] - c, a[:, 2] - c
    design = np.column_stack([np.ones(len(a)), xc, yc, xc * xc, xc * yc, yc * yc, a[:, 3:]])
    beta, v, df, clustered = _ols(d, cols, a, design, groups)
    w = np.zeros(design.shape[1])
    w[3], w[4], w[5] = 1.0, -1.0, 1.0
    return float(w @ beta), float(np.sqrt(max(float(w @ v @ w), 0.0))), df, clustered


def _sd(d: _Columns, name: str) -> float:
    """Sample SD of a column over the retained respondents, missing values skipped."""
    col = d[name]
    col = col[~np.isnan(col)]
    return float(col.std(ddof=1)) if col.size > 1 else float("nan")


def _std_factor(d: _Columns, y: str, *xs: str) -> float:
    """``prod(sd(x)) / sd(y)`` (the runner's conversion of a raw coefficient to beta units)."""
    out = 1.0 / _sd(d, y)
    for x in xs:
        out *= _sd(d, x)
    return out if np.isfinite(out) else float("nan")


def _ml_slopes(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes of y on x (with intercept) and their ML standard errors (divisor n, as the
    SEM engine's saturated path model with fixed.x covariates)."""
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    beta, *_ = np.linalg.lstsq(xc, yc, rcond=None)
    e = yc - xc @ beta
    sigma2 = float(e @ e) / len(y)
    return beta, np.sqrt(sigma2 * np.diag(np.linalg.inv(xc.T @ xc)))


def _mediation_draws(d, x, m, y, controls, rng) -> tuple[float, float, float, np.ndarray]:
    """Indirect effect a*b, its delta-method SE and p, and Monte Carlo draws of ``a* b*``.

    The a and b paths come from the same saturated path model as
    :func:`analysis.stats.regression.mediation_bootstrap` (ML, listwise); the draws are
    those of Preacher & Selig (2012): ``a* ~ N(a, se_a^2)`` and ``b* ~ N(b, se_b^2)``
    drawn independently (the two estimates are asymptotically independent in this model).
    """
    from scipy.special import ndtr

    arr = _complete(d, [x, m, y, *controls], "mediation_bootstrap()")
    ctr = arr[:, 3:]
    (a, *_), (se_a, *_) = _ml_slopes(arr[:, 1], np.column_stack([arr[:, 0], ctr]))
    (b, *_), (se_b, *_) = _ml_slopes(arr[:, 2], np.column_stack([arr[:, 1], arr[:, 0], ctr]))
    ab = a * b
    se_ab = float(np.sqrt(a * a * se_b * se_b + b * b * se_a * se_a))
    p = float(2 * ndtr(-abs(ab / se_ab))) if se_ab > 0 else float("nan")
    z = rng.standard_normal((2, MC_DRAWS))
    return float(ab), se_ab, p, (a + se_a * z[0]) * (b + se_b * z[1])


def _mediation_mc(d, x, m, y, controls, level, rng) -> tuple[float, float, float, float]:
    """Indirect effect a*b with the delta-method p and the Monte Carlo CI at ``level``.

    # In R: semTools::monteCarloCI(fit, nRep = 20000)
    """
    ab, _se, p, draws = _mediation_draws(d, x, m, y, controls, rng)
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return ab, p, float(lo), float(hi)


def _path_tests(study: _Study, d: _Columns, base: list[str], rel: dict[str, float],
                estimator: str, anchor_for: tuple | None = None,
                ) -> dict[tuple[str, str], tuple[float, float, float]]:
    """Fit the declared path model (attenuation-corrected, as the runner does) and return
    ``{(lhs, rhs): (estimate, se, std_all / estimate)}`` of its regression paths (the
    last: the factor that turns the raw path into the standardized solution's)."""
    from dataclasses import replace

    from analysis.sem.api import _check_pd, get_backend
    from analysis.sem.model import THETA
    from analysis.sem.samplestats import sample_stats
    from analysis.study.hypotheses import _error_variances, _path_model

    hs = study.hypotheses
    variables = sorted({v for pair in hs.model_paths() for v in pair} | set(base))
    missing_vars = [v for v in variables if not d.has(v)]
    if missing_vars:
        raise DataError(f"Path model: variable(s) not in the data: {', '.join(missing_vars)}.")
    # one float block: the frame is only read column by column below
    block = np.column_stack([d[v] for v in variables])
    sub = pd.DataFrame(block, columns=variables, copy=False)
    syntax = _path_model(hs, base, sub)
    ev = _error_variances(sub, rel)
    if "jd_sum" in ev:
        ev["jd_sum"] = float(sum((1 - rel[k]) * float(np.nanvar(d[k], ddof=1))
                                 for k in ("dep_own", "dep_partner")))
    corrected = {k: v for k, v in ev.items() if k not in base and np.isfinite(v)}
    sub = pd.DataFrame(block, copy=False,
                       columns=[f"{v}__obs" if v in corrected else v for v in variables])
    # the error variances change from sample to sample: compile with a placeholder and
    # write each sample's values into the fixed part of Theta
    syntax += "".join(f"{k} =~ 1*{k}__obs\n{k}__obs ~~ 1*{k}__obs\n" for k in corrected)
    est = "MLR" if estimator == "WLSMV" else estimator
    miss = "ml" if np.isnan(block).any() else "listwise"
    key = (syntax, tuple(corrected), est, miss)
    model, where, reg = study.compiled(syntax, tuple(corrected), sub, est, miss)
    start = None if anchor_for is not None else study.start(key, est)
    specs = []
    for spec in model._specs:
        b = list(spec.base)
        b[THETA] = b[THETA].copy()
        for i, v in zip(where, corrected.values(), strict=True):
            b[THETA][i, i] = v
        specs.append(replace(spec, base=tuple(b)))
    model = replace(model, _specs=tuple(specs))
    st, _w = sample_stats(model, sub, miss)
    if miss == "listwise":
        _check_pd(st, model)
    bound = model.bind(st)
    if start is not None and miss == "listwise":
        start = _corrected_ols_start(study, key, model, st[0].cov, where, corrected, start)
    state = get_backend(est, miss)(bound, st, model.options, start=start)
    if anchor_for is not None:
        if key == anchor_for and state.converged:
            study.starts[key] = np.array(state.x, dtype=float)
        return {}
    if not state.converged or state.vcov is None:
        raise EstimationError("the path model did not converge.")
    xid, lhs_names, rhs_names = reg
    x = np.asarray(state.x, dtype=float)
    ests = x[xid]
    ses = np.sqrt(np.diag(state.vcov)[xid])
    # standardized solution of a regression path: est * sd(rhs) / sd(lhs) with the
    # model-implied total variances (as analysis.sem.standardize.standardized, one group)
    imp = model.implied(x)[0]
    veta, _ = model.implied_lv(x, 0)
    delta = model.scales(x, 0)
    var_tot = {v: imp.sigma[i, i] / delta[i] ** 2 for i, v in enumerate(model.ov_names)}
    var_tot.update({v: veta[i, i] for i, v in enumerate(model.eta_names)})
    out = {}
    with np.errstate(all="ignore"):
        for lhs, rhs, e, se in zip(lhs_names, rhs_names, ests, ses, strict=True):
            factor = float(np.sqrt(var_tot[rhs]) / np.sqrt(var_tot[lhs])) if e != 0 \
                else float("nan")
            out[(lhs, rhs)] = (float(e), float(se), factor if np.isfinite(factor)
                               else float("nan"))
    return out


def _corrected_ols_start(study: _Study, key: tuple, model: Any, cov: np.ndarray,
                         where: list[int], corrected: dict[str, float],
                         anchor: np.ndarray) -> np.ndarray:
    """Start values of the path model from this sample: each equation's least-squares
    slopes and residual (co)variances on the covariance matrix corrected for attenuation
    (the fixed error variances taken off its diagonal), the variances and covariances of
    the exogenous variables from the same matrix; any other parameter starts at the
    anchor's value.

    Close to the ML estimate (equal to it for a recursive model without measurement
    error), so the fit needs about half the iterations it needs from the anchor; a
    function of the sample alone, so the result does not depend on the worker either.
    """
    plan = study.start_plans.get(key)
    if plan is None:
        pt = model.partable
        free = pt[(pt["xid"] >= 0).to_numpy()]
        pos = {v: i for i, v in enumerate(model.ov_names)}
        pos.update({k: pos[f"{k}__obs"] for k in corrected if f"{k}__obs" in pos})
        eqs: dict[str, list[tuple[str, int]]] = {}
        for r in free.itertuples():
            if r.op == "~":
                eqs.setdefault(str(r.lhs), []).append((str(r.rhs), int(r.xid)))
        other = [(str(r.lhs), str(r.rhs), int(r.xid)) for r in free.itertuples()
                 if r.op == "~~"]
        ok = all(r.op in ("~", "~~") for r in free.itertuples()) and all(
            v in pos for e, rhs in eqs.items() for v in [e, *(n for n, _ in rhs)]) and all(
            a in pos and b in pos for a, b, _ in other)
        plan = (pos, eqs, other) if ok else None
        study.start_plans[key] = plan
    if plan is None:
        return anchor
    pos, eqs, other = plan
    c = np.array(cov, dtype=float, copy=True)
    for i, v in zip(where, corrected.values(), strict=True):
        c[i, i] -= v
    x = np.array(anchor, dtype=float, copy=True)
    coef: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        for lhs, rhs in eqs.items():
            ix = np.array([pos[n] for n, _ in rhs])
            b = np.linalg.solve(c[np.ix_(ix, ix)], c[ix, pos[lhs]])
            x[[k for _, k in rhs]] = b
            coef[lhs] = (ix, b)
        for a, b_, k in other:
            ia, ib = pos[a], pos[b_]
            val = c[ia, ib]
            ra, rb = coef.get(a), coef.get(b_)
            if ra is not None:
                val -= ra[1] @ c[ra[0], ib]
            if rb is not None:
                val -= c[ia, rb[0]] @ rb[1]
            if ra is not None and rb is not None:
                val += ra[1] @ c[np.ix_(ra[0], rb[0])] @ rb[1]
            x[k] = val
    except np.linalg.LinAlgError:
        return anchor
    variances_ok = all(x[k] > 0 for a, b_, k in other if a == b_)
    return x if np.all(np.isfinite(x)) and variances_ok else anchor


class _Columns(dict):
    """Scores of the retained respondents; other variables come from the raw data on
    first use (as the runner's scored frame carries every raw column)."""

    def __init__(self, scores: dict[str, np.ndarray], data: pd.DataFrame, keep: np.ndarray):
        super().__init__(scores)
        self.data, self.keep = data, keep

    def has(self, name: str) -> bool:
        return name in self or (name in self.data.columns and name != "comment")

    def __missing__(self, name: str) -> np.ndarray:
        if not self.has(name):
            raise DataError(f"column {name!r} is not in the scored data.")
        col = pd.to_numeric(self.data[name], errors="coerce").to_numpy(dtype=float)[self.keep]
        self[name] = col
        return col


def _ctrl(h: Any, base: Sequence[str], d: _Columns, exclude: Sequence[str]) -> list[str]:
    """Controls of a test (the runner's rule: declared ones, minus the test's variables)."""
    names = [c for c in [*base, *h.controls] if c not in exclude]
    return [c for c in dict.fromkeys(names) if d.has(c)]


def _numeric_block(data: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Columns ``cols`` of ``data`` as floats; a frame of floats only (the power
    simulation's) is sliced as one array instead of through pandas' column lookup."""
    pos = data.attrs.get("numeric_block")
    # pandas carries attrs over to frames derived from this one: trust the positions only
    # on the very columns they were made for
    if pos and len(pos) == data.shape[1] and all(
            a == b for a, b in zip(data.columns, pos, strict=True)):
        missing = [c for c in cols if c not in pos]
        if missing:
            raise DataError(f"column(s) {', '.join(missing[:5])} are not in the data.")
        return data.to_numpy()[:, [pos[c] for c in cols]]
    return data[list(cols)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _excluded(data: pd.DataFrame, study: _Study) -> np.ndarray:
    """Scoring's ``exclude`` flag (:func:`analysis.study.quality.quality_flags` at its
    default thresholds, read from its signature) without the per-respondent table:
    building that table with its text reasons took a fifth of a replication."""
    import inspect

    from analysis.study.quality import (
        _row_sd,
        longest_run,
        quality_flags,
        rating_items,
        relative_speed_index,
    )

    rule = {k: v.default for k, v in inspect.signature(quality_flags).parameters.items()
            if v.default is not inspect.Parameter.empty}
    x = _numeric_block(data, rating_items(study.instrument))
    n = x.shape[0]
    failed = np.zeros(n, dtype=np.int64)
    for c in getattr(study.instrument, "attention_checks", []) or []:
        a = _numeric_block(data, [c.id])[:, 0]
        ok = np.isin(a, np.asarray(list(c.correct), dtype=float))
        failed += (~ok if rule["missing_check_fails"] else (~ok & ~np.isnan(a))).astype(np.int64)
    answered = (~np.isnan(x)).sum(axis=1)
    sd = np.where(answered >= 2, _row_sd(x), np.nan)
    with np.errstate(invalid="ignore"):
        straight = ((answered >= 5) & (sd <= rule["max_sd"])) | \
            (longest_run(x) >= rule["min_run"])
    ratio = np.full(n, np.nan)
    if "duration_sec" in data.columns:
        dur = _numeric_block(data, ["duration_sec"])[:, 0]
        med = np.nanmedian(dur) if np.any(~np.isnan(dur)) else np.nan
        if med and med > 0:
            ratio = dur / med
    page_cols = [c for c in data.columns if str(c).startswith("page_time_")]
    rsi = relative_speed_index(pd.DataFrame(_numeric_block(data, page_cols)),
                               clip=rule["rsi_clip"]) if page_cols \
        else np.full(n, np.nan)
    share = np.isnan(x).sum(axis=1) / x.shape[1] if x.shape[1] else np.zeros(n)
    with np.errstate(invalid="ignore"):
        return ((failed > rule["max_failed_checks"]) | straight
                | (ratio < rule["speed_fraction"]) | (rsi > rule["rsi_threshold"])
                | (share > rule["max_missing"]))


def _scores(data: pd.DataFrame, study: _Study) -> tuple[_Columns, np.ndarray]:
    """Scores of the respondents retained by scoring's quality flags (the runner's
    ``prepare_scores``) and their reverse-keyed item answers."""
    from analysis.study.hypotheses import MIN_RESPONDENTS

    keep = ~_excluded(data, study)
    x = np.array(_numeric_block(data, study.items), copy=True)
    for j, total in study.reverse:
        x[:, j] = total - x[:, j]
    x = x[keep]
    cols: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for sid, (idx, k) in study.scales.items():
            block = x[:, idx]
            valid = ~np.isnan(block)
            count = valid.sum(axis=1)
            mean = np.where(valid, block, 0.0).sum(axis=1) / count
            cols[sid] = np.where(count >= k, mean, np.nan)
    if "dep_own" in cols and "dep_partner" in cols:
        cols["jd_sum"] = cols["dep_own"] + cols["dep_partner"]
        cols["asym_signed"] = cols["dep_own"] - cols["dep_partner"]
        cols["asym_abs"] = np.abs(cols["asym_signed"])
    for name, parts in study.composites.items():
        cols[name] = np.mean(np.column_stack([cols[p] for p in parts]), axis=1)
    d = _Columns(cols, data, keep)
    if int(keep.sum()) < MIN_RESPONDENTS:
        raise DataError(f"Only {int(keep.sum())} respondents remain after exclusions; at least "
                        f"{MIN_RESPONDENTS} are needed to test the hypotheses.")
    return d, x


def _reliabilities(study: _Study, x: np.ndarray) -> dict[str, float]:
    """Cronbach's alpha of every scale and composite (the runner's composite_reliabilities)."""
    rel = {sid: _alpha_of(x[:, idx]) for sid, (idx, _k) in study.scales.items()}
    rel.update({name: _alpha_of(x[:, idx]) for name, idx in study.composite_items.items()})
    return rel


def fast_replication(
    data: pd.DataFrame, study: _Study, *, alpha: float | None, estimator: str,
    rng: np.random.Generator, n_boot: int = 200, seed: int | None = None,
) -> tuple[tuple[str, str, float, float, float], ...]:
    """The declared confirmatory tests on one simulated study, decided as the hypothesis
    runner decides them; ``(id, verdict, estimate, pvalue, pvalue_adjusted)`` per hypothesis.

    Same exclusions (scoring's quality flags), scale scores, composites, reliabilities,
    attenuation-corrected path model (compiled once per process), HC3 moderation,
    response-surface and Lind-Mehlum tests as :func:`analysis.study.hypotheses.test_hypotheses`;
    each test gives the runner's :class:`~analysis.study.hypotheses.Inference`, and the
    verdicts come from the runner's own :func:`~analysis.study.hypotheses.decide` over the
    whole family (one-sided by the declared direction, the declared correction, TOST
    against the SESOI), so they are the runner's verdicts.  Only the mediation differs, as
    declared: its one-sided and equivalence p come from the Monte Carlo draws of ``a* b*``
    (Preacher & Selig 2012) instead of a bootstrap per replication.  Hypotheses with other
    methods are tested by the runner (:func:`~analysis.study.hypotheses.hypothesis_rows`)
    and decided in the same family.  ``alpha=None``: the declared level.
    """
    from analysis.study.hypotheses import (
        _row,
        bootstrap_inference,
        decide,
        declared_rules,
        hypothesis_rows,
        lind_mehlum_inference,
        wald_inference,
    )

    hs, inst = study.hypotheses, study.instrument
    rules = declared_rules(hs, alpha)
    d, x = _scores(data, study)
    base = [c for c in hs.controls if d.has(c)]
    rows: dict[str, dict[str, Any]] = {}

    paths: dict | None = None
    if any(h.method == "sem_path" for h in hs.hypotheses):
        rel = _reliabilities(study, x)
        try:
            paths = _path_tests(study, d, base, rel, estimator)
        except (DataError, ModelSpecificationError, EstimationError, np.linalg.LinAlgError):
            paths = None
    from analysis.study.latent_model import cluster_words

    by = f"SE clustered by {cluster_words(hs.cluster)}"
    # the replication's clusters, formed once for its three OLS tests
    groups = (_alliance_groups(d, hs.cluster)
              if any(h.method in ("moderation", "rsa", "quadratic") for h in hs.hypotheses)
              else None)
    slow = []
    for h in hs.hypotheses:
        if h.method not in FAST_METHODS:
            slow.append(h)
            continue
        p = h.parts()
        shape_ok = True
        try:
            if h.method == "sem_path":
                if paths is None or (p["y"], p["x"]) not in paths:
                    raise ModelSpecificationError("the path model could not be fitted.")
                est, se, factor = paths[(p["y"], p["x"])]
                inf = wald_inference(est, se, std_factor=factor)
            elif h.method == "mediation_bootstrap":
                ctr = _ctrl(h, base, d, [p["x"], p["m"], p["y"]])
                est, _se, _p, draws = _mediation_draws(d, p["x"], p["m"], p["y"], ctr, rng)
                inf = bootstrap_inference(draws, se=float(np.std(draws, ddof=1)),
                                          std_factor=_std_factor(d, p["y"], p["x"]),
                                          statistic="Monte Carlo (Preacher & Selig 2012)")
            elif h.method == "moderation":
                ctr = _ctrl(h, base, d, [p["x"], p["m"], p["y"]])
                est, se, df, clustered = _moderation_test(d, p["y"], p["x"], p["m"], ctr,
                                                          groups)
                inf = wald_inference(est, se, df=df,
                                     statistic=f"t ({by})" if clustered else "HC3 t",
                                     std_factor=_std_factor(d, p["y"], p["x"], p["m"]))
            elif h.method == "rsa":
                ctr = _ctrl(h, base, d, list(p.values()))
                est, se, df, clustered = _rsa_test(d, p["z"], p["x"], p["y"], ctr, groups)
                inf = wald_inference(est, se, df=df,
                                     statistic=f"t of a4 ({by})" if clustered else "HC3 t of a4",
                                     std_factor=_std_factor(d, p["z"], p["x"], p["x"]))
            else:
                ctr = _ctrl(h, base, d, [p["x"], p["y"]])
                est, se, df, t_min, t_max, shape_ok, clustered = _quadratic_test(
                    d, p["y"], p["x"], ctr, groups)
                inf = lind_mehlum_inference(t_min, t_max, df, est, se,
                                            std_factor=_std_factor(d, p["y"], p["x"], p["x"]))
        except (DataError, ModelSpecificationError, np.linalg.LinAlgError):
            rows[h.id] = _row(h)
            continue
        rows[h.id] = _row(h, estimate=est, _inference=inf, _shape_ok=shape_ok)
    if slow:
        sub = hs.model_copy(update={"hypotheses": tuple(slow)})
        for r in hypothesis_rows(data, hypotheses=sub, estimator=estimator,
                                 bootstrap=max(int(n_boot), 2), seed=seed, alpha=rules.alpha,
                                 instrument=inst, latent_alternative=False):
            rows[str(r["id"])] = r
    decided = decide([rows[h.id] for h in hs.hypotheses], hs, rules, notes=False)
    return tuple((str(r["id"]), str(r["verdict"]), float(r["estimate"]), float(r["pvalue"]),
                  float(r["pvalue_adjusted"])) for r in decided)
