"""Front doors ``sem()`` / ``cfa()`` / ``compile_model()`` and the backend dispatch.

# In R: lavaan::sem(model, data, ...); lavaan::cfa(model, data, ...)
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, EstimationError, ModelSpecificationError

from .model import CompiledModel, SampleStats, build_specs
from .partable import build_partable, check_variables
from .result import SEMResult
from .syntax import parse_model

# (estimator, missing) -> (module, function).  Modules are imported lazily.
BACKENDS: Mapping[tuple[str, str], tuple[str, str]] = MappingProxyType({
    ("ML", "listwise"): ("analysis.sem.ml", "fit_ml"),
    ("ML", "ml"): ("analysis.sem.fiml", "fit_fiml"),
    ("MLR", "listwise"): ("analysis.sem.robust", "fit_mlr"),
    ("MLR", "ml"): ("analysis.sem.robust", "fit_mlr"),
    ("WLSMV", "listwise"): ("analysis.sem.wls", "fit_wlsmv"),
    ("WLSMV", "pairwise"): ("analysis.sem.wls", "fit_wlsmv"),
})
_MISSING_ALIASES = {"listwise": "listwise", "ml": "ml", "fiml": "ml", "direct": "ml",
                    "pairwise": "pairwise"}


@dataclass(frozen=True)
class FitState:
    """What a backend returns (see the package docstring for the protocol).

    Attributes
    ----------
    x : ndarray
        Estimates of the reduced free-parameter vector.
    vcov : ndarray or None
        Covariance matrix of ``x`` (None when not computed).
    converged : bool
    iterations : int
    fmin : float
        Minimum of the fit function in lavaan's scaling (half the ML discrepancy).
    test : dict
        ``chisq, df, pvalue`` (+ ``chisq_scaled, df_scaled, pvalue_scaled,
        scaling_factor, shift_parameter`` for robust backends).
    loglik, loglik_h1 : float
        Log-likelihood of the model and of the unrestricted model (NaN if undefined).
    baseline : FitState or None
        Fit of lavaan's independence model with the same backend.
    extra : dict
        Backend-specific results (e.g. robust fit measures).
    warnings : tuple of str
    """

    x: np.ndarray
    vcov: np.ndarray | None
    converged: bool
    iterations: int
    fmin: float
    test: Mapping[str, float]
    loglik: float = float("nan")
    loglik_h1: float = float("nan")
    baseline: FitState | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def get_backend(estimator: str, missing: str):
    """Return the backend function for (estimator, missing), importing it lazily."""
    key = (estimator, missing)
    if key not in BACKENDS:
        raise ModelSpecificationError(
            f"estimator={estimator!r} with missing={missing!r} is not available; choose from "
            + ", ".join(f"{e}/{m}" for e, m in BACKENDS) + ".")
    mod_name, fun = BACKENDS[key]
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as exc:
        if exc.name == mod_name:
            raise ModelSpecificationError(
                f"estimator={estimator!r} with missing={missing!r} needs {mod_name}, "
                "which is not available in this version.") from exc
        raise
    if not hasattr(mod, fun):
        raise ModelSpecificationError(f"{mod_name} has no backend {fun}() yet.")
    return getattr(mod, fun)


# --------------------------------------------------------------------------- data
def group_label_column(col: pd.Series) -> pd.Series:
    """Group labels as strings, as R's ``as.character`` (2.0 -> "2"); NaN stays NaN."""
    def one(v):
        if pd.isna(v):
            return np.nan
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v)

    return col.map(one)


def _group_labels(data: pd.DataFrame, group: str | None) -> list[str]:
    if group is None:
        return [""]
    if group not in data.columns:
        raise DataError(f"The group= column {group!r} is not in data=.")
    vals = group_label_column(data[group]).dropna()
    labels = list(pd.unique(vals))
    if len(labels) < 2:
        raise DataError(f"The group= column {group!r} has fewer than two groups.")
    return labels


