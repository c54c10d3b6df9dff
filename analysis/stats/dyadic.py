"""Dyadic statistics for distinguishable dyads (roles A and B).

- :func:`pair_dyads` and :func:`dyad_wide`: pair the two members' rows and reshape them;
- :func:`icc` (ICC(1), ICC(2) from a one-way ANOVA, as ``multilevel::ICC1/ICC2``),
  :func:`role_correlation` (Pearson r of the A and B partners) and
  :func:`rwg_j` (multi-item within-group agreement under the uniform null, as
  ``multilevel::rwg.j``);
- :func:`apim`: actor-partner interdependence models (Kenny, Kashy & Cook 2006) fitted
  with :func:`analysis.sem.sem` in the dyad-wide format;
- :func:`dependent_correlation_test`: Williams' t for two dependent correlations.

Nothing here rounds; undefined numbers are ``NaN`` in DataFrames and ``None`` in the
JSON-ready output, always with a warning that says why.

References
----------
Bliese, P. D. (2000). Within-group agreement, non-independence, and reliability.
In K. J. Klein & S. W. J. Kozlowski (Eds.), *Multilevel theory, research, and methods
in organizations* (pp. 349-381). Jossey-Bass.

James, L. R., Demaree, R. G., & Wolf, G. (1984). Estimating within-group interrater
reliability with and without response bias. *Journal of Applied Psychology*, 69, 85-98.

Kenny, D. A., Kashy, D. A., & Cook, W. L. (2006). *Dyadic data analysis*. Guilford.

Williams, E. J. (1959). The comparison of regression variables. *Journal of the Royal
Statistical Society B*, 21, 396-399.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError
from analysis.io import is_real_number, is_whole_number, value_problem

__all__ = [
    "MIN_DYADS",
    "RWG_CUTOFF",
    "apim",
    "apim_syntax",
    "dependent_correlation_test",
    "dyad_wide",
    "icc",
    "pair_dyads",
    "role_correlation",
    "rwg_j",
]

#: Fewest complete dyads for any dyadic statistic.
MIN_DYADS = 10
#: Conventional cut-off of r_wg(j) for "strong" agreement (LeBreton & Senter 2008).
RWG_CUTOFF = 0.70
ROLES = ("A", "B")


def _one_number_per_row(values: Any, what: str) -> np.ndarray:
    """``values`` as a float vector (missing values NaN), or a :class:`DataError` naming
    what is wrong with it.

    ``np.asarray(values, dtype=float)`` had read dates as nanoseconds since 1970 (an ICC
    from mean squares of 1e28), kept the real part of complex numbers, and ended in an
    internal ValueError or TypeError for a cell '3,5', ``pd.NA`` or a frame of two
    columns.
    """
    column = values if isinstance(values, pd.Series) else None
    if column is None:
        arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
        if arr.ndim != 1:
            raise DataError(f"{what} must be one value per row (a Series or a 1-D array); "
                            f"got {arr.ndim} dimension(s) of shape {arr.shape}.")
        column = pd.Series(arr)
    kind = getattr(column.dtype, "kind", "")
    if kind in "mM" or isinstance(column.dtype, pd.DatetimeTZDtype):
        raise DataError(f"{what} holds dates or times ({column.dtype}), not numbers; recode "
                        "them (e.g. as days or years).")
    if kind == "c" or (column.dtype == object
                       and column.dropna().map(lambda v: isinstance(v, complex)).any()):
        raise DataError(f"{what} holds complex numbers, not real numbers.")
    numbers = pd.to_numeric(column, errors="coerce")
    text = column.notna() & numbers.isna()
    if text.any():
        first = column[text].iloc[0]
        raise DataError(f"{what} holds {int(text.sum())} value(s) that are not numbers "
                        f"(the first: {str(first)[:40]!r}); recode or empty them.")
    out = numbers.to_numpy(dtype=float, na_value=np.nan)
    problem = value_problem(out)
    if problem is not None:
        raise DataError(f"{what} holds {problem}; fix or empty those values.")
    return out


def _group_ids(groups: Any, n_rows: int, what: str) -> np.ndarray:
    """``groups`` as a vector of ``n_rows`` ids, or a :class:`DataError` (a length that
    differs from the data's ended in pandas' "All arrays must be of the same length")."""
    ids = groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups)
    if ids.ndim != 1 or len(ids) != n_rows:
        raise DataError(f"groups= must give one group id per row of {what}: {what} has "
                        f"{n_rows} row(s), groups= has shape {ids.shape}.")
    return ids




# ---------------------------------------------------------------------------
# Pairing
# ---------------------------------------------------------------------------


def pair_dyads(
    data: pd.DataFrame, *, alliance: str = "alliance_id", role: str = "firm_role"
) -> pd.DataFrame:
    """Rows of complete dyads (one "A" and one "B" per alliance), sorted by alliance and role.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with ``alliance`` and ``role`` columns.
    alliance, role : str
        Column names.

    Returns
    -------
    DataFrame
        The rows of complete dyads, index reset, sorted by alliance then role.

    Raises
    ------
    DataError
        A column is missing, a role other than "A"/"B" occurs, or an alliance has two
        respondents with the same role.
    """
    _check_frame(data, "data=")
    missing = [c for c in (alliance, role) if c not in data.columns]
    if missing:
        raise DataError(f"Dyadic analysis needs the column(s) {', '.join(missing)}.")
    roles = data[role].astype("string")
    bad = sorted(set(roles.dropna().unique()) - set(ROLES))
    if bad:
        raise DataError(f"Column {role!r} must contain 'A' or 'B'; found {bad}.")
    keyed = data.assign(**{role: roles, alliance: data[alliance].astype("string")})
    keyed = keyed[keyed[alliance].notna() & keyed[role].notna()]
    dup = keyed.duplicated([alliance, role], keep=False)
    if dup.any():
        offenders = sorted(set(keyed.loc[dup, alliance]))
        raise DataError(
            f"{len(offenders)} alliance(s) have more than one respondent with the same "
            f"{role}, e.g. {offenders[0]}. Keep one informant per firm."
        )
    n_roles = keyed.groupby(alliance)[role].transform("nunique")
    out = keyed[n_roles == 2].sort_values([alliance, role])
    return out.reset_index(drop=True)


def _check_frame(data: object, what: str) -> None:
    """Refuse what is no DataFrame (an array or a path ended in "has no attribute
    'columns'")."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame of respondents, not "
                        f"{type(data).__name__}.")


