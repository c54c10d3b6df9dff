"""Front doors ``sem()`` / ``cfa()`` / ``compile_model()`` and the backend dispatch.

This module sits on top of the engine: it imports the steps below it (compile, sample
statistics, backends, result) and nothing imports it back.

# In R: lavaan::sem(model, data, ...); lavaan::cfa(model, data, ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError

from . import build
from .bootstrap import bootstrap_state
from .build import baseline_model, compile_table
from .fiml import fit_fiml, fit_mlr
from .ml import check_identification, fit_ml
from .model import CompiledModel, SampleStats
from .result import SEMResult
from .samplestats import group_label_column, sample_stats
from .starts import retry_from_other_starts
from .state import Backend, FitState
from .syntax import parse_model
from .wls import fit_wlsmv

__all__ = [
    "BACKENDS",
    "FitState",
    "SEMResult",
    "baseline_model",
    "cfa",
    "compile_model",
    "compile_table",
    "fit_compiled",
    "get_backend",
    "growth",
    "group_label_column",
    "sample_stats",
    "sem",
]

# (estimator, missing) -> backend
BACKENDS: Mapping[tuple[str, str], Backend] = MappingProxyType({
    ("ML", "listwise"): fit_ml,
    ("ML", "ml"): fit_fiml,
    ("MLR", "listwise"): fit_mlr,
    ("MLR", "ml"): fit_mlr,
    ("WLSMV", "listwise"): fit_wlsmv,
    ("WLSMV", "pairwise"): fit_wlsmv,
})


def get_backend(estimator: str, missing: str) -> Backend:
    """Return the backend function for (estimator, missing)."""
    key = (estimator, missing)
    if key not in BACKENDS:
        raise ModelSpecificationError(
            f"estimator={estimator!r} with missing={missing!r} is not available; choose from "
            + ", ".join(f"{e}/{m}" for e, m in BACKENDS) + ".")
    return BACKENDS[key]


def compile_model(model: str, data: pd.DataFrame | None = None, **options: Any,
                  ) -> CompiledModel:
    """Parse and compile a lavaan model once; refit it with ``.fit(data)``.

    Parameters and options as :func:`analysis.sem.build.compile_model`; the returned
    model's :meth:`~analysis.sem.model.CompiledModel.fit` runs :func:`fit_compiled`.

    Returns
    -------
    CompiledModel

    Notes
    -----
    # In R: lavaan::lavaanify(model, ...) followed by lavaan(..., do.fit = FALSE)
    """
    if options.get("std_ov"):
        # lavaan's std.ov = TRUE fits scale(data): the same fit as the z-scores here
        raise ModelSpecificationError(
            "std_ov= is not an option here. lavaan's std.ov = TRUE fits the z-scores of "
            "the observed variables (mean 0, SD with divisor N - 1, as R's scale()): "
            "standardize those columns of data= first, e.g. (df - df.mean()) / df.std(), "
            "and fit that.")
    return build.compile_model(model, data, fitter=fit_compiled, **options)


def _check_pd(stats: list[SampleStats], model: CompiledModel, *, complete: bool = True,
              ) -> None:
    """Refuse constant variables and, with ``complete`` data (listwise), a sample
    covariance matrix that is not positive definite (pairwise moments of incomplete data
    need not be, and FIML does not use them)."""
    if model.ordered:
        return
    for lab, st in zip(model.groups, stats, strict=True):
        S = st.cov
        var = np.diag(S)
        const = [v for v, s in zip(model.ov_names, var, strict=True) if not s > 0]
        where = f" in group {lab!r}" if lab else ""
        if const:
            # under FIML a variable seen once has a variance of 0 too: say why
            seen = (np.sum(~np.isnan(np.asarray(st.data, dtype=float)), axis=0)
                    if st.data is not None else None)
            named = [v if seen is None or seen[model.ov_names.index(v)] > 1
                     else f"{v} (observed for {int(seen[model.ov_names.index(v)])} case only)"
                     for v in const]
            raise EstimationError(
                f"The variables {', '.join(named)} have zero variance{where}; "
                "drop them from the model.")
        if not complete:
            continue
        d = 1.0 / np.sqrt(var)
        eig = np.linalg.eigvalsh(S * np.outer(d, d))
        if eig[0] < 1e-10:
            raise EstimationError(
                f"The sample covariance matrix{where} is not positive definite "
                f"(smallest eigenvalue of the correlation matrix {eig[0]:.3g}); some observed "
                "variables are linear combinations of others or there are fewer cases than "
                "variables. Drop redundant variables or collect more data.")


#: lavaan warns when some pair of variables is observed together in fewer cases than this
_LOW_COVERAGE = 0.10


def _coverage_warnings(model: CompiledModel, stats: list[SampleStats]) -> list[str]:
    """A warning per group where two variables (or one) are observed together in fewer
    than 10 % of the cases, as lavaan's ("some pairwise combinations have less than 10%
    coverage"): their covariance (FIML, or pairwise polychorics) rests on few cases."""
    if model.options.get("missing", "listwise") == "listwise":
        return []
    out = []
    for lab, st in zip(model.groups, stats, strict=True):
        if st.data is None or len(st.data) == 0:
            continue
        seen = (~np.isnan(np.asarray(st.data, dtype=float))).astype(float)
        coverage = seen.T @ seen / seen.shape[0]
        i, j = np.unravel_index(int(np.argmin(coverage)), coverage.shape)
        if coverage[i, j] >= _LOW_COVERAGE:
            continue
        if np.min(np.diag(coverage)) == coverage[i, j]:  # a variable seen that rarely
            i = j = int(np.argmin(np.diag(coverage)))
        a, b = model.ov_names[i], model.ov_names[j]
        pair = f"{a} alone" if i == j else f"{a} with {b}"
        where = f" in group {lab!r}" if lab else ""
        out.append(f"Some variables are observed together in fewer than 10 % of the cases"
                   f"{where} (the fewest: {pair}, {100 * coverage[i, j]:.1f} %); the estimates that "
                   "rest on those pairs are uncertain.")
    return out