def _n_thresholds(data: pd.DataFrame | None, ordered) -> dict[str, int]:
    if not ordered:
        return {}
    if isinstance(ordered, Mapping):
        return {str(k): int(v) for k, v in ordered.items()}
    if isinstance(ordered, str):
        ordered = [ordered]
    if data is None:
        raise ModelSpecificationError(
            "ordered= needs data= (or a mapping variable -> number of thresholds).")
    out = {}
    for v in ordered:
        if v not in data.columns:
            raise DataError(f"The ordered= variable {v!r} is not in data=.")
        col = data[v]
        ncat = col.cat.categories.size if isinstance(col.dtype, pd.CategoricalDtype) \
            else col.dropna().nunique()
        if ncat < 2:
            raise DataError(f"The ordered variable {v!r} has fewer than two categories.")
        out[v] = int(ncat - 1)
    return out


def _numeric_column(col: pd.Series, name: str, ordered: bool) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return codes + 1.0
    if ordered and not pd.api.types.is_numeric_dtype(col):
        cats = sorted(col.dropna().unique())
        mapping = {c: i + 1.0 for i, c in enumerate(cats)}
        return col.map(mapping).to_numpy(dtype=float)
    try:
        return pd.to_numeric(col).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"Column {name!r} is not numeric; recode it or declare it in ordered=.") from exc


def sample_stats(model: CompiledModel, data: pd.DataFrame, missing: str = "listwise",
                 ) -> tuple[list[SampleStats], list[str]]:
    """Per-group sample statistics in ``model.ov_names`` order (divisor n).

    Returns the statistics and warnings (e.g. cases deleted listwise).
    """
    group = model.options.get("group")
    check_variables(model.ov_names, list(data.columns))
    warnings: list[str] = []
    out = []
    for lab in model.groups:
        sub = data if group is None else data[(group_label_column(data[group]) == lab).to_numpy()]
        cols = [_numeric_column(sub[v], v, v in model.ordered) for v in model.ov_names]
        X = np.column_stack(cols) if cols else np.zeros((len(sub), 0))
        where = f" in group {lab!r}" if lab else ""
        if missing == "listwise":
            keep = np.isfinite(X).all(axis=1)
        else:
            keep = np.isfinite(X).any(axis=1)
            if model.ov_x:
                # As lavaan under missing = "ml" with fixed.x = TRUE: cases missing on an
                # exogenous covariate are deleted (the covariates are not modelled).
                xi = [model.ov_names.index(v) for v in model.ov_x]
                x_ok = np.isfinite(X[:, xi]).all(axis=1)
                n_x = int((keep & ~x_ok).sum())
                if n_x:
                    warnings.append(
                        f"{n_x} {'case' if n_x == 1 else 'cases'}{where} with missing values "
                        f"on the exogenous covariates ({', '.join(model.ov_x)}) "
                        f"{'was' if n_x == 1 else 'were'} deleted (fixed.x = TRUE).")
                keep &= x_ok
        if missing == "listwise" and (~keep).any():
            n_del = int((~keep).sum())
            warnings.append(f"{n_del} {'case' if n_del == 1 else 'cases'}{where} with missing "
                            f"values {'was' if n_del == 1 else 'were'} deleted (listwise).")
        n_empty = int((~np.isfinite(X).any(axis=1)).sum())
        if missing != "listwise" and n_empty:
            warnings.append(f"{n_empty} cases{where} with all values missing were deleted.")
        X = X[keep]
        n = X.shape[0]
        if n < 2:
            raise DataError(f"Group {lab!r} has {n} usable cases; at least 2 are needed.")
        if np.isnan(X).any():
            mean = np.nanmean(X, axis=0)
            cov = pd.DataFrame(X).cov(min_periods=2).to_numpy() * 1.0
            cnt = np.isfinite(X).astype(float)
            npair = cnt.T @ cnt
            cov = cov * (npair - 1) / np.maximum(npair, 1)
        else:
            mean = X.mean(axis=0)
            dev = X - mean
            cov = dev.T @ dev / n
        out.append(SampleStats(n=n, mean=mean, cov=cov, data=X))
    return out, warnings


