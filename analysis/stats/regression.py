"""Moderation, curvilinear effects, response surfaces and mediation.

One function per analysis, each returning a small frozen result object whose
tables are tidy DataFrames (nothing rounded):

* :func:`moderation` -- OLS with a product term on mean-centred composites, HC3
  standard errors, simple slopes at the moderator's mean +- 1 SD and the
  Johnson-Neyman region(s) of significance (Hayes 2022, PROCESS model 1).
* :func:`quadratic` -- linear + squared term, turning point with a delta-method
  CI and the inverted-U test of Lind & Mehlum (2010).
* :func:`response_surface` -- polynomial regression on two predictors with the
  surface parameters a1-a5 (Edwards 1994; Shanock et al. 2010; Humberg et al. 2019).
* :func:`mediation_bootstrap` -- simple mediation as a path model in the SEM
  engine (``ind := a*b``) with percentile and BCa bootstrap intervals.

References
----------
Edwards, J. R. (1994). The study of congruence in organizational behavior
research. *OBHDP*, 58, 51-100.
Fieller, E. C. (1954). Some problems in interval estimation. *Journal of the Royal
Statistical Society B*, 16(2), 175-185.
Lind, J. T., & Mehlum, H. (2010). With or without U? *Oxford Bulletin of
Economics and Statistics*, 72(1), 109-118.
Shanock, L. R., et al. (2010). Polynomial regression with response surface
analysis. *Journal of Business and Psychology*, 25, 543-554.
Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional
process analysis* (3rd ed.). Guilford.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import DataError, ModelSpecificationError

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
COEF_COLUMNS = ["term", "estimate", "se", "t", "pvalue", "ci_lower", "ci_upper"]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def _frame(data: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Numeric copy of ``columns`` with incomplete rows removed (listwise deletion)."""
    from analysis.io import numeric_columns

    out = numeric_columns(data, columns, what).dropna()
    names = list(out.columns)
    if len(out) < len(names) + 3:
        raise DataError(f"{what}: only {len(out)} complete rows for {len(names)} variables.")
    for c in names:
        if out[c].std(ddof=1) == 0:
            raise DataError(f"{what}: column {c!r} is constant in the complete rows.")
    return out


def _check_cov_type(cov_type: str) -> str:
    if cov_type not in COV_TYPES:
        raise ModelSpecificationError(
            f"cov_type={cov_type!r} is not known; use one of {', '.join(COV_TYPES)}."
        )
    return cov_type


def _ols(y: np.ndarray, x: pd.DataFrame, cov_type: str,
         groups: np.ndarray | None = None) -> Any:
    """Fit OLS with an intercept; t-based inference (as R's lm + coeftest); ``groups``
    with ``cov_type="cluster"``."""
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    design = add_constant(x, has_constant="add")
    model = OLS(y, design)
    if cov_type == "nonrobust":
        return model.fit(use_t=True)
    if cov_type == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return model.fit(cov_type=cov_type, use_t=True)


def _cluster_frame(data: pd.DataFrame, cluster: str | None, what: str) -> pd.DataFrame:
    """``data`` with unique row labels when ``cluster`` is given (the ids are looked up by
    label); refuses a ``cluster`` that is not a column."""
    if cluster is None:
        return data
    if not isinstance(cluster, str) or cluster not in data.columns:
        raise ModelSpecificationError(f"{what}: cluster={cluster!r} is not a column.")
    return data.reset_index(drop=True)


def _fit_ols(y: np.ndarray, design: pd.DataFrame, cov_type: str, data: pd.DataFrame,
             cluster: str | None) -> tuple[Any, str, int | None]:
    """OLS with ``cov_type``, or cluster-robust (CR1) by ``data[cluster]`` on the rows of
    ``design``: the fit, the covariance's name and the number of clusters."""
    if cluster is None:
        return _ols(y, design, cov_type), cov_type, None
    groups = cluster_codes(data.loc[design.index, cluster])
    return (_ols(y, design, "cluster", groups=groups), f"cluster ({cluster})",
            int(groups.max()) + 1)


def _inference_df(fit: Any) -> float:
    """Degrees of freedom of the t tests: G - 1 for a cluster-robust fit (statsmodels'
    ``df_resid_inference``, as R's ``coeftest(fit, vcovCL(fit, cluster))``), else the
    residual df."""
    return float(getattr(fit, "df_resid_inference", None) or fit.df_resid)


def _coef_table(fit: Any, level: float) -> pd.DataFrame:
    ci = fit.conf_int(alpha=1 - level)
    names = list(fit.params.index)
    return pd.DataFrame({
        "term": ["(Intercept)" if n == "const" else n for n in names],
        "estimate": fit.params.to_numpy(dtype=float),
        "se": fit.bse.to_numpy(dtype=float),
        "t": fit.tvalues.to_numpy(dtype=float),
        "pvalue": fit.pvalues.to_numpy(dtype=float),
        "ci_lower": ci.iloc[:, 0].to_numpy(dtype=float),
        "ci_upper": ci.iloc[:, 1].to_numpy(dtype=float),
    })


