"""The study's latent model: measurement model and declared paths in one SEM.

The confirmatory path hypotheses (``sem_path``) and the mediation hypotheses
(``mediation_bootstrap``) get their verdicts from one model, so that every estimate
comes from the same estimation framework, the same sample and the same controls:

* **Measurement part**, as the instrument declares it per scale (``measurement:`` of
  each scale file):

  - a *reflective* scale is a latent factor measured by its items (reverse-keyed;
    the first item is the marker, loading fixed at 1);
  - a *composite* scale (facets that form the construct, e.g. the dependence
    scales) enters as its observed scale score;
  - a composite of scales declared in ``composites:`` of the hypotheses (relationship
    learning) is a second-order factor of its first-order scale factors when every
    part is reflective, else its observed composite score;
  - the dependence indices (``jd_sum``, ``asym_abs``) and the controls are observed
    scores: ``asym_abs`` is a non-linear function of two composite scales and has no
    linear latent counterpart.

* **Structural part**: the paths of ``model:`` in the declaration with the controls
  in every equation, each path labelled; a mediation hypothesis ``x -> m -> y`` adds
  its indirect effect as a defined parameter ``ind_<id> := a*b`` (the ``a``, ``b`` and
  direct paths are added when the declared model lacks them).

* **Exogenous covariances**: every pair of exogenous variables (latent factors and
  observed scores alike) covaries freely, and the observed exogenous scores are
  modelled (``fixed.x = FALSE``).  lavaan's default would fix the observed exogenous
  scores at their sample moments *and* leave them uncorrelated with the exogenous
  factors (trust would be assumed unrelated to joint dependence), which biases the
  paths; modelled, they also let FIML keep respondents with a missing score.

* **Estimation**: MLR with FIML (``missing="ml"``) whenever anything is missing, and
  standard errors and test cluster-robust by alliance (lavaan's ``cluster=``) when
  both members of a dyad are rows.  Indirect effects get a Monte Carlo percentile
  interval from the cluster-robust covariance of their paths (Preacher & Selig 2012),
  or, on request, a percentile bootstrap that resamples whole alliances
  (:func:`analysis.sem.bootstrap.bootstrap`; one refit of the full model per draw),
  with its BCa interval beside the percentile one on request (``bca=True``: bias
  correction from the share of draws below the estimate, acceleration from the jackknife
  that leaves out one alliance at a time).

* **Robustness run with ordered items** (:func:`robustness_wlsmv`, the same model with
  ``estimator="WLSMV"``): the 7-point items of the reflective scales as ordered
  categories (thresholds and polychoric/polyserial correlations, lavaan's delta
  parameterization, diagonally weighted least squares with robust SEs and the
  scaled-shifted test), the composite scores, dependence indices and controls as
  continuous variables modelled with the rest (``fixed.x = FALSE`` and
  ``conditional.x = FALSE``: lavaan's default for ordered data with exogenous covariates,
  ``conditional.x = TRUE``, is not available in the engine, and modelling them keeps
  the exogenous block the same as in the MLR model).  Missing answers are handled
  pairwise (there is no FIML for ordered items under WLSMV), and the SEs are not
  cluster-robust (lavaan and the engine offer ``cluster=`` only for MLR): the run checks
  that the verdicts do not hinge on treating the items as interval-scaled, while the
  MLR model keeps the dependence between the two members of a dyad.  The indirect
  effects get the same Monte Carlo interval from the WLSMV covariance of their paths.

# In R: lavaan::sem(model, data, estimator = "MLR", missing = "ml", cluster = "alliance_id",
#                  fixed.x = FALSE)
#       lavaan::sem(model, data, ordered = items, estimator = "WLSMV", missing = "pairwise",
#                   fixed.x = FALSE, conditional.x = FALSE)       # robustness run
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError

__all__ = [
    "LatentModelResult",
    "LatentModelSpec",
    "fit_latent_model",
    "latent_model_frame",
    "latent_model_spec",
    "monte_carlo_draws",
    "robustness_entry",
    "robustness_wlsmv",
]


@dataclass(frozen=True)
class LatentModelSpec:
    """How the study's latent model is built from the declaration and the instrument.

    Attributes
    ----------
    syntax : str
        lavaan model syntax.
    factors : dict
        ``{factor: [indicator, ...]}`` of every latent factor (items, or the
        first-order factors of a second-order factor).
    items : dict
        ``{scale: [item, ...]}`` of every reflective scale in the model.
    observed : dict
        ``{variable: reason}`` of every variable entering as an observed score.
    labels : dict
        ``{(lhs, rhs): label}`` of every structural path.
    defined : dict
        ``{hypothesis id: (name, x, m, y)}`` of the indirect effects.
    controls : tuple of str
    """

    syntax: str
    factors: dict[str, list[str]]
    items: dict[str, list[str]]
    observed: dict[str, str]
    labels: dict[tuple[str, str], str]
    defined: dict[str, tuple[str, str, str, str]]
    controls: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """Observed columns of the model's data frame (items, then scores)."""
        cols = [i for v in self.items.values() for i in v]
        return list(dict.fromkeys([*cols, *self.observed]))