def dyad_wide(
    pairs: pd.DataFrame,
    variables: Sequence[str],
    *,
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> pd.DataFrame:
    """Dyad-wide ("one row per dyad") layout: ``{var}_A``, ``{var}_B`` per variable.

    # In R: tidyr::pivot_wider(pairs, names_from = firm_role, values_from = vars)
    """
    _check_frame(pairs, "pairs=")
    if isinstance(variables, str):
        variables = [variables]
    missing = [c for c in (alliance, role) if c not in pairs.columns]
    if missing:  # pandas' pivot said "labels are not columns of the DataFrame"
        raise DataError(f"Dyadic analysis needs the column(s) {', '.join(missing)}.")
    absent = [v for v in variables if v not in pairs.columns]
    if absent:
        raise DataError(f"Column(s) missing from the dyad data: {', '.join(absent)}.")
    wide = pairs.pivot(index=alliance, columns=role, values=list(variables))
    wide.columns = [f"{v}_{r}" for v, r in wide.columns]
    cols = [f"{v}_{r}" for v in variables for r in ROLES]
    return wide[cols].astype(float)


# ---------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------


def icc(values: pd.Series | np.ndarray, groups: pd.Series | np.ndarray) -> dict[str, float]:
    """ICC(1) and ICC(2) from a one-way random-effects ANOVA.

    Parameters
    ----------
    values : array-like
        One value per respondent (e.g. a scale score); NaN rows are dropped.
    groups : array-like
        Group (dyad) id per respondent.

    Returns
    -------
    dict
        ``icc1, icc2, msb, msw, f, df_between, df_within, pvalue, n_groups, n_obs,
        mean_group_size``.

    Notes
    -----
    ``ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)`` with ``k = N / J`` (the mean group
    size, as ``multilevel::ICC1``); ``ICC(2) = (MSB - MSW) / MSB`` (the reliability of
    group means; Bliese 2000).  ICC(1) can be negative (more disagreement within dyads
    than between them).  Groups of one count in ``J`` and in ``MSB`` (as in
    ``multilevel``); for agreement within dyads pass only the dyads in which both
    members have a value.  Without any variance (``MSB = MSW = 0``) ``F``, its p and
    both ICCs are NaN.

    Examples
    --------
    >>> icc([1, 2, 5, 6, 3, 3], ["a", "a", "b", "b", "c", "c"])["icc2"]  # doctest: +SKIP
    # In R: m <- aov(y ~ as.factor(g)); multilevel::ICC1(m); multilevel::ICC2(m)
    """
    y = _one_number_per_row(values, "values=")
    frame = pd.DataFrame({"y": y, "g": _group_ids(groups, len(y), "values=")})
    frame = frame.dropna()
    n = len(frame)
    grp = frame.groupby("g")["y"]
    j = grp.ngroups
    if j < 2 or n <= j:
        raise DataError(f"ICC needs at least 2 groups with 2+ members; got {j} group(s), {n} rows.")
    means = grp.transform("mean")
    grand = frame["y"].mean()
    sizes = grp.size()
    ssb = float((sizes * (grp.mean() - grand) ** 2).sum())
    ssw = float(((frame["y"] - means) ** 2).sum())
    dfb, dfw = j - 1, n - j
    msb, msw = ssb / dfb, ssw / dfw
    k = n / j
    # no variance at all (every member of every group gave the same score): F and both
    # ICCs are 0/0; they are NaN, not a division error that ends the whole analysis
    denom = msb + (k - 1.0) * msw
    f = msb / msw if msw > 0 else (np.inf if msb > 0 else np.nan)
    if np.isinf(f):
        pvalue = 0.0
    elif np.isnan(f):
        pvalue = np.nan
    else:
        pvalue = float(stats.f.sf(f, dfb, dfw))
    return {
        "icc1": (msb - msw) / denom if denom > 0 else np.nan,
        "icc2": (msb - msw) / msb if msb > 0 else np.nan,
        "msb": msb,
        "msw": msw,
        "f": f,
        "df_between": float(dfb),
        "df_within": float(dfw),
        "pvalue": pvalue,
        "n_groups": float(j),
        "n_obs": float(n),
        "mean_group_size": k,
    }


def role_correlation(
    pairs: pd.DataFrame,
    column: str,
    *,
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> dict[str, float]:
    """Pearson correlation of the A and the B partner's values across dyads.

    The non-independence of distinguishable dyad members (Kenny, Kashy & Cook 2006,
    ch. 2): unlike the one-way ANOVA ICC (:func:`icc`), which treats the partners as
    exchangeable, it is not lowered by a difference between the roles' means.

    Parameters
    ----------
    pairs : DataFrame
        Rows of complete dyads (:func:`pair_dyads`).
    column : str
        The score; dyads in which a partner lacks it are dropped.
    alliance, role : str
        Column names.

    Returns
    -------
    dict
        ``r, pvalue`` (two-sided t test on ``n - 2`` df), ``n_dyads``, ``mean_A``,
        ``mean_B``; ``r`` and ``pvalue`` NaN with fewer than 3 dyads or a constant score.

    Examples
    --------
    >>> role_correlation(pairs, "trust")["r"]  # doctest: +SKIP
    # In R: cor.test(wide$trust_A, wide$trust_B)
    """
    wide = dyad_wide(pairs, [column], alliance=alliance, role=role).dropna()
    a, b = wide[f"{column}_A"].to_numpy(), wide[f"{column}_B"].to_numpy()
    n = len(wide)
    out = {"r": np.nan, "pvalue": np.nan, "n_dyads": float(n),
           "mean_A": float(a.mean()) if n else np.nan,
           "mean_B": float(b.mean()) if n else np.nan}
    if n >= 3 and np.ptp(a) > 0 and np.ptp(b) > 0:
        r = float(np.corrcoef(a, b)[0, 1])
        out["r"] = r
        if abs(r) < 1:
            t = r * math.sqrt((n - 2) / (1 - r**2))
            out["pvalue"] = float(2 * stats.t.sf(abs(t), n - 2))
        else:
            out["pvalue"] = 0.0
    return out


def rwg_j(
    items: pd.DataFrame, groups: pd.Series | np.ndarray, *, n_options: int = 7
) -> pd.DataFrame:
    """Multi-item within-group agreement r_wg(j) per group under the uniform null.

    Parameters
    ----------
    items : DataFrame
        The scale's items (one column each, reverse-keyed), one row per respondent.
    groups : array-like
        Group (dyad) id per row.
    n_options : int
        Number of response options A; the uniform null variance is
        ``sigma2_EU = (A^2 - 1) / 12`` (4 for A = 7).

    Returns
    -------
    DataFrame
        ``group, rwg_j, gsize``; ``rwg_j`` NaN for groups with one complete row.

    Notes
    -----
    Rows with any missing item are dropped (as ``multilevel::rwg.j``).  With ``s2``
    the mean of the item variances (n - 1 divisor) within the group, capped at
    ``sigma2_EU``, and ``J`` items:
    ``r_wg(j) = J (1 - s2/sigma2_EU) / (J (1 - s2/sigma2_EU) + s2/sigma2_EU)``
    (James, Demaree & Wolf 1984).

    Examples
    --------
    >>> rwg_j(df[items], df["alliance_id"])  # doctest: +SKIP
    # In R: multilevel::rwg.j(df[items], df$alliance_id, ranvar = (7^2 - 1) / 12)
    """
    if not is_whole_number(n_options) or n_options < 2:
        # NaN made every r_wg(j) NaN, 7.5 a null variance of no answer scale, '7' a TypeError
        raise DataError(f"n_options= must be a whole number of response options, at least "
                        f"2; got {n_options!r}.")
    ranvar = (int(n_options) ** 2 - 1) / 12.0
    if not isinstance(items, pd.DataFrame) or items.shape[1] == 0:
        raise DataError("items= must be a pandas DataFrame with one column per item (at "
                        "least one).")
    if items.columns.duplicated().any():
        twice = sorted({str(c) for c in items.columns[items.columns.duplicated()]})
        raise DataError(f"items= has more than one column named {', '.join(twice)}; rename "
                        "or drop all but one.")
    # a cell '3,5' had become a missing answer and its row left out without a word
    x = pd.DataFrame({c: _one_number_per_row(items.iloc[:, i], f"item {c!r}")
                      for i, c in enumerate(items.columns)}, index=items.index)
    frame = x.assign(_g=_group_ids(groups, len(x), "items=")).dropna()
    grouped = frame.groupby("_g", sort=True)
    sizes = grouped.size().astype(float)
    s2 = grouped.var(ddof=1).mean(axis=1).clip(upper=ranvar)
    n_items = x.shape[1]
    core = n_items * (1.0 - s2 / ranvar)
    value = (core / (core + s2 / ranvar)).where(sizes >= 2)
    rows = pd.DataFrame({"group": sizes.index, "rwg_j": value.reindex(sizes.index).to_numpy(),
                         "gsize": sizes.to_numpy()})
    return rows.reset_index(drop=True)


# ---------------------------------------------------------------------------
# APIM
# ---------------------------------------------------------------------------


def apim_syntax(x: str, y: str) -> str:
    """lavaan syntax of the distinguishable-dyad APIM in the dyad-wide format.

    Labels: ``a_A``, ``a_B`` (actor effects), ``p_AB`` (A's predictor on B's outcome),
    ``p_BA`` (B's predictor on A's outcome); defined ``k_A = p_BA / a_A`` and
    ``k_B = p_AB / a_B`` (Kenny & Ledermann's k) and the role differences.  A score named
    ``k`` has variables ``k_A`` and ``k_B``: the defined k's are then ``apim_k_A`` and
    ``apim_k_B`` (:func:`apim_k_names`).
    """
    k_a, k_b = apim_k_names(x, y)
    return "\n".join([
        f"{y}_A ~ a_A*{x}_A + p_BA*{x}_B",
        f"{y}_B ~ a_B*{x}_B + p_AB*{x}_A",
        f"{y}_A ~~ {y}_B",
        "actor_diff := a_A - a_B",
        "partner_diff := p_BA - p_AB",
        f"{k_a} := p_BA / a_A",
        f"{k_b} := p_AB / a_B",
    ])


def apim_k_names(x: str, y: str) -> tuple[str, str]:
    """The names of the defined k's in :func:`apim_syntax`: ``k_A``, ``k_B``, unless a
    variable of the model has them (a score named ``k``)."""
    return ("apim_k_A", "apim_k_B") if "k" in (x, y) else ("k_A", "k_B")


def apim(
    pairs: pd.DataFrame,
    y: str,
    x: str,
    *,
    estimator: str = "ML",
    alliance: str = "alliance_id",
    role: str = "firm_role",
) -> dict[str, Any]:
    """Actor-partner interdependence model for distinguishable dyads (roles A, B).

    Parameters
    ----------
    pairs : DataFrame
        Rows of complete dyads (:func:`pair_dyads`) with the scores ``x`` and ``y``.
    y, x : str
        Outcome and predictor columns.
    estimator : str
        Passed to :func:`analysis.sem.sem` (``"ML"`` or ``"MLR"``).

    Returns
    -------
    dict
        ``syntax, n_dyads, converged, params`` (DataFrame of the regression, residual
        covariance and defined rows: ``lhs, op, rhs, label, est, se, z, pvalue,
        ci_lower, ci_upper, std_all``), ``effects`` (``{label: {...}}``), ``r2``
        (per outcome) and ``warnings``.

    Notes
    -----
    Dyads with a missing score are dropped listwise.  The predictors are exogenous
    (their variances and covariance are fixed at the sample values, lavaan's
    ``fixed.x = TRUE``); the two outcomes' residuals covary.

    Examples
    --------
    >>> apim(pairs, "value_creation", "relationship_learning")  # doctest: +SKIP
    # In R: lavaan::sem(apim_syntax, data = wide)
    """
    from analysis.sem import sem

    wide = dyad_wide(pairs, [x, y], alliance=alliance, role=role).dropna()
    n = len(wide)
    if n < MIN_DYADS:
        raise DataError(f"The APIM of {y} on {x} needs at least {MIN_DYADS} complete dyads; "
                        f"got {n}.")
    syntax = apim_syntax(x, y)
    res = sem(syntax, wide.reset_index(drop=True), estimator=estimator)
    keep = res.params["op"].isin(["~", "~~", ":="])
    cols = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper",
            "std_all"]
    params = res.params.loc[keep, [c for c in cols if c in res.params.columns]]
    params = params.reset_index(drop=True)
    effects = {}
    named = dict(zip(("k_A", "k_B"), apim_k_names(x, y), strict=True))
    for lab in ("a_A", "a_B", "p_AB", "p_BA", "actor_diff", "partner_diff", "k_A", "k_B"):
        row = params[params["label"] == named.get(lab, lab)]
        if len(row):
            r = row.iloc[0]
            effects[lab] = {k: float(r[k]) for k in cols[4:] if k in r.index}
    return {
        "syntax": syntax,
        "n_dyads": n,
        "converged": bool(res.converged),
        "params": params,
        "effects": effects,
        "r2": {str(k): float(v) for k, v in dict(res.r2).items()},
        "warnings": list(res.warnings),
    }


# ---------------------------------------------------------------------------
# H10: two informants vs one
# ---------------------------------------------------------------------------


def dependent_correlation_test(r_yx1: float, r_yx2: float, r_x1x2: float, n: int) -> dict:
    """Williams' t for two dependent correlations sharing a variable (r_yx1 vs r_yx2).

    Returns
    -------
    dict
        ``t, df, pvalue`` (two-sided); NaN when ``n < 4`` or when the test is undefined
        (the two predictors perfectly correlated, ``r_x1x2 = 1``, or a correlation
        matrix that is not positive semi-definite).

    Notes
    -----
    ``t = (r12 - r13) sqrt((n - 1)(1 + r23) / (2 (n - 1)/(n - 3) |R| + rbar^2 (1 - r23)^3))``
    with ``|R| = 1 - r12^2 - r13^2 - r23^2 + 2 r12 r13 r23`` and
    ``rbar = (r12 + r13) / 2``, on ``n - 3`` df (Williams 1959; Steiger 1980, eq. 7).

    Examples
    --------
    >>> dependent_correlation_test(0.5, 0.3, 0.4, 100)["t"]  # doctest: +SKIP
    # In R: psych::r.test(n = 100, r12 = 0.5, r13 = 0.3, r23 = 0.4)$t
    """
    rs = []
    for name, r in (("r_yx1", r_yx1), ("r_yx2", r_yx2), ("r_x1x2", r_x1x2)):
        if not is_real_number(r):
            raise DataError(f"{name}= must be a correlation (a number), not {r!r}.")
        if abs(r) > 1:  # NaN passes: an undefined correlation gives an undefined test
            raise DataError(f"{name}= must lie between -1 and 1, not {r!r}.")
        rs.append(float(r))
    if not is_whole_number(n):
        raise DataError(f"n= must be a whole number of cases, not {n!r}.")
    if n < 4:
        return {"t": np.nan, "df": np.nan, "pvalue": np.nan}
    r12, r13, r23 = rs
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    rbar = (r12 + r13) / 2
    denom = 2 * (n - 1) / (n - 3) * det + rbar**2 * (1 - r23) ** 3
    df = int(n) - 3
    if det < -1e-12:
        # no three variables have these correlations (r_yx1 = 0.99, r_yx2 = 0.5,
        # r_x1x2 = 0: |R| = -0.23), yet the denominator stayed positive and a t was given
        return {"t": np.nan, "df": float(df), "pvalue": np.nan}
    if not denom > 0:
        # identical predictors (r23 = 1: |R| = 0 and (1 - r23)^3 = 0) ended in a division
        # by zero, an impossible matrix in a math domain error; neither is a test
        return {"t": np.nan, "df": float(df), "pvalue": np.nan}
    t = (r12 - r13) * math.sqrt((n - 1) * (1 + r23) / denom)
    return {"t": t, "df": float(df), "pvalue": float(2 * stats.t.sf(abs(t), df))}


def simple_ols(y: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """Simple regression of y on x: slope, SE, p, standardized beta, R^2.

    Raises
    ------
    DataError
        If ``y`` and ``x`` are not two columns of numbers of the same length (text ended
        in a numpy TypeError, columns of two lengths in a ValueError).
    """
    arrays = []
    for name, values in (("y", y), ("x", x)):
        arr = np.asarray(values) if not isinstance(values, str | bytes) else np.asarray([values])
        if arr.ndim == 1 and arr.dtype.kind == "O":  # nullable numbers: pd.NA is missing
            converted = pd.to_numeric(pd.Series(arr), errors="coerce")
            if not (converted.isna() & pd.Series(arr).notna()).any():
                arr = converted.to_numpy(dtype=float, na_value=np.nan)
        if arr.ndim != 1 or isinstance(values, str | bytes) or arr.dtype.kind not in "biuf":
            raise DataError(f"simple_ols(): {name}= must be one column of numbers, not "
                            f"{type(values).__name__} ({arr.dtype}, {arr.ndim} dimension(s)).")
        arrays.append(arr.astype(float))
    y, x = arrays
    if len(y) != len(x):
        raise DataError(f"simple_ols(): y= has {len(y)} values and x= {len(x)}; give one pair "
                        "per case.")
    n = len(y)
    r = float(np.corrcoef(x, y)[0, 1])
    slope = r * float(np.std(y, ddof=1) / np.std(x, ddof=1))
    se_r = math.sqrt((1 - r**2) / (n - 2)) if n > 2 else np.nan
    t = r / se_r if se_r and se_r > 0 else np.nan
    return {
        "n": float(n),
        "b": slope,
        "se": slope / t if t and np.isfinite(t) and t != 0 else np.nan,
        "beta": r,
        "r2": r**2,
        "t": t,
        "pvalue": float(2 * stats.t.sf(abs(t), n - 2)) if np.isfinite(t) else np.nan,
    }