def fit_compiled(model: CompiledModel, data: pd.DataFrame, *, start: np.ndarray | None = None,
                 ) -> SEMResult:
    """Fit a compiled model to ``data`` and return an :class:`SEMResult`."""
    if not isinstance(data, pd.DataFrame):
        raise DataError("data= must be a pandas DataFrame.")
    stats, warns = sample_stats(model, data, model.options["missing"])
    return _fit_stats(model, stats, warns, start)


def _fit_stats(model: CompiledModel, stats: list[SampleStats], warns: list[str],
               start: np.ndarray | None = None) -> SEMResult:
    """:func:`fit_compiled` from the groups' sample statistics."""
    opts = model.options
    estimator, missing = opts["estimator"], opts["missing"]
    backend = get_backend(estimator, missing)
    _check_pd(stats, model, complete=missing == "listwise")
    if model.n_free > model.n_moments(exclude_fixed_x=True):
        raise ModelSpecificationError(
            f"The model is not identified: it has {model.n_free} free parameters but only "
            f"{model.n_moments()} sample moments (df = {model.df()}). Fix or constrain "
            "parameters.")
    warns = list(warns) + _coverage_warnings(model, stats)
    bound = model.bind(stats)
    state = backend(bound, stats, opts, start=start)
    if (not state.converged and start is None and not opts.get("baseline") and model.n_free
            and opts.get("retry", True)):
        # retry=False: a diagnostic fit (the ULMC's method model) reports its
        # non-convergence instead of spending minutes on other starts
        state = retry_from_other_starts(backend, bound, stats, opts, state)
    if backend is not fit_ml and backend is not fit_wlsmv and not opts.get("baseline"):
        _check_identified(bound, state)
    if int(opts.get("bootstrap", 0) or 0) > 0 and not opts.get("baseline"):
        # bootstrap vcov in state.vcov, draws in state.extra["bootstrap"]
        state = bootstrap_state(bound, stats, state, opts)
    if state.baseline is None and not opts.get("baseline"):
        state_warns = tuple(state.warnings)
        try:
            base = baseline_model(model).bind(stats)
            bstate = backend(base, stats, MappingProxyType({**opts, "baseline": True}))
        except (EstimationError, ModelSpecificationError) as exc:
            bstate = None
            state_warns += (f"The baseline (independence) model could not be fitted ({exc}); "
                            "CFI, TLI and related indices are not available.",)
        state = replace(state, baseline=bstate, warnings=state_warns)
    return SEMResult(model=bound, stats=tuple(stats), state=state,
                     data_warnings=tuple(warns))


