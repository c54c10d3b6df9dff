"""Common-method-variance (CMV) checks: Harman's screen, the marker variable, ULMC.

* :func:`harman_single_factor`: share of the total variance of the items taken
  by the first unrotated principal component (a *screen* only: a single
  dominant factor signals a problem, its absence proves nothing).
* :func:`one_factor_comparison`: the CFA version of Harman's test: the
  hypothesised measurement model against a model in which one factor explains
  all items (chi-square difference test and fit indices).
* :func:`marker_adjust` / :func:`marker_adjusted_correlations`: Lindell &
  Whitney's (2001) correction of correlations for the correlation ``r_M`` with
  a theoretically unrelated marker variable.
* :func:`ulmc`: the unmeasured latent method construct: a method factor
  loading on every item, orthogonal to the traits; fit and loadings compared
  with the trait-only model.

The two model-based checks fit models with :func:`analysis.sem.cfa`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import DataError, ModelSpecificationError
from analysis.stats.reliability import measurement_blocks

__all__ = [
    "MethodFactorResult",
    "harman_single_factor",
    "marker_adjust",
    "marker_adjusted_correlations",
    "one_factor_comparison",
    "ulmc",
    "ulmc_syntax",
]


def _numeric_frame(data: pd.DataFrame, columns: Sequence[str], *, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataError("data= must be a pandas DataFrame.")
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise DataError(f"{what}: column(s) not in the data: {', '.join(absent)}.")
    x = data[list(columns)]
    bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    if bad:
        raise DataError(f"{what}: column(s) must be numeric: {', '.join(bad)}.")
    x = x.astype(float).dropna()
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise DataError(
            f"{what}: column(s) without variance among complete rows: {', '.join(constant)}."
        )
    if x.shape[0] < 4:
        raise DataError(f"{what}: only {x.shape[0]} complete rows; at least 4 are needed.")
    return x


# ---------------------------------------------------------------------------
# Harman
# ---------------------------------------------------------------------------


def harman_single_factor(data: pd.DataFrame, items: Sequence[str] | None = None) -> pd.Series:
    """Harman's single-factor test as a screen (first unrotated principal component).

    Parameters
    ----------
    data : DataFrame
        Item data; rows with any missing item are dropped (listwise).
    items : sequence of str, optional
        The items to use (default: all columns).

    Returns
    -------
    Series
        ``n_obs, n_items, first_eigenvalue, prop_var`` (share of the total
        standardized variance, ``first_eigenvalue / n_items``).  Compare
        ``prop_var`` with the ``"harman_prop_var"`` entry of
        :func:`analysis.stats.validity.thresholds` (conventionally 0.50).

    Notes
    -----
    Harman's test is insensitive (Podsakoff et al., 2003): use it only as a
    screen next to :func:`marker_adjusted_correlations` or :func:`ulmc`.

    Examples
    --------
    >>> harman_single_factor(df)  # doctest: +SKIP
    # In R: psych::principal(na.omit(df), nfactors = 1, rotate = "none")$Vaccounted
    """
    cols = list(items) if items is not None else list(data.columns)
    if len(cols) < 2:
        raise DataError("Harman's test needs at least 2 items.")
    x = _numeric_frame(data, cols, what="Harman's single-factor test")
    r = np.corrcoef(x.to_numpy(), rowvar=False)
    first = float(np.linalg.eigvalsh(r)[-1])
    return pd.Series(
        {
            "n_obs": float(x.shape[0]),
            "n_items": float(len(cols)),
            "first_eigenvalue": first,
            "prop_var": first / len(cols),
        },
        name="harman",
    )


# ---------------------------------------------------------------------------
# Lindell & Whitney marker variable
# ---------------------------------------------------------------------------


def marker_adjust(r: Any, r_m: float, n: int) -> pd.DataFrame:
    """Lindell & Whitney's (2001) CMV-adjusted correlation and its t test.

    Parameters
    ----------
    r : float or array-like
        Observed correlation(s) between substantive variables.
    r_m : float
        The estimate of common method variance: a correlation of the marker
        variable with the substantive variables (usually the smallest one).
    n : int
        Sample size.

    Returns
    -------
    DataFrame
        ``r, r_m, r_adj, t, df, pvalue`` (two-sided), one row per ``r``.

    Notes
    -----
    ``r_adj = (r - r_M) / (1 - r_M)`` (L&W eq. 4) and
    ``t = r_adj / sqrt((1 - r_adj^2) / (n - 3))`` with ``n - 3`` degrees of
    freedom (eq. 5).

    References
    ----------
    Lindell, M. K., & Whitney, D. J. (2001). Accounting for common method variance in
    cross-sectional research designs. Journal of Applied Psychology, 86, 114-121.

    Examples
    --------
    >>> marker_adjust(0.40, 0.10, 103)["r_adj"].item()  # (0.4 - 0.1) / 0.9
    0.33333333333333337
    """
    if not np.isfinite(r_m) or not -1.0 < r_m < 1.0:
        raise DataError(f"r_m= must be a correlation strictly between -1 and 1, not {r_m!r}.")
    if int(n) != n or n <= 3:
        raise DataError(f"n= must be an integer sample size larger than 3, not {n!r}.")
    r_arr = np.atleast_1d(np.asarray(r, dtype=float))
    if np.any(np.abs(r_arr[~np.isnan(r_arr)]) > 1.0):
        raise DataError("r= must hold correlations between -1 and 1.")
    r_adj = (r_arr - r_m) / (1.0 - r_m)
    df = float(n - 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r_adj / np.sqrt((1.0 - r_adj**2) / df)
    p = 2.0 * stats.t.sf(np.abs(t), df)
    return pd.DataFrame(
        {"r": r_arr, "r_m": float(r_m), "r_adj": r_adj, "t": t, "df": df, "pvalue": p}
    )


def marker_adjusted_correlations(
    data: pd.DataFrame,
    marker: str,
    variables: Sequence[str] | None = None,
    *,
    r_m: float | Literal["smallest", "second_smallest"] = "smallest",
) -> pd.DataFrame:
    """Correlations among substantive variables adjusted for a marker variable.

    Parameters
    ----------
    data : DataFrame
        Variables (typically scale scores) and the marker; rows with any
        missing value among them are dropped (listwise).
    marker : str
        Column of the marker variable (theoretically unrelated to the others).
    variables : sequence of str, optional
        Substantive variables (default: all other numeric columns).
    r_m : float or {"smallest", "second_smallest"}
        The CMV estimate: the smallest (L&W's recommendation) or second
        smallest correlation of the marker with the substantive variables, or
        a value chosen by the analyst.  A negative ``r_m`` means the data show
        no method variance; the adjustment then *raises* correlations.

    Returns
    -------
    DataFrame
        One row per pair: ``var1, var2, n, r, r_m, r_adj, t, df, pvalue``, and
        ``attrs["marker_correlations"]`` (a Series of the marker's correlations).

    Examples
    --------
    >>> marker_adjusted_correlations(scores, marker="marker")  # doctest: +SKIP
    """
    if variables is None:
        variables = [
            c for c in data.columns
            if c != marker and pd.api.types.is_numeric_dtype(data[c])
        ]
    variables = list(variables)
    if marker in variables:
        raise DataError(f"The marker {marker!r} must not also be a substantive variable.")
    if len(variables) < 2:
        raise DataError("The marker adjustment needs at least 2 substantive variables.")
    x = _numeric_frame(data, [*variables, marker], what="Marker adjustment")
    r = x.corr()
    marker_r = r.loc[variables, marker]
    if isinstance(r_m, str):
        ordered = np.sort(marker_r.to_numpy())
        if r_m == "smallest":
            value = float(ordered[0])
        elif r_m == "second_smallest":
            value = float(ordered[1])
        else:
            raise DataError(
                f"r_m= must be a number, 'smallest' or 'second_smallest', not {r_m!r}."
            )
    else:
        value = float(r_m)
    pairs = [(a, b) for i, a in enumerate(variables) for b in variables[i + 1:]]
    adj = marker_adjust([r.loc[a, b] for a, b in pairs], value, x.shape[0])
    out = pd.concat(
        [
            pd.DataFrame(
                {"var1": [a for a, _ in pairs], "var2": [b for _, b in pairs],
                 "n": float(x.shape[0])}
            ),
            adj,
        ],
        axis=1,
    )
    out.attrs["marker_correlations"] = marker_r
    return out


# ---------------------------------------------------------------------------
# Model-based checks (need the SEM engine)
# ---------------------------------------------------------------------------


_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


def _fit_row(name: str, result: Any) -> dict[str, Any]:
    fit = getattr(result, "fit", {}) or {}
    row: dict[str, Any] = {"model": name}
    for key in _FIT_KEYS:
        value = fit.get(key, np.nan)
        row[key] = float(value) if value is not None else np.nan
    row["converged"] = bool(getattr(result, "converged", True))
    return row


def _compare(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    base, alt = table.iloc[0], table.iloc[1]
    d_chisq = abs(alt["chisq"] - base["chisq"])
    d_df = abs(alt["df"] - base["df"])
    table["delta_chisq"] = [np.nan, d_chisq]
    table["delta_df"] = [np.nan, d_df]
    table["delta_pvalue"] = [np.nan, float(stats.chi2.sf(d_chisq, d_df)) if d_df > 0 else np.nan]
    table["delta_cfi"] = [np.nan, alt["cfi"] - base["cfi"]]
    return table


def _trait_syntax(model: str | Mapping[str, Sequence[str]]) -> tuple[str, dict[str, list[str]]]:
    blocks = measurement_blocks(model)
    syntax = (
        model if isinstance(model, str)
        else "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in blocks.items())
    )
    return syntax, blocks


def one_factor_comparison(
    model: str | Mapping[str, Sequence[str]],
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
) -> pd.DataFrame:
    """Harman's test as a CFA: the measurement model against a single common factor.

    Parameters
    ----------
    model : str or mapping
        The hypothesised measurement model (lavaan syntax or ``{factor: items}``).
    data : DataFrame
        Item data.
    estimator : str
        Passed to :func:`analysis.sem.cfa`.

    Returns
    -------
    DataFrame
        Rows ``"traits"`` and ``"one_factor"`` with ``chisq, df, pvalue, cfi,
        tli, rmsea, srmr, aic, bic, converged`` and, on the second row, the
        chi-square difference test (``delta_chisq, delta_df, delta_pvalue``;
        a naive difference, exact for ML) and ``delta_cfi``.

    Examples
    --------
    >>> one_factor_comparison(model, df)  # doctest: +SKIP
    # In R: anova(cfa(model, df), cfa("g =~ x1 + ... + x9", df))
    """
    from analysis.sem import cfa

    syntax, blocks = _trait_syntax(model)
    factors = set(blocks)
    items = list(dict.fromkeys(i for v in blocks.values() for i in v if i not in factors))
    name = "common_factor"
    while name in data.columns or name in factors:
        name = "_" + name
    trait = cfa(syntax, data, estimator=estimator)
    single = cfa(f"{name} =~ {' + '.join(items)}", data, estimator=estimator)
    return _compare([_fit_row("traits", trait), _fit_row("one_factor", single)])


def ulmc_syntax(model: str | Mapping[str, Sequence[str]], method_factor: str = "method") -> str:
    """lavaan syntax of the trait model plus an orthogonal unmeasured method factor.

    The method factor loads on every item with free loadings (``NA*`` on the
    first) and unit variance, and is uncorrelated with every trait factor.
    """
    syntax, blocks = _trait_syntax(model)
    factors = list(blocks)
    if method_factor in factors:
        raise ModelSpecificationError(
            f"The method factor name {method_factor!r} is already a factor of the model; "
            "choose another method_factor=."
        )
    items = list(dict.fromkeys(i for v in blocks.values() for i in v if i not in factors))
    if len(items) < 3:
        raise ModelSpecificationError("A method factor needs at least 3 items.")
    lines = [syntax.rstrip(), f"{method_factor} =~ NA*{items[0]} + {' + '.join(items[1:])}",
             f"{method_factor} ~~ 1*{method_factor}"]
    lines += [f"{method_factor} ~~ 0*{f}" for f in factors]
    return "\n".join(lines)


@dataclass(frozen=True)
class MethodFactorResult:
    """Result of :func:`ulmc`.

    Attributes
    ----------
    fit : DataFrame
        Rows ``"traits"`` and ``"traits_method"``: fit measures and the
        chi-square difference test (see :func:`one_factor_comparison`).
    loadings : DataFrame
        One row per item and trait factor: ``factor, item, std_traits``
        (standardized loading without the method factor), ``std_with_method``,
        ``method_loading`` (standardized loading on the method factor),
        ``method_share`` (its square: the share of item variance due to the
        method factor).
    syntax : str
        The lavaan syntax of the model with the method factor.
    warnings : tuple of str
        Warnings of the two fits.
    """

    fit: pd.DataFrame
    loadings: pd.DataFrame
    syntax: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mean_method_share(self) -> float:
        """Average share of item variance explained by the method factor."""
        shares = self.loadings.drop_duplicates("item")["method_share"]
        return float(shares.mean())


def _std_loadings(params: pd.DataFrame) -> pd.DataFrame:
    rows = params[params["op"] == "=~"]
    return rows[["lhs", "rhs", "std_all"]].rename(columns={"lhs": "factor", "rhs": "item"})


def ulmc(
    model: str | Mapping[str, Sequence[str]],
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    method_factor: str = "method",
) -> MethodFactorResult:
    """Unmeasured latent method construct (ULMC) check.

    Parameters
    ----------
    model : str or mapping
        The trait measurement model.
    data : DataFrame
        Item data.
    estimator : str
        Passed to :func:`analysis.sem.cfa`.
    method_factor : str
        Name of the added method factor.

    Returns
    -------
    MethodFactorResult

    Notes
    -----
    Following Podsakoff et al. (2003) and Williams et al. (2010): the method
    factor loads on all items, has unit variance and is orthogonal to the
    traits.  The model with the method factor is fitted with unit factor
    variances (``std_lv=True``); fit and standardized loadings do not depend on
    that choice.  A better fit and substantial method loadings indicate common
    method variance; compare the trait loadings with and without it.  Such
    models are often weakly identified: check ``fit["converged"]`` and the
    warnings.

    Examples
    --------
    >>> ulmc(model, df).fit  # doctest: +SKIP
    # In R: anova(cfa(model, df), cfa(paste(model, "method =~ NA*x1 + ...", ...), df))
    """
    from analysis.sem import cfa

    syntax, blocks = _trait_syntax(model)
    method_syntax = ulmc_syntax(model, method_factor)
    trait = cfa(syntax, data, estimator=estimator)
    # Unit factor variances (std_lv) for the method model: same fit and standardized
    # solution as lavaan's marker scaling, but the optimizer is far less prone to the
    # degenerate solutions (a trait absorbed by the method factor) seen with marker scaling.
    with_method = cfa(method_syntax, data, estimator=estimator, std_lv=True)
    table = _compare([_fit_row("traits", trait), _fit_row("traits_method", with_method)])
    base = _std_loadings(trait.params).rename(columns={"std_all": "std_traits"})
    alt = _std_loadings(with_method.params)
    method = alt[alt["factor"] == method_factor][["item", "std_all"]].rename(
        columns={"std_all": "method_loading"}
    )
    alt = alt[alt["factor"] != method_factor].rename(columns={"std_all": "std_with_method"})
    loadings = base.merge(alt, on=["factor", "item"], how="left").merge(
        method, on="item", how="left"
    )
    loadings["method_share"] = loadings["method_loading"] ** 2
    warnings = tuple(
        str(w) for res in (trait, with_method) for w in (getattr(res, "warnings", None) or [])
    )
    return MethodFactorResult(
        fit=table, loadings=loadings.reset_index(drop=True), syntax=method_syntax,
        warnings=warnings,
    )