# ------------------------------------------------------------------ compilation
def compile_table(partable: pd.DataFrame, *, ov_names, lv_names, eta_ov, ov_x, ordered,
                  groups, meanstructure, options) -> CompiledModel:
    """Build a :class:`CompiledModel` from a finished parameter table."""
    n_free = int(partable["xid"].max() + 1) if (partable["xid"] >= 0).any() else 0
    eta_names, th_names, specs = build_specs(partable, list(ov_names), list(lv_names),
                                             list(eta_ov), list(ordered), len(groups), n_free)
    return CompiledModel(partable=partable, groups=list(groups), ov_names=list(ov_names),
                         lv_names=list(lv_names), ordered=list(ordered),
                         meanstructure=bool(meanstructure), n_free=n_free,
                         eta_names=eta_names, ov_x=list(ov_x), th_names=th_names,
                         options=MappingProxyType(dict(options)), _specs=specs)


def compile_model(
    model: str,
    data: pd.DataFrame | None = None,
    *,
    data_columns: list[str] | None = None,
    groups: list[str] | None = None,
    estimator: str = "ML",
    missing: str = "listwise",
    ordered=None,
    group: str | None = None,
    group_equal=(),
    group_partial=(),
    std_lv: bool = False,
    fixed_x: bool = True,
    meanstructure: bool | None = None,
    orthogonal: bool = False,
    auto_fix_first: bool | None = None,
    int_ov_free: bool = True,
    int_lv_free: bool = False,
    bootstrap: int = 0,
    seed: int | None = None,
    se: str | None = None,
    test: str | None = None,
    **backend_options: Any,
) -> CompiledModel:
    """Parse and compile a lavaan model once; refit it with ``.fit(data)``.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    data : DataFrame, optional
        Used for the variable check, group labels and the number of thresholds.
    data_columns : list of str, optional
        Column names to check the model against when ``data`` is not given.
    groups : list of str, optional
        Group labels when ``data`` is not given.
    estimator, missing, ordered, group, group_equal, group_partial, std_lv, fixed_x,
    meanstructure, orthogonal, bootstrap, seed, se, test
        As in :func:`sem`.
    **backend_options
        Passed to the backend in ``options`` (e.g. ``n_jobs`` for the bootstrap).

    Returns
    -------
    CompiledModel

    Notes
    -----
    # In R: lavaan::lavaanify(model, ...) followed by lavaan(..., do.fit = FALSE)
    """
    estimator = str(estimator).upper()
    missing_key = _MISSING_ALIASES.get(str(missing).lower())
    if missing_key is None:
        raise ModelSpecificationError(
            f"missing={missing!r} is not known; use 'listwise' or 'ml'.")
    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    stmts = parse_model(model)
    if data is not None:
        data_columns = list(map(str, data.columns))
        if group is not None:
            groups = _group_labels(data, group)
    if groups is None:
        groups = [""] if group is None else None
    if groups is None:
        raise ModelSpecificationError("group= needs data= or groups= to know the group labels.")
    nth = _n_thresholds(data, ordered)
    ms = meanstructure
    if ms is None and missing_key == "ml":
        ms = True
    pt, names, ms = build_partable(stmts, ngroups=len(groups), ordered=nth, std_lv=std_lv,
                                   fixed_x=fixed_x, meanstructure=ms,
                                   group_equal=tuple(group_equal),
                                   group_partial=tuple(group_partial),
                                   auto_fix_first=auto_fix_first, orthogonal=orthogonal,
                                   int_ov_free=int_ov_free, int_lv_free=int_lv_free)
    check_variables(names.ov, data_columns)
    ov_x = [v for v in names.ov_x if v not in nth] if fixed_x else []
    options = dict(estimator=estimator, missing=missing_key, group=group,
                   group_equal=tuple(group_equal), group_partial=tuple(group_partial),
                   std_lv=bool(std_lv), fixed_x=bool(fixed_x), bootstrap=int(bootstrap),
                   seed=seed, se=se, test=test, model=model, **backend_options)
    compiled = compile_table(pt, ov_names=names.ov, lv_names=names.lv, eta_ov=names.eta_ov,
                             ov_x=ov_x, ordered=[v for v in names.ov if v in nth],
                             groups=groups, meanstructure=ms, options=options)
    return replace(compiled, baseline=baseline_model(compiled))