def _check_identified(model: CompiledModel, state: FitState) -> None:
    """Refuse a converged FIML or MLR fit of a model that is not identified.

    The ML backend on complete data checks its information matrix; FIML and MLR invert
    theirs and, when it is singular only up to rounding, gave standard errors of 0 or
    of thousands without a word (an explicit zero loading in front of a factor's other
    indicators leaves that factor without a scale).  The check here does not depend on
    the data: the derivatives of the implied moments with respect to the free
    parameters, each moment divided by the implied SDs it involves, must have full
    column rank, as :func:`analysis.sem.ml.check_identification` asks of ML's
    information.
    """
    if not state.converged or not model.n_free:
        return
    rows = []
    for g in range(model.n_groups):
        dS, dM, _dT = model.derivatives(state.x, g)
        sd = np.sqrt(np.abs(np.diag(model.implied(state.x)[g].sigma)))
        sd[sd == 0] = 1.0
        iu = np.triu_indices(len(sd))
        rows.append((dS / np.outer(sd, sd))[:, iu[0], iu[1]])
        if model.meanstructure:
            rows.append(dM / sd)
    jac = np.concatenate(rows, axis=1)
    check_identification(model, jac @ jac.T)


# what lavaan's front doors set themselves, whatever the call says (lavaan::sem() and
# cfa() call lavaan() with int.ov.free = TRUE, int.lv.free = FALSE, auto.fix.first =
# TRUE, which std.lv = TRUE turns off; growth() with int.ov.free = FALSE, int.lv.free =
# TRUE): another value would silently be ignored by lavaan, so ours would not be its fit
_FRONT_DOOR_FIXED = {
    "sem": {"int_ov_free": True, "int_lv_free": False},
    "growth": {"int_ov_free": False, "int_lv_free": True, "meanstructure": True},
}
_FRONT_DOOR_ADVICE = {
    "auto_fix_first": "to free a marker loading write NA*x1 in the model and fix the "
                      "factor's variance (f ~~ 1*f), or use std_lv=True",
    "int_ov_free": "to fix an intercept at 0 write x1 ~ 0*1 in the model; to free one, "
                   "x1 ~ 1",
    "int_lv_free": "to free a latent mean write f ~ 1 in the model; to fix one, f ~ 0*1",
    "meanstructure": "a growth model always has a mean structure",
}


def _check_front_door(front: str, kwargs: Mapping[str, Any], std_lv: bool) -> None:
    """Refuse options that lavaan's ``sem()`` / ``cfa()`` / ``growth()`` override."""
    fixed = dict(_FRONT_DOOR_FIXED[front], auto_fix_first=not std_lv)
    for key, want in fixed.items():
        val = kwargs.get(key)
        if val is None or bool(val) == want:
            continue
        lav = key.replace("_", ".")
        doors = "sem() and cfa()" if front == "sem" else "growth()"
        raise ModelSpecificationError(
            f"{key}={val!r} is not available here: lavaan's {doors} set {lav} = "
            f"{str(want).upper()} themselves{' (std.lv decides it)' if key == 'auto_fix_first' else ''}"
            f" and ignore {lav} = {str(bool(val)).upper()}, so the model would not be "
            f"lavaan's. {_FRONT_DOOR_ADVICE[key][0].upper()}{_FRONT_DOOR_ADVICE[key][1:]}. "
            "(analysis.sem.compile_model() takes the option as lavaan::lavaan() does.)")


