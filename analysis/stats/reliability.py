"""Scale reliability: Cronbach's alpha, item statistics, omega, composite reliability, AVE.

Two families of functions live here.

* Functions of the **item data** (no model needed): :func:`cronbach_alpha` and
  :func:`item_statistics`, computed as ``psych::alpha()`` (psych 2.2.9) does.
* Functions of a fitted CFA's **parameter table** (columns ``lhs, op, rhs, est``
  and, where standardized values are needed, ``std_all``; lavaan's operators):
  :func:`omega` (``semTools::compRelSEM()``), :func:`ave` (``semTools::AVE()``)
  and :func:`composite_reliability` (Joreskog / Fornell-Larcker CR).  They accept
  the table of any engine, e.g. ``analysis.sem.cfa(...).params`` or lavaan's
  ``parameterEstimates(fit, standardized = TRUE)``.

:func:`reliability_report` fits the CFA with :func:`analysis.sem.cfa` and
collects everything per factor, together with HTMT and the Fornell-Larcker
table from :mod:`analysis.stats.validity`.

Nothing here rounds or formats; missing values are ``NaN``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError, ModelSpecificationError
from analysis.io import describe_non_numeric, not_numeric_error, value_problem

__all__ = [
    "ave",
    "composite_reliability",
    "cronbach_alpha",
    "implied_latent_covariance",
    "item_rest_correlations",
    "item_statistics",
    "loading_matrix",
    "measurement_blocks",
    "omega",
    "reliability_report",
    "sample_covariance",
]

Missing = Literal["pairwise", "listwise"]

# ---------------------------------------------------------------------------
# Model syntax: which items measure which factor
# ---------------------------------------------------------------------------

_TERM_MODIFIER = re.compile(r"^(?P<mod>.*)\*(?P<name>[^*]+)$")


def _strip_comment(line: str) -> str:
    for mark in ("#", "!"):
        pos = line.find(mark)
        if pos >= 0:
            line = line[:pos]
    return line


def _logical_lines(model: str) -> list[str]:
    """Split lavaan model syntax into statements (``;`` and newlines, ``+`` continuations)."""
    raw: list[str] = []
    for line in model.splitlines():
        for part in _strip_comment(line).split(";"):
            part = part.strip()
            if part:
                raw.append(part)
    out: list[str] = []
    for part in raw:
        if out and (out[-1].endswith("+") or part.startswith("+")):
            out[-1] = out[-1] + " " + part
        else:
            out.append(part)
    return out


def measurement_blocks(
    model: str | Mapping[str, Sequence[str]],
) -> dict[str, list[str]]:
    """Return the indicators of each factor from lavaan syntax or a mapping.

    Parameters
    ----------
    model : str or mapping
        lavaan model syntax (only the ``=~`` statements are read; a factor may
        appear in several statements) or a mapping ``{factor: [item, ...]}``.

    Returns
    -------
    dict
        ``{factor: [indicator, ...]}`` in order of appearance.  Indicators whose
        loading is fixed to zero (``0*x``) are left out.

    Raises
    ------
    ModelSpecificationError
        If there is no ``=~`` statement, a statement is malformed or an item is
        listed twice for one factor.
    """
    blocks: dict[str, list[str]] = {}
    if isinstance(model, Mapping):
        for factor, items in model.items():
            if isinstance(items, str):
                raise ModelSpecificationError(
                    f"The items of factor {factor!r} must be a list of column names, "
                    f"not the string {items!r}."
                )
            blocks[str(factor)] = [str(i) for i in items]
    elif isinstance(model, str):
        for stmt in _logical_lines(model):
            if "=~" not in stmt:
                continue
            lhs, _, rhs = stmt.partition("=~")
            factor = lhs.strip()
            if not re.fullmatch(r"[A-Za-z._][A-Za-z0-9._]*", factor):
                raise ModelSpecificationError(
                    f"Cannot read the factor name in the model statement {stmt!r}."
                )
            items = blocks.setdefault(factor, [])
            for term in rhs.split("+"):
                term = term.strip()
                if not term:
                    raise ModelSpecificationError(
                        f"Empty term in the model statement {stmt!r}."
                    )
                match = _TERM_MODIFIER.match(term)
                if match:
                    name = match.group("name").strip()
                    if match.group("mod").strip() in {"0", "0.0"}:
                        continue
                else:
                    name = term
                items.append(name)
    else:
        raise ModelSpecificationError(
            "model= must be lavaan model syntax (str) or a mapping {factor: [items]}."
        )
    if not blocks:
        raise ModelSpecificationError(
            "The model defines no factor: it needs at least one 'factor =~ item + item' statement."
        )
    for factor, items in blocks.items():
        dupes = sorted({i for i in items if items.count(i) > 1})
        if dupes:
            raise ModelSpecificationError(
                f"Factor {factor!r} lists the item(s) {', '.join(dupes)} more than once."
            )
    return blocks


# ---------------------------------------------------------------------------
# Item data checks
# ---------------------------------------------------------------------------


def _check_items(items: pd.DataFrame, *, what: str = "items") -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise DataError(f"{what}= must be a pandas DataFrame with one column per item.")
    if items.shape[1] < 2:
        raise DataError(
            f"{what}= has {items.shape[1]} column(s); reliability needs at least 2 items."
        )
    if items.columns.duplicated().any():
        dupes = sorted(set(items.columns[items.columns.duplicated()].astype(str)))
        raise DataError(f"{what}= has duplicated column(s): {', '.join(dupes)}.")
    problems: list[str] = []
    for col in items.columns:
        if not pd.api.types.is_numeric_dtype(items[col]) or pd.api.types.is_bool_dtype(
            items[col]
        ):
            problems.append(describe_non_numeric(col, items[col]))
        elif getattr(items[col].dtype, "kind", "") == "c":
            # astype(float) kept the real parts without a word
            problems.append(f"{col}: complex numbers (dtype {items[col].dtype})")
        else:
            # inf was "fewer than 2 joint observations ... use missing='listwise'", also
            # with missing='listwise'
            unusable = value_problem(items[col].dropna())
            if unusable is not None:
                problems.append(f"{col}: {unusable}")
    if problems:
        raise DataError("Items must be real, finite numbers: " + "; ".join(problems) + ".")
    x = items.astype(float)
    for col in x.columns:
        values = x[col].dropna()
        if values.empty:
            problems.append(f"{col}: all values missing")
        elif values.nunique() < 2:
            problems.append(f"{col}: constant (every answer is {values.iloc[0]:g})")
    if problems:
        raise DataError(
            "Items without variance cannot enter a reliability analysis; remove or fix them: "
            + "; ".join(problems)
            + "."
        )
    return x


def _reverse_keys(x: pd.DataFrame, reverse: Sequence[str] | None) -> np.ndarray:
    keys = np.ones(x.shape[1])
    if isinstance(reverse, str):
        reverse = [reverse]
    if reverse:
        unknown = [r for r in reverse if r not in x.columns]
        if unknown:
            raise DataError(
                f"reverse= names item(s) that are not columns of the data: {', '.join(unknown)}."
            )
        for r in reverse:
            keys[list(x.columns).index(r)] = -1.0
    return keys


def _item_covariance(x: pd.DataFrame, missing: Missing) -> tuple[np.ndarray, int]:
    """Covariance matrix (n - 1 divisor) and the number of rows psych counts."""
    if missing == "pairwise":
        cov = x.cov().to_numpy()  # pairwise complete observations, as R cov(use = "pairwise")
        n_rows = int(x.shape[0])
    elif missing == "listwise":
        complete = x.dropna()
        if complete.shape[0] < 3:
            raise DataError(
                f"Only {complete.shape[0]} rows have no missing item; alpha needs at least 3."
            )
        cov = complete.cov().to_numpy()
        n_rows = int(complete.shape[0])
    else:
        raise DataError(f"missing= must be 'pairwise' or 'listwise', not {missing!r}.")
    if not np.all(np.isfinite(cov)):
        raise DataError(
            "Some pairs of items have fewer than 2 joint observations; their covariance is "
            "undefined. Use missing='listwise' or check the data."
        )
    return cov, n_rows


def _alpha_from_cov(cov: np.ndarray) -> tuple[float, float, float]:
    """Raw alpha, standardized alpha and Duhachek's Q for one covariance matrix."""
    k = cov.shape[0]
    total = cov.sum()
    trace = np.trace(cov)
    raw = (1.0 - trace / total) * k / (k - 1)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    std = (1.0 - k / corr.sum()) * k / (k - 1)
    cc = cov @ cov
    q = (2.0 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(cc) + trace**2) - 2.0 * trace * cc.sum()
    )
    return float(raw), float(std), float(q)


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    level: float = 0.95,
    reverse: Sequence[str] | None = None,
    missing: Missing = "pairwise",
) -> pd.Series:
    """Cronbach's alpha (raw and standardized) with Feldt and Duhachek intervals.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, one row per respondent.  ``NaN`` = missing.
    level : float
        Confidence level of the intervals (default 0.95).
    reverse : sequence of str, optional
        Items to reverse-key (their covariances change sign, as with
        ``psych::alpha(keys = ...)``).  Usually items are recoded before.
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (psych's default ``use = "pairwise"``): covariances from
        all pairwise-complete rows and *all* rows counted as n for the
        intervals.  ``"listwise"``: only rows without any missing item.

    Returns
    -------
    Series
        ``n_items, n_obs, raw_alpha, std_alpha, ase, ci_level, ci_lower,
        ci_upper`` (Feldt interval, identical to ``psych::alpha()$feldt``) and
        ``duhachek_lower, duhachek_upper`` (raw alpha -/+ z * ase).

    Raises
    ------
    DataError
        Fewer than 2 items, non-numeric, constant or all-missing items.

    Notes
    -----
    raw alpha = k/(k-1) (1 - tr(C)/sum(C)); standardized alpha is the same on the
    correlation matrix.  Feldt (1965):
    ``1 - (1 - alpha) F_{1-p/2}(n-1, (n-1)(k-1))`` (lower) and with ``F_{p/2}``
    (upper).  Duhachek & Iacobucci (2004): ``ase = sqrt(Q / n)``; psych prints the
    bounds with z = 1.96, this function uses the exact normal quantile (the two
    differ by < 1e-6 for a 95 % interval).  psych drops items without variance
    with a warning; here they are an error, so the scale is never silently changed.

    References
    ----------
    Feldt, L. S. (1965). Psychometrika, 30, 357-370.
    Duhachek, A., & Iacobucci, D. (2004). Journal of Applied Psychology, 89, 792-808.

    Examples
    --------
    >>> cronbach_alpha(df[["x1", "x2", "x3"]])  # doctest: +SKIP
    # In R: psych::alpha(df[, c("x1", "x2", "x3")])
    """
    if not 0.0 < level < 1.0:
        raise DataError(f"level= must be between 0 and 1, not {level!r}.")
    x = _check_items(items)
    keys = _reverse_keys(x, reverse)
    cov, n_rows = _item_covariance(x, missing)
    cov = cov * np.outer(keys, keys)
    k = cov.shape[0]
    raw, std, q = _alpha_from_cov(cov)
    ase = float(np.sqrt(q / n_rows))
    p = 1.0 - level
    df1, df2 = n_rows - 1, (n_rows - 1) * (k - 1)
    lower = 1.0 - (1.0 - raw) * stats.f.ppf(1.0 - p / 2.0, df1, df2)
    upper = 1.0 - (1.0 - raw) * stats.f.ppf(p / 2.0, df1, df2)
    z = stats.norm.ppf(1.0 - p / 2.0)
    return pd.Series(
        {
            "n_items": k,
            "n_obs": n_rows,
            "raw_alpha": raw,
            "std_alpha": std,
            "ase": ase,
            "ci_level": level,
            "ci_lower": float(lower),
            "ci_upper": float(upper),
            "duhachek_lower": raw - z * ase,
            "duhachek_upper": raw + z * ase,
        },
        name="alpha",
        dtype=float,
    )