def _structural(model: str) -> list[tuple[str, list[str]]]:
    """``[(lhs, [rhs, ...]), ...]`` of the regressions of a declared path model."""
    out: list[tuple[str, list[str]]] = []
    for line in model.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "~" not in line or "=~" in line or "~~" in line or ":=" in line:
            raise ModelSpecificationError(
                f"model: only regressions (y ~ x + ...) can be declared; got {line!r}.")
        lhs, rhs = (s.strip() for s in line.split("~", 1))
        terms = [t.strip().split("*")[-1].strip() for t in rhs.split("+")]
        out.append((lhs, [t for t in terms if t]))
    return out


def latent_model_spec(hypotheses: Any, instrument: Any, *,
                      controls: Sequence[str] | None = None) -> LatentModelSpec:
    """The study's latent model (syntax and bookkeeping) from declaration and instrument.

    Parameters
    ----------
    hypotheses : HypothesisSet
        The declaration (:func:`analysis.study.hypotheses.load_hypotheses`).
    instrument : Instrument
        Its scales' items and declared measurement models.
    controls : sequence of str, optional
        Controls of every equation; default the declaration's.

    Returns
    -------
    LatentModelSpec

    Raises
    ------
    ModelSpecificationError
        If the declared model is not a set of regressions or a reflective scale has
        fewer than two items.
    """
    scales = getattr(instrument, "scales", {}) or {}
    ctr = tuple(hypotheses.controls if controls is None else controls)
    eqs = _structural(hypotheses.model)
    order: dict[str, list[str]] = {}
    for lhs, rhs in eqs:
        order.setdefault(lhs, [])
        order[lhs].extend(r for r in rhs if r not in order[lhs])
    defined: dict[str, tuple[str, str, str, str]] = {}
    for h in hypotheses.hypotheses:
        if h.method != "mediation_bootstrap":
            continue
        p = h.parts()
        x, m, y = p["x"], p["m"], p["y"]
        for lhs, rhs in ((m, x), (y, m), (y, x)):
            order.setdefault(lhs, [])
            if rhs not in order[lhs]:
                order[lhs].append(rhs)
        defined[h.id] = (f"ind_{h.id}", x, m, y)
    variables = list(dict.fromkeys([v for lhs, rhs in order.items() for v in (lhs, *rhs)]))

    def reflective(name: str) -> bool:
        return name in scales and getattr(scales[name], "measurement", "reflective") \
            == "reflective"

    factors: dict[str, list[str]] = {}
    items: dict[str, list[str]] = {}
    observed: dict[str, str] = {}

    def add_scale(sid: str) -> None:
        its = [it.id for it in scales[sid].items]
        if len(its) < 2:
            raise ModelSpecificationError(
                f"Scale {sid!r} is declared reflective but has {len(its)} item(s); a "
                "latent factor needs at least two.")
        factors[sid], items[sid] = its, its

    for v in variables:
        if v in ctr:
            continue
        if reflective(v):
            add_scale(v)
        elif v in scales:
            observed[v] = "composite scale (observed score)"
        elif v in hypotheses.composites:
            parts = list(hypotheses.composites[v])
            if len(parts) >= 2 and all(reflective(s) for s in parts):
                for s in parts:
                    add_scale(s)
                factors[v] = parts
            else:
                observed[v] = "composite of scales not all reflective (observed score)"
        else:
            observed[v] = "observed score"
    for c in ctr:
        observed.setdefault(c, "control")

    labels: dict[tuple[str, str], str] = {}
    lines = ["# measurement model (reflective scales; second-order composites)"]
    lines += [f"{f} =~ {' + '.join(ind)}" for f, ind in factors.items()]
    lines.append("# structural paths of the declaration, controls in every equation")
    for lhs, rhs in order.items():
        terms = list(dict.fromkeys([*rhs, *(c for c in ctr if c != lhs)]))
        parts = []
        for t in terms:
            lab = f"b{len(labels) + 1}"
            labels[(lhs, t)] = lab
            parts.append(f"{lab}*{t}")
        lines.append(f"{lhs} ~ {' + '.join(parts)}")
    endogenous = set(order)
    first_order = {s for f, ind in factors.items() if f not in items for s in ind}
    exo = [v for v in dict.fromkeys([*variables, *ctr])
           if v not in endogenous and v not in first_order]
    if len(exo) > 1:
        lines.append("# every pair of exogenous variables covaries (latent and observed)")
        lines += [f"{a} ~~ {' + '.join(exo[i + 1:])}" for i, a in enumerate(exo[:-1])]
    if defined:
        lines.append("# indirect effects of the mediation hypotheses")
        lines += [f"{name} := {labels[(m, x)]}*{labels[(y, m)]}"
                  for name, x, m, y in defined.values()]
    return LatentModelSpec(syntax="\n".join(lines) + "\n", factors=factors, items=items,
                           observed=observed, labels=labels, defined=defined, controls=ctr)