def sem(
    model: str,
    data: pd.DataFrame | None = None,
    *,
    sample_cov=None,
    sample_mean=None,
    sample_nobs=None,
    estimator: str | None = None,
    missing: str = "listwise",
    ordered=None,
    group: str | None = None,
    cluster: str | None = None,
    group_equal=(),
    group_partial=(),
    std_lv: bool = False,
    bootstrap: int = 0,
    seed: int | None = None,
    **kwargs,
) -> SEMResult:
    """Fit a structural equation model with lavaan's ``sem()`` defaults.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    data : DataFrame
        Raw data; the model's observed variables must be columns.  Or, instead of data:
    sample_cov : DataFrame, or a mapping / list of them (one per group)
        Sample covariance matrices (divisor N - 1, as R's ``cov()``; rescaled by
        (N - 1) / N as lavaan's ``sample.cov.rescale``), the variables named in the index
        and the columns; a correlation matrix is analysed as a covariance matrix, as
        lavaan does.  Only ML: the other estimators, FIML and the bootstrap need the raw
        data.  A mapping's keys are the group labels (a list's are "1", "2", ...).
    sample_mean : Series, or a mapping / list of them, optional
        Sample means (give them for a mean structure, which they switch on as in lavaan;
        without them several groups have none, and intercepts in the model or
        ``group_equal`` intercepts or means are refused).
    sample_nobs : int, or a mapping / list of them
        Number of cases behind each matrix.
    estimator : {"ML", "MLR", "WLSMV"}, optional
        As lavaan: ``"WLSMV"`` when ``ordered=`` is given, else ``"ML"``; ML and MLR
        with ordered items are refused.
    missing : {"listwise", "ml", "pairwise"}
        ``"ml"`` (alias ``"fiml"``) is full-information ML; ``"pairwise"`` is for ordered
        items (WLSMV).  lavaan's ``"ml.x"``, ``"two.stage"`` and the like are refused.
    ordered : list of str or bool, optional
        Ordered categorical indicators; ``True`` for every observed variable that is not
        an exogenous covariate (lavaan's ``ordered = TRUE``).  Columns held as ordered
        pandas Categoricals (R's ordered factors) are ordered whether listed or not, as
        lavaan treats ordered factors.
    group : str, optional
        Column defining groups for a multigroup model.
    cluster : str, optional
        Column identifying clusters of cases (e.g. the two members of a dyad): lavaan's
        ``cluster=`` for a single-level model with ``estimator="MLR"`` (complete data or
        ``missing="ml"``).  The casewise scores are summed within clusters for the
        sandwich standard errors (with the factor ``C / (C - 1)``, ``C`` clusters), the
        Yuan-Bentler scaled test and the robust CFI/TLI/RMSEA; the estimates are the
        ML ones.  A case without a cluster id is refused (lavaan would pool all such
        cases into one cluster); the bootstrap resamples whole clusters.
    group_equal : sequence of str
        Parameter types equal across groups (lavaan ``group.equal``).
    group_partial : sequence of str
        Parameters freed from ``group_equal`` (lavaan ``group.partial``), e.g. ``"f =~ x2"``.
    std_lv : bool
        Unit latent variances instead of marker loadings.
    bootstrap : int
        Number of bootstrap draws (bootstrap backend).
    seed : int, optional
        Random seed for the bootstrap.
    **kwargs
        Further options of :func:`analysis.sem.compile_model`, among them ``fixed_x``,
        ``meanstructure``, ``orthogonal``, ``se`` / ``test`` (those the estimator
        computes), ``likelihood="normal"``, inequality constraints' estimation (``a > 0``
        in the model: ML on complete data only), and
        ``parameterization="theta"`` (ordered items: residual variances as parameters,
        scale factors implied; default ``"delta"``) and ``id_cat="wu.estabrook.2016"``
        (how equal thresholds identify later groups; see
        :func:`analysis.sem.measurement_invariance`).  ``auto_fix_first``,
        ``int_ov_free`` and ``int_lv_free`` are refused unless they have the value
        lavaan's ``sem()`` / ``cfa()`` give them anyway (lavaan ignores the others);
        :func:`analysis.sem.compile_model` takes them as ``lavaan::lavaan()`` does.

    Returns
    -------
    SEMResult

    Examples
    --------
    >>> res = sem("visual =~ x1 + x2 + x3", hs)  # doctest: +SKIP
    # In R: lavaan::sem("visual =~ x1 + x2 + x3", data = hs)
    >>> res = sem(model, dyads, estimator="MLR", cluster="alliance_id")  # doctest: +SKIP
    # In R: lavaan::sem(model, data = dyads, estimator = "MLR", cluster = "alliance_id")
    >>> res = sem(model, df, estimator="WLSMV", ordered=items,
    ...           parameterization="theta")  # doctest: +SKIP
    # In R: lavaan::sem(model, data = df, ordered = items, parameterization = "theta")
    """
    _check_front_door(kwargs.pop("_front", "sem"), kwargs, std_lv)
    if sample_cov is not None or sample_nobs is not None or sample_mean is not None:
        if data is not None:
            raise ModelSpecificationError(
                "Give either data= or sample_cov= / sample_nobs= (the sample moments), "
                "not both.")
        return _sem_from_moments(
            model, sample_cov, sample_mean, sample_nobs, estimator=estimator,
            missing=missing, ordered=ordered, group=group, cluster=cluster,
            bootstrap=bootstrap, group_equal=group_equal, group_partial=group_partial,
            std_lv=std_lv, seed=seed, **kwargs)
    if data is None:
        raise DataError("sem() needs data= (raw data) or sample_cov= with sample_nobs=.")
    compiled = compile_model(model, data, estimator=estimator, missing=missing, ordered=ordered,
                             group=group, cluster=cluster, group_equal=group_equal,
                             group_partial=group_partial,
                             std_lv=std_lv, bootstrap=bootstrap, seed=seed, **kwargs)
    return fit_compiled(compiled, data)