def item_rest_correlations(cov: np.ndarray) -> np.ndarray:
    """psych's ``r.drop`` from an item covariance matrix: each item's correlation with the
    sum of the other items; NaN for an item without variance, a rest without variance
    and a scale of one item.

    # In R: psych::alpha(items)$item.stats$r.drop
    """
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    out = np.full(k, np.nan)
    if k < 2:
        return out
    for i in range(k):
        rest = [j for j in range(k) if j != i]
        v_rest = float(cov[np.ix_(rest, rest)].sum())
        if v_rest > 0 and cov[i, i] > 0:
            out[i] = (cov[:, i].sum() - cov[i, i]) / np.sqrt(cov[i, i] * v_rest)
    return out


def item_statistics(
    items: pd.DataFrame,
    *,
    reverse: Sequence[str] | None = None,
    missing: Missing = "pairwise",
) -> pd.DataFrame:
    """Item statistics of one scale: item-rest correlation, alpha if dropped, mean, SD.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item (``NaN`` = missing).
    reverse : sequence of str, optional
        Items to reverse-key.  Their means are shown reversed as in psych:
        ``(min + max) - mean`` with min and max over all items' observed values.
    missing : {"pairwise", "listwise"}
        How the covariance matrix is computed (see :func:`cronbach_alpha`).

    Returns
    -------
    DataFrame
        Indexed by item: ``n`` (non-missing), ``pct_missing`` (0-100),
        ``mean``, ``sd``, ``r_drop`` (correlation of the item with the sum of the
        other items, psych's ``r.drop``), ``alpha_if_dropped`` and
        ``std_alpha_if_dropped`` (psych's ``alpha.drop``; ``NaN`` for a 2-item
        scale, where alpha of the remaining single item is undefined).

    Examples
    --------
    >>> item_statistics(df[["x1", "x2", "x3"]])  # doctest: +SKIP
    # In R: a <- psych::alpha(df[, c("x1", "x2", "x3")]); a$item.stats; a$alpha.drop
    """
    x = _check_items(items)
    keys = _reverse_keys(x, reverse)
    cov, _ = _item_covariance(x, missing)
    cov = cov * np.outer(keys, keys)
    k = cov.shape[0]
    shown = x.dropna() if missing == "listwise" else x
    if (keys < 0).any():
        adjust = float(np.nanmin(shown.to_numpy())) + float(np.nanmax(shown.to_numpy()))
        shown = shown.copy()
        for j in np.flatnonzero(keys < 0):
            shown.iloc[:, j] = adjust - shown.iloc[:, j]
    r_drop = item_rest_correlations(cov)
    a_drop = np.full(k, np.nan)
    s_drop = np.full(k, np.nan)
    for i in range(k):
        if k > 2:
            rest = [j for j in range(k) if j != i]
            a_drop[i], s_drop[i], _ = _alpha_from_cov(cov[np.ix_(rest, rest)])
    n_valid = shown.notna().sum()
    return pd.DataFrame(
        {
            "n": n_valid.astype(float).to_numpy(),
            "pct_missing": 100.0 * (1.0 - n_valid.to_numpy() / len(x)) if len(x) else np.nan,
            "mean": shown.mean().to_numpy(),
            "sd": shown.std(ddof=1).to_numpy(),
            "r_drop": r_drop,
            "alpha_if_dropped": a_drop,
            "std_alpha_if_dropped": s_drop,
        },
        index=pd.Index([str(c) for c in x.columns], name="item"),
    )