def latent_model_frame(spec: LatentModelSpec, keyed: pd.DataFrame, scores: pd.DataFrame,
                       cluster: pd.Series | None = None,
                       cluster_name: str = "alliance_id") -> pd.DataFrame:
    """The model's data: reverse-keyed items and observed scores, one row per respondent.

    ``keyed`` and ``scores`` have the same rows (the retained respondents); ``cluster``
    (same rows) is added as ``cluster_name`` when given.
    """
    if len(keyed) != len(scores):
        raise DataError("The item answers and the scores must have the same rows.")
    item_cols = [i for v in spec.items.values() for i in v]
    absent = [c for c in item_cols if c not in keyed.columns]
    absent += [c for c in spec.observed if c not in scores.columns]
    if absent:
        raise DataError(f"Latent model: column(s) not in the data: {', '.join(absent)}.")
    frame = pd.concat(
        [keyed[item_cols].reset_index(drop=True),
         scores[list(spec.observed)].reset_index(drop=True)], axis=1)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame = frame.apply(pd.to_numeric, errors="coerce").astype(float)
    if cluster is not None:
        frame[cluster_name] = pd.Series(cluster).reset_index(drop=True).astype(object)
    return frame


@dataclass(frozen=True)
class LatentModelResult:
    """The fitted study latent model.

    Attributes
    ----------
    spec : LatentModelSpec
    fit : SEMResult
        The engine's result (parameter table, fit measures, warnings).
    estimator, missing : str
    cluster : str or None
        The cluster column when the SEs are cluster-robust.
    nclusters : int or None
    draws : dict
        ``{hypothesis id: draws}`` of the indirect effects (empty with ``n_draws=0``).
    interval : str
        How the draws were made: ``"Monte Carlo"`` or ``"cluster bootstrap"``.
    n_draws, n_draws_ok : int
    seed : int or None
    jackknife : dict
        ``{hypothesis id: leave-one-out estimates}`` of the indirect effects (one per
        alliance, or per respondent without clusters) when the bootstrap was asked for
        with ``bca=True``; empty otherwise.
    cluster_name : str or None
        The declared cluster column (the hypotheses file's ``cluster:``) the SEs are
        clustered by; ``cluster`` is that column's name in the fitted frame.
    """

    spec: LatentModelSpec
    fit: Any
    estimator: str
    missing: str
    cluster: str | None
    nclusters: int | None
    draws: dict[str, np.ndarray] = field(default_factory=dict)
    interval: str = ""
    n_draws: int = 0
    n_draws_ok: int = 0
    seed: int | None = None
    jackknife: dict[str, np.ndarray] = field(default_factory=dict)
    cluster_name: str | None = None

    @property
    def label(self) -> str:
        """What the model is, for the verdict table's Model column."""
        if self.estimator == "WLSMV":
            miss = "pairwise" if self.missing == "pairwise" else "complete data"
            return ("Latent model, ordered items (WLSMV, delta parameterization, "
                    f"{miss}; SEs not clustered)")
        how = [self.estimator, "FIML" if self.missing == "ml" else "complete data"]
        if self.cluster and self.nclusters:
            how.append(f"cluster-robust SEs by {cluster_words(self.cluster_name)} "
                       f"({self.nclusters} clusters)")
        return f"Latent model: items of reflective scales, composite scores ({', '.join(how)})"

    def percentile_interval(self, hid: str, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the draws of hypothesis ``hid``'s indirect effect.

        The draws' quantiles interpolated on the normal-quantile scale, as lavaan's
        ``boot.ci.type = "perc"``; NaN without draws.
        """
        from analysis.sem.bootstrap import norm_inter

        t = self.draws.get(hid)
        if t is None or len(t) < 2:
            return float("nan"), float("nan")
        a = 1 - level
        lo, hi = norm_inter(np.sort(t), [a / 2, 1 - a / 2])
        return float(lo), float(hi)

    def bca_interval(self, hid: str, level: float = 0.95) -> tuple[float, float, float, float]:
        """BCa interval of hypothesis ``hid``'s indirect effect (Efron 1987).

        Returns ``(lower, upper, z0, acceleration)``: the bias correction ``z0`` from the
        share of bootstrap draws below the estimate, the acceleration from the jackknife
        (with clusters, one alliance left out at a time: the unit the bootstrap
        resamples).  Needs ``interval="bootstrap", bca=True``.

        # In R: boot::boot.ci(b, type = "bca", L = L)   # L: jackknife influence values

        Raises
        ------
        ModelSpecificationError
            When the model was fitted without the bootstrap's jackknife.
        """
        from analysis.sem.bootstrap import bca_interval

        if hid not in self.jackknife or hid not in self.draws:
            raise ModelSpecificationError(
                "BCa intervals need the cluster bootstrap with its jackknife; fit with "
                "interval='bootstrap', bca=True.")
        row = self.defined(hid)
        if row is None:
            raise ModelSpecificationError(f"No indirect effect of {hid!r} in the model.")
        return bca_interval(self.draws[hid], float(row["est"]), self.jackknife[hid], level)

    def path(self, y: str, x: str) -> pd.Series | None:
        """The parameter row of the path ``y ~ x`` (None when not in the model)."""
        p = self.fit.params
        r = p[(p["lhs"] == y) & (p["op"] == "~") & (p["rhs"] == x)]
        return None if r.empty else r.iloc[0]

    def defined(self, hid: str) -> pd.Series | None:
        """The parameter row of the indirect effect of hypothesis ``hid``."""
        if hid not in self.spec.defined:
            return None
        p = self.fit.params
        r = p[(p["op"] == ":=") & (p["lhs"] == self.spec.defined[hid][0])]
        return None if r.empty else r.iloc[0]


def _clusters(ids: pd.Series | None) -> pd.Series | None:
    """Cluster ids when at least one cluster has two rows (a row without an id is alone)."""
    if ids is None:
        return None
    s = pd.Series(ids).reset_index(drop=True).astype("string")
    lonely = s.isna().to_numpy()
    if lonely.any():
        s = s.copy()
        s[lonely] = [f"__single_{i}" for i in np.flatnonzero(lonely)]
    if s.nunique() == len(s):
        return None
    return s.astype(object)


def monte_carlo_draws(fit: Any, spec: LatentModelSpec, n_draws: int,
                      seed: int | None) -> dict[str, np.ndarray]:
    """Monte Carlo draws of each indirect effect ``a*b`` (Preacher & Selig 2012).

    ``(a, b)`` are drawn from the normal distribution with the estimates as mean and
    their (cluster-robust) covariance matrix, and the product is formed per draw; the
    percentile interval of the draws is the Monte Carlo confidence interval.  Unlike
    the delta method it keeps the skew of a product of two estimates, and it costs no
    refits (a bootstrap of the full latent model refits it once per draw).

    # In R: semTools::monteCarloCI(fit, nRep = n_draws)
    """
    vcov = fit.vcov
    if vcov is None or not spec.defined:
        return {}
    pt = fit.partable
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for hid, (_name, x, m, y) in spec.defined.items():
        ids = []
        for lab in (spec.labels[(m, x)], spec.labels[(y, m)]):
            hit = pt.loc[(pt["label"] == lab) & (pt["xid"] >= 0), "xid"]
            if hit.empty:
                raise EstimationError(f"The path labelled {lab} is not a free parameter.")
            ids.append(int(hit.iloc[0]))
        mean = np.asarray(fit.x, dtype=float)[ids]
        cov = np.asarray(vcov, dtype=float)[np.ix_(ids, ids)]
        z = rng.multivariate_normal(mean, cov, size=int(n_draws), method="eigh")
        out[hid] = z[:, 0] * z[:, 1]
    return out


def fit_latent_model(
    keyed: pd.DataFrame,
    scores: pd.DataFrame,
    hypotheses: Any,
    instrument: Any,
    *,
    controls: Sequence[str] | None = None,
    cluster: pd.Series | None = None,
    estimator: str = "MLR",
    interval: str = "montecarlo",
    n_draws: int = 1000,
    seed: int | None = 2026,
    n_jobs: int | None = None,
    bca: bool = False,
) -> LatentModelResult:
    """Fit the study's latent model (:func:`latent_model_spec`).

    Parameters
    ----------
    keyed : DataFrame
        Item answers after reverse keying, one row per retained respondent.
    scores : DataFrame
        Scale scores, composites and dependence indices of the same rows.
    hypotheses : HypothesisSet
    instrument : Instrument
    controls : sequence of str, optional
        Default the declaration's controls.
    cluster : Series, optional
        Alliance ids of the rows; the SEs are cluster-robust (MLR) when one alliance
        has two rows, and the bootstrap resamples whole alliances.  Not used by WLSMV.
    estimator : {"MLR", "ML", "WLSMV"}
        ``"WLSMV"`` is the robustness run with the items as ordered categories (see
        :func:`robustness_wlsmv`).
    interval : {"montecarlo", "bootstrap"}
        Draws behind the interval of each indirect effect: Monte Carlo from the
        cluster-robust covariance of the paths (:func:`monte_carlo_draws`, fast), or a
        bootstrap that resamples whole alliances and refits the model per draw (about
        ten seconds per draw for the demo study's model; ML and MLR only).
    n_draws : int
        Number of draws (0: none; the delta-method SE only).
    seed : int, optional
    n_jobs : int, optional
        Worker processes of the bootstrap.
    bca : bool
        With ``interval="bootstrap"``: also the jackknife (one refit per alliance left
        out) behind :meth:`LatentModelResult.bca_interval`.  The percentile interval is
        the same with or without it.

    Returns
    -------
    LatentModelResult

    Raises
    ------
    ModelSpecificationError, DataError
        For a model that cannot be built from the declaration and the data.
    EstimationError
        When the model does not converge.

    # In R: lavaan::sem(spec$syntax, data, estimator = "MLR", missing = "ml",
    #                   cluster = "alliance_id", fixed.x = FALSE)
    """
    from analysis.sem.api import compile_model, fit_compiled
    from analysis.sem.bootstrap import bootstrap as sem_bootstrap

    if estimator not in ("MLR", "ML", "WLSMV"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not available for the latent model; use 'MLR', "
            "'ML' or 'WLSMV'.")
    if interval not in ("montecarlo", "bootstrap"):
        raise ModelSpecificationError(
            f"interval={interval!r} is not known; use 'montecarlo' or 'bootstrap'.")
    if estimator == "WLSMV" and interval == "bootstrap":
        raise ModelSpecificationError(
            "interval='bootstrap' is available for estimator='MLR' or 'ML'; the WLSMV "
            "robustness run uses the Monte Carlo interval.")
    if bca and interval != "bootstrap":
        raise ModelSpecificationError(
            "bca=True needs interval='bootstrap' (BCa intervals come from bootstrap draws "
            "and the jackknife).")
    spec = latent_model_spec(hypotheses, instrument, controls=controls)
    frame = latent_model_frame(spec, keyed, scores)
    anything_missing = bool(frame.isna().to_numpy().any())
    if estimator == "WLSMV":
        # no FIML for ordered items under WLSMV: pairwise thresholds and polychoric /
        # polyserial correlations, lavaan's missing = "pairwise"
        miss = "pairwise" if anything_missing else "listwise"
        ordered = [i for v in spec.items.values() for i in v]
        compiled = compile_model(spec.syntax, frame, estimator="WLSMV", missing=miss,
                                 ordered=list(dict.fromkeys(ordered)), fixed_x=False)
        res = fit_compiled(compiled, frame)
        if not res.converged:
            raise EstimationError("The latent model with ordered items (WLSMV) did not "
                                  "converge.")
        draws = monte_carlo_draws(res, spec, int(n_draws), seed) if n_draws else {}
        return LatentModelResult(
            spec=spec, fit=res, estimator="WLSMV", missing=miss, cluster=None,
            nclusters=None, draws=draws, n_draws=int(n_draws),
            n_draws_ok=min((len(v) for v in draws.values()), default=0), seed=seed,
            interval="Monte Carlo")
    miss = "ml" if anything_missing else "listwise"
    ids = _clusters(cluster) if estimator == "MLR" else None
    cname = None
    if ids is not None:
        cname = "alliance_id" if "alliance_id" not in frame.columns else "__cluster__"
        frame[cname] = ids.to_numpy()
    # fixed_x=False: the observed exogenous scores are modelled (variances, covariances,
    # means), so FIML keeps a respondent with a missing score and the exogenous block is
    # the same whether or not a factor covaries with it
    compiled = compile_model(spec.syntax, frame, estimator=estimator, missing=miss,
                             cluster=cname, fixed_x=False)
    res = fit_compiled(compiled, frame)
    if not res.converged:
        raise EstimationError("The latent model did not converge.")
    draws: dict[str, np.ndarray] = {}
    jack: dict[str, np.ndarray] = {}
    if n_draws and spec.defined and interval == "montecarlo":
        draws = monte_carlo_draws(res, spec, int(n_draws), seed)
    elif n_draws and spec.defined:
        boot = sem_bootstrap(compiled, frame, int(n_draws), seed=seed, n_jobs=n_jobs,
                             start=res.x, progress=False, bca=bca)
        names = list(boot.names)
        for hid, (name, *_rest) in spec.defined.items():
            if name in names:
                col = names.index(name)
                t = np.asarray(boot.draws, dtype=float)[:, col]
                draws[hid] = t[np.isfinite(t)]
                if boot.jackknife is not None:
                    jack[hid] = np.asarray(boot.jackknife, dtype=float)[:, col]
    n_ok = min((len(v) for v in draws.values()), default=0)
    return LatentModelResult(spec=spec, fit=res, estimator=estimator, missing=miss,
                             cluster=cname, nclusters=res.nclusters if cname else None,
                             draws=draws, n_draws=int(n_draws), n_draws_ok=n_ok, seed=seed,
                             interval={"montecarlo": "Monte Carlo",
                                       "bootstrap": "cluster bootstrap"}[interval],
                             jackknife=jack,
                             cluster_name=(str(getattr(cluster, "name", None) or "alliance_id")
                                           if cname else None))


def robustness_wlsmv(
    keyed: pd.DataFrame,
    scores: pd.DataFrame,
    hypotheses: Any,
    instrument: Any,
    *,
    controls: Sequence[str] | None = None,
    n_draws: int = 1000,
    seed: int | None = 2026,
) -> LatentModelResult:
    """The latent model's robustness run with the items as ordered categories (WLSMV).

    The same model as :func:`fit_latent_model` (same syntax, sample and controls) with
    the items of the reflective scales declared ordered: thresholds and polychoric /
    polyserial correlations, lavaan's delta parameterization, DWLS estimates with robust
    SEs and the mean-and-variance adjusted (scaled-shifted) test.  The observed scores
    (composite scales, dependence indices, controls) are continuous and modelled with the
    rest (``fixed.x = FALSE``, ``conditional.x = FALSE``); missing answers are handled
    pairwise; the SEs are not cluster-robust (no ``cluster=`` under WLSMV).  The indirect
    effects get a Monte Carlo interval from the WLSMV covariance of their paths.

    Parameters are as in :func:`fit_latent_model`.

    Returns
    -------
    LatentModelResult
        With ``estimator == "WLSMV"``.

    # In R: lavaan::sem(model, data, ordered = items, estimator = "WLSMV",
    #                   missing = "pairwise", fixed.x = FALSE, conditional.x = FALSE)
    """
    return fit_latent_model(keyed, scores, hypotheses, instrument, controls=controls,
                            estimator="WLSMV", n_draws=n_draws, seed=seed)


def robustness_entry(res: LatentModelResult, hypothesis: Any, level: float = 0.95
                     ) -> dict[str, Any] | None:
    """One hypothesis' numbers from a latent model fit, as a robustness entry.

    For a ``sem_path`` hypothesis the path's estimate, SE, Wald interval and p; for a
    ``mediation_bootstrap`` hypothesis the indirect effect with the percentile interval
    of its draws and the p as the share of draws on the other side of zero (the delta
    method when there are no draws).  Keys: ``model, estimate, se, ci_lower, ci_upper,
    pvalue`` (two-sided), ``pvalue_one_sided`` (in the declared direction), ``std_all``
    (the completely standardized estimate), ``n``, ``role`` and ``text`` (one sentence for
    the verdict table's note).  None when the hypothesis is not in the model.

    Under WLSMV a factor is scaled by its marker item's latent response (variance 1 in
    the delta parameterization), not by the item's 7-point metric, so the unstandardized
    estimates differ in scale from the MLR model's; signs, p-values and the standardized
    estimates are what compare.
    """
    from scipy.special import ndtr, ndtri

    h = hypothesis
    parts = h.parts()
    if h.method == "sem_path":
        row = res.path(parts["y"], parts["x"])
    elif h.method == "mediation_bootstrap":
        row = res.defined(h.id)
    else:
        return None
    if row is None:
        return None
    role = ("robustness: ordered items (WLSMV)" if res.estimator == "WLSMV"
            else f"robustness: {res.estimator}")
    from analysis.stats.method_variance import improper_warnings

    improper = improper_warnings(res.fit.warnings)
    if improper:
        # a robustness run without a proper solution gives no numbers to compare (a
        # negative variance brought standardized paths beyond 1 in a reviewer's pilot)
        nan = float("nan")
        why = "; ".join(str(w).rstrip(".") for w in improper)
        return {"model": res.label, "estimate": nan, "se": nan, "ci_lower": nan,
                "ci_upper": nan, "pvalue": nan, "pvalue_one_sided": nan, "std_all": nan,
                "n": int(res.fit.fit.get("ntotal", 0)), "role": role, "improper": why,
                "text": (f"Robustness ({res.label}): improper solution ({why}); not "
                         "interpreted.")}
    est, se = float(row["est"]), float(row["se"])
    std = float(row.get("std_all", np.nan))
    greater = h.expected_sign in ("+", "inverted_u")
    draws = res.draws.get(h.id) if h.method == "mediation_bootstrap" else None
    if draws is not None and len(draws) >= 2:
        lo, hi = res.percentile_interval(h.id, level)
        b = len(draws)
        p_g = float((np.sum(draws <= 0) + 1) / (b + 1))
        p_l = float((np.sum(draws >= 0) + 1) / (b + 1))
        how = f"{res.interval} percentile CI, {b} draws"
    else:
        q = float(ndtri(0.5 + level / 2))
        lo, hi = est - q * se, est + q * se
        z = est / se if se > 0 else float("nan")
        p_g, p_l = float(ndtr(-z)), float(ndtr(z))
        how = "Wald CI"
    p2 = min(1.0, 2 * min(p_g, p_l))
    return {"model": res.label, "estimate": est, "se": se, "ci_lower": lo, "ci_upper": hi,
            "pvalue": p2, "pvalue_one_sided": p_g if greater else p_l, "std_all": std,
            "n": int(res.fit.fit.get("ntotal", 0)), "role": role,
            "text": (f"Robustness ({res.label}): b = {est:.3f}, [{lo:.3f}, {hi:.3f}] "
                     f"({how}), two-sided p = {p2:.3g}, standardized {std:.3f}.")}


def cluster_words(column: str | None) -> str:
    """What the clusters of a cluster-robust SE are, for a note: "alliance" for the
    default ``alliance_id`` (both partners of an alliance), else the declared column's
    name (a hypotheses file's ``cluster: portfolio_id`` had been written "clustered by
    alliance" in every note)."""
    return "alliance" if column in (None, "alliance_id") else str(column)