def _as_groups(value: Any, what: str) -> tuple[list[str] | None, list[Any]]:
    """One value or one per group: (labels or None, values)."""
    if isinstance(value, Mapping):
        if not value:
            raise DataError(f"{what}= is empty.")
        return [str(k) for k in value], list(value.values())
    if isinstance(value, list | tuple):
        if not value:
            raise DataError(f"{what}= is empty.")
        return [str(i + 1) for i in range(len(value))], list(value)
    return None, [value]


def _moments(sample_cov: Any, sample_mean: Any, sample_nobs: Any
             ) -> tuple[list[str], list[pd.DataFrame], list[pd.Series | None], list[int]]:
    """The groups' moments as given to :func:`sem`, checked."""
    if sample_cov is None or sample_nobs is None:
        raise DataError("Fitting from sample moments needs both sample_cov= and sample_nobs=.")
    labels, covs = _as_groups(sample_cov, "sample_cov")
    nlab, nobs = _as_groups(sample_nobs, "sample_nobs")
    if len(nobs) == 1 and len(covs) > 1 and nlab is None:
        raise DataError(f"sample_nobs= needs one number per group ({len(covs)} groups).")
    if len(nobs) != len(covs):
        raise DataError(f"sample_nobs= has {len(nobs)} values for {len(covs)} covariance "
                        "matrices.")
    means: list[Any] = [None] * len(covs)
    if sample_mean is not None:
        _, means = _as_groups(sample_mean, "sample_mean")
        if len(means) != len(covs):
            raise DataError(f"sample_mean= has {len(means)} mean vectors for {len(covs)} "
                            "covariance matrices.")
    groups = labels or [""]
    out_cov, out_mean, out_n = [], [], []
    for g, c, m, n in zip(groups, covs, means, nobs, strict=True):
        where = f" (group {g!r})" if labels else ""
        if not isinstance(c, pd.DataFrame):
            raise DataError(
                f"sample_cov={where} must be a pandas DataFrame with the variable names as "
                f"its index and columns; got {type(c).__name__}.")
        names = [str(v) for v in c.columns]
        if [str(v) for v in c.index] != names or len(set(names)) != len(names):
            raise DataError(f"sample_cov={where} needs the same, distinct variable names in "
                            "its index and its columns.")
        try:
            a = c.to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"sample_cov={where} holds values that are not numbers.") from None
        if not np.isfinite(a).all():
            raise DataError(f"sample_cov={where} has missing or infinite values.")
        if not np.allclose(a, a.T, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(a).max())):
            raise DataError(f"sample_cov={where} is not symmetric.")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 2:
            raise DataError(f"sample_nobs={where} must be a whole number of at least 2 "
                            f"cases; got {n!r}.")
        if m is not None:
            if not isinstance(m, pd.Series) or list(map(str, m.index)) != names:
                raise DataError(f"sample_mean={where} must be a pandas Series named by the "
                                "same variables, in the order of sample_cov=.")
            m = m.astype(float)
            if not np.isfinite(m.to_numpy()).all():
                raise DataError(f"sample_mean={where} has missing or infinite values.")
        out_cov.append(pd.DataFrame(0.5 * (a + a.T), index=names, columns=names))
        out_mean.append(m)
        out_n.append(int(n))
    if len({tuple(c.columns) for c in out_cov}) > 1:
        raise DataError("The groups' sample_cov= matrices name different variables.")
    if any(m is None for m in out_mean) and any(m is not None for m in out_mean):
        raise DataError("sample_mean= is needed for every group or for none.")
    return groups, out_cov, out_mean, out_n