# ---------------------------------------------------------------------------
# Parameter-table helpers
# ---------------------------------------------------------------------------

_REQUIRED = ("lhs", "op", "rhs", "est")


def _check_params(params: pd.DataFrame, *, need_std: bool = False) -> pd.DataFrame:
    if not isinstance(params, pd.DataFrame):
        raise DataError("params= must be a parameter table (pandas DataFrame).")
    need = list(_REQUIRED) + (["std_all"] if need_std else [])
    absent = [c for c in need if c not in params.columns]
    if absent:
        raise DataError(
            f"params= lacks the column(s) {', '.join(absent)}; pass a parameter table "
            "with lavaan's columns (lhs, op, rhs, est, std_all)."
        )
    if "group" in params.columns:
        groups = pd.unique(params.loc[params["group"] != 0, "group"].dropna())  # 0: ':=' rows
        if len(groups) > 1:
            raise DataError(
                "params= holds several groups; pass the rows of one group "
                "(params[params['group'] == g])."
            )
    return params


def loading_matrix(params: pd.DataFrame, *, column: str = "est") -> pd.DataFrame:
    """Loadings (``=~`` rows) as an indicators-by-factors matrix (0 where absent).

    Only observed indicators are rows; loadings of factors on factors (higher
    order) are left out.
    """
    params = _check_params(params, need_std=column == "std_all")
    rows = params[params["op"] == "=~"]
    if rows.empty:
        raise ModelSpecificationError("The parameter table has no loadings ('=~' rows).")
    factors = list(dict.fromkeys(rows["lhs"].astype(str)))
    indicators = [i for i in dict.fromkeys(rows["rhs"].astype(str)) if i not in factors]
    lam = pd.DataFrame(0.0, index=indicators, columns=factors)
    for lhs, rhs, value in zip(rows["lhs"], rows["rhs"], rows[column], strict=True):
        if str(rhs) in indicators:
            lam.loc[str(rhs), str(lhs)] = float(value)
    return lam


