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

from analysis.errors import DataError, EstimationError, ModelSpecificationError
from analysis.io import numeric_columns
from analysis.stats.reliability import measurement_blocks

__all__ = [
    "MarkerResult",
    "MethodFactorResult",
    "cfa_marker",
    "improper_solution",
    "improper_warnings",
    "harman_single_factor",
    "marker_adjust",
    "marker_adjusted_correlations",
    "one_factor_comparison",
    "ulmc",
    "ulmc_syntax",
]


def _need_frame(data: Any, what: str) -> None:
    # before data.columns is read: None or an array ended in an internal AttributeError
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what}: data= must be a pandas DataFrame, not "
                        f"{type(data).__name__}.")


def _numeric_frame(data: pd.DataFrame, columns: Sequence[str], *, what: str,
                   listwise: bool = True) -> pd.DataFrame:
    # ``data`` was checked by :func:`_need_frame` in both callers
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise DataError(f"{what}: column(s) not in the data: {', '.join(map(str, absent))}.")
    twice = [c for c in dict.fromkeys(columns) if list(columns).count(c) > 1]
    if twice:
        # one column counted twice is a perfectly correlated pair: a first factor made up
        raise DataError(f"{what}: column(s) named more than once: "
                        f"{', '.join(map(repr, twice))}.")
    # the package's one check of numbers: the first non-numeric cell named by row and value
    # (with a hint for a decimal comma or an answer label), dates, true/false among
    # numbers, a column twice and infinite values refused in the same words as elsewhere
    x = numeric_columns(data, columns, what)
    x = x.dropna() if listwise else x
    constant = [c for c in x.columns if x[c].nunique() < 2]
    if constant:
        raise DataError(
            f"{what}: column(s) without variance among "
            f"{'complete rows' if listwise else 'the observed values'}: {', '.join(constant)}."
        )
    if listwise and x.shape[0] < 4:
        raise DataError(f"{what}: only {x.shape[0]} complete rows; at least 4 are needed.")
    return x


# ---------------------------------------------------------------------------
# Harman
# ---------------------------------------------------------------------------


def _correlations(x: pd.DataFrame, missing: str) -> tuple[np.ndarray, float, str]:
    """Correlation matrix of ``x`` by ``missing``; the smallest n behind it; the method used."""
    if missing == "listwise":
        xx = x.dropna()
        if xx.shape[0] < 4:
            raise DataError(f"Harman's single-factor test: only {xx.shape[0]} complete rows; "
                            "use missing='fiml' or 'pairwise'.")
        return np.corrcoef(xx.to_numpy(), rowvar=False), float(xx.shape[0]), "listwise"
    if missing == "fiml":
        from analysis.sem.fiml import em_saturated

        try:
            sat = em_saturated(x.to_numpy(dtype=float))
        except EstimationError:
            missing = "pairwise"
        else:
            cov = np.asarray(sat.sigma, dtype=float)
            sd = np.sqrt(np.diag(cov))
            return cov / np.outer(sd, sd), float(x.shape[0]), "fiml"
    if missing == "pairwise":
        obs = x.notna().astype(float)
        n_pairs = float((obs.T @ obs).to_numpy().min())
        return x.corr().to_numpy(), n_pairs, "pairwise"
    raise ModelSpecificationError(
        f"missing={missing!r} is not known; use 'fiml', 'pairwise' or 'listwise'.")


