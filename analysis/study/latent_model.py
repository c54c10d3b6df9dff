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
  (:func:`analysis.sem.bootstrap.bootstrap`; one refit of the full model per draw).

# In R: lavaan::sem(model, data, estimator = "MLR", missing = "ml", cluster = "alliance_id",
#                  fixed.x = FALSE)
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

    @property
    def label(self) -> str:
        """What the model is, for the verdict table's Model column."""
        how = [self.estimator, "FIML" if self.missing == "ml" else "complete data"]
        if self.cluster and self.nclusters:
            how.append(f"cluster-robust SEs by alliance ({self.nclusters} clusters)")
        return f"Latent model: items of reflective scales, composite scores ({', '.join(how)})"

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
        has two rows.
    estimator : {"MLR", "ML"}
    interval : {"montecarlo", "bootstrap"}
        Draws behind the interval of each indirect effect: Monte Carlo from the
        cluster-robust covariance of the paths (:func:`monte_carlo_draws`, fast), or a
        bootstrap that resamples whole alliances and refits the model per draw (about
        ten seconds per draw for the demo study's model).
    n_draws : int
        Number of draws (0: none; the delta-method SE only).
    seed : int, optional
    n_jobs : int, optional
        Worker processes of the bootstrap.

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

    if estimator not in ("MLR", "ML"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not available for the latent model; use 'MLR' or "
            "'ML'.")
    if interval not in ("montecarlo", "bootstrap"):
        raise ModelSpecificationError(
            f"interval={interval!r} is not known; use 'montecarlo' or 'bootstrap'.")
    spec = latent_model_spec(hypotheses, instrument, controls=controls)
    frame = latent_model_frame(spec, keyed, scores)
    miss = "ml" if frame.isna().to_numpy().any() else "listwise"
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
    if n_draws and spec.defined and interval == "montecarlo":
        draws = monte_carlo_draws(res, spec, int(n_draws), seed)
    elif n_draws and spec.defined:
        boot = sem_bootstrap(compiled, frame, int(n_draws), seed=seed, n_jobs=n_jobs,
                             start=res.x, progress=False)
        names = list(boot.names)
        for hid, (name, *_rest) in spec.defined.items():
            if name in names:
                t = np.asarray(boot.draws, dtype=float)[:, names.index(name)]
                draws[hid] = t[np.isfinite(t)]
    n_ok = min((len(v) for v in draws.values()), default=0)
    return LatentModelResult(spec=spec, fit=res, estimator=estimator, missing=miss,
                             cluster=cname, nclusters=res.nclusters if cname else None,
                             draws=draws, n_draws=int(n_draws), n_draws_ok=n_ok, seed=seed,
                             interval={"montecarlo": "Monte Carlo",
                                       "bootstrap": "cluster bootstrap"}[interval])