def baseline_model(model: CompiledModel) -> CompiledModel:
    """lavaan's independence (baseline) model for ``model``.

    Free variances (thresholds for ordered variables), means when the model has
    a mean structure, and the exogenous covariates' block fixed at the sample
    values (fixed.x).

    # In R: lavaan:::lav_partable_independence(fit)
    """
    if model.baseline is not None:
        return model.baseline
    rows = []
    ov, ov_x, ordv = model.ov_names, set(model.ov_x), set(model.ordered)
    xid = 0
    for g in range(1, model.n_groups + 1):
        for v in ov:
            if v in ov_x:
                rows.append(dict(lhs=v, op="~~", rhs=v, group=g, exo=1, ustart=np.nan, xid=-1))
            elif v in ordv:
                rows.append(dict(lhs=v, op="~~", rhs=v, group=g, exo=0, ustart=1.0, xid=-1))
            else:
                rows.append(dict(lhs=v, op="~~", rhs=v, group=g, exo=0, ustart=np.nan, xid=xid))
                xid += 1
        xs = [v for v in ov if v in ov_x]
        for i in range(len(xs)):
            for j in range(i + 1, len(xs)):
                rows.append(dict(lhs=xs[i], op="~~", rhs=xs[j], group=g, exo=1, ustart=np.nan,
                                 xid=-1))
        if model.meanstructure:
            for v in ov:
                if v in ov_x:
                    rows.append(dict(lhs=v, op="~1", rhs="", group=g, exo=1, ustart=np.nan,
                                     xid=-1))
                elif v in ordv:
                    rows.append(dict(lhs=v, op="~1", rhs="", group=g, exo=0, ustart=0.0,
                                     xid=-1))
                else:
                    rows.append(dict(lhs=v, op="~1", rhs="", group=g, exo=0, ustart=np.nan,
                                     xid=xid))
                    xid += 1
        for lhs, rhs in model.th_names:
            rows.append(dict(lhs=lhs, op="|", rhs=rhs, group=g, exo=0, ustart=np.nan, xid=xid))
            xid += 1
    pt = pd.DataFrame(rows)
    pt.insert(0, "id", np.arange(1, len(pt) + 1))
    pt["user"] = 0
    pt["block"] = pt["group"]
    pt["free"] = np.where(pt["xid"] >= 0, pt["xid"] + 1, 0)
    pt["label"] = ""
    pt["plabel"] = [f".p{i}." for i in pt["id"]]
    pt["start"] = np.nan
    pt["est"] = np.nan
    pt["se"] = np.nan
    pt["start_user"] = np.nan
    eta_ov = list(model.ov_x)
    opts = dict(model.options)
    opts["baseline"] = True
    return compile_table(pt, ov_names=ov, lv_names=[], eta_ov=eta_ov, ov_x=model.ov_x,
                         ordered=model.ordered, groups=model.groups,
                         meanstructure=model.meanstructure, options=opts)


