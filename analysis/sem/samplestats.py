"""Sample statistics of each group, as the backends receive them (lavaan's
``lavSampleStats``): raw data in the model's variable order, means and covariances with
divisor ``n``, after listwise or all-missing case deletion.

# In R: lavInspect(fit, "sampstat")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.io import MAX_ABS_VALUE, non_number_kind, not_numeric_error, value_problem

from .model import CompiledModel, SampleStats
from .partable import check_variables


def _group_label(v: object) -> object:
    if pd.isna(v):
        return np.nan
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


#: pandas' inferred kinds of a column whose equal values (as Python compares them) get
#: the same label; ``1`` and ``1.0`` both label "1"
_ONE_KIND = frozenset({"string", "integer", "floating", "mixed-integer-float", "boolean",
                       "empty"})


def group_label_column(col: pd.Series) -> pd.Series:
    """Group labels as strings, as R's ``as.character`` (2.0 -> "2"); NaN stays NaN.

    Each distinct value is turned into its label once (a column of 100,000 cases has a
    handful of groups, and every fit reads its group labels more than once); values are
    told apart by their type too, so that ``True`` and ``1`` keep their own labels.
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.map(_group_label)  # maps the categories only
    if pd.api.types.infer_dtype(col, skipna=True) in _ONE_KIND:
        # values of one kind (no True beside 1): the distinct values by hashing, in C
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        labels = np.array([_group_label(u) for u in uniques] + [np.nan], dtype=object)
        return pd.Series(labels[codes], index=col.index, name=col.name, dtype=object)
    memo: dict[tuple[type, object], object] = {}
    out = []
    for v in col.to_numpy(dtype=object):
        key = (type(v), v)
        try:
            label = memo[key]
        except KeyError:
            label = memo[key] = _group_label(v)
        except TypeError:  # an unhashable value
            label = _group_label(v)
        out.append(label)
    return pd.Series(out, index=col.index, name=col.name, dtype=object)


def check_cluster_column(data: pd.DataFrame, cluster: str, ov_names: list[str]) -> None:
    """Refuse a ``cluster=`` column that is absent, a model variable, or has missing ids.

    lavaan keeps cases whose cluster id is missing and puts them all into one cluster
    of their own (with a warning); unrelated cases would then count as one cluster, so
    the engine asks for an id instead.
    """
    if cluster not in data.columns:
        raise DataError(f"cluster= {cluster!r} is not a column of the data.")
    if cluster in ov_names:
        raise DataError(f"cluster= {cluster!r} is a variable of the model; give the column "
                        "that identifies the clusters (e.g. the alliance id).")
    n_na = int(data[cluster].isna().sum())
    if n_na:
        raise DataError(
            f"cluster= {cluster!r} is missing for {n_na} "
            f"{'case' if n_na == 1 else 'cases'}; give each such case an id (its own "
            "cluster if it belongs to no other) or drop it.")


def _numeric_column(col: pd.Series, name: str, ordered: bool) -> np.ndarray:
    if isinstance(col, pd.DataFrame):  # data[name] of a name that heads several columns
        raise DataError(f"The data have {col.shape[1]} columns named {name!r}; rename or "
                        "drop all but one.")
    kind = getattr(col.dtype, "kind", "")
    if kind in "mM" or isinstance(col.dtype, pd.DatetimeTZDtype | pd.PeriodDtype):
        raise DataError(f"Column {name!r} holds dates or times ({col.dtype}), not answers "
                        "or measurements; drop it from the model or recode it as numbers.")
    other = non_number_kind(col)
    if other is not None:
        # complex numbers were fitted on their real part without a word
        raise DataError(f"Column {name!r} holds {other}, not real numbers; recode it or drop "
                        "it from the model.")
    if isinstance(col.dtype, pd.CategoricalDtype):
        if not ordered:
            # a continuous variable: the categories' own values (their codes 0, 1, ...
            # had been used, whatever the values); text categories have no such value
            cats = col.cat.categories
            if not pd.api.types.is_numeric_dtype(cats.dtype):
                raise DataError(
                    f"Column {name!r} is categorical with text categories "
                    f"({', '.join(repr(str(c)[:20]) for c in cats[:3])}"
                    f"{', ...' if len(cats) > 3 else ''}); declare it in ordered= (its "
                    "categories in their order) or recode it as numbers.")
            values = col.astype(object).astype(float).to_numpy(dtype=float)
            _check_values(values, name)
            return values
        codes = col.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return codes + 1.0
    if ordered and not pd.api.types.is_numeric_dtype(col):
        cats = list(col.dropna().unique())
        as_num = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce")
        if as_num.notna().all():
            # numbers read as text: ordered by value ("10" after "9", not after "1")
            order = np.argsort(as_num.to_numpy(dtype=float), kind="stable")
            cats = [cats[i] for i in order]
        elif as_num.notna().any():
            text = [str(c) for c, v in zip(cats, as_num, strict=True) if pd.isna(v)]
            n_rows = int(col.isin([c for c, v in zip(cats, as_num, strict=True)
                                   if pd.isna(v)]).sum())
            shown = ", ".join(repr(t[:20]) for t in text[:3])
            raise DataError(
                f"Ordered column {name!r} mixes numbers with text ({shown}; {n_rows} "
                f"row{'s' if n_rows != 1 else ''}): as categories they would be ordered as "
                "text, the text among them. Mark missing answers as empty cells (an 'NA' "
                "written by R counts as text here) or recode them.")
        else:
            cats = sorted(cats)  # text categories: alphabetical, as lavaan's factor()
        mapping = {c: i + 1.0 for i, c in enumerate(cats)}
        return col.map(mapping).to_numpy(dtype=float)
    try:
        values = pd.to_numeric(col).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise not_numeric_error(name, col,
                                advice="recode it or declare it in ordered=") from exc
    _check_values(values, name)
    return values


