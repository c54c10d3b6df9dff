"""From syntax to a compiled model (lavaan's steps parse -> table -> model), and
lavaan's independence (baseline) model.

# In R: lavaan::lavaanify(model, ...); lavaan:::lav_partable_independence(fit)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError, clip, is_whole

from .model import CompiledModel, build_specs
from .partable import (
    build_partable,
    check_unique_columns,
    check_variables,
    free_covariates,
    variable_names,
)
from .samplestats import group_label_column
from .standardize import DefinedParameters
from .syntax import parse_model

_MISSING_ALIASES = {"listwise": "listwise", "ml": "ml", "fiml": "ml", "direct": "ml",
                    "pairwise": "pairwise", "default": "listwise"}
# lavaan's other missing= methods, which this engine does not fit
_MISSING_UNSUPPORTED = {
    "ml.x": "lavaan's FIML that keeps the cases missing a fixed.x covariate; the nearest "
            "here is missing='ml' with fixed_x=False, which also keeps them but makes the "
            "covariates' variances free parameters",
    "two.stage": "two-stage ML", "robust.two.stage": "robust two-stage ML",
    "available.cases": "available cases", "doubly.robust": "doubly robust estimation",
}


def _group_labels(data: pd.DataFrame, group: str | None) -> list[str]:
    if group is None:
        return [""]
    if group not in data.columns:
        raise DataError(f"The group= column {group!r} is not in data=.")
    vals = group_label_column(data[group]).dropna()
    labels = list(pd.unique(vals))
    if len(labels) < 2:
        raise DataError(f"The group= column {group!r} has fewer than two groups.")
    _refuse_lookalike_groups(group, labels)
    return labels


def _refuse_lookalike_groups(group: str, labels: list[Any]) -> None:
    """Refuse group labels that differ only in blanks, invisible characters or Unicode
    composition ("a" and "a "): they were fitted as two groups without a word."""
    import unicodedata

    seen: dict[str, Any] = {}
    for lab in labels:
        if not isinstance(lab, str):
            continue
        key = "".join(c for c in unicodedata.normalize("NFC", lab)
                      if unicodedata.category(c) not in ("Cf", "Cc")).strip()
        if key in seen:
            raise DataError(
                f"The group= column {group!r} has the groups {seen[key]!r} and {lab!r}, "
                "which differ only in blanks or invisible characters; make them one group "
                "(or two clearly different names) in the data.")
        seen[key] = lab


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
            else col.nunique(dropna=True)
        if ncat < 2:
            raise DataError(f"The ordered variable {v!r} has fewer than two categories.")
        out[v] = int(ncat - 1)
    return out


def _check_latent_names(lv: list[str], data_columns: list[str] | None) -> None:
    """Refuse a latent variable named as a column of the data, as lavaan does ("some
    latent variable names collide with observed variable names"): ``x1 =~ x2 + x3 + x4``
    with a column x1 was fitted with x1 as a factor, the column silently unused."""
    if data_columns is None:
        return
    cols = set(data_columns)
    clash = [v for v in lv if v in cols]
    if clash:
        raise ModelSpecificationError(
            f"Latent variable name(s) {', '.join(map(repr, clash))} are also columns of the "
            "data: the column would not be used. Rename the latent variable (e.g. "
            f"'{clash[0]}_f =~ ...'), or leave the column out of the data.")


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


def _check_cluster_options(cluster: Any, estimator: str, ordered: Any,
                           data_columns: list[str] | None) -> None:
    """``cluster=`` is lavaan's cluster-robust MLR for single-level models."""
    if not isinstance(cluster, str) or not cluster:
        raise ModelSpecificationError(
            f"cluster= must be the name of a data column (got {cluster!r}).")
    if estimator != "MLR":
        raise ModelSpecificationError(
            f"cluster= needs estimator='MLR' (got {estimator!r}): cluster-robust standard "
            "errors and the Yuan-Bentler test are the MLR ones with the casewise scores "
            "summed within clusters.")
    if ordered:
        raise ModelSpecificationError(
            "cluster= is not available with ordered= (WLSMV); use MLR on the items treated "
            "as continuous, or drop cluster=.")
    if data_columns is not None and cluster not in data_columns:
        raise ModelSpecificationError(f"cluster= {cluster!r} is not a column of the data.")


# options a backend reads besides the named ones: the optimiser's iteration limit, the
# shared polychoric statistics of the measurement step, and the bootstrap's workers and
# BCa intervals; any other keyword (lavaan's sampling.weights, std.ov, conditional.x, ...)
# would be ignored, and the fit would silently not be the one asked for
_BACKEND_OPTIONS = frozenset({"max_iter", "ordinal_cache", "n_jobs", "bca", "retry"})
# the standard errors and test each estimator computes (lavaan's names)
_SE_OF = {"ML": ("standard",), "MLR": ("robust.huber.white", "robust.cluster"),
          "WLSMV": ("robust.sem",)}
_TEST_OF = {"ML": ("standard",), "MLR": ("yuan.bentler.mplus",),
            "WLSMV": ("scaled.shifted",)}


def _check_bounds(stmts: list, estimator: str, missing: str) -> None:
    """Inequality constraints (``a > 0``) are honoured by the ML (complete data) and the
    WLSMV estimation only; the FIML and MLR backends would ignore them."""
    ineq = [s for s in stmts if s.op in ("<", ">")]
    if ineq and not ((estimator == "ML" and missing == "listwise") or estimator == "WLSMV"):
        s = ineq[0]
        raise ModelSpecificationError(
            f"Line {s.line}: the inequality constraint {s.lhs} {s.op} {s.rhs} is available "
            f"with estimator='ML' on complete data (missing='listwise') and with "
            f"estimator='WLSMV' only; with estimator={estimator!r}, missing={missing!r} it "
            "would be ignored. Drop the constraint, or fix the parameter at a value (e.g. "
            "x8 ~~ 0.01*x8).")


def _check_options(estimator: str, se: str | None, test: str | None, bootstrap: int,
                   backend_options: Mapping[str, Any]) -> None:
    """Refuse options the engine would ignore: unknown keywords, and ``se=`` / ``test=``
    other than what ``estimator=`` computes."""
    lik = backend_options.get("likelihood")
    if lik is not None:
        if str(lik).lower() not in ("normal", "default"):
            raise ModelSpecificationError(
                f"likelihood={lik!r} is not available in this engine: it fits lavaan's "
                "default likelihood='normal' (sample covariances with divisor N, "
                "chi-square N * F); 'wishart' (divisor N - 1, chi-square (N - 1) * F) "
                "is not implemented.")
        if estimator not in ("ML", "MLR"):
            raise ModelSpecificationError(
                f"likelihood= applies to estimator='ML' or 'MLR' only (got {estimator!r}).")
    unknown = sorted(set(backend_options) - _BACKEND_OPTIONS - {"likelihood"})
    if unknown:
        raise ModelSpecificationError(
            f"The option(s) {', '.join(unknown)} are not available in this engine (they "
            "would be ignored and the fit would not be the one asked for); the named "
            "options of sem() are supported, and besides them only "
            f"{', '.join(sorted(_BACKEND_OPTIONS))}.")
    # counts given as text, NaN, a fraction or a negative number ended in a ValueError or
    # OverflowError from the optimiser, or ran 0 iterations and reported non-convergence
    mi = backend_options.get("max_iter")
    if mi is not None and (not is_whole(mi) or mi < 1):
        raise ModelSpecificationError(
            f"max_iter= must be a whole number of iterations, 1 or more (got {clip(mi)}).")
    if bootstrap is not None and (not is_whole(bootstrap) or bootstrap < 0):
        raise ModelSpecificationError(
            f"bootstrap= must be a whole number of draws, 0 (none) or more (got "
            f"{clip(bootstrap)}).")
    boot = int(bootstrap or 0) > 0
    if se is not None:
        se_key = str(se).lower()
        if se_key == "bootstrap" and not boot:
            raise ModelSpecificationError(
                "se='bootstrap' needs the number of draws: give bootstrap=R (lavaan's "
                "default is 1000), which gives bootstrap standard errors on its own.")
        if not (se_key == "bootstrap" or se_key in _SE_OF.get(estimator, ())):
            raise ModelSpecificationError(
                f"se={se!r} is not available with estimator={estimator!r}, which gives "
                f"{' or '.join(repr(v) for v in _SE_OF.get(estimator, ()))} standard errors "
                "(bootstrap ones with bootstrap=R); for robust (sandwich) standard errors use "
                "estimator='MLR'.")
    if test is not None and str(test).lower() not in _TEST_OF.get(estimator, ()):
        raise ModelSpecificationError(
            f"test={test!r} is not available with estimator={estimator!r}, which gives the "
            f"{' or '.join(repr(v) for v in _TEST_OF.get(estimator, ()))} test; for a robust "
            "test use estimator='MLR' (Yuan-Bentler) or, with ordered items, 'WLSMV'.")


def _ordered_names(ordered: Any, stmts: list, data: pd.DataFrame | None) -> Any:
    """lavaan's ``ordered=``: ``True`` means every observed variable that is not an
    exogenous covariate (lavaan's ``ov.nox``), ``False`` or ``""`` none; besides, the
    model's endogenous variables held in the data as ordered categoricals (R's ordered
    factors) are ordered, as lavaan treats them.
    """
    if isinstance(ordered, (bool, np.bool_)):
        names = variable_names(stmts)
        ordered = [v for v in names.ov if v not in names.ov_x] if ordered else []
    elif isinstance(ordered, str):
        ordered = [ordered] if ordered else []
    if isinstance(ordered, Mapping) or data is None:
        return ordered
    names = variable_names(stmts)
    check_unique_columns(names.ov, data.columns)
    if data.columns.is_unique:
        # the columns' types in one pass (``data[v]`` per variable copied nothing but
        # cost a pandas lookup each, many per fit)
        dtypes = dict(zip(data.columns, data.dtypes, strict=True))
        auto = [v for v in names.ov if v not in names.ov_x and v in dtypes
                and isinstance(dtypes[v], pd.CategoricalDtype) and dtypes[v].ordered]
    else:
        auto = [v for v in names.ov if v not in names.ov_x and v in data.columns
                and isinstance(data[v], pd.Series)  # a name heading two columns: refused
                and isinstance(data[v].dtype, pd.CategoricalDtype) and data[v].cat.ordered]
    if not auto:
        return ordered
    given = list(ordered or [])
    return given + [v for v in auto if v not in given]


#: The estimators this engine fits (lavaan's names).
ESTIMATORS = ("ML", "MLR", "WLSMV")


def _resolve_estimator(estimator: str | None, ordered: Any) -> str:
    """lavaan's default estimator: WLSMV when items are ``ordered=``, else ML.

    ML and MLR treat every variable as continuous; with ordered items they would fit
    thresholds they do not estimate (lavaan refuses them too: "estimator ML for ordered
    data is not supported yet").
    """
    has_ordered = bool(ordered) if not isinstance(ordered, Mapping) else len(ordered) > 0
    if estimator is None or str(estimator).upper() == "DEFAULT":  # lavaan's "default" too
        return "WLSMV" if has_ordered else "ML"
    estimator = str(estimator).upper()
    if estimator not in ESTIMATORS:
        # "estimator='ULS' with missing='listwise' is not available" put the blame on
        # missing=; the estimator itself is what this engine does not fit
        instead = ("estimator='MLR' (robust standard errors and a scaled test, with or "
                   "without missing data)" if estimator in ("MLM", "MLMV", "MLF", "MLMVS")
                   else "estimator='WLSMV' with ordered= for ordered items, or 'ML'/'MLR' "
                   "for continuous ones" if estimator in ("DWLS", "ULS", "WLS", "ULSMV",
                                                          "WLSM", "ULSM", "GLS")
                   else "one of these")
        raise ModelSpecificationError(
            f"estimator={clip(estimator)} is not available in this engine, which fits ML, "
            "MLR (ML with robust standard errors and the Yuan-Bentler scaled test; "
            f"missing='ml' for FIML) and WLSMV (ordered items); use {instead}.")
    if has_ordered and estimator in ("ML", "MLR"):
        raise ModelSpecificationError(
            f"estimator={estimator!r} is not available with ordered= items (it would treat "
            "them as continuous and leave their thresholds unestimated; lavaan refuses it "
            "too). Use estimator='WLSMV' (the default when ordered= is given), or drop "
            "ordered= to treat the items as continuous.")
    return estimator


#: Options that are yes or no; ``None`` means lavaan's default for the two that have one.
_OPTIONAL_SWITCHES = frozenset({"meanstructure", "auto_fix_first"})


def _check_kinds(data: Any, group: Any, cluster: Any, **switches: Any) -> None:
    """Refuse arguments of the wrong kind before any work.

    A dict or an array as ``data=`` and a list as ``group=`` ended in an AttributeError or
    TypeError from the middle of the compile; a switch given as text was read by its
    truth value, so ``std_lv="no"`` fitted the model with unit latent variances and
    ``meanstructure="no"`` added a mean structure, without a word.
    """
    if data is not None and not isinstance(data, pd.DataFrame):
        raise DataError(f"data= must be a pandas DataFrame (got {type(data).__name__}); "
                        "pd.DataFrame(...) makes one, with the variables as named columns.")
    for name, value in (("group", group), ("cluster", cluster)):
        if value is not None and not isinstance(value, str):
            raise ModelSpecificationError(
                f"{name}= must be the name of one column (a str), not "
                f"{type(value).__name__} {value!r:.60}.")
    for name, value in switches.items():
        if value is None and name in _OPTIONAL_SWITCHES:
            continue
        if not isinstance(value, bool | np.bool_):
            raise ModelSpecificationError(
                f"{name}= must be True or False, not {type(value).__name__} {value!r:.60}.")


def compile_model(
    model: str,
    data: pd.DataFrame | None = None,
    *,
    data_columns: list[str] | None = None,
    groups: list[str] | None = None,
    estimator: str | None = None,
    missing: str = "listwise",
    ordered=None,
    group: str | None = None,
    cluster: str | None = None,
    group_equal=(),
    group_partial=(),
    std_lv: bool = False,
    fixed_x: bool = True,
    meanstructure: bool | None = None,
    orthogonal: bool = False,
    auto_fix_first: bool | None = None,
    int_ov_free: bool = True,
    int_lv_free: bool = False,
    parameterization: str = "delta",
    id_cat: str = "lavaan",
    bootstrap: int = 0,
    seed: int | None = None,
    se: str | None = None,
    test: str | None = None,
    fitter: Callable[..., Any] | None = None,
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
    estimator, missing, ordered, group, cluster, group_equal, group_partial, std_lv,
    fixed_x, meanstructure, orthogonal, bootstrap, seed, se, test
        As in :func:`sem`.
    parameterization, id_cat
        Ordered items: ``"delta"`` or ``"theta"`` scales, and how equal thresholds
        identify later groups (see :func:`analysis.sem.partable.build_partable`).
    fitter : callable, optional
        The estimation engine behind ``.fit(data)`` (the front door passes its own).
    **backend_options
        Passed to the backend in ``options`` (e.g. ``n_jobs`` for the bootstrap).

    Returns
    -------
    CompiledModel

    Notes
    -----
    # In R: lavaan::lavaanify(model, ...) followed by lavaan(..., do.fit = FALSE)
    """
    _check_kinds(data, group, cluster, std_lv=std_lv, fixed_x=fixed_x,
                 meanstructure=meanstructure, orthogonal=orthogonal,
                 auto_fix_first=auto_fix_first, int_ov_free=int_ov_free,
                 int_lv_free=int_lv_free)
    stmts = parse_model(model)
    ordered = _ordered_names(ordered, stmts, data)
    estimator = _resolve_estimator(estimator, ordered)
    _check_options(estimator, se, test, bootstrap, backend_options)
    backend_options.pop("likelihood", None)  # "normal": what the engine fits anyway
    missing_key = _MISSING_ALIASES.get(str(missing).lower())
    if missing_key is None:
        what = _MISSING_UNSUPPORTED.get(str(missing).lower())
        if what is not None:
            raise ModelSpecificationError(
                f"missing={missing!r} is not available in this engine ({what}); use "
                "'listwise', 'ml' (FIML) or, with ordered items, 'pairwise'.")
        raise ModelSpecificationError(
            f"missing={missing!r} is not known; use 'listwise' or 'ml'.")
    if isinstance(group_equal, str):
        group_equal = (group_equal,)
    if isinstance(group_partial, str):  # R's group.partial = "x3~1": one parameter
        group_partial = (group_partial,)
    _check_bounds(stmts, estimator, missing_key)
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
    if len(groups) > 1 and ({"intercepts", "means"} & set(group_equal)):
        # as lavaan: equal intercepts or means need (and force) a mean structure
        ms = True
    if cluster is not None:
        _check_cluster_options(cluster, estimator, nth, data_columns)
        ms = True  # as lavaan: a clustered single-level model gets a mean structure
    core, names, ov_x_free = _compiled_structure(
        model, stmts, groups=tuple(groups), nth=tuple(nth.items()), std_lv=bool(std_lv),
        fixed_x=bool(fixed_x), meanstructure=ms, group_equal=tuple(group_equal),
        group_partial=tuple(group_partial), auto_fix_first=auto_fix_first,
        orthogonal=bool(orthogonal), int_ov_free=bool(int_ov_free),
        int_lv_free=bool(int_lv_free), parameterization=parameterization, id_cat=id_cat)
    check_variables(names.ov, data_columns)
    _check_latent_names(names.lv, data_columns)
    options = dict(estimator=estimator, missing=missing_key, group=group, cluster=cluster,
                   ov_x_free=ov_x_free,
                   group_equal=tuple(group_equal), group_partial=tuple(group_partial),
                   std_lv=bool(std_lv), fixed_x=bool(fixed_x), bootstrap=int(bootstrap),
                   parameterization=parameterization, id_cat=id_cat,
                   seed=seed, se=se, test=test, model=model, **backend_options)
    # a fresh instance (its own memo) sharing the cached table and structure
    compiled = replace(core, options=MappingProxyType(options))
    pt = compiled.partable
    if (pt["op"] == ":=").any():
        # read the definitions now: an unknown function or label is an error of the
        # model, not one that surfaces after the fit when the estimates are first read
        DefinedParameters(compiled)
    return replace(compiled, baseline=baseline_model(compiled), fitter=fitter)


#: Compiled structures by model syntax and structural options (see _compiled_structure).
_STRUCTURES: dict[tuple, tuple[CompiledModel, Any, tuple[str, ...]]] = {}
_STRUCTURES_MAX = 128
_STRUCTURES_LOCK = threading.Lock()


def _compiled_structure(model: str, stmts: list, *, groups: tuple[str, ...],
                        nth: tuple[tuple[str, int], ...], std_lv: bool, fixed_x: bool,
                        meanstructure: bool | None, group_equal: tuple, group_partial: tuple,
                        auto_fix_first: bool | None, orthogonal: bool, int_ov_free: bool,
                        int_lv_free: bool, parameterization: str, id_cat: str,
                        ) -> tuple[CompiledModel, Any, tuple[str, ...]]:
    """The parameter table and compiled structure of ``model`` (without its options).

    The table, the matrices' layout and the covariates depend on the syntax and these
    structural options only, not on the data's values (``nth``, the thresholds of each
    ordered variable, and the group labels are part of the key).  They are cached by
    that key: the pipeline fits one syntax many times (the levels and candidates of an
    invariance test, the refits of one model), and a compiled model is immutable (its
    table is copied before anything is written into it), so one structure serves every
    call; each caller gets its own instance with its options through ``replace``.

    Returns
    -------
    tuple
        The compiled model (empty options), the variable names of the model and the
        covariates whose (co)variances are free (``fixed_x=False``).
    """
    key = (model, groups, nth, std_lv, fixed_x, meanstructure, group_equal, group_partial,
           auto_fix_first, orthogonal, int_ov_free, int_lv_free, parameterization, id_cat)
    try:
        hit = _STRUCTURES.get(key)
    except TypeError:  # an unhashable option value: compile without the cache
        key, hit = None, None
    if hit is not None:
        return hit
    nth_map = dict(nth)
    pt, names, ms = build_partable(stmts, ngroups=len(groups), ordered=nth_map, std_lv=std_lv,
                                   fixed_x=fixed_x, meanstructure=meanstructure,
                                   group_equal=group_equal, group_partial=group_partial,
                                   auto_fix_first=auto_fix_first, orthogonal=orthogonal,
                                   int_ov_free=int_ov_free, int_lv_free=int_lv_free,
                                   parameterization=parameterization, id_cat=id_cat)
    ov_x = list(free_covariates(stmts, names, nth_map)) if fixed_x else []
    # fixed.x = FALSE: the covariates' (co)variances are free parameters, and lavaan's
    # independence model keeps their covariances free too
    ov_x_free = () if fixed_x else free_covariates(stmts, names, nth_map)
    core = compile_table(pt, ov_names=names.ov, lv_names=names.lv, eta_ov=names.eta_ov,
                         ov_x=ov_x, ordered=[v for v in names.ov if v in nth_map],
                         groups=list(groups), meanstructure=ms, options={})
    out = (core, names, ov_x_free)
    if key is not None:
        with _STRUCTURES_LOCK:
            while len(_STRUCTURES) >= _STRUCTURES_MAX:
                _STRUCTURES.pop(next(iter(_STRUCTURES)))
            _STRUCTURES[key] = out
    return out


def baseline_model(model: CompiledModel) -> CompiledModel:
    """lavaan's independence (baseline) model for ``model``.

    Free variances (thresholds for ordered variables), means when the model has
    a mean structure, and the exogenous covariates' block fixed at the sample
    values (fixed.x).

    # In R: lavaan:::lav_partable_independence(fit)
    """
    if model.baseline is not None:
        return model.baseline
    opts = dict(model.options)
    opts["baseline"] = True
    # the independence model depends on the variables and groups only, not on the
    # model's paths or equality constraints: the levels of an invariance test, the
    # candidates of a partial-invariance search and the refits of one model share it
    core = _baseline_core(tuple(model.ov_names), tuple(model.ov_x), tuple(model.ordered),
                          tuple(model.groups), bool(model.meanstructure),
                          tuple(model.th_names),
                          tuple(model.options.get("ov_x_free", ()) or ()))
    return replace(core, options=MappingProxyType(opts))


@lru_cache(maxsize=64)
def _baseline_core(ov: tuple[str, ...], ov_x_names: tuple[str, ...],
                   ordered: tuple[str, ...], groups: tuple[str, ...], meanstructure: bool,
                   th_names: tuple[tuple[str, str], ...],
                   ov_x_free: tuple[str, ...] = ()) -> CompiledModel:
    """The independence model of these variables and groups (without options).

    Cached: a compiled model is immutable (its table is copied before anything is
    written into it), so one instance can serve every model with these variables.
    """
    rows = []
    ov_x, ordv = set(ov_x_names), set(ordered)
    n_groups = len(groups)
    xid = 0
    for g in range(1, n_groups + 1):
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
        # covariates with fixed.x = FALSE: their covariances are free in lavaan's
        # independence model
        xf = [v for v in ov if v in set(ov_x_free)]
        for i in range(len(xf)):
            for j in range(i + 1, len(xf)):
                rows.append(dict(lhs=xf[i], op="~~", rhs=xf[j], group=g, exo=0, ustart=np.nan,
                                 xid=xid))
                xid += 1
        if meanstructure:
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
        for lhs, rhs in th_names:
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
    return compile_table(pt, ov_names=list(ov), lv_names=[], eta_ov=list(ov_x_names),
                         ov_x=list(ov_x_names), ordered=list(ordered), groups=list(groups),
                         meanstructure=meanstructure, options={"baseline": True})