def _linear_combination(fit: Any, weights: dict[str, float], level: float) -> dict[str, float]:
    """Estimate, SE, t, p and CI of sum(w * b) from the coefficient covariance."""
    from scipy import stats

    names = list(fit.params.index)
    w = np.zeros(len(names))
    for k, v in weights.items():
        w[names.index(k)] = v
    b = fit.params.to_numpy(dtype=float)
    v = np.asarray(fit.cov_params(), dtype=float)
    est = float(w @ b)
    se = float(np.sqrt(max(w @ v @ w, 0.0)))
    # cluster-robust fits test on G - 1 df (statsmodels' df_resid_inference), as R's
    # coeftest(fit, vcovCL(fit, cluster)) with df = G - 1
    df = float(getattr(fit, "df_resid_inference", None) or fit.df_resid)
    t = est / se if se > 0 else np.nan
    p = float(2 * stats.t.sf(abs(t), df)) if se > 0 else np.nan
    q = float(stats.t.ppf(0.5 + level / 2, df))
    return {"estimate": est, "se": se, "t": t, "pvalue": p,
            "ci_lower": est - q * se, "ci_upper": est + q * se}


def _check_level(level: float) -> float:
    if not 0 < float(level) < 1:
        raise ModelSpecificationError(f"level= must be in (0, 1) (got {level!r}).")
    return float(level)


