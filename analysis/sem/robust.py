"""Robust (MLR) standard errors, scaled test statistics and robust fit indices.

Pure functions on information matrices, following lavaan 0.6:

* :func:`sandwich_vcov` -- Huber-White ``A^{-1} B A^{-1} / N``
  (lavaan ``se = "robust.huber.white"``);
* :func:`yuan_bentler_mplus_trace` and :func:`scaled_test` -- the Yuan-Bentler scaled
  chi-square, Mplus variant (lavaan ``test = "yuan.bentler.mplus"``, the MLR default);
* :func:`cfi`, :func:`tli`, :func:`rmsea`, :func:`rmsea_ci`, :func:`rmsea_pvalue` --
  incl. the *robust* versions with ``c_hat`` (Brosseau-Liard, Savalei & Li 2012;
  Brosseau-Liard & Savalei 2014);
* :func:`fiml_corrected` -- the FIML-corrected statistics that lavaan uses for the robust
  CFI/TLI/RMSEA with missing data (Zhang & Savalei 2023, "FIML-C");
* :func:`scaled_difference_test` -- the Satorra-Bentler (2001) scaled chi-square difference
  test (lavaan ``lavTestLRT`` default for MLR).

All information matrices are *per observation* (unit information), as lavaan reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import optimize, stats

from analysis.errors import EstimationError, ModelSpecificationError

__all__ = [
    "cfi",
    "fiml_corrected",
    "incremental_indices",
    "rni",
    "first_order_information",
    "rmsea",
    "rmsea_ci",
    "rmsea_pvalue",
    "sandwich_vcov",
    "scaled_difference",
    "scaled_difference_test",
    "scaled_test",
    "tli",
    "yuan_bentler_mplus_trace",
]


def _inv(a: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(
            f"The {what} is singular; the model may not be identified."
        ) from exc


def _inv_zero_safe(a: np.ndarray) -> np.ndarray:
    """Inverse of ``a`` ignoring rows/columns with a zero diagonal (as lavaan does)."""
    keep = np.diag(a) != 0
    out = np.zeros_like(a)
    if keep.any():
        out[np.ix_(keep, keep)] = _inv(a[np.ix_(keep, keep)], "h1 information matrix")
    return out


def first_order_information(
    deltas: Sequence[np.ndarray], b1_groups: Sequence[np.ndarray], weights: Sequence[float]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """First-order information of the model parameters, ``sum_g f_g Delta_g' B1_g Delta_g``.

    Parameters
    ----------
    deltas : list of (k_g, q) arrays
        Per group, the Jacobian of the moments w.r.t. the free parameters (lavaan's Delta).
    b1_groups : list of (k_g, k_g) arrays
        Per group, the first-order information of the moments (structured).
    weights : list of float
        ``f_g = N_g / N``.

    Returns
    -------
    (B0, B0_groups) : the total and the unweighted per-group matrices.

    # In R: lavInspect(fit, "information.first.order")
    """
    groups = [d.T @ b @ d for d, b in zip(deltas, b1_groups, strict=True)]
    total = sum(w * g for w, g in zip(weights, groups, strict=True))
    return np.asarray(total), groups


def sandwich_vcov(information: np.ndarray, first_order: np.ndarray, n_total: int) -> np.ndarray:
    """Huber-White sandwich covariance matrix of the estimates.

    Parameters
    ----------
    information : (q, q) array
        Unit information ("bread", A), e.g. the observed information (Hessian).
    first_order : (q, q) array
        Unit first-order information ("meat", B).
    n_total : int
        Total sample size.

    Notes
    -----
    ``vcov = A^{-1} B A^{-1} / N``.

    # In R: lavInspect(sem(..., estimator = "MLR"), "vcov")
    """
    a_inv = _inv(information, "information matrix")
    v = a_inv @ first_order @ a_inv / n_total
    return 0.5 * (v + v.T)


def yuan_bentler_mplus_trace(
    a1_groups: Sequence[np.ndarray],
    b1_groups: Sequence[np.ndarray],
    b0_groups: Sequence[np.ndarray],
    e_inv: np.ndarray,
    weights: Sequence[float],
    a1_inv_groups: Sequence[np.ndarray | None] | None = None,
) -> dict[str, Any]:
    """Trace of U Gamma for the Yuan-Bentler (Mplus variant) scaling factor.

    Parameters
    ----------
    a1_groups, b1_groups : per group, the unstructured (h1) observed and first-order
        information of the moments, evaluated at the saturated estimates.
    b0_groups : per group, ``Delta' B1_structured Delta`` (unweighted).
    e_inv : inverse of the unit information of the model parameters.
    weights : ``f_g = N_g / N``.
    a1_inv_groups : per group, the inverse of ``a1`` when known in closed form (else
        None, and ``a1`` is inverted here).

    Returns
    -------
    dict with ``trace`` (sum over groups), ``trace_h1``, ``trace_h0`` (per group) and
    ``h1_ndat``.

    Notes
    -----
    ``tr(U Gamma) = sum_g [tr(B1_g A1_g^{-1}) - f_g tr(B0_g E^{-1})]``; the scaling factor
    is this trace divided by the degrees of freedom.

    # In R: lavaan:::lav_test_yuan_bentler_mplus_trace(...)
    """
    trace_h1, trace_h0, ndat = [], [], []
    invs = list(a1_inv_groups) if a1_inv_groups is not None else [None] * len(a1_groups)
    for a1, b1, b0, w, a1_inv in zip(a1_groups, b1_groups, b0_groups, weights, invs,
                                     strict=True):
        if a1_inv is None:
            a1_inv = _inv_zero_safe(a1)
        trace_h1.append(float(np.sum(b1 * a1_inv.T)))
        trace_h0.append(float(w * np.sum(b0 * e_inv.T)))
        ndat.append(int(np.sum(np.diag(a1) != 0)))
    return {
        "trace": float(sum(trace_h1) - sum(trace_h0)),
        "trace_h1": trace_h1,
        "trace_h0": trace_h0,
        "h1_ndat": ndat,
    }


def scaled_test(chisq: float, df: int, trace: float) -> dict[str, float]:
    """Scaled chi-square from an unscaled statistic and ``tr(U Gamma)``.

    Returns ``chisq_scaled``, ``df_scaled``, ``pvalue_scaled``, ``scaling_factor`` and
    ``trace_ugamma``; all NaN when ``df == 0`` (as lavaan).

    # In R: fitMeasures(fit, c("chisq.scaled", "chisq.scaling.factor"))
    """
    nan = float("nan")
    if df <= 0:
        return {
            "chisq_scaled": float(chisq) if df == 0 else nan,
            "df_scaled": float(df),
            "pvalue_scaled": nan,
            "scaling_factor": nan,
            "trace_ugamma": float(trace),
        }
    c = trace / df
    if c < 0:
        c = nan
    x2 = chisq / c
    return {
        "chisq_scaled": float(x2),
        "df_scaled": float(df),
        "pvalue_scaled": float(stats.chi2.sf(x2, df)) if np.isfinite(x2) else nan,
        "scaling_factor": float(c),
        "trace_ugamma": float(trace),
    }


# --------------------------------------------------------------------------------------
# fit indices
# --------------------------------------------------------------------------------------
def _corrections(
    x2: float, df: float, x2_null: float, df_null: float,
    c_hat: float | None, c_hat_null: float | None,
) -> tuple[float, float] | None:
    """The factors ``(c, c_0)`` of the robust incremental indices, or None for bad input.

    ``(c_hat, c_hat_null)`` when both are given, differ from 1 and ``df > 0`` (the robust
    versions); ``(1, 1)`` otherwise (the ordinary / scaled versions).  None when any
    given statistic is missing or not finite.
    """
    given = [x2, df, x2_null, df_null] + [v for v in (c_hat, c_hat_null) if v is not None]
    if any(v is None or not np.isfinite(v) for v in given):
        return None
    robust = (df > 0 and c_hat is not None and c_hat_null is not None
              and c_hat != 1 and c_hat_null != 1)
    return (float(c_hat), float(c_hat_null)) if robust else (1.0, 1.0)


def cfi(
    x2: float,
    df: float,
    x2_null: float,
    df_null: float,
    c_hat: float | None = None,
    c_hat_null: float | None = None,
) -> float:
    """Comparative fit index; robust version when both ``c_hat`` are given.

    Notes
    -----
    ``1 - max(X2 - c df, 0) / max(X2 - c df, X2_0 - c_0 df_0, 0)`` with ``c = c_0 = 1`` for
    the ordinary CFI (the scaled CFI plugs in scaled statistics).

    # In R: fitMeasures(fit, c("cfi", "cfi.scaled", "cfi.robust"))
    """
    cc = _corrections(x2, df, x2_null, df_null, c_hat, c_hat_null)
    if cc is None:
        return float("nan")
    c, c0 = cc
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2_null - c0 * df_null, 0.0)
    if np.isclose(t1, 0.0, rtol=0, atol=1.5e-8) and np.isclose(t2, 0.0, rtol=0, atol=1.5e-8):
        return 1.0
    return float(1.0 - t1 / t2)


def tli(
    x2: float,
    df: float,
    x2_null: float,
    df_null: float,
    c_hat: float | None = None,
    c_hat_null: float | None = None,
) -> float:
    """Tucker-Lewis index; robust version when both ``c_hat`` are given.

    # In R: fitMeasures(fit, c("tli", "tli.scaled", "tli.robust"))
    """
    cc = _corrections(x2, df, x2_null, df_null, c_hat, c_hat_null)
    if cc is None:
        return float("nan")
    c, c0 = cc
    t1 = (x2 - c * df) * df_null
    t2 = (x2_null - c0 * df_null) * df
    if df > 0 and abs(t2) > 0:
        return float(1.0 - t1 / t2)
    return 1.0


def rni(
    x2: float,
    df: float,
    x2_null: float,
    df_null: float,
    c_hat: float | None = None,
    c_hat_null: float | None = None,
) -> float:
    """Relative noncentrality index (CFI without truncation); robust with both ``c_hat``.

    # In R: fitMeasures(fit, c("rni", "rni.scaled", "rni.robust"))
    """
    cc = _corrections(x2, df, x2_null, df_null, c_hat, c_hat_null)
    if cc is None:
        return float("nan")
    c, c0 = cc
    t1, t2 = x2 - c * df, x2_null - c0 * df_null
    if np.isclose(t2, 0.0, rtol=0, atol=1.5e-8):
        return float("nan")
    return float(1.0 - t1 / t2)


def incremental_indices(x2: float, df: float, x2_null: float, df_null: float) -> dict[str, float]:
    """NFI, PNFI, RFI and IFI as lavaan computes them (pass scaled statistics for the
    ``.scaled`` versions).

    # In R: fitMeasures(fit, c("nfi", "pnfi", "rfi", "ifi"))
    """
    nan = float("nan")
    if any(not np.isfinite(v) for v in (x2, df, x2_null, df_null)):
        return {"nfi": nan, "pnfi": nan, "rfi": nan, "ifi": nan}
    if df > df_null or np.isclose(x2_null, 0.0, rtol=0, atol=1.5e-8):
        nfi = nan
    elif df > 0:
        nfi = (x2_null - x2) / x2_null
    else:
        nfi = 1.0
    pnfi = (df / df_null) * ((x2_null - x2) / x2_null) if df_null > 0 and x2_null > 0 else nan
    if df > df_null:
        rfi = nan
    elif df > 0 and df_null > 0:
        t1, t2 = x2_null / df_null - x2 / df, x2_null / df_null
        rfi = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        rfi = 1.0
    t1, t2 = x2_null - x2, x2_null - df
    if t2 < 0:
        ifi = 1.0
    elif np.isclose(t2, 0.0, rtol=0, atol=1.5e-8):
        ifi = nan
    else:
        ifi = t1 / t2
    return {"nfi": float(nfi), "pnfi": float(pnfi), "rfi": float(rfi), "ifi": float(ifi)}


def rmsea(x2: float, df: float, n: int, n_groups: int = 1, c_hat: float = 1.0) -> float:
    """Root mean square error of approximation.

    Notes
    -----
    ``sqrt(G) sqrt(max(X2 / (N df) - c / N, 0))``; ``c = 1`` for the ordinary RMSEA,
    ``c_hat`` for the robust RMSEA.  The "scaled" RMSEA of lavaan is ``rmsea(X2, tr(UG), N)``.

    # In R: fitMeasures(fit, c("rmsea", "rmsea.scaled", "rmsea.robust"))
    """
    if not all(np.isfinite(v) for v in (x2, df, n, c_hat)):
        return float("nan")
    if df <= 0:
        return 0.0
    return float(np.sqrt(max(x2 / n / df - c_hat / n, 0.0)) * np.sqrt(n_groups))


def rmsea_ci(
    x2: float, df: float, n: int, n_groups: int = 1, c_hat: float = 1.0, level: float = 0.90
) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square (lavaan's method).

    For the robust RMSEA pass the FIML-corrected/scaled statistic as ``x2`` and ``c_hat``.

    # In R: fitMeasures(fit, c("rmsea.ci.lower", "rmsea.ci.upper"))
    """
    if not all(np.isfinite(v) for v in (x2, df, n, c_hat)):
        return float("nan"), float("nan")
    upper_p = 1.0 - (1.0 - level) / 2.0
    lower_p = (1.0 - level) / 2.0

    def cdf(lam: float) -> float:
        if lam <= 0:
            return float(stats.chi2.cdf(x2, df))
        return float(stats.ncx2.cdf(x2, df, lam))

    if df < 1 or cdf(0.0) - upper_p < 0:
        lo = 0.0
    else:
        try:
            lam_l = optimize.brentq(lambda lam: cdf(lam) - upper_p, 0.0, x2, xtol=1e-12)
        except ValueError:
            lam_l = float("nan")
        lo = float(np.sqrt(c_hat * lam_l / (n * df)) * np.sqrt(n_groups))
    n_rmsea = max(n, x2 * 4)
    if df < 1 or cdf(n_rmsea) - lower_p > 0 or cdf(0.0) - lower_p < 0:
        hi = 0.0
    else:
        try:
            lam_u = optimize.brentq(lambda lam: cdf(lam) - lower_p, 0.0, n_rmsea, xtol=1e-12)
        except ValueError:
            lam_u = float("nan")
        hi = float(np.sqrt(c_hat * lam_u / (n * df)) * np.sqrt(n_groups))
    return lo, hi


def rmsea_pvalue(
    x2: float,
    df: float,
    n: int,
    n_groups: int = 1,
    c_hat: float = 1.0,
    h0: float = 0.05,
    close: bool = True,
) -> float:
    """p-value of the test of close fit (``close=True``, H0: RMSEA <= h0) or not-close fit.

    # In R: fitMeasures(fit, c("rmsea.pvalue", "rmsea.notclose.pvalue"))
    """
    if not all(np.isfinite(v) for v in (x2, df, n, c_hat)) or df <= 0:
        return float("nan")
    ncp = (n * df / c_hat * h0**2) / n_groups
    cdf = float(stats.ncx2.cdf(x2, df, ncp)) if ncp > 0 else float(stats.chi2.cdf(x2, df))
    return 1.0 - cdf if close else cdf


def fiml_corrected(
    *,
    xx3: float,
    df3: int,
    wm_groups: Sequence[np.ndarray],
    jm_groups: Sequence[np.ndarray],
    wc_groups: Sequence[np.ndarray],
    deltas: Sequence[np.ndarray],
    weights: Sequence[float],
    scaled: bool,
) -> dict[str, float]:
    """FIML-corrected test statistic and its scaling (lavaan ``lav_fit_fiml_corrected``).

    Parameters
    ----------
    xx3 : the complete-data ML statistic of the fitted model evaluated against the EM
        (saturated) moments.
    df3 : its degrees of freedom.
    wm_groups, jm_groups : per group, the observed and first-order information of the
        missing-data h1 model at the EM moments.
    wc_groups : per group, the complete-data h1 information at the EM moments.
    deltas : per group, d moments / d theta (for the baseline: of the independence model).
        The parameter information is the h1-based ``E = sum_g f_g Delta_g' Wm_g Delta_g``
        (lavaan sets ``observed.information = "h1"`` here), for model and baseline alike.
    weights : ``f_g = N_g / N``.
    scaled : ``True`` for lavaan's version "V3" (used with a scaled test), else "V6".

    Returns
    -------
    dict with ``xx3``, ``df3``, ``c_hat3`` and ``xx3_scaled``.

    # In R: lavaan:::lav_fit_fiml_corrected(fit, version = "V3")
    """
    from scipy.linalg import block_diag

    w = list(weights)
    wc_all = block_diag(*[f * a for f, a in zip(w, wc_groups, strict=True)])
    wm_all = block_diag(*[f * a for f, a in zip(w, wm_groups, strict=True)])
    wm_inv = [_inv_zero_safe(a) for a in wm_groups]  # fixed.x rows/columns are zero
    wmi_all = block_diag(*[a / f for f, a in zip(w, wm_inv, strict=True)])
    d_all = np.vstack(list(deltas))
    e = sum(f * (d.T @ a @ d) for f, d, a in zip(w, deltas, wm_groups, strict=True))
    e_inv = _inv(np.asarray(e), "information matrix of the FIML-corrected test")
    u = wm_all - wm_all @ d_all @ e_inv @ d_all.T @ wm_all
    if scaled:
        gamma_all = block_diag(
            *[(a @ j @ a) / f for f, a, j in zip(w, wm_inv, jm_groups, strict=True)]
        )
        # tr(X Y) = sum(X * Y'): one matrix product fewer than forming the whole chain
        left = u @ wmi_all @ wc_all @ wmi_all
        k = float(np.sum(left * (u @ gamma_all).T))
    else:
        k = float(np.sum((wc_all @ wmi_all) * (u @ wmi_all).T))
    c_hat3 = k / df3 if df3 > 0 else float("nan")
    return {
        "xx3": float(xx3),
        "df3": float(df3),
        "c_hat3": c_hat3,
        "xx3_scaled": float(xx3 / c_hat3) if df3 > 0 else float("nan"),
    }


# --------------------------------------------------------------------------------------
# nested models
# --------------------------------------------------------------------------------------
def _test_of(fit: Any) -> Mapping[str, Any]:
    fit = getattr(fit, "state", fit)  # SEMResult -> FitState
    test = getattr(fit, "test", fit)
    if not isinstance(test, Mapping):
        raise ModelSpecificationError(
            "scaled_difference_test() needs fitted models (or their test dicts) with "
            "'chisq', 'df' and 'scaling_factor'."
        )
    return test


def scaled_difference_test(fit0: Any, fit1: Any) -> dict[str, float]:
    """Satorra-Bentler (2001) scaled chi-square difference test of nested models.

    Parameters
    ----------
    fit0 : the more restricted model (more df), an SEMResult, a FitState or a dict with ``chisq``,
        ``df`` and ``scaling_factor`` (the unscaled statistic and the scaling factor of the
        robust test, e.g. Yuan-Bentler for MLR).
    fit1 : the less restricted model.  The order is swapped if needed.

    Returns
    -------
    dict with ``chisq_diff``, ``df_diff``, ``pvalue``, ``scaling_factor`` (cd).

    Notes
    -----
    ``cd = (df0 c0 - df1 c1) / (df0 - df1)``, ``T = (T0 - T1) / cd`` with the *unscaled*
    statistics ``T``.  A negative ``cd`` gives NaN (then use the strictly positive
    Satorra-Bentler 2010 test).

    # In R: lavTestLRT(fit1, fit0)   # method = "satorra.bentler.2001"
    """
    t0, t1 = _test_of(fit0), _test_of(fit1)
    if t0["df"] < t1["df"]:
        t0, t1 = t1, t0
    ddf = float(t0["df"] - t1["df"])
    if ddf <= 0:
        raise ModelSpecificationError(
            "The two models have the same degrees of freedom; they are not nested."
        )
    c0 = float(t0.get("scaling_factor", float("nan")))
    c1 = float(t1.get("scaling_factor", float("nan")))
    if t1["df"] == 0:
        c1 = 0.0 if not np.isfinite(c1) else c1
    cd = (t0["df"] * c0 - t1["df"] * c1) / ddf
    diff = float(t0["chisq"] - t1["chisq"])
    if not np.isfinite(cd) or cd <= 0:
        stat = float("nan")
    else:
        stat = max(diff / cd, 0.0)
    pv = float(stats.chi2.sf(stat, ddf)) if np.isfinite(stat) else float("nan")
    return {"chisq_diff": stat, "df_diff": ddf, "pvalue": pv, "scaling_factor": float(cd)}


def fit_mlr(model: Any, data: list, options: Any, start: np.ndarray | None = None) -> Any:
    """Backend for ``estimator="MLR"``, complete data or ``missing="ml"``.

    ML (FIML with missing data) estimates; Huber-White standard errors from the observed
    information (Hessian) and the first-order information of the casewise scores; the
    Yuan-Bentler (Mplus variant) scaled chi-square; scaled and robust CFI/TLI/RMSEA in
    ``FitState.extra`` (FIML-corrected with missing data).

    # In R: lavaan::sem(model, data, estimator = "MLR")  # (+ missing = "ml")
    """
    from .fiml import fit_normal

    return fit_normal(model, data, options, start, robust_se=True)


def scaled_difference(res0: Any, res1: Any) -> dict[str, float]:
    """Adapter for ``analysis.sem.invariance.lrt``: :func:`scaled_difference_test` with
    the keys ``delta_chisq``, ``delta_df``, ``delta_pvalue`` (plus ``scaling_factor``).

    # In R: lavTestLRT(fit1, fit0)   # method = "satorra.bentler.2001"
    """
    out = scaled_difference_test(res0, res1)
    return {"delta_chisq": out["chisq_diff"], "delta_df": out["df_diff"],
            "delta_pvalue": out["pvalue"], "scaling_factor": out["scaling_factor"]}