#: What fitting from sample moments cannot do (each needs the raw data).
_MOMENTS_REFUSED = {
    "estimator": "only ML (MLR and WLSMV need the raw data)",
    "missing": "only complete data (FIML needs the raw data)",
    "ordered": "ordered items need the raw data",
    "cluster": "clustered data need the raw data",
    "bootstrap": "the bootstrap resamples the raw data",
}


def _sem_from_moments(model: str, sample_cov: Any, sample_mean: Any, sample_nobs: Any, *,
                      estimator: str | None, missing: str, ordered: Any, group: Any,
                      cluster: Any, bootstrap: int, **kwargs: Any) -> SEMResult:
    """:func:`sem` from sample moments (lavaan's ``sample.cov`` / ``sample.mean`` /
    ``sample.nobs``)."""
    given = {"estimator": estimator not in (None, "ML", "ml"),
             "missing": str(missing).lower() not in ("listwise", "default"),
             "ordered": bool(ordered), "cluster": cluster is not None,
             "bootstrap": bool(bootstrap)}
    for key, bad in given.items():
        if bad:
            raise ModelSpecificationError(
                f"{key}= is not available when fitting from sample moments: "
                f"{_MOMENTS_REFUSED[key]}.")
    if group is not None:
        raise ModelSpecificationError(
            "group= names a data column; with sample moments give one matrix per group "
            "(sample_cov= as a mapping from group label to matrix).")
    groups, covs, means, nobs = _moments(sample_cov, sample_mean, sample_nobs)
    with_means = means[0] is not None
    if not with_means and kwargs.get("meanstructure"):
        raise ModelSpecificationError("meanstructure=True needs sample_mean=.")
    if not with_means:
        # intercepts without sample means would be fitted to means of 0 (lavaan warns and
        # does so: equal intercepts then add degrees of freedom that test nothing)
        asked = sorted({f"{s.lhs} ~ 1" for s in parse_model(model) if s.op == "~1"})
        if len(groups) > 1:
            asked += [f"group_equal={v!r}" for v in ("intercepts", "means")
                      if v in (kwargs.get("group_equal") or ())]
        if asked:
            raise ModelSpecificationError(
                f"The model has intercepts or means ({', '.join(asked)}), which need the "
                "sample means: give sample_mean= (one vector per group), or drop them.")
    # without sample_mean= several groups get no mean structure either, as in lavaan (the
    # groups' intercepts would be free, fitted to means of 0, and counted in npar, AIC,
    # BIC and SRMR)
    kwargs.setdefault("meanstructure", with_means)
    names = list(covs[0].columns)
    compiled = compile_model(model, None, data_columns=names, groups=groups,
                             group="group" if len(groups) > 1 else None, estimator="ML",
                             **kwargs)
    ov = list(compiled.ov_names)
    stats = []
    for c, m, n in zip(covs, means, nobs, strict=True):
        s = c.loc[ov, ov].to_numpy() * (n - 1) / n  # lavaan's sample.cov.rescale
        mu = m.loc[ov].to_numpy() if m is not None else np.zeros(len(ov))
        stats.append(SampleStats(n=n, mean=mu, cov=s))
    return _fit_stats(compiled, stats, [])


def growth(model: str, data: pd.DataFrame, **kwargs) -> SEMResult:
    """Latent growth model with lavaan's ``growth()`` conventions.

    A mean structure, the observed intercepts fixed at 0 and the latent means
    (growth factor means) free; otherwise as :func:`sem`.

    Examples
    --------
    >>> growth("i =~ 1*t1 + 1*t2 + 1*t3\ns =~ 0*t1 + 1*t2 + 2*t3", df)  # doctest: +SKIP
    # In R: lavaan::growth("i =~ 1*t1 + 1*t2 + 1*t3; s =~ 0*t1 + 1*t2 + 2*t3", data = df)
    """
    _check_front_door("growth", kwargs, bool(kwargs.get("std_lv", False)))
    kwargs.setdefault("meanstructure", True)
    kwargs.setdefault("int_ov_free", False)
    kwargs.setdefault("int_lv_free", True)
    return sem(model, data, _front="growth", **kwargs)


def cfa(model: str, data: pd.DataFrame | None = None, **kwargs) -> SEMResult:
    """Confirmatory factor analysis; same defaults as ``lavaan::cfa`` (= ``sem``).

    # In R: lavaan::cfa(model, data = data)
    #       lavaan::cfa(model, sample.cov = S, sample.nobs = N)
    """
    return sem(model, data, **kwargs)