def implied_latent_covariance(params: pd.DataFrame) -> pd.DataFrame:
    """Model-implied covariance matrix of the factors (lavaan's ``cov.lv``).

    ``(I - B)^-1 Psi (I - B)^-T`` with ``B`` from regressions among factors and
    higher-order loadings and ``Psi`` from the factor (residual) (co)variances.

    # In R: lavaan::lavInspect(fit, "cov.lv")
    """
    factors, beta, psi = _latent_matrices(params)
    inv = np.linalg.inv(np.eye(len(factors)) - beta)
    return pd.DataFrame(inv @ psi @ inv.T, index=factors, columns=factors)


def _latent_matrices(params: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Factor names, ``B`` (effect of column on row) and ``Psi`` from a parameter table."""
    params = _check_params(params)
    factors = list(dict.fromkeys(params.loc[params["op"] == "=~", "lhs"].astype(str)))
    if not factors:
        raise ModelSpecificationError("The parameter table has no loadings ('=~' rows).")
    pos = {f: i for i, f in enumerate(factors)}
    m = len(factors)
    beta = np.zeros((m, m))
    psi = np.zeros((m, m))
    for lhs, op, rhs, est in zip(
        params["lhs"].astype(str), params["op"], params["rhs"].astype(str), params["est"],
        strict=True,
    ):
        if op == "=~" and rhs in pos:  # higher-order factor lhs -> lower-order rhs
            beta[pos[rhs], pos[lhs]] = float(est)
        elif op == "~" and (lhs in pos or rhs in pos):
            if lhs not in pos or rhs not in pos:
                raise ModelSpecificationError(
                    f"The regression {lhs} ~ {rhs} links a factor and an observed variable; "
                    "reliability needs a measurement model (CFA) of the factors."
                )
            beta[pos[lhs], pos[rhs]] = float(est)
        elif op == "~~" and lhs in pos and rhs in pos:
            psi[pos[lhs], pos[rhs]] = psi[pos[rhs], pos[lhs]] = float(est)
    return factors, beta, psi


def _residual_covariance(params: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    theta = pd.DataFrame(0.0, index=list(indicators), columns=list(indicators))
    rows = params[params["op"] == "~~"]
    for lhs, rhs, est in zip(rows["lhs"].astype(str), rows["rhs"].astype(str), rows["est"],
                             strict=True):
        if lhs in theta.index and rhs in theta.index:
            theta.loc[lhs, rhs] = theta.loc[rhs, lhs] = float(est)
    return theta


def sample_covariance(data: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """Listwise sample covariance matrix with divisor N (lavaan's ``sampstat``).

    # In R: lavaan::lavInspect(fit, "sampstat")$cov
    """
    if not isinstance(data, pd.DataFrame):  # an array ended in "has no attribute 'columns'"
        raise DataError(f"data= must be a pandas DataFrame, not {type(data).__name__}.")
    refuse_multiindex(data)
    if isinstance(variables, str):
        variables = [variables]
    if isinstance(variables, Mapping) or not isinstance(variables, Iterable):
        raise DataError(f"variables= must be a list of column names (text), not "
                        f"{type(variables).__name__}.")
    variables = list(variables)
    if not all(isinstance(v, str) for v in variables):
        raise DataError("variables= must name columns by text.")
    repeated = sorted({str(c) for c in data.columns[data.columns.duplicated()]}
                      & set(variables))
    if repeated:  # data[['x1']] was then two columns, and the matrix the wrong shape
        raise DataError(f"The data have more than one column named {', '.join(repeated)}; "
                        "rename or drop all but one.")
    twice = sorted({str(v) for v in variables if list(variables).count(v) > 1})
    if twice:
        # ['x1', 'x1'] gave a 2 x 2 matrix of one variable, singular, with repeated labels
        raise DataError(f"A variable is named more than once: {', '.join(twice)}.")
    absent = [v for v in variables if v not in data.columns]
    if absent:
        raise DataError(f"The data lack the model's variable(s): {', '.join(absent)}.")
    x = data[list(variables)]
    try:
        x = x.astype(float).dropna()
    except (TypeError, ValueError) as exc:
        bad = next((v for v in variables
                    if not pd.api.types.is_numeric_dtype(data[v])
                    or pd.api.types.is_bool_dtype(data[v])), variables[0])
        raise not_numeric_error(bad, data[bad], advice="the model's variables must be "
                                "numbers; recode it or leave it out") from exc
    if x.shape[0] < 2:
        raise DataError("Fewer than 2 complete rows for the model's variables.")
    # np.cov of one column is a 0-d array, which DataFrame refused ("Must pass 2-d input")
    values = np.atleast_2d(np.cov(x.to_numpy(), rowvar=False, ddof=0))
    return pd.DataFrame(values, index=list(variables), columns=list(variables))


def _total_covariance(
    params: pd.DataFrame,
    lam: pd.DataFrame,
    data: pd.DataFrame | None,
    sample_cov: pd.DataFrame | None,
    obs_var: bool,
) -> pd.DataFrame:
    indicators = list(lam.index)
    if obs_var:
        if sample_cov is not None:
            absent = [v for v in indicators if v not in sample_cov.index]
            if absent:
                raise DataError(
                    f"sample_cov= lacks the indicator(s): {', '.join(absent)}."
                )
            return sample_cov.loc[indicators, indicators].astype(float)
        if data is not None:
            return sample_covariance(data, indicators)
        raise DataError(
            "obs_var=True (semTools' default) needs the observed variances: pass data= "
            "or sample_cov=, or set obs_var=False to use the model-implied ones."
        )
    phi = implied_latent_covariance(params)
    implied = lam.to_numpy() @ phi.loc[lam.columns, lam.columns].to_numpy() @ lam.to_numpy().T
    implied = implied + _residual_covariance(params, indicators).to_numpy()
    return pd.DataFrame(implied, index=indicators, columns=indicators)


# ---------------------------------------------------------------------------
# Model-based reliability
# ---------------------------------------------------------------------------


def omega(
    params: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | None = None,
    obs_var: bool = True,
    higher: Sequence[str] = (),
) -> pd.DataFrame:
    """McDonald's omega (model-based composite reliability) per factor.

    Parameters
    ----------
    params : DataFrame
        Parameter table of a fitted (single-group) CFA with ``lhs, op, rhs, est``.
    data : DataFrame, optional
        The data the model was fitted to; the observed covariance matrix of the
        indicators is computed listwise with divisor N.
    sample_cov : DataFrame, optional
        The observed covariance matrix instead of ``data``.
    obs_var : bool
        ``True`` (semTools' default): the denominator is the *observed* variance
        of the unit-weighted sum of a factor's indicators, so correlated
        residuals and misfit enter it.  ``False``: the *model-implied* variance
        (``Lambda Phi Lambda' + Theta``, residual covariances included).
    higher : sequence of str
        Higher-order factors for which to compute the hierarchical omega
        (semTools' ``higher=``): the share of the variance of the sum of all
        items below the factor that it explains through the lower-order factors.

    Returns
    -------
    DataFrame
        ``factor, omega, n_items``; higher-order factors only when listed in
        ``higher`` (their ``n_items`` counts the observed items below them).  A factor with a single indicator gets
        ``NaN`` (semTools drops it).  An indicator that loads on several factors
        counts in each of their composites, and only the factor's own loadings
        enter the numerator (as in semTools).

    Notes
    -----
    ``omega_f = (sum_i lambda_if)^2 phi_ff / sum(S[I_f, I_f])`` with unstandardized
    loadings, ``phi_ff`` the model-implied factor variance and ``S`` the
    observed (or implied) covariance matrix of the factor's indicators ``I_f``.

    Examples
    --------
    >>> omega(cfa(model, df).params, df)  # doctest: +SKIP
    # In R: semTools::compRelSEM(lavaan::cfa(model, df))
    """
    params = _check_params(params)
    lam = loading_matrix(params)
    phi = implied_latent_covariance(params)
    total = _total_covariance(params, lam, data, sample_cov, obs_var)
    rows = []
    for factor in lam.columns:
        idx = [i for i in lam.index if lam.loc[i, factor] != 0.0]
        if not idx:  # higher-order factor without observed indicators: see higher=
            continue
        if len(idx) < 2:
            rows.append({"factor": factor, "omega": np.nan, "n_items": float(len(idx))})
            continue
        common = lam.loc[idx, factor].sum() ** 2 * phi.loc[factor, factor]
        denom = total.loc[idx, idx].to_numpy().sum()
        rows.append({"factor": factor, "omega": float(common / denom), "n_items": float(len(idx))})
    if isinstance(higher, str):
        higher = [higher]
    if higher:
        factors, beta, _ = _latent_matrices(params)
        pos = {f: i for i, f in enumerate(factors)}
        for hf in higher:
            if hf not in pos:
                raise ModelSpecificationError(f"higher= names {hf!r}, which is not a factor.")
            lower = [f for f in factors if beta[pos[f], pos[hf]] != 0.0]
            if not lower:
                raise ModelSpecificationError(
                    f"higher= names {hf!r}, but no factor loads on it: it is not higher-order."
                )
            block = [hf, *lower]
            sub_lam = lam.reindex(columns=block, fill_value=0.0)
            idx = [i for i in lam.index if (sub_lam.loc[i] != 0.0).any()]
            lam_b = sub_lam.loc[idx].to_numpy()
            b = beta[np.ix_([pos[f] for f in block], [pos[f] for f in block])]
            phi_b = phi.loc[block, block].to_numpy()
            common = (lam_b @ b @ phi_b @ b.T @ lam_b.T).sum()
            denom = total.loc[idx, idx].to_numpy().sum()
            rows.append({"factor": hf, "omega": float(common / denom), "n_items": float(len(idx))})
    return pd.DataFrame(rows, columns=["factor", "omega", "n_items"])


def ave(
    params: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    sample_cov: pd.DataFrame | None = None,
    obs_var: bool = True,
) -> pd.DataFrame:
    """Average variance extracted per factor, as ``semTools::AVE()``.

    Parameters
    ----------
    params, data, sample_cov, obs_var
        As in :func:`omega`.

    Returns
    -------
    DataFrame
        ``factor, ave, n_items`` (factors with observed indicators only).
        ``NaN`` for a factor with one indicator or
        with an indicator that also loads on another factor (semTools returns
        ``NA`` then: the share of that item's variance is not attributable).

    Notes
    -----
    ``AVE_f = sum_i lambda_if^2 phi_ff / sum_i s_ii`` over the factor's
    indicators, with ``s_ii`` the observed (``obs_var=True``) or implied
    variances.  With implied variances and no cross-loadings this is the mean
    of squared standardized loadings only when all indicators have equal
    variance; semTools' definition is used throughout.

    Examples
    --------
    >>> ave(cfa(model, df).params, df)  # doctest: +SKIP
    # In R: semTools::AVE(lavaan::cfa(model, df))
    """
    params = _check_params(params)
    lam = loading_matrix(params)
    phi = implied_latent_covariance(params)
    total = _total_covariance(params, lam, data, sample_cov, obs_var)
    cross = (lam.round(5) != 0.0).sum(axis=1) > 1
    rows = []
    for factor in lam.columns:
        idx = [i for i in lam.index if lam.loc[i, factor] != 0.0]
        if not idx:  # higher-order factor without observed indicators
            continue
        if len(idx) < 2 or cross.loc[idx].any():
            rows.append({"factor": factor, "ave": np.nan, "n_items": float(len(idx))})
            continue
        common = (lam.loc[idx, factor] ** 2).sum() * phi.loc[factor, factor]
        denom = float(np.diag(total.loc[idx, idx].to_numpy()).sum())
        rows.append({"factor": factor, "ave": float(common / denom), "n_items": float(len(idx))})
    return pd.DataFrame(rows, columns=["factor", "ave", "n_items"])


def composite_reliability(params: pd.DataFrame) -> pd.DataFrame:
    """Composite reliability (Joreskog's rho / Fornell-Larcker CR) from standardized loadings.

    Parameters
    ----------
    params : DataFrame
        Parameter table with ``lhs, op, rhs, est, std_all``.

    Returns
    -------
    DataFrame
        ``factor, cr, n_items`` (factors with observed indicators only;
        ``NaN`` for single-indicator factors).

    Notes
    -----
    ``CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` with ``l`` the completely
    standardized loadings (``std_all``).  Residual covariances are ignored, as
    in Fornell & Larcker (1981); use :func:`omega` to take them into account.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Journal of Marketing Research, 18, 39-50.

    Examples
    --------
    >>> composite_reliability(cfa(model, df).params)  # doctest: +SKIP
    # In R: l <- lavInspect(fit, "std")$lambda[, "f"]; l <- l[l != 0]
    #       sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
    """
    lam = loading_matrix(params, column="std_all")
    rows = []
    for factor in lam.columns:
        load = lam.loc[lam[factor] != 0.0, factor].to_numpy()
        if load.size == 0:  # higher-order factor without observed indicators
            continue
        if load.size < 2:
            rows.append({"factor": factor, "cr": np.nan, "n_items": float(load.size)})
            continue
        num = load.sum() ** 2
        rows.append(
            {
                "factor": factor,
                "cr": float(num / (num + (1.0 - load**2).sum())),
                "n_items": float(load.size),
            }
        )
    return pd.DataFrame(rows, columns=["factor", "cr", "n_items"])


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------


def refuse_multiindex(data: pd.DataFrame) -> None:
    """Refuse column names of several levels, as :func:`analysis.io.numeric_columns`.

    ``data['x1']`` is then a frame of the columns under ``x1``: an internal
    AttributeError, or the wrong column without a word.
    """
    if isinstance(getattr(data, "columns", None), pd.MultiIndex):
        raise DataError(
            f"data= has column names of {data.columns.nlevels} levels (a MultiIndex); give "
            "one name per column (e.g. data.columns = ['_'.join(map(str, c)) for c in "
            "data.columns]).")


def _check_model_data(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError("data= must be a pandas DataFrame.")
    refuse_multiindex(data)
    problems: list[str] = []
    absent = sorted({i for items in blocks.values() for i in items if i not in data.columns})
    factors = set(blocks)
    absent = [a for a in absent if a not in factors]
    if absent:
        problems.append(f"column(s) missing from the data: {', '.join(absent)}")
    for factor, items in blocks.items():
        observed = [i for i in items if i not in factors]
        if len(observed) == len(items) and len(observed) < 2:
            problems.append(
                f"factor {factor!r} has {len(observed)} observed item(s); "
                "reliability needs at least 2"
            )
        elif len(items) < 2:
            problems.append(f"higher-order factor {factor!r} has only 1 indicator")
    for item in dict.fromkeys(i for items in blocks.values() for i in items):
        if item in factors or item not in data.columns:
            continue
        col = data[item]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            problems.append(describe_non_numeric(item, col, noun="item"))
            continue
        values = col.dropna()
        unusable = value_problem(values)
        if unusable is not None:  # 1e200 ended in an internal LinAlgError
            problems.append(f"item {item!r} has {unusable}")
        elif values.empty:
            problems.append(f"item {item!r} is missing for every respondent")
        elif values.nunique() < 2:
            problems.append(f"item {item!r} is constant ({values.iloc[0]:g})")
    if problems:
        raise DataError(
            "Cannot assess reliability for this model and data: " + "; ".join(problems) + "."
        )


def keying_conflicts(params: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Factors whose observed items load in both directions.

    Alpha, omega and composite reliability add the items (or their loadings) up: an item
    keyed the other way (a reverse-worded item not recoded, or one whose recoding is
    wrong) lowers them, down to values below zero, without any error.  Returns
    ``{factor: {item: std_all}}`` with the items of the smaller group of signs (the
    negative ones when the two groups are equal), for every factor whose standardized
    loadings on observed items have both signs; higher-order loadings (on factors) are
    not looked at.
    """
    pt = _check_params(params, need_std=True)
    factors = set(pt.loc[pt["op"] == "=~", "lhs"])
    load = pt[(pt["op"] == "=~") & ~pt["rhs"].isin(factors)]
    if "group" in load.columns:  # the first group's signs (a sign flip by group is rare)
        load = load[load["group"] == load["group"].min()]
    out: dict[str, dict[str, float]] = {}
    for factor, rows in load.groupby("lhs", sort=False):
        odd = odd_signs(rows.set_index("rhs")["std_all"])
        if odd:
            out[str(factor)] = odd
    return out


def odd_signs(loadings: pd.Series) -> dict[str, float]:
    """The loadings (item -> value) of the smaller group of signs when ``loadings`` has
    both signs (the negative ones on a tie); empty when all have one sign."""
    lam = loadings.astype(float)
    neg, pos = lam[lam < 0], lam[lam > 0]
    if not (len(neg) and len(pos)):
        return {}
    few = neg if len(neg) <= len(pos) else pos
    return {str(k): float(v) for k, v in few.items()}


def keying_message(factor: str, items: Mapping[str, float]) -> str:
    """One sentence on a factor of :func:`keying_conflicts`."""
    listed = ", ".join(f"{i} ({v:+.2f})" for i, v in items.items())
    return (f"Scale {factor!r} has items keyed in both directions: {listed} load(s) opposite "
            "to its other items (standardized loadings). A reverse-worded item that is not "
            "recoded, or is recoded wrongly, lowers alpha, omega and CR down to values below "
            "zero.")


def _recode_reversed(data: pd.DataFrame, reverse: Sequence[str],
                     items: Sequence[str]) -> pd.DataFrame:
    """``data`` with the items ``reverse`` recoded as min + max - x (their observed
    minimum and maximum, as psych's reverse.code)."""
    if isinstance(reverse, str):
        reverse = [reverse]
    reverse = list(dict.fromkeys(reverse))
    unknown = [r for r in reverse if r not in items]
    if unknown:
        raise DataError(f"reverse= names item(s) that are not indicators of the model: "
                        f"{', '.join(unknown)}.")
    out = data.copy()
    for r in reverse:
        col = out[r].astype(float)
        out[r] = col.min() + col.max() - col
    return out


def _items_below(factor: str, blocks: Mapping[str, Sequence[str]]) -> list[str]:
    """Observed items measuring ``factor`` directly or through lower-order factors."""
    out: list[str] = []
    seen: set[str] = set()
    stack = [factor]
    while stack:
        f = stack.pop(0)
        if f in seen:
            continue
        seen.add(f)
        for item in blocks[f]:
            if item in blocks:
                stack.append(item)
            elif item not in out:
                out.append(item)
    return out


def _matrix_to_dict(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    return {
        str(r): {str(c): float(frame.loc[r, c]) for c in frame.columns} for r in frame.index
    }


def reliability_report(
    data: pd.DataFrame,
    model: str | Mapping[str, Sequence[str]],
    *,
    estimator: str = "ML",
    level: float = 0.95,
    reverse: Sequence[str] = (),
) -> dict[str, Any]:
    """Fit the CFA and collect reliability and discriminant validity per factor.

    Parameters
    ----------
    data : DataFrame
        Item data, already reverse-coded where needed.
    model : str or mapping
        lavaan measurement-model syntax, or ``{factor: [items]}`` (turned into a
        CFA with correlated factors).  A higher-order factor (``g =~ f1 + f2 + f3``)
        gets alpha over all items below it and the hierarchical omega; it is left
        out of HTMT and Fornell-Larcker.
    estimator : str
        Passed to :func:`analysis.sem.cfa`.
    level : float
        Level of alpha's Feldt interval.
    reverse : sequence of str
        Reverse-worded items to recode first (min + max - x).  A scale whose items still
        load in both directions (:func:`keying_conflicts`) gets a warning naming them, and
        its alpha (with its interval), omega and CR are NaN: they are not meaningful then.

    Returns
    -------
    dict
        ``{"scales": {factor: {"alpha", "alpha_ci_lower", "alpha_ci_upper",
        "omega", "cr", "ave", "n_items"}}, "htmt": {f: {g: value}},
        "fornell_larcker": {f: {g: value}}, "n_obs": int, "converged": bool,
        "warnings": [str], "thresholds": [...]}``.  Alpha uses psych's defaults
        (pairwise covariances, Feldt interval); omega and AVE semTools' defaults
        (observed variances, listwise as the CFA); HTMT semTools' default
        (``htmt2``, listwise correlations).  Values are floats, ``NaN`` where
        undefined.

    Raises
    ------
    DataError
        Missing columns, a factor with fewer than 2 items, constant or
        all-missing or non-numeric items.
    EstimationError
        If the CFA does not converge (raised by the engine).

    Examples
    --------
    >>> reliability_report(df, "f1 =~ a1 + a2 + a3\\nf2 =~ b1 + b2 + b3")  # doctest: +SKIP
    # In R: psych::alpha(); semTools::compRelSEM(fit); semTools::AVE(fit); semTools::htmt()
    """
    from analysis.stats.validity import fornell_larcker, htmt, thresholds

    blocks = measurement_blocks(model)
    _check_model_data(data, blocks)
    if reverse:
        data = _recode_reversed(data, reverse, [i for v in blocks.values() for i in v
                                                if i not in blocks])
    syntax = (
        model
        if isinstance(model, str)
        else "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in blocks.items())
    )
    from analysis.sem import cfa

    result = cfa(syntax, data, estimator=estimator)
    params = result.params
    notes: list[str] = []
    if (params["op"] == "|").any():
        # semTools uses omegaCat() (Green & Yang 2009) for ordered indicators: not implemented.
        notes.append(
            "The model has ordered (categorical) indicators: omega, CR and AVE on the "
            "latent-response scale are not implemented and are reported as NaN."
        )
    higher = [f for f, items in blocks.items() if any(i in blocks for i in items)]
    first_order = {f: list(items) for f, items in blocks.items() if f not in higher}
    below = {f: _items_below(f, blocks) for f in blocks}
    indicators = list(dict.fromkeys(i for items in below.values() for i in items))
    scov = sample_covariance(data, indicators)
    ht = htmt(data, first_order)
    if notes:
        empty = pd.DataFrame({"factor": list(blocks)}).set_index("factor")
        om = empty.assign(omega=np.nan)
        av = empty.assign(ave=np.nan)
        cr = empty.assign(cr=np.nan)
        fl = pd.DataFrame(np.nan, index=list(first_order), columns=list(first_order))
    else:
        om = omega(params, sample_cov=scov, higher=higher).set_index("factor")
        av = ave(params, sample_cov=scov).set_index("factor")
        cr = composite_reliability(params).set_index("factor")
        fl = fornell_larcker(params, sample_cov=scov).loc[list(first_order), list(first_order)]
    if higher:
        notes.append(
            f"Higher-order factor(s) {', '.join(higher)}: alpha over all items below, omega "
            "is the hierarchical omega of semTools::compRelSEM(higher=); CR and AVE are NaN."
        )

    def value(frame: pd.DataFrame, factor: str, column: str) -> float:
        return float(frame.loc[factor, column]) if factor in frame.index else float("nan")

    mixed = keying_conflicts(params) if bool(getattr(result, "converged", True)) else {}
    for factor, items in mixed.items():
        notes.append(keying_message(factor, items) + " Its alpha, omega and CR are not "
                     "reported; recode the reverse-worded items (reverse=, 'reliability "
                     "--reverse ITEM,...') and run again.")
    nan = float("nan")
    scales: dict[str, dict[str, float]] = {}
    for factor in blocks:
        items = below[factor]
        # a higher-order factor sums the items below it: mixed keying below spoils it too
        spoilt = any(f in mixed for f in [factor, *blocks[factor]])
        a = cronbach_alpha(data[items], level=level)
        scales[factor] = {
            "alpha": nan if spoilt else float(a["raw_alpha"]),
            "alpha_ci_lower": nan if spoilt else float(a["ci_lower"]),
            "alpha_ci_upper": nan if spoilt else float(a["ci_upper"]),
            "omega": nan if spoilt else value(om, factor, "omega"),
            "cr": nan if spoilt else value(cr, factor, "cr"),
            "ave": value(av, factor, "ave"),
            "n_items": len(items),
        }
    fit = getattr(result, "fit", {}) or {}
    n_obs = fit.get("ntotal", fit.get("nobs"))
    if n_obs is None:
        n_obs = int(data[indicators].dropna().shape[0])
    return {
        "scales": scales,
        "htmt": _matrix_to_dict(ht),
        "fornell_larcker": _matrix_to_dict(fl),
        "n_obs": int(n_obs),
        "estimator": estimator,
        "converged": bool(getattr(result, "converged", True)),
        "warnings": [str(w) for w in (getattr(result, "warnings", None) or [])] + notes,
        "thresholds": thresholds().to_dict(orient="records"),
    }