# --------------------------------------------------------------------------------------
# moderation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModerationResult:
    """Result of :func:`moderation`.

    Attributes
    ----------
    y, x, m : str
        Outcome, focal predictor and moderator.
    n : int
        Complete cases used.
    coefficients : DataFrame
        ``term, estimate, se, t, pvalue, ci_lower, ci_upper``; the product term is
        named ``"x:m"``.
    interaction : dict
        The row of the product term as a dict.
    simple_slopes : DataFrame
        ``level`` ("-1 SD", "mean", "+1 SD"), ``moderator`` (value in the raw metric),
        then the slope columns of ``coefficients``.
    jn_bounds : tuple of float
        Johnson-Neyman boundaries (raw metric of the moderator), all real roots.
    jn_regions : tuple of (float, float)
        Intervals of the observed moderator range in which the focal slope is
        significant at ``1 - level``.
    m_mean, m_sd, m_min, m_max : float
        Moderator mean, SD (ddof=1) and observed range (raw metric).
    r2 : float
    cov_type : str
    level : float
    df_resid : float
        Degrees of freedom of the t tests, CIs and the Johnson-Neyman region: the
        residual df, or G - 1 with ``cluster=`` (G clusters).
    n_clusters : int or None
        Number of clusters with ``cluster=``, else None.
    """

    y: str
    x: str
    m: str
    n: int
    coefficients: pd.DataFrame
    interaction: dict[str, float]
    simple_slopes: pd.DataFrame
    jn_bounds: tuple[float, ...]
    jn_regions: tuple[tuple[float, float], ...]
    m_mean: float
    m_sd: float
    m_min: float
    m_max: float
    r2: float
    cov_type: str
    level: float
    df_resid: float
    centered: bool = True
    vcov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    x_mean: float = float("nan")
    x_min: float = float("nan")
    x_max: float = float("nan")
    n_clusters: int | None = None

    def conditional_slopes(self, values: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """Focal slope with SE, t, p and CI at moderator values (raw metric).

        The Johnson-Neyman curve: ``conditional_slopes(np.linspace(m_min, m_max, 50))``.
        """
        from scipy import stats

        b = self.coefficients.set_index("term")["estimate"]
        inter = f"{self.x}:{self.m}"
        v = self.vcov
        shift = self.m_mean if self.centered else 0.0
        mv = np.asarray(values, dtype=float) - shift
        slope = b[self.x] + b[inter] * mv
        se = np.sqrt(np.maximum(v.loc[self.x, self.x] + 2 * mv * v.loc[self.x, inter]
                                + mv * mv * v.loc[inter, inter], 0.0))
        t = slope / se
        q = float(stats.t.ppf(0.5 + self.level / 2, self.df_resid))
        return pd.DataFrame({"moderator": mv + shift, "slope": slope, "se": se, "t": t,
                             "pvalue": 2 * stats.t.sf(np.abs(t), self.df_resid),
                             "ci_lower": slope - q * se, "ci_upper": slope + q * se})


def johnson_neyman(
    b_x: float, b_xm: float, v_xx: float, v_xm: float, v_mm: float, t_crit: float,
    lower: float, upper: float,
) -> tuple[tuple[float, ...], tuple[tuple[float, float], ...]]:
    """Johnson-Neyman bounds of a conditional slope ``b_x + b_xm * m``.

    The slope is significant where ``(b_x + b_xm m)^2 >= t^2 (v_xx + 2 m v_xm + m^2 v_mm)``,
    a quadratic inequality ``A m^2 + B m + C >= 0`` with ``A = b_xm^2 - t^2 v_mm``,
    ``B = 2 (b_x b_xm - t^2 v_xm)``, ``C = b_x^2 - t^2 v_xx``; solved exactly.

    Parameters
    ----------
    b_x, b_xm : float
        Coefficients of the focal predictor and of the product term.
    v_xx, v_xm, v_mm : float
        Their (co)variances.
    t_crit : float
        Critical value (two-sided).
    lower, upper : float
        The moderator range to report regions in (same metric as the coefficients).

    Returns
    -------
    bounds : tuple of float
        Real roots of the quadratic (sorted).
    regions : tuple of (float, float)
        Sub-intervals of ``[lower, upper]`` in which the slope is significant.
    """
    t2 = t_crit * t_crit
    a = b_xm * b_xm - t2 * v_mm
    b = 2.0 * (b_x * b_xm - t2 * v_xm)
    c = b_x * b_x - t2 * v_xx
    roots: list[float] = []
    if abs(a) > 1e-15 * max(1.0, abs(b), abs(c)):
        disc = b * b - 4 * a * c
        if disc >= 0:
            sq = np.sqrt(disc)
            roots = sorted([(-b - sq) / (2 * a), (-b + sq) / (2 * a)])
    elif b != 0:
        roots = [-c / b]

    def significant(v: float) -> bool:
        return a * v * v + b * v + c >= 0

    cuts = sorted({lower, upper, *[r for r in roots if lower < r < upper]})
    regions: list[tuple[float, float]] = []
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        if significant(0.5 * (lo + hi)):
            if regions and regions[-1][1] == lo:
                regions[-1] = (regions[-1][0], hi)
            else:
                regions.append((lo, hi))
    return tuple(float(r) for r in roots), tuple((float(a_), float(b_)) for a_, b_ in regions)


def moderation(
    data: pd.DataFrame,
    y: str,
    x: str,
    m: str,
    *,
    controls: Sequence[str] = (),
    center: bool = True,
    cov_type: str = "HC3",
    level: float = 0.95,
    cluster: str | None = None,
) -> ModerationResult:
    """Moderated regression ``y ~ x + m + x:m + controls`` with simple slopes and JN.

    Parameters
    ----------
    data : DataFrame
        Composite scores (rows with a missing value in a used column are dropped).
    y, x, m : str
        Outcome, focal predictor and moderator columns.
    controls : sequence of str
        Covariates (entered uncentred; centring them changes only the intercept).
    center : bool
        Mean-centre ``x`` and ``m`` before forming the product (Aiken & West 1991).
    cov_type : {"HC3", "HC0", "HC1", "HC2", "nonrobust"}
        Coefficient covariance; HC3 by default (Hayes & Cai 2007).  Ignored when
        ``cluster`` is given.
    level : float
        Confidence level of the CIs and the JN region.
    cluster : str, optional
        Column of cluster ids (e.g. ``alliance_id``: both partners of an alliance are
        rows): cluster-robust SEs (CR1, as Stata and ``sandwich::vcovCL``) with t tests,
        CIs and Johnson-Neyman region on G - 1 df; a row without an id is a cluster of
        its own.

    Returns
    -------
    ModerationResult

    Notes
    -----
    The focal slope at moderator value ``m`` is ``b_x + b_xm m`` with variance
    ``v_xx + 2 m v_xm + m^2 v_mm``; simple slopes are evaluated at the mean and
    mean +- 1 SD of ``m``; the Johnson-Neyman boundaries solve
    ``slope^2 = t_crit^2 var(slope)`` exactly (see :func:`johnson_neyman`), with
    ``t_crit`` from the t distribution with the residual degrees of freedom.

    Examples
    --------
    >>> res = moderation(df, "value_appropriation", "value_creation", "asym_signed")  # doctest: +SKIP

    # In R: fit <- lm(y ~ xc * mc + controls, data = d)
    #       lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))
    #       interactions::sim_slopes(fit, pred = xc, modx = mc, robust = "HC3")
    """
    from scipy import stats

    what = "moderation()"
    level = _check_level(level)
    cov_type = _check_cov_type(cov_type)
    controls = list(controls)
    if len({y, x, m}) < 3 or {y, x, m} & set(controls):
        raise ModelSpecificationError(f"{what}: y=, x=, m= and controls= must be distinct.")
    data = _cluster_frame(data, cluster, what)
    d = _frame(data, [y, x, m, *controls], what)
    m_mean, m_sd = float(d[m].mean()), float(d[m].std(ddof=1))
    shift_x = float(d[x].mean()) if center else 0.0
    shift_m = m_mean if center else 0.0
    inter = f"{x}:{m}"
    design = pd.DataFrame({x: d[x] - shift_x, m: d[m] - shift_m}, index=d.index)
    design[inter] = design[x] * design[m]
    for c in controls:
        design[c] = d[c]
    fit, cov_type, n_clusters = _fit_ols(d[y].to_numpy(), design, cov_type, data, cluster)
    coefs = _coef_table(fit, level)
    vc = pd.DataFrame(np.asarray(fit.cov_params(), dtype=float),
                      index=coefs["term"], columns=coefs["term"])
    rows = []
    for label, raw in (("-1 SD", m_mean - m_sd), ("mean", m_mean), ("+1 SD", m_mean + m_sd)):
        val = raw - shift_m
        rows.append({"level": label, "moderator": raw,
                     **_linear_combination(fit, {x: 1.0, inter: val}, level)})
    slopes = pd.DataFrame(rows)
    # the simple-slope lines in the raw metric of x (controls at their means)
    b = fit.params
    base = float(b["const"]) + sum(float(b[c]) * float(d[c].mean()) for c in controls)
    slopes["intercept"] = [
        base + float(b[m]) * (raw - shift_m) - est * shift_x
        for raw, est in zip(slopes["moderator"], slopes["estimate"], strict=True)
    ]
    df_t = _inference_df(fit)
    t_crit = float(stats.t.ppf(0.5 + level / 2, df_t))
    v = np.asarray(fit.cov_params(), dtype=float)
    names = list(fit.params.index)
    ix, ii = names.index(x), names.index(inter)
    bounds, regions = johnson_neyman(
        float(fit.params[x]), float(fit.params[inter]), v[ix, ix], v[ix, ii], v[ii, ii],
        t_crit, float(d[m].min()) - shift_m, float(d[m].max()) - shift_m,
    )
    return ModerationResult(
        y=y, x=x, m=m, n=len(d), coefficients=coefs,
        interaction=coefs.loc[coefs["term"] == inter].iloc[0].drop("term").to_dict(),
        simple_slopes=slopes,
        jn_bounds=tuple(b + shift_m for b in bounds),
        jn_regions=tuple((lo + shift_m, hi + shift_m) for lo, hi in regions),
        m_mean=m_mean, m_sd=m_sd, m_min=float(d[m].min()), m_max=float(d[m].max()),
        r2=float(fit.rsquared), cov_type=cov_type, level=level, df_resid=df_t,
        centered=bool(center), vcov=vc, x_mean=float(d[x].mean()), x_min=float(d[x].min()),
        x_max=float(d[x].max()), n_clusters=n_clusters,
    )


# --------------------------------------------------------------------------------------
# quadratic (inverted U)
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuadraticResult:
    """Result of :func:`quadratic`.

    Attributes
    ----------
    coefficients : DataFrame
        ``term`` (``x``, ``"x^2"``, controls), estimates, SEs, ...
    turning_point, tp_se, tp_ci_lower, tp_ci_upper : float
        ``-b1 / (2 b2)`` in the raw metric of ``x``, delta-method SE and CI.
    x_min, x_max : float
        Observed range of ``x``.
    slope_min, slope_max : dict
        Slope ``b1 + 2 b2 x`` at ``x_min`` / ``x_max`` (estimate, se, t, pvalue, CI).
    lm_t, lm_pvalue : float
        Lind & Mehlum (2010) test of an inverted U (H1: slope_min > 0 > slope_max):
        the smaller of the two one-sided t values and its one-sided p.
    inverted_u, u_shape : bool
        ``lm_pvalue < 1 - level`` with the slopes' signs as an inverted U / U and the
        turning point inside ``[x_min, x_max]``.
    tp_fieller_lower, tp_fieller_upper : float
        Fieller (1954) interval of the turning point, the set of ``x`` at which the slope
        ``b1 + 2 b2 x`` is not significantly different from 0 (recommended over the
        delta method by Lind & Mehlum 2010); ``-inf`` / ``inf`` when that set is
        unbounded (the squared term is not significant at this level).
    n_clusters : int or None
        Number of clusters with ``cluster=``, else None.
    df_resid : float
        Degrees of freedom of the t tests: the residual df, or G - 1 with ``cluster=``.
    """

    y: str
    x: str
    n: int
    coefficients: pd.DataFrame
    turning_point: float
    tp_se: float
    tp_ci_lower: float
    tp_ci_upper: float
    x_min: float
    x_max: float
    slope_min: dict[str, float]
    slope_max: dict[str, float]
    lm_t: float
    lm_pvalue: float
    inverted_u: bool
    u_shape: bool
    r2: float
    cov_type: str
    level: float
    tp_fieller_lower: float = float("nan")
    tp_fieller_upper: float = float("nan")
    n_clusters: int | None = None
    df_resid: float = float("nan")


def _fieller_turning_point(b1: float, b2: float, v: np.ndarray, q: float) -> tuple[float, float]:
    """Fieller interval of ``-b1 / (2 b2)`` from ``cov(b1, b2) = v`` and critical value ``q``.

    The interval holds every ``x`` with ``(b1 + 2 b2 x)^2 <= q^2 var(b1 + 2 b2 x)``, i.e.
    ``a x^2 + b x + c <= 0`` with ``a = 4 (b2^2 - q^2 v22)``, ``b = 4 (b1 b2 - q^2 v12)``,
    ``c = b1^2 - q^2 v11``.  Bounded only when ``a > 0`` (``b2`` significant); otherwise
    returns ``(-inf, inf)`` (the set is unbounded or a union of two half-lines).
    """
    q2 = q * q
    a = 4.0 * (b2 * b2 - q2 * v[1, 1])
    b = 4.0 * (b1 * b2 - q2 * v[0, 1])
    c = b1 * b1 - q2 * v[0, 0]
    disc = b * b - 4.0 * a * c
    if not (a > 0 and disc >= 0):
        return float("-inf"), float("inf")
    root = float(np.sqrt(disc))
    return float((-b - root) / (2.0 * a)), float((-b + root) / (2.0 * a))


def quadratic(
    data: pd.DataFrame,
    y: str,
    x: str,
    *,
    controls: Sequence[str] = (),
    cov_type: str = "HC3",
    level: float = 0.95,
    cluster: str | None = None,
) -> QuadraticResult:
    """Curvilinear regression ``y ~ x + x^2 + controls`` and the U / inverted-U test.

    Parameters
    ----------
    data : DataFrame
    y, x : str
        Outcome and predictor (the predictor is used in its raw metric).
    controls : sequence of str
    cov_type : {"HC3", "HC0", "HC1", "HC2", "nonrobust"}
        Ignored when ``cluster`` is given.
    level : float
    cluster : str, optional
        Column of cluster ids: cluster-robust SEs (CR1) with the t tests (the Lind-Mehlum
        test included) on G - 1 df, as :func:`moderation`.

    Returns
    -------
    QuadraticResult

    Notes
    -----
    Turning point ``x* = -b1 / (2 b2)``; its delta-method variance uses the
    gradient ``(-1 / (2 b2), b1 / (2 b2^2))``; the Fieller interval (Lind & Mehlum's
    recommendation) is given as well.  Lind & Mehlum (2010): an inverted
    U needs a significantly positive slope at the lowest and a significantly
    negative slope at the highest observed ``x``; the test statistic is the
    smaller of the two one-sided t values (p = the larger one-sided p).

    # In R: fit <- lm(y ~ x + I(x^2) + controls, data = d)
    #       (utest in the R package 'utest' / Stata's utest)
    """
    from scipy import stats

    what = "quadratic()"
    level = _check_level(level)
    cov_type = _check_cov_type(cov_type)
    controls = list(controls)
    if x == y or {x, y} & set(controls):
        raise ModelSpecificationError(f"{what}: y=, x= and controls= must be distinct.")
    data = _cluster_frame(data, cluster, what)
    d = _frame(data, [y, x, *controls], what)
    sq = f"{x}^2"
    design = pd.DataFrame({x: d[x], sq: d[x] ** 2}, index=d.index)
    for c in controls:
        design[c] = d[c]
    fit, cov_type, n_clusters = _fit_ols(d[y].to_numpy(), design, cov_type, data, cluster)
    df_t = _inference_df(fit)
    b1, b2 = float(fit.params[x]), float(fit.params[sq])
    v = np.asarray(fit.cov_params(), dtype=float)
    names = list(fit.params.index)
    i1, i2 = names.index(x), names.index(sq)
    tp = -b1 / (2 * b2) if b2 != 0 else np.nan
    grad = np.array([-1 / (2 * b2), b1 / (2 * b2 * b2)]) if b2 != 0 else np.full(2, np.nan)
    sub = v[np.ix_([i1, i2], [i1, i2])]
    tp_se = float(np.sqrt(max(grad @ sub @ grad, 0.0))) if b2 != 0 else np.nan
    q = float(stats.t.ppf(0.5 + level / 2, df_t))
    x_min, x_max = float(d[x].min()), float(d[x].max())
    s_min = _linear_combination(fit, {x: 1.0, sq: 2 * x_min}, level)
    s_max = _linear_combination(fit, {x: 1.0, sq: 2 * x_max}, level)
    # inverted U: slope_min > 0 and slope_max < 0; U: the reverse
    t_inv = min(s_min["t"], -s_max["t"])
    t_u = min(-s_min["t"], s_max["t"])
    inverted = b2 < 0
    lm_t = t_inv if inverted else t_u
    lm_p = float(stats.t.sf(lm_t, df_t))
    alpha = 1 - level
    inside = bool(x_min <= tp <= x_max) if np.isfinite(tp) else False
    fl_lo, fl_hi = _fieller_turning_point(b1, b2, sub, q)
    return QuadraticResult(
        y=y, x=x, n=len(d), coefficients=_coef_table(fit, level),
        turning_point=float(tp), tp_se=tp_se, tp_ci_lower=float(tp - q * tp_se),
        tp_ci_upper=float(tp + q * tp_se), x_min=x_min, x_max=x_max,
        slope_min=s_min, slope_max=s_max, lm_t=float(lm_t), lm_pvalue=lm_p,
        inverted_u=bool(inverted and inside and lm_p < alpha),
        u_shape=bool((not inverted) and inside and lm_p < alpha),
        r2=float(fit.rsquared), cov_type=cov_type, level=level,
        tp_fieller_lower=fl_lo, tp_fieller_upper=fl_hi, n_clusters=n_clusters,
        df_resid=df_t,
    )


# --------------------------------------------------------------------------------------
# response surface analysis
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResponseSurfaceResult:
    """Result of :func:`response_surface`.

    Attributes
    ----------
    y, x1, x2 : str
        Outcome and the two predictors.
    coefficients : DataFrame
        ``b0 .. b5`` as terms ``(Intercept), x, y, x^2, x*y, y^2`` (+ controls), in the
        response-surface literature's notation ``z = f(x, y)``: term ``x`` is ``x1`` and
        term ``y`` is ``x2``.
    surface : DataFrame
        ``parameter`` (a1 .. a5), ``meaning``, ``estimate, se, t, pvalue, ci_lower, ci_upper``.
    center : float
        The value subtracted from both predictors before the polynomial terms.
    """

    y: str
    x1: str
    x2: str
    n: int
    coefficients: pd.DataFrame
    surface: pd.DataFrame
    center: float
    r2: float
    cov_type: str
    level: float
    n_clusters: int | None = None


SURFACE = (
    ("a1", "slope along the line of congruence (x = y)", {"x": 1, "y": 1}),
    ("a2", "curvature along the line of congruence", {"x^2": 1, "x*y": 1, "y^2": 1}),
    ("a3", "slope along the line of incongruence (x = -y)", {"x": 1, "y": -1}),
    ("a4", "curvature along the line of incongruence", {"x^2": 1, "x*y": -1, "y^2": 1}),
    ("a5", "asymmetry of the ridge/trough (b3 - b5)", {"x^2": 1, "y^2": -1}),
)


def response_surface(
    data: pd.DataFrame,
    y: str,
    x1: str,
    x2: str,
    *,
    controls: Sequence[str] = (),
    center: float | None = None,
    cov_type: str = "HC3",
    level: float = 0.95,
    cluster: str | None = None,
) -> ResponseSurfaceResult:
    """Polynomial regression and response-surface parameters on two predictors.

    ``y = b0 + b1 x1 + b2 x2 + b3 x1^2 + b4 x1 x2 + b5 x2^2 + controls`` (the literature's
    ``z = f(x, y)``, whose names the coefficient terms keep) with
    ``a1 = b1 + b2``, ``a2 = b3 + b4 + b5``, ``a3 = b1 - b2``, ``a4 = b3 - b4 + b5``
    and ``a5 = b3 - b5``; SEs from ``L V L'`` with ``V`` the coefficient covariance.

    Parameters
    ----------
    data : DataFrame
    y : str
        Outcome.
    x1, x2 : str
        The two predictors on the same metric (e.g. ``dep_own``, ``dep_partner``).
    controls : sequence of str
    center : float, optional
        Subtracted from both ``x1`` and ``x2`` (same value keeps the lines of
        (in)congruence meaningful); default the pooled mean of ``x1`` and ``x2``.
    cov_type : {"HC3", "HC0", "HC1", "HC2", "nonrobust"}
        Ignored when ``cluster`` is given.
    level : float
    cluster : str, optional
        Column of cluster ids (e.g. ``alliance_id``: both partners of an alliance are
        rows): cluster-robust SEs (CR1, as Stata and ``sandwich::vcovCL``) with t tests on
        G - 1 df; a row without an id is a cluster of its own.

    Returns
    -------
    ResponseSurfaceResult

    Notes
    -----
    A negative ``a4`` means the outcome falls as the two predictors diverge in
    either direction (a penalty for asymmetry, the polynomial counterpart of a
    negative effect of ``|x - y|``); ``a3`` tells which direction of
    divergence is worse (Edwards 1994; Shanock et al. 2010).

    # In R: fit <- lm(y ~ x1 + x2 + I(x1^2) + I(x1*x2) + I(x2^2), data = d)
    #       RSA::RSA(y ~ x1 * x2, data = d)  (a1-a5)
    """
    what = "response_surface()"
    level = _check_level(level)
    cov_type = _check_cov_type(cov_type)
    controls = list(controls)
    if len({y, x1, x2}) < 3 or {y, x1, x2} & set(controls):
        raise ModelSpecificationError(f"{what}: y=, x1=, x2= and controls= must be distinct.")
    if cluster is not None:
        if not isinstance(cluster, str) or cluster not in data.columns:
            raise ModelSpecificationError(f"{what}: cluster={cluster!r} is not a column.")
        # the cluster ids are looked up by row label below: labels must be unique
        data = data.reset_index(drop=True)
    d = _frame(data, [y, x1, x2, *controls], what)
    c = float(pd.concat([d[x1], d[x2]]).mean()) if center is None else float(center)
    xc, yc = d[x1] - c, d[x2] - c
    design = pd.DataFrame({"x": xc, "y": yc, "x^2": xc * xc, "x*y": xc * yc, "y^2": yc * yc},
                          index=d.index)
    for col in controls:
        design[col] = d[col]
    if cluster is not None:
        groups = cluster_codes(data.loc[d.index, cluster])
        fit = _ols(d[y].to_numpy(), design, "cluster", groups=groups)
        cov_type, n_clusters = f"cluster ({cluster})", int(groups.max()) + 1
    else:
        n_clusters = None
        fit = _ols(d[y].to_numpy(), design, cov_type)
    rows = [{"parameter": p, "meaning": mean, **_linear_combination(fit, w, level)}
            for p, mean, w in SURFACE]
    return ResponseSurfaceResult(
        y=y, x1=x1, x2=x2, n=len(d), coefficients=_coef_table(fit, level),
        surface=pd.DataFrame(rows), center=c, r2=float(fit.rsquared), cov_type=cov_type,
        level=level, n_clusters=n_clusters,
    )


def cluster_codes(ids: pd.Series) -> np.ndarray:
    """Integer cluster codes 0 .. G-1 of ``ids``; a row without an id is a cluster of its
    own (a single informant's alliance)."""
    groups = pd.factorize(ids)[0]
    lonely = groups < 0
    groups[lonely] = groups.max() + 1 + np.arange(int(lonely.sum()))
    return groups


def cr1_ols(y: np.ndarray, x: np.ndarray, groups: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS coefficients of ``y`` on the design ``x``, their cluster-robust CR1 covariance
    by ``groups`` (any labels) and the G - 1 df of its t tests, as statsmodels'
    ``cov_type="cluster"`` gives them (for loops where a statsmodels fit per call costs
    too much).

    # In R: sandwich::vcovCL(lm(y ~ x - 1), cluster = groups, type = "HC1")
    """
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    e = y - x @ beta
    _, g = np.unique(groups, return_inverse=True)
    n_g, (n, k) = int(g.max()) + 1, x.shape
    scores = np.zeros((n_g, k))
    np.add.at(scores, g, x * e[:, None])
    bread = np.linalg.inv(x.T @ x)
    v = bread @ (scores.T @ scores) @ bread * (n_g / (n_g - 1) * (n - 1) / (n - k))
    return beta, v, n_g - 1


# --------------------------------------------------------------------------------------
# mediation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MediationResult:
    """Result of :func:`mediation_bootstrap`.

    Attributes
    ----------
    effects : DataFrame
        ``effect`` (``a``, ``b``, ``direct``, ``indirect``, ``total``), ``estimate``,
        ``se`` / ``pvalue`` (delta method, from the SEM fit), ``boot_se``,
        ``ci_lower`` / ``ci_upper`` (percentile) and, with ``bca=True``,
        ``bca_lower`` / ``bca_upper``.
    n : int
    n_boot, n_boot_ok : int
    seed : int or None
    draws : dict of ndarray
        The successful bootstrap draws of each effect (``a``, ``b``, ``direct``,
        ``indirect``, ``total``), for bootstrap p-values and equivalence tests that
        must agree with the percentile intervals.
    """

    x: str
    m: str
    y: str
    n: int
    effects: pd.DataFrame
    n_boot: int
    n_boot_ok: int
    seed: int | None
    level: float
    model: str
    draws: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def effect(self, name: str) -> dict[str, float]:
        """One row of :attr:`effects` as a dict."""
        row = self.effects.loc[self.effects["effect"] == name]
        if row.empty:
            raise ModelSpecificationError(f"effect={name!r} is not known.")
        return row.iloc[0].drop("effect").to_dict()


def _name_apart(name: str, taken: set[str]) -> str:
    """``name``, or ``name_1``, ``name_2``, ... when a variable already has it."""
    out, k = name, 0
    while out in taken:
        k += 1
        out = f"{name}_{k}"
    return out


def mediation_bootstrap(
    data: pd.DataFrame,
    y: str,
    x: str,
    m: str,
    *,
    controls: Sequence[str] = (),
    n_boot: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    bca: bool = False,
    estimator: str = "ML",
    n_jobs: int | None = None,
) -> MediationResult:
    """Simple mediation ``x -> m -> y`` with bootstrap CIs of the indirect effect.

    The path model ``m ~ a*x + controls; y ~ b*m + c*x + controls`` with
    ``indirect := a*b`` and ``total := c + a*b`` is fitted by the SEM engine
    (listwise deletion) and bootstrapped by case resampling.

    Parameters
    ----------
    data : DataFrame
    y, x, m : str
        Outcome, predictor and mediator columns.
    controls : sequence of str
        Covariates of both equations.
    n_boot : int
        Bootstrap draws (>= 2).
    seed : int, optional
    level : float
    bca : bool
        Also BCa intervals (needs a jackknife: n extra refits).
    estimator : {"ML", "MLR"}
        Estimator of the point estimates and delta-method SEs.
    n_jobs : int, optional
        Worker processes for the bootstrap (results identical).

    Returns
    -------
    MediationResult

    # In R: fit <- lavaan::sem('m ~ a*x; y ~ b*m + c*x; ind := a*b; total := c + a*b',
    #                          data = d, se = "bootstrap", bootstrap = 1000)
    #       parameterEstimates(fit, boot.ci.type = "perc")   # or "bca.simple"
    """
    from analysis.sem import compile_model
    from analysis.sem.api import fit_compiled
    from analysis.sem.bootstrap import bootstrap

    what = "mediation_bootstrap()"
    level = _check_level(level)
    controls = list(controls)
    if len({x, m, y}) < 3 or {x, m, y} & set(controls):
        raise ModelSpecificationError(f"{what}: x=, m=, y= and controls= must be distinct.")
    if isinstance(n_boot, bool) or int(n_boot) < 2:
        raise ModelSpecificationError(f"{what}: n_boot= must be at least 2 (got {n_boot!r}).")
    d = _frame(data, [x, m, y, *controls], what)
    extra = "".join(f" + {c}" for c in controls)
    # the defined parameters' names, other than every variable's (a score named "total"
    # is common, and a ':=' name may not be a variable of the model)
    ind, tot = (_name_apart(n, {x, m, y, *controls}) for n in ("indirect", "total"))
    syntax = (f"{m} ~ a*{x}{extra}\n{y} ~ b*{m} + c*{x}{extra}\n"
              f"{ind} := a*b\n{tot} := c + a*b\n")
    compiled = compile_model(syntax, d, estimator=estimator)
    res = fit_compiled(compiled, d)
    p = res.params
    labels = {"a": (m, "~", x), "b": (y, "~", m), "direct": (y, "~", x)}
    rows = []
    for name, (lhs, op, rhs) in labels.items():
        r = p[(p["lhs"] == lhs) & (p["op"] == op) & (p["rhs"] == rhs)].iloc[0]
        rows.append({"effect": name, "estimate": float(r["est"]), "se": float(r["se"]),
                     "pvalue": float(r["pvalue"]), "key": f"{lhs} {op} {rhs}"})
    for name, key in (("indirect", ind), ("total", tot)):
        r = p[(p["op"] == ":=") & (p["lhs"] == key)].iloc[0]
        rows.append({"effect": name, "estimate": float(r["est"]), "se": float(r["se"]),
                     "pvalue": float(r["pvalue"]), "key": key})
    effects = pd.DataFrame(rows)
    boot_compiled = compile_model(syntax, d, estimator="ML")
    b = bootstrap(boot_compiled, d, int(n_boot), seed=seed, bca=bca, n_jobs=n_jobs,
                  progress=False)
    tab = b.table(level).set_index("name")
    keys = effects.pop("key")
    column = {name: i for i, name in enumerate(b.names)}
    draws = {e: np.asarray(b.draws[:, column[k]], dtype=float).copy()
             for e, k in zip(effects["effect"], keys, strict=True) if k in column}
    effects["boot_se"] = [float(tab.loc[k, "se"]) for k in keys]
    effects["ci_lower"] = [float(tab.loc[k, "ci_lower"]) for k in keys]
    effects["ci_upper"] = [float(tab.loc[k, "ci_upper"]) for k in keys]
    if bca:
        effects["bca_lower"] = [float(tab.loc[k, "bca_lower"]) for k in keys]
        effects["bca_upper"] = [float(tab.loc[k, "bca_upper"]) for k in keys]
    return MediationResult(x=x, m=m, y=y, n=len(d), effects=effects, n_boot=int(n_boot),
                           n_boot_ok=b.n_ok, seed=seed, level=level, model=syntax,
                           draws=draws)