def _check_values(values: np.ndarray, name: str) -> None:
    """Refuse an infinite or huge cell: an infinite one would count as missing
    (np.isfinite) and a huge one overflows the moments (an internal LinAlgError)."""
    with np.errstate(invalid="ignore"):
        if (np.abs(values) > MAX_ABS_VALUE).any():  # inf included; NaN (missing) is not
            problem = value_problem(values)
            raise DataError(f"Column {name!r} holds {problem}; correct or remove those cells.")


def sample_stats(model: CompiledModel, data: pd.DataFrame, missing: str = "listwise",
                 ) -> tuple[list[SampleStats], list[str]]:
    """Per-group sample statistics in ``model.ov_names`` order (divisor n).

    Returns the statistics and warnings (e.g. cases deleted listwise).
    """
    group = model.options.get("group")
    cluster = model.options.get("cluster")
    check_variables(model.ov_names, list(data.columns))
    if cluster is not None:
        check_cluster_column(data, cluster, model.ov_names)
    warnings: list[str] = []
    out = []
    labels = None if group is None else group_label_column(data[group]).to_numpy()
    cluster_ids = None if cluster is None else group_label_column(data[cluster]).to_numpy()
    # columns of a plain numeric dtype are converted once and sliced per group (a cell's
    # value does not depend on the rows beside it); the others (categories, text of
    # ordered items) are coded within each group's rows, as lavaan does
    plain = {}
    for v in model.ov_names:
        col = data[v]
        if isinstance(getattr(col, "dtype", None), np.dtype) and col.dtype.kind in "biuf":
            plain[v] = col.to_numpy(dtype=float)
    for lab in model.groups:
        rows = None if labels is None else labels == lab
        n_rows = len(data) if rows is None else int(rows.sum())
        cols = []
        for v in model.ov_names:
            if v in plain:
                values = plain[v] if rows is None else plain[v][rows]
                _check_values(values, v)
            else:
                values = _numeric_column(data[v] if rows is None else data[v][rows], v,
                                         v in model.ordered)
            cols.append(values)
        X = np.column_stack(cols) if cols else np.zeros((n_rows, 0))
        where = f" in group {lab!r}" if lab else ""
        finite = np.isfinite(X)  # observed cells, read by every check below
        any_row = finite.any(axis=1)
        empty = [v for v, seen in zip(model.ov_names, finite.any(axis=0), strict=True)
                 if not seen]
        if empty and n_rows:
            raise DataError(f"The model's variable(s) {', '.join(map(repr, empty))} have no "
                            f"observed value{where}; drop them from the model or check the "
                            "data file.")
        if missing == "listwise":
            keep = finite.all(axis=1)
        else:
            keep = any_row.copy()
            if model.ov_x:
                # As lavaan under missing = "ml" with fixed.x = TRUE: cases missing on an
                # exogenous covariate are deleted (the covariates are not modelled).
                xi = [model.ov_names.index(v) for v in model.ov_x]
                x_ok = finite[:, xi].all(axis=1)
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
        n_empty = int((~any_row).sum())
        if missing != "listwise" and n_empty:
            warnings.append(f"{n_empty} cases{where} with all values missing were deleted.")
        X = X[keep]
        n = X.shape[0]
        if n < 2:
            # ("Group '' has 1 usable cases" for a model without groups)
            raise DataError(f"Group {lab!r} has {n} usable {'case' if n == 1 else 'cases'}; "
                            "at least 2 are needed." if lab else
                            f"The data have {n} usable {'case' if n == 1 else 'cases'} (rows "
                            "with the model's variables observed); at least 2 are needed.")
        ids = None
        if cluster is not None:
            ids = (cluster_ids if rows is None else cluster_ids[rows])[keep]
            n_cl = len(np.unique(ids))
            if n_cl < 2:
                raise DataError(
                    f"cluster= {cluster!r} has {n_cl} cluster{where} among the usable "
                    "cases; cluster-robust standard errors need at least 2 (and are "
                    "themselves imprecise with few clusters).")
        if np.isnan(X).any():
            mean = np.nanmean(X, axis=0)
            cov = pairwise_covariance(X, mean)
        else:
            mean = X.mean(axis=0)
            dev = X - mean
            cov = dev.T @ dev / n
        out.append(SampleStats(n=n, mean=mean, cov=cov, data=X, cluster=ids))
    return out, warnings


def pairwise_covariance(x: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Covariances of the pairwise-complete rows of ``x`` (NaN missing), divisor the
    pair's row count: pandas' ``DataFrame.cov(min_periods=2)`` times ``(n_ij - 1) / n_ij``
    (NaN where fewer than two rows have both values).

    Three matrix products on the data centred at ``mean`` (the available-case means, for
    accuracy) instead of pandas' loop over pairs: with ``O`` the 0/1 matrix of observed
    cells and ``X0`` the centred data with 0 for the gaps, ``n = O'O``, the sums of
    ``x_i`` over the rows where ``j`` is observed too ``(X0'O)_ij``, and ``X0'X0``.
    """
    obs = np.isfinite(x)
    if mean is None:
        mean = np.nanmean(x, axis=0)
    x0 = np.where(obs, x - mean, 0.0)
    o = obs.astype(float)
    n = o.T @ o
    sx = x0.T @ o
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (x0.T @ x0 - sx * sx.T / n) / n
    cov[n < 2] = np.nan
    return cov