def harman_single_factor(data: pd.DataFrame, items: Sequence[str] | None = None, *,
                         missing: str = "pairwise") -> pd.Series:
    """Harman's single-factor test as a screen (first unrotated principal component).

    Parameters
    ----------
    data : DataFrame
        Item data.
    items : sequence of str, optional
        The items to use (default: all columns).
    missing : {"fiml", "pairwise", "listwise"}
        How the correlation matrix uses incomplete rows: ``"pairwise"`` (default)
        pairwise correlations of all cases, ``"fiml"`` the maximum-likelihood (EM)
        correlations of all cases (pairwise when EM fails; some seconds for 65 items),
        ``"listwise"`` complete rows only (with many items and a few missing answers each, few rows remain and the
        matrix is singular).

    Returns
    -------
    Series
        ``n_obs`` (rows used; for pairwise the smallest pair count), ``n_items``,
        ``first_eigenvalue``, ``prop_var`` (share of the total standardized variance,
        ``first_eigenvalue / n_items``), ``min_eigenvalue`` (<= 0: the matrix is not
        positive definite) and ``missing`` (the method used, as ``attrs["missing"]``).
        Compare ``prop_var`` with the ``"harman_prop_var"`` entry of
        :func:`analysis.stats.validity.thresholds` (conventionally 0.50).

    Notes
    -----
    Harman's test is insensitive (Podsakoff et al., 2003): use it only as a
    screen next to the CFA marker technique (:func:`cfa_marker`).

    Examples
    --------
    >>> harman_single_factor(df)  # doctest: +SKIP
    # In R: psych::principal(lavaan::lavCor(df, missing = "ml"), nfactors = 1,
    #                        rotate = "none")$Vaccounted
    """
    _need_frame(data, "Harman's single-factor test")
    cols = ([items] if isinstance(items, str) else list(items)) if items is not None \
        else list(data.columns)
    if len(cols) < 2:
        raise DataError("Harman's test needs at least 2 items.")
    x = _numeric_frame(data, cols, what="Harman's single-factor test", listwise=False)
    r, n_obs, how = _correlations(x, missing)
    eig = np.linalg.eigvalsh(r)
    out = pd.Series(
        {
            "n_obs": n_obs,
            "n_items": float(len(cols)),
            "first_eigenvalue": float(eig[-1]),
            "prop_var": float(eig[-1]) / len(cols),
            "min_eigenvalue": float(eig[0]),
        },
        name="harman",
    )
    out.attrs["missing"] = how
    return out


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
        a value chosen by the analyst.  ``r_m`` must be positive: a zero or
        negative marker correlation shows no method variance to remove, and the
        adjustment would *raise* every correlation, so it is refused with the
        reason (:class:`~analysis.errors.DataError`).

    Returns
    -------
    DataFrame
        One row per pair: ``var1, var2, n, r, r_m, r_adj, t, df, pvalue``, and
        ``attrs["marker_correlations"]`` (a Series of the marker's correlations),
        ``attrs["n_rows"]`` and ``attrs["n_used"]`` (the complete rows behind them).

    Examples
    --------
    >>> marker_adjusted_correlations(scores, marker="marker")  # doctest: +SKIP
    """
    _need_frame(data, "Marker adjustment")
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
    n_rows, n_used = int(len(data)), int(x.shape[0])
    # the listwise base, said with the result: a scale asked of some respondents only
    # leaves the others out of every marker correlation
    base = (f"on the {n_used} of {n_rows} rows complete on every variable"
            if n_used < n_rows else f"on all {n_rows} rows")
    if not value > 0:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in marker_r.items())
        t_m = value * np.sqrt(max(n_used - 2, 1) / max(1e-12, 1 - value * value))
        p_m = float(2 * stats.t.sf(abs(t_m), max(n_used - 2, 1)))
        picked = isinstance(r_m, str)
        if picked:
            # r_M is the smallest (or second smallest) of the k marker correlations: the
            # smallest of k is below zero more often than one correlation chosen in
            # advance, so its p is Bonferroni-adjusted for the choice among the k
            p_m = min(1.0, len(variables) * p_m)
        how = (f"two-sided p = {p_m:.3g}, Bonferroni-adjusted for picking it among "
               f"{len(variables)} marker correlations" if picked
               else f"two-sided p = {p_m:.3g}")
        below = (f", and significantly below zero ({how}): the marker is "
                 "related to the substantive variables, so it cannot stand for a "
                 "theoretically unrelated variable" if p_m < 0.05 else "")
        raise DataError(
            f"Marker adjustment refused: r_M = {value:.3f} is not positive {base}{below} "
            f"(marker correlations: {shown}). A marker that does not correlate positively "
            "with the substantive variables shows no common method variance to remove, and "
            "(r - r_M) / (1 - r_M) with r_M <= 0 would raise every correlation "
            "(Lindell & Whitney 2001). Report the unadjusted correlations and the CFA "
            "marker technique instead.")
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
    out.attrs["n_rows"], out.attrs["n_used"] = n_rows, n_used
    return out


# ---------------------------------------------------------------------------
# Model-based checks (need the SEM engine)
# ---------------------------------------------------------------------------


_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
#: added to a fit row under MLR
_ROBUST_FIT_KEYS = ("chisq_scaled", "pvalue_scaled", "cfi_robust", "tli_robust",
                    "rmsea_robust")


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
    problems : tuple of str
        Why the solution with the method factor is improper (not converged, a negative
        variance, a standardized loading beyond 1, a non-positive-definite latent
        covariance matrix); empty for a proper solution.  Only a proper solution is
        evidence about method variance.
    absorbed : tuple of str
        Traits whose items load more on the method factor than on their own trait (mean
        absolute standardized loadings): the method factor has taken the trait's place, a
        known failure of the ULMC where traits are related (Richardson, Simmering &
        Sturman 2009), and its loadings are not method variance.
    """

    fit: pd.DataFrame
    loadings: pd.DataFrame
    syntax: str
    warnings: tuple[str, ...] = field(default_factory=tuple)
    problems: tuple[str, ...] = field(default_factory=tuple)
    absorbed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def proper(self) -> bool:
        """True when the model with the method factor converged to a proper solution."""
        return not self.problems

    @property
    def interpretable(self) -> bool:
        """A proper solution in which no trait was absorbed by the method factor."""
        return self.proper and not self.absorbed

    @property
    def mean_method_share(self) -> float:
        """Average share of item variance explained by the method factor (NaN for an
        improper solution or an absorbed trait: its loadings are not method variance)."""
        if not self.interpretable:
            return float("nan")
        shares = self.loadings.drop_duplicates("item")["method_share"]
        return float(shares.mean())


def _std_loadings(params: pd.DataFrame) -> pd.DataFrame:
    rows = params[params["op"] == "=~"]
    return rows[["lhs", "rhs", "std_all"]].rename(columns={"lhs": "factor", "rhs": "item"})


#: Iterations of the ULMC's method model (:func:`ulmc`); it is not refitted from other
#: starts.
ULMC_MAX_ITER = 300


def ulmc(
    model: str | Mapping[str, Sequence[str]],
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    method_factor: str = "method",
    missing: str = "listwise",
    cluster: str | None = None,
) -> MethodFactorResult:
    """Unmeasured latent method construct (ULMC) check.

    Parameters
    ----------
    model : str or mapping
        The trait measurement model.
    data : DataFrame
        Item data.
    estimator : str
        Passed to :func:`analysis.sem.cfa`.  With ``"MLR"`` the difference test in
        ``fit`` is the Satorra-Bentler (2001) scaled difference of the two robust tests
        (as :func:`cfa_marker`), not the likelihood-ratio difference, which assumes
        normal items and independent respondents.
    method_factor : str
        Name of the added method factor.
    missing : {"listwise", "ml"}
        Passed to :func:`analysis.sem.cfa` (``"ml"``: FIML, every case kept).
    cluster : str, optional
        A column of ``data`` with cluster ids (both firms of an alliance): with
        ``estimator="MLR"`` the robust tests, and so the scaled difference, are
        cluster-robust, as lavaan's ``cluster=``.

    Returns
    -------
    MethodFactorResult
        ``fit["delta_test"]`` names the difference test used.

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
    if cluster is not None and cluster not in data.columns:
        raise DataError(f"cluster={cluster!r} is not a column of data.")
    if cluster is not None and estimator != "MLR":
        raise ModelSpecificationError(
            f"cluster= needs estimator='MLR' (got {estimator!r}): only the robust test "
            "takes the clusters into account.")
    extra = {"cluster": cluster} if cluster is not None else {}
    trait = cfa(syntax, data, estimator=estimator, missing=missing, **extra)
    # Unit factor variances (std_lv) for the method model: same fit and standardized
    # solution as lavaan's marker scaling, but the optimizer is far less prone to the
    # degenerate solutions (a trait absorbed by the method factor) seen with marker scaling.
    # a diagnostic fit: from its default start only, with a bounded number of iterations
    # (the demo's converges in 42; on data where it does not converge at all, FIML refits
    # from five other starts had taken 90 s, for a check the report then leaves out); where
    # scoring does not converge, the engine tries the quasi-Newton path from the same start
    # (a method model of tests/test_method_variance_campaign.py ran a residual variance off
    # to minus infinity, where lavaan and that path reach a proper minimum)
    with_method = cfa(method_syntax, data, estimator=estimator, std_lv=True, missing=missing,
                      retry=False, max_iter=ULMC_MAX_ITER, **extra)
    rows = [_fit_row("traits", trait), _fit_row("traits_method", with_method)]
    if estimator == "MLR":
        # the scaled statistic and the robust indices beside the unscaled ones, as the
        # CFA marker's model table gives them (the difference test and the CFI difference
        # below are of these)
        for row, res in zip(rows, (trait, with_method), strict=True):
            for key in _ROBUST_FIT_KEYS:
                v = res.fit.get(key, np.nan)
                row[key] = float(v) if v is not None else np.nan
    table = _compare(rows)
    table["delta_test"] = [None, "likelihood ratio (ML)"]
    if estimator == "MLR":
        # the robust difference of the robust tests, not the normal-theory LR difference
        # of the unscaled statistics that _compare gives
        try:
            d = _difference(trait, with_method, "MLR")
        except (ModelSpecificationError, KeyError, TypeError, ValueError):
            d = {"chisq_diff": np.nan, "df_diff": np.nan, "pvalue": np.nan}
        table["delta_chisq"] = [np.nan, d["chisq_diff"]]
        table["delta_df"] = [np.nan, d["df_diff"]]
        table["delta_pvalue"] = [np.nan, d["pvalue"]]
        table["delta_test"] = [None, "Satorra-Bentler (2001) scaled difference (MLR"
                               + (", cluster-robust)" if cluster is not None else ")")]
        # the CFI difference of the same robust tests (the normal-theory CFI beside a
        # scaled chi-square difference mixed two theories in one row)
        cfi = [float(r.fit.get("cfi_robust", np.nan) or np.nan) for r in (trait, with_method)]
        table["delta_cfi"] = [np.nan, cfi[1] - cfi[0]]
        table["delta_cfi_robust"] = [None, True]
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
    absorbed = []
    for factor, rows in loadings.groupby("factor", sort=False):
        on_trait = float(np.abs(rows["std_with_method"].astype(float)).mean())
        on_method = float(np.abs(rows["method_loading"].astype(float)).mean())
        if on_method > on_trait:
            absorbed.append(f"the items of {factor} load more on the method factor (mean "
                            f"|loading| {on_method:.2f}) than on {factor} ({on_trait:.2f})")
    return MethodFactorResult(
        fit=table, loadings=loadings.reset_index(drop=True), syntax=method_syntax,
        warnings=warnings, problems=improper_solution(with_method), absorbed=tuple(absorbed),
    )


def improper_warnings(warnings: Sequence[str] | None) -> list[str]:
    """The warnings of a fit that make its solution improper: a negative variance (Heywood
    case) or a latent covariance matrix that is not positive definite."""
    return [w for w in warnings or () if "Heywood" in w or "not positive definite" in w]


def improper_solution(result: Any) -> tuple[str, ...]:
    """Reasons why a fitted model is not a proper solution (empty when it is proper).

    Checked: convergence, negative variances (Heywood cases), a latent covariance matrix
    that is not positive definite, and completely standardized loadings beyond 1 in
    absolute value (Chen, Bollen, Paxton, Curran & Kirby 2001).

    # In R: lavInspect(fit, "converged"); lavInspect(fit, "post.check")
    """
    out: list[str] = []
    if not bool(getattr(result, "converged", True)):
        out.append("the model did not converge")
    out.extend(str(w).rstrip(".") for w in improper_warnings(getattr(result, "warnings", None)))
    params = getattr(result, "params", None)
    if isinstance(params, pd.DataFrame) and "std_all" in params.columns:
        lam = params[params["op"] == "=~"]
        beyond = lam[np.abs(lam["std_all"].astype(float)) > 1.0]
        out.extend(f"standardized loading of {r.rhs} on {r.lhs} is {r.std_all:.3f} "
                   "(beyond 1)" for r in beyond.itertuples())
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------
# CFA marker technique (Williams, Hartman & Cavazotte 2010)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkerResult:
    """Result of :func:`cfa_marker`.

    Attributes
    ----------
    models : DataFrame
        One row per model (``CFA``, ``Baseline``, ``Method-C``, ``Method-U``,
        ``Method-R``): ``chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic`` (robust
        versions first where the estimator has them: ``chisq_scaled`` ...), ``converged``,
        ``proper`` and ``problems``.
    comparisons : DataFrame
        ``test`` (``method variance``, ``equal method effects``, ``bias in trait
        correlations``), ``restricted``, ``general``, ``chisq_diff, df_diff, pvalue``
        (Satorra-Bentler 2001 scaled for MLR, likelihood ratio for ML), ``conclusion``.
    method_loadings : DataFrame
        ``factor, item, std_marker`` (completely standardized loading on the marker
        factor in the chosen method model), ``method_share`` (its square).
    chosen : str
        ``"Method-C"`` (equal method effects) or ``"Method-U"``.
    method_present : bool or None
        Baseline fits significantly worse than the chosen method model (None when a
        model is improper or did not converge: not estimable).
    biased : bool or None
        Fixing the trait correlations at their Baseline values (Method-R) fits
        significantly worse: method variance biases the trait correlations.
    problems : tuple of str
        Improper or non-converged models, with the reasons.
    syntax : dict
        lavaan syntax of every model.
    """

    models: pd.DataFrame
    comparisons: pd.DataFrame
    method_loadings: pd.DataFrame
    chosen: str
    method_present: bool | None
    biased: bool | None
    problems: tuple[str, ...]
    syntax: dict[str, str]
    estimator: str
    n: int

    @property
    def proper(self) -> bool:
        return not self.problems

    @property
    def mean_method_share(self) -> float:
        """Mean share of substantive item variance due to the marker factor (NaN when
        the method model is improper)."""
        if not self.proper or self.method_loadings.empty:
            return float("nan")
        return float(self.method_loadings["method_share"].mean())


_MODEL_FIT_KEYS = ("chisq", "df", "pvalue", "chisq_scaled", "pvalue_scaled", "cfi_robust",
                   "tli_robust", "rmsea_robust", "cfi", "tli", "rmsea", "srmr", "aic", "bic")


def _difference(restricted: Any, general: Any, estimator: str) -> dict[str, float]:
    if estimator == "MLR":
        from analysis.sem.robust import scaled_difference_test

        t = scaled_difference_test(restricted, general)
        return {"chisq_diff": float(t["chisq_diff"]), "df_diff": float(t["df_diff"]),
                "pvalue": float(t["pvalue"])}
    d = float(restricted.fit["chisq"] - general.fit["chisq"])
    ddf = float(restricted.fit["df"] - general.fit["df"])
    return {"chisq_diff": d, "df_diff": ddf,
            "pvalue": float(stats.chi2.sf(d, ddf)) if ddf > 0 else np.nan}


def cfa_marker(
    model: str | Mapping[str, Sequence[str]],
    marker_items: Sequence[str],
    data: pd.DataFrame,
    *,
    estimator: str = "MLR",
    missing: str = "ml",
    alpha: float = 0.05,
    marker: str = "marker",
    cluster: str | None = None,
) -> MarkerResult:
    """The CFA marker technique (Williams, Hartman & Cavazotte 2010).

    Parameters
    ----------
    model : str or mapping
        The substantive measurement model (``{factor: items}`` or ``=~`` syntax).
    marker_items : sequence of str
        Items of the marker scale (theoretically unrelated to the substantive factors).
    data : DataFrame
        Item data (reverse-keyed).
    estimator : {"MLR", "ML"}
    missing : {"ml", "listwise"}
        ``"ml"``: FIML for missing answers.
    alpha : float
        Level of the model comparisons.
    marker : str
        Name of the marker factor.
    cluster : str, optional
        A column of ``data`` with cluster ids (both firms of an alliance): with
        ``estimator="MLR"`` the robust tests and their scaled differences are
        cluster-robust, as lavaan's ``cluster=``.

    Returns
    -------
    MarkerResult

    Notes
    -----
    The sequence of Williams et al. (2010), all factors with unit variance:

    1. **CFA**: substantive factors and the marker factor, all correlated.
    2. **Baseline**: the marker factor orthogonal to the substantive factors, its
       loadings and its items' error variances fixed at their CFA values.
    3. **Method-C**: Baseline plus loadings of every substantive item on the marker
       factor, constrained equal; **Method-U**: the same loadings free.  Baseline vs
       Method-C tests for method variance; Method-C vs Method-U whether its effects are
       equal (the better model is *chosen*).
    4. **Method-R**: the chosen model with the substantive factor correlations fixed at
       their Baseline values; a worse fit means method variance biases them.

    Every model must converge to a proper solution; otherwise the check is reported as
    not estimable (``method_present`` None) with the reasons.

    References
    ----------
    Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker
    variables: A review and comprehensive CFA marker technique. Organizational Research
    Methods, 13, 477-514.

    # In R: lavaan::cfa(baseline, data, std.lv = TRUE, estimator = "MLR",
    #                   missing = "ml"); lavTestLRT(baseline, method_c)
    """
    from analysis.sem import cfa

    if estimator not in ("MLR", "ML"):
        raise ModelSpecificationError(
            f"estimator={estimator!r}: the CFA marker technique is implemented for 'MLR' and "
            "'ML' (items continuous).")
    _, blocks = _trait_syntax(model)
    factors = list(blocks)
    if marker in factors:
        raise ModelSpecificationError(f"The marker factor name {marker!r} is already a "
                                      "factor of the model; choose another marker=.")
    marker_items = list(marker_items)
    if len(marker_items) < 2:
        raise ModelSpecificationError("The marker scale needs at least 2 items.")
    items = list(dict.fromkeys(i for v in blocks.values() for i in v))
    overlap = sorted(set(items) & set(marker_items))
    if overlap:
        raise ModelSpecificationError(
            f"Item(s) both substantive and marker: {', '.join(overlap)}.")
    trait_lines = [f"{f} =~ {' + '.join(v)}" for f, v in blocks.items()]
    fit_kw: dict[str, Any] = {"estimator": estimator, "missing": missing, "std_lv": True}
    sub = data[[*items, *marker_items]]
    if cluster is not None:
        if cluster not in data.columns:
            raise DataError(f"cluster={cluster!r} is not a column of data.")
        if estimator != "MLR":
            raise ModelSpecificationError(
                f"cluster= needs estimator='MLR' (got {estimator!r}): only the robust test "
                "takes the clusters into account.")
        fit_kw["cluster"] = cluster
        sub = data[[*items, *marker_items, cluster]]

    syntax = {"CFA": "\n".join([*trait_lines, f"{marker} =~ {' + '.join(marker_items)}"])}
    fits = {"CFA": cfa(syntax["CFA"], sub, **fit_kw)}
    p = fits["CFA"].params
    lam = p[(p["op"] == "=~") & (p["lhs"] == marker)].set_index("rhs")["est"]
    theta = p[(p["op"] == "~~") & (p["lhs"] == p["rhs"]) & p["lhs"].isin(marker_items)] \
        .set_index("lhs")["est"]
    fixed = [f"{float(lam[m])!r}*{m}" for m in marker_items]
    fixed_var = [f"{m} ~~ {float(theta[m])!r}*{m}" for m in marker_items]
    ortho = [f"{marker} ~~ 0*{f}" for f in factors]
    base_lines = [*trait_lines, f"{marker} =~ {' + '.join(fixed)}", *fixed_var, *ortho]
    syntax["Baseline"] = "\n".join(base_lines)
    syntax["Method-C"] = "\n".join(
        [*trait_lines, f"{marker} =~ {' + '.join(fixed)} + "
         + " + ".join(f"mv_c*{i}" for i in items), *fixed_var, *ortho])
    syntax["Method-U"] = "\n".join(
        [*trait_lines, f"{marker} =~ {' + '.join(fixed)} + {' + '.join(items)}", *fixed_var,
         *ortho])
    for name in ("Baseline", "Method-C", "Method-U"):
        fits[name] = cfa(syntax[name], sub, **fit_kw)
    equal_test = _difference(fits["Method-C"], fits["Method-U"], estimator)
    chosen = "Method-U" if equal_test["pvalue"] < alpha else "Method-C"
    pb = fits["Baseline"].params
    trait_cov = pb[(pb["op"] == "~~") & (pb["lhs"] != pb["rhs"]) & pb["lhs"].isin(factors)
                   & pb["rhs"].isin(factors)]
    restrict = [f"{r.lhs} ~~ {float(r.est)!r}*{r.rhs}" for r in trait_cov.itertuples()]
    syntax["Method-R"] = "\n".join([syntax[chosen], *restrict])
    fits["Method-R"] = cfa(syntax["Method-R"], sub, **fit_kw)

    problems: list[str] = []
    rows = []
    for name, res in fits.items():
        why = improper_solution(res)
        problems.extend(f"{name}: {w}" for w in why)
        row = {"model": name}
        for key in _MODEL_FIT_KEYS:
            v = res.fit.get(key, np.nan)
            row[key] = float(v) if v is not None else np.nan
        row.update(converged=bool(res.converged), proper=not why, problems="; ".join(why))
        rows.append(row)
    method_test = _difference(fits["Baseline"], fits[chosen], estimator)
    bias_test = _difference(fits["Method-R"], fits[chosen], estimator)
    estimable = not problems
    present = bool(method_test["pvalue"] < alpha) if estimable else None
    biased = bool(bias_test["pvalue"] < alpha) if estimable else None

    def says(flag: bool | None, yes: str, no: str) -> str:
        return "not estimable (improper solution)" if flag is None else (yes if flag else no)

    comparisons = pd.DataFrame([
        {"test": "method variance", "restricted": "Baseline", "general": chosen,
         **method_test, "conclusion": says(present, "method variance present",
                                           "no method variance detected")},
        {"test": "equal method effects", "restricted": "Method-C", "general": "Method-U",
         **equal_test, "conclusion": says(
             True if estimable else None,
             "unequal (Method-U chosen)" if chosen == "Method-U" else "equal (Method-C chosen)",
             "")},
        {"test": "bias in trait correlations", "restricted": "Method-R", "general": chosen,
         **bias_test, "conclusion": says(
             biased, "trait correlations biased by method variance",
             "no significant bias of the trait correlations detected")},
    ])
    pc = fits[chosen].params
    ml = pc[(pc["op"] == "=~") & (pc["lhs"] == marker) & pc["rhs"].isin(items)]
    owner = {i: f for f, v in blocks.items() for i in v}
    loadings = pd.DataFrame({"factor": [owner[i] for i in ml["rhs"]], "item": ml["rhs"].tolist(),
                             "std_marker": ml["std_all"].astype(float).to_numpy()})
    loadings["method_share"] = loadings["std_marker"] ** 2
    return MarkerResult(
        models=pd.DataFrame(rows), comparisons=comparisons, method_loadings=loadings,
        chosen=chosen, method_present=present, biased=biased, problems=tuple(problems),
        syntax=syntax, estimator=estimator, n=int(fits["CFA"].fit.get("ntotal", len(sub))),
    )