def _check_pd(stats: list[SampleStats], model: CompiledModel) -> None:
    if model.ordered:
        return
    for lab, st in zip(model.groups, stats, strict=True):
        S = st.cov
        var = np.diag(S)
        const = [v for v, s in zip(model.ov_names, var, strict=True) if not s > 0]
        where = f" in group {lab!r}" if lab else ""
        if const:
            raise EstimationError(
                f"The variables {', '.join(const)} have zero variance{where}; "
                "drop them from the model.")
        d = 1.0 / np.sqrt(var)
        eig = np.linalg.eigvalsh(S * np.outer(d, d))
        if eig[0] < 1e-10:
            raise EstimationError(
                f"The sample covariance matrix{where} is not positive definite "
                f"(smallest eigenvalue of the correlation matrix {eig[0]:.3g}); some observed "
                "variables are linear combinations of others or there are fewer cases than "
                "variables. Drop redundant variables or collect more data.")


def fit_compiled(model: CompiledModel, data: pd.DataFrame, *, start: np.ndarray | None = None,
                 ) -> SEMResult:
    """Fit a compiled model to ``data`` and return an :class:`SEMResult`."""
    if not isinstance(data, pd.DataFrame):
        raise DataError("data= must be a pandas DataFrame.")
    opts = model.options
    estimator, missing = opts["estimator"], opts["missing"]
    backend = get_backend(estimator, missing)
    stats, warns = sample_stats(model, data, missing)
    if missing == "listwise":
        _check_pd(stats, model)
    if model.n_free > model.n_moments(exclude_fixed_x=True):
        raise ModelSpecificationError(
            f"The model is not identified: it has {model.n_free} free parameters but only "
            f"{model.n_moments()} sample moments (df = {model.df()}). Fix or constrain "
            "parameters.")
    bound = model.bind(stats)
    state = backend(bound, stats, opts, start=start)
    if not state.converged and start is None and not opts.get("baseline") and model.n_free:
        from .starts import retry_from_other_starts

        state = retry_from_other_starts(backend, bound, stats, opts, state)
    if int(opts.get("bootstrap", 0) or 0) > 0 and not opts.get("baseline"):
        # S2's hook: bootstrap vcov in state.vcov, draws in state.extra["bootstrap"]
        from .bootstrap import bootstrap_state

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


def sem(
    model: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    ordered=None,
    group: str | None = None,
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
        Raw data; the model's observed variables must be columns.
    estimator : {"ML", "MLR", "WLSMV"}
    missing : {"listwise", "ml"}
    ordered : list of str, optional
        Ordered categorical indicators.
    group : str, optional
        Column defining groups for a multigroup model.
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

    Returns
    -------
    SEMResult

    Examples
    --------
    >>> res = sem("visual =~ x1 + x2 + x3", hs)  # doctest: +SKIP
    # In R: lavaan::sem("visual =~ x1 + x2 + x3", data = hs)
    """
    compiled = compile_model(model, data, estimator=estimator, missing=missing, ordered=ordered,
                             group=group, group_equal=group_equal, group_partial=group_partial,
                             std_lv=std_lv, bootstrap=bootstrap, seed=seed, **kwargs)
    return fit_compiled(compiled, data)


def growth(model: str, data: pd.DataFrame, **kwargs) -> SEMResult:
    """Latent growth model with lavaan's ``growth()`` conventions.

    A mean structure, the observed intercepts fixed at 0 and the latent means
    (growth factor means) free; otherwise as :func:`sem`.

    Examples
    --------
    >>> growth("i =~ 1*t1 + 1*t2 + 1*t3\ns =~ 0*t1 + 1*t2 + 2*t3", df)  # doctest: +SKIP
    # In R: lavaan::growth("i =~ 1*t1 + 1*t2 + 1*t3; s =~ 0*t1 + 1*t2 + 2*t3", data = df)
    """
    kwargs.setdefault("meanstructure", True)
    kwargs.setdefault("int_ov_free", False)
    kwargs.setdefault("int_lv_free", True)
    return sem(model, data, **kwargs)


def cfa(model: str, data: pd.DataFrame, **kwargs) -> SEMResult:
    """Confirmatory factor analysis; same defaults as ``lavaan::cfa`` (= ``sem``).

    # In R: lavaan::cfa(model, data = data)
    """
    return sem(model, data, **kwargs)


