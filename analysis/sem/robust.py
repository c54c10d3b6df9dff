"""Robust (MLR) standard errors, scaled test statistics and robust fit indices.

Pure functions on information matrices, following lavaan 0.6:

* :func:`sandwich_vcov` -- Huber-White ``A^{-1} B A^{-1} / N``
  (lavaan ``se = "robust.huber.white"``);
* :func:`yuan_bentler_mplus_trace` and :func:`scaled_test` -- the Yuan-Bentler scaled
  chi-square, Mplus variant (lavaan ``test = "yuan.bentler.mplus"``, the MLR default);
* :func:`fiml_corrected` -- the FIML-corrected statistics that lavaan uses for the robust
  CFI/TLI/RMSEA with missing data (Zhang & Savalei 2023, "FIML-C"); the indices
  themselves are computed in :mod:`analysis.sem.fitmeasures` (also importable from
  here, e.g. ``robust.cfi``);
* :func:`scaled_difference_test` -- the Satorra-Bentler (2001) scaled chi-square difference
  test (lavaan ``lavTestLRT`` default for MLR).

All information matrices are *per observation* (unit information), as lavaan reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats
from scipy.linalg import block_diag

from analysis.errors import EstimationError, ModelSpecificationError

from .fitmeasures import cfi, incremental_indices, rmsea, rmsea_ci, rmsea_pvalue, rni, tli

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


def fiml_corrected_h1_parts(
    *,
    wm_groups: Sequence[np.ndarray],
    jm_groups: Sequence[np.ndarray],
    wc_groups: Sequence[np.ndarray],
    weights: Sequence[float],
    scaled: bool,
    wm_inv_groups: Sequence[np.ndarray] | None = None,
) -> dict[str, Any]:
    """The model-free k x k products behind :func:`fiml_corrected` (k moments, all groups):
    ``wm_all`` (the h1 observed information, weighted), ``p = Wm^-1 Wc Wm^-1``, and when
    ``scaled`` ``gamma = Wm^-1 Jm Wm^-1``, ``pwg = P Wm Gamma`` and ``c0 = tr(Wm P Wm
    Gamma)`` (else ``c0 = tr(P Wm)``).  ``Wm^-1`` ignores the zero rows and columns of
    fixed.x moments, as lavaan does; ``wm_inv_groups`` gives it when already computed."""
    w = list(weights)
    wc_all = block_diag(*[f * a for f, a in zip(w, wc_groups, strict=True)])
    wm_all = block_diag(*[f * a for f, a in zip(w, wm_groups, strict=True)])
    wm_inv = (list(wm_inv_groups) if wm_inv_groups is not None  # fixed.x rows/columns
              else [_inv_zero_safe(a) for a in wm_groups])      # are zero
    wmi_all = block_diag(*[a / f for f, a in zip(w, wm_inv, strict=True)])
    p = wmi_all @ wc_all @ wmi_all
    out: dict[str, Any] = {"wm_all": wm_all, "p": p}
    if scaled:
        gamma = block_diag(
            *[(a @ j @ a) / f for f, a, j in zip(w, wm_inv, jm_groups, strict=True)])
        pwg = p @ wm_all @ gamma
        out.update(gamma=gamma, pwg=pwg, c0=float(np.sum(wm_all * pwg.T)))
    else:
        out["c0"] = float(np.sum(p * wm_all.T))
    return out


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
    h1_parts: Mapping[str, Any] | None = None,
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
    h1_parts : mapping, optional
        :func:`fiml_corrected_h1_parts` of the same h1 matrices, computed once for a
        model and its baseline (they do not depend on the model).

    Returns
    -------
    dict with ``xx3``, ``df3``, ``c_hat3`` and ``xx3_scaled``.

    # In R: lavaan:::lav_fit_fiml_corrected(fit, version = "V3")
    """
    parts = h1_parts if h1_parts is not None else fiml_corrected_h1_parts(
        wm_groups=wm_groups, jm_groups=jm_groups, wc_groups=wc_groups, weights=weights,
        scaled=scaled)
    w = list(weights)
    d_all = np.vstack(list(deltas))
    e = sum(f * (d.T @ a @ d) for f, d, a in zip(w, deltas, wm_groups, strict=True))
    e_inv = _inv(np.asarray(e), "information matrix of the FIML-corrected test")
    # U = Wm - B E^-1 B' with B = Wm Delta (k x q, q parameters, k moments): the traces
    # below are expanded in B so that no k x k product depends on the model (the k x k
    # ones are in ``parts``, shared by the model and its baseline)
    b = parts["wm_all"] @ d_all
    if scaled:
        # tr(U P U G) = tr(Wm P Wm G) - 2 tr(E^-1 B'(P Wm G)B)
        #               + tr(E^-1 (B'P B) E^-1 (B'G B)),  P = Wm^-1 Wc Wm^-1, G = Gamma
        bpb = b.T @ parts["p"] @ b
        bgb = b.T @ parts["gamma"] @ b
        x1 = float(np.sum(e_inv * (b.T @ parts["pwg"] @ b).T))
        x3 = float(np.sum((e_inv @ bpb) * (e_inv @ bgb).T))
        k = parts["c0"] - 2.0 * x1 + x3
    else:
        # tr(P U) = tr(P Wm) - tr(E^-1 B'P B)
        k = parts["c0"] - float(np.sum(e_inv * (b.T @ parts["p"] @ b).T))
    # a saturated model (df3 = 0): lavaan's k / df3 is infinite (k is zero up to
    # rounding), not missing, so its robust CFI/TLI/RNI are the plain formulas of a
    # saturated model (near 1) and the scaled statistic is 0; as the catML correction
    # of ordered data (analysis/sem/wls.catml_robust_test)
    c_hat3 = k / df3 if df3 > 0 else float("inf")
    return {
        "xx3": float(xx3),
        "df3": float(df3),
        "c_hat3": c_hat3,
        "xx3_scaled": float(xx3 / c_hat3),
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
        # as lavTestLRT: a negative difference (the more restricted model fits better:
        # not nested, or a fit off its optimum) is reported as it is, with p = 1
        stat = diff / cd
    pv = float(stats.chi2.sf(stat, ddf)) if np.isfinite(stat) else float("nan")
    return {"chisq_diff": stat, "df_diff": ddf, "pvalue": pv, "scaling_factor": float(cd)}


def scaled_difference(res0: Any, res1: Any) -> dict[str, float]:
    """Adapter for ``analysis.sem.invariance.lrt``: :func:`scaled_difference_test` with
    the keys ``delta_chisq``, ``delta_df``, ``delta_pvalue`` (plus ``scaling_factor``).

    # In R: lavTestLRT(fit1, fit0)   # method = "satorra.bentler.2001"
    """
    out = scaled_difference_test(res0, res1)
    return {"delta_chisq": out["chisq_diff"], "delta_df": out["df_diff"],
            "delta_pvalue": out["pvalue"], "scaling_factor": out["scaling_factor"]}
